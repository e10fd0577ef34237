/* SPDX-License-Identifier: MIT */
/*
 * MQTT topics and Home Assistant MQTT discovery payloads
 * (https://www.home-assistant.io/integrations/mqtt/#mqtt-discovery).
 *
 * Per device (its MAC as 12 hex digits is the node id, so topics never carry a name a device
 * chose):
 *   PREFIX/status                          "online" / "offline" (retained; the last will)
 *   PREFIX/event                           every new_device and new_leak event (JSON)
 *   PREFIX/<mac12>/leaks_today             the count (retained)
 *   PREFIX/<mac12>/event                   the device's new_leak events (JSON, event_type)
 *   DISCOVERY/sensor/leakwatch_<mac12>/leaks_today/config   a sensor (retained)
 *   DISCOVERY/event/leakwatch_<mac12>/new_leak/config       an event entity (retained)
 */
#ifndef LW_ALERT_HA_H
#define LW_ALERT_HA_H

#include <stdbool.h>
#include <stddef.h>

#define LW_HA_TOPIC_MAX 256
#define LW_HA_PAYLOAD_MAX 2048

enum lw_ha_entity {
	LW_HA_LEAKS_TODAY, /* sensor */
	LW_HA_NEW_LEAK, /* event entity */
};

/*
 * A prefix MQTT allows for publishing that keeps our topics apart: 1 to 64 bytes of letters,
 * digits, '_', '-', '.' and '/' separators, not starting or ending with '/' nor with an empty
 * level (no '+', '#', spaces or control characters).
 */
bool lw_ha_prefix_valid(const char *prefix);

/* "00:00:5e:00:53:10" -> "00005e005310"; -EINVAL for anything but a MAC. */
int lw_ha_node_id(const char *mac, char out[13]);

/* PREFIX/<mac12>/<leaf>; -EINVAL (bad MAC) or -ENOSPC. */
int lw_ha_device_topic(const char *prefix, const char *mac, const char *leaf, char *out,
		       size_t cap);

/*
 * The retained discovery message for one entity of one device: its config topic and its JSON
 * (name, unique_id, state_topic, availability, device {identifiers, connections, name,
 * manufacturer}).  name is the device's display name (any bytes: escaped), vendor may be "".
 * 0, -EINVAL (bad MAC) or -ENOSPC.
 */
int lw_ha_discovery(enum lw_ha_entity e, const char *discovery_prefix, const char *prefix,
		    const char *mac, const char *name, const char *vendor, char *topic,
		    size_t topic_cap, char *payload, size_t payload_cap);

#endif
