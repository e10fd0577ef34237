/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for the hold inspector (no queue, no root): IP packets as NFQUEUE hands them
 * over, built here, fed through lw_test_guard so an over-read faults.
 */
#include <errno.h>
#include <string.h>

#include "block/hold.h"
#include "decode/decode.h"
#include "lw-test.h"

#define T_NOW (1700000000LL * LW_USEC_PER_SEC)

/* What the callback saw, and what it answers. */
struct seen {
	int calls;
	int dns_calls;
	char name[256];
	enum lw_name_source source;
	char qname[256];
	size_t answers;
	struct lw_addr dst;
	bool has_mac;
	const char *drop_name; /* names to drop */
};

static enum lw_hold_verdict cb(const struct lw_hold_packet *p, void *user_data)
{
	struct seen *s = user_data;

	s->calls++;
	s->dst = p->dst;
	s->has_mac = p->has_mac;
	if (p->dns) {
		s->dns_calls++;
		snprintf(s->qname, sizeof(s->qname), "%s", p->dns->qname);
		s->answers = p->dns->n_answers;
		return LW_HOLD_ACCEPT;
	}
	snprintf(s->name, sizeof(s->name), "%s", p->name ? p->name : "");
	s->source = p->source;
	return s->drop_name && p->name && strcmp(p->name, s->drop_name) == 0 ? LW_HOLD_DROP
									     : LW_HOLD_ACCEPT;
}

/* --- packet builders ----------------------------------------------------------------------- */

static size_t ip4(uint8_t *out, uint8_t proto, const char *src, const char *dst, size_t l4len)
{
	struct lw_addr s, d;
	size_t tot = 20 + l4len;

	lw_addr_parse(src, &s);
	lw_addr_parse(dst, &d);
	memset(out, 0, 20);
	out[0] = 0x45;
	out[2] = (uint8_t)(tot >> 8);
	out[3] = (uint8_t)tot;
	out[8] = 64;
	out[9] = proto;
	memcpy(out + 12, s.b, 4);
	memcpy(out + 16, d.b, 4);
	return 20;
}

static size_t ip6(uint8_t *out, uint8_t proto, const char *src, const char *dst, size_t l4len)
{
	struct lw_addr s, d;

	lw_addr_parse(src, &s);
	lw_addr_parse(dst, &d);
	memset(out, 0, 40);
	out[0] = 0x60;
	out[4] = (uint8_t)(l4len >> 8);
	out[5] = (uint8_t)l4len;
	out[6] = proto;
	out[7] = 64;
	memcpy(out + 8, s.b, 16);
	memcpy(out + 24, d.b, 16);
	return 40;
}

static size_t udp(uint8_t *out, const char *src, const char *dst, uint16_t sp, uint16_t dp,
		  const uint8_t *pl, size_t n)
{
	bool v6 = strchr(src, ':') != NULL;
	size_t h = v6 ? ip6(out, 17, src, dst, 8 + n) : ip4(out, 17, src, dst, 8 + n);
	uint8_t *u = out + h;

	u[0] = (uint8_t)(sp >> 8);
	u[1] = (uint8_t)sp;
	u[2] = (uint8_t)(dp >> 8);
	u[3] = (uint8_t)dp;
	u[4] = (uint8_t)((8 + n) >> 8);
	u[5] = (uint8_t)(8 + n);
	u[6] = u[7] = 0;
	memcpy(u + 8, pl, n);
	return h + 8 + n;
}

static size_t tcp(uint8_t *out, const char *src, const char *dst, uint16_t sp, uint16_t dp,
		  uint32_t seq, uint8_t flags, const uint8_t *pl, size_t n)
{
	bool v6 = strchr(src, ':') != NULL;
	size_t h = v6 ? ip6(out, 6, src, dst, 20 + n) : ip4(out, 6, src, dst, 20 + n);
	uint8_t *t = out + h;

	memset(t, 0, 20);
	t[0] = (uint8_t)(sp >> 8);
	t[1] = (uint8_t)sp;
	t[2] = (uint8_t)(dp >> 8);
	t[3] = (uint8_t)dp;
	t[4] = (uint8_t)(seq >> 24);
	t[5] = (uint8_t)(seq >> 16);
	t[6] = (uint8_t)(seq >> 8);
	t[7] = (uint8_t)seq;
	t[12] = 5 << 4;
	t[13] = flags;
	t[14] = 0xff;
	if (n)
		memcpy(t + 20, pl, n);
	return h + 20 + n;
}

/* A DNS response: qname A -> addr (ttl), optionally through a CNAME first. */
static size_t dns_answer(uint8_t *out, const char *qname, const char *cname, const char *addr)
{
	size_t n = 0;
	struct lw_addr a;

	lw_addr_parse(addr, &a);
	memcpy(out, "\x12\x34\x81\x80\x00\x01\x00\x00\x00\x00\x00\x00", 12);
	out[7] = cname ? 2 : 1;
	n = 12;
	{
		const char *s = qname;

		while (*s) {
			const char *dot = strchr(s, '.');
			size_t l = dot ? (size_t)(dot - s) : strlen(s);

			out[n++] = (uint8_t)l;
			memcpy(out + n, s, l);
			n += l;
			s += l + (dot ? 1 : 0);
		}
		out[n++] = 0;
	}
	memcpy(out + n, "\x00\x01\x00\x01", 4);
	n += 4;
	if (cname) {
		/* qname CNAME cname (target written out in full), then cname A addr */
		size_t tpos;

		memcpy(out + n, "\xc0\x0c\x00\x05\x00\x01\x00\x00\x00\x3c", 10);
		n += 10;
		tpos = n;
		n += 2;
		{
			const char *s = cname;
			size_t start = n;

			while (*s) {
				const char *dot = strchr(s, '.');
				size_t l = dot ? (size_t)(dot - s) : strlen(s);

				out[n++] = (uint8_t)l;
				memcpy(out + n, s, l);
				n += l;
				s += l + (dot ? 1 : 0);
			}
			out[n++] = 0;
			out[tpos] = (uint8_t)((n - start) >> 8);
			out[tpos + 1] = (uint8_t)(n - start);
			out[n++] = 0xc0;
			out[n++] = (uint8_t)start;
		}
	} else {
		out[n++] = 0xc0;
		out[n++] = 0x0c;
	}
	memcpy(out + n, "\x00\x01\x00\x01\x00\x00\x00\x3c\x00\x04", 10);
	n += 10;
	memcpy(out + n, a.b, 4);
	return n + 4;
}

/* A TLS 1.2-style record holding a ClientHello with SNI and `pad` bytes of padding ext. */
static size_t client_hello(uint8_t *out, const char *sni, size_t pad)
{
	size_t sl = strlen(sni), n = 0, ext_len = 9 + sl + (pad ? 4 + pad : 0);
	size_t body = 2 + 32 + 1 + 4 + 2 + 2 + ext_len;

	out[n++] = 0x16;
	out[n++] = 0x03;
	out[n++] = 0x01;
	out[n++] = (uint8_t)((body + 4) >> 8);
	out[n++] = (uint8_t)(body + 4);
	out[n++] = 0x01;
	out[n++] = 0;
	out[n++] = (uint8_t)(body >> 8);
	out[n++] = (uint8_t)body;
	out[n++] = 0x03;
	out[n++] = 0x03;
	memset(out + n, 0xab, 32);
	n += 32;
	out[n++] = 0; /* session id */
	memcpy(out + n, "\x00\x02\x13\x01", 4); /* one cipher suite */
	n += 4;
	memcpy(out + n, "\x01\x00", 2); /* compression: null */
	n += 2;
	out[n++] = (uint8_t)(ext_len >> 8);
	out[n++] = (uint8_t)ext_len;
	out[n++] = 0;
	out[n++] = 0; /* server_name */
	out[n++] = (uint8_t)((sl + 5) >> 8);
	out[n++] = (uint8_t)(sl + 5);
	out[n++] = (uint8_t)((sl + 3) >> 8);
	out[n++] = (uint8_t)(sl + 3);
	out[n++] = 0;
	out[n++] = (uint8_t)(sl >> 8);
	out[n++] = (uint8_t)sl;
	memcpy(out + n, sni, sl);
	n += sl;
	if (pad) {
		out[n++] = 0;
		out[n++] = 21; /* padding */
		out[n++] = (uint8_t)(pad >> 8);
		out[n++] = (uint8_t)pad;
		memset(out + n, 0, pad);
		n += pad;
	}
	return n;
}

static enum lw_hold_verdict feed(struct lw_hold *h, const uint8_t *pkt, size_t len,
				 const struct lw_mac *mac)
{
	struct lw_test_guard_buf g;
	const uint8_t *p = lw_test_guard(pkt, len, &g);
	enum lw_hold_verdict v = lw_hold_inspect(h, p, len, mac, T_NOW);

	lw_test_unguard(&g);
	return v;
}

/* --- tests ---------------------------------------------------------------------------------- */

static void test_dns_answer(void)
{
	struct seen s = {0};
	struct lw_hold *h = lw_hold_new(cb, &s);
	uint8_t dns[512], pkt[1024];
	size_t dl, pl;
	struct lw_hold_stats st;

	dl = dns_answer(dns, "zzhc.vnet.cn", NULL, "198.51.100.10");
	pl = udp(pkt, "192.0.2.1", "192.0.2.11", 53, 40000, dns, dl);
	LW_CHECK_INT(feed(h, pkt, pl, NULL), LW_HOLD_ACCEPT);
	LW_CHECK_INT(s.dns_calls, 1);
	LW_CHECK_STR(s.qname, "zzhc.vnet.cn");
	LW_CHECK_INT(s.answers, 1);

	/* through a CNAME: the callback sees both records */
	dl = dns_answer(dns, "www.example.org", "zzhc.vnet.cn", "198.51.100.10");
	pl = udp(pkt, "192.0.2.1", "192.0.2.11", 53, 40000, dns, dl);
	feed(h, pkt, pl, NULL);
	LW_CHECK_INT(s.dns_calls, 2);
	LW_CHECK_INT(s.answers, 2);

	/* over IPv6 */
	pl = udp(pkt, "2001:db8::1", "2001:db8::11", 53, 40000, dns, dl);
	feed(h, pkt, pl, NULL);
	LW_CHECK_INT(s.dns_calls, 3);

	/* a query (not a response) and a UDP packet that is not DNS pass without a call */
	dns[2] &= 0x7f;
	pl = udp(pkt, "192.0.2.1", "192.0.2.11", 53, 40000, dns, dl);
	LW_CHECK_INT(feed(h, pkt, pl, NULL), LW_HOLD_ACCEPT);
	pl = udp(pkt, "192.0.2.1", "192.0.2.11", 53, 40000, (const uint8_t *)"hi", 2);
	LW_CHECK_INT(feed(h, pkt, pl, NULL), LW_HOLD_ACCEPT);
	LW_CHECK_INT(s.calls, 3);

	/* every truncation of an answer: accepted, never read past its end */
	dns[2] |= 0x80;
	pl = udp(pkt, "192.0.2.1", "192.0.2.11", 53, 40000, dns, dl);
	LW_FOR_EACH_PREFIX(pkt, pl, p, n, {
		LW_CHECK_INT(lw_hold_inspect(h, p, n, NULL, T_NOW), LW_HOLD_ACCEPT);
	});
	lw_hold_get_stats(h, &st);
	LW_CHECK(st.malformed > 0);
	lw_hold_free(h);
}

static void test_hello_one_segment(void)
{
	struct seen s = {.drop_name = "zzhc.vnet.cn"};
	struct lw_hold *h = lw_hold_new(cb, &s);
	struct lw_mac mac = {{0x02, 0x10, 0, 0, 0, 1}};
	uint8_t ch[2048], pkt[4096];
	size_t cl, pl;
	struct lw_hold_stats st;

	/* the SYN and the handshake's ACK pass without a call */
	pl = tcp(pkt, "192.0.2.11", "203.0.113.40", 40001, 443, 1000, LW_TCP_SYN, NULL, 0);
	LW_CHECK_INT(feed(h, pkt, pl, &mac), LW_HOLD_ACCEPT);
	pl = tcp(pkt, "192.0.2.11", "203.0.113.40", 40001, 443, 1001, LW_TCP_ACK, NULL, 0);
	LW_CHECK_INT(feed(h, pkt, pl, &mac), LW_HOLD_ACCEPT);
	LW_CHECK_INT(s.calls, 0);

	cl = client_hello(ch, "zzhc.vnet.cn", 0);
	pl = tcp(pkt, "192.0.2.11", "203.0.113.40", 40001, 443, 1001, LW_TCP_ACK | LW_TCP_PSH, ch,
		 cl);
	LW_CHECK_INT(feed(h, pkt, pl, &mac), LW_HOLD_DROP);
	LW_CHECK_INT(s.calls, 1);
	LW_CHECK_STR(s.name, "zzhc.vnet.cn");
	LW_CHECK_INT(s.source, LW_NAME_SNI);
	LW_CHECK(s.has_mac);
	{
		char a[LW_ADDR_STRLEN];

		LW_CHECK_STR(lw_addr_str(&s.dst, a), "203.0.113.40");
	}
	/* its retransmission gets the same verdict without asking again */
	LW_CHECK_INT(feed(h, pkt, pl, &mac), LW_HOLD_DROP);
	LW_CHECK_INT(s.calls, 1);

	/* another connection with an unflagged name passes; so does one without SNI */
	cl = client_hello(ch, "www.example.org", 0);
	pl = tcp(pkt, "192.0.2.11", "203.0.113.40", 40002, 443, 5, LW_TCP_ACK, ch, cl);
	LW_CHECK_INT(feed(h, pkt, pl, &mac), LW_HOLD_ACCEPT);
	LW_CHECK_STR(s.name, "www.example.org");
	LW_CHECK_INT(s.calls, 2);

	/* the same over IPv6 */
	cl = client_hello(ch, "zzhc.vnet.cn", 0);
	pl = tcp(pkt, "2001:db8::11", "2001:db8::40", 40003, 443, 7, LW_TCP_ACK, ch, cl);
	LW_CHECK_INT(feed(h, pkt, pl, NULL), LW_HOLD_DROP);
	LW_CHECK(!s.has_mac);
	lw_hold_get_stats(h, &st);
	LW_CHECK_INT(st.names, 3);
	LW_CHECK_INT(st.dropped, 2);
	lw_hold_free(h);
}

static void test_hello_split(void)
{
	struct seen s = {.drop_name = "zzhc.vnet.cn"};
	struct lw_hold *h = lw_hold_new(cb, &s);
	uint8_t ch[4096], pkt[4096];
	size_t cl, pl, cut;
	struct lw_hold_stats st;

	/* a ClientHello of about 1.8 kB (a post-quantum key share) in two segments */
	cl = client_hello(ch, "zzhc.vnet.cn", 1700);
	cut = 1400;
	pl = tcp(pkt, "192.0.2.11", "203.0.113.40", 40010, 443, 100, LW_TCP_ACK, ch, cut);
	LW_CHECK_INT(feed(h, pkt, pl, NULL), LW_HOLD_ACCEPT); /* the server cannot answer yet */
	LW_CHECK_INT(s.calls, 0);
	/* a retransmission of the first part changes nothing */
	LW_CHECK_INT(feed(h, pkt, pl, NULL), LW_HOLD_ACCEPT);
	LW_CHECK_INT(s.calls, 0);
	pl = tcp(pkt, "192.0.2.11", "203.0.113.40", 40010, 443, 100 + (uint32_t)cut, LW_TCP_ACK,
		 ch + cut, cl - cut);
	LW_CHECK_INT(feed(h, pkt, pl, NULL), LW_HOLD_DROP); /* the segment that completes it */
	LW_CHECK_INT(s.calls, 1);
	LW_CHECK_STR(s.name, "zzhc.vnet.cn");

	/* the second part arriving first (a gap): the connection is given up, not guessed at */
	pl = tcp(pkt, "192.0.2.11", "203.0.113.40", 40011, 443, 100, LW_TCP_ACK, ch, cut);
	feed(h, pkt, pl, NULL);
	pl = tcp(pkt, "192.0.2.11", "203.0.113.40", 40011, 443, 100 + (uint32_t)cut + 10,
		 LW_TCP_ACK, ch + cut + 10, cl - cut - 10);
	LW_CHECK_INT(feed(h, pkt, pl, NULL), LW_HOLD_ACCEPT);
	LW_CHECK_INT(s.calls, 1);
	lw_hold_get_stats(h, &st);
	LW_CHECK_INT(st.gaps, 1);

	/* sequence numbers that wrap around 2^32 */
	pl = tcp(pkt, "192.0.2.11", "203.0.113.40", 40012, 443, 0xffffff00u, LW_TCP_ACK, ch, cut);
	feed(h, pkt, pl, NULL);
	pl = tcp(pkt, "192.0.2.11", "203.0.113.40", 40012, 443, 0xffffff00u + (uint32_t)cut,
		 LW_TCP_ACK, ch + cut, cl - cut);
	LW_CHECK_INT(feed(h, pkt, pl, NULL), LW_HOLD_DROP);
	LW_CHECK_INT(s.calls, 2);
	lw_hold_free(h);
}

static void test_http_and_other(void)
{
	struct seen s = {.drop_name = "zzhc.vnet.cn"};
	struct lw_hold *h = lw_hold_new(cb, &s);
	static const char req[] = "POST / HTTP/1.1\r\nHost: ZZHC.vnet.cn.:9999\r\n"
				  "Content-Length: 4\r\n\r\nabcd";
	static const char part1[] = "GET /index.html HTTP/1.1\r\nUser-Agent: x\r\n";
	static const char part2[] = "Host: www.example.org\r\n\r\n";
	uint8_t pkt[2048];
	size_t pl;

	pl = tcp(pkt, "192.0.2.11", "198.51.100.10", 40020, 9999, 1, LW_TCP_ACK,
		 (const uint8_t *)req, strlen(req));
	LW_CHECK_INT(feed(h, pkt, pl, NULL), LW_HOLD_DROP);
	LW_CHECK_STR(s.name, "zzhc.vnet.cn"); /* lowercase, port and trailing dot gone */
	LW_CHECK_INT(s.source, LW_NAME_HTTP);

	/* a request head in two segments: the Host comes with the second */
	pl = tcp(pkt, "192.0.2.11", "198.51.100.20", 40021, 80, 1, LW_TCP_ACK,
		 (const uint8_t *)part1, strlen(part1));
	LW_CHECK_INT(feed(h, pkt, pl, NULL), LW_HOLD_ACCEPT);
	LW_CHECK_INT(s.calls, 1);
	pl = tcp(pkt, "192.0.2.11", "198.51.100.20", 40021, 80, 1 + (uint32_t)strlen(part1),
		 LW_TCP_ACK, (const uint8_t *)part2, strlen(part2));
	LW_CHECK_INT(feed(h, pkt, pl, NULL), LW_HOLD_ACCEPT);
	LW_CHECK_INT(s.calls, 2);
	LW_CHECK_STR(s.name, "www.example.org");

	/* neither TLS nor HTTP: passes, no call, and later segments are not read again */
	pl = tcp(pkt, "192.0.2.11", "203.0.113.40", 40022, 5222, 1, LW_TCP_ACK,
		 (const uint8_t *)"<stream:stream>", 15);
	LW_CHECK_INT(feed(h, pkt, pl, NULL), LW_HOLD_ACCEPT);
	pl = tcp(pkt, "192.0.2.11", "203.0.113.40", 40022, 5222, 16, LW_TCP_ACK,
		 (const uint8_t *)req, strlen(req));
	LW_CHECK_INT(feed(h, pkt, pl, NULL), LW_HOLD_ACCEPT);
	LW_CHECK_INT(s.calls, 2);

	/* not an IP packet at all */
	LW_CHECK_INT(feed(h, (const uint8_t *)"\x00\x01\x02", 3, NULL), LW_HOLD_ACCEPT);
	lw_hold_free(h);
}

static int hexval(char c)
{
	return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
}

/* RFC 9001 A.2: a client Initial whose ClientHello names example.com. */
static const char rfc9001_a2[] = "c000000001088394c8f03e5157080000449e7b9aec34d1b1c98dd7689fb8ec11"
				 "d242b123dc9bd8bab936b47d92ec356c0bab7df5976d27cd449f63300099f399"
				 "1c260ec4c60d17b31f8429157bb35a1282a643a8d2262cad67500cadb8e7378c"
				 "8eb7539ec4d4905fed1bee1fc8aafba17c750e2c7ace01e6005f80fcb7df6212"
				 "30c83711b39343fa028cea7f7fb5ff89eac2308249a02252155e2347b63d58c5"
				 "457afd84d05dfffdb20392844ae812154682e9cf012f9021a6f0be17ddd0c208"
				 "4dce25ff9b06cde535d0f920a2db1bf362c23e596d11a4f5a6cf3948838a3aec"
				 "4e15daf8500a6ef69ec4e3feb6b1d98e610ac8b7ec3faf6ad760b7bad1db4ba3"
				 "485e8a94dc250ae3fdb41ed15fb6a8e5eba0fc3dd60bc8e30c5c4287e53805db"
				 "059ae0648db2f64264ed5e39be2e20d82df566da8dd5998ccabdae053060ae6c"
				 "7b4378e846d29f37ed7b4ea9ec5d82e7961b7f25a9323851f681d582363aa5f8"
				 "9937f5a67258bf63ad6f1a0b1d96dbd4faddfcefc5266ba6611722395c906556"
				 "be52afe3f565636ad1b17d508b73d8743eeb524be22b3dcbc2c7468d54119c74"
				 "68449a13d8e3b95811a198f3491de3e7fe942b330407abf82a4ed7c1b311663a"
				 "c69890f4157015853d91e923037c227a33cdd5ec281ca3f79c44546b9d90ca00"
				 "f064c99e3dd97911d39fe9c5d0b23a229a234cb36186c4819e8b9c5927726632"
				 "291d6a418211cc2962e20fe47feb3edf330f2c603a9d48c0fcb5699dbfe58964"
				 "25c5bac4aee82e57a85aaf4e2513e4f05796b07ba2ee47d80506f8d2c25e50fd"
				 "14de71e6c418559302f939b0e1abd576f279c4b2e0feb85c1f28ff18f58891ff"
				 "ef132eef2fa09346aee33c28eb130ff28f5b766953334113211996d20011a198"
				 "e3fc433f9f2541010ae17c1bf202580f6047472fb36857fe843b19f5984009dd"
				 "c324044e847a4f4a0ab34f719595de37252d6235365e9b84392b061085349d73"
				 "203a4a13e96f5432ec0fd4a1ee65accdd5e3904df54c1da510b0ff20dcc0c77f"
				 "cb2c0e0eb605cb0504db87632cf3d8b4dae6e705769d1de354270123cb11450e"
				 "fc60ac47683d7b8d0f811365565fd98c4c8eb936bcab8d069fc33bd801b03ade"
				 "a2e1fbc5aa463d08ca19896d2bf59a071b851e6c239052172f296bfb5e724047"
				 "90a2181014f3b94a4e97d117b438130368cc39dbb2d198065ae3986547926cd2"
				 "162f40a29f0c3c8745c0f50fba3852e566d44575c29d39a03f0cda721984b6f4"
				 "40591f355e12d439ff150aab7613499dbd49adabc8676eef023b15b65bfc5ca0"
				 "6948109f23f350db82123535eb8a7433bdabcb909271a6ecbcb58b936a88cd4e"
				 "8f2e6ff5800175f113253d8fa9ca8885c2f552e657dc603f252e1a8e308f76f0"
				 "be79e2fb8f5d5fbbe2e30ecadd220723c8c0aea8078cdfcb3868263ff8f09400"
				 "54da48781893a7e49ad5aff4af300cd804a6b6279ab3ff3afb64491c85194aab"
				 "760d58a606654f9f4400e8b38591356fbf6425aca26dc85244259ff2b19c41b9"
				 "f96f3ca9ec1dde434da7d2d392b905ddf3d1f9af93d1af5950bd493f5aa731b4"
				 "056df31bd267b6b90a079831aaf579be0a39013137aac6d404f518cfd4684064"
				 "7e78bfe706ca4cf5e9c5453e9f7cfd2b8b4c8d169a44e55c88d4a9a7f9474241"
				 "e221af44860018ab0856972e194cd934";

static void test_quic(void)
{
	struct seen s = {.drop_name = "example.com"};
	struct lw_hold *h = lw_hold_new(cb, &s);
	uint8_t initial[1400], pkt[1500];
	size_t n = strlen(rfc9001_a2) / 2, i, pl;

	for (i = 0; i < n; i++)
		initial[i] =
			(uint8_t)(hexval(rfc9001_a2[2 * i]) << 4 | hexval(rfc9001_a2[2 * i + 1]));
	pl = udp(pkt, "192.0.2.11", "203.0.113.40", 40030, 443, initial, n);
	LW_CHECK_INT(feed(h, pkt, pl, NULL), LW_HOLD_DROP);
	LW_CHECK_STR(s.name, "example.com");
	LW_CHECK_INT(s.source, LW_NAME_QUIC);
	/* the same Initial sent again: the decided verdict, no second call */
	LW_CHECK_INT(feed(h, pkt, pl, NULL), LW_HOLD_DROP);
	LW_CHECK_INT(s.calls, 1);
	/* UDP to 443 that is not QUIC passes */
	pl = udp(pkt, "192.0.2.11", "203.0.113.40", 40031, 443, (const uint8_t *)"\x01hi", 3);
	LW_CHECK_INT(feed(h, pkt, pl, NULL), LW_HOLD_ACCEPT);
	LW_CHECK_INT(s.calls, 1);
	lw_hold_free(h);
}

static void test_table_bounded(void)
{
	struct seen s = {0};
	struct lw_hold *h = lw_hold_new(cb, &s);
	uint8_t ch[4096], pkt[4096];
	size_t cl = client_hello(ch, "www.example.org", 1700), pl, i;
	struct lw_hold_stats st;

	/* more half-read starts than entries: the oldest are given up, counted */
	for (i = 0; i < LW_HOLD_MAX_CONNS + 10; i++) {
		pl = tcp(pkt, "192.0.2.11", "203.0.113.40", (uint16_t)(20000 + i), 443, 1,
			 LW_TCP_ACK, ch, 1000);
		LW_CHECK_INT(feed(h, pkt, pl, NULL), LW_HOLD_ACCEPT);
	}
	lw_hold_get_stats(h, &st);
	LW_CHECK_INT(st.evicted, 10);
	/* the newest still completes */
	pl = tcp(pkt, "192.0.2.11", "203.0.113.40", (uint16_t)(20000 + i - 1), 443, 1001,
		 LW_TCP_ACK, ch + 1000, cl - 1000);
	feed(h, pkt, pl, NULL);
	LW_CHECK_INT(s.calls, 1);
	LW_CHECK_STR(s.name, "www.example.org");
	lw_hold_free(h);
}

int main(void)
{
	LW_TEST(test_dns_answer);
	LW_TEST(test_hello_one_segment);
	LW_TEST(test_hello_split);
	LW_TEST(test_http_and_other);
	LW_TEST(test_quic);
	LW_TEST(test_table_bounded);
	return lw_test_end();
}
