/* SPDX-License-Identifier: MIT */
/*
 * budget: which addresses a flag keeps in the sets when it has no room for one more.
 *
 * A flag holds at most `max` addresses.  Addresses come from two kinds of places:
 *   - LW_BUDGET_LOOKUP: the daemon's own lookup of the flagged name (nobody on the network
 *     chose them);
 *   - LW_BUDGET_CLIENT: what one client's traffic showed (a DNS answer it received, the SNI,
 *     QUIC SNI or Host of a connection it opened), attributed to that client's address.
 * A client's addresses may take at most `per_client` places; past that its own soonest-expiring
 * address makes room.  A lookup's address is never refused for client addresses: the
 * soonest-expiring client address makes room.  So a client that sends forged answers or
 * ClientHellos can only push out its own addresses, never the ones that protect the others.
 */
#ifndef LW_BLOCK_BUDGET_H
#define LW_BLOCK_BUDGET_H

#include <stddef.h>

#include "core/types.h"

enum lw_budget_origin {
	LW_BUDGET_LOOKUP,
	LW_BUDGET_CLIENT,
};

struct lw_budget_entry {
	enum lw_budget_origin origin;
	struct lw_addr client; /* LW_BUDGET_CLIENT: whose share it counts in (family 0: unknown) */
	double until; /* when it leaves anyway */
};

struct lw_budget_limits {
	size_t max; /* entries in all */
	size_t per_client; /* entries of one client */
};

/*
 * Where cand goes among the n entries: n (there is room), i < n (entry i makes room: the
 * caller removes it, then adds cand), or -ENOSPC (refused: a client over its share with
 * nothing of its own to give up, or a full budget with nothing a candidate may push out).
 */
long lw_budget_place(const struct lw_budget_entry *e, size_t n, const struct lw_budget_entry *cand,
		     const struct lw_budget_limits *lim);

#endif
