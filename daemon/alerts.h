/* SPDX-License-Identifier: MIT */
/*
 * Alerts: tell the owner when something new happens ([alerts] in the configuration).
 *
 * Two halves, apart on purpose:
 *
 *  - the policy (struct lw_alerts, this file's first half) runs beside the pipeline, on its
 *    thread: it decides what is new (a device never seen, an identifier kind leaving a device
 *    for a domain for the first time — both remembered across restarts by reading the database
 *    at start, in bounded memory), logs one rate-limited line for each, keeps each device's
 *    count of leaks today, and hands events on as plain values (struct lw_alert_event);
 *
 *  - the delivery (struct lw_notify, the second half) runs the exec hook and talks MQTT, each
 *    from its own thread with its own bounded queue, so that a slow hook or an absent broker
 *    never holds up the capture.  lw_notify_push() never blocks: an event that finds its queue
 *    full is dropped and counted.
 *
 * Where each lives in the live daemon, split into a privileged process and an unprivileged
 * parser that may not open AF_INET or AF_UNIX sockets nor start programs (priv.c): the
 * delivery runs in a process of its own (leakwatchd-notify, no capability; MQTT reconnects
 * open new sockets, the hook is a new process), forked before the parser and kept out of the
 * privileged one (no broker's input parsed there, no thread in it); the policy goes with the
 * pipeline into the parser; what passes between them is struct lw_alert_event by value (fixed
 * size, no pointers): the parser's lw_privc_alert() sends it over a socket pair, and the
 * delivery's end checks it and calls lw_notify_push().
 */
#ifndef LW_DAEMON_ALERTS_H
#define LW_DAEMON_ALERTS_H

#include "alert/event.h"
#include "config.h"
#include "pipeline.h"

/* --- delivery ----------------------------------------------------------------------------- */

struct lw_notify;

/*
 * Starts the sinks the configuration names (exec hook, MQTT).  *out is NULL when none is.
 * -EINVAL: a configuration error (err says which; exit 78), e.g. a hook that is not an
 * executable file, TLS files that cannot be read, MQTT in a build without it.
 */
int lw_notify_start(const struct lw_config *cfg, struct lw_notify **out, char *err, size_t errlen);
/* Queues e for every sink; never blocks. n may be NULL. */
void lw_notify_push(struct lw_notify *n, const struct lw_alert_event *e);
/*
 * Delivers what is queued within a bounded time (a hook's timeout, a few seconds for MQTT),
 * drops and counts the rest, says what was dropped, and stops.  NULL-safe.
 */
void lw_notify_stop(struct lw_notify *n);

/* --- policy ------------------------------------------------------------------------------- */

struct lw_alerts;

/*
 * Reads what is already known from the database at db_path (devices, the (device, domain,
 * kind) of every leak, today's leaks per device); events go to deliver(e, user_data), which may
 * be NULL.  log_lines: the log lines too (with [alerts] log; the live daemon's, not -r's).  -ENOMEM, or 0 (a database that cannot be read is logged and
 * treated as empty).
 */
int lw_alerts_new(const struct lw_config *cfg, const char *db_path, bool log_lines,
		  void (*deliver)(const struct lw_alert_event *e, void *user_data), void *user_data,
		  struct lw_alerts **out);
void lw_alerts_free(struct lw_alerts *a);
/* Hooks the policy to the pipeline's device and leak rows (lw_pipeline_set_events). */
void lw_alerts_attach(struct lw_alerts *a, struct lw_pipeline *p);

/* lw_notify_push() in the shape deliver takes. */
void lw_alerts_deliver_notify(const struct lw_alert_event *e, void *user_data);

#endif
