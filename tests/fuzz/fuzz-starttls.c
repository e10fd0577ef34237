/* SPDX-License-Identifier: MIT */
/*
 * STARTTLS family: the upgrade-command matcher, RDP's X.224 request and the ClientHello start
 * on the input; an RDP request's prefixes are incomplete, never malformed.
 */
#include "fuzz.h"
#include "proto/starttls.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	enum lw_starttls s = lw_starttls_command(data, size);
	int r = lw_starttls_rdp_request(data, size), c;
	size_t n;

	fuzz_assert(s >= LW_STARTTLS_NONE && s <= LW_STARTTLS_XMPP);
	fuzz_assert(r == LW_NEED_MORE || r == -EBADMSG ||
		    (r > 0 && (size_t)r <= size && r <= LW_STARTTLS_RDP_MAX));
	if (r > 0) {
		for (n = 0; n < (size_t)r; n += 1 + n / 4) {
			c = lw_starttls_rdp_request(data, n);
			fuzz_assert(c == LW_NEED_MORE);
		}
	}
	(void)lw_starttls_hello_start(data, size);
	return 0;
}
