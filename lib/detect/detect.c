/* SPDX-License-Identifier: MIT */
/*
 * The identifier engine: peels content (Content-Encoding, JSON, forms, percent-encoding,
 * base64, hex — up to max_depth transforming layers), and in every piece it reaches looks for
 *   known      every precomputed form of the enrolled and learned values and of the client's
 *              own MAC, in one pass of the matcher (known.c);
 *   validated  tokens that pass their kind's check in the context their key gives
 *              (validate.c);
 *   pattern    a key that names an identifier over a value of the right shape that fails
 *              the check, and bare IMEI-shaped numbers (Luhn and TAC pass, but one random
 *              15-digit number in ten passes Luhn).
 *
 * Keys come from structure (JSON member names, form and query keys, header names) or, in
 * free text, from the word just before a value ("imei=", "IMEI: ", "<imei>", "/imei/").
 * Objects are groups: a latitude pairs with the longitude beside it, cell fields with each
 * other.
 *
 * A known value enrolled for device A and seen in device B's traffic is reported for B with
 * confidence known: the same handset shows up under several MACs (per-network randomized
 * MACs), and an app that uploads another device's identifiers is worth knowing about.  The
 * client's own MAC, known only from layer 2, is matched only in that client's traffic.
 *
 * Every distinct (kind, value) is reported once per scan, keeping the highest confidence and,
 * among equals, the first place it was seen.  Findings are buffered and reported when the
 * scan ends (so that a later, stronger sighting can replace an earlier one), and then the
 * validated ones are learned.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect/detect-int.h"
#include "detect/ims.h"
#include "detect/phone.h"
#include "detect/plausible.h"
#include "proto/http.h"

#define MAX_LEAKS 64 /* distinct identifiers kept per scan */
#define MAX_NEST 10 /* pieces inside pieces (documents and decodings) */
#define CHAIN_FRAMES 32 /* steps a chain shows; deeper ones are cut, like the text */
#define MAX_GROUPS 48 /* JSON objects open at once, across nested documents */
#define MIN_RUN 16 /* shorter base64/hex runs are not decoded */
#define MAX_CODINGS 2 /* "gzip, br" */
#define BOMB_RATIO 256 /* compressed bodies may grow this much ... */
#define BOMB_FLOOR 65536 /* ... or to this many bytes, whichever is more */
#define SNIP_SIDE 20 /* context bytes each side of a hit */
#define KEY_LABEL_MAX 40 /* key as shown in chains and locations */
#define INLINE_KEY_SEPS 6 /* separators between an inline key and its value: "\":\"" */
#define INLINE_KEY_MAX 48
#define KEY_CACHE 256 /* key names classified recently (they repeat: JSON members) */
#define RAW_KEY_MAX 32 /* keys as written, remembered up to this length */
#define MAX_KNOWN_SPANS 32 /* known matches remembered so validators do not read them again */
/* number-plan look-ups per scan: libphonenumber takes ~80 us for one (ICU regular expressions),
 * so a body of a thousand numbers under "to" keys would otherwise cost 0.1 s */
#define MAX_PLAN_LOOKUPS 32

const char *lw_id_kind_str(enum lw_id_kind k)
{
	switch (k) {
	case LW_ID_IMEI:
		return "imei";
	case LW_ID_IMEISV:
		return "imeisv";
	case LW_ID_MEID:
		return "meid";
	case LW_ID_ICCID:
		return "iccid";
	case LW_ID_IMSI:
		return "imsi";
	case LW_ID_MAC:
		return "mac";
	case LW_ID_ANDROID_ID:
		return "android_id";
	case LW_ID_AD_ID:
		return "ad_id";
	case LW_ID_SERIAL:
		return "serial";
	case LW_ID_PHONE:
		return "phone";
	case LW_ID_EMAIL:
		return "email";
	case LW_ID_LOCATION:
		return "location";
	case LW_ID_CELL_ID:
		return "cell_id";
	case LW_ID_CUSTOM:
		return "custom";
	case LW_ID__COUNT:
		break;
	}
	return NULL;
}

int lw_id_kind_parse(const char *s)
{
	int k;

	for (k = 0; k < LW_ID__COUNT && s; k++)
		if (strcmp(s, lw_id_kind_str((enum lw_id_kind)k)) == 0)
			return k;
	return -EINVAL;
}

const char *lw_confidence_str(enum lw_confidence c)
{
	switch (c) {
	case LW_CONF_PATTERN:
		return "pattern";
	case LW_CONF_VALIDATED:
		return "validated";
	case LW_CONF_KNOWN:
		return "known";
	}
	return NULL;
}

/* Where a finding was: the piece of content and the span in it (for the snippet). */
struct hitpos {
	const uint8_t *p;
	size_t n, off, len;
};

/* Members of one object (or form, or query) that only mean something together. */
struct group {
	char lat[40], lon[40];
	bool has_lat, has_lon;
	struct hitpos loc_pos;
	char loc_chain[128], loc_where[128];
	uint64_t cell[LW_CELL__COUNT];
	unsigned cell_mask;
	unsigned strong_mask; /* fields whose key names a cell by itself (cellid, eci, baseid) */
	struct hitpos cell_pos;
	char cell_chain[128], cell_where[128];
};

struct keyinfo {
	const uint8_t *raw;
	size_t raw_len;
	struct lw_key_class kc;
};

struct scan {
	struct {
		const uint8_t *p;
		size_t n;
	} docs[MAX_NEST]; /* documents being read: snippets show a value with its key */
	size_t ndocs;
	const struct lw_mac *client;
	const char *location;
	/*
	 * The encoding chain ("base64>json:imei") is kept as a stack of frames and written out
	 * only when something reads it (a report, a location or cell group): most values are
	 * never reported, and writing every step was an eighth of the engine's time.
	 */
	struct chain_frame {
		const char *step;
		const uint8_t *key;
		size_t kl;
		size_t len_before; /* chain_len before this frame was written */
	} frames[CHAIN_FRAMES];
	size_t nframes, built; /* frames pushed; frames written into chain[] */
	char chain[128];
	size_t chain_len;
	uint8_t *arena;
	size_t used, cap;
	bool budget_hit, depth_hit;
	bool edge; /* the token being judged runs into the end of data that may be cut short */
	unsigned nest;
	struct group groups[MAX_GROUPS];
	size_t ngroups, group_overflow;
	struct lw_leak leaks[MAX_LEAKS];
	size_t nleaks;
	struct {
		const uint8_t *start, *end;
		enum lw_id_kind kind;
	} known_spans[MAX_KNOWN_SPANS]; /* where known values matched, most recent */
	size_t nspans;
	unsigned plan_lookups;
};

struct key_cache_ent {
	uint32_t hash;
	uint32_t len;
	char norm[LW_KEY_NORM_MAX];
	struct lw_key_class kc;
};

/* A key as written ("wifiMac", "IMEI_1") and its class: repeats skip normalizing it. */
struct raw_key_ent {
	uint32_t hash;
	uint32_t len;
	uint8_t raw[RAW_KEY_MAX];
	struct lw_key_class kc;
};

struct lw_detect {
	struct lw_detect_config cfg;
	struct key_cache_ent keys[KEY_CACHE];
	struct raw_key_ent raw_keys[KEY_CACHE];
	struct lw_detect_stats stats;
	struct lw_known *known;
	z_stream zs;
	bool zs_ok;
	uint8_t *arena;
	struct scan s;
};

/* ---- reporting --------------------------------------------------------------------------- */

static void snippet(const struct scan *s, char *out, size_t cap, const struct hitpos *hp)
{
	struct hitpos ctx = *hp;
	const struct hitpos *h = &ctx;
	size_t start, end, i, o = 0, k;

	/* a value cut out of a document: show it where it sits in the document */
	for (k = s->ndocs; k-- > 0;) {
		const uint8_t *dp = s->docs[k].p;

		if (hp->p >= dp && hp->p + hp->off + hp->len <= dp + s->docs[k].n) {
			ctx.off = (size_t)(hp->p - dp) + hp->off;
			ctx.p = dp;
			ctx.n = s->docs[k].n;
			break;
		}
	}
	start = h->off > SNIP_SIDE ? h->off - SNIP_SIDE : 0;
	end = LW_MIN(h->n, h->off + h->len + SNIP_SIDE);

	for (i = start; i < end && o + 1 < cap; i++) {
		uint8_t c = h->p[i];

		if (i >= h->off && i < h->off + h->len)
			out[o++] = '*';
		else
			out[o++] = c >= 0x20 && c < 0x7f ? (char)c : '.';
	}
	out[o] = '\0';
}

static void where_copy(char *out, size_t cap, const char *s)
{
	snprintf(out, cap, "%s", s ? s : "");
}

static void report_at(struct scan *s, struct lw_detect_stats *st, enum lw_id_kind kind,
		      enum lw_confidence conf, const char *value, const char *chain,
		      const char *where, const struct hitpos *pos, bool opted_out, bool placeholder)
{
	struct lw_leak *l = NULL;
	size_t i;

	/* a value cut by the end of the data (a TCP segment, a truncated body) is only a hint */
	if (s->edge && conf > LW_CONF_PATTERN)
		conf = LW_CONF_PATTERN;
	for (i = 0; i < s->nleaks; i++) {
		if (s->leaks[i].kind == kind && strcmp(s->leaks[i].value, value) == 0) {
			if (conf <= s->leaks[i].confidence)
				return;
			l = &s->leaks[i]; /* a stronger sighting replaces the weaker one */
			break;
		}
	}
	if (!l) {
		if (s->nleaks >= MAX_LEAKS) {
			st->leaks_dropped++;
			return;
		}
		l = &s->leaks[s->nleaks++];
		memset(l, 0, sizeof(*l));
		l->kind = kind;
		snprintf(l->value, sizeof(l->value), "%s", value);
	}
	l->confidence = conf;
	snprintf(l->encoding, sizeof(l->encoding), "%s", chain && *chain ? chain : "plain");
	where_copy(l->location, sizeof(l->location), where);
	snippet(s, l->snippet, sizeof(l->snippet), pos);
	l->opted_out = opted_out;
	l->placeholder = placeholder;
}

static const char *chain_str(struct scan *s);

static void report(struct lw_detect *d, enum lw_id_kind kind, enum lw_confidence conf,
		   const char *value, const struct hitpos *pos)
{
	struct scan *s = &d->s;
	const uint8_t *a = pos->p + pos->off, *b = a + pos->len;
	size_t i;

	/*
	 * Bytes that matched a known value of this kind are that value: an ICCID spelled
	 * without its check digit is not also a second, 19-digit ICCID.
	 */
	for (i = 0; i < s->nspans && i < MAX_KNOWN_SPANS; i++)
		if (s->known_spans[i].kind == kind && a < s->known_spans[i].end &&
		    b > s->known_spans[i].start)
			return;

	report_at(s, &d->stats, kind, conf, value, chain_str(s), s->location, pos, false, false);
}

/* ---- chains and the decode buffer -------------------------------------------------------- */

static size_t label_copy(char *out, size_t cap, const uint8_t *k, size_t kl)
{
	size_t i, o = 0;

	for (i = 0; i < kl && o + 1 < cap && o < KEY_LABEL_MAX; i++)
		if (k[i] > 0x20 && k[i] < 0x7f && k[i] != '>')
			out[o++] = (char)k[i];
	out[o] = '\0';
	return o;
}

/* Appends to the chain, cut at its size (snprintf here was an eighth of the engine's time). */
static void chain_add(struct scan *s, const char *t, size_t n)
{
	size_t room = sizeof(s->chain) - 1 - s->chain_len;

	if (n > room)
		n = room;
	memcpy(s->chain + s->chain_len, t, n);
	s->chain_len += n;
	s->chain[s->chain_len] = '\0';
}

static size_t chain_push(struct scan *s, const char *step, const uint8_t *key, size_t kl)
{
	size_t mark = s->nframes;

	if (s->nframes < CHAIN_FRAMES)
		s->frames[s->nframes] = (struct chain_frame){step, key, kl, 0};
	s->nframes++;
	return mark;
}

static void chain_pop(struct scan *s, size_t mark)
{
	s->nframes = mark;
	if (s->built > mark) {
		s->built = mark;
		s->chain_len = s->frames[mark].len_before;
		s->chain[s->chain_len] = '\0';
	}
}

/* The chain as text: the frames not yet written are written now. */
static const char *chain_str(struct scan *s)
{
	size_t top = LW_MIN(s->nframes, (size_t)CHAIN_FRAMES);

	for (; s->built < top; s->built++) {
		struct chain_frame *f = &s->frames[s->built];

		f->len_before = s->chain_len;
		if (s->chain_len)
			chain_add(s, ">", 1);
		chain_add(s, f->step, strlen(f->step));
		if (f->key) {
			char label[KEY_LABEL_MAX + 1];
			size_t n = label_copy(label, sizeof(label), f->key, f->kl);

			chain_add(s, ":", 1);
			chain_add(s, label, n);
		}
	}
	return s->chain;
}

static uint8_t *arena_room(struct scan *s, size_t *room)
{
	*room = s->cap - s->used;
	return s->arena + s->used;
}

static void arena_commit(struct scan *s, size_t n)
{
	s->used += n;
}

/* ---- groups ------------------------------------------------------------------------------ */

static struct group *group_push(struct scan *s)
{
	struct group *g;

	if (s->ngroups >= MAX_GROUPS) {
		s->group_overflow++;
		return NULL;
	}
	g = &s->groups[s->ngroups++];
	memset(g, 0, offsetof(struct group, cell_pos));
	return g;
}

static struct group *group_top(struct scan *s)
{
	return s->group_overflow || !s->ngroups ? NULL : &s->groups[s->ngroups - 1];
}

static void group_close(struct lw_detect *d, struct group *g)
{
	static const unsigned cell_level =
		1u << LW_CELL_LAC | 1u << LW_CELL_TAC | 1u << LW_CELL_CID | 1u << LW_CELL_ECI |
		1u << LW_CELL_NCI | 1u << LW_CELL_PCI | 1u << LW_CELL_BASEID;
	static const unsigned mccmnc = 1u << LW_CELL_MCC | 1u << LW_CELL_MNC;
	static const unsigned sidnid = 1u << LW_CELL_SID | 1u << LW_CELL_NID;
	char v[LW_DETECT_VALUE_MAX];
	int cells;
	bool net;
	struct scan *s = &d->s;
	int f, nf = 0;
	size_t o = 0;

	if (g->has_lat && g->has_lon) {
		snprintf(v, sizeof(v), "%s,%s", g->lat, g->lon);
		report_at(s, &d->stats, LW_ID_LOCATION, LW_CONF_VALIDATED, v, g->loc_chain,
			  g->loc_where, &g->loc_pos, false, false);
	}
	if (!g->cell_mask)
		return;
	for (f = LW_CELL_MCC; f < LW_CELL__COUNT; f++) {
		if (!(g->cell_mask & 1u << f))
			continue;
		nf++;
		o += (size_t)snprintf(v + o, sizeof(v) - o, "%s%s=%llu", o ? "," : "",
				      lw_detect_cell_label((enum lw_cell_field)f),
				      (unsigned long long)g->cell[f]);
		if (o >= sizeof(v))
			break;
	}
	/*
	 * A cell is named by two cell-level fields (LAC+CID, TAC+ECI, SIM1CELLID+BASEID), or by
	 * its network and a field whose key can only mean a cell (MCC+MNC+cellId,
	 * SID+NID+BASEID); one such key alone is a hint.  Ad requests carry the operator's
	 * mcc/mnc next to a campaign "cid", and "sid" and "cid" are as often a site and a client.
	 */
	cells = __builtin_popcount(g->cell_mask & cell_level);
	net = (g->cell_mask & mccmnc) == mccmnc || (g->cell_mask & sidnid) == sidnid;
	if (cells >= 2 || (net && (g->strong_mask & cell_level)))
		report_at(s, &d->stats, LW_ID_CELL_ID, LW_CONF_VALIDATED, v, g->cell_chain,
			  g->cell_where, &g->cell_pos, false, false);
	else if (nf == 1 && g->strong_mask)
		report_at(s, &d->stats, LW_ID_CELL_ID, LW_CONF_PATTERN, v, g->cell_chain,
			  g->cell_where, &g->cell_pos, false, false);
}

static void group_pop(struct lw_detect *d)
{
	struct scan *s = &d->s;

	if (s->group_overflow) {
		s->group_overflow--;
		return;
	}
	if (s->ngroups) {
		group_close(d, &s->groups[s->ngroups - 1]);
		s->ngroups--;
	}
}

static void group_coord(struct scan *s, struct group *g, bool lon, const char *val,
			const struct hitpos *pos)
{
	if (!g || (lon ? g->has_lon : g->has_lat))
		return;
	if (!g->has_lat && !g->has_lon) {
		g->loc_pos = *pos;
		where_copy(g->loc_chain, sizeof(g->loc_chain), chain_str(s));
		where_copy(g->loc_where, sizeof(g->loc_where), s->location);
	}
	snprintf(lon ? g->lon : g->lat, sizeof(g->lat), "%s", val);
	if (lon)
		g->has_lon = true;
	else
		g->has_lat = true;
}

static void group_cell(struct scan *s, struct group *g, enum lw_cell_field f, uint64_t v,
		       bool strong, const struct hitpos *pos)
{
	if (!g || (g->cell_mask & 1u << f))
		return;
	if (!g->cell_mask) {
		g->cell_pos = *pos;
		where_copy(g->cell_chain, sizeof(g->cell_chain), chain_str(s));
		where_copy(g->cell_where, sizeof(g->cell_where), s->location);
	}
	g->cell_mask |= 1u << f;
	g->cell[f] = v;
	if (strong)
		g->strong_mask |= 1u << f;
}

/* ---- known values ------------------------------------------------------------------------ */

struct known_ctx {
	struct lw_detect *d;
	const uint8_t *p;
	size_t n;
};

static bool on_known(const struct lw_known_hit *h, void *user)
{
	struct known_ctx *kc = user;
	struct scan *s = &kc->d->s;
	struct hitpos pos = {kc->p, kc->n, h->pos, h->len};
	char chain[sizeof(s->chain) + 24];
	size_t i;

	/* a client's own MAC is known only in that client's traffic */
	if (h->implicit && (!s->client || !h->owner || memcmp(s->client->b, h->owner->b, 6) != 0))
		return true;
	chain_str(s);
	if (h->chain == LW_KC_PLAIN)
		snprintf(chain, sizeof(chain), "%s", s->chain);
	else
		snprintf(chain, sizeof(chain), "%s%s%s", s->chain, s->chain_len ? ">" : "",
			 lw_known_chain_str(h->chain));
	report_at(s, &kc->d->stats, h->kind, LW_CONF_KNOWN, h->canon, chain, s->location, &pos,
		  false, false);
	i = s->nspans++ % MAX_KNOWN_SPANS;
	s->known_spans[i].start = kc->p + h->pos;
	s->known_spans[i].end = kc->p + h->pos + h->len;
	s->known_spans[i].kind = h->kind;
	return true;
}

static void known_pass(struct lw_detect *d, const uint8_t *p, size_t n)
{
	struct known_ctx kc = {d, p, n};

	lw_known_scan(d->known, p, n, on_known, &kc);
}

/* ---- tokens in text ---------------------------------------------------------------------- */

/* Byte classes, one table lookup each: the token and run scanners touch every byte. */
enum {
	C_DIGIT = 1,
	C_ALPHA = 2,
	C_HEX = 4,
	C_B64 = 8, /* base64 or base64url alphabet (not '=') */
	C_KEY = 16, /* may be part of a key name */
	C_SEP = 32, /* may stand between a key and its value */
};

static const uint8_t cclass[256] = {
	['0' ... '9'] = C_DIGIT | C_HEX | C_B64 | C_KEY,
	['a' ... 'f'] = C_ALPHA | C_HEX | C_B64 | C_KEY,
	['g' ... 'z'] = C_ALPHA | C_B64 | C_KEY,
	['A' ... 'F'] = C_ALPHA | C_HEX | C_B64 | C_KEY,
	['G' ... 'Z'] = C_ALPHA | C_B64 | C_KEY,
	['+'] = C_B64,
	['/'] = C_B64 | C_SEP,
	['-'] = C_B64 | C_KEY,
	['_'] = C_B64 | C_KEY,
	['.'] = C_KEY,
	[' '] = C_SEP,
	['\t'] = C_SEP,
	['\r'] = C_SEP,
	['\n'] = C_SEP,
	['"'] = C_SEP,
	['\''] = C_SEP,
	['='] = C_SEP,
	[':'] = C_SEP,
	['>'] = C_SEP,
	['['] = C_SEP,
	['('] = C_SEP,
	[','] = C_SEP,
};

static inline bool is_alnum(uint8_t c)
{
	return cclass[c] & (C_DIGIT | C_ALPHA);
}

static inline bool is_dig(uint8_t c)
{
	return cclass[c] & C_DIGIT;
}

static inline bool is_hex(uint8_t c)
{
	return cclass[c] & C_HEX;
}

static inline bool key_char(uint8_t c)
{
	return cclass[c] & C_KEY;
}

static inline bool key_sep(uint8_t c)
{
	return cclass[c] & C_SEP;
}

/* Classifying a key is a few dozen string comparisons; the same keys come again and again. */
static struct lw_key_class classify(struct lw_detect *d, const char *norm, size_t len)
{
	struct key_cache_ent *e;
	uint32_t h = 2166136261u;
	size_t i;

	for (i = 0; i < len; i++)
		h = (h ^ (uint8_t)norm[i]) * 16777619u;
	e = &d->keys[h % KEY_CACHE];
	if (e->hash != h || e->len != len || !e->norm[0] || memcmp(e->norm, norm, len) != 0) {
		memcpy(e->norm, norm, len + 1);
		e->hash = h;
		e->len = (uint32_t)len;
		e->kc = lw_detect_key_classify(norm);
		if (lw_phone_key_context(norm))
			e->kc.flags |= LW_KEY_PHONE_CTX;
		/* keys the vocabulary has no class for that still say "not an id" */
		if (!e->kc.flags && lw_plausible_key_not_id(norm))
			e->kc.flags |= LW_KEY_EXCLUDED;
	}
	return e->kc;
}

/* The key written just before a value in free text ("imei=", "\"MEID\":\"", "<imei>"). */
static bool inline_key(struct lw_detect *d, const uint8_t *p, size_t start, struct keyinfo *ki)
{
	size_t i = start, seps = 0, e, j;
	char norm[LW_KEY_NORM_MAX];
	bool letter = false;

	while (i > 0 && seps < INLINE_KEY_SEPS && key_sep(p[i - 1]))
		i--, seps++;
	e = i;
	while (i > 0 && e - i < INLINE_KEY_MAX && key_char(p[i - 1]))
		i--;
	if (i == e)
		return false;
	for (j = i; j < e; j++)
		if ((p[j] >= 'a' && p[j] <= 'z') || (p[j] >= 'A' && p[j] <= 'Z'))
			letter = true;
	if (!letter)
		return false;
	ki->raw = p + i;
	ki->raw_len = e - i;
	ki->kc = classify(d, norm, lw_detect_key_norm((const char *)p + i, e - i, norm));
	return true;
}

static struct lw_key_class classify_norm(struct lw_detect *d, const uint8_t *k, size_t kl)
{
	char norm[LW_KEY_NORM_MAX];
	size_t n = lw_detect_key_norm((const char *)k, kl, norm);

	return n ? classify(d, norm, n) : (struct lw_key_class){0, LW_CELL_NONE, false};
}

static struct lw_key_class classify_raw(struct lw_detect *d, const uint8_t *k, size_t kl)
{
	struct raw_key_ent *e;
	uint32_t h = 2166136261u;
	size_t i;

	if (kl > RAW_KEY_MAX)
		return classify_norm(d, k, kl);
	for (i = 0; i < kl; i++)
		h = (h ^ k[i]) * 16777619u;
	e = &d->raw_keys[h % KEY_CACHE];
	if (e->hash != h || e->len != kl || memcmp(e->raw, k, kl) != 0 || !e->len) {
		e->kc = classify_norm(d, k, kl);
		e->hash = h;
		e->len = (uint32_t)kl;
		memcpy(e->raw, k, kl);
	}
	return e->kc;
}

static void keyinfo_make(struct lw_detect *d, struct keyinfo *ki, const uint8_t *k, size_t kl)
{
	ki->raw = k;
	ki->raw_len = kl;
	if (k) {
		ki->kc = classify_raw(d, k, kl);
	} else {
		memset(&ki->kc, 0, sizeof(ki->kc));
	}
}

/* The key for a token at start: written inline before it, else the piece's own key. */
static struct lw_key_class token_key(struct lw_detect *d, const uint8_t *p, size_t start,
				     const struct keyinfo *leafk)
{
	struct keyinfo ki;

	if (inline_key(d, p, start, &ki))
		return ki.kc;
	return leafk->kc;
}

/* The token as seen, for values reported without a canonical form. */
static const char *as_seen(char *buf, const char *t, size_t len)
{
	snprintf(buf, LW_DETECT_VALUE_MAX, "%.*s", (int)len, t);
	return buf;
}

static void judge_mac(struct lw_detect *d, const char *t, size_t len, struct lw_key_class kc,
		      const struct hitpos *pos)
{
	static const struct lw_mac placeholder = {{0x02, 0, 0, 0, 0, 0}};
	char buf[24], canon[LW_MAC_STRLEN];
	struct lw_mac m;

	memcpy(buf, t, len);
	buf[len] = '\0';
	if (lw_mac_parse(buf, &m) < 0 || lw_mac_is_zero(&m))
		return;
	if (memcmp(m.b, "\xff\xff\xff\xff\xff\xff", 6) == 0 || (kc.flags & LW_KEY_EXCLUDED))
		return;
	lw_mac_str(&m, canon);
	/* Android hands apps 02:00:00:00:00:00 instead of the MAC: sent, but no leak */
	if (memcmp(m.b, placeholder.b, 6) == 0) {
		report_at(&d->s, &d->stats, LW_ID_MAC, LW_CONF_VALIDATED, canon, chain_str(&d->s),
			  d->s.location, pos, false, true);
		return;
	}
	if (kc.flags & LW_KEY_MAC)
		report(d, LW_ID_MAC, LW_CONF_VALIDATED, canon, pos);
}

static void judge_uuid(struct lw_detect *d, const char *t, size_t len, struct lw_key_class kc,
		       const struct hitpos *pos)
{
	char canon[LW_DETECT_VALUE_MAX];
	bool zero;

	if (!(kc.flags & LW_KEY_ADID) || lw_plausible_hash_of_nothing(t, len) ||
	    !lw_detect_check_uuid(t, len, canon, &zero))
		return;
	report_at(&d->s, &d->stats, LW_ID_AD_ID, LW_CONF_VALIDATED, canon, chain_str(&d->s),
		  d->s.location, pos, zero, false);
}

static void judge_coord(struct lw_detect *d, struct group *g, const char *t, size_t len,
			struct lw_key_class kc, const struct hitpos *pos)
{
	char v[40];
	bool lon = (kc.flags & LW_KEY_LON) != 0;

	if (!(kc.flags & (LW_KEY_LAT | LW_KEY_LON)))
		return;
	if (lw_detect_check_coord(t, len, lon, (kc.flags & LW_KEY_E6) != 0, v, sizeof(v)))
		group_coord(&d->s, g, lon, v, pos);
}

/*
 * A number in national form under a key that does not say "phone" but names an account or a
 * contact ("user", "num", "to"): a phone number when the AP's region's plan says it is a
 * mobile number there (validated), a fixed-line one (pattern: a hint).  Under no key, or a
 * key for something else, a national number is not looked for: one random 11-digit number
 * in about 14 has the shape of a Chinese mobile number.  Returns true if it reported one.
 */
/* One more number-plan look-up in this scan, or false (counted) when they are used up. */
static bool plan_budget(struct lw_detect *d)
{
	if (!lw_phone_have_plans())
		return true; /* the checks are length checks: nothing to bound */
	if (d->s.plan_lookups >= MAX_PLAN_LOOKUPS) {
		d->stats.plan_limit_hit++;
		return false;
	}
	d->s.plan_lookups++;
	return true;
}

static bool phone_national(struct lw_detect *d, const char *t, size_t len, struct lw_key_class kc,
			   const struct hitpos *pos)
{
	char canon[LW_DETECT_VALUE_MAX];
	enum lw_phone_verdict v;

	if (!d->cfg.region[0] || !(kc.flags & LW_KEY_PHONE_CTX) || len < LW_PHONE_NATIONAL_MIN ||
	    len > LW_PHONE_NATIONAL_MAX || lw_plausible_epoch(t, len) ||
	    lw_detect_digits_trivial(t, len) || !plan_budget(d))
		return false;
	v = lw_phone_check_national(d->cfg.region, t, len, canon, sizeof(canon));
	if (v == LW_PHONE_MOBILE)
		report(d, LW_ID_PHONE, LW_CONF_VALIDATED, canon, pos);
	else if (v == LW_PHONE_VALID)
		report(d, LW_ID_PHONE, LW_CONF_PATTERN, canon, pos);
	else
		return false;
	return true;
}

static void judge_number(struct lw_detect *d, struct group *g, const char *t, size_t len,
			 struct lw_key_class kc, const struct hitpos *pos)
{
	char canon[LW_DETECT_VALUE_MAX];
	unsigned f = kc.flags;
	uint64_t cv;

	if (phone_national(d, t, len, kc, pos))
		return;
	if (f & LW_KEY_EXCLUDED)
		return;
	if (f & LW_KEY_CELL) {
		if (lw_detect_check_cell(kc.cell, t, len, &cv))
			group_cell(&d->s, g, kc.cell, cv, kc.cell_strong, pos);
		return;
	}
	if (f & (LW_KEY_LAT | LW_KEY_LON)) {
		judge_coord(d, g, t, len, kc, pos);
		return;
	}
	if (f & LW_KEY_PHONE)
		return; /* phone_at() read it with its spaces and dashes */
	if ((f & LW_KEY_ANDROID) && len == 16) {
		if (lw_detect_check_android_id(t, len, canon))
			report(d, LW_ID_ANDROID_ID, LW_CONF_VALIDATED, canon, pos);
		return;
	}
	if ((f & LW_KEY_MAC) && len == 12) {
		judge_mac(d, t, len, kc, pos);
		return;
	}
	if ((f & LW_KEY_MEID) && (len == 14 || len == 18)) {
		if (lw_detect_check_meid(t, len, canon))
			report(d, LW_ID_MEID, LW_CONF_VALIDATED, canon, pos);
		else if (lw_detect_check_imei(t, len, canon)) /* an IMEI without its check digit */
			report(d, LW_ID_IMEI, LW_CONF_VALIDATED, canon, pos);
		else if (!lw_detect_digits_trivial(t, len))
			report(d, LW_ID_MEID, LW_CONF_PATTERN, as_seen(canon, t, len), pos);
		return;
	}
	if (f & LW_KEY_IMSI) {
		if (lw_detect_check_imsi(t, len, canon))
			report(d, LW_ID_IMSI, LW_CONF_VALIDATED, canon, pos);
		else if (len >= 14 && len <= 15 && !lw_detect_digits_trivial(t, len))
			report(d, LW_ID_IMSI, LW_CONF_PATTERN, as_seen(canon, t, len), pos);
		return;
	}
	if (f & LW_KEY_ICCID) {
		if (lw_detect_check_iccid(t, len, true, canon))
			report(d, LW_ID_ICCID, LW_CONF_VALIDATED, canon, pos);
		else if (len >= 18 && len <= 22 && !lw_detect_digits_trivial(t, len))
			report(d, LW_ID_ICCID, LW_CONF_PATTERN, as_seen(canon, t, len), pos);
		return;
	}
	if ((f & LW_KEY_IMEISV) && len == 16) {
		bool ok = lw_detect_tac_plausible(t) && !lw_detect_digits_trivial(t, 14);

		snprintf(canon, sizeof(canon), "%.*s", (int)len, t);
		report(d, LW_ID_IMEISV, ok ? LW_CONF_VALIDATED : LW_CONF_PATTERN, canon, pos);
		return;
	}
	if (f & LW_KEY_IMEI) {
		if ((len == 14 || len == 15) && lw_detect_check_imei(t, len, canon))
			report(d, LW_ID_IMEI, LW_CONF_VALIDATED, canon, pos);
		else if (len == 16 && lw_detect_tac_plausible(t) &&
			 !lw_detect_digits_trivial(t, 14))
			/* Android's device id is the IMEI or MEID, never the IMEISV: 16 digits under
			 * device_id are as often a firewall's or a router's serial number */
			report(d, LW_ID_IMEISV,
			       (f & LW_KEY_DEVICE) ? LW_CONF_PATTERN : LW_CONF_VALIDATED,
			       as_seen(canon, t, len), pos);
		else if (len >= 14 && len <= 17 && !lw_detect_digits_trivial(t, len))
			report(d, LW_ID_IMEI, LW_CONF_PATTERN, as_seen(canon, t, len), pos);
		return;
	}
	if (f & LW_KEY_SERIAL) {
		if (len >= 6 && len <= 20 && !lw_detect_digits_trivial(t, len))
			report(d, LW_ID_SERIAL, LW_CONF_PATTERN, as_seen(canon, t, len), pos);
		return;
	}
	/* no key that says what it is; a time in 100 us ticks is 15 digits too */
	if (len == 15 && !lw_plausible_epoch(t, len) && lw_detect_check_imei(t, len, canon))
		report(d, LW_ID_IMEI, LW_CONF_PATTERN, canon, pos);
	else if ((len == 19 || len == 20) && lw_detect_check_iccid(t, len, false, canon))
		report(d, LW_ID_ICCID, LW_CONF_VALIDATED, canon, pos);
}

static void judge_hex(struct lw_detect *d, const char *t, size_t len, struct lw_key_class kc,
		      const struct hitpos *pos)
{
	char canon[LW_DETECT_VALUE_MAX];
	unsigned f = kc.flags;
	bool zero;

	if ((f & LW_KEY_EXCLUDED) || lw_plausible_hash_of_nothing(t, len))
		return;
	if ((f & LW_KEY_ANDROID) && len == 16) {
		if (lw_detect_check_android_id(t, len, canon))
			report(d, LW_ID_ANDROID_ID, LW_CONF_VALIDATED, canon, pos);
	} else if ((f & LW_KEY_ANDROID) && len >= 8 && len < 16) {
		/* Android before 8 allowed shorter ids; the shape alone is weak */
		snprintf(canon, sizeof(canon), "%.*s", (int)len, t);
		report(d, LW_ID_ANDROID_ID, LW_CONF_PATTERN, canon, pos);
	} else if ((f & LW_KEY_MEID) && len == 14) {
		if (lw_detect_check_meid(t, len, canon))
			report(d, LW_ID_MEID, LW_CONF_VALIDATED, canon, pos);
		else
			report(d, LW_ID_MEID, LW_CONF_PATTERN, as_seen(canon, t, len), pos);
	} else if ((f & LW_KEY_MAC) && len == 12) {
		judge_mac(d, t, len, kc, pos);
	} else if ((f & LW_KEY_ADID) && len == 32) {
		if (lw_detect_check_uuid(t, len, canon, &zero))
			report_at(&d->s, &d->stats, LW_ID_AD_ID, LW_CONF_VALIDATED, canon,
				  chain_str(&d->s), d->s.location, pos, zero, false);
	} else if ((f & LW_KEY_SERIAL) && len >= 6 && len <= 20) {
		snprintf(canon, sizeof(canon), "%.*s", (int)len, t);
		report(d, LW_ID_SERIAL, LW_CONF_PATTERN, canon, pos);
	}
}

static bool hex_at(const uint8_t *p, size_t n, size_t i, size_t k)
{
	size_t j;

	if (i + k > n)
		return false;
	for (j = i; j < i + k; j++)
		if (!is_hex(p[j]))
			return false;
	return true;
}

static bool digits_at(const uint8_t *p, size_t n, size_t i, size_t k)
{
	size_t j;

	if (i + k > n)
		return false;
	for (j = i; j < i + k; j++)
		if (!is_dig(p[j]))
			return false;
	return true;
}

static bool boundary(const uint8_t *p, size_t n, size_t e)
{
	return e >= n || !is_alnum(p[e]);
}

/* Composite shapes starting at a word start i; returns the end of what it took, or 0. */
static size_t shapes(struct lw_detect *d, const uint8_t *p, size_t n, size_t i, size_t j,
		     const struct keyinfo *leafk, struct group *g)
{
	const char *t = (const char *)p + i;
	struct hitpos pos = {p, n, i, 0};
	size_t k;

	/* UUID 8-4-4-4-12 */
	if (j - i == 8 && i + 36 <= n && p[i + 8] == '-' && hex_at(p, n, i, 8) &&
	    hex_at(p, n, i + 9, 4) && p[i + 13] == '-' && hex_at(p, n, i + 14, 4) &&
	    p[i + 18] == '-' && hex_at(p, n, i + 19, 4) && p[i + 23] == '-' &&
	    hex_at(p, n, i + 24, 12) && boundary(p, n, i + 36)) {
		pos.len = 36;
		judge_uuid(d, t, 36, token_key(d, p, i, leafk), &pos);
		return i + 36;
	}
	/* MAC aa:bb:cc:dd:ee:ff or aa-bb-... (not the tail of an IPv6 address) */
	if (j - i == 2 && i + 17 <= n && (p[i + 2] == ':' || p[i + 2] == '-') &&
	    (i == 0 || p[i - 1] != ':') && boundary(p, n, i + 17)) {
		for (k = 0; k < 6; k++)
			if (!hex_at(p, n, i + 3 * k, 2) || (k < 5 && p[i + 3 * k + 2] != p[i + 2]))
				break;
		if (k == 6) {
			pos.len = 17;
			judge_mac(d, t, 17, token_key(d, p, i, leafk), &pos);
			return i + 17;
		}
	}
	/* MAC aabb.ccdd.eeff */
	if (j - i == 4 && i + 14 <= n && p[i + 4] == '.' && p[i + 9] == '.' && hex_at(p, n, i, 4) &&
	    hex_at(p, n, i + 5, 4) && hex_at(p, n, i + 10, 4) && boundary(p, n, i + 14)) {
		pos.len = 14;
		judge_mac(d, t, 14, token_key(d, p, i, leafk), &pos);
		return i + 14;
	}
	/* android-<16 hex>: the DHCP host name older Android sends */
	if (j - i == 7 && strncasecmp(t, "android", 7) == 0 && j + 17 <= n && p[j] == '-' &&
	    hex_at(p, n, j + 1, 16) && boundary(p, n, j + 17)) {
		char canon[LW_DETECT_VALUE_MAX];

		pos.off = j + 1;
		pos.len = 16;
		if (lw_detect_check_android_id((const char *)p + j + 1, 16, canon))
			report(d, LW_ID_ANDROID_ID, LW_CONF_VALIDATED, canon, &pos);
		return j + 17;
	}
	/* IMEI as printed: AA-BBBBBB-CCCCCC-D */
	if (j - i == 2 && digits_at(p, n, i, 2) && i + 18 <= n && p[i + 2] == '-' &&
	    digits_at(p, n, i + 3, 6) && p[i + 9] == '-' && digits_at(p, n, i + 10, 6) &&
	    p[i + 16] == '-' && digits_at(p, n, i + 17, 1) && boundary(p, n, i + 18)) {
		char dig[16];

		memcpy(dig, t, 2);
		memcpy(dig + 2, t + 3, 6);
		memcpy(dig + 8, t + 10, 6);
		dig[14] = t[17];
		pos.len = 18;
		judge_number(d, g, dig, 15, token_key(d, p, i, leafk), &pos);
		return i + 18;
	}
	/* a decimal: a coordinate if its key says so ("1.2.3" is a version, not a decimal) */
	if (digits_at(p, n, i, j - i) && j + 1 < n && p[j] == '.' && is_dig(p[j + 1])) {
		size_t s0 = i > 0 && p[i - 1] == '-' && (i < 2 || !is_alnum(p[i - 2])) ? i - 1 : i;

		for (k = j + 1; k < n && is_dig(p[k]); k++)
			;
		if (k < n && (p[k] == '.' || is_alnum(p[k])))
			return k;
		pos.off = s0;
		pos.len = k - s0;
		judge_coord(d, g, (const char *)p + s0, k - s0, token_key(d, p, s0, leafk), &pos);
		return k;
	}
	return 0;
}

static bool scheme_before(const uint8_t *p, size_t a, const char *scheme)
{
	size_t k = strlen(scheme);

	return a >= k && strncasecmp((const char *)p + a - k, scheme, k) == 0 &&
	       (a == k || !is_alnum(p[a - k - 1]));
}

/*
 * A 3GPP network access identifier (TS 23.003 section 19.3, RFC 4187 4.1.1.6): the realm
 * wlan.mnc<MNC>.mcc<MCC>.3gppnetwork.org is not a mail domain.  The permanent identity is
 * a type digit (0 EAP-AKA, 1 EAP-SIM, 6 EAP-AKA') and the IMSI: reported as the IMSI.
 * Pseudonyms and re-authentication ids in that realm are no identifier.  In RADIUS the
 * attribute's length byte sits just before the name and is often a digit or a letter
 * ('5' = 53 bytes), and the next attribute's type just after it: so the IMSI is taken from
 * the end of the local part and the realm is looked for inside the domain.  Returns true if
 * [a, b) was such an identifier (so it is not an e-mail address).
 */
static bool nai_3gpp(struct lw_detect *d, const uint8_t *p, size_t n, size_t a, size_t at, size_t b)
{
	static const char realm[] = ".3gppnetwork.org";
	char canon[LW_DETECT_VALUE_MAX];
	size_t rl = sizeof(realm) - 1, i, len;

	for (i = at + 1; i + rl <= b; i++)
		if (strncasecmp((const char *)p + i, realm, rl) == 0)
			break;
	if (i + rl > b)
		return false;
	if (i - at - 1 == 17 && strncasecmp((const char *)p + at + 1, "ims.", 4) == 0)
		return true; /* the IMS home domain: ims_pass() read its user part */
	for (len = 15; len >= 14; len--) {
		struct hitpos pos = {p, n, at - len, len};
		uint8_t type;

		if (at - a < len + 1)
			continue;
		type = p[at - len - 1];
		if (type != '0' && type != '1' && type != '6')
			continue;
		if (lw_detect_check_imsi((const char *)p + at - len, len, canon)) {
			report(d, LW_ID_IMSI, LW_CONF_VALIDATED, canon, &pos);
			break;
		}
	}
	return true;
}

static void email_at(struct lw_detect *d, const uint8_t *p, size_t n, size_t at, bool open)
{
	char canon[LW_DETECT_VALUE_MAX];
	struct hitpos pos;
	size_t a = at, b = at + 1;

	while (a > 0 && at - a < 64 &&
	       (is_alnum(p[a - 1]) || p[a - 1] == '.' || p[a - 1] == '_' || p[a - 1] == '%' ||
		p[a - 1] == '+' || p[a - 1] == '-'))
		a--;
	/* sip:user@host is a SIP address (RFC 3261): an account or a phone number, no mailbox */
	if (scheme_before(p, a, "sip:") || scheme_before(p, a, "sips:"))
		return;
	while (a < at && !is_alnum(p[a]))
		a++;
	while (b < n && b - at < 254 && (is_alnum(p[b]) || p[b] == '.' || p[b] == '-'))
		b++;
	while (b > at + 1 && (p[b - 1] == '.' || p[b - 1] == '-'))
		b--;
	if (a == at || b <= at + 1 || b - a >= LW_DETECT_VALUE_MAX)
		return;
	if (!lw_detect_check_email((const char *)p + a, b - a, canon))
		return;
	pos = (struct hitpos){p, n, a, b - a};
	d->s.edge = open && b >= n;
	if (!nai_3gpp(d, p, n, a, at, b))
		report(d, LW_ID_EMAIL, LW_CONF_VALIDATED, canon, &pos);
	d->s.edge = false;
}

/*
 * How sure a number under a phone key is, by the number plans (canon: lw_detect_check_phone's
 * "+E164" or national digits; rewritten to E.164 when the region's plan reads a national
 * one).  Validated when the plan has that number (any type: the key already says phone),
 * pattern when only its length fits or the plan has no such number.  Without the plans, or
 * for a national number without a region, the length check alone decides, as before.
 */
static enum lw_confidence phone_plan(struct lw_detect *d, char *canon)
{
	char e164[LW_DETECT_VALUE_MAX];
	enum lw_phone_verdict v;

	if (!plan_budget(d))
		return LW_CONF_VALIDATED; /* unchecked, as without the plans */
	if (canon[0] == '+')
		v = lw_phone_check_intl(canon + 1, strlen(canon + 1), e164, sizeof(e164));
	else if (d->cfg.region[0])
		v = lw_phone_check_national(d->cfg.region, canon, strlen(canon), e164,
					    sizeof(e164));
	else
		return LW_CONF_VALIDATED;
	switch (v) {
	case LW_PHONE_UNCHECKED:
		return LW_CONF_VALIDATED;
	case LW_PHONE_VALID:
	case LW_PHONE_MOBILE:
		memcpy(canon, e164, strlen(e164) + 1);
		return LW_CONF_VALIDATED;
	case LW_PHONE_POSSIBLE:
	case LW_PHONE_INVALID:
		break;
	}
	return LW_CONF_PATTERN;
}

/*
 * A phone number under a phone key, read with the separators people write ("+49 151
 * 2345-678", "(030) 1234567"); returns where it ended.
 */
static size_t phone_at(struct lw_detect *d, const uint8_t *p, size_t n, size_t i, bool open)
{
	char canon[LW_DETECT_VALUE_MAX];
	struct hitpos pos = {p, n, i, 0};
	size_t e = i + 1;

	while (e < n && e - i < 32 &&
	       (is_dig(p[e]) || p[e] == ' ' || p[e] == '-' || p[e] == '.' || p[e] == '(' ||
		p[e] == ')'))
		e++;
	while (e > i + 1 && !is_dig(p[e - 1]))
		e--;
	pos.len = e - i;
	d->s.edge = open && e >= n;
	if (lw_detect_check_phone((const char *)p + i, e - i, canon))
		report(d, LW_ID_PHONE, phone_plan(d, canon), canon, &pos);
	return e;
}

static void token_pass(struct lw_detect *d, const uint8_t *p, size_t n, const struct keyinfo *leafk,
		       struct group *g, bool open)
{
	const uint8_t *at = p;
	size_t i = 0;

	while ((at = memchr(at, '@', (size_t)(p + n - at))) != NULL) {
		email_at(d, p, n, (size_t)(at - p), open);
		at++;
	}
	while (i < n) {
		size_t j, e, k;
		uint8_t all = 0xff; /* the classes every character of the token is in */
		bool digits, hex;

		if (!is_alnum(p[i])) {
			i++;
			continue;
		}
		for (j = i; j < n && is_alnum(p[j]); j++)
			all &= cclass[p[j]];
		digits = all & C_DIGIT;
		hex = all & C_HEX;
		e = shapes(d, p, n, i, j, leafk, g);
		if (e) {
			i = e;
			continue;
		}
		d->s.edge = open && j >= n;
		if (digits && j - i <= 22) {
			bool plus = i > 0 && p[i - 1] == '+';
			struct lw_key_class kc = token_key(d, p, plus ? i - 1 : i, leafk);
			struct hitpos pos = {p, n, i, j - i};

			if ((kc.flags & LW_KEY_PHONE) && !(kc.flags & LW_KEY_EXCLUDED)) {
				i = phone_at(d, p, n, plus ? i - 1 : i, open);
				d->s.edge = false;
				continue;
			}
			judge_number(d, g, (const char *)p + i, j - i, kc, &pos);
		} else if (hex && j - i >= 6 && j - i <= 32) {
			struct hitpos pos = {p, n, i, j - i};

			judge_hex(d, (const char *)p + i, j - i, token_key(d, p, i, leafk), &pos);
		} else if (j - i >= 6 && j - i <= 20) {
			bool has_digit = false;

			/* a serial has a digit; words without one need no key looked up */
			for (k = i; k < j; k++)
				has_digit |= is_dig(p[k]);
			if (has_digit) {
				struct lw_key_class kc = token_key(d, p, i, leafk);

				if ((kc.flags & LW_KEY_SERIAL) && !(kc.flags & LW_KEY_EXCLUDED)) {
					char canon[32];
					struct hitpos pos = {p, n, i, j - i};

					snprintf(canon, sizeof(canon), "%.*s", (int)(j - i), p + i);
					report(d, LW_ID_SERIAL, LW_CONF_PATTERN, canon, &pos);
				}
			}
		}
		d->s.edge = false;
		i = j;
	}
}

/* Rules on a whole value under its key: "lat,lon" pairs. */
static void value_rules(struct lw_detect *d, const uint8_t *p, size_t n,
			const struct keyinfo *leafk)
{
	char canon[LW_DETECT_VALUE_MAX], a[40], b[40];
	unsigned f = leafk->kc.flags;
	struct hitpos pos = {p, n, 0, n};
	size_t i;

	if (!(f & LW_KEY_LATLON)) /* the only rule so far */
		return;
	while (pos.len && (p[pos.off] == ' ' || p[pos.off] == '"')) {
		pos.off++;
		pos.len--;
	}
	while (pos.len && (p[pos.off + pos.len - 1] == ' ' || p[pos.off + pos.len - 1] == '"'))
		pos.len--;
	if (!pos.len || pos.len >= LW_DETECT_VALUE_MAX)
		return;
	for (i = pos.off; i < pos.off + pos.len; i++)
		if (p[i] == ',' || p[i] == ';' || p[i] == ' ')
			break;
	if (i >= pos.off + pos.len)
		return;
	if (lw_detect_check_coord((const char *)p + pos.off, i - pos.off, false, false, a,
				  sizeof(a)) &&
	    lw_detect_check_coord((const char *)p + i + 1, pos.off + pos.len - i - 1, true, false,
				  b, sizeof(b))) {
		snprintf(canon, sizeof(canon), "%s,%s", a, b);
		report(d, LW_ID_LOCATION, LW_CONF_VALIDATED, canon, &pos);
	}
}

/* IMS spellings (urn:gsma:imei, <IMSI>@ims.mnc..3gppnetwork.org, tel:): lib/detect/ims.c */
struct ims_ctx {
	struct lw_detect *d;
	const uint8_t *p;
	size_t n;
	bool open;
};

static void on_ims(const struct lw_ims_hit *h, void *user)
{
	struct ims_ctx *ic = user;
	struct hitpos pos = {ic->p, ic->n, h->off, h->len};

	ic->d->s.edge = ic->open && h->off + h->len >= ic->n;
	report(ic->d, h->kind, h->validated ? LW_CONF_VALIDATED : LW_CONF_PATTERN, h->value, &pos);
	ic->d->s.edge = false;
}

static void ims_pass(struct lw_detect *d, const uint8_t *p, size_t n, bool open)
{
	struct ims_ctx ic = {d, p, n, open};

	lw_detect_ims_find(p, n, on_ims, &ic);
}

/* ---- pieces, documents and decoding ------------------------------------------------------ */

/* leaf() flags */
#define LEAF_FORM 1u /* the caller says it is a form (Content-Type) */
#define LEAF_OPEN 2u /* the data may be cut short at its end */

static void leaf(struct lw_detect *d, const uint8_t *p, size_t n, const uint8_t *key, size_t kl,
		 unsigned depth, struct group *g, unsigned flags);

/* leaf() bounds the nesting by MAX_NEST, so there is always room */
static void doc_enter(struct scan *s, const uint8_t *p, size_t n)
{
	s->docs[s->ndocs].p = p;
	s->docs[s->ndocs].n = n;
	s->ndocs++;
}

struct doc {
	struct lw_detect *d;
	const uint8_t *end;
	bool open;
	unsigned depth;
	struct group *outer; /* the group around the document (top-level scalars) */
	size_t base_groups;
};

static struct group *doc_group(struct doc *dc)
{
	struct scan *s = &dc->d->s;

	if (s->group_overflow)
		return NULL;
	return s->ngroups > dc->base_groups ? &s->groups[s->ngroups - 1] : dc->outer;
}

static void j_object_begin(void *user)
{
	struct doc *dc = user;

	group_push(&dc->d->s);
}

static void j_object_end(void *user)
{
	struct doc *dc = user;

	group_pop(dc->d);
}

static void j_key(void *user, const uint8_t *key, size_t kl)
{
	struct doc *dc = user;

	/* identifiers used as member names: {"358240051111110": {...}} */
	if (kl >= LW_KNOWN_MIN_LEN)
		known_pass(dc->d, key, kl);
}

static void j_scalar(void *user, const uint8_t *key, size_t kl, const uint8_t *val, size_t vl,
		     bool is_string, bool escaped)
{
	struct doc *dc = user;
	struct scan *s = &dc->d->s;
	size_t mark, room;
	/* strings end at their quote; a bare number at the end of cut data may be cut too */
	unsigned flags = !is_string && dc->open && val + vl >= dc->end ? LEAF_OPEN : 0;

	if (escaped) {
		uint8_t *out = arena_room(s, &room);
		size_t m = lw_detect_json_unescape(val, vl, out, room);

		if (m == room && vl > room)
			s->budget_hit = true;
		arena_commit(s, m);
		val = out;
		vl = m;
	}
	mark = chain_push(s, "json", key, key ? kl : 0);
	leaf(dc->d, val, vl, key, kl, dc->depth, doc_group(dc), flags);
	chain_pop(s, mark);
}

/* Returns true if p was one whole JSON value (then nothing else needs to read it). */
static bool doc_json(struct lw_detect *d, const uint8_t *p, size_t n, unsigned depth,
		     struct group *outer, bool open)
{
	static const struct lw_json_cb cb = {j_object_begin, j_object_end, j_scalar, j_key};
	struct doc dc = {d, p + n, open, depth, outer, d->s.ngroups};
	struct scan *s = &d->s;
	size_t stopped;
	bool whole;

	doc_enter(s, p, n);
	whole = lw_detect_json_walk(p, n, &cb, &dc, &stopped) == 0;
	s->ndocs--;
	return whole;
}

/*
 * A form or query segment with no value, or only '=' after its "key": "eyJNRUlEIjoi...==" as
 * curl --data sends a base64 body.  Its key is a run to decode, not a name.
 */
static bool bare_segment(const uint8_t *k, size_t kl, const uint8_t *v, size_t vl)
{
	size_t i;

	if (kl < MIN_RUN)
		return false;
	for (i = 0; i < vl; i++)
		if (v[i] != '=')
			return false;
	return vl <= 2;
}

static void doc_form(struct lw_detect *d, const uint8_t *p, size_t n, unsigned depth, char sep,
		     const char *step, bool open)
{
	struct lw_form_iter it = {p, p + n, sep};
	struct scan *s = &d->s;
	const uint8_t *k, *v;
	size_t kl, vl, room, mark;
	struct group *g = group_push(s);

	doc_enter(s, p, n);
	while (lw_detect_form_next(&it, &k, &kl, &v, &vl)) {
		uint8_t kbuf[INLINE_KEY_MAX];
		size_t kn = lw_detect_url_decode(k, kl, kbuf, sizeof(kbuf), true);
		unsigned flags = open && v + vl >= p + n ? LEAF_OPEN : 0;

		if (bare_segment(k, kl, v, vl)) {
			/* not a member: a piece of its own (a base64 run's '=' padding made it
			 * look like key=value), read without a key or a step of its own */
			leaf(d, k, (size_t)(v + vl - k), NULL, 0, depth, g, flags);
			continue;
		}
		if (lw_detect_has_pct(v, vl) || memchr(v, '+', vl)) {
			uint8_t *out = arena_room(s, &room);
			size_t m = lw_detect_url_decode(v, vl, out, room, true);

			if (m == room && vl > room)
				s->budget_hit = true;
			arena_commit(s, m);
			v = out;
			vl = m;
		}
		mark = chain_push(s, step, kbuf, kn);
		leaf(d, v, vl, kbuf, kn, depth, g, flags);
		chain_pop(s, mark);
	}
	group_pop(d);
	s->ndocs--;
}

static inline bool b64_char(uint8_t c)
{
	return cclass[c] & C_B64;
}

/*
 * Tries to read a run as hex or base64; on success reads the decoded bytes as a new piece
 * one layer deeper.  Returns true if the run decoded to something worth reading.
 */
static bool try_run(struct lw_detect *d, const uint8_t *p, size_t n, const uint8_t *key, size_t kl,
		    unsigned depth, struct group *g, bool open)
{
	struct scan *s = &d->s;
	size_t room, i;
	uint8_t *out = arena_room(s, &room);
	ssize_t m = -1;
	const char *step = NULL;
	/* (stops at the first character that is not hex: base64 text is seldom far from one) */
	for (i = 0; i < n && is_hex(p[i]); i++)
		;
	if (i == n && n % 2 == 0) {
		m = lw_detect_hex_decode_text(p, n, out, room, true);
		if (m > 0)
			step = "hex";
	}
	if (!step) {
		m = lw_detect_b64_decode_text(p, n, out, room, false);
		if (m > 0) /* it decoded: one alphabet throughout, so one character tells which */
			step = memchr(p, '-', n) || memchr(p, '_', n) ? "base64url" : "base64";
	}
	if (!step)
		return false;
	if ((size_t)m == room)
		s->budget_hit = true;
	if (depth >= d->cfg.max_depth) {
		s->depth_hit = true;
		return true;
	}
	arena_commit(s, (size_t)m);
	i = chain_push(s, step, NULL, 0);
	leaf(d, out, (size_t)m, key, kl, depth + 1, g, open ? LEAF_OPEN : 0);
	chain_pop(s, i);
	return true;
}

static void decode_pass(struct lw_detect *d, const uint8_t *p, size_t n, const uint8_t *key,
			size_t kl, unsigned depth, struct group *g, bool open)
{
	struct scan *s = &d->s;
	size_t i = 0, room, mark;

	if (lw_detect_has_pct(p, n)) {
		if (depth >= d->cfg.max_depth) {
			s->depth_hit = true;
		} else {
			uint8_t *out = arena_room(s, &room);
			size_t m = lw_detect_url_decode(p, n, out, room, false);

			if (m == room && n > room)
				s->budget_hit = true;
			arena_commit(s, m);
			mark = chain_push(s, "url", NULL, 0);
			leaf(d, out, m, key, kl, depth + 1, g, open ? LEAF_OPEN : 0);
			chain_pop(s, mark);
			return; /* the decoded piece is read for runs too */
		}
	}
	while (n >= MIN_RUN && i < n) { /* (no run of MIN_RUN fits a shorter piece) */
		size_t j, pad = 0, a;

		if (!b64_char(p[i])) {
			i++;
			continue;
		}
		for (j = i; j < n && b64_char(p[j]); j++)
			;
		while (j < n && p[j] == '=' && pad < 2)
			j++, pad++;
		if (j - i >= MIN_RUN &&
		    !try_run(d, p + i, j - i, key, kl, depth, g, open && j >= n) &&
		    memchr(p + i, '/', j - i)) {
			/* path segments: /api/v1/<base64url> */
			for (a = i; a < j;) {
				size_t b = a;

				while (b < j && p[b] != '/')
					b++;
				if (b - a >= MIN_RUN)
					try_run(d, p + a, b - a, key, kl, depth, g, open && b >= n);
				a = b + 1;
			}
		}
		i = j;
	}
}

/*
 * One piece of content under a key: a JSON or form document is read by structure; anything
 * else is matched for known forms, tokenized for validated identifiers, and searched for
 * encoded runs to peel.
 */
static void leaf(struct lw_detect *d, const uint8_t *p, size_t n, const uint8_t *key, size_t kl,
		 unsigned depth, struct group *g, unsigned flags)
{
	struct scan *s = &d->s;
	bool open = flags & LEAF_OPEN, looks;
	const uint8_t *eq;
	struct keyinfo ki;

	if (n == 0)
		return;
	if (s->nest >= MAX_NEST) {
		s->depth_hit = true;
		return;
	}
	s->nest++;
	keyinfo_make(d, &ki, key, kl);
	if (lw_detect_json_looks(p, n)) {
		if (doc_json(d, p, n, depth, g, open))
			goto out;
		/* cut or broken JSON: read the rest as text too, but its objects already made
		 * their groups (a second, partial cell or location would be noise) */
		g = NULL;
	}
	looks = lw_detect_form_looks(p, n);
	eq = memchr(p, '=', n);
	/* one padded run alone ("eyJ...fQ==") is no form, whatever the label: read it once, below */
	if (eq && !looks && !memchr(p, '&', n) &&
	    bare_segment(p, (size_t)(eq - p), eq + 1, n - (size_t)(eq - p) - 1))
		eq = NULL;
	if (((flags & LEAF_FORM) && eq) || looks) {
		doc_form(d, p, n, depth, '&', "form", open);
		if (looks)
			goto out;
		/* a body is what it is, not what its header claims: labelled a form but not
		 * shaped like one, it is read as text too (its members made their groups) */
		g = NULL;
	}
	/* decoded layers first: among equal findings the first is kept, and a chain such as
	 * base64>json:MACID says more than the base64 form of the MAC found in the raw run */
	/* IMS spellings first: a header that also holds a %-escaped parameter (Contact's
	 * +g.3gpp.icsi-ref) says its IMEI in plain text, not URL-encoded */
	ims_pass(d, p, n, open);
	decode_pass(d, p, n, key, kl, depth, g, open);
	known_pass(d, p, n);
	token_pass(d, p, n, &ki, g, open);
	value_rules(d, p, n, &ki);
out:
	s->nest--;
}

/* ---- scans ------------------------------------------------------------------------------- */

static void scan_begin(struct lw_detect *d, const struct lw_mac *client)
{
	struct scan *s = &d->s;

	s->client = client;
	s->location = NULL;
	s->chain[0] = '\0';
	s->chain_len = 0;
	s->nframes = 0;
	s->built = 0;
	s->arena = d->arena;
	s->used = 0;
	s->cap = d->cfg.max_decode_bytes;
	s->budget_hit = s->depth_hit = false;
	s->nest = 0;
	s->ndocs = 0;
	s->ngroups = 0;
	s->group_overflow = 0;
	s->nleaks = 0;
	s->nspans = 0;
	s->plan_lookups = 0;
	d->stats.scans++;
	if (client && !lw_mac_is_zero(client))
		(void)lw_known_client(d->known, client); /* on -ENOMEM: no MAC forms this time */
	group_push(s); /* the root group: members found in free text */
}

static bool learnable(enum lw_id_kind k)
{
	return k == LW_ID_IMEI || k == LW_ID_ICCID || k == LW_ID_IMSI || k == LW_ID_ANDROID_ID ||
	       k == LW_ID_AD_ID || k == LW_ID_EMAIL;
}

static int scan_end(struct lw_detect *d, lw_leak_fn fn, void *user)
{
	struct scan *s = &d->s;
	size_t i;

	while (s->ngroups || s->group_overflow)
		group_pop(d);
	if (s->budget_hit)
		d->stats.decode_budget_hit++;
	if (s->depth_hit)
		d->stats.depth_limit_hit++;
	for (i = 0; i < s->nleaks; i++)
		if (fn)
			fn(&s->leaks[i], user);
	if (d->cfg.learn && s->client && !lw_mac_is_zero(s->client)) {
		for (i = 0; i < s->nleaks; i++) {
			const struct lw_leak *l = &s->leaks[i];

			if (l->confidence != LW_CONF_VALIDATED || !learnable(l->kind) ||
			    l->opted_out || strlen(l->value) < LW_KNOWN_MIN_LEN)
				continue;
			if (lw_known_learn(d->known, s->client, l->kind, l->value,
					   d->cfg.max_learned_per_device,
					   &d->stats.learned_evicted) == -ENOSPC)
				d->stats.known_full++;
		}
	}
	return (int)s->nleaks;
}

static bool ctype_is(const char *ct, size_t n, const char *what)
{
	size_t w = strlen(what), i;

	for (i = 0; ct && i + w <= n; i++)
		if (strncasecmp(ct + i, what, w) == 0)
			return true;
	return false;
}

static const uint8_t *sniff_uncompress(struct lw_detect *d, const uint8_t *p, size_t *len,
				       bool raw_ok, bool *failed);

int lw_detect_scan(struct lw_detect *d, const struct lw_detect_ctx *ctx, const uint8_t *data,
		   size_t len, lw_leak_fn leak, void *user_data)
{
	const char *ct;
	bool form, unused = false;

	if (!d || !ctx || (!data && len))
		return -EINVAL;
	scan_begin(d, ctx->client_mac);
	d->stats.bytes_scanned += len;
	d->s.location = ctx->location ? ctx->location : "unknown";
	ct = ctx->content_type;
	form = ct && ctype_is(ct, strlen(ct), "x-www-form-urlencoded");
	data = sniff_uncompress(d, data, &len, false, &unused);
	leaf(d, data, len, NULL, 0, 0, group_top(&d->s),
	     (ctx->partial ? LEAF_OPEN : 0) | (form ? LEAF_FORM : 0));
	chain_pop(&d->s, 0);
	return scan_end(d, leak, user_data);
}

int lw_detect_scan_parts(struct lw_detect *d, const struct lw_mac *client_mac,
			 const struct lw_detect_part *parts, size_t n, lw_leak_fn leak,
			 void *user_data)
{
	size_t i;

	if (!d || (!parts && n))
		return -EINVAL;
	scan_begin(d, client_mac);
	for (i = 0; i < n; i++) {
		if (!parts[i].data || !parts[i].len)
			continue;
		d->stats.bytes_scanned += parts[i].len;
		d->s.location = parts[i].location ? parts[i].location : "unknown";
		leaf(d, parts[i].data, parts[i].len, parts[i].key, parts[i].key_len, 0,
		     group_top(&d->s), parts[i].partial ? LEAF_OPEN : 0);
	}
	return scan_end(d, leak, user_data);
}

/* ---- HTTP -------------------------------------------------------------------------------- */

static void http_target(struct lw_detect *d, const struct lw_str *t, char *where, size_t wcap)
{
	struct scan *s = &d->s;
	const uint8_t *p = (const uint8_t *)t->p, *q, *end;
	size_t n = t->len, room;
	struct lw_form_iter it;
	const uint8_t *k, *v;
	size_t kl, vl;
	struct group *g;

	if (!p || !n)
		return;
	end = memchr(p, '#', n);
	if (end)
		n = (size_t)(end - p);
	q = memchr(p, '?', n);
	/* the path, percent-decoded as a URL is (not a layer of hiding) */
	s->location = "http.path";
	if (lw_detect_has_pct(p, q ? (size_t)(q - p) : n)) {
		uint8_t *out = arena_room(s, &room);
		size_t m = lw_detect_url_decode(p, q ? (size_t)(q - p) : n, out, room, false);

		arena_commit(s, m);
		leaf(d, out, m, NULL, 0, 0, group_top(s), 0);
	} else {
		leaf(d, p, q ? (size_t)(q - p) : n, NULL, 0, 0, group_top(s), 0);
	}
	if (!q)
		return;
	it = (struct lw_form_iter){q + 1, p + n, '&'};
	g = group_push(s);
	while (lw_detect_form_next(&it, &k, &kl, &v, &vl)) {
		uint8_t kbuf[INLINE_KEY_MAX];
		char label[KEY_LABEL_MAX + 1];
		size_t kn, m;
		uint8_t *out;

		if (bare_segment(k, kl, v, vl)) { /* ?eyJpbWVpIjoi...== */
			s->location = "http.query";
			leaf(d, k, (size_t)(v + vl - k), NULL, 0, 0, g, 0);
			continue;
		}
		kn = lw_detect_url_decode(k, kl, kbuf, sizeof(kbuf), true);
		out = arena_room(s, &room);
		m = lw_detect_url_decode(v, vl, out, room, true);
		if (m == room && vl > room)
			s->budget_hit = true;
		arena_commit(s, m);
		label_copy(label, sizeof(label), kbuf, kn);
		snprintf(where, wcap, "http.query:%s", label);
		s->location = where;
		leaf(d, out, m, kbuf, kn, 0, g, 0);
	}
	group_pop(d);
}

static void http_headers(struct lw_detect *d, const struct lw_http_request *req, char *where,
			 size_t wcap)
{
	struct scan *s = &d->s;
	size_t i, mark;

	for (i = 0; i < req->n_headers && i < LW_HTTP_MAX_HEADERS; i++) {
		const struct lw_http_header *h = &req->headers[i];
		char label[KEY_LABEL_MAX + 1];
		const uint8_t *k;
		size_t kl;

		if (!h->value.p || !h->value.len)
			continue;
		label_copy(label, sizeof(label), (const uint8_t *)h->name.p, h->name.len);
		snprintf(where, wcap, "http.header:%s", label);
		s->location = where;
		if (h->name.len == 6 && strncasecmp(h->name.p, "Cookie", 6) == 0) {
			struct lw_form_iter it = {(const uint8_t *)h->value.p,
						  (const uint8_t *)h->value.p + h->value.len, ';'};
			const uint8_t *v;
			size_t vl;
			struct group *g = group_push(s);

			while (lw_detect_form_next(&it, &k, &kl, &v, &vl)) {
				if (bare_segment(k, kl, v, vl)) { /* a padded run, no name=value */
					leaf(d, k, (size_t)(v + vl - k), NULL, 0, 0, g, 0);
					continue;
				}
				mark = chain_push(s, "cookie", k, kl);
				leaf(d, v, vl, k, kl, 0, g, 0);
				chain_pop(s, mark);
			}
			group_pop(d);
			continue;
		}
		/* X-Imei, X-Tel: the key is what follows X- */
		k = (const uint8_t *)h->name.p;
		kl = h->name.len;
		if (kl > 2 && (k[0] == 'X' || k[0] == 'x') && k[1] == '-') {
			k += 2;
			kl -= 2;
		}
		leaf(d, (const uint8_t *)h->value.p, h->value.len, k, kl, 0, group_top(s), 0);
	}
}

/*
 * Undoes Content-Encoding; returns the bytes to read and pushes the codings on the chain.
 * *failed when the header names codings that could not be undone (the bytes are read as
 * they are); *undone when one was.
 */
static const uint8_t *http_uncompress(struct lw_detect *d, const struct lw_str *ce,
				      const uint8_t *body, size_t *len, bool *failed, bool *undone)
{
	enum lw_coding codings[MAX_CODINGS];
	struct scan *s = &d->s;
	const char *c = ce->p;
	size_t n = ce->len, nc = 0, i;

	while (c && n) {
		const char *comma = memchr(c, ',', n);
		size_t l = comma ? (size_t)(comma - c) : n;
		enum lw_coding co = lw_detect_coding_parse(c, l);

		if (co == LW_CODING_UNKNOWN || (nc == MAX_CODINGS && co != LW_CODING_IDENTITY)) {
			*failed = true;
			return body; /* nothing we can undo: read the bytes as they are */
		}
		if (co != LW_CODING_IDENTITY)
			codings[nc++] = co;
		if (!comma)
			break;
		n -= l + 1;
		c = comma + 1;
	}
	/* codings are listed in the order they were applied */
	for (i = nc; i-- > 0;) {
		size_t room, out_len = 0, cap;
		uint8_t *out = arena_room(s, &room);
		bool hit = false;
		int r;

		cap = LW_MIN(room, LW_MAX((size_t)BOMB_FLOOR, *len * BOMB_RATIO));
		if (codings[i] == LW_CODING_BR)
			r = lw_detect_brotli(body, *len, out, cap, &out_len, &hit);
		else
			r = d->zs_ok ? lw_detect_inflate(&d->zs, codings[i], body, *len, out, cap,
							 &out_len, &hit)
				     : -ENOMEM;
		if (r < 0) {
			*failed = true;
			return body; /* labelled but not compressed (or broken): the raw bytes */
		}
		if (hit)
			s->budget_hit = true;
		arena_commit(s, out_len);
		chain_push(s, lw_detect_coding_str(codings[i]), NULL, 0);
		body = out;
		*len = out_len;
		*undone = true;
	}
	return body;
}

/*
 * Content compressed without a header saying so, known by its bytes (lw_detect_sniff): gzip
 * and zlib by their headers, raw deflate (raw_ok, whole bodies only) when binary bytes inflate
 * completely to text.  Text is never taken for compressed data.  Returns the bytes to read
 * and pushes the step ("gzip", "zlib", "deflate") on the chain; *failed when a gzip header
 * did not inflate.
 */
static const uint8_t *sniff_uncompress(struct lw_detect *d, const uint8_t *p, size_t *len,
				       bool raw_ok, bool *failed)
{
	struct scan *s = &d->s;
	enum lw_sniff sn = lw_detect_sniff(p, *len);
	size_t room, cap, out_len = 0;
	uint8_t *out = arena_room(s, &room);
	const char *step;
	bool hit = false;
	int r;

	if ((sn == LW_SNIFF_NONE && !raw_ok) || !d->zs_ok ||
	    lw_detect_text_plausible(p, LW_MIN(*len, (size_t)256), false))
		return p;
	cap = LW_MIN(room, LW_MAX((size_t)BOMB_FLOOR, *len * BOMB_RATIO));
	if (sn != LW_SNIFF_NONE) {
		/* LW_CODING_GZIP lets zlib tell the two headers apart */
		r = lw_detect_inflate(&d->zs, LW_CODING_GZIP, p, *len, out, cap, &out_len, &hit);
		step = sn == LW_SNIFF_GZIP ? "gzip" : "zlib";
		if (r < 0 && sn == LW_SNIFF_GZIP)
			*failed = true;
	} else {
		r = lw_detect_inflate_raw(&d->zs, p, *len, out, cap, &out_len, &hit);
		if (r == 0 && !lw_detect_text_plausible(out, out_len, false))
			r = -EBADMSG;
		step = "deflate";
	}
	if (r < 0)
		return p;
	if (hit)
		s->budget_hit = true;
	arena_commit(s, out_len);
	chain_push(s, step, NULL, 0);
	*len = out_len;
	return out;
}

int lw_detect_http(struct lw_detect *d, const struct lw_mac *client_mac,
		   const struct lw_http_request *req, const uint8_t *body, size_t body_len,
		   lw_leak_fn leak, void *user_data)
{
	struct scan *s;
	char where[128];
	size_t i;
	bool form, open;

	if (!d || !req || (!body && body_len))
		return -EINVAL;
	scan_begin(d, client_mac);
	s = &d->s;
	d->stats.bytes_scanned += req->target.len + body_len;
	for (i = 0; i < req->n_headers && i < LW_HTTP_MAX_HEADERS; i++)
		d->stats.bytes_scanned += req->headers[i].value.len;
	http_target(d, &req->target, where, sizeof(where));
	http_headers(d, req, where, sizeof(where));
	if (body_len) {
		bool failed = false, undone = false;

		s->location = "http.body";
		body = http_uncompress(d, &req->content_encoding, body, &body_len, &failed,
				       &undone);
		if (!undone && !failed)
			body = sniff_uncompress(d, body, &body_len, true, &failed);
		if (failed)
			d->stats.body_undecoded++;
		form = ctype_is(req->content_type.p, req->content_type.len,
				"x-www-form-urlencoded");
		/* fewer bytes than Content-Length: a capture that ended, a flow over its budget */
		open = req->content_length >= 0 && (uint64_t)req->content_length > body_len;
		leaf(d, body, body_len, NULL, 0, 0, group_top(s),
		     (open ? LEAF_OPEN : 0) | (form ? LEAF_FORM : 0));
		chain_pop(s, 0);
	}
	return scan_end(d, leak, user_data);
}

/* ---- the engine -------------------------------------------------------------------------- */

struct lw_detect *lw_detect_new(const struct lw_detect_config *cfg)
{
	struct lw_detect *d = calloc(1, sizeof(*d));

	if (!d)
		return NULL;
	d->cfg.max_decode_bytes = 1 << 20;
	d->cfg.max_depth = 2;
	d->cfg.max_known_values = 4096;
	d->cfg.max_learned_per_device = 64;
	d->cfg.learn = true;
	if (cfg) {
		if (cfg->max_decode_bytes)
			d->cfg.max_decode_bytes = cfg->max_decode_bytes;
		if (cfg->max_depth)
			d->cfg.max_depth = cfg->max_depth;
		if (cfg->max_known_values)
			d->cfg.max_known_values = cfg->max_known_values;
		if (cfg->max_learned_per_device)
			d->cfg.max_learned_per_device = cfg->max_learned_per_device;
		d->cfg.learn = cfg->learn;
		if (cfg->region[0] && lw_detect_region_check(cfg->region, d->cfg.region) < 0)
			d->cfg.region[0] = '\0';
	}
	d->arena = malloc(d->cfg.max_decode_bytes);
	d->known = lw_known_new(d->cfg.max_known_values);
	/* one inflate state for the engine's life: reset per body, never reallocated */
	d->zs_ok = inflateInit2(&d->zs, 15 + 32) == Z_OK;
	if (!d->arena || !d->known || !d->zs_ok) {
		lw_detect_free(d);
		return NULL;
	}
	return d;
}

void lw_detect_free(struct lw_detect *d)
{
	if (!d)
		return;
	if (d->zs_ok)
		inflateEnd(&d->zs);
	lw_known_free(d->known);
	free(d->arena);
	free(d);
}

int lw_detect_add_known(struct lw_detect *d, const struct lw_mac *mac, enum lw_id_kind kind,
			const char *value, const char *source)
{
	char canon[LW_DETECT_VALUE_MAX];
	int r;

	if (!d || !value || kind >= LW_ID__COUNT)
		return -EINVAL;
	r = lw_detect_normalize(kind, value, canon);
	if (r < 0)
		return r;
	r = lw_known_add(d->known, mac, kind, canon, source ? source : "user");
	if (r == -ENOSPC)
		d->stats.known_full++;
	return r == -EEXIST ? 0 : r;
}

int lw_detect_canonical(enum lw_id_kind kind, const char *value, char *out, size_t cap)
{
	char canon[LW_DETECT_VALUE_MAX];
	size_t n;
	int r;

	if (!value || !out || kind >= LW_ID__COUNT)
		return -EINVAL;
	r = lw_detect_normalize(kind, value, canon);
	if (r < 0)
		return r;
	n = strlen(canon);
	if (n >= cap)
		return -ENOSPC;
	memcpy(out, canon, n + 1);
	return 0;
}

void lw_detect_clear_source(struct lw_detect *d, const char *source)
{
	if (d && source)
		lw_known_clear_source(d->known, source);
}

const struct lw_detect_stats *lw_detect_get_stats(const struct lw_detect *d)
{
	return &d->stats;
}

int lw_detect_region_check(const char *region, char out[3])
{
	return lw_phone_region_parse(region, out);
}

bool lw_detect_have_number_plans(void)
{
	return lw_phone_have_plans();
}
