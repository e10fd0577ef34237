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
#ifndef LW_FLEET_FLAGS_SUB_H
#define LW_FLEET_FLAGS_SUB_H

#include <sqlite3.h>
#include <nats/nats.h>
#include <stdbool.h>
#include <stdint.h>

#define LW_FLAGS_BUCKET_DEFAULT "LEAKWATCH_FLAGS"
/* s between reading the whole bucket again (a change the watcher never delivered) */
#define LW_FLAGS_RESYNC_DEFAULT_S 3600

/* --- the access point's side (flags-sub.c) ------------------------------------------------ */

struct lw_flags_sub {
	sqlite3 *db;
	jsCtx *js;
	const char *bucket;
	const char *prog;
	kvStore *kv;
	kvWatcher *w;
	bool initial; /* the watcher's initial values are still coming */
	bool in_tx;
	long long retry_at; /* monotonic s: when to try the bucket again */
	long resync_s; /* s between reading the whole bucket again; 0: never */
	long long resync_at; /* monotonic s */
	bool resyncing; /* the initial values are a resync's: said only if they change */
	uint64_t resyncs;
	uint64_t applied, removed, refused, kept_local, full;
	unsigned refused_logged;
	bool err_logged, local_logged, full_logged;
};

/*
 * Ready to follow bucket into db (nothing is contacted yet); every resync_s seconds the whole
 * bucket is read again (a watcher made anew) and the rows made equal to it.
 */
void lw_flags_sub_init(struct lw_flags_sub *s, sqlite3 *db, jsCtx *js, const char *bucket,
		       long resync_s, const char *prog);
/*
 * Waits up to timeout_ms for the bucket's changes and applies them to the database, in one
 * transaction.  Never fails: the bucket missing or the servers away is said once and tried
 * again later; a bad value is counted and logged.
 */
void lw_flags_sub_poll(struct lw_flags_sub *s, int timeout_ms);
void lw_flags_sub_close(struct lw_flags_sub *s);

#endif
