/* SPDX-License-Identifier: MIT */
/*
 * hostapd stations -> sessions and devices; netlink -> link state, ports, addresses;
 * nl80211 -> stations rows.
 *
 * A session is one association of a station with one hostapd interface: a row opens when the
 * station connects (or is found in the station list when leakwatch attaches, its start set
 * back by hostapd's connected_time) and closes when it leaves.  When hostapd goes away the
 * open sessions are kept; once it is back, its station list decides: a station still there
 * with a connected_time that reaches back before the gap keeps its row, the others are closed
 * at the time hostapd went away and, if present again, start a new row.  If the daemon stops
 * before hostapd is back, they end at the time it went away too.
 */
#include "ap.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ap/hostapd.h"
#include "ap/netlink.h"
#include "ap/oui.h"
#include "ap/station.h"
#include "log.h"
#include "privc.h"

#define START_SLACK 5.0 /* seconds a listed station's start may differ from the open row's */

/* --- device facts ------------------------------------------------------------------------ */

struct label {
	struct lw_mac mac;
	char label[64];
};

struct lw_devinfo {
	struct lw_oui *oui;
	size_t n_labels;
	struct label *labels; /* sorted by MAC */
	struct lw_nl *nl; /* lw_ap's, while it runs: the bridge FDB for ports; else NULL */
};

_Static_assert(sizeof(((struct lw_device_rec *)0)->port) == IF_NAMESIZE,
	       "devices.port holds an interface name");

static int mac_cmp(const void *a, const void *b)
{
	return memcmp(((const struct label *)a)->mac.b, ((const struct label *)b)->mac.b, 6);
}

int lw_devinfo_new(const struct lw_config *cfg, struct lw_devinfo **out)
{
	static const char *const defaults[] = {"/usr/share/ieee-data/oui.txt",
					       "/usr/share/ieee-data/oui.csv"};
	struct lw_devinfo *d = calloc(1, sizeof(*d));
	size_t i;
	int r = -ENOENT;

	*out = NULL;
	if (!d)
		return -ENOMEM;
	if (cfg->oui_file[0]) {
		r = lw_oui_load(cfg->oui_file, &d->oui);
		if (r < 0)
			lw_log_warning("%s: %s; devices get no vendor", cfg->oui_file,
				       r == -EINVAL ? "no OUI entries" : strerror(-r));
	} else {
		for (i = 0; i < LW_ARRAY_SIZE(defaults) && r == -ENOENT; i++)
			r = lw_oui_load(defaults[i], &d->oui);
		if (r == -ENOENT)
			lw_log_info("no IEEE OUI registry (install ieee-data): devices get no "
				    "vendor");
		else if (r < 0)
			lw_log_warning("IEEE OUI registry: %s; devices get no vendor",
				       strerror(-r));
	}
	if (cfg->n_devices) {
		d->labels = calloc(cfg->n_devices, sizeof(*d->labels));
		if (!d->labels) {
			lw_devinfo_free(d);
			return -ENOMEM;
		}
		for (i = 0; i < cfg->n_devices; i++) {
			if (!cfg->devices[i].label[0])
				continue;
			d->labels[d->n_labels].mac = cfg->devices[i].mac;
			snprintf(d->labels[d->n_labels].label, sizeof(d->labels[0].label), "%s",
				 cfg->devices[i].label);
			d->n_labels++;
		}
		qsort(d->labels, d->n_labels, sizeof(*d->labels), mac_cmp);
	}
	*out = d;
	return 0;
}

void lw_devinfo_free(struct lw_devinfo *d)
{
	if (!d)
		return;
	lw_oui_free(d->oui);
	free(d->labels);
	free(d);
}

void lw_devinfo_fill(const struct lw_mac *mac, struct lw_device_rec *r, void *user_data)
{
	const struct lw_devinfo *d = user_data;
	const char *vendor;
	struct label key, *l;

	if (!d)
		return;
	vendor = lw_oui_lookup(d->oui, mac);
	if (vendor)
		snprintf(r->vendor, sizeof(r->vendor), "%s", vendor);
	key.mac = *mac;
	l = d->n_labels ? bsearch(&key, d->labels, d->n_labels, sizeof(key), mac_cmp) : NULL;
	if (l)
		snprintf(r->label, sizeof(r->label), "%s", l->label);
	/* the loop's thread: the pipeline and netlink both run in it */
	if (d->nl)
		lw_nl_port_of(d->nl, mac, r->port);
}

/* --- sessions ---------------------------------------------------------------------------- */

struct session {
	bool used;
	bool seen; /* in the station list being received */
	struct lw_mac mac;
	char ifname[LW_HOSTAPD_IFNAME_MAX];
	double start;
	double lost_at; /* hostapd went away at; 0 = attached */
};

struct lw_ap {
	struct lw_config cfg;
	struct lw_store *store;
	struct lw_loop *loop;
	struct lw_devinfo *devinfo;
	struct lw_ap_hooks hooks;
	bool hostapd; /* followed (by the privileged process: privc.h) */
	struct lw_nl *nl;
	struct lw_station_dump *stations;
	double stations_ts; /* the time of the round being received */
	int wifi_state; /* what was last logged about Wi-Fi: enum wifi_state */
	char wifi_ifaces[256]; /* the Wi-Fi interfaces the last round found, as logged */
	bool cut_logged, lost_logged;
	size_t n_sessions;
	struct session sessions[LW_AP_SESSIONS_MAX];
};

static double wall(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static struct session *session_find(struct lw_ap *ap, const struct lw_mac *mac, const char *ifname)
{
	size_t i;

	for (i = 0; i < LW_AP_SESSIONS_MAX; i++) {
		struct session *s = &ap->sessions[i];

		if (s->used && memcmp(s->mac.b, mac->b, 6) == 0 && strcmp(s->ifname, ifname) == 0)
			return s;
	}
	return NULL;
}

static void write_session(struct lw_ap *ap, const struct session *s, double end)
{
	struct lw_session_rec r;

	memset(&r, 0, sizeof(r));
	lw_mac_str(&s->mac, r.mac);
	snprintf(r.ifname, sizeof(r.ifname), "%s", s->ifname);
	r.start = s->start;
	r.end = end;
	lw_store_put_session(ap->store, &r);
}

static void write_device(struct lw_ap *ap, const struct lw_mac *mac, double ts,
			 const struct lw_addr *ip)
{
	struct lw_device_rec r;

	memset(&r, 0, sizeof(r));
	lw_mac_str(mac, r.mac);
	r.ts = ts;
	r.randomized = lw_mac_is_local(mac);
	if (ip && ip->family)
		lw_addr_str(ip, r.ip);
	lw_devinfo_fill(mac, &r, ap->devinfo);
	lw_store_put_device(ap->store, &r);
}

/*
 * The bridge learned mac on port, or saw it move there: the port of its row, if it is a
 * device.  The FDB holds every MAC behind every port (an uplink's whole LAN), so it adds no
 * row; a device's first row gets its port from lw_devinfo_fill().
 */
static void write_port(struct lw_ap *ap, const struct lw_mac *mac, const char *port)
{
	struct lw_device_rec r;

	memset(&r, 0, sizeof(r));
	lw_mac_str(mac, r.mac);
	r.ts = wall();
	r.randomized = lw_mac_is_local(mac);
	snprintf(r.port, sizeof(r.port), "%s", port);
	r.known_only = true;
	lw_store_put_device(ap->store, &r);
}

static void session_open(struct lw_ap *ap, const struct lw_mac *mac, const char *ifname,
			 double start)
{
	struct session *s = NULL;
	char m[LW_MAC_STRLEN], port[IF_NAMESIZE] = "";
	size_t i;

	for (i = 0; i < LW_AP_SESSIONS_MAX && !s; i++)
		if (!ap->sessions[i].used)
			s = &ap->sessions[i];
	lw_mac_str(mac, m);
	if (!s) {
		lw_log_warning("%s: more than %d stations associated; %s not tracked", ifname,
			       LW_AP_SESSIONS_MAX, m);
		return;
	}
	memset(s, 0, sizeof(*s));
	s->used = true;
	s->seen = true;
	s->mac = *mac;
	snprintf(s->ifname, sizeof(s->ifname), "%s", ifname);
	s->start = start;
	ap->n_sessions++;
	write_session(ap, s, 0);
	write_device(ap, mac, start, NULL);
	if (ap->nl)
		lw_nl_port_of(ap->nl, mac, port);
	lw_log_info("%s: station %s associated%s%s", ifname, m, port[0] ? " on bridge port " : "",
		    port);
}

static void session_close(struct lw_ap *ap, struct session *s, double end)
{
	char m[LW_MAC_STRLEN];

	if (end < s->start)
		end = s->start;
	write_session(ap, s, end);
	write_device(ap, &s->mac, end, NULL);
	lw_log_info("%s: station %s left", s->ifname, lw_mac_str(&s->mac, m));
	s->used = false;
	ap->n_sessions--;
}

static void on_station(struct lw_ap *ap, const struct lw_hostapd_event *ev, double now)
{
	struct session *s = session_find(ap, &ev->mac, ev->ifname);
	double start = ev->connected_time >= 0 ? now - (double)ev->connected_time : now;

	if (s) {
		/*
		 * The row stays if the station has been associated since before the gap; if it
		 * associated again meanwhile, the old row ends and a new one starts.
		 */
		if (s->lost_at == 0 || ev->connected_time < 0 || start <= s->start + START_SLACK) {
			s->seen = true;
			s->lost_at = 0;
			return;
		}
		session_close(ap, s, s->lost_at ? s->lost_at : start);
	}
	session_open(ap, &ev->mac, ev->ifname, start);
}

static void on_hostapd(const struct lw_hostapd_event *ev, void *user_data)
{
	struct lw_ap *ap = user_data;
	double now = wall();
	struct session *s;
	size_t i;

	switch (ev->type) {
	case LW_HOSTAPD_ATTACHED:
		lw_log_info("hostapd: attached to %s", ev->ifname);
		for (i = 0; i < LW_AP_SESSIONS_MAX; i++)
			if (ap->sessions[i].used && !strcmp(ap->sessions[i].ifname, ev->ifname))
				ap->sessions[i].seen = false;
		return;
	case LW_HOSTAPD_STATION:
		on_station(ap, ev, now);
		return;
	case LW_HOSTAPD_LISTED:
		/* open rows of stations not listed: they left while nobody was listening */
		for (i = 0; i < LW_AP_SESSIONS_MAX; i++) {
			s = &ap->sessions[i];
			if (s->used && !s->seen && !strcmp(s->ifname, ev->ifname))
				session_close(ap, s, s->lost_at ? s->lost_at : now);
		}
		return;
	case LW_HOSTAPD_CONNECTED:
		s = session_find(ap, &ev->mac, ev->ifname);
		if (!s)
			session_open(ap, &ev->mac, ev->ifname, now);
		return;
	case LW_HOSTAPD_DISCONNECTED:
		s = session_find(ap, &ev->mac, ev->ifname);
		if (s)
			session_close(ap, s, now);
		return;
	case LW_HOSTAPD_DETACHED:
		lw_log_warning("hostapd: lost %s; reconnecting when it is back", ev->ifname);
		for (i = 0; i < LW_AP_SESSIONS_MAX; i++)
			if (ap->sessions[i].used && !strcmp(ap->sessions[i].ifname, ev->ifname) &&
			    !ap->sessions[i].lost_at)
				ap->sessions[i].lost_at = now;
		return;
	}
}

/* --- netlink ----------------------------------------------------------------------------- */

static bool has_session(struct lw_ap *ap, const struct lw_mac *mac)
{
	size_t i;

	for (i = 0; i < LW_AP_SESSIONS_MAX; i++)
		if (ap->sessions[i].used && !memcmp(ap->sessions[i].mac.b, mac->b, 6))
			return true;
	return false;
}

static void on_nl(const struct lw_nl_event *ev, void *user_data)
{
	struct lw_ap *ap = user_data;
	char m[LW_MAC_STRLEN], a[LW_ADDR_STRLEN];

	switch (ev->type) {
	case LW_NL_LINK:
		lw_log_info("%s is %s", ap->cfg.interface, ev->up ? "up" : "down");
		if (ap->hooks.link)
			ap->hooks.link(ev->up, ap->hooks.user_data);
		return;
	case LW_NL_FDB:
		/* an entry that ages out leaves the row with the port the MAC was last on */
		if (!ev->removed && ev->port[0]) {
			lw_log_debug("fdb: %s on port %s", lw_mac_str(&ev->mac, m), ev->port);
			write_port(ap, &ev->mac, ev->port);
		}
		return;
	case LW_NL_NEIGH:
		/* the AP itself talked to a station: its address is known for sure */
		if (!ev->removed && has_session(ap, &ev->mac)) {
			lw_log_debug("neighbour: %s is %s", lw_addr_str(&ev->addr, a),
				     lw_mac_str(&ev->mac, m));
			write_device(ap, &ev->mac, wall(), &ev->addr);
		}
		return;
	}
}

static void on_nl_fd(int fd, unsigned events, void *user_data)
{
	struct lw_ap *ap = user_data;

	(void)fd;
	(void)events;
	lw_nl_dispatch(ap->nl);
}

/* --- nl80211 stations --------------------------------------------------------------------- */

enum wifi_state {
	WIFI_UNKNOWN,
	WIFI_NO_NL80211, /* a kernel without Wi-Fi */
	WIFI_NONE, /* nl80211, but no Wi-Fi interface among the captured one and its ports */
	WIFI_SOME,
	WIFI_FAILED,
};

static void on_station_info(const struct lw_station *st, void *user_data)
{
	struct lw_ap *ap = user_data;
	struct lw_station_rec r;
	char m[LW_MAC_STRLEN];

	_Static_assert(sizeof(r.ifname) == IF_NAMESIZE, "stations.ifname holds an interface name");
	memset(&r, 0, sizeof(r));
	r.ts = ap->stations_ts;
	lw_mac_str(&st->mac, r.mac);
	lw_nl_ifname(ap->nl, st->ifindex, r.ifname);
	r.has_signal = st->present & LW_STATION_SIGNAL;
	r.signal = st->signal;
	r.has_signal_avg = st->present & LW_STATION_SIGNAL_AVG;
	r.signal_avg = st->signal_avg;
#define OPT(field, bit) ((st->present & (bit)) ? (int64_t)st->field : -1)
	r.tx_bitrate = OPT(tx_bitrate, LW_STATION_TX_BITRATE);
	r.rx_bitrate = OPT(rx_bitrate, LW_STATION_RX_BITRATE);
	r.inactive_ms = OPT(inactive_ms, LW_STATION_INACTIVE);
	r.connected_s = OPT(connected_s, LW_STATION_CONNECTED);
	r.rx_bytes = OPT(rx_bytes, LW_STATION_RX_BYTES);
	r.tx_bytes = OPT(tx_bytes, LW_STATION_TX_BYTES);
	r.tx_retries = OPT(tx_retries, LW_STATION_TX_RETRIES);
	r.tx_failed = OPT(tx_failed, LW_STATION_TX_FAILED);
#undef OPT
	lw_store_put_station(ap->store, &r);
	lw_log_debug("wifi: %s on %s: signal %d dBm, tx %lld kbit/s, inactive %lld ms",
		     lw_mac_str(&st->mac, m), r.ifname, r.has_signal ? r.signal : 0,
		     (long long)r.tx_bitrate, (long long)r.inactive_ms);
}

/* Says what changed: which interfaces give station data, or that none does. */
static void on_station_round(const struct lw_station_round *round, void *user_data)
{
	struct lw_ap *ap = user_data;
	char ifaces[sizeof(ap->wifi_ifaces)] = "", name[IF_NAMESIZE];
	unsigned cut = 0;
	size_t k, off = 0;

	for (k = 0; k < round->n; k++) {
		const struct lw_station_iface *i = &round->ifaces[k];

		cut += i->cut;
		if (i->err == -ENOBUFS && !ap->lost_logged) {
			lw_log_warning("wifi: the station list of interface %d was lost (socket "
				       "overflow); asked again next time (logged once)",
				       i->ifindex);
			ap->lost_logged = true;
		}
		if (i->err < 0)
			continue; /* not Wi-Fi (-ENODEV, -EOPNOTSUPP) */
		if (lw_nl_ifname(ap->nl, i->ifindex, name) < 0)
			snprintf(name, sizeof(name), "%d", i->ifindex);
		if (off < sizeof(ifaces))
			off += (size_t)snprintf(ifaces + off, sizeof(ifaces) - off, "%s%s",
						off ? " " : "", name);
	}
	if (cut && !ap->cut_logged) {
		lw_log_warning("wifi: more than %d stations on one interface; %u not written "
			       "(counted; logged once)",
			       LW_STATION_PER_IFACE_MAX, cut);
		ap->cut_logged = true;
	}
	if (!ifaces[0]) {
		if (ap->wifi_state != WIFI_NONE)
			lw_log_info("wifi: no Wi-Fi interface among %s and its ports: no station "
				    "rows until one is added",
				    ap->cfg.interface);
		ap->wifi_state = WIFI_NONE;
		return;
	}
	if (ap->wifi_state != WIFI_SOME || strcmp(ifaces, ap->wifi_ifaces) != 0)
		lw_log_info("wifi: station data from %s every %ld s", ifaces,
			    ap->cfg.station_interval);
	ap->wifi_state = WIFI_SOME;
	snprintf(ap->wifi_ifaces, sizeof(ap->wifi_ifaces), "%s", ifaces);
}

static void on_stations_fd(int fd, unsigned events, void *user_data)
{
	struct lw_ap *ap = user_data;

	(void)fd;
	(void)events;
	lw_station_dump_dispatch(ap->stations);
}

/*
 * Every station_interval: the captured interface and its bridge ports as the link cache has
 * them now (so ports that come and go are followed), each asked for its stations.
 */
static void on_stations_timer(void *user_data)
{
	struct lw_ap *ap = user_data;
	int ifindex[LW_STATION_IFACES_MAX];
	size_t n = lw_nl_ports(ap->nl, ifindex, LW_ARRAY_SIZE(ifindex));
	int r;

	if (n == 0)
		return; /* the captured interface is gone for now */
	/* replies already here, behind this timer in the same wake-up, end the last round */
	if (lw_station_dump_busy(ap->stations))
		lw_station_dump_dispatch(ap->stations);
	ap->stations_ts = wall();
	r = lw_station_dump_start(ap->stations, ifindex, n);
	if (r == 0 || r == -EBUSY) {
		if (r == -EBUSY)
			lw_log_debug("wifi: the last station round is still running");
		return;
	}
	if (r == -EOPNOTSUPP) {
		if (ap->wifi_state != WIFI_NO_NL80211)
			lw_log_info("wifi: no nl80211 in this kernel (no Wi-Fi): no station rows");
		ap->wifi_state = WIFI_NO_NL80211;
		return;
	}
	if (ap->wifi_state != WIFI_FAILED)
		lw_log_warning("wifi: asking nl80211 for stations: %s", strerror(-r));
	ap->wifi_state = WIFI_FAILED;
}

static void stations_start(struct lw_ap *ap, const struct lw_config *cfg)
{
	int r;

	if (cfg->station_interval <= 0) {
		lw_log_debug("wifi: station_interval 0: no station rows");
		return;
	}
	r = lw_station_dump_new(on_station_info, on_station_round, ap, &ap->stations);
	if (r == 0) {
		r = lw_loop_add_fd(ap->loop, lw_station_dump_fd(ap->stations), on_stations_fd, ap);
		if (r >= 0)
			r = lw_loop_add_timer(ap->loop, (unsigned)cfg->station_interval * 1000,
					      on_stations_timer, ap);
		if (r < 0) {
			lw_loop_remove_fd(ap->loop, lw_station_dump_fd(ap->stations));
			lw_station_dump_free(ap->stations);
			ap->stations = NULL;
		}
	}
	if (r < 0)
		lw_log_warning("wifi: %s; no station rows", strerror(-r));
}

static void stations_stop(struct lw_ap *ap)
{
	struct lw_station_stats ss;

	if (!ap->stations)
		return;
	lw_station_dump_get_stats(ap->stations, &ss);
	if (ss.cut || ss.malformed || ss.busy)
		lw_log_info("wifi: %llu station rows in %llu rounds; %llu stations over the limit "
			    "of %d per interface, %llu malformed messages, %llu rounds skipped "
			    "(the last one still running)",
			    (unsigned long long)ss.stations, (unsigned long long)ss.rounds,
			    (unsigned long long)ss.cut, LW_STATION_PER_IFACE_MAX,
			    (unsigned long long)ss.malformed, (unsigned long long)ss.busy);
	lw_loop_remove_fd(ap->loop, lw_station_dump_fd(ap->stations));
	lw_station_dump_free(ap->stations);
	ap->stations = NULL;
}

int lw_ap_new(const struct lw_config *cfg, struct lw_store *store, struct lw_loop *loop,
	      struct lw_devinfo *devinfo, const struct lw_ap_hooks *hooks, struct lw_ap **out)
{
	struct lw_ap *ap;
	int r;

	*out = NULL;
	ap = calloc(1, sizeof(*ap));
	if (!ap)
		return -ENOMEM;
	ap->cfg = *cfg;
	ap->cfg.devices = NULL;
	ap->cfg.n_devices = 0;
	ap->store = store;
	ap->loop = loop;
	ap->devinfo = devinfo;
	if (hooks)
		ap->hooks = *hooks;

	if (cfg->netlink) {
		r = lw_nl_new(cfg->interface, on_nl, ap, &ap->nl);
		if (r < 0) {
			lw_log_warning("netlink: %s; link changes are found by retrying the "
				       "capture",
				       strerror(-r));
		} else if ((r = lw_loop_add_fd(loop, lw_nl_fd(ap->nl), on_nl_fd, ap)) < 0) {
			lw_nl_free(ap->nl);
			ap->nl = NULL;
			lw_log_warning("netlink: %s", strerror(-r));
		} else {
			stations_start(ap, cfg);
		}
		if (ap->nl && devinfo)
			devinfo->nl = ap->nl;
	}
	if (cfg->ap_enabled) {
		/* the privileged process follows hostapd's control sockets; events come here */
		r = lw_privc_hostapd_start(on_hostapd, ap);
		if (r < 0) {
			lw_log_error("hostapd control interface %s: %s", cfg->hostapd_ctrl_dir,
				     strerror(-r));
			lw_ap_free(ap);
			return r;
		}
		ap->hostapd = true;
	}
	*out = ap;
	return 0;
}

void lw_ap_free(struct lw_ap *ap)
{
	double now = wall();
	size_t i;

	if (!ap)
		return;
	/* a session whose hostapd went away ends then: nothing says the station stayed */
	for (i = 0; i < LW_AP_SESSIONS_MAX; i++)
		if (ap->sessions[i].used)
			session_close(ap, &ap->sessions[i],
				      ap->sessions[i].lost_at ? ap->sessions[i].lost_at : now);
	if (ap->hostapd)
		lw_privc_hostapd_stop(); /* its counts are logged by the privileged process */
	stations_stop(ap);
	if (ap->nl)
		lw_loop_remove_fd(ap->loop, lw_nl_fd(ap->nl));
	/* the pipeline writes devices after this (its last flows): no ports from here on */
	if (ap->devinfo && ap->devinfo->nl == ap->nl)
		ap->devinfo->nl = NULL;
	lw_nl_free(ap->nl);
	free(ap);
}
