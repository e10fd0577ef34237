/* SPDX-License-Identifier: MIT */
/*
 * One database row as a fleet message: the tables an access point publishes, their columns,
 * and the message that carries one row from the access point's SQLite to the central store.
 *
 * A message is binary, big-endian, checked on every read:
 *
 *   u8  format (LW_FLEET_FORMAT)
 *   u8  table (index into lw_fleet_tables())
 *   i64 row id (the SQLite rowid: the id column, or rowid for devices and stats)
 *   u64 version (0 for tables whose rows are only inserted; see lw_fleet_table.changed)
 *   u16 number of values (the table's column count)
 *   per value: u8 tag, then INT: i64 | REAL: IEEE-754 double as u64 | TEXT: u32 length, bytes
 *
 * The values keep SQLite's own storage class (a REAL column may hold an integer), so a row
 * read back is the row that was written.  lw_fleet_row_check() says whether a decoded row
 * fits the central store's column types (BIGINT, DOUBLE PRECISION, UTF-8 TEXT).
 */
#ifndef LW_FLEET_ROW_H
#define LW_FLEET_ROW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LW_FLEET_FORMAT 1
/* stats has the most columns (41); a message naming more is malformed */
#define LW_FLEET_MAX_COLS 48
/* an access point id is one NATS subject token: [A-Za-z0-9_-], at most this long */
#define LW_FLEET_AP_MAX 64
/* the longest message id: "<ap>.<table>.<id>.<version>" */
#define LW_FLEET_MSG_ID_MAX (LW_FLEET_AP_MAX + 64)

enum lw_fleet_type {
	LW_FLEET_NULL,
	LW_FLEET_INT,
	LW_FLEET_REAL,
	LW_FLEET_TEXT,
};

struct lw_fleet_column {
	const char *name;
	enum lw_fleet_type type; /* the SQLite column's declared type: INT, REAL or TEXT */
};

struct lw_fleet_table {
	const char *name;
	/* the SQLite expression of the row's id: "id", or "rowid" for a table without one */
	const char *rowid;
	/*
	 * NULL: rows are only ever inserted.  Otherwise the table's rows are updated after
	 * their insert, and this SQLite expression grows with each update that matters (for
	 * flows last_seen): a row is published again while it is at least the highest value a
	 * completed publish saw.  "" = every row is published again on every pass (flagged:
	 * a small table whose updates move no time).
	 */
	const char *changed;
	const struct lw_fleet_column *cols;
	size_t ncols;
};

struct lw_fleet_value {
	enum lw_fleet_type type;
	int64_t i;
	double r;
	const char *s; /* TEXT: a view into the message (not NUL-terminated) */
	size_t len;
};

struct lw_fleet_row {
	unsigned table;
	int64_t id;
	uint64_t version;
	size_t n;
	struct lw_fleet_value v[LW_FLEET_MAX_COLS];
};

/* The published tables, in a fixed order (the message's table index). */
const struct lw_fleet_table *lw_fleet_tables(size_t *n);
/* The index of a table by name, or -ENOENT. */
int lw_fleet_table_index(const char *name);

/* Writes the message for row into buf; returns its length, or -ENOSPC, -EINVAL. */
int lw_fleet_row_encode(const struct lw_fleet_row *row, uint8_t *buf, size_t size);
/* Reads a message; texts point into buf.  0, or -EBADMSG for anything not a whole row. */
int lw_fleet_row_decode(const void *buf, size_t len, struct lw_fleet_row *row);
/*
 * 0 if a decoded row fits its table's central columns: a REAL in an INT column must be a
 * whole number (it is made an INT), a TEXT only in TEXT columns, valid UTF-8 without NUL.
 * -EBADMSG otherwise.
 */
int lw_fleet_row_check(struct lw_fleet_row *row);

/* true if ap is a valid access point id (one subject token, 1..LW_FLEET_AP_MAX bytes) */
bool lw_fleet_ap_valid(const char *ap);
/*
 * The JetStream message id "<ap>.<table>.<id>", and ".<version>" after it when version is
 * not 0.  Returns the length, or -ENOSPC.
 */
int lw_fleet_msg_id(char *buf, size_t size, const char *ap, const char *table, int64_t id,
		    uint64_t version);

#endif
