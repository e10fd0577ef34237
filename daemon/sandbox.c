/* SPDX-License-Identifier: MIT */
/*
 * The sandboxes of the parser and the resolver helper (sandbox.h).
 *
 * The filter is a deny list over an allowing default, as systemd's SystemCallFilter=~ is: the
 * parser runs SQLite, libpcap, libnl, glibc's threads and (in the sanitizer build) ASan and
 * LeakSanitizer, whose system calls are many and change with their versions; what is refused
 * is what code execution in the process could use to reach further.  Sockets are refused by
 * family and netlink protocol one by one (libseccomp compares an argument once per rule).
 * Refusals return EPERM (the process goes on and logs what failed); ptrace and
 * process_vm_readv/writev kill it: nothing in it uses them, except LeakSanitizer in the
 * sanitizer build, which stops the process's own threads with ptrace at exit (where seccomp()
 * itself is filtered out, as systemd 252's @system-service does, libseccomp loads through
 * prctl() and cannot kill: they are refused then).
 */
#include "sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <sched.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>

#include "caps.h"
#include "core/types.h"

#ifdef __SANITIZE_ADDRESS__
#define SANITIZED 1
#endif
#ifdef __has_feature
#if __has_feature(address_sanitizer)
#define SANITIZED 1
#endif
#endif
#ifndef SANITIZED
#define SANITIZED 0
#endif

#define FAMILIES_MAX 64 /* address families refused one by one (AF_MAX is 46) */
#define NETLINK_PROTOCOLS 32 /* MAX_LINKS */

/* Refused in both processes (EPERM): no program, no namespace, no kernel interface. */
static const char refused[] =
	"execve execveat unshare setns mount umount2 pivot_root chroot move_mount open_tree "
	"fsopen fsmount fsconfig fspick mount_setattr io_uring_setup io_uring_enter "
	"io_uring_register io_setup io_submit bpf perf_event_open userfaultfd keyctl add_key "
	"request_key kexec_load kexec_file_load init_module finit_module delete_module swapon "
	"swapoff reboot acct quotactl pidfd_getfd process_madvise name_to_handle_at "
	"open_by_handle_at fanotify_init personality socketpair";

/* what would reach another process's memory */
static const char *const killed[] = {"ptrace", "process_vm_readv", "process_vm_writev"};

/* the namespaces a clone() may not create */
static const unsigned long clone_ns[] = {CLONE_NEWUSER,	  CLONE_NEWNS,	CLONE_NEWNET,
					 CLONE_NEWPID,	  CLONE_NEWIPC, CLONE_NEWUTS,
					 CLONE_NEWCGROUP, CLONE_NEWTIME};

/* What writes to an fd, "name/N": argument N names the fd. */
static const char writes[] =
	"write/0 writev/0 pwrite64/0 pwritev/0 pwritev2/0 sendto/0 sendmsg/0 sendmmsg/0 "
	"sendfile/0 vmsplice/0 splice/2 tee/1 copy_file_range/2 dup/0 dup2/0 dup3/0 bind/0 "
	"connect/0";

static const char *failed_rule = ""; /* the system call whose rule was refused */

static int rule(scmp_filter_ctx ctx, uint32_t action, const char *name, unsigned n,
		const struct scmp_arg_cmp *cmp)
{
	int nr = seccomp_syscall_resolve_name(name), r;

	if (nr == __NR_SCMP_ERROR)
		return 0; /* not a system call of this architecture */
	r = seccomp_rule_add_array(ctx, action, nr, n, cmp);
	if (r < 0)
		failed_rule = name;
	return r;
}

static int rule0(scmp_filter_ctx ctx, uint32_t action, const char *name)
{
	return rule(ctx, action, name, 0, NULL);
}

/* The refusals both processes share. */
static int base_rules(scmp_filter_ctx ctx)
{
	const uint32_t eperm = SCMP_ACT_ERRNO(EPERM);
	char names[sizeof(refused)], *name, *save = NULL;
	uint32_t kill;
	size_t i;
	int r = 0;

	memcpy(names, refused, sizeof(names));
	for (name = strtok_r(names, " ", &save); name && r == 0; name = strtok_r(NULL, " ", &save))
		r = rule0(ctx, eperm, name);
	/* the kill needs seccomp() (API level 3); loaded through prctl() it is a refusal */
	kill = seccomp_api_get() >= 3 ? SCMP_ACT_KILL_PROCESS : eperm;
	for (i = 0; i < LW_ARRAY_SIZE(killed) && r == 0; i++) {
		if (SANITIZED)
			r = strcmp(killed[i], "ptrace") ? rule0(ctx, eperm, killed[i]) : 0;
		else
			r = rule0(ctx, kill, killed[i]);
	}
	/* glibc falls back to clone() when clone3() is missing; clone3's flags are in memory */
	if (r == 0)
		r = rule0(ctx, SCMP_ACT_ERRNO(ENOSYS), "clone3");
	for (i = 0; i < LW_ARRAY_SIZE(clone_ns) && r == 0; i++) {
		struct scmp_arg_cmp c = SCMP_A0(SCMP_CMP_MASKED_EQ, clone_ns[i], clone_ns[i]);

		r = rule(ctx, eperm, "clone", 1, &c);
	}
	return r;
}

/* socket(): families allowed (bit f of allow), netlink protocols allowed (bit p of nl). */
static int socket_rules(scmp_filter_ctx ctx, uint64_t allow, uint32_t nl)
{
	const uint32_t eperm = SCMP_ACT_ERRNO(EPERM);
	struct scmp_arg_cmp c[2];
	int f, r = 0;

	for (f = 0; f < FAMILIES_MAX && r == 0; f++) {
		if (allow & (1ull << f))
			continue;
		c[0] = SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)f);
		r = rule(ctx, eperm, "socket", 1, c);
	}
	if (r == 0) {
		c[0] = SCMP_A0(SCMP_CMP_GE, FAMILIES_MAX);
		r = rule(ctx, eperm, "socket", 1, c);
	}
	if (!(allow & (1ull << AF_NETLINK)))
		return r;
	for (f = 0; f < NETLINK_PROTOCOLS && r == 0; f++) {
		if (nl & (1u << f))
			continue;
		c[0] = SCMP_A0(SCMP_CMP_EQ, AF_NETLINK);
		c[1] = SCMP_A2(SCMP_CMP_EQ, (scmp_datum_t)f);
		r = rule(ctx, eperm, "socket", 2, c);
	}
	if (r == 0) {
		c[0] = SCMP_A0(SCMP_CMP_EQ, AF_NETLINK);
		c[1] = SCMP_A2(SCMP_CMP_GE, NETLINK_PROTOCOLS);
		r = rule(ctx, eperm, "socket", 2, c);
	}
	return r;
}

static int load(scmp_filter_ctx ctx, int r, char *err, size_t errlen)
{
	if (r < 0)
		snprintf(err, errlen, "seccomp filter: a rule for %s: %s", failed_rule,
			 strerror(-r));
	else if ((r = seccomp_load(ctx)) < 0)
		snprintf(err, errlen, "seccomp filter: loading it: %s", strerror(-r));
	seccomp_release(ctx);
	return r;
}

int lw_sandbox_parser(int capture_fd, char *err, size_t errlen)
{
	char names[sizeof(writes)], *name, *save = NULL;
	scmp_filter_ctx ctx;
	int r = lw_caps_drop_all(err, errlen);

	if (r < 0)
		return r;
	ctx = seccomp_init(SCMP_ACT_ALLOW);
	if (!ctx) {
		snprintf(err, errlen, "seccomp filter: out of memory");
		return -ENOMEM;
	}
	r = base_rules(ctx);
	if (r == 0)
		r = socket_rules(ctx, 1ull << AF_NETLINK,
				 (1u << NETLINK_ROUTE) | (1u << NETLINK_GENERIC));
	memcpy(names, writes, sizeof(writes));
	for (name = strtok_r(names, " ", &save); name && r == 0 && capture_fd >= 0;
	     name = strtok_r(NULL, " ", &save)) {
		char *slash = strchr(name, '/');
		struct scmp_arg_cmp c = {(unsigned)(slash[1] - '0'), SCMP_CMP_EQ,
					 (scmp_datum_t)capture_fd, 0};

		*slash = '\0';
		r = rule(ctx, SCMP_ACT_ERRNO(EPERM), name, 1, &c);
	}
	if (r == 0 && capture_fd >= 0) {
		struct scmp_arg_cmp c[2] = {SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)capture_fd),
					    SCMP_A1(SCMP_CMP_EQ, F_DUPFD)};

		r = rule(ctx, SCMP_ACT_ERRNO(EPERM), "fcntl", 2, c);
		c[1] = SCMP_A1(SCMP_CMP_EQ, F_DUPFD_CLOEXEC);
		if (r == 0)
			r = rule(ctx, SCMP_ACT_ERRNO(EPERM), "fcntl", 2, c);
	}
	return load(ctx, r, err, errlen);
}

int lw_sandbox_resolver(char *err, size_t errlen)
{
	scmp_filter_ctx ctx;
	int r = lw_caps_drop_all(err, errlen), t;

	if (r < 0)
		return r;
	ctx = seccomp_init(SCMP_ACT_ALLOW);
	if (!ctx) {
		snprintf(err, errlen, "seccomp filter: out of memory");
		return -ENOMEM;
	}
	r = base_rules(ctx);
	if (r == 0)
		r = socket_rules(ctx,
				 (1ull << AF_INET) | (1ull << AF_INET6) | (1ull << AF_NETLINK) |
					 (1ull << AF_UNIX),
				 1u << NETLINK_ROUTE);
	/* AF_UNIX: streams only (nscd, systemd-resolved's varlink), never a datagram socket */
	for (t = 0; t < 16 && r == 0; t++) {
		struct scmp_arg_cmp c[2] = {SCMP_A0(SCMP_CMP_EQ, AF_UNIX),
					    SCMP_A1(SCMP_CMP_MASKED_EQ, 0xf, (scmp_datum_t)t)};

		if (t != SOCK_STREAM)
			r = rule(ctx, SCMP_ACT_ERRNO(EPERM), "socket", 2, c);
	}
	return load(ctx, r, err, errlen);
}

int lw_sandbox_notifier(char *err, size_t errlen)
{
	return lw_caps_drop_all(err, errlen);
}
