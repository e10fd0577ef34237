/* SPDX-License-Identifier: MIT */
/*
 * nl80211 station dumps (linux/nl80211.h) through libnl-genl.
 *
 *   request:  genlmsghdr{cmd = NL80211_CMD_GET_STATION}, NLM_F_DUMP, NL80211_ATTR_IFINDEX
 *   reply:    one NL80211_CMD_NEW_STATION message per station, then NLMSG_DONE
 *     NL80211_ATTR_IFINDEX      u32
 *     NL80211_ATTR_MAC          6 bytes
 *     NL80211_ATTR_STA_INFO     nest
 *       NL80211_STA_INFO_INACTIVE_TIME   u32, ms
 *       NL80211_STA_INFO_CONNECTED_TIME  u32, s
 *       NL80211_STA_INFO_RX_BYTES(64)    u32 (u64)
 *       NL80211_STA_INFO_TX_BYTES(64)    u32 (u64)
 *       NL80211_STA_INFO_SIGNAL          u8, dBm as s8
 *       NL80211_STA_INFO_SIGNAL_AVG      u8, dBm as s8
 *       NL80211_STA_INFO_TX_BITRATE      nest (NL80211_RATE_INFO_BITRATE32 u32 or
 *       NL80211_STA_INFO_RX_BITRATE        NL80211_RATE_INFO_BITRATE u16, 100 kbit/s)
 *       NL80211_STA_INFO_TX_RETRIES      u32
 *       NL80211_STA_INFO_TX_FAILED       u32
 *
 * The kernel reports an error in a dump (an ifindex that is not Wi-Fi: -ENODEV) as the int
 * payload of NLMSG_DONE; before the dump starts (an unknown family) as NLMSG_ERROR.
 *
 * The socket is non-blocking and its replies are read when the caller's poll says so; the
 * interfaces of a round are asked one at a time, each after the last one's NLMSG_DONE.
 * Sequence numbers are checked here rather than by libnl, so that the replies of a round that
 * was abandoned are recognised and dropped.  (The kernel builds the first part of a dump while
 * sending the request; the rest as the replies are read.)
 */
#include "station.h"

#include <errno.h>
#include <linux/netlink.h>
#include <linux/nl80211.h>
#include <netlink/errno.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/netlink.h>
#include <stdlib.h>
#include <string.h>

/* Starts refused while a round runs before it is given up (its replies never all came). */
#define LW_STATION_STUCK_STARTS 3
/* Datagrams read per dispatch call; the rest wait for the next (the fd stays readable). */
#define LW_STATION_READS_MAX 256

struct lw_station_dump {
	lw_station_fn fn;
	lw_station_done_fn done;
	void *user_data;
	struct nl_sock *sock;
	int family; /* nl80211's id, -1 while not known */
	bool busy;
	unsigned refused; /* starts refused in a row while busy */
	size_t n, cur;
	bool cur_done;
	uint32_t seq; /* of the request being answered */
	struct lw_station_iface ifaces[LW_STATION_IFACES_MAX];
	struct lw_station_stats stats;
};

/* --- parsing ----------------------------------------------------------------------------- */

static bool get_u8(const struct nlattr *a, uint8_t *v, unsigned *bad)
{
	if (!a)
		return false;
	if (nla_len(a) != 1) {
		(*bad)++;
		return false;
	}
	*v = nla_get_u8((struct nlattr *)a);
	return true;
}

static bool get_u16(const struct nlattr *a, uint16_t *v, unsigned *bad)
{
	if (!a)
		return false;
	if (nla_len(a) != 2) {
		(*bad)++;
		return false;
	}
	*v = nla_get_u16((struct nlattr *)a);
	return true;
}

static bool get_u32(const struct nlattr *a, uint32_t *v, unsigned *bad)
{
	if (!a)
		return false;
	if (nla_len(a) != 4) {
		(*bad)++;
		return false;
	}
	*v = nla_get_u32((struct nlattr *)a);
	return true;
}

static bool get_u64(const struct nlattr *a, uint64_t *v, unsigned *bad)
{
	if (!a)
		return false;
	if (nla_len(a) != 8) {
		(*bad)++;
		return false;
	}
	*v = nla_get_u64((struct nlattr *)a); /* copies: the attribute may be 4-aligned */
	return true;
}

/*
 * tb[] from the attributes in head[0..len); bytes left over that do not make a whole
 * attribute (one that claims more than is there) count as one malformed attribute.
 */
static void parse_attrs(struct nlattr **tb, int max, struct nlattr *head, int len, unsigned *bad)
{
	struct nlattr *pos;
	int rem;

	nla_parse(tb, max, head, len, NULL); /* without a policy it only sorts, never fails */
	nla_for_each_attr(pos, head, len, rem);
	if (rem > 0)
		(*bad)++;
}

/* A rate nest's bitrate in kbit/s; false if it has none (or only malformed ones). */
static bool get_rate(const struct nlattr *a, uint64_t *kbps, unsigned *bad)
{
	struct nlattr *ri[NL80211_RATE_INFO_MAX + 1];
	uint32_t r32;
	uint16_t r16;

	if (!a)
		return false;
	parse_attrs(ri, NL80211_RATE_INFO_MAX, nla_data(a), nla_len(a), bad);
	if (get_u32(ri[NL80211_RATE_INFO_BITRATE32], &r32, bad)) {
		*kbps = (uint64_t)r32 * 100;
		return true;
	}
	if (get_u16(ri[NL80211_RATE_INFO_BITRATE], &r16, bad)) {
		*kbps = (uint64_t)r16 * 100;
		return true;
	}
	return false;
}

/* The 64-bit counter, else the 32-bit one (older kernels, or a driver without the first). */
static bool get_counter(const struct nlattr *a64, const struct nlattr *a32, uint64_t *v,
			unsigned *bad)
{
	uint32_t v32;

	if (get_u64(a64, v, bad))
		return true;
	if (get_u32(a32, &v32, bad)) {
		*v = v32;
		return true;
	}
	return false;
}

static void parse_info(const struct nlattr *info, struct lw_station *st)
{
	struct nlattr *si[NL80211_STA_INFO_MAX + 1];
	unsigned *bad = &st->malformed;
	uint8_t u8;

	parse_attrs(si, NL80211_STA_INFO_MAX, nla_data(info), nla_len(info), bad);
	if (get_u8(si[NL80211_STA_INFO_SIGNAL], &u8, bad)) {
		st->signal = (int8_t)u8;
		st->present |= LW_STATION_SIGNAL;
	}
	if (get_u8(si[NL80211_STA_INFO_SIGNAL_AVG], &u8, bad)) {
		st->signal_avg = (int8_t)u8;
		st->present |= LW_STATION_SIGNAL_AVG;
	}
	if (get_rate(si[NL80211_STA_INFO_TX_BITRATE], &st->tx_bitrate, bad))
		st->present |= LW_STATION_TX_BITRATE;
	if (get_rate(si[NL80211_STA_INFO_RX_BITRATE], &st->rx_bitrate, bad))
		st->present |= LW_STATION_RX_BITRATE;
	if (get_u32(si[NL80211_STA_INFO_INACTIVE_TIME], &st->inactive_ms, bad))
		st->present |= LW_STATION_INACTIVE;
	if (get_u32(si[NL80211_STA_INFO_CONNECTED_TIME], &st->connected_s, bad))
		st->present |= LW_STATION_CONNECTED;
	if (get_counter(si[NL80211_STA_INFO_RX_BYTES64], si[NL80211_STA_INFO_RX_BYTES],
			&st->rx_bytes, bad))
		st->present |= LW_STATION_RX_BYTES;
	if (get_counter(si[NL80211_STA_INFO_TX_BYTES64], si[NL80211_STA_INFO_TX_BYTES],
			&st->tx_bytes, bad))
		st->present |= LW_STATION_TX_BYTES;
	if (get_u32(si[NL80211_STA_INFO_TX_RETRIES], &st->tx_retries, bad))
		st->present |= LW_STATION_TX_RETRIES;
	if (get_u32(si[NL80211_STA_INFO_TX_FAILED], &st->tx_failed, bad))
		st->present |= LW_STATION_TX_FAILED;
}

int lw_station_parse(const void *buf, size_t len, struct lw_station *st)
{
	struct nlmsghdr nlh;
	struct genlmsghdr gh;
	struct nlattr *tb[NL80211_ATTR_MAX + 1];
	size_t hdr = NLMSG_HDRLEN + GENL_HDRLEN;
	uint32_t ifindex;

	memset(st, 0, sizeof(*st));
	/*
	 * The headers are copied: a cut message need not be aligned.  A whole one is (its
	 * length is a multiple of 4), and nla_parse() keeps every attribute inside the length
	 * it is given.
	 */
	if (!buf || len < hdr)
		return -EBADMSG;
	memcpy(&nlh, buf, sizeof(nlh));
	memcpy(&gh, (const unsigned char *)buf + NLMSG_HDRLEN, sizeof(gh));
	if (nlh.nlmsg_len < hdr || nlh.nlmsg_len > len || gh.cmd != NL80211_CMD_NEW_STATION)
		return -EBADMSG;
	parse_attrs(tb, NL80211_ATTR_MAX, (struct nlattr *)((unsigned char *)(uintptr_t)buf + hdr),
		    (int)(nlh.nlmsg_len - hdr), &st->malformed);
	if (!tb[NL80211_ATTR_MAC] || nla_len(tb[NL80211_ATTR_MAC]) != 6)
		return -EBADMSG;
	memcpy(st->mac.b, nla_data(tb[NL80211_ATTR_MAC]), 6);
	if (get_u32(tb[NL80211_ATTR_IFINDEX], &ifindex, &st->malformed) && ifindex <= INT32_MAX)
		st->ifindex = (int)ifindex;
	if (tb[NL80211_ATTR_STA_INFO])
		parse_info(tb[NL80211_ATTR_STA_INFO], st);
	return 0;
}

/* --- dumps ------------------------------------------------------------------------------- */

static int nl_to_errno(int e)
{
	switch (e < 0 ? -e : e) {
	case NLE_NOMEM:
		return -ENOMEM;
	case NLE_AGAIN:
		return -EAGAIN;
	case NLE_OBJ_NOTFOUND:
		return -ENOENT;
	case NLE_OPNOTSUPP:
		return -EOPNOTSUPP;
	case NLE_PERM:
		return -EPERM;
	default:
		return -EIO;
	}
}

static struct lw_station_iface *current(struct lw_station_dump *d)
{
	return d->busy && d->cur < d->n && !d->cur_done ? &d->ifaces[d->cur] : NULL;
}

static int on_valid(struct nl_msg *msg, void *arg)
{
	struct lw_station_dump *d = arg;
	struct nlmsghdr *h = nlmsg_hdr(msg);
	struct lw_station_iface *i = current(d);
	struct lw_station st;

	if (!i || h->nlmsg_seq != d->seq)
		return NL_SKIP; /* an abandoned round's */
	if (lw_station_parse(h, h->nlmsg_len, &st) < 0) {
		i->malformed++;
		d->stats.malformed++;
		return NL_SKIP;
	}
	if (i->stations >= LW_STATION_PER_IFACE_MAX) {
		i->cut++;
		d->stats.cut++;
		return NL_SKIP;
	}
	if (st.ifindex == 0)
		st.ifindex = i->ifindex;
	i->stations++;
	d->stats.stations++;
	d->fn(&st, d->user_data);
	return NL_OK;
}

static int on_finish(struct nl_msg *msg, void *arg)
{
	struct lw_station_dump *d = arg;
	struct nlmsghdr *h = nlmsg_hdr(msg);
	struct lw_station_iface *i = current(d);
	int e = 0;

	if (!i || h->nlmsg_seq != d->seq)
		return NL_SKIP;
	if (h->nlmsg_len >= NLMSG_HDRLEN + sizeof(e))
		memcpy(&e, nlmsg_data(h), sizeof(e));
	i->err = e < 0 ? e : 0;
	d->cur_done = true;
	return NL_SKIP;
}

static int on_error(struct sockaddr_nl *nla, struct nlmsgerr *err, void *arg)
{
	struct lw_station_dump *d = arg;
	struct lw_station_iface *i = current(d);

	(void)nla;
	if (!i || err->msg.nlmsg_seq != d->seq || err->error == 0)
		return NL_SKIP;
	i->err = err->error < 0 ? err->error : -err->error;
	d->cur_done = true;
	return NL_SKIP;
}

int lw_station_dump_new(lw_station_fn fn, lw_station_done_fn done, void *user_data,
			struct lw_station_dump **out)
{
	struct lw_station_dump *d;
	int r;

	*out = NULL;
	if (!fn)
		return -EINVAL;
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->fn = fn;
	d->done = done;
	d->user_data = user_data;
	d->family = -1;
	d->sock = nl_socket_alloc();
	if (!d->sock) {
		free(d);
		return -ENOMEM;
	}
	r = genl_connect(d->sock);
	if (r == 0)
		r = nl_socket_set_nonblocking(d->sock);
	if (r < 0) {
		lw_station_dump_free(d);
		return nl_to_errno(r);
	}
	nl_socket_disable_seq_check(d->sock);
	nl_socket_enable_msg_peek(d->sock); /* a dump's datagrams can exceed libnl's default */
	nl_socket_modify_cb(d->sock, NL_CB_VALID, NL_CB_CUSTOM, on_valid, d);
	nl_socket_modify_cb(d->sock, NL_CB_FINISH, NL_CB_CUSTOM, on_finish, d);
	nl_socket_modify_err_cb(d->sock, NL_CB_CUSTOM, on_error, d);
	*out = d;
	return 0;
}

void lw_station_dump_free(struct lw_station_dump *d)
{
	if (!d)
		return;
	nl_socket_free(d->sock);
	free(d);
}

int lw_station_dump_fd(const struct lw_station_dump *d)
{
	return nl_socket_get_fd(d->sock);
}

bool lw_station_dump_busy(const struct lw_station_dump *d)
{
	return d->busy;
}

void lw_station_dump_get_stats(const struct lw_station_dump *d, struct lw_station_stats *out)
{
	*out = d->stats;
}

void lw_station_dump_set_family(struct lw_station_dump *d, int family)
{
	d->family = family;
}

/*
 * nl80211's family id, asked of the generic netlink controller on a socket of its own (the
 * controller answers while the request is sent, so this does not wait).
 */
static int resolve_family(void)
{
	struct nl_sock *s = nl_socket_alloc();
	int r;

	if (!s)
		return -ENOMEM;
	r = genl_connect(s);
	if (r == 0)
		r = genl_ctrl_resolve(s, "nl80211");
	nl_socket_free(s);
	if (r >= 0)
		return r;
	return r == -NLE_OBJ_NOTFOUND ? -EOPNOTSUPP : nl_to_errno(r);
}

/* Asks the current interface; a send that fails ends that interface with the error. */
static void ask(struct lw_station_dump *d)
{
	struct lw_station_iface *i = &d->ifaces[d->cur];
	struct nl_msg *msg = nlmsg_alloc();
	int r = -ENOMEM;

	d->cur_done = false;
	if (msg &&
	    genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, d->family, 0, NLM_F_DUMP,
			NL80211_CMD_GET_STATION, 0) &&
	    nla_put_u32(msg, NL80211_ATTR_IFINDEX, (uint32_t)i->ifindex) == 0) {
		r = nl_send_auto(d->sock, msg);
		if (r >= 0)
			d->seq = nlmsg_hdr(msg)->nlmsg_seq;
		else
			r = nl_to_errno(r);
	}
	nlmsg_free(msg);
	if (r < 0) {
		i->err = r;
		d->cur_done = true;
	}
}

/* The current interface is done: the next one, or the end of the round. */
static void advance(struct lw_station_dump *d)
{
	struct lw_station_round round;
	size_t k;

	/* an unknown family (cfg80211 unloaded and loaded again): resolve it next time */
	if (d->ifaces[d->cur].err == -ENOENT)
		d->family = -1;
	if (++d->cur < d->n) {
		ask(d);
		return;
	}
	d->busy = false;
	d->cur_done = false;
	d->stats.rounds++;
	for (k = 0; k < d->n; k++)
		if (d->ifaces[k].err == -ENOENT)
			d->family = -1;
	round.n = d->n;
	round.ifaces = d->ifaces;
	if (d->done)
		d->done(&round, d->user_data);
}

int lw_station_dump_start(struct lw_station_dump *d, const int *ifindex, size_t n)
{
	size_t k;

	if (!n)
		return -EINVAL;
	if (d->busy) {
		d->stats.busy++;
		if (++d->refused < LW_STATION_STUCK_STARTS)
			return -EBUSY;
		/* its replies were lost (the socket overflowed, say): give it up */
		d->busy = false;
	}
	d->refused = 0;
	if (d->family < 0) {
		int f = resolve_family();

		if (f < 0)
			return f;
		d->family = f;
	}
	d->n = n < LW_STATION_IFACES_MAX ? n : LW_STATION_IFACES_MAX;
	memset(d->ifaces, 0, sizeof(d->ifaces));
	for (k = 0; k < d->n; k++)
		d->ifaces[k].ifindex = ifindex[k];
	d->cur = 0;
	d->busy = true;
	ask(d);
	/* interfaces whose request could not be sent end at once (done may run from here) */
	while (d->busy && d->cur_done)
		advance(d);
	return 0;
}

int lw_station_dump_dispatch(struct lw_station_dump *d)
{
	unsigned reads = 0;
	int r;

	while (reads++ < LW_STATION_READS_MAX) {
		if (d->busy && d->cur_done) {
			advance(d);
			continue;
		}
		r = nl_recvmsgs_default(d->sock);
		if (r == -NLE_AGAIN)
			return 0;
		if (r >= 0 || r == -NLE_DUMP_INTR) /* the list changed meanwhile: still read */
			continue;
		/*
		 * The socket overflowed (ENOBUFS) or failed: what is left of this interface's
		 * dump may be gone, and with it its NLMSG_DONE.
		 */
		if (current(d)) {
			d->ifaces[d->cur].err = r == -NLE_NOMEM ? -ENOBUFS : nl_to_errno(r);
			d->cur_done = true;
			continue;
		}
		return nl_to_errno(r);
	}
	/* out of reads: the next interface is still asked, so that replies keep coming */
	while (d->busy && d->cur_done)
		advance(d);
	return 0;
}
