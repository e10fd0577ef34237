/* SPDX-License-Identifier: MIT */
/*
 * SIP messages (RFC 3261), as phones send them for VoLTE/IMS (3GPP TS 24.229): the request or
 * status line and the header fields.  The parser allocates nothing and returns views into the
 * input; compact header names (m:, f:, t:, ...) are reported with their full name.
 */
#ifndef LW_PROTO_SIP_H
#define LW_PROTO_SIP_H

#include "core/types.h"
#include "proto/http.h" /* struct lw_str */

#define LW_SIP_MAX_HEADERS 64 /* more is malformed */
#define LW_SIP_MAX_HEAD 32768 /* a message head longer than this is malformed */
#define LW_SIP_MAX_BODY 65536 /* a Content-Length above this is malformed */

struct lw_sip_header {
	struct lw_str name; /* as written ("m" for a compact Contact) */
	const char *full; /* the full name ("Contact"), or NULL for a name without a compact
			   * form; lw_sip_header_label() picks the one to show */
	struct lw_str value; /* whitespace trimmed; a folded value spans its lines */
};

struct lw_sip_msg {
	bool request; /* a request; else a response */
	struct lw_str method; /* requests */
	struct lw_str uri; /* the Request-URI */
	int status; /* responses: 100..699 */
	size_t n_headers;
	struct lw_sip_header headers[LW_SIP_MAX_HEADERS];
	int64_t content_length; /* -1 if absent */
};

/*
 * Parses a message head starting at p.  Returns the head's length including the blank line
 * (> 0), LW_NEED_MORE, or -EBADMSG.  Empty lines before the start line (CRLF keep-alives,
 * RFC 5626 4.4.1) count in the length.
 */
int lw_sip_parse(const uint8_t *p, size_t len, struct lw_sip_msg *out);

/*
 * True if the bytes start like a SIP request line ("REGISTER sip:", "INVITE tel:") or a
 * status line ("SIP/2.0 "): a method token in capitals, one space, and a sip:, sips: or tel:
 * URI scheme.  One leading CRLF is allowed.
 */
bool lw_sip_looks_like(const uint8_t *p, size_t len);

/* The name to show for a header: the full name of a compact form, else the name as written. */
struct lw_str lw_sip_header_label(const struct lw_sip_header *h);

/* The first header with this full name (compact forms match too); NULL if absent. */
const struct lw_sip_header *lw_sip_header_get(const struct lw_sip_msg *m, const char *full);

/*
 * The host of a sip:/sips: URI (user part, port, parameters and headers dropped; an IPv6
 * reference keeps no brackets).  0, or -EINVAL if the URI has no host (tel:, garbage).
 */
int lw_sip_uri_host(struct lw_str uri, struct lw_str *host);

#endif
