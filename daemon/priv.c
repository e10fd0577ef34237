/* SPDX-License-Identifier: MIT */
/*
 * Privilege separation of the live daemon, as OpenSSH's and tcpdump's: the code that reads
 * what devices send runs in a process that can do nothing but read it and write the
 * database, and the part that holds the privileges is small and fed a narrow message format.
 *
 * Processes (leakwatchd -i IFACE; -r FILE stays one process without capabilities):
 *
 *   leakwatchd-priv   the started process (systemd's main PID), CAP_NET_ADMIN and CAP_NET_RAW.
 *   |                 Owns every kernel handle: the nftables table (lib/block/nft.c) and the
 *   |                 hold rules, the nf_tables watch, the NFQUEUE socket, hostapd's control
 *   |                 sockets (lib/ap/hostapd.c), br_netfilter's sysctls, the capture while
 *   |                 no parser runs; tells systemd.  This file: a poll() loop that decodes
 *   |                 and validates each message of the parser (lw_privmsg_decode,
 *   |                 lw_privmsg_validate: its own table, no guarded address, its own queue,
 *   |                 no command text) and carries it out with the library calls.  It never
 *   |                 parses a packet: held packets are forwarded as bytes.
 *   +- leakwatchd     the parser: capture, pipeline, SQLite (its writer thread), blocking
 *   |                 policy (daemon/block.c and its worker thread), AP bookkeeping (ap.c).
 *   |                 No capability, no_new_privs, a seccomp filter (sandbox.c): no socket but
 *   |                 AF_NETLINK route and generic (libnl), the capture socket read-only, no
 *   |                 exec, ptrace, namespaces.  Its fds: stdio, the capture, the socket pair
 *   |                 to this process, the resolver's; then what it opens (SQLite, netlink).
 *   |                 Asks for everything else through daemon/privc.c.
 *   +- leakwatchd-dns the resolver helper: getaddrinfo() of the flagged names the parser asks
 *   |                 for, nothing else (no capability, its own filter).  One per parser.
 *   +- leakwatchd-notify the alerts' delivery (alerts.h: [alerts] exec hook, MQTT), when
 *   |                 configured: no capability, no_new_privs, no filter (it starts the owner's
 *   |                 program).  Forked first, before any thread; the parser's alert policy
 *   |                 hands it struct lw_alert_event values, checked here before they are
 *   |                 queued.  It lives as long as this process, across parsers, and drains its
 *   |                 queues when this process closes its socket at the end.
 *   +- leakwatchd-hold the NFQUEUE's guard (lib/block/hold.c), forked when the queue opens.
 *
 * The fork comes after the capture is open and before any thread exists (the store's writer
 * starts in the parser), so nothing of a thread is copied; the parser closes every fd it was
 * not handed, so it never holds a netfilter or hostapd socket, even when started again later.
 *
 * Held packets: this process reads the queue and forwards each packet; the parser inspects it
 * (lw_hold_inspect), puts the addresses in the sets (calls that return once committed) and
 * sends the verdict, which this process gives the kernel (nfnetlink checks CAP_NET_ADMIN of
 * the sending process).  A packet not answered within [block] hold_stall_ms is accepted here
 * (then every new one after LW_HOLD_GUARD_STALLED_MS, until the parser answers again); the
 * guard process does the same when this process stalls.  Blocking fails open either way.
 *
 * This process never blocks on the parser: its sends do not wait (SO_SNDBUFFORCE gives room);
 * a held packet that does not fit is accepted, a notification that does not fit makes the
 * watch read the tables afresh once there is room.  The parser waits for its answers.
 *
 * The parser ends:
 * - with LW_PRIV_EXIT_CAPTURE_LOST (the interface went down or away; it flushed its rows):
 *   this process keeps the table, queue and hostapd, accepts held packets, reopens the capture
 *   once the interface is up again and starts a fresh parser, which takes the table over as a
 *   restart does;
 * - any other way (stopped, an error, killed): every held packet is accepted, the hold rules
 *   go, and this process exits with the parser's status (EX_SOFTWARE when it was killed), so
 *   systemd restarts a daemon that failed.  The table stays, as after SIGKILL, unless the
 *   parser closed it on a normal stop.
 * SIGTERM, SIGINT and SIGHUP are passed on to the parser; if this process dies, the parser is
 * killed (PR_SET_PDEATHSIG) and held packets pass (the queue's bypass flags).
 */
#include "priv.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "alerts.h"
#include "ap/hostapd.h"
#include "ap/netlink.h"
#include "block/privmsg.h"
#include "blockenv.h"
#include "log.h"
#include "pipeline.h"
#include "privc.h"
#include "sandbox.h"
#include "sdnotify.h"

#define HELD_MAX (2 * LW_HOLD_QUEUE_MAXLEN) /* packets with the parser at once */
#define SOCK_BUF (16 << 20) /* each side's send buffer (SO_SNDBUFFORCE) */
#define PENDING_MAX (32u << 20) /* bytes of messages waiting for room in the socket */
#define READS_PER_ROUND 256 /* the parser's messages handled before the queue is looked at */
#define HOSTAPD_TICK 0.25 /* s */
#define RELINK_POLL 0.05 /* s between looks at a lost interface */
#define HANGUP_WAIT 10.0 /* s a parser that hung up has to exit before it is killed */

struct held {
	uint32_t id;
	double deadline;
};

struct pending {
	struct pending *next;
	size_t size;
	uint8_t b[];
};

static struct {
	const struct lw_config *cfg;
	int dlt;
	uint64_t watchdog_usec;
	double next_ping; /* our own watchdog pings, while no parser runs */
	int sigfd;
	sigset_t oldmask;
	struct lw_capture *cap; /* the running parser's: closed here once it has ended */
	pid_t self, parser, resolver, notifier;
	int notify; /* the notifier's socket, handed to each parser (-1: no alerts delivery) */
	int sock; /* to the parser; -1 once it hung up */
	double hung_up; /* when it did */
	int parser_status; /* its wait status */
	bool parser_exited;
	int status; /* the daemon's exit status */
	bool stopping, named;
	struct lw_block_guard guard;
	struct lw_privmsg_policy policy;
	/* nftables */
	struct lw_block_nft *nft;
	enum lw_block_family fam;
	char table[LW_BLOCK_TABLE_MAX];
	struct lw_block_watch *watch;
	bool watch_lost;
	struct lw_hold_rules rules;
	bool rules_on;
	/* the queue */
	struct lw_hold *hold;
	unsigned stall_ms;
	bool stalled;
	struct held held[HELD_MAX];
	size_t n_held;
	uint64_t forwarded, timed_out, unsent, stalls;
	/* hostapd */
	struct lw_hostapd *hostapd;
	double next_tick;
	/* messages */
	struct pending *out_head, *out_tail;
	size_t out_bytes;
	uint64_t refused, refused_logged;
	struct lw_privmsg in, out;
	uint8_t buf[sizeof(struct lw_privmsg) + 1];
} P = {.sigfd = -1, .sock = -1, .notify = -1};

static double mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static lw_time_us mono_us(void)
{
	return (lw_time_us)(mono() * LW_USEC_PER_SEC);
}

/* --- to the parser ------------------------------------------------------------------------- */

static int flush_pending(void)
{
	struct pending *p;
	ssize_t n;

	while ((p = P.out_head)) {
		n = send(P.sock, p->b, p->size, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -errno;
		P.out_head = p->next;
		if (!P.out_head)
			P.out_tail = NULL;
		P.out_bytes -= p->size;
		free(p);
	}
	return 0;
}

/*
 * Sends m without waiting.  A message that finds no room waits in memory (in order) unless
 * droppable: then -EAGAIN.  -EPIPE without a parser; -ENOBUFS when too much waits already.
 */
static int to_parser(const struct lw_privmsg *m, bool droppable)
{
	size_t size = lw_privmsg_size(m);
	struct pending *p;
	ssize_t n;

	if (P.sock < 0)
		return -EPIPE;
	if (!P.out_head) {
		do
			n = send(P.sock, m, size, MSG_DONTWAIT | MSG_NOSIGNAL);
		while (n < 0 && errno == EINTR);
		if (n == (ssize_t)size)
			return 0;
		if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
			return -EPIPE;
	}
	if (droppable)
		return -EAGAIN;
	if (P.out_bytes + size > PENDING_MAX || !(p = malloc(sizeof(*p) + size)))
		return -ENOBUFS;
	p->next = NULL;
	p->size = size;
	memcpy(p->b, m, size);
	if (P.out_tail)
		P.out_tail->next = p;
	else
		P.out_head = p;
	P.out_tail = p;
	P.out_bytes += size;
	return 0;
}

static void reply(uint32_t seq, struct lw_privmsg_reply *r)
{
	struct lw_privmsg m;

	lw_privmsg_init(&m, LW_PRIV_REPLY, seq);
	m.u.reply = *r;
	if (to_parser(&m, false) == -ENOBUFS && P.parser > 0) {
		lw_log_error("the parser reads nothing: stopping it");
		kill(P.parser, SIGKILL);
	}
}

static void reply_status(uint32_t seq, int status, const char *text)
{
	struct lw_privmsg_reply r;

	memset(&r, 0, sizeof(r));
	r.status = status;
	if (text)
		snprintf(r.text, sizeof(r.text), "%s", text);
	reply(seq, &r);
}

/* --- the queue ------------------------------------------------------------------------------ */

static void held_answer(size_t i, enum lw_hold_verdict v)
{
	lw_hold_verdict(P.hold, P.held[i].id, v);
	P.held[i] = P.held[--P.n_held];
}

static void on_queued(uint32_t id, const uint8_t *ip, size_t len, const struct lw_mac *mac,
		      void *user_data)
{
	struct lw_privmsg *m = &P.out;

	(void)user_data;
	if (P.sock < 0 || P.n_held == HELD_MAX || len > LW_PRIVMSG_HELD_MAX) {
		lw_hold_verdict(P.hold, id, LW_HOLD_ACCEPT);
		P.unsent++;
		return;
	}
	lw_privmsg_init(m, LW_PRIV_HELD, 0);
	m->u.held.packet_id = id;
	m->u.held.has_mac = mac != NULL;
	memset(m->u.held.mac, 0, sizeof(m->u.held.mac));
	if (mac)
		memcpy(m->u.held.mac, mac->b, 6);
	m->u.held.len = (uint32_t)len;
	memcpy(m->u.held.data, ip, len);
	if (to_parser(m, true) < 0) {
		lw_hold_verdict(P.hold, id, LW_HOLD_ACCEPT);
		P.unsent++;
		return;
	}
	P.forwarded++;
	P.held[P.n_held].id = id;
	P.held[P.n_held].deadline =
		mono() + (P.stalled ? LW_HOLD_GUARD_STALLED_MS : P.stall_ms) / 1000.0;
	P.n_held++;
}

/* Accepts what waited too long for the parser (all of it with all); the next deadline or 0. */
static double held_expire(bool all)
{
	double now = mono(), next = 0;
	size_t i = 0;

	while (i < P.n_held) {
		if (all || P.held[i].deadline <= now) {
			if (!all && !P.stalled) {
				P.stalled = true;
				P.stalls++;
			}
			P.timed_out += !all;
			held_answer(i, LW_HOLD_ACCEPT);
			continue;
		}
		if (!next || P.held[i].deadline < next)
			next = P.held[i].deadline;
		i++;
	}
	return next;
}

static void on_verdict(const struct lw_privmsg_verdict *v)
{
	size_t i;

	for (i = 0; i < P.n_held; i++)
		if (P.held[i].id == v->packet_id) {
			P.stalled = false;
			held_answer(i, (enum lw_hold_verdict)v->verdict);
			return;
		}
	/* answered here already (too late), or never forwarded: nothing to do */
}

static enum lw_hold_verdict never_inspected(const struct lw_hold_packet *p, void *user_data)
{
	(void)p;
	(void)user_data;
	return LW_HOLD_ACCEPT;
}

static int queue_open(const struct lw_privmsg_rules *r, char *err, size_t errlen)
{
	P.stall_ms = r->stall_ms;
	if (P.hold)
		return 0; /* a fresh parser: the queue stayed */
	P.hold = lw_hold_new(never_inspected, NULL);
	if (!P.hold) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	lw_hold_set_forward(P.hold, on_queued, NULL);
	lw_hold_set_guard_ms(P.hold, r->stall_ms);
	if (lw_hold_open_queue(P.hold, r->queue, err, errlen) < 0) {
		int e = -EIO;

		lw_hold_free(P.hold);
		P.hold = NULL;
		return e;
	}
	return 0;
}

static void queue_close(void)
{
	struct lw_hold_stats hs;

	if (!P.hold)
		return;
	held_expire(true);
	lw_hold_get_stats(P.hold, &hs);
	if (P.stalls || hs.guard_stalls)
		lw_log_info("held packets passed uninspected: %llu after the parser stalled (%llu "
			    "time%s), %llu by the guard after this process stalled (%llu time%s)",
			    (unsigned long long)P.timed_out, (unsigned long long)P.stalls,
			    P.stalls == 1 ? "" : "s", (unsigned long long)hs.guard_released,
			    (unsigned long long)hs.guard_stalls, hs.guard_stalls == 1 ? "" : "s");
	if (P.unsent)
		lw_log_info("held packets passed uninspected: %llu not handed to the parser (none "
			    "running, or too many waiting)",
			    (unsigned long long)P.unsent);
	lw_hold_free(P.hold);
	P.hold = NULL;
}

/* --- nftables ------------------------------------------------------------------------------ */

static void on_watch_elem(enum lw_watch_elem_op op, const struct lw_block_elem *e, void *user_data)
{
	struct lw_privmsg m;
	struct lw_block_elem none = {0};

	(void)user_data;
	if (P.sock < 0 || P.watch_lost)
		return;
	lw_privmsg_init(&m, LW_PRIV_WATCH_ELEM, 0);
	lw_privmsg_put_elem(&m.u.elem, e ? e : &none);
	m.u.elem.op = (uint8_t)op;
	if (to_parser(&m, false) < 0)
		P.watch_lost = true; /* read afresh once the parser has caught up */
}

static void send_settled(void)
{
	struct lw_privmsg m;
	const char *fam = "";

	if (!P.watch || P.sock < 0)
		return;
	lw_privmsg_init(&m, LW_PRIV_WATCH_SETTLED, 0);
	memset(&m.u.settled, 0, sizeof(m.u.settled));
	m.u.settled.table_state = lw_block_watch_table_state(P.watch);
	if (P.rules_on)
		m.u.settled.hold_state = lw_block_watch_hold_state(P.watch, &P.rules, &fam);
	snprintf(m.u.settled.hold_family, sizeof(m.u.settled.hold_family), "%s", fam ? fam : "");
	if (to_parser(&m, false) < 0)
		P.watch_lost = true;
}

static int watch_sync(char *err, size_t errlen)
{
	int r;

	if (!P.nft) {
		snprintf(err, errlen, "no table");
		return -EBADF;
	}
	P.watch_lost = false;
	if (!P.watch)
		r = lw_block_watch_open(P.fam, P.table, on_watch_elem, NULL, &P.watch, err, errlen);
	else
		r = lw_block_watch_sync(P.watch, err, errlen);
	if (r == 0)
		send_settled();
	return r;
}

static void watch_read(void)
{
	int r = lw_block_watch_read(P.watch);

	if (r == LW_WATCH_SETTLED)
		send_settled();
	else if (r < 0)
		lw_log_debug("nftables notifications: %s", strerror(-r));
}

static void watch_close(void)
{
	lw_block_watch_close(P.watch);
	P.watch = NULL;
}

static int nft_open(const struct lw_privmsg_table *t, char *err, size_t errlen)
{
	struct lw_block_nft *n;
	int r;

	if (P.nft && P.fam == t->family) {
		/* a fresh parser takes the table over: put back what is missing, keep elements */
		r = lw_block_nft_restore(P.nft, err, errlen);
		return r < 0 ? r : 0;
	}
	r = lw_block_nft_open((enum lw_block_family)t->family, t->table, &n, err, errlen);
	if (r < 0)
		return r;
	if (P.nft) {
		/* moved to the other family: the old table goes (its watch with it) */
		watch_close();
		lw_block_nft_close(P.nft, false);
	}
	P.nft = n;
	P.fam = (enum lw_block_family)t->family;
	snprintf(P.table, sizeof(P.table), "%s", t->table);
	return 0;
}

static void nft_close(bool keep)
{
	watch_close();
	lw_block_nft_close(P.nft, keep);
	P.nft = NULL;
}

static int nft_elem(const struct lw_privmsg *m)
{
	struct lw_block_elem e;
	char err[256] = "";
	int r;

	if (!P.nft)
		return -EBADF;
	if (m->h.kind == LW_PRIV_NFT_FLUSH) {
		lw_block_nft_flush_sets(P.nft);
		return 0;
	}
	lw_privmsg_get_elem(&m->u.elem, &e);
	r = m->h.kind == LW_PRIV_NFT_ADD ? lw_block_nft_add(P.nft, &e, m->u.elem.timeout)
					 : lw_block_nft_del(P.nft, &e);
	if (r == -E2BIG) {
		/* the parser counts as this side does: only if it sent more than it counted */
		if (lw_block_nft_commit(P.nft, err, sizeof(err)) < 0)
			lw_log_warning("blocking: nftables refused a change: %s", err);
		r = m->h.kind == LW_PRIV_NFT_ADD ? lw_block_nft_add(P.nft, &e, m->u.elem.timeout)
						 : lw_block_nft_del(P.nft, &e);
	}
	return r;
}

/* --- hostapd -------------------------------------------------------------------------------- */

static void on_hostapd(const struct lw_hostapd_event *ev, void *user_data)
{
	struct lw_privmsg m;

	(void)user_data;
	if (P.sock < 0)
		return;
	lw_privmsg_init(&m, LW_PRIV_HOSTAPD_EVENT, 0);
	memset(&m.u.hostapd, 0, sizeof(m.u.hostapd));
	m.u.hostapd.type = (uint8_t)ev->type;
	memcpy(m.u.hostapd.mac, ev->mac.b, 6);
	m.u.hostapd.connected_time = ev->connected_time;
	snprintf(m.u.hostapd.ifname, sizeof(m.u.hostapd.ifname), "%s", ev->ifname);
	if (to_parser(&m, false) < 0)
		lw_log_warning("hostapd: an event for the parser lost (it reads nothing)");
}

static void hostapd_stop(void)
{
	struct lw_hostapd_stats hs = {0};

	if (!P.hostapd)
		return;
	lw_hostapd_get_stats(P.hostapd, &hs);
	if (hs.malformed || hs.failures)
		lw_log_info("hostapd: %llu station events, %llu malformed lines ignored, %llu "
			    "connection failures",
			    (unsigned long long)hs.events, (unsigned long long)hs.malformed,
			    (unsigned long long)hs.failures);
	lw_hostapd_free(P.hostapd);
	P.hostapd = NULL;
}

/* (Re)starts the client: a fresh parser gets every interface's station list. */
static int hostapd_start(void)
{
	struct lw_hostapd_config hc = {.ctrl_dir = P.cfg->hostapd_ctrl_dir};
	int r;

	hostapd_stop();
	r = lw_hostapd_new(&hc, on_hostapd, NULL, &P.hostapd);
	if (r < 0)
		return r;
	lw_hostapd_tick(P.hostapd, mono_us()); /* the sockets already there, at once */
	P.next_tick = mono() + HOSTAPD_TICK;
	return 0;
}

/* --- the parser's messages ------------------------------------------------------------------- */

static void notify(const struct lw_privmsg_notify *n)
{
	static const char *const what[] = {"", "READY=1", "WATCHDOG=1", "STOPPING=1", ""};
	char text[LW_PRIVMSG_STATUS_MAX + 32];

	snprintf(text, sizeof(text), "%s%s%s%s", what[n->what], what[n->what][0] ? "\n" : "",
		 n->status[0] ? "STATUS=" : "", n->status);
	lw_sd_notify(text);
}

/* What is not the parser's to ask; false when m is refused (counted, the first few logged). */
static bool allowed(const struct lw_privmsg *m)
{
	enum lw_privmsg_refusal r = lw_privmsg_validate(m, &P.policy);

	if (r == LW_PRIV_OK && m->h.kind == LW_PRIV_HOSTAPD_START && !P.cfg->ap_enabled)
		r = LW_PRIV_REFUSED_KIND;
	if (r == LW_PRIV_OK && m->h.kind == LW_PRIV_BRNF && !P.cfg->block_enabled)
		r = LW_PRIV_REFUSED_KIND;
	if (r == LW_PRIV_OK)
		return true;
	if (P.refused++ < 10)
		lw_log_warning("refused the parser's %s: %s%s", lw_privmsg_kind_str(m->h.kind),
			       lw_privmsg_refusal_str(r),
			       P.refused == 10 ? " (further refusals are counted, not logged)"
					       : "");
	return false;
}

static void handle(const struct lw_privmsg *m)
{
	struct lw_privmsg_reply r;
	char err[LW_PRIVMSG_TEXT_MAX] = "";
	bool fixed = false;
	int e;

	if (!allowed(m)) {
		if (m->h.seq)
			reply_status(m->h.seq, -EPERM, "refused");
		return;
	}
	memset(&r, 0, sizeof(r));
	switch (m->h.kind) {
	case LW_PRIV_NFT_OPEN:
		e = nft_open(&m->u.table, err, sizeof(err));
		reply_status(m->h.seq, e, err);
		return;
	case LW_PRIV_NFT_RESTORE:
		e = P.nft ? lw_block_nft_restore(P.nft, err, sizeof(err)) : -EBADF;
		reply_status(m->h.seq, e, err);
		return;
	case LW_PRIV_NFT_CLOSE:
		nft_close(m->u.table.keep);
		reply_status(m->h.seq, 0, NULL);
		return;
	case LW_PRIV_NFT_COMMIT:
		e = P.nft ? lw_block_nft_commit(P.nft, err, sizeof(err)) : -EBADF;
		reply_status(m->h.seq, e, err);
		return;
	case LW_PRIV_NFT_FLOWTABLES:
		r.status =
			P.nft ? lw_block_nft_list(P.nft, "list flowtables", r.text, sizeof(r.text))
			      : -EBADF;
		reply(m->h.seq, &r);
		return;
	case LW_PRIV_RULES_INSTALL:
		snprintf(P.rules.table, sizeof(P.rules.table), "%s", m->u.rules.table);
		P.rules.queue = m->u.rules.queue;
		P.rules.what = m->u.rules.what;
		P.rules.path = (enum lw_queue_path)m->u.rules.path;
		r.status = P.nft ? lw_hold_rules_install(&P.rules, P.nft, r.text, sizeof(r.text))
				 : -EBADF;
		P.rules_on = r.status == 0;
		r.via = P.rules.via;
		r.v6 = P.rules.v6;
		r.nft_tried = P.rules.nft_tried;
		r.nft_refused = P.rules.nft_refused;
		reply(m->h.seq, &r);
		return;
	case LW_PRIV_RULES_REMOVE:
		if (P.nft)
			lw_hold_rules_remove(&P.rules, P.nft);
		P.rules_on = false;
		reply_status(m->h.seq, 0, NULL);
		return;
	case LW_PRIV_WATCH_SYNC:
		e = watch_sync(err, sizeof(err));
		reply_status(m->h.seq, e, err);
		return;
	case LW_PRIV_QUEUE_OPEN:
		e = queue_open(&m->u.rules, err, sizeof(err));
		reply_status(m->h.seq, e, err);
		return;
	case LW_PRIV_HOSTAPD_START:
		e = hostapd_start();
		reply_status(m->h.seq, e, e < 0 ? strerror(-e) : NULL);
		return;
	case LW_PRIV_BRNF:
		r.brnf = (uint8_t)lw_blockenv_brnf(true, &fixed);
		r.fixed = fixed;
		reply(m->h.seq, &r);
		return;
	case LW_PRIV_NFT_ADD:
	case LW_PRIV_NFT_DEL:
	case LW_PRIV_NFT_FLUSH:
		nft_elem(m);
		return;
	case LW_PRIV_VERDICT:
		on_verdict(&m->u.verdict);
		return;
	case LW_PRIV_NOTIFY:
		notify(&m->u.notify);
		return;
	}
}

/* The parser hung up (or broke the format): no more messages from it. */
static void parser_hung_up(void)
{
	struct pending *p;

	if (P.sock < 0)
		return;
	close(P.sock);
	P.sock = -1;
	P.hung_up = mono();
	while ((p = P.out_head)) {
		P.out_head = p->next;
		free(p);
	}
	P.out_tail = NULL;
	P.out_bytes = 0;
	held_expire(true);
}

static void read_parser(void)
{
	ssize_t n;
	int i;

	for (i = 0; i < READS_PER_ROUND && P.sock >= 0; i++) {
		n = recv(P.sock, P.buf, sizeof(P.buf), MSG_DONTWAIT | MSG_TRUNC);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0) {
			parser_hung_up();
			return;
		}
		if (lw_privmsg_decode(P.buf, (size_t)n, &P.in) < 0) {
			/* a parser that breaks the format is not one to talk with */
			lw_log_error("a malformed message from the parser (%zd bytes): stopping it",
				     n);
			if (P.parser > 0)
				kill(P.parser, SIGKILL);
			parser_hung_up();
			return;
		}
		handle(&P.in);
	}
}

/* --- signals and children ------------------------------------------------------------------- */

static void reap(void)
{
	int st;

	if (P.notifier > 0 && waitpid(P.notifier, &st, WNOHANG) == P.notifier) {
		P.notifier = 0;
		if (P.parser > 0 && !P.stopping) {
			lw_log_error("the alerts process ended (%s %d): stopping",
				     WIFSIGNALED(st) ? "signal" : "status",
				     WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
			P.status = EX_SOFTWARE;
			kill(P.parser, SIGTERM);
		}
	}
	if (P.parser > 0 && waitpid(P.parser, &st, WNOHANG) == P.parser) {
		P.parser = 0;
		P.parser_exited = true;
		P.parser_status = st;
	}
	if (P.resolver > 0 && waitpid(P.resolver, &st, WNOHANG) == P.resolver) {
		P.resolver = 0;
		/* status 0: its socket closed, the parser is ending (perhaps not reaped yet) */
		if (P.parser > 0 && !P.stopping && !(WIFEXITED(st) && WEXITSTATUS(st) == 0)) {
			lw_log_error("the resolver process ended (%s %d): stopping",
				     WIFSIGNALED(st) ? "signal" : "status",
				     WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
			P.status = EX_SOFTWARE;
			kill(P.parser, SIGTERM);
		}
	}
}

static void on_signals(void)
{
	struct signalfd_siginfo si;

	while (read(P.sigfd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGCHLD) {
			reap();
			continue;
		}
		if (P.parser > 0) {
			kill(P.parser, (int)si.ssi_signo); /* it stops (or logs a SIGHUP) */
			if (si.ssi_signo != SIGHUP)
				P.stopping = true;
			continue;
		}
		if (si.ssi_signo == SIGHUP) {
			lw_log_info("SIGHUP: reload is not supported yet; restart to apply a new "
				    "configuration");
			continue;
		}
		P.stopping = true;
	}
}

static void ping_watchdog(double now)
{
	if (!P.watchdog_usec || now < P.next_ping)
		return;
	lw_sd_notify("WATCHDOG=1");
	P.next_ping = now + (double)P.watchdog_usec / 2e6;
}

/* --- the loop ---------------------------------------------------------------------------------- */

enum {
	FD_SIG,
	FD_PARSER,
	FD_QUEUE,
	FD_WATCH,
	FD_HOSTAPD,
	FD_COUNT,
};

/*
 * One round: waits for something (at most until the next deadline) and handles it.  Without a
 * parser (waiting for the interface) wait_max bounds the wait and held packets pass at once.
 */
static void round_once(double wait_max)
{
	struct pollfd pfd[FD_COUNT];
	double now = mono(), next = now + wait_max, held;
	int i, timeout;

	for (i = 0; i < FD_COUNT; i++)
		pfd[i] = (struct pollfd){.fd = -1, .events = POLLIN};
	pfd[FD_SIG].fd = P.sigfd;
	pfd[FD_PARSER].fd = P.sock;
	if (P.out_head)
		pfd[FD_PARSER].events |= POLLOUT;
	if (P.hold)
		pfd[FD_QUEUE].fd = lw_hold_fd(P.hold);
	if (P.watch)
		pfd[FD_WATCH].fd = lw_block_watch_fd(P.watch);
	if (P.hostapd) {
		pfd[FD_HOSTAPD].fd = lw_hostapd_fd(P.hostapd);
		next = LW_MIN(next, P.next_tick);
	}
	held = held_expire(false);
	if (held)
		next = LW_MIN(next, held);
	if (P.watchdog_usec && P.sock < 0)
		next = LW_MIN(next, P.next_ping);
	timeout = next <= now ? 0 : (int)((next - now) * 1000) + 1;
	if (poll(pfd, FD_COUNT, timeout) < 0 && errno != EINTR) {
		lw_log_error("poll: %s", strerror(errno));
		P.stopping = true;
		return;
	}
	if (pfd[FD_QUEUE].revents && P.hold)
		lw_hold_dispatch(P.hold, mono_us());
	if (pfd[FD_PARSER].revents & POLLOUT && P.sock >= 0 && flush_pending() < 0)
		parser_hung_up();
	if (!P.out_head && P.watch_lost && P.watch && P.sock >= 0) {
		char err[256];

		watch_sync(err, sizeof(err));
	}
	if (pfd[FD_PARSER].revents & (POLLIN | POLLHUP | POLLERR))
		read_parser();
	if (pfd[FD_WATCH].revents && P.watch)
		watch_read();
	if (P.hostapd) {
		if (pfd[FD_HOSTAPD].revents)
			lw_hostapd_dispatch(P.hostapd, mono_us());
		if (mono() >= P.next_tick) {
			lw_hostapd_tick(P.hostapd, mono_us());
			P.next_tick = mono() + HOSTAPD_TICK;
		}
	}
	if (pfd[FD_SIG].revents)
		on_signals();
	if (P.sock < 0)
		ping_watchdog(mono());
}

/* --- the resolver helper --------------------------------------------------------------------- */

static void resolve(const char *name, struct lw_privmsg_resolved *out)
{
	struct addrinfo hints, *ai = NULL, *p;
	int r;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM; /* one entry per address */
	r = getaddrinfo(name, NULL, &hints, &ai);
	if (r != 0) {
		out->status = r;
		snprintf(out->error, sizeof(out->error), "%s", gai_strerror(r));
		return;
	}
	for (p = ai; p && out->n < LW_PRIVMSG_RESOLVE_ADDRS; p = p->ai_next) {
		struct lw_addr a;
		uint32_t k;

		if (p->ai_family == AF_INET)
			lw_addr_from_v4(
				&a, (const uint8_t *)&((struct sockaddr_in *)p->ai_addr)->sin_addr);
		else if (p->ai_family == AF_INET6)
			lw_addr_from_v6(&a, ((struct sockaddr_in6 *)p->ai_addr)->sin6_addr.s6_addr);
		else
			continue;
		for (k = 0; k < out->n; k++)
			if (out->addrs[k].family == a.family &&
			    !memcmp(out->addrs[k].addr, a.b, 16))
				break;
		if (k < out->n)
			continue;
		out->addrs[out->n].family = a.family;
		memcpy(out->addrs[out->n].addr, a.b, 16);
		out->n++;
	}
	freeaddrinfo(ai);
}

static _Noreturn void resolver_run(int fd)
{
	ssize_t n;

	for (;;) {
		n = recv(fd, P.buf, sizeof(P.buf), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			_exit(0);
		if (lw_privmsg_decode(P.buf, (size_t)n, &P.in) < 0 ||
		    P.in.h.kind != LW_PRIV_RESOLVE)
			continue;
		lw_privmsg_init(&P.out, LW_PRIV_RESOLVED, P.in.h.seq);
		memset(&P.out.u.resolved, 0, sizeof(P.out.u.resolved));
		resolve(P.in.u.resolve.name, &P.out.u.resolved);
		if (send(fd, &P.out, lw_privmsg_size(&P.out), MSG_NOSIGNAL) < 0 && errno == EPIPE)
			_exit(0);
	}
}

/* --- the alerts' delivery ------------------------------------------------------------------- */

/* Every string of e ends inside its array, the type is one of the three. */
static bool alert_ok(const struct lw_alert_event *e)
{
#define TERMINATED(f) (memchr(e->f, '\0', sizeof(e->f)) != NULL)
	return (unsigned)e->type <= LW_ALERT_COUNT && TERMINATED(mac) && TERMINATED(name) &&
	       TERMINATED(label) && TERMINATED(hostname) && TERMINATED(vendor) &&
	       TERMINATED(domain) && TERMINATED(dst_ip) && TERMINATED(proto) && TERMINATED(kind) &&
	       TERMINATED(confidence) && TERMINATED(location);
#undef TERMINATED
}

/* The notifier: starts the sinks, says whether it could (one byte), then queues events. */
static _Noreturn void notifier_run(int fd, const char *config)
{
	struct lw_alert_event e;
	struct lw_notify *n = NULL;
	char err[512] = "";
	uint8_t status;
	uint64_t bad = 0;
	ssize_t got;
	int r;

	r = lw_notify_start(P.cfg, &n, err, sizeof(err));
	if (r < 0)
		lw_log_error("%s: %s", r == -EINVAL && config ? config : "alerts",
			     r == -ENOMEM ? "out of memory" : err);
	status = r == 0 ? EX_OK : r == -EINVAL ? EX_CONFIG : EX_OSERR;
	if (send(fd, &status, 1, MSG_NOSIGNAL) != 1 || status != EX_OK)
		_exit(status);
	for (;;) {
		got = recv(fd, &e, sizeof(e), MSG_TRUNC);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			break; /* every writer closed its end: the daemon stops */
		if (got != (ssize_t)sizeof(e) || !alert_ok(&e)) {
			if (bad++ == 0)
				lw_log_warning("alerts: a malformed event from the parser ignored "
					       "(further ones are counted)");
			continue;
		}
		lw_notify_push(n, &e);
	}
	lw_notify_stop(n); /* delivers what is queued, within its bounds */
	if (bad)
		lw_log_warning("alerts: %llu malformed events from the parser ignored",
			       (unsigned long long)bad);
	_exit(EX_OK);
}

/* --- starting a parser ------------------------------------------------------------------------ */

static int fd_cmp(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

/* Closes every fd from 3 on but those in keep. */
static void close_others(int *keep, size_t n)
{
	unsigned lo = 3;
	size_t i;

	qsort(keep, n, sizeof(*keep), fd_cmp);
	for (i = 0; i < n; i++) {
		if (keep[i] < 3)
			continue;
		if ((unsigned)keep[i] > lo)
			close_range(lo, (unsigned)keep[i] - 1, 0);
		lo = (unsigned)keep[i] + 1;
	}
	close_range(lo, ~0U, 0);
}

/* What every child does first: die with this process, its own name, the signal mask back. */
static void child_setup(const char *name)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != P.self)
		_exit(EX_SOFTWARE); /* this process died before the line above */
	prctl(PR_SET_NAME, name);
	sigprocmask(SIG_SETMASK, &P.oldmask, NULL);
}

static void bigger_buffer(int fd)
{
	int size = SOCK_BUF;

	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof(size)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
}

static pid_t start_resolver(int *parser_end)
{
	char err[256];
	int sv[2];
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		close(sv[0]);
		close(sv[1]);
		return -errno;
	}
	if (pid == 0) {
		int keep[] = {sv[1]};

		child_setup("leakwatchd-dns");
		close_others(keep, 1);
		/* it ends with its socket or this process, not with a stop signal to the group */
		signal(SIGTERM, SIG_IGN);
		signal(SIGINT, SIG_IGN);
		signal(SIGHUP, SIG_IGN);
		if (lw_sandbox_resolver(err, sizeof(err)) < 0) {
			lw_log_error("the resolver process: %s", err);
			_exit(EX_NOPERM);
		}
		resolver_run(sv[1]);
	}
	close(sv[1]);
	*parser_end = sv[0];
	return pid;
}

/*
 * Forks the notifier when [alerts] names a sink: 0, or the exit status when it could not start
 * (it said why).
 */
static int start_notifier(const char *config)
{
	const struct lw_config *cfg = P.cfg;
	char err[256];
	uint8_t status = EX_OSERR;
	int sv[2];
	pid_t pid;

	if (!cfg->alerts_exec[0] && !cfg->mqtt_host[0])
		return 0;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		lw_log_error("alerts: %s", strerror(errno));
		return EX_OSERR;
	}
	bigger_buffer(sv[0]);
	pid = fork();
	if (pid < 0) {
		lw_log_error("alerts: cannot start its process: %s", strerror(errno));
		close(sv[0]);
		close(sv[1]);
		return EX_OSERR;
	}
	if (pid == 0) {
		int keep[] = {sv[1]};

		child_setup("leakwatchd-notify");
		close_others(keep, 1);
		/* it ends when its socket does (this process's end closes last), draining first */
		signal(SIGTERM, SIG_IGN);
		signal(SIGINT, SIG_IGN);
		signal(SIGHUP, SIG_IGN);
		if (lw_sandbox_notifier(err, sizeof(err)) < 0) {
			lw_log_error("the alerts process: %s", err);
			_exit(EX_NOPERM);
		}
		notifier_run(sv[1], config);
	}
	close(sv[1]);
	P.notifier = pid;
	P.notify = sv[0];
	while (recv(sv[0], &status, 1, 0) < 0 && errno == EINTR)
		;
	if (status != EX_OK) {
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		P.notifier = 0;
	}
	return status;
}

/* At the end: the notifier's socket closes, it delivers what it has and exits. */
static void stop_notifier(void)
{
	if (P.notify >= 0)
		close(P.notify);
	P.notify = -1;
	if (P.notifier > 0)
		while (waitpid(P.notifier, NULL, 0) < 0 && errno == EINTR)
			;
	P.notifier = 0;
}

/* Forks the parser with cap; returns LW_PRIV_PARSER in it, 0 here, or -errno. */
static int start_parser(struct lw_capture *cap)
{
	int sv[2], rfd = -1;
	char err[256];
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	bigger_buffer(sv[0]);
	bigger_buffer(sv[1]);
	if (P.cfg->block_enabled) {
		pid = start_resolver(&rfd);
		if (pid < 0) {
			close(sv[0]);
			close(sv[1]);
			return (int)pid;
		}
		P.resolver = pid;
	}
	pid = fork();
	if (pid < 0) {
		int e = -errno;

		close(sv[0]);
		close(sv[1]);
		if (rfd >= 0)
			close(rfd);
		return e;
	}
	if (pid == 0) {
		int keep[] = {lw_capture_fd(cap), sv[1], rfd, P.notify};

		child_setup("leakwatchd");
		close_others(keep, LW_ARRAY_SIZE(keep));
		unsetenv("NOTIFY_SOCKET"); /* this process tells systemd */
		lw_privc_init(sv[1], rfd, P.notify, P.watchdog_usec, (int)P.self);
		if (lw_sandbox_parser(lw_capture_fd(cap), err, sizeof(err)) < 0) {
			lw_log_error("the parser's sandbox: %s", err);
			_exit(EX_NOPERM);
		}
		return LW_PRIV_PARSER;
	}
	close(sv[1]);
	if (rfd >= 0)
		close(rfd);
	P.parser = pid;
	P.parser_exited = false;
	P.sock = sv[0];
	P.hung_up = 0;
	if (!P.named) {
		/* after the first fork: the parser keeps "leakwatchd", what pgrep finds */
		prctl(PR_SET_NAME, "leakwatchd-priv");
		P.named = true;
	}
	return 0;
}

/* Until the parser has exited and hung up (killed if it hangs up without exiting). */
static void serve(void)
{
	while (P.parser > 0 || P.sock >= 0) {
		round_once(1.0);
		if (P.sock < 0 && P.parser > 0 && mono() - P.hung_up > HANGUP_WAIT) {
			lw_log_error("the parser hung up without exiting: killing it");
			kill(P.parser, SIGKILL);
			P.hung_up = mono();
		}
	}
	held_expire(true);
	if (P.resolver > 0) {
		kill(P.resolver, SIGKILL);
		while (waitpid(P.resolver, NULL, 0) < 0 && errno == EINTR)
			;
		P.resolver = 0;
	}
}

/* Waits for the interface and opens the capture again: 0, or the exit status. */
static int recapture(struct lw_capture **capp)
{
	const struct lw_config *cfg = P.cfg;
	struct lw_capture *cap;
	char err[512] = "";
	bool up = false;

	lw_sd_notifyf("STATUS=%s is down; waiting for it", cfg->interface);
	P.next_ping = 0;
	while (!P.stopping) {
		round_once(RELINK_POLL);
		if (!lw_nl_ifup(cfg->interface))
			continue;
		if (!up)
			lw_log_info("%s is up", cfg->interface); /* as the parser's netlink says */
		up = true;
		if (lw_capture_open_live(cfg->interface,
					 &(struct lw_capture_config){cfg->snaplen, cfg->buffer_kb,
								     cfg->promisc, 100},
					 &cap, err, sizeof(err)) < 0)
			continue; /* still going up: the next round tries again */
		if (lw_capture_linktype(cap) != P.dlt) {
			lw_log_error("%s: came back with another link type (%s)", cfg->interface,
				     lw_capture_linktype_name(cap));
			lw_capture_close(cap);
			return EX_UNAVAILABLE;
		}
		lw_log_info("%s: capturing again", cfg->interface);
		*capp = cap;
		return 0;
	}
	return EX_OK;
}

/* The parser's wait status as the daemon's exit status. */
static int parser_exit_status(void)
{
	int st = P.parser_status;

	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	lw_log_error("the parser was killed by signal %d: stopping (held packets pass)",
		     WIFSIGNALED(st) ? WTERMSIG(st) : 0);
	return EX_SOFTWARE;
}

/*
 * The end: held packets pass, the hold rules go (a parser that stopped normally removed them
 * and closed the table itself); a table still open stays unless !keep.
 */
static void finish(bool keep)
{
	if (P.rules_on && P.nft)
		lw_hold_rules_remove(&P.rules, P.nft);
	P.rules_on = false;
	queue_close();
	if (P.nft)
		nft_close(keep);
	hostapd_stop();
	stop_notifier();
	if (P.status == EX_OK)
		lw_sd_notify("STOPPING=1");
	close(P.sigfd);
	P.sigfd = -1;
}

int lw_priv_split(const struct lw_config *cfg, const char *config, struct lw_capture **capp)
{
	sigset_t mask;
	int r;

	P.cfg = cfg;
	P.self = getpid();
	P.dlt = lw_capture_linktype(*capp);
	if (lw_sd_watchdog_enabled(&P.watchdog_usec) <= 0)
		P.watchdog_usec = 0;
	if (lw_pipeline_guard_init(&P.guard, cfg) < 0)
		lw_log_warning(
			"blocking: the table of addresses never blocked is full; some LAN or "
			"resolver addresses are not protected");
	P.policy.table = cfg->block_table;
	P.policy.queue = (uint16_t)cfg->block_queue_num;
	P.policy.guard = &P.guard;
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGCHLD);
	sigprocmask(SIG_BLOCK, &mask, &P.oldmask);
	P.sigfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (P.sigfd < 0) {
		lw_log_error("signalfd: %s", strerror(errno));
		sigprocmask(SIG_SETMASK, &P.oldmask, NULL);
		return EX_OSERR;
	}
	P.status = EX_OK;
	r = start_notifier(config);
	if (r != EX_OK) {
		lw_capture_close(*capp);
		*capp = NULL;
		finish(true);
		return r;
	}
	for (;;) {
		r = start_parser(*capp);
		if (r == LW_PRIV_PARSER)
			return LW_PRIV_PARSER;
		/*
		 * The parser's now; this process keeps its reference until the parser has ended
		 * (closing it here would tell the kernel to tear down the shared ring).
		 */
		P.cap = *capp;
		*capp = NULL;
		if (r < 0) {
			lw_log_error("cannot start the parser: %s", strerror(-r));
			P.status = EX_OSERR;
			break;
		}
		serve();
		lw_capture_close(P.cap);
		P.cap = NULL;
		r = parser_exit_status();
		if (r != LW_PRIV_EXIT_CAPTURE_LOST) {
			if (P.status == EX_OK)
				P.status = r;
			finish(true);
			return P.status;
		}
		if (P.stopping)
			break;
		r = recapture(capp);
		if (r != 0 || !*capp) {
			P.status = r;
			break;
		}
	}
	lw_capture_close(P.cap);
	P.cap = NULL;
	/* stopped while no parser ran (its table kept for the next one): as the configuration says */
	finish(P.cfg->block_keep_table);
	return P.status;
}
