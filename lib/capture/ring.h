/* SPDX-License-Identifier: MIT */
/*
 * ring: the last frames the daemon read, each tagged with the flow it belongs to, in a fixed
 * amount of memory (the oldest go first).  When a device leaks an identifier to a new
 * (domain, kind), the frames of that flow still here are the evidence: its handshake and the
 * request that carried the identifier, both directions (see evidence.h).
 *
 * A frame is put in before it is decoded (its flow is not known yet: the leak may be found
 * while the flow table handles it), then tagged with lw_ring_tag_last() once its flow is.
 */
#ifndef LW_CAPTURE_RING_H
#define LW_CAPTURE_RING_H

#include "capture/capture.h"
#include "core/types.h"

struct lw_ring;

/* A frame's bytes beyond this are not kept (caplen is cut, wire_len kept). */
#define LW_RING_FRAME_MAX 16384

/* bytes: the whole ring, headers included (at least 4 KiB).  NULL when out of memory. */
struct lw_ring *lw_ring_new(size_t bytes);
void lw_ring_free(struct lw_ring *r);

/* Puts a frame in, pushing out the oldest as needed; its flow is 0 until tagged. */
void lw_ring_put(struct lw_ring *r, const struct lw_frame *fr);
/* The frame put last belongs to flow_id (when it was not tagged yet). */
void lw_ring_tag_last(struct lw_ring *r, uint64_t flow_id);

/*
 * Calls fn for the frames of flow_id, oldest first; with include_last also the frame put last
 * when it is not tagged yet (the one being handled).  Only the newest frames whose captured
 * bytes add up to at most max_bytes are given.  Returns the number of frames given.
 */
typedef void (*lw_ring_fn)(const struct lw_frame *fr, void *user_data);
size_t lw_ring_flow(const struct lw_ring *r, uint64_t flow_id, bool include_last, size_t max_bytes,
		    lw_ring_fn fn, void *user_data);

/* Frames put, and frames pushed out before anything asked for them. */
struct lw_ring_stats {
	uint64_t put, evicted, cut;
};
const struct lw_ring_stats *lw_ring_get_stats(const struct lw_ring *r);

#endif
