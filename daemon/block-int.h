/* SPDX-License-Identifier: MIT */
/*
 * Private to daemon/block.c (blocking policy: flags, addresses, lookups, holds' verdicts) and
 * daemon/block-kernel.c (the kernel's side: what is changed behind leakwatch's back, the AP's
 * layout and the table's family, the queue path, br_netfilter, and the report of all that in
 * meta and the log).  Both run on the event loop's thread, in the parser: the table, its watch,
 * the queue and br_netfilter are the privileged process's, reached through privc.h.
 */
#ifndef LW_DAEMON_BLOCK_INT_H
#define LW_DAEMON_BLOCK_INT_H

#include <pthread.h>
#include <sqlite3.h>

#include "block.h"
#include "block/block.h"
#include "block/budget.h"
#include "block/guard.h"
#include "block/hold.h"
#include "block/layout.h"
#include "block/watch.h"
#include "blockenv.h"
#include "privc.h"
#include "proto/dns.h"

#define ELEM_BUCKETS 16384
#define REFRESH_SLACK 2.0 /* s: a re-add extending an element by less is not sent */
#define RESOLVE_RETRY_AGAIN 30 /* s: after a lookup that failed for now (no server) */
#define RESOLVE_RETRY_NONAME 300 /* s: after "no such name" / "no address" */
#define RESOLVE_AHEAD 0.9 /* resolve again when this share of the lookup's timeout passed */
#define AUTO_PENDING_MAX LW_BLOCK_AUTO_PENDING
#define AUTO_PENDING_WAIT 30 /* s: an auto flag stays this long without its row */
#define AUTO_RATE_DEVICES 256 /* devices whose auto-flag rate is followed */
#define AUTO_RATE_WINDOW 3600.0 /* s */
#define BAD_LOGGED_MAX 256 /* malformed rows remembered so each is logged once */
#define CNAME_NAMES_MAX (2 * LW_DNS_MAX_ANSWERS + 1) /* names of one answer looked up */
#define ERROR_LOG_INTERVAL 60 /* s between repeated nft error messages */
#define WORKER_JOIN_WAIT 2 /* s the exit waits for a lookup in progress */
#define LOST_SLACK 1.0 /* s: an element the kernel lost this close to its time-out stays out */
#define REPAIR_RETRY 5.0 /* s between attempts to put back what the kernel refused */
#define REPAIR_LOG_WINDOW 60.0 /* s: at most REPAIR_LOG_MAX repair lines in such a window */
#define REPAIR_LOG_MAX 10
#define ENV_BRNF_TICKS 1 /* br_netfilter's sysctls are read every this many ticks */
#define ENV_FACTS_TICKS 20 /* the layout is read again this often without a notification */
#define ENV_TEXT_MAX 2048

struct elem {
	struct lw_block_elem key; /* mac zeroed when !has_mac */
	double kernel_until; /* monotonic seconds the kernel times it out at; 0 = not there */
	bool in_kernel; /* the kernel announced it in its set (the watch), and not gone since */
	unsigned refs; /* pairs holding it */
	struct elem *next;
};

struct pair {
	struct elem *e;
	double until;
	enum lw_budget_origin origin;
	struct lw_addr client; /* LW_BUDGET_CLIENT: the client whose traffic showed it */
};

/* What the table, the configuration or the auto policy asks for. */
struct want {
	char domain[LW_DNS_NAME_MAX];
	bool has_mac;
	struct lw_mac mac;
	int64_t expires; /* Unix seconds; 0 = never */
	char source[16];
	char reason[128];
};

struct flag {
	char domain[LW_DNS_NAME_MAX];
	bool has_mac;
	struct lw_mac mac;
	char source[16];
	struct pair *pairs;
	size_t n_pairs, cap_pairs;
	double next_resolve;
	bool resolving;
	bool full_logged;
};

struct auto_flag {
	char domain[LW_DNS_NAME_MAX];
	bool has_mac;
	struct lw_mac mac;
	char reason[128];
	double since;
};

/* Auto flags one device caused in the current hour. */
struct auto_rate {
	struct lw_mac mac;
	double window; /* monotonic s the hour began; 0 = slot free */
	uint32_t n;
};

/* --- the worker (lookups, auto-flag inserts) ----------------------------------------------- */

enum job_kind {
	JOB_RESOLVE,
	JOB_INSERT,
};

struct job {
	enum job_kind kind;
	char domain[LW_DNS_NAME_MAX];
	char reason[128];
	char mac[LW_MAC_STRLEN]; /* JOB_INSERT: "" = every device */
	int64_t expires; /* JOB_INSERT: Unix seconds, 0 = never */
};

struct result {
	enum job_kind kind;
	char domain[LW_DNS_NAME_MAX];
	int status; /* 0, or EAI_* / -errno */
	char error[128];
	size_t n;
	struct lw_addr addrs[LW_BLOCK_RESOLVE_ADDRS];
};

/* Shared with the thread; left allocated if the thread does not stop in time (see stop). */
struct worker {
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool stop;
	struct job jobs[LW_BLOCK_JOBS];
	size_t j_head, j_n;
	struct result results[LW_BLOCK_JOBS];
	size_t r_n;
	size_t in_flight; /* queued, running, or results not yet taken: at most LW_BLOCK_JOBS */
	int efd;
	char db_path[PATH_MAX];
	sqlite3 *rw; /* opened for the first auto-flag insert */
};

struct lw_block {
	/* addresses never put in a set: the LAN, the AP, its gateway and resolvers */
	struct lw_block_guard guard;
	struct lw_loop *loop;
	struct lw_store *store;
	enum lw_block_family fam;
	enum lw_family_mode mode;
	char ifname[IF_NAMESIZE];
	char table[LW_BLOCK_TABLE_MAX];
	uint32_t ttl_min, ttl_max;
	bool keep_table;
	unsigned auto_mask; /* bit i: leak_kinds[i] */
	bool auto_all; /* [block] auto_scope = all: auto flags for every device */
	uint32_t auto_expire; /* s an auto flag lasts; 0 = never */
	uint32_t auto_per_hour; /* auto flags one device may cause in an hour */
	struct auto_rate auto_rates[AUTO_RATE_DEVICES];
	struct lw_privc_nft *nft; /* the table, in the privileged process (privc.h) */
	/* the flagged table */
	sqlite3 *db;
	sqlite3_stmt *q_version, *q_rows;
	int64_t data_version;
	bool rows_read;
	struct want *rows; /* valid rows of the last read */
	size_t n_rows;
	int64_t next_expiry; /* earliest future expires among the rows; 0 none */
	int64_t bad_ids[BAD_LOGGED_MAX];
	size_t n_bad_ids;
	bool too_many_logged, read_error_logged;
	struct want *config; /* [block] domains */
	size_t n_config;
	struct auto_flag autos[AUTO_PENDING_MAX];
	size_t n_autos;
	/* what is flagged now */
	struct flag **flags;
	size_t n_flags;
	struct flag **match; /* scratch: the flags covering a name */
	struct want *wants; /* scratch for apply() */
	/* set elements */
	struct elem *buckets[ELEM_BUCKETS];
	size_t n_elems;
	bool elems_full_logged;
	bool synced;
	double sync_deadline;
	/* the hold */
	struct lw_hold *hold;
	struct lw_hold_rules rules;
	bool hold_dns, hold_hello;
	bool rules_on, rules_failed_logged;
	/* the worker */
	struct worker *w;
	struct result taken[LW_BLOCK_JOBS];
	/* the kernel's side of the table (changes behind our back) */
	struct lw_privc_watch *watch;
	bool kernel_dirty; /* elements were taken out of the sets since the last check */
	double repair_retry_at; /* a repair failed: not tried again before (monotonic s) */
	double repair_log_window;
	unsigned repair_logged;
	/* what blocking relies on (layout, queue path, br_netfilter), reported in meta */
	struct lw_blockenv *env;
	struct lw_block_health health;
	bool env_dirty;
	unsigned env_ticks;
	char layout_why[160];
	char meta_last[7][ENV_TEXT_MAX]; /* values last put, so that only changes are written */
	char problems_last[ENV_TEXT_MAX];
	/* counters */
	uint64_t added, removed, held_dns, dropped_starts, commit_errors, repairs;
	/* the flags' address budgets (budget.h), auto flags not made, reported in meta */
	uint64_t budget_refused, budget_evicted, unscoped, auto_refused;
	char policy_last[160];
	double last_error_log;
};

/* block.c */
double block_mono_now(void);
double block_wall_now(void);
struct elem *block_elem_get(struct lw_block *b, const struct lw_block_elem *k, bool create);
uint32_t block_timeout_from(double until, double now);
/* Sends the pending transaction (errors logged, the sets rebuilt at the next tick). */
void block_commit(struct lw_block *b);
void block_queue_add(struct lw_block *b, const struct lw_block_elem *k, uint32_t timeout);
/* Empties the sets and puts back what this daemon holds, in one transaction. */
void block_resync(struct lw_block *b);

/* block-kernel.c: changes behind leakwatch's back */
void block_on_watch_elem(enum lw_watch_elem_op op, const struct lw_block_elem *k, void *user_data);
void block_on_watch_settled(void *user_data);
void block_watch_read(struct lw_block *b);

/* block-kernel.c: what blocking relies on (layout, family, queue path, br_netfilter) */
void block_env_facts(struct lw_block *b); /* the layout; moves the table (family auto) */
void block_env_flowtables(struct lw_block *b);
void block_env_brnf(struct lw_block *b);
void block_env_report(struct lw_block *b); /* meta and the log, changes only */
void block_env_tick(struct lw_block *b);
void block_on_env_fd(int fd, unsigned events, void *user_data);
/* blocking disabled: the block.* meta of an earlier run cleared */
void block_env_meta_off(struct lw_store *s);

#endif
