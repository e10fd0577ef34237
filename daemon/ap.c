/* SPDX-License-Identifier: MIT */
/*
 * hostapd stations -> sessions and devices; netlink -> link state, ports, addresses.
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
#include "log.h"

#define TICK_MS 250 /* hostapd retries, pings and timeouts */
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
	struct lw_hostapd *hostapd;
	struct lw_nl *nl;
	size_t n_sessions;
	struct session sessions[LW_AP_SESSIONS_MAX];
};

static double wall(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static lw_time_us mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (lw_time_us)ts.tv_sec * LW_USEC_PER_SEC + ts.tv_nsec / 1000;
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

static void on_hostapd_fd(int fd, unsigned events, void *user_data)
{
	struct lw_ap *ap = user_data;

	(void)fd;
	(void)events;
	lw_hostapd_dispatch(ap->hostapd, mono());
}

static void on_tick(void *user_data)
{
	struct lw_ap *ap = user_data;

	lw_hostapd_tick(ap->hostapd, mono());
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

static void log_station(const struct lw_nl_station *st, void *user_data)
{
	char m[LW_MAC_STRLEN];

	(void)user_data;
	lw_log_debug("wifi: %s on %s: signal %d dBm, connected %ld s", lw_mac_str(&st->mac, m),
		     st->ifname, st->has_signal ? st->signal_dbm : 0, st->connected_time);
}

static void on_stations(void *user_data)
{
	struct lw_ap *ap = user_data;

	lw_nl_stations(ap->nl, log_station, ap);
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
		} else if (lw_nl_has_wifi(ap->nl)) {
			lw_loop_add_timer(loop, (unsigned)cfg->station_interval * 1000, on_stations,
					  ap);
		} else {
			lw_log_debug("netlink: no nl80211 (no Wi-Fi in this kernel)");
		}
		if (ap->nl && devinfo)
			devinfo->nl = ap->nl;
	}
	if (cfg->ap_enabled) {
		struct lw_hostapd_config hc = {.ctrl_dir = cfg->hostapd_ctrl_dir};

		r = lw_hostapd_new(&hc, on_hostapd, ap, &ap->hostapd);
		if (r == 0) {
			r = lw_loop_add_fd(loop, lw_hostapd_fd(ap->hostapd), on_hostapd_fd, ap);
			if (r >= 0)
				r = lw_loop_add_timer(loop, TICK_MS, on_tick, ap);
		}
		if (r < 0) {
			lw_log_error("hostapd control interface %s: %s", cfg->hostapd_ctrl_dir,
				     strerror(-r));
			lw_ap_free(ap);
			return r;
		}
		lw_hostapd_tick(ap->hostapd, mono()); /* the sockets already there, at once */
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
	if (ap->hostapd) {
		struct lw_hostapd_stats hs;

		lw_hostapd_get_stats(ap->hostapd, &hs);
		if (hs.malformed || hs.failures)
			lw_log_info(
				"hostapd: %llu station events, %llu malformed lines ignored, %llu "
				"connection failures",
				(unsigned long long)hs.events, (unsigned long long)hs.malformed,
				(unsigned long long)hs.failures);
		lw_loop_remove_fd(ap->loop, lw_hostapd_fd(ap->hostapd));
	}
	if (ap->nl)
		lw_loop_remove_fd(ap->loop, lw_nl_fd(ap->nl));
	/* the pipeline writes devices after this (its last flows): no ports from here on */
	if (ap->devinfo && ap->devinfo->nl == ap->nl)
		ap->devinfo->nl = NULL;
	lw_hostapd_free(ap->hostapd);
	lw_nl_free(ap->nl);
	free(ap);
}

bool lw_ap_link_up(const struct lw_ap *ap)
{
	return !ap || !ap->nl || lw_nl_link_up(ap->nl);
}
