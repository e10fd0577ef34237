/* SPDX-License-Identifier: MIT */
/* HTTP/1.x requests (RFC 9112). The parser allocates nothing and returns views into the input. */
#ifndef LW_PROTO_HTTP_H
#define LW_PROTO_HTTP_H

#include "core/types.h"

#define LW_HTTP_MAX_HEADERS 64     /* more is malformed */
#define LW_HTTP_MAX_HEAD 65536     /* a request head longer than this is malformed */

struct lw_str {
	const char *p;
	size_t len;
};

struct lw_http_header {
	struct lw_str name;
	struct lw_str value; /* leading/trailing whitespace trimmed */
};

struct lw_http_request {
	struct lw_str method;
	struct lw_str target;
	int version_minor;      /* 0 or 1 */
	size_t n_headers;
	struct lw_http_header headers[LW_HTTP_MAX_HEADERS];
	struct lw_str host;      /* Host header value (port stripped), or the authority of an
				  * absolute-form target; empty if none */
	int64_t content_length;  /* -1 if absent */
	bool chunked;            /* Transfer-Encoding ends in chunked */
	struct lw_str content_encoding;
	struct lw_str content_type;
};

/*
 * Parses a request head starting at p.  Returns the head's length including the blank line
 * (> 0), LW_NEED_MORE, or -EBADMSG.
 */
int lw_http_parse_request(const uint8_t *p, size_t len, struct lw_http_request *out);

/* True if the bytes start like an HTTP/1.x request line method ("GET ", "POST ", ...). */
bool lw_http_looks_like_request(const uint8_t *p, size_t len);

/*
 * Body framing, for a request whose head was parsed: a streaming de-chunker.  Feed it body
 * bytes as they come; it calls emit() with de-chunked data.  Returns bytes consumed (>= 0),
 * or -EBADMSG on a malformed chunk header.  done is set when the final chunk was seen.
 */
struct lw_http_chunked {
	int state;
	uint64_t remaining;
	bool done;
	unsigned ext_len;
};

typedef void (*lw_http_emit_fn)(const uint8_t *p, size_t len, void *user_data);
int lw_http_chunked_feed(struct lw_http_chunked *c, const uint8_t *p, size_t len,
			 lw_http_emit_fn emit, void *user_data);

/* Case-insensitive header lookup; returns NULL if absent. */
const struct lw_http_header *lw_http_header_get(const struct lw_http_request *r, const char *name);

#endif
