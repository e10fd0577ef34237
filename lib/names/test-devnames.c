/* SPDX-License-Identifier: MIT */
/*
 * Device names table: new / known sightings, pending counts handed out once, the per-device
 * share and the total (refused and counted), idle names freeing a full table, bad input.
 */
#include "lw-test.h"
#include "names/devnames.h"

#include <errno.h>

struct got {
	size_t n;
	uint64_t sum;
	char last[LW_DEVNAMES_NAME_MAX];
};

static void on_flush(const struct lw_devnames_entry *e, void *user_data)
{
	struct got *g = user_data;

	g->n++;
	g->sum += e->pending;
	memcpy(g->last, e->name, sizeof(g->last));
}

static const struct lw_mac phone = {{0x02, 0x00, 0x5e, 0x00, 0x53, 0x10}};
static const struct lw_mac laptop = {{0x00, 0x00, 0x5e, 0x00, 0x53, 0x11}};

static void test_sightings(void)
{
	struct lw_devnames *t = lw_devnames_new(NULL);
	struct got g = {0};

	LW_CHECK_INT(lw_devnames_see(t, &phone, "mdns", "sarahs-iphone.local", 1), 1);
	LW_CHECK_INT(lw_devnames_see(t, &phone, "mdns", "sarahs-iphone.local", 2), 0);
	LW_CHECK_INT(lw_devnames_see(t, &phone, "mdns", "sarahs-iphone.local", 3), 0);
	/* another protocol or another device: a name of its own */
	LW_CHECK_INT(lw_devnames_see(t, &phone, "llmnr", "sarahs-iphone.local", 3), 1);
	LW_CHECK_INT(lw_devnames_see(t, &laptop, "mdns", "sarahs-iphone.local", 3), 1);
	lw_devnames_flush(t, on_flush, &g);
	LW_CHECK_INT(g.n, 1);
	LW_CHECK_INT(g.sum, 2);
	LW_CHECK_STR(g.last, "sarahs-iphone.local");
	/* handed out once */
	memset(&g, 0, sizeof(g));
	lw_devnames_flush(t, on_flush, &g);
	LW_CHECK_INT(g.n, 0);
	LW_CHECK_INT(lw_devnames_get_stats(t)->entries, 3);
	/* bad input */
	LW_CHECK_INT(lw_devnames_see(t, &phone, "mdns", "", 4), -EINVAL);
	LW_CHECK_INT(lw_devnames_see(t, &phone, "", "x", 4), -EINVAL);
	LW_CHECK_INT(lw_devnames_see(t, &phone, "toolongproto", "x", 4), -EINVAL);
	lw_devnames_free(t);
	lw_devnames_free(NULL);
}

static void test_bounds(void)
{
	struct lw_devnames_config cfg = {.per_device = 4, .total = 6, .idle = 100};
	struct lw_devnames *t = lw_devnames_new(&cfg);
	struct lw_mac m = phone;
	char name[32];
	int i;

	/* the phone: 4 names, the 5th and later refused; old names still count */
	for (i = 0; i < 10; i++) {
		snprintf(name, sizeof(name), "n%d.local", i);
		LW_CHECK_INT(lw_devnames_see(t, &phone, "mdns", name, 10), i < 4 ? 1 : -ENOSPC);
	}
	LW_CHECK_INT(lw_devnames_see(t, &phone, "mdns", "n0.local", 11), 0);
	LW_CHECK_INT(lw_devnames_get_stats(t)->refused_device, 6);
	/* others fill the total (6): the 3rd other device is refused */
	for (i = 0; i < 3; i++) {
		m.b[5] = (uint8_t)(0x20 + i);
		LW_CHECK_INT(lw_devnames_see(t, &m, "nbns", "HOST", 20), i < 2 ? 1 : -ENOSPC);
	}
	LW_CHECK_INT(lw_devnames_get_stats(t)->refused_total, 1);
	/* at 115 the phone's names (last seen at 10 and 11) are idle (100), the others' (20) are
	 * not: a new device's name takes a freed place (n0's pending sighting is handed out first) */
	{
		struct got g = {0};

		lw_devnames_flush(t, on_flush, &g);
		LW_CHECK_INT(g.n, 1);
	}
	m.b[5] = 0x30;
	LW_CHECK_INT(lw_devnames_see(t, &m, "nbns", "HOST", 115), 1);
	LW_CHECK_INT(lw_devnames_get_stats(t)->entries, 2 + 1);
	/* entries that stayed are still found; the phone's are gone (new again) */
	m.b[5] = 0x20;
	LW_CHECK_INT(lw_devnames_see(t, &m, "nbns", "HOST", 116), 0);
	LW_CHECK_INT(lw_devnames_see(t, &phone, "mdns", "n0.local", 117), 1);
	lw_devnames_free(t);
}

int main(void)
{
	LW_TEST(test_sightings);
	LW_TEST(test_bounds);
	return lw_test_end();
}
