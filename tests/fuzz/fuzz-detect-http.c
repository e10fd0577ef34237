/* SPDX-License-Identifier: MIT */
/*
 * The identifier engine on a whole HTTP request: the input is a request head (parsed with
 * lw_http_parse_request) and its body (de-chunked when the head says chunked), given to
 * lw_detect_http() with a few values enrolled and learning off.
 */
#include <string.h>

#include "detect/detect.h"
#include "fuzz.h"
#include "proto/http.h"

static struct lw_detect *engine;
static const struct lw_mac client = {{0x3c, 0x22, 0xfb, 0x12, 0x34, 0x56}};

struct body {
	uint8_t *p;
	size_t len;
};

static void collect(const uint8_t *p, size_t len, void *user_data)
{
	struct body *b = user_data;

	memcpy(b->p + b->len, p, len); /* never more than the input: see fuzz-http-chunked */
	b->len += len;
}

static void on_leak(const struct lw_leak *l, void *user_data)
{
	unsigned *n = user_data;

	(*n)++;
	fuzz_assert((unsigned)l->kind < LW_ID__COUNT);
	fuzz_assert(l->value[0] != '\0');
	fuzz_assert(memchr(l->value, 0, sizeof(l->value)) != NULL);
	fuzz_assert(memchr(l->encoding, 0, sizeof(l->encoding)) != NULL);
	fuzz_assert(memchr(l->location, 0, sizeof(l->location)) != NULL);
	fuzz_assert(memchr(l->snippet, 0, sizeof(l->snippet)) != NULL);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct lw_detect_config cfg = {.learn = false, .max_decode_bytes = 256 * 1024};

	(void)argc;
	(void)argv;
	engine = lw_detect_new(&cfg);
	if (!engine ||
	    lw_detect_add_known(engine, &client, LW_ID_IMEI, "356938035643809", "config") < 0 ||
	    lw_detect_add_known(engine, &client, LW_ID_AD_ID,
				"38400000-8cf0-11bd-b23e-10b96e40000d", "config") < 0)
		fuzz_fail("cannot set up the engine");
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lw_http_request *req = malloc(sizeof(*req));
	struct body b = {NULL, 0};
	const uint8_t *body;
	size_t body_len;
	unsigned n = 0;
	int head, r;

	if (!req)
		return 0;
	head = lw_http_parse_request(data, size, req);
	if (head <= 0)
		goto out;
	body = data + head;
	body_len = size - (size_t)head;
	if (req->chunked) {
		struct lw_http_chunked c = {0};

		b.p = malloc(body_len + 1);
		if (!b.p)
			goto out;
		(void)lw_http_chunked_feed(&c, body, body_len, collect, &b);
		body = b.p;
		body_len = b.len;
	} else if (req->content_length >= 0 && (uint64_t)req->content_length < body_len) {
		body_len = (size_t)req->content_length;
	}
	r = lw_detect_http(engine, &client, req, body, body_len, on_leak, &n);
	fuzz_assert(r < 0 || (unsigned)r == n);
out:
	free(b.p);
	free(req);
	return 0;
}
