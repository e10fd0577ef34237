/* SPDX-License-Identifier: MIT */
/*
 * An alert event: a device seen for the first time, an identifier kind leaving a device for a
 * domain for the first time, or a device's count of leaks today.  Fixed-size and without
 * pointers on purpose: the daemon's policy (which runs beside the parser) hands events to the
 * delivery side (exec hook, MQTT) by value, today through a queue, later through a pipe
 * between processes.
 *
 * The identifier's value is not in an event: it names the kind, the domain and where it was
 * found; the value stays in the database.
 */
#ifndef LW_ALERT_EVENT_H
#define LW_ALERT_EVENT_H

#include <stddef.h>
#include <stdint.h>

#include "core/types.h"

enum lw_alert_type {
	LW_ALERT_NEW_DEVICE,
	LW_ALERT_NEW_LEAK, /* a (device, domain, kind) never seen before */
	LW_ALERT_COUNT, /* the device's leaks today changed (MQTT's sensor only) */
};

struct lw_alert_event {
	enum lw_alert_type type;
	double ts; /* seconds since the epoch (the packet's time) */
	char mac[LW_MAC_STRLEN];
	char name[128]; /* label, else host name, else vendor, else the MAC */
	char label[64];
	char hostname[128];
	char vendor[128];
	/* NEW_LEAK */
	char domain[256]; /* "" when the flow had no name: then dst_ip names it */
	char dst_ip[LW_ADDR_STRLEN];
	uint16_t dst_port;
	char proto[4];
	char kind[16];
	char confidence[12];
	char location[128];
	uint64_t leaks_today; /* the device's leaks since local midnight */
};

const char *lw_alert_type_str(enum lw_alert_type t); /* "new_device", "new_leak", "count" */

/* The name to show for a device: the first of label, host name, vendor that is not empty, else
 * the MAC; cut to whole UTF-8 characters. */
void lw_alert_device_name(char *out, size_t cap, const char *label, const char *hostname,
			  const char *vendor, const char *mac);

/*
 * The event as one JSON object (one line, no newline): what the exec hook reads on stdin and
 * what MQTT publishes.  Returns its length, or -ENOSPC when cap is too small (2048 is always
 * enough).
 */
int lw_alert_event_json(const struct lw_alert_event *e, char *out, size_t cap);

#define LW_ALERT_JSON_MAX 4096

#endif
