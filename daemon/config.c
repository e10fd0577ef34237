/* SPDX-License-Identifier: MIT */
#include "config.h"

#include "alert/ha.h"
#include "block/block.h"
#include "block/hold.h"
#include "block/layout.h"
#include "detect/detect.h"
#include "lw-features.h"
#include "store/storage.h"
#include "store/store.h"

#include <errno.h>
#include <ini.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum key_type {
	KEY_LONG,
	KEY_BOOL,
	KEY_STRING,
	KEY_INT,
	KEY_LAN,
	KEY_BLOCK, /* [block] family, queue_path, table, domains, auto_kinds, auto_scope */
	KEY_ALERTS, /* [alerts] strings checked by alerts_key() */
	KEY_DB, /* [database] commit_interval_ms, journal_mode, dns_flows */
	KEY_FLEET, /* [fleet] strings checked by fleet_key() */
};

struct key {
	const char *section;
	const char *name;
	enum key_type type;
	size_t offset;
	size_t size; /* KEY_STRING: buffer size */
	long min, max;
};

#define L(sec, name, field, lo, hi)                                               \
	{                                                                         \
		sec, name, KEY_LONG, offsetof(struct lw_config, field), 0, lo, hi \
	}
#define I(sec, name, field, lo, hi)                                              \
	{                                                                        \
		sec, name, KEY_INT, offsetof(struct lw_config, field), 0, lo, hi \
	}

static const struct key keys[] = {
	{"capture", "interface", KEY_STRING, offsetof(struct lw_config, interface), IF_NAMESIZE, 0,
	 0},
	I("capture", "snaplen", snaplen, 64, 262144),
	I("capture", "buffer_kb", buffer_kb, 256, 1048576),
	{"capture", "promisc", KEY_BOOL, offsetof(struct lw_config, promisc), 0, 0, 0},
	{"database", "path", KEY_STRING, offsetof(struct lw_config, db_path), PATH_MAX, 0, 0},
	L("database", "queue_max", queue_max, 64, 10000000),
	L("database", "cache_kb", cache_kb, 0, 1048576),
	{"database", "commit_interval_ms", KEY_DB, 0, 0, 10, 60000},
	L("database", "max_db_mb", max_db_mb, 0, 1048576),
	L("database", "retention_days", retention_days, 0, 36500),
	L("database", "flows_days", retain_days[LW_TABLE_FLOWS], 0, 36500),
	L("database", "dns_days", retain_days[LW_TABLE_DNS], 0, 36500),
	L("database", "leaks_days", retain_days[LW_TABLE_LEAKS], 0, 36500),
	L("database", "devices_days", retain_days[LW_TABLE_DEVICES], 0, 36500),
	L("database", "stats_days", retain_days[LW_TABLE_STATS], 0, 36500),
	L("database", "blocks_days", retain_days[LW_TABLE_BLOCKS], 0, 36500),
	L("database", "sessions_days", retain_days[LW_TABLE_SESSIONS], 0, 36500),
	L("database", "stations_days", retain_days[LW_TABLE_STATIONS], 0, 36500),
	L("database", "device_names_days", retain_days[LW_TABLE_DEVICE_NAMES], 0, 36500),
	L("database", "daily_days", retain_days[LW_TABLE_DAILY], 0, 36500),
	{"database", "journal_mode", KEY_DB, 0, 0, 0, 0},
	{"database", "dns_flows", KEY_DB, 0, 0, 0, 0},
	L("database", "flow_write_interval", flow_write_interval, 1, 86400),
	L("database", "stats_interval", stats_interval, 1, 86400),
	L("flows", "max_flows", max_flows, 16, 10000000),
	L("flows", "tcp_idle", tcp_idle, 1, 86400),
	L("flows", "udp_idle", udp_idle, 1, 86400),
	L("flows", "reasm_flow_kb", reasm_flow_kb, 1, 65536),
	L("flows", "reasm_total_kb", reasm_total_kb, 64, 4194304),
	{"flows", "lan", KEY_LAN, 0, 0, 0, 0},
	L("decode", "frag_max_datagrams", frag_max_datagrams, 1, 65536),
	L("decode", "frag_max_kb", frag_max_kb, 64, 1048576),
	L("decode", "frag_timeout", frag_timeout, 1, 600),
	{"block", "enabled", KEY_BOOL, offsetof(struct lw_config, block_enabled), 0, 0, 0},
	{"block", "family", KEY_BLOCK, 0, 0, 0, 0},
	{"block", "queue_path", KEY_BLOCK, 0, 0, 0, 0},
	{"block", "table", KEY_BLOCK, 0, 0, 0, 0},
	{"block", "domains", KEY_BLOCK, 0, 0, 0, 0},
	{"block", "auto_kinds", KEY_BLOCK, 0, 0, 0, 0},
	{"block", "auto_scope", KEY_BLOCK, 0, 0, 0, 0},
	L("block", "auto_expire", block_auto_expire, 0, 86400 * 365),
	L("block", "auto_per_hour", block_auto_per_hour, 0, 1000),
	L("block", "ttl_min", block_ttl_min, 1, 86400 * 7),
	L("block", "hold_stall_ms", block_hold_stall_ms, 20, 60000),
	L("block", "ttl_max", block_ttl_max, 1, 86400 * 365),
	{"block", "dns_hold", KEY_BOOL, offsetof(struct lw_config, block_dns_hold), 0, 0, 0},
	{"block", "hello_hold", KEY_BOOL, offsetof(struct lw_config, block_hello_hold), 0, 0, 0},
	L("block", "queue_num", block_queue_num, 0, 65535),
	{"block", "keep_table_on_exit", KEY_BOOL, offsetof(struct lw_config, block_keep_table), 0,
	 0, 0},
	L("names", "max_entries", names_max, 16, 10000000),
	L("names", "ttl_min", names_ttl_min, 0, 86400 * 7),
	L("names", "ttl_max", names_ttl_max, 1, 86400 * 30),
	L("inspect", "head_max", head_max, 512, 65536),
	L("inspect", "http_body_max", http_body_max, 0, 16777216),
	L("inspect", "buffer_total_kb", buffer_total_kb, 0, 4194304),
	L("detect", "decode_kb", detect_decode_kb, 16, 65536),
	L("detect", "depth", detect_depth, 1, 4),
	L("detect", "known_max", detect_known_max, 16, 1000000),
	{"detect", "learn", KEY_BOOL, offsetof(struct lw_config, detect_learn), 0, 0, 0},
	{"daemon", "user", KEY_STRING, offsetof(struct lw_config, user), 64, 0, 0},
	L("daemon", "mmap_threshold_kb", mmap_threshold_kb, 0, 32768),
	{"ap", "enabled", KEY_BOOL, offsetof(struct lw_config, ap_enabled), 0, 0, 0},
	{"ap", "hostapd_ctrl_dir", KEY_STRING, offsetof(struct lw_config, hostapd_ctrl_dir), 96, 0,
	 0},
	{"ap", "oui_file", KEY_STRING, offsetof(struct lw_config, oui_file), PATH_MAX, 0, 0},
	{"ap", "netlink", KEY_BOOL, offsetof(struct lw_config, netlink), 0, 0, 0},
	L("ap", "station_interval", station_interval, 0, 3600),
	{"evidence", "enabled", KEY_BOOL, offsetof(struct lw_config, evidence), 0, 0, 0},
	L("evidence", "buffer_kb", evidence_buffer_kb, 64, 1048576),
	L("evidence", "max_rows", evidence_max_rows, 1, 100000),
	L("evidence", "max_kb", evidence_max_kb, 64, 4194304),
	{"alerts", "log", KEY_BOOL, offsetof(struct lw_config, alerts_log), 0, 0, 0},
	L("alerts", "log_burst", alerts_log_burst, 1, 1000),
	L("alerts", "log_per_minute", alerts_log_per_minute, 0, 6000),
	L("alerts", "seen_max", alerts_seen_max, 16, 10000000),
	L("alerts", "queue_max", alerts_queue_max, 1, 1000000),
	{"alerts", "exec", KEY_ALERTS, offsetof(struct lw_config, alerts_exec), PATH_MAX, 0, 0},
	L("alerts", "exec_timeout", alerts_exec_timeout, 1, 3600),
	{"alerts", "mqtt_host", KEY_ALERTS, offsetof(struct lw_config, mqtt_host), 256, 0, 0},
	L("alerts", "mqtt_port", mqtt_port, 1, 65535),
	{"alerts", "mqtt_username", KEY_STRING, offsetof(struct lw_config, mqtt_username), 128, 0,
	 0},
	{"alerts", "mqtt_password", KEY_STRING, offsetof(struct lw_config, mqtt_password), 128, 0,
	 0},
	{"alerts", "mqtt_tls", KEY_BOOL, offsetof(struct lw_config, mqtt_tls), 0, 0, 0},
	{"alerts", "mqtt_ca_file", KEY_ALERTS, offsetof(struct lw_config, mqtt_ca_file), PATH_MAX,
	 0, 0},
	{"alerts", "mqtt_cert_file", KEY_ALERTS, offsetof(struct lw_config, mqtt_cert_file),
	 PATH_MAX, 0, 0},
	{"alerts", "mqtt_key_file", KEY_ALERTS, offsetof(struct lw_config, mqtt_key_file), PATH_MAX,
	 0, 0},
	{"alerts", "mqtt_client_id", KEY_ALERTS, offsetof(struct lw_config, mqtt_client_id), 64, 0,
	 0},
	{"alerts", "mqtt_topic_prefix", KEY_ALERTS, offsetof(struct lw_config, mqtt_topic_prefix),
	 65, 0, 0},
	{"alerts", "mqtt_discovery_prefix", KEY_ALERTS,
	 offsetof(struct lw_config, mqtt_discovery_prefix), 65, 0, 0},
	{"alerts", "mqtt_discovery", KEY_BOOL, offsetof(struct lw_config, mqtt_discovery), 0, 0, 0},
	{"fleet", "enabled", KEY_BOOL, offsetof(struct lw_config, fleet_enabled), 0, 0, 0},
	{"fleet", "servers", KEY_FLEET, offsetof(struct lw_config, fleet_servers), 1024, 0, 0},
	{"fleet", "ap_id", KEY_FLEET, offsetof(struct lw_config, fleet_ap_id), 65, 0, 0},
	{"fleet", "stream", KEY_FLEET, offsetof(struct lw_config, fleet_stream), 65, 0, 0},
	{"fleet", "subject_prefix", KEY_FLEET, offsetof(struct lw_config, fleet_subject_prefix), 65,
	 0, 0},
	{"fleet", "creds_file", KEY_FLEET, offsetof(struct lw_config, fleet_creds_file), PATH_MAX,
	 0, 0},
	{"fleet", "nkey", KEY_FLEET, offsetof(struct lw_config, fleet_nkey), 64, 0, 0},
	{"fleet", "nkey_seed_file", KEY_FLEET, offsetof(struct lw_config, fleet_nkey_seed_file),
	 PATH_MAX, 0, 0},
	{"fleet", "ca_file", KEY_FLEET, offsetof(struct lw_config, fleet_ca_file), PATH_MAX, 0, 0},
	L("fleet", "interval", fleet_interval, 1, 86400),
	L("fleet", "batch", fleet_batch, 1, 10000),
	{"fleet", "flags", KEY_BOOL, offsetof(struct lw_config, fleet_flags), 0, 0, 0},
	{"fleet", "flags_bucket", KEY_FLEET, offsetof(struct lw_config, fleet_flags_bucket), 65, 0,
	 0},
};

static const char *const device_kinds[] = {"imei",   "iccid",	   "imsi",  "phone", "email",
					   "serial", "android_id", "ad_id", "mac",   "custom"};

void lw_config_defaults(struct lw_config *c)
{
	memset(c, 0, sizeof(*c));
	c->snaplen = 262144;
	c->buffer_kb = 8192;
	c->promisc = true;
	snprintf(c->db_path, sizeof(c->db_path), "/var/lib/leakwatch/leakwatch.db");
	c->queue_max = 65536;
	c->commit_interval_ms = -1;
	c->max_db_mb = LW_STORE_MAX_DB_MB_DEFAULT;
	for (size_t i = 0; i < LW_TABLE_N; i++)
		c->retain_days[i] = -1;
	c->retention_days = -1;
	snprintf(c->journal_mode, sizeof(c->journal_mode), "auto");
	c->flow_write_interval = 60;
	c->stats_interval = 60;
	c->max_flows = 65536;
	c->tcp_idle = 300;
	c->udp_idle = 60;
	c->reasm_flow_kb = 64;
	c->reasm_total_kb = 16384;
	c->frag_max_datagrams = 64;
	c->frag_max_kb = 1024;
	c->frag_timeout = 30;
	c->block_enabled = LW_BUILT_BLOCK; /* (a build without it: off unless asked for) */
	snprintf(c->block_family, sizeof(c->block_family), "auto");
	snprintf(c->block_queue_path, sizeof(c->block_queue_path), "auto");
	snprintf(c->block_table, sizeof(c->block_table), "leakwatch");
	c->block_ttl_min = 300;
	c->block_hold_stall_ms = LW_HOLD_GUARD_MS;
	c->block_auto_expire = 7 * 86400;
	c->block_auto_per_hour = 5;
	c->block_ttl_max = 86400;
	c->block_dns_hold = true;
	c->block_hello_hold = true;
	c->block_queue_num = 4747;
	c->names_max = 16384;
	c->names_ttl_min = 300;
	c->names_ttl_max = 86400;
	c->head_max = 16384;
	c->http_body_max = 65536;
	c->buffer_total_kb = 16384;
	c->detect_decode_kb = 1024;
	c->detect_depth = 2;
	c->detect_known_max = 4096;
	c->detect_learn = true;
	c->ap_enabled = true;
	snprintf(c->hostapd_ctrl_dir, sizeof(c->hostapd_ctrl_dir), "/var/run/hostapd");
	c->netlink = LW_BUILT_NETLINK;
	c->station_interval = 30;
	c->alerts_log = true;
	c->alerts_log_burst = 10;
	c->alerts_log_per_minute = 6;
	c->alerts_seen_max = 65536;
	c->evidence = true;
	c->evidence_buffer_kb = 1024;
	c->evidence_max_rows = LW_STORE_EVIDENCE_ROWS;
	c->evidence_max_kb = LW_STORE_EVIDENCE_BYTES >> 10;
	c->alerts_queue_max = 1024;
	c->alerts_exec_timeout = 10;
	snprintf(c->mqtt_topic_prefix, sizeof(c->mqtt_topic_prefix), "leakwatch");
	snprintf(c->mqtt_discovery_prefix, sizeof(c->mqtt_discovery_prefix), "homeassistant");
	snprintf(c->fleet_servers, sizeof(c->fleet_servers), "nats://127.0.0.1:4222");
	snprintf(c->fleet_stream, sizeof(c->fleet_stream), "LEAKWATCH");
	snprintf(c->fleet_subject_prefix, sizeof(c->fleet_subject_prefix), "leakwatch");
	c->fleet_interval = 10;
	c->fleet_batch = 1000;
	c->fleet_flags = true;
	snprintf(c->fleet_flags_bucket, sizeof(c->fleet_flags_bucket), "LEAKWATCH_FLAGS");
	c->mqtt_discovery = true;
}

struct load_ctx {
	struct lw_config *c;
	const char *path;
	char *err;
	size_t errlen;
	char why[256];
	FILE *f;
	int reads; /* lines handed to inih, counted the way it counts them */
	int why_read; /* the line the reason in why belongs to */
	int long_line; /* the first line longer than inih's buffer (it would split it) */
	int line_max;
};

static int parse_long(const char *v, long *out)
{
	char *end;
	long x;

	errno = 0;
	x = strtol(v, &end, 10);
	if (errno || end == v || *end != '\0')
		return -EINVAL;
	*out = x;
	return 0;
}

static int device_key(struct load_ctx *lc, const char *section, const char *name, const char *value)
{
	struct lw_config *c = lc->c;
	struct lw_config_device *d = NULL;
	struct lw_mac mac;
	const char *macstr = section + strlen("device");
	size_t i;

	while (*macstr == ' ' || *macstr == '\t')
		macstr++;
	if (lw_mac_parse(macstr, &mac) < 0) {
		snprintf(lc->why, sizeof(lc->why), "section [%s]: not a MAC address", section);
		return 0;
	}
	for (i = 0; i < c->n_devices; i++)
		if (memcmp(c->devices[i].mac.b, mac.b, 6) == 0)
			d = &c->devices[i];
	if (!d) {
		struct lw_config_device *nd;

		if (c->n_devices >= LW_CONFIG_MAX_DEVICES) {
			snprintf(lc->why, sizeof(lc->why), "more than %d [device] sections",
				 LW_CONFIG_MAX_DEVICES);
			return 0;
		}
		nd = realloc(c->devices, (c->n_devices + 1) * sizeof(*nd));
		if (!nd) {
			snprintf(lc->why, sizeof(lc->why), "out of memory");
			return 0;
		}
		c->devices = nd;
		d = &c->devices[c->n_devices++];
		memset(d, 0, sizeof(*d));
		d->mac = mac;
	}
	if (strcmp(name, "label") == 0) {
		if (strlen(value) >= sizeof(d->label)) {
			snprintf(lc->why, sizeof(lc->why), "label longer than %zu characters",
				 sizeof(d->label) - 1);
			return 0;
		}
		snprintf(d->label, sizeof(d->label), "%s", value);
		return 1;
	}
	for (i = 0; i < LW_ARRAY_SIZE(device_kinds); i++)
		if (strcmp(name, device_kinds[i]) == 0)
			break;
	if (i == LW_ARRAY_SIZE(device_kinds)) {
		snprintf(lc->why, sizeof(lc->why), "unknown key '%s' in [%s]", name, section);
		return 0;
	}
	if (d->n_ids >= LW_CONFIG_MAX_DEVICE_IDS) {
		snprintf(lc->why, sizeof(lc->why), "more than %d identifiers for one device",
			 LW_CONFIG_MAX_DEVICE_IDS);
		return 0;
	}
	if (value[0] == '\0' || strlen(value) >= sizeof(d->ids[0].value)) {
		snprintf(lc->why, sizeof(lc->why), "%s: empty or too long", name);
		return 0;
	}
	snprintf(d->ids[d->n_ids].kind, sizeof(d->ids[0].kind), "%s", name);
	snprintf(d->ids[d->n_ids].value, sizeof(d->ids[0].value), "%s", value);
	d->n_ids++;
	return 1;
}

static int parse_lan(struct load_ctx *lc, const char *value)
{
	struct lw_config *c = lc->c;
	char buf[1024], *save = NULL, *tok;

	if (strlen(value) >= sizeof(buf)) {
		snprintf(lc->why, sizeof(lc->why), "lan: value too long");
		return 0;
	}
	snprintf(buf, sizeof(buf), "%s", value);
	/* every "lan =" line adds its prefixes: a long list fits on several lines */
	for (tok = strtok_r(buf, ", \t", &save); tok; tok = strtok_r(NULL, ", \t", &save)) {
		if (c->n_lan >= LW_CONFIG_MAX_LAN) {
			snprintf(lc->why, sizeof(lc->why), "lan: more than %d prefixes",
				 LW_CONFIG_MAX_LAN);
			return 0;
		}
		if (lw_prefix_parse(tok, &c->lan[c->n_lan]) < 0) {
			snprintf(lc->why, sizeof(lc->why),
				 "lan: '%s' is not a prefix like 192.0.2.0/24", tok);
			return 0;
		}
		c->n_lan++;
	}
	return 1;
}

/* [block] keys checked when read; domains are checked by the daemon (a bad one is skipped). */
static int block_key(struct load_ctx *lc, const char *name, const char *value)
{
	struct lw_config *c = lc->c;
	enum lw_family_mode fam;
	enum lw_queue_path qp;

	if (strcmp(name, "family") == 0) {
		if (lw_family_mode_parse(value, &fam) < 0) {
			snprintf(lc->why, sizeof(lc->why),
				 "family: '%s' is not auto, bridge or inet", value);
			return 0;
		}
		snprintf(c->block_family, sizeof(c->block_family), "%s", value);
	} else if (strcmp(name, "queue_path") == 0) {
		if (lw_queue_path_parse(value, &qp) < 0) {
			snprintf(lc->why, sizeof(lc->why),
				 "queue_path: '%s' is not auto, nft or xtables", value);
			return 0;
		}
		snprintf(c->block_queue_path, sizeof(c->block_queue_path), "%s", value);
	} else if (strcmp(name, "table") == 0) {
		if (!lw_block_table_name_valid(value) || strlen(value) > 25) {
			snprintf(lc->why, sizeof(lc->why),
				 "table: '%s' is not a name of 1 to 25 letters, digits, '_' or '-' "
				 "starting with a letter",
				 value);
			return 0;
		}
		snprintf(c->block_table, sizeof(c->block_table), "%s", value);
	} else if (strcmp(name, "auto_kinds") == 0) {
		static const char *const kinds[] = {
			"imei",	 "imeisv", "meid",  "iccid", "imsi",	 "mac",	    "android_id",
			"ad_id", "serial", "phone", "email", "location", "cell_id", "custom"};
		char buf[sizeof(c->block_auto_kinds)], *save = NULL, *tok;
		size_t i;

		if (strlen(value) >= sizeof(buf)) {
			snprintf(lc->why, sizeof(lc->why), "auto_kinds: value too long");
			return 0;
		}
		snprintf(buf, sizeof(buf), "%s", value);
		for (tok = strtok_r(buf, ", \t", &save); tok; tok = strtok_r(NULL, ", \t", &save)) {
			for (i = 0; i < LW_ARRAY_SIZE(kinds); i++)
				if (strcmp(tok, kinds[i]) == 0)
					break;
			if (i == LW_ARRAY_SIZE(kinds)) {
				snprintf(lc->why, sizeof(lc->why),
					 "auto_kinds: '%s' is not a kind of the leaks table", tok);
				return 0;
			}
		}
		snprintf(c->block_auto_kinds, sizeof(c->block_auto_kinds), "%s", value);
	} else if (strcmp(name, "auto_scope") == 0) {
		if (strcmp(value, "device") != 0 && strcmp(value, "all") != 0) {
			snprintf(lc->why, sizeof(lc->why), "auto_scope: '%s' is not device or all",
				 value);
			return 0;
		}
		c->block_auto_all = strcmp(value, "all") == 0;
	} else { /* domains: each line adds to the list */
		size_t have = c->block_domains ? strlen(c->block_domains) : 0;
		char *n = realloc(c->block_domains, have + strlen(value) + 2);

		if (!n) {
			snprintf(lc->why, sizeof(lc->why), "out of memory");
			return 0;
		}
		if (have)
			n[have++] = ',';
		memcpy(n + have, value, strlen(value) + 1);
		c->block_domains = n;
	}
	return 1;
}

/* [database] keys that take a word: commit_interval_ms (or auto), journal_mode, dns_flows */
static int db_key(struct load_ctx *lc, const struct key *k, const char *value)
{
	struct lw_config *c = lc->c;
	long v;

	if (strcmp(k->name, "commit_interval_ms") == 0) {
		if (strcmp(value, "auto") == 0) {
			c->commit_interval_ms = -1;
			return 1;
		}
		if (parse_long(value, &v) < 0 || v < k->min || v > k->max) {
			snprintf(lc->why, sizeof(lc->why),
				 "commit_interval_ms: '%s' is not auto or a whole number from %ld "
				 "to "
				 "%ld",
				 value, k->min, k->max);
			return 0;
		}
		c->commit_interval_ms = v;
	} else if (strcmp(k->name, "journal_mode") == 0) {
		if (strcmp(value, "auto") != 0 && strcmp(value, "wal") != 0 &&
		    strcmp(value, "truncate") != 0) {
			snprintf(lc->why, sizeof(lc->why),
				 "journal_mode: '%s' is not auto, wal or truncate", value);
			return 0;
		}
		snprintf(c->journal_mode, sizeof(c->journal_mode), "%s", value);
	} else { /* dns_flows */
		if (strcmp(value, "counters") != 0 && strcmp(value, "rows") != 0) {
			snprintf(lc->why, sizeof(lc->why),
				 "dns_flows: '%s' is not counters or rows", value);
			return 0;
		}
		c->dns_flow_rows = strcmp(value, "rows") == 0;
	}
	return 1;
}

/* [detect] region: the AP's country (ISO 3166 alpha-2) for national phone numbers; "none" */
static int region_key(struct load_ctx *lc, const char *value)
{
	if (!*value || !strcasecmp(value, "none")) {
		lc->c->detect_region[0] = '\0';
		return 1;
	}
	if (lw_detect_region_check(value, lc->c->detect_region) < 0) {
		snprintf(lc->why, sizeof(lc->why),
			 "region: '%s' is not a two-letter country code (ISO 3166, e.g. CN)%s",
			 value, lw_detect_have_number_plans() ? " the number plans know" : "");
		return 0;
	}
	return 1;
}

/*
 * [alerts] strings: programs and files are absolute paths (the daemon's working directory is
 * not the config's); topic prefixes are what MQTT allows to publish to; a host or client id
 * without spaces or control characters.
 */
static int alerts_key(struct load_ctx *lc, const struct key *k, const char *value)
{
	char *dst = (char *)lc->c + k->offset;
	const char *name = k->name;
	size_t i;

	if (strlen(value) >= k->size) {
		snprintf(lc->why, sizeof(lc->why), "%s: longer than %zu characters", name,
			 k->size - 1);
		return 0;
	}
	if (strcmp(name, "exec") == 0 || strstr(name, "_file")) {
		if (value[0] && value[0] != '/') {
			snprintf(lc->why, sizeof(lc->why), "%s: '%s' is not an absolute path", name,
				 value);
			return 0;
		}
	} else if (strstr(name, "_prefix")) {
		if (!lw_ha_prefix_valid(value)) {
			snprintf(lc->why, sizeof(lc->why),
				 "%s: '%s' is not a topic prefix (letters, digits, '_', '-', '.', "
				 "levels separated by '/')",
				 name, value);
			return 0;
		}
	} else {
		for (i = 0; value[i]; i++)
			if ((unsigned char)value[i] <= ' ' || value[i] == 0x7f) {
				snprintf(lc->why, sizeof(lc->why),
					 "%s: '%s' has a space or a control character", name,
					 value);
				return 0;
			}
	}
	memcpy(dst, value, strlen(value) + 1);
	return 1;
}

/* one NATS subject token (the access point id, a prefix) or stream name: [A-Za-z0-9_-]+ */
static bool fleet_token(const char *v)
{
	if (!v[0])
		return false;
	for (; *v; v++)
		if (!((*v >= 'a' && *v <= 'z') || (*v >= 'A' && *v <= 'Z') ||
		      (*v >= '0' && *v <= '9') || *v == '_' || *v == '-'))
			return false;
	return true;
}

/*
 * [fleet] strings: files are absolute paths; servers a comma-separated list of nats:// or
 * tls:// URLs; the access point id, stream and subject prefix one subject token each (the
 * subjects are <prefix>.<ap_id>.<table>); an nkey a public user key.
 */
static int fleet_key(struct load_ctx *lc, const struct key *k, const char *value)
{
	char *dst = (char *)lc->c + k->offset;
	const char *name = k->name;

	if (strlen(value) >= k->size) {
		snprintf(lc->why, sizeof(lc->why), "%s: longer than %zu characters", name,
			 k->size - 1);
		return 0;
	}
	if (strstr(name, "_file")) {
		if (value[0] && value[0] != '/') {
			snprintf(lc->why, sizeof(lc->why), "%s: '%s' is not an absolute path", name,
				 value);
			return 0;
		}
	} else if (strcmp(name, "servers") == 0) {
		const char *p = value;

		for (;;) {
			size_t n = strcspn(p, ",");

			if (!((strncmp(p, "nats://", 7) == 0 && n > 7) ||
			      (strncmp(p, "tls://", 6) == 0 && n > 6)) ||
			    strcspn(p, " \t\"'") < n) {
				snprintf(lc->why, sizeof(lc->why),
					 "servers: '%s' is not a list of nats://host:port or "
					 "tls://host:port, separated by commas",
					 value);
				return 0;
			}
			if (!p[n])
				break;
			p += n + 1;
		}
	} else if (strcmp(name, "nkey") == 0) {
		if (value[0] && (value[0] != 'U' || !fleet_token(value))) {
			snprintf(lc->why, sizeof(lc->why),
				 "nkey: '%s' is not a user's public nkey (U...)", value);
			return 0;
		}
	} else if (!fleet_token(value) || (strcmp(name, "ap_id") == 0 && strlen(value) > 64)) {
		snprintf(lc->why, sizeof(lc->why),
			 "%s: '%s' must be 1 to 64 of A-Z a-z 0-9 _ - (one NATS subject token)",
			 name, value);
		return 0;
	}
	memcpy(dst, value, strlen(value) + 1);
	return 1;
}

static int handle_key(void *user, const char *section, const char *name, const char *value)
{
	struct load_ctx *lc = user;
	char *base = (char *)lc->c;
	size_t i;

	if (strncmp(section, "device", 6) == 0 && (section[6] == ' ' || section[6] == '\t'))
		return device_key(lc, section, name, value);
	if (strcmp(section, "detect") == 0 && strcmp(name, "region") == 0)
		return region_key(lc, value);
	for (i = 0; i < LW_ARRAY_SIZE(keys); i++) {
		const struct key *k = &keys[i];
		long v;

		if (strcmp(k->section, section) != 0 || strcmp(k->name, name) != 0)
			continue;
		switch (k->type) {
		case KEY_STRING:
			if (strlen(value) >= k->size) {
				snprintf(lc->why, sizeof(lc->why), "%s: longer than %zu characters",
					 name, k->size - 1);
				return 0;
			}
			memcpy(base + k->offset, value, strlen(value) + 1);
			return 1;
		case KEY_BOOL:
			if (!strcasecmp(value, "yes") || !strcasecmp(value, "true") ||
			    !strcmp(value, "1") || !strcasecmp(value, "on")) {
				*(bool *)(base + k->offset) = true;
				return 1;
			}
			if (!strcasecmp(value, "no") || !strcasecmp(value, "false") ||
			    !strcmp(value, "0") || !strcasecmp(value, "off")) {
				*(bool *)(base + k->offset) = false;
				return 1;
			}
			snprintf(lc->why, sizeof(lc->why), "%s: '%s' is not yes or no", name,
				 value);
			return 0;
		case KEY_LONG:
		case KEY_INT:
			if (parse_long(value, &v) < 0 || v < k->min || v > k->max) {
				snprintf(lc->why, sizeof(lc->why),
					 "%s: '%s' is not a whole number from %ld to %ld", name,
					 value, k->min, k->max);
				return 0;
			}
			if (k->type == KEY_INT)
				*(int *)(base + k->offset) = (int)v;
			else
				*(long *)(base + k->offset) = v;
			return 1;
		case KEY_LAN:
			return parse_lan(lc, value);
		case KEY_BLOCK:
			return block_key(lc, name, value);
		case KEY_ALERTS:
			return alerts_key(lc, k, value);
		case KEY_DB:
			return db_key(lc, k, value);
		case KEY_FLEET:
			return fleet_key(lc, k, value);
		}
	}
	snprintf(lc->why, sizeof(lc->why), "unknown key '%s' in [%s]", name, section);
	return 0;
}

/*
 * inih keeps parsing after an error and reports the first error's line: keep the first
 * reason too, so the message names the line it belongs to.
 */
static int handler(void *user, const char *section, const char *name, const char *value)
{
	struct load_ctx *lc = user;
	char saved[sizeof(lc->why)];
	int r;

	memcpy(saved, lc->why, sizeof(saved));
	r = handle_key(user, section, name, value);
	if (saved[0])
		memcpy(lc->why, saved, sizeof(saved));
	else if (lc->why[0])
		lc->why_read = lc->reads;
	return r;
}

/*
 * inih reports the first bad line, which may be a syntax error that never reaches the
 * handler: count the lines read so a reason is only given for the line it belongs to.
 */
static char *read_line(char *str, int num, void *stream)
{
	struct load_ctx *lc = stream;
	char *r = fgets(str, num, lc->f);
	size_t n;
	int ch;

	if (!r)
		return NULL;
	lc->reads++;
	n = strlen(str);
	if (n + 1 < (size_t)num || str[n - 1] == '\n')
		return r;
	ch = fgetc(lc->f);
	if (ch == '\n' || ch == EOF)
		return r; /* the line just filled the buffer */
	/*
	 * Longer than inih's buffer: it would take the rest for another line, and a value cut
	 * short for the whole one.  Skip the rest and hand inih a line it calls an error.
	 */
	while (ch != '\n' && ch != EOF)
		ch = fgetc(lc->f);
	if (!lc->long_line) {
		lc->long_line = lc->reads;
		lc->line_max = num - 2;
	}
	snprintf(str, (size_t)num, "\x01\n");
	return r;
}

int lw_config_load(struct lw_config *c, const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	int r;

	if (!f) {
		r = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return r;
	}
	r = lw_config_load_file(c, f, path, err, errlen);
	fclose(f);
	return r;
}

int lw_config_load_file(struct lw_config *c, FILE *f, const char *path, char *err, size_t errlen)
{
	struct load_ctx lc = {c, path, err, errlen, "", f, 0, 0, 0, 0};
	int r;

	r = ini_parse_stream(read_line, &lc, handler, &lc);
	if (r == 0) {
		if (c->names_ttl_max < c->names_ttl_min) {
			snprintf(err, errlen, "%s: [names] ttl_max is below ttl_min", path);
			return -EINVAL;
		}
		if (!c->mqtt_cert_file[0] != !c->mqtt_key_file[0]) {
			snprintf(err, errlen,
				 "%s: [alerts] mqtt_cert_file and mqtt_key_file go together", path);
			return -EINVAL;
		}
		if (!c->fleet_nkey[0] != !c->fleet_nkey_seed_file[0]) {
			snprintf(err, errlen, "%s: [fleet] nkey and nkey_seed_file go together",
				 path);
			return -EINVAL;
		}
		if (c->fleet_enabled && !c->fleet_ap_id[0]) {
			snprintf(err, errlen,
				 "%s: [fleet] enabled = yes needs ap_id (this access point's name "
				 "in the fleet)",
				 path);
			return -EINVAL;
		}
		return 0;
	}
	if (r < 0) {
		snprintf(err, errlen, "%s: cannot read the file", path);
		return -EIO;
	}
	if (lc.long_line == r)
		snprintf(err, errlen, "%s:%d: line longer than %d characters", path, r,
			 lc.line_max);
	else
		snprintf(err, errlen, "%s:%d: %s", path, r,
			 lc.why[0] && lc.why_read == r ? lc.why : "syntax error");
	return -EINVAL;
}

void lw_config_store(const struct lw_config *c, const struct lw_storage *st,
		     struct lw_store_config *sc)
{
	static const struct lw_store_retention defaults = LW_STORE_RETENTION_DEFAULTS;
	static const bool raw[LW_TABLE_N] = {
		[LW_TABLE_FLOWS] = true, [LW_TABLE_DNS] = true,	   [LW_TABLE_LEAKS] = true,
		[LW_TABLE_STATS] = true, [LW_TABLE_BLOCKS] = true, [LW_TABLE_STATIONS] = true,
	};
	unsigned days[LW_TABLE_N] = {
		defaults.flows,	       defaults.dns,	defaults.leaks,	   defaults.devices,
		defaults.stats,	       defaults.blocks, defaults.sessions, defaults.stations,
		defaults.device_names, defaults.daily,
	};
	size_t i;

	memset(sc, 0, sizeof(*sc));
	sc->queue_max = (size_t)c->queue_max;
	sc->cache_kb = (size_t)c->cache_kb;
	for (i = 0; i < LW_TABLE_N; i++) {
		if (c->retain_days[i] >= 0)
			days[i] = (unsigned)c->retain_days[i];
		else if (raw[i] && c->retention_days >= 0)
			days[i] = (unsigned)c->retention_days;
	}
	sc->retain_days = (struct lw_store_retention){
		.flows = days[LW_TABLE_FLOWS],
		.dns = days[LW_TABLE_DNS],
		.leaks = days[LW_TABLE_LEAKS],
		.devices = days[LW_TABLE_DEVICES],
		.stats = days[LW_TABLE_STATS],
		.blocks = days[LW_TABLE_BLOCKS],
		.sessions = days[LW_TABLE_SESSIONS],
		.stations = days[LW_TABLE_STATIONS],
		.device_names = days[LW_TABLE_DEVICE_NAMES],
		.daily = days[LW_TABLE_DAILY],
	};
	sc->max_db_bytes = (uint64_t)c->max_db_mb << 20;
	sc->evidence_max_rows = (uint32_t)c->evidence_max_rows;
	sc->evidence_max_bytes = (uint64_t)c->evidence_max_kb << 10;
	if (strcmp(c->journal_mode, "wal") == 0)
		sc->journal = LW_STORE_JOURNAL_WAL;
	else if (strcmp(c->journal_mode, "truncate") == 0)
		sc->journal = LW_STORE_JOURNAL_TRUNCATE;
	else
		sc->journal = st ? st->journal : LW_STORE_JOURNAL_WAL;
	if (c->commit_interval_ms >= 0)
		sc->commit_interval = (lw_time_us)c->commit_interval_ms * 1000;
	else if (st && st->commit_interval)
		sc->commit_interval = st->commit_interval;
	else
		sc->commit_interval = 500 * 1000;
}

void lw_config_release(struct lw_config *c)
{
	free(c->devices);
	c->devices = NULL;
	c->n_devices = 0;
	free(c->block_domains);
	c->block_domains = NULL;
}
