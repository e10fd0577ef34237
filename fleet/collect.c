/* SPDX-License-Identifier: MIT */
/*
 * leakwatch-collect: the central side of a fleet of access points (README "Many APs").
 *
 * A durable pull consumer on the JetStream stream the access points publish to
 * (leakwatch-push): it fetches a batch (the next one is fetched meanwhile by a thread of its
 * own, fetch.c), writes its rows into PostgreSQL in one transaction (an array per column) and
 * acknowledges the batch's messages only after COMMIT.  Killed between the two, the messages
 * come again and change nothing: every central table has the unique key (ap, id), rows only
 * ever inserted are written ON CONFLICT DO NOTHING, and an updated row (devices, sessions,
 * flows, flagged) replaces the central one only when its version (the publishing pass) is
 * higher.  Several collectors may run at once: they share the durable consumer, which gives
 * each message to one of them and again after the ack wait if it is not acknowledged.
 *
 * The central tables are SQLite's (lib/fleet/row.c names their columns) with ap and id in
 * front, id being the access point's row id (rowid for devices and stats, which have no id
 * column), and fleet_version at the end of the updated ones.
 *
 * A message that is not a valid row (lw_fleet_row_decode, lw_fleet_row_check, a subject that
 * does not name the same table) is terminated, counted and logged once; a row PostgreSQL
 * refuses alone is too.  Unreachable servers or refused credentials: one line, exit 69.
 *
 * The other way (flags-pub.c): every --flags-interval seconds, between batches, the central
 * flags (rows of flagged with ap = '*') are made the content of the flags bucket, which the
 * access points follow.
 */
#include "audit-check.h"
#include "conn.h"
#include "fetch.h"
#include "flags-pub.h"
#include "fleet/row.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <libpq-fe.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define PROG "leakwatch-collect"
#define BATCH_MAX 5000
#define NS_PER_S 1000000000LL
/* --idle-exit: how long it waits beyond for messages not yet acknowledged */
#define IDLE_WAIT_MAX_S 120
/* --idle-exit: how long nothing pending with the acknowledged floor below the stream's end is
 * waited for */
#define FLOOR_WAIT_S 20
#define SUBSCRIBE_TRIES_S 30
/* how long the stream keeps a message (acknowledged or not): 7 days */
#define STREAM_MAX_AGE_S (7 * 86400)

struct item {
	natsMsg *msg;
	bool audit; /* an audit (audit-check.h), not a row */
	struct lw_fleet_audit a;
	struct lw_fleet_row row;
	char ap[LW_FLEET_AP_MAX + 1];
};

struct collect {
	PGconn *pg;
	const char *pginfo;
	const char *prefix;
	uint64_t written[16], unchanged[16], malformed, refused, messages;
	/* rows of insert-only tables whose (ap, id) was there with other values (insert_rows) */
	uint64_t differ;
	bool malformed_logged, refused_logged, differ_logged;
	long die_after, commits; /* --die-after-commit */
	struct lw_audit_check audit;
	/* the parameters of one INSERT: arrays as text, in an arena of offsets */
	char *arena;
	size_t arena_len, arena_size;
	size_t *offs;
	const char **params;
	size_t nparams, params_size;
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static const char *pg_type(enum lw_fleet_type t)
{
	switch (t) {
	case LW_FLEET_INT:
		return "BIGINT";
	case LW_FLEET_REAL:
		return "DOUBLE PRECISION";
	case LW_FLEET_TEXT:
	case LW_FLEET_NULL:
		break;
	}
	return "TEXT";
}

/* A string that grows; on allocation failure the program cannot go on. */
struct sbuf {
	char *s;
	size_t len, size;
};

__attribute__((format(printf, 2, 3))) static void sb_add(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(b->s ? b->s + b->len : NULL, b->s ? b->size - b->len : 0, fmt, ap);
		va_end(ap);
		if (n >= 0 && b->s && (size_t)n < b->size - b->len) {
			b->len += (size_t)n;
			return;
		}
		b->size = b->size * 2 + (size_t)n + 256;
		b->s = realloc(b->s, b->size);
		if (!b->s) {
			fprintf(stderr, PROG ": out of memory\n");
			exit(1);
		}
	}
}

static bool pg_ok(PGresult *r)
{
	ExecStatusType s = PQresultStatus(r);

	return s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK;
}

static int pg_exec(struct collect *c, const char *sql)
{
	PGresult *r = PQexec(c->pg, sql);
	int ret = pg_ok(r) ? 0 : -EIO;

	if (ret < 0) {
		const char *e = PQresultErrorMessage(r);

		fprintf(stderr, PROG ": PostgreSQL: %.*s\n", (int)strcspn(e, "\n"), e);
	}
	PQclear(r);
	return ret;
}

/* The central tables and views (idempotent: run at every start). */
static int create_tables(struct collect *c)
{
	size_t n;
	const struct lw_fleet_table *t = lw_fleet_tables(&n);
	struct sbuf b = {0};
	int ret;

	/* one collector at a time creates them; the others wait here */
	sb_add(&b, "BEGIN; SELECT pg_advisory_xact_lock(1819764599);\n");
	for (size_t i = 0; i < n; i++) {
		sb_add(&b, "CREATE TABLE IF NOT EXISTS \"%s\"(ap TEXT NOT NULL, id BIGINT NOT NULL",
		       t[i].name);
		for (size_t j = 0; j < t[i].ncols; j++)
			sb_add(&b, ", \"%s\" %s", t[i].cols[j].name, pg_type(t[i].cols[j].type));
		if (t[i].changed)
			sb_add(&b, ", fleet_version BIGINT NOT NULL DEFAULT 0");
		sb_add(&b, ", PRIMARY KEY(ap, id));\n");
	}
	/* the SQLite views that read across access points, with ap (times in UTC) */
	/* SQLite's datetime() is NULL for a time out of its range; to_timestamp() would fail the
	 * whole query over a single such row (any row an access point's database holds) */
	sb_add(&b, "CREATE OR REPLACE FUNCTION lw_time(t DOUBLE PRECISION) RETURNS TIMESTAMPTZ\n"
		   "  LANGUAGE sql IMMUTABLE AS 'SELECT CASE WHEN t BETWEEN -1e11 AND 1e11\n"
		   "  THEN to_timestamp(t) END';\n");
	sb_add(&b,
	       "CREATE INDEX IF NOT EXISTS leaks_mac_ts ON leaks(mac, ts);\n"
	       "CREATE INDEX IF NOT EXISTS flows_mac ON flows(mac);\n"
	       "CREATE OR REPLACE VIEW leak_summary AS SELECT ap, mac, domain, kind,\n"
	       "  count(*) AS count, min(ts) AS first_seen, max(ts) AS last_seen,\n"
	       "  lw_time(min(ts)) AS first_time, lw_time(max(ts)) AS last_time\n"
	       "  FROM leaks GROUP BY ap, mac, domain, kind;\n"
	       "CREATE OR REPLACE VIEW device_domains AS SELECT ap, mac, domain,\n"
	       "  count(*) AS flows, sum(bytes_out) AS bytes_out, sum(bytes_in) AS bytes_in,\n"
	       "  min(first_seen) AS first_seen, max(last_seen) AS last_seen\n"
	       "  FROM flows WHERE domain IS NOT NULL GROUP BY ap, mac, domain;\n"
	       "CREATE OR REPLACE VIEW leaks_readable AS SELECT lw_time(ts) AS time,\n"
	       "  ap, id, ts, mac, flow_id, domain, dst_ip, dst_port, proto, kind, value,\n"
	       "  encoding, location, confidence, snippet FROM leaks;\n"
	       "CREATE OR REPLACE VIEW flows_readable AS SELECT\n"
	       "  lw_time(first_seen) AS time, lw_time(last_seen) AS last_time, ap,\n"
	       "  id, mac, proto, src_ip, src_port, dst_ip, dst_port, first_seen, last_seen,\n"
	       "  domain, name_source, app, encrypted, pkts_out, bytes_out, pkts_in, bytes_in,\n"
	       "  ended FROM flows;\n"
	       "CREATE OR REPLACE VIEW dns_readable AS SELECT lw_time(ts) AS time, ap, id,\n"
	       "  ts, mac, client_ip, server_ip, qname, qtype, rcode, answers, ttl FROM dns;\n");
	/* the central flags (ap '*'): flags-pub.c */
	sb_add(&b, "%sCOMMIT;\n", lw_flags_pub_sql);
	ret = pg_exec(c, b.s);
	if (ret < 0)
		pg_exec(c, "ROLLBACK");
	free(b.s);
	return ret;
}

/* PostgreSQL's notices (a shutdown under way): one line each, named */
static void pg_notice(void *arg, const char *msg)
{
	(void)arg;
	fprintf(stderr, PROG ": PostgreSQL says: %.*s\n", (int)strcspn(msg, "\n"), msg);
}

static int pg_connect(struct collect *c)
{
	c->pg = PQconnectdb(c->pginfo);
	if (PQstatus(c->pg) != CONNECTION_OK) {
		const char *e = PQerrorMessage(c->pg);

		fprintf(stderr, PROG ": cannot connect to PostgreSQL (%s): %.*s\n", c->pginfo,
			(int)strcspn(e, "\n"), e);
		return -EIO;
	}
	PQsetNoticeProcessor(c->pg, pg_notice, NULL);
	return pg_exec(c, "SET synchronous_commit = on; SET client_min_messages = warning");
}

/* Waits for PostgreSQL to come back (a restart): retries every second until stopped. */
static int pg_recover(struct collect *c)
{
	bool said = false;

	while (!stop) {
		PQreset(c->pg);
		if (PQstatus(c->pg) == CONNECTION_OK) {
			if (said)
				fprintf(stderr, PROG ": PostgreSQL is back\n");
			return pg_exec(c, "SET client_min_messages = warning");
		}
		if (!said) {
			const char *e = PQerrorMessage(c->pg);

			fprintf(stderr, PROG ": PostgreSQL lost, retrying every second: %.*s\n",
				(int)strcspn(e, "\n"), e);
			said = true;
		}
		sleep(1);
	}
	return -EINTR;
}

/*
 * One INSERT's parameters are arrays, one per column, written as PostgreSQL's text form of an
 * array ('{1,NULL,"a\"b"}') into an arena: the statement's text stays the same for any number
 * of rows, and PostgreSQL parses a few long arrays for less than the same values as a VALUES
 * list of thousands of parameters (half the server's CPU time per row, measured).
 */
__attribute__((format(printf, 2, 3))) static void arena_add(struct collect *c, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(c->arena ? c->arena + c->arena_len : NULL,
			      c->arena ? c->arena_size - c->arena_len : 0, fmt, ap);
		va_end(ap);
		if (n >= 0 && c->arena && (size_t)n < c->arena_size - c->arena_len)
			break;
		c->arena_size = c->arena_size * 2 + (size_t)n + 4096;
		c->arena = realloc(c->arena, c->arena_size);
		if (!c->arena) {
			fprintf(stderr, PROG ": out of memory\n");
			exit(1);
		}
	}
	c->arena_len += (size_t)n;
}

/* Bytes into the arena as they are. */
static void arena_put(struct collect *c, const char *s, size_t n)
{
	if (c->arena_size - c->arena_len < n + 1) {
		c->arena_size = c->arena_size * 2 + n + 4096;
		c->arena = realloc(c->arena, c->arena_size);
		if (!c->arena) {
			fprintf(stderr, PROG ": out of memory\n");
			exit(1);
		}
	}
	memcpy(c->arena + c->arena_len, s, n);
	c->arena_len += n;
	c->arena[c->arena_len] = 0;
}

/* An array element of a TEXT value (not NUL-terminated): quoted, " and \ escaped. */
static void arena_text(struct collect *c, const char *s, size_t len)
{
	size_t run = 0;

	arena_put(c, "\"", 1);
	for (size_t i = 0; i < len; i++)
		if (s[i] == '"' || s[i] == '\\') {
			arena_put(c, s + run, i - run);
			arena_put(c, "\\", 1);
			run = i;
		}
	arena_put(c, s + run, len - run);
	arena_put(c, "\"", 1);
}

static void array_value(struct collect *c, const struct lw_fleet_value *v)
{
	switch (v->type) {
	case LW_FLEET_NULL:
		arena_add(c, "NULL");
		break;
	case LW_FLEET_INT:
		arena_add(c, "%" PRId64, v->i);
		break;
	case LW_FLEET_REAL:
		arena_add(c, "%.17g", v->r);
		break;
	case LW_FLEET_TEXT:
		arena_text(c, v->s, v->len);
		break;
	}
}

/* Column col of rows items[idx[0..n)] as one array parameter: -1 the ap, -2 the id, ncols the
 * version, otherwise a value. */
static void param_column(struct collect *c, const struct lw_fleet_table *t,
			 const struct item *items, const size_t *idx, size_t n, long col)
{
	if (c->nparams == c->params_size) {
		c->params_size = c->params_size * 2 + 64;
		c->offs = realloc(c->offs, c->params_size * sizeof(*c->offs));
		c->params = realloc(c->params, c->params_size * sizeof(*c->params));
		if (!c->offs || !c->params) {
			fprintf(stderr, PROG ": out of memory\n");
			exit(1);
		}
	}
	c->offs[c->nparams++] = c->arena_len;
	arena_add(c, "{");
	for (size_t i = 0; i < n; i++) {
		const struct item *it = &items[idx[i]];

		if (i)
			arena_add(c, ",");
		if (col == -1)
			arena_text(c, it->ap, strlen(it->ap));
		else if (col == -2)
			arena_add(c, "%" PRId64, it->row.id);
		else if ((size_t)col == t->ncols)
			arena_add(c, "%" PRIu64, it->row.version);
		else
			array_value(c, &it->row.v[col]);
	}
	arena_add(c, "}");
	c->arena_len++; /* the NUL vsnprintf wrote */
}

/* "unnest($1::TEXT[], $2::BIGINT[], <a typed array per column>[, the version's])": the rows of
 * an INSERT's parameters (param_column), in their order */
static void sb_unnest(struct sbuf *b, const struct lw_fleet_table *t, bool version)
{
	size_t p = 3;

	sb_add(b, "unnest($1::TEXT[], $2::BIGINT[]");
	for (size_t j = 0; j < t->ncols; j++)
		sb_add(b, ", $%zu::%s[]", p++, pg_type(t->cols[j].type));
	if (version)
		sb_add(b, ", $%zu::BIGINT[]", p);
	sb_add(b, ")");
}

/*
 * Of the rows an INSERT into an insert-only table found there already (its parameters still
 * in c->params), those stored with other values: not a copy of the same row sent again, but
 * another row under the same (ap, id): a second database publishing as the same access point
 * (its ids start at 1 again; README "Many APs").  The stored row is kept; the count is said.
 * The count, or -1 (the transaction is then aborted).
 */
static long count_differ(struct collect *c, const struct lw_fleet_table *t,
			 const struct item *items, const size_t *idx, size_t n)
{
	struct sbuf b = {0};
	PGresult *r;
	long differ;

	sb_add(&b, "SELECT count(*) FROM ");
	sb_unnest(&b, t, false);
	sb_add(&b, " AS r(ap, id");
	for (size_t j = 0; j < t->ncols; j++)
		sb_add(&b, ", \"%s\"", t->cols[j].name);
	sb_add(&b, ") JOIN \"%s\" AS t USING (ap, id) WHERE (", t->name);
	for (size_t j = 0; j < t->ncols; j++)
		sb_add(&b, "%st.\"%s\"", j ? ", " : "", t->cols[j].name);
	sb_add(&b, ") IS DISTINCT FROM (");
	for (size_t j = 0; j < t->ncols; j++)
		sb_add(&b, "%sr.\"%s\"", j ? ", " : "", t->cols[j].name);
	sb_add(&b, ")");
	r = PQexecParams(c->pg, b.s, (int)c->nparams, NULL, c->params, NULL, NULL, 0);
	free(b.s);
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		PQclear(r);
		return -1;
	}
	differ = atol(PQgetvalue(r, 0, 0));
	PQclear(r);
	if (differ > 0 && !c->differ_logged) {
		fprintf(stderr,
			PROG
			": %ld rows of %s from access point %s differ from the rows stored under "
			"the same (ap, id); the stored ones are kept: is a second database "
			"publishing as %s? (only the first time is logged; all are counted)\n",
			differ, t->name, items[idx[0]].ap, items[idx[0]].ap);
		c->differ_logged = true;
	}
	return differ;
}

/*
 * One INSERT of rows items[idx[0..n)] (no two with the same key) into one table.  Returns the
 * rows it changed, or -EIO (the transaction is then aborted).
 */
static long insert_rows(struct collect *c, const struct lw_fleet_table *t, struct item *items,
			const size_t *idx, size_t n, long *differ)
{
	struct sbuf b = {0};
	PGresult *r;
	long changed;

	sb_add(&b, "INSERT INTO \"%s\" AS t(ap, id", t->name);
	for (size_t j = 0; j < t->ncols; j++)
		sb_add(&b, ", \"%s\"", t->cols[j].name);
	sb_add(&b, "%s) SELECT * FROM ", t->changed ? ", fleet_version" : "");
	sb_unnest(&b, t, t->changed != NULL);
	c->nparams = 0;
	c->arena_len = 0;
	param_column(c, t, items, idx, n, -1);
	param_column(c, t, items, idx, n, -2);
	for (size_t j = 0; j < t->ncols; j++)
		param_column(c, t, items, idx, n, (long)j);
	if (t->changed)
		param_column(c, t, items, idx, n, (long)t->ncols);
	if (!t->changed) {
		sb_add(&b, " ON CONFLICT (ap, id) DO NOTHING");
	} else {
		sb_add(&b, " ON CONFLICT (ap, id) DO UPDATE SET ");
		for (size_t j = 0; j < t->ncols; j++)
			sb_add(&b, "\"%s\" = excluded.\"%s\", ", t->cols[j].name, t->cols[j].name);
		sb_add(&b, "fleet_version = excluded.fleet_version "
			   "WHERE t.fleet_version < excluded.fleet_version");
	}
	for (size_t i = 0; i < c->nparams; i++)
		c->params[i] = c->arena + c->offs[i];
	r = PQexecParams(c->pg, b.s, (int)c->nparams, NULL, c->params, NULL, NULL, 0);
	free(b.s);
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		if (!c->refused_logged && PQstatus(c->pg) == CONNECTION_OK && n == 1) {
			fprintf(stderr,
				PROG ": PostgreSQL refused a row of %s (ap %s, id %" PRId64
				     "), terminated: %s",
				t->name, items[idx[0]].ap, items[idx[0]].row.id,
				PQresultErrorMessage(r));
			c->refused_logged = true;
		}
		PQclear(r);
		return -EIO;
	}
	changed = atol(PQcmdTuples(r));
	PQclear(r);
	*differ = 0;
	if (!t->changed && (size_t)changed < n) {
		*differ = count_differ(c, t, items, idx, n);
		if (*differ < 0)
			return -EIO;
	}
	return changed;
}

static int cmp_key(const void *a, const void *b, void *arg)
{
	const struct item *items = arg;
	const struct item *x = &items[*(const size_t *)a], *y = &items[*(const size_t *)b];
	int d = strcmp(x->ap, y->ap);

	if (d)
		return d;
	if (x->row.id != y->row.id)
		return x->row.id < y->row.id ? -1 : 1;
	/* the highest version first */
	if (x->row.version != y->row.version)
		return x->row.version > y->row.version ? -1 : 1;
	return 0;
}

/*
 * The batch's rows, a table at a time, in one transaction.  One INSERT may not touch a row
 * twice, so of the copies of a row in a batch only the highest version is written.
 * -EIO: the transaction failed (rolled back).
 */
static int write_batch(struct collect *c, struct item *items, size_t n, bool single)
{
	size_t nt;
	const struct lw_fleet_table *t = lw_fleet_tables(&nt);
	uint64_t written[16] = {0}, unchanged[16] = {0}, differ = 0;
	size_t *idx = malloc((n ? n : 1) * sizeof(*idx));
	int ret = 0;

	if (!idx)
		return -ENOMEM;
	if (!single && pg_exec(c, "BEGIN") < 0) {
		free(idx);
		return -EIO;
	}
	for (unsigned ti = 0; ti < nt && ret == 0; ti++) {
		size_t m = 0, k = 0;
		long ch, d;

		for (size_t i = 0; i < n; i++)
			if (items[i].msg && !items[i].audit && items[i].row.table == ti)
				idx[m++] = i;
		if (!m)
			continue;
		qsort_r(idx, m, sizeof(*idx), cmp_key, items);
		for (size_t i = 0; i < m; i++)
			if (i == 0 || items[idx[k - 1]].row.id != items[idx[i]].row.id ||
			    strcmp(items[idx[k - 1]].ap, items[idx[i]].ap) != 0)
				idx[k++] = idx[i];
		ch = insert_rows(c, &t[ti], items, idx, k, &d);
		if (ch < 0) {
			ret = -EIO;
			break;
		}
		differ += (uint64_t)d;
		written[ti] += (uint64_t)ch;
		unchanged[ti] += m - (uint64_t)ch;
	}
	free(idx);
	if (!single) {
		if (ret == 0)
			ret = pg_exec(c, "COMMIT");
		else
			pg_exec(c, "ROLLBACK");
	}
	if (ret == 0) {
		for (size_t i = 0; i < nt; i++) {
			c->written[i] += written[i];
			c->unchanged[i] += unchanged[i];
		}
		c->differ += differ;
	}
	return ret;
}

/* Decodes a message; false (and counted, logged once) when it is not a row. */
static bool decode(struct collect *c, struct item *it)
{
	size_t nt, plen = strlen(c->prefix);
	const struct lw_fleet_table *t = lw_fleet_tables(&nt);
	const char *subj = natsMsg_GetSubject(it->msg), *ap, *dot;
	const char *why = NULL;

	if (strncmp(subj, c->prefix, plen) != 0 || subj[plen] != '.')
		why = "a subject outside the prefix";
	ap = subj + plen + 1;
	dot = why ? NULL : strchr(ap, '.');
	if (!why && (!dot || (size_t)(dot - ap) > LW_FLEET_AP_MAX))
		why = "no access point id in the subject";
	if (!why) {
		memcpy(it->ap, ap, (size_t)(dot - ap));
		it->ap[dot - ap] = 0;
		if (!lw_fleet_ap_valid(it->ap))
			why = "an invalid access point id";
	}
	it->audit = !why && strcmp(dot + 1, "audit") == 0;
	if (it->audit) {
		if (lw_fleet_audit_decode(natsMsg_GetData(it->msg),
					  (size_t)natsMsg_GetDataLength(it->msg), &it->a) < 0)
			why = "not an audit message";
		else
			return true;
	}
	if (!why && lw_fleet_row_decode(natsMsg_GetData(it->msg),
					(size_t)natsMsg_GetDataLength(it->msg), &it->row) < 0)
		why = "not a row message";
	if (!why && strcmp(dot + 1, t[it->row.table].name) != 0)
		why = "a row of another table than its subject's";
	if (!why && lw_fleet_row_check(&it->row) < 0)
		why = "values that do not fit the table's columns";
	if (!why)
		return true;
	c->malformed++;
	if (!c->malformed_logged) {
		fprintf(stderr,
			PROG ": terminated a malformed message on %s: %s (only the first is "
			     "logged; all are counted)\n",
			subj, why);
		c->malformed_logged = true;
	}
	natsMsg_Term(it->msg, NULL);
	natsMsg_Destroy(it->msg);
	it->msg = NULL;
	return false;
}

/*
 * The batch's audits, once its rows are committed (an audit comes after the rows it counts):
 * each acknowledged when answered, asked to come again when PostgreSQL did not answer.
 */
static void check_audits(struct collect *c, struct item *items, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (!items[i].msg || !items[i].audit)
			continue;
		if (lw_audit_check(&c->audit, c->pg, items[i].ap, &items[i].a) < 0)
			natsMsg_Nak(items[i].msg, NULL);
		else
			natsMsg_Ack(items[i].msg, NULL);
		natsMsg_Destroy(items[i].msg);
		items[i].msg = NULL;
	}
}

/* Writes and acknowledges one fetched batch; false when PostgreSQL went away for good. */
static bool handle(struct collect *c, natsMsgList *list, struct item *items)
{
	size_t n = (size_t)list->Count;

	for (size_t i = 0; i < n; i++) {
		items[i].msg = list->Msgs[i];
		list->Msgs[i] = NULL;
		c->messages++;
		decode(c, &items[i]);
	}
	while (write_batch(c, items, n, false) < 0) {
		if (PQstatus(c->pg) != CONNECTION_OK) {
			if (pg_recover(c) < 0) {
				/* stopping: the messages come again, to another collector */
				for (size_t i = 0; i < n; i++)
					if (items[i].msg) {
						natsMsg_Nak(items[i].msg, NULL);
						natsMsg_Destroy(items[i].msg);
					}
				return false;
			}
			continue;
		}
		/* a row PostgreSQL refuses: each row alone, terminating the ones refused */
		for (size_t i = 0; i < n; i++) {
			if (!items[i].msg || items[i].audit)
				continue;
			if (write_batch(c, &items[i], 1, true) < 0) {
				if (PQstatus(c->pg) != CONNECTION_OK)
					break;
				c->refused++;
				natsMsg_Term(items[i].msg, NULL);
				natsMsg_Destroy(items[i].msg);
				items[i].msg = NULL;
			} else {
				natsMsg_Ack(items[i].msg, NULL);
				natsMsg_Destroy(items[i].msg);
				items[i].msg = NULL;
			}
		}
		if (PQstatus(c->pg) != CONNECTION_OK)
			continue;
		check_audits(c, items, n);
		return true;
	}
	/* after COMMIT: a crash before these acks redelivers rows that are already there */
	if (c->die_after && ++c->commits == c->die_after)
		raise(SIGKILL);
	check_audits(c, items, n);
	for (size_t i = 0; i < n; i++)
		if (items[i].msg) {
			natsMsg_Ack(items[i].msg, NULL);
			natsMsg_Destroy(items[i].msg);
			items[i].msg = NULL;
		}
	return true;
}

/*
 * The stream, made when it is missing.  0, -EAGAIN when the cluster cannot place it yet (just
 * started: not every peer is known; the message is left to the caller's last try), or -EIO.
 */
static int ensure_stream(jsCtx *js, const char *stream, const char *prefix, int replicas,
			 bool last_try)
{
	jsStreamInfo *si = NULL;
	jsStreamConfig cfg;
	jsErrCode err = 0;
	char subj[128];
	const char *subjects[1] = {subj};
	natsStatus s;

	s = js_GetStreamInfo(&si, js, stream, NULL, &err);
	if (s == NATS_OK) {
		jsStreamInfo_Destroy(si);
		return 0;
	}
	if (s != NATS_NOT_FOUND && err != JSStreamNotFoundErr) {
		fprintf(stderr, PROG ": stream %s: %s\n", stream, lw_fleet_nats_err(s));
		return -EIO;
	}
	snprintf(subj, sizeof(subj), "%s.>", prefix);
	jsStreamConfig_Init(&cfg);
	cfg.Name = stream;
	cfg.Subjects = subjects;
	cfg.SubjectsLen = 1;
	/*
	 * Limits retention, not work-queue: the collectors already share one durable consumer
	 * (each message goes to one of them).  With work-queue retention, tests/fleet/faults.sh
	 * once found 130 acknowledged publishes never delivered after a node had been killed
	 * and started again (nats-server 2.9.10; the cause is not established).  Here the
	 * stream keeps every message for STREAM_MAX_AGE_S whatever the consumer did, so a
	 * consumer can be made again from it.
	 */
	cfg.Retention = js_LimitsPolicy;
	cfg.MaxAge = (int64_t)STREAM_MAX_AGE_S * NS_PER_S;
	cfg.Storage = js_FileStorage;
	cfg.Replicas = replicas;
	/* Nats-Msg-Id: repeats within 10 minutes are dropped by the stream itself */
	cfg.Duplicates = 600 * NS_PER_S;
	s = js_AddStream(&si, js, &cfg, NULL, &err);
	if (s != NATS_OK && !last_try &&
	    (err == JSClusterNoPeersErr || s == NATS_TIMEOUT || s == NATS_NO_RESPONDERS))
		return -EAGAIN;
	if (s != NATS_OK) {
		fprintf(stderr, PROG ": cannot create stream %s (%d replicas): %s\n", stream,
			replicas, lw_fleet_nats_err(s));
		return -EIO;
	}
	jsStreamInfo_Destroy(si);
	return 0;
}

/*
 * --idle-exit: true when the consumer has nothing left, not even messages fetched by a
 * collector that died before acknowledging them (they come again after the ack wait).
 * The consumer's own count is not enough: after the cluster restarts, the consumer's
 * leader may sit on a replica still catching up with the stream, and says 0 pending while
 * the stream's leader holds more. Drained is: nothing pending or unacknowledged, and the
 * acknowledged floor at the stream leader's last sequence, or
 * FLOOR_WAIT_S spent waiting for it.
 */
static bool drained(jsCtx *js, const char *stream, const char *durable, bool *said,
		    long long *floor_since)
{
	jsConsumerInfo *ci = NULL;
	jsStreamInfo *si = NULL;
	jsErrCode err = 0;
	natsStatus s;
	bool done;

	s = js_GetConsumerInfo(&ci, js, stream, durable, NULL, &err);
	if (s == NATS_OK)
		s = js_GetStreamInfo(&si, js, stream, NULL, &err);
	if (s != NATS_OK) {
		/* not known: not drained (the servers away); --idle-exit's bound still holds */
		if (!*said)
			fprintf(stderr, PROG ": idle; the consumer's state is not known: %s\n",
				lw_fleet_nats_err(s));
		*said = true;
		jsConsumerInfo_Destroy(ci);
		return false;
	}
	done = ci->NumPending == 0 && ci->NumAckPending == 0;
	/*
	 * Nothing pending, the floor below the last sequence: a replica catching up, for a few
	 * seconds; for good when the stream skipped sequences (the audits find their rows): it
	 * is waited for FLOOR_WAIT_S, then counted as drained.
	 */
	if (done && ci->AckFloor.Stream < si->State.LastSeq) {
		if (!*floor_since)
			*floor_since = lw_fleet_mono_s();
		done = lw_fleet_mono_s() - *floor_since >= FLOOR_WAIT_S;
		if (done)
			fprintf(stderr,
				PROG ": %" PRIu64 " of the stream's %" PRIu64
				     " sequences never came; drained (the audits find rows lost)\n",
				si->State.LastSeq - ci->AckFloor.Stream, si->State.LastSeq);
	} else if (done) {
		*floor_since = 0;
	}
	if (!done && !*said) {
		fprintf(stderr,
			PROG ": idle, but %" PRIu64 " messages wait, %" PRId64
			     " are unacknowledged (a collector that stopped) and %" PRIu64
			     " of the stream's %" PRIu64 " are acknowledged: waiting for them\n",
			ci->NumPending, ci->NumAckPending, ci->AckFloor.Stream, si->State.LastSeq);
		*said = true;
	}
	jsStreamInfo_Destroy(si);
	jsConsumerInfo_Destroy(ci);
	return done;
}

static void report(const struct collect *c, double secs)
{
	size_t n;
	const struct lw_fleet_table *t = lw_fleet_tables(&n);
	uint64_t rows = 0;

	for (size_t i = 0; i < n; i++)
		rows += c->written[i] + c->unchanged[i];
	fprintf(stderr, PROG ": %" PRIu64 " messages, %" PRIu64 " rows in %.2f s (%.0f rows/s):",
		c->messages, rows, secs, secs > 0 ? (double)rows / secs : 0.0);
	for (size_t i = 0; i < n; i++)
		fprintf(stderr, " %s %" PRIu64 "+%" PRIu64, t[i].name, c->written[i],
			c->unchanged[i]);
	fprintf(stderr,
		" (written+already there); %" PRIu64 " malformed, %" PRIu64 " refused, %" PRIu64
		" differing from the stored row; %" PRIu64 " audits, %" PRIu64
		" with rows missing\n",
		c->malformed, c->refused, c->differ, c->audit.audits, c->audit.gaps);
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: " PROG " --servers URLS --pg CONNINFO [options]\n"
		"  --servers URLS     nats://host:port[,nats://host:port...]\n"
		"  --pg CONNINFO      libpq connection string (\"host=... dbname=...\")\n"
		"  --stream NAME      the stream (default LEAKWATCH; created when missing)\n"
		"  --prefix P         subject prefix (default leakwatch)\n"
		"  --replicas N       the stream's replicas when it is created (default 1)\n"
		"  --durable NAME     the shared durable consumer (default collect)\n"
		"  --batch N          messages per transaction (default 1000, at most 5000)\n"
		"  --idle-exit S      exit when nothing came for S seconds and the stream is\n"
		"                     drained (default: run); 69 when it is not after 120 s more\n"
		"  --init             create the tables, the stream and the two buckets, "
		"then exit\n"
		"  --flags-bucket B   the KV bucket of the central flags "
		"(default " LW_FLAGS_BUCKET_DEFAULT ")\n"
		"  --resend-bucket B  the KV bucket of the requests to send rows again that the\n"
		"                     audits find missing (default " LW_FLEET_RESEND_BUCKET_DEFAULT
		")\n"
		"  --flags-interval S seconds between publishing the central flags (rows of\n"
		"                     flagged with ap '*') into it (default 5; 0: never)\n"
		"  --die-after-commit N  (tests) SIGKILL itself right after the Nth COMMIT, "
		"before\n"
		"                     its acknowledgements\n"
		"  --ack-wait S       when the consumer is made: seconds before a message\n"
		"                     fetched and not acknowledged comes again (default 30)\n"
		"  --creds FILE, --nkey PUB --nkey-seed FILE, --ca FILE   as leakwatch-push\n");
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		LW_FLEET_CONN_LONGOPTS,
		{"pg", required_argument, NULL, 'g'},
		{"stream", required_argument, NULL, 'S'},
		{"prefix", required_argument, NULL, 'p'},
		{"replicas", required_argument, NULL, 'r'},
		{"durable", required_argument, NULL, 'D'},
		{"batch", required_argument, NULL, 'b'},
		{"idle-exit", required_argument, NULL, 'i'},
		{"init", no_argument, NULL, 'I'},
		{"ack-wait", required_argument, NULL, 'A'},
		{"die-after-commit", required_argument, NULL, 'X'},
		{"flags-bucket", required_argument, NULL, 'B'},
		{"resend-bucket", required_argument, NULL, 'R'},
		{"flags-interval", required_argument, NULL, 'F'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct lw_fleet_conn conn = {.name = PROG};
	struct collect c = {.prefix = "leakwatch"};
	const char *stream = "LEAKWATCH", *durable = "collect";
	const char *flags_bucket = LW_FLAGS_BUCKET_DEFAULT;
	const char *resend_bucket = LW_FLEET_RESEND_BUCKET_DEFAULT;
	long flags_interval = 5;
	long long flags_at = 0;
	struct lw_flags_pub flags = {0};
	int replicas = 1, batch = 1000, ch, code = 0, r;
	long idle_exit = 0, idle = 0, ack_wait = 30;
	long long floor_since = 0;
	natsConnection *nc;
	natsSubscription *sub = NULL;
	struct lw_fetch *fetch = NULL;
	jsCtx *js = NULL;
	jsSubOptions so;
	jsErrCode err = 0;
	struct item *items;
	struct timespec a, b;
	char subj[128];
	bool any = false, init = false, said_waiting = false;

	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'g':
			c.pginfo = optarg;
			break;
		case 'S':
			stream = optarg;
			break;
		case 'p':
			c.prefix = optarg;
			break;
		case 'r':
			replicas = atoi(optarg);
			break;
		case 'D':
			durable = optarg;
			break;
		case 'b':
			batch = atoi(optarg);
			break;
		case 'i':
			idle_exit = atol(optarg);
			break;
		case 'I':
			init = true;
			break;
		case 'A':
			ack_wait = atol(optarg);
			break;
		case 'X':
			c.die_after = atol(optarg);
			break;
		case 'R':
			resend_bucket = optarg;
			break;
		case 'B':
			flags_bucket = optarg;
			break;
		case 'F':
			flags_interval = atol(optarg);
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			if (lw_fleet_conn_option(&conn, ch, optarg))
				break;
			usage(stderr);
			return LW_FLEET_EX_USAGE;
		}
	}
	if (!conn.servers || !c.pginfo || optind != argc) {
		usage(stderr);
		return LW_FLEET_EX_USAGE;
	}
	if (replicas < 1 || replicas > 5 || ack_wait < 1 || ack_wait > 86400 || batch < 1 ||
	    batch > BATCH_MAX || idle_exit < 0 || flags_interval < 0 || flags_interval > 86400 ||
	    !lw_fleet_ap_valid(flags_bucket) || !lw_fleet_ap_valid(resend_bucket) ||
	    !lw_fleet_ap_valid(c.prefix) || !lw_fleet_ap_valid(stream) ||
	    !lw_fleet_ap_valid(durable) || !conn.nkey_pub != !conn.nkey_seed) {
		fprintf(stderr,
			PROG ": --replicas 1..5, --ack-wait 1..86400, --batch 1..%d, --idle-exit "
			     ">= 0, --flags-interval 0..86400; names of "
			     "A-Z a-z 0-9 _ -; --nkey with --nkey-seed\n",
			BATCH_MAX);
		return LW_FLEET_EX_USAGE;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);
	if (pg_connect(&c) < 0 || create_tables(&c) < 0) {
		PQfinish(c.pg);
		return LW_FLEET_EX_UNAVAILABLE;
	}
	nc = lw_fleet_connect(&conn, PROG);
	if (!nc) {
		PQfinish(c.pg);
		return LW_FLEET_EX_UNAVAILABLE;
	}
	if (natsConnection_JetStream(&js, nc, NULL) != NATS_OK) {
		code = LW_FLEET_EX_UNAVAILABLE;
		goto out;
	}
	/* a cluster just started may not know all its peers yet: try for a while */
	for (int tries = 1; (r = ensure_stream(js, stream, c.prefix, replicas,
					       tries >= SUBSCRIBE_TRIES_S || stop)) == -EAGAIN;
	     tries++) {
		if (tries == 1)
			fprintf(stderr,
				PROG ": stream %s: the cluster cannot place it yet: waiting\n",
				stream);
		sleep(1);
	}
	if (r < 0 ||
	    /* --init makes the bucket or fails; a collector goes on and tries again */
	    (lw_flags_pub_open(&flags, js, flags_bucket, replicas, PROG) < 0 && init) ||
	    (lw_audit_check_open(&c.audit, js, resend_bucket, replicas, PROG) < 0 && init)) {
		code = LW_FLEET_EX_UNAVAILABLE;
		goto out;
	}
	if (init)
		goto out;
	snprintf(subj, sizeof(subj), "%s.>", c.prefix);
	jsSubOptions_Init(&so);
	so.Stream = stream;
	so.Config.Durable = durable;
	so.Config.AckPolicy = js_AckExplicit;
	so.Config.AckWait = ack_wait * NS_PER_S;
	so.Config.MaxAckPending = 20000;
	/*
	 * A cluster that has just lost or regained a node may take a few seconds to elect the
	 * consumer's leader: try for SUBSCRIBE_TRIES_S seconds before giving up.
	 */
	for (int tries = 1;; tries++) {
		natsStatus s = js_PullSubscribe(&sub, js, subj, durable, NULL, &so, &err);

		if (s == NATS_OK)
			break;
		if (tries >= SUBSCRIBE_TRIES_S || stop) {
			fprintf(stderr,
				PROG ": cannot subscribe to %s as %s: %s (JetStream error %d)\n",
				stream, durable, lw_fleet_nats_err(s), (int)err);
			code = LW_FLEET_EX_UNAVAILABLE;
			goto out;
		}
		sleep(1);
	}
	items = calloc((size_t)batch, sizeof(*items));
	if (!items || lw_fetch_start(&fetch, sub, batch, 1000) < 0) {
		code = 1;
		goto out;
	}
	clock_gettime(CLOCK_MONOTONIC, &a);
	b = a;
	while (!stop) {
		natsMsgList list = {0};
		natsStatus s;

		/* between batches: the central flags into the bucket */
		if (flags_interval && lw_fleet_mono_s() >= flags_at) {
			if (lw_flags_pub_sync(&flags, c.pg) < 0 &&
			    PQstatus(c.pg) != CONNECTION_OK && pg_recover(&c) < 0)
				break;
			flags_at = lw_fleet_mono_s() + flags_interval;
		}
		s = lw_fetch_next(fetch, &list);

		if (s == NATS_TIMEOUT || (s == NATS_OK && list.Count == 0)) {
			natsMsgList_Destroy(&list);
			if (idle_exit && ++idle >= idle_exit) {
				if (drained(js, stream, durable, &said_waiting, &floor_since))
					break;
				if (idle >= idle_exit + IDLE_WAIT_MAX_S) {
					/* not drained: an exit status that says so */
					fprintf(stderr,
						PROG
						": --idle-exit: gave up after %d s; the "
						"stream still holds messages not acknowledged\n",
						IDLE_WAIT_MAX_S);
					code = LW_FLEET_EX_UNAVAILABLE;
					break;
				}
			}
			continue;
		}
		if (s != NATS_OK) {
			/* the servers are away (a node killed, the cluster stopped): wait */
			natsMsgList_Destroy(&list);
			if (idle_exit && ++idle >= idle_exit * 10) {
				fprintf(stderr,
					PROG
					": --idle-exit: the servers were away %ld s; gave up\n",
					idle);
				code = LW_FLEET_EX_UNAVAILABLE;
				break;
			}
			sleep(1);
			continue;
		}
		idle = 0;
		if (!any) {
			clock_gettime(CLOCK_MONOTONIC, &a);
			any = true;
		}
		memset(items, 0, (size_t)list.Count * sizeof(*items));
		if (!handle(&c, &list, items)) {
			natsMsgList_Destroy(&list);
			code = LW_FLEET_EX_UNAVAILABLE;
			break;
		}
		natsMsgList_Destroy(&list);
		clock_gettime(CLOCK_MONOTONIC, &b);
	}
	lw_fetch_stop(fetch);
	fetch = NULL;
	free(items);
	report(&c, (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9);
out:
	lw_fetch_stop(fetch);
	lw_flags_pub_close(&flags);
	lw_audit_check_close(&c.audit);
	natsSubscription_Destroy(sub);
	jsCtx_Destroy(js);
	natsConnection_Destroy(nc);
	PQfinish(c.pg);
	free(c.arena);
	free(c.offs);
	free(c.params);
	nats_Close();
	return code;
}
