/* SPDX-License-Identifier: MIT */
/*
 * layout: which kind of access point the captured interface belongs to, and what blocking
 * needs there.  Pure: facts in (gathered by the daemon through netlink and /proc), decisions
 * and report text out.
 *
 * - bridged: the AP passes the clients' frames on at layer 2 to a router elsewhere (the bridge
 *   has no address of its own, or its default route leaves through the bridge itself).  The
 *   blocking table is "table bridge" (forward hook of the bridge); the hold rules sit on the
 *   inet/ip forward hook and see bridged frames only through br_netfilter with
 *   net.bridge.bridge-nf-call-iptables (and -ip6tables) = 1.
 * - routed: the AP is the clients' gateway (the captured interface holds an address) and the
 *   default route leaves through another interface (the WAN side): traffic to the internet is
 *   routed, not bridged, and never crosses a bridge forward hook.  The table is "table inet"
 *   (forward hook); the holds need no br_netfilter.
 * An interface that is not a bridge (a Wi-Fi or VLAN interface captured directly) cannot
 * bridge anything: routed.
 */
#ifndef LW_BLOCK_LAYOUT_H
#define LW_BLOCK_LAYOUT_H

#include "block/block.h"
#include "block/hold.h"

enum lw_layout {
	LW_LAYOUT_UNKNOWN, /* the interface is not there (yet) */
	LW_LAYOUT_BRIDGED,
	LW_LAYOUT_ROUTED,
};

/* What the kernel says about the captured interface (the daemon reads it through netlink). */
struct lw_layout_facts {
	bool exists; /* the captured interface is there */
	bool is_bridge; /* its link kind is "bridge" */
	bool has_addr; /* it holds an IPv4 address or a global IPv6 address */
	bool has_default; /* the main table has a default route (IPv4, else IPv6) */
	bool default_via_iface; /* ... and the lowest-metric one leaves through this interface */
};

/* The layout and a short reason ("br0 has no address"); why may be NULL. */
enum lw_layout lw_layout_decide(const struct lw_layout_facts *f, const char **why);
/* The table family for a layout: inet for routed, bridge otherwise. */
enum lw_block_family lw_layout_family(enum lw_layout l);
const char *lw_layout_str(enum lw_layout l); /* "unknown", "bridged", "routed" */

/* [block] family: auto (from the layout), or forced */
enum lw_family_mode {
	LW_FAMILY_AUTO,
	LW_FAMILY_BRIDGE,
	LW_FAMILY_INET,
};
/* "auto" / "bridge" / "inet" -> 0; else -EINVAL */
int lw_family_mode_parse(const char *s, enum lw_family_mode *out);

/* "auto" / "nft" / "xtables" -> 0; else -EINVAL */
int lw_queue_path_parse(const char *s, enum lw_queue_path *out);
const char *lw_queue_path_str(enum lw_queue_path p);

/* br_netfilter as the AP's network namespace has it */
enum lw_brnf {
	LW_BRNF_NOT_NEEDED, /* the holds do not sit on a bridge (routed layout, or no holds) */
	LW_BRNF_ON, /* loaded, and bridge-nf-call-iptables (and -ip6tables) = 1 */
	LW_BRNF_NOT_LOADED, /* /proc/sys/net/bridge absent */
	LW_BRNF_CALL_OFF, /* loaded, bridge-nf-call-iptables = 0 */
	LW_BRNF_CALL6_OFF, /* loaded, only bridge-nf-call-ip6tables = 0 (IPv6 not held) */
};

/* Everything blocking relies on, as last checked. */
struct lw_block_health {
	enum lw_layout layout;
	enum lw_family_mode mode;
	enum lw_block_family family; /* of the table in use */
	bool table_ok; /* the table, its sets and chain are in the kernel */
	bool hold_dns, hold_hello; /* configured */
	bool hold_queue_ok; /* the queue is bound (false: no holds at all) */
	bool flagged; /* something is flagged (the hold rules are installed only then) */
	bool rules_on; /* the hold rules are installed */
	bool rules_failed; /* the last attempt to install them failed */
	enum lw_hold_via via; /* the path the rules went (or, tried at start, would go) through */
	enum lw_queue_path want_path; /* configured */
	enum lw_brnf brnf;
	bool brnf_set; /* the daemon turned bridge-nf-call-* on itself */
	char flowtable[96]; /* "inet fw4 ft": a flowtable offloads forwarded flows; "" none */
};

/*
 * The first flowtable in the text of "nft list flowtables" ("table inet fw4 {" then
 * "flowtable ft {"), as "inet fw4 ft" in name (len bytes).  Returns how many the text has.
 */
unsigned lw_layout_flowtables(const char *listing, char *name, size_t len);

/* Whether holds on this layout rely on br_netfilter (holds configured, layout bridged). */
bool lw_block_health_needs_brnf(const struct lw_block_health *h);

/*
 * The holds as a person should read them: "DNS-hold and hello-hold on (xtables NFQUEUE
 * target)", "off (nothing flagged)", "DNS-hold and hello-hold are OFF: br_netfilter not loaded
 * (run: modprobe br_netfilter)".  Never says on when nothing would be held.  Returns the
 * length written (truncated to len - 1).
 */
size_t lw_block_health_holds(const struct lw_block_health *h, char *buf, size_t len);

/*
 * Every mechanism blocking relies on that is missing, one per line ("" when none), each with
 * the fix: e.g. "br_netfilter not loaded: DNS-hold and hello-hold see no bridged packet (run:
 * modprobe br_netfilter, and list it in /etc/modules-load.d/br_netfilter.conf)".  Returns the
 * number of problems.
 */
unsigned lw_block_health_problems(const struct lw_block_health *h, char *buf, size_t len);

/* br_netfilter's state word for block.br_netfilter: "not needed", "on", "not loaded", ... */
const char *lw_brnf_str(enum lw_brnf b);
/* "nft", "xtables" or "none" */
const char *lw_hold_via_str(enum lw_hold_via v);

#endif
