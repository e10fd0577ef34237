/* SPDX-License-Identifier: MIT */
/*
 * sd_notify(3) written by hand rather than taken from libsystemd.  The protocol is a stable,
 * documented datagram (systemd's "Interface Portability and Stability" promise; sd_notify(3)):
 * one AF_UNIX SOCK_DGRAM message of newline-separated VAR=value lines sent to the path in
 * $NOTIFY_SOCKET, or to the abstract socket when that starts with '@'.  libsystemd does not
 * exist on OpenWrt, and the daemon needs four messages of it (READY=1, STATUS=, WATCHDOG=1,
 * STOPPING=1) and $WATCHDOG_USEC: not worth a library on a router's flash.  Not done here (the
 * daemon needs none of it): passing file descriptors, sending for another PID, and
 * NOTIFY_SOCKET addresses of AF_VSOCK ("vsock:").
 *
 * Only the privileged process (priv.c, the unit's main PID: NotifyAccess=main) sends; the
 * parser asks it to (lw_privc_notify) and has NOTIFY_SOCKET removed from its environment.
 */
#include "sdnotify.h"

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int lw_sd_notify(const char *state)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	size_t plen, len = strlen(state);
	socklen_t salen;
	ssize_t n;
	int fd, r;

	if (!path || !path[0])
		return 0;
	plen = strlen(path);
	if ((path[0] != '/' && path[0] != '@') || plen >= sizeof(sa.sun_path))
		return -EAFNOSUPPORT;
	memcpy(sa.sun_path, path, plen);
	if (path[0] == '@')
		sa.sun_path[0] = '\0'; /* abstract: the name is the bytes after the NUL, no end */
	salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + plen + (path[0] == '/'));
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	n = sendto(fd, state, len, MSG_NOSIGNAL, (const struct sockaddr *)&sa, salen);
	r = n < 0 ? -errno : (size_t)n == len ? 1 : -EMSGSIZE;
	close(fd);
	return r;
}

int lw_sd_notifyf(const char *fmt, ...)
{
	char text[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	return lw_sd_notify(text);
}

int lw_sd_watchdog_enabled(uint64_t *usec)
{
	const char *s = getenv("WATCHDOG_USEC"), *pid = getenv("WATCHDOG_PID");
	unsigned long long v;
	char *end;

	if (!s || !s[0])
		return 0;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v == 0)
		return 0;
	if (pid && pid[0] && strtol(pid, NULL, 10) != (long)getpid())
		return 0; /* meant for another process */
	*usec = v;
	return 1;
}
