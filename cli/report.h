/* SPDX-License-Identifier: MIT */
/*
 * report: `leakwatch report`, one self-contained HTML page of what the database holds — per
 * device what it is, the domains it talked to, every identifier that left and where, a
 * timeline of its leaks (inline SVG), what was blocked, and the flags.  The page fetches
 * nothing (no scripts, fonts, images or styles from anywhere; a Content-Security-Policy that
 * forbids them), and every string from the database, which devices chose, is escaped.
 */
#ifndef LW_CLI_REPORT_H
#define LW_CLI_REPORT_H

#include <sqlite3.h>
#include <stdbool.h>

#define REPORT_ROWS_DEFAULT 50 /* rows per table (and devices) unless --limit */
#define REPORT_TIMELINE_ROWS 24 /* (domain, kind) rows of a device's timeline */

struct report_opts {
	const char *path; /* the HTML file (replaced whole, mode 0600); "-" standard output */
	const char *db_path; /* named in the page */
	const char *config_path; /* whose [block] domains are flags of source config */
	const char *mac; /* "" every device */
	double since, until; /* the time window */
	long long limit; /* rows per table; -1 the default */
	bool utc; /* times in UTC, else local time */
};

/*
 * Writes the report of db (opened by the caller, with temp.all_flags loaded) to o->path: into
 * a new temporary file beside it, renamed over it once complete, so a reader never sees half a
 * page.  0 or a sysexits status, the cause on stderr.
 */
int report_write(sqlite3 *db, const struct report_opts *o);

#endif
