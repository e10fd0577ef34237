/* SPDX-License-Identifier: MIT */
#include "evidence.h"

#include "alert/bucket.h"
#include "alert/seen.h"
#include "capture/pcapbuf.h"
#include "capture/ring.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* (device, destination, kind) keys remembered per run; the table's UNIQUE key does the rest */
#define EVIDENCE_SEEN_MAX 65536
/*
 * Files taken: at most EVIDENCE_BURST at once, then EVIDENCE_PER_MINUTE (by the frames' clock).
 * A device that sends identifiers to ever new domains makes a new key each time, and a file
 * is up to ~30 KiB in the writer's queue: this keeps what it can put there to ~128 KiB a
 * second.  None while the writer's last transaction failed (a locked or full disk): the queue
 * would only hold them.
 */
#define EVIDENCE_BURST 32
#define EVIDENCE_PER_MINUTE 240
/*
 * A device's share of both: half the burst, a quarter of the rate, and 1/64 of the seen set
 * (its keys), so that a phone sending its identifiers to ever new names takes at most that and
 * the others' first leaks still get their files.  Each of the first 192 devices of a run (3/4
 * of EVIDENCE_PLACES; a device is its MAC, hashed with the process's secret key) has a place
 * of its own, kept for the run; the devices that come after share one more.  A key refused for a share or the
 * rate is not remembered: its next leak tries again.
 */
#define EVIDENCE_PLACES 256 /* a power of two */
#define EVIDENCE_DEVICE_BURST 16
#define EVIDENCE_DEVICE_PER_MINUTE 60
#define EVIDENCE_DEVICE_KEYS (EVIDENCE_SEEN_MAX / 64)

struct evidence_place {
	uint64_t device; /* its MAC's hash; 0: free */
	struct lw_bucket bucket;
	uint32_t keys; /* keys it added to the seen set */
};

struct lw_evidence {
	struct lw_store *store;
	struct lw_ring *ring;
	struct lw_seen *seen;
	struct lw_bucket bucket;
	struct evidence_place place[EVIDENCE_PLACES];
	struct evidence_place others; /* the devices that found no place */
	size_t places;
	int dlt;
	bool in_frame; /* a frame is being handled: the ring's last one is it */
	struct lw_evidence_stats stats;
};

struct lw_evidence *lw_evidence_new(const struct lw_config *cfg, struct lw_store *store, int dlt,
				    int *err)
{
	struct lw_evidence *ev;

	*err = 0;
	if (!cfg->evidence || !store)
		return NULL;
	ev = calloc(1, sizeof(*ev));
	if (ev) {
		ev->store = store;
		ev->dlt = dlt;
		ev->ring = lw_ring_new((size_t)cfg->evidence_buffer_kb * 1024);
		ev->seen = lw_seen_new(EVIDENCE_SEEN_MAX);
		lw_bucket_init(&ev->bucket, EVIDENCE_BURST, EVIDENCE_PER_MINUTE, 0);
	}
	if (!ev || !ev->ring || !ev->seen) {
		lw_evidence_free(ev);
		*err = -ENOMEM;
		return NULL;
	}
	return ev;
}

void lw_evidence_free(struct lw_evidence *ev)
{
	if (!ev)
		return;
	lw_ring_free(ev->ring);
	lw_seen_free(ev->seen);
	free(ev);
}

void lw_evidence_frame(struct lw_evidence *ev, const struct lw_frame *fr)
{
	if (!ev)
		return;
	lw_ring_put(ev->ring, fr);
	ev->in_frame = true;
}

void lw_evidence_frame_done(struct lw_evidence *ev, uint64_t flow_id)
{
	if (!ev)
		return;
	/* a frame of no flow is tagged too, so that no later leak takes it for its own */
	lw_ring_tag_last(ev->ring, flow_id ? flow_id : UINT64_MAX);
	ev->in_frame = false;
}

struct take {
	struct lw_pcapbuf *b;
	uint32_t packets;
	double last_ts;
};

static void add_frame(const struct lw_frame *fr, void *user_data)
{
	struct take *t = user_data;

	if (lw_pcapbuf_add(t->b, fr) == 0) {
		t->packets++;
		t->last_ts = (double)fr->ts / (double)LW_USEC_PER_SEC;
	}
}

/* The place of the device mac (made at now when new). */
static struct evidence_place *place_of(struct lw_evidence *ev, const char *mac, lw_time_us now)
{
	uint64_t h = lw_hash(mac, strlen(mac));
	struct evidence_place *pl = &ev->others;
	size_t i, n;

	h = h ? h : 1;
	for (i = h & (EVIDENCE_PLACES - 1), n = 0; n < EVIDENCE_PLACES;
	     i = (i + 1) & (EVIDENCE_PLACES - 1), n++) {
		if (ev->place[i].device == h)
			return &ev->place[i];
		if (ev->place[i].device == 0) {
			if (ev->places >= EVIDENCE_PLACES / 4 * 3)
				break;
			pl = &ev->place[i];
			pl->device = h;
			ev->places++;
			break;
		}
	}
	if (pl->bucket.burst == 0) /* new: lw_bucket_init() makes it at least 1 */
		lw_bucket_init(&pl->bucket, EVIDENCE_DEVICE_BURST, EVIDENCE_DEVICE_PER_MINUTE, now);
	return pl;
}

void lw_evidence_leak(struct lw_evidence *ev, uint64_t flow_id, const struct lw_leak_rec *r)
{
	char key[LW_MAC_STRLEN + sizeof(r->domain) + sizeof(r->kind) + 4];
	const char *dest = r->domain[0] ? r->domain : r->dst_ip;
	struct lw_evidence_rec e;
	struct take t = {0};
	struct evidence_place *pl;
	struct lw_store_stats ss;
	uint8_t *pcap = NULL;
	size_t len = 0, klen;
	lw_time_us now;
	int n;

	if (!ev || !r->mac[0] || !dest[0] || !flow_id)
		return;
	n = snprintf(key, sizeof(key), "%s\n%s\n%s", r->mac, dest, r->kind);
	klen = (size_t)LW_MIN(n, (int)sizeof(key) - 1);
	if (lw_seen_has(ev->seen, key, klen))
		return;
	now = (lw_time_us)(r->ts * (double)LW_USEC_PER_SEC);
	pl = place_of(ev, r->mac, now);
	if (pl->keys >= EVIDENCE_DEVICE_KEYS || !lw_bucket_ready(&pl->bucket, now)) {
		ev->stats.refused++;
		ev->stats.refused_share++;
		return;
	}
	lw_store_get_stats(ev->store, &ss);
	if (!lw_bucket_ready(&ev->bucket, now) || ss.last_error != 0) {
		ev->stats.refused++;
		return;
	}
	n = lw_seen_add(ev->seen, key, klen);
	if (n != 1) {
		ev->stats.refused += n == -ENOSPC;
		return;
	}
	lw_bucket_take(&pl->bucket, now);
	lw_bucket_take(&ev->bucket, now);
	pl->keys++;
	t.b = lw_pcapbuf_new(ev->dlt);
	if (!t.b) {
		ev->stats.refused++;
		return;
	}
	lw_ring_flow(ev->ring, flow_id, ev->in_frame, LW_EVIDENCE_FRAME_BYTES, add_frame, &t);
	if (lw_pcapbuf_finish(t.b, &pcap, &len) < 0 || t.packets == 0) {
		ev->stats.empty += t.packets == 0;
		free(pcap);
		return;
	}
	memset(&e, 0, sizeof(e));
	e.ts = t.last_ts;
	lw_str_copy(e.mac, sizeof(e.mac), r->mac);
	lw_str_copy(e.dest, sizeof(e.dest), dest);
	lw_str_copy(e.kind, sizeof(e.kind), r->kind);
	e.leak_ts = r->ts;
	e.flow_id = flow_id;
	lw_str_copy(e.dst_ip, sizeof(e.dst_ip), r->dst_ip);
	e.dst_port = r->dst_port;
	lw_str_copy(e.proto, sizeof(e.proto), r->proto);
	e.packets = t.packets;
	e.linktype = ev->dlt;
	e.pcap = pcap;
	e.pcap_len = len;
	if (lw_store_put_evidence(ev->store, &e) == 0)
		ev->stats.taken++;
	else
		ev->stats.refused++;
	free(pcap);
}

void lw_evidence_get_stats(const struct lw_evidence *ev, struct lw_evidence_stats *out)
{
	memset(out, 0, sizeof(*out));
	if (ev)
		*out = ev->stats;
}
