/* SPDX-License-Identifier: MIT */
/*
 * Known values: what the owner enrolled, what was learned, and each client's own MAC — each
 * expanded once into every form it may travel in (spellings, hashes, encodings), and one
 * matcher that finds every form of every value in a single pass over the content.
 *
 * The matcher, and why it is written here.  The issue asks for a matcher chosen by
 * measurement that does not slow down as devices and values are added; bench-known.c
 * measures the candidates (this one, Hyperscan where it is installed, and a naive memmem
 * loop as the baseline that does slow down).  Hyperscan is fast but x86-only (vectorscan adds
 * ARM; neither builds for the MIPS SoCs many access points run on), takes seconds to compile
 * large literal sets, and must be recompiled from scratch whenever a value is learned or a
 * new client appears.  An Aho-Corasick automaton over ~100 forms per value of 20-130 bytes
 * each grows to millions of states (hundreds of MB with dense transitions) at lab scale.
 *
 * What we do instead is the filter-and-verify design of Hyperscan's FDR and of Rabin-Karp
 * with many patterns:
 *   - every form is at least LW_KNOWN_MIN_LEN (6) bytes; its first 6 bytes, case-folded,
 *     are hashed into a bitmap sized to ~32 bits per form (a few percent full);
 *   - the scan loads the 6 bytes at each position, folds, multiplies, tests one bit: a few
 *     instructions per byte, independent of how many forms there are (beyond cache effects);
 *   - on a set bit it looks the position up in a hash table keyed by a longer prefix (6, 12
 *     or 16 bytes by the form's length, so that many IMEIs sharing one TAC, or MACs sharing
 *     an OUI, do not pile up in one bucket) and compares the candidates in full.
 * Adding a value is incremental (no rebuild); removal marks values dead and the tables are
 * rebuilt when the dead outnumber the live.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "detect/detect-int.h"

#define WIN LW_KNOWN_MIN_LEN
#define NO_FORM UINT32_MAX
#define FILTER_BITS_PER_FORM 32
#define FILTER_MIN_LOG2 16
#define SOURCE_MAX 16
#define MAX_SPELLINGS 12

struct kn_form {
	uint32_t text; /* offset into the text arena */
	uint16_t len;
	uint8_t chain;
	uint8_t fold; /* compare ASCII case-insensitively */
	uint32_t value;
	uint32_t next; /* next form in the same bucket, longest first */
};

struct kn_value {
	uint32_t canon; /* offset of the canonical value (NUL-terminated) in the text arena */
	uint32_t first_form, nforms;
	uint8_t kind;
	bool alive;
	bool has_owner;
	bool implicit; /* a client's own MAC */
	struct lw_mac owner;
	char source[SOURCE_MAX];
};

struct kn_slot {
	uint64_t key; /* 0 = empty */
	uint32_t head;
};

struct kn_client {
	uint64_t mac; /* packed, + 1 so that 0 means empty */
	uint32_t value;
	uint64_t last_used;
};

struct lw_known {
	size_t max_values;
	struct kn_value *values;
	size_t nvalues, cap_values, live_values;
	struct kn_form *forms;
	size_t nforms, cap_forms, live_forms, dead_forms;
	char *text;
	size_t ntext, cap_text;
	struct kn_slot *slots;
	size_t nslots, used_slots;
	uint64_t *bits;
	unsigned bits_log2;
	struct kn_client clients[LW_KNOWN_MAX_CLIENT_MACS];
	size_t nclients;
	uint64_t clock;
};

const char *lw_known_chain_str(enum lw_known_chain c)
{
	switch (c) {
	case LW_KC_PLAIN:
		return "plain";
	case LW_KC_BASE64:
		return "base64";
	case LW_KC_BASE64URL:
		return "base64url";
	case LW_KC_HEX:
		return "hex";
	case LW_KC_URL:
		return "url";
	case LW_KC_MD5_HEX:
		return "md5-hex";
	case LW_KC_MD5_B64:
		return "md5-base64";
	case LW_KC_MD5_B64URL:
		return "md5-base64url";
	case LW_KC_SHA1_HEX:
		return "sha1-hex";
	case LW_KC_SHA1_B64:
		return "sha1-base64";
	case LW_KC_SHA1_B64URL:
		return "sha1-base64url";
	case LW_KC_SHA256_HEX:
		return "sha256-hex";
	case LW_KC_SHA256_B64:
		return "sha256-base64";
	case LW_KC_SHA256_B64URL:
		return "sha256-base64url";
	case LW_KC_SHA512_HEX:
		return "sha512-hex";
	case LW_KC_SHA512_B64:
		return "sha512-base64";
	case LW_KC_SHA512_B64URL:
		return "sha512-base64url";
	case LW_KC__COUNT:
		break;
	}
	return "plain";
}

/* ---- hashing of windows ------------------------------------------------------------------ */

#define FOLD8 0x2020202020202020ULL
#define MUL1 0x9e3779b97f4a7c15ULL
#define MUL2 0xc2b2ae3d27d4eb4fULL

/* Little-endian loads whatever the host (many access points are big-endian MIPS). */
static inline uint64_t ld64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	v = __builtin_bswap64(v);
#endif
	return v;
}

static inline uint64_t load_fold(const uint8_t *p, size_t n)
{
	uint64_t v = 0;
	size_t i;

	for (i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	/* OR-ing 0x20 folds A-Z onto a-z (and maps a few other bytes together: a filter only) */
	return v | (FOLD8 >> (8 * (8 - n)));
}

static inline uint64_t mix(uint64_t h)
{
	h ^= h >> 31;
	h *= MUL2;
	h ^= h >> 29;
	return h;
}

/* Key of the bucket a form (or a content position) belongs to, for prefix class k bytes. */
static uint64_t class_key(const uint8_t *p, size_t k)
{
	uint64_t h;

	if (k == 6)
		h = load_fold(p, 6) * MUL1;
	else if (k == 12)
		h = mix(load_fold(p, 8) * MUL1 ^ load_fold(p + 8, 4)) * MUL2;
	else
		h = mix(load_fold(p, 8) * MUL1 ^ mix(load_fold(p + 8, 8))) * MUL1 + 16;
	return mix(h + k) | 1;
}

static size_t class_of(size_t len)
{
	return len >= 16 ? 16 : len >= 12 ? 12 : 6;
}

/* Two bits per form (a Bloom filter with k = 2): a false candidate needs both. */
static inline size_t filter_index(uint64_t w6, unsigned log2)
{
	return (size_t)((w6 * MUL1) >> (64 - log2));
}

static inline size_t filter_index2(uint64_t w6, unsigned log2)
{
	return (size_t)((w6 * MUL2) >> (64 - log2));
}

/* ---- storage ----------------------------------------------------------------------------- */

static int grow(void **arr, size_t *cap, size_t need, size_t elem)
{
	size_t ncap;
	void *n;

	if (need <= *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 64;
	while (ncap < need)
		ncap *= 2;
	n = realloc(*arr, ncap * elem);
	if (!n)
		return -ENOMEM;
	*arr = n;
	*cap = ncap;
	return 0;
}

static int text_add(struct lw_known *k, const void *s, size_t len, bool nul, uint32_t *off)
{
	size_t need = k->ntext + len + (nul ? 1 : 0);

	if (need > UINT32_MAX)
		return -ENOMEM;
	if (grow((void **)&k->text, &k->cap_text, need, 1) < 0)
		return -ENOMEM;
	memcpy(k->text + k->ntext, s, len);
	if (nul)
		k->text[k->ntext + len] = '\0';
	*off = (uint32_t)k->ntext;
	k->ntext = need;
	return 0;
}

static struct kn_slot *slot_find(const struct lw_known *k, uint64_t key)
{
	size_t mask = k->nslots - 1, i;

	if (!k->nslots)
		return NULL;
	for (i = (size_t)(key >> 7) & mask;; i = (i + 1) & mask) {
		if (k->slots[i].key == key)
			return &k->slots[i];
		if (k->slots[i].key == 0)
			return NULL;
	}
}

static int slots_resize(struct lw_known *k, size_t n)
{
	struct kn_slot *old = k->slots, *ns;
	size_t oldn = k->nslots, i, mask = n - 1;

	ns = calloc(n, sizeof(*ns));
	if (!ns)
		return -ENOMEM;
	for (i = 0; i < oldn; i++) {
		size_t j;

		if (!old[i].key)
			continue;
		for (j = (size_t)(old[i].key >> 7) & mask; ns[j].key; j = (j + 1) & mask)
			;
		ns[j] = old[i];
	}
	free(old);
	k->slots = ns;
	k->nslots = n;
	return 0;
}

static void filter_set(struct lw_known *k, const struct kn_form *f)
{
	uint64_t w = load_fold((const uint8_t *)k->text + f->text, WIN);
	size_t b = filter_index(w, k->bits_log2), b2 = filter_index2(w, k->bits_log2);

	k->bits[b >> 6] |= 1ULL << (b & 63);
	k->bits[b2 >> 6] |= 1ULL << (b2 & 63);
}

static int filter_resize(struct lw_known *k, unsigned log2)
{
	uint64_t *nb = calloc((size_t)1 << (log2 - 6), sizeof(uint64_t));
	size_t i;

	if (!nb)
		return -ENOMEM;
	free(k->bits);
	k->bits = nb;
	k->bits_log2 = log2;
	for (i = 0; i < k->nforms; i++)
		if (k->values[k->forms[i].value].alive)
			filter_set(k, &k->forms[i]);
	return 0;
}

static int index_form(struct lw_known *k, uint32_t fi)
{
	struct kn_form *f = &k->forms[fi];
	const uint8_t *t = (const uint8_t *)k->text + f->text;
	uint64_t key = class_key(t, class_of(f->len));
	struct kn_slot *s;
	uint32_t *link;

	if ((k->used_slots + 1) * 2 > k->nslots &&
	    slots_resize(k, k->nslots ? k->nslots * 2 : 1024) < 0)
		return -ENOMEM;
	s = slot_find(k, key);
	if (!s) {
		size_t mask = k->nslots - 1, i;

		for (i = (size_t)(key >> 7) & mask; k->slots[i].key; i = (i + 1) & mask)
			;
		s = &k->slots[i];
		s->key = key;
		s->head = NO_FORM;
		k->used_slots++;
	}
	/* longest first, so the first hit at a position is the most specific form */
	for (link = &s->head; *link != NO_FORM && k->forms[*link].len >= f->len;
	     link = &k->forms[*link].next)
		;
	f->next = *link;
	*link = fi;
	if (((size_t)1 << k->bits_log2) < (k->live_forms + 1) * FILTER_BITS_PER_FORM) {
		unsigned log2 = k->bits_log2;

		while (((size_t)1 << log2) < (k->live_forms + 1) * FILTER_BITS_PER_FORM * 2)
			log2++;
		k->live_forms++;
		return filter_resize(k, log2); /* sets this form's bit too */
	}
	k->live_forms++;
	filter_set(k, f);
	return 0;
}

static bool fold_eq(const uint8_t *a, const uint8_t *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		uint8_t x = a[i], y = b[i];

		if (x != y) {
			if (x >= 'A' && x <= 'Z')
				x = (uint8_t)(x + 32);
			if (y >= 'A' && y <= 'Z')
				y = (uint8_t)(y + 32);
			if (x != y)
				return false;
		}
	}
	return true;
}

/* Adds one form of value v unless the value already has it. */
static int add_form(struct lw_known *k, uint32_t v, const char *s, size_t len,
		    enum lw_known_chain chain, bool fold)
{
	struct kn_value *val = &k->values[v];
	struct kn_form *f;
	uint32_t i, off;

	if (len < WIN || len > UINT16_MAX || val->nforms >= LW_KNOWN_MAX_FORMS_VALUE)
		return 0;
	for (i = val->first_form; i < val->first_form + val->nforms; i++) {
		const struct kn_form *o = &k->forms[i];

		if (o->len == len && (o->fold || fold ? fold_eq((const uint8_t *)k->text + o->text,
								(const uint8_t *)s, len)
						      : memcmp(k->text + o->text, s, len) == 0))
			return 0;
	}
	if (grow((void **)&k->forms, &k->cap_forms, k->nforms + 1, sizeof(*k->forms)) < 0 ||
	    text_add(k, s, len, false, &off) < 0)
		return -ENOMEM;
	f = &k->forms[k->nforms];
	f->text = off;
	f->len = (uint16_t)len;
	f->chain = (uint8_t)chain;
	f->fold = fold;
	f->value = v;
	f->next = NO_FORM;
	k->nforms++;
	val->nforms++;
	return index_form(k, (uint32_t)(k->nforms - 1));
}

/* ---- forms of a value -------------------------------------------------------------------- */

static const char hexd[] = "0123456789abcdef";

static size_t b64_encode(const uint8_t *in, size_t n, char *out, bool url)
{
	size_t len = (size_t)EVP_EncodeBlock((unsigned char *)out, in, (int)n), i;

	if (url)
		for (i = 0; i < len; i++)
			out[i] = out[i] == '+' ? '-' : out[i] == '/' ? '_' : out[i];
	return len;
}

/*
 * Base64 characters fully determined by n bytes however the bytes continue: a value inside
 * a longer base64 run (at offset 0) still begins with these.
 */
static size_t b64_stable_len(size_t n)
{
	return 4 * (n / 3) + n % 3;
}

static int add_b64_forms(struct lw_known *k, uint32_t v, const uint8_t *in, size_t n,
			 enum lw_known_chain std)
{
	char buf[4 * (LW_DETECT_VALUE_MAX / 3 + 2) + 4], url[sizeof(buf)];
	size_t len, m;
	int r;

	if (n > LW_DETECT_VALUE_MAX)
		return 0;
	len = b64_encode(in, n, buf, false);
	m = LW_MIN(len, b64_stable_len(n));
	r = add_form(k, v, buf, m, std, false);
	b64_encode(in, n, url, true);
	if (r == 0 && memcmp(url, buf, m) != 0)
		r = add_form(k, v, url, m, (enum lw_known_chain)(std + 1), false);
	return r;
}

static int add_hash_forms(struct lw_known *k, uint32_t v, const char *s, size_t n)
{
	const EVP_MD *mds[4] = {EVP_md5(), EVP_sha1(), EVP_sha256(), EVP_sha512()};
	static const enum lw_known_chain base[4] = {LW_KC_MD5_HEX, LW_KC_SHA1_HEX, LW_KC_SHA256_HEX,
						    LW_KC_SHA512_HEX};
	unsigned char md[EVP_MAX_MD_SIZE];
	char hex[2 * EVP_MAX_MD_SIZE];
	unsigned int mdlen, i, a;
	int r;

	for (a = 0; a < 4; a++) {
		if (!mds[a] || !EVP_Digest(s, n, md, &mdlen, mds[a], NULL))
			continue;
		for (i = 0; i < mdlen; i++) {
			hex[2 * i] = hexd[md[i] >> 4];
			hex[2 * i + 1] = hexd[md[i] & 15];
		}
		r = add_form(k, v, hex, 2 * mdlen, base[a], true);
		if (r == 0)
			r = add_b64_forms(k, v, md, mdlen, (enum lw_known_chain)(base[a] + 1));
		if (r < 0)
			return r;
	}
	return 0;
}

static int add_encoded_forms(struct lw_known *k, uint32_t v, const char *s, size_t n)
{
	char buf[3 * LW_DETECT_VALUE_MAX + 1];
	size_t i, o = 0;
	bool changed = false;
	int r;

	/* percent-encoding of what RFC 3986 does not leave unreserved: ':' '@' '+' ... */
	for (i = 0; i < n; i++) {
		uint8_t c = (uint8_t)s[i];

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '.' || c == '_' || c == '~') {
			buf[o++] = (char)c;
		} else {
			buf[o++] = '%';
			buf[o++] = "0123456789ABCDEF"[c >> 4];
			buf[o++] = "0123456789ABCDEF"[c & 15];
			changed = true;
		}
	}
	r = changed ? add_form(k, v, buf, o, LW_KC_URL, true) : 0;
	if (r == 0)
		r = add_b64_forms(k, v, (const uint8_t *)s, n, LW_KC_BASE64);
	if (r == 0) {
		for (i = 0; i < n; i++) {
			buf[2 * i] = hexd[(uint8_t)s[i] >> 4];
			buf[2 * i + 1] = hexd[(uint8_t)s[i] & 15];
		}
		r = add_form(k, v, buf, 2 * n, LW_KC_HEX, true);
	}
	return r;
}

struct spellings {
	char s[MAX_SPELLINGS][LW_DETECT_VALUE_MAX];
	bool hashed[MAX_SPELLINGS]; /* also hashed and encoded, not only searched as is */
	size_t n;
};

static void sp_add(struct spellings *sp, bool hashed, const char *s, size_t n)
{
	if (sp->n >= MAX_SPELLINGS || n >= LW_DETECT_VALUE_MAX)
		return;
	memcpy(sp->s[sp->n], s, n);
	sp->s[sp->n][n] = '\0';
	sp->hashed[sp->n] = hashed;
	sp->n++;
}

static void sp_add_str(struct spellings *sp, bool hashed, const char *s)
{
	sp_add(sp, hashed, s, strlen(s));
}

static void upper(char *s)
{
	for (; *s; s++)
		if (*s >= 'a' && *s <= 'z')
			*s = (char)(*s - 32);
}

static void lower_s(char *s)
{
	for (; *s; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s = (char)(*s + 32);
}

/* E.164 country codes: 1 and 7 are one digit, these two, everything else three (ITU-T E.164 annex). */
static size_t cc_len(const char *d)
{
	static const char two[][3] = {"20", "27", "30", "31", "32", "33", "34", "36", "39",
				      "40", "41", "43", "44", "45", "46", "47", "48", "49",
				      "51", "52", "53", "54", "55", "56", "57", "58", "60",
				      "61", "62", "63", "64", "65", "66", "81", "82", "84",
				      "86", "90", "91", "92", "93", "94", "95", "98"};
	size_t i;

	if (d[0] == '1' || d[0] == '7')
		return 1;
	for (i = 0; i < LW_ARRAY_SIZE(two); i++)
		if (d[0] == two[i][0] && d[1] == two[i][1])
			return 2;
	return 3;
}

static void spellings_of(enum lw_id_kind kind, const char *c, struct spellings *sp)
{
	char buf[LW_DETECT_VALUE_MAX];
	size_t n = strlen(c), i;

	sp->n = 0;
	switch (kind) {
	case LW_ID_IMEI:
		sp_add(sp, true, c, 15);
		sp_add(sp, true, c, 14); /* without the check digit */
		/* AA-BBBBBB-CCCCCC-D as printed on boxes and in some apps */
		snprintf(buf, sizeof(buf), "%.2s-%.6s-%.6s-%.1s", c, c + 2, c + 8, c + 14);
		sp_add_str(sp, false, buf);
		break;
	case LW_ID_ICCID:
		sp_add(sp, true, c, n);
		if (lw_detect_luhn_ok(c, n) && n >= 19)
			sp_add(sp, true, c, n - 1); /* the check digit dropped */
		if (n < 20) {
			memcpy(buf, c, n);
			buf[n] = lw_detect_luhn_digit(c, n);
			buf[n + 1] = '\0';
			sp_add_str(sp, true, buf);
		}
		break;
	case LW_ID_MEID:
	case LW_ID_ANDROID_ID:
		snprintf(buf, sizeof(buf), "%s", c);
		lower_s(buf);
		sp_add_str(sp, true, buf);
		upper(buf);
		sp_add_str(sp, true, buf);
		break;
	case LW_ID_AD_ID:
		snprintf(buf, sizeof(buf), "%s", c);
		sp_add_str(sp, true, buf);
		upper(buf);
		sp_add_str(sp, true, buf);
		for (i = 0, n = 0; c[i]; i++)
			if (c[i] != '-')
				buf[n++] = c[i];
		sp_add(sp, true, buf, n);
		break;
	case LW_ID_MAC: {
		/* colon, dash, Cisco dots, bare — each in lower and upper case */
		static const char seps[] = {':', '-', '.', 0};
		size_t f, b, o;

		for (f = 0; f < LW_ARRAY_SIZE(seps); f++) {
			for (b = 0, o = 0; b < 6; b++) {
				bool sep = seps[f] == '.' ? b == 2 || b == 4 : b > 0 && seps[f];

				if (sep)
					buf[o++] = seps[f];
				buf[o++] = c[3 * b];
				buf[o++] = c[3 * b + 1];
			}
			buf[o] = '\0';
			sp_add_str(sp, true, buf);
			upper(buf);
			sp_add_str(sp, true, buf);
		}
		break;
	}
	case LW_ID_PHONE:
		if (c[0] == '+') {
			size_t ccl = cc_len(c + 1);

			sp_add_str(sp, true, c); /* +4915112345678 */
			sp_add_str(sp, true, c + 1); /* 4915112345678 */
			snprintf(buf, sizeof(buf), "00%s", c + 1);
			sp_add_str(sp, false, buf);
			if (n > 1 + ccl + 4) {
				/* national: with the trunk prefix 0, and without (NANP has none) */
				snprintf(buf, sizeof(buf), "0%s", c + 1 + ccl);
				sp_add_str(sp, false, buf);
				sp_add_str(sp, true, c + 1 + ccl);
			}
		} else {
			sp_add_str(sp, true, c);
		}
		break;
	case LW_ID_IMEISV:
	case LW_ID_IMSI:
	case LW_ID_EMAIL:
	case LW_ID_SERIAL:
	case LW_ID_CUSTOM:
	case LW_ID_LOCATION:
	case LW_ID_CELL_ID:
	case LW_ID__COUNT:
		sp_add(sp, true, c, n);
		break;
	}
}

void lw_known_spellings(enum lw_id_kind kind, const char *canon,
			void (*fn)(const char *s, bool hashed, void *user), void *user)
{
	struct spellings *sp = malloc(sizeof(*sp));
	size_t i;

	if (!sp)
		return;
	spellings_of(kind, canon, sp);
	for (i = 0; i < sp->n; i++)
		fn(sp->s[i], sp->hashed[i], user);
	free(sp);
}

static int gen_forms(struct lw_known *k, uint32_t v, enum lw_id_kind kind, const char *canon)
{
	struct spellings *sp = malloc(sizeof(*sp));
	size_t i;
	int r = 0;

	if (!sp)
		return -ENOMEM;
	spellings_of(kind, canon, sp);
	for (i = 0; i < sp->n && r == 0; i++)
		r = add_form(k, v, sp->s[i], strlen(sp->s[i]), LW_KC_PLAIN, true);
	for (i = 0; i < sp->n && r == 0; i++) {
		if (!sp->hashed[i])
			continue;
		r = add_encoded_forms(k, v, sp->s[i], strlen(sp->s[i]));
		if (r == 0)
			r = add_hash_forms(k, v, sp->s[i], strlen(sp->s[i]));
	}
	free(sp);
	return r;
}

/* ---- values ------------------------------------------------------------------------------ */

struct lw_known *lw_known_new(size_t max_values)
{
	struct lw_known *k = calloc(1, sizeof(*k));

	if (!k)
		return NULL;
	k->max_values = max_values;
	if (filter_resize(k, FILTER_MIN_LOG2) < 0 || slots_resize(k, 1024) < 0) {
		lw_known_free(k);
		return NULL;
	}
	return k;
}

void lw_known_free(struct lw_known *k)
{
	if (!k)
		return;
	free(k->values);
	free(k->forms);
	free(k->text);
	free(k->slots);
	free(k->bits);
	free(k);
}

static bool same_owner(const struct kn_value *v, const struct lw_mac *owner)
{
	if (!owner)
		return !v->has_owner;
	return v->has_owner && memcmp(v->owner.b, owner->b, 6) == 0;
}

int lw_known_find(const struct lw_known *k, const struct lw_mac *owner, enum lw_id_kind kind,
		  const char *canon)
{
	size_t i;

	for (i = 0; i < k->nvalues; i++) {
		const struct kn_value *v = &k->values[i];

		if (v->alive && !v->implicit && v->kind == kind && same_owner(v, owner) &&
		    strcmp(k->text + v->canon, canon) == 0)
			return (int)i;
	}
	return -ENOENT;
}

bool lw_known_has(const struct lw_known *k, const struct lw_mac *owner, enum lw_id_kind kind,
		  const char *canon)
{
	return lw_known_find(k, owner, kind, canon) >= 0;
}

static int add_value(struct lw_known *k, const struct lw_mac *owner, enum lw_id_kind kind,
		     const char *canon, const char *source, bool implicit, uint32_t *out)
{
	struct kn_value *v;
	uint32_t vi, off;
	int r;

	if (grow((void **)&k->values, &k->cap_values, k->nvalues + 1, sizeof(*k->values)) < 0 ||
	    text_add(k, canon, strlen(canon), true, &off) < 0)
		return -ENOMEM;
	vi = (uint32_t)k->nvalues++;
	v = &k->values[vi];
	memset(v, 0, sizeof(*v));
	v->canon = off;
	v->first_form = (uint32_t)k->nforms;
	v->kind = (uint8_t)kind;
	v->alive = true;
	v->implicit = implicit;
	v->has_owner = owner != NULL;
	if (owner)
		v->owner = *owner;
	snprintf(v->source, sizeof(v->source), "%s", source ? source : "");
	r = gen_forms(k, vi, kind, canon);
	if (r < 0) {
		/* keep the tables consistent: the forms added so far just die with the value */
		k->values[vi].alive = false;
		k->live_forms -= k->values[vi].nforms;
		k->dead_forms += k->values[vi].nforms;
		return r;
	}
	if (!implicit)
		k->live_values++;
	if (out)
		*out = vi;
	return 0;
}

static uint64_t mac_pack(const struct lw_mac *m)
{
	uint64_t v = 0;

	memcpy(&v, m->b, 6);
	return v + 1;
}

/* Rebuilds every table from the live values (after many removals). */
static int compact(struct lw_known *k)
{
	struct lw_known *n = lw_known_new(k->max_values);
	uint32_t *map = calloc(k->nvalues + 1, sizeof(*map));
	size_t i;
	int r = 0;

	if (!n || !map) {
		lw_known_free(n);
		free(map);
		return -ENOMEM;
	}
	for (i = 0; i < k->nvalues && r == 0; i++) {
		const struct kn_value *v = &k->values[i];

		if (v->alive)
			r = add_value(n, v->has_owner ? &v->owner : NULL, (enum lw_id_kind)v->kind,
				      k->text + v->canon, v->source, v->implicit, &map[i]);
	}
	if (r < 0) {
		lw_known_free(n);
		free(map);
		return r;
	}
	for (i = 0; i < k->nclients; i++) {
		n->clients[i] = k->clients[i];
		n->clients[i].value = map[k->clients[i].value];
	}
	free(map);
	n->nclients = k->nclients;
	n->clock = k->clock;
	/* swap the guts, keep the handle */
	free(k->values);
	free(k->forms);
	free(k->text);
	free(k->slots);
	free(k->bits);
	*k = *n;
	free(n);
	return 0;
}

static void kill_value(struct lw_known *k, uint32_t vi)
{
	struct kn_value *v = &k->values[vi];

	if (!v->alive)
		return;
	v->alive = false;
	if (!v->implicit)
		k->live_values--;
	k->live_forms -= v->nforms;
	k->dead_forms += v->nforms;
}

static void maybe_compact(struct lw_known *k)
{
	if (k->dead_forms > 4096 && k->dead_forms > k->live_forms)
		(void)compact(k); /* on failure the dead stay in place, still ignored */
}

int lw_known_add(struct lw_known *k, const struct lw_mac *owner, enum lw_id_kind kind,
		 const char *canon, const char *source)
{
	if (!canon || strlen(canon) < WIN)
		return -EINVAL;
	if (lw_known_has(k, owner, kind, canon))
		return -EEXIST;
	if (k->live_values >= k->max_values)
		return -ENOSPC;
	return add_value(k, owner, kind, canon, source, false, NULL);
}

int lw_known_learn(struct lw_known *k, const struct lw_mac *owner, enum lw_id_kind kind,
		   const char *canon, size_t per_owner, uint64_t *evicted)
{
	size_t i, mine = 0, first_mine = SIZE_MAX, first_any = SIZE_MAX, victim = SIZE_MAX;
	int r;

	if (!canon || strlen(canon) < WIN)
		return -EINVAL;
	if (lw_known_has(k, owner, kind, canon))
		return -EEXIST;
	/* values are in the order they were added (compaction keeps it): the first is the oldest */
	for (i = 0; i < k->nvalues; i++) {
		const struct kn_value *v = &k->values[i];

		if (!v->alive || v->implicit || strcmp(v->source, "learned") != 0)
			continue;
		if (first_any == SIZE_MAX)
			first_any = i;
		if (same_owner(v, owner)) {
			if (first_mine == SIZE_MAX)
				first_mine = i;
			mine++;
		}
	}
	if (per_owner && mine >= per_owner)
		victim = first_mine;
	else if (k->live_values >= k->max_values)
		victim = first_any;
	if (victim == SIZE_MAX && k->live_values >= k->max_values)
		return -ENOSPC; /* full of enrolled values: those are never pushed out */
	if (victim != SIZE_MAX) {
		kill_value(k, (uint32_t)victim);
		if (evicted)
			(*evicted)++;
	}
	r = add_value(k, owner, kind, canon, "learned", false, NULL);
	maybe_compact(k);
	return r;
}

void lw_known_clear_source(struct lw_known *k, const char *source)
{
	size_t i;

	for (i = 0; i < k->nvalues; i++)
		if (k->values[i].alive && !k->values[i].implicit &&
		    strcmp(k->values[i].source, source) == 0)
			kill_value(k, (uint32_t)i);
	maybe_compact(k);
}

int lw_known_client(struct lw_known *k, const struct lw_mac *mac)
{
	uint64_t key = mac_pack(mac);
	char canon[LW_MAC_STRLEN];
	size_t i, victim = 0;
	uint32_t vi;
	int r;

	k->clock++;
	for (i = 0; i < k->nclients; i++) {
		if (k->clients[i].mac == key) {
			k->clients[i].last_used = k->clock;
			return 0;
		}
	}
	if (k->nclients == LW_KNOWN_MAX_CLIENT_MACS) {
		/* evict the least recently scanned client's forms */
		for (i = 1; i < k->nclients; i++)
			if (k->clients[i].last_used < k->clients[victim].last_used)
				victim = i;
		kill_value(k, k->clients[victim].value);
		k->clients[victim] = k->clients[--k->nclients];
		maybe_compact(k);
	}
	r = add_value(k, mac, LW_ID_MAC, lw_mac_str(mac, canon), "l2", true, &vi);
	if (r < 0)
		return r;
	k->clients[k->nclients].mac = key;
	k->clients[k->nclients].value = vi;
	k->clients[k->nclients].last_used = k->clock;
	k->nclients++;
	return 0;
}

size_t lw_known_count(const struct lw_known *k)
{
	return k->live_values;
}

size_t lw_known_nforms(const struct lw_known *k)
{
	return k->live_forms;
}

size_t lw_known_bytes(const struct lw_known *k)
{
	return sizeof(*k) + k->cap_values * sizeof(*k->values) + k->cap_forms * sizeof(*k->forms) +
	       k->cap_text + k->nslots * sizeof(*k->slots) + ((size_t)1 << k->bits_log2) / 8;
}

void lw_known_forms(const struct lw_known *k, uint32_t value,
		    void (*fn)(const char *text, size_t len, enum lw_known_chain chain, void *user),
		    void *user)
{
	const struct kn_value *v;
	uint32_t i;

	if (value >= k->nvalues)
		return;
	v = &k->values[value];
	for (i = v->first_form; i < v->first_form + v->nforms; i++)
		fn(k->text + k->forms[i].text, k->forms[i].len,
		   (enum lw_known_chain)k->forms[i].chain, user);
}

/* ---- the scan ---------------------------------------------------------------------------- */

static bool probe(const struct lw_known *k, const uint8_t *p, size_t left, size_t cls, size_t pos,
		  lw_known_hit_fn fn, void *user)
{
	const struct kn_slot *s = slot_find(k, class_key(p, cls));
	uint32_t fi;

	if (!s)
		return true;
	for (fi = s->head; fi != NO_FORM; fi = k->forms[fi].next) {
		const struct kn_form *f = &k->forms[fi];
		const struct kn_value *v = &k->values[f->value];
		const uint8_t *t = (const uint8_t *)k->text + f->text;
		struct lw_known_hit h;

		if (f->len > left || !v->alive)
			continue;
		if (f->fold ? !fold_eq(p, t, f->len) : memcmp(p, t, f->len) != 0)
			continue;
		h.value = f->value;
		h.kind = (enum lw_id_kind)v->kind;
		h.chain = (enum lw_known_chain)f->chain;
		h.canon = k->text + v->canon;
		h.owner = v->has_owner ? &v->owner : NULL;
		h.implicit = v->implicit;
		h.pos = pos;
		h.len = f->len;
		if (!fn(&h, user))
			return false;
	}
	return true;
}

static bool candidate(const struct lw_known *k, const uint8_t *p, size_t n, size_t i,
		      lw_known_hit_fn fn, void *user)
{
	size_t left = n - i;

	if (left >= 16 && !probe(k, p + i, left, 16, i, fn, user))
		return false;
	if (left >= 12 && !probe(k, p + i, left, 12, i, fn, user))
		return false;
	return probe(k, p + i, left, 6, i, fn, user);
}

void lw_known_scan(const struct lw_known *k, const uint8_t *p, size_t n, lw_known_hit_fn fn,
		   void *user)
{
	const uint64_t *bits = k->bits;
	const unsigned shift = 64 - k->bits_log2;
	const uint64_t fold6 = FOLD8 >> 16, mask6 = (1ULL << 48) - 1;
	size_t i = 0;

	if (k->live_forms == 0 || n < WIN)
		return;
	/* main loop: an 8-byte load per position, masked to the 6-byte window */
	for (; i + 8 <= n; i++) {
		uint64_t w, b;

		w = (ld64(p + i) & mask6) | fold6;
		b = (w * MUL1) >> shift;
		if (!(bits[b >> 6] >> (b & 63) & 1))
			continue;
		b = (w * MUL2) >> shift;
		if (!(bits[b >> 6] >> (b & 63) & 1))
			continue;
		if (!candidate(k, p, n, i, fn, user))
			return;
	}
	for (; i + WIN <= n; i++) {
		uint64_t w = load_fold(p + i, WIN), b = (w * MUL1) >> shift;

		if (!(bits[b >> 6] >> (b & 63) & 1))
			continue;
		b = (w * MUL2) >> shift;
		if (!(bits[b >> 6] >> (b & 63) & 1))
			continue;
		if (!candidate(k, p, n, i, fn, user))
			return;
	}
}
