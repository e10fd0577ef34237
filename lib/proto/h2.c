/* SPDX-License-Identifier: MIT */
/*
 * HTTP/2 without TLS ("h2c", RFC 9113 §3.3 prior knowledge; the HTTP/1.1 Upgrade of RFC 7540
 * §3.2 ends with the same preface), the client's stream: the frames, and the header blocks
 * decoded by nghttp2's HPACK inflater (RFC 7541) rather than by hand.
 *
 *   Frame (§4.1)
 *   +-----------------------------------------------+
 *   |                 Length (24)                   |
 *   +---------------+---------------+---------------+
 *   |   Type (8)    |   Flags (8)   |
 *   +-+-------------+---------------+-------------------------------+
 *   |R|                 Stream Identifier (31)                      |
 *   +=+=============================================================+
 *   |                   Frame Payload (0...)                      ...
 *
 *   DATA (0):          [Pad Length (8)] Data [Padding]             flags PADDED 0x8
 *   HEADERS (1):       [Pad Length (8)] [E + Stream Dependency (32), Weight (8)]
 *                      Field Block Fragment [Padding]   flags END_HEADERS 0x4, PADDED 0x8,
 *                                                             PRIORITY 0x20
 *   CONTINUATION (9):  Field Block Fragment                    flags END_HEADERS 0x4
 *
 * Other frame types carry no names or content a client sends to a server, and are skipped.
 * A header block must be followed only by its CONTINUATIONs (§6.10).
 *
 * Built with the `h2c` option (libnghttp2); h2-none.c stands in without it.  The preface and
 * :authority are h2-preface.c's, built either way.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <nghttp2/nghttp2.h>

#include "proto/h2.h"

#define H2_FRAME_HEADER 9
#define H2_DATA 0
#define H2_HEADERS 1
#define H2_PUSH_PROMISE 5
#define H2_CONTINUATION 9
#define H2_END_HEADERS 0x4
#define H2_PADDED 0x8
#define H2_PRIORITY 0x20

struct lw_h2 {
	nghttp2_hd_inflater *inflater;
	int err;
	unsigned frames;
	/* the frame being read */
	uint8_t fh[H2_FRAME_HEADER];
	size_t fh_len;
	size_t payload_len; /* of the current frame, once fh is complete */
	uint8_t payload[LW_H2_FRAME_MAX];
	size_t have;
	/* a header block waiting for its CONTINUATIONs */
	uint32_t block_stream;
	bool in_block;
	uint8_t *block;
	size_t block_len;
	/* the decoded fields of a block */
	struct lw_h2_headers out;
	char arena[LW_H2_FIELD_BYTES];
	size_t arena_len;
};

struct lw_h2 *lw_h2_new(void)
{
	struct lw_h2 *h = calloc(1, sizeof(*h));

	if (!h)
		return NULL;
	/* the dynamic table is bounded by SETTINGS_HEADER_TABLE_SIZE's default, 4096 bytes: the
	 * server's SETTINGS are not seen, and a client may not use more unless they raised it */
	if (nghttp2_hd_inflate_new(&h->inflater) != 0) {
		free(h);
		return NULL;
	}
	return h;
}

void lw_h2_free(struct lw_h2 *h)
{
	if (!h)
		return;
	nghttp2_hd_inflate_del(h->inflater);
	free(h->block);
	free(h);
}

static struct lw_str keep(struct lw_h2 *h, const uint8_t *p, size_t n, bool *ok)
{
	struct lw_str s = {h->arena + h->arena_len, n};

	if (n > sizeof(h->arena) - h->arena_len) {
		*ok = false;
		return (struct lw_str){NULL, 0};
	}
	if (n)
		memcpy(h->arena + h->arena_len, p, n);
	h->arena_len += n;
	return s;
}

/* Decodes a whole header block (the inflater's state must see every block, in order). */
static int decode_block(struct lw_h2 *h, uint32_t stream, const uint8_t *in, size_t len,
			const struct lw_h2_sink *sink)
{
	h->out.stream = stream;
	h->out.n = 0;
	h->out.cut = false;
	h->arena_len = 0;
	for (;;) {
		nghttp2_nv nv;
		int flags = 0;
		ssize_t r = nghttp2_hd_inflate_hd2(h->inflater, &nv, &flags, in, len, 1);

		if (r < 0)
			return r == NGHTTP2_ERR_NOMEM ? -ENOMEM : -EBADMSG;
		in += r;
		len -= (size_t)r;
		if (flags & NGHTTP2_HD_INFLATE_EMIT) {
			bool ok = h->out.n < LW_H2_FIELDS_MAX;
			struct lw_h2_field fl;

			if (ok)
				fl.name = keep(h, nv.name, nv.namelen, &ok);
			if (ok)
				fl.value = keep(h, nv.value, nv.valuelen, &ok);
			if (ok)
				h->out.f[h->out.n++] = fl;
			else
				h->out.cut = true;
		}
		if (flags & NGHTTP2_HD_INFLATE_FINAL) {
			nghttp2_hd_inflate_end_headers(h->inflater);
			break;
		}
		if (!(flags & NGHTTP2_HD_INFLATE_EMIT) && len == 0)
			return -EBADMSG; /* the block ends inside a field */
	}
	if (sink->headers)
		sink->headers(&h->out, sink->user_data);
	return 0;
}

static int block_add(struct lw_h2 *h, const uint8_t *p, size_t n)
{
	uint8_t *b;

	if (n > LW_H2_BLOCK_MAX - h->block_len)
		return -E2BIG;
	if (n == 0)
		return 0;
	b = realloc(h->block, h->block_len + n);
	if (!b)
		return -ENOMEM;
	memcpy(b + h->block_len, p, n);
	h->block = b;
	h->block_len += n;
	return 0;
}

/* Strips the padding (and HEADERS' priority fields) of a frame; -EBADMSG if they do not fit. */
static int unpad(uint8_t type, uint8_t flags, const uint8_t **p, size_t *n)
{
	size_t pad = 0;

	if (flags & H2_PADDED) {
		if (*n < 1)
			return -EBADMSG;
		pad = (*p)[0];
		(*p)++;
		(*n)--;
	}
	if (type == H2_HEADERS && (flags & H2_PRIORITY)) {
		if (*n < 5)
			return -EBADMSG;
		*p += 5;
		*n -= 5;
	}
	if (pad > *n)
		return -EBADMSG;
	*n -= pad;
	return 0;
}

static int frame(struct lw_h2 *h, const struct lw_h2_sink *sink)
{
	uint8_t type = h->fh[3], flags = h->fh[4];
	uint32_t stream = ((uint32_t)h->fh[5] << 24 | (uint32_t)h->fh[6] << 16 |
			   (uint32_t)h->fh[7] << 8 | h->fh[8]) &
			  0x7fffffffu;
	const uint8_t *p = h->payload;
	size_t n = h->payload_len;
	int r;

	if (h->in_block && (type != H2_CONTINUATION || stream != h->block_stream))
		return -EBADMSG; /* §6.10 */
	switch (type) {
	case H2_DATA:
		if (stream == 0 || unpad(type, flags, &p, &n) < 0)
			return -EBADMSG;
		if (n > 0 && sink->data)
			sink->data(stream, p, n, sink->user_data);
		return 0;
	case H2_HEADERS:
		if (stream == 0 || unpad(type, flags, &p, &n) < 0)
			return -EBADMSG;
		h->block_len = 0;
		h->block_stream = stream;
		break;
	case H2_CONTINUATION:
		if (!h->in_block)
			return -EBADMSG;
		break;
	case H2_PUSH_PROMISE:
		return -EBADMSG; /* a server's frame (§8.4) */
	default:
		return 0;
	}
	r = block_add(h, p, n);
	if (r < 0)
		return r;
	h->in_block = !(flags & H2_END_HEADERS);
	if (h->in_block)
		return 0;
	return decode_block(h, h->block_stream, h->block, h->block_len, sink);
}

int lw_h2_feed(struct lw_h2 *h, const uint8_t *p, size_t len, const struct lw_h2_sink *sink)
{
	while (len > 0 && !h->err) {
		size_t n;

		if (h->fh_len < H2_FRAME_HEADER) {
			n = LW_MIN(len, H2_FRAME_HEADER - h->fh_len);
			memcpy(h->fh + h->fh_len, p, n);
			h->fh_len += n;
			p += n;
			len -= n;
			if (h->fh_len < H2_FRAME_HEADER)
				break;
			h->payload_len = (size_t)h->fh[0] << 16 | (size_t)h->fh[1] << 8 | h->fh[2];
			h->have = 0;
			if (h->payload_len > LW_H2_FRAME_MAX) {
				h->err = -E2BIG;
				break;
			}
		}
		n = LW_MIN(len, h->payload_len - h->have);
		if (n)
			memcpy(h->payload + h->have, p, n);
		h->have += n;
		p += n;
		len -= n;
		if (h->have < h->payload_len)
			break;
		h->fh_len = 0;
		if (++h->frames > LW_H2_FRAMES_MAX) {
			h->err = -E2BIG;
			break;
		}
		h->err = frame(h, sink);
	}
	return h->err;
}
