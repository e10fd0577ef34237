/* SPDX-License-Identifier: MIT */
/*
 * TCP reassembly, one direction at a time (RFC 9293 section 3.4, sequence numbers; RFC 1982
 * serial-number arithmetic for comparisons across the 2^32 wrap).
 *
 *   delivered          next_seq        held pieces (sorted, never overlapping)    fin_seq
 *   ... ----------------|  hole  [=====]  hole  [==========]  [===]  ... ----------|
 *
 * A SYN and a FIN each occupy one sequence number: the first data byte is ISN + 1, and the
 * stream ends at fin_seq + 1.  A flow picked up mid-stream (no SYN seen) starts at the first
 * data segment, without gap: its beginning is as likely to be a message boundary as not, and
 * consumers resynchronise on their own.
 *
 * Every byte is delivered once, in order.  Bytes already delivered or already held are
 * dropped and counted (reasm_retrans): the first copy wins.  Out-of-order bytes are copied into
 * pieces (malloc: they are rare, and bounded by reasm_flow_bytes per direction, by
 * reasm_total_bytes across the table and by LW_REASM_MAX_SEGS pieces).  A hole is given up,
 * counted in reasm_gaps and reported by gap=true on the next delivery when:
 *   - a budget refuses a segment (reasm_overflow): the first hole is skipped, then the next,
 *     until the segment fits or is in order — so data is never dropped, only holes;
 *   - the receiver acknowledges past it: the bytes reached it but not the capture, so no
 *     retransmission will ever fill it;
 *   - the flow ends (RST, expiry, eviction, flush).
 */
#include "flow/reasm.h"

#include <stdlib.h>
#include <string.h>

/* RFC 1982: a - b as a signed distance; positive when a is after b. */
static int32_t seq_diff(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b);
}

static bool seq_lt(uint32_t a, uint32_t b)
{
	return seq_diff(a, b) < 0;
}

static void deliver(struct lw_reasm *r, struct lw_flow *f, enum lw_dir dir, const uint8_t *data,
		    size_t len)
{
	struct lw_stream *s = &f->stream[dir];
	bool gap = s->gap_pending;

	if (!len)
		return;
	s->gap_pending = false;
	s->next_seq += (uint32_t)len;
	s->delivered += len;
	if (r->on_data && !s->skip)
		r->on_data(f, dir, data, len, gap, r->user_data);
}

static void unhold(struct lw_reasm *r, struct lw_stream *s, struct lw_reasm_seg *seg)
{
	s->segs = seg->next;
	s->held -= seg->len;
	s->nsegs--;
	r->total_held -= seg->len;
	free(seg);
}

/* The FIN is consumed once everything before it has been. */
static void check_fin(struct lw_stream *s)
{
	if (s->fin && s->next_seq == s->fin_seq)
		s->next_seq++;
}

/* Delivers the held pieces that have become contiguous with next_seq. */
static void drain(struct lw_reasm *r, struct lw_flow *f, enum lw_dir dir)
{
	struct lw_stream *s = &f->stream[dir];
	struct lw_reasm_seg *seg;

	while ((seg = s->segs)) {
		int32_t off = seq_diff(s->next_seq, seg->seq);

		if (off < 0)
			break;
		if ((uint32_t)off >= seg->len) {
			r->stats->reasm_retrans += seg->len;
		} else {
			r->stats->reasm_retrans += (uint32_t)off;
			deliver(r, f, dir, seg->data + off, seg->len - (uint32_t)off);
		}
		unhold(r, s, seg);
	}
	check_fin(s);
}

/* Gives up the bytes between next_seq and 'to' (if after it), then delivers what follows. */
static void skip_to(struct lw_reasm *r, struct lw_flow *f, enum lw_dir dir, uint32_t to)
{
	struct lw_stream *s = &f->stream[dir];
	int32_t hole = seq_diff(to, s->next_seq);

	if (hole > 0) {
		r->stats->reasm_gaps += (uint32_t)hole;
		s->next_seq = to;
		s->gap_pending = true;
	}
	drain(r, f, dir);
}

/* New bytes in [seq, seq + len) not already held, and the pieces they would make. */
static size_t count_new(const struct lw_stream *s, uint32_t seq, size_t len, size_t *pieces)
{
	const struct lw_reasm_seg *cur;
	size_t n = 0;

	*pieces = 0;
	for (cur = s->segs; cur && len; cur = cur->next) {
		uint32_t cend = cur->seq + cur->len;
		size_t take;

		if (seq_lt(seq, cur->seq)) {
			take = LW_MIN(len, (size_t)(uint32_t)(cur->seq - seq));
			n += take;
			(*pieces)++;
			seq += (uint32_t)take;
			len -= take;
		}
		if (len && seq_lt(seq, cend)) {
			take = LW_MIN(len, (size_t)(uint32_t)(cend - seq));
			seq += (uint32_t)take;
			len -= take;
		}
	}
	if (len) {
		n += len;
		(*pieces)++;
	}
	return n;
}

static bool fits(const struct lw_reasm *r, const struct lw_stream *s, size_t n, size_t pieces)
{
	return s->held + n <= r->flow_budget && r->total_held + n <= r->total_budget &&
	       s->nsegs + pieces <= LW_REASM_MAX_SEGS;
}

/* Copies the bytes of [seq, seq + len) that no held piece has yet; false if malloc fails. */
static bool hold(struct lw_reasm *r, struct lw_stream *s, uint32_t seq, const uint8_t *data,
		 size_t len)
{
	struct lw_reasm_seg **pp = &s->segs;

	while (len) {
		struct lw_reasm_seg *cur = *pp, *seg;
		size_t take;

		if (cur && !seq_lt(seq, cur->seq)) {
			uint32_t cend = cur->seq + cur->len;

			if (seq_lt(seq, cend)) {
				take = LW_MIN(len, (size_t)(uint32_t)(cend - seq));
				r->stats->reasm_retrans += take;
				seq += (uint32_t)take;
				data += take;
				len -= take;
			}
			pp = &cur->next;
			continue;
		}
		take = len;
		if (cur)
			take = LW_MIN(len, (size_t)(uint32_t)(cur->seq - seq));
		seg = malloc(sizeof(*seg) + take);
		if (!seg)
			return false;
		seg->seq = seq;
		seg->len = (uint32_t)take;
		memcpy(seg->data, data, take);
		seg->next = cur;
		*pp = seg;
		pp = &seg->next;
		s->held += take;
		s->nsegs++;
		r->total_held += take;
		seq += (uint32_t)take;
		data += take;
		len -= take;
	}
	return true;
}

static void data_segment(struct lw_reasm *r, struct lw_flow *f, enum lw_dir dir, uint32_t seq,
			 const uint8_t *data, size_t len)
{
	struct lw_stream *s = &f->stream[dir];
	bool refused = false;

	for (;;) {
		int32_t off = seq_diff(s->next_seq, seq);
		size_t n, pieces;

		if (off > 0) {
			if ((uint32_t)off >= len) {
				r->stats->reasm_retrans += len;
				return;
			}
			r->stats->reasm_retrans += (uint32_t)off;
			seq += (uint32_t)off;
			data += off;
			len -= (uint32_t)off;
		}
		if (seq == s->next_seq) {
			deliver(r, f, dir, data, len);
			drain(r, f, dir);
			return;
		}
		n = count_new(s, seq, len, &pieces);
		if (fits(r, s, n, pieces) && hold(r, s, seq, data, len))
			return;
		/* Refused (or out of memory): give up the first hole — the one before the first
		 * held piece or before this segment, whichever comes first — and try again.
		 * hold() may have stored part of the segment; the retry sees it as held. */
		if (!refused)
			r->stats->reasm_overflow++;
		refused = true;
		skip_to(r, f, dir, s->segs && seq_lt(s->segs->seq, seq) ? s->segs->seq : seq);
	}
}

/* Data beyond a FIN cannot be part of the stream; neither can held pieces that reach past it. */
static void trim_after_fin(struct lw_reasm *r, struct lw_stream *s)
{
	struct lw_reasm_seg **pp = &s->segs, *seg;

	while ((seg = *pp)) {
		int32_t keep = seq_diff(s->fin_seq, seg->seq);

		if (keep <= 0) {
			/* this piece and all after it lie beyond the FIN */
			while ((seg = *pp)) {
				*pp = seg->next;
				s->held -= seg->len;
				s->nsegs--;
				r->total_held -= seg->len;
				free(seg);
			}
			return;
		}
		if ((uint32_t)keep < seg->len) {
			s->held -= seg->len - (uint32_t)keep;
			r->total_held -= seg->len - (uint32_t)keep;
			seg->len = (uint32_t)keep;
		}
		pp = &seg->next;
	}
}

void lw_reasm_segment(struct lw_reasm *r, struct lw_flow *f, enum lw_dir dir, uint32_t seq,
		      uint8_t flags, const uint8_t *data, size_t len)
{
	struct lw_stream *s = &f->stream[dir];

	if (s->skip) {
		/* not wanted any more: give back what is held, keep nothing, deliver nothing */
		lw_reasm_release(r, s);
		return;
	}
	if (len > LW_REASM_MAX_SEG_LEN) {
		r->stats->reasm_overflow++;
		return;
	}
	if (flags & LW_TCP_SYN) {
		/* A SYN anchors the stream; a repeated SYN before any data may carry a new ISN
		 * (a fresh attempt), after data it is a retransmission. */
		if (!s->started || (!s->delivered && !s->segs && !s->fin)) {
			s->started = true;
			s->next_seq = seq + 1;
		}
		seq++;
	}
	if (!s->started) {
		if (!len)
			return; /* an ACK, FIN or RST alone gives no place to start from */
		s->started = true;
		s->next_seq = seq;
	}
	if ((flags & LW_TCP_FIN) && !s->fin) {
		uint32_t fin_seq = seq + (uint32_t)len;

		/* a FIN before bytes already delivered contradicts the stream: ignore it */
		if (!seq_lt(fin_seq, s->next_seq)) {
			s->fin = true;
			s->fin_seq = fin_seq;
			trim_after_fin(r, s);
		}
	}
	if (s->fin) {
		int32_t room = seq_diff(s->fin_seq, seq);

		if (room <= 0)
			len = 0;
		else if ((uint32_t)room < len)
			len = (uint32_t)room;
	}
	/*
	 * Data starting further ahead than the largest TCP window (RFC 7323) is not part of this
	 * stream.  Held, it could sit exactly 2^31 ahead, where serial comparison (RFC 1982) says
	 * neither before nor after, and skipping to it would never make progress.
	 */
	if (len && (uint32_t)(seq - s->next_seq) > LW_REASM_MAX_ACK_AHEAD &&
	    (uint32_t)(seq - s->next_seq) <= 0x80000000u) {
		r->stats->reasm_overflow++;
		len = 0;
	}
	if (len)
		data_segment(r, f, dir, seq, data, len);
	check_fin(s);
}

void lw_reasm_ack(struct lw_reasm *r, struct lw_flow *f, enum lw_dir dir, uint32_t ack)
{
	struct lw_stream *s = &f->stream[dir];
	int32_t ahead;

	if (!s->started || s->skip)
		return;
	ahead = seq_diff(ack, s->next_seq);
	if (ahead <= 0 || (uint32_t)ahead > LW_REASM_MAX_ACK_AHEAD)
		return;
	/* held pieces below the ACK: their holes reached the receiver, not us */
	while (s->segs && seq_lt(s->segs->seq, ack))
		skip_to(r, f, dir, s->segs->seq);
	/* a FIN occupies the last number the receiver acknowledges */
	if (s->fin && !seq_lt(s->fin_seq, s->next_seq) && seq_lt(s->fin_seq, ack))
		ack = s->fin_seq;
	skip_to(r, f, dir, ack);
}

void lw_reasm_flush(struct lw_reasm *r, struct lw_flow *f, enum lw_dir dir)
{
	struct lw_stream *s = &f->stream[dir];

	if (s->skip) {
		lw_reasm_release(r, s);
		return;
	}
	while (s->segs)
		skip_to(r, f, dir, s->segs->seq);
	/* bytes lost just before the FIN still count as lost */
	if (s->fin && seq_lt(s->next_seq, s->fin_seq)) {
		r->stats->reasm_gaps += (uint32_t)(s->fin_seq - s->next_seq);
		s->next_seq = s->fin_seq + 1;
	}
}

void lw_reasm_release(struct lw_reasm *r, struct lw_stream *s)
{
	while (s->segs)
		unhold(r, s, s->segs);
}
