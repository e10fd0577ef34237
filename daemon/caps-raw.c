/* SPDX-License-Identifier: MIT */
/*
 * A build without the `capng` option (no libcap-ng): the same dropping as caps-capng.c, by the
 * capget/capset system calls and prctl directly.  Only [daemon] user (switching users while
 * keeping two capabilities) is not done: a daemon started as root with a user set refuses to
 * start; start it as that user with the two capabilities instead (the systemd unit's way,
 * User= and AmbientCapabilities=; on OpenWrt procd's user and capabilities).
 */
#include "caps.h"

#include <errno.h>
#include <linux/capability.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "log.h"

#define LIVE_CAPS ((1ull << CAP_NET_RAW) | (1ull << CAP_NET_ADMIN))

struct caps {
	uint64_t effective, permitted, inheritable;
};

static int get(struct caps *c)
{
	struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct d[2] = {{0}};

	if (syscall(SYS_capget, &h, d) < 0)
		return -errno;
	c->effective = d[0].effective | (uint64_t)d[1].effective << 32;
	c->permitted = d[0].permitted | (uint64_t)d[1].permitted << 32;
	c->inheritable = d[0].inheritable | (uint64_t)d[1].inheritable << 32;
	return 0;
}

static int set(const struct caps *c)
{
	struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct d[2] = {
		{(uint32_t)c->effective, (uint32_t)c->permitted, (uint32_t)c->inheritable},
		{(uint32_t)(c->effective >> 32), (uint32_t)(c->permitted >> 32),
		 (uint32_t)(c->inheritable >> 32)},
	};

	return syscall(SYS_capset, &h, d) < 0 ? -errno : 0;
}

/* The bounding set but keep (with CAP_SETPCAP only; errors are left to the caller's check). */
static void drop_bounding(uint64_t keep)
{
	for (unsigned c = 0; c <= CAP_LAST_CAP; c++)
		if (!(keep & (1ull << c)) && prctl(PR_CAPBSET_READ, c, 0, 0, 0) == 1)
			prctl(PR_CAPBSET_DROP, c, 0, 0, 0);
}

static bool bounding_only(uint64_t keep)
{
	for (unsigned c = 0; c <= CAP_LAST_CAP; c++)
		if (!(keep & (1ull << c)) && prctl(PR_CAPBSET_READ, c, 0, 0, 0) == 1)
			return false;
	return true;
}

int lw_caps_drop_privileges(const struct lw_config *cfg, bool live)
{
	uint64_t keep = live ? LIVE_CAPS : 0;
	struct caps c;
	int r = get(&c);

	if (r < 0) {
		lw_log_error("cannot read its capabilities (capget: %s)", strerror(-r));
		return r;
	}
	if (cfg->user[0]) {
		lw_log_error("[daemon] user = %s: switching users is not built in (meson option "
			     "capng); start leakwatchd as that user with CAP_NET_RAW and "
			     "CAP_NET_ADMIN instead",
			     cfg->user);
		return -ENOTSUP;
	}
	if (!c.effective && !c.permitted)
		return 0;
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	if (live && getuid() != 0 && geteuid() != 0 && c.effective == LIVE_CAPS &&
	    c.permitted == LIVE_CAPS && bounding_only(LIVE_CAPS))
		return 0; /* started with exactly the two (caps-capng.c says why capset is avoided) */
	if (c.effective & (1ull << CAP_SETPCAP))
		drop_bounding(keep);
	c = (struct caps){keep & c.permitted, keep & c.permitted, 0};
	r = set(&c);
	if (r < 0) {
		lw_log_error("cannot drop privileges (capset: %s)", strerror(-r));
		return r;
	}
	return 0;
}

int lw_caps_drop_all(char *err, size_t errlen)
{
	struct caps c = {0};
	int r;

	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	r = get(&c);
	/* the bounding set needs CAP_SETPCAP, which the daemon does not keep */
	if (r == 0 && (c.effective & (1ull << CAP_SETPCAP)))
		drop_bounding(0);
	c = (struct caps){0};
	r = set(&c);
	if (r < 0) {
		snprintf(err, errlen, "cannot drop its capabilities (capset: %s)", strerror(-r));
		return -EPERM;
	}
	if (get(&c) < 0 || c.effective || c.permitted || c.inheritable) {
		snprintf(err, errlen, "capabilities left after dropping them");
		return -EPERM;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		snprintf(err, errlen, "no_new_privs: %s", strerror(errno));
		return -errno;
	}
	return 0;
}
