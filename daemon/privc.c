/* SPDX-License-Identifier: MIT */
/* privc: the parser's side of privilege separation (privc.h; priv.c). */
#include "privc.h"

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

#define QUEUED_MAX 65536 /* messages waiting for the loop; nftables notifications beyond are lost */

/* A message received during a call, kept for the loop (its first size bytes). */
struct queued {
	struct queued *next;
	size_t size;
	union {
		struct lw_privmsg m; /* the first size bytes only */
		uint8_t b[1];
	} u;
};

struct lw_privc_nft {
	enum lw_block_family fam;
	bool flush;
	size_t n_add, n_del; /* sent since the last commit (the privileged side's may be fewer) */
};

struct lw_privc_watch {
	lw_watch_elem_fn fn;
	void (*settled)(void *user_data);
	void *user_data;
	bool complete; /* the last message was a transaction's end */
	unsigned table_state, hold_state;
	char hold_family[8];
};

static struct {
	int fd, resolver, notify, efd;
	uint64_t alerts_lost;
	bool active, gone, handover, dispatching;
	uint32_t seq, resolve_seq;
	uint64_t watchdog_usec;
	int main_pid;
	struct lw_loop *loop;
	void (*gone_fn)(void *user_data);
	void *gone_data;
	struct queued *head, *tail;
	size_t n_queued;
	uint64_t lost; /* messages not queued (QUEUED_MAX) */
	struct lw_privc_nft *nft; /* the table as last opened */
	struct lw_privc_watch *watch;
	struct lw_hold *hold;
	lw_hostapd_fn hostapd_fn;
	void *hostapd_data;
	struct lw_privmsg in; /* decoded (by every receive, calls' included) */
	struct lw_privmsg cur; /* the one being handled, when it came straight from the socket */
	uint8_t buf[sizeof(struct lw_privmsg) + 1];
} pc = {.fd = -1, .resolver = -1, .notify = -1, .efd = -1};

void lw_privc_init(int fd, int resolver_fd, int notify_fd, uint64_t watchdog_usec, int main_pid)
{
	pc.fd = fd;
	pc.resolver = resolver_fd;
	pc.notify = notify_fd;
	pc.watchdog_usec = watchdog_usec;
	pc.main_pid = main_pid;
	pc.active = true;
}

bool lw_privc_active(void)
{
	return pc.active;
}

uint64_t lw_privc_watchdog_usec(void)
{
	return pc.watchdog_usec;
}

int lw_privc_main_pid(void)
{
	return pc.active ? pc.main_pid : (int)getpid();
}

void lw_privc_handover(void)
{
	pc.handover = true;
}

bool lw_privc_handing_over(void)
{
	return pc.handover;
}

/* --- sending and receiving -------------------------------------------------------------------- */

static void hung_up(void)
{
	if (pc.gone)
		return;
	pc.gone = true;
	lw_log_error("the privileged process hung up");
	if (pc.loop)
		lw_loop_remove_fd(pc.loop, pc.fd);
	if (pc.gone_fn)
		pc.gone_fn(pc.gone_data);
}

static int send_msg(int fd, const struct lw_privmsg *m)
{
	size_t size = lw_privmsg_size(m);
	ssize_t n;

	if (fd < 0 || (fd == pc.fd && pc.gone))
		return -EPIPE;
	do
		n = send(fd, m, size, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n == (ssize_t)size)
		return 0;
	if (fd == pc.fd)
		hung_up();
	return -EPIPE;
}

/* An event (no answer). */
static int post(struct lw_privmsg *m)
{
	m->h.seq = 0;
	return send_msg(pc.fd, m);
}

static void wake_loop(void)
{
	uint64_t one = 1;

	if (pc.efd >= 0 && write(pc.efd, &one, sizeof(one)) < 0) {
		/* the counter cannot overflow this way; nothing else to do */
	}
}

static void enqueue(const struct lw_privmsg *m)
{
	size_t size = lw_privmsg_size(m);
	struct queued *q;

	if (pc.n_queued >= QUEUED_MAX || !(q = malloc(offsetof(struct queued, u) + size))) {
		/* a lost element notification: read the watch afresh rather than trust the mirror */
		if (m->h.kind == LW_PRIV_WATCH_ELEM && pc.watch && pc.watch->fn)
			pc.watch->fn(LW_WATCH_ALL_GONE, NULL, pc.watch->user_data);
		pc.lost++;
		return;
	}
	q->next = NULL;
	q->size = size;
	memcpy(q->u.b, m, size);
	if (pc.tail)
		pc.tail->next = q;
	else
		pc.head = q;
	pc.tail = q;
	if (pc.n_queued++ == 0 && !pc.dispatching)
		wake_loop(); /* (a dispatch under way takes it anyway) */
}

static struct queued *dequeue(void)
{
	struct queued *q = pc.head;

	if (!q)
		return NULL;
	pc.head = q->next;
	if (!pc.head)
		pc.tail = NULL;
	pc.n_queued--;
	return q;
}

/* Receives one message into pc.in: 1, 0 when nothing waits (!block), -EPIPE on hang-up. */
static int receive(bool block)
{
	ssize_t n;

	for (;;) {
		n = recv(pc.fd, pc.buf, sizeof(pc.buf), block ? 0 : MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		if (n <= 0) {
			hung_up();
			return -EPIPE;
		}
		if (lw_privmsg_decode(pc.buf, (size_t)n, &pc.in) == 0)
			return 1;
		lw_log_warning("a malformed message from the privileged process (%zd bytes)", n);
	}
}

/* Sends m, waits for its answer; what comes meanwhile is queued.  The reply's status. */
static int call(struct lw_privmsg *m, struct lw_privmsg_reply *reply)
{
	uint32_t seq = ++pc.seq;
	int r;

	memset(reply, 0, sizeof(*reply));
	if (!pc.active)
		return -ENOTCONN;
	m->h.seq = seq;
	if (send_msg(pc.fd, m) < 0)
		return -EPIPE;
	while ((r = receive(true)) > 0) {
		if (pc.in.h.kind != LW_PRIV_REPLY) {
			enqueue(&pc.in);
			continue;
		}
		if (pc.in.h.seq != seq)
			continue; /* an answer to a call given up on */
		*reply = pc.in.u.reply;
		return reply->status;
	}
	return -EPIPE;
}

static void set_err(char *err, size_t errlen, const struct lw_privmsg_reply *reply, int r)
{
	if (!err || !errlen)
		return;
	if (reply->text[0])
		snprintf(err, errlen, "%s", reply->text);
	else if (r == -EPIPE || r == -ENOTCONN)
		snprintf(err, errlen, "the privileged process is gone");
	else
		snprintf(err, errlen, "%s", strerror(r < 0 ? -r : EIO));
}

/* --- what the privileged part sends ---------------------------------------------------------- */

static lw_time_us wall_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (lw_time_us)ts.tv_sec * LW_USEC_PER_SEC + ts.tv_nsec / 1000;
}

static void on_held(const struct lw_privmsg_held *p)
{
	struct lw_privmsg v;
	struct lw_mac mac;

	lw_privmsg_init(&v, LW_PRIV_VERDICT, 0);
	v.u.verdict.packet_id = p->packet_id;
	v.u.verdict.verdict = LW_HOLD_ACCEPT;
	if (pc.hold && p->len) {
		if (p->has_mac)
			memcpy(mac.b, p->mac, 6);
		v.u.verdict.verdict = (uint8_t)lw_hold_inspect(pc.hold, p->data, p->len,
							       p->has_mac ? &mac : NULL, wall_us());
	}
	post(&v);
}

static void on_watch(const struct lw_privmsg *m, bool settle)
{
	struct lw_privc_watch *w = pc.watch;
	struct lw_block_elem e;

	if (!w)
		return;
	if (m->h.kind == LW_PRIV_WATCH_SETTLED) {
		w->table_state = m->u.settled.table_state;
		w->hold_state = m->u.settled.hold_state;
		snprintf(w->hold_family, sizeof(w->hold_family), "%s", m->u.settled.hold_family);
		w->complete = true;
		if (settle && w->settled)
			w->settled(w->user_data);
		return;
	}
	w->complete = false;
	lw_privmsg_get_elem(&m->u.elem, &e);
	w->fn((enum lw_watch_elem_op)m->u.elem.op, m->u.elem.op == LW_WATCH_ALL_GONE ? NULL : &e,
	      w->user_data);
}

static void on_hostapd(const struct lw_privmsg_hostapd *h)
{
	struct lw_hostapd_event ev;

	if (!pc.hostapd_fn)
		return;
	memset(&ev, 0, sizeof(ev));
	ev.type = (enum lw_hostapd_event_type)h->type;
	ev.ifname = h->ifname;
	memcpy(ev.mac.b, h->mac, 6);
	ev.connected_time = (long)h->connected_time;
	pc.hostapd_fn(&ev, pc.hostapd_data);
}

static void handle(const struct lw_privmsg *m)
{
	switch (m->h.kind) {
	case LW_PRIV_HELD:
		on_held(&m->u.held);
		return;
	case LW_PRIV_WATCH_ELEM:
	case LW_PRIV_WATCH_SETTLED:
		on_watch(m, true);
		return;
	case LW_PRIV_HOSTAPD_EVENT:
		on_hostapd(&m->u.hostapd);
		return;
	default:
		lw_log_debug("privileged process: unexpected %s", lw_privmsg_kind_str(m->h.kind));
	}
}

/* What is queued, then what waits on the socket, until both are empty. */
static void dispatch(void)
{
	struct queued *q;
	int r;

	if (pc.dispatching)
		return;
	pc.dispatching = true;
	for (;;) {
		if ((q = dequeue())) {
			handle(&q->u.m);
			free(q);
			continue;
		}
		r = pc.gone ? 0 : receive(false);
		if (r <= 0)
			break;
		if (pc.in.h.kind == LW_PRIV_REPLY)
			continue;
		/* a call made while handling it receives into pc.in */
		memcpy(&pc.cur, &pc.in, lw_privmsg_size(&pc.in));
		handle(&pc.cur);
	}
	pc.dispatching = false;
}

static void on_fd(int fd, unsigned events, void *user_data)
{
	uint64_t v;

	(void)events;
	(void)user_data;
	if (fd == pc.efd && read(pc.efd, &v, sizeof(v)) < 0) {
		/* EAGAIN: already read */
	}
	dispatch();
}

int lw_privc_attach(struct lw_loop *loop, void (*gone)(void *user_data), void *user_data)
{
	int r;

	if (!pc.active)
		return 0;
	pc.gone_fn = gone;
	pc.gone_data = user_data;
	pc.efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (pc.efd < 0)
		return -errno;
	r = lw_loop_add_fd(loop, pc.fd, on_fd, NULL);
	if (r == 0)
		r = lw_loop_add_fd(loop, pc.efd, on_fd, NULL);
	if (r < 0)
		return r;
	pc.loop = loop;
	/* held packets come this way: served before (and between) other sources */
	lw_loop_set_urgent(loop, pc.fd);
	lw_loop_set_urgent(loop, pc.efd);
	if (pc.head)
		wake_loop();
	return 0;
}

void lw_privc_detach(void)
{
	struct queued *q;

	if (pc.loop) {
		lw_loop_remove_fd(pc.loop, pc.fd);
		lw_loop_remove_fd(pc.loop, pc.efd);
		pc.loop = NULL;
	}
	if (pc.efd >= 0)
		close(pc.efd);
	pc.efd = -1;
	while ((q = dequeue()))
		free(q);
	pc.gone_fn = NULL;
	if (pc.lost)
		lw_log_info("%llu messages of the privileged process lost (more than %d waiting)",
			    (unsigned long long)pc.lost, QUEUED_MAX);
	if (pc.alerts_lost)
		lw_log_warning("alerts: %llu events not handed to the alerts process",
			       (unsigned long long)pc.alerts_lost);
}

void lw_privc_notify(enum lw_privmsg_notify_what what, const char *status)
{
	struct lw_privmsg m;

	if (!pc.active)
		return;
	lw_privmsg_init(&m, LW_PRIV_NOTIFY, 0);
	memset(&m.u.notify, 0, sizeof(m.u.notify));
	m.u.notify.what = (uint8_t)what;
	if (status)
		snprintf(m.u.notify.status, sizeof(m.u.notify.status), "%s", status);
	post(&m);
}

/* --- nftables ------------------------------------------------------------------------------- */

static void put_table(struct lw_privmsg *m, enum lw_block_family fam, const char *table)
{
	memset(&m->u.table, 0, sizeof(m->u.table));
	m->u.table.family = (uint8_t)fam;
	snprintf(m->u.table.table, sizeof(m->u.table.table), "%s", table);
}

static char table_name[LW_BLOCK_TABLE_MAX];

int lw_privc_nft_open(enum lw_block_family fam, const char *table, struct lw_privc_nft **out,
		      char *err, size_t errlen)
{
	struct lw_privmsg_reply reply;
	struct lw_privmsg m;
	struct lw_privc_nft *n;
	int r;

	*out = NULL;
	if (!lw_block_table_name_valid(table)) {
		snprintf(err, errlen, "'%s' is not a usable nftables table name", table);
		return -EINVAL;
	}
	n = calloc(1, sizeof(*n));
	if (!n)
		return -ENOMEM;
	lw_privmsg_init(&m, LW_PRIV_NFT_OPEN, 0);
	put_table(&m, fam, table);
	r = call(&m, &reply);
	if (r < 0) {
		set_err(err, errlen, &reply, r);
		free(n);
		return r;
	}
	n->fam = fam;
	snprintf(table_name, sizeof(table_name), "%s", table);
	pc.nft = n; /* another family's handle is the moved table's: only forgotten */
	*out = n;
	return 0;
}

int lw_privc_nft_restore(struct lw_privc_nft *n, char *err, size_t errlen)
{
	struct lw_privmsg_reply reply;
	struct lw_privmsg m;
	int r;

	(void)n;
	lw_privmsg_init(&m, LW_PRIV_NFT_RESTORE, 0);
	r = call(&m, &reply);
	if (r < 0)
		set_err(err, errlen, &reply, r);
	return r;
}

void lw_privc_nft_close(struct lw_privc_nft *n, bool keep)
{
	struct lw_privmsg_reply reply;
	struct lw_privmsg m;

	if (!n)
		return;
	/* handing over, the privileged process keeps it open for the next parser */
	if (n == pc.nft && !pc.handover) {
		lw_privmsg_init(&m, LW_PRIV_NFT_CLOSE, 0);
		put_table(&m, n->fam, table_name);
		m.u.table.keep = keep;
		call(&m, &reply);
	}
	if (n == pc.nft)
		pc.nft = NULL;
	free(n);
}

static int elem_msg(struct lw_privc_nft *n, enum lw_privmsg_kind kind,
		    const struct lw_block_elem *e, uint32_t timeout_s)
{
	struct lw_privmsg m;

	(void)n;
	lw_privmsg_init(&m, kind, 0);
	lw_privmsg_put_elem(&m.u.elem, e);
	m.u.elem.timeout = timeout_s;
	return post(&m);
}

int lw_privc_nft_add(struct lw_privc_nft *n, const struct lw_block_elem *e, uint32_t timeout_s)
{
	int r;

	if (e->addr.family != 4 && e->addr.family != 6)
		return -EINVAL;
	if (n->n_add >= LW_BLOCK_PENDING_MAX)
		return -E2BIG;
	timeout_s = LW_MAX(1u, LW_MIN(timeout_s, LW_BLOCK_TIMEOUT_MAX));
	r = elem_msg(n, LW_PRIV_NFT_ADD, e, timeout_s);
	if (r == 0)
		n->n_add++;
	return r;
}

int lw_privc_nft_del(struct lw_privc_nft *n, const struct lw_block_elem *e)
{
	int r;

	if (e->addr.family != 4 && e->addr.family != 6)
		return -EINVAL;
	if (n->n_del >= LW_BLOCK_PENDING_MAX)
		return -E2BIG;
	r = elem_msg(n, LW_PRIV_NFT_DEL, e, 0);
	if (r == 0)
		n->n_del++;
	return r;
}

void lw_privc_nft_flush_sets(struct lw_privc_nft *n)
{
	struct lw_privmsg m;

	lw_privmsg_init(&m, LW_PRIV_NFT_FLUSH, 0);
	if (post(&m) == 0)
		n->flush = true;
}

bool lw_privc_nft_pending(const struct lw_privc_nft *n)
{
	return n->flush || n->n_add || n->n_del;
}

int lw_privc_nft_commit(struct lw_privc_nft *n, char *err, size_t errlen)
{
	struct lw_privmsg_reply reply;
	struct lw_privmsg m;
	int r;

	if (!lw_privc_nft_pending(n))
		return 0;
	n->flush = false;
	n->n_add = n->n_del = 0;
	lw_privmsg_init(&m, LW_PRIV_NFT_COMMIT, 0);
	r = call(&m, &reply);
	if (r < 0)
		set_err(err, errlen, &reply, r);
	return r;
}

int lw_privc_nft_flowtables(struct lw_privc_nft *n, char *out, size_t outlen)
{
	struct lw_privmsg_reply reply;
	struct lw_privmsg m;
	int r;

	(void)n;
	lw_privmsg_init(&m, LW_PRIV_NFT_FLOWTABLES, 0);
	r = call(&m, &reply);
	if (outlen)
		snprintf(out, outlen, "%s", r == 0 ? reply.text : "");
	return r;
}

static void put_rules(struct lw_privmsg *m, const struct lw_hold_rules *r, unsigned stall_ms)
{
	memset(&m->u.rules, 0, sizeof(m->u.rules));
	snprintf(m->u.rules.table, sizeof(m->u.rules.table), "%s", r->table);
	m->u.rules.queue = r->queue;
	m->u.rules.what = (uint8_t)r->what;
	m->u.rules.path = (uint8_t)r->path;
	m->u.rules.stall_ms = stall_ms;
}

int lw_privc_rules_install(struct lw_hold_rules *r, char *err, size_t errlen)
{
	struct lw_privmsg_reply reply;
	struct lw_privmsg m;
	int e;

	r->via = LW_HOLD_VIA_NONE;
	r->v6 = false;
	lw_privmsg_init(&m, LW_PRIV_RULES_INSTALL, 0);
	put_rules(&m, r, 0);
	e = call(&m, &reply);
	r->nft_tried = reply.nft_tried;
	r->nft_refused = reply.nft_refused;
	if (e < 0) {
		set_err(err, errlen, &reply, e);
		return e;
	}
	r->via = (enum lw_hold_via)reply.via;
	r->v6 = reply.v6;
	return 0;
}

void lw_privc_rules_remove(struct lw_hold_rules *r)
{
	struct lw_privmsg_reply reply;
	struct lw_privmsg m;

	lw_privmsg_init(&m, LW_PRIV_RULES_REMOVE, 0);
	put_rules(&m, r, 0);
	call(&m, &reply);
	r->via = LW_HOLD_VIA_NONE;
	r->v6 = false;
}

/* --- the watch -------------------------------------------------------------------------------- */

/* The watch messages queued so far, in order, without the settled callback; others stay. */
static void drain_watch(void)
{
	struct queued **pp = &pc.head, *q;

	pc.tail = NULL;
	while ((q = *pp)) {
		if (q->u.m.h.kind != LW_PRIV_WATCH_ELEM && q->u.m.h.kind != LW_PRIV_WATCH_SETTLED) {
			pc.tail = q;
			pp = &q->next;
			continue;
		}
		*pp = q->next;
		pc.n_queued--;
		on_watch(&q->u.m, false);
		free(q);
	}
}

int lw_privc_watch_sync(struct lw_privc_watch *w, char *err, size_t errlen)
{
	struct lw_privmsg_reply reply;
	struct lw_privmsg m;
	int r;

	(void)w;
	lw_privmsg_init(&m, LW_PRIV_WATCH_SYNC, 0);
	r = call(&m, &reply);
	if (r < 0) {
		set_err(err, errlen, &reply, r);
		return r;
	}
	drain_watch();
	return 0;
}

int lw_privc_watch_open(lw_watch_elem_fn fn, void (*settled)(void *user_data), void *user_data,
			struct lw_privc_watch **out, char *err, size_t errlen)
{
	struct lw_privc_watch *w = calloc(1, sizeof(*w));
	int r;

	*out = NULL;
	if (!w)
		return -ENOMEM;
	w->fn = fn;
	w->settled = settled;
	w->user_data = user_data;
	pc.watch = w;
	r = lw_privc_watch_sync(w, err, errlen);
	if (r < 0) {
		pc.watch = NULL;
		free(w);
		return r;
	}
	*out = w;
	return 0;
}

void lw_privc_watch_close(struct lw_privc_watch *w)
{
	if (!w)
		return;
	if (pc.watch == w)
		pc.watch = NULL;
	free(w);
}

int lw_privc_watch_read(struct lw_privc_watch *w)
{
	return w->complete ? LW_WATCH_SETTLED : LW_WATCH_MORE;
}

unsigned lw_privc_watch_table_state(const struct lw_privc_watch *w)
{
	return w->table_state;
}

unsigned lw_privc_watch_hold_state(const struct lw_privc_watch *w, const char **family)
{
	if (family)
		*family = w->hold_family[0] ? w->hold_family : "?";
	return w->hold_state;
}

/* --- the queue ------------------------------------------------------------------------------- */

int lw_privc_queue_open(struct lw_hold *h, const struct lw_hold_rules *r, unsigned stall_ms,
			char *err, size_t errlen)
{
	struct lw_privmsg_reply reply;
	struct lw_privmsg m;
	int e;

	lw_privmsg_init(&m, LW_PRIV_QUEUE_OPEN, 0);
	put_rules(&m, r, LW_MAX(20u, LW_MIN(stall_ms, 60000u)));
	e = call(&m, &reply);
	if (e < 0) {
		set_err(err, errlen, &reply, e);
		return e;
	}
	pc.hold = h;
	return 0;
}

void lw_privc_queue_close(void)
{
	pc.hold = NULL;
}

/* --- br_netfilter, hostapd ------------------------------------------------------------------ */

enum lw_brnf lw_privc_brnf(bool *fixed)
{
	struct lw_privmsg_reply reply;
	struct lw_privmsg m;

	*fixed = false;
	lw_privmsg_init(&m, LW_PRIV_BRNF, 0);
	if (call(&m, &reply) < 0)
		return LW_BRNF_NOT_LOADED;
	*fixed = reply.fixed;
	return (enum lw_brnf)reply.brnf;
}

int lw_privc_hostapd_start(lw_hostapd_fn fn, void *user_data)
{
	struct lw_privmsg_reply reply;
	struct lw_privmsg m;
	int r;

	pc.hostapd_fn = fn;
	pc.hostapd_data = user_data;
	lw_privmsg_init(&m, LW_PRIV_HOSTAPD_START, 0);
	r = call(&m, &reply);
	if (r < 0)
		pc.hostapd_fn = NULL;
	return r;
}

void lw_privc_hostapd_stop(void)
{
	pc.hostapd_fn = NULL;
}

/* --- alerts --------------------------------------------------------------------------------- */

bool lw_privc_alerting(void)
{
	return pc.notify >= 0;
}

void lw_privc_alert(const struct lw_alert_event *e, void *user_data)
{
	ssize_t n;

	(void)user_data;
	do
		n = send(pc.notify, e, sizeof(*e), MSG_DONTWAIT | MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n == (ssize_t)sizeof(*e))
		return;
	if (pc.alerts_lost++ == 0)
		lw_log_warning("alerts: an event not handed to the alerts process (%s); further "
			       "ones are counted",
			       n < 0 ? strerror(errno) : "cut");
}

/* --- lookups (the worker thread) ------------------------------------------------------------- */

int lw_privc_resolve(const char *name, struct lw_addr *addrs, size_t max, size_t *n, char *err,
		     size_t errlen)
{
	static struct lw_privmsg m, in;
	static uint8_t buf[sizeof(struct lw_privmsg) + 1];
	uint32_t seq = ++pc.resolve_seq;
	ssize_t got;
	size_t i;

	*n = 0;
	lw_privmsg_init(&m, LW_PRIV_RESOLVE, seq);
	memset(&m.u.resolve, 0, sizeof(m.u.resolve));
	snprintf(m.u.resolve.name, sizeof(m.u.resolve.name), "%s", name);
	if (send_msg(pc.resolver, &m) < 0) {
		snprintf(err, errlen, "the resolver process is gone");
		return EAI_SYSTEM;
	}
	for (;;) {
		got = recv(pc.resolver, buf, sizeof(buf), 0);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0) {
			snprintf(err, errlen, "the resolver process is gone");
			return EAI_SYSTEM;
		}
		if (lw_privmsg_decode(buf, (size_t)got, &in) == 0 &&
		    in.h.kind == LW_PRIV_RESOLVED && in.h.seq == seq)
			break;
	}
	if (in.u.resolved.status) {
		snprintf(err, errlen, "%s", in.u.resolved.error);
		return in.u.resolved.status;
	}
	for (i = 0; i < in.u.resolved.n && *n < max; i++) {
		struct lw_addr *a = &addrs[(*n)++];

		memset(a, 0, sizeof(*a));
		a->family = in.u.resolved.addrs[i].family;
		memcpy(a->b, in.u.resolved.addrs[i].addr, 16);
	}
	return 0;
}
