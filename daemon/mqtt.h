/* SPDX-License-Identifier: MIT */
/*
 * The MQTT sink of the alerts (alerts.h): events and Home Assistant discovery (lib/alert/ha.h)
 * published with libmosquitto, whose own thread (mosquitto_loop_start) keeps the connection and
 * reconnects.  Events wait in a bounded queue while the broker is away and are published when
 * it is back (QoS 1: libmosquitto resends what the broker had not acknowledged).
 */
#ifndef LW_DAEMON_MQTT_H
#define LW_DAEMON_MQTT_H

#include "alert/event.h"
#include "config.h"

struct lw_mqtt;

/* NULL *out when [alerts] mqtt_host is empty.  -EINVAL: a configuration error (err). */
int lw_mqtt_start(const struct lw_config *cfg, struct lw_mqtt **out, char *err, size_t errlen);
void lw_mqtt_push(struct lw_mqtt *m, const struct lw_alert_event *e);
void lw_mqtt_stop(struct lw_mqtt *m);
/* Whether this build has MQTT (-Dmqtt). */
bool lw_mqtt_available(void);

#endif
