/* SPDX-License-Identifier: MIT */
/*
 * A build without the `brotli` option (no libbrotlidec): bodies sent as br are not decoded,
 * so not searched (the body is counted as one that could not be decoded, as a corrupt one).
 */
#include "detect/detect-int.h"

#include <errno.h>

int lw_detect_brotli(const uint8_t *p, size_t n, uint8_t *out, size_t cap, size_t *out_len,
		     bool *budget_hit)
{
	*out_len = 0;
	return -ENOTSUP;
}
