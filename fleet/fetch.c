/* SPDX-License-Identifier: MIT */
#include "fetch.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

struct lw_fetch {
	natsSubscription *sub;
	int batch;
	int64_t wait_ms;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cond;
	bool want; /* a fetch asked for, not started */
	bool pending; /* a fetch asked for or running: its result will come */
	bool full; /* a result waits for lw_fetch_next */
	bool quit;
	natsStatus status;
	natsMsgList list;
};

static void give_back(natsMsgList *list)
{
	for (int i = 0; i < list->Count; i++)
		if (list->Msgs[i])
			natsMsg_Nak(list->Msgs[i], NULL);
	natsMsgList_Destroy(list);
}

static void *run(void *arg)
{
	struct lw_fetch *f = arg;

	pthread_mutex_lock(&f->mu);
	for (;;) {
		natsMsgList list = {0};
		natsStatus s;

		while (!f->want && !f->quit)
			pthread_cond_wait(&f->cond, &f->mu);
		if (f->quit)
			break;
		f->want = false;
		pthread_mutex_unlock(&f->mu);
		s = natsSubscription_Fetch(&list, f->sub, f->batch, f->wait_ms, NULL);
		pthread_mutex_lock(&f->mu);
		while (f->full && !f->quit)
			pthread_cond_wait(&f->cond, &f->mu);
		if (f->quit) {
			give_back(&list);
			break;
		}
		f->status = s;
		f->list = list;
		f->full = true;
		/* a batch came: the next is likely there too, fetch it while this one is written */
		f->pending = f->want = s == NATS_OK && list.Count > 0;
		pthread_cond_broadcast(&f->cond);
	}
	pthread_mutex_unlock(&f->mu);
	return NULL;
}

int lw_fetch_start(struct lw_fetch **fp, natsSubscription *sub, int batch, int64_t wait_ms)
{
	struct lw_fetch *f = calloc(1, sizeof(*f));

	if (!f)
		return -ENOMEM;
	f->sub = sub;
	f->batch = batch;
	f->wait_ms = wait_ms;
	pthread_mutex_init(&f->mu, NULL);
	pthread_cond_init(&f->cond, NULL);
	if (pthread_create(&f->thread, NULL, run, f) != 0) {
		pthread_cond_destroy(&f->cond);
		pthread_mutex_destroy(&f->mu);
		free(f);
		return -EAGAIN;
	}
	*fp = f;
	return 0;
}

natsStatus lw_fetch_next(struct lw_fetch *f, natsMsgList *list)
{
	natsStatus s;

	pthread_mutex_lock(&f->mu);
	if (!f->full && !f->pending) {
		f->pending = f->want = true;
		pthread_cond_broadcast(&f->cond);
	}
	while (!f->full)
		pthread_cond_wait(&f->cond, &f->mu);
	s = f->status;
	*list = f->list;
	f->list = (natsMsgList){0};
	f->full = false;
	pthread_cond_broadcast(&f->cond);
	pthread_mutex_unlock(&f->mu);
	return s;
}

void lw_fetch_stop(struct lw_fetch *f)
{
	if (!f)
		return;
	pthread_mutex_lock(&f->mu);
	f->quit = true;
	pthread_cond_broadcast(&f->cond);
	pthread_mutex_unlock(&f->mu);
	pthread_join(f->thread, NULL);
	if (f->full)
		give_back(&f->list);
	pthread_cond_destroy(&f->cond);
	pthread_mutex_destroy(&f->mu);
	free(f);
}
