/* SPDX-License-Identifier: MIT */
/*
 * Blocking policy (see block.h and README "Blocking").
 *
 * State, all on the loop's thread:
 * - flags: what is flagged now, sorted by (domain, mac) so that a name's flags are found by
 *   looking up the name and each of its parents.  The list is the union of the `flagged`
 *   table (re-read when PRAGMA data_version says another connection committed, or when a
 *   row's expires passes), the [block] domains of the configuration, and auto flags whose row
 *   the worker is still inserting.  A change is applied as a diff: new flags are resolved at
 *   once, removed ones take their addresses out of the sets at once.
 * - elems: the set elements leakwatch put in, with the time the kernel will time each out
 *   and how many (flag, address) pairs hold it; each flag lists its pairs and when each
 *   expires.  An element leaves the sets when its last pair goes (unflag: deleted at once;
 *   expiry: the kernel's timeout did it already).  Two flags on one address (a CDN) share
 *   the element.
 *
 * The kernel is told through one nft transaction per event (a DNS answer, a held packet, a
 * tick), committed before a held packet gets its verdict.  At start the table is taken over
 * with whatever a killed daemon left in its sets, which keep blocking until this daemon's
 * first lookups are done (or LW_BLOCK_SYNC_WAIT passed); then the sets are flushed and
 * refilled in one transaction, so a restart never opens a gap.
 *
 * The kernel's side (what is changed behind leakwatch's back, the AP's layout and the table's
 * family, the queue path, br_netfilter, and their report) is block-kernel.c.
 */
#include "block-int.h"

#include <errno.h>
#include <math.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "flow/flow.h"
#include "log.h"
#include "pipeline.h"
#include "proto/dns.h"

/* the kinds of the leaks table (DESIGN.md), for [block] auto_kinds */
static const char *const leak_kinds[] = {
	"imei",	 "imeisv", "meid",  "iccid", "imsi",	 "mac",	    "android_id",
	"ad_id", "serial", "phone", "email", "location", "cell_id", "custom",
};

double block_mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double block_wall_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const char *scope_str(const struct flag *f, char *buf)
{
	if (!f->has_mac)
		return "every device";
	return lw_mac_str(&f->mac, buf);
}

static int key_cmp(const char *da, bool ma, const struct lw_mac *a, const char *db, bool mb,
		   const struct lw_mac *b)
{
	int c = strcmp(da, db);

	if (c)
		return c;
	if (ma != mb)
		return ma ? 1 : -1;
	return ma ? memcmp(a->b, b->b, 6) : 0;
}

static int want_cmp(const void *x, const void *y)
{
	const struct want *a = x, *b = y;

	return key_cmp(a->domain, a->has_mac, &a->mac, b->domain, b->has_mac, &b->mac);
}

/*
 * A domain as a person wrote it -> the form flags use; a leading "*." is dropped (a domain
 * covers its subdomains anyway).  0 or -EINVAL.
 */
static int domain_normalize(const char *in, char out[LW_DNS_NAME_MAX])
{
	while (*in == ' ' || *in == '\t')
		in++;
	if (in[0] == '*' && in[1] == '.')
		in += 2;
	if (strlen(in) >= LW_DNS_NAME_MAX)
		return -EINVAL;
	snprintf(out, LW_DNS_NAME_MAX, "%s", in);
	{
		size_t n = strlen(out);

		while (n && (out[n - 1] == ' ' || out[n - 1] == '\t'))
			out[--n] = '\0';
	}
	if (lw_dns_name_normalize(out) < 0 || out[0] == '\0')
		return -EINVAL;
	return 0;
}

/* --- set elements --------------------------------------------------------------------- */

static size_t elem_bucket(const struct lw_block_elem *k)
{
	uint8_t buf[24];

	memset(buf, 0, sizeof(buf));
	buf[0] = k->has_mac;
	memcpy(buf + 1, k->mac.b, 6);
	buf[7] = k->addr.family;
	memcpy(buf + 8, k->addr.b, 16);
	return (size_t)(lw_hash(buf, sizeof(buf)) % ELEM_BUCKETS);
}

static bool elem_key_eq(const struct lw_block_elem *a, const struct lw_block_elem *b)
{
	return a->has_mac == b->has_mac && memcmp(a->mac.b, b->mac.b, 6) == 0 &&
	       lw_addr_eq(&a->addr, &b->addr);
}

struct elem *block_elem_get(struct lw_block *b, const struct lw_block_elem *k, bool create)
{
	size_t h = elem_bucket(k);
	struct elem *e;

	for (e = b->buckets[h]; e; e = e->next)
		if (elem_key_eq(&e->key, k))
			return e;
	if (!create)
		return NULL;
	if (b->n_elems >= LW_BLOCK_MAX_ELEMS) {
		if (!b->elems_full_logged)
			lw_log_warning("blocking: %d addresses in the sets; further ones are not "
				       "added",
				       LW_BLOCK_MAX_ELEMS);
		b->elems_full_logged = true;
		return NULL;
	}
	e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	e->key = *k;
	e->next = b->buckets[h];
	b->buckets[h] = e;
	b->n_elems++;
	return e;
}

static void elem_free(struct lw_block *b, struct elem *e)
{
	struct elem **pp = &b->buckets[elem_bucket(&e->key)];

	while (*pp && *pp != e)
		pp = &(*pp)->next;
	if (*pp)
		*pp = e->next;
	b->n_elems--;
	free(e);
}

static void record(struct lw_block *b, const struct elem *e, const char *domain, double until,
		   const char *reason, const char *action)
{
	struct lw_block_rec r;
	double now = block_mono_now();

	memset(&r, 0, sizeof(r));
	r.ts = block_wall_now();
	if (e->key.has_mac)
		lw_mac_str(&e->key.mac, r.mac);
	snprintf(r.domain, sizeof(r.domain), "%s", domain);
	lw_addr_str(&e->key.addr, r.ip);
	r.until = until > now ? r.ts + (until - now) : 0;
	snprintf(r.reason, sizeof(r.reason), "%s", reason);
	snprintf(r.action, sizeof(r.action), "%s", action);
	if (b->store)
		lw_store_put_block(b->store, &r);
}

uint32_t block_timeout_from(double until, double now)
{
	double t = ceil(until - now);

	if (t < 1)
		return 1;
	if (t > LW_BLOCK_TIMEOUT_MAX)
		return LW_BLOCK_TIMEOUT_MAX;
	return (uint32_t)t;
}

/*
 * Where an address came from.  NULL: the daemon's own lookup of the flagged name.  Otherwise
 * one client's traffic: client is its address (whose budget share it counts in); with
 * per_client the address is learned from the client's own SNI, QUIC SNI or Host, which names
 * what it likes: the element is for that client's MAC only, whatever the flag's scope.
 */
struct learned {
	const struct lw_addr *client;
	bool per_client;
	bool has_mac;
	struct lw_mac mac;
};

static void release_pair(struct lw_block *b, struct flag *f, size_t i, const char *why);

/* Room for one more pair of f (budget.h); false when refused (counted, logged once). */
static bool budget_room(struct lw_block *b, struct flag *f, const struct learned *from,
			double until)
{
	static const struct lw_budget_limits lim = {LW_BLOCK_MAX_ADDRS, LW_BLOCK_CLIENT_ADDRS};
	struct lw_budget_entry e[LW_BLOCK_MAX_ADDRS], cand;
	size_t i, n = f->n_pairs < LW_BLOCK_MAX_ADDRS ? f->n_pairs : LW_BLOCK_MAX_ADDRS;
	long r;

	for (i = 0; i < n; i++) {
		e[i].origin = f->pairs[i].origin;
		e[i].client = f->pairs[i].client;
		e[i].until = f->pairs[i].until;
	}
	memset(&cand, 0, sizeof(cand));
	cand.origin = from ? LW_BUDGET_CLIENT : LW_BUDGET_LOOKUP;
	if (from && from->client)
		cand.client = *from->client;
	cand.until = until;
	r = lw_budget_place(e, n, &cand, &lim);
	if (r >= 0 && (size_t)r == n)
		return true;
	if (r >= 0) {
		b->budget_evicted++;
		release_pair(b, f, (size_t)r, "budget");
		return true;
	}
	b->budget_refused++;
	if (!f->full_logged) {
		char c[LW_ADDR_STRLEN] = "";

		if (from && from->client)
			lw_addr_str(from->client, c);
		lw_log_warning("blocking %s: %d addresses (%d from one client); an address %s%s "
			       "is not added",
			       f->domain, LW_BLOCK_MAX_ADDRS, LW_BLOCK_CLIENT_ADDRS,
			       from ? "learned from " : "of a lookup", c);
	}
	f->full_logged = true;
	return false;
}

/* Puts (scope, addr) in the sets for timeout seconds from now, or extends it. */
static void hold_addr(struct lw_block *b, struct flag *f, const struct lw_addr *addr,
		      uint32_t timeout, const char *reason, const struct learned *from)
{
	struct lw_block_elem k;
	double now = block_mono_now(), until = now + timeout;
	struct pair *p = NULL;
	struct elem *e;
	bool fresh;
	size_t i;

	if (addr->family != 4 && addr->family != 6)
		return;
	if (!lw_block_guard_allows(&b->guard, addr)) {
		if (b->guard.refused == 1) {
			char txt[LW_ADDR_STRLEN];

			lw_log(LW_LOG_WARNING,
			       "block: not blocking %s (%s, %s): it is the LAN, this AP, its "
			       "gateway "
			       "or a resolver; further refusals are counted, not logged",
			       lw_addr_str(addr, txt), f->domain, reason);
		}
		return;
	}
	memset(&k, 0, sizeof(k));
	if (from && from->per_client) {
		/* a name the client chose: blocks that client, never the others */
		if (!from->has_mac || (f->has_mac && memcmp(f->mac.b, from->mac.b, 6) != 0)) {
			if (!from->has_mac)
				b->unscoped++;
			return;
		}
		k.has_mac = true;
		k.mac = from->mac;
	} else {
		k.has_mac = f->has_mac;
		if (f->has_mac)
			k.mac = f->mac;
	}
	k.addr = *addr;
	for (i = 0; i < f->n_pairs; i++)
		if (elem_key_eq(&f->pairs[i].e->key, &k))
			p = &f->pairs[i];
	if (p) {
		if (!from && p->origin != LW_BUDGET_LOOKUP) {
			p->origin = LW_BUDGET_LOOKUP; /* confirmed: no client can push it out */
			memset(&p->client, 0, sizeof(p->client));
		}
		if (until <= p->until)
			return;
		p->until = until;
		e = p->e;
	} else {
		if (!budget_room(b, f, from, until))
			return;
		if (f->n_pairs == f->cap_pairs) {
			size_t cap = f->cap_pairs ? f->cap_pairs * 2 : 8;
			struct pair *np = realloc(f->pairs, cap * sizeof(*np));

			if (!np)
				return;
			f->pairs = np;
			f->cap_pairs = cap;
		}
		e = block_elem_get(b, &k, true);
		if (!e)
			return;
		e->refs++;
		p = &f->pairs[f->n_pairs++];
		memset(p, 0, sizeof(*p));
		p->e = e;
		p->until = until;
		p->origin = from ? LW_BUDGET_CLIENT : LW_BUDGET_LOOKUP;
		if (from && from->client)
			p->client = *from->client;
	}
	fresh = e->kernel_until <= now;
	if (!fresh && until <= e->kernel_until + REFRESH_SLACK)
		return;
	if (lw_privc_nft_add(b->nft, &e->key, block_timeout_from(until, now)) < 0)
		return;
	if (until > e->kernel_until)
		e->kernel_until = until;
	if (fresh) {
		char a[LW_ADDR_STRLEN], m[LW_MAC_STRLEN];
		struct flag scope = {.has_mac = k.has_mac, .mac = k.mac};

		b->added++;
		record(b, e, f->domain, until, reason, "add");
		lw_log_debug("blocking %s (%s) for %s: %s, %u s", lw_addr_str(addr, a), f->domain,
			     scope_str(&scope, m), reason, timeout);
	}
}

/* Drops f's pair i; the element leaves the sets with its last pair. */
static void release_pair(struct lw_block *b, struct flag *f, size_t i, const char *why)
{
	struct elem *e = f->pairs[i].e;
	double now = block_mono_now();

	f->pairs[i] = f->pairs[--f->n_pairs];
	if (--e->refs)
		return;
	if (e->kernel_until > now + 0.5) {
		lw_privc_nft_del(b->nft, &e->key);
		record(b, e, f->domain, 0, why, "remove");
	} else {
		record(b, e, f->domain, 0, "expired", "remove");
	}
	b->removed++;
	elem_free(b, e);
}

void block_commit(struct lw_block *b)
{
	char err[256] = "";
	double now;

	if (!lw_privc_nft_pending(b->nft))
		return;
	if (lw_privc_nft_commit(b->nft, err, sizeof(err)) == 0)
		return;
	b->commit_errors++;
	b->synced = false; /* rebuild the sets from what we know at the next tick */
	b->sync_deadline = 0;
	now = block_mono_now();
	if (now - b->last_error_log >= ERROR_LOG_INTERVAL || b->last_error_log == 0) {
		lw_log_warning("blocking: nftables refused a change: %s", err);
		b->last_error_log = now;
	}
}

/*
 * Appends an add to the pending transaction; when that is full (more elements than one
 * transaction takes), sends what is pending first rather than leave the element out.
 */
void block_queue_add(struct lw_block *b, const struct lw_block_elem *k, uint32_t timeout)
{
	if (lw_privc_nft_add(b->nft, k, timeout) == -E2BIG) {
		block_commit(b);
		lw_privc_nft_add(b->nft, k, timeout);
	}
}

/*
 * Empties the sets and puts back what this daemon knows, in one transaction (several when
 * there are more elements than one takes: those past the first transaction's are back a few
 * milliseconds later).
 */
void block_resync(struct lw_block *b)
{
	double now = block_mono_now();
	size_t i;

	b->synced = true; /* a refused commit on the way clears it again */
	lw_privc_nft_flush_sets(b->nft);
	for (i = 0; i < ELEM_BUCKETS; i++) {
		struct elem *e;

		for (e = b->buckets[i]; e; e = e->next)
			if (e->kernel_until > now)
				block_queue_add(b, &e->key,
						block_timeout_from(e->kernel_until, now));
	}
	block_commit(b);
}

/* --- flags ---------------------------------------------------------------------------------- */

/* The flags whose domain is name or one of its parents, into b->match; returns how many. */
static size_t match_name(struct lw_block *b, const char *name, size_t have)
{
	const char *s;

	for (s = name; s && *s; s = lw_block_name_parent(s)) {
		size_t lo = 0, hi = b->n_flags;

		while (lo < hi) {
			size_t mid = (lo + hi) / 2;

			if (strcmp(b->flags[mid]->domain, s) < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		for (; lo < b->n_flags && strcmp(b->flags[lo]->domain, s) == 0; lo++) {
			size_t k;

			for (k = 0; k < have; k++)
				if (b->match[k] == b->flags[lo])
					break;
			if (k == have && have < LW_BLOCK_MAX_FLAGS)
				b->match[have++] = b->flags[lo];
		}
	}
	return have;
}

static void flag_free(struct flag *f)
{
	if (!f)
		return;
	free(f->pairs);
	free(f);
}

static void unflag(struct lw_block *b, struct flag *f)
{
	char m[LW_MAC_STRLEN];
	size_t n = f->n_pairs;

	while (f->n_pairs)
		release_pair(b, f, f->n_pairs - 1, "unflag");
	lw_log_info("unblocked %s for %s (%zu address%s taken out of the sets)", f->domain,
		    scope_str(f, m), n, n == 1 ? "" : "es");
	flag_free(f);
}

static void worker_submit(struct lw_block *b, const struct job *job, bool *ok);

static void request_resolve(struct lw_block *b, struct flag *f)
{
	bool ok = false;
	size_t i;

	/* one lookup answers every flag of that domain */
	for (i = 0; i < b->n_flags; i++)
		if (b->flags[i] != f && b->flags[i]->resolving &&
		    strcmp(b->flags[i]->domain, f->domain) == 0) {
			f->resolving = true;
			return;
		}
	{
		struct job j = {.kind = JOB_RESOLVE};

		snprintf(j.domain, sizeof(j.domain), "%s", f->domain);
		worker_submit(b, &j, &ok);
	}
	f->resolving = ok;
}

static void update_hold_rules(struct lw_block *b)
{
	bool want = b->hold && (b->hold_dns || b->hold_hello) && b->n_flags > 0;
	char err[256] = "";

	b->health.flagged = b->n_flags > 0;
	if (want == b->rules_on) {
		block_env_report(b);
		return;
	}
	if (!want) {
		lw_privc_rules_remove(&b->rules);
		b->rules_on = false;
		b->health.rules_on = false;
		lw_log_info("nothing flagged: DNS answers and new connections no longer held");
		block_env_report(b);
		return;
	}
	if (lw_privc_rules_install(&b->rules, err, sizeof(err)) < 0) {
		if (!b->rules_failed_logged)
			lw_log_warning("blocking without holding packets: %s", err);
		b->rules_failed_logged = true;
		b->health.rules_failed = true;
		b->health.via = LW_HOLD_VIA_NONE;
		block_env_report(b);
		return;
	}
	b->rules_on = true;
	b->health.rules_on = true;
	b->health.rules_failed = false;
	b->health.via = b->rules.via;
	block_env_report(b);
	if (b->health.hold_dns || b->health.hold_hello) {
		char holds[256];

		lw_block_health_holds(&b->health, holds, sizeof(holds));
		if (!strstr(holds, " on (")) {
			/* installed, but they would see nothing: say so, not "holding" */
			lw_log_warning("queue rules installed in NFQUEUE %u, but %s",
				       b->rules.queue, holds);
			return;
		}
	}
	lw_log_info("holding %s%s%s in NFQUEUE %u until their addresses are blocked (%s, table%s "
		    "%s_hold)",
		    b->hold_dns ? "DNS answers" : "", b->hold_dns && b->hold_hello ? " and " : "",
		    b->hold_hello ? "connection starts" : "", b->rules.queue,
		    b->rules.via == LW_HOLD_VIA_NFT ? "nft queue" : "xtables NFQUEUE target",
		    b->rules.via == LW_HOLD_VIA_NFT ? " inet"
		    : b->rules.v6		    ? "s ip and ip6"
						    : " ip",
		    b->table);
}

/*
 * Makes the flags what the rows, the configuration and the pending auto flags ask for now:
 * a merge of two sorted lists.
 */
static void apply(struct lw_block *b)
{
	struct flag **next;
	int64_t wall = (int64_t)block_wall_now();
	size_t nw = 0, i, j, nn = 0;

	/* the wants: rows not expired, the configuration, pending auto flags */
	for (i = 0; i < b->n_rows && nw < LW_BLOCK_MAX_FLAGS; i++)
		if (!b->rows[i].expires || b->rows[i].expires > wall)
			b->wants[nw++] = b->rows[i];
	for (i = 0; i < b->n_config && nw < LW_BLOCK_MAX_FLAGS; i++)
		b->wants[nw++] = b->config[i];
	for (i = 0; i < b->n_autos && nw < LW_BLOCK_MAX_FLAGS; i++) {
		struct want *w = &b->wants[nw++];

		memset(w, 0, sizeof(*w));
		snprintf(w->domain, sizeof(w->domain), "%s", b->autos[i].domain);
		w->has_mac = b->autos[i].has_mac;
		w->mac = b->autos[i].mac;
		snprintf(w->source, sizeof(w->source), "auto");
		snprintf(w->reason, sizeof(w->reason), "%s", b->autos[i].reason);
	}
	qsort(b->wants, nw, sizeof(*b->wants), want_cmp);

	next = calloc(LW_BLOCK_MAX_FLAGS, sizeof(*next));
	if (!next)
		return;
	i = j = 0;
	while (i < b->n_flags || j < nw) {
		const struct want *w = j < nw ? &b->wants[j] : NULL;
		struct flag *f = i < b->n_flags ? b->flags[i] : NULL;
		int c;

		if (w && j > 0 && want_cmp(w, &b->wants[j - 1]) == 0) {
			j++; /* the same flag from two places */
			continue;
		}
		c = !f	 ? 1
		    : !w ? -1
			 : key_cmp(f->domain, f->has_mac, &f->mac, w->domain, w->has_mac, &w->mac);
		if (c < 0) {
			unflag(b, f);
			i++;
		} else if (c == 0) {
			snprintf(f->source, sizeof(f->source), "%s", w->source);
			next[nn++] = f;
			i++;
			j++;
		} else {
			struct flag *nf = calloc(1, sizeof(*nf));
			char m[LW_MAC_STRLEN];

			j++;
			if (!nf)
				continue;
			snprintf(nf->domain, sizeof(nf->domain), "%s", w->domain);
			nf->has_mac = w->has_mac;
			nf->mac = w->mac;
			snprintf(nf->source, sizeof(nf->source), "%s", w->source);
			next[nn++] = nf;
			lw_log_info("blocking %s for %s (%s%s%s)", nf->domain, scope_str(nf, m),
				    w->source[0] ? w->source : "flagged", w->reason[0] ? ": " : "",
				    w->reason);
		}
	}
	free(b->flags);
	b->flags = next;
	b->n_flags = nn;
	/* new flags are looked up now; the list must be complete for request_resolve */
	for (i = 0; i < b->n_flags; i++)
		if (!b->flags[i]->resolving && b->flags[i]->next_resolve == 0)
			request_resolve(b, b->flags[i]);
	update_hold_rules(b);
	block_commit(b);
}

static bool bad_logged(struct lw_block *b, int64_t id)
{
	size_t i;

	for (i = 0; i < b->n_bad_ids; i++)
		if (b->bad_ids[i] == id)
			return true;
	if (b->n_bad_ids == BAD_LOGGED_MAX)
		b->n_bad_ids = 0; /* forget the old ones rather than grow */
	b->bad_ids[b->n_bad_ids++] = id;
	return false;
}

/* Reads the flagged table into b->rows; 1 when it was read, 0 unchanged, -1 on error. */
static int read_rows(struct lw_block *b)
{
	int64_t version;
	size_t n = 0, n_user = 0, n_auto = 0;
	int r;

	sqlite3_reset(b->q_version);
	if (sqlite3_step(b->q_version) != SQLITE_ROW)
		return -1;
	version = sqlite3_column_int64(b->q_version, 0);
	sqlite3_reset(b->q_version);
	if (b->rows_read && version == b->data_version)
		return 0;
	sqlite3_reset(b->q_rows);
	while ((r = sqlite3_step(b->q_rows)) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(b->q_rows, 0);
		const char *domain = (const char *)sqlite3_column_text(b->q_rows, 1);
		const char *mac = (const char *)sqlite3_column_text(b->q_rows, 2);
		const char *reason = (const char *)sqlite3_column_text(b->q_rows, 4);
		const char *source = (const char *)sqlite3_column_text(b->q_rows, 5);
		bool is_auto = source && strcmp(source, "auto") == 0;
		struct want *w;

		/* user rows first (oldest first), then auto rows (newest first): see the query */
		if (is_auto ? n_auto == LW_BLOCK_MAX_AUTO_FLAGS
			    : n_user == LW_BLOCK_MAX_USER_FLAGS) {
			if (!b->too_many_logged)
				lw_log_warning(
					"flagged: more than %d %s rows; the %s are ignored",
					is_auto ? LW_BLOCK_MAX_AUTO_FLAGS : LW_BLOCK_MAX_USER_FLAGS,
					is_auto ? "auto" : "user", is_auto ? "oldest" : "newest");
			b->too_many_logged = true;
			continue;
		}
		w = &b->rows[n];
		memset(w, 0, sizeof(*w));
		if (!domain || domain_normalize(domain, w->domain) < 0) {
			if (!bad_logged(b, id))
				lw_log_warning("flagged row %lld: '%.80s' is not a domain name "
					       "(letters, digits, '-' and '_' between dots); "
					       "ignored",
					       (long long)id, domain ? domain : "");
			continue;
		}
		if (mac && mac[0]) {
			if (lw_mac_parse(mac, &w->mac) < 0) {
				if (!bad_logged(b, id))
					lw_log_warning("flagged row %lld: mac '%.40s' is not a "
						       "MAC address; ignored",
						       (long long)id, mac);
				continue;
			}
			w->has_mac = true;
		}
		if (sqlite3_column_type(b->q_rows, 3) != SQLITE_NULL) {
			w->expires = sqlite3_column_int64(b->q_rows, 3);
			if (w->expires <= 0)
				w->expires = 1; /* a time in 1970: expired */
		}
		snprintf(w->reason, sizeof(w->reason), "%s", reason ? reason : "");
		snprintf(w->source, sizeof(w->source), "%s", source ? source : "user");
		n++;
		if (is_auto)
			n_auto++;
		else
			n_user++;
	}
	sqlite3_reset(b->q_rows);
	if (r != SQLITE_ROW && r != SQLITE_DONE)
		return -1;
	b->n_rows = n;
	b->rows_read = true;
	b->data_version = version;
	return 1;
}

/* The earliest expires still ahead among the rows (0: none), when the flags change again. */
static int64_t next_expiry(const struct lw_block *b, int64_t wall)
{
	int64_t next = 0;
	size_t i;

	for (i = 0; i < b->n_rows; i++) {
		int64_t e = b->rows[i].expires;

		if (e > wall && (!next || e < next))
			next = e;
	}
	return next;
}

/* Drops the pending auto flags whose row has appeared (or that waited too long). */
static bool autos_settle(struct lw_block *b)
{
	double now = block_mono_now();
	bool changed = false;
	size_t i = 0, k;

	while (i < b->n_autos) {
		bool seen = now - b->autos[i].since > AUTO_PENDING_WAIT;

		for (k = 0; k < b->n_rows && !seen; k++)
			if (b->rows[k].has_mac == b->autos[i].has_mac &&
			    (!b->autos[i].has_mac ||
			     memcmp(b->rows[k].mac.b, b->autos[i].mac.b, 6) == 0) &&
			    strcmp(b->rows[k].domain, b->autos[i].domain) == 0)
				seen = true;
		if (seen) {
			b->autos[i] = b->autos[--b->n_autos];
			changed = true;
		} else {
			i++;
		}
	}
	return changed;
}

static void poll_table(struct lw_block *b)
{
	int r = read_rows(b);

	if (r < 0) {
		if (!b->read_error_logged)
			lw_log_warning("flagged: cannot read the table: %s (retrying)",
				       sqlite3_errmsg(b->db));
		b->read_error_logged = true;
		return;
	}
	b->read_error_logged = false;
	if (r > 0 || (b->next_expiry && (int64_t)block_wall_now() >= b->next_expiry)) {
		b->next_expiry = next_expiry(b, (int64_t)block_wall_now());
		autos_settle(b);
		apply(b);
	} else if (b->n_autos && autos_settle(b)) {
		apply(b);
	}
}

/* --- the worker ------------------------------------------------------------------------------ */

/* getaddrinfo() in the resolver process: the parser may open no AF_INET socket */
static void do_resolve(struct result *res)
{
	res->status = lw_privc_resolve(res->domain, res->addrs, LW_BLOCK_RESOLVE_ADDRS, &res->n,
				       res->error, sizeof(res->error));
}

static void do_insert(struct worker *w, const struct job *j, struct result *res)
{
	sqlite3_stmt *st = NULL;
	int r;

	if (!w->rw) {
		r = sqlite3_open_v2(w->db_path, &w->rw, SQLITE_OPEN_READWRITE, NULL);
		if (r != SQLITE_OK) {
			snprintf(res->error, sizeof(res->error), "%s", sqlite3_errstr(r));
			sqlite3_close(w->rw);
			w->rw = NULL;
			res->status = -EIO;
			return;
		}
		sqlite3_busy_timeout(w->rw, 5000);
	}
	r = sqlite3_prepare_v2(
		w->rw,
		"INSERT OR IGNORE INTO flagged(domain, mac, reason, source, expires) "
		"VALUES (?1, ?3, ?2, 'auto', ?4)",
		-1, &st, NULL);
	if (r == SQLITE_OK) {
		sqlite3_bind_text(st, 1, j->domain, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, j->reason, -1, SQLITE_STATIC);
		if (j->mac[0])
			sqlite3_bind_text(st, 3, j->mac, -1, SQLITE_STATIC);
		if (j->expires)
			sqlite3_bind_int64(st, 4, j->expires);
		r = sqlite3_step(st);
	}
	if (r == SQLITE_DONE) {
		/* auto flags have their own cap: the oldest make room, user flags never do */
		sqlite3_finalize(st);
		st = NULL;
		r = sqlite3_prepare_v2(w->rw,
				       "DELETE FROM flagged WHERE source = 'auto' AND id NOT IN "
				       "(SELECT id FROM flagged WHERE source = 'auto' "
				       "ORDER BY id DESC LIMIT ?1)",
				       -1, &st, NULL);
		if (r == SQLITE_OK) {
			sqlite3_bind_int(st, 1, LW_BLOCK_MAX_AUTO_FLAGS);
			r = sqlite3_step(st);
		}
	}
	if (r != SQLITE_DONE) {
		snprintf(res->error, sizeof(res->error), "%s", sqlite3_errmsg(w->rw));
		res->status = -EIO;
	}
	sqlite3_finalize(st);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	uint64_t one = 1;

	pthread_mutex_lock(&w->mu);
	while (!w->stop) {
		struct job j;
		struct result res;

		if (w->j_n == 0) {
			pthread_cond_wait(&w->cv, &w->mu);
			continue;
		}
		j = w->jobs[w->j_head];
		w->j_head = (w->j_head + 1) % LW_BLOCK_JOBS;
		w->j_n--;
		pthread_mutex_unlock(&w->mu);

		memset(&res, 0, sizeof(res));
		res.kind = j.kind;
		snprintf(res.domain, sizeof(res.domain), "%s", j.domain);
		if (j.kind == JOB_RESOLVE)
			do_resolve(&res);
		else
			do_insert(w, &j, &res);

		pthread_mutex_lock(&w->mu);
		w->results[w->r_n++] = res;
		if (write(w->efd, &one, sizeof(one)) < 0) {
			/* the counter is full only if the loop stopped reading: nothing to do */
		}
	}
	pthread_mutex_unlock(&w->mu);
	if (w->rw)
		sqlite3_close(w->rw);
	w->rw = NULL;
	return NULL;
}

static void worker_submit(struct lw_block *b, const struct job *job, bool *ok)
{
	struct worker *w = b->w;
	struct job *j;

	*ok = false;
	if (!w)
		return;
	pthread_mutex_lock(&w->mu);
	if (w->in_flight < LW_BLOCK_JOBS) {
		j = &w->jobs[(w->j_head + w->j_n) % LW_BLOCK_JOBS];
		*j = *job;
		w->j_n++;
		w->in_flight++;
		*ok = true;
		pthread_cond_signal(&w->cv);
	}
	pthread_mutex_unlock(&w->mu);
}

static void on_result(struct lw_block *b, const struct result *res)
{
	double now = block_mono_now();
	size_t i;

	if (res->kind == JOB_INSERT) {
		if (res->status)
			lw_log_warning("auto-flag %s: cannot add the row to flagged: %s (blocked "
				       "until the daemon stops)",
				       res->domain, res->error);
		return;
	}
	for (i = 0; i < b->n_flags; i++) {
		struct flag *f = b->flags[i];
		size_t k;

		if (strcmp(f->domain, res->domain) != 0)
			continue;
		f->resolving = false;
		if (res->status) {
			f->next_resolve = now + (res->status == EAI_AGAIN ? RESOLVE_RETRY_AGAIN
									  : RESOLVE_RETRY_NONAME);
			lw_log_debug("looking up %s: %s", f->domain, res->error);
			continue;
		}
		f->next_resolve = now + RESOLVE_AHEAD * b->ttl_min;
		for (k = 0; k < res->n; k++)
			hold_addr(b, f, &res->addrs[k], b->ttl_min, "resolve", NULL);
	}
}

static void on_worker(int fd, unsigned events, void *user_data)
{
	struct lw_block *b = user_data;
	struct worker *w = b->w;
	uint64_t v;
	size_t n, i;

	(void)events;
	if (read(fd, &v, sizeof(v)) < 0) {
		/* EAGAIN: a spurious wake-up */
	}
	pthread_mutex_lock(&w->mu);
	n = w->r_n;
	memcpy(b->taken, w->results, n * sizeof(*b->taken));
	w->r_n = 0;
	w->in_flight -= n;
	pthread_mutex_unlock(&w->mu);
	for (i = 0; i < n; i++)
		on_result(b, &b->taken[i]);
	block_commit(b);
}

static int worker_start(struct lw_block *b, const char *db_path)
{
	struct worker *w = calloc(1, sizeof(*w));
	int r;

	if (!w)
		return -ENOMEM;
	w->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (w->efd < 0) {
		r = -errno;
		free(w);
		return r;
	}
	snprintf(w->db_path, sizeof(w->db_path), "%s", db_path);
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	r = pthread_create(&w->thread, NULL, worker_main, w);
	if (r != 0) {
		close(w->efd);
		free(w);
		return -r;
	}
	b->w = w;
	return 0;
}

static void worker_stop(struct worker *w)
{
	struct timespec ts;

	if (!w)
		return;
	pthread_mutex_lock(&w->mu);
	w->stop = true;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += WORKER_JOIN_WAIT;
	if (pthread_timedjoin_np(w->thread, NULL, &ts) != 0) {
		/* stuck in a lookup: it finishes on its own; its memory is left to the exit */
		pthread_detach(w->thread);
		return;
	}
	close(w->efd);
	pthread_mutex_destroy(&w->mu);
	pthread_cond_destroy(&w->cv);
	free(w);
}

/* --- events ---------------------------------------------------------------------------------- */

/* block.policy in meta: what the hostile-client limits refused so far (changes only). */
static void report_policy(struct lw_block *b)
{
	char v[sizeof(b->policy_last)];

	snprintf(v, sizeof(v),
		 "budget_refused=%llu budget_evicted=%llu unscoped=%llu auto_refused=%llu",
		 (unsigned long long)b->budget_refused, (unsigned long long)b->budget_evicted,
		 (unsigned long long)b->unscoped, (unsigned long long)b->auto_refused);
	if (strcmp(v, b->policy_last) == 0)
		return;
	snprintf(b->policy_last, sizeof(b->policy_last), "%s", v);
	if (b->store)
		lw_store_put_meta(b->store, "block.policy", v);
}

static void on_tick(void *user_data)
{
	struct lw_block *b = user_data;
	double now;
	size_t i, k;
	bool resolving = false;

	poll_table(b);
	now = block_mono_now();
	for (i = 0; i < b->n_flags; i++) {
		struct flag *f = b->flags[i];

		k = 0;
		while (k < f->n_pairs) {
			if (f->pairs[k].until <= now)
				release_pair(b, f, k, "expired");
			else
				k++;
		}
		if (!f->resolving && f->next_resolve <= now)
			request_resolve(b, f);
		resolving |= f->resolving;
	}
	if (!b->synced && (!resolving || now >= b->sync_deadline))
		block_resync(b);
	block_commit(b);
	/* a repair that failed is tried again from here (no notification may come) */
	if (b->watch)
		block_watch_read(b);
	block_env_tick(b);
	report_policy(b);
}

static const char *source_reason(enum lw_name_source s)
{
	switch (s) {
	case LW_NAME_SNI:
		return "sni";
	case LW_NAME_SIP:
		return "sip";
	case LW_NAME_QUIC:
		return "quic";
	case LW_NAME_HTTP:
		return "http";
	case LW_NAME_DNS:
		return "dns";
	case LW_NAME_SOCKS:
		return "socks";
	case LW_NAME_NONE:
	case LW_NAME_MDNS: /* local names never reach blocking (set_name) */
	case LW_NAME_LLMNR:
	case LW_NAME_NBNS:
	case LW_NAME_UPDATE:
		break;
	}
	return "name";
}

static enum lw_hold_verdict on_held(const struct lw_hold_packet *p, void *user_data)
{
	struct lw_block *b = user_data;
	enum lw_hold_verdict v = LW_HOLD_ACCEPT;
	struct learned from;
	size_t n = 0, i, k;

	if (b->n_flags == 0)
		return LW_HOLD_ACCEPT;
	if (p->dns) {
		const struct lw_dns_msg *m = p->dns;

		/* the question, and every name of the answer's CNAME chain */
		n = match_name(b, m->qname, 0);
		for (i = 0; i < m->n_answers; i++) {
			n = match_name(b, m->answers[i].name, n);
			if (m->answers[i].target[0])
				n = match_name(b, m->answers[i].target, n);
		}
		if (n == 0)
			return LW_HOLD_ACCEPT;
		b->held_dns++;
		/* an answer to a client: it counts in that client's share */
		memset(&from, 0, sizeof(from));
		from.client = &p->dst;
		for (i = 0; i < m->n_answers; i++) {
			const struct lw_dns_answer *a = &m->answers[i];

			if (!a->addr.family)
				continue;
			for (k = 0; k < n; k++)
				hold_addr(b, b->match[k], &a->addr,
					  lw_block_ttl_clamp(a->ttl, b->ttl_min, b->ttl_max), "dns",
					  &from);
		}
		block_commit(b);
		return LW_HOLD_ACCEPT;
	}
	if (!p->name)
		return LW_HOLD_ACCEPT;
	memset(&from, 0, sizeof(from));
	from.client = &p->src;
	from.per_client = true;
	from.has_mac = p->has_mac;
	if (p->has_mac)
		from.mac = p->src_mac;
	n = match_name(b, p->name, 0);
	for (k = 0; k < n; k++) {
		struct flag *f = b->match[k];

		hold_addr(b, f, &p->dst, b->ttl_min, source_reason(p->source), &from);
		if (!f->has_mac || (p->has_mac && memcmp(f->mac.b, p->src_mac.b, 6) == 0))
			v = LW_HOLD_DROP;
	}
	block_commit(b);
	if (v == LW_HOLD_DROP) {
		char a[LW_ADDR_STRLEN], m[LW_MAC_STRLEN] = "?";

		b->dropped_starts++;
		if (p->has_mac)
			lw_mac_str(&p->src_mac, m);
		lw_log_debug("dropped the start of %s's connection to %s (%s %s)", m,
			     lw_addr_str(&p->dst, a), source_reason(p->source), p->name);
	}
	return v;
}

/* --- pipeline hooks ---------------------------------------------------------------------- */

static void hook_dns(const struct lw_flow *f, const char *qname, const struct lw_addr *addr,
		     uint32_t ttl, void *user_data)
{
	struct lw_block *b = user_data;
	struct learned from = {.client = &f->client};
	size_t n, k;

	if (b->n_flags == 0)
		return;
	n = match_name(b, qname, 0);
	for (k = 0; k < n; k++)
		hold_addr(b, b->match[k], addr, lw_block_ttl_clamp(ttl, b->ttl_min, b->ttl_max),
			  "dns", &from);
	block_commit(b);
}

static void hook_named(const struct lw_flow *f, void *user_data)
{
	struct lw_block *b = user_data;
	struct learned from = {.client = &f->client, .per_client = true, .has_mac = f->has_mac};
	size_t n, k;

	if (b->n_flags == 0 || !f->domain[0])
		return;
	if (f->has_mac)
		from.mac = f->client_mac;
	n = match_name(b, f->domain, 0);
	for (k = 0; k < n; k++)
		hold_addr(b, b->match[k], &f->server, b->ttl_min, source_reason(f->name_source),
			  &from);
	block_commit(b);
}

/* Room for one more auto flag caused by mac within the hour (counts it); false when over. */
static bool auto_rate_take(struct lw_block *b, const struct lw_mac *mac, double now)
{
	struct auto_rate *r = NULL, *oldest = &b->auto_rates[0];
	size_t i;

	for (i = 0; i < AUTO_RATE_DEVICES && !r; i++) {
		struct auto_rate *x = &b->auto_rates[i];

		if (x->window && memcmp(x->mac.b, mac->b, 6) == 0)
			r = x;
		else if (x->window < oldest->window)
			oldest = x;
	}
	if (r && now - r->window >= AUTO_RATE_WINDOW) {
		r->window = now;
		r->n = 0;
	}
	if (!r) {
		/* a free slot, else the device whose hour began longest ago */
		r = oldest;
		r->mac = *mac;
		r->window = now;
		r->n = 0;
	}
	if (r->n >= b->auto_per_hour)
		return false;
	r->n++;
	return true;
}

static void hook_leak(const struct lw_flow *f, const char *kind, const char *value,
		      const char *confidence, void *user_data)
{
	struct lw_block *b = user_data;
	char domain[LW_DNS_NAME_MAX], m[LW_MAC_STRLEN];
	struct learned from = {.client = &f->client, .per_client = true};
	struct auto_flag *a;
	size_t i, n;
	bool ok;

	(void)value;
	if (!b->auto_mask || !f->domain[0])
		return;
	for (i = 0; i < LW_ARRAY_SIZE(leak_kinds); i++)
		if (strcmp(kind, leak_kinds[i]) == 0)
			break;
	if (i == LW_ARRAY_SIZE(leak_kinds) || !(b->auto_mask & (1u << i)))
		return;
	/*
	 * Anyone can send a made-up value that only looks like an identifier: only a value that
	 * passes the kind's check, or one known for the device, flags a domain.
	 */
	if (!confidence || (strcmp(confidence, "known") != 0 && strcmp(confidence, "validated")))
		return;
	/* the leaking device is the one the flag protects: without its MAC, no flag */
	if (!f->has_mac || domain_normalize(f->domain, domain) < 0) {
		b->auto_refused++;
		return;
	}
	from.has_mac = true;
	from.mac = f->client_mac;
	n = match_name(b, domain, 0);
	for (i = 0; i < n; i++)
		if (!b->match[i]->has_mac ||
		    (!b->auto_all && memcmp(b->match[i]->mac.b, f->client_mac.b, 6) == 0))
			return; /* already blocked for everyone, or for this device */
	if (b->n_autos == AUTO_PENDING_MAX ||
	    !auto_rate_take(b, &f->client_mac, block_mono_now())) {
		b->auto_refused++;
		return;
	}
	lw_mac_str(&f->client_mac, m);
	a = &b->autos[b->n_autos++];
	memset(a, 0, sizeof(*a));
	snprintf(a->domain, sizeof(a->domain), "%s", domain);
	snprintf(a->reason, sizeof(a->reason), "%s leaked by %s", kind, m);
	a->has_mac = !b->auto_all;
	a->mac = f->client_mac;
	a->since = block_mono_now();
	{
		struct job j = {.kind = JOB_INSERT};

		snprintf(j.domain, sizeof(j.domain), "%s", a->domain);
		snprintf(j.reason, sizeof(j.reason), "%s", a->reason);
		if (a->has_mac)
			lw_mac_str(&a->mac, j.mac);
		if (b->auto_expire)
			j.expires = (int64_t)block_wall_now() + b->auto_expire;
		worker_submit(b, &j, &ok);
	}
	apply(b);
	/* the server it just leaked to, at once, for the leaking device */
	n = match_name(b, domain, 0);
	for (i = 0; i < n; i++)
		if (!b->match[i]->has_mac || memcmp(b->match[i]->mac.b, f->client_mac.b, 6) == 0)
			hold_addr(b, b->match[i], &f->server, b->ttl_min, "auto", &from);
	block_commit(b);
}

void lw_block_hooks(struct lw_block *b, struct lw_pipeline_hooks *h)
{
	h->dns_answer = hook_dns;
	h->flow_named = hook_named;
	h->leak = hook_leak;
	h->user_data = b;
}

/* --- start and stop ------------------------------------------------------------------------ */

static int parse_config(struct lw_block *b, const struct lw_config *cfg)
{
	char *list, *save = NULL, *tok, kinds[sizeof(cfg->block_auto_kinds)];
	size_t i;

	b->config = calloc(LW_BLOCK_MAX_FLAGS, sizeof(*b->config));
	if (!b->config)
		return -ENOMEM;
	list = strdup(cfg->block_domains ? cfg->block_domains : "");
	if (!list)
		return -ENOMEM;
	for (tok = strtok_r(list, ", \t", &save); tok; tok = strtok_r(NULL, ", \t", &save)) {
		struct want *w = &b->config[b->n_config];

		if (b->n_config == LW_BLOCK_MAX_CONFIG_FLAGS) {
			lw_log_warning("[block] domains: more than %d; the rest are ignored",
				       LW_BLOCK_MAX_CONFIG_FLAGS);
			break;
		}
		memset(w, 0, sizeof(*w));
		if (domain_normalize(tok, w->domain) < 0) {
			lw_log_warning("[block] domains: '%.80s' is not a domain name; ignored",
				       tok);
			continue;
		}
		snprintf(w->source, sizeof(w->source), "config");
		b->n_config++;
	}
	free(list);
	snprintf(kinds, sizeof(kinds), "%s", cfg->block_auto_kinds);
	for (tok = strtok_r(kinds, ", \t", &save); tok; tok = strtok_r(NULL, ", \t", &save))
		for (i = 0; i < LW_ARRAY_SIZE(leak_kinds); i++)
			if (strcmp(tok, leak_kinds[i]) == 0)
				b->auto_mask |= 1u << i;
	return 0;
}

static int open_table(struct lw_block *b, const char *path, char *err, size_t errlen)
{
	int r = sqlite3_open_v2(path, &b->db, SQLITE_OPEN_READONLY, NULL);

	if (r != SQLITE_OK) {
		snprintf(err, errlen, "%s: cannot open for reading the flagged table: %s", path,
			 sqlite3_errstr(r));
		return -EIO;
	}
	/* the writer thread commits briefly; never hold the loop long behind it */
	sqlite3_busy_timeout(b->db, 100);
	if (sqlite3_prepare_v2(b->db, "PRAGMA data_version", -1, &b->q_version, NULL) !=
		    SQLITE_OK ||
	    sqlite3_prepare_v2(b->db,
			       "SELECT id, domain, mac, expires, reason, source FROM flagged "
			       "ORDER BY ifnull(source, '') = 'auto', "
			       "CASE WHEN source = 'auto' THEN -id ELSE id END",
			       -1, &b->q_rows, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path, sqlite3_errmsg(b->db));
		return -ENOENT;
	}
	return 0;
}

int lw_block_start(const struct lw_config *cfg, struct lw_loop *loop, struct lw_store *store,
		   struct lw_block **out, char *err, size_t errlen)
{
	struct lw_block *b;
	char e2[256] = "";
	int r;

	*out = NULL;
	if (!cfg->block_enabled) {
		block_env_meta_off(store); /* nothing of an earlier run may look current */
		return 0;
	}
	b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	b->loop = loop;
	b->store = store;
	if (lw_pipeline_guard_init(&b->guard, cfg) < 0)
		lw_log(LW_LOG_WARNING, "block: the table of addresses never blocked is full; "
				       "some LAN or resolver addresses are not protected");
	snprintf(b->ifname, sizeof(b->ifname), "%s", cfg->interface);
	for (size_t i = 0; i < LW_ARRAY_SIZE(b->meta_last); i++)
		b->meta_last[i][0] = '\n'; /* no value yet: the first report writes every key */
	snprintf(b->table, sizeof(b->table), "%s", cfg->block_table);
	b->ttl_min = (uint32_t)cfg->block_ttl_min;
	b->ttl_max = (uint32_t)cfg->block_ttl_max;
	b->keep_table = cfg->block_keep_table;
	b->auto_all = cfg->block_auto_all;
	b->auto_expire = (uint32_t)cfg->block_auto_expire;
	b->auto_per_hour = (uint32_t)cfg->block_auto_per_hour;
	b->hold_dns = cfg->block_dns_hold;
	b->hold_hello = cfg->block_hello_hold;
	b->rows = calloc(LW_BLOCK_MAX_FLAGS, sizeof(*b->rows));
	b->wants = calloc(LW_BLOCK_MAX_FLAGS, sizeof(*b->wants));
	b->match = calloc(LW_BLOCK_MAX_FLAGS, sizeof(*b->match));
	if (!b->rows || !b->wants || !b->match || parse_config(b, cfg) < 0) {
		r = -ENOMEM;
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	if (cfg->block_ttl_max < cfg->block_ttl_min) {
		r = -EINVAL;
		snprintf(err, errlen, "[block] ttl_max is below ttl_min");
		goto fail;
	}
	if (lw_family_mode_parse(cfg->block_family, &b->mode) < 0 ||
	    lw_queue_path_parse(cfg->block_queue_path, &b->rules.path) < 0) {
		r = -EINVAL;
		snprintf(err, errlen, "[block] family '%s' or queue_path '%s' unknown",
			 cfg->block_family, cfg->block_queue_path);
		goto fail;
	}
	/* the layout decides the family unless the configuration does */
	r = lw_blockenv_new(cfg->interface, &b->env);
	if (r < 0)
		lw_log_warning("blocking: cannot follow the layout of %s (rtnetlink: %s)",
			       cfg->interface, strerror(-r));
	block_env_facts(b);
	b->fam = b->mode == LW_FAMILY_INET     ? LW_BLOCK_INET
		 : b->mode == LW_FAMILY_BRIDGE ? LW_BLOCK_BRIDGE
					       : lw_layout_family(b->health.layout);
	lw_log_info("blocking: %s is %s (%s): table family %s%s", cfg->interface,
		    lw_layout_str(b->health.layout), b->layout_why, lw_block_family_str(b->fam),
		    b->mode == LW_FAMILY_AUTO ? " (auto)" : " ([block] family)");
	b->health.mode = b->mode;
	b->health.family = b->fam;
	b->health.want_path = b->rules.path;
	b->health.hold_dns = b->hold_dns;
	b->health.hold_hello = b->hold_hello;
	r = lw_privc_nft_open(b->fam, b->table, &b->nft, e2, sizeof(e2));
	if (r < 0) {
		if (r == -EPERM || r == -EACCES)
			snprintf(err, errlen,
				 "cannot create nftables table %s %s: %s; blocking needs root or "
				 "CAP_NET_ADMIN (or set [block] enabled = no)",
				 lw_block_family_str(b->fam), b->table, e2);
		else
			snprintf(err, errlen, "cannot create nftables table %s %s: %s",
				 lw_block_family_str(b->fam), b->table, e2[0] ? e2 : strerror(-r));
		goto fail;
	}
	b->health.table_ok = true;
	block_env_flowtables(b);
	r = lw_privc_watch_open(block_on_watch_elem, block_on_watch_settled, b, &b->watch, e2,
				sizeof(e2));
	if (r < 0)
		lw_log_warning("blocking: %s; what is removed from table %s %s behind leakwatch's "
			       "back is not put back",
			       e2, lw_block_family_str(b->fam), b->table);
	e2[0] = '\0';
	r = open_table(b, cfg->db_path, err, errlen);
	if (r < 0)
		goto fail;
	r = worker_start(b, cfg->db_path);
	if (r < 0) {
		snprintf(err, errlen, "cannot start the lookup thread: %s", strerror(-r));
		goto fail;
	}
	if (lw_loop_add_fd(loop, b->w->efd, on_worker, b) < 0 ||
	    (b->env && lw_loop_add_fd(loop, lw_blockenv_fd(b->env), block_on_env_fd, b) < 0) ||
	    lw_loop_add_timer(loop, LW_BLOCK_POLL_MS, on_tick, b) < 0) {
		r = -ENOSPC;
		snprintf(err, errlen, "event loop: no room");
		goto fail;
	}
	if (b->hold_dns || b->hold_hello) {
		snprintf(b->rules.table, sizeof(b->rules.table), "%s", b->table);
		b->rules.queue = (uint16_t)cfg->block_queue_num;
		b->rules.what = (b->hold_dns ? LW_HOLD_RULES_DNS : 0) |
				(b->hold_hello ? LW_HOLD_RULES_HELLO : 0);
		/* the privileged process reads the queue; held packets come here to be read */
		b->hold = lw_hold_new(on_held, b);
		if (!b->hold ||
		    lw_privc_queue_open(b->hold, &b->rules, (unsigned)cfg->block_hold_stall_ms, e2,
					sizeof(e2)) < 0) {
			lw_log_warning("blocking without holding packets: %s",
				       e2[0] ? e2 : "out of memory");
			lw_hold_free(b->hold);
			b->hold = NULL;
		}
	}
	b->health.hold_queue_ok = b->hold != NULL;
	if (b->hold) {
		/* which queue path this kernel takes, known now rather than at the first flag */
		e2[0] = '\0';
		if (lw_privc_rules_install(&b->rules, e2, sizeof(e2)) < 0) {
			lw_log_warning("blocking: the queue rules cannot be installed (queue_path "
				       "%s): %s",
				       cfg->block_queue_path, e2);
			b->health.rules_failed = true;
		} else {
			/* back when something is flagged */
			b->health.via = b->rules.via;
			lw_privc_rules_remove(&b->rules);
		}
		e2[0] = '\0';
	}
	block_env_brnf(b);
	b->sync_deadline = block_mono_now() + LW_BLOCK_SYNC_WAIT;
	poll_table(b);
	if (!b->rows_read) {
		r = -EIO;
		snprintf(err, errlen, "%s: cannot read the flagged table: %s", cfg->db_path,
			 sqlite3_errmsg(b->db));
		goto fail;
	}
	update_hold_rules(b); /* reports what blocking relies on, in the log and in meta */
	lw_log_info("blocking through nftables table %s %s: %zu flag%s%s",
		    lw_block_family_str(b->fam), b->table, b->n_flags, b->n_flags == 1 ? "" : "s",
		    b->hold ? "" : "; packets are not held");
	*out = b;
	return 0;
fail:
	lw_block_stop(b);
	return r;
}

void lw_block_stop(struct lw_block *b)
{
	size_t i;

	if (!b)
		return;
	/* first: what follows is this daemon's own doing */
	lw_privc_watch_close(b->watch);
	b->watch = NULL;
	lw_blockenv_free(b->env);
	b->env = NULL;
	if (b->rules_on)
		lw_privc_rules_remove(&b->rules);
	if (b->hold) {
		struct lw_hold_stats hs;

		lw_hold_get_stats(b->hold, &hs);
		if (hs.packets)
			lw_log_info("held %llu packets: %llu DNS answers for flagged names, %llu "
				    "connection starts dropped",
				    (unsigned long long)hs.packets, (unsigned long long)b->held_dns,
				    (unsigned long long)b->dropped_starts);
		lw_privc_queue_close();
		lw_hold_free(b->hold);
	}
	worker_stop(b->w);
	if (b->nft && !b->keep_table && !lw_privc_handing_over()) {
		/* the table goes: every element leaves the sets */
		for (i = 0; i < b->n_flags; i++) {
			struct flag *f = b->flags[i];
			size_t k;

			for (k = 0; k < f->n_pairs; k++)
				if (--f->pairs[k].e->refs == 0)
					record(b, f->pairs[k].e, f->domain, 0, "exit", "remove");
		}
	}
	if (b->commit_errors)
		lw_log_warning("blocking: %llu nftables changes were refused",
			       (unsigned long long)b->commit_errors);
	if (b->repairs)
		lw_log_info("blocking: put back what was removed from its nftables tables behind "
			    "its back %llu time%s",
			    (unsigned long long)b->repairs, b->repairs == 1 ? "" : "s");
	lw_privc_nft_close(b->nft, b->keep_table);
	for (i = 0; i < b->n_flags; i++)
		flag_free(b->flags[i]);
	free(b->flags);
	for (i = 0; i < ELEM_BUCKETS; i++)
		while (b->buckets[i]) {
			struct elem *e = b->buckets[i];

			b->buckets[i] = e->next;
			free(e);
		}
	sqlite3_finalize(b->q_version);
	sqlite3_finalize(b->q_rows);
	sqlite3_close(b->db);
	free(b->rows);
	free(b->wants);
	free(b->match);
	free(b->config);
	free(b);
}
