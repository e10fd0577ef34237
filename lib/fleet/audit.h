/* SPDX-License-Identifier: MIT */
/*
 * An audit: how many rows an access point holds of one table in one window of row ids, all
 * of them acknowledged by JetStream.  The collector counts the central rows of the same window;
 * fewer means messages the stream acknowledged and the collector never got (nats-server 2.9
 * has been seen to skip acknowledged messages after the whole cluster restarted), and the
 * access point is asked to send the table again from the window's first id (README "Many
 * APs", "Nothing lost").
 *
 * The message, on <prefix>.<ap>.audit, binary, big-endian, checked on every read:
 *
 *   u8  format (LW_FLEET_AUDIT_FORMAT)
 *   u8  table (index into lw_fleet_tables())
 *   i64 lo, i64 hi   the lowest and the highest row id of the window held
 *   u64 count        rows held with lo <= id <= hi (1 .. hi - lo + 1)
 *
 * The request to send again is a KV entry "<ap>.<table>" whose value is the decimal lowest
 * row id to send from.
 */
#ifndef LW_FLEET_AUDIT_H
#define LW_FLEET_AUDIT_H

#include <stddef.h>
#include <stdint.h>

#define LW_FLEET_AUDIT_FORMAT 0xa1
#define LW_FLEET_AUDIT_LEN 26
/* row ids per window: one audit message, and one count on the central side, each */
#define LW_FLEET_AUDIT_WINDOW 10000
/* the KV key "<ap>.<table>" and its value */
#define LW_FLEET_RESEND_KEY_MAX 96
#define LW_FLEET_RESEND_VALUE_MAX 24
#define LW_FLEET_RESEND_BUCKET_DEFAULT "LEAKWATCH_RESEND"

struct lw_fleet_audit {
	unsigned table;
	int64_t lo, hi;
	uint64_t count;
};

/* Writes the message into buf (at least LW_FLEET_AUDIT_LEN); its length, or -EINVAL. */
int lw_fleet_audit_encode(const struct lw_fleet_audit *a, uint8_t *buf, size_t size);
/* 0, or -EBADMSG for anything not a whole, consistent audit. */
int lw_fleet_audit_decode(const void *buf, size_t len, struct lw_fleet_audit *a);
/* The KV key of a table's request to send again: its length, or -ENOSPC, -EINVAL. */
int lw_fleet_resend_key(char *buf, size_t size, const char *ap, unsigned table);
/* The request's value: the row id to send from (>= 1); 0, or -EINVAL when it is not one. */
int lw_fleet_resend_parse(const void *value, size_t len, int64_t *from);

#endif
