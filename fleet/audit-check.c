/* SPDX-License-Identifier: MIT */
/* The collector's side of the audits (audit-check.h). */
#include "audit-check.h"

#include "conn.h"
#include "fleet/row.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int bind_bucket(struct lw_audit_check *a)
{
	natsStatus s;

	if (a->kv)
		return 0;
	/* the stream's largest message: a value, or the headers of a delete */
	s = lw_fleet_kv_bucket(&a->kv, a->js, a->bucket, a->replicas, 256);
	if (s != NATS_OK) {
		if (!a->err_logged)
			fprintf(stderr,
				"%s: audits: cannot open or create the bucket %s "
				"(%d replicas): %s; trying again\n",
				a->prog, a->bucket, a->replicas, lw_fleet_nats_err(s));
		a->err_logged = true;
		a->kv = NULL;
		return -EIO;
	}
	a->err_logged = false;
	return 0;
}

int lw_audit_check_open(struct lw_audit_check *a, jsCtx *js, const char *bucket, int replicas,
			const char *prog)
{
	memset(a, 0, sizeof(*a));
	a->js = js;
	a->bucket = bucket;
	a->replicas = replicas;
	a->prog = prog;
	return bind_bucket(a);
}

/* The request to send (ap, table) again from lo, unless one from lo or lower is there. */
static void ask(struct lw_audit_check *a, const char *ap, const struct lw_fleet_audit *au)
{
	char key[LW_FLEET_RESEND_KEY_MAX], val[LW_FLEET_RESEND_VALUE_MAX];
	kvEntry *e = NULL;
	int64_t cur;
	uint64_t rev;
	natsStatus s;

	if (lw_fleet_resend_key(key, sizeof(key), ap, au->table) < 0 || bind_bucket(a) < 0)
		return;
	s = kvStore_Get(&e, a->kv, key);
	if (s == NATS_OK) {
		bool lower = lw_fleet_resend_parse(kvEntry_Value(e), (size_t)kvEntry_ValueLen(e),
						   &cur) == 0 &&
			     cur <= au->lo;

		kvEntry_Destroy(e);
		if (lower)
			return;
	} else if (s != NATS_NOT_FOUND) {
		fprintf(stderr, "%s: audits: cannot read %s: %s\n", a->prog, key,
			lw_fleet_nats_err(s));
		return;
	}
	snprintf(val, sizeof(val), "%" PRId64, au->lo);
	s = kvStore_PutString(&rev, a->kv, key, val);
	if (s != NATS_OK) {
		fprintf(stderr, "%s: audits: cannot put %s: %s\n", a->prog, key,
			lw_fleet_nats_err(s));
		return;
	}
	a->asked++;
}

int lw_audit_check(struct lw_audit_check *a, PGconn *pg, const char *ap,
		   const struct lw_fleet_audit *au)
{
	size_t nt;
	const struct lw_fleet_table *t = lw_fleet_tables(&nt);
	char sql[160], lo[24], hi[24];
	const char *params[3] = {ap, lo, hi};
	PGresult *r;
	uint64_t central;

	/* the table's name comes from lw_fleet_tables(), never from the message */
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s WHERE ap = $1 AND id BETWEEN $2 AND $3",
		 t[au->table].name);
	snprintf(lo, sizeof(lo), "%" PRId64, au->lo);
	snprintf(hi, sizeof(hi), "%" PRId64, au->hi);
	r = PQexecParams(pg, sql, 3, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1) {
		PQclear(r);
		return -EIO;
	}
	central = strtoull(PQgetvalue(r, 0, 0), NULL, 10);
	PQclear(r);
	a->audits++;
	/* more central rows than the access point holds: rows it deleted since (retention) */
	if (central >= au->count)
		return 0;
	a->gaps++;
	fprintf(stderr,
		"%s: audit: ap %s %s: %" PRIu64 " of %" PRIu64 " rows with ids %" PRId64
		" to %" PRId64 " are here; asking it to send them again\n",
		a->prog, ap, t[au->table].name, central, au->count, au->lo, au->hi);
	ask(a, ap, au);
	return 0;
}

void lw_audit_check_close(struct lw_audit_check *a)
{
	kvStore_Destroy(a->kv);
	a->kv = NULL;
}
