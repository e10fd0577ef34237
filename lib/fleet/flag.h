/* SPDX-License-Identifier: MIT */
/*
 * A central flag as it travels from the centre to every access point (README "Many APs"):
 * a key of the KV bucket and its value.
 *
 * The key names what is flagged: the domain, and "=<12 hex digits>" after it when the flag is
 * for one device.  A normalized domain has only letters, digits, '-', '_' and inner dots, all
 * allowed in a KV key ([-/_=.a-zA-Z0-9], no dot at either end), and '=' is not in a domain,
 * so the key is readable in `nats kv ls` and two flags never share one.
 *
 * The value is a row message of the flagged table (lib/fleet/row.h: checked on every read):
 * domain TEXT, mac TEXT or NULL, reason TEXT or NULL, source TEXT ("central"), added NULL,
 * expires INT or NULL; id and version 0.  An access point takes a value only when it is
 * exactly what lw_fleet_flag_encode() would write for its key: a normalized domain, a
 * canonical MAC, a reason of at most LW_FLEET_FLAG_REASON_MAX bytes of UTF-8.
 */
#ifndef LW_FLEET_FLAG_H
#define LW_FLEET_FLAG_H

#include "core/types.h"
#include "proto/dns.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* the longest reason a flag carries; a longer central one is cut (at a UTF-8 character) */
#define LW_FLEET_FLAG_REASON_MAX 200
/* the most central flags: a bucket holding more is refused past this many on an AP */
#define LW_FLEET_FLAGS_MAX 1024
/* "<domain>=<12 hex>" and its NUL */
#define LW_FLEET_FLAG_KEY_MAX (LW_DNS_NAME_MAX + 13)
/* the longest value lw_fleet_flag_encode() writes */
#define LW_FLEET_FLAG_VALUE_MAX 1024

struct lw_fleet_flag {
	char domain[LW_DNS_NAME_MAX];
	char mac[LW_MAC_STRLEN]; /* "" = every device */
	char reason[LW_FLEET_FLAG_REASON_MAX + 1];
	bool has_expires;
	int64_t expires; /* unix seconds */
};

/*
 * A flag from a central row's columns (mac and reason may be NULL or "", expires NULL):
 * the domain normalized as leakwatchd does (a leading "*." dropped, lowercase), the MAC in
 * its canonical form.  0, or -EINVAL with *why saying what is wrong.
 */
int lw_fleet_flag_make(struct lw_fleet_flag *f, const char *domain, const char *mac,
		       const char *reason, const int64_t *expires, const char **why);
/* The flag's KV key; its length, or -ENOSPC. */
int lw_fleet_flag_key(const struct lw_fleet_flag *f, char *buf, size_t size);
/*
 * What a key names (a deleted key has no value): the domain and the mac into f, the rest
 * empty.  0, or -EINVAL for a key no collector writes.
 */
int lw_fleet_flag_from_key(const char *key, struct lw_fleet_flag *f);
/* The flag's KV value; its length, or -ENOSPC. */
int lw_fleet_flag_encode(const struct lw_fleet_flag *f, uint8_t *buf, size_t size);
/*
 * A KV entry back into a flag.  0, or -EBADMSG with *why saying what is wrong: not a
 * flagged row message, a value that is not the canonical one, or a key that does not name
 * the value's flag.
 */
int lw_fleet_flag_decode(const char *key, const void *buf, size_t len, struct lw_fleet_flag *f,
			 const char **why);

#endif
