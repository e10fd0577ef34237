/* SPDX-License-Identifier: MIT */
#include "ha.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "json.h"

bool lw_ha_prefix_valid(const char *prefix)
{
	size_t n = strlen(prefix), i;

	if (n == 0 || n > 64 || prefix[0] == '/' || prefix[n - 1] == '/')
		return false;
	for (i = 0; i < n; i++) {
		char c = prefix[i];

		if (c == '/' && prefix[i + 1] == '/')
			return false;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '-' || c == '.' || c == '/'))
			return false;
	}
	return true;
}

int lw_ha_node_id(const char *mac, char out[13])
{
	size_t i, o = 0;

	for (i = 0; mac[i]; i++) {
		char c = mac[i];

		if ((i % 3) == 2) {
			if (c != ':' && c != '-')
				return -EINVAL;
			continue;
		}
		if (c >= 'A' && c <= 'F')
			c = (char)(c - 'A' + 'a');
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')) || o >= 12)
			return -EINVAL;
		out[o++] = c;
	}
	if (o != 12 || i != 17)
		return -EINVAL;
	out[o] = '\0';
	return 0;
}

int lw_ha_device_topic(const char *prefix, const char *mac, const char *leaf, char *out, size_t cap)
{
	char id[13];
	int w;

	if (lw_ha_node_id(mac, id) < 0)
		return -EINVAL;
	w = snprintf(out, cap, "%s/%s/%s", prefix, id, leaf);
	return w < 0 || (size_t)w >= cap ? -ENOSPC : 0;
}

int lw_ha_discovery(enum lw_ha_entity e, const char *discovery_prefix, const char *prefix,
		    const char *mac, const char *name, const char *vendor, char *topic,
		    size_t topic_cap, char *payload, size_t payload_cap)
{
	const char *component = e == LW_HA_LEAKS_TODAY ? "sensor" : "event";
	const char *object = e == LW_HA_LEAKS_TODAY ? "leaks_today" : "new_leak";
	const char *leaf = e == LW_HA_LEAKS_TODAY ? "leaks_today" : "event";
	char id[13], uid[64], state[LW_HA_TOPIC_MAX], avail[LW_HA_TOPIC_MAX], ident[32];
	char lower_mac[18];
	struct lw_json j;
	int w;
	size_t i;

	if (lw_ha_node_id(mac, id) < 0)
		return -EINVAL;
	for (i = 0; i < 17; i++)
		lower_mac[i] = (char)(mac[i] >= 'A' && mac[i] <= 'F' ? mac[i] - 'A' + 'a'
				      : mac[i] == '-'		     ? ':'
								     : mac[i]);
	lower_mac[17] = '\0';
	w = snprintf(topic, topic_cap, "%s/%s/leakwatch_%s/%s/config", discovery_prefix, component,
		     id, object);
	if (w < 0 || (size_t)w >= topic_cap)
		return -ENOSPC;
	snprintf(ident, sizeof(ident), "leakwatch_%s", id);
	snprintf(uid, sizeof(uid), "leakwatch_%s_%s", id, object);
	if (lw_ha_device_topic(prefix, mac, leaf, state, sizeof(state)) < 0)
		return -ENOSPC;
	w = snprintf(avail, sizeof(avail), "%s/status", prefix);
	if (w < 0 || (size_t)w >= sizeof(avail))
		return -ENOSPC;

	lw_json_init(&j, payload, payload_cap);
	lw_json_obj(&j, NULL);
	lw_json_str(&j, "name", e == LW_HA_LEAKS_TODAY ? "Leaks today" : "New leak");
	lw_json_str(&j, "unique_id", uid);
	lw_json_str(&j, "object_id", uid);
	lw_json_str(&j, "state_topic", state);
	if (e == LW_HA_LEAKS_TODAY) {
		/* a count that starts again at midnight: HA's "total_increasing" */
		lw_json_str(&j, "state_class", "total_increasing");
		lw_json_str(&j, "unit_of_measurement", "leaks");
	} else {
		lw_json_arr(&j, "event_types");
		lw_json_str(&j, NULL, "new_leak");
		lw_json_close(&j);
	}
	lw_json_str(&j, "icon", "mdi:incognito-off");
	lw_json_arr(&j, "availability");
	lw_json_obj(&j, NULL);
	lw_json_str(&j, "topic", avail);
	lw_json_close(&j);
	lw_json_close(&j);
	lw_json_obj(&j, "device");
	lw_json_arr(&j, "identifiers");
	lw_json_str(&j, NULL, ident);
	lw_json_close(&j);
	lw_json_arr(&j, "connections");
	lw_json_arr(&j, NULL);
	lw_json_str(&j, NULL, "mac");
	lw_json_str(&j, NULL, lower_mac);
	lw_json_close(&j);
	lw_json_close(&j);
	lw_json_str(&j, "name", name && *name ? name : lower_mac);
	if (vendor && *vendor)
		lw_json_str(&j, "manufacturer", vendor);
	lw_json_close(&j);
	lw_json_close(&j);
	return lw_json_end(&j) < 0 ? -ENOSPC : 0;
}
