/* SPDX-License-Identifier: MIT */
/*
 * NetBIOS name service: RFC 1002 §4.2 (packets), RFC 1001 §14.1 (first-level encoding of
 * names), §15 (name registration, query, refresh).  Same header as DNS:
 *
 *                                 1  1  1  1  1  1
 *   0  1  2  3  4  5  6  7  8  9  0  1  2  3  4  5
 * +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
 * |                  NAME_TRN_ID                  |
 * +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
 * | R|   OPCODE  |AA|TC|RD|RA| 0| 0| B|   RCODE   |
 * +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
 * |  QDCOUNT / ANCOUNT / NSCOUNT / ARCOUNT (4 x 16 bits)
 * +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
 * question:  QUESTION_NAME | QUESTION_TYPE (NB 0x20, NBSTAT 0x21) | QUESTION_CLASS (IN)
 * record:    RR_NAME | TYPE | CLASS | TTL | RDLENGTH | RDATA
 * NB RDATA:  (NB_FLAGS 16: G | ONT(2) | 0...) NB_ADDRESS (32), repeated
 *
 * A name: one 32-byte label holding the 16-byte NetBIOS name, each byte split into two
 * half-bytes written 'A' + half ("FRED" + padding -> EGFCEFEE CACACACA ...), then the scope
 * id's labels, then a zero byte.  A registration carries its name in the question and again
 * (as a pointer to it) in the additional record that holds the address.
 *
 * Written by hand: no maintained library parses NBNS, and it is twenty lines over the cursor.
 */
#include "proto/nbns.h"
#include "core/cursor.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>

#define NBNS_HDR_LEN 12
#define NBNS_ENC_LEN 32 /* 16 bytes, two letters each */
#define NBNS_NAME_WIRE_MAX 255 /* the whole name with its scope, as for DNS */
#define NBNS_TYPE_NB 0x0020
#define NBNS_PTR_MASK 0xc0

/* Decodes the 32 letters into text and the suffix; false if a letter is not 'A'..'P'. */
static bool nbns_decode(const uint8_t *enc, char *text, uint8_t *suffix)
{
	uint8_t raw[16];
	size_t i, n = 0, len = 15;

	for (i = 0; i < 16; i++) {
		uint8_t hi = enc[2 * i], lo = enc[2 * i + 1];

		if (hi < 'A' || hi > 'P' || lo < 'A' || lo > 'P')
			return false;
		raw[i] = (uint8_t)((hi - 'A') << 4 | (lo - 'A'));
	}
	*suffix = raw[15];
	/* padding: spaces (names), or NULs after "*" (the wildcard of a node status query) */
	while (len > 0 && (raw[len - 1] == ' ' || raw[len - 1] == '\0'))
		len--;
	for (i = 0; i < len; i++) {
		uint8_t ch = raw[i];

		if (ch <= 0x20 || ch >= 0x7f || ch == '\\') {
			text[n++] = '\\';
			text[n++] = (char)('0' + ch / 100);
			text[n++] = (char)('0' + ch / 10 % 10);
			text[n++] = (char)('0' + ch % 10);
		} else {
			text[n++] = (char)ch;
		}
	}
	text[n] = '\0';
	return true;
}

/* Reads an encoded name with its scope labels (no pointer) at *c. */
static int nbns_read_name(struct lw_cursor *c, char *text, uint8_t *suffix)
{
	size_t wire = 1 + NBNS_ENC_LEN;
	const uint8_t *enc;
	uint8_t len;

	if (lw_cursor_u8(c) != NBNS_ENC_LEN)
		goto bad;
	enc = lw_cursor_bytes(c, NBNS_ENC_LEN);
	if (!enc || !nbns_decode(enc, text, suffix))
		goto bad;
	while ((len = lw_cursor_u8(c)) != 0) {
		/* scope labels: plain labels only, the whole name within 255 bytes */
		if (c->err || (len & NBNS_PTR_MASK) || (wire += 1u + len) >= NBNS_NAME_WIRE_MAX)
			goto bad;
		lw_cursor_skip(c, len);
	}
	if (c->err)
		goto bad;
	return 0;
bad:
	text[0] = '\0';
	lw_cursor_fail(c);
	return -EBADMSG;
}

/*
 * The first resource record: its name (unless one was read already) and an NB entry.
 * Returns whether the record was read whole.
 */
static bool nbns_read_record(const uint8_t *msg, size_t len, struct lw_cursor *c,
			     struct lw_nbns_msg *out, bool have_name)
{
	struct lw_cursor rd;
	uint16_t type, rdlen, flags;
	char text[LW_NBNS_NAME_MAX];
	uint8_t suffix;

	if (lw_cursor_has(c, 1) && (c->p[0] & NBNS_PTR_MASK) == NBNS_PTR_MASK) {
		size_t ptr = (size_t)(lw_cursor_be16(c) & 0x3fff);
		struct lw_cursor at = lw_cursor_make(msg, len);

		/* only backwards, to a full name: no chain of pointers is followed */
		if (c->err || ptr < NBNS_HDR_LEN || ptr >= (size_t)(c->p - msg) - 2)
			return false;
		lw_cursor_skip(&at, ptr);
		if (nbns_read_name(&at, text, &suffix) < 0)
			return false;
	} else if (nbns_read_name(c, text, &suffix) < 0) {
		return false;
	}
	type = lw_cursor_be16(c);
	lw_cursor_skip(c, 2 + 4); /* CLASS, TTL */
	rdlen = lw_cursor_be16(c);
	rd = lw_cursor_sub(c, rdlen);
	if (c->err)
		return false;
	if (!have_name) {
		memcpy(out->name, text, sizeof(out->name));
		out->suffix = suffix;
		out->type = type;
	}
	if (type != NBNS_TYPE_NB || rdlen < 6)
		return true;
	flags = lw_cursor_be16(&rd);
	lw_addr_from_v4(&out->addr, lw_cursor_bytes(&rd, 4));
	out->group = flags >> 15;
	out->has_nb = true;
	return true;
}

int lw_nbns_parse(const uint8_t *p, size_t len, struct lw_nbns_msg *out)
{
	struct lw_cursor c = lw_cursor_make(p, len);
	uint16_t flags, qd, an, ns, ar;

	memset(out, 0, sizeof(*out));
	out->id = lw_cursor_be16(&c);
	flags = lw_cursor_be16(&c);
	qd = lw_cursor_be16(&c);
	an = lw_cursor_be16(&c);
	ns = lw_cursor_be16(&c);
	ar = lw_cursor_be16(&c);
	if (c.err)
		return -EBADMSG;
	out->response = flags >> 15;
	out->opcode = (flags >> 11) & 0xf;
	out->broadcast = (flags >> 4) & 1;
	out->rcode = flags & 0xf;
	/* RFC 1002 messages carry one question or one record; more is not NBNS */
	if (qd > 1 || (qd == 0 && an + ns + ar == 0))
		return -EBADMSG;
	if (qd == 1) {
		if (nbns_read_name(&c, out->name, &out->suffix) < 0)
			return -EBADMSG;
		out->type = lw_cursor_be16(&c);
		lw_cursor_skip(&c, 2); /* QUESTION_CLASS */
		if (c.err) {
			out->name[0] = '\0';
			return -EBADMSG;
		}
	}
	/* without a question, the record holding the name must be readable */
	if (an + ns + ar > 0 && !nbns_read_record(p, len, &c, out, qd == 1) && qd == 0)
		return -EBADMSG;
	return 0;
}
