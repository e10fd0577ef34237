/* SPDX-License-Identifier: MIT */
/*
 * pending: DNS queries waiting for their answers, so that an answer is believed only when it
 * answers a query a client really sent.  As a stub resolver or unbound checks its own replies
 * (RFC 5452: id, port, question and the server asked), an answer counts only if it travels
 * server -> client and matches a pending query on
 *
 *   the client (its MAC, else its address), the client's address and port,
 *   the server's address and port (the server the client asked), and the MAC the query was
 *   sent to when both frames show it (another device on the LAN forging the server's address
 *   still sends from its own MAC),
 *   the message id, the question's name and type.
 *
 * A match takes the query out: a second answer (a forger racing the server) finds nothing.
 * Anything else is counted as unmatched and not used.
 *
 * The table is bounded twice: per client (one device cannot push out the others' queries) and
 * in total.  A full share or a full table makes room by taking out the oldest query of that
 * client (or of all), handed back so the caller can record it as unanswered; a query older
 * than the timeout is taken out the same way.  Every removal that is not a match is counted.
 * Entries sit in one compact array searched linearly: the table holds what is in flight
 * (a few queries per device), and at the default bound a full search is about a thousand
 * comparisons.
 */
#ifndef LW_NAMES_PENDING_H
#define LW_NAMES_PENDING_H

#include "core/types.h"
#include "names/names.h"

#define LW_PENDING_NAME_MAX 256 /* text form with its NUL, as LW_DNS_NAME_MAX */

struct lw_pending_config {
	size_t max_total; /* queries in flight in all (default 1024) */
	size_t max_per_client; /* and per client (default 64) */
	lw_time_us timeout; /* a query unanswered this long is given up (default 30 s) */
};

/* One query, or the key of an answer (the answer's destination is the client). */
struct lw_pending_query {
	struct lw_client_id client; /* the client's MAC when known, else its address */
	bool has_server_mac; /* the query's destination MAC, the answer's source MAC */
	struct lw_mac server_mac; /* (the next hop on a bridge); compared when both have it */
	struct lw_addr client_addr, server_addr;
	uint16_t client_port, server_port;
	uint16_t id, qtype;
	char qname[LW_PENDING_NAME_MAX]; /* as the DNS parser writes it: lowercase, no dot */
	/* the caller's, carried along (not compared) */
	uint64_t flow_id;
	lw_time_us ts;
};

struct lw_pending_stats {
	uint64_t added;
	uint64_t matched;
	uint64_t unmatched; /* answers that matched no pending query: not used */
	uint64_t evicted_client; /* oldest query of a client taken out for its newer one */
	uint64_t evicted_total; /* oldest query of all taken out: table full */
	uint64_t timed_out;
	size_t active;
};

struct lw_pending;

struct lw_pending *lw_pending_new(const struct lw_pending_config *cfg); /* NULL = defaults */
void lw_pending_free(struct lw_pending *t);

/*
 * Adds q (q->ts is its age).  When its client's share or the table is full, the oldest query
 * of that client (else of all) is taken out first and copied to *evicted: returns 1 then, else
 * 0.  A query equal to one pending (a retransmission) replaces it without eviction.
 */
int lw_pending_add(struct lw_pending *t, const struct lw_pending_query *q,
		   struct lw_pending_query *evicted);

/*
 * An answer with key a (client = its destination, server = its source): when a pending query
 * matches, it is taken out and copied to *out (out may be NULL) and 0 returned; else -ENOENT,
 * counted in unmatched.
 */
int lw_pending_match(struct lw_pending *t, const struct lw_pending_query *a,
		     struct lw_pending_query *out);

/*
 * Whether an answer with key a would match, without taking anything out or counting.  A key
 * whose client is unknown (has_mac false and no address: a packet seen without the client's
 * link layer) matches on the other fields.
 */
bool lw_pending_expected(const struct lw_pending *t, const struct lw_pending_query *a);

typedef void (*lw_pending_fn)(const struct lw_pending_query *q, void *user_data);

/* Takes out every query older than the timeout at now, oldest first, calling fn for each. */
size_t lw_pending_expire(struct lw_pending *t, lw_time_us now, lw_pending_fn fn, void *user_data);

/* Takes out every query of flow_id (the flow ended), oldest first, calling fn for each. */
size_t lw_pending_take_flow(struct lw_pending *t, uint64_t flow_id, lw_pending_fn fn,
			    void *user_data);

const struct lw_pending_stats *lw_pending_get_stats(const struct lw_pending *t);

#endif
