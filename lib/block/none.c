/* SPDX-License-Identifier: MIT */
/*
 * A build without the `block` option (meson -Dblock=disabled: no libnftables, libnftnl,
 * libmnl, libnetfilter_queue): the kernel's side of blocking (nft-table.c, watch.c, hold.c,
 * rules.c) is left out and these stand in for it.  Every call that would reach the kernel
 * fails with -ENOTSUP and says "not built"; the daemon refuses [block] enabled = true at its
 * start (exit 78) so that none of these is reached in a running daemon.  The text of the
 * table's commands (nft.c), the layout, the guard and the privileged messages stay.
 */
#include "block/block.h"
#include "block/hold.h"
#include "block/watch.h"

#include <errno.h>
#include <stdio.h>

#define NOT_BUILT "blocking is not built in (meson option block)"

static int not_built(char *err, size_t errlen)
{
	if (err && errlen)
		snprintf(err, errlen, "%s", NOT_BUILT);
	return -ENOTSUP;
}

/* --- nft-table.c --- */

int lw_block_nft_open(enum lw_block_family fam, const char *table, struct lw_block_nft **out,
		      char *err, size_t errlen)
{
	*out = NULL;
	return not_built(err, errlen);
}

int lw_block_nft_restore(struct lw_block_nft *n, char *err, size_t errlen)
{
	return not_built(err, errlen);
}

void lw_block_nft_close(struct lw_block_nft *n, bool keep)
{
}

int lw_block_nft_add(struct lw_block_nft *n, const struct lw_block_elem *e, uint32_t timeout_s)
{
	return -ENOTSUP;
}

int lw_block_nft_del(struct lw_block_nft *n, const struct lw_block_elem *e)
{
	return -ENOTSUP;
}

void lw_block_nft_flush_sets(struct lw_block_nft *n)
{
}

bool lw_block_nft_pending(const struct lw_block_nft *n)
{
	return false;
}

int lw_block_nft_commit(struct lw_block_nft *n, char *err, size_t errlen)
{
	return not_built(err, errlen);
}

int lw_block_nft_run(struct lw_block_nft *n, const char *cmd, char *err, size_t errlen)
{
	return not_built(err, errlen);
}

int lw_block_nft_list(struct lw_block_nft *n, const char *cmd, char *out, size_t outlen)
{
	return not_built(out, outlen);
}

/* --- watch.c --- */

int lw_block_watch_open(enum lw_block_family fam, const char *table, lw_watch_elem_fn fn,
			void *user_data, struct lw_block_watch **out, char *err, size_t errlen)
{
	*out = NULL;
	return not_built(err, errlen);
}

void lw_block_watch_close(struct lw_block_watch *w)
{
}

int lw_block_watch_fd(const struct lw_block_watch *w)
{
	return -1;
}

int lw_block_watch_read(struct lw_block_watch *w)
{
	return -ENOTSUP;
}

int lw_block_watch_sync(struct lw_block_watch *w, char *err, size_t errlen)
{
	return not_built(err, errlen);
}

unsigned lw_block_watch_table_state(const struct lw_block_watch *w)
{
	return LW_WATCH_NO_TABLE;
}

unsigned lw_block_watch_hold_state(const struct lw_block_watch *w, const struct lw_hold_rules *r,
				   const char **family)
{
	return LW_WATCH_NO_TABLE;
}

uint64_t lw_block_watch_losses(const struct lw_block_watch *w)
{
	return 0;
}

/* --- hold.c --- */

struct lw_hold *lw_hold_new(lw_hold_fn fn, void *user_data)
{
	errno = ENOTSUP;
	return NULL;
}

void lw_hold_free(struct lw_hold *h)
{
}

enum lw_hold_verdict lw_hold_inspect(struct lw_hold *h, const uint8_t *ip, size_t len,
				     const struct lw_mac *src_mac, lw_time_us now)
{
	return LW_HOLD_ACCEPT;
}

int lw_hold_open_queue(struct lw_hold *h, uint16_t num, char *err, size_t errlen)
{
	return not_built(err, errlen);
}

void lw_hold_set_guard_ms(struct lw_hold *h, unsigned ms)
{
}

int lw_hold_fd(const struct lw_hold *h)
{
	return -1;
}

int lw_hold_dispatch(struct lw_hold *h, lw_time_us now)
{
	return -ENOTSUP;
}

void lw_hold_set_forward(struct lw_hold *h, lw_hold_forward_fn fn, void *user_data)
{
}

int lw_hold_verdict(struct lw_hold *h, uint32_t packet_id, enum lw_hold_verdict v)
{
	return -ENOTSUP;
}

void lw_hold_get_stats(const struct lw_hold *h, struct lw_hold_stats *out)
{
	*out = (struct lw_hold_stats){0};
}

/* --- rules.c --- */

void lw_hold_cmd_nft(struct lw_block_text *t, const struct lw_hold_rules *r)
{
}

size_t lw_hold_xt_rule_count(void)
{
	return 0;
}

int lw_hold_xt_rule_text(const struct lw_hold_rules *r, size_t i, bool v6, char *buf, size_t len)
{
	return not_built(buf, len);
}

int lw_hold_rules_install(struct lw_hold_rules *r, struct lw_block_nft *nft, char *err,
			  size_t errlen)
{
	return not_built(err, errlen);
}

size_t lw_hold_rules_count(const struct lw_hold_rules *r)
{
	return 0;
}

void lw_hold_rules_remove(struct lw_hold_rules *r, struct lw_block_nft *nft)
{
}
