/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdint.h>

#include "fleet/audit.h"
#include "fleet/flag.h"
#include "fleet/row.h"
#include "lw-test.h"

static void fill_flow(struct lw_fleet_row *row)
{
	size_t n;
	const struct lw_fleet_table *t = lw_fleet_tables(&n);

	memset(row, 0, sizeof(*row));
	row->table = (unsigned)lw_fleet_table_index("flows");
	row->id = 42;
	row->version = 7;
	row->n = t[row->table].ncols;
	for (size_t i = 0; i < row->n; i++)
		row->v[i].type = LW_FLEET_NULL;
	row->v[0] =
		(struct lw_fleet_value){.type = LW_FLEET_TEXT, .s = "aa:bb:cc:dd:ee:ff", .len = 17};
	row->v[3] = (struct lw_fleet_value){.type = LW_FLEET_INT, .i = 443};
	row->v[6] = (struct lw_fleet_value){.type = LW_FLEET_REAL, .r = 1700000000.123456};
	row->v[13] = (struct lw_fleet_value){.type = LW_FLEET_INT, .i = INT64_MIN};
	row->v[8] = (struct lw_fleet_value){.type = LW_FLEET_TEXT, .s = "", .len = 0};
}

static void test_fleet_row_roundtrip(void)
{
	struct lw_fleet_row a, b;
	uint8_t buf[1024];
	int len;

	fill_flow(&a);
	len = lw_fleet_row_encode(&a, buf, sizeof(buf));
	LW_CHECK(len > 0);
	LW_CHECK_INT(lw_fleet_row_decode(buf, (size_t)len, &b), 0);
	LW_CHECK_INT(b.table, a.table);
	LW_CHECK_INT(b.id, 42);
	LW_CHECK_INT(b.version, 7);
	LW_CHECK_INT(b.n, a.n);
	for (size_t i = 0; i < a.n; i++) {
		LW_CHECK_INT(b.v[i].type, a.v[i].type);
		if (a.v[i].type == LW_FLEET_INT)
			LW_CHECK(b.v[i].i == a.v[i].i);
		if (a.v[i].type == LW_FLEET_REAL)
			LW_CHECK(b.v[i].r == a.v[i].r);
		if (a.v[i].type == LW_FLEET_TEXT) {
			LW_CHECK_INT(b.v[i].len, a.v[i].len);
			LW_CHECK(memcmp(b.v[i].s, a.v[i].s, a.v[i].len) == 0);
		}
	}
	LW_CHECK_INT(lw_fleet_row_check(&b), 0);
	/* every buffer too small is refused, never overrun */
	for (int n = 0; n < len; n++)
		LW_CHECK_INT(lw_fleet_row_encode(&a, buf, (size_t)n), -ENOSPC);
}

/* every truncation of a valid message, and trailing bytes, are malformed */
static void test_fleet_row_truncated(void)
{
	struct lw_fleet_row a, b;
	uint8_t buf[1024];
	int len;

	fill_flow(&a);
	len = lw_fleet_row_encode(&a, buf, sizeof(buf));
	LW_FOR_EACH_PREFIX(buf, (size_t)len - 1, p, n,
			   LW_CHECK_INT(lw_fleet_row_decode(p, n, &b), -EBADMSG));
	LW_CHECK_INT(lw_fleet_row_decode(buf, (size_t)len + 1, &b), -EBADMSG);
}

static void test_fleet_row_bad_header(void)
{
	struct lw_fleet_row a, b;
	uint8_t buf[1024];
	int len;

	fill_flow(&a);
	len = lw_fleet_row_encode(&a, buf, sizeof(buf));
	buf[0] = 2; /* another format */
	LW_CHECK_INT(lw_fleet_row_decode(buf, (size_t)len, &b), -EBADMSG);
	buf[0] = LW_FLEET_FORMAT;
	buf[1] = 200; /* no such table */
	LW_CHECK_INT(lw_fleet_row_decode(buf, (size_t)len, &b), -EBADMSG);
	buf[1] = (uint8_t)lw_fleet_table_index("dns"); /* the column count is flows' */
	LW_CHECK_INT(lw_fleet_row_decode(buf, (size_t)len, &b), -EBADMSG);
	a.n = 3;
	LW_CHECK_INT(lw_fleet_row_encode(&a, buf, sizeof(buf)), -EINVAL);
	LW_CHECK_INT(lw_fleet_row_decode("", 0, &b), -EBADMSG);
}

/* what the central store's column types take */
static void test_fleet_row_check(void)
{
	struct lw_fleet_row r;

	fill_flow(&r);
	r.v[3] = (struct lw_fleet_value){.type = LW_FLEET_REAL, .r = 443.0};
	LW_CHECK_INT(lw_fleet_row_check(&r), 0);
	LW_CHECK_INT(r.v[3].type, LW_FLEET_INT);
	LW_CHECK_INT(r.v[3].i, 443);
	r.v[3] = (struct lw_fleet_value){.type = LW_FLEET_REAL, .r = 443.5};
	LW_CHECK_INT(lw_fleet_row_check(&r), -EBADMSG);
	r.v[3] = (struct lw_fleet_value){.type = LW_FLEET_REAL, .r = 9223372036854775808.0};
	LW_CHECK_INT(lw_fleet_row_check(&r), -EBADMSG);
	fill_flow(&r);
	r.v[3] = (struct lw_fleet_value){.type = LW_FLEET_TEXT, .s = "443", .len = 3};
	LW_CHECK_INT(lw_fleet_row_check(&r), -EBADMSG);
	fill_flow(&r);
	r.v[6] = (struct lw_fleet_value){.type = LW_FLEET_INT, .i = 17}; /* INT in REAL: kept */
	LW_CHECK_INT(lw_fleet_row_check(&r), 0);
	r.v[0] = (struct lw_fleet_value){.type = LW_FLEET_INT, .i = 1};
	LW_CHECK_INT(lw_fleet_row_check(&r), -EBADMSG);
	/* texts: UTF-8 without NUL (a lone continuation, an overlong '/', a surrogate) */
	static const char *const bad[] = {"a\0b", "\x80", "\xc0\xaf", "\xed\xa0\x80", "\xe2\x82"};
	static const size_t bad_len[] = {3, 1, 2, 3, 2};

	for (size_t i = 0; i < 5; i++) {
		fill_flow(&r);
		r.v[0] = (struct lw_fleet_value){
			.type = LW_FLEET_TEXT, .s = bad[i], .len = bad_len[i]};
		LW_CHECK_INT(lw_fleet_row_check(&r), -EBADMSG);
	}
	fill_flow(&r);
	r.v[0] = (struct lw_fleet_value){
		.type = LW_FLEET_TEXT, .s = "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", .len = 9};
	LW_CHECK_INT(lw_fleet_row_check(&r), 0);
}

static void test_fleet_ids(void)
{
	char id[LW_FLEET_MSG_ID_MAX];
	char longap[LW_FLEET_AP_MAX + 2];

	LW_CHECK(lw_fleet_ap_valid("ap-1_kitchen"));
	LW_CHECK(!lw_fleet_ap_valid(""));
	LW_CHECK(!lw_fleet_ap_valid("ap.1"));
	LW_CHECK(!lw_fleet_ap_valid("ap*"));
	LW_CHECK(!lw_fleet_ap_valid("ap 1"));
	memset(longap, 'a', sizeof(longap) - 1);
	longap[LW_FLEET_AP_MAX] = 0;
	LW_CHECK(lw_fleet_ap_valid(longap));
	longap[LW_FLEET_AP_MAX] = 'a';
	longap[LW_FLEET_AP_MAX + 1] = 0;
	LW_CHECK(!lw_fleet_ap_valid(longap));
	LW_CHECK(lw_fleet_msg_id(id, sizeof(id), "ap1", "dns", 12, 0) > 0);
	LW_CHECK_STR(id, "ap1.dns.12");
	LW_CHECK(lw_fleet_msg_id(id, sizeof(id), "ap1", "flows", 12, 3) > 0);
	LW_CHECK_STR(id, "ap1.flows.12.3");
	LW_CHECK_INT(lw_fleet_msg_id(id, 5, "ap1", "dns", 12, 0), -ENOSPC);
	LW_CHECK_INT(lw_fleet_table_index("stats"), 7);
	LW_CHECK_INT(lw_fleet_table_index("meta"), -ENOENT);
}

/* a central flag: made from a row's columns, its key, its value, and back */
static void test_fleet_flag_roundtrip(void)
{
	struct lw_fleet_flag f, g;
	char key[LW_FLEET_FLAG_KEY_MAX];
	uint8_t buf[LW_FLEET_FLAG_VALUE_MAX];
	const char *why = NULL;
	int64_t ex = 1800000000;
	int len;

	LW_CHECK_INT(lw_fleet_flag_make(&f, " *.Tracker.Example.", "02-00-5E-10-00-01", "adware",
					&ex, &why),
		     0);
	LW_CHECK_STR(f.domain, "tracker.example");
	LW_CHECK_STR(f.mac, "02:00:5e:10:00:01");
	LW_CHECK(lw_fleet_flag_key(&f, key, sizeof(key)) > 0);
	LW_CHECK_STR(key, "tracker.example=02005e100001");
	len = lw_fleet_flag_encode(&f, buf, sizeof(buf));
	LW_CHECK(len > 0);
	LW_CHECK_INT(lw_fleet_flag_decode(key, buf, (size_t)len, &g, &why), 0);
	LW_CHECK_STR(g.domain, "tracker.example");
	LW_CHECK_STR(g.mac, "02:00:5e:10:00:01");
	LW_CHECK_STR(g.reason, "adware");
	LW_CHECK(g.has_expires && g.expires == ex);
	/* the key must name the value's flag */
	LW_CHECK_INT(lw_fleet_flag_decode("tracker.example", buf, (size_t)len, &g, &why), -EBADMSG);
	LW_CHECK_INT(lw_fleet_flag_decode(NULL, buf, (size_t)len, &g, &why), -EBADMSG);
	/* every truncation is refused */
	for (int n = 0; n < len; n++)
		LW_CHECK_INT(lw_fleet_flag_decode(key, buf, (size_t)n, &g, &why), -EBADMSG);
	/* a flag for every device: the domain alone; no reason, no expiry */
	LW_CHECK_INT(lw_fleet_flag_make(&f, "vnet.cn", NULL, NULL, NULL, &why), 0);
	LW_CHECK(lw_fleet_flag_key(&f, key, sizeof(key)) > 0);
	LW_CHECK_STR(key, "vnet.cn");
	len = lw_fleet_flag_encode(&f, buf, sizeof(buf));
	LW_CHECK_INT(lw_fleet_flag_decode(key, buf, (size_t)len, &g, &why), 0);
	LW_CHECK(!g.mac[0] && !g.reason[0] && !g.has_expires);
	LW_CHECK_INT(lw_fleet_flag_key(&f, key, 7), -ENOSPC);
	/* a key alone (a deleted one) names its flag */
	LW_CHECK_INT(lw_fleet_flag_from_key("vnet.cn", &g), 0);
	LW_CHECK(strcmp(g.domain, "vnet.cn") == 0 && !g.mac[0]);
	LW_CHECK_INT(lw_fleet_flag_from_key("tracker.example=02005e100001", &g), 0);
	LW_CHECK_STR(g.mac, "02:00:5e:10:00:01");
	LW_CHECK_INT(lw_fleet_flag_from_key("tracker.example=02005E100001", &g), -EINVAL);
	LW_CHECK_INT(lw_fleet_flag_from_key("tracker.example=02005e1000", &g), -EINVAL);
	LW_CHECK_INT(lw_fleet_flag_from_key("Vnet.cn", &g), -EINVAL);
	LW_CHECK_INT(lw_fleet_flag_from_key("=02005e100001", &g), -EINVAL);
	LW_CHECK_INT(lw_fleet_flag_from_key("", &g), -EINVAL);
	LW_CHECK_INT(lw_fleet_flag_encode(&f, buf, 10), -ENOSPC);
}

/* what a central row may not be, and values that are not a collector's */
static void test_fleet_flag_refused(void)
{
	struct lw_fleet_flag f, g;
	struct lw_fleet_row row;
	char reason[400];
	uint8_t buf[LW_FLEET_FLAG_VALUE_MAX];
	const char *why = NULL;
	int len;

	LW_CHECK_INT(lw_fleet_flag_make(&f, "bad..domain", NULL, NULL, NULL, &why), -EINVAL);
	LW_CHECK(why && strstr(why, "domain"));
	LW_CHECK_INT(lw_fleet_flag_make(&f, "", NULL, NULL, NULL, &why), -EINVAL);
	LW_CHECK_INT(lw_fleet_flag_make(&f, NULL, NULL, NULL, NULL, &why), -EINVAL);
	LW_CHECK_INT(lw_fleet_flag_make(&f, "a b.example", NULL, NULL, NULL, &why), -EINVAL);
	LW_CHECK_INT(lw_fleet_flag_make(&f, "x.example", "02:00:5e", NULL, NULL, &why), -EINVAL);
	LW_CHECK(why && strstr(why, "mac"));
	/* a long reason is cut at a character, never inside one */
	memset(reason, 'a', sizeof(reason));
	memcpy(reason + LW_FLEET_FLAG_REASON_MAX - 1, "\xc3\xa9", 2);
	reason[sizeof(reason) - 1] = 0;
	LW_CHECK_INT(lw_fleet_flag_make(&f, "x.example", NULL, reason, NULL, &why), 0);
	LW_CHECK_INT(strlen(f.reason), LW_FLEET_FLAG_REASON_MAX - 1);
	/* garbage, and a row of another table */
	LW_CHECK_INT(lw_fleet_flag_decode("x.example", "hello", 5, &g, &why), -EBADMSG);
	fill_flow(&row);
	len = lw_fleet_row_encode(&row, buf, sizeof(buf));
	LW_CHECK_INT(lw_fleet_flag_decode("x.example", buf, (size_t)len, &g, &why), -EBADMSG);
	/* a flagged row whose domain is not one, or not in its normalized form */
	memset(&row, 0, sizeof(row));
	row.table = (unsigned)lw_fleet_table_index("flagged");
	row.n = 6;
	row.v[0] = (struct lw_fleet_value){.type = LW_FLEET_TEXT, .s = "bad..domain", .len = 11};
	len = lw_fleet_row_encode(&row, buf, sizeof(buf));
	LW_CHECK_INT(lw_fleet_flag_decode("bad..domain", buf, (size_t)len, &g, &why), -EBADMSG);
	LW_CHECK(strstr(why, "domain") != NULL);
	row.v[0] = (struct lw_fleet_value){.type = LW_FLEET_TEXT, .s = "X.example", .len = 9};
	len = lw_fleet_row_encode(&row, buf, sizeof(buf));
	LW_CHECK_INT(lw_fleet_flag_decode("x.example", buf, (size_t)len, &g, &why), -EBADMSG);
	LW_CHECK(strstr(why, "normalized") != NULL);
	/* a mac that is not one; an expiry that is text; a reason too long */
	row.v[0] = (struct lw_fleet_value){.type = LW_FLEET_TEXT, .s = "x.example", .len = 9};
	row.v[1] = (struct lw_fleet_value){.type = LW_FLEET_TEXT, .s = "zz", .len = 2};
	len = lw_fleet_row_encode(&row, buf, sizeof(buf));
	LW_CHECK_INT(lw_fleet_flag_decode("x.example", buf, (size_t)len, &g, &why), -EBADMSG);
	row.v[1].type = LW_FLEET_NULL;
	row.v[5] = (struct lw_fleet_value){.type = LW_FLEET_TEXT, .s = "soon", .len = 4};
	len = lw_fleet_row_encode(&row, buf, sizeof(buf));
	LW_CHECK_INT(lw_fleet_flag_decode("x.example", buf, (size_t)len, &g, &why), -EBADMSG);
	row.v[5].type = LW_FLEET_NULL;
	row.v[2] = (struct lw_fleet_value){.type = LW_FLEET_TEXT, .s = reason, .len = 300};
	len = lw_fleet_row_encode(&row, buf, sizeof(buf));
	LW_CHECK_INT(lw_fleet_flag_decode("x.example", buf, (size_t)len, &g, &why), -EBADMSG);
	/* and the same row with nothing wrong is taken */
	row.v[2].type = LW_FLEET_NULL;
	len = lw_fleet_row_encode(&row, buf, sizeof(buf));
	LW_CHECK_INT(lw_fleet_flag_decode("x.example", buf, (size_t)len, &g, &why), 0);
}

static void test_fleet_audit(void)
{
	struct lw_fleet_audit a = {.table = (unsigned)lw_fleet_table_index("dns"),
				   .lo = 10001,
				   .hi = 19999,
				   .count = 9999},
			      b;
	uint8_t buf[LW_FLEET_AUDIT_LEN + 1];
	char key[LW_FLEET_RESEND_KEY_MAX];
	int64_t from = 0;

	LW_CHECK_INT(lw_fleet_audit_encode(&a, buf, sizeof(buf)), LW_FLEET_AUDIT_LEN);
	LW_CHECK_INT(lw_fleet_audit_decode(buf, LW_FLEET_AUDIT_LEN, &b), 0);
	LW_CHECK_INT(b.table, a.table);
	LW_CHECK_INT(b.lo, 10001);
	LW_CHECK_INT(b.hi, 19999);
	LW_CHECK_INT(b.count, 9999);
	/* truncated, one byte more, another format */
	for (size_t n = 0; n < LW_FLEET_AUDIT_LEN; n++)
		LW_CHECK_INT(lw_fleet_audit_decode(buf, n, &b), -EBADMSG);
	buf[LW_FLEET_AUDIT_LEN] = 0;
	LW_CHECK_INT(lw_fleet_audit_decode(buf, LW_FLEET_AUDIT_LEN + 1, &b), -EBADMSG);
	buf[0] = LW_FLEET_FORMAT;
	LW_CHECK_INT(lw_fleet_audit_decode(buf, LW_FLEET_AUDIT_LEN, &b), -EBADMSG);
	/* more rows than ids in the window, none, a window upside down, an unknown table */
	b = a;
	b.count = 10000;
	LW_CHECK_INT(lw_fleet_audit_encode(&b, buf, sizeof(buf)), -EINVAL);
	b.count = 0;
	LW_CHECK_INT(lw_fleet_audit_encode(&b, buf, sizeof(buf)), -EINVAL);
	b = a;
	b.hi = b.lo - 1;
	LW_CHECK_INT(lw_fleet_audit_encode(&b, buf, sizeof(buf)), -EINVAL);
	b = a;
	b.lo = 0;
	LW_CHECK_INT(lw_fleet_audit_encode(&b, buf, sizeof(buf)), -EINVAL);
	b = a;
	b.table = 200;
	LW_CHECK_INT(lw_fleet_audit_encode(&b, buf, sizeof(buf)), -EINVAL);
	/* the same, forged on the wire */
	LW_CHECK_INT(lw_fleet_audit_encode(&a, buf, sizeof(buf)), LW_FLEET_AUDIT_LEN);
	buf[25] = 0x10; /* count 10000 in 9999 ids */
	buf[24] = 0x27;
	LW_CHECK_INT(lw_fleet_audit_decode(buf, LW_FLEET_AUDIT_LEN, &b), -EBADMSG);
	LW_CHECK_INT(lw_fleet_audit_encode(&a, buf, sizeof(buf)), LW_FLEET_AUDIT_LEN);
	buf[2] = 0x80; /* a negative lo */
	LW_CHECK_INT(lw_fleet_audit_decode(buf, LW_FLEET_AUDIT_LEN, &b), -EBADMSG);

	LW_CHECK_INT(lw_fleet_resend_key(key, sizeof(key), "ap-1", a.table), 8);
	LW_CHECK_STR(key, "ap-1.dns");
	LW_CHECK_INT(lw_fleet_resend_key(key, sizeof(key), "ap.1", a.table), -EINVAL);
	LW_CHECK_INT(lw_fleet_resend_key(key, sizeof(key), "ap1", 200), -EINVAL);
	LW_CHECK_INT(lw_fleet_resend_key(key, 4, "ap1", a.table), -ENOSPC);
	LW_CHECK_INT(lw_fleet_resend_parse("10001", 5, &from), 0);
	LW_CHECK_INT(from, 10001);
	LW_CHECK_INT(lw_fleet_resend_parse("0", 1, &from), -EINVAL);
	LW_CHECK_INT(lw_fleet_resend_parse("-5", 2, &from), -EINVAL);
	LW_CHECK_INT(lw_fleet_resend_parse(" 5", 2, &from), -EINVAL);
	LW_CHECK_INT(lw_fleet_resend_parse("", 0, &from), -EINVAL);
	LW_CHECK_INT(lw_fleet_resend_parse("9999999999999999999", 19, &from), -EINVAL);
	LW_CHECK_INT(from, 10001);
}

int main(void)
{
	LW_TEST(test_fleet_row_roundtrip);
	LW_TEST(test_fleet_row_truncated);
	LW_TEST(test_fleet_row_bad_header);
	LW_TEST(test_fleet_row_check);
	LW_TEST(test_fleet_ids);
	LW_TEST(test_fleet_flag_roundtrip);
	LW_TEST(test_fleet_flag_refused);
	LW_TEST(test_fleet_audit);
	return lw_test_end();
}
