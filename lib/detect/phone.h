/* SPDX-License-Identifier: MIT */
/*
 * Internal to lib/detect: is a number a telephone number of a country's number plan, and
 * which values only look like identifiers (times, hashes of nothing).  phone.c is the C side;
 * with -Dphonenumber (the default where libphonenumber is installed) it asks the plans through
 * the C++ shim phonenumber.cc, without it every check answers LW_PHONE_UNCHECKED and the engine
 * keeps its length checks.
 */
#ifndef LW_DETECT_PHONE_H
#define LW_DETECT_PHONE_H

#include <stdbool.h>
#include <stddef.h>

enum lw_phone_verdict {
	LW_PHONE_INVALID = 0, /* not a number of the plan (or not written as the plan writes it) */
	LW_PHONE_POSSIBLE, /* its length fits the plan, but no such range is assigned */
	LW_PHONE_VALID, /* an assigned range that is not mobile: fixed line, toll free, ... */
	LW_PHONE_MOBILE, /* an assigned mobile range (or one a plan cannot tell from fixed) */
	LW_PHONE_UNCHECKED, /* built without number plans */
};

/* National significant numbers in the plans run 4..15 digits; shorter ones are not looked up
 * without a phone key (a count or a year would do) */
#define LW_PHONE_NATIONAL_MIN 8
#define LW_PHONE_NATIONAL_MAX 15

/* A key bit set beside detect-int.h's LW_KEY_* (high, away from theirs): keys under which a
 * number is a person's account or contact and so may be a phone number ("user", "num"). */
#define LW_KEY_PHONE_CTX (1u << 28)

bool lw_phone_have_plans(void);
/*
 * An ISO 3166 alpha-2 region ("cn" or "CN") written upper case into out; -EINVAL when it is
 * not two letters or (with the plans) not a region the plans know.
 */
int lw_phone_region_parse(const char *s, char out[3]);
/* digits: the E.164 number after its '+'.  out (cap bytes) gets the E.164 form "+...". */
enum lw_phone_verdict lw_phone_check_intl(const char *digits, size_t n, char *out, size_t cap);
/*
 * digits: a number as dialled inside region (trunk prefix included where the plan has one).
 * out gets its E.164 form.  INVALID without a region.
 */
enum lw_phone_verdict lw_phone_check_national(const char *region, const char *digits, size_t n,
					      char *out, size_t cap);
/* The normalized key (lw_detect_key_norm) holds a person's account or contact number. */
bool lw_phone_key_context(const char *norm);
#ifdef LW_HAVE_PHONENUMBER
/* phonenumber.cc */
#ifdef __cplusplus
extern "C" {
#endif
int lw_phonenumber_check(const char *region, const char *number, size_t n, bool national, char *out,
			 size_t cap);
bool lw_phonenumber_region_known(const char *region);
bool lw_phonenumber_cc_known(unsigned cc);
#ifdef __cplusplus
}
#endif
#endif

#endif
