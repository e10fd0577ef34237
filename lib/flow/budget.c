/* SPDX-License-Identifier: MIT */
#include "flow/budget.h"

#include <string.h>

void lw_budget_init(struct lw_budget *b, size_t total_max)
{
	memset(b, 0, sizeof(*b));
	b->total_max = total_max;
}

static size_t *place(struct lw_budget *b, uint64_t key)
{
	return &b->dev[key & (LW_BUDGET_SLOTS - 1)];
}

enum lw_budget_verdict lw_budget_take(struct lw_budget *b, uint64_t key, size_t n)
{
	enum lw_budget_verdict v = LW_BUDGET_OK;
	size_t *d = place(b, key), devices = b->devices + (*d == 0);

	if (n == 0)
		return LW_BUDGET_OK;
	if (b->total_max && (b->used >= b->total_max || n > b->total_max - b->used))
		v = LW_BUDGET_TOTAL;
	else if (b->total_max && b->used + n > b->total_max / 4 * 3 &&
		 *d + n > b->total_max / (devices + 1))
		v = LW_BUDGET_SHARE;
	if (v != LW_BUDGET_OK)
		return v;
	if (*d == 0)
		b->devices++;
	*d += n;
	b->used += n;
	if (b->used + b->floor > b->peak)
		b->peak = b->used + b->floor;
	return v;
}

void lw_budget_floor(struct lw_budget *b, size_t n, bool add)
{
	if (!add) {
		b->floor -= n < b->floor ? n : b->floor;
		return;
	}
	b->floor += n;
	if (b->used + b->floor > b->peak)
		b->peak = b->used + b->floor;
}

void lw_budget_give(struct lw_budget *b, uint64_t key, size_t n)
{
	size_t *d = place(b, key);

	if (n > *d)
		n = *d;
	if (n == 0)
		return;
	*d -= n;
	b->used -= n;
	if (*d == 0)
		b->devices--;
}

size_t lw_budget_device_used(const struct lw_budget *b, uint64_t key)
{
	return b->dev[key & (LW_BUDGET_SLOTS - 1)];
}
