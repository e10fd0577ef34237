/* SPDX-License-Identifier: MIT */
/*
 * SOCKS client handshakes: lw_socks_parse_client on the input, then on prefixes cut where the
 * input chooses: a prefix of a handshake is incomplete (or already malformed where the whole
 * is), and a longer input gives the same handshake.
 */
#include <string.h>

#include "fuzz.h"
#include "proto/socks.h"

static void check(int r, size_t len, const struct lw_socks_request *s)
{
	fuzz_assert(r == LW_NEED_MORE || r == -EBADMSG || (r > 0 && (size_t)r <= len));
	if (r <= 0)
		return;
	fuzz_assert(s->version == 4 || s->version == 5);
	fuzz_assert(s->cmd >= 1 && s->cmd <= 3);
	fuzz_assert(memchr(s->host, 0, sizeof(s->host)) != NULL);
	fuzz_assert(s->host[0] != 0 || s->addr.family == 4 || s->addr.family == 6);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lw_socks_request whole, cut;
	int w, r;
	size_t i;

	w = lw_socks_parse_client(data, size, &whole);
	check(w, size, &whole);
	for (i = 0; i < 4 && i < size; i++) {
		size_t n = (size_t)data[size - 1 - i] * size / 256;

		r = lw_socks_parse_client(data, n, &cut);
		check(r, n, &cut);
		if (w > 0 && n >= (size_t)w)
			fuzz_assert(r == w && strcmp(cut.host, whole.host) == 0 &&
				    cut.port == whole.port);
		else if (w > 0)
			fuzz_assert(r == LW_NEED_MORE);
		else if (w == LW_NEED_MORE)
			fuzz_assert(r == LW_NEED_MORE);
	}
	return 0;
}
