/* SPDX-License-Identifier: MIT */
/*
 * NBNS parser tests: a name registration (question + additional record pointing back), a
 * query, a positive answer without a question, a group registration, the node-status
 * wildcard, odd bytes in names, scope ids; malformed names (bad letters, wrong length,
 * pointers, loops, overlong scope), every truncation, each input ending at an unreadable
 * page.
 */
#include "core/types.h"
#include "lw-test.h"
#include "lw-test-msg.h"
#include "proto/nbns.h"

#include <errno.h>
#include <stdint.h>

static void b_hdr(struct msgb *m, unsigned int flags, unsigned int qd, unsigned int an,
		  unsigned int ns, unsigned int ar)
{
	b_dns_hdr(m, 0x1234, flags, qd, an, ns, ar);
}

/* The first-level encoding of name (space-padded to 15) with suffix, then the root label. */
static void b_name(struct msgb *m, const char *name, size_t name_len, unsigned int suffix,
		   unsigned int pad)
{
	uint8_t raw[16];
	size_t i;

	memset(raw, (int)pad, 15);
	memcpy(raw, name, name_len);
	raw[15] = (uint8_t)suffix;
	b_u8(m, 32);
	for (i = 0; i < 16; i++) {
		b_u8(m, 'A' + (raw[i] >> 4));
		b_u8(m, 'A' + (raw[i] & 0xf));
	}
}

/* An NB record (type 0x20, class IN) with one entry. */
static void b_nb_tail(struct msgb *m, unsigned int nb_flags, const uint8_t ip[4])
{
	b_be16(m, 0x0020);
	b_be16(m, 1);
	b_be16(m, 0);
	b_be16(m, 300000 & 0xffff);
	b_be16(m, 6);
	b_be16(m, nb_flags);
	b_u8(m, ip[0]);
	b_u8(m, ip[1]);
	b_u8(m, ip[2]);
	b_u8(m, ip[3]);
}

static int parse(const struct msgb *m, struct lw_nbns_msg *out)
{
	struct lw_test_guard_buf g;
	const uint8_t *p = lw_test_guard(m->b, m->n, &g);
	int r = lw_nbns_parse(p, m->n, out);

	lw_test_unguard(&g);
	return r;
}

static const uint8_t ip_phone[4] = {192, 0, 2, 33};

/* A registration as Windows broadcasts it: opcode 5, B, question + pointer record. */
static void make_registration(struct msgb *m, const char *name, unsigned int nb_flags)
{
	b_hdr(m, 5 << 11 | 0x0110, 1, 0, 0, 1); /* RD, B */
	b_name(m, name, strlen(name), 0x00, ' ');
	b_u8(m, 0);
	b_be16(m, 0x0020);
	b_be16(m, 1);
	b_be16(m, 0xc00c);
	b_nb_tail(m, nb_flags, ip_phone);
}

static void test_registration(void)
{
	struct msgb m;
	struct lw_nbns_msg n;
	char addr[LW_ADDR_STRLEN];

	make_registration(&m, "DESKTOP-1AB2C3D", 0x0000);
	LW_CHECK_INT(parse(&m, &n), 0);
	LW_CHECK_INT(n.opcode, LW_NBNS_REGISTRATION);
	LW_CHECK(!n.response);
	LW_CHECK(n.broadcast);
	LW_CHECK_STR(n.name, "DESKTOP-1AB2C3D");
	LW_CHECK_INT(n.suffix, 0);
	LW_CHECK_INT(n.type, 0x20);
	LW_CHECK(n.has_nb);
	LW_CHECK(!n.group);
	lw_addr_str(&n.addr, addr);
	LW_CHECK_STR(addr, "192.0.2.33");

	/* the workgroup is registered as a group name */
	make_registration(&m, "WORKGROUP", 0x8000);
	LW_CHECK_INT(parse(&m, &n), 0);
	LW_CHECK_STR(n.name, "WORKGROUP");
	LW_CHECK(n.group);

	/* every truncation: a clean error or a shorter result, never a read past the end */
	make_registration(&m, "DESKTOP-1AB2C3D", 0);
	LW_FOR_EACH_PREFIX(m.b, m.n, p, len, {
		int r = lw_nbns_parse(p, len, &n);

		LW_CHECK(r == 0 || r == -EBADMSG);
		if (len < 12 + 34 + 4)
			LW_CHECK_INT(r, -EBADMSG);
		if (r == 0)
			LW_CHECK(n.has_nb == (len == m.n));
	});
}

static void test_query_and_answer(void)
{
	struct msgb m;
	struct lw_nbns_msg n;

	b_hdr(&m, 0x0110, 1, 0, 0, 0);
	b_name(&m, "FILESERVER", 10, 0x20, ' ');
	b_u8(&m, 0);
	b_be16(&m, 0x20);
	b_be16(&m, 1);
	LW_CHECK_INT(parse(&m, &n), 0);
	LW_CHECK_INT(n.opcode, LW_NBNS_QUERY);
	LW_CHECK_STR(n.name, "FILESERVER");
	LW_CHECK_INT(n.suffix, 0x20);
	LW_CHECK(!n.has_nb);

	/* the positive answer: no question, the name in the answer record */
	b_hdr(&m, 0x8500, 0, 1, 0, 0); /* R, AA, RD */
	b_name(&m, "FILESERVER", 10, 0x20, ' ');
	b_u8(&m, 0);
	b_nb_tail(&m, 0, ip_phone);
	LW_CHECK_INT(parse(&m, &n), 0);
	LW_CHECK(n.response);
	LW_CHECK_STR(n.name, "FILESERVER");
	LW_CHECK(n.has_nb);

	/* a pointer in an answer without a question has nothing to point to */
	b_hdr(&m, 0x8500, 0, 1, 0, 0);
	b_be16(&m, 0xc00c);
	b_nb_tail(&m, 0, ip_phone);
	LW_CHECK_INT(parse(&m, &n), -EBADMSG);

	/* node status: the wildcard "*" padded with NULs, type NBSTAT */
	b_hdr(&m, 0x0000, 1, 0, 0, 0);
	b_name(&m, "*", 1, 0x00, 0);
	b_u8(&m, 0);
	b_be16(&m, 0x21);
	b_be16(&m, 1);
	LW_CHECK_INT(parse(&m, &n), 0);
	LW_CHECK_STR(n.name, "*");
	LW_CHECK_INT(n.type, 0x21);
}

static void test_odd_names(void)
{
	struct msgb m;
	struct lw_nbns_msg n;

	/* control bytes, a space inside, a backslash: escaped; 15 of them fit */
	b_hdr(&m, 0, 1, 0, 0, 0);
	b_name(&m, "A B\\\x01", 5, 0, ' ');
	b_u8(&m, 0);
	b_be16(&m, 0x20);
	b_be16(&m, 1);
	LW_CHECK_INT(parse(&m, &n), 0);
	LW_CHECK_STR(n.name, "A\\032B\\092\\001");
	b_hdr(&m, 0, 1, 0, 0, 0);
	b_name(&m, "\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01", 15, 0, ' ');
	b_u8(&m, 0);
	b_be16(&m, 0x20);
	b_be16(&m, 1);
	LW_CHECK_INT(parse(&m, &n), 0);
	LW_CHECK_INT(strlen(n.name), 60);

	/* a scope id: read, not reported */
	b_hdr(&m, 0, 1, 0, 0, 0);
	b_name(&m, "HOST", 4, 0, ' ');
	b_u8(&m, 7);
	memcpy(m.b + m.n, "example", 7);
	m.n += 7;
	b_u8(&m, 3);
	memcpy(m.b + m.n, "com", 3);
	m.n += 3;
	b_u8(&m, 0);
	b_be16(&m, 0x20);
	b_be16(&m, 1);
	LW_CHECK_INT(parse(&m, &n), 0);
	LW_CHECK_STR(n.name, "HOST");
}

static void test_malformed(void)
{
	struct msgb m;
	struct lw_nbns_msg n;
	size_t i;

	/* a letter outside A..P */
	b_hdr(&m, 0, 1, 0, 0, 0);
	b_name(&m, "HOST", 4, 0, ' ');
	m.b[12 + 1] = 'Q';
	b_u8(&m, 0);
	b_be16(&m, 0x20);
	b_be16(&m, 1);
	LW_CHECK_INT(parse(&m, &n), -EBADMSG);
	LW_CHECK_STR(n.name, "");
	/* a DNS-style name (label of 4), as an mDNS packet sent to port 137 would hold */
	b_hdr(&m, 0, 1, 0, 0, 0);
	b_u8(&m, 4);
	memcpy(m.b + m.n, "host", 4);
	m.n += 4;
	b_u8(&m, 0);
	b_be16(&m, 1);
	b_be16(&m, 1);
	LW_CHECK_INT(parse(&m, &n), -EBADMSG);
	/* a pointer in the question */
	b_hdr(&m, 0, 1, 0, 0, 0);
	b_be16(&m, 0xc00c);
	b_be16(&m, 0x20);
	b_be16(&m, 1);
	LW_CHECK_INT(parse(&m, &n), -EBADMSG);
	/* two questions; no question and no record */
	b_hdr(&m, 0, 2, 0, 0, 0);
	LW_CHECK_INT(parse(&m, &n), -EBADMSG);
	b_hdr(&m, 0, 0, 0, 0, 0);
	LW_CHECK_INT(parse(&m, &n), -EBADMSG);
	/* a scope longer than a name may be: 5 labels of 63 */
	b_hdr(&m, 0, 1, 0, 0, 0);
	b_name(&m, "HOST", 4, 0, ' ');
	for (i = 0; i < 5; i++) {
		b_u8(&m, 63);
		memset(m.b + m.n, 'a', 63);
		m.n += 63;
	}
	b_u8(&m, 0);
	b_be16(&m, 0x20);
	b_be16(&m, 1);
	LW_CHECK_INT(parse(&m, &n), -EBADMSG);
	/* a record pointing at itself (forward/self pointer) loses only the record */
	b_hdr(&m, 5 << 11, 1, 0, 0, 1);
	b_name(&m, "HOST", 4, 0, ' ');
	b_u8(&m, 0);
	b_be16(&m, 0x20);
	b_be16(&m, 1);
	b_be16(&m, 0xc000 | (unsigned int)m.n);
	b_nb_tail(&m, 0, ip_phone);
	LW_CHECK_INT(parse(&m, &n), 0);
	LW_CHECK_STR(n.name, "HOST");
	LW_CHECK(!n.has_nb);
}

/* Random bytes and mutations of a good message: never a crash (the guard page catches reads). */
static void test_mutations(void)
{
	struct msgb m, x;
	struct lw_nbns_msg n;
	uint32_t seed = 12345;
	int i;

	make_registration(&m, "DESKTOP-1AB2C3D", 0);
	for (i = 0; i < 20000; i++) {
		int k;

		x = m;
		for (k = 0; k < 1 + i % 4; k++) {
			seed = seed * 1103515245u + 12345u;
			x.b[(seed >> 8) % x.n] = (uint8_t)(seed >> 20);
		}
		seed = seed * 1103515245u + 12345u;
		x.n = (seed >> 8) % (m.n + 1);
		LW_CHECK(parse(&x, &n) <= 0);
		LW_CHECK(strlen(n.name) < LW_NBNS_NAME_MAX);
	}
}

int main(void)
{
	LW_TEST(test_registration);
	LW_TEST(test_query_and_answer);
	LW_TEST(test_odd_names);
	LW_TEST(test_malformed);
	LW_TEST(test_mutations);
	return lw_test_end();
}
