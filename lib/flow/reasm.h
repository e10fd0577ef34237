/* SPDX-License-Identifier: MIT */
/*
 * TCP reassembly of one direction of a flow (internal to lib/flow).
 *
 * flow.c owns a struct lw_reasm per table and feeds it every TCP segment; reasm.c keeps each
 * direction's struct lw_stream (in struct lw_flow) and hands in-order bytes to on_data.
 */
#ifndef LW_FLOW_REASM_H
#define LW_FLOW_REASM_H

#include "flow/flow.h"

/* A held out-of-order piece; pieces never overlap each other. */
struct lw_reasm_seg {
	struct lw_reasm_seg *next;
	uint32_t seq;
	uint32_t len;
	uint8_t data[];
};

/* Out-of-order pieces one direction may hold, whatever their size (a peer sending 1-byte
 * segments with holes between them would otherwise make insertion quadratic). */
#define LW_REASM_MAX_SEGS 256

/* Largest segment payload accepted (TCP with GSO/GRO and BIG TCP stays well below). */
#define LW_REASM_MAX_SEG_LEN (1u << 24)

/* An ACK further ahead than this (the largest TCP window, RFC 7323) is not believed. */
#define LW_REASM_MAX_ACK_AHEAD (1u << 30)

struct lw_reasm {
	size_t flow_budget; /* bytes held per direction */
	size_t total_budget; /* bytes held across the table */
	size_t total_held;
	struct lw_flow_stats *stats;
	lw_stream_data_fn on_data;
	void *user_data;
};

/* One TCP segment of direction dir (flags as in struct lw_packet). */
void lw_reasm_segment(struct lw_reasm *r, struct lw_flow *f, enum lw_dir dir, uint32_t seq,
		      uint8_t flags, const uint8_t *data, size_t len);
/* The receiver of direction dir acknowledged everything before ack. */
void lw_reasm_ack(struct lw_reasm *r, struct lw_flow *f, enum lw_dir dir, uint32_t ack);
/* No more data will come: deliver everything held, skipping holes (gap=true). */
void lw_reasm_flush(struct lw_reasm *r, struct lw_flow *f, enum lw_dir dir);
/* Frees what a direction holds without delivering it. */
void lw_reasm_release(struct lw_reasm *r, struct lw_stream *s);

#endif
