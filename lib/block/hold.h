/* SPDX-License-Identifier: MIT */
/*
 * hold: packets held in an NFQUEUE (libnetfilter_queue) until the blocking sets are ready for
 * them, so that no first connection slips through.
 *
 * Two kinds of packet are queued, each by a rule this module installs (lw_hold_rules_*):
 * - DNS answers on their way to clients (UDP source port 53, forwarded or sent by the AP
 *   itself).  The caller adds the addresses of flagged names to the sets, then the answer is
 *   released: the client cannot connect to an address it has not received yet.
 * - the first client->server packets of new connections (TCP without SYN among the first six
 *   packets of the connection; UDP to port 443 among the first three): the stream's start is
 *   read as a TLS ClientHello, an HTTP request head or a QUIC Initial, and the packet that
 *   completes it is held while the caller decides on its SNI or Host.  The caller drops it
 *   when the name is flagged, so the server never sees a whole ClientHello and never answers;
 *   the earlier segments of a ClientHello split over several segments pass (a server answers
 *   only a whole one).
 *
 * Everything else is accepted at once.  The rules carry --queue-bypass (nft: "bypass") and
 * the queue is opened with NFQA_CFG_F_FAIL_OPEN: while nothing listens, or when the queue is
 * full, packets pass.  Blocking fails open; DNS never stops:
 * - the queue is short (LW_HOLD_QUEUE_MAXLEN): a device flooding DNS fills it, and what does
 *   not fit passes at once, so another device's answer waits behind a bounded number of
 *   packets, not behind the whole flood;
 * - a stalled daemon (stopped, or blocked somewhere in its loop) keeps reading nothing, and a
 *   queue that is not full is not failed open by the kernel: its packets would wait for the
 *   whole stall.  A guard process forked by lw_hold_open_queue() shares the queue's socket
 *   (and so its netlink port, which verdicts must come from); when packets have waited
 *   LW_HOLD_GUARD_MS without the daemon reading any, it reads them and accepts them
 *   uninspected until the daemon reads again.  It dies with the daemon (PR_SET_PDEATHSIG).
 *
 * Kernels built without CONFIG_NFT_QUEUE have no nft "queue" statement, only the xtables
 * NFQUEUE target; lw_hold_rules_install() tries nft first and falls back to that target, put
 * in through netlink (see rules.c), unless [block] queue_path picks one.
 */
#ifndef LW_BLOCK_HOLD_H
#define LW_BLOCK_HOLD_H

#include "block/block.h"
#include "core/types.h"
#include "proto/dns.h"

#define LW_HOLD_MAX_CONNS 256 /* connections whose start is being read at once */
#define LW_HOLD_HEAD_MAX 16384 /* bytes of a stream's start buffered for a ClientHello/head */
#define LW_HOLD_CONN_TIMEOUT (10 * LW_USEC_PER_SEC) /* a connection entry unused this long goes */
/*
 * Packets the kernel queues for us before failing open: the longest wait behind a flood is
 * this many packets' inspection (about 20-100 us each on a loaded 2-core AP), while a burst of
 * answers from one page load (tens) still fits.
 */
#define LW_HOLD_QUEUE_MAXLEN 256
/* a stall of the daemon this long with packets waiting hands them to the guard */
#define LW_HOLD_GUARD_MS 1000 /* default of lw_hold_set_guard_ms() */
#define LW_HOLD_GUARD_STALLED_MS 20 /* once stalled: each newly queued packet */
#define LW_HOLD_BATCH 64 /* queue messages handled per lw_hold_dispatch() call */

enum lw_hold_verdict {
	LW_HOLD_ACCEPT,
	LW_HOLD_DROP,
};

/* A held packet the caller decides on. */
struct lw_hold_packet {
	bool has_mac;
	struct lw_mac src_mac; /* the sender's MAC (the client, for a connection's start) */
	struct lw_addr src, dst;
	uint8_t l4;
	uint16_t sport, dport;
	const struct lw_dns_msg *dns; /* a DNS response, else NULL */
	const char *name; /* a whole ClientHello's SNI or a request head's Host, else NULL */
	enum lw_name_source source; /* LW_NAME_SNI, LW_NAME_QUIC or LW_NAME_HTTP with name */
};

typedef enum lw_hold_verdict (*lw_hold_fn)(const struct lw_hold_packet *p, void *user_data);

struct lw_hold_stats {
	uint64_t packets; /* inspected */
	uint64_t dns; /* DNS responses handed to the caller */
	uint64_t names; /* names handed to the caller */
	uint64_t dropped; /* DROP verdicts */
	uint64_t malformed; /* not a decodable IP packet */
	uint64_t gaps; /* a connection's start given up: missing segment or too long */
	uint64_t evicted; /* connection entries reused before they were done */
	uint64_t recv_errors; /* queue messages lost (ENOBUFS) or unreadable */
	uint64_t verdict_errors; /* verdicts the kernel refused */
	uint64_t guard_stalls; /* times the guard found the daemon stalled with packets waiting */
	uint64_t guard_released; /* packets the guard accepted uninspected */
};

struct lw_hold;

/* The inspector without a queue (tests feed it with lw_hold_inspect). NULL on -ENOMEM. */
struct lw_hold *lw_hold_new(lw_hold_fn fn, void *user_data);
/* Closes the queue if open, frees (NULL-safe). */
void lw_hold_free(struct lw_hold *h);

/*
 * One IP packet (IPv4 or IPv6, no link layer) as queued.  src_mac may be NULL.  Returns the
 * verdict; anything it cannot read is accepted.
 */
enum lw_hold_verdict lw_hold_inspect(struct lw_hold *h, const uint8_t *ip, size_t len,
				     const struct lw_mac *src_mac, lw_time_us now);

/*
 * Binds queue number num (fail-open, whole packets) and forks its guard (see above; the queue
 * works without it when fork fails).  0, or -errno with err: -EPERM without CAP_NET_ADMIN,
 * -EBUSY when another program holds that queue.
 */
int lw_hold_open_queue(struct lw_hold *h, uint16_t num, char *err, size_t errlen);
/*
 * How long held packets may wait with the daemon reading none before the guard accepts them
 * (20-60000 ms; before lw_hold_open_queue).  Too short for a slow machine's burst and holds
 * fail open under load; too long and a stalled daemon delays every device's DNS by it.
 */
void lw_hold_set_guard_ms(struct lw_hold *h, unsigned ms);
/* The queue's socket, for the event loop (-1 if not open). */
int lw_hold_fd(const struct lw_hold *h);
/* Handles what is waiting (at most LW_HOLD_BATCH messages): number handled, or -errno. */
int lw_hold_dispatch(struct lw_hold *h, lw_time_us now);

/*
 * Privilege separation: the queue's reader is not its inspector.  With a forward function set
 * (before lw_hold_open_queue), lw_hold_dispatch hands each queued packet (its IP header on,
 * src_mac NULL when the kernel gave none) to fn instead of inspecting it, and gives it no
 * verdict: the caller sends one with lw_hold_verdict() (or the guard does, when the caller
 * stalls).  fn must not keep ip.
 */
typedef void (*lw_hold_forward_fn)(uint32_t packet_id, const uint8_t *ip, size_t len,
				   const struct lw_mac *src_mac, void *user_data);
void lw_hold_set_forward(struct lw_hold *h, lw_hold_forward_fn fn, void *user_data);
/* A forwarded packet's verdict.  0, or -errno (counted in verdict_errors). */
int lw_hold_verdict(struct lw_hold *h, uint32_t packet_id, enum lw_hold_verdict v);

void lw_hold_get_stats(const struct lw_hold *h, struct lw_hold_stats *out);

/* --- the queue rules ------------------------------------------------------------------------ */

enum {
	LW_HOLD_RULES_DNS = 1, /* DNS answers to clients */
	LW_HOLD_RULES_HELLO = 2, /* the starts of new connections */
};

enum lw_hold_via {
	LW_HOLD_VIA_NONE,
	LW_HOLD_VIA_NFT, /* nft queue statements in table inet <table>_hold */
	LW_HOLD_VIA_XTABLES, /* the xtables NFQUEUE target in tables ip/ip6 <table>_hold */
};

/* [block] queue_path: how the rules reach the queue */
enum lw_queue_path {
	LW_QUEUE_AUTO, /* nft queue where the kernel has it, else the xtables NFQUEUE target */
	LW_QUEUE_NFT,
	LW_QUEUE_XTABLES,
};

struct lw_hold_rules {
	char table[LW_BLOCK_TABLE_MAX]; /* the blocking table's name; "_hold" is appended */
	uint16_t queue;
	unsigned what; /* LW_HOLD_RULES_* */
	enum lw_queue_path path;
	/* set by install */
	enum lw_hold_via via;
	bool v6; /* IPv6 answers and connections are held too */
	bool nft_tried, nft_refused; /* the kernel refused the nft queue statement */
};

/* The nft text for the inet table of queue rules (tests); "" when the name would be too long. */
void lw_hold_cmd_nft(struct lw_block_text *t, const struct lw_hold_rules *r);

/*
 * The rules of the xtables-target path, as libnftnl prints them (tests): rule i of
 * lw_hold_xt_rule_count(), for IPv4 or IPv6.  Returns the length written or -errno.
 */
size_t lw_hold_xt_rule_count(void);
int lw_hold_xt_rule_text(const struct lw_hold_rules *r, size_t i, bool v6, char *buf, size_t len);

/*
 * Installs the rules for r->what through nft's context (CAP_NET_ADMIN is all it takes),
 * replacing what a killed daemon left, on the path r->path asks for: LW_QUEUE_AUTO tries nft
 * queue statements and falls back to the xtables target; LW_QUEUE_NFT and LW_QUEUE_XTABLES
 * use that one only (IPv6 best effort on the xtables path: r->v6 tells).  0 or -errno with
 * err.
 */
int lw_hold_rules_install(struct lw_hold_rules *r, struct lw_block_nft *nft, char *err,
			  size_t errlen);
/* The rules lw_hold_rules_install puts in each of its tables for r->what. */
size_t lw_hold_rules_count(const struct lw_hold_rules *r);

/* Removes the rule tables (also stale ones of the same name). */
void lw_hold_rules_remove(struct lw_hold_rules *r, struct lw_block_nft *nft);

#endif
