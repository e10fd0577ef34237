/* SPDX-License-Identifier: MIT */
/*
 * A token bucket: at most burst at once, then rate per minute.  What it refuses is counted, so
 * that the caller can say "N more suppressed" once a token is back.
 */
#ifndef LW_ALERT_BUCKET_H
#define LW_ALERT_BUCKET_H

#include <stdbool.h>
#include <stdint.h>

#include "core/types.h"

struct lw_bucket {
	double tokens;
	double burst;
	double per_us; /* tokens a microsecond brings */
	lw_time_us last;
	uint64_t suppressed; /* refused since the last lw_bucket_take_suppressed() */
	uint64_t suppressed_total;
};

/* burst >= 1; per_minute 0: never refills after the burst. Full at the start. */
void lw_bucket_init(struct lw_bucket *b, unsigned burst, unsigned per_minute, lw_time_us now);
/* Takes a token at now: true when there was one, false (and counted) when not. */
bool lw_bucket_take(struct lw_bucket *b, lw_time_us now);
/* Whether a token is there at now (nothing taken, nothing counted). */
bool lw_bucket_ready(struct lw_bucket *b, lw_time_us now);
/*
 * When something was refused and a token is there now: takes it and returns how many were
 * refused (the count restarts); 0 otherwise.  For the "N more suppressed" line.
 */
uint64_t lw_bucket_take_suppressed(struct lw_bucket *b, lw_time_us now);

#endif
