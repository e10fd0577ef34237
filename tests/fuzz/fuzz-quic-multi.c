/* SPDX-License-Identifier: MIT */
/*
 * QUIC over several datagrams of one connection: the input is split into parts (2-byte length
 * prefixes, fuzz.h), each fed in turn to one state, the way the pipeline feeds a flow's
 * upstream datagrams.  Once a call returns 1 every later call must return 1 with the same SNI.
 */
#include <string.h>

#include "fuzz.h"
#include "proto/quic.h"

#define MAX_DATAGRAMS 16 /* the pipeline's QUIC_DATAGRAMS_MAX */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_parts parts = fuzz_parts_make(data, size);
	struct lw_quic_state *s = lw_quic_state_new();
	struct lw_tls_hello h, first;
	const uint8_t *p;
	size_t len;
	uint32_t version;
	unsigned n = 0;
	bool done = false;
	int r;

	if (!s)
		return 0;
	while (n++ < MAX_DATAGRAMS && fuzz_parts_next(&parts, &p, &len)) {
		r = lw_quic_feed(s, p, len, &version, &h);
		if (done) {
			fuzz_assert(r == 1 && strcmp(h.sni, first.sni) == 0);
			continue;
		}
		if (r == 1) {
			fuzz_assert(fuzz_printable(h.sni, sizeof(h.sni)));
			first = h;
			done = true;
		}
	}
	lw_quic_state_free(s);
	return 0;
}
