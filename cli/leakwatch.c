/* SPDX-License-Identifier: MIT */
/*
 * leakwatch: what leakwatchd found, from its SQLite database, for people (aligned tables) and
 * scripts (--json).  It needs no running daemon: reading commands open the database read-only;
 * flag/unflag write the `flagged` table, which a running daemon acts on within a second.
 *
 * Exit status (sysexits.h): 0 done; 1 unflag found nothing to remove; 64 usage (including a
 * malformed domain or MAC); 66 no database at the path; 65 not a leakwatch database; 73 the
 * flagged table holds as many flags as leakwatchd applies, or the backup file cannot be
 * created (it exists, say); 74 a database error.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "block/block.h"
#include "core/types.h"
#include "proto/dns.h"

#define DEFAULT_DB "/var/lib/leakwatch/leakwatch.db"
#define COLS_MAX 16
#define CELL_MAX 512 /* longer values are cut in tables (never in JSON) */

struct opts {
	const char *db;
	bool json;
	const char *device;
	const char *since;
	const char *reason;
};

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: leakwatch [--db PATH] [--json] COMMAND [ARGS]\n"
		"\n"
		"  devices                                  every device seen\n"
		"  leaks [--device MAC] [--since TIME]      identifiers that left the network\n"
		"  domains MAC                              the servers a device talked to\n"
		"  stations [MAC] [--since TIME]            Wi-Fi signal and rates: the latest of\n"
		"                                           each station, or the history of MAC\n"
		"  flag DOMAIN [--device MAC] [--reason TEXT]   block DOMAIN (and its subdomains)\n"
		"  unflag DOMAIN [--device MAC]             stop blocking it\n"
		"  status                                   is leakwatchd running; counters\n"
		"  backup FILE                              a consistent copy of the database in\n"
		"                                           FILE (new, mode 0600), while it runs\n"
		"\n"
		"  --db PATH    the database (default " DEFAULT_DB ")\n"
		"  --json       JSON for scripts instead of tables\n"
		"  TIME         Unix seconds, YYYY-MM-DD[ HH:MM[:SS]] (UTC), or an age: 30m, 12h, "
		"7d\n"
		"Times are shown in UTC.\n");
}

static int fail(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(int status, const char *fmt, ...)
{
	va_list ap;

	fputs("leakwatch: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return status;
}

/* --- output: aligned table or JSON array of objects ------------------------------------ */

enum kind { TEXT, INT, REAL, TIME, BOOL };

struct col {
	const char *title; /* table heading */
	const char *key; /* JSON key */
	enum kind kind;
	bool right; /* right-aligned (numbers) */
};

struct table {
	const struct col *cols;
	size_t n_cols;
	char **cells; /* rows * n_cols strings; NULL = no value */
	size_t rows, cap;
	bool json;
	sqlite3_stmt *st;
};

static void fmt_time(double t, char *buf, size_t len)
{
	time_t s = (time_t)t;
	struct tm tm;

	gmtime_r(&s, &tm);
	strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm);
}

/* The text of column i of the current row, for a table. NULL when the value is NULL. */
static char *cell_text(sqlite3_stmt *st, int i, enum kind kind)
{
	char buf[64];

	if (sqlite3_column_type(st, i) == SQLITE_NULL)
		return NULL;
	switch (kind) {
	case TIME:
		fmt_time(sqlite3_column_double(st, i), buf, sizeof(buf));
		return strdup(buf);
	case BOOL:
		return strdup(sqlite3_column_int64(st, i) ? "yes" : "no");
	case INT:
		snprintf(buf, sizeof(buf), "%lld", (long long)sqlite3_column_int64(st, i));
		return strdup(buf);
	case REAL:
		snprintf(buf, sizeof(buf), "%.3f", sqlite3_column_double(st, i));
		return strdup(buf);
	case TEXT:
		break;
	}
	return strdup((const char *)sqlite3_column_text(st, i));
}

static void json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c == '\n')
			fputs("\\n", stdout);
		else if (c == '\t')
			fputs("\\t", stdout);
		else if (c < 0x20 || c == 0x7f)
			printf("\\u%04x", c);
		else
			putchar(c); /* UTF-8 passes through; other bytes are the database's */
	}
	putchar('"');
}

static void json_value(sqlite3_stmt *st, int i, enum kind kind)
{
	if (sqlite3_column_type(st, i) == SQLITE_NULL) {
		fputs("null", stdout);
		return;
	}
	switch (kind) {
	case INT:
		printf("%lld", (long long)sqlite3_column_int64(st, i));
		return;
	case BOOL:
		fputs(sqlite3_column_int64(st, i) ? "true" : "false", stdout);
		return;
	case REAL:
	case TIME:
		/* times stay Unix seconds in JSON: scripts compute with them */
		printf("%.6f", sqlite3_column_double(st, i));
		return;
	case TEXT:
		json_str((const char *)sqlite3_column_text(st, i));
		return;
	}
}

/* Prints every row of st as a table or as JSON; returns 0 or EX_IOERR. */
static int print_rows(sqlite3_stmt *st, const struct col *cols, size_t n_cols, bool json)
{
	size_t width[COLS_MAX] = {0}, rows = 0, cap = 0, r, c;
	char **cells = NULL;
	int rc;

	if (json)
		putchar('[');
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (json) {
			printf("%s\n  {", rows ? "," : "");
			for (c = 0; c < n_cols; c++) {
				printf("%s\"%s\": ", c ? ", " : "", cols[c].key);
				json_value(st, (int)c, cols[c].kind);
			}
			putchar('}');
			rows++;
			continue;
		}
		if (rows == cap) {
			char **n;

			cap = cap ? cap * 2 : 64;
			n = realloc(cells, cap * n_cols * sizeof(*cells));
			if (!n) {
				rc = SQLITE_NOMEM;
				break;
			}
			cells = n;
		}
		for (c = 0; c < n_cols; c++) {
			char *t = cell_text(st, (int)c, cols[c].kind);

			if (t && strlen(t) > CELL_MAX)
				t[CELL_MAX] = '\0';
			cells[rows * n_cols + c] = t;
		}
		rows++;
	}
	if (json) {
		puts(rows ? "\n]" : "]");
	} else if (rc == SQLITE_DONE) {
		for (c = 0; c < n_cols; c++)
			width[c] = strlen(cols[c].title);
		for (r = 0; r < rows; r++)
			for (c = 0; c < n_cols; c++) {
				const char *t = cells[r * n_cols + c];
				size_t l = t ? strlen(t) : 1;

				if (l > width[c])
					width[c] = l;
			}
		for (r = 0; r <= rows; r++) {
			for (c = 0; c < n_cols; c++) {
				const char *t =
					r == 0 ? cols[c].title : cells[(r - 1) * n_cols + c];
				bool last = c + 1 == n_cols;

				if (!t)
					t = "-";
				if (cols[c].right)
					printf("%*s%s", (int)width[c], t, last ? "" : "  ");
				else if (last)
					fputs(t, stdout);
				else
					printf("%-*s  ", (int)width[c], t);
			}
			putchar('\n');
		}
	}
	for (r = 0; r < rows * (json ? 0 : 1); r++)
		for (c = 0; c < n_cols; c++)
			free(cells[r * n_cols + c]);
	free(cells);
	if (rc != SQLITE_DONE)
		return fail(EX_IOERR, "reading the database: %s",
			    sqlite3_errmsg(sqlite3_db_handle(st)));
	return 0;
}

/* --- the database -------------------------------------------------------------------------- */

static int open_db(const char *path, bool write, sqlite3 **out)
{
	struct stat sb;
	sqlite3 *db = NULL;
	sqlite3_stmt *st;
	int rc, version = 0;
	char app[16] = "";

	*out = NULL;
	if (stat(path, &sb) < 0)
		return fail(EX_NOINPUT, "%s: %s (a different database: --db PATH)", path,
			    strerror(errno));
	rc = sqlite3_open_v2(path, &db, write ? SQLITE_OPEN_READWRITE : SQLITE_OPEN_READONLY, NULL);
	if (rc != SQLITE_OK) {
		fail(EX_NOINPUT, "%s: %s", path, db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
		sqlite3_close(db);
		return EX_NOINPUT;
	}
	sqlite3_busy_timeout(db, 5000); /* the daemon commits at least once a second */
	rc = sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL);
	if (rc == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		version = sqlite3_column_int(st, 0);
	else
		rc = SQLITE_NOTADB;
	sqlite3_finalize(st);
	if (rc == SQLITE_OK &&
	    sqlite3_prepare_v2(db, "SELECT 1 FROM sqlite_master WHERE name = 'leaks'", -1, &st,
			       NULL) == SQLITE_OK) {
		if (sqlite3_step(st) == SQLITE_ROW)
			snprintf(app, sizeof(app), "yes");
		sqlite3_finalize(st);
	}
	if (rc != SQLITE_OK || version < 1 || !app[0]) {
		sqlite3_close(db);
		return fail(EX_DATAERR, "%s: not a leakwatch database", path);
	}
	*out = db;
	return 0;
}

static int prepare(sqlite3 *db, const char *sql, sqlite3_stmt **st)
{
	if (sqlite3_prepare_v2(db, sql, -1, st, NULL) != SQLITE_OK)
		return fail(EX_IOERR, "%s", sqlite3_errmsg(db));
	return 0;
}

static int parse_mac(const char *s, char *out)
{
	struct lw_mac m;

	if (lw_mac_parse(s, &m) < 0)
		return fail(EX_USAGE, "'%s' is not a MAC address (like 02:00:5e:10:00:01)", s);
	lw_mac_str(&m, out);
	return 0;
}

/* TIME: Unix seconds, an ISO date (and time) in UTC, or an age (30s, 15m, 12h, 7d). */
static int parse_since(const char *s, double *out)
{
	struct tm tm;
	char *end;
	const char *e;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (end != s && errno == 0 && v >= 0) {
		double unit = 0;

		if (*end == '\0')
			unit = -1;
		else if (end[1] == '\0')
			unit = *end == 's'   ? 1
			       : *end == 'm' ? 60
			       : *end == 'h' ? 3600
			       : *end == 'd' ? 86400
					     : 0;
		if (unit < 0) {
			*out = v;
			return 0;
		}
		if (unit > 0 && strchr(s, '-') == NULL) {
			*out = (double)time(NULL) - v * unit;
			return 0;
		}
	}
	memset(&tm, 0, sizeof(tm));
	if (((e = strptime(s, "%Y-%m-%d %H:%M:%S", &tm)) && !*e) ||
	    (memset(&tm, 0, sizeof(tm)), (e = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm)) && !*e) ||
	    (memset(&tm, 0, sizeof(tm)), (e = strptime(s, "%Y-%m-%d %H:%M", &tm)) && !*e) ||
	    (memset(&tm, 0, sizeof(tm)), (e = strptime(s, "%Y-%m-%d", &tm)) && !*e)) {
		*out = (double)timegm(&tm);
		return 0;
	}
	return fail(EX_USAGE,
		    "--since '%s': give Unix seconds, YYYY-MM-DD[ HH:MM[:SS]] or an age "
		    "such as 30m, 12h, 7d",
		    s);
}

/* --- commands ------------------------------------------------------------------------------ */

/*
 * devices.port came with schema 3; a database the daemon has not migrated yet (an older one
 * still running) has none, and is read-only here: its port shows as unknown.
 */
static bool has_port(sqlite3 *db)
{
	sqlite3_stmt *st;
	bool yes;

	if (sqlite3_prepare_v2(db, "SELECT 1 FROM pragma_table_info('devices') WHERE name = 'port'",
			       -1, &st, NULL) != SQLITE_OK)
		return false;
	yes = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	return yes;
}

static int cmd_devices(sqlite3 *db, const struct opts *o)
{
	static const struct col cols[] = {
		{"MAC", "mac", TEXT, false},
		{"LABEL", "label", TEXT, false},
		{"HOSTNAME", "hostname", TEXT, false},
		{"VENDOR", "vendor", TEXT, false},
		{"IP", "ip", TEXT, false},
		{"PORT", "port", TEXT, false},
		{"RANDOMIZED", "randomized", BOOL, false},
		{"CONNECTED SINCE", "connected_since", TIME, false},
		{"FIRST SEEN", "first_seen", TIME, false},
		{"LAST SEEN", "last_seen", TIME, false},
		{"LEAKS", "leaks", INT, true},
		{"DHCP VENDOR", "dhcp_vendor", TEXT, false},
	};
	char sql[512];
	sqlite3_stmt *st;
	int r;

	_Static_assert(LW_ARRAY_SIZE(cols) <= COLS_MAX, "a table has COLS_MAX columns at most");
	snprintf(
		sql, sizeof(sql),
		"SELECT d.mac, d.label, d.hostname, d.vendor, d.ip, %s, d.randomized,\n"
		"  (SELECT max(start) FROM sessions s WHERE s.mac = d.mac AND s.\"end\" IS NULL),\n"
		"  d.first_seen, d.last_seen,\n"
		"  (SELECT count(*) FROM leaks l WHERE l.mac = d.mac), d.dhcp_vendor\n"
		"FROM devices d ORDER BY d.mac",
		has_port(db) ? "d.port" : "NULL");
	r = prepare(db, sql, &st);
	if (r)
		return r;
	r = print_rows(st, cols, LW_ARRAY_SIZE(cols), o->json);
	sqlite3_finalize(st);
	return r;
}

static int cmd_leaks(sqlite3 *db, const struct opts *o)
{
	static const struct col cols[] = {
		{"TIME", "ts", TIME, false},
		{"MAC", "mac", TEXT, false},
		{"DEVICE", "device", TEXT, false},
		{"DOMAIN", "domain", TEXT, false},
		{"KIND", "kind", TEXT, false},
		{"VALUE", "value", TEXT, false},
		{"CONFIDENCE", "confidence", TEXT, false},
		{"WHERE", "location", TEXT, false},
		{"ENCODING", "encoding", TEXT, false},
	};
	char mac[LW_MAC_STRLEN] = "";
	double since = 0;
	sqlite3_stmt *st;
	int r;

	if (o->device && (r = parse_mac(o->device, mac)))
		return r;
	if (o->since && (r = parse_since(o->since, &since)))
		return r;
	r = prepare(
		db,
		"SELECT l.ts, l.mac, coalesce(d.label, d.hostname), l.domain, l.kind, l.value,\n"
		"  l.confidence, l.location, l.encoding\n"
		"FROM leaks l LEFT JOIN devices d ON d.mac = l.mac\n"
		"WHERE (?1 = '' OR l.mac = ?1) AND l.ts >= ?2 ORDER BY l.ts, l.id",
		&st);
	if (r)
		return r;
	sqlite3_bind_text(st, 1, mac, -1, SQLITE_STATIC);
	sqlite3_bind_double(st, 2, since);
	r = print_rows(st, cols, LW_ARRAY_SIZE(cols), o->json);
	sqlite3_finalize(st);
	return r;
}

static int cmd_domains(sqlite3 *db, const struct opts *o, const char *mac_arg)
{
	static const struct col cols[] = {
		{"DOMAIN", "domain", TEXT, false},	 {"FLOWS", "flows", INT, true},
		{"BYTES OUT", "bytes_out", INT, true},	 {"BYTES IN", "bytes_in", INT, true},
		{"LEAKS", "leaks", INT, true},		 {"FIRST SEEN", "first_seen", TIME, false},
		{"LAST SEEN", "last_seen", TIME, false}, {"FLAGGED", "flagged", BOOL, false},
	};
	char mac[LW_MAC_STRLEN];
	sqlite3_stmt *st;
	int r = parse_mac(mac_arg, mac);

	if (r)
		return r;
	/* flagged: a row for the name or a parent domain, for every device or this one */
	r = prepare(db,
		    "SELECT dd.domain, dd.flows, dd.bytes_out, dd.bytes_in,\n"
		    "  (SELECT count(*) FROM leaks l WHERE l.mac = dd.mac AND l.domain = "
		    "dd.domain),\n"
		    "  dd.first_seen, dd.last_seen,\n"
		    "  EXISTS (SELECT 1 FROM flagged f WHERE (f.mac IS NULL OR f.mac = dd.mac)\n"
		    "    AND (dd.domain = f.domain OR dd.domain LIKE '%.' || f.domain))\n"
		    "FROM device_domains dd WHERE dd.mac = ?1\n"
		    "ORDER BY dd.flows DESC, dd.domain",
		    &st);
	if (r)
		return r;
	sqlite3_bind_text(st, 1, mac, -1, SQLITE_STATIC);
	r = print_rows(st, cols, LW_ARRAY_SIZE(cols), o->json);
	sqlite3_finalize(st);
	return r;
}

/* stations came with schema 4; an older database (read-only here) has none yet. */
static bool has_stations(sqlite3 *db)
{
	sqlite3_stmt *st;
	bool yes;

	if (sqlite3_prepare_v2(db,
			       "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = "
			       "'stations'",
			       -1, &st, NULL) != SQLITE_OK)
		return false;
	yes = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	return yes;
}

/*
 * Without MAC: the latest row of every station (the last poll that saw it, on whichever
 * interface); with MAC: every row of that station, oldest first.  --since limits both.
 */
static int cmd_stations(sqlite3 *db, const struct opts *o, const char *mac_arg)
{
	static const struct col cols[] = {
		{"TIME", "ts", TIME, false},
		{"MAC", "mac", TEXT, false},
		{"DEVICE", "device", TEXT, false},
		{"IFACE", "ifname", TEXT, false},
		{"SIGNAL DBM", "signal", INT, true},
		{"AVG DBM", "signal_avg", INT, true},
		{"TX KBIT/S", "tx_bitrate", INT, true},
		{"RX KBIT/S", "rx_bitrate", INT, true},
		{"INACTIVE MS", "inactive_ms", INT, true},
		{"CONNECTED S", "connected_s", INT, true},
		{"RX BYTES", "rx_bytes", INT, true},
		{"TX BYTES", "tx_bytes", INT, true},
		{"TX RETRIES", "tx_retries", INT, true},
		{"TX FAILED", "tx_failed", INT, true},
	};
	char mac[LW_MAC_STRLEN] = "", sql[1024];
	double since = 0;
	sqlite3_stmt *st;
	int r;

	_Static_assert(LW_ARRAY_SIZE(cols) <= COLS_MAX, "a table has COLS_MAX columns at most");
	if (mac_arg && (r = parse_mac(mac_arg, mac)))
		return r;
	if (o->since && (r = parse_since(o->since, &since)))
		return r;
	if (!has_stations(db)) {
		fprintf(stderr,
			"leakwatch: %s has no station data yet (schema before 4); a newer "
			"leakwatchd adds it\n",
			o->db);
		snprintf(sql, sizeof(sql), "SELECT %s WHERE 0",
			 "NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, "
			 "NULL, NULL");
	} else {
		/* ids grow with time: the largest id of a MAC is its latest row (index-only) */
		snprintf(sql, sizeof(sql),
			 "SELECT s.ts, s.mac, coalesce(d.label, d.hostname), s.ifname, s.signal,\n"
			 "  s.signal_avg, s.tx_bitrate, s.rx_bitrate, s.inactive_ms, "
			 "s.connected_s,\n"
			 "  s.rx_bytes, s.tx_bytes, s.tx_retries, s.tx_failed\n"
			 "FROM stations s LEFT JOIN devices d ON d.mac = s.mac\n"
			 "WHERE %s AND s.ts >= ?2 ORDER BY %s",
			 mac[0] ? "s.mac = ?1"
				: "s.id IN (SELECT max(id) FROM stations WHERE ts >= ?2 GROUP BY "
				  "mac)",
			 mac[0] ? "s.ts, s.id" : "s.mac");
	}
	r = prepare(db, sql, &st);
	if (r)
		return r;
	if (sqlite3_bind_parameter_count(st) >= 2) {
		sqlite3_bind_text(st, 1, mac, -1, SQLITE_STATIC);
		sqlite3_bind_double(st, 2, since);
	}
	r = print_rows(st, cols, LW_ARRAY_SIZE(cols), o->json);
	sqlite3_finalize(st);
	return r;
}

static int normalize_domain(const char *arg, char *out, size_t len)
{
	if (strlen(arg) >= len || (snprintf(out, len, "%s", arg), lw_dns_name_normalize(out) < 0) ||
	    !strchr(out, '.'))
		return fail(EX_USAGE,
			    "'%s' is not a domain name (labels of letters, digits and '-', "
			    "separated by dots, e.g. vnet.cn)",
			    arg);
	return 0;
}

/*
 * Before a user flag: an auto row of the same key becomes the person's (no expiry, never
 * evicted); a table already holding LW_BLOCK_MAX_USER_FLAGS user rows refuses it, since the
 * daemon would ignore it.  0 go on; -1 done (the auto row taken over); else an exit status.
 */
static int flag_room(sqlite3 *db, const char *domain, const char *mac, const char *reason)
{
	sqlite3_stmt *st;
	long long n;
	int r;

	r = prepare(db,
		    "UPDATE flagged SET source = 'user', expires = NULL, "
		    "reason = ifnull(nullif(?3, ''), reason) "
		    "WHERE domain = ?1 AND ifnull(mac, '') = ?2 AND source = 'auto'",
		    &st);
	if (r)
		return r;
	sqlite3_bind_text(st, 1, domain, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, mac, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, reason ? reason : "", -1, SQLITE_STATIC);
	r = sqlite3_step(st);
	sqlite3_finalize(st);
	if (r != SQLITE_DONE)
		return fail(EX_IOERR, "%s", sqlite3_errmsg(db));
	if (sqlite3_changes(db)) {
		printf("flagged %s for %s (was an automatic flag)\n", domain,
		       mac[0] ? mac : "every device");
		return -1;
	}
	/* (an existing row of that key: "already flagged" below, whatever the count) */
	r = prepare(
		db,
		"SELECT count(*) FROM flagged WHERE ifnull(source, '') != 'auto' AND NOT EXISTS "
		"(SELECT 1 FROM flagged WHERE domain = ?1 AND ifnull(mac, '') = ?2)",
		&st);
	if (r)
		return r;
	sqlite3_bind_text(st, 1, domain, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, mac, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_ROW) {
		r = fail(EX_IOERR, "%s", sqlite3_errmsg(db));
		sqlite3_finalize(st);
		return r;
	}
	n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	if (n >= LW_BLOCK_MAX_USER_FLAGS)
		return fail(
			EX_CANTCREAT,
			"%s not flagged: the flagged table holds %lld flags, the most leakwatchd "
			"applies (%d; automatic flags not counted); unflag some first",
			domain, n, LW_BLOCK_MAX_USER_FLAGS);
	return 0;
}

static int cmd_flag(sqlite3 *db, const struct opts *o, const char *domain_arg, bool flag)
{
	char domain[LW_DNS_NAME_MAX], mac[LW_MAC_STRLEN] = "";
	sqlite3_stmt *st;
	int r, changed;

	if ((r = normalize_domain(domain_arg, domain, sizeof(domain))) ||
	    (o->device && (r = parse_mac(o->device, mac))))
		return r;
	if (flag && (r = flag_room(db, domain, mac, o->reason)) != 0)
		return r < 0 ? 0 : r;
	if (flag)
		r = prepare(db,
			    "INSERT INTO flagged(domain, mac, reason, source) "
			    "SELECT ?1, nullif(?2, ''), nullif(?3, ''), 'user' WHERE NOT EXISTS "
			    "(SELECT 1 FROM flagged WHERE domain = ?1 AND ifnull(mac, '') = ?2)",
			    &st);
	else
		r = prepare(db, "DELETE FROM flagged WHERE domain = ?1 AND ifnull(mac, '') = ?2",
			    &st);
	if (r)
		return r;
	sqlite3_bind_text(st, 1, domain, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, mac, -1, SQLITE_STATIC);
	if (flag)
		sqlite3_bind_text(st, 3, o->reason ? o->reason : "", -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE) {
		r = fail(EX_IOERR, "%s", sqlite3_errmsg(db));
		sqlite3_finalize(st);
		return r;
	}
	sqlite3_finalize(st);
	changed = sqlite3_changes(db);
	if (o->json) {
		printf("{\"domain\": ");
		json_str(domain);
		printf(", \"mac\": ");
		if (mac[0])
			json_str(mac);
		else
			fputs("null", stdout);
		printf(", \"%s\": %s}\n", flag ? "flagged" : "unflagged",
		       changed ? "true" : "false");
	} else if (flag) {
		printf("%s %s for %s\n", changed ? "flagged" : "already flagged:", domain,
		       mac[0] ? mac : "every device");
	} else {
		printf("%s %s for %s\n", changed ? "unflagged" : "was not flagged:", domain,
		       mac[0] ? mac : "every device");
	}
	return !flag && !changed ? 1 : 0;
}

/* The daemon holds an flock on the database file while it runs (SQLite's own locks are
 * fcntl locks, which flock does not see). */
static bool daemon_running(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	bool running = false;

	if (fd < 0)
		return false;
	if (flock(fd, LOCK_SH | LOCK_NB) < 0 && errno == EWOULDBLOCK)
		running = true;
	close(fd);
	return running;
}

static long long file_size(const char *path, const char *suffix)
{
	char p[4096];
	struct stat sb;

	snprintf(p, sizeof(p), "%s%s", path, suffix);
	return stat(p, &sb) == 0 ? (long long)sb.st_size : 0;
}

/* the block.* meta keys the daemon keeps (daemon/block.c), from column BLOCK_COL on */
#define BLOCK_COL 12
static const char *const block_keys[] = {"layout", "family",	   "family_config", "queue_path",
					 "holds",  "br_netfilter", "problems"};

static const char *col_text(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	return t ? (const char *)t : NULL;
}

/* "block": {...} with problems as a list of lines; null when blocking never reported */
static void status_block_json(sqlite3_stmt *st, int col)
{
	size_t i;

	fputs(", \"block\": ", stdout);
	if (!col_text(st, col + 4)) {
		fputs("null", stdout);
		return;
	}
	putchar('{');
	for (i = 0; i < LW_ARRAY_SIZE(block_keys); i++) {
		const char *v = col_text(st, col + (int)i);

		printf("%s\"%s\": ", i ? ", " : "", block_keys[i]);
		if (strcmp(block_keys[i], "problems") == 0) {
			char buf[4096], *line, *save = NULL;
			bool first = true;

			snprintf(buf, sizeof(buf), "%s", v ? v : "");
			putchar('[');
			for (line = strtok_r(buf, "\n", &save); line;
			     line = strtok_r(NULL, "\n", &save)) {
				fputs(first ? "" : ", ", stdout);
				json_str(line);
				first = false;
			}
			putchar(']');
		} else if (v) {
			json_str(v);
		} else {
			fputs("null", stdout);
		}
	}
	putchar('}');
}

static void status_block_text(sqlite3_stmt *st, int col, bool running)
{
	const char *layout = col_text(st, col), *fam = col_text(st, col + 1),
		   *famc = col_text(st, col + 2), *qp = col_text(st, col + 3),
		   *holds = col_text(st, col + 4), *brnf = col_text(st, col + 5),
		   *probs = col_text(st, col + 6);
	char buf[4096], *line, *save = NULL;
	bool first = true;

	if (!holds)
		return; /* a database no daemon with blocking wrote */
	if (fam)
		printf("blocking:       %s AP, table family %s (%s), queue path %s%s\n",
		       layout ? layout : "?", fam, famc ? famc : "?", qp ? qp : "?",
		       running ? "" : " (when it last ran)");
	else
		printf("blocking:       %s\n", holds);
	if (fam) {
		printf("holds:          %s\n", holds);
		printf("br_netfilter:   %s\n", brnf ? brnf : "?");
	}
	snprintf(buf, sizeof(buf), "%s", probs ? probs : "");
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		printf("%s%s\n", first ? "problems:       " : "                ", line);
		first = false;
	}
	if (first)
		printf("problems:       none\n");
}

/* the storage.* meta keys the daemon writes at start (daemon/main.c), from STORAGE_COL on */
#define STORAGE_COL 19
static const char *const storage_keys[] = {"kind", "fs", "advice", "journal", "max_db_mb"};

/* rows pruned by retention and by the size cap (stats, schema v6); -1 before v6 */
static void pruned_counts(sqlite3 *db, long long *pruned, long long *cap_pruned)
{
	sqlite3_stmt *st;

	*pruned = *cap_pruned = -1;
	if (sqlite3_prepare_v2(db,
			       "SELECT pruned_rows, cap_pruned FROM stats ORDER BY ts DESC LIMIT 1",
			       -1, &st, NULL) != SQLITE_OK)
		return;
	if (sqlite3_step(st) == SQLITE_ROW) {
		*pruned = sqlite3_column_int64(st, 0);
		*cap_pruned = sqlite3_column_int64(st, 1);
	}
	sqlite3_finalize(st);
}

static void status_storage_json(sqlite3_stmt *st, long long pruned, long long cap_pruned)
{
	size_t i;

	fputs(", \"storage\": ", stdout);
	if (!col_text(st, STORAGE_COL)) {
		fputs("null", stdout);
	} else {
		putchar('{');
		for (i = 0; i < LW_ARRAY_SIZE(storage_keys); i++) {
			const char *v = col_text(st, STORAGE_COL + (int)i);

			printf("%s\"%s\": ", i ? ", " : "", storage_keys[i]);
			if (!v)
				fputs("null", stdout);
			else if (strcmp(storage_keys[i], "max_db_mb") == 0)
				printf("%lld", atoll(v));
			else
				json_str(v);
		}
		putchar('}');
	}
	if (pruned >= 0)
		printf(", \"pruned_rows\": %lld, \"cap_pruned\": %lld", pruned, cap_pruned);
}

static void status_storage_text(sqlite3_stmt *st, long long pruned, long long cap_pruned)
{
	const char *kind = col_text(st, STORAGE_COL), *advice = col_text(st, STORAGE_COL + 2),
		   *journal = col_text(st, STORAGE_COL + 3), *cap = col_text(st, STORAGE_COL + 4);

	if (!kind)
		return; /* written by a daemon from before storage awareness */
	printf("storage:        %s — %s\n", kind, advice ? advice : "?");
	printf("journal:        %s\n", journal ? journal : "?");
	if (cap && atoll(cap) > 0)
		printf("size cap:       %lld MiB", atoll(cap));
	else
		printf("size cap:       none");
	if (pruned >= 0)
		printf(" (%lld rows pruned, %lld of them for the cap)", pruned, cap_pruned);
	putchar('\n');
}

static int cmd_status(sqlite3 *db, const struct opts *o)
{
	static const char sql[] =
		"SELECT (SELECT value FROM meta WHERE key = 'pid'),\n"
		"  (SELECT value FROM meta WHERE key = 'source'),\n"
		"  (SELECT value FROM meta WHERE key = 'version'),\n"
		"  s.ts, s.packets, s.dropped, s.flows_active, s.leaks,\n"
		"  (SELECT count(*) FROM devices), (SELECT count(*) FROM leaks),\n"
		"  (SELECT count(*) FROM sessions WHERE \"end\" IS NULL),\n"
		"  (SELECT count(*) FROM flagged),\n"
		"  (SELECT value FROM meta WHERE key = 'block.layout'),\n"
		"  (SELECT value FROM meta WHERE key = 'block.family'),\n"
		"  (SELECT value FROM meta WHERE key = 'block.family_config'),\n"
		"  (SELECT value FROM meta WHERE key = 'block.queue_path'),\n"
		"  (SELECT value FROM meta WHERE key = 'block.holds'),\n"
		"  (SELECT value FROM meta WHERE key = 'block.br_netfilter'),\n"
		"  (SELECT value FROM meta WHERE key = 'block.problems'),\n"
		"  (SELECT value FROM meta WHERE key = 'storage.kind'),\n"
		"  (SELECT value FROM meta WHERE key = 'storage.fs'),\n"
		"  (SELECT value FROM meta WHERE key = 'storage.advice'),\n"
		"  (SELECT value FROM meta WHERE key = 'storage.journal'),\n"
		"  (SELECT value FROM meta WHERE key = 'storage.max_db_mb')\n"
		"FROM (SELECT 1) LEFT JOIN (SELECT * FROM stats ORDER BY ts DESC LIMIT 1) s";
	bool running = daemon_running(o->db);
	long long size = file_size(o->db, "") + file_size(o->db, "-wal");
	long long pruned, cap_pruned;
	sqlite3_stmt *st;
	int r = prepare(db, sql, &st);

	if (r)
		return r;
	if (sqlite3_step(st) != SQLITE_ROW) {
		r = fail(EX_IOERR, "%s", sqlite3_errmsg(db));
		sqlite3_finalize(st);
		return r;
	}
	pruned_counts(db, &pruned, &cap_pruned);
	if (o->json) {
		static const char *const keys[] = {
			"pid",	   "source",  "version",      "stats_time",
			"packets", "dropped", "flows_active", "leaks_counted",
			"devices", "leaks",   "stations_now", "flagged",
		};
		size_t i;

		printf("{\"running\": %s, \"database\": ", running ? "true" : "false");
		json_str(o->db);
		printf(", \"database_bytes\": %lld", size);
		for (i = 0; i < LW_ARRAY_SIZE(keys); i++) {
			printf(", \"%s\": ", keys[i]);
			if (i == 0 && !running)
				fputs("null", stdout);
			else
				json_value(st, (int)i, i == 3 ? TIME : i < 3 ? TEXT : INT);
		}
		status_block_json(st, BLOCK_COL);
		status_storage_json(st, pruned, cap_pruned);
		puts("}");
	} else {
		char t[32] = "-";
		const char *pid = (const char *)sqlite3_column_text(st, 0);

		if (sqlite3_column_type(st, 3) != SQLITE_NULL)
			fmt_time(sqlite3_column_double(st, 3), t, sizeof(t));
		if (running && pid)
			printf("leakwatchd:     running (pid %s)\n", pid);
		else
			printf("leakwatchd:     %s\n", running ? "running" : "not running");
		printf("database:       %s (%.1f MB)\n", o->db, (double)size / 1e6);
		status_storage_text(st, pruned, cap_pruned);
		printf("capturing:      %s\n", sqlite3_column_type(st, 1) != SQLITE_NULL
						       ? (const char *)sqlite3_column_text(st, 1)
						       : "-");
		printf("last counters:  %s\n", t);
		printf("packets:        %lld\n", (long long)sqlite3_column_int64(st, 4));
		printf("dropped:        %lld\n", (long long)sqlite3_column_int64(st, 5));
		printf("flows active:   %lld\n", (long long)sqlite3_column_int64(st, 6));
		printf("devices:        %lld (%lld connected now)\n",
		       (long long)sqlite3_column_int64(st, 8),
		       (long long)sqlite3_column_int64(st, 10));
		printf("leaks:          %lld\n", (long long)sqlite3_column_int64(st, 9));
		printf("flagged:        %lld\n", (long long)sqlite3_column_int64(st, 11));
		status_block_text(st, BLOCK_COL, running);
	}
	sqlite3_finalize(st);
	return 0;
}

/*
 * A copy of the database by SQLite's online backup API, in one step: one read transaction, so
 * the copy is the database as of one commit, and (WAL) the daemon goes on writing meanwhile.
 * The file must not exist: created 0600 (the rows are personal data), never through a link.
 */
static int cmd_backup(sqlite3 *db, const char *path)
{
	sqlite3 *out = NULL;
	sqlite3_backup *b;
	int fd, rc, pages;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return fail(EX_CANTCREAT, "%s: %s (the backup must be a new file)", path,
			    strerror(errno));
	close(fd);
	rc = sqlite3_open_v2(path, &out, SQLITE_OPEN_READWRITE, NULL);
	b = rc == SQLITE_OK ? sqlite3_backup_init(out, "main", db, "main") : NULL;
	if (!b) {
		fail(EX_IOERR, "%s: %s", path, out ? sqlite3_errmsg(out) : sqlite3_errstr(rc));
		sqlite3_close(out);
		unlink(path);
		return EX_IOERR;
	}
	do {
		rc = sqlite3_backup_step(b, -1);
		if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
			sqlite3_sleep(100);
	} while (rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED);
	pages = sqlite3_backup_pagecount(b);
	sqlite3_backup_finish(b);
	if (rc != SQLITE_DONE) {
		fail(EX_IOERR, "%s: %s", path, sqlite3_errstr(rc));
		sqlite3_close(out);
		unlink(path);
		return EX_IOERR;
	}
	rc = sqlite3_close(out);
	if (rc != SQLITE_OK)
		return fail(EX_IOERR, "%s: %s", path, sqlite3_errstr(rc));
	printf("%s: %d pages\n", path, pages);
	return 0;
}

int main(int argc, char **argv)
{
	enum { OPT_DB = 256, OPT_JSON, OPT_DEVICE, OPT_SINCE, OPT_REASON };
	static const struct option longopts[] = {
		{"db", required_argument, NULL, OPT_DB},
		{"json", no_argument, NULL, OPT_JSON},
		{"device", required_argument, NULL, OPT_DEVICE},
		{"since", required_argument, NULL, OPT_SINCE},
		{"reason", required_argument, NULL, OPT_REASON},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct opts o = {.db = DEFAULT_DB};
	const char *cmd;
	sqlite3 *db = NULL;
	int c, r, nargs;
	bool write;

	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_DB:
			o.db = optarg;
			break;
		case OPT_JSON:
			o.json = true;
			break;
		case OPT_DEVICE:
			o.device = optarg;
			break;
		case OPT_SINCE:
			o.since = optarg;
			break;
		case OPT_REASON:
			o.reason = optarg;
			break;
		case 'h':
			usage(stdout);
			return EX_OK;
		default:
			usage(stderr);
			return EX_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return EX_USAGE;
	}
	cmd = argv[optind];
	nargs = argc - optind - 1;
	write = !strcmp(cmd, "flag") || !strcmp(cmd, "unflag");
	/* each command's arguments and options, checked before the database is opened */
	if (!strcmp(cmd, "devices") || !strcmp(cmd, "status")) {
		if (nargs != 0 || o.device || o.since || o.reason)
			return fail(EX_USAGE, "%s takes no arguments", cmd);
	} else if (!strcmp(cmd, "leaks")) {
		if (nargs != 0 || o.reason)
			return fail(EX_USAGE,
				    "usage: leakwatch leaks [--device MAC] [--since TIME]");
	} else if (!strcmp(cmd, "domains")) {
		if (nargs != 1 || o.device || o.since || o.reason)
			return fail(EX_USAGE, "usage: leakwatch domains MAC");
	} else if (!strcmp(cmd, "stations")) {
		if (nargs > 1 || o.device || o.reason)
			return fail(EX_USAGE, "usage: leakwatch stations [MAC] [--since TIME]");
	} else if (!strcmp(cmd, "flag")) {
		if (nargs != 1 || o.since)
			return fail(EX_USAGE,
				    "usage: leakwatch flag DOMAIN [--device MAC] [--reason TEXT]");
	} else if (!strcmp(cmd, "backup")) {
		if (nargs != 1 || o.device || o.since || o.reason)
			return fail(EX_USAGE, "usage: leakwatch backup FILE");
	} else if (!strcmp(cmd, "unflag")) {
		if (nargs != 1 || o.since || o.reason)
			return fail(EX_USAGE, "usage: leakwatch unflag DOMAIN [--device MAC]");
	} else {
		fail(EX_USAGE, "unknown command '%s'", cmd);
		usage(stderr);
		return EX_USAGE;
	}
	if (write) {
		char domain[LW_DNS_NAME_MAX], mac[LW_MAC_STRLEN];

		if ((r = normalize_domain(argv[optind + 1], domain, sizeof(domain))) ||
		    (o.device && (r = parse_mac(o.device, mac))))
			return r;
	}
	r = open_db(o.db, write, &db);
	if (r)
		return r;
	if (!strcmp(cmd, "devices"))
		r = cmd_devices(db, &o);
	else if (!strcmp(cmd, "leaks"))
		r = cmd_leaks(db, &o);
	else if (!strcmp(cmd, "domains"))
		r = cmd_domains(db, &o, argv[optind + 1]);
	else if (!strcmp(cmd, "stations"))
		r = cmd_stations(db, &o, nargs ? argv[optind + 1] : NULL);
	else if (!strcmp(cmd, "backup"))
		r = cmd_backup(db, argv[optind + 1]);
	else if (!strcmp(cmd, "flag") || !strcmp(cmd, "unflag"))
		r = cmd_flag(db, &o, argv[optind + 1], !strcmp(cmd, "flag"));
	else
		r = cmd_status(db, &o);
	sqlite3_close(db);
	if (fflush(stdout) != 0)
		return EX_IOERR;
	return r;
}
