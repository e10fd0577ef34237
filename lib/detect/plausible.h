/* SPDX-License-Identifier: MIT */
/*
 * Internal to lib/detect: values that have an identifier's shape and are something else real
 * traffic is full of.  Checked where no key says what the value is, or where the key's claim
 * must still be weighed (an advertising id that is the MD5 of "").
 */
#ifndef LW_DETECT_PLAUSIBLE_H
#define LW_DETECT_PLAUSIBLE_H

#include <stdbool.h>
#include <stddef.h>

/*
 * The digits read as a Unix time of 2001..2036 in seconds, milliseconds, microseconds or
 * nanoseconds (10, 13, 16 or 19 digits), or in the 100 us ticks some SDKs send (15 digits).
 */
bool lw_plausible_epoch(const char *digits, size_t n);
/*
 * MD5, SHA-1 or SHA-256 (hex, either case) of nothing: the empty string, "null", "NULL", "0",
 * "unknown", "undefined", "none", Android's placeholder MAC, an all-zero IMEI.  Apps hash
 * whatever they were given; such a hash is no one's identifier.  hex may also be the first
 * 16 or 32 characters of such a digest (an id cut from one).
 */
bool lw_plausible_hash_of_nothing(const char *hex, size_t n);

/*
 * The normalized key (lw_detect_key_norm) names something that carries long numbers and is
 * no device's or person's identifier: shipments and tracking, ad placements and campaigns,
 * payment cards, snowflake ids, items.  A number under it is not judged as an IMEI or ICCID
 * by its shape (a tracking number can pass Luhn and start with 89).
 */
bool lw_plausible_key_not_id(const char *norm);

#endif
