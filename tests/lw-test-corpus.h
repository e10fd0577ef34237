/* SPDX-License-Identifier: MIT */
/*
 * Helpers the corpus-reading unit tests share: the expected-answer tables of ../shared/corpus
 * are tab-separated, and their addresses are compared whatever text form the table used.
 */
#ifndef LW_TEST_CORPUS_H
#define LW_TEST_CORPUS_H

#include <pcap/pcap.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/types.h"

/* Splits a TSV line in place into at most max fields; returns how many. */
static inline size_t split_tabs(char *line, char **f, size_t max)
{
	size_t n = 0;
	char *p = line;

	line[strcspn(line, "\r\n")] = '\0';
	while (n < max) {
		f[n++] = p;
		p = strchr(p, '\t');
		if (!p)
			break;
		*p++ = '\0';
	}
	return n;
}

/*
 * Same address, whatever text form the table used ("b00c::43fe" and "b00c:0:43fe" agree).  A
 * few rows carry an address nDPI printed wrongly ("2600:1901::7a0b::"); those match on the
 * other address and the ports.
 */
static inline bool addr_match(uint8_t af, const uint8_t *a, const char *text)
{
	struct lw_addr x;

	if (lw_addr_parse(text, &x) < 0)
		return true;
	return x.family == af && memcmp(x.b, a, af == 4 ? 4 : 16) == 0;
}

static inline bool is_dir(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

struct pkt {
	uint8_t af;
	uint8_t src[16], dst[16];
	uint8_t l4; /* 6 TCP, 17 UDP */
	uint16_t sport, dport;
	uint8_t flags; /* TCP */
	uint32_t seq; /* TCP */
	const uint8_t *pl;
	size_t plen;
};

/*
 * A minimal link/IP/TCP-or-UDP walk to the first fragment's payload; the daemon's decoder is
 * tested on its own.
 */
static inline bool walk(int dlt, const uint8_t *d, size_t n, struct pkt *k)
{
	size_t off = 0, ihl, end;
	uint16_t et = 0;
	uint8_t proto;
	int vlans;

	switch (dlt) {
	case DLT_EN10MB:
		if (n < 14)
			return false;
		et = (uint16_t)(d[12] << 8 | d[13]);
		off = 14;
		for (vlans = 0; (et == 0x8100 || et == 0x88a8) && vlans < 2; vlans++) {
			if (n < off + 4)
				return false;
			et = (uint16_t)(d[off + 2] << 8 | d[off + 3]);
			off += 4;
		}
		break;
	case DLT_LINUX_SLL:
		if (n < 16)
			return false;
		et = (uint16_t)(d[14] << 8 | d[15]);
		off = 16;
		break;
	case DLT_LINUX_SLL2:
		if (n < 20)
			return false;
		et = (uint16_t)(d[0] << 8 | d[1]);
		off = 20;
		break;
	case DLT_NULL:
		off = 4;
		break;
	case DLT_PPP:
		if (n < 4)
			return false;
		off = (d[0] == 0xff && d[1] == 0x03) ? 2 : 0;
		et = (uint16_t)(d[off] << 8 | d[off + 1]);
		off += 2;
		if (et != 0x0021 && et != 0x0057)
			return false;
		break;
	case DLT_RAW:
	case DLT_IPV4:
	case DLT_IPV6:
		break;
	default:
		return false;
	}
	(void)et;
	if (n <= off)
		return false;
	d += off;
	n -= off;
	if ((d[0] >> 4) == 4) {
		if (n < 20)
			return false;
		ihl = (size_t)(d[0] & 0x0f) * 4;
		end = LW_MIN(n, (size_t)(d[2] << 8 | d[3]));
		if ((d[6] & 0x1f) || d[7] || ihl < 20 || end < ihl)
			return false; /* not the first fragment */
		k->af = 4;
		memset(k->src, 0, 16);
		memset(k->dst, 0, 16);
		memcpy(k->src, d + 12, 4);
		memcpy(k->dst, d + 16, 4);
		proto = d[9];
		off = ihl;
	} else if ((d[0] >> 4) == 6) {
		if (n < 40)
			return false;
		end = LW_MIN(n, 40 + (size_t)(d[4] << 8 | d[5]));
		k->af = 6;
		memcpy(k->src, d + 8, 16);
		memcpy(k->dst, d + 24, 16);
		proto = d[6];
		off = 40;
		while ((proto == 0 || proto == 43 || proto == 60 || proto == 44) &&
		       off + 8 <= end) {
			if (proto == 44 && ((d[off + 2] << 8 | d[off + 3]) & 0xfff8))
				return false;
			proto = d[off];
			off += proto == 44 ? 8 : ((size_t)d[off + 1] + 1) * 8;
		}
	} else {
		return false;
	}
	if (proto == 17 && off + 8 <= end) {
		k->l4 = 17;
		k->sport = (uint16_t)(d[off] << 8 | d[off + 1]);
		k->dport = (uint16_t)(d[off + 2] << 8 | d[off + 3]);
		k->pl = d + off + 8;
		k->plen = end - off - 8;
		return true;
	}
	if (proto == 6 && off + 20 <= end) {
		size_t doff = (size_t)(d[off + 12] >> 4) * 4;

		if (doff < 20 || off + doff > end)
			return false;
		k->l4 = 6;
		k->sport = (uint16_t)(d[off] << 8 | d[off + 1]);
		k->dport = (uint16_t)(d[off + 2] << 8 | d[off + 3]);
		k->seq = (uint32_t)d[off + 4] << 24 | (uint32_t)d[off + 5] << 16 |
			 (uint32_t)d[off + 6] << 8 | d[off + 7];
		k->flags = d[off + 13];
		k->pl = d + off + doff;
		k->plen = end - off - doff;
		return true;
	}
	return false;
}

struct row {
	char pcap[256], cip[64], sip[64], name[256], verdict[32];
	unsigned cport, sport;
};

/*
 * The rows of expected/hostnames.tsv of one kind ("tls", "quic"), each with the verdict
 * expected/hostnames_crosscheck_tshark.tsv gives it ("" when it gives none).
 */
static inline size_t load_rows(const char *corpus, const char *kind, struct row *rows, size_t max)
{
	char path[1024], line[4096], *f[16];
	FILE *fp;
	size_t n = 0, i;

	snprintf(path, sizeof(path), "%s/expected/hostnames.tsv", corpus);
	fp = fopen(path, "r");
	if (!fp)
		return 0;
	while (fgets(line, sizeof(line), fp) && n < max) {
		if (split_tabs(line, f, 16) < 10 || strcmp(f[2], kind) != 0)
			continue;
		snprintf(rows[n].pcap, sizeof(rows[n].pcap), "%s", f[1]);
		snprintf(rows[n].cip, sizeof(rows[n].cip), "%s", f[4]);
		rows[n].cport = (unsigned)atoi(f[5]);
		snprintf(rows[n].sip, sizeof(rows[n].sip), "%s", f[6]);
		rows[n].sport = (unsigned)atoi(f[7]);
		snprintf(rows[n].name, sizeof(rows[n].name), "%s", f[8]);
		rows[n].verdict[0] = '\0';
		n++;
	}
	fclose(fp);
	snprintf(path, sizeof(path), "%s/expected/hostnames_crosscheck_tshark.tsv", corpus);
	fp = fopen(path, "r");
	if (!fp)
		return n;
	while (fgets(line, sizeof(line), fp)) {
		if (split_tabs(line, f, 16) < 10 || strcmp(f[1], kind) != 0)
			continue;
		for (i = 0; i < n; i++)
			if (!strcmp(rows[i].pcap, f[0]) && !strcmp(rows[i].cip, f[3]) &&
			    rows[i].cport == (unsigned)atoi(f[4]) && !strcmp(rows[i].name, f[7]))
				snprintf(rows[i].verdict, sizeof(rows[i].verdict), "%s", f[9]);
	}
	fclose(fp);
	return n;
}

/*
 * The flow with these ends, either way round (the table's "client" is whoever nDPI saw first):
 * af, cli:cport and srv:sport the flow's, a:pa and b:pb the table row's.
 */
static inline bool ends_match(uint8_t af, const uint8_t *cli, unsigned cport, const uint8_t *srv,
			      unsigned sport, const char *a, unsigned pa, const char *b,
			      unsigned pb)
{
	if (cport == pa && sport == pb && addr_match(af, cli, a) && addr_match(af, srv, b))
		return true;
	return cport == pb && sport == pa && addr_match(af, cli, b) && addr_match(af, srv, a);
}

#endif
