/* SPDX-License-Identifier: MIT */
/*
 * decode: one captured frame -> one IPv4/IPv6 TCP or UDP packet, ready for the flow table.
 *
 * Link types: Ethernet (DLT_EN10MB, with 802.1Q / 802.1ad / QinQ tags, MPLS, PPPoE), Linux SLL
 * (DLT_LINUX_SLL), SLL2 (DLT_LINUX_SLL2), raw IP (DLT_RAW, LINKTYPE_RAW, LINKTYPE_IPV4,
 * LINKTYPE_IPV6), BSD null/loopback (DLT_NULL, DLT_LOOP), PPP (DLT_PPP, DLT_PPP_SERIAL) and
 * Cisco HDLC (DLT_C_HDLC).  IPv4 fragments are reassembled within fixed bounds; IPv6 extension
 * headers are walked (hop-by-hop, routing, destination options, fragment — IPv6 fragments
 * reassembled the same way as IPv4).  Checksums are never validated.
 *
 * Tunnels (IP-in-IP 4in4/6in4/4in6/6in6, GRE is not handled) are unwrapped up to two levels:
 * the inner packet (addresses, ports) is what is returned; MACs and VLAN stay the outer ones.
 */
#ifndef LW_DECODE_H
#define LW_DECODE_H

#include "core/types.h"

struct lw_packet {
	lw_time_us ts;
	size_t wire_len; /* length on the wire (frame) */
	bool has_mac; /* link layer carried Ethernet-style addresses */
	struct lw_mac src_mac;
	struct lw_mac dst_mac;
	uint16_t vlan; /* outermost VLAN id, 0 if none */
	struct lw_addr src; /* IP addresses */
	struct lw_addr dst;
	uint8_t l4; /* 6 = TCP, 17 = UDP */
	uint16_t sport;
	uint16_t dport;
	/* TCP only */
	uint8_t tcp_flags; /* FIN 0x01 SYN 0x02 RST 0x04 PSH 0x08 ACK 0x10 */
	uint32_t seq;
	uint32_t ack;
	/* L4 payload; for a reassembled fragment it points into decoder memory valid until the
	 * next lw_decode_frame() call on the same decoder. */
	const uint8_t *payload;
	size_t payload_len;
	/* The snap length cut the IP packet short: payload_len is what was captured, less than
	 * the packet carried (wire_len tells how much). */
	bool truncated;
};

#define LW_TCP_FIN 0x01
#define LW_TCP_SYN 0x02
#define LW_TCP_RST 0x04
#define LW_TCP_PSH 0x08
#define LW_TCP_ACK 0x10

/* A zero field means its default. */
struct lw_decode_config {
	size_t frag_max_datagrams; /* datagrams being reassembled at once; default 64 */
	size_t frag_max_bytes; /* total bytes held by all of them; default 1 MiB */
	lw_time_us frag_timeout; /* default 30 s */
};

/* What the decoder counted; every malformed or unsupported input lands in one of these. */
struct lw_decode_stats {
	uint64_t frames;
	uint64_t ip_packets;
	uint64_t not_ip; /* ARP, LLDP, ... — not an error */
	uint64_t not_tcp_udp; /* ICMP etc. — not an error */
	uint64_t malformed; /* truncated or inconsistent headers */
	uint64_t frag_held; /* fragments stored waiting for the rest */
	uint64_t frag_reassembled; /* datagrams completed */
	/* Fragments given up: limit reached, timeout, cut by the snap length, and duplicates or
	 * overlaps that brought nothing new (for overlapping bytes the first data wins); a
	 * fragment inconsistent with its datagram counts as malformed and drops what was held. */
	uint64_t frag_dropped;
	uint64_t bad_linktype;
};

struct lw_decoder;

/* NULL cfg = defaults. Returns NULL on allocation failure. */
struct lw_decoder *lw_decoder_new(const struct lw_decode_config *cfg);
void lw_decoder_free(struct lw_decoder *d);

/* True if lw_decode_frame() understands this pcap link type (DLT_* value). */
bool lw_decode_linktype_supported(int dlt);

/*
 * Decodes one frame.  Returns 1 with *out filled when a TCP/UDP packet is ready, 0 when the
 * frame was consumed without producing one (not IP, not TCP/UDP, fragment held), or a negative
 * errno when it is malformed (-EBADMSG) or the link type is unsupported (-EPROTONOSUPPORT);
 * each outcome is also counted in the stats.
 */
int lw_decode_frame(struct lw_decoder *d, int dlt, const uint8_t *frame, size_t caplen,
		    size_t wire_len, lw_time_us ts, struct lw_packet *out);

const struct lw_decode_stats *lw_decoder_stats(const struct lw_decoder *d);

#endif
