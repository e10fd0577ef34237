/* SPDX-License-Identifier: MIT */
/*
 * The collector's side of the audits (resend.h, lib/fleet/audit.h): an access point's audit of
 * one window of one table compared with the central rows of that window; fewer central rows
 * put a request to send the table again from the window's first id into the KV bucket
 * LEAKWATCH_RESEND (made by --init, like the stream).
 */
#ifndef LW_FLEET_AUDIT_CHECK_H
#define LW_FLEET_AUDIT_CHECK_H

#include "fleet/audit.h"

#include <libpq-fe.h>
#include <nats/nats.h>
#include <stdbool.h>
#include <stdint.h>

struct lw_audit_check {
	jsCtx *js;
	kvStore *kv;
	const char *bucket;
	int replicas;
	const char *prog;
	bool err_logged;
	uint64_t audits, gaps, asked;
};

/* The bucket bound, or made when it is missing: 0, or -EIO (said; tried again later). */
int lw_audit_check_open(struct lw_audit_check *a, jsCtx *js, const char *bucket, int replicas,
			const char *prog);
/*
 * One audit of ap: 0 when it is answered (the central rows are all there, or the request is
 * in the bucket, or the bucket cannot be reached: the next audit asks again), -EIO when
 * PostgreSQL did not answer (the audit is to come again).
 */
int lw_audit_check(struct lw_audit_check *a, PGconn *pg, const char *ap,
		   const struct lw_fleet_audit *au);
void lw_audit_check_close(struct lw_audit_check *a);

#endif
