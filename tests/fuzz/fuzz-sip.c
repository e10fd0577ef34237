/* SPDX-License-Identifier: MIT */
/*
 * SIP messages: lw_sip_parse() on the input (views inside it, limits kept, a prefix of a
 * complete head incomplete), lw_sip_uri_host() on the Request-URI and each header value, and
 * the message through lw_detect_sip() (the IMS recognisers and the engine), learning off.
 */
#include <string.h>

#include "detect/ims.h"
#include "fuzz.h"
#include "proto/sip.h"

static struct lw_detect *engine;
static const uint8_t *in_begin, *in_end;

static void check_view(const struct lw_str *s)
{
	if (s->len == 0)
		return;
	fuzz_assert((const uint8_t *)s->p >= in_begin && (const uint8_t *)s->p <= in_end);
	fuzz_assert(s->len <= (size_t)(in_end - (const uint8_t *)s->p));
}

static void on_leak(const struct lw_leak *l, void *user_data)
{
	(void)user_data;
	fuzz_assert((unsigned)l->kind < LW_ID__COUNT);
	fuzz_assert(l->value[0] != '\0');
	fuzz_assert(memchr(l->location, 0, sizeof(l->location)) != NULL);
	fuzz_assert(strncmp(l->location, "sip.", 4) == 0);
}

static void on_hit(const struct lw_ims_hit *h, void *user)
{
	size_t n = *(size_t *)user;

	fuzz_assert(h->off <= n && h->len <= n - h->off);
	fuzz_assert(h->value[0] != '\0');
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct lw_detect_config cfg = {.learn = false, .max_decode_bytes = 256 * 1024};

	(void)argc;
	(void)argv;
	engine = lw_detect_new(&cfg);
	if (!engine)
		fuzz_fail("cannot set up the engine");
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct lw_mac client = {{0x00, 0x00, 0x5e, 0x00, 0x53, 0x30}};
	struct lw_sip_msg *m = malloc(sizeof(*m)), *again;
	struct lw_str host;
	size_t i;
	int r;

	if (!engine)
		LLVMFuzzerInitialize(NULL, NULL);
	if (!m)
		return 0;
	in_begin = data;
	in_end = data + size;
	(void)lw_sip_looks_like(data, size);
	lw_detect_ims_find(data, size, on_hit, &size);
	r = lw_sip_parse(data, size, m);
	fuzz_assert(r == LW_NEED_MORE || r == -EBADMSG || (r > 0 && (size_t)r <= size));
	if (r <= 0) {
		free(m);
		return 0;
	}
	fuzz_assert(m->n_headers <= LW_SIP_MAX_HEADERS);
	fuzz_assert(m->content_length >= -1 && m->content_length <= LW_SIP_MAX_BODY);
	fuzz_assert(m->request ? m->method.len > 0 && m->uri.len > 0
			       : m->status >= 100 && m->status <= 699);
	check_view(&m->method);
	check_view(&m->uri);
	if (lw_sip_uri_host(m->uri, &host) == 0) {
		fuzz_assert(host.len > 0);
		check_view(&host);
	}
	for (i = 0; i < m->n_headers; i++) {
		check_view(&m->headers[i].name);
		check_view(&m->headers[i].value);
		fuzz_assert(lw_sip_header_label(&m->headers[i]).len > 0);
	}
	/* a prefix of the head (without its final LF) is incomplete, never malformed */
	again = malloc(sizeof(*again));
	if (again) {
		fuzz_assert(lw_sip_parse(data, (size_t)r - 1, again) == LW_NEED_MORE);
		fuzz_assert(lw_sip_parse(data, (size_t)r / 2, again) == LW_NEED_MORE);
		free(again);
	}
	fuzz_assert(lw_detect_sip(engine, &client, m, data + r, size - (size_t)r, true, on_leak,
				  NULL) >= 0);
	free(m);
	return 0;
}
