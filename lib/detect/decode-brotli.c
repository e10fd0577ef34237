/* SPDX-License-Identifier: MIT */
/*
 * Bodies sent as Content-Encoding: br (RFC 7932), by libbrotlidec: the `brotli` option
 * (decode-brotli-none.c stands in without it).
 */
#include "detect/detect-int.h"

#include <brotli/decode.h>
#include <errno.h>

int lw_detect_brotli(const uint8_t *p, size_t n, uint8_t *out, size_t cap, size_t *out_len,
		     bool *budget_hit)
{
	/* libbrotlidec 1.0 has no reset: one instance per body (bodies sent as br are rare) */
	BrotliDecoderState *s = BrotliDecoderCreateInstance(NULL, NULL, NULL);
	size_t avail_in = n, avail_out = cap;
	const uint8_t *next_in = p;
	uint8_t *next_out = out;
	BrotliDecoderResult r;

	*out_len = 0;
	if (!s)
		return -ENOMEM;
	if (cap == 0) {
		BrotliDecoderDestroyInstance(s);
		return -EBADMSG;
	}
	r = BrotliDecoderDecompressStream(s, &avail_in, &next_in, &avail_out, &next_out, NULL);
	if (r == BROTLI_DECODER_RESULT_NEEDS_MORE_OUTPUT && avail_out == 0)
		*budget_hit = true;
	BrotliDecoderDestroyInstance(s);
	*out_len = cap - avail_out;
	if (r == BROTLI_DECODER_RESULT_ERROR && *out_len == 0)
		return -EBADMSG;
	return *out_len > 0 ? 0 : -EBADMSG;
}
