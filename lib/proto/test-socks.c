/* SPDX-License-Identifier: MIT */
/*
 * SOCKS client handshakes: SOCKS4, 4A, SOCKS5 with every address type and with RFC 1929
 * authentication, every prefix (needs more), bytes that only start like SOCKS, and every input
 * placed against an unreadable page.
 */
#include <errno.h>
#include <string.h>

#include "proto/socks.h"
#include "lw-test.h"

struct socks_case {
	const char *why;
	const char *in;
	size_t total;
	size_t tail; /* bytes after the handshake (the tunnelled stream's start) */
	uint8_t version, cmd;
	const char *host;
	uint8_t family;
	uint16_t port;
};

#define S(lit) lit, sizeof(lit) - 1

static const struct socks_case cases[] = {
	{"socks4 connect",
	 S("\x04\x01\x00\x50\xc6\x33\x64\x07"
	   "fred\0"),
	 0, 4, 1, "", 4, 80},
	{"socks4a name", S("\x04\x01\x01\xbb\x00\x00\x00\x01\0www.example.com\0"), 0, 4, 1,
	 "www.example.com", 0, 443},
	{"socks4a then tls", S("\x04\x01\x01\xbb\x00\x00\x00\x01u\0a.example\0\x16\x03\x01"), 3, 4,
	 1, "a.example", 0, 443},
	{"socks5 domain",
	 S("\x05\x01\x00\x05\x01\x00\x03\x0b"
	   "example.org\x00\x50"),
	 0, 5, 1, "example.org", 0, 80},
	{"socks5 two methods, ipv4", S("\x05\x02\x00\x02\x05\x01\x00\x01\xc6\x33\x64\x07\x01\xbb"),
	 0, 5, 1, "", 4, 443},
	{"socks5 ipv6",
	 S("\x05\x01\x00\x05\x01\x00\x04\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x01"
	   "\x00\x50GET"),
	 3, 5, 1, "", 6, 80},
	{"socks5 user/pass",
	 S("\x05\x01\x02\x01\x04user\x04pass\x05\x01\x00\x03\x09"
	   "a.example\x01\xbb"),
	 0, 5, 1, "a.example", 0, 443},
	{"socks5 udp associate", S("\x05\x01\x00\x05\x03\x00\x01\0\0\0\0\0\0"), 0, 5, 3, "", 4, 0},
};

/* the handshake's length */
static size_t hs_len(const struct socks_case *c)
{
	return c->total - c->tail;
}

static void test_valid(void)
{
	size_t i;

	for (i = 0; i < LW_ARRAY_SIZE(cases); i++) {
		const struct socks_case *c = &cases[i];
		size_t want = hs_len(c);
		struct lw_socks_request r;

		LW_FOR_EACH_PREFIX(c->in, c->total, p, n, {
			int ret = lw_socks_parse_client(p, n, &r);

			if (n < want)
				LW_CHECK_INT(ret, LW_NEED_MORE);
			else
				LW_CHECK_INT(ret, (int)want);
		});
		{
			struct lw_test_guard_buf g;
			const uint8_t *p = lw_test_guard(c->in, c->total, &g);

			if (lw_socks_parse_client(p, c->total, &r) != (int)want)
				fprintf(stderr, "case %s\n", c->why);
			LW_CHECK_INT(r.version, c->version);
			LW_CHECK_INT(r.cmd, c->cmd);
			LW_CHECK_STR(r.host, c->host);
			LW_CHECK_INT(r.addr.family, c->family);
			LW_CHECK_INT(r.port, c->port);
			lw_test_unguard(&g);
		}
	}
}

static void test_invalid(void)
{
	static const struct {
		const char *why;
		const char *in;
		size_t len;
	} bad[] = {
		{"version 6", S("\x06\x01\x00")},
		{"socks4 bad command", S("\x04\x03\x00\x50\x01\x02\x03\x04\0")},
		{"socks4 control in user", S("\x04\x01\x00\x50\x01\x02\x03\x04u\x01\0")},
		{"socks4a control in name", S("\x04\x01\x00\x50\0\0\0\x01\0a\nb\0")},
		{"socks5 no methods", S("\x05\x00\x05")},
		{"socks5 too many methods", S("\x05\x20")},
		{"socks5 method ff", S("\x05\x01\xff\x05")},
		{"socks5 request version", S("\x05\x01\x00\x04\x01\x00\x01")},
		{"socks5 reserved", S("\x05\x01\x00\x05\x01\x01\x01")},
		{"socks5 command 4", S("\x05\x01\x00\x05\x04\x00\x01")},
		{"socks5 atyp 2", S("\x05\x01\x00\x05\x01\x00\x02")},
		{"socks5 empty name", S("\x05\x01\x00\x05\x01\x00\x03\x00")},
		{"socks5 auth not offered", S("\x05\x01\x00\x01\x04user")},
		{"socks5 empty user", S("\x05\x01\x02\x01\x00")},
		{"text", S("\x05hello world")},
	};
	size_t i;

	for (i = 0; i < LW_ARRAY_SIZE(bad); i++) {
		struct lw_socks_request r;
		struct lw_test_guard_buf g;
		const uint8_t *p = lw_test_guard(bad[i].in, bad[i].len, &g);
		int ret = lw_socks_parse_client(p, bad[i].len, &r);

		if (ret != -EBADMSG)
			fprintf(stderr, "invalid case \"%s\": %d\n", bad[i].why, ret);
		LW_CHECK_INT(ret, -EBADMSG);
		lw_test_unguard(&g);
	}
}

/* A SOCKS4 user id longer than the limit is refused, not waited for. */
static void test_limits(void)
{
	uint8_t in[8 + LW_SOCKS_USERID_MAX + 2] = {4, 1, 0, 80, 1, 2, 3, 4};
	struct lw_socks_request r;

	memset(in + 8, 'u', sizeof(in) - 8);
	LW_CHECK_INT(lw_socks_parse_client(in, sizeof(in), &r), -EBADMSG);
	in[8 + LW_SOCKS_USERID_MAX] = 0;
	LW_CHECK_INT(lw_socks_parse_client(in, 8 + LW_SOCKS_USERID_MAX + 1, &r),
		     8 + LW_SOCKS_USERID_MAX + 1);
	LW_CHECK_INT(lw_socks_parse_client(NULL, 0, &r), LW_NEED_MORE);
}

int main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	LW_TEST(test_valid);
	LW_TEST(test_invalid);
	LW_TEST(test_limits);
	return lw_test_end();
}
