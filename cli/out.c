/* SPDX-License-Identifier: MIT */
/*
 * Tables, JSON and CSV for the leakwatch command (out.h).
 *
 * The JSON is written here rather than through a library (Debian has json-c, jansson, cJSON):
 * the command only emits flat records whose values SQLite already typed, so the one part that
 * must be right is the string literal, and that is the UTF-8 walk the tables need anyway.
 * SQLite's json_quote() would do for valid text but passes invalid UTF-8 through, which makes
 * the output unparseable; devices send such bytes (a hostname, a DNS name).
 */
#include "out.h"

#include <langinfo.h>
#include <locale.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <wchar.h>

#define CELL_MAX 512 /* longer values are cut in tables (never in JSON or CSV) */
#define REPLACEMENT 0xfffd

void out_init(void)
{
	setlocale(LC_CTYPE, "");
	if (strcmp(nl_langinfo(CODESET), "UTF-8") != 0)
		setlocale(LC_CTYPE, "C.UTF-8"); /* wcwidth() knows widths in a UTF-8 locale only */
}

/*
 * The code point at s (at most n bytes) and its length in *len; -1 for a byte that does not
 * start a valid, shortest-form UTF-8 sequence (then *len is 1).
 */
static int32_t utf8_next(const unsigned char *s, size_t n, size_t *len)
{
	int32_t c;
	size_t need, i;

	*len = 1;
	if (s[0] < 0x80)
		return s[0];
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		need = 1, c = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		need = 2, c = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		need = 3, c = s[0] & 0x07;
	else
		return -1;
	if (n < need + 1)
		return -1;
	for (i = 1; i <= need; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return -1;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if ((need == 2 && c < 0x800) || (need == 3 && (c < 0x10000 || c > 0x10ffff)) ||
	    (c >= 0xd800 && c <= 0xdfff))
		return -1;
	*len = need + 1;
	return c;
}

/* C0, DEL, C1: a terminal acts on them */
static bool is_control(int32_t c)
{
	return c < 0x20 || (c >= 0x7f && c <= 0x9f);
}

/* bidi embeddings, overrides and isolates reorder what follows on the line */
static bool is_bidi(int32_t c)
{
	return (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069) || c == 0x200e ||
	       c == 0x200f || c == 0x061c;
}

static size_t put_utf8(char *out, int32_t c)
{
	if (c < 0x80) {
		out[0] = (char)c;
		return 1;
	}
	if (c < 0x800) {
		out[0] = (char)(0xc0 | (c >> 6));
		out[1] = (char)(0x80 | (c & 0x3f));
		return 2;
	}
	if (c < 0x10000) {
		out[0] = (char)(0xe0 | (c >> 12));
		out[1] = (char)(0x80 | ((c >> 6) & 0x3f));
		out[2] = (char)(0x80 | (c & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | (c >> 18));
	out[1] = (char)(0x80 | ((c >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((c >> 6) & 0x3f));
	out[3] = (char)(0x80 | (c & 0x3f));
	return 4;
}

/*
 * s with every byte a terminal could act on replaced; keep_lines keeps tab and newline (CSV
 * quotes them).  *width: display columns (wcwidth), when width is not NULL.
 */
static char *safe_text(const char *s, bool keep_lines, size_t *width)
{
	size_t n = strlen(s), i = 0, o = 0, w = 0, len;
	/* a bad byte (1) becomes U+FFFD (3); 3 more for an ellipsis (cut_to_width) */
	char *out = malloc(n * 3 + 4);

	if (!out)
		return NULL;
	while (i < n) {
		int32_t c = utf8_next((const unsigned char *)s + i, n - i, &len);
		int cw;

		if (c < 0 || (is_control(c) && !(keep_lines && (c == '\n' || c == '\t'))) ||
		    is_bidi(c))
			c = REPLACEMENT;
		cw = c == '\n' || c == '\t' ? 1 : wcwidth((wchar_t)c);
		if (cw < 0) { /* not printable in this locale */
			c = REPLACEMENT;
			cw = 1;
		}
		w += (size_t)cw;
		o += put_utf8(out + o, c);
		i += len;
	}
	out[o] = '\0';
	if (width)
		*width = w;
	return out;
}

char *out_safe(const char *s, size_t *width)
{
	return safe_text(s, false, width);
}

/* s (safe text) cut to at most max display columns, an ellipsis marking the cut */
static void cut_to_width(char *s, size_t *width, size_t max)
{
	size_t i = 0, w = 0, n = strlen(s), len;

	if (*width <= max || max == 0)
		return;
	while (i < n) {
		int32_t c = utf8_next((const unsigned char *)s + i, n - i, &len);
		int cw = wcwidth((wchar_t)c);

		if (cw < 0)
			cw = 1;
		if (w + (size_t)cw > max - 1)
			break;
		w += (size_t)cw;
		i += len;
	}
	memcpy(s + i, "\u2026", 4); /* U+2026 and NUL: safe_text left room */
	*width = w + 1;
}

void out_json_str(FILE *f, const char *s)
{
	size_t n = strlen(s), i = 0, len;

	fputc('"', f);
	while (i < n) {
		int32_t c = utf8_next((const unsigned char *)s + i, n - i, &len);

		if (c < 0)
			fputs("\\ufffd", f);
		else if (c == '"' || c == '\\')
			fprintf(f, "\\%c", (char)c);
		else if (c == '\n')
			fputs("\\n", f);
		else if (c == '\t')
			fputs("\\t", f);
		else if (is_control(c) || c == 0x2028 || c == 0x2029 || is_bidi(c))
			fprintf(f, "\\u%04x", (unsigned)c); /* as \u: no terminal acts on it */
		else
			fwrite(s + i, 1, len, f);
		i += len;
	}
	fputc('"', f);
}

void out_time(double t, bool utc, bool seconds, char *buf, size_t len)
{
	time_t s = (time_t)t;
	struct tm tm;

	if (utc)
		gmtime_r(&s, &tm);
	else
		localtime_r(&s, &tm);
	strftime(buf, len, seconds ? "%Y-%m-%d %H:%M:%S" : "%Y-%m-%d %H:%M", &tm);
}

/* ISO 8601 with the offset, for CSV: 2023-11-14T23:13:30+01:00 */
static void iso_time(double t, bool utc, char *buf, size_t len)
{
	time_t s = (time_t)t;
	struct tm tm;
	size_t n;

	if (utc)
		gmtime_r(&s, &tm);
	else
		localtime_r(&s, &tm);
	n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S%z", &tm);
	if (n == 24 && n + 2 <= len) { /* +hhmm -> +hh:mm */
		memmove(buf + 23, buf + 22, 3);
		buf[22] = ':';
	}
}

static bool shows(const struct col *c, enum out_format f)
{
	static const unsigned bit[] = {[OUT_TABLE] = V_NARROW,
				       [OUT_WIDE] = V_WIDE,
				       [OUT_JSON] = V_JSON,
				       [OUT_CSV] = V_CSV};

	return c->show & bit[f];
}

/* The text of column i of the current row, for a table or CSV. NULL when the value is NULL. */
static char *cell_text(sqlite3_stmt *st, int i, enum out_kind kind, const struct out *o)
{
	char buf[64];
	const char *t;

	if (sqlite3_column_type(st, i) == SQLITE_NULL)
		return NULL;
	switch (kind) {
	case K_TIME:
		if (o->format == OUT_CSV)
			iso_time(sqlite3_column_double(st, i), o->utc, buf, sizeof(buf));
		else
			out_time(sqlite3_column_double(st, i), o->utc, o->format == OUT_WIDE, buf,
				 sizeof(buf));
		return strdup(buf);
	case K_BOOL:
		if (o->format == OUT_CSV)
			return strdup(sqlite3_column_int64(st, i) ? "true" : "false");
		return strdup(sqlite3_column_int64(st, i) ? "yes" : "no");
	case K_INT:
		snprintf(buf, sizeof(buf), "%lld", (long long)sqlite3_column_int64(st, i));
		return strdup(buf);
	case K_REAL:
		snprintf(buf, sizeof(buf), "%.3f", sqlite3_column_double(st, i));
		return strdup(buf);
	case K_TEXT:
	case K_JSON:
		break;
	}
	t = (const char *)sqlite3_column_text(st, i);
	return safe_text(t ? t : "", o->format == OUT_CSV, NULL);
}

static void json_value(sqlite3_stmt *st, int i, enum out_kind kind)
{
	if (sqlite3_column_type(st, i) == SQLITE_NULL) {
		fputs("null", stdout);
		return;
	}
	switch (kind) {
	case K_INT:
		printf("%lld", (long long)sqlite3_column_int64(st, i));
		return;
	case K_BOOL:
		fputs(sqlite3_column_int64(st, i) ? "true" : "false", stdout);
		return;
	case K_REAL:
	case K_TIME:
		/* times stay Unix seconds in JSON: scripts compute with them */
		printf("%.6f", sqlite3_column_double(st, i));
		return;
	case K_JSON:
		fputs((const char *)sqlite3_column_text(st, i), stdout);
		return;
	case K_TEXT:
		out_json_str(stdout, (const char *)sqlite3_column_text(st, i));
		return;
	}
}

/*
 * RFC 4180: quoted when it holds a comma, a quote, a line break or edge spaces.  text: a value
 * a device may have chosen (a host name, a snippet); one that a spreadsheet would take for a
 * formula (= + - @, tab, CR first) gets a leading ' (OWASP's advice against CSV injection):
 * opened in a spreadsheet, it stays text.
 */
static void csv_field(const char *s, bool text)
{
	size_t n = strlen(s);
	bool formula = text && n && strchr("=+-@\t\r", s[0]);

	if (formula || strpbrk(s, ",\"\r\n") || (n && (s[0] == ' ' || s[n - 1] == ' '))) {
		putchar('"');
		if (formula)
			putchar('\'');
		for (; *s; s++) {
			if (*s == '"')
				putchar('"');
			putchar(*s);
		}
		putchar('"');
	} else {
		fputs(s, stdout);
	}
}

static void print_json_row(sqlite3_stmt *st, const struct col *cols, size_t n_cols, bool first)
{
	size_t c;
	bool any = false;

	printf("%s\n  {", first ? "" : ",");
	for (c = 0; c < n_cols; c++) {
		if (!shows(&cols[c], OUT_JSON))
			continue;
		printf("%s\"%s\": ", any ? ", " : "", cols[c].key);
		json_value(st, (int)c, cols[c].kind);
		any = true;
	}
	putchar('}');
}

static int print_csv_row(sqlite3_stmt *st, const struct col *cols, size_t n_cols,
			 const struct out *o)
{
	size_t c;
	bool any = false;

	for (c = 0; c < n_cols; c++) {
		char *t;

		if (!shows(&cols[c], OUT_CSV))
			continue;
		if (any)
			putchar(',');
		any = true;
		if (sqlite3_column_type(st, (int)c) == SQLITE_NULL)
			continue;
		t = cell_text(st, (int)c, cols[c].kind, o);
		if (!t)
			return -1;
		csv_field(t, cols[c].kind == K_TEXT);
		free(t);
	}
	fputs("\r\n", stdout);
	return 0;
}

/*
 * Narrows the default table to OUT_TABLE_WIDTH: the widest column that may shrink loses a
 * column at a time, down to its heading's width (or 8).
 */
static void fit_widths(const struct col *cols, const size_t *vis, size_t n_vis, size_t *width)
{
	size_t total, v;

	for (;;) {
		size_t best = n_vis;

		total = 0;
		for (v = 0; v < n_vis; v++)
			total += width[v] + (v + 1 < n_vis ? 2 : 0);
		if (total <= OUT_TABLE_WIDTH)
			return;
		for (v = 0; v < n_vis; v++) {
			const struct col *c = &cols[vis[v]];
			size_t min = strlen(c->title) > 8 ? strlen(c->title) : 8;

			if (c->shrink && width[v] > min &&
			    (best == n_vis || width[v] > width[best]))
				best = v;
		}
		if (best == n_vis)
			return; /* as narrow as it goes */
		width[best]--;
	}
}

static void print_cell(const char *t, size_t w, size_t width, bool right, bool last)
{
	size_t pad = width > w ? width - w : 0;

	if (right)
		printf("%*s%s%s", (int)pad, "", t, last ? "" : "  ");
	else if (last)
		fputs(t, stdout);
	else
		printf("%s%*s  ", t, (int)pad, "");
}

struct cell {
	char *text;
	size_t width;
};

static int print_table(sqlite3_stmt *st, const struct col *cols, size_t n_cols, const struct out *o)
{
	size_t vis[OUT_COLS_MAX], n_vis = 0, width[OUT_COLS_MAX] = {0}, rows = 0, cap = 0, r, v;
	struct cell *cells = NULL;
	int rc;

	for (v = 0; v < n_cols; v++)
		if (shows(&cols[v], o->format))
			vis[n_vis++] = v;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (rows == cap) {
			struct cell *n;

			cap = cap ? cap * 2 : 64;
			n = realloc(cells, cap * n_vis * sizeof(*cells));
			if (!n) {
				rc = SQLITE_NOMEM;
				break;
			}
			cells = n;
		}
		for (v = 0; v < n_vis; v++) {
			struct cell *c = &cells[rows * n_vis + v];
			char *t = cell_text(st, (int)vis[v], cols[vis[v]].kind, o);

			/* (again through safe_text: its buffer has room for the ellipsis) */
			c->text = safe_text(t ? t : "-", false, &c->width);
			free(t);
			if (!c->text) {
				rc = SQLITE_NOMEM;
				break;
			}
			cut_to_width(c->text, &c->width, CELL_MAX);
		}
		if (v < n_vis) {
			for (; v-- > 0;)
				free(cells[rows * n_vis + v].text);
			break;
		}
		rows++;
	}
	if (rc == SQLITE_DONE) {
		for (v = 0; v < n_vis; v++)
			width[v] = strlen(cols[vis[v]].title);
		for (r = 0; r < rows; r++)
			for (v = 0; v < n_vis; v++)
				if (cells[r * n_vis + v].width > width[v])
					width[v] = cells[r * n_vis + v].width;
		if (o->format == OUT_TABLE)
			fit_widths(cols, vis, n_vis, width);
		for (v = 0; v < n_vis; v++)
			print_cell(cols[vis[v]].title, strlen(cols[vis[v]].title), width[v],
				   cols[vis[v]].right, v + 1 == n_vis);
		putchar('\n');
		for (r = 0; r < rows; r++) {
			for (v = 0; v < n_vis; v++) {
				struct cell *c = &cells[r * n_vis + v];

				cut_to_width(c->text, &c->width, width[v]);
				print_cell(c->text, c->width, width[v], cols[vis[v]].right,
					   v + 1 == n_vis);
			}
			putchar('\n');
		}
	}
	for (r = 0; r < rows; r++)
		for (v = 0; v < n_vis; v++)
			free(cells[r * n_vis + v].text);
	free(cells);
	return rc;
}

int out_rows(sqlite3_stmt *st, const struct col *cols, size_t n_cols, const struct out *o)
{
	size_t rows = 0, c;
	int rc;

	if (n_cols > OUT_COLS_MAX)
		return EX_SOFTWARE;
	if (o->format == OUT_TABLE || o->format == OUT_WIDE) {
		rc = print_table(st, cols, n_cols, o);
	} else {
		if (o->format == OUT_JSON) {
			putchar('[');
		} else {
			bool any = false;

			for (c = 0; c < n_cols; c++)
				if (shows(&cols[c], OUT_CSV)) {
					printf("%s%s", any ? "," : "", cols[c].key);
					any = true;
				}
			fputs("\r\n", stdout);
		}
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			if (o->format == OUT_JSON)
				print_json_row(st, cols, n_cols, rows == 0);
			else if (print_csv_row(st, cols, n_cols, o) < 0) {
				rc = SQLITE_NOMEM;
				break;
			}
			rows++;
		}
		if (o->format == OUT_JSON)
			puts(rows ? "\n]" : "]");
	}
	if (rc != SQLITE_DONE) {
		fprintf(stderr, "leakwatch: reading the database: %s\n",
			rc == SQLITE_NOMEM ? "out of memory"
					   : sqlite3_errmsg(sqlite3_db_handle(st)));
		return EX_IOERR;
	}
	return 0;
}
