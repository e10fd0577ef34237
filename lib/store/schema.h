/* SPDX-License-Identifier: MIT */
/* store internals: opening the file, checking what it is, and migrating its schema. */
#ifndef LW_STORE_SCHEMA_H
#define LW_STORE_SCHEMA_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

#include "store.h"

/* PRAGMA application_id of a leakwatch database: "LKWT". */
#define LW_STORE_APPLICATION_ID 0x4c4b5754

/* How long the writer waits for another connection's lock before it backs off and retries. */
#define LW_STORE_BUSY_MS 200
/* How long opening (and migrating) waits for another connection's lock. */
#define LW_STORE_OPEN_BUSY_MS 2000

/*
 * Creates the file (0600) if needed, refuses what is not a leakwatch database or is newer than
 * this build, switches it to the journal mode (WAL or TRUNCATE) and migrates it to
 * LW_STORE_SCHEMA_VERSION; a database without incremental auto-vacuum is converted (one
 * VACUUM: *vacuum_ms its duration, -1 failed, 0 not needed).  On success *out is an open
 * connection with the writer's PRAGMAs set, and *max_flow_id the largest flows.id.  Returns 0
 * or -errno with a one-line reason in err.
 */
int lw_store_schema_open(const char *path, enum lw_store_journal journal, sqlite3 **out,
			 uint64_t *max_flow_id, long *vacuum_ms, char *err, size_t errlen);

/* Maps an SQLite result code to -errno. */
int lw_store_sqlite_errno(int rc);

#endif
