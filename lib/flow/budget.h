/* SPDX-License-Identifier: MIT */
/*
 * A byte budget shared by all flows, with a share per device: what the pipeline keeps of
 * HTTP heads and bodies (and every other buffered stream start) is charged here, so that the
 * memory of parallel uploads has a total bound ([inspect] buffer_total_kb) and one device
 * cannot take it all: above 3/4 of the total, a device gets no more than its fair part.
 *
 * A device is a 64-bit key: the client's MAC (or address) hashed by the caller with the
 * process's secret SipHash key, so a client cannot choose where it lands.  Each device holding
 * bytes has an entry of its own, found by its whole key (open addressing in LW_BUDGET_SLOTS
 * entries, at most LW_BUDGET_DEVICES of them in use); when that many devices hold bytes at
 * once, the next ones are counted together in one overflow entry, as one device.  No
 * allocation: a struct lw_budget is a fixed 16 KiB.
 */
#ifndef LW_FLOW_BUDGET_H
#define LW_FLOW_BUDGET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LW_BUDGET_SLOTS 1024 /* a power of two */
#define LW_BUDGET_DEVICES (LW_BUDGET_SLOTS / 4 * 3) /* entries in use at most */
/*
 * The first bytes of each buffer, granted even when the budget is spent (a ClientHello, a DNS
 * message, the start of a request still find room), and counted apart (lw_budget_floor): not
 * in the total nor in a device's part, so that a device with many flows cannot push the others
 * out with them.  They are bounded by the flows there can be (max_flows).
 */
#define LW_BUDGET_FLOOR 2048

enum lw_budget_verdict {
	LW_BUDGET_OK = 0,
	LW_BUDGET_TOTAL, /* refused: the total would pass total_max */
	LW_BUDGET_SHARE, /* refused: the device would pass its fair part (the total not reached) */
};

struct lw_budget {
	size_t total_max; /* 0 = no bound */
	size_t used; /* bytes charged, all devices */
	size_t floor; /* bytes of buffer floors (LW_BUDGET_FLOOR), not in used */
	size_t peak; /* the most used + floor has been */
	size_t devices; /* devices holding bytes (the overflow entry counts as one) */
	size_t entries; /* of slot[], those in use */
	size_t overflow; /* bytes of the devices that found no entry */
	struct lw_budget_dev {
		uint64_t key; /* 0: free (a caller's key 0 is kept as 1) */
		size_t bytes;
	} slot[LW_BUDGET_SLOTS];
};

void lw_budget_init(struct lw_budget *b, size_t total_max);

/*
 * Charges n bytes to device key, if they fit: the total stays within total_max, and above
 * 3/4 of it a device gets no more than its fair part, total_max / (d + 1) with d the devices
 * holding bytes (itself included).  So a device alone holds at most 3/4, and k flooding
 * devices at most max(3/4, k / (k + 1)) of the total: one that comes meanwhile still finds
 * min(1/4, 1 / (k + 1)) of it.  Below 3/4 nobody is refused (uploads of many phones at once
 * are not cut for fairness while there is room).
 */
enum lw_budget_verdict lw_budget_take(struct lw_budget *b, uint64_t key, size_t n);

/* Counts n bytes of buffer floors in (add) or out: never refused. */
void lw_budget_floor(struct lw_budget *b, size_t n, bool add);

/* Gives back n bytes charged to key (never more than it holds). */
void lw_budget_give(struct lw_budget *b, uint64_t key, size_t n);

/* Bytes the device holds now. */
size_t lw_budget_device_used(const struct lw_budget *b, uint64_t key);

#endif
