/* SPDX-License-Identifier: MIT */
#include "json.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

void lw_json_init(struct lw_json *j, char *buf, size_t cap)
{
	memset(j, 0, sizeof(*j));
	j->buf = buf;
	j->cap = cap;
	j->first[0] = true;
	if (cap)
		buf[0] = '\0';
	else
		j->overflow = true;
}

static void put(struct lw_json *j, const char *s, size_t n)
{
	if (j->overflow || n >= j->cap - j->len) {
		j->overflow = true;
		return;
	}
	memcpy(j->buf + j->len, s, n);
	j->len += n;
	j->buf[j->len] = '\0';
}

static void putc_(struct lw_json *j, char c)
{
	put(j, &c, 1);
}

/*
 * The length of the UTF-8 sequence at s (1 to 4), or 0 when it is not one: overlong forms,
 * surrogates and code points above U+10FFFF are not (RFC 3629 section 4).
 */
static size_t utf8_len(const unsigned char *s)
{
	unsigned char c = s[0];

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		return (s[1] & 0xc0) == 0x80 ? 2 : 0;
	if (c >= 0xe0 && c <= 0xef) {
		if ((s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80)
			return 0;
		if ((c == 0xe0 && s[1] < 0xa0) || (c == 0xed && s[1] >= 0xa0))
			return 0;
		return 3;
	}
	if (c >= 0xf0 && c <= 0xf4) {
		if ((s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80 || (s[3] & 0xc0) != 0x80)
			return 0;
		if ((c == 0xf0 && s[1] < 0x90) || (c == 0xf4 && s[1] >= 0x90))
			return 0;
		return 4;
	}
	return 0;
}

static void put_string(struct lw_json *j, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	putc_(j, '"');
	while (*p) {
		size_t n = utf8_len(p);
		char esc[8];

		if (n == 0) {
			put(j, "\\ufffd", 6);
			p++;
		} else if (*p == '"' || *p == '\\') {
			esc[0] = '\\';
			esc[1] = (char)*p++;
			put(j, esc, 2);
		} else if (*p < 0x20 || *p == 0x7f) {
			snprintf(esc, sizeof(esc), "\\u%04x", *p++);
			put(j, esc, 6);
		} else {
			put(j, (const char *)p, n);
			p += n;
		}
	}
	putc_(j, '"');
}

/* The comma and the key of the next value. */
static void member(struct lw_json *j, const char *key)
{
	if (!j->first[j->depth])
		putc_(j, ',');
	j->first[j->depth] = false;
	if (key) {
		put_string(j, key);
		putc_(j, ':');
	}
}

static void open_(struct lw_json *j, const char *key, char c)
{
	member(j, key);
	putc_(j, c);
	if (j->depth + 1 >= LW_JSON_DEPTH) {
		j->overflow = true;
		return;
	}
	j->depth++;
	j->first[j->depth] = true;
	j->closer[j->depth] = c == '{' ? '}' : ']';
}

void lw_json_obj(struct lw_json *j, const char *key)
{
	open_(j, key, '{');
}

void lw_json_arr(struct lw_json *j, const char *key)
{
	open_(j, key, '[');
}

void lw_json_close(struct lw_json *j)
{
	if (j->depth == 0) {
		j->overflow = true;
		return;
	}
	putc_(j, j->closer[j->depth--]);
}

void lw_json_str(struct lw_json *j, const char *key, const char *value)
{
	member(j, key);
	put_string(j, value ? value : "");
}

void lw_json_u64(struct lw_json *j, const char *key, uint64_t value)
{
	char n[24];

	member(j, key);
	put(j, n, (size_t)snprintf(n, sizeof(n), "%" PRIu64, value));
}

void lw_json_num(struct lw_json *j, const char *key, double value)
{
	char n[48];
	int w;

	member(j, key);
	if (value != value || value > 1e300 || value < -1e300) /* NaN and infinities: not JSON */
		value = 0;
	w = snprintf(n, sizeof(n), "%.3f", value);
	put(j, n, w > 0 && (size_t)w < sizeof(n) ? (size_t)w : 0);
}

void lw_json_bool(struct lw_json *j, const char *key, bool value)
{
	member(j, key);
	put(j, value ? "true" : "false", value ? 4 : 5);
}

int lw_json_end(struct lw_json *j)
{
	if (j->overflow)
		return -ENOSPC;
	if (j->depth)
		return -EINVAL;
	return (int)j->len;
}

size_t lw_utf8_copy(char *out, size_t cap, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t len = 0;

	if (!cap)
		return 0;
	while (*p) {
		size_t n = utf8_len(p);

		if (n == 0) {
			if (len + 1 >= cap)
				break;
			out[len++] = '?';
			p++;
			continue;
		}
		if (len + n >= cap)
			break;
		memcpy(out + len, p, n);
		len += n;
		p += n;
	}
	out[len] = '\0';
	return len;
}
