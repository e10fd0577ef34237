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
/*
 * Under a size cap every step that writes (a batch's transaction, a round of pruning) is kept
 * to about one "step" of WAL: max_db_bytes / LW_PRUNE_STEP_DIV, at least LW_PRUNE_STEP_MIN.
 * Another process looking at the files sees the database plus its WAL, and a step's pages are
 * in both once the WAL is checkpointed (until it is truncated): so pruning starts when the
 * files come within LW_PRUNE_CAP_START steps of the cap, and deletes rows until they take no
 * more than the cap less LW_PRUNE_CAP_STOP steps.  With 1/32: from 87.5 % down to 81 %.
 */
#define LW_PRUNE_STEP_DIV 32
#define LW_PRUNE_STEP_MIN (256u << 10)
#define LW_PRUNE_CAP_START 4
#define LW_PRUNE_CAP_STOP 6
/* The fewest rows of a batch's transaction, in estimated bytes (a record is always written). */
#define LW_PRUNE_BATCH_MIN 2048
/* The cap never deletes the newest stats rows: the counters (cap_pruned, ...) stay readable. */
#define LW_PRUNE_STATS_KEEP 64
/* A checkpoint waits this long for a reader to leave the WAL, then tries at the next commit. */
#define LW_PRUNE_CHECKPOINT_BUSY_MS 20
#define LW_PRUNE_CHECKPOINT_RETRY_S 1.0
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
	char path[4096], wal_path[4096 + 8], journal_path[4096 + 8];
	bool wal;
	unsigned days[PRUNE__TABLES]; /* 0 = forever */
	uint64_t max_bytes; /* 0 = no cap */
	uint64_t page; /* page size */
	uint64_t step; /* the WAL one step may add (see LW_PRUNE_STEP_DIV) */
	double amp; /* WAL bytes a batch wrote per estimated byte of its records (learned) */
	int round_rows; /* rows one round of pruning deletes (learned: about a step of WAL) */
	double data_time; /* newest record time written (Unix s), 0 = none yet */
	/* retention pass: the table being pruned (-1 none), the data time it started at */
	int table;
	double pass_time;
	double last_pass_time; /* data time of the last completed pass */
	/* counters since open */
	uint64_t pruned_rows, cap_pruned, vacuum_pages, cap_unmet;
	uint64_t checkpoint_busy; /* checkpoints a reader kept from emptying the WAL */
	double checkpoint_retry; /* CLOCK_MONOTONIC s: no checkpoint before (a reader held one) */
	sqlite3_stmt *ret[PRUNE__TABLES]; /* ?1 cutoff, ?2 limit */
	sqlite3_stmt *oldest[PRUNE__TABLES]; /* ?1 limit: deletes the oldest rows */
	sqlite3_stmt *min_time[PRUNE__TABLES]; /* the oldest row's time */
	sqlite3_stmt *leak_top, *leak_del;
	/*
	 * [fleet] enabled (keep_unsent): of the rows oldest[t] and leak_del are about to delete,
	 * those leakwatch-push has not had acknowledged (above meta fleet_sent_<table>), counted
	 * into meta fleet_capped_<table> in the delete's transaction (NULL: not counted)
	 */
	sqlite3_stmt *unsent[PRUNE__TABLES], *leak_unsent, *capped_add;
	uint64_t cap_unsent; /* counter since open: unsent rows the cap deleted */
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

/*
 * The database as another process sees it: the file (or page_count * page_size, if larger:
 * what a checkpoint will grow it to) plus the WAL or rollback journal, in bytes.
 */
uint64_t lw_prune_db_bytes(struct lw_prune *p);

/*
 * A batch's transaction under a cap: how many bytes of records (their packed size) it may
 * hold, so that its WAL stays about a step; 0 = no limit (no cap).  Call begin before its
 * BEGIN and done after its COMMIT with the bytes it held: done learns how much WAL such
 * bytes make, and checkpoints (and truncates) the WAL once it is over a step.
 */
uint64_t lw_prune_batch_bytes(const struct lw_prune *p);
void lw_prune_batch_begin(struct lw_prune *p);
void lw_prune_batch_done(struct lw_prune *p, uint64_t bytes);

/*
 * Between transactions: if the cap is set and the files are within LW_PRUNE_CAP_START steps
 * of it, deletes the oldest rows in rounds of about a step of WAL each (the rows, then their
 * pages given back by incremental vacuum, then the WAL checkpointed and truncated) until they
 * take no more than the cap less LW_PRUNE_CAP_STOP steps.  SQLite rc of a failed step (the
 * next commit tries again).
 */
int lw_prune_cap(struct lw_prune *p);

#endif
