/* SPDX-License-Identifier: MIT */
/*
 * The access point's side of the flags (flags-sub.h): the KV bucket into the rows of the
 * SQLite flagged table whose source is 'fleet'.
 *
 * A watcher on every key delivers the bucket's current values, then a marker, then each
 * change as it happens.  A put is written as a 'fleet' row (updated when one is there; not
 * written when a row of another source has that domain and mac: the local flag wins); a
 * delete or purge deletes the 'fleet' row of its key.  The keys of the initial values are
 * noted (a temporary table), and at the marker the 'fleet' rows not among them are deleted:
 * a flag removed centrally while this access point was away goes when it is back.  When the
 * watcher fails (the servers away for long, the bucket deleted) it is made again, and its
 * initial values do the same; and so every resync_s seconds, for what a watcher may never
 * deliver (a change lost by the servers) or a hand changed in the database.
 *
 * The writes of one poll are one transaction (BEGIN IMMEDIATE, under the busy timeout the
 * publishing side set on the connection): leakwatchd, the only other writer, sees them at once.
 */
#include "flags-sub.h"

#include "conn.h"
#include "fleet/flag.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* s before a bucket that could not be watched is tried again */
#define RETRY_S 10
/* bad values logged one by one; the rest only counted */
#define REFUSED_LOGGED_MAX 5
/* changes written in one transaction */
#define POLL_MAX 1000

void lw_flags_sub_init(struct lw_flags_sub *s, sqlite3 *db, jsCtx *js, const char *bucket,
		       long resync_s, const char *prog)
{
	memset(s, 0, sizeof(*s));
	s->resync_s = resync_s;
	s->db = db;
	s->js = js;
	s->bucket = bucket;
	s->prog = prog;
}

static void drop_watch(struct lw_flags_sub *s)
{
	if (s->w) {
		kvWatcher_Stop(s->w);
		kvWatcher_Destroy(s->w);
	}
	if (s->kv)
		kvStore_Destroy(s->kv);
	s->w = NULL;
	s->kv = NULL;
	s->retry_at = lw_fleet_mono_s() + RETRY_S;
}

static int sql(struct lw_flags_sub *s, const char *text)
{
	int rc = sqlite3_exec(s->db, text, NULL, NULL, NULL);

	if (rc != SQLITE_OK)
		fprintf(stderr, "%s: flags: %s\n", s->prog, sqlite3_errmsg(s->db));
	return rc == SQLITE_OK ? 0 : -EIO;
}

static int begin(struct lw_flags_sub *s)
{
	if (s->in_tx)
		return 0;
	if (sql(s, "BEGIN IMMEDIATE") < 0)
		return -EIO;
	s->in_tx = true;
	return 0;
}

static int open_watch(struct lw_flags_sub *s)
{
	kvWatchOptions o;
	natsStatus st;

	st = js_KeyValue(&s->kv, s->js, s->bucket);
	if (st == NATS_OK) {
		kvWatchOptions_Init(&o);
		st = kvStore_WatchAll(&s->w, s->kv, &o);
	}
	if (st != NATS_OK) {
		if (!s->err_logged)
			fprintf(stderr,
				"%s: flags: cannot watch the bucket %s: %s; trying again every "
				"%d s\n",
				s->prog, s->bucket, lw_fleet_nats_err(st), RETRY_S);
		s->err_logged = true;
		s->w = NULL;
		drop_watch(s);
		return -EIO;
	}
	if (s->err_logged)
		fprintf(stderr, "%s: flags: watching the bucket %s\n", s->prog, s->bucket);
	s->err_logged = false;
	s->initial = true;
	s->resync_at = lw_fleet_mono_s() + s->resync_s;
	/* the keys of the initial values: the 'fleet' rows not among them go at the marker */
	if (sql(s,
		"CREATE TEMP TABLE IF NOT EXISTS fleet_keys(domain TEXT NOT NULL, "
		"mac TEXT NOT NULL, PRIMARY KEY(domain, mac)); DELETE FROM temp.fleet_keys") < 0) {
		drop_watch(s);
		return -EIO;
	}
	return 0;
}

/* one statement with (domain, mac[, reason, expires]); the rows it changed, or -EIO */
static int run(struct lw_flags_sub *s, const char *text, const struct lw_fleet_flag *f, bool values)
{
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(s->db, text, -1, &st, NULL);

	if (rc != SQLITE_OK) {
		fprintf(stderr, "%s: flags: %s\n", s->prog, sqlite3_errmsg(s->db));
		return -EIO;
	}
	sqlite3_bind_text(st, 1, f->domain, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, f->mac, -1, SQLITE_STATIC);
	if (values) {
		sqlite3_bind_text(st, 3, f->reason, -1, SQLITE_STATIC);
		if (f->has_expires)
			sqlite3_bind_int64(st, 4, f->expires);
		else
			sqlite3_bind_null(st, 4);
	}
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		fprintf(stderr, "%s: flags: %s\n", s->prog, sqlite3_errmsg(s->db));
		return -EIO;
	}
	return sqlite3_changes(s->db);
}

static void refuse(struct lw_flags_sub *s, const char *key, const char *why)
{
	s->refused++;
	if (s->refused_logged < REFUSED_LOGGED_MAX)
		fprintf(stderr, "%s: flags: refused the value of key '%.80s' in %s: %s%s\n",
			s->prog, key, s->bucket, why,
			++s->refused_logged == REFUSED_LOGGED_MAX
				? " (further bad values are only counted)"
				: "");
}

static long long count_fleet(struct lw_flags_sub *s)
{
	sqlite3_stmt *st;
	long long n = -1;

	if (sqlite3_prepare_v2(s->db, "SELECT count(*) FROM flagged WHERE source = 'fleet'", -1,
			       &st, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

static int on_put(struct lw_flags_sub *s, kvEntry *e)
{
	const char *key = kvEntry_Key(e), *why = NULL;
	struct lw_fleet_flag f;
	int r;

	if (lw_fleet_flag_decode(key, kvEntry_Value(e), (size_t)kvEntry_ValueLen(e), &f, &why) <
	    0) {
		/* nothing changes: the row of that key, if any, stays as it was */
		refuse(s, key, why);
		return 0;
	}
	if (begin(s) < 0)
		return -EIO;
	if (s->initial &&
	    run(s, "INSERT OR IGNORE INTO temp.fleet_keys VALUES(?1, ?2)", &f, false) < 0)
		return -EIO;
	r = run(s,
		"UPDATE flagged SET reason = nullif(?3, ''), expires = ?4 "
		"WHERE domain = ?1 AND ifnull(mac, '') = ?2 AND source = 'fleet' "
		"AND (reason IS NOT nullif(?3, '') OR expires IS NOT ?4)",
		&f, true);
	if (r < 0)
		return -EIO;
	if (r > 0) {
		s->applied++;
		return 0;
	}
	{
		sqlite3_stmt *st;
		bool there = false;

		/* a 'fleet' row already there (and equal), or a local row: nothing to write */
		if (sqlite3_prepare_v2(s->db,
				       "SELECT source IS 'fleet' FROM flagged WHERE domain = ?1 "
				       "AND ifnull(mac, '') = ?2",
				       -1, &st, NULL) != SQLITE_OK)
			return -EIO;
		sqlite3_bind_text(st, 1, f.domain, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, f.mac, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW) {
			there = true;
			if (!sqlite3_column_int(st, 0)) {
				s->kept_local++;
				if (!s->local_logged)
					fprintf(stderr,
						"%s: flags: %s%s%s is flagged here already; the "
						"local flag stays (only the first is logged)\n",
						s->prog, f.domain, f.mac[0] ? " for " : "", f.mac);
				s->local_logged = true;
			}
		}
		sqlite3_finalize(st);
		if (there)
			return 0;
	}
	if (count_fleet(s) >= LW_FLEET_FLAGS_MAX) {
		s->full++;
		if (!s->full_logged)
			fprintf(stderr, "%s: flags: more than %d fleet flags; %s not applied\n",
				s->prog, LW_FLEET_FLAGS_MAX, key);
		s->full_logged = true;
		return 0;
	}
	r = run(s,
		"INSERT INTO flagged(domain, mac, reason, source, expires) "
		"SELECT ?1, nullif(?2, ''), nullif(?3, ''), 'fleet', ?4 WHERE NOT EXISTS "
		"(SELECT 1 FROM flagged WHERE domain = ?1 AND ifnull(mac, '') = ?2)",
		&f, true);
	if (r < 0)
		return -EIO;
	s->applied += (uint64_t)r;
	return 0;
}

static int on_delete(struct lw_flags_sub *s, kvEntry *e)
{
	struct lw_fleet_flag f;
	int r;

	/* a key no collector writes names no 'fleet' row */
	if (lw_fleet_flag_from_key(kvEntry_Key(e), &f) < 0)
		return 0;
	if (begin(s) < 0)
		return -EIO;
	r = run(s,
		"DELETE FROM flagged WHERE domain = ?1 AND ifnull(mac, '') = ?2 AND "
		"source = 'fleet'",
		&f, false);
	if (r < 0)
		return -EIO;
	s->removed += (uint64_t)r;
	return 0;
}

/* the initial values are all there: the 'fleet' rows the bucket no longer has go */
static int on_initial_done(struct lw_flags_sub *s)
{
	int r;

	s->initial = false;
	if (begin(s) < 0)
		return -EIO;
	r = sqlite3_exec(s->db,
			 "DELETE FROM flagged WHERE source = 'fleet' AND NOT EXISTS "
			 "(SELECT 1 FROM temp.fleet_keys k WHERE k.domain = flagged.domain AND "
			 "k.mac = ifnull(flagged.mac, ''))",
			 NULL, NULL, NULL);
	if (r != SQLITE_OK) {
		fprintf(stderr, "%s: flags: %s\n", s->prog, sqlite3_errmsg(s->db));
		return -EIO;
	}
	s->removed += (uint64_t)sqlite3_changes(s->db);
	return 0;
}

void lw_flags_sub_poll(struct lw_flags_sub *s, int timeout_ms)
{
	uint64_t applied = s->applied, removed = s->removed;
	int ret = 0, n = 0;
	bool marker = false, quiet, resynced;

	/* the whole bucket again: a watcher made anew, its initial values, the sweep at the marker */
	if (s->w && !s->initial && s->resync_s && lw_fleet_mono_s() >= s->resync_at) {
		drop_watch(s);
		s->retry_at = 0;
		s->resyncing = true;
		s->resyncs++;
	}
	if (!s->w) {
		if (lw_fleet_mono_s() < s->retry_at || open_watch(s) < 0) {
			struct timespec ts = {timeout_ms / 1000, (timeout_ms % 1000) * 1000000L};

			nanosleep(&ts, NULL);
			return;
		}
	}
	while (ret == 0 && n < POLL_MAX) {
		kvEntry *e = NULL;
		/* the first change waited for; those right behind it taken with it */
		natsStatus st = kvWatcher_Next(&e, s->w, n ? 20 : timeout_ms);

		if (st == NATS_TIMEOUT)
			break;
		if (st != NATS_OK) {
			if (!s->err_logged)
				fprintf(stderr,
					"%s: flags: the watcher of %s stopped: %s; watching again "
					"in %d s\n",
					s->prog, s->bucket, lw_fleet_nats_err(st), RETRY_S);
			s->err_logged = true;
			drop_watch(s);
			break;
		}
		n++;
		if (!e) {
			ret = on_initial_done(s);
			marker = true;
			continue;
		}
		switch (kvEntry_Operation(e)) {
		case kvOp_Put:
			ret = on_put(s, e);
			break;
		case kvOp_Delete:
		case kvOp_Purge:
			ret = on_delete(s, e);
			break;
		default:
			break;
		}
		kvEntry_Destroy(e);
	}
	resynced = marker && s->resyncing;
	quiet = s->resyncing && s->applied == applied && s->removed == removed;
	if (marker)
		s->resyncing = false;
	if (s->in_tx) {
		if (ret == 0 && sql(s, "COMMIT") == 0) {
			if (s->applied != applied || s->removed != removed || (marker && !quiet))
				fprintf(stderr,
					"%s: flags: %" PRIu64 " applied, %" PRIu64
					" removed%s (in all: %" PRIu64 " applied, %" PRIu64
					" removed, %" PRIu64 " refused, %" PRIu64 " kept local)\n",
					s->prog, s->applied - applied, s->removed - removed,
					!marker ? ""
					: resynced
						? ", the bucket read again and its flags in place"
						: ", the bucket's current flags in place",
					s->applied, s->removed, s->refused, s->kept_local);
		} else {
			sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
			/* what was taken from the watcher is lost: read the bucket again */
			s->applied = applied;
			s->removed = removed;
			drop_watch(s);
		}
		s->in_tx = false;
	}
}

void lw_flags_sub_close(struct lw_flags_sub *s)
{
	if (s->in_tx)
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	s->in_tx = false;
	drop_watch(s);
}
