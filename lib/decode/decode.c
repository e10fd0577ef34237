/* SPDX-License-Identifier: MIT */
/*
 * decode: one captured frame -> link layer -> IPv4/IPv6 -> TCP/UDP.
 *
 * Link layers (https://www.tcpdump.org/linktypes.html):
 *   Ethernet II (IEEE 802.3), tags 802.1Q 0x8100 / 802.1ad 0x88a8 / old QinQ 0x9100:
 *     | dst (6) | src (6) | [ TPID (2) | PCP DEI VID (2) ]... | EtherType (2) | payload
 *   Linux cooked v1 (LINKTYPE_LINUX_SLL), 16 bytes:
 *     | packet type (2) | ARPHRD (2) | addr len (2) | addr (8) | protocol (2) |
 *   Linux cooked v2 (LINKTYPE_LINUX_SLL2), 20 bytes:
 *     | protocol (2) | reserved (2) | ifindex (4) | ARPHRD (2) | pkt type (1) | addr len (1) |
 *     | addr (8) |
 *   BSD loopback: | address family (4, host order for NULL, network order for LOOP) |
 *   PPP (RFC 1661/1662): | [ff 03] | protocol (1 or 2) |;  Cisco HDLC: | 0f/8f | 00 | type (2) |
 *   PPPoE session (RFC 2516): | ver/type (1) | code (1) | session (2) | length (2) | PPP proto (2) |
 *   MPLS (RFC 3032): | label (20) | TC (3) | S (1) | TTL (8) |... then IP, told by its version.
 *
 * IPv4 (RFC 791):
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |Version|  IHL  |Type of Service|          Total Length         |
 *   |         Identification        |Flags|      Fragment Offset    |
 *   |  Time to Live |    Protocol   |         Header Checksum       |
 *   |                       Source Address                          |
 *   |                    Destination Address                        |
 *   |                    Options                    |    Padding    |
 *
 * IPv6 (RFC 8200):
 *   |Version| Traffic Class |           Flow Label                  |
 *   |         Payload Length        |  Next Header  |   Hop Limit   |
 *   |                 Source Address (16)                           |
 *   |              Destination Address (16)                         |
 *   extension headers: | Next Header | Hdr Ext Len | ... | (AH, RFC 4302: length in 4-byte units)
 *
 * TCP (RFC 9293):
 *   |          Source Port          |       Destination Port        |
 *   |                        Sequence Number                        |
 *   |                    Acknowledgment Number                      |
 *   |  Data |       |C|E|U|A|P|R|S|F|                               |
 *   | Offset| Rsrvd |W|C|R|C|S|S|Y|I|            Window             |
 *   |           Checksum            |         Urgent Pointer        |
 *
 * UDP (RFC 768): | Source Port | Destination Port | Length | Checksum |
 *
 * Checksums are never validated: offloading makes them wrong in most captures.
 * Lengths in headers only ever shorten what was captured (Ethernet padding); a capture cut
 * short by the snap length is delivered as far as it goes once the TCP/UDP header is whole.
 */
#include "decode/decode.h"
#include "core/cursor.h"
#include "decode/frag.h"

#include <errno.h>
#include <pcap/dlt.h>
#include <stdlib.h>
#include <string.h>

/* Limits on what a peer controls. */
#define LW_DECODE_MAX_VLAN_TAGS 4 /* 802.1Q / QinQ tags in one frame */
#define LW_DECODE_MAX_MPLS_LABELS 8 /* MPLS label stack depth */
#define LW_DECODE_MAX_EXT_HEADERS 8 /* IPv6 extension headers, reassembled part included */
#define LW_DECODE_MAX_TUNNEL_DEPTH 2 /* IP-in-IP levels unwrapped below the outer header */

#define LW_DECODE_DEFAULT_FRAG_DATAGRAMS 64
#define LW_DECODE_DEFAULT_FRAG_BYTES (1024 * 1024)
#define LW_DECODE_DEFAULT_FRAG_TIMEOUT (30 * LW_USEC_PER_SEC)

/* Link types that pcap/dlt.h spells differently or not at all on Linux. */
#define LW_DLT_RAW_OPENBSD 14 /* DLT_RAW as OpenBSD numbers it */
#define LW_LINKTYPE_RAW 101 /* LINKTYPE_RAW as stored in files */

#define ETH_TYPE_IPV4 0x0800
#define ETH_TYPE_IPV6 0x86dd
#define ETH_TYPE_8021Q 0x8100
#define ETH_TYPE_8021AD 0x88a8
#define ETH_TYPE_QINQ 0x9100
#define ETH_TYPE_MPLS 0x8847
#define ETH_TYPE_MPLS_MC 0x8848
#define ETH_TYPE_PPPOE_SESSION 0x8864

#define PPP_PROTO_IPV4 0x0021
#define PPP_PROTO_IPV6 0x0057

#define ARPHRD_TYPE_ETHER 1

#define IPPROTO_NUM_HOPOPTS 0
#define IPPROTO_NUM_IPIP 4
#define IPPROTO_NUM_TCP 6
#define IPPROTO_NUM_UDP 17
#define IPPROTO_NUM_IPV6 41
#define IPPROTO_NUM_ROUTING 43
#define IPPROTO_NUM_FRAGMENT 44
#define IPPROTO_NUM_AH 51
#define IPPROTO_NUM_NONE 59
#define IPPROTO_NUM_DSTOPTS 60

struct lw_decoder {
	struct lw_decode_stats st;
	struct lw_frag_table *frag;
	unsigned udp_tunnels; /* UDP encapsulations being unwrapped now (VXLAN, GTP-U) */
};

/* How a frame ended; lw_decode_frame() turns it into a count and a return value. */
enum outcome {
	OUT_PACKET, /* a TCP/UDP packet is in *out */
	OUT_NOT_IP, /* not IP */
	OUT_NOT_L4, /* IP, but not TCP/UDP */
	OUT_FRAG, /* taken by reassembly, or a fragment dropped (already counted) */
	OUT_MALFORMED, /* truncated or inconsistent */
};

static enum outcome decode_ipv4(struct lw_decoder *d, struct lw_cursor *c, struct lw_packet *out,
				unsigned depth);
static enum outcome decode_ipv6(struct lw_decoder *d, struct lw_cursor *c, struct lw_packet *out,
				unsigned depth);

struct lw_decoder *lw_decoder_new(const struct lw_decode_config *cfg)
{
	struct lw_decode_config c = {
		.frag_max_datagrams = LW_DECODE_DEFAULT_FRAG_DATAGRAMS,
		.frag_max_bytes = LW_DECODE_DEFAULT_FRAG_BYTES,
		.frag_timeout = LW_DECODE_DEFAULT_FRAG_TIMEOUT,
	};
	struct lw_decoder *d;

	if (cfg) {
		if (cfg->frag_max_datagrams)
			c.frag_max_datagrams = cfg->frag_max_datagrams;
		if (cfg->frag_max_bytes)
			c.frag_max_bytes = cfg->frag_max_bytes;
		if (cfg->frag_timeout > 0)
			c.frag_timeout = cfg->frag_timeout;
	}
	d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	d->frag = lw_frag_new(&c, &d->st);
	if (!d->frag) {
		free(d);
		return NULL;
	}
	return d;
}

void lw_decoder_free(struct lw_decoder *d)
{
	if (!d)
		return;
	lw_frag_free(d->frag);
	free(d);
}

const struct lw_decode_stats *lw_decoder_stats(const struct lw_decoder *d)
{
	return &d->st;
}

bool lw_decode_linktype_supported(int dlt)
{
	switch (dlt) {
	case DLT_NULL:
	case DLT_EN10MB:
	case DLT_PPP:
	case DLT_RAW:
	case LW_DLT_RAW_OPENBSD:
	case DLT_PPP_SERIAL:
	case LW_LINKTYPE_RAW:
	case DLT_C_HDLC:
	case DLT_LOOP:
	case DLT_LINUX_SLL:
	case DLT_IPV4:
	case DLT_IPV6:
	case DLT_LINUX_SLL2:
		return true;
	}
	return false;
}

/* ---- transport ---- */

static enum outcome decode_tcp(struct lw_cursor *c, struct lw_packet *out)
{
	unsigned doff;

	out->sport = lw_cursor_be16(c);
	out->dport = lw_cursor_be16(c);
	out->seq = lw_cursor_be32(c);
	out->ack = lw_cursor_be32(c);
	doff = (unsigned)(lw_cursor_u8(c) >> 4) * 4;
	out->tcp_flags = lw_cursor_u8(c);
	lw_cursor_skip(c, 6); /* window, checksum, urgent pointer */
	if (c->err || doff < 20)
		return OUT_MALFORMED;
	lw_cursor_skip(c, doff - 20); /* options: the header must be complete */
	if (c->err)
		return OUT_MALFORMED;
	out->l4 = IPPROTO_NUM_TCP;
	out->payload = c->p;
	out->payload_len = lw_cursor_left(c);
	return OUT_PACKET;
}

static enum outcome decode_udp(struct lw_cursor *c, struct lw_packet *out)
{
	size_t len, avail;

	out->sport = lw_cursor_be16(c);
	out->dport = lw_cursor_be16(c);
	len = lw_cursor_be16(c);
	lw_cursor_skip(c, 2); /* checksum */
	if (c->err)
		return OUT_MALFORMED;
	avail = lw_cursor_left(c);
	if (len == 0) {
		len = avail; /* RFC 2675 jumbogram, or segmentation offload: the IP length rules */
	} else if (len < 8) {
		return OUT_MALFORMED;
	} else {
		/* Shorter trims padding; longer than captured: keep what was captured. */
		len = LW_MIN(len - 8, avail);
	}
	out->l4 = IPPROTO_NUM_UDP;
	out->payload = c->p;
	out->payload_len = len;
	return OUT_PACKET;
}

/* c covers exactly the IP payload; proto is what the IP layer says it holds. */
static enum outcome decode_ether(struct lw_decoder *d, struct lw_cursor *c, struct lw_packet *out);
static enum outcome decode_ip_by_version(struct lw_decoder *d, struct lw_cursor *c,
					 struct lw_packet *out, enum outcome other);

/*
 * UDP encapsulations whose inner traffic is the phones' own (mobile core and overlay
 * captures): VXLAN (RFC 7348, UDP 4789: 8-byte header, then an Ethernet frame) and GTP-U
 * (3GPP TS 29.281, UDP 2152: flags, type 255 = T-PDU, length, TEID, optional sequence / N-PDU
 * / extension headers, then an IP packet).
 *
 *   VXLAN:  |R|R|R|R|I|R|R|R|  reserved (24)  |  VNI (24)  | reserved (8) |
 *   GTP-U:  |ver(3)|PT|*|E|S|PN| type | length (16) | TEID (32) | [seq(16) npdu(8) next(8)]
 *
 * When the inside is not IP (or is malformed) the outer UDP packet is returned as it was.
 */
#define VXLAN_PORT 4789
#define GTPU_PORT 2152
#define GTPU_MAX_EXT_HEADERS 8

static enum outcome decode_gtpu(struct lw_decoder *d, struct lw_cursor *c, struct lw_packet *out)
{
	uint8_t flags = lw_cursor_u8(c), type = lw_cursor_u8(c), next;
	unsigned n;

	lw_cursor_skip(c, 6); /* length, TEID */
	if (c->err || (flags >> 5) != 1 || !(flags & 0x10) || type != 0xff)
		return OUT_NOT_IP;
	if (flags & 0x07) {
		lw_cursor_skip(c, 3); /* sequence number, N-PDU number */
		next = lw_cursor_u8(c);
		for (n = 0; next && n < GTPU_MAX_EXT_HEADERS; n++) {
			size_t len = (size_t)lw_cursor_u8(c) * 4;

			if (len == 0)
				return OUT_MALFORMED;
			lw_cursor_skip(c, len - 2);
			next = lw_cursor_u8(c);
		}
		if (next || c->err)
			return OUT_MALFORMED;
	}
	return decode_ip_by_version(d, c, out, OUT_NOT_IP);
}

static enum outcome decode_udp_tunnel(struct lw_decoder *d, struct lw_packet *out)
{
	struct lw_cursor c = lw_cursor_make(out->payload, out->payload_len);
	struct lw_packet outer = *out;
	enum outcome r = OUT_NOT_IP;

	if (d->udp_tunnels >= LW_DECODE_MAX_TUNNEL_DEPTH ||
	    (out->dport != VXLAN_PORT && out->sport != GTPU_PORT && out->dport != GTPU_PORT))
		return OUT_PACKET;
	d->udp_tunnels++;
	if (out->dport == VXLAN_PORT) {
		uint8_t flags = lw_cursor_u8(&c);

		lw_cursor_skip(&c, 7);
		if (!c.err && (flags & 0x08))
			r = decode_ether(d, &c, out);
	} else {
		r = decode_gtpu(d, &c, out);
	}
	d->udp_tunnels--;
	if (r == OUT_PACKET || r == OUT_FRAG)
		return r;
	*out = outer;
	return OUT_PACKET;
}

static enum outcome decode_transport(struct lw_decoder *d, struct lw_cursor *c,
				     struct lw_packet *out, uint8_t proto, unsigned depth)
{
	switch (proto) {
	case IPPROTO_NUM_TCP:
		return decode_tcp(c, out);
	case IPPROTO_NUM_UDP: {
		enum outcome r = decode_udp(c, out);

		return r == OUT_PACKET ? decode_udp_tunnel(d, out) : r;
	}
	case IPPROTO_NUM_IPIP:
		if (depth >= LW_DECODE_MAX_TUNNEL_DEPTH)
			return OUT_NOT_L4;
		return decode_ipv4(d, c, out, depth + 1);
	case IPPROTO_NUM_IPV6:
		if (depth >= LW_DECODE_MAX_TUNNEL_DEPTH)
			return OUT_NOT_L4;
		return decode_ipv6(d, c, out, depth + 1);
	}
	return OUT_NOT_L4;
}

/* ---- IP ---- */

static enum outcome frag_verdict(struct lw_decoder *d, const struct lw_frag_piece *piece,
				 struct lw_cursor *body, uint8_t *proto)
{
	struct lw_frag_done done;

	switch (lw_frag_add(d->frag, piece, &done)) {
	case LW_FRAG_HELD:
	case LW_FRAG_DROPPED:
		return OUT_FRAG;
	case LW_FRAG_BAD:
		return OUT_MALFORMED;
	case LW_FRAG_DONE:
		*body = lw_cursor_make(done.data, done.len);
		*proto = done.proto;
		return OUT_PACKET;
	}
	return OUT_MALFORMED;
}

static enum outcome decode_ipv4(struct lw_decoder *d, struct lw_cursor *c, struct lw_packet *out,
				unsigned depth)
{
	struct lw_frag_piece piece;
	struct lw_cursor body;
	const uint8_t *src, *dst;
	size_t hlen, totlen, plen, avail;
	unsigned fragw;
	uint8_t vihl, proto;
	uint16_t id;

	if (depth == 0)
		d->st.ip_packets++;
	vihl = lw_cursor_u8(c);
	lw_cursor_skip(c, 1); /* type of service */
	totlen = lw_cursor_be16(c);
	id = lw_cursor_be16(c);
	fragw = lw_cursor_be16(c);
	lw_cursor_skip(c, 1); /* TTL */
	proto = lw_cursor_u8(c);
	lw_cursor_skip(c, 2); /* checksum */
	src = lw_cursor_bytes(c, 4);
	dst = lw_cursor_bytes(c, 4);
	if (c->err || vihl >> 4 != 4)
		return OUT_MALFORMED;
	hlen = (size_t)(vihl & 0x0f) * 4;
	if (hlen < 20)
		return OUT_MALFORMED;
	lw_cursor_skip(c, hlen - 20); /* options */
	if (c->err)
		return OUT_MALFORMED;
	lw_addr_from_v4(&out->src, src);
	lw_addr_from_v4(&out->dst, dst);

	avail = lw_cursor_left(c);
	if (totlen == 0) {
		/* Segmentation offload on the capturing host leaves the length to the NIC. */
		plen = avail;
	} else {
		if (totlen < hlen)
			return OUT_MALFORMED;
		plen = totlen - hlen;
		if (plen > avail) {
			out->truncated = true;
			plen = avail;
		}
	}
	body = lw_cursor_make(c->p, plen);

	if (fragw & 0x3fff) { /* MF or an offset: a fragment */
		enum outcome r;

		if (out->truncated) {
			/* A fragment cut by the snap length cannot be put back together. */
			d->st.frag_dropped++;
			return OUT_FRAG;
		}
		memset(&piece, 0, sizeof(piece));
		piece.key.family = 4;
		piece.key.proto = proto;
		piece.key.id = id;
		memcpy(piece.key.src, src, 4);
		memcpy(piece.key.dst, dst, 4);
		piece.offset = (fragw & 0x1fff) * 8u;
		piece.data = body.p;
		piece.len = plen;
		piece.more = fragw & 0x2000;
		piece.proto = proto;
		piece.max_len = (uint32_t)(LW_FRAG_MAX_DATAGRAM - hlen);
		piece.ts = out->ts;
		r = frag_verdict(d, &piece, &body, &proto);
		if (r != OUT_PACKET)
			return r;
	}
	return decode_transport(d, &body, out, proto, depth);
}

static enum outcome decode_ipv6(struct lw_decoder *d, struct lw_cursor *c, struct lw_packet *out,
				unsigned depth)
{
	struct lw_frag_piece piece;
	struct lw_cursor body;
	const uint8_t *src, *dst;
	size_t plen, avail, unfrag = 0;
	uint32_t vtf;
	uint8_t nh;
	unsigned n;
	bool reassembled = false;

	if (depth == 0)
		d->st.ip_packets++;
	vtf = lw_cursor_be32(c);
	plen = lw_cursor_be16(c);
	nh = lw_cursor_u8(c);
	lw_cursor_skip(c, 1); /* hop limit */
	src = lw_cursor_bytes(c, 16);
	dst = lw_cursor_bytes(c, 16);
	if (c->err || vtf >> 28 != 6)
		return OUT_MALFORMED;
	lw_addr_from_v6(&out->src, src);
	lw_addr_from_v6(&out->dst, dst);

	avail = lw_cursor_left(c);
	if (plen == 0) {
		plen = avail; /* jumbogram (RFC 2675) or segmentation offload */
	} else if (plen > avail) {
		out->truncated = true;
		plen = avail;
	}
	body = lw_cursor_make(c->p, plen);

	for (n = 0;; n++) {
		uint8_t next, hl;
		unsigned fo;
		uint32_t id;
		size_t size;

		switch (nh) {
		case IPPROTO_NUM_HOPOPTS:
		case IPPROTO_NUM_ROUTING:
		case IPPROTO_NUM_DSTOPTS:
		case IPPROTO_NUM_AH:
			if (n >= LW_DECODE_MAX_EXT_HEADERS)
				return OUT_MALFORMED;
			next = lw_cursor_u8(&body);
			hl = lw_cursor_u8(&body);
			size = nh == IPPROTO_NUM_AH ? ((size_t)hl + 2) * 4 : ((size_t)hl + 1) * 8;
			lw_cursor_skip(&body, size - 2);
			if (body.err)
				return OUT_MALFORMED;
			if (!reassembled)
				unfrag += size;
			nh = next;
			continue;
		case IPPROTO_NUM_FRAGMENT:
			if (n >= LW_DECODE_MAX_EXT_HEADERS)
				return OUT_MALFORMED;
			next = lw_cursor_u8(&body);
			lw_cursor_skip(&body, 1);
			fo = lw_cursor_be16(&body);
			id = lw_cursor_be32(&body);
			if (body.err)
				return OUT_MALFORMED;
			if ((fo & 0xfff9) == 0) {
				nh = next; /* atomic fragment (RFC 6946): a whole packet */
				continue;
			}
			if (reassembled)
				return OUT_MALFORMED; /* a fragment inside a fragment */
			if (out->truncated) {
				d->st.frag_dropped++;
				return OUT_FRAG;
			}
			memset(&piece, 0, sizeof(piece));
			piece.key.family = 6;
			piece.key.id = id;
			memcpy(piece.key.src, src, 16);
			memcpy(piece.key.dst, dst, 16);
			piece.offset = fo & 0xfff8;
			piece.data = body.p;
			piece.len = lw_cursor_left(&body);
			piece.more = fo & 1;
			piece.proto = next;
			/* The payload length field covers the unfragmentable headers too. */
			piece.max_len = (uint32_t)(LW_FRAG_MAX_DATAGRAM - LW_MIN(unfrag, 65535));
			piece.ts = out->ts;
			{
				enum outcome r = frag_verdict(d, &piece, &body, &nh);

				if (r != OUT_PACKET)
					return r;
			}
			reassembled = true;
			continue;
		case IPPROTO_NUM_NONE:
			return OUT_NOT_L4;
		}
		return decode_transport(d, &body, out, nh, depth);
	}
}

/* ---- link layers ---- */

/* For links that carry bare IP: the version nibble says which. */
static enum outcome decode_ip_by_version(struct lw_decoder *d, struct lw_cursor *c,
					 struct lw_packet *out, enum outcome other)
{
	if (!lw_cursor_has(c, 1))
		return OUT_MALFORMED;
	switch (c->p[0] >> 4) {
	case 4:
		return decode_ipv4(d, c, out, 0);
	case 6:
		return decode_ipv6(d, c, out, 0);
	}
	return other;
}

static enum outcome decode_mpls(struct lw_decoder *d, struct lw_cursor *c, struct lw_packet *out)
{
	unsigned n;

	for (n = 0; n < LW_DECODE_MAX_MPLS_LABELS; n++) {
		uint32_t lse = lw_cursor_be32(c);

		if (c->err)
			return OUT_MALFORMED;
		if (lse & 0x100) /* bottom of stack */
			/* Pseudowires (Ethernet with a control word) are not IP: not_ip. */
			return decode_ip_by_version(d, c, out, OUT_NOT_IP);
	}
	return OUT_MALFORMED;
}

static enum outcome decode_ppp_proto(struct lw_decoder *d, struct lw_cursor *c,
				     struct lw_packet *out, unsigned proto)
{
	switch (proto) {
	case PPP_PROTO_IPV4:
		return decode_ipv4(d, c, out, 0);
	case PPP_PROTO_IPV6:
		return decode_ipv6(d, c, out, 0);
	}
	return OUT_NOT_IP;
}

static enum outcome decode_pppoe(struct lw_decoder *d, struct lw_cursor *c, struct lw_packet *out)
{
	struct lw_cursor body;
	uint8_t vt, code;
	size_t len;
	unsigned proto;

	vt = lw_cursor_u8(c);
	code = lw_cursor_u8(c);
	lw_cursor_skip(c, 2); /* session id */
	len = lw_cursor_be16(c);
	if (c->err || vt != 0x11 || code != 0)
		return OUT_MALFORMED;
	body = lw_cursor_make(c->p, LW_MIN(len, lw_cursor_left(c))); /* trims padding */
	proto = lw_cursor_be16(&body);
	if (body.err)
		return OUT_MALFORMED;
	return decode_ppp_proto(d, &body, out, proto);
}

/* After the link header: VLAN tags, then what the EtherType says. */
static enum outcome decode_ethertype(struct lw_decoder *d, struct lw_cursor *c,
				     struct lw_packet *out, unsigned type)
{
	unsigned tags = 0;

	while (type == ETH_TYPE_8021Q || type == ETH_TYPE_8021AD || type == ETH_TYPE_QINQ) {
		unsigned tci;

		if (++tags > LW_DECODE_MAX_VLAN_TAGS)
			return OUT_MALFORMED;
		tci = lw_cursor_be16(c);
		type = lw_cursor_be16(c);
		if (c->err)
			return OUT_MALFORMED;
		if (tags == 1)
			out->vlan = tci & 0x0fff;
	}
	switch (type) {
	case ETH_TYPE_IPV4:
		return decode_ipv4(d, c, out, 0);
	case ETH_TYPE_IPV6:
		return decode_ipv6(d, c, out, 0);
	case ETH_TYPE_MPLS:
	case ETH_TYPE_MPLS_MC:
		return decode_mpls(d, c, out);
	case ETH_TYPE_PPPOE_SESSION:
		return decode_pppoe(d, c, out);
	}
	/* ARP, LLDP, ..., and 802.3 lengths (< 0x600) with LLC/SNAP behind them. */
	return OUT_NOT_IP;
}

static enum outcome decode_ether(struct lw_decoder *d, struct lw_cursor *c, struct lw_packet *out)
{
	unsigned type;

	lw_cursor_copy(c, out->dst_mac.b, 6);
	lw_cursor_copy(c, out->src_mac.b, 6);
	type = lw_cursor_be16(c);
	if (c->err)
		return OUT_MALFORMED;
	out->has_mac = true;
	return decode_ethertype(d, c, out, type);
}

/* SLL and SLL2 carry one address: the sender's, an Ethernet MAC when ARPHRD says so. */
static void sll_mac(struct lw_packet *out, unsigned hatype, unsigned halen, const uint8_t *addr)
{
	if (addr && hatype == ARPHRD_TYPE_ETHER && halen == 6) {
		memcpy(out->src_mac.b, addr, 6);
		out->has_mac = true;
	}
}

static enum outcome decode_sll(struct lw_decoder *d, struct lw_cursor *c, struct lw_packet *out)
{
	unsigned hatype, halen, proto;
	const uint8_t *addr;

	lw_cursor_skip(c, 2); /* packet type */
	hatype = lw_cursor_be16(c);
	halen = lw_cursor_be16(c);
	addr = lw_cursor_bytes(c, 8);
	proto = lw_cursor_be16(c);
	if (c->err)
		return OUT_MALFORMED;
	sll_mac(out, hatype, halen, addr);
	return decode_ethertype(d, c, out, proto);
}

static enum outcome decode_sll2(struct lw_decoder *d, struct lw_cursor *c, struct lw_packet *out)
{
	unsigned hatype, halen, proto;
	const uint8_t *addr;

	proto = lw_cursor_be16(c);
	lw_cursor_skip(c, 2 + 4); /* reserved, interface index */
	hatype = lw_cursor_be16(c);
	lw_cursor_skip(c, 1); /* packet type */
	halen = lw_cursor_u8(c);
	addr = lw_cursor_bytes(c, 8);
	if (c->err)
		return OUT_MALFORMED;
	sll_mac(out, hatype, halen, addr);
	return decode_ethertype(d, c, out, proto);
}

static bool af_is_inet6(uint32_t af)
{
	/* Linux, NetBSD/OpenBSD, FreeBSD, macOS: the capturing OS wrote its own AF_INET6. */
	return af == 10 || af == 24 || af == 28 || af == 30;
}

/*
 * DLT_NULL stores the family in the capturing host's byte order, which the file does not
 * record; DLT_LOOP uses network order but is read the same way since the values cannot clash.
 */
static enum outcome decode_null(struct lw_decoder *d, struct lw_cursor *c, struct lw_packet *out)
{
	uint32_t le, be;

	if (!lw_cursor_has(c, 4))
		return OUT_MALFORMED;
	be = (uint32_t)c->p[0] << 24 | (uint32_t)c->p[1] << 16 | (uint32_t)c->p[2] << 8 | c->p[3];
	le = lw_cursor_le32(c);
	if (le == 2 || be == 2)
		return decode_ipv4(d, c, out, 0);
	if (af_is_inet6(le) || af_is_inet6(be))
		return decode_ipv6(d, c, out, 0);
	return OUT_NOT_IP;
}

static enum outcome decode_chdlc(struct lw_decoder *d, struct lw_cursor *c, struct lw_packet *out)
{
	unsigned type;

	lw_cursor_skip(c, 2); /* address (0x0f unicast, 0x8f broadcast), control */
	type = lw_cursor_be16(c);
	if (c->err)
		return OUT_MALFORMED;
	return decode_ethertype(d, c, out, type); /* SLARP and CDP fall out as not_ip */
}

static enum outcome decode_ppp(struct lw_decoder *d, struct lw_cursor *c, struct lw_packet *out)
{
	unsigned proto;

	if (!lw_cursor_has(c, 2))
		return OUT_MALFORMED;
	/* Some routers write Cisco HDLC frames under the PPP link types (as nDPI also assumes). */
	if (c->p[0] == 0x0f || c->p[0] == 0x8f)
		return decode_chdlc(d, c, out);
	if (c->p[0] == 0xff && c->p[1] == 0x03)
		lw_cursor_skip(c, 2); /* RFC 1662 address and control */
	proto = lw_cursor_u8(c);
	if (!(proto & 1)) /* RFC 1661 §2: an odd first octet is a compressed 1-octet protocol */
		proto = proto << 8 | lw_cursor_u8(c);
	if (c->err)
		return OUT_MALFORMED;
	return decode_ppp_proto(d, c, out, proto);
}

int lw_decode_frame(struct lw_decoder *d, int dlt, const uint8_t *frame, size_t caplen,
		    size_t wire_len, lw_time_us ts, struct lw_packet *out)
{
	struct lw_cursor c = lw_cursor_make(frame, caplen);
	enum outcome r;

	memset(out, 0, sizeof(*out));
	out->ts = ts;
	out->wire_len = wire_len;
	d->st.frames++;

	switch (dlt) {
	case DLT_EN10MB:
		r = decode_ether(d, &c, out);
		break;
	case DLT_LINUX_SLL:
		r = decode_sll(d, &c, out);
		break;
	case DLT_LINUX_SLL2:
		r = decode_sll2(d, &c, out);
		break;
	case DLT_RAW:
	case LW_DLT_RAW_OPENBSD:
	case LW_LINKTYPE_RAW:
		r = decode_ip_by_version(d, &c, out, OUT_MALFORMED);
		break;
	case DLT_IPV4:
		r = decode_ipv4(d, &c, out, 0);
		break;
	case DLT_IPV6:
		r = decode_ipv6(d, &c, out, 0);
		break;
	case DLT_NULL:
	case DLT_LOOP:
		r = decode_null(d, &c, out);
		break;
	case DLT_PPP:
	case DLT_PPP_SERIAL:
		r = decode_ppp(d, &c, out);
		break;
	case DLT_C_HDLC:
		r = decode_chdlc(d, &c, out);
		break;
	default:
		d->st.bad_linktype++;
		return -EPROTONOSUPPORT;
	}

	switch (r) {
	case OUT_PACKET:
		return 1;
	case OUT_NOT_IP:
		d->st.not_ip++;
		return 0;
	case OUT_NOT_L4:
		d->st.not_tcp_udp++;
		return 0;
	case OUT_FRAG:
		return 0;
	case OUT_MALFORMED:
		break;
	}
	d->st.malformed++;
	return -EBADMSG;
}
