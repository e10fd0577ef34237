/* SPDX-License-Identifier: MIT */
/*
 * MQTT for the alerts (mqtt.h), with libmosquitto.
 *
 * Two threads: libmosquitto's network thread (mosquitto_loop_start: connects, reconnects with
 * a back-off of 1 to 30 s, resends what the broker had not acknowledged) and ours, which takes
 * events from the bounded queue only while connected and keeps at most MQTT_INFLIGHT
 * publications unacknowledged, so that what waits for a broker that is away waits in the
 * queue, bounded and counted, not in libmosquitto's unbounded one.
 *
 * On every connection: PREFIX/status "online" (retained; the will says "offline"), and, with
 * [alerts] mqtt_discovery, the discovery messages of every device this run has an event for
 * (retained; again when Home Assistant says it is back on DISCOVERY/status).
 */
#include "mqtt.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

#ifdef LW_HAVE_MQTT
#include <mosquitto.h>
#include <pthread.h>
#include <signal.h>
#include <time.h>

#include "alert/ha.h"
#include "evqueue.h"

#define MQTT_INFLIGHT 32 /* published, not yet acknowledged */
#define MQTT_DEVICES_MAX 4096 /* devices announced; beyond: events only, counted */
#define MQTT_DRAIN_SEC 5 /* at stop: what is queued gets this long to be published */
#define MQTT_KEEPALIVE 60

struct mqtt_dev {
	char mac[LW_MAC_STRLEN];
	char name[128];
	char vendor[128];
	bool announced; /* its discovery is published with this name */
};

struct lw_mqtt {
	struct mosquitto *mosq;
	struct lw_evqueue q; /* its lock guards every field below too */
	pthread_t thread;
	bool connected;
	bool announce; /* status and discovery to (re)publish */
	unsigned inflight;
	int refused_rc; /* the CONNACK refusal last logged, 0 = none */
	bool lost_logged;
	char host[256];
	int port;
	char prefix[65], disc[65];
	bool discovery;
	struct mqtt_dev *devs;
	size_t n_devs;
	uint64_t devs_refused, published, failed;
};

bool lw_mqtt_available(void)
{
	return true;
}

static double mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* --- libmosquitto's thread ---------------------------------------------------------------- */

static void on_connect(struct mosquitto *mosq, void *obj, int rc)
{
	struct lw_mqtt *m = obj;
	char topic[LW_HA_TOPIC_MAX];

	pthread_mutex_lock(&m->q.lock);
	if (rc == 0) {
		m->connected = true;
		m->announce = true;
		m->refused_rc = 0;
		if (m->lost_logged)
			lw_log_info("alerts: MQTT: connected to %s:%d again", m->host, m->port);
		else
			lw_log_info("alerts: MQTT: connected to %s:%d", m->host, m->port);
		m->lost_logged = false;
		pthread_cond_signal(&m->q.cond);
	} else if (rc != m->refused_rc) {
		lw_log_error("alerts: MQTT: %s:%d refused the connection: %s", m->host, m->port,
			     mosquitto_connack_string(rc));
		m->refused_rc = rc;
	}
	pthread_mutex_unlock(&m->q.lock);
	if (rc == 0 && m->discovery) {
		snprintf(topic, sizeof(topic), "%s/status", m->disc);
		mosquitto_subscribe(mosq, NULL, topic, 1);
	}
}

static void on_disconnect(struct mosquitto *mosq, void *obj, int rc)
{
	struct lw_mqtt *m = obj;

	(void)mosq;
	pthread_mutex_lock(&m->q.lock);
	if (m->connected && rc != 0 && !m->lost_logged) {
		lw_log_warning("alerts: MQTT: lost %s:%d; events wait (up to [alerts] queue_max) "
			       "until it is back",
			       m->host, m->port);
		m->lost_logged = true;
	}
	m->connected = false;
	pthread_mutex_unlock(&m->q.lock);
}

static void on_publish(struct mosquitto *mosq, void *obj, int mid)
{
	struct lw_mqtt *m = obj;

	(void)mosq;
	(void)mid;
	pthread_mutex_lock(&m->q.lock);
	if (m->inflight)
		m->inflight--;
	m->published++;
	pthread_cond_signal(&m->q.cond);
	pthread_mutex_unlock(&m->q.lock);
}

/* Home Assistant's birth message: it lost the retained configs if its broker did. */
static void on_message(struct mosquitto *mosq, void *obj, const struct mosquitto_message *msg)
{
	struct lw_mqtt *m = obj;

	(void)mosq;
	if (msg->payloadlen == 6 && memcmp(msg->payload, "online", 6) == 0) {
		pthread_mutex_lock(&m->q.lock);
		m->announce = true;
		pthread_cond_signal(&m->q.cond);
		pthread_mutex_unlock(&m->q.lock);
	}
}

/* --- our thread --------------------------------------------------------------------------- */

/* QoS 1; counted in flight until its PUBACK (on_publish). */
static void publish(struct lw_mqtt *m, const char *topic, const char *payload, bool retain)
{
	int r;

	pthread_mutex_lock(&m->q.lock);
	m->inflight++;
	pthread_mutex_unlock(&m->q.lock);
	r = mosquitto_publish(m->mosq, NULL, topic, (int)strlen(payload), payload, 1, retain);
	/* NO_CONN: libmosquitto keeps a QoS 1 message and sends it on reconnecting */
	if (r != MOSQ_ERR_SUCCESS && r != MOSQ_ERR_NO_CONN) {
		pthread_mutex_lock(&m->q.lock);
		m->inflight--;
		m->failed++;
		pthread_mutex_unlock(&m->q.lock);
		lw_log_debug("alerts: MQTT: %s: %s", topic, mosquitto_strerror(r));
	}
}

static void announce_device(struct lw_mqtt *m, const struct mqtt_dev *d)
{
	static const enum lw_ha_entity entities[] = {LW_HA_LEAKS_TODAY, LW_HA_NEW_LEAK};
	char topic[LW_HA_TOPIC_MAX], payload[LW_HA_PAYLOAD_MAX];
	size_t i;

	for (i = 0; i < LW_ARRAY_SIZE(entities); i++)
		if (lw_ha_discovery(entities[i], m->disc, m->prefix, d->mac, d->name, d->vendor,
				    topic, sizeof(topic), payload, sizeof(payload)) == 0)
			publish(m, topic, payload, true);
}

static struct mqtt_dev *device(struct lw_mqtt *m, const struct lw_alert_event *e)
{
	char id[13];
	size_t i;

	if (lw_ha_node_id(e->mac, id) < 0)
		return NULL;
	for (i = 0; i < m->n_devs; i++)
		if (strcmp(m->devs[i].mac, e->mac) == 0)
			return &m->devs[i];
	if (m->n_devs >= MQTT_DEVICES_MAX) {
		m->devs_refused++;
		return NULL;
	}
	memset(&m->devs[m->n_devs], 0, sizeof(m->devs[0]));
	lw_str_copy(m->devs[m->n_devs].mac, sizeof(m->devs[0].mac), e->mac);
	return &m->devs[m->n_devs++];
}

static void handle(struct lw_mqtt *m, const struct lw_alert_event *e)
{
	char topic[LW_HA_TOPIC_MAX], json[LW_ALERT_JSON_MAX], n[24];
	struct mqtt_dev *d = device(m, e);

	if (d && (strcmp(d->name, e->name) || strcmp(d->vendor, e->vendor) || !d->announced)) {
		lw_str_copy(d->name, sizeof(d->name), e->name);
		lw_str_copy(d->vendor, sizeof(d->vendor), e->vendor);
		d->announced = true;
		if (m->discovery)
			announce_device(m, d);
	}
	if (e->type != LW_ALERT_COUNT && lw_alert_event_json(e, json, sizeof(json)) > 0) {
		snprintf(topic, sizeof(topic), "%s/event", m->prefix);
		publish(m, topic, json, false);
		if (d && e->type == LW_ALERT_NEW_LEAK &&
		    lw_ha_device_topic(m->prefix, e->mac, "event", topic, sizeof(topic)) == 0)
			publish(m, topic, json, false);
	}
	if (d && lw_ha_device_topic(m->prefix, e->mac, "leaks_today", topic, sizeof(topic)) == 0) {
		snprintf(n, sizeof(n), "%llu", (unsigned long long)e->leaks_today);
		publish(m, topic, n, true);
	}
}

static void announce_all(struct lw_mqtt *m)
{
	char topic[LW_HA_TOPIC_MAX];
	size_t i;

	snprintf(topic, sizeof(topic), "%s/status", m->prefix);
	publish(m, topic, "online", true);
	for (i = 0; m->discovery && i < m->n_devs; i++)
		announce_device(m, &m->devs[i]);
}

static void *mqtt_thread(void *arg)
{
	struct lw_mqtt *m = arg;
	struct lw_alert_event e;
	double drain_until = 0;

	pthread_mutex_lock(&m->q.lock);
	for (;;) {
		struct timespec until;
		bool ready = m->connected && m->inflight < MQTT_INFLIGHT;

		if (m->q.stop) {
			if (!drain_until)
				drain_until = mono() + MQTT_DRAIN_SEC;
			/* done when all is acknowledged, or the broker is away when the time is up */
			if ((!m->q.n && !m->inflight) || mono() >= drain_until)
				break;
		}
		if (ready && m->announce) {
			m->announce = false;
			pthread_mutex_unlock(&m->q.lock);
			announce_all(m);
			pthread_mutex_lock(&m->q.lock);
			continue;
		}
		if (ready && lw_evqueue_pop_locked(&m->q, &e)) {
			pthread_mutex_unlock(&m->q.lock);
			handle(m, &e);
			pthread_mutex_lock(&m->q.lock);
			continue;
		}
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += 200 * 1000 * 1000;
		if (until.tv_nsec >= 1000000000) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&m->q.cond, &m->q.lock, &until);
	}
	m->q.dropped += m->q.n; /* what the stop left */
	pthread_mutex_unlock(&m->q.lock);
	return NULL;
}

/* --- start and stop ----------------------------------------------------------------------- */

static int setup(struct lw_mqtt *m, const struct lw_config *cfg, char *err, size_t errlen)
{
	char id[64], host[64] = "", will[LW_HA_TOPIC_MAX];
	int r;

	if (cfg->mqtt_client_id[0]) {
		lw_str_copy(id, sizeof(id), cfg->mqtt_client_id);
	} else {
		gethostname(host, sizeof(host) - 1);
		snprintf(id, sizeof(id), "leakwatch-%.53s", host[0] ? host : "ap"); /* (fits id) */
	}
	m->mosq = mosquitto_new(id, true, m);
	if (!m->mosq) {
		snprintf(err, errlen, "MQTT: %s", strerror(errno));
		return -ENOMEM;
	}
	mosquitto_int_option(m->mosq, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V311);
	mosquitto_connect_callback_set(m->mosq, on_connect);
	mosquitto_disconnect_callback_set(m->mosq, on_disconnect);
	mosquitto_publish_callback_set(m->mosq, on_publish);
	mosquitto_message_callback_set(m->mosq, on_message);
	mosquitto_reconnect_delay_set(m->mosq, 1, 30, true);
	snprintf(will, sizeof(will), "%s/status", m->prefix);
	r = mosquitto_will_set(m->mosq, will, 7, "offline", 1, true);
	if (r == MOSQ_ERR_SUCCESS && (cfg->mqtt_username[0] || cfg->mqtt_password[0]))
		r = mosquitto_username_pw_set(m->mosq,
					      cfg->mqtt_username[0] ? cfg->mqtt_username : NULL,
					      cfg->mqtt_password[0] ? cfg->mqtt_password : NULL);
	if (r != MOSQ_ERR_SUCCESS) {
		snprintf(err, errlen, "[alerts] MQTT: %s", mosquitto_strerror(r));
		return -EINVAL;
	}
	if (cfg->mqtt_tls || cfg->mqtt_ca_file[0]) {
		const char *files[] = {cfg->mqtt_ca_file, cfg->mqtt_cert_file, cfg->mqtt_key_file};
		size_t i;

		/* libmosquitto says "invalid arguments" only: name the file */
		for (i = 0; i < LW_ARRAY_SIZE(files); i++)
			if (files[i][0] && access(files[i], R_OK) < 0) {
				snprintf(err, errlen,
					 "[alerts] %s: %s (it must be readable by the user "
					 "leakwatchd runs as)",
					 files[i], strerror(errno));
				return -EINVAL;
			}
		/* without a CA file: the system's (Debian's ca-certificates) */
		r = mosquitto_tls_set(m->mosq, cfg->mqtt_ca_file[0] ? cfg->mqtt_ca_file : NULL,
				      cfg->mqtt_ca_file[0] ? NULL : "/etc/ssl/certs",
				      cfg->mqtt_cert_file[0] ? cfg->mqtt_cert_file : NULL,
				      cfg->mqtt_key_file[0] ? cfg->mqtt_key_file : NULL, NULL);
		if (r != MOSQ_ERR_SUCCESS) {
			snprintf(err, errlen,
				 "[alerts] mqtt_ca_file / mqtt_cert_file / mqtt_key_file: %s (each "
				 "must be readable by the user leakwatchd runs as)",
				 mosquitto_strerror(r));
			return -EINVAL;
		}
	}
	return 0;
}

int lw_mqtt_start(const struct lw_config *cfg, struct lw_mqtt **out, char *err, size_t errlen)
{
	struct lw_mqtt *m;
	sigset_t all, old;
	int r;

	*out = NULL;
	if (!cfg->mqtt_host[0])
		return 0;
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	if (lw_evqueue_init(&m->q, (size_t)cfg->alerts_queue_max) < 0 ||
	    !(m->devs = calloc(MQTT_DEVICES_MAX, sizeof(*m->devs)))) {
		lw_evqueue_release(&m->q);
		free(m);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	lw_str_copy(m->host, sizeof(m->host), cfg->mqtt_host);
	m->port = cfg->mqtt_port ? (int)cfg->mqtt_port
				 : (cfg->mqtt_tls || cfg->mqtt_ca_file[0] ? 8883 : 1883);
	lw_str_copy(m->prefix, sizeof(m->prefix), cfg->mqtt_topic_prefix);
	lw_str_copy(m->disc, sizeof(m->disc), cfg->mqtt_discovery_prefix);
	m->discovery = cfg->mqtt_discovery;
	mosquitto_lib_init();
	r = setup(m, cfg, err, errlen);
	if (r < 0)
		goto fail;
	/* a broker that is not there yet is not an error: libmosquitto's thread keeps trying */
	r = mosquitto_connect_async(m->mosq, m->host, m->port, MQTT_KEEPALIVE);
	if (r != MOSQ_ERR_SUCCESS)
		lw_log_warning("alerts: MQTT: %s:%d: %s; trying again", m->host, m->port,
			       r == MOSQ_ERR_ERRNO ? strerror(errno) : mosquitto_strerror(r));
	/* signals stay with the main thread's signalfd: both threads start with all blocked */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	r = mosquitto_loop_start(m->mosq);
	if (r == MOSQ_ERR_SUCCESS && pthread_create(&m->thread, NULL, mqtt_thread, m) != 0) {
		mosquitto_loop_stop(m->mosq, true);
		r = MOSQ_ERR_ERRNO;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r != MOSQ_ERR_SUCCESS) {
		snprintf(err, errlen, "MQTT: cannot start its threads: %s", mosquitto_strerror(r));
		r = -EAGAIN;
		goto fail;
	}
	*out = m;
	return 0;
fail:
	mosquitto_destroy(m->mosq);
	mosquitto_lib_cleanup();
	lw_evqueue_release(&m->q);
	free(m->devs);
	free(m);
	return r;
}

void lw_mqtt_push(struct lw_mqtt *m, const struct lw_alert_event *e)
{
	if (m)
		lw_evqueue_push(&m->q, e);
}

void lw_mqtt_stop(struct lw_mqtt *m)
{
	char topic[LW_HA_TOPIC_MAX];
	bool connected;
	int i;

	if (!m)
		return;
	pthread_mutex_lock(&m->q.lock);
	m->q.stop = true;
	pthread_cond_signal(&m->q.cond);
	pthread_mutex_unlock(&m->q.lock);
	pthread_join(m->thread, NULL);
	pthread_mutex_lock(&m->q.lock);
	connected = m->connected;
	pthread_mutex_unlock(&m->q.lock);
	if (connected) {
		/* a clean disconnect sends no will: say "offline" ourselves, and wait for it */
		snprintf(topic, sizeof(topic), "%s/status", m->prefix);
		publish(m, topic, "offline", true);
		for (i = 0; i < 100; i++) {
			bool done;

			pthread_mutex_lock(&m->q.lock);
			done = !m->inflight || !m->connected;
			pthread_mutex_unlock(&m->q.lock);
			if (done)
				break;
			nanosleep(&(struct timespec){0, 10 * 1000 * 1000}, NULL);
		}
	}
	mosquitto_disconnect(m->mosq);
	mosquitto_loop_stop(m->mosq, false);
	if (m->q.dropped || m->failed || m->inflight || m->devs_refused)
		lw_log_warning("alerts: MQTT: %llu events dropped (queue full, or the broker away "
			       "at exit), %llu messages not acknowledged, %llu failed; %llu "
			       "devices beyond %d not announced",
			       (unsigned long long)m->q.dropped, (unsigned long long)m->inflight,
			       (unsigned long long)m->failed, (unsigned long long)m->devs_refused,
			       MQTT_DEVICES_MAX);
	mosquitto_destroy(m->mosq);
	mosquitto_lib_cleanup();
	lw_evqueue_release(&m->q);
	free(m->devs);
	free(m);
}

#else /* !LW_HAVE_MQTT */

struct lw_mqtt {
	int unused;
};

bool lw_mqtt_available(void)
{
	return false;
}

int lw_mqtt_start(const struct lw_config *cfg, struct lw_mqtt **out, char *err, size_t errlen)
{
	*out = NULL;
	if (!cfg->mqtt_host[0])
		return 0;
	snprintf(err, errlen,
		 "[alerts] mqtt_host: this leakwatchd is built without MQTT (meson -Dmqtt=enabled, "
		 "with libmosquitto-dev)");
	return -EINVAL;
}

void lw_mqtt_push(struct lw_mqtt *m, const struct lw_alert_event *e)
{
	(void)m;
	(void)e;
}

void lw_mqtt_stop(struct lw_mqtt *m)
{
	(void)m;
}

#endif
