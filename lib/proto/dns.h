/* SPDX-License-Identifier: MIT */
/* DNS messages (RFC 1035; AAAA RFC 3596), also mDNS/LLMNR which share the format. */
#ifndef LW_PROTO_DNS_H
#define LW_PROTO_DNS_H

#include "core/types.h"

/*
 * Names are given in text form: lowercase, dotted, no trailing dot, the root is "".  Bytes
 * outside printable ASCII (and space) are written \DDD, and . \ " ( ) @ $ ; as \c
 * (RFC 1035 §5.1), so a name never holds NUL or control bytes.
 */
#define LW_DNS_NAME_MAX 256 /* text form incl. NUL; longer names are malformed */
#define LW_DNS_MAX_ANSWERS 32 /* answers kept; further ones are counted, not stored */
#define LW_DNS_MAX_JUMPS 16 /* compression pointers followed in one name */
#define LW_DNS_MAX_QUESTIONS 4

struct lw_dns_answer {
	char name[LW_DNS_NAME_MAX]; /* owner name, lowercase, no trailing dot */
	uint16_t type; /* 1 A, 28 AAAA, 5 CNAME, ... */
	uint16_t rrclass; /* without the mDNS cache-flush bit */
	uint32_t ttl;
	struct lw_addr addr; /* for A / AAAA */
	char target[LW_DNS_NAME_MAX]; /* CNAME/PTR/NS/DNAME target; else "" */
};

struct lw_dns_msg {
	uint16_t id;
	bool response;
	uint8_t opcode;
	uint8_t rcode;
	uint16_t qdcount, ancount;
	char qname[LW_DNS_NAME_MAX]; /* first question, lowercase, no trailing dot; "" if none */
	uint16_t qtype;
	uint16_t qclass; /* without the mDNS unicast-response bit */
	size_t n_answers; /* stored in answers[] */
	size_t answers_dropped; /* beyond LW_DNS_MAX_ANSWERS */
	bool answers_malformed; /* an answer could not be read (those before it are kept) */
	struct lw_dns_answer answers[LW_DNS_MAX_ANSWERS];
};

/*
 * Parses one DNS message (UDP payload, or one TCP message without its 2-byte length prefix).
 * Returns 0, or -EBADMSG when the header/question is malformed.  Answers after a malformed
 * record are dropped but what was read before stays valid (returns 0 with what it has).
 * Only the answer section is read.  With more than LW_DNS_MAX_QUESTIONS questions, or a
 * malformed one after the first, the first is kept and no answers are read (returns 0).
 * Names whose text form would not fit LW_DNS_NAME_MAX are malformed.
 */
int lw_dns_parse(const uint8_t *p, size_t len, struct lw_dns_msg *out);

struct lw_cursor;

/*
 * Reads the name at *c in text form into out (LW_DNS_NAME_MAX bytes), following compression
 * pointers into msg/msg_len (each strictly backwards, at most LW_DNS_MAX_JUMPS), and advances
 * *c past the name's in-place part.  0, or -EBADMSG with *c failed and out "".
 */
int lw_dns_read_name(const uint8_t *msg, size_t msg_len, struct lw_cursor *c, char *out);

/*
 * DNS over TCP: given the in-order stream bytes, returns the length of the first whole
 * message including its 2-byte prefix (> 0), LW_NEED_MORE, or -EBADMSG; msg and msg_len point
 * at the message body.
 */
int lw_dns_tcp_frame(const uint8_t *p, size_t len, const uint8_t **msg, size_t *msg_len);

/*
 * Validates and lowercases a text domain name in place (a config or database value): labels of
 * 1..63 letters, digits, '-' or '_'; at most 253 characters once one trailing dot is dropped.
 * 0 or -EINVAL (the name is left untouched on error).
 */
int lw_dns_name_normalize(char *name);

#endif
