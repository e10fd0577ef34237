/* SPDX-License-Identifier: MIT */
/*
 * leakwatch-push: publishes an access point's database to NATS JetStream, one message per
 * row, on <prefix>.<ap>.<table> (README "Many APs").
 *
 * The SQLite database is the outbox.  What has been sent is recorded in its meta table, and
 * only after JetStream has acknowledged every message of a batch:
 *   fleet_sent_<table>  the highest row id acknowledged (rows are sent in row id order);
 *   fleet_mark_<table>  for a table whose rows are updated (lw_fleet_table.changed), the
 *                       highest "changed" value when the last complete pass over it began;
 *   fleet_pass          the number of the pass, taken (and committed) before it publishes.
 * An access point away from the servers for hours sends what it missed when they return, in
 * order; a row sent twice (a crash between the acknowledgement and the record) is the same
 * message again.
 *
 * Idempotency.  A row that is only ever inserted has the message id "<ap>.<table>.<id>":
 * JetStream drops a repeat within its duplicate window, and the collector's
 * ON CONFLICT (ap, id) DO NOTHING drops it after that.  A row the daemon updates (devices,
 * sessions, flows, flagged) is published again, whole, with a version: its message id is
 * "<ap>.<table>.<id>.<pass>" and the pass is the row's version; the collector replaces the
 * central row only by a higher version, so a redelivered or late older copy never overwrites
 * a newer one.  A pass number is never reused, even after a crash, because it is committed
 * before its first message.
 *
 * Which updated rows a pass looks at: the new ones (id above fleet_sent), and those whose
 * "changed" time (lw_fleet_table.changed: last_seen, a session's end) is at least the mark
 * less --slack seconds.  The daemon's updates write the time of the newest packet of the row;
 * a flow is written at most [database] flow_write_interval after its last packet, or when it
 * goes idle ([flows] tcp_idle, udp_idle), so its update's time is at most that far behind
 * the newest time in the table: the slack.  Of the rows looked at, one whose message equals
 * what this process sent last (a hash per row, in memory) is not sent again.
 * Not found: an update that moves no time and comes more than the slack after the row's
 * last time (a device's hostname filled in from an announced name long after its last
 * sighting), and times going backwards (a replay of an older capture into the same
 * database): such a row is published again with its next update that moves its time.
 *
 * With --follow and [fleet] flags = yes, the time between passes is spent following the
 * central flags' KV bucket into the flagged table (flags-sub.c).
 *
 * Audits (resend.h): after a complete pass, every --audit-interval seconds and at the end of
 * a one-shot run, the rows held per window of row ids go to the collector, which asks through
 * a KV bucket for a table again when it has fewer; a pass reads those requests and sends the
 * table again from the id asked (message ids with the pass, so the stream does not drop them
 * as repeats).  fleet_toolarge_<table> in meta: the table had a row too large to send, and its
 * audits leave such rows out.
 */
#include "config.h"
#include "conn.h"
#include "flags-sub.h"
#include "fleet/audit.h"
#include "fleet/row.h"
#include "resend.h"
#include "store/schema.h"
#include "store/store.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define PROG "leakwatch-push"
#define BATCH_MAX 10000
/* default --slack: [flows] tcp_idle and [database] flow_write_interval's defaults, and a minute */
#define SLACK_DEFAULT_S 420
/* the longest row message: stats' 41 columns, or texts (snippets, answers) up to this */
#define MSG_MAX (256 * 1024)
/* default --audit-interval: s between audits of every table (a one-shot push always audits) */
#define AUDIT_INTERVAL_DEFAULT_S 3600
/* after an audit, how long the passes read the collector's requests to send rows again, and
 * how often */
#define RESEND_READ_S 600
#define RESEND_EVERY_S 60

/*
 * What a publishing process has sent of the updated tables' rows: (table, row id) -> a hash
 * of the row's message without its version.  A row found changed by the mark but equal to
 * what was sent is not sent again.  Kept in memory: a new process sends such rows once more
 * (harmless: the collector keeps the highest version).  Each pass keeps only the rows it met.
 */
struct seen {
	uint64_t *keys; /* 0 = empty */
	uint64_t *hashes;
	size_t cap, n;
};

static uint64_t mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	return x ^ (x >> 33);
}

/* FNV-1a, 64 bits */
static uint64_t hash_bytes(const uint8_t *b, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < n; i++) {
		h ^= b[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

static uint64_t *seen_slot(const struct seen *s, uint64_t key)
{
	size_t i = (size_t)mix64(key) & (s->cap - 1);

	while (s->keys[i] && s->keys[i] != key)
		i = (i + 1) & (s->cap - 1);
	return &s->keys[i];
}

static bool seen_get(const struct seen *s, uint64_t key, uint64_t *hash)
{
	uint64_t *k;

	if (!s->cap)
		return false;
	k = seen_slot(s, key);
	if (!*k)
		return false;
	*hash = s->hashes[k - s->keys];
	return true;
}

static int seen_put(struct seen *s, uint64_t key, uint64_t hash)
{
	uint64_t *k;

	if ((s->n + 1) * 2 > s->cap) {
		struct seen g = {0};

		g.cap = s->cap ? s->cap * 2 : 1024;
		g.keys = calloc(g.cap, sizeof(*g.keys));
		g.hashes = calloc(g.cap, sizeof(*g.hashes));
		if (!g.keys || !g.hashes) {
			free(g.keys);
			free(g.hashes);
			return -ENOMEM;
		}
		for (size_t i = 0; i < s->cap; i++)
			if (s->keys[i]) {
				k = seen_slot(&g, s->keys[i]);
				*k = s->keys[i];
				g.hashes[k - g.keys] = s->hashes[i];
				g.n++;
			}
		free(s->keys);
		free(s->hashes);
		*s = g;
	}
	k = seen_slot(s, key);
	if (!*k) {
		*k = key;
		s->n++;
	}
	s->hashes[k - s->keys] = hash;
	return 0;
}

static void seen_clear(struct seen *s)
{
	free(s->keys);
	free(s->hashes);
	memset(s, 0, sizeof(*s));
}

struct push {
	sqlite3 *db;
	jsCtx *js;
	const char *ap;
	const char *prefix;
	int batch;
	int64_t wait_ms;
	volatile int pub_errors;
	char first_error[256];
	uint64_t pass;
	uint64_t sent[16], left;
	/* rows the daemon's size cap deleted before they were sent (meta fleet_capped_<table>),
	 * in all, and as many as last said */
	uint64_t capped, capped_said;
	/* messages JetStream acknowledged as copies of ones it had (in its duplicate window) */
	uint64_t dups;
	double slack; /* s: how far before the mark an update may write its time */
	struct seen seen, seen_next;
	/* (key, hash) of the batch under way, recorded in seen_next once it is acknowledged */
	uint64_t *batch_keys, *batch_hashes;
	int batch_n;
	/* audits and the requests to send again (resend.h) */
	struct lw_resend resend;
	int64_t resend_from[16]; /* per table: send again from this row id (0: no request) */
	long audit_interval;
	long long audit_at, resend_until, resend_next; /* monotonic s */
	unsigned passes;
	bool last_failed; /* the previous pass: a read of the requests would only wait */
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* Each message's acknowledgement, or its error; libnats gives the message to destroy. */
static void on_pub_ack(jsCtx *js, natsMsg *msg, jsPubAck *pa, jsPubAckErr *pae, void *closure)
{
	struct push *p = closure;

	(void)js;
	if (pa && pa->Duplicate)
		p->dups++;
	if (pae && p->pub_errors++ == 0)
		snprintf(p->first_error, sizeof(p->first_error), "%s",
			 pae->ErrText ? pae->ErrText : natsStatus_GetText(pae->Err));
	natsMsg_Destroy(msg);
}

static int meta_get(sqlite3 *db, const char *key, sqlite3_int64 *i, double *r, bool *found)
{
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key = ?1", -1, &st, NULL);

	*found = false;
	if (rc != SQLITE_OK)
		return rc;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const char *v = (const char *)sqlite3_column_text(st, 0);

		if (v) {
			*found = true;
			if (i)
				*i = strtoll(v, NULL, 10);
			if (r)
				*r = strtod(v, NULL);
		}
		rc = SQLITE_OK;
	} else if (rc == SQLITE_DONE) {
		rc = SQLITE_OK;
	}
	sqlite3_finalize(st);
	return rc;
}

static int meta_set(sqlite3 *db, const char *key, const char *value)
{
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(db,
				    "INSERT INTO meta(key, value) VALUES(?1, ?2) "
				    "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
				    -1, &st, NULL);

	if (rc != SQLITE_OK)
		return rc;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

static int meta_set_int(sqlite3 *db, const char *prefix, const char *table, int64_t v)
{
	char key[64], val[32];

	snprintf(key, sizeof(key), "%s%s", prefix, table);
	snprintf(val, sizeof(val), "%" PRId64, v);
	return meta_set(db, key, val);
}

/* meta "<prefix><table>" as an integer (0 and *found false when it is not there) */
static int meta_get_int(sqlite3 *db, const char *prefix, const char *table, sqlite3_int64 *v,
			bool *found)
{
	char key[64];

	*v = 0;
	snprintf(key, sizeof(key), "%s%s", prefix, table);
	return meta_get(db, key, v, NULL, found);
}

/* Publishes the messages of one batch and waits until JetStream has acknowledged them all. */
static int publish_batch(struct push *p, natsMsg **msgs, int n)
{
	jsPubOptions po;
	natsStatus s = NATS_OK;
	natsMsgList pending = {0};

	p->pub_errors = 0;
	for (int i = 0; i < n && s == NATS_OK; i++) {
		s = js_PublishMsgAsync(p->js, &msgs[i], NULL);
		if (s != NATS_OK)
			snprintf(p->first_error, sizeof(p->first_error), "%s",
				 lw_fleet_nats_err(s));
	}
	jsPubOptions_Init(&po);
	po.MaxWait = p->wait_ms;
	if (s == NATS_OK) {
		s = js_PublishAsyncComplete(p->js, &po);
		if (s != NATS_OK)
			snprintf(p->first_error, sizeof(p->first_error),
				 "no acknowledgement within %" PRId64 " ms (%s)", p->wait_ms,
				 natsStatus_GetText(s));
	}
	if (s != NATS_OK) {
		/* what was not acknowledged is sent again by the next pass; forget it here */
		if (js_PublishAsyncGetPendingList(&pending, p->js) == NATS_OK)
			natsMsgList_Destroy(&pending);
		return -EIO;
	}
	return p->pub_errors ? -EIO : 0;
}

/* One message with its JetStream message id: 0, or -ENOMEM (*m NULL). */
static int msg_make(natsMsg **m, const char *subject, const void *data, int len, const char *msgid)
{
	if (natsMsg_Create(m, subject, NULL, data, len) == NATS_OK &&
	    natsMsgHeader_Set(*m, "Nats-Msg-Id", msgid) == NATS_OK)
		return 0;
	natsMsg_Destroy(*m);
	*m = NULL;
	return -ENOMEM;
}

static void bind_value(struct lw_fleet_value *v, sqlite3_stmt *st, int col)
{
	memset(v, 0, sizeof(*v));
	switch (sqlite3_column_type(st, col)) {
	case SQLITE_INTEGER:
		v->type = LW_FLEET_INT;
		v->i = sqlite3_column_int64(st, col);
		break;
	case SQLITE_FLOAT:
		v->type = LW_FLEET_REAL;
		v->r = sqlite3_column_double(st, col);
		break;
	case SQLITE_TEXT:
	case SQLITE_BLOB:
		v->type = LW_FLEET_TEXT;
		v->s = (const char *)sqlite3_column_text(st, col);
		v->len = (size_t)sqlite3_column_bytes(st, col);
		break;
	default:
		v->type = LW_FLEET_NULL;
		break;
	}
}

/* SELECT <rowid>, <changed or NULL>, columns FROM table WHERE <rowid> > ?1 AND (...) */
static int prepare_select(struct push *p, const struct lw_fleet_table *t, sqlite3_stmt **st)
{
	char sql[4096];
	size_t off;

	off = (size_t)snprintf(sql, sizeof(sql), "SELECT %s, %s", t->rowid,
			       t->changed && t->changed[0] ? t->changed : "NULL");
	for (size_t i = 0; i < t->ncols; i++)
		off += (size_t)snprintf(sql + off, sizeof(sql) - off, ", \"%s\"", t->cols[i].name);
	if (!t->changed)
		off += (size_t)snprintf(sql + off, sizeof(sql) - off,
					" FROM %s WHERE %s > ?1 AND %s > ?2", t->name, t->rowid,
					t->rowid);
	else if (!t->changed[0])
		off += (size_t)snprintf(sql + off, sizeof(sql) - off, " FROM %s WHERE %s > ?1",
					t->name, t->rowid);
	else
		off += (size_t)snprintf(sql + off, sizeof(sql) - off,
					" FROM %s WHERE %s > ?1 AND (%s > ?2 OR %s >= ?3)", t->name,
					t->rowid, t->rowid, t->changed);
	snprintf(sql + off, sizeof(sql) - off, " ORDER BY %s LIMIT ?4", t->rowid);
	return sqlite3_prepare_v2(p->db, sql, -1, st, NULL);
}

static int count_left(struct push *p, const struct lw_fleet_table *t, int64_t sent)
{
	char sql[256];
	sqlite3_stmt *st;
	int rc;

	snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s WHERE %s > ?1", t->name, t->rowid);
	rc = sqlite3_prepare_v2(p->db, sql, -1, &st, NULL);
	if (rc != SQLITE_OK)
		return rc;
	sqlite3_bind_int64(st, 1, sent);
	if (sqlite3_step(st) == SQLITE_ROW)
		p->left += (uint64_t)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return SQLITE_OK;
}

/* One table: its rows in id order, a batch at a time, the progress after each batch's acks. */
static int push_table(struct push *p, unsigned ti, const struct lw_fleet_table *t)
{
	char key[64], subject[LW_FLEET_AP_MAX + 96], msgid[LW_FLEET_MSG_ID_MAX];
	sqlite3_int64 sent = 0, cursor = 0;
	double mark = 0, newmark = 0;
	bool have_mark = false, found;
	sqlite3_stmt *st = NULL, *mx = NULL;
	natsMsg **msgs = NULL;
	uint8_t *buf = NULL;
	struct lw_fleet_row row;
	sqlite3_int64 from = p->resend_from[ti], above;
	/* the progress (meta fleet_sent_<table>) is written at most once a second and at the end:
	 * one write transaction per batch cost more than reading the batch; lost progress only
	 * sends rows again, which changes nothing centrally */
	long long saved_at = lw_fleet_mono_s();
	bool dirty = false;
	int rc, ret = 0;

	rc = meta_get_int(p->db, "fleet_sent_", t->name, &sent, &found);
	/* asked to send again from a row id: the rows from there are selected as if unsent */
	if (from > sent)
		from = 0;
	above = from ? from - 1 : sent;
	if (rc == SQLITE_OK && t->changed && t->changed[0]) {
		snprintf(key, sizeof(key), "fleet_mark_%s", t->name);
		rc = meta_get(p->db, key, NULL, &mark, &have_mark);
	}
	if (rc != SQLITE_OK)
		goto sqlfail;
	/* the mark this pass leaves: the highest "changed" before it reads a row */
	if (t->changed && t->changed[0]) {
		char sql[256];

		snprintf(sql, sizeof(sql), "SELECT max(%s) FROM %s", t->changed, t->name);
		rc = sqlite3_prepare_v2(p->db, sql, -1, &mx, NULL);
		if (rc != SQLITE_OK)
			goto sqlfail;
		if (sqlite3_step(mx) == SQLITE_ROW && sqlite3_column_type(mx, 0) != SQLITE_NULL)
			newmark = sqlite3_column_double(mx, 0);
		else
			newmark = mark;
		sqlite3_finalize(mx);
	}
	rc = prepare_select(p, t, &st);
	if (rc != SQLITE_OK)
		goto sqlfail;
	snprintf(subject, sizeof(subject), "%s.%s.%s", p->prefix, p->ap, t->name);
	msgs = calloc((size_t)p->batch, sizeof(*msgs));
	buf = malloc(MSG_MAX);
	if (!msgs || !buf) {
		ret = -ENOMEM;
		goto out;
	}
	while (!stop) {
		sqlite3_int64 last = cursor;
		int n = 0;

		sqlite3_bind_int64(st, 1, cursor);
		sqlite3_bind_int64(st, 2, above);
		if (have_mark)
			sqlite3_bind_double(st, 3, mark - p->slack);
		else
			sqlite3_bind_null(st, 3);
		sqlite3_bind_int(st, 4, p->batch);
		p->batch_n = 0;
		while (n < p->batch && (rc = sqlite3_step(st)) == SQLITE_ROW) {
			uint64_t rkey, h, old;
			bool again;
			int len;

			memset(&row, 0, sizeof(row));
			row.table = ti;
			row.id = sqlite3_column_int64(st, 0);
			row.version = t->changed ? p->pass : 0;
			row.n = t->ncols;
			for (size_t i = 0; i < t->ncols; i++)
				bind_value(&row.v[i], st, (int)i + 2);
			last = row.id;
			/* sent before and asked for again: never skipped, and a message id of its own */
			again = from && row.id <= sent;
			if (t->changed) {
				/* an updated table's row: not again when it is what was sent */
				row.version = 0;
				len = lw_fleet_row_encode(&row, buf, MSG_MAX);
				rkey = (uint64_t)ti << 56 |
				       ((uint64_t)row.id & 0xffffffffffffffULL);
				h = len > 0 ? hash_bytes(buf, (size_t)len) : 0;
				if (!again && seen_get(&p->seen, rkey, &old) && old == h) {
					if (seen_put(&p->seen_next, rkey, h) < 0) {
						ret = -ENOMEM;
						break;
					}
					continue;
				}
				p->batch_keys[p->batch_n] = rkey;
				p->batch_hashes[p->batch_n++] = h;
				row.version = p->pass;
			}
			len = lw_fleet_row_encode(&row, buf, MSG_MAX);
			lw_fleet_msg_id(msgid, sizeof(msgid), p->ap, t->name, row.id,
					again && !t->changed ? p->pass : row.version);
			if (len < 0) {
				/* a row too large for a message: said, and skipped, not retried; the
				 * audits leave such rows out from now on (fleet_toolarge_<table>) */
				fprintf(stderr,
					PROG ": %s row %lld is too large to send; skipped\n",
					t->name, (long long)row.id);
				rc = meta_set_int(p->db, "fleet_toolarge_", t->name, 1);
				if (rc != SQLITE_OK)
					goto sqlfail;
				continue;
			}
			ret = msg_make(&msgs[n], subject, buf, len, msgid);
			if (ret < 0)
				break;
			n++;
		}
		if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
			for (int i = 0; i < n; i++)
				natsMsg_Destroy(msgs[i]);
			goto sqlfail;
		}
		sqlite3_reset(st);
		if (ret < 0 || last == cursor) {
			for (int i = 0; i < n; i++)
				natsMsg_Destroy(msgs[i]);
			break;
		}
		ret = publish_batch(p, msgs, n);
		for (int i = 0; i < n; i++) {
			natsMsg_Destroy(msgs[i]);
			msgs[i] = NULL;
		}
		if (ret < 0)
			break;
		for (int i = 0; i < p->batch_n && ret == 0; i++)
			ret = seen_put(&p->seen_next, p->batch_keys[i], p->batch_hashes[i]);
		if (ret < 0)
			break;
		p->sent[ti] += (uint64_t)n;
		cursor = last;
		if (last > sent) {
			sent = last;
			dirty = true;
		}
		if (dirty && lw_fleet_mono_s() > saved_at) {
			rc = meta_set_int(p->db, "fleet_sent_", t->name, sent);
			if (rc != SQLITE_OK)
				goto sqlfail;
			dirty = false;
			saved_at = lw_fleet_mono_s();
		}
	}
	if (dirty) {
		rc = meta_set_int(p->db, "fleet_sent_", t->name, sent);
		if (rc != SQLITE_OK)
			goto sqlfail;
		dirty = false;
	}
	if (ret == 0 && !stop && from) {
		fprintf(stderr,
			PROG ": %s sent again from row id %lld, as the collector's audit asked\n",
			t->name, (long long)from);
		lw_resend_done(&p->resend, p->ap, ti);
		p->resend_from[ti] = 0;
	}
	if (ret == 0 && !stop && t->changed && t->changed[0]) {
		char val[64];

		snprintf(key, sizeof(key), "fleet_mark_%s", t->name);
		snprintf(val, sizeof(val), "%.17g", newmark);
		rc = meta_set(p->db, key, val);
		if (rc != SQLITE_OK)
			goto sqlfail;
	}
	goto out;

sqlfail:
	fprintf(stderr, PROG ": %s: %s\n", t->name, sqlite3_errmsg(p->db));
	ret = -EIO;
out:
	if (dirty) /* a read failed after rows were acknowledged: their progress, if it can be */
		meta_set_int(p->db, "fleet_sent_", t->name, sent);
	count_left(p, t, sent);
	sqlite3_finalize(st);
	free(msgs);
	free(buf);
	return ret;
}

static int check_db(sqlite3 *db, const char *path)
{
	sqlite3_int64 app = 0, ver = 0;
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(db, "PRAGMA application_id", -1, &st, NULL) == SQLITE_OK) {
		if (sqlite3_step(st) == SQLITE_ROW)
			app = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
	}
	if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK) {
		if (sqlite3_step(st) == SQLITE_ROW)
			ver = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
	}
	if (app != LW_STORE_APPLICATION_ID) {
		fprintf(stderr, PROG ": %s is not a leakwatch database\n", path);
		return -ENOTSUP;
	}
	if (ver != LW_STORE_SCHEMA_VERSION) {
		fprintf(stderr,
			PROG ": %s has schema version %lld; this leakwatch-push sends version %d "
			     "(open it with this leakwatchd first)\n",
			path, (long long)ver, LW_STORE_SCHEMA_VERSION);
		return -EPROTO;
	}
	return 0;
}

/* Appends to an SQL text of size bytes at *off; once it does not fit, *off stays at size. */
/*
 * In WAL mode, the progress written after each batch's acks is not synced to disk: a power cut
 * may lose the last of it, and those rows are sent again, which JetStream's duplicate window
 * and the collector's unique keys make harmless.  That spares an fdatasync per batch (CPU, and
 * flash wear on a router).  A rollback journal (TRUNCATE, on jffs2) keeps its full syncs.
 */
static void wal_normal(sqlite3 *db)
{
	sqlite3_stmt *st;
	bool wal = false;

	if (sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, NULL) != SQLITE_OK)
		return;
	if (sqlite3_step(st) == SQLITE_ROW)
		wal = sqlite3_column_text(st, 0) &&
		      strcmp((const char *)sqlite3_column_text(st, 0), "wal") == 0;
	sqlite3_finalize(st);
	if (wal)
		sqlite3_exec(db, "PRAGMA synchronous = NORMAL", NULL, NULL, NULL);
}

static void sql_add(char *sql, size_t size, size_t *off, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void sql_add(char *sql, size_t size, size_t *off, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*off >= size)
		return;
	va_start(ap, fmt);
	n = vsnprintf(sql + *off, size - *off, fmt, ap);
	va_end(ap);
	*off = n < 0 || (size_t)n >= size - *off ? size : *off + (size_t)n;
}

/*
 * The encoded length of a table's row (lw_fleet_row_encode) as an SQLite expression, appended
 * to sql: 20 bytes of head, then per value a tag and 8 bytes, or 4 and the text's bytes.
 */
static void row_size_sql(char *sql, size_t size, size_t *off, const struct lw_fleet_table *t)
{
	sql_add(sql, size, off, "20");
	for (size_t i = 0; i < t->ncols; i++)
		sql_add(sql, size, off,
			" + CASE typeof(\"%s\") WHEN 'null' THEN 1 WHEN 'integer' THEN 9 WHEN "
			"'real' "
			"THEN 9 ELSE 5 + length(CAST(\"%s\" AS BLOB)) END",
			t->cols[i].name, t->cols[i].name);
}

/*
 * The audit (resend.h, lib/fleet/audit.h): per table, per window of row ids, the rows held
 * that JetStream has acknowledged (row id at most fleet_sent), without the rows too large to
 * send when the table ever had one.  Published like rows, each batch acknowledged.
 */
static int push_audit(struct push *p)
{
	size_t nt;
	const struct lw_fleet_table *t = lw_fleet_tables(&nt);
	char sql[12288], subject[LW_FLEET_AP_MAX + 96], msgid[LW_FLEET_MSG_ID_MAX + 32];
	natsMsg **msgs = calloc((size_t)p->batch, sizeof(*msgs));
	unsigned tables = 0;
	uint64_t windows = 0;
	int n = 0, ret = 0;

	if (!msgs)
		return -ENOMEM;
	snprintf(subject, sizeof(subject), "%s.%s.audit", p->prefix, p->ap);
	for (unsigned ti = 0; ti < nt && ret == 0 && !stop; ti++) {
		sqlite3_int64 sent = 0, toolarge = 0;
		bool found, big;
		sqlite3_stmt *st;
		size_t off;
		int rc;

		rc = meta_get_int(p->db, "fleet_sent_", t[ti].name, &sent, &found);
		if (rc == SQLITE_OK)
			rc = meta_get_int(p->db, "fleet_toolarge_", t[ti].name, &toolarge, &big);
		if (rc != SQLITE_OK) {
			ret = -EIO;
			break;
		}
		if (sent < 1)
			continue;
		/* row ids below 1 (only written by hand) are in no window */
		off = 0;
		sql_add(sql, sizeof(sql), &off,
			"SELECT %s / %d, min(%s), max(%s), count(*) FROM %s WHERE %s >= 1 AND "
			"%s <= ?1",
			t[ti].rowid, LW_FLEET_AUDIT_WINDOW, t[ti].rowid, t[ti].rowid, t[ti].name,
			t[ti].rowid, t[ti].rowid);
		if (big && toolarge) {
			sql_add(sql, sizeof(sql), &off, " AND ");
			row_size_sql(sql, sizeof(sql), &off, &t[ti]);
			sql_add(sql, sizeof(sql), &off, " <= %d", MSG_MAX);
		}
		sql_add(sql, sizeof(sql), &off, " GROUP BY 1 ORDER BY 1");
		if (off >= sizeof(sql)) {
			fprintf(stderr, PROG ": audit of %s: the query is too long\n", t[ti].name);
			ret = -EIO;
			break;
		}
		rc = sqlite3_prepare_v2(p->db, sql, -1, &st, NULL);
		if (rc != SQLITE_OK) {
			fprintf(stderr, PROG ": audit of %s: %s\n", t[ti].name,
				sqlite3_errmsg(p->db));
			ret = -EIO;
			break;
		}
		sqlite3_bind_int64(st, 1, sent);
		tables++;
		while (ret == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
			struct lw_fleet_audit a = {.table = ti,
						   .lo = sqlite3_column_int64(st, 1),
						   .hi = sqlite3_column_int64(st, 2),
						   .count = (uint64_t)sqlite3_column_int64(st, 3)};
			uint8_t buf[LW_FLEET_AUDIT_LEN];
			int len = lw_fleet_audit_encode(&a, buf, sizeof(buf));

			if (len < 0)
				continue;
			snprintf(msgid, sizeof(msgid), "%s.audit.%s.%lld.%" PRIu64, p->ap,
				 t[ti].name, (long long)a.lo, p->pass);
			ret = msg_make(&msgs[n], subject, buf, len, msgid);
			if (ret < 0)
				break;
			windows++;
			if (++n == p->batch) {
				ret = publish_batch(p, msgs, n);
				for (int i = 0; i < n; i++) {
					natsMsg_Destroy(msgs[i]);
					msgs[i] = NULL;
				}
				n = 0;
			}
		}
		if (ret == 0 && rc != SQLITE_DONE)
			ret = -EIO;
		if (ret == -EIO && !p->first_error[0])
			fprintf(stderr, PROG ": audit of %s: %s\n", t[ti].name,
				sqlite3_errmsg(p->db));
		sqlite3_finalize(st);
	}
	if (ret == 0 && n)
		ret = publish_batch(p, msgs, n);
	for (int i = 0; i < n; i++)
		natsMsg_Destroy(msgs[i]);
	free(msgs);
	if (ret == 0)
		fprintf(stderr, PROG ": audit: %" PRIu64 " windows of %u tables acknowledged\n",
			windows, tables);
	return ret;
}

/* One pass over every table; 0 when everything there was at its start is acknowledged. */
/*
 * The rows the daemon's size cap deleted before this access point sent them (lib/store/prune.c
 * counts them in meta fleet_capped_<table>): they never reach the collector.  Said when the
 * count grows, per table.
 */
static void note_capped(struct push *p)
{
	size_t n;
	const struct lw_fleet_table *t = lw_fleet_tables(&n);
	uint64_t all = 0;
	char what[512];
	size_t off = 0;

	what[0] = 0;
	for (size_t i = 0; i < n; i++) {
		sqlite3_int64 v;
		bool found;

		if (meta_get_int(p->db, "fleet_capped_", t[i].name, &v, &found) != SQLITE_OK ||
		    v <= 0)
			continue;
		all += (uint64_t)v;
		if (off < sizeof(what))
			off += (size_t)snprintf(what + off, sizeof(what) - off, "%s%s %lld",
						off ? ", " : "", t[i].name, (long long)v);
	}
	p->capped = all;
	if (all > p->capped_said) {
		fprintf(stderr,
			PROG ": the database's size cap (max_db_mb) deleted rows before they were "
			     "sent; they never reach the collector (%s; %" PRIu64 " in all)\n",
			what, all);
		p->capped_said = all;
	}
}

static int push_pass(struct push *p)
{
	size_t n;
	const struct lw_fleet_table *t = lw_fleet_tables(&n);
	sqlite3_int64 pass = 0;
	bool found;
	unsigned i;
	int ret = 0;

	p->left = 0;
	if (meta_get(p->db, "fleet_pass", &pass, NULL, &found) != SQLITE_OK ||
	    meta_set_int(p->db, "fleet_pass", "", pass + 1) != SQLITE_OK) {
		fprintf(stderr, PROG ": cannot record the pass: %s\n", sqlite3_errmsg(p->db));
		return -EIO;
	}
	p->pass = (uint64_t)pass + 1;
	p->dups = 0;
	/* the collector answers an audit with requests: read while one may come */
	if (p->passes++ == 0 || (!p->last_failed && lw_fleet_mono_s() < p->resend_until &&
				 lw_fleet_mono_s() >= p->resend_next)) {
		lw_resend_read(&p->resend, p->ap, p->resend_from, n);
		p->resend_next = lw_fleet_mono_s() + RESEND_EVERY_S;
	}
	for (i = 0; i < n && ret == 0; i++)
		ret = push_table(p, i, &t[i]);
	/* a pass that stopped early: the rows left are those of the tables it did not reach too */
	for (; i < n; i++) {
		sqlite3_int64 sent;

		if (meta_get_int(p->db, "fleet_sent_", t[i].name, &sent, &found) == SQLITE_OK)
			count_left(p, &t[i], sent);
	}
	/*
	 * A database's first pass sends rows never sent before: copies mean that another database
	 * published under this ap_id within the duplicate window, and its rows hold these keys
	 * centrally (README "Many APs": one database per ap_id)
	 */
	if (pass == 0 && p->dups)
		fprintf(stderr,
			PROG ": JetStream had already seen %" PRIu64
			     " of the rows this database sent "
			     "for the first time, under the same message ids: another database has "
			     "published as access point %s lately; give this one an ap_id of its "
			     "own\n",
			p->dups, p->ap);
	note_capped(p);
	if (ret == 0 && !stop && (p->passes == 1 || lw_fleet_mono_s() >= p->audit_at)) {
		ret = push_audit(p);
		if (ret == 0) {
			p->audit_at = lw_fleet_mono_s() + p->audit_interval;
			p->resend_until = lw_fleet_mono_s() + RESEND_READ_S;
		}
	}
	p->last_failed = ret < 0;
	/* a complete pass: what it met is what the next one compares with */
	if (ret == 0 && !stop) {
		seen_clear(&p->seen);
		p->seen = p->seen_next;
		memset(&p->seen_next, 0, sizeof(p->seen_next));
	} else {
		seen_clear(&p->seen_next);
	}
	return ret;
}

static void report(const struct push *p, double secs)
{
	size_t n;
	const struct lw_fleet_table *t = lw_fleet_tables(&n);
	uint64_t total = 0;

	fprintf(stderr, PROG ": ap %s:", p->ap);
	for (size_t i = 0; i < n; i++) {
		fprintf(stderr, " %s %" PRIu64, t[i].name, p->sent[i]);
		total += p->sent[i];
	}
	fprintf(stderr, "; %" PRIu64 " messages acknowledged in %.2f s, %" PRIu64 " rows left",
		total, secs, p->left);
	if (p->capped)
		fprintf(stderr, ", %" PRIu64 " deleted by the size cap unsent", p->capped);
	fputc('\n', stderr);
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: " PROG " --db FILE --ap ID --servers URLS [options]\n"
		"       " PROG " --config FILE [--follow] [options]\n"
		"  --config FILE      leakwatch.conf: [fleet] (enabled = yes) and [database] path\n"
		"                     give what the options below do not\n"
		"  --follow           keep publishing, a pass every [fleet] interval seconds;\n"
		"                     with [fleet] flags = yes, apply the central flags between\n"
		"                     passes (the KV bucket [fleet] flags_bucket)\n"
		"  --flags-resync S   with --follow and flags: read the whole bucket again every\n"
		"                     S seconds (default 3600; 0: never)\n"
		"  --db FILE          the access point's leakwatch database (the outbox)\n"
		"  --ap ID            this access point's id ([A-Za-z0-9_-], at most 64)\n"
		"  --servers URLS     nats://host:port[,nats://host:port...]\n"
		"  --prefix P         subject prefix (default leakwatch): P.<ap>.<table>\n"
		"  --creds FILE       NATS credentials (JWT and seed)\n"
		"  --nkey PUB --nkey-seed FILE   NATS nkey user\n"
		"  --ca FILE          TLS: the servers' CA\n"
		"  --batch N          messages per acknowledged batch (default 1000)\n"
		"  --wait-ms MS       how long to wait for a batch's acknowledgements (5000)\n"
		"  --loop SECONDS     keep publishing, a pass every SECONDS (default: one pass)\n"
		"  --slack SECONDS    an updated row is looked at while its time is at most this\n"
		"                     far before the newest one sent (default from --config's\n"
		"                     flow_write_interval + idle timeouts + 60, else 420)\n"
		"  --audit-interval S seconds between audits of every table after a complete\n"
		"                     pass (default 3600; 0: after every pass); one pass: always\n"
		"  --resend-bucket B  the KV bucket of the collector's requests to send rows\n"
		"                     again (default " LW_FLEET_RESEND_BUCKET_DEFAULT ")\n"
		"Exit 0 when every row the database had is acknowledged; 69 when the servers\n"
		"cannot be reached or do not acknowledge (the rows left are said; run again).\n");
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		LW_FLEET_CONN_LONGOPTS,
		{"db", required_argument, NULL, 'd'},
		{"ap", required_argument, NULL, 'a'},
		{"prefix", required_argument, NULL, 'p'},
		{"batch", required_argument, NULL, 'b'},
		{"wait-ms", required_argument, NULL, 'w'},
		{"loop", required_argument, NULL, 'l'},
		{"config", required_argument, NULL, 'f'},
		{"follow", no_argument, NULL, 'F'},
		{"slack", required_argument, NULL, 'L'},
		{"audit-interval", required_argument, NULL, 'A'},
		{"resend-bucket", required_argument, NULL, 'R'},
		{"flags-resync", required_argument, NULL, 'S'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct lw_fleet_conn conn = {.name = PROG};
	struct push p = {.prefix = "leakwatch",
			 .batch = 1000,
			 .wait_ms = 5000,
			 .slack = -1,
			 .audit_interval = AUDIT_INTERVAL_DEFAULT_S};
	const char *resend_bucket = LW_FLEET_RESEND_BUCKET_DEFAULT;
	long flags_resync = LW_FLAGS_RESYNC_DEFAULT_S;
	const char *dbpath = NULL;
	natsConnection *nc = NULL;
	jsOptions jo;
	struct timespec a, b;
	long loop = 0;
	const char *config = NULL;
	bool follow = false, prefix_set = false, batch_set = false;
	static struct lw_config cfg;
	struct lw_flags_sub flags = {0};
	bool use_flags = false;
	char cerr[512];
	int ch, ret, code;

	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'd':
			dbpath = optarg;
			break;
		case 'a':
			p.ap = optarg;
			break;
		case 'p':
			p.prefix = optarg;
			prefix_set = true;
			break;
		case 'b':
			p.batch = atoi(optarg);
			batch_set = true;
			break;
		case 'w':
			p.wait_ms = atol(optarg);
			break;
		case 'l':
			loop = atol(optarg);
			break;
		case 'f':
			config = optarg;
			break;
		case 'F':
			follow = true;
			break;
		case 'L':
			p.slack = atof(optarg);
			break;
		case 'A':
			p.audit_interval = atol(optarg);
			break;
		case 'R':
			resend_bucket = optarg;
			break;
		case 'S':
			flags_resync = atol(optarg);
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
	if (config) {
		/* the options given win over the file's keys */
		lw_config_defaults(&cfg);
		if (lw_config_load(&cfg, config, cerr, sizeof(cerr)) < 0) {
			fprintf(stderr, PROG ": %s\n", cerr);
			code = LW_FLEET_EX_CONFIG;
			goto out;
		}
		if (!cfg.fleet_enabled) {
			fprintf(stderr, PROG ": %s: [fleet] enabled = no\n", config);
			code = LW_FLEET_EX_CONFIG;
			goto out;
		}
		dbpath = dbpath ? dbpath : cfg.db_path;
		p.ap = p.ap ? p.ap : cfg.fleet_ap_id;
		conn.servers = conn.servers ? conn.servers : cfg.fleet_servers;
		if (!prefix_set)
			p.prefix = cfg.fleet_subject_prefix;
		conn.creds = conn.creds ? conn.creds
					: (cfg.fleet_creds_file[0] ? cfg.fleet_creds_file : NULL);
		conn.nkey_pub =
			conn.nkey_pub ? conn.nkey_pub : (cfg.fleet_nkey[0] ? cfg.fleet_nkey : NULL);
		conn.nkey_seed =
			conn.nkey_seed
				? conn.nkey_seed
				: (cfg.fleet_nkey_seed_file[0] ? cfg.fleet_nkey_seed_file : NULL);
		conn.ca = conn.ca ? conn.ca : (cfg.fleet_ca_file[0] ? cfg.fleet_ca_file : NULL);
		if (!batch_set)
			p.batch = (int)cfg.fleet_batch;
		if (follow && !loop)
			loop = cfg.fleet_interval;
		use_flags = follow && cfg.fleet_flags;
		/* a flow is written at most flow_write_interval after its last packet, or when it
		 * goes idle: its update's last_seen is at most that long before the newest time */
		if (p.slack < 0)
			p.slack = (double)(cfg.flow_write_interval +
					   (cfg.tcp_idle > cfg.udp_idle ? cfg.tcp_idle
									: cfg.udp_idle) +
					   60);
	} else if (follow) {
		fprintf(stderr, PROG ": --follow takes its interval from --config\n");
		code = LW_FLEET_EX_USAGE;
		goto out;
	}
	if (!dbpath || !p.ap || !conn.servers || optind != argc) {
		usage(stderr);
		code = LW_FLEET_EX_USAGE;
		goto out;
	}
	if (!lw_fleet_ap_valid(p.ap)) {
		fprintf(stderr, PROG ": --ap %s: use 1 to 64 of A-Z a-z 0-9 _ -\n", p.ap);
		code = LW_FLEET_EX_USAGE;
		goto out;
	}
	if (p.slack < 0)
		p.slack = SLACK_DEFAULT_S;
	p.batch_keys = calloc(BATCH_MAX, sizeof(*p.batch_keys));
	p.batch_hashes = calloc(BATCH_MAX, sizeof(*p.batch_hashes));
	if (!p.batch_keys || !p.batch_hashes) {
		fprintf(stderr, PROG ": out of memory\n");
		code = 1;
		goto out;
	}
	if (p.batch < 1 || p.batch > BATCH_MAX || p.wait_ms < 100 || loop < 0 ||
	    !lw_fleet_ap_valid(p.prefix) || !conn.nkey_pub != !conn.nkey_seed ||
	    p.audit_interval < 0 || p.audit_interval > 30 * 86400 || flags_resync < 0 ||
	    flags_resync > 30 * 86400 || !lw_fleet_ap_valid(resend_bucket)) {
		fprintf(stderr,
			PROG ": --batch 1..%d, --wait-ms >= 100, --loop >= 0, a --prefix "
			     "and a --resend-bucket of A-Z a-z 0-9 _ -, --nkey with --nkey-seed, "
			     "--audit-interval and --flags-resync 0..%d\n",
			BATCH_MAX, 30 * 86400);
		code = LW_FLEET_EX_USAGE;
		goto out;
	}
	if (sqlite3_open_v2(dbpath, &p.db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
		fprintf(stderr, PROG ": cannot open %s: %s\n", dbpath, sqlite3_errmsg(p.db));
		code = LW_FLEET_EX_DATAERR;
		goto out;
	}
	/* the daemon's writer holds the database for at most a commit interval */
	sqlite3_busy_timeout(p.db, 10000);
	if (check_db(p.db, dbpath) < 0) {
		code = LW_FLEET_EX_DATAERR;
		goto out;
	}
	wal_normal(p.db);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	nc = lw_fleet_connect(&conn, PROG);
	if (!nc) {
		code = LW_FLEET_EX_UNAVAILABLE;
		goto out;
	}
	jsOptions_Init(&jo);
	jo.PublishAsync.MaxPending = p.batch;
	jo.PublishAsync.AckHandler = on_pub_ack;
	jo.PublishAsync.AckHandlerClosure = &p;
	if (natsConnection_JetStream(&p.js, nc, &jo) != NATS_OK) {
		fprintf(stderr, PROG ": JetStream: %s\n", nats_GetLastError(NULL));
		code = LW_FLEET_EX_UNAVAILABLE;
		goto out;
	}
	if (use_flags)
		lw_flags_sub_init(&flags, p.db, p.js, cfg.fleet_flags_bucket, flags_resync, PROG);
	if (lw_resend_init(&p.resend, nc, resend_bucket, PROG) < 0) {
		fprintf(stderr, PROG ": JetStream: %s\n", nats_GetLastError(NULL));
		code = LW_FLEET_EX_UNAVAILABLE;
		goto out;
	}
	for (;;) {
		/* the flags first: a long pass (hours of rows to send) does not hold them back */
		if (use_flags)
			lw_flags_sub_poll(&flags, 200);
		clock_gettime(CLOCK_MONOTONIC, &a);
		ret = push_pass(&p);
		clock_gettime(CLOCK_MONOTONIC, &b);
		if (ret < 0 && p.first_error[0])
			fprintf(stderr, PROG ": not acknowledged: %s\n", p.first_error);
		report(&p, (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9);
		if (!loop || stop)
			break;
		memset(p.sent, 0, sizeof(p.sent));
		p.first_error[0] = 0;
		for (long s = 0; s < loop && !stop; s++) {
			if (use_flags)
				lw_flags_sub_poll(&flags, 1000);
			else
				sleep(1);
		}
		if (stop)
			break;
	}
	/* --follow stopped by a signal (systemctl stop, even while NATS is away) is a clean stop:
	 * what is not acknowledged waits in the database for the next start */
	code = ret < 0 && !(loop && stop) ? LW_FLEET_EX_UNAVAILABLE : 0;
out:
	if (use_flags)
		lw_flags_sub_close(&flags);
	lw_resend_close(&p.resend);
	if (p.js)
		jsCtx_Destroy(p.js);
	if (nc)
		natsConnection_Destroy(nc);
	sqlite3_close(p.db); /* (NULL: nothing) */
	nats_Close();
	if (config)
		lw_config_release(&cfg);
	seen_clear(&p.seen);
	seen_clear(&p.seen_next);
	free(p.batch_keys);
	free(p.batch_hashes);
	return code;
}
