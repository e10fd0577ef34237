/* SPDX-License-Identifier: MIT */
/*
 * A build without the `block` option (or without `netlink`, which blockenv.c reads the layout
 * through): what blocking needs from the system is never gathered.  The daemon refuses
 * [block] enabled = true at its start in such a build, so these are not reached while it runs.
 */
#include "blockenv.h"

#include <errno.h>

void lw_blockenv_prepare(const struct lw_config *cfg)
{
}

int lw_blockenv_new(const char *ifname, struct lw_blockenv **out)
{
	*out = NULL;
	return -ENOTSUP;
}

void lw_blockenv_free(struct lw_blockenv *e)
{
}

int lw_blockenv_fd(const struct lw_blockenv *e)
{
	return -1;
}

bool lw_blockenv_dispatch(struct lw_blockenv *e)
{
	return false;
}

int lw_blockenv_facts(struct lw_blockenv *e, struct lw_layout_facts *f)
{
	*f = (struct lw_layout_facts){0};
	return -ENOTSUP;
}

enum lw_brnf lw_blockenv_brnf(bool fix, bool *fixed)
{
	if (fixed)
		*fixed = false;
	return LW_BRNF_NOT_NEEDED;
}
