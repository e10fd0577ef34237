/* SPDX-License-Identifier: MIT */
/*
 * A bounded queue of alert events between the thread that finds them and a sink's thread:
 * a push never blocks; one that finds the queue full is dropped and counted.
 */
#ifndef LW_DAEMON_EVQUEUE_H
#define LW_DAEMON_EVQUEUE_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "alert/event.h"

struct lw_evqueue {
	pthread_mutex_t lock;
	pthread_cond_t cond; /* signalled on a push and on stop */
	struct lw_alert_event *ring;
	size_t cap, head, n;
	uint64_t dropped;
	bool stop;
};

int lw_evqueue_init(struct lw_evqueue *q, size_t cap); /* -ENOMEM */
void lw_evqueue_release(struct lw_evqueue *q);
/* false: the queue was full (counted in dropped) */
bool lw_evqueue_push(struct lw_evqueue *q, const struct lw_alert_event *e);
/* With q->lock held: takes the oldest into *e; false when empty. */
bool lw_evqueue_pop_locked(struct lw_evqueue *q, struct lw_alert_event *e);

#endif
