/* SPDX-License-Identifier: MIT */
/*
 * TLS ClientHello: RFC 8446 §4.1.2 (also TLS 1.0-1.2, RFC 5246 §7.4.1.2, which has the same
 * shape); server_name RFC 6066 §3; ALPN RFC 7301 §3.1; encrypted_client_hello
 * draft-ietf-tls-esni (extension 0xfe0d).
 *
 *   TLSPlaintext (record layer, §5.1)      Handshake (§4)
 *   +------+---------+--------+            +------+--------------+------------------+
 *   | type | version | length |  fragment  | type | length (u24) | ClientHello body |
 *   | 22   | 0x03xx  | u16    |  ...       | 1    |              |                  |
 *   +------+---------+--------+            +------+--------------+------------------+
 *
 *   ClientHello body:
 *     legacy_version u16 | random[32] | session_id<0..32> | cipher_suites<2..2^16-2> |
 *     compression_methods<1..2^8-1> | extensions<0..2^16-1>
 *   extension: type u16 | extension_data<0..2^16-1>
 *
 * A handshake message may be split over several records (and each record over several TCP
 * segments); lw_tls_parse_stream() joins the record fragments into a bounded local buffer.
 */
#include <errno.h>
#include <string.h>

#include "core/cursor.h"
#include "proto/tls.h"

#define TLS_RECORD_HANDSHAKE 22
#define TLS_HS_CLIENT_HELLO 1
#define TLS_RECORD_HEADER 5
/* RFC 8446 §5.1: a plaintext fragment is at most 2^14 bytes; tolerate the TLS 1.2 slack. */
#define TLS_RECORD_MAX (16384 + 2048)
#define TLS_SESSION_ID_MAX 32

#define TLS_EXT_SERVER_NAME 0x0000
#define TLS_EXT_ALPN 0x0010
#define TLS_EXT_ECH 0xfe0d

/* RFC 6066 §3: a host_name is ASCII; anything else is not a name we can report. */
static void tls_read_sni(struct lw_cursor *ext, struct lw_tls_hello *out)
{
	struct lw_cursor list = lw_cursor_sub(ext, lw_cursor_be16(ext));

	while (!list.err && lw_cursor_left(&list) > 0) {
		uint8_t type = lw_cursor_u8(&list);
		uint16_t n = lw_cursor_be16(&list);
		const uint8_t *name = lw_cursor_bytes(&list, n);
		size_t i;

		if (!name || type != 0)
			continue;
		if (out->sni[0] || n == 0 || n >= sizeof(out->sni))
			return;
		for (i = 0; i < n; i++)
			if (name[i] <= 0x20 || name[i] >= 0x7f)
				return; /* control bytes or non-ASCII: drop the name */
		memcpy(out->sni, name, n);
		out->sni[n] = '\0';
		lw_ascii_lower(out->sni, n);
		return;
	}
}

/* Joins the protocol names with ','; a name that no longer fits is left out whole. */
static void tls_read_alpn(struct lw_cursor *ext, struct lw_tls_hello *out)
{
	struct lw_cursor list = lw_cursor_sub(ext, lw_cursor_be16(ext));
	size_t used = strlen(out->alpn);

	while (!list.err && lw_cursor_left(&list) > 0) {
		uint8_t n = lw_cursor_u8(&list);
		const uint8_t *name = lw_cursor_bytes(&list, n);
		size_t need = n + (used ? 1 : 0), i;

		if (!name || n == 0)
			continue;
		if (used + need >= sizeof(out->alpn))
			break;
		if (used)
			out->alpn[used++] = ',';
		for (i = 0; i < n; i++) /* GREASE and binary names stay visible but harmless */
			out->alpn[used++] = (name[i] > 0x20 && name[i] < 0x7f && name[i] != ',')
						    ? (char)name[i]
						    : '?';
		out->alpn[used] = '\0';
	}
}

static int tls_parse_body(struct lw_cursor *c, struct lw_tls_hello *out)
{
	struct lw_cursor exts;
	size_t sid_len, cs_len, comp_len;

	out->legacy_version = lw_cursor_be16(c);
	lw_cursor_skip(c, 32); /* random */
	sid_len = lw_cursor_u8(c);
	if (sid_len > TLS_SESSION_ID_MAX)
		return -EBADMSG;
	lw_cursor_skip(c, sid_len);
	cs_len = lw_cursor_be16(c);
	if (cs_len < 2 || cs_len % 2)
		return -EBADMSG;
	lw_cursor_skip(c, cs_len);
	comp_len = lw_cursor_u8(c);
	if (comp_len < 1)
		return -EBADMSG;
	lw_cursor_skip(c, comp_len);
	if (c->err || (out->legacy_version >> 8) != 3)
		return -EBADMSG;
	if (lw_cursor_left(c) == 0)
		return 0; /* SSL 3.0 / TLS 1.0 hellos may carry no extensions at all */

	exts = lw_cursor_sub(c, lw_cursor_be16(c));
	if (c->err || lw_cursor_left(c) != 0)
		return -EBADMSG;
	while (lw_cursor_left(&exts) > 0) {
		uint16_t type = lw_cursor_be16(&exts);
		struct lw_cursor ext = lw_cursor_sub(&exts, lw_cursor_be16(&exts));

		if (exts.err)
			return -EBADMSG;
		if (++out->n_extensions > LW_TLS_MAX_EXTENSIONS)
			return -EBADMSG;
		switch (type) {
		case TLS_EXT_SERVER_NAME:
			tls_read_sni(&ext, out);
			break;
		case TLS_EXT_ALPN:
			tls_read_alpn(&ext, out);
			break;
		case TLS_EXT_ECH:
			out->ech = true;
			break;
		}
		if (ext.err)
			return -EBADMSG;
	}
	return exts.err ? -EBADMSG : 0;
}

int lw_tls_parse_handshake(const uint8_t *p, size_t len, struct lw_tls_hello *out)
{
	struct lw_cursor c = lw_cursor_make(p, len), body;
	uint32_t body_len;
	int r;

	memset(out, 0, sizeof(*out));
	if (len >= 1 && p[0] != TLS_HS_CLIENT_HELLO)
		return -EBADMSG;
	if (len < 4)
		return LW_NEED_MORE;
	lw_cursor_skip(&c, 1);
	body_len = lw_cursor_be24(&c);
	if (body_len + 4 > LW_TLS_MAX_HELLO)
		return -EBADMSG;
	/* Reject a wrong major version early so a non-TLS stream is not waited on. */
	if (len >= 5 && p[4] != 3)
		return -EBADMSG;
	if (len - 4 < body_len)
		return LW_NEED_MORE;
	body = lw_cursor_sub(&c, body_len);
	r = tls_parse_body(&body, out);
	if (r < 0) {
		memset(out, 0, sizeof(*out));
		return r;
	}
	return (int)(body_len + 4);
}

int lw_tls_parse_stream(const uint8_t *p, size_t len, struct lw_tls_hello *out)
{
	/* Handshake bytes joined from the records; bounded, so no allocation is needed. */
	uint8_t hs[LW_TLS_MAX_HELLO];
	size_t have = 0, pos = 0;

	memset(out, 0, sizeof(*out));
	/* Every record adds at least one byte to hs[], so the loop runs at most
	 * LW_TLS_MAX_HELLO times. */
	while (pos < len) {
		struct lw_cursor c = lw_cursor_make(p + pos, len - pos);
		uint8_t type = lw_cursor_u8(&c);
		uint8_t major = lw_cursor_u8(&c);
		size_t rec_len, take;
		int r;

		/* SSLv2-compatible hellos (high bit set) are not supported: not TLS here. */
		if (type != TLS_RECORD_HANDSHAKE || (!c.err && major != 3))
			return -EBADMSG;
		lw_cursor_skip(&c, 1); /* minor version: 0 (SSL 3.0) .. 4 seen in the wild */
		rec_len = lw_cursor_be16(&c);
		if (c.err)
			return LW_NEED_MORE;
		if (rec_len == 0 || rec_len > TLS_RECORD_MAX)
			return -EBADMSG;
		take = LW_MIN(rec_len, lw_cursor_left(&c));
		if (take > sizeof(hs) - have)
			return -EBADMSG; /* larger than any ClientHello we reassemble */
		memcpy(hs + have, c.p, take);
		have += take;
		pos += TLS_RECORD_HEADER + take;

		r = lw_tls_parse_handshake(hs, have, out);
		if (r == LW_NEED_MORE) {
			if (take < rec_len)
				return LW_NEED_MORE;
			continue;
		}
		if (r < 0)
			return r;
		/* The ClientHello ends in this record; report the stream up to the record's end
		 * (or what we have of it: the caller asked about these bytes only). */
		return (int)pos;
	}
	return LW_NEED_MORE;
}
