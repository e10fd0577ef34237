/* SPDX-License-Identifier: MIT */
/*
 * The decoders the engine peels content with, each bounded by the caller's output buffer:
 *   base64 / base64url  RFC 4648 §4, §5 (padding optional, alphabets not mixed)
 *   hex                 RFC 4648 §8 (base16), either case
 *   percent-encoding    RFC 3986 §2.1; '+' as space in HTML form encoding
 *   JSON                RFC 8259, read tolerantly: scalars with the key they sit under
 *   forms               application/x-www-form-urlencoded (WHATWG URL §5), cookies (RFC 6265)
 *   Content-Encoding    RFC 9110 §8.4: gzip (RFC 1952), deflate (RFC 1950, and raw RFC 1951
 *                       as some peers send it), br (RFC 7932) — by zlib and libbrotlidec
 *                       (decode-brotli.c, the `brotli` option)
 *
 * Base64 is decoded here rather than with EVP_DecodeBlock: that wants the standard alphabet,
 * a length that is a multiple of four, and counts padding as data; what we meet in traffic is
 * url-safe, unpadded and cut at arbitrary places.
 */
#include <errno.h>
#include <string.h>

#include "core/cursor.h"
#include "detect/detect-int.h"

static int b64val(uint8_t c, int *alpha)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+' || c == '/') {
		if (*alpha == 2)
			return -1;
		*alpha = 1;
		return c == '+' ? 62 : 63;
	}
	if (c == '-' || c == '_') {
		if (*alpha == 1)
			return -1;
		*alpha = 2;
		return c == '-' ? 62 : 63;
	}
	return -1;
}

ssize_t lw_detect_b64_decode(const uint8_t *p, size_t n, uint8_t *out, size_t cap)
{
	uint32_t acc = 0;
	size_t i, o = 0;
	int bits = 0, alpha = 0;

	while (n && p[n - 1] == '=')
		n--;
	if (n % 4 == 1)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		int v = b64val(p[i], &alpha);

		if (v < 0)
			return -EINVAL;
		acc = (acc << 6 | (uint32_t)v) & 0xffffff;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (o >= cap)
				return (ssize_t)o;
			out[o++] = (uint8_t)(acc >> bits);
		}
	}
	return (ssize_t)o;
}

static int hexval(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

ssize_t lw_detect_hex_decode(const uint8_t *p, size_t n, uint8_t *out, size_t cap)
{
	size_t i, o = 0;

	if (n % 2)
		return -EINVAL;
	for (i = 0; i + 1 < n; i += 2) {
		int a = hexval(p[i]), b = hexval(p[i + 1]);

		if (a < 0 || b < 0)
			return -EINVAL;
		if (o >= cap)
			break;
		out[o++] = (uint8_t)(a << 4 | b);
	}
	return (ssize_t)o;
}

/*
 * The text test of lw_detect_text_plausible(), made byte by byte while a decoder writes, so
 * that a run of random characters (tokens, hashes, nonces: most of what the base64 alphabet
 * matches in telemetry) is given up after its first bytes instead of decoded whole and then
 * judged.  It answers exactly as lw_detect_text_plausible() on the whole output would: n, the
 * output length, is known before decoding, and a rejection is only made once no later byte
 * could change it.
 */
struct plaus {
	size_t n, allowed, bad;
	bool json, lead; /* accepted as JSON; still in the leading whitespace */
};

static void plaus_init(struct plaus *pl, size_t n, bool strict)
{
	pl->n = n;
	pl->allowed = strict ? 0 : n / 20; /* bad * 20 <= n */
	pl->bad = 0;
	pl->json = false;
	pl->lead = true;
}

/* Judges output byte i; false = the output cannot be plausible. */
static inline bool plaus_byte(struct plaus *pl, uint8_t c, size_t i)
{
	if (pl->json)
		return true;
	if (pl->lead) {
		if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
			return true;
		pl->lead = false;
		if ((c == '{' || c == '[') && i + 1 < pl->n) {
			pl->json = true;
			return true;
		}
	}
	if (c == 0)
		return false;
	if ((c < 0x20 && c != '\t' && c != '\r' && c != '\n') || c >= 0x7f)
		return ++pl->bad <= pl->allowed;
	return true;
}

/* Base64 digit values (low 6 bits) of the characters of either alphabet; 0 for the rest. */
#define B64_OK 0x100
#define B64_STD 0x200 /* '+' '/' */
#define B64_URL 0x400 /* '-' '_' */
static const uint16_t b64tab[256] = {
	['A'] = B64_OK | 0,
	['B'] = B64_OK | 1,
	['C'] = B64_OK | 2,
	['D'] = B64_OK | 3,
	['E'] = B64_OK | 4,
	['F'] = B64_OK | 5,
	['G'] = B64_OK | 6,
	['H'] = B64_OK | 7,
	['I'] = B64_OK | 8,
	['J'] = B64_OK | 9,
	['K'] = B64_OK | 10,
	['L'] = B64_OK | 11,
	['M'] = B64_OK | 12,
	['N'] = B64_OK | 13,
	['O'] = B64_OK | 14,
	['P'] = B64_OK | 15,
	['Q'] = B64_OK | 16,
	['R'] = B64_OK | 17,
	['S'] = B64_OK | 18,
	['T'] = B64_OK | 19,
	['U'] = B64_OK | 20,
	['V'] = B64_OK | 21,
	['W'] = B64_OK | 22,
	['X'] = B64_OK | 23,
	['Y'] = B64_OK | 24,
	['Z'] = B64_OK | 25,
	['a'] = B64_OK | 26,
	['b'] = B64_OK | 27,
	['c'] = B64_OK | 28,
	['d'] = B64_OK | 29,
	['e'] = B64_OK | 30,
	['f'] = B64_OK | 31,
	['g'] = B64_OK | 32,
	['h'] = B64_OK | 33,
	['i'] = B64_OK | 34,
	['j'] = B64_OK | 35,
	['k'] = B64_OK | 36,
	['l'] = B64_OK | 37,
	['m'] = B64_OK | 38,
	['n'] = B64_OK | 39,
	['o'] = B64_OK | 40,
	['p'] = B64_OK | 41,
	['q'] = B64_OK | 42,
	['r'] = B64_OK | 43,
	['s'] = B64_OK | 44,
	['t'] = B64_OK | 45,
	['u'] = B64_OK | 46,
	['v'] = B64_OK | 47,
	['w'] = B64_OK | 48,
	['x'] = B64_OK | 49,
	['y'] = B64_OK | 50,
	['z'] = B64_OK | 51,
	['0'] = B64_OK | 52,
	['1'] = B64_OK | 53,
	['2'] = B64_OK | 54,
	['3'] = B64_OK | 55,
	['4'] = B64_OK | 56,
	['5'] = B64_OK | 57,
	['6'] = B64_OK | 58,
	['7'] = B64_OK | 59,
	['8'] = B64_OK | 60,
	['9'] = B64_OK | 61,
	['+'] = B64_OK | B64_STD | 62,
	['/'] = B64_OK | B64_STD | 63,
	['-'] = B64_OK | B64_URL | 62,
	['_'] = B64_OK | B64_URL | 63,
};

ssize_t lw_detect_b64_decode_text(const uint8_t *p, size_t n, uint8_t *out, size_t cap, bool strict)
{
	struct plaus pl;
	uint32_t acc = 0;
	size_t i, o = 0, m;
	int bits = 0, alpha = 0;

	while (n && p[n - 1] == '=')
		n--;
	if (n % 4 == 1)
		return -EINVAL;
	m = LW_MIN(n / 4 * 3 + (n % 4 ? n % 4 - 1 : 0), cap);
	if (m < 4)
		return -EINVAL;
	plaus_init(&pl, m, strict);
	/* whole quanta: four characters, three bytes, one validity test */
	for (i = 0; i + 4 <= n && o + 3 <= m; i += 4) {
		uint32_t a = b64tab[p[i]], b = b64tab[p[i + 1]], c = b64tab[p[i + 2]],
			 d = b64tab[p[i + 3]], any = a | b | c | d, v;

		if (!(a & b & c & d & B64_OK))
			return -EINVAL;
		if (any & (B64_STD | B64_URL)) {
			int al = any & B64_URL ? 2 : 1;

			if ((any & B64_STD && any & B64_URL) || (alpha && alpha != al))
				return -EINVAL;
			alpha = al;
		}
		v = (a & 0x3f) << 18 | (b & 0x3f) << 12 | (c & 0x3f) << 6 | (d & 0x3f);
		out[o] = (uint8_t)(v >> 16);
		out[o + 1] = (uint8_t)(v >> 8);
		out[o + 2] = (uint8_t)v;
		if (!plaus_byte(&pl, out[o], o) || !plaus_byte(&pl, out[o + 1], o + 1) ||
		    !plaus_byte(&pl, out[o + 2], o + 2))
			return -EINVAL;
		o += 3;
	}
	for (; i < n && o < m; i++) {
		uint32_t v = b64tab[p[i]];

		if (!(v & B64_OK))
			return -EINVAL;
		if (v & (B64_STD | B64_URL)) { /* one alphabet per run, as b64val() */
			int a = v & B64_URL ? 2 : 1;

			if (alpha && alpha != a)
				return -EINVAL;
			alpha = a;
		}
		acc = (acc << 6 | (v & 0x3f)) & 0xffffff;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o] = (uint8_t)(acc >> bits);
			if (!plaus_byte(&pl, out[o], o))
				return -EINVAL;
			o++;
		}
	}
	return (ssize_t)o;
}

ssize_t lw_detect_hex_decode_text(const uint8_t *p, size_t n, uint8_t *out, size_t cap, bool strict)
{
	struct plaus pl;
	size_t i, o = 0, m;

	if (n % 2)
		return -EINVAL;
	m = LW_MIN(n / 2, cap);
	if (m < 4)
		return -EINVAL;
	plaus_init(&pl, m, strict);
	for (i = 0; o < m; i += 2) {
		int a = hexval(p[i]), b = hexval(p[i + 1]);

		if (a < 0 || b < 0)
			return -EINVAL;
		out[o] = (uint8_t)(a << 4 | b);
		if (!plaus_byte(&pl, out[o], o))
			return -EINVAL;
		o++;
	}
	return (ssize_t)o;
}

bool lw_detect_has_pct(const uint8_t *p, size_t n)
{
	const uint8_t *q = p, *end = p + n;

	while ((q = memchr(q, '%', (size_t)(end - q))) != NULL) {
		if (end - q >= 3 && hexval(q[1]) >= 0 && hexval(q[2]) >= 0)
			return true;
		q++;
	}
	return false;
}

size_t lw_detect_url_decode(const uint8_t *p, size_t n, uint8_t *out, size_t cap, bool plus_space)
{
	size_t i, o = 0;

	for (i = 0; i < n && o < cap; i++) {
		if (p[i] == '%' && i + 2 < n && hexval(p[i + 1]) >= 0 && hexval(p[i + 2]) >= 0) {
			out[o++] = (uint8_t)(hexval(p[i + 1]) << 4 | hexval(p[i + 2]));
			i += 2;
		} else if (p[i] == '+' && plus_space) {
			out[o++] = ' ';
		} else {
			out[o++] = p[i];
		}
	}
	return o;
}

static size_t utf8_put(uint32_t cp, uint8_t *out, size_t room)
{
	if (cp < 0x80 && room >= 1) {
		out[0] = (uint8_t)cp;
		return 1;
	}
	if (cp < 0x800 && room >= 2) {
		out[0] = (uint8_t)(0xc0 | cp >> 6);
		out[1] = (uint8_t)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000 && room >= 3) {
		out[0] = (uint8_t)(0xe0 | cp >> 12);
		out[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (uint8_t)(0x80 | (cp & 0x3f));
		return 3;
	}
	if (cp < 0x110000 && room >= 4) {
		out[0] = (uint8_t)(0xf0 | cp >> 18);
		out[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3f));
		out[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
		out[3] = (uint8_t)(0x80 | (cp & 0x3f));
		return 4;
	}
	return 0;
}

static bool hex4(const uint8_t *p, size_t left, uint32_t *v)
{
	size_t i;

	if (left < 4)
		return false;
	*v = 0;
	for (i = 0; i < 4; i++) {
		int h = hexval(p[i]);

		if (h < 0)
			return false;
		*v = *v << 4 | (uint32_t)h;
	}
	return true;
}

size_t lw_detect_json_unescape(const uint8_t *p, size_t n, uint8_t *out, size_t cap)
{
	size_t i = 0, o = 0;

	while (i < n && o < cap) {
		uint32_t cp, lo;
		uint8_t c = p[i];

		if (c != '\\' || i + 1 >= n) {
			out[o++] = c;
			i++;
			continue;
		}
		c = p[i + 1];
		i += 2;
		switch (c) {
		case 'n':
			out[o++] = '\n';
			break;
		case 't':
			out[o++] = '\t';
			break;
		case 'r':
			out[o++] = '\r';
			break;
		case 'b':
			out[o++] = '\b';
			break;
		case 'f':
			out[o++] = '\f';
			break;
		case 'u':
			if (!hex4(p + i, n - i, &cp)) {
				out[o++] = 'u';
				break;
			}
			i += 4;
			/* a surrogate pair spells one code point */
			if (cp >= 0xd800 && cp < 0xdc00 && i + 6 <= n && p[i] == '\\' &&
			    p[i + 1] == 'u' && hex4(p + i + 2, n - i - 2, &lo) && lo >= 0xdc00 &&
			    lo < 0xe000) {
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
				i += 6;
			}
			o += utf8_put(cp, out + o, cap - o);
			break;
		default: /* \" \\ \/ and anything a sloppy writer escaped */
			out[o++] = c;
			break;
		}
	}
	return o;
}

bool lw_detect_json_looks(const uint8_t *p, size_t n)
{
	size_t i = 0;

	while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' || p[i] == '\n'))
		i++;
	return i + 1 < n && (p[i] == '{' || p[i] == '[');
}

bool lw_detect_text_plausible(const uint8_t *p, size_t n, bool strict)
{
	size_t i, bad = 0;

	if (n < 4)
		return false;
	if (lw_detect_json_looks(p, n))
		return true;
	for (i = 0; i < n; i++) {
		uint8_t c = p[i];

		if (c == 0)
			return false;
		if ((c < 0x20 && c != '\t' && c != '\r' && c != '\n') || c >= 0x7f)
			bad++;
	}
	return strict ? bad == 0 : bad * 20 <= n;
}

enum lw_coding lw_detect_coding_parse(const char *s, size_t n)
{
	while (n && (s[0] == ' ' || s[0] == '\t'))
		s++, n--;
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	if (n == 0 || (n == 8 && strncasecmp(s, "identity", 8) == 0))
		return LW_CODING_IDENTITY;
	if ((n == 4 && strncasecmp(s, "gzip", 4) == 0) ||
	    (n == 6 && strncasecmp(s, "x-gzip", 6) == 0))
		return LW_CODING_GZIP;
	if (n == 7 && strncasecmp(s, "deflate", 7) == 0)
		return LW_CODING_DEFLATE;
	if (n == 2 && strncasecmp(s, "br", 2) == 0)
		return LW_CODING_BR;
	return LW_CODING_UNKNOWN;
}

const char *lw_detect_coding_str(enum lw_coding c)
{
	switch (c) {
	case LW_CODING_IDENTITY:
		return "identity";
	case LW_CODING_GZIP:
		return "gzip";
	case LW_CODING_DEFLATE:
		return "deflate";
	case LW_CODING_BR:
		return "br";
	case LW_CODING_UNKNOWN:
		return "unknown";
	}
	return "unknown";
}

int lw_detect_inflate(z_stream *zs, enum lw_coding c, const uint8_t *p, size_t n, uint8_t *out,
		      size_t cap, size_t *out_len, bool *budget_hit)
{
	int wbits = 15 + 32; /* gzip or zlib, told apart by their headers */

	*out_len = 0;
	if (n < 2 || cap == 0)
		return -EBADMSG;
	/* "deflate" should be zlib-wrapped (RFC 9110 §8.4.1.2); many send raw deflate */
	if (c == LW_CODING_DEFLATE && !((p[0] & 0x0f) == 8 && ((p[0] << 8) | p[1]) % 31 == 0))
		wbits = -15;
	if (inflateReset2(zs, wbits) != Z_OK)
		return -EBADMSG;
	zs->next_in = (Bytef *)(uintptr_t)p;
	zs->avail_in = (uInt)LW_MIN(n, (size_t)UINT32_MAX);
	zs->next_out = out;
	zs->avail_out = (uInt)LW_MIN(cap, (size_t)UINT32_MAX);
	for (;;) {
		int r = inflate(zs, Z_NO_FLUSH);

		if (r == Z_STREAM_END) {
			/* concatenated gzip members (RFC 1952 §2.2) */
			if (wbits == 15 + 32 && zs->avail_in >= 2 && zs->next_in[0] == 0x1f &&
			    zs->next_in[1] == 0x8b && zs->avail_out > 0) {
				inflateReset(zs);
				continue;
			}
			break;
		}
		if (r == Z_OK || r == Z_BUF_ERROR) {
			if (zs->avail_out == 0) {
				*budget_hit = true;
				break;
			}
			if (zs->avail_in == 0 || r == Z_BUF_ERROR)
				break; /* the body was cut short: keep what came out */
			continue;
		}
		break; /* corrupt: what came out before the error is still worth reading */
	}
	*out_len = (size_t)(zs->next_out - out);
	zs->next_in = NULL;
	zs->next_out = NULL;
	return *out_len > 0 ? 0 : -EBADMSG;
}

/*
 * A body compressed without saying so (no Content-Encoding: an octet-stream POST that is a
 * zlib stream) is known by its first bytes: gzip by its magic and method (RFC 1952 §2.3.1:
 * 1f 8b 08, one chance in 2^24 by accident), zlib by its two-byte header (RFC 1950 §2.2:
 * CM 8, CINFO <= 7, no preset dictionary, CMF*256+FLG a multiple of 31: about one binary
 * body in 1 000 matches by accident, and then inflate fails on the next bytes).
 */
enum lw_sniff lw_detect_sniff(const uint8_t *p, size_t n)
{
	if (n >= 10 && p[0] == 0x1f && p[1] == 0x8b && p[2] == 8)
		return LW_SNIFF_GZIP;
	if (n >= 6 && (p[0] & 0x0f) == 8 && (p[0] >> 4) <= 7 && !(p[1] & 0x20) &&
	    ((unsigned)p[0] << 8 | p[1]) % 31 == 0)
		return LW_SNIFF_ZLIB;
	return LW_SNIFF_NONE;
}

int lw_detect_inflate_raw(z_stream *zs, const uint8_t *p, size_t n, uint8_t *out, size_t cap,
			  size_t *out_len, bool *budget_hit)
{
	bool whole = false;

	*out_len = 0;
	/* raw deflate has no header; its first block's type (bits 1-2) is never 3 (RFC 1951 3.2.3) */
	if (n < 4 || cap == 0 || ((p[0] >> 1) & 3) == 3)
		return -EBADMSG;
	if (inflateReset2(zs, -15) != Z_OK)
		return -EBADMSG;
	zs->next_in = (Bytef *)(uintptr_t)p;
	zs->avail_in = (uInt)LW_MIN(n, (size_t)UINT32_MAX);
	zs->next_out = out;
	zs->avail_out = (uInt)LW_MIN(cap, (size_t)UINT32_MAX);
	for (;;) {
		int r = inflate(zs, Z_NO_FLUSH);

		if (r == Z_STREAM_END) {
			/* all of it: a stream that ends early is bytes that only began like one */
			whole = zs->avail_in == 0;
			break;
		}
		if (r == Z_OK && zs->avail_out == 0) {
			*budget_hit = true;
			whole = true;
			break;
		}
		if (r != Z_OK || zs->avail_in == 0)
			break;
	}
	*out_len = whole ? (size_t)(zs->next_out - out) : 0;
	zs->next_in = NULL;
	zs->next_out = NULL;
	return *out_len > 0 ? 0 : -EBADMSG;
}

/* ---- JSON -------------------------------------------------------------------------------- */

static bool json_ws(uint8_t c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static void skip_ws(struct lw_cursor *c)
{
	while (lw_cursor_has(c, 1) && json_ws(c->p[0]))
		c->p++;
}

static int peek(const struct lw_cursor *c)
{
	return lw_cursor_has(c, 1) ? c->p[0] : -1;
}

/* A string body after the opening quote; the cursor ends past the closing quote. */
static bool json_string(struct lw_cursor *c, const uint8_t **s, size_t *len, bool *escaped)
{
	const uint8_t *start = c->p;

	*escaped = false;
	if (lw_cursor_has(c, 1)) { /* most strings have no escape: two memchr, no byte loop */
		const uint8_t *q = memchr(c->p, '"', (size_t)(c->end - c->p));

		if (q && !memchr(c->p, '\\', (size_t)(q - c->p))) {
			*s = start;
			*len = (size_t)(q - start);
			c->p = q + 1;
			return true;
		}
	}
	while (lw_cursor_has(c, 1)) {
		uint8_t ch = c->p[0];

		if (ch == '"') {
			*s = start;
			*len = (size_t)(c->p - start);
			c->p++;
			return true;
		}
		if (ch == '\\') {
			*escaped = true;
			if (!lw_cursor_has(c, 2))
				break;
			c->p += 2;
			continue;
		}
		c->p++;
	}
	lw_cursor_fail(c);
	return false;
}

/* The characters of a bare JSON token: digits, letters, - + . _ $ */
static inline bool bare_char(uint8_t c)
{
	static const bool bare[256] = {
		['0'] = true, ['1'] = true, ['2'] = true, ['3'] = true, ['4'] = true, ['5'] = true,
		['6'] = true, ['7'] = true, ['8'] = true, ['9'] = true, ['a'] = true, ['b'] = true,
		['c'] = true, ['d'] = true, ['e'] = true, ['f'] = true, ['g'] = true, ['h'] = true,
		['i'] = true, ['j'] = true, ['k'] = true, ['l'] = true, ['m'] = true, ['n'] = true,
		['o'] = true, ['p'] = true, ['q'] = true, ['r'] = true, ['s'] = true, ['t'] = true,
		['u'] = true, ['v'] = true, ['w'] = true, ['x'] = true, ['y'] = true, ['z'] = true,
		['A'] = true, ['B'] = true, ['C'] = true, ['D'] = true, ['E'] = true, ['F'] = true,
		['G'] = true, ['H'] = true, ['I'] = true, ['J'] = true, ['K'] = true, ['L'] = true,
		['M'] = true, ['N'] = true, ['O'] = true, ['P'] = true, ['Q'] = true, ['R'] = true,
		['S'] = true, ['T'] = true, ['U'] = true, ['V'] = true, ['W'] = true, ['X'] = true,
		['Y'] = true, ['Z'] = true, ['-'] = true, ['+'] = true, ['.'] = true, ['_'] = true,
		['$'] = true,
	};

	return bare[c];
}

/* Numbers, true/false/null — and, tolerantly, bare words. */
static bool json_bare(struct lw_cursor *c, const uint8_t **s, size_t *len)
{
	const uint8_t *start = c->p;

	while (lw_cursor_has(c, 1) && bare_char(c->p[0]))
		c->p++;
	*s = start;
	*len = (size_t)(c->p - start);
	return *len > 0;
}

struct json_level {
	bool object;
	const uint8_t *key; /* the key this container sits under (arrays pass it on) */
	size_t key_len;
};

int lw_detect_json_walk(const uint8_t *p, size_t n, const struct lw_json_cb *cb, void *user,
			size_t *stopped)
{
	struct json_level st[LW_JSON_MAX_DEPTH];
	struct lw_cursor c = lw_cursor_make(p, n);
	const uint8_t *key = NULL, *s;
	size_t key_len = 0, len;
	int top = -1, ch;
	bool escaped, ok;
	enum { VALUE, MEMBER, AFTER } state = VALUE;

	for (;;) {
		skip_ws(&c);
		ch = peek(&c);
		if (ch < 0)
			break;
		if (state == MEMBER) {
			/* a key, or the end of an (empty or trailing-comma) object */
			if (ch == '}') {
				c.p++;
				if (cb->object_end)
					cb->object_end(user);
				top--;
				state = AFTER;
				continue;
			}
			if (ch == '"') {
				c.p++;
				if (!json_string(&c, &key, &key_len, &escaped))
					break;
			} else if (!json_bare(&c, &key, &key_len)) {
				break;
			}
			if (cb->key)
				cb->key(user, key, key_len);
			skip_ws(&c);
			if (peek(&c) != ':')
				break;
			c.p++;
			state = VALUE;
			continue;
		}
		if (state == AFTER) {
			if (top < 0)
				break;
			if (ch == ',') {
				c.p++;
				if (st[top].object) {
					state = MEMBER;
				} else {
					state = VALUE;
					key = st[top].key;
					key_len = st[top].key_len;
				}
				continue;
			}
			if (ch == ']' && !st[top].object) {
				c.p++;
				top--;
				continue;
			}
			if (ch == '}' && st[top].object) {
				c.p++;
				if (cb->object_end)
					cb->object_end(user);
				top--;
				continue;
			}
			break;
		}
		/* state == VALUE */
		if (ch == '{' || ch == '[') {
			if (top + 1 >= LW_JSON_MAX_DEPTH)
				break;
			c.p++;
			top++;
			st[top].object = ch == '{';
			st[top].key = key;
			st[top].key_len = key_len;
			if (ch == '{') {
				if (cb->object_begin)
					cb->object_begin(user);
				state = MEMBER;
			} else {
				skip_ws(&c);
				if (peek(&c) == ']') {
					c.p++;
					top--;
					state = AFTER;
				}
			}
			continue;
		}
		if (ch == ']' && top >= 0 && !st[top].object) {
			/* trailing comma: [1,2,] */
			c.p++;
			top--;
			state = AFTER;
			continue;
		}
		if (ch == '"') {
			c.p++;
			if (!json_string(&c, &s, &len, &escaped))
				break;
			if (cb->scalar)
				cb->scalar(user, key, key_len, s, len, true, escaped);
		} else if (json_bare(&c, &s, &len)) {
			if (cb->scalar)
				cb->scalar(user, key, key_len, s, len, false, false);
		} else {
			break;
		}
		state = AFTER;
	}
	ok = state == AFTER && top < 0 && !c.err && !lw_cursor_has(&c, 1);
	*stopped = c.err ? n : (size_t)(c.p - p);
	/* close what the input left open, so the caller's per-object state unwinds */
	for (; top >= 0; top--)
		if (st[top].object && cb->object_end)
			cb->object_end(user);
	return ok ? 0 : -EBADMSG;
}

/* ---- forms ------------------------------------------------------------------------------- */

bool lw_detect_form_next(struct lw_form_iter *it, const uint8_t **k, size_t *kl, const uint8_t **v,
			 size_t *vl)
{
	const uint8_t *seg, *end, *eq;

	while (it->p < it->end && (*it->p == (uint8_t)it->sep || *it->p == ' '))
		it->p++;
	if (it->p >= it->end)
		return false;
	seg = it->p;
	end = memchr(seg, it->sep, (size_t)(it->end - seg));
	if (!end)
		end = it->end;
	it->p = end;
	eq = memchr(seg, '=', (size_t)(end - seg));
	*k = seg;
	if (eq) {
		*kl = (size_t)(eq - seg);
		*v = eq + 1;
		*vl = (size_t)(end - eq - 1);
	} else {
		*kl = (size_t)(end - seg);
		*v = end;
		*vl = 0;
	}
	while (*kl && (*k)[*kl - 1] == ' ')
		(*kl)--;
	return true;
}

static bool form_key_char(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '.' || c == '-' || c == '[' || c == ']' || c == '%' || c == '*' ||
	       c == '+' || c == ':' || c == '$';
}

bool lw_detect_form_looks(const uint8_t *p, size_t n)
{
	struct lw_form_iter it = {p, p + n, '&'};
	const uint8_t *k, *v;
	const uint8_t *eq = n < 3 ? NULL : memchr(p, '=', n);
	size_t kl, vl, i, e, segs = 0, pairs = 0;
	bool only_pad = false;

	if (!eq) /* no pair without '=' (most values have none) */
		return false;
	/* "dGVzdA==": one segment whose only '=' are padding at the end is base64, not a form */
	for (e = (size_t)(eq - p); e < n && p[e] == '='; e++)
		;
	if (e == n && !memchr(p, '&', (size_t)(eq - p)))
		return false;
	for (i = 0; i < n; i++)
		if (p[i] <= 0x20 || p[i] >= 0x7f)
			return false;
	while (lw_detect_form_next(&it, &k, &kl, &v, &vl)) {
		segs++;
		if (kl == 0 || kl > 64)
			return false;
		for (i = 0; i < kl; i++)
			if (!form_key_char(k[i]))
				return false;
		if (v == k + kl) /* no '=' */
			continue;
		pairs++;
		/* '=' inside a value only as base64 padding at its end */
		for (i = 0; i < vl && v[i] != '='; i++)
			;
		for (; i < vl; i++)
			if (v[i] != '=')
				return false;
		only_pad = vl == 0 || v[0] == '=';
	}
	/* "dGVzdA==" is base64, not a form with key dGVzdA */
	if (segs == 1 && only_pad)
		return false;
	return pairs > 0 && pairs * 2 >= segs;
}
