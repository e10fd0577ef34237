/* SPDX-License-Identifier: MIT */
/*
 * Validators: is this string an identifier of that kind, and what is its canonical form.
 *
 *   IMEI   3GPP TS 23.003 §6.2:  TAC (8: reporting body 2 + model 6) | SNR (6) | CD (1, Luhn)
 *          IMEISV: TAC | SNR | SVN (2), no check digit
 *   MEID   3GPP2 S.R0048: 14 hex, regional code (first 2) A0..FF; decimal form 10 + 8 digits
 *   ICCID  ITU-T E.118: "89" | country | issuer | account | Luhn check digit; 18-20 digits
 *   IMSI   3GPP TS 23.003 §2.2: MCC (3, ITU-T E.212) | MNC (2-3) | MSIN; at most 15 digits
 *   phone  ITU-T E.164: at most 15 digits including the country code
 *
 * Key names decide what a bare number may be: a Luhn-valid 15-digit number is an IMEI one
 * time in ten by chance, so the key (or its absence) sets the confidence, and keys that name
 * timestamps, orders and sessions veto it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect/detect-int.h"

static bool is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static char lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c + 32) : c;
}

bool lw_detect_all_digits(const char *s, size_t n)
{
	size_t i;

	if (n == 0)
		return false;
	for (i = 0; i < n; i++)
		if (!is_digit(s[i]))
			return false;
	return true;
}

bool lw_detect_all_hex(const char *s, size_t n)
{
	size_t i;

	if (n == 0)
		return false;
	for (i = 0; i < n; i++)
		if (hexval(s[i]) < 0)
			return false;
	return true;
}

size_t lw_detect_key_norm(const char *key, size_t len, char out[LW_KEY_NORM_MAX])
{
	size_t i, o = 0;

	for (i = 0; i < len && o < LW_KEY_NORM_MAX - 1; i++) {
		char c = lower(key[i]);

		if ((c >= 'a' && c <= 'z') || is_digit(c))
			out[o++] = c;
	}
	out[o] = '\0';
	return o;
}

static bool has(const char *s, const char *sub)
{
	return strstr(s, sub) != NULL;
}

static bool ends(const char *s, const char *suf)
{
	size_t a = strlen(s), b = strlen(suf);

	return a >= b && memcmp(s + a - b, suf, b) == 0;
}

static bool in_list(const char *s, const char *const *list, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(s, list[i]) == 0)
			return true;
	return false;
}

#define IN(s, ...)                                       \
	in_list((s), (const char *const[]){__VA_ARGS__}, \
		sizeof((const char *const[]){__VA_ARGS__}) / sizeof(const char *))

static void classify_cell(const char *k, struct lw_key_class *kc)
{
	static const struct {
		const char *key;
		enum lw_cell_field f;
		bool strong;
	} cells[] = {
		{"mcc", LW_CELL_MCC, false},
		{"mnc", LW_CELL_MNC, false},
		{"lac", LW_CELL_LAC, false},
		{"tac", LW_CELL_TAC, false},
		{"cid", LW_CELL_CID, false},
		{"ci", LW_CELL_CID, false},
		{"cellid", LW_CELL_CID, true},
		{"cellidentity", LW_CELL_CID, true},
		{"eci", LW_CELL_ECI, true},
		{"nci", LW_CELL_NCI, true},
		{"pci", LW_CELL_PCI, false},
		{"sid", LW_CELL_SID, false},
		{"nid", LW_CELL_NID, false},
		{"baseid", LW_CELL_BASEID, true},
		{"bid", LW_CELL_BASEID, false},
		{"bsid", LW_CELL_BASEID, false},
		{"basestationid", LW_CELL_BASEID, true},
	};
	size_t i;

	for (i = 0; i < LW_ARRAY_SIZE(cells); i++) {
		if (strcmp(k, cells[i].key) == 0) {
			kc->flags |= LW_KEY_CELL;
			kc->cell = cells[i].f;
			kc->cell_strong = cells[i].strong;
			return;
		}
	}
	/* SIM1CELLID, SIM2CELLID, servingCellId, ... */
	if (ends(k, "cellid")) {
		kc->flags |= LW_KEY_CELL;
		kc->cell = LW_CELL_CID;
		kc->cell_strong = true;
	}
}

struct lw_key_class lw_detect_key_classify(const char *k)
{
	struct lw_key_class kc = {0, LW_CELL_NONE, false};

	if (!k || !*k)
		return kc;
	if (has(k, "imeisv") || IN(k, "svn"))
		kc.flags |= LW_KEY_IMEISV | LW_KEY_IMEI;
	else if (has(k, "imei"))
		kc.flags |= LW_KEY_IMEI;
	/* China Telecom's self-registration sends the IMEI under MEID */
	if (has(k, "meid"))
		kc.flags |= LW_KEY_MEID | LW_KEY_IMEI;
	if (IN(k, "deviceid", "did", "devid", "udid", "deviceno", "devicenum", "deviceimei"))
		kc.flags |= LW_KEY_IMEI | (has(k, "imei") ? 0 : LW_KEY_DEVICE);
	if (has(k, "iccid") || has(k, "simserial") || IN(k, "icc", "iccno"))
		kc.flags |= LW_KEY_ICCID;
	if (has(k, "imsi") || IN(k, "subscriberid"))
		kc.flags |= LW_KEY_IMSI;
	if (!IN(k, "hmac") &&
	    (IN(k, "mac") || has(k, "macaddr") || has(k, "macid") || ends(k, "mac") ||
	     has(k, "bssid") || has(k, "wifi") || has(k, "wlan")))
		kc.flags |= LW_KEY_MAC;
	if (has(k, "androidid") || IN(k, "aid", "ssaid", "adrid"))
		kc.flags |= LW_KEY_ANDROID;
	if (has(k, "adid") || has(k, "advertisingid") || has(k, "advertisingidentifier") ||
	    has(k, "idfa") || has(k, "gaid") ||
	    IN(k, "aaid", "ifa", "aid", "oaid", "rida", "afai", "msai", "googleaid",
	       "advertiserid"))
		kc.flags |= LW_KEY_ADID;
	if (has(k, "phone") || has(k, "msisdn") || IN(k, "tel", "mobile", "mobileno", "mdn") ||
	    has(k, "mobilenumber") || has(k, "line1number") || has(k, "telephone"))
		kc.flags |= LW_KEY_PHONE;
	if (has(k, "serial") && !(kc.flags & LW_KEY_ICCID))
		kc.flags |= LW_KEY_SERIAL;
	if (IN(k, "lat", "latitude", "late6", "latitudee6") || ends(k, "latitude"))
		kc.flags |= LW_KEY_LAT;
	if (IN(k, "lon", "lng", "long", "longitude", "lone6", "lnge6", "longitudee6") ||
	    ends(k, "longitude"))
		kc.flags |= LW_KEY_LON;
	if (IN(k, "late6", "latitudee6", "lone6", "lnge6", "longitudee6"))
		kc.flags |= LW_KEY_E6;
	if (IN(k, "ll", "latlng", "latlon", "latlong", "location", "loc", "geo", "coords",
	       "coordinates", "gps", "position", "userlocation"))
		kc.flags |= LW_KEY_LATLON;
	kc.flags |= lw_detect_key_sdk(k);
	classify_cell(k, &kc);
	if (kc.flags)
		return kc;
	/* numbers under these keys are counters, times, money or random tokens, not ids */
	if (IN(k, "id", "ts", "t", "rid", "msgid", "ver", "v", "len", "seq", "n", "r", "rnd",
	       "rand", "random", "cb", "nonce", "sign", "sig", "crc") ||
	    has(k, "time") || has(k, "date") || has(k, "order") || has(k, "txn") ||
	    has(k, "transaction") || has(k, "invoice") || has(k, "payment") || has(k, "amount") ||
	    has(k, "price") || has(k, "nonce") || has(k, "session") || has(k, "trace") ||
	    has(k, "request") || has(k, "version") || has(k, "count") || has(k, "size") ||
	    has(k, "length") || has(k, "duration") || has(k, "offset") || has(k, "epoch") ||
	    has(k, "expire") || has(k, "ticket") || has(k, "seq") ||
	    /* database ids and reference numbers: post_id, orderNo, itemNum, ref */
	    ends(k, "id") || ends(k, "no") || ends(k, "num") || ends(k, "number") ||
	    ends(k, "ref") || ends(k, "code"))
		kc.flags |= LW_KEY_EXCLUDED;
	return kc;
}

bool lw_detect_luhn_ok(const char *d, size_t n)
{
	unsigned sum = 0;
	size_t i;

	if (n < 2)
		return false;
	for (i = 0; i < n; i++) {
		unsigned v = (unsigned)(d[n - 1 - i] - '0');

		if (v > 9)
			return false;
		if (i & 1) {
			v *= 2;
			if (v > 9)
				v -= 9;
		}
		sum += v;
	}
	return sum % 10 == 0;
}

char lw_detect_luhn_digit(const char *d, size_t n)
{
	unsigned sum = 0;
	size_t i;

	/* the digit to append sits at position 0 from the right, so d's last digit doubles */
	for (i = 0; i < n; i++) {
		unsigned v = (unsigned)(d[n - 1 - i] - '0');

		if (v > 9)
			return '?';
		if (!(i & 1)) {
			v *= 2;
			if (v > 9)
				v -= 9;
		}
		sum += v;
	}
	return (char)('0' + (10 - sum % 10) % 10);
}

bool lw_detect_tac_plausible(const char *d)
{
	/*
	 * Reporting Body Identifiers, GSMA TS.06 appendix A: those allocating now (01 PTCRB,
	 * 35 BABT, 86 TAF, 99 GHA, 98) and those whose TACs are still in use (10 DECT, 30
	 * Iridium, 33 DGPT, 44 BABT, 45 NTA, 49-54 German bodies, 91 MSAI).  00 and 02-09 are
	 * test IMEIs.
	 */
	static const char rbi[][3] = {"01", "10", "30", "33", "35", "44", "45", "49", "50",
				      "51", "52", "53", "54", "86", "91", "98", "99"};
	size_t i;

	for (i = 0; i < LW_ARRAY_SIZE(rbi); i++)
		if (d[0] == rbi[i][0] && d[1] == rbi[i][1])
			return true;
	return false;
}

bool lw_detect_digits_trivial(const char *d, size_t n)
{
	size_t i, per;
	bool up = true, down = true;

	/* periodic with a short period: 000000..., 121212..., 12341234... */
	for (per = 1; per <= 4 && per < n; per++) {
		for (i = per; i < n; i++)
			if (d[i] != d[i - per])
				break;
		if (i == n)
			return true;
	}
	for (i = 1; i < n; i++) {
		int a = d[i - 1] - '0', b = d[i] - '0';

		if (b != (a + 1) % 10)
			up = false;
		if (a != (b + 1) % 10)
			down = false;
	}
	return n > 1 && (up || down);
}

static void copy_str(char *out, const char *s, size_t n)
{
	if (n >= LW_DETECT_VALUE_MAX)
		n = LW_DETECT_VALUE_MAX - 1;
	memcpy(out, s, n);
	out[n] = '\0';
}

/* Digits of s with the separators people write IMEIs and ICCIDs with ("35-209900-..."). */
static size_t strip_digits(const char *s, size_t n, char *d, size_t cap)
{
	size_t i, o = 0;

	for (i = 0; i < n; i++) {
		if (is_digit(s[i])) {
			if (o + 1 >= cap)
				return 0;
			d[o++] = s[i];
		} else if (s[i] != '-' && s[i] != ' ') {
			return 0;
		}
	}
	d[o] = '\0';
	return o;
}

bool lw_detect_check_imei(const char *s, size_t n, char *out)
{
	char d[32];
	size_t k = strip_digits(s, n, d, sizeof(d));

	if (k == 14) {
		d[14] = lw_detect_luhn_digit(d, 14);
		d[15] = '\0';
		k = 15;
	} else if (k != 15 || !lw_detect_luhn_ok(d, 15)) {
		return false;
	}
	if (!lw_detect_tac_plausible(d) || lw_detect_digits_trivial(d, 14))
		return false;
	copy_str(out, d, 15);
	return true;
}

bool lw_detect_check_iccid(const char *s, size_t n, bool keyed, char *out)
{
	char d[32];
	size_t k = strip_digits(s, n, d, sizeof(d));

	if (k < 18 || k > 20 || d[0] != '8' || d[1] != '9')
		return false;
	if (lw_detect_digits_trivial(d + 2, k - 2))
		return false;
	/* the check digit is often dropped (19 digits): only a key vouches for such a value */
	if (!lw_detect_luhn_ok(d, k) && !keyed)
		return false;
	copy_str(out, d, k);
	return true;
}

bool lw_detect_check_imsi(const char *s, size_t n, char *out)
{
	unsigned mcc;

	if (n < 14 || n > 15 || !lw_detect_all_digits(s, n))
		return false;
	mcc = (unsigned)((s[0] - '0') * 100 + (s[1] - '0') * 10 + (s[2] - '0'));
	if (!lw_detect_mcc_valid(mcc) || lw_detect_digits_trivial(s + 5, n - 5))
		return false;
	copy_str(out, s, n);
	return true;
}

bool lw_detect_check_meid(const char *s, size_t n, char *out)
{
	size_t i;

	if (n == 14 && lw_detect_all_hex(s, 14)) {
		int rr = hexval(s[0]) * 16 + hexval(s[1]);

		/* A0..FF: an MEID proper; 99: from the IMEI-compatible decimal range */
		if (rr < 0xa0 && !(s[0] == '9' && s[1] == '9'))
			return false;
		for (i = 0; i < 14; i++)
			out[i] = (char)(s[i] >= 'a' && s[i] <= 'f' ? s[i] - 32 : s[i]);
		out[14] = '\0';
		return !lw_detect_digits_trivial(out + 2, 12);
	}
	if (n == 18 && lw_detect_all_digits(s, 18)) {
		/* decimal form: manufacturer code (32 bits) as 10 digits, serial (24) as 8 */
		unsigned long long m = 0, sn = 0;

		for (i = 0; i < 10; i++)
			m = m * 10 + (unsigned)(s[i] - '0');
		for (i = 10; i < 18; i++)
			sn = sn * 10 + (unsigned)(s[i] - '0');
		if (m > 0xffffffffULL || sn > 0xffffffULL || (m >> 24) < 0xa0)
			return false;
		snprintf(out, LW_DETECT_VALUE_MAX, "%08llX%06llX", m, sn);
		return true;
	}
	return false;
}

bool lw_detect_check_uuid(const char *s, size_t n, char *out, bool *zero)
{
	static const size_t dash[] = {8, 13, 18, 23};
	size_t i, o = 0, di = 0;
	bool z = true;

	if (n != 36 && n != 32)
		return false;
	for (i = 0; i < n; i++) {
		if (n == 36 && di < 4 && i == dash[di]) {
			if (s[i] != '-')
				return false;
			di++;
			continue;
		}
		if (hexval(s[i]) < 0)
			return false;
		if (s[i] != '0')
			z = false;
		out[o++] = lower(s[i]);
		if (o == 8 || o == 13 || o == 18 || o == 23)
			out[o++] = '-';
	}
	out[o] = '\0';
	if (zero)
		*zero = z;
	return true;
}

static bool email_local_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '.' ||
	       c == '_' || c == '%' || c == '+' || c == '-';
}

bool lw_detect_check_email(const char *s, size_t n, char *out)
{
	/* image@2x.png and friends: resource names, not addresses */
	static const char *const not_tld[] = {"png", "jpg",  "jpeg", "gif",  "webp", "svg", "js",
					      "css", "html", "htm",  "json", "xml",  "php", "ico",
					      "bmp", "mp4",  "mp3",  "woff", "ttf",  "so",  "jar"};
	const char *at = memchr(s, '@', n);
	size_t local, i, label = 0, dots = 0, tld_start = 0;
	bool tld_alpha = true;

	if (!at || n > 254)
		return false;
	local = (size_t)(at - s);
	if (local == 0 || local > 64 || s[0] == '.' || s[local - 1] == '.')
		return false;
	for (i = 0; i < local; i++) {
		if (!email_local_char(s[i]) || (s[i] == '.' && s[i + 1] == '.'))
			return false;
	}
	for (i = local + 1; i < n; i++) {
		char c = s[i];

		if (c == '.') {
			if (label == 0 || s[i - 1] == '-')
				return false;
			dots++;
			label = 0;
			tld_start = i + 1;
			tld_alpha = true;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '-'))
			return false;
		if (c == '-' && label == 0)
			return false;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')))
			tld_alpha = false;
		if (++label > 63)
			return false;
	}
	if (dots == 0 || label < 2 || label > 24 || !tld_alpha)
		return false;
	for (i = 0; i < LW_ARRAY_SIZE(not_tld); i++) {
		size_t tl = strlen(not_tld[i]);

		if (n - tld_start == tl && strncasecmp(s + tld_start, not_tld[i], tl) == 0)
			return false;
	}
	for (i = 0; i < n; i++)
		out[i] = lower(s[i]);
	out[n] = '\0';
	return true;
}

bool lw_detect_check_phone(const char *s, size_t n, char *out)
{
	char d[24];
	size_t i, k = 0;
	bool intl = false;

	while (n && (*s == ' ' || *s == '\t'))
		s++, n--;
	if (n && (s[0] == '+')) {
		intl = true;
		s++, n--;
	}
	for (i = 0; i < n; i++) {
		if (is_digit(s[i])) {
			if (k + 1 >= sizeof(d))
				return false;
			d[k++] = s[i];
		} else if (!strchr(" -().\t", s[i])) {
			return false;
		}
	}
	if (!intl && k > 2 && d[0] == '0' && d[1] == '0') {
		intl = true;
		memmove(d, d + 2, k - 2);
		k -= 2;
	}
	if (k < 7 || k > 15 || lw_detect_digits_trivial(d, k))
		return false;
	d[k] = '\0';
	if (!intl) {
		unsigned long long v = strtoull(d, NULL, 10);

		/* epoch milliseconds (2001..2036) and seconds look like numbers too */
		if (k == 13 && v >= 1000000000000ULL && v < 2100000000000ULL)
			return false;
		if (k == 10 && v >= 1000000000ULL && v < 2100000000ULL)
			return false;
	}
	if (intl && d[0] == '0')
		return false;
	snprintf(out, LW_DETECT_VALUE_MAX, "%s%s", intl ? "+" : "", d);
	return true;
}

bool lw_detect_check_android_id(const char *s, size_t n, char *out)
{
	size_t i;

	if (n != 16 || !lw_detect_all_hex(s, 16))
		return false;
	for (i = 0; i < 16; i++)
		out[i] = lower(s[i]);
	out[16] = '\0';
	return !lw_detect_digits_trivial(out, 16);
}

bool lw_detect_check_coord(const char *s, size_t n, bool lon, bool e6, char *out, size_t cap)
{
	size_t i = 0, intd = 0, dec = 0;
	double v, lim = lon ? 180.0 : 90.0;
	char buf[40];

	while (n && (s[n - 1] == ' '))
		n--;
	while (n && (*s == ' '))
		s++, n--;
	if (n == 0 || n >= sizeof(buf))
		return false;
	if (s[0] == '-' || s[0] == '+')
		i++;
	while (i < n && is_digit(s[i]))
		i++, intd++;
	if (e6) {
		if (i != n || intd < 5 || intd > 9)
			return false;
		memcpy(buf, s, n);
		buf[n] = '\0';
		v = strtod(buf, NULL) / 1e6;
		if (v < -lim || v > lim || v == 0)
			return false;
		snprintf(out, cap, "%.6f", v);
		return true;
	}
	if (intd == 0 || intd > 3 || i >= n || s[i] != '.')
		return false;
	for (i++; i < n && is_digit(s[i]); i++)
		dec++;
	/* 4 decimals is about 11 m; fewer is a city, not a person */
	if (i != n || dec < 4 || dec > 15)
		return false;
	memcpy(buf, s, n);
	buf[n] = '\0';
	v = strtod(buf, NULL);
	if (v < -lim || v > lim)
		return false;
	if (n + 1 > cap)
		return false;
	memcpy(out, s, n);
	out[n] = '\0';
	return true;
}

bool lw_detect_check_cell(enum lw_cell_field f, const char *s, size_t n, uint64_t *v)
{
	static const uint64_t max[LW_CELL__COUNT] = {
		[LW_CELL_MCC] = 999,
		[LW_CELL_MNC] = 999,
		[LW_CELL_LAC] = 65533,
		[LW_CELL_TAC] = 16777215,
		[LW_CELL_CID] = 268435455,
		[LW_CELL_ECI] = 268435455,
		[LW_CELL_NCI] = 68719476735ULL,
		[LW_CELL_PCI] = 1007,
		[LW_CELL_SID] = 32767,
		[LW_CELL_NID] = 65535,
		[LW_CELL_BASEID] = 65535,
	};
	uint64_t x = 0;
	size_t i;

	while (n && s[0] == ' ')
		s++, n--;
	if (n == 0 || n > 12 || !lw_detect_all_digits(s, n))
		return false;
	for (i = 0; i < n; i++)
		x = x * 10 + (uint64_t)(s[i] - '0');
	/* Android's "unavailable" is Integer.MAX_VALUE; it is out of every range below */
	if (f <= LW_CELL_NONE || f >= LW_CELL__COUNT || x > max[f])
		return false;
	if (f == LW_CELL_MCC && !lw_detect_mcc_valid((unsigned)x))
		return false;
	if ((f == LW_CELL_LAC || f == LW_CELL_CID || f == LW_CELL_ECI) && x == 0)
		return false;
	*v = x;
	return true;
}

const char *lw_detect_cell_label(enum lw_cell_field f)
{
	switch (f) {
	case LW_CELL_NONE:
	case LW_CELL__COUNT:
		return "";
	case LW_CELL_MCC:
		return "mcc";
	case LW_CELL_MNC:
		return "mnc";
	case LW_CELL_LAC:
		return "lac";
	case LW_CELL_TAC:
		return "tac";
	case LW_CELL_CID:
		return "cid";
	case LW_CELL_ECI:
		return "eci";
	case LW_CELL_NCI:
		return "nci";
	case LW_CELL_PCI:
		return "pci";
	case LW_CELL_SID:
		return "sid";
	case LW_CELL_NID:
		return "nid";
	case LW_CELL_BASEID:
		return "baseid";
	}
	return "";
}

static bool printable_token(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
			return false;
	return true;
}

int lw_detect_normalize(enum lw_id_kind kind, const char *v, char *out)
{
	size_t n = v ? strlen(v) : 0;
	struct lw_mac m;
	char d[32];
	bool zero;

	while (n && (v[n - 1] == ' ' || v[n - 1] == '\n' || v[n - 1] == '\r' || v[n - 1] == '\t'))
		n--;
	while (n && (*v == ' ' || *v == '\t'))
		v++, n--;
	if (n == 0 || n >= LW_DETECT_VALUE_MAX)
		return -EINVAL;
	switch (kind) {
	case LW_ID_IMEI:
		return lw_detect_check_imei(v, n, out) ? 0 : -EINVAL;
	case LW_ID_IMEISV:
		if (strip_digits(v, n, d, sizeof(d)) != 16 || !lw_detect_tac_plausible(d))
			return -EINVAL;
		copy_str(out, d, 16);
		return 0;
	case LW_ID_MEID:
		return lw_detect_check_meid(v, n, out) ? 0 : -EINVAL;
	case LW_ID_ICCID:
		return lw_detect_check_iccid(v, n, true, out) ? 0 : -EINVAL;
	case LW_ID_IMSI:
		return lw_detect_check_imsi(v, n, out) ? 0 : -EINVAL;
	case LW_ID_MAC:
		if (n >= sizeof(d))
			return -EINVAL;
		memcpy(d, v, n);
		d[n] = '\0';
		if (lw_mac_parse(d, &m) < 0 || lw_mac_is_zero(&m))
			return -EINVAL;
		lw_mac_str(&m, out);
		return 0;
	case LW_ID_ANDROID_ID:
		return lw_detect_check_android_id(v, n, out) ? 0 : -EINVAL;
	case LW_ID_AD_ID:
		if (!lw_detect_check_uuid(v, n, out, &zero) || zero)
			return -EINVAL;
		return 0;
	case LW_ID_PHONE:
		return lw_detect_check_phone(v, n, out) ? 0 : -EINVAL;
	case LW_ID_EMAIL:
		return lw_detect_check_email(v, n, out) ? 0 : -EINVAL;
	case LW_ID_SERIAL:
	case LW_ID_CUSTOM:
		/* shorter values would match everywhere (and the matcher's window is 6) */
		if (n < LW_KNOWN_MIN_LEN || !printable_token(v, n))
			return -EINVAL;
		copy_str(out, v, n);
		return 0;
	case LW_ID_LOCATION:
	case LW_ID_CELL_ID:
	case LW_ID__COUNT:
		/* no single fixed spelling to search for */
		return -EINVAL;
	}
	return -EINVAL;
}
