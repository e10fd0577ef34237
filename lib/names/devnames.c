/* SPDX-License-Identifier: MIT */
/*
 * Entries live in one array (grown by doubling up to the total) with an open-addressing index
 * of twice the total over it.  A device's share is counted by walking the entries only when a
 * new name arrives, which the share itself keeps rare.  When the table is full, entries idle
 * for cfg.idle are dropped (their sightings were handed out by the flushes since) and the
 * index rebuilt; if none is idle, the new name is refused.
 */
#include "names/devnames.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define DEVNAMES_PER_DEVICE 32
#define DEVNAMES_TOTAL 4096
#define DEVNAMES_IDLE (24 * 3600 * LW_USEC_PER_SEC)
#define SLOT_FREE UINT32_MAX

struct lw_devnames {
	struct lw_devnames_config cfg;
	struct lw_devnames_entry *e;
	size_t n, cap;
	uint32_t *index; /* 2 * cfg.total slots: entry numbers or SLOT_FREE */
	struct lw_devnames_stats stats;
};

static uint64_t key_hash(const struct lw_mac *mac, const char *proto, const char *name)
{
	return lw_hash(mac->b, 6) ^ lw_hash(proto, strlen(proto)) * 31 ^
	       lw_hash(name, strlen(name)) * 1000003;
}

static bool same(const struct lw_devnames_entry *e, const struct lw_mac *mac, const char *proto,
		 const char *name)
{
	return memcmp(e->mac.b, mac->b, 6) == 0 && strcmp(e->proto, proto) == 0 &&
	       strcmp(e->name, name) == 0;
}

/* The index slot holding the entry, or the free slot where it would go. */
static uint32_t *slot_of(struct lw_devnames *t, const struct lw_mac *mac, const char *proto,
			 const char *name)
{
	size_t cap = 2 * t->cfg.total, i = key_hash(mac, proto, name) % cap;

	while (t->index[i] != SLOT_FREE && !same(&t->e[t->index[i]], mac, proto, name))
		i = (i + 1) % cap;
	return &t->index[i];
}

struct lw_devnames *lw_devnames_new(const struct lw_devnames_config *cfg)
{
	struct lw_devnames *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	if (cfg)
		t->cfg = *cfg;
	if (!t->cfg.per_device)
		t->cfg.per_device = DEVNAMES_PER_DEVICE;
	if (!t->cfg.total)
		t->cfg.total = DEVNAMES_TOTAL;
	if (!t->cfg.idle)
		t->cfg.idle = DEVNAMES_IDLE;
	t->index = malloc(2 * t->cfg.total * sizeof(*t->index));
	if (!t->index) {
		free(t);
		return NULL;
	}
	memset(t->index, 0xff, 2 * t->cfg.total * sizeof(*t->index));
	return t;
}

void lw_devnames_free(struct lw_devnames *t)
{
	if (!t)
		return;
	free(t->e);
	free(t->index);
	free(t);
}

/* Drops the entries idle since before now - idle; rebuilds the index. */
static void expire(struct lw_devnames *t, lw_time_us now)
{
	size_t i, kept = 0;

	for (i = 0; i < t->n; i++)
		if (now - t->e[i].last_seen < t->cfg.idle || t->e[i].pending)
			t->e[kept++] = t->e[i];
	if (kept == t->n)
		return;
	t->n = kept;
	t->stats.entries = kept;
	memset(t->index, 0xff, 2 * t->cfg.total * sizeof(*t->index));
	for (i = 0; i < t->n; i++)
		*slot_of(t, &t->e[i].mac, t->e[i].proto, t->e[i].name) = (uint32_t)i;
}

int lw_devnames_see(struct lw_devnames *t, const struct lw_mac *mac, const char *proto,
		    const char *name, lw_time_us now)
{
	struct lw_devnames_entry *e;
	uint32_t *slot;
	size_t i, mine = 0;

	if (!name[0] || !proto[0] || strlen(name) >= LW_DEVNAMES_NAME_MAX ||
	    strlen(proto) >= LW_DEVNAMES_PROTO_MAX)
		return -EINVAL;
	slot = slot_of(t, mac, proto, name);
	if (*slot != SLOT_FREE) {
		e = &t->e[*slot];
		e->pending++;
		if (now > e->last_seen)
			e->last_seen = now;
		return 0;
	}
	for (i = 0; i < t->n; i++)
		if (memcmp(t->e[i].mac.b, mac->b, 6) == 0)
			mine++;
	if (mine >= t->cfg.per_device) {
		t->stats.refused_device++;
		return -ENOSPC;
	}
	if (t->n >= t->cfg.total) {
		expire(t, now);
		if (t->n >= t->cfg.total) {
			t->stats.refused_total++;
			return -ENOSPC;
		}
		slot = slot_of(t, mac, proto, name);
	}
	if (t->n == t->cap) {
		size_t cap = t->cap ? 2 * t->cap : 16;
		struct lw_devnames_entry *ne;

		if (cap > t->cfg.total)
			cap = t->cfg.total;
		ne = realloc(t->e, cap * sizeof(*ne));
		if (!ne)
			return -ENOMEM;
		t->e = ne;
		t->cap = cap;
	}
	e = &t->e[t->n];
	memset(e, 0, sizeof(*e));
	e->mac = *mac;
	memcpy(e->proto, proto, strlen(proto) + 1);
	memcpy(e->name, name, strlen(name) + 1);
	e->last_seen = now;
	*slot = (uint32_t)t->n++;
	t->stats.entries = t->n;
	return 1;
}

void lw_devnames_flush(struct lw_devnames *t,
		       void (*cb)(const struct lw_devnames_entry *e, void *user_data),
		       void *user_data)
{
	size_t i;

	if (!t)
		return;
	for (i = 0; i < t->n; i++) {
		if (!t->e[i].pending)
			continue;
		cb(&t->e[i], user_data);
		t->e[i].pending = 0;
	}
}

const struct lw_devnames_stats *lw_devnames_get_stats(const struct lw_devnames *t)
{
	return &t->stats;
}
