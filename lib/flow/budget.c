/* SPDX-License-Identifier: MIT */
#include "flow/budget.h"

#include <string.h>

#define MASK (LW_BUDGET_SLOTS - 1)

void lw_budget_init(struct lw_budget *b, size_t total_max)
{
	memset(b, 0, sizeof(*b));
	b->total_max = total_max;
}

/*
 * The index of key's entry, or of the free entry where it would go; LW_BUDGET_SLOTS when it
 * has none and may not take one (its bytes are the overflow's).
 */
static size_t find(const struct lw_budget *b, uint64_t key)
{
	size_t i, n;

	for (i = key & MASK, n = 0; n < LW_BUDGET_SLOTS; i = (i + 1) & MASK, n++) {
		if (b->slot[i].key == key)
			return i;
		if (b->slot[i].key == 0)
			return b->entries < LW_BUDGET_DEVICES ? i : LW_BUDGET_SLOTS;
	}
	return LW_BUDGET_SLOTS;
}

/* Frees entry i, moving back the entries after it that it kept from their place. */
static void remove_at(struct lw_budget *b, size_t i)
{
	size_t j = i, home;

	for (;;) {
		j = (j + 1) & MASK;
		if (b->slot[j].key == 0)
			break;
		home = b->slot[j].key & MASK;
		/* j's entry may move to i when its place is not in (i, j] (cyclically) */
		if ((i < j) ? (home <= i || home > j) : (home <= i && home > j)) {
			b->slot[i] = b->slot[j];
			i = j;
		}
	}
	b->slot[i].key = 0;
	b->slot[i].bytes = 0;
	b->entries--;
}

enum lw_budget_verdict lw_budget_take(struct lw_budget *b, uint64_t key, size_t n)
{
	struct lw_budget_dev *e;
	size_t i, *d, devices;

	if (n == 0)
		return LW_BUDGET_OK;
	key = key ? key : 1;
	i = find(b, key);
	e = i < LW_BUDGET_SLOTS ? &b->slot[i] : NULL;
	d = e ? &e->bytes : &b->overflow;
	devices = b->devices + (*d == 0);
	if (b->total_max && (b->used >= b->total_max || n > b->total_max - b->used))
		return LW_BUDGET_TOTAL;
	if (b->total_max && b->used + n > b->total_max / 4 * 3 &&
	    *d + n > b->total_max / (devices + 1))
		return LW_BUDGET_SHARE;
	if (*d == 0)
		b->devices++;
	if (e && e->key == 0) {
		e->key = key;
		b->entries++;
	}
	*d += n;
	b->used += n;
	if (b->used + b->floor > b->peak)
		b->peak = b->used + b->floor;
	return LW_BUDGET_OK;
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

/* Takes up to n of *d's bytes back; returns how many. */
static size_t give_from(struct lw_budget *b, size_t *d, size_t n)
{
	if (n > *d)
		n = *d;
	if (n == 0)
		return 0;
	*d -= n;
	b->used -= n;
	if (*d == 0)
		b->devices--;
	return n;
}

void lw_budget_give(struct lw_budget *b, uint64_t key, size_t n)
{
	size_t i;

	key = key ? key : 1;
	i = find(b, key);
	if (i < LW_BUDGET_SLOTS && b->slot[i].key == key) {
		n -= give_from(b, &b->slot[i].bytes, n);
		if (b->slot[i].bytes == 0)
			remove_at(b, i);
	}
	/* the rest was charged while the device found no entry */
	give_from(b, &b->overflow, n);
}

size_t lw_budget_device_used(const struct lw_budget *b, uint64_t key)
{
	size_t i;

	key = key ? key : 1;
	i = find(b, key);
	return i < LW_BUDGET_SLOTS && b->slot[i].key == key ? b->slot[i].bytes : b->overflow;
}
