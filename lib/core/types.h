/* SPDX-License-Identifier: MIT */
/* Small types every module shares: addresses, MACs, time, return codes. */
#ifndef LW_CORE_TYPES_H
#define LW_CORE_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Parser return vocabulary besides ">= 0 bytes consumed" and "-errno malformed". */
#define LW_NEED_MORE (-11) /* -EAGAIN: the input ends before the message does */

#define LW_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define LW_MIN(a, b) ((a) < (b) ? (a) : (b))

/* Copies src into dst[cap] (cap >= 1), cut to fit and terminated; snprintf("%s") without
 * the format machinery, for row building on the hot path.  Returns the length copied. */
static inline size_t lw_str_copy(char *dst, size_t cap, const char *src)
{
	size_t n = strnlen(src, cap - 1);

	memcpy(dst, src, n);
	dst[n] = '\0';
	return n;
}
#define LW_MAX(a, b) ((a) > (b) ? (a) : (b))

#define _lw_cleanup_(f) __attribute__((cleanup(f)))

/* Microseconds since the Unix epoch. */
typedef int64_t lw_time_us;
#define LW_USEC_PER_SEC 1000000LL

/* An IPv4 or IPv6 address; v4 lives in b[0..3], the rest zero. */
struct lw_addr {
	uint8_t family; /* 4 or 6; 0 = none */
	uint8_t b[16];
};

#define LW_ADDR_STRLEN 46 /* INET6_ADDRSTRLEN */
#define LW_MAC_STRLEN 18

struct lw_mac {
	uint8_t b[6];
};

/* Where a flow's name came from, best first. */
enum lw_name_source {
	LW_NAME_NONE = 0,
	LW_NAME_DNS, /* passive DNS: the client resolved this address earlier */
	LW_NAME_SOCKS, /* the host a SOCKS4A/5 client asked its proxy for */
	/* names a local discovery message on the flow carries (asked for or announced) */
	LW_NAME_MDNS,
	LW_NAME_LLMNR,
	LW_NAME_NBNS,
	LW_NAME_UPDATE, /* the zone of a DNS UPDATE (RFC 2136) */
	LW_NAME_HTTP, /* HTTP Host header */
	LW_NAME_QUIC, /* SNI in a QUIC Initial */
	LW_NAME_SNI, /* SNI in a TLS ClientHello */
	LW_NAME_SIP, /* host of a SIP request's Request-URI */
};

/* The application protocol leakwatch recognised on a flow. */
enum lw_app {
	LW_APP_UNKNOWN = 0,
	LW_APP_DNS,
	LW_APP_DHCP,
	LW_APP_HTTP,
	LW_APP_TLS,
	LW_APP_QUIC,
	LW_APP_MDNS,
	LW_APP_LLMNR,
	LW_APP_SIP,
	LW_APP_NBNS,
};

bool lw_addr_eq(const struct lw_addr *a, const struct lw_addr *b);
/* Writes the usual text form; returns buf. buf has LW_ADDR_STRLEN bytes. */
char *lw_addr_str(const struct lw_addr *a, char *buf);
/* Parses text into an address; 0 or -EINVAL. */
int lw_addr_parse(const char *s, struct lw_addr *out);
void lw_addr_from_v4(struct lw_addr *a, const uint8_t v4[4]);
void lw_addr_from_v6(struct lw_addr *a, const uint8_t v6[16]);

/* Lowercase colon form; returns buf (LW_MAC_STRLEN bytes). */
char *lw_mac_str(const struct lw_mac *m, char *buf);
/* Accepts aa:bb:.., AA-BB-.., aabb.ccdd.eeff and 12 bare hex; 0 or -EINVAL. */
int lw_mac_parse(const char *s, struct lw_mac *out);
bool lw_mac_is_zero(const struct lw_mac *m);
/* Locally administered (randomized) bit. */
static inline bool lw_mac_is_local(const struct lw_mac *m)
{
	return (m->b[0] & 0x02) != 0;
}

const char *lw_name_source_str(enum lw_name_source s); /* NULL for NONE */
const char *lw_app_str(enum lw_app a); /* NULL for UNKNOWN */

/*
 * Keyed 64-bit hash (SipHash-2-4) for tables whose keys a peer controls (flows, names).
 * Written here because libcrypto exposes SipHash only through EVP_MAC objects, which would
 * allocate per packet.  lw_hash_seed() should be called once (random key) before use.
 */
void lw_hash_seed(const uint8_t key[16]);
uint64_t lw_hash(const void *data, size_t len);

/* Lowercases ASCII in place. */
void lw_ascii_lower(char *s, size_t len);

#endif
