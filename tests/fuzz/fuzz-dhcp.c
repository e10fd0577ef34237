/* SPDX-License-Identifier: MIT */
/* DHCPv4: lw_dhcp_parse() on the input as one UDP payload. */
#include "fuzz.h"
#include "proto/dhcp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lw_dhcp_info d;
	size_t i;

	if (lw_dhcp_parse(data, size, &d) < 0)
		return 0;
	fuzz_assert(d.op == 1 || d.op == 2);
	fuzz_assert(fuzz_printable(d.hostname, sizeof(d.hostname)));
	fuzz_assert(fuzz_printable(d.vendor_class, sizeof(d.vendor_class)));
	fuzz_assert(fuzz_printable(d.client_id, sizeof(d.client_id)));
	for (i = 0; d.client_id[i]; i++)
		fuzz_assert((d.client_id[i] >= '0' && d.client_id[i] <= '9') ||
			    (d.client_id[i] >= 'a' && d.client_id[i] <= 'f'));
	fuzz_assert(i % 2 == 0);
	fuzz_assert(d.requested.family == 0 || d.requested.family == 4);
	return 0;
}
