/* SPDX-License-Identifier: MIT */
/*
 * The engine end to end: the ZZHC (Nokia 7 Plus) self-registration with nothing enrolled,
 * HTTP request parts, compressed bodies, decoding depth, validated and pattern findings,
 * the false-positive guards, dedup, snippets and learning.
 */
#include <errno.h>

#include <openssl/evp.h>

#include "detect/detect-int.h"
#include "lw-features.h"
#include "lw-test.h"
#include "proto/http.h"

#define MAX_GOT 80

struct got {
	struct lw_leak l[MAX_GOT];
	int n;
};

static void collect(const struct lw_leak *l, void *user)
{
	struct got *g = user;

	if (g->n < MAX_GOT)
		g->l[g->n++] = *l;
}

static const struct lw_leak *find(const struct got *g, enum lw_id_kind kind, const char *value)
{
	int i;

	for (i = 0; i < g->n; i++)
		if (g->l[i].kind == kind && (!value || strcmp(g->l[i].value, value) == 0))
			return &g->l[i];
	return NULL;
}

static void dump(const struct got *g)
{
	int i;

	for (i = 0; i < g->n; i++)
		fprintf(stderr, "    %s %s %s enc=%s loc=%s [%s]\n", lw_id_kind_str(g->l[i].kind),
			lw_confidence_str(g->l[i].confidence), g->l[i].value, g->l[i].encoding,
			g->l[i].location, g->l[i].snippet);
}

/* Checks one finding; prints what was found when it is not there. */
static void want(const struct got *g, enum lw_id_kind kind, const char *value,
		 enum lw_confidence conf, const char *encoding, const char *location)
{
	const struct lw_leak *l = find(g, kind, value);

	LW_CHECK(l != NULL);
	if (!l) {
		fprintf(stderr, "  missing %s %s; got:\n", lw_id_kind_str(kind), value);
		dump(g);
		return;
	}
	LW_CHECK_INT(l->confidence, conf);
	if (encoding)
		LW_CHECK_STR(l->encoding, encoding);
	if (location)
		LW_CHECK_STR(l->location, location);
}

static int scan(struct lw_detect *d, const struct lw_mac *client, const char *where,
		const char *ctype, const void *data, size_t len, struct got *g)
{
	struct lw_detect_ctx ctx = {.client_mac = client, .location = where, .content_type = ctype};
	struct lw_test_guard_buf gb;
	const uint8_t *p = lw_test_guard(data, len, &gb);
	int r;

	g->n = 0;
	r = lw_detect_scan(d, &ctx, p, len, collect, g);
	lw_test_unguard(&gb);
	LW_CHECK_INT(r, g->n);
	return r;
}

static int scan_s(struct lw_detect *d, const struct lw_mac *client, const char *text, struct got *g)
{
	return scan(d, client, "http.body", NULL, text, strlen(text), g);
}

struct hdr {
	const char *name, *value;
};

static int http(struct lw_detect *d, const struct lw_mac *client, const char *target,
		const struct hdr *h, size_t nh, const void *body, size_t blen, struct got *g)
{
	struct lw_test_guard_buf gt, gb;
	struct lw_http_request r;
	const uint8_t *b = lw_test_guard(body ? body : "", blen, &gb);
	size_t i;
	int ret;

	memset(&r, 0, sizeof(r));
	r.method = (struct lw_str){"POST", 4};
	r.target.p = lw_test_guard(target, strlen(target), &gt);
	r.target.len = strlen(target);
	r.version_minor = 1;
	r.content_length = (int64_t)blen;
	for (i = 0; i < nh && i < LW_HTTP_MAX_HEADERS; i++) {
		r.headers[i].name = (struct lw_str){h[i].name, strlen(h[i].name)};
		r.headers[i].value = (struct lw_str){h[i].value, strlen(h[i].value)};
		if (strcasecmp(h[i].name, "Content-Encoding") == 0)
			r.content_encoding = r.headers[i].value;
		if (strcasecmp(h[i].name, "Content-Type") == 0)
			r.content_type = r.headers[i].value;
		if (strcasecmp(h[i].name, "Host") == 0)
			r.host = r.headers[i].value;
	}
	r.n_headers = i;
	g->n = 0;
	ret = lw_detect_http(d, client, &r, b, blen, collect, g);
	LW_CHECK_INT(ret, g->n);
	lw_test_unguard(&gt);
	lw_test_unguard(&gb);
	return ret;
}

static size_t b64(const char *in, char *out)
{
	return (size_t)EVP_EncodeBlock((unsigned char *)out, (const unsigned char *)in,
				       (int)strlen(in));
}

static const struct lw_mac nokia = {{0xa4, 0x50, 0x46, 0x12, 0x34, 0x56}};

static const char zzhc_v2[] =
	"{\"REGVER\":\"2\",\"MEID\":\"869012034567813\",\"MODEL\":\"TA-1062\","
	"\"SWVER\":\"00CN_1_34E\",\"SIM1ICCID\":\"8986031847200398123\","
	"\"SIM1LTEIMSI\":\"460110912345678\"}";

static const char zzhc_v5[] =
	"{\"REGVER\":\"5.0\",\"MEID\":\"869012034567813\",\"MODEL\":\"TA-1062\","
	"\"SWVER\":\"00CN_1_34E\",\"SIM1CDMAIMSI\":\"460036591298765\",\"SIM2CDMAIMSI\":\"\","
	"\"UETYPE\":\"1\",\"SIM1ICCID\":\"8986031847200398123\",\"SIM2ICCID\":\"\","
	"\"SIM1LTEIMSI\":\"460110912345678\",\"SIM2LTEIMSI\":\"\",\"SIM1TYPE\":\"2\","
	"\"SID\":\"13824\",\"NID\":\"1\",\"MACID\":\"A4:50:46:12:34:56\","
	"\"SIM1CELLID\":\"123456789\",\"SIM2CELLID\":\"\",\"MANUFACTURE\":\"HMD Global\","
	"\"OSVER\":\"9\",\"HWVER\":\"1.0\",\"ACCESSTYPE\":\"2\","
	"\"REGDATE\":\"2019-03-01 12:00:00\",\"IMEI1\":\"869012034567813\","
	"\"IMEI2\":\"869012034567821\",\"BASEID\":\"4321\"}";

static int zzhc(struct lw_detect *d, const struct lw_mac *client, const char *json, struct got *g)
{
	static const struct hdr h[] = {
		{"Host", "zzhc.vnet.cn:9999"},
		{"User-Agent", "zzhc/1.0.0"},
		{"Content-Type", "application/encrypted-json"},
		{"Connection", "Keep-Alive"},
	};
	char body[2048];
	size_t n = b64(json, body);

	return http(d, client, "/", h, LW_ARRAY_SIZE(h), body, n, g);
}

static void test_zzhc_v2(void)
{
	struct lw_detect_config cfg = {.learn = false};
	struct lw_detect *d = lw_detect_new(&cfg);
	struct got g;

	LW_CHECK_INT(zzhc(d, NULL, zzhc_v2, &g), 3);
	want(&g, LW_ID_IMEI, "869012034567813", LW_CONF_VALIDATED, "base64>json:MEID", "http.body");
	/* 19 digits with the check digit dropped: accepted under SIM1ICCID */
	want(&g, LW_ID_ICCID, "8986031847200398123", LW_CONF_VALIDATED, "base64>json:SIM1ICCID",
	     "http.body");
	want(&g, LW_ID_IMSI, "460110912345678", LW_CONF_VALIDATED, "base64>json:SIM1LTEIMSI",
	     "http.body");
	LW_CHECK(strstr(find(&g, LW_ID_IMEI, NULL)->snippet, "\"MEID\":\"***************\"") !=
		 NULL);
	lw_detect_free(d);
}

static void test_zzhc_v5(void)
{
	struct lw_detect_config cfg = {.learn = false};
	struct lw_detect *d = lw_detect_new(&cfg);
	const struct lw_leak *cell;
	struct got g;

	/* the client's MAC known from layer 2: MACID is the device's own MAC */
	LW_CHECK_INT(zzhc(d, &nokia, zzhc_v5, &g), 7);
	want(&g, LW_ID_IMEI, "869012034567813", LW_CONF_VALIDATED, "base64>json:MEID", "http.body");
	want(&g, LW_ID_IMEI, "869012034567821", LW_CONF_VALIDATED, "base64>json:IMEI2",
	     "http.body");
	want(&g, LW_ID_ICCID, "8986031847200398123", LW_CONF_VALIDATED, "base64>json:SIM1ICCID",
	     NULL);
	want(&g, LW_ID_IMSI, "460110912345678", LW_CONF_VALIDATED, "base64>json:SIM1LTEIMSI", NULL);
	want(&g, LW_ID_IMSI, "460036591298765", LW_CONF_VALIDATED, "base64>json:SIM1CDMAIMSI",
	     NULL);
	want(&g, LW_ID_MAC, "a4:50:46:12:34:56", LW_CONF_KNOWN, "base64>json:MACID", "http.body");
	cell = find(&g, LW_ID_CELL_ID, NULL);
	LW_CHECK(cell != NULL);
	if (cell) {
		LW_CHECK_INT(cell->confidence, LW_CONF_VALIDATED);
		LW_CHECK_STR(cell->value, "cid=123456789,sid=13824,nid=1,baseid=4321");
		LW_CHECK(strncmp(cell->encoding, "base64>json:", 12) == 0);
		LW_CHECK_STR(cell->location, "http.body");
	}

	/* without the link layer: MACID is validated by its key */
	LW_CHECK_INT(zzhc(d, NULL, zzhc_v5, &g), 7);
	want(&g, LW_ID_MAC, "a4:50:46:12:34:56", LW_CONF_VALIDATED, "base64>json:MACID", NULL);
	lw_detect_free(d);
}

static void scan_prefix(struct lw_detect *d, const char *ctype, const uint8_t *p, size_t len)
{
	struct lw_detect_ctx ctx = {&nokia, "http.body", ctype, .partial = true};
	struct got g = {.n = 0};
	int r = lw_detect_scan(d, &ctx, p, len, collect, &g);

	LW_CHECK(r <= 7);
	if (r > 7) {
		fprintf(stderr, "  prefix %zu: %d\n", len, r);
		dump(&g);
	}
}

/* Every truncation of the ZZHC body: no over-read, never more than the whole gives. */
static void test_zzhc_truncated(void)
{
	struct lw_detect *d = lw_detect_new(NULL);
	char body[2048];
	size_t n = b64(zzhc_v5, body);

	LW_FOR_EACH_PREFIX(body, n, p, len, scan_prefix(d, "application/encrypted-json", p, len));
	LW_FOR_EACH_PREFIX(zzhc_v5, sizeof(zzhc_v5) - 1, p, len,
			   scan_prefix(d, "application/json", p, len));
	lw_detect_free(d);
}

static void test_http_parts(void)
{
	static const struct hdr h[] = {
		{"Host", "358240051111110.t.example.com"},
		{"User-Agent", "Dalvik/2.1.0 (Linux; U; Android 9; TA-1062 Build/PPR1.180610.011) "
			       "IMEI/869012034567821"},
		{"Cookie", "sid=abc; aaid=38400000-8cf0-11bd-b23e-10b96e40000d; lang=en"},
		{"X-Device-Mac", "3c:28:6d:aa:bb:0c"},
		{"Authorization", "Basic am9obi5kb2VAZXhhbXBsZS5jb206aHVudGVyMg=="},
	};
	struct lw_detect_config cfg = {.learn = false};
	struct lw_detect *d = lw_detect_new(&cfg);
	struct got g;

	http(d, NULL,
	     "/v1/imei/490154203237518/ping?msisdn=%2B4915123456789&lat=52.520008&lng=13.404954"
	     "&android_id=9774d56d682e549c#frag",
	     h, LW_ARRAY_SIZE(h), NULL, 0, &g);
	want(&g, LW_ID_IMEI, "490154203237518", LW_CONF_VALIDATED, "plain", "http.path");
	want(&g, LW_ID_PHONE, "+4915123456789", LW_CONF_VALIDATED, "plain", "http.query:msisdn");
	want(&g, LW_ID_LOCATION, "52.520008,13.404954", LW_CONF_VALIDATED, "plain",
	     "http.query:lat");
	want(&g, LW_ID_ANDROID_ID, "9774d56d682e549c", LW_CONF_VALIDATED, "plain",
	     "http.query:android_id");
	want(&g, LW_ID_IMEI, "358240051111110", LW_CONF_PATTERN, "plain", "http.header:Host");
	want(&g, LW_ID_IMEI, "869012034567821", LW_CONF_VALIDATED, "plain",
	     "http.header:User-Agent");
	want(&g, LW_ID_AD_ID, "38400000-8cf0-11bd-b23e-10b96e40000d", LW_CONF_VALIDATED,
	     "cookie:aaid", "http.header:Cookie");
	want(&g, LW_ID_MAC, "3c:28:6d:aa:bb:0c", LW_CONF_VALIDATED, "plain",
	     "http.header:X-Device-Mac");
	want(&g, LW_ID_EMAIL, "john.doe@example.com", LW_CONF_VALIDATED, "base64",
	     "http.header:Authorization");
	LW_CHECK_INT(g.n, 9);
	lw_detect_free(d);
}

static size_t zcompress(const void *in, size_t n, uint8_t *out, size_t cap, int wbits)
{
	z_stream z;
	size_t o;

	memset(&z, 0, sizeof(z));
	deflateInit2(&z, 6, Z_DEFLATED, wbits, 8, Z_DEFAULT_STRATEGY);
	z.next_in = (Bytef *)(uintptr_t)in;
	z.avail_in = (uInt)n;
	z.next_out = out;
	z.avail_out = (uInt)cap;
	deflate(&z, Z_FINISH);
	o = cap - z.avail_out;
	deflateEnd(&z);
	return o;
}

static void test_content_encoding(void)
{
	static const char json[] = "{\"app\":\"x\",\"imei\":\"358240051111110\"}";
	/* br of {"imei":"358240051111110"} */
	static const uint8_t br[] = {0x8b, 0x0c, 0x80, 0x7b, 0x22, 0x69, 0x6d, 0x65, 0x69, 0x22,
				     0x3a, 0x22, 0x33, 0x35, 0x38, 0x32, 0x34, 0x30, 0x30, 0x35,
				     0x31, 0x31, 0x31, 0x31, 0x31, 0x31, 0x30, 0x22, 0x7d, 0x03};
	struct lw_detect_config cfg = {.learn = false};
	struct lw_detect *d = lw_detect_new(&cfg);
	struct hdr h[2] = {{"Content-Type", "application/json"}, {"Content-Encoding", "gzip"}};
	uint8_t comp[256], twice[256];
	size_t n, n2;
	struct got g;

	n = zcompress(json, sizeof(json) - 1, comp, sizeof(comp), 31);
	http(d, NULL, "/", h, 2, comp, n, &g);
	want(&g, LW_ID_IMEI, "358240051111110", LW_CONF_VALIDATED, "gzip>json:imei", "http.body");
	h[1].value = "deflate";
	n = zcompress(json, sizeof(json) - 1, comp, sizeof(comp), -15); /* raw, as many send */
	http(d, NULL, "/", h, 2, comp, n, &g);
	want(&g, LW_ID_IMEI, "358240051111110", LW_CONF_VALIDATED, "deflate>json:imei", NULL);
	n = zcompress(json, sizeof(json) - 1, comp, sizeof(comp), 15);
	http(d, NULL, "/", h, 2, comp, n, &g);
	want(&g, LW_ID_IMEI, "358240051111110", LW_CONF_VALIDATED, "deflate>json:imei", NULL);
	h[1].value = "br";
	http(d, NULL, "/", h, 2, br, sizeof(br), &g);
	/* (without the brotli option the body is searched as it is: this small one holds the
	 * IMEI's digits as literals) */
	want(&g, LW_ID_IMEI, "358240051111110", LW_CONF_VALIDATED,
	     LW_BUILT_BROTLI ? "br>json:imei" : "plain", NULL);
	/* two codings, listed in the order applied */
	n = zcompress(json, sizeof(json) - 1, comp, sizeof(comp), 15);
	n2 = zcompress(comp, n, twice, sizeof(twice), 31);
	h[1].value = "deflate, gzip";
	http(d, NULL, "/", h, 2, twice, n2, &g);
	want(&g, LW_ID_IMEI, "358240051111110", LW_CONF_VALIDATED, "gzip>deflate>json:imei", NULL);
	/* labelled gzip but sent plain: read the raw bytes */
	h[1].value = "gzip";
	http(d, NULL, "/", h, 2, json, sizeof(json) - 1, &g);
	want(&g, LW_ID_IMEI, "358240051111110", LW_CONF_VALIDATED, "json:imei", NULL);
	/* an unknown coding: raw bytes too */
	h[1].value = "zstd";
	http(d, NULL, "/", h, 2, json, sizeof(json) - 1, &g);
	want(&g, LW_ID_IMEI, "358240051111110", LW_CONF_VALIDATED, "json:imei", NULL);
	lw_detect_free(d);
}

static void test_depth(void)
{
	struct lw_detect_config cfg = {.learn = false};
	struct lw_detect *d = lw_detect_new(&cfg);
	char a[256], b[512], c[1024];
	struct got g;

	b64("{\"imei\":\"358240051111110\"}", a);
	b64(a, b);
	b64(b, c);
	/* two layers are read */
	scan_s(d, NULL, b, &g);
	want(&g, LW_ID_IMEI, "358240051111110", LW_CONF_VALIDATED, "base64>base64>json:imei", NULL);
	LW_CHECK_INT(lw_detect_get_stats(d)->depth_limit_hit, 0);
	/* a third is not, and that is counted */
	LW_CHECK_INT(scan_s(d, NULL, c, &g), 0);
	LW_CHECK_INT(lw_detect_get_stats(d)->depth_limit_hit, 1);
	lw_detect_free(d);

	cfg.max_depth = 3;
	d = lw_detect_new(&cfg);
	scan_s(d, NULL, c, &g);
	want(&g, LW_ID_IMEI, "358240051111110", LW_CONF_VALIDATED, "base64>base64>base64>json:imei",
	     NULL);
	/* hex and percent-encoding are layers too */
	scan_s(d, NULL, "data=7b22696d6569223a22333538323430303531313131313130227d", &g);
	want(&g, LW_ID_IMEI, "358240051111110", LW_CONF_VALIDATED, "form:data>hex>json:imei", NULL);
	scan_s(d, NULL, "x: imei%3D358240051111110", &g);
	want(&g, LW_ID_IMEI, "358240051111110", LW_CONF_VALIDATED, "url", NULL);
	lw_detect_free(d);
}

static void test_validated_kinds(void)
{
	struct lw_detect_config cfg = {.learn = false};
	struct lw_detect *d = lw_detect_new(&cfg);
	struct got g;

	scan_s(d, NULL,
	       "{\"meid\":\"A1000012345678\",\"imeisv\":\"3582400511111101\",\"iccid\":"
	       "\"89860318472003987657\",\"imsi\":\"310260987651234\",\"adid\":"
	       "\"6D92078A-8246-4BA4-AE5B-76104861E7DC\",\"_android_id\":\"9774D56D682E549C\","
	       "\"email\":\"John.Doe@Example.com\",\"tel\":\"+1 (415) 555-0132\"}",
	       &g);
	want(&g, LW_ID_MEID, "A1000012345678", LW_CONF_VALIDATED, "json:meid", NULL);
	want(&g, LW_ID_IMEISV, "3582400511111101", LW_CONF_VALIDATED, "json:imeisv", NULL);
	want(&g, LW_ID_ICCID, "89860318472003987657", LW_CONF_VALIDATED, "json:iccid", NULL);
	want(&g, LW_ID_IMSI, "310260987651234", LW_CONF_VALIDATED, "json:imsi", NULL);
	want(&g, LW_ID_AD_ID, "6d92078a-8246-4ba4-ae5b-76104861e7dc", LW_CONF_VALIDATED,
	     "json:adid", NULL);
	want(&g, LW_ID_ANDROID_ID, "9774d56d682e549c", LW_CONF_VALIDATED, "json:_android_id", NULL);
	want(&g, LW_ID_EMAIL, "john.doe@example.com", LW_CONF_VALIDATED, "json:email", NULL);
	want(&g, LW_ID_PHONE, "+14155550132", LW_CONF_VALIDATED, "json:tel", NULL);
	LW_CHECK_INT(g.n, 8);

	/* an ICCID needs no key when its Luhn digit is right */
	scan_s(d, NULL, "sim 89860318472003987657 ok", &g);
	want(&g, LW_ID_ICCID, "89860318472003987657", LW_CONF_VALIDATED, "plain", NULL);
	/* the legacy DHCP host name, in a DNS name */
	scan(d, NULL, "dns.qname", NULL, "android-9774d56d682e549c.lan", 28, &g);
	want(&g, LW_ID_ANDROID_ID, "9774d56d682e549c", LW_CONF_VALIDATED, "plain", "dns.qname");
	/* location: a pair under lat/lon keys, E6 integers, one "ll" value */
	scan_s(d, NULL, "{\"loc\":{\"latE6\":52520008,\"lngE6\":13404954}}", &g);
	want(&g, LW_ID_LOCATION, "52.520008,13.404954", LW_CONF_VALIDATED, NULL, NULL);
	scan_s(d, NULL, "{\"latitude\":-33.868820,\"longitude\":151.209290}", &g);
	want(&g, LW_ID_LOCATION, "-33.868820,151.209290", LW_CONF_VALIDATED, "json:latitude", NULL);
	/* cell identity: fields that belong together */
	scan_s(d, NULL, "{\"cell\":{\"mcc\":\"262\",\"mnc\":\"01\",\"lac\":1234,\"cid\":56789}}",
	       &g);
	want(&g, LW_ID_CELL_ID, "mcc=262,mnc=1,lac=1234,cid=56789", LW_CONF_VALIDATED, "json:mcc",
	     NULL);
	scan_s(d, NULL, "{\"tac\":30001,\"eci\":26881537,\"pci\":401}", &g);
	want(&g, LW_ID_CELL_ID, "tac=30001,eci=26881537,pci=401", LW_CONF_VALIDATED, NULL, NULL);
	lw_detect_free(d);
}

static void test_pattern(void)
{
	struct lw_detect_config cfg = {.learn = false};
	struct lw_detect *d = lw_detect_new(&cfg);
	struct got g;

	/* IMEI-like under an IMEI key but the Luhn digit is wrong */
	scan_s(d, NULL, "{\"device_id\":\"358240051111111\"}", &g);
	want(&g, LW_ID_IMEI, "358240051111111", LW_CONF_PATTERN, "json:device_id", NULL);
	LW_CHECK_INT(g.n, 1);
	/* a bare Luhn-valid 15-digit number with a plausible TAC: only a hint */
	scan_s(d, NULL, "GET /device/869012034567813/ping HTTP", &g);
	want(&g, LW_ID_IMEI, "869012034567813", LW_CONF_PATTERN, "plain", NULL);
	/* an IMSI under its key with an MCC nobody has */
	scan_s(d, NULL, "imsi=999990123456789", &g);
	want(&g, LW_ID_IMSI, "999990123456789", LW_CONF_PATTERN, "form:imsi", NULL);
	/* a cell named alone */
	scan_s(d, NULL, "{\"SIM1CELLID\":\"123456789\"}", &g);
	want(&g, LW_ID_CELL_ID, "cid=123456789", LW_CONF_PATTERN, "json:SIM1CELLID", NULL);
	/* an ICCID key over a number that is not one */
	scan_s(d, NULL, "iccid=7986031847200398765", &g);
	want(&g, LW_ID_ICCID, "7986031847200398765", LW_CONF_PATTERN, NULL, NULL);
	lw_detect_free(d);
}

static void test_negatives(void)
{
	static const char *const neg[] = {
		"ts=1589212345678&t=1589212345&order_id=358240051111110&id=490154203237518",
		"{\"id\":490154203237518,\"count\":5,\"ts\":1589212345678,\"amount\":12.50}",
		"trace_id=4bf92f3577b34da6a3ce929d0e0e4736&span=00f067aa0ba902b7&hash="
		"d41d8cd98f00b204e9800998ecf8427e",
		"request_id=6d92078a-8246-4ba4-ae5b-76104861e7dc&install_id="
		"38400000-8cf0-11bd-b23e-10b96e40000d",
		"{\"session\":\"9774d56d682e549c\",\"nonce\":\"358240051111110\"}",
		"v=1.2.3.4&build=20190301&price=1234567.8901",
		"lat=52.52&lon=13.40", /* a city */
		"lat=52.520008", /* half a pair */
		"x=358240051111111", /* Luhn fails, no key */
		"gw 00:1a:2b:3c:4d:5e up", /* someone's MAC, no key, not the client */
		"User-Agent: Dalvik/2.1.0 (Linux; U; Android 9; TA-1062 Build/PPR1.180610.011)",
		"cid=1234567890.1234567890&sid=12&tid=UA-12345-1", /* analytics, not a cell */
		"{\"sid\":\"12\",\"cid\":\"34\"}",
		"<img src=\"icon@2x.png\"> mailto-less a@b",
		"phone_model=TA-1062&phone=1589212345678",
		"{\"imei\":\"000000000000000\",\"android_id\":\"0000000000000000\"}",
		"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1c2VyLTQyIiwiaWF0IjoxNTE2MjM5MDIyfQ.c2lnbmF0dXJl",
		"data=q83vASNFZ4mrze8BI0VniavN7wEjRWeJq83vASNFZ4k=",
		"tel=12345",
	};
	struct lw_detect_config cfg = {.learn = false};
	struct lw_detect *d = lw_detect_new(&cfg);
	struct got g;
	size_t i;

	for (i = 0; i < LW_ARRAY_SIZE(neg); i++) {
		scan_s(d, NULL, neg[i], &g);
		if (g.n) {
			fprintf(stderr, "  negative %zu gave:\n", i);
			dump(&g);
		}
		LW_CHECK_INT(g.n, 0);
	}
	lw_detect_free(d);
}

static void test_opted_out_placeholder(void)
{
	struct lw_detect *d = lw_detect_new(NULL);
	const struct lw_leak *l;
	struct got g;

	scan_s(d, &nokia,
	       "gaid=00000000-0000-0000-0000-000000000000&mac=02:00:00:00:00:00&wifi=020000000000",
	       &g);
	LW_CHECK_INT(g.n, 2);
	l = find(&g, LW_ID_AD_ID, "00000000-0000-0000-0000-000000000000");
	LW_CHECK(l && l->opted_out && !l->placeholder);
	l = find(&g, LW_ID_MAC, "02:00:00:00:00:00");
	LW_CHECK(l && l->placeholder && !l->opted_out);
	/* neither is learned */
	scan_s(d, &nokia, "x=00000000000000000000000000000000", &g);
	LW_CHECK_INT(g.n, 0);
	lw_detect_free(d);
}

static void test_dedup_snippet(void)
{
	static const char snip[] = "\x01\x02\x03\x04 imei:490154203237518\r\n\xff\xfe";
	struct lw_detect_config cfg = {.learn = false};
	struct lw_detect *d = lw_detect_new(&cfg);
	const struct lw_leak *l;
	char many[4096];
	size_t o = 0;
	struct got g;
	int i;

	/* seen three times: once, at its strongest, where it was first that strong */
	scan_s(d, NULL, "x=358240051111110&imei=358240051111110&imei2=358240051111110", &g);
	LW_CHECK_INT(g.n, 1);
	want(&g, LW_ID_IMEI, "358240051111110", LW_CONF_VALIDATED, "form:imei", NULL);
	l = find(&g, LW_ID_IMEI, NULL);
	LW_CHECK(l && strstr(l->snippet, "&imei=***************&imei2=") != NULL);
	/* a known value beats the validated sighting */
	LW_CHECK_INT(lw_detect_add_known(d, NULL, LW_ID_IMEI, "358240051111110", "user"), 0);
	scan_s(d, NULL, "imei=358240051111110", &g);
	want(&g, LW_ID_IMEI, "358240051111110", LW_CONF_KNOWN, "form:imei", NULL);
	LW_CHECK_INT(g.n, 1);
	/* snippets: printable only, identifier masked, about 20 bytes each side */
	scan(d, NULL, "tcp.payload", NULL, snip, sizeof(snip) - 1, &g);
	l = find(&g, LW_ID_IMEI, "490154203237518");
	LW_CHECK(l != NULL);
	if (l)
		LW_CHECK_STR(l->snippet, ".... imei:***************....");
	/* more distinct identifiers than a scan keeps: the rest are counted */
	for (i = 0; i < 70; i++)
		o += (size_t)snprintf(many + o, sizeof(many) - o, "u%d@example.com ", i);
	LW_CHECK_INT(scan_s(d, NULL, many, &g), 64);
	LW_CHECK_INT(lw_detect_get_stats(d)->leaks_dropped, 6);
	lw_detect_free(d);
}

static void test_learning(void)
{
	static const struct lw_mac m = {{0x3c, 0x28, 0x6d, 0x11, 0x22, 0x33}};
	unsigned char md[EVP_MAX_MD_SIZE];
	char text[200];
	unsigned mdlen, i, o;
	struct lw_detect *d = lw_detect_new(NULL);
	struct lw_detect_config off = {.learn = false};
	struct lw_detect *nd = lw_detect_new(&off);
	struct got g;

	EVP_Digest("490154203237518", 15, md, &mdlen, EVP_sha1(), NULL);
	o = (unsigned)sprintf(text, "{\"h\":\"");
	for (i = 0; i < mdlen; i++)
		o += (unsigned)sprintf(text + o, "%02x", md[i]);
	sprintf(text + o, "\"}");

	LW_CHECK_INT(scan_s(d, &m, text, &g), 0);
	scan_s(d, &m, "imei=490154203237518", &g);
	want(&g, LW_ID_IMEI, "490154203237518", LW_CONF_VALIDATED, NULL, NULL);
	/* learned: its hash is now found, as a known value */
	scan_s(d, &m, text, &g);
	want(&g, LW_ID_IMEI, "490154203237518", LW_CONF_KNOWN, "json:h>sha1-hex", NULL);
	/* pattern findings are not learned */
	scan_s(d, &m, "x=869012034567813", &g);
	want(&g, LW_ID_IMEI, "869012034567813", LW_CONF_PATTERN, NULL, NULL);
	scan_s(d, &m, "y=869012034567813", &g);
	want(&g, LW_ID_IMEI, "869012034567813", LW_CONF_PATTERN, NULL, NULL);
	/* with learning off nothing is added */
	scan_s(nd, &m, "imei=490154203237518", &g);
	LW_CHECK_INT(scan_s(nd, &m, text, &g), 0);
	/* learned values go with a config reload of other sources */
	lw_detect_clear_source(d, "config");
	scan_s(d, &m, text, &g);
	LW_CHECK_INT(g.n, 1);
	lw_detect_clear_source(d, "learned");
	LW_CHECK_INT(scan_s(d, &m, text, &g), 0);
	lw_detect_free(d);
	lw_detect_free(nd);
}

/* The Luhn check digit that completes 14 digits into an IMEI. */
static char luhn_digit(const char *d14)
{
	unsigned sum = 0, i, v;

	for (i = 0; i < 14; i++) {
		v = (unsigned)(d14[i] - '0');
		if (i % 2) {
			v *= 2;
			if (v > 9)
				v -= 9;
		}
		sum += v;
	}
	return (char)('0' + (10 - sum % 10) % 10);
}

/*
 * One device leaking 5 000 valid IMEIs (66 requests of 62 fill a shared 4 096-value table)
 * neither pushes out what another device's traffic taught the engine nor keeps a device that
 * leaks later from being learned: both IMEIs, hashed, are found as known afterwards; the
 * flooder keeps its newest values.
 */
static void test_learning_fair(void)
{
	static const struct lw_mac victim = {{0x3c, 0x28, 0x6d, 0x00, 0x00, 0x02}};
	static const struct lw_mac flood = {{0x02, 0x10, 0x00, 0x00, 0x00, 0x01}};
	static const struct lw_mac late = {{0x3c, 0x28, 0x6d, 0x00, 0x00, 0x03}};
	unsigned char md[EVP_MAX_MD_SIZE];
	char text[200], imei[32];
	unsigned mdlen, i, o;
	struct lw_detect *d = lw_detect_new(NULL);
	struct got g;

	EVP_Digest("490154203237518", 15, md, &mdlen, EVP_sha256(), NULL);
	o = (unsigned)sprintf(text, "{\"h\":\"");
	for (i = 0; i < mdlen; i++)
		o += (unsigned)sprintf(text + o, "%02x", md[i]);
	sprintf(text + o, "\"}");
	scan_s(d, &victim, "imei=490154203237518", &g);
	want(&g, LW_ID_IMEI, "490154203237518", LW_CONF_VALIDATED, NULL, NULL);
	for (i = 0; i < 5000; i++) {
		char q[64];

		snprintf(imei, sizeof(imei), "35%012u", 100000000 + i);
		imei[14] = luhn_digit(imei);
		imei[15] = '\0';
		snprintf(q, sizeof(q), "imei=%s", imei);
		scan_s(d, &flood, q, &g);
	}
	scan_s(d, &victim, text, &g);
	want(&g, LW_ID_IMEI, "490154203237518", LW_CONF_KNOWN, "json:h>sha256-hex", NULL);
	/* a device that first leaks after the flood still has its value learned */
	scan_s(d, &late, "imei=490154203237518", &g);
	scan_s(d, &late, text, &g);
	want(&g, LW_ID_IMEI, "490154203237518", LW_CONF_KNOWN, "json:h>sha256-hex", NULL);
	LW_CHECK(lw_detect_get_stats(d)->learned_evicted >= 5000 - 64);
	LW_CHECK_INT(lw_detect_get_stats(d)->known_full, 0);
	/* the flooder's newest value is known, its oldest was pushed out */
	scan_s(d, &flood, imei, &g);
	want(&g, LW_ID_IMEI, imei, LW_CONF_KNOWN, NULL, NULL);
	lw_detect_free(d);
}

static void test_stats_and_args(void)
{
	struct lw_detect *d = lw_detect_new(NULL);
	struct lw_detect_ctx ctx = {.location = "udp.payload"};
	struct lw_http_request r;
	const struct lw_detect_stats *st = lw_detect_get_stats(d);

	LW_CHECK_INT(lw_detect_scan(d, &ctx, (const uint8_t *)"hello", 5, NULL, NULL), 0);
	LW_CHECK_INT(lw_detect_scan(d, &ctx, NULL, 0, NULL, NULL), 0);
	LW_CHECK_INT(lw_detect_scan(d, NULL, (const uint8_t *)"x", 1, NULL, NULL), -EINVAL);
	LW_CHECK_INT(lw_detect_scan(d, &ctx, NULL, 3, NULL, NULL), -EINVAL);
	memset(&r, 0, sizeof(r));
	LW_CHECK_INT(lw_detect_http(d, NULL, &r, NULL, 0, NULL, NULL), 0);
	LW_CHECK_INT(lw_detect_http(d, NULL, NULL, NULL, 0, NULL, NULL), -EINVAL);
	LW_CHECK_INT(st->scans, 3);
	LW_CHECK_INT(st->bytes_scanned, 5);
	LW_CHECK_INT(lw_detect_add_known(d, NULL, LW_ID__COUNT, "x", "config"), -EINVAL);
	lw_detect_free(d);
	lw_detect_free(NULL);
}

/*
 * Addresses that have the shape of an e-mail but are something else (found in the shared
 * corpus): SIP URIs (sip.pcap, a T.38 fax call), and 3GPP network access identifiers in
 * RADIUS, whose permanent form carries the IMSI.
 */
static void test_not_email(void)
{
	static const char sip[] = "REGISTER sip:sip.example.net SIP/2.0\r\nFrom: "
				  "<sip:voi18063@sip.example.net>;tag=9\r\n"
				  "To: <SIP:+4930123456@ims.example.net;user=phone>\r\nContact: "
				  "<sips:bob@example.org>\r\n";
	static const char radius[] =
		"\x01\x34User-Name 0311480073638072@wlan.mnc480.mcc311.3gppnetwork.org\x1f";
	struct lw_detect_config cfg = {.learn = false};
	struct lw_detect *d = lw_detect_new(&cfg);
	struct got g;

	scan(d, NULL, "udp.payload", NULL, sip, sizeof(sip) - 1, &g);
	/* no e-mail; the number marked user=phone is a phone number (lib/detect/ims.c) */
	want(&g, LW_ID_PHONE, "+4930123456", LW_CONF_VALIDATED, "plain", NULL);
	LW_CHECK_INT(g.n, 1);
	/* "sip:" must be the scheme, not the end of a word */
	scan_s(d, NULL, "Reply-To: jane.doe@example.org, gossip:x.y@example.org", &g);
	want(&g, LW_ID_EMAIL, "jane.doe@example.org", LW_CONF_VALIDATED, "plain", NULL);
	want(&g, LW_ID_EMAIL, "x.y@example.org", LW_CONF_VALIDATED, "plain", NULL);
	LW_CHECK_INT(g.n, 2);
	/* EAP-AKA permanent identity: the IMSI, not an e-mail */
	scan(d, NULL, "udp.payload", NULL, radius, sizeof(radius) - 1, &g);
	want(&g, LW_ID_IMSI, "311480073638072", LW_CONF_VALIDATED, "plain", "udp.payload");
	LW_CHECK_INT(g.n, 1);
	/* EAP-SIM (1), EAP-AKA' (6) with a 14-digit IMSI */
	scan_s(d, NULL, "1262017396054812@wlan.mnc001.mcc262.3GPPnetwork.org", &g);
	want(&g, LW_ID_IMSI, "262017396054812", LW_CONF_VALIDATED, NULL, NULL);
	LW_CHECK_INT(g.n, 1);
	scan_s(d, NULL, "u=626201739605481@wlan.mnc01.mcc262.3gppnetwork.org", &g);
	want(&g, LW_ID_IMSI, "26201739605481", LW_CONF_VALIDATED, NULL, NULL);
	LW_CHECK_INT(g.n, 1);
	/* RADIUS: the attribute's length byte before the name ('5' = 53), the next type after */
	scan_s(d, NULL,
	       "\x01"
	       "50311480073638072@wlan.mnc480.mcc311.3gppnetwork.org"
	       "O\x0e",
	       &g);
	want(&g, LW_ID_IMSI, "311480073638072", LW_CONF_VALIDATED, NULL, NULL);
	LW_CHECK_INT(g.n, 1);
	/* a pseudonym, an MCC nobody has: no identifier at all */
	LW_CHECK_INT(scan_s(d, NULL, "2rWq9dRm0sQx@wlan.mnc480.mcc311.3gppnetwork.org", &g), 0);
	LW_CHECK_INT(scan_s(d, NULL, "0999480073638072@wlan.mnc480.mcc999.3gppnetwork.org", &g), 0);
	lw_detect_free(d);
}

/* 16 digits under a generic device-id key: an IMEISV only maybe (syslog.pcap: a NetScreen). */
static void test_device_id_16(void)
{
	struct lw_detect_config cfg = {.learn = false};
	struct lw_detect *d = lw_detect_new(&cfg);
	struct got g;

	scan_s(d, NULL, "ssg: NetScreen device_id=0185082008001541  [Root]system-notification", &g);
	want(&g, LW_ID_IMEISV, "0185082008001541", LW_CONF_PATTERN, "plain", NULL);
	LW_CHECK_INT(g.n, 1);
	scan_s(d, NULL, "{\"deviceImei\":\"3582400511111101\",\"imei\":\"3582400511111102\"}", &g);
	want(&g, LW_ID_IMEISV, "3582400511111101", LW_CONF_VALIDATED, "json:deviceImei", NULL);
	want(&g, LW_ID_IMEISV, "3582400511111102", LW_CONF_VALIDATED, "json:imei", NULL);
	/* an IMEI under device_id is still one */
	scan_s(d, NULL, "device_id=490154203237518", &g);
	want(&g, LW_ID_IMEI, "490154203237518", LW_CONF_VALIDATED, "form:device_id", NULL);
	lw_detect_free(d);
}

/* What the identifiers table holds for a configured value: the form leaks report. */
static void test_canonical(void)
{
	char out[LW_DETECT_VALUE_MAX], small[8];

	LW_CHECK_INT(lw_detect_canonical(LW_ID_EMAIL, " Jane.Doe@Example.org", out, sizeof(out)),
		     0);
	LW_CHECK_STR(out, "jane.doe@example.org");
	LW_CHECK_INT(lw_detect_canonical(LW_ID_PHONE, "+44 7700 900123", out, sizeof(out)), 0);
	LW_CHECK_STR(out, "+447700900123");
	LW_CHECK_INT(lw_detect_canonical(LW_ID_IMEI, "35-299209-718304", out, sizeof(out)), 0);
	LW_CHECK_STR(out, "352992097183042");
	LW_CHECK_INT(lw_detect_canonical(LW_ID_MAC, "00-00-5E-00-53-20", out, sizeof(out)), 0);
	LW_CHECK_STR(out, "00:00:5e:00:53:20");
	LW_CHECK_INT(lw_detect_canonical(LW_ID_ANDROID_ID, "3F9A6C21D4E8B705", out, sizeof(out)),
		     0);
	LW_CHECK_STR(out, "3f9a6c21d4e8b705");
	LW_CHECK_INT(lw_detect_canonical(LW_ID_IMEI, "352992097183043", out, sizeof(out)), -EINVAL);
	LW_CHECK_INT(lw_detect_canonical(LW_ID_LOCATION, "52.5,13.4", out, sizeof(out)), -EINVAL);
	LW_CHECK_INT(lw_detect_canonical(LW_ID__COUNT, "x", out, sizeof(out)), -EINVAL);
	LW_CHECK_INT(lw_detect_canonical(LW_ID_EMAIL, NULL, out, sizeof(out)), -EINVAL);
	LW_CHECK_INT(lw_detect_canonical(LW_ID_EMAIL, "a.b@example.org", small, sizeof(small)),
		     -ENOSPC);
}

/*
 * The ZZHC body sent as curl --data sends it (Content-Type x-www-form-urlencoded): for JSON
 * lengths giving no padding, '=' and '==', the base64 is read whatever a form parser makes of
 * it; padded runs in other places of forms and queries too.
 */
static void test_form_typed_base64(void)
{
	static const struct hdr h[] = {
		{"Host", "zzhc.vnet.cn:9999"},
		{"Content-Type", "application/x-www-form-urlencoded"},
	};
	struct lw_detect_config cfg = {.learn = false};
	struct lw_detect *d = lw_detect_new(&cfg);
	char json[512], body[1024], mixed[1200], target[1200];
	int seen[3] = {0, 0, 0};
	struct got g;
	size_t pad, n, eqs;

	for (pad = 0; pad < 3; pad++) {
		/* zzhc_v2 with one more member whose length moves the padding */
		snprintf(json, sizeof(json), "%.*s,\"P\":\"%.*s\"}", (int)strlen(zzhc_v2) - 1,
			 zzhc_v2, (int)pad, "aa");
		n = b64(json, body);
		for (eqs = 0; eqs < n && body[n - 1 - eqs] == '='; eqs++)
			;
		seen[eqs] = 1;
		LW_CHECK_INT(http(d, NULL, "/", h, LW_ARRAY_SIZE(h), body, n, &g), 3);
		want(&g, LW_ID_IMEI, "869012034567813", LW_CONF_VALIDATED, "base64>json:MEID",
		     "http.body");
		want(&g, LW_ID_ICCID, "8986031847200398123", LW_CONF_VALIDATED,
		     "base64>json:SIM1ICCID", "http.body");
		want(&g, LW_ID_IMSI, "460110912345678", LW_CONF_VALIDATED,
		     "base64>json:SIM1LTEIMSI", "http.body");
		/* the same through lw_detect_scan with the form type */
		LW_CHECK_INT(scan(d, NULL, "http.body", "application/x-www-form-urlencoded", body,
				  n, &g),
			     3);
		/* a padded run between members of a real form */
		snprintf(mixed, sizeof(mixed), "v=2&%s&lang=en", body);
		LW_CHECK_INT(http(d, NULL, "/", h, LW_ARRAY_SIZE(h), mixed, strlen(mixed), &g), 3);
		want(&g, LW_ID_IMEI, "869012034567813", LW_CONF_VALIDATED, "base64>json:MEID",
		     "http.body");
		/* as a cookie with no name */
		{
			char cookie[1100];
			struct hdr ch[] = {{"Cookie", cookie}};

			snprintf(cookie, sizeof(cookie), "lang=en; %s", body);
			LW_CHECK_INT(http(d, NULL, "/", ch, 1, NULL, 0, &g), 3);
			want(&g, LW_ID_ICCID, "8986031847200398123", LW_CONF_VALIDATED,
			     "base64>json:SIM1ICCID", "http.header:Cookie");
		}
		/* and as a query of its own */
		snprintf(target, sizeof(target), "/reg?%s&v=2", body);
		LW_CHECK_INT(http(d, NULL, target, NULL, 0, NULL, 0, &g), 3);
		want(&g, LW_ID_IMSI, "460110912345678", LW_CONF_VALIDATED,
		     "base64>json:SIM1LTEIMSI", "http.query");
	}
	LW_CHECK(seen[0] && seen[1] && seen[2]);
	/* labelled a form, but text with '=' in it: read as text too */
	LW_CHECK_INT(scan(d, NULL, "http.body", "application/x-www-form-urlencoded",
			  "IMEI 869012034567813 sig=x", 26, &g),
		     1);
	want(&g, LW_ID_IMEI, "869012034567813", LW_CONF_VALIDATED, "plain", "http.body");
	lw_detect_free(d);
}

/* Compressed bodies with no Content-Encoding, known by their bytes; what is counted. */
static void test_sniffed_compression(void)
{
	static const char json[] = "{\"mac\":\"a4:50:46:12:34:56\",\"imei\":\"358240051111110\"}";
	struct hdr h[2] = {{"Content-Type", "application/octet-stream"}, {"X-App", "example"}};
	static const struct {
		int wbits;
		const char *chain;
	} c[] = {{15, "zlib>json:imei"}, {31, "gzip>json:imei"}, {-15, "deflate>json:imei"}};
	struct lw_detect_config cfg = {.learn = false};
	struct lw_detect *d = lw_detect_new(&cfg);
	const struct lw_detect_stats *st = lw_detect_get_stats(d);
	uint8_t comp[256];
	size_t i, n;
	struct got g;

	for (i = 0; i < LW_ARRAY_SIZE(c); i++) {
		n = zcompress(json, sizeof(json) - 1, comp, sizeof(comp), c[i].wbits);
		LW_CHECK_INT(http(d, &nokia, "/", h, 2, comp, n, &g), 2);
		want(&g, LW_ID_IMEI, "358240051111110", LW_CONF_VALIDATED, c[i].chain, "http.body");
		want(&g, LW_ID_MAC, "a4:50:46:12:34:56", LW_CONF_KNOWN, NULL, "http.body");
		if (c[i].wbits == -15)
			continue; /* raw deflate only in whole HTTP bodies */
		LW_CHECK_INT(scan(d, &nokia, "udp.payload", NULL, comp, n, &g), 2);
		want(&g, LW_ID_IMEI, "358240051111110", LW_CONF_VALIDATED, c[i].chain,
		     "udp.payload");
	}
	LW_CHECK_INT(st->body_undecoded, 0);
	/* claimed but not so: counted, the raw bytes read */
	h[1] = (struct hdr){"Content-Encoding", "gzip"};
	LW_CHECK_INT(http(d, NULL, "/", h, 2, json, sizeof(json) - 1, &g), 2);
	LW_CHECK_INT(st->body_undecoded, 1);
	h[1].value = "zstd";
	http(d, NULL, "/", h, 2, json, sizeof(json) - 1, &g);
	LW_CHECK_INT(st->body_undecoded, 2);
	h[1].value = "gzip, deflate, br";
	http(d, NULL, "/", h, 2, json, sizeof(json) - 1, &g);
	LW_CHECK_INT(st->body_undecoded, 3);
	/* a gzip header over garbage, with nothing declared */
	h[1] = (struct hdr){"X-App", "example"};
	n = zcompress(json, sizeof(json) - 1, comp, sizeof(comp), 31);
	memset(comp + 10, 0xff, n - 10);
	http(d, NULL, "/", h, 2, comp, n, &g);
	LW_CHECK_INT(st->body_undecoded, 4);
	/* plain text, and a zlib-looking text start ("x^"): read as text, not counted */
	LW_CHECK_INT(http(d, NULL, "/", h, 2, json, sizeof(json) - 1, &g), 2);
	LW_CHECK_INT(http(d, NULL, "/", h, 2, "x^ imei=358240051111110", 23, &g), 1);
	want(&g, LW_ID_IMEI, "358240051111110", LW_CONF_VALIDATED, "plain", "http.body");
	/* a declared coding that worked is not sniffed again, nor counted */
	h[1] = (struct hdr){"Content-Encoding", "deflate"};
	n = zcompress(json, sizeof(json) - 1, comp, sizeof(comp), 15);
	http(d, NULL, "/", h, 2, comp, n, &g);
	want(&g, LW_ID_IMEI, "358240051111110", LW_CONF_VALIDATED, "deflate>json:imei", NULL);
	LW_CHECK_INT(st->body_undecoded, 4);
	lw_detect_free(d);
}

/* Identifiers under SDKs' own key names (sdkkeys.c), and their near misses. */
static void test_sdk_keys(void)
{
	struct lw_detect_config cfg = {.learn = false};
	struct lw_detect *d = lw_detect_new(&cfg);
	struct got g;

	/* Pushwoosh registerDevice */
	scan_s(d, NULL,
	       "{\"request\":{\"application\":\"12345-67890\",\"push_token\":\"abc\","
	       "\"hwid\":\"5a3f9c1e7b2d4f60\",\"device_type\":3}}",
	       &g);
	LW_CHECK_INT(g.n, 1);
	want(&g, LW_ID_ANDROID_ID, "5a3f9c1e7b2d4f60", LW_CONF_VALIDATED, "json:hwid", "http.body");
	/* Branch */
	scan_s(d, NULL, "{\"hardware_id\":\"b783b1e888364c88\",\"is_hardware_id_real\":true}", &g);
	want(&g, LW_ID_ANDROID_ID, "b783b1e888364c88", LW_CONF_VALIDATED, "json:hardware_id", NULL);
	/* advertising ids */
	scan_s(d, NULL,
	       "rdid=38400000-8cf0-11bd-b23e-10b96e40000d&idtype=adid&amazon_aid="
	       "df07c7dc-cea7-4a89-b328-810ff5acb15d",
	       &g);
	want(&g, LW_ID_AD_ID, "38400000-8cf0-11bd-b23e-10b96e40000d", LW_CONF_VALIDATED,
	     "form:rdid", NULL);
	want(&g, LW_ID_AD_ID, "df07c7dc-cea7-4a89-b328-810ff5acb15d", LW_CONF_VALIDATED,
	     "form:amazon_aid", NULL);
	/* an iOS hwid (the IDFV) is no advertising id; hex under near names is nothing */
	scan_s(d, NULL,
	       "{\"hwid\":\"E621E1F8-C36C-495A-93FC-0C247A3E6E5F\",\"hwidth\":\"5a3f9c1e7b2d4f60\","
	       "\"hw_ver\":\"5a3f9c1e7b2d4f61\"}",
	       &g);
	LW_CHECK_INT(g.n, 0);
	lw_detect_free(d);
}

int main(void)
{
	LW_TEST(test_zzhc_v2);
	LW_TEST(test_zzhc_v5);
	LW_TEST(test_zzhc_truncated);
	LW_TEST(test_http_parts);
	LW_TEST(test_content_encoding);
	LW_TEST(test_depth);
	LW_TEST(test_validated_kinds);
	LW_TEST(test_pattern);
	LW_TEST(test_negatives);
	LW_TEST(test_opted_out_placeholder);
	LW_TEST(test_dedup_snippet);
	LW_TEST(test_learning);
	LW_TEST(test_learning_fair);
	LW_TEST(test_stats_and_args);
	LW_TEST(test_canonical);
	LW_TEST(test_not_email);
	LW_TEST(test_device_id_16);
	LW_TEST(test_form_typed_base64);
	LW_TEST(test_sniffed_compression);
	LW_TEST(test_sdk_keys);
	return lw_test_end();
}
