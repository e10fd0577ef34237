/* SPDX-License-Identifier: MIT */
/*
 * A build without the `netlink` option (no libnl-3, libnl-route-3, libnl-genl-3): netlink.c
 * and station.c are left out and these stand in.  Interfaces are still looked up by name
 * (SIOCGIFINDEX, SIOCGIFFLAGS), but the bridge's ports, the neighbour table and nl80211's
 * stations are not read: lw_nl_new and lw_station_dump_new fail with -ENOTSUP, which the
 * daemon reports once and goes on without (devices are then known by their captured MAC
 * addresses only, without the AP port or the Wi-Fi station details).
 */
#include "ap/netlink.h"
#include "ap/station.h"

#include <errno.h>
#include <linux/netlink.h>
#include <net/if.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

/* (an AF_NETLINK socket for the ioctls, as netlink.c: the parser's filter allows no other) */
int lw_nl_ifindex(const char *name)
{
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE), i = 0, e;
	struct ifreq ifr = {0};

	if (fd < 0)
		return 0;
	if (strlen(name) < sizeof(ifr.ifr_name)) {
		memcpy(ifr.ifr_name, name, strlen(name));
		if (ioctl(fd, SIOCGIFINDEX, &ifr) == 0)
			i = ifr.ifr_ifindex;
	}
	e = errno;
	close(fd);
	errno = e;
	return i;
}

bool lw_nl_ifup(const char *name)
{
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	struct ifreq ifr = {0};
	bool up;

	if (fd < 0)
		return false;
	if (strlen(name) >= sizeof(ifr.ifr_name)) {
		close(fd);
		return false;
	}
	memcpy(ifr.ifr_name, name, strlen(name));
	up = ioctl(fd, SIOCGIFFLAGS, &ifr) == 0 && (ifr.ifr_flags & IFF_UP);
	close(fd);
	return up;
}

int lw_nl_new(const char *ifname, lw_nl_fn fn, void *user_data, struct lw_nl **out)
{
	*out = NULL;
	return -ENOTSUP;
}

void lw_nl_free(struct lw_nl *nl)
{
}

int lw_nl_fd(const struct lw_nl *nl)
{
	return -1;
}

int lw_nl_dispatch(struct lw_nl *nl)
{
	return 0;
}

bool lw_nl_link_up(const struct lw_nl *nl)
{
	return true;
}

int lw_nl_port_of(struct lw_nl *nl, const struct lw_mac *mac, char *port)
{
	return -ENOTSUP;
}

int lw_nl_mac_of(struct lw_nl *nl, const struct lw_addr *addr, struct lw_mac *mac)
{
	return -ENOTSUP;
}

int lw_nl_ifname(struct lw_nl *nl, int ifindex, char *name)
{
	return -ENOENT;
}

size_t lw_nl_ports(struct lw_nl *nl, int *ifindex, size_t max)
{
	return 0;
}

int lw_station_parse(const void *buf, size_t len, struct lw_station *st)
{
	return -ENOTSUP;
}

int lw_station_dump_new(lw_station_fn fn, lw_station_done_fn done, void *user_data,
			struct lw_station_dump **out)
{
	*out = NULL;
	return -ENOTSUP;
}

void lw_station_dump_free(struct lw_station_dump *d)
{
}

int lw_station_dump_fd(const struct lw_station_dump *d)
{
	return -1;
}

int lw_station_dump_start(struct lw_station_dump *d, const int *ifindex, size_t n)
{
	return -ENOTSUP;
}

int lw_station_dump_dispatch(struct lw_station_dump *d)
{
	return 0;
}

bool lw_station_dump_busy(const struct lw_station_dump *d)
{
	return false;
}

void lw_station_dump_get_stats(const struct lw_station_dump *d, struct lw_station_stats *out)
{
	*out = (struct lw_station_stats){0};
}

void lw_station_dump_set_family(struct lw_station_dump *d, int family)
{
}
