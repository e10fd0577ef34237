/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdint.h>

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

int main(void)
{
	LW_TEST(test_fleet_row_roundtrip);
	LW_TEST(test_fleet_row_truncated);
	LW_TEST(test_fleet_row_bad_header);
	LW_TEST(test_fleet_row_check);
	LW_TEST(test_fleet_ids);
	return lw_test_end();
}
