/* SPDX-License-Identifier: MIT */
/*
 * block: leakwatch's nftables table, driven through libnftables (the library the nft command
 * is built on; one context, no process per change).
 *
 * The table belongs to leakwatch alone; its name and family come from the configuration:
 *
 *   table bridge leakwatch {                       (or "inet" on a routing AP)
 *       set ipv4     { type ipv4_addr; flags timeout; size 65536; }
 *       set ipv6     { type ipv6_addr; flags timeout; size 65536; }
 *       set mac_ipv4 { type ether_addr . ipv4_addr; flags timeout; size 65536; }
 *       set mac_ipv6 { type ether_addr . ipv6_addr; flags timeout; size 65536; }
 *       chain forward {
 *           type filter hook forward priority -200 (inet: 0); policy accept;
 *           ip daddr @ipv4 counter drop           ip saddr @ipv4 counter drop
 *           ip6 daddr @ipv6 counter drop          ip6 saddr @ipv6 counter drop
 *           ether saddr . ip daddr @mac_ipv4 counter drop     (device -> server)
 *           ether daddr . ip saddr @mac_ipv4 counter drop     (server -> device; bridge only)
 *           ... the same for mac_ipv6
 *       }
 *   }
 *
 * Both directions are dropped so that a connection already open when its server is added
 * gets nothing more back.  On a routing AP the destination MAC of a packet coming back from
 * the internet is the router's own, so per-device blocks drop the device's side only there.
 *
 * Element changes are batched: lw_block_nft_add/_del append to a pending transaction that
 * lw_block_nft_commit() sends as one netlink batch (atomic: a delete and re-add of the same
 * element, or a flush and refill of every set, never leaves a gap).  "add element" on an
 * existing element sets its timeout to the new value (this kernel refreshes it), so the
 * caller passes the timeout it wants the element to have from now on.
 */
#ifndef LW_BLOCK_H
#define LW_BLOCK_H

#include "core/types.h"

#define LW_BLOCK_TABLE_MAX 32 /* table name incl. NUL */
#define LW_BLOCK_SET_SIZE 65536 /* elements per set (the kernel refuses more) */
#define LW_BLOCK_TIMEOUT_MAX (86400u * 365) /* longest element timeout, seconds */
#define LW_BLOCK_BATCH_MAX (4u << 20) /* bytes of command text in one transaction */
/* element changes gathered before a commit (bounded by the text limit of one transaction) */
#define LW_BLOCK_PENDING_MAX 16384
/*
 * Rows of the flagged table leakwatchd applies: those a person wrote (leakwatch flag, any
 * source but 'auto') and those the auto policy wrote, each up to its own cap, so that auto
 * flags never crowd out a person's.  leakwatch flag refuses a row past the first cap; the
 * daemon deletes the oldest auto rows past the second.
 */
#define LW_BLOCK_MAX_USER_FLAGS 4096
#define LW_BLOCK_MAX_AUTO_FLAGS 1024

enum lw_block_family {
	LW_BLOCK_BRIDGE, /* a bridge AP: table bridge */
	LW_BLOCK_INET, /* a routing AP: table inet */
};

/* One set element: an address for every device, or a device's MAC with an address. */
struct lw_block_elem {
	bool has_mac;
	struct lw_mac mac;
	struct lw_addr addr;
};

/* --- command text (exposed for tests) ---------------------------------------------------- */

/* A growing text buffer; err is sticky (-ENOMEM, or -E2BIG past LW_BLOCK_BATCH_MAX). */
struct lw_block_text {
	char *p;
	size_t len, cap;
	int err;
};

void lw_block_text_reset(struct lw_block_text *t);
void lw_block_text_printf(struct lw_block_text *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void lw_block_text_free(struct lw_block_text *t);

/* True for a name nft accepts unquoted as a table name: [A-Za-z][A-Za-z0-9_-]{0,30}. */
bool lw_block_table_name_valid(const char *name);
const char *lw_block_family_str(enum lw_block_family fam); /* "bridge" / "inet" */
/* "bridge" / "inet" -> 0 and *out; else -EINVAL. */
int lw_block_family_parse(const char *s, enum lw_block_family *out);

/* The set an element of that kind goes in: "ipv4", "ipv6", "mac_ipv4" or "mac_ipv6". */
const char *lw_block_set_name(bool has_mac, bool v6);

/* The commands that create the table, its sets and chain (keeping existing set elements). */
void lw_block_cmd_setup(struct lw_block_text *t, enum lw_block_family fam, const char *table);
/* "add element FAM TABLE SET { e timeout Ns, ... }" for each set that has elements. */
void lw_block_cmd_add(struct lw_block_text *t, enum lw_block_family fam, const char *table,
		      const struct lw_block_elem *e, const uint32_t *timeout_s, size_t n);
void lw_block_cmd_del(struct lw_block_text *t, enum lw_block_family fam, const char *table,
		      const struct lw_block_elem *e, size_t n);
void lw_block_cmd_flush_sets(struct lw_block_text *t, enum lw_block_family fam, const char *table);

/* --- the table ---------------------------------------------------------------------------- */

struct lw_block_nft;

/*
 * Creates (or takes over) the table and leaves existing set elements in place, so that a
 * restarted daemon keeps blocking until it has rebuilt its sets (lw_block_nft_flush_sets +
 * adds in one commit).  A table of that name whose sets have another shape is deleted and
 * created anew.  Acts in the network namespace of the calling process.
 * Returns 0, -EPERM / -EACCES without CAP_NET_ADMIN, -EAFNOSUPPORT when the kernel has no
 * nf_tables for that family, -ENOMEM, or -EIO; err receives nft's first error line.
 */
int lw_block_nft_open(enum lw_block_family fam, const char *table, struct lw_block_nft **out,
		      char *err, size_t errlen);

/*
 * Puts the table, its sets, chain and rules back as lw_block_nft_open made them, after someone
 * deleted some of it, keeping the elements left in sets that are still there (pending changes
 * stay pending).  Returns 0; 1 when the table had to be made afresh (a set of ours had been
 * replaced by one of another shape: every element is gone); -errno with err.
 */
int lw_block_nft_restore(struct lw_block_nft *n, char *err, size_t errlen);

/* Deletes the table unless keep is set, then frees (NULL-safe); pending changes are dropped. */
void lw_block_nft_close(struct lw_block_nft *n, bool keep);

/*
 * Appends to the pending transaction; -E2BIG when it is full (LW_BLOCK_PENDING_MAX changes of
 * one kind: commit first).  A delete
 * withdraws a pending add of the same element (the transaction sends deletes first, then
 * adds, so that a delete and re-add refreshes an element).
 */
int lw_block_nft_add(struct lw_block_nft *n, const struct lw_block_elem *e, uint32_t timeout_s);
int lw_block_nft_del(struct lw_block_nft *n, const struct lw_block_elem *e);
/* Empties every set, first thing in the pending transaction. */
void lw_block_nft_flush_sets(struct lw_block_nft *n);
bool lw_block_nft_pending(const struct lw_block_nft *n);

/*
 * Sends the pending transaction (nothing to do: 0).  If the kernel refuses it (a deleted
 * element had already timed out, which fails the whole batch), the flush and adds are sent
 * again on their own and each delete alone, so that one vanished element does not undo the
 * rest; returns 0 if the adds went in.  -errno and err otherwise.  The pending transaction
 * is empty afterwards either way.
 */
int lw_block_nft_commit(struct lw_block_nft *n, char *err, size_t errlen);

/* Runs one command text as a transaction (for tests and the hold rules); 0 or -EIO + err. */
int lw_block_nft_run(struct lw_block_nft *n, const char *cmd, char *err, size_t errlen);

/* Runs a "list ..." command; its output (truncated to outlen - 1) in out.  0 or -errno. */
int lw_block_nft_list(struct lw_block_nft *n, const char *cmd, char *out, size_t outlen);

/* --- names and timeouts -------------------------------------------------------------------- */

/*
 * The parent of a DNS name in leakwatch's text form ("a.b.vnet.cn" -> "b.vnet.cn"), skipping
 * escaped dots (\. and \046 inside a label); NULL for a single label.
 */
const char *lw_block_name_parent(const char *name);

/* True if domain is name or one of its parents ("vnet.cn" covers "zzhc.vnet.cn"). */
bool lw_block_domain_covers(const char *domain, const char *name);

/* A DNS TTL clamped to [min, max] (min > max: max wins), and to LW_BLOCK_TIMEOUT_MAX. */
uint32_t lw_block_ttl_clamp(uint32_t ttl, uint32_t min, uint32_t max);

#endif
