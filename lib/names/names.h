/* SPDX-License-Identifier: MIT */
/*
 * names: passive DNS.  Every A/AAAA answer a client receives is remembered per client with its
 * TTL, so that a flow from that client to that address — one with no SNI, QUIC SNI or Host —
 * still gets the name the client asked for.  The table is bounded: when full, a live entry
 * among a few candidates is replaced (counted), never one of a client holding fewer entries
 * than the one adding (else the add is refused, counted): one client resolving thousands of
 * names cannot flush another's.
 */
#ifndef LW_NAMES_H
#define LW_NAMES_H

#include "core/types.h"

struct lw_names_config {
	size_t max_entries; /* default 16384 */
	uint32_t ttl_min; /* seconds; answers are kept at least this long (default 300) */
	uint32_t ttl_max; /* and at most this long (default 86400) */
};

struct lw_names_stats {
	uint64_t added;
	uint64_t replaced; /* table full: a live entry was overwritten */
	uint64_t refused; /* table full and every candidate a smaller client's: not added */
	uint64_t hits;
	uint64_t misses;
};

/* Who asked: the client's MAC when the link layer shows it, else its address. */
struct lw_client_id {
	bool has_mac;
	struct lw_mac mac;
	struct lw_addr addr;
};

struct lw_names;

struct lw_names *lw_names_new(const struct lw_names_config *cfg); /* NULL cfg = defaults */
void lw_names_free(struct lw_names *n);

/* Remembers that client resolved name to addr at now with ttl seconds. */
void lw_names_add(struct lw_names *n, const struct lw_client_id *client, const struct lw_addr *addr,
		  const char *name, uint32_t ttl, lw_time_us now);

/* The name the client resolved for addr and that is still valid at now, or NULL. */
const char *lw_names_lookup(struct lw_names *n, const struct lw_client_id *client,
			    const struct lw_addr *addr, lw_time_us now);

const struct lw_names_stats *lw_names_get_stats(const struct lw_names *n);

#endif
