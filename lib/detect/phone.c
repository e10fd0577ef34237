/* SPDX-License-Identifier: MIT */
/*
 * Telephone numbers against the number plans (ITU-T E.164 and each country's national plan),
 * through libphonenumber where leakwatch is built with it (phonenumber.cc says why that
 * library, and why optional).  Without it every check answers LW_PHONE_UNCHECKED and the
 * engine keeps what it did before: numbers under phone keys taken on their length (7..15
 * digits, lw_detect_check_phone), national numbers under other keys not looked for.
 *
 * The AP's region ([detect] region) decides what a national number is: "13812345678" is a
 * China Mobile number in CN and nothing in DE.
 */
#include <errno.h>
#include <string.h>

#include "core/types.h"
#include "detect/phone.h"

bool lw_phone_have_plans(void)
{
#ifdef LW_HAVE_PHONENUMBER
	return true;
#else
	return false;
#endif
}

int lw_phone_region_parse(const char *s, char out[3])
{
	size_t i;

	if (!s || strlen(s) != 2)
		return -EINVAL;
	for (i = 0; i < 2; i++) {
		char c = s[i];

		if (c >= 'a' && c <= 'z')
			c = (char)(c - 32);
		if (c < 'A' || c > 'Z')
			return -EINVAL;
		out[i] = c;
	}
	out[2] = '\0';
#ifdef LW_HAVE_PHONENUMBER
	if (!lw_phonenumber_region_known(out))
		return -EINVAL;
#endif
	return 0;
}

static bool digits_only(const char *d, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (d[i] < '0' || d[i] > '9')
			return false;
	return n > 0;
}

enum lw_phone_verdict lw_phone_check_intl(const char *digits, size_t n, char *out, size_t cap)
{
#ifdef LW_HAVE_PHONENUMBER
	char buf[24];

	if (!digits_only(digits, n) || n + 2 > sizeof(buf))
		return LW_PHONE_INVALID;
	buf[0] = '+';
	memcpy(buf + 1, digits, n);
	return (enum lw_phone_verdict)lw_phonenumber_check(NULL, buf, n + 1, false, out, cap);
#else
	(void)out;
	(void)cap;
	return digits_only(digits, n) ? LW_PHONE_UNCHECKED : LW_PHONE_INVALID;
#endif
}

enum lw_phone_verdict lw_phone_check_national(const char *region, const char *digits, size_t n,
					      char *out, size_t cap)
{
	if (!region || !region[0] || !digits_only(digits, n) || n > LW_PHONE_NATIONAL_MAX + 1)
		return LW_PHONE_INVALID;
#ifdef LW_HAVE_PHONENUMBER
	return (enum lw_phone_verdict)lw_phonenumber_check(region, digits, n, true, out, cap);
#else
	(void)out;
	(void)cap;
	return LW_PHONE_UNCHECKED;
#endif
}

bool lw_phone_key_context(const char *k)
{
	/*
	 * Keys that name a person's account, login or contact: services log in by mobile number
	 * (most Chinese apps do), and messaging and calling APIs name the other end by it.  Exact
	 * names only: "ordernum" and "userid" are something else.  shouji(hao): "mobile
	 * (number)" in pinyin.
	 */
	static const char *const ctx[] = {
		"user",	   "username",	   "uname",	  "login",     "loginname", "account",
		"acct",	   "num",	   "number",	  "contact",   "callee",    "caller",
		"called",  "calling",	   "from",	  "to",	       "recipient", "receiver",
		"sender",  "sms",	   "smsto",	  "dial",      "shouji",    "shoujihao",
		"loginid", "loginaccount", "accountname", "mobilenum", "mob",
	};
	size_t i;

	for (i = 0; i < LW_ARRAY_SIZE(ctx); i++)
		if (strcmp(k, ctx[i]) == 0)
			return true;
	return false;
}
