/* SPDX-License-Identifier: MIT */
/*
 * flow: a bounded table of TCP/UDP conversations keyed by 5-tuple, each knowing its client
 * (the LAN side), its direction, its counters and its name; and in-order TCP reassembly per
 * direction within a byte budget.
 *
 * All flows come from a pool sized at creation (max_flows): no allocation per packet.  When the
 * pool is empty the least recently active flow is evicted (counted).  Out-of-order TCP segments
 * are held in per-flow memory within reasm_flow_bytes and a table-wide reasm_total_bytes.
 */
#ifndef LW_FLOW_H
#define LW_FLOW_H

#include "core/types.h"
#include "decode/decode.h"

enum lw_dir {
	LW_DIR_UP = 0, /* client -> server (upstream, where leaks go) */
	LW_DIR_DOWN = 1, /* server -> client */
};

enum lw_flow_end {
	LW_FLOW_END_IDLE = 0, /* idle timeout */
	LW_FLOW_END_CLOSED, /* FIN both ways or RST, then a short linger */
	LW_FLOW_END_EVICTED, /* table full */
	LW_FLOW_END_SHUTDOWN, /* lw_flow_table_flush() */
};

struct lw_prefix {
	struct lw_addr addr;
	uint8_t len; /* prefix length in bits */
};

/* A zero field means its default. */
struct lw_flow_config {
	size_t max_flows; /* default 65536 */
	lw_time_us tcp_idle; /* default 300 s */
	lw_time_us udp_idle; /* default 60 s */
	lw_time_us closed_linger; /* after FIN/FIN or RST; default 5 s */
	size_t reasm_flow_bytes; /* out-of-order bytes held per direction; default 64 KiB */
	size_t reasm_total_bytes; /* across the table; default 16 MiB */
	const struct lw_prefix *lan; /* LAN prefixes (client side); may be NULL */
	size_t n_lan;
};

struct lw_flow_stats {
	uint64_t created;
	uint64_t active;
	uint64_t expired;
	uint64_t closed;
	uint64_t evicted;
	uint64_t reasm_gaps; /* bytes skipped: a hole never filled within the budget */
	uint64_t reasm_overflow; /* segments a budget refused (holes were skipped to make room) */
	uint64_t reasm_retrans; /* duplicate / overlapping bytes ignored */
};

/* Reassembly state of one direction; opaque to users (fields are for flow.c / reasm.c). */
struct lw_reasm_seg;
struct lw_stream {
	bool started;
	bool fin;
	bool gap_pending; /* bytes were skipped; the next delivery carries gap=true */
	bool skip; /* lw_flow_skip_stream(): nothing more is held or delivered */
	uint32_t fin_seq; /* sequence number of the FIN, valid when fin */
	uint32_t next_seq; /* next in-order sequence number expected */
	uint64_t delivered; /* bytes handed to the consumer */
	size_t held; /* out-of-order bytes held */
	size_t nsegs; /* out-of-order segments held */
	struct lw_reasm_seg *segs; /* sorted by seq */
};

struct lw_flow {
	uint64_t id; /* unique for the table's lifetime, from id_base upward */
	uint8_t l4; /* 6 or 17 */
	struct lw_addr client;
	struct lw_addr server;
	uint16_t client_port;
	uint16_t server_port;
	bool has_mac;
	struct lw_mac client_mac;
	struct lw_mac server_mac; /* next hop MAC (the router, on a bridge) */
	uint16_t vlan;
	lw_time_us first_seen;
	lw_time_us last_seen;
	uint64_t pkts[2]; /* indexed by enum lw_dir */
	uint64_t bytes[2]; /* IP-level bytes (wire length) */
	char *domain; /* the flow's name, "" when none: set with lw_flow_set_domain() */
	enum lw_name_source name_source;
	enum lw_app app;
	bool encrypted;
	uint8_t tcp_fin_seen; /* bit per direction */
	bool tcp_rst;
	struct lw_stream stream[2];
	void *user; /* owned by the user; see on_end */
	lw_time_us last_written; /* for the user's periodic writes */
	/* table internals */
	uint64_t hash;
	struct lw_flow *hnext;
	struct lw_flow *lru_prev, *lru_next;
	struct lw_addr key_a, key_b;
	uint16_t key_pa, key_pb;
};

#define LW_FLOW_DOMAIN_MAX 255 /* longest name a flow keeps (a DNS name's length) */

/*
 * Gives f the name name[0..len) (cut at LW_FLOW_DOMAIN_MAX), kept at its length so that the
 * flow table does not hold 256 bytes for every flow.  Freed when the flow ends.  Returns 0, or
 * -ENOMEM (the flow keeps its previous name).
 */
int lw_flow_set_domain(struct lw_flow *f, const char *name, size_t len);

/* Called once per flow when it leaves the table (after which it is reused). */
typedef void (*lw_flow_end_fn)(struct lw_flow *f, enum lw_flow_end why, void *user_data);

/* Called with in-order TCP bytes. gap: bytes were lost just before this data. */
typedef void (*lw_stream_data_fn)(struct lw_flow *f, enum lw_dir dir, const uint8_t *data,
				  size_t len, bool gap, void *user_data);

struct lw_flow_table;

/*
 * NULL cfg = defaults. id_base: first flow id handed out (e.g. 1 + max id in the database).
 * cfg->lan is copied.  on_data may be NULL (then TCP is not reassembled and nothing is held).
 * The callbacks must not call back into the table.  Returns NULL on allocation failure or an
 * invalid configuration.
 */
struct lw_flow_table *lw_flow_table_new(const struct lw_flow_config *cfg, uint64_t id_base,
					lw_flow_end_fn on_end, lw_stream_data_fn on_data,
					void *user_data);
void lw_flow_table_free(struct lw_flow_table *t); /* does NOT call on_end; flush first */

/*
 * Finds or creates the flow of a decoded TCP/UDP packet, updates counters and timestamps,
 * and, for TCP, runs reassembly (calling on_data with in-order bytes).  *dir receives the
 * packet's direction; *created is set when the flow is new.  Returns NULL only if the packet
 * cannot belong to a flow (should not happen for l4 6/17).
 */
struct lw_flow *lw_flow_table_packet(struct lw_flow_table *t, const struct lw_packet *pkt,
				     enum lw_dir *dir, bool *created);

/* Ends flows idle at 'now' (calls on_end). Cheap to call often: it walks only the LRU tail. */
void lw_flow_table_expire(struct lw_flow_table *t, lw_time_us now);

/* Ends every flow (on_end with LW_FLOW_END_SHUTDOWN). */
void lw_flow_table_flush(struct lw_flow_table *t);

/* Calls fn for each active flow (for periodic writes of long-lived flows). */
void lw_flow_table_foreach(struct lw_flow_table *t, void (*fn)(struct lw_flow *, void *),
			   void *user_data);

const struct lw_flow_stats *lw_flow_table_stats(const struct lw_flow_table *t);

/*
 * The consumer needs no more bytes of one direction of f (the downstream of a TLS flow, say):
 * from now on nothing of it is delivered or held for reordering, and what is held is given
 * back at its next segment.  Counters, FIN/RST tracking and the other direction go on.  Safe to
 * call from on_data (it only marks the stream).
 */
void lw_flow_skip_stream(struct lw_flow *f, enum lw_dir dir);

/* True if addr is inside one of the prefixes. */
bool lw_prefix_contains(const struct lw_prefix *p, size_t n, const struct lw_addr *addr);
/* Parses "192.0.2.0/24" or "2001:db8::/32"; 0 or -EINVAL. */
int lw_prefix_parse(const char *s, struct lw_prefix *out);

#endif
