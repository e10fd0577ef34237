/* SPDX-License-Identifier: MIT */
#include "row.h"

#include "core/cursor.h"
#include "core/types.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#define I LW_FLEET_INT
#define R LW_FLEET_REAL
#define T LW_FLEET_TEXT

/* The columns of schema version 7 (lib/store/schema.c), without the id column. */
static const struct lw_fleet_column devices_cols[] = {
	{"mac", T},	    {"first_seen", I}, {"last_seen", I}, {"vendor", T}, {"hostname", T},
	{"dhcp_vendor", T}, {"randomized", I}, {"label", T},	 {"ip", T},	{"port", T},
};
static const struct lw_fleet_column sessions_cols[] = {
	{"mac", T},
	{"ifname", T},
	{"start", R},
	{"end", R},
};
static const struct lw_fleet_column flows_cols[] = {
	{"mac", T},	 {"proto", T},	    {"src_ip", T},    {"src_port", I},	{"dst_ip", T},
	{"dst_port", I}, {"first_seen", R}, {"last_seen", R}, {"domain", T},	{"name_source", T},
	{"app", T},	 {"encrypted", I},  {"pkts_out", I},  {"bytes_out", I}, {"pkts_in", I},
	{"bytes_in", I}, {"ended", I},
};
static const struct lw_fleet_column dns_cols[] = {
	{"ts", R},    {"mac", T},   {"client_ip", T}, {"server_ip", T}, {"qname", T},
	{"qtype", I}, {"rcode", I}, {"answers", T},   {"ttl", I},
};
static const struct lw_fleet_column leaks_cols[] = {
	{"ts", R},	 {"mac", T},	    {"flow_id", I}, {"domain", T}, {"dst_ip", T},
	{"dst_port", I}, {"proto", T},	    {"kind", T},    {"value", T},  {"encoding", T},
	{"location", T}, {"confidence", T}, {"snippet", T},
};
static const struct lw_fleet_column flagged_cols[] = {
	{"domain", T}, {"mac", T}, {"reason", T}, {"source", T}, {"added", I}, {"expires", I},
};
static const struct lw_fleet_column blocks_cols[] = {
	{"ts", R}, {"mac", T}, {"domain", T}, {"ip", T}, {"until", R}, {"reason", T}, {"action", T},
};
static const struct lw_fleet_column stats_cols[] = {
	{"ts", R},
	{"packets", I},
	{"bytes", I},
	{"dropped", I},
	{"if_dropped", I},
	{"flows_active", I},
	{"flows_evicted", I},
	{"leaks", I},
	{"malformed", I},
	{"store_dropped", I},
	{"rss_kb", I},
	{"names_evicted", I},
	{"dns_malformed", I},
	{"http_malformed", I},
	{"tls_malformed", I},
	{"reasm_overflow", I},
	{"reasm_gaps", I},
	{"frag_dropped", I},
	{"quic_too_big", I},
	{"detect_budget_hit", I},
	{"http_body_cut", I},
	{"dns_unmatched", I},
	{"dns_pending_evicted", I},
	{"dhcp_chaddr_mismatch", I},
	{"devices_refused", I},
	{"block_guarded", I},
	{"body_undecoded", I},
	{"device_names_refused", I},
	{"names_refused", I},
	{"learned_evicted", I},
	{"known_full", I},
	{"store_dropped_share", I},
	{"dns_flows", I},
	{"db_bytes", I},
	{"pruned_rows", I},
	{"cap_pruned", I},
	{"vacuum_pages", I},
	{"checkpoint_busy", I},
	{"buffer_refused", I},
	{"buffer_refused_share", I},
	{"buffer_peak_kb", I},
};

#undef I
#undef R
#undef T

#define TABLE(name, rowid, changed, cols)                       \
	{                                                       \
		name, rowid, changed, cols, LW_ARRAY_SIZE(cols) \
	}

/*
 * Which rows change after their insert (lib/store/store.c): a device's row on every sighting
 * (last_seen), a flow's while it lives (last_seen, counters, ended), a session's when it
 * ends ("end"), a flagged domain's from the CLI (source, expires).  The others only grow.
 */
static const struct lw_fleet_table tables[] = {
	TABLE("devices", "rowid", "last_seen", devices_cols),
	TABLE("sessions", "id", "coalesce(\"end\", start)", sessions_cols),
	TABLE("flows", "id", "last_seen", flows_cols),
	TABLE("dns", "id", NULL, dns_cols),
	TABLE("leaks", "id", NULL, leaks_cols),
	TABLE("flagged", "id", "", flagged_cols),
	TABLE("blocks", "id", NULL, blocks_cols),
	TABLE("stats", "rowid", NULL, stats_cols),
};

_Static_assert(LW_ARRAY_SIZE(stats_cols) <= LW_FLEET_MAX_COLS, "LW_FLEET_MAX_COLS too small");

const struct lw_fleet_table *lw_fleet_tables(size_t *n)
{
	*n = LW_ARRAY_SIZE(tables);
	return tables;
}

int lw_fleet_table_index(const char *name)
{
	for (size_t i = 0; i < LW_ARRAY_SIZE(tables); i++)
		if (strcmp(tables[i].name, name) == 0)
			return (int)i;
	return -ENOENT;
}

struct out {
	uint8_t *p;
	size_t left;
	bool full;
};

static void put(struct out *o, const void *src, size_t n)
{
	if (o->full || o->left < n) {
		o->full = true;
		return;
	}
	memcpy(o->p, src, n);
	o->p += n;
	o->left -= n;
}

static void put_u8(struct out *o, uint8_t v)
{
	put(o, &v, 1);
}

static void put_be(struct out *o, uint64_t v, unsigned bytes)
{
	uint8_t b[8];

	for (unsigned i = 0; i < bytes; i++)
		b[i] = (uint8_t)(v >> (8 * (bytes - 1 - i)));
	put(o, b, bytes);
}

int lw_fleet_row_encode(const struct lw_fleet_row *row, uint8_t *buf, size_t size)
{
	struct out o = {buf, size, false};
	uint64_t bits;

	if (row->table >= LW_ARRAY_SIZE(tables) || row->n != tables[row->table].ncols)
		return -EINVAL;
	put_u8(&o, LW_FLEET_FORMAT);
	put_u8(&o, (uint8_t)row->table);
	put_be(&o, (uint64_t)row->id, 8);
	put_be(&o, row->version, 8);
	put_be(&o, row->n, 2);
	for (size_t i = 0; i < row->n; i++) {
		const struct lw_fleet_value *v = &row->v[i];

		put_u8(&o, (uint8_t)v->type);
		switch (v->type) {
		case LW_FLEET_NULL:
			break;
		case LW_FLEET_INT:
			put_be(&o, (uint64_t)v->i, 8);
			break;
		case LW_FLEET_REAL:
			memcpy(&bits, &v->r, sizeof(bits));
			put_be(&o, bits, 8);
			break;
		case LW_FLEET_TEXT:
			if (v->len > UINT32_MAX)
				return -EINVAL;
			put_be(&o, v->len, 4);
			put(&o, v->s, v->len);
			break;
		}
	}
	if (o.full)
		return -ENOSPC;
	return (int)(size - o.left);
}

static uint64_t get_be64(struct lw_cursor *c)
{
	uint64_t hi = lw_cursor_be32(c);

	return hi << 32 | lw_cursor_be32(c);
}

int lw_fleet_row_decode(const void *buf, size_t len, struct lw_fleet_row *row)
{
	struct lw_cursor c = lw_cursor_make(buf, len);
	uint64_t bits;
	uint32_t tlen;

	if (lw_cursor_u8(&c) != LW_FLEET_FORMAT)
		return -EBADMSG;
	row->table = lw_cursor_u8(&c);
	row->id = (int64_t)get_be64(&c);
	row->version = get_be64(&c);
	row->n = lw_cursor_be16(&c);
	if (c.err || row->table >= LW_ARRAY_SIZE(tables) || row->n != tables[row->table].ncols)
		return -EBADMSG;
	for (size_t i = 0; i < row->n; i++) {
		struct lw_fleet_value *v = &row->v[i];

		memset(v, 0, sizeof(*v));
		switch (lw_cursor_u8(&c)) {
		case LW_FLEET_NULL:
			v->type = LW_FLEET_NULL;
			break;
		case LW_FLEET_INT:
			v->type = LW_FLEET_INT;
			v->i = (int64_t)get_be64(&c);
			break;
		case LW_FLEET_REAL:
			v->type = LW_FLEET_REAL;
			bits = get_be64(&c);
			memcpy(&v->r, &bits, sizeof(bits));
			break;
		case LW_FLEET_TEXT:
			v->type = LW_FLEET_TEXT;
			tlen = lw_cursor_be32(&c);
			v->s = (const char *)lw_cursor_bytes(&c, tlen);
			v->len = tlen;
			if (!v->s)
				return -EBADMSG;
			break;
		default:
			return -EBADMSG;
		}
		if (c.err)
			return -EBADMSG;
	}
	if (c.err || lw_cursor_left(&c) != 0)
		return -EBADMSG;
	return 0;
}

/* RFC 3629 UTF-8: no overlong forms, no surrogates, nothing above U+10FFFF */
static bool utf8_valid(const uint8_t *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		uint8_t b = s[i];
		size_t k;
		uint32_t cp;

		if (b == 0)
			return false;
		if (b < 0x80) {
			i++;
			continue;
		}
		if (b >= 0xc2 && b <= 0xdf) {
			k = 1;
			cp = b & 0x1f;
		} else if (b >= 0xe0 && b <= 0xef) {
			k = 2;
			cp = b & 0x0f;
		} else if (b >= 0xf0 && b <= 0xf4) {
			k = 3;
			cp = b & 0x07;
		} else {
			return false;
		}
		if (n - i - 1 < k)
			return false;
		for (size_t j = 1; j <= k; j++) {
			if ((s[i + j] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (s[i + j] & 0x3f);
		}
		if ((k == 2 && cp < 0x800) || (k == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += k + 1;
	}
	return true;
}

int lw_fleet_row_check(struct lw_fleet_row *row)
{
	const struct lw_fleet_table *t;

	if (row->table >= LW_ARRAY_SIZE(tables))
		return -EBADMSG;
	t = &tables[row->table];
	if (row->n != t->ncols)
		return -EBADMSG;
	for (size_t i = 0; i < row->n; i++) {
		struct lw_fleet_value *v = &row->v[i];

		switch (v->type) {
		case LW_FLEET_NULL:
			break;
		case LW_FLEET_INT:
			if (t->cols[i].type == LW_FLEET_TEXT)
				return -EBADMSG;
			break;
		case LW_FLEET_REAL:
			if (t->cols[i].type == LW_FLEET_TEXT || !isfinite(v->r))
				return -EBADMSG;
			if (t->cols[i].type == LW_FLEET_INT) {
				/* 2^63 is exact as a double; the range is [-2^63, 2^63) */
				if (v->r != floor(v->r) || v->r < -9223372036854775808.0 ||
				    v->r >= 9223372036854775808.0)
					return -EBADMSG;
				v->i = (int64_t)v->r;
				v->type = LW_FLEET_INT;
			}
			break;
		case LW_FLEET_TEXT:
			if (t->cols[i].type != LW_FLEET_TEXT ||
			    !utf8_valid((const uint8_t *)v->s, v->len))
				return -EBADMSG;
			break;
		}
	}
	return 0;
}

bool lw_fleet_ap_valid(const char *ap)
{
	size_t n = 0;

	for (; ap[n]; n++) {
		char ch = ap[n];

		if (n >= LW_FLEET_AP_MAX)
			return false;
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '_' || ch == '-'))
			return false;
	}
	return n > 0;
}

int lw_fleet_msg_id(char *buf, size_t size, const char *ap, const char *table, int64_t id,
		    uint64_t version)
{
	int n = version ? snprintf(buf, size, "%s.%s.%" PRId64 ".%" PRIu64, ap, table, id, version)
			: snprintf(buf, size, "%s.%s.%" PRId64, ap, table, id);

	if (n < 0 || (size_t)n >= size)
		return -ENOSPC;
	return n;
}
