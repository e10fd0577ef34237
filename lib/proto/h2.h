/* SPDX-License-Identifier: MIT */
/* HTTP/2 in clear text (RFC 9113), the client's side: frames, HPACK (RFC 7541) by nghttp2. */
#ifndef LW_PROTO_H2_H
#define LW_PROTO_H2_H

#include "core/types.h"
#include "proto/http.h"

#define LW_H2_PREFACE_LEN 24
/* SETTINGS_MAX_FRAME_SIZE's initial value (§6.5.2): a client sends nothing larger unless the
 * server allowed it, which real servers seldom do; a larger frame ends the parse */
#define LW_H2_FRAME_MAX 16384
#define LW_H2_BLOCK_MAX 65536 /* a header block (HEADERS and its CONTINUATIONs) */
#define LW_H2_FIELDS_MAX 64 /* fields kept per block (more are decoded, not reported) */
#define LW_H2_FIELD_BYTES 16384 /* bytes of names and values kept per block */
#define LW_H2_FRAMES_MAX 10000 /* frames parsed per connection; then the parse stops */

struct lw_h2_field {
	struct lw_str name, value; /* names are lowercase (§8.2.1) */
};

/* One decoded header block: a request's headers, or trailers. */
struct lw_h2_headers {
	uint32_t stream;
	size_t n;
	struct lw_h2_field f[LW_H2_FIELDS_MAX];
	bool cut; /* fields were left out (LW_H2_FIELDS_MAX, LW_H2_FIELD_BYTES) */
};

/* What the parser reports; views are valid during the call only. */
struct lw_h2_sink {
	void (*headers)(const struct lw_h2_headers *h, void *user_data);
	void (*data)(uint32_t stream, const uint8_t *p, size_t len, void *user_data);
	void *user_data;
};

struct lw_h2;

/*
 * The client connection preface, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" (§3.4): returns
 * LW_H2_PREFACE_LEN if p starts with it, LW_NEED_MORE if p is a proper prefix of it, else
 * -EBADMSG.
 */
int lw_h2_preface(const uint8_t *p, size_t len);

/* A parser for the frames after the preface; NULL when out of memory. */
struct lw_h2 *lw_h2_new(void);
void lw_h2_free(struct lw_h2 *h);

/*
 * Feeds the client's stream after the preface, in any pieces.  Header blocks are decoded in
 * order (HPACK's table depends on every block) and reported whole; DATA payloads (without
 * padding) as they are complete.  Returns 0, or a negative errno once the stream cannot be
 * parsed further (-EBADMSG malformed, -E2BIG a limit above, -ENOMEM); that is sticky, and
 * nothing more is reported.
 */
int lw_h2_feed(struct lw_h2 *h, const uint8_t *p, size_t len, const struct lw_h2_sink *sink);

/* The host of an :authority ([userinfo@]host[:port], host maybe [v6]); empty if none. */
struct lw_str lw_h2_authority_host(struct lw_str authority);

#endif
