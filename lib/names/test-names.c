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

int main(void)
{
	LW_TEST(test_per_client);
	LW_TEST(test_ttl_clamp_and_expiry);
	LW_TEST(test_client_by_address);
	LW_TEST(test_bounded);
	LW_TEST(test_rejects_bad_names);
	return lw_test_end();
}
