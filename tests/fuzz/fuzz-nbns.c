/* SPDX-License-Identifier: MIT */
/* NetBIOS name service: lw_nbns_parse() on the input as one UDP payload. */
#include "fuzz.h"
#include "proto/nbns.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lw_nbns_msg m;

	if (lw_nbns_parse(data, size, &m) < 0) {
		fuzz_assert(m.name[0] == '\0' || m.type == 0);
		return 0;
	}
	fuzz_assert(fuzz_printable(m.name, sizeof(m.name)));
	fuzz_assert(strlen(m.name) <= 60);
	fuzz_assert(!m.has_nb || m.addr.family == 4);
	return 0;
}
