/* SPDX-License-Identifier: MIT */
/*
 * The daemon's capabilities: through libcap-ng with the `capng` option (caps-capng.c), else by
 * capget/capset and prctl directly (caps-raw.c), which cannot switch users.
 */
#ifndef LW_DAEMON_CAPS_H
#define LW_DAEMON_CAPS_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"

/*
 * Keeps CAP_NET_RAW and CAP_NET_ADMIN live (none offline) and drops the rest, switching to
 * [daemon] user first when set.  0, or -errno after logging why.
 */
int lw_caps_drop_privileges(const struct lw_config *cfg, bool live);

/*
 * Every capability (effective, permitted, inheritable, ambient; the bounding set if it may),
 * then no_new_privs: the sandboxed processes' first step.  0, or -errno with err.
 */
int lw_caps_drop_all(char *err, size_t errlen);

#endif
