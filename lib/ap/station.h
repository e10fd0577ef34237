/* SPDX-License-Identifier: MIT */
/*
 * nl80211 station information: what the kernel knows about each Wi-Fi station of an AP
 * interface (signal, rates, inactive time, bytes), asked with NL80211_CMD_GET_STATION dumps on
 * a non-blocking generic-netlink socket that the caller polls, one interface after another.
 *
 * A kernel without Wi-Fi has no nl80211 family: lw_station_dump_start() then returns
 * -EOPNOTSUPP (asked again at every start, so a cfg80211 loaded later is found).  An
 * interface that is not Wi-Fi (a wired bridge port) ends its dump with an error, reported per
 * interface; it is not a failure.
 */
#ifndef LW_AP_STATION_H
#define LW_AP_STATION_H

#include <net/if.h>
#include <stddef.h>
#include <stdint.h>

#include "core/types.h"

/* Stations kept per interface and round; the rest of the dump is read and counted as cut. */
#define LW_STATION_PER_IFACE_MAX 1024
/* Interfaces asked per round (the watched interface and its bridge ports). */
#define LW_STATION_IFACES_MAX 64

/* Which fields of struct lw_station the kernel reported. */
enum lw_station_field {
	LW_STATION_SIGNAL = 1u << 0,
	LW_STATION_SIGNAL_AVG = 1u << 1,
	LW_STATION_TX_BITRATE = 1u << 2,
	LW_STATION_RX_BITRATE = 1u << 3,
	LW_STATION_INACTIVE = 1u << 4,
	LW_STATION_CONNECTED = 1u << 5,
	LW_STATION_RX_BYTES = 1u << 6,
	LW_STATION_TX_BYTES = 1u << 7,
	LW_STATION_TX_RETRIES = 1u << 8,
	LW_STATION_TX_FAILED = 1u << 9,
};

struct lw_station {
	struct lw_mac mac;
	int ifindex; /* NL80211_ATTR_IFINDEX; 0 when absent */
	unsigned present; /* enum lw_station_field bits; the other fields are 0 */
	/*
	 * Attributes ignored because their length was wrong for their type (or a rate nest
	 * that did not parse): the rest of the station is still read.
	 */
	unsigned malformed;
	int signal; /* dBm, NL80211_STA_INFO_SIGNAL (last frame received) */
	int signal_avg; /* dBm, NL80211_STA_INFO_SIGNAL_AVG */
	/*
	 * kbit/s, from the rate nest's NL80211_RATE_INFO_BITRATE32 (100 kbit/s units), or
	 * NL80211_RATE_INFO_BITRATE (u16, same units) from a kernel that sends only that.  A
	 * rate nest without either (the kernel could not compute the rate) leaves it absent.
	 */
	uint64_t tx_bitrate;
	uint64_t rx_bitrate;
	uint32_t inactive_ms; /* NL80211_STA_INFO_INACTIVE_TIME */
	uint32_t connected_s; /* NL80211_STA_INFO_CONNECTED_TIME */
	uint64_t rx_bytes, tx_bytes; /* the *_BYTES64 attributes, else the 32-bit ones */
	uint32_t tx_retries, tx_failed;
};

/*
 * Reads one NL80211_CMD_NEW_STATION message (the netlink header first) of len bytes into st.
 * 0; -EBADMSG for a message that is too short, claims more than len, is not
 * NL80211_CMD_NEW_STATION, or has no 6-byte NL80211_ATTR_MAC.  Attributes of the wrong size
 * are skipped and counted in st->malformed.  Never reads outside buf[0..len).  buf is 4-byte
 * aligned, as netlink messages are (only the headers of a cut one are read, by copying).
 */
int lw_station_parse(const void *buf, size_t len, struct lw_station *st);

/* One interface's dump in a round. */
struct lw_station_iface {
	int ifindex;
	/*
	 * 0: a Wi-Fi interface that answered; else the kernel's -errno for it (-ENODEV or
	 * -EOPNOTSUPP: not a Wi-Fi interface), or -ENOBUFS if the reply did not fit the socket.
	 */
	int err;
	unsigned stations; /* reported to the callback */
	unsigned cut; /* beyond LW_STATION_PER_IFACE_MAX, read and dropped */
	unsigned malformed; /* messages lw_station_parse() refused */
};

struct lw_station_round {
	size_t n;
	const struct lw_station_iface *ifaces;
};

typedef void (*lw_station_fn)(const struct lw_station *st, void *user_data);
typedef void (*lw_station_done_fn)(const struct lw_station_round *round, void *user_data);

struct lw_station_stats {
	uint64_t rounds; /* finished */
	uint64_t stations; /* passed to the callback */
	uint64_t cut; /* dropped over LW_STATION_PER_IFACE_MAX */
	uint64_t malformed; /* station messages refused */
	uint64_t busy; /* starts refused because the last round was still running */
};

struct lw_station_dump;

/*
 * fn is called for each station, done once each round has asked every interface.  Opens the
 * non-blocking socket (its fd does not change).  0 or -errno.
 */
int lw_station_dump_new(lw_station_fn fn, lw_station_done_fn done, void *user_data,
			struct lw_station_dump **out);
void lw_station_dump_free(struct lw_station_dump *d);

int lw_station_dump_fd(const struct lw_station_dump *d);

/*
 * Starts a round over ifindex[0..n) (at most LW_STATION_IFACES_MAX are asked).  Returns 0,
 * -EOPNOTSUPP without nl80211, -EBUSY while the last round is still running (counted),
 * -EINVAL for n == 0.  The replies arrive on the fd.  An interface whose request cannot be
 * sent ends with that error; if none could be, the round ends (and done is called) in here.
 */
int lw_station_dump_start(struct lw_station_dump *d, const int *ifindex, size_t n);

/*
 * Reads what is ready on the fd without waiting, calling fn for each station and done at the
 * end of the round.  0 or -errno.
 */
int lw_station_dump_dispatch(struct lw_station_dump *d);

/* A round is running (started, done not called yet). */
bool lw_station_dump_busy(const struct lw_station_dump *d);

void lw_station_dump_get_stats(const struct lw_station_dump *d, struct lw_station_stats *out);

/*
 * For tests: take family as nl80211's id instead of asking the controller (an id no family has
 * makes every request end with -ENOENT, after which the next start asks again).
 */
void lw_station_dump_set_family(struct lw_station_dump *d, int family);

#endif
