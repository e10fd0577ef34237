/* SPDX-License-Identifier: MIT */
/*
 * bench-labelled: a labelled benchmark for the identifier engine.  It generates synthetic
 * HTTP requests that carry identifiers in every way the engine claims to read — validated
 * kinds under their keys in query strings, JSON, forms, headers, cookies, base64-of-JSON
 * bodies (the ZZHC shape), gzip bodies; enrolled values and the client's MAC in every
 * precomputed form (spellings, hashes, encodings) — mixed with realistic negatives
 * (timestamps, order ids, request ids, hashes of nothing, UUIDs under other keys, versions,
 * prices, analytics ids, resource names, placeholder values).  It runs lw_detect_http and
 * scores precision and recall per kind and per encoding.
 *
 * Findings at confidence validated or known are scored; pattern findings are hints by
 * design and are only counted.  Usage: bench-labelled [--quick] [requests].  With --quick
 * (the unit test) it exits 1 if any kind or encoding with enough samples falls below 0.99.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <zlib.h>

#include "detect/detect-int.h"
#include "detect/phone.h"
#include "proto/http.h"

#define MAX_EXPECT 16
#define MAX_PAIRS 32
#define MAX_CATS 64
#define TARGET 0.99
#define MIN_SAMPLES 20 /* a category with fewer is printed, not judged */

static uint64_t rng = 0x2545f4914f6cdd1dULL;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static unsigned pick(unsigned n)
{
	return (unsigned)(rnd() % n);
}

static void digits(char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		s[i] = (char)('0' + pick(10));
	s[n] = '\0';
}

static void hexs(char *s, size_t n, bool up)
{
	size_t i;

	for (i = 0; i < n; i++)
		s[i] = (up ? "0123456789ABCDEF" : "0123456789abcdef")[pick(16)];
	s[n] = '\0';
}

/* ---- what a request carries ------------------------------------------------------------ */

struct pair {
	char key[48];
	char val[800];
	bool raw_json; /* a JSON number or nested object, not a string */
	int neg; /* the negative kind it was planted as, or -1 */
};

struct expect {
	enum lw_id_kind kind;
	char value[LW_DETECT_VALUE_MAX];
	char cat[40]; /* the encoding category it is scored under */
	bool found;
};

struct req {
	struct pair pairs[MAX_PAIRS];
	size_t npairs;
	struct expect exp[MAX_EXPECT];
	size_t nexp;
	bool flat_loc, flat_cell; /* one location and one cell per object, as in real requests */
};

static struct pair *add_pair(struct req *r, const char *k, const char *v, bool raw)
{
	struct pair *p;

	if (r->npairs >= MAX_PAIRS)
		return NULL;
	p = &r->pairs[r->npairs++];
	snprintf(p->key, sizeof(p->key), "%s", k);
	snprintf(p->val, sizeof(p->val), "%s", v);
	p->raw_json = raw;
	p->neg = -1;
	return p;
}

static void add_expect(struct req *r, enum lw_id_kind kind, const char *value, const char *cat)
{
	struct expect *e;
	size_t i;

	for (i = 0; i < r->nexp; i++)
		if (r->exp[i].kind == kind && strcmp(r->exp[i].value, value) == 0)
			return;
	if (r->nexp >= MAX_EXPECT)
		return;
	e = &r->exp[r->nexp++];
	e->kind = kind;
	snprintf(e->value, sizeof(e->value), "%s", value);
	snprintf(e->cat, sizeof(e->cat), "%s", cat);
	e->found = false;
}

#define PICK(arr) (arr)[pick(LW_ARRAY_SIZE(arr))]

/* ---- identifiers with a validator ------------------------------------------------------ */

static void gen_imei(char *out)
{
	/* reporting bodies in use; model and serial random (so values do not repeat) */
	static const char *const rbi[] = {"35", "86", "01", "99", "49", "44", "91", "33"};
	char c[LW_DETECT_VALUE_MAX];

	do {
		snprintf(out, 16, "%s", PICK(rbi));
		digits(out + 2, 12);
		out[14] = lw_detect_luhn_digit(out, 14);
		out[15] = '\0';
	} while (!lw_detect_check_imei(out, 15, c));
}

static void gen_iccid(char *out, bool drop)
{
	static const char *const pre[] = {"898603", "898611", "894412", "8901260", "89490200"};
	char c[LW_DETECT_VALUE_MAX];
	size_t n;

	do {
		snprintf(out, 24, "%s", PICK(pre));
		n = strlen(out);
		digits(out + n, 19 - n);
		out[19] = lw_detect_luhn_digit(out, 19);
		out[20] = '\0';
		if (drop)
			out[19] = '\0';
	} while (!lw_detect_check_iccid(out, strlen(out), true, c));
}

static void gen_imsi(char *out)
{
	static const char *const mccmnc[] = {"46011", "46000", "31026", "26201", "23410",
					     "20801", "40410", "72405", "50501", "44010"};
	char c[LW_DETECT_VALUE_MAX];

	do {
		snprintf(out, 16, "%s", PICK(mccmnc));
		digits(out + 5, 10);
	} while (!lw_detect_check_imsi(out, 15, c));
}

static void gen_mac(char *canon, char *spelled)
{
	uint8_t b[6];
	int i, style = (int)pick(4);
	bool up = pick(2);

	for (i = 0; i < 6; i++)
		b[i] = (uint8_t)rnd();
	b[0] = (uint8_t)((b[0] & 0xfc) | (pick(3) == 0 ? 2 : 0));
	if (b[0] == 2 && !b[1] && !b[2])
		b[1] = 1;
	snprintf(canon, 18, "%02x:%02x:%02x:%02x:%02x:%02x", b[0], b[1], b[2], b[3], b[4], b[5]);
	if (style == 0)
		snprintf(spelled, 18,
			 up ? "%02X:%02X:%02X:%02X:%02X:%02X" : "%02x:%02x:%02x:%02x:%02x:%02x",
			 b[0], b[1], b[2], b[3], b[4], b[5]);
	else if (style == 1)
		snprintf(spelled, 18,
			 up ? "%02X-%02X-%02X-%02X-%02X-%02X" : "%02x-%02x-%02x-%02x-%02x-%02x",
			 b[0], b[1], b[2], b[3], b[4], b[5]);
	else if (style == 2)
		snprintf(spelled, 18, "%02x%02x.%02x%02x.%02x%02x", b[0], b[1], b[2], b[3], b[4],
			 b[5]);
	else
		snprintf(spelled, 18, up ? "%02X%02X%02X%02X%02X%02X" : "%02x%02x%02x%02x%02x%02x",
			 b[0], b[1], b[2], b[3], b[4], b[5]);
}

static void gen_uuid(char *out, bool up)
{
	char h[33];

	hexs(h, 32, up);
	snprintf(out, 37, "%.8s-%.4s-4%.3s-%c%.3s-%.12s", h, h + 8, h + 13, up ? 'A' : 'a', h + 17,
		 h + 20);
}

static void gen_email(char *shown, char *canon)
{
	static const char *const first[] = {"john", "Maria", "li.wei", "ahmed", "SARA", "k"};
	static const char *const dom[] = {"example.com", "Mail.example.org", "example.co.uk",
					  "qq.example.cn", "example.de"};
	size_t i;

	snprintf(shown, 128, "%s.%s%u@%s", PICK(first), pick(2) ? "doe" : "x_y",
		 (unsigned)pick(1000), PICK(dom));
	for (i = 0; shown[i]; i++)
		canon[i] = (char)(shown[i] >= 'A' && shown[i] <= 'Z' ? shown[i] + 32 : shown[i]);
	canon[i] = '\0';
}

/* German mobile numbers in the ranges the plan assigns (015x + 8 digits, 016x/017x + 7) */
static void gen_phone(char *shown, char *canon)
{
	static const char *const pre[] = {"151", "152", "157", "159", "160",
					  "162", "170", "171", "172", "175"};
	char nsn[16], c[LW_DETECT_VALUE_MAX];

	do {
		const char *p0 = PICK(pre);

		snprintf(nsn, sizeof(nsn), "%s", p0);
		digits(nsn + 3, p0[1] == '5' ? 8 : 7);
		snprintf(canon, 24, "+49%s", nsn);
	} while (lw_detect_digits_trivial(nsn, strlen(nsn)) ||
		 lw_phone_check_intl(canon + 1, strlen(canon + 1), c, sizeof(c)) ==
			 LW_PHONE_POSSIBLE ||
		 lw_phone_check_intl(canon + 1, strlen(canon + 1), c, sizeof(c)) ==
			 LW_PHONE_INVALID);
	switch (pick(4)) {
	case 0:
		snprintf(shown, 40, "+49%s", nsn);
		break;
	case 1:
		snprintf(shown, 40, "+49 %.3s %s", nsn, nsn + 3);
		break;
	case 2:
		snprintf(shown, 40, "0049%s", nsn);
		break;
	default:
		snprintf(shown, 40, "+49 (%.3s) %.3s-%s", nsn, nsn + 3, nsn + 6);
		break;
	}
}

/*
 * A Chinese mobile number as people in China write it (no trunk prefix, 11 digits), in a
 * range the plan assigns; the benchmark's engine runs with region CN.  canon: E.164.
 */
static const char *const cn_mobile_pre[] = {"130", "133", "135", "138", "139", "150",
					    "158", "166", "177", "186", "189", "199"};

static void gen_cn_mobile(char *shown, char *canon)
{
	char c[LW_DETECT_VALUE_MAX];

	do {
		snprintf(shown, 16, "%s", PICK(cn_mobile_pre));
		digits(shown + 3, 8);
		snprintf(canon, 24, "+86%.11s", shown);
	} while (lw_detect_digits_trivial(shown, 11) ||
		 lw_phone_check_national("CN", shown, 11, c, LW_DETECT_VALUE_MAX) !=
			 LW_PHONE_MOBILE);
}

static void gen_coord(char *out, bool lon)
{
	double v = ((double)(rnd() % 1000000000) / 1e9 * 2 - 1) * (lon ? 179.0 : 89.0);
	int dec = 4 + (int)pick(4);

	snprintf(out, 40, "%.*f", dec, v);
}

/* ---- placing pairs into a request ------------------------------------------------------- */

enum carrier {
	CAR_QUERY,
	CAR_JSON,
	CAR_FORM,
	CAR_HEADER,
	CAR_COOKIE,
	CAR_B64JSON, /* body: base64 of the JSON (the ZZHC shape) */
	CAR_GZJSON, /* body: gzip of the JSON */
	CAR_JSONB64, /* JSON body whose "data" member is base64 of the JSON */
	CAR_TEXT, /* a text/plain body of "key: value" lines (no structure to parse) */
	CAR_MULTIPART,
	CAR__COUNT,
};

static const char *const carrier_name[CAR__COUNT] = {
	"query",       "json",	    "form",	   "header", "cookie",
	"base64-json", "gzip-json", "json-base64", "text",   "multipart",
};

struct built {
	char target[8192];
	char hname[MAX_PAIRS][64], hval[MAX_PAIRS][4096];
	size_t nh;
	char ctype[64], cenc[16];
	uint8_t body[16384];
	size_t blen;
};

static void pct(const char *s, char *out, size_t cap)
{
	size_t o = 0;

	for (; *s && o + 4 < cap; s++) {
		uint8_t c = (uint8_t)*s;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '.' || c == '_')
			out[o++] = (char)c;
		else
			o += (size_t)snprintf(out + o, cap - o, "%%%02X", c);
	}
	out[o] = '\0';
}

static size_t json_of(const struct req *r, char *out, size_t cap)
{
	size_t i, o = 0;

	o += (size_t)snprintf(out + o, cap - o, "{\"app\":\"com.example.demo\"");
	for (i = 0; i < r->npairs && o < cap; i++)
		o += (size_t)snprintf(out + o, cap - o,
				      r->pairs[i].raw_json ? ",\"%s\":%s" : ",\"%s\":\"%s\"",
				      r->pairs[i].key, r->pairs[i].val);
	if (o < cap)
		o += (size_t)snprintf(out + o, cap - o, "}");
	return LW_MIN(o, cap - 1);
}

static void build(const struct req *r, enum carrier c, struct built *b)
{
	char tmp[8192], enc[1024];
	size_t i, o = 0;

	memset(b, 0, offsetof(struct built, body));
	b->blen = 0;
	snprintf(b->target, sizeof(b->target), "/api/v2/collect");
	snprintf(b->hname[0], sizeof(b->hname[0]), "Host");
	snprintf(b->hval[0], sizeof(b->hval[0]), "t.example.com");
	snprintf(b->hname[1], sizeof(b->hname[1]), "User-Agent");
	snprintf(b->hval[1], sizeof(b->hval[1]),
		 "Dalvik/2.1.0 (Linux; U; Android 9; TA-1062 Build/PPR1.180610.011)");
	b->nh = 2;
	switch (c) {
	case CAR_QUERY:
		o = (size_t)snprintf(b->target, sizeof(b->target), "/api/v2/collect?v=3");
		for (i = 0; i < r->npairs; i++) {
			pct(r->pairs[i].val, enc, sizeof(enc));
			o += (size_t)snprintf(b->target + o, sizeof(b->target) - o, "&%s=%s",
					      r->pairs[i].key, enc);
		}
		break;
	case CAR_FORM:
		snprintf(b->ctype, sizeof(b->ctype), "application/x-www-form-urlencoded");
		o = (size_t)snprintf((char *)b->body, sizeof(b->body), "v=3");
		for (i = 0; i < r->npairs; i++) {
			pct(r->pairs[i].val, enc, sizeof(enc));
			o += (size_t)snprintf((char *)b->body + o, sizeof(b->body) - o, "&%s=%s",
					      r->pairs[i].key, enc);
		}
		b->blen = LW_MIN(o, sizeof(b->body) - 1);
		break;
	case CAR_HEADER:
		for (i = 0; i < r->npairs && b->nh < MAX_PAIRS; i++, b->nh++) {
			snprintf(b->hname[b->nh], sizeof(b->hname[0]), "X-%s", r->pairs[i].key);
			snprintf(b->hval[b->nh], sizeof(b->hval[0]), "%s", r->pairs[i].val);
		}
		break;
	case CAR_COOKIE:
		o = (size_t)snprintf(b->hval[b->nh], sizeof(b->hval[0]), "lang=en");
		for (i = 0; i < r->npairs; i++)
			o += (size_t)snprintf(b->hval[b->nh] + o, sizeof(b->hval[0]) - o, "; %s=%s",
					      r->pairs[i].key, r->pairs[i].val);
		snprintf(b->hname[b->nh++], sizeof(b->hname[0]), "Cookie");
		break;
	case CAR_JSON:
		snprintf(b->ctype, sizeof(b->ctype), "application/json");
		b->blen = json_of(r, (char *)b->body, sizeof(b->body));
		break;
	case CAR_B64JSON:
		snprintf(b->ctype, sizeof(b->ctype), "application/encrypted-json");
		o = json_of(r, tmp, sizeof(tmp) / 2);
		b->blen = (size_t)EVP_EncodeBlock(b->body, (const unsigned char *)tmp, (int)o);
		break;
	case CAR_JSONB64: {
		char b64[sizeof(b->body)];

		snprintf(b->ctype, sizeof(b->ctype), "application/json");
		o = json_of(r, tmp, sizeof(tmp) / 2);
		EVP_EncodeBlock((unsigned char *)b64, (const unsigned char *)tmp, (int)o);
		b->blen = (size_t)snprintf((char *)b->body, sizeof(b->body),
					   "{\"v\":2,\"data\":\"%s\"}", b64);
		break;
	}
	case CAR_GZJSON: {
		z_stream z;

		snprintf(b->ctype, sizeof(b->ctype), "application/json");
		snprintf(b->cenc, sizeof(b->cenc), "gzip");
		o = json_of(r, tmp, sizeof(tmp));
		memset(&z, 0, sizeof(z));
		deflateInit2(&z, 6, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY);
		z.next_in = (Bytef *)tmp;
		z.avail_in = (uInt)o;
		z.next_out = b->body;
		z.avail_out = sizeof(b->body);
		deflate(&z, Z_FINISH);
		b->blen = sizeof(b->body) - z.avail_out;
		deflateEnd(&z);
		break;
	}
	case CAR_TEXT:
		snprintf(b->ctype, sizeof(b->ctype), "text/plain");
		o = (size_t)snprintf((char *)b->body, sizeof(b->body), "report v3\n");
		for (i = 0; i < r->npairs && o < sizeof(b->body); i++)
			o += (size_t)snprintf((char *)b->body + o, sizeof(b->body) - o, "%s: %s\n",
					      r->pairs[i].key, r->pairs[i].val);
		b->blen = LW_MIN(o, sizeof(b->body) - 1);
		break;
	case CAR_MULTIPART:
		snprintf(b->ctype, sizeof(b->ctype), "multipart/form-data; boundary=xYzZY");
		o = 0;
		for (i = 0; i < r->npairs && o < sizeof(b->body); i++)
			o += (size_t)snprintf((char *)b->body + o, sizeof(b->body) - o,
					      "--xYzZY\r\nContent-Disposition: form-data; "
					      "name=\"%s\"\r\n\r\n%s\r\n",
					      r->pairs[i].key, r->pairs[i].val);
		if (o < sizeof(b->body))
			o += (size_t)snprintf((char *)b->body + o, sizeof(b->body) - o,
					      "--xYzZY--\r\n");
		b->blen = LW_MIN(o, sizeof(b->body) - 1);
		break;
	case CAR__COUNT:
		break;
	}
}

/* ---- what goes in ----------------------------------------------------------------------- */

/* One identifier with a validator, under a key that says what it is. */
static void add_validated(struct req *r, enum carrier car)
{
	static const char *const imei_keys[] = {"imei", "IMEI1", "deviceId",
						"MEID", "did",	 "device_imei"};
	static const char *const iccid_keys[] = {"iccid", "SIM1ICCID", "simSerial", "sim_iccid"};
	static const char *const imsi_keys[] = {"imsi", "SIM1LTEIMSI", "subscriberId", "imsi1"};
	static const char *const mac_keys[] = {"mac",	"wifi_mac",   "MACID",
					       "bssid", "macAddress", "wlan_mac"};
	static const char *const aid_keys[] = {"android_id", "androidId", "ssaid", "_android_id"};
	static const char *const ad_keys[] = {"adid",  "gaid", "idfa",	    "advertising_id",
					      "_gaid", "aaid", "google_aid"};
	static const char *const email_keys[] = {"email", "user", "login", "account", "e"};
	static const char *const phone_keys[] = {"phone", "msisdn", "tel", "mobile",
						 "phone_number"};
	static const char *const cn_keys[] = {"user",	 "num",	   "account", "login",	"to",
					      "contact", "mobile", "tel",     "msisdn", "phone"};
	const char *cat = carrier_name[car];
	char v[160], c[LW_DETECT_VALUE_MAX], w[160];
	/* headers carry no groups (one value each) and no nested objects: no location/cell */
	unsigned n = car == CAR_HEADER || car == CAR_COOKIE ? 9 : 11, what = pick(n);
	/* carriers without nesting hold one flat location and one flat cell at most */
	bool flat_ok =
		car != CAR_QUERY && car != CAR_FORM && car != CAR_TEXT && car != CAR_MULTIPART;

	if ((what == 9 && r->flat_loc && !flat_ok) || (what == 10 && r->flat_cell && !flat_ok))
		what = 0;
	switch (what) {
	case 0:
		gen_imei(v);
		add_pair(r, PICK(imei_keys), v, false);
		add_expect(r, LW_ID_IMEI, v, cat);
		break;
	case 1:
		gen_iccid(v, pick(2));
		add_pair(r, PICK(iccid_keys), v, false);
		add_expect(r, LW_ID_ICCID, v, cat);
		break;
	case 2:
		gen_imsi(v);
		add_pair(r, PICK(imsi_keys), v, false);
		add_expect(r, LW_ID_IMSI, v, cat);
		break;
	case 3:
		gen_mac(c, v);
		add_pair(r, PICK(mac_keys), v, false);
		add_expect(r, LW_ID_MAC, c, cat);
		break;
	case 4:
		do
			hexs(v, 16, pick(4) == 0);
		while (!lw_detect_check_android_id(v, 16, c));
		add_pair(r, PICK(aid_keys), v, false);
		add_expect(r, LW_ID_ANDROID_ID, c, cat);
		break;
	case 5:
		gen_uuid(v, pick(2));
		lw_detect_check_uuid(v, 36, c, NULL);
		add_pair(r, PICK(ad_keys), v, false);
		add_expect(r, LW_ID_AD_ID, c, cat);
		break;
	case 6:
		gen_email(v, c);
		add_pair(r, PICK(email_keys), v, false);
		add_expect(r, LW_ID_EMAIL, c, cat);
		break;
	case 7:
		if (lw_phone_have_plans() && pick(2)) {
			/* national form, under a phone key or one that names an account or contact
			 * (found only with the number plans and the AP's region) */
			gen_cn_mobile(v, c);
			add_pair(r, PICK(cn_keys), v, false);
			add_expect(r, LW_ID_PHONE, c, "national-mobile");
			break;
		}
		gen_phone(v, c);
		add_pair(r, PICK(phone_keys), v, false);
		add_expect(r, LW_ID_PHONE, c, cat);
		break;
	case 8:
		v[0] = "ABCDEF"[pick(6)];
		hexs(v + 1, 13, true);
		if (!lw_detect_check_meid(v, 14, c))
			break;
		add_pair(r, "meid", v, false);
		add_expect(r, LW_ID_MEID, c, cat);
		break;
	case 9: {
		static const char *const lat_k[] = {"lat", "latitude", "lat"};
		static const char *const lon_k[] = {"lng", "longitude", "lon"};
		char la[40], lon[40];
		unsigned kk = pick(3);

		gen_coord(la, false);
		gen_coord(lon, true);
		if (!r->flat_loc && (!flat_ok || pick(2))) {
			add_pair(r, lat_k[kk], la, flat_ok);
			add_pair(r, lon_k[kk], lon, flat_ok);
			r->flat_loc = true;
		} else {
			snprintf(w, sizeof(w), "{\"%s\":%s,\"%s\":%s}", lat_k[kk], la, lon_k[kk],
				 lon);
			add_pair(r, "location", w, true);
		}
		snprintf(c, sizeof(c), "%s,%s", la, lon);
		add_expect(r, LW_ID_LOCATION, c, cat);
		break;
	}
	default: {
		unsigned lac = 1 + pick(65000), cid = 1 + pick(200000000);

		if (!r->flat_cell && !flat_ok) {
			r->flat_cell = true;
			add_pair(r, "mcc", "262", false);
			add_pair(r, "mnc", "1", false);
			snprintf(v, sizeof(v), "%u", lac);
			add_pair(r, "lac", v, false);
			snprintf(v, sizeof(v), "%u", cid);
			add_pair(r, "cid", v, false);
		} else {
			snprintf(w, sizeof(w), "{\"mcc\":262,\"mnc\":1,\"lac\":%u,\"cid\":%u}", lac,
				 cid);
			add_pair(r, "cell", w, true);
		}
		snprintf(c, sizeof(c), "mcc=262,mnc=1,lac=%u,cid=%u", lac, cid);
		add_expect(r, LW_ID_CELL_ID, c, cat);
		break;
	}
	}
}

/* Things that look like identifiers and are not, by kind (counted and scored each). */
enum neg_kind {
	NEG_EPOCH_MS,
	NEG_ORDER_LUHN15,
	NEG_HEX_TOKEN,
	NEG_UUID_SESSION,
	NEG_VERSION,
	NEG_PRICE,
	NEG_GA_CID,
	NEG_WORD,
	NEG_LONE_COORD,
	NEG_RESOURCE,
	NEG_PLACEHOLDER,
	NEG_UID15,
	NEG_SMALL_COUNT,
	NEG_OPERATOR,
	NEG_HEX16_TOKEN,
	NEG_BASE64_BLOB,
	NEG_LONG_NUMERIC_ID,
	NEG_HMAC,
	/* harder ones, as real traffic has them */
	NEG_EPOCH_US_NS,
	NEG_ORDER_TRACKING,
	NEG_AD_NETWORK_ID,
	NEG_CARD_LUHN,
	NEG_HASH_OF_NOTHING,
	NEG_UUID_REQUEST_ID,
	NEG_PRICE_PHONE_SHAPED,
	NEG_ACCOUNT_NUMERIC,
	NEG__COUNT,
};

static const char *const neg_name[NEG__COUNT] = {
	"epoch-s/ms",
	"order-luhn15",
	"hex-token",
	"uuid-session",
	"version",
	"price",
	"ga-client-id",
	"word",
	"lone-coordinate",
	"resource-name",
	"placeholder",
	"uid-15-digits",
	"small-count",
	"operator-only",
	"hex16-token",
	"base64-blob",
	"long-numeric-id",
	"hmac",
	"epoch-us/ns",
	"order/tracking-no",
	"ad-network-id-15",
	"card-luhn",
	"hash-of-nothing",
	"uuid-request-id",
	"price-phone-shaped",
	"account-numeric",
};

static unsigned long neg_planted[NEG__COUNT], neg_fp[NEG__COUNT], neg_pattern[NEG__COUNT];

/* Luhn-valid card numbers: Visa 16, Amex 15, UnionPay 19 */
static void gen_card(char *v)
{
	static const char *const iin[] = {"4", "34", "37", "62", "51", "4"};
	static const size_t len[] = {16, 15, 15, 19, 16, 13};
	unsigned k = pick(LW_ARRAY_SIZE(iin));
	size_t il = strlen(iin[k]);

	memcpy(v, iin[k], il);
	digits(v + il, len[k] - 1 - il);
	v[len[k] - 1] = lw_detect_luhn_digit(v, len[k] - 1);
	v[len[k]] = '\0';
}

static void add_negative_kind(struct req *r, unsigned what);

static void add_negative(struct req *r)
{
	size_t before = r->npairs, i;
	unsigned what = pick(NEG__COUNT);

	/* cell-like fields would join the request's own cell fields: not what requests do */
	if ((what == NEG_SMALL_COUNT || what == NEG_OPERATOR) && r->flat_cell)
		what = NEG_WORD;
	add_negative_kind(r, what);
	for (i = before; i < r->npairs; i++)
		r->pairs[i].neg = (int)what;
	if (r->npairs > before)
		neg_planted[what]++;
}

static void add_negative_kind(struct req *r, unsigned what)
{
	static const char *const words[] = {"pageview", "en-US",    "com.example.demo",
					    "release",	"SM-G960F", "TA-1062",
					    "wifi",	"portrait"};
	char v[LW_DETECT_VALUE_MAX], h[80];
	switch (what) {
	case NEG_EPOCH_MS:
		snprintf(v, sizeof(v), "%llu", 1500000000000ULL + rnd() % 200000000000ULL);
		add_pair(r,
			 PICK(((const char *const[]){"ts", "timestamp", "t", "time", "eventTime"})),
			 v, false);
		break;
	case NEG_ORDER_LUHN15:
		gen_imei(v); /* Luhn-valid 15 digits, but an order number */
		add_pair(r, PICK(((const char *const[]){"order_id", "id", "orderNo", "txn_id"})), v,
			 false);
		break;
	case NEG_HEX_TOKEN:
		hexs(h, (size_t)PICK(((const int[]){16, 32, 40, 64})), false);
		add_pair(r,
			 PICK(((const char *const[]){"trace_id", "request_id", "hash", "sig",
						     "session", "nonce"})),
			 h, false);
		break;
	case NEG_UUID_SESSION:
		gen_uuid(v, pick(2));
		add_pair(r,
			 PICK(((const char *const[]){"request_id", "session_id", "install_id",
						     "event_id", "uuid"})),
			 v, false);
		break;
	case NEG_VERSION:
		snprintf(v, sizeof(v), "%u.%u.%u", pick(10), pick(30), pick(300));
		add_pair(r, PICK(((const char *const[]){"v", "sdk", "app_version", "build"})), v,
			 false);
		break;
	case NEG_PRICE:
		snprintf(v, sizeof(v), "%u.%02u", pick(10000), pick(100));
		add_pair(r, PICK(((const char *const[]){"price", "amount", "total"})), v, false);
		break;
	case NEG_GA_CID:
		snprintf(v, sizeof(v), "%u.%u", (unsigned)(rnd() % 2000000000),
			 (unsigned)(rnd() % 2000000000));
		add_pair(r, "cid", v, false); /* Google Analytics client id */
		break;
	case NEG_WORD:
		add_pair(r, PICK(((const char *const[]){"ev", "lang", "model", "orient", "net"})),
			 PICK(words), false);
		break;
	case NEG_LONE_COORD:
		snprintf(v, sizeof(v), "%.2f", (double)pick(9000) / 100.0);
		add_pair(r, PICK(((const char *const[]){"lat", "lng"})), v,
			 false); /* a city, alone */
		break;
	case NEG_RESOURCE:
		add_pair(r, "icon", "ic_launcher@2x.png", false);
		break;
	case NEG_PLACEHOLDER:
		add_pair(r, PICK(((const char *const[]){"imei", "android_id", "mac", "adid"})),
			 PICK(((const char *const[]){"", "unknown", "000000000000000", "null"})),
			 false);
		break;
	case NEG_UID15:
		digits(v, 15);
		v[0] = (char)('1' + pick(9));
		add_pair(r, PICK(((const char *const[]){"uid", "user_id", "pid", "oid"})), v,
			 false);
		break;
	case NEG_SMALL_COUNT:
		snprintf(v, sizeof(v), "%u", pick(100000));
		add_pair(r,
			 PICK(((const char *const[]){"count", "n", "seq", "page", "sid", "cid"})),
			 v, false);
		break;
	case NEG_OPERATOR:
		add_pair(r, "mcc", "310", false); /* the operator alone, not a cell */
		add_pair(r, "mnc", "260", false);
		break;
	case NEG_LONG_NUMERIC_ID:
		/* long numeric ids (snowflakes, tracking numbers); some pass Luhn and start 89 */
		digits(v, 18 + pick(3));
		v[0] = (char)('1' + pick(9));
		if (pick(20) == 0) { /* five times as often as chance would have it */
			v[0] = '8';
			v[1] = '9';
		}
		add_pair(r,
			 PICK(((const char *const[]){"post_id", "ref", "item", "tracking",
						     "snowflake"})),
			 v, false);
		break;
	case NEG_HMAC:
		hexs(h, 64, false); /* a message authentication code */
		add_pair(r, PICK(((const char *const[]){"mac", "hmac", "msg_mac"})), h, false);
		break;
	case NEG_HEX16_TOKEN:
		hexs(h, 16, false);
		add_pair(r, PICK(((const char *const[]){"span_id", "device_token", "k", "etag"})),
			 h, false);
		break;
	case NEG_EPOCH_US_NS: {
		/* microseconds (16 digits), nanoseconds (19), 100 us ticks (15) */
		unsigned long long s0 = 1500000000ULL + rnd() % 300000000ULL;
		unsigned res = pick(3);

		if (res == 0)
			snprintf(v, sizeof(v), "%llu%06u", s0, (unsigned)(rnd() % 1000000));
		else if (res == 1)
			snprintf(v, sizeof(v), "%llu%09u", s0, (unsigned)(rnd() % 1000000000));
		else
			snprintf(v, sizeof(v), "%llu%05u", s0, (unsigned)(rnd() % 100000));
		add_pair(r,
			 PICK(((const char *const[]){"ts_us", "t_ns", "clientTs", "event_us",
						     "mono", "nanos", "created_at", "ts"})),
			 v, pick(2));
		break;
	}
	case NEG_ORDER_TRACKING: {
		/* order and tracking numbers: some Luhn-valid 15, some 89.. 19-20, some shaped
		 * like a Chinese mobile number (11 digits, 1[3-9]) */
		unsigned shape = pick(4);

		if (shape == 0) {
			gen_imei(v);
		} else if (shape == 1) {
			digits(v, 19);
			v[0] = '8';
			v[1] = '9';
			v[19] = lw_detect_luhn_digit(v, 19);
			v[20] = '\0';
		} else if (shape == 2) {
			snprintf(v, sizeof(v), "1%c", (char)('3' + pick(7)));
			digits(v + 2, 9);
		} else {
			digits(v, 10 + pick(13));
			v[0] = (char)('1' + pick(9));
		}
		add_pair(r,
			 PICK(((const char *const[]){
				 "waybill", "tracking", "express_no", "out_trade_no", "order_sn",
				 "parcel", "logistics", "orderNumber", "shipment", "consignment"})),
			 v, false);
		break;
	}
	case NEG_AD_NETWORK_ID:
		/* 15-digit decimal ids of ad networks (placements, campaigns, creatives), half of
		 * them Luhn-valid with an IMEI-like reporting body */
		if (pick(2))
			gen_imei(v);
		else {
			digits(v, 15);
			v[0] = (char)('1' + pick(9));
		}
		add_pair(r,
			 PICK(((const char *const[]){"placement_id", "campaign", "adgroup",
						     "creative", "slot", "adunit", "pos_id",
						     "ad_slot", "tagid"})),
			 v, pick(2));
		break;
	case NEG_CARD_LUHN:
		gen_card(v);
		add_pair(r,
			 PICK(((const char *const[]){"card", "pan", "cc", "card_number", "cardNo",
						     "bankcard", "payment_card"})),
			 v, false);
		break;
	case NEG_HASH_OF_NOTHING: {
		static const char *const nothing[] = {
			"d41d8cd98f00b204e9800998ecf8427e",
			"da39a3ee5e6b4b0d3255bfef95601890afd80709",
			"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
			"37a6259cc0c1dae299a7866489dff0bd",
			"2be88ca4242c76e8253ac62474851065032d6833",
			"0f607264fc6318a92b9e13c65db7cd3c", /* md5("02:00:00:00:00:00") */
			"cfcd208495d565ef66e7dff9f98764da", /* md5("0") */
		};
		const char *hsh = PICK(nothing);
		size_t len = strlen(hsh), i;
		unsigned form = pick(4);

		if (form == 0 && len == 32) /* an MD5 spelled as a UUID */
			snprintf(v, sizeof(v), "%.8s-%.4s-%.4s-%.4s-%.12s", hsh, hsh + 8, hsh + 12,
				 hsh + 16, hsh + 20);
		else if (form == 1) /* an android_id cut from it */
			snprintf(v, sizeof(v), "%.16s", hsh);
		else
			snprintf(v, sizeof(v), "%s", hsh);
		if (pick(2))
			for (i = 0; v[i]; i++)
				v[i] = (char)(v[i] >= 'a' && v[i] <= 'f' ? v[i] - 32 : v[i]);
		add_pair(r,
			 PICK(((const char *const[]){"adid", "idfa", "gaid", "android_id", "udid",
						     "device_hash", "h", "aaid"})),
			 v, false);
		break;
	}
	case NEG_UUID_REQUEST_ID:
		gen_uuid(v, pick(2));
		add_pair(r,
			 PICK(((const char *const[]){"request_id", "X-Request-Id", "rid", "msg_id",
						     "correlation_id", "id", "guid", "trace", "xid",
						     "req"})),
			 v, false);
		break;
	case NEG_PRICE_PHONE_SHAPED:
		/* 11 digits from 1[3-9]: prices in micros and amounts in fen shaped like a
		 * Chinese mobile number */
		snprintf(v, sizeof(v), "1%c", (char)('3' + pick(7)));
		digits(v + 2, 9);
		add_pair(r,
			 PICK(((const char *const[]){"price_micros", "price_amount_micros",
						     "revenue", "bid", "ecpm", "value",
						     "amount_fen", "balance", "cost"})),
			 v, pick(2));
		break;
	case NEG_ACCOUNT_NUMERIC:
		/* numeric accounts that are not phone numbers: QQ-style 6..10 digits, 12-digit
		 * account numbers, the trunk-less 10 digits of a fixed line */
		digits(v, PICK(((const size_t[]){6, 8, 9, 10, 12})));
		v[0] = (char)('1' + pick(9));
		add_pair(r,
			 PICK(((const char *const[]){"user", "num", "account", "login", "to",
						     "from"})),
			 v, pick(2));
		break;
	default: {
		unsigned char bin[24];
		size_t i;

		for (i = 0; i < sizeof(bin); i++)
			bin[i] = (unsigned char)rnd();
		EVP_EncodeBlock((unsigned char *)v, bin, sizeof(bin));
		add_pair(r, PICK(((const char *const[]){"blob", "token", "state"})), v, false);
		break;
	}
	}
}

/*
 * Enrolled values and the forms they travel in, computed here (not taken from the matcher):
 * each spelling plain, percent-encoded, base64 and base64url in full (as traffic has them),
 * hex, and MD5/SHA-1/SHA-256/SHA-512 as hex and base64.  The category of a form is the
 * chain the engine should report for it.
 */
#define DEVICES 20

struct formref {
	char text[LW_DETECT_VALUE_MAX * 3];
	char cat[32];
};

struct pool {
	enum lw_id_kind kind;
	char value[LW_DETECT_VALUE_MAX];
	struct formref *forms;
	size_t nforms;
};

static struct pool pools[DEVICES * 11];
static size_t npools;

static void pool_add(struct pool *p, const char *text, const char *cat)
{
	size_t i;

	for (i = 0; i < p->nforms; i++)
		if (strcmp(p->forms[i].text, text) == 0)
			return;
	p->forms = realloc(p->forms, (p->nforms + 1) * sizeof(*p->forms));
	snprintf(p->forms[p->nforms].text, sizeof(p->forms[0].text), "%s", text);
	snprintf(p->forms[p->nforms].cat, sizeof(p->forms[0].cat), "%s", cat);
	p->nforms++;
}

/* Adds base64 (padded) and, where it differs, base64url (unpadded) of n bytes. */
static void pool_b64(struct pool *p, const unsigned char *in, size_t n, const char *prefix)
{
	char b[LW_DETECT_VALUE_MAX * 2], cat[32];
	size_t i, len = (size_t)EVP_EncodeBlock((unsigned char *)b, in, (int)n);
	bool differs = false;

	snprintf(cat, sizeof(cat), "%s%sbase64", prefix, *prefix ? "-" : "");
	pool_add(p, b, cat);
	for (i = 0; i < len; i++) {
		if (b[i] == '+' || b[i] == '/')
			differs = true;
		b[i] = b[i] == '+' ? '-' : b[i] == '/' ? '_' : b[i];
	}
	while (len && b[len - 1] == '=')
		b[--len] = '\0';
	if (differs) {
		snprintf(cat, sizeof(cat), "%s%sbase64url", prefix, *prefix ? "-" : "");
		pool_add(p, b, cat);
	}
}

static void pool_spelling(const char *sp, bool hashed, void *user)
{
	static const char *const names[] = {"md5", "sha1", "sha256", "sha512"};
	const EVP_MD *mds[] = {EVP_md5(), EVP_sha1(), EVP_sha256(), EVP_sha512()};
	struct pool *p = user;
	char buf[LW_DETECT_VALUE_MAX * 3], cat[32];
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdlen, i, a;
	size_t n = strlen(sp);

	pool_add(p, sp, "plain");
	if (!hashed)
		return;
	pct(sp, buf, sizeof(buf));
	if (strcmp(buf, sp) != 0)
		pool_add(p, buf, "url");
	pool_b64(p, (const unsigned char *)sp, n, "");
	for (i = 0; i < n; i++)
		sprintf(buf + 2 * i, "%02x", (unsigned char)sp[i]);
	pool_add(p, buf, "hex");
	for (a = 0; a < 4; a++) {
		EVP_Digest(sp, n, md, &mdlen, mds[a], NULL);
		for (i = 0; i < mdlen; i++)
			sprintf(buf + 2 * i, "%02x", md[i]);
		snprintf(cat, sizeof(cat), "%s-hex", names[a]);
		pool_add(p, buf, cat);
		pool_b64(p, md, mdlen, names[a]);
	}
}

static void pool_fill(struct pool *p)
{
	lw_known_spellings(p->kind, p->value, pool_spelling, p);
}

static void enroll(struct lw_detect *d, struct lw_known *k, const struct lw_mac *mac)
{
	char v[11][LW_DETECT_VALUE_MAX], c[LW_DETECT_VALUE_MAX], shown[128];
	static const enum lw_id_kind kinds[11] = {
		LW_ID_IMEI,	  LW_ID_ICCID, LW_ID_IMSI, LW_ID_EMAIL,	 LW_ID_PHONE, LW_ID_SERIAL,
		LW_ID_ANDROID_ID, LW_ID_AD_ID, LW_ID_MAC,  LW_ID_CUSTOM, LW_ID_MEID,
	};
	int i;

	gen_imei(v[0]);
	gen_iccid(v[1], false);
	gen_imsi(v[2]);
	gen_email(shown, v[3]);
	gen_phone(shown, v[4]);
	snprintf(v[5], sizeof(v[5]), "R58M%07u", pick(10000000));
	hexs(v[6], 16, false);
	gen_uuid(v[7], false);
	gen_mac(v[8], shown);
	snprintf(v[9], sizeof(v[9]), "canary-%08x", (unsigned)rnd());
	snprintf(v[10], sizeof(v[10]), "A1");
	hexs(v[10] + 2, 12, true);
	for (i = 0; i < 11; i++) {
		if (lw_detect_normalize(kinds[i], v[i], c) < 0 ||
		    lw_detect_add_known(d, mac, kinds[i], c, "config") < 0 ||
		    lw_known_add(k, mac, kinds[i], c, "config") < 0)
			continue;
		pools[npools].kind = kinds[i];
		snprintf(pools[npools].value, sizeof(pools[0].value), "%s", c);
		pool_fill(&pools[npools]);
		npools++;
	}
}

static void add_known(struct req *r, enum carrier car)
{
	const struct pool *p = &pools[pick((unsigned)npools)];
	const struct formref *f = &p->forms[pick((unsigned)p->nforms)];
	char up[sizeof(f->text)];
	const char *text = f->text;
	size_t i;

	/* hex forms travel in either case */
	if (strstr(f->cat, "hex") && pick(2)) {
		for (i = 0; text[i]; i++)
			up[i] = (char)(text[i] >= 'a' && text[i] <= 'f' ? text[i] - 32 : text[i]);
		up[i] = '\0';
		text = up;
	}
	add_pair(r, PICK(((const char *const[]){"h", "data", "v2", "p", "x"})), text, false);
	(void)car;
	add_expect(r, p->kind, p->value, f->cat);
}

/* The client's own MAC in some form (its forms come from the matcher's own expansion). */
static struct pool client_pool;

static void add_client_mac(struct req *r)
{
	const struct formref *f = &client_pool.forms[pick((unsigned)client_pool.nforms)];
	char cat[40];

	snprintf(cat, sizeof(cat), "l2-mac:%s", f->cat);
	add_pair(r, PICK(((const char *const[]){"h", "data", "id", "x"})), f->text, false);
	add_expect(r, LW_ID_MAC, client_pool.value, cat);
}

/* ---- scoring ----------------------------------------------------------------------------- */

struct score {
	char name[40];
	unsigned long tp, fp, fn, pattern;
};

static struct score by_kind[LW_ID__COUNT], by_cat[MAX_CATS];
static size_t ncats;
static unsigned long pattern_hits, pattern_fp;

static struct score *cat_score(const char *name)
{
	size_t i;

	for (i = 0; i < ncats; i++)
		if (strcmp(by_cat[i].name, name) == 0)
			return &by_cat[i];
	if (ncats == MAX_CATS)
		return &by_cat[MAX_CATS - 1];
	snprintf(by_cat[ncats].name, sizeof(by_cat[0].name), "%s", name);
	return &by_cat[ncats++];
}

struct run {
	struct req *r;
	bool verbose;
	const char *carrier;
};

/* Letters and digits of s, lower case (so "+86 138..." and "D41D-8CD9" compare). */
static size_t alnum_lower(const char *s, char *out, size_t cap)
{
	size_t o = 0;

	for (; *s && o + 1 < cap; s++) {
		char c = *s;

		if (c >= 'A' && c <= 'Z')
			c = (char)(c + 32);
		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
			out[o++] = c;
	}
	out[o] = '\0';
	return o;
}

/* The negative a false finding came from: its value holds the finding (or, for a national
 * number reported in E.164, the finding ends with it); -1 if none does. */
static int neg_of(const struct req *r, const struct lw_leak *l)
{
	char lv[LW_DETECT_VALUE_MAX], pv[sizeof(r->pairs[0].val)];
	size_t i, ll = alnum_lower(l->value, lv, sizeof(lv)), pl;

	for (i = 0; i < r->npairs; i++) {
		if (r->pairs[i].neg < 0)
			continue;
		pl = alnum_lower(r->pairs[i].val, pv, sizeof(pv));
		if ((ll && strstr(pv, lv)) || (pl >= 8 && ll > pl && strcmp(lv + ll - pl, pv) == 0))
			return r->pairs[i].neg;
	}
	return -1;
}

static void on_leak(const struct lw_leak *l, void *user)
{
	struct run *run = user;
	struct req *r = run->r;
	size_t i;

	for (i = 0; i < r->nexp; i++) {
		if (r->exp[i].kind == l->kind && strcmp(r->exp[i].value, l->value) == 0) {
			if (l->confidence >= LW_CONF_VALIDATED)
				r->exp[i].found = true;
			else
				pattern_hits++;
			return;
		}
	}
	if (l->opted_out || l->placeholder)
		return;
	i = (size_t)neg_of(r, l);
	if (l->confidence == LW_CONF_PATTERN) {
		pattern_fp++;
		if (i != (size_t)-1)
			neg_pattern[i]++;
		return;
	}
	if (i != (size_t)-1)
		neg_fp[i]++;
	by_kind[l->kind].fp++;
	cat_score(run->carrier)->fp++;
	if (run->verbose)
		fprintf(stderr, "FP %s %s %s enc=%s loc=%s [%s]\n", lw_id_kind_str(l->kind),
			lw_confidence_str(l->confidence), l->value, l->encoding, l->location,
			l->snippet);
}

static void print_table(const char *title, struct score *s, size_t n, bool *bad, bool judge)
{
	size_t i;

	printf("\n%-22s %7s %5s %5s %9s %7s\n", title, "samples", "FP", "FN", "precision",
	       "recall");
	for (i = 0; i < n; i++) {
		unsigned long pos = s[i].tp + s[i].fn;
		double p = s[i].tp + s[i].fp ? (double)s[i].tp / (double)(s[i].tp + s[i].fp) : 1.0;
		double rc = pos ? (double)s[i].tp / (double)pos : 1.0;
		bool low = judge && pos >= MIN_SAMPLES && (p < TARGET || rc < TARGET);

		if (!pos && !s[i].fp)
			continue;
		printf("%-22s %7lu %5lu %5lu %9.4f %7.4f%s\n", s[i].name, pos, s[i].fp, s[i].fn, p,
		       rc, low ? "  < 0.99" : "");
		if (low)
			*bad = true;
	}
}

/* Each negative kind: how often planted, and how often it gave a validated or known finding. */
static void print_negatives(bool *bad)
{
	size_t i;

	printf("\n%-22s %7s %5s %7s %11s\n", "negative", "planted", "FP", "pattern", "specificity");
	for (i = 0; i < NEG__COUNT; i++) {
		double sp = neg_planted[i] ? 1.0 - (double)neg_fp[i] / (double)neg_planted[i] : 1.0;
		bool low = neg_planted[i] >= MIN_SAMPLES && sp < TARGET;

		printf("%-22s %7lu %5lu %7lu %11.4f%s\n", neg_name[i], neg_planted[i], neg_fp[i],
		       neg_pattern[i], sp, low ? "  < 0.99" : "");
		if (low)
			*bad = true;
	}
}

int main(int argc, char **argv)
{
	/* the AP is in China: national numbers are read by China's plan */
	struct lw_detect *d =
		lw_detect_new(&(struct lw_detect_config){.learn = true, .region = "CN"});
	struct lw_known *k = lw_known_new(4096);
	static const struct lw_mac client = {{0x3c, 0x28, 0x6d, 0x51, 0x52, 0x53}};
	bool quick = false, verbose = getenv("LW_BENCH_VERBOSE") != NULL, bad = false;
	unsigned long n = 20000, i, bytes = 0;
	static struct built b;
	struct timespec t0, t1;
	double secs;
	int a, dev;

	for (a = 1; a < argc; a++) {
		if (strcmp(argv[a], "--quick") == 0) {
			quick = true;
			n = 3000;
		} else {
			n = strtoul(argv[a], NULL, 10);
		}
	}
	if (!d || !k)
		return 2;
	for (dev = 0; dev < DEVICES; dev++) {
		struct lw_mac m = {{0x3c, 0x28, 0x6d, 0, 0, (uint8_t)dev}};

		enroll(d, k, &m);
	}
	client_pool.kind = LW_ID_MAC;
	lw_mac_str(&client, client_pool.value);
	pool_fill(&client_pool);
	for (i = 0; i < LW_ID__COUNT; i++)
		snprintf(by_kind[i].name, sizeof(by_kind[0].name), "%s",
			 lw_id_kind_str((enum lw_id_kind)i));

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < n; i++) {
		static struct req r;
		struct lw_http_request hr;
		enum carrier car = (enum carrier)pick(CAR__COUNT);
		struct run run = {&r, verbose, carrier_name[car]};
		unsigned j, m;
		size_t e;

		memset(&r, 0, sizeof(r));
		m = pick(4); /* identifiers in this request (0: a negative-only request) */
		for (j = 0; j < m; j++) {
			unsigned what = pick(10);

			if (what < 5)
				add_validated(&r, car);
			else if (what < 9)
				add_known(&r, car);
			else
				add_client_mac(&r);
		}
		for (j = 0; j < 2 + pick(5); j++)
			add_negative(&r);
		/* shuffle so that identifiers are not always first */
		for (j = (unsigned)r.npairs; j > 1; j--) {
			unsigned x = pick(j);
			struct pair t = r.pairs[j - 1];

			r.pairs[j - 1] = r.pairs[x];
			r.pairs[x] = t;
		}
		build(&r, car, &b);
		memset(&hr, 0, sizeof(hr));
		hr.method = (struct lw_str){"POST", 4};
		hr.target = (struct lw_str){b.target, strlen(b.target)};
		hr.version_minor = 1;
		hr.content_length = (int64_t)b.blen;
		for (j = 0; j < b.nh; j++) {
			hr.headers[j].name = (struct lw_str){b.hname[j], strlen(b.hname[j])};
			hr.headers[j].value = (struct lw_str){b.hval[j], strlen(b.hval[j])};
		}
		hr.n_headers = b.nh;
		hr.content_type = (struct lw_str){b.ctype, strlen(b.ctype)};
		hr.content_encoding = (struct lw_str){b.cenc, strlen(b.cenc)};
		bytes += strlen(b.target) + b.blen;
		lw_detect_http(d, &client, &hr, b.blen ? b.body : NULL, b.blen, on_leak, &run);
		for (e = 0; e < r.nexp; e++) {
			struct score *ks = &by_kind[r.exp[e].kind], *cs = cat_score(r.exp[e].cat);
			struct score *carrier = cat_score(carrier_name[car]);

			if (r.exp[e].found) {
				ks->tp++;
				cs->tp++;
				if (cs != carrier)
					carrier->tp++;
			} else {
				ks->fn++;
				cs->fn++;
				if (cs != carrier)
					carrier->fn++;
				if (verbose)
					fprintf(stderr, "FN %s %s (%s via %s)\n",
						lw_id_kind_str(r.exp[e].kind), r.exp[e].value,
						r.exp[e].cat, carrier_name[car]);
			}
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("%lu requests, %.1f MB, %.2f s (%.0f requests/s), %d devices x 11 values enrolled\n",
	       n, (double)bytes / 1e6, secs, (double)n / secs, DEVICES);
	print_table("kind", by_kind, LW_ID__COUNT, &bad, true);
	print_table("encoding / carrier", by_cat, ncats, &bad, true);
	print_negatives(&bad);
	if (!lw_phone_have_plans())
		printf("\nbuilt without number plans: no national-format phone numbers planted\n");
	printf("\npattern findings: %lu on planted identifiers, %lu elsewhere (hints, not "
	       "scored)\n",
	       pattern_hits, pattern_fp);
	for (i = 0; i < npools; i++)
		free(pools[i].forms);
	free(client_pool.forms);
	lw_known_free(k);
	lw_detect_free(d);
	if (quick && bad) {
		printf("below %.2f\n", TARGET);
		return 1;
	}
	return 0;
}
