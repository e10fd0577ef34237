/* SPDX-License-Identifier: MIT */
/*
 * DHCPv4: RFC 2131 §2 (message), RFC 2132 (options), RFC 3396 (repeated options concatenate).
 *
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +---------------+---------------+---------------+---------------+
 * |     op (1)    |   htype (1)   |   hlen (1)    |   hops (1)    |
 * +---------------+---------------+---------------+---------------+
 * |                            xid (4)                            |
 * +-------------------------------+-------------------------------+
 * |           secs (2)            |           flags (2)           |
 * +-------------------------------+-------------------------------+
 * |          ciaddr (4) | yiaddr (4) | siaddr (4) | giaddr (4)     |
 * +---------------------------------------------------------------+
 * |                          chaddr (16)                          |
 * |                          sname  (64)                          |
 * |                          file   (128)                         |
 * +---------------------------------------------------------------+
 * |                   magic cookie 99.130.83.99                   |
 * +---------------------------------------------------------------+
 * |   options: code (1) | len (1) | data ...; 0 pad, 255 end      |
 * +---------------------------------------------------------------+
 *
 * Option overload (52) would put more options in sname/file; clients that leak names do not use
 * it, so those fields are not walked.
 */
#include "proto/dhcp.h"
#include "core/cursor.h"

#include <errno.h>
#include <string.h>

#define DHCP_MAGIC 0x63825363u
#define DHCP_HTYPE_ETHER 1

enum dhcp_opt {
	DHCP_OPT_PAD = 0,
	DHCP_OPT_HOSTNAME = 12,
	DHCP_OPT_REQUESTED_ADDR = 50,
	DHCP_OPT_MSG_TYPE = 53,
	DHCP_OPT_VENDOR_CLASS = 60,
	DHCP_OPT_CLIENT_ID = 61,
	DHCP_OPT_END = 255,
};

/*
 * Appends option text to dst (size bytes, NUL-terminated), keeping printable ASCII and writing
 * '?' for anything else, so the text is safe for logs and the database.  Trailing NULs, which
 * some clients count in the length, are dropped.
 */
static void dhcp_put_text(char *dst, size_t size, const uint8_t *s, size_t len)
{
	size_t n = strlen(dst), i;

	while (len && s[len - 1] == '\0')
		len--;
	for (i = 0; i < len && n + 1 < size; i++)
		dst[n++] = s[i] >= 0x20 && s[i] < 0x7f ? (char)s[i] : '?';
	dst[n] = '\0';
}

static void dhcp_put_hex(char *dst, size_t size, const uint8_t *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t n = strlen(dst), i;

	for (i = 0; i < len && n + 2 < size; i++) {
		dst[n++] = hex[s[i] >> 4];
		dst[n++] = hex[s[i] & 0xf];
	}
	dst[n] = '\0';
}

int lw_dhcp_parse(const uint8_t *p, size_t len, struct lw_dhcp_info *out)
{
	struct lw_cursor c = lw_cursor_make(p, len);
	const uint8_t *chaddr, *yiaddr;
	uint8_t htype, hlen;

	memset(out, 0, sizeof(*out));
	out->op = lw_cursor_u8(&c);
	htype = lw_cursor_u8(&c);
	hlen = lw_cursor_u8(&c);
	lw_cursor_skip(&c, 1 + 4 + 2 + 2 + 4); /* hops, xid, secs, flags, ciaddr */
	yiaddr = lw_cursor_bytes(&c, 4);
	lw_cursor_skip(&c, 4 + 4); /* siaddr, giaddr */
	chaddr = lw_cursor_bytes(&c, 16);
	lw_cursor_skip(&c, 64 + 128); /* sname, file */
	/* without the cookie this is plain BOOTP or not BOOTP at all: nothing to learn */
	if (lw_cursor_be32(&c) != DHCP_MAGIC || c.err || (out->op != 1 && out->op != 2)) {
		memset(out, 0, sizeof(*out));
		return -EBADMSG;
	}

	if (htype == DHCP_HTYPE_ETHER && hlen == 6) {
		memcpy(out->chaddr.b, chaddr, 6);
		out->has_chaddr = true;
	}
	if (out->op == 2 && memcmp(yiaddr, "\0\0\0\0", 4) != 0)
		lw_addr_from_v4(&out->yiaddr, yiaddr);

	/* the walk is bounded by the message: every option consumes at least one byte */
	while (lw_cursor_left(&c)) {
		uint8_t code = lw_cursor_u8(&c), olen;
		struct lw_cursor o;
		const uint8_t *v;

		if (code == DHCP_OPT_PAD)
			continue;
		if (code == DHCP_OPT_END)
			break;
		olen = lw_cursor_u8(&c);
		o = lw_cursor_sub(&c, olen);
		if (c.err) {
			/* keep what came before: the host name may already have been read */
			out->bad_options = true;
			break;
		}
		v = lw_cursor_bytes(&o, olen);
		switch (code) {
		case DHCP_OPT_MSG_TYPE:
			if (olen == 1)
				out->msg_type = v[0];
			break;
		case DHCP_OPT_REQUESTED_ADDR:
			if (olen == 4)
				lw_addr_from_v4(&out->requested, v);
			break;
		case DHCP_OPT_HOSTNAME:
			dhcp_put_text(out->hostname, sizeof(out->hostname), v, olen);
			break;
		case DHCP_OPT_VENDOR_CLASS:
			dhcp_put_text(out->vendor_class, sizeof(out->vendor_class), v, olen);
			break;
		case DHCP_OPT_CLIENT_ID:
			dhcp_put_hex(out->client_id, sizeof(out->client_id), v, olen);
			break;
		default:
			break;
		}
	}
	return 0;
}
