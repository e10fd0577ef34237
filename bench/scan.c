/* SPDX-License-Identifier: MIT */
/*
 * scan: the upload target measured with the real engine before the pipeline calls it.  Every
 * upstream HTTP/1.x request of a capture goes the way the daemon's will: libpcap (lib/capture),
 * decode, the flow table's TCP reassembly, the request head parsed (lib/proto/http), the body
 * framed by Content-Length or de-chunked, kept up to [inspect] http_body_max, and the whole
 * request handed to lw_detect_http() with the configuration's [device] identifiers enrolled.
 *
 *   scan FILE [CONFIG]
 *
 * Prints the upstream TCP payload, the requests and leaks, the time spent in lw_detect_http()
 * alone and in the whole program (CPU time of this thread), and both as Gbit/s of upstream
 * payload per core.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "capture/capture.h"
#include "config.h"
#include "decode/decode.h"
#include "detect/detect.h"
#include "flow/flow.h"
#include "proto/http.h"

enum state { ST_HEAD = 0, ST_BODY, ST_LOST };

struct buf {
	uint8_t *p;
	size_t len, cap;
};

struct req_state {
	enum state st;
	struct buf in; /* upstream bytes not yet framed */
	struct buf head; /* the current request's head (req points into it) */
	struct buf body; /* its body, up to body_max */
	struct lw_http_request req;
	uint64_t body_left;
	bool chunked;
	struct lw_http_chunked ch;
};

struct scan {
	struct lw_detect *detect;
	struct lw_decoder *decoder;
	struct lw_flow_table *flows;
	int dlt;
	size_t body_max;
	uint64_t up_payload, requests, bad, body_bytes, leaks, by_conf[3];
	double detect_s;
};

static double cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int append(struct buf *b, const uint8_t *p, size_t n)
{
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		uint8_t *q;

		while (cap < b->len + n)
			cap *= 2;
		q = realloc(b->p, cap);
		if (!q)
			return -ENOMEM;
		b->p = q;
		b->cap = cap;
	}
	memcpy(b->p + b->len, p, n);
	b->len += n;
	return 0;
}

static void on_leak(const struct lw_leak *l, void *user_data)
{
	struct scan *s = user_data;

	s->leaks++;
	if ((unsigned)l->confidence < 3)
		s->by_conf[l->confidence]++;
}

static void scan_request(struct scan *s, struct lw_flow *f, struct req_state *r)
{
	double t0 = cpu_now();

	lw_detect_http(s->detect, f->has_mac ? &f->client_mac : NULL, &r->req, r->body.p,
		       r->body.len, on_leak, s);
	s->detect_s += cpu_now() - t0;
	s->requests++;
	s->body_bytes += r->body.len;
	r->body.len = 0;
	r->head.len = 0;
	r->st = ST_HEAD;
}

static void body_emit(const uint8_t *p, size_t n, void *user_data)
{
	struct scan_body {
		struct scan *s;
		struct req_state *r;
	} *sb = user_data;
	size_t room = sb->s->body_max - LW_MIN(sb->r->body.len, sb->s->body_max);

	append(&sb->r->body, p, LW_MIN(n, room));
}

/* Frames as many requests as the buffered upstream bytes hold. */
static void frame(struct scan *s, struct lw_flow *f, struct req_state *r)
{
	size_t off = 0;

	while (off < r->in.len && r->st != ST_LOST) {
		const uint8_t *p = r->in.p + off;
		size_t n = r->in.len - off;

		if (r->st == ST_HEAD) {
			int k;

			/* the head is parsed in place, then copied so that req outlives r->in */
			k = lw_http_parse_request(p, n, &r->req);
			if (k == LW_NEED_MORE)
				break;
			if (k < 0) {
				s->bad++;
				r->st = ST_LOST;
				break;
			}
			r->head.len = 0;
			append(&r->head, p, (size_t)k);
			lw_http_parse_request(r->head.p, r->head.len, &r->req);
			off += (size_t)k;
			r->chunked = r->req.chunked;
			memset(&r->ch, 0, sizeof(r->ch));
			r->body_left =
				r->req.content_length > 0 ? (uint64_t)r->req.content_length : 0;
			r->st = ST_BODY;
			if (!r->chunked && r->body_left == 0)
				scan_request(s, f, r);
			continue;
		}
		if (r->chunked) {
			struct {
				struct scan *s;
				struct req_state *r;
			} sb = {s, r};
			int k = lw_http_chunked_feed(&r->ch, p, n, body_emit, &sb);

			if (k < 0) {
				s->bad++;
				r->st = ST_LOST;
				break;
			}
			off += (size_t)k;
			if (r->ch.done)
				scan_request(s, f, r);
		} else {
			size_t k = (size_t)LW_MIN((uint64_t)n, r->body_left);
			size_t room = s->body_max - LW_MIN(r->body.len, s->body_max);

			append(&r->body, p, LW_MIN(k, room));
			r->body_left -= k;
			off += k;
			if (r->body_left == 0)
				scan_request(s, f, r);
		}
	}
	/* keep what was not framed */
	memmove(r->in.p, r->in.p + off, r->in.len - off);
	r->in.len -= off;
}

static void on_data(struct lw_flow *f, enum lw_dir dir, const uint8_t *data, size_t len, bool gap,
		    void *user_data)
{
	struct scan *s = user_data;
	struct req_state *r = f->user;

	if (dir != LW_DIR_UP || len == 0)
		return;
	s->up_payload += len;
	if (!r) {
		if (!lw_http_looks_like_request(data, len))
			return;
		r = f->user = calloc(1, sizeof(*r));
		if (!r)
			return;
	}
	if (gap)
		r->st = ST_LOST;
	if (r->st == ST_LOST)
		return;
	if (append(&r->in, data, len) < 0)
		return;
	frame(s, f, r);
}

static void on_end(struct lw_flow *f, enum lw_flow_end why, void *user_data)
{
	struct req_state *r = f->user;

	(void)why;
	(void)user_data;
	if (!r)
		return;
	free(r->in.p);
	free(r->head.p);
	free(r->body.p);
	free(r);
	f->user = NULL;
}

static void on_frame(const struct lw_frame *fr, void *user_data)
{
	struct scan *s = user_data;
	struct lw_packet pkt;
	enum lw_dir dir;

	if (lw_decode_frame(s->decoder, s->dlt, fr->data, fr->caplen, fr->wire_len, fr->ts, &pkt) <=
	    0)
		return;
	lw_flow_table_packet(s->flows, &pkt, &dir, NULL);
}

static int enroll(struct scan *s, const struct lw_config *cfg)
{
	size_t i, j;
	int n = 0;

	for (i = 0; i < cfg->n_devices; i++) {
		const struct lw_config_device *d = &cfg->devices[i];

		for (j = 0; j < d->n_ids; j++) {
			int kind = lw_id_kind_parse(d->ids[j].kind);

			if (kind >= 0 &&
			    lw_detect_add_known(s->detect, &d->mac, (enum lw_id_kind)kind,
						d->ids[j].value, "config") == 0)
				n++;
		}
	}
	return n;
}

int main(int argc, char **argv)
{
	struct scan s = {0};
	struct lw_config cfg;
	struct lw_capture *cap;
	char err[512];
	double t0, total;
	int r, known = 0;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: scan FILE [CONFIG]\n");
		return 64;
	}
	lw_config_defaults(&cfg);
	if (argc == 3 && lw_config_load(&cfg, argv[2], err, sizeof(err)) < 0) {
		fprintf(stderr, "scan: %s\n", err);
		return 78;
	}
	s.body_max = (size_t)cfg.http_body_max;
	s.detect = lw_detect_new(NULL);
	s.decoder = lw_decoder_new(NULL);
	s.flows = lw_flow_table_new(NULL, 1, on_end, on_data, &s);
	if (!s.detect || !s.decoder || !s.flows) {
		fprintf(stderr, "scan: out of memory\n");
		return 70;
	}
	known = enroll(&s, &cfg);
	if (lw_capture_open_file(argv[1], &cap, err, sizeof(err)) < 0) {
		fprintf(stderr, "scan: %s\n", err);
		return 66;
	}
	s.dlt = lw_capture_linktype(cap);
	t0 = cpu_now();
	while ((r = lw_capture_read(cap, 4096, on_frame, &s, err, sizeof(err))) >= 0)
		;
	lw_flow_table_flush(s.flows);
	total = cpu_now() - t0;
	if (r != LW_CAPTURE_EOF)
		fprintf(stderr, "scan: %s\n", err);
	printf("upstream payload %llu bytes, %llu HTTP requests (%llu body bytes kept), %llu "
	       "unparsed streams, %d known values enrolled\n",
	       (unsigned long long)s.up_payload, (unsigned long long)s.requests,
	       (unsigned long long)s.body_bytes, (unsigned long long)s.bad, known);
	printf("leaks %llu (known %llu, validated %llu, pattern %llu)\n",
	       (unsigned long long)s.leaks, (unsigned long long)s.by_conf[LW_CONF_KNOWN],
	       (unsigned long long)s.by_conf[LW_CONF_VALIDATED],
	       (unsigned long long)s.by_conf[LW_CONF_PATTERN]);
	printf("detect %.3f s cpu = %.2f Gbit/s of upstream payload; whole program %.3f s cpu = "
	       "%.2f Gbit/s\n",
	       s.detect_s, s.detect_s > 0 ? (double)s.up_payload * 8 / s.detect_s / 1e9 : 0, total,
	       total > 0 ? (double)s.up_payload * 8 / total / 1e9 : 0);
	lw_capture_close(cap);
	lw_flow_table_free(s.flows);
	lw_decoder_free(s.decoder);
	lw_detect_free(s.detect);
	lw_config_release(&cfg);
	return 0;
}
