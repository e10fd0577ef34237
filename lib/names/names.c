/* SPDX-License-Identifier: MIT */
#include "names/names.h"

#include <stdlib.h>
#include <string.h>

/*
 * Open addressing with a short probe window: an entry lives in one of PROBE slots after its
 * hash.  Adding reuses the same (client, addr) slot, else an empty or expired one, else a live
 * one, chosen fairly (below).  Lookups touch at most PROBE slots.
 *
 * Fairness: one client must not be able to flush the others' names by resolving thousands of
 * names itself.  The table counts the slots each client holds (owners, its own small table);
 * a live entry is evicted only for its own client or for a client holding fewer slots than
 * its owner — the biggest holder in the window goes first, then the one that expires first.
 * When every live entry in the window belongs to a client holding no more than the one
 * adding, the add is refused (counted): the flooding client recycles its own entries and
 * cannot take a quieter client's.
 */
#define PROBE 8

struct entry {
	uint64_t hash; /* 0 = empty */
	lw_time_us expires;
	struct lw_client_id client;
	struct lw_addr addr;
	char name[254];
};

/* Slots held per client: linear probing, deleted by backward shift (no tombstones). */
struct owner {
	uint64_t hash; /* 0 = empty */
	uint32_t count;
	struct lw_client_id client;
};

struct lw_names {
	struct lw_names_config cfg;
	size_t mask;
	struct entry *slots;
	size_t owner_mask; /* owners: twice the slots, so never more than half full */
	struct owner *owners;
	struct lw_names_stats stats;
};

/* Appends an address as family and only the bytes that family uses. */
static size_t put_addr(uint8_t *k, const struct lw_addr *a)
{
	size_t n = a->family == 4 ? 4 : 16;

	k[0] = a->family;
	memcpy(k + 1, a->b, n);
	return 1 + n;
}

/*
 * The key packed by hand: (has_mac, MAC or client address, address), each address as its
 * family and the bytes it uses — 12 bytes for a MAC and an IPv4 address rather than 41, so
 * SipHash runs two blocks instead of six.  The family and has_mac bytes keep the lengths
 * unambiguous.
 */
static uint64_t key_hash(const struct lw_client_id *c, const struct lw_addr *addr)
{
	uint8_t k[1 + 17 + 17];
	size_t n = 1;
	uint64_t h;

	k[0] = c->has_mac;
	if (c->has_mac) {
		memcpy(k + 1, c->mac.b, 6);
		n += 6;
	} else {
		n += put_addr(k + n, &c->addr);
	}
	n += put_addr(k + n, addr);
	h = lw_hash(k, n);
	return h ? h : 1;
}

static bool same_client(const struct lw_client_id *a, const struct lw_client_id *b)
{
	if (a->has_mac != b->has_mac)
		return false;
	if (a->has_mac)
		return memcmp(a->mac.b, b->mac.b, 6) == 0;
	return lw_addr_eq(&a->addr, &b->addr);
}

static uint64_t client_hash(const struct lw_client_id *c)
{
	uint8_t k[1 + 17];
	size_t n = 1;
	uint64_t h;

	k[0] = c->has_mac;
	if (c->has_mac) {
		memcpy(k + 1, c->mac.b, 6);
		n += 6;
	} else {
		n += put_addr(k + n, &c->addr);
	}
	h = lw_hash(k, n);
	return h ? h : 1;
}

/* The client's owner slot, or the empty slot where it would go. */
static struct owner *owner_slot(struct lw_names *n, const struct lw_client_id *c)
{
	uint64_t h = client_hash(c);
	size_t i = h & n->owner_mask;

	while (n->owners[i].hash != 0 &&
	       !(n->owners[i].hash == h && same_client(&n->owners[i].client, c)))
		i = (i + 1) & n->owner_mask;
	return &n->owners[i];
}

/* Slots the client holds now. */
static uint32_t owner_count(struct lw_names *n, const struct lw_client_id *c)
{
	struct owner *o = owner_slot(n, c);

	return o->hash ? o->count : 0;
}

static void owner_add(struct lw_names *n, const struct lw_client_id *c)
{
	struct owner *o = owner_slot(n, c);

	if (o->hash == 0) {
		o->hash = client_hash(c);
		o->client = *c;
		o->count = 0;
	}
	o->count++;
}

/* One slot fewer for the client; at 0 its owner slot is freed (backward shift). */
static void owner_remove(struct lw_names *n, const struct lw_client_id *c)
{
	struct owner *o = owner_slot(n, c);
	size_t i, j, home;

	if (o->hash == 0 || --o->count > 0)
		return;
	i = (size_t)(o - n->owners);
	for (j = (i + 1) & n->owner_mask; n->owners[j].hash != 0; j = (j + 1) & n->owner_mask) {
		home = n->owners[j].hash & n->owner_mask;
		/* j's entry may move to the hole at i when i lies on its probe path (home..j) */
		if (((j - home) & n->owner_mask) >= ((j - i) & n->owner_mask)) {
			n->owners[i] = n->owners[j];
			i = j;
		}
	}
	n->owners[i].hash = 0;
}

struct lw_names *lw_names_new(const struct lw_names_config *cfg)
{
	static const struct lw_names_config defaults = {16384, 300, 86400};
	struct lw_names *n = calloc(1, sizeof(*n));
	size_t size = 16;

	if (!n)
		return NULL;
	n->cfg = cfg ? *cfg : defaults;
	if (n->cfg.max_entries == 0)
		n->cfg.max_entries = defaults.max_entries;
	if (n->cfg.ttl_max < n->cfg.ttl_min)
		n->cfg.ttl_max = n->cfg.ttl_min;
	while (size < n->cfg.max_entries && size < ((size_t)1 << 30))
		size <<= 1;
	n->slots = calloc(size, sizeof(*n->slots));
	n->owners = calloc(size * 2, sizeof(*n->owners));
	if (!n->slots || !n->owners) {
		free(n->slots);
		free(n->owners);
		free(n);
		return NULL;
	}
	n->mask = size - 1;
	n->owner_mask = size * 2 - 1;
	return n;
}

void lw_names_free(struct lw_names *n)
{
	if (!n)
		return;
	free(n->slots);
	free(n->owners);
	free(n);
}

void lw_names_add(struct lw_names *n, const struct lw_client_id *client, const struct lw_addr *addr,
		  const char *name, uint32_t ttl, lw_time_us now)
{
	uint64_t h = key_hash(client, addr);
	struct entry *victim = NULL, *live = NULL, *e;
	uint32_t live_count = 0, c, mine = 0;
	bool have_mine = false;
	size_t i, len = strlen(name);

	if (len == 0 || len >= sizeof(victim->name))
		return;
	if (ttl < n->cfg.ttl_min)
		ttl = n->cfg.ttl_min;
	if (ttl > n->cfg.ttl_max)
		ttl = n->cfg.ttl_max;
	for (i = 0; i < PROBE; i++) {
		e = &n->slots[(h + i) & n->mask];
		if (e->hash == h && same_client(&e->client, client) && lw_addr_eq(&e->addr, addr)) {
			victim = e;
			break;
		}
		if (e->hash == 0 || e->expires <= now) {
			if (!victim || victim->hash != 0)
				victim = e;
			continue;
		}
		/* a live entry: its own client's first, else the biggest holder's */
		if (same_client(&e->client, client))
			c = UINT32_MAX;
		else
			c = owner_count(n, &e->client);
		if (!live || c > live_count || (c == live_count && e->expires < live->expires)) {
			live = e;
			live_count = c;
		}
	}
	if (!victim) {
		if (live_count != UINT32_MAX) {
			mine = owner_count(n, client);
			have_mine = true;
		}
		if (!live || (have_mine && live_count <= mine)) {
			n->stats.refused++;
			return;
		}
		victim = live;
		n->stats.replaced++;
	}
	if (victim->hash != h || !same_client(&victim->client, client) ||
	    !lw_addr_eq(&victim->addr, addr)) {
		if (victim->hash != 0)
			owner_remove(n, &victim->client);
		owner_add(n, client);
	}
	victim->hash = h;
	victim->client = *client;
	victim->addr = *addr;
	victim->expires = now + (lw_time_us)ttl * LW_USEC_PER_SEC;
	memcpy(victim->name, name, len + 1);
	n->stats.added++;
}

const char *lw_names_lookup(struct lw_names *n, const struct lw_client_id *client,
			    const struct lw_addr *addr, lw_time_us now)
{
	uint64_t h = key_hash(client, addr);
	size_t i;

	for (i = 0; i < PROBE; i++) {
		struct entry *e = &n->slots[(h + i) & n->mask];

		if (e->hash == h && e->expires > now && same_client(&e->client, client) &&
		    lw_addr_eq(&e->addr, addr)) {
			n->stats.hits++;
			return e->name;
		}
	}
	n->stats.misses++;
	return NULL;
}

const struct lw_names_stats *lw_names_get_stats(const struct lw_names *n)
{
	return &n->stats;
}
