/* SPDX-License-Identifier: MIT */
/*
 * The database file and its schema.
 *
 * The schema is leakwatch's public interface: people and outside tools query these tables,
 * columns and views by name (DESIGN.md "SQLite schema"), so it only ever changes through a
 * migration step below.  PRAGMA user_version is the number of steps applied; PRAGMA
 * application_id marks the file as leakwatch's.  All steps an open needs run in one
 * transaction, so a database is never left half-migrated.
 *
 * What is refused, and never modified:
 *  - a file that is not SQLite (-ENOTSUP);
 *  - an SQLite database of another application: a foreign application_id, a user_version
 *    without our application_id, or tables with user_version 0 (-ENOTSUP);
 *  - a leakwatch database newer than this build (-EPROTO): an older leakwatch cannot know
 *    what a newer one's columns mean.
 * The checks only read; the first write (switching to WAL) happens after them.
 */
#include "schema.h"

#include "core/types.h"
#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* The WAL is truncated back to this many bytes (64 MiB) after a large transaction. */
#define LW_STORE_JOURNAL_SIZE_LIMIT "67108864"

/*
 * Step 0 -> 1: everything.  Column names are the public contract; do not edit a step once
 * released, add a new one.  flagged.added uses strftime rather than unixepoch(), which
 * SQLite only has from 3.38.  UNIQUE(domain, mac) does not dedupe rows whose mac is NULL
 * (SQLite treats NULLs as distinct), hence the expression indexes over ifnull(mac, '').
 */
static const char schema_v1[] =
	"CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT);\n"
	"CREATE TABLE devices(mac TEXT PRIMARY KEY, first_seen INTEGER, last_seen INTEGER,\n"
	"  vendor TEXT, hostname TEXT, dhcp_vendor TEXT, randomized INTEGER, label TEXT,\n"
	"  ip TEXT);\n"
	"CREATE TABLE sessions(id INTEGER PRIMARY KEY, mac TEXT, ifname TEXT, start REAL,\n"
	"  \"end\" REAL);\n"
	"CREATE UNIQUE INDEX sessions_key ON sessions(mac, ifname, start);\n"
	"CREATE TABLE identifiers(id INTEGER PRIMARY KEY, mac TEXT, kind TEXT, value TEXT,\n"
	"  source TEXT, first_seen INTEGER, UNIQUE(mac, kind, value));\n"
	"CREATE UNIQUE INDEX identifiers_key ON identifiers(ifnull(mac, ''), kind, value);\n"
	"CREATE TABLE flows(id INTEGER PRIMARY KEY, mac TEXT, proto TEXT, src_ip TEXT,\n"
	"  src_port INTEGER, dst_ip TEXT, dst_port INTEGER, first_seen REAL, last_seen REAL,\n"
	"  domain TEXT, name_source TEXT, app TEXT, encrypted INTEGER, pkts_out INTEGER,\n"
	"  bytes_out INTEGER, pkts_in INTEGER, bytes_in INTEGER, ended INTEGER);\n"
	"CREATE INDEX flows_mac ON flows(mac);\n"
	"CREATE INDEX flows_domain ON flows(domain);\n"
	"CREATE TABLE dns(id INTEGER PRIMARY KEY, ts REAL, mac TEXT, client_ip TEXT,\n"
	"  server_ip TEXT, qname TEXT, qtype INTEGER, rcode INTEGER, answers TEXT, ttl INTEGER);\n"
	"CREATE INDEX dns_mac_ts ON dns(mac, ts);\n"
	"CREATE INDEX dns_qname ON dns(qname);\n"
	"CREATE TABLE leaks(id INTEGER PRIMARY KEY, ts REAL, mac TEXT, flow_id INTEGER,\n"
	"  domain TEXT, dst_ip TEXT, dst_port INTEGER, proto TEXT, kind TEXT, value TEXT,\n"
	"  encoding TEXT, location TEXT, confidence TEXT, snippet TEXT);\n"
	"CREATE INDEX leaks_mac_ts ON leaks(mac, ts);\n"
	"CREATE INDEX leaks_domain ON leaks(domain);\n"
	"CREATE TABLE flagged(id INTEGER PRIMARY KEY, domain TEXT NOT NULL, mac TEXT,\n"
	"  reason TEXT, source TEXT,\n"
	"  added INTEGER DEFAULT (CAST(strftime('%s', 'now') AS INTEGER)),\n"
	"  expires INTEGER, UNIQUE(domain, mac));\n"
	"CREATE UNIQUE INDEX flagged_key ON flagged(domain, ifnull(mac, ''));\n"
	"CREATE TABLE blocks(id INTEGER PRIMARY KEY, ts REAL, mac TEXT, domain TEXT, ip TEXT,\n"
	"  until REAL, reason TEXT, action TEXT);\n"
	"CREATE TABLE stats(ts REAL, packets INTEGER, bytes INTEGER, dropped INTEGER,\n"
	"  if_dropped INTEGER, flows_active INTEGER, flows_evicted INTEGER, leaks INTEGER,\n"
	"  malformed INTEGER, store_dropped INTEGER, rss_kb INTEGER);\n"
	/* Views for people reading with the sqlite3 CLI; times in UTC. */
	"CREATE VIEW leak_summary AS SELECT mac, domain, kind, count(*) AS count,\n"
	"  min(ts) AS first_seen, max(ts) AS last_seen,\n"
	"  datetime(min(ts), 'unixepoch') AS first_time,\n"
	"  datetime(max(ts), 'unixepoch') AS last_time\n"
	"  FROM leaks GROUP BY mac, domain, kind;\n"
	"CREATE VIEW device_domains AS SELECT mac, domain, count(*) AS flows,\n"
	"  sum(bytes_out) AS bytes_out, sum(bytes_in) AS bytes_in,\n"
	"  min(first_seen) AS first_seen, max(last_seen) AS last_seen,\n"
	"  datetime(min(first_seen), 'unixepoch') AS first_time,\n"
	"  datetime(max(last_seen), 'unixepoch') AS last_time\n"
	"  FROM flows WHERE domain IS NOT NULL GROUP BY mac, domain;\n"
	"CREATE VIEW leaks_readable AS SELECT datetime(ts, 'unixepoch') AS time, id, ts, mac,\n"
	"  flow_id, domain, dst_ip, dst_port, proto, kind, value, encoding, location,\n"
	"  confidence, snippet FROM leaks;\n"
	"CREATE VIEW flows_readable AS SELECT datetime(first_seen, 'unixepoch') AS time,\n"
	"  datetime(last_seen, 'unixepoch') AS last_time, id, mac, proto, src_ip, src_port,\n"
	"  dst_ip, dst_port, first_seen, last_seen, domain, name_source, app, encrypted,\n"
	"  pkts_out, bytes_out, pkts_in, bytes_in, ended FROM flows;\n"
	"CREATE VIEW dns_readable AS SELECT datetime(ts, 'unixepoch') AS time, id, ts, mac,\n"
	"  client_ip, server_ip, qname, qtype, rcode, answers, ttl FROM dns;\n";

/* v2: a counter in stats for every limit a peer can reach and every malformed message kind */
static const char schema_v2[] = "ALTER TABLE stats ADD COLUMN names_evicted INTEGER;\n"
				"ALTER TABLE stats ADD COLUMN dns_malformed INTEGER;\n"
				"ALTER TABLE stats ADD COLUMN http_malformed INTEGER;\n"
				"ALTER TABLE stats ADD COLUMN tls_malformed INTEGER;\n"
				"ALTER TABLE stats ADD COLUMN reasm_overflow INTEGER;\n"
				"ALTER TABLE stats ADD COLUMN reasm_gaps INTEGER;\n"
				"ALTER TABLE stats ADD COLUMN frag_dropped INTEGER;\n"
				"ALTER TABLE stats ADD COLUMN quic_too_big INTEGER;\n"
				"ALTER TABLE stats ADD COLUMN detect_budget_hit INTEGER;\n"
				"ALTER TABLE stats ADD COLUMN http_body_cut INTEGER;\n";

/* v3: the bridge port each device is on (from the bridge FDB), NULL when unknown */
static const char schema_v3[] = "ALTER TABLE devices ADD COLUMN port TEXT;\n";

/*
 * v4: nl80211 station data, one row per Wi-Fi station and poll ([ap] station_interval).
 * signal and signal_avg in dBm, tx_bitrate and rx_bitrate in kbit/s, inactive_ms in ms,
 * connected_s in s, bytes and frame counters since the association; NULL = not reported.
 */
#define SCHEMA_V4_STATIONS                                                                       \
	"CREATE TABLE stations(id INTEGER PRIMARY KEY, ts REAL, mac TEXT, ifname TEXT,\n"        \
	"  signal INTEGER, signal_avg INTEGER, tx_bitrate INTEGER, rx_bitrate INTEGER,\n"        \
	"  inactive_ms INTEGER, connected_s INTEGER, rx_bytes INTEGER, tx_bytes INTEGER,\n"      \
	"  tx_retries INTEGER, tx_failed INTEGER);\n"                                            \
	"CREATE INDEX stations_mac_ts ON stations(mac, ts);\n"                                   \
	"CREATE VIEW stations_readable AS SELECT datetime(ts, 'unixepoch') AS time, id, ts,\n"   \
	"  mac, ifname, signal, signal_avg, tx_bitrate, rx_bitrate, inactive_ms, connected_s,\n" \
	"  rx_bytes, tx_bytes, tx_retries, tx_failed FROM stations;\n"

/*
 * v4: and counters of what hostile clients sent and leakwatch refused — DNS answers
 * that answered no query, queries pushed out of the pending table, DHCP requests about another
 * MAC, new MACs beyond the device bound, addresses kept out of the block sets.
 */
#define SCHEMA_V4_HOSTILE                                              \
	"ALTER TABLE stats ADD COLUMN dns_unmatched INTEGER;\n"        \
	"ALTER TABLE stats ADD COLUMN dns_pending_evicted INTEGER;\n"  \
	"ALTER TABLE stats ADD COLUMN dhcp_chaddr_mismatch INTEGER;\n" \
	"ALTER TABLE stats ADD COLUMN devices_refused INTEGER;\n"      \
	"ALTER TABLE stats ADD COLUMN block_guarded INTEGER;\n"

/* v4 is the concatenation of such blocks, each self-contained */
static const char schema_v4[] = SCHEMA_V4_STATIONS SCHEMA_V4_HOSTILE;

/*
 * v5: what devices really send.  Counters of the leak engine's bodies (what could not be
 * decoded) ...
 */
#define SCHEMA_V5_DETECT "ALTER TABLE stats ADD COLUMN body_undecoded INTEGER;\n"

/*
 * v5: ... and the names each device announced for itself on the LAN (mDNS, LLMNR, NetBIOS
 * name service): one row per device, protocol and name; stats.device_names_refused counts the
 * names refused by the per-device and total limits.
 */
#define SCHEMA_V5_NAMES                                                                           \
	"CREATE TABLE device_names(mac TEXT NOT NULL, proto TEXT NOT NULL, name TEXT NOT NULL,\n" \
	"  first_seen REAL, last_seen REAL, count INTEGER, PRIMARY KEY(mac, proto, name));\n"     \
	"CREATE VIEW device_names_readable AS SELECT mac, proto, name, count,\n"                  \
	"  datetime(first_seen, 'unixepoch') AS first_time,\n"                                    \
	"  datetime(last_seen, 'unixepoch') AS last_time, first_seen, last_seen\n"                \
	"  FROM device_names;\n"                                                                  \
	"ALTER TABLE stats ADD COLUMN device_names_refused INTEGER;\n"

/*
 * v5: and what a device was refused beyond its fair share: passive-DNS names, learned
 * identifiers pushed out for newer ones, identifiers not learned (the table full of enrolled
 * ones), rows refused a place in the writer queue (of store_dropped)
 */
#define SCHEMA_V5_HOSTILE                                         \
	"ALTER TABLE stats ADD COLUMN names_refused INTEGER;\n"   \
	"ALTER TABLE stats ADD COLUMN learned_evicted INTEGER;\n" \
	"ALTER TABLE stats ADD COLUMN known_full INTEGER;\n"      \
	"ALTER TABLE stats ADD COLUMN store_dropped_share INTEGER;\n"

static const char schema_v5[] = SCHEMA_V5_DETECT SCHEMA_V5_NAMES SCHEMA_V5_HOSTILE;

/*
 * v6: counters of the data's life — UDP flows to port 53 counted rather than stored (the dns
 * row is the lookup's record), the file's size, rows deleted by retention and (of those) by
 * the size cap, pages given back by incremental vacuum, checkpoints a reader kept from
 * emptying the WAL.
 */
#define SCHEMA_V6_STATS                                        \
	"ALTER TABLE stats ADD COLUMN dns_flows INTEGER;\n"    \
	"ALTER TABLE stats ADD COLUMN db_bytes INTEGER;\n"     \
	"ALTER TABLE stats ADD COLUMN pruned_rows INTEGER;\n"  \
	"ALTER TABLE stats ADD COLUMN cap_pruned INTEGER;\n"   \
	"ALTER TABLE stats ADD COLUMN vacuum_pages INTEGER;\n" \
	"ALTER TABLE stats ADD COLUMN checkpoint_busy INTEGER;\n"

/*
 * v6: the time each table is aged by, indexed, so that retention and the size cap find the
 * oldest rows without reading the table.
 */
#define SCHEMA_V6_AGE                                         \
	"CREATE INDEX flows_last_seen ON flows(last_seen);\n" \
	"CREATE INDEX dns_ts ON dns(ts);\n"                   \
	"CREATE INDEX leaks_ts ON leaks(ts);\n"               \
	"CREATE INDEX stats_ts ON stats(ts);\n"               \
	"CREATE INDEX blocks_ts ON blocks(ts);\n"             \
	"CREATE INDEX stations_ts ON stations(ts);\n"         \
	"CREATE INDEX sessions_start ON sessions(start);\n"   \
	"CREATE INDEX devices_last_seen ON devices(last_seen);\n"

/*
 * v6: daily aggregates that outlive the raw rows (retention and the size cap delete those
 * first).  One row per UTC day, device and domain ('' = unknown device or domain), kept up
 * to date by triggers in the transaction that writes the raw row.  daily_traffic: flows by
 * the day of their first_seen (a flow's later writes replace what its earlier ones added,
 * so its totals are its row's), dns_queries by the day of the query; the domain is the
 * flow's name or the query's qname.  daily_leaks: leaks by the day of ts and kind and
 * confidence.  A row deleted from flows, dns or leaks leaves the aggregates as they are.
 * Filled from the raw rows a database has when it is migrated.
 */
#define SCHEMA_V6_DAILY                                                                            \
	"CREATE TABLE daily_traffic(day TEXT NOT NULL, mac TEXT NOT NULL, domain TEXT NOT NULL,\n" \
	"  flows INTEGER NOT NULL DEFAULT 0, dns_queries INTEGER NOT NULL DEFAULT 0,\n"            \
	"  bytes_out INTEGER NOT NULL DEFAULT 0, bytes_in INTEGER NOT NULL DEFAULT 0,\n"           \
	"  pkts_out INTEGER NOT NULL DEFAULT 0, pkts_in INTEGER NOT NULL DEFAULT 0,\n"             \
	"  first_seen REAL, last_seen REAL, PRIMARY KEY(day, mac, domain)) WITHOUT ROWID;\n"       \
	"CREATE TABLE daily_leaks(day TEXT NOT NULL, mac TEXT NOT NULL, domain TEXT NOT NULL,\n"   \
	"  kind TEXT NOT NULL, confidence TEXT NOT NULL, leaks INTEGER NOT NULL DEFAULT 0,\n"      \
	"  first_seen REAL, last_seen REAL,\n"                                                     \
	"  PRIMARY KEY(day, mac, domain, kind, confidence)) WITHOUT ROWID;\n"                      \
	"INSERT INTO daily_traffic(day, mac, domain, flows, bytes_out, bytes_in, pkts_out,\n"      \
	"  pkts_in, first_seen, last_seen)\n"                                                      \
	"  SELECT ifnull(date(first_seen, 'unixepoch'), ''), ifnull(mac, ''),\n"                   \
	"  ifnull(domain, ''), count(*), total(bytes_out), total(bytes_in), total(pkts_out),\n"    \
	"  total(pkts_in), min(first_seen), max(last_seen) FROM flows WHERE true\n"                \
	"  GROUP BY 1, 2, 3;\n"                                                                    \
	"INSERT INTO daily_traffic(day, mac, domain, dns_queries, first_seen, last_seen)\n"        \
	"  SELECT ifnull(date(ts, 'unixepoch'), ''), ifnull(mac, ''), ifnull(qname, ''),\n"        \
	"  count(*), min(ts), max(ts) FROM dns WHERE true GROUP BY 1, 2, 3\n"                      \
	"  ON CONFLICT DO UPDATE SET dns_queries = dns_queries + excluded.dns_queries,\n"          \
	"  first_seen = min(ifnull(first_seen, excluded.first_seen), excluded.first_seen),\n"      \
	"  last_seen = max(ifnull(last_seen, excluded.last_seen), excluded.last_seen);\n"          \
	"INSERT INTO daily_leaks SELECT ifnull(date(ts, 'unixepoch'), ''), ifnull(mac, ''),\n"     \
	"  ifnull(domain, ''), ifnull(kind, ''), ifnull(confidence, ''), count(*), min(ts),\n"     \
	"  max(ts) FROM leaks WHERE true GROUP BY 1, 2, 3, 4, 5;\n"                                \
	"CREATE TRIGGER daily_flow_insert AFTER INSERT ON flows BEGIN\n"                           \
	"  INSERT INTO daily_traffic(day, mac, domain, flows, bytes_out, bytes_in, pkts_out,\n"    \
	"    pkts_in, first_seen, last_seen) VALUES(\n"                                            \
	"    ifnull(date(new.first_seen, 'unixepoch'), ''), ifnull(new.mac, ''),\n"                \
	"    ifnull(new.domain, ''), 1, ifnull(new.bytes_out, 0), ifnull(new.bytes_in, 0),\n"      \
	"    ifnull(new.pkts_out, 0), ifnull(new.pkts_in, 0), new.first_seen, new.last_seen)\n"    \
	"  ON CONFLICT DO UPDATE SET flows = flows + 1,\n"                                         \
	"    bytes_out = bytes_out + excluded.bytes_out, bytes_in = bytes_in + "                   \
	"excluded.bytes_in,\n"                                                                     \
	"    pkts_out = pkts_out + excluded.pkts_out, pkts_in = pkts_in + excluded.pkts_in,\n"     \
	"    first_seen = min(ifnull(first_seen, excluded.first_seen), excluded.first_seen),\n"    \
	"    last_seen = max(ifnull(last_seen, excluded.last_seen), excluded.last_seen);\n"        \
	"END;\n"                                                                                   \
	"CREATE TRIGGER daily_flow_update AFTER UPDATE ON flows BEGIN\n"                           \
	"  UPDATE daily_traffic SET flows = flows - 1,\n"                                          \
	"    bytes_out = bytes_out - ifnull(old.bytes_out, 0),\n"                                  \
	"    bytes_in = bytes_in - ifnull(old.bytes_in, 0),\n"                                     \
	"    pkts_out = pkts_out - ifnull(old.pkts_out, 0),\n"                                     \
	"    pkts_in = pkts_in - ifnull(old.pkts_in, 0)\n"                                         \
	"    WHERE day = ifnull(date(old.first_seen, 'unixepoch'), '')\n"                          \
	"    AND mac = ifnull(old.mac, '') AND domain = ifnull(old.domain, '');\n"                 \
	"  INSERT INTO daily_traffic(day, mac, domain, flows, bytes_out, bytes_in, pkts_out,\n"    \
	"    pkts_in, first_seen, last_seen) VALUES(\n"                                            \
	"    ifnull(date(new.first_seen, 'unixepoch'), ''), ifnull(new.mac, ''),\n"                \
	"    ifnull(new.domain, ''), 1, ifnull(new.bytes_out, 0), ifnull(new.bytes_in, 0),\n"      \
	"    ifnull(new.pkts_out, 0), ifnull(new.pkts_in, 0), new.first_seen, new.last_seen)\n"    \
	"  ON CONFLICT DO UPDATE SET flows = flows + 1,\n"                                         \
	"    bytes_out = bytes_out + excluded.bytes_out, bytes_in = bytes_in + "                   \
	"excluded.bytes_in,\n"                                                                     \
	"    pkts_out = pkts_out + excluded.pkts_out, pkts_in = pkts_in + excluded.pkts_in,\n"     \
	"    first_seen = min(ifnull(first_seen, excluded.first_seen), excluded.first_seen),\n"    \
	"    last_seen = max(ifnull(last_seen, excluded.last_seen), excluded.last_seen);\n"        \
	"END;\n"                                                                                   \
	"CREATE TRIGGER daily_dns_insert AFTER INSERT ON dns BEGIN\n"                              \
	"  INSERT INTO daily_traffic(day, mac, domain, dns_queries, first_seen, last_seen)\n"      \
	"    VALUES(ifnull(date(new.ts, 'unixepoch'), ''), ifnull(new.mac, ''),\n"                 \
	"    ifnull(new.qname, ''), 1, new.ts, new.ts)\n"                                          \
	"  ON CONFLICT DO UPDATE SET dns_queries = dns_queries + 1,\n"                             \
	"    first_seen = min(ifnull(first_seen, excluded.first_seen), excluded.first_seen),\n"    \
	"    last_seen = max(ifnull(last_seen, excluded.last_seen), excluded.last_seen);\n"        \
	"END;\n"                                                                                   \
	"CREATE TRIGGER daily_leak_insert AFTER INSERT ON leaks BEGIN\n"                           \
	"  INSERT INTO daily_leaks VALUES(ifnull(date(new.ts, 'unixepoch'), ''),\n"                \
	"    ifnull(new.mac, ''), ifnull(new.domain, ''), ifnull(new.kind, ''),\n"                 \
	"    ifnull(new.confidence, ''), 1, new.ts, new.ts)\n"                                     \
	"  ON CONFLICT DO UPDATE SET leaks = leaks + 1,\n"                                         \
	"    first_seen = min(ifnull(first_seen, excluded.first_seen), excluded.first_seen),\n"    \
	"    last_seen = max(ifnull(last_seen, excluded.last_seen), excluded.last_seen);\n"        \
	"END;\n"                                                                                   \
	"CREATE VIEW daily_summary AS SELECT t.day, t.mac, t.domain, t.flows, t.dns_queries,\n"    \
	"  t.bytes_out, t.bytes_in, ifnull((SELECT sum(l.leaks) FROM daily_leaks l\n"              \
	"  WHERE l.day = t.day AND l.mac = t.mac AND l.domain = t.domain), 0) AS leaks,\n"         \
	"  (SELECT group_concat(DISTINCT l.kind) FROM daily_leaks l WHERE l.day = t.day AND\n"     \
	"  l.mac = t.mac AND l.domain = t.domain) AS leak_kinds FROM daily_traffic t;\n"

static const char schema_v6[] = SCHEMA_V6_STATS SCHEMA_V6_AGE SCHEMA_V6_DAILY;

/*
 * v7: evidence.  For the first leak of each (device, destination, kind), the frames of its flow
 * the daemon still held (handshake and request, both directions) as a pcap file in a BLOB:
 * `leakwatch evidence ID -o FILE` writes it out for Wireshark.  dest is the leak's domain, or
 * its server's address when it has none.  Bounded by [evidence] max_rows and max_kb (the
 * oldest go first), so one row per key: a key whose row went may get a new one.
 * And the buffer budget ([inspect] buffer_total_kb) in stats: heads and bodies not grown
 * because the budget was spent, of those the ones refused for the device's fair part, and the
 * most the buffers of all flows held at once (KiB).
 */
static const char schema_v7[] =
	"CREATE TABLE evidence(id INTEGER PRIMARY KEY, ts REAL, mac TEXT NOT NULL,\n"
	"  dest TEXT NOT NULL, kind TEXT NOT NULL, leak_ts REAL, flow_id INTEGER,\n"
	"  dst_ip TEXT, dst_port INTEGER, proto TEXT, packets INTEGER, bytes INTEGER,\n"
	"  linktype INTEGER, pcap BLOB, UNIQUE(mac, dest, kind));\n"
	"ALTER TABLE stats ADD COLUMN buffer_refused INTEGER;\n"
	"ALTER TABLE stats ADD COLUMN buffer_refused_share INTEGER;\n"
	"ALTER TABLE stats ADD COLUMN buffer_peak_kb INTEGER;\n";

/* migrations[v] takes a database from user_version v to v + 1. */
static const char *const migrations[] = {
	schema_v1, schema_v2, schema_v3, schema_v4, schema_v5, schema_v6, schema_v7,
};

_Static_assert(LW_ARRAY_SIZE(migrations) == LW_STORE_SCHEMA_VERSION,
	       "one migration step per schema version");

__attribute__((format(printf, 3, 4))) static void set_err(char *err, size_t errlen, const char *fmt,
							  ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

int lw_store_sqlite_errno(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_OK:
	case SQLITE_DONE:
	case SQLITE_ROW:
		return 0;
	case SQLITE_NOTADB:
		return -ENOTSUP;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return -EBUSY;
	case SQLITE_FULL:
		return -ENOSPC;
	case SQLITE_NOMEM:
		return -ENOMEM;
	case SQLITE_READONLY:
		return -EROFS;
	case SQLITE_PERM:
	case SQLITE_AUTH:
	case SQLITE_CANTOPEN:
		return -EACCES;
	case SQLITE_TOOBIG:
		return -E2BIG;
	default:
		return -EIO;
	}
}

/* Runs a statement that yields one integer. */
static int query_int(sqlite3 *db, const char *sql, int64_t *out)
{
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);

	if (rc != SQLITE_OK)
		return rc;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*out = sqlite3_column_int64(st, 0);
		rc = SQLITE_OK;
	} else if (rc == SQLITE_DONE) {
		*out = 0;
		rc = SQLITE_OK;
	}
	sqlite3_finalize(st);
	return rc;
}

struct db_kind {
	int64_t version;
	int64_t app_id;
	int64_t objects; /* tables, indexes, views, triggers */
};

static int read_kind(sqlite3 *db, struct db_kind *k)
{
	int rc = query_int(db, "PRAGMA user_version", &k->version);

	if (rc == SQLITE_OK)
		rc = query_int(db, "PRAGMA application_id", &k->app_id);
	if (rc == SQLITE_OK)
		rc = query_int(
			db,
			"SELECT count(*) FROM sqlite_master WHERE name NOT LIKE 'sqlite\\_%' "
			"ESCAPE '\\'",
			&k->objects);
	return rc;
}

/* 0 if this build may use (and migrate) a database of this kind, else -errno and err. */
static int judge_kind(const char *path, const struct db_kind *k, char *err, size_t errlen)
{
	if (k->app_id != 0 && k->app_id != LW_STORE_APPLICATION_ID) {
		set_err(err, errlen, "%s belongs to another application (application_id %#llx)",
			path, (unsigned long long)k->app_id);
		return -ENOTSUP;
	}
	if (k->version > 0 && k->app_id != LW_STORE_APPLICATION_ID) {
		set_err(err, errlen,
			"%s is not a leakwatch database (user_version %lld, no leakwatch "
			"application_id); refusing to modify it",
			path, (long long)k->version);
		return -ENOTSUP;
	}
	if (k->version > LW_STORE_SCHEMA_VERSION) {
		set_err(err, errlen,
			"%s has schema version %lld, newer than this leakwatch understands (%d); "
			"refusing to modify it: use a newer leakwatch or another file",
			path, (long long)k->version, LW_STORE_SCHEMA_VERSION);
		return -EPROTO;
	}
	if (k->version == 0 && k->objects > 0) {
		set_err(err, errlen,
			"%s is an SQLite database with other tables; refusing to mix leakwatch's "
			"into it",
			path);
		return -ENOTSUP;
	}
	return 0;
}

static int fail_sqlite(sqlite3 *db, int rc, const char *path, const char *what, char *err,
		       size_t errlen)
{
	int e = lw_store_sqlite_errno(rc);

	if ((rc & 0xff) == SQLITE_NOTADB)
		set_err(err, errlen, "%s is not an SQLite database", path);
	else
		set_err(err, errlen, "%s: %s: %s", path, what, db ? sqlite3_errmsg(db) : "");
	return e ? e : -EIO;
}

static int migrate(sqlite3 *db, const char *path, char *err, size_t errlen)
{
	struct db_kind k;
	char sql[128];
	int rc, ret;

	rc = sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		return fail_sqlite(db, rc, path, "cannot lock for migration", err, errlen);
	/* Another process may have migrated it between our first look and the lock. */
	rc = read_kind(db, &k);
	if (rc != SQLITE_OK) {
		ret = fail_sqlite(db, rc, path, "cannot read the schema version", err, errlen);
		goto rollback;
	}
	ret = judge_kind(path, &k, err, errlen);
	if (ret < 0)
		goto rollback;
	if (k.version == LW_STORE_SCHEMA_VERSION) {
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
		return 0;
	}
	for (int64_t v = k.version; v < LW_STORE_SCHEMA_VERSION; v++) {
		rc = sqlite3_exec(db, migrations[v], NULL, NULL, NULL);
		if (rc != SQLITE_OK) {
			snprintf(sql, sizeof(sql), "migration %lld -> %lld", (long long)v,
				 (long long)v + 1);
			ret = fail_sqlite(db, rc, path, sql, err, errlen);
			goto rollback;
		}
	}
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d; PRAGMA application_id = %d",
		 LW_STORE_SCHEMA_VERSION, LW_STORE_APPLICATION_ID);
	rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		ret = fail_sqlite(db, rc, path, "cannot commit the migration", err, errlen);
		goto rollback;
	}
	return 0;

rollback:
	if (!sqlite3_get_autocommit(db))
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return ret;
}

/*
 * Creates the file ourselves so that it is 0600 from its first byte, without touching the
 * process umask (another thread may be creating files).  SQLite gives the -wal and -shm files
 * the main file's mode.
 */
static int create_file(const char *path, char *err, size_t errlen)
{
	struct stat st;
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOCTTY, 0600);
	int ret = 0;

	if (fd < 0) {
		ret = -errno;
		set_err(err, errlen, "cannot open %s: %s", path, strerror(-ret));
		return ret;
	}
	if (fstat(fd, &st) < 0) {
		ret = -errno;
		set_err(err, errlen, "cannot stat %s: %s", path, strerror(-ret));
	} else if (!S_ISREG(st.st_mode)) {
		ret = -ENOTSUP;
		set_err(err, errlen, "%s is not a regular file", path);
	}
	close(fd);
	return ret;
}

/*
 * A database made before schema v6 has auto_vacuum off: freed pages are reused but never
 * given back.  Turning it on takes one VACUUM (the whole file rewritten, as much free space
 * again needed meanwhile).  If that fails (no room) the database works as before: *ms = -1.
 */
static int convert_vacuum(sqlite3 *db, long *ms)
{
	struct timespec a, b;
	int64_t mode = 0;
	int rc;

	*ms = 0;
	rc = query_int(db, "PRAGMA auto_vacuum", &mode);
	if (rc != SQLITE_OK || mode == 2 /* INCREMENTAL */)
		return 0;
	clock_gettime(CLOCK_MONOTONIC, &a);
	rc = sqlite3_exec(db, "PRAGMA auto_vacuum = INCREMENTAL; VACUUM", NULL, NULL, NULL);
	clock_gettime(CLOCK_MONOTONIC, &b);
	if (rc != SQLITE_OK) {
		*ms = -1;
		return 0;
	}
	*ms = (long)((b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000);
	if (*ms == 0)
		*ms = 1;
	return 0;
}

int lw_store_schema_open(const char *path, enum lw_store_journal journal, sqlite3 **out,
			 uint64_t *max_flow_id, long *vacuum_ms, char *err, size_t errlen)
{
	struct db_kind k;
	sqlite3 *db = NULL;
	sqlite3_stmt *st;
	int64_t max_id = 0;
	int rc, ret;

	*out = NULL;
	ret = create_file(path, err, errlen);
	if (ret < 0)
		return ret;
	/*
	 * NOMUTEX: the connection is used by one thread at a time (this one, then the writer,
	 * handed over by pthread_create).
	 */
	rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		ret = fail_sqlite(db, rc, path, "cannot open", err, errlen);
		goto fail;
	}
	sqlite3_busy_timeout(db, LW_STORE_OPEN_BUSY_MS);

	/* Look before writing anything. */
	rc = read_kind(db, &k);
	if (rc != SQLITE_OK) {
		ret = fail_sqlite(db, rc, path, "cannot read", err, errlen);
		goto fail;
	}
	ret = judge_kind(path, &k, err, errlen);
	if (ret < 0)
		goto fail;

	/*
	 * A new database gives freed pages back to the filesystem on demand (the size cap and
	 * retention run PRAGMA incremental_vacuum): only settable before the first table.
	 */
	if (k.version == 0) {
		rc = sqlite3_exec(db, "PRAGMA auto_vacuum = INCREMENTAL", NULL, NULL, NULL);
		if (rc != SQLITE_OK) {
			ret = fail_sqlite(db, rc, path, "cannot set auto_vacuum", err, errlen);
			goto fail;
		}
	}
	/*
	 * WAL: readers (the sqlite3 CLI, the block module) never stop the writer, nor it them.
	 * TRUNCATE (jffs2, no shared writable mmap for the -shm file): a rollback journal; a
	 * reader delays a commit until its read ends.
	 */
	rc = sqlite3_prepare_v2(db,
				journal == LW_STORE_JOURNAL_TRUNCATE
					? "PRAGMA journal_mode = TRUNCATE"
					: "PRAGMA journal_mode = WAL",
				-1, &st, NULL);
	if (rc == SQLITE_OK) {
		rc = sqlite3_step(st);
		/*
		 * A filesystem without shared memory keeps the old journal mode: slower for
		 * readers, still correct, so carry on.
		 */
		rc = rc == SQLITE_ROW ? SQLITE_OK : rc;
		sqlite3_finalize(st);
	}
	if (rc != SQLITE_OK) {
		ret = fail_sqlite(db, rc, path, "cannot set the journal mode", err, errlen);
		goto fail;
	}
	/*
	 * NORMAL in WAL mode: a power cut may lose the last commits, never corrupts; the disk
	 * is not synced on every batch (flash wear on a router).  A rollback journal needs FULL
	 * for that guarantee.
	 */
	rc = sqlite3_exec(db,
			  journal == LW_STORE_JOURNAL_TRUNCATE
				  ? "PRAGMA synchronous = FULL; PRAGMA foreign_keys = OFF; "
				    "PRAGMA journal_size_limit = " LW_STORE_JOURNAL_SIZE_LIMIT
				  : "PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = OFF; "
				    "PRAGMA journal_size_limit = " LW_STORE_JOURNAL_SIZE_LIMIT,
			  NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		ret = fail_sqlite(db, rc, path, "cannot set PRAGMAs", err, errlen);
		goto fail;
	}
	ret = migrate(db, path, err, errlen);
	if (ret < 0)
		goto fail;
	ret = convert_vacuum(db, vacuum_ms);
	if (ret < 0)
		goto fail;

	rc = query_int(db, "SELECT ifnull(max(id), 0) FROM flows", &max_id);
	if (rc != SQLITE_OK) {
		ret = fail_sqlite(db, rc, path, "cannot read flows", err, errlen);
		goto fail;
	}
	/* The writer must never wait long: it backs off and retries instead. */
	sqlite3_busy_timeout(db, LW_STORE_BUSY_MS);
	*max_flow_id = max_id > 0 ? (uint64_t)max_id : 0;
	*out = db;
	return 0;

fail:
	sqlite3_close(db);
	return ret;
}
