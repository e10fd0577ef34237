/* SPDX-License-Identifier: MIT */
/*
 * Phone numbers against the number plans (phone.c, and through it libphonenumber when built
 * with it), and the values that only look like identifiers (plausible.c): the checks alone,
 * then the engine with and without the AP's region.  Checks that need the plans are skipped,
 * with a line saying so, in a build without them; what such a build must still do (the
 * length checks of before) is checked there instead.
 */
#include <errno.h>

#include <openssl/evp.h>

#include "detect/detect-int.h"
#include "detect/phone.h"
#include "detect/plausible.h"
#include "lw-test.h"

struct got {
	struct lw_leak l[16];
	int n;
};

static void collect(const struct lw_leak *l, void *user)
{
	struct got *g = user;

	if (g->n < 16)
		g->l[g->n++] = *l;
}

/* Scans text; returns the confidence the phone value got, or -1 if it was not reported. */
static int phone_conf(struct lw_detect *d, const char *text, const char *value)
{
	struct lw_detect_ctx ctx = {NULL, "http.body", NULL, false};
	struct got g = {.n = 0};
	int i;

	lw_detect_scan(d, &ctx, (const uint8_t *)text, strlen(text), collect, &g);
	for (i = 0; i < g.n; i++)
		if (g.l[i].kind == LW_ID_PHONE && strcmp(g.l[i].value, value) == 0)
			return (int)g.l[i].confidence;
	return -1;
}

static int count_all(struct lw_detect *d, const char *text)
{
	struct lw_detect_ctx ctx = {NULL, "http.body", NULL, false};
	struct got g = {.n = 0};
	int i;

	lw_detect_scan(d, &ctx, (const uint8_t *)text, strlen(text), collect, &g);
	for (i = 0; i < g.n; i++)
		fprintf(stderr, "    %s: %s %s %s\n", text, lw_id_kind_str(g.l[i].kind),
			lw_confidence_str(g.l[i].confidence), g.l[i].value);
	return g.n;
}

static void test_epoch(void)
{
	LW_CHECK(lw_plausible_epoch("1700000000", 10));
	LW_CHECK(lw_plausible_epoch("1700000000123", 13));
	LW_CHECK(lw_plausible_epoch("170000000012345", 15));
	LW_CHECK(lw_plausible_epoch("1700000000123456", 16));
	LW_CHECK(lw_plausible_epoch("1700000000123456789", 19));
	LW_CHECK(!lw_plausible_epoch("0999999999", 10)); /* before 2001 */
	LW_CHECK(!lw_plausible_epoch("2100000000", 10)); /* 2036 and later */
	LW_CHECK(!lw_plausible_epoch("13812345678", 11)); /* no time has 11 digits */
	LW_CHECK(!lw_plausible_epoch("358240051111110", 15)); /* an IMEI */
	LW_CHECK(!lw_plausible_epoch("17000000x0", 10));
}

/* The table of digests is written out: each must be the digest of one of the listed values. */
static void test_hash_of_nothing(void)
{
	static const char *const values[] = {"",
					     "null",
					     "NULL",
					     "0",
					     "unknown",
					     "undefined",
					     "none",
					     "02:00:00:00:00:00",
					     "000000000000000"};
	const EVP_MD *mds[] = {EVP_md5(), EVP_sha1(), EVP_sha256()};
	unsigned char md[EVP_MAX_MD_SIZE];
	char hex[2 * EVP_MAX_MD_SIZE + 1];
	unsigned mdlen, i, a, k;

	for (i = 0; i < LW_ARRAY_SIZE(values); i++) {
		for (a = 0; a < LW_ARRAY_SIZE(mds); a++) {
			EVP_Digest(values[i], strlen(values[i]), md, &mdlen, mds[a], NULL);
			for (k = 0; k < mdlen; k++)
				sprintf(hex + 2 * k, "%02x", md[k]);
			LW_CHECK(lw_plausible_hash_of_nothing(hex, 2 * mdlen));
			if (!lw_plausible_hash_of_nothing(hex, 2 * mdlen))
				fprintf(stderr, "  digest %u of \"%s\" missing\n", a, values[i]);
		}
	}
	/* upper case, UUID spelling, a 16-hex android_id cut from one */
	LW_CHECK(lw_plausible_hash_of_nothing("D41D8CD98F00B204E9800998ECF8427E", 32));
	LW_CHECK(lw_plausible_hash_of_nothing("d41d8cd9-8f00-b204-e980-0998ecf8427e", 36));
	LW_CHECK(lw_plausible_hash_of_nothing("d41d8cd98f00b204", 16));
	/* negatives: other hashes, other lengths */
	LW_CHECK(!lw_plausible_hash_of_nothing("d41d8cd98f00b204e9800998ecf8427f", 32));
	LW_CHECK(!lw_plausible_hash_of_nothing("9774d56d682e549c", 16));
	LW_CHECK(!lw_plausible_hash_of_nothing("d41d8cd98f00", 12));
	LW_CHECK(!lw_plausible_hash_of_nothing("6d92078a-8246-4ba4-ae5b-76104861e7dc", 36));
}

static void test_keys(void)
{
	LW_CHECK(lw_phone_key_context("user"));
	LW_CHECK(lw_phone_key_context("num"));
	LW_CHECK(lw_phone_key_context("to"));
	LW_CHECK(lw_phone_key_context("shoujihao"));
	LW_CHECK(!lw_phone_key_context("userid"));
	LW_CHECK(!lw_phone_key_context("ordernum"));
	LW_CHECK(!lw_phone_key_context("price"));
	LW_CHECK(lw_plausible_key_not_id("waybill"));
	LW_CHECK(lw_plausible_key_not_id("trackingno"));
	LW_CHECK(lw_plausible_key_not_id("placementid"));
	LW_CHECK(lw_plausible_key_not_id("card"));
	LW_CHECK(!lw_plausible_key_not_id("imei"));
	LW_CHECK(!lw_plausible_key_not_id("cardinal")); /* "card" is matched whole only */
	LW_CHECK(!lw_plausible_key_not_id("iccid"));
}

static void test_region(void)
{
	char r[3];

	LW_CHECK_INT(lw_detect_region_check("cn", r), 0);
	LW_CHECK_STR(r, "CN");
	LW_CHECK_INT(lw_detect_region_check("DE", r), 0);
	LW_CHECK_INT(lw_detect_region_check("CHN", r), -EINVAL);
	LW_CHECK_INT(lw_detect_region_check("C1", r), -EINVAL);
	LW_CHECK_INT(lw_detect_region_check("", r), -EINVAL);
	if (lw_phone_have_plans())
		LW_CHECK_INT(lw_detect_region_check("XX", r), -EINVAL); /* no such region */
}

/* The plans themselves (libphonenumber's metadata): what a number is in which region. */
static void test_plans(void)
{
	char out[LW_DETECT_VALUE_MAX];

	if (!lw_phone_have_plans()) {
		fprintf(stderr, "  built without number plans: every check is unchecked\n");
		LW_CHECK_INT(lw_phone_check_intl("4915123456789", 13, out, sizeof(out)),
			     LW_PHONE_UNCHECKED);
		LW_CHECK_INT(lw_phone_check_national("CN", "13812345678", 11, out, sizeof(out)),
			     LW_PHONE_UNCHECKED);
		return;
	}
	/* China: 1[3-9]x mobiles, 11 digits, written without a trunk prefix */
	LW_CHECK_INT(lw_phone_check_national("CN", "13812345678", 11, out, sizeof(out)),
		     LW_PHONE_MOBILE);
	LW_CHECK_STR(out, "+8613812345678");
	LW_CHECK_INT(lw_phone_check_national("CN", "19912345678", 11, out, sizeof(out)),
		     LW_PHONE_MOBILE);
	/* 12x is no mobile range; 10 digits is too short; a Beijing fixed line without its 0 */
	LW_CHECK(lw_phone_check_national("CN", "12012345678", 11, out, sizeof(out)) <
		 LW_PHONE_VALID);
	LW_CHECK(lw_phone_check_national("CN", "1381234567", 10, out, sizeof(out)) <
		 LW_PHONE_VALID);
	LW_CHECK_INT(lw_phone_check_national("CN", "1012345678", 10, out, sizeof(out)),
		     LW_PHONE_INVALID);
	/* the same digits are nothing in Germany; a German mobile needs its trunk 0 there */
	LW_CHECK(lw_phone_check_national("DE", "13812345678", 11, out, sizeof(out)) <
		 LW_PHONE_VALID);
	LW_CHECK_INT(lw_phone_check_national("DE", "01712345678", 11, out, sizeof(out)),
		     LW_PHONE_MOBILE);
	LW_CHECK_STR(out, "+491712345678");
	LW_CHECK_INT(lw_phone_check_national("DE", "1712345678", 10, out, sizeof(out)),
		     LW_PHONE_INVALID);
	/* a German fixed line (Berlin) is valid, not mobile */
	LW_CHECK_INT(lw_phone_check_national("DE", "0301234567", 10, out, sizeof(out)),
		     LW_PHONE_VALID);
	/* international: any region */
	LW_CHECK_INT(lw_phone_check_intl("4915123456789", 13, out, sizeof(out)), LW_PHONE_MOBILE);
	LW_CHECK_INT(lw_phone_check_intl("8613812345678", 13, out, sizeof(out)), LW_PHONE_MOBILE);
	LW_CHECK(lw_phone_check_intl("4912345", 7, out, sizeof(out)) < LW_PHONE_VALID);
	LW_CHECK_INT(lw_phone_check_intl("999123456789", 12, out, sizeof(out)), LW_PHONE_INVALID);
	LW_CHECK_INT(lw_phone_check_national("", "13812345678", 11, out, sizeof(out)),
		     LW_PHONE_INVALID);
	LW_CHECK_INT(lw_phone_check_national("CN", "1381234x678", 11, out, sizeof(out)),
		     LW_PHONE_INVALID);
}

/* The engine with the AP in China: national numbers under account and contact keys. */
static void test_engine_region(void)
{
	struct lw_detect *d = lw_detect_new(&(struct lw_detect_config){.region = "cn"});
	bool plans = lw_phone_have_plans();
	int v = plans ? (int)LW_CONF_VALIDATED : -1;

	LW_CHECK(d != NULL);
	if (!d)
		return;
	LW_CHECK_INT(phone_conf(d, "{\"user\":\"13812345678\"}", "+8613812345678"), v);
	LW_CHECK_INT(phone_conf(d, "num=13912345678&pwd=x", "+8613912345678"), v);
	LW_CHECK_INT(phone_conf(d, "{\"to\":13812345679}", "+8613812345679"), v);
	/* under a phone key the national form is read by the plan too, and given in E.164 */
	LW_CHECK_INT(
		phone_conf(d, "mobile=138 1234 5670", plans ? "+8613812345670" : "13812345670"),
		(int)LW_CONF_VALIDATED);
	/* international numbers are read by their own country's plan */
	LW_CHECK_INT(phone_conf(d, "msisdn=%2B4915123456789", "+4915123456789"),
		     (int)LW_CONF_VALIDATED);
	if (plans) {
		/* under a phone key, a number no plan has is a hint only */
		LW_CHECK_INT(phone_conf(d, "tel=%2B999123456789", "+999123456789"),
			     (int)LW_CONF_PATTERN);
		LW_CHECK_INT(phone_conf(d, "phone=12012345678", "12012345678"),
			     (int)LW_CONF_PATTERN);
	}
	/* negatives: no key, a key for something else, a time, a range no mobile has, too
	 * short, a price shaped like a mobile number */
	LW_CHECK_INT(count_all(d, "x 13812345678 y"), 0);
	LW_CHECK_INT(count_all(d, "{\"order_sn\":\"13812345678\"}"), 0);
	LW_CHECK_INT(count_all(d, "{\"waybill\":\"13812345678\"}"), 0);
	LW_CHECK_INT(count_all(d, "{\"price_micros\":13812345678}"), 0);
	LW_CHECK_INT(count_all(d, "user=1700000000"), 0);
	LW_CHECK_INT(count_all(d, "user=12012345678"), 0);
	LW_CHECK_INT(count_all(d, "user=123456"), 0);
	LW_CHECK_INT(count_all(d, "to=11111111111"), 0);
	LW_CHECK_INT(count_all(d, "user=1012345678"), 0);
	/* hashes of nothing under advertising and Android id keys */
	LW_CHECK_INT(count_all(d, "adid=d41d8cd98f00b204e9800998ecf8427e"), 0);
	LW_CHECK_INT(count_all(d, "{\"idfa\":\"D41D8CD9-8F00-B204-E980-0998ECF8427E\"}"), 0);
	LW_CHECK_INT(count_all(d, "android_id=d41d8cd98f00b204"), 0);
	/* times in microseconds and 100 us ticks under keys the vocabulary does not know */
	LW_CHECK_INT(count_all(d, "{\"ts_us\":\"170000000012345\"}"), 0);
	lw_detect_free(d);
}

/* Without a region nothing national is looked for under non-phone keys, as before. */
static void test_engine_no_region(void)
{
	struct lw_detect *d = lw_detect_new(NULL);
	struct lw_detect *bad = lw_detect_new(&(struct lw_detect_config){.region = "X1"});

	LW_CHECK(d != NULL && bad != NULL);
	if (!d || !bad)
		goto out;
	LW_CHECK_INT(count_all(d, "{\"user\":\"13812345678\"}"), 0);
	/* a national number under a phone key, no region to read it by: as before */
	LW_CHECK_INT(phone_conf(d, "phone=13812345678", "13812345678"), (int)LW_CONF_VALIDATED);
	/* a region that is no region is ignored */
	LW_CHECK_INT(count_all(bad, "{\"user\":\"13812345678\"}"), 0);
out:
	lw_detect_free(d);
	lw_detect_free(bad);
}

/* Number-plan look-ups are bounded per scan (each costs tens of microseconds). */
static void test_budget(void)
{
	struct lw_detect *d = lw_detect_new(&(struct lw_detect_config){.region = "CN"});
	struct lw_detect_ctx ctx = {NULL, "http.body", NULL, false};
	struct got g = {.n = 0};
	char body[4096];
	size_t o = 0;
	int i;

	if (!d)
		return;
	for (i = 0; i < 200; i++)
		o += (size_t)snprintf(body + o, sizeof(body) - o, "to=1381234%04d&", i);
	lw_detect_scan(d, &ctx, (const uint8_t *)body, o, collect, &g);
	if (lw_phone_have_plans()) {
		LW_CHECK(lw_detect_get_stats(d)->plan_limit_hit > 0);
		LW_CHECK(g.n <= 32);
	} else {
		LW_CHECK_INT(lw_detect_get_stats(d)->plan_limit_hit, 0);
	}
	lw_detect_free(d);
}

int main(void)
{
	LW_TEST(test_epoch);
	LW_TEST(test_hash_of_nothing);
	LW_TEST(test_keys);
	LW_TEST(test_region);
	LW_TEST(test_plans);
	LW_TEST(test_engine_region);
	LW_TEST(test_engine_no_region);
	LW_TEST(test_budget);
	return lw_test_end();
}
