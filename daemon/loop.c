/* SPDX-License-Identifier: MIT */
#include "loop.h"

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <unistd.h>

#define LOOP_MAX_SOURCES 256

struct source {
	int fd; /* -1 = free slot */
	bool timer; /* fd is a timerfd owned by the loop */
	bool urgent;
	lw_loop_fd_fn fd_fn;
	lw_loop_timer_fn timer_fn;
	void *user_data;
};

struct lw_loop {
	int ep;
	bool quit;
	struct source src[LOOP_MAX_SOURCES];
	size_t urgent[LW_LOOP_MAX_URGENT]; /* indexes into src */
	size_t n_urgent;
};

struct lw_loop *lw_loop_new(void)
{
	struct lw_loop *l = calloc(1, sizeof(*l));
	size_t i;

	if (!l)
		return NULL;
	l->ep = epoll_create1(EPOLL_CLOEXEC);
	if (l->ep < 0) {
		free(l);
		return NULL;
	}
	for (i = 0; i < LOOP_MAX_SOURCES; i++)
		l->src[i].fd = -1;
	return l;
}

void lw_loop_free(struct lw_loop *l)
{
	size_t i;

	if (!l)
		return;
	for (i = 0; i < LOOP_MAX_SOURCES; i++)
		if (l->src[i].fd >= 0 && l->src[i].timer)
			close(l->src[i].fd);
	close(l->ep);
	free(l);
}

static struct source *add_source(struct lw_loop *l, int fd)
{
	struct epoll_event ev;
	size_t i;

	for (i = 0; i < LOOP_MAX_SOURCES; i++)
		if (l->src[i].fd < 0)
			break;
	if (i == LOOP_MAX_SOURCES)
		return NULL;
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.u64 = i;
	if (epoll_ctl(l->ep, EPOLL_CTL_ADD, fd, &ev) < 0)
		return NULL;
	memset(&l->src[i], 0, sizeof(l->src[i]));
	l->src[i].fd = fd;
	return &l->src[i];
}

int lw_loop_add_fd(struct lw_loop *l, int fd, lw_loop_fd_fn fn, void *user_data)
{
	struct source *s = add_source(l, fd);

	if (!s)
		return errno ? -errno : -ENOSPC;
	s->fd_fn = fn;
	s->user_data = user_data;
	return 0;
}

void lw_loop_remove_fd(struct lw_loop *l, int fd)
{
	size_t i;

	for (i = 0; i < LOOP_MAX_SOURCES; i++) {
		if (l->src[i].fd != fd || l->src[i].timer)
			continue;
		epoll_ctl(l->ep, EPOLL_CTL_DEL, fd, NULL);
		l->src[i].fd = -1;
	}
	for (i = 0; i < l->n_urgent;)
		if (l->src[l->urgent[i]].fd < 0)
			l->urgent[i] = l->urgent[--l->n_urgent];
		else
			i++;
}

int lw_loop_set_urgent(struct lw_loop *l, int fd)
{
	size_t i;

	for (i = 0; i < LOOP_MAX_SOURCES; i++) {
		struct source *s = &l->src[i];

		if (s->fd != fd || s->timer)
			continue;
		if (s->urgent)
			return 0;
		if (l->n_urgent == LW_LOOP_MAX_URGENT)
			return -ENOSPC;
		s->urgent = true;
		l->urgent[l->n_urgent++] = i;
		return 0;
	}
	return -ENOENT;
}

/* Serves the urgent sources that are readable now (one poll, no waiting). */
static void serve_urgent(struct lw_loop *l)
{
	struct pollfd pfd[LW_LOOP_MAX_URGENT];
	size_t i, n = l->n_urgent;

	if (n == 0)
		return;
	for (i = 0; i < n; i++) {
		pfd[i].fd = l->src[l->urgent[i]].fd;
		pfd[i].events = POLLIN;
		pfd[i].revents = 0;
	}
	if (poll(pfd, n, 0) <= 0)
		return;
	for (i = 0; i < n && !l->quit; i++) {
		struct source *s = &l->src[l->urgent[i]];

		if ((pfd[i].revents & POLLIN) && s->fd == pfd[i].fd)
			s->fd_fn(s->fd, EPOLLIN, s->user_data);
	}
}

int lw_loop_add_timer(struct lw_loop *l, unsigned interval_ms, lw_loop_timer_fn fn, void *user_data)
{
	struct itimerspec its;
	struct source *s;
	int fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);

	if (fd < 0)
		return -errno;
	memset(&its, 0, sizeof(its));
	its.it_interval.tv_sec = interval_ms / 1000;
	its.it_interval.tv_nsec = (long)(interval_ms % 1000) * 1000000;
	its.it_value = its.it_interval;
	if (timerfd_settime(fd, 0, &its, NULL) < 0 || !(s = add_source(l, fd))) {
		int r = errno ? -errno : -ENOSPC;

		close(fd);
		return r;
	}
	s->timer = true;
	s->timer_fn = fn;
	s->user_data = user_data;
	return (int)(s - l->src);
}

int lw_loop_run(struct lw_loop *l)
{
	struct epoll_event evs[16];
	int n, i;

	l->quit = false;
	while (!l->quit) {
		n = epoll_wait(l->ep, evs, (int)(sizeof(evs) / sizeof(evs[0])), -1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		/* urgent sources first; the others after, each followed by the urgent ones again */
		for (i = 0; i < n && !l->quit; i++) {
			struct source *s = &l->src[evs[i].data.u64];

			if (s->fd >= 0 && s->urgent) {
				s->fd_fn(s->fd, evs[i].events, s->user_data);
				evs[i].data.u64 = LOOP_MAX_SOURCES; /* done */
			}
		}
		for (i = 0; i < n && !l->quit; i++) {
			struct source *s;

			if (evs[i].data.u64 >= LOOP_MAX_SOURCES)
				continue;
			s = &l->src[evs[i].data.u64];
			if (s->fd < 0)
				continue; /* removed by an earlier callback in this round */
			if (s->timer) {
				uint64_t ticks;

				if (read(s->fd, &ticks, sizeof(ticks)) == sizeof(ticks))
					s->timer_fn(s->user_data);
			} else {
				s->fd_fn(s->fd, evs[i].events, s->user_data);
			}
			serve_urgent(l);
		}
	}
	return 0;
}

void lw_loop_quit(struct lw_loop *l)
{
	l->quit = true;
}
