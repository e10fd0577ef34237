/* SPDX-License-Identifier: MIT */
/*
 * gen: deterministic synthetic captures for leakwatch's benchmarks (classic pcap, Ethernet,
 * microsecond timestamps), written with plain stdio.
 *
 *   gen home|upload|manyflows|voip OUT.pcap [-s SCALE] [-S SEED] [-l LOOPS [-d SPAN]] [-t START]
 *   gen config OUT.conf [-n DEVICES] [-S SEED]     the phones' known identifiers
 *   gen none OUT.conf                               the same settings, no devices
 *
 * Mixes (SCALE 1 = full size):
 *   home       50 phones: DHCP, DNS lookups, TLS and QUIC flows whose ClientHellos carry an
 *              SNI (QUIC Initials really encrypted with the v1 initial keys, so a decoder does
 *              its full work), then mostly downstream bulk (video-like), some plain HTTP and
 *              a little telemetry; ~1 GB, ~1 M packets.
 *   upload     the same phones POSTing telemetry over plain HTTP: identifiers in JSON, in
 *              base64 JSON, in gzip bodies, in chunked bodies, in forms and query strings;
 *              ~1 GB, mostly upstream payload.
 *   manyflows  1 M short flows (DNS, short TLS, NTP) over 300 s of capture time, so that the
 *              flows alive at once exceed the default flow table size.
 *   voip       small frames in few flows: 100 calls of RTP (214-byte frames) both ways; for
 *              the live replay's packet rate.
 *
 * -l LOOPS writes the mix LOOPS times, the same phones each time (one household) with fresh
 * traffic (servers, names, ports: the traffic PRNG seeded anew), loop i starting at i * SPAN /
 * LOOPS seconds (SPAN default 86400): a day of a household's sessions in one file, for the
 * data-lifecycle replay.  -t START moves the capture's clock START seconds after
 * 2023-11-14 22:13:20 UTC.  OUT may be /dev/stdout (then no sidecar) to pipe into leakwatchd.
 *
 * A sidecar OUT.pcap.meta (key=value lines) tells what was written: packets, bytes, flows,
 * upstream payload bytes and so on.  Every value and choice comes from one PRNG with a fixed
 * seed: the same arguments write the same bytes.  Addresses: clients 192.0.2.0/24, servers
 * 198.51.100.0/24 and 203.0.113.0/24; names under example.com/.net/.org.  Identifiers are valid
 * (Luhn-valid IMEIs with real reporting bodies, Luhn-valid ICCIDs, IMSIs with real MCCs) so that
 * detection has real work.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <zlib.h>

#define NPHONES_MAX 250
#define POOL_SIZE (1u << 20) /* random bytes that payloads are cut from */
#define FRAME_MAX 2048
#define MSS 1448 /* with TCP timestamps: 1514-byte frames */
#define QUIC_DGRAM 1252
#define QUIC_INITIAL 1200
#define SLOTS_MAX 256
#define BODY_VARIANTS 4
#define BASE_TIME_DEFAULT 1700000000ull /* 2023-11-14 22:13:20 UTC */
static uint64_t BASE_TIME = BASE_TIME_DEFAULT; /* -t moves it */
#define NAME_MAX_LEN 64

#define LW_N(a) (sizeof(a) / sizeof((a)[0]))
#define LW_MIN_SZ(a, b) ((size_t)(a) < (size_t)(b) ? (size_t)(a) : (size_t)(b))

enum mix { MIX_HOME, MIX_UPLOAD, MIX_MANYFLOWS, MIX_VOIP };

enum kind {
	K_DNS,
	K_TLS, /* web when chunks == 1, video when more */
	K_QUIC,
	K_HTTP_GET,
	K_HTTP_POST,
	K_TLS_SHORT, /* manyflows: hello, one answer, close */
	K_NTP,
	K_DHCP,
	K_RTP, /* voip: G.711 in RTP, 20 ms frames both ways */
};

enum { UP = 0, DOWN = 1 };

struct rng {
	uint64_t s[4];
};

struct buf {
	uint8_t *p;
	size_t len, cap;
};

struct phone {
	uint8_t mac[6];
	uint8_t ip[4];
	char model[32];
	char hostname[40];
	char imei[16], imei2[16];
	char iccid[21];
	char imsi[16];
	char email[64];
	char android_id[17];
	char ad_id[37];
	char serial[16];
	char msisdn[20];
	char mac_str[18];
	double lat, lon;
	unsigned mcc, mnc, lac, cid;
	uint16_t next_port;
	struct buf json[BODY_VARIANTS]; /* upload mix: telemetry batches */
	struct buf gz[BODY_VARIANTS]; /* the same, gzip */
	struct buf b64[BODY_VARIANTS]; /* the same, base64 */
	struct buf reg; /* a Nokia-style registration: base64 of JSON */
};

struct conn {
	bool active;
	enum kind kind;
	bool tcp;
	int phone;
	uint8_t sip[4];
	uint16_t cport, sport;
	uint32_t seq[2];
	uint16_t ipid[2];
	int phase; /* TCP: 0 SYN, 1 SYN-ACK, 2 ACK, 3 data, 4 FIN c, 5 FIN s, 6 last ACK, 7 done */
	/* the message being sent */
	int dir;
	uint32_t len, off;
	struct buf head; /* its first bytes (the rest is random) */
	unsigned unacked;
	unsigned ack_every; /* receiver acknowledges every N segments (0: never, UDP) */
	uint16_t seg_max;
	int msgno;
	/* plan */
	unsigned chunks; /* request/response rounds after the first */
	unsigned requests;
	char name[NAME_MAX_LEN];
	uint8_t cid_c[8], cid_s[8]; /* QUIC connection ids */
	enum kind then; /* after a DNS lookup: the connection it was for */
	bool has_then;
};

struct name {
	const char *host;
	uint8_t ip[4];
};

struct gen {
	enum mix mix;
	FILE *out;
	struct rng rng;
	double now_us; /* capture time, microseconds since BASE_TIME */
	double us_per_byte;
	double us_per_flow;
	uint8_t *pool;
	uint8_t frame[FRAME_MAX];
	int nphones;
	struct phone *phones;
	struct conn slots[SLOTS_MAX];
	int nslots;
	struct buf tmp;
	/* what was written */
	uint64_t packets, file_bytes, wire_bytes, flows, up_payload, down_payload, http_requests,
		http_body_up, dns_queries, tls_hellos, quic_hellos;
};

/* --- small tools ---------------------------------------------------------------------------- */

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("gen: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

static uint64_t splitmix(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static void rng_seed(struct rng *r, uint64_t seed)
{
	int i;

	for (i = 0; i < 4; i++)
		r->s[i] = splitmix(&seed);
}

/* xoshiro256** (Blackman, Vigna): fast, and the same sequence on every machine. */
static uint64_t rnd(struct rng *r)
{
	uint64_t *s = r->s, res = ((s[1] * 5) << 7 | (s[1] * 5) >> 57) * 9, t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = s[3] << 45 | s[3] >> 19;
	return res;
}

static uint32_t below(struct rng *r, uint32_t n)
{
	return (uint32_t)(((rnd(r) >> 32) * n) >> 32);
}

static uint32_t range(struct rng *r, uint32_t lo, uint32_t hi)
{
	return lo + below(r, hi - lo + 1);
}

static bool chance(struct rng *r, double p)
{
	return (double)(rnd(r) >> 11) * (1.0 / 9007199254740992.0) < p;
}

static void buf_reserve(struct buf *b, size_t more)
{
	if (b->len + more <= b->cap)
		return;
	while (b->cap < b->len + more)
		b->cap = b->cap ? b->cap * 2 : 4096;
	b->p = realloc(b->p, b->cap);
	if (!b->p)
		die("out of memory");
}

static void put(struct buf *b, const void *p, size_t n)
{
	buf_reserve(b, n);
	memcpy(b->p + b->len, p, n);
	b->len += n;
}

static void put8(struct buf *b, unsigned v)
{
	uint8_t x = (uint8_t)v;

	put(b, &x, 1);
}

static void put16(struct buf *b, unsigned v)
{
	put8(b, v >> 8);
	put8(b, v);
}

static void put24(struct buf *b, unsigned v)
{
	put8(b, v >> 16);
	put16(b, v & 0xffff);
}

static void put32(struct buf *b, uint32_t v)
{
	put16(b, v >> 16);
	put16(b, v & 0xffff);
}

static void set16(struct buf *b, size_t at, unsigned v)
{
	b->p[at] = (uint8_t)(v >> 8);
	b->p[at + 1] = (uint8_t)v;
}

static void set24(struct buf *b, size_t at, unsigned v)
{
	b->p[at] = (uint8_t)(v >> 16);
	set16(b, at + 1, v & 0xffff);
}

__attribute__((format(printf, 2, 3))) static void putf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	buf_reserve(b, (size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf((char *)b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

static void putrand(struct gen *g, struct buf *b, size_t n)
{
	put(b, g->pool + below(&g->rng, POOL_SIZE - (uint32_t)n), n);
}

static void hex(struct rng *r, char *out, size_t n, bool upper)
{
	const char *d = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++)
		out[i] = d[below(r, 16)];
	out[n] = '\0';
}

static void digits(struct rng *r, char *out, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		out[i] = (char)('0' + below(r, 10));
	out[n] = '\0';
}

/* The Luhn check digit of d[0..n-1] (ISO/IEC 7812-1 annex B). */
static char luhn(const char *d, size_t n)
{
	unsigned sum = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned v = (unsigned)(d[n - 1 - i] - '0');

		if (i % 2 == 0) {
			v *= 2;
			if (v > 9)
				v -= 9;
		}
		sum += v;
	}
	return (char)('0' + (10 - sum % 10) % 10);
}

static void uuid4(struct rng *r, char *out)
{
	char h[33];

	hex(r, h, 32, false);
	h[12] = '4';
	h[16] = "89ab"[below(r, 4)];
	snprintf(out, 37, "%.8s-%.4s-%.4s-%.4s-%.12s", h, h + 8, h + 12, h + 16, h + 20);
}

/* --- names and addresses ---------------------------------------------------------------------- */

static const char *const web_hosts[] = {
	"www.example.com",     "api.example.com",    "cdn.example.com",
	"img.example.com",     "static.example.net", "push.example.org",
	"mail.example.org",    "maps.example.com",   "news.example.net",
	"shop.example.com",    "chat.example.org",   "auth.example.com",
	"fonts.example.net",   "ads.example.net",    "metrics.example.org",
	"play.example.com",    "photos.example.org", "cloud.example.net",
	"weather.example.com", "social.example.org", "connectivity.example.com",
	"update.example.net",  "time.example.org",   "sync.example.com",
	"store.example.org",   "music.example.net",  "accounts.example.com",
	"graph.example.org",   "edge.example.net",   "tracker.example.com",
};
static const char *const video_hosts[] = {
	"rr1.video.example.net", "rr2.video.example.net", "rr3.video.example.net",
	"rr4.video.example.net", "rr5.video.example.net", "rr6.video.example.net",
	"stream.example.com",	 "vod.example.org",
};
static const char *const http_hosts[] = {
	"img.example.com", "static.example.net",  "dl.example.org",
	"ads.example.net", "tracker.example.com", "pix.example.org",
};
static const char *const voip_hosts[] = {"voice.example.net", "sip.example.org", "rtc.example.com"};
static const char *const telemetry_hosts[] = {
	"telemetry.example.com", "log.example.org",   "collect.example.net",
	"reg.example.net",	 "stats.example.com", "events.example.org",
};

static const uint8_t router_mac[6] = {0x02, 0x00, 0x5e, 0x00, 0x00, 0x01};
static const uint8_t router_ip[4] = {192, 0, 2, 1};

/* A server address for a name: a hash of it, in 198.51.100.0/24 or 203.0.113.0/24. */
static void name_ip(const char *host, uint8_t ip[4])
{
	uint32_t h = 2166136261u;

	for (; *host; host++)
		h = (h ^ (uint8_t)*host) * 16777619u;
	if (h & 1) {
		ip[0] = 198, ip[1] = 51, ip[2] = 100;
	} else {
		ip[0] = 203, ip[1] = 0, ip[2] = 113;
	}
	ip[3] = (uint8_t)(10 + (h >> 1) % 240);
}

/* --- phones ----------------------------------------------------------------------------------- */

static const char *const models[] = {"Pixel 7",	     "Nokia 7 Plus", "Galaxy S21", "Redmi Note 12",
				     "Moto G Power", "OnePlus 9",    "Xperia 10",  "Galaxy A54"};
static const uint8_t ouis[][3] = {{0x3c, 0x28, 0x6d}, {0xf8, 0x0f, 0xf9}, {0x5c, 0xf3, 0x70},
				  {0x8c, 0xf5, 0xa3}, {0xac, 0x37, 0x43}, {0x64, 0xa2, 0xf9}};
static const unsigned mccs[][2] = {{460, 3}, {460, 11}, {310, 260}, {234, 15}, {262, 1}, {208, 10}};
static const char *const rbi[] = {"35", "86", "01", "99", "35", "35"};

static void make_phone(struct rng *r, struct phone *p, int i)
{
	char d[32];

	if (i % 5 < 3) {
		memcpy(p->mac, ouis[below(r, LW_N(ouis))], 3);
	} else {
		p->mac[0] = (uint8_t)((below(r, 64) << 2) | 0x02); /* locally administered */
		p->mac[1] = (uint8_t)below(r, 256);
		p->mac[2] = (uint8_t)below(r, 256);
	}
	p->mac[3] = (uint8_t)below(r, 256);
	p->mac[4] = (uint8_t)below(r, 256);
	p->mac[5] = (uint8_t)i;
	snprintf(p->mac_str, sizeof(p->mac_str), "%02x:%02x:%02x:%02x:%02x:%02x", p->mac[0],
		 p->mac[1], p->mac[2], p->mac[3], p->mac[4], p->mac[5]);
	p->ip[0] = 192, p->ip[1] = 0, p->ip[2] = 2, p->ip[3] = (uint8_t)(10 + i);
	snprintf(p->model, sizeof(p->model), "%s", models[i % LW_N(models)]);
	snprintf(p->hostname, sizeof(p->hostname), "phone-%02d", i + 1);
	/* IMEI: reporting body, 6 more TAC digits, 6 serial digits, Luhn */
	memcpy(d, rbi[below(r, LW_N(rbi))], 2);
	digits(r, d + 2, 12);
	d[14] = luhn(d, 14);
	d[15] = '\0';
	memcpy(p->imei, d, 16);
	digits(r, d + 8, 6); /* a dual-SIM phone's second IMEI shares the TAC */
	d[14] = luhn(d, 14);
	memcpy(p->imei2, d, 16);
	/* ICCID: 89 + country 86/1/44 + issuer and account, Luhn: 20 digits */
	memcpy(d, "8986", 4);
	digits(r, d + 4, 15);
	d[19] = luhn(d, 19);
	d[20] = '\0';
	memcpy(p->iccid, d, 21);
	{
		const unsigned *m = mccs[below(r, LW_N(mccs))];

		p->mcc = m[0];
		p->mnc = m[1];
		snprintf(d, sizeof(d), "%03u%02u", m[0], m[1] % 100);
		digits(r, d + 5, 10);
		memcpy(p->imsi, d, 16);
	}
	snprintf(p->email, sizeof(p->email), "user%02d.%s@example.com", i + 1,
		 (const char *[]){"ana", "bo", "chen", "dee", "eli"}[i % 5]);
	hex(r, p->android_id, 16, false);
	uuid4(r, p->ad_id);
	hex(r, p->serial, 12, true);
	snprintf(p->msisdn, sizeof(p->msisdn), "+447700900%03u", (unsigned)(i * 7 + 100) % 1000);
	p->lat = 51.45 + (double)below(r, 100000) / 1e6;
	p->lon = -0.20 + (double)below(r, 100000) / 1e6;
	p->lac = range(r, 1, 65000);
	p->cid = range(r, 1, 268435000);
	p->next_port = (uint16_t)range(r, 32768, 60000);
}

/* A telemetry batch: identifiers among realistic filler (and random tokens that look like ids). */
static void telemetry_json(struct rng *r, const struct phone *p, struct buf *b, unsigned events)
{
	static const char *const evs[] = {"screen_on", "app_open", "app_close", "net_change",
					  "battery",   "location", "crash",	"heartbeat"};
	char tok[41];
	unsigned i;

	putf(b, "{\"v\":3,\"device\":{\"imei\":\"%s\",\"imei2\":\"%s\",\"model\":\"%s\",", p->imei,
	     p->imei2, p->model);
	putf(b, "\"wifiMac\":\"%s\",\"android_id\":\"%s\",\"adid\":\"%s\",\"serial\":\"%s\"},",
	     p->mac_str, p->android_id, p->ad_id, p->serial);
	putf(b,
	     "\"sim\":{\"iccid\":\"%s\",\"imsi\":\"%s\",\"mcc\":%u,\"mnc\":%u,\"lac\":%u,"
	     "\"cid\":%u},",
	     p->iccid, p->imsi, p->mcc, p->mnc, p->lac, p->cid);
	putf(b, "\"user\":{\"email\":\"%s\",\"msisdn\":\"%s\"},\"events\":[", p->email, p->msisdn);
	for (i = 0; i < events; i++) {
		hex(r, tok, 32, false);
		putf(b,
		     "%s{\"ts\":%llu,\"ev\":\"%s\",\"app\":\"com.example.app%u\",\"dur\":%u,"
		     "\"seq\":%u,\"net\":\"%s\",\"bat\":%u,\"req\":\"%s\"",
		     i ? "," : "", (unsigned long long)(BASE_TIME * 1000 + below(r, 3600000)),
		     evs[below(r, LW_N(evs))], below(r, 40), below(r, 60000), i,
		     below(r, 3) ? "wifi" : "lte", range(r, 5, 100), tok);
		if (below(r, 8) == 0)
			putf(b, ",\"lat\":%.6f,\"lng\":%.6f", p->lat + (double)below(r, 200) / 1e5,
			     p->lon + (double)below(r, 200) / 1e5);
		put8(b, '}');
	}
	putf(b, "]}");
}

static void gzip_buf(const struct buf *in, struct buf *out)
{
	z_stream z;

	memset(&z, 0, sizeof(z));
	if (deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		die("deflateInit2");
	buf_reserve(out, deflateBound(&z, in->len));
	z.next_in = in->p;
	z.avail_in = (uInt)in->len;
	z.next_out = out->p + out->len;
	z.avail_out = (uInt)(out->cap - out->len);
	if (deflate(&z, Z_FINISH) != Z_STREAM_END)
		die("deflate");
	out->len += z.total_out;
	deflateEnd(&z);
}

static void base64_buf(const uint8_t *p, size_t n, struct buf *out)
{
	buf_reserve(out, 4 * ((n + 2) / 3) + 1);
	out->len += (size_t)EVP_EncodeBlock(out->p + out->len, p, (int)n);
}

static void make_bodies(struct rng *r, struct phone *p)
{
	static const unsigned events[BODY_VARIANTS] = {12, 60, 150, 300};
	struct buf reg = {0};
	int v;

	for (v = 0; v < BODY_VARIANTS; v++) {
		telemetry_json(r, p, &p->json[v], events[v]);
		gzip_buf(&p->json[v], &p->gz[v]);
		base64_buf(p->json[v].p, p->json[v].len, &p->b64[v]);
	}
	/* the China Telecom self-registration (IDENTIFIERS.md): base64 of JSON, ICCID cut */
	putf(&reg,
	     "{\"REGVER\":\"5.0\",\"MEID\":\"%s\",\"MODEL\":\"%s\",\"SWVER\":\"V2.%u\","
	     "\"SIM1ICCID\":\"%.19s\",\"SIM1LTEIMSI\":\"%s\",\"MACID\":\"%s\",\"IMEI1\":\"%s\","
	     "\"IMEI2\":\"%s\",\"SIM1CELLID\":\"%u\",\"ACCESSTYPE\":\"2\"}",
	     p->imei, p->model, below(r, 90), p->iccid, p->imsi, p->mac_str, p->imei, p->imei2,
	     p->cid);
	base64_buf(reg.p, reg.len, &p->reg);
	free(reg.p);
}

/* --- frames ----------------------------------------------------------------------------------- */

static uint32_t sum16(const uint8_t *p, size_t n, uint32_t s)
{
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		s += (uint32_t)p[i] << 8 | p[i + 1];
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	return s;
}

static uint16_t fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static void wr16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void wr32(uint8_t *p, uint32_t v)
{
	wr16(p, v >> 16);
	wr16(p + 2, v & 0xffff);
}

static void write_record(struct gen *g, size_t len, size_t wire)
{
	uint8_t h[16];
	uint64_t t = (uint64_t)g->now_us;
	uint32_t sec = (uint32_t)(BASE_TIME + t / 1000000), usec = (uint32_t)(t % 1000000);

	memcpy(h, &sec, 4); /* the file is in host byte order, its magic tells readers which */
	memcpy(h + 4, &usec, 4);
	memcpy(h + 8, &(uint32_t){(uint32_t)len}, 4);
	memcpy(h + 12, &(uint32_t){(uint32_t)wire}, 4);
	if (fwrite(h, 16, 1, g->out) != 1 || fwrite(g->frame, len, 1, g->out) != 1)
		die("write: %s", strerror(errno));
	g->packets++;
	g->file_bytes += 16 + len;
	g->wire_bytes += wire;
	g->now_us += (double)wire * g->us_per_byte + 1;
}

/*
 * Ethernet + IPv4 + TCP/UDP around the payload already at g->frame + payload_off(tcp).
 * TCP carries the timestamp option (32-byte header; SYNs 40 bytes) like every phone's stack.
 */
static size_t l4_off(bool tcp, uint8_t flags)
{
	return 14 + 20 + (tcp ? ((flags & 0x02) ? 40 : 32) : 8);
}

static void emit(struct gen *g, struct conn *c, int dir, uint8_t flags, size_t plen)
{
	const struct phone *ph = &g->phones[c->phone];
	uint8_t *f = g->frame, *ip = f + 14, *l4 = ip + 20;
	size_t l4h = l4_off(c->tcp, flags) - 34, len = 34 + l4h + plen;
	const uint8_t *cip = c->kind == K_DHCP ? (const uint8_t[4]){0, 0, 0, 0} : ph->ip;
	const uint8_t *src = dir == UP ? cip : c->sip, *dst = dir == UP ? c->sip : cip;
	uint32_t s;

	if (c->kind == K_DHCP)
		memset(f, 0xff, 6);
	else
		memcpy(f, dir == UP ? router_mac : ph->mac, 6);
	memcpy(f + 6, dir == UP ? ph->mac : router_mac, 6);
	f[12] = 0x08, f[13] = 0x00;
	ip[0] = 0x45, ip[1] = 0;
	wr16(ip + 2, (unsigned)(20 + l4h + plen));
	wr16(ip + 4, c->ipid[dir]++);
	wr16(ip + 6, c->tcp ? 0x4000 : 0);
	ip[8] = dir == UP ? 64 : 57;
	ip[9] = c->tcp ? 6 : 17;
	wr16(ip + 10, 0);
	memcpy(ip + 12, src, 4);
	memcpy(ip + 16, dst, 4);
	wr16(ip + 10, fold(sum16(ip, 20, 0)));
	if (c->tcp) {
		uint32_t tsval = (uint32_t)(g->now_us / 1000) + (dir == UP ? 1000000u : 7000u);

		wr16(l4, dir == UP ? c->cport : c->sport);
		wr16(l4 + 2, dir == UP ? c->sport : c->cport);
		wr32(l4 + 4, c->seq[dir]);
		wr32(l4 + 8, (flags & 0x10) ? c->seq[!dir] : 0);
		l4[12] = (uint8_t)((l4h / 4) << 4);
		l4[13] = flags;
		wr16(l4 + 14, dir == UP ? 2052 : 501);
		wr16(l4 + 16, 0);
		wr16(l4 + 18, 0);
		if (flags & 0x02) { /* MSS, SACK permitted, timestamps, window scale */
			static const uint8_t o[20] = {2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0,
						      0, 0, 0,	  0,	0, 0, 1, 3,  3, 7};
			memcpy(l4 + 20, o, 20);
			wr32(l4 + 28, tsval);
		} else {
			l4[20] = 1, l4[21] = 1, l4[22] = 8, l4[23] = 10;
			wr32(l4 + 24, tsval);
			wr32(l4 + 28, tsval - 40);
		}
		c->seq[dir] += (uint32_t)plen + ((flags & 0x03) ? 1 : 0);
	} else {
		wr16(l4, dir == UP ? c->cport : c->sport);
		wr16(l4 + 2, dir == UP ? c->sport : c->cport);
		wr16(l4 + 4, (unsigned)(8 + plen));
		wr16(l4 + 6, 0);
	}
	/* the L4 checksum over the pseudo-header, as a NIC would fill it in */
	s = sum16(ip + 12, 8, 0) + ip[9] + (uint32_t)(l4h + plen);
	s = sum16(l4, l4h + plen, s);
	wr16(l4 + (c->tcp ? 16 : 6), fold(s) ? fold(s) : 0xffff);
	if (len < 60) { /* Ethernet minimum frame */
		memset(f + len, 0, 60 - len);
		len = 60;
	}
	if (dir == UP)
		g->up_payload += plen;
	else
		g->down_payload += plen;
	write_record(g, len, len);
}

/* --- protocol messages ------------------------------------------------------------------------ */

/* A ClientHello handshake message (RFC 8446 §4.1.2) as Chrome/Android sends one. */
static void client_hello(struct gen *g, struct buf *b, const char *sni, bool quic,
			 const uint8_t *scid)
{
	static const uint16_t suites[] = {0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f,
					  0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc013,
					  0xc014, 0x009c, 0x009d, 0x002f, 0x0035};
	size_t start = b->len, ext, i, n = strlen(sni);

	put8(b, 1);
	put24(b, 0);
	put16(b, 0x0303);
	putrand(g, b, 32);
	if (quic) {
		put8(b, 0);
		put16(b, 6);
		put16(b, 0x1301), put16(b, 0x1302), put16(b, 0x1303);
	} else {
		put8(b, 32);
		putrand(g, b, 32);
		put16(b, (unsigned)(2 * LW_N(suites)));
		for (i = 0; i < LW_N(suites); i++)
			put16(b, suites[i]);
	}
	put8(b, 1), put8(b, 0);
	ext = b->len;
	put16(b, 0);
	/* server_name */
	put16(b, 0), put16(b, (unsigned)n + 5), put16(b, (unsigned)n + 3), put8(b, 0);
	put16(b, (unsigned)n), put(b, sni, n);
	put16(b, 23), put16(b, 0); /* extended_master_secret */
	if (!quic) {
		put16(b, 0xff01), put16(b, 1), put8(b, 0);
		put16(b, 11), put16(b, 2), put8(b, 1), put8(b, 0);
		put16(b, 35), put16(b, 0);
		put16(b, 5), put16(b, 5), put8(b, 1), put32(b, 0);
	}
	put16(b, 10), put16(b, 8), put16(b, 6), put16(b, 29), put16(b, 23), put16(b, 24);
	put16(b, 13), put16(b, 18), put16(b, 16);
	put16(b, 0x0403), put16(b, 0x0804), put16(b, 0x0401), put16(b, 0x0503);
	put16(b, 0x0805), put16(b, 0x0501), put16(b, 0x0806), put16(b, 0x0601);
	if (quic) {
		put16(b, 16), put16(b, 5), put16(b, 3), put8(b, 2), put(b, "h3", 2);
	} else {
		put16(b, 16), put16(b, 14), put16(b, 12), put8(b, 2), put(b, "h2", 2);
		put8(b, 8), put(b, "http/1.1", 8);
	}
	put16(b, 51), put16(b, 38), put16(b, 36), put16(b, 29), put16(b, 32);
	putrand(g, b, 32);
	put16(b, 45), put16(b, 2), put8(b, 1), put8(b, 1);
	if (quic)
		put16(b, 43), put16(b, 3), put8(b, 2), put16(b, 0x0304);
	else
		put16(b, 43), put16(b, 5), put8(b, 4), put16(b, 0x0304), put16(b, 0x0303);
	put16(b, 27), put16(b, 3), put8(b, 2), put16(b, 2);
	if (quic) { /* quic_transport_parameters (RFC 9000 §18) */
		put16(b, 0x39), put16(b, 26);
		put8(b, 0x04), put8(b, 4), put32(b, 0x80f00000); /* initial_max_data */
		put8(b, 0x08), put8(b, 2), put16(b, 0x4064); /* initial_max_streams_bidi */
		put8(b, 0x01), put8(b, 4), put32(b, 0x80007530); /* max_idle_timeout */
		put8(b, 0x0f), put8(b, 8), put(b, scid, 8); /* initial_source_connection_id */
	} else {
		/* padding (RFC 7685) to a 512-byte record, like BoringSSL */
		size_t have = b->len - start + 4 + 5, pad = have < 512 ? 512 - have : 0;

		put16(b, 21), put16(b, (unsigned)pad);
		buf_reserve(b, pad);
		memset(b->p + b->len, 0, pad);
		b->len += pad;
	}
	set16(b, ext, (unsigned)(b->len - ext - 2));
	set24(b, start + 1, (unsigned)(b->len - start - 4));
}

/* HKDF-Expand-Label (RFC 8446 §7.1) with SHA-256, one block (len <= 32). */
static void expand_label(const uint8_t secret[32], const char *label, uint8_t *out, size_t len)
{
	uint8_t info[64], md[32];
	size_t n = strlen(label), k = 0;
	unsigned mdlen = 0;

	info[k++] = 0, info[k++] = (uint8_t)len, info[k++] = (uint8_t)(6 + n);
	memcpy(info + k, "tls13 ", 6), k += 6;
	memcpy(info + k, label, n), k += n;
	info[k++] = 0;
	info[k++] = 1; /* HKDF-Expand's counter for T(1) */
	if (!HMAC(EVP_sha256(), secret, 32, info, k, md, &mdlen))
		die("HMAC");
	memcpy(out, md, len);
}

static void aes(const EVP_CIPHER *cipher, const uint8_t *key, const uint8_t *iv, const uint8_t *aad,
		size_t aad_len, uint8_t *p, size_t n, uint8_t *tag)
{
	EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
	int outl = 0;

	if (!x || EVP_EncryptInit_ex(x, cipher, NULL, key, iv) != 1)
		die("EVP_EncryptInit_ex");
	EVP_CIPHER_CTX_set_padding(x, 0);
	if (aad && EVP_EncryptUpdate(x, NULL, &outl, aad, (int)aad_len) != 1)
		die("aad");
	if (EVP_EncryptUpdate(x, p, &outl, p, (int)n) != 1 || EVP_EncryptFinal_ex(x, p, &outl) != 1)
		die("encrypt");
	if (tag && EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_GCM_GET_TAG, 16, tag) != 1)
		die("tag");
	EVP_CIPHER_CTX_free(x);
}

/*
 * A QUIC v1 client Initial (RFC 9000 §17.2.2) carrying the ClientHello in a CRYPTO frame,
 * padded to 1200 bytes and protected with the initial keys (RFC 9001 §5).
 */
static void quic_initial(struct gen *g, struct conn *c, struct buf *out)
{
	static const uint8_t salt[20] = {0x38, 0x76, 0x2c, 0xf7, 0xf5, 0x59, 0x34,
					 0xb3, 0x4d, 0x17, 0x9a, 0xe6, 0xa4, 0xc8,
					 0x0c, 0xad, 0xcc, 0xbb, 0x7f, 0x0a};
	uint8_t initial[32], secret[32], key[16], iv[12], hp[16], mask[16];
	unsigned mdlen;
	struct buf ch = {0};
	size_t pn_off, hdr, plain, i;

	client_hello(g, &ch, c->name, true, c->cid_c);
	put8(out, 0xc3); /* long header, Initial, 4-byte packet number */
	put32(out, 1);
	put8(out, 8), put(out, c->cid_s, 8); /* the client's first DCID: random */
	put8(out, 8), put(out, c->cid_c, 8);
	put8(out, 0); /* token length */
	hdr = out->len + 2 + 4;
	plain = QUIC_INITIAL - hdr - 16;
	put16(out, 0x4000 | (unsigned)(4 + plain + 16));
	pn_off = out->len;
	put32(out, 0);
	put8(out, 0x06), put8(out, 0), put16(out, 0x4000 | (unsigned)ch.len); /* CRYPTO */
	put(out, ch.p, ch.len);
	buf_reserve(out, QUIC_INITIAL);
	memset(out->p + out->len, 0, hdr + plain - out->len); /* PADDING frames */
	out->len = hdr + plain;
	free(ch.p);

	if (!HMAC(EVP_sha256(), salt, sizeof(salt), c->cid_s, 8, initial, &mdlen))
		die("HMAC");
	expand_label(initial, "client in", secret, 32);
	expand_label(secret, "quic key", key, 16);
	expand_label(secret, "quic iv", iv, 12);
	expand_label(secret, "quic hp", hp, 16);
	/* packet number 0: the nonce is the IV itself */
	aes(EVP_aes_128_gcm(), key, iv, out->p, hdr, out->p + hdr, plain, out->p + hdr + plain);
	out->len = QUIC_INITIAL;
	memcpy(mask, out->p + pn_off + 4, 16);
	aes(EVP_aes_128_ecb(), hp, NULL, NULL, 0, mask, 16, NULL);
	out->p[0] ^= mask[0] & 0x0f;
	for (i = 0; i < 4; i++)
		out->p[pn_off + i] ^= mask[1 + i];
}

static void dns_name(struct buf *b, const char *name)
{
	while (*name) {
		const char *dot = strchr(name, '.');
		size_t n = dot ? (size_t)(dot - name) : strlen(name);

		put8(b, (unsigned)n);
		put(b, name, n);
		name += n + (dot ? 1 : 0);
	}
	put8(b, 0);
}

static void dns_msg(struct buf *b, uint16_t id, const char *name, bool response,
		    const uint8_t ip[4], bool cname)
{
	put16(b, id);
	put16(b, response ? 0x8180 : 0x0100);
	put16(b, 1), put16(b, response ? (cname ? 2 : 1) : 0), put16(b, 0), put16(b, 0);
	dns_name(b, name);
	put16(b, 1), put16(b, 1);
	if (!response)
		return;
	if (cname) {
		size_t at;

		put16(b, 0xc00c), put16(b, 5), put16(b, 1), put32(b, 3600);
		at = b->len;
		put16(b, 0);
		put(b,
		    "\x04"
		    "edge"
		    "\x07"
		    "example"
		    "\x03"
		    "net",
		    17);
		put8(b, 0);
		set16(b, at, (unsigned)(b->len - at - 2));
		put16(b, (unsigned)(0xc000 | (at + 2)));
	} else {
		put16(b, 0xc00c);
	}
	put16(b, 1), put16(b, 1), put32(b, 300), put16(b, 4), put(b, ip, 4);
}

static void dhcp_request(struct gen *g, const struct phone *p, struct buf *b)
{
	size_t i;

	put8(b, 1), put8(b, 1), put8(b, 6), put8(b, 0);
	put32(b, (uint32_t)rnd(&g->rng));
	put16(b, 0), put16(b, 0);
	for (i = 0; i < 16; i++) /* ciaddr yiaddr siaddr giaddr */
		put8(b, 0);
	put(b, p->mac, 6);
	for (i = 0; i < 10 + 192; i++) /* chaddr padding, sname, file */
		put8(b, 0);
	put32(b, 0x63825363);
	put8(b, 53), put8(b, 1), put8(b, 3);
	put8(b, 50), put8(b, 4), put(b, p->ip, 4);
	put8(b, 12), put8(b, (unsigned)strlen(p->hostname)),
		put(b, p->hostname, strlen(p->hostname));
	put8(b, 60), put8(b, 16), put(b, "android-dhcp-13\0", 16);
	put8(b, 55), put8(b, 6), put8(b, 1), put8(b, 3), put8(b, 6), put8(b, 15), put8(b, 26);
	put8(b, 28);
	put8(b, 255);
}

static const char *user_agent(const struct phone *p)
{
	return strstr(p->model, "Nokia") ? "zzhc/1.0.0"
					 : "Dalvik/2.1.0 (Linux; U; Android 13; Build/TQ3A)";
}

/* One telemetry request (upload mix, and a little of the home mix). */
static void telemetry_request(struct gen *g, struct conn *c, struct buf *b)
{
	struct phone *p = &g->phones[c->phone];
	unsigned v = below(&g->rng, BODY_VARIANTS), what = below(&g->rng, 100);
	const struct buf *body = NULL;

	if (what < 30) { /* JSON */
		body = &p->json[v];
		putf(b,
		     "POST /v2/collect HTTP/1.1\r\nHost: %s\r\nUser-Agent: %s\r\n"
		     "Content-Type: application/json; charset=utf-8\r\n",
		     c->name, user_agent(p));
	} else if (what < 55) { /* gzip JSON */
		body = &p->gz[v];
		putf(b,
		     "POST /log/batch HTTP/1.1\r\nHost: %s\r\nUser-Agent: %s\r\n"
		     "Content-Type: application/json\r\nContent-Encoding: gzip\r\n",
		     c->name, user_agent(p));
	} else if (what < 70) { /* base64 JSON */
		body = v == 0 ? &p->reg : &p->b64[v];
		putf(b,
		     "POST / HTTP/1.1\r\nHost: %s:9999\r\nUser-Agent: zzhc/1.0.0\r\n"
		     "Content-Type: application/encrypted-json\r\n",
		     c->name);
	} else if (what < 80) { /* chunked JSON */
		const struct buf *j = &p->json[v];
		size_t off, n;

		putf(b,
		     "POST /v1/events HTTP/1.1\r\nHost: %s\r\nUser-Agent: %s\r\n"
		     "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n"
		     "Connection: keep-alive\r\n\r\n",
		     c->name, user_agent(p));
		for (off = 0; off < j->len; off += n) {
			n = LW_MIN_SZ(j->len - off, 4096);
			putf(b, "%zx\r\n", n);
			put(b, j->p + off, n);
			putf(b, "\r\n");
		}
		putf(b, "0\r\n\r\n");
		g->http_body_up += j->len;
		g->http_requests++;
		return;
	} else if (what < 90) { /* form */
		char tok[33];

		hex(&g->rng, tok, 32, false);
		g->tmp.len = 0;
		putf(&g->tmp,
		     "imei=%s&iccid=%s&imsi=%s&mac=%s&aid=%s&lat=%.6f&lon=%.6f&tok=%s&"
		     "email=%s&ts=%llu",
		     p->imei, p->iccid, p->imsi, p->mac_str, p->ad_id, p->lat, p->lon, tok,
		     p->email, (unsigned long long)(BASE_TIME + (uint64_t)(g->now_us / 1e6)));
		body = &g->tmp;
		putf(b,
		     "POST /api/register HTTP/1.1\r\nHost: %s\r\nUser-Agent: %s\r\n"
		     "Content-Type: application/x-www-form-urlencoded\r\n",
		     c->name, user_agent(p));
	} else { /* query string */
		putf(b,
		     "GET /track?imei=%s&mac=%s&adid=%s&android_id=%s&model=%s&ev=open&ts=%llu "
		     "HTTP/1.1\r\nHost: %s\r\nUser-Agent: %s\r\nAccept: */*\r\n"
		     "Connection: keep-alive\r\n\r\n",
		     p->imei, p->mac_str, p->ad_id, p->android_id, "Pixel%207",
		     (unsigned long long)(BASE_TIME + (uint64_t)(g->now_us / 1e6)), c->name,
		     user_agent(p));
		g->http_requests++;
		return;
	}
	putf(b, "Content-Length: %zu\r\nConnection: keep-alive\r\nAccept-Encoding: gzip\r\n\r\n",
	     body->len);
	put(b, body->p, body->len);
	g->http_body_up += body->len;
	g->http_requests++;
}

/* --- connections ------------------------------------------------------------------------------ */

/* The next message of a connection: direction, length and its first bytes. */
static bool next_msg(struct gen *g, struct conn *c)
{
	struct rng *r = &g->rng;
	struct phone *p = &g->phones[c->phone];
	int i = c->msgno++;

	c->off = 0;
	c->unacked = 0;
	c->head.len = 0;
	switch (c->kind) {
	case K_DHCP:
		if (i > 0)
			return false;
		c->dir = UP;
		dhcp_request(g, p, &c->head);
		break;
	case K_NTP:
		if (i > 1)
			return false;
		c->dir = i == 0 ? UP : DOWN;
		put8(&c->head, i == 0 ? 0x23 : 0x24);
		putrand(g, &c->head, 47);
		break;
	case K_RTP: /* RFC 3550 header, 160 bytes of PCMU */
		if (i >= 2 * (int)c->requests)
			return false;
		c->dir = i % 2;
		put8(&c->head, 0x80), put8(&c->head, 0);
		put16(&c->head, (unsigned)(i / 2) & 0xffff);
		put32(&c->head, (uint32_t)(i / 2) * 160);
		put32(&c->head, (uint32_t)c->cport << 16 | (uint32_t)c->dir);
		putrand(g, &c->head, 160);
		break;
	case K_DNS: {
		uint8_t ip[4];

		if (i > 1)
			return false;
		c->dir = i == 0 ? UP : DOWN;
		name_ip(c->name, ip);
		if (i == 0)
			g->dns_queries++;
		dns_msg(&c->head, (uint16_t)(c->cport * 31), c->name, i == 1, ip,
			strstr(c->name, "video") != NULL);
		break;
	}
	case K_TLS:
	case K_TLS_SHORT:
		if (i == 0) {
			c->dir = UP;
			put(&c->head, "\x16\x03\x01\x00\x00", 5);
			client_hello(g, &c->head, c->name, false, NULL);
			set16(&c->head, 3, (unsigned)(c->head.len - 5));
			g->tls_hellos++;
			break;
		}
		if (i == 1) { /* ServerHello, ChangeCipherSpec, encrypted flight */
			c->dir = DOWN;
			put(&c->head, "\x16\x03\x03\x00\x7a\x02", 6);
			c->len =
				c->kind == K_TLS_SHORT ? range(r, 200, 1400) : range(r, 2600, 5200);
			return true;
		}
		if (c->kind == K_TLS_SHORT)
			return false;
		if (i == 2) { /* ChangeCipherSpec, Finished and the first request */
			c->dir = UP;
			put(&c->head, "\x14\x03\x03\x00\x01\x01\x17\x03\x03", 9);
			c->len = range(r, 300, 900);
			return true;
		}
		if (i % 2 == 1) {
			c->dir = DOWN;
			put(&c->head, "\x17\x03\x03", 3);
			c->len =
				c->chunks > 1 ? range(r, 256, 1024) * 1024 : range(r, 3, 90) * 1024;
			return true;
		}
		if (i / 2 >= (int)c->chunks + 1)
			return false;
		c->dir = UP; /* the next segment request */
		put(&c->head, "\x17\x03\x03", 3);
		c->len = range(r, 200, 700);
		return true;
	case K_QUIC:
		if (i == 0) {
			c->dir = UP;
			quic_initial(g, c, &c->head);
			g->quic_hellos++;
			break;
		}
		if (i == 1) { /* server Initial + Handshake */
			c->dir = DOWN;
			put8(&c->head, 0xc1);
			c->len = 2 * QUIC_DGRAM;
			return true;
		}
		if (i == 2) { /* client Handshake + first request */
			c->dir = UP;
			put8(&c->head, 0xe1);
			c->len = range(r, 300, 1100);
			return true;
		}
		if (i % 2 == 1) {
			c->dir = DOWN;
			c->len =
				c->chunks > 1 ? range(r, 256, 1024) * 1024 : range(r, 3, 60) * 1024;
			return true;
		}
		if (i / 2 >= (int)c->chunks + 1)
			return false;
		c->dir = UP;
		c->len = range(r, 80, 400);
		return true;
	case K_HTTP_GET:
		if (i == 0) {
			c->dir = UP;
			if (chance(r, 0.3))
				putf(&c->head,
				     "GET /ad?aid=%s&app=com.example.app%u&w=320&h=50 HTTP/1.1\r\n"
				     "Host: %s\r\nUser-Agent: %s\r\nAccept: */*\r\n\r\n",
				     p->ad_id, below(r, 40), c->name, user_agent(p));
			else
				putf(&c->head,
				     "GET /images/%08x.jpg HTTP/1.1\r\nHost: %s\r\n"
				     "User-Agent: Mozilla/5.0 (Linux; Android 13; %s) "
				     "AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0 Mobile "
				     "Safari/537.36\r\nAccept: image/avif,image/webp,*/*\r\n"
				     "Accept-Encoding: gzip, deflate\r\nConnection: "
				     "keep-alive\r\n\r\n",
				     (unsigned)rnd(r), c->name, p->model);
			g->http_requests++;
			break;
		}
		if (i > 1)
			return false;
		c->dir = DOWN;
		c->len = range(r, 8, 300) * 1024;
		putf(&c->head,
		     "HTTP/1.1 200 OK\r\nContent-Type: image/jpeg\r\nContent-Length: %u\r\n"
		     "Cache-Control: max-age=86400\r\n\r\n",
		     c->len);
		c->len += (uint32_t)c->head.len;
		return true;
	case K_HTTP_POST:
		if (i / 2 >= (int)c->requests)
			return false;
		if (i % 2 == 0) {
			c->dir = UP;
			telemetry_request(g, c, &c->head);
		} else {
			c->dir = DOWN;
			putf(&c->head, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
				       "Content-Length: 15\r\n\r\n{\"status\":\"ok\"}");
		}
		break;
	}
	c->len = (uint32_t)c->head.len;
	return true;
}

static void conn_start(struct gen *g, struct conn *c, int phone, enum kind kind, const char *name)
{
	struct phone *p = &g->phones[phone];

	c->active = true;
	c->kind = kind;
	c->phone = phone;
	if (name != c->name)
		snprintf(c->name, sizeof(c->name), "%s", name);
	c->tcp = kind == K_TLS || kind == K_TLS_SHORT || kind == K_HTTP_GET || kind == K_HTTP_POST;
	c->msgno = 0;
	c->has_then = false;
	c->phase = c->tcp ? 0 : 3;
	c->ipid[0] = (uint16_t)rnd(&g->rng);
	c->ipid[1] = (uint16_t)rnd(&g->rng);
	c->seq[0] = (uint32_t)rnd(&g->rng);
	c->seq[1] = (uint32_t)rnd(&g->rng);
	c->cport = p->next_port;
	p->next_port =
		(uint16_t)(p->next_port >= 60999 ? 32768 : p->next_port + 1 + below(&g->rng, 3));
	c->seg_max = kind == K_QUIC ? QUIC_DGRAM : MSS;
	c->ack_every = c->tcp ? 2 : kind == K_QUIC ? 8 : 0;
	switch (kind) {
	case K_DNS:
		memcpy(c->sip, router_ip, 4);
		c->sport = 53;
		break;
	case K_NTP:
		name_ip(name, c->sip);
		c->sport = 123;
		c->cport = 123;
		break;
	case K_RTP:
		name_ip(name, c->sip);
		c->sport = (uint16_t)(10000 + 2 * below(&g->rng, 5000));
		c->cport &= 0xfffe;
		break;
	case K_DHCP:
		memset(c->sip, 0xff, 4);
		c->sport = 67;
		c->cport = 68;
		break;
	case K_TLS:
	case K_TLS_SHORT:
	case K_QUIC:
		name_ip(name, c->sip);
		c->sport = 443;
		break;
	case K_HTTP_GET:
		name_ip(name, c->sip);
		c->sport = 80;
		break;
	case K_HTTP_POST:
		name_ip(name, c->sip);
		c->sport = below(&g->rng, 4) ? 80 : 8080;
		break;
	}
	if (kind == K_QUIC) {
		uint64_t a = rnd(&g->rng), b = rnd(&g->rng);

		memcpy(c->cid_c, &a, 8);
		memcpy(c->cid_s, &b, 8);
	}
	g->flows++;
	if (!c->tcp)
		next_msg(g, c);
}

/* Payload of the next segment of the current message into the frame; returns its length. */
static size_t fill_segment(struct gen *g, struct conn *c, size_t at)
{
	size_t n = LW_MIN_SZ(c->len - c->off, c->seg_max), h = 0;
	uint8_t *dst = g->frame + at;

	if (c->off < c->head.len) {
		h = LW_MIN_SZ(c->head.len - c->off, n);
		memcpy(dst, c->head.p + c->off, h);
	}
	if (n > h)
		memcpy(dst + h, g->pool + below(&g->rng, POOL_SIZE - (uint32_t)n), n - h);
	if (c->kind == K_QUIC && c->msgno > 1 && c->off >= c->head.len) {
		/* a short-header packet to the peer's connection id */
		dst[0] = (uint8_t)(0x40 | (dst[0] & 0x3f));
		memcpy(dst + 1, c->dir == UP ? c->cid_s : c->cid_c, 8);
	}
	c->off += (uint32_t)n;
	return n;
}

static void ack(struct gen *g, struct conn *c, int dir)
{
	if (c->tcp) {
		emit(g, c, dir, 0x10, 0);
	} else if (c->kind == K_QUIC) {
		size_t at = l4_off(false, 0), n = range(&g->rng, 30, 60);
		uint8_t *dst = g->frame + at;

		memcpy(dst, g->pool + below(&g->rng, POOL_SIZE - 64), n);
		dst[0] = (uint8_t)(0x40 | (dst[0] & 0x3f));
		memcpy(dst + 1, dir == UP ? c->cid_s : c->cid_c, 8);
		emit(g, c, dir, 0, n);
	}
}

/* One step of a connection: a segment (and the receiver's acknowledgement when due). */
static void conn_step(struct gen *g, struct conn *c)
{
	switch (c->phase) {
	case 0:
		emit(g, c, UP, 0x02, 0);
		c->phase = 1;
		return;
	case 1:
		emit(g, c, DOWN, 0x12, 0);
		c->phase = 2;
		return;
	case 2:
		emit(g, c, UP, 0x10, 0);
		c->phase = 3;
		if (!next_msg(g, c))
			c->phase = 4;
		return;
	case 3: {
		size_t n = fill_segment(g, c, l4_off(c->tcp, 0x18));
		bool last = c->off >= c->len;

		emit(g, c, c->dir, last ? 0x18 : 0x10, n);
		/* now and then a retransmission of a bulk segment */
		if (c->tcp && c->dir == DOWN && n == MSS && chance(&g->rng, 0.002)) {
			c->seq[DOWN] -= (uint32_t)n;
			emit(g, c, DOWN, 0x10, n); /* the frame still holds the payload */
		}
		if (++c->unacked >= c->ack_every || last) {
			if (c->ack_every)
				ack(g, c, !c->dir);
			c->unacked = 0;
		}
		if (last && !next_msg(g, c))
			c->phase = c->tcp ? 4 : 7;
		return;
	}
	case 4:
		emit(g, c, UP, 0x11, 0);
		c->phase = 5;
		return;
	case 5:
		emit(g, c, DOWN, 0x11, 0);
		c->phase = 6;
		return;
	case 6:
		emit(g, c, UP, 0x10, 0);
		c->phase = 7;
		return;
	}
}

/* --- mixes ------------------------------------------------------------------------------------ */

static const char *pick(struct rng *r, const char *const *list, size_t n)
{
	return list[below(r, (uint32_t)n)];
}

/* A new session on a slot: what a phone does next (with a DNS lookup first most of the time). */
static void session_start(struct gen *g, struct conn *c, int phone)
{
	struct rng *r = &g->rng;
	enum kind k;
	const char *name;
	unsigned chunks = 1, requests = 1, w = below(r, 1000);
	bool lookup;

	if (g->mix == MIX_MANYFLOWS) {
		char nm[NAME_MAX_LEN];

		if (w < 700) {
			snprintf(nm, sizeof(nm), "h%u.s%u.example.com", below(r, 200000),
				 below(r, 50));
			conn_start(g, c, phone, K_DNS, nm);
		} else if (w < 900) {
			snprintf(nm, sizeof(nm), "s%u.example.org", below(r, 5000));
			conn_start(g, c, phone, K_TLS_SHORT, nm);
		} else {
			conn_start(g, c, phone, K_NTP, pick(r, web_hosts, LW_N(web_hosts)));
		}
		g->now_us += g->us_per_flow;
		return;
	}
	if (g->mix == MIX_VOIP) {
		conn_start(g, c, phone, K_RTP, pick(r, voip_hosts, LW_N(voip_hosts)));
		c->requests = range(r, 500, 3000);
		return;
	}
	if (g->mix == MIX_UPLOAD) {
		if (w < 150) {
			conn_start(g, c, phone, K_DNS,
				   pick(r, telemetry_hosts, LW_N(telemetry_hosts)));
			return;
		}
		k = K_HTTP_POST;
		name = pick(r, telemetry_hosts, LW_N(telemetry_hosts));
		requests = range(r, 1, 8);
	} else if (w < 330) {
		conn_start(g, c, phone, K_DNS, pick(r, web_hosts, LW_N(web_hosts)));
		return;
	} else if (w < 700) {
		k = K_TLS;
		name = pick(r, web_hosts, LW_N(web_hosts));
	} else if (w < 770) {
		k = K_TLS;
		name = pick(r, video_hosts, LW_N(video_hosts));
		chunks = range(r, 2, 6);
	} else if (w < 820) {
		k = K_QUIC;
		name = pick(r, video_hosts, LW_N(video_hosts));
		chunks = range(r, 2, 6);
	} else if (w < 900) {
		k = K_QUIC;
		name = pick(r, web_hosts, LW_N(web_hosts));
	} else if (w < 960) {
		k = K_HTTP_GET;
		name = pick(r, http_hosts, LW_N(http_hosts));
	} else {
		k = K_HTTP_POST;
		name = pick(r, telemetry_hosts, LW_N(telemetry_hosts));
		requests = range(r, 1, 3);
	}
	lookup = chance(r, 0.6);
	if (lookup) {
		conn_start(g, c, phone, K_DNS, name);
		c->then = k;
		c->has_then = true;
	} else {
		conn_start(g, c, phone, k, name);
		c->has_then = false;
	}
	c->chunks = chunks;
	c->requests = requests;
}

static void run_mix(struct gen *g, double scale)
{
	/* from where the file is: -l runs the mix again on the same file */
	uint64_t target_bytes = g->file_bytes + (uint64_t)(1e9 * scale),
		 target_flows = g->flows + (uint64_t)(1e6 * scale);
	int i;

	g->nslots = g->mix == MIX_HOME ? 150 : g->mix == MIX_MANYFLOWS ? 32 : 100;
	/*
	 * home: a 200 Mbit/s line; upload: 100 Mbit/s; manyflows: 1 M flows in 300 s; voip: 100
	 * calls, a packet every 20 ms each way
	 */
	g->us_per_byte = g->mix == MIX_HOME	? 0.04
			 : g->mix == MIX_UPLOAD ? 0.08
			 : g->mix == MIX_VOIP	? 0.46
						: 0.0;
	g->us_per_flow = 300.0;
	if (g->mix != MIX_MANYFLOWS) { /* every phone asks for its address first */
		for (i = 0; i < g->nphones; i++) {
			struct conn c = {0};

			conn_start(g, &c, i, K_DHCP, "dhcp");
			conn_step(g, &c);
			free(c.head.p);
		}
	}
	for (;;) {
		struct conn *c = &g->slots[below(&g->rng, (uint32_t)g->nslots)];
		int phone = g->mix == MIX_MANYFLOWS ? (int)below(&g->rng, (uint32_t)g->nphones)
						    : (int)((c - g->slots) % g->nphones);

		if (g->mix == MIX_MANYFLOWS ? g->flows >= target_flows
					    : g->file_bytes >= target_bytes)
			break;
		if (!c->active || c->phase == 7) {
			if (c->active && c->has_then) {
				unsigned chunks = c->chunks, requests = c->requests;
				enum kind k = c->then;

				conn_start(g, c, phone, k, c->name);
				c->has_then = false;
				c->chunks = chunks;
				c->requests = requests;
			} else {
				session_start(g, c, phone);
			}
		}
		conn_step(g, c);
	}
}

/* --- outputs ---------------------------------------------------------------------------------- */

static void make_phones(struct gen *g, int n, uint64_t seed, bool bodies)
{
	struct rng r;
	int i;

	rng_seed(&r, seed ^ 0x70686f6e6573ull);
	g->nphones = n;
	g->phones = calloc((size_t)n, sizeof(*g->phones));
	if (!g->phones)
		die("out of memory");
	for (i = 0; i < n; i++)
		make_phone(&r, &g->phones[i], i);
	if (bodies)
		for (i = 0; i < n; i++)
			make_bodies(&r, &g->phones[i]);
}

static void write_config(struct gen *g, const char *path, bool devices, uint64_t seed)
{
	FILE *f = fopen(path, "w");
	int i;

	if (!f)
		die("%s: %s", path, strerror(errno));
	fprintf(f, "# bench/gen %s (seed %llu): settings shared by every benchmark run%s\n",
		devices ? "config" : "none", (unsigned long long)seed,
		devices ? ", and the synthetic phones' known identifiers" : "");
	fprintf(f, "[database]\nstats_interval = 10\n");
	for (i = 0; devices && i < g->nphones; i++) {
		const struct phone *p = &g->phones[i];

		fprintf(f, "\n[device %s]\nlabel = %s %s\nimei = %s\nimei = %s\niccid = %s\n",
			p->mac_str, p->hostname, p->model, p->imei, p->imei2, p->iccid);
		fprintf(f, "imsi = %s\nphone = %s\nemail = %s\nandroid_id = %s\nad_id = %s\n",
			p->imsi, p->msisdn, p->email, p->android_id, p->ad_id);
		fprintf(f, "serial = %s\n", p->serial);
	}
	if (fclose(f) != 0)
		die("%s: %s", path, strerror(errno));
}

static void gen_free(struct gen *g)
{
	int i, v;

	for (i = 0; g->phones && i < g->nphones; i++) {
		struct phone *p = &g->phones[i];

		for (v = 0; v < BODY_VARIANTS; v++) {
			free(p->json[v].p);
			free(p->gz[v].p);
			free(p->b64[v].p);
		}
		free(p->reg.p);
	}
	for (i = 0; i < SLOTS_MAX; i++)
		free(g->slots[i].head.p);
	free(g->phones);
	free(g->pool);
	free(g->tmp.p);
	free(g);
}

static void usage(void)
{
	fprintf(stderr, "usage: gen home|upload|manyflows|voip OUT.pcap [-s SCALE] [-S SEED] "
			"[-l LOOPS [-d SPAN]] [-t START]\n"
			"       gen config|none OUT.conf [-n DEVICES] [-S SEED]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	struct gen *g;
	const char *what, *path;
	double scale = 1.0;
	uint64_t seed = 7;
	int n = 50, opt;
	long loops = 1;
	double span = 86400;
	char meta[4096];
	FILE *m;

	if (argc < 3)
		usage();
	what = argv[1];
	path = argv[2];
	optind = 3;
	while ((opt = getopt(argc, argv, "s:S:n:l:d:t:")) != -1) {
		switch (opt) {
		case 'l':
			loops = atol(optarg);
			break;
		case 'd':
			span = strtod(optarg, NULL);
			break;
		case 't':
			BASE_TIME = BASE_TIME_DEFAULT + strtoull(optarg, NULL, 0);
			break;
		case 's':
			scale = strtod(optarg, NULL);
			break;
		case 'S':
			seed = strtoull(optarg, NULL, 0);
			break;
		case 'n':
			n = atoi(optarg);
			break;
		default:
			usage();
		}
	}
	if (scale <= 0 || scale > 100 || n < 1 || n > NPHONES_MAX || loops < 1 || loops > 100000 ||
	    span < 0)
		usage();
	g = calloc(1, sizeof(*g));
	if (!g)
		die("out of memory");
	if (strcmp(what, "config") == 0 || strcmp(what, "none") == 0) {
		make_phones(g, n, seed, false);
		write_config(g, path, strcmp(what, "config") == 0, seed);
		gen_free(g);
		return 0;
	}
	if (strcmp(what, "home") == 0)
		g->mix = MIX_HOME;
	else if (strcmp(what, "upload") == 0)
		g->mix = MIX_UPLOAD;
	else if (strcmp(what, "manyflows") == 0)
		g->mix = MIX_MANYFLOWS;
	else if (strcmp(what, "voip") == 0)
		g->mix = MIX_VOIP;
	else
		usage();
	make_phones(g, n, seed, g->mix != MIX_MANYFLOWS);
	rng_seed(&g->rng, seed);
	g->pool = malloc(POOL_SIZE);
	if (!g->pool)
		die("out of memory");
	for (size_t i = 0; i < POOL_SIZE; i += 8) {
		uint64_t v = rnd(&g->rng);

		memcpy(g->pool + i, &v, 8);
	}
	g->out = fopen(path, "wb");
	if (!g->out)
		die("%s: %s", path, strerror(errno));
	setvbuf(g->out, NULL, _IOFBF, 1 << 22);
	{
		uint32_t hdr[6] = {0xa1b2c3d4, 0x00040002, 0, 0, 262144, 1};

		if (fwrite(hdr, sizeof(hdr), 1, g->out) != 1)
			die("write: %s", strerror(errno));
		g->file_bytes = sizeof(hdr);
	}
	for (long l = 0; l < loops; l++) {
		if (l > 0) {
			/* the same household later: new traffic, the sessions of the last loop cut */
			rng_seed(&g->rng, seed + 0x9e3779b97f4a7c15ull * (uint64_t)l);
			for (int i = 0; i < SLOTS_MAX; i++) {
				free(g->slots[i].head.p);
				memset(&g->slots[i], 0, sizeof(g->slots[i]));
			}
			if (g->now_us < (double)l * span * 1e6 / (double)loops)
				g->now_us = (double)l * span * 1e6 / (double)loops;
		}
		run_mix(g, scale);
	}
	if (fclose(g->out) != 0)
		die("%s: %s", path, strerror(errno));
	if (strncmp(path, "/dev/", 5) == 0) {
		gen_free(g);
		return 0;
	}

	snprintf(meta, sizeof(meta), "%s.meta", path);
	m = fopen(meta, "w");
	if (!m)
		die("%s: %s", meta, strerror(errno));
	fprintf(m,
		"mix=%s\nscale=%g\nseed=%llu\nphones=%d\npackets=%llu\nfile_bytes=%llu\n"
		"wire_bytes=%llu\nflows=%llu\nup_payload=%llu\ndown_payload=%llu\n"
		"http_requests=%llu\nhttp_body_up=%llu\ndns_queries=%llu\ntls_hellos=%llu\n"
		"quic_hellos=%llu\nduration_s=%.3f\n",
		what, scale, (unsigned long long)seed, g->nphones, (unsigned long long)g->packets,
		(unsigned long long)g->file_bytes, (unsigned long long)g->wire_bytes,
		(unsigned long long)g->flows, (unsigned long long)g->up_payload,
		(unsigned long long)g->down_payload, (unsigned long long)g->http_requests,
		(unsigned long long)g->http_body_up, (unsigned long long)g->dns_queries,
		(unsigned long long)g->tls_hellos, (unsigned long long)g->quic_hellos,
		g->now_us / 1e6);
	if (fclose(m) != 0)
		die("%s: %s", meta, strerror(errno));
	gen_free(g);
	return 0;
}
