/* SPDX-License-Identifier: MIT */
/*
 * TLS ClientHello: the input as the start of a TLS stream (lw_tls_parse_stream), then as a
 * bare handshake message (lw_tls_parse_handshake, as QUIC CRYPTO carries it), then the stream
 * parser again on prefixes cut at a few places the input chooses, which must agree with what
 * the whole stream gave.
 */
#include <string.h>

#include "fuzz.h"
#include "proto/tls.h"

static void check(int r, size_t len, const struct lw_tls_hello *h)
{
	size_t i;

	fuzz_assert(r == LW_NEED_MORE || r == -EBADMSG || (r > 0 && (size_t)r <= len));
	if (r <= 0)
		return;
	fuzz_assert(fuzz_printable(h->sni, sizeof(h->sni)));
	fuzz_assert(fuzz_printable(h->alpn, sizeof(h->alpn)));
	for (i = 0; h->sni[i]; i++)
		fuzz_assert(!(h->sni[i] >= 'A' && h->sni[i] <= 'Z'));
	fuzz_assert(h->n_extensions <= LW_TLS_MAX_EXTENSIONS);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lw_tls_hello h, cut;
	int whole, r;
	size_t i;

	whole = lw_tls_parse_stream(data, size, &h);
	check(whole, size, &h);

	r = lw_tls_parse_handshake(data, size, &cut);
	check(r, size, &cut);

	/*
	 * A prefix of a valid stream is a valid incomplete one, or already holds the whole hello
	 * (the answer then counts the bytes of its last record that are there); from the end of
	 * that record on, the answer is the same.
	 */
	for (i = 0; whole > 0 && i < 4 && i < size; i++) {
		size_t n = (size_t)data[size - 1 - i] * size / 256;

		r = lw_tls_parse_stream(data, n, &cut);
		check(r, n, &cut);
		if (n >= (size_t)whole)
			fuzz_assert(r == whole);
		else
			fuzz_assert(r == LW_NEED_MORE || r == (int)n);
		if (r > 0)
			fuzz_assert(strcmp(cut.sni, h.sni) == 0 && strcmp(cut.alpn, h.alpn) == 0);
	}
	return 0;
}
