/* SPDX-License-Identifier: MIT */
/* The stand-in of a build without the fleet: [fleet] enabled = yes is refused before this. */
#include "fleet.h"

#include <errno.h>

int lw_fleet_push_once(const char *config, const char *db, long timeout_s)
{
	(void)config;
	(void)db;
	(void)timeout_s;
	return -ENOTSUP;
}
