/* SPDX-License-Identifier: MIT */
/*
 * privmsg: the messages between leakwatchd's unprivileged parser process and its privileged
 * part (daemon/priv.c), over a SOCK_SEQPACKET socketpair: one message a datagram, a fixed
 * header and a fixed body per kind (only a held packet's bytes and a reply's text vary, up to
 * a bound).  Both ends are the same binary, so the bodies are host-order C structs; the
 * decoder never trusts them: the datagram's size must be exactly the kind's (or within its
 * bounds), every enum in range, every string NUL-terminated and printable, and the validator
 * (lw_privmsg_validate) refuses what the privileged side must never do for the parser: a
 * table other than its own, an address the guard protects (the LAN, the AP, its gateway and
 * resolvers), a queue number it did not configure.
 *
 * No message carries command text: the privileged side builds every nft command itself from
 * the fields (an element, a family, the rule kinds of lw_hold_rules).
 *
 * The same format carries the parser's name lookups to the resolver helper (LW_PRIV_RESOLVE,
 * answered by LW_PRIV_RESOLVED), a process of its own that does nothing else.
 */
#ifndef LW_BLOCK_PRIVMSG_H
#define LW_BLOCK_PRIVMSG_H

#include <stddef.h>
#include <stdint.h>

#include "block/block.h"
#include "block/guard.h"
#include "block/hold.h"

#define LW_PRIVMSG_MAGIC 0x4c57u /* "LW" */
#define LW_PRIVMSG_TEXT_MAX 4096 /* a reply's text (an error, the flowtables listing) */
#define LW_PRIVMSG_HELD_MAX 65535 /* bytes of a held packet (NFQUEUE copies up to 0xffff) */
#define LW_PRIVMSG_IFNAME_MAX 32
#define LW_PRIVMSG_STATUS_MAX 128 /* an sd_notify STATUS= text */
#define LW_PRIVMSG_NAME_MAX 256 /* a name to look up (LW_DNS_NAME_MAX) */
#define LW_PRIVMSG_RESOLVE_ADDRS 32 /* addresses of one lookup (LW_BLOCK_RESOLVE_ADDRS) */
#define LW_PRIVMSG_ERROR_MAX 128 /* a lookup's error text */

enum lw_privmsg_kind {
	/* parser -> privileged, answered by LW_PRIV_REPLY (the call channel) */
	LW_PRIV_NFT_OPEN = 1, /* create or take over the table (another family: move it) */
	LW_PRIV_NFT_RESTORE, /* put the table back after someone deleted some of it */
	LW_PRIV_NFT_CLOSE, /* keep: leave it in the kernel */
	LW_PRIV_NFT_COMMIT, /* send the pending element changes */
	LW_PRIV_NFT_FLOWTABLES, /* the reply's text: "list flowtables" */
	LW_PRIV_RULES_INSTALL, /* the hold's queue rules (what, path); the reply: via, v6 */
	LW_PRIV_RULES_REMOVE,
	LW_PRIV_WATCH_SYNC, /* read the tables afresh (events follow) */
	LW_PRIV_QUEUE_OPEN, /* bind the NFQUEUE; held packets follow as LW_PRIV_HELD */
	LW_PRIV_HOSTAPD_START, /* follow hostapd's control sockets; events follow */
	/* parser -> privileged, no answer (the event channel) */
	LW_PRIV_NFT_ADD, /* an element with its timeout, to the pending transaction */
	LW_PRIV_NFT_DEL,
	LW_PRIV_NFT_FLUSH, /* empty every set, first thing in the pending transaction */
	LW_PRIV_VERDICT, /* a held packet's verdict */
	LW_PRIV_NOTIFY, /* for systemd: ready, watchdog, stopping, a status text */
	/* privileged -> parser */
	LW_PRIV_REPLY,
	LW_PRIV_HELD, /* a queued packet (IP header on), to inspect and answer */
	LW_PRIV_WATCH_ELEM, /* the kernel added or deleted an element of a set of ours */
	LW_PRIV_WATCH_SETTLED, /* the watch drained a transaction: what is missing now */
	LW_PRIV_HOSTAPD_EVENT, /* struct lw_hostapd_event */
	/* parser -> privileged, a call: bridge-nf-call-* set back to 1 where it is 0 (reply: brnf) */
	LW_PRIV_BRNF,
	/* parser -> resolver helper: look a name up; answered by LW_PRIV_RESOLVED (same seq) */
	LW_PRIV_RESOLVE,
	LW_PRIV_RESOLVED,
	LW_PRIV_KIND_END,
};

enum lw_privmsg_notify_what {
	LW_PRIV_NOTIFY_READY = 1,
	LW_PRIV_NOTIFY_WATCHDOG,
	LW_PRIV_NOTIFY_STOPPING,
	LW_PRIV_NOTIFY_STATUS, /* status text only */
};

struct lw_privmsg_hdr {
	uint16_t magic;
	uint16_t kind;
	uint32_t seq; /* a call's number, echoed by its reply; 0 otherwise */
};

struct lw_privmsg_table {
	uint8_t family; /* enum lw_block_family */
	uint8_t keep; /* NFT_CLOSE */
	char table[LW_BLOCK_TABLE_MAX];
};

struct lw_privmsg_elem {
	uint8_t has_mac;
	uint8_t op; /* WATCH_ELEM: enum lw_watch_elem_op */
	uint8_t mac[6];
	uint8_t family; /* 4 or 6 */
	uint8_t addr[16];
	uint32_t timeout; /* NFT_ADD: seconds, 1..LW_BLOCK_TIMEOUT_MAX */
};

struct lw_privmsg_rules {
	char table[LW_BLOCK_TABLE_MAX];
	uint16_t queue;
	uint8_t what; /* LW_HOLD_RULES_* */
	uint8_t path; /* enum lw_queue_path */
	uint32_t stall_ms; /* QUEUE_OPEN: lw_hold_set_guard_ms */
};

struct lw_privmsg_verdict {
	uint32_t packet_id;
	uint8_t verdict; /* enum lw_hold_verdict */
};

struct lw_privmsg_notify {
	uint8_t what; /* enum lw_privmsg_notify_what */
	char status[LW_PRIVMSG_STATUS_MAX]; /* "" = none */
};

struct lw_privmsg_reply {
	int32_t status; /* 0 or -errno (NFT_RESTORE: 1 when the table was made afresh) */
	uint32_t via; /* RULES_INSTALL: enum lw_hold_via */
	uint8_t v6, nft_tried, nft_refused; /* RULES_INSTALL */
	uint8_t brnf, fixed; /* BRNF: enum lw_brnf; whether a value was set back */
	char text[LW_PRIVMSG_TEXT_MAX]; /* an error; NFT_FLOWTABLES: the listing */
};

struct lw_privmsg_held {
	uint32_t packet_id;
	uint8_t has_mac;
	uint8_t mac[6];
	uint32_t len;
	uint8_t data[LW_PRIVMSG_HELD_MAX];
};

struct lw_privmsg_settled {
	uint32_t table_state; /* LW_WATCH_NO_* of the main table */
	uint32_t hold_state; /* ... of the hold rules' tables */
	char hold_family[8]; /* the first hold table found wanting: "inet", "ip", "ip6" */
};

struct lw_privmsg_hostapd {
	uint8_t type; /* enum lw_hostapd_event_type */
	uint8_t mac[6];
	int64_t connected_time;
	char ifname[LW_PRIVMSG_IFNAME_MAX];
};

struct lw_privmsg_resolve {
	char name[LW_PRIVMSG_NAME_MAX];
};

struct lw_privmsg_resolved {
	int32_t status; /* 0 or getaddrinfo's EAI_* code */
	uint32_t n; /* addresses (unique, in getaddrinfo's order) */
	struct {
		uint8_t family; /* 4 or 6 */
		uint8_t addr[16];
	} addrs[LW_PRIVMSG_RESOLVE_ADDRS];
	char error[LW_PRIVMSG_ERROR_MAX]; /* gai_strerror() when status */
};

struct lw_privmsg {
	struct lw_privmsg_hdr h;
	union {
		struct lw_privmsg_table table;
		struct lw_privmsg_elem elem;
		struct lw_privmsg_rules rules;
		struct lw_privmsg_verdict verdict;
		struct lw_privmsg_notify notify;
		struct lw_privmsg_reply reply;
		struct lw_privmsg_held held;
		struct lw_privmsg_settled settled;
		struct lw_privmsg_hostapd hostapd;
		struct lw_privmsg_resolve resolve;
		struct lw_privmsg_resolved resolved;
	} u;
};

/* The datagram size of m as built (held: the header and len bytes; reply: its text). */
size_t lw_privmsg_size(const struct lw_privmsg *m);

/*
 * Decodes one received datagram into out (zeroed first): 0, or -EBADMSG for a bad magic, an
 * unknown kind, a size other than the kind's, an enum out of range, an unterminated or
 * unprintable string, a held length that disagrees with the size.
 */
int lw_privmsg_decode(const void *buf, size_t len, struct lw_privmsg *out);

/* What the privileged side allows the parser (lw_privmsg_validate). */
struct lw_privmsg_policy {
	const char *table; /* its own table; the hold rules' tables are table + "_hold" */
	uint16_t queue; /* the configured queue number */
	struct lw_block_guard *guard; /* addresses never in a set (refusals are counted there) */
};

enum lw_privmsg_refusal {
	LW_PRIV_OK,
	LW_PRIV_REFUSED_KIND, /* a kind the parser never sends */
	LW_PRIV_REFUSED_TABLE, /* not the own table */
	LW_PRIV_REFUSED_ADDR, /* the guard protects it */
	LW_PRIV_REFUSED_VALUE, /* a timeout, queue number or rule kind out of bounds */
};

/*
 * Whether the privileged side may act on a decoded message from the parser (a lookup is not
 * for it: LW_PRIV_REFUSED_KIND; the resolver helper takes LW_PRIV_RESOLVE only).
 */
enum lw_privmsg_refusal lw_privmsg_validate(const struct lw_privmsg *m,
					    const struct lw_privmsg_policy *p);
const char *lw_privmsg_refusal_str(enum lw_privmsg_refusal r);
const char *lw_privmsg_kind_str(unsigned kind);

/* Builds the header (kind, seq) of m. */
void lw_privmsg_init(struct lw_privmsg *m, enum lw_privmsg_kind kind, uint32_t seq);
/* Element <-> its message form. */
void lw_privmsg_put_elem(struct lw_privmsg_elem *m, const struct lw_block_elem *e);
void lw_privmsg_get_elem(const struct lw_privmsg_elem *m, struct lw_block_elem *e);

#endif
