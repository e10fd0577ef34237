/* SPDX-License-Identifier: MIT */
/*
 * QUIC Initial packets: RFC 9000 (v1), RFC 9369 (v2), the IETF drafts 27..34 and the Google
 * QUIC versions in the wild (Q043/Q046 with a plain CHLO; Q050 and T050/T051 with IETF-style
 * Initial protection).  Initial keys come from the version's salt (RFC 9001 §5.2); header
 * protection and AEAD through OpenSSL's libcrypto.  CRYPTO frames (possibly split across
 * several Initial packets, out of order) are reassembled into the ClientHello, which
 * lw_tls_parse_handshake() reads.
 */
#ifndef LW_PROTO_QUIC_H
#define LW_PROTO_QUIC_H

#include "core/types.h"
#include "proto/tls.h"

#define LW_QUIC_CRYPTO_MAX 16384 /* bytes of CRYPTO stream reassembled per connection */

/* Per-flow state; the flow table embeds a pointer to it, created on first Initial. */
struct lw_quic_state;

struct lw_quic_state *lw_quic_state_new(void);
void lw_quic_state_free(struct lw_quic_state *s);

/* True if this UDP payload looks like a QUIC long-header Initial (or gQUIC CHLO) packet. */
bool lw_quic_is_initial(const uint8_t *p, size_t len);

/*
 * Feeds one client->server UDP datagram (may hold several coalesced packets).  Returns 1 when
 * the ClientHello is complete and *out is filled, 0 when more Initials are needed, or a negative
 * errno: -EBADMSG (not QUIC / cannot decrypt), -EPROTONOSUPPORT (unknown version), -EMSGSIZE
 * (a packet or the ClientHello is larger than we buffer).
 * *version receives the QUIC version seen (0 if none).
 */
int lw_quic_feed(struct lw_quic_state *s, const uint8_t *p, size_t len, uint32_t *version,
		 struct lw_tls_hello *out);

#endif
