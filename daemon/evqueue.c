/* SPDX-License-Identifier: MIT */
#include "evqueue.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int lw_evqueue_init(struct lw_evqueue *q, size_t cap)
{
	memset(q, 0, sizeof(*q));
	q->ring = calloc(cap, sizeof(*q->ring));
	if (!q->ring)
		return -ENOMEM;
	q->cap = cap;
	pthread_mutex_init(&q->lock, NULL);
	pthread_cond_init(&q->cond, NULL);
	return 0;
}

void lw_evqueue_release(struct lw_evqueue *q)
{
	if (!q->ring)
		return;
	free(q->ring);
	q->ring = NULL;
	pthread_mutex_destroy(&q->lock);
	pthread_cond_destroy(&q->cond);
}

bool lw_evqueue_push(struct lw_evqueue *q, const struct lw_alert_event *e)
{
	bool ok;

	pthread_mutex_lock(&q->lock);
	ok = q->n < q->cap;
	if (ok) {
		q->ring[(q->head + q->n) % q->cap] = *e;
		q->n++;
		pthread_cond_signal(&q->cond);
	} else {
		q->dropped++;
	}
	pthread_mutex_unlock(&q->lock);
	return ok;
}

bool lw_evqueue_pop_locked(struct lw_evqueue *q, struct lw_alert_event *e)
{
	if (!q->n)
		return false;
	*e = q->ring[q->head];
	q->head = (q->head + 1) % q->cap;
	q->n--;
	return true;
}
