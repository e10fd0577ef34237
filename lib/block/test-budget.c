/* SPDX-License-Identifier: MIT */
/* Unit tests for lib/block/budget.c: who makes room when a flag's addresses are full. */
#include <errno.h>
#include <string.h>

#include "block/budget.h"
#include "lw-test.h"

static struct lw_budget_entry client(uint8_t last, double until)
{
	struct lw_budget_entry e;
	uint8_t a[4] = {192, 0, 2, last};

	memset(&e, 0, sizeof(e));
	e.origin = LW_BUDGET_CLIENT;
	lw_addr_from_v4(&e.client, a);
	e.until = until;
	return e;
}

static struct lw_budget_entry lookup(double until)
{
	struct lw_budget_entry e;

	memset(&e, 0, sizeof(e));
	e.origin = LW_BUDGET_LOOKUP;
	e.until = until;
	return e;
}

static void test_room(void)
{
	struct lw_budget_limits lim = {4, 2};
	struct lw_budget_entry e[4] = {lookup(10), client(1, 5)};
	struct lw_budget_entry c = client(2, 9);

	LW_CHECK_INT(lw_budget_place(e, 0, &c, &lim), 0);
	LW_CHECK_INT(lw_budget_place(e, 2, &c, &lim), 2);
	c = lookup(3);
	LW_CHECK_INT(lw_budget_place(e, 2, &c, &lim), 2);
}

/* a client over its share gives up its own soonest-expiring address, nobody else's */
static void test_share(void)
{
	struct lw_budget_limits lim = {8, 3};
	struct lw_budget_entry e[] = {client(1, 50), lookup(1), client(2, 2), client(1, 20),
				      client(1, 30)};
	struct lw_budget_entry c = client(1, 99);

	LW_CHECK_INT(lw_budget_place(e, LW_ARRAY_SIZE(e), &c, &lim), 3);
	c = client(2, 99);
	LW_CHECK_INT(lw_budget_place(e, LW_ARRAY_SIZE(e), &c, &lim), 5);
	/* no share at all, nothing of its own to give up: refused */
	lim.per_client = 0;
	c = client(3, 99);
	LW_CHECK_INT(lw_budget_place(e, LW_ARRAY_SIZE(e), &c, &lim), -ENOSPC);
}

/* the budget full: a lookup pushes out the soonest-expiring client address */
static void test_full(void)
{
	struct lw_budget_limits lim = {4, 4};
	struct lw_budget_entry e[] = {client(1, 50), lookup(1), client(2, 40), client(1, 60)};
	struct lw_budget_entry all_lookups[] = {lookup(1), lookup(2)};
	struct lw_budget_entry c = lookup(99);

	LW_CHECK_INT(lw_budget_place(e, 4, &c, &lim), 2);
	/* a client under its share finds no room: refused, never pushes out a lookup's */
	c = client(3, 99);
	LW_CHECK_INT(lw_budget_place(e, 4, &c, &lim), -ENOSPC);
	lim.max = 2;
	c = lookup(99);
	LW_CHECK_INT(lw_budget_place(all_lookups, 2, &c, &lim), -ENOSPC);
}

/* the attack: one client's 256 forged addresses, then the lookup's real ones */
static void test_flood(void)
{
	struct lw_budget_limits lim = {256, 32};
	struct lw_budget_entry e[256];
	size_t n = 0, i;
	long r;

	for (i = 0; i < 256; i++) {
		struct lw_budget_entry c = client(66, 1000 + (double)i);

		r = lw_budget_place(e, n, &c, &lim);
		LW_CHECK(r >= 0);
		if (r < 0)
			return;
		e[r] = c;
		if ((size_t)r == n)
			n++;
	}
	LW_CHECK_INT(n, 32);
	for (i = 0; i < 10; i++) {
		struct lw_budget_entry c = lookup(300);

		r = lw_budget_place(e, n, &c, &lim);
		LW_CHECK_INT(r, (long)n);
		e[n++] = c;
	}
	LW_CHECK_INT(n, 42);
}

int main(void)
{
	LW_TEST(test_room);
	LW_TEST(test_share);
	LW_TEST(test_full);
	LW_TEST(test_flood);
	return lw_test_end();
}
