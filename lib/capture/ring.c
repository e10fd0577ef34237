/* SPDX-License-Identifier: MIT */
/*
 * A byte ring of variable-sized entries: [head .. tail) is in use, an entry never wraps (one
 * that does not fit before the end leaves the rest of the buffer as a gap and starts at 0).
 * Hand-written: libpcap keeps no history of what it delivered, and the ring is ~100 lines.
 */
#include "capture/ring.h"

#include <stdlib.h>
#include <string.h>

struct entry {
	uint32_t size; /* the whole entry, header included, 8-aligned; 0 = a gap to the end */
	uint32_t caplen;
	uint32_t wire_len;
	uint32_t pad;
	lw_time_us ts;
	uint64_t flow_id;
	/* caplen bytes follow */
};

#define ENTRY_ALIGN 8
#define ENTRY_BYTES(n) ((sizeof(struct entry) + (n) + ENTRY_ALIGN - 1) & ~(size_t)(ENTRY_ALIGN - 1))

struct lw_ring {
	uint8_t *buf;
	size_t cap;
	size_t head, tail; /* oldest entry, next free byte */
	size_t n; /* entries */
	size_t last; /* offset of the entry put last (valid when n > 0) */
	struct lw_ring_stats stats;
};

struct lw_ring *lw_ring_new(size_t bytes)
{
	struct lw_ring *r = calloc(1, sizeof(*r));

	if (bytes < 4096)
		bytes = 4096;
	bytes &= ~(size_t)(ENTRY_ALIGN - 1);
	if (!r || !(r->buf = calloc(1, bytes))) {
		free(r);
		return NULL;
	}
	r->cap = bytes;
	return r;
}

void lw_ring_free(struct lw_ring *r)
{
	if (!r)
		return;
	free(r->buf);
	free(r);
}

static struct entry *at(const struct lw_ring *r, size_t off)
{
	return (struct entry *)(void *)(r->buf + off);
}

/* An entry's offset, or 0 where the rest of the buffer is a gap. */
static size_t norm(const struct lw_ring *r, size_t off)
{
	if (r->cap - off < sizeof(struct entry) || at(r, off)->size == 0)
		return 0;
	return off;
}

/* Drops the oldest entry (skipping a gap at the end first). */
static void drop_oldest(struct lw_ring *r)
{
	struct entry *e;

	if (r->n == 0)
		return;
	r->head = norm(r, r->head);
	e = at(r, r->head);
	r->head += e->size;
	if (--r->n == 0)
		r->head = r->tail = 0;
	r->stats.evicted++;
}

/* Bytes free from tail for one contiguous entry of need bytes, making room as needed. */
static size_t make_room(struct lw_ring *r, size_t need)
{
	for (;;) {
		if (r->n == 0) {
			r->head = r->tail = 0;
			return 0;
		}
		if (r->tail > r->head) {
			/* in use: [head, tail); free: [tail, cap) and [0, head) */
			if (r->cap - r->tail >= need)
				return r->tail;
			if (r->head >= need) {
				if (r->cap - r->tail >= sizeof(uint32_t))
					at(r, r->tail)->size = 0; /* a gap to the end */
				r->tail = 0;
				return 0;
			}
		} else if (r->head - r->tail >= need) {
			/* wrapped: in use [head, cap) and [0, tail); free [tail, head) */
			return r->tail;
		}
		drop_oldest(r);
	}
}

void lw_ring_put(struct lw_ring *r, const struct lw_frame *fr)
{
	size_t keep = fr->caplen, need, off;
	struct entry *e;

	if (!r)
		return;
	if (keep > LW_RING_FRAME_MAX) {
		keep = LW_RING_FRAME_MAX;
		r->stats.cut++;
	}
	need = ENTRY_BYTES(keep);
	if (need > r->cap / 4) {
		keep = r->cap / 4 - sizeof(struct entry);
		need = ENTRY_BYTES(keep);
		r->stats.cut++;
	}
	off = make_room(r, need);
	e = at(r, off);
	e->size = (uint32_t)need;
	e->caplen = (uint32_t)keep;
	e->wire_len =
		(uint32_t)(fr->wire_len < keep ? keep : LW_MIN(fr->wire_len, (size_t)UINT32_MAX));
	e->pad = 0;
	e->ts = fr->ts;
	e->flow_id = 0;
	memcpy(e + 1, fr->data, keep);
	r->tail = off + need;
	r->last = off;
	r->n++;
	r->stats.put++;
}

void lw_ring_tag_last(struct lw_ring *r, uint64_t flow_id)
{
	if (r && r->n && at(r, r->last)->flow_id == 0)
		at(r, r->last)->flow_id = flow_id;
}

static bool wanted(const struct lw_ring *r, size_t off, const struct entry *e, uint64_t flow_id,
		   bool include_last)
{
	return e->flow_id == flow_id || (include_last && off == r->last && e->flow_id == 0);
}

size_t lw_ring_flow(const struct lw_ring *r, uint64_t flow_id, bool include_last, size_t max_bytes,
		    lw_ring_fn fn, void *user_data)
{
	const struct entry *e = NULL;
	size_t off, i, total = 0, given = 0;

	if (!r || r->n == 0)
		return 0;
	for (i = 0, off = norm(r, r->head); i < r->n; i++, off = norm(r, off + e->size)) {
		e = at(r, off);
		if (wanted(r, off, e, flow_id, include_last))
			total += e->caplen;
	}
	for (i = 0, off = norm(r, r->head); i < r->n; i++, off = norm(r, off + e->size)) {
		struct lw_frame fr;

		e = at(r, off);
		if (!wanted(r, off, e, flow_id, include_last))
			continue;
		if (total > max_bytes) { /* the oldest give way to the newest */
			total -= e->caplen;
			continue;
		}
		fr.ts = e->ts;
		fr.data = (const uint8_t *)(e + 1);
		fr.caplen = e->caplen;
		fr.wire_len = e->wire_len;
		fn(&fr, user_data);
		given++;
	}
	return given;
}

const struct lw_ring_stats *lw_ring_get_stats(const struct lw_ring *r)
{
	return &r->stats;
}
