/* SPDX-License-Identifier: MIT */
/* The layout facts and br_netfilter, read from the kernel (blockenv.h). */
#include "blockenv.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/rtnetlink.h>
#include <netlink/addr.h>
#include <netlink/cache.h>
#include <netlink/errno.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/route.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"

#define BRNF_DIR "/proc/sys/net/bridge"

extern char **environ;

struct lw_blockenv {
	char ifname[IF_NAMESIZE];
	struct nl_sock *events; /* rtnetlink notifications: links, addresses, routes */
	struct nl_sock *query;
	bool changed;
};

static int on_event(struct nl_msg *msg, void *arg)
{
	(void)msg;
	((struct lw_blockenv *)arg)->changed = true;
	return NL_OK;
}

int lw_blockenv_new(const char *ifname, struct lw_blockenv **out)
{
	struct lw_blockenv *e = calloc(1, sizeof(*e));
	int r = -ENOMEM;

	*out = NULL;
	if (!e)
		return -ENOMEM;
	snprintf(e->ifname, sizeof(e->ifname), "%s", ifname);
	e->events = nl_socket_alloc();
	e->query = nl_socket_alloc();
	if (!e->events || !e->query)
		goto fail;
	nl_socket_disable_seq_check(e->events);
	nl_socket_modify_cb(e->events, NL_CB_VALID, NL_CB_CUSTOM, on_event, e);
	if (nl_connect(e->events, NETLINK_ROUTE) < 0 || nl_connect(e->query, NETLINK_ROUTE) < 0 ||
	    nl_socket_add_memberships(e->events, RTNLGRP_LINK, RTNLGRP_IPV4_IFADDR,
				      RTNLGRP_IPV6_IFADDR, RTNLGRP_IPV4_ROUTE, RTNLGRP_IPV6_ROUTE,
				      0) < 0 ||
	    nl_socket_set_nonblocking(e->events) < 0) {
		r = -EIO;
		goto fail;
	}
	*out = e;
	return 0;
fail:
	lw_blockenv_free(e);
	return r;
}

void lw_blockenv_free(struct lw_blockenv *e)
{
	if (!e)
		return;
	if (e->events)
		nl_socket_free(e->events);
	if (e->query)
		nl_socket_free(e->query);
	free(e);
}

int lw_blockenv_fd(const struct lw_blockenv *e)
{
	return nl_socket_get_fd(e->events);
}

bool lw_blockenv_dispatch(struct lw_blockenv *e)
{
	int i, r;

	for (i = 0; i < 64; i++) {
		r = nl_recvmsgs_default(e->events);
		if (r == -NLE_AGAIN)
			break;
		if (r < 0) {
			/* lost notifications (ENOBUFS) or a bad one: look again anyway */
			e->changed = true;
			if (r != -NLE_NOMEM && r != -NLE_MSG_OVERFLOW)
				break;
		}
	}
	if (!e->changed)
		return false;
	e->changed = false;
	return true;
}

struct route_pick {
	int family;
	uint32_t best_prio;
	int oif; /* 0: none */
};

static void pick_default(struct nl_object *obj, void *arg)
{
	struct rtnl_route *rt = (struct rtnl_route *)obj;
	struct route_pick *p = arg;
	struct nl_addr *dst = rtnl_route_get_dst(rt);
	struct rtnl_nexthop *nh;

	if (rtnl_route_get_family(rt) != p->family || rtnl_route_get_table(rt) != RT_TABLE_MAIN ||
	    rtnl_route_get_type(rt) != RTN_UNICAST || (dst && nl_addr_get_prefixlen(dst) != 0) ||
	    rtnl_route_get_nnexthops(rt) < 1)
		return;
	if (p->oif && rtnl_route_get_priority(rt) >= p->best_prio)
		return;
	nh = rtnl_route_nexthop_n(rt, 0);
	if (!nh || rtnl_route_nh_get_ifindex(nh) <= 0)
		return;
	p->best_prio = rtnl_route_get_priority(rt);
	p->oif = rtnl_route_nh_get_ifindex(nh);
}

static int default_oif(struct nl_sock *sk, int family)
{
	struct nl_cache *c = NULL;
	struct route_pick p = {family, 0, 0};

	if (rtnl_route_alloc_cache(sk, family, 0, &c) < 0)
		return -EIO;
	nl_cache_foreach(c, pick_default, &p);
	nl_cache_free(c);
	return p.oif;
}

struct addr_seek {
	int ifindex;
	bool found;
};

static void seek_addr(struct nl_object *obj, void *arg)
{
	struct rtnl_addr *a = (struct rtnl_addr *)obj;
	struct addr_seek *s = arg;

	if (rtnl_addr_get_ifindex(a) != s->ifindex)
		return;
	/* an IPv6 link-local address (every up interface has one) makes no gateway */
	if (rtnl_addr_get_family(a) == AF_INET ||
	    (rtnl_addr_get_family(a) == AF_INET6 && rtnl_addr_get_scope(a) == RT_SCOPE_UNIVERSE))
		s->found = true;
}

int lw_blockenv_facts(struct lw_blockenv *e, struct lw_layout_facts *f)
{
	struct rtnl_link *link = NULL;
	struct nl_cache *c = NULL;
	struct addr_seek s = {0};
	const char *kind;
	int oif;

	memset(f, 0, sizeof(*f));
	if (rtnl_link_get_kernel(e->query, 0, e->ifname, &link) < 0)
		return -ENODEV;
	f->exists = true;
	kind = rtnl_link_get_type(link);
	f->is_bridge = kind && strcmp(kind, "bridge") == 0;
	s.ifindex = rtnl_link_get_ifindex(link);
	rtnl_link_put(link);
	if (rtnl_addr_alloc_cache(e->query, &c) < 0) {
		f->exists = false;
		return -EIO;
	}
	nl_cache_foreach(c, seek_addr, &s);
	nl_cache_free(c);
	f->has_addr = s.found;
	oif = default_oif(e->query, AF_INET);
	if (oif == 0)
		oif = default_oif(e->query, AF_INET6);
	if (oif < 0) {
		f->exists = false;
		return oif;
	}
	f->has_default = oif > 0;
	f->default_via_iface = oif == s.ifindex;
	return 0;
}

/* 1 or 0 as the file says, -errno when it cannot be read */
static int read_flag(const char *path)
{
	char buf[8] = "";
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -EIO;
	return buf[0] == '0' ? 0 : 1;
}

static int write_one(const char *path)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), e = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, "1", 1) != 1)
		e = -errno;
	close(fd);
	return e;
}

enum lw_brnf lw_blockenv_brnf(bool fix, bool *fixed)
{
	static const char *const paths[2] = {BRNF_DIR "/bridge-nf-call-iptables",
					     BRNF_DIR "/bridge-nf-call-ip6tables"};
	int v[2], i;

	if (fixed)
		*fixed = false;
	if (access(BRNF_DIR, F_OK) < 0)
		return LW_BRNF_NOT_LOADED;
	for (i = 0; i < 2; i++) {
		v[i] = read_flag(paths[i]);
		if (v[i] == 0 && fix && write_one(paths[i]) == 0 && read_flag(paths[i]) == 1) {
			lw_log_info("blocking: set net.bridge.%s=1 (was 0): the holds see bridged "
				    "packets only with it",
				    strrchr(paths[i], '/') + 1);
			v[i] = 1;
			if (fixed)
				*fixed = true;
		}
	}
	if (v[0] == 0)
		return LW_BRNF_CALL_OFF;
	if (v[1] == 0)
		return LW_BRNF_CALL6_OFF;
	return LW_BRNF_ON;
}

/* modprobe br_netfilter; 0 when it exited 0 */
static int modprobe_brnf(void)
{
	static const char *const progs[] = {"/sbin/modprobe", "/usr/sbin/modprobe"};
	char *argv[] = {"modprobe", "br_netfilter", NULL};
	size_t i;
	pid_t pid;
	int st;

	for (i = 0; i < sizeof(progs) / sizeof(progs[0]); i++) {
		if (access(progs[i], X_OK) < 0)
			continue;
		if (posix_spawn(&pid, progs[i], NULL, NULL, argv, environ) != 0)
			return -errno;
		while (waitpid(pid, &st, 0) < 0)
			if (errno != EINTR)
				return -errno;
		return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -EIO;
	}
	return -ENOENT;
}

void lw_blockenv_prepare(const struct lw_config *cfg)
{
	struct lw_block_health h = {0};
	struct lw_layout_facts f;
	struct lw_blockenv *e = NULL;
	enum lw_family_mode mode;
	int r;

	if (!cfg->block_enabled || lw_family_mode_parse(cfg->block_family, &mode) < 0 ||
	    lw_blockenv_new(cfg->interface, &e) < 0)
		return;
	lw_blockenv_facts(e, &f);
	lw_blockenv_free(e);
	h.layout = lw_layout_decide(&f, NULL);
	h.family = mode == LW_FAMILY_INET     ? LW_BLOCK_INET
		   : mode == LW_FAMILY_BRIDGE ? LW_BLOCK_BRIDGE
					      : lw_layout_family(h.layout);
	h.hold_dns = cfg->block_dns_hold;
	h.hold_hello = cfg->block_hello_hold;
	if (!lw_block_health_needs_brnf(&h))
		return;
	if (access(BRNF_DIR, F_OK) < 0) {
		if (geteuid() != 0)
			return; /* the running daemon names the fix */
		r = modprobe_brnf();
		if (r < 0 || access(BRNF_DIR, F_OK) < 0) {
			lw_log_warning("blocking: %s is bridged and modprobe br_netfilter failed "
				       "(%s)",
				       cfg->interface, r < 0 ? strerror(-r) : "no " BRNF_DIR);
			return;
		}
		lw_log_info("blocking: %s is bridged: loaded br_netfilter so that the holds see "
			    "bridged packets",
			    cfg->interface);
	}
	lw_blockenv_brnf(true, NULL);
}
