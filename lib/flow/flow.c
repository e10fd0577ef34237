/* SPDX-License-Identifier: MIT */
/*
 * The flow table: TCP/UDP conversations keyed by their direction-independent 5-tuple.
 *
 *   pool[max_flows]   every struct lw_flow, allocated once (untouched slots cost no memory);
 *                     handed out in order, ended ones reused first from a free list
 *   buckets[2^k]      chains through hnext, 2^k >= max_flows, keyed SipHash (lw_hash) of
 *                     (l4, family, lower (addr, port), higher (addr, port)) so that a peer
 *                     cannot aim its packets at one chain
 *   lru[class]        doubly linked by last activity, most recent at the head; one list per
 *                     timeout class (open TCP, UDP, closed TCP), so that every list is in
 *                     deadline order and expiry only ever looks at the tails
 *
 * A flow ends (on_end, then its slot returns to the free list) when it has been idle for its
 * class's timeout, when the pool is empty and it is the least recently active (evicted), or on
 * flush.  A packet that finds its flow already past its timeout ends it first and starts a new
 * one, so results do not depend on how often lw_flow_table_expire() runs; so does a SYN
 * arriving on a closed TCP flow (the 5-tuple reused by a new connection).
 *
 * The callbacks (on_end, on_data) must not call back into the table.
 */
#include "flow/flow.h"

#include "flow/reasm.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define LW_FLOW_DEFAULT_MAX_FLOWS 65536
#define LW_FLOW_DEFAULT_TCP_IDLE (300 * LW_USEC_PER_SEC)
#define LW_FLOW_DEFAULT_UDP_IDLE (60 * LW_USEC_PER_SEC)
#define LW_FLOW_DEFAULT_LINGER (5 * LW_USEC_PER_SEC)
#define LW_FLOW_DEFAULT_REASM_FLOW (64 * 1024)
#define LW_FLOW_DEFAULT_REASM_TOTAL (16 * 1024 * 1024)
/* Largest pool accepted (the daemon's configuration allows up to 10 million). */
#define LW_FLOW_MAX_FLOWS (1u << 24)
/* LAN prefixes the table copies from its configuration. */
#define LW_FLOW_MAX_LAN 256

enum lru_class {
	LRU_TCP = 0, /* open TCP: tcp_idle */
	LRU_UDP, /* udp_idle */
	LRU_CLOSED, /* TCP after FIN both ways or RST: closed_linger */
	LRU_N,
};

struct lru {
	struct lw_flow *head, *tail;
};

struct lw_flow_table {
	struct lw_flow_config cfg;
	struct lw_prefix *lan; /* the table's copy of cfg.lan */
	lw_flow_end_fn on_end;
	void *user_data;
	struct lw_reasm reasm;
	struct lw_flow_stats stats;
	struct lw_flow *pool;
	/*
	 * Slots [0, pool_used) have been handed out at least once; the rest were never touched,
	 * so their pages are not resident until the table needs them.
	 */
	size_t pool_used;
	struct lw_flow *free_list; /* ended flows, through hnext */
	struct lw_flow **buckets;
	size_t mask;
	struct lru lru[LRU_N];
	uint64_t next_id;
};

/* The direction-independent key: the lower (address, port) end first. */
struct flow_key {
	uint8_t l4;
	struct lw_addr a, b;
	uint16_t pa, pb;
};

static int endpoint_cmp(const struct lw_addr *a, uint16_t pa, const struct lw_addr *b, uint16_t pb)
{
	int c = memcmp(a, b, sizeof(*a));

	if (c)
		return c;
	return (int)pa - (int)pb;
}

static void make_key(const struct lw_packet *p, struct flow_key *k)
{
	k->l4 = p->l4;
	if (endpoint_cmp(&p->src, p->sport, &p->dst, p->dport) <= 0) {
		k->a = p->src;
		k->pa = p->sport;
		k->b = p->dst;
		k->pb = p->dport;
	} else {
		k->a = p->dst;
		k->pa = p->dport;
		k->b = p->src;
		k->pb = p->sport;
	}
}

static uint64_t key_hash(const struct flow_key *k)
{
	/*
	 * Packed by hand: struct padding must not reach the hash.  An IPv4 key is 14 bytes, not
	 * 38: SipHash then runs one compression block instead of four (the family is part of the
	 * key, so the two lengths cannot collide).
	 */
	uint8_t buf[2 + 16 + 16 + 4];
	size_t alen = k->a.family == 4 ? 4 : 16, n = 2;

	buf[0] = k->l4;
	buf[1] = k->a.family;
	memcpy(buf + n, k->a.b, alen);
	n += alen;
	memcpy(buf + n, k->b.b, alen);
	n += alen;
	buf[n++] = (uint8_t)(k->pa >> 8);
	buf[n++] = (uint8_t)k->pa;
	buf[n++] = (uint8_t)(k->pb >> 8);
	buf[n++] = (uint8_t)k->pb;
	return lw_hash(buf, n);
}

static bool key_eq(const struct lw_flow *f, uint64_t h, const struct flow_key *k)
{
	return f->hash == h && f->l4 == k->l4 && f->key_pa == k->pa && f->key_pb == k->pb &&
	       lw_addr_eq(&f->key_a, &k->a) && lw_addr_eq(&f->key_b, &k->b);
}

/* ---- LRU lists ---- */

static enum lru_class class_of(const struct lw_flow *f)
{
	if (f->l4 != 6)
		return LRU_UDP;
	if (f->tcp_rst || f->tcp_fin_seen == 3)
		return LRU_CLOSED;
	return LRU_TCP;
}

static lw_time_us class_timeout(const struct lw_flow_table *t, enum lru_class c)
{
	switch (c) {
	case LRU_TCP:
		return t->cfg.tcp_idle;
	case LRU_UDP:
		return t->cfg.udp_idle;
	case LRU_CLOSED:
		return t->cfg.closed_linger;
	case LRU_N:
		break;
	}
	return 0;
}

static void lru_unlink(struct lru *l, struct lw_flow *f)
{
	if (f->lru_prev)
		f->lru_prev->lru_next = f->lru_next;
	else
		l->head = f->lru_next;
	if (f->lru_next)
		f->lru_next->lru_prev = f->lru_prev;
	else
		l->tail = f->lru_prev;
	f->lru_prev = f->lru_next = NULL;
}

static void lru_push(struct lru *l, struct lw_flow *f)
{
	f->lru_prev = NULL;
	f->lru_next = l->head;
	if (l->head)
		l->head->lru_prev = f;
	else
		l->tail = f;
	l->head = f;
}

/* ---- ending a flow ---- */

static void unhash(struct lw_flow_table *t, struct lw_flow *f)
{
	struct lw_flow **pp = &t->buckets[f->hash & t->mask];

	while (*pp && *pp != f)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = f->hnext;
}

static char no_domain[1]; /* "": the name of every flow without one; never written */

int lw_flow_set_domain(struct lw_flow *f, const char *name, size_t len)
{
	char *d = f->domain == no_domain ? NULL : f->domain;

	if (len > LW_FLOW_DOMAIN_MAX)
		len = LW_FLOW_DOMAIN_MAX;
	d = realloc(d, len + 1);
	if (!d)
		return -ENOMEM;
	memcpy(d, name, len);
	d[len] = '\0';
	f->domain = d;
	return 0;
}

static void domain_free(struct lw_flow *f)
{
	if (f->domain != no_domain)
		free(f->domain);
	f->domain = no_domain;
}

static void end_flow(struct lw_flow_table *t, struct lw_flow *f, enum lw_flow_end why)
{
	int d;

	if (f->l4 == 6) {
		for (d = 0; d < 2; d++) {
			lw_reasm_flush(&t->reasm, f, (enum lw_dir)d);
			lw_reasm_release(&t->reasm, &f->stream[d]);
		}
	}
	if (t->on_end)
		t->on_end(f, why, t->user_data);
	domain_free(f);
	switch (why) {
	case LW_FLOW_END_IDLE:
		t->stats.expired++;
		break;
	case LW_FLOW_END_CLOSED:
		t->stats.closed++;
		break;
	case LW_FLOW_END_EVICTED:
		t->stats.evicted++;
		break;
	case LW_FLOW_END_SHUTDOWN:
		break;
	}
	t->stats.active--;
	unhash(t, f);
	lru_unlink(&t->lru[class_of(f)], f);
	f->hnext = t->free_list;
	t->free_list = f;
}

static enum lw_flow_end timeout_reason(const struct lw_flow *f)
{
	return class_of(f) == LRU_CLOSED ? LW_FLOW_END_CLOSED : LW_FLOW_END_IDLE;
}

static bool timed_out(const struct lw_flow_table *t, const struct lw_flow *f, lw_time_us now)
{
	return now - f->last_seen >= class_timeout(t, class_of(f));
}

/* The least recently active flow of all classes. */
static struct lw_flow *lru_oldest(struct lw_flow_table *t)
{
	struct lw_flow *best = NULL;
	int c;

	for (c = 0; c < LRU_N; c++) {
		struct lw_flow *f = t->lru[c].tail;

		if (f && (!best || f->last_seen < best->last_seen))
			best = f;
	}
	return best;
}

/* ---- client and server ---- */

/*
 * Common service ports, sorted: the well-known ones leakwatch's protocols and their neighbours
 * use, and the services above 1024 that the "below 1024" rule would miss (mDNS, LLMNR, SSDP,
 * STUN/TURN, MQTT, XMPP, SIP, FCM/APNs, HTTP alternates, 9999 as used by ZZHC).
 */
/* clang-format off */
static const uint16_t service_ports[] = {
	22, 25, 53, 67, 80, 110, 123, 143, 443, 465, 547, 554, 587, 853, 993, 995,
	1883, 1900, 3128, 3478, 5060, 5222, 5223, 5228, 5349, 5353, 5355,
	8000, 8008, 8080, 8443, 8883, 8888, 9999,
};
/* clang-format on */

static int port_cmp(const void *a, const void *b)
{
	return (int)*(const uint16_t *)a - (int)*(const uint16_t *)b;
}

/*
 * How much a port looks like a service: 2 for a listed service port, 1 for any other port
 * below 1024, 0 for the rest — and 0 for the ports that are the CLIENT side of a service
 * though below 1024 (DHCP 68, DHCPv6 546).
 */
static int service_rank(uint16_t port)
{
	if (port == 68 || port == 546)
		return 0;
	if (bsearch(&port, service_ports, LW_ARRAY_SIZE(service_ports), sizeof(service_ports[0]),
		    port_cmp))
		return 2;
	return port < 1024 ? 1 : 0;
}

/*
 * Which end of a new flow is the client.  The first rule that applies decides, once, when the
 * flow is created:
 *   1. a TCP SYN without ACK was sent by the client; a SYN+ACK was sent to it — the handshake
 *      is the only direct evidence of who opened the connection;
 *   2. LAN prefixes are configured and exactly one end is inside them: that end (leakwatch
 *      watches what leaves the LAN, so the LAN device is the client even of an inbound
 *      connection);
 *   3. one port ranks higher as a service port than the other (service_rank: listed common
 *      service ports, then other ports below 1024, then the rest and the DHCP client ports):
 *      that end is the server;
 *   4. otherwise the sender of the first packet seen is the client.
 * Returns true when the packet's source is the client.
 */
static bool source_is_client(const struct lw_flow_table *t, const struct lw_packet *p)
{
	int rs, rd;

	if (p->l4 == 6 && (p->tcp_flags & LW_TCP_SYN))
		return !(p->tcp_flags & LW_TCP_ACK);
	if (t->cfg.n_lan) {
		bool s = lw_prefix_contains(t->lan, t->cfg.n_lan, &p->src);
		bool d = lw_prefix_contains(t->lan, t->cfg.n_lan, &p->dst);

		if (s != d)
			return s;
	}
	rs = service_rank(p->sport);
	rd = service_rank(p->dport);
	if (rs != rd)
		return rs < rd;
	return true;
}

static struct lw_flow *new_flow(struct lw_flow_table *t, const struct lw_packet *p,
				const struct flow_key *k, uint64_t h)
{
	struct lw_flow *f, **bucket;

	if (!t->free_list && t->pool_used < t->cfg.max_flows) {
		f = &t->pool[t->pool_used++];
	} else {
		if (!t->free_list) {
			f = lru_oldest(t);
			if (!f)
				return NULL; /* cannot happen: max_flows >= 1 */
			end_flow(t, f, LW_FLOW_END_EVICTED);
		}
		f = t->free_list;
		t->free_list = f->hnext;
	}
	memset(f, 0, sizeof(*f));
	f->domain = no_domain;

	f->id = t->next_id++;
	f->l4 = p->l4;
	if (source_is_client(t, p)) {
		f->client = p->src;
		f->client_port = p->sport;
		f->server = p->dst;
		f->server_port = p->dport;
	} else {
		f->client = p->dst;
		f->client_port = p->dport;
		f->server = p->src;
		f->server_port = p->sport;
	}
	f->vlan = p->vlan;
	f->first_seen = p->ts;
	f->last_seen = p->ts;
	f->hash = h;
	f->key_a = k->a;
	f->key_b = k->b;
	f->key_pa = k->pa;
	f->key_pb = k->pb;

	bucket = &t->buckets[h & t->mask];
	f->hnext = *bucket;
	*bucket = f;
	lru_push(&t->lru[class_of(f)], f);
	t->stats.created++;
	t->stats.active++;
	return f;
}

static struct lw_flow *lookup(struct lw_flow_table *t, const struct flow_key *k, uint64_t h)
{
	struct lw_flow *f;

	for (f = t->buckets[h & t->mask]; f; f = f->hnext)
		if (key_eq(f, h, k))
			return f;
	return NULL;
}

static void update_macs(struct lw_flow *f, const struct lw_packet *p, enum lw_dir dir)
{
	if (!p->has_mac)
		return;
	/* upstream packets say it best: the first one overrides what downstream ones guessed */
	if (dir == LW_DIR_UP && (f->pkts[LW_DIR_UP] == 0 || !f->has_mac)) {
		f->client_mac = p->src_mac;
		f->server_mac = p->dst_mac;
		f->has_mac = true;
	} else if (!f->has_mac) {
		f->client_mac = p->dst_mac;
		f->server_mac = p->src_mac;
		f->has_mac = true;
	}
}

static void tcp_packet(struct lw_flow_table *t, struct lw_flow *f, const struct lw_packet *p,
		       enum lw_dir dir)
{
	uint8_t fl = p->tcp_flags;
	int d;

	if (t->reasm.on_data) {
		lw_reasm_segment(&t->reasm, f, dir, p->seq, fl, p->payload, p->payload_len);
		if (fl & LW_TCP_ACK)
			lw_reasm_ack(&t->reasm, f, dir == LW_DIR_UP ? LW_DIR_DOWN : LW_DIR_UP,
				     p->ack);
	}
	if (fl & LW_TCP_FIN)
		f->tcp_fin_seen |= (uint8_t)(1u << dir);
	if (fl & LW_TCP_RST) {
		f->tcp_rst = true;
		/* nothing more will be sent: what is held will never be completed */
		if (t->reasm.on_data)
			for (d = 0; d < 2; d++)
				lw_reasm_flush(&t->reasm, f, (enum lw_dir)d);
	}
}

struct lw_flow *lw_flow_table_packet(struct lw_flow_table *t, const struct lw_packet *pkt,
				     enum lw_dir *dirp, bool *created)
{
	struct flow_key k;
	struct lw_flow *f;
	enum lru_class before;
	enum lw_dir dir;
	uint64_t h;

	if (created)
		*created = false;
	if (pkt->l4 != 6 && pkt->l4 != 17)
		return NULL;
	if ((pkt->src.family != 4 && pkt->src.family != 6) || pkt->src.family != pkt->dst.family)
		return NULL;

	make_key(pkt, &k);
	h = key_hash(&k);
	f = lookup(t, &k, h);
	if (f && timed_out(t, f, pkt->ts)) {
		end_flow(t, f, timeout_reason(f));
		f = NULL;
	} else if (f && pkt->l4 == 6 && class_of(f) == LRU_CLOSED &&
		   (pkt->tcp_flags & (LW_TCP_SYN | LW_TCP_ACK)) == LW_TCP_SYN) {
		end_flow(t, f, LW_FLOW_END_CLOSED);
		f = NULL;
	}
	if (!f) {
		f = new_flow(t, pkt, &k, h);
		if (!f)
			return NULL;
		if (created)
			*created = true;
	}

	dir = (lw_addr_eq(&pkt->src, &f->client) && pkt->sport == f->client_port) ? LW_DIR_UP
										  : LW_DIR_DOWN;
	update_macs(f, pkt, dir);
	f->pkts[dir]++;
	f->bytes[dir] += pkt->wire_len;
	if (pkt->ts > f->last_seen)
		f->last_seen = pkt->ts;

	before = class_of(f);
	if (f->l4 == 6)
		tcp_packet(t, f, pkt, dir);
	lru_unlink(&t->lru[before], f);
	lru_push(&t->lru[class_of(f)], f);

	if (dirp)
		*dirp = dir;
	return f;
}

void lw_flow_table_expire(struct lw_flow_table *t, lw_time_us now)
{
	int c;

	for (c = 0; c < LRU_N; c++) {
		struct lw_flow *f;

		while ((f = t->lru[c].tail) && timed_out(t, f, now))
			end_flow(t, f, timeout_reason(f));
	}
}

void lw_flow_table_flush(struct lw_flow_table *t)
{
	int c;

	for (c = 0; c < LRU_N; c++)
		while (t->lru[c].tail)
			end_flow(t, t->lru[c].tail, LW_FLOW_END_SHUTDOWN);
}

void lw_flow_table_foreach(struct lw_flow_table *t, void (*fn)(struct lw_flow *, void *),
			   void *user_data)
{
	int c;

	for (c = 0; c < LRU_N; c++) {
		struct lw_flow *f, *next;

		for (f = t->lru[c].head; f; f = next) {
			next = f->lru_next;
			fn(f, user_data);
		}
	}
}

const struct lw_flow_stats *lw_flow_table_stats(const struct lw_flow_table *t)
{
	return &t->stats;
}

void lw_flow_skip_stream(struct lw_flow *f, enum lw_dir dir)
{
	f->stream[dir].skip = true;
}

struct lw_flow_table *lw_flow_table_new(const struct lw_flow_config *cfg, uint64_t id_base,
					lw_flow_end_fn on_end, lw_stream_data_fn on_data,
					void *user_data)
{
	struct lw_flow_table *t;
	size_t nb = 1;

	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	if (cfg)
		t->cfg = *cfg;
	/* zero means "the default" for every setting */
	if (!t->cfg.max_flows)
		t->cfg.max_flows = LW_FLOW_DEFAULT_MAX_FLOWS;
	if (!t->cfg.tcp_idle)
		t->cfg.tcp_idle = LW_FLOW_DEFAULT_TCP_IDLE;
	if (!t->cfg.udp_idle)
		t->cfg.udp_idle = LW_FLOW_DEFAULT_UDP_IDLE;
	if (!t->cfg.closed_linger)
		t->cfg.closed_linger = LW_FLOW_DEFAULT_LINGER;
	if (!t->cfg.reasm_flow_bytes)
		t->cfg.reasm_flow_bytes = LW_FLOW_DEFAULT_REASM_FLOW;
	if (!t->cfg.reasm_total_bytes)
		t->cfg.reasm_total_bytes = LW_FLOW_DEFAULT_REASM_TOTAL;
	if (t->cfg.max_flows > LW_FLOW_MAX_FLOWS || t->cfg.n_lan > LW_FLOW_MAX_LAN ||
	    (t->cfg.n_lan && !t->cfg.lan) || t->cfg.tcp_idle < 0 || t->cfg.udp_idle < 0 ||
	    t->cfg.closed_linger < 0)
		goto fail;

	if (t->cfg.n_lan) {
		t->lan = calloc(t->cfg.n_lan, sizeof(*t->lan));
		if (!t->lan)
			goto fail;
		memcpy(t->lan, t->cfg.lan, t->cfg.n_lan * sizeof(*t->lan));
	}
	t->cfg.lan = t->lan;

	while (nb < t->cfg.max_flows)
		nb <<= 1;
	t->mask = nb - 1;
	t->buckets = calloc(nb, sizeof(*t->buckets));
	/* calloc of this size maps zero pages: a slot costs memory only once it is used */
	t->pool = calloc(t->cfg.max_flows, sizeof(*t->pool));
	if (!t->buckets || !t->pool)
		goto fail;

	t->on_end = on_end;
	t->user_data = user_data;
	t->next_id = id_base;
	t->reasm.flow_budget = t->cfg.reasm_flow_bytes;
	t->reasm.total_budget = t->cfg.reasm_total_bytes;
	t->reasm.stats = &t->stats;
	t->reasm.on_data = on_data;
	t->reasm.user_data = user_data;
	return t;

fail:
	free(t->buckets);
	free(t->pool);
	free(t->lan);
	free(t);
	return NULL;
}

void lw_flow_table_free(struct lw_flow_table *t)
{
	size_t i;

	if (!t)
		return;
	for (i = 0; i < t->pool_used; i++) {
		lw_reasm_release(&t->reasm, &t->pool[i].stream[0]);
		lw_reasm_release(&t->reasm, &t->pool[i].stream[1]);
		domain_free(&t->pool[i]);
	}
	free(t->buckets);
	free(t->pool);
	free(t->lan);
	free(t);
}

/* ---- prefixes ---- */

bool lw_prefix_contains(const struct lw_prefix *p, size_t n, const struct lw_addr *addr)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned bits = p[i].len, full, rest;

		if (p[i].addr.family != addr->family)
			continue;
		if (bits > (addr->family == 4 ? 32u : 128u))
			bits = addr->family == 4 ? 32u : 128u;
		full = bits / 8;
		rest = bits % 8;
		if (memcmp(p[i].addr.b, addr->b, full) != 0)
			continue;
		if (rest) {
			uint8_t mask = (uint8_t)(0xff << (8 - rest));

			if ((p[i].addr.b[full] & mask) != (addr->b[full] & mask))
				continue;
		}
		return true;
	}
	return false;
}

int lw_prefix_parse(const char *s, struct lw_prefix *out)
{
	char buf[LW_ADDR_STRLEN];
	const char *slash = strchr(s, '/');
	size_t alen = slash ? (size_t)(slash - s) : strlen(s);
	unsigned len = 0, max, i;
	struct lw_addr a;

	if (alen == 0 || alen >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, alen);
	buf[alen] = '\0';
	if (lw_addr_parse(buf, &a) < 0)
		return -EINVAL;
	max = a.family == 4 ? 32 : 128;
	if (!slash) {
		len = max; /* a bare address is a host prefix */
	} else {
		const char *d = slash + 1;

		if (!*d || strlen(d) > 3)
			return -EINVAL;
		for (; *d; d++) {
			if (*d < '0' || *d > '9')
				return -EINVAL;
			len = len * 10 + (unsigned)(*d - '0');
		}
		if (len > max)
			return -EINVAL;
	}
	/* host bits are cleared, so "192.168.1.1/24" names the network it is in */
	for (i = 0; i < 16; i++) {
		unsigned keep = len > i * 8 ? LW_MIN(len - i * 8, 8u) : 0;

		a.b[i] &= (uint8_t)(0xff00 >> keep);
	}
	out->addr = a;
	out->len = (uint8_t)len;
	return 0;
}
