/* SPDX-License-Identifier: MIT */
/*
 * The one way leakwatch reads packet data: a bounds-checked cursor.
 *
 * Every read checks the remaining length first, comparing against (end - p) so the check
 * cannot overflow.  A failed read sets a sticky error and returns zero/NULL, so a long parse
 * may check c->err once at the end.  Nothing here casts a struct over packet memory.
 */
#ifndef LW_CORE_CURSOR_H
#define LW_CORE_CURSOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct lw_cursor {
	const uint8_t *p;
	const uint8_t *end;
	int err; /* 0 or -EBADMSG (sticky) */
};

static inline struct lw_cursor lw_cursor_make(const void *data, size_t len)
{
	struct lw_cursor c = {NULL, NULL, 0};

	if (data) { /* NULL + 0 is undefined behaviour, so only offset a real pointer */
		c.p = (const uint8_t *)data;
		c.end = c.p + len;
	}
	return c;
}

static inline size_t lw_cursor_left(const struct lw_cursor *c)
{
	return c->err ? 0 : (size_t)(c->end - c->p);
}

static inline bool lw_cursor_has(const struct lw_cursor *c, size_t n)
{
	return !c->err && (size_t)(c->end - c->p) >= n;
}

static inline void lw_cursor_fail(struct lw_cursor *c)
{
	c->err = -74; /* -EBADMSG; literal so this header needs no errno.h */
}

static inline uint8_t lw_cursor_u8(struct lw_cursor *c)
{
	if (!lw_cursor_has(c, 1)) {
		lw_cursor_fail(c);
		return 0;
	}
	return *c->p++;
}

static inline uint16_t lw_cursor_be16(struct lw_cursor *c)
{
	uint16_t v;

	if (!lw_cursor_has(c, 2)) {
		lw_cursor_fail(c);
		return 0;
	}
	v = (uint16_t)(c->p[0] << 8 | c->p[1]);
	c->p += 2;
	return v;
}

static inline uint16_t lw_cursor_le16(struct lw_cursor *c)
{
	uint16_t v;

	if (!lw_cursor_has(c, 2)) {
		lw_cursor_fail(c);
		return 0;
	}
	v = (uint16_t)(c->p[1] << 8 | c->p[0]);
	c->p += 2;
	return v;
}

static inline uint32_t lw_cursor_be24(struct lw_cursor *c)
{
	uint32_t v;

	if (!lw_cursor_has(c, 3)) {
		lw_cursor_fail(c);
		return 0;
	}
	v = (uint32_t)c->p[0] << 16 | (uint32_t)c->p[1] << 8 | c->p[2];
	c->p += 3;
	return v;
}

static inline uint32_t lw_cursor_be32(struct lw_cursor *c)
{
	uint32_t v;

	if (!lw_cursor_has(c, 4)) {
		lw_cursor_fail(c);
		return 0;
	}
	v = (uint32_t)c->p[0] << 24 | (uint32_t)c->p[1] << 16 | (uint32_t)c->p[2] << 8 | c->p[3];
	c->p += 4;
	return v;
}

static inline uint32_t lw_cursor_le32(struct lw_cursor *c)
{
	uint32_t v;

	if (!lw_cursor_has(c, 4)) {
		lw_cursor_fail(c);
		return 0;
	}
	v = (uint32_t)c->p[3] << 24 | (uint32_t)c->p[2] << 16 | (uint32_t)c->p[1] << 8 | c->p[0];
	c->p += 4;
	return v;
}

/* Returns a pointer to n bytes and advances, or NULL (and sets err). */
static inline const uint8_t *lw_cursor_bytes(struct lw_cursor *c, size_t n)
{
	const uint8_t *r;

	if (!lw_cursor_has(c, n)) {
		lw_cursor_fail(c);
		return NULL;
	}
	r = c->p;
	c->p += n;
	return r;
}

static inline bool lw_cursor_copy(struct lw_cursor *c, void *dst, size_t n)
{
	const uint8_t *s = lw_cursor_bytes(c, n);

	if (!s)
		return false;
	memcpy(dst, s, n);
	return true;
}

static inline void lw_cursor_skip(struct lw_cursor *c, size_t n)
{
	(void)lw_cursor_bytes(c, n);
}

/*
 * A sub-cursor over the next n bytes (a length-prefixed field); the parent advances past them.
 * If fewer than n bytes remain, both the parent and the returned cursor carry the error.
 */
static inline struct lw_cursor lw_cursor_sub(struct lw_cursor *c, size_t n)
{
	struct lw_cursor s;
	const uint8_t *p = lw_cursor_bytes(c, n);

	if (!p) {
		s.p = s.end = NULL;
		s.err = -74;
		return s;
	}
	s.p = p;
	s.end = p + n;
	s.err = 0;
	return s;
}

/* QUIC variable-length integer (RFC 9000 §16). */
static inline uint64_t lw_cursor_varint(struct lw_cursor *c)
{
	uint8_t first;
	uint64_t v;
	size_t n, i;

	if (!lw_cursor_has(c, 1)) {
		lw_cursor_fail(c);
		return 0;
	}
	first = c->p[0];
	n = (size_t)1 << (first >> 6);
	if (!lw_cursor_has(c, n)) {
		lw_cursor_fail(c);
		return 0;
	}
	v = first & 0x3f;
	for (i = 1; i < n; i++)
		v = v << 8 | c->p[i];
	c->p += n;
	return v;
}

#endif
