/* SPDX-License-Identifier: MIT */
/*
 * The IEEE MA-L registry (https://standards-oui.ieee.org/oui/oui.txt, oui.csv), two formats:
 *
 *   oui.txt   00-22-72   (hex)\t\tAmerican Micro-Fuel Device Corp.
 *             002272     (base 16)\t\tAmerican Micro-Fuel Device Corp.      <- this line is used
 *             \t\t\t\t2181 Buchanan Loop                                   (address lines)
 *   oui.csv   Registry,Assignment,Organization Name,Organization Address   (header)
 *             MA-L,002272,American Micro-Fuel Device Corp.,2181 Buchanan Loop ...
 *             MA-L,F4BD9E,"Cisco Systems, Inc",80 West Tasman Drive ...     (RFC 4180 quoting)
 *
 * No library reads these files; the parsing is a few lines, written here.
 */
#include "oui.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct entry {
	uint32_t prefix;
	uint32_t name; /* offset into pool */
};

struct lw_oui {
	struct entry *e;
	size_t n;
	char *pool;
};

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static bool hex6(const char *s, size_t len, uint32_t *out)
{
	uint32_t v = 0;
	size_t i;

	if (len < 6)
		return false;
	for (i = 0; i < 6; i++) {
		int d = hexval(s[i]);

		if (d < 0)
			return false;
		v = v << 4 | (uint32_t)d;
	}
	*out = v;
	return true;
}

/* Copies s[0..len) trimmed of blanks into name; true if something is left. */
static bool put_name(const char *s, size_t len, char *name)
{
	size_t n = 0;

	while (len > 0 && (*s == ' ' || *s == '\t')) {
		s++;
		len--;
	}
	while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t' || s[len - 1] == '\r'))
		len--;
	for (; len > 0 && n < LW_OUI_NAME_MAX - 1; s++, len--)
		name[n++] = (unsigned char)*s < 0x20 ? ' ' : *s;
	name[n] = '\0';
	return n > 0;
}

static int parse_csv(const char *s, size_t len, uint32_t *prefix, char *name)
{
	char tmp[LW_OUI_NAME_MAX];
	size_t i = 5, n = 0;

	/* "MA-L," XXXXXX "," */
	if (len < 12 || !hex6(s + 5, len - 5, prefix) || s[11] != ',')
		return 0;
	i = 12;
	if (i < len && s[i] == '"') {
		for (i++; i < len; i++) {
			if (s[i] == '"') {
				if (i + 1 < len && s[i + 1] == '"')
					i++; /* "" is a quote inside a quoted field */
				else
					break;
			}
			if (n < sizeof(tmp) - 1)
				tmp[n++] = s[i];
		}
		if (i >= len)
			return 0; /* unterminated quote */
	} else {
		for (; i < len && s[i] != ',' && n < sizeof(tmp) - 1; i++)
			tmp[n++] = s[i];
	}
	return put_name(tmp, n, name) ? 1 : 0;
}

int lw_oui_parse_line(const char *s, size_t len, uint32_t *prefix, char *name)
{
	static const char base16[] = "(base 16)";
	size_t i;

	if (len > 0 && s[len - 1] == '\n')
		len--;
	if (len >= 5 && memcmp(s, "MA-L,", 5) == 0)
		return parse_csv(s, len, prefix, name);
	if (!hex6(s, len, prefix))
		return 0;
	for (i = 6; i < len && (s[i] == ' ' || s[i] == '\t'); i++)
		;
	if (i == 6 || len - i < sizeof(base16) - 1 || memcmp(s + i, base16, sizeof(base16) - 1))
		return 0;
	i += sizeof(base16) - 1;
	return put_name(s + i, len - i, name) ? 1 : 0;
}

struct build {
	struct entry *e;
	size_t n, cap;
	char *pool;
	size_t pool_len, pool_cap;
};

static int build_add(struct build *b, uint32_t prefix, const char *name)
{
	size_t len = strlen(name) + 1;

	if (b->n == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 4096;
		struct entry *e;

		if (cap > LW_OUI_ENTRIES_MAX)
			return -E2BIG;
		e = realloc(b->e, cap * sizeof(*e));
		if (!e)
			return -ENOMEM;
		b->e = e;
		b->cap = cap;
	}
	if (b->pool_len + len > b->pool_cap) {
		size_t cap = b->pool_cap ? b->pool_cap * 2 : 65536;
		char *p;

		while (cap < b->pool_len + len)
			cap *= 2;
		if (cap > UINT32_MAX)
			return -E2BIG;
		p = realloc(b->pool, cap);
		if (!p)
			return -ENOMEM;
		b->pool = p;
		b->pool_cap = cap;
	}
	memcpy(b->pool + b->pool_len, name, len);
	b->e[b->n].prefix = prefix;
	b->e[b->n].name = (uint32_t)b->pool_len;
	b->n++;
	b->pool_len += len;
	return 0;
}

static int by_prefix(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;

	if (x->prefix != y->prefix)
		return x->prefix < y->prefix ? -1 : 1;
	return x->name < y->name ? -1 : x->name > y->name; /* deterministic for duplicates */
}

static int by_name(const void *a, const void *b, void *pool)
{
	const struct entry *x = a, *y = b;

	return strcmp((const char *)pool + x->name, (const char *)pool + y->name);
}

static int compact(struct build *b, struct lw_oui *t)
{
	size_t i, len = 0, out = 0;
	const char *prev = NULL;
	char *pool;

	pool = malloc(b->pool_len ? b->pool_len : 1);
	if (!pool)
		return -ENOMEM;
	/* many prefixes share a name (Cisco has hundreds): keep each name once */
	qsort_r(b->e, b->n, sizeof(*b->e), by_name, b->pool);
	for (i = 0; i < b->n; i++) {
		const char *name = b->pool + b->e[i].name;

		size_t l = strlen(name) + 1;

		if (i > 0 && strcmp(name, prev) == 0) {
			b->e[i].name = b->e[i - 1].name; /* already copied */
			continue;
		}
		prev = name;
		memcpy(pool + len, name, l);
		b->e[i].name = (uint32_t)len;
		len += l;
	}
	qsort(b->e, b->n, sizeof(*b->e), by_prefix);
	for (i = 0; i < b->n; i++)
		if (out == 0 || b->e[i].prefix != b->e[out - 1].prefix)
			b->e[out++] = b->e[i];
	t->e = b->e;
	t->n = out;
	t->pool = pool; /* a few hundred KiB: not worth a shrinking realloc */
	b->e = NULL;
	return 0;
}

int lw_oui_load(const char *path, struct lw_oui **out)
{
	struct build b = {0};
	struct lw_oui *t;
	char line[LW_OUI_LINE_MAX], name[LW_OUI_NAME_MAX];
	FILE *f;
	int r = 0;

	*out = NULL;
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		size_t len = strlen(line);
		uint32_t prefix;

		if (len == sizeof(line) - 1 && line[len - 1] != '\n') {
			int c;

			while ((c = getc(f)) != EOF && c != '\n') /* skip the rest of a long line */
				;
			continue;
		}
		if (lw_oui_parse_line(line, len, &prefix, name) == 1) {
			r = build_add(&b, prefix, name);
			if (r < 0)
				break;
		}
	}
	if (r == 0 && ferror(f))
		r = -EIO;
	fclose(f);
	if (r == 0 && b.n == 0)
		r = -EINVAL;
	t = r == 0 ? calloc(1, sizeof(*t)) : NULL;
	if (r == 0 && !t)
		r = -ENOMEM;
	if (r == 0)
		r = compact(&b, t);
	free(b.e);
	free(b.pool);
	if (r < 0) {
		free(t);
		return r;
	}
	*out = t;
	return 0;
}

void lw_oui_free(struct lw_oui *t)
{
	if (!t)
		return;
	free(t->e);
	free(t->pool);
	free(t);
}

const char *lw_oui_lookup(const struct lw_oui *t, const struct lw_mac *mac)
{
	uint32_t key;
	size_t lo = 0, hi;

	if (!t || (mac->b[0] & 0x03))
		return NULL;
	key = (uint32_t)mac->b[0] << 16 | (uint32_t)mac->b[1] << 8 | mac->b[2];
	hi = t->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (t->e[mid].prefix == key)
			return t->pool + t->e[mid].name;
		if (t->e[mid].prefix < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

size_t lw_oui_count(const struct lw_oui *t)
{
	return t ? t->n : 0;
}
