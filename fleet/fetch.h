/* SPDX-License-Identifier: MIT */
/*
 * leakwatch-collect's fetches, one batch ahead (README "Many APs").
 *
 * A thread of its own pulls the next batch from the durable consumer while the collector
 * writes the last one into PostgreSQL and acknowledges it: the servers prepare and send a
 * batch while PostgreSQL commits one.  It fetches ahead only after a batch that brought
 * messages; after an empty fetch (nothing there for a second) or an error, the next fetch
 * starts when the collector asks for it, as it would without the thread, so an idle collector
 * holds no request and no message it has not seen.  The acknowledgements stay the collector's,
 * after COMMIT.
 */
#ifndef LW_FLEET_FETCH_H
#define LW_FLEET_FETCH_H

#include <nats/nats.h>

struct lw_fetch;

/* Starts the thread for sub (batches of batch messages, each fetch waiting at most wait_ms):
 * 0, or -ENOMEM, -EAGAIN. */
int lw_fetch_start(struct lw_fetch **f, natsSubscription *sub, int batch, int64_t wait_ms);
/*
 * The next fetch's result, as natsSubscription_Fetch returns it: its status, and the list
 * (the caller's to destroy).  Blocks until it is there.
 */
natsStatus lw_fetch_next(struct lw_fetch *f, natsMsgList *list);
/*
 * Stops the thread (waiting for a fetch in flight, at most wait_ms) and gives a batch fetched
 * but never taken back to the consumer at once (each message negatively acknowledged).
 */
void lw_fetch_stop(struct lw_fetch *f);

#endif
