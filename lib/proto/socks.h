/* SPDX-License-Identifier: MIT */
/* SOCKS4 and 4A (Ying-Da Lee's protocol notes), SOCKS5 (RFC 1928, RFC 1929), client side. */
#ifndef LW_PROTO_SOCKS_H
#define LW_PROTO_SOCKS_H

#include "core/types.h"

#define LW_SOCKS_USERID_MAX 255 /* SOCKS4 user id: longer is not SOCKS */
#define LW_SOCKS_METHODS_MAX 16 /* SOCKS5 methods offered in a greeting: more is not SOCKS */

enum lw_socks_cmd {
	LW_SOCKS_CONNECT = 1,
	LW_SOCKS_BIND = 2,
	LW_SOCKS_UDP = 3, /* SOCKS5 UDP ASSOCIATE */
};

struct lw_socks_request {
	uint8_t version; /* 4 or 5 */
	uint8_t cmd; /* enum lw_socks_cmd */
	char host[256]; /* the domain name asked for (SOCKS4A, SOCKS5 ATYP 3), or "" */
	struct lw_addr addr; /* the address asked for, when not a name */
	uint16_t port;
};

/*
 * Parses what a SOCKS client sends before its tunnelled stream: SOCKS4/4A's request, or
 * SOCKS5's greeting, its username/password sub-negotiation if it offered that method, and its
 * request.  The client's stream alone says where each message ends, so the server's answers
 * are not needed.  Returns the bytes the handshake took (> 0; what follows, in a CONNECT, is the
 * tunnelled stream), LW_NEED_MORE, or -EBADMSG if the bytes are not a SOCKS client.
 */
int lw_socks_parse_client(const uint8_t *p, size_t len, struct lw_socks_request *out);

#endif
