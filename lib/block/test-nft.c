/* SPDX-License-Identifier: MIT */
/*
 * lib/block against the real nf_tables of a private network namespace (as root, or in a user
 * namespace where the kernel allows one); skipped (77) where neither is possible.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* unshare */
#endif
#include <errno.h>
#include <linux/netlink.h>
#include <nftables/libnftables.h>
#include <sched.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "block/block.h"
#include "block/hold.h"
#include "block/watch.h"
#include "lw-test.h"

static struct nft_ctx *viewer;

/* `nft list set bridge lwtest NAME`, or "" */
static const char *list_set(const char *name)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "list set bridge lwtest %s", name);
	if (nft_run_cmd_from_buffer(viewer, cmd) != 0)
		return "";
	return nft_ctx_get_output_buffer(viewer);
}

static bool table_exists(const char *fam_name)
{
	nft_run_cmd_from_buffer(viewer, "list tables");
	return strstr(nft_ctx_get_output_buffer(viewer), fam_name) != NULL;
}

static struct lw_block_elem elem(const char *ip, const char *mac)
{
	struct lw_block_elem e;

	memset(&e, 0, sizeof(e));
	lw_addr_parse(ip, &e.addr);
	if (mac) {
		e.has_mac = true;
		lw_mac_parse(mac, &e.mac);
	}
	return e;
}

static void test_table(void)
{
	struct lw_block_nft *n = NULL;
	struct lw_block_elem a = elem("198.51.100.10", NULL), b = elem("198.51.100.11", NULL),
			     c = elem("2001:db8::1", "02:10:00:00:00:01"),
			     d = elem("198.51.100.12", NULL);
	char err[256] = "";

	LW_CHECK_INT(lw_block_nft_open(LW_BLOCK_BRIDGE, "lwtest", &n, err, sizeof(err)), 0);
	if (!n)
		return;
	LW_CHECK(table_exists("table bridge lwtest"));
	LW_CHECK(!lw_block_nft_pending(n));
	LW_CHECK_INT(lw_block_nft_commit(n, err, sizeof(err)), 0); /* nothing to do */

	/* a batch of adds in two sets */
	lw_block_nft_add(n, &a, 300);
	lw_block_nft_add(n, &c, 60);
	LW_CHECK(lw_block_nft_pending(n));
	LW_CHECK_INT(lw_block_nft_commit(n, err, sizeof(err)), 0);
	LW_CHECK(!lw_block_nft_pending(n));
	LW_CHECK(strstr(list_set("ipv4"), "198.51.100.10 timeout 5m") != NULL);
	LW_CHECK(strstr(list_set("mac_ipv6"), "02:10:00:00:00:01 . 2001:db8::1 timeout 1m") !=
		 NULL);

	/* re-adding sets the new timeout */
	lw_block_nft_add(n, &a, 7200);
	LW_CHECK_INT(lw_block_nft_commit(n, err, sizeof(err)), 0);
	LW_CHECK(strstr(list_set("ipv4"), "198.51.100.10 timeout 2h") != NULL);

	/* deleting an element that is not there does not undo the adds of the same batch */
	lw_block_nft_del(n, &b);
	lw_block_nft_add(n, &d, 300);
	LW_CHECK_INT(lw_block_nft_commit(n, err, sizeof(err)), 0);
	LW_CHECK(strstr(list_set("ipv4"), "198.51.100.12") != NULL);

	/* an add withdrawn by a delete before the commit */
	lw_block_nft_add(n, &b, 300);
	lw_block_nft_del(n, &b);
	LW_CHECK_INT(lw_block_nft_commit(n, err, sizeof(err)), 0);
	LW_CHECK(strstr(list_set("ipv4"), "198.51.100.11") == NULL);

	/* delete and re-add in one transaction: present, with the new timeout */
	lw_block_nft_del(n, &a);
	LW_CHECK_INT(lw_block_nft_commit(n, err, sizeof(err)), 0);
	LW_CHECK(strstr(list_set("ipv4"), "198.51.100.10") == NULL);

	/* a restarted daemon takes the table over with its elements */
	lw_block_nft_close(n, true);
	LW_CHECK(table_exists("table bridge lwtest"));
	LW_CHECK_INT(lw_block_nft_open(LW_BLOCK_BRIDGE, "lwtest", &n, err, sizeof(err)), 0);
	if (!n)
		return;
	LW_CHECK(strstr(list_set("ipv4"), "198.51.100.12") != NULL);
	LW_CHECK(strstr(list_set("mac_ipv6"), "2001:db8::1") != NULL);

	/* ... and refills its sets in one go */
	lw_block_nft_flush_sets(n);
	lw_block_nft_add(n, &b, 300);
	LW_CHECK_INT(lw_block_nft_commit(n, err, sizeof(err)), 0);
	LW_CHECK(strstr(list_set("ipv4"), "198.51.100.11") != NULL);
	LW_CHECK(strstr(list_set("ipv4"), "198.51.100.12") == NULL);
	LW_CHECK(strstr(list_set("mac_ipv6"), "2001:db8::1") == NULL);

	lw_block_nft_close(n, false);
	LW_CHECK(!table_exists("table bridge lwtest"));
}

static void test_foreign_shape(void)
{
	struct lw_block_nft *n = NULL;
	char err[256] = "";

	/* a table of that name whose set has another type: replaced */
	LW_CHECK_INT(nft_run_cmd_from_buffer(viewer,
					     "add table bridge lwtest\n"
					     "add set bridge lwtest ipv4 { type ipv6_addr; }\n"),
		     0);
	LW_CHECK_INT(lw_block_nft_open(LW_BLOCK_BRIDGE, "lwtest", &n, err, sizeof(err)), 0);
	LW_CHECK(strstr(list_set("ipv4"), "type ipv4_addr") != NULL);
	lw_block_nft_close(n, false);
	nft_run_cmd_from_buffer(viewer, "add table bridge lwtest\ndelete table bridge lwtest\n");

	LW_CHECK_INT(lw_block_nft_open(LW_BLOCK_BRIDGE, "bad name", &n, err, sizeof(err)), -EINVAL);
	LW_CHECK(n == NULL);
	LW_CHECK(err[0] != '\0');
}

static void test_inet(void)
{
	struct lw_block_elem e = elem("203.0.113.5", "02:10:00:00:00:01");
	struct lw_block_nft *n = NULL;
	char err[256] = "";

	LW_CHECK_INT(lw_block_nft_open(LW_BLOCK_INET, "lwtest", &n, err, sizeof(err)), 0);
	if (!n)
		return;
	LW_CHECK(table_exists("table inet lwtest"));
	lw_block_nft_add(n, &e, 10);
	LW_CHECK_INT(lw_block_nft_commit(n, err, sizeof(err)), 0);
	lw_block_nft_close(n, false);
	LW_CHECK(!table_exists("table inet lwtest"));
}

static void test_hold_rules(void)
{
	struct lw_hold_rules r = {
		.table = "lwtest", .queue = 4747, .what = LW_HOLD_RULES_DNS | LW_HOLD_RULES_HELLO};
	struct lw_block_nft *n = NULL;
	char err[256] = "";

	LW_CHECK_INT(lw_block_nft_open(LW_BLOCK_BRIDGE, "lwtest", &n, err, sizeof(err)), 0);
	if (!n)
		return;
	LW_CHECK_INT(lw_hold_rules_install(&r, n, err, sizeof(err)), 0);
	LW_CHECK(r.via != LW_HOLD_VIA_NONE);
	LW_CHECK(r.v6);
	LW_CHECK(table_exists(r.via == LW_HOLD_VIA_NFT ? "table inet lwtest_hold"
						       : "table ip lwtest_hold"));
	/* installing again replaces rather than doubles */
	LW_CHECK_INT(lw_hold_rules_install(&r, n, err, sizeof(err)), 0);
	if (r.via == LW_HOLD_VIA_XTABLES) {
		const char *out;
		size_t k = 0;

		nft_run_cmd_from_buffer(viewer, "list table ip lwtest_hold");
		for (out = nft_ctx_get_output_buffer(viewer); (out = strstr(out, "counter")); out++)
			k++;
		LW_CHECK_INT(k, 4); /* answers, the AP's answers, TCP starts, QUIC starts */
	}
	lw_hold_rules_remove(&r, n);
	LW_CHECK(!table_exists("lwtest_hold"));

	/* [block] queue_path = xtables: nft is not even tried */
	r.path = LW_QUEUE_XTABLES;
	r.nft_tried = false;
	LW_CHECK_INT(lw_hold_rules_install(&r, n, err, sizeof(err)), 0);
	LW_CHECK_INT(r.via, LW_HOLD_VIA_XTABLES);
	LW_CHECK(!r.nft_tried);
	LW_CHECK(table_exists("table ip lwtest_hold"));
	LW_CHECK(!table_exists("table inet lwtest_hold"));
	lw_hold_rules_remove(&r, n);
	/* queue_path = nft: the nft statement or nothing, never the xtables target */
	r.path = LW_QUEUE_NFT;
	err[0] = '\0';
	if (lw_hold_rules_install(&r, n, err, sizeof(err)) == 0) {
		LW_CHECK_INT(r.via, LW_HOLD_VIA_NFT);
		LW_CHECK(!r.nft_refused);
		LW_CHECK(table_exists("table inet lwtest_hold"));
	} else {
		LW_CHECK_INT(r.via, LW_HOLD_VIA_NONE);
		LW_CHECK(r.nft_tried && r.nft_refused);
		LW_CHECK(err[0] != '\0');
		LW_CHECK(!table_exists("lwtest_hold"));
	}
	lw_hold_rules_remove(&r, n);
	LW_CHECK(!table_exists("lwtest_hold"));

	/* lw_block_nft_list: a listing comes back, and an error returns -errno */
	{
		char out[512] = "x";

		LW_CHECK_INT(lw_block_nft_list(n, "list tables", out, sizeof(out)), 0);
		LW_CHECK(strstr(out, "table bridge lwtest") != NULL);
		LW_CHECK_INT(lw_block_nft_list(n, "list flowtables", out, sizeof(out)), 0);
		LW_CHECK(lw_block_nft_list(n, "list table inet lwnosuchtable", out, sizeof(out)) <
			 0);
		LW_CHECK_STR(out, "");
	}
	lw_block_nft_close(n, false);
}

/* What the watch reported since the last reset. */
static struct {
	int added, deleted, set_gone, all_gone;
	struct lw_block_elem last;
} seen;

static void on_elem(enum lw_watch_elem_op op, const struct lw_block_elem *e, void *user_data)
{
	(void)user_data;
	if (op == LW_WATCH_ELEM_ADDED)
		seen.added++;
	else if (op == LW_WATCH_ELEM_DELETED)
		seen.deleted++;
	else if (op == LW_WATCH_SET_GONE)
		seen.set_gone++;
	else
		seen.all_gone++;
	if (e)
		seen.last = *e;
}

/* Reads until the watch has settled (everything queued is from committed transactions). */
static int settle(struct lw_block_watch *w)
{
	int i, r = LW_WATCH_MORE;

	memset(&seen, 0, sizeof(seen));
	for (i = 0; i < 100 && r == LW_WATCH_MORE; i++)
		r = lw_block_watch_read(w);
	return r;
}

static bool elem_eq(const struct lw_block_elem *a, const struct lw_block_elem *b)
{
	return a->has_mac == b->has_mac && memcmp(a->mac.b, b->mac.b, 6) == 0 &&
	       lw_addr_eq(&a->addr, &b->addr);
}

/* Deletes the last rule of the table's forward chain, by its handle. */
static bool delete_a_rule(void)
{
	const char *out, *h, *last = NULL;
	char cmd[128];

	nft_ctx_output_set_flags(viewer, NFT_CTX_OUTPUT_HANDLE);
	nft_run_cmd_from_buffer(viewer, "list chain bridge lwtest forward");
	nft_ctx_output_set_flags(viewer, 0);
	out = nft_ctx_get_output_buffer(viewer);
	for (h = out; (h = strstr(h, "drop # handle ")); h++)
		last = h + strlen("drop # handle ");
	if (!last)
		return false;
	snprintf(cmd, sizeof(cmd), "delete rule bridge lwtest forward handle %d", atoi(last));
	return nft_run_cmd_from_buffer(viewer, cmd) == 0;
}

static void test_watch(void)
{
	struct lw_block_elem a = elem("198.51.100.10", NULL),
			     c = elem("2001:db8::1", "02:10:00:00:00:01");
	struct lw_hold_rules r = {
		.table = "lwtest", .queue = 4747, .what = LW_HOLD_RULES_DNS | LW_HOLD_RULES_HELLO};
	struct lw_block_nft *n = NULL;
	struct lw_block_watch *w = NULL;
	const char *fam = NULL;
	char err[256] = "";
	int i, small = 4096;

	LW_CHECK_INT(lw_block_nft_open(LW_BLOCK_BRIDGE, "lwtest", &n, err, sizeof(err)), 0);
	lw_block_nft_add(n, &a, 300);
	LW_CHECK_INT(lw_block_nft_commit(n, err, sizeof(err)), 0);
	/* the watch starts from a dump: the table whole, the element already there */
	LW_CHECK_INT(
		lw_block_watch_open(LW_BLOCK_BRIDGE, "lwtest", on_elem, NULL, &w, err, sizeof(err)),
		0);
	if (!n || !w)
		return;
	LW_CHECK_INT(lw_block_watch_table_state(w), 0);
	LW_CHECK_INT(lw_block_watch_hold_state(w, &r, NULL), 0); /* not installed: nothing due */
	LW_CHECK_INT(settle(w), LW_WATCH_SETTLED);

	/* our own changes: an element in, with the key read back from the notification */
	lw_block_nft_add(n, &c, 60);
	LW_CHECK_INT(lw_block_nft_commit(n, err, sizeof(err)), 0);
	LW_CHECK_INT(settle(w), LW_WATCH_SETTLED);
	LW_CHECK_INT(seen.added, 1);
	LW_CHECK(elem_eq(&seen.last, &c));
	LW_CHECK_INT(lw_block_watch_table_state(w), 0);

	/* someone flushes a set: its elements are reported gone, the table is still whole */
	LW_CHECK_INT(nft_run_cmd_from_buffer(viewer, "flush set bridge lwtest ipv4"), 0);
	LW_CHECK_INT(settle(w), LW_WATCH_SETTLED);
	LW_CHECK_INT(seen.deleted, 1);
	LW_CHECK(elem_eq(&seen.last, &a));
	LW_CHECK_INT(lw_block_watch_table_state(w), 0);

	/* one of our rules deleted: noticed */
	LW_CHECK(delete_a_rule());
	LW_CHECK_INT(settle(w), LW_WATCH_SETTLED);
	LW_CHECK_INT(lw_block_watch_table_state(w), LW_WATCH_RULES);
	/* then the chain; the restore puts both back */
	LW_CHECK_INT(nft_run_cmd_from_buffer(viewer, "delete chain bridge lwtest forward"), 0);
	LW_CHECK_INT(settle(w), LW_WATCH_SETTLED);
	LW_CHECK_INT(lw_block_watch_table_state(w), LW_WATCH_NO_CHAIN | LW_WATCH_RULES);
	LW_CHECK_INT(lw_block_nft_restore(n, err, sizeof(err)), 0);
	LW_CHECK_INT(settle(w), LW_WATCH_SETTLED);
	LW_CHECK_INT(lw_block_watch_table_state(w), 0);
	/* a restore of a whole table changes nothing (no rule doubled) */
	LW_CHECK_INT(lw_block_nft_restore(n, err, sizeof(err)), 0);
	LW_CHECK_INT(settle(w), LW_WATCH_SETTLED);
	LW_CHECK_INT(lw_block_watch_table_state(w), 0);

	/* a set deleted (with the rules that use it) */
	LW_CHECK_INT(nft_run_cmd_from_buffer(viewer, "flush chain bridge lwtest forward\n"
						     "delete set bridge lwtest mac_ipv6\n"),
		     0);
	LW_CHECK_INT(settle(w), LW_WATCH_SETTLED);
	LW_CHECK_INT(seen.set_gone, 1);
	LW_CHECK(seen.last.has_mac && seen.last.addr.family == 6);
	LW_CHECK_INT(lw_block_watch_table_state(w), LW_WATCH_NO_SET | LW_WATCH_RULES);
	LW_CHECK_INT(lw_block_nft_restore(n, err, sizeof(err)), 0);
	LW_CHECK_INT(settle(w), LW_WATCH_SETTLED);
	LW_CHECK_INT(lw_block_watch_table_state(w), 0);

	/* the table deleted */
	LW_CHECK_INT(nft_run_cmd_from_buffer(viewer, "delete table bridge lwtest"), 0);
	LW_CHECK_INT(settle(w), LW_WATCH_SETTLED);
	LW_CHECK_INT(seen.all_gone, 1);
	LW_CHECK_INT(lw_block_watch_table_state(w),
		     LW_WATCH_NO_TABLE | LW_WATCH_NO_SET | LW_WATCH_NO_CHAIN | LW_WATCH_RULES);
	LW_CHECK_INT(lw_block_nft_restore(n, err, sizeof(err)), 0);
	LW_CHECK_INT(settle(w), LW_WATCH_SETTLED);
	LW_CHECK_INT(lw_block_watch_table_state(w), 0);

	/* the hold rules: installed, then one of their tables deleted */
	LW_CHECK_INT(lw_hold_rules_install(&r, n, err, sizeof(err)), 0);
	LW_CHECK_INT(settle(w), LW_WATCH_SETTLED);
	LW_CHECK_INT(lw_block_watch_hold_state(w, &r, NULL), 0);
	/* read afresh, every table of that name counts its rules (ip and ip6 alike) */
	LW_CHECK_INT(lw_block_watch_sync(w, err, sizeof(err)), 0);
	LW_CHECK_INT(lw_block_watch_hold_state(w, &r, NULL), 0);
	LW_CHECK_INT(lw_block_watch_table_state(w), 0);
	LW_CHECK_INT(nft_run_cmd_from_buffer(viewer, r.via == LW_HOLD_VIA_NFT
							     ? "delete table inet lwtest_hold"
							     : "delete table ip lwtest_hold"),
		     0);
	LW_CHECK_INT(settle(w), LW_WATCH_SETTLED);
	LW_CHECK(lw_block_watch_hold_state(w, &r, &fam) & LW_WATCH_NO_TABLE);
	LW_CHECK_STR(fam, r.via == LW_HOLD_VIA_NFT ? "inet" : "ip");
	LW_CHECK_INT(lw_hold_rules_install(&r, n, err, sizeof(err)), 0);
	LW_CHECK_INT(settle(w), LW_WATCH_SETTLED);
	LW_CHECK_INT(lw_block_watch_hold_state(w, &r, NULL), 0);
	lw_hold_rules_remove(&r, n);

	/*
	 * notifications lost: a buffer too small for a batch of 3000 elements; the watch reads
	 * the tables afresh and reports every element there
	 */
	setsockopt(lw_block_watch_fd(w), SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
	for (i = 0; i < 3000; i++) {
		struct lw_block_elem e = elem("203.0.113.0", NULL);

		e.addr.b[2] = (uint8_t)(i >> 8);
		e.addr.b[3] = (uint8_t)i;
		lw_block_nft_add(n, &e, 300);
	}
	LW_CHECK_INT(lw_block_nft_commit(n, err, sizeof(err)), 0);
	LW_CHECK_INT(settle(w), LW_WATCH_SETTLED);
	LW_CHECK_INT(lw_block_watch_losses(w), 1);
	LW_CHECK_INT(seen.all_gone, 1);
	LW_CHECK_INT(seen.added, 3000);
	LW_CHECK_INT(lw_block_watch_table_state(w), 0);

	lw_block_watch_close(w);
	lw_block_nft_close(n, false);
}

int main(void)
{
	int fd;

	if (unshare(CLONE_NEWNET) < 0 && unshare(CLONE_NEWUSER | CLONE_NEWNET) < 0) {
		fprintf(stderr, "skip: no network namespace of our own (%s)\n", strerror(errno));
		return 77;
	}
	/* libnftables exits (3) when it cannot open its netlink socket: qemu-user (the cross
	 * builds' tests, tests/cross) emulates a few netlink protocols, not nf_tables' */
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);
	if (fd < 0) {
		fprintf(stderr, "skip: no netfilter netlink socket here (%s)\n", strerror(errno));
		return 77;
	}
	close(fd);
	viewer = nft_ctx_new(NFT_CTX_DEFAULT);
	nft_ctx_buffer_output(viewer);
	nft_ctx_buffer_error(viewer);
	if (nft_run_cmd_from_buffer(viewer, "add table bridge lwprobe\ndelete table bridge "
					    "lwprobe\n") != 0) {
		fprintf(stderr, "skip: no nf_tables bridge family here: %s\n",
			nft_ctx_get_error_buffer(viewer));
		return 77;
	}
	LW_TEST(test_table);
	LW_TEST(test_foreign_shape);
	LW_TEST(test_inet);
	LW_TEST(test_hold_rules);
	LW_TEST(test_watch);
	nft_ctx_free(viewer);
	return lw_test_end();
}
