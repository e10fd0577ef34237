/* SPDX-License-Identifier: MIT */
/*
 * The streaming de-chunker: the input (after its first byte) as a chunked body, fed once whole
 * and once in pieces of 1..256 bytes (byte 0 chooses).  Both must agree on the de-chunked
 * bytes, the bytes consumed, whether the final chunk was seen and whether it failed.
 */
#include <string.h>

#include "fuzz.h"
#include "proto/http.h"

struct sink {
	uint8_t *p;
	size_t len, cap;
};

static void collect(const uint8_t *p, size_t len, void *user_data)
{
	struct sink *s = user_data;

	fuzz_assert(len <= s->cap - s->len); /* de-chunked output never exceeds the input */
	memcpy(s->p + s->len, p, len);
	s->len += len;
}

/* Feeds body in pieces of 'step' bytes as a TCP stream would; returns consumed or -EBADMSG. */
static long feed(struct lw_http_chunked *c, const uint8_t *body, size_t len, size_t step,
		 struct sink *out)
{
	size_t off = 0;

	while (off < len) {
		size_t n = LW_MIN(step, len - off);
		int r = lw_http_chunked_feed(c, body + off, n, collect, out);

		if (r < 0)
			return r;
		fuzz_assert((size_t)r <= n);
		off += (size_t)r;
		if (c->done || (size_t)r < n)
			break; /* done, or it stops consuming: nothing more goes in */
	}
	return (long)off;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lw_http_chunked whole = {0}, pieces = {0};
	struct sink a = {0}, b = {0};
	long ra, rb;

	if (size < 1)
		return 0;
	a.cap = b.cap = size;
	a.p = malloc(size);
	b.p = malloc(size);
	if (!a.p || !b.p)
		goto out;
	ra = feed(&whole, data + 1, size - 1, size, &a);
	rb = feed(&pieces, data + 1, size - 1, (size_t)data[0] + 1, &b);
	fuzz_assert((ra < 0) == (rb < 0));
	fuzz_assert(whole.done == pieces.done);
	if (ra >= 0) {
		fuzz_assert(ra == rb);
		fuzz_assert(a.len == b.len && memcmp(a.p, b.p, a.len) == 0);
	} else {
		/* an error is sticky */
		fuzz_assert(lw_http_chunked_feed(&whole, data, size, collect, &a) == -EBADMSG);
	}
out:
	free(a.p);
	free(b.p);
	return 0;
}
