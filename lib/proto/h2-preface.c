/* SPDX-License-Identifier: MIT */
/*
 * HTTP/2's client preface (RFC 9113 §3.4) and the host of an :authority (§8.3.1): what h2c
 * needs without HPACK, so built with or without the `h2c` option (h2.c, h2-none.c).
 */
#include <errno.h>
#include <string.h>

#include "proto/h2.h"

static const char preface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

int lw_h2_preface(const uint8_t *p, size_t len)
{
	size_t n = LW_MIN(len, (size_t)LW_H2_PREFACE_LEN);

	if (memcmp(p, preface, n) != 0)
		return -EBADMSG;
	return n == LW_H2_PREFACE_LEN ? LW_H2_PREFACE_LEN : LW_NEED_MORE;
}

struct lw_str lw_h2_authority_host(struct lw_str a)
{
	const char *at, *end;
	size_t i;

	if (!a.p)
		return (struct lw_str){NULL, 0};
	/* userinfo: up to the last '@' (§8.3.1 forbids it; clients still send it) */
	at = NULL;
	for (i = 0; i < a.len; i++)
		if (a.p[i] == '@')
			at = a.p + i;
	if (at) {
		a.len -= (size_t)(at + 1 - a.p);
		a.p = at + 1;
	}
	if (a.len > 0 && a.p[0] == '[') {
		end = memchr(a.p, ']', a.len);
		if (!end)
			return (struct lw_str){a.p, 0};
		return (struct lw_str){a.p + 1, (size_t)(end - a.p - 1)};
	}
	end = memchr(a.p, ':', a.len);
	if (end)
		a.len = (size_t)(end - a.p);
	return a;
}
