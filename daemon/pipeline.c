/* SPDX-License-Identifier: MIT */
/*
 * The pipeline glue: the only place that knows every module.
 *
 *   frame -> lw_decode_frame -> lw_flow_table_packet -+-> UDP: dns / dhcp / sip / quic
 *                                                      +-> TCP: in-order bytes (on_data) ->
 *                                                          tls / http / sip / dns-over-tcp
 *   names: passive DNS answers per client; a flow with no better name takes the DNS one.
 *   store: flows when they end (and periodically while long-lived), dns rows, devices, stats.
 *
 * Per flow a small context (struct fctx) holds the protocol state; it is allocated when the
 * flow is created and released in on_end.  Only the start of an upstream stream is buffered
 * (head_max bytes) to recognise and parse its protocol; downstream bytes are not kept except
 * for DNS over TCP.
 */
#include "pipeline.h"

#include "evidence.h"

#include <errno.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "block/guard.h"
#include "decode/decode.h"
#include "detect/detect.h"
#include "detect/ims.h"
#include "flow/budget.h"
#include "flow/flow.h"
#include "names/devnames.h"
#include "names/names.h"
#include "names/pending.h"
#include "proto/dhcp.h"
#include "proto/dns.h"
#include "proto/h2.h"
#include "proto/http.h"
#include "proto/localnames.h"
#include "proto/nbns.h"
#include "proto/quic.h"
#include "proto/sip.h"
#include "proto/socks.h"
#include "proto/starttls.h"
#include "proto/tls.h"

#define DNS_PENDING_TOTAL 1024 /* queries awaiting their answer, in all */
#define DNS_PENDING_PER_CLIENT 64 /* and per client */
#define DNS_PENDING_TIMEOUT (30 * LW_USEC_PER_SEC) /* given up (written unanswered) after */
#define DEVICES_MAX 4096 /* MACs with a device row, per run; beyond: refused, counted */
#define DEVICE_IDLE (24 * 3600 * LW_USEC_PER_SEC) /* a MAC silent this long frees its place */
#define QUIC_DATAGRAMS_MAX 16 /* upstream datagrams offered to the QUIC parser per flow */
#define DEVICE_CACHE 1024 /* MACs whose device row was written recently */
#define DEVICE_REFRESH (60 * LW_USEC_PER_SEC)
#define FLOW_WALK_EVERY (10 * LW_USEC_PER_SEC)
#define LEAKS_SEEN_MAX 64 /* identifiers remembered per flow for raw-stream dedup */
#define RAW_TAIL 256 /* bytes of a raw stream kept to find identifiers cut by a segment */
#define REDETECT_MAX 3 /* handshakes (SOCKS, RDP) after which a stream's protocol is chosen anew */
#define TLS_TRIES_MAX 4 /* ClientHellos looked for later in a raw stream (STARTTLS) */

enum up_state {
	UP_DETECT = 0, /* collecting the first bytes */
	UP_TLS,
	UP_HTTP_HEAD,
	UP_HTTP_BODY,
	UP_HTTP_LOST, /* lost sync after a gap: wait for a new request line */
	UP_DNS,
	UP_SIP, /* SIP messages, framed by Content-Length */
	UP_H2, /* HTTP/2 frames after the clear-text preface */
	UP_RAW, /* not a protocol leakwatch parses: its bytes are scanned as they come */
	UP_DONE, /* nothing more to parse on this direction (encrypted, or given up) */
};

/* What scans of a flow's raw stream or datagrams remember */
struct scan_state {
	size_t n_seen; /* identifiers reported so far; the last LEAKS_SEEN_MAX are in seen[] */
	uint64_t seen[LEAKS_SEEN_MAX];
	/* the end of the raw stream so far (after its last separator), joined to the next chunk */
	size_t tail_len;
	uint8_t tail[RAW_TAIL];
};

struct buf {
	uint8_t *p;
	size_t len;
	size_t cap;
};

/* HTTP request whose body is being read: its head, and the body (de-chunked) so far */
struct http_state {
	struct buf req_head;
	struct buf body;
	bool body_cut; /* the body was longer than http_body_max or lost bytes */
	bool body_spill; /* the buffer budget kept no more: the rest is scanned as it comes */
	bool body_chunked;
	uint64_t body_left;
	struct lw_http_chunked chunked;
};

struct fctx {
	enum up_state up;
	uint64_t dev_key; /* the client's place in the buffer budget */
	size_t charged; /* bytes of this flow's buffers charged to the budget */
	struct buf head; /* upstream stream start / current HTTP head */
	struct buf down; /* downstream bytes, DNS over TCP only */
	bool down_dns;
	struct http_state *http; /* allocated when the flow turns out to carry HTTP requests */
	/* identifiers already reported on this flow's raw stream / datagrams (one row each) */

	/* QUIC */
	struct lw_quic_state *quic;
	unsigned quic_datagrams;
	bool quic_done;
	bool dns_asked; /* a query of this flow went into the pending table */
	bool dns_recorded; /* a query of this flow is (or will be) a dns row */
	bool row_written; /* the flow has a flows row */
	bool leaked; /* a leaks row names this flow's id */
	/* allocated when first needed: most flows are never scanned raw */
	struct scan_state *sc;
	/* protocols found by content later in the stream */
	struct lw_h2 *h2; /* HTTP/2 in clear text */
	uint8_t redetects; /* handshakes (SOCKS, RDP) read before the stream's own protocol */
	uint8_t tls_tries; /* ClientHellos looked for in a raw stream */
	bool starttls; /* the client's last raw chunk asked to upgrade to TLS */
	bool tunnel; /* a SOCKS proxy's flow: its names are not its server's */
};

struct device_slot {
	struct lw_mac mac;
	bool used;
	lw_time_us written;
};

/* The MACs that have a device row: at most DEVICES_MAX, open addressing over twice as many. */
struct device_known {
	struct lw_mac mac;
	bool used;
	lw_time_us seen;
};

struct lw_pipeline {
	struct lw_config cfg;
	int dlt;
	struct lw_store *store;
	struct lw_decoder *decoder;
	struct lw_flow_table *flows;
	struct lw_names *names;
	struct lw_pending *pending; /* DNS queries awaiting their answer */
	struct lw_devnames *devnames; /* names devices announced for themselves */
	struct lw_detect *detect;
	struct lw_budget budget; /* the buffers of all flows: [inspect] buffer_total_kb */
	struct lw_dns_msg *dns_msg; /* one parsed DNS message at a time (~18 KiB) */
	struct lw_evidence *evidence; /* the frames behind first leaks; NULL when off */
	struct lw_pipeline_counters n;
	lw_time_us now;
	lw_time_us next_walk;
	lw_time_us next_stats;
	uint64_t cap_dropped, cap_if_dropped;
	struct lw_pipeline_hooks hooks;
	struct lw_pipeline_events events;
	struct lw_block_guard guard; /* addresses the hooks are never given */
	void (*device_info)(const struct lw_mac *mac, struct lw_device_rec *r, void *user_data);
	void *device_info_data;
	struct device_slot devices[DEVICE_CACHE];
	size_t n_known;
	struct device_known *known; /* 2 * DEVICES_MAX slots */
};

/* --- small helpers ------------------------------------------------------------------------ */

static double secs(lw_time_us t)
{
	return (double)t / (double)LW_USEC_PER_SEC;
}

static size_t over_floor(size_t cap)
{
	return cap > LW_BUDGET_FLOOR ? cap - LW_BUDGET_FLOOR : 0;
}

/*
 * Charges a flow's buffer growing from cap `from` to `to`: its first LW_BUDGET_FLOOR bytes as
 * a floor (never refused), the rest to the client's part of the budget (lw_budget_take).
 */
static enum lw_budget_verdict budget_grow(struct lw_pipeline *p, struct fctx *c, size_t from,
					  size_t to)
{
	size_t over = over_floor(to) - over_floor(from);
	enum lw_budget_verdict v = LW_BUDGET_OK;

	if (over)
		v = lw_budget_take(&p->budget, c->dev_key, over);
	if (v != LW_BUDGET_OK)
		return v;
	c->charged += over;
	lw_budget_floor(&p->budget, LW_MIN(to, LW_BUDGET_FLOOR) - LW_MIN(from, LW_BUDGET_FLOOR),
			true);
	return v;
}

/* Gives back what a buffer of cap `from` holds beyond cap `to` (to < from). */
static void budget_shrink(struct lw_pipeline *p, struct fctx *c, size_t from, size_t to)
{
	size_t over = over_floor(from) - over_floor(to);

	lw_budget_give(&p->budget, c->dev_key, over);
	c->charged -= LW_MIN(c->charged, over);
	lw_budget_floor(&p->budget, LW_MIN(from, LW_BUDGET_FLOOR) - LW_MIN(to, LW_BUDGET_FLOOR),
			false);
}

/*
 * Grows a flow's buffer to hold len more bytes, within max, and charges the growth to the
 * buffer budget (budget_grow): the first LW_BUDGET_FLOOR bytes of a buffer are always
 * granted; beyond them a refusal is counted (buffer_refused, and of those
 * buffer_refused_share when the device's fair part was the reason) and returns -EDQUOT with
 * the buffer as it was.  -ENOBUFS: beyond max.
 */
static int buf_append(struct lw_pipeline *p, struct fctx *c, struct buf *b, const uint8_t *data,
		      size_t len, size_t max)
{
	size_t want;

	if (len > max - LW_MIN(b->len, max) || b->len > max)
		return -ENOBUFS;
	want = b->len + len;
	if (want > b->cap) {
		size_t cap = b->cap ? b->cap : 1024;
		enum lw_budget_verdict v;
		uint8_t *n;

		while (cap < want)
			cap *= 2;
		if (cap > max)
			cap = max;
		v = budget_grow(p, c, b->cap, cap);
		if (v != LW_BUDGET_OK && cap > want) {
			cap = want; /* the doubling did not fit: what is needed may */
			v = budget_grow(p, c, b->cap, cap);
		}
		if (v != LW_BUDGET_OK) {
			p->n.buffer_refused++;
			if (v == LW_BUDGET_SHARE)
				p->n.buffer_refused_share++;
			return -EDQUOT;
		}
		n = realloc(b->p, cap);
		if (!n) {
			budget_shrink(p, c, cap, b->cap);
			return -ENOMEM;
		}
		b->p = n;
		b->cap = cap;
	}
	memcpy(b->p + b->len, data, len);
	b->len += len;
	return 0;
}

/*
 * Makes room for n bytes in all (at most max) at once, charged as buf_append does: a body
 * whose Content-Length is known gets its size, not the next power of two.  Not counted when
 * refused (-EDQUOT): the body then grows by buf_append, which counts a refusal.
 */
static int buf_reserve(struct lw_pipeline *p, struct fctx *c, struct buf *b, size_t n, size_t max)
{
	uint8_t *m;

	n = LW_MIN(n, max);
	if (n <= b->cap)
		return 0;
	if (budget_grow(p, c, b->cap, n) != LW_BUDGET_OK)
		return -EDQUOT;
	m = realloc(b->p, n);
	if (!m) {
		budget_shrink(p, c, n, b->cap);
		return -ENOMEM;
	}
	b->p = m;
	b->cap = n;
	return 0;
}

static void buf_consume(struct buf *b, size_t n)
{
	if (n >= b->len) {
		b->len = 0;
		return;
	}
	memmove(b->p, b->p + n, b->len - n);
	b->len -= n;
}

/* Frees a flow's buffer and gives its bytes back to the budget. */
static void buf_free(struct lw_pipeline *p, struct fctx *c, struct buf *b)
{
	budget_shrink(p, c, b->cap, 0);
	free(b->p);
	memset(b, 0, sizeof(*b));
}

static void client_id_of(const struct lw_flow *f, struct lw_client_id *c)
{
	memset(c, 0, sizeof(*c));
	c->has_mac = f->has_mac;
	if (f->has_mac)
		c->mac = f->client_mac;
	else
		c->addr = f->client;
}

static void set_name(struct lw_pipeline *p, struct lw_flow *f, const char *name, size_t len,
		     enum lw_name_source src)
{
	if (len == 0 || src < f->name_source)
		return;
	if (len > LW_FLOW_DOMAIN_MAX)
		len = LW_FLOW_DOMAIN_MAX;
	if (src == f->name_source && strncasecmp(f->domain, name, len) == 0 &&
	    f->domain[len] == '\0')
		return;
	if (lw_flow_set_domain(f, name, len) < 0)
		return;
	lw_ascii_lower(f->domain, len);
	f->name_source = src;
	/* a name asked of a SOCKS proxy, or seen inside its tunnel, is not the proxy's: its
	 * address is not handed to blocking */
	if (f->user && ((struct fctx *)f->user)->tunnel)
		return;
	/* what a flow's own TLS / QUIC / HTTP / SIP request names may be blocked; passive DNS and
	 * local discovery names (multicast, the resolver) are not */
	if ((src == LW_NAME_HTTP || src == LW_NAME_QUIC || src == LW_NAME_SNI ||
	     src == LW_NAME_SIP) &&
	    p->hooks.flow_named) {
		if (lw_block_guard_allows(&p->guard, &f->server))
			p->hooks.flow_named(f, p->hooks.user_data);
		else
			p->n.block_guarded++;
	}
}

static bool mac_is_unicast(const struct lw_mac *m)
{
	return !(m->b[0] & 0x01) && !lw_mac_is_zero(m);
}

/* --- store writers ------------------------------------------------------------------------ */

/*
 * An address a device can be reached at, for devices.ip: not 0.0.0.0 (a DHCP client sends
 * from it before it has a lease, RFC 2131 4.1; the rest of 0.0.0.0/8 is "this network", RFC
 * 1122 3.2.1.3), nor 224.0.0.0/4 multicast, nor 240.0.0.0/4 reserved with 255.255.255.255,
 * nor :: or ff00::/8.
 */
static bool addr_is_host(const struct lw_addr *a)
{
	static const uint8_t unspecified[16];

	if (a->family == 4)
		return a->b[0] != 0 && a->b[0] < 224;
	if (a->family == 6)
		return memcmp(a->b, unspecified, 16) != 0 && a->b[0] != 0xff;
	return false;
}

static struct device_known *known_slot(struct device_known *k, const struct lw_mac *mac)
{
	size_t cap = 2 * DEVICES_MAX, i = lw_hash(mac->b, 6) % cap;

	while (k[i].used && memcmp(k[i].mac.b, mac->b, 6) != 0)
		i = (i + 1) % cap;
	return &k[i];
}

/*
 * Whether mac may have a device row: it has one already, or there is room for one more
 * (DEVICES_MAX).  A full table first lets go of the MACs silent for DEVICE_IDLE; if none is,
 * the new MAC is refused and counted — a device forging source MACs fills the table, not the
 * database.
 */
static bool device_admit(struct lw_pipeline *p, const struct lw_mac *mac)
{
	struct device_known *k;

	if (!p->known) /* on the first device: a pipeline without a store never needs it */
		p->known = calloc(2 * DEVICES_MAX, sizeof(*p->known));
	if (!p->known) {
		p->n.devices_refused++;
		return false;
	}
	k = known_slot(p->known, mac);

	if (k->used) {
		k->seen = p->now;
		return true;
	}
	if (p->n_known >= DEVICES_MAX) {
		struct device_known *old = p->known;
		size_t i, cap = 2 * DEVICES_MAX;

		p->known = calloc(cap, sizeof(*p->known));
		if (!p->known) {
			p->known = old;
			p->n.devices_refused++;
			return false;
		}
		p->n_known = 0;
		for (i = 0; i < cap; i++) {
			if (!old[i].used || p->now - old[i].seen >= DEVICE_IDLE)
				continue;
			*known_slot(p->known, &old[i].mac) = old[i];
			p->n_known++;
		}
		free(old);
		if (p->n_known >= DEVICES_MAX) {
			p->n.devices_refused++;
			return false;
		}
		k = known_slot(p->known, mac);
	}
	k->used = true;
	k->mac = *mac;
	k->seen = p->now;
	p->n_known++;
	return true;
}

static void write_device(struct lw_pipeline *p, const struct lw_mac *mac, const struct lw_addr *ip,
			 const char *hostname, const char *vendor_class, bool force)
{
	struct device_slot *s = &p->devices[lw_hash(mac->b, 6) % DEVICE_CACHE];
	struct lw_device_rec r;

	if (!p->store || !mac_is_unicast(mac))
		return;
	if (!force && s->used && memcmp(s->mac.b, mac->b, 6) == 0 &&
	    p->now - s->written < DEVICE_REFRESH)
		return;
	if (!device_admit(p, mac))
		return;
	s->used = true;
	s->mac = *mac;
	s->written = p->now;
	memset(&r, 0, sizeof(r));
	lw_mac_str(mac, r.mac);
	r.ts = secs(p->now);
	if (ip && addr_is_host(ip))
		lw_addr_str(ip, r.ip); /* else "": the stored address stays */
	if (hostname)
		lw_str_copy(r.hostname, sizeof(r.hostname), hostname);
	if (vendor_class)
		lw_str_copy(r.dhcp_vendor, sizeof(r.dhcp_vendor), vendor_class);
	r.randomized = lw_mac_is_local(mac);
	if (p->device_info)
		p->device_info(mac, &r, p->device_info_data);
	lw_store_put_device(p->store, &r);
	if (p->events.device)
		p->events.device(&r, p->events.user_data);
}

/*
 * A UDP flow to port 53 whose queries are dns rows is a DNS lookup already stored once: with
 * dns_flows = counters (the default) it is counted in stats.dns_flows, not written again as a
 * flows row.  Unless a leaks row points at it, or it already has a row (it carried something
 * else first).
 */
static bool dns_flow_counted(const struct lw_pipeline *p, const struct lw_flow *f)
{
	const struct fctx *c = f->user;

	return !p->cfg.dns_flow_rows && c && f->l4 == 17 && f->server_port == 53 &&
	       f->app == LW_APP_DNS && c->dns_recorded && !c->leaked && !c->row_written;
}

static void write_flow(struct lw_pipeline *p, struct lw_flow *f, bool ended)
{
	struct lw_flow_rec r;
	const char *s;

	f->last_written = p->now;
	if (!p->store)
		return;
	if (dns_flow_counted(p, f)) {
		if (ended)
			p->n.dns_flows++;
		return;
	}
	if (f->user)
		((struct fctx *)f->user)->row_written = true;
	memset(&r, 0, sizeof(r));
	r.id = f->id;
	if (f->has_mac)
		lw_mac_str(&f->client_mac, r.mac);
	lw_str_copy(r.proto, sizeof(r.proto), f->l4 == 6 ? "tcp" : "udp");
	lw_addr_str(&f->client, r.src_ip);
	lw_addr_str(&f->server, r.dst_ip);
	r.src_port = f->client_port;
	r.dst_port = f->server_port;
	r.first_seen = secs(f->first_seen);
	r.last_seen = secs(f->last_seen);
	if (f->name_source != LW_NAME_NONE) {
		lw_str_copy(r.domain, sizeof(r.domain), f->domain);
		s = lw_name_source_str(f->name_source);
		lw_str_copy(r.name_source, sizeof(r.name_source), s ? s : "");
	}
	s = lw_app_str(f->app);
	lw_str_copy(r.app, sizeof(r.app), s ? s : "");
	r.encrypted = f->encrypted;
	r.pkts_out = f->pkts[LW_DIR_UP];
	r.bytes_out = f->bytes[LW_DIR_UP];
	r.pkts_in = f->pkts[LW_DIR_DOWN];
	r.bytes_in = f->bytes[LW_DIR_DOWN];
	r.ended = ended;
	lw_store_put_flow(p->store, &r);
}

/* A query's row, with its answer resp (NULL: none seen). */
static void write_dns(struct lw_pipeline *p, const struct lw_pending_query *q,
		      const struct lw_dns_msg *resp)
{
	struct lw_dns_rec r;
	size_t i, off = 0;
	int64_t ttl = -1;

	if (!p->store)
		return;
	memset(&r, 0, sizeof(r));
	r.ts = secs(q->ts);
	if (q->client.has_mac)
		lw_mac_str(&q->client.mac, r.mac);
	lw_addr_str(&q->client_addr, r.client_ip);
	lw_addr_str(&q->server_addr, r.server_ip);
	lw_str_copy(r.qname, sizeof(r.qname), q->qname);
	r.qtype = q->qtype;
	r.rcode = resp ? resp->rcode : -1;
	r.ttl = -1;
	for (i = 0; resp && i < resp->n_answers; i++) {
		const struct lw_dns_answer *a = &resp->answers[i];
		char text[LW_DNS_NAME_MAX];
		int w;

		if (a->addr.family)
			lw_addr_str(&a->addr, text);
		else if (a->target[0])
			lw_str_copy(text, sizeof(text), a->target);
		else
			continue;
		w = snprintf(r.answers + off, sizeof(r.answers) - off, "%s%s", off ? " " : "",
			     text);
		if (w < 0 || (size_t)w >= sizeof(r.answers) - off) {
			r.answers[off] = '\0';
			break;
		}
		off += (size_t)w;
		if (ttl < 0 || a->ttl < ttl)
			ttl = a->ttl;
	}
	r.ttl = ttl;
	lw_store_put_dns(p->store, &r);
}

/* --- leaks ------------------------------------------------------------------------------- */

struct leak_ctx {
	struct lw_pipeline *p;
	struct lw_flow *f;
	const struct lw_mac *mac; /* the device the content came from, NULL if unknown */
	bool dedup; /* one row per identifier for the whole flow (raw streams) */
};

/* Kinds whose validated sightings the engine learns (lw_detect_scan). */
static bool learnable(enum lw_id_kind k)
{
	return k == LW_ID_IMEI || k == LW_ID_ICCID || k == LW_ID_IMSI || k == LW_ID_ANDROID_ID ||
	       k == LW_ID_AD_ID || k == LW_ID_EMAIL;
}

static bool seen_before(struct scan_state *c, const char *kind, const char *value)
{
	char key[300];
	uint64_t h;
	size_t i;

	snprintf(key, sizeof(key), "%s\n%s", kind, value);
	h = lw_hash(key, strlen(key));
	for (i = 0; i < LW_MIN(c->n_seen, (size_t)LEAKS_SEEN_MAX); i++)
		if (c->seen[i] == h)
			return true;
	/* the oldest is forgotten first, so the same traffic gives the same rows every run */
	c->seen[c->n_seen++ % LEAKS_SEEN_MAX] = h;
	return false;
}

static void on_leak(const struct lw_leak *l, void *user_data)
{
	struct leak_ctx *lc = user_data;
	struct lw_pipeline *p = lc->p;
	struct lw_flow *f = lc->f;
	const char *kind = lw_id_kind_str(l->kind);
	struct lw_leak_rec r;

	if (!kind)
		return;
	if (l->opted_out) { /* an all-zero advertising id: the user opted out; not a leak */
		p->n.ad_opted_out++;
		return;
	}
	if (l->placeholder) { /* 02:00:00:00:00:00: what Android gives apps instead of the MAC */
		p->n.mac_placeholder++;
		return;
	}
	if (lc->dedup && f->user) {
		struct fctx *c = f->user;

		if (!c->sc)
			c->sc = calloc(1, sizeof(*c->sc));
		if (c->sc && seen_before(c->sc, kind, l->value))
			return;
	}
	p->n.leaks++;
	if (f->user)
		((struct fctx *)f->user)->leaked =
			true; /* its flows row stays: the leak names it */
	if (p->store) {
		memset(&r, 0, sizeof(r));
		r.ts = secs(p->now);
		if (lc->mac)
			lw_mac_str(lc->mac, r.mac);
		r.flow_id = f->id;
		if (f->name_source != LW_NAME_NONE)
			lw_str_copy(r.domain, sizeof(r.domain), f->domain);
		lw_addr_str(&f->server, r.dst_ip);
		r.dst_port = f->server_port;
		lw_str_copy(r.proto, sizeof(r.proto), f->l4 == 6 ? "tcp" : "udp");
		lw_str_copy(r.kind, sizeof(r.kind), kind);
		lw_str_copy(r.value, sizeof(r.value), l->value);
		lw_str_copy(r.encoding, sizeof(r.encoding), l->encoding);
		lw_str_copy(r.location, sizeof(r.location), l->location);
		lw_str_copy(r.confidence, sizeof(r.confidence), lw_confidence_str(l->confidence));
		lw_str_copy(r.snippet, sizeof(r.snippet), l->snippet);
		lw_store_put_leak(p->store, &r);
		lw_evidence_leak(p->evidence, f->id, &r);
		if (p->events.leak)
			p->events.leak(&r, p->events.user_data);
		if (l->confidence == LW_CONF_VALIDATED && learnable(l->kind) && lc->mac) {
			struct lw_identifier_rec id;

			memset(&id, 0, sizeof(id));
			lw_mac_str(lc->mac, id.mac);
			lw_str_copy(id.kind, sizeof(id.kind), kind);
			lw_str_copy(id.value, sizeof(id.value), l->value);
			snprintf(id.source, sizeof(id.source), "learned");
			id.first_seen = p->now / LW_USEC_PER_SEC;
			lw_store_put_identifier(p->store, &id);
		}
	}
	if (p->hooks.leak)
		p->hooks.leak(f, kind, l->value, lw_confidence_str(l->confidence),
			      p->hooks.user_data);
}

/* Scans upstream content that is not HTTP (raw TCP, UDP, DNS names, DHCP host names). */
static void scan(struct lw_pipeline *p, struct lw_flow *f, const struct lw_mac *mac,
		 const char *location, const uint8_t *data, size_t len, bool partial)
{
	struct leak_ctx lc = {p, f, mac, true};
	struct lw_detect_ctx ctx = {mac, location, NULL, partial};

	if (!p->detect || len == 0)
		return;
	lw_detect_scan(p->detect, &ctx, data, len, on_leak, &lc);
}

static const struct lw_mac *flow_mac(const struct lw_flow *f)
{
	return f->has_mac ? &f->client_mac : NULL;
}

static bool is_value_byte(uint8_t b)
{
	return (b >= '0' && b <= '9') || (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') ||
	       b == '@' || b == '.' || b == '-' || b == '_' || b == ':' || b == '+' || b == '%' ||
	       b == '=' || b == '/';
}

/*
 * A raw upstream stream arrives in segments; an identifier may be cut between two.  Each
 * chunk is scanned, and so is the join of the previous chunk's last value-like run with the
 * start of this one (the per-flow dedup drops what both scans find).  what names the
 * context: tcp.payload, or http.body for the rest of a body the buffer budget did not keep.
 */
static void scan_raw_as(struct lw_pipeline *p, struct lw_flow *f, const char *what,
			const uint8_t *data, size_t len)
{
	struct fctx *fc = f->user;
	struct scan_state *c;
	uint8_t join[2 * RAW_TAIL];
	size_t n, start;

	if (!fc->sc)
		fc->sc = calloc(1, sizeof(*fc->sc));
	c = fc->sc;
	if (!c) {
		scan(p, f, flow_mac(f), what, data, len, true);
		return;
	}
	if (c->tail_len > 0 && len > 0) {
		n = LW_MIN(len, RAW_TAIL);
		memcpy(join, c->tail, c->tail_len);
		memcpy(join + c->tail_len, data, n);
		scan(p, f, flow_mac(f), what, join, c->tail_len + n, true);
	}
	scan(p, f, flow_mac(f), what, data, len, true);
	/* keep the trailing run of value bytes (nothing before a separator can join a value) */
	start = len > RAW_TAIL ? len - RAW_TAIL : 0;
	for (n = len; n > start && is_value_byte(data[n - 1]); n--)
		;
	if (n == start && len - start == RAW_TAIL) {
		c->tail_len = 0; /* one run longer than the tail: not an identifier */
		return;
	}
	c->tail_len = len - n;
	memcpy(c->tail, data + n, c->tail_len);
}

static void scan_raw(struct lw_pipeline *p, struct lw_flow *f, const uint8_t *data, size_t len)
{
	scan_raw_as(p, f, "tcp.payload", data, len);
}

/* --- DNS ---------------------------------------------------------------------------------- */

/*
 * The key of a DNS message on flow f: the client is the one that sent a query (l2: its frame)
 * or the one an answer is addressed to, by MAC when the link layer shows it.
 */
static void dns_key(struct lw_pipeline *p, const struct lw_flow *f, const struct lw_mac *client_mac,
		    const struct lw_mac *server_mac, const struct lw_dns_msg *m,
		    struct lw_pending_query *k)
{
	memset(k, 0, offsetof(struct lw_pending_query, qname));
	if (server_mac) {
		k->has_server_mac = true;
		k->server_mac = *server_mac;
	}
	if (client_mac) {
		k->client.has_mac = true;
		k->client.mac = *client_mac;
	} else if (f->has_mac) {
		k->client.has_mac = true;
		k->client.mac = f->client_mac;
	} else {
		k->client.addr = f->client;
	}
	k->client_addr = f->client;
	k->server_addr = f->server;
	k->client_port = f->client_port;
	k->server_port = f->server_port;
	k->id = m->id;
	k->qtype = m->qtype;
	lw_str_copy(k->qname, sizeof(k->qname), m->qname);
	k->flow_id = f->id;
	k->ts = p->now;
}

/* A frame's destination (dst) or source MAC, NULL when the link layer does not show it (SLL
 * carries only the source; raw IP none). */
static const struct lw_mac *frame_mac(const struct lw_packet *l2, bool dst)
{
	const struct lw_mac *m;

	if (!l2 || !l2->has_mac)
		return NULL;
	m = dst ? &l2->dst_mac : &l2->src_mac;
	return lw_mac_is_zero(m) ? NULL : m;
}

static void write_unanswered(const struct lw_pending_query *q, void *user_data)
{
	write_dns(user_data, q, NULL);
}

/*
 * One DNS message on flow f travelling dir; l2 is its frame (NULL over TCP, where the flow's
 * MAC stands for it).  A query from the client waits in the pending table; an answer is used
 * (passive DNS names, the blocking hook, the dns row) only when it comes from the server to
 * the client and matches a query that client sent.  Everything else is counted, not used.
 */
static void dns_message(struct lw_pipeline *p, struct lw_flow *f, enum lw_dir dir,
			const struct lw_packet *l2, const uint8_t *data, size_t len)
{
	struct lw_dns_msg *m;
	struct fctx *c = f->user;
	struct lw_client_id cid;
	struct lw_pending_query k, q;
	size_t i;

	m = p->dns_msg; /* too large for every stack a fuzzer may use */
	if (lw_dns_parse(data, len, m) < 0) {
		p->n.dns_malformed++;
		return;
	}
	p->n.dns_messages++;
	if (m->answers_malformed)
		p->n.dns_malformed++; /* counted; the answers before the bad one are still used */
	if (f->app == LW_APP_UNKNOWN)
		f->app = LW_APP_DNS;
	if (f->app != LW_APP_DNS) /* mDNS / LLMNR: multicast chatter, not the client's lookups */
		return;
	if (!m->response) {
		if (m->qname[0] == '\0' || dir != LW_DIR_UP)
			return;
		scan(p, f, flow_mac(f), "dns.qname", (const uint8_t *)m->qname, strlen(m->qname),
		     false);
		dns_key(p, f, frame_mac(l2, false), frame_mac(l2, true), m, &k);
		if (lw_pending_add(p->pending, &k, &q) == 1)
			write_dns(p, &q, NULL); /* pushed out unanswered */
		c->dns_asked = true;
		c->dns_recorded = true;
		return;
	}
	if (dir != LW_DIR_DOWN || m->qname[0] == '\0') {
		p->n.dns_unmatched++;
		return;
	}
	dns_key(p, f, frame_mac(l2, true), frame_mac(l2, false), m, &k);
	if (lw_pending_match(p->pending, &k, &q) < 0) {
		p->n.dns_unmatched++; /* forged, late, or its query was not captured */
		return;
	}
	/* teach names every address, under the name the client asked for */
	client_id_of(f, &cid);
	for (i = 0; i < m->n_answers; i++) {
		const struct lw_dns_answer *a = &m->answers[i];

		if (!a->addr.family)
			continue;
		lw_names_add(p->names, &cid, &a->addr, m->qname, a->ttl, p->now);
		if (!p->hooks.dns_answer)
			continue;
		if (lw_block_guard_allows(&p->guard, &a->addr))
			p->hooks.dns_answer(f, m->qname, &a->addr, a->ttl, p->hooks.user_data);
		else
			p->n.block_guarded++;
	}
	write_dns(p, &q, m);
}

static void dns_flush_pending(struct lw_pipeline *p, struct lw_flow *f)
{
	struct fctx *c = f->user;

	if (!c->dns_asked)
		return;
	lw_pending_take_flow(p->pending, f->id, write_unanswered, p);
	c->dns_asked = false;
}

/* DNS over TCP: whole messages out of a buffered direction. */
static void dns_tcp(struct lw_pipeline *p, struct lw_flow *f, enum lw_dir dir, struct buf *b)
{
	const uint8_t *msg;
	size_t msg_len;
	int r;

	while ((r = lw_dns_tcp_frame(b->p, b->len, &msg, &msg_len)) > 0) {
		dns_message(p, f, dir, NULL, msg, msg_len);
		buf_consume(b, (size_t)r);
	}
	if (r != LW_NEED_MORE)
		b->len = 0;
}

/* --- HTTP --------------------------------------------------------------------------------- */

struct body_sink {
	struct lw_pipeline *p;
	struct lw_flow *f;
};

/*
 * Keeps request body bytes for inspection, up to http_body_max.  When the buffer budget
 * refuses the body more room, what it kept stays for the request's inspection and the rest
 * of the body is scanned as it comes, piece by piece (as a raw stream is: an identifier cut
 * between two pieces is still found), so only what needs the whole body is lost with it: a
 * compressed or base64-wrapped body past the kept part, JSON keys far from their values.
 */
static void body_keep(struct lw_pipeline *p, struct lw_flow *f, const uint8_t *data, size_t len)
{
	struct fctx *c = f->user;
	struct buf *b = &c->http->body;
	size_t max = (size_t)p->cfg.http_body_max, room, fit;
	int r;

	if (len == 0)
		return;
	if (c->http->body_spill) {
		scan_raw_as(p, f, "http.body", data, len);
		return;
	}
	if (c->http->body_cut)
		return;
	room = max > b->len ? max - b->len : 0;
	r = len > room ? -ENOBUFS : buf_append(p, c, b, data, len, max);
	if (r == 0)
		return;
	if (r == -EDQUOT) {
		fit = LW_MIN(len, b->cap - b->len); /* what the buffer already has room for */
		if (fit) {
			memcpy(b->p + b->len, data, fit);
			b->len += fit;
		}
		c->http->body_cut = true;
		c->http->body_spill = true;
		if (c->sc)
			c->sc->tail_len = 0;
		scan_raw_as(p, f, "http.body", data + fit, len - fit);
		return;
	}
	buf_append(p, c, b, data, LW_MIN(len, room), max);
	c->http->body_cut = true;
	p->n.http_body_cut++;
}

static void body_emit(const uint8_t *data, size_t len, void *user_data)
{
	struct body_sink *bs = user_data;

	body_keep(bs->p, bs->f, data, len);
}

/* A request is complete (or ends here): its head, query, headers and body are inspected. */
static void http_request_done(struct lw_pipeline *p, struct lw_flow *f)
{
	struct fctx *c = f->user;
	struct lw_http_request *req;
	struct leak_ctx lc = {p, f, flow_mac(f), false};

	if (!c->http || c->http->req_head.len == 0)
		return;
	req = malloc(sizeof(*req));
	if (req && p->detect &&
	    lw_http_parse_request(c->http->req_head.p, c->http->req_head.len, req) > 0)
		lw_detect_http(p->detect, flow_mac(f), req, c->http->body.p, c->http->body.len,
			       on_leak, &lc);
	free(req);
	/* the next request (if any) grows its own: a keep-alive connection idle between
	 * requests holds no body */
	buf_free(p, c, &c->http->req_head);
	buf_free(p, c, &c->http->body);
	c->http->body_cut = false;
	c->http->body_spill = false;
}

/*
 * A request head that never finished (the capture or the flow ended in it, a gap cut it, it
 * outgrew head_max): what arrived is still scanned, once, as partial.  Its complete lines are
 * read as a request (a Referer is a header, the query has its keys); the line cut in the
 * middle, or the whole head when not even its request line parses, as text.  One identifier
 * found by both gives one row.  The head buffer is emptied: nothing reads it again.
 */
static void http_head_cut(struct lw_pipeline *p, struct lw_flow *f)
{
	struct fctx *c = f->user;
	struct leak_ctx lc = {p, f, flow_mac(f), true};
	struct lw_http_request *req;
	const uint8_t *nl;
	uint8_t *tmp;
	size_t lines = 0;

	if (!p->detect || c->head.len == 0)
		return;
	nl = memrchr(c->head.p, '\n', c->head.len);
	req = malloc(sizeof(*req));
	tmp = nl ? malloc((size_t)(nl - c->head.p) + 3) : NULL;
	if (req && tmp) {
		lines = (size_t)(nl - c->head.p) + 1;
		memcpy(tmp, c->head.p, lines);
		memcpy(tmp + lines, "\r\n", 2);
		if (lw_http_parse_request(tmp, lines + 2, req) > 0) {
			set_name(p, f, req->host.p, req->host.len, LW_NAME_HTTP);
			lw_detect_http(p->detect, flow_mac(f), req, NULL, 0, on_leak, &lc);
		} else {
			lines = 0;
		}
	}
	free(tmp);
	free(req);
	if (lines < c->head.len)
		scan(p, f, flow_mac(f), "http.head", c->head.p + lines, c->head.len - lines, true);
	c->head.len = 0;
}

/*
 * Walks the upstream HTTP stream: a head is parsed out of c->head, its body read (by
 * Content-Length or chunked framing) and kept up to http_body_max, the request inspected, then
 * the next request.
 */
static void http_up(struct lw_pipeline *p, struct lw_flow *f, const uint8_t *data, size_t len)
{
	struct fctx *c = f->user;
	struct lw_http_request req;
	int r;

	if (!c->http)
		c->http = calloc(1, sizeof(*c->http));
	if (!c->http) { /* nothing to keep the request in: not parsed */
		c->up = UP_DONE;
		return;
	}
	for (;;) {
		if (c->up == UP_HTTP_BODY) {
			if (c->http->body_chunked) {
				struct body_sink bs = {p, f};

				r = lw_http_chunked_feed(&c->http->chunked, data, len, body_emit,
							 &bs);

				if (r < 0) {
					p->n.http_malformed++;
					http_request_done(p, f);
					c->up = UP_HTTP_LOST;
					return;
				}
				data += r;
				len -= (size_t)r;
				if (!c->http->chunked.done)
					return;
			} else {
				size_t n = (size_t)LW_MIN((uint64_t)len, c->http->body_left);

				body_keep(p, f, data, n);
				c->http->body_left -= n;
				data += n;
				len -= n;
				if (c->http->body_left > 0)
					return;
			}
			http_request_done(p, f);
			c->up = UP_HTTP_HEAD;
		}
		if (c->up == UP_HTTP_LOST) {
			if (!lw_http_looks_like_request(data, len))
				return;
			c->up = UP_HTTP_HEAD;
			c->head.len = 0;
		}
		r = len > 0 ? buf_append(p, c, &c->head, data, len, (size_t)p->cfg.head_max) : 0;
		if (r < 0) {
			if (r != -EDQUOT) /* a head longer than head_max */
				p->n.http_malformed++;
			if (c->up == UP_HTTP_HEAD)
				http_head_cut(p, f); /* the head_max bytes that came */
			c->up = UP_HTTP_LOST;
			c->head.len = 0;
			return;
		}
		data += len;
		len = 0;
		if (c->head.len == 0)
			return;
		r = lw_http_parse_request(c->head.p, c->head.len, &req);

		if (r == LW_NEED_MORE)
			return;
		if (r < 0) {
			p->n.http_malformed++;
			c->up = UP_HTTP_LOST;
			c->head.len = 0;
			return;
		}
		p->n.http_requests++;
		f->app = LW_APP_HTTP;
		set_name(p, f, req.host.p, req.host.len, LW_NAME_HTTP);
		c->http->req_head.len = 0;
		if (buf_append(p, c, &c->http->req_head, c->head.p, (size_t)r,
			       (size_t)p->cfg.head_max) < 0)
			c->http->req_head.len = 0;
		c->http->body.len = 0;
		c->http->body_cut = false;
		c->up = UP_HTTP_BODY;
		c->http->body_chunked = req.chunked;
		memset(&c->http->chunked, 0, sizeof(c->http->chunked));
		c->http->body_left = req.content_length > 0 ? (uint64_t)req.content_length : 0;
		if (c->http->body_left > 0 && p->cfg.http_body_max > 0)
			buf_reserve(p, c, &c->http->body,
				    (size_t)LW_MIN(c->http->body_left, (uint64_t)SIZE_MAX),
				    (size_t)p->cfg.http_body_max);
		/* what followed the head in the buffer is body (or the next request) */
		if ((size_t)r < c->head.len) {
			size_t rest = c->head.len - (size_t)r;
			uint8_t *tmp = malloc(rest);

			if (!tmp) {
				c->up = UP_HTTP_LOST;
				c->head.len = 0;
				return;
			}
			memcpy(tmp, c->head.p + r, rest);
			c->head.len = 0;
			http_up(p, f, tmp, rest);
			free(tmp);
			return;
		}
		c->head.len = 0;
		if (c->head.cap > LW_BUDGET_FLOOR)
			buf_free(p, c, &c->head);
		if (!c->http->body_chunked && c->http->body_left == 0) {
			http_request_done(p, f);
			c->up = UP_HTTP_HEAD;
		}
		return;
	}
}

/* --- SIP ---------------------------------------------------------------------------------- */

/* A Request-URI host that names something (not an address literal) names the flow. */
static bool sip_host_is_name(const struct lw_str *h)
{
	bool letter = false;
	size_t i;

	for (i = 0; i < h->len; i++) {
		if (h->p[i] == ':')
			return false;
		letter |= (h->p[i] | 0x20) >= 'a' && (h->p[i] | 0x20) <= 'z';
	}
	return letter;
}

/*
 * One SIP message at data (a UDP datagram, or the start of a TCP stream's buffer; whole: no
 * more bytes will come, as for a datagram or a stream that ended): its Request-URI, headers
 * and body are inspected, and the flow is named by the Request-URI's host (the domain the
 * phone registers with or calls into).  Identifiers are reported once per flow: a phone
 * repeats them in every REGISTER refresh and re-INVITE.  Returns the bytes the message took
 * (CRLF keep-alives alone: all of them), LW_NEED_MORE, or -EBADMSG, counted in
 * http_malformed (SIP is HTTP/1.1's message syntax, RFC 3261 7).
 */
static int sip_message(struct lw_pipeline *p, struct lw_flow *f, const uint8_t *data, size_t len,
		       bool whole)
{
	struct leak_ctx lc = {p, f, flow_mac(f), true};
	struct lw_sip_msg m;
	struct lw_str host;
	size_t k, body_len;
	bool partial = false;
	int r;

	for (k = 0; k < len && (data[k] == '\r' || data[k] == '\n'); k++)
		;
	if (k == len)
		return (int)len;
	r = lw_sip_parse(data, len, &m);
	if (r == LW_NEED_MORE && !whole)
		return r;
	if (r < 0) {
		p->n.http_malformed++;
		return -EBADMSG;
	}
	body_len = len - (size_t)r;
	if (m.content_length >= 0 && (uint64_t)m.content_length <= body_len) {
		body_len = (size_t)m.content_length;
	} else if (m.content_length >= 0) {
		if (!whole)
			return LW_NEED_MORE;
		partial = true; /* a datagram cut by the capture, or a stream that ended */
	} else if (!whole) {
		body_len = 0; /* on a stream Content-Length is a MUST (RFC 3261 18.3) */
	}
	f->app = LW_APP_SIP;
	if (m.request && lw_sip_uri_host(m.uri, &host) == 0 && sip_host_is_name(&host))
		set_name(p, f, host.p, host.len, LW_NAME_SIP);
	if (p->detect)
		lw_detect_sip(p->detect, flow_mac(f), &m, data + r, body_len, partial, on_leak,
			      &lc);
	return (int)((size_t)r + body_len);
}

/* SIP over TCP: messages framed by Content-Length out of the buffered stream. */
static void sip_up(struct lw_pipeline *p, struct lw_flow *f, const uint8_t *data, size_t len,
		   bool ended)
{
	struct fctx *c = f->user;
	size_t off = 0;
	int r;

	if (len > 0 && buf_append(p, c, &c->head, data, len, (size_t)p->cfg.head_max) < 0) {
		/* one message larger than the buffer: its framing is lost, read the rest raw */
		p->n.http_malformed++;
		c->up = UP_RAW;
		if (c->head.len)
			scan_raw(p, f, c->head.p, c->head.len);
		scan_raw(p, f, data, len);
		buf_free(p, c, &c->head);
		return;
	}
	while (off < c->head.len) {
		r = sip_message(p, f, c->head.p + off, c->head.len - off, ended);
		if (r == LW_NEED_MORE)
			break;
		if (r < 0) {
			c->up = UP_RAW;
			scan_raw(p, f, c->head.p + off, c->head.len - off);
			buf_free(p, c, &c->head);
			return;
		}
		off += (size_t)r;
	}
	buf_consume(&c->head, off);
}

/* --- HTTP/2 in clear text ------------------------------------------------------------------ */

struct h2_sink_ctx {
	struct lw_pipeline *p;
	struct lw_flow *f;
};

/* A header block: the request's :authority names the flow; its fields are inspected as an
 * HTTP/1 request's would be (pseudo-headers as method, target and host). */
static void h2_headers(const struct lw_h2_headers *h, void *user_data)
{
	struct h2_sink_ctx *x = user_data;
	struct leak_ctx lc = {x->p, x->f, flow_mac(x->f), false};
	struct lw_http_request *req = calloc(1, sizeof(*req));
	struct lw_str host = {NULL, 0};
	size_t i;

	if (!req)
		return;
	req->method = req->target = (struct lw_str){"", 0};
	req->content_length = -1;
	for (i = 0; i < h->n; i++) {
		const struct lw_h2_field *fl = &h->f[i];
		const struct lw_str *n = &fl->name;

		if (n->len == 7 && memcmp(n->p, ":method", 7) == 0) {
			req->method = fl->value;
		} else if (n->len == 5 && memcmp(n->p, ":path", 5) == 0) {
			req->target = fl->value;
		} else if (n->len == 10 && memcmp(n->p, ":authority", 10) == 0) {
			host = lw_h2_authority_host(fl->value);
		} else if (n->len > 0 && n->p[0] == ':') {
			continue; /* :scheme, :protocol */
		} else if (req->n_headers < LW_HTTP_MAX_HEADERS) {
			if (n->len == 4 && memcmp(n->p, "host", 4) == 0 && !host.len)
				host = lw_h2_authority_host(fl->value);
			if (n->len == 12 && memcmp(n->p, "content-type", 12) == 0)
				req->content_type = fl->value;
			req->headers[req->n_headers].name = fl->name;
			req->headers[req->n_headers].value = fl->value;
			req->n_headers++;
		}
	}
	req->host = host;
	if (req->method.len > 0) { /* a request, not trailers */
		x->p->n.http_requests++;
		x->f->app = LW_APP_HTTP;
		set_name(x->p, x->f, host.p, host.len, LW_NAME_HTTP);
	}
	if (x->p->detect)
		lw_detect_http(x->p->detect, flow_mac(x->f), req, NULL, 0, on_leak, &lc);
	free(req);
}

static void h2_data(uint32_t stream, const uint8_t *data, size_t len, void *user_data)
{
	struct h2_sink_ctx *x = user_data;

	(void)stream;
	scan(x->p, x->f, flow_mac(x->f), "http2.data", data, len, true);
}

/* Bytes of the client's HTTP/2 stream after its preface. */
static void h2_up(struct lw_pipeline *p, struct lw_flow *f, const uint8_t *data, size_t len)
{
	struct fctx *c = f->user;
	struct h2_sink_ctx x = {p, f};
	struct lw_h2_sink sink = {h2_headers, h2_data, &x};

	if (!c->h2)
		c->h2 = lw_h2_new();
	if (!c->h2 || lw_h2_feed(c->h2, data, len, &sink) < 0) {
		/* malformed or past a limit: what follows is scanned as it comes */
		p->n.h2_malformed++;
		lw_h2_free(c->h2);
		c->h2 = NULL;
		c->up = UP_RAW;
	}
}

/* --- TCP streams -------------------------------------------------------------------------- */

static void detect_up(struct lw_pipeline *p, struct lw_flow *f);

/* Parses the ClientHello at the start of c->head (a TLS stream, or one that turned to TLS). */
static void tls_up(struct lw_pipeline *p, struct lw_flow *f)
{
	struct fctx *c = f->user;
	struct lw_tls_hello hello;
	int r = lw_tls_parse_stream(c->head.p, c->head.len, &hello);

	if (r == LW_NEED_MORE)
		return;
	if (r > 0) {
		p->n.tls_hellos++;
		f->app = LW_APP_TLS;
		f->encrypted = true;
		set_name(p, f, hello.sni, strlen(hello.sni), LW_NAME_SNI);
		c->up = UP_DONE;
	} else {
		/* it only looked like TLS: inspect it as raw bytes from here on */
		p->n.tls_malformed++;
		c->up = UP_RAW;
		scan_raw(p, f, c->head.p, c->head.len);
	}
	buf_free(p, c, &c->head);
}

/*
 * A handshake of n bytes (SOCKS, RDP's connection request) starts c->head: its bytes are
 * scanned (user names, cookies), and what follows is a stream of its own whose protocol is
 * chosen again.
 */
static void after_handshake(struct lw_pipeline *p, struct lw_flow *f, size_t n)
{
	struct fctx *c = f->user;

	p->n.tunnels++;
	scan(p, f, flow_mac(f), "tcp.payload", c->head.p, n, false);
	c->redetects++;
	buf_consume(&c->head, n);
	c->up = UP_DETECT;
	detect_up(p, f);
}

/*
 * Chooses the parser of an upstream stream by its first bytes, in c->head: TLS, the HTTP/2
 * preface, SIP, HTTP/1, a SOCKS client, RDP's X.224 request (after which the choice is made again),
 * else raw bytes.  Ports decide nothing here except DNS (tcp_up).
 */
static void detect_up(struct lw_pipeline *p, struct lw_flow *f)
{
	struct fctx *c = f->user;
	const uint8_t *d = c->head.p;
	size_t n = c->head.len;
	struct lw_socks_request sr;
	int r;

	if (n == 0)
		return;
	if (n >= 4 && memcmp(d, "SSH-", 4) == 0) {
		c->up = UP_DONE; /* encrypted after its banner */
		buf_free(p, c, &c->head);
		return;
	}
	if (d[0] == 0x16) {
		c->up = UP_TLS;
		tls_up(p, f);
		return;
	}
	r = lw_h2_preface(d, n);
	if (r == LW_NEED_MORE)
		return;
	if (r > 0) {
		c->up = UP_H2;
		h2_up(p, f, d + r, n - (size_t)r);
		buf_free(p, c, &c->head);
		return;
	}
	if (lw_sip_looks_like(d, n)) {
		/* before HTTP: OPTIONS is a method of both */
		c->up = UP_SIP;
		sip_up(p, f, NULL, 0, false);
		return;
	}
	if (lw_http_looks_like_request(d, n)) {
		struct buf h = c->head;

		memset(&c->head, 0, sizeof(c->head));
		c->up = UP_HTTP_HEAD;
		http_up(p, f, h.p, h.len);
		buf_free(p, c, &h);
		return;
	}
	if (c->redetects < REDETECT_MAX) {
		r = lw_socks_parse_client(d, n, &sr);
		if (r == LW_NEED_MORE)
			return; /* bounded: the parser refuses a handshake longer than SOCKS allows */
		if (r > 0) {
			c->tunnel = true;
			set_name(p, f, sr.host, strlen(sr.host), LW_NAME_SOCKS);
			after_handshake(p, f, (size_t)r);
			return;
		}
		r = lw_starttls_rdp_request(d, n);
		if (r == LW_NEED_MORE)
			return; /* bounded by LW_STARTTLS_RDP_MAX */
		if (r > 0) {
			after_handshake(p, f, (size_t)r);
			return;
		}
	}
	if (n >= 8) {
		c->up = UP_RAW;
		scan_raw(p, f, d, n);
		buf_free(p, c, &c->head);
	}
}

/*
 * A raw stream may turn to TLS (STARTTLS, RDP): a chunk that starts with a ClientHello record
 * is parsed as one, more readily right after an upgrade command.  Returns true if it is.
 */
static bool raw_turns_tls(struct fctx *c, const uint8_t *data, size_t len)
{
	bool hello;

	if (c->tls_tries >= TLS_TRIES_MAX || len == 0)
		return false;
	hello = lw_starttls_hello_start(data, len) || (c->starttls && data[0] == 0x16);
	c->starttls = lw_starttls_command(data, len) != LW_STARTTLS_NONE;
	if (hello)
		c->tls_tries++;
	return hello;
}

static void tcp_up(struct lw_pipeline *p, struct lw_flow *f, const uint8_t *data, size_t len,
		   bool gap)
{
	struct fctx *c = f->user;

	if (gap) {
		switch (c->up) {
		case UP_HTTP_BODY:
			http_request_done(p, f); /* what arrived of it is still inspected */
			c->up = UP_HTTP_LOST;
			c->head.len = 0;
			break;
		case UP_HTTP_HEAD:
			http_head_cut(p, f); /* what arrived of the head is still inspected */
			c->up = UP_HTTP_LOST;
			break;
		case UP_DETECT:
		case UP_H2: /* the frames are out of step */
			c->up = UP_RAW;
			buf_free(p, c, &c->head);
			lw_h2_free(c->h2);
			c->h2 = NULL;
			break;
		case UP_TLS:
		case UP_DNS:
			c->up = UP_DONE;
			buf_free(p, c, &c->head);
			break;
		case UP_SIP: /* the framing is lost with the bytes: the rest is read raw */
			c->up = UP_RAW;
			buf_free(p, c, &c->head);
			break;
		case UP_HTTP_LOST:
		case UP_RAW:
		case UP_DONE:
			break;
		}
	}
	switch (c->up) {
	case UP_DONE:
		return;
	case UP_RAW:
		if (!raw_turns_tls(c, data, len)) {
			scan_raw(p, f, data, len);
			return;
		}
		c->up = UP_TLS;
		buf_free(p, c, &c->head);
		break;
	case UP_H2:
		h2_up(p, f, data, len);
		return;
	case UP_HTTP_HEAD:
	case UP_HTTP_LOST:
		/* after an "Upgrade: h2c" request, the client's HTTP/2 preface */
		if (c->head.len == 0 && lw_h2_preface(data, len) == LW_H2_PREFACE_LEN) {
			c->up = UP_H2;
			h2_up(p, f, data + LW_H2_PREFACE_LEN, len - LW_H2_PREFACE_LEN);
			return;
		}
		http_up(p, f, data, len);
		return;
	case UP_HTTP_BODY:
		http_up(p, f, data, len);
		return;
	case UP_SIP:
		sip_up(p, f, data, len, false);
		return;
	case UP_DETECT:
		if (f->server_port == 53 || f->client_port == 53) {
			c->up = UP_DNS;
			f->app = LW_APP_DNS;
		}
		break;
	case UP_TLS:
	case UP_DNS:
		break;
	}
	if (buf_append(p, c, &c->head, data, len, (size_t)p->cfg.head_max) < 0) {
		c->up = UP_DONE;
		buf_free(p, c, &c->head);
		return;
	}
	switch (c->up) {
	case UP_DETECT:
		detect_up(p, f);
		return;
	case UP_DNS:
		dns_tcp(p, f, LW_DIR_UP, &c->head);
		return;
	case UP_TLS:
		tls_up(p, f);
		return;
	case UP_HTTP_HEAD:
	case UP_HTTP_BODY:
	case UP_HTTP_LOST:
	case UP_H2:
	case UP_SIP:
	case UP_RAW:
	case UP_DONE:
		return;
	}
}

static void tcp_down(struct lw_pipeline *p, struct lw_flow *f, const uint8_t *data, size_t len,
		     bool gap)
{
	struct fctx *c = f->user;

	if (!(f->server_port == 53 || f->client_port == 53))
		return;
	if (gap)
		c->down.len = 0;
	if (buf_append(p, c, &c->down, data, len, (size_t)p->cfg.head_max) < 0) {
		c->down.len = 0;
		return;
	}
	dns_tcp(p, f, LW_DIR_DOWN, &c->down);
}

static void flow_created(struct lw_pipeline *p, struct lw_flow *f);

static void on_data(struct lw_flow *f, enum lw_dir dir, const uint8_t *data, size_t len, bool gap,
		    void *user_data)
{
	struct lw_pipeline *p = user_data;

	/* the first segment of a flow arrives here before lw_flow_table_packet() returns */
	if (!f->user)
		flow_created(p, f);
	if (!f->user || len == 0)
		return;
	if (dir == LW_DIR_UP) {
		tcp_up(p, f, data, len, gap);
		if (((struct fctx *)f->user)->up == UP_DONE)
			lw_flow_skip_stream(f, LW_DIR_UP); /* encrypted from here on */
	} else if (f->server_port == 53 || f->client_port == 53) {
		tcp_down(p, f, data, len, gap);
	} else {
		/* downstream bytes are parsed only for DNS over TCP: stop reassembling them */
		lw_flow_skip_stream(f, LW_DIR_DOWN);
	}
}

/* --- local names: mDNS, LLMNR, NBNS, DNS UPDATE ------------------------------------------- */

static void write_device_name(struct lw_pipeline *p, const struct lw_mac *mac, const char *proto,
			      const char *name, uint64_t count, lw_time_us ts)
{
	struct lw_device_name_rec r;
	size_t n;

	if (!p->store)
		return;
	memset(&r, 0, sizeof(r));
	r.ts = secs(ts);
	lw_mac_str(mac, r.mac);
	lw_str_copy(r.proto, sizeof(r.proto), proto);
	lw_str_copy(r.name, sizeof(r.name), name);
	r.count = count;
	/*
	 * devices.hostname, while the device has none (a DHCP host name replaces it): the name
	 * without mDNS's ".local"; an NBNS or LLMNR name as it is; not a DNS UPDATE's, which a
	 * server may send for others.
	 */
	if (strcmp(proto, "update") != 0) {
		lw_str_copy(r.hostname, sizeof(r.hostname), name);
		n = strlen(r.hostname);
		if (strcmp(proto, "mdns") == 0 && n > 6 &&
		    strcmp(r.hostname + n - 6, ".local") == 0)
			r.hostname[n - 6] = '\0';
	}
	lw_store_put_device_name(p->store, &r);
}

static void flush_device_name(const struct lw_devnames_entry *e, void *user_data)
{
	write_device_name(user_data, &e->mac, e->proto, e->name, e->pending, e->last_seen);
}

/*
 * A name the frame's sender announced for itself.  The first sighting of a (device, proto,
 * name) is written at once and its name scanned for identifiers (android-<Android ID>, a MAC,
 * an IMEI as a host name); later ones are counted and written by the periodic flush.
 */
static void device_name(struct lw_pipeline *p, struct lw_flow *f, const struct lw_packet *pkt,
			const char *proto, const char *location, const char *name)
{
	const struct lw_mac *mac = frame_mac(pkt, false);
	int r;

	if (!mac || !mac_is_unicast(mac) || !name[0] || !p->devnames)
		return;
	r = lw_devnames_see(p->devnames, mac, proto, name, p->now);
	if (r == -ENOSPC)
		p->n.device_names_refused++;
	if (r != 1)
		return;
	/* the announcer is a device even when it only answers (an LLMNR responder) */
	write_device(p, mac, &pkt->src, NULL, NULL, false);
	write_device_name(p, mac, proto, name, 1, p->now);
	scan(p, f, mac, location, (const uint8_t *)name, strlen(name), false);
}

/* The flow's name from a local discovery message: the first one it carried stays. */
static void local_flow_name(struct lw_pipeline *p, struct lw_flow *f, const char *name,
			    enum lw_name_source src)
{
	if (f->name_source == LW_NAME_NONE || f->name_source == LW_NAME_DNS)
		set_name(p, f, name, strlen(name), src);
}

/*
 * mDNS (mdns) or LLMNR.  The flow is named by the first question, else the first host name.
 * The sender's own names: in a response, the hosts of its answer and additional records
 * (RFC 6762 §6, RFC 4795 §2.1); in an mDNS query, the hosts of its authority section (a
 * probe, RFC 6762 §8.2).  A query's answer section holds names the asker already knows about
 * others (known answers, §7.1): not its own.
 */
static void local_dns_names(struct lw_pipeline *p, struct lw_flow *f, const struct lw_packet *pkt,
			    bool mdns)
{
	struct lw_localnames *m = malloc(sizeof(*m)); /* ~3 KiB: not on a fuzzer's stack */
	size_t i;

	if (!m)
		return;
	if (lw_localnames_parse(pkt->payload, pkt->payload_len, m) < 0) {
		p->n.local_malformed++;
		free(m);
		return;
	}
	p->n.local_names++;
	if (m->malformed)
		p->n.local_malformed++;
	if (m->n_questions)
		local_flow_name(p, f, m->questions[0], mdns ? LW_NAME_MDNS : LW_NAME_LLMNR);
	else if (m->n_hosts)
		local_flow_name(p, f, m->hosts[0], mdns ? LW_NAME_MDNS : LW_NAME_LLMNR);
	for (i = 0; i < m->n_hosts; i++) {
		uint8_t sec = m->host_section[i];
		bool own = m->response ? sec == LW_LOCALNAMES_AN || sec == LW_LOCALNAMES_AR
				       : mdns && sec == LW_LOCALNAMES_NS;

		if (own && m->opcode == 0)
			device_name(p, f, pkt, mdns ? "mdns" : "llmnr",
				    mdns ? "mdns.name" : "llmnr.name", m->hosts[i]);
	}
	free(m);
}

/*
 * NetBIOS name service.  The flow is named by the name asked, registered or answered (not the
 * node status wildcard "*").  The sender's own name: a unique (not group) workstation <00> or
 * server <20> name it registers or refreshes, or answers a query for.
 */
static void nbns_names(struct lw_pipeline *p, struct lw_flow *f, const struct lw_packet *pkt)
{
	struct lw_nbns_msg m;
	bool own;

	if (lw_nbns_parse(pkt->payload, pkt->payload_len, &m) < 0) {
		p->n.local_malformed++;
		return;
	}
	p->n.local_names++;
	if (m.name[0] && strcmp(m.name, "*") != 0)
		local_flow_name(p, f, m.name, LW_NAME_NBNS);
	switch (m.opcode) {
	case LW_NBNS_REGISTRATION:
	case LW_NBNS_REFRESH:
	case LW_NBNS_REFRESH_ALT:
	case LW_NBNS_MULTIHOMED:
		own = !m.response;
		break;
	case LW_NBNS_QUERY:
		own = m.response && m.rcode == 0;
		break;
	default:
		own = false;
		break;
	}
	if (own && m.has_nb && !m.group && (m.suffix == 0x00 || m.suffix == 0x20) &&
	    strcmp(m.name, "*") != 0)
		device_name(p, f, pkt, "nbns", "nbns.name", m.name);
}

/*
 * DNS UPDATE (RFC 2136) from a client: the zone names the flow (`update`), and the owner
 * names of its update records (the names the sender adds or deletes, e.g. its own
 * laptop.example.com; not those under .arpa) are recorded as its names.  The message also
 * goes through dns_message like any query: its dns row holds the zone (qtype SOA) and the
 * server's rcode.
 */
static void dns_update(struct lw_pipeline *p, struct lw_flow *f, enum lw_dir dir,
		       const struct lw_packet *pkt)
{
	struct lw_localnames *m;
	size_t i;

	/* opcode 5 in the header's third byte: 0 1010 xxx (QR 0) */
	if (dir != LW_DIR_UP || pkt->payload_len < 12 || (pkt->payload[2] & 0xf8) != 0x28)
		return;
	m = malloc(sizeof(*m));
	if (!m)
		return;
	if (lw_localnames_parse(pkt->payload, pkt->payload_len, m) < 0) {
		p->n.local_malformed++;
		free(m);
		return;
	}
	p->n.local_names++;
	if (m->n_questions)
		local_flow_name(p, f, m->questions[0], LW_NAME_UPDATE);
	for (i = 0; i < m->n_hosts; i++) {
		size_t n = strlen(m->hosts[i]);

		if ((n >= 12 && strcmp(m->hosts[i] + n - 12, "in-addr.arpa") == 0) ||
		    (n >= 8 && strcmp(m->hosts[i] + n - 8, "ip6.arpa") == 0))
			continue;
		device_name(p, f, pkt, "update", "dns.update", m->hosts[i]);
	}
	free(m);
}

/* --- UDP ---------------------------------------------------------------------------------- */

static bool port_is(const struct lw_flow *f, uint16_t port)
{
	return f->server_port == port || f->client_port == port;
}

static void quic_datagram(struct lw_pipeline *p, struct lw_flow *f, const struct lw_packet *pkt);

static void udp_packet(struct lw_pipeline *p, struct lw_flow *f, enum lw_dir dir,
		       const struct lw_packet *pkt)
{
	struct fctx *c = f->user;

	if (pkt->payload_len == 0)
		return;
	if (port_is(f, 53)) {
		dns_update(p, f, dir, pkt);
		dns_message(p, f, dir, pkt, pkt->payload, pkt->payload_len);
		return;
	}
	if (port_is(f, 5353) || port_is(f, 5355)) {
		if (f->app == LW_APP_UNKNOWN)
			f->app = port_is(f, 5353) ? LW_APP_MDNS : LW_APP_LLMNR;
		local_dns_names(p, f, pkt, f->app == LW_APP_MDNS);
		return;
	}
	if (port_is(f, 137)) {
		if (f->app == LW_APP_UNKNOWN)
			f->app = LW_APP_NBNS;
		nbns_names(p, f, pkt);
		return;
	}
	if (port_is(f, 67) || port_is(f, 68)) {
		struct lw_dhcp_info d;

		if (lw_dhcp_parse(pkt->payload, pkt->payload_len, &d) < 0)
			return;
		p->n.dhcp_messages++;
		f->app = LW_APP_DHCP;
		if (d.op == 1 && d.has_chaddr &&
		    (!pkt->has_mac || memcmp(pkt->src_mac.b, d.chaddr.b, 6) != 0)) {
			/* a request about another device's MAC (or with none at layer 2) */
			p->n.dhcp_chaddr_mismatch++;
			return;
		}
		if (d.op == 1 && d.has_chaddr) {
			write_device(p, &d.chaddr, d.requested.family ? &d.requested : NULL,
				     d.hostname, d.vendor_class,
				     d.hostname[0] != '\0' || d.vendor_class[0] != '\0');
			/* legacy Android names itself android-<Android ID> */
			scan(p, f, &d.chaddr, "dhcp.hostname", (const uint8_t *)d.hostname,
			     strlen(d.hostname), false);
		}
		return;
	}
	if (dir != LW_DIR_UP)
		return;
	if (lw_sip_looks_like(pkt->payload, pkt->payload_len)) {
		/*
		 * SIP by its content, on any port (5060, 5061 without TLS, inside GTP-U, ...);
		 * other datagrams of the flow (CRLF and STUN keep-alives) are read raw below
		 */
		if (sip_message(p, f, pkt->payload, pkt->payload_len, true) < 0)
			scan(p, f, flow_mac(f), "udp.payload", pkt->payload, pkt->payload_len,
			     false);
		return;
	}
	if (!c->quic_done && c->quic_datagrams < QUIC_DATAGRAMS_MAX &&
	    (c->quic || lw_quic_is_initial(pkt->payload, pkt->payload_len)))
		quic_datagram(p, f, pkt);
	if (f->app == LW_APP_QUIC || f->encrypted)
		return; /* nothing readable in it */
	scan(p, f, flow_mac(f), "udp.payload", pkt->payload, pkt->payload_len, false);
}

static void quic_datagram(struct lw_pipeline *p, struct lw_flow *f, const struct lw_packet *pkt)
{
	struct fctx *c = f->user;

	if (!c->quic) {
		c->quic = lw_quic_state_new();
		if (!c->quic)
			return;
	}
	c->quic_datagrams++;
	{
		struct lw_tls_hello hello;
		uint32_t version = 0;
		int r = lw_quic_feed(c->quic, pkt->payload, pkt->payload_len, &version, &hello);

		if (version)
			f->app = LW_APP_QUIC;
		if (r == 1) {
			p->n.quic_hellos++;
			f->app = LW_APP_QUIC;
			f->encrypted = true;
			set_name(p, f, hello.sni, strlen(hello.sni), LW_NAME_QUIC);
		}
		if (r == -EMSGSIZE)
			p->n.quic_too_big++;
		if (r != 0) {
			c->quic_done = true;
			lw_quic_state_free(c->quic);
			c->quic = NULL;
		}
	}
}

/* --- flows -------------------------------------------------------------------------------- */

static void fctx_free(struct lw_pipeline *p, struct fctx *c)
{
	if (!c)
		return;
	buf_free(p, c, &c->head);
	buf_free(p, c, &c->down);
	if (c->http) {
		buf_free(p, c, &c->http->req_head);
		buf_free(p, c, &c->http->body);
		free(c->http);
	}
	lw_budget_give(&p->budget, c->dev_key, c->charged); /* none left: every buffer gave */
	lw_quic_state_free(c->quic);
	lw_h2_free(c->h2);
	free(c->sc);
	free(c);
}

static void on_end(struct lw_flow *f, enum lw_flow_end why, void *user_data)
{
	struct lw_pipeline *p = user_data;

	(void)why;
	if (f->user) {
		struct fctx *c = f->user;

		dns_flush_pending(p, f);
		if (c->up == UP_HTTP_BODY)
			http_request_done(p, f); /* the flow ended inside a body */
		else if (c->up == UP_HTTP_HEAD)
			http_head_cut(p, f); /* or inside a head */
		else if (c->up == UP_SIP && c->head.len)
			sip_up(p, f, NULL, 0, true); /* or inside a SIP message */
	}
	write_flow(p, f, true);
	if (f->has_mac && f->pkts[LW_DIR_UP] > 0) /* its MAC was a frame's source */
		write_device(p, &f->client_mac, &f->client, NULL, NULL, false);
	fctx_free(p, f->user);
	f->user = NULL;
}

/* Sets up a new flow's context; safe to call again (does nothing once it exists). */
static void flow_created(struct lw_pipeline *p, struct lw_flow *f)
{
	struct lw_client_id cid;
	const char *name;

	if (f->user)
		return;
	f->user = calloc(1, sizeof(struct fctx));
	if (!f->user)
		return;
	client_id_of(f, &cid);
	((struct fctx *)f->user)->dev_key = lw_hash(&cid, sizeof(cid));
	name = lw_names_lookup(p->names, &cid, &f->server, p->now);
	if (name)
		set_name(p, f, name, strlen(name), LW_NAME_DNS);
	if (f->has_mac && f->pkts[LW_DIR_UP] > 0) /* its MAC was a frame's source */
		write_device(p, &f->client_mac, &f->client, NULL, NULL, false);
}

void lw_pipeline_frame(struct lw_pipeline *p, const struct lw_frame *fr)
{
	struct lw_packet pkt;
	struct lw_flow *f = NULL;
	enum lw_dir dir;
	bool created = false;
	int r;

	p->n.frames++;
	p->n.bytes += fr->wire_len;
	if (fr->ts > p->now)
		p->now = fr->ts;
	lw_evidence_frame(p->evidence, fr);
	r = lw_decode_frame(p->decoder, p->dlt, fr->data, fr->caplen, fr->wire_len, fr->ts, &pkt);
	if (r < 0)
		p->n.malformed++;
	if (r > 0)
		f = lw_flow_table_packet(p->flows, &pkt, &dir, &created);
	if (f && created)
		flow_created(p, f);
	if (f && f->user && pkt.l4 == 17)
		udp_packet(p, f, dir, &pkt);
	/* TCP payload reaches on_data() through the flow table's reassembly */
	lw_evidence_frame_done(p->evidence, f ? f->id : 0);
}

/* --- housekeeping ------------------------------------------------------------------------- */

static void write_if_due(struct lw_flow *f, void *user_data)
{
	struct lw_pipeline *p = user_data;
	lw_time_us every = (lw_time_us)p->cfg.flow_write_interval * LW_USEC_PER_SEC;

	if (p->now - f->first_seen >= every && p->now - f->last_written >= every &&
	    f->last_seen > f->last_written)
		write_flow(p, f, false);
}

static long rss_kb(void)
{
	long pages = 0, rss = 0;
	FILE *fp = fopen("/proc/self/statm", "r");

	if (!fp)
		return 0;
	if (fscanf(fp, "%ld %ld", &pages, &rss) != 2)
		rss = 0;
	fclose(fp);
	return rss * (sysconf(_SC_PAGESIZE) / 1024);
}

static void write_stats(struct lw_pipeline *p)
{
	const struct lw_flow_stats *fs = lw_flow_table_stats(p->flows);
	struct lw_stats_rec r;
	struct lw_store_stats ss;

	if (!p->store)
		return;
	lw_store_get_stats(p->store, &ss);
	memset(&r, 0, sizeof(r));
	r.ts = secs(p->now);
	r.packets = p->n.frames;
	r.bytes = p->n.bytes;
	r.dropped = p->cap_dropped;
	r.if_dropped = p->cap_if_dropped;
	r.flows_active = fs->active;
	r.flows_evicted = fs->evicted;
	r.leaks = p->n.leaks;
	r.malformed = p->n.malformed;
	r.store_dropped = ss.dropped;
	r.store_dropped_share = ss.dropped_share;
	r.rss_kb = rss_kb();
	r.names_evicted = lw_names_get_stats(p->names)->replaced;
	r.names_refused = lw_names_get_stats(p->names)->refused;
	r.learned_evicted = lw_detect_get_stats(p->detect)->learned_evicted;
	r.known_full = lw_detect_get_stats(p->detect)->known_full;
	r.dns_malformed = p->n.dns_malformed;
	r.http_malformed = p->n.http_malformed;
	r.tls_malformed = p->n.tls_malformed;
	r.reasm_overflow = fs->reasm_overflow;
	r.reasm_gaps = fs->reasm_gaps;
	r.frag_dropped = lw_decoder_stats(p->decoder)->frag_dropped;
	r.quic_too_big = p->n.quic_too_big;
	r.detect_budget_hit = lw_detect_get_stats(p->detect)->decode_budget_hit;
	r.http_body_cut = p->n.http_body_cut;
	r.dns_unmatched = p->n.dns_unmatched;
	r.dns_pending_evicted = lw_pending_get_stats(p->pending)->evicted_client +
				lw_pending_get_stats(p->pending)->evicted_total;
	r.dhcp_chaddr_mismatch = p->n.dhcp_chaddr_mismatch;
	r.devices_refused = p->n.devices_refused;
	r.block_guarded = p->n.block_guarded;
	r.body_undecoded = lw_detect_get_stats(p->detect)->body_undecoded;
	r.device_names_refused = p->n.device_names_refused;
	r.dns_flows = p->n.dns_flows;
	r.buffer_refused = p->n.buffer_refused;
	r.buffer_refused_share = p->n.buffer_refused_share;
	r.buffer_peak_kb = p->budget.peak / 1024;
	lw_store_put_stats(p->store, &r);
}

void lw_pipeline_tick(struct lw_pipeline *p, lw_time_us now)
{
	if (now > p->now)
		p->now = now;
	lw_flow_table_expire(p->flows, p->now);
	lw_pending_expire(p->pending, p->now, write_unanswered, p);
	if (p->next_walk == 0)
		p->next_walk = p->now + FLOW_WALK_EVERY;
	if (p->now >= p->next_walk) {
		lw_flow_table_foreach(p->flows, write_if_due, p);
		lw_devnames_flush(p->devnames, flush_device_name, p);
		p->next_walk = p->now + FLOW_WALK_EVERY;
	}
	if (p->next_stats == 0)
		p->next_stats = p->now + (lw_time_us)p->cfg.stats_interval * LW_USEC_PER_SEC;
	if (p->now >= p->next_stats) {
		write_stats(p);
		p->next_stats = p->now + (lw_time_us)p->cfg.stats_interval * LW_USEC_PER_SEC;
	}
	if (p->events.tick)
		p->events.tick(p->now, p->events.user_data);
}

void lw_pipeline_finish(struct lw_pipeline *p, lw_time_us now)
{
	if (now > p->now)
		p->now = now;
	lw_flow_table_flush(p->flows);
	lw_devnames_flush(p->devnames, flush_device_name, p);
	write_stats(p);
	if (p->events.tick)
		p->events.tick(p->now, p->events.user_data);
}

void lw_pipeline_set_capture_stats(struct lw_pipeline *p, uint64_t dropped, uint64_t if_dropped)
{
	p->cap_dropped = dropped;
	p->cap_if_dropped = if_dropped;
}

/* The prefix length of a netmask (its leading one bits). */
static uint8_t mask_len(const uint8_t *m, size_t n)
{
	uint8_t len = 0;

	for (size_t i = 0; i < n; i++)
		for (int b = 7; b >= 0 && (m[i] >> b) & 1; b--)
			len++;
	return len;
}

static int guard_sockaddr(struct lw_block_guard *g, const struct sockaddr *sa,
			  const struct sockaddr *mask)
{
	struct lw_prefix pfx;
	int r;

	memset(&pfx, 0, sizeof(pfx));
	if (sa->sa_family == AF_INET) {
		lw_addr_from_v4(&pfx.addr,
				(const uint8_t *)&((const struct sockaddr_in *)sa)->sin_addr);
		pfx.len = mask ? mask_len((const uint8_t *)&((const struct sockaddr_in *)mask)
						  ->sin_addr,
					  4)
			       : 32;
	} else if (sa->sa_family == AF_INET6) {
		lw_addr_from_v6(&pfx.addr, ((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr);
		pfx.len =
			mask ? mask_len(((const struct sockaddr_in6 *)mask)->sin6_addr.s6_addr, 16)
			     : 128;
	} else {
		return 0;
	}
	r = lw_block_guard_add_addr(g, &pfx.addr);
	if (r == 0 && pfx.len < (pfx.addr.family == 4 ? 32 : 128))
		r = lw_block_guard_add_prefix(g, &pfx);
	return r;
}

/* The default routes' gateways in /proc/net/route (IPv4; hex, host byte order as stored). */
static void guard_gateways(struct lw_block_guard *g)
{
	FILE *fp = fopen("/proc/net/route", "re");
	char line[256];

	if (!fp)
		return;
	while (fgets(line, sizeof(line), fp)) {
		char ifname[32];
		unsigned dest, gw;
		struct lw_addr a;

		if (sscanf(line, "%31s %x %x", ifname, &dest, &gw) != 3 || dest != 0 || gw == 0)
			continue;
		lw_addr_from_v4(&a, (const uint8_t *)&gw);
		lw_block_guard_add_addr(g, &a);
	}
	fclose(fp);
}

int lw_pipeline_guard_init(struct lw_block_guard *g, const struct lw_config *cfg)
{
	struct ifaddrs *ifa = NULL, *i;
	char text[4096];
	size_t n = 0, k;
	FILE *fp;
	int ret = 0;

	lw_block_guard_init(g);
	for (k = 0; cfg && k < cfg->n_lan; k++)
		if (lw_block_guard_add_prefix(g, &cfg->lan[k]) < 0)
			ret = -ENOSPC;
	if (getifaddrs(&ifa) == 0) {
		for (i = ifa; i; i = i->ifa_next)
			if (i->ifa_addr && guard_sockaddr(g, i->ifa_addr, i->ifa_netmask) < 0)
				ret = -ENOSPC;
		freeifaddrs(ifa);
	}
	guard_gateways(g);
	fp = fopen("/etc/resolv.conf", "re");
	if (fp) {
		n = fread(text, 1, sizeof(text) - 1, fp);
		fclose(fp);
	}
	text[n] = '\0';
	if (lw_block_guard_add_resolv_conf(g, text) < 0)
		ret = -ENOSPC;
	return ret;
}

void lw_pipeline_set_hooks(struct lw_pipeline *p, const struct lw_pipeline_hooks *hooks)
{
	if (hooks) {
		p->hooks = *hooks;
		lw_pipeline_guard_init(&p->guard, &p->cfg);
	} else {
		memset(&p->hooks, 0, sizeof(p->hooks));
	}
}

void lw_pipeline_set_events(struct lw_pipeline *p, const struct lw_pipeline_events *ev)
{
	if (ev)
		p->events = *ev;
	else
		memset(&p->events, 0, sizeof(p->events));
}

void lw_pipeline_set_device_info(struct lw_pipeline *p,
				 void (*fn)(const struct lw_mac *mac, struct lw_device_rec *r,
					    void *user_data),
				 void *user_data)
{
	p->device_info = fn;
	p->device_info_data = user_data;
}

void lw_pipeline_get_counters(const struct lw_pipeline *p, struct lw_pipeline_counters *out)
{
	const struct lw_flow_stats *fs = lw_flow_table_stats(p->flows);

	const struct lw_pending_stats *ps = lw_pending_get_stats(p->pending);
	struct lw_evidence_stats es;

	*out = p->n;
	out->dns_pending_evicted = ps->evicted_client + ps->evicted_total;
	out->dns_timed_out = ps->timed_out;
	out->flows_active = fs->active;
	out->flows_total = fs->created;
	out->flows_evicted = fs->evicted;
	out->buffer_peak_kb = p->budget.peak / 1024;
	lw_evidence_get_stats(p->evidence, &es);
	out->evidence_taken = es.taken;
	out->evidence_refused = es.refused;
	out->evidence_refused_share = es.refused_share;
	out->evidence_empty = es.empty;
}

int lw_pipeline_new(const struct lw_config *cfg, struct lw_store *store, int dlt,
		    struct lw_pipeline **out, char *err, size_t errlen)
{
	struct lw_decode_config dc;
	struct lw_flow_config fc;
	struct lw_names_config nc;
	struct lw_pipeline *p;
	int ev_err;
	size_t i;

	*out = NULL;
	if (!lw_decode_linktype_supported(dlt)) {
		snprintf(err, errlen, "link type %d is not supported", dlt);
		return -EPROTONOSUPPORT;
	}
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->cfg = *cfg;
	p->cfg.devices = NULL; /* not needed here; the caller keeps them */
	p->cfg.n_devices = 0;
	p->dlt = dlt;
	p->store = store;

	dc.frag_max_datagrams = (size_t)cfg->frag_max_datagrams;
	dc.frag_max_bytes = (size_t)cfg->frag_max_kb * 1024;
	dc.frag_timeout = (lw_time_us)cfg->frag_timeout * LW_USEC_PER_SEC;
	memset(&fc, 0, sizeof(fc));
	fc.max_flows = (size_t)cfg->max_flows;
	fc.tcp_idle = (lw_time_us)cfg->tcp_idle * LW_USEC_PER_SEC;
	fc.udp_idle = (lw_time_us)cfg->udp_idle * LW_USEC_PER_SEC;
	fc.closed_linger = 5 * LW_USEC_PER_SEC;
	fc.reasm_flow_bytes = (size_t)cfg->reasm_flow_kb * 1024;
	fc.reasm_total_bytes = (size_t)cfg->reasm_total_kb * 1024;
	lw_budget_init(&p->budget, (size_t)cfg->buffer_total_kb * 1024);
	fc.lan = p->cfg.lan;
	fc.n_lan = p->cfg.n_lan;
	nc.max_entries = (size_t)cfg->names_max;
	nc.ttl_min = (uint32_t)cfg->names_ttl_min;
	nc.ttl_max = (uint32_t)cfg->names_ttl_max;

	p->decoder = lw_decoder_new(&dc);
	p->flows = lw_flow_table_new(&fc, store ? lw_store_max_flow_id(store) + 1 : 1, on_end,
				     on_data, p);
	p->names = lw_names_new(&nc);
	p->pending = lw_pending_new(&(struct lw_pending_config){
		.max_total = DNS_PENDING_TOTAL,
		.max_per_client = DNS_PENDING_PER_CLIENT,
		.timeout = DNS_PENDING_TIMEOUT,
	});
	p->dns_msg = malloc(sizeof(*p->dns_msg));
	p->devnames = lw_devnames_new(NULL);
	{
		struct lw_detect_config dcfg = {
			.max_decode_bytes = (size_t)cfg->detect_decode_kb * 1024,
			.max_depth = (unsigned)cfg->detect_depth,
			.max_known_values = (size_t)cfg->detect_known_max,
			.learn = cfg->detect_learn,
		};

		memcpy(dcfg.region, cfg->detect_region, sizeof(dcfg.region));
		p->detect = lw_detect_new(&dcfg);
	}
	p->evidence = lw_evidence_new(cfg, store, dlt, &ev_err);
	if (!p->decoder || !p->flows || !p->names || !p->detect || !p->dns_msg || !p->pending ||
	    !p->devnames || ev_err < 0) {
		lw_pipeline_free(p);
		snprintf(err, errlen, "out of memory for the flow table (max_flows %ld)",
			 cfg->max_flows);
		return -ENOMEM;
	}
	for (i = 0; i < cfg->n_devices; i++) {
		const struct lw_config_device *dev = &cfg->devices[i];
		size_t j;

		for (j = 0; j < dev->n_ids; j++) {
			int kind = lw_id_kind_parse(dev->ids[j].kind);
			int r = kind < 0 ? kind
					 : lw_detect_add_known(p->detect, &dev->mac,
							       (enum lw_id_kind)kind,
							       dev->ids[j].value, "config");
			char mac[LW_MAC_STRLEN];

			if (r < 0) {
				snprintf(err, errlen, "[device %s] %s = %s: %s",
					 lw_mac_str(&dev->mac, mac), dev->ids[j].kind,
					 dev->ids[j].value,
					 r == -ENOSPC ? "more known values than [detect] known_max"
						      : "not a valid value of that kind");
				lw_pipeline_free(p);
				return -EINVAL;
			}
			if (store) {
				struct lw_identifier_rec id;

				memset(&id, 0, sizeof(id));
				lw_mac_str(&dev->mac, id.mac);
				lw_str_copy(id.kind, sizeof(id.kind), dev->ids[j].kind);
				if (lw_detect_canonical((enum lw_id_kind)kind, dev->ids[j].value,
							id.value, sizeof(id.value)) < 0)
					lw_str_copy(id.value, sizeof(id.value), dev->ids[j].value);
				snprintf(id.source, sizeof(id.source), "config");
				lw_store_put_identifier(store, &id);
			}
		}
	}
	*out = p;
	return 0;
}

void lw_pipeline_free(struct lw_pipeline *p)
{
	if (!p)
		return;
	if (p->flows) { /* release what open flows hold, writing nothing */
		p->store = NULL;
		memset(&p->hooks, 0, sizeof(p->hooks));
		memset(&p->events, 0, sizeof(p->events));
		lw_flow_table_flush(p->flows);
	}
	lw_decoder_free(p->decoder);
	lw_flow_table_free(p->flows);
	lw_names_free(p->names);
	lw_pending_free(p->pending);
	lw_devnames_free(p->devnames);
	free(p->known);
	lw_detect_free(p->detect);
	lw_evidence_free(p->evidence);
	free(p->dns_msg);
	free(p);
}
