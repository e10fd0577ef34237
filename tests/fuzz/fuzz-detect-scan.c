/* SPDX-License-Identifier: MIT */
/*
 * The identifier engine on raw content: lw_detect_scan() with a few values enrolled (so the
 * known-value matcher runs too) and learning off (each input must run the same way however
 * many ran before it).
 *
 *   byte 0: bits 0-2 where the content came from (location and content type), bit 3 partial,
 *           bit 4 no client MAC
 *   rest:   the content
 */
#include <string.h>

#include "detect/detect.h"
#include "fuzz.h"

static struct lw_detect *engine;
static const struct lw_mac client = {{0x3c, 0x22, 0xfb, 0x12, 0x34, 0x56}};

static const struct {
	const char *location, *content_type;
} places[8] = {
	{"http.body", "application/json"},
	{"http.body", "application/x-www-form-urlencoded"},
	{"http.body", "text/plain"},
	{"http.body", NULL},
	{"dns.qname", NULL},
	{"tcp.payload", NULL},
	{"udp.payload", NULL},
	{"http.header:User-Agent", NULL},
};

static void on_leak(const struct lw_leak *l, void *user_data)
{
	unsigned *n = user_data;

	(*n)++;
	fuzz_assert((unsigned)l->kind < LW_ID__COUNT);
	fuzz_assert(l->confidence <= LW_CONF_KNOWN);
	fuzz_assert(l->value[0] != '\0');
	fuzz_assert(memchr(l->value, 0, sizeof(l->value)) != NULL);
	fuzz_assert(memchr(l->encoding, 0, sizeof(l->encoding)) != NULL);
	fuzz_assert(memchr(l->location, 0, sizeof(l->location)) != NULL);
	fuzz_assert(memchr(l->snippet, 0, sizeof(l->snippet)) != NULL);
	fuzz_assert(lw_id_kind_str(l->kind) != NULL);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct lw_detect_config cfg = {.learn = false, .max_decode_bytes = 256 * 1024};

	(void)argc;
	(void)argv;
	engine = lw_detect_new(&cfg);
	if (!engine ||
	    lw_detect_add_known(engine, &client, LW_ID_IMEI, "356938035643809", "config") < 0 ||
	    lw_detect_add_known(engine, &client, LW_ID_EMAIL, "alice@example.com", "config") < 0 ||
	    lw_detect_add_known(engine, NULL, LW_ID_PHONE, "+15555550123", "config") < 0)
		fuzz_fail("cannot set up the engine");
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lw_detect_ctx ctx;
	unsigned n = 0;
	int r;

	if (size < 1)
		return 0;
	ctx.client_mac = data[0] & 0x10 ? NULL : &client;
	ctx.location = places[data[0] & 7].location;
	ctx.content_type = places[data[0] & 7].content_type;
	ctx.partial = data[0] & 8;
	r = lw_detect_scan(engine, &ctx, data + 1, size - 1, on_leak, &n);
	fuzz_assert(r < 0 || (unsigned)r == n);
	return 0;
}
