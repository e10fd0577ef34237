/* SPDX-License-Identifier: MIT */
/*
 * Blocking, the kernel's side (block-int.h): the nftables notifications about leakwatch's own
 * tables (what is removed behind its back is put back), and what blocking relies on around it
 * -- the AP's layout and the table's family, the queue path, br_netfilter, flowtables -- kept
 * current and reported in meta and the log.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "block-int.h"
#include "log.h"

/* --- the kernel's side: changes behind our back ---------------------------------------------- */

void block_on_watch_elem(enum lw_watch_elem_op op, const struct lw_block_elem *k, void *user_data)
{
	struct lw_block *b = user_data;
	struct elem *e;
	size_t i;

	if (op == LW_WATCH_ELEM_ADDED || op == LW_WATCH_ELEM_DELETED) {
		e = block_elem_get(b, k, false);
		if (!e)
			return; /* not ours, or ours and let go already */
		e->in_kernel = op == LW_WATCH_ELEM_ADDED;
		b->kernel_dirty |= !e->in_kernel;
		return;
	}
	/* a set (all of one kind of element) or all of them gone */
	for (i = 0; i < ELEM_BUCKETS; i++)
		for (e = b->buckets[i]; e; e = e->next)
			if (op == LW_WATCH_ALL_GONE ||
			    (e->key.has_mac == k->has_mac && e->key.addr.family == k->addr.family))
				e->in_kernel = false;
	b->kernel_dirty = true;
}

static void repair_log(struct lw_block *b, const char *what, double ms)
{
	double now = block_mono_now();

	if (now - b->repair_log_window >= REPAIR_LOG_WINDOW) {
		b->repair_log_window = now;
		b->repair_logged = 0;
	}
	if (b->repair_logged++ >= REPAIR_LOG_MAX)
		return;
	lw_log_warning("blocking: changed behind leakwatch's back: %s; put back in %.1f ms (%llu "
		       "time%s so far%s)",
		       what, ms, (unsigned long long)b->repairs, b->repairs == 1 ? "" : "s",
		       b->repair_logged == REPAIR_LOG_MAX ? "; no more of these lines this minute"
							  : "");
}

/* "table bridge lw deleted", or "part of table bridge lw deleted or changed (a set, rules)" */
static size_t describe_table(const struct lw_block *b, unsigned tbl, char *buf, size_t len)
{
	const char *f = lw_block_family_str(b->fam);
	int n;

	if (tbl & LW_WATCH_NO_TABLE)
		n = snprintf(buf, len, "table %s %s deleted", f, b->table);
	else
		n = snprintf(buf, len, "part of table %s %s deleted or changed (%s%s%s%s%s)", f,
			     b->table, tbl & LW_WATCH_NO_SET ? "a set" : "",
			     tbl & LW_WATCH_NO_SET && tbl & (LW_WATCH_NO_CHAIN | LW_WATCH_RULES)
				     ? ", "
				     : "",
			     tbl & LW_WATCH_NO_CHAIN ? "the chain" : "",
			     tbl & LW_WATCH_NO_CHAIN && tbl & LW_WATCH_RULES ? ", " : "",
			     tbl & LW_WATCH_RULES ? "rules" : "");
	return n < 0 ? 0 : LW_MIN((size_t)n, len - 1);
}

static void repair_failed(struct lw_block *b, const char *what, const char *err, double now)
{
	b->repair_retry_at = now + REPAIR_RETRY;
	if (now - b->last_error_log >= ERROR_LOG_INTERVAL || b->last_error_log == 0) {
		lw_log_warning("blocking: changed behind leakwatch's back: %s; cannot put it back: "
			       "%s (trying again every %.0f s)",
			       what, err, REPAIR_RETRY);
		b->last_error_log = now;
	}
}

/*
 * Called when the watch has settled: compares what the kernel holds with what this daemon
 * put there and puts back what is missing (the table, its sets, chain and rules; the queue
 * rules; the addresses still meant to be blocked), from the daemon's own state.
 */
static void check_kernel(struct lw_block *b)
{
	unsigned tbl = lw_privc_watch_table_state(b->watch), hold = 0;
	const char *hold_fam = "?";
	char err[256] = "", what[512] = "", a[LW_ADDR_STRLEN];
	double t0 = block_mono_now(), now;
	struct elem *e, *one = NULL;
	size_t readded = 0, i, n = 0;

	if (b->repair_retry_at && t0 < b->repair_retry_at)
		return;
	if (b->rules_on)
		hold = lw_privc_watch_hold_state(b->watch, &hold_fam);
	if (!tbl && !hold && !b->kernel_dirty)
		return;
	b->repair_retry_at = 0;
	if (tbl && lw_privc_nft_restore(b->nft, err, sizeof(err)) < 0) {
		describe_table(b, tbl, what, sizeof(what));
		repair_failed(b, what, err, t0);
		return; /* no set to put addresses in */
	}
	if (hold && lw_privc_rules_install(&b->rules, err, sizeof(err)) < 0) {
		snprintf(what, sizeof(what), "the queue rules' table %s %s_hold deleted or changed",
			 hold_fam, b->table);
		repair_failed(b, what, err, t0);
		hold = 0; /* the addresses still go back */
	}
	/* what the kernel holds now, exactly; when that cannot be read, every address goes back */
	if ((tbl || hold) && lw_privc_watch_sync(b->watch, err, sizeof(err)) < 0)
		block_on_watch_elem(LW_WATCH_ALL_GONE, NULL, b);
	b->kernel_dirty = false;
	now = block_mono_now();
	for (i = 0; i < ELEM_BUCKETS; i++)
		for (e = b->buckets[i]; e; e = e->next)
			if (!e->in_kernel && e->kernel_until > now + LOST_SLACK) {
				block_queue_add(b, &e->key,
						block_timeout_from(e->kernel_until, now));
				readded++;
				one = e;
			}
	block_commit(b);
	if (!tbl && !hold && !readded)
		return; /* only elements at their time-out went */
	b->repairs++;
	if (tbl)
		n = describe_table(b, tbl, what, sizeof(what));
	if (readded && n < sizeof(what))
		n += (size_t)snprintf(what + n, sizeof(what) - n, "%s%zu address%s (%s%s)%s",
				      tbl & (LW_WATCH_NO_TABLE | LW_WATCH_NO_SET) ? " with "
				      : n					  ? "; "
										  : "",
				      readded, readded == 1 ? "" : "es",
				      lw_addr_str(&one->key.addr, a), readded > 1 ? ", ..." : "",
				      tbl & (LW_WATCH_NO_TABLE | LW_WATCH_NO_SET)
					      ? ""
					      : " taken out of its sets");
	if (hold && n < sizeof(what))
		snprintf(what + n, sizeof(what) - n,
			 "%sthe queue rules' table %s %s_hold deleted or changed", n ? "; " : "",
			 hold_fam, b->table);
	repair_log(b, what, (block_mono_now() - t0) * 1000);
}

void block_watch_read(struct lw_block *b)
{
	if (lw_privc_watch_read(b->watch) == LW_WATCH_SETTLED)
		check_kernel(b);
}

void block_on_watch_settled(void *user_data)
{
	block_watch_read(user_data);
}

/* --- what blocking relies on: layout, family, queue path, br_netfilter ----------------------- */

static const char *const meta_keys[] = {"block.layout",	    "block.family", "block.family_config",
					"block.queue_path", "block.holds",  "block.br_netfilter",
					"block.problems"};

static void put_meta(struct lw_block *b, size_t i, const char *value)
{
	if (strcmp(b->meta_last[i], value) == 0)
		return;
	snprintf(b->meta_last[i], sizeof(b->meta_last[i]), "%s", value);
	lw_store_put_meta(b->store, meta_keys[i], value);
}

/* queue_path in meta: the path in use, else the one the start found, and what was asked */
static void queue_path_text(const struct lw_block *b, char *buf, size_t len)
{
	const struct lw_block_health *h = &b->health;

	if (!h->hold_dns && !h->hold_hello)
		snprintf(buf, len, "none (no hold configured)");
	else if (!h->hold_queue_ok)
		snprintf(buf, len, "none (queue not open)");
	else if (h->rules_failed || h->via == LW_HOLD_VIA_NONE)
		snprintf(buf, len, "none (queue_path %s refused)", lw_queue_path_str(h->want_path));
	else
		snprintf(buf, len, "%s%s", lw_hold_via_str(h->via),
			 h->want_path == LW_QUEUE_AUTO ? "" : " (forced)");
}

/*
 * Puts the state of each mechanism in meta (changes only) and logs each problem once when it
 * appears (a warning naming the fix) and when it goes.
 */
void block_env_report(struct lw_block *b)
{
	struct lw_block_health *h = &b->health;
	char text[ENV_TEXT_MAX], probs[ENV_TEXT_MAX], *line, *save = NULL;

	if (b->watch)
		h->table_ok = lw_privc_watch_table_state(b->watch) == 0;
	h->brnf = lw_block_health_needs_brnf(h) ? h->brnf : LW_BRNF_NOT_NEEDED;
	snprintf(text, sizeof(text), "%s", lw_layout_str(h->layout));
	put_meta(b, 0, text);
	put_meta(b, 1, lw_block_family_str(b->fam));
	put_meta(b, 2, b->mode == LW_FAMILY_AUTO ? "auto" : lw_block_family_str(b->fam));
	queue_path_text(b, text, sizeof(text));
	put_meta(b, 3, text);
	lw_block_health_holds(h, text, sizeof(text));
	put_meta(b, 4, text);
	put_meta(b, 5, lw_brnf_str(h->brnf));
	lw_block_health_problems(h, probs, sizeof(probs));
	put_meta(b, 6, probs);
	if (strcmp(probs, b->problems_last) == 0)
		return;
	/* new lines are logged; lines that went are logged as fixed */
	snprintf(text, sizeof(text), "%s", probs);
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		if (!strstr(b->problems_last, line))
			lw_log_warning("blocking: %s", line);
	snprintf(text, sizeof(text), "%s", b->problems_last);
	save = NULL;
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		if (!strstr(probs, line))
			lw_log_info("blocking: no longer a problem: %.160s", line);
	snprintf(b->problems_last, sizeof(b->problems_last), "%s", probs);
}

/*
 * Moves the table to another family: the old one goes, the new one is made and filled from
 * what this daemon holds (the hold rules' tables are not tied to the family and stay).
 */
static int switch_family(struct lw_block *b, enum lw_block_family fam)
{
	struct lw_privc_nft *n = NULL;
	char err[256] = "";
	int r;

	r = lw_privc_nft_open(fam, b->table, &n, err, sizeof(err));
	if (r < 0) {
		lw_log_warning("blocking: cannot create table %s %s: %s; staying with %s",
			       lw_block_family_str(fam), b->table, err[0] ? err : strerror(-r),
			       lw_block_family_str(b->fam));
		return r;
	}
	lw_privc_watch_close(b->watch);
	b->watch = NULL;
	lw_privc_nft_close(b->nft, false); /* moved: the privileged process deleted it */
	b->nft = n;
	lw_log_info("blocking: moved table %s %s to %s %s (layout %s: %s)",
		    lw_block_family_str(b->fam), b->table, lw_block_family_str(fam), b->table,
		    lw_layout_str(b->health.layout), b->layout_why);
	b->fam = fam;
	b->health.family = fam;
	lw_privc_watch_open(block_on_watch_elem, block_on_watch_settled, b, &b->watch, err,
			    sizeof(err));
	block_resync(b);
	b->health.table_ok = true;
	return 0;
}

/* The layout from the kernel; moves the table when [block] family = auto and it changed. */
void block_env_facts(struct lw_block *b)
{
	struct lw_layout_facts f = {0};
	enum lw_layout l;
	const char *why = "";

	if (b->env)
		lw_blockenv_facts(b->env, &f);
	l = lw_layout_decide(&f, &why);
	if (l != b->health.layout || strcmp(why, b->layout_why) != 0) {
		if (b->nft) /* the start logs it with the family */
			lw_log_info("blocking: %s is %s: %s", b->ifname, lw_layout_str(l), why);
		snprintf(b->layout_why, sizeof(b->layout_why), "%s", why);
	}
	b->health.layout = l;
	/* an interface that went away keeps the family it had */
	if (b->nft && b->mode == LW_FAMILY_AUTO && l != LW_LAYOUT_UNKNOWN &&
	    lw_layout_family(l) != b->fam)
		switch_family(b, lw_layout_family(l));
}

/* A flowtable (OpenWrt's flow offloading): offloaded flows skip the forward hook. */
void block_env_flowtables(struct lw_block *b)
{
	char out[4096];

	/* a change shows in env_report's problems (logged when it appears and when it goes) */
	if (b->nft && lw_privc_nft_flowtables(b->nft, out, sizeof(out)) == 0)
		lw_layout_flowtables(out, b->health.flowtable, sizeof(b->health.flowtable));
}

void block_env_brnf(struct lw_block *b)
{
	bool fixed = false;

	if (!lw_block_health_needs_brnf(&b->health)) {
		b->health.brnf = LW_BRNF_NOT_NEEDED;
		return;
	}
	/* the privileged process sets bridge-nf-call-* back (the parser may not write /proc/sys) */
	b->health.brnf = lw_privc_brnf(&fixed);
	b->health.brnf_set |= fixed;
}

void block_on_env_fd(int fd, unsigned events, void *user_data)
{
	struct lw_block *b = user_data;

	(void)fd;
	(void)events;
	if (lw_blockenv_dispatch(b->env))
		b->env_dirty = true;
}

/* From the tick: the layout when it may have changed, br_netfilter every ENV_BRNF_TICKS. */
void block_env_tick(struct lw_block *b)
{
	b->env_ticks++;
	if (b->env_dirty || b->env_ticks % ENV_FACTS_TICKS == 0) {
		b->env_dirty = false;
		block_env_facts(b);
		block_env_flowtables(b);
	}
	if (b->env_ticks % ENV_BRNF_TICKS == 0)
		block_env_brnf(b);
	block_env_report(b);
}

void block_env_meta_off(struct lw_store *s)
{
	size_t i;

	for (i = 0; i < LW_ARRAY_SIZE(meta_keys); i++)
		lw_store_put_meta(s, meta_keys[i], NULL);
	lw_store_put_meta(s, "block.holds", "off ([block] enabled = no)");
	lw_store_put_meta(s, "block.problems", "");
}
