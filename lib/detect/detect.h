/* SPDX-License-Identifier: MIT */
/*
 * detect: the identifier engine.  Given upstream content (HTTP request parts, DNS names, raw
 * TCP/UDP payload) and the client it came from, it reports every device identifier in it, with
 * the chain of decodings that revealed it and the confidence:
 *   known      values enrolled for the device (config, identifiers table) or learned from an
 *              earlier validated hit, found in every precomputed spelling, hash and encoding;
 *   validated  values that pass the kind's check (Luhn, MCC table, ...) in the right context;
 *   pattern    a key name alone with a value of the right shape.
 * See /work/shared/DESIGN.md "Identifier detection" and IDENTIFIERS.md.
 */
#ifndef LW_DETECT_H
#define LW_DETECT_H

#include "core/types.h"

enum lw_id_kind {
	LW_ID_IMEI = 0,
	LW_ID_IMEISV,
	LW_ID_MEID,
	LW_ID_ICCID,
	LW_ID_IMSI,
	LW_ID_MAC,
	LW_ID_ANDROID_ID,
	LW_ID_AD_ID,
	LW_ID_SERIAL,
	LW_ID_PHONE,
	LW_ID_EMAIL,
	LW_ID_LOCATION,
	LW_ID_CELL_ID,
	LW_ID_CUSTOM,
	LW_ID__COUNT,
};

enum lw_confidence {
	LW_CONF_PATTERN = 0,
	LW_CONF_VALIDATED,
	LW_CONF_KNOWN,
};

const char *lw_id_kind_str(enum lw_id_kind k); /* "imei", "ad_id", ... (schema names) */
int lw_id_kind_parse(const char *s); /* kind or -EINVAL */
const char *lw_confidence_str(enum lw_confidence c); /* "known", "validated", "pattern" */

/* A field left 0 takes its default (so a zeroed struct with learn set is a valid config). */
struct lw_detect_config {
	size_t max_decode_bytes; /* output of all decoders for one scan; default 1 MiB */
	unsigned max_depth; /* decode layers; default 2 (so base64>json is read) */
	size_t max_known_values; /* enrolled + learned, all devices; default 4096 */
	/*
	 * learned values per device; default 64.  A device's new value pushes out its own oldest
	 * learned one beyond that, so one device cannot crowd out another's (counted in
	 * learned_evicted, as is the oldest learned value of any device when the table is full)
	 */
	size_t max_learned_per_device;
	bool learn; /* a validated hit becomes known for the device; default true */
	/*
	 * ISO 3166 alpha-2 region of the AP ("CN"), for numbers written in national form; ""
	 * (the default) = phone numbers only in international form or under phone keys.  A
	 * region lw_detect_region_check() refuses is ignored.
	 */
	char region[3];
};

/*
 * 0 if region is a two-letter region the number plans know (any two letters when built
 * without libphonenumber, which then ignores the region), else -EINVAL.  out gets it in
 * upper case.
 */
int lw_detect_region_check(const char *region, char out[3]);
/* Built with libphonenumber's number plans (-Dphonenumber). */
bool lw_detect_have_number_plans(void);

struct lw_leak {
	enum lw_id_kind kind;
	enum lw_confidence confidence;
	char value[256]; /* canonical form: IMEI 15 digits, MAC aa:bb:.., e-mail lowercase */
	char encoding[128]; /* chain, e.g. "base64>json:MEID", "json:h>sha256-hex", "plain" */
	char location[128]; /* e.g. "http.body", "http.query:imei", "http.header:User-Agent" */
	char snippet[256]; /* surrounding text with the identifier masked */
	bool opted_out; /* all-zero advertising id: reported, not a leak */
	bool placeholder; /* Android's 02:00:00:00:00:00 */
};

typedef void (*lw_leak_fn)(const struct lw_leak *leak, void *user_data);

struct lw_detect_stats {
	uint64_t scans;
	uint64_t bytes_scanned;
	uint64_t decode_budget_hit; /* a decoder stopped at max_decode_bytes */
	uint64_t depth_limit_hit;
	uint64_t known_full; /* max_known_values reached with enrolled values, value not added */
	uint64_t learned_evicted; /* learned values pushed out for a newer one (see config) */
	uint64_t leaks_dropped; /* more distinct identifiers in one scan than it keeps */
	/*
	 * HTTP request bodies read as raw bytes because what they claim or look like could not
	 * be undone: a Content-Encoding that is unknown, lists more codings than are undone, or
	 * does not decode (nothing came out); or, with no coding declared, bytes that start
	 * with a gzip header and do not inflate.  At most one per body.
	 */
	uint64_t body_undecoded;
	uint64_t plan_limit_hit; /* phone numbers past the number-plan look-ups of one scan */
};

/*
 * One engine per thread: a scan uses the engine's decode buffer and may learn values, so
 * calls on one engine must not run concurrently.
 */
struct lw_detect;

struct lw_detect *lw_detect_new(const struct lw_detect_config *cfg); /* NULL cfg = defaults */
void lw_detect_free(struct lw_detect *d);

/*
 * Enrolls a known value for one device (mac) or for every device (mac NULL).  source:
 * "config", "user" or "learned".  The value is normalized for its kind; -EINVAL if it is not
 * a valid value of that kind (location and cell_id have no fixed spelling and are refused;
 * serial and custom need 6 characters or more); -ENOSPC when max_known_values is reached
 * (counted in known_full).  Enrolling a value twice is not an error.  Takes effect for scans
 * after the call.  A value enrolled for one device is also reported, as known, when it
 * leaves from another client (the same phone under a randomized MAC; an app uploading it).
 */
int lw_detect_add_known(struct lw_detect *d, const struct lw_mac *mac, enum lw_id_kind kind,
			const char *value, const char *source);
/*
 * The canonical form of a value of that kind, as lw_detect_add_known enrols it and as leaks
 * report it (IMEI 15 digits, e-mail lower case, phone E.164, ...): what the identifiers table
 * should hold, whatever the spelling in the config.  -EINVAL as for lw_detect_add_known;
 * -ENOSPC if out (cap bytes) is too small.
 */
int lw_detect_canonical(enum lw_id_kind kind, const char *value, char *out, size_t cap);
/* Drops every value of that source (e.g. before reloading the config). */
void lw_detect_clear_source(struct lw_detect *d, const char *source);

/* Where content came from; strings are borrowed for the call. */
struct lw_detect_ctx {
	const struct lw_mac *client_mac; /* NULL when the link layer is unknown */
	const char *location; /* "http.body", "dns.qname", "tcp.payload", ... */
	const char *content_type; /* of a body, may be NULL */
	bool partial; /* may end mid-value (a TCP segment, a cut capture): what runs into the end
		       * is reported as pattern only, and so never learned */
};

/*
 * Scans one piece of content (decoding it up to max_depth layers) and calls leak() once per
 * distinct identifier found in it, when the scan ends (a later, stronger sighting replaces an
 * earlier one: highest confidence, then first place).  Returns the number of leaks reported,
 * or -errno.  Validated imei/iccid/imsi/android_id/ad_id/email become known ("learned") for
 * ctx->client_mac afterwards when cfg.learn is set.
 */
int lw_detect_scan(struct lw_detect *d, const struct lw_detect_ctx *ctx, const uint8_t *data,
		   size_t len, lw_leak_fn leak, void *user_data);

/*
 * Scans a whole HTTP request: target (path and each query parameter, URL-decoded, with its
 * key), headers (User-Agent, Cookie, X-*, ...), and the body (content_encoding gzip / deflate /
 * br decoded within budget, falling back to the raw bytes when it does not decode; form and
 * JSON structure read).  The body passed here is already de-chunked; a body shorter than
 * Content-Length is treated as partial (see lw_detect_ctx).  Each distinct identifier in the
 * request is reported once.  Locations: "http.path", "http.query:<key>", "http.header:<Name>",
 * "http.body".
 */
struct lw_http_request;
int lw_detect_http(struct lw_detect *d, const struct lw_mac *client_mac,
		   const struct lw_http_request *req, const uint8_t *body, size_t body_len,
		   lw_leak_fn leak, void *user_data);

/*
 * Scans several pieces of one message (a SIP request's URI, headers and body) as one scan:
 * each piece under its location and key, each distinct identifier reported once.  Returns the
 * number of leaks reported, or -errno.
 */
struct lw_detect_part {
	const char *location;
	const uint8_t *key; /* what the piece sits under (a header name), may be NULL */
	size_t key_len;
	const uint8_t *data;
	size_t len;
	bool partial; /* may end mid-value (see lw_detect_ctx) */
};
int lw_detect_scan_parts(struct lw_detect *d, const struct lw_mac *client_mac,
			 const struct lw_detect_part *parts, size_t n, lw_leak_fn leak,
			 void *user_data);

const struct lw_detect_stats *lw_detect_get_stats(const struct lw_detect *d);

#endif
