/* SPDX-License-Identifier: MIT */
#include "event.h"

#include "json.h"

const char *lw_alert_type_str(enum lw_alert_type t)
{
	switch (t) {
	case LW_ALERT_NEW_DEVICE:
		return "new_device";
	case LW_ALERT_NEW_LEAK:
		return "new_leak";
	case LW_ALERT_COUNT:
		return "count";
	}
	return "unknown";
}

void lw_alert_device_name(char *out, size_t cap, const char *label, const char *hostname,
			  const char *vendor, const char *mac)
{
	const char *s = label && *label		? label
			: hostname && *hostname ? hostname
			: vendor && *vendor	? vendor
						: mac;

	lw_utf8_copy(out, cap, s ? s : "");
}

int lw_alert_event_json(const struct lw_alert_event *e, char *out, size_t cap)
{
	struct lw_json j;

	lw_json_init(&j, out, cap);
	lw_json_obj(&j, NULL);
	/* "event_type": what a Home Assistant event entity reads */
	lw_json_str(&j, "event_type", lw_alert_type_str(e->type));
	lw_json_num(&j, "ts", e->ts);
	lw_json_obj(&j, "device");
	lw_json_str(&j, "mac", e->mac);
	lw_json_str(&j, "name", e->name);
	lw_json_str(&j, "label", e->label);
	lw_json_str(&j, "hostname", e->hostname);
	lw_json_str(&j, "vendor", e->vendor);
	lw_json_close(&j);
	if (e->type == LW_ALERT_NEW_LEAK) {
		lw_json_str(&j, "kind", e->kind);
		lw_json_str(&j, "domain", e->domain);
		lw_json_str(&j, "dst_ip", e->dst_ip);
		lw_json_u64(&j, "dst_port", e->dst_port);
		lw_json_str(&j, "proto", e->proto);
		lw_json_str(&j, "confidence", e->confidence);
		lw_json_str(&j, "location", e->location);
	}
	lw_json_u64(&j, "leaks_today", e->leaks_today);
	lw_json_close(&j);
	return lw_json_end(&j);
}
