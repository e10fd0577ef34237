/* SPDX-License-Identifier: MIT */
/*
 * The alerts' policy (alerts.h): what is new, one log line each (rate-limited), leaks today per
 * device; events handed to the delivery (notify.c).
 */
#include "alerts.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alert/bucket.h"
#include "alert/seen.h"
#include "log.h"

#define ALERT_DEVICES_MAX 4096 /* devices with a name and a count; beyond: refused, counted */

struct alert_device {
	bool used;
	bool dirty; /* leaks_today changed since the last event that carried it */
	char mac[LW_MAC_STRLEN];
	char label[64];
	char hostname[128];
	char vendor[128];
	uint64_t leaks_today;
};

struct lw_alerts {
	bool log;
	struct lw_bucket bucket;
	struct lw_seen *seen;
	bool seen_full_logged;
	struct alert_device *devs; /* 2 * ALERT_DEVICES_MAX slots, open addressing */
	size_t n_devs;
	uint64_t devices_refused;
	bool devices_full_logged;
	long day; /* the local day leaks_today counts (days since the epoch, local time) */
	void (*deliver)(const struct lw_alert_event *e, void *user_data);
	void *user_data;
	uint64_t new_devices, new_leaks;
};

static long local_day(double ts)
{
	time_t t = (time_t)ts;
	struct tm tm;

	if (!localtime_r(&t, &tm))
		return 0;
	/* days since the epoch of the local calendar date: comparable, not a real day count */
	return (long)(tm.tm_year + 1900) * 400 + tm.tm_yday;
}

static double local_midnight(double ts)
{
	time_t t = (time_t)ts;
	struct tm tm;

	if (!localtime_r(&t, &tm))
		return 0;
	tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
	tm.tm_isdst = -1;
	return (double)mktime(&tm);
}

static struct alert_device *device_slot(struct lw_alerts *a, const char *mac)
{
	size_t cap = 2 * ALERT_DEVICES_MAX, i = lw_hash(mac, strlen(mac)) % cap;

	while (a->devs[i].used && strcmp(a->devs[i].mac, mac) != 0)
		i = (i + 1) % cap;
	return &a->devs[i];
}

/* The device's entry; NULL when it is not there and there is no room (counted). */
static struct alert_device *device_get(struct lw_alerts *a, const char *mac, bool *added)
{
	struct alert_device *d = device_slot(a, mac);

	*added = false;
	if (d->used)
		return d;
	if (a->n_devs >= ALERT_DEVICES_MAX) {
		a->devices_refused++;
		if (!a->devices_full_logged)
			lw_log_warning("alerts: more than %d devices; new ones are not announced "
				       "(counted)",
				       ALERT_DEVICES_MAX);
		a->devices_full_logged = true;
		return NULL;
	}
	memset(d, 0, sizeof(*d));
	d->used = true;
	lw_str_copy(d->mac, sizeof(d->mac), mac);
	a->n_devs++;
	*added = true;
	return d;
}

static void event_init(struct lw_alert_event *e, enum lw_alert_type type, double ts,
		       const struct alert_device *d)
{
	memset(e, 0, sizeof(*e));
	e->type = type;
	e->ts = ts;
	lw_str_copy(e->mac, sizeof(e->mac), d->mac);
	lw_str_copy(e->label, sizeof(e->label), d->label);
	lw_str_copy(e->hostname, sizeof(e->hostname), d->hostname);
	lw_str_copy(e->vendor, sizeof(e->vendor), d->vendor);
	lw_alert_device_name(e->name, sizeof(e->name), d->label, d->hostname, d->vendor, d->mac);
	e->leaks_today = d->leaks_today;
}

static void deliver(struct lw_alerts *a, const struct lw_alert_event *e)
{
	if (a->deliver)
		a->deliver(e, a->user_data);
}

/* Whether a line may be logged now; the ones refused are said in one line later (tick). */
static bool may_log(struct lw_alerts *a, double ts)
{
	return a->log && lw_bucket_take(&a->bucket, (lw_time_us)(ts * LW_USEC_PER_SEC));
}

/* --- seeding from the database ------------------------------------------------------------ */

static void seed(struct lw_alerts *a, const char *db_path)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	double midnight = local_midnight((double)time(NULL));
	size_t leaks = 0;
	bool added;
	int r;

	r = sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL);
	if (r != SQLITE_OK)
		goto fail;
	sqlite3_busy_timeout(db, 5000);
	r = sqlite3_prepare_v2(db,
			       "SELECT mac, ifnull(label, ''), ifnull(hostname, ''), "
			       "ifnull(vendor, '') FROM devices",
			       -1, &st, NULL);
	if (r != SQLITE_OK)
		goto fail;
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		const char *mac = (const char *)sqlite3_column_text(st, 0);
		struct alert_device *d;

		if (!mac || strlen(mac) >= LW_MAC_STRLEN)
			continue;
		d = device_get(a, mac, &added);
		if (!d)
			break;
		lw_str_copy(d->label, sizeof(d->label), (const char *)sqlite3_column_text(st, 1));
		lw_str_copy(d->hostname, sizeof(d->hostname),
			    (const char *)sqlite3_column_text(st, 2));
		lw_str_copy(d->vendor, sizeof(d->vendor), (const char *)sqlite3_column_text(st, 3));
	}
	sqlite3_finalize(st);
	st = NULL;
	if (r != SQLITE_DONE && r != SQLITE_ROW)
		goto fail;
	/* the same key the leak hook builds: mac, domain (else the address), kind */
	r = sqlite3_prepare_v2(db,
			       "SELECT DISTINCT ifnull(mac, '') || char(10) || "
			       "ifnull(nullif(domain, ''), ifnull(dst_ip, '')) || char(10) || "
			       "ifnull(kind, '') FROM leaks",
			       -1, &st, NULL);
	if (r != SQLITE_OK)
		goto fail;
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		const char *key = (const char *)sqlite3_column_text(st, 0);

		if (key && lw_seen_add(a->seen, key, strlen(key)) < 0)
			break;
		leaks++;
	}
	sqlite3_finalize(st);
	st = NULL;
	if (r != SQLITE_DONE && r != SQLITE_ROW)
		goto fail;
	r = sqlite3_prepare_v2(db, "SELECT mac, count(*) FROM leaks WHERE ts >= ? GROUP BY mac", -1,
			       &st, NULL);
	if (r != SQLITE_OK)
		goto fail;
	sqlite3_bind_double(st, 1, midnight);
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		const char *mac = (const char *)sqlite3_column_text(st, 0);
		struct alert_device *d;

		if (!mac || strlen(mac) >= LW_MAC_STRLEN)
			continue;
		d = device_get(a, mac, &added);
		if (d)
			d->leaks_today = (uint64_t)sqlite3_column_int64(st, 1);
	}
	sqlite3_finalize(st);
	st = NULL;
	a->day = local_day((double)time(NULL));
	sqlite3_close(db);
	lw_log_debug("alerts: %zu devices and %zu (device, domain, kind) known from %s", a->n_devs,
		     leaks, db_path);
	return;
fail:
	/* a new database has no tables yet: nothing is known, which is right */
	if (db && !strstr(sqlite3_errmsg(db), "no such table"))
		lw_log_warning("alerts: %s: cannot read what is known (%s); every device and leak "
			       "seen now counts as new",
			       db_path, sqlite3_errmsg(db));
	sqlite3_finalize(st);
	sqlite3_close(db);
	a->day = local_day((double)time(NULL));
}

/* --- the pipeline's rows ------------------------------------------------------------------ */

static void on_device(const struct lw_device_rec *r, void *user_data)
{
	struct lw_alerts *a = user_data;
	struct alert_device *d;
	char before[128], after[128];
	struct lw_alert_event e;
	bool added;

	if (!r->mac[0])
		return;
	d = device_get(a, r->mac, &added);
	if (!d)
		return;
	lw_alert_device_name(before, sizeof(before), d->label, d->hostname, d->vendor, d->mac);
	/* "" in a device row means "keep what is known" */
	if (r->label[0])
		lw_str_copy(d->label, sizeof(d->label), r->label);
	if (r->hostname[0])
		lw_str_copy(d->hostname, sizeof(d->hostname), r->hostname);
	if (r->vendor[0])
		lw_str_copy(d->vendor, sizeof(d->vendor), r->vendor);
	if (added) {
		a->new_devices++;
		event_init(&e, LW_ALERT_NEW_DEVICE, r->ts, d);
		if (may_log(a, r->ts))
			lw_log_info("new device %s%s%s%s", d->mac,
				    strcmp(e.name, d->mac) ? " (" : "",
				    strcmp(e.name, d->mac) ? e.name : "",
				    strcmp(e.name, d->mac) ? ")" : "");
		deliver(a, &e);
		return;
	}
	/* a better name (a DHCP host name after the first packet): MQTT renames the device */
	lw_alert_device_name(after, sizeof(after), d->label, d->hostname, d->vendor, d->mac);
	if (strcmp(before, after) != 0)
		d->dirty = true;
}

static void day_check(struct lw_alerts *a, double ts)
{
	long day = local_day(ts);
	size_t i;

	if (day <= a->day)
		return;
	a->day = day;
	for (i = 0; i < 2 * ALERT_DEVICES_MAX; i++) {
		struct alert_device *d = &a->devs[i];

		if (d->used && d->leaks_today) {
			d->leaks_today = 0;
			d->dirty = true;
		}
	}
}

static void on_leak(const struct lw_leak_rec *r, void *user_data)
{
	struct lw_alerts *a = user_data;
	const char *dest = r->domain[0] ? r->domain : r->dst_ip;
	struct alert_device *d = NULL;
	struct lw_alert_event e;
	char key[LW_MAC_STRLEN + sizeof(r->domain) + sizeof(r->kind) + 4];
	bool added;
	int n;

	day_check(a, r->ts);
	if (r->mac[0]) {
		d = device_get(a, r->mac, &added);
		if (d) {
			d->leaks_today++;
			d->dirty = true;
		}
	}
	n = snprintf(key, sizeof(key), "%s\n%s\n%s", r->mac, dest, r->kind);
	n = lw_seen_add(a->seen, key, (size_t)LW_MIN(n, (int)sizeof(key) - 1));
	if (n == -ENOSPC && !a->seen_full_logged) {
		lw_log_warning("alerts: [alerts] seen_max (%zu) reached: leaks of new (device, "
			       "domain, kind) are no longer announced (counted)",
			       lw_seen_count(a->seen));
		a->seen_full_logged = true;
	}
	if (n != 1)
		return;
	a->new_leaks++;
	if (d) {
		event_init(&e, LW_ALERT_NEW_LEAK, r->ts, d);
		d->dirty = false; /* the event carries the count */
	} else {
		struct alert_device none = {.mac = ""};

		event_init(&e, LW_ALERT_NEW_LEAK, r->ts, &none);
		lw_str_copy(e.mac, sizeof(e.mac), r->mac);
	}
	lw_str_copy(e.domain, sizeof(e.domain), r->domain);
	lw_str_copy(e.dst_ip, sizeof(e.dst_ip), r->dst_ip);
	e.dst_port = r->dst_port;
	lw_str_copy(e.proto, sizeof(e.proto), r->proto);
	lw_str_copy(e.kind, sizeof(e.kind), r->kind);
	lw_str_copy(e.confidence, sizeof(e.confidence), r->confidence);
	lw_str_copy(e.location, sizeof(e.location), r->location);
	if (may_log(a, r->ts))
		lw_log_info("new leak: %s%s%s%s sent its %s to %s port %u (%s, %s)",
			    r->mac[0] ? r->mac : "a device with no MAC",
			    strcmp(e.name, e.mac) && e.name[0] ? " (" : "",
			    strcmp(e.name, e.mac) && e.name[0] ? e.name : "",
			    strcmp(e.name, e.mac) && e.name[0] ? ")" : "", r->kind, dest,
			    (unsigned)r->dst_port, r->confidence, r->location);
	deliver(a, &e);
}

static void on_tick(lw_time_us now, void *user_data)
{
	struct lw_alerts *a = user_data;
	double ts = (double)now / LW_USEC_PER_SEC;
	uint64_t n;
	size_t i;

	day_check(a, ts);
	n = a->log ? lw_bucket_take_suppressed(&a->bucket, now) : 0;
	if (n)
		lw_log_info("alerts: %llu more new-device and new-leak lines suppressed ([alerts] "
			    "log_per_minute)",
			    (unsigned long long)n);
	/* counts that changed without a new leak: at most one event per device per tick */
	for (i = 0; a->n_devs && i < 2 * ALERT_DEVICES_MAX; i++) {
		struct alert_device *d = &a->devs[i];
		struct lw_alert_event e;

		if (!d->used || !d->dirty)
			continue;
		d->dirty = false;
		event_init(&e, LW_ALERT_COUNT, ts, d);
		deliver(a, &e);
	}
}

int lw_alerts_new(const struct lw_config *cfg, const char *db_path, bool log_lines,
		  void (*deliver_fn)(const struct lw_alert_event *e, void *user_data),
		  void *user_data, struct lw_alerts **out)
{
	struct lw_alerts *a = calloc(1, sizeof(*a));

	*out = NULL;
	if (!a)
		return -ENOMEM;
	a->devs = calloc(2 * ALERT_DEVICES_MAX, sizeof(*a->devs));
	a->seen = lw_seen_new((size_t)cfg->alerts_seen_max);
	if (!a->devs || !a->seen) {
		lw_alerts_free(a);
		return -ENOMEM;
	}
	a->log = cfg->alerts_log && log_lines;
	/* the bucket runs on the pipeline's clock: packet time when reading a file */
	lw_bucket_init(&a->bucket, (unsigned)cfg->alerts_log_burst,
		       (unsigned)cfg->alerts_log_per_minute, 0);
	a->deliver = deliver_fn;
	a->user_data = user_data;
	seed(a, db_path);
	*out = a;
	return 0;
}

void lw_alerts_free(struct lw_alerts *a)
{
	if (!a)
		return;
	if (a->devices_refused || lw_seen_refused(a->seen))
		lw_log_warning("alerts: %llu devices and %llu leaks not checked for newness "
			       "(limits reached)",
			       (unsigned long long)a->devices_refused,
			       (unsigned long long)lw_seen_refused(a->seen));
	lw_seen_free(a->seen);
	free(a->devs);
	free(a);
}

void lw_alerts_attach(struct lw_alerts *a, struct lw_pipeline *p)
{
	if (!a)
		return;
	lw_pipeline_set_events(
		p, &(struct lw_pipeline_events){
			   .device = on_device, .leak = on_leak, .tick = on_tick, .user_data = a});
}

void lw_alerts_deliver_notify(const struct lw_alert_event *e, void *user_data)
{
	lw_notify_push(user_data, e);
}
