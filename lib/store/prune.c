/* SPDX-License-Identifier: MIT */
/*
 * store: keeping the database within retention and its size cap.
 *
 * Retention deletes, table by table, the rows older than the table's days, measured on the
 * data's clock: the newest record time the store has written.  Live that is the wall clock;
 * reading an old capture it is the capture's time, so its rows are not deleted for being
 * old.  A pass runs at open, hourly, and whenever the data's clock has moved an hour since
 * the last pass (a capture read fast).
 *
 * The size cap holds the file and its WAL (what another process sees) under max_db_bytes at
 * every moment, not only after a commit.  Every step that writes is kept to about a step of
 * WAL (max_db_bytes / LW_PRUNE_STEP_DIV): a batch's transaction by the bytes of its records,
 * scaled by the WAL such bytes were seen to make (random index pages make several times more);
 * a round of pruning by its rows, scaled the same way; and the WAL is checkpointed and
 * truncated once it is over a step.  When the files come within LW_PRUNE_CAP_START steps of
 * the cap the oldest rows are deleted, whatever their age, until the rows take the cap less
 * LW_PRUNE_CAP_STOP steps, in this order:
 *  1. raw traffic (flows, dns, stats but its newest LW_PRUNE_STATS_KEEP rows, blocks,
 *     stations, sessions): the oldest row of all these tables first, so the tables age
 *     together;
 *  2. daily_traffic, oldest day first;
 *  3. leaks: of the device with the most rows, its oldest, until it has no more than the
 *     next; so a device flooding leaks loses its own rows before another device loses any;
 *  4. daily_leaks, oldest day first.
 * devices, device_names, identifiers, flagged and meta are never deleted for the cap (they are
 * small and bounded elsewhere).  Each round's freed pages are given back (incremental vacuum)
 * and the WAL truncated, so the file shrinks as it goes.  A reader in the WAL (the sqlite3
 * CLI mid-query) keeps a checkpoint from emptying it: counted (checkpoint_busy), tried again
 * at the next commit.
 *
 * Every delete is its own short transaction of at most LW_PRUNE_CHUNK rows.
 */
#include "prune.h"

#include "schema.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

/* Leak rows deleted per step from two devices with as many. */
#define CAP_LEAK_TIE 16
#define STR_(x) #x
#define STR(x) STR_(x)

struct table {
	const char *name;
	const char *age; /* the column rows are aged by */
	const char *key; /* what identifies a row (WITHOUT ROWID tables have no rowid) */
	const char *cols; /* the same, as a select list */
	const char *where; /* retention: older than ?1 */
	const char *cap_where; /* the rows the cap may delete (NULL: all) */
	bool published; /* sent to the fleet (its rowid is the row id leakwatch-push sends) */
};

static const struct table tables[PRUNE__TABLES] = {
	[PRUNE_FLOWS] = {"flows", "last_seen", "rowid", "rowid", "last_seen < ?1", NULL, true},
	[PRUNE_DNS] = {"dns", "ts", "rowid", "rowid", "ts < ?1", NULL, true},
	[PRUNE_LEAKS] = {"leaks", "ts", "rowid", "rowid", "ts < ?1", NULL, true},
	[PRUNE_DEVICES] = {"devices", "last_seen", "rowid", "rowid", "last_seen < ?1", NULL, true},
	/* the newest stats rows stay whatever the cap: they hold the counters of the pruning */
	[PRUNE_STATS] = {"stats", "ts", "rowid", "rowid", "ts < ?1",
			 "ts < (SELECT ts FROM stats ORDER BY ts DESC LIMIT 1 OFFSET " STR(
				 LW_PRUNE_STATS_KEEP) " - 1)",
			 true},
	[PRUNE_BLOCKS] = {"blocks", "ts", "rowid", "rowid", "ts < ?1", NULL, true},
	/* a session still open (no end) ages from its start */
	[PRUNE_SESSIONS] = {"sessions", "start", "rowid", "rowid",
			    "start < ?1 AND coalesce(\"end\", start) < ?1", NULL, true},
	[PRUNE_STATIONS] = {"stations", "ts", "rowid", "rowid", "ts < ?1"},
	[PRUNE_DEVICE_NAMES] = {"device_names", "last_seen", "rowid", "rowid", "last_seen < ?1"},
	[PRUNE_DAILY_TRAFFIC] = {"daily_traffic", "day", "(day, mac, domain)", "day, mac, domain",
				 "day < date(?1, 'unixepoch')"},
	[PRUNE_DAILY_LEAKS] = {"daily_leaks", "day", "(day, mac, domain, kind, confidence)",
			       "day, mac, domain, kind, confidence", "day < date(?1, 'unixepoch')"},
};

/* The raw traffic the cap deletes first, oldest row first across them. */
static const int raw_tables[] = {PRUNE_FLOWS,  PRUNE_DNS,      PRUNE_STATS,
				 PRUNE_BLOCKS, PRUNE_STATIONS, PRUNE_SESSIONS};

static double wall_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int step(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? SQLITE_OK : rc;
}

/* One integer from a statement (0 when it yields no row); SQLite rc. */
static int int_query(sqlite3 *db, const char *sql, int64_t *out)
{
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);

	*out = 0;
	if (rc != SQLITE_OK)
		return rc;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*out = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? SQLITE_OK : rc;
}

static int prepare(sqlite3 *db, sqlite3_stmt **st, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int prepare(sqlite3 *db, sqlite3_stmt **st, const char *fmt, ...)
{
	char sql[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(sql, sizeof(sql), fmt, ap);
	va_end(ap);
	return sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, st, NULL);
}

int lw_prune_init(struct lw_prune *p, sqlite3 *db, const char *path,
		  const struct lw_store_config *cfg)
{
	static const char *const newest[] = {
		"SELECT max(last_seen) FROM flows WHERE last_seen <= ?1",
		"SELECT max(ts) FROM dns WHERE ts <= ?1",
		"SELECT max(ts) FROM leaks WHERE ts <= ?1",
		"SELECT max(ts) FROM stats WHERE ts <= ?1",
		"SELECT max(ts) FROM blocks WHERE ts <= ?1",
		"SELECT max(ts) FROM stations WHERE ts <= ?1",
	};
	const struct lw_store_retention *r = cfg ? &cfg->retain_days : NULL;
	double limit = wall_now() + LW_PRUNE_FUTURE_S;
	sqlite3_stmt *st;
	int64_t v;
	int rc;

	memset(p, 0, sizeof(*p));
	p->db = db;
	p->table = -1;
	snprintf(p->path, sizeof(p->path), "%s", path);
	snprintf(p->wal_path, sizeof(p->wal_path), "%s-wal", path);
	snprintf(p->journal_path, sizeof(p->journal_path), "%s-journal", path);
	if (r) {
		unsigned d[PRUNE__TABLES] = {
			[PRUNE_FLOWS] = r->flows,
			[PRUNE_DNS] = r->dns,
			[PRUNE_LEAKS] = r->leaks,
			[PRUNE_DEVICES] = r->devices,
			[PRUNE_STATS] = r->stats,
			[PRUNE_BLOCKS] = r->blocks,
			[PRUNE_SESSIONS] = r->sessions,
			[PRUNE_STATIONS] = r->stations,
			[PRUNE_DEVICE_NAMES] = r->device_names,
			[PRUNE_DAILY_TRAFFIC] = r->daily,
			[PRUNE_DAILY_LEAKS] = r->daily,
		};

		memcpy(p->days, d, sizeof(d));
	}
	p->max_bytes = cfg ? cfg->max_db_bytes : 0;
	p->step = LW_MAX(p->max_bytes / LW_PRUNE_STEP_DIV, (uint64_t)LW_PRUNE_STEP_MIN);
	/*
	 * Until measured: a batch's records make 4 times their bytes of WAL (an insert touches a
	 * page of each index), a deleted row 1 KiB (random pages of the name and MAC indexes).
	 */
	p->amp = 4.0;
	p->round_rows = (int)LW_MIN(LW_MAX(p->step / 1024, 16ULL), (uint64_t)LW_PRUNE_CHUNK);
	if (int_query(db, "PRAGMA page_size", &v) == SQLITE_OK && v > 0)
		p->page = (uint64_t)v;
	else
		p->page = 4096;

	rc = sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, NULL);
	if (rc != SQLITE_OK)
		return rc;
	if (sqlite3_step(st) == SQLITE_ROW)
		p->wal = strcmp((const char *)sqlite3_column_text(st, 0), "wal") == 0;
	sqlite3_finalize(st);

	for (int t = 0; t < PRUNE__TABLES; t++) {
		const struct table *tb = &tables[t];

		char sent[256] = "", capw[256];
		bool fleet = cfg && cfg->keep_unsent && tb->published;

		/*
		 * [fleet] enabled: rows leakwatch-push has not had acknowledged stay (no mark yet:
		 * all of them); and the row with the highest id stays too, whatever deletes: a
		 * table emptied would give its next rows ids from 1 again (SQLite's rowid), which
		 * leakwatch-push takes for sent and the centre already holds under (ap, id)
		 */
		if (fleet)
			snprintf(sent, sizeof(sent),
				 " AND rowid <= ifnull((SELECT CAST(value AS INTEGER) FROM meta "
				 "WHERE key = 'fleet_sent_%s'), 0) AND rowid < (SELECT max(rowid) "
				 "FROM %s)",
				 tb->name, tb->name);
		snprintf(capw, sizeof(capw), "%s%s%s%s", tb->cap_where ? tb->cap_where : "1",
			 fleet ? " AND rowid < (SELECT max(rowid) FROM " : "",
			 fleet ? tb->name : "", fleet ? ")" : "");
		rc = prepare(db, &p->ret[t],
			     "DELETE FROM %s WHERE %s IN (SELECT %s FROM %s WHERE %s%s LIMIT ?2)",
			     tb->name, tb->key, tb->cols, tb->name, tb->where, sent);
		if (rc == SQLITE_OK)
			rc = prepare(db, &p->oldest[t],
				     "DELETE FROM %s WHERE %s IN (SELECT %s FROM %s WHERE %s "
				     "ORDER BY %s LIMIT ?1)",
				     tb->name, tb->key, tb->cols, tb->name, capw, tb->age);
		/* NULL (no time) sorts first and is the oldest: 0 */
		if (rc == SQLITE_OK)
			rc = prepare(db, &p->min_time[t],
				     "SELECT ifnull(%s, 0) FROM %s WHERE %s ORDER BY %s LIMIT 1",
				     tb->age, tb->name, capw, tb->age);
		if (rc == SQLITE_OK && fleet)
			rc = prepare(
				db, &p->unsent[t],
				"SELECT count(*) FROM (SELECT rowid AS r FROM %s WHERE %s ORDER BY "
				"%s LIMIT ?1) WHERE r > ifnull((SELECT CAST(value AS INTEGER) "
				"FROM meta WHERE key = 'fleet_sent_%s'), 0)",
				tb->name, capw, tb->age, tb->name);
		if (rc != SQLITE_OK)
			return rc;
	}
	if (cfg && cfg->keep_unsent) {
		rc = prepare(db, &p->leak_unsent,
			     "SELECT count(*) FROM (SELECT rowid AS r FROM leaks WHERE mac IS ?1 "
			     "AND rowid < (SELECT max(rowid) FROM leaks) ORDER BY ts LIMIT ?2) "
			     "WHERE r > ifnull((SELECT CAST(value AS INTEGER) FROM meta "
			     "WHERE key = 'fleet_sent_leaks'), 0)");
		if (rc == SQLITE_OK)
			rc = prepare(
				db, &p->capped_add,
				"INSERT INTO meta(key, value) VALUES('fleet_capped_' || ?1, ?2) "
				"ON CONFLICT(key) DO UPDATE SET value = "
				"CAST(value AS INTEGER) + excluded.value");
		if (rc != SQLITE_OK)
			return rc;
	}
	rc = prepare(db, &p->leak_top,
		     "SELECT mac, count(*) AS n FROM leaks GROUP BY mac ORDER BY n DESC LIMIT 2");
	if (rc == SQLITE_OK)
		rc = prepare(db, &p->leak_del,
			     "DELETE FROM leaks WHERE rowid IN (SELECT rowid FROM leaks "
			     "WHERE mac IS ?1%s ORDER BY ts LIMIT ?2)",
			     cfg && cfg->keep_unsent ? " AND rowid < (SELECT max(rowid) FROM leaks)"
						     : "");
	if (rc != SQLITE_OK)
		return rc;

	/* The data's clock: the newest time written, not beyond a day ahead of the wall. */
	for (size_t i = 0; i < LW_ARRAY_SIZE(newest); i++) {
		rc = sqlite3_prepare_v2(db, newest[i], -1, &st, NULL);
		if (rc != SQLITE_OK)
			return rc;
		sqlite3_bind_double(st, 1, limit);
		if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
			lw_prune_note(p, sqlite3_column_double(st, 0));
		sqlite3_finalize(st);
	}

	/*
	 * Under a cap the WAL must stay a small part of it: checkpointed every step (SQLite's own
	 * after a commit, besides the store's TRUNCATE in lw_prune_batch_done) and truncated back
	 * to a step when it restarts (the default, 1000 pages, would be 4 MB).
	 */
	if (p->max_bytes) {
		char sql[160];

		snprintf(sql, sizeof(sql),
			 "PRAGMA journal_size_limit = %llu; PRAGMA wal_autocheckpoint = %llu",
			 (unsigned long long)p->step, (unsigned long long)(p->step / p->page));
		rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
	}
	return rc;
}

void lw_prune_fini(struct lw_prune *p)
{
	for (int t = 0; t < PRUNE__TABLES; t++) {
		sqlite3_finalize(p->ret[t]);
		sqlite3_finalize(p->oldest[t]);
		sqlite3_finalize(p->min_time[t]);
		sqlite3_finalize(p->unsent[t]);
		p->ret[t] = p->oldest[t] = p->min_time[t] = p->unsent[t] = NULL;
	}
	sqlite3_finalize(p->leak_unsent);
	sqlite3_finalize(p->capped_add);
	p->leak_unsent = p->capped_add = NULL;
	sqlite3_finalize(p->leak_top);
	sqlite3_finalize(p->leak_del);
	p->leak_top = p->leak_del = NULL;
}

void lw_prune_note(struct lw_prune *p, double ts)
{
	/*
	 * A clock set wrong (a router without RTC before NTP, a forged capture) must not make
	 * everything look old: a time more than a day ahead of the wall clock is ignored.
	 */
	if (ts > p->data_time && ts <= wall_now() + LW_PRUNE_FUTURE_S)
		p->data_time = ts;
}

static bool any_retention(const struct lw_prune *p)
{
	for (int t = 0; t < PRUNE__TABLES; t++)
		if (p->days[t])
			return true;
	return false;
}

bool lw_prune_retention_due(const struct lw_prune *p)
{
	if (p->table >= 0)
		return true;
	return any_retention(p) && p->data_time > 0 && p->data_time >= p->last_pass_time + 3600;
}

static int next_table(const struct lw_prune *p, int from)
{
	for (int t = from; t < PRUNE__TABLES; t++)
		if (p->days[t])
			return t;
	return -1;
}

void lw_prune_retention_start(struct lw_prune *p)
{
	if (p->table >= 0 || p->data_time <= 0)
		return;
	p->pass_time = p->data_time;
	p->table = next_table(p, 0);
}

static uint64_t file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? (uint64_t)st.st_size : 0;
}

/*
 * Folds the WAL into the database file and truncates it to nothing.  A reader still in the
 * WAL keeps it: that is counted and tried again later, never waited for long.
 */
static void checkpoint(struct lw_prune *p)
{
	struct timespec ts;
	double now;
	int rc;

	if (!p->wal)
		return;
	/* after a reader held it, not before LW_PRUNE_CHECKPOINT_RETRY_S: the writer goes on */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
	if (now < p->checkpoint_retry)
		return;
	sqlite3_busy_timeout(p->db, LW_PRUNE_CHECKPOINT_BUSY_MS);
	rc = sqlite3_wal_checkpoint_v2(p->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
	sqlite3_busy_timeout(p->db, LW_STORE_BUSY_MS);
	if (rc != SQLITE_OK) {
		p->checkpoint_busy++;
		p->checkpoint_retry = now + LW_PRUNE_CHECKPOINT_RETRY_S;
	}
}

/* Bytes of WAL (or database pages, with a rollback journal) written since the last call. */
static uint64_t written(struct lw_prune *p)
{
	int cur = 0, hi = 0;

	sqlite3_db_status(p->db, SQLITE_DBSTATUS_CACHE_WRITE, &cur, &hi, 1);
	return (uint64_t)LW_MAX(cur, 0) * (p->page + 24);
}

/*
 * Gives free pages back to the filesystem and, in WAL mode, empties the WAL.  Under a cap in
 * pieces of about a step of WAL each (moving a page writes it, its parent and a pointer-map
 * page), checkpointed between them, so that giving back does not itself pass the cap.
 */
static int give_back(struct lw_prune *p)
{
	int64_t before = 0, left = 0, prev;
	int rc;

	rc = int_query(p->db, "PRAGMA freelist_count", &before);
	left = before;
	while (rc == SQLITE_OK && left > 0) {
		char sql[64];

		if (p->max_bytes)
			snprintf(sql, sizeof(sql), "PRAGMA incremental_vacuum(%llu)",
				 (unsigned long long)LW_MAX(p->step / (3 * p->page), 16ULL));
		else
			snprintf(sql, sizeof(sql), "PRAGMA incremental_vacuum");
		rc = sqlite3_exec(p->db, sql, NULL, NULL, NULL);
		prev = left;
		if (rc == SQLITE_OK)
			rc = int_query(p->db, "PRAGMA freelist_count", &left);
		if (p->max_bytes)
			checkpoint(p);
		if (left >= prev)
			break; /* not a database with auto_vacuum: nothing to give back */
	}
	if (before > left)
		p->vacuum_pages += (uint64_t)(before - left);
	/* a reader's snapshot can hold the WAL: it is truncated at a later checkpoint then */
	checkpoint(p);
	return rc;
}

int lw_prune_retention_step(struct lw_prune *p, bool *done)
{
	sqlite3_stmt *st;
	int rc, n, chunk = p->max_bytes ? p->round_rows : LW_PRUNE_CHUNK;

	*done = false;
	if (p->table < 0) {
		*done = true;
		return SQLITE_OK;
	}
	st = p->ret[p->table];
	sqlite3_bind_double(st, 1, p->pass_time - (double)p->days[p->table] * 86400.0);
	sqlite3_bind_int(st, 2, chunk);
	rc = step(st);
	if (rc != SQLITE_OK) {
		/* locked or full: the whole pass again later */
		p->table = -1;
		return rc;
	}
	n = sqlite3_changes(p->db);
	p->pruned_rows += (uint64_t)n;
	/* under a cap a pass's WAL must not pile up either */
	if (p->max_bytes && file_size(p->wal_path) > p->step)
		checkpoint(p);
	if (n >= chunk)
		return SQLITE_OK;
	p->table = next_table(p, p->table + 1);
	if (p->table >= 0)
		return SQLITE_OK;
	p->last_pass_time = p->pass_time;
	*done = true;
	return give_back(p);
}

uint64_t lw_prune_db_bytes(struct lw_prune *p)
{
	int64_t pages = 0;
	uint64_t file = file_size(p->path);

	int_query(p->db, "PRAGMA page_count", &pages);
	file = LW_MAX(file, (uint64_t)LW_MAX(pages, 0) * p->page);
	return file + (p->wal ? file_size(p->wal_path) : file_size(p->journal_path));
}

/* Bytes the rows take: the file without its free pages. */
static uint64_t live_bytes(struct lw_prune *p)
{
	int64_t pages = 0, free_pages = 0;

	int_query(p->db, "PRAGMA page_count", &pages);
	int_query(p->db, "PRAGMA freelist_count", &free_pages);
	return (uint64_t)LW_MAX(pages - free_pages, 0) * p->page;
}

/*
 * Runs del (a DELETE of the cap, its parameters bound), and when count is not NULL (the same
 * rows' count above the fleet's mark, bound alike) adds what it counts to meta
 * fleet_capped_<table>, in one transaction.  The rows deleted, or -1 on an error (*rc).
 */
static int cap_delete(struct lw_prune *p, sqlite3_stmt *del, sqlite3_stmt *count, int t, int *rcp)
{
	int64_t unsent = 0;
	int rc, n;

	if (!count) {
		*rcp = rc = step(del);
		return rc == SQLITE_OK ? sqlite3_changes(p->db) : -1;
	}
	rc = sqlite3_exec(p->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
	if (rc == SQLITE_OK) {
		rc = sqlite3_step(count);
		if (rc == SQLITE_ROW) {
			unsent = sqlite3_column_int64(count, 0);
			rc = SQLITE_OK;
		}
		sqlite3_reset(count);
	}
	if (rc == SQLITE_OK)
		rc = step(del);
	n = sqlite3_changes(p->db);
	if (rc == SQLITE_OK && unsent > 0) {
		sqlite3_bind_text(p->capped_add, 1, tables[t].name, -1, SQLITE_STATIC);
		sqlite3_bind_int64(p->capped_add, 2, unsent);
		rc = step(p->capped_add);
	}
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(p->db, "COMMIT", NULL, NULL, NULL);
	*rcp = rc;
	if (rc != SQLITE_OK) {
		sqlite3_exec(p->db, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	p->cap_unsent += (uint64_t)unsent;
	return n;
}

/* Deletes up to n of the table's oldest rows; the rows deleted, or -1 on an error (*rc). */
static int delete_oldest(struct lw_prune *p, int t, int n, int *rc)
{
	sqlite3_bind_int(p->oldest[t], 1, n);
	if (p->unsent[t])
		sqlite3_bind_int(p->unsent[t], 1, n);
	return cap_delete(p, p->oldest[t], p->unsent[t], t, rc);
}

/* The raw table whose oldest row is the oldest, -1 when they are all empty. */
static int oldest_raw(struct lw_prune *p)
{
	double best = 0;
	int which = -1;

	for (size_t i = 0; i < LW_ARRAY_SIZE(raw_tables); i++) {
		sqlite3_stmt *st = p->min_time[raw_tables[i]];

		if (sqlite3_step(st) == SQLITE_ROW) {
			double t = sqlite3_column_double(st, 0);

			if (which < 0 || t < best) {
				best = t;
				which = raw_tables[i];
			}
		}
		sqlite3_reset(st);
	}
	return which;
}

/*
 * One step of the leaks phase: at most max rows of the device with the most.  Rows deleted or
 * -1.
 */
static int delete_leaks(struct lw_prune *p, int max, int *rc)
{
	sqlite3_stmt *top = p->leak_top, *del = p->leak_del, *cnt = p->leak_unsent;
	int64_t first = 0, second = 0, n;
	int got = 0;

	*rc = SQLITE_OK;
	while ((*rc = sqlite3_step(top)) == SQLITE_ROW) {
		if (got == 0) {
			first = sqlite3_column_int64(top, 1);
			if (sqlite3_column_type(top, 0) == SQLITE_NULL) {
				sqlite3_bind_null(del, 1);
				if (cnt)
					sqlite3_bind_null(cnt, 1);
			} else {
				const char *mac = (const char *)sqlite3_column_text(top, 0);

				sqlite3_bind_text(del, 1, mac, -1, SQLITE_TRANSIENT);
				if (cnt)
					sqlite3_bind_text(cnt, 1, mac, -1, SQLITE_TRANSIENT);
			}
		} else {
			second = sqlite3_column_int64(top, 1);
		}
		got++;
	}
	sqlite3_reset(top);
	if (*rc != SQLITE_DONE)
		return -1;
	*rc = SQLITE_OK;
	if (got == 0)
		return 0;
	/* down to the next device's count; two alike lose a little at a time, in turn */
	n = first > second ? first - second : LW_MIN(first, CAP_LEAK_TIE);
	n = LW_MIN(n, (int64_t)max);
	sqlite3_bind_int64(del, 2, n);
	if (cnt)
		sqlite3_bind_int64(cnt, 2, n);
	got = cap_delete(p, del, cnt, PRUNE_LEAKS, rc);
	sqlite3_clear_bindings(del);
	if (cnt)
		sqlite3_clear_bindings(cnt);
	return got;
}

/* The next round's rows: about a step of WAL, judged by what this round of n rows wrote. */
static void learn_round(struct lw_prune *p, int n, uint64_t wrote)
{
	double want;

	if (n < p->round_rows / 2 || wrote == 0)
		return; /* a short round (a table's last rows) says little */
	want = (double)n * (double)p->step / (double)wrote;
	/* down at once to what fits a step, up at most twofold a round */
	want = LW_MIN(want, 2.0 * p->round_rows);
	p->round_rows = (int)LW_MAX(LW_MIN(want, (double)LW_PRUNE_CHUNK), 16.0);
}

int lw_prune_cap(struct lw_prune *p)
{
	uint64_t start, stop;
	int phase = 0, rc = SQLITE_OK, n;

	if (!p->max_bytes)
		return SQLITE_OK;
	/* a cap of a few steps: half of it */
	start = p->max_bytes > 2 * LW_PRUNE_CAP_STOP * p->step
			? p->max_bytes - LW_PRUNE_CAP_START * p->step
			: p->max_bytes / 2;
	stop = p->max_bytes > 2 * LW_PRUNE_CAP_STOP * p->step
		       ? p->max_bytes - LW_PRUNE_CAP_STOP * p->step
		       : p->max_bytes * 2 / 5;
	if (lw_prune_db_bytes(p) <= start)
		return SQLITE_OK;
	/* the WAL alone may be what is over */
	checkpoint(p);
	if (lw_prune_db_bytes(p) <= start)
		return SQLITE_OK;
	written(p);
	while (live_bytes(p) > stop) {
		switch (phase) {
		case 0: {
			int t = oldest_raw(p);

			n = t < 0 ? 0 : delete_oldest(p, t, p->round_rows, &rc);
			break;
		}
		case 1:
			n = delete_oldest(p, PRUNE_DAILY_TRAFFIC, p->round_rows, &rc);
			break;
		case 2:
			n = delete_leaks(p, p->round_rows, &rc);
			break;
		case 3:
			n = delete_oldest(p, PRUNE_DAILY_LEAKS, p->round_rows, &rc);
			break;
		default:
			/* nothing left the cap may delete */
			p->cap_unmet++;
			goto out;
		}
		if (n < 0)
			return rc;
		if (n == 0) {
			phase++;
			continue;
		}
		p->pruned_rows += (uint64_t)n;
		p->cap_pruned += (uint64_t)n;
		/* each round's pages given back and its WAL emptied before the next */
		rc = give_back(p);
		if (rc != SQLITE_OK)
			return rc;
		learn_round(p, n, written(p));
	}
out:
	/* free pages from before (a retention pass, an older database) */
	if (lw_prune_db_bytes(p) > start)
		rc = give_back(p);
	return rc;
}

uint64_t lw_prune_batch_bytes(const struct lw_prune *p)
{
	if (!p->max_bytes)
		return 0;
	return LW_MAX((uint64_t)((double)p->step / p->amp), (uint64_t)LW_PRUNE_BATCH_MIN);
}

void lw_prune_batch_begin(struct lw_prune *p)
{
	if (p->max_bytes)
		written(p);
}

void lw_prune_batch_done(struct lw_prune *p, uint64_t bytes)
{
	uint64_t w;

	if (!p->max_bytes)
		return;
	w = written(p);
	/*
	 * Only a full batch teaches: a few records write a page of every index each.  Up at
	 * once, down slowly: the next batch may touch as many random pages as the worst lately.
	 */
	if (bytes && bytes >= lw_prune_batch_bytes(p) / 2) {
		double a = (double)w / (double)bytes;

		p->amp = a > p->amp ? a : p->amp * 0.875 + a * 0.125;
		p->amp = LW_MIN(LW_MAX(p->amp, 0.5), 4096.0);
	}
	if (p->wal && file_size(p->wal_path) > p->step)
		checkpoint(p);
}
