/* SPDX-License-Identifier: MIT */
/*
 * watch: what the kernel holds of leakwatch's own nftables tables, followed through nf_tables'
 * change notifications (netlink group NFNLGRP_NFTABLES: the messages `nft monitor` prints), so
 * that the daemon notices when a table, chain, rule, set or set element of its own is removed
 * behind its back (`nft delete table`, `nft flush set`, `nft flush ruleset`, a firewall
 * reload) and can put it back.
 *
 * The watch keeps a mirror of the watched tables (present or not, their chains, the handles
 * of their rules, their sets) and hands set elements added and deleted to a callback.  It
 * never asks who made a change: every notification, the daemon's own included, moves the
 * mirror, and the caller compares the mirror with what it wants once the socket is drained
 * at the end of a transaction (each ends with a NEWGEN message).  The daemon's own
 * transactions leave things as it wants them, so they never look like damage.
 *
 * A transaction too large for the socket's buffer (a flush of a set of many thousand
 * elements) loses notifications (ENOBUFS): the watch then discards what is queued and reads
 * the tables afresh (netlink dumps, the same messages as the notifications), which is also
 * how it starts.
 *
 * Watched: "<family> <table>" (its chain forward and the four sets of block.h) and the hold
 * rules' tables "inet", "ip" and "ip6 <table>_hold" (chains forward and output).
 */
#ifndef LW_BLOCK_WATCH_H
#define LW_BLOCK_WATCH_H

#include "block/block.h"
#include "block/hold.h"

#define LW_WATCH_RCVBUF (4u << 20) /* receive buffer asked for (notifications of a batch) */
#define LW_WATCH_BUF 65536 /* bytes read at once (the kernel sends up to 8 KiB a datagram) */
#define LW_WATCH_READS 64 /* datagrams handled per lw_block_watch_read() */
#define LW_WATCH_DRAIN_MAX 65536 /* datagrams discarded per call after a loss */
#define LW_WATCH_RULES_MAX 32 /* rule handles remembered per watched table */

enum lw_watch_elem_op {
	LW_WATCH_ELEM_ADDED, /* e is in its set (added, or found by a dump) */
	LW_WATCH_ELEM_DELETED, /* e left its set */
	LW_WATCH_SET_GONE, /* the set for e's kind (has_mac, addr.family) went, elements and all */
	LW_WATCH_ALL_GONE, /* every set went (the table was deleted, or is read afresh); e NULL */
};

typedef void (*lw_watch_elem_fn)(enum lw_watch_elem_op op, const struct lw_block_elem *e,
				 void *user_data);

struct lw_block_watch;

/*
 * Joins the notification group and reads the tables' state (lw_block_watch_sync), in the
 * network namespace of the calling process.  fn gets the elements of the main table's sets
 * (keys with a zeroed mac when !has_mac).  0 or -errno with err (-EPERM without
 * CAP_NET_ADMIN).
 */
int lw_block_watch_open(enum lw_block_family fam, const char *table, lw_watch_elem_fn fn,
			void *user_data, struct lw_block_watch **out, char *err, size_t errlen);
void lw_block_watch_close(struct lw_block_watch *w); /* NULL-safe */
int lw_block_watch_fd(const struct lw_block_watch *w); /* for the event loop */

enum {
	LW_WATCH_MORE, /* more to read, or the last message was inside a transaction */
	LW_WATCH_SETTLED, /* drained at a transaction's end: the mirror is the kernel's state */
};

/*
 * Handles what is queued (at most LW_WATCH_READS datagrams; after a loss, discards up to
 * LW_WATCH_DRAIN_MAX and then syncs).  LW_WATCH_MORE, LW_WATCH_SETTLED, or -errno.
 */
int lw_block_watch_read(struct lw_block_watch *w);

/* Forgets the mirror (fn gets LW_WATCH_ALL_GONE) and dumps the watched tables. 0 or -errno. */
int lw_block_watch_sync(struct lw_block_watch *w, char *err, size_t errlen);

/* What lw_block_watch_table_state and _hold_state find missing (0: nothing). */
enum {
	LW_WATCH_NO_TABLE = 1,
	LW_WATCH_NO_SET = 2, /* one of the four sets */
	LW_WATCH_NO_CHAIN = 4,
	LW_WATCH_RULES = 8, /* the chains do not hold exactly the rules put there */
};

/* The main table against the layout lw_block_nft_open makes. */
unsigned lw_block_watch_table_state(const struct lw_block_watch *w);

/*
 * The tables lw_hold_rules_install made for r (r->via, r->v6, r->what); *family (may be
 * NULL) receives the family of the first one found wanting.
 */
unsigned lw_block_watch_hold_state(const struct lw_block_watch *w, const struct lw_hold_rules *r,
				   const char **family);

/* How often notifications were lost and the tables read afresh. */
uint64_t lw_block_watch_losses(const struct lw_block_watch *w);

#endif
