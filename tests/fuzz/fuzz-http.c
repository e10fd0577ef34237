/* SPDX-License-Identifier: MIT */
/*
 * HTTP/1.x requests: lw_http_parse_request() on the input.  Every view it returns lies inside
 * the input; a few prefixes of a complete head are re-parsed and must be incomplete (http.c
 * promises that no prefix of a valid head is malformed or complete).  The bytes after the head
 * go through the de-chunker when the head says chunked.
 */
#include <string.h>

#include "fuzz.h"
#include "proto/http.h"

static const uint8_t *in_begin, *in_end;

static void check_view(const struct lw_str *s)
{
	if (s->len == 0)
		return;
	fuzz_assert((const uint8_t *)s->p >= in_begin && (const uint8_t *)s->p <= in_end);
	fuzz_assert(s->len <= (size_t)(in_end - (const uint8_t *)s->p));
}

static void discard(const uint8_t *p, size_t len, void *user_data)
{
	size_t *total = user_data;

	fuzz_assert(p >= in_begin && len <= (size_t)(in_end - p));
	*total += len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lw_http_request *req = malloc(sizeof(*req)), *again;
	size_t i;
	int r;

	if (!req)
		return 0;
	in_begin = data;
	in_end = data + size;
	(void)lw_http_looks_like_request(data, size);
	r = lw_http_parse_request(data, size, req);
	fuzz_assert(r == LW_NEED_MORE || r == -EBADMSG || (r > 0 && (size_t)r <= size));
	if (r <= 0) {
		free(req);
		return 0;
	}
	fuzz_assert(r <= LW_HTTP_MAX_HEAD);
	fuzz_assert(req->n_headers <= LW_HTTP_MAX_HEADERS);
	fuzz_assert(req->version_minor == 0 || req->version_minor == 1);
	fuzz_assert(req->method.len > 0);
	check_view(&req->method);
	check_view(&req->target);
	check_view(&req->host);
	check_view(&req->content_encoding);
	check_view(&req->content_type);
	for (i = 0; i < req->n_headers; i++) {
		check_view(&req->headers[i].name);
		check_view(&req->headers[i].value);
	}
	(void)lw_http_header_get(req, "host");
	(void)lw_http_header_get(req, "content-length");

	again = malloc(sizeof(*again));
	for (i = 0; again && i < 4; i++) {
		size_t n = (size_t)data[(size_t)r - 1 - i % (size_t)r] * (size_t)r / 256;

		fuzz_assert(lw_http_parse_request(data, n, again) == LW_NEED_MORE);
	}
	free(again);

	if (req->chunked) {
		struct lw_http_chunked c = {0};
		size_t emitted = 0;
		int n = lw_http_chunked_feed(&c, data + r, size - (size_t)r, discard, &emitted);

		fuzz_assert(n == -EBADMSG || (n >= 0 && (size_t)n <= size - (size_t)r));
		if (n >= 0)
			fuzz_assert(emitted <= (size_t)n);
	}
	free(req);
	return 0;
}
