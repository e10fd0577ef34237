/* SPDX-License-Identifier: MIT */
/* Unit tests for lib/block/layout.c: facts in, layout and report text out. */
#include <errno.h>
#include <string.h>

#include "block/layout.h"
#include "lw-test.h"

static void test_decide(void)
{
	static const struct {
		const char *what;
		struct lw_layout_facts f;
		enum lw_layout want;
	} cases[] = {
		{"missing interface", {false, false, false, false, false}, LW_LAYOUT_UNKNOWN},
		{"missing, stale facts", {false, true, true, true, false}, LW_LAYOUT_UNKNOWN},
		{"bridge without address (dumb AP)",
		 {true, true, false, false, false},
		 LW_LAYOUT_BRIDGED},
		{"bridge without address, default elsewhere",
		 {true, true, false, true, false},
		 LW_LAYOUT_BRIDGED},
		{"bridge with address, no default route",
		 {true, true, true, false, false},
		 LW_LAYOUT_BRIDGED},
		{"bridge with address, default via the bridge",
		 {true, true, true, true, true},
		 LW_LAYOUT_BRIDGED},
		{"home router: gateway on the bridge, default via WAN",
		 {true, true, true, true, false},
		 LW_LAYOUT_ROUTED},
		{"not a bridge, with address", {true, false, true, true, false}, LW_LAYOUT_ROUTED},
		{"not a bridge, no address", {true, false, false, false, false}, LW_LAYOUT_ROUTED},
	};
	size_t i;

	for (i = 0; i < LW_ARRAY_SIZE(cases); i++) {
		const char *why = NULL;
		enum lw_layout l = lw_layout_decide(&cases[i].f, &why);

		if (l != cases[i].want)
			fprintf(stderr, "  case '%s': got %s\n", cases[i].what, lw_layout_str(l));
		LW_CHECK_INT(l, cases[i].want);
		LW_CHECK(why && why[0]);
	}
	LW_CHECK_INT(lw_layout_decide(&cases[0].f, NULL), LW_LAYOUT_UNKNOWN);
	LW_CHECK_INT(lw_layout_family(LW_LAYOUT_ROUTED), LW_BLOCK_INET);
	LW_CHECK_INT(lw_layout_family(LW_LAYOUT_BRIDGED), LW_BLOCK_BRIDGE);
	LW_CHECK_INT(lw_layout_family(LW_LAYOUT_UNKNOWN), LW_BLOCK_BRIDGE);
	LW_CHECK_STR(lw_layout_str(LW_LAYOUT_ROUTED), "routed");
	LW_CHECK_STR(lw_layout_str(LW_LAYOUT_BRIDGED), "bridged");
}

static void test_parse(void)
{
	enum lw_family_mode m;
	enum lw_queue_path q;

	LW_CHECK_INT(lw_family_mode_parse("auto", &m), 0);
	LW_CHECK_INT(m, LW_FAMILY_AUTO);
	LW_CHECK_INT(lw_family_mode_parse("bridge", &m), 0);
	LW_CHECK_INT(m, LW_FAMILY_BRIDGE);
	LW_CHECK_INT(lw_family_mode_parse("inet", &m), 0);
	LW_CHECK_INT(m, LW_FAMILY_INET);
	LW_CHECK_INT(lw_family_mode_parse("ip", &m), -EINVAL);
	LW_CHECK_INT(lw_family_mode_parse("", &m), -EINVAL);
	LW_CHECK_INT(lw_queue_path_parse("auto", &q), 0);
	LW_CHECK_INT(q, LW_QUEUE_AUTO);
	LW_CHECK_INT(lw_queue_path_parse("nft", &q), 0);
	LW_CHECK_INT(q, LW_QUEUE_NFT);
	LW_CHECK_INT(lw_queue_path_parse("xtables", &q), 0);
	LW_CHECK_INT(q, LW_QUEUE_XTABLES);
	LW_CHECK_INT(lw_queue_path_parse("iptables", &q), -EINVAL);
	LW_CHECK_STR(lw_queue_path_str(LW_QUEUE_XTABLES), "xtables");
	LW_CHECK_STR(lw_hold_via_str(LW_HOLD_VIA_NONE), "none");
	LW_CHECK_STR(lw_hold_via_str(LW_HOLD_VIA_NFT), "nft");
	LW_CHECK_STR(lw_brnf_str(LW_BRNF_NOT_LOADED), "not loaded");
}

/* a healthy bridged AP with both holds on the xtables path */
static struct lw_block_health healthy(void)
{
	struct lw_block_health h;

	memset(&h, 0, sizeof(h));
	h.layout = LW_LAYOUT_BRIDGED;
	h.family = LW_BLOCK_BRIDGE;
	h.table_ok = true;
	h.hold_dns = h.hold_hello = true;
	h.hold_queue_ok = true;
	h.flagged = true;
	h.rules_on = true;
	h.via = LW_HOLD_VIA_XTABLES;
	h.brnf = LW_BRNF_ON;
	return h;
}

static void test_health(void)
{
	struct lw_block_health h = healthy();
	char holds[256], probs[1024];

	lw_block_health_holds(&h, holds, sizeof(holds));
	LW_CHECK_STR(holds, "DNS-hold and hello-hold on (xtables NFQUEUE target)");
	LW_CHECK_INT(lw_block_health_problems(&h, probs, sizeof(probs)), 0);
	LW_CHECK_STR(probs, "");
	LW_CHECK(lw_block_health_needs_brnf(&h));

	/* br_netfilter not loaded on a bridge: never "on" */
	h.brnf = LW_BRNF_NOT_LOADED;
	lw_block_health_holds(&h, holds, sizeof(holds));
	{
		static const char want[] = "DNS-hold and hello-hold are OFF: br_netfilter not "
					   "loaded (run: modprobe br_netfilter";

		LW_CHECK(strncmp(holds, want, sizeof(want) - 1) == 0);
	}
	LW_CHECK(strstr(holds, " on (") == NULL);
	LW_CHECK_INT(lw_block_health_problems(&h, probs, sizeof(probs)), 1);
	LW_CHECK(strstr(probs, "modprobe br_netfilter") != NULL);
	LW_CHECK(strstr(probs, "/etc/modules-load.d/") != NULL);

	/* ... also while nothing is flagged: the reason comes first */
	h.flagged = false;
	h.rules_on = false;
	LW_CHECK(strstr(holds, "off until") == NULL);
	lw_block_health_holds(&h, holds, sizeof(holds));
	LW_CHECK(strstr(holds, "OFF: br_netfilter not loaded") != NULL);

	/* bridge-nf-call-iptables = 0 */
	h = healthy();
	h.brnf = LW_BRNF_CALL_OFF;
	lw_block_health_holds(&h, holds, sizeof(holds));
	LW_CHECK(strstr(holds, "OFF: net.bridge.bridge-nf-call-iptables is 0 (run: sysctl -w "
			       "net.bridge.bridge-nf-call-iptables=1)") != NULL);
	LW_CHECK_INT(lw_block_health_problems(&h, probs, sizeof(probs)), 1);

	/* only ip6tables off: IPv4 held, IPv6 named */
	h.brnf = LW_BRNF_CALL6_OFF;
	lw_block_health_holds(&h, holds, sizeof(holds));
	LW_CHECK(strncmp(holds, "DNS-hold and hello-hold on", 26) == 0);
	LW_CHECK(strstr(holds, "IPv6 not held") != NULL);
	LW_CHECK_INT(lw_block_health_problems(&h, probs, sizeof(probs)), 1);
	LW_CHECK(strstr(probs, "bridge-nf-call-ip6tables=1") != NULL);

	/* routed: br_netfilter does not matter */
	h = healthy();
	h.layout = LW_LAYOUT_ROUTED;
	h.family = LW_BLOCK_INET;
	h.brnf = LW_BRNF_NOT_NEEDED;
	LW_CHECK(!lw_block_health_needs_brnf(&h));
	LW_CHECK_INT(lw_block_health_problems(&h, probs, sizeof(probs)), 0);
	h.brnf = LW_BRNF_NOT_LOADED;
	LW_CHECK_INT(lw_block_health_problems(&h, probs, sizeof(probs)), 0);
	lw_block_health_holds(&h, holds, sizeof(holds));
	LW_CHECK(strstr(holds, " on (") != NULL);

	/* family = bridge forced on a routed AP: the measured silent failure, now named */
	h.family = LW_BLOCK_BRIDGE;
	LW_CHECK_INT(lw_block_health_problems(&h, probs, sizeof(probs)), 1);
	LW_CHECK(strstr(probs, "family = auto or inet") != NULL);

	/* family = inet forced on a bridged AP without br_netfilter, holds off: still needed */
	h = healthy();
	h.hold_dns = h.hold_hello = false;
	h.family = LW_BLOCK_INET;
	h.brnf = LW_BRNF_NOT_LOADED;
	LW_CHECK(lw_block_health_needs_brnf(&h));
	LW_CHECK_INT(lw_block_health_problems(&h, probs, sizeof(probs)), 1);
	LW_CHECK(strstr(probs, "nothing is blocked") != NULL);
	lw_block_health_holds(&h, holds, sizeof(holds));
	LW_CHECK_STR(holds, "off (dns_hold and hello_hold = no)");
	h.family = LW_BLOCK_BRIDGE; /* the bridge table needs nothing when nothing is held */
	LW_CHECK(!lw_block_health_needs_brnf(&h));
	LW_CHECK_INT(lw_block_health_problems(&h, probs, sizeof(probs)), 0);

	/* nothing flagged: off, and that is no problem */
	h = healthy();
	h.flagged = h.rules_on = false;
	lw_block_health_holds(&h, holds, sizeof(holds));
	LW_CHECK_STR(holds, "off until something is flagged (queue path xtables)");
	LW_CHECK_INT(lw_block_health_problems(&h, probs, sizeof(probs)), 0);

	/* flagged but the rules could not go in (queue_path nft on a kernel without nft_queue) */
	h = healthy();
	h.rules_on = false;
	h.rules_failed = true;
	h.via = LW_HOLD_VIA_NONE;
	h.want_path = LW_QUEUE_NFT;
	lw_block_health_holds(&h, holds, sizeof(holds));
	LW_CHECK(strstr(holds, "are OFF: the queue rules could not be installed") != NULL);
	LW_CHECK_INT(lw_block_health_problems(&h, probs, sizeof(probs)), 1);
	LW_CHECK(strstr(probs, "nft_queue") != NULL);

	/* the queue could not be bound; the table missing; several at once, one per line */
	h = healthy();
	h.hold_dns = false;
	h.hold_queue_ok = false;
	h.table_ok = false;
	h.layout = LW_LAYOUT_UNKNOWN;
	lw_block_health_holds(&h, holds, sizeof(holds));
	LW_CHECK_STR(holds, "hello-hold is OFF: the queue could not be opened");
	LW_CHECK_INT(lw_block_health_problems(&h, probs, sizeof(probs)), 3);
	LW_CHECK(strchr(probs, '\n') && strchr(strchr(probs, '\n') + 1, '\n'));

	/* small buffers are cut, never overrun */
	h = healthy();
	h.brnf = LW_BRNF_NOT_LOADED;
	LW_CHECK_INT(lw_block_health_holds(&h, holds, 8), 7);
	LW_CHECK_STR(holds, "DNS-hol");
	LW_CHECK_INT(lw_block_health_problems(&h, probs, 1), 1);
	LW_CHECK_STR(probs, "");
	LW_CHECK_INT(lw_block_health_problems(&h, NULL, 0), 1);
}

static void test_flowtables(void)
{
	static const char fw4[] = "table inet fw4 {\n"
				  "\tflowtable ft {\n"
				  "\t\thook ingress priority filter\n"
				  "\t\tdevices = { br-lan, wan }\n"
				  "\t}\n"
				  "}\n"
				  "table ip other {\n"
				  "\tflowtable f2 {\n"
				  "\t}\n"
				  "}\n";
	struct lw_block_health h = healthy();
	char name[96], probs[2048];

	LW_CHECK_INT(lw_layout_flowtables(fw4, name, sizeof(name)), 2);
	LW_CHECK_STR(name, "inet fw4 ft");
	LW_CHECK_INT(lw_layout_flowtables("", name, sizeof(name)), 0);
	LW_CHECK_STR(name, "");
	LW_CHECK_INT(lw_layout_flowtables("table inet x {\n}\n", name, sizeof(name)), 0);
	LW_CHECK_INT(lw_layout_flowtables(fw4, name, 6), 2);
	LW_CHECK_STR(name, "inet ");
	/* no table line before it, no newline at the end */
	LW_CHECK_INT(lw_layout_flowtables("  flowtable lone {", name, sizeof(name)), 1);
	LW_CHECK_STR(name, "lone");

	snprintf(h.flowtable, sizeof(h.flowtable), "inet fw4 ft");
	LW_CHECK_INT(lw_block_health_problems(&h, probs, sizeof(probs)), 1);
	LW_CHECK(strstr(probs, "flow offloading is on (flowtable inet fw4 ft)") != NULL);
	LW_CHECK(strstr(probs, "hello-hold never sees") != NULL);
	LW_CHECK(strstr(probs, "flow_offloading=0") != NULL);
}

int main(void)
{
	LW_TEST(test_decide);
	LW_TEST(test_parse);
	LW_TEST(test_health);
	LW_TEST(test_flowtables);
	return lw_test_end();
}
