/* SPDX-License-Identifier: MIT */
/*
 * What blocking needs from the system around it, read from the kernel: the layout of the
 * captured interface (through rtnetlink: its link kind, addresses and the default route; kept
 * current by notifications) and br_netfilter (/proc/sys/net/bridge in the daemon's network
 * namespace).  The decisions are lib/block/layout.c's; this file only gathers and fixes.
 */
#ifndef LW_DAEMON_BLOCKENV_H
#define LW_DAEMON_BLOCKENV_H

#include "block/layout.h"
#include "config.h"

struct lw_blockenv;

/*
 * The steps only root can take, run before the daemon drops its privileges (and by
 * `leakwatchd --prepare`, the unit's ExecStartPre=+): when blocking is on and the layout of
 * cfg->interface is bridged with a hold configured (or family = inet), loads br_netfilter
 * (modprobe) if /proc/sys/net/bridge is absent and sets bridge-nf-call-iptables and
 * -ip6tables to 1.  Logs what it did; never fails (the running daemon reports what is left).
 */
void lw_blockenv_prepare(const struct lw_config *cfg);

/* Opens the notification socket for ifname.  0 or -errno. */
int lw_blockenv_new(const char *ifname, struct lw_blockenv **out);
void lw_blockenv_free(struct lw_blockenv *e); /* NULL-safe */
int lw_blockenv_fd(const struct lw_blockenv *e);
/* Reads the pending notifications; true when an address, route or link changed. */
bool lw_blockenv_dispatch(struct lw_blockenv *e);
/* The layout facts as the kernel has them now.  0 or -errno (facts then say !exists). */
int lw_blockenv_facts(struct lw_blockenv *e, struct lw_layout_facts *f);

/*
 * br_netfilter in this network namespace.  With fix, a bridge-nf-call-* at 0 is set to 1 when
 * the daemon may (CAP_NET_ADMIN, /proc/sys writable); *fixed is set when it did.
 */
enum lw_brnf lw_blockenv_brnf(bool fix, bool *fixed);

#endif
