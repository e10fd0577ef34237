/* SPDX-License-Identifier: MIT */
/*
 * The configuration file: the input as a leakwatch.conf read through lw_config_load_file()
 * (from memory).  An error must be one line naming the file; a success must leave every
 * number within the range its key allows.
 */
#include <string.h>

#include "config.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lw_config c;
	char err[512] = "";
	FILE *f;
	int r;

	if (size == 0)
		return 0;
	f = fmemopen((void *)data, size, "r");
	if (!f)
		return 0;
	lw_config_defaults(&c);
	r = lw_config_load_file(&c, f, "fuzz.conf", err, sizeof(err));
	fclose(f);
	if (r < 0) {
		fuzz_assert(strncmp(err, "fuzz.conf", 9) == 0);
		fuzz_assert(strchr(err, '\n') == NULL);
	} else {
		fuzz_assert(c.max_flows >= 16 && c.queue_max >= 64 && c.head_max >= 512);
		fuzz_assert(c.names_ttl_min <= c.names_ttl_max);
		fuzz_assert(c.n_lan <= LW_CONFIG_MAX_LAN && c.n_devices <= LW_CONFIG_MAX_DEVICES);
		fuzz_assert(memchr(c.interface, 0, sizeof(c.interface)) != NULL);
	}
	lw_config_release(&c);
	return 0;
}
