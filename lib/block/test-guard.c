/* SPDX-License-Identifier: MIT */
#include <errno.h>

#include "lw-test.h"
#include "block/guard.h"

static struct lw_addr ip(const char *s)
{
	struct lw_addr a;

	LW_CHECK_INT(lw_addr_parse(s, &a), 0);
	return a;
}

static bool allows(struct lw_block_guard *g, const char *s)
{
	struct lw_addr a = ip(s);

	return lw_block_guard_allows(g, &a);
}

/* The lab's household: LAN 192.0.2.0/24, AP and resolver 192.0.2.2, gateway 192.0.2.1. */
static void test_household(void)
{
	struct lw_block_guard g;
	struct lw_prefix lan;
	struct lw_addr gw = ip("192.0.2.1"), resolver = ip("198.51.100.53");

	lw_block_guard_init(&g);
	LW_CHECK_INT(lw_prefix_parse("192.0.2.0/24", &lan), 0);
	LW_CHECK_INT(lw_block_guard_add_prefix(&g, &lan), 0);
	LW_CHECK_INT(lw_block_guard_add_addr(&g, &gw), 0);
	LW_CHECK_INT(lw_block_guard_add_addr(&g, &resolver), 0);
	LW_CHECK(!allows(&g, "192.0.2.2"));
	LW_CHECK(!allows(&g, "192.0.2.12"));
	LW_CHECK(!allows(&g, "198.51.100.53"));
	LW_CHECK(!allows(&g, "::ffff:192.0.2.2"));
	LW_CHECK(!allows(&g, "::ffff:198.51.100.53"));
	LW_CHECK(allows(&g, "203.0.113.10"));
	LW_CHECK(allows(&g, "198.51.100.54"));
	LW_CHECK(allows(&g, "2001:db8::10"));
	LW_CHECK_INT(g.refused, 5);
}

static void test_special(void)
{
	struct lw_block_guard g;
	static const char *const never[] = {
		"0.0.0.0",     "127.0.0.1",	   "127.1.2.3",
		"224.0.0.251", "239.255.255.250",  "255.255.255.255",
		"240.0.0.1",   "169.254.1.1",	   "::",
		"::1",	       "fe80::1",	   "febf::1",
		"ff02::fb",    "::ffff:127.0.0.1", "::ffff:0.0.0.0",
	};
	static const char *const fine[] = {"1.1.1.1", "9.9.9.9", "2606:4700::1111", "fec0::1",
					   "::ffff:203.0.113.9"};
	size_t i;

	lw_block_guard_init(&g);
	for (i = 0; i < LW_ARRAY_SIZE(never); i++)
		if (allows(&g, never[i]))
			LW_CHECK_STR(never[i], "(refused)");
	for (i = 0; i < LW_ARRAY_SIZE(fine); i++)
		if (!allows(&g, fine[i]))
			LW_CHECK_STR(fine[i], "(allowed)");
}

static void test_resolv_conf(void)
{
	struct lw_block_guard g;
	const char *text = "# generated\n"
			   "search lan\n"
			   "nameserver 192.0.2.2\n"
			   "  nameserver\t2001:db8::53  # v6\n"
			   "nameserver fe80::1%br0\n"
			   "nameserver not-an-address\n"
			   "nameservers 9.9.9.9\n"
			   "options edns0\n"
			   "nameserver 198.51.100.53";

	lw_block_guard_init(&g);
	LW_CHECK_INT(lw_block_guard_add_resolv_conf(&g, text), 4);
	LW_CHECK_INT(g.n_addrs, 4);
	LW_CHECK(!allows(&g, "192.0.2.2"));
	LW_CHECK(!allows(&g, "2001:db8::53"));
	LW_CHECK(!allows(&g, "198.51.100.53"));
	LW_CHECK(allows(&g, "9.9.9.9"));
	LW_CHECK_INT(lw_block_guard_add_resolv_conf(&g, ""), 0);
	LW_CHECK_INT(lw_block_guard_add_resolv_conf(&g, NULL), 0);
}

static void test_bounded(void)
{
	struct lw_block_guard g;
	struct lw_addr a = ip("198.51.100.1");
	int i, r = 0;

	lw_block_guard_init(&g);
	for (i = 0; i < LW_GUARD_MAX_ADDRS + 5; i++) {
		a.b[3] = (uint8_t)i;
		r = lw_block_guard_add_addr(&g, &a);
		if (i < LW_GUARD_MAX_ADDRS)
			LW_CHECK_INT(r, 0);
	}
	LW_CHECK_INT(r, -ENOSPC);
	a.b[3] = 0;
	LW_CHECK_INT(lw_block_guard_add_addr(&g, &a), 0); /* already there: not an error */
	LW_CHECK_INT(g.n_addrs, LW_GUARD_MAX_ADDRS);
}

int main(void)
{
	LW_TEST(test_household);
	LW_TEST(test_special);
	LW_TEST(test_resolv_conf);
	LW_TEST(test_bounded);
	return lw_test_end();
}
