/* SPDX-License-Identifier: MIT */
/*
 * store internals: keeping the database within retention and its size cap (prune.c).  Used by
 * the writer thread only, on the writer's connection, between its batches.
 */
#ifndef LW_STORE_PRUNE_H
#define LW_STORE_PRUNE_H

#include "store.h"

#include <sqlite3.h>

/* Rows deleted per transaction, so that a big purge never holds the lock for long. */
#define LW_PRUNE_CHUNK 10000
/* The size cap: pruning starts above HIGH % of it and stops at LOW %. */
#define LW_PRUNE_CAP_HIGH 95
#define LW_PRUNE_CAP_LOW 90
/* A record more than this ahead of the wall clock does not move the data's clock. */
#define LW_PRUNE_FUTURE_S 86400.0

enum {
	PRUNE_FLOWS,
	PRUNE_DNS,
	PRUNE_LEAKS,
	PRUNE_DEVICES,
	PRUNE_STATS,
	PRUNE_BLOCKS,
	PRUNE_SESSIONS,
	PRUNE_STATIONS,
	PRUNE_DEVICE_NAMES,
	PRUNE_DAILY_TRAFFIC,
	PRUNE_DAILY_LEAKS,
	PRUNE__TABLES,
};

struct lw_prune {
	sqlite3 *db;
	char wal_path[4096 + 8];
	bool wal;
	unsigned days[PRUNE__TABLES]; /* 0 = forever */
	uint64_t max_bytes; /* 0 = no cap */
	double data_time; /* newest record time written (Unix s), 0 = none yet */
	/* retention pass: the table being pruned (-1 none), the data time it started at */
	int table;
	double pass_time;
	double last_pass_time; /* data time of the last completed pass */
	/* counters since open */
	uint64_t pruned_rows, cap_pruned, vacuum_pages, cap_unmet;
	sqlite3_stmt *ret[PRUNE__TABLES]; /* ?1 cutoff, ?2 limit */
	sqlite3_stmt *oldest[PRUNE__TABLES]; /* ?1 limit: deletes the oldest rows */
	sqlite3_stmt *min_time[PRUNE__TABLES]; /* the oldest row's time */
	sqlite3_stmt *leak_top, *leak_del;
};

/* Prepares the statements and reads the data's clock from the database.  SQLite rc. */
int lw_prune_init(struct lw_prune *p, sqlite3 *db, const char *path,
		  const struct lw_store_config *cfg);
void lw_prune_fini(struct lw_prune *p);

/* A record of time ts was written: the data's clock moves to it (if not in the future). */
void lw_prune_note(struct lw_prune *p, double ts);

/* Whether a retention pass is due or running. */
bool lw_prune_retention_due(const struct lw_prune *p);
/* Starts a pass if none runs (every table's cutoff from the data's clock now). */
void lw_prune_retention_start(struct lw_prune *p);
/*
 * One transaction of the running pass (at most LW_PRUNE_CHUNK rows of one table).  SQLite rc;
 * *done when the pass has finished (and the freed pages were given back).
 */
int lw_prune_retention_step(struct lw_prune *p, bool *done);

/* Database file (page_count * page_size) plus the WAL file, in bytes. */
uint64_t lw_prune_db_bytes(struct lw_prune *p);

/*
 * After a commit: if the cap is set and the database is above LW_PRUNE_CAP_HIGH % of it,
 * deletes the oldest rows in LW_PRUNE_CHUNK transactions down to LW_PRUNE_CAP_LOW %, gives the
 * pages back and truncates the WAL.  SQLite rc of a failed step (the next commit tries again).
 */
int lw_prune_cap(struct lw_prune *p);

#endif
