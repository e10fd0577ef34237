/* SPDX-License-Identifier: MIT */
/*
 * Streams that turn into TLS part way: the STARTTLS family's upgrade commands, RDP's X.224
 * connection request, and the ClientHello that follows them.
 */
#ifndef LW_PROTO_STARTTLS_H
#define LW_PROTO_STARTTLS_H

#include "core/types.h"

#define LW_STARTTLS_RDP_MAX 1024 /* an X.224 connection request longer than this is not one */

enum lw_starttls {
	LW_STARTTLS_NONE = 0,
	LW_STARTTLS_SMTP, /* "STARTTLS" (RFC 3207 §4); also NNTP (RFC 4642) */
	LW_STARTTLS_IMAP, /* "tag STARTTLS" (RFC 9051 §6.2.1) */
	LW_STARTTLS_POP3, /* "STLS" (RFC 2595 §4) */
	LW_STARTTLS_FTP, /* "AUTH TLS" / "AUTH SSL" (RFC 4217 §4) */
	LW_STARTTLS_LDAP, /* ExtendedRequest 1.3.6.1.4.1.1466.20037 (RFC 4511 §4.14) */
	LW_STARTTLS_XMPP, /* <starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/> (RFC 6120 §5.4) */
};

/*
 * The upgrade command a chunk of a client's plaintext stream ends with (the client waits for
 * the server's go-ahead after it, so it is the last thing it sent), or LW_STARTTLS_NONE.
 */
enum lw_starttls lw_starttls_command(const uint8_t *p, size_t len);

/*
 * RDP's first message (MS-RDPBCGR §2.2.1.1): a TPKT (RFC 1006) holding an X.224 Connection
 * Request (ITU-T X.224 §13.3), with an optional cookie ("Cookie: mstshash=USER") and RDP
 * negotiation request.  The client may switch to TLS after the server's confirm.  Returns the
 * TPKT's length (> 0), LW_NEED_MORE, or -EBADMSG.
 */
int lw_starttls_rdp_request(const uint8_t *p, size_t len);

/*
 * True if p starts with a TLS handshake record (RFC 8446 §5.1) holding the start of a
 * ClientHello of a plausible length: what a client sends first once its stream turns to TLS.
 * Nine bytes are needed.
 */
bool lw_starttls_hello_start(const uint8_t *p, size_t len);

#endif
