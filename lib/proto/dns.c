/* SPDX-License-Identifier: MIT */
/*
 * DNS messages: RFC 1035 §4 (format), §4.1.4 (compression), RFC 3596 (AAAA), RFC 2181 §8 (TTL),
 * RFC 6762 §18.12/§18.13 (mDNS class top bit), RFC 4795 (LLMNR, same format),
 * RFC 1035 §4.2.2 (TCP length prefix), RFC 4343 / RFC 1035 §5.1 (escaping odd label bytes).
 *
 *                                 1  1  1  1  1  1
 *   0  1  2  3  4  5  6  7  8  9  0  1  2  3  4  5
 * +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
 * |                      ID                       |
 * +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
 * |QR|   Opcode  |AA|TC|RD|RA|   Z    |   RCODE   |
 * +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
 * |            QDCOUNT / ANCOUNT / NSCOUNT / ARCOUNT  (4 x 16 bits)
 * +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
 * question: QNAME (labels) | QTYPE | QCLASS
 * record:   NAME | TYPE | CLASS | TTL (32) | RDLENGTH | RDATA
 *
 * A name is a sequence of labels <len 1..63><bytes>, ended by a zero byte or by a 2-byte
 * compression pointer 11xxxxxx xxxxxxxx holding an offset from the start of the message.
 * Label types 01 and 10 (RFC 6891 §5 retired extended labels) are rejected.
 *
 * Only the answer section is read: authority and additional records do not name what the
 * client asked for.
 */
#include "proto/dns.h"
#include "core/cursor.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>

#define DNS_HDR_LEN 12
#define DNS_LABEL_MAX 63
#define DNS_CLASS_MASK 0x7fff /* mDNS puts unicast-response / cache-flush in the top bit */
#define DNS_TTL_MASK 0x7fffffffu

enum dns_type {
	DNS_T_A = 1,
	DNS_T_NS = 2,
	DNS_T_CNAME = 5,
	DNS_T_PTR = 12,
	DNS_T_AAAA = 28,
	DNS_T_DNAME = 39,
};

/* Appends one label in text form; returns the new length, or 0 when it would not fit. */
static size_t dns_put_label(char *out, size_t n, const uint8_t *label, size_t len)
{
	static const char special[] = ".\\\"()@$;";
	size_t i;

	if (n) {
		if (n + 1 > LW_DNS_NAME_MAX - 1)
			return 0;
		out[n++] = '.';
	}
	for (i = 0; i < len; i++) {
		uint8_t ch = label[i];

		if (ch >= 'A' && ch <= 'Z') {
			ch = (uint8_t)(ch - 'A' + 'a');
		} else if (ch <= 0x20 || ch >= 0x7f) {
			/* \DDD keeps the text printable, NUL-free and reversible (RFC 4343 §2.1) */
			if (n + 4 > LW_DNS_NAME_MAX - 1)
				return 0;
			out[n++] = '\\';
			out[n++] = (char)('0' + ch / 100);
			out[n++] = (char)('0' + ch / 10 % 10);
			out[n++] = (char)('0' + ch % 10);
			continue;
		} else if (strchr(special, ch)) {
			if (n + 2 > LW_DNS_NAME_MAX - 1)
				return 0;
			out[n++] = '\\';
			out[n++] = (char)ch;
			continue;
		}
		if (n + 1 > LW_DNS_NAME_MAX - 1)
			return 0;
		out[n++] = (char)ch;
	}
	return n;
}

/*
 * Reads a name at *c into out (LW_DNS_NAME_MAX bytes) and advances *c past the name's
 * in-place part (up to and including the first pointer).  msg/msg_len is the whole message,
 * which pointers index.  Every pointer must point before the lowest offset read so far in this
 * name, so offsets fall strictly with each jump and no loop is possible; the jump count is
 * bounded on top of that.
 */
static int dns_read_name(const uint8_t *msg, size_t msg_len, struct lw_cursor *c, char *out)
{
	struct lw_cursor cur = *c;
	size_t lowest, n = 0;
	unsigned int jumps = 0;
	bool jumped = false;

	out[0] = '\0';
	if (cur.err || !cur.p)
		goto bad;
	lowest = (size_t)(cur.p - msg);
	for (;;) {
		uint8_t len = lw_cursor_u8(&cur);
		const uint8_t *label;

		if (cur.err)
			goto bad;
		if ((len & 0xc0) == 0xc0) {
			size_t ptr = (size_t)(len & 0x3f) << 8 | lw_cursor_u8(&cur);

			if (cur.err)
				goto bad;
			if (!jumped) {
				*c = cur;
				jumped = true;
			}
			if (ptr >= lowest || ptr < DNS_HDR_LEN || ++jumps > LW_DNS_MAX_JUMPS)
				goto bad;
			cur = lw_cursor_make(msg, msg_len);
			lw_cursor_skip(&cur, ptr);
			lowest = ptr;
			continue;
		}
		if (len & 0xc0)
			goto bad;
		if (len == 0)
			break;
		label = lw_cursor_bytes(&cur, len);
		if (!label)
			goto bad;
		n = dns_put_label(out, n, label, len);
		if (!n)
			goto bad;
	}
	out[n] = '\0';
	if (!jumped)
		*c = cur;
	return 0;
bad:
	out[0] = '\0';
	lw_cursor_fail(c);
	return -EBADMSG;
}

int lw_dns_read_name(const uint8_t *msg, size_t msg_len, struct lw_cursor *c, char *out)
{
	return dns_read_name(msg, msg_len, c, out);
}

/*
 * Reads one resource record into a (zeroed first).  Returns 0 or -EBADMSG; on error the
 * caller's cursor is failed too, because the next record's start is unknown.
 */
static int dns_read_record(const uint8_t *msg, size_t msg_len, struct lw_cursor *c,
			   struct lw_dns_answer *a)
{
	struct lw_cursor rd;
	uint16_t rdlen;

	memset(a, 0, sizeof(*a));
	if (dns_read_name(msg, msg_len, c, a->name) < 0)
		return -EBADMSG;
	a->type = lw_cursor_be16(c);
	a->rrclass = lw_cursor_be16(c) & DNS_CLASS_MASK;
	/* RFC 2181 §8: a TTL with the top bit set is treated as zero */
	a->ttl = lw_cursor_be32(c);
	if (a->ttl > DNS_TTL_MASK)
		a->ttl = 0;
	rdlen = lw_cursor_be16(c);
	rd = lw_cursor_sub(c, rdlen);
	if (c->err)
		return -EBADMSG;

	switch (a->type) {
	case DNS_T_A:
		if (rdlen != 4)
			goto bad;
		lw_addr_from_v4(&a->addr, lw_cursor_bytes(&rd, 4));
		break;
	case DNS_T_AAAA:
		if (rdlen != 16)
			goto bad;
		lw_addr_from_v6(&a->addr, lw_cursor_bytes(&rd, 16));
		break;
	case DNS_T_NS:
	case DNS_T_CNAME:
	case DNS_T_PTR:
	case DNS_T_DNAME:
		/* the target must start inside RDATA; its pointers may reach anywhere earlier */
		if (dns_read_name(msg, msg_len, &rd, a->target) < 0)
			goto bad;
		break;
	default:
		break;
	}
	return 0;
bad:
	lw_cursor_fail(c);
	return -EBADMSG;
}

int lw_dns_parse(const uint8_t *p, size_t len, struct lw_dns_msg *out)
{
	struct lw_cursor c = lw_cursor_make(p, len);
	struct lw_dns_answer scratch;
	uint16_t flags, i;

	memset(out, 0, offsetof(struct lw_dns_msg, answers));
	out->id = lw_cursor_be16(&c);
	flags = lw_cursor_be16(&c);
	out->qdcount = lw_cursor_be16(&c);
	out->ancount = lw_cursor_be16(&c);
	lw_cursor_skip(&c, 4); /* NSCOUNT, ARCOUNT: those sections are not read */
	if (c.err)
		return -EBADMSG;
	out->response = flags >> 15;
	out->opcode = (flags >> 11) & 0xf;
	out->rcode = flags & 0xf;

	for (i = 0; i < out->qdcount; i++) {
		char *name = i == 0 ? out->qname : scratch.name;
		uint16_t qtype, qclass;

		/* a peer can claim 65535 questions: past the limit the answers are out of reach */
		if (i >= LW_DNS_MAX_QUESTIONS)
			return 0;
		if (dns_read_name(p, len, &c, name) < 0)
			return i == 0 ? -EBADMSG : 0;
		qtype = lw_cursor_be16(&c);
		qclass = lw_cursor_be16(&c) & DNS_CLASS_MASK;
		if (c.err) {
			if (i == 0) {
				out->qname[0] = '\0';
				return -EBADMSG;
			}
			return 0;
		}
		if (i == 0) {
			out->qtype = qtype;
			out->qclass = qclass;
		}
	}

	for (i = 0; i < out->ancount; i++) {
		struct lw_dns_answer *a = out->n_answers < LW_DNS_MAX_ANSWERS
						  ? &out->answers[out->n_answers]
						  : &scratch;

		if (dns_read_record(p, len, &c, a) < 0) {
			/* keep what came before: a truncated answer still names earlier ones */
			out->answers_malformed = true;
			break;
		}
		if (a == &scratch)
			out->answers_dropped++;
		else
			out->n_answers++;
	}
	return 0;
}

int lw_dns_tcp_frame(const uint8_t *p, size_t len, const uint8_t **msg, size_t *msg_len)
{
	struct lw_cursor c = lw_cursor_make(p, len);
	uint16_t n;

	*msg = NULL;
	*msg_len = 0;
	n = lw_cursor_be16(&c);
	if (c.err)
		return LW_NEED_MORE;
	if (n < DNS_HDR_LEN)
		return -EBADMSG; /* no DNS message is shorter than its header */
	if (!lw_cursor_has(&c, n))
		return LW_NEED_MORE;
	*msg = c.p;
	*msg_len = n;
	return n + 2;
}

static bool dns_ldh_char(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	       ch == '-' || ch == '_';
}

int lw_dns_name_normalize(char *name)
{
	size_t len, i, label = 0;

	/* 253 text characters is the RFC 1035 255-octet wire limit; one more for a final dot */
	len = strnlen(name, 255);
	if (len > 254)
		return -EINVAL;
	if (len && name[len - 1] == '.')
		len--;
	if (len == 0 || len > 253)
		return -EINVAL;
	for (i = 0; i < len; i++) {
		if (name[i] == '.') {
			if (label == 0)
				return -EINVAL;
			label = 0;
			continue;
		}
		/* '-' may sit anywhere: real names break the LDH rule, what matters is the alphabet */
		if (!dns_ldh_char(name[i]) || ++label > DNS_LABEL_MAX)
			return -EINVAL;
	}
	if (label == 0)
		return -EINVAL;
	lw_ascii_lower(name, len);
	name[len] = '\0';
	return 0;
}
