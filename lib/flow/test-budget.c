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

/* Each key is a device of its own, also keys of one place; entries freed keep the others found. */
static void test_places(void)
{
	static struct lw_budget b;
	uint64_t k;

	lw_budget_init(&b, 0);
	LW_CHECK_INT(lw_budget_take(&b, 5, 6 * KIB), LW_BUDGET_OK);
	LW_CHECK_INT(lw_budget_take(&b, 5 + LW_BUDGET_SLOTS, 7 * KIB), LW_BUDGET_OK);
	LW_CHECK_INT(lw_budget_device_used(&b, 5), 6 * KIB);
	LW_CHECK_INT(lw_budget_device_used(&b, 5 + LW_BUDGET_SLOTS), 7 * KIB);
	LW_CHECK_INT(lw_budget_take(&b, 6, 6 * KIB), LW_BUDGET_OK);
	LW_CHECK_INT(b.devices, 3);
	/* a run of keys of one place, and one of the next place after them */
	for (k = 1; k <= 5; k++)
		LW_CHECK_INT(lw_budget_take(&b, 9 + k * LW_BUDGET_SLOTS, k), LW_BUDGET_OK);
	LW_CHECK_INT(lw_budget_take(&b, 10, 100), LW_BUDGET_OK);
	lw_budget_give(&b, 9 + 2 * LW_BUDGET_SLOTS, 2); /* from the middle of the run */
	lw_budget_give(&b, 9 + 1 * LW_BUDGET_SLOTS, 1);
	for (k = 3; k <= 5; k++)
		LW_CHECK_INT(lw_budget_device_used(&b, 9 + k * LW_BUDGET_SLOTS), k);
	LW_CHECK_INT(lw_budget_device_used(&b, 10), 100);
	LW_CHECK_INT(lw_budget_device_used(&b, 9 + 2 * LW_BUDGET_SLOTS), 0);
	LW_CHECK_INT(b.devices, 3 + 3 + 1);
	/* key 0 is a key like the others */
	LW_CHECK_INT(lw_budget_take(&b, 0, 3), LW_BUDGET_OK);
	LW_CHECK_INT(lw_budget_device_used(&b, 0), 3);
	lw_budget_give(&b, 0, 3);
	LW_CHECK_INT(b.devices, 3 + 3 + 1);
}

/* Beyond LW_BUDGET_DEVICES devices at once, the next ones share the overflow entry. */
static void test_overflow(void)
{
	static struct lw_budget b;
	uint64_t k;

	lw_budget_init(&b, 0);
	for (k = 1; k <= LW_BUDGET_DEVICES; k++)
		LW_CHECK_INT(lw_budget_take(&b, k * 7919, 1), LW_BUDGET_OK);
	LW_CHECK_INT(b.entries, LW_BUDGET_DEVICES);
	LW_CHECK_INT(lw_budget_take(&b, 1u << 20, 10), LW_BUDGET_OK);
	LW_CHECK_INT(lw_budget_take(&b, 1u << 21, 20), LW_BUDGET_OK);
	LW_CHECK_INT(b.entries, LW_BUDGET_DEVICES);
	LW_CHECK_INT(b.overflow, 30);
	LW_CHECK_INT(b.devices, LW_BUDGET_DEVICES + 1);
	/* an entry freed: a device that had overflow bytes gets one for its new bytes, and
	 * gives back both */
	lw_budget_give(&b, 7919, 1);
	LW_CHECK_INT(lw_budget_take(&b, 1u << 20, 5), LW_BUDGET_OK);
	LW_CHECK_INT(lw_budget_device_used(&b, 1u << 20), 5);
	lw_budget_give(&b, 1u << 20, 15);
	LW_CHECK_INT(b.overflow, 20);
	lw_budget_give(&b, 1u << 21, 20);
	LW_CHECK_INT(b.overflow, 0);
	for (k = 2; k <= LW_BUDGET_DEVICES; k++)
		lw_budget_give(&b, k * 7919, 1);
	LW_CHECK_INT(b.used, 0);
	LW_CHECK_INT(b.devices, 0);
	LW_CHECK_INT(b.entries, 0);
}

int main(void)
{
	LW_TEST(test_total);
	LW_TEST(test_alone);
	LW_TEST(test_flood);
	LW_TEST(test_places);
	LW_TEST(test_overflow);
	return lw_test_end();
}
