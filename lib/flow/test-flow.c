/* SPDX-License-Identifier: MIT */
/* The flow table: client detection, direction, counters, eviction, expiry, close, flush. */
#include "flow/flow.h"
#include "lw-test.h"

#include <errno.h>

#define SEC LW_USEC_PER_SEC
#define MAX_ENDS 4096

struct ends {
	size_t n;
	uint64_t id[MAX_ENDS];
	enum lw_flow_end why[MAX_ENDS];
	int user_freed;
};

static void on_end(struct lw_flow *f, enum lw_flow_end why, void *ud)
{
	struct ends *e = ud;

	if (e->n < MAX_ENDS) {
		e->id[e->n] = f->id;
		e->why[e->n] = why;
	}
	e->n++;
	if (f->user) {
		free(f->user);
		f->user = NULL;
		e->user_freed++;
	}
}

static struct lw_packet mk(const char *src, uint16_t sport, const char *dst, uint16_t dport,
			   uint8_t l4, uint8_t flags, lw_time_us ts)
{
	struct lw_packet p;

	memset(&p, 0, sizeof(p));
	if (lw_addr_parse(src, &p.src) < 0 || lw_addr_parse(dst, &p.dst) < 0)
		abort();
	p.sport = sport;
	p.dport = dport;
	p.l4 = l4;
	p.tcp_flags = flags;
	p.ts = ts;
	p.wire_len = 60;
	return p;
}

static bool is_addr(const struct lw_addr *a, const char *s)
{
	struct lw_addr b;

	return lw_addr_parse(s, &b) == 0 && lw_addr_eq(a, &b);
}

/* The first packet of a new flow decides: does the client come out as expected? */
static void check_client(struct lw_flow_table *t, struct lw_packet p, const char *client,
			 uint16_t cport, const char *server, uint16_t sport)
{
	enum lw_dir dir;
	bool created;
	struct lw_flow *f = lw_flow_table_packet(t, &p, &dir, &created);

	LW_CHECK(f != NULL);
	if (!f)
		return;
	LW_CHECK(created);
	LW_CHECK(is_addr(&f->client, client));
	LW_CHECK_INT(f->client_port, cport);
	LW_CHECK(is_addr(&f->server, server));
	LW_CHECK_INT(f->server_port, sport);
	LW_CHECK_INT(dir, is_addr(&p.src, client) && p.sport == cport ? LW_DIR_UP : LW_DIR_DOWN);
}

static void test_client_syn(void)
{
	struct lw_prefix lan;
	struct lw_flow_config cfg = {.lan = &lan, .n_lan = 1};
	struct lw_flow_table *t;

	LW_CHECK_INT(lw_prefix_parse("192.168.1.0/24", &lan), 0);
	t = lw_flow_table_new(&cfg, 1, NULL, NULL, NULL);
	LW_CHECK(t != NULL);
	/* SYN: its sender, even from port 80 to a high port, even from outside the LAN */
	check_client(t, mk("10.0.0.1", 80, "10.0.0.2", 50000, 6, LW_TCP_SYN, 0), "10.0.0.1", 80,
		     "10.0.0.2", 50000);
	check_client(t, mk("8.8.8.8", 40000, "192.168.1.7", 443, 6, LW_TCP_SYN, 0), "8.8.8.8",
		     40000, "192.168.1.7", 443);
	/* SYN+ACK seen first: its receiver */
	check_client(t, mk("10.0.0.2", 3000, "10.0.0.3", 4000, 6, LW_TCP_SYN | LW_TCP_ACK, 0),
		     "10.0.0.3", 4000, "10.0.0.2", 3000);
	check_client(t, mk("192.168.1.5", 50001, "9.9.9.9", 443, 6, LW_TCP_SYN | LW_TCP_ACK, 0),
		     "9.9.9.9", 443, "192.168.1.5", 50001);
	lw_flow_table_free(t);
}

static void test_client_lan(void)
{
	struct lw_prefix lan[2];
	struct lw_flow_config cfg = {.lan = lan, .n_lan = 2};
	struct lw_flow_table *t;

	LW_CHECK_INT(lw_prefix_parse("192.168.1.0/24", &lan[0]), 0);
	LW_CHECK_INT(lw_prefix_parse("fd00:1::/64", &lan[1]), 0);
	t = lw_flow_table_new(&cfg, 1, NULL, NULL, NULL);
	LW_CHECK(t != NULL);
	/* the answer is seen first: the LAN side is still the client */
	check_client(t, mk("8.8.8.8", 53, "192.168.1.10", 5000, 17, 0, 0), "192.168.1.10", 5000,
		     "8.8.8.8", 53);
	/* the LAN rule wins over the port rule (an inbound port forward) */
	check_client(t, mk("1.2.3.4", 50000, "192.168.1.10", 443, 6, LW_TCP_ACK, 0), "192.168.1.10",
		     443, "1.2.3.4", 50000);
	check_client(t, mk("2001:db8::1", 443, "fd00:1::abcd", 40000, 17, 0, 0), "fd00:1::abcd",
		     40000, "2001:db8::1", 443);
	/* both inside: the port rule decides */
	check_client(t, mk("192.168.1.1", 53, "192.168.1.20", 41000, 17, 0, 0), "192.168.1.20",
		     41000, "192.168.1.1", 53);
	/* neither inside (broadcast DHCP): the port rule decides, 68 is the client */
	check_client(t, mk("0.0.0.0", 68, "255.255.255.255", 67, 17, 0, 0), "0.0.0.0", 68,
		     "255.255.255.255", 67);
	lw_flow_table_free(t);
}

static void test_client_port(void)
{
	struct lw_flow_table *t = lw_flow_table_new(NULL, 1, NULL, NULL, NULL);

	LW_CHECK(t != NULL);
	check_client(t, mk("1.1.1.1", 53, "10.0.0.5", 33333, 17, 0, 0), "10.0.0.5", 33333,
		     "1.1.1.1", 53);
	check_client(t, mk("10.0.0.5", 33334, "1.1.1.1", 53, 17, 0, 0), "10.0.0.5", 33334,
		     "1.1.1.1", 53);
	/* DHCP: both ports below 1024, 67 is the service */
	check_client(t, mk("10.0.0.1", 67, "10.0.0.9", 68, 17, 0, 0), "10.0.0.9", 68, "10.0.0.1",
		     67);
	check_client(t, mk("10.0.0.8", 68, "10.0.0.1", 67, 17, 0, 0), "10.0.0.8", 68, "10.0.0.1",
		     67);
	/* 68 is a client port though below 1024 */
	check_client(t, mk("10.0.0.1", 999, "10.0.0.8", 68, 17, 0, 0), "10.0.0.8", 68, "10.0.0.1",
		     999);
	/* listed services above 1024 */
	check_client(t, mk("10.0.0.1", 8443, "10.0.0.9", 50000, 6, LW_TCP_ACK, 0), "10.0.0.9",
		     50000, "10.0.0.1", 8443);
	check_client(t, mk("239.255.255.250", 1900, "10.0.0.9", 40000, 17, 0, 0), "10.0.0.9", 40000,
		     "239.255.255.250", 1900);
	check_client(t, mk("2001:db8::2", 9999, "2001:db8::3", 49152, 6, LW_TCP_ACK, 0),
		     "2001:db8::3", 49152, "2001:db8::2", 9999);
	/* a listed service beats an unlisted privileged port */
	check_client(t, mk("10.0.0.1", 443, "10.0.0.9", 600, 6, LW_TCP_ACK, 0), "10.0.0.9", 600,
		     "10.0.0.1", 443);
	/* any port below 1024 beats an ephemeral one */
	check_client(t, mk("10.0.0.1", 999, "10.0.0.9", 30000, 17, 0, 0), "10.0.0.9", 30000,
		     "10.0.0.1", 999);
	lw_flow_table_free(t);
}

static void test_client_first(void)
{
	struct lw_flow_table *t = lw_flow_table_new(NULL, 1, NULL, NULL, NULL);

	LW_CHECK(t != NULL);
	check_client(t, mk("10.0.0.1", 40000, "10.0.0.2", 50000, 17, 0, 0), "10.0.0.1", 40000,
		     "10.0.0.2", 50000);
	check_client(t, mk("10.0.0.2", 50001, "10.0.0.1", 40001, 6, LW_TCP_ACK, 0), "10.0.0.2",
		     50001, "10.0.0.1", 40001);
	/* both listed (mDNS to mDNS): the sender */
	check_client(t, mk("10.0.0.7", 5353, "224.0.0.251", 5353, 17, 0, 0), "10.0.0.7", 5353,
		     "224.0.0.251", 5353);
	lw_flow_table_free(t);
}

static void test_direction_counters(void)
{
	struct lw_flow_table *t = lw_flow_table_new(NULL, 42, NULL, NULL, NULL);
	struct lw_mac cmac = {{0x02, 1, 2, 3, 4, 5}}, rmac = {{0x00, 0x11, 0x22, 0x33, 0x44, 0x55}};
	struct lw_packet down =
		mk("93.184.216.34", 443, "192.168.1.9", 51000, 6, LW_TCP_ACK, 10 * SEC);
	struct lw_packet up =
		mk("192.168.1.9", 51000, "93.184.216.34", 443, 6, LW_TCP_ACK, 11 * SEC);
	struct lw_flow *f, *g;
	enum lw_dir dir;
	bool created;
	int i;

	LW_CHECK(t != NULL);
	down.has_mac = up.has_mac = true;
	down.src_mac = rmac;
	down.dst_mac = cmac;
	up.src_mac = cmac;
	up.dst_mac = rmac;
	down.vlan = up.vlan = 7;
	down.wire_len = 1500;
	up.wire_len = 80;

	/* downstream first: the MACs are guessed from it */
	f = lw_flow_table_packet(t, &down, &dir, &created);
	LW_CHECK(f && created);
	if (!f)
		goto out;
	LW_CHECK_INT(f->id, 42);
	LW_CHECK_INT(dir, LW_DIR_DOWN);
	LW_CHECK(is_addr(&f->client, "192.168.1.9"));
	LW_CHECK(f->has_mac);
	LW_CHECK(memcmp(&f->client_mac, &cmac, 6) == 0);
	LW_CHECK(memcmp(&f->server_mac, &rmac, 6) == 0);
	LW_CHECK_INT(f->vlan, 7);

	/* a different MAC pair downstream does not change them... */
	down.dst_mac.b[5] = 0x99;
	g = lw_flow_table_packet(t, &down, &dir, &created);
	LW_CHECK(g == f && !created);
	LW_CHECK_INT(f->client_mac.b[5], 5);
	/* ...the first upstream packet does */
	up.src_mac.b[5] = 0x77;
	for (i = 0; i < 3; i++) {
		g = lw_flow_table_packet(t, &up, &dir, &created);
		LW_CHECK(g == f && !created);
		LW_CHECK_INT(dir, LW_DIR_UP);
		if (i == 0)
			up.src_mac.b[5] = 0x66; /* later upstream ones do not */
	}
	LW_CHECK_INT(f->client_mac.b[5], 0x77);
	LW_CHECK_INT(f->pkts[LW_DIR_UP], 3);
	LW_CHECK_INT(f->pkts[LW_DIR_DOWN], 2);
	LW_CHECK_INT(f->bytes[LW_DIR_UP], 240);
	LW_CHECK_INT(f->bytes[LW_DIR_DOWN], 3000);
	LW_CHECK_INT(f->first_seen, 10 * SEC);
	LW_CHECK_INT(f->last_seen, 11 * SEC);
	/* an older timestamp does not move last_seen back */
	down.ts = 5 * SEC;
	lw_flow_table_packet(t, &down, &dir, NULL);
	LW_CHECK_INT(f->last_seen, 11 * SEC);

	/* another port is another flow; another protocol too */
	up.sport = 51001;
	g = lw_flow_table_packet(t, &up, &dir, &created);
	LW_CHECK(g && g != f && created);
	LW_CHECK_INT(g ? g->id : 0, 43);
	up.l4 = 17;
	up.sport = 51000;
	g = lw_flow_table_packet(t, &up, &dir, &created);
	LW_CHECK(g && g != f && created);
	/* not TCP/UDP, or mixed families: no flow */
	up.l4 = 1;
	LW_CHECK(lw_flow_table_packet(t, &up, &dir, &created) == NULL);
	up.l4 = 6;
	up.dst.family = 6;
	LW_CHECK(lw_flow_table_packet(t, &up, &dir, &created) == NULL);
	LW_CHECK_INT(lw_flow_table_stats(t)->created, 3);
	LW_CHECK_INT(lw_flow_table_stats(t)->active, 3);
out:
	lw_flow_table_free(t);
}

static void test_eviction(void)
{
	struct lw_flow_config cfg = {.max_flows = 8};
	static struct ends e;
	struct lw_flow_table *t;
	uint64_t last_id = 0;
	static int count[1000];
	char ip[32];
	size_t i;
	int n = 1000, k;

	memset(&e, 0, sizeof(e));
	memset(count, 0, sizeof(count));
	t = lw_flow_table_new(&cfg, 5000, on_end, NULL, &e);
	LW_CHECK(t != NULL);
	for (k = 0; k < n; k++) {
		struct lw_packet p;
		struct lw_flow *f;
		bool created;

		snprintf(ip, sizeof(ip), "10.%d.%d.1", k / 250, k % 250);
		p = mk(ip, 40000, "1.1.1.1", 53, 17, 0, k * SEC / 100);
		f = lw_flow_table_packet(t, &p, NULL, &created);
		LW_CHECK(f && created);
		if (!f)
			break;
		LW_CHECK(f->id > last_id);
		last_id = f->id;
		f->user = malloc(8);
		LW_CHECK(lw_flow_table_stats(t)->active <= 8);
	}
	LW_CHECK_INT(last_id, 5000 + n - 1);
	LW_CHECK_INT(e.n, n - 8);
	LW_CHECK_INT(lw_flow_table_stats(t)->evicted, n - 8);
	LW_CHECK_INT(lw_flow_table_stats(t)->created, n);
	LW_CHECK_INT(lw_flow_table_stats(t)->active, 8);
	/* the least recently active went first, in order */
	for (i = 0; i < e.n && i < MAX_ENDS; i++) {
		LW_CHECK_INT(e.id[i], 5000 + i);
		LW_CHECK_INT(e.why[i], LW_FLOW_END_EVICTED);
	}
	lw_flow_table_flush(t);
	LW_CHECK_INT(e.n, n);
	LW_CHECK_INT(e.user_freed, n);
	for (i = 0; i < e.n && i < MAX_ENDS; i++)
		if (e.id[i] >= 5000 && e.id[i] < 5000 + (uint64_t)n)
			count[e.id[i] - 5000]++;
	for (k = 0; k < n; k++)
		LW_CHECK_INT(count[k], 1);
	LW_CHECK_INT(lw_flow_table_stats(t)->active, 0);
	lw_flow_table_free(t);
}

/* A flow that is used stays; the one idle longest goes. */
static void test_eviction_lru(void)
{
	struct lw_flow_config cfg = {.max_flows = 4};
	struct ends e = {0};
	struct lw_flow_table *t = lw_flow_table_new(&cfg, 1, on_end, NULL, &e);
	struct lw_packet p[6];
	struct lw_flow *f1, *f;
	int i;

	LW_CHECK(t != NULL);
	for (i = 0; i < 6; i++)
		p[i] = mk("10.0.0.1", (uint16_t)(40000 + i), "10.0.0.2", 443, 6, LW_TCP_ACK,
			  i * SEC);
	f1 = lw_flow_table_packet(t, &p[0], NULL, NULL);
	for (i = 1; i < 4; i++)
		lw_flow_table_packet(t, &p[i], NULL, NULL);
	p[0].ts = 10 * SEC;
	LW_CHECK(lw_flow_table_packet(t, &p[0], NULL, NULL) == f1); /* flow 1 is used again */
	p[4].ts = 11 * SEC;
	f = lw_flow_table_packet(t, &p[4], NULL, NULL);
	LW_CHECK(f != NULL);
	LW_CHECK_INT(e.n, 1);
	LW_CHECK_INT(e.id[0], 2);
	/* left: 1 (10 s), 3 (2 s), 4 (3 s), 5 (11 s); a UDP flow at 1 s pushes out 3 */
	p[5] = mk("10.0.0.1", 40005, "10.0.0.2", 53, 17, 0, 1 * SEC);
	f = lw_flow_table_packet(t, &p[5], NULL, NULL);
	LW_CHECK_INT(f ? f->id : 0, 6);
	LW_CHECK_INT(e.n, 2);
	LW_CHECK_INT(e.id[1], 3);
	/* the next one pushes out the UDP flow, older than TCP flow 4 though on another list */
	p[4].sport = 40010;
	p[4].ts = 12 * SEC;
	lw_flow_table_packet(t, &p[4], NULL, NULL);
	LW_CHECK_INT(e.n, 3);
	LW_CHECK_INT(e.id[2], 6);
	LW_CHECK_INT(lw_flow_table_stats(t)->evicted, 3);
	lw_flow_table_flush(t);
	LW_CHECK_INT(e.n, 7);
	for (i = 3; i < 7; i++)
		LW_CHECK_INT(e.why[i], LW_FLOW_END_SHUTDOWN);
	lw_flow_table_free(t);
}

static void test_idle_expiry(void)
{
	struct ends e = {0};
	struct lw_flow_table *t = lw_flow_table_new(NULL, 1, on_end, NULL, &e);
	struct lw_packet tcp = mk("10.0.0.1", 40000, "10.0.0.2", 443, 6, LW_TCP_ACK, 100 * SEC);
	struct lw_packet udp = mk("10.0.0.1", 40000, "10.0.0.2", 53, 17, 0, 100 * SEC);
	struct lw_packet udp2 = mk("10.0.0.1", 40001, "10.0.0.2", 53, 17, 0, 130 * SEC);
	struct lw_flow *f;
	bool created;

	LW_CHECK(t != NULL);
	lw_flow_table_packet(t, &tcp, NULL, NULL);
	lw_flow_table_packet(t, &udp, NULL, NULL);
	lw_flow_table_packet(t, &udp2, NULL, NULL);
	lw_flow_table_expire(t, 159 * SEC);
	LW_CHECK_INT(e.n, 0);
	lw_flow_table_expire(t, 160 * SEC); /* udp_idle 60 s */
	LW_CHECK_INT(e.n, 1);
	LW_CHECK_INT(e.id[0], 2);
	LW_CHECK_INT(e.why[0], LW_FLOW_END_IDLE);
	/* a packet keeps the TCP flow alive */
	tcp.ts = 300 * SEC;
	lw_flow_table_packet(t, &tcp, NULL, NULL);
	lw_flow_table_expire(t, 599 * SEC);
	LW_CHECK_INT(e.n, 2); /* udp2 */
	LW_CHECK_INT(e.id[1], 3);
	lw_flow_table_expire(t, 600 * SEC); /* tcp_idle 300 s */
	LW_CHECK_INT(e.n, 3);
	LW_CHECK_INT(e.id[2], 1);
	LW_CHECK_INT(e.why[2], LW_FLOW_END_IDLE);
	LW_CHECK_INT(lw_flow_table_stats(t)->expired, 3);
	LW_CHECK_INT(lw_flow_table_stats(t)->active, 0);

	/* without expire(): a packet that finds its flow idle too long ends it and starts anew */
	udp.ts = 1000 * SEC;
	f = lw_flow_table_packet(t, &udp, NULL, &created);
	LW_CHECK(f && created);
	udp.ts = 1059 * SEC;
	LW_CHECK(lw_flow_table_packet(t, &udp, NULL, &created) == f && !created);
	udp.ts = 1119 * SEC;
	f = lw_flow_table_packet(t, &udp, NULL, &created);
	LW_CHECK(f && created);
	LW_CHECK_INT(f ? f->id : 0, 5);
	LW_CHECK_INT(e.n, 4);
	LW_CHECK_INT(e.id[3], 4);
	LW_CHECK_INT(e.why[3], LW_FLOW_END_IDLE);
	lw_flow_table_flush(t);
	lw_flow_table_free(t);
}

static void test_close(void)
{
	struct lw_flow_config cfg = {.closed_linger = 5 * SEC};
	struct ends e = {0};
	struct lw_flow_table *t = lw_flow_table_new(&cfg, 1, on_end, NULL, &e);
	struct lw_packet c = mk("10.0.0.1", 40000, "10.0.0.2", 80, 6, LW_TCP_SYN, 10 * SEC);
	struct lw_packet s =
		mk("10.0.0.2", 80, "10.0.0.1", 40000, 6, LW_TCP_SYN | LW_TCP_ACK, 10 * SEC);
	struct lw_packet r = mk("10.0.0.3", 40000, "10.0.0.2", 80, 6, LW_TCP_ACK, 10 * SEC);
	struct lw_flow *f, *g;
	uint64_t id;
	bool created;

	LW_CHECK(t != NULL);
	f = lw_flow_table_packet(t, &c, NULL, NULL);
	lw_flow_table_packet(t, &s, NULL, NULL);
	c.tcp_flags = LW_TCP_FIN | LW_TCP_ACK;
	c.ts = 20 * SEC;
	lw_flow_table_packet(t, &c, NULL, NULL);
	LW_CHECK_INT(f->tcp_fin_seen, 1);
	lw_flow_table_expire(t, 30 * SEC); /* half closed: still open */
	LW_CHECK_INT(e.n, 0);
	s.tcp_flags = LW_TCP_FIN | LW_TCP_ACK;
	s.ts = 21 * SEC;
	lw_flow_table_packet(t, &s, NULL, NULL);
	LW_CHECK_INT(f->tcp_fin_seen, 3);
	lw_flow_table_expire(t, 25 * SEC);
	LW_CHECK_INT(e.n, 0);
	lw_flow_table_expire(t, 26 * SEC); /* linger after the last packet */
	LW_CHECK_INT(e.n, 1);
	LW_CHECK_INT(e.why[0], LW_FLOW_END_CLOSED);

	/* RST closes at once (then lingers) */
	lw_flow_table_packet(t, &r, NULL, NULL);
	r.tcp_flags = LW_TCP_RST;
	r.ts = 12 * SEC;
	f = lw_flow_table_packet(t, &r, NULL, NULL);
	LW_CHECK(f && f->tcp_rst);
	lw_flow_table_expire(t, 16 * SEC);
	LW_CHECK_INT(e.n, 1);
	lw_flow_table_expire(t, 17 * SEC);
	LW_CHECK_INT(e.n, 2);
	LW_CHECK_INT(e.why[1], LW_FLOW_END_CLOSED);

	/* a new SYN on a closed 5-tuple is a new connection */
	c.tcp_flags = LW_TCP_SYN;
	c.ts = 100 * SEC;
	f = lw_flow_table_packet(t, &c, NULL, &created);
	LW_CHECK(f && created);
	id = f ? f->id : 0;
	c.tcp_flags = LW_TCP_RST;
	lw_flow_table_packet(t, &c, NULL, &created);
	LW_CHECK(!created);
	c.tcp_flags = LW_TCP_SYN;
	c.ts = 101 * SEC;
	g = lw_flow_table_packet(t, &c, NULL, &created);
	LW_CHECK(g && created && g->id == id + 1);
	LW_CHECK_INT(e.n, 3);
	LW_CHECK_INT(e.why[2], LW_FLOW_END_CLOSED);
	LW_CHECK_INT(lw_flow_table_stats(t)->closed, 3);
	lw_flow_table_flush(t);
	LW_CHECK_INT(e.n, 4);
	LW_CHECK_INT(e.why[3], LW_FLOW_END_SHUTDOWN);
	lw_flow_table_free(t);
}

static void count_flow(struct lw_flow *f, void *ud)
{
	(*(int *)ud)++;
	(void)f;
}

static void test_flush_foreach(void)
{
	struct ends e = {0};
	struct lw_flow_table *t = lw_flow_table_new(NULL, 1, on_end, NULL, &e);
	int i, n = 0;

	LW_CHECK(t != NULL);
	for (i = 0; i < 30; i++) {
		struct lw_packet p = mk("10.0.0.1", (uint16_t)(1024 + i), "10.0.0.2", 443,
					i % 2 ? 6 : 17, i % 3 ? LW_TCP_ACK : LW_TCP_RST, i);
		struct lw_flow *f = lw_flow_table_packet(t, &p, NULL, NULL);

		if (f)
			f->user = malloc(4);
	}
	lw_flow_table_foreach(t, count_flow, &n);
	LW_CHECK_INT(n, 30);
	lw_flow_table_flush(t);
	LW_CHECK_INT(e.n, 30);
	LW_CHECK_INT(e.user_freed, 30);
	for (i = 0; i < 30; i++)
		LW_CHECK_INT(e.why[i], LW_FLOW_END_SHUTDOWN);
	n = 0;
	lw_flow_table_foreach(t, count_flow, &n);
	LW_CHECK_INT(n, 0);
	LW_CHECK_INT(lw_flow_table_stats(t)->active, 0);
	/* the table is usable after a flush */
	{
		struct lw_packet p = mk("10.0.0.1", 1, "10.0.0.2", 2, 17, 0, 0);
		bool created;

		LW_CHECK(lw_flow_table_packet(t, &p, NULL, &created) && created);
	}
	lw_flow_table_flush(t);
	LW_CHECK_INT(e.n, 31);
	lw_flow_table_free(t);
}

static void test_bad_config(void)
{
	struct lw_flow_config cfg = {.n_lan = 1};

	LW_CHECK(lw_flow_table_new(&cfg, 1, NULL, NULL, NULL) == NULL); /* n_lan without lan */
	cfg.n_lan = 0;
	cfg.max_flows = ((size_t)1 << 24) + 1; /* past LW_FLOW_MAX_FLOWS (1 << 40 is 0 on ILP32) */
	LW_CHECK(lw_flow_table_new(&cfg, 1, NULL, NULL, NULL) == NULL);
	lw_flow_table_free(NULL);
}

static void test_prefix(void)
{
	static const char *bad[] = {"",
				    "/24",
				    "192.168.1.0/",
				    "192.168.1.0/33",
				    "192.168.1.0/2x",
				    "192.168.1.0/-1",
				    "192.168.1/24",
				    "2001:db8::/129",
				    "2001:db8::/1234",
				    "fe80::1%eth0/64",
				    "hello/8",
				    "192.168.1.0/24/1"};
	struct lw_prefix p[3];
	struct lw_addr a;
	size_t i;

	for (i = 0; i < LW_ARRAY_SIZE(bad); i++)
		LW_CHECK(lw_prefix_parse(bad[i], &p[0]) == -EINVAL);
	LW_CHECK_INT(lw_prefix_parse("192.168.1.77/24", &p[0]), 0);
	LW_CHECK_INT(p[0].len, 24);
	LW_CHECK(is_addr(&p[0].addr, "192.168.1.0"));
	LW_CHECK_INT(lw_prefix_parse("2001:db8:abcd::/35", &p[1]), 0);
	LW_CHECK(is_addr(&p[1].addr, "2001:db8:a000::"));
	LW_CHECK_INT(lw_prefix_parse("10.1.2.3", &p[2]), 0);
	LW_CHECK_INT(p[2].len, 32);

	lw_addr_parse("192.168.1.200", &a);
	LW_CHECK(lw_prefix_contains(p, 3, &a));
	LW_CHECK(!lw_prefix_contains(p + 1, 2, &a));
	lw_addr_parse("192.168.2.1", &a);
	LW_CHECK(!lw_prefix_contains(p, 3, &a));
	lw_addr_parse("2001:db8:bfff:ffff::1", &a);
	LW_CHECK(lw_prefix_contains(p, 3, &a));
	lw_addr_parse("2001:db8:c000::1", &a);
	LW_CHECK(!lw_prefix_contains(p, 3, &a));
	lw_addr_parse("10.1.2.3", &a);
	LW_CHECK(lw_prefix_contains(p, 3, &a));
	lw_addr_parse("10.1.2.4", &a);
	LW_CHECK(!lw_prefix_contains(p, 3, &a));
	/* a v4 prefix never holds a v6 address with the same leading bytes */
	lw_addr_parse("c0a8:0100::", &a);
	LW_CHECK(!lw_prefix_contains(p, 1, &a));
	/* /0 holds its whole family */
	LW_CHECK_INT(lw_prefix_parse("0.0.0.0/0", &p[0]), 0);
	lw_addr_parse("203.0.113.9", &a);
	LW_CHECK(lw_prefix_contains(p, 1, &a));
	LW_CHECK(!lw_prefix_contains(p, 0, &a));
}

int main(void)
{
	static const uint8_t key[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};

	lw_hash_seed(key);
	LW_TEST(test_client_syn);
	LW_TEST(test_client_lan);
	LW_TEST(test_client_port);
	LW_TEST(test_client_first);
	LW_TEST(test_direction_counters);
	LW_TEST(test_eviction);
	LW_TEST(test_eviction_lru);
	LW_TEST(test_idle_expiry);
	LW_TEST(test_close);
	LW_TEST(test_flush_foreach);
	LW_TEST(test_bad_config);
	LW_TEST(test_prefix);
	return lw_test_end();
}
