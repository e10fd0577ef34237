/* SPDX-License-Identifier: MIT */
/*
 * Evidence: the frames behind the first leak of each (device, destination, kind), kept as a
 * pcap in the evidence table (schema v7) for the owner to open in Wireshark
 * (`leakwatch evidence`).  The pipeline hands every frame in (a ring of the last ones, in
 * [evidence] buffer_kb), tags it with its flow, and calls lw_evidence_leak() for each leak row;
 * the first of a key takes the flow's frames still in the ring: its handshake and the request
 * that carried the identifier, both directions, newest kept when they exceed
 * LW_EVIDENCE_FRAME_BYTES.
 */
#ifndef LW_DAEMON_EVIDENCE_H
#define LW_DAEMON_EVIDENCE_H

#include "capture/capture.h"
#include "config.h"
#include "store/store.h"

/* Captured bytes of frames one evidence file holds (its pcap headers come on top). */
#define LW_EVIDENCE_FRAME_BYTES (20u << 10)

struct lw_evidence;

/* NULL when [evidence] is off, there is no store, or out of memory (*err says which). */
struct lw_evidence *lw_evidence_new(const struct lw_config *cfg, struct lw_store *store, int dlt,
				    int *err);
void lw_evidence_free(struct lw_evidence *ev);

/* A frame read; then the flow it belongs to (0: none), once known. */
void lw_evidence_frame(struct lw_evidence *ev, const struct lw_frame *fr);
void lw_evidence_frame_done(struct lw_evidence *ev, uint64_t flow_id);

/* A leak row of flow flow_id was written (r as written). */
void lw_evidence_leak(struct lw_evidence *ev, uint64_t flow_id, const struct lw_leak_rec *r);

struct lw_evidence_stats {
	uint64_t taken; /* evidence rows queued */
	uint64_t empty; /* first leaks whose frames had all left the ring */
	uint64_t
		refused; /* keys beyond the seen set, over the rate, the writer failing, or refused */
	uint64_t refused_share; /* of refused: the device's share was the reason */
};
void lw_evidence_get_stats(const struct lw_evidence *ev, struct lw_evidence_stats *out);

#endif
