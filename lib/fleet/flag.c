/* SPDX-License-Identifier: MIT */
#include "flag.h"

#include "row.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* the flagged table's columns (lib/fleet/row.c) */
enum { COL_DOMAIN, COL_MAC, COL_REASON, COL_SOURCE, COL_ADDED, COL_EXPIRES, COL_N };

#define SOURCE "central"

static const char *skip_blank(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

/* the same rules as leakwatchd's flagged rows (daemon/block.c): "*." dropped, blanks cut */
static int domain_normalize(const char *in, char out[LW_DNS_NAME_MAX])
{
	size_t n;

	in = skip_blank(in);
	if (in[0] == '*' && in[1] == '.')
		in += 2;
	n = strlen(in);
	while (n && (in[n - 1] == ' ' || in[n - 1] == '\t'))
		n--;
	if (n >= LW_DNS_NAME_MAX)
		return -EINVAL;
	memcpy(out, in, n);
	out[n] = 0;
	if (lw_dns_name_normalize(out) < 0 || !out[0])
		return -EINVAL;
	return 0;
}

int lw_fleet_flag_make(struct lw_fleet_flag *f, const char *domain, const char *mac,
		       const char *reason, const int64_t *expires, const char **why)
{
	size_t n;

	memset(f, 0, sizeof(*f));
	if (!domain || domain_normalize(domain, f->domain) < 0) {
		*why = "not a domain name (letters, digits, '-' and '_' between dots)";
		return -EINVAL;
	}
	if (mac && mac[0]) {
		struct lw_mac m;

		if (lw_mac_parse(mac, &m) < 0) {
			*why = "mac is not a MAC address";
			return -EINVAL;
		}
		lw_mac_str(&m, f->mac);
	}
	if (reason) {
		n = strlen(reason);
		if (n > LW_FLEET_FLAG_REASON_MAX) {
			/* cut before a UTF-8 continuation byte, never inside a character */
			n = LW_FLEET_FLAG_REASON_MAX;
			while (n && ((unsigned char)reason[n] & 0xc0) == 0x80)
				n--;
		}
		memcpy(f->reason, reason, n);
		f->reason[n] = 0;
	}
	if (expires) {
		f->has_expires = true;
		f->expires = *expires;
	}
	return 0;
}

int lw_fleet_flag_key(const struct lw_fleet_flag *f, char *buf, size_t size)
{
	char hex[13];
	int n;

	if (f->mac[0]) {
		/* aa:bb:cc:dd:ee:ff -> aabbccddeeff */
		for (int i = 0; i < 6; i++)
			memcpy(hex + 2 * i, f->mac + 3 * i, 2);
		hex[12] = 0;
		n = snprintf(buf, size, "%s=%s", f->domain, hex);
	} else {
		n = snprintf(buf, size, "%s", f->domain);
	}
	return n < 0 || (size_t)n >= size ? -ENOSPC : n;
}

int lw_fleet_flag_from_key(const char *key, struct lw_fleet_flag *f)
{
	const char *eq = strchr(key, '=');
	size_t n = eq ? (size_t)(eq - key) : strlen(key);
	char k[LW_FLEET_FLAG_KEY_MAX];

	memset(f, 0, sizeof(*f));
	if (n == 0 || n >= sizeof(f->domain))
		return -EINVAL;
	memcpy(f->domain, key, n);
	f->domain[n] = 0;
	if (eq) {
		if (strlen(eq + 1) != 12)
			return -EINVAL;
		for (int i = 0; i < 6; i++) {
			memcpy(f->mac + 3 * i, eq + 1 + 2 * i, 2);
			f->mac[3 * i + 2] = i < 5 ? ':' : 0;
		}
	}
	/* only a key that is its own canonical form: a normalized domain, a lowercase MAC */
	{
		struct lw_fleet_flag c;
		const char *why;

		if (lw_fleet_flag_make(&c, f->domain, f->mac, NULL, NULL, &why) < 0 ||
		    lw_fleet_flag_key(&c, k, sizeof(k)) < 0 || strcmp(k, key) != 0)
			return -EINVAL;
	}
	return 0;
}

static struct lw_fleet_value text(const char *s)
{
	if (!s[0])
		return (struct lw_fleet_value){.type = LW_FLEET_NULL};
	return (struct lw_fleet_value){.type = LW_FLEET_TEXT, .s = s, .len = strlen(s)};
}

int lw_fleet_flag_encode(const struct lw_fleet_flag *f, uint8_t *buf, size_t size)
{
	struct lw_fleet_row row;

	memset(&row, 0, sizeof(row));
	row.table = (unsigned)lw_fleet_table_index("flagged");
	row.n = COL_N;
	row.v[COL_DOMAIN] = text(f->domain);
	row.v[COL_MAC] = text(f->mac);
	row.v[COL_REASON] = text(f->reason);
	row.v[COL_SOURCE] = text(SOURCE);
	row.v[COL_ADDED].type = LW_FLEET_NULL;
	if (f->has_expires)
		row.v[COL_EXPIRES] = (struct lw_fleet_value){.type = LW_FLEET_INT, .i = f->expires};
	return lw_fleet_row_encode(&row, buf, size);
}

/* a TEXT or NULL value into out ("" for NULL); false when it does not fit */
static bool take_text(const struct lw_fleet_value *v, char *out, size_t size)
{
	if (v->type == LW_FLEET_NULL) {
		out[0] = 0;
		return true;
	}
	if (v->type != LW_FLEET_TEXT || v->len == 0 || v->len >= size)
		return false;
	memcpy(out, v->s, v->len);
	out[v->len] = 0;
	return true;
}

int lw_fleet_flag_decode(const char *key, const void *buf, size_t len, struct lw_fleet_flag *f,
			 const char **why)
{
	struct lw_fleet_row row;
	struct lw_fleet_flag canon;
	char domain[LW_DNS_NAME_MAX], mac[LW_MAC_STRLEN], reason[LW_FLEET_FLAG_REASON_MAX + 1];
	char k[LW_FLEET_FLAG_KEY_MAX];
	const struct lw_fleet_value *ex;

	memset(f, 0, sizeof(*f));
	if (len > LW_FLEET_FLAG_VALUE_MAX || lw_fleet_row_decode(buf, len, &row) < 0 ||
	    row.table != (unsigned)lw_fleet_table_index("flagged") || row.n != COL_N ||
	    row.id != 0 || row.version != 0 || lw_fleet_row_check(&row) < 0) {
		*why = "not a flagged row message";
		return -EBADMSG;
	}
	ex = &row.v[COL_EXPIRES];
	if (row.v[COL_DOMAIN].type != LW_FLEET_TEXT ||
	    !take_text(&row.v[COL_DOMAIN], domain, sizeof(domain))) {
		*why = "no domain, or one too long";
		return -EBADMSG;
	}
	if (!take_text(&row.v[COL_MAC], mac, sizeof(mac)) ||
	    !take_text(&row.v[COL_REASON], reason, sizeof(reason)) ||
	    (ex->type != LW_FLEET_NULL && ex->type != LW_FLEET_INT)) {
		*why = "a mac, reason or expiry of the wrong type or length";
		return -EBADMSG;
	}
	if (lw_fleet_flag_make(&canon, domain, mac, reason,
			       ex->type == LW_FLEET_INT ? &ex->i : NULL, why) < 0)
		return -EBADMSG;
	/* only the canonical value: what a collector writes, nothing that only looks like it */
	if (strcmp(canon.domain, domain) != 0 || strcmp(canon.mac, mac) != 0) {
		*why = "a domain or mac not in its normalized form";
		return -EBADMSG;
	}
	if (lw_fleet_flag_key(&canon, k, sizeof(k)) < 0 || !key || strcmp(k, key) != 0) {
		*why = "a key that does not name the value's domain and mac";
		return -EBADMSG;
	}
	*f = canon;
	return 0;
}
