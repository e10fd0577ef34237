/* SPDX-License-Identifier: MIT */
/*
 * IP fragment reassembly within fixed bounds (RFC 791 §3.2, RFC 8200 §4.5, RFC 815).
 *
 *   IPv4: | ... | Identification (16) | 0 |DF|MF| Fragment Offset (13, in 8-byte units) | ...
 *   IPv6 fragment header:
 *   +---------------+---------------+-------------------------+-----+-+
 *   |  Next Header  |   Reserved    |     Fragment Offset     | Res |M|
 *   +---------------+---------------+-------------------------+-----+-+
 *   |                         Identification                          |
 *   +-----------------------------------------------------------------+
 *
 * Written by hand because libpcap stops at the capture; no well-kept library reassembles
 * IP fragments for a passive observer within a memory budget.
 *
 * Memory: one arena of frag_max_bytes, cut into fixed blocks, allocated once.  A datagram maps
 * each FRAG_BLOCK-sized slice of its payload to an arena block when a fragment first touches
 * it, so held bytes never exceed the arena and nothing is allocated per packet.  What is
 * received is kept as a short sorted list of byte ranges (RFC 815's holes, inverted).
 *
 * Overlaps: the first data received for a byte wins; later copies of it are ignored, and a
 * fragment that brings nothing new is counted as dropped.  A last fragment that disagrees
 * about the end, data past the end, or a datagram over 65535 bytes drops the whole datagram.
 */
#include "decode/frag.h"

#include <stdlib.h>
#include <string.h>

#define FRAG_BLOCK 1024u
#define FRAG_BLOCKS_PER_DGRAM ((LW_FRAG_MAX_DATAGRAM + FRAG_BLOCK - 1) / FRAG_BLOCK)
/* Received ranges per datagram: more means a peer is sending a sieve of tiny fragments. */
#define FRAG_MAX_RANGES 32
/* Datagrams are found by a linear scan: fragments are rare, but keep the scan short. */
#define FRAG_MAX_DATAGRAMS_CAP 4096
#define FRAG_NO_BLOCK UINT32_MAX

struct frag_range {
	uint32_t start, end; /* [start, end) */
};

struct frag_dgram {
	bool used;
	bool have_last;
	bool have_proto;
	uint8_t proto;
	struct lw_frag_key key;
	lw_time_us first_ts;
	uint32_t total; /* payload length, known once the last fragment is seen */
	uint32_t nfrags; /* fragments held, counted as dropped if the datagram is */
	unsigned nranges;
	struct frag_range ranges[FRAG_MAX_RANGES];
	uint32_t blk[FRAG_BLOCKS_PER_DGRAM];
};

struct lw_frag_table {
	struct lw_decode_stats *st;
	lw_time_us timeout;
	size_t ndgrams;
	struct frag_dgram *dgrams;
	uint8_t *arena;
	uint32_t nblocks;
	uint32_t nfree;
	uint32_t *free_blocks;
	uint8_t out[LW_FRAG_MAX_DATAGRAM];
};

struct lw_frag_table *lw_frag_new(const struct lw_decode_config *cfg, struct lw_decode_stats *st)
{
	struct lw_frag_table *t = calloc(1, sizeof(*t));
	size_t nblocks = cfg->frag_max_bytes / FRAG_BLOCK;
	uint32_t i;

	if (!t)
		return NULL;
	if (nblocks > UINT32_MAX - 1)
		nblocks = UINT32_MAX - 1;
	t->st = st;
	t->timeout = cfg->frag_timeout;
	t->ndgrams = LW_MIN(cfg->frag_max_datagrams, (size_t)FRAG_MAX_DATAGRAMS_CAP);
	t->nblocks = (uint32_t)nblocks;
	t->dgrams = calloc(t->ndgrams ? t->ndgrams : 1, sizeof(*t->dgrams));
	t->arena = malloc(nblocks ? nblocks * FRAG_BLOCK : 1);
	t->free_blocks = malloc(nblocks ? nblocks * sizeof(*t->free_blocks) : 1);
	if (!t->dgrams || !t->arena || !t->free_blocks) {
		lw_frag_free(t);
		return NULL;
	}
	for (i = 0; i < t->nblocks; i++)
		t->free_blocks[i] = t->nblocks - 1 - i;
	t->nfree = t->nblocks;
	return t;
}

void lw_frag_free(struct lw_frag_table *t)
{
	if (!t)
		return;
	free(t->dgrams);
	free(t->arena);
	free(t->free_blocks);
	free(t);
}

static bool key_eq(const struct lw_frag_key *a, const struct lw_frag_key *b)
{
	return a->family == b->family && a->proto == b->proto && a->id == b->id &&
	       memcmp(a->src, b->src, 16) == 0 && memcmp(a->dst, b->dst, 16) == 0;
}

/* Gives the datagram's blocks back; counts its held fragments as dropped unless it completed. */
static void dgram_release(struct lw_frag_table *t, struct frag_dgram *g, bool dropped)
{
	size_t i;

	for (i = 0; i < FRAG_BLOCKS_PER_DGRAM; i++)
		if (g->blk[i] != FRAG_NO_BLOCK)
			t->free_blocks[t->nfree++] = g->blk[i];
	if (dropped)
		t->st->frag_dropped += g->nfrags;
	g->used = false;
}

static void expire(struct lw_frag_table *t, lw_time_us now)
{
	size_t i;

	for (i = 0; i < t->ndgrams; i++) {
		struct frag_dgram *g = &t->dgrams[i];

		if (g->used && now - g->first_ts > t->timeout)
			dgram_release(t, g, true);
	}
}

/* The oldest datagram other than keep, or NULL. */
static struct frag_dgram *oldest(struct lw_frag_table *t, const struct frag_dgram *keep)
{
	struct frag_dgram *o = NULL;
	size_t i;

	for (i = 0; i < t->ndgrams; i++) {
		struct frag_dgram *g = &t->dgrams[i];

		if (g->used && g != keep && (!o || g->first_ts < o->first_ts))
			o = g;
	}
	return o;
}

static struct frag_dgram *find_or_create(struct lw_frag_table *t, const struct lw_frag_key *key,
					 lw_time_us ts)
{
	struct frag_dgram *g, *slot = NULL;
	size_t i;

	for (i = 0; i < t->ndgrams; i++) {
		g = &t->dgrams[i];
		if (g->used && key_eq(&g->key, key))
			return g;
		if (!g->used && !slot)
			slot = g;
	}
	if (!slot) {
		/* Table full: the oldest datagram is the least likely to complete. */
		slot = oldest(t, NULL);
		if (!slot)
			return NULL; /* no slots at all */
		dgram_release(t, slot, true);
	}
	memset(slot, 0, offsetof(struct frag_dgram, ranges));
	slot->used = true;
	slot->key = *key;
	slot->first_ts = ts;
	for (i = 0; i < FRAG_BLOCKS_PER_DGRAM; i++)
		slot->blk[i] = FRAG_NO_BLOCK;
	return slot;
}

/* Maps every block [a, b) touches to arena memory, evicting older datagrams if needed. */
static bool reserve(struct lw_frag_table *t, struct frag_dgram *g, uint32_t a, uint32_t b)
{
	uint32_t i;

	for (i = a / FRAG_BLOCK; i <= (b - 1) / FRAG_BLOCK; i++) {
		if (g->blk[i] != FRAG_NO_BLOCK)
			continue;
		while (t->nfree == 0) {
			struct frag_dgram *o = oldest(t, g);

			if (!o)
				return false;
			dgram_release(t, o, true);
		}
		g->blk[i] = t->free_blocks[--t->nfree];
	}
	return true;
}

static void copy_in(struct lw_frag_table *t, struct frag_dgram *g, uint32_t off,
		    const uint8_t *data, uint32_t len)
{
	while (len) {
		uint32_t bo = off % FRAG_BLOCK, n = LW_MIN(FRAG_BLOCK - bo, len);

		memcpy(t->arena + (size_t)g->blk[off / FRAG_BLOCK] * FRAG_BLOCK + bo, data, n);
		off += n;
		data += n;
		len -= n;
	}
}

/* Merges [a, b) into g's ranges, written to out; returns the new count or -1 if too many. */
static int merge_ranges(const struct frag_dgram *g, uint32_t a, uint32_t b,
			struct frag_range out[FRAG_MAX_RANGES])
{
	unsigned i = 0, n = 0;
	bool placed = false;

	while (i < g->nranges || !placed) {
		struct frag_range r;

		/* Both inputs are sorted by start, so one pass merges them. */
		if (!placed && (i == g->nranges || a <= g->ranges[i].start)) {
			r = (struct frag_range){a, b};
			placed = true;
		} else {
			r = g->ranges[i++];
		}
		if (n && r.start <= out[n - 1].end) {
			out[n - 1].end = LW_MAX(out[n - 1].end, r.end);
			continue;
		}
		if (n == FRAG_MAX_RANGES)
			return -1;
		out[n++] = r;
	}
	return (int)n;
}

/* Copies the parts of [a, b) not yet received; returns how many bytes were new. */
static uint32_t fill_gaps(struct lw_frag_table *t, struct frag_dgram *g, uint32_t a, uint32_t b,
			  const uint8_t *data)
{
	uint32_t pos = a, fresh = 0;
	unsigned i;

	for (i = 0; i < g->nranges && pos < b; i++) {
		const struct frag_range *r = &g->ranges[i];

		if (r->end <= pos)
			continue;
		if (r->start >= b)
			break;
		if (r->start > pos) {
			copy_in(t, g, pos, data + (pos - a), r->start - pos);
			fresh += r->start - pos;
		}
		pos = LW_MAX(pos, r->end);
	}
	if (pos < b) {
		copy_in(t, g, pos, data + (pos - a), b - pos);
		fresh += b - pos;
	}
	return fresh;
}

static void assemble(struct lw_frag_table *t, const struct frag_dgram *g)
{
	uint32_t off;

	for (off = 0; off < g->total; off += FRAG_BLOCK)
		memcpy(t->out + off, t->arena + (size_t)g->blk[off / FRAG_BLOCK] * FRAG_BLOCK,
		       LW_MIN(FRAG_BLOCK, g->total - off));
}

enum lw_frag_verdict lw_frag_add(struct lw_frag_table *t, const struct lw_frag_piece *p,
				 struct lw_frag_done *done)
{
	struct frag_range merged[FRAG_MAX_RANGES];
	struct frag_dgram *g;
	uint32_t a = p->offset, b, fresh;
	int n;

	expire(t, p->ts);
	/* Offsets are at most 8191 * 8 and lengths come from a 16-bit field: no overflow. */
	if (p->len > LW_FRAG_MAX_DATAGRAM || p->offset > LW_FRAG_MAX_DATAGRAM)
		return LW_FRAG_BAD;
	b = a + (uint32_t)p->len;
	g = find_or_create(t, &p->key, p->ts);
	if (!g) {
		t->st->frag_dropped++;
		return LW_FRAG_DROPPED;
	}
	/* Only the last fragment may end off an 8-byte boundary; none may be empty. */
	if (p->len == 0 || b > p->max_len || (p->more && p->len % 8))
		goto bad;
	if (!p->more) {
		if (g->have_last && g->total != b)
			goto bad;
		if (g->nranges && g->ranges[g->nranges - 1].end > b)
			goto bad;
	} else if (g->have_last && b > g->total) {
		goto bad;
	}
	n = merge_ranges(g, a, b, merged);
	if (n < 0 || !reserve(t, g, a, b)) {
		/* A sieve of tiny fragments, or the byte budget cannot hold this datagram. */
		dgram_release(t, g, true);
		t->st->frag_dropped++;
		return LW_FRAG_DROPPED;
	}
	fresh = fill_gaps(t, g, a, b, p->data);
	memcpy(g->ranges, merged, (size_t)n * sizeof(merged[0]));
	g->nranges = (unsigned)n;
	if (!p->more) {
		g->have_last = true;
		g->total = b;
	}
	if (a == 0 && !g->have_proto) {
		g->have_proto = true;
		g->proto = p->proto;
	}
	if (g->have_last && g->nranges == 1 && g->ranges[0].start == 0 &&
	    g->ranges[0].end == g->total) {
		assemble(t, g);
		done->data = t->out;
		done->len = g->total;
		done->proto = g->proto;
		dgram_release(t, g, false);
		t->st->frag_reassembled++;
		return LW_FRAG_DONE;
	}
	if (!fresh) {
		t->st->frag_dropped++;
		return LW_FRAG_DROPPED;
	}
	g->nfrags++;
	t->st->frag_held++;
	return LW_FRAG_HELD;

bad:
	dgram_release(t, g, true);
	return LW_FRAG_BAD;
}
