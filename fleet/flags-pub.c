/* SPDX-License-Identifier: MIT */
/*
 * The collector's side of the flags (flags-pub.h): the central flags into the KV bucket.
 *
 * Every sync reads the central rows (a small table); when they are what the last complete
 * sync put, nothing more is done, except once a minute, when the bucket itself is compared
 * with them (a key put or deleted by hand, a bucket recreated, another collector's older
 * view).  The comparison reads the bucket's keys and each flag's entry, and puts only a value
 * that differs: the watching access points see a change only when there is one.
 */
#include "flags-pub.h"

#include "conn.h"
#include "fleet/flag.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* s between comparisons of the bucket itself with the central rows */
#define FULL_EVERY_S 60
#define NS_PER_S 1000000000LL

/*
 * The central table (collect.c's flagged) made easy to write by hand: an id from a sequence
 * of its own (an access point's rows have its rowids, but under their own ap: the key
 * (ap, id) keeps them apart), the source 'central' and the time added.
 */
const char lw_flags_pub_sql[] =
	"CREATE SEQUENCE IF NOT EXISTS flagged_central_id;\n"
	"ALTER TABLE flagged ALTER COLUMN id SET DEFAULT nextval('flagged_central_id');\n"
	"ALTER TABLE flagged ALTER COLUMN source SET DEFAULT 'central';\n"
	"ALTER TABLE flagged ALTER COLUMN added SET DEFAULT extract(epoch FROM now())::bigint;\n"
	"CREATE INDEX IF NOT EXISTS flagged_central ON flagged(domain) WHERE ap = '*';\n";

struct want {
	char key[LW_FLEET_FLAG_KEY_MAX];
	uint8_t val[LW_FLEET_FLAG_VALUE_MAX];
	int len;
};

/* the bucket bound, or made when it is not there */
static int bind_bucket(struct lw_flags_pub *p)
{
	natsStatus s =
		lw_fleet_kv_bucket(&p->kv, p->js, p->bucket, p->replicas, LW_FLEET_FLAG_VALUE_MAX);

	if (s != NATS_OK) {
		/* a node just lost, a leader being elected: not a reason to stop collecting */
		if (!p->err_logged)
			fprintf(stderr,
				"%s: flags: cannot open or create the bucket %s (%d replicas): %s; "
				"trying again\n",
				p->prog, p->bucket, p->replicas, lw_fleet_nats_err(s));
		p->err_logged = true;
		p->kv = NULL;
		return -EIO;
	}
	return 0;
}

int lw_flags_pub_open(struct lw_flags_pub *p, jsCtx *js, const char *bucket, int replicas,
		      const char *prog)
{
	memset(p, 0, sizeof(*p));
	p->js = js;
	p->bucket = bucket;
	p->replicas = replicas;
	p->prog = prog;
	return bind_bucket(p);
}

static uint64_t hash_bytes(uint64_t h, const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++) {
		h ^= b[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

/* The central rows as flags; their number, or -EIO. */
static int read_central(struct lw_flags_pub *p, PGconn *pg, struct want *w)
{
	PGresult *r = PQexec(pg, "SELECT id, domain, mac, reason, expires FROM flagged "
				 "WHERE ap = '*' ORDER BY id DESC");
	int rows, n = 0;
	uint64_t bad = 0;

	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		if (!p->err_logged) {
			const char *e = PQresultErrorMessage(r);

			fprintf(stderr, "%s: flags: cannot read the central flags: %.*s\n", p->prog,
				(int)strcspn(e, "\n"), e);
			p->err_logged = true;
		}
		PQclear(r);
		return -EIO;
	}
	rows = PQntuples(r);
	for (int i = 0; i < rows; i++) {
		struct lw_fleet_flag f;
		const char *why = NULL;
		int64_t ex = 0;
		bool dup = false;

		if (!PQgetisnull(r, i, 4))
			ex = strtoll(PQgetvalue(r, i, 4), NULL, 10);
		if (lw_fleet_flag_make(&f, PQgetisnull(r, i, 1) ? NULL : PQgetvalue(r, i, 1),
				       PQgetisnull(r, i, 2) ? NULL : PQgetvalue(r, i, 2),
				       PQgetisnull(r, i, 3) ? NULL : PQgetvalue(r, i, 3),
				       PQgetisnull(r, i, 4) ? NULL : &ex, &why) < 0) {
			if (!p->bad_logged)
				fprintf(stderr,
					"%s: flags: central flag id %s ('%.80s'): %s; not "
					"published (only the first is logged; all are counted)\n",
					p->prog, PQgetvalue(r, i, 0), PQgetvalue(r, i, 1), why);
			p->bad_logged = true;
			bad++;
			continue;
		}
		if (n == LW_FLEET_FLAGS_MAX) {
			if (!p->full_logged)
				fprintf(stderr,
					"%s: flags: more than %d central flags; the oldest are not "
					"published\n",
					p->prog, LW_FLEET_FLAGS_MAX);
			p->full_logged = true;
			break;
		}
		lw_fleet_flag_key(&f, w[n].key, sizeof(w[n].key));
		/* two rows for one (domain, mac): the newest (highest id) is the flag */
		for (int j = 0; j < n && !dup; j++)
			dup = strcmp(w[j].key, w[n].key) == 0;
		if (dup)
			continue;
		w[n].len = lw_fleet_flag_encode(&f, w[n].val, sizeof(w[n].val));
		if (w[n].len > 0)
			n++;
	}
	PQclear(r);
	p->bad_rows = bad;
	return n;
}

static int cmp_want(const void *a, const void *b)
{
	return strcmp(((const struct want *)a)->key, ((const struct want *)b)->key);
}

/* The bucket made equal to w[0..n) (sorted by key). */
static int reconcile(struct lw_flags_pub *p, struct want *w, int n)
{
	kvKeysList keys = {0};
	kvWatchOptions o;
	natsStatus s;
	uint64_t put = 0, deleted = 0;

	kvWatchOptions_Init(&o);
	o.Timeout = 10000;
	s = kvStore_Keys(&keys, p->kv, &o);
	if (s != NATS_OK && s != NATS_NOT_FOUND)
		goto fail;
	s = NATS_OK;
	for (int i = 0; i < n && s == NATS_OK; i++) {
		kvEntry *e = NULL;
		bool same;

		s = kvStore_Get(&e, p->kv, w[i].key);
		if (s != NATS_OK && s != NATS_NOT_FOUND)
			break;
		same = s == NATS_OK && kvEntry_ValueLen(e) == w[i].len &&
		       memcmp(kvEntry_Value(e), w[i].val, (size_t)w[i].len) == 0;
		kvEntry_Destroy(e);
		s = NATS_OK;
		if (same)
			continue;
		s = kvStore_Put(NULL, p->kv, w[i].key, w[i].val, w[i].len);
		put++;
	}
	for (int i = 0; i < keys.Count && s == NATS_OK; i++) {
		struct want k;

		snprintf(k.key, sizeof(k.key), "%s", keys.Keys[i]);
		if (strlen(keys.Keys[i]) < sizeof(k.key) &&
		    bsearch(&k, w, (size_t)n, sizeof(*w), cmp_want))
			continue;
		s = kvStore_Delete(p->kv, keys.Keys[i]);
		deleted++;
	}
	kvKeysList_Destroy(&keys);
	if (s != NATS_OK)
		goto fail;
	if (put || deleted)
		fprintf(stderr,
			"%s: flags: %d central flags in the bucket (%" PRIu64 " put, %" PRIu64
			" deleted; %" PRIu64 " central rows refused)\n",
			p->prog, n, put, deleted, p->bad_rows);
	p->put += put;
	p->deleted += deleted;
	return 0;
fail:
	if (!p->err_logged)
		fprintf(stderr, "%s: flags: the bucket: %s; trying again\n", p->prog,
			lw_fleet_nats_err(s));
	p->err_logged = true;
	return -EIO;
}

int lw_flags_pub_sync(struct lw_flags_pub *p, PGconn *pg)
{
	struct want *w;
	uint64_t h = 0xcbf29ce484222325ULL;
	long long now = lw_fleet_mono_s();
	int n, ret = 0;

	if (!p->kv && (!p->js || bind_bucket(p) < 0))
		return -EIO;
	w = malloc(sizeof(*w) * LW_FLEET_FLAGS_MAX);
	if (!w)
		return -ENOMEM;
	n = read_central(p, pg, w);
	if (n < 0) {
		free(w);
		return -EIO;
	}
	qsort(w, (size_t)n, sizeof(*w), cmp_want);
	for (int i = 0; i < n; i++) {
		h = hash_bytes(h, w[i].key, strlen(w[i].key) + 1);
		h = hash_bytes(h, w[i].val, (size_t)w[i].len);
	}
	if (!p->synced || h != p->hash || now - p->full_at >= FULL_EVERY_S) {
		ret = reconcile(p, w, n);
		if (ret == 0) {
			p->hash = h;
			p->synced = true;
			p->full_at = now;
			p->err_logged = false;
		}
	}
	free(w);
	return ret;
}

void lw_flags_pub_close(struct lw_flags_pub *p)
{
	if (p->kv)
		kvStore_Destroy(p->kv);
	p->kv = NULL;
}
