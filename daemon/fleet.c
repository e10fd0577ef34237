/* SPDX-License-Identifier: MIT */
#include "fleet.h"

#include "log.h"

#include <errno.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

/* how long a stopped leakwatch-push gets to say how many rows are left */
#define STOP_GRACE_MS 5000

static long mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static int wait_until(pid_t pid, long deadline, int *status)
{
	for (;;) {
		pid_t r = waitpid(pid, status, WNOHANG);

		if (r == pid)
			return 0;
		if (r < 0 && errno != EINTR)
			return -errno;
		if (mono_ms() >= deadline)
			return -ETIMEDOUT;
		usleep(50 * 1000);
	}
}

int lw_fleet_push_once(const char *config, const char *db, long timeout_s)
{
	/* LEAKWATCH_PUSH: the program from a build tree (the tests) */
	const char *prog = getenv("LEAKWATCH_PUSH");
	char *argv[] = {"leakwatch-push", "--config", (char *)config, "--db", (char *)db, NULL};
	pid_t pid;
	int r, status = 0;

	if (!prog || !prog[0])
		prog = LW_PUSH_PATH;
	r = posix_spawn(&pid, prog, NULL, NULL, argv, environ);
	if (r != 0) {
		lw_log_error("fleet: cannot start %s: %s", prog, strerror(r));
		return -r;
	}
	r = wait_until(pid, mono_ms() + timeout_s * 1000, &status);
	if (r == -ETIMEDOUT) {
		lw_log_error("fleet: leakwatch-push did not finish within %ld s; stopping it",
			     timeout_s);
		kill(pid, SIGTERM);
		r = wait_until(pid, mono_ms() + STOP_GRACE_MS, &status);
		if (r == -ETIMEDOUT) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
		}
		return -ETIMEDOUT;
	}
	if (r < 0)
		return r;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	return -EIO;
}
