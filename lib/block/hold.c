/* SPDX-License-Identifier: MIT */
/*
 * The NFQUEUE inspector (see hold.h): packets come from libnetfilter_queue as bare IP packets
 * (the hook is the IPv4/IPv6 forward or output hook, reached from the bridge through
 * br_netfilter), are decoded with lib/decode (raw IP link type) and read with the protocol
 * parsers.  Each packet gets its verdict before the next is read; nothing is kept queued, so
 * a packet waits only for the caller's set update (about a millisecond).
 *
 * Connection starts (hold.h) are followed per 5-tuple in a small table: a ClientHello or
 * request head split over segments is gathered in order until it is whole; a missing segment,
 * a start longer than LW_HOLD_HEAD_MAX or a full table gives that connection up (its packets
 * pass).  A decided connection keeps its verdict, so a retransmitted final segment gets the
 * same answer.
 */
#include "block/hold.h"

#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <libnetfilter_queue/libnetfilter_queue.h>
#include <libnetfilter_queue/linux_nfnetlink_queue.h>
#include <linux/netfilter.h>
#include <linux/netlink.h>
#include <pcap/dlt.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "decode/decode.h"
#include "proto/http.h"
#include "proto/quic.h"
#include "proto/tls.h"

#define HOLD_RCVBUF (4 << 20) /* netlink receive buffer: a burst of answers waits here */
#define HOLD_MSG_MAX (65536 + 4096) /* one queue message: a whole (GSO) packet + attributes */

enum conn_state {
	CONN_FREE,
	CONN_READING, /* the start is incomplete */
	CONN_DONE, /* decided: later packets get verdict */
};

struct conn {
	enum conn_state state;
	uint8_t l4;
	struct lw_addr src, dst;
	uint16_t sport, dport;
	lw_time_us last;
	enum lw_hold_verdict verdict;
	uint32_t next_seq; /* TCP: the sequence number the next in-order byte carries */
	uint8_t *buf; /* TCP: the stream's start so far */
	size_t len;
	struct lw_quic_state *quic;
};

/* shared with the guard process (MAP_SHARED) */
struct guard_shared {
	atomic_uint_fast64_t progress; /* lw_hold_dispatch() calls by the daemon */
	atomic_uint_fast64_t stalls;
	atomic_uint_fast64_t released;
};

struct lw_hold {
	lw_hold_fn fn;
	void *user_data;
	lw_hold_forward_fn forward; /* set: packets go to it, uninspected (lw_hold_set_forward) */
	void *forward_data;
	struct lw_decoder *dec;
	struct lw_hold_stats st;
	struct conn conns[LW_HOLD_MAX_CONNS];
	struct lw_dns_msg dns; /* large: kept here, not on the stack */
	struct lw_tls_hello hello;
	struct lw_http_request req;
	char name[LW_DNS_NAME_MAX];
	/* the queue */
	struct nfq_handle *nfq;
	struct nfq_q_handle *qh;
	int fd;
	uint16_t num;
	pid_t guard;
	unsigned guard_ms;
	struct guard_shared *shared;
	lw_time_us now;
	uint8_t msg[HOLD_MSG_MAX];
};

struct lw_hold *lw_hold_new(lw_hold_fn fn, void *user_data)
{
	struct lw_hold *h = calloc(1, sizeof(*h));

	if (!h)
		return NULL;
	h->fn = fn;
	h->user_data = user_data;
	h->fd = -1;
	h->guard_ms = LW_HOLD_GUARD_MS;
	h->dec = lw_decoder_new(NULL);
	if (!h->dec) {
		free(h);
		return NULL;
	}
	return h;
}

static void conn_clear(struct conn *c)
{
	free(c->buf);
	lw_quic_state_free(c->quic);
	memset(c, 0, sizeof(*c));
}

void lw_hold_free(struct lw_hold *h)
{
	size_t i;

	if (!h)
		return;
	if (h->guard > 0) {
		kill(h->guard, SIGKILL);
		while (waitpid(h->guard, NULL, 0) < 0 && errno == EINTR)
			;
	}
	if (h->shared)
		munmap(h->shared, sizeof(*h->shared));
	if (h->qh)
		nfq_destroy_queue(h->qh);
	if (h->nfq)
		nfq_close(h->nfq);
	for (i = 0; i < LW_HOLD_MAX_CONNS; i++)
		conn_clear(&h->conns[i]);
	lw_decoder_free(h->dec);
	free(h);
}

void lw_hold_get_stats(const struct lw_hold *h, struct lw_hold_stats *out)
{
	*out = h->st;
	if (h->shared) {
		out->guard_stalls = atomic_load(&h->shared->stalls);
		out->guard_released = atomic_load(&h->shared->released);
	}
}

/* --- connections ---------------------------------------------------------------------- */

static bool conn_is(const struct conn *c, const struct lw_packet *p)
{
	return c->state != CONN_FREE && c->l4 == p->l4 && c->sport == p->sport &&
	       c->dport == p->dport && lw_addr_eq(&c->src, &p->src) && lw_addr_eq(&c->dst, &p->dst);
}

static struct conn *conn_find(struct lw_hold *h, const struct lw_packet *p)
{
	size_t i;

	for (i = 0; i < LW_HOLD_MAX_CONNS; i++) {
		struct conn *c = &h->conns[i];

		if (c->state != CONN_FREE && h->now - c->last > LW_HOLD_CONN_TIMEOUT)
			conn_clear(c);
		else if (conn_is(c, p))
			return c;
	}
	return NULL;
}

/* A free entry, or the least recently used one (counted when it was still reading). */
static struct conn *conn_new(struct lw_hold *h, const struct lw_packet *p)
{
	struct conn *c = NULL;
	size_t i;

	for (i = 0; i < LW_HOLD_MAX_CONNS; i++) {
		struct conn *x = &h->conns[i];

		if (x->state == CONN_FREE) {
			c = x;
			break;
		}
		if (!c || x->last < c->last)
			c = x;
	}
	if (c->state == CONN_READING)
		h->st.evicted++;
	conn_clear(c);
	c->state = CONN_READING;
	c->l4 = p->l4;
	c->src = p->src;
	c->dst = p->dst;
	c->sport = p->sport;
	c->dport = p->dport;
	c->last = h->now;
	c->verdict = LW_HOLD_ACCEPT;
	return c;
}

static enum lw_hold_verdict conn_done(struct conn *c, enum lw_hold_verdict v)
{
	free(c->buf);
	c->buf = NULL;
	c->len = 0;
	lw_quic_state_free(c->quic);
	c->quic = NULL;
	c->state = CONN_DONE;
	c->verdict = v;
	return v;
}

/* --- reading a stream's start ------------------------------------------------------------ */

enum start {
	START_NAME, /* h->name holds the name (possibly "": a hello without SNI) */
	START_MORE, /* a valid but incomplete start */
	START_OTHER, /* neither TLS nor HTTP */
};

static enum start read_start(struct lw_hold *h, const uint8_t *p, size_t len,
			     enum lw_name_source *src)
{
	int r;

	r = lw_tls_parse_stream(p, len, &h->hello);
	if (r > 0) {
		snprintf(h->name, sizeof(h->name), "%s", h->hello.sni);
		*src = LW_NAME_SNI;
		return START_NAME;
	}
	if (r == LW_NEED_MORE)
		return START_MORE;
	if (!lw_http_looks_like_request(p, len))
		return START_OTHER;
	r = lw_http_parse_request(p, len, &h->req);
	if (r == LW_NEED_MORE)
		return START_MORE;
	if (r < 0)
		return START_OTHER;
	len = LW_MIN(h->req.host.len, sizeof(h->name) - 1);
	if (len) /* a request without Host has no pointer to copy from */
		memcpy(h->name, h->req.host.p, len);
	h->name[len] = '\0';
	if (len && h->name[len - 1] == '.')
		h->name[--len] = '\0'; /* "vnet.cn." names vnet.cn */
	lw_ascii_lower(h->name, len);
	*src = LW_NAME_HTTP;
	return START_NAME;
}

static enum lw_hold_verdict decide(struct lw_hold *h, struct lw_hold_packet *hp)
{
	enum lw_hold_verdict v = h->fn(hp, h->user_data);

	if (v == LW_HOLD_DROP)
		h->st.dropped++;
	return v;
}

static enum lw_hold_verdict name_found(struct lw_hold *h, struct conn *c, struct lw_hold_packet *hp,
				       enum lw_name_source src)
{
	if (!h->name[0])
		return conn_done(c, LW_HOLD_ACCEPT);
	hp->name = h->name;
	hp->source = src;
	h->st.names++;
	return conn_done(c, decide(h, hp));
}

static enum lw_hold_verdict tcp_start(struct lw_hold *h, const struct lw_packet *p,
				      struct lw_hold_packet *hp)
{
	struct conn *c = conn_find(h, p);
	enum lw_name_source src = LW_NAME_NONE;
	enum start s;
	int32_t off;

	if (p->payload_len == 0 || (p->tcp_flags & (LW_TCP_SYN | LW_TCP_RST)))
		return c && c->state == CONN_DONE ? c->verdict : LW_HOLD_ACCEPT;
	if (c && c->state == CONN_DONE) {
		c->last = h->now;
		return c->verdict;
	}
	if (!c) {
		/* the common case: the whole start in one segment, read in place */
		s = read_start(h, p->payload, p->payload_len, &src);
		c = conn_new(h, p);
		if (s == START_NAME)
			return name_found(h, c, hp, src);
		if (s == START_OTHER)
			return conn_done(c, LW_HOLD_ACCEPT);
		c->buf = malloc(LW_HOLD_HEAD_MAX);
		if (!c->buf || p->payload_len > LW_HOLD_HEAD_MAX) {
			h->st.gaps++;
			return conn_done(c, LW_HOLD_ACCEPT);
		}
		memcpy(c->buf, p->payload, p->payload_len);
		c->len = p->payload_len;
		c->next_seq = p->seq + (uint32_t)p->payload_len;
		return LW_HOLD_ACCEPT;
	}
	c->last = h->now;
	off = (int32_t)(p->seq - c->next_seq);
	if (off < 0 && c->next_seq - p->seq >= p->payload_len) /* -off, also for INT32_MIN */
		return LW_HOLD_ACCEPT; /* a retransmission of what we have */
	if (off != 0) {
		/* a gap (or an overlap: resend that changes length); give the connection up */
		h->st.gaps++;
		return conn_done(c, LW_HOLD_ACCEPT);
	}
	if (p->payload_len > LW_HOLD_HEAD_MAX - c->len) {
		h->st.gaps++;
		return conn_done(c, LW_HOLD_ACCEPT);
	}
	memcpy(c->buf + c->len, p->payload, p->payload_len);
	c->len += p->payload_len;
	c->next_seq += (uint32_t)p->payload_len;
	s = read_start(h, c->buf, c->len, &src);
	if (s == START_NAME)
		return name_found(h, c, hp, src);
	if (s == START_OTHER)
		return conn_done(c, LW_HOLD_ACCEPT);
	return LW_HOLD_ACCEPT;
}

static enum lw_hold_verdict quic_start(struct lw_hold *h, const struct lw_packet *p,
				       struct lw_hold_packet *hp)
{
	struct conn *c = conn_find(h, p);
	uint32_t version;
	int r;

	if (c && c->state == CONN_DONE) {
		c->last = h->now;
		return c->verdict;
	}
	if (!c) {
		if (!lw_quic_is_initial(p->payload, p->payload_len))
			return LW_HOLD_ACCEPT;
		c = conn_new(h, p);
		c->quic = lw_quic_state_new();
		if (!c->quic)
			return conn_done(c, LW_HOLD_ACCEPT);
	}
	c->last = h->now;
	r = lw_quic_feed(c->quic, p->payload, p->payload_len, &version, &h->hello);
	if (r == 0)
		return LW_HOLD_ACCEPT;
	if (r < 0)
		return conn_done(c, LW_HOLD_ACCEPT);
	snprintf(h->name, sizeof(h->name), "%s", h->hello.sni);
	return name_found(h, c, hp, LW_NAME_QUIC);
}

enum lw_hold_verdict lw_hold_inspect(struct lw_hold *h, const uint8_t *ip, size_t len,
				     const struct lw_mac *src_mac, lw_time_us now)
{
	struct lw_hold_packet hp;
	struct lw_packet p;
	int r;

	h->now = now;
	h->st.packets++;
	if (len == 0)
		goto malformed;
	r = lw_decode_frame(h->dec, DLT_RAW, ip, len, len, now, &p);
	if (r < 0)
		goto malformed;
	if (r == 0 || p.truncated)
		return LW_HOLD_ACCEPT;
	memset(&hp, 0, sizeof(hp));
	if (src_mac) {
		hp.has_mac = true;
		hp.src_mac = *src_mac;
	}
	hp.src = p.src;
	hp.dst = p.dst;
	hp.l4 = p.l4;
	hp.sport = p.sport;
	hp.dport = p.dport;
	if (p.l4 == 17 && p.sport == 53) {
		if (lw_dns_parse(p.payload, p.payload_len, &h->dns) < 0 || !h->dns.response)
			return LW_HOLD_ACCEPT;
		hp.dns = &h->dns;
		h->st.dns++;
		return decide(h, &hp);
	}
	if (p.l4 == 6)
		return tcp_start(h, &p, &hp);
	if (p.l4 == 17 && p.dport == 443)
		return quic_start(h, &p, &hp);
	return LW_HOLD_ACCEPT;
malformed:
	h->st.malformed++;
	return LW_HOLD_ACCEPT;
}

/* --- the queue --------------------------------------------------------------------------- */

static int on_queued(struct nfq_q_handle *qh, struct nfgenmsg *nfmsg, struct nfq_data *nfa,
		     void *data)
{
	struct lw_hold *h = data;
	struct nfqnl_msg_packet_hdr *ph = nfq_get_msg_packet_hdr(nfa);
	struct nfqnl_msg_packet_hw *hw = nfq_get_packet_hw(nfa);
	enum lw_hold_verdict v = LW_HOLD_ACCEPT;
	struct lw_mac mac;
	unsigned char *payload = NULL;
	int len;

	(void)nfmsg;
	if (!ph)
		return 0;
	len = nfq_get_payload(nfa, &payload);
	if (hw && ntohs(hw->hw_addrlen) == 6)
		memcpy(mac.b, hw->hw_addr, 6);
	if (h->forward) {
		h->st.packets++;
		h->forward(ntohl(ph->packet_id), payload, len > 0 ? (size_t)len : 0,
			   hw && ntohs(hw->hw_addrlen) == 6 ? &mac : NULL, h->forward_data);
		return 0;
	}
	if (len > 0)
		v = lw_hold_inspect(h, payload, (size_t)len,
				    hw && ntohs(hw->hw_addrlen) == 6 ? &mac : NULL, h->now);
	if (nfq_set_verdict(qh, ntohl(ph->packet_id), v == LW_HOLD_DROP ? NF_DROP : NF_ACCEPT, 0,
			    NULL) < 0)
		h->st.verdict_errors++;
	return 0;
}

/* --- the guard ------------------------------------------------------------------------- */

static void guard_sleep_ms(long ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* Accepts every queued packet in one recv()'d buffer; returns how many. */
static uint64_t guard_accept(int fd, uint16_t num, const uint8_t *buf, size_t len)
{
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;
	int left = (int)len;
	uint64_t n = 0;

	for (; mnl_nlmsg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left)) {
		struct nlattr *attr[NFQA_MAX + 1] = {0};
		char out[128] __attribute__((aligned(4)));
		struct nfqnl_msg_packet_hdr *ph;
		struct nlmsghdr *v;

		if (NFNL_MSG_TYPE(nlh->nlmsg_type) != NFQNL_MSG_PACKET ||
		    nfq_nlmsg_parse(nlh, attr) < 0 || !attr[NFQA_PACKET_HDR] ||
		    mnl_attr_get_payload_len(attr[NFQA_PACKET_HDR]) < sizeof(*ph))
			continue;
		ph = mnl_attr_get_payload(attr[NFQA_PACKET_HDR]);
		v = nfq_nlmsg_put(out, NFQNL_MSG_VERDICT, num);
		nfq_nlmsg_verdict_put(v, (int)ntohl(ph->packet_id), NF_ACCEPT);
		if (send(fd, v, v->nlmsg_len, 0) == (ssize_t)v->nlmsg_len)
			n++;
	}
	return n;
}

/*
 * The guard process: only system calls and libmnl/libnetfilter_queue's buffer helpers (no
 * allocation), as the daemon it was forked from has threads.
 */
static _Noreturn void guard_run(struct lw_hold *h, pid_t parent)
{
	struct guard_shared *sh = h->shared;
	struct pollfd pfd = {.fd = h->fd, .events = POLLIN};
	bool stalled = false;
	sigset_t none;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(0);
	prctl(PR_SET_NAME, "leakwatchd-hold");
	for (;;) {
		uint_fast64_t seen;
		ssize_t got;

		if (poll(&pfd, 1, -1) <= 0)
			continue;
		seen = atomic_load(&sh->progress);
		/* once stalled, newly queued packets wait less: the daemon reads at once if alive */
		guard_sleep_ms(stalled ? LW_HOLD_GUARD_STALLED_MS : h->guard_ms);
		if (atomic_load(&sh->progress) != seen) {
			stalled = false;
			continue;
		}
		/* nothing waits any more (read just before the guard looked): not a stall */
		if (poll(&pfd, 1, 0) <= 0)
			continue;
		if (!stalled)
			atomic_fetch_add(&sh->stalls, 1);
		stalled = true;
		while ((got = recv(h->fd, h->msg, sizeof(h->msg), MSG_DONTWAIT)) > 0 ||
		       (got < 0 && (errno == EINTR || errno == ENOBUFS)))
			if (got > 0)
				atomic_fetch_add(&sh->released,
						 guard_accept(h->fd, h->num, h->msg, (size_t)got));
	}
}

void lw_hold_set_guard_ms(struct lw_hold *h, unsigned ms)
{
	h->guard_ms = ms < 20 ? 20 : ms > 60000 ? 60000 : ms;
}

/* Forks the guard; the queue works without one (returns -errno then). */
static int guard_start(struct lw_hold *h)
{
	pid_t parent = getpid(), pid;

	h->shared = mmap(NULL, sizeof(*h->shared), PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (h->shared == MAP_FAILED) {
		h->shared = NULL;
		return -errno;
	}
	atomic_init(&h->shared->progress, 0);
	atomic_init(&h->shared->stalls, 0);
	atomic_init(&h->shared->released, 0);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		/* nothing of the daemon's but the queue's socket */
		if (h->fd > 3)
			close_range(3, (unsigned)h->fd - 1, 0);
		close_range((unsigned)h->fd + 1, ~0U, 0);
		guard_run(h, parent);
	}
	h->guard = pid;
	return 0;
}

int lw_hold_open_queue(struct lw_hold *h, uint16_t num, char *err, size_t errlen)
{
	int one = 1, r;

	h->nfq = nfq_open();
	if (!h->nfq) {
		r = errno ? -errno : -ENOMEM;
		snprintf(err, errlen, "NFQUEUE: cannot open a netfilter queue socket: %s",
			 strerror(-r));
		return r;
	}
	h->qh = nfq_create_queue(h->nfq, num, on_queued, h);
	if (!h->qh) {
		r = errno ? -errno : -EBUSY;
		if (r == -EBUSY || r == -EEXIST)
			snprintf(err, errlen,
				 "NFQUEUE %u is taken by another program (set [block] queue_num)",
				 num);
		else
			snprintf(err, errlen, "NFQUEUE %u: %s", num, strerror(-r));
		nfq_close(h->nfq);
		h->nfq = NULL;
		return r;
	}
	if (nfq_set_mode(h->qh, NFQNL_COPY_PACKET, 0xffff) < 0 ||
	    nfq_set_queue_maxlen(h->qh, LW_HOLD_QUEUE_MAXLEN) < 0) {
		r = errno ? -errno : -EIO;
		snprintf(err, errlen, "NFQUEUE %u: cannot configure: %s", num, strerror(-r));
		goto fail;
	}
	/* fail open when the queue is full; take GSO packets whole rather than re-segmented */
	nfq_set_queue_flags(h->qh, NFQA_CFG_F_FAIL_OPEN | NFQA_CFG_F_GSO,
			    NFQA_CFG_F_FAIL_OPEN | NFQA_CFG_F_GSO);
	h->fd = nfq_fd(h->nfq);
	nfnl_rcvbufsiz(nfq_nfnlh(h->nfq), HOLD_RCVBUF);
	/* a lost message is counted by the kernel, not reported as ENOBUFS to every recv */
	setsockopt(h->fd, SOL_NETLINK, NETLINK_NO_ENOBUFS, &one, sizeof(one));
	h->num = num;
	guard_start(h);
	return 0;
fail:
	nfq_destroy_queue(h->qh);
	nfq_close(h->nfq);
	h->qh = NULL;
	h->nfq = NULL;
	return r;
}

void lw_hold_set_forward(struct lw_hold *h, lw_hold_forward_fn fn, void *user_data)
{
	h->forward = fn;
	h->forward_data = user_data;
}

int lw_hold_verdict(struct lw_hold *h, uint32_t packet_id, enum lw_hold_verdict v)
{
	if (!h->qh)
		return -EBADF;
	if (nfq_set_verdict(h->qh, packet_id, v == LW_HOLD_DROP ? NF_DROP : NF_ACCEPT, 0, NULL) <
	    0) {
		h->st.verdict_errors++;
		return errno ? -errno : -EIO;
	}
	if (v == LW_HOLD_DROP)
		h->st.dropped++;
	return 0;
}

int lw_hold_fd(const struct lw_hold *h)
{
	return h->fd;
}

int lw_hold_dispatch(struct lw_hold *h, lw_time_us now)
{
	int n;

	if (!h->nfq)
		return -EBADF;
	h->now = now;
	if (h->shared)
		atomic_fetch_add(&h->shared->progress, 1);
	for (n = 0; n < LW_HOLD_BATCH; n++) {
		ssize_t got = recv(h->fd, h->msg, sizeof(h->msg), MSG_DONTWAIT);

		if (got < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			if (errno == EINTR)
				continue;
			h->st.recv_errors++;
			if (errno == ENOBUFS)
				continue;
			return -errno;
		}
		nfq_handle_packet(h->nfq, (char *)h->msg, (int)got);
	}
	return n;
}
