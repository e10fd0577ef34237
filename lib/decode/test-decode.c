/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for decode: frames are assembled here header by header, every input is placed to
 * end at an unreadable page, and every truncation of it is fed too.
 */
#include "decode/decode.h"
#include "core/types.h"
#include "lw-test.h"

#include <errno.h>
#include <pcap/dlt.h>

#define T_TCP 6
#define T_UDP 17

static const uint8_t MAC_DST[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x02};
static const uint8_t MAC_SRC[6] = {0x00, 0x1a, 0x11, 0x22, 0x33, 0x44};
static const uint8_t V4_A[4] = {192, 0, 2, 1};
static const uint8_t V4_B[4] = {198, 51, 100, 2};
static const uint8_t V4_C[4] = {10, 0, 0, 1};
static const uint8_t V4_D[4] = {10, 0, 0, 2};
static const uint8_t V6_A[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
static const uint8_t V6_B[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 2};
static const uint8_t V6_C[16] = {0xfd, 0x00, [15] = 3};
static const uint8_t V6_D[16] = {0xfd, 0x00, [15] = 4};

/* ---- frame building ---- */

struct buf {
	uint8_t b[8192];
	size_t n;
};

static void b_put(struct buf *f, const void *d, size_t n)
{
	if (n > sizeof(f->b) - f->n) {
		fprintf(stderr, "test frame too large\n");
		exit(2);
	}
	if (n)
		memcpy(f->b + f->n, d, n);
	f->n += n;
}

static void b_u8(struct buf *f, unsigned v)
{
	uint8_t x = (uint8_t)v;

	b_put(f, &x, 1);
}

static void b_be16(struct buf *f, unsigned v)
{
	b_u8(f, v >> 8);
	b_u8(f, v);
}

static void b_be32(struct buf *f, uint32_t v)
{
	b_be16(f, v >> 16);
	b_be16(f, v);
}

static void b_le32(struct buf *f, uint32_t v)
{
	b_u8(f, v);
	b_u8(f, v >> 8);
	b_u8(f, v >> 16);
	b_u8(f, v >> 24);
}

/* n bytes of a pattern that differs by seed, so misplaced bytes show. */
static void b_pattern(struct buf *f, size_t n, unsigned seed)
{
	size_t i;

	for (i = 0; i < n; i++)
		b_u8(f, (unsigned)(i * 7 + seed * 13 + (i >> 8)));
}

static void eth(struct buf *f, unsigned type)
{
	b_put(f, MAC_DST, 6);
	b_put(f, MAC_SRC, 6);
	b_be16(f, type);
}

static void tcp_seg(struct buf *f, unsigned sport, unsigned dport, uint32_t seq, uint32_t ack,
		    unsigned flags, size_t optlen, const void *pl, size_t pllen)
{
	size_t i;

	b_be16(f, sport);
	b_be16(f, dport);
	b_be32(f, seq);
	b_be32(f, ack);
	b_u8(f, (unsigned)((20 + optlen) / 4) << 4);
	b_u8(f, flags);
	b_be16(f, 65535); /* window */
	b_be16(f, 0xdead); /* a wrong checksum: never checked */
	b_be16(f, 0);
	for (i = 0; i < optlen; i++)
		b_u8(f, 1); /* NOP */
	b_put(f, pl, pllen);
}

static void udp_dgram(struct buf *f, unsigned sport, unsigned dport, const void *pl, size_t pllen)
{
	b_be16(f, sport);
	b_be16(f, dport);
	b_be16(f, (unsigned)(8 + pllen));
	b_be16(f, 0xbeef);
	b_put(f, pl, pllen);
}

static void ipv4_hdr(struct buf *f, unsigned proto, const uint8_t src[4], const uint8_t dst[4],
		     size_t paylen, unsigned id, unsigned fragw)
{
	b_u8(f, 0x45);
	b_u8(f, 0);
	b_be16(f, (unsigned)(20 + paylen));
	b_be16(f, id);
	b_be16(f, fragw);
	b_u8(f, 64);
	b_u8(f, proto);
	b_be16(f, 0x1234);
	b_put(f, src, 4);
	b_put(f, dst, 4);
}

static void ipv4(struct buf *f, unsigned proto, const uint8_t src[4], const uint8_t dst[4],
		 const struct buf *l4)
{
	ipv4_hdr(f, proto, src, dst, l4->n, 1, 0x4000 /* DF */);
	b_put(f, l4->b, l4->n);
}

static void ipv6_hdr(struct buf *f, unsigned nh, const uint8_t src[16], const uint8_t dst[16],
		     size_t plen)
{
	b_be32(f, 0x60000000);
	b_be16(f, (unsigned)plen);
	b_u8(f, nh);
	b_u8(f, 64);
	b_put(f, src, 16);
	b_put(f, dst, 16);
}

static void ipv6(struct buf *f, unsigned nh, const uint8_t src[16], const uint8_t dst[16],
		 const struct buf *l4)
{
	ipv6_hdr(f, nh, src, dst, l4->n);
	b_put(f, l4->b, l4->n);
}

/* An 8*(len8+1)-byte extension header (hop-by-hop, routing, destination options). */
static void ext_hdr(struct buf *f, unsigned next, unsigned len8)
{
	size_t i;

	b_u8(f, next);
	b_u8(f, len8);
	b_u8(f, 1); /* PadN over the rest */
	b_u8(f, (unsigned)(len8 * 8 + 4));
	for (i = 0; i < len8 * 8 + 4; i++)
		b_u8(f, 0);
}

static const char PAYLOAD[] = "GET / HTTP/1.1\r\nHost: example.com\r\n\r\n";
#define PAYLOAD_LEN (sizeof(PAYLOAD) - 1)

static void l4_tcp(struct buf *l4, size_t optlen)
{
	l4->n = 0;
	tcp_seg(l4, 49152, 80, 0x01020304, 0xa0b0c0d0, LW_TCP_PSH | LW_TCP_ACK, optlen, PAYLOAD,
		PAYLOAD_LEN);
}

static void l4_udp(struct buf *l4)
{
	l4->n = 0;
	udp_dgram(l4, 5353, 53, PAYLOAD, PAYLOAD_LEN);
}

/* ---- running the decoder ---- */

struct res {
	int rc;
	struct lw_packet p;
	uint8_t payload[70000];
	char src[LW_ADDR_STRLEN], dst[LW_ADDR_STRLEN];
};

/* Decodes f (guarded) with the given wire length (0 = same as captured); copies the payload. */
static int run_wire(struct lw_decoder *d, int dlt, const struct buf *f, size_t wire, lw_time_us ts,
		    struct res *r)
{
	struct lw_test_guard_buf g;
	const uint8_t *in = lw_test_guard(f->b, f->n, &g);

	memset(r, 0, sizeof(*r));
	r->rc = lw_decode_frame(d, dlt, in, f->n, wire ? wire : f->n, ts, &r->p);
	if (r->rc == 1) {
		LW_CHECK(r->p.payload_len <= sizeof(r->payload));
		if (r->p.payload_len <= sizeof(r->payload) && r->p.payload_len)
			memcpy(r->payload, r->p.payload, r->p.payload_len);
		r->p.payload = r->payload;
		lw_addr_str(&r->p.src, r->src);
		lw_addr_str(&r->p.dst, r->dst);
	}
	lw_test_unguard(&g);
	return r->rc;
}

static int run(struct lw_decoder *d, int dlt, const struct buf *f, struct res *r)
{
	return run_wire(d, dlt, f, 0, 1000, r);
}

/*
 * Feeds every prefix of f.  Nothing may crash or read past the end; the result must be a packet
 * exactly when the first hdrs bytes (all headers) are there, with the payload cut where the
 * capture is cut and never longer than full (what the headers say it is).
 */
static void sweep(int dlt, const struct buf *f, size_t hdrs, size_t full)
{
	struct lw_decoder *d = lw_decoder_new(NULL);

	LW_FOR_EACH_PREFIX(f->b, f->n, in, len, {
		struct lw_packet p;
		int rc = lw_decode_frame(d, dlt, in, len, f->n, 0, &p);

		LW_CHECK_INT(rc, len >= hdrs ? 1 : -EBADMSG);
		if (rc == 1) {
			LW_CHECK(p.payload == in + hdrs);
			LW_CHECK_INT(p.payload_len, LW_MIN(len - hdrs, full));
			LW_CHECK_INT(p.truncated, len < hdrs + full);
		}
	});
	LW_CHECK_INT(lw_decoder_stats(d)->frames, f->n + 1);
	lw_decoder_free(d);
}

/* Every prefix of something that never yields a packet: only "no crash, sane code". */
static void sweep_any(int dlt, const struct buf *f)
{
	struct lw_decoder *d = lw_decoder_new(NULL);

	LW_FOR_EACH_PREFIX(f->b, f->n, in, len, {
		struct lw_packet p;
		int rc = lw_decode_frame(d, dlt, in, len, f->n, 0, &p);

		LW_CHECK(rc == 0 || rc == 1 || rc == -EBADMSG);
		if (rc == 1)
			LW_CHECK(p.payload + p.payload_len <= in + len);
	});
	lw_decoder_free(d);
}

static bool payload_is(const struct res *r, const void *want, size_t len)
{
	return r->p.payload_len == len && memcmp(r->p.payload, want, len) == 0;
}

/* ---- tests ---- */

static void test_ether_ipv4_tcp(void)
{
	struct lw_decoder *d = lw_decoder_new(NULL);
	struct buf l4, f = {.n = 0};
	struct res r;
	char mac[LW_MAC_STRLEN];

	l4_tcp(&l4, 12);
	eth(&f, 0x0800);
	ipv4(&f, T_TCP, V4_A, V4_B, &l4);
	LW_CHECK_INT(run_wire(d, DLT_EN10MB, &f, 1514, 123456789, &r), 1);
	LW_CHECK_INT(r.p.ts, 123456789);
	LW_CHECK_INT(r.p.wire_len, 1514);
	LW_CHECK(r.p.has_mac);
	LW_CHECK_STR(lw_mac_str(&r.p.src_mac, mac), "00:1a:11:22:33:44");
	LW_CHECK_STR(lw_mac_str(&r.p.dst_mac, mac), "02:00:00:00:00:02");
	LW_CHECK_INT(r.p.vlan, 0);
	LW_CHECK_STR(r.src, "192.0.2.1");
	LW_CHECK_STR(r.dst, "198.51.100.2");
	LW_CHECK_INT(r.p.l4, 6);
	LW_CHECK_INT(r.p.sport, 49152);
	LW_CHECK_INT(r.p.dport, 80);
	LW_CHECK_INT(r.p.seq, 0x01020304);
	LW_CHECK_INT(r.p.ack, 0xa0b0c0d0);
	LW_CHECK_INT(r.p.tcp_flags, LW_TCP_PSH | LW_TCP_ACK);
	LW_CHECK(payload_is(&r, PAYLOAD, PAYLOAD_LEN));
	LW_CHECK(!r.p.truncated);
	LW_CHECK_INT(lw_decoder_stats(d)->ip_packets, 1);
	LW_CHECK_INT(lw_decoder_stats(d)->frames, 1);
	lw_decoder_free(d);

	sweep(DLT_EN10MB, &f, 14 + 20 + 32, PAYLOAD_LEN);
}

static void test_ether_ipv4_udp_padding(void)
{
	struct lw_decoder *d = lw_decoder_new(NULL);
	struct buf l4 = {.n = 0}, f = {.n = 0};
	struct res r;

	udp_dgram(&l4, 67, 68, "hi", 2);
	eth(&f, 0x0800);
	ipv4(&f, T_UDP, V4_A, V4_B, &l4);
	while (f.n < 60)
		b_u8(&f, 0xee); /* Ethernet minimum frame padding */
	LW_CHECK_INT(run(d, DLT_EN10MB, &f, &r), 1);
	LW_CHECK_INT(r.p.l4, 17);
	LW_CHECK_INT(r.p.sport, 67);
	LW_CHECK_INT(r.p.dport, 68);
	LW_CHECK(payload_is(&r, "hi", 2));
	LW_CHECK(!r.p.truncated);
	sweep(DLT_EN10MB, &f, 14 + 20 + 8, 2);

	/* The UDP length says more than the IP packet holds: keep what is there. */
	f.n = 0;
	eth(&f, 0x0800);
	ipv4_hdr(&f, T_UDP, V4_A, V4_B, 8 + 4, 1, 0);
	b_be16(&f, 1000);
	b_be16(&f, 2000);
	b_be16(&f, 500);
	b_be16(&f, 0);
	b_put(&f, "abcd", 4);
	LW_CHECK_INT(run(d, DLT_EN10MB, &f, &r), 1);
	LW_CHECK(payload_is(&r, "abcd", 4));

	/* The UDP length says less: it trims. */
	f.b[14 + 20 + 4] = 0;
	f.b[14 + 20 + 5] = 8 + 3;
	LW_CHECK_INT(run(d, DLT_EN10MB, &f, &r), 1);
	LW_CHECK(payload_is(&r, "abc", 3));

	/* Below its own header: malformed. */
	f.b[14 + 20 + 5] = 7;
	LW_CHECK_INT(run(d, DLT_EN10MB, &f, &r), -EBADMSG);
	LW_CHECK_INT(lw_decoder_stats(d)->malformed, 1);
	lw_decoder_free(d);
}

static void test_truncated_capture(void)
{
	struct lw_decoder *d = lw_decoder_new(NULL);
	struct buf l4, f = {.n = 0};
	struct res r;

	l4_tcp(&l4, 0);
	eth(&f, 0x0800);
	ipv4(&f, T_TCP, V4_A, V4_B, &l4);
	f.n = 14 + 20 + 20 + 10; /* snap length cuts the payload */
	LW_CHECK_INT(run_wire(d, DLT_EN10MB, &f, 14 + 20 + 20 + PAYLOAD_LEN, 0, &r), 1);
	LW_CHECK(r.p.truncated);
	LW_CHECK(payload_is(&r, PAYLOAD, 10));
	LW_CHECK_INT(r.p.wire_len, 14 + 20 + 20 + PAYLOAD_LEN);

	f.n = 14 + 20 + 19; /* the TCP header itself is cut: nothing to deliver */
	LW_CHECK_INT(run(d, DLT_EN10MB, &f, &r), -EBADMSG);
	lw_decoder_free(d);
}

static void test_vlan(void)
{
	static const unsigned tpids[] = {0x8100, 0x88a8, 0x9100};
	struct lw_decoder *d = lw_decoder_new(NULL);
	struct buf l4, f;
	struct res r;
	size_t i, ntags;

	l4_udp(&l4);
	for (i = 0; i < LW_ARRAY_SIZE(tpids); i++) {
		f.n = 0;
		eth(&f, tpids[i]);
		b_be16(&f, 0xe000 | 100); /* PCP 7, VID 100 */
		b_be16(&f, 0x0800);
		ipv4(&f, T_UDP, V4_A, V4_B, &l4);
		LW_CHECK_INT(run(d, DLT_EN10MB, &f, &r), 1);
		LW_CHECK_INT(r.p.vlan, 100);
		LW_CHECK(payload_is(&r, PAYLOAD, PAYLOAD_LEN));
		sweep(DLT_EN10MB, &f, 14 + 4 + 20 + 8, PAYLOAD_LEN);
	}

	/* QinQ: the outer (service) tag is reported. */
	f.n = 0;
	eth(&f, 0x88a8);
	b_be16(&f, 200);
	b_be16(&f, 0x8100);
	b_be16(&f, 100);
	b_be16(&f, 0x86dd);
	ipv6(&f, T_UDP, V6_A, V6_B, &l4);
	LW_CHECK_INT(run(d, DLT_EN10MB, &f, &r), 1);
	LW_CHECK_INT(r.p.vlan, 200);
	LW_CHECK_STR(r.src, "2001:db8::1");
	sweep(DLT_EN10MB, &f, 14 + 8 + 40 + 8, PAYLOAD_LEN);

	/* Up to the limit of tags, and one more is refused. */
	for (ntags = 4; ntags <= 5; ntags++) {
		f.n = 0;
		eth(&f, 0x8100);
		for (i = 0; i < ntags; i++) {
			b_be16(&f, (unsigned)(10 + i));
			b_be16(&f, i + 1 < ntags ? 0x8100 : 0x0800);
		}
		ipv4(&f, T_UDP, V4_A, V4_B, &l4);
		LW_CHECK_INT(run(d, DLT_EN10MB, &f, &r), ntags == 4 ? 1 : -EBADMSG);
		if (ntags == 4)
			LW_CHECK_INT(r.p.vlan, 10);
	}
	lw_decoder_free(d);
}

static void test_not_ip(void)
{
	static const uint8_t llc[] = {0xaa, 0xaa, 0x03, 0x00, 0x00, 0x00, 0x08, 0x00};
	struct lw_decoder *d = lw_decoder_new(NULL);
	struct buf f = {.n = 0}, l4;
	struct res r;

	eth(&f, 0x0806); /* ARP */
	b_pattern(&f, 28, 1);
	LW_CHECK_INT(run(d, DLT_EN10MB, &f, &r), 0);
	sweep_any(DLT_EN10MB, &f);

	/* 802.3 length + LLC/SNAP, even one that names IPv4, is not decoded. */
	l4_udp(&l4);
	f.n = 0;
	eth(&f, 8 + 20 + (unsigned)l4.n);
	b_put(&f, llc, sizeof(llc));
	ipv4(&f, T_UDP, V4_A, V4_B, &l4);
	LW_CHECK_INT(run(d, DLT_EN10MB, &f, &r), 0);
	LW_CHECK_INT(lw_decoder_stats(d)->not_ip, 2);
	LW_CHECK_INT(lw_decoder_stats(d)->ip_packets, 0);

	/* ICMP, and an IPv6 "no next header": IP but not TCP/UDP. */
	f.n = 0;
	eth(&f, 0x0800);
	ipv4_hdr(&f, 1, V4_A, V4_B, 8, 1, 0);
	b_pattern(&f, 8, 2);
	LW_CHECK_INT(run(d, DLT_EN10MB, &f, &r), 0);
	f.n = 0;
	eth(&f, 0x86dd);
	ipv6_hdr(&f, 59, V6_A, V6_B, 0);
	LW_CHECK_INT(run(d, DLT_EN10MB, &f, &r), 0);
	LW_CHECK_INT(lw_decoder_stats(d)->not_tcp_udp, 2);
	lw_decoder_free(d);
}

static void test_malformed(void)
{
	struct lw_decoder *d = lw_decoder_new(NULL);
	struct buf l4, f = {.n = 0}, g;
	struct res r;

	l4_tcp(&l4, 0);
	eth(&f, 0x0800);
	ipv4(&f, T_TCP, V4_A, V4_B, &l4);

	g = f;
	g.b[14] = 0x44; /* IHL 4 */
	LW_CHECK_INT(run(d, DLT_EN10MB, &g, &r), -EBADMSG);
	g = f;
	g.b[14] = 0x4f; /* IHL 15: options run past the packet's TCP header but exist */
	LW_CHECK_INT(run(d, DLT_EN10MB, &g, &r), -EBADMSG);
	g = f;
	g.b[14] = 0x65; /* version 6 under EtherType IPv4 */
	LW_CHECK_INT(run(d, DLT_EN10MB, &g, &r), -EBADMSG);
	g = f;
	g.b[16] = 0;
	g.b[17] = 19; /* total length below the header */
	LW_CHECK_INT(run(d, DLT_EN10MB, &g, &r), -EBADMSG);
	g = f;
	g.b[14 + 20 + 12] = 0x40; /* TCP data offset 16 bytes */
	LW_CHECK_INT(run(d, DLT_EN10MB, &g, &r), -EBADMSG);
	g = f;
	g.b[14 + 20 + 12] = 0xf0; /* 60 bytes of TCP header: past the end */
	LW_CHECK_INT(run(d, DLT_EN10MB, &g, &r), -EBADMSG);
	g = f;
	g.b[16] = 0;
	g.b[17] = 20 + 30; /* IP ends inside the TCP options: the header is not whole */
	g.b[14 + 20 + 12] = 0x80;
	LW_CHECK_INT(run(d, DLT_EN10MB, &g, &r), -EBADMSG);
	LW_CHECK_INT(lw_decoder_stats(d)->malformed, 7);
	LW_CHECK_INT(lw_decoder_stats(d)->ip_packets, 7);

	/* Total length 0 (segmentation offload on the capturing host): take what was captured. */
	g = f;
	g.b[16] = 0;
	g.b[17] = 0;
	LW_CHECK_INT(run(d, DLT_EN10MB, &g, &r), 1);
	LW_CHECK(payload_is(&r, PAYLOAD, PAYLOAD_LEN));

	/* Empty and NULL frames. */
	LW_CHECK_INT(lw_decode_frame(d, DLT_EN10MB, NULL, 0, 0, 0, &r.p), -EBADMSG);
	LW_CHECK_INT(lw_decode_frame(d, DLT_RAW, NULL, 0, 0, 0, &r.p), -EBADMSG);
	lw_decoder_free(d);
}

static void test_ipv6_ext(void)
{
	struct lw_decoder *d = lw_decoder_new(NULL);
	struct buf l4, ext = {.n = 0}, f = {.n = 0};
	struct res r;
	size_t i;

	l4_tcp(&l4, 4);
	eth(&f, 0x86dd);
	ipv6(&f, T_TCP, V6_A, V6_B, &l4);
	LW_CHECK_INT(run(d, DLT_EN10MB, &f, &r), 1);
	LW_CHECK_STR(r.src, "2001:db8::1");
	LW_CHECK_STR(r.dst, "2001:db8::2");
	LW_CHECK_INT(r.p.l4, 6);
	LW_CHECK(payload_is(&r, PAYLOAD, PAYLOAD_LEN));
	sweep(DLT_EN10MB, &f, 14 + 40 + 24, PAYLOAD_LEN);

	/* hop-by-hop (8) -> routing (16) -> AH (12+4) -> destination options (8) -> UDP */
	l4_udp(&l4);
	ext_hdr(&ext, 43, 0);
	ext_hdr(&ext, 51, 1);
	b_u8(&ext, 60);
	b_u8(&ext, 2); /* AH: (2 + 2) * 4 = 16 bytes */
	b_be16(&ext, 0);
	b_be32(&ext, 0x100); /* SPI */
	b_be32(&ext, 7); /* sequence */
	b_be32(&ext, 0xaaaaaaaa); /* ICV */
	ext_hdr(&ext, T_UDP, 0);
	b_put(&ext, l4.b, l4.n);
	f.n = 0;
	eth(&f, 0x86dd);
	ipv6(&f, 0, V6_A, V6_B, &ext);
	while (f.n < 200)
		b_u8(&f, 0); /* padding after the IPv6 payload is not payload */
	LW_CHECK_INT(run(d, DLT_EN10MB, &f, &r), 1);
	LW_CHECK_INT(r.p.l4, 17);
	LW_CHECK_INT(r.p.dport, 53);
	LW_CHECK(payload_is(&r, PAYLOAD, PAYLOAD_LEN));
	sweep(DLT_EN10MB, &f, 14 + 40 + 8 + 16 + 16 + 8 + 8, PAYLOAD_LEN);

	/* Eight extension headers pass, nine are refused. */
	for (i = 8; i <= 9; i++) {
		size_t k;

		ext.n = 0;
		for (k = 0; k < i; k++)
			ext_hdr(&ext, k + 1 < i ? 60 : T_UDP, 0);
		b_put(&ext, l4.b, l4.n);
		f.n = 0;
		eth(&f, 0x86dd);
		ipv6(&f, 60, V6_A, V6_B, &ext);
		LW_CHECK_INT(run(d, DLT_EN10MB, &f, &r), i == 8 ? 1 : -EBADMSG);
	}

	/* An extension header longer than the packet. */
	ext.n = 0;
	ext_hdr(&ext, T_UDP, 0);
	ext.b[1] = 200;
	b_put(&ext, l4.b, l4.n);
	f.n = 0;
	eth(&f, 0x86dd);
	ipv6(&f, 0, V6_A, V6_B, &ext);
	LW_CHECK_INT(run(d, DLT_EN10MB, &f, &r), -EBADMSG);
	sweep_any(DLT_EN10MB, &f);
	lw_decoder_free(d);
}

/* The same UDP packet under every link type. */
static void test_link_types(void)
{
	static const uint32_t af6[] = {10, 24, 28, 30};
	struct lw_decoder *d = lw_decoder_new(NULL);
	struct buf l4, ip4 = {.n = 0}, ip6 = {.n = 0}, f;
	struct res r;
	char mac[LW_MAC_STRLEN];
	size_t i;

	l4_udp(&l4);
	ipv4(&ip4, T_UDP, V4_A, V4_B, &l4);
	ipv6(&ip6, T_UDP, V6_A, V6_B, &l4);

	/* Linux cooked v1, Ethernet sender: the one MAC it knows is the source. */
	f.n = 0;
	b_be16(&f, 0); /* to us */
	b_be16(&f, 1); /* ARPHRD_ETHER */
	b_be16(&f, 6);
	b_put(&f, MAC_SRC, 6);
	b_be16(&f, 0); /* address padding */
	b_be16(&f, 0x0800);
	b_put(&f, ip4.b, ip4.n);
	LW_CHECK_INT(run(d, DLT_LINUX_SLL, &f, &r), 1);
	LW_CHECK(r.p.has_mac);
	LW_CHECK_STR(lw_mac_str(&r.p.src_mac, mac), "00:1a:11:22:33:44");
	LW_CHECK(lw_mac_is_zero(&r.p.dst_mac));
	LW_CHECK_STR(r.src, "192.0.2.1");
	LW_CHECK(payload_is(&r, PAYLOAD, PAYLOAD_LEN));
	sweep(DLT_LINUX_SLL, &f, 16 + 28, PAYLOAD_LEN);
	f.b[3] = 0x04; /* ARPHRD_LOOPBACK (772 = 0x0304): no MAC */
	f.b[2] = 0x03;
	LW_CHECK_INT(run(d, DLT_LINUX_SLL, &f, &r), 1);
	LW_CHECK(!r.p.has_mac);

	/* Linux cooked v2 */
	f.n = 0;
	b_be16(&f, 0x86dd);
	b_be16(&f, 0);
	b_be32(&f, 3); /* ifindex */
	b_be16(&f, 1); /* ARPHRD_ETHER */
	b_u8(&f, 4); /* outgoing */
	b_u8(&f, 6);
	b_put(&f, MAC_SRC, 6);
	b_be16(&f, 0);
	b_put(&f, ip6.b, ip6.n);
	LW_CHECK_INT(run(d, DLT_LINUX_SLL2, &f, &r), 1);
	LW_CHECK(r.p.has_mac);
	LW_CHECK_STR(lw_mac_str(&r.p.src_mac, mac), "00:1a:11:22:33:44");
	LW_CHECK_STR(r.dst, "2001:db8::2");
	sweep(DLT_LINUX_SLL2, &f, 20 + 48, PAYLOAD_LEN);

	/* Raw IP in its several numberings. */
	LW_CHECK_INT(run(d, DLT_RAW, &ip4, &r), 1);
	LW_CHECK(!r.p.has_mac);
	LW_CHECK_INT(run(d, DLT_RAW, &ip6, &r), 1);
	LW_CHECK_STR(r.src, "2001:db8::1");
	LW_CHECK_INT(run(d, 14, &ip4, &r), 1);
	LW_CHECK_INT(run(d, 101, &ip6, &r), 1);
	LW_CHECK_INT(run(d, DLT_IPV4, &ip4, &r), 1);
	LW_CHECK_INT(run(d, DLT_IPV6, &ip6, &r), 1);
	LW_CHECK_INT(run(d, DLT_IPV4, &ip6, &r), -EBADMSG);
	LW_CHECK_INT(run(d, DLT_IPV6, &ip4, &r), -EBADMSG);
	sweep(DLT_RAW, &ip4, 28, PAYLOAD_LEN);
	sweep(DLT_IPV6, &ip6, 48, PAYLOAD_LEN);
	f = ip4;
	f.b[0] = 0x55;
	LW_CHECK_INT(run(d, DLT_RAW, &f, &r), -EBADMSG);

	/* BSD loopback: AF_INET in either byte order, every OS's AF_INET6. */
	for (i = 0; i < 2; i++) {
		f.n = 0;
		if (i)
			b_be32(&f, 2);
		else
			b_le32(&f, 2);
		b_put(&f, ip4.b, ip4.n);
		LW_CHECK_INT(run(d, DLT_NULL, &f, &r), 1);
		LW_CHECK_STR(r.src, "192.0.2.1");
		LW_CHECK_INT(run(d, DLT_LOOP, &f, &r), 1);
		sweep(DLT_NULL, &f, 4 + 28, PAYLOAD_LEN);
	}
	for (i = 0; i < 2 * LW_ARRAY_SIZE(af6); i++) {
		f.n = 0;
		if (i & 1)
			b_be32(&f, af6[i / 2]);
		else
			b_le32(&f, af6[i / 2]);
		b_put(&f, ip6.b, ip6.n);
		LW_CHECK_INT(run(d, DLT_NULL, &f, &r), 1);
		LW_CHECK_STR(r.src, "2001:db8::1");
	}
	f.n = 0;
	b_le32(&f, 7); /* some other family */
	b_put(&f, ip4.b, ip4.n);
	LW_CHECK_INT(run(d, DLT_NULL, &f, &r), 0);

	/* PPP: with and without address/control, compressed protocol field, IPv6, LCP. */
	f.n = 0;
	b_be16(&f, 0xff03);
	b_be16(&f, 0x0021);
	b_put(&f, ip4.b, ip4.n);
	LW_CHECK_INT(run(d, DLT_PPP, &f, &r), 1);
	LW_CHECK(payload_is(&r, PAYLOAD, PAYLOAD_LEN));
	LW_CHECK_INT(run(d, DLT_PPP_SERIAL, &f, &r), 1);
	sweep(DLT_PPP, &f, 4 + 28, PAYLOAD_LEN);
	f.n = 0;
	b_u8(&f, 0x21);
	b_put(&f, ip4.b, ip4.n);
	LW_CHECK_INT(run(d, DLT_PPP, &f, &r), 1);
	f.n = 0;
	b_be16(&f, 0x0057);
	b_put(&f, ip6.b, ip6.n);
	LW_CHECK_INT(run(d, DLT_PPP, &f, &r), 1);
	LW_CHECK_STR(r.dst, "2001:db8::2");
	f.n = 0;
	b_be16(&f, 0xff03);
	b_be16(&f, 0xc021);
	b_pattern(&f, 10, 3);
	LW_CHECK_INT(run(d, DLT_PPP, &f, &r), 0);

	/* Cisco HDLC, also as some routers write it under DLT_PPP. */
	f.n = 0;
	b_be16(&f, 0x0f00);
	b_be16(&f, 0x0800);
	b_put(&f, ip4.b, ip4.n);
	LW_CHECK_INT(run(d, DLT_C_HDLC, &f, &r), 1);
	LW_CHECK_INT(run(d, DLT_PPP, &f, &r), 1);
	LW_CHECK(payload_is(&r, PAYLOAD, PAYLOAD_LEN));
	sweep(DLT_C_HDLC, &f, 4 + 28, PAYLOAD_LEN);
	f.b[2] = 0x80;
	f.b[3] = 0x35; /* SLARP */
	LW_CHECK_INT(run(d, DLT_C_HDLC, &f, &r), 0);

	/* PPPoE session and MPLS under Ethernet. */
	f.n = 0;
	eth(&f, 0x8864);
	b_be16(&f, 0x1100);
	b_be16(&f, 0x0042);
	b_be16(&f, (unsigned)(2 + ip4.n));
	b_be16(&f, 0x0021);
	b_put(&f, ip4.b, ip4.n);
	LW_CHECK_INT(run(d, DLT_EN10MB, &f, &r), 1);
	LW_CHECK(r.p.has_mac);
	LW_CHECK(payload_is(&r, PAYLOAD, PAYLOAD_LEN));
	sweep(DLT_EN10MB, &f, 14 + 8 + 28, PAYLOAD_LEN);
	f.n = 0;
	eth(&f, 0x8847);
	b_be32(&f, 16 << 12 | 64);
	b_be32(&f, 17 << 12 | 0x100 | 64); /* bottom of stack */
	b_put(&f, ip6.b, ip6.n);
	LW_CHECK_INT(run(d, DLT_EN10MB, &f, &r), 1);
	LW_CHECK_STR(r.src, "2001:db8::1");
	sweep(DLT_EN10MB, &f, 14 + 8 + 48, PAYLOAD_LEN);

	/* Unsupported link types are refused and counted. */
	f = ip4;
	LW_CHECK_INT(run(d, DLT_IEEE802_11_RADIO, &f, &r), -EPROTONOSUPPORT);
	LW_CHECK_INT(run(d, 12345, &f, &r), -EPROTONOSUPPORT);
	LW_CHECK_INT(lw_decoder_stats(d)->bad_linktype, 2);
	LW_CHECK(!lw_decode_linktype_supported(DLT_IEEE802_11_RADIO));
	LW_CHECK(!lw_decode_linktype_supported(DLT_PPI));
	LW_CHECK(lw_decode_linktype_supported(DLT_EN10MB));
	LW_CHECK(lw_decode_linktype_supported(DLT_LINUX_SLL2));
	LW_CHECK(lw_decode_linktype_supported(DLT_NULL));
	LW_CHECK(lw_decode_linktype_supported(101));
	lw_decoder_free(d);
}

/* ---- fragments ---- */

/* An Ethernet IPv4 frame carrying bytes [off, off+len) of a datagram's payload. */
static void frag4(struct buf *f, unsigned proto, const struct buf *dg, size_t off, size_t len,
		  bool more, unsigned id)
{
	f->n = 0;
	eth(f, 0x0800);
	ipv4_hdr(f, proto, V4_A, V4_B, len, id, (more ? 0x2000u : 0) | (unsigned)(off / 8));
	b_put(f, dg->b + off, len);
}

/* A UDP datagram of n payload bytes (pattern seed), header included. */
static void big_udp(struct buf *dg, size_t n, unsigned seed)
{
	struct buf pl = {.n = 0};

	b_pattern(&pl, n, seed);
	dg->n = 0;
	udp_dgram(dg, 4000, 4001, pl.b, pl.n);
}

static void test_frag4_in_order(void)
{
	struct lw_decoder *d = lw_decoder_new(NULL);
	const struct lw_decode_stats *st = lw_decoder_stats(d);
	struct buf dg, f;
	struct res r;

	big_udp(&dg, 3000, 1); /* 3008 bytes: 1480 + 1480 + 48 */
	frag4(&f, T_UDP, &dg, 0, 1480, true, 7);
	LW_CHECK_INT(run(d, DLT_EN10MB, &f, &r), 0);
	frag4(&f, T_UDP, &dg, 1480, 1480, true, 7);
	LW_CHECK_INT(run(d, DLT_EN10MB, &f, &r), 0);
	frag4(&f, T_UDP, &dg, 2960, 48, false, 7);
	LW_CHECK_INT(run(d, DLT_EN10MB, &f, &r), 1);
	LW_CHECK_INT(r.p.l4, 17);
	LW_CHECK_INT(r.p.sport, 4000);
	LW_CHECK_STR(r.src, "192.0.2.1");
	LW_CHECK(payload_is(&r, dg.b + 8, 3000));
	LW_CHECK_INT(st->frag_held, 2);
	LW_CHECK_INT(st->frag_reassembled, 1);
	LW_CHECK_INT(st->frag_dropped, 0);
	LW_CHECK_INT(st->ip_packets, 3);

	/* The same id again later is a new datagram. */
	frag4(&f, T_UDP, &dg, 0, 1480, true, 7);
	LW_CHECK_INT(run(d, DLT_EN10MB, &f, &r), 0);
	LW_CHECK_INT(st->frag_held, 3);
	lw_decoder_free(d);

	/* Every truncation of a fragment, into one decoder: nothing breaks. */
	frag4(&f, T_UDP, &dg, 1480, 1480, true, 7);
	sweep_any(DLT_EN10MB, &f);
}

static void test_frag4_out_of_order(void)
{
	/* 24 pieces of 64 bytes in a scrambled order (a permutation: 7 is prime to 24). */
	struct lw_decoder *d = lw_decoder_new(NULL);
	struct buf dg, f, l4 = {.n = 0};
	struct res r;
	size_t i, k;

	big_udp(&dg, 24 * 64 - 8, 2);
	for (i = 0; i < 24; i++) {
		k = (i * 7 + 3) % 24;
		frag4(&f, T_UDP, &dg, k * 64, 64, k != 23, 99);
		LW_CHECK_INT(run(d, DLT_EN10MB, &f, &r), i == 23 ? 1 : 0);
	}
	LW_CHECK(payload_is(&r, dg.b + 8, dg.n - 8));
	LW_CHECK_INT(lw_decoder_stats(d)->frag_held, 23);

	/* Last first, then the rest backwards; TCP this time. */
	big_udp(&dg, 2000, 3);
	tcp_seg(&l4, 443, 50000, 1, 2, LW_TCP_ACK, 0, dg.b, dg.n);
	for (i = 0; i < 3; i++) {
		k = 2 - i;
		frag4(&f, T_TCP, &l4, k * 680, k == 2 ? l4.n - 1360 : 680, k != 2, 100);
		LW_CHECK_INT(run(d, DLT_EN10MB, &f, &r), i == 2 ? 1 : 0);
	}
	LW_CHECK_INT(r.p.l4, 6);
	LW_CHECK_INT(r.p.sport, 443);
	LW_CHECK(payload_is(&r, dg.b, dg.n));
	lw_decoder_free(d);
}

static void test_frag4_overlap_dup(void)
{
	struct lw_decoder *d = lw_decoder_new(NULL);
	const struct lw_decode_stats *st = lw_decoder_stats(d);
	struct buf a, b, f, want;
	struct res r;

	/* Two versions of the same datagram; fragments overlap, the first bytes received win. */
	big_udp(&a, 1592, 4);
	big_udp(&b, 1592, 5);
	frag4(&f, T_UDP, &a, 0, 1000, true, 1);
	LW_CHECK_INT(run(d, DLT_EN10MB, &f, &r), 0);
	frag4(&f, T_UDP, &b, 800, 800, false, 1); /* 800..999 overlaps */
	LW_CHECK_INT(run(d, DLT_EN10MB, &f, &r), 1);
	want.n = 0;
	b_put(&want, a.b, 1000);
	b_put(&want, b.b + 1000, 600);
	LW_CHECK(payload_is(&r, want.b + 8, 1592));

	/* The other way round: the later fragment arrived first, so its bytes win. */
	frag4(&f, T_UDP, &b, 800, 800, false, 2);
	LW_CHECK_INT(run(d, DLT_EN10MB, &f, &r), 0);
	frag4(&f, T_UDP, &a, 0, 1000, true, 2);
	LW_CHECK_INT(run(d, DLT_EN10MB, &f, &r), 1);
	want.n = 0;
	b_put(&want, a.b, 800);
	b_put(&want, b.b + 800, 800);
	LW_CHECK(payload_is(&r, want.b + 8, 1592));

	/* A duplicate and a fragment inside what is held bring nothing: dropped, counted. */
	frag4(&f, T_UDP, &a, 0, 800, true, 3);
	LW_CHECK_INT(run(d, DLT_EN10MB, &f, &r), 0);
	LW_CHECK_INT(run(d, DLT_EN10MB, &f, &r), 0);
	LW_CHECK_INT(st->frag_dropped, 1);
	frag4(&f, T_UDP, &a, 400, 200, true, 3);
	LW_CHECK_INT(run(d, DLT_EN10MB, &f, &r), 0);
	LW_CHECK_INT(st->frag_dropped, 2);
	frag4(&f, T_UDP, &a, 800, 800, false, 3);
	LW_CHECK_INT(run(d, DLT_EN10MB, &f, &r), 1);
	LW_CHECK(payload_is(&r, a.b + 8, 1592));
	LW_CHECK_INT(st->frag_reassembled, 3);

	/* Two last fragments that disagree about the end: the datagram is dropped. */
	frag4(&f, T_UDP, &a, 0, 800, true, 4);
	LW_CHECK_INT(run(d, DLT_EN10MB, &f, &r), 0);
	frag4(&f, T_UDP, &a, 1200, 392, false, 4);
	LW_CHECK_INT(run(d, DLT_EN10MB, &f, &r), 0);
	LW_CHECK_INT(st->frag_dropped, 2);
	frag4(&f, T_UDP, &a, 1200, 400, false, 4);
	LW_CHECK_INT(run(d, DLT_EN10MB, &f, &r), -EBADMSG);
	LW_CHECK_INT(st->frag_dropped, 4); /* the two held */
	frag4(&f, T_UDP, &a, 800, 400, true, 4); /* starts afresh: the gap stays */
	LW_CHECK_INT(run(d, DLT_EN10MB, &f, &r), 0);
	frag4(&f, T_UDP, &a, 1200, 392, false, 4);
	LW_CHECK_INT(run(d, DLT_EN10MB, &f, &r), 0);

	/* Data past a known end, an end before data already held, a piece off the 8-byte grid. */
	frag4(&f, T_UDP, &a, 800, 792, false, 5);
	LW_CHECK_INT(run(d, DLT_EN10MB, &f, &r), 0);
	frag4(&f, T_UDP, &a, 800, 800, true, 5);
	LW_CHECK_INT(run(d, DLT_EN10MB, &f, &r), -EBADMSG);
	frag4(&f, T_UDP, &a, 800, 792, true, 6);
	LW_CHECK_INT(run(d, DLT_EN10MB, &f, &r), 0);
	frag4(&f, T_UDP, &a, 400, 400, false, 6);
	LW_CHECK_INT(run(d, DLT_EN10MB, &f, &r), -EBADMSG);
	frag4(&f, T_UDP, &a, 0, 801, true, 7);
	LW_CHECK_INT(run(d, DLT_EN10MB, &f, &r), -EBADMSG);
	frag4(&f, T_UDP, &a, 0, 0, true, 8);
	LW_CHECK_INT(run(d, DLT_EN10MB, &f, &r), -EBADMSG);
	LW_CHECK_INT(st->frag_reassembled, 3);
	lw_decoder_free(d);
}

static void test_frag4_limits(void)
{
	struct lw_decode_config cfg = {.frag_max_datagrams = 2,
				       .frag_max_bytes = 2048,
				       .frag_timeout = 5 * LW_USEC_PER_SEC};
	struct lw_decoder *d = lw_decoder_new(&cfg);
	const struct lw_decode_stats *st = lw_decoder_stats(d);
	struct buf dg, f;
	struct res r;

	big_udp(&dg, 3000, 6);

	/* Timed out: the first part is forgotten, the rest alone never completes. */
	frag4(&f, T_UDP, &dg, 0, 1000, true, 1);
	LW_CHECK_INT(run_wire(d, DLT_EN10MB, &f, 0, 0, &r), 0);
	frag4(&f, T_UDP, &dg, 1000, 1000, true, 1);
	LW_CHECK_INT(run_wire(d, DLT_EN10MB, &f, 0, 6 * LW_USEC_PER_SEC, &r), 0);
	LW_CHECK_INT(st->frag_dropped, 1);
	frag4(&f, T_UDP, &dg, 0, 1000, true, 1);
	LW_CHECK_INT(run_wire(d, DLT_EN10MB, &f, 0, 7 * LW_USEC_PER_SEC, &r), 0);

	/* Over the byte budget (2 KiB): this datagram cannot be held at all. */
	frag4(&f, T_UDP, &dg, 2000, 1008, false, 1);
	LW_CHECK_INT(run_wire(d, DLT_EN10MB, &f, 0, 8 * LW_USEC_PER_SEC, &r), 0);
	LW_CHECK_INT(st->frag_reassembled, 0);
	LW_CHECK(st->frag_dropped >= 3);

	/* A small one still fits afterwards. */
	big_udp(&dg, 1000, 7);
	frag4(&f, T_UDP, &dg, 0, 504, true, 2);
	LW_CHECK_INT(run_wire(d, DLT_EN10MB, &f, 0, 9 * LW_USEC_PER_SEC, &r), 0);
	frag4(&f, T_UDP, &dg, 504, 504, false, 2);
	LW_CHECK_INT(run_wire(d, DLT_EN10MB, &f, 0, 9 * LW_USEC_PER_SEC, &r), 1);
	LW_CHECK(payload_is(&r, dg.b + 8, 1000));

	/* Three datagrams at once with room for two: the oldest gives way. */
	frag4(&f, T_UDP, &dg, 0, 8, true, 10);
	LW_CHECK_INT(run_wire(d, DLT_EN10MB, &f, 0, 10 * LW_USEC_PER_SEC, &r), 0);
	frag4(&f, T_UDP, &dg, 0, 8, true, 11);
	LW_CHECK_INT(run_wire(d, DLT_EN10MB, &f, 0, 11 * LW_USEC_PER_SEC, &r), 0);
	frag4(&f, T_UDP, &dg, 0, 8, true, 12);
	LW_CHECK_INT(run_wire(d, DLT_EN10MB, &f, 0, 12 * LW_USEC_PER_SEC, &r), 0);
	frag4(&f, T_UDP, &dg, 8, 1000, false, 10);
	LW_CHECK_INT(run_wire(d, DLT_EN10MB, &f, 0, 12 * LW_USEC_PER_SEC, &r), 0);
	frag4(&f, T_UDP, &dg, 8, 1000, false, 12);
	LW_CHECK_INT(run_wire(d, DLT_EN10MB, &f, 0, 12 * LW_USEC_PER_SEC, &r), 1);
	LW_CHECK(payload_is(&r, dg.b + 8, 1000));
	lw_decoder_free(d);

	/* A fragment that would make the datagram longer than 65535 bytes. */
	d = lw_decoder_new(NULL);
	frag4(&f, T_UDP, &dg, 0, 48, false, 3);
	f.b[14 + 6] = 0x1f;
	f.b[14 + 7] = 0xfd; /* offset 8189 * 8 = 65512; 20 + 65512 + 48 > 65535 */
	LW_CHECK_INT(run(d, DLT_EN10MB, &f, &r), -EBADMSG);
	f.b[14 + 7] = 0xfa; /* 65488 + 48 + 20 = 65556: still too long */
	LW_CHECK_INT(run(d, DLT_EN10MB, &f, &r), -EBADMSG);
	f.n -= 48 - 24; /* 20 + 65488 + 24 = 65532: fits */
	f.b[14 + 3] = 20 + 24;
	LW_CHECK_INT(run(d, DLT_EN10MB, &f, &r), 0);

	/* A fragment cut by the snap length cannot be used. */
	big_udp(&dg, 3000, 8);
	frag4(&f, T_UDP, &dg, 0, 1480, true, 4);
	f.n = 200;
	LW_CHECK_INT(run_wire(d, DLT_EN10MB, &f, 1514, 0, &r), 0);
	LW_CHECK_INT(lw_decoder_stats(d)->frag_dropped, 1);
	LW_CHECK_INT(lw_decoder_stats(d)->frag_held, 1);
	lw_decoder_free(d);
}

/* A largest-size datagram in 8-byte-aligned pieces comes back whole. */
static void test_frag4_max(void)
{
	struct lw_decoder *d = lw_decoder_new(NULL);
	const size_t total = 65535 - 20; /* IP payload: UDP header + data */
	struct buf f;
	struct lw_packet p;
	size_t off, i, bad = 0;
	int rc = 0;

	for (off = 0; off < total; off += 1480) {
		size_t len = LW_MIN((size_t)1480, total - off);
		bool more = off + len < total;
		struct lw_test_guard_buf g;
		const uint8_t *in;

		f.n = 0;
		eth(&f, 0x0800);
		ipv4_hdr(&f, T_UDP, V4_A, V4_B, len, 77,
			 (more ? 0x2000u : 0) | (unsigned)(off / 8));
		for (i = 0; i < len; i++)
			b_u8(&f, (unsigned)((off + i) * 31 + 7));
		if (off == 0) { /* the UDP length field */
			f.b[14 + 20 + 4] = (uint8_t)(total >> 8);
			f.b[14 + 20 + 5] = (uint8_t)total;
		}
		in = lw_test_guard(f.b, f.n, &g);
		rc = lw_decode_frame(d, DLT_EN10MB, in, f.n, f.n, 0, &p);
		if (more) {
			LW_CHECK_INT(rc, 0);
		} else if (rc == 1) {
			/* The payload lives in the decoder: still readable after the frame is gone. */
			lw_test_unguard(&g);
			LW_CHECK_INT(p.payload_len, total - 8);
			for (i = 0; i < p.payload_len; i++)
				bad += p.payload[i] != (uint8_t)((i + 8) * 31 + 7);
			LW_CHECK_INT(bad, 0);
			continue;
		}
		lw_test_unguard(&g);
	}
	LW_CHECK_INT(rc, 1);
	LW_CHECK_INT(lw_decoder_stats(d)->frag_reassembled, 1);
	lw_decoder_free(d);
}

/* An Ethernet IPv6 frame with [hop-by-hop] + fragment header carrying dg[off, off+len). */
static void frag6(struct buf *f, unsigned nh, const struct buf *dg, size_t off, size_t len,
		  bool more, uint32_t id, bool hbh)
{
	f->n = 0;
	eth(f, 0x86dd);
	ipv6_hdr(f, hbh ? 0 : 44, V6_A, V6_B, (hbh ? 8 : 0) + 8 + len);
	if (hbh)
		ext_hdr(f, 44, 0);
	b_u8(f, nh);
	b_u8(f, 0);
	b_be16(f, (unsigned)off | (more ? 1 : 0));
	b_be32(f, id);
	b_put(f, dg->b + off, len);
}

static void test_frag6(void)
{
	struct lw_decoder *d = lw_decoder_new(NULL);
	const struct lw_decode_stats *st = lw_decoder_stats(d);
	struct buf dg, f, l4, ext = {.n = 0};
	struct res r;

	/* In order, behind a hop-by-hop header. */
	big_udp(&dg, 2500, 9);
	frag6(&f, T_UDP, &dg, 0, 1232, true, 0x11223344, true);
	LW_CHECK_INT(run(d, DLT_EN10MB, &f, &r), 0);
	frag6(&f, T_UDP, &dg, 1232, 1232, true, 0x11223344, true);
	LW_CHECK_INT(run(d, DLT_EN10MB, &f, &r), 0);
	frag6(&f, T_UDP, &dg, 2464, dg.n - 2464, false, 0x11223344, true);
	LW_CHECK_INT(run(d, DLT_EN10MB, &f, &r), 1);
	LW_CHECK_STR(r.src, "2001:db8::1");
	LW_CHECK_INT(r.p.l4, 17);
	LW_CHECK_INT(r.p.dport, 4001);
	LW_CHECK(payload_is(&r, dg.b + 8, 2500));
	LW_CHECK_INT(st->frag_reassembled, 1);
	sweep_any(DLT_EN10MB, &f);

	/*
	 * Out of order, with a destination options header inside the fragmentable part: the next
	 * header comes from the first fragment, and the walk goes on in the reassembled data.
	 */
	l4_tcp(&l4, 0);
	ext_hdr(&ext, T_TCP, 0);
	b_put(&ext, l4.b, l4.n);
	b_pattern(&ext, 64, 1); /* a longer TCP payload */
	frag6(&f, 6, &ext, 48, ext.n - 48, false, 5, false);
	LW_CHECK_INT(run(d, DLT_EN10MB, &f, &r), 0);
	frag6(&f, 60, &ext, 0, 48, true, 5, false);
	LW_CHECK_INT(run(d, DLT_EN10MB, &f, &r), 1);
	LW_CHECK_INT(r.p.l4, 6);
	LW_CHECK_INT(r.p.seq, 0x01020304);
	LW_CHECK_INT(r.p.payload_len, PAYLOAD_LEN + 64);
	LW_CHECK(r.p.payload_len >= PAYLOAD_LEN && memcmp(r.payload, PAYLOAD, PAYLOAD_LEN) == 0);

	/* IPv4 and IPv6 datagrams with the same id do not mix. */
	frag6(&f, T_UDP, &dg, 0, 1232, true, 7, false);
	LW_CHECK_INT(run(d, DLT_EN10MB, &f, &r), 0);
	frag4(&f, T_UDP, &dg, 1232, dg.n - 1232, false, 7);
	LW_CHECK_INT(run(d, DLT_EN10MB, &f, &r), 0);

	/* An atomic fragment (offset 0, no more) is a whole packet. */
	l4_udp(&l4);
	frag6(&f, T_UDP, &l4, 0, l4.n, false, 8, false);
	LW_CHECK_INT(run(d, DLT_EN10MB, &f, &r), 1);
	LW_CHECK(payload_is(&r, PAYLOAD, PAYLOAD_LEN));
	sweep(DLT_EN10MB, &f, 14 + 40 + 8 + 8, PAYLOAD_LEN);
	LW_CHECK_INT(st->frag_held, 5);

	/* Too long once reassembled: hop-by-hop 8 + 65520 + 8 > 65535; at 65512 it fits. */
	frag6(&f, T_UDP, &dg, 0, 8, false, 9, true);
	f.b[14 + 40 + 8 + 2] = 0xff;
	f.b[14 + 40 + 8 + 3] = 0xf0;
	LW_CHECK_INT(run(d, DLT_EN10MB, &f, &r), -EBADMSG);
	f.b[14 + 40 + 8 + 3] = 0xe8;
	LW_CHECK_INT(run(d, DLT_EN10MB, &f, &r), 0);
	LW_CHECK_INT(st->frag_held, 6);
	lw_decoder_free(d);
}

/* ---- tunnels ---- */

static void test_tunnels(void)
{
	struct lw_decoder *d = lw_decoder_new(NULL);
	struct buf l4, in4 = {.n = 0}, in6 = {.n = 0}, mid = {.n = 0}, f;
	struct res r;
	char mac[LW_MAC_STRLEN];

	l4_tcp(&l4, 0);
	ipv4(&in4, T_TCP, V4_C, V4_D, &l4);
	ipv6(&in6, T_TCP, V6_C, V6_D, &l4);

	/* 4in4 */
	f.n = 0;
	eth(&f, 0x0800);
	ipv4(&f, 4, V4_A, V4_B, &in4);
	LW_CHECK_INT(run(d, DLT_EN10MB, &f, &r), 1);
	LW_CHECK_STR(r.src, "10.0.0.1");
	LW_CHECK_STR(r.dst, "10.0.0.2");
	LW_CHECK(r.p.has_mac);
	LW_CHECK_STR(lw_mac_str(&r.p.src_mac, mac), "00:1a:11:22:33:44");
	LW_CHECK(payload_is(&r, PAYLOAD, PAYLOAD_LEN));
	sweep(DLT_EN10MB, &f, 14 + 20 + 20 + 20, PAYLOAD_LEN);

	/* 6in4 */
	f.n = 0;
	eth(&f, 0x0800);
	ipv4(&f, 41, V4_A, V4_B, &in6);
	LW_CHECK_INT(run(d, DLT_EN10MB, &f, &r), 1);
	LW_CHECK_STR(r.src, "fd00::3");
	LW_CHECK_INT(r.p.sport, 49152);
	sweep(DLT_EN10MB, &f, 14 + 20 + 40 + 20, PAYLOAD_LEN);

	/* 4in6 */
	f.n = 0;
	eth(&f, 0x86dd);
	ipv6(&f, 4, V6_A, V6_B, &in4);
	LW_CHECK_INT(run(d, DLT_EN10MB, &f, &r), 1);
	LW_CHECK_STR(r.dst, "10.0.0.2");
	sweep(DLT_EN10MB, &f, 14 + 40 + 20 + 20, PAYLOAD_LEN);

	/* 6in6 */
	f.n = 0;
	eth(&f, 0x86dd);
	ipv6(&f, 41, V6_A, V6_B, &in6);
	LW_CHECK_INT(run(d, DLT_EN10MB, &f, &r), 1);
	LW_CHECK_STR(r.dst, "fd00::4");
	LW_CHECK(payload_is(&r, PAYLOAD, PAYLOAD_LEN));

	/* Two levels (4in6in4) are unwrapped, three are not. */
	ipv6(&mid, 4, V6_A, V6_B, &in4);
	f.n = 0;
	eth(&f, 0x0800);
	ipv4(&f, 41, V4_A, V4_B, &mid);
	LW_CHECK_INT(run(d, DLT_EN10MB, &f, &r), 1);
	LW_CHECK_STR(r.src, "10.0.0.1");
	in6.n = 0;
	ipv4(&in6, 41, V4_A, V4_B, &mid); /* reuse in6 as a third level */
	f.n = 0;
	eth(&f, 0x0800);
	ipv4(&f, 4, V4_A, V4_B, &in6);
	LW_CHECK_INT(run(d, DLT_EN10MB, &f, &r), 0);
	LW_CHECK_INT(lw_decoder_stats(d)->not_tcp_udp, 1);
	LW_CHECK_INT(lw_decoder_stats(d)->ip_packets, 6);

	/* A malformed inner header is malformed. */
	f.n = 0;
	eth(&f, 0x0800);
	ipv4(&f, 4, V4_A, V4_B, &in4);
	f.b[14 + 20] = 0x43; /* IHL 3 */
	LW_CHECK_INT(run(d, DLT_EN10MB, &f, &r), -EBADMSG);

	/* A fragmented outer packet around a tunnel: reassembled, then unwrapped. */
	{
		struct buf big = {.n = 0}, inner = {.n = 0}, fr;

		big_udp(&big, 1800, 11);
		ipv4(&inner, T_UDP, V4_C, V4_D, &big);
		frag4(&fr, 4, &inner, 0, 1000, true, 42);
		LW_CHECK_INT(run(d, DLT_EN10MB, &fr, &r), 0);
		frag4(&fr, 4, &inner, 1000, inner.n - 1000, false, 42);
		LW_CHECK_INT(run(d, DLT_EN10MB, &fr, &r), 1);
		LW_CHECK_STR(r.src, "10.0.0.1");
		LW_CHECK(payload_is(&r, big.b + 8, 1800));
	}
	lw_decoder_free(d);
}

/* VXLAN and GTP-U carry the phones' own packets; what is not IP inside stays the outer UDP. */
static void test_udp_tunnels(void)
{
	static const uint8_t inner_mac[6] = {0x3c, 0x28, 0x6d, 0x00, 0x00, 0x07};
	struct lw_decoder *d = lw_decoder_new(NULL);
	struct buf l4, in4 = {.n = 0}, tun = {.n = 0}, udp = {.n = 0}, f;
	struct res r;
	char mac[LW_MAC_STRLEN];

	l4_tcp(&l4, 0);
	ipv4(&in4, T_TCP, V4_C, V4_D, &l4);

	/* VXLAN: flags I, VNI 42, then an Ethernet frame from the phone */
	b_u8(&tun, 0x08);
	b_put(&tun, "\0\0\0\0\0\x2a\0", 7);
	b_put(&tun, MAC_DST, 6);
	b_put(&tun, inner_mac, 6);
	b_be16(&tun, 0x0800);
	b_put(&tun, in4.b, in4.n);
	udp_dgram(&udp, 51000, 4789, tun.b, tun.n);
	f.n = 0;
	eth(&f, 0x0800);
	ipv4(&f, T_UDP, V4_A, V4_B, &udp);
	LW_CHECK_INT(run(d, DLT_EN10MB, &f, &r), 1);
	LW_CHECK_STR(r.src, "10.0.0.1");
	LW_CHECK_INT(r.p.l4, T_TCP);
	LW_CHECK_INT(r.p.dport, 80);
	LW_CHECK_STR(lw_mac_str(&r.p.src_mac, mac), "3c:28:6d:00:00:07");
	LW_CHECK(payload_is(&r, PAYLOAD, PAYLOAD_LEN));
	sweep_any(DLT_EN10MB, &f);

	/* VXLAN without the I flag: just UDP */
	f.b[14 + 20 + 8] = 0;
	LW_CHECK_INT(run(d, DLT_EN10MB, &f, &r), 1);
	LW_CHECK_INT(r.p.l4, T_UDP);
	LW_CHECK_INT(r.p.dport, 4789);

	/* GTP-U T-PDU with a sequence number and one extension header, then IPv4 */
	tun.n = 0;
	b_u8(&tun, 0x36); /* version 1, PT, E, S */
	b_u8(&tun, 0xff);
	b_be16(&tun, (unsigned)(4 + 4 + in4.n));
	b_be32(&tun, 0x11223344);
	b_be16(&tun, 7); /* sequence */
	b_u8(&tun, 0); /* N-PDU */
	b_u8(&tun, 0x85); /* next: PDU session container */
	b_u8(&tun, 1); /* 4 bytes */
	b_be16(&tun, 0x0001);
	b_u8(&tun, 0); /* no more */
	b_put(&tun, in4.b, in4.n);
	udp.n = 0;
	udp_dgram(&udp, 2152, 2152, tun.b, tun.n);
	f.n = 0;
	eth(&f, 0x0800);
	ipv4(&f, T_UDP, V4_A, V4_B, &udp);
	LW_CHECK_INT(run(d, DLT_EN10MB, &f, &r), 1);
	LW_CHECK_STR(r.dst, "10.0.0.2");
	LW_CHECK_INT(r.p.l4, T_TCP);
	LW_CHECK(payload_is(&r, PAYLOAD, PAYLOAD_LEN));
	sweep_any(DLT_EN10MB, &f);

	/* GTP-U signalling (type 1, echo request) is not a T-PDU: the outer UDP */
	f.b[14 + 20 + 8 + 1] = 1;
	LW_CHECK_INT(run(d, DLT_EN10MB, &f, &r), 1);
	LW_CHECK_INT(r.p.l4, T_UDP);
	LW_CHECK_INT(r.p.sport, 2152);
	lw_decoder_free(d);
}

int main(void)
{
	LW_TEST(test_ether_ipv4_tcp);
	LW_TEST(test_ether_ipv4_udp_padding);
	LW_TEST(test_truncated_capture);
	LW_TEST(test_vlan);
	LW_TEST(test_not_ip);
	LW_TEST(test_malformed);
	LW_TEST(test_ipv6_ext);
	LW_TEST(test_link_types);
	LW_TEST(test_frag4_in_order);
	LW_TEST(test_frag4_out_of_order);
	LW_TEST(test_frag4_overlap_dup);
	LW_TEST(test_frag4_limits);
	LW_TEST(test_frag4_max);
	LW_TEST(test_frag6);
	LW_TEST(test_tunnels);
	LW_TEST(test_udp_tunnels);
	return lw_test_end();
}
