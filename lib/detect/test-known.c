/* SPDX-License-Identifier: MIT */
/*
 * Known values: every precomputed form of every enrolled value, embedded in a query string,
 * a JSON body, a form body and a header, is found with the right kind, value and chain; the
 * client's own MAC; one pass finds all forms; bounds (cache of client MACs, max values).
 */
#include <errno.h>

#include <openssl/evp.h>

#include "detect/detect-int.h"
#include "lw-test.h"
#include "proto/http.h"

static const struct {
	enum lw_id_kind kind;
	const char *value; /* canonical */
} enrolled[] = {
	{LW_ID_IMEI, "358240051111110"},
	{LW_ID_IMEISV, "3582400511111101"},
	{LW_ID_MEID, "A1000012345678"},
	{LW_ID_ICCID, "89860318472003987657"},
	{LW_ID_IMSI, "460110912345678"},
	{LW_ID_MAC, "3c:28:6d:aa:bb:0c"},
	{LW_ID_ANDROID_ID, "9774d56d682e549c"},
	{LW_ID_AD_ID, "6d92078a-8246-4ba4-ae5b-76104861e7dc"},
	{LW_ID_SERIAL, "R58M12ABCDE"},
	{LW_ID_PHONE, "+4915123456789"},
	{LW_ID_EMAIL, "john.doe@example.com"},
	{LW_ID_CUSTOM, "leakwatch-canary-7f3a"},
};

struct found {
	enum lw_id_kind kind;
	const char *value;
	bool seen;
	enum lw_confidence conf;
	char encoding[128], location[128], snippet[256];
	int leaks;
};

static void on_leak(const struct lw_leak *l, void *user)
{
	struct found *f = user;

	f->leaks++;
	if (l->kind == f->kind && strcmp(l->value, f->value) == 0 && !f->seen) {
		f->seen = true;
		f->conf = l->confidence;
		snprintf(f->encoding, sizeof(f->encoding), "%s", l->encoding);
		snprintf(f->location, sizeof(f->location), "%s", l->location);
		snprintf(f->snippet, sizeof(f->snippet), "%s", l->snippet);
	}
}

static size_t pct_encode(const char *s, size_t n, char *out)
{
	size_t i, o = 0;

	for (i = 0; i < n; i++) {
		uint8_t c = (uint8_t)s[i];

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '.' || c == '_')
			out[o++] = (char)c;
		else
			o += (size_t)sprintf(out + o, "%%%02X", c);
	}
	out[o] = '\0';
	return o;
}

static void req_init(struct lw_http_request *r, const char *target)
{
	memset(r, 0, sizeof(*r));
	r->method = (struct lw_str){"POST", 4};
	r->target = (struct lw_str){target, strlen(target)};
	r->version_minor = 1;
	r->content_length = -1;
	r->headers[0].name = (struct lw_str){"Host", 4};
	r->headers[0].value = (struct lw_str){"collector.example", 17};
	r->n_headers = 1;
}

/* Scans a request whose parts all sit in guarded memory (each part ends at a PROT_NONE page). */
static void scan_req(struct lw_detect *d, const struct lw_mac *client, const char *target,
		     const char *hname, const char *hval, const char *ctype, const char *body,
		     struct found *f)
{
	struct lw_test_guard_buf gt, gh, gb;
	struct lw_http_request r;
	const char *t = lw_test_guard(target, strlen(target), &gt);
	const char *h = hval ? lw_test_guard(hval, strlen(hval), &gh) : NULL;
	const uint8_t *b = body ? lw_test_guard(body, strlen(body), &gb) : NULL;

	req_init(&r, "/");
	r.target = (struct lw_str){t, strlen(target)};
	if (h) {
		r.headers[1].name = (struct lw_str){hname, strlen(hname)};
		r.headers[1].value = (struct lw_str){h, strlen(hval)};
		r.n_headers = 2;
	}
	if (ctype)
		r.content_type = (struct lw_str){ctype, strlen(ctype)};
	f->seen = false;
	f->leaks = 0;
	LW_CHECK(lw_detect_http(d, client, &r, b, body ? strlen(body) : 0, on_leak, f) >= 0);
	lw_test_unguard(&gt);
	if (h)
		lw_test_unguard(&gh);
	if (b)
		lw_test_unguard(&gb);
}

struct form_check {
	struct lw_detect *d;
	enum lw_id_kind kind;
	const char *value;
	int forms, checked, failed;
};

static void expect(struct form_check *fc, struct found *f, const char *want_enc,
		   const char *want_loc, const char *form, const char *wrapper)
{
	bool ok = f->seen && f->conf == LW_CONF_KNOWN && strcmp(f->encoding, want_enc) == 0 &&
		  strcmp(f->location, want_loc) == 0;

	fc->checked++;
	LW_CHECK(ok);
	if (!ok && fc->failed++ < 10)
		fprintf(stderr,
			"  %s %s in %s: seen=%d conf=%d enc=%s (want %s) loc=%s (want %s)\n",
			lw_id_kind_str(fc->kind), form, wrapper, f->seen, f->conf, f->encoding,
			want_enc, f->location, want_loc);
}

static void check_form_text(struct form_check *fc, const char *text, size_t len,
			    enum lw_known_chain chain)
{
	const char *cs = lw_known_chain_str(chain);
	char enc[LW_DETECT_VALUE_MAX * 3 + 1], buf[LW_DETECT_VALUE_MAX * 3 + 64];
	char want[160], form[LW_DETECT_VALUE_MAX + 1];
	struct found f = {fc->kind, fc->value, false, 0, "", "", "", 0};
	bool plain = chain == LW_KC_PLAIN;

	snprintf(form, sizeof(form), "%.*s", (int)len, text);
	pct_encode(text, len, enc);

	/* a query parameter: its key is in the location, its value is URL-decoded already */
	snprintf(buf, sizeof(buf), "/api/v1/collect?x=%s&y=1", enc);
	scan_req(fc->d, NULL, buf, NULL, NULL, NULL, NULL, &f);
	expect(fc, &f, plain ? "plain" : cs, "http.query:x", form, "query");

	/* a JSON body (forms are printable ASCII without quotes or backslashes) */
	snprintf(buf, sizeof(buf), "{\"app\":\"demo\",\"v\":\"%s\",\"n\":3}", form);
	scan_req(fc->d, NULL, "/up", NULL, NULL, "application/json", buf, &f);
	snprintf(want, sizeof(want), "json:v%s%s", plain ? "" : ">", plain ? "" : cs);
	expect(fc, &f, want, "http.body", form, "json");

	/* a form body */
	snprintf(buf, sizeof(buf), "a=1&v=%s&z=2", enc);
	scan_req(fc->d, NULL, "/up", NULL, NULL, "application/x-www-form-urlencoded", buf, &f);
	snprintf(want, sizeof(want), "form:v%s%s", plain ? "" : ">", plain ? "" : cs);
	expect(fc, &f, want, "http.body", form, "form");

	/* a header */
	scan_req(fc->d, NULL, "/", "X-Data", form, NULL, NULL, &f);
	expect(fc, &f, plain ? "plain" : cs, "http.header:X-Data", form, "header");
}

static void check_form(const char *text, size_t len, enum lw_known_chain chain, void *user)
{
	struct form_check *fc = user;
	char up[LW_DETECT_VALUE_MAX * 3];
	size_t i;

	fc->forms++;
	check_form_text(fc, text, len, chain);
	/* hex digests and hex encodings are matched in either case */
	if (chain == LW_KC_HEX || chain == LW_KC_MD5_HEX || chain == LW_KC_SHA1_HEX ||
	    chain == LW_KC_SHA256_HEX || chain == LW_KC_SHA512_HEX) {
		for (i = 0; i < len && i < sizeof(up); i++)
			up[i] = (char)(text[i] >= 'a' && text[i] <= 'f' ? text[i] - 32 : text[i]);
		check_form_text(fc, up, len, chain);
	}
}

static void test_every_form_everywhere(void)
{
	struct lw_detect *d = lw_detect_new(NULL);
	struct lw_known *k = lw_known_new(64);
	static const struct lw_mac dev = {{0x3c, 0x28, 0x6d, 0xaa, 0xbb, 0x0c}};
	size_t i;
	int total = 0;

	LW_CHECK(d && k);
	for (i = 0; i < LW_ARRAY_SIZE(enrolled); i++) {
		struct form_check fc = {d, enrolled[i].kind, enrolled[i].value, 0, 0, 0};
		int vi;

		LW_CHECK_INT(
			lw_detect_add_known(d, &dev, enrolled[i].kind, enrolled[i].value, "config"),
			0);
		LW_CHECK_INT(lw_known_add(k, &dev, enrolled[i].kind, enrolled[i].value, "config"),
			     0);
		vi = lw_known_find(k, &dev, enrolled[i].kind, enrolled[i].value);
		LW_CHECK(vi >= 0);
		lw_known_forms(k, (uint32_t)vi, check_form, &fc);
		LW_CHECK(fc.forms >= 10);
		total += fc.checked;
		fprintf(stderr, "  %-10s %3d forms, %4d placements, %d missed\n",
			lw_id_kind_str(enrolled[i].kind), fc.forms, fc.checked, fc.failed);
	}
	fprintf(stderr, "  %d placements checked\n", total);
	lw_known_free(k);
	lw_detect_free(d);
}

/* The forms a reader would expect exist, spelled as they are in the wild. */
struct has_form {
	const char *want;
	enum lw_known_chain chain;
	bool found;
};

static void find_form(const char *text, size_t len, enum lw_known_chain chain, void *user)
{
	struct has_form *h = user;

	if (chain == h->chain && len == strlen(h->want) && strncasecmp(text, h->want, len) == 0)
		h->found = true;
}

static void test_expected_forms(void)
{
	static const struct {
		enum lw_id_kind kind;
		const char *value, *form;
		enum lw_known_chain chain;
	} c[] = {
		{LW_ID_MAC, "a4:50:46:12:34:56", "a4:50:46:12:34:56", LW_KC_PLAIN},
		{LW_ID_MAC, "a4:50:46:12:34:56", "A4-50-46-12-34-56", LW_KC_PLAIN},
		{LW_ID_MAC, "a4:50:46:12:34:56", "a450.4612.3456", LW_KC_PLAIN},
		{LW_ID_MAC, "a4:50:46:12:34:56", "A45046123456", LW_KC_PLAIN},
		{LW_ID_MAC, "a4:50:46:12:34:56", "a4%3A50%3A46%3A12%3A34%3A56", LW_KC_URL},
		{LW_ID_IMEI, "358240051111110", "35824005111111", LW_KC_PLAIN},
		{LW_ID_IMEI, "358240051111110", "35-824005-111111-0", LW_KC_PLAIN},
		{LW_ID_IMEI, "358240051111110", "MzU4MjQwMDUxMTExMTEw", LW_KC_BASE64},
		{LW_ID_ICCID, "89860318472003987657", "8986031847200398765", LW_KC_PLAIN},
		{LW_ID_PHONE, "+4915123456789", "004915123456789", LW_KC_PLAIN},
		{LW_ID_PHONE, "+4915123456789", "015123456789", LW_KC_PLAIN},
		{LW_ID_PHONE, "+4915123456789", "%2B4915123456789", LW_KC_URL},
		{LW_ID_EMAIL, "john.doe@example.com", "john.doe%40example.com", LW_KC_URL},
		{LW_ID_AD_ID, "6d92078a-8246-4ba4-ae5b-76104861e7dc",
		 "6d92078a82464ba4ae5b76104861e7dc", LW_KC_PLAIN},
	};
	unsigned char md[EVP_MAX_MD_SIZE];
	char hex[2 * EVP_MAX_MD_SIZE + 1], b64[4 * EVP_MAX_MD_SIZE];
	struct lw_known *k = lw_known_new(64);
	struct has_form h;
	unsigned mdlen, j;
	size_t i;
	int vi;

	for (i = 0; i < LW_ARRAY_SIZE(c); i++) {
		lw_known_add(k, NULL, c[i].kind, c[i].value, "config");
		vi = lw_known_find(k, NULL, c[i].kind, c[i].value);
		LW_CHECK(vi >= 0);
		h = (struct has_form){c[i].form, c[i].chain, false};
		lw_known_forms(k, (uint32_t)vi, find_form, &h);
		if (!h.found)
			fprintf(stderr, "  no form %s of %s\n", c[i].form, c[i].value);
		LW_CHECK(h.found);
	}
	/* hashes computed here independently: SHA-1 of the upper-case dashed MAC, MD5 of IMEI 14 */
	vi = lw_known_find(k, NULL, LW_ID_MAC, "a4:50:46:12:34:56");
	EVP_Digest("A4-50-46-12-34-56", 17, md, &mdlen, EVP_sha1(), NULL);
	for (j = 0; j < mdlen; j++)
		sprintf(hex + 2 * j, "%02x", md[j]);
	h = (struct has_form){hex, LW_KC_SHA1_HEX, false};
	lw_known_forms(k, (uint32_t)vi, find_form, &h);
	LW_CHECK(h.found);
	vi = lw_known_find(k, NULL, LW_ID_IMEI, "358240051111110");
	EVP_Digest("35824005111111", 14, md, &mdlen, EVP_md5(), NULL);
	EVP_EncodeBlock((unsigned char *)b64, md, (int)mdlen);
	b64[21] = '\0'; /* the characters a following byte cannot change */
	h = (struct has_form){b64, LW_KC_MD5_B64, false};
	lw_known_forms(k, (uint32_t)vi, find_form, &h);
	LW_CHECK(h.found);
	lw_known_free(k);
}

struct hitlog {
	uint32_t seen[4096];
	size_t n;
};

static bool log_hit(const struct lw_known_hit *h, void *user)
{
	struct hitlog *l = user;

	if (l->n < LW_ARRAY_SIZE(l->seen))
		l->seen[l->n++] = (uint32_t)h->pos;
	return true;
}

struct concat {
	char *buf;
	size_t len, cap;
	uint32_t offs[4096];
	size_t n;
};

static void append_form(const char *text, size_t len, enum lw_known_chain chain, void *user)
{
	struct concat *c = user;

	(void)chain;
	if (c->len + len + 2 > c->cap || c->n >= LW_ARRAY_SIZE(c->offs))
		return;
	c->offs[c->n++] = (uint32_t)c->len;
	memcpy(c->buf + c->len, text, len);
	c->len += len;
	c->buf[c->len++] = ' ';
}

/* One pass of the matcher over all forms of all values side by side finds every one. */
static void test_one_pass(void)
{
	struct lw_known *k = lw_known_new(64);
	static struct concat c;
	static struct hitlog log;
	struct lw_test_guard_buf g;
	const uint8_t *p;
	size_t i, j, missing = 0;

	c.cap = 1 << 20;
	c.buf = malloc(c.cap);
	for (i = 0; i < LW_ARRAY_SIZE(enrolled); i++)
		LW_CHECK_INT(lw_known_add(k, NULL, enrolled[i].kind, enrolled[i].value, "config"),
			     0);
	for (i = 0; i < LW_ARRAY_SIZE(enrolled); i++)
		lw_known_forms(
			k, (uint32_t)lw_known_find(k, NULL, enrolled[i].kind, enrolled[i].value),
			append_form, &c);
	LW_CHECK(c.n > 300);
	LW_CHECK_INT(c.n, lw_known_nforms(k));
	p = lw_test_guard(c.buf, c.len, &g);
	lw_known_scan(k, p, c.len, log_hit, &log);
	for (i = 0; i < c.n; i++) {
		for (j = 0; j < log.n && log.seen[j] != c.offs[i]; j++)
			;
		missing += j == log.n;
	}
	LW_CHECK_INT(missing, 0);
	fprintf(stderr, "  %zu forms in %zu bytes, %zu hits in one pass, %zu missing\n", c.n, c.len,
		log.n, missing);
	lw_test_unguard(&g);
	free(c.buf);
	lw_known_free(k);
}

static int scan_text(struct lw_detect *d, const struct lw_mac *client, const char *text,
		     struct found *f)
{
	struct lw_detect_ctx ctx = {.client_mac = client, .location = "tcp.payload"};
	struct lw_test_guard_buf g;
	const uint8_t *p = lw_test_guard(text, strlen(text), &g);
	int r;

	f->seen = false;
	f->leaks = 0;
	r = lw_detect_scan(d, &ctx, p, strlen(text), on_leak, f);
	lw_test_unguard(&g);
	return r;
}

static void test_client_mac(void)
{
	static const struct lw_mac a = {{0xa4, 0x50, 0x46, 0x12, 0x34, 0x56}};
	static const struct lw_mac b = {{0x02, 0x11, 0x22, 0x33, 0x44, 0x55}};
	static const char *const spellings[] = {"id=a4:50:46:12:34:56", "id=A4-50-46-12-34-56",
						"id=a450.4612.3456", "x A45046123456 y",
						"m=a4%3a50%3a46%3a12%3a34%3a56"};
	struct lw_detect *d = lw_detect_new(NULL);
	struct found f = {LW_ID_MAC, "a4:50:46:12:34:56", false, 0, "", "", "", 0};
	size_t i;

	for (i = 0; i < LW_ARRAY_SIZE(spellings); i++) {
		scan_text(d, &a, spellings[i], &f);
		LW_CHECK(f.seen && f.conf == LW_CONF_KNOWN);
		/* the same text from another client, or with no link layer: not that client's MAC,
		 * and not under a MAC key either */
		scan_text(d, &b, spellings[i], &f);
		LW_CHECK(!f.seen);
		scan_text(d, NULL, spellings[i], &f);
		LW_CHECK(!f.seen);
	}
	/* a hash of the MAC */
	{
		unsigned char md[EVP_MAX_MD_SIZE];
		char text[160];
		unsigned mdlen, j, o = 0;

		EVP_Digest("A4:50:46:12:34:56", 17, md, &mdlen, EVP_md5(), NULL);
		o = (unsigned)sprintf(text, "h=");
		for (j = 0; j < mdlen; j++)
			o += (unsigned)sprintf(text + o, "%02X", md[j]);
		scan_text(d, &a, text, &f);
		LW_CHECK(f.seen && strcmp(f.encoding, "form:h>md5-hex") == 0);
		LW_CHECK(strstr(f.snippet, "h=********************************") != NULL);
	}
	lw_detect_free(d);
}

static void test_cross_device(void)
{
	static const struct lw_mac a = {{0x3c, 0x28, 0x6d, 0x00, 0x00, 0x01}};
	static const struct lw_mac b = {{0x3c, 0x28, 0x6d, 0x00, 0x00, 0x02}};
	struct lw_detect *d = lw_detect_new(NULL);
	struct found f = {LW_ID_SERIAL, "R58M12ABCDE", false, 0, "", "", "", 0};

	LW_CHECK_INT(lw_detect_add_known(d, &a, LW_ID_SERIAL, "R58M12ABCDE", "config"), 0);
	LW_CHECK_INT(lw_detect_add_known(d, &a, LW_ID_SERIAL, "R58M12ABCDE", "config"), 0);
	scan_text(d, &a, "serial=R58M12ABCDE", &f);
	LW_CHECK(f.seen && f.conf == LW_CONF_KNOWN);
	/* A's value leaving from B (a randomized MAC of the same phone, or an app that uploads
	 * it): reported for B, still known */
	scan_text(d, &b, "serial=R58M12ABCDE", &f);
	LW_CHECK(f.seen && f.conf == LW_CONF_KNOWN);
	scan_text(d, &b, "SERIAL: r58m12abcde", &f);
	LW_CHECK(f.seen && f.conf == LW_CONF_KNOWN);
	lw_detect_free(d);
}

static void test_bounds(void)
{
	struct lw_detect_config cfg = {.max_known_values = 3, .learn = true};
	struct lw_detect *d = lw_detect_new(&cfg);
	struct lw_known *k = lw_known_new(100000);
	struct found f = {LW_ID_MAC, "", false, 0, "", "", "", 0};
	struct lw_mac m;
	char canon[LW_MAC_STRLEN], text[64];
	size_t i, per_mac, cap_forms;

	LW_CHECK_INT(lw_detect_add_known(d, NULL, LW_ID_IMEI, "358240051111110", "config"), 0);
	LW_CHECK_INT(lw_detect_add_known(d, NULL, LW_ID_IMSI, "460110912345678", "config"), 0);
	LW_CHECK_INT(lw_detect_add_known(d, NULL, LW_ID_EMAIL, "a@example.com", "config"), 0);
	LW_CHECK_INT(lw_detect_add_known(d, NULL, LW_ID_SERIAL, "R58M12ABCDE", "config"), -ENOSPC);
	LW_CHECK_INT(lw_detect_get_stats(d)->known_full, 1);
	LW_CHECK_INT(lw_detect_add_known(d, NULL, LW_ID_IMEI, "358240051111111", "config"),
		     -EINVAL);
	/* a validated hit cannot be learned either */
	m = (struct lw_mac){{0x3c, 0, 0, 0, 0, 1}};
	scan_text(d, &m, "imei=490154203237518", &f);
	LW_CHECK_INT(lw_detect_get_stats(d)->known_full, 2);
	lw_detect_free(d);

	/* the cache of client MACs is bounded, least recently scanned first out */
	m = (struct lw_mac){{0x3c, 0, 0, 0, 0, 0}};
	LW_CHECK_INT(lw_known_client(k, &m), 0);
	per_mac = lw_known_nforms(k);
	LW_CHECK(per_mac > 50);
	for (i = 1; i < 3 * LW_KNOWN_MAX_CLIENT_MACS; i++) {
		m.b[4] = (uint8_t)(i >> 8);
		m.b[5] = (uint8_t)i;
		LW_CHECK_INT(lw_known_client(k, &m), 0);
	}
	/* MACs differ a little in how many of their base64 forms have a distinct url variant */
	cap_forms = lw_known_nforms(k);
	LW_CHECK(cap_forms <= per_mac * LW_KNOWN_MAX_CLIENT_MACS * 11 / 10);
	LW_CHECK(cap_forms >= per_mac * LW_KNOWN_MAX_CLIENT_MACS * 9 / 10);
	lw_known_free(k);

	/* and through the engine: after many clients the first one's MAC is still found */
	d = lw_detect_new(NULL);
	for (i = 0; i < 2 * LW_KNOWN_MAX_CLIENT_MACS + 7; i++) {
		m = (struct lw_mac){{0x3c, 0, 0, 0, (uint8_t)(i >> 8), (uint8_t)i}};
		snprintf(text, sizeof(text), "wifi=%s", lw_mac_str(&m, canon));
		f.value = canon;
		scan_text(d, &m, text, &f);
		LW_CHECK(f.seen && f.conf == LW_CONF_KNOWN);
	}
	m = (struct lw_mac){{0x3c, 0, 0, 0, 0, 0}};
	f.value = lw_mac_str(&m, canon);
	scan_text(d, &m, "x=3C0000000000", &f);
	LW_CHECK(f.seen && f.conf == LW_CONF_KNOWN);
	lw_detect_free(d);
}

static void test_clear_and_compact(void)
{
	struct lw_detect *d = lw_detect_new(NULL);
	struct found f = {LW_ID_CUSTOM, "", false, 0, "", "", "", 0};
	char v[64], text[96];
	int i, round;

	/* enough values that clearing them leaves the matcher rebuilt (compaction) */
	for (round = 0; round < 3; round++) {
		for (i = 0; i < 150; i++) {
			snprintf(v, sizeof(v), "canary-%d-%04d", round, i);
			LW_CHECK_INT(lw_detect_add_known(d, NULL, LW_ID_CUSTOM, v, "config"), 0);
		}
		LW_CHECK_INT(
			lw_detect_add_known(d, NULL, LW_ID_CUSTOM, "kept-learned-value", "learned"),
			round ? 0 : 0);
		snprintf(v, sizeof(v), "canary-%d-0149", round);
		f.value = v;
		snprintf(text, sizeof(text), "q=%s", v);
		scan_text(d, NULL, text, &f);
		LW_CHECK(f.seen && f.conf == LW_CONF_KNOWN);
		lw_detect_clear_source(d, "config");
		scan_text(d, NULL, text, &f);
		LW_CHECK(!f.seen);
		f.value = "kept-learned-value";
		scan_text(d, NULL, "x=kept-learned-value", &f);
		LW_CHECK(f.seen);
	}
	lw_detect_free(d);
}

/* A value inside a longer base64 run at each of the three alignments. */
static void test_base64_alignment(void)
{
	struct lw_detect *d = lw_detect_new(NULL);
	struct found f = {LW_ID_IMEI, "358240051111110", false, 0, "", "", "", 0};
	char json[128], b64[256], text[300];
	int pad;

	LW_CHECK_INT(lw_detect_add_known(d, NULL, LW_ID_IMEI, "358240051111110", "config"), 0);
	for (pad = 0; pad < 3; pad++) {
		snprintf(json, sizeof(json), "%.*s{\"v\":\"x-358240051111110\"}", pad, "ab");
		EVP_EncodeBlock((unsigned char *)b64, (const unsigned char *)json,
				(int)strlen(json));
		snprintf(text, sizeof(text), "payload=%s", b64);
		scan_text(d, NULL, text, &f);
		LW_CHECK(f.seen && f.conf == LW_CONF_KNOWN);
		LW_CHECK(strncmp(f.encoding, "form:payload>base64", 19) == 0);
	}
	lw_detect_free(d);
}

/* 500 phones of one model: IMEIs sharing a TAC still each found (and not confused). */
static void test_same_tac(void)
{
	struct lw_detect *d = lw_detect_new(NULL);
	struct found f = {LW_ID_IMEI, "", false, 0, "", "", "", 0};
	char v[32], text[64];
	int i;

	for (i = 0; i < 500; i++) {
		snprintf(v, sizeof(v), "35824005%06d", 100000 + i);
		v[15] = '\0';
		v[14] = lw_detect_luhn_digit(v, 14);
		LW_CHECK_INT(lw_detect_add_known(d, NULL, LW_ID_IMEI, v, "config"), 0);
	}
	snprintf(v, sizeof(v), "35824005%06d", 100000 + 321);
	v[14] = lw_detect_luhn_digit(v, 14);
	v[15] = '\0';
	f.value = v;
	snprintf(text, sizeof(text), "sn %s.", v);
	LW_CHECK_INT(scan_text(d, NULL, text, &f), 1);
	LW_CHECK(f.seen && f.conf == LW_CONF_KNOWN);
	lw_detect_free(d);
}

int main(void)
{
	LW_TEST(test_expected_forms);
	LW_TEST(test_every_form_everywhere);
	LW_TEST(test_one_pass);
	LW_TEST(test_client_mac);
	LW_TEST(test_cross_device);
	LW_TEST(test_bounds);
	LW_TEST(test_clear_and_compact);
	LW_TEST(test_base64_alignment);
	LW_TEST(test_same_tac);
	return lw_test_end();
}
