/* SPDX-License-Identifier: MIT */
#include "bucket.h"

void lw_bucket_init(struct lw_bucket *b, unsigned burst, unsigned per_minute, lw_time_us now)
{
	b->burst = burst ? burst : 1;
	b->tokens = b->burst;
	b->per_us = (double)per_minute / (60.0 * LW_USEC_PER_SEC);
	b->last = now;
	b->suppressed = 0;
	b->suppressed_total = 0;
}

static void refill(struct lw_bucket *b, lw_time_us now)
{
	/* a clock stepped back refills nothing (and does not take tokens away) */
	if (now > b->last) {
		b->tokens += (double)(now - b->last) * b->per_us;
		if (b->tokens > b->burst)
			b->tokens = b->burst;
	}
	b->last = now;
}

bool lw_bucket_take(struct lw_bucket *b, lw_time_us now)
{
	refill(b, now);
	if (b->tokens >= 1) {
		b->tokens -= 1;
		return true;
	}
	b->suppressed++;
	b->suppressed_total++;
	return false;
}

bool lw_bucket_ready(struct lw_bucket *b, lw_time_us now)
{
	refill(b, now);
	return b->tokens >= 1;
}

uint64_t lw_bucket_take_suppressed(struct lw_bucket *b, lw_time_us now)
{
	uint64_t n = b->suppressed;

	if (!n)
		return 0;
	refill(b, now);
	if (b->tokens < 1)
		return 0;
	b->tokens -= 1;
	b->suppressed = 0;
	return n;
}
