/* SPDX-License-Identifier: MIT */
/*
 * A small JSON writer into a caller's buffer, for alert events and Home Assistant discovery
 * payloads (RFC 8259).  Strings come from the network (domains, host names a device announced):
 * '"', '\\' and control characters are escaped, and bytes that are not UTF-8 become U+FFFD, so
 * the output is always valid JSON whatever the input.  An output that does not fit sets
 * overflow and lw_json_end() fails; nothing is ever written past cap.
 */
#ifndef LW_ALERT_JSON_H
#define LW_ALERT_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LW_JSON_DEPTH 8

struct lw_json {
	char *buf;
	size_t cap, len;
	bool overflow;
	int depth;
	bool first[LW_JSON_DEPTH]; /* nothing written yet at this depth: no comma */
	char closer[LW_JSON_DEPTH]; /* '}' or ']' for each open level */
};

void lw_json_init(struct lw_json *j, char *buf, size_t cap);
/* Members of an object take a key; elements of an array and the top level take NULL. */
void lw_json_obj(struct lw_json *j, const char *key);
void lw_json_arr(struct lw_json *j, const char *key);
void lw_json_close(struct lw_json *j); /* the innermost object or array */
void lw_json_str(struct lw_json *j, const char *key, const char *value);
void lw_json_u64(struct lw_json *j, const char *key, uint64_t value);
void lw_json_num(struct lw_json *j, const char *key, double value); /* 3 decimals */
void lw_json_bool(struct lw_json *j, const char *key, bool value);
/* The length written (without the terminator), or -ENOSPC when it did not fit or -EINVAL when
 * an object or array is still open. */
int lw_json_end(struct lw_json *j);

/*
 * Copies s into out[cap] keeping only whole UTF-8 sequences (others become '?'), cut at a
 * character boundary: for names given to Home Assistant, which shows them.
 */
size_t lw_utf8_copy(char *out, size_t cap, const char *s);

#endif
