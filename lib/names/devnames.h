/* SPDX-License-Identifier: MIT */
/*
 * The names devices announced for themselves (mDNS, LLMNR, NBNS, DNS UPDATE), one entry per
 * (MAC, protocol, name), bounded per device and in total: a hostile device announcing a new
 * name in every packet fills its own share, not the table, and not the database.  Repeated
 * sightings are counted in the entry and handed out in batches (lw_devnames_flush), so a
 * device announcing its name a thousand times a second costs one row write per flush.
 */
#ifndef LW_NAMES_DEVNAMES_H
#define LW_NAMES_DEVNAMES_H

#include "core/types.h"

#define LW_DEVNAMES_NAME_MAX 256 /* with NUL */
#define LW_DEVNAMES_PROTO_MAX 8

struct lw_devnames_config {
	size_t per_device; /* names one MAC may hold; default 32 */
	size_t total; /* names in all; default 4096 */
	lw_time_us idle; /* a full table frees names unseen this long; default 24 h */
};

struct lw_devnames_entry {
	struct lw_mac mac;
	char proto[LW_DEVNAMES_PROTO_MAX];
	char name[LW_DEVNAMES_NAME_MAX];
	uint64_t pending; /* sightings not yet handed out */
	lw_time_us last_seen;
};

struct lw_devnames_stats {
	size_t entries;
	uint64_t refused_device; /* sightings of new names beyond a device's share */
	uint64_t refused_total; /* ... beyond the total */
};

struct lw_devnames;

struct lw_devnames *lw_devnames_new(const struct lw_devnames_config *cfg); /* NULL: defaults */
void lw_devnames_free(struct lw_devnames *t); /* NULL-safe */

/*
 * A sighting of name (proto) announced by mac at now.  1: a new name, counted as handed out
 * (the caller writes it at once); 0: a name already known, its sighting pending;
 * -ENOSPC: refused (the device's share or the table is full), counted; -EINVAL: empty or
 * overlong name or proto; -ENOMEM.
 */
int lw_devnames_see(struct lw_devnames *t, const struct lw_mac *mac, const char *proto,
		    const char *name, lw_time_us now);

/* Calls cb for every entry with pending sightings, then clears them. */
void lw_devnames_flush(struct lw_devnames *t,
		       void (*cb)(const struct lw_devnames_entry *e, void *user_data),
		       void *user_data);

const struct lw_devnames_stats *lw_devnames_get_stats(const struct lw_devnames *t);

#endif
