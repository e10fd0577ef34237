/* SPDX-License-Identifier: MIT */
/* The access point's side of the requests to send rows again (resend.h). */
#include "resend.h"

#include "conn.h"
#include "fleet/audit.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* ms a read of the bucket may take */
#define READ_WAIT_MS 2000

int lw_resend_init(struct lw_resend *r, natsConnection *nc, const char *bucket, const char *prog)
{
	jsOptions jo;

	memset(r, 0, sizeof(*r));
	r->bucket = bucket;
	r->prog = prog;
	jsOptions_Init(&jo);
	jo.Wait = READ_WAIT_MS;
	if (natsConnection_JetStream(&r->js, nc, &jo) != NATS_OK) {
		r->js = NULL;
		return -ENOMEM;
	}
	return 0;
}

static bool bind_bucket(struct lw_resend *r)
{
	natsStatus s;

	if (r->kv)
		return true;
	if (!r->js)
		return false;
	s = js_KeyValue(&r->kv, r->js, r->bucket);
	if (s == NATS_OK) {
		r->err_logged = false;
		return true;
	}
	if (!r->err_logged)
		fprintf(stderr,
			"%s: the bucket %s of requests to send rows again: %s (leakwatch-collect "
			"--init makes it); audits are sent, requests not read until it is there\n",
			r->prog, r->bucket, lw_fleet_nats_err(s));
	r->err_logged = true;
	r->kv = NULL;
	return false;
}

void lw_resend_read(struct lw_resend *r, const char *ap, int64_t *from, size_t n)
{
	char key[LW_FLEET_RESEND_KEY_MAX];

	memset(from, 0, n * sizeof(*from));
	if (!bind_bucket(r))
		return;
	for (size_t t = 0; t < n; t++) {
		kvEntry *e = NULL;
		natsStatus s;

		if (lw_fleet_resend_key(key, sizeof(key), ap, (unsigned)t) < 0)
			continue;
		s = kvStore_Get(&e, r->kv, key);
		if (s == NATS_NOT_FOUND)
			continue;
		if (s != NATS_OK) {
			if (!r->err_logged)
				fprintf(stderr,
					"%s: cannot read %s from %s: %s (said once; tried again "
					"later)\n",
					r->prog, key, r->bucket, lw_fleet_nats_err(s));
			r->err_logged = true;
			return;
		}
		r->err_logged = false;
		if (lw_fleet_resend_parse(kvEntry_Value(e), (size_t)kvEntry_ValueLen(e), &from[t]) <
		    0) {
			/* not a request this side made sense of: dropped, the next audit asks again */
			fprintf(stderr, "%s: %s in %s is not a row id; deleted\n", r->prog, key,
				r->bucket);
			kvStore_Delete(r->kv, key);
		}
		kvEntry_Destroy(e);
	}
}

void lw_resend_done(struct lw_resend *r, const char *ap, unsigned table)
{
	char key[LW_FLEET_RESEND_KEY_MAX];
	natsStatus s;

	if (!r->kv || lw_fleet_resend_key(key, sizeof(key), ap, table) < 0)
		return;
	s = kvStore_Delete(r->kv, key);
	if (s != NATS_OK)
		fprintf(stderr, "%s: cannot delete %s from %s: %s (the rows are sent again)\n",
			r->prog, key, r->bucket, lw_fleet_nats_err(s));
}

void lw_resend_close(struct lw_resend *r)
{
	kvStore_Destroy(r->kv);
	jsCtx_Destroy(r->js);
	r->kv = NULL;
	r->js = NULL;
}
