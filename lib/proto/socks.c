/* SPDX-License-Identifier: MIT */
/*
 * SOCKS, the client's side of the handshake.
 *
 * SOCKS4 (Ying-Da Lee, "SOCKS: A protocol for TCP proxy across firewalls") and its 4A
 * extension ("SOCKS 4A: A Simple Extension to SOCKS 4 Protocol"):
 *
 *   +----+----+----------+--------------+-----------+ 4A, if DSTIP is 0.0.0.x, x != 0:
 *   | VN | CD | DSTPORT  | DSTIP        | USERID 00 | +-------------+
 *   | 4  | 1/2| u16      | 4 bytes      | string    | | HOSTNAME 00 |
 *   +----+----+----------+--------------+-----------+ +-------------+
 *
 * SOCKS5 (RFC 1928 §3, §4; RFC 1929 §2 username/password):
 *
 *   greeting:  VER 5 | NMETHODS | METHODS[NMETHODS]
 *   (method 2) VER 1 | ULEN | UNAME | PLEN | PASSWD
 *   request:   VER 5 | CMD | RSV 0 | ATYP | DST.ADDR | DST.PORT u16
 *              ATYP 1: 4 bytes; 3: length u8 then a name; 4: 16 bytes
 *
 * The server answers between these messages, but each message's length is in itself, so the
 * client's stream is read alone.  The checks are strict (versions, reserved bytes, commands, a
 * printable user id and host) because the parser is tried on any stream starting with 4 or 5.
 */
#include <errno.h>
#include <string.h>

#include "core/cursor.h"
#include "proto/socks.h"

#define SOCKS5_METHOD_USERPASS 2
#define SOCKS5_ATYP_V4 1
#define SOCKS5_ATYP_NAME 3
#define SOCKS5_ATYP_V6 4

/* A host name or user id byte: printable ASCII. */
static bool printable(uint8_t b)
{
	return b > 0x20 && b < 0x7f;
}

/*
 * Reads a NUL-terminated printable string of at most max bytes into out (if not NULL).
 * Returns 0, LW_NEED_MORE or -EBADMSG.
 */
static int read_cstr(struct lw_cursor *c, char *out, size_t max)
{
	size_t n = 0;

	for (;;) {
		uint8_t b;

		if (!lw_cursor_has(c, 1))
			return LW_NEED_MORE;
		b = lw_cursor_u8(c);
		if (b == 0)
			break;
		if (!printable(b) || n == max)
			return -EBADMSG;
		if (out)
			out[n] = (char)b;
		n++;
	}
	if (out)
		out[n] = '\0';
	return 0;
}

static int parse_v4(struct lw_cursor *c, struct lw_socks_request *out)
{
	uint8_t ip[4];
	int r;

	if (!lw_cursor_has(c, 8))
		return LW_NEED_MORE;
	lw_cursor_skip(c, 1);
	out->version = 4;
	out->cmd = lw_cursor_u8(c);
	if (out->cmd != LW_SOCKS_CONNECT && out->cmd != LW_SOCKS_BIND)
		return -EBADMSG;
	out->port = lw_cursor_be16(c);
	lw_cursor_copy(c, ip, 4);
	r = read_cstr(c, NULL, LW_SOCKS_USERID_MAX);
	if (r)
		return r;
	if (ip[0] == 0 && ip[1] == 0 && ip[2] == 0 && ip[3] != 0) /* 4A: a name follows */
		return read_cstr(c, out->host, sizeof(out->host) - 1);
	out->addr.family = 4;
	memcpy(out->addr.b, ip, 4);
	return 0;
}

static int parse_v5_request(struct lw_cursor *c, struct lw_socks_request *out)
{
	uint8_t atyp, n;
	size_t i;

	const uint8_t *q = c->p;
	size_t left = lw_cursor_left(c);

	/* each byte is judged as soon as it is there, so a stream that is not SOCKS is not
	 * waited on */
	if ((left >= 1 && q[0] != 5) ||
	    (left >= 2 && (q[1] < LW_SOCKS_CONNECT || q[1] > LW_SOCKS_UDP)) ||
	    (left >= 3 && q[2] != 0) ||
	    (left >= 4 && q[3] != SOCKS5_ATYP_V4 && q[3] != SOCKS5_ATYP_NAME &&
	     q[3] != SOCKS5_ATYP_V6))
		return -EBADMSG;
	if (left < 4)
		return LW_NEED_MORE;
	lw_cursor_skip(c, 1);
	out->cmd = lw_cursor_u8(c);
	lw_cursor_skip(c, 1);
	atyp = lw_cursor_u8(c);
	switch (atyp) {
	case SOCKS5_ATYP_V4:
	case SOCKS5_ATYP_V6:
		n = atyp == SOCKS5_ATYP_V4 ? 4 : 16;
		if (!lw_cursor_has(c, n))
			return LW_NEED_MORE;
		out->addr.family = atyp == SOCKS5_ATYP_V4 ? 4 : 6;
		lw_cursor_copy(c, out->addr.b, n);
		break;
	case SOCKS5_ATYP_NAME:
		if (!lw_cursor_has(c, 1))
			return LW_NEED_MORE;
		n = lw_cursor_u8(c);
		if (n == 0)
			return -EBADMSG;
		if (!lw_cursor_has(c, n))
			return LW_NEED_MORE;
		for (i = 0; i < n; i++) {
			uint8_t b = lw_cursor_u8(c);

			if (!printable(b))
				return -EBADMSG;
			out->host[i] = (char)b;
		}
		out->host[n] = '\0';
		break;
	default:
		return -EBADMSG;
	}
	if (!lw_cursor_has(c, 2))
		return LW_NEED_MORE;
	out->port = lw_cursor_be16(c);
	return 0;
}

static int parse_v5(struct lw_cursor *c, struct lw_socks_request *out)
{
	bool userpass = false;
	uint8_t n, i;

	if (!lw_cursor_has(c, 2))
		return LW_NEED_MORE;
	lw_cursor_skip(c, 1);
	out->version = 5;
	n = lw_cursor_u8(c);
	if (n == 0 || n > LW_SOCKS_METHODS_MAX)
		return -EBADMSG;
	if (!lw_cursor_has(c, n))
		return LW_NEED_MORE;
	for (i = 0; i < n; i++) {
		uint8_t m = lw_cursor_u8(c);

		/* 0xff is the server's "no acceptable method", never offered */
		if (m == 0xff)
			return -EBADMSG;
		if (m == SOCKS5_METHOD_USERPASS)
			userpass = true;
	}
	if (!lw_cursor_has(c, 1))
		return LW_NEED_MORE;
	if (c->p[0] == 1 && userpass) { /* RFC 1929: VER 1 | ULEN | UNAME | PLEN | PASSWD */
		uint8_t len;

		if (!lw_cursor_has(c, 2))
			return LW_NEED_MORE;
		lw_cursor_skip(c, 1);
		len = lw_cursor_u8(c);
		if (len == 0)
			return -EBADMSG;
		if (!lw_cursor_has(c, (size_t)len + 1))
			return LW_NEED_MORE;
		lw_cursor_skip(c, len);
		len = lw_cursor_u8(c);
		if (!lw_cursor_has(c, len))
			return LW_NEED_MORE;
		lw_cursor_skip(c, len);
	}
	return parse_v5_request(c, out);
}

int lw_socks_parse_client(const uint8_t *p, size_t len, struct lw_socks_request *out)
{
	struct lw_cursor c;
	int r;

	memset(out, 0, sizeof(*out));
	if (len == 0)
		return LW_NEED_MORE;
	c = lw_cursor_make(p, len);
	switch (p[0]) {
	case 4:
		r = parse_v4(&c, out);
		break;
	case 5:
		r = parse_v5(&c, out);
		break;
	default:
		return -EBADMSG;
	}
	if (r)
		return r;
	if (c.err)
		return -EBADMSG;
	return (int)(c.p - p);
}
