/* SPDX-License-Identifier: MIT */
/*
 * The HTML report (report.h).
 *
 * Everything a device chose — its host name, the names it looked up, what it sent — reaches
 * the page through h_text() only: first out_safe() (valid UTF-8, no controls, no bidi
 * overrides), then the five characters HTML gives a meaning to as character references, in
 * text and in double-quoted attributes alike.  Nothing from the database becomes a tag, an
 * attribute name, a class, an id or a style: classes come from this file's tables (a kind
 * the detector does not know gets the generic one), ids are numbers.  There is no script.
 *
 * Bounded: at most `limit` devices and rows per table, REPORT_TIMELINE_ROWS timeline rows per
 * device and one mark per pixel column of a row (marks in one column are counted together);
 * the page says where it left rows out.
 */
#include "report.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "core/types.h"
#include "detect/detect.h"
#include "out.h"

/* the timeline's geometry (SVG user units, the SVG scales to the page) */
#define TL_WIDTH 960
#define TL_LABEL 250 /* the row labels' column */
#define TL_X0 (TL_LABEL + 12)
#define TL_PLOT 640 /* the time axis: one mark at most per unit */
#define TL_ROW 22
#define TL_TOP 8
#define TL_AXIS 34
#define TL_NAME_CHARS 22 /* a row's domain longer than this is cut (the whole in its title) */
#define TL_KIND_CHARS 10

#define CELL_CHARS 80 /* a table cell longer than this is cut (domains, values) */
#define TITLE_CHARS 400 /* a tooltip longer than this is cut (snippets) */

struct rep {
	FILE *f;
	sqlite3 *db;
	const struct report_opts *o;
	long long limit;
	int err; /* the first failure: a sysexits status */
};

/* a device in the page: its MAC and its number (the id of its section) */
struct dev {
	char mac[LW_MAC_STRLEN];
};

/* one colour per kind the detector knows, in the order of enum lw_id_kind; others grey */
static const char *const kind_colour[LW_ID__COUNT] = {
	"#d62728", "#e377c2", "#8c564b", "#ff7f0e", "#9467bd", "#1f77b4", "#17becf",
	"#bcbd22", "#7f7f7f", "#2ca02c", "#393b79", "#637939", "#8ca252", "#843c39",
};

static const char *const conf_names[] = {"pattern", "validated", "known"};

static void rep_fail(struct rep *r, int status, const char *what)
{
	if (!r->err) {
		fprintf(stderr, "leakwatch: report: %s\n", what);
		r->err = status;
	}
}

/* --- HTML ---------------------------------------------------------------------------------- */

static void put(struct rep *r, const char *s)
{
	fputs(s, r->f);
}

static void putf(struct rep *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void putf(struct rep *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(r->f, fmt, ap);
	va_end(ap);
}

/*
 * s as HTML text, or as the value of a double-quoted attribute: made safe by out_safe(), then
 * & < > " ' as character references.  At most max characters (0: all), an ellipsis marking a
 * cut.  NULL: nothing (or a dash with dash set).
 */
static void h_text_cut(struct rep *r, const char *s, size_t max, bool dash)
{
	size_t chars = 0;
	char *safe;
	const char *p;

	if (!s || !s[0]) {
		if (dash)
			put(r, "\u2013");
		return;
	}
	safe = out_safe(s, NULL);
	if (!safe) {
		rep_fail(r, EX_OSERR, "out of memory");
		return;
	}
	for (p = safe; *p; p++) {
		unsigned char ch = (unsigned char)*p;

		if ((ch & 0xc0) != 0x80 && max && chars++ == max) {
			put(r, "\u2026");
			break;
		}
		switch (ch) {
		case '&':
			put(r, "&amp;");
			break;
		case '<':
			put(r, "&lt;");
			break;
		case '>':
			put(r, "&gt;");
			break;
		case '"':
			put(r, "&quot;");
			break;
		case '\'':
			put(r, "&#39;");
			break;
		default:
			fputc(ch, r->f);
		}
	}
	free(safe);
}

static void h_text(struct rep *r, const char *s)
{
	h_text_cut(r, s, 0, true);
}

static const char *col(sqlite3_stmt *st, int i)
{
	return (const char *)sqlite3_column_text(st, i);
}

/* a cell of text, cut to CELL_CHARS with the whole of it in a title; cls a class of ours */

static void h_cell_class(struct rep *r, const char *s, const char *cls)
{
	putf(r, "<td%s%s%s", cls ? " class=\"" : "", cls ? cls : "", cls ? "\"" : "");
	if (s && strlen(s) > CELL_CHARS) {
		put(r, " title=\"");
		h_text_cut(r, s, TITLE_CHARS, false);
		put(r, "\"");
	}
	put(r, ">");
	h_text_cut(r, s, CELL_CHARS, true);
	put(r, "</td>");
}

static void h_cell(struct rep *r, const char *s)
{
	h_cell_class(r, s, NULL);
}

static void h_time(struct rep *r, sqlite3_stmt *st, int i)
{
	char buf[32];

	if (sqlite3_column_type(st, i) == SQLITE_NULL) {
		put(r, "<td>\u2013</td>");
		return;
	}
	out_time(sqlite3_column_double(st, i), r->o->utc, true, buf, sizeof(buf));
	putf(r, "<td class=\"t\">%s</td>", buf);
}

/* first and last in one cell: the last on a line of its own, its date left out when the same */
static void h_span(struct rep *r, sqlite3_stmt *st, int first, int last)
{
	char a[32], b[32];

	out_time(sqlite3_column_double(st, first), r->o->utc, true, a, sizeof(a));
	out_time(sqlite3_column_double(st, last), r->o->utc, true, b, sizeof(b));
	if (strcmp(a, b) == 0)
		putf(r, "<td class=\"t\">%s</td>", a);
	else
		putf(r, "<td class=\"t\">%s<br>to %s</td>", a, memcmp(a, b, 11) == 0 ? b + 11 : b);
}

static void h_num(struct rep *r, sqlite3_stmt *st, int i)
{
	if (sqlite3_column_type(st, i) == SQLITE_NULL)
		put(r, "<td class=\"n\">\u2013</td>");
	else
		putf(r, "<td class=\"n\">%lld</td>", (long long)sqlite3_column_int64(st, i));
}

static void h_bytes(struct rep *r, sqlite3_stmt *st, int i)
{
	static const char *const units[] = {"B", "kB", "MB", "GB", "TB"};
	double v = sqlite3_column_double(st, i);
	size_t u = 0;

	if (sqlite3_column_type(st, i) == SQLITE_NULL) {
		put(r, "<td class=\"n\">\u2013</td>");
		return;
	}
	while (v >= 1000 && u + 1 < LW_ARRAY_SIZE(units)) {
		v /= 1000;
		u++;
	}
	putf(r, u ? "<td class=\"n\">%.1f %s</td>" : "<td class=\"n\">%.0f %s</td>", v, units[u]);
}

/* a kind's colour class: its number for a kind the detector knows, else "kx" */
static void h_kind(struct rep *r, const char *kind)
{
	int k = kind ? lw_id_kind_parse(kind) : -1;

	if (k >= 0)
		putf(r, "<td><span class=\"kind k%d\">", k);
	else
		put(r, "<td><span class=\"kind kx\">");
	h_text_cut(r, kind, CELL_CHARS, true);
	put(r, "</span></td>");
}

/* "Showing N of M." under a table that was cut */
static void h_cut(struct rep *r, long long shown, long long total, const char *what)
{
	if (total > shown)
		putf(r, "<p class=\"cut\">Showing %lld of %lld %s.</p>\n", shown, total, what);
}

/* --- queries ------------------------------------------------------------------------------- */

/*
 * Parameters of every statement: ?1 the device (a MAC, or '' for all), ?2 and ?3 the time
 * window, ?4 the row limit.
 */
static sqlite3_stmt *prep(struct rep *r, const char *sql, const char *mac)
{
	sqlite3_stmt *st = NULL;

	if (r->err)
		return NULL;
	if (sqlite3_prepare_v2(r->db, sql, -1, &st, NULL) != SQLITE_OK) {
		rep_fail(r, EX_IOERR, sqlite3_errmsg(r->db));
		return NULL;
	}
	sqlite3_bind_text(st, 1, mac, -1, SQLITE_TRANSIENT);
	sqlite3_bind_double(st, 2, r->o->since);
	sqlite3_bind_double(st, 3, r->o->until);
	sqlite3_bind_int64(st, 4, r->limit);
	return st;
}

/* steps st: true for a row; false at the end, or on an error (recorded) */
static bool row(struct rep *r, sqlite3_stmt *st)
{
	int rc;

	if (!st || r->err)
		return false;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		return true;
	if (rc != SQLITE_DONE)
		rep_fail(r, EX_IOERR, sqlite3_errmsg(r->db));
	return false;
}

static bool has_table(sqlite3 *db, const char *name)
{
	sqlite3_stmt *st;
	bool yes;

	if (sqlite3_prepare_v2(db, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1",
			       -1, &st, NULL) != SQLITE_OK)
		return false;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	yes = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	return yes;
}

/* --- the page ------------------------------------------------------------------------------ */

static const char css[] =
	"body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,'DejaVu Sans',sans-serif;"
	"margin:0;color:#1d2330;background:#f4f5f7}\n"
	"main{max-width:1180px;margin:0 auto;padding:16px 24px 40px}\n"
	"header{background:#1d2330;color:#fff;padding:18px 24px}\n"
	"header h1{margin:0 0 4px;font-size:22px}header p{margin:0;color:#c8ccd6}\n"
	"h2{font-size:19px;margin:0 0 6px}h3{font-size:15px;margin:18px 0 6px;color:#3b4256}\n"
	"section{background:#fff;border:1px solid #dde0e6;border-radius:6px;padding:16px 20px;"
	"margin:16px 0}\n"
	"table{border-collapse:collapse;width:100%;font-size:13px}\n"
	"th,td{text-align:left;padding:3px 8px;border-bottom:1px solid #eceef2;"
	"vertical-align:top;overflow-wrap:break-word}\n"
	"th{background:#f0f2f5;font-weight:600;white-space:nowrap}\n"
	"td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}\n"
	"td.t{white-space:nowrap;font-variant-numeric:tabular-nums}\n"
	"td.v{font-family:ui-monospace,'DejaVu Sans Mono',monospace;overflow-wrap:anywhere}\n"
	"td.w{overflow-wrap:anywhere}td a{white-space:nowrap}\n"
	"dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 14px;margin:8px 0}\n"
	"dt{color:#5b6275}dd{margin:0;overflow-wrap:break-word}\n"
	".kind{display:inline-block;white-space:nowrap;padding:0 6px;border-radius:3px;color:#fff;"
	"font-size:12px;font-weight:600}\n"
	".conf-known{color:#b00020;font-weight:600}.conf-validated{color:#c05600}"
	".conf-pattern{color:#5b6275}\n"
	".flag{color:#b00020;font-weight:600}.cut{color:#8a5a00;font-size:12px;margin:4px 0}\n"
	".none{color:#5b6275;font-style:italic}.mac{font-family:ui-monospace,monospace}\n"
	".badge{display:inline-block;background:#b00020;color:#fff;border-radius:10px;"
	"padding:0 8px;font-size:12px;margin-left:8px;vertical-align:2px}\n"
	"svg.tl{width:100%;height:auto;display:block;background:#fbfbfc;"
	"border:1px solid #eceef2}\n"
	"svg.tl text{font:12px system-ui,'DejaVu Sans',sans-serif;fill:#1d2330}\n"
	"svg.tl .ax{stroke:#9aa1b1}svg.tl .grid{stroke:#e4e7ec}svg.tl .stripe{fill:#f1f3f6}\n"
	"svg.tl text.tick{fill:#5b6275;font-size:11px}svg.tl text.cnt{fill:#5b6275}\n"
	"footer{color:#5b6275;font-size:12px;text-align:center;margin:20px 0}\n";

static void page_head(struct rep *r, long long devices, long long leaks)
{
	char now[32], since[32], until[32];
	size_t i;

	out_time((double)time(NULL), r->o->utc, true, now, sizeof(now));
	put(r, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	       /* nothing from anywhere: not a script, style sheet, font or image */
	       "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
	       "style-src 'unsafe-inline'; img-src data:\">\n"
	       "<meta name=\"referrer\" content=\"no-referrer\">\n"
	       "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
	       "<title>leakwatch report</title>\n<style>\n");
	put(r, css);
	for (i = 0; i < LW_ARRAY_SIZE(kind_colour); i++)
		putf(r, ".kind.k%zu{background:%s}svg.tl .k%zu{fill:%s}\n", i, kind_colour[i], i,
		     kind_colour[i]);
	put(r, ".kind.kx{background:#555}svg.tl .kx{fill:#555}\n</style>\n</head>\n<body>\n");
	put(r, "<header><h1>leakwatch report</h1><p>");
	putf(r, "%lld device%s, %lld identifier%s sent out", devices, devices == 1 ? "" : "s",
	     leaks, leaks == 1 ? "" : "s");
	if (r->o->since > -1e17 || r->o->until < 1e17) {
		out_time(r->o->since > -1e17 ? r->o->since : 0, r->o->utc, true, since,
			 sizeof(since));
		out_time(r->o->until < 1e17 ? r->o->until : (double)time(NULL), r->o->utc, true,
			 until, sizeof(until));
		putf(r, " from %s to %s", since, until);
	}
	put(r, " &middot; database ");
	h_text(r, r->o->db_path);
	putf(r, " &middot; made %s (%s)</p></header>\n<main>\n", now,
	     r->o->utc ? "times in UTC" : "local time");
}

/* the devices in the report: those seen in the window, the ones that leaked first */
static const char devices_sql[] =
	"SELECT d.mac, coalesce(nullif(d.label, ''), nullif(d.hostname, ''), d.vendor, d.mac),\n"
	"  (SELECT count(*) FROM leaks l WHERE l.mac = d.mac AND l.ts BETWEEN ?2 AND ?3) AS n,\n"
	"  (SELECT max(l.ts) FROM leaks l WHERE l.mac = d.mac\n"
	"    AND l.ts BETWEEN ?2 AND ?3) AS last,\n"
	"  (SELECT group_concat(kind, ' ') FROM (SELECT DISTINCT l.kind FROM leaks l\n"
	"    WHERE l.mac = d.mac AND l.ts BETWEEN ?2 AND ?3 ORDER BY l.kind)),\n"
	"  (SELECT count(DISTINCT coalesce(f.domain, f.dst_ip)) FROM flows f WHERE f.mac = d.mac\n"
	"    AND f.last_seen >= ?2 AND f.first_seen <= ?3),\n"
	"  (SELECT count(*) FROM blocks b WHERE b.mac = d.mac AND b.action = 'add'\n"
	"    AND b.ts BETWEEN ?2 AND ?3),\n"
	"  d.last_seen, count(*) OVER ()\n"
	"FROM devices d WHERE (?1 = '' OR d.mac = ?1)\n"
	"  AND d.last_seen >= ?2 AND d.first_seen <= ?3\n"
	"ORDER BY last IS NULL, last DESC, d.last_seen DESC, d.mac LIMIT ?4";

/* The overview table; fills devs (at most r->limit) for the sections. */
static size_t overview(struct rep *r, struct dev **devs)
{
	sqlite3_stmt *st = prep(r, devices_sql, r->o->mac);
	long long total = 0;
	size_t n = 0;

	*devs = NULL;
	put(r, "<section id=\"overview\"><h2>Devices</h2>\n");
	while (row(r, st)) {
		struct dev *d;
		char *k, *kinds = NULL, *save = NULL;

		if (n == 0)
			put(r,
			    "<table><tr><th>Device</th><th>MAC</th><th>Leaks</th><th>Kinds</th>"
			    "<th>Domains</th><th>Blocked</th><th>Last leak</th><th>Last seen</th>"
			    "</tr>\n");
		d = realloc(*devs, (n + 1) * sizeof(**devs));
		if (!d) {
			rep_fail(r, EX_OSERR, "out of memory");
			break;
		}
		*devs = d;
		snprintf(d[n].mac, sizeof(d[n].mac), "%s", col(st, 0) ? col(st, 0) : "");
		total = sqlite3_column_int64(st, 8);
		putf(r, "<tr><td><a href=\"#d%zu\">", n + 1);
		h_text_cut(r, col(st, 1), CELL_CHARS, true);
		put(r, "</a></td><td class=\"mac\">");
		h_text(r, col(st, 0));
		put(r, "</td>");
		h_num(r, st, 2);
		put(r, "<td>");
		if (col(st, 4))
			kinds = strdup(col(st, 4));
		for (k = kinds ? strtok_r(kinds, " ", &save) : NULL; k;
		     k = strtok_r(NULL, " ", &save)) {
			int kn = lw_id_kind_parse(k);

			if (kn >= 0)
				putf(r, "<span class=\"kind k%d\">", kn);
			else
				put(r, "<span class=\"kind kx\">");
			h_text_cut(r, k, 32, false);
			put(r, "</span> ");
		}
		free(kinds);
		put(r, "</td>");
		h_num(r, st, 5);
		h_num(r, st, 6);
		h_time(r, st, 3);
		h_time(r, st, 7);
		put(r, "</tr>\n");
		n++;
	}
	sqlite3_finalize(st);
	if (n)
		put(r, "</table>\n");
	else
		put(r, "<p class=\"none\">No device was seen in this period.</p>\n");
	h_cut(r, (long long)n, total, "devices");
	put(r, "</section>\n");
	return n;
}

/* what the device is: its names, addresses, when it was seen */
static const char about_sql[] =
	"SELECT coalesce(nullif(label, ''), nullif(hostname, ''), vendor, mac), mac, label,\n"
	"  hostname, vendor, dhcp_vendor, ip, randomized, first_seen, last_seen,\n"
	"  (SELECT count(*) FROM leaks l WHERE l.mac = ?1 AND l.ts BETWEEN ?2 AND ?3)\n"
	"FROM devices WHERE mac = ?1";

static const char names_sql[] =
	"SELECT proto, name, count(*) OVER () FROM device_names WHERE mac = ?1\n"
	"ORDER BY last_seen DESC, proto, name LIMIT ?4";

static void about(struct rep *r, size_t idx, const char *mac)
{
	static const char *const labels[] = {NULL,	   "MAC",	 "Label",
					     "Host name",  "Vendor",	 "DHCP vendor class",
					     "IP address", "Randomized", "First seen",
					     "Last seen"};
	sqlite3_stmt *st = prep(r, about_sql, mac);
	size_t i;

	if (!row(r, st)) {
		sqlite3_finalize(st);
		return;
	}
	putf(r, "<section class=\"device\" id=\"d%zu\"><h2>", idx);
	h_text_cut(r, col(st, 0), CELL_CHARS, true);
	if (sqlite3_column_int64(st, 10) > 0)
		putf(r, "<span class=\"badge\">%lld leak%s</span>",
		     (long long)sqlite3_column_int64(st, 10),
		     sqlite3_column_int64(st, 10) == 1 ? "" : "s");
	put(r, "</h2>\n<dl>");
	for (i = 1; i < LW_ARRAY_SIZE(labels); i++) {
		char t[32];

		if (i != 7 && sqlite3_column_type(st, (int)i) == SQLITE_NULL)
			continue;
		putf(r, "<dt>%s</dt><dd%s>", labels[i], i == 1 ? " class=\"mac\"" : "");
		if (i == 7) {
			put(r, sqlite3_column_int(st, 7) ? "yes (a private, random MAC)" : "no");
		} else if (i >= 8) {
			out_time(sqlite3_column_double(st, (int)i), r->o->utc, true, t, sizeof(t));
			put(r, t);
		} else {
			h_text_cut(r, col(st, (int)i), CELL_CHARS * 2, true);
		}
		put(r, "</dd>");
	}
	sqlite3_finalize(st);
	if (has_table(r->db, "device_names")) {
		long long n = 0, total = 0;

		st = prep(r, names_sql, mac);
		while (row(r, st)) {
			put(r, n ? ", " : "<dt>Names it announced</dt><dd>");
			h_text_cut(r, col(st, 1), CELL_CHARS, true);
			put(r, " (");
			h_text_cut(r, col(st, 0), 16, true);
			put(r, ")");
			total = sqlite3_column_int64(st, 2);
			n++;
		}
		sqlite3_finalize(st);
		if (n)
			putf(r, "%s</dd>", total > n ? ", \u2026" : "");
	}
	put(r, "</dl>\n");
}

/* every identifier that left, where to and how it was spelled */
static const char ids_sql[] =
	"SELECT kind, value, coalesce(domain, dst_ip), dst_port, proto, encoding, location,\n"
	"  max(CASE confidence WHEN 'known' THEN 2 WHEN 'validated' THEN 1 WHEN 'pattern' THEN 0\n"
	"    ELSE -1 END), min(ts), max(ts), count(*), max(snippet), count(*) OVER ()\n"
	"FROM leaks WHERE mac = ?1 AND ts BETWEEN ?2 AND ?3\n"
	"GROUP BY kind, value, coalesce(domain, dst_ip), dst_port, proto, encoding, location\n"
	"ORDER BY kind, min(ts), 3, value LIMIT ?4";

static void identifiers(struct rep *r, const char *mac)
{
	sqlite3_stmt *st = prep(r, ids_sql, mac);
	long long n = 0, total = 0;

	put(r, "<h3>Identifiers that left</h3>\n");
	while (row(r, st)) {
		int conf = sqlite3_column_int(st, 7);

		if (!n)
			put(r, "<table class=\"ids\"><tr><th>Kind</th><th>Value</th>"
			       "<th>Sent to</th><th>Port</th><th>Encoding</th><th>Where</th>"
			       "<th>Confidence</th><th>When</th><th>Times</th></tr>\n");
		put(r, "<tr>");
		h_kind(r, col(st, 0));
		/* a snippet of what was sent, as the value's tooltip */
		if (col(st, 11)) {
			put(r, "<td class=\"v\" title=\"");
			h_text_cut(r, col(st, 11), TITLE_CHARS, false);
			put(r, "\">");
		} else {
			put(r, "<td class=\"v\">");
		}
		h_text_cut(r, col(st, 1), CELL_CHARS, true);
		put(r, "</td>");
		h_cell(r, col(st, 2));
		put(r, "<td class=\"n\">");
		if (sqlite3_column_type(st, 3) != SQLITE_NULL)
			putf(r, "%lld", (long long)sqlite3_column_int64(st, 3));
		if (col(st, 4)) {
			put(r, "/");
			h_text_cut(r, col(st, 4), 8, false);
		}
		put(r, "</td>");
		h_cell_class(r, col(st, 5), "w");
		h_cell(r, col(st, 6));
		if (conf >= 0 && conf < (int)LW_ARRAY_SIZE(conf_names))
			putf(r, "<td class=\"conf-%s\">%s</td>", conf_names[conf],
			     conf_names[conf]);
		else
			put(r, "<td>\u2013</td>");
		h_span(r, st, 8, 9);
		h_num(r, st, 10);
		put(r, "</tr>\n");
		total = sqlite3_column_int64(st, 12);
		n++;
	}
	sqlite3_finalize(st);
	if (n)
		put(r, "</table>\n");
	else
		put(r, "<p class=\"none\">No identifier of this device was seen leaving.</p>\n");
	h_cut(r, n, total, "identifiers");
}

/* --- the timeline -------------------------------------------------------------------------- */

static const char span_sql[] =
	"SELECT min(ts), max(ts), count(*) FROM leaks WHERE mac = ?1 AND ts BETWEEN ?2 AND ?3";

static const char tl_rows_sql[] =
	"SELECT coalesce(domain, dst_ip, '?') AS name, kind, count(*), count(*) OVER ()\n"
	"FROM leaks WHERE mac = ?1 AND ts BETWEEN ?2 AND ?3\n"
	"GROUP BY name, kind ORDER BY min(ts), name, kind LIMIT ?4";

/* ?5 the axis' start, ?6 units per second, ?7 the name, ?8 the kind */
static const char tl_marks_sql[] =
	"SELECT CAST((ts - ?5) * ?6 AS INTEGER) AS x, count(*), min(ts), max(ts)\n"
	"FROM leaks WHERE mac = ?1 AND ts BETWEEN ?2 AND ?3\n"
	"  AND coalesce(domain, dst_ip, '?') = ?7 AND kind IS ?8\n"
	"GROUP BY x ORDER BY x";

/* a step for about six ticks over span seconds */
static double tick_step(double span)
{
	static const double steps[] = {1,      2,      5,	10,	 15,	  30,
				       60,     120,    300,	600,	 900,	  1800,
				       3600,   7200,   10800,	21600,	 43200,	  86400,
				       172800, 604800, 1209600, 2592000, 7776000, 31536000};
	size_t i;

	for (i = 0; i < LW_ARRAY_SIZE(steps); i++)
		if (span / steps[i] <= 7)
			return steps[i];
	return ceil(span / 7 / 31536000) * 31536000;
}

static void tick_label(struct rep *r, double t, double step, char *buf, size_t len)
{
	time_t s = (time_t)t;
	struct tm tm;

	if (r->o->utc)
		gmtime_r(&s, &tm);
	else
		localtime_r(&s, &tm);
	strftime(buf, len, step < 60 ? "%H:%M:%S" : step < 86400 ? "%H:%M" : "%m-%d", &tm);
}

static void timeline_axis(struct rep *r, double t0, double scale, double span, int y)
{
	double step = tick_step(span), off = 0, t;
	char label[32];
	time_t s = (time_t)t0;
	struct tm tm;

	/* ticks on round local (or UTC) times: midnight, the hour, ... */
	if (!r->o->utc && localtime_r(&s, &tm))
		off = (double)tm.tm_gmtoff;
	putf(r, "<line class=\"ax\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>\n", TL_X0, y,
	     TL_X0 + TL_PLOT, y);
	for (t = ceil((t0 + off) / step) * step - off; t <= t0 + span; t += step) {
		double x = TL_X0 + (t - t0) * scale;

		tick_label(r, t, step, label, sizeof(label));
		putf(r,
		     "<line class=\"grid\" x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\"/>"
		     "<line class=\"ax\" x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\"/>"
		     "<text class=\"tick\" x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>\n",
		     x, TL_TOP, x, y, x, y, x, y + 5, x, y + 18, label);
	}
}

/*
 * One row per (domain, kind), one mark per leak event on a common time axis: a registration
 * sent at every boot, screen-on and unlock shows as a series.  Events closer than one unit
 * of the axis share a mark (its title counts them).
 */
static void timeline(struct rep *r, const char *mac)
{
	sqlite3_stmt *st = prep(r, span_sql, mac), *rows, *marks;
	double t0, t1, span, scale;
	long long n_rows = 0, total = 0, limit = r->limit;
	struct {
		char *name, *kind;
		long long count;
	} tr[REPORT_TIMELINE_ROWS];
	char a[32], b[32];
	int height, y;

	if (!row(r, st) || sqlite3_column_int64(st, 2) == 0) {
		sqlite3_finalize(st);
		return;
	}
	t0 = sqlite3_column_double(st, 0);
	t1 = sqlite3_column_double(st, 1);
	sqlite3_finalize(st);
	out_time(t0, r->o->utc, true, a, sizeof(a));
	out_time(t1, r->o->utc, true, b, sizeof(b));
	/* a margin either side, so that the first and last marks are not on the frame */
	span = t1 - t0;
	t0 -= span > 40 ? span * 0.025 : 1;
	t1 += span > 40 ? span * 0.025 : 1;
	span = t1 - t0;
	scale = TL_PLOT / span;

	r->limit = limit < REPORT_TIMELINE_ROWS ? limit : REPORT_TIMELINE_ROWS;
	rows = prep(r, tl_rows_sql, mac);
	r->limit = limit;
	/* the rows first (their number sets the height), into memory */
	while (n_rows < REPORT_TIMELINE_ROWS && row(r, rows)) {
		tr[n_rows].name = strdup(col(rows, 0) ? col(rows, 0) : "?");
		tr[n_rows].kind = col(rows, 1) ? strdup(col(rows, 1)) : NULL;
		tr[n_rows].count = sqlite3_column_int64(rows, 2);
		total = sqlite3_column_int64(rows, 3);
		if (!tr[n_rows].name) {
			free(tr[n_rows].kind);
			rep_fail(r, EX_OSERR, "out of memory");
			break;
		}
		n_rows++;
	}
	sqlite3_finalize(rows);

	put(r,
	    "<h3>Timeline</h3>\n<p class=\"sub\">Each mark is one time an identifier was sent, ");
	if (strcmp(a, b) == 0)
		putf(r, "at %s.</p>\n", a);
	else
		putf(r, "from %s to %s.</p>\n", a, b);
	height = TL_TOP + (int)n_rows * TL_ROW + TL_AXIS;
	putf(r,
	     "<svg class=\"tl\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" "
	     "role=\"img\" aria-label=\"timeline of leaks\">\n",
	     TL_WIDTH, height);
	for (y = 0; y < (int)n_rows; y += 2)
		putf(r, "<rect class=\"stripe\" x=\"0\" y=\"%d\" width=\"%d\" height=\"%d\"/>\n",
		     TL_TOP + y * TL_ROW, TL_WIDTH, TL_ROW);
	timeline_axis(r, t0, scale, span, TL_TOP + (int)n_rows * TL_ROW);
	for (y = 0; y < (int)n_rows; y++) {
		int k = tr[y].kind ? lw_id_kind_parse(tr[y].kind) : -1;
		int ty = TL_TOP + y * TL_ROW;
		char cls[16];
		long long marks_n = 0;

		if (k >= 0)
			snprintf(cls, sizeof(cls), "k%d", k);
		else
			snprintf(cls, sizeof(cls), "kx");
		/* the label: "domain · kind", cut, the whole in its title */
		putf(r, "<g class=\"row\"><title>");
		h_text_cut(r, tr[y].name, TITLE_CHARS, false);
		put(r, " \u00b7 ");
		h_text_cut(r, tr[y].kind, 32, true);
		putf(r, ": %lld time%s</title>\n", tr[y].count, tr[y].count == 1 ? "" : "s");
		putf(r, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">", TL_LABEL, ty + 15);
		h_text_cut(r, tr[y].name, TL_NAME_CHARS, false);
		putf(r, " <tspan class=\"%s\">", cls);
		h_text_cut(r, tr[y].kind, TL_KIND_CHARS, true);
		put(r, "</tspan></text>\n");

		marks = prep(r, tl_marks_sql, mac);
		if (marks) {
			sqlite3_bind_double(marks, 5, t0);
			sqlite3_bind_double(marks, 6, scale);
			sqlite3_bind_text(marks, 7, tr[y].name, -1, SQLITE_STATIC);
			if (tr[y].kind)
				sqlite3_bind_text(marks, 8, tr[y].kind, -1, SQLITE_STATIC);
		}
		while (row(r, marks) && marks_n++ <= TL_PLOT) {
			long long x = sqlite3_column_int64(marks, 0),
				  c = sqlite3_column_int64(marks, 1);

			out_time(sqlite3_column_double(marks, 2), r->o->utc, true, a, sizeof(a));
			out_time(sqlite3_column_double(marks, 3), r->o->utc, true, b, sizeof(b));
			putf(r,
			     "<rect class=\"mark %s\" x=\"%lld\" y=\"%d\" width=\"%d\" "
			     "height=\"16\" rx=\"1\"><title>",
			     cls, TL_X0 + x - (c > 1 ? 2 : 1), ty + 3, c > 1 ? 4 : 3);
			if (c > 1 && strcmp(a, b) != 0)
				putf(r, "%lld times, %s to %s", c, a, b);
			else if (c > 1)
				putf(r, "%lld at %s", c, a);
			else
				putf(r, "%s", a);
			put(r, "</title></rect>\n");
		}
		sqlite3_finalize(marks);
		putf(r, "<text class=\"cnt\" x=\"%d\" y=\"%d\">\u00d7%lld</text></g>\n",
		     TL_X0 + TL_PLOT + 10, ty + 15, tr[y].count);
		free(tr[y].name);
		free(tr[y].kind);
	}
	put(r, "</svg>\n");
	h_cut(r, n_rows, total, "timeline rows (domain and kind)");
}

/* --- domains, blocks, flags ---------------------------------------------------------------- */

static const char domains_sql[] =
	"WITH f AS (SELECT coalesce(domain, dst_ip) AS name, count(*) AS flows,\n"
	"    sum(bytes_out) AS bo, sum(bytes_in) AS bi, max(last_seen) AS ls FROM flows\n"
	"    WHERE mac = ?1 AND last_seen >= ?2 AND first_seen <= ?3 GROUP BY name),\n"
	"  q AS (SELECT qname AS name, count(*) AS n, max(ts) AS ls FROM dns\n"
	"    WHERE mac = ?1 AND ts BETWEEN ?2 AND ?3 GROUP BY qname),\n"
	"  l AS (SELECT coalesce(domain, dst_ip) AS name, count(*) AS n FROM leaks\n"
	"    WHERE mac = ?1 AND ts BETWEEN ?2 AND ?3 GROUP BY name),\n"
	"  b AS (SELECT coalesce(domain, ip) AS name, count(*) AS n FROM blocks\n"
	"    WHERE mac = ?1 AND action = 'add' AND ts BETWEEN ?2 AND ?3 GROUP BY name),\n"
	"  n AS (SELECT name FROM f WHERE name IS NOT NULL UNION\n"
	"    SELECT name FROM q WHERE name IS NOT NULL)\n"
	"SELECT n.name, f.flows, f.bo, f.bi, q.n, l.n, b.n,\n"
	"  max(ifnull(f.ls, 0), ifnull(q.ls, 0)),\n"
	/* the flag that covers the name for the device (and its subdomains), by precedence */
	"  (SELECT fl.source FROM temp.all_flags fl WHERE (fl.mac IS NULL OR fl.mac = ?1)\n"
	"    AND (n.name = fl.domain OR substr(n.name, -length(fl.domain) - 1) =\n"
	"      '.' || fl.domain)\n"
	"    ORDER BY CASE fl.source WHEN 'user' THEN 0 WHEN 'config' THEN 1 ELSE 2 END\n"
	"    LIMIT 1),\n"
	"  count(*) OVER ()\n"
	"FROM n LEFT JOIN f ON f.name = n.name LEFT JOIN q ON q.name = n.name\n"
	"  LEFT JOIN l ON l.name = n.name LEFT JOIN b ON b.name = n.name\n"
	"ORDER BY ifnull(l.n, 0) DESC, ifnull(f.flows, 0) + ifnull(q.n, 0) DESC, n.name\n"
	"LIMIT ?4";

static void domains(struct rep *r, const char *mac)
{
	sqlite3_stmt *st = prep(r, domains_sql, mac);
	long long n = 0, total = 0;

	put(r, "<h3>Domains it talked to</h3>\n");
	while (row(r, st)) {
		if (!n)
			put(r,
			    "<table class=\"domains\"><tr><th>Domain (or address)</th>"
			    "<th>Flows</th><th>Bytes out</th><th>Bytes in</th><th>DNS queries</th>"
			    "<th>Leaks</th><th>Blocked</th><th>Flagged</th><th>Last</th></tr>\n");
		put(r, "<tr>");
		h_cell_class(r, col(st, 0), "w");
		h_num(r, st, 1);
		h_bytes(r, st, 2);
		h_bytes(r, st, 3);
		h_num(r, st, 4);
		h_num(r, st, 5);
		h_num(r, st, 6);
		if (col(st, 8)) {
			put(r, "<td class=\"flag\">");
			h_text_cut(r, col(st, 8), 16, true);
			put(r, "</td>");
		} else {
			put(r, "<td>no</td>");
		}
		h_time(r, st, 7);
		put(r, "</tr>\n");
		total = sqlite3_column_int64(st, 9);
		n++;
	}
	sqlite3_finalize(st);
	if (n)
		put(r, "</table>\n");
	else
		put(r, "<p class=\"none\">No connection or DNS query in this period.</p>\n");
	h_cut(r, n, total, "domains");
}

/* what was blocked: one row per address put into a block set ("add"), grouped */
static const char blocks_sql[] =
	"SELECT b.domain, b.ip, b.reason, count(*), min(b.ts), max(b.ts), %s, count(*) OVER ()\n"
	"FROM blocks b LEFT JOIN devices d ON d.mac = b.mac\n"
	"WHERE %s AND b.action = 'add' AND b.ts BETWEEN ?2 AND ?3\n"
	"GROUP BY b.domain, b.ip, b.reason, b.mac ORDER BY max(b.ts) DESC, b.domain, b.ip\n"
	"LIMIT ?4";

static void blocks(struct rep *r, const char *mac)
{
	char sql[1024];
	sqlite3_stmt *st;
	long long n = 0, total = 0;
	bool all = !mac;

	if (!has_table(r->db, "blocks"))
		return;
	snprintf(sql, sizeof(sql), blocks_sql,
		 all ? "CASE WHEN b.mac IS NULL THEN NULL ELSE coalesce(nullif(d.label, ''), "
		       "nullif(d.hostname, ''), d.vendor, b.mac) END"
		     : "NULL",
		 all ? "(?1 = '' OR b.mac IS NULL OR b.mac = ?1)" : "b.mac = ?1");
	st = prep(r, sql, mac ? mac : r->o->mac);
	put(r, all ? "<h2>What was blocked</h2>\n" : "<h3>Blocked for this device</h3>\n");
	while (row(r, st)) {
		if (!n)
			putf(r,
			     "<table class=\"blocks\"><tr><th>Domain</th><th>Address</th>%s"
			     "<th>Why</th><th>Times</th><th>First</th><th>Last</th></tr>\n",
			     all ? "<th>For</th>" : "");
		put(r, "<tr>");
		h_cell_class(r, col(st, 0), "w");
		h_cell(r, col(st, 1));
		if (all) {
			if (col(st, 6))
				h_cell(r, col(st, 6));
			else
				put(r, "<td>every device</td>");
		}
		h_cell(r, col(st, 2));
		h_num(r, st, 3);
		h_time(r, st, 4);
		h_time(r, st, 5);
		put(r, "</tr>\n");
		total = sqlite3_column_int64(st, 7);
		n++;
	}
	sqlite3_finalize(st);
	if (n)
		put(r, "</table>\n");
	else
		put(r, all ? "<p class=\"none\">Nothing was blocked in this period.</p>\n"
			   : "<p class=\"none\">Nothing was blocked for this device alone.</p>\n");
	h_cut(r, n, total, "blocks");
}

static const char flags_sql[] =
	"SELECT f.domain, CASE WHEN f.mac IS NULL THEN NULL ELSE\n"
	"    coalesce(nullif(d.label, ''), nullif(d.hostname, ''), d.vendor, f.mac) END,\n"
	"  f.source, f.added, f.expires,\n"
	"  CASE f.source WHEN 'config' THEN '[block] domains in ' || ?5 ELSE f.reason END,\n"
	"  (SELECT count(*) FROM blocks b WHERE b.action = 'add' AND b.ts BETWEEN ?2 AND ?3\n"
	"    AND (f.mac IS NULL OR b.mac = f.mac) AND (b.domain = f.domain\n"
	"    OR substr(b.domain, -length(f.domain) - 1) = '.' || f.domain)),\n"
	"  count(*) OVER ()\n"
	"FROM temp.all_flags f LEFT JOIN devices d ON d.mac = f.mac\n"
	"WHERE ?1 = '' OR f.mac IS NULL OR f.mac = ?1\n"
	"ORDER BY CASE f.source WHEN 'user' THEN 0 WHEN 'config' THEN 1 ELSE 2 END,\n"
	"  f.added DESC, f.domain LIMIT ?4";

static void flags(struct rep *r)
{
	sqlite3_stmt *st = prep(r, flags_sql, r->o->mac);
	long long n = 0, total = 0;

	if (st)
		sqlite3_bind_text(st, 5, r->o->config_path ? r->o->config_path : "", -1,
				  SQLITE_STATIC);
	put(r, "<section id=\"flags\"><h2>Flagged domains</h2>\n");
	while (row(r, st)) {
		if (!n)
			put(r, "<table class=\"flags\"><tr><th>Domain</th><th>For</th>"
			       "<th>Source</th><th>Added</th><th>Expires</th><th>Reason</th>"
			       "<th>Addresses blocked</th></tr>\n");
		put(r, "<tr><td class=\"flag\">");
		h_text_cut(r, col(st, 0), CELL_CHARS, true);
		put(r, "</td>");
		if (col(st, 1))
			h_cell(r, col(st, 1));
		else
			put(r, "<td>every device</td>");
		h_cell(r, col(st, 2));
		h_time(r, st, 3);
		h_time(r, st, 4);
		h_cell(r, col(st, 5));
		h_num(r, st, 6);
		put(r, "</tr>\n");
		total = sqlite3_column_int64(st, 7);
		n++;
	}
	sqlite3_finalize(st);
	if (n)
		put(r, "</table>\n");
	else
		put(r, "<p class=\"none\">No domain is flagged.</p>\n");
	h_cut(r, n, total, "flags");
	put(r, "</section>\n");
}

static void totals(struct rep *r, long long *devices, long long *leaks)
{
	sqlite3_stmt *st = prep(r,
				"SELECT (SELECT count(*) FROM devices WHERE (?1 = '' OR mac = ?1)\n"
				"    AND last_seen >= ?2 AND first_seen <= ?3),\n"
				"  (SELECT count(*) FROM leaks WHERE (?1 = '' OR mac = ?1)\n"
				"    AND ts BETWEEN ?2 AND ?3)",
				r->o->mac);

	*devices = *leaks = 0;
	if (row(r, st)) {
		*devices = sqlite3_column_int64(st, 0);
		*leaks = sqlite3_column_int64(st, 1);
	}
	sqlite3_finalize(st);
}

static void page(struct rep *r)
{
	struct dev *devs = NULL;
	long long n_dev, n_leaks;
	size_t n, i;

	/* one read transaction: every table as of one commit of a running daemon */
	if (sqlite3_exec(r->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
		rep_fail(r, EX_IOERR, sqlite3_errmsg(r->db));
	totals(r, &n_dev, &n_leaks);
	page_head(r, n_dev, n_leaks);
	n = overview(r, &devs);
	for (i = 0; i < n && !r->err; i++) {
		about(r, i + 1, devs[i].mac);
		identifiers(r, devs[i].mac);
		timeline(r, devs[i].mac);
		domains(r, devs[i].mac);
		blocks(r, devs[i].mac);
		put(r, "</section>\n");
	}
	free(devs);
	flags(r);
	put(r, "<section id=\"blocked\">");
	blocks(r, NULL);
	put(r, "</section>\n");
	put(r, "</main>\n<footer>Made by leakwatch report. This page holds device identifiers: "
	       "keep it private.</footer>\n</body>\n</html>\n");
	sqlite3_exec(r->db, "COMMIT", NULL, NULL, NULL);
}

/* --- the file ------------------------------------------------------------------------------ */

int report_write(sqlite3 *db, const struct report_opts *o)
{
	struct rep r = {.db = db, .o = o, .limit = o->limit >= 0 ? o->limit : REPORT_ROWS_DEFAULT};
	char tmp[PATH_MAX], dir[PATH_MAX];
	struct stat sb;
	int fd;

	if (strcmp(o->path, "-") == 0) {
		r.f = stdout;
		page(&r);
		if (!r.err && (fflush(stdout) != 0 || ferror(stdout)))
			rep_fail(&r, EX_IOERR, strerror(errno));
		return r.err;
	}
	/* a new file beside the target, 0600 (it holds identifiers), renamed over it when whole */
	if (stat(o->path, &sb) == 0 && S_ISDIR(sb.st_mode)) {
		fprintf(stderr, "leakwatch: %s is a directory: -o takes the file to write\n",
			o->path);
		return EX_CANTCREAT;
	}
	snprintf(dir, sizeof(dir), "%s", o->path);
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s/.leakwatch-report.XXXXXX", dirname(dir)) >=
	    sizeof(tmp)) {
		fprintf(stderr, "leakwatch: %s: %s\n", o->path, strerror(ENAMETOOLONG));
		return EX_CANTCREAT;
	}
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "leakwatch: %s: cannot create a file there: %s\n", o->path,
			strerror(errno));
		return errno == EACCES ? EX_NOPERM : EX_CANTCREAT;
	}
	r.f = fdopen(fd, "w");
	if (!r.f) {
		close(fd);
		unlink(tmp);
		fprintf(stderr, "leakwatch: %s: %s\n", tmp, strerror(errno));
		return EX_OSERR;
	}
	page(&r);
	if (!r.err && (fflush(r.f) != 0 || ferror(r.f) || fsync(fd) < 0))
		rep_fail(&r, EX_IOERR, strerror(errno));
	if (fclose(r.f) != 0 && !r.err)
		rep_fail(&r, EX_IOERR, strerror(errno));
	if (!r.err && rename(tmp, o->path) < 0) {
		fprintf(stderr, "leakwatch: %s: %s\n", o->path, strerror(errno));
		r.err = EX_CANTCREAT;
	}
	if (r.err)
		unlink(tmp);
	return r.err;
}
