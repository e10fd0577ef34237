/* SPDX-License-Identifier: MIT */
/*
 * privc: the parser's side of privilege separation (priv.c says why and how).  The parser
 * holds no nftables, NFQUEUE or hostapd handle and opens no socket but netlink's; what
 * block.c, block-kernel.c, ap.c and main.c did with those handles, they ask of the privileged
 * process through these calls, which mirror the library calls they replace (lw_block_nft_*,
 * lw_hold_rules_*, lw_block_watch_*, lw_hold_open_queue, lw_hostapd_new, sd_notify,
 * getaddrinfo) and send lib/block/privmsg.h messages over a socket pair.
 *
 * A call with an answer (open, commit, restore, rules, sync, ...) waits for it; messages that
 * arrive meanwhile (held packets, nftables notifications, hostapd events) are queued and
 * handed on from the event loop (lw_privc_attach), never from inside a call, so that no
 * callback runs in the middle of another.  Everything but lw_privc_resolve() runs on the
 * loop's thread; lw_privc_resolve() is the block worker thread's only, on a socket of its own.
 */
#ifndef LW_DAEMON_PRIVC_H
#define LW_DAEMON_PRIVC_H

#include <stdint.h>

#include "alert/event.h"
#include "ap/hostapd.h"
#include "block/block.h"
#include "block/hold.h"
#include "block/layout.h"
#include "block/privmsg.h"
#include "block/watch.h"
#include "loop.h"

/* --- the connection (set up by priv.c in the parser) ------------------------------------- */

/*
 * fd: the socket pair's end; resolver_fd: the resolver helper's, notify_fd: the alerts
 * process's (-1: none).
 */
void lw_privc_init(int fd, int resolver_fd, int notify_fd, uint64_t watchdog_usec, int main_pid);
/* Whether this process is a parser with a privileged part (false offline). */
bool lw_privc_active(void);
/*
 * Reads the privileged part's messages from loop (urgent: held packets wait on them).  gone is
 * called once when the privileged part hangs up.  0 or -errno.
 */
int lw_privc_attach(struct lw_loop *loop, void (*gone)(void *user_data), void *user_data);
void lw_privc_detach(void);
/* What lw_sd_watchdog_enabled() (sdnotify.h) said in the privileged process (0: no watchdog). */
uint64_t lw_privc_watchdog_usec(void);
/* The daemon's main process id (the privileged one; the own one offline). */
int lw_privc_main_pid(void);
/* For systemd (NotifyAccess=main: the privileged process tells it).  status may be NULL. */
void lw_privc_notify(enum lw_privmsg_notify_what what, const char *status);
/*
 * The parser stops for a fresh one (the capture was lost): the table is kept whatever the
 * configuration says, for the next parser takes it over.
 */
void lw_privc_handover(void);
bool lw_privc_handing_over(void);

/* --- nftables: lw_block_nft_* (block.h) ------------------------------------------------------ */

struct lw_privc_nft;

int lw_privc_nft_open(enum lw_block_family fam, const char *table, struct lw_privc_nft **out,
		      char *err, size_t errlen);
int lw_privc_nft_restore(struct lw_privc_nft *n, char *err, size_t errlen);
/* A table another open has moved to another family is only forgotten here. */
void lw_privc_nft_close(struct lw_privc_nft *n, bool keep);
int lw_privc_nft_add(struct lw_privc_nft *n, const struct lw_block_elem *e, uint32_t timeout_s);
int lw_privc_nft_del(struct lw_privc_nft *n, const struct lw_block_elem *e);
void lw_privc_nft_flush_sets(struct lw_privc_nft *n);
bool lw_privc_nft_pending(const struct lw_privc_nft *n);
int lw_privc_nft_commit(struct lw_privc_nft *n, char *err, size_t errlen);
/* "list flowtables" (the only listing asked for).  0 or -errno. */
int lw_privc_nft_flowtables(struct lw_privc_nft *n, char *out, size_t outlen);

/* lw_hold_rules_install / _remove (hold.h) on the privileged part's table. */
int lw_privc_rules_install(struct lw_hold_rules *r, char *err, size_t errlen);
void lw_privc_rules_remove(struct lw_hold_rules *r);

/* --- the watch: lw_block_watch_* (watch.h) --------------------------------------------------- */

struct lw_privc_watch;

/*
 * Follows the table of the last lw_privc_nft_open: fn gets the elements (now, from the sync,
 * and as the kernel reports them), settled is called when a transaction has been drained (then
 * lw_privc_watch_read answers LW_WATCH_SETTLED).
 */
int lw_privc_watch_open(lw_watch_elem_fn fn, void (*settled)(void *user_data), void *user_data,
			struct lw_privc_watch **out, char *err, size_t errlen);
void lw_privc_watch_close(struct lw_privc_watch *w);
int lw_privc_watch_read(struct lw_privc_watch *w);
/* fn gets LW_WATCH_ALL_GONE and every element again before this returns. */
int lw_privc_watch_sync(struct lw_privc_watch *w, char *err, size_t errlen);
unsigned lw_privc_watch_table_state(const struct lw_privc_watch *w);
unsigned lw_privc_watch_hold_state(const struct lw_privc_watch *w, const char **family);

/* --- the hold's queue ------------------------------------------------------------------------ */

/*
 * Binds the NFQUEUE in the privileged process: held packets come here, are read by h
 * (lw_hold_inspect, whose function decides) and answered.  0 or -errno with err.
 */
int lw_privc_queue_open(struct lw_hold *h, const struct lw_hold_rules *r, unsigned stall_ms,
			char *err, size_t errlen);
/* h is freed: packets still coming are accepted uninspected. */
void lw_privc_queue_close(void);

/* --- br_netfilter, hostapd, lookups ---------------------------------------------------------- */

/* lw_blockenv_brnf(true, fixed) in the privileged process (which may write /proc/sys). */
enum lw_brnf lw_privc_brnf(bool *fixed);

/* hostapd's stations, followed by the privileged process (lw_hostapd_new).  0 or -errno. */
int lw_privc_hostapd_start(lw_hostapd_fn fn, void *user_data);
void lw_privc_hostapd_stop(void);

/* Whether the alerts process runs (events go to lw_privc_alert). */
bool lw_privc_alerting(void);
/*
 * An alert event to the alerts process, by value (lw_alerts_new's deliver); never blocks: one
 * that finds no room is dropped and counted.  user_data is unused.
 */
void lw_privc_alert(const struct lw_alert_event *e, void *user_data);

/*
 * getaddrinfo(name) in the resolver helper: up to max unique addresses in addrs (*n of them).
 * 0, or an EAI_* code with err set.  The block worker thread's.
 */
int lw_privc_resolve(const char *name, struct lw_addr *addrs, size_t max, size_t *n, char *err,
		     size_t errlen);

#endif
