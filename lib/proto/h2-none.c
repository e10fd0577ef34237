/* SPDX-License-Identifier: MIT */
/*
 * A build without the `h2c` option (no libnghttp2 for HPACK): an h2c connection is known by its
 * preface (h2-preface.c) but its frames are not parsed; lw_h2_new fails, and the pipeline
 * scans what follows the preface as raw bytes, as it does a malformed h2c stream.
 */
#include <errno.h>

#include "proto/h2.h"

struct lw_h2 *lw_h2_new(void)
{
	errno = ENOTSUP;
	return NULL;
}

void lw_h2_free(struct lw_h2 *h)
{
}

int lw_h2_feed(struct lw_h2 *h, const uint8_t *p, size_t len, const struct lw_h2_sink *sink)
{
	return -ENOTSUP;
}
