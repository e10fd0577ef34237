/* SPDX-License-Identifier: MIT */
/*
 * A bounded set of keys (strings, kept as 64-bit keyed hashes): "was this (device, domain,
 * kind) seen before".  At most max keys; a key beyond that is refused and counted, never an
 * allocation.  A hash collision (about 2^-64 per pair) would make a new key look seen.
 */
#ifndef LW_ALERT_SEEN_H
#define LW_ALERT_SEEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct lw_seen;

struct lw_seen *lw_seen_new(size_t max); /* NULL: out of memory */
void lw_seen_free(struct lw_seen *s);
/* 1: added (it is new), 0: it was there, -ENOSPC: full (counted in refused). */
int lw_seen_add(struct lw_seen *s, const void *key, size_t len);
/* Whether key is there (nothing added). */
bool lw_seen_has(const struct lw_seen *s, const void *key, size_t len);
size_t lw_seen_count(const struct lw_seen *s);
uint64_t lw_seen_refused(const struct lw_seen *s);

#endif
