/* SPDX-License-Identifier: MIT */
/*
 * leakwatchd: offline (-r FILE) or live (-i IFACE) through the pipeline into SQLite.
 *
 * Exit status (sysexits.h): 0 done; 64 usage; 65 the capture is truncated, corrupt or of an
 * unsupported link type; 66 the capture file cannot be read; 69 the interface cannot be
 * captured, or (a replay with [fleet] enabled) not every row reached JetStream; 70 the parser
 * process was killed (live); 73 the database cannot be opened or
 * created; 75 another leakwatchd is writing the database; 77 the parser cannot drop its
 * privileges (live); 78 the configuration (or the database's schema version) is not usable.
 *
 * Live, the process started keeps the privileges and the parser runs in a child (priv.c);
 * what follows lw_priv_split() in main() and run_live() is the parser's.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <malloc.h>
#include <net/if.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "alerts.h"
#include "ap.h"
#include "ap/netlink.h"
#include "block.h"
#include "blockenv.h"
#include "caps.h"
#include "capture/capture.h"
#include "config.h"
#include "fleet.h"
#include "log.h"
#include "lw-features.h"
#include "loop.h"
#include "pipeline.h"
#include "priv.h"
#include "privc.h"
#include "store/storage.h"
#include "store/store.h"

struct options {
	const char *read_file;
	const char *interface;
	const char *db;
	const char *config;
	const char *user;
	bool quiet;
	bool prepare; /* --prepare: root's part of blocking only */
	struct lw_devinfo *devinfo; /* vendors and labels for device rows */
	struct lw_alerts *alerts; /* NULL: none */
};

/*
 * SIGINT, SIGTERM and SIGHUP are blocked in every thread (before the store's writer thread
 * starts, so it inherits the mask) and read from this signalfd by the main loop.
 */
static int signal_fd = -1;

/* Reads pending signals; returns true if one asks to stop. */
static bool stop_signalled(void)
{
	struct signalfd_siginfo si;
	bool stop = false;

	while (read(signal_fd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			lw_log_info("SIGHUP: reload is not supported yet; restart to apply a new "
				    "configuration");
			continue;
		}
		stop = true;
	}
	return stop;
}

static lw_time_us wall_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (lw_time_us)ts.tv_sec * LW_USEC_PER_SEC + ts.tv_nsec / 1000;
}

static double mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: leakwatchd -r FILE --db PATH [-c CONFIG]   read a pcap/pcapng capture\n"
		"       leakwatchd -i IFACE --db PATH [-c CONFIG]  capture live until "
		"SIGTERM/SIGINT\n"
		"\n"
		"  -r, --read FILE       pcap or pcapng file to read through the pipeline\n"
		"  -i, --interface IFACE interface to capture (promiscuous), e.g. br-lan\n"
		"      --db PATH         SQLite database (created if missing)\n"
		"  -c, --config FILE     configuration file (see config/leakwatch.conf)\n"
		"  -u, --user USER       run as USER once the capture is open (when started as "
		"root)\n"
		"      --prepare         only do what blocking needs root for (load br_netfilter\n"
		"                        on a bridged AP, set its sysctls), then exit\n"
		"  -q, --quiet           no progress display\n"
		"  -h, --help            this text\n"
		"  -V, --version         version\n");
}

/*
 * The database and the configuration hold device identifiers: the database's directory is
 * created private (0700) when missing; a directory where any user could replace the
 * database, or a config every user can read, is named in a warning (the database file itself
 * is created 0600 by the store).
 */
static void private_paths(const struct lw_config *cfg, const char *config)
{
	char dir[PATH_MAX];
	char *slash;
	struct stat st;
	size_t i, ids = 0;

	snprintf(dir, sizeof(dir), "%s", cfg->db_path);
	slash = strrchr(dir, '/');
	if (slash == dir)
		slash[1] = '\0';
	else if (slash)
		*slash = '\0';
	else
		snprintf(dir, sizeof(dir), ".");
	if (stat(dir, &st) < 0 && errno == ENOENT && mkdir(dir, 0700) == 0)
		lw_log_info("created %s (mode 0700)", dir);
	else if (stat(dir, &st) == 0 && (st.st_mode & S_IWOTH) && !(st.st_mode & S_ISVTX))
		lw_log_warning("%s: any user can replace the database here; chmod 0700 %s", dir,
			       dir);
	for (i = 0; i < cfg->n_devices; i++)
		ids += cfg->devices[i].n_ids;
	if (config && ids && stat(config, &st) == 0 && (st.st_mode & S_IROTH))
		lw_log_warning("%s: readable by every user, and it holds device identifiers; chmod "
			       "0600 %s",
			       config, config);
}

/* The directory holding the database, whose filesystem the probe looks at. */
static void db_dir(const struct lw_config *cfg, char *dir, size_t len)
{
	char *slash;

	snprintf(dir, len, "%s", cfg->db_path);
	slash = strrchr(dir, '/');
	if (slash == dir)
		slash[1] = '\0';
	else if (slash)
		*slash = '\0';
	else
		snprintf(dir, len, ".");
}

/*
 * What the database sits on (tmpfs, jffs2, an SD card, ...); the journal mode and commit
 * interval follow its advice unless configured ([database] journal_mode, commit_interval_ms).
 * Fills the store's settings.
 */
static void storage_probe(const struct lw_config *cfg, struct lw_storage *st,
			  struct lw_store_config *sc)
{
	char dir[PATH_MAX];

	db_dir(cfg, dir, sizeof(dir));
	lw_storage_probe(dir, st);
	lw_config_store(cfg, st, sc);
}

/*
 * Says what the storage means, once, when the database is open (a second daemon refused on
 * the database says only that, in one line).  Live only: a capture read into a file of the
 * user's choice puts it in meta and status alone.
 */
static void storage_log(const struct lw_config *cfg, bool live, const struct lw_storage *st,
			const struct lw_store_config *sc)
{
	char dir[PATH_MAX];

	if (!live)
		return;
	db_dir(cfg, dir, sizeof(dir));
	if (st->kind == LW_STORAGE_RAM || st->kind == LW_STORAGE_JFFS2)
		lw_log_warning("%s: %s%s", dir, st->advice,
			       st->forced ? " (LEAKWATCH_STORAGE)" : "");
	else
		lw_log_info("%s: %s%s", dir, st->advice, st->forced ? " (LEAKWATCH_STORAGE)" : "");
	if (sc->journal != st->journal || sc->commit_interval != st->commit_interval)
		lw_log_info("%s: configured: %s journal, a commit every %lld ms", dir,
			    sc->journal == LW_STORE_JOURNAL_TRUNCATE ? "truncate" : "wal",
			    (long long)(sc->commit_interval / 1000));
}

/*
 * A database made before schema v6 was rewritten once at open (VACUUM) so that pruning can
 * give pages back: say so, with how long it took, or that it failed and why it matters.
 */
static void open_vacuum_log(struct lw_store *store, const char *path)
{
	struct lw_store_stats ss;

	lw_store_get_stats(store, &ss);
	if (ss.open_vacuum_ms > 0)
		lw_log_info("%s: converted to incremental auto-vacuum (schema 6) in %ld ms: "
			    "pruning now gives freed pages back to the filesystem",
			    path, ss.open_vacuum_ms);
	else if (ss.open_vacuum_ms < 0)
		lw_log_warning("%s: could not convert to incremental auto-vacuum (VACUUM failed: "
			       "it needs as much free space as the file): freed pages are reused "
			       "but the file does not shrink; tried again at the next start",
			       path);
}

/* The storage's kind and advice and the journal and interval chosen, for `leakwatch status`. */
static void storage_meta(struct lw_store *store, const struct lw_storage *st,
			 const struct lw_store_config *sc)
{
	struct lw_store_stats ss;
	char v[512];

	lw_store_put_meta(store, "storage.kind", lw_storage_kind_name(st->kind));
	snprintf(v, sizeof(v), "%s%s%s", st->fstype, st->device[0] ? " on " : "", st->device);
	lw_store_put_meta(store, "storage.fs", v);
	lw_store_put_meta(store, "storage.advice", st->advice);
	lw_store_get_stats(store, &ss);
	snprintf(v, sizeof(v), "%s, a commit every %lld ms",
		 ss.journal == LW_STORE_JOURNAL_TRUNCATE ? "truncate" : "wal",
		 (long long)(sc->commit_interval / 1000));
	lw_store_put_meta(store, "storage.journal", v);
	if (sc->max_db_bytes)
		snprintf(v, sizeof(v), "%llu", (unsigned long long)(sc->max_db_bytes >> 20));
	else
		snprintf(v, sizeof(v), "0");
	lw_store_put_meta(store, "storage.max_db_mb", v);
}

/*
 * The store retries failed writes by itself (rows wait in its bounded queue); say once when
 * writing starts to fail, why, and once when it works again.  *logged: the error last said.
 */
static void watch_store(struct lw_store *store, const char *path, int *logged)
{
	struct lw_store_stats ss;

	lw_store_get_stats(store, &ss);
	if (ss.last_error && ss.last_error != *logged)
		lw_log_error("%s: cannot write: %s; rows wait in memory (%llu now) and are retried",
			     path,
			     ss.last_error == -EBUSY ? "locked by another writer"
						     : strerror(-ss.last_error),
			     (unsigned long long)ss.pending);
	else if (!ss.last_error && *logged)
		lw_log_info("%s: writing again (%llu rows dropped so far)", path,
			    (unsigned long long)ss.dropped);
	*logged = ss.last_error;
}

/* --- offline ------------------------------------------------------------------------------ */

struct offline {
	struct lw_pipeline *pipe;
	lw_time_us next_tick;
};

static void offline_frame(const struct lw_frame *f, void *user_data)
{
	struct offline *o = user_data;

	lw_pipeline_frame(o->pipe, f);
	if (f->ts >= o->next_tick) {
		lw_pipeline_tick(o->pipe, f->ts);
		o->next_tick = f->ts + LW_USEC_PER_SEC;
	}
}

static void show_progress(struct lw_capture *cap, struct lw_pipeline *pipe, double started,
			  bool final)
{
	struct lw_pipeline_counters n;
	uint64_t pos, size;
	double el = mono_now() - started, share, rate, left;

	lw_pipeline_get_counters(pipe, &n);
	lw_capture_progress(cap, &pos, &size);
	share = size ? (double)pos / (double)size : 0;
	rate = el > 0 ? (double)n.frames / el : 0;
	if (final) {
		fprintf(stderr,
			"\r\033[K%llu packets (%.1f MB) in %.2f s, %.0f packets/s: %llu flows, "
			"%llu DNS messages, %llu TLS, %llu QUIC, %llu HTTP requests, %llu "
			"malformed\n",
			(unsigned long long)n.frames, (double)n.bytes / 1e6, el, rate,
			(unsigned long long)n.flows_total, (unsigned long long)n.dns_messages,
			(unsigned long long)n.tls_hellos, (unsigned long long)n.quic_hellos,
			(unsigned long long)n.http_requests, (unsigned long long)n.malformed);
		return;
	}
	left = share > 0.001 ? el * (1 - share) / share : 0;
	fprintf(stderr, "\r\033[K%5.1f%%  %.0f packets/s  %llu flows  %d:%02d left", share * 100,
		rate, (unsigned long long)n.flows_active, (int)left / 60, (int)left % 60);
}

/* At the end of a run: the first leaks that got no evidence file, and why. */
static void log_evidence(struct lw_pipeline *pipe)
{
	struct lw_pipeline_counters n;

	lw_pipeline_get_counters(pipe, &n);
	if (n.evidence_refused || n.evidence_empty)
		lw_log_info("evidence: %llu files taken; %llu first leaks refused one (%llu over a "
			    "device's share, the others over the total rate or the set of keys), "
			    "%llu had their frames gone from the ring",
			    (unsigned long long)n.evidence_taken,
			    (unsigned long long)n.evidence_refused,
			    (unsigned long long)n.evidence_refused_share,
			    (unsigned long long)n.evidence_empty);
}

static int run_offline(const struct options *o, const struct lw_config *cfg,
		       struct lw_store **store_out, struct lw_capture *cap)
{
	struct offline off = {0};
	struct lw_pipeline *pipe = NULL;
	char err[512] = "";
	bool progress = !o->quiet && isatty(STDERR_FILENO);
	double started = mono_now(), last_shown = 0;
	int r, status = EX_OK, store_error = 0;

	r = lw_pipeline_new(cfg, *store_out, lw_capture_linktype(cap), &pipe, err, sizeof(err));
	if (r == -EINVAL) {
		lw_log_error("%s: %s", o->config ? o->config : "configuration", err);
		return EX_CONFIG;
	}
	if (r < 0) {
		lw_log_error("%s: %s (%s)", o->read_file, err, lw_capture_linktype_name(cap));
		return r == -EPROTONOSUPPORT ? EX_DATAERR : EX_SOFTWARE;
	}
	lw_pipeline_set_device_info(pipe, lw_devinfo_fill, o->devinfo);
	lw_alerts_attach(o->alerts, pipe);
	off.pipe = pipe;
	for (;;) {
		r = lw_capture_read(cap, 4096, offline_frame, &off, err, sizeof(err));
		if (r == LW_CAPTURE_EOF)
			break;
		if (r < 0) {
			lw_log_error("%s: %s", o->read_file, err);
			status = EX_DATAERR;
			break;
		}
		if (stop_signalled()) {
			lw_log_info("interrupted: writing what was read");
			break;
		}
		watch_store(*store_out, cfg->db_path, &store_error);
		if (progress && mono_now() - last_shown > 0.25) {
			show_progress(cap, pipe, started, false);
			last_shown = mono_now();
		}
	}
	lw_pipeline_finish(pipe, 0);
	log_evidence(pipe);
	if (progress)
		show_progress(cap, pipe, started, true);
	lw_pipeline_free(pipe);
	return status;
}

/* --- live ------------------------------------------------------------------------------- */

struct live {
	struct lw_loop *loop;
	struct lw_pipeline *pipe;
	struct lw_capture *cap; /* its loss ends this parser (capture_lost) */
	const struct lw_config *cfg;
	struct lw_ap *ap;
	unsigned cap_ifindex; /* the interface the capture is bound to (0: unknown) */
	int status;
	struct lw_store *store;
	int store_error; /* the write error last logged, 0 = writing */
};

static void set_capture_stats(struct live *l)
{
	struct lw_capture_stats cs = {0};

	if (l->cap)
		lw_capture_get_stats(l->cap, &cs);
	lw_pipeline_set_capture_stats(l->pipe, cs.dropped, cs.if_dropped);
}

/*
 * The interface went down (or away): the parser cannot open another capture (it has no
 * capability), so it stops, writing what it has; the privileged process captures again when
 * the interface is back and starts a fresh parser (priv.c).
 */
static void capture_lost(struct live *l, const char *why)
{
	if (l->status == LW_PRIV_EXIT_CAPTURE_LOST)
		return;
	lw_log_warning("%s: %s; capturing again when it is back", l->cfg->interface, why);
	l->status = LW_PRIV_EXIT_CAPTURE_LOST;
	lw_loop_quit(l->loop);
}

/*
 * An interface deleted (and perhaps created again at once) may leave a capture bound to the old
 * one silent without a read error, and under load its notifications may read as just down and
 * up: no index, or a new index under the same name, is that case.
 */
static void capture_check_recreated(struct live *l)
{
	unsigned now;

	if (!l->cap || !l->cap_ifindex)
		return;
	errno = 0;
	now = (unsigned)lw_nl_ifindex(l->cfg->interface);
	if (now && now != l->cap_ifindex)
		capture_lost(l, "deleted and created again");
	else if (!now && errno == ENODEV)
		capture_lost(l, "it is gone"); /* the read error may never come */
}

static void on_link(bool up, void *user_data)
{
	(void)up; /* down: the capture's read fails */
	capture_check_recreated(user_data);
}

static void live_frame(const struct lw_frame *f, void *user_data)
{
	struct live *l = user_data;

	lw_pipeline_frame(l->pipe, f);
}

#define LIVE_CAPTURE_BATCH 64 /* frames per capture callback */
/* the most a replay waits for its rows to reach JetStream ([fleet] enabled) */
#define FLEET_REPLAY_TIMEOUT_S 120

static void on_capture(int fd, unsigned events, void *user_data)
{
	struct live *l = user_data;
	char err[512] = "";
	int r;

	(void)fd;
	(void)events;
	if (!l->cap)
		return;
	/* a bounded batch: the loop turns (and serves the NFQUEUE) between batches */
	r = lw_capture_read(l->cap, LIVE_CAPTURE_BATCH, live_frame, l, err, sizeof(err));
	if (r == -ENETDOWN) {
		capture_lost(l, err);
		return;
	}
	if (r < 0 && r != LW_CAPTURE_EOF) {
		lw_log_error("%s: %s", l->cfg->interface, err);
		l->status = EX_IOERR;
		lw_loop_quit(l->loop);
	}
}

static void on_signal(int fd, unsigned events, void *user_data)
{
	struct live *l = user_data;

	(void)fd;
	(void)events;
	if (stop_signalled())
		lw_loop_quit(l->loop);
}

/*
 * systemd's watchdog (WatchdogSec= in the unit): pinged from a loop timer, so the pings stop
 * when the loop stops turning (a stopped or hung daemon) and systemd restarts it.
 */
static void on_watchdog(void *user_data)
{
	(void)user_data;
	lw_privc_notify(LW_PRIV_NOTIFY_WATCHDOG, NULL);
}

/* The privileged process is gone: nothing can be blocked or held any more. */
static void on_priv_gone(void *user_data)
{
	struct live *l = user_data;

	l->status = EX_SOFTWARE;
	lw_loop_quit(l->loop);
}

static void on_tick(void *user_data)
{
	struct live *l = user_data;

	capture_check_recreated(l);
	set_capture_stats(l);
	lw_pipeline_tick(l->pipe, wall_now());
	watch_store(l->store, l->cfg->db_path, &l->store_error);
}

static int run_live(const struct options *o, const struct lw_config *cfg, struct lw_store *store,
		    struct lw_capture **capp)
{
	struct lw_capture *cap = *capp;
	struct live l = {.cap = cap,
			 .cfg = cfg,
			 .cap_ifindex = (unsigned)lw_nl_ifindex(cfg->interface),
			 .status = EX_OK,
			 .store = store};
	struct lw_block *block = NULL;
	uint64_t watchdog_us = lw_privc_watchdog_usec();
	char err[512] = "";
	int r;

	r = lw_pipeline_new(cfg, store, lw_capture_linktype(cap), &l.pipe, err, sizeof(err));
	if (r < 0) {
		lw_log_error("%s: %s",
			     r == -EINVAL ? (o->config ? o->config : "configuration")
					  : cfg->interface,
			     err);
		return r == -EINVAL ? EX_CONFIG : EX_UNAVAILABLE;
	}
	lw_pipeline_set_device_info(l.pipe, lw_devinfo_fill, o->devinfo);
	lw_alerts_attach(o->alerts, l.pipe);
	l.loop = lw_loop_new();
	if (!l.loop || lw_loop_add_fd(l.loop, lw_capture_fd(cap), on_capture, &l) < 0 ||
	    lw_loop_add_fd(l.loop, signal_fd, on_signal, &l) < 0 ||
	    lw_loop_add_timer(l.loop, 1000, on_tick, &l) < 0 ||
	    lw_privc_attach(l.loop, on_priv_gone, &l) < 0) {
		lw_log_error("event loop: %s", strerror(errno));
		l.status = EX_OSERR;
		goto out;
	}
	if (watchdog_us) {
		/* twice per interval */
		unsigned ms = (unsigned)LW_MAX(watchdog_us / 2000, 1);

		if (lw_loop_add_timer(l.loop, ms, on_watchdog, &l) < 0)
			lw_log_warning("systemd watchdog: no timer: %s", strerror(errno));
		else
			lw_log_info("systemd watchdog: a ping every %u ms", ms);
	}
	/* modules attached to the loop (hostapd, netlink, blocking) start here */
	r = lw_ap_new(cfg, store, l.loop, o->devinfo,
		      &(struct lw_ap_hooks){.link = on_link, .user_data = &l}, &l.ap);
	if (r < 0) {
		l.status = EX_OSERR;
		goto out;
	}
	r = lw_block_start(cfg, l.loop, store, &block, err, sizeof(err));
	if (r < 0) {
		lw_log_error("blocking: %s", err);
		l.status = r == -EPERM || r == -EACCES ? EX_NOPERM
			   : r == -EINVAL	       ? EX_CONFIG
						       : EX_UNAVAILABLE;
		goto out;
	}
	if (block) {
		struct lw_pipeline_hooks hooks = {0};

		lw_block_hooks(block, &hooks);
		lw_pipeline_set_hooks(l.pipe, &hooks);
	}

	lw_log_info("capturing on %s (%s) into %s", cfg->interface, lw_capture_linktype_name(cap),
		    o->db ? o->db : cfg->db_path);
	lw_store_flush(store); /* ready: `leakwatch status` sees the pid and the source */
	snprintf(err, sizeof(err), "capturing on %s", cfg->interface);
	lw_privc_notify(LW_PRIV_NOTIFY_READY, err);
	r = lw_loop_run(l.loop);
	if (r < 0) {
		lw_log_error("event loop: %s", strerror(-r));
		l.status = EX_OSERR;
	}
	if (l.status != LW_PRIV_EXIT_CAPTURE_LOST)
		lw_privc_notify(LW_PRIV_NOTIFY_STOPPING, NULL);
	lw_log_info("stopping: writing flows and queued rows");
out:
	if (l.status == LW_PRIV_EXIT_CAPTURE_LOST)
		lw_privc_handover(); /* the table stays for the next parser */
	lw_ap_free(l.ap);
	set_capture_stats(&l);
	lw_pipeline_finish(l.pipe, wall_now());
	log_evidence(l.pipe);
	lw_block_stop(block); /* after the pipeline's last hook */
	lw_pipeline_free(l.pipe);
	lw_privc_detach();
	lw_loop_free(l.loop);
	*capp = l.cap;
	return l.status;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"read", required_argument, NULL, 'r'}, {"interface", required_argument, NULL, 'i'},
		{"db", required_argument, NULL, 'd'},	{"config", required_argument, NULL, 'c'},
		{"quiet", no_argument, NULL, 'q'},	{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},	{"user", required_argument, NULL, 'u'},
		{"prepare", no_argument, NULL, 'P'},	{NULL, 0, NULL, 0},
	};
	struct options o = {0};
	struct lw_config cfg;
	struct lw_store_config sc;
	struct lw_storage storage;
	struct lw_store *store = NULL;
	struct lw_capture *cap = NULL;
	struct lw_notify *notify = NULL;
	sigset_t mask;
	char err[512] = "";
	uint8_t seed[16];
	int c, r, status;

	while ((c = getopt_long(argc, argv, "r:i:c:u:qhV", longopts, NULL)) != -1) {
		switch (c) {
		case 'r':
			o.read_file = optarg;
			break;
		case 'i':
			o.interface = optarg;
			break;
		case 'd':
			o.db = optarg;
			break;
		case 'c':
			o.config = optarg;
			break;
		case 'q':
			o.quiet = true;
			break;
		case 'u':
			o.user = optarg;
			break;
		case 'P':
			o.prepare = true;
			break;
		case 'h':
			usage(stdout);
			return EX_OK;
		case 'V':
			printf("leakwatchd %s\n", LW_VERSION);
			/* the optional parts this build has and those left out (meson options,
			 * lw-features.h), for people, scripts and tests */
			printf("features: %s\n", LW_FEATURES_BUILT[0] ? LW_FEATURES_BUILT : "-");
			printf("left out: %s\n",
			       LW_FEATURES_LEFT_OUT[0] ? LW_FEATURES_LEFT_OUT : "-");
			return EX_OK;
		default:
			usage(stderr);
			return EX_USAGE;
		}
	}
	if (optind != argc || (!o.prepare && !!o.read_file == !!o.interface && !o.config)) {
		usage(stderr);
		return EX_USAGE;
	}

	lw_config_defaults(&cfg);
	if (o.config && lw_config_load(&cfg, o.config, err, sizeof(err)) < 0) {
		lw_log_error("%s", err);
		lw_config_release(&cfg);
		return EX_CONFIG;
	}
	/* the optional parts this build was made without (lw-features.h) */
	if (cfg.block_enabled && !LW_BUILT_BLOCK) {
		lw_log_error("[block] enabled = yes, but this leakwatchd is built without blocking "
			     "(meson option block): set enabled = no, or use a build with it");
		lw_config_release(&cfg);
		return EX_CONFIG;
	}
	if (cfg.fleet_enabled && !LW_BUILT_FLEET) {
		lw_log_error(
			"[fleet] enabled = yes, but this leakwatchd is built without the fleet "
			"(meson option fleet): set enabled = no, or use a build with it");
		lw_config_release(&cfg);
		return EX_CONFIG;
	}
	if (cfg.netlink && !LW_BUILT_NETLINK) {
		lw_log_warning("[ap] netlink = yes, but this leakwatchd is built without netlink "
			       "(meson option netlink): no AP ports, neighbours or station rows");
		cfg.netlink = false;
	}
	/*
	 * Allocations from mmap_threshold_kb up get pages of their own, given back when freed:
	 * the request bodies of parallel uploads do not leave the heap grown (glibc's own
	 * threshold rises to 32 MiB as large blocks are freed).  Before any thread or fork.
	 */
	if (cfg.mmap_threshold_kb > 0)
		mallopt(M_MMAP_THRESHOLD, (int)(cfg.mmap_threshold_kb * 1024));
	if (o.interface)
		snprintf(cfg.interface, sizeof(cfg.interface), "%s", o.interface);
	if (o.db)
		snprintf(cfg.db_path, sizeof(cfg.db_path), "%s", o.db);
	if (o.user)
		snprintf(cfg.user, sizeof(cfg.user), "%s", o.user);
	if (cfg.user[0] && !LW_BUILT_CAPNG) {
		lw_log_error("[daemon] user = %s, but this leakwatchd is built without libcap-ng "
			     "(meson option capng) and cannot switch users: start it as that user "
			     "with CAP_NET_RAW and CAP_NET_ADMIN instead",
			     cfg.user);
		lw_config_release(&cfg);
		return EX_CONFIG;
	}
	if (!o.read_file && cfg.interface[0] == '\0') {
		lw_log_error("no interface: give -i IFACE or [capture] interface in the config");
		lw_config_release(&cfg);
		return EX_USAGE;
	}
	if (o.read_file && o.interface) {
		usage(stderr);
		lw_config_release(&cfg);
		return EX_USAGE;
	}
	if (o.read_file && !o.db) {
		/* never into the service's database ([database] path) by default */
		lw_log_error("-r FILE needs --db PATH (the database to read the capture into)");
		lw_config_release(&cfg);
		return EX_USAGE;
	}

	/* root's part of blocking: before the capture and the privileges drop (blockenv.h) */
	if (o.prepare || !o.read_file) {
		lw_blockenv_prepare(&cfg);
		if (o.prepare) {
			lw_config_release(&cfg);
			return EX_OK;
		}
	}

	/* a random key for the hash tables a peer fills (flows, names) */
	{
		FILE *ur = fopen("/dev/urandom", "rb");

		if (ur && fread(seed, 1, sizeof(seed), ur) == sizeof(seed))
			lw_hash_seed(seed);
		if (ur)
			fclose(ur);
	}

	/* open the input first: a missing capture must not leave an empty database behind */
	if (o.read_file) {
		r = lw_capture_open_file(o.read_file, &cap, err, sizeof(err));
		if (r < 0) {
			lw_log_error("%s", err);
			lw_config_release(&cfg);
			return r == -EBADMSG ? EX_DATAERR : EX_NOINPUT;
		}
	} else {
		r = lw_capture_open_live(
			cfg.interface,
			&(struct lw_capture_config){cfg.snaplen, cfg.buffer_kb, cfg.promisc, 100},
			&cap, err, sizeof(err));
		if (r < 0) {
			lw_log_error("%s", err);
			lw_config_release(&cfg);
			return EX_UNAVAILABLE;
		}
	}

	/* the capture is open: what is left to do needs no root (and the database is then
	 * created by the user the daemon runs as) */
	if (lw_caps_drop_privileges(&cfg, !o.read_file) < 0) {
		lw_capture_close(cap);
		lw_config_release(&cfg);
		return EX_NOPERM;
	}
	if (lw_devinfo_new(&cfg, &o.devinfo) < 0) {
		lw_log_error("out of memory");
		lw_capture_close(cap);
		lw_config_release(&cfg);
		return EX_OSERR;
	}
	/* live: the privileges stay in this process, the rest goes on in the parser (priv.c) */
	if (!o.read_file) {
		r = lw_priv_split(&cfg, o.config, &cap);
		if (r != LW_PRIV_PARSER) {
			lw_capture_close(cap);
			lw_devinfo_free(o.devinfo);
			lw_config_release(&cfg);
			return r;
		}
	}

	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal_fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (signal_fd < 0) {
		lw_log_error("signalfd: %s", strerror(errno));
		lw_devinfo_free(o.devinfo);
		lw_capture_close(cap);
		lw_config_release(&cfg);
		return EX_OSERR;
	}
	signal(SIGPIPE, SIG_IGN);

	private_paths(&cfg, o.config);
	storage_probe(&cfg, &storage, &sc);
	/* reading a file can wait for the writer: no row is dropped for going fast */
	sc.block_when_full = o.read_file != NULL;
	/* and ages only what was there before: a capture's own rows are not deleted for age */
	sc.retention_once = o.read_file != NULL;
	/* in a fleet, retention keeps what leakwatch-push has not sent yet (README "Many APs") */
	sc.keep_unsent = cfg.fleet_enabled;
	r = lw_store_open(cfg.db_path, &sc, &store, err, sizeof(err));
	if (r < 0) {
		lw_log_error("%s: %s", cfg.db_path, err[0] ? err : strerror(-r));
		lw_devinfo_free(o.devinfo);
		lw_capture_close(cap);
		lw_config_release(&cfg);
		return r == -EPROTO ? EX_CONFIG : r == -EALREADY ? EX_TEMPFAIL : EX_CANTCREAT;
	}
	storage_log(&cfg, !o.read_file, &storage, &sc);
	open_vacuum_log(store, cfg.db_path);
	lw_store_put_meta(store, "version", LW_VERSION);
	/* the optional parts of this build, for `leakwatch status` */
	lw_store_put_meta(store, "build.features", LW_FEATURES_BUILT);
	lw_store_put_meta(store, "build.left_out", LW_FEATURES_LEFT_OUT);
	storage_meta(store, &storage, &sc);
	lw_store_put_meta(store, "source", o.read_file ? o.read_file : cfg.interface);
	{
		/* where `leakwatch flags` finds the [block] domains this daemon applies */
		char *conf = o.config ? realpath(o.config, NULL) : NULL;

		lw_store_put_meta(store, "config", conf);
		free(conf);
	}
	{
		char pid[16];

		snprintf(pid, sizeof(pid), "%d", lw_privc_main_pid());
		lw_store_put_meta(store, "pid", pid);
	}

	/*
	 * Alerts: the delivery (hook, MQTT) opens sockets and starts programs, so live it runs in
	 * a process of its own that the parser hands events to (priv.c); the policy reads what
	 * the database already knows and goes with the pipeline.
	 */
	r = lw_privc_active() ? 0 : lw_notify_start(&cfg, &notify, err, sizeof(err));
	if (r == 0 && (notify || lw_privc_alerting() || (!o.read_file && cfg.alerts_log)))
		r = lw_alerts_new(&cfg, cfg.db_path, !o.read_file,
				  notify		? lw_alerts_deliver_notify
				  : lw_privc_alerting() ? lw_privc_alert
							: NULL,
				  notify, &o.alerts);
	if (r < 0) {
		lw_log_error("%s: %s", r == -EINVAL && o.config ? o.config : "alerts",
			     r == -ENOMEM ? "out of memory" : err);
		status = r == -EINVAL ? EX_CONFIG : EX_OSERR;
	} else if (o.read_file)
		status = run_offline(&o, &cfg, &store, cap);
	else
		status = run_live(&o, &cfg, store, &cap);
	lw_alerts_free(o.alerts);
	lw_notify_stop(notify);

	{
		struct lw_store_stats ss;

		if (lw_store_flush(store) < 0 && status == EX_OK) {
			lw_log_error("%s: could not write every row", cfg.db_path);
			status = EX_IOERR;
		}
		lw_store_get_stats(store, &ss);
		if (ss.dropped)
			lw_log_error("%s: %llu rows dropped (writer queue full; raise "
				     "[database] queue_max)",
				     cfg.db_path, (unsigned long long)ss.dropped);
	}
	lw_store_close(store);
	/*
	 * A replay with [fleet] enabled: its rows to JetStream before the exit, which says
	 * whether they all got there (leakwatch-push prints what it sent and what is left).
	 */
	if (o.read_file && cfg.fleet_enabled && status == EX_OK &&
	    lw_fleet_push_once(o.config, cfg.db_path, FLEET_REPLAY_TIMEOUT_S) < 0) {
		lw_log_error("fleet: not every row reached JetStream; run leakwatch-push --config "
			     "%s again",
			     o.config);
		status = EX_UNAVAILABLE;
	}
	/* after the last file is opened: the parser's filter refuses writes to this number */
	lw_capture_close(cap);
	lw_devinfo_free(o.devinfo);
	lw_config_release(&cfg);
	return status;
}
