/* SPDX-License-Identifier: MIT */
/*
 * HTTP/2 clear text: the preface, frames fed whole and byte by byte (the same result), header
 * blocks built by nghttp2's HPACK deflater (dynamic table entries referenced by later blocks),
 * CONTINUATION, padding and priority, DATA, and what ends the parse (interleaved frames, a
 * frame over the size limit, a bad HPACK block, a server's PUSH_PROMISE).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nghttp2/nghttp2.h>

#include "proto/h2.h"
#include "lw-test.h"

struct wire {
	uint8_t b[200000];
	size_t n;
};

static void frame(struct wire *w, uint8_t type, uint8_t flags, uint32_t stream, const void *p,
		  size_t len)
{
	uint8_t h[9] = {(uint8_t)(len >> 16),
			(uint8_t)(len >> 8),
			(uint8_t)len,
			type,
			flags,
			(uint8_t)(stream >> 24),
			(uint8_t)(stream >> 16),
			(uint8_t)(stream >> 8),
			(uint8_t)stream};

	memcpy(w->b + w->n, h, 9);
	memcpy(w->b + w->n + 9, p, len);
	w->n += 9 + len;
}

#define NV(n, v)                                                                                   \
	{                                                                                          \
		(uint8_t *)(n), (uint8_t *)(v), sizeof(n) - 1, sizeof(v) - 1, NGHTTP2_NV_FLAG_NONE \
	}

static size_t deflate(nghttp2_hd_deflater *d, const nghttp2_nv *nv, size_t n, uint8_t *out,
		      size_t cap)
{
	ssize_t r = nghttp2_hd_deflate_hd(d, out, cap, (nghttp2_nv *)nv, n);

	if (r < 0)
		abort();
	return (size_t)r;
}

/* What the sink saw, as text: "H<stream> name=value ...;" and "D<stream> bytes;" */
struct seen {
	char s[8192];
	size_t n;
};

static void add(struct seen *s, const char *prefix, const void *p, size_t len)
{
	size_t np = strlen(prefix);

	if (s->n + np + len + 1 > sizeof(s->s))
		abort();
	memcpy(s->s + s->n, prefix, np);
	memcpy(s->s + s->n + np, p, len);
	s->n += np + len;
	s->s[s->n] = 0;
}

static void on_headers(const struct lw_h2_headers *h, void *user_data)
{
	struct seen *s = user_data;
	char head[32];
	size_t i;

	snprintf(head, sizeof(head), "H%u%s", h->stream, h->cut ? " cut" : "");
	add(s, head, "", 0);
	for (i = 0; i < h->n; i++) {
		add(s, " ", h->f[i].name.p, h->f[i].name.len);
		add(s, "=", h->f[i].value.p, h->f[i].value.len);
	}
	add(s, ";", "", 0);
}

static void on_data(uint32_t stream, const uint8_t *p, size_t len, void *user_data)
{
	struct seen *s = user_data;
	char head[32];

	snprintf(head, sizeof(head), "D%u ", stream);
	add(s, head, p, len);
	add(s, ";", "", 0);
}

/* Feeds w whole, then byte by byte (each byte against an unreadable page): same answers. */
static int feed_both(const struct wire *w, struct seen *whole)
{
	struct lw_h2_sink sink = {on_headers, on_data, whole};
	struct seen bytes = {{0}, 0};
	struct lw_h2 *h = lw_h2_new();
	int r, rb = 0;
	size_t i;

	LW_CHECK(h != NULL);
	whole->n = 0;
	whole->s[0] = 0;
	r = lw_h2_feed(h, w->b, w->n, &sink);
	lw_h2_free(h);

	h = lw_h2_new();
	sink.user_data = &bytes;
	for (i = 0; i < w->n; i++) {
		struct lw_test_guard_buf g;
		const uint8_t *p = lw_test_guard(w->b + i, 1, &g);

		rb = lw_h2_feed(h, p, 1, &sink);
		lw_test_unguard(&g);
	}
	lw_h2_free(h);
	LW_CHECK_INT(rb, r);
	LW_CHECK_STR(bytes.s, whole->s);
	return r;
}

static void test_preface(void)
{
	static const char pre[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

	LW_FOR_EACH_PREFIX(pre, sizeof(pre) - 1, p, n,
			   { LW_CHECK_INT(lw_h2_preface(p, n), n < 24 ? LW_NEED_MORE : 24); });
	LW_CHECK_INT(lw_h2_preface((const uint8_t *)"PRI * HTTP/1.1\r\n", 16), -EBADMSG);
	LW_CHECK_INT(lw_h2_preface((const uint8_t *)"GET", 3), -EBADMSG);
}

static void test_requests(void)
{
	static const nghttp2_nv req1[] = {
		NV(":method", "GET"),
		NV(":scheme", "http"),
		NV(":authority", "www.example.com"),
		NV(":path", "/index.html?imei=490154203237518"),
		NV("user-agent", "test/1.0"),
	};
	static const nghttp2_nv req2[] = {
		NV(":method", "POST"),
		NV(":scheme", "http"),
		NV(":authority", "www.example.com"),
		NV(":path", "/upload"),
		NV("user-agent", "test/1.0"),
		NV("x-device", "02:00:5e:00:53:01"),
	};
	nghttp2_hd_deflater *d;
	uint8_t blk[4096], pad[4096];
	size_t n;
	struct wire *w = calloc(1, sizeof(*w));
	struct seen s;

	LW_CHECK(nghttp2_hd_deflate_new(&d, 4096) == 0);
	frame(w, 4, 0, 0, "", 0); /* SETTINGS */
	n = deflate(d, req1, LW_ARRAY_SIZE(req1), blk, sizeof(blk));
	frame(w, 1, 0x4 | 0x1, 1, blk, n);
	/* the second request reuses table entries; its block is split over a padded,
	 * prioritised HEADERS and a CONTINUATION */
	n = deflate(d, req2, LW_ARRAY_SIZE(req2), blk, sizeof(blk));
	pad[0] = 3;
	memset(pad + 1, 0, 5);
	memcpy(pad + 6, blk, 4);
	memset(pad + 10, 0, 3);
	frame(w, 1, 0x8 | 0x20, 3, pad, 13);
	frame(w, 9, 0x4, 3, blk + 4, n - 4);
	frame(w, 8, 0, 0, "\0\0\0\x10", 4); /* WINDOW_UPDATE */
	pad[0] = 2;
	memcpy(pad + 1, "imei=490154203237518", 20);
	memset(pad + 21, 0, 2);
	frame(w, 0, 0x8 | 0x1, 3, pad, 23);
	LW_CHECK_INT(feed_both(w, &s), 0);
	LW_CHECK_STR(s.s, "H1 :method=GET :scheme=http :authority=www.example.com "
			  ":path=/index.html?imei=490154203237518 user-agent=test/1.0;"
			  "H3 :method=POST :scheme=http :authority=www.example.com :path=/upload "
			  "user-agent=test/1.0 x-device=02:00:5e:00:53:01;"
			  "D3 imei=490154203237518;");
	nghttp2_hd_deflate_del(d);
	free(w);
}

static void test_errors(void)
{
	static const nghttp2_nv req[] = {NV(":method", "GET"), NV(":authority", "a.example")};
	nghttp2_hd_deflater *d;
	uint8_t blk[256], big[LW_H2_FRAME_MAX + 1];
	size_t n;
	struct wire *w = calloc(1, sizeof(*w));
	struct seen s;

	LW_CHECK(nghttp2_hd_deflate_new(&d, 4096) == 0);
	n = deflate(d, req, LW_ARRAY_SIZE(req), blk, sizeof(blk));
	/* a HEADERS without END_HEADERS, then a DATA frame: §6.10 */
	frame(w, 1, 0, 1, blk, n);
	frame(w, 0, 0, 1, "x", 1);
	LW_CHECK_INT(feed_both(w, &s), -EBADMSG);
	LW_CHECK_STR(s.s, "");

	w->n = 0; /* too large a frame */
	memset(big, 0, sizeof(big));
	frame(w, 0, 0, 1, big, sizeof(big));
	LW_CHECK_INT(feed_both(w, &s), -E2BIG);

	w->n = 0; /* an HPACK index that does not exist */
	frame(w, 1, 0x4, 1, "\xff\x7f", 2);
	LW_CHECK_INT(feed_both(w, &s), -EBADMSG);

	w->n = 0; /* PUSH_PROMISE from a client */
	frame(w, 5, 0x4, 1, "\0\0\0\x02", 4);
	LW_CHECK_INT(feed_both(w, &s), -EBADMSG);

	w->n = 0; /* padding longer than the frame */
	frame(w, 0, 0x8, 1, "\x05xy", 3);
	LW_CHECK_INT(feed_both(w, &s), -EBADMSG);

	w->n = 0; /* DATA on stream 0 */
	frame(w, 0, 0, 0, "xy", 2);
	LW_CHECK_INT(feed_both(w, &s), -EBADMSG);
	nghttp2_hd_deflate_del(d);
	free(w);
}

/* More fields than kept: the block is reported cut, and the table stays in step. */
static void test_limits(void)
{
	nghttp2_nv nv[LW_H2_FIELDS_MAX + 2];
	char names[LW_H2_FIELDS_MAX + 2][8];
	static const nghttp2_nv after[] = {NV(":authority", "b.example")};
	nghttp2_hd_deflater *d;
	uint8_t *blk = malloc(65536);
	size_t n, i;
	struct wire *w = calloc(1, sizeof(*w));
	struct seen s;

	LW_CHECK(nghttp2_hd_deflate_new(&d, 4096) == 0);
	for (i = 0; i < LW_ARRAY_SIZE(nv); i++) {
		snprintf(names[i], sizeof(names[i]), "x-%zu", i);
		nv[i] = (nghttp2_nv){(uint8_t *)names[i], (uint8_t *)"v", strlen(names[i]), 1,
				     NGHTTP2_NV_FLAG_NONE};
	}
	n = deflate(d, nv, LW_ARRAY_SIZE(nv), blk, 65536);
	frame(w, 1, 0x4, 1, blk, n);
	n = deflate(d, after, 1, blk, 65536);
	frame(w, 1, 0x4, 3, blk, n);
	LW_CHECK_INT(feed_both(w, &s), 0);
	LW_CHECK(strstr(s.s, "H1 cut x-0=v") == s.s);
	LW_CHECK(strstr(s.s, ";H3 :authority=b.example;") != NULL);
	nghttp2_hd_deflate_del(d);
	free(blk);
	free(w);
}

static void test_authority(void)
{
	static const struct {
		const char *in, *host;
	} cases[] = {
		{"www.example.com", "www.example.com"},
		{"www.example.com:8080", "www.example.com"},
		{"user:pw@www.example.com:80", "www.example.com"},
		{"[2001:db8::1]:80", "2001:db8::1"},
		{"[2001:db8::1", ""},
		{"", ""},
	};
	size_t i;

	for (i = 0; i < LW_ARRAY_SIZE(cases); i++) {
		struct lw_str h =
			lw_h2_authority_host((struct lw_str){cases[i].in, strlen(cases[i].in)});
		char *got = strndup(h.p ? h.p : "", h.len);

		LW_CHECK_STR(got, cases[i].host);
		free(got);
	}
}

int main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	LW_TEST(test_preface);
	LW_TEST(test_requests);
	LW_TEST(test_errors);
	LW_TEST(test_limits);
	LW_TEST(test_authority);
	return lw_test_end();
}
