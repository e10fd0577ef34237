/* SPDX-License-Identifier: MIT */
/*
 * rtnetlink (RFC 3549; linux/rtnetlink.h, linux/neighbour.h) through libnl-3: a cache manager keeps the link and neighbour caches current (the neighbour
 * cache is filled family by family, NL_CACHE_AF_ITER, so it holds both the IPv4/IPv6
 * neighbours and the bridge FDB, family AF_BRIDGE); its change callbacks become lw_nl events.
 */
#include "netlink.h"

#include <errno.h>
#include <linux/neighbour.h>
#include <netlink/cache.h>
#include <netlink/errno.h>
#include <netlink/netlink.h>
#include <netlink/route/link.h>
#include <netlink/route/neighbour.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

struct lw_nl {
	char ifname[IF_NAMESIZE];
	lw_nl_fn fn;
	void *user_data;
	struct nl_cache_mngr *mngr;
	struct nl_cache *links;
	struct nl_cache *neigh;
	bool up;
	struct nl_sock *sync; /* refills the caches after lost notifications */
};

static int nl_errno(int e)
{
	switch (e < 0 ? -e : e) {
	case NLE_NOMEM:
		return -ENOMEM;
	case NLE_PERM:
		return -EPERM;
	case NLE_OBJ_NOTFOUND:
		return -ENOENT;
	case NLE_AGAIN:
		return -EAGAIN;
	case NLE_OPNOTSUPP:
		return -EOPNOTSUPP;
	case NLE_NODEV:
		return -ENODEV;
	default:
		return -EIO;
	}
}

static bool mac_of(struct nl_addr *a, struct lw_mac *mac)
{
	if (!a || nl_addr_get_len(a) != 6)
		return false;
	memcpy(mac->b, nl_addr_get_binary_addr(a), 6);
	return true;
}

static bool addr_of(struct nl_addr *a, struct lw_addr *out)
{
	memset(out, 0, sizeof(*out));
	if (!a)
		return false;
	if (nl_addr_get_family(a) == AF_INET && nl_addr_get_len(a) == 4) {
		lw_addr_from_v4(out, nl_addr_get_binary_addr(a));
		return true;
	}
	if (nl_addr_get_family(a) == AF_INET6 && nl_addr_get_len(a) == 16) {
		lw_addr_from_v6(out, nl_addr_get_binary_addr(a));
		return true;
	}
	return false;
}

/*
 * SIOCGIFINDEX on a netlink socket (the kernel answers interface ioctls on any socket):
 * if_nametoindex() opens an AF_UNIX or AF_INET socket for it, which the daemon's parser may
 * not.  The index, 0 when there is no such interface (errno ENODEV) or on error.
 */
static int ifindex_on(int fd, const char *name)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	if (strlen(name) >= sizeof(ifr.ifr_name)) {
		errno = ENODEV;
		return 0;
	}
	memcpy(ifr.ifr_name, name, strlen(name));
	if (ioctl(fd, SIOCGIFINDEX, &ifr) < 0)
		return 0;
	return ifr.ifr_ifindex;
}

int lw_nl_ifindex(const char *name)
{
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE), i, e;

	if (fd < 0)
		return 0;
	i = ifindex_on(fd, name);
	e = errno;
	close(fd);
	errno = e;
	return i;
}

bool lw_nl_ifup(const char *name)
{
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	struct ifreq ifr;
	bool up;

	if (fd < 0 || strlen(name) >= sizeof(ifr.ifr_name)) {
		if (fd >= 0)
			close(fd);
		return false;
	}
	memset(&ifr, 0, sizeof(ifr));
	memcpy(ifr.ifr_name, name, strlen(name));
	up = ioctl(fd, SIOCGIFFLAGS, &ifr) == 0 && (ifr.ifr_flags & IFF_UP);
	close(fd);
	return up;
}

/*
 * The watched interface's index, 0 while it does not exist.  Asked of the kernel, not looked
 * up by name in the link cache: besides each interface the cache holds the AF_BRIDGE objects
 * the kernel sends on the same group for a bridge and its ports (same names), and one of a
 * bridge that was deleted can stay behind, so a lookup by name (rtnl_link_get_by_name()) could
 * answer with the old bridge's index, still "up", once the bridge is created again.
 */
static int watched_index(const struct lw_nl *nl)
{
	return nl->sync ? ifindex_on(nl_socket_get_fd(nl->sync), nl->ifname)
			: lw_nl_ifindex(nl->ifname);
}

/* The watched interface from the link cache, with a reference, or NULL. */
static struct rtnl_link *watched_link(const struct lw_nl *nl)
{
	int i = watched_index(nl);

	return i > 0 ? rtnl_link_get(nl->links, i) : NULL;
}

static void update_link(struct lw_nl *nl)
{
	struct rtnl_link *l = watched_link(nl);
	bool up = l && (rtnl_link_get_flags(l) & IFF_UP);
	struct lw_nl_event ev = {.type = LW_NL_LINK, .up = up};

	if (l)
		rtnl_link_put(l);
	if (up == nl->up)
		return;
	nl->up = up;
	nl->fn(&ev, nl->user_data);
}

static void on_link(struct nl_cache *cache, struct nl_object *obj, int action, void *data)
{
	struct lw_nl *nl = data;

	(void)cache;
	(void)obj;
	(void)action;
	update_link(nl); /* the cache is current when this runs */
}

/* The FDB entry is one of the bridge's own (a port's address): not a client. */
static bool fdb_is_own(struct rtnl_neigh *n)
{
	return (rtnl_neigh_get_state(n) & NUD_PERMANENT) != 0;
}

/*
 * The FDB entry is on a port of bridge (the watched interface's ifindex), not of another
 * bridge of the same host.  The bridge's own entries carry it as NDA_MASTER; an entry a port's
 * driver reports itself (NTF_SELF) has none, and then the port's master decides.
 */
static bool fdb_on_bridge(struct nl_cache *links, struct rtnl_neigh *n, int bridge)
{
	int master = rtnl_neigh_get_master(n);
	struct rtnl_link *l;
	bool on;

	if (bridge <= 0)
		return false;
	if (master > 0)
		return master == bridge;
	l = rtnl_link_get(links, rtnl_neigh_get_ifindex(n));
	on = l && rtnl_link_get_master(l) == bridge;
	if (l)
		rtnl_link_put(l);
	return on;
}

static void on_neigh(struct nl_cache *cache, struct nl_object *obj, int action, void *data)
{
	struct lw_nl *nl = data;
	struct rtnl_neigh *n = (struct rtnl_neigh *)obj;
	struct lw_nl_event ev = {.removed = action == NL_ACT_DEL};
	int state = rtnl_neigh_get_state(n);

	(void)cache;
	if (!mac_of(rtnl_neigh_get_lladdr(n), &ev.mac))
		return;
	rtnl_link_i2name(nl->links, rtnl_neigh_get_ifindex(n), ev.port, sizeof(ev.port));
	if (rtnl_neigh_get_family(n) == AF_BRIDGE) {
		if (fdb_is_own(n) || !fdb_on_bridge(nl->links, n, watched_index(nl)))
			return;
		ev.type = LW_NL_FDB;
	} else {
		if (!addr_of(rtnl_neigh_get_dst(n), &ev.addr))
			return;
		if (!ev.removed && (state & (NUD_FAILED | NUD_INCOMPLETE | NUD_NOARP)))
			return;
		ev.type = LW_NL_NEIGH;
	}
	nl->fn(&ev, nl->user_data);
}

int lw_nl_new(const char *ifname, lw_nl_fn fn, void *user_data, struct lw_nl **out)
{
	struct lw_nl *nl;
	int r;

	*out = NULL;
	if (!fn || !ifname || strlen(ifname) >= IF_NAMESIZE)
		return -EINVAL;
	nl = calloc(1, sizeof(*nl));
	if (!nl)
		return -ENOMEM;
	snprintf(nl->ifname, sizeof(nl->ifname), "%s", ifname);
	nl->fn = fn;
	nl->user_data = user_data;
	/* flags 0: not NL_AUTO_PROVIDE, which would publish the caches in libnl's globals */
	r = nl_cache_mngr_alloc(NULL, NETLINK_ROUTE, 0, &nl->mngr);
	if (r == 0)
		r = nl_cache_mngr_add(nl->mngr, "route/link", on_link, nl, &nl->links);
	if (r == 0)
		r = nl_cache_alloc_name("route/neigh", &nl->neigh);
	if (r == 0) {
		nl_cache_set_flags(nl->neigh, NL_CACHE_AF_ITER);
		r = nl_cache_mngr_add_cache(nl->mngr, nl->neigh, on_neigh, nl);
		if (r < 0) {
			nl_cache_free(nl->neigh);
			nl->neigh = NULL;
		}
	}
	if (r < 0) {
		r = nl_errno(r);
		lw_nl_free(nl);
		return r;
	}
	nl->sync = nl_socket_alloc();
	if (nl->sync && nl_connect(nl->sync, NETLINK_ROUTE) < 0) {
		nl_socket_free(nl->sync);
		nl->sync = NULL;
	}
	{
		struct rtnl_link *l = watched_link(nl);

		nl->up = l && (rtnl_link_get_flags(l) & IFF_UP);
		if (l)
			rtnl_link_put(l);
	}
	*out = nl;
	return 0;
}

void lw_nl_free(struct lw_nl *nl)
{
	if (!nl)
		return;
	/* the manager frees the caches it manages */
	if (nl->mngr)
		nl_cache_mngr_free(nl->mngr);
	if (nl->sync)
		nl_socket_free(nl->sync);
	free(nl);
}

int lw_nl_fd(const struct lw_nl *nl)
{
	return nl_cache_mngr_get_fd(nl->mngr);
}

int lw_nl_dispatch(struct lw_nl *nl)
{
	int r = nl_cache_mngr_data_ready(nl->mngr);

	if (r < 0 && r != -NLE_AGAIN) {
		/*
		 * lost notifications (the socket buffer overflowed): start over from the
		 * kernel's tables so the caches are right again
		 */
		if (nl->sync) {
			nl_cache_refill(nl->sync, nl->links);
			nl_cache_refill(nl->sync, nl->neigh);
		}
		update_link(nl);
		return nl_errno(r);
	}
	return 0;
}

bool lw_nl_link_up(const struct lw_nl *nl)
{
	return nl->up;
}

struct find {
	const struct lw_mac *mac;
	const struct lw_addr *addr;
	struct nl_cache *links;
	int bridge;
	struct lw_mac found_mac;
	int ifindex;
	bool found;
};

static void find_fdb(struct nl_object *obj, void *data)
{
	struct rtnl_neigh *n = (struct rtnl_neigh *)obj;
	struct find *f = data;
	struct lw_mac m;

	if (f->found || rtnl_neigh_get_family(n) != AF_BRIDGE || fdb_is_own(n) ||
	    !mac_of(rtnl_neigh_get_lladdr(n), &m) || memcmp(m.b, f->mac->b, 6) != 0 ||
	    !fdb_on_bridge(f->links, n, f->bridge))
		return;
	f->ifindex = rtnl_neigh_get_ifindex(n);
	f->found = true;
}

int lw_nl_port_of(struct lw_nl *nl, const struct lw_mac *mac, char *port)
{
	struct find f = {
		.mac = mac,
		.links = nl->links,
		.bridge = watched_index(nl),
	};

	nl_cache_foreach(nl->neigh, find_fdb, &f);
	if (!f.found || !rtnl_link_i2name(nl->links, f.ifindex, port, IF_NAMESIZE))
		return -ENOENT;
	return 0;
}

static void find_neigh(struct nl_object *obj, void *data)
{
	struct rtnl_neigh *n = (struct rtnl_neigh *)obj;
	struct find *f = data;
	struct lw_addr a;

	if (f->found || rtnl_neigh_get_family(n) == AF_BRIDGE ||
	    !addr_of(rtnl_neigh_get_dst(n), &a) || !lw_addr_eq(&a, f->addr) ||
	    (rtnl_neigh_get_state(n) & (NUD_FAILED | NUD_INCOMPLETE)))
		return;
	f->found = mac_of(rtnl_neigh_get_lladdr(n), &f->found_mac);
}

int lw_nl_mac_of(struct lw_nl *nl, const struct lw_addr *addr, struct lw_mac *mac)
{
	struct find f = {.addr = addr};

	nl_cache_foreach(nl->neigh, find_neigh, &f);
	if (!f.found)
		return -ENOENT;
	*mac = f.found_mac;
	return 0;
}

int lw_nl_ifname(struct lw_nl *nl, int ifindex, char *name)
{
	if (ifindex <= 0 || !rtnl_link_i2name(nl->links, ifindex, name, IF_NAMESIZE))
		return -ENOENT;
	return 0;
}

struct ifaces {
	int *ifindex;
	size_t max, n;
	int bridge;
};

static void pick_iface(struct nl_object *obj, void *data)
{
	struct rtnl_link *l = (struct rtnl_link *)obj;
	struct ifaces *i = data;
	int idx = rtnl_link_get_ifindex(l);
	size_t k;

	if (i->n >= i->max ||
	    (idx != i->bridge && (i->bridge <= 0 || rtnl_link_get_master(l) != i->bridge)))
		return;
	/* once each: a port has an AF_BRIDGE object too (see watched_index()) */
	for (k = 0; k < i->n; k++)
		if (i->ifindex[k] == idx)
			return;
	i->ifindex[i->n++] = idx;
}

size_t lw_nl_ports(struct lw_nl *nl, int *ifindex, size_t max)
{
	struct ifaces ifs = {.ifindex = ifindex, .max = max, .bridge = watched_index(nl)};

	if (ifs.bridge <= 0 || !max)
		return 0;
	/* the watched interface first, whether or not the cache has it yet */
	ifindex[ifs.n++] = ifs.bridge;
	nl_cache_foreach(nl->links, pick_iface, &ifs);
	return ifs.n;
}
