/* SPDX-License-Identifier: MIT */
#include "budget.h"

#include <errno.h>

static bool same_client(const struct lw_budget_entry *a, const struct lw_budget_entry *b)
{
	return a->origin == LW_BUDGET_CLIENT && b->origin == LW_BUDGET_CLIENT &&
	       lw_addr_eq(&a->client, &b->client);
}

long lw_budget_place(const struct lw_budget_entry *e, size_t n, const struct lw_budget_entry *cand,
		     const struct lw_budget_limits *lim)
{
	long soonest = -1, own_soonest = -1;
	size_t own = 0, i;

	for (i = 0; i < n; i++) {
		if (e[i].origin != LW_BUDGET_CLIENT)
			continue;
		if (soonest < 0 || e[i].until < e[soonest].until)
			soonest = (long)i;
		if (same_client(&e[i], cand)) {
			own++;
			if (own_soonest < 0 || e[i].until < e[own_soonest].until)
				own_soonest = (long)i;
		}
	}
	if (cand->origin == LW_BUDGET_LOOKUP) {
		if (n < lim->max)
			return (long)n;
		return soonest >= 0 ? soonest : -ENOSPC;
	}
	if (own >= lim->per_client)
		return own_soonest >= 0 ? own_soonest : -ENOSPC;
	if (n < lim->max)
		return (long)n;
	return -ENOSPC;
}
