/* SPDX-License-Identifier: MIT */
/*
 * hostapd's control interface, without blocking: which stations are associated, and when they
 * come and go.
 *
 * hostapd opens one unix datagram socket per interface in its ctrl_interface directory (default
 * /var/run/hostapd), named after the interface.  A client binds its own socket, sends "ATTACH"
 * and from then on receives unsolicited event lines such as "<3>AP-STA-CONNECTED
 * 02:00:5e:10:00:01"; "STA-FIRST" / "STA-NEXT <mac>" list the stations already there.  This
 * client does that for every socket in the directory, all behind one pollable fd, and
 * reconnects with backoff when hostapd restarts or a socket appears later (the directory is
 * watched with inotify, and rescanned on a timer when it does not exist yet).
 *
 * Unlike wpa_ctrl, the client socket is bound to an autobound abstract address rather than a
 * file in /tmp: hostapd replies to the sender's address as seen from its own mount namespace,
 * so a file under a private /tmp (systemd's PrivateTmp, ProtectSystem=strict) would be
 * unreachable, while abstract addresses belong to the network namespace both share.
 */
#ifndef LW_AP_HOSTAPD_H
#define LW_AP_HOSTAPD_H

#include <stddef.h>

#include "core/types.h"

#define LW_HOSTAPD_MSG_MAX 8192 /* one datagram; hostapd's own replies are at most 4096 */
#define LW_HOSTAPD_IFACES_MAX 64 /* sockets watched in the directory */
#define LW_HOSTAPD_LIST_MAX 4096 /* stations listed per interface at attach */
#define LW_HOSTAPD_IFNAME_MAX 32 /* a socket's name (the interface name; sessions.ifname) */

/* --- event lines (pure parsing, no I/O) ------------------------------------------------- */

enum lw_hostapd_line_kind {
	LW_HOSTAPD_LINE_CONNECTED, /* AP-STA-CONNECTED <mac> ... */
	LW_HOSTAPD_LINE_DISCONNECTED, /* AP-STA-DISCONNECTED <mac> ... */
	LW_HOSTAPD_LINE_OTHER, /* a well-formed event this client does not use */
};

struct lw_hostapd_line {
	enum lw_hostapd_line_kind kind;
	int level; /* the <N> priority */
	struct lw_mac mac; /* CONNECTED / DISCONNECTED */
};

/*
 * Parses one unsolicited message "<N>EVENT-NAME args..." (s need not be NUL-terminated; a
 * trailing newline is allowed).  0, or -EBADMSG when it is not such a message or a station
 * event lacks a valid MAC.
 */
int lw_hostapd_parse_event(const char *s, size_t len, struct lw_hostapd_line *out);

/*
 * Parses a reply to STA-FIRST / STA-NEXT: the station's MAC on the first line, then key=value
 * lines.  Returns 1 with *mac and *connected_time (seconds, -1 when the reply has none), 0 for
 * an empty reply (the end of the list), -ENOENT for "FAIL" (the station asked about is gone),
 * -EBADMSG for anything else.
 */
int lw_hostapd_parse_sta(const char *s, size_t len, struct lw_mac *mac, long *connected_time);

/* --- the client ------------------------------------------------------------------------- */

struct lw_hostapd_config {
	const char *ctrl_dir; /* default /var/run/hostapd */
	unsigned backoff_min_ms; /* first retry after a failure; default 250 */
	unsigned backoff_max_ms; /* retries back off up to this; default 30000 */
	unsigned ping_ms; /* an attached socket idle this long is PINGed; default 10000 */
	unsigned reply_timeout_ms; /* a request unanswered this long: reconnect; default 3000 */
};

enum lw_hostapd_event_type {
	LW_HOSTAPD_ATTACHED, /* ifname: ATTACH accepted; a station list follows */
	LW_HOSTAPD_STATION, /* ifname, mac, connected_time: a station from the list */
	LW_HOSTAPD_LISTED, /* ifname: the list is complete */
	LW_HOSTAPD_CONNECTED, /* ifname, mac: AP-STA-CONNECTED */
	LW_HOSTAPD_DISCONNECTED, /* ifname, mac: AP-STA-DISCONNECTED */
	LW_HOSTAPD_DETACHED, /* ifname: the socket went away or stopped answering */
};

struct lw_hostapd_event {
	enum lw_hostapd_event_type type;
	const char *ifname;
	struct lw_mac mac;
	long connected_time; /* STATION: seconds associated, -1 unknown */
};

typedef void (*lw_hostapd_fn)(const struct lw_hostapd_event *ev, void *user_data);

struct lw_hostapd_stats {
	uint64_t events; /* station events delivered */
	uint64_t malformed; /* lines that did not parse, truncated datagrams */
	uint64_t ignored; /* well-formed events or replies not used */
	uint64_t connects; /* ATTACHes accepted */
	uint64_t failures; /* connection attempts failed or sockets lost */
	unsigned attached; /* sockets attached now */
};

struct lw_hostapd;

/* cfg may be NULL (defaults).  0 or -errno. */
int lw_hostapd_new(const struct lw_hostapd_config *cfg, lw_hostapd_fn fn, void *user_data,
		   struct lw_hostapd **out);
void lw_hostapd_free(struct lw_hostapd *h);

/* One fd (an epoll set of every socket and the directory watch) to poll for input. */
int lw_hostapd_fd(const struct lw_hostapd *h);
/* Reads everything ready; now is a monotonic time. */
void lw_hostapd_dispatch(struct lw_hostapd *h, lw_time_us now);
/*
 * Timers: retries, pings, reply timeouts, rescans of a missing directory.  Call about every
 * 250 ms (the first call connects to the sockets already there).
 */
void lw_hostapd_tick(struct lw_hostapd *h, lw_time_us now);

void lw_hostapd_get_stats(const struct lw_hostapd *h, struct lw_hostapd_stats *out);

#endif
