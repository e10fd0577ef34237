/* SPDX-License-Identifier: MIT */
/*
 * STARTTLS family: the upgrade commands as clients send them (and lines that only resemble
 * them), RDP's X.224 connection request with every prefix, and the ClientHello record start.
 */
#include <errno.h>
#include <string.h>

#include "proto/starttls.h"
#include "lw-test.h"

#define S(lit) lit, sizeof(lit) - 1

static void test_commands(void)
{
	static const struct {
		const char *in;
		size_t len;
		enum lw_starttls want;
	} cases[] = {
		{S("STARTTLS\r\n"), LW_STARTTLS_SMTP},
		{S("EHLO client.example.com\r\nSTARTTLS\r\n"), LW_STARTTLS_SMTP},
		{S("starttls\n"), LW_STARTTLS_SMTP},
		{S("a001 STARTTLS\r\n"), LW_STARTTLS_IMAP},
		{S("A2 starttls\r\n"), LW_STARTTLS_IMAP},
		{S("STLS\r\n"), LW_STARTTLS_POP3},
		{S("AUTH TLS\r\n"), LW_STARTTLS_FTP},
		{S("AUTH SSL\r\n"), LW_STARTTLS_FTP},
		{S("\x30\x1d\x02\x01\x01\x77\x18\x80\x16"
		   "1.3.6.1.4.1.1466.20037"),
		 LW_STARTTLS_LDAP},
		{S("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"), LW_STARTTLS_XMPP},
		{S("<starttls xmlns=\"urn:ietf:params:xml:ns:xmpp-tls\"></starttls>\r\n"),
		 LW_STARTTLS_XMPP},
		/* not upgrades */
		{S("STARTTLS"), LW_STARTTLS_NONE}, /* the line is not finished */
		{S("MAIL FROM:<a@example.com> STARTTLS\r\n"), LW_STARTTLS_NONE},
		{S("STARTTLS\r\nQUIT\r\n"), LW_STARTTLS_NONE},
		{S("a+ STARTTLS\r\n"), LW_STARTTLS_NONE},
		{S(" STARTTLS\r\n"), LW_STARTTLS_NONE},
		{S("AUTH PLAIN\r\n"), LW_STARTTLS_NONE},
		{S("1.3.6.1.4.1.1466.20037"), LW_STARTTLS_NONE},
		{S("<message>urn:ietf:params:xml:ns:xmpp-tls</message>"), LW_STARTTLS_NONE},
		{S("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'"), LW_STARTTLS_NONE},
		{S(""), LW_STARTTLS_NONE},
	};
	size_t i;

	for (i = 0; i < LW_ARRAY_SIZE(cases); i++) {
		struct lw_test_guard_buf g;
		const uint8_t *p = lw_test_guard(cases[i].in, cases[i].len, &g);
		enum lw_starttls got = lw_starttls_command(p, cases[i].len);

		if (got != cases[i].want)
			fprintf(stderr, "case %zu: %d\n", i, (int)got);
		LW_CHECK_INT(got, cases[i].want);
		lw_test_unguard(&g);
	}
}

/* An X.224 CR as mstsc sends it: a cookie, then RDP_NEG_REQ asking for TLS and CredSSP. */
static const char rdp_cr[] = "\x03\x00\x00\x2a\x25\xe0\x00\x00\x00\x00\x00"
			     "Cookie: mstshash=user\r\n"
			     "\x01\x00\x08\x00\x03\x00\x00\x00";

static void test_rdp(void)
{
	size_t len = sizeof(rdp_cr) - 1;
	static const struct {
		const char *in;
		size_t len;
	} bad[] = {
		{S("\x03\x00\x00\x0b\x06\xf0\x00\x00\x00\x00\x00")}, /* a data TPDU */
		{S("\x03\x00\x00\x0b\x07\xe0\x00\x00\x00\x00\x00")}, /* LI does not fit */
		{S("\x03\x00\x00\x05\x00")}, /* too short for a CR */
		{S("\x03\x01\x00\x0b")}, /* TPKT reserved byte */
		{S("\x04\x00")},
	};
	size_t i;

	LW_CHECK_INT(len, 0x2a);
	LW_FOR_EACH_PREFIX(rdp_cr, len, p, n, {
		int r = lw_starttls_rdp_request(p, n);

		LW_CHECK_INT(r, n < len ? LW_NEED_MORE : (int)len);
	});
	for (i = 0; i < LW_ARRAY_SIZE(bad); i++)
		LW_CHECK_INT(lw_starttls_rdp_request((const uint8_t *)bad[i].in, bad[i].len),
			     -EBADMSG);
}

static void test_hello_start(void)
{
	static const uint8_t hello[] = {0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc};
	uint8_t b[sizeof(hello)];

	LW_CHECK(lw_starttls_hello_start(hello, sizeof(hello)));
	LW_CHECK(!lw_starttls_hello_start(hello, sizeof(hello) - 1));
	memcpy(b, hello, sizeof(b));
	b[5] = 2; /* a ServerHello */
	LW_CHECK(!lw_starttls_hello_start(b, sizeof(b)));
	memcpy(b, hello, sizeof(b));
	b[0] = 0x17; /* application data */
	LW_CHECK(!lw_starttls_hello_start(b, sizeof(b)));
	memcpy(b, hello, sizeof(b));
	b[8] = 0x10; /* a ClientHello too short to be one */
	b[7] = 0;
	LW_CHECK(!lw_starttls_hello_start(b, sizeof(b)));
	memcpy(b, hello, sizeof(b));
	b[2] = 5;
	LW_CHECK(!lw_starttls_hello_start(b, sizeof(b)));
}

int main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	LW_TEST(test_commands);
	LW_TEST(test_rdp);
	LW_TEST(test_hello_start);
	return lw_test_end();
}
