/* SPDX-License-Identifier: MIT */
/* HTTP/1.x requests (RFC 9112). The parser allocates nothing and returns views into the input. */
#ifndef LW_PROTO_HTTP_H
#define LW_PROTO_HTTP_H

#include "core/types.h"

#define LW_HTTP_MAX_HEADERS 64 /* more is malformed */
#define LW_HTTP_MAX_HEAD 65536 /* a request head longer than this is malformed */
#define LW_HTTP_MAX_CHUNK_LINE 4096 /* a chunk-size line with its extensions */
#define LW_HTTP_MAX_CHUNK_SIZE (1ULL << 40) /* one chunk; far beyond real traffic */

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
	int version_minor; /* 0 or 1 */
	size_t n_headers;
	struct lw_http_header headers[LW_HTTP_MAX_HEADERS];
	struct lw_str host; /* Host header value (port stripped), or the authority of an
				  * absolute-form or CONNECT target; empty if none */
	int64_t content_length; /* -1 if absent */
	bool chunked; /* Transfer-Encoding ends in chunked */
	struct lw_str content_encoding;
	struct lw_str content_type;
};

/*
 * Parses a request head starting at p.  Returns the head's length including the blank line
 * (> 0), LW_NEED_MORE, or -EBADMSG.  Empty lines before the request line are skipped and count
 * in the length; obs-fold is rejected; framing that a server could read two ways (see http.c)
 * is -EBADMSG.
 */
int lw_http_parse_request(const uint8_t *p, size_t len, struct lw_http_request *out);

/*
 * True if the bytes start like an HTTP/1.x request line method ("GET ", "POST ", ...): a known
 * method and its space must both be present.  One leading CRLF is allowed.
 */
bool lw_http_looks_like_request(const uint8_t *p, size_t len);

/*
 * Body framing, for a request whose head was parsed: a streaming de-chunker.  Feed it body
 * bytes as they come; it calls emit() with de-chunked data.  Returns bytes consumed (>= 0),
 * or -EBADMSG on a malformed chunk header.  done is set when the final chunk was seen.
 * A zeroed struct is ready to use.  Once done, nothing more is consumed, so the return value
 * tells where a pipelined request starts; an error is sticky.
 */
struct lw_http_chunked {
	int state;
	uint64_t remaining;
	bool done;
	unsigned ext_len; /* bytes of the current chunk line, or of the trailer section */
};

typedef void (*lw_http_emit_fn)(const uint8_t *p, size_t len, void *user_data);
int lw_http_chunked_feed(struct lw_http_chunked *c, const uint8_t *p, size_t len,
			 lw_http_emit_fn emit, void *user_data);

/* Case-insensitive header lookup; returns NULL if absent. */
const struct lw_http_header *lw_http_header_get(const struct lw_http_request *r, const char *name);

#endif
