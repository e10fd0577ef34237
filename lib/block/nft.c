/* SPDX-License-Identifier: MIT */
/*
 * leakwatch's nftables table (see block.h for its layout): the text of its commands, names and
 * timeouts.  The handle that sends them through libnftables is nft-table.c.
 *
 * Commands are sent as nft text: libnftables parses it and sends one netlink batch per
 * nft_run_cmd_from_buffer() call, so a buffer of many lines is one atomic transaction.  The
 * text is built here rather than with libnftnl objects because the set and rule shapes are
 * fixed and the text is what a person reading `nft list table` sees; a batch of 1000
 * elements costs a few milliseconds either way.
 */
#include "block/block.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --- text ------------------------------------------------------------------------------- */

void lw_block_text_reset(struct lw_block_text *t)
{
	t->len = 0;
	t->err = 0;
	if (t->p)
		t->p[0] = '\0';
}

void lw_block_text_free(struct lw_block_text *t)
{
	free(t->p);
	memset(t, 0, sizeof(*t));
}

void lw_block_text_printf(struct lw_block_text *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (t->err)
		return;
	for (;;) {
		size_t room = t->cap - t->len;

		if (t->p) {
			va_start(ap, fmt);
			n = vsnprintf(t->p + t->len, room, fmt, ap);
			va_end(ap);
			if (n < 0) {
				t->err = -EINVAL;
				return;
			}
			if ((size_t)n < room) {
				t->len += (size_t)n;
				return;
			}
			t->p[t->len] = '\0'; /* undo the partial write */
		} else {
			n = 0;
		}
		{
			size_t want = t->len + (size_t)n + 1, cap = t->cap ? t->cap : 1024;
			char *np;

			if (want > LW_BLOCK_BATCH_MAX) {
				t->err = -E2BIG;
				return;
			}
			while (cap < want)
				cap *= 2;
			np = realloc(t->p, cap);
			if (!np) {
				t->err = -ENOMEM;
				return;
			}
			if (!t->p)
				np[0] = '\0';
			t->p = np;
			t->cap = cap;
		}
	}
}

bool lw_block_table_name_valid(const char *name)
{
	size_t i, n = strlen(name);

	if (n == 0 || n >= LW_BLOCK_TABLE_MAX)
		return false;
	if (!((name[0] >= 'a' && name[0] <= 'z') || (name[0] >= 'A' && name[0] <= 'Z')))
		return false;
	for (i = 1; i < n; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '-'))
			return false;
	}
	return true;
}

const char *lw_block_family_str(enum lw_block_family fam)
{
	switch (fam) {
	case LW_BLOCK_BRIDGE:
		return "bridge";
	case LW_BLOCK_INET:
		return "inet";
	}
	return "bridge";
}

int lw_block_family_parse(const char *s, enum lw_block_family *out)
{
	if (strcmp(s, "bridge") == 0)
		*out = LW_BLOCK_BRIDGE;
	else if (strcmp(s, "inet") == 0)
		*out = LW_BLOCK_INET;
	else
		return -EINVAL;
	return 0;
}

/* Set names, indexed by [has_mac][v6]. */
static const char *const set_names[2][2] = {{"ipv4", "ipv6"}, {"mac_ipv4", "mac_ipv6"}};

const char *lw_block_set_name(bool has_mac, bool v6)
{
	return set_names[has_mac][v6];
}

void lw_block_cmd_setup(struct lw_block_text *t, enum lw_block_family fam, const char *table)
{
	static const char *const types[2][2] = {
		{"ipv4_addr", "ipv6_addr"},
		{"ether_addr . ipv4_addr", "ether_addr . ipv6_addr"},
	};
	const char *f = lw_block_family_str(fam);
	int m, v;

	lw_block_text_printf(t, "add table %s %s\n", f, table);
	for (m = 0; m < 2; m++)
		for (v = 0; v < 2; v++)
			lw_block_text_printf(
				t, "add set %s %s %s { type %s; flags timeout; size %u; }\n", f,
				table, set_names[m][v], types[m][v], LW_BLOCK_SET_SIZE);
	/* before the bridge's own filter chains and the br_netfilter hooks (priority 0) */
	lw_block_text_printf(t,
			     "add chain %s %s forward { type filter hook forward priority %d; "
			     "policy accept; }\n",
			     f, table, fam == LW_BLOCK_BRIDGE ? -200 : 0);
	lw_block_text_printf(t, "flush chain %s %s forward\n", f, table);
	for (v = 0; v < 2; v++) {
		const char *ip = v ? "ip6" : "ip";

		lw_block_text_printf(t, "add rule %s %s forward %s daddr @%s counter drop\n", f,
				     table, ip, set_names[0][v]);
		lw_block_text_printf(t, "add rule %s %s forward %s saddr @%s counter drop\n", f,
				     table, ip, set_names[0][v]);
	}
	for (v = 0; v < 2; v++) {
		const char *ip = v ? "ip6" : "ip";

		lw_block_text_printf(
			t, "add rule %s %s forward ether saddr . %s daddr @%s counter drop\n", f,
			table, ip, set_names[1][v]);
		/* a routed packet from the internet carries the router's MAC, not the device's */
		if (fam == LW_BLOCK_BRIDGE)
			lw_block_text_printf(
				t,
				"add rule %s %s forward ether daddr . %s saddr @%s counter "
				"drop\n",
				f, table, ip, set_names[1][v]);
	}
}

static void elem_text(struct lw_block_text *t, const struct lw_block_elem *e)
{
	char a[LW_ADDR_STRLEN], m[LW_MAC_STRLEN];

	lw_addr_str(&e->addr, a);
	if (e->has_mac)
		lw_block_text_printf(t, "%s . %s", lw_mac_str(&e->mac, m), a);
	else
		lw_block_text_printf(t, "%s", a);
}

static bool elem_in_set(const struct lw_block_elem *e, int m, int v)
{
	return e->addr.family == (v ? 6 : 4) && (int)e->has_mac == m;
}

static void cmd_elems(struct lw_block_text *t, const char *verb, enum lw_block_family fam,
		      const char *table, const struct lw_block_elem *e, const uint32_t *timeout_s,
		      size_t n)
{
	int m, v;
	size_t i;

	for (m = 0; m < 2; m++) {
		for (v = 0; v < 2; v++) {
			bool first = true;

			for (i = 0; i < n; i++) {
				if (!elem_in_set(&e[i], m, v))
					continue;
				if (first)
					lw_block_text_printf(t, "%s element %s %s %s { ", verb,
							     lw_block_family_str(fam), table,
							     set_names[m][v]);
				else
					lw_block_text_printf(t, ", ");
				first = false;
				elem_text(t, &e[i]);
				if (timeout_s)
					lw_block_text_printf(
						t, " timeout %us",
						LW_MAX(1u,
						       LW_MIN(timeout_s[i], LW_BLOCK_TIMEOUT_MAX)));
			}
			if (!first)
				lw_block_text_printf(t, " }\n");
		}
	}
}

void lw_block_cmd_add(struct lw_block_text *t, enum lw_block_family fam, const char *table,
		      const struct lw_block_elem *e, const uint32_t *timeout_s, size_t n)
{
	/* every element needs a timeout: the sets have flags timeout and nothing may stay forever */
	if (!timeout_s && n) {
		t->err = t->err ? t->err : -EINVAL;
		return;
	}
	cmd_elems(t, "add", fam, table, e, timeout_s, n);
}

void lw_block_cmd_del(struct lw_block_text *t, enum lw_block_family fam, const char *table,
		      const struct lw_block_elem *e, size_t n)
{
	cmd_elems(t, "delete", fam, table, e, NULL, n);
}

void lw_block_cmd_flush_sets(struct lw_block_text *t, enum lw_block_family fam, const char *table)
{
	int m, v;

	for (m = 0; m < 2; m++)
		for (v = 0; v < 2; v++)
			lw_block_text_printf(t, "flush set %s %s %s\n", lw_block_family_str(fam),
					     table, set_names[m][v]);
}

/* --- names and timeouts --------------------------------------------------------------------- */

const char *lw_block_name_parent(const char *name)
{
	const char *p = name;

	while (*p) {
		if (*p == '\\') {
			/* \c or \DDD (RFC 1035 §5.1): never a label separator */
			p++;
			if (*p >= '0' && *p <= '9') {
				int k;

				for (k = 0; k < 3 && *p >= '0' && *p <= '9'; k++)
					p++;
			} else if (*p) {
				p++;
			}
			continue;
		}
		if (*p == '.')
			return p[1] ? p + 1 : NULL;
		p++;
	}
	return NULL;
}

bool lw_block_domain_covers(const char *domain, const char *name)
{
	const char *s;

	if (!*domain)
		return false;
	for (s = name; s; s = lw_block_name_parent(s))
		if (strcmp(s, domain) == 0)
			return true;
	return false;
}

uint32_t lw_block_ttl_clamp(uint32_t ttl, uint32_t min, uint32_t max)
{
	if (ttl < min)
		ttl = min;
	if (ttl > max)
		ttl = max;
	if (ttl > LW_BLOCK_TIMEOUT_MAX)
		ttl = LW_BLOCK_TIMEOUT_MAX;
	return ttl;
}
