/* SPDX-License-Identifier: MIT */
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture/pcapbuf.h"
#include "capture/ring.h"
#include "lw-test.h"

struct got {
	size_t n;
	size_t bytes;
	uint8_t first[64]; /* each frame's first byte */
	lw_time_us ts[64];
};

static void collect(const struct lw_frame *fr, void *user_data)
{
	struct got *g = user_data;

	if (g->n < 64) {
		g->first[g->n] = fr->caplen ? fr->data[0] : 0;
		g->ts[g->n] = fr->ts;
	}
	g->n++;
	g->bytes += fr->caplen;
}

static void put(struct lw_ring *r, uint8_t tag, size_t len, uint64_t flow)
{
	static uint8_t data[LW_RING_FRAME_MAX + 100];
	struct lw_frame fr = {
		.ts = (lw_time_us)tag * 1000, .data = data, .caplen = len, .wire_len = len};

	memset(data, tag, len);
	lw_ring_put(r, &fr);
	if (flow)
		lw_ring_tag_last(r, flow);
}

static void test_ring_flows(void)
{
	struct lw_ring *r = lw_ring_new(64 * 1024);
	struct got g = {0};

	put(r, 1, 100, 7);
	put(r, 2, 100, 8);
	put(r, 3, 100, 7);
	put(r, 4, 100, 0); /* being handled: no flow yet */
	LW_CHECK_INT(lw_ring_flow(r, 7, false, SIZE_MAX, collect, &g), 2);
	LW_CHECK_INT(g.first[0], 1);
	LW_CHECK_INT(g.first[1], 3);
	memset(&g, 0, sizeof(g));
	LW_CHECK_INT(lw_ring_flow(r, 7, true, SIZE_MAX, collect, &g), 3);
	LW_CHECK_INT(g.first[2], 4);
	/* tagged once, the last frame is the flow's for good */
	lw_ring_tag_last(r, 8);
	lw_ring_tag_last(r, 7);
	memset(&g, 0, sizeof(g));
	LW_CHECK_INT(lw_ring_flow(r, 8, false, SIZE_MAX, collect, &g), 2);
	/* a byte budget keeps the newest */
	memset(&g, 0, sizeof(g));
	LW_CHECK_INT(lw_ring_flow(r, 8, false, 150, collect, &g), 1);
	LW_CHECK_INT(g.first[0], 4);
	LW_CHECK_INT(lw_ring_flow(r, 99, true, SIZE_MAX, collect, &g), 0);
	lw_ring_free(r);
}

/* Many frames through a small ring: the oldest go, the newest stay whole, wrapping included. */
static void test_ring_wraps(void)
{
	struct lw_ring *r = lw_ring_new(8192);
	struct got g;
	size_t i;

	for (i = 1; i <= 200; i++)
		put(r, (uint8_t)i, 100 + (i * 37) % 900, i % 3 + 1);
	LW_CHECK(lw_ring_get_stats(r)->evicted > 150);
	LW_CHECK_INT(lw_ring_get_stats(r)->put, 200);
	for (uint64_t flow = 1; flow <= 3; flow++) {
		memset(&g, 0, sizeof(g));
		lw_ring_flow(r, flow, false, SIZE_MAX, collect, &g);
		LW_CHECK(g.n > 0);
		/* oldest first, each the flow's, the last one the newest of the flow */
		for (i = 0; i < g.n && i < 64; i++) {
			LW_CHECK_INT(g.first[i] % 3 + 1, flow);
			if (i)
				LW_CHECK(g.ts[i] > g.ts[i - 1]);
		}
		LW_CHECK(g.first[g.n - 1] >= 198);
	}
	/* a frame larger than a quarter of the ring is cut, never refused */
	put(r, 201, LW_RING_FRAME_MAX + 100, 9);
	memset(&g, 0, sizeof(g));
	LW_CHECK_INT(lw_ring_flow(r, 9, false, SIZE_MAX, collect, &g), 1);
	LW_CHECK(g.bytes <= 8192 / 4);
	LW_CHECK(lw_ring_get_stats(r)->cut >= 1);
	lw_ring_free(r);
}

static void add_frame(const struct lw_frame *fr, void *user_data)
{
	LW_CHECK_INT(lw_pcapbuf_add(user_data, fr), 0);
}

/* The evidence file is a pcap libpcap reads back frame for frame. */
static void test_pcapbuf(void)
{
	struct lw_ring *r = lw_ring_new(16384);
	struct lw_pcapbuf *b = lw_pcapbuf_new(DLT_EN10MB);
	char errbuf[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *data;
	uint8_t *out;
	size_t len;
	pcap_t *pd;
	FILE *fp;
	int n = 0;

	LW_CHECK(b != NULL);
	put(r, 5, 60, 3);
	put(r, 6, 1514, 3);
	LW_CHECK_INT(lw_ring_flow(r, 3, false, SIZE_MAX, add_frame, b), 2);
	LW_CHECK_INT(lw_pcapbuf_finish(b, &out, &len), 0);
	LW_CHECK_INT(len, 24 + 16 + 60 + 16 + 1514);
	fp = fmemopen(out, len, "rb");
	pd = fp ? pcap_fopen_offline(fp, errbuf) : NULL;
	LW_CHECK(pd != NULL);
	if (pd) {
		LW_CHECK_INT(pcap_datalink(pd), DLT_EN10MB);
		while (pcap_next_ex(pd, &h, &data) == 1) {
			LW_CHECK_INT(h->caplen, n ? 1514 : 60);
			LW_CHECK_INT(data[0], n ? 6 : 5);
			LW_CHECK_INT(h->ts.tv_usec, (n ? 6 : 5) * 1000);
			n++;
		}
		pcap_close(pd); /* closes fp */
	}
	LW_CHECK_INT(n, 2);
	free(out);
	lw_ring_free(r);
}

int main(void)
{
	LW_TEST(test_ring_flows);
	LW_TEST(test_ring_wraps);
	LW_TEST(test_pcapbuf);
	return lw_test_end();
}
