/* SPDX-License-Identifier: MIT */
/* Validators, table-driven: each input is placed to end at an unreadable page. */
#include <errno.h>

#include "detect/detect-int.h"
#include "lw-test.h"

/* Runs a check over a guarded copy of s (no NUL after it). */
#define GUARDED(s, p, n, body)                              \
	do {                                                \
		struct lw_test_guard_buf _g;                \
		size_t n = strlen(s);                       \
		const char *p = lw_test_guard((s), n, &_g); \
		body;                                       \
		lw_test_unguard(&_g);                       \
	} while (0)

struct vcase {
	const char *in;
	bool ok;
	const char *canon; /* expected canonical form when ok */
};

static void run_cases(const char *name, const struct vcase *c, size_t nc,
		      bool (*fn)(const char *, size_t, char *))
{
	char out[LW_DETECT_VALUE_MAX];
	size_t i;

	for (i = 0; i < nc; i++) {
		bool ok = false;

		out[0] = '\0';
		GUARDED(c[i].in, p, n, ok = fn(p, n, out));
		if (ok != c[i].ok)
			fprintf(stderr, "%s(\"%s\") = %d\n", name, c[i].in, ok);
		LW_CHECK(ok == c[i].ok);
		if (ok && c[i].canon)
			LW_CHECK_STR(out, c[i].canon);
	}
}

static void test_luhn(void)
{
	static const struct {
		const char *d;
		bool ok;
	} c[] = {
		{"79927398713", true}, /* the textbook example */
		{"79927398710", false},
		{"358240051111110", true},
		{"358240051111111", false},
		{"490154203237518", true},
		{"0", false}, /* too short to carry a check digit */
		{"00", true},
		{"18", true},
		{"59", true}, /* 5 doubled is 10 -> 1 */
		{"91", true}, /* 9 doubled is 18 -> 9 */
		{"3582400511111a0", false},
	};
	size_t i;

	for (i = 0; i < LW_ARRAY_SIZE(c); i++)
		GUARDED(c[i].d, p, n, LW_CHECK(lw_detect_luhn_ok(p, n) == c[i].ok));
	LW_CHECK_INT(lw_detect_luhn_digit("35824005111111", 14), '0');
	LW_CHECK_INT(lw_detect_luhn_digit("7992739871", 10), '3');
	LW_CHECK_INT(lw_detect_luhn_digit("898603184720039876", 18), '5');
}

static void test_trivial_tac_mcc(void)
{
	static const char *trivial[] = {"000000000000000", "111111111111111", "121212121212",
					"123412341234",	   "123456789012345", "987654321098765"};
	static const char *fine[] = {"358240051111110", "869012034567813", "4600365912"};
	size_t i;

	for (i = 0; i < LW_ARRAY_SIZE(trivial); i++)
		LW_CHECK(lw_detect_digits_trivial(trivial[i], strlen(trivial[i])));
	for (i = 0; i < LW_ARRAY_SIZE(fine); i++)
		LW_CHECK(!lw_detect_digits_trivial(fine[i], strlen(fine[i])));
	LW_CHECK(lw_detect_tac_plausible("35824005"));
	LW_CHECK(lw_detect_tac_plausible("86901203"));
	LW_CHECK(lw_detect_tac_plausible("99000123"));
	LW_CHECK(lw_detect_tac_plausible("01234567"));
	LW_CHECK(!lw_detect_tac_plausible("00123456")); /* test IMEI */
	LW_CHECK(!lw_detect_tac_plausible("12345678"));
	LW_CHECK(!lw_detect_tac_plausible("77777777"));
	LW_CHECK(lw_detect_mcc_valid(460));
	LW_CHECK(lw_detect_mcc_valid(262));
	LW_CHECK(lw_detect_mcc_valid(310));
	LW_CHECK(lw_detect_mcc_valid(750));
	LW_CHECK(!lw_detect_mcc_valid(1)); /* test network */
	LW_CHECK(!lw_detect_mcc_valid(999));
	LW_CHECK(!lw_detect_mcc_valid(901)); /* shared international */
	LW_CHECK(!lw_detect_mcc_valid(203)); /* unassigned */
	LW_CHECK(!lw_detect_mcc_valid(100));
}

static void test_imei(void)
{
	static const struct vcase c[] = {
		{"358240051111110", true, "358240051111110"},
		{"490154203237518", true, "490154203237518"},
		{"869012034567813", true, "869012034567813"},
		{"35824005111111", true, "358240051111110"}, /* 14 digits: check digit added */
		{"35-824005-111111-0", true, "358240051111110"},
		{"358240051111111", false, NULL}, /* Luhn */
		{"123456789012347", false, NULL}, /* reporting body 12 */
		{"001010123456780", false, NULL}, /* test IMEI */
		{"353535353535352", false, NULL}, /* periodic */
		{"35824005111111012", false, NULL}, /* 17 digits */
		{"3582400511111", false, NULL},
		{"35824005111111x", false, NULL},
		{"", false, NULL},
	};

	run_cases("imei", c, LW_ARRAY_SIZE(c), lw_detect_check_imei);
}

static bool iccid_keyed(const char *s, size_t n, char *out)
{
	return lw_detect_check_iccid(s, n, true, out);
}

static bool iccid_bare(const char *s, size_t n, char *out)
{
	return lw_detect_check_iccid(s, n, false, out);
}

static void test_iccid(void)
{
	static const struct vcase bare[] = {
		{"89860318472003987657", true, "89860318472003987657"}, /* 20, Luhn */
		{"8986031847200398765", true, NULL}, /* 19, Luhn */
		{"8986031847200398766", false, NULL}, /* 19, check digit dropped: needs a key */
		{"89860318472003987658", false, NULL},
		{"79860318472003987657", false, NULL}, /* not 89 */
		{"89860318472003", false, NULL},
		{"891234567890123456789", false, NULL}, /* 21 */
		{"89000000000000000000", false, NULL}, /* trivial */
	};
	static const struct vcase keyed[] = {
		{"8986031847200398766", true, "8986031847200398766"},
		{"89860318472003987658", true, NULL},
		{"898603184720039876", true, NULL}, /* 18 */
		{"79860318472003987657", false, NULL},
		{"8986031847200398x66", false, NULL},
	};

	run_cases("iccid", bare, LW_ARRAY_SIZE(bare), iccid_bare);
	run_cases("iccid keyed", keyed, LW_ARRAY_SIZE(keyed), iccid_keyed);
}

static void test_imsi_meid(void)
{
	static const struct vcase imsi[] = {
		{"460110912345678", true, "460110912345678"},
		{"310260987651234", true, NULL},
		{"26201938475610", true, NULL}, /* 14 digits: 2-digit MNC */
		{"001010123456789", false, NULL},
		{"999990123456789", false, NULL},
		{"4601109123456789", false, NULL},
		{"460110000000000", false, NULL}, /* MSIN all zero */
		{"46011091234567a", false, NULL},
	};
	static const struct vcase meid[] = {
		{"A1000012345678", true, "A1000012345678"},
		{"a10000123456ab", true, "A10000123456AB"},
		{"99000123456789", true, NULL}, /* IMEI-compatible range */
		{"12345678901234", false, NULL}, /* regional code 12 */
		{"A1000000000000", false, NULL},
		{"270113177609906493", true, "A100000097293D"}, /* decimal form */
		{"999999999999999999", false, NULL}, /* manufacturer > 32 bits */
		{"A100001234567", false, NULL},
		{"G1000012345678", false, NULL},
	};

	run_cases("imsi", imsi, LW_ARRAY_SIZE(imsi), lw_detect_check_imsi);
	run_cases("meid", meid, LW_ARRAY_SIZE(meid), lw_detect_check_meid);
}

static bool uuid_nonzero(const char *s, size_t n, char *out)
{
	bool zero = true;

	return lw_detect_check_uuid(s, n, out, &zero) && !zero;
}

static void test_uuid_android(void)
{
	static const struct vcase uuid[] = {
		{"38400000-8cf0-11bd-b23e-10b96e40000d", true,
		 "38400000-8cf0-11bd-b23e-10b96e40000d"},
		{"6D92078A-8246-4BA4-AE5B-76104861E7DC", true,
		 "6d92078a-8246-4ba4-ae5b-76104861e7dc"},
		{"6d92078a82464ba4ae5b76104861e7dc", true, "6d92078a-8246-4ba4-ae5b-76104861e7dc"},
		{"00000000-0000-0000-0000-000000000000", false, NULL}, /* opted out */
		{"6d92078a-8246-4ba4-ae5b-76104861e7d", false, NULL},
		{"6d92078a-8246-4ba4ae5b-76104861e7dcc", false, NULL},
		{"6d92078a-8246-4ba4-ae5b-76104861e7dg", false, NULL},
	};
	static const struct vcase aid[] = {
		{"9774d56d682e549c", true, "9774d56d682e549c"},
		{"9774D56D682E549C", true, "9774d56d682e549c"},
		{"9774d56d682e549", false, NULL},
		{"9774d56d682e549cc", false, NULL},
		{"0000000000000000", false, NULL},
		{"9774d56d682e549g", false, NULL},
	};
	char out[LW_DETECT_VALUE_MAX];
	bool zero = false;

	run_cases("uuid", uuid, LW_ARRAY_SIZE(uuid), uuid_nonzero);
	run_cases("android_id", aid, LW_ARRAY_SIZE(aid), lw_detect_check_android_id);
	LW_CHECK(lw_detect_check_uuid("00000000-0000-0000-0000-000000000000", 36, out, &zero));
	LW_CHECK(zero);
}

static void test_email_phone(void)
{
	static const struct vcase email[] = {
		{"john.doe@example.com", true, "john.doe@example.com"},
		{"John.Doe+tag@Mail.Example.co.uk", true, "john.doe+tag@mail.example.co.uk"},
		{"a_b-c%d@x-y.org", true, NULL},
		{"icon@2x.png", false, NULL}, /* a resource name */
		{"image@3x.webp", false, NULL},
		{"a@b", false, NULL},
		{"a@b.c", false, NULL},
		{"a..b@x.com", false, NULL},
		{".a@x.com", false, NULL},
		{"a.@x.com", false, NULL},
		{"a@-x.com", false, NULL},
		{"a@x-.com", false, NULL},
		{"a@x..com", false, NULL},
		{"@x.com", false, NULL},
		{"a b@x.com", false, NULL},
		{"a@x.c0m", false, NULL},
	};
	static const struct vcase phone[] = {
		{"+4915123456789", true, "+4915123456789"},
		{"+49 151 2345-6789", true, "+4915123456789"},
		{"0049 151 23456789", true, "+4915123456789"},
		{"(030) 1234567", true, "0301234567"},
		{"+1 (415) 555-0132", true, "+14155550132"},
		{"1589212345678", false, NULL}, /* epoch milliseconds */
		{"1589212345", false, NULL}, /* epoch seconds */
		{"+1589212345678", true, NULL}, /* with a plus it is a number to dial */
		{"1234567", false, NULL}, /* sequence */
		{"5555555555", false, NULL}, /* all the same */
		{"123456", false, NULL}, /* too short */
		{"+1234567890123456", false, NULL}, /* E.164 has at most 15 */
		{"+0151234567", false, NULL},
		{"0151 2345x6789", false, NULL},
	};

	run_cases("email", email, LW_ARRAY_SIZE(email), lw_detect_check_email);
	run_cases("phone", phone, LW_ARRAY_SIZE(phone), lw_detect_check_phone);
}

static void test_coord_cell(void)
{
	static const struct {
		const char *in;
		bool lon, e6, ok;
		const char *canon;
	} c[] = {
		{"52.5200", false, false, true, "52.5200"},
		{"-33.868820", false, false, true, "-33.868820"},
		{"-179.12345", true, false, true, "-179.12345"},
		{"52.52", false, false, false, NULL}, /* a city, not a person */
		{"91.00000", false, false, false, NULL}, /* out of range */
		{"181.00000", true, false, false, NULL},
		{"120.00000", false, false, false, NULL}, /* a longitude, not a latitude */
		{"1234.5678", true, false, false, NULL},
		{"52.5200x", false, false, false, NULL},
		{"52520008", false, true, true, "52.520008"},
		{"13404954", true, true, true, "13.404954"},
		{"95000000", false, true, false, NULL},
		{"1", false, true, false, NULL},
	};
	uint64_t v;
	size_t i;

	for (i = 0; i < LW_ARRAY_SIZE(c); i++) {
		char out[40] = "";
		bool ok = false;

		GUARDED(c[i].in, p, n,
			ok = lw_detect_check_coord(p, n, c[i].lon, c[i].e6, out, sizeof(out)));
		if (ok != c[i].ok)
			fprintf(stderr, "coord(\"%s\") = %d\n", c[i].in, ok);
		LW_CHECK(ok == c[i].ok);
		if (ok)
			LW_CHECK_STR(out, c[i].canon);
	}
	LW_CHECK(lw_detect_check_cell(LW_CELL_MCC, "460", 3, &v) && v == 460);
	LW_CHECK(!lw_detect_check_cell(LW_CELL_MCC, "999", 3, &v));
	LW_CHECK(lw_detect_check_cell(LW_CELL_LAC, "1234", 4, &v) && v == 1234);
	LW_CHECK(!lw_detect_check_cell(LW_CELL_LAC, "0", 1, &v));
	LW_CHECK(!lw_detect_check_cell(LW_CELL_LAC, "65535", 5, &v));
	LW_CHECK(lw_detect_check_cell(LW_CELL_CID, "268435455", 9, &v));
	LW_CHECK(!lw_detect_check_cell(LW_CELL_CID, "2147483647", 10, &v)); /* unavailable */
	LW_CHECK(!lw_detect_check_cell(LW_CELL_PCI, "1008", 4, &v));
	LW_CHECK(!lw_detect_check_cell(LW_CELL_SID, "12a", 3, &v));
	LW_CHECK(!lw_detect_check_cell(LW_CELL_NONE, "1", 1, &v));
}

static void test_keys(void)
{
	static const struct {
		const char *key;
		unsigned want, not ;
	} c[] = {
		{"imei", LW_KEY_IMEI, LW_KEY_EXCLUDED},
		{"IMEI1", LW_KEY_IMEI, 0},
		{"MEID", LW_KEY_MEID | LW_KEY_IMEI, 0},
		{"device_id", LW_KEY_IMEI, 0},
		{"imeisv", LW_KEY_IMEISV, 0},
		{"SIM1ICCID", LW_KEY_ICCID, 0},
		{"simSerial", LW_KEY_ICCID, LW_KEY_SERIAL},
		{"SIM1LTEIMSI", LW_KEY_IMSI, 0},
		{"MACID", LW_KEY_MAC, 0},
		{"wifi_mac", LW_KEY_MAC, 0},
		{"bssid", LW_KEY_MAC, 0},
		{"machine", 0, LW_KEY_MAC},
		{"hmac", 0, LW_KEY_MAC},
		{"android_id", LW_KEY_ANDROID, 0},
		{"_android_id", LW_KEY_ANDROID, 0},
		{"ssaid", LW_KEY_ANDROID, 0},
		/* SDK names (sdkkeys.c): exact, so near names stay what they were */
		{"hwid", LW_KEY_ANDROID, LW_KEY_EXCLUDED},
		{"hardware_id", LW_KEY_ANDROID, LW_KEY_EXCLUDED},
		{"hwidth", 0, LW_KEY_ANDROID},
		{"hw_id_type", 0, LW_KEY_ANDROID},
		{"amazon_aid", LW_KEY_ADID, 0},
		{"resettable_device_id", LW_KEY_ADID, LW_KEY_EXCLUDED},
		{"rdid", LW_KEY_ADID, 0},
		{"advertisingTrackingId", LW_KEY_ADID, 0},
		{"_gaid", LW_KEY_ADID, 0},
		{"advertising_id", LW_KEY_ADID, 0},
		{"idfa", LW_KEY_ADID, 0},
		{"aid", LW_KEY_ADID | LW_KEY_ANDROID, 0},
		{"msisdn", LW_KEY_PHONE, 0},
		{"phone_number", LW_KEY_PHONE, 0},
		{"lat", LW_KEY_LAT, LW_KEY_LON},
		{"longitude", LW_KEY_LON, LW_KEY_LAT},
		{"latE6", LW_KEY_LAT | LW_KEY_E6, 0},
		{"ll", LW_KEY_LATLON, 0},
		{"SIM1CELLID", LW_KEY_CELL, 0},
		{"order_id", LW_KEY_EXCLUDED, LW_KEY_IMEI},
		{"timestamp", LW_KEY_EXCLUDED, 0},
		{"ts", LW_KEY_EXCLUDED, 0},
		{"id", LW_KEY_EXCLUDED, 0},
		{"session", LW_KEY_EXCLUDED, 0},
		{"REGDATE", LW_KEY_EXCLUDED, 0},
		{"model", 0, LW_KEY_EXCLUDED | LW_KEY_IMEI},
	};
	char norm[LW_KEY_NORM_MAX];
	struct lw_key_class kc;
	size_t i;

	for (i = 0; i < LW_ARRAY_SIZE(c); i++) {
		GUARDED(c[i].key, p, n, lw_detect_key_norm(p, n, norm));
		kc = lw_detect_key_classify(norm);
		if ((kc.flags & c[i].want) != c[i].want || (kc.flags & c[i].not ))
			fprintf(stderr, "key %s -> %#x\n", c[i].key, kc.flags);
		LW_CHECK((kc.flags & c[i].want) == c[i].want);
		LW_CHECK(!(kc.flags & c[i].not ));
	}
	lw_detect_key_norm("SIM1CELLID", 10, norm);
	LW_CHECK_STR(norm, "sim1cellid");
	kc = lw_detect_key_classify(norm);
	LW_CHECK(kc.cell == LW_CELL_CID && kc.cell_strong);
	kc = lw_detect_key_classify("cid");
	LW_CHECK(kc.cell == LW_CELL_CID && !kc.cell_strong);
	kc = lw_detect_key_classify("baseid");
	LW_CHECK(kc.cell == LW_CELL_BASEID);
	/* long keys are cut, not overrun */
	LW_CHECK_INT(lw_detect_key_norm("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
					56, norm),
		     LW_KEY_NORM_MAX - 1);
}

static void test_normalize(void)
{
	static const struct {
		enum lw_id_kind kind;
		const char *in;
		int r;
		const char *canon;
	} c[] = {
		{LW_ID_IMEI, "35-824005-111111-0", 0, "358240051111110"},
		{LW_ID_IMEI, " 358240051111110\n", 0, "358240051111110"},
		{LW_ID_IMEI, "358240051111111", -EINVAL, NULL},
		{LW_ID_IMEISV, "3582400511111101", 0, "3582400511111101"},
		{LW_ID_MEID, "a1000012345678", 0, "A1000012345678"},
		{LW_ID_ICCID, "8986031847200398766", 0, "8986031847200398766"},
		{LW_ID_IMSI, "460110912345678", 0, "460110912345678"},
		{LW_ID_IMSI, "999990123456789", -EINVAL, NULL},
		{LW_ID_MAC, "AA-BB-CC-DD-EE-0F", 0, "aa:bb:cc:dd:ee:0f"},
		{LW_ID_MAC, "00:00:00:00:00:00", -EINVAL, NULL},
		{LW_ID_ANDROID_ID, "9774D56D682E549C", 0, "9774d56d682e549c"},
		{LW_ID_AD_ID, "6D92078A-8246-4BA4-AE5B-76104861E7DC", 0,
		 "6d92078a-8246-4ba4-ae5b-76104861e7dc"},
		{LW_ID_AD_ID, "00000000-0000-0000-0000-000000000000", -EINVAL, NULL},
		{LW_ID_PHONE, "+49 151 23456789", 0, "+4915123456789"},
		{LW_ID_EMAIL, "John@Example.COM", 0, "john@example.com"},
		{LW_ID_SERIAL, "R58M12ABCDE", 0, "R58M12ABCDE"},
		{LW_ID_SERIAL, "R58M", -EINVAL, NULL}, /* too short to search for */
		{LW_ID_CUSTOM, "my secret", -EINVAL, NULL},
		{LW_ID_CUSTOM, "my-secret-token", 0, "my-secret-token"},
		{LW_ID_LOCATION, "52.5200,13.4050", -EINVAL, NULL},
		{LW_ID_CELL_ID, "mcc=262", -EINVAL, NULL},
	};
	size_t i;

	for (i = 0; i < LW_ARRAY_SIZE(c); i++) {
		char out[LW_DETECT_VALUE_MAX] = "";
		struct lw_test_guard_buf g;
		const char *p = lw_test_guard(c[i].in, strlen(c[i].in) + 1, &g);
		int r = lw_detect_normalize(c[i].kind, p, out);

		if (r != c[i].r)
			fprintf(stderr, "normalize(%d, \"%s\") = %d\n", c[i].kind, c[i].in, r);
		LW_CHECK_INT(r, c[i].r);
		if (r == 0)
			LW_CHECK_STR(out, c[i].canon);
		lw_test_unguard(&g);
	}
}

static void test_kind_strings(void)
{
	int k;

	for (k = 0; k < LW_ID__COUNT; k++)
		LW_CHECK_INT(lw_id_kind_parse(lw_id_kind_str((enum lw_id_kind)k)), k);
	LW_CHECK_INT(lw_id_kind_parse("nope"), -EINVAL);
	LW_CHECK_STR(lw_id_kind_str(LW_ID_AD_ID), "ad_id");
	LW_CHECK_STR(lw_id_kind_str(LW_ID_CELL_ID), "cell_id");
	LW_CHECK_STR(lw_confidence_str(LW_CONF_KNOWN), "known");
	LW_CHECK_STR(lw_confidence_str(LW_CONF_PATTERN), "pattern");
}

int main(void)
{
	LW_TEST(test_luhn);
	LW_TEST(test_trivial_tac_mcc);
	LW_TEST(test_imei);
	LW_TEST(test_iccid);
	LW_TEST(test_imsi_meid);
	LW_TEST(test_uuid_android);
	LW_TEST(test_email_phone);
	LW_TEST(test_coord_cell);
	LW_TEST(test_keys);
	LW_TEST(test_normalize);
	LW_TEST(test_kind_strings);
	return lw_test_end();
}
