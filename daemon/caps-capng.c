/* SPDX-License-Identifier: MIT */
/*
 * Capabilities through libcap-ng (the `capng` option; caps-raw.c without it): what the
 * daemon keeps live, and the sandboxes' dropping of everything (caps.h).
 */
#include "caps.h"

#include <cap-ng.h>
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "log.h"

/*
 * Exactly CAP_NET_RAW and CAP_NET_ADMIN effective and permitted, and no other capability in
 * the bounding set: what systemd gives the unit's user (AmbientCapabilities= and
 * CapabilityBoundingSet= of those two).
 */
static bool holds_only_live_caps(void)
{
	for (unsigned c = 0; c <= CAP_LAST_CAP; c++) {
		int want = c == CAP_NET_RAW || c == CAP_NET_ADMIN;

		if (capng_have_capability(CAPNG_EFFECTIVE, c) != want ||
		    capng_have_capability(CAPNG_PERMITTED, c) != want ||
		    (!want && capng_have_capability(CAPNG_BOUNDING_SET, c)))
			return false;
	}
	return true;
}

/*
 * Keeps CAP_NET_RAW and CAP_NET_ADMIN (live: reopening the capture after the interface comes
 * back, promiscuous mode, nftables) and nothing else; with [daemon] user / --user, switches to
 * that user first (libcap-ng keeps the two across the switch).  Offline nothing is kept.  A
 * daemon that holds no capability (started by a user) has nothing to drop.  Neither has one
 * started by systemd as its own user with exactly the two (the unit's ambient and bounding
 * sets): then capset() is not called at all, so the unit's system call filter can deny it
 * with the rest of @privileged.
 */
int lw_caps_drop_privileges(const struct lw_config *cfg, bool live)
{
	struct passwd *pw = NULL;
	int r;

	if (cfg->user[0]) {
		pw = getpwnam(cfg->user);
		if (!pw) {
			lw_log_error("user %s does not exist", cfg->user);
			return -ENOENT;
		}
		if (geteuid() != 0) {
			if (pw->pw_uid == geteuid())
				pw = NULL; /* already that user */
			else {
				lw_log_error("cannot switch to user %s: not started as root",
					     cfg->user);
				return -EPERM;
			}
		}
	}
	capng_get_caps_process();
	if (capng_have_capabilities(CAPNG_SELECT_CAPS) == CAPNG_NONE && !pw)
		return 0;
	if (live && !pw && getuid() != 0 && geteuid() != 0 && holds_only_live_caps()) {
		/*
		 * Nothing to drop.  The ambient set only matters across execve(), which the
		 * daemon never calls; cleared anyway (a prctl, not capset) so that nothing it
		 * might start inherits the two.
		 */
		prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
		return 0;
	}
	capng_clear(CAPNG_SELECT_BOTH);
	if (live && capng_updatev(CAPNG_ADD, CAPNG_EFFECTIVE | CAPNG_PERMITTED, CAP_NET_RAW,
				  CAP_NET_ADMIN, -1) < 0)
		return -EINVAL;
	if (pw)
		r = capng_change_id((int)pw->pw_uid, (int)pw->pw_gid,
				    CAPNG_INIT_SUPP_GRP | CAPNG_CLEAR_BOUNDING);
	else
		/* the bounding set can only be changed with CAP_SETPCAP (root) */
		r = capng_apply(geteuid() == 0 ? CAPNG_SELECT_BOTH : CAPNG_SELECT_CAPS);
	if (r < 0) {
		lw_log_error("cannot drop privileges (libcap-ng error %d)", r);
		return -EPERM;
	}
	if (pw)
		lw_log_info("running as %s with %s", cfg->user,
			    live ? "CAP_NET_RAW and CAP_NET_ADMIN only" : "no capabilities");
	return 0;
}

int lw_caps_drop_all(char *err, size_t errlen)
{
	bool setpcap;

	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	capng_get_caps_process();
	setpcap = capng_have_capability(CAPNG_EFFECTIVE, CAP_SETPCAP);
	capng_clear(CAPNG_SELECT_BOTH);
	/* the bounding set needs CAP_SETPCAP, which the daemon does not keep */
	if (setpcap)
		capng_apply(CAPNG_SELECT_BOUNDS);
	if (capng_apply(CAPNG_SELECT_CAPS) < 0) {
		snprintf(err, errlen, "cannot drop its capabilities (capset: %s)", strerror(errno));
		return -EPERM;
	}
	capng_get_caps_process();
	if (capng_have_capabilities(CAPNG_SELECT_CAPS) != CAPNG_NONE) {
		snprintf(err, errlen, "capabilities left after dropping them");
		return -EPERM;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		snprintf(err, errlen, "no_new_privs: %s", strerror(errno));
		return -errno;
	}
	return 0;
}
