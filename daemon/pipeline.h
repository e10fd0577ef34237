/* SPDX-License-Identifier: MIT */
/*
 * The pipeline: decode -> flow -> proto -> names -> store, for one stream of frames (a live
 * interface or a capture file).  The daemon owns one; fuzzers and tests drive it directly.
 */
#ifndef LW_DAEMON_PIPELINE_H
#define LW_DAEMON_PIPELINE_H

#include "capture/capture.h"
#include "config.h"
#include "store/store.h"

struct lw_pipeline_counters {
	uint64_t frames;
	uint64_t bytes;
	uint64_t malformed; /* frames decode rejected */
	uint64_t flows_active;
	uint64_t flows_total;
	uint64_t flows_evicted;
	uint64_t dns_messages;
	uint64_t dns_malformed;
	uint64_t dhcp_messages;
	uint64_t tls_hellos;
	uint64_t quic_hellos;
	uint64_t http_requests;
	uint64_t http_malformed;
	uint64_t leaks;
	uint64_t ad_opted_out; /* all-zero advertising ids seen (not leaks) */
	uint64_t mac_placeholder; /* Android's placeholder MAC 02:00:00:00:00:00 seen (not leaks) */
	uint64_t tls_malformed; /* streams that began like TLS and were not a ClientHello */
	uint64_t tunnels; /* SOCKS and RDP handshakes read, the stream after them parsed anew */
	uint64_t h2_malformed; /* HTTP/2 clear-text streams given up (malformed or a limit) */
	uint64_t quic_too_big; /* Initials or ClientHellos beyond the QUIC buffers */
	uint64_t http_body_cut; /* request bodies longer than http_body_max */
	/* buffers (heads, bodies, stream starts) not grown: buffer_total_kb reached, or (of
	 * those, buffer_refused_share) the client's fair part of it */
	uint64_t buffer_refused;
	uint64_t buffer_refused_share;
	uint64_t buffer_peak_kb; /* the most the buffers held at once */
	/* evidence files (daemon/evidence.h): taken, and first leaks without one */
	uint64_t evidence_taken, evidence_refused, evidence_refused_share, evidence_empty;
	/* hostile clients: what was refused, each counted */
	uint64_t dns_unmatched; /* answers that answered no query the client sent: not used */
	uint64_t dns_pending_evicted; /* queries pushed out by a client's share or the total */
	uint64_t dns_timed_out; /* queries given up unanswered */
	/* UDP flows to port 53 kept as this counter, not a flows row (dns_flows = counters) */
	uint64_t dns_flows;
	uint64_t dhcp_chaddr_mismatch; /* DHCP requests whose chaddr is not the frame's source */
	uint64_t devices_refused; /* new MACs beyond the device table's bound */
	uint64_t
		block_guarded; /* addresses not handed to blocking: LAN, the AP, gateway, resolver */
	uint64_t local_names; /* mDNS / LLMNR / NBNS / DNS UPDATE messages read for names */
	uint64_t local_malformed; /* ... that could not be read */
	uint64_t device_names_refused; /* announced names beyond a device's share or the total */
};

struct lw_pipeline;
struct lw_flow;
struct lw_addr;

/*
 * What other daemon modules (blocking, policy) learn from the pipeline as it happens.  Each
 * callback may be NULL; all run on the pipeline's thread, inside lw_pipeline_frame().
 */
struct lw_pipeline_hooks {
	/* a DNS answer for a client: qname resolved to addr for ttl seconds */
	void (*dns_answer)(const struct lw_flow *f, const char *qname, const struct lw_addr *addr,
			   uint32_t ttl, void *user_data);
	/* a flow got a name from its TLS or QUIC SNI or HTTP Host (f->domain, f->name_source) */
	void (*flow_named)(const struct lw_flow *f, void *user_data);
	/*
	 * a leak row was written for the flow (kind and confidence as in the leaks table, e.g.
	 * "imei", "validated")
	 */
	void (*leak)(const struct lw_flow *f, const char *kind, const char *value,
		     const char *confidence, void *user_data);
	void *user_data;
};

/*
 * The hooks get no address that lw_block_guard_allows() refuses: the guard is filled (by
 * lw_pipeline_guard_init) when hooks are set.
 */
void lw_pipeline_set_hooks(struct lw_pipeline *p, const struct lw_pipeline_hooks *hooks);

/*
 * What the alerts learn (daemon/alerts.h): each device and leak row as it is handed to the
 * store (a device row at most every few minutes per MAC).  Apart from the hooks, which blocking
 * owns.  Run on the pipeline's thread; NULL callbacks are skipped.
 */
struct lw_pipeline_events {
	void (*device)(const struct lw_device_rec *r, void *user_data);
	void (*leak)(const struct lw_leak_rec *r, void *user_data);
	/* the pipeline's time, once a second (lw_pipeline_tick) and at lw_pipeline_finish */
	void (*tick)(lw_time_us now, void *user_data);
	void *user_data;
};

void lw_pipeline_set_events(struct lw_pipeline *p, const struct lw_pipeline_events *ev);

struct lw_block_guard;
/*
 * Fills a guard with the addresses that must never be blocked, as this host sees them: the
 * [flows] lan prefixes, every address of its interfaces with its subnet, the default routes'
 * gateways, and the nameservers of /etc/resolv.conf.  0, or -ENOSPC when some did not fit.
 */
int lw_pipeline_guard_init(struct lw_block_guard *g, const struct lw_config *cfg);

/*
 * Facts about a device the pipeline cannot see (vendor, the owner's label), filled into each
 * device row it writes; fn NULL: none.  daemon/ap.h lw_devinfo_fill is one.
 */
void lw_pipeline_set_device_info(struct lw_pipeline *p,
				 void (*fn)(const struct lw_mac *mac, struct lw_device_rec *r,
					    void *user_data),
				 void *user_data);

/* store may be NULL (nothing is written: for fuzzing). */
int lw_pipeline_new(const struct lw_config *cfg, struct lw_store *store, int dlt,
		    struct lw_pipeline **out, char *err, size_t errlen);
void lw_pipeline_free(struct lw_pipeline *p);

void lw_pipeline_frame(struct lw_pipeline *p, const struct lw_frame *f);
/* Housekeeping at time now: expiry, periodic flow writes, stats. Cheap; call every second. */
void lw_pipeline_tick(struct lw_pipeline *p, lw_time_us now);
/* Ends every flow (writing it) and writes a final stats row. */
void lw_pipeline_finish(struct lw_pipeline *p, lw_time_us now);

/* Capture statistics to include in stats rows (live captures). */
void lw_pipeline_set_capture_stats(struct lw_pipeline *p, uint64_t dropped, uint64_t if_dropped);

void lw_pipeline_get_counters(const struct lw_pipeline *p, struct lw_pipeline_counters *out);

#endif
