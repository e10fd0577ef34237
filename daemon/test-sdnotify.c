/* SPDX-License-Identifier: MIT */
/*
 * The hand-written sd_notify (sdnotify.c) against a datagram socket bound here as systemd
 * binds its own: by path and abstract ('@'); what arrives must be exactly what was sent.
 */
#include "lw-test.h"
#include "sdnotify.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

/* A datagram socket bound to name (a path, or '@' then an abstract name); -1 on failure. */
static int listen_on(const char *name)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	size_t len = strlen(name);
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0 || len >= sizeof(sa.sun_path))
		return -1;
	memcpy(sa.sun_path, name, len);
	if (name[0] == '@')
		sa.sun_path[0] = '\0';
	if (bind(fd, (struct sockaddr *)&sa,
		 (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len + (name[0] != '@'))) <
	    0) {
		perror("bind");
		close(fd);
		return -1;
	}
	return fd;
}

/* The next datagram on fd as a string ("" when none is waiting). */
static const char *next(int fd)
{
	static char buf[2048];
	ssize_t n = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);

	buf[n < 0 ? 0 : n] = '\0';
	return buf;
}

static void check_messages(const char *name)
{
	int fd = listen_on(name);

	LW_CHECK(fd >= 0);
	if (fd < 0)
		return;
	setenv("NOTIFY_SOCKET", name, 1);
	LW_CHECK_INT(lw_sd_notify("READY=1\nSTATUS=capturing br0"), 1);
	LW_CHECK_STR(next(fd), "READY=1\nSTATUS=capturing br0");
	LW_CHECK_INT(lw_sd_notify("WATCHDOG=1"), 1);
	LW_CHECK_STR(next(fd), "WATCHDOG=1");
	LW_CHECK_INT(lw_sd_notifyf("STATUS=%s is down; waiting for it", "br0"), 1);
	LW_CHECK_STR(next(fd), "STATUS=br0 is down; waiting for it");
	LW_CHECK_INT(lw_sd_notify("STOPPING=1"), 1);
	LW_CHECK_STR(next(fd), "STOPPING=1");
	LW_CHECK_STR(next(fd), ""); /* one datagram each, nothing more */
	close(fd);
	/* nobody listening any more: an error, not a crash or a hang */
	LW_CHECK(lw_sd_notify("WATCHDOG=1") < 0);
	unsetenv("NOTIFY_SOCKET");
}

static void test_path(void)
{
	char dir[] = "/tmp/lw-sdnotify-XXXXXX", path[128];

	LW_CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/notify", dir);
	check_messages(path);
	unlink(path);
	rmdir(dir);
}

static void test_abstract(void)
{
	char name[64];

	snprintf(name, sizeof(name), "@leakwatch-test-sdnotify-%ld", (long)getpid());
	check_messages(name);
}

static void test_unset(void)
{
	unsetenv("NOTIFY_SOCKET");
	LW_CHECK_INT(lw_sd_notify("READY=1"), 0);
	setenv("NOTIFY_SOCKET", "", 1);
	LW_CHECK_INT(lw_sd_notify("READY=1"), 0);
	setenv("NOTIFY_SOCKET", "relative/path", 1);
	LW_CHECK(lw_sd_notify("READY=1") < 0);
	unsetenv("NOTIFY_SOCKET");
}

static void test_watchdog(void)
{
	char pid[32];
	uint64_t usec = 0;

	unsetenv("WATCHDOG_USEC");
	unsetenv("WATCHDOG_PID");
	LW_CHECK_INT(lw_sd_watchdog_enabled(&usec), 0);
	setenv("WATCHDOG_USEC", "20000000", 1);
	LW_CHECK_INT(lw_sd_watchdog_enabled(&usec), 1);
	LW_CHECK(usec == 20000000);
	snprintf(pid, sizeof(pid), "%ld", (long)getpid());
	setenv("WATCHDOG_PID", pid, 1);
	LW_CHECK_INT(lw_sd_watchdog_enabled(&usec), 1);
	snprintf(pid, sizeof(pid), "%ld", (long)getpid() + 1);
	setenv("WATCHDOG_PID", pid, 1);
	LW_CHECK_INT(lw_sd_watchdog_enabled(&usec), 0);
	setenv("WATCHDOG_USEC", "x", 1);
	unsetenv("WATCHDOG_PID");
	LW_CHECK_INT(lw_sd_watchdog_enabled(&usec), 0);
	unsetenv("WATCHDOG_USEC");
}

int main(void)
{
	LW_TEST(test_path);
	LW_TEST(test_abstract);
	LW_TEST(test_unset);
	LW_TEST(test_watchdog);
	return lw_test_end();
}
