/* SPDX-License-Identifier: MIT */
/* The AP's layout and what blocking needs there (layout.h). */
#include "block/layout.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

enum lw_layout lw_layout_decide(const struct lw_layout_facts *f, const char **why)
{
	const char *w;
	enum lw_layout l;

	if (!f->exists) {
		w = "the interface is not there";
		l = LW_LAYOUT_UNKNOWN;
	} else if (!f->is_bridge) {
		w = "not a bridge: its traffic can only be routed";
		l = LW_LAYOUT_ROUTED;
	} else if (!f->has_addr) {
		w = "the bridge holds no address";
		l = LW_LAYOUT_BRIDGED;
	} else if (!f->has_default) {
		w = "the bridge holds an address but there is no default route";
		l = LW_LAYOUT_BRIDGED;
	} else if (f->default_via_iface) {
		w = "the default route leaves through the bridge itself";
		l = LW_LAYOUT_BRIDGED;
	} else {
		w = "the bridge holds an address and the default route leaves through another "
		    "interface";
		l = LW_LAYOUT_ROUTED;
	}
	if (why)
		*why = w;
	return l;
}

enum lw_block_family lw_layout_family(enum lw_layout l)
{
	return l == LW_LAYOUT_ROUTED ? LW_BLOCK_INET : LW_BLOCK_BRIDGE;
}

const char *lw_layout_str(enum lw_layout l)
{
	switch (l) {
	case LW_LAYOUT_UNKNOWN:
		break;
	case LW_LAYOUT_BRIDGED:
		return "bridged";
	case LW_LAYOUT_ROUTED:
		return "routed";
	}
	return "unknown";
}

int lw_family_mode_parse(const char *s, enum lw_family_mode *out)
{
	if (strcmp(s, "auto") == 0)
		*out = LW_FAMILY_AUTO;
	else if (strcmp(s, "bridge") == 0)
		*out = LW_FAMILY_BRIDGE;
	else if (strcmp(s, "inet") == 0)
		*out = LW_FAMILY_INET;
	else
		return -EINVAL;
	return 0;
}

int lw_queue_path_parse(const char *s, enum lw_queue_path *out)
{
	if (strcmp(s, "auto") == 0)
		*out = LW_QUEUE_AUTO;
	else if (strcmp(s, "nft") == 0)
		*out = LW_QUEUE_NFT;
	else if (strcmp(s, "xtables") == 0)
		*out = LW_QUEUE_XTABLES;
	else
		return -EINVAL;
	return 0;
}

const char *lw_queue_path_str(enum lw_queue_path p)
{
	switch (p) {
	case LW_QUEUE_AUTO:
		break;
	case LW_QUEUE_NFT:
		return "nft";
	case LW_QUEUE_XTABLES:
		return "xtables";
	}
	return "auto";
}

const char *lw_brnf_str(enum lw_brnf b)
{
	switch (b) {
	case LW_BRNF_NOT_NEEDED:
		break;
	case LW_BRNF_ON:
		return "on";
	case LW_BRNF_NOT_LOADED:
		return "not loaded";
	case LW_BRNF_CALL_OFF:
		return "bridge-nf-call-iptables=0";
	case LW_BRNF_CALL6_OFF:
		return "bridge-nf-call-ip6tables=0";
	}
	return "not needed";
}

const char *lw_hold_via_str(enum lw_hold_via v)
{
	switch (v) {
	case LW_HOLD_VIA_NONE:
		break;
	case LW_HOLD_VIA_NFT:
		return "nft";
	case LW_HOLD_VIA_XTABLES:
		return "xtables";
	}
	return "none";
}

/* the next whitespace-separated word of *p (at most len - 1 bytes kept), moving *p past it */
static void next_word(const char **p, char *w, size_t len)
{
	size_t n = 0;

	while (**p == ' ' || **p == '\t')
		(*p)++;
	while (**p && !isspace((unsigned char)**p)) {
		if (n + 1 < len)
			w[n++] = **p;
		(*p)++;
	}
	w[n] = '\0';
}

unsigned lw_layout_flowtables(const char *listing, char *name, size_t len)
{
	char table[64] = "", word[64], fam[16], tname[40];
	const char *p = listing;
	unsigned n = 0;

	if (len)
		name[0] = '\0';
	while (p && *p) {
		const char *line = p;

		next_word(&line, word, sizeof(word));
		if (strcmp(word, "table") == 0) {
			next_word(&line, fam, sizeof(fam));
			next_word(&line, tname, sizeof(tname));
			snprintf(table, sizeof(table), "%s %s", fam, tname);
		} else if (strcmp(word, "flowtable") == 0) {
			next_word(&line, word, sizeof(word));
			if (n++ == 0 && len)
				snprintf(name, len, "%s%s%s", table, table[0] ? " " : "", word);
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return n;
}

static bool holds_wanted(const struct lw_block_health *h)
{
	return h->hold_dns || h->hold_hello;
}

bool lw_block_health_needs_brnf(const struct lw_block_health *h)
{
	/* inet/ip hooks see bridged frames only through br_netfilter: the holds always sit
	 * there, the blocking table too when the family is inet */
	return h->layout == LW_LAYOUT_BRIDGED && (holds_wanted(h) || h->family == LW_BLOCK_INET);
}

/* br_netfilter keeps the inet hooks from seeing bridged IPv4 frames */
static bool brnf_blind(const struct lw_block_health *h)
{
	return lw_block_health_needs_brnf(h) &&
	       (h->brnf == LW_BRNF_NOT_LOADED || h->brnf == LW_BRNF_CALL_OFF);
}

/* "DNS-hold and hello-hold are", "DNS-hold is", "hello-hold is" */
static const char *holds_are(const struct lw_block_health *h)
{
	return h->hold_dns && h->hold_hello ? "DNS-hold and hello-hold are"
	       : h->hold_dns		    ? "DNS-hold is"
					    : "hello-hold is";
}

/* "DNS-hold and hello-hold", "DNS-hold", "hello-hold" */
static const char *holds_name(const struct lw_block_health *h)
{
	return h->hold_dns && h->hold_hello ? "DNS-hold and hello-hold"
	       : h->hold_dns		    ? "DNS-hold"
					    : "hello-hold";
}

static const char *brnf_fix(enum lw_brnf b)
{
	return b == LW_BRNF_NOT_LOADED
		       ? "br_netfilter not loaded (run: modprobe br_netfilter; to load it at "
			 "boot: echo br_netfilter > /etc/modules-load.d/br_netfilter.conf)"
	       : b == LW_BRNF_CALL_OFF ? "net.bridge.bridge-nf-call-iptables is 0 (run: sysctl -w "
					 "net.bridge.bridge-nf-call-iptables=1)"
				       : "net.bridge.bridge-nf-call-ip6tables is 0 (run: sysctl -w "
					 "net.bridge.bridge-nf-call-ip6tables=1)";
}

struct out {
	char *p;
	size_t len, n;
};

static void out_printf(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void out_printf(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int k;

	if (o->len == 0 || o->n >= o->len - 1)
		return;
	va_start(ap, fmt);
	k = vsnprintf(o->p + o->n, o->len - o->n, fmt, ap);
	va_end(ap);
	if (k > 0)
		o->n = o->n + (size_t)k < o->len ? o->n + (size_t)k : o->len - 1;
}

size_t lw_block_health_holds(const struct lw_block_health *h, char *buf, size_t len)
{
	struct out o = {buf, len, 0};

	if (len)
		buf[0] = '\0';
	if (!holds_wanted(h)) {
		out_printf(&o, "off (dns_hold and hello_hold = no)");
	} else if (!h->hold_queue_ok) {
		out_printf(&o, "%s OFF: the queue could not be opened", holds_are(h));
	} else if (brnf_blind(h)) {
		out_printf(&o, "%s OFF: %s", holds_are(h), brnf_fix(h->brnf));
	} else if (h->rules_failed) {
		out_printf(&o, "%s OFF: the queue rules could not be installed (queue_path %s)",
			   holds_are(h), lw_queue_path_str(h->want_path));
	} else if (!h->flagged || !h->rules_on) {
		out_printf(&o, "off until something is flagged (queue path %s)",
			   lw_hold_via_str(h->via));
	} else {
		out_printf(&o, "%s on (%s)", holds_name(h),
			   h->via == LW_HOLD_VIA_NFT ? "nft queue" : "xtables NFQUEUE target");
		if (lw_block_health_needs_brnf(h) && h->brnf == LW_BRNF_CALL6_OFF)
			out_printf(&o, "; IPv6 not held: %s", brnf_fix(h->brnf));
	}
	return o.n;
}

unsigned lw_block_health_problems(const struct lw_block_health *h, char *buf, size_t len)
{
	struct out o = {buf, len, 0};
	unsigned n = 0;

	if (len)
		buf[0] = '\0';
#define PROBLEM(...)                                 \
	do {                                         \
		out_printf(&o, "%s", n ? "\n" : ""); \
		out_printf(&o, __VA_ARGS__);         \
		n++;                                 \
	} while (0)
	if (h->layout == LW_LAYOUT_UNKNOWN)
		PROBLEM("layout unknown: the captured interface is not there (blocking as on a "
			"bridged AP until it is)");
	if (!h->table_ok)
		PROBLEM("the nftables table or its sets are missing (nothing is blocked; see the "
			"log for nft's error)");
	if (h->layout == LW_LAYOUT_ROUTED && h->family == LW_BLOCK_BRIDGE)
		PROBLEM("family = bridge on a routed AP: traffic to the internet is routed and "
			"never crosses the bridge's forward hook, so nothing is blocked (set "
			"[block] family = auto or inet)");
	if (h->layout == LW_LAYOUT_BRIDGED && h->family == LW_BLOCK_INET && brnf_blind(h))
		PROBLEM("family = inet on a bridged AP sees bridged traffic only through "
			"br_netfilter: nothing is blocked while %s",
			brnf_fix(h->brnf));
	if (holds_wanted(h) && !h->hold_queue_ok)
		PROBLEM("%s OFF: the NFQUEUE could not be opened (needs CAP_NET_ADMIN and "
			"nfnetlink_queue; another program may hold queue_num)",
			holds_name(h));
	else if (holds_wanted(h) && brnf_blind(h))
		PROBLEM("%s OFF: %s", holds_name(h), brnf_fix(h->brnf));
	else if (holds_wanted(h) && h->rules_failed)
		PROBLEM("%s OFF: the queue rules could not be installed (queue_path %s: %s)",
			holds_name(h), lw_queue_path_str(h->want_path),
			h->want_path == LW_QUEUE_NFT
				? "the kernel needs nft_queue (CONFIG_NFT_QUEUE)"
			: h->want_path == LW_QUEUE_XTABLES
				? "the kernel needs the xt NFQUEUE target and nft_compat"
				: "the kernel has neither nft_queue nor the xt NFQUEUE target");
	if (holds_wanted(h) && h->hold_queue_ok && lw_block_health_needs_brnf(h) &&
	    h->brnf == LW_BRNF_CALL6_OFF)
		PROBLEM("IPv6 %s OFF: %s", holds_name(h), brnf_fix(h->brnf));
	if (h->flowtable[0])
		PROBLEM("flow offloading is on (flowtable %s): offloaded connections skip the "
			"forward hook, so one already open when its server is flagged keeps "
			"going%s "
			"(turn offloading off, on OpenWrt: uci set "
			"firewall.@defaults[0].flow_offloading=0; uci set "
			"firewall.@defaults[0].flow_offloading_hw=0; uci commit firewall; service "
			"firewall restart; or end a flagged server's open connections: conntrack "
			"-D "
			"-d ADDRESS)",
			h->flowtable,
			h->hold_hello
				? " and hello-hold never sees the ClientHello after the handshake"
				: "");
#undef PROBLEM
	return n;
}
