/* SPDX-License-Identifier: MIT */
#include "names/pending.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct entry {
	struct lw_pending_query q;
	uint64_t seq; /* insertion order: the oldest has the smallest */
};

struct lw_pending {
	struct lw_pending_config cfg;
	size_t n, cap;
	uint64_t seq;
	struct entry
		*e; /* cap entries (grown up to cfg.max_total), the first n in use, unordered */
	struct lw_pending_stats stats;
};

static const struct lw_pending_config defaults = {1024, 64, 30 * LW_USEC_PER_SEC};

static bool same_client(const struct lw_client_id *a, const struct lw_client_id *b)
{
	if (a->has_mac != b->has_mac)
		return false;
	if (a->has_mac)
		return memcmp(a->mac.b, b->mac.b, 6) == 0;
	return lw_addr_eq(&a->addr, &b->addr);
}

/* Every field an answer must agree on with its query. */
static bool same_key(const struct lw_pending_query *a, const struct lw_pending_query *b)
{
	if (a->has_server_mac && b->has_server_mac &&
	    memcmp(a->server_mac.b, b->server_mac.b, 6) != 0)
		return false;
	return a->id == b->id && a->qtype == b->qtype && a->client_port == b->client_port &&
	       a->server_port == b->server_port && same_client(&a->client, &b->client) &&
	       lw_addr_eq(&a->client_addr, &b->client_addr) &&
	       lw_addr_eq(&a->server_addr, &b->server_addr) && strcmp(a->qname, b->qname) == 0;
}

struct lw_pending *lw_pending_new(const struct lw_pending_config *cfg)
{
	struct lw_pending *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->cfg = cfg ? *cfg : defaults;
	if (t->cfg.max_total == 0)
		t->cfg.max_total = defaults.max_total;
	if (t->cfg.max_per_client == 0 || t->cfg.max_per_client > t->cfg.max_total)
		t->cfg.max_per_client = t->cfg.max_total;
	if (t->cfg.timeout <= 0)
		t->cfg.timeout = defaults.timeout;
	return t;
}

void lw_pending_free(struct lw_pending *t)
{
	if (!t)
		return;
	free(t->e);
	free(t);
}

static void take(struct lw_pending *t, size_t i, struct lw_pending_query *out)
{
	if (out)
		*out = t->e[i].q;
	t->e[i] = t->e[--t->n];
	t->stats.active = t->n;
}

/* The oldest entry, of client c when c is not NULL; t->n if none. */
static size_t oldest(const struct lw_pending *t, const struct lw_client_id *c, size_t *count)
{
	size_t i, best = t->n, k = 0;

	for (i = 0; i < t->n; i++) {
		if (c && !same_client(c, &t->e[i].q.client))
			continue;
		k++;
		if (best == t->n || t->e[i].seq < t->e[best].seq)
			best = i;
	}
	if (count)
		*count = k;
	return best;
}

int lw_pending_add(struct lw_pending *t, const struct lw_pending_query *q,
		   struct lw_pending_query *evicted)
{
	size_t i, mine = 0;
	int ret = 0;

	for (i = 0; i < t->n; i++) {
		if (same_key(&t->e[i].q, q)) { /* a retransmission: keep the first time */
			lw_time_us ts = t->e[i].q.ts;

			t->e[i].q = *q;
			t->e[i].q.ts = ts;
			return 0;
		}
	}
	i = oldest(t, &q->client, &mine);
	if (t->n == t->cap && t->cap < t->cfg.max_total) { /* room on demand: most hold a few */
		size_t cap = LW_MIN(t->cap ? 2 * t->cap : 16, t->cfg.max_total);
		struct entry *e = realloc(t->e, cap * sizeof(*e));

		if (e) {
			t->e = e;
			t->cap = cap;
		}
	}
	if (mine >= t->cfg.max_per_client) {
		take(t, i, evicted);
		t->stats.evicted_client++;
		ret = 1;
	} else if (t->n == t->cap) { /* full (or no memory for more) */
		take(t, oldest(t, NULL, NULL), evicted);
		t->stats.evicted_total++;
		ret = 1;
	}
	t->e[t->n].q = *q;
	t->e[t->n].seq = t->seq++;
	t->n++;
	t->stats.active = t->n;
	t->stats.added++;
	return ret;
}

int lw_pending_match(struct lw_pending *t, const struct lw_pending_query *a,
		     struct lw_pending_query *out)
{
	size_t i;

	for (i = 0; i < t->n; i++) {
		if (same_key(&t->e[i].q, a)) {
			take(t, i, out);
			t->stats.matched++;
			return 0;
		}
	}
	t->stats.unmatched++;
	return -ENOENT;
}

bool lw_pending_expected(const struct lw_pending *t, const struct lw_pending_query *a)
{
	bool any_client = !a->client.has_mac && a->client.addr.family == 0;

	for (size_t i = 0; i < t->n; i++) {
		struct lw_pending_query k = *a;

		if (any_client)
			k.client = t->e[i].q.client;
		if (same_key(&t->e[i].q, &k))
			return true;
	}
	return false;
}

/* Takes out the entries drop() selects, oldest first (so rows come out in query order). */
static size_t take_where(struct lw_pending *t, bool (*drop)(const struct entry *e, const void *arg),
			 const void *arg, lw_pending_fn fn, void *user_data, uint64_t *counter)
{
	size_t n = 0;

	for (;;) {
		size_t i, best = t->n;

		for (i = 0; i < t->n; i++)
			if (drop(&t->e[i], arg) && (best == t->n || t->e[i].seq < t->e[best].seq))
				best = i;
		if (best == t->n)
			return n;
		struct lw_pending_query q;

		take(t, best, &q);
		if (counter)
			(*counter)++;
		n++;
		if (fn)
			fn(&q, user_data);
	}
}

struct expire_arg {
	lw_time_us now, timeout;
};

static bool too_old(const struct entry *e, const void *arg)
{
	const struct expire_arg *x = arg;

	return x->now - e->q.ts >= x->timeout;
}

static bool of_flow(const struct entry *e, const void *arg)
{
	return e->q.flow_id == *(const uint64_t *)arg;
}

size_t lw_pending_expire(struct lw_pending *t, lw_time_us now, lw_pending_fn fn, void *user_data)
{
	struct expire_arg x = {now, t->cfg.timeout};

	if (t->n == 0)
		return 0;
	return take_where(t, too_old, &x, fn, user_data, &t->stats.timed_out);
}

size_t lw_pending_take_flow(struct lw_pending *t, uint64_t flow_id, lw_pending_fn fn,
			    void *user_data)
{
	if (t->n == 0)
		return 0;
	return take_where(t, of_flow, &flow_id, fn, user_data, NULL);
}

const struct lw_pending_stats *lw_pending_get_stats(const struct lw_pending *t)
{
	return &t->stats;
}
