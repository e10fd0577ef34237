/* SPDX-License-Identifier: MIT */
/*
 * The daemon's one event loop (epoll): file descriptors and periodic timers.  Modules that
 * need the loop (capture, hostapd control sockets, netlink, NFQUEUE, the flagged-table watcher)
 * register here; callbacks run on the main thread, one at a time.
 */
#ifndef LW_DAEMON_LOOP_H
#define LW_DAEMON_LOOP_H

#include <stdbool.h>

struct lw_loop;

typedef void (*lw_loop_fd_fn)(int fd, unsigned events, void *user_data);
typedef void (*lw_loop_timer_fn)(void *user_data);

struct lw_loop *lw_loop_new(void);
void lw_loop_free(struct lw_loop *l);

/* Watches fd for EPOLLIN (events passed to the callback). 0 or -errno. */
int lw_loop_add_fd(struct lw_loop *l, int fd, lw_loop_fd_fn fn, void *user_data);
/* Stops watching fd (safe from inside a callback). */
void lw_loop_remove_fd(struct lw_loop *l, int fd);
/*
 * Marks fd (added with lw_loop_add_fd) urgent: it is served first in each round, and again
 * after each other source's callback when it is readable, so that packets held for it (the
 * NFQUEUE) never wait behind a long callback such as a capture burst.  At most
 * LW_LOOP_MAX_URGENT fds; -ENOENT if fd was not added, -ENOSPC beyond that.
 */
#define LW_LOOP_MAX_URGENT 4
int lw_loop_set_urgent(struct lw_loop *l, int fd);

/* Calls fn every interval_ms (first call after interval_ms). Returns a timer id >= 0 or -errno. */
int lw_loop_add_timer(struct lw_loop *l, unsigned interval_ms, lw_loop_timer_fn fn,
		      void *user_data);

/* Runs until lw_loop_quit(). 0, or -errno if epoll itself fails. */
int lw_loop_run(struct lw_loop *l);
void lw_loop_quit(struct lw_loop *l);

#endif
