/* SPDX-License-Identifier: MIT */
/*
 * Flags from the centre to every access point (README "Many APs").
 *
 * The centre: a row of PostgreSQL's flagged table with ap = '*' flags a domain on every access
 * point.  Each leakwatch-collect keeps a JetStream KV bucket equal to the set of those rows
 * (flags-pub.c): a key per (domain, mac), a value per flag (lib/fleet/flag.h).  Puts of the
 * same value change nothing, so several collectors may do it at once.
 *
 * An access point: leakwatch-push --follow watches the bucket (flags-sub.c) and keeps the
 * rows of its SQLite flagged table whose source is 'fleet' equal to it; leakwatchd applies
 * them as it applies every flagged row.  A row of another source (a person's flag, an auto
 * flag) is never written or deleted by it: a local flag on the same domain wins.
 */
#ifndef LW_FLEET_FLAGS_PUB_H
#define LW_FLEET_FLAGS_PUB_H

#include <libpq-fe.h>
#include <nats/nats.h>
#include <stdbool.h>
#include <stdint.h>

#define LW_FLAGS_BUCKET_DEFAULT "LEAKWATCH_FLAGS"

/* --- the collector's side (flags-pub.c; only built with libpq) ----------------------------- */

struct lw_flags_pub {
	kvStore *kv;
	jsCtx *js;
	const char *bucket;
	int replicas;
	const char *prog;
	uint64_t hash; /* of the central flags the last complete sync put in the bucket */
	bool synced;
	long long full_at; /* monotonic s of the last comparison with the bucket itself */
	uint64_t put, deleted, bad_rows;
	bool bad_logged, err_logged, full_logged;
};

/*
 * The bucket, made (replicas, history 1) when the servers say it is missing.  0, or -EIO
 * (said once): lw_flags_pub_sync() tries again.
 */
int lw_flags_pub_open(struct lw_flags_pub *p, jsCtx *js, const char *bucket, int replicas,
		      const char *prog);
/*
 * Makes the bucket equal to the central flags (SELECT ... FROM flagged WHERE ap = '*'):
 * puts new or changed keys, deletes keys no longer there.  0, or -EIO (said once; the next
 * call tries again).
 */
int lw_flags_pub_sync(struct lw_flags_pub *p, PGconn *pg);
void lw_flags_pub_close(struct lw_flags_pub *p);
/* The central table's additions for flags (a default id for ap '*' rows, ...): SQL text. */
extern const char lw_flags_pub_sql[];

#endif
