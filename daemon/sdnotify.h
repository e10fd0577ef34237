/* SPDX-License-Identifier: MIT */
/*
 * systemd's service notifications (sd_notify(3)) without libsystemd: see sdnotify.c for why.
 */
#ifndef LW_DAEMON_SDNOTIFY_H
#define LW_DAEMON_SDNOTIFY_H

#include <stdint.h>

/*
 * Sends state ("READY=1", "STATUS=...", "WATCHDOG=1", "STOPPING=1", several joined by
 * newlines) to $NOTIFY_SOCKET as one datagram.  Returns 1 when sent, 0 when NOTIFY_SOCKET is
 * not set (not started by systemd as Type=notify), or -errno.  As sd_notify(0, state).
 */
int lw_sd_notify(const char *state);
int lw_sd_notifyf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * The service manager's watchdog: 1 with *usec set from $WATCHDOG_USEC when it is set (and
 * $WATCHDOG_PID, if set, is this process), else 0.  As sd_watchdog_enabled(0, usec).
 */
int lw_sd_watchdog_enabled(uint64_t *usec);

#endif
