/* SPDX-License-Identifier: MIT */
#include "seen.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "core/types.h"

struct lw_seen {
	size_t max, n, cap; /* cap: a power of two, at least twice max */
	uint64_t refused;
	uint64_t slot[]; /* 0 = empty (a hash of 0 is stored as 1) */
};

struct lw_seen *lw_seen_new(size_t max)
{
	struct lw_seen *s;
	size_t cap = 16;

	/* cap < 4 * max: the bound keeps 2 * max, cap * 2 and the allocation's size from
	 * wrapping around, on 32-bit targets as on 64-bit ones */
	if (max == 0 || max > (SIZE_MAX - sizeof(*s)) / (4 * sizeof(s->slot[0])))
		return NULL;
	while (cap < 2 * max)
		cap *= 2;
	s = calloc(1, sizeof(*s) + cap * sizeof(s->slot[0]));
	if (!s)
		return NULL;
	s->max = max;
	s->cap = cap;
	return s;
}

void lw_seen_free(struct lw_seen *s)
{
	free(s);
}

/* The slot of key's hash *h: where it is, or the free one where it would go. */
static size_t probe(const struct lw_seen *s, const void *key, size_t len, uint64_t *h)
{
	size_t i;

	*h = lw_hash(key, len);
	if (*h == 0)
		*h = 1;
	for (i = *h & (s->cap - 1); s->slot[i] && s->slot[i] != *h; i = (i + 1) & (s->cap - 1))
		;
	return i;
}

int lw_seen_add(struct lw_seen *s, const void *key, size_t len)
{
	uint64_t h;
	size_t i = probe(s, key, len, &h);

	if (s->slot[i] == h)
		return 0;
	if (s->n >= s->max) {
		s->refused++;
		return -ENOSPC;
	}
	s->slot[i] = h;
	s->n++;
	return 1;
}

bool lw_seen_has(const struct lw_seen *s, const void *key, size_t len)
{
	uint64_t h;

	return s->slot[probe(s, key, len, &h)] == h;
}

size_t lw_seen_count(const struct lw_seen *s)
{
	return s->n;
}

uint64_t lw_seen_refused(const struct lw_seen *s)
{
	return s->refused;
}
