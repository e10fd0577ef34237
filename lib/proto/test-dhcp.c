/* SPDX-License-Identifier: MIT */
/*
 * DHCPv4 parser tests: hand-built DISCOVER/REQUEST/ACK messages (every input through
 * lw_test_guard), every truncation, malformed options, and random mutations.  Real DHCP captures
 * are replayed by test-dns.c's corpus test, which walks DNS and DHCP ports together.
 */
#include "core/types.h"
#include "lw-test.h"
#include "lw-test-msg.h"
#include "proto/dhcp.h"

#include <errno.h>
#include <stdint.h>

#define BOOTP_FIXED 236

static void b_opt(struct msgb *m, unsigned int code, const void *p, size_t n)
{
	b_u8(m, code);
	b_u8(m, (unsigned int)n);
	b_bytes(m, p, n);
}

/* The fixed BOOTP part and the cookie. */
static void b_bootp(struct msgb *m, unsigned int op, unsigned int htype, unsigned int hlen,
		    const uint8_t yiaddr[4])
{
	static const uint8_t mac[6] = {0xbc, 0xee, 0x7b, 0x0c, 0xb3, 0xde};
	static const uint8_t cookie[4] = {99, 130, 83, 99};

	memset(m->b, 0, BOOTP_FIXED);
	m->b[0] = (uint8_t)op;
	m->b[1] = (uint8_t)htype;
	m->b[2] = (uint8_t)hlen;
	m->b[4] = 0x3a; /* xid */
	if (yiaddr)
		memcpy(m->b + 16, yiaddr, 4);
	memcpy(m->b + 28, mac, 6);
	m->n = BOOTP_FIXED;
	b_bytes(m, cookie, 4);
}

static int parse_guarded(const struct msgb *m, struct lw_dhcp_info *d)
{
	struct lw_test_guard_buf g;
	const uint8_t *p = lw_test_guard(m->b, m->n, &g);
	int r = lw_dhcp_parse(p, m->n, d);

	lw_test_unguard(&g);
	return r;
}

static bool text_is_clean(const char *s, size_t size)
{
	size_t n = strnlen(s, size);

	if (n >= size)
		return false;
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f)
			return false;
	return true;
}

static bool info_is_clean(const struct lw_dhcp_info *d)
{
	size_t i, n = strnlen(d->client_id, sizeof(d->client_id));

	if (n >= sizeof(d->client_id) || n % 2)
		return false;
	for (i = 0; i < n; i++)
		if (!strchr("0123456789abcdef", d->client_id[i]))
			return false;
	return text_is_clean(d->hostname, sizeof(d->hostname)) &&
	       text_is_clean(d->vendor_class, sizeof(d->vendor_class));
}

static void build_discover(struct msgb *m)
{
	static const uint8_t cid[7] = {0x01, 0xbc, 0xee, 0x7b, 0x0c, 0xb3, 0xde};
	static const uint8_t req[4] = {192, 168, 5, 16};
	static const uint8_t prl[7] = {1, 121, 3, 6, 15, 119, 252};

	b_bootp(m, 1, 1, 6, NULL);
	b_opt(m, 53, "\x01", 1);
	b_u8(m, 0); /* pad */
	b_opt(m, 61, cid, sizeof(cid));
	b_opt(m, 50, req, 4);
	b_opt(m, 57, "\x05\xdc", 2);
	b_opt(m, 60, "android-dhcp-11", 15);
	b_opt(m, 12, "android-f7ca0f571270c52d", 24);
	b_opt(m, 55, prl, sizeof(prl));
	b_u8(m, 255);
	b_u8(m, 0);
	b_u8(m, 0);
}

static void test_discover(void)
{
	struct msgb m;
	struct lw_dhcp_info d;
	char buf[LW_ADDR_STRLEN];

	build_discover(&m);
	LW_CHECK_INT(parse_guarded(&m, &d), 0);
	LW_CHECK_INT(d.op, 1);
	LW_CHECK_INT(d.msg_type, 1);
	LW_CHECK(d.has_chaddr);
	LW_CHECK_STR(lw_mac_str(&d.chaddr, buf), "bc:ee:7b:0c:b3:de");
	LW_CHECK_STR(d.hostname, "android-f7ca0f571270c52d");
	LW_CHECK_STR(d.vendor_class, "android-dhcp-11");
	LW_CHECK_STR(d.client_id, "01bcee7b0cb3de");
	LW_CHECK_STR(lw_addr_str(&d.requested, buf), "192.168.5.16");
	LW_CHECK_INT(d.yiaddr.family, 0);
	LW_CHECK(!d.bad_options);
}

static void test_request_and_ack(void)
{
	static const uint8_t yi[4] = {10, 0, 0, 42};
	struct msgb m;
	struct lw_dhcp_info d;
	char buf[LW_ADDR_STRLEN];

	/* REQUEST without the END option (the message simply stops), host name with a NUL
	 * counted in its length, as some clients send */
	b_bootp(&m, 1, 1, 6, NULL);
	b_opt(&m, 53, "\x03", 1);
	b_opt(&m, 12, "Joanna-PC\0", 10);
	LW_CHECK_INT(parse_guarded(&m, &d), 0);
	LW_CHECK_INT(d.msg_type, 3);
	LW_CHECK_STR(d.hostname, "Joanna-PC");
	LW_CHECK_STR(d.vendor_class, "");
	LW_CHECK_STR(d.client_id, "");
	LW_CHECK_INT(d.requested.family, 0);

	/* ACK: yiaddr is the client's new address */
	b_bootp(&m, 2, 1, 6, yi);
	b_opt(&m, 53, "\x05", 1);
	b_u8(&m, 255);
	LW_CHECK_INT(parse_guarded(&m, &d), 0);
	LW_CHECK_INT(d.op, 2);
	LW_CHECK_INT(d.msg_type, 5);
	LW_CHECK_STR(lw_addr_str(&d.yiaddr, buf), "10.0.0.42");

	/* options after END are not read */
	b_bootp(&m, 1, 1, 6, NULL);
	b_u8(&m, 255);
	b_opt(&m, 12, "hidden", 6);
	LW_CHECK_INT(parse_guarded(&m, &d), 0);
	LW_CHECK_STR(d.hostname, "");

	/* not Ethernet: no chaddr */
	b_bootp(&m, 1, 6, 6, NULL);
	LW_CHECK_INT(parse_guarded(&m, &d), 0);
	LW_CHECK(!d.has_chaddr);
	b_bootp(&m, 1, 1, 16, NULL);
	LW_CHECK_INT(parse_guarded(&m, &d), 0);
	LW_CHECK(!d.has_chaddr);
}

static void test_text_options(void)
{
	static const uint8_t odd[] = {'a', 0x01, 'b', 0xc3, 0xa9, '\n', 0x7f, ' ', 'c'};
	struct msgb m;
	struct lw_dhcp_info d;
	uint8_t long_id[255];
	char want[sizeof(d.client_id)];
	size_t i;

	b_bootp(&m, 1, 1, 6, NULL);
	b_opt(&m, 12, odd, sizeof(odd));
	LW_CHECK_INT(parse_guarded(&m, &d), 0);
	LW_CHECK_STR(d.hostname, "a?b???? c");
	LW_CHECK(info_is_clean(&d));

	/* RFC 3396: a repeated option continues the first; the text stays bounded */
	b_bootp(&m, 1, 1, 6, NULL);
	b_opt(&m, 12, "part-", 5);
	b_opt(&m, 12, "two", 3);
	for (i = 0; i < sizeof(long_id); i++)
		long_id[i] = (uint8_t)i;
	b_opt(&m, 61, long_id, sizeof(long_id));
	b_opt(&m, 61, long_id, sizeof(long_id));
	memset(long_id, 'v', sizeof(long_id));
	b_opt(&m, 60, long_id, sizeof(long_id));
	b_opt(&m, 60, long_id, sizeof(long_id));
	LW_CHECK_INT(parse_guarded(&m, &d), 0);
	LW_CHECK_STR(d.hostname, "part-two");
	LW_CHECK_INT(strlen(d.vendor_class), sizeof(d.vendor_class) - 1);
	LW_CHECK_INT(strlen(d.client_id), 512);
	for (i = 0; i < 255; i++)
		snprintf(want + 2 * i, 3, "%02x", (unsigned int)i);
	LW_CHECK(strncmp(d.client_id, want, 510) == 0);
	LW_CHECK_STR(d.client_id + 510, "00"); /* 256 bytes fit */
	LW_CHECK(info_is_clean(&d));

	/* wrong lengths for fixed-size options are ignored */
	b_bootp(&m, 1, 1, 6, NULL);
	b_opt(&m, 53, "\x01\x02", 2);
	b_opt(&m, 50, "\x0a\x00\x00", 3);
	b_opt(&m, 12, "", 0);
	LW_CHECK_INT(parse_guarded(&m, &d), 0);
	LW_CHECK_INT(d.msg_type, 0);
	LW_CHECK_INT(d.requested.family, 0);
	LW_CHECK_STR(d.hostname, "");
}

static void test_malformed(void)
{
	struct msgb m;
	struct lw_dhcp_info d;

	/* an option longer than what is left: the options before it stay */
	b_bootp(&m, 1, 1, 6, NULL);
	b_opt(&m, 12, "kevin-pc", 8);
	b_u8(&m, 60);
	b_u8(&m, 200);
	b_bytes(&m, "MSFT 5.0", 8);
	LW_CHECK_INT(parse_guarded(&m, &d), 0);
	LW_CHECK(d.bad_options);
	LW_CHECK_STR(d.hostname, "kevin-pc");
	LW_CHECK_STR(d.vendor_class, "");

	/* a code with no length byte */
	b_bootp(&m, 1, 1, 6, NULL);
	b_u8(&m, 12);
	LW_CHECK_INT(parse_guarded(&m, &d), 0);
	LW_CHECK(d.bad_options);

	/* no cookie (plain BOOTP or not BOOTP at all) */
	b_bootp(&m, 1, 1, 6, NULL);
	m.b[BOOTP_FIXED] = 0;
	LW_CHECK_INT(parse_guarded(&m, &d), -EBADMSG);
	LW_CHECK_STR(d.hostname, "");
	LW_CHECK(!d.has_chaddr);
	m.n = BOOTP_FIXED;
	LW_CHECK_INT(parse_guarded(&m, &d), -EBADMSG);

	/* op neither request nor reply */
	b_bootp(&m, 3, 1, 6, NULL);
	LW_CHECK_INT(parse_guarded(&m, &d), -EBADMSG);
}

/* Every truncation: before the cookie -> -EBADMSG; after, what fits is kept, nothing read past. */
static void test_truncation(void)
{
	struct msgb m;
	size_t host_end;

	build_discover(&m);
	host_end = 0;
	{
		size_t i = BOOTP_FIXED + 4;

		/* find where option 12 ends, walking the options we built */
		while (i < m.n && m.b[i] != 255) {
			if (m.b[i] == 0) {
				i++;
				continue;
			}
			if (m.b[i] == 12)
				host_end = i + 2 + m.b[i + 1];
			i += 2 + m.b[i + 1];
		}
	}
	LW_CHECK(host_end > 0);
	LW_FOR_EACH_PREFIX(m.b, m.n, p, len, {
		struct lw_dhcp_info d;
		int r = lw_dhcp_parse(p, len, &d);

		if (len < BOOTP_FIXED + 4) {
			LW_CHECK_INT(r, -EBADMSG);
		} else {
			LW_CHECK_INT(r, 0);
			LW_CHECK_STR(d.hostname, len >= host_end ? "android-f7ca0f571270c52d" : "");
			LW_CHECK(d.has_chaddr);
		}
		LW_CHECK(info_is_clean(&d));
	});
}

static uint64_t rng_state = 0x243f6a8885a308d3ULL;

static uint32_t rng(void)
{
	/* xorshift64*: fixed seed so a failure reproduces */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t)((rng_state * 0x2545f4914f6cdd1dULL) >> 32);
}

static void test_mutations(void)
{
	struct msgb seed, m;
	struct lw_dhcp_info d;
	size_t i, k, parsed = 0, clean = 0;

	build_discover(&seed);
	for (i = 0; i < 100000; i++) {
		size_t edits = 1 + rng() % 4;

		m = seed;
		for (k = 0; k < edits; k++) {
			/* aim most edits at the options, where the lengths are */
			size_t at = m.n > BOOTP_FIXED && rng() % 3
					    ? BOOTP_FIXED + rng() % (m.n - BOOTP_FIXED)
					    : rng() % m.n;

			switch (rng() % 4) {
			case 0:
				m.b[at] ^= (uint8_t)(1u << (rng() % 8));
				break;
			case 1:
				m.b[at] = (uint8_t)rng();
				break;
			case 2:
				m.b[at] = (uint8_t)(rng() % 64);
				break;
			case 3:
				if (at > 0)
					m.n = at;
				break;
			}
		}
		if (parse_guarded(&m, &d) == 0)
			parsed++;
		if (info_is_clean(&d))
			clean++;
	}
	LW_CHECK_INT(clean, 100000);
	LW_CHECK(parsed > 1000);
	fprintf(stderr, "  mutations: %zu of 100000 parsed\n", parsed);
}

int main(void)
{
	LW_TEST(test_discover);
	LW_TEST(test_request_and_ack);
	LW_TEST(test_text_options);
	LW_TEST(test_malformed);
	LW_TEST(test_truncation);
	LW_TEST(test_mutations);
	return lw_test_end();
}
