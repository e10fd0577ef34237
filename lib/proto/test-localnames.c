/* SPDX-License-Identifier: MIT */
/*
 * Local name extraction tests: an mDNS probe (authority section), an announcement (A, AAAA,
 * reverse PTR, SRV target, service PTRs that are not host names), a query carrying known
 * answers, an LLMNR query and response, a DNS UPDATE; bounds (questions, hosts, records) and
 * malformed records; every truncation ends at an unreadable page.
 */
#include "core/types.h"
#include "lw-test.h"
#include "lw-test-msg.h"
#include "proto/localnames.h"

#include <errno.h>
#include <stdint.h>

static void b_hdr(struct msgb *m, unsigned int flags, unsigned int qd, unsigned int an,
		  unsigned int ns, unsigned int ar)
{
	b_dns_hdr(m, 0, flags, qd, an, ns, ar);
}

/* A dotted name as labels (no compression). */
static void b_name(struct msgb *m, const char *name)
{
	while (*name) {
		const char *dot = strchr(name, '.');
		size_t n = dot ? (size_t)(dot - name) : strlen(name);

		b_u8(m, (unsigned int)n);
		memcpy(m->b + m->n, name, n);
		m->n += n;
		name += n + (dot ? 1 : 0);
	}
	b_u8(m, 0);
}

static void b_question(struct msgb *m, const char *name, unsigned int type)
{
	b_name(m, name);
	b_be16(m, type);
	b_be16(m, 0x8001); /* QU bit */
}

/* A record whose RDATA is given. */
static void b_rr(struct msgb *m, const char *owner, unsigned int type, const void *rd, size_t n)
{
	b_name(m, owner);
	b_be16(m, type);
	b_be16(m, 0x8001); /* cache-flush */
	b_be16(m, 0);
	b_be16(m, 120);
	b_be16(m, (unsigned int)n);
	memcpy(m->b + m->n, rd, n);
	m->n += n;
}

/* A record whose RDATA is a name (after prefix bytes, e.g. SRV's priority/weight/port). */
static void b_rr_name(struct msgb *m, const char *owner, unsigned int type, size_t prefix,
		      const char *target)
{
	struct msgb t = {.n = 0};
	size_t i;

	for (i = 0; i < prefix; i++)
		b_u8(&t, 0);
	b_name(&t, target);
	b_rr(m, owner, type, t.b, t.n);
}

static int parse(const struct msgb *m, struct lw_localnames *out)
{
	struct lw_test_guard_buf g;
	const uint8_t *p = lw_test_guard(m->b, m->n, &g);
	int r = lw_localnames_parse(p, m->n, out);

	lw_test_unguard(&g);
	return r;
}

static const uint8_t v4[4] = {192, 0, 2, 33};
static const uint8_t v6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 1, [15] = 0x33};

static void make_announcement(struct msgb *m)
{
	b_hdr(m, 0x8400, 0, 5, 0, 1); /* response, AA */
	b_rr(m, "Sarahs-iPhone.local", 1, v4, 4);
	b_rr(m, "Sarahs-iPhone.local", 28, v6, 16);
	b_rr_name(m, "33.2.0.192.in-addr.arpa", 12, 0, "Sarahs-iPhone.local");
	/* a service instance: its PTR is not a host name, its SRV target is */
	b_rr_name(m, "_companion-link._tcp.local", 12, 0,
		  "Sarah's iPhone._companion-link._tcp.local");
	b_rr_name(m, "Sarah's iPhone._companion-link._tcp.local", 33, 6, "Sarahs-iPhone-2.local");
	b_rr(m, "Sarahs-iPhone.local", 47, "\xc0\x0c\x00\x01\x40", 5); /* NSEC: no name */
}

static void test_announcement(void)
{
	struct msgb m;
	struct lw_localnames n;

	make_announcement(&m);
	LW_CHECK_INT(parse(&m, &n), 0);
	LW_CHECK(n.response);
	LW_CHECK_INT(n.n_questions, 0);
	LW_CHECK_INT(n.n_hosts, 2);
	LW_CHECK_STR(n.hosts[0], "sarahs-iphone.local");
	LW_CHECK_INT(n.host_section[0], LW_LOCALNAMES_AN);
	LW_CHECK_STR(n.hosts[1], "sarahs-iphone-2.local");
	LW_CHECK(!n.malformed && !n.truncated);

	/* every truncation: a clean error or fewer names */
	LW_FOR_EACH_PREFIX(m.b, m.n, p, len, {
		int r = lw_localnames_parse(p, len, &n);

		LW_CHECK(r == 0 || r == -EBADMSG);
		if (r == 0 && len < m.n)
			LW_CHECK(n.malformed);
		LW_CHECK(n.n_hosts <= 2);
	});
}

static void test_probe_and_query(void)
{
	struct msgb m;
	struct lw_localnames n;

	/* a probe: the proposed name asked (ANY) and proposed in the authority section */
	b_hdr(&m, 0, 1, 0, 1, 0);
	b_question(&m, "android-9774d56d682e549c.local", 255);
	b_rr(&m, "android-9774d56d682e549c.local", 1, v4, 4);
	LW_CHECK_INT(parse(&m, &n), 0);
	LW_CHECK(!n.response);
	LW_CHECK_INT(n.n_questions, 1);
	LW_CHECK_STR(n.questions[0], "android-9774d56d682e549c.local");
	LW_CHECK_INT(n.n_hosts, 1);
	LW_CHECK_INT(n.host_section[0], LW_LOCALNAMES_NS);

	/* a query with a known answer: the host is someone else's, in the answer section */
	b_hdr(&m, 0, 2, 1, 0, 0);
	b_question(&m, "_airplay._tcp.local", 12);
	b_question(&m, "printer.local", 1);
	b_rr(&m, "tv.local", 1, v4, 4);
	LW_CHECK_INT(parse(&m, &n), 0);
	LW_CHECK_INT(n.n_questions, 2);
	LW_CHECK_STR(n.questions[1], "printer.local");
	LW_CHECK_INT(n.n_hosts, 1);
	LW_CHECK_INT(n.host_section[0], LW_LOCALNAMES_AN);

	/* LLMNR: query, then the responder's answer under the asked name */
	b_hdr(&m, 0, 1, 0, 0, 0);
	b_question(&m, "FILESERVER", 1);
	LW_CHECK_INT(parse(&m, &n), 0);
	LW_CHECK_STR(n.questions[0], "fileserver");
	b_hdr(&m, 0x8000, 1, 1, 0, 0);
	b_question(&m, "fileserver", 1);
	b_rr(&m, "fileserver", 1, v4, 4);
	LW_CHECK_INT(parse(&m, &n), 0);
	LW_CHECK_INT(n.n_hosts, 1);
	LW_CHECK_STR(n.hosts[0], "fileserver");
}

static void test_update(void)
{
	struct msgb m;
	struct lw_localnames n;

	/* zone example.com SOA; a prerequisite (name not in use); two updates */
	b_hdr(&m, 5 << 11, 1, 1, 2, 0);
	b_question(&m, "example.com", 6);
	b_rr(&m, "laptop.example.com", 255, NULL, 0);
	b_rr(&m, "laptop.example.com", 1, v4, 4);
	b_rr_name(&m, "33.2.0.192.in-addr.arpa", 12, 0, "laptop.example.com");
	LW_CHECK_INT(parse(&m, &n), 0);
	LW_CHECK_INT(n.opcode, 5);
	LW_CHECK_STR(n.questions[0], "example.com");
	LW_CHECK_INT(n.n_hosts, 2);
	LW_CHECK_STR(n.hosts[0], "laptop.example.com");
	LW_CHECK_INT(n.host_section[0], LW_LOCALNAMES_NS);
	LW_CHECK_STR(n.hosts[1], "33.2.0.192.in-addr.arpa");
}

static void test_bounds(void)
{
	struct msgb m;
	struct lw_localnames n;
	char name[32];
	int i;

	/* 6 questions: 4 kept, 2 counted */
	b_hdr(&m, 0, 6, 0, 0, 0);
	for (i = 0; i < 6; i++) {
		snprintf(name, sizeof(name), "h%d.local", i);
		b_question(&m, name, 1);
	}
	LW_CHECK_INT(parse(&m, &n), 0);
	LW_CHECK_INT(n.n_questions, LW_LOCALNAMES_QUESTIONS);
	LW_CHECK_INT(n.dropped, 2);
	/* 12 hosts: 8 kept; 70 records: 64 read */
	b_hdr(&m, 0x8400, 0, 70, 0, 0);
	for (i = 0; i < 70; i++) {
		snprintf(name, sizeof(name), "h%d.local", i % 12);
		b_rr(&m, name, 1, v4, 4);
	}
	LW_CHECK_INT(parse(&m, &n), 0);
	LW_CHECK_INT(n.n_hosts, LW_LOCALNAMES_HOSTS);
	LW_CHECK(n.truncated);
	LW_CHECK_INT(n.dropped, 20); /* h8..h11, each time one of them came (64 records) */
	/* a claimed 65535 records in a short message: read until the bytes end */
	b_hdr(&m, 0x8400, 0, 65535, 65535, 65535);
	b_rr(&m, "a.local", 1, v4, 4);
	LW_CHECK_INT(parse(&m, &n), 0);
	LW_CHECK_INT(n.n_hosts, 1);
	LW_CHECK(n.malformed);
}

static void test_malformed(void)
{
	struct msgb m;
	struct lw_localnames n;

	/* a looping pointer as the first question */
	b_hdr(&m, 0, 1, 0, 0, 0);
	b_be16(&m, 0xc00c);
	b_be16(&m, 1);
	b_be16(&m, 1);
	LW_CHECK_INT(parse(&m, &n), -EBADMSG);
	/* a header only */
	b_hdr(&m, 0, 0, 0, 0, 0);
	m.n = 11;
	LW_CHECK_INT(parse(&m, &n), -EBADMSG);
	/* RDATA longer than the message: the records before it stay */
	make_announcement(&m);
	m.b[m.n - 7] = 0xff; /* the NSEC record's RDLENGTH */
	LW_CHECK_INT(parse(&m, &n), 0);
	LW_CHECK(n.malformed);
	LW_CHECK_INT(n.n_hosts, 2);
	/* an SRV whose target points forward: that name is skipped, nothing else */
	b_hdr(&m, 0x8400, 0, 2, 0, 0);
	b_rr(&m, "x._tcp.local", 33, "\0\0\0\0\0\0\xc0\x30", 8);
	b_rr(&m, "b.local", 1, v4, 4);
	LW_CHECK_INT(parse(&m, &n), 0);
	LW_CHECK_INT(n.n_hosts, 1);
	LW_CHECK_STR(n.hosts[0], "b.local");
}

int main(void)
{
	LW_TEST(test_announcement);
	LW_TEST(test_probe_and_query);
	LW_TEST(test_update);
	LW_TEST(test_bounds);
	LW_TEST(test_malformed);
	return lw_test_end();
}
