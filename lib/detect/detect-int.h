/* SPDX-License-Identifier: MIT */
/*
 * Internal to lib/detect: validators (validate.c, mcc.c), decoders (decode.c) and the
 * known-value matcher (known.c) that the engine (detect.c) puts together.  Nothing outside
 * lib/detect includes this; the tests and benchmarks beside it do.
 */
#ifndef LW_DETECT_INT_H
#define LW_DETECT_INT_H

#include <sys/types.h>
#include <zlib.h>

#include "detect/detect.h"

/* ---- validate.c: checks on one candidate value ------------------------------------------ */

#define LW_KEY_NORM_MAX 48 /* a normalized key longer than this is cut */

/* What a key name says about the value under it (bit flags). */
enum {
	LW_KEY_IMEI = 1u << 0,
	LW_KEY_IMEISV = 1u << 1,
	LW_KEY_MEID = 1u << 2,
	LW_KEY_ICCID = 1u << 3,
	LW_KEY_IMSI = 1u << 4,
	LW_KEY_MAC = 1u << 5,
	LW_KEY_ANDROID = 1u << 6,
	LW_KEY_ADID = 1u << 7,
	LW_KEY_PHONE = 1u << 8,
	LW_KEY_SERIAL = 1u << 9,
	LW_KEY_LAT = 1u << 10,
	LW_KEY_LON = 1u << 11,
	LW_KEY_LATLON = 1u << 12, /* both halves in one value: ll=52.52,13.40 */
	LW_KEY_CELL = 1u << 13,
	LW_KEY_E6 = 1u << 14, /* latE6 / lngE6: micro-degrees as an integer */
	LW_KEY_EXCLUDED = 1u << 15, /* order ids, timestamps, ...: numbers here are not ids */
	LW_KEY_DEVICE = 1u << 16, /* device_id, did, udid: an IMEI, or any other device number */
};

/* Cell identity fields; the order is the order of the reported value. */
enum lw_cell_field {
	LW_CELL_NONE = 0,
	LW_CELL_MCC,
	LW_CELL_MNC,
	LW_CELL_LAC,
	LW_CELL_TAC,
	LW_CELL_CID,
	LW_CELL_ECI,
	LW_CELL_NCI,
	LW_CELL_PCI,
	LW_CELL_SID,
	LW_CELL_NID,
	LW_CELL_BASEID,
	LW_CELL__COUNT,
};

struct lw_key_class {
	unsigned flags;
	enum lw_cell_field cell;
	bool cell_strong; /* a key that names a cell alone (cellid, SIM1CELLID, eci, baseid) */
};

/* Lowercase, non-alphanumerics dropped, cut at LW_KEY_NORM_MAX - 1; returns the length. */
size_t lw_detect_key_norm(const char *key, size_t len, char out[LW_KEY_NORM_MAX]);
struct lw_key_class lw_detect_key_classify(const char *norm);
/* sdkkeys.c: key names particular SDKs send identifiers under (LW_KEY_* flags, or 0). */
unsigned lw_detect_key_sdk(const char *norm);

bool lw_detect_luhn_ok(const char *digits, size_t n);
char lw_detect_luhn_digit(const char *digits, size_t n); /* check digit to append */
bool lw_detect_tac_plausible(const char *digits); /* reporting body of a TAC */
bool lw_detect_digits_trivial(const char *digits, size_t n);
bool lw_detect_mcc_valid(unsigned mcc); /* mcc.c: ITU-T E.212 list */
bool lw_detect_all_digits(const char *s, size_t n);
bool lw_detect_all_hex(const char *s, size_t n);

/*
 * Each check writes the canonical form to out (LW_DETECT_VALUE_MAX) and returns true if s is
 * a valid value of the kind.
 */
#define LW_DETECT_VALUE_MAX 256
bool lw_detect_check_imei(const char *s, size_t n, char *out); /* 15 Luhn / 14 + digit */
bool lw_detect_check_iccid(const char *s, size_t n, bool keyed, char *out);
bool lw_detect_check_imsi(const char *s, size_t n, char *out);
bool lw_detect_check_meid(const char *s, size_t n, char *out); /* 14 hex or 18 decimal */
bool lw_detect_check_uuid(const char *s, size_t n, char *out, bool *zero);
bool lw_detect_check_email(const char *s, size_t n, char *out);
bool lw_detect_check_phone(const char *s, size_t n, char *out);
bool lw_detect_check_android_id(const char *s, size_t n, char *out);
/* A latitude or longitude as text: range and at least 4 decimals (or E6 integer). */
bool lw_detect_check_coord(const char *s, size_t n, bool lon, bool e6, char *out, size_t cap);
/* A cell field as a decimal integer within the field's range; false for "unknown". */
bool lw_detect_check_cell(enum lw_cell_field f, const char *s, size_t n, uint64_t *v);
const char *lw_detect_cell_label(enum lw_cell_field f);

/* Normalizes a value offered for enrolment; -EINVAL if it is not one of that kind. */
int lw_detect_normalize(enum lw_id_kind kind, const char *value, char *out);

/* ---- decode.c: bounded decoders ---------------------------------------------------------- */

/* Base64 or base64url (not mixed), padding optional.  Returns bytes written or -EINVAL. */
ssize_t lw_detect_b64_decode(const uint8_t *p, size_t n, uint8_t *out, size_t cap);
/* Even-length hex.  Returns bytes written or -EINVAL. */
ssize_t lw_detect_hex_decode(const uint8_t *p, size_t n, uint8_t *out, size_t cap);
/* %XX (and '+' as space if plus_space); never longer than the input.  Returns bytes written. */
size_t lw_detect_url_decode(const uint8_t *p, size_t n, uint8_t *out, size_t cap, bool plus_space);
bool lw_detect_has_pct(const uint8_t *p, size_t n);
/* JSON string body (between the quotes): escapes resolved, \u to UTF-8.  Bytes written. */
size_t lw_detect_json_unescape(const uint8_t *p, size_t n, uint8_t *out, size_t cap);
/* Text that a decoder produced is worth reading: JSON, or (nearly) all printable. */
bool lw_detect_text_plausible(const uint8_t *p, size_t n, bool strict);
/*
 * The two decoders and lw_detect_text_plausible() in one pass, giving up at the first byte
 * that settles the answer: the decoded length if it decodes and is plausible, else -EINVAL.
 */
ssize_t lw_detect_b64_decode_text(const uint8_t *p, size_t n, uint8_t *out, size_t cap,
				  bool strict);
ssize_t lw_detect_hex_decode_text(const uint8_t *p, size_t n, uint8_t *out, size_t cap,
				  bool strict);

/* Content-Encoding decoders; output capped at cap.  *budget_hit when the cap stopped them. */
enum lw_coding {
	LW_CODING_IDENTITY = 0,
	LW_CODING_GZIP, /* also x-gzip; zlib auto-detects gzip and zlib headers */
	LW_CODING_DEFLATE, /* zlib-wrapped, or raw as some servers and clients send it */
	LW_CODING_BR,
	LW_CODING_UNKNOWN,
};
enum lw_coding lw_detect_coding_parse(const char *s, size_t n);
const char *lw_detect_coding_str(enum lw_coding c);
/* Returns 0 (maybe partial output), or -EBADMSG if nothing decoded. */
int lw_detect_inflate(z_stream *zs, enum lw_coding c, const uint8_t *p, size_t n, uint8_t *out,
		      size_t cap, size_t *out_len, bool *budget_hit);
/* Compression known by its first bytes, for bodies that do not declare it. */
enum lw_sniff {
	LW_SNIFF_NONE = 0,
	LW_SNIFF_GZIP, /* 1f 8b 08 */
	LW_SNIFF_ZLIB, /* a valid RFC 1950 header */
};
enum lw_sniff lw_detect_sniff(const uint8_t *p, size_t n);
/*
 * Raw deflate (RFC 1951), which has no header to know it by: accepted only when the whole
 * input is one stream (or the output reached cap).  0, or -EBADMSG with *out_len 0.
 */
int lw_detect_inflate_raw(z_stream *zs, const uint8_t *p, size_t n, uint8_t *out, size_t cap,
			  size_t *out_len, bool *budget_hit);
int lw_detect_brotli(const uint8_t *p, size_t n, uint8_t *out, size_t cap, size_t *out_len,
		     bool *budget_hit);

/*
 * A tolerant JSON reader.  It walks objects and arrays iteratively (LW_JSON_MAX_DEPTH) and
 * reports each scalar with the key it sits under (array elements inherit their array's key).
 */
#define LW_JSON_MAX_DEPTH 32

struct lw_json_cb {
	void (*object_begin)(void *user);
	void (*object_end)(void *user);
	/* key NULL at top level; value is the raw string body (escaped) or number/literal text */
	void (*scalar)(void *user, const uint8_t *key, size_t key_len, const uint8_t *val,
		       size_t val_len, bool is_string, bool escaped);
	void (*key)(void *user, const uint8_t *key, size_t key_len);
};

/*
 * Returns 0 when the whole input was one JSON value (trailing whitespace allowed), or
 * -EBADMSG at the first error (callbacks were made for what came before; opened objects are
 * closed).  *stopped is the offset where reading stopped.
 */
int lw_detect_json_walk(const uint8_t *p, size_t n, const struct lw_json_cb *cb, void *user,
			size_t *stopped);
/* Starts like a JSON object or array (after whitespace). */
bool lw_detect_json_looks(const uint8_t *p, size_t n);

/* key=value pairs separated by sep ('&' for forms and queries, ';' for cookies). */
struct lw_form_iter {
	const uint8_t *p, *end;
	char sep;
};
bool lw_detect_form_next(struct lw_form_iter *it, const uint8_t **k, size_t *kl, const uint8_t **v,
			 size_t *vl);
/* Looks like application/x-www-form-urlencoded text. */
bool lw_detect_form_looks(const uint8_t *p, size_t n);

/* ---- known.c: enrolled values, their forms, and the one-pass matcher ----------------------- */

enum lw_known_chain {
	LW_KC_PLAIN = 0,
	LW_KC_BASE64,
	LW_KC_BASE64URL,
	LW_KC_HEX,
	LW_KC_URL,
	LW_KC_MD5_HEX,
	LW_KC_MD5_B64,
	LW_KC_MD5_B64URL,
	LW_KC_SHA1_HEX,
	LW_KC_SHA1_B64,
	LW_KC_SHA1_B64URL,
	LW_KC_SHA256_HEX,
	LW_KC_SHA256_B64,
	LW_KC_SHA256_B64URL,
	LW_KC_SHA512_HEX,
	LW_KC_SHA512_B64,
	LW_KC_SHA512_B64URL,
	LW_KC__COUNT,
};
const char *lw_known_chain_str(enum lw_known_chain c);

#define LW_KNOWN_MIN_LEN 6 /* shortest form; the matcher's window */
#define LW_KNOWN_MAX_CLIENT_MACS 256 /* implicit client MAC values cached (their forms) */
#define LW_KNOWN_MAX_FORMS_VALUE 192 /* forms of one value */

struct lw_known;

struct lw_known_hit {
	uint32_t value; /* index for lw_known_value() */
	enum lw_id_kind kind;
	enum lw_known_chain chain;
	const char *canon;
	const struct lw_mac *owner; /* NULL for a value of every device */
	bool implicit; /* a client's own MAC, known from layer 2 */
	size_t pos, len; /* where the form matched */
};

/* Called for each match; return false to stop the scan. */
typedef bool (*lw_known_hit_fn)(const struct lw_known_hit *hit, void *user);

struct lw_known *lw_known_new(size_t max_values);
void lw_known_free(struct lw_known *k);
/* 0, -EEXIST (already there for that owner), -ENOSPC (max_values), -EINVAL, -ENOMEM. */
int lw_known_add(struct lw_known *k, const struct lw_mac *owner, enum lw_id_kind kind,
		 const char *canon, const char *source);
/*
 * Adds a value learned from owner's traffic within a fair share: at most per_owner learned
 * values per device (0 = no share), its oldest learned value making room for a new one; when
 * the table is full, the oldest learned value of any device goes (an enrolled one never does:
 * then -ENOSPC).  *evicted (may be NULL) counts the values pushed out.  Else as lw_known_add.
 */
int lw_known_learn(struct lw_known *k, const struct lw_mac *owner, enum lw_id_kind kind,
		   const char *canon, size_t per_owner, uint64_t *evicted);
bool lw_known_has(const struct lw_known *k, const struct lw_mac *owner, enum lw_id_kind kind,
		  const char *canon);
void lw_known_clear_source(struct lw_known *k, const char *source);
/* Makes sure the client's MAC and its forms are in the matcher (cached, bounded). */
int lw_known_client(struct lw_known *k, const struct lw_mac *mac);
size_t lw_known_count(const struct lw_known *k); /* enrolled + learned values */
size_t lw_known_nforms(const struct lw_known *k); /* live forms in the matcher */
size_t lw_known_bytes(const struct lw_known *k); /* memory held */
/* One pass over p: every form of every value. */
void lw_known_scan(const struct lw_known *k, const uint8_t *p, size_t n, lw_known_hit_fn fn,
		   void *user);
/* Forms of a value, for tests and benchmarks: calls fn(text, len, chain) for each. */
void lw_known_forms(const struct lw_known *k, uint32_t value,
		    void (*fn)(const char *text, size_t len, enum lw_known_chain chain, void *user),
		    void *user);
/* The spellings a value is searched in; hashed ones are also hashed and encoded. */
void lw_known_spellings(enum lw_id_kind kind, const char *canon,
			void (*fn)(const char *s, bool hashed, void *user), void *user);
/* Index of a live value, or -ENOENT. */
int lw_known_find(const struct lw_known *k, const struct lw_mac *owner, enum lw_id_kind kind,
		  const char *canon);

#endif
