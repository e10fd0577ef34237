/* SPDX-License-Identifier: MIT */
/*
 * The access point around the capture: hostapd's stations become `sessions` rows and
 * `devices` rows, netlink tells when the captured interface goes down and comes back, which
 * bridge port (devices.port) and address each station has, and (with Wi-Fi) its signal.
 * Devices get their vendor from the IEEE OUI registry and the label the owner gave them in
 * the config.
 */
#ifndef LW_DAEMON_AP_H
#define LW_DAEMON_AP_H

#include "config.h"
#include "loop.h"
#include "store/store.h"

#define LW_AP_SESSIONS_MAX 4096 /* stations associated at once that are tracked */

/* --- device facts: vendor and label (used by the pipeline too, offline and live) --------- */

struct lw_devinfo;

/*
 * Loads the OUI registry ([ap] oui_file, or Debian's ieee-data when that key is empty; a
 * missing file means no vendors, logged once) and the labels of the [device MAC] sections.
 */
int lw_devinfo_new(const struct lw_config *cfg, struct lw_devinfo **out);
void lw_devinfo_free(struct lw_devinfo *d);
/*
 * Fills r->vendor, r->label and, while lw_ap watches the bridge, r->port (the bridge FDB's
 * port of mac) for mac; each is left empty when unknown.  d may be NULL.
 */
void lw_devinfo_fill(const struct lw_mac *mac, struct lw_device_rec *r, void *d);

/* --- hostapd and netlink in the live loop ------------------------------------------------ */

struct lw_ap_hooks {
	/* the captured interface went down (false) or is up again (true) */
	void (*link)(bool up, void *user_data);
	void *user_data;
};

struct lw_ap;

/*
 * Attaches hostapd's control interface (when [ap] enabled) and netlink to loop.  A missing
 * hostapd is not an error (its sockets are picked up when they appear); netlink failing is
 * logged and the rest goes on.  Until lw_ap_free(), devinfo fills device rows' port from the
 * bridge FDB, and every FDB entry that appears or moves updates the port of that MAC's row
 * (never adding a row).  0 or -errno.
 */
int lw_ap_new(const struct lw_config *cfg, struct lw_store *store, struct lw_loop *loop,
	      struct lw_devinfo *devinfo, const struct lw_ap_hooks *hooks, struct lw_ap **out);
/*
 * Ends every open session (the daemon stops watching), detaches devinfo from netlink and
 * frees; NULL-safe.
 */
void lw_ap_free(struct lw_ap *ap);

#endif
