/* SPDX-License-Identifier: MIT */
/*
 * guard: addresses that never enter a block set, whatever names them.  Any device on the
 * network may send traffic that names a flagged domain (a forged DNS answer, a ClientHello to
 * any address); blocking the household's own resolver, its gateway or a LAN address for every
 * device would take the network down.  So, before an address is put in a set:
 *
 *   - never an address that is not a unicast host out there: unspecified, loopback, multicast,
 *     broadcast and reserved (240/4), IPv4 and IPv6 link-local, IPv4-mapped forms of those;
 *   - never inside the LAN prefixes (the caller's [flows] lan and the AP's own networks);
 *   - never an address the caller lists: the gateway, the resolvers the AP uses
 *     (/etc/resolv.conf) and the servers devices ask their DNS queries of.
 *
 * The table is a fixed array: LW_GUARD_MAX_* entries, further additions refused (-ENOSPC).
 */
#ifndef LW_BLOCK_GUARD_H
#define LW_BLOCK_GUARD_H

#include "core/types.h"
#include "flow/flow.h"

#define LW_GUARD_MAX_PREFIXES 32
#define LW_GUARD_MAX_ADDRS 64

struct lw_block_guard {
	size_t n_prefixes, n_addrs;
	struct lw_prefix prefixes[LW_GUARD_MAX_PREFIXES];
	struct lw_addr addrs[LW_GUARD_MAX_ADDRS];
	uint64_t refused; /* lw_block_guard_allows() answers of false */
};

void lw_block_guard_init(struct lw_block_guard *g);

/* 0, or -ENOSPC when the table is full; an entry already there is not added again. */
int lw_block_guard_add_prefix(struct lw_block_guard *g, const struct lw_prefix *p);
int lw_block_guard_add_addr(struct lw_block_guard *g, const struct lw_addr *a);

/*
 * Adds every "nameserver ADDR" of a resolv.conf text (comments, other keywords and bad lines
 * are skipped; a scoped "fe80::1%eth0" loses its scope).  The number added, or -ENOSPC.
 */
int lw_block_guard_add_resolv_conf(struct lw_block_guard *g, const char *text);

/* Whether a may go into a block set (false is counted in g->refused). */
bool lw_block_guard_allows(struct lw_block_guard *g, const struct lw_addr *a);

#endif
