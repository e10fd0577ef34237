/* SPDX-License-Identifier: MIT */
/*
 * The alerts' delivery (alerts.h): the exec hook, run from its own thread, and MQTT (mqtt.c).
 *
 * The hook: [alerts] exec = PROGRAM, started once per new_device and new_leak event with the
 * event's type as its argument and the event as one JSON line on stdin; its stdout and stderr
 * go where the daemon's stderr goes (the journal).  It runs in a process group of its own,
 * with the default signal mask and dispositions and no descriptor but 0, 1 and 2; one that has
 * not exited [alerts] exec_timeout seconds after it started is killed with its group.  One runs
 * at a time; events wait in a bounded queue ([alerts] queue_max), dropped and counted when it
 * is full.
 */
#include "alerts.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "alert/bucket.h"
#include "evqueue.h"
#include "log.h"
#include "mqtt.h"

extern char **environ;

#define HOOK_DRAIN_EXTRA_SEC 2 /* at stop: queued events get the timeout and this long */

struct hook {
	char program[PATH_MAX];
	long timeout_s;
	struct lw_evqueue q;
	pthread_t thread;
	double drain_until; /* monotonic; set at stop */
	uint64_t runs, failed, killed;
	struct lw_bucket logb; /* failure lines */
};

struct lw_notify {
	struct hook *hook;
	struct lw_mqtt *mqtt;
};

static double mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static lw_time_us mono_us(void)
{
	return (lw_time_us)(mono() * LW_USEC_PER_SEC);
}

/* Writes all of buf to a non-blocking fd before deadline; a hook that does not read is not
 * waited for beyond it. */
static void write_until(int fd, const char *buf, size_t len, double deadline)
{
	size_t off = 0;

	while (off < len) {
		ssize_t w = write(fd, buf + off, len - off);
		double left;

		if (w > 0) {
			off += (size_t)w;
			continue;
		}
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno != EAGAIN)
			return; /* EPIPE: it exited without reading, its business */
		left = deadline - mono();
		if (left <= 0)
			return;
		poll(&(struct pollfd){.fd = fd, .events = POLLOUT}, 1, (int)(left * 1000) + 1);
	}
}

static void hook_run(struct hook *h, const struct lw_alert_event *e)
{
	char json[LW_ALERT_JSON_MAX + 1];
	char *argv[] = {h->program, (char *)lw_alert_type_str(e->type), NULL};
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t none, dfl;
	double deadline;
	int fds[2], len, r, status = 0;
	pid_t pid;

	len = lw_alert_event_json(e, json, sizeof(json) - 1);
	if (len < 0)
		return;
	json[len++] = '\n';
	if (pipe2(fds, O_CLOEXEC) < 0) {
		h->failed++;
		return;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fds[0], STDIN_FILENO);
	posix_spawn_file_actions_adddup2(&fa, STDERR_FILENO, STDOUT_FILENO);
	/* the capture, the database, netlink: none of the hook's business */
	posix_spawn_file_actions_addclosefrom_np(&fa, 3);
	posix_spawnattr_init(&at);
	sigemptyset(&none);
	sigemptyset(&dfl);
	sigaddset(&dfl, SIGPIPE); /* ignored by the daemon */
	sigaddset(&dfl, SIGTERM);
	sigaddset(&dfl, SIGINT);
	sigaddset(&dfl, SIGHUP);
	posix_spawnattr_setsigmask(&at, &none); /* the daemon blocks these for its signalfd */
	posix_spawnattr_setsigdefault(&at, &dfl);
	posix_spawnattr_setpgroup(&at, 0);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF |
					      POSIX_SPAWN_SETPGROUP);
	deadline = mono() + (double)h->timeout_s;
	r = posix_spawn(&pid, h->program, &fa, &at, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	close(fds[0]);
	if (r != 0) {
		close(fds[1]);
		h->failed++;
		if (lw_bucket_take(&h->logb, mono_us()))
			lw_log_error("alerts: exec %s: %s", h->program, strerror(r));
		return;
	}
	h->runs++;
	fcntl(fds[1], F_SETFL, O_NONBLOCK);
	write_until(fds[1], json, (size_t)len, deadline);
	close(fds[1]);
	for (;;) {
		r = waitpid(pid, &status, WNOHANG);
		if (r == pid || (r < 0 && errno != EINTR))
			break;
		if (mono() >= deadline) {
			kill(-pid, SIGKILL); /* and what it started */
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			h->killed++;
			if (lw_bucket_take(&h->logb, mono_us()))
				lw_log_warning("alerts: exec %s: still running after %ld s: killed "
					       "(%llu so far)",
					       h->program, h->timeout_s,
					       (unsigned long long)h->killed);
			return;
		}
		nanosleep(&(struct timespec){0, 10 * 1000 * 1000}, NULL);
	}
	if (r == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return;
	h->failed++;
	if (lw_bucket_take(&h->logb, mono_us())) {
		if (r == pid && WIFEXITED(status))
			lw_log_warning("alerts: exec %s: exit status %d", h->program,
				       WEXITSTATUS(status));
		else if (r == pid && WIFSIGNALED(status))
			lw_log_warning("alerts: exec %s: killed by signal %d", h->program,
				       WTERMSIG(status));
	}
}

static void *hook_thread(void *arg)
{
	struct hook *h = arg;
	struct lw_alert_event e;

	pthread_mutex_lock(&h->q.lock);
	for (;;) {
		while (!h->q.n && !h->q.stop)
			pthread_cond_wait(&h->q.cond, &h->q.lock);
		if (h->q.stop && (!h->q.n || mono() >= h->drain_until))
			break;
		if (!lw_evqueue_pop_locked(&h->q, &e))
			continue;
		pthread_mutex_unlock(&h->q.lock);
		hook_run(h, &e);
		pthread_mutex_lock(&h->q.lock);
	}
	h->q.dropped += h->q.n; /* what the stop left */
	pthread_mutex_unlock(&h->q.lock);
	return NULL;
}

static int hook_start(const struct lw_config *cfg, struct hook **out, char *err, size_t errlen)
{
	struct hook *h;
	struct stat st;
	sigset_t all, old;
	int r;

	*out = NULL;
	if (!cfg->alerts_exec[0])
		return 0;
	errno = 0;
	if (stat(cfg->alerts_exec, &st) < 0 || !S_ISREG(st.st_mode) ||
	    access(cfg->alerts_exec, X_OK) < 0) {
		snprintf(err, errlen, "[alerts] exec: %s is not an executable file%s%s",
			 cfg->alerts_exec, errno ? ": " : "", errno ? strerror(errno) : "");
		return -EINVAL;
	}
	h = calloc(1, sizeof(*h));
	if (!h || lw_evqueue_init(&h->q, (size_t)cfg->alerts_queue_max) < 0) {
		free(h);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	lw_str_copy(h->program, sizeof(h->program), cfg->alerts_exec);
	h->timeout_s = cfg->alerts_exec_timeout;
	lw_bucket_init(&h->logb, 5, 2, mono_us());
	/* signals stay with the main thread's signalfd */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	r = pthread_create(&h->thread, NULL, hook_thread, h);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r != 0) {
		lw_evqueue_release(&h->q);
		free(h);
		snprintf(err, errlen, "cannot start the hook's thread: %s", strerror(r));
		return -r;
	}
	*out = h;
	return 0;
}

static void hook_stop(struct hook *h)
{
	if (!h)
		return;
	pthread_mutex_lock(&h->q.lock);
	if (!h->q.stop) {
		h->q.stop = true;
		h->drain_until = mono() + (double)h->timeout_s + HOOK_DRAIN_EXTRA_SEC;
	}
	pthread_cond_signal(&h->q.cond);
	pthread_mutex_unlock(&h->q.lock);
	pthread_join(h->thread, NULL);
	if (h->q.dropped || h->killed || h->failed)
		lw_log_warning("alerts: exec %s: %llu runs, %llu failed, %llu killed at the "
			       "timeout, %llu events dropped (queue full or stopping)",
			       h->program, (unsigned long long)h->runs,
			       (unsigned long long)h->failed, (unsigned long long)h->killed,
			       (unsigned long long)h->q.dropped);
	lw_evqueue_release(&h->q);
	free(h);
}

int lw_notify_start(const struct lw_config *cfg, struct lw_notify **out, char *err, size_t errlen)
{
	struct lw_notify *n;
	int r;

	*out = NULL;
	if (!cfg->alerts_exec[0] && !cfg->mqtt_host[0])
		return 0;
	n = calloc(1, sizeof(*n));
	if (!n) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	r = hook_start(cfg, &n->hook, err, errlen);
	if (r == 0)
		r = lw_mqtt_start(cfg, &n->mqtt, err, errlen);
	if (r < 0) {
		hook_stop(n->hook);
		free(n);
		return r;
	}
	*out = n;
	return 0;
}

void lw_notify_push(struct lw_notify *n, const struct lw_alert_event *e)
{
	if (!n)
		return;
	if (n->hook && e->type != LW_ALERT_COUNT)
		lw_evqueue_push(&n->hook->q, e);
	if (n->mqtt)
		lw_mqtt_push(n->mqtt, e);
}

void lw_notify_stop(struct lw_notify *n)
{
	if (!n)
		return;
	/* both drain at once: MQTT's bound does not add to the hook's */
	if (n->hook) {
		pthread_mutex_lock(&n->hook->q.lock);
		n->hook->q.stop = true;
		n->hook->drain_until = mono() + (double)n->hook->timeout_s + HOOK_DRAIN_EXTRA_SEC;
		pthread_cond_signal(&n->hook->q.cond);
		pthread_mutex_unlock(&n->hook->q.lock);
	}
	lw_mqtt_stop(n->mqtt);
	hook_stop(n->hook);
	free(n);
}
