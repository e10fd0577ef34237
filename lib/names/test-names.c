/* SPDX-License-Identifier: MIT */
#include "lw-test.h"
#include "names/names.h"

#define SEC LW_USEC_PER_SEC

static struct lw_client_id client_mac(uint8_t last)
{
	struct lw_client_id c = {.has_mac = true, .mac = {{0x02, 0, 0, 0, 0, last}}};

	return c;
}

static struct lw_addr ip(const char *s)
{
	struct lw_addr a;

	lw_addr_parse(s, &a);
	return a;
}

static void test_per_client(void)
{
	struct lw_names *n = lw_names_new(NULL);
	struct lw_client_id a = client_mac(1), b = client_mac(2);
	struct lw_addr srv = ip("198.51.100.7");

	lw_names_add(n, &a, &srv, "zzhc.vnet.cn", 600, 0);
	LW_CHECK_STR(lw_names_lookup(n, &a, &srv, 10 * SEC), "zzhc.vnet.cn");
	LW_CHECK(lw_names_lookup(n, &b, &srv, 10 * SEC) == NULL);
	/* a newer answer for the same client and address replaces the name */
	lw_names_add(n, &a, &srv, "other.example", 600, 20 * SEC);
	LW_CHECK_STR(lw_names_lookup(n, &a, &srv, 30 * SEC), "other.example");
	lw_names_free(n);
}

static void test_ttl_clamp_and_expiry(void)
{
	struct lw_names_config cfg = {64, 300, 3600};
	struct lw_names *n = lw_names_new(&cfg);
	struct lw_client_id a = client_mac(1);
	struct lw_addr srv = ip("2001:db8::53");

	lw_names_add(n, &a, &srv, "short.example", 5, 0); /* clamped up to 300 s */
	LW_CHECK_STR(lw_names_lookup(n, &a, &srv, 299 * SEC), "short.example");
	LW_CHECK(lw_names_lookup(n, &a, &srv, 301 * SEC) == NULL);
	lw_names_add(n, &a, &srv, "long.example", 1000000, 0); /* clamped down to 3600 s */
	LW_CHECK(lw_names_lookup(n, &a, &srv, 3601 * SEC) == NULL);
	lw_names_free(n);
}

static void test_client_by_address(void)
{
	struct lw_names *n = lw_names_new(NULL);
	struct lw_client_id a = {.has_mac = false, .addr = ip("192.0.2.10")};
	struct lw_client_id b = {.has_mac = false, .addr = ip("192.0.2.11")};
	struct lw_addr srv = ip("203.0.113.1");

	lw_names_add(n, &a, &srv, "a.example", 60, 0);
	LW_CHECK_STR(lw_names_lookup(n, &a, &srv, SEC), "a.example");
	LW_CHECK(lw_names_lookup(n, &b, &srv, SEC) == NULL);
	lw_names_free(n);
}

static void test_bounded(void)
{
	struct lw_names_config cfg = {32, 60, 60};
	struct lw_names *n = lw_names_new(&cfg);
	struct lw_client_id a = client_mac(1);
	char name[32];
	int i, found = 0;

	for (i = 0; i < 1000; i++) {
		struct lw_addr srv = ip("198.51.100.1");

		srv.b[2] = (uint8_t)(i >> 8);
		srv.b[3] = (uint8_t)i;
		snprintf(name, sizeof(name), "n%d.example", i);
		lw_names_add(n, &a, &srv, name, 60, (lw_time_us)i);
	}
	LW_CHECK(lw_names_get_stats(n)->replaced > 0);
	for (i = 990; i < 1000; i++) {
		struct lw_addr srv = ip("198.51.100.1");

		srv.b[2] = (uint8_t)(i >> 8);
		srv.b[3] = (uint8_t)i;
		snprintf(name, sizeof(name), "n%d.example", i);
		if (lw_names_lookup(n, &a, &srv, 1000) &&
		    strcmp(lw_names_lookup(n, &a, &srv, 1000), name) == 0)
			found++;
	}
	/* the most recent answers survive: the victim is the one expiring first */
	LW_CHECK(found >= 9);
	lw_names_free(n);
}

static void test_rejects_bad_names(void)
{
	struct lw_names *n = lw_names_new(NULL);
	struct lw_client_id a = client_mac(1);
	struct lw_addr srv = ip("198.51.100.9");
	char big[400];

	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	lw_names_add(n, &a, &srv, "", 60, 0);
	lw_names_add(n, &a, &srv, big, 60, 0);
	LW_CHECK(lw_names_lookup(n, &a, &srv, 0) == NULL);
	lw_names_free(n);
}

/* An address of its own for each i (2001:db8:ff::/48 + i). */
static struct lw_addr ip_n(unsigned i)
{
	char buf[64];

	snprintf(buf, sizeof(buf), "2001:db8:ff::%x:%x", i >> 16, i & 0xffff);
	return ip(buf);
}

/*
 * One client resolving 20 000 names (longer TTLs than the victim's, so the old rule -- the
 * entry that expires first goes -- would take the victim's first) cannot flush a quieter
 * client's 20 names from a 256-entry table: it recycles its own.
 */
static void test_fair_to_quiet_clients(void)
{
	struct lw_names_config cfg = {256, 60, 86400};
	struct lw_names *n = lw_names_new(&cfg);
	struct lw_client_id victim = client_mac(2), flood = client_mac(1);
	char name[64];
	unsigned i, kept = 0, flood_kept = 0;

	for (i = 0; i < 20; i++) {
		struct lw_addr a = ip_n(i);

		snprintf(name, sizeof(name), "v%u.example.org", i);
		lw_names_add(n, &victim, &a, name, 60, 0);
	}
	for (i = 0; i < 20000; i++) {
		struct lw_addr a = ip_n(100000 + i);

		snprintf(name, sizeof(name), "f%u.example.net", i);
		lw_names_add(n, &flood, &a, name, 86400, (lw_time_us)i * 1000);
	}
	for (i = 0; i < 20; i++) {
		struct lw_addr a = ip_n(i);

		snprintf(name, sizeof(name), "v%u.example.org", i);
		kept += lw_names_lookup(n, &victim, &a, 30 * SEC) &&
			strcmp(lw_names_lookup(n, &victim, &a, 30 * SEC), name) == 0;
	}
	for (i = 19000; i < 20000; i++) {
		struct lw_addr a = ip_n(100000 + i);

		flood_kept += lw_names_lookup(n, &flood, &a, 30 * SEC) != NULL;
	}
	LW_CHECK_INT(kept, 20);
	/* the flooder still gets names, its newest among them */
	LW_CHECK(flood_kept > 0);
	LW_CHECK(lw_names_get_stats(n)->replaced + lw_names_get_stats(n)->refused > 0);
	/* and the victim, a small holder, can still add beside the flood */
	{
		struct lw_addr a = ip_n(50);

		lw_names_add(n, &victim, &a, "late.example.org", 60, 31 * SEC);
		LW_CHECK_STR(lw_names_lookup(n, &victim, &a, 32 * SEC), "late.example.org");
	}
	lw_names_free(n);
}

/*
 * Many clients, each adding and re-adding, through a small table: the per-client counts stay
 * consistent (no client is refused from an empty share once others' entries expire).
 */
static void test_many_clients_churn(void)
{
	struct lw_names_config cfg = {64, 1, 1};
	struct lw_names *n = lw_names_new(&cfg);
	char name[64];
	unsigned i;

	for (i = 0; i < 50000; i++) {
		struct lw_client_id c = client_mac((uint8_t)(i % 251));
		struct lw_addr a = ip_n(i % 977);

		snprintf(name, sizeof(name), "c%u.example.com", i % 977);
		/* time moves 10 ms an add: entries (1 s) expire as the churn goes on */
		lw_names_add(n, &c, &a, name, 1, (lw_time_us)i * 10000);
	}
	/* after everything expired, one new client fills the table alone */
	for (i = 0; i < 64; i++) {
		struct lw_client_id c = client_mac(252);
		struct lw_addr a = ip_n(200000 + i);

		lw_names_add(n, &c, &a, "late.example.com", 1, 1000 * SEC);
	}
	{
		struct lw_client_id c = client_mac(252);
		unsigned found = 0;

		for (i = 0; i < 64; i++) {
			struct lw_addr a = ip_n(200000 + i);

			found += lw_names_lookup(n, &c, &a, 1000 * SEC) != NULL;
		}
		LW_CHECK(found >= 32); /* probe windows may collide; most of them land */
	}
	lw_names_free(n);
}

int main(void)
{
	LW_TEST(test_per_client);
	LW_TEST(test_ttl_clamp_and_expiry);
	LW_TEST(test_client_by_address);
	LW_TEST(test_bounded);
	LW_TEST(test_rejects_bad_names);
	LW_TEST(test_fair_to_quiet_clients);
	LW_TEST(test_many_clients_churn);
	return lw_test_end();
}
