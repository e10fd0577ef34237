/* SPDX-License-Identifier: MIT */
/* The buffer budget: its total, the fair part above half, giving back, the places. */
#include "flow/budget.h"
#include "lw-test.h"

#define KIB 1024

/* The total is never passed (unless forced, and then counted as refused). */
static void test_total(void)
{
	static struct lw_budget b;

	lw_budget_init(&b, 64 * KIB);
	LW_CHECK_INT(lw_budget_take(&b, 1, 16 * KIB), LW_BUDGET_OK);
	LW_CHECK_INT(lw_budget_take(&b, 2, 16 * KIB), LW_BUDGET_OK);
	LW_CHECK_INT(lw_budget_take(&b, 3, 16 * KIB), LW_BUDGET_OK);
	LW_CHECK_INT(lw_budget_take(&b, 4, 12 * KIB), LW_BUDGET_OK);
	LW_CHECK_INT(b.used, 60 * KIB);
	LW_CHECK_INT(lw_budget_take(&b, 5, 8 * KIB), LW_BUDGET_TOTAL);
	LW_CHECK_INT(b.used, 60 * KIB);
	/* floors are counted apart: never refused, not in the total, in the peak */
	lw_budget_floor(&b, 8 * KIB, true);
	LW_CHECK_INT(b.used, 60 * KIB);
	LW_CHECK_INT(b.floor, 8 * KIB);
	LW_CHECK_INT(lw_budget_take(&b, 6, 4 * KIB), LW_BUDGET_OK);
	LW_CHECK_INT(lw_budget_take(&b, 6, 1), LW_BUDGET_TOTAL);
	lw_budget_give(&b, 6, 4 * KIB);
	lw_budget_floor(&b, 8 * KIB, false);
	LW_CHECK_INT(b.floor, 0);
	for (uint64_t k = 1; k <= 4; k++)
		lw_budget_give(&b, k, 16 * KIB);
	LW_CHECK_INT(b.used, 0);
	LW_CHECK_INT(b.devices, 0);
	LW_CHECK_INT(b.peak, 72 * KIB);
	/* no bound */
	lw_budget_init(&b, 0);
	LW_CHECK_INT(lw_budget_take(&b, 7, (size_t)1 << 30), LW_BUDGET_OK);
}

/* A device alone: anything up to 3/4 of the total, and no more. */
static void test_alone(void)
{
	static struct lw_budget b;
	size_t i;

	lw_budget_init(&b, 1024 * KIB);
	for (i = 0; i < 64; i++)
		lw_budget_take(&b, 0xa77ac4e5, 16 * KIB);
	LW_CHECK_INT(lw_budget_device_used(&b, 0xa77ac4e5), 768 * KIB);
	LW_CHECK_INT(lw_budget_take(&b, 0xa77ac4e5, 1), LW_BUDGET_SHARE);
	/* another device: room, up to its part */
	LW_CHECK_INT(lw_budget_take(&b, 0x71c7, 200 * KIB), LW_BUDGET_OK);
	LW_CHECK_INT(b.devices, 2);
	LW_CHECK_INT(lw_budget_take(&b, 0x71c7, 200 * KIB), LW_BUDGET_TOTAL);
	/* giving back more than it holds gives back what it holds */
	lw_budget_give(&b, 0x71c7, 300 * KIB);
	LW_CHECK_INT(lw_budget_device_used(&b, 0x71c7), 0);
	LW_CHECK_INT(b.used, 768 * KIB);
	LW_CHECK_INT(b.devices, 1);
}

/*
 * Flooding devices take what they can; a device that comes later still gets its buffers, and
 * each flooding device is refused more.
 */
static void test_flood(void)
{
	static struct lw_budget b;
	uint64_t k;
	size_t i;

	lw_budget_init(&b, 1024 * KIB);
	for (i = 0; i < 1024; i++)
		for (k = 1; k <= 4; k++)
			lw_budget_take(&b, k, 4 * KIB);
	LW_CHECK(b.used <= 1024 * KIB);
	for (k = 1; k <= 4; k++)
		LW_CHECK(lw_budget_device_used(&b, k) <= 1024 * KIB / 5);
	/* the victim (a fifth device) gets a body's worth and more */
	LW_CHECK_INT(lw_budget_take(&b, 5, 16 * KIB), LW_BUDGET_OK);
	LW_CHECK_INT(lw_budget_take(&b, 5, 64 * KIB), LW_BUDGET_OK);
	LW_CHECK_INT(lw_budget_take(&b, 1, 4 * KIB), LW_BUDGET_SHARE);
	LW_CHECK_INT(b.devices, 5);
}

/* Keys land in places by their low bits; two keys of one place share it. */
static void test_places(void)
{
	static struct lw_budget b;

	lw_budget_init(&b, 0);
	LW_CHECK_INT(lw_budget_take(&b, 5, 6 * KIB), LW_BUDGET_OK);
	LW_CHECK_INT(lw_budget_take(&b, 5 + LW_BUDGET_SLOTS, 6 * KIB), LW_BUDGET_OK);
	LW_CHECK_INT(lw_budget_device_used(&b, 5), 12 * KIB);
	LW_CHECK_INT(lw_budget_take(&b, 6, 6 * KIB), LW_BUDGET_OK);
	LW_CHECK_INT(b.devices, 2);
}

int main(void)
{
	LW_TEST(test_total);
	LW_TEST(test_alone);
	LW_TEST(test_flood);
	LW_TEST(test_places);
	return lw_test_end();
}
