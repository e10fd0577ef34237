/* SPDX-License-Identifier: MIT */
/*
 * Nothing lost (README "Many APs"): the audits and the requests to send rows again.
 *
 * After a complete pass, now and then (--audit-interval), leakwatch-push publishes an audit
 * of every table (lib/fleet/audit.h): per window of row ids, how many rows the access point
 * holds that JetStream has acknowledged.  leakwatch-collect counts the central rows of the same
 * window (audit-check.c); when it has fewer, it puts a request into the KV bucket
 * LEAKWATCH_RESEND: key "<ap>.<table>", value the lowest row id to send from.
 *
 * The access point's side (resend.c): before a pass, while an audit may still be answered,
 * leakwatch-push reads its own keys; a table asked for is sent again from that id in that
 * pass (with message ids JetStream has not seen), and the key is deleted once the rows are
 * acknowledged.  A request put again meanwhile may be deleted with it: the next audit finds
 * the same rows missing and asks again.
 */
#ifndef LW_FLEET_RESEND_H
#define LW_FLEET_RESEND_H

#include "fleet/audit.h"

#include <nats/nats.h>
#include <stdbool.h>
#include <stdint.h>

struct lw_resend {
	jsCtx *js; /* its own, with a short wait: a read never holds a pass up for long */
	const char *bucket;
	const char *prog;
	kvStore *kv;
	bool err_logged;
};

/* Ready to read bucket's requests over nc (nothing is contacted yet); -ENOMEM */
int lw_resend_init(struct lw_resend *r, natsConnection *nc, const char *bucket, const char *prog);
/*
 * The requests for ap: from[t] is the row id to send table t again from, 0 for none (n tables).
 * Never fails: the bucket missing or the servers away is said once (until a read works) and
 * leaves from[] zero.
 */
void lw_resend_read(struct lw_resend *r, const char *ap, int64_t *from, size_t n);
/* The request for (ap, table) is done: its key deleted (a failure is said, not fatal). */
void lw_resend_done(struct lw_resend *r, const char *ap, unsigned table);
void lw_resend_close(struct lw_resend *r);

#endif
