/* SPDX-License-Identifier: MIT */
/*
 * Host and question names of DNS-format messages: mDNS (RFC 6762 §8.1 probes put the
 * proposed records in the authority section, §8.3 announcements and §6 responses in the
 * answer and additional sections; §7.1 known answers ride in a query's answer section), LLMNR
 * (RFC 4795 §2.1: a response answers with the responder's own records), DNS UPDATE (RFC 2136
 * §2: zone | prerequisite | update | additional, in the places of question | answer |
 * authority | additional), SRV (RFC 2782: priority, weight, port, target).  The wire format
 * is lw_dns_read_name's (proto/dns.c).
 */
#include "proto/localnames.h"
#include "core/cursor.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>

#define LN_TYPE_A 1
#define LN_TYPE_PTR 12
#define LN_TYPE_AAAA 28
#define LN_TYPE_SRV 33
#define LN_OPCODE_UPDATE 5

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n > m && memcmp(s + n - m, suffix, m) == 0 && s[n - m - 1] == '.';
}

static void add_host(struct lw_localnames *out, const char *name, enum lw_localnames_section sec)
{
	size_t i;

	if (!name[0])
		return;
	for (i = 0; i < out->n_hosts; i++)
		if (strcmp(out->hosts[i], name) == 0)
			return;
	if (out->n_hosts == LW_LOCALNAMES_HOSTS) {
		out->dropped++;
		return;
	}
	memcpy(out->hosts[out->n_hosts], name, LW_DNS_NAME_MAX);
	out->host_section[out->n_hosts++] = (uint8_t)sec;
}

/* One record at *c; -EBADMSG when it cannot be read (and *c is failed). */
static int read_record(const uint8_t *msg, size_t len, struct lw_cursor *c,
		       enum lw_localnames_section sec, struct lw_localnames *out)
{
	char owner[LW_DNS_NAME_MAX], target[LW_DNS_NAME_MAX];
	struct lw_cursor rd;
	uint16_t type, rdlen;

	if (lw_dns_read_name(msg, len, c, owner) < 0)
		return -EBADMSG;
	type = lw_cursor_be16(c);
	lw_cursor_skip(c, 2 + 4); /* CLASS, TTL */
	rdlen = lw_cursor_be16(c);
	rd = lw_cursor_sub(c, rdlen);
	if (c->err)
		return -EBADMSG;
	if (out->opcode == LN_OPCODE_UPDATE) {
		if (sec == LW_LOCALNAMES_NS)
			add_host(out, owner, sec);
		return 0;
	}
	switch (type) {
	case LN_TYPE_A:
	case LN_TYPE_AAAA:
		add_host(out, owner, sec);
		break;
	case LN_TYPE_SRV:
		lw_cursor_skip(&rd, 6); /* priority, weight, port */
		if (lw_dns_read_name(msg, len, &rd, target) == 0)
			add_host(out, target, sec);
		break;
	case LN_TYPE_PTR:
		if (!ends_with(owner, "in-addr.arpa") && !ends_with(owner, "ip6.arpa"))
			break;
		if (lw_dns_read_name(msg, len, &rd, target) == 0)
			add_host(out, target, sec);
		break;
	default:
		break;
	}
	return 0;
}

int lw_localnames_parse(const uint8_t *p, size_t len, struct lw_localnames *out)
{
	struct lw_cursor c = lw_cursor_make(p, len);
	uint16_t flags, count[4];
	size_t i, read = 0;
	int s;

	memset(out, 0, offsetof(struct lw_localnames, questions));
	out->id = lw_cursor_be16(&c);
	flags = lw_cursor_be16(&c);
	for (s = 0; s < 4; s++)
		count[s] = lw_cursor_be16(&c);
	if (c.err)
		return -EBADMSG;
	out->response = flags >> 15;
	out->opcode = (flags >> 11) & 0xf;
	out->rcode = flags & 0xf;

	for (i = 0; i < count[LW_LOCALNAMES_QD]; i++) {
		char name[LW_DNS_NAME_MAX];

		if (++read > LW_LOCALNAMES_RECORDS) {
			out->truncated = true;
			return 0;
		}
		if (lw_dns_read_name(p, len, &c, name) == 0)
			lw_cursor_skip(&c, 4); /* QTYPE, QCLASS */
		if (c.err) {
			if (i == 0)
				return -EBADMSG;
			out->malformed = true;
			return 0;
		}
		if (out->n_questions < LW_LOCALNAMES_QUESTIONS)
			memcpy(out->questions[out->n_questions++], name, LW_DNS_NAME_MAX);
		else
			out->dropped++;
	}
	for (s = LW_LOCALNAMES_AN; s <= LW_LOCALNAMES_AR; s++) {
		for (i = 0; i < count[s]; i++) {
			if (++read > LW_LOCALNAMES_RECORDS) {
				out->truncated = true;
				return 0;
			}
			if (read_record(p, len, &c, (enum lw_localnames_section)s, out) < 0) {
				out->malformed = true;
				return 0;
			}
		}
	}
	return 0;
}
