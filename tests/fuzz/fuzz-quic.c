/* SPDX-License-Identifier: MIT */
/*
 * QUIC: the input as one client datagram to a fresh connection state (lw_quic_feed), and
 * lw_quic_is_initial on it.  Mutated Initials rarely survive the AEAD; fuzz-quic-frames
 * reaches the decrypted side.
 */
#include "fuzz.h"
#include "proto/quic.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lw_quic_state *s = lw_quic_state_new();
	struct lw_tls_hello h;
	uint32_t version;
	int r;

	if (!s)
		return 0;
	(void)lw_quic_is_initial(data, size);
	r = lw_quic_feed(s, data, size, &version, &h);
	fuzz_assert(r == 0 || r == 1 || r == -EBADMSG || r == -EPROTONOSUPPORT || r == -EMSGSIZE ||
		    r == -EIO);
	if (r == 1)
		fuzz_assert(fuzz_printable(h.sni, sizeof(h.sni)));
	lw_quic_state_free(s);
	return 0;
}
