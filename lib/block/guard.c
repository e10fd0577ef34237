/* SPDX-License-Identifier: MIT */
#include "block/guard.h"

#include <ctype.h>
#include <errno.h>
#include <string.h>

void lw_block_guard_init(struct lw_block_guard *g)
{
	memset(g, 0, sizeof(*g));
}

int lw_block_guard_add_prefix(struct lw_block_guard *g, const struct lw_prefix *p)
{
	for (size_t i = 0; i < g->n_prefixes; i++)
		if (g->prefixes[i].len == p->len && lw_addr_eq(&g->prefixes[i].addr, &p->addr))
			return 0;
	if (g->n_prefixes == LW_GUARD_MAX_PREFIXES)
		return -ENOSPC;
	g->prefixes[g->n_prefixes++] = *p;
	return 0;
}

int lw_block_guard_add_addr(struct lw_block_guard *g, const struct lw_addr *a)
{
	if (a->family != 4 && a->family != 6)
		return -EINVAL;
	for (size_t i = 0; i < g->n_addrs; i++)
		if (lw_addr_eq(&g->addrs[i], a))
			return 0;
	if (g->n_addrs == LW_GUARD_MAX_ADDRS)
		return -ENOSPC;
	g->addrs[g->n_addrs++] = *a;
	return 0;
}

int lw_block_guard_add_resolv_conf(struct lw_block_guard *g, const char *text)
{
	int added = 0;

	while (text && *text) {
		const char *eol = strchr(text, '\n'), *p = text;
		size_t n = eol ? (size_t)(eol - text) : strlen(text);
		char word[64];
		size_t k = 0;
		struct lw_addr a;

		text += n + (eol ? 1 : 0);
		while (p < text && (*p == ' ' || *p == '\t'))
			p++;
		if ((size_t)(text - p) < 11 || strncmp(p, "nameserver", 10) != 0 ||
		    (p[10] != ' ' && p[10] != '\t'))
			continue;
		p += 10;
		while (p < text && (*p == ' ' || *p == '\t'))
			p++;
		while (p < text && k < sizeof(word) - 1 && !isspace((unsigned char)*p) && *p != '%')
			word[k++] = *p++;
		word[k] = '\0';
		if (lw_addr_parse(word, &a) < 0)
			continue;
		if (lw_block_guard_add_addr(g, &a) < 0)
			return -ENOSPC;
		added++;
	}
	return added;
}

/* Not a unicast host address of the internet (RFC 6890 special purposes, those that matter). */
static bool special(const struct lw_addr *a)
{
	const uint8_t *b = a->b;

	if (a->family == 4)
		return b[0] == 0 || b[0] == 127 || b[0] >= 224 || (b[0] == 169 && b[1] == 254);
	if (a->family == 6) {
		static const uint8_t zero[15];

		if (memcmp(b, zero, 15) == 0 && b[15] <= 1) /* :: and ::1 */
			return true;
		return b[0] == 0xff || (b[0] == 0xfe && (b[1] & 0xc0) == 0x80);
	}
	return true;
}

bool lw_block_guard_allows(struct lw_block_guard *g, const struct lw_addr *addr)
{
	static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	struct lw_addr v4;
	const struct lw_addr *a = addr;
	bool ok;

	if (a->family == 6 && memcmp(a->b, mapped, 12) == 0) { /* ::ffff:a.b.c.d is a.b.c.d */
		lw_addr_from_v4(&v4, a->b + 12);
		a = &v4;
	}
	ok = !special(a) && !lw_prefix_contains(g->prefixes, g->n_prefixes, a);

	for (size_t i = 0; ok && i < g->n_addrs; i++)
		if (lw_addr_eq(&g->addrs[i], a))
			ok = false;
	if (!ok)
		g->refused++;
	return ok;
}
