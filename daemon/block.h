/* SPDX-License-Identifier: MIT */
/*
 * Blocking policy: what is flagged (the `flagged` table, [block] domains, the auto_kinds
 * policy), which addresses that puts in leakwatch's nftables sets (DNS answers, SNI / QUIC /
 * Host names, the daemon's own lookups), how long they stay, and the DNS/connection hold.
 * Everything runs on the event loop's thread except the name lookups and the auto-flag
 * inserts, which a worker thread does (a lookup, done by the resolver process, blocks).  The
 * table, its watch, the queue and the hold rules are the privileged process's (priv.c,
 * privc.h).
 */
#ifndef LW_DAEMON_BLOCK_H
#define LW_DAEMON_BLOCK_H

#include "block/block.h"
#include "config.h"
#include "loop.h"
#include "pipeline.h"
#include "store/store.h"

#define LW_BLOCK_POLL_MS 500 /* the flagged table is looked at this often */
#define LW_BLOCK_MAX_CONFIG_FLAGS 1024 /* [block] domains */
#define LW_BLOCK_AUTO_PENDING 64 /* auto flags waiting for their row */
/* active flags (rows + config + auto flags whose row is being written) */
#define LW_BLOCK_MAX_FLAGS                                                               \
	(LW_BLOCK_MAX_USER_FLAGS + LW_BLOCK_MAX_AUTO_FLAGS + LW_BLOCK_MAX_CONFIG_FLAGS + \
	 LW_BLOCK_AUTO_PENDING)
#define LW_BLOCK_MAX_ADDRS 1024 /* addresses one flag holds in the sets at once */
#define LW_BLOCK_CLIENT_ADDRS 256 /* of those, learned from one client's traffic (budget.h) */
#define LW_BLOCK_MAX_ELEMS 65536 /* set elements in all */
#define LW_BLOCK_RESOLVE_ADDRS 32 /* addresses taken from one lookup */
#define LW_BLOCK_JOBS 256 /* lookups and inserts waiting for the worker */
#define LW_BLOCK_SYNC_WAIT 5 /* seconds a start waits for its lookups before rebuilding sets */

struct lw_block;

/*
 * Starts blocking when cfg->block_enabled: takes over the nftables table, reads what is
 * flagged, starts the lookups and (when something is flagged and a hold is configured) the
 * NFQUEUE rules, and registers its fds and timer on loop.  *out is NULL when blocking is
 * disabled.  Returns 0, or -errno with err set (the daemon should stop): -EPERM/-EACCES
 * without CAP_NET_ADMIN, -EAFNOSUPPORT without nf_tables, -ENOENT if the database has no
 * flagged table.  Problems with single flags or with the hold are logged, not fatal.
 */
int lw_block_start(const struct lw_config *cfg, struct lw_loop *loop, struct lw_store *store,
		   struct lw_block **out, char *err, size_t errlen);

/* Fills the fields blocking uses (dns_answer, flow_named, leak, user_data). */
void lw_block_hooks(struct lw_block *b, struct lw_pipeline_hooks *h);

/*
 * Removes the queue rules, deletes the table unless [block] keep_table_on_exit, stops the
 * worker and frees (NULL-safe).  Call after the pipeline's last frame.
 */
void lw_block_stop(struct lw_block *b);

#endif
