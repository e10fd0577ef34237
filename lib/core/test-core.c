/* SPDX-License-Identifier: MIT */
#include <arpa/inet.h>

#include "core/cursor.h"
#include "core/types.h"
#include "lw-test.h"

static void test_cursor_reads(void)
{
	static const uint8_t in[] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07};
	struct lw_test_guard_buf g;
	const uint8_t *p = lw_test_guard(in, sizeof(in), &g);
	struct lw_cursor c = lw_cursor_make(p, sizeof(in)), s;

	LW_CHECK_INT(lw_cursor_u8(&c), 1);
	LW_CHECK_INT(lw_cursor_be16(&c), 0x0203);
	s = lw_cursor_sub(&c, 2);
	LW_CHECK_INT(lw_cursor_be16(&s), 0x0405);
	LW_CHECK_INT(lw_cursor_u8(&s), 0); /* past the sub-cursor */
	LW_CHECK(s.err != 0);
	LW_CHECK_INT(lw_cursor_be24(&c), 0); /* only 2 left */
	LW_CHECK(c.err != 0);
	LW_CHECK_INT(lw_cursor_left(&c), 0);
	LW_CHECK(lw_cursor_bytes(&c, 1) == NULL); /* sticky */
	lw_test_unguard(&g);
}

static void test_cursor_sub_too_long(void)
{
	static const uint8_t in[] = {0x05, 0xaa};
	struct lw_cursor c = lw_cursor_make(in, sizeof(in)), s;

	s = lw_cursor_sub(&c, lw_cursor_u8(&c));
	LW_CHECK(c.err != 0);
	LW_CHECK(s.err != 0);
	LW_CHECK_INT(lw_cursor_left(&s), 0);
}

static void test_varint(void)
{
	/* RFC 9000 appendix A.1 examples */
	static const uint8_t v8[] = {0xc2, 0x19, 0x7c, 0x5e, 0xff, 0x14, 0xe8, 0x8c};
	static const uint8_t v4[] = {0x9d, 0x7f, 0x3e, 0x7d};
	static const uint8_t v2[] = {0x7b, 0xbd};
	static const uint8_t v1[] = {0x25};
	struct lw_cursor c;

	c = lw_cursor_make(v8, 8);
	LW_CHECK(lw_cursor_varint(&c) == 151288809941952652ULL);
	c = lw_cursor_make(v4, 4);
	LW_CHECK_INT(lw_cursor_varint(&c), 494878333);
	c = lw_cursor_make(v2, 2);
	LW_CHECK_INT(lw_cursor_varint(&c), 15293);
	c = lw_cursor_make(v1, 1);
	LW_CHECK_INT(lw_cursor_varint(&c), 37);
	c = lw_cursor_make(v8, 7);
	(void)lw_cursor_varint(&c);
	LW_CHECK(c.err != 0);
}

static void test_mac(void)
{
	static const char *ok[] = {"aa:bb:cc:dd:ee:0f", "AA-BB-CC-DD-EE-0F", "aabb.ccdd.ee0f",
				   "AABBCCDDEE0F"};
	static const char *bad[] = {"aa:bb:cc:dd:ee",	  "aa:bb-cc:dd:ee:0f", "aabbccddee0g",
				    "aa:bb:cc:dd:ee:0f:", "a:abb:cc:dd:ee:0f", ""};
	struct lw_mac m;
	char buf[LW_MAC_STRLEN];
	size_t i;

	for (i = 0; i < LW_ARRAY_SIZE(ok); i++) {
		LW_CHECK_INT(lw_mac_parse(ok[i], &m), 0);
		LW_CHECK_STR(lw_mac_str(&m, buf), "aa:bb:cc:dd:ee:0f");
	}
	for (i = 0; i < LW_ARRAY_SIZE(bad); i++)
		LW_CHECK(lw_mac_parse(bad[i], &m) < 0);
	LW_CHECK(lw_mac_is_local(&(struct lw_mac){{0x02, 0, 0, 0, 0, 0}}));
	LW_CHECK(!lw_mac_is_local(&(struct lw_mac){{0x00, 0x1a, 0, 0, 0, 0}}));
}

static void test_addr(void)
{
	struct lw_addr a, b;
	char buf[LW_ADDR_STRLEN];

	LW_CHECK_INT(lw_addr_parse("192.0.2.7", &a), 0);
	LW_CHECK_INT(a.family, 4);
	LW_CHECK_STR(lw_addr_str(&a, buf), "192.0.2.7");
	LW_CHECK_INT(lw_addr_parse("2001:db8::1", &b), 0);
	LW_CHECK_INT(b.family, 6);
	LW_CHECK_STR(lw_addr_str(&b, buf), "2001:db8::1");
	LW_CHECK(!lw_addr_eq(&a, &b));
	LW_CHECK(lw_addr_parse("192.0.2.300", &a) < 0);
	/* IPv4 is formatted by hand: every octet value in every position, as inet_ntop says */
	for (unsigned v = 0; v < 256; v++) {
		char want[INET_ADDRSTRLEN];

		a.family = 4;
		a.b[0] = (uint8_t)v;
		a.b[1] = (uint8_t)(255 - v);
		a.b[2] = (uint8_t)(v * 7);
		a.b[3] = (uint8_t)(v / 3);
		inet_ntop(AF_INET, a.b, want, sizeof(want));
		LW_CHECK_STR(lw_addr_str(&a, buf), want);
	}
}

static void test_hash(void)
{
	/* SipHash-2-4 reference vector: key 00..0f, empty input -> 0x726fdb47dd0e0e31 */
	static const uint8_t key[16] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
	uint8_t in[15];
	size_t i;

	lw_hash_seed(key);
	LW_CHECK(lw_hash("", 0) == 0x726fdb47dd0e0e31ULL);
	for (i = 0; i < sizeof(in); i++)
		in[i] = (uint8_t)i;
	/* vector for 15 bytes 00..0e */
	LW_CHECK(lw_hash(in, 15) == 0xa129ca6149be45e5ULL);
}

int main(void)
{
	LW_TEST(test_cursor_reads);
	LW_TEST(test_cursor_sub_too_long);
	LW_TEST(test_varint);
	LW_TEST(test_mac);
	LW_TEST(test_addr);
	LW_TEST(test_hash);
	return lw_test_end();
}
