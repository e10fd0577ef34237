/* SPDX-License-Identifier: MIT */
#include <errno.h>

#include "lw-test.h"
#include "names/pending.h"

#define SEC LW_USEC_PER_SEC

static struct lw_addr ip(const char *s)
{
	struct lw_addr a;

	lw_addr_parse(s, &a);
	return a;
}

/* A query of client 02:..:<mac> from 192.0.2.<mac>:port to the resolver 192.0.2.2:53. */
static struct lw_pending_query query(uint8_t mac, uint16_t port, uint16_t id, const char *name,
				     lw_time_us ts)
{
	struct lw_pending_query q;
	char a[32];

	memset(&q, 0, sizeof(q));
	q.client.has_mac = true;
	q.client.mac = (struct lw_mac){{0x02, 0, 0, 0, 0, mac}};
	snprintf(a, sizeof(a), "192.0.2.%u", mac);
	q.client_addr = ip(a);
	q.server_addr = ip("192.0.2.2");
	q.client_port = port;
	q.server_port = 53;
	q.id = id;
	q.qtype = 1;
	snprintf(q.qname, sizeof(q.qname), "%s", name);
	q.has_server_mac = true;
	q.server_mac = (struct lw_mac){{0x02, 0, 0x5e, 0, 0, 1}}; /* the router */
	q.flow_id = port;
	q.ts = ts;
	return q;
}

static void test_match_takes_the_query(void)
{
	struct lw_pending *t = lw_pending_new(NULL);
	struct lw_pending_query q = query(11, 40000, 0x1234, "zzhc.vnet.cn", SEC), out;

	LW_CHECK_INT(lw_pending_add(t, &q, NULL), 0);
	LW_CHECK(lw_pending_expected(t, &q));
	LW_CHECK_INT(lw_pending_match(t, &q, &out), 0);
	LW_CHECK_INT(out.ts, SEC);
	LW_CHECK_STR(out.qname, "zzhc.vnet.cn");
	/* a second answer to the same query (the forger losing, or winning, the race) is not used */
	LW_CHECK_INT(lw_pending_match(t, &q, &out), -ENOENT);
	LW_CHECK_INT(lw_pending_get_stats(t)->matched, 1);
	LW_CHECK_INT(lw_pending_get_stats(t)->unmatched, 1);
	LW_CHECK_INT(lw_pending_get_stats(t)->active, 0);
	lw_pending_free(t);
}

/* Each field of the key, changed alone, makes an answer unmatched. */
static void test_every_field_counts(void)
{
	struct lw_pending *t = lw_pending_new(NULL);
	struct lw_pending_query q = query(11, 40000, 0x1234, "zzhc.vnet.cn", 0), a;
	int i;

	lw_pending_add(t, &q, NULL);
	for (i = 0; i < 10; i++) {
		a = q;
		switch (i) {
		case 0:
			a.id ^= 1;
			break;
		case 1:
			a.client_port++;
			break;
		case 2:
			a.server_port = 5353;
			break;
		case 3:
			a.qtype = 28;
			break;
		case 4:
			snprintf(a.qname, sizeof(a.qname), "innocent.example");
			break;
		case 5:
			a.server_addr =
				ip("192.0.2.12"); /* another device posing as the resolver */
			break;
		case 6:
			a.client_addr = ip("192.0.2.12");
			break;
		case 7:
			a.client.mac.b[5] = 12; /* the answer sent to another device's MAC */
			break;
		case 8:
			a.client.has_mac = false;
			a.client.addr = q.client_addr;
			break;
		case 9:
			a.server_mac.b[5] = 11; /* from the forger's own MAC */
			break;
		}
		LW_CHECK_INT(lw_pending_match(t, &a, NULL), -ENOENT);
	}
	LW_CHECK_INT(lw_pending_get_stats(t)->unmatched, 10);
	/* a frame that does not show the server's MAC (TCP, raw IP) matches on the rest */
	a = q;
	a.has_server_mac = false;
	LW_CHECK(lw_pending_expected(t, &a));
	/* a packet seen without the client's link layer (the NFQUEUE hold) may leave it out */
	memset(&a.client, 0, sizeof(a.client));
	LW_CHECK(lw_pending_expected(t, &a));
	a.id ^= 1;
	LW_CHECK(!lw_pending_expected(t, &a));
	/* the real answer still matches */
	LW_CHECK_INT(lw_pending_match(t, &q, NULL), 0);
	lw_pending_free(t);
}

/* An unsolicited answer matches nothing, whatever it names. */
static void test_unsolicited(void)
{
	struct lw_pending *t = lw_pending_new(NULL);
	struct lw_pending_query a = query(12, 40000, 7, "flagged.example", 0);

	LW_CHECK(!lw_pending_expected(t, &a));
	LW_CHECK_INT(lw_pending_match(t, &a, NULL), -ENOENT);
	LW_CHECK_INT(lw_pending_get_stats(t)->unmatched, 1);
	lw_pending_free(t);
}

/* One client's flood takes out only its own oldest queries; others' stay answerable. */
static void test_per_client_share(void)
{
	struct lw_pending_config cfg = {16, 4, 30 * SEC};
	struct lw_pending *t = lw_pending_new(&cfg);
	struct lw_pending_query victim = query(12, 50000, 99, "bank.example", 0), ev, q;
	int i, evicted = 0;

	lw_pending_add(t, &victim, NULL);
	for (i = 0; i < 100; i++) {
		q = query(11, (uint16_t)(1000 + i), (uint16_t)i, "flood.example", (lw_time_us)i);
		if (lw_pending_add(t, &q, &ev) == 1) {
			evicted++;
			LW_CHECK_INT(ev.client.mac.b[5], 11);
		}
	}
	LW_CHECK_INT(evicted, 96);
	LW_CHECK_INT(lw_pending_get_stats(t)->evicted_client, 96);
	LW_CHECK_INT(lw_pending_get_stats(t)->active, 5);
	LW_CHECK_INT(lw_pending_match(t, &victim, NULL), 0);
	/* the flooder's newest four are the ones kept */
	q = query(11, 1099, 99, "flood.example", 99);
	LW_CHECK_INT(lw_pending_match(t, &q, NULL), 0);
	q = query(11, 1095, 95, "flood.example", 95);
	LW_CHECK_INT(lw_pending_match(t, &q, NULL), -ENOENT);
	lw_pending_free(t);
}

/* Many clients fill the table: the oldest of all goes, counted. */
static void test_total_bound(void)
{
	struct lw_pending_config cfg = {8, 4, 30 * SEC};
	struct lw_pending *t = lw_pending_new(&cfg);
	struct lw_pending_query q, ev;
	int i;

	for (i = 0; i < 20; i++) {
		q = query((uint8_t)(10 + i), 40000, 1, "a.example", (lw_time_us)i);
		lw_pending_add(t, &q, &ev);
	}
	LW_CHECK_INT(lw_pending_get_stats(t)->evicted_total, 12);
	LW_CHECK_INT(lw_pending_get_stats(t)->active, 8);
	LW_CHECK_INT(ev.client.mac.b[5], 10 + 11); /* the last one out was the 12th */
	q = query(10 + 19, 40000, 1, "a.example", 0);
	LW_CHECK_INT(lw_pending_match(t, &q, NULL), 0);
	q = query(10 + 11, 40000, 1, "a.example", 0);
	LW_CHECK_INT(lw_pending_match(t, &q, NULL), -ENOENT);
	lw_pending_free(t);
}

struct seen {
	int n;
	uint16_t ids[8];
};

static void collect(const struct lw_pending_query *q, void *user_data)
{
	struct seen *s = user_data;

	if (s->n < 8)
		s->ids[s->n] = q->id;
	s->n++;
}

/* A query that times out frees its slot: the client may ask again and be answered. */
static void test_timeout_frees(void)
{
	struct lw_pending_config cfg = {8, 2, 10 * SEC};
	struct lw_pending *t = lw_pending_new(&cfg);
	struct lw_pending_query a = query(11, 1, 1, "a.example", 0);
	struct lw_pending_query b = query(11, 2, 2, "b.example", 5 * SEC);
	struct lw_pending_query c = query(11, 3, 3, "c.example", 12 * SEC);
	struct seen s = {0};

	lw_pending_add(t, &a, NULL);
	lw_pending_add(t, &b, NULL);
	LW_CHECK_INT(lw_pending_expire(t, 9 * SEC, collect, &s), 0);
	LW_CHECK_INT(lw_pending_expire(t, 11 * SEC, collect, &s), 1);
	LW_CHECK_INT(s.ids[0], 1);
	LW_CHECK_INT(lw_pending_add(t, &c, NULL), 0); /* no eviction: a's slot is free */
	LW_CHECK_INT(lw_pending_get_stats(t)->evicted_client, 0);
	LW_CHECK_INT(lw_pending_get_stats(t)->timed_out, 1);
	LW_CHECK_INT(lw_pending_match(t, &a, NULL), -ENOENT); /* too late */
	LW_CHECK_INT(lw_pending_match(t, &c, NULL), 0);
	lw_pending_free(t);
}

/* A flow's queries leave with it, oldest first; other flows' stay. */
static void test_take_flow(void)
{
	struct lw_pending *t = lw_pending_new(NULL);
	struct lw_pending_query q;
	struct seen s = {0};

	q = query(11, 7, 30, "x.example", 3);
	lw_pending_add(t, &q, NULL);
	q = query(11, 8, 40, "y.example", 1);
	lw_pending_add(t, &q, NULL);
	q = query(11, 7, 10, "x.example", 1);
	lw_pending_add(t, &q, NULL);
	q = query(11, 7, 20, "x.example", 2);
	lw_pending_add(t, &q, NULL);
	LW_CHECK_INT(lw_pending_take_flow(t, 7, collect, &s), 3);
	LW_CHECK_INT(s.ids[0], 30);
	LW_CHECK_INT(s.ids[1], 10);
	LW_CHECK_INT(s.ids[2], 20);
	LW_CHECK_INT(lw_pending_get_stats(t)->active, 1);
	lw_pending_free(t);
}

/* A retransmitted query keeps one slot and its first time. */
static void test_retransmission(void)
{
	struct lw_pending *t = lw_pending_new(NULL);
	struct lw_pending_query q = query(11, 7, 30, "x.example", SEC), out;

	lw_pending_add(t, &q, NULL);
	q.ts = 2 * SEC;
	LW_CHECK_INT(lw_pending_add(t, &q, NULL), 0);
	LW_CHECK_INT(lw_pending_get_stats(t)->active, 1);
	LW_CHECK_INT(lw_pending_match(t, &q, &out), 0);
	LW_CHECK_INT(out.ts, SEC);
	lw_pending_free(t);
}

int main(void)
{
	LW_TEST(test_match_takes_the_query);
	LW_TEST(test_every_field_counts);
	LW_TEST(test_unsolicited);
	LW_TEST(test_per_client_share);
	LW_TEST(test_total_bound);
	LW_TEST(test_timeout_frees);
	LW_TEST(test_take_flow);
	LW_TEST(test_retransmission);
	return lw_test_end();
}
