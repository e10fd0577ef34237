/* SPDX-License-Identifier: MIT */
/* TLS ClientHello (RFC 8446 §4.1.2; SNI RFC 6066; ALPN RFC 7301; ECH draft-ietf-tls-esni). */
#ifndef LW_PROTO_TLS_H
#define LW_PROTO_TLS_H

#include "core/types.h"

#define LW_TLS_MAX_EXTENSIONS 64 /* more is malformed */
#define LW_TLS_MAX_HELLO 65536 /* a ClientHello larger than this is not reassembled */

struct lw_tls_hello {
	uint16_t legacy_version;
	char sni[256]; /* server_name host_name, lowercase; "" if absent or not printable ASCII */
	char alpn[128]; /* protocols joined by ',' (truncated to fit) */
	bool ech; /* encrypted_client_hello (0xfe0d) present */
	uint16_t n_extensions;
};

/*
 * Parses a ClientHello from the start of a TLS stream (one or more TLS records; the handshake
 * message may span several records and TCP segments).  Returns the number of stream bytes the
 * ClientHello occupied (> 0), LW_NEED_MORE if the stream so far is a valid but incomplete
 * prefix, or -EBADMSG if it is not a TLS ClientHello.
 */
int lw_tls_parse_stream(const uint8_t *p, size_t len, struct lw_tls_hello *out);

/*
 * Parses a bare handshake message (type 1 + 24-bit length + body), as carried in QUIC CRYPTO
 * frames.  Same return values as lw_tls_parse_stream.
 */
int lw_tls_parse_handshake(const uint8_t *p, size_t len, struct lw_tls_hello *out);

#endif
