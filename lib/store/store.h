/* SPDX-License-Identifier: MIT */
/*
 * store: the SQLite writer.  One thread owns the connection (WAL mode, or a rollback journal
 * where WAL cannot work: lw_store_config.journal); other threads hand it
 * fixed-size records through a bounded queue and never block on the disk.  Records are written
 * in batched transactions at least once per second (commit_interval).  If the queue is full the
 * record is dropped and counted (lw_store_stats().dropped), never silently lost.  If a write
 * fails (disk full, database locked by a reader) the batch is kept and retried; records keep
 * queueing (up to the bound) meanwhile.
 *
 * The writer also keeps the database within each table's retention and the size cap
 * (prune.c), deleting in short transactions between its batches.
 *
 * The schema is leakwatch's public interface (README "Database"); it is versioned with
 * PRAGMA user_version and migrated forward on open.  A database from a newer leakwatch is
 * refused (-EPROTO), never modified.
 */
#ifndef LW_STORE_H
#define LW_STORE_H

#include "core/types.h"

#define LW_STORE_SCHEMA_VERSION 7

/*
 * Days of rows kept per table, 0 = keep forever.  Age is measured on the data's clock, the
 * newest record time the store has written (bounded by the wall clock + 1 day), not the wall
 * clock: replaying a 2019 capture does not delete its rows for being old.  Rows are deleted
 * hourly and once at open, in chunks between the writer's batches.  Which time each table is
 * aged by: flows last_seen, dns/leaks/stats/blocks/stations ts, sessions end (start while
 * associated), devices and device_names last_seen, daily_leaks and daily_traffic day.
 */
struct lw_store_retention {
	unsigned flows, dns, leaks, devices, stats, blocks, sessions, stations, device_names, daily;
};

/*
 * The defaults, in the order of struct lw_store_retention:
 *  - flows, dns 30 days: the raw traffic, most of the file (~150-170 B a row, thousands a
 *    day per device); a month answers "what did it do lately", daily_traffic keeps the rest;
 *  - leaks 365: what leakwatch is for, rare rows; a year shows a pattern (the same IMEI
 *    sent every night) and the size cap still bounds a device that floods;
 *  - devices 365: one row a device; a device not seen for a year is gone;
 *  - stats 30: one row a stats_interval, only for diagnosing the daemon;
 *  - blocks 90, sessions 90: few rows, the history of what was blocked and who was on;
 *  - stations 7: one row per station and poll, only useful for a recent Wi-Fi problem;
 *  - device_names 365: one row per (device, protocol, name), like devices;
 *  - daily 0 (forever): a row per device, domain and day (and leak kind for daily_leaks), a
 *    few MB a year for a household; the size cap deletes daily_traffic after the raw
 *    traffic and daily_leaks last of all.
 */
#define LW_STORE_RETENTION_DEFAULTS                                                              \
	{                                                                                        \
		.flows = 30, .dns = 30, .leaks = 365, .devices = 365, .stats = 30, .blocks = 90, \
		.sessions = 90, .stations = 7, .device_names = 365, .daily = 0                   \
	}

/*
 * Default size cap in MiB: about a month of a household's raw traffic (~10-14 MB a day) and
 * years of the daily aggregates; fits an SD card or a USB stick.  A router's own flash
 * (overlay, tens of MB) needs it set lower.
 */
#define LW_STORE_MAX_DB_MB_DEFAULT 256

enum lw_store_journal {
	/* readers never block the writer; needs a shared writable mmap (the -shm file) */
	LW_STORE_JOURNAL_WAL = 0,
	/*
	 * rollback journal, truncated after each commit: no shared memory, for jffs2 where
	 * WAL's -shm mmap does not work.  A reader delays a commit until its read ends.
	 */
	LW_STORE_JOURNAL_TRUNCATE,
};

struct lw_store_config {
	size_t queue_max; /* pending records; default 65536 */
	lw_time_us commit_interval; /* default 500 ms */
	struct lw_store_retention retain_days; /* all 0 = keep everything */
	/*
	 * 0 = no cap.  Else the database file and its WAL are kept under this at every moment
	 * another process can look: each transaction holds about 1/32 of it of WAL (a batch is
	 * split), the WAL is truncated every 1/32, and within 4/32 of the cap the oldest rows are
	 * deleted (raw traffic first, then daily_traffic, leaks of the device with the most,
	 * daily_leaks) down to 6/32 below it, the file shrunk as they go (incremental vacuum,
	 * WAL truncated).  Only a reader holding the WAL for long (checkpoint_busy) lets it grow.
	 */
	uint64_t max_db_bytes;
	enum lw_store_journal journal;
	/*
	 * A full queue makes the producer wait for the writer instead of dropping the record:
	 * for reading a capture file, where waiting loses nothing and dropping loses rows.  While
	 * writes keep failing for LW_STORE_FLUSH_FAIL_SEC it drops (and counts) as usual.
	 */
	bool block_when_full;
	/*
	 * Retention runs one pass when the database opens and no more: for reading a capture,
	 * whose own rows are then never deleted for their age while it is read, whatever span of
	 * time it covers (otherwise whether the first years of a capture spanning several survive
	 * would depend on when a pass fell between batches).  The size cap still holds.
	 */
	bool retention_once;
	/*
	 * [fleet] enabled: retention deletes only the rows of the published tables that
	 * leakwatch-push has had acknowledged (row id <= meta fleet_sent_<table>), so an access
	 * point away from its servers for longer than the retention days loses nothing it has
	 * not sent.  The size cap still deletes the oldest rows, sent or not: the disk comes first.
	 */
	bool keep_unsent;
	/*
	 * evidence rows kept (0 = LW_STORE_EVIDENCE_ROWS) and their pcap bytes in all (0 =
	 * LW_STORE_EVIDENCE_BYTES; at most 1/8 of max_db_bytes); beyond either the oldest go
	 */
	uint32_t evidence_max_rows;
	uint64_t evidence_max_bytes;
	/* SQLite's page cache of the writer's connection, KiB; 0 = SQLite's default (2000) */
	size_t cache_kb;
};

#define LW_STORE_EVIDENCE_ROWS 256
#define LW_STORE_EVIDENCE_BYTES (4u << 20)
/* The largest pcap one evidence row holds (it travels the writer queue in one piece). */
#define LW_STORE_EVIDENCE_PCAP_MAX (32u << 10)

/* Longest meta key and value lw_store_put_meta accepts (bytes, without the NUL). */
#define LW_STORE_META_MAX 4096

/* Times in records are Unix seconds with sub-second part. Strings are NUL-terminated. */
struct lw_flow_rec {
	uint64_t id;
	char mac[LW_MAC_STRLEN]; /* "" = unknown (no link layer) -> NULL */
	char proto[4]; /* "tcp" / "udp" */
	char src_ip[LW_ADDR_STRLEN]; /* client side */
	uint16_t src_port;
	char dst_ip[LW_ADDR_STRLEN];
	uint16_t dst_port;
	double first_seen, last_seen;
	char domain[256]; /* "" -> NULL */
	char name_source[8]; /* "" -> NULL */
	char app[8]; /* "" -> NULL */
	bool encrypted;
	uint64_t pkts_out, bytes_out, pkts_in, bytes_in;
	bool ended;
};

struct lw_dns_rec {
	double ts;
	char mac[LW_MAC_STRLEN]; /* the client's MAC, "" -> NULL */
	char client_ip[LW_ADDR_STRLEN];
	char server_ip[LW_ADDR_STRLEN];
	char qname[256];
	uint16_t qtype;
	int rcode; /* -1 for a query without answer seen -> NULL */
	char answers[1024]; /* space-separated addresses / CNAME targets, "" -> NULL */
	int64_t ttl; /* minimum answer TTL, -1 if none -> NULL */
};

struct lw_device_rec {
	char mac[LW_MAC_STRLEN];
	double ts; /* seen at; first_seen/last_seen are min/max of these */
	char hostname[256]; /* "" = keep what is stored */
	char dhcp_vendor[256]; /* "" = keep */
	char ip[LW_ADDR_STRLEN]; /* last IP seen, "" = keep */
	bool randomized;
	char vendor[128]; /* from the IEEE OUI registry, "" = keep */
	char label[64]; /* the owner's name for it, "" = keep */
	char port[16]; /* the bridge port it is on (FDB; IF_NAMESIZE), "" = keep (schema v3) */
	/*
	 * Only update the device's row if there is one, never add it: for a fact that does
	 * not make a MAC a device, such as the bridge FDB naming the port of any MAC it learned.
	 */
	bool known_only;
};

struct lw_leak_rec {
	double ts;
	char mac[LW_MAC_STRLEN];
	uint64_t flow_id; /* 0 -> NULL */
	char domain[256];
	char dst_ip[LW_ADDR_STRLEN];
	uint16_t dst_port;
	char proto[4];
	char kind[16];
	char value[256];
	char encoding[128];
	char location[128];
	char confidence[12];
	char snippet[256];
};

struct lw_stats_rec {
	double ts;
	uint64_t packets, bytes, dropped, if_dropped;
	uint64_t flows_active, flows_evicted, leaks;
	uint64_t malformed, store_dropped;
	/* limits reached and malformed messages, each counted (schema v2) */
	uint64_t names_evicted, dns_malformed, http_malformed, tls_malformed;
	uint64_t reasm_overflow, reasm_gaps, frag_dropped, quic_too_big;
	uint64_t detect_budget_hit, http_body_cut;
	/* what hostile clients sent that was refused (schema v4) */
	uint64_t dns_unmatched, dns_pending_evicted, dhcp_chaddr_mismatch, devices_refused;
	uint64_t block_guarded;
	uint64_t body_undecoded;
	uint64_t names_refused;
	uint64_t learned_evicted;
	uint64_t known_full;
	uint64_t store_dropped_share;
	/* device_names refused by the per-device or total limit (schema v5) */
	uint64_t device_names_refused;
	/*
	 * UDP flows to port 53 counted instead of stored (schema v6): the dns row is the record
	 * of a lookup.  The store fills the other v6 columns itself: db_bytes, pruned_rows,
	 * cap_pruned, vacuum_pages (see struct lw_store_stats).
	 */
	uint64_t dns_flows;
	/* the buffer budget (schema v7): buffers not grown, of those for a device's fair part,
	 * and the most all flows' buffers held at once in KiB */
	uint64_t buffer_refused, buffer_refused_share, buffer_peak_kb;
	long rss_kb;
};

/*
 * A row of evidence (schema v7): the frames of the flow that carried the first leak of a
 * (mac, dest, kind), as a pcap file of pcap_len bytes (at most LW_STORE_EVIDENCE_PCAP_MAX).
 * A second row for the same key is ignored.
 */
struct lw_evidence_rec {
	double ts; /* the newest frame's */
	char mac[LW_MAC_STRLEN];
	char dest[256]; /* the leak's domain, else its server's address */
	char kind[16];
	double leak_ts;
	uint64_t flow_id; /* 0 -> NULL */
	char dst_ip[LW_ADDR_STRLEN];
	uint16_t dst_port;
	char proto[4];
	uint32_t packets;
	int32_t linktype; /* pcap's DLT_* */
	const uint8_t *pcap; /* copied when queued */
	size_t pcap_len;
};

/* A row of blocks: an address put into (action "add") or taken out of ("remove") a set. */
struct lw_block_rec {
	double ts;
	char mac[LW_MAC_STRLEN]; /* per-device block; "" = every device -> NULL */
	char domain[256]; /* the flagged name that caused it, "" -> NULL */
	char ip[LW_ADDR_STRLEN];
	double until; /* when the set element times out; 0 -> NULL */
	char reason[64]; /* e.g. "dns", "sni", "resolve", "unflag"; "" -> NULL */
	char action[8]; /* "add" / "remove" */
};

/*
 * A row of sessions (an association reported by hostapd).  Written once with end = 0 when the
 * station connects and again with the same (mac, ifname, start) and end set when it leaves:
 * the second write updates the first row.
 */
struct lw_session_rec {
	char mac[LW_MAC_STRLEN];
	char ifname[32];
	double start;
	double end; /* 0 = still associated -> NULL (an existing end is kept) */
};

/* A row of identifiers; an existing (mac, kind, value) is left as it is. */
struct lw_identifier_rec {
	char mac[LW_MAC_STRLEN]; /* "" -> NULL */
	char kind[16];
	char value[256];
	char source[16]; /* "config", "user", "learned" */
	int64_t first_seen;
};

/*
 * A row of stations (schema v4): one Wi-Fi station of one interface as nl80211 reported it at
 * ts.  What the kernel did not report is NULL: has_signal / has_signal_avg false, the other
 * numbers -1.
 */
struct lw_station_rec {
	double ts;
	char mac[LW_MAC_STRLEN];
	char ifname[16]; /* IF_NAMESIZE; "" -> NULL */
	bool has_signal, has_signal_avg;
	int signal, signal_avg; /* dBm */
	int64_t tx_bitrate, rx_bitrate; /* kbit/s */
	int64_t inactive_ms; /* since the last frame from the station */
	int64_t connected_s;
	int64_t rx_bytes, tx_bytes; /* from / to the station, since it associated */
	int64_t tx_retries, tx_failed;
};

/*
 * A name a device announced for itself (schema v5 device_names): an upsert on (mac, proto,
 * name) that adds count to the row's count and widens first_seen/last_seen to ts.  hostname,
 * when not "", is also written to devices.hostname of that MAC if the device row exists and
 * has no host name yet.
 */
struct lw_device_name_rec {
	double ts;
	char mac[LW_MAC_STRLEN];
	char proto[8]; /* "mdns", "llmnr", "nbns", "update" */
	char name[256];
	uint64_t count; /* sightings this record stands for (>= 1) */
	char hostname[256]; /* "" = leave devices.hostname alone */
};

struct lw_store_stats {
	uint64_t queued;
	uint64_t written;
	uint64_t dropped; /* queue full (or the store already stopped) */
	/*
	 * of those, refused because the record's device had its share queued: half the queue at
	 * most, and above half full queue_max / n, n the devices with records queued (so one
	 * device flooding cannot take the room another needs)
	 */
	uint64_t dropped_share;
	uint64_t write_errors; /* failed transactions (retried) */
	uint64_t pending; /* now in the queue */
	uint64_t rejected; /* records SQLite refused for good (e.g. too big); skipped */
	uint64_t lost; /* queued but never written: the disk stayed full at close */
	/* why the last transaction failed: -ENOSPC disk full, -EBUSY locked by another writer,
	 * -EROFS, -EIO, ...; 0 once one succeeds (for the daemon to say so when it changes) */
	int last_error;
	/* schema v6: what the store did to stay within retention and max_db_bytes */
	uint64_t db_bytes; /* database + WAL file, at the last measure */
	uint64_t pruned_rows; /* rows deleted by retention and the cap, since open */
	uint64_t cap_pruned; /* of those, deleted for the size cap */
	uint64_t vacuum_pages; /* pages given back to the filesystem by incremental vacuum */
	uint64_t cap_unmet; /* times the cap could not be met: nothing left it may delete */
	/*
	 * checkpoints that could not empty the WAL because a reader (the sqlite3 CLI mid-query,
	 * a backup) was still in it: the WAL grows meanwhile; tried again at the next commit
	 */
	uint64_t checkpoint_busy;
	double data_time; /* the data's clock (Unix s): newest record time written, 0 = none */
	/*
	 * The open converted the database to incremental auto-vacuum (a VACUUM, once, from a
	 * database made before schema v6): how long it took in ms, -1 if it failed (no space),
	 * 0 = not needed.
	 */
	long open_vacuum_ms;
	enum lw_store_journal journal; /* the journal mode in use */
};

struct lw_store;

/*
 * Opens (creating if needed, mode 0600: the rows are personal data) the database, applies
 * migrations, starts the writer thread.  cfg may be NULL: as a zeroed one (default queue and
 * interval, no retention, no cap, WAL).  Returns 0 and *out, or
 * -errno: -EPROTO newer schema, -ENOTSUP not a leakwatch/SQLite database (including an SQLite
 * database with someone else's tables: it is never mixed into), -EALREADY another store
 * (another leakwatchd) has it open: one writer per database, told by an exclusive flock on the
 * file held while the store is open, -EBUSY locked by another SQLite writer, other -errno from
 * the filesystem.  errbuf (may be NULL) receives a one-line reason.
 */
int lw_store_open(const char *path, const struct lw_store_config *cfg, struct lw_store **out,
		  char *errbuf, size_t errlen);

/*
 * Stops the writer after writing everything queued, checkpoints the WAL and closes the
 * database; the store stays readable with lw_store_get_stats() (later puts fail with
 * -ESHUTDOWN) until lw_store_close().  If writes keep failing (disk full, a lock held) for
 * LW_STORE_CLOSE_TIMEOUT_SEC after the call, it gives up: the records not written are counted
 * in stats.lost and -EIO is returned.  0 when everything was written.  Idempotent.
 */
#define LW_STORE_CLOSE_TIMEOUT_SEC 5
int lw_store_stop(struct lw_store *s);

/* lw_store_stop() if not yet done, then frees; NULL-safe. */
void lw_store_close(struct lw_store *s);

/*
 * Largest flows.id in the database when it was opened, or the largest id queued since if
 * that is larger (so new ids continue after it).
 */
uint64_t lw_store_max_flow_id(struct lw_store *s);

/*
 * Queue a record (copied); never waits for the disk (unless block_when_full).  0, or -ENOBUFS
 * when the queue is full
 * and -ESHUTDOWN after lw_store_stop() (both counted as dropped), -EINVAL for a device or
 * session without a MAC.
 */
int lw_store_put_flow(struct lw_store *s, const struct lw_flow_rec *r);
int lw_store_put_dns(struct lw_store *s, const struct lw_dns_rec *r);
int lw_store_put_device(struct lw_store *s, const struct lw_device_rec *r);
int lw_store_put_leak(struct lw_store *s, const struct lw_leak_rec *r);
int lw_store_put_stats(struct lw_store *s, const struct lw_stats_rec *r);
int lw_store_put_block(struct lw_store *s, const struct lw_block_rec *r);
int lw_store_put_session(struct lw_store *s, const struct lw_session_rec *r);
int lw_store_put_identifier(struct lw_store *s, const struct lw_identifier_rec *r);
int lw_store_put_station(struct lw_store *s, const struct lw_station_rec *r);
/* -EINVAL without a MAC, dest or kind, or with pcap_len 0 or above the maximum */
int lw_store_put_evidence(struct lw_store *s, const struct lw_evidence_rec *r);
/* -EINVAL without a MAC, proto or name */
int lw_store_put_device_name(struct lw_store *s, const struct lw_device_name_rec *r);
/*
 * meta(key, value): upsert.  value NULL -> NULL.  -EINVAL for a NULL or empty key, -E2BIG
 * when the key or value is longer than LW_STORE_META_MAX.
 */
int lw_store_put_meta(struct lw_store *s, const char *key, const char *value);

/*
 * Blocks until everything queued before the call is committed.  0, or -EIO when the writer
 * keeps failing (disk full, database locked) for LW_STORE_FLUSH_FAIL_SEC of this call, or has
 * stopped with records unwritten.  After -EIO the records stay queued and are still retried.
 */
#define LW_STORE_FLUSH_FAIL_SEC 3
int lw_store_flush(struct lw_store *s);

void lw_store_get_stats(struct lw_store *s, struct lw_store_stats *out);

#endif
