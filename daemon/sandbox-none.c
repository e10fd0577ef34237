/* SPDX-License-Identifier: MIT */
/*
 * A build without the `seccomp` option (no libseccomp): the parser and the resolver helper
 * still run in processes of their own without any capability and under no_new_privs, but
 * without a system call filter; each says so once as it starts.
 */
#include "sandbox.h"

#include "caps.h"
#include "log.h"

static int unfiltered(const char *who, char *err, size_t errlen)
{
	int r = lw_caps_drop_all(err, errlen);

	if (r == 0)
		lw_log_warning("%s: no system call filter (seccomp is not built in, meson option "
			       "seccomp); it runs without capabilities, unfiltered",
			       who);
	return r;
}

int lw_sandbox_parser(int capture_fd, char *err, size_t errlen)
{
	return unfiltered("parser", err, errlen);
}

int lw_sandbox_resolver(char *err, size_t errlen)
{
	return unfiltered("resolver", err, errlen);
}

int lw_sandbox_notifier(char *err, size_t errlen)
{
	return lw_caps_drop_all(err, errlen);
}
