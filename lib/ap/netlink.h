/* SPDX-License-Identifier: MIT */
/*
 * What the kernel knows about the AP's clients, through libnl: the bridge forwarding database
 * (which port each MAC is on), the neighbour tables (IP <-> MAC), link up/down of the captured
 * interface, and its bridge ports (whose Wi-Fi stations station.h asks nl80211 about).
 *
 * One pollable fd (libnl's cache manager socket); the caches stay current from the kernel's
 * notifications and are looked up in memory.
 */
#ifndef LW_AP_NETLINK_H
#define LW_AP_NETLINK_H

#include <net/if.h>

#include "core/types.h"

enum lw_nl_event_type {
	LW_NL_LINK, /* the watched interface went up or down (or was removed / re-created) */
	LW_NL_FDB, /* an FDB entry (mac -> port) of the watched bridge appeared, moved or went */
	LW_NL_NEIGH, /* a neighbour entry (addr <-> mac) appeared, changed or went */
};

struct lw_nl_event {
	enum lw_nl_event_type type;
	bool up; /* LINK: exists and is administratively up */
	bool removed; /* FDB / NEIGH: the entry went */
	struct lw_mac mac; /* FDB, NEIGH */
	struct lw_addr addr; /* NEIGH */
	char port[IF_NAMESIZE]; /* FDB: the bridge port; NEIGH: the interface */
};

typedef void (*lw_nl_fn)(const struct lw_nl_event *ev, void *user_data);

struct lw_nl;

/* Watches ifname (the captured interface, usually the bridge).  0 or -errno. */
int lw_nl_new(const char *ifname, lw_nl_fn fn, void *user_data, struct lw_nl **out);
void lw_nl_free(struct lw_nl *nl);

int lw_nl_fd(const struct lw_nl *nl);
/* Reads the pending notifications, calling fn for the ones that matter.  0 or -errno. */
int lw_nl_dispatch(struct lw_nl *nl);

/* The watched interface exists and is up. */
bool lw_nl_link_up(const struct lw_nl *nl);
/*
 * The port of the watched bridge mac was last seen on (FDB), 0 or -ENOENT (also when the
 * watched interface is not a bridge).  port has IF_NAMESIZE bytes; untouched on -ENOENT.
 */
int lw_nl_port_of(struct lw_nl *nl, const struct lw_mac *mac, char *port);
/* The MAC of a neighbour address, 0 or -ENOENT. */
int lw_nl_mac_of(struct lw_nl *nl, const struct lw_addr *addr, struct lw_mac *mac);

/*
 * An interface's index asked of the kernel through a netlink socket (if_nametoindex() needs an
 * AF_UNIX or AF_INET one), 0 when there is none (errno ENODEV) or on error.
 */
int lw_nl_ifindex(const char *name);
/* The interface exists and is administratively up (asked the same way). */
bool lw_nl_ifup(const char *name);

/* The name of an interface from the link cache, 0 or -ENOENT.  name has IF_NAMESIZE bytes. */
int lw_nl_ifname(struct lw_nl *nl, int ifindex, char *name);
/*
 * The watched interface and, if it is a bridge, its ports as they are now (at most max, the
 * watched one first), from the link cache: no request to the kernel.  Their number; 0 while
 * the watched interface does not exist.
 */
size_t lw_nl_ports(struct lw_nl *nl, int *ifindex, size_t max);

#endif
