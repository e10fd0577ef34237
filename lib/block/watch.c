/* SPDX-License-Identifier: MIT */
/*
 * The watch on leakwatch's nftables tables (see watch.h).
 *
 * Notifications and dump replies are the same nf_tables messages, parsed with libmnl:
 *
 *   nlmsghdr (type NFNL_SUBSYS_NFTABLES << 8 | NFT_MSG_*) | nfgenmsg (family) | attributes
 *     NEW/DELTABLE    NFTA_TABLE_NAME
 *     NEW/DELCHAIN    NFTA_CHAIN_TABLE, NFTA_CHAIN_NAME
 *     NEW/DELRULE     NFTA_RULE_TABLE, NFTA_RULE_CHAIN, NFTA_RULE_HANDLE (be64)
 *     NEW/DELSET      NFTA_SET_TABLE, NFTA_SET_NAME
 *     NEW/DELSETELEM  NFTA_SET_ELEM_LIST_TABLE, _SET, _ELEMENTS { NFTA_LIST_ELEM {
 *                         NFTA_SET_ELEM_KEY { NFTA_DATA_VALUE (the key bytes) } } ... }
 *     NEWGEN          the end of a transaction (notifications only)
 *
 * Set keys are laid out in 32-bit registers: a MAC (6 bytes) takes 8, so "ether_addr .
 * ipv4_addr" is 12 bytes (MAC, 2 of padding, address) and "ether_addr . ipv6_addr" 24.
 * Deleting a table or a set announces neither its elements nor, for a table, always its
 * chains and rules: those go with it here too.
 */
#include "block/watch.h"

#include <endian.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define ATTR_MAX 8 /* highest attribute number read, + 1 */

enum { WT_MAIN, WT_HOLD_INET, WT_HOLD_IP, WT_HOLD_IP6, WT_COUNT };

enum { CHAIN_FORWARD = 1, CHAIN_OUTPUT = 2 };

#define ALL_SETS 0xfu

struct rule_ref {
	uint64_t handle;
	unsigned chain;
};

struct wtable {
	uint8_t nfproto;
	char name[LW_BLOCK_TABLE_MAX + 8];
	bool present;
	unsigned chains; /* CHAIN_* */
	unsigned sets; /* bit has_mac * 2 + v6 (main table) */
	struct rule_ref rules[LW_WATCH_RULES_MAX];
	size_t n_rules;
	bool rules_overflow; /* more rules than remembered: their count is unknown */
};

struct lw_block_watch {
	struct mnl_socket *nl;
	struct wtable t[WT_COUNT];
	size_t main_rules; /* rules lw_block_cmd_setup puts in the forward chain */
	lw_watch_elem_fn fn;
	void *user_data;
	bool complete; /* the last message ended a transaction (or a dump) */
	bool lost; /* notifications were lost: discard what is queued, then dump */
	uint64_t losses;
	uint32_t seq;
	char buf[LW_WATCH_BUF];
};

/* --- the mirror ------------------------------------------------------------------------- */

static void table_reset(struct wtable *t)
{
	t->present = false;
	t->chains = 0;
	t->sets = 0;
	t->n_rules = 0;
	t->rules_overflow = false;
}

static struct wtable *find_table(struct lw_block_watch *w, uint8_t nfproto, const char *name)
{
	size_t i;

	for (i = 0; i < WT_COUNT; i++)
		if (w->t[i].nfproto == nfproto && strcmp(w->t[i].name, name) == 0)
			return &w->t[i];
	return NULL;
}

static unsigned chain_bit(const char *name)
{
	if (strcmp(name, "forward") == 0)
		return CHAIN_FORWARD;
	if (strcmp(name, "output") == 0)
		return CHAIN_OUTPUT;
	return 0;
}

/* The set's bit (has_mac * 2 + v6), or -1 when it is not one of ours. */
static int set_index(const char *name)
{
	int i;

	for (i = 0; i < 4; i++)
		if (strcmp(name, lw_block_set_name(i >= 2, i & 1)) == 0)
			return i;
	return -1;
}

static void rule_add(struct wtable *t, uint64_t handle, unsigned chain)
{
	size_t i;

	for (i = 0; i < t->n_rules; i++)
		if (t->rules[i].handle == handle)
			return;
	if (t->n_rules == LW_WATCH_RULES_MAX) {
		t->rules_overflow = true;
		return;
	}
	t->rules[t->n_rules].handle = handle;
	t->rules[t->n_rules++].chain = chain;
}

/* Forgets the rule with that handle, or (chain != 0) every rule of that chain. */
static void rule_del(struct wtable *t, uint64_t handle, unsigned chain)
{
	size_t i = 0;

	while (i < t->n_rules) {
		if (chain ? t->rules[i].chain == chain : t->rules[i].handle == handle)
			t->rules[i] = t->rules[--t->n_rules];
		else
			i++;
	}
}

static size_t rule_count(const struct wtable *t, unsigned chains)
{
	size_t i, n = 0;

	for (i = 0; i < t->n_rules; i++)
		if (t->rules[i].chain & chains)
			n++;
	return n;
}

/* --- messages --------------------------------------------------------------------------- */

static int attr_cb(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;
	uint16_t type = mnl_attr_get_type(a);

	if (type < ATTR_MAX)
		tb[type] = a;
	return MNL_CB_OK;
}

/* A NUL-terminated string attribute, or NULL. */
static const char *attr_str(const struct nlattr *a)
{
	if (!a || mnl_attr_validate(a, MNL_TYPE_NUL_STRING) < 0)
		return NULL;
	return mnl_attr_get_str(a);
}

/* The key of one set element into e (for the set with bit si); false if it is not a key of ours. */
static bool elem_key(const struct nlattr *elem, int si, struct lw_block_elem *e)
{
	const struct nlattr *tb[ATTR_MAX] = {NULL}, *kb[ATTR_MAX] = {NULL};
	const uint8_t *k;
	size_t len, want, off;
	bool has_mac = si >= 2, v6 = si & 1;

	if (mnl_attr_parse_nested(elem, attr_cb, tb) < 0 || !tb[NFTA_SET_ELEM_KEY] ||
	    mnl_attr_parse_nested(tb[NFTA_SET_ELEM_KEY], attr_cb, kb) < 0 || !kb[NFTA_DATA_VALUE])
		return false;
	k = mnl_attr_get_payload(kb[NFTA_DATA_VALUE]);
	len = mnl_attr_get_payload_len(kb[NFTA_DATA_VALUE]);
	off = has_mac ? 8 : 0; /* the MAC, padded to two registers */
	want = off + (v6 ? 16 : 4);
	if (len != want)
		return false;
	memset(e, 0, sizeof(*e));
	e->has_mac = has_mac;
	if (has_mac)
		memcpy(e->mac.b, k, 6);
	if (v6)
		lw_addr_from_v6(&e->addr, k + off);
	else
		lw_addr_from_v4(&e->addr, k + off);
	return true;
}

static void on_elems(struct lw_block_watch *w, const struct nlattr *const *tb, bool add)
{
	const struct nlattr *list = tb[NFTA_SET_ELEM_LIST_ELEMENTS], *a;
	const char *table = attr_str(tb[NFTA_SET_ELEM_LIST_TABLE]);
	const char *set = attr_str(tb[NFTA_SET_ELEM_LIST_SET]);
	struct lw_block_elem e;
	int si;

	if (!list || !table || !set || strcmp(table, w->t[WT_MAIN].name) != 0)
		return;
	si = set_index(set);
	if (si < 0)
		return;
	mnl_attr_for_each_nested(a, list)
	{
		if (mnl_attr_get_type(a) == NFTA_LIST_ELEM && elem_key(a, si, &e))
			w->fn(add ? LW_WATCH_ELEM_ADDED : LW_WATCH_ELEM_DELETED, &e, w->user_data);
	}
}

static int on_msg(const struct nlmsghdr *nlh, void *data)
{
	struct lw_block_watch *w = data;
	const struct nlattr *tb[ATTR_MAX] = {NULL};
	const struct nfgenmsg *nfg;
	const char *tname = NULL, *name;
	struct wtable *t;
	unsigned bit;
	int type, si;

	if ((nlh->nlmsg_type >> 8) != NFNL_SUBSYS_NFTABLES ||
	    nlh->nlmsg_len < MNL_NLMSG_HDRLEN + MNL_ALIGN(sizeof(*nfg)))
		return MNL_CB_OK;
	type = nlh->nlmsg_type & 0xff;
	if (type == NFT_MSG_NEWGEN) {
		w->complete = true;
		return MNL_CB_OK;
	}
	w->complete = false;
	nfg = mnl_nlmsg_get_payload(nlh);
	if (mnl_attr_parse(nlh, sizeof(*nfg), attr_cb, tb) < 0)
		return MNL_CB_OK;
	/* the table attribute is number 1 in every message kind read here */
	tname = attr_str(tb[1]);
	if (!tname)
		return MNL_CB_OK;
	t = find_table(w, nfg->nfgen_family, tname);
	if (!t)
		return MNL_CB_OK;
	switch (type) {
	case NFT_MSG_NEWTABLE:
		t->present = true;
		break;
	case NFT_MSG_DELTABLE:
		table_reset(t);
		if (t == &w->t[WT_MAIN])
			w->fn(LW_WATCH_ALL_GONE, NULL, w->user_data);
		break;
	case NFT_MSG_NEWCHAIN:
	case NFT_MSG_DELCHAIN:
		name = attr_str(tb[NFTA_CHAIN_NAME]);
		bit = name ? chain_bit(name) : 0;
		if (!bit)
			break;
		if (type == NFT_MSG_NEWCHAIN) {
			t->chains |= bit;
		} else {
			t->chains &= ~bit;
			rule_del(t, 0, bit); /* its rules went with it */
		}
		break;
	case NFT_MSG_NEWRULE:
	case NFT_MSG_DELRULE:
		name = attr_str(tb[NFTA_RULE_CHAIN]);
		bit = name ? chain_bit(name) : 0;
		if (!bit || !tb[NFTA_RULE_HANDLE] ||
		    mnl_attr_validate(tb[NFTA_RULE_HANDLE], MNL_TYPE_U64) < 0)
			break;
		if (type == NFT_MSG_NEWRULE)
			rule_add(t, be64toh(mnl_attr_get_u64(tb[NFTA_RULE_HANDLE])), bit);
		else
			rule_del(t, be64toh(mnl_attr_get_u64(tb[NFTA_RULE_HANDLE])), 0);
		break;
	case NFT_MSG_NEWSET:
	case NFT_MSG_DELSET:
		name = attr_str(tb[NFTA_SET_NAME]);
		si = name && t == &w->t[WT_MAIN] ? set_index(name) : -1;
		if (si < 0)
			break;
		if (type == NFT_MSG_NEWSET) {
			t->sets |= 1u << si;
		} else {
			struct lw_block_elem kind;

			memset(&kind, 0, sizeof(kind));
			kind.has_mac = si >= 2;
			kind.addr.family = si & 1 ? 6 : 4;
			t->sets &= ~(1u << si);
			w->fn(LW_WATCH_SET_GONE, &kind, w->user_data);
		}
		break;
	case NFT_MSG_NEWSETELEM:
	case NFT_MSG_DELSETELEM:
		if (t == &w->t[WT_MAIN])
			on_elems(w, tb, type == NFT_MSG_NEWSETELEM);
		break;
	default:
		break;
	}
	return MNL_CB_OK;
}

/* --- dumps ---------------------------------------------------------------------------------- */

/* One dump request (GET* with NLM_F_DUMP); every reply goes through on_msg.  0 or -errno. */
static int dump(struct lw_block_watch *w, struct mnl_socket *nl, uint8_t msg, uint8_t family,
		const char *table, const char *set)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(w->buf);
	struct nfgenmsg *nfg;
	uint32_t seq = ++w->seq, portid = mnl_socket_get_portid(nl);
	ssize_t n;
	int r;

	nlh->nlmsg_type = (uint16_t)(NFNL_SUBSYS_NFTABLES << 8 | msg);
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = seq;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = family;
	nfg->version = NFNETLINK_V0;
	nfg->res_id = 0;
	if (msg == NFT_MSG_GETSETELEM) {
		mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_TABLE, table);
		mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_SET, set);
	} else if (msg == NFT_MSG_GETRULE) {
		mnl_attr_put_strz(nlh, NFTA_RULE_TABLE, table);
	}
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	for (;;) {
		n = mnl_socket_recvfrom(nl, w->buf, sizeof(w->buf));
		if (n < 0)
			return -errno;
		r = mnl_cb_run(w->buf, (size_t)n, seq, portid, on_msg, w);
		if (r < 0)
			return errno ? -errno : -EIO;
		if (r == MNL_CB_STOP)
			return 0;
	}
}

int lw_block_watch_sync(struct lw_block_watch *w, char *err, size_t errlen)
{
	struct wtable *m = &w->t[WT_MAIN];
	struct mnl_socket *nl;
	int r = 0, si;
	size_t i;

	nl = mnl_socket_open(NETLINK_NETFILTER);
	if (!nl || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		r = -errno;
		if (nl)
			mnl_socket_close(nl);
		if (err)
			snprintf(err, errlen, "netlink: %s", strerror(-r));
		return r;
	}
	for (i = 0; i < WT_COUNT; i++)
		table_reset(&w->t[i]);
	w->fn(LW_WATCH_ALL_GONE, NULL, w->user_data);
	/* every family at once; the replies are filtered by table like notifications */
	if (!r)
		r = dump(w, nl, NFT_MSG_GETTABLE, NFPROTO_UNSPEC, NULL, NULL);
	if (!r)
		r = dump(w, nl, NFT_MSG_GETCHAIN, NFPROTO_UNSPEC, NULL, NULL);
	if (!r)
		r = dump(w, nl, NFT_MSG_GETSET, NFPROTO_UNSPEC, NULL, NULL);
	/* a rule dump filtered by table stops at the first table of that name: one per family */
	for (i = 0; i < WT_COUNT && !r; i++)
		if (w->t[i].present)
			r = dump(w, nl, NFT_MSG_GETRULE, w->t[i].nfproto, w->t[i].name, NULL);
	for (si = 0; si < 4 && !r; si++)
		if (m->sets & (1u << si))
			r = dump(w, nl, NFT_MSG_GETSETELEM, m->nfproto, m->name,
				 lw_block_set_name(si >= 2, si & 1));
	mnl_socket_close(nl);
	if (r < 0) {
		if (err)
			snprintf(err, errlen, "reading the nftables tables: %s", strerror(-r));
		w->lost = true; /* try again at the next read */
		return r;
	}
	w->complete = true;
	w->lost = false;
	return 0;
}

/* --- the socket ------------------------------------------------------------------------------ */

int lw_block_watch_open(enum lw_block_family fam, const char *table, lw_watch_elem_fn fn,
			void *user_data, struct lw_block_watch **out, char *err, size_t errlen)
{
	static const uint8_t hold_fams[] = {NFPROTO_INET, NFPROTO_IPV4, NFPROTO_IPV6};
	struct lw_block_text text = {0};
	struct lw_block_watch *w;
	unsigned group = NFNLGRP_NFTABLES;
	int size = LW_WATCH_RCVBUF, r;
	const char *p;
	size_t i;

	*out = NULL;
	if (!lw_block_table_name_valid(table)) {
		snprintf(err, errlen, "'%s' is not a usable nftables table name", table);
		return -EINVAL;
	}
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->fn = fn;
	w->user_data = user_data;
	w->t[WT_MAIN].nfproto = fam == LW_BLOCK_INET ? NFPROTO_INET : NFPROTO_BRIDGE;
	snprintf(w->t[WT_MAIN].name, sizeof(w->t[WT_MAIN].name), "%s", table);
	for (i = 0; i < LW_ARRAY_SIZE(hold_fams); i++) {
		w->t[WT_HOLD_INET + i].nfproto = hold_fams[i];
		snprintf(w->t[WT_HOLD_INET + i].name, sizeof(w->t[0].name), "%s_hold", table);
	}
	/* the rules the table should hold: those of the text that makes it */
	lw_block_cmd_setup(&text, fam, table);
	for (p = text.p; p && (p = strstr(p, "add rule ")); p++)
		w->main_rules++;
	r = text.err;
	lw_block_text_free(&text);
	if (r < 0) {
		free(w);
		return r;
	}

	w->nl = mnl_socket_open(NETLINK_NETFILTER);
	if (!w->nl || mnl_socket_bind(w->nl, 0, MNL_SOCKET_AUTOPID) < 0 ||
	    mnl_socket_setsockopt(w->nl, NETLINK_ADD_MEMBERSHIP, &group, sizeof(group)) < 0) {
		r = -errno;
		snprintf(err, errlen, "cannot follow nftables changes: %s", strerror(-r));
		lw_block_watch_close(w);
		return r;
	}
	/* beyond net.core.rmem_max with CAP_NET_ADMIN; the plain option otherwise */
	if (setsockopt(mnl_socket_get_fd(w->nl), SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) <
	    0)
		setsockopt(mnl_socket_get_fd(w->nl), SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	r = lw_block_watch_sync(w, err, errlen);
	if (r < 0) {
		lw_block_watch_close(w);
		return r;
	}
	*out = w;
	return 0;
}

void lw_block_watch_close(struct lw_block_watch *w)
{
	if (!w)
		return;
	if (w->nl)
		mnl_socket_close(w->nl);
	free(w);
}

int lw_block_watch_fd(const struct lw_block_watch *w)
{
	return mnl_socket_get_fd(w->nl);
}

int lw_block_watch_read(struct lw_block_watch *w)
{
	int fd = mnl_socket_get_fd(w->nl), r;
	size_t i;
	ssize_t n;

	for (i = 0; i < (w->lost ? LW_WATCH_DRAIN_MAX : LW_WATCH_READS); i++) {
		n = recv(fd, w->buf, sizeof(w->buf), MSG_DONTWAIT | MSG_TRUNC);
		if (n < 0 && errno == EINTR)
			continue;
		if ((n < 0 && errno == ENOBUFS) || n > (ssize_t)sizeof(w->buf)) {
			/* lost (or cut): what is queued is older than what was lost; drop it */
			if (!w->lost)
				w->losses++;
			w->lost = true;
			continue;
		}
		if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
			return -errno;
		if (n < 0) {
			if (w->lost && (r = lw_block_watch_sync(w, NULL, 0)) < 0)
				return r;
			return w->complete ? LW_WATCH_SETTLED : LW_WATCH_MORE;
		}
		if (!w->lost)
			mnl_cb_run(w->buf, (size_t)n, 0, 0, on_msg, w);
	}
	return LW_WATCH_MORE;
}

/* --- state ---------------------------------------------------------------------------------- */

unsigned lw_block_watch_table_state(const struct lw_block_watch *w)
{
	const struct wtable *t = &w->t[WT_MAIN];
	unsigned st = 0;

	if (!t->present)
		return LW_WATCH_NO_TABLE | LW_WATCH_NO_SET | LW_WATCH_NO_CHAIN | LW_WATCH_RULES;
	if ((t->sets & ALL_SETS) != ALL_SETS)
		st |= LW_WATCH_NO_SET;
	if (!(t->chains & CHAIN_FORWARD))
		st |= LW_WATCH_NO_CHAIN;
	if (t->rules_overflow || rule_count(t, CHAIN_FORWARD) != w->main_rules)
		st |= LW_WATCH_RULES;
	return st;
}

unsigned lw_block_watch_hold_state(const struct lw_block_watch *w, const struct lw_hold_rules *r,
				   const char **family)
{
	static const char *const names[WT_COUNT] = {"", "inet", "ip", "ip6"};
	int which[2] = {-1, -1};
	size_t i, want = lw_hold_rules_count(r);

	if (r->via == LW_HOLD_VIA_NFT) {
		which[0] = WT_HOLD_INET;
	} else if (r->via == LW_HOLD_VIA_XTABLES) {
		which[0] = WT_HOLD_IP;
		if (r->v6)
			which[1] = WT_HOLD_IP6;
	}
	for (i = 0; i < 2; i++) {
		const struct wtable *t;
		unsigned st = 0;

		if (which[i] < 0)
			continue;
		t = &w->t[which[i]];
		if (!t->present)
			st = LW_WATCH_NO_TABLE | LW_WATCH_NO_CHAIN | LW_WATCH_RULES;
		else if (t->chains != (CHAIN_FORWARD | CHAIN_OUTPUT))
			st |= LW_WATCH_NO_CHAIN;
		if (t->present &&
		    (t->rules_overflow || rule_count(t, CHAIN_FORWARD | CHAIN_OUTPUT) != want))
			st |= LW_WATCH_RULES;
		if (st) {
			if (family)
				*family = names[which[i]];
			return st;
		}
	}
	return 0;
}

uint64_t lw_block_watch_losses(const struct lw_block_watch *w)
{
	return w->losses;
}
