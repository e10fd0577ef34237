/* SPDX-License-Identifier: MIT */
/*
 * Internal to lib/decode: bounded reassembly of IPv4 (RFC 791) and IPv6 (RFC 8200 §4.5)
 * fragments.  Not part of the module's interface.
 */
#ifndef LW_DECODE_FRAG_H
#define LW_DECODE_FRAG_H

#include "decode/decode.h"

/* A datagram, header included, may not exceed 65535 bytes (no jumbograms through here). */
#define LW_FRAG_MAX_DATAGRAM 65535u

/* What identifies one datagram: RFC 791 (src, dst, protocol, id), RFC 8200 (src, dst, id). */
struct lw_frag_key {
	uint8_t family; /* 4 or 6 */
	uint8_t proto; /* IPv4 protocol; 0 for IPv6 */
	uint32_t id;
	uint8_t src[16];
	uint8_t dst[16];
};

struct lw_frag_piece {
	struct lw_frag_key key;
	uint32_t offset; /* of data within the fragmentable part, in bytes */
	const uint8_t *data;
	size_t len;
	bool more; /* more fragments follow (MF / M) */
	uint8_t proto; /* protocol of the reassembled payload (IPv6: the fragment header's) */
	uint32_t max_len; /* the largest payload the headers in front of it leave room for */
	lw_time_us ts;
};

enum lw_frag_verdict {
	LW_FRAG_HELD, /* stored, waiting for the rest (counted frag_held) */
	LW_FRAG_DONE, /* the datagram is complete: see struct lw_frag_done */
	LW_FRAG_DROPPED, /* not stored: nothing new, or a limit was reached (counted frag_dropped) */
	LW_FRAG_BAD, /* malformed or inconsistent with earlier fragments; datagram dropped */
};

struct lw_frag_done {
	const uint8_t *data; /* the reassembled payload; valid until the next lw_frag_add() */
	size_t len;
	uint8_t proto;
};

struct lw_frag_table;

/* cfg must hold final (non-zero) values; st is where the table counts what it does. */
struct lw_frag_table *lw_frag_new(const struct lw_decode_config *cfg, struct lw_decode_stats *st);
void lw_frag_free(struct lw_frag_table *t);
enum lw_frag_verdict lw_frag_add(struct lw_frag_table *t, const struct lw_frag_piece *p,
				 struct lw_frag_done *done);

#endif
