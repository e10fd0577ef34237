/* SPDX-License-Identifier: MIT */
/*
 * decode against real captures (../shared/corpus, passed as argv[1]):
 *  - every capture in expected/pcap_inventory.tsv is read with libpcap and decoded: nothing may
 *    crash, and per link type almost every frame must be understood;
 *  - every TCP/UDP 5-tuple that nDPI attributes a name to (expected/hostnames.tsv) must show up
 *    among the decoded packets of its capture;
 *  - the IP-in-IP and fragment captures give what tcpdump 4.99 shows for them.
 */
#include "decode/decode.h"
#include "core/types.h"
#include "lw-test.h"

#include <errno.h>
#include <pcap/pcap.h>
#include <sys/stat.h>

/* LW_TEST for a test that takes the corpus path. */
#define RUN(fn, arg)                                                                            \
	do {                                                                                    \
		int _before = lw_test_failures;                                                 \
		fn(arg);                                                                        \
		fprintf(stderr, "%s %s\n", lw_test_failures == _before ? "ok  " : "FAIL", #fn); \
	} while (0)

#define MAX_PATH 4096
#define MAX_LINE 8192
#define MAX_TUPLES 4096

struct tuple {
	uint8_t l4;
	struct lw_addr a, b;
	uint16_t pa, pb;
	bool seen;
};

struct tally {
	const char *encap;
	uint64_t files, frames, packets, zero, malformed, unsupported;
};

static struct tally tallies[] = {
	{.encap = "ether"}, {.encap = "linux-sll"}, {.encap = "linux-sll2"},
	{.encap = "null"},  {.encap = "rawip"},	    {.encap = "rawip4"},
	{.encap = "ppp"},   {.encap = "chdlc"},	    {.encap = "(other)"},
};

static struct tally *tally_for(const char *encap)
{
	size_t i;

	for (i = 0; i + 1 < LW_ARRAY_SIZE(tallies); i++)
		if (strcmp(tallies[i].encap, encap) == 0)
			return &tallies[i];
	return &tallies[LW_ARRAY_SIZE(tallies) - 1];
}

/* Splits a TSV line in place; returns the number of fields. */
static size_t split_tsv(char *line, char **f, size_t max)
{
	size_t n = 0;

	line[strcspn(line, "\r\n")] = '\0';
	while (n < max) {
		f[n++] = line;
		line = strchr(line, '\t');
		if (!line)
			break;
		*line++ = '\0';
	}
	return n;
}

/* The name-bearing 5-tuples nDPI found in one capture. */
static size_t load_tuples(const char *corpus, const char *pcap, struct tuple *t, size_t max)
{
	char path[MAX_PATH], line[MAX_LINE], *f[12];
	size_t n = 0;
	FILE *fp;

	snprintf(path, sizeof(path), "%s/expected/hostnames.tsv", corpus);
	fp = fopen(path, "r");
	if (!fp)
		return 0;
	while (fgets(line, sizeof(line), fp) && n < max) {
		struct tuple *x = &t[n];

		if (split_tsv(line, f, 12) < 8 || strcmp(f[1], pcap) != 0 || !f[4][0])
			continue;
		if (strcmp(f[3], "TCP") == 0)
			x->l4 = 6;
		else if (strcmp(f[3], "UDP") == 0)
			x->l4 = 17;
		else
			continue;
		if (lw_addr_parse(f[4], &x->a) < 0 || lw_addr_parse(f[6], &x->b) < 0)
			continue;
		x->pa = (uint16_t)atoi(f[5]);
		x->pb = (uint16_t)atoi(f[7]);
		x->seen = false;
		n++;
	}
	fclose(fp);
	return n;
}

/* What one capture is checked for: nDPI's tuples, and whether it carries UDP tunnels. */
struct file_ctx {
	struct tuple *t;
	size_t nt;
	bool udp_tunnel;
};

static bool udp_tunnel_port(unsigned port)
{
	/* GTP-U, VXLAN, CAPWAP control and data: nDPI opens them, decode does not. */
	return port == 2152 || port == 4789 || port == 5246 || port == 5247;
}

static void match_tuples(const struct lw_packet *p, void *arg)
{
	struct file_ctx *fc = arg;
	struct tuple *t = fc->t;
	size_t i, n = fc->nt;

	if (p->l4 == 17 && (udp_tunnel_port(p->sport) || udp_tunnel_port(p->dport)))
		fc->udp_tunnel = true;

	for (i = 0; i < n; i++) {
		struct tuple *x = &t[i];

		if (x->seen || x->l4 != p->l4)
			continue;
		if ((lw_addr_eq(&x->a, &p->src) && lw_addr_eq(&x->b, &p->dst) &&
		     x->pa == p->sport && x->pb == p->dport) ||
		    (lw_addr_eq(&x->a, &p->dst) && lw_addr_eq(&x->b, &p->src) &&
		     x->pa == p->dport && x->pb == p->sport))
			x->seen = true;
	}
}

/* Decodes one capture; fn (if any) sees every decoded packet. */
typedef void (*packet_fn)(const struct lw_packet *p, void *arg);

static int decode_file(const char *path, struct tally *ty, struct lw_decode_stats *st_out,
		       packet_fn fn, void *arg)
{
	char err[PCAP_ERRBUF_SIZE];
	struct lw_decoder *d;
	struct pcap_pkthdr *h;
	const u_char *data;
	pcap_t *pc;
	int dlt, rc;

	pc = pcap_open_offline(path, err);
	if (!pc)
		return -ENOENT;
	d = lw_decoder_new(NULL);
	if (!d) {
		pcap_close(pc);
		return -ENOMEM;
	}
	dlt = pcap_datalink(pc);
	while (pcap_next_ex(pc, &h, &data) == 1) {
		struct lw_test_guard_buf g;
		const uint8_t *in = lw_test_guard(data, h->caplen, &g);
		struct lw_packet p;
		lw_time_us ts = (lw_time_us)h->ts.tv_sec * LW_USEC_PER_SEC + h->ts.tv_usec;

		rc = lw_decode_frame(d, dlt, in, h->caplen, h->len, ts, &p);
		ty->frames++;
		if (rc == 1) {
			ty->packets++;
			LW_CHECK(p.l4 == 6 || p.l4 == 17);
			LW_CHECK(p.ts == ts && p.wire_len == h->len);
			if (fn)
				fn(&p, arg);
		} else if (rc == 0) {
			ty->zero++;
		} else if (rc == -EBADMSG) {
			ty->malformed++;
		} else {
			LW_CHECK_INT(rc, -EPROTONOSUPPORT);
			ty->unsupported++;
		}
		lw_test_unguard(&g);
	}
	if (st_out)
		*st_out = *lw_decoder_stats(d);
	lw_decoder_free(d);
	pcap_close(pc);
	return dlt;
}

/* ---- the whole inventory ---- */

static void test_inventory(const char *corpus)
{
	static struct tuple tuples[MAX_TUPLES];
	char path[MAX_PATH], line[MAX_LINE], *f[8];
	size_t i, want = 0, seen = 0, excused = 0, unreadable = 0;
	uint64_t frames = 0, malformed = 0;
	FILE *fp;

	snprintf(path, sizeof(path), "%s/expected/pcap_inventory.tsv", corpus);
	fp = fopen(path, "r");
	LW_CHECK(fp != NULL);
	if (!fp)
		return;
	while (fgets(line, sizeof(line), fp)) {
		struct file_ctx fc = {.t = tuples};
		struct tally *ty;

		if (split_tsv(line, f, 8) < 5 || strcmp(f[0], "path") == 0)
			continue;
		ty = tally_for(f[3]);
		fc.nt = load_tuples(corpus, f[0], tuples, MAX_TUPLES);
		snprintf(path, sizeof(path), "%s/%s", corpus, f[0]);
		if (decode_file(path, ty, NULL, match_tuples, &fc) < 0) {
			unreadable++;
			continue;
		}
		ty->files++;
		for (i = 0; i < fc.nt; i++) {
			char a[LW_ADDR_STRLEN], b[LW_ADDR_STRLEN];

			want++;
			seen += tuples[i].seen;
			if (tuples[i].seen)
				continue;
			/* Only flows inside a tunnel decode does not open may be missing. */
			excused += fc.udp_tunnel;
			LW_CHECK(fc.udp_tunnel);
			fprintf(stderr, "  not seen%s: %s %s %s:%u %s:%u\n",
				fc.udp_tunnel ? " (inside a UDP tunnel)" : "", f[0],
				tuples[i].l4 == 6 ? "tcp" : "udp", lw_addr_str(&tuples[i].a, a),
				tuples[i].pa, lw_addr_str(&tuples[i].b, b), tuples[i].pb);
		}
	}
	fclose(fp);

	fprintf(stderr, "  %-10s %5s %8s %8s %8s %9s %6s\n", "encap", "files", "frames", "tcp/udp",
		"other", "malformed", "unsup");
	for (i = 0; i < LW_ARRAY_SIZE(tallies); i++) {
		const struct tally *ty = &tallies[i];

		fprintf(stderr, "  %-10s %5llu %8llu %8llu %8llu %9llu %6llu\n", ty->encap,
			(unsigned long long)ty->files, (unsigned long long)ty->frames,
			(unsigned long long)ty->packets, (unsigned long long)ty->zero,
			(unsigned long long)ty->malformed, (unsigned long long)ty->unsupported);
		if (i + 1 == LW_ARRAY_SIZE(tallies))
			continue; /* PPI etc.: only "no crash" */
		/* Every link type the decoder claims is read, and decodes. */
		LW_CHECK(ty->files > 0);
		LW_CHECK(ty->packets > 0);
		LW_CHECK_INT(ty->unsupported, 0);
		/* The bulk of every link type's traffic is TCP/UDP and comes out as such. */
		LW_CHECK(ty->packets * 10 >= ty->frames * 8);
		frames += ty->frames;
		malformed += ty->malformed;
	}
	/* Malformed is rare in real traffic (the corpus holds a few fuzzer seeds): under 0.1%. */
	LW_CHECK(malformed * 1000 <= frames);
	fprintf(stderr,
		"  nDPI name-bearing 5-tuples seen: %zu of %zu (%zu in UDP tunnels); "
		"unreadable files: %zu\n",
		seen, want, excused, unreadable);
	LW_CHECK(want > 1000);
	LW_CHECK_INT(unreadable, 0);
}

/* ---- captures checked against tcpdump ---- */

struct expect {
	uint8_t l4;
	const char *src, *dst;
	uint16_t sport, dport;
	size_t npayload; /* packets with this payload length; SIZE_MAX = any */
	size_t payload_len;
	size_t count; /* matching packets seen */
	size_t others; /* packets that did not match */
};

static void check_expect(const struct lw_packet *p, void *arg)
{
	struct expect *e = arg;
	char s[LW_ADDR_STRLEN], d[LW_ADDR_STRLEN];

	lw_addr_str(&p->src, s);
	lw_addr_str(&p->dst, d);
	if (p->l4 == e->l4 && ((strcmp(s, e->src) == 0 && strcmp(d, e->dst) == 0 &&
				p->sport == e->sport && p->dport == e->dport) ||
			       (strcmp(s, e->dst) == 0 && strcmp(d, e->src) == 0 &&
				p->sport == e->dport && p->dport == e->sport))) {
		e->count++;
		if (p->payload_len == e->payload_len)
			e->npayload++;
	} else {
		e->others++;
	}
}

static void test_tunnels(const char *corpus)
{
	static const struct {
		const char *file;
		struct expect e;
		size_t count, npayload;
	} cases[] = {
		/* tcpdump: IP 69.67.35.146 > 41.202.46.110: IP 10.10.100.25.62367 >
		 * 10.10.101.2.17000: UDP, length 100 (5 times) */
		{"nDPI/pcap/4in4tunnel.pcap",
		 {17, "10.10.100.25", "10.10.101.2", 62367, 17000, 0, 100, 0, 0},
		 5,
		 5},
		/* 4 frames of one TCP connection 192.168.0.1.64455 <> 10.10.10.1.443; the third
		 * carries 224 bytes */
		{"nDPI/pcap/4in6tunnel.pcap",
		 {6, "192.168.0.1", "10.10.10.1", 64455, 443, 0, 224, 0, 0},
		 4,
		 1},
		/* IP6 dead::beef.30000 > cafe::babe.13000: UDP, length 4 (twice, two outer pairs) */
		{"nDPI/pcap/6in6tunnel.pcap",
		 {17, "dead::beef", "cafe::babe", 30000, 13000, 0, 4, 0, 0},
		 2,
		 2},
	};
	size_t i;

	for (i = 0; i < LW_ARRAY_SIZE(cases); i++) {
		struct expect e = cases[i].e;
		struct tally ty = {0};
		char path[MAX_PATH];

		snprintf(path, sizeof(path), "%s/%s", corpus, cases[i].file);
		LW_CHECK(decode_file(path, &ty, NULL, check_expect, &e) >= 0);
		LW_CHECK_INT(e.count, cases[i].count);
		LW_CHECK_INT(e.npayload, cases[i].npayload);
		LW_CHECK_INT(e.others, 0);
		LW_CHECK_INT(ty.malformed, 0);
	}

	/* 6in4: ICMPv6 inside IPv4 protocol 41, 127 frames: IP but not TCP/UDP, none broken. */
	{
		struct lw_decode_stats st;
		struct tally ty = {0};
		char path[MAX_PATH];

		snprintf(path, sizeof(path), "%s/nDPI/pcap/6in4tunnel.pcap", corpus);
		LW_CHECK(decode_file(path, &ty, &st, NULL, NULL) >= 0);
		LW_CHECK_INT(ty.frames, 127);
		LW_CHECK_INT(ty.malformed, 0);
		LW_CHECK_INT(st.ip_packets, ty.frames);
		LW_CHECK(st.not_tcp_udp > 0);
	}
}

struct big_dns {
	size_t n;
};

static void count_big_dns(const struct lw_packet *p, void *arg)
{
	struct big_dns *b = arg;

	if (p->l4 == 17 && p->sport == 53 && p->payload_len > 1472)
		b->n++;
}

static void test_fragments(const char *corpus)
{
	/*
	 * tcpdump -v: 4 IPv4 DNS answers sent as "offset 0, flags [+] ... length 1500" plus their
	 * tails, and IPv6 answers as "frag (0|1448)" + "frag (1448|61)".
	 */
	struct lw_decode_stats st;
	struct big_dns b = {0};
	struct tally ty = {0};
	char path[MAX_PATH];

	snprintf(path, sizeof(path), "%s/nDPI/pcap/dns_fragmented.pcap", corpus);
	LW_CHECK(decode_file(path, &ty, &st, count_big_dns, &b) >= 0);
	fprintf(stderr,
		"  dns_fragmented: held %llu reassembled %llu dropped %llu, %zu big answers\n",
		(unsigned long long)st.frag_held, (unsigned long long)st.frag_reassembled,
		(unsigned long long)st.frag_dropped, b.n);
	LW_CHECK(st.frag_reassembled >= 5);
	LW_CHECK_INT(b.n, st.frag_reassembled);
	LW_CHECK_INT(st.frag_dropped, 0);
	LW_CHECK_INT(st.malformed, 0);
}

int main(int argc, char **argv)
{
	struct stat sb;
	char path[MAX_PATH];

	if (argc < 2 || stat(argv[1], &sb) < 0 || !S_ISDIR(sb.st_mode)) {
		fprintf(stderr, "corpus not found (%s): skipped\n", argc > 1 ? argv[1] : "no path");
		return 77;
	}
	snprintf(path, sizeof(path), "%s/expected/pcap_inventory.tsv", argv[1]);
	if (stat(path, &sb) < 0) {
		fprintf(stderr, "%s missing: skipped\n", path);
		return 77;
	}
	RUN(test_inventory, argv[1]);
	RUN(test_tunnels, argv[1]);
	RUN(test_fragments, argv[1]);
	return lw_test_end();
}
