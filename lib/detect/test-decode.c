/* SPDX-License-Identifier: MIT */
/* Decoders: known answers, every truncation, invalid input, and compression bombs. */
#include <errno.h>
#include <time.h>

#include <openssl/evp.h>

#include "detect/detect-int.h"
#include "lw-features.h"
#include "lw-test.h"
#include "proto/http.h"

static void test_base64(void)
{
	static const struct {
		const char *in, *out;
		ssize_t r;
	} c[] = {
		{"aGVsbG8=", "hello", 5},    {"aGVsbG8", "hello", 5}, /* unpadded */
		{"aGVsbA==", "hell", 4},     {"aGVsbA", "hell", 4},
		{"-_-_", "\xfb\xff\xbf", 3}, /* base64url */
		{"+/+/", "\xfb\xff\xbf", 3}, /* standard */
		{"+_+_", NULL, -EINVAL}, /* mixed alphabets */
		{"aGVsb", NULL, -EINVAL}, /* 1 mod 4 */
		{"aGV*bG8=", NULL, -EINVAL}, {"", "", 0},
	};
	uint8_t out[64];
	size_t i;

	for (i = 0; i < LW_ARRAY_SIZE(c); i++) {
		struct lw_test_guard_buf g;
		size_t n = strlen(c[i].in);
		const uint8_t *p = lw_test_guard(c[i].in, n, &g);
		ssize_t r = lw_detect_b64_decode(p, n, out, sizeof(out));

		LW_CHECK_INT(r, c[i].r);
		if (r > 0)
			LW_CHECK(memcmp(out, c[i].out, (size_t)r) == 0);
		lw_test_unguard(&g);
	}
	/* the output bound holds: no more than cap bytes */
	LW_CHECK_INT(lw_detect_b64_decode((const uint8_t *)"aGVsbG8=", 8, out, 2), 2);
	LW_CHECK(memcmp(out, "he", 2) == 0);
}

static void test_base64_prefixes(void)
{
	static const char in[] = "eyJNRUlEIjoiODY5MDEyMDM0NTY3ODEzIn0=";
	uint8_t out[64];

	LW_FOR_EACH_PREFIX(in, sizeof(in) - 1, p, n, {
		ssize_t r = lw_detect_b64_decode(p, n, out, sizeof(out));

		/* every prefix decodes (to a prefix of the whole) or is rejected */
		LW_CHECK(r < 0 || (size_t)r <= n * 3 / 4);
		if (r > 0)
			LW_CHECK(memcmp(out, "{\"MEID\":\"869012034567813\"}", (size_t)r) == 0);
	});
}

static void test_hex_url(void)
{
	uint8_t out[64];
	size_t m;

	LW_CHECK_INT(lw_detect_hex_decode((const uint8_t *)"48656C6c6f", 10, out, sizeof(out)), 5);
	LW_CHECK(memcmp(out, "Hello", 5) == 0);
	LW_CHECK_INT(lw_detect_hex_decode((const uint8_t *)"48656", 5, out, sizeof(out)), -EINVAL);
	LW_CHECK_INT(lw_detect_hex_decode((const uint8_t *)"4865zz", 6, out, sizeof(out)), -EINVAL);
	LW_CHECK_INT(lw_detect_hex_decode((const uint8_t *)"48656c6c6f", 10, out, 3), 3);
	LW_FOR_EACH_PREFIX("a4%3A50%3a46+x%2", 16, p, n, {
		m = lw_detect_url_decode(p, n, out, sizeof(out), true);
		LW_CHECK(m <= n);
		if (n == 16) {
			LW_CHECK_INT(m, 12);
			LW_CHECK(memcmp(out, "a4:50:46 x%2", 12) == 0);
		}
	});
	m = lw_detect_url_decode((const uint8_t *)"a+b%2B", 6, out, sizeof(out), false);
	LW_CHECK_INT(m, 4);
	LW_CHECK(memcmp(out, "a+b+", 4) == 0);
	LW_CHECK(lw_detect_has_pct((const uint8_t *)"x%3a", 4));
	LW_CHECK(!lw_detect_has_pct((const uint8_t *)"x%3", 3));
	LW_CHECK(!lw_detect_has_pct((const uint8_t *)"100%!", 5));
}

static void test_json_unescape(void)
{
	static const struct {
		const char *in, *out;
	} c[] = {
		{"plain", "plain"},
		{"a\\\"b\\\\c\\/d", "a\"b\\c/d"},
		{"\\u0041\\u00e9", "A\xc3\xa9"},
		{"\\ud83d\\ude00", "\xf0\x9f\x98\x80"}, /* surrogate pair */
		{"x\\u12", "xu12"}, /* truncated escape kept as text */
		{"\\n\\t", "\n\t"},
		{"end\\", "end\\"},
	};
	uint8_t out[64];
	size_t i, m;

	for (i = 0; i < LW_ARRAY_SIZE(c); i++) {
		struct lw_test_guard_buf g;
		size_t n = strlen(c[i].in);
		const uint8_t *p = lw_test_guard(c[i].in, n, &g);

		m = lw_detect_json_unescape(p, n, out, sizeof(out));
		LW_CHECK_INT(m, strlen(c[i].out));
		LW_CHECK(memcmp(out, c[i].out, m) == 0);
		lw_test_unguard(&g);
	}
	LW_FOR_EACH_PREFIX("\\ud83d\\ude00\\u00e9\\\"", 20, p, n,
			   LW_CHECK(lw_detect_json_unescape(p, n, out, sizeof(out)) <= n));
	/* the output bound: a 4-byte character never half-written */
	LW_CHECK_INT(lw_detect_json_unescape((const uint8_t *)"\\ud83d\\ude00", 12, out, 3), 0);
}

struct jlog {
	char text[1024];
	int begins, ends;
};

static void jl_begin(void *u)
{
	((struct jlog *)u)->begins++;
}

static void jl_end(void *u)
{
	((struct jlog *)u)->ends++;
}

static void jl_scalar(void *u, const uint8_t *k, size_t kl, const uint8_t *v, size_t vl,
		      bool is_string, bool escaped)
{
	struct jlog *l = u;
	size_t o = strlen(l->text);

	snprintf(l->text + o, sizeof(l->text) - o, "%.*s=%s%.*s%s;", (int)(k ? kl : 1),
		 k ? (const char *)k : "-", is_string ? "\"" : "", (int)vl, (const char *)v,
		 escaped ? "\\" : "");
}

static const struct lw_json_cb jcb = {jl_begin, jl_end, jl_scalar, NULL};

static void test_json_walk(void)
{
	static const struct {
		const char *in;
		int r;
		const char *log;
	} c[] = {
		{"{\"a\":\"1\",\"b\":[1,2,{\"c\":\"x\"}],\"d\":{\"e\":null}}", 0,
		 "a=\"1;b=1;b=2;c=\"x;e=null;"},
		{" [ \"s\" , -1.5e3 ] ", 0, "-=\"s;-=-1.5e3;"},
		{"{\"k\":\"a\\\"b\"}", 0, "k=\"a\\\"b\\;"},
		{"{\"a\":1,}", 0, "a=1;"}, /* trailing comma, tolerated */
		{"{\"a\":[1,2,],}", 0, "a=1;a=2;"},
		{"{a:1}", 0, "a=1;"}, /* bare key, tolerated */
		{"{\"a\":1} x", -EBADMSG, "a=1;"}, /* trailing garbage */
		{"{\"a\" 1}", -EBADMSG, ""},
		{"{\"a\":}", -EBADMSG, ""},
		{"{\"a\":\"unterminated}", -EBADMSG, ""},
		{"[}", -EBADMSG, ""},
		{"{]", -EBADMSG, ""},
	};
	size_t i, stopped;

	for (i = 0; i < LW_ARRAY_SIZE(c); i++) {
		struct jlog l = {"", 0, 0};
		struct lw_test_guard_buf g;
		size_t n = strlen(c[i].in);
		const uint8_t *p = lw_test_guard(c[i].in, n, &g);
		int r = lw_detect_json_walk(p, n, &jcb, &l, &stopped);

		if (r != c[i].r || strcmp(l.text, c[i].log) != 0)
			fprintf(stderr, "json %s -> %d %s\n", c[i].in, r, l.text);
		LW_CHECK_INT(r, c[i].r);
		LW_CHECK_STR(l.text, c[i].log);
		LW_CHECK_INT(l.begins, l.ends); /* every opened object is closed for the caller */
		LW_CHECK(stopped <= n);
		lw_test_unguard(&g);
	}
}

static void test_json_truncated_and_deep(void)
{
	static const char doc[] =
		"{\"REGVER\":\"5.0\",\"MEID\":\"869012034567813\",\"L\":[1,{\"x\":"
		"\"\\u00e9\"}],\"N\":{\"SID\":13824}}";
	char deep[2 * 1000 + 1];
	size_t i, stopped;
	struct jlog l;

	LW_FOR_EACH_PREFIX(doc, sizeof(doc) - 1, p, n, {
		memset(&l, 0, sizeof(l));
		int r = lw_detect_json_walk(p, n, &jcb, &l, &stopped);

		LW_CHECK(r == (n == sizeof(doc) - 1 ? 0 : -EBADMSG));
		LW_CHECK_INT(l.begins, l.ends);
	});
	/* nesting beyond LW_JSON_MAX_DEPTH stops the walk instead of the stack */
	for (i = 0; i < 1000; i++) {
		deep[i] = '[';
		deep[1000 + i] = ']';
	}
	deep[2000] = '\0';
	memset(&l, 0, sizeof(l));
	LW_CHECK_INT(lw_detect_json_walk((const uint8_t *)deep, 2000, &jcb, &l, &stopped),
		     -EBADMSG);
	LW_CHECK(stopped <= LW_JSON_MAX_DEPTH);
	LW_CHECK(lw_detect_json_looks((const uint8_t *)"  {\"a\"", 6));
	LW_CHECK(!lw_detect_json_looks((const uint8_t *)"{", 1));
	LW_CHECK(!lw_detect_json_looks((const uint8_t *)"a{}", 3));
}

static void form_walk_bounded(const uint8_t *p, size_t len)
{
	struct lw_form_iter it = {p, p + len, '&'};
	const uint8_t *k, *v;
	size_t kl, vl;

	while (lw_detect_form_next(&it, &k, &kl, &v, &vl))
		LW_CHECK(k >= p && v + vl <= p + len);
}

static void test_forms(void)
{
	static const char in[] = "a=1&&b=&c&imei=358240051111110&d=x=y";
	struct lw_form_iter it;
	const uint8_t *k, *v;
	size_t kl, vl, n = 0;
	char log[256] = "";

	LW_FOR_EACH_PREFIX(in, sizeof(in) - 1, p, len, form_walk_bounded(p, len));
	it = (struct lw_form_iter){(const uint8_t *)in, (const uint8_t *)in + sizeof(in) - 1, '&'};
	while (lw_detect_form_next(&it, &k, &kl, &v, &vl)) {
		size_t o = strlen(log);

		snprintf(log + o, sizeof(log) - o, "[%.*s|%.*s]", (int)kl, k, (int)vl, v);
		n++;
	}
	LW_CHECK_INT(n, 5);
	LW_CHECK_STR(log, "[a|1][b|][c|][imei|358240051111110][d|x=y]");
	it = (struct lw_form_iter){(const uint8_t *)"sid=1; uid=abc",
				   (const uint8_t *)"sid=1; uid=abc" + 14, ';'};
	LW_CHECK(lw_detect_form_next(&it, &k, &kl, &v, &vl) && kl == 3 && vl == 1);
	LW_CHECK(lw_detect_form_next(&it, &k, &kl, &v, &vl) && kl == 3 && memcmp(k, "uid", 3) == 0);
	LW_CHECK(!lw_detect_form_next(&it, &k, &kl, &v, &vl));

	LW_CHECK(lw_detect_form_looks((const uint8_t *)"imei=1&b=2", 10));
	LW_CHECK(lw_detect_form_looks((const uint8_t *)"data=eyJhIjoxfQ==", 17));
	LW_CHECK(lw_detect_form_looks((const uint8_t *)"a%5B%5D=1&b[]=2", 15));
	LW_CHECK(!lw_detect_form_looks((const uint8_t *)"dGVzdA==", 8)); /* base64, not a form */
	LW_CHECK(!lw_detect_form_looks((const uint8_t *)"a=b c", 5));
	LW_CHECK(!lw_detect_form_looks((const uint8_t *)"{\"a\":1}", 7));
	LW_CHECK(!lw_detect_form_looks((const uint8_t *)"just text", 9));
	LW_CHECK(!lw_detect_form_looks((const uint8_t *)"a=b=c", 5));
}

static void test_plausible_coding(void)
{
	static const uint8_t bin[] = {0x8b, 0x0c, 0x80, 0x7b, 0x22, 0x69, 0x6d, 0x65, 0x00, 0x01};

	LW_CHECK(lw_detect_text_plausible((const uint8_t *)"MEID=8690", 9, true));
	LW_CHECK(lw_detect_text_plausible((const uint8_t *)"{\"a\"\x01\x02", 6, true));
	LW_CHECK(!lw_detect_text_plausible(bin, sizeof(bin), false));
	LW_CHECK(!lw_detect_text_plausible((const uint8_t *)"abc", 3, false));
	LW_CHECK(!lw_detect_text_plausible((const uint8_t *)"abc\x80"
							    "def",
					   7, true));
	LW_CHECK(lw_detect_coding_parse("gzip", 4) == LW_CODING_GZIP);
	LW_CHECK(lw_detect_coding_parse(" X-GZip ", 8) == LW_CODING_GZIP);
	LW_CHECK(lw_detect_coding_parse("deflate", 7) == LW_CODING_DEFLATE);
	LW_CHECK(lw_detect_coding_parse("br", 2) == LW_CODING_BR);
	LW_CHECK(lw_detect_coding_parse("identity", 8) == LW_CODING_IDENTITY);
	LW_CHECK(lw_detect_coding_parse("zstd", 4) == LW_CODING_UNKNOWN);
}

/* Compresses with zlib: wbits 31 = gzip, 15 = zlib, -15 = raw deflate. */
static size_t zcompress(const void *in, size_t n, uint8_t *out, size_t cap, int wbits)
{
	z_stream z;
	size_t o;

	memset(&z, 0, sizeof(z));
	if (deflateInit2(&z, 6, Z_DEFLATED, wbits, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return 0;
	z.next_in = (Bytef *)(uintptr_t)in;
	z.avail_in = (uInt)n;
	z.next_out = out;
	z.avail_out = (uInt)cap;
	deflate(&z, Z_FINISH);
	o = cap - z.avail_out;
	deflateEnd(&z);
	return o;
}

/*
 * The one-pass decoders answer exactly as decoding whole and then judging: over random runs
 * of the base64 and hex alphabets (mostly rejected early), encodings of text, of JSON behind
 * whitespace, of text with a few binary bytes (the 1-in-20 allowance), and with small caps.
 */
static uint8_t enc_alpha(uint32_t r, bool hex)
{
	static const char b64[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

	return (uint8_t)(hex ? "0123456789abcdef"[r % 16] : b64[r % 64]);
}

static void check_one_pass(const uint8_t *in, size_t n, size_t cap, unsigned *accepted)
{
	uint8_t a[512], b[512];
	ssize_t whole, one;

	for (int strict = 0; strict < 2; strict++) {
		whole = lw_detect_b64_decode(in, n, a, cap);
		if (whole > 0 && !lw_detect_text_plausible(a, (size_t)whole, strict))
			whole = -EINVAL;
		one = lw_detect_b64_decode_text(in, n, b, cap, strict);
		LW_CHECK_INT(one > 0 ? one : -1, whole > 0 ? whole : -1);
		if (one > 0 && whole > 0) {
			LW_CHECK(memcmp(a, b, (size_t)one) == 0);
			(*accepted)++;
		}
		whole = lw_detect_hex_decode(in, n, a, cap);
		if (whole > 0 && !lw_detect_text_plausible(a, (size_t)whole, strict))
			whole = -EINVAL;
		one = lw_detect_hex_decode_text(in, n, b, cap, strict);
		LW_CHECK_INT(one > 0 ? one : -1, whole > 0 ? whole : -1);
		if (one > 0 && whole > 0)
			LW_CHECK(memcmp(a, b, (size_t)one) == 0);
	}
}

static void test_one_pass_decoders(void)
{
	uint32_t x = 12345;
	unsigned accepted = 0, i;

	for (i = 0; i < 20000; i++) {
		uint8_t plain[192], enc[400];
		size_t n, pn, k, cap;

		x = x * 1103515245u + 12345u;
		cap = (x >> 8) % 4 == 0 ? (x >> 12) % 40 : 256;
		pn = 4 + (x >> 16) % 150;
		switch (i % 4) {
		case 0: /* a random run of the alphabet */
			for (k = 0; k < pn; k++) {
				x = x * 1103515245u + 12345u;
				enc[k] = enc_alpha(x >> 16, i % 8 == 0);
			}
			n = pn;
			check_one_pass(enc, n, cap, &accepted);
			continue;
		case 1: /* printable text with a few bytes that are not */
			for (k = 0; k < pn; k++) {
				x = x * 1103515245u + 12345u;
				plain[k] = (uint8_t)(0x20 + (x >> 16) % 95);
				if ((x >> 24) % 23 == 0)
					plain[k] = (uint8_t)(x >> 8);
			}
			break;
		case 2: /* JSON behind whitespace, then binary */
			for (k = 0; k < pn; k++) {
				x = x * 1103515245u + 12345u;
				plain[k] = (uint8_t)(x >> 16);
			}
			k = (x >> 8) % 3;
			memset(plain, ' ', k);
			plain[k] = (x >> 10) % 2 ? '{' : '[';
			break;
		default: /* text */
			for (k = 0; k < pn; k++) {
				x = x * 1103515245u + 12345u;
				plain[k] = (uint8_t)('a' + (x >> 16) % 26);
			}
			break;
		}
		if (i % 8 < 4) {
			n = (size_t)EVP_EncodeBlock(enc, plain, (int)pn);
		} else {
			for (k = 0; k < pn; k++) {
				enc[2 * k] = (uint8_t) "0123456789abcdef"[plain[k] >> 4];
				enc[2 * k + 1] = (uint8_t) "0123456789abcdef"[plain[k] & 15];
			}
			n = 2 * pn;
		}
		check_one_pass(enc, n, cap, &accepted);
	}
	LW_CHECK(accepted > 1000); /* both answers were exercised */
}

static void test_inflate(void)
{
	static const char text[] =
		"{\"imei\":\"358240051111110\",\"pad\":\"aaaaaaaaaaaaaaaaaaaa\"}";
	static const int wbits[] = {31, 15, -15};
	static const enum lw_coding coding[] = {LW_CODING_GZIP, LW_CODING_DEFLATE,
						LW_CODING_DEFLATE};
	uint8_t comp[256], out[256], two[512];
	size_t cn, on, i;
	bool hit;
	z_stream zs;

	memset(&zs, 0, sizeof(zs));
	LW_CHECK_INT(inflateInit2(&zs, 15 + 32), Z_OK);
	for (i = 0; i < LW_ARRAY_SIZE(wbits); i++) {
		cn = zcompress(text, sizeof(text) - 1, comp, sizeof(comp), wbits[i]);
		LW_CHECK(cn > 0);
		hit = false;
		LW_CHECK_INT(
			lw_detect_inflate(&zs, coding[i], comp, cn, out, sizeof(out), &on, &hit),
			0);
		LW_CHECK_INT(on, sizeof(text) - 1);
		LW_CHECK(memcmp(out, text, on) == 0);
		LW_CHECK(!hit);
		/* every truncation: a prefix of the text or nothing, never a crash */
		LW_FOR_EACH_PREFIX(comp, cn, p, n, {
			size_t m = 0;
			bool h = false;
			int r = lw_detect_inflate(&zs, coding[i], p, n, out, sizeof(out), &m, &h);

			LW_CHECK((r == 0 && m > 0 && m <= sizeof(text) - 1 &&
				  memcmp(out, text, m) == 0) ||
				 (r < 0 && m == 0));
		});
		/* output bound: stops at cap and says so */
		hit = false;
		LW_CHECK_INT(lw_detect_inflate(&zs, coding[i], comp, cn, out, 10, &on, &hit), 0);
		LW_CHECK_INT(on, 10);
		LW_CHECK(hit);
	}
	/* two gzip members one after the other */
	cn = zcompress(text, sizeof(text) - 1, two, sizeof(two), 31);
	memcpy(two + cn, two, cn);
	LW_CHECK_INT(
		lw_detect_inflate(&zs, LW_CODING_GZIP, two, 2 * cn, out, sizeof(out), &on, &hit),
		0);
	LW_CHECK_INT(on, 2 * (sizeof(text) - 1));
	/* not compressed at all */
	LW_CHECK(lw_detect_inflate(&zs, LW_CODING_GZIP, (const uint8_t *)text, sizeof(text) - 1,
				   out, sizeof(out), &on, &hit) < 0);
	LW_CHECK_INT(on, 0);
	inflateEnd(&zs);
}

/* br of {"imei":"358240051111110"}, and of 100 MiB of zeros (both made with libbrotlienc). */
static const uint8_t br_json[] = {0x8b, 0x0c, 0x80, 0x7b, 0x22, 0x69, 0x6d, 0x65, 0x69, 0x22,
				  0x3a, 0x22, 0x33, 0x35, 0x38, 0x32, 0x34, 0x30, 0x30, 0x35,
				  0x31, 0x31, 0x31, 0x31, 0x31, 0x31, 0x30, 0x22, 0x7d, 0x03};
static const uint8_t br_zeros[] = {
	0xcb, 0xff, 0xff, 0x3f, 0xf8, 0x27, 0x00, 0xe2, 0xb1, 0x40, 0x20, 0xf7, 0xfe, 0x8f, 0xff,
	0xff, 0x7f, 0xf0, 0x4f, 0x00, 0xc4, 0x61, 0x11, 0x80, 0xee, 0xfd, 0x1f, 0xff, 0xff, 0xff,
	0xe0, 0x9f, 0x00, 0x88, 0xc3, 0x02, 0x00, 0xdd, 0xfb, 0x3f, 0xfe, 0xff, 0xff, 0xc1, 0x3f,
	0x01, 0x10, 0x87, 0x05, 0x00, 0xba, 0xf7, 0x7f, 0xfc, 0xff, 0xff, 0x83, 0x7f, 0x02, 0x20,
	0x0e, 0x0b, 0x00, 0x74, 0xef, 0xff, 0xf8, 0xff, 0xff, 0x07, 0xff, 0x04, 0x40, 0x1c, 0x16,
	0x00, 0xe8, 0xde, 0xff, 0xf1, 0xff, 0xff, 0x0f, 0xfe, 0x09, 0x80, 0x38, 0x2c, 0x00, 0xd0,
	0xbd, 0xff, 0xe3, 0xff, 0xff, 0x1f, 0xfc, 0x13, 0x00, 0x71, 0x58, 0x00, 0xa0, 0x7b, 0xff,
	0xc7, 0xff, 0xff, 0x3f, 0xf8, 0x27, 0x00, 0xe2, 0xb0, 0x00, 0x40, 0xf7, 0xfe, 0x8f, 0xff,
	0xff, 0x7f, 0xf0, 0x4f, 0x00, 0xc4, 0x61, 0x01, 0x80, 0xee, 0xfd, 0x1f, 0xff, 0xff, 0xff,
	0xe0, 0x9f, 0x00, 0x88, 0xc3, 0x02, 0x00, 0xdd, 0xfb, 0x3f, 0xfe, 0xff, 0xff, 0xc1, 0x3f,
	0x01, 0x10, 0x87, 0x05, 0x00, 0xba, 0xf7, 0x7f, 0xf9, 0xff, 0xff, 0x83, 0x7f, 0x02, 0x20,
	0x0e, 0x0b, 0x00, 0x74, 0xef, 0x7f, 0x00};

static void test_brotli(void)
{
	uint8_t out[256];
	size_t on;
	bool hit = false;
	uint8_t *big;

	if (!LW_BUILT_BROTLI) {
		/* a build without the brotli option: br is refused, never decoded */
		LW_CHECK_INT(
			lw_detect_brotli(br_json, sizeof(br_json), out, sizeof(out), &on, &hit),
			-ENOTSUP);
		LW_CHECK_INT(on, 0);
		return;
	}
	LW_CHECK_INT(lw_detect_brotli(br_json, sizeof(br_json), out, sizeof(out), &on, &hit), 0);
	LW_CHECK_INT(on, 26);
	LW_CHECK(memcmp(out, "{\"imei\":\"358240051111110\"}", 26) == 0);
	LW_FOR_EACH_PREFIX(br_json, sizeof(br_json), p, n, {
		size_t m = 0;
		bool h = false;

		if (lw_detect_brotli(p, n, out, sizeof(out), &m, &h) == 0)
			LW_CHECK(m <= 26 && memcmp(out, "{\"imei\":\"358240051111110\"}", m) == 0);
	});
	LW_CHECK(lw_detect_brotli((const uint8_t *)"not brotli at all", 17, out, sizeof(out), &on,
				  &hit) < 0);
	big = malloc(1 << 20);
	LW_CHECK(big != NULL);
	hit = false;
	LW_CHECK_INT(lw_detect_brotli(br_zeros, sizeof(br_zeros), big, 1 << 20, &on, &hit), 0);
	LW_CHECK_INT(on, 1 << 20);
	LW_CHECK(hit);
	free(big);
}

/* A gzip bomb (100 MiB of zeros) through the engine: stops at the budget, counted, quickly. */
static void test_bomb_through_engine(void)
{
	struct lw_detect_config cfg = {.max_decode_bytes = 1 << 20, .learn = true};
	struct lw_detect *d = lw_detect_new(&cfg);
	static uint8_t zeros[1 << 20];
	uint8_t *gz = malloc(1 << 20);
	struct lw_http_request req;
	struct timespec t0, t1;
	size_t gn, i;
	z_stream z;
	double ms;

	LW_CHECK(d && gz);
	memset(&z, 0, sizeof(z));
	deflateInit2(&z, 9, Z_DEFLATED, 31, 9, Z_DEFAULT_STRATEGY);
	z.next_out = gz;
	z.avail_out = 1 << 20;
	for (i = 0; i < 100; i++) {
		z.next_in = zeros;
		z.avail_in = sizeof(zeros);
		deflate(&z, i == 99 ? Z_FINISH : Z_NO_FLUSH);
	}
	gn = (1 << 20) - z.avail_out;
	deflateEnd(&z);
	LW_CHECK(gn > 0 && gn < 200000);

	memset(&req, 0, sizeof(req));
	req.method = (struct lw_str){"POST", 4};
	req.target = (struct lw_str){"/upload", 7};
	req.content_encoding = (struct lw_str){"gzip", 4};
	req.content_length = (int64_t)gn;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	LW_CHECK_INT(lw_detect_http(d, NULL, &req, gz, gn, NULL, NULL), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
	LW_CHECK_INT(lw_detect_get_stats(d)->decode_budget_hit, 1);
	LW_CHECK(ms < 2000); /* it read 1 MiB, not 100 */
	fprintf(stderr, "  gzip bomb: %zu bytes in, stopped at the budget in %.1f ms\n", gn, ms);

	/* the brotli bomb too (64 KiB floor of the ratio limit comes first) */
	req.content_encoding = (struct lw_str){"br", 2};
	LW_CHECK_INT(lw_detect_http(d, NULL, &req, br_zeros, sizeof(br_zeros), NULL, NULL), 0);
	LW_CHECK_INT(lw_detect_get_stats(d)->decode_budget_hit, LW_BUILT_BROTLI ? 2 : 1);
	lw_detect_free(d);
	free(gz);
}

/* Compression known by its bytes: gzip and zlib headers, raw deflate only when whole. */
static void test_sniff(void)
{
	static const char text[] = "{\"mac\":\"a4:50:46:12:34:56\",\"app\":\"example\"}";
	uint8_t comp[256], out[256];
	size_t cn, on, i;
	bool hit = false;
	z_stream zs;

	cn = zcompress(text, sizeof(text) - 1, comp, sizeof(comp), 31);
	LW_CHECK_INT(lw_detect_sniff(comp, cn), LW_SNIFF_GZIP);
	cn = zcompress(text, sizeof(text) - 1, comp, sizeof(comp), 15);
	LW_CHECK_INT(lw_detect_sniff(comp, cn), LW_SNIFF_ZLIB);
	LW_CHECK_INT(lw_detect_sniff(comp, 1), LW_SNIFF_NONE);
	comp[1] ^= 1; /* FCHECK no longer a multiple of 31 */
	LW_CHECK_INT(lw_detect_sniff(comp, cn), LW_SNIFF_NONE);
	LW_CHECK_INT(lw_detect_sniff((const uint8_t *)text, sizeof(text) - 1), LW_SNIFF_NONE);
	LW_CHECK_INT(lw_detect_sniff((const uint8_t *)"x^abcdef", 8), LW_SNIFF_ZLIB);

	memset(&zs, 0, sizeof(zs));
	LW_CHECK_INT(inflateInit2(&zs, -15), Z_OK);
	cn = zcompress(text, sizeof(text) - 1, comp, sizeof(comp), -15);
	LW_CHECK_INT(lw_detect_inflate_raw(&zs, comp, cn, out, sizeof(out), &on, &hit), 0);
	LW_CHECK_INT(on, sizeof(text) - 1);
	LW_CHECK(memcmp(out, text, on) == 0);
	/* a cut stream, or one followed by more bytes, is not taken */
	LW_CHECK_INT(lw_detect_inflate_raw(&zs, comp, cn - 3, out, sizeof(out), &on, &hit),
		     -EBADMSG);
	LW_CHECK_INT(on, 0);
	comp[cn] = 0x42;
	LW_CHECK_INT(lw_detect_inflate_raw(&zs, comp, cn + 1, out, sizeof(out), &on, &hit),
		     -EBADMSG);
	/* output cap reached: taken, as far as it went */
	LW_CHECK_INT(lw_detect_inflate_raw(&zs, comp, cn, out, 10, &on, &hit), 0);
	LW_CHECK_INT(on, 10);
	LW_CHECK(hit);
	/* block type 3 does not exist: not even tried */
	comp[0] = 0x06;
	LW_CHECK_INT(lw_detect_inflate_raw(&zs, comp, cn, out, sizeof(out), &on, &hit), -EBADMSG);
	/* random bytes: never a crash, seldom a stream */
	srand(7);
	for (i = 0; i < 2000; i++) {
		size_t j;

		for (j = 0; j < 64; j++)
			comp[j] = (uint8_t)rand();
		(void)lw_detect_inflate_raw(&zs, comp, 64, out, sizeof(out), &on, &hit);
		LW_CHECK(on <= sizeof(out));
	}
	inflateEnd(&zs);
}

int main(void)
{
	LW_TEST(test_base64);
	LW_TEST(test_base64_prefixes);
	LW_TEST(test_hex_url);
	LW_TEST(test_json_unescape);
	LW_TEST(test_json_walk);
	LW_TEST(test_json_truncated_and_deep);
	LW_TEST(test_forms);
	LW_TEST(test_plausible_coding);
	LW_TEST(test_one_pass_decoders);
	LW_TEST(test_inflate);
	LW_TEST(test_sniff);
	LW_TEST(test_brotli);
	LW_TEST(test_bomb_through_engine);
	return lw_test_end();
}
