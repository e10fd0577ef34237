/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>

#include "lw-test.h"
#include "block/layout.h"
#include "block/privmsg.h"

static struct lw_block_guard guard;
static const struct lw_privmsg_policy policy = {.table = "leakwatch", .queue = 7, .guard = &guard};

static struct lw_block_elem elem(const char *addr)
{
	struct lw_block_elem e = {0};

	LW_CHECK_INT(lw_addr_parse(addr, &e.addr), 0);
	return e;
}

/* Decodes m as sent (its own size) and validates it. */
static int roundtrip(const struct lw_privmsg *m, struct lw_privmsg *out)
{
	int r = lw_privmsg_decode(m, lw_privmsg_size(m), out);

	return r < 0 ? -1 : (int)lw_privmsg_validate(out, &policy);
}

static void test_elements(void)
{
	struct lw_privmsg m, out;
	struct lw_block_elem e = elem("203.0.113.10"), back;

	lw_privmsg_init(&m, LW_PRIV_NFT_ADD, 0);
	lw_privmsg_put_elem(&m.u.elem, &e);
	m.u.elem.timeout = 60;
	LW_CHECK_INT(roundtrip(&m, &out), LW_PRIV_OK);
	lw_privmsg_get_elem(&out.u.elem, &back);
	LW_CHECK(lw_addr_eq(&back.addr, &e.addr) && !back.has_mac);
	LW_CHECK_INT(out.u.elem.timeout, 60);
	/* a timeout out of bounds */
	m.u.elem.timeout = 0;
	LW_CHECK_INT(roundtrip(&m, &out), LW_PRIV_REFUSED_VALUE);
	m.u.elem.timeout = LW_BLOCK_TIMEOUT_MAX + 1;
	LW_CHECK_INT(roundtrip(&m, &out), LW_PRIV_REFUSED_VALUE);
	/* the guarded LAN, the resolver, loopback: refused, add and delete alike */
	e = elem("192.0.2.1");
	lw_privmsg_put_elem(&m.u.elem, &e);
	m.u.elem.timeout = 60;
	LW_CHECK_INT(roundtrip(&m, &out), LW_PRIV_REFUSED_ADDR);
	e = elem("198.51.100.53");
	lw_privmsg_put_elem(&m.u.elem, &e);
	m.u.elem.timeout = 60;
	LW_CHECK_INT(roundtrip(&m, &out), LW_PRIV_REFUSED_ADDR);
	m.h.kind = LW_PRIV_NFT_DEL;
	LW_CHECK_INT(roundtrip(&m, &out), LW_PRIV_REFUSED_ADDR);
	e = elem("::1");
	lw_privmsg_put_elem(&m.u.elem, &e);
	LW_CHECK_INT(roundtrip(&m, &out), LW_PRIV_REFUSED_ADDR);
	/* per device, IPv6 */
	e = elem("2001:db8::5");
	e.has_mac = true;
	e.mac.b[5] = 1;
	lw_privmsg_put_elem(&m.u.elem, &e);
	m.h.kind = LW_PRIV_NFT_ADD;
	m.u.elem.timeout = 60;
	LW_CHECK_INT(roundtrip(&m, &out), LW_PRIV_OK);
	/* no family, or has_mac not a boolean: not decoded */
	m.u.elem.family = 5;
	LW_CHECK_INT(lw_privmsg_decode(&m, lw_privmsg_size(&m), &out), -EBADMSG);
	m.u.elem.family = 6;
	m.u.elem.has_mac = 2;
	LW_CHECK_INT(lw_privmsg_decode(&m, lw_privmsg_size(&m), &out), -EBADMSG);
}

static void test_tables(void)
{
	struct lw_privmsg m, out;

	lw_privmsg_init(&m, LW_PRIV_NFT_OPEN, 1);
	memset(&m.u.table, 0, sizeof(m.u.table));
	m.u.table.family = LW_BLOCK_INET;
	snprintf(m.u.table.table, sizeof(m.u.table.table), "leakwatch");
	LW_CHECK_INT(roundtrip(&m, &out), LW_PRIV_OK);
	LW_CHECK_INT(out.h.seq, 1);
	/* another table, the filter table of the system, a prefix of the own name */
	snprintf(m.u.table.table, sizeof(m.u.table.table), "filter");
	LW_CHECK_INT(roundtrip(&m, &out), LW_PRIV_REFUSED_TABLE);
	snprintf(m.u.table.table, sizeof(m.u.table.table), "leakwatc");
	LW_CHECK_INT(roundtrip(&m, &out), LW_PRIV_REFUSED_TABLE);
	m.h.kind = LW_PRIV_NFT_CLOSE;
	LW_CHECK_INT(roundtrip(&m, &out), LW_PRIV_REFUSED_TABLE);
	/* not terminated, an unknown family */
	memset(m.u.table.table, 'a', sizeof(m.u.table.table));
	LW_CHECK_INT(lw_privmsg_decode(&m, lw_privmsg_size(&m), &out), -EBADMSG);
	snprintf(m.u.table.table, sizeof(m.u.table.table), "leakwatch");
	m.u.table.family = 2;
	LW_CHECK_INT(lw_privmsg_decode(&m, lw_privmsg_size(&m), &out), -EBADMSG);
	/* hold rules: own table and queue only, known rule kinds */
	lw_privmsg_init(&m, LW_PRIV_RULES_INSTALL, 2);
	memset(&m.u.rules, 0, sizeof(m.u.rules));
	snprintf(m.u.rules.table, sizeof(m.u.rules.table), "leakwatch");
	m.u.rules.queue = 7;
	m.u.rules.what = LW_HOLD_RULES_DNS | LW_HOLD_RULES_HELLO;
	LW_CHECK_INT(roundtrip(&m, &out), LW_PRIV_OK);
	m.u.rules.queue = 8;
	LW_CHECK_INT(roundtrip(&m, &out), LW_PRIV_REFUSED_VALUE);
	m.u.rules.queue = 7;
	m.u.rules.what = 4;
	LW_CHECK_INT(roundtrip(&m, &out), LW_PRIV_REFUSED_VALUE);
	m.u.rules.what = LW_HOLD_RULES_DNS;
	snprintf(m.u.rules.table, sizeof(m.u.rules.table), "leakwatch_hold");
	LW_CHECK_INT(roundtrip(&m, &out), LW_PRIV_REFUSED_TABLE);
	snprintf(m.u.rules.table, sizeof(m.u.rules.table), "leakwatch");
	m.u.rules.path = 3;
	LW_CHECK_INT(lw_privmsg_decode(&m, lw_privmsg_size(&m), &out), -EBADMSG);
	/* the queue: a stall time within lw_hold_set_guard_ms's bounds */
	m.h.kind = LW_PRIV_QUEUE_OPEN;
	m.u.rules.path = 0;
	m.u.rules.stall_ms = 5;
	LW_CHECK_INT(roundtrip(&m, &out), LW_PRIV_REFUSED_VALUE);
	m.u.rules.stall_ms = 1000;
	LW_CHECK_INT(roundtrip(&m, &out), LW_PRIV_OK);
}

static void test_framing(void)
{
	struct lw_privmsg *m = calloc(1, sizeof(*m)), *out = calloc(1, sizeof(*out));
	uint8_t raw[64];

	lw_privmsg_init(m, LW_PRIV_NFT_COMMIT, 3);
	LW_CHECK_INT(roundtrip(m, out), LW_PRIV_OK);
	/* bad lengths: one byte short, one byte more, nothing */
	LW_CHECK_INT(lw_privmsg_decode(m, lw_privmsg_size(m) - 1, out), -EBADMSG);
	LW_CHECK_INT(lw_privmsg_decode(m, lw_privmsg_size(m) + 1, out), -EBADMSG);
	LW_CHECK_INT(lw_privmsg_decode(m, 0, out), -EBADMSG);
	LW_CHECK_INT(lw_privmsg_decode(m, sizeof(*m) + 1, out), -EBADMSG);
	/* unknown kinds, a bad magic */
	m->h.kind = 0;
	LW_CHECK_INT(lw_privmsg_decode(m, 8, out), -EBADMSG);
	m->h.kind = LW_PRIV_KIND_END;
	LW_CHECK_INT(lw_privmsg_decode(m, 8, out), -EBADMSG);
	m->h.kind = 999;
	LW_CHECK_INT(lw_privmsg_decode(m, 8, out), -EBADMSG);
	lw_privmsg_init(m, LW_PRIV_NFT_COMMIT, 3);
	m->h.magic = 0;
	LW_CHECK_INT(lw_privmsg_decode(m, 8, out), -EBADMSG);
	/* what only the privileged side sends is refused from the parser */
	lw_privmsg_init(m, LW_PRIV_REPLY, 3);
	memset(&m->u.reply, 0, sizeof(m->u.reply));
	snprintf(m->u.reply.text, sizeof(m->u.reply.text), "ok");
	LW_CHECK_INT(roundtrip(m, out), LW_PRIV_REFUSED_KIND);
	LW_CHECK_STR(out->u.reply.text, "ok");
	/* a held packet: its length agrees with the datagram's */
	lw_privmsg_init(m, LW_PRIV_HELD, 0);
	m->u.held.packet_id = 5;
	m->u.held.len = 40;
	LW_CHECK_INT(roundtrip(m, out), LW_PRIV_REFUSED_KIND);
	LW_CHECK_INT(out->u.held.len, 40);
	LW_CHECK_INT(lw_privmsg_decode(m, lw_privmsg_size(m) - 1, out), -EBADMSG);
	m->u.held.len = LW_PRIVMSG_HELD_MAX + 1;
	LW_CHECK_INT(lw_privmsg_decode(m, sizeof(*m), out), -EBADMSG);
	/* a notification's status: printable text only */
	lw_privmsg_init(m, LW_PRIV_NOTIFY, 0);
	memset(&m->u.notify, 0, sizeof(m->u.notify));
	m->u.notify.what = LW_PRIV_NOTIFY_STATUS;
	snprintf(m->u.notify.status, sizeof(m->u.notify.status), "capturing on br0");
	LW_CHECK_INT(roundtrip(m, out), LW_PRIV_OK);
	m->u.notify.status[3] = '\x1b';
	LW_CHECK_INT(lw_privmsg_decode(m, lw_privmsg_size(m), out), -EBADMSG);
	m->u.notify.status[3] = 't';
	m->u.notify.what = 9;
	LW_CHECK_INT(lw_privmsg_decode(m, lw_privmsg_size(m), out), -EBADMSG);
	/* unaligned input is read as well */
	lw_privmsg_init(m, LW_PRIV_VERDICT, 0);
	m->u.verdict.packet_id = 9;
	m->u.verdict.verdict = LW_HOLD_DROP;
	memcpy(raw + 1, m, lw_privmsg_size(m));
	LW_CHECK_INT(lw_privmsg_decode(raw + 1, lw_privmsg_size(m), out), 0);
	LW_CHECK_INT(out->u.verdict.packet_id, 9);
	m->u.verdict.verdict = 2;
	LW_CHECK_INT(lw_privmsg_decode(m, lw_privmsg_size(m), out), -EBADMSG);
	free(m);
	free(out);
}

static void test_lookups(void)
{
	struct lw_privmsg *m = calloc(1, sizeof(*m)), *out = calloc(1, sizeof(*out));

	/* a name for the resolver helper: not for the privileged side */
	lw_privmsg_init(m, LW_PRIV_RESOLVE, 4);
	snprintf(m->u.resolve.name, sizeof(m->u.resolve.name), "tracker.example");
	LW_CHECK_INT(roundtrip(m, out), LW_PRIV_REFUSED_KIND);
	LW_CHECK_STR(out->u.resolve.name, "tracker.example");
	m->u.resolve.name[0] = '\0';
	LW_CHECK_INT(lw_privmsg_decode(m, lw_privmsg_size(m), out), -EBADMSG);
	memset(m->u.resolve.name, 'a', sizeof(m->u.resolve.name));
	LW_CHECK_INT(lw_privmsg_decode(m, lw_privmsg_size(m), out), -EBADMSG);
	/* its answer: at most LW_PRIVMSG_RESOLVE_ADDRS addresses, each of a family */
	lw_privmsg_init(m, LW_PRIV_RESOLVED, 4);
	memset(&m->u.resolved, 0, sizeof(m->u.resolved));
	m->u.resolved.n = 1;
	m->u.resolved.addrs[0].family = 4;
	LW_CHECK_INT(lw_privmsg_decode(m, lw_privmsg_size(m), out), 0);
	m->u.resolved.n = 2;
	LW_CHECK_INT(lw_privmsg_decode(m, lw_privmsg_size(m), out), -EBADMSG);
	m->u.resolved.n = LW_PRIVMSG_RESOLVE_ADDRS + 1;
	LW_CHECK_INT(lw_privmsg_decode(m, lw_privmsg_size(m), out), -EBADMSG);
	/* br_netfilter: a call without a body; its reply's fields in range */
	lw_privmsg_init(m, LW_PRIV_BRNF, 5);
	LW_CHECK_INT(roundtrip(m, out), LW_PRIV_OK);
	lw_privmsg_init(m, LW_PRIV_REPLY, 5);
	memset(&m->u.reply, 0, sizeof(m->u.reply));
	m->u.reply.brnf = LW_BRNF_CALL6_OFF;
	m->u.reply.fixed = 1;
	LW_CHECK_INT(lw_privmsg_decode(m, lw_privmsg_size(m), out), 0);
	m->u.reply.brnf = LW_BRNF_CALL6_OFF + 1;
	LW_CHECK_INT(lw_privmsg_decode(m, lw_privmsg_size(m), out), -EBADMSG);
	m->u.reply.brnf = 0;
	m->u.reply.v6 = 2;
	LW_CHECK_INT(lw_privmsg_decode(m, lw_privmsg_size(m), out), -EBADMSG);
	LW_CHECK_STR(lw_privmsg_kind_str(LW_PRIV_RESOLVED), "resolved");
	free(m);
	free(out);
}

int main(void)
{
	struct lw_prefix lan;
	struct lw_addr resolver;

	lw_block_guard_init(&guard);
	LW_CHECK_INT(lw_prefix_parse("192.0.2.0/24", &lan), 0);
	LW_CHECK_INT(lw_addr_parse("198.51.100.53", &resolver), 0);
	lw_block_guard_add_prefix(&guard, &lan);
	lw_block_guard_add_addr(&guard, &resolver);
	LW_TEST(test_elements);
	LW_TEST(test_tables);
	LW_TEST(test_framing);
	LW_TEST(test_lookups);
	return lw_test_end();
}
