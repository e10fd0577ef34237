/* SPDX-License-Identifier: MIT */
/* Unit tests for lib/block without root: nft command text, names, timeouts, queue rules. */
#include <errno.h>
#include <string.h>

#include "block/block.h"
#include "block/hold.h"
#include "lw-test.h"

static struct lw_block_elem elem(const char *ip, const char *mac)
{
	struct lw_block_elem e;

	memset(&e, 0, sizeof(e));
	if (lw_addr_parse(ip, &e.addr) < 0)
		abort();
	if (mac) {
		e.has_mac = true;
		if (lw_mac_parse(mac, &e.mac) < 0)
			abort();
	}
	return e;
}

static void test_table_names(void)
{
	enum lw_block_family f;

	LW_CHECK(lw_block_table_name_valid("leakwatch"));
	LW_CHECK(lw_block_table_name_valid("lw_lab-1"));
	LW_CHECK(lw_block_table_name_valid("a"));
	LW_CHECK(!lw_block_table_name_valid(""));
	LW_CHECK(!lw_block_table_name_valid("1abc"));
	LW_CHECK(!lw_block_table_name_valid("lw table"));
	LW_CHECK(!lw_block_table_name_valid("lw;flush ruleset"));
	LW_CHECK(!lw_block_table_name_valid("abcdefghijabcdefghijabcdefghijab")); /* 32 */
	LW_CHECK(lw_block_table_name_valid("abcdefghijabcdefghijabcdefghija")); /* 31 */
	LW_CHECK_INT(lw_block_family_parse("bridge", &f), 0);
	LW_CHECK_INT(f, LW_BLOCK_BRIDGE);
	LW_CHECK_INT(lw_block_family_parse("inet", &f), 0);
	LW_CHECK_INT(f, LW_BLOCK_INET);
	LW_CHECK_INT(lw_block_family_parse("ip", &f), -EINVAL);
	LW_CHECK_STR(lw_block_family_str(LW_BLOCK_INET), "inet");
}

static void test_setup_text(void)
{
	struct lw_block_text t = {0};

	lw_block_cmd_setup(&t, LW_BLOCK_BRIDGE, "lw");
	LW_CHECK_INT(t.err, 0);
	LW_CHECK(strncmp(t.p, "add table bridge lw\n", 20) == 0);
	LW_CHECK(strstr(t.p, "add set bridge lw ipv4 { type ipv4_addr; flags timeout; size "
			     "65536; }\n") != NULL);
	LW_CHECK(strstr(t.p, "add set bridge lw mac_ipv6 { type ether_addr . ipv6_addr; flags "
			     "timeout; size 65536; }\n") != NULL);
	LW_CHECK(strstr(t.p, "add chain bridge lw forward { type filter hook forward priority "
			     "-200; policy accept; }\n") != NULL);
	/* the chain is emptied before its rules go in, so a restart does not double them */
	LW_CHECK(strstr(t.p, "flush chain bridge lw forward\n") <
		 strstr(t.p, "add rule bridge lw forward"));
	LW_CHECK(strstr(t.p, "add rule bridge lw forward ip daddr @ipv4 counter drop\n") != NULL);
	LW_CHECK(strstr(t.p, "add rule bridge lw forward ip saddr @ipv4 counter drop\n") != NULL);
	LW_CHECK(strstr(t.p, "add rule bridge lw forward ip6 saddr @ipv6 counter drop\n") != NULL);
	LW_CHECK(strstr(t.p, "add rule bridge lw forward ether saddr . ip daddr @mac_ipv4 counter "
			     "drop\n") != NULL);
	LW_CHECK(strstr(t.p, "add rule bridge lw forward ether daddr . ip6 saddr @mac_ipv6 "
			     "counter drop\n") != NULL);
	/* never anything that would touch other tables */
	LW_CHECK(strstr(t.p, "flush ruleset") == NULL);

	lw_block_text_reset(&t);
	lw_block_cmd_setup(&t, LW_BLOCK_INET, "lw");
	LW_CHECK(strstr(t.p, "add chain inet lw forward { type filter hook forward priority 0; "
			     "policy accept; }\n") != NULL);
	LW_CHECK(strstr(t.p, "ether saddr . ip daddr @mac_ipv4") != NULL);
	/* routed replies carry the router's MAC: no per-device rule on the way back */
	LW_CHECK(strstr(t.p, "ether daddr") == NULL);
	lw_block_text_free(&t);
}

static void test_element_text(void)
{
	struct lw_block_text t = {0};
	struct lw_block_elem e[5];
	uint32_t to[5] = {300, 0, 60, 86400u * 400, 5};

	e[0] = elem("198.51.100.10", NULL);
	e[1] = elem("2001:db8::1", NULL);
	e[2] = elem("198.51.100.11", NULL);
	e[3] = elem("203.0.113.5", "02:10:00:00:00:01");
	e[4] = elem("2001:db8::2", "3C-28-6D-00-00-02");
	lw_block_cmd_add(&t, LW_BLOCK_BRIDGE, "lw", e, to, 5);
	LW_CHECK_INT(t.err, 0);
	/* one command per set, in set order; a zero timeout becomes 1 s, a huge one is capped */
	LW_CHECK_STR(t.p,
		     "add element bridge lw ipv4 { 198.51.100.10 timeout 300s, "
		     "198.51.100.11 timeout 60s }\n"
		     "add element bridge lw ipv6 { 2001:db8::1 timeout 1s }\n"
		     "add element bridge lw mac_ipv4 { 02:10:00:00:00:01 . 203.0.113.5 timeout "
		     "31536000s }\n"
		     "add element bridge lw mac_ipv6 { 3c:28:6d:00:00:02 . 2001:db8::2 timeout "
		     "5s }\n");

	lw_block_text_reset(&t);
	lw_block_cmd_del(&t, LW_BLOCK_INET, "lw", &e[3], 1);
	LW_CHECK_STR(t.p, "delete element inet lw mac_ipv4 { 02:10:00:00:00:01 . 203.0.113.5 }\n");

	lw_block_text_reset(&t);
	lw_block_cmd_flush_sets(&t, LW_BLOCK_BRIDGE, "lw");
	LW_CHECK_STR(t.p, "flush set bridge lw ipv4\nflush set bridge lw ipv6\n"
			  "flush set bridge lw mac_ipv4\nflush set bridge lw mac_ipv6\n");

	/* adds without timeouts are refused: nothing may stay in the sets forever */
	lw_block_text_reset(&t);
	lw_block_cmd_add(&t, LW_BLOCK_BRIDGE, "lw", e, NULL, 1);
	LW_CHECK_INT(t.err, -EINVAL);

	/* nothing to add: no command at all */
	lw_block_text_reset(&t);
	lw_block_cmd_add(&t, LW_BLOCK_BRIDGE, "lw", e, to, 0);
	LW_CHECK_INT(t.len, 0);
	lw_block_text_free(&t);
}

static void test_text_limit(void)
{
	struct lw_block_text t = {0};
	size_t i;

	for (i = 0; i < LW_BLOCK_BATCH_MAX / 32 && !t.err; i++)
		lw_block_text_printf(&t, "add element bridge lw ipv4 { %zu }\n", i);
	LW_CHECK_INT(t.err, -E2BIG);
	LW_CHECK(t.len <= LW_BLOCK_BATCH_MAX);
	LW_CHECK(t.len > LW_BLOCK_BATCH_MAX - 64);
	/* the text stays a whole string up to the last line that fitted */
	LW_CHECK_INT(strlen(t.p), t.len);
	LW_CHECK(t.p[t.len - 1] == '\n');
	lw_block_text_free(&t);
}

static void test_names(void)
{
	LW_CHECK_STR(lw_block_name_parent("a.b.vnet.cn"), "b.vnet.cn");
	LW_CHECK_STR(lw_block_name_parent("vnet.cn"), "cn");
	LW_CHECK(lw_block_name_parent("cn") == NULL);
	LW_CHECK(lw_block_name_parent("") == NULL);
	LW_CHECK(lw_block_name_parent("cn.") == NULL);
	/* escaped dots are inside a label */
	LW_CHECK_STR(lw_block_name_parent("evil\\.vnet.cn"), "cn");
	LW_CHECK_STR(lw_block_name_parent("a\\046b.cn"), "cn");
	LW_CHECK_STR(lw_block_name_parent("a\\\\.cn"), "cn");
	LW_CHECK(lw_block_name_parent("trailing\\") == NULL);

	LW_CHECK(lw_block_domain_covers("vnet.cn", "vnet.cn"));
	LW_CHECK(lw_block_domain_covers("vnet.cn", "zzhc.vnet.cn"));
	LW_CHECK(lw_block_domain_covers("vnet.cn", "a.b.vnet.cn"));
	LW_CHECK(!lw_block_domain_covers("vnet.cn", "xvnet.cn"));
	LW_CHECK(!lw_block_domain_covers("vnet.cn", "cn"));
	LW_CHECK(!lw_block_domain_covers("vnet.cn", "vnet.cn.example"));
	LW_CHECK(!lw_block_domain_covers("vnet.cn", "evil\\.vnet.cn"));
	LW_CHECK(!lw_block_domain_covers("", "vnet.cn"));
	LW_CHECK(lw_block_domain_covers("cn", "a.vnet.cn"));
}

static void test_ttl(void)
{
	LW_CHECK_INT(lw_block_ttl_clamp(0, 300, 86400), 300);
	LW_CHECK_INT(lw_block_ttl_clamp(299, 300, 86400), 300);
	LW_CHECK_INT(lw_block_ttl_clamp(3600, 300, 86400), 3600);
	LW_CHECK_INT(lw_block_ttl_clamp(86401, 300, 86400), 86400);
	LW_CHECK_INT(lw_block_ttl_clamp(0xffffffffu, 0, 0xffffffffu), LW_BLOCK_TIMEOUT_MAX);
	LW_CHECK_INT(lw_block_ttl_clamp(10, 600, 60), 60); /* max wins */
}

/* libnftnl prints one expression per line: make it one line with single spaces */
static void one_line(char *s)
{
	char *w = s;
	bool space = false;

	for (; *s; s++) {
		if (*s == ' ' || *s == '\n') {
			space = true;
			continue;
		}
		if (space && w != s)
			*w++ = ' ';
		space = false;
		*w++ = *s;
	}
	*w = '\0';
}

/*
 * libnftnl prints a register's data as 32-bit words in the host's byte order: the bytes of
 * udp port 53 (00 35) are 0x00003500 on a little-endian host, 0x00350000 on a big-endian one.
 */
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define XT_UDP "0x11000000"
#define XT_PORT53 "0x00350000"
#define XT_LO "0x6c6f0000"
#define XT_SYN_RST "0x06000000"
#define XT_PORT443 "0x01bb0000"
#else
#define XT_UDP "0x00000011"
#define XT_PORT53 "0x00003500"
#define XT_LO "0x00006f6c"
#define XT_SYN_RST "0x00000006"
#define XT_PORT443 "0x0000bb01"
#endif

static void test_xtables_rules(void)
{
	struct lw_hold_rules r = {.table = "lw", .queue = 4747, .what = LW_HOLD_RULES_DNS};
	char buf[2048];
	size_t i;
	int n;

	LW_CHECK_INT(lw_hold_xt_rule_count(), 4);
	for (i = 0; i < lw_hold_xt_rule_count(); i++) {
		n = lw_hold_xt_rule_text(&r, i, i % 2 == 1, buf, sizeof(buf));
		LW_CHECK(n > 0);
		one_line(buf);
		/* every rule is in our own table and ends in the NFQUEUE target */
		LW_CHECK(strstr(buf, i % 2 ? "ip6 lw_hold " : "ip lw_hold ") == buf);
		LW_CHECK(strstr(buf, "[ target name NFQUEUE rev 3 ]") != NULL);
	}
	/* the DNS answers: udp sport 53, as nft would write it */
	lw_hold_xt_rule_text(&r, 0, false, buf, sizeof(buf));
	one_line(buf);
	LW_CHECK(strstr(buf, "ip lw_hold forward") == buf);
	LW_CHECK(strstr(buf, "[ meta load l4proto => reg 1 ] [ cmp eq reg 1 " XT_UDP " ] "
			     "[ payload load 2b @ transport header + 0 => reg 1 ] "
			     "[ cmp eq reg 1 " XT_PORT53 " ]") != NULL);
	/* the AP's own resolver: in output, not to lo */
	lw_hold_xt_rule_text(&r, 1, false, buf, sizeof(buf));
	one_line(buf);
	LW_CHECK(strstr(buf, "ip lw_hold output") == buf);
	LW_CHECK(strstr(buf, "[ meta load oifname => reg 1 ] [ cmp neq reg 1 " XT_LO " 0x00000000 "
			     "0x00000000 0x00000000 ]") != NULL);
	/* TCP starts: no SYN/RST, original direction, the first packets (connbytes) */
	lw_hold_xt_rule_text(&r, 2, false, buf, sizeof(buf));
	one_line(buf);
	LW_CHECK(strstr(buf, "[ bitwise reg 1 = ( reg 1 & " XT_SYN_RST " ) ^ 0x00000000 ] "
			     "[ cmp eq reg 1 0x00000000 ] [ ct load direction => reg 1 ] "
			     "[ cmp eq reg 1 0x00000000 ] [ match name connbytes rev 0 ]") != NULL);
	/* QUIC: udp dport 443 (0x01bb), the first packets */
	lw_hold_xt_rule_text(&r, 3, false, buf, sizeof(buf));
	one_line(buf);
	LW_CHECK(strstr(buf, "[ payload load 2b @ transport header + 2 => reg 1 ] "
			     "[ cmp eq reg 1 " XT_PORT443 " ]") != NULL);
	LW_CHECK(strstr(buf, "[ match name connbytes rev 0 ]") != NULL);
	LW_CHECK_INT(lw_hold_xt_rule_text(&r, 4, false, buf, sizeof(buf)), -ENOENT);
}

static void test_nft_hold_text(void)
{
	struct lw_hold_rules r = {.table = "lw", .queue = 7, .what = LW_HOLD_RULES_DNS};
	struct lw_block_text t = {0};

	lw_hold_cmd_nft(&t, &r);
	LW_CHECK(strstr(t.p, "add table inet lw_hold\n") != NULL);
	LW_CHECK(strstr(t.p, "add rule inet lw_hold forward udp sport 53 queue num 7 bypass\n") !=
		 NULL);
	LW_CHECK(strstr(t.p, "ct original packets") == NULL); /* no hello rules asked for */
	r.what |= LW_HOLD_RULES_HELLO;
	lw_hold_cmd_nft(&t, &r);
	LW_CHECK(strstr(t.p, "ct original packets 1-6 queue num 7 bypass\n") != NULL);
	/* "<table>_hold" must itself be a table name */
	snprintf(r.table, sizeof(r.table), "abcdefghijabcdefghijabcdefghij");
	lw_hold_cmd_nft(&t, &r);
	LW_CHECK_INT(t.len, 0);
	lw_block_text_free(&t);
}

int main(void)
{
	LW_TEST(test_table_names);
	LW_TEST(test_setup_text);
	LW_TEST(test_element_text);
	LW_TEST(test_text_limit);
	LW_TEST(test_names);
	LW_TEST(test_ttl);
	LW_TEST(test_xtables_rules);
	LW_TEST(test_nft_hold_text);
	return lw_test_end();
}
