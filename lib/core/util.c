/* SPDX-License-Identifier: MIT */
#include "types.h"

#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

bool lw_addr_eq(const struct lw_addr *a, const struct lw_addr *b)
{
	return a->family == b->family && memcmp(a->b, b->b, 16) == 0;
}

/*
 * IPv4 by hand: glibc's inet_ntop formats it with sprintf, which was a tenth of all the work
 * on flow-heavy traffic (rows carry two addresses each).  IPv6 keeps inet_ntop (RFC 5952
 * zero compression is not worth repeating).
 */
static char *ipv4_str(const uint8_t *b, char *buf)
{
	char *o = buf;

	for (int i = 0; i < 4; i++) {
		unsigned v = b[i];

		if (v >= 100)
			*o++ = (char)('0' + v / 100);
		if (v >= 10)
			*o++ = (char)('0' + v / 10 % 10);
		*o++ = (char)('0' + v % 10);
		*o++ = i < 3 ? '.' : '\0';
	}
	return buf;
}

char *lw_addr_str(const struct lw_addr *a, char *buf)
{
	if (a->family == 4)
		ipv4_str(a->b, buf);
	else if (a->family == 6)
		inet_ntop(AF_INET6, a->b, buf, LW_ADDR_STRLEN);
	else
		buf[0] = '\0';
	return buf;
}

int lw_addr_parse(const char *s, struct lw_addr *out)
{
	memset(out, 0, sizeof(*out));
	if (inet_pton(AF_INET, s, out->b) == 1) {
		out->family = 4;
		return 0;
	}
	if (inet_pton(AF_INET6, s, out->b) == 1) {
		out->family = 6;
		return 0;
	}
	memset(out, 0, sizeof(*out));
	return -EINVAL;
}

void lw_addr_from_v4(struct lw_addr *a, const uint8_t v4[4])
{
	memset(a, 0, sizeof(*a));
	a->family = 4;
	memcpy(a->b, v4, 4);
}

void lw_addr_from_v6(struct lw_addr *a, const uint8_t v6[16])
{
	a->family = 6;
	memcpy(a->b, v6, 16);
}

char *lw_mac_str(const struct lw_mac *m, char *buf)
{
	static const char hex[] = "0123456789abcdef";

	for (int i = 0; i < 6; i++) {
		buf[3 * i] = hex[m->b[i] >> 4];
		buf[3 * i + 1] = hex[m->b[i] & 15];
		buf[3 * i + 2] = i < 5 ? ':' : '\0';
	}
	return buf;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int lw_mac_parse(const char *s, struct lw_mac *out)
{
	int nibbles = 0;
	uint8_t b[6] = {0};
	size_t len = strlen(s), i;
	char sep = 0;

	if (len != 17 && len != 14 && len != 12)
		return -EINVAL;
	for (i = 0; i < len; i++) {
		int v = hexval(s[i]);

		if (v < 0) {
			if (s[i] != ':' && s[i] != '-' && s[i] != '.')
				return -EINVAL;
			if (sep && s[i] != sep)
				return -EINVAL;
			sep = s[i];
			continue;
		}
		if (nibbles >= 12)
			return -EINVAL;
		b[nibbles / 2] = (uint8_t)(b[nibbles / 2] << 4 | v);
		nibbles++;
	}
	if (nibbles != 12)
		return -EINVAL;
	/* separators must sit where the spelling puts them */
	if (len == 17) {
		for (i = 2; i < 17; i += 3)
			if (s[i] != sep || sep == '.')
				return -EINVAL;
	} else if (len == 14) {
		if (sep != '.' || s[4] != '.' || s[9] != '.')
			return -EINVAL;
	}
	memcpy(out->b, b, 6);
	return 0;
}

bool lw_mac_is_zero(const struct lw_mac *m)
{
	static const uint8_t z[6];

	return memcmp(m->b, z, 6) == 0;
}

const char *lw_name_source_str(enum lw_name_source s)
{
	switch (s) {
	case LW_NAME_NONE:
		return NULL;
	case LW_NAME_DNS:
		return "dns";
	case LW_NAME_SOCKS:
		return "socks";
	case LW_NAME_MDNS:
		return "mdns";
	case LW_NAME_LLMNR:
		return "llmnr";
	case LW_NAME_NBNS:
		return "nbns";
	case LW_NAME_UPDATE:
		return "update";
	case LW_NAME_HTTP:
		return "http";
	case LW_NAME_QUIC:
		return "quic";
	case LW_NAME_SNI:
		return "sni";
	case LW_NAME_SIP:
		return "sip";
	}
	return NULL;
}

const char *lw_app_str(enum lw_app a)
{
	switch (a) {
	case LW_APP_UNKNOWN:
		return NULL;
	case LW_APP_DNS:
		return "dns";
	case LW_APP_DHCP:
		return "dhcp";
	case LW_APP_HTTP:
		return "http";
	case LW_APP_TLS:
		return "tls";
	case LW_APP_QUIC:
		return "quic";
	case LW_APP_MDNS:
		return "mdns";
	case LW_APP_LLMNR:
		return "llmnr";
	case LW_APP_SIP:
		return "sip";
	case LW_APP_NBNS:
		return "nbns";
	}
	return NULL;
}

void lw_ascii_lower(char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (s[i] >= 'A' && s[i] <= 'Z')
			s[i] = (char)(s[i] + 32);
}

/* SipHash-2-4 (Aumasson & Bernstein), reference structure. */
static uint64_t sip_k0 = 0x0706050403020100ULL, sip_k1 = 0x0f0e0d0c0b0a0908ULL;

/* SipHash reads its key and message as little-endian words, on every host */
static uint64_t load_le64(const uint8_t *p)
{
	uint64_t w;

	memcpy(&w, p, 8);
	return le64toh(w);
}

void lw_hash_seed(const uint8_t key[16])
{
	sip_k0 = load_le64(key);
	sip_k1 = load_le64(key + 8);
}

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND                   \
	do {                       \
		v0 += v1;          \
		v1 = ROTL(v1, 13); \
		v1 ^= v0;          \
		v0 = ROTL(v0, 32); \
		v2 += v3;          \
		v3 = ROTL(v3, 16); \
		v3 ^= v2;          \
		v0 += v3;          \
		v3 = ROTL(v3, 21); \
		v3 ^= v0;          \
		v2 += v1;          \
		v1 = ROTL(v1, 17); \
		v1 ^= v2;          \
		v2 = ROTL(v2, 32); \
	} while (0)

uint64_t lw_hash(const void *data, size_t len)
{
	const uint8_t *in = data;
	uint64_t v0 = 0x736f6d6570736575ULL ^ sip_k0;
	uint64_t v1 = 0x646f72616e646f6dULL ^ sip_k1;
	uint64_t v2 = 0x6c7967656e657261ULL ^ sip_k0;
	uint64_t v3 = 0x7465646279746573ULL ^ sip_k1;
	uint64_t b = (uint64_t)len << 56, m;
	size_t i, full = len & ~(size_t)7;

	for (i = 0; i < full; i += 8) {
		m = load_le64(in + i);
		v3 ^= m;
		SIPROUND;
		SIPROUND;
		v0 ^= m;
	}
	for (i = 0; i < (len & 7); i++)
		b |= (uint64_t)in[full + i] << (8 * i);
	v3 ^= b;
	SIPROUND;
	SIPROUND;
	v0 ^= b;
	v2 ^= 0xff;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}
