/* SPDX-License-Identifier: MIT */
/*
 * The rules that send packets to the hold queue (hold.h), in tables of their own:
 *
 * 1. Preferred: "table inet <table>_hold" with nft "queue num N bypass" statements, through
 *    the blocking table's libnftables context.
 * 2. Kernels built without CONFIG_NFT_QUEUE (the lab's and CI's) refuse that statement; they
 *    do have the xtables NFQUEUE target, which nf_tables runs through nft_compat (that is how
 *    iptables-nft's "-j NFQUEUE" works).  nft's text cannot name an xtables target, so the
 *    rules are built here with libnftnl: the same native match expressions nft would
 *    generate, then "target NFQUEUE rev 3" with the bypass flag, in "table ip <table>_hold"
 *    and "table ip6 <table>_hold".  Running the iptables program instead would need
 *    capabilities the daemon no longer has once it has dropped its privileges (an exec'd
 *    program gets nothing from an emptied bounding set); netlink needs only CAP_NET_ADMIN,
 *    which the daemon keeps.
 *
 * Which packets (client->server means the connection's original direction in conntrack):
 *   forward  udp sport 53                                    DNS answers to clients
 *   output   udp sport 53, not to lo                         answers of the AP's own resolver
 *   forward  tcp without SYN/RST, original dir, packets <= 6 starts of TCP streams
 *   forward  udp dport 443, original dir, packets <= 3       QUIC Initials
 * Packet counts need conntrack accounting: the xtables connbytes match turns it on; for the
 * nft path the sysctl net.netfilter.nf_conntrack_acct is set here (root only).
 * Bypass: while nothing reads the queue, packets pass; the tables outlive a killed daemon
 * harmlessly and are replaced by the next start.
 */
#include "block/hold.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_conntrack_tuple_common.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/x_tables.h>
#include <linux/netfilter/xt_connbytes.h>
#include <linux/netfilter/xt_NFQUEUE.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define RULES_NL_BUF 8192 /* one rule's batch, and the kernel's answer */

enum {
	RULE_DNS_FORWARD,
	RULE_DNS_OUTPUT,
	RULE_TCP_START,
	RULE_QUIC_START,
	RULE_COUNT,
};

static const unsigned rule_what[RULE_COUNT] = {
	[RULE_DNS_FORWARD] = LW_HOLD_RULES_DNS,
	[RULE_DNS_OUTPUT] = LW_HOLD_RULES_DNS,
	[RULE_TCP_START] = LW_HOLD_RULES_HELLO,
	[RULE_QUIC_START] = LW_HOLD_RULES_HELLO,
};

static void hold_table(char *out, size_t len, const char *table)
{
	snprintf(out, len, "%s_hold", table);
}

void lw_hold_cmd_nft(struct lw_block_text *t, const struct lw_hold_rules *r)
{
	char name[LW_BLOCK_TABLE_MAX + 8];

	hold_table(name, sizeof(name), r->table);
	lw_block_text_reset(t);
	if (!lw_block_table_name_valid(name))
		return;
	lw_block_text_printf(t, "add table inet %s\n", name);
	lw_block_text_printf(t,
			     "add chain inet %s forward { type filter hook forward priority -10; "
			     "policy accept; }\n",
			     name);
	lw_block_text_printf(t,
			     "add chain inet %s output { type filter hook output priority -10; "
			     "policy accept; }\n",
			     name);
	lw_block_text_printf(t, "flush chain inet %s forward\nflush chain inet %s output\n", name,
			     name);
	if (r->what & LW_HOLD_RULES_DNS) {
		lw_block_text_printf(t,
				     "add rule inet %s forward udp sport 53 queue num %u bypass\n",
				     name, r->queue);
		lw_block_text_printf(t,
				     "add rule inet %s output oifname != \"lo\" udp sport 53 "
				     "queue num %u bypass\n",
				     name, r->queue);
	}
	if (r->what & LW_HOLD_RULES_HELLO) {
		lw_block_text_printf(t,
				     "add rule inet %s forward meta l4proto tcp "
				     "tcp flags & (syn | rst) == 0 ct direction original "
				     "ct original packets 1-6 queue num %u bypass\n",
				     name, r->queue);
		lw_block_text_printf(t,
				     "add rule inet %s forward udp dport 443 ct direction original "
				     "ct original packets 1-3 queue num %u bypass\n",
				     name, r->queue);
	}
}

/* --- rules built with libnftnl ------------------------------------------------------------ */

static int add_expr(struct nftnl_rule *r, struct nftnl_expr *e)
{
	if (!e)
		return -ENOMEM;
	nftnl_rule_add_expr(r, e);
	return 0;
}

static struct nftnl_expr *expr_meta(uint32_t key)
{
	struct nftnl_expr *e = nftnl_expr_alloc("meta");

	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, key);
		nftnl_expr_set_u32(e, NFTNL_EXPR_META_DREG, NFT_REG_1);
	}
	return e;
}

static struct nftnl_expr *expr_cmp(uint32_t op, const void *data, uint32_t len)
{
	struct nftnl_expr *e = nftnl_expr_alloc("cmp");

	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, NFT_REG_1);
		nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, op);
		nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, data, len);
	}
	return e;
}

static struct nftnl_expr *expr_th(uint32_t offset, uint32_t len)
{
	struct nftnl_expr *e = nftnl_expr_alloc("payload");

	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE, NFT_PAYLOAD_TRANSPORT_HEADER);
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, offset);
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, len);
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, NFT_REG_1);
	}
	return e;
}

static int match_l4(struct nftnl_rule *r, uint8_t proto)
{
	int e = add_expr(r, expr_meta(NFT_META_L4PROTO));

	return e ? e : add_expr(r, expr_cmp(NFT_CMP_EQ, &proto, 1));
}

static int match_port(struct nftnl_rule *r, uint32_t offset, uint16_t port)
{
	uint16_t be = htons(port);
	int e = add_expr(r, expr_th(offset, 2));

	return e ? e : add_expr(r, expr_cmp(NFT_CMP_EQ, &be, 2));
}

/*
 * ct direction original, and the xtables connbytes match for "at most max packets so far in
 * the original direction".  nft's own "ct original packets" reads conntrack's counters only
 * when accounting is on (a sysctl only root may write); the connbytes match turns it on
 * itself, with nothing but CAP_NET_ADMIN.
 */
static int match_start(struct nftnl_rule *r, uint64_t max)
{
	struct xt_connbytes_info cb = {.count = {.from = 0, .to = max},
				       .what = XT_CONNBYTES_PKTS,
				       .direction = XT_CONNBYTES_DIR_ORIGINAL};
	uint8_t dir = IP_CT_DIR_ORIGINAL, *info;
	struct nftnl_expr *e;
	int err;

	e = nftnl_expr_alloc("ct");
	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_CT_KEY, NFT_CT_DIRECTION);
		nftnl_expr_set_u32(e, NFTNL_EXPR_CT_DREG, NFT_REG_1);
	}
	if ((err = add_expr(r, e)) || (err = add_expr(r, expr_cmp(NFT_CMP_EQ, &dir, 1))))
		return err;
	/* libnftnl keeps (and later frees) a match's info buffer rather than copying it */
	info = calloc(1, XT_ALIGN(sizeof(cb)));
	e = nftnl_expr_alloc("match");
	if (!info || !e) {
		free(info);
		nftnl_expr_free(e);
		return -ENOMEM;
	}
	memcpy(info, &cb, sizeof(cb));
	nftnl_expr_set_str(e, NFTNL_EXPR_MT_NAME, "connbytes");
	nftnl_expr_set_u32(e, NFTNL_EXPR_MT_REV, 0);
	nftnl_expr_set(e, NFTNL_EXPR_MT_INFO, info, XT_ALIGN(sizeof(cb)));
	return add_expr(r, e);
}

static int rule_body(struct nftnl_rule *r, int which, uint16_t queue)
{
	static const char lo[16] = "lo";
	uint8_t flags_mask = 0x06, zero = 0; /* SYN | RST */
	uint8_t *info;
	struct xt_NFQ_info_v3 nfq = {
		.queuenum = queue, .queues_total = 1, .flags = NFQ_FLAG_BYPASS};
	struct nftnl_expr *e;
	int err = 0;

	switch (which) {
	case RULE_DNS_OUTPUT:
		if ((err = add_expr(r, expr_meta(NFT_META_OIFNAME))) ||
		    (err = add_expr(r, expr_cmp(NFT_CMP_NEQ, lo, sizeof(lo)))))
			return err;
		/* fall through */
	case RULE_DNS_FORWARD:
		err = match_l4(r, IPPROTO_UDP);
		if (!err)
			err = match_port(r, 0, 53);
		break;
	case RULE_TCP_START:
		err = match_l4(r, IPPROTO_TCP);
		if (!err)
			err = add_expr(r, expr_th(13, 1));
		if (!err) {
			e = nftnl_expr_alloc("bitwise");
			if (e) {
				nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_SREG, NFT_REG_1);
				nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_DREG, NFT_REG_1);
				nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_LEN, 1);
				nftnl_expr_set(e, NFTNL_EXPR_BITWISE_MASK, &flags_mask, 1);
				nftnl_expr_set(e, NFTNL_EXPR_BITWISE_XOR, &zero, 1);
			}
			err = add_expr(r, e);
		}
		if (!err)
			err = add_expr(r, expr_cmp(NFT_CMP_EQ, &zero, 1));
		if (!err)
			err = match_start(r, 6);
		break;
	case RULE_QUIC_START:
		err = match_l4(r, IPPROTO_UDP);
		if (!err)
			err = match_port(r, 2, 443);
		if (!err)
			err = match_start(r, 3);
		break;
	default:
		return -EINVAL;
	}
	if (err)
		return err;
	if ((err = add_expr(r, nftnl_expr_alloc("counter"))))
		return err;
	/* libnftnl keeps (and later frees) the target's info buffer rather than copying it */
	info = calloc(1, XT_ALIGN(sizeof(nfq)));
	e = nftnl_expr_alloc("target");
	if (!info || !e) {
		free(info);
		nftnl_expr_free(e);
		return -ENOMEM;
	}
	memcpy(info, &nfq, sizeof(nfq));
	nftnl_expr_set_str(e, NFTNL_EXPR_TG_NAME, "NFQUEUE");
	nftnl_expr_set_u32(e, NFTNL_EXPR_TG_REV, 3);
	nftnl_expr_set(e, NFTNL_EXPR_TG_INFO, info, XT_ALIGN(sizeof(nfq)));
	return add_expr(r, e);
}

static struct nftnl_rule *rule_new(const struct lw_hold_rules *hr, int which, int family)
{
	char table[LW_BLOCK_TABLE_MAX + 8];
	struct nftnl_rule *r = nftnl_rule_alloc();

	if (!r)
		return NULL;
	hold_table(table, sizeof(table), hr->table);
	nftnl_rule_set_u32(r, NFTNL_RULE_FAMILY, (uint32_t)family);
	nftnl_rule_set_str(r, NFTNL_RULE_TABLE, table);
	nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, which == RULE_DNS_OUTPUT ? "output" : "forward");
	if (rule_body(r, which, hr->queue) < 0) {
		nftnl_rule_free(r);
		return NULL;
	}
	return r;
}

size_t lw_hold_rules_count(const struct lw_hold_rules *r)
{
	size_t i, n = 0;

	/* the nft text (lw_hold_cmd_nft) has the same rules as the xtables path */
	for (i = 0; i < RULE_COUNT; i++)
		if (rule_what[i] & r->what)
			n++;
	return n;
}

size_t lw_hold_xt_rule_count(void)
{
	return RULE_COUNT;
}

int lw_hold_xt_rule_text(const struct lw_hold_rules *r, size_t i, bool v6, char *buf, size_t len)
{
	struct nftnl_rule *nr;
	int n;

	if (i >= RULE_COUNT)
		return -ENOENT;
	nr = rule_new(r, (int)i, v6 ? NFPROTO_IPV6 : NFPROTO_IPV4);
	if (!nr)
		return -ENOMEM;
	n = nftnl_rule_snprintf(buf, len, nr, NFTNL_OUTPUT_DEFAULT, 0);
	nftnl_rule_free(nr);
	return n < 0 ? -EINVAL : n;
}

/* Sends one rule in its own batch and waits for the kernel's answer: 0 or -errno. */
static int rule_send(struct mnl_socket *nl, struct nftnl_rule *r, int family)
{
	char buf[RULES_NL_BUF];
	struct mnl_nlmsg_batch *batch;
	struct nlmsghdr *nlh;
	uint32_t seq = (uint32_t)time(NULL), rule_seq;
	unsigned portid = mnl_socket_get_portid(nl);
	ssize_t n;
	int ret;

	batch = mnl_nlmsg_batch_start(buf, sizeof(buf));
	nftnl_batch_begin(mnl_nlmsg_batch_current(batch), seq++);
	mnl_nlmsg_batch_next(batch);
	rule_seq = seq;
	nlh = nftnl_nlmsg_build_hdr(mnl_nlmsg_batch_current(batch), NFT_MSG_NEWRULE,
				    (uint16_t)family, NLM_F_APPEND | NLM_F_CREATE | NLM_F_ACK,
				    seq++);
	nftnl_rule_nlmsg_build_payload(nlh, r);
	mnl_nlmsg_batch_next(batch);
	nftnl_batch_end(mnl_nlmsg_batch_current(batch), seq++);
	mnl_nlmsg_batch_next(batch);
	if (mnl_socket_sendto(nl, mnl_nlmsg_batch_head(batch), mnl_nlmsg_batch_size(batch)) < 0) {
		ret = -errno;
		mnl_nlmsg_batch_stop(batch);
		return ret;
	}
	mnl_nlmsg_batch_stop(batch);
	/* the one acknowledgement (or error) for the rule message */
	for (;;) {
		n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		if (n < 0)
			return -errno;
		ret = mnl_cb_run(buf, (size_t)n, rule_seq, portid, NULL, NULL);
		if (ret < 0)
			return errno ? -errno : -EIO;
		if (ret == MNL_CB_STOP)
			return 0;
	}
}

/* Creates "table <fam> <table>_hold" with its two chains and the rules for r->what. */
static int xt_install(const struct lw_hold_rules *hr, struct lw_block_nft *nft, bool v6, char *err,
		      size_t errlen)
{
	const char *fam = v6 ? "ip6" : "ip";
	char table[LW_BLOCK_TABLE_MAX + 8], cmd[512];
	struct mnl_socket *nl;
	int e = 0, i;

	hold_table(table, sizeof(table), hr->table);
	snprintf(
		cmd, sizeof(cmd),
		"add table %s %s\n"
		"add chain %s %s forward { type filter hook forward priority -10; policy accept; "
		"}\n"
		"add chain %s %s output { type filter hook output priority -10; policy accept; }\n",
		fam, table, fam, table, fam, table);
	e = lw_block_nft_run(nft, cmd, err, errlen);
	if (e < 0)
		return e;
	nl = mnl_socket_open(NETLINK_NETFILTER);
	if (!nl || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		e = -errno;
		if (nl)
			mnl_socket_close(nl);
		snprintf(err, errlen, "netlink: %s", strerror(-e));
		return e;
	}
	for (i = 0; i < RULE_COUNT && !e; i++) {
		struct nftnl_rule *r;

		if (!(rule_what[i] & hr->what))
			continue;
		r = rule_new(hr, i, v6 ? NFPROTO_IPV6 : NFPROTO_IPV4);
		if (!r) {
			e = -ENOMEM;
			break;
		}
		e = rule_send(nl, r, v6 ? NFPROTO_IPV6 : NFPROTO_IPV4);
		nftnl_rule_free(r);
		if (e < 0)
			snprintf(err, errlen, "the kernel refused an NFQUEUE rule (%s)",
				 strerror(-e));
	}
	mnl_socket_close(nl);
	return e;
}

static void tables_remove(const struct lw_hold_rules *r, struct lw_block_nft *nft)
{
	static const char *const fams[] = {"inet", "ip", "ip6"};
	char name[LW_BLOCK_TABLE_MAX + 8], cmd[128];
	size_t i;

	hold_table(name, sizeof(name), r->table);
	if (!lw_block_table_name_valid(name))
		return;
	for (i = 0; i < LW_ARRAY_SIZE(fams); i++) {
		/* "add" first so that the delete cannot fail on a missing table */
		snprintf(cmd, sizeof(cmd), "add table %s %s\ndelete table %s %s\n", fams[i], name,
			 fams[i], name);
		lw_block_nft_run(nft, cmd, NULL, 0);
	}
}

static void enable_ct_accounting(void)
{
	int fd = open("/proc/sys/net/netfilter/nf_conntrack_acct", O_WRONLY | O_CLOEXEC);

	if (fd < 0)
		return;
	if (write(fd, "1", 1) < 0) {
		/* without it the packet-count rules never match: connection starts pass */
	}
	close(fd);
}

int lw_hold_rules_install(struct lw_hold_rules *r, struct lw_block_nft *nft, char *err,
			  size_t errlen)
{
	struct lw_block_text t = {0};
	char name[LW_BLOCK_TABLE_MAX + 8];
	int e;

	r->via = LW_HOLD_VIA_NONE;
	r->v6 = false;
	hold_table(name, sizeof(name), r->table);
	if (!lw_block_table_name_valid(name)) {
		snprintf(err, errlen, "table name '%s' is too long for '%s'", r->table, name);
		return -EINVAL;
	}
	tables_remove(r, nft); /* what a killed daemon left */
	if (r->what & LW_HOLD_RULES_HELLO)
		enable_ct_accounting();
	if (r->path != LW_QUEUE_XTABLES) {
		lw_hold_cmd_nft(&t, r);
		e = t.err ? t.err : lw_block_nft_run(nft, t.p, err, errlen);
		lw_block_text_free(&t);
		r->nft_tried = true;
		r->nft_refused = e < 0;
		if (e == 0) {
			r->via = LW_HOLD_VIA_NFT;
			r->v6 = true;
			return 0;
		}
		tables_remove(r, nft); /* the chains may have gone in without their rules */
		if (r->path == LW_QUEUE_NFT)
			return e;
	}
	e = xt_install(r, nft, false, err, errlen);
	if (e < 0) {
		tables_remove(r, nft);
		return e;
	}
	r->via = LW_HOLD_VIA_XTABLES;
	r->v6 = xt_install(r, nft, true, NULL, 0) == 0;
	return 0;
}

void lw_hold_rules_remove(struct lw_hold_rules *r, struct lw_block_nft *nft)
{
	if (r->via != LW_HOLD_VIA_NONE)
		tables_remove(r, nft);
	r->via = LW_HOLD_VIA_NONE;
	r->v6 = false;
}
