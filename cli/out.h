/* SPDX-License-Identifier: MIT */
/*
 * out: the leakwatch command's output — aligned tables for people (narrow by default, every
 * column with --wide), JSON and CSV for scripts — and the text handling they share: strings
 * from the database are what devices sent, so they are made safe for a terminal (no escape
 * sequences, no bidi overrides, valid UTF-8) and measured in display columns.
 */
#ifndef LW_CLI_OUT_H
#define LW_CLI_OUT_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define OUT_COLS_MAX 24
#define OUT_TABLE_WIDTH 100 /* default tables fit a 100-column terminal */

enum out_format { OUT_TABLE, OUT_WIDE, OUT_JSON, OUT_CSV };

enum out_kind {
	K_TEXT,
	K_INT,
	K_REAL,
	K_TIME, /* Unix seconds: local (or UTC) time in tables and CSV, a number in JSON */
	K_BOOL,
	K_JSON, /* text that already is JSON (built by SQLite's json_group_*), raw in JSON */
};

/* where a column shows: the default table, the --wide table, JSON, CSV */
#define V_NARROW 1u
#define V_WIDE 2u
#define V_JSON 4u
#define V_CSV 8u
#define V_DATA (V_JSON | V_CSV)
#define V_ALL (V_NARROW | V_WIDE | V_DATA)
#define V_MORE (V_WIDE | V_DATA) /* not in the default table */
#define V_TABLES (V_NARROW | V_WIDE)

struct col {
	const char *title; /* table heading */
	const char *key; /* JSON key, CSV heading */
	enum out_kind kind;
	unsigned show; /* V_* */
	bool right; /* right-aligned (numbers) */
	bool shrink; /* may be cut (with an ellipsis) for the default table to fit */
};

struct out {
	enum out_format format;
	bool utc;
};

/* Chooses a UTF-8 character type (the environment's, else C.UTF-8) for display widths. */
void out_init(void);

/* Prints every row of st (its columns in the order of cols); 0 or an exit status. */
int out_rows(sqlite3_stmt *st, const struct col *cols, size_t n_cols, const struct out *o);

/* s as a JSON string literal: valid UTF-8 (bad bytes as U+FFFD), controls escaped. */
void out_json_str(FILE *f, const char *s);

/* s made safe for a terminal: controls, bidi overrides and bad bytes as U+FFFD. malloc'd. */
char *out_safe(const char *s, size_t *width);

/* A time for people: local (or UTC) "YYYY-MM-DD HH:MM[:SS]". */
void out_time(double t, bool utc, bool seconds, char *buf, size_t len);

#endif
