/* SPDX-License-Identifier: MIT */
/* mDNS / LLMNR / DNS UPDATE names: lw_localnames_parse() on the input as one UDP payload. */
#include "fuzz.h"
#include "proto/localnames.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lw_localnames *m = malloc(sizeof(*m));
	size_t i, j;

	if (!m)
		return 0;
	if (lw_localnames_parse(data, size, m) == 0) {
		fuzz_assert(m->n_questions <= LW_LOCALNAMES_QUESTIONS);
		fuzz_assert(m->n_hosts <= LW_LOCALNAMES_HOSTS);
		for (i = 0; i < m->n_questions; i++)
			fuzz_assert(fuzz_printable(m->questions[i], LW_DNS_NAME_MAX));
		for (i = 0; i < m->n_hosts; i++) {
			fuzz_assert(m->hosts[i][0] != '\0');
			fuzz_assert(fuzz_printable(m->hosts[i], LW_DNS_NAME_MAX));
			fuzz_assert(m->host_section[i] <= LW_LOCALNAMES_AR);
			for (j = 0; j < i; j++) /* each name once */
				fuzz_assert(strcmp(m->hosts[i], m->hosts[j]) != 0);
		}
	}
	free(m);
	return 0;
}
