/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of lib/ap/station.c: NL80211_CMD_NEW_STATION messages built here with libnl
 * (nla_put, nla_nest_start) as the kernel builds them, read back from buffers that end at an
 * unreadable page: every field, both rate attributes, missing, truncated and oversized ones.
 */
#include <errno.h>
#include <poll.h>
#include <linux/nl80211.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/netlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ap/station.h"
#include "lw-test.h"

static const uint8_t phone[6] = {0x02, 0x10, 0x00, 0x00, 0x00, 0x01};

/* A NEW_STATION message with the header a dump reply has; cmd may be changed for a test. */
static struct nl_msg *msg_new(uint8_t cmd)
{
	struct nl_msg *m = nlmsg_alloc();

	if (!m || !genlmsg_put(m, 0, 42, 0x1c, 0, NLM_F_MULTI, cmd, 0)) {
		fprintf(stderr, "cannot build a message\n");
		exit(2);
	}
	return m;
}

/* lw_station_parse() of the message's first len bytes, placed to end at a guard page. */
static int parse_n(struct nl_msg *m, size_t len, struct lw_station *st)
{
	struct lw_test_guard_buf g;
	const void *p = lw_test_guard(nlmsg_hdr(m), len, &g);
	int r = lw_station_parse(p, len, st);

	lw_test_unguard(&g);
	return r;
}

static int parse(struct nl_msg *m, struct lw_station *st)
{
	return parse_n(m, nlmsg_hdr(m)->nlmsg_len, st);
}

static void put_rate(struct nl_msg *m, int attr, int64_t r32, int r16)
{
	struct nlattr *n = nla_nest_start(m, attr);

	nla_put_u8(m, NL80211_RATE_INFO_MCS, 7); /* beside the rate, as the kernel sends it */
	if (r32 >= 0)
		nla_put_u32(m, NL80211_RATE_INFO_BITRATE32, (uint32_t)r32);
	if (r16 >= 0)
		nla_put_u16(m, NL80211_RATE_INFO_BITRATE, (uint16_t)r16);
	nla_nest_end(m, n);
}

/* What mac80211 reports for an associated station (u64 byte counters, both rates). */
static struct nl_msg *full_station(void)
{
	struct nl_msg *m = msg_new(NL80211_CMD_NEW_STATION);
	struct nlattr *info;

	nla_put_u32(m, NL80211_ATTR_IFINDEX, 7);
	nla_put(m, NL80211_ATTR_MAC, 6, phone);
	nla_put_u32(m, NL80211_ATTR_GENERATION, 3);
	info = nla_nest_start(m, NL80211_ATTR_STA_INFO);
	nla_put_u32(m, NL80211_STA_INFO_INACTIVE_TIME, 1234);
	nla_put_u32(m, NL80211_STA_INFO_RX_BYTES, 99); /* the 64-bit one wins */
	nla_put_u64(m, NL80211_STA_INFO_RX_BYTES64, 5000000000ULL);
	nla_put_u32(m, NL80211_STA_INFO_TX_BYTES, 777);
	nla_put_u8(m, NL80211_STA_INFO_SIGNAL, (uint8_t)-42);
	nla_put_u8(m, NL80211_STA_INFO_SIGNAL_AVG, (uint8_t)-45);
	put_rate(m, NL80211_STA_INFO_TX_BITRATE, 8667, 8667); /* 866.7 Mbit/s */
	put_rate(m, NL80211_STA_INFO_RX_BITRATE, -1, 65); /* an old kernel: u16 only */
	nla_put_u32(m, NL80211_STA_INFO_TX_RETRIES, 3);
	nla_put_u32(m, NL80211_STA_INFO_TX_FAILED, 1);
	nla_put_u32(m, NL80211_STA_INFO_CONNECTED_TIME, 56);
	nla_nest_end(m, info);
	return m;
}

static void test_full(void)
{
	struct nl_msg *m = full_station();
	struct lw_station st;
	char mac[LW_MAC_STRLEN];

	LW_CHECK_INT(parse(m, &st), 0);
	LW_CHECK_STR(lw_mac_str(&st.mac, mac), "02:10:00:00:00:01");
	LW_CHECK_INT(st.ifindex, 7);
	LW_CHECK_INT(st.present, LW_STATION_SIGNAL | LW_STATION_SIGNAL_AVG | LW_STATION_TX_BITRATE |
					 LW_STATION_RX_BITRATE | LW_STATION_INACTIVE |
					 LW_STATION_CONNECTED | LW_STATION_RX_BYTES |
					 LW_STATION_TX_BYTES | LW_STATION_TX_RETRIES |
					 LW_STATION_TX_FAILED);
	LW_CHECK_INT(st.malformed, 0);
	LW_CHECK_INT(st.signal, -42);
	LW_CHECK_INT(st.signal_avg, -45);
	LW_CHECK_INT(st.tx_bitrate, 866700); /* kbit/s */
	LW_CHECK_INT(st.rx_bitrate, 6500);
	LW_CHECK_INT(st.inactive_ms, 1234);
	LW_CHECK_INT(st.connected_s, 56);
	LW_CHECK_INT(st.rx_bytes, 5000000000LL);
	LW_CHECK_INT(st.tx_bytes, 777);
	LW_CHECK_INT(st.tx_retries, 3);
	LW_CHECK_INT(st.tx_failed, 1);
	nlmsg_free(m);
}

/* Rates: BITRATE32 alone (above 65535 * 100 kbit/s the kernel sends no u16), or neither. */
static void test_rates(void)
{
	struct nl_msg *m = msg_new(NL80211_CMD_NEW_STATION);
	struct nlattr *info;
	struct lw_station st;

	nla_put(m, NL80211_ATTR_MAC, 6, phone);
	info = nla_nest_start(m, NL80211_ATTR_STA_INFO);
	put_rate(m, NL80211_STA_INFO_TX_BITRATE, 70000, -1); /* 7 Gbit/s */
	put_rate(m, NL80211_STA_INFO_RX_BITRATE, -1, -1); /* the kernel could not compute it */
	nla_nest_end(m, info);
	LW_CHECK_INT(parse(m, &st), 0);
	LW_CHECK_INT(st.present, LW_STATION_TX_BITRATE);
	LW_CHECK_INT(st.tx_bitrate, 7000000);
	LW_CHECK_INT(st.rx_bitrate, 0);
	LW_CHECK_INT(st.malformed, 0);
	LW_CHECK_INT(st.ifindex, 0); /* no NL80211_ATTR_IFINDEX: the caller knows which it asked */
	nlmsg_free(m);

	/* a malformed BITRATE32 falls back to BITRATE */
	m = msg_new(NL80211_CMD_NEW_STATION);
	nla_put(m, NL80211_ATTR_MAC, 6, phone);
	info = nla_nest_start(m, NL80211_ATTR_STA_INFO);
	{
		struct nlattr *r = nla_nest_start(m, NL80211_STA_INFO_TX_BITRATE);

		nla_put_u16(m, NL80211_RATE_INFO_BITRATE32, 1);
		nla_put_u16(m, NL80211_RATE_INFO_BITRATE, 10);
		nla_nest_end(m, r);
	}
	nla_nest_end(m, info);
	LW_CHECK_INT(parse(m, &st), 0);
	LW_CHECK_INT(st.present, LW_STATION_TX_BITRATE);
	LW_CHECK_INT(st.tx_bitrate, 1000);
	LW_CHECK_INT(st.malformed, 1);
	nlmsg_free(m);
}

/* Only what a station must have: its MAC.  32-bit byte counters when there are no others. */
static void test_missing(void)
{
	struct nl_msg *m = msg_new(NL80211_CMD_NEW_STATION);
	struct nlattr *info;
	struct lw_station st;

	nla_put(m, NL80211_ATTR_MAC, 6, phone);
	LW_CHECK_INT(parse(m, &st), 0);
	LW_CHECK_INT(st.present, 0);
	LW_CHECK_INT(st.malformed, 0);
	nlmsg_free(m);

	m = msg_new(NL80211_CMD_NEW_STATION);
	nla_put(m, NL80211_ATTR_MAC, 6, phone);
	info = nla_nest_start(m, NL80211_ATTR_STA_INFO);
	nla_put_u32(m, NL80211_STA_INFO_RX_BYTES, 4000000000U);
	nla_put_u32(m, NL80211_STA_INFO_TX_BYTES, 12);
	nla_nest_end(m, info);
	LW_CHECK_INT(parse(m, &st), 0);
	LW_CHECK_INT(st.present, LW_STATION_RX_BYTES | LW_STATION_TX_BYTES);
	LW_CHECK_INT(st.rx_bytes, 4000000000LL);
	LW_CHECK_INT(st.tx_bytes, 12);
	nlmsg_free(m);

	/* an empty STA_INFO */
	m = msg_new(NL80211_CMD_NEW_STATION);
	nla_put(m, NL80211_ATTR_MAC, 6, phone);
	info = nla_nest_start(m, NL80211_ATTR_STA_INFO);
	nla_nest_end(m, info);
	LW_CHECK_INT(parse(m, &st), 0);
	LW_CHECK_INT(st.present, 0);
	nlmsg_free(m);

	/* no MAC, or one of the wrong size: not a station */
	m = msg_new(NL80211_CMD_NEW_STATION);
	nla_put_u32(m, NL80211_ATTR_IFINDEX, 7);
	LW_CHECK_INT(parse(m, &st), -EBADMSG);
	nla_put(m, NL80211_ATTR_MAC, 5, phone);
	LW_CHECK_INT(parse(m, &st), -EBADMSG);
	nlmsg_free(m);
	m = msg_new(NL80211_CMD_NEW_STATION);
	nla_put(m, NL80211_ATTR_MAC, 8, "\x02\x10\0\0\0\x01\0\0");
	LW_CHECK_INT(parse(m, &st), -EBADMSG);
	nlmsg_free(m);

	/* another command */
	m = msg_new(NL80211_CMD_NEW_INTERFACE);
	nla_put(m, NL80211_ATTR_MAC, 6, phone);
	LW_CHECK_INT(parse(m, &st), -EBADMSG);
	nlmsg_free(m);
}

/* Attributes of the wrong size are skipped and counted; the others are still read. */
static void test_wrong_sizes(void)
{
	struct nl_msg *m = msg_new(NL80211_CMD_NEW_STATION);
	struct nlattr *info;
	struct lw_station st;

	nla_put(m, NL80211_ATTR_MAC, 6, phone);
	nla_put_u16(m, NL80211_ATTR_IFINDEX, 7); /* truncated u32 */
	info = nla_nest_start(m, NL80211_ATTR_STA_INFO);
	nla_put_u32(m, NL80211_STA_INFO_SIGNAL, 0xffffffd6); /* oversized u8 */
	nla_put_u16(m, NL80211_STA_INFO_INACTIVE_TIME, 5); /* truncated u32 */
	nla_put_u32(m, NL80211_STA_INFO_RX_BYTES64, 1); /* truncated u64 ... */
	nla_put_u32(m, NL80211_STA_INFO_RX_BYTES, 9); /* ... the 32-bit one is read */
	nla_put_u64(m, NL80211_STA_INFO_CONNECTED_TIME, 60); /* oversized u32 */
	nla_put_u8(m, NL80211_STA_INFO_SIGNAL_AVG, (uint8_t)-50);
	nla_nest_end(m, info);
	LW_CHECK_INT(parse(m, &st), 0);
	LW_CHECK_INT(st.ifindex, 0);
	LW_CHECK_INT(st.present, LW_STATION_SIGNAL_AVG | LW_STATION_RX_BYTES);
	LW_CHECK_INT(st.signal_avg, -50);
	LW_CHECK_INT(st.rx_bytes, 9);
	LW_CHECK_INT(st.malformed, 5);
	nlmsg_free(m);
}

/*
 * An attribute that claims more bytes than its nest holds: the parse stops there (what came
 * before it is kept), counted once; never a read past the message.
 */
static void test_overlong_attr(void)
{
	struct nl_msg *m = msg_new(NL80211_CMD_NEW_STATION);
	struct nlattr *info, *inactive;
	struct lw_station st;

	nla_put(m, NL80211_ATTR_MAC, 6, phone);
	info = nla_nest_start(m, NL80211_ATTR_STA_INFO);
	nla_put_u8(m, NL80211_STA_INFO_SIGNAL, (uint8_t)-30);
	inactive = (struct nlattr *)((char *)nlmsg_tail(nlmsg_hdr(m)));
	nla_put_u32(m, NL80211_STA_INFO_INACTIVE_TIME, 100);
	nla_put_u32(m, NL80211_STA_INFO_CONNECTED_TIME, 10);
	nla_nest_end(m, info);
	inactive->nla_len = 200;
	LW_CHECK_INT(parse(m, &st), 0);
	LW_CHECK_INT(st.present, LW_STATION_SIGNAL);
	LW_CHECK_INT(st.signal, -30);
	LW_CHECK_INT(st.malformed, 1);

	/* the nest itself longer than the message */
	info->nla_len = 0x7ff0;
	LW_CHECK_INT(parse(m, &st), 0);
	LW_CHECK_INT(st.present, 0);
	LW_CHECK_INT(st.malformed, 1);
	nlmsg_free(m);
}

/* A message cut anywhere (the buffer shorter than nlmsg_len) is refused; no byte past it read. */
static void test_truncated(void)
{
	struct nl_msg *m = full_station();
	size_t len = nlmsg_hdr(m)->nlmsg_len, n;
	struct lw_station st;
	int bad = 0;

	for (n = 0; n < len; n++)
		if (parse_n(m, n, &st) != -EBADMSG)
			bad++;
	LW_CHECK_INT(bad, 0);
	LW_CHECK_INT(lw_station_parse(NULL, 0, &st), -EBADMSG);

	/* nlmsg_len cut short instead: only the attributes inside it count */
	nlmsg_hdr(m)->nlmsg_len = NLMSG_HDRLEN + GENL_HDRLEN + 8 /* ifindex */ + 12 /* MAC */;
	LW_CHECK_INT(parse_n(m, len, &st), 0);
	LW_CHECK_INT(st.ifindex, 7);
	LW_CHECK_INT(st.present, 0);
	nlmsg_hdr(m)->nlmsg_len = NLMSG_HDRLEN + GENL_HDRLEN + 8 + 9; /* into the MAC */
	LW_CHECK_INT(parse_n(m, len, &st), -EBADMSG);
	nlmsg_hdr(m)->nlmsg_len = NLMSG_HDRLEN; /* no genl header */
	LW_CHECK_INT(parse_n(m, len, &st), -EBADMSG);
	nlmsg_free(m);
}

/* The dump object opens without nl80211 (a kernel without Wi-Fi) and refuses an empty round. */
static void test_dump_args(void)
{
	struct lw_station_dump *d = NULL;
	struct lw_station_stats ss;
	int r = lw_station_dump_new(NULL, NULL, NULL, &d);

	LW_CHECK_INT(r, -EINVAL);
	LW_CHECK(d == NULL);
	r = lw_station_dump_new((lw_station_fn)(void (*)(void))abort, NULL, NULL, &d);
	if (r < 0) {
		fprintf(stderr, "     no generic netlink socket here (%s)\n", strerror(-r));
		return;
	}
	LW_CHECK(lw_station_dump_fd(d) >= 0);
	LW_CHECK_INT(lw_station_dump_start(d, NULL, 0), -EINVAL);
	LW_CHECK(!lw_station_dump_busy(d));
	LW_CHECK_INT(lw_station_dump_dispatch(d), 0); /* nothing to read: returns at once */
	lw_station_dump_get_stats(d, &ss);
	LW_CHECK_INT(ss.rounds, 0);
	lw_station_dump_free(d);
	lw_station_dump_free(NULL);
}

struct rounds {
	unsigned stations, done;
	size_t n;
	int err[LW_STATION_IFACES_MAX];
};

static void count_station(const struct lw_station *st, void *user_data)
{
	(void)st;
	((struct rounds *)user_data)->stations++;
}

static void record_round(const struct lw_station_round *round, void *user_data)
{
	struct rounds *r = user_data;
	size_t k;

	r->done++;
	r->n = round->n;
	for (k = 0; k < round->n && k < LW_STATION_IFACES_MAX; k++)
		r->err[k] = round->ifaces[k].err;
}

/* Reads the socket until done has been called want times (2 s at most). */
static void pump(struct lw_station_dump *d, struct rounds *r, unsigned want)
{
	int i;

	for (i = 0; i < 200 && r->done < want; i++) {
		struct pollfd p = {.fd = lw_station_dump_fd(d), .events = POLLIN};

		if (poll(&p, 1, 10) > 0)
			LW_CHECK_INT(lw_station_dump_dispatch(d), 0);
	}
}

/*
 * A round against the real kernel with a family id nobody has: every interface is asked in
 * turn and ends with the controller's -ENOENT (an NLMSG_ERROR), the round ends once, and the
 * next start asks for nl80211's id again.  A start while a round runs is refused and counted;
 * the third in a row gives that round up, and its late replies are not taken for the new one.
 */
static void test_dump_rounds(void)
{
	static const int ifindex[] = {1, 2, 3};
	struct lw_station_dump *d = NULL;
	struct lw_station_stats ss;
	struct rounds r = {0};
	struct nl_sock *s;
	int nl80211 = -1, k;

	if (lw_station_dump_new(count_station, record_round, &r, &d) < 0) {
		fprintf(stderr, "     no generic netlink socket here\n");
		return;
	}
	s = nl_socket_alloc();
	if (s && genl_connect(s) == 0)
		nl80211 = genl_ctrl_resolve(s, "nl80211");
	nl_socket_free(s);

	lw_station_dump_set_family(d, 0xfff0);
	LW_CHECK_INT(lw_station_dump_start(d, ifindex, 3), 0);
	LW_CHECK(lw_station_dump_busy(d));
	pump(d, &r, 1);
	LW_CHECK_INT(r.done, 1);
	LW_CHECK_INT(r.n, 3);
	for (k = 0; k < 3; k++)
		LW_CHECK_INT(r.err[k], -ENOENT);
	LW_CHECK_INT(r.stations, 0);
	LW_CHECK(!lw_station_dump_busy(d));
	lw_station_dump_get_stats(d, &ss);
	LW_CHECK_INT(ss.rounds, 1);
	/* -ENOENT: nl80211's id is asked for again */
	LW_CHECK_INT(lw_station_dump_start(d, ifindex, 1), nl80211 >= 0 ? 0 : -EOPNOTSUPP);
	if (nl80211 >= 0)
		pump(d, &r, 2);

	/* busy: refused twice, then that round is given up for a new one */
	r.done = 0;
	lw_station_dump_set_family(d, 0xfff0);
	LW_CHECK_INT(lw_station_dump_start(d, ifindex, 3), 0);
	LW_CHECK_INT(lw_station_dump_start(d, ifindex, 3), -EBUSY);
	LW_CHECK_INT(lw_station_dump_start(d, ifindex, 3), -EBUSY);
	LW_CHECK_INT(lw_station_dump_start(d, ifindex, 2), 0);
	pump(d, &r, 1);
	LW_CHECK_INT(r.done, 1);
	LW_CHECK_INT(r.n, 2);
	LW_CHECK_INT(r.err[0], -ENOENT);
	LW_CHECK_INT(r.err[1], -ENOENT);
	pump(d, &r, 2); /* nothing more comes: the old round's reply is dropped */
	LW_CHECK_INT(r.done, 1);
	LW_CHECK(!lw_station_dump_busy(d));
	lw_station_dump_get_stats(d, &ss);
	LW_CHECK_INT(ss.busy, 3);
	lw_station_dump_free(d);
}

int main(void)
{
	LW_TEST(test_full);
	LW_TEST(test_rates);
	LW_TEST(test_missing);
	LW_TEST(test_wrong_sizes);
	LW_TEST(test_overlong_attr);
	LW_TEST(test_truncated);
	LW_TEST(test_dump_args);
	LW_TEST(test_dump_rounds);
	return lw_test_end();
}
