/* SPDX-License-Identifier: MIT */
/* The configuration file (INI, read with inih) and its defaults. */
#ifndef LW_DAEMON_CONFIG_H
#define LW_DAEMON_CONFIG_H

#include <limits.h>
#include <net/if.h>
#include <stdio.h>

#include "core/types.h"
#include "flow/flow.h"

#define LW_CONFIG_MAX_LAN 16
#define LW_CONFIG_MAX_DEVICES 1024
#define LW_CONFIG_MAX_DEVICE_IDS 32

/* [database] <table>_days keys, in the order of struct lw_store_retention's fields */
enum lw_config_table {
	LW_TABLE_FLOWS,
	LW_TABLE_DNS,
	LW_TABLE_LEAKS,
	LW_TABLE_DEVICES,
	LW_TABLE_STATS,
	LW_TABLE_BLOCKS,
	LW_TABLE_SESSIONS,
	LW_TABLE_STATIONS,
	LW_TABLE_DEVICE_NAMES,
	LW_TABLE_DAILY,
	LW_TABLE_N
};

struct lw_config_id {
	char kind[16]; /* imei, iccid, imsi, phone, email, serial, android_id, ad_id */
	char value[256];
};

struct lw_config_device {
	struct lw_mac mac;
	char label[64];
	size_t n_ids;
	struct lw_config_id ids[LW_CONFIG_MAX_DEVICE_IDS];
};

struct lw_config {
	/* [capture] */
	char interface[IF_NAMESIZE];
	int snaplen;
	int buffer_kb;
	bool promisc;
	/* [database] */
	char db_path[PATH_MAX];
	long queue_max;
	long cache_kb; /* SQLite's page cache, KiB; 0 = SQLite's default */
	long commit_interval_ms; /* -1 = auto: what the storage under the database advises */
	long max_db_mb; /* 0 = no cap */
	/*
	 * Days each table keeps its rows, in the order of enum lw_config_table; -1 = not set
	 * (retention_days, then the store's default).  0 = forever.
	 */
	long retain_days[LW_TABLE_N];
	long retention_days; /* -1 = not set; else every raw table without its own key */
	char journal_mode[12]; /* "auto", "wal" or "truncate" */
	bool dns_flow_rows; /* dns_flows = rows: a DNS flow is also a flows row */
	long flow_write_interval; /* seconds between writes of a long-lived flow */
	long stats_interval; /* seconds between stats rows */
	/* [flows] */
	long max_flows;
	long tcp_idle;
	long udp_idle;
	long reasm_flow_kb;
	long reasm_total_kb;
	size_t n_lan;
	struct lw_prefix lan[LW_CONFIG_MAX_LAN];
	/* [decode] */
	long frag_max_datagrams;
	long frag_max_kb;
	long frag_timeout;
	/* [block] */
	bool block_enabled;
	char block_family[8]; /* "auto", "bridge" or "inet" */
	char block_queue_path[8]; /* "auto", "nft" or "xtables" */
	char block_table[32];
	char *block_domains; /* every "domains =" line, comma-joined; malloc'd, NULL = none */
	long block_ttl_min;
	long block_hold_stall_ms; /* held packets pass after this long without the daemon */
	long block_ttl_max;
	bool block_dns_hold;
	bool block_hello_hold;
	long block_queue_num;
	bool block_keep_table;
	char block_auto_kinds[256]; /* leak kinds, comma-separated */
	bool block_auto_all; /* auto_scope = all: an auto flag covers every device */
	long block_auto_expire; /* s an auto flag lasts; 0 = never */
	long block_auto_per_hour; /* auto flags one device may cause in an hour */
	/* [names] */
	long names_max;
	long names_ttl_min;
	long names_ttl_max;
	/* [inspect] */
	long head_max; /* bytes of a stream's start kept to find its protocol */
	long http_body_max; /* bytes of a request body kept for inspection */
	long buffer_total_kb; /* heads and bodies kept, all flows together; 0 = no bound */
	/* [detect] */
	long detect_decode_kb; /* decoder output per scan */
	long detect_depth; /* decoding layers */
	long detect_known_max; /* enrolled + learned values, all devices */
	bool detect_learn; /* a validated hit becomes known for its device */
	char detect_region[3]; /* ISO 3166 alpha-2 for national phone numbers; "" = none */
	/* [daemon] */
	char user[64]; /* switch to this user after opening the capture; "" = stay */
	long mmap_threshold_kb; /* malloc: blocks from this size up mmap'd; 0 = glibc's own */
	/* [ap] */
	bool ap_enabled; /* hostapd's control interface */
	char hostapd_ctrl_dir[96];
	char oui_file[PATH_MAX]; /* "" = Debian's ieee-data */
	bool netlink;
	long station_interval; /* seconds between nl80211 station polls; 0 = none */
	/* [evidence] (schema v7: the frames of each first leak of a (device, domain, kind)) */
	bool evidence; /* keep them */
	long evidence_buffer_kb; /* the last frames read, kept to take evidence from */
	long evidence_max_rows;
	long evidence_max_kb; /* pcap bytes in the database, all rows */
	/* [alerts] (daemon/alerts.h) */
	bool alerts_log; /* a log line per new device and new (device, domain, kind) */
	long alerts_log_burst;
	long alerts_log_per_minute;
	long alerts_seen_max; /* (device, domain, kind) kept to tell new from seen */
	long alerts_queue_max; /* events waiting for each sink (hook, MQTT) */
	char alerts_exec[PATH_MAX]; /* "" = no hook */
	long alerts_exec_timeout; /* s */
	char mqtt_host[256]; /* "" = no MQTT */
	long mqtt_port; /* 0 = 1883, or 8883 with TLS */
	char mqtt_username[128];
	char mqtt_password[128];
	bool mqtt_tls;
	char mqtt_ca_file[PATH_MAX];
	char mqtt_cert_file[PATH_MAX];
	char mqtt_key_file[PATH_MAX];
	char mqtt_client_id[64]; /* "" = leakwatch-<host name> */
	char mqtt_topic_prefix[65];
	char mqtt_discovery_prefix[65];
	bool mqtt_discovery; /* Home Assistant discovery messages */
	/* [fleet] (README "Many APs"): this access point's rows to NATS JetStream */
	bool fleet_enabled;
	char fleet_servers[1024]; /* nats://host:port, comma-separated */
	char fleet_ap_id[65]; /* one subject token: [A-Za-z0-9_-]{1,64}; required when enabled */
	char fleet_stream[65];
	char fleet_subject_prefix[65];
	char fleet_creds_file[PATH_MAX];
	char fleet_nkey[64]; /* an nkey user's public key (U...), with nkey_seed_file */
	char fleet_nkey_seed_file[PATH_MAX];
	char fleet_ca_file[PATH_MAX]; /* TLS to the servers */
	long fleet_interval; /* s between publishing passes */
	long fleet_batch; /* messages per acknowledged batch */
	/* leakwatch-push --follow applies the central flags (the KV bucket) to flagged */
	bool fleet_flags;
	char fleet_flags_bucket[65];
	/* [device aa:bb:cc:dd:ee:ff] sections */
	size_t n_devices;
	struct lw_config_device *devices;
};

void lw_config_defaults(struct lw_config *c);
/*
 * Reads path into c (on top of what is there).  On error returns -EINVAL (or -errno for an
 * unreadable file) and writes "path:line: reason" into err.
 */
int lw_config_load(struct lw_config *c, const char *path, char *err, size_t errlen);
/* The same from an open stream (the config fuzzer reads from memory); path names it in err. */
int lw_config_load_file(struct lw_config *c, FILE *f, const char *path, char *err, size_t errlen);
void lw_config_release(struct lw_config *c);

struct lw_store_config;
struct lw_storage;
/*
 * The store's settings from [database]: keys set win, then the advice of the storage under
 * the database (st, may be NULL), then the store's defaults.  Per table, <table>_days wins
 * over retention_days, which covers the raw tables (flows, dns, leaks, stats, blocks,
 * stations).
 */
void lw_config_store(const struct lw_config *c, const struct lw_storage *st,
		     struct lw_store_config *sc);

#endif
