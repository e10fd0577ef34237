/* SPDX-License-Identifier: MIT */
#include "audit.h"

#include "core/cursor.h"
#include "row.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>

static void put_be64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (56 - 8 * i));
}

static bool audit_valid(const struct lw_fleet_audit *a)
{
	size_t n;

	lw_fleet_tables(&n);
	return a->table < n && a->lo >= 1 && a->hi >= a->lo && a->count >= 1 &&
	       a->count - 1 <= (uint64_t)(a->hi - a->lo);
}

int lw_fleet_audit_encode(const struct lw_fleet_audit *a, uint8_t *buf, size_t size)
{
	if (size < LW_FLEET_AUDIT_LEN || !audit_valid(a))
		return -EINVAL;
	buf[0] = LW_FLEET_AUDIT_FORMAT;
	buf[1] = (uint8_t)a->table;
	put_be64(buf + 2, (uint64_t)a->lo);
	put_be64(buf + 10, (uint64_t)a->hi);
	put_be64(buf + 18, a->count);
	return LW_FLEET_AUDIT_LEN;
}

static uint64_t get_be64(struct lw_cursor *c)
{
	uint64_t hi = lw_cursor_be32(c);

	return hi << 32 | lw_cursor_be32(c);
}

int lw_fleet_audit_decode(const void *buf, size_t len, struct lw_fleet_audit *a)
{
	struct lw_cursor c = lw_cursor_make(buf, len);

	if (lw_cursor_u8(&c) != LW_FLEET_AUDIT_FORMAT)
		return -EBADMSG;
	a->table = lw_cursor_u8(&c);
	a->lo = (int64_t)get_be64(&c);
	a->hi = (int64_t)get_be64(&c);
	a->count = get_be64(&c);
	if (c.err || lw_cursor_left(&c) != 0 || !audit_valid(a))
		return -EBADMSG;
	return 0;
}

int lw_fleet_resend_key(char *buf, size_t size, const char *ap, unsigned table)
{
	size_t n;
	const struct lw_fleet_table *t = lw_fleet_tables(&n);
	int len;

	if (table >= n || !lw_fleet_ap_valid(ap))
		return -EINVAL;
	len = snprintf(buf, size, "%s.%s", ap, t[table].name);
	if (len < 0 || (size_t)len >= size)
		return -ENOSPC;
	return len;
}

int lw_fleet_resend_parse(const void *value, size_t len, int64_t *from)
{
	const char *s = value;
	int64_t v = 0;

	/* 1 to 18 decimal digits, nothing else: no sign, no space, no overflow */
	if (len == 0 || len > 18)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		v = v * 10 + (s[i] - '0');
	}
	if (v < 1)
		return -EINVAL;
	*from = v;
	return 0;
}
