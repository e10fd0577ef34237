/* SPDX-License-Identifier: MIT */
/*
 * DNS parser tests: hand-built messages (every input through lw_test_guard), random mutations,
 * and real captures from the shared corpus (DNS, mDNS, LLMNR and DHCP payloads), checked against
 * the names other tools found in them (corpus/expected/hostnames.tsv).
 */
#include "core/cursor.h"
#include "core/types.h"
#include "lw-test.h"
#include "lw-test-msg.h"
#include "proto/dhcp.h"
#include "proto/dns.h"

#include <ctype.h>
#include <errno.h>
#include <pcap/pcap.h>
#include <stdint.h>
#include <sys/stat.h>

/* ---- building messages ---- */

static void b_name(struct msgb *m, const char *dotted)
{
	b_labels(m, dotted);
	b_u8(m, 0);
}

static void b_ptr(struct msgb *m, size_t off)
{
	b_be16(m, 0xc000 | (unsigned int)off);
}

static void b_hdr(struct msgb *m, unsigned int id, unsigned int flags, unsigned int qd,
		  unsigned int an)
{
	b_dns_hdr(m, id, flags, qd, an, 0, 0);
}

/* TYPE CLASS TTL RDLENGTH after an owner name */
static void b_rr(struct msgb *m, unsigned int type, unsigned int cls, uint32_t ttl,
		 unsigned int rdlen)
{
	b_be16(m, type);
	b_be16(m, cls);
	b_be32(m, ttl);
	b_be16(m, rdlen);
}

static int parse_guarded(const struct msgb *m, struct lw_dns_msg *out)
{
	struct lw_test_guard_buf g;
	const uint8_t *p = lw_test_guard(m->b, m->n, &g);
	int r = lw_dns_parse(p, m->n, out);

	lw_test_unguard(&g);
	return r;
}

/* Names must be printable ASCII, never longer than the limit. */
static bool name_is_clean(const char *s)
{
	size_t n = strnlen(s, LW_DNS_NAME_MAX);

	if (n >= LW_DNS_NAME_MAX)
		return false;
	for (; *s; s++)
		if ((unsigned char)*s <= 0x20 || (unsigned char)*s >= 0x7f ||
		    (*s >= 'A' && *s <= 'Z'))
			return false;
	return true;
}

static bool msg_is_clean(const struct lw_dns_msg *d)
{
	size_t i;

	if (!name_is_clean(d->qname) || d->n_answers > LW_DNS_MAX_ANSWERS)
		return false;
	for (i = 0; i < d->n_answers; i++)
		if (!name_is_clean(d->answers[i].name) || !name_is_clean(d->answers[i].target))
			return false;
	return true;
}

static struct lw_dns_msg msg; /* 17 KiB: not on the stack */

/* ---- hand-made messages ---- */

static void test_query(void)
{
	struct msgb m;

	b_hdr(&m, 0x1234, 0x0100, 1, 0);
	b_name(&m, "www.Example.COM");
	b_be16(&m, 28);
	b_be16(&m, 1);
	LW_CHECK_INT(parse_guarded(&m, &msg), 0);
	LW_CHECK_INT(msg.id, 0x1234);
	LW_CHECK(!msg.response);
	LW_CHECK_INT(msg.opcode, 0);
	LW_CHECK_INT(msg.qdcount, 1);
	LW_CHECK_STR(msg.qname, "www.example.com");
	LW_CHECK_INT(msg.qtype, 28);
	LW_CHECK_INT(msg.qclass, 1);
	LW_CHECK_INT(msg.n_answers, 0);

	/* the root name (e.g. a priming query) is "" */
	b_hdr(&m, 1, 0, 1, 0);
	b_name(&m, "");
	b_be16(&m, 2);
	b_be16(&m, 1);
	LW_CHECK_INT(parse_guarded(&m, &msg), 0);
	LW_CHECK_STR(msg.qname, "");
	LW_CHECK_INT(msg.qtype, 2);

	/* no question at all: header only */
	b_hdr(&m, 7, 0x8180, 0, 0);
	LW_CHECK_INT(parse_guarded(&m, &msg), 0);
	LW_CHECK(msg.response);
	LW_CHECK_STR(msg.qname, "");
}

/*
 * www.example.com CNAME cdn.example.net, cdn.example.net A 192.0.2.1 and AAAA 2001:db8::1,
 * then an MX kept as type only; names compressed against earlier ones.  ends[] gets the end
 * offset of the question and of each answer (for the truncation test).
 */
static void build_chain(struct msgb *m, size_t ends[5])
{
	size_t qname_off, target_off, rd_len_off, rd_start;
	static const uint8_t v4[4] = {192, 0, 2, 1};
	static const uint8_t v6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};

	b_hdr(m, 0xbeef, 0x8180, 1, 4);
	qname_off = m->n;
	b_name(m, "www.example.com");
	b_be16(m, 1);
	b_be16(m, 1);
	ends[0] = m->n;

	/* www.example.com CNAME cdn.example.net: the target ends in a pointer to "example" */
	b_ptr(m, qname_off);
	b_be16(m, 5);
	b_be16(m, 1);
	b_be32(m, 300);
	rd_len_off = m->n;
	b_be16(m, 0);
	rd_start = m->n;
	target_off = m->n;
	b_labels(m, "cdn.example.net");
	b_u8(m, 0);
	m->b[rd_len_off] = (uint8_t)((m->n - rd_start) >> 8);
	m->b[rd_len_off + 1] = (uint8_t)(m->n - rd_start);
	ends[1] = m->n;

	b_ptr(m, target_off);
	b_rr(m, 1, 1, 60, 4);
	b_bytes(m, v4, 4);
	ends[2] = m->n;

	b_ptr(m, target_off);
	b_rr(m, 28, 1, 0x80000001u, 16); /* top bit set: read as 0 (RFC 2181 §8) */
	b_bytes(m, v6, 16);
	ends[3] = m->n;

	b_ptr(m, qname_off + 4); /* "example.com" */
	b_rr(m, 15, 1, 3600, 4);
	b_be16(m, 10);
	b_ptr(m, target_off);
	ends[4] = m->n;
}

static void test_response_chain(void)
{
	struct msgb m;
	size_t ends[5];
	char buf[LW_ADDR_STRLEN];

	build_chain(&m, ends);
	LW_CHECK_INT(parse_guarded(&m, &msg), 0);
	LW_CHECK(msg.response);
	LW_CHECK_INT(msg.rcode, 0);
	LW_CHECK_INT(msg.ancount, 4);
	LW_CHECK_STR(msg.qname, "www.example.com");
	LW_CHECK_INT(msg.n_answers, 4);
	LW_CHECK_INT(msg.answers_dropped, 0);
	LW_CHECK_STR(msg.answers[0].name, "www.example.com");
	LW_CHECK_INT(msg.answers[0].type, 5);
	LW_CHECK_INT(msg.answers[0].ttl, 300);
	LW_CHECK_STR(msg.answers[0].target, "cdn.example.net");
	LW_CHECK_INT(msg.answers[0].addr.family, 0);
	LW_CHECK_STR(msg.answers[1].name, "cdn.example.net");
	LW_CHECK_INT(msg.answers[1].type, 1);
	LW_CHECK_STR(lw_addr_str(&msg.answers[1].addr, buf), "192.0.2.1");
	LW_CHECK_STR(msg.answers[1].target, "");
	LW_CHECK_STR(msg.answers[2].name, "cdn.example.net");
	LW_CHECK_STR(lw_addr_str(&msg.answers[2].addr, buf), "2001:db8::1");
	LW_CHECK_INT(msg.answers[2].ttl, 0);
	LW_CHECK_STR(msg.answers[3].name, "example.com");
	LW_CHECK_INT(msg.answers[3].type, 15);
	LW_CHECK_STR(msg.answers[3].target, "");
	LW_CHECK_INT(msg.answers[3].ttl, 3600);
}

/* Every truncation: header or question cut -> -EBADMSG; else the answers that fit are kept. */
static void test_truncation(void)
{
	struct msgb m;
	size_t ends[5];

	build_chain(&m, ends);
	LW_FOR_EACH_PREFIX(m.b, m.n, p, len, {
		int r = lw_dns_parse(p, len, &msg);
		size_t want = 0;
		size_t k;

		for (k = 1; k < 5; k++)
			if (ends[k] <= len)
				want = k;
		if (len < ends[0]) {
			LW_CHECK_INT(r, -EBADMSG);
			LW_CHECK_STR(msg.qname, "");
		} else {
			LW_CHECK_INT(r, 0);
			LW_CHECK_STR(msg.qname, "www.example.com");
			LW_CHECK_INT(msg.n_answers, want);
		}
		LW_CHECK(msg_is_clean(&msg));
	});
}

/* Pointers to pointers to labels, the way real servers chain suffixes. */
static void test_compression(void)
{
	struct msgb m;
	size_t com, example, www;

	b_hdr(&m, 1, 0x8180, 1, 3);
	b_name(&m, "com");
	com = 12;
	b_be16(&m, 1);
	b_be16(&m, 1);
	example = m.n;
	b_labels(&m, "EXAMPLE");
	b_ptr(&m, com);
	b_rr(&m, 1, 1, 5, 4);
	b_be32(&m, 0x0a000001);
	www = m.n;
	b_labels(&m, "www");
	b_ptr(&m, example);
	b_rr(&m, 1, 1, 5, 4);
	b_be32(&m, 0x0a000002);
	b_labels(&m, "a.b");
	b_ptr(&m, www);
	b_rr(&m, 12, 1, 5, 2);
	b_ptr(&m, www + 4); /* PTR target: "example.com" via the middle of another name */
	LW_CHECK_INT(parse_guarded(&m, &msg), 0);
	LW_CHECK_STR(msg.qname, "com");
	LW_CHECK_INT(msg.n_answers, 3);
	LW_CHECK_STR(msg.answers[0].name, "example.com");
	LW_CHECK_STR(msg.answers[1].name, "www.example.com");
	LW_CHECK_STR(msg.answers[2].name, "a.b.www.example.com");
	LW_CHECK_STR(msg.answers[2].target, "example.com");
}

/* A query whose name is <prefix labels> then a pointer to target; returns the parse result. */
static int parse_qname_ptr(const char *labels, size_t target)
{
	struct msgb m;

	b_hdr(&m, 1, 0, 1, 0);
	b_labels(&m, labels);
	b_ptr(&m, target);
	b_be16(&m, 1);
	b_be16(&m, 1);
	return parse_guarded(&m, &msg);
}

static void test_bad_pointers(void)
{
	struct msgb m;
	size_t first;

	LW_CHECK_INT(parse_qname_ptr("", 12), -EBADMSG); /* points at itself */
	LW_CHECK_INT(parse_qname_ptr("a", 12), -EBADMSG); /* back to its own first label */
	LW_CHECK_INT(parse_qname_ptr("a", 14), -EBADMSG); /* at itself after a label */
	LW_CHECK_INT(parse_qname_ptr("a", 16), -EBADMSG); /* forward, past itself */
	LW_CHECK_INT(parse_qname_ptr("a", 2), -EBADMSG); /* into the header */
	LW_CHECK_INT(parse_qname_ptr("a", 0x3fff), -EBADMSG); /* past the end */
	LW_CHECK_STR(msg.qname, "");

	/* two names pointing at each other: the second pointer is forward of the first name */
	b_hdr(&m, 1, 0x8180, 1, 1);
	first = m.n;
	b_labels(&m, "x");
	b_ptr(&m, first + 8); /* the answer's owner name below */
	b_be16(&m, 1);
	b_be16(&m, 1);
	b_labels(&m, "y");
	b_ptr(&m, first);
	b_rr(&m, 1, 1, 1, 4);
	b_be32(&m, 1);
	LW_CHECK_INT(parse_guarded(&m, &msg), -EBADMSG);

	/* a loop reachable only from an answer: the question is kept, the answer dropped */
	b_hdr(&m, 1, 0x8180, 1, 1);
	b_name(&m, "ok.example");
	b_be16(&m, 1);
	b_be16(&m, 1);
	first = m.n;
	b_labels(&m, "loop");
	b_ptr(&m, first);
	b_rr(&m, 1, 1, 1, 4);
	b_be32(&m, 1);
	LW_CHECK_INT(parse_guarded(&m, &msg), 0);
	LW_CHECK_STR(msg.qname, "ok.example");
	LW_CHECK_INT(msg.n_answers, 0);

	/* a CNAME target that runs past its RDATA */
	b_hdr(&m, 1, 0x8180, 1, 2);
	b_name(&m, "q");
	b_be16(&m, 1);
	b_be16(&m, 1);
	b_ptr(&m, 12);
	b_rr(&m, 1, 1, 1, 4);
	b_be32(&m, 1);
	b_ptr(&m, 12);
	b_rr(&m, 5, 1, 1, 3);
	b_name(&m, "abcdef");
	LW_CHECK_INT(parse_guarded(&m, &msg), 0);
	LW_CHECK_INT(msg.n_answers, 1);
}

/*
 * A chain of k pointers, each to the one before, inside the RDATA of an unknown record, then an
 * answer whose owner points at the last one: k + 1 jumps in all.
 */
static int parse_jumps(size_t k)
{
	struct msgb m;
	size_t prev = 12, i;

	b_hdr(&m, 1, 0x8180, 1, 2);
	b_name(&m, "deep.example");
	b_be16(&m, 1);
	b_be16(&m, 1);
	b_ptr(&m, 12);
	b_rr(&m, 99, 1, 1, (unsigned int)(2 * k));
	for (i = 0; i < k; i++) {
		size_t here = m.n;

		b_ptr(&m, prev);
		prev = here;
	}
	b_ptr(&m, prev);
	b_rr(&m, 1, 1, 1, 4);
	b_be32(&m, 0x01020304);
	LW_CHECK_INT(parse_guarded(&m, &msg), 0);
	LW_CHECK(msg.n_answers >= 1);
	return (int)msg.n_answers;
}

static void test_jump_limit(void)
{
	LW_CHECK_INT(parse_jumps(LW_DNS_MAX_JUMPS - 1), 2);
	LW_CHECK_STR(msg.answers[1].name, "deep.example");
	LW_CHECK(!msg.answers_malformed);
	LW_CHECK_INT(parse_jumps(LW_DNS_MAX_JUMPS), 1);
	LW_CHECK(msg.answers_malformed); /* the answer behind too many jumps is counted */
}

/* A query for a name made of labels of the given lengths (letters). */
static int parse_label_lengths(const size_t *lens, size_t n)
{
	struct msgb m;
	size_t i, j;

	b_hdr(&m, 1, 0, 1, 0);
	for (i = 0; i < n; i++) {
		b_u8(&m, (unsigned int)lens[i]);
		for (j = 0; j < lens[i]; j++)
			b_u8(&m, 'a' + (unsigned int)(i % 26));
	}
	b_u8(&m, 0);
	b_be16(&m, 1);
	b_be16(&m, 1);
	return parse_guarded(&m, &msg);
}

/* Three labels of 63 'x', then one of n 'y' and the byte odd. */
static int parse_escaped_tail(size_t n, uint8_t odd)
{
	struct msgb m;
	size_t i;

	b_hdr(&m, 1, 0, 1, 0);
	for (i = 0; i < 3; i++) {
		b_u8(&m, 63);
		memset(m.b + m.n, 'x', 63);
		m.n += 63;
	}
	b_u8(&m, (unsigned int)n + 1);
	memset(m.b + m.n, 'y', n);
	m.n += n;
	b_u8(&m, odd);
	b_u8(&m, 0);
	b_be16(&m, 1);
	b_be16(&m, 1);
	return parse_guarded(&m, &msg);
}

static void test_name_limits(void)
{
	static const size_t max[] = {63, 63, 63, 63}; /* 255 characters */
	static const size_t over[] = {63, 63, 63, 62, 1}; /* 256 */
	static const size_t label63[] = {63};
	static const size_t label64[] = {64};
	struct msgb m;

	LW_CHECK_INT(parse_label_lengths(max, 4), 0);
	LW_CHECK_INT(strlen(msg.qname), LW_DNS_NAME_MAX - 1);
	LW_CHECK_INT(parse_label_lengths(over, 5), -EBADMSG);
	LW_CHECK_INT(parse_label_lengths(label63, 1), 0);
	LW_CHECK_INT(strlen(msg.qname), 63);
	LW_CHECK_INT(parse_label_lengths(label64, 1), -EBADMSG); /* 0x40: extended label type */

	/* escapes count toward the limit: 63+63+63 and three dots is 192 characters */
	LW_CHECK_INT(parse_escaped_tail(59, 0x01), 0); /* + 59 + "\001" = 255 */
	LW_CHECK_INT(strlen(msg.qname), 255);
	LW_CHECK(strstr(msg.qname, "y\\001") != NULL);
	LW_CHECK_INT(parse_escaped_tail(60, 0x01), -EBADMSG); /* 256 */
	LW_CHECK_INT(parse_escaped_tail(61, '.'), 0); /* + 61 + "\." = 255 */
	LW_CHECK(strstr(msg.qname, "y\\.") != NULL);
	LW_CHECK_INT(parse_escaped_tail(62, '('), -EBADMSG); /* 256 */

	/* 10xxxxxx is no label type either */
	b_hdr(&m, 1, 0, 1, 0);
	b_u8(&m, 0x80);
	b_u8(&m, 0);
	b_be16(&m, 1);
	b_be16(&m, 1);
	LW_CHECK_INT(parse_guarded(&m, &msg), -EBADMSG);
}

static void test_escapes(void)
{
	static const uint8_t odd[] = {'A',  '.',  'b',	' ', 0x00, 0x7f, 0xe2,
				      0x80, 0x99, '\\', '"', '_',  '*',	 '\n'};
	struct msgb m;

	b_hdr(&m, 1, 0, 1, 0);
	b_u8(&m, sizeof(odd));
	b_bytes(&m, odd, sizeof(odd));
	b_labels(&m, "Local");
	b_u8(&m, 0);
	b_be16(&m, 1);
	b_be16(&m, 1);
	LW_CHECK_INT(parse_guarded(&m, &msg), 0);
	LW_CHECK_STR(msg.qname, "a\\.b\\032\\000\\127\\226\\128\\153\\\\\\\"_*\\010.local");
	LW_CHECK(msg_is_clean(&msg));
}

static void test_many_answers(void)
{
	struct msgb m;
	size_t i, total = LW_DNS_MAX_ANSWERS + 8;

	b_hdr(&m, 1, 0x8180, 1, (unsigned int)total);
	b_name(&m, "many.example");
	b_be16(&m, 1);
	b_be16(&m, 1);
	for (i = 0; i < total; i++) {
		b_ptr(&m, 12);
		b_rr(&m, 1, 1, 30, 4);
		b_be32(&m, 0x0a000000 + (uint32_t)i);
	}
	LW_CHECK_INT(parse_guarded(&m, &msg), 0);
	LW_CHECK_INT(msg.n_answers, LW_DNS_MAX_ANSWERS);
	LW_CHECK_INT(msg.answers_dropped, 8);
	LW_CHECK_INT(msg.answers[LW_DNS_MAX_ANSWERS - 1].addr.b[3], LW_DNS_MAX_ANSWERS - 1);

	/* ancount claims more than there is: only present records count */
	m.b[7] = 0xff;
	LW_CHECK_INT(parse_guarded(&m, &msg), 0);
	LW_CHECK_INT(msg.n_answers, LW_DNS_MAX_ANSWERS);
	LW_CHECK_INT(msg.answers_dropped, 8);
}

static void test_bad_record_after_good(void)
{
	struct msgb m;

	b_hdr(&m, 1, 0x8180, 1, 3);
	b_name(&m, "x.example");
	b_be16(&m, 1);
	b_be16(&m, 1);
	b_ptr(&m, 12);
	b_rr(&m, 1, 1, 30, 4);
	b_be32(&m, 0x0a000001);
	b_ptr(&m, 12);
	b_rr(&m, 28, 1, 30, 16);
	b_bytes(&m, "0123456789abcdef", 16);
	b_ptr(&m, 12);
	b_rr(&m, 1, 1, 30, 5); /* an A record of 5 bytes */
	b_bytes(&m, "12345", 5);
	LW_CHECK_INT(parse_guarded(&m, &msg), 0);
	LW_CHECK_INT(msg.n_answers, 2);
	LW_CHECK_INT(msg.answers[1].addr.family, 6);
}

static void test_questions(void)
{
	struct msgb m;
	size_t i;

	/* two questions (legal, rare): the first is kept, the answers after both are read */
	b_hdr(&m, 1, 0x8180, 2, 1);
	b_name(&m, "first.example");
	b_be16(&m, 1);
	b_be16(&m, 1);
	b_name(&m, "second.example");
	b_be16(&m, 28);
	b_be16(&m, 1);
	b_ptr(&m, 12);
	b_rr(&m, 1, 1, 30, 4);
	b_be32(&m, 0x0a000001);
	LW_CHECK_INT(parse_guarded(&m, &msg), 0);
	LW_CHECK_STR(msg.qname, "first.example");
	LW_CHECK_INT(msg.qtype, 1);
	LW_CHECK_INT(msg.n_answers, 1);

	/* more than the limit: the first question, no answers */
	b_hdr(&m, 1, 0x8180, LW_DNS_MAX_QUESTIONS + 1, 1);
	for (i = 0; i < LW_DNS_MAX_QUESTIONS + 1; i++) {
		b_name(&m, "q.example");
		b_be16(&m, 1);
		b_be16(&m, 1);
	}
	b_ptr(&m, 12);
	b_rr(&m, 1, 1, 30, 4);
	b_be32(&m, 0x0a000001);
	LW_CHECK_INT(parse_guarded(&m, &msg), 0);
	LW_CHECK_STR(msg.qname, "q.example");
	LW_CHECK_INT(msg.n_answers, 0);

	/* a broken second question keeps the first */
	b_hdr(&m, 1, 0, 2, 0);
	b_name(&m, "fine.example");
	b_be16(&m, 1);
	b_be16(&m, 1);
	b_u8(&m, 0x40);
	LW_CHECK_INT(parse_guarded(&m, &msg), 0);
	LW_CHECK_STR(msg.qname, "fine.example");
}

/* mDNS (RFC 6762): QU bit in the question class, cache-flush bit in the record class. */
static void test_mdns(void)
{
	struct msgb m;
	size_t host;

	b_hdr(&m, 0, 0, 1, 0);
	b_name(&m, "_googlecast._tcp.local");
	b_be16(&m, 12);
	b_be16(&m, 0x8001);
	LW_CHECK_INT(parse_guarded(&m, &msg), 0);
	LW_CHECK_STR(msg.qname, "_googlecast._tcp.local");
	LW_CHECK_INT(msg.qclass, 1);

	b_hdr(&m, 0, 0x8400, 0, 2);
	host = m.n;
	b_name(&m, "Lucas-iMac.local");
	b_rr(&m, 1, 0x8001, 120, 4);
	b_be32(&m, 0xc0a80211);
	b_labels(&m, "_device-info._tcp");
	b_ptr(&m, host + 11); /* "local" */
	b_rr(&m, 12, 1, 4500, 2);
	b_ptr(&m, host);
	LW_CHECK_INT(parse_guarded(&m, &msg), 0);
	LW_CHECK_INT(msg.qdcount, 0);
	LW_CHECK_STR(msg.qname, "");
	LW_CHECK_INT(msg.n_answers, 2);
	LW_CHECK_STR(msg.answers[0].name, "lucas-imac.local");
	LW_CHECK_INT(msg.answers[0].rrclass, 1);
	LW_CHECK_INT(msg.answers[0].addr.b[3], 0x11);
	LW_CHECK_STR(msg.answers[1].name, "_device-info._tcp.local");
	LW_CHECK_STR(msg.answers[1].target, "lucas-imac.local");
}

static void test_tcp_frame(void)
{
	struct msgb q, s;
	size_t ends[5], len1, i;
	const uint8_t *body;
	size_t body_len;

	b_hdr(&q, 9, 0x0100, 1, 0);
	b_name(&q, "tcp.example");
	b_be16(&q, 1);
	b_be16(&q, 1);
	build_chain(&s, ends);

	/* stream: [len][query][len][response][len][half a response] */
	{
		static uint8_t stream[3 * sizeof(s.b)];
		size_t n = 0;

		stream[n++] = (uint8_t)(q.n >> 8);
		stream[n++] = (uint8_t)q.n;
		memcpy(stream + n, q.b, q.n);
		n += q.n;
		len1 = n;
		stream[n++] = (uint8_t)(s.n >> 8);
		stream[n++] = (uint8_t)s.n;
		memcpy(stream + n, s.b, s.n);
		n += s.n;
		stream[n++] = (uint8_t)(s.n >> 8);
		stream[n++] = (uint8_t)s.n;
		memcpy(stream + n, s.b, s.n / 2);
		n += s.n / 2;

		LW_CHECK_INT(lw_dns_tcp_frame(stream, n, &body, &body_len), (int)len1);
		LW_CHECK_INT(body_len, q.n);
		LW_CHECK(body == stream + 2);
		LW_CHECK_INT(lw_dns_parse(body, body_len, &msg), 0);
		LW_CHECK_STR(msg.qname, "tcp.example");
		LW_CHECK_INT(lw_dns_tcp_frame(stream + len1, n - len1, &body, &body_len),
			     (int)s.n + 2);
		LW_CHECK_INT(lw_dns_parse(body, body_len, &msg), 0);
		LW_CHECK_INT(msg.n_answers, 4);
		i = len1 + s.n + 2;
		LW_CHECK_INT(lw_dns_tcp_frame(stream + i, n - i, &body, &body_len), LW_NEED_MORE);
		LW_CHECK(body == NULL);

		/* every prefix of the first frame needs more; the whole of it is one message */
		LW_FOR_EACH_PREFIX(stream, len1, p, len, {
			int r = lw_dns_tcp_frame(p, len, &body, &body_len);

			LW_CHECK_INT(r, len == len1 ? (int)len1 : LW_NEED_MORE);
		});
	}

	/* a length shorter than a DNS header is no DNS */
	{
		static const uint8_t bad[] = {0x00, 0x05, 1, 2, 3, 4, 5};

		LW_CHECK_INT(lw_dns_tcp_frame(bad, sizeof(bad), &body, &body_len), -EBADMSG);
	}
}

static void test_normalize(void)
{
	static const struct {
		const char *in, *out;
	} ok[] = {
		{"Example.COM", "example.com"},
		{"example.com.", "example.com"},
		{"_dmarc.example.com", "_dmarc.example.com"},
		{"-weird-.example", "-weird-.example"},
		{"xn--bcher-kva.example", "xn--bcher-kva.example"},
		{"localhost", "localhost"},
	};
	static const char *const bad[] = {
		"",
		".",
		"example..com",
		".example.com",
		"example.com..",
		"exa mple.com",
		"exa*mple.com",
		"ex\\.ample",
		"b\303\274cher.example",
		"example.com/path",
	};
	char buf[300];
	size_t i;

	for (i = 0; i < LW_ARRAY_SIZE(ok); i++) {
		snprintf(buf, sizeof(buf), "%s", ok[i].in);
		LW_CHECK_INT(lw_dns_name_normalize(buf), 0);
		LW_CHECK_STR(buf, ok[i].out);
	}
	for (i = 0; i < LW_ARRAY_SIZE(bad); i++) {
		snprintf(buf, sizeof(buf), "%s", bad[i]);
		LW_CHECK_INT(lw_dns_name_normalize(buf), -EINVAL);
	}

	/* label of 63 fine, 64 not */
	memset(buf, 'a', 63);
	strcpy(buf + 63, ".com");
	LW_CHECK_INT(lw_dns_name_normalize(buf), 0);
	memset(buf, 'a', 64);
	strcpy(buf + 64, ".com");
	LW_CHECK_INT(lw_dns_name_normalize(buf), -EINVAL);

	/* 253 characters fine (254 with the final dot), 254 not */
	memset(buf, 'b', 253);
	for (i = 63; i < 253; i += 64)
		buf[i] = '.';
	buf[253] = '\0';
	LW_CHECK_INT(lw_dns_name_normalize(buf), 0);
	LW_CHECK_INT(strlen(buf), 253);
	buf[253] = '.';
	buf[254] = '\0';
	LW_CHECK_INT(lw_dns_name_normalize(buf), 0);
	LW_CHECK_INT(strlen(buf), 253);
	buf[253] = 'b';
	buf[254] = '\0';
	LW_CHECK_INT(lw_dns_name_normalize(buf), -EINVAL);
}

/* ---- random mutations ---- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint32_t rng(void)
{
	/* xorshift64*: fixed seed so a failure reproduces */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t)((rng_state * 0x2545f4914f6cdd1dULL) >> 32);
}

static void mutate(uint8_t *b, size_t *n, size_t cap)
{
	size_t k, edits = 1 + rng() % 4;

	for (k = 0; k < edits && *n; k++) {
		size_t at = rng() % *n;

		switch (rng() % 6) {
		case 0:
			b[at] ^= (uint8_t)(1u << (rng() % 8));
			break;
		case 1:
			b[at] = (uint8_t)rng();
			break;
		case 2: /* a compression pointer somewhere */
			b[at] = 0xc0 | (uint8_t)(rng() % 4);
			if (at + 1 < *n)
				b[at + 1] = (uint8_t)rng();
			break;
		case 3: /* a label length */
			b[at] = (uint8_t)(rng() % 70);
			break;
		case 4:
			*n = at;
			break;
		case 5: /* duplicate a slice to the end */
			if (*n + 16 <= cap) {
				memcpy(b + *n, b + at, LW_MIN((size_t)16, *n - at));
				*n += LW_MIN((size_t)16, *n - at);
			}
			break;
		}
	}
}

static void test_mutations(void)
{
	struct msgb seeds[3], m;
	size_t ends[5], i, parsed = 0, clean = 0;

	build_chain(&seeds[0], ends);
	b_hdr(&seeds[1], 0, 0x8400, 1, 2);
	b_name(&seeds[1], "Lucas-iMac.local");
	b_be16(&seeds[1], 1);
	b_be16(&seeds[1], 0x8001);
	b_ptr(&seeds[1], 12);
	b_rr(&seeds[1], 1, 0x8001, 120, 4);
	b_be32(&seeds[1], 0xc0a80211);
	b_ptr(&seeds[1], 18);
	b_rr(&seeds[1], 12, 1, 120, 2);
	b_ptr(&seeds[1], 12);
	b_hdr(&seeds[2], 1, 0x8180, 1, 2);
	b_name(&seeds[2], "a.b.c.d.e.f");
	b_be16(&seeds[2], 1);
	b_be16(&seeds[2], 1);
	b_ptr(&seeds[2], 14);
	b_rr(&seeds[2], 5, 1, 1, 2);
	b_ptr(&seeds[2], 16);
	b_ptr(&seeds[2], 16);
	b_rr(&seeds[2], 28, 1, 1, 16);
	b_bytes(&seeds[2], "0123456789abcdef", 16);

	for (i = 0; i < 100000; i++) {
		m = seeds[i % 3];
		mutate(m.b, &m.n, sizeof(m.b));
		if (parse_guarded(&m, &msg) == 0)
			parsed++;
		if (msg_is_clean(&msg))
			clean++;
	}
	LW_CHECK_INT(clean, 100000);
	LW_CHECK(parsed > 1000); /* the mutator is not so hostile that nothing parses */
	fprintf(stderr, "  mutations: %zu of 100000 parsed\n", parsed);
}

/* ---- real captures ---- */

struct strset {
	char **v;
	size_t n, cap;
};

static bool strset_has(const struct strset *s, const char *x)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (strcmp(s->v[i], x) == 0)
			return true;
	return false;
}

static void strset_add(struct strset *s, const char *x)
{
	if (!*x || strset_has(s, x))
		return;
	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 64;
		s->v = realloc(s->v, s->cap * sizeof(*s->v));
		if (!s->v)
			exit(2);
	}
	s->v[s->n++] = strdup(x);
}

static void strset_free(struct strset *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	memset(s, 0, sizeof(*s));
}

/* What one capture produced. */
struct seen {
	struct strset qnames; /* first question of every DNS/mDNS/LLMNR message */
	struct strset rrnames; /* answer owners and targets */
	struct strset dhcp_hosts;
	struct strset dhcp_host_mac; /* "hostname mac" */
	size_t dns_ok, dns_bad, dhcp_ok, dhcp_bad, frames;
};

static void seen_dns(struct seen *s, const uint8_t *pl, size_t len)
{
	struct lw_test_guard_buf g;
	const uint8_t *p = lw_test_guard(pl, len, &g);
	size_t i;

	if (lw_dns_parse(p, len, &msg) == 0) {
		s->dns_ok++;
		LW_CHECK(msg_is_clean(&msg));
		strset_add(&s->qnames, msg.qname);
		for (i = 0; i < msg.n_answers; i++) {
			strset_add(&s->rrnames, msg.answers[i].name);
			strset_add(&s->rrnames, msg.answers[i].target);
		}
	} else {
		s->dns_bad++;
	}
	lw_test_unguard(&g);
}

static void seen_dhcp(struct seen *s, const uint8_t *pl, size_t len)
{
	struct lw_test_guard_buf g;
	const uint8_t *p = lw_test_guard(pl, len, &g);
	struct lw_dhcp_info d;
	char mac[LW_MAC_STRLEN], both[300];

	if (lw_dhcp_parse(p, len, &d) == 0) {
		s->dhcp_ok++;
		lw_ascii_lower(d.hostname, strlen(d.hostname));
		strset_add(&s->dhcp_hosts, d.hostname);
		if (d.has_chaddr && d.hostname[0]) {
			snprintf(both, sizeof(both), "%s %s", d.hostname,
				 lw_mac_str(&d.chaddr, mac));
			strset_add(&s->dhcp_host_mac, both);
		}
	} else {
		s->dhcp_bad++;
	}
	lw_test_unguard(&g);
}

static void seen_udp(struct seen *s, struct lw_cursor *c)
{
	uint16_t sport = lw_cursor_be16(c), dport = lw_cursor_be16(c), ulen = lw_cursor_be16(c);
	size_t len;

	lw_cursor_skip(c, 2);
	if (c->err || ulen < 8)
		return;
	len = LW_MIN(lw_cursor_left(c), (size_t)ulen - 8);
	if (sport == 53 || dport == 53 || sport == 5353 || dport == 5353 || sport == 5355 ||
	    dport == 5355)
		seen_dns(s, c->p, len);
	else if ((sport == 67 || sport == 68) && (dport == 67 || dport == 68))
		seen_dhcp(s, c->p, len);
}

/* DNS over TCP: only messages that sit whole in one segment (enough for a test, no reassembly). */
static void seen_tcp(struct seen *s, struct lw_cursor *c)
{
	uint16_t sport = lw_cursor_be16(c), dport = lw_cursor_be16(c);
	uint8_t off;
	const uint8_t *body;
	size_t body_len;
	int r;

	lw_cursor_skip(c, 8);
	off = lw_cursor_u8(c) >> 4;
	lw_cursor_skip(c, 7);
	if (c->err || off < 5 || (sport != 53 && dport != 53 && sport != 5353 && dport != 5353))
		return;
	lw_cursor_skip(c, (size_t)off * 4 - 20);
	while (!c->err && (r = lw_dns_tcp_frame(c->p, lw_cursor_left(c), &body, &body_len)) > 0) {
		seen_dns(s, body, body_len);
		lw_cursor_skip(c, (size_t)r);
	}
}

static void seen_l4(struct seen *s, uint8_t proto, struct lw_cursor *c)
{
	if (proto == 17)
		seen_udp(s, c);
	else if (proto == 6)
		seen_tcp(s, c);
}

static void seen_ip(struct seen *s, struct lw_cursor *c)
{
	uint8_t v = c->p && lw_cursor_has(c, 1) ? c->p[0] >> 4 : 0;

	if (v == 4) {
		uint8_t ihl = lw_cursor_u8(c) & 0xf, proto;
		uint16_t total, frag;
		struct lw_cursor ip;

		lw_cursor_skip(c, 1);
		total = lw_cursor_be16(c);
		lw_cursor_skip(c, 2);
		frag = lw_cursor_be16(c);
		lw_cursor_skip(c, 1);
		proto = lw_cursor_u8(c);
		lw_cursor_skip(c, 10);
		if (c->err || ihl < 5 || total < ihl * 4 || (frag & 0x1fff))
			return;
		lw_cursor_skip(c, (size_t)ihl * 4 - 20);
		ip = lw_cursor_sub(c, LW_MIN(lw_cursor_left(c), (size_t)total - ihl * 4));
		seen_l4(s, proto, &ip);
	} else if (v == 6) {
		uint8_t next;
		uint16_t plen;
		struct lw_cursor ip;
		int hops;

		lw_cursor_skip(c, 4);
		plen = lw_cursor_be16(c);
		next = lw_cursor_u8(c);
		lw_cursor_skip(c, 1 + 32);
		ip = lw_cursor_sub(c, LW_MIN(lw_cursor_left(c), (size_t)plen));
		for (hops = 0; hops < 8 && !ip.err; hops++) {
			if (next == 0 || next == 43 || next == 60) {
				next = lw_cursor_u8(&ip);
				lw_cursor_skip(&ip, (size_t)lw_cursor_u8(&ip) * 8 + 6);
			} else if (next == 44) {
				next = lw_cursor_u8(&ip);
				lw_cursor_skip(&ip, 1);
				if (lw_cursor_be16(&ip) & 0xfff8)
					return;
				lw_cursor_skip(&ip, 4);
			} else {
				seen_l4(s, next, &ip);
				return;
			}
		}
	}
}

static void seen_ether(struct seen *s, struct lw_cursor *c)
{
	uint16_t type;
	int tags;

	lw_cursor_skip(c, 12);
	type = lw_cursor_be16(c);
	for (tags = 0; tags < 4 && (type == 0x8100 || type == 0x88a8); tags++) {
		lw_cursor_skip(c, 2);
		type = lw_cursor_be16(c);
	}
	if (type == 0x8864) { /* PPPoE session: 6-byte header, then the PPP protocol */
		uint16_t ppp;

		lw_cursor_skip(c, 6);
		ppp = lw_cursor_be16(c);
		type = ppp == 0x0021 ? 0x0800 : ppp == 0x0057 ? 0x86dd : 0;
	}
	if (!c->err && (type == 0x0800 || type == 0x86dd))
		seen_ip(s, c);
}

static void seen_frame(struct seen *s, int dlt, const uint8_t *p, size_t len)
{
	struct lw_cursor c = lw_cursor_make(p, len);

	s->frames++;
	switch (dlt) {
	case DLT_EN10MB:
		seen_ether(s, &c);
		break;
	case DLT_RAW:
	case 101: /* LINKTYPE_RAW as some writers store it */
		seen_ip(s, &c);
		break;
	case DLT_NULL:
	case DLT_LOOP:
		lw_cursor_skip(&c, 4);
		seen_ip(s, &c);
		break;
	case DLT_LINUX_SLL:
		lw_cursor_skip(&c, 16);
		seen_ip(s, &c);
		break;
	case DLT_LINUX_SLL2:
		lw_cursor_skip(&c, 20);
		seen_ip(s, &c);
		break;
	default:
		break;
	}
}

/* Stands for U+FFFD in an expected name: tshark's rendering of a byte that is not UTF-8. */
#define ANY_BYTE '\x01'

/* The form our parser writes for a name nDPI/tshark print as UTF-8 text. */
static void expected_form(const char *in, char *out, size_t size)
{
	size_t n = 0;

	for (; *in && n + 5 < size; in++) {
		unsigned char ch = (unsigned char)*in;

		if (!strncmp(in, "\xef\xbf\xbd", 3)) {
			out[n++] = ANY_BYTE;
			in += 2;
		} else if (ch <= 0x20 || ch >= 0x7f) {
			n += (size_t)snprintf(out + n, size - n, "\\%03u", ch);
		} else if (strchr("\"()@$;", ch)) { /* not '\\': tshark already writes \DDD */
			n += (size_t)snprintf(out + n, size - n, "\\%c", ch);
		} else {
			out[n++] = (char)(ch >= 'A' && ch <= 'Z' ? ch + 32 : ch);
		}
	}
	out[n] = '\0';
}

/* Does name match want, where ANY_BYTE in want matches one \DDD escape in name? */
static bool name_matches(const char *want, const char *name)
{
	for (; *want; want++) {
		if (*want == ANY_BYTE) {
			if (name[0] != '\\' || !isdigit((unsigned char)name[1]) ||
			    !isdigit((unsigned char)name[2]) || !isdigit((unsigned char)name[3]))
				return false;
			name += 4;
		} else if (*want == *name) {
			name++;
		} else {
			return false;
		}
	}
	return *name == '\0';
}

static bool strset_match(const struct strset *s, const char *want)
{
	size_t i;

	if (!strchr(want, ANY_BYTE))
		return strset_has(s, want);
	for (i = 0; i < s->n; i++)
		if (name_matches(want, s->v[i]))
			return true;
	return false;
}

/* Reads tab-separated field i (0-based) of line into buf; "" if absent. */
static const char *tsv_field(const char *line, int i, char *buf, size_t size)
{
	size_t len;

	while (i-- > 0) {
		line = strchr(line, '\t');
		if (!line) {
			buf[0] = '\0';
			return buf;
		}
		line++;
	}
	len = strcspn(line, "\t\r\n");
	if (len >= size)
		len = size - 1;
	memcpy(buf, line, len);
	buf[len] = '\0';
	return buf;
}

/*
 * tshark's reading of the flow where nDPI found (pcap, client_port, name): its names joined by
 * '|' (malloc'd), or NULL when the crosscheck has no such row or tshark found none.
 */
static char *tshark_names(const char *corpus, const char *pcap, const char *port, const char *name)
{
	char path[1024], f[1024], *line = NULL, *names = NULL;
	size_t cap = 0;
	FILE *in;

	snprintf(path, sizeof(path), "%s/expected/hostnames_crosscheck_tshark.tsv", corpus);
	in = fopen(path, "r");
	if (!in)
		return NULL;
	while (!names && getline(&line, &cap, in) > 0) {
		if (strcmp(tsv_field(line, 0, f, sizeof(f)), pcap) != 0 ||
		    strcmp(tsv_field(line, 4, f, sizeof(f)), port) != 0 ||
		    strcmp(tsv_field(line, 7, f, sizeof(f)), name) != 0)
			continue;
		names = malloc(strlen(line) + 1);
		if (!names)
			exit(2);
		tsv_field(line, 8, names, strlen(line) + 1);
		if (!names[0]) {
			free(names);
			names = NULL;
			break;
		}
	}
	free(line);
	fclose(in);
	return names;
}

struct tally {
	size_t expected, found, skipped;
};

static bool name_produced(const struct seen *s, const char *kind, const char *text)
{
	char want[4 * 1024 + 8];

	if (!strcmp(kind, "dhcp")) {
		/* DHCP host names keep their bytes; only the case is folded for the match */
		snprintf(want, sizeof(want), "%s", text);
		lw_ascii_lower(want, strlen(want));
		return strset_has(&s->dhcp_hosts, want);
	}
	expected_form(text, want, sizeof(want));
	if (!strcmp(kind, "dns"))
		return strset_match(&s->qnames, want);
	return strset_match(&s->qnames, want) || strset_match(&s->rrnames, want);
}

/*
 * Every dns/mdns/llmnr/dhcp name hostnames.tsv lists for this capture must be produced: nDPI's
 * name, or one of the names tshark read on the same flow (hostnames_crosscheck_tshark.tsv) where
 * nDPI shortened or rewrote it.  nDPI names with '?' (its stand-in for bytes it would not print)
 * and no tshark reading cannot be matched and are skipped.
 */
static void check_expected(const char *corpus, const char *pcap, const struct seen *s,
			   struct tally *t)
{
	char path[1024], kind[64], name[1024], port[16], f[1024], *line = NULL;
	size_t cap = 0;
	FILE *in;

	snprintf(path, sizeof(path), "%s/expected/hostnames.tsv", corpus);
	in = fopen(path, "r");
	LW_CHECK(in != NULL);
	if (!in)
		return;
	while (getline(&line, &cap, in) > 0) {
		char *alt, *tok, *save = NULL;
		bool found;

		if (strcmp(tsv_field(line, 1, f, sizeof(f)), pcap) != 0)
			continue;
		tsv_field(line, 2, kind, sizeof(kind));
		tsv_field(line, 5, port, sizeof(port));
		tsv_field(line, 8, name, sizeof(name));
		if (strcmp(kind, "dns") && strcmp(kind, "mdns") && strcmp(kind, "llmnr") &&
		    strcmp(kind, "dhcp"))
			continue;
		alt = tshark_names(corpus, pcap, port, name);
		if (strchr(name, '?') && !alt) {
			t->skipped++;
			continue;
		}
		t->expected++;
		found = name_produced(s, kind, name);
		for (tok = alt ? strtok_r(alt, "|", &save) : NULL; tok && !found;
		     tok = strtok_r(NULL, "|", &save))
			found = name_produced(s, kind, tok);
		free(alt);
		if (found)
			t->found++;
		else
			fprintf(stderr, "  %s: %s name \"%s\" not produced\n", pcap, kind, name);
		LW_CHECK(found);
	}
	free(line);
	fclose(in);
}

/* identifiers.tsv rows carried in a DHCP host name: the name holds the value, chaddr the MAC. */
static void check_identifiers(const char *corpus, const char *pcap, const struct seen *s,
			      struct tally *t)
{
	char path[1024], line[16384], f[1024], value[256], mac[64];
	FILE *in;
	size_t i;

	snprintf(path, sizeof(path), "%s/expected/identifiers.tsv", corpus);
	in = fopen(path, "r");
	if (!in)
		return;
	while (fgets(line, sizeof(line), in)) {
		bool found = false;

		if (strcmp(tsv_field(line, 0, f, sizeof(f)), pcap) != 0 ||
		    strncmp(tsv_field(line, 4, f, sizeof(f)), "DHCP option 12", 14) != 0)
			continue;
		tsv_field(line, 2, value, sizeof(value));
		tsv_field(line, 10, mac, sizeof(mac));
		t->expected++;
		for (i = 0; i < s->dhcp_host_mac.n; i++) {
			const char *hm = s->dhcp_host_mac.v[i], *sp = strrchr(hm, ' ');

			if (sp && strstr(hm, value) && strstr(hm, value) < sp &&
			    !strcmp(sp + 1, mac))
				found = true;
		}
		if (found)
			t->found++;
		else
			fprintf(stderr, "  %s: DHCP host name with %s from %s not seen\n", pcap,
				value, mac);
		LW_CHECK(found);
	}
	fclose(in);
}

static const char *const corpus_pcaps[] = {
	"nDPI/pcap/dns.pcap",
	"nDPI/pcap/dns_ambiguous_names.pcap",
	"nDPI/pcap/dns-google-nsid.pcapng",
	"nDPI/pcap/dns_fragmented.pcap",
	"nDPI/pcap/bad-dns-traffic.pcap",
	"nDPI/pcap/bt-dns.pcap",
	"nDPI/pcap/dns-invalid-chars.pcap",
	"nDPI/pcap/malformed_dns.pcap",
	"nDPI/pcap/dns_long_domainname.pcap",
	"nDPI/pcap/dns-tunnel-iodine.pcap",
	"nDPI/pcap/dns_exfiltration.pcap",
	"nDPI/pcap/dns-exf.pcap",
	"nDPI/pcap/1kxun.pcap",
	"nDPI/pcap/android.pcap",
	"nDPI/pcap/iphone.pcap",
	"nDPI/pcap/alexa-app.pcapng",
	"nDPI/pcap/gnutella.pcap",
	"nDPI/pcap/wechat.pcap",
	"nDPI/pcap/telegram.pcap",
	"nDPI/pcap/whatsapp_login_call.pcap",
	"nDPI/pcap/teams.pcap",
	"nDPI/pcap/fuzz-2006-06-26-2594.pcap",
	"nDPI/pcap/dhcp-fuzz.pcapng",
	"suricata-verify/dns__dns-forward-pointer/input.pcap",
	"suricata-verify/dns__bug-1158/input.pcap",
	"suricata-verify/dns__bug-990/input.pcap",
	"suricata-verify/dns__dns-incomplete/input.pcap",
};

static int test_corpus(const char *corpus)
{
	struct tally t = {0, 0, 0};
	size_t i, dns_ok = 0, dns_bad = 0, dhcp_ok = 0, dhcp_bad = 0, files = 0;

	for (i = 0; i < LW_ARRAY_SIZE(corpus_pcaps); i++) {
		char path[1024], err[PCAP_ERRBUF_SIZE];
		struct seen s;
		struct pcap_pkthdr *h;
		const u_char *data;
		pcap_t *pc;
		int dlt;

		memset(&s, 0, sizeof(s));
		snprintf(path, sizeof(path), "%s/%s", corpus, corpus_pcaps[i]);
		pc = pcap_open_offline(path, err);
		if (!pc) {
			fprintf(stderr, "  %s: %s\n", corpus_pcaps[i], err);
			LW_CHECK(pc != NULL);
			continue;
		}
		files++;
		dlt = pcap_datalink(pc);
		while (pcap_next_ex(pc, &h, &data) == 1)
			seen_frame(&s, dlt, data, h->caplen);
		pcap_close(pc);
		fprintf(stderr, "  %s: %zu frames, DNS %zu/%zu, DHCP %zu/%zu\n", corpus_pcaps[i],
			s.frames, s.dns_ok, s.dns_bad, s.dhcp_ok, s.dhcp_bad);
		LW_CHECK(s.dns_ok + s.dhcp_ok > 0);
		check_expected(corpus, corpus_pcaps[i], &s, &t);
		check_identifiers(corpus, corpus_pcaps[i], &s, &t);
		dns_ok += s.dns_ok;
		dns_bad += s.dns_bad;
		dhcp_ok += s.dhcp_ok;
		dhcp_bad += s.dhcp_bad;
		strset_free(&s.qnames);
		strset_free(&s.rrnames);
		strset_free(&s.dhcp_hosts);
		strset_free(&s.dhcp_host_mac);
	}
	fprintf(stderr,
		"  corpus: %zu captures, DNS %zu parsed / %zu rejected, DHCP %zu / %zu, "
		"expected names %zu of %zu found (%zu skipped)\n",
		files, dns_ok, dns_bad, dhcp_ok, dhcp_bad, t.found, t.expected, t.skipped);
	LW_CHECK(t.expected > 100);
	return 0;
}

int main(int argc, char **argv)
{
	struct stat st;

	LW_TEST(test_query);
	LW_TEST(test_response_chain);
	LW_TEST(test_truncation);
	LW_TEST(test_compression);
	LW_TEST(test_bad_pointers);
	LW_TEST(test_jump_limit);
	LW_TEST(test_name_limits);
	LW_TEST(test_escapes);
	LW_TEST(test_many_answers);
	LW_TEST(test_bad_record_after_good);
	LW_TEST(test_questions);
	LW_TEST(test_mdns);
	LW_TEST(test_tcp_frame);
	LW_TEST(test_normalize);
	LW_TEST(test_mutations);
	if (argc < 2 || stat(argv[1], &st) < 0 || !S_ISDIR(st.st_mode)) {
		fprintf(stderr, "corpus directory not found; corpus test skipped\n");
		return lw_test_failures ? lw_test_end() : 77;
	}
	{
		int before = lw_test_failures;

		test_corpus(argv[1]);
		fprintf(stderr, "%s test_corpus\n", lw_test_failures == before ? "ok  " : "FAIL");
	}
	return lw_test_end();
}
