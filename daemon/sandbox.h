/* SPDX-License-Identifier: MIT */
/*
 * The sandboxes of leakwatchd's unprivileged processes (see priv.c): every capability dropped,
 * no_new_privs, and a seccomp filter (libseccomp) that leaves them what they need and refuses
 * what would turn code execution in them into more: other sockets, execve, ptrace, new
 * namespaces, io_uring, kernel interfaces.
 */
#ifndef LW_DAEMON_SANDBOX_H
#define LW_DAEMON_SANDBOX_H

#include <stddef.h>

/*
 * The parser: sockets only AF_NETLINK of NETLINK_ROUTE and NETLINK_GENERIC (libnl reads links,
 * neighbours, routes and nl80211 stations; without capabilities it can change nothing there).
 * capture_fd (the AF_PACKET socket, which could send frames as well as read them) may be read
 * only: write, send, splice to it, dup it, bind or connect it are refused.  0, or -errno with
 * err (the process must not go on then).
 */
int lw_sandbox_parser(int capture_fd, char *err, size_t errlen);

/*
 * The resolver helper: getaddrinfo() only, so sockets of AF_INET, AF_INET6, AF_NETLINK (route)
 * and AF_UNIX streams (nscd, systemd-resolved), no datagram AF_UNIX (hostapd's sockets).
 */
int lw_sandbox_resolver(char *err, size_t errlen);

/*
 * The alerts' delivery: every capability dropped and no_new_privs, no filter (it runs the
 * owner's [alerts] exec program and talks MQTT).
 */
int lw_sandbox_notifier(char *err, size_t errlen);

#endif
