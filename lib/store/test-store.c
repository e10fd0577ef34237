/* SPDX-License-Identifier: MIT */
/*
 * store: schema, round trips, upserts, the queue bound, WAL readers, refusals, file mode,
 * close, retention and throughput.  Every check reads the database back through a separate
 * sqlite3 connection, as a user or outside tool would.
 */
#include "lw-test.h"
#include "store/store.h"

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <fcntl.h>
#include <unistd.h>

static char tmpdir[64];
static int db_serial;

/* A fresh database path in the test's temporary directory. */
static const char *new_path(char *buf, size_t len)
{
	snprintf(buf, len, "%s/t%d.db", tmpdir, ++db_serial);
	return buf;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double wall_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static sqlite3 *db_open(const char *path)
{
	sqlite3 *db = NULL;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
		fprintf(stderr, "cannot open %s: %s\n", path, db ? sqlite3_errmsg(db) : "?");
		exit(2);
	}
	sqlite3_busy_timeout(db, 2000);
	return db;
}

static void db_exec(sqlite3 *db, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		fprintf(stderr, "%s: %s\n", sql, msg ? msg : "?");
		exit(2);
	}
}

/* The first column of the first row as an integer; -1 for no row, -2 for an error. */
static long long db_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	long long v = -1;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		fprintf(stderr, "%s: %s\n", sql, sqlite3_errmsg(db));
		return -2;
	}
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* The first row's columns as text joined by '|' (NULL as "NULL"), like the sqlite3 CLI. */
static const char *db_row(sqlite3 *db, const char *sql, char *buf, size_t len)
{
	sqlite3_stmt *st;
	size_t off = 0;

	buf[0] = '\0';
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		snprintf(buf, len, "error: %s", sqlite3_errmsg(db));
		return buf;
	}
	if (sqlite3_step(st) == SQLITE_ROW) {
		for (int i = 0; i < sqlite3_column_count(st); i++) {
			const unsigned char *t = sqlite3_column_text(st, i);

			off += (size_t)snprintf(buf + off, len - off, "%s%s", i ? "|" : "",
						t ? (const char *)t : "NULL");
			if (off >= len)
				break;
		}
	}
	sqlite3_finalize(st);
	return buf;
}

/* All rows of a one-column query joined by ','. */
static const char *db_list(sqlite3 *db, const char *sql, char *buf, size_t len)
{
	sqlite3_stmt *st;
	size_t off = 0;
	int n = 0;

	buf[0] = '\0';
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		snprintf(buf, len, "error: %s", sqlite3_errmsg(db));
		return buf;
	}
	while (sqlite3_step(st) == SQLITE_ROW && off < len) {
		const unsigned char *t = sqlite3_column_text(st, 0);

		off += (size_t)snprintf(buf + off, len - off, "%s%s", n++ ? "," : "",
					t ? (const char *)t : "NULL");
	}
	sqlite3_finalize(st);
	return buf;
}

static long long count_rows(const char *path, const char *table)
{
	char sql[128];
	sqlite3 *db = db_open(path);
	long long n;

	snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", table);
	n = db_int(db, sql);
	sqlite3_close(db);
	return n;
}

static unsigned char *read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf;
	long n;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static struct lw_store *open_ok(const char *path, const struct lw_store_config *cfg)
{
	struct lw_store *s = NULL;
	char err[256];
	int r = lw_store_open(path, cfg, &s, err, sizeof(err));

	if (r < 0) {
		fprintf(stderr, "lw_store_open(%s): %d %s\n", path, r, err);
		exit(2);
	}
	return s;
}

static struct lw_flow_rec make_flow(uint64_t id)
{
	struct lw_flow_rec f;

	memset(&f, 0, sizeof(f));
	f.id = id;
	strcpy(f.mac, "02:11:22:33:44:55");
	strcpy(f.proto, "tcp");
	strcpy(f.src_ip, "192.168.1.23");
	f.src_port = 40000 + (uint16_t)(id % 20000);
	strcpy(f.dst_ip, "2001:db8::1");
	f.dst_port = 443;
	f.first_seen = 1700000000.25;
	f.last_seen = 1700000001.5;
	strcpy(f.domain, "zzhc.vnet.cn");
	strcpy(f.name_source, "sni");
	strcpy(f.app, "tls");
	f.encrypted = true;
	f.pkts_out = 3;
	f.bytes_out = 300;
	f.pkts_in = 4;
	f.bytes_in = 4000;
	return f;
}

static struct lw_leak_rec make_leak(int i)
{
	struct lw_leak_rec l;

	memset(&l, 0, sizeof(l));
	l.ts = 1700000002.5 + i;
	strcpy(l.mac, "02:11:22:33:44:55");
	l.flow_id = 7;
	strcpy(l.domain, "zzhc.vnet.cn");
	strcpy(l.dst_ip, "203.0.113.9");
	l.dst_port = 9999;
	strcpy(l.proto, "tcp");
	strcpy(l.kind, "imei");
	strcpy(l.value, "490154203237518");
	strcpy(l.encoding, "base64>json:MEID");
	strcpy(l.location, "http.body");
	strcpy(l.confidence, "known");
	strcpy(l.snippet, "{\"MEID\":\"490154203237518\"}");
	return l;
}

/* The public contract: every table's columns, in order, as pragma_table_info reports them. */
static const struct {
	const char *table;
	const char *columns;
} expected_schema[] = {
	{"meta", "key,value"},
	{"devices",
	 "mac,first_seen,last_seen,vendor,hostname,dhcp_vendor,randomized,label,ip,port"},
	{"sessions", "id,mac,ifname,start,end"},
	{"identifiers", "id,mac,kind,value,source,first_seen"},
	{"flows", "id,mac,proto,src_ip,src_port,dst_ip,dst_port,first_seen,last_seen,domain,"
		  "name_source,app,encrypted,pkts_out,bytes_out,pkts_in,bytes_in,ended"},
	{"dns", "id,ts,mac,client_ip,server_ip,qname,qtype,rcode,answers,ttl"},
	{"leaks", "id,ts,mac,flow_id,domain,dst_ip,dst_port,proto,kind,value,encoding,location,"
		  "confidence,snippet"},
	{"flagged", "id,domain,mac,reason,source,added,expires"},
	{"blocks", "id,ts,mac,domain,ip,until,reason,action"},
	{"stats", "ts,packets,bytes,dropped,if_dropped,flows_active,flows_evicted,leaks,"
		  "malformed,store_dropped,rss_kb,names_evicted,dns_malformed,http_malformed,"
		  "tls_malformed,reasm_overflow,reasm_gaps,frag_dropped,quic_too_big,"
		  "detect_budget_hit,http_body_cut,dns_unmatched,dns_pending_evicted,"
		  "dhcp_chaddr_mismatch,devices_refused,block_guarded,body_undecoded,"
		  "device_names_refused,names_refused,learned_evicted,known_full,"
		  "store_dropped_share,dns_flows,db_bytes,pruned_rows,cap_pruned,vacuum_pages,"
		  "checkpoint_busy,buffer_refused,buffer_refused_share,buffer_peak_kb"},
	{"leak_summary", "mac,domain,kind,count,first_seen,last_seen,first_time,last_time"},
	{"device_domains",
	 "mac,domain,flows,bytes_out,bytes_in,first_seen,last_seen,first_time,last_time"},
	{"leaks_readable", "time,id,ts,mac,flow_id,domain,dst_ip,dst_port,proto,kind,value,"
			   "encoding,location,confidence,snippet"},
	{"flows_readable", "time,last_time,id,mac,proto,src_ip,src_port,dst_ip,dst_port,"
			   "first_seen,last_seen,domain,name_source,app,encrypted,pkts_out,"
			   "bytes_out,pkts_in,bytes_in,ended"},
	{"dns_readable", "time,id,ts,mac,client_ip,server_ip,qname,qtype,rcode,answers,ttl"},
	{"stations", "id,ts,mac,ifname,signal,signal_avg,tx_bitrate,rx_bitrate,inactive_ms,"
		     "connected_s,rx_bytes,tx_bytes,tx_retries,tx_failed"},
	{"stations_readable", "time,id,ts,mac,ifname,signal,signal_avg,tx_bitrate,rx_bitrate,"
			      "inactive_ms,connected_s,rx_bytes,tx_bytes,tx_retries,tx_failed"},
	{"device_names", "mac,proto,name,first_seen,last_seen,count"},
	{"device_names_readable", "mac,proto,name,count,first_time,last_time,first_seen,last_seen"},
	{"daily_traffic", "day,mac,domain,flows,dns_queries,bytes_out,bytes_in,pkts_out,pkts_in,"
			  "first_seen,last_seen"},
	{"daily_leaks", "day,mac,domain,kind,confidence,leaks,first_seen,last_seen"},
	{"daily_summary", "day,mac,domain,flows,dns_queries,bytes_out,bytes_in,leaks,leak_kinds"},
};

/* The columns of stations (schema 4), for the round trip and the migration. */
#define STATION_COLS_V4 14

/* What the daemon writes for a station nl80211 reported in full (-42 dBm, 866.7 Mbit/s). */
static struct lw_station_rec make_station(double ts)
{
	struct lw_station_rec r;

	memset(&r, 0, sizeof(r));
	r.ts = ts;
	strcpy(r.mac, "02:11:22:33:44:55");
	strcpy(r.ifname, "wlan0");
	r.has_signal = true;
	r.signal = -42;
	r.has_signal_avg = true;
	r.signal_avg = -45;
	r.tx_bitrate = 866700;
	r.rx_bitrate = 6500;
	r.inactive_ms = 1234;
	r.connected_s = 56;
	r.rx_bytes = 5000000000LL;
	r.tx_bytes = 777;
	r.tx_retries = 3;
	r.tx_failed = 1;
	return r;
}

static void test_schema(void)
{
	char path[128], buf[1024], sql[256];
	struct lw_store *s = open_ok(new_path(path, sizeof(path)), NULL);
	sqlite3 *db = db_open(path);

	LW_CHECK_INT(db_int(db, "PRAGMA user_version"), LW_STORE_SCHEMA_VERSION);
	LW_CHECK_STR(db_row(db, "PRAGMA journal_mode", buf, sizeof(buf)), "wal");
	for (size_t i = 0; i < LW_ARRAY_SIZE(expected_schema); i++) {
		snprintf(sql, sizeof(sql), "SELECT name FROM pragma_table_info('%s') ORDER BY cid",
			 expected_schema[i].table);
		LW_CHECK_STR(db_list(db, sql, buf, sizeof(buf)), expected_schema[i].columns);
	}
	LW_CHECK_STR(db_list(db, "SELECT name FROM sqlite_master WHERE type = 'view' ORDER BY name",
			     buf, sizeof(buf)),
		     "daily_summary,device_domains,device_names_readable,dns_readable,"
		     "flows_readable,leak_summary,leaks_readable,stations_readable");
	/* a new database gives freed pages back (the size cap and retention rely on it) */
	LW_CHECK_INT(db_int(db, "PRAGMA auto_vacuum"), 2);
	/* The indexes people's filters rely on, by what they cover. */
	LW_CHECK_STR(
		db_list(db, "SELECT name FROM pragma_index_info('leaks_mac_ts')", buf, sizeof(buf)),
		"mac,ts");
	LW_CHECK_STR(
		db_list(db, "SELECT name FROM pragma_index_info('leaks_domain')", buf, sizeof(buf)),
		"domain");
	LW_CHECK_STR(
		db_list(db, "SELECT name FROM pragma_index_info('flows_mac')", buf, sizeof(buf)),
		"mac");
	LW_CHECK_STR(
		db_list(db, "SELECT name FROM pragma_index_info('flows_domain')", buf, sizeof(buf)),
		"domain");
	LW_CHECK_STR(
		db_list(db, "SELECT name FROM pragma_index_info('dns_mac_ts')", buf, sizeof(buf)),
		"mac,ts");
	LW_CHECK_STR(
		db_list(db, "SELECT name FROM pragma_index_info('dns_qname')", buf, sizeof(buf)),
		"qname");
	LW_CHECK_STR(db_list(db, "SELECT name FROM pragma_index_info('stations_mac_ts')", buf,
			     sizeof(buf)),
		     "mac,ts");

	/* flagged: what a user types in the CLI works, added defaults to now, and a NULL mac
	 * (every device) is unique per domain. */
	db_exec(db, "INSERT INTO flagged(domain, reason) VALUES('vnet.cn', 'zzhc')");
	LW_CHECK(db_int(db, "SELECT abs(added - CAST(strftime('%s', 'now') AS INTEGER)) < 5 "
			    "FROM flagged") == 1);
	LW_CHECK(sqlite3_exec(db, "INSERT INTO flagged(domain) VALUES('vnet.cn')", NULL, NULL,
			      NULL) == SQLITE_CONSTRAINT);
	db_exec(db, "INSERT INTO flagged(domain, mac) VALUES('vnet.cn', '02:11:22:33:44:55')");
	LW_CHECK(sqlite3_exec(db,
			      "INSERT INTO flagged(domain, mac) "
			      "VALUES('vnet.cn', '02:11:22:33:44:55')",
			      NULL, NULL, NULL) == SQLITE_CONSTRAINT);
	LW_CHECK(sqlite3_exec(db, "INSERT INTO flagged(mac) VALUES('x')", NULL, NULL, NULL) ==
		 SQLITE_CONSTRAINT);
	LW_CHECK_INT(db_int(db, "SELECT count(*) FROM flagged"), 2);
	sqlite3_close(db);
	lw_store_close(s);

	/* Reopening an up-to-date database changes nothing. */
	s = open_ok(path, NULL);
	LW_CHECK_INT(count_rows(path, "flagged"), 2);
	lw_store_close(s);
}

static void test_roundtrip(void)
{
	char path[128], buf[2048];
	struct lw_store *s = open_ok(new_path(path, sizeof(path)), NULL);
	struct lw_flow_rec f = make_flow(7);
	struct lw_leak_rec l = make_leak(0);
	struct lw_dns_rec d;
	struct lw_device_rec dev;
	struct lw_stats_rec st;
	struct lw_block_rec b;
	struct lw_session_rec se;
	struct lw_identifier_rec id;
	struct lw_station_rec sta = make_station(1700000030.5);
	struct lw_store_stats ss;
	sqlite3 *db;

	memset(&d, 0, sizeof(d));
	d.ts = 1700000000.125;
	strcpy(d.mac, "02:11:22:33:44:55");
	strcpy(d.client_ip, "192.168.1.23");
	strcpy(d.server_ip, "192.168.1.1");
	strcpy(d.qname, "zzhc.vnet.cn");
	d.qtype = 1;
	d.rcode = 0;
	strcpy(d.answers, "203.0.113.9 203.0.113.10");
	d.ttl = 300;
	memset(&dev, 0, sizeof(dev));
	strcpy(dev.mac, "02:11:22:33:44:55");
	dev.ts = 1700000000.9;
	strcpy(dev.hostname, "Nokia-7-plus");
	strcpy(dev.dhcp_vendor, "android-dhcp-9");
	strcpy(dev.ip, "192.168.1.23");
	dev.randomized = true;
	strcpy(dev.port, "wlan0");
	memset(&st, 0, sizeof(st));
	st.ts = 1700000010;
	st.packets = 1000;
	st.bytes = 1u << 20;
	st.dropped = 1;
	st.if_dropped = 2;
	st.flows_active = 3;
	st.flows_evicted = 4;
	st.leaks = 5;
	st.malformed = 6;
	st.store_dropped = 7;
	st.rss_kb = 8192;
	st.names_evicted = 11;
	st.dns_malformed = 12;
	st.http_malformed = 13;
	st.tls_malformed = 14;
	st.reasm_overflow = 15;
	st.reasm_gaps = 16;
	st.frag_dropped = 17;
	st.quic_too_big = 18;
	st.detect_budget_hit = 19;
	st.http_body_cut = 20;
	st.dns_unmatched = 21;
	st.dns_pending_evicted = 22;
	st.dhcp_chaddr_mismatch = 23;
	st.devices_refused = 24;
	st.block_guarded = 25;
	st.body_undecoded = 26;
	st.device_names_refused = 27;
	st.names_refused = 28;
	st.learned_evicted = 29;
	st.known_full = 30;
	st.store_dropped_share = 31;
	st.dns_flows = 32;
	st.buffer_refused = 33;
	st.buffer_refused_share = 34;
	st.buffer_peak_kb = 35;
	memset(&b, 0, sizeof(b));
	b.ts = 1700000003;
	strcpy(b.domain, "zzhc.vnet.cn");
	strcpy(b.ip, "203.0.113.9");
	b.until = 1700000303;
	strcpy(b.reason, "dns");
	strcpy(b.action, "add");
	memset(&se, 0, sizeof(se));
	strcpy(se.mac, "02:11:22:33:44:55");
	strcpy(se.ifname, "wlan0");
	se.start = 1700000000.5;
	memset(&id, 0, sizeof(id));
	strcpy(id.mac, "02:11:22:33:44:55");
	strcpy(id.kind, "imei");
	strcpy(id.value, "490154203237518");
	strcpy(id.source, "config");
	id.first_seen = 1700000000;

	LW_CHECK_INT(lw_store_put_flow(s, &f), 0);
	LW_CHECK_INT(lw_store_put_leak(s, &l), 0);
	LW_CHECK_INT(lw_store_put_dns(s, &d), 0);
	LW_CHECK_INT(lw_store_put_device(s, &dev), 0);
	LW_CHECK_INT(lw_store_put_stats(s, &st), 0);
	LW_CHECK_INT(lw_store_put_block(s, &b), 0);
	LW_CHECK_INT(lw_store_put_session(s, &se), 0);
	LW_CHECK_INT(lw_store_put_identifier(s, &id), 0);
	LW_CHECK_INT(lw_store_put_identifier(s, &id), 0); /* a duplicate is ignored */
	LW_CHECK_INT(lw_store_put_station(s, &sta), 0);
	LW_CHECK_INT(lw_store_put_meta(s, "version", "0.1.0"), 0);
	LW_CHECK_INT(lw_store_put_meta(s, "version", "0.2.0"), 0); /* upsert */
	LW_CHECK_INT(lw_store_put_meta(s, "nothing", NULL), 0);

	/* Empty strings and "no value" numbers become NULL. */
	memset(&l, 0, sizeof(l));
	l.ts = 1700000004;
	strcpy(l.kind, "mac");
	strcpy(l.value, "02:11:22:33:44:55");
	LW_CHECK_INT(lw_store_put_leak(s, &l), 0);
	memset(&d, 0, sizeof(d));
	d.ts = 1700000005;
	strcpy(d.qname, "example.com");
	d.qtype = 28;
	d.rcode = -1;
	d.ttl = -1;
	LW_CHECK_INT(lw_store_put_dns(s, &d), 0);
	se.end = 1700000100.5; /* the station left: the same session row gets its end */
	LW_CHECK_INT(lw_store_put_session(s, &se), 0);
	/* a station the kernel reported little of: the rest NULL, a negative signal kept */
	memset(&sta, 0, sizeof(sta));
	sta.ts = 1700000031;
	strcpy(sta.mac, "3c:28:6d:00:00:02");
	sta.has_signal = true;
	sta.signal = -91;
	sta.tx_bitrate = sta.rx_bitrate = sta.inactive_ms = sta.connected_s = -1;
	sta.rx_bytes = sta.tx_bytes = sta.tx_retries = sta.tx_failed = -1;
	LW_CHECK_INT(lw_store_put_station(s, &sta), 0);

	/* Rejected at the door. */
	memset(&dev, 0, sizeof(dev));
	LW_CHECK_INT(lw_store_put_device(s, &dev), -EINVAL);
	sta.mac[0] = '\0';
	LW_CHECK_INT(lw_store_put_station(s, &sta), -EINVAL);
	LW_CHECK_INT(lw_store_put_meta(s, "", "x"), -EINVAL);
	LW_CHECK_INT(lw_store_put_meta(s, NULL, "x"), -EINVAL);
	{
		char *big = malloc(LW_STORE_META_MAX + 2);

		memset(big, 'a', LW_STORE_META_MAX + 1);
		big[LW_STORE_META_MAX + 1] = '\0';
		LW_CHECK_INT(lw_store_put_meta(s, "big", big), -E2BIG);
		LW_CHECK_INT(lw_store_put_meta(s, big, "x"), -E2BIG);
		big[LW_STORE_META_MAX] = '\0';
		LW_CHECK_INT(lw_store_put_meta(s, "big", big), 0); /* exactly the limit */
		free(big);
	}

	LW_CHECK_INT(lw_store_flush(s), 0);
	lw_store_get_stats(s, &ss);
	LW_CHECK_INT(ss.queued, 18);
	LW_CHECK_INT(ss.written, 18);
	LW_CHECK_INT(ss.pending, 0);
	LW_CHECK_INT(ss.dropped, 0);
	LW_CHECK_INT(ss.rejected, 0);
	LW_CHECK_INT(lw_store_max_flow_id(s), 7);

	db = db_open(path);
	LW_CHECK_STR(db_row(db, "SELECT * FROM flows", buf, sizeof(buf)),
		     "7|02:11:22:33:44:55|tcp|192.168.1.23|40007|2001:db8::1|443|1700000000.25|"
		     "1700000001.5|zzhc.vnet.cn|sni|tls|1|3|300|4|4000|0");
	LW_CHECK_STR(db_row(db, "SELECT * FROM leaks ORDER BY id LIMIT 1", buf, sizeof(buf)),
		     "1|1700000002.5|02:11:22:33:44:55|7|zzhc.vnet.cn|203.0.113.9|9999|tcp|imei|"
		     "490154203237518|base64>json:MEID|http.body|known|"
		     "{\"MEID\":\"490154203237518\"}");
	LW_CHECK_STR(db_row(db, "SELECT * FROM leaks WHERE id = 2", buf, sizeof(buf)),
		     "2|1700000004.0|NULL|NULL|NULL|NULL|0|NULL|mac|02:11:22:33:44:55|NULL|NULL|"
		     "NULL|NULL");
	LW_CHECK_STR(db_row(db, "SELECT * FROM dns ORDER BY id LIMIT 1", buf, sizeof(buf)),
		     "1|1700000000.125|02:11:22:33:44:55|192.168.1.23|192.168.1.1|zzhc.vnet.cn|1|"
		     "0|203.0.113.9 203.0.113.10|300");
	LW_CHECK_STR(db_row(db, "SELECT * FROM dns WHERE id = 2", buf, sizeof(buf)),
		     "2|1700000005.0|NULL|NULL|NULL|example.com|28|NULL|NULL|NULL");
	LW_CHECK_STR(db_row(db, "SELECT * FROM devices", buf, sizeof(buf)),
		     "02:11:22:33:44:55|1700000000|1700000000|NULL|Nokia-7-plus|android-dhcp-9|1|"
		     "NULL|192.168.1.23|wlan0");
	LW_CHECK_STR(
		db_row(db,
		       "SELECT ts, packets, bytes, dropped, if_dropped, flows_active, "
		       "flows_evicted, leaks, malformed, store_dropped, rss_kb, names_evicted, "
		       "dns_malformed, http_malformed, tls_malformed, reasm_overflow, "
		       "reasm_gaps, frag_dropped, quic_too_big, detect_budget_hit, "
		       "http_body_cut, dns_unmatched, dns_pending_evicted, "
		       "dhcp_chaddr_mismatch, devices_refused, block_guarded, body_undecoded, "
		       "device_names_refused, names_refused, learned_evicted, known_full, "
		       "store_dropped_share, dns_flows, pruned_rows, cap_pruned, vacuum_pages, "
		       "checkpoint_busy, buffer_refused, buffer_refused_share, buffer_peak_kb "
		       "FROM stats",
		       buf, sizeof(buf)),
		"1700000010.0|1000|1048576|1|2|3|4|5|6|7|8192|11|12|13|14|15|16|17|18|19|20|"
		"21|22|23|24|25|26|27|28|29|30|31|32|0|0|0|0|33|34|35");
	/* the store's own size at the row: the file was there, with its pages */
	LW_CHECK(db_int(db, "SELECT db_bytes FROM stats") >= 4096);
	LW_CHECK_STR(db_row(db, "SELECT * FROM blocks", buf, sizeof(buf)),
		     "1|1700000003.0|NULL|zzhc.vnet.cn|203.0.113.9|1700000303.0|dns|add");
	LW_CHECK_STR(db_row(db, "SELECT * FROM sessions", buf, sizeof(buf)),
		     "1|02:11:22:33:44:55|wlan0|1700000000.5|1700000100.5");
	LW_CHECK_INT(db_int(db, "SELECT count(*) FROM sessions"), 1);
	LW_CHECK_STR(db_row(db, "SELECT * FROM identifiers", buf, sizeof(buf)),
		     "1|02:11:22:33:44:55|imei|490154203237518|config|1700000000");
	LW_CHECK_INT(db_int(db, "SELECT count(*) FROM identifiers"), 1);
	LW_CHECK_STR(db_row(db, "SELECT * FROM stations WHERE id = 1", buf, sizeof(buf)),
		     "1|1700000030.5|02:11:22:33:44:55|wlan0|-42|-45|866700|6500|1234|56|"
		     "5000000000|777|3|1");
	LW_CHECK_STR(db_row(db, "SELECT * FROM stations WHERE id = 2", buf, sizeof(buf)),
		     "2|1700000031.0|3c:28:6d:00:00:02|NULL|-91|NULL|NULL|NULL|NULL|NULL|NULL|NULL|"
		     "NULL|NULL");
	LW_CHECK_INT(db_int(db, "SELECT count(*) FROM stations"), 2);
	LW_CHECK_STR(db_row(db, "SELECT time, mac, signal FROM stations_readable WHERE id = 1", buf,
			    sizeof(buf)),
		     "2023-11-14 22:13:50|02:11:22:33:44:55|-42");
	LW_CHECK_STR(db_list(db,
			     "SELECT key || '=' || ifnull(value, 'NULL') FROM meta "
			     "WHERE key != 'big' ORDER BY key",
			     buf, sizeof(buf)),
		     "nothing=NULL,version=0.2.0");
	LW_CHECK_INT(db_int(db, "SELECT length(value) FROM meta WHERE key = 'big'"),
		     LW_STORE_META_MAX);

	/* The views for people. */
	LW_CHECK_STR(db_row(db, "SELECT * FROM leak_summary WHERE kind = 'imei'", buf, sizeof(buf)),
		     "02:11:22:33:44:55|zzhc.vnet.cn|imei|1|1700000002.5|1700000002.5|"
		     "2023-11-14 22:13:22|2023-11-14 22:13:22");
	LW_CHECK_STR(db_row(db, "SELECT * FROM device_domains", buf, sizeof(buf)),
		     "02:11:22:33:44:55|zzhc.vnet.cn|1|300|4000|1700000000.25|1700000001.5|"
		     "2023-11-14 22:13:20|2023-11-14 22:13:21");
	LW_CHECK_STR(
		db_row(db, "SELECT time, kind FROM leaks_readable WHERE id = 1", buf, sizeof(buf)),
		"2023-11-14 22:13:22|imei");
	LW_CHECK_STR(
		db_row(db, "SELECT time, last_time, domain FROM flows_readable", buf, sizeof(buf)),
		"2023-11-14 22:13:20|2023-11-14 22:13:21|zzhc.vnet.cn");
	LW_CHECK_STR(
		db_row(db, "SELECT time, qname FROM dns_readable WHERE id = 1", buf, sizeof(buf)),
		"2023-11-14 22:13:20|zzhc.vnet.cn");
	sqlite3_close(db);
	lw_store_close(s);

	/* A new run continues the flow ids. */
	s = open_ok(path, NULL);
	LW_CHECK_INT(lw_store_max_flow_id(s), 7);
	lw_store_close(s);
}

static void test_flow_upsert(void)
{
	char path[128], buf[1024];
	struct lw_store *s = open_ok(new_path(path, sizeof(path)), NULL);
	struct lw_flow_rec f = make_flow(42), g = make_flow(43);
	sqlite3 *db;

	LW_CHECK_INT(lw_store_put_flow(s, &f), 0);
	LW_CHECK_INT(lw_store_put_flow(s, &g), 0);
	LW_CHECK_INT(lw_store_flush(s), 0);
	/* Written again, later and bigger, then once more when it ends; the name stays. */
	f.last_seen = 1700000100.75;
	f.pkts_out = 30;
	f.bytes_out = 3000;
	f.pkts_in = 40;
	f.bytes_in = 40000;
	LW_CHECK_INT(lw_store_put_flow(s, &f), 0);
	f.last_seen = 1700000200;
	f.bytes_in = 50000;
	f.ended = true;
	f.domain[0] = '\0';
	f.name_source[0] = '\0';
	LW_CHECK_INT(lw_store_put_flow(s, &f), 0); /* same batch as the previous write */
	LW_CHECK_INT(lw_store_flush(s), 0);

	db = db_open(path);
	LW_CHECK_INT(db_int(db, "SELECT count(*) FROM flows"), 2);
	LW_CHECK_STR(db_row(db,
			    "SELECT first_seen, last_seen, domain, name_source, pkts_out, "
			    "bytes_out, pkts_in, bytes_in, ended FROM flows WHERE id = 42",
			    buf, sizeof(buf)),
		     "1700000000.25|1700000200.0|zzhc.vnet.cn|sni|30|3000|40|50000|1");
	LW_CHECK_STR(
		db_row(db, "SELECT bytes_in, ended FROM flows WHERE id = 43", buf, sizeof(buf)),
		"4000|0");
	sqlite3_close(db);
	LW_CHECK_INT(lw_store_max_flow_id(s), 43);
	lw_store_close(s);
}

static void test_device_merge(void)
{
	char path[128], buf[1024];
	struct lw_store *s = open_ok(new_path(path, sizeof(path)), NULL);
	struct lw_device_rec d;
	sqlite3 *db;

	memset(&d, 0, sizeof(d));
	strcpy(d.mac, "aa:bb:cc:dd:ee:ff");
	d.ts = 1700000500;
	strcpy(d.hostname, "phone");
	strcpy(d.ip, "192.168.1.50");
	LW_CHECK_INT(lw_store_put_device(s, &d), 0);
	LW_CHECK_INT(lw_store_flush(s), 0);

	/* A user labels the device by hand; the daemon must keep that. */
	db = db_open(path);
	db_exec(db, "UPDATE devices SET label = 'Nokia', vendor = 'HMD' "
		    "WHERE mac = 'aa:bb:cc:dd:ee:ff'");

	/* Earlier sighting, nothing new: only first_seen moves. */
	memset(&d, 0, sizeof(d));
	strcpy(d.mac, "aa:bb:cc:dd:ee:ff");
	d.ts = 1700000100;
	LW_CHECK_INT(lw_store_put_device(s, &d), 0);
	/* Later sighting with a vendor class and a new address; the hostname stays. */
	memset(&d, 0, sizeof(d));
	strcpy(d.mac, "aa:bb:cc:dd:ee:ff");
	d.ts = 1700000900.7;
	strcpy(d.dhcp_vendor, "android-dhcp-9");
	strcpy(d.ip, "192.168.1.51");
	d.randomized = true;
	LW_CHECK_INT(lw_store_put_device(s, &d), 0);
	/* A sighting in between changes neither bound. */
	d.ts = 1700000600;
	d.dhcp_vendor[0] = '\0';
	d.ip[0] = '\0';
	LW_CHECK_INT(lw_store_put_device(s, &d), 0);
	LW_CHECK_INT(lw_store_flush(s), 0);

	LW_CHECK_INT(db_int(db, "SELECT count(*) FROM devices"), 1);
	LW_CHECK_STR(db_row(db, "SELECT * FROM devices", buf, sizeof(buf)),
		     "aa:bb:cc:dd:ee:ff|1700000100|1700000900|HMD|phone|android-dhcp-9|1|Nokia|"
		     "192.168.1.51|NULL");

	/* The FDB names its port (known_only: the row exists), later another one (it moved). */
	memset(&d, 0, sizeof(d));
	strcpy(d.mac, "aa:bb:cc:dd:ee:ff");
	d.ts = 1700000950;
	d.randomized = true;
	strcpy(d.port, "wlan0");
	d.known_only = true;
	LW_CHECK_INT(lw_store_put_device(s, &d), 0);
	LW_CHECK_INT(lw_store_flush(s), 0);
	LW_CHECK_STR(db_row(db, "SELECT last_seen, port FROM devices", buf, sizeof(buf)),
		     "1700000950|wlan0");
	strcpy(d.port, "lan1");
	d.ts = 1700000960;
	LW_CHECK_INT(lw_store_put_device(s, &d), 0);
	/* a sighting without a port keeps it */
	d.known_only = false;
	d.port[0] = '\0';
	d.ts = 1700000970;
	LW_CHECK_INT(lw_store_put_device(s, &d), 0);
	/* known_only adds no row for a MAC that is not a device */
	memset(&d, 0, sizeof(d));
	strcpy(d.mac, "00:00:5e:00:53:01");
	d.ts = 1700000980;
	strcpy(d.port, "eth0");
	d.known_only = true;
	LW_CHECK_INT(lw_store_put_device(s, &d), 0);
	LW_CHECK_INT(lw_store_flush(s), 0);
	LW_CHECK_INT(db_int(db, "SELECT count(*) FROM devices"), 1);
	LW_CHECK_STR(db_row(db, "SELECT * FROM devices", buf, sizeof(buf)),
		     "aa:bb:cc:dd:ee:ff|1700000100|1700000970|HMD|phone|android-dhcp-9|1|Nokia|"
		     "192.168.1.51|lan1");
	sqlite3_close(db);
	lw_store_close(s);
}

/*
 * device_names: one row per (mac, proto, name); count adds up, first/last_seen widen; the
 * name fills devices.hostname only while it is NULL; records without a key are refused.
 */
static void test_device_names(void)
{
	char path[128], buf[1024];
	struct lw_store *s = open_ok(new_path(path, sizeof(path)), NULL);
	struct lw_device_name_rec n;
	struct lw_device_rec d;
	sqlite3 *db;

	memset(&d, 0, sizeof(d));
	strcpy(d.mac, "02:00:5e:00:53:10");
	d.ts = 1700000000;
	LW_CHECK_INT(lw_store_put_device(s, &d), 0);
	memset(&n, 0, sizeof(n));
	strcpy(n.mac, "02:00:5e:00:53:10");
	strcpy(n.proto, "mdns");
	strcpy(n.name, "sarahs-iphone.local");
	strcpy(n.hostname, "sarahs-iphone");
	n.ts = 1700000100;
	n.count = 1;
	LW_CHECK_INT(lw_store_put_device_name(s, &n), 0);
	/* later, three more sightings; then an earlier one */
	n.ts = 1700000200.5;
	n.count = 3;
	LW_CHECK_INT(lw_store_put_device_name(s, &n), 0);
	n.ts = 1700000050;
	n.count = 1;
	LW_CHECK_INT(lw_store_put_device_name(s, &n), 0);
	/* the same name over another protocol is its own row; a second name does not replace
	 * the host name the first one set */
	strcpy(n.proto, "llmnr");
	strcpy(n.name, "sarahs-ipad");
	strcpy(n.hostname, "sarahs-ipad");
	LW_CHECK_INT(lw_store_put_device_name(s, &n), 0);
	/* a MAC without a device row gets its name row, no device row */
	strcpy(n.mac, "02:00:5e:00:53:11");
	strcpy(n.proto, "nbns");
	strcpy(n.name, "DESKTOP-1");
	strcpy(n.hostname, "DESKTOP-1");
	LW_CHECK_INT(lw_store_put_device_name(s, &n), 0);
	/* without a key: refused */
	n.name[0] = '\0';
	LW_CHECK_INT(lw_store_put_device_name(s, &n), -EINVAL);
	strcpy(n.name, "x");
	n.proto[0] = '\0';
	LW_CHECK_INT(lw_store_put_device_name(s, &n), -EINVAL);
	strcpy(n.proto, "nbns");
	n.mac[0] = '\0';
	LW_CHECK_INT(lw_store_put_device_name(s, &n), -EINVAL);
	LW_CHECK_INT(lw_store_flush(s), 0);

	db = db_open(path);
	LW_CHECK_INT(db_int(db, "SELECT count(*) FROM device_names"), 3);
	LW_CHECK_STR(db_row(db,
			    "SELECT mac, proto, name, first_seen, last_seen, count FROM "
			    "device_names WHERE proto = 'mdns'",
			    buf, sizeof(buf)),
		     "02:00:5e:00:53:10|mdns|sarahs-iphone.local|1700000050.0|1700000200.5|5");
	LW_CHECK_STR(db_row(db, "SELECT hostname FROM devices WHERE mac = '02:00:5e:00:53:10'", buf,
			    sizeof(buf)),
		     "sarahs-iphone");
	LW_CHECK_INT(db_int(db, "SELECT count(*) FROM devices"), 1);
	LW_CHECK_STR(db_row(db,
			    "SELECT count, first_time FROM device_names_readable WHERE "
			    "proto = 'nbns'",
			    buf, sizeof(buf)),
		     "1|2023-11-14 22:14:10");
	/* a DHCP host name, when it comes, replaces the announced one */
	memset(&d, 0, sizeof(d));
	strcpy(d.mac, "02:00:5e:00:53:10");
	d.ts = 1700000300;
	strcpy(d.hostname, "Sarahs-iPhone");
	LW_CHECK_INT(lw_store_put_device(s, &d), 0);
	LW_CHECK_INT(lw_store_flush(s), 0);
	LW_CHECK_STR(db_row(db, "SELECT hostname FROM devices", buf, sizeof(buf)), "Sarahs-iPhone");
	sqlite3_close(db);
	lw_store_close(s);
}

/* Waits (up to max_s) until the store has seen a failed transaction. */
static void wait_write_error(struct lw_store *s, double max_s)
{
	struct lw_store_stats ss;
	double t0 = now_s();

	do {
		lw_store_get_stats(s, &ss);
		if (ss.write_errors > 0)
			return;
		usleep(20000);
	} while (now_s() - t0 < max_s);
}

/*
 * One device flooding the queue while the writer cannot commit takes half of it, then is
 * refused (dropped_share); another device's 30 records are all taken meanwhile, and written.
 */
static void test_queue_share(void)
{
	char path[128];
	struct lw_store_config cfg = {.queue_max = 64, .commit_interval = 50 * 1000};
	struct lw_store *s = open_ok(new_path(path, sizeof(path)), &cfg);
	struct lw_store_stats ss;
	sqlite3 *other = db_open(path);
	int flood_ok = 0, victim_ok = 0, i;

	db_exec(other, "BEGIN EXCLUSIVE");
	for (i = 0; i < 1000; i++) {
		struct lw_leak_rec l = make_leak(i);

		strcpy(l.mac, "02:10:00:00:00:01");
		flood_ok += lw_store_put_leak(s, &l) == 0;
	}
	for (i = 0; i < 30; i++) {
		struct lw_leak_rec l = make_leak(1000 + i);

		strcpy(l.mac, "3c:28:6d:00:00:02");
		victim_ok += lw_store_put_leak(s, &l) == 0;
		/* the flood goes on between the victim's records */
		strcpy(l.mac, "02:10:00:00:00:01");
		lw_store_put_leak(s, &l);
	}
	LW_CHECK_INT(flood_ok, 32);
	LW_CHECK_INT(victim_ok, 30);
	lw_store_get_stats(s, &ss);
	LW_CHECK_INT(ss.dropped, 1000 - 32 + 30);
	LW_CHECK_INT(ss.dropped_share, ss.dropped);
	db_exec(other, "COMMIT");
	LW_CHECK_INT(lw_store_flush(s), 0);
	LW_CHECK_INT(db_int(other, "SELECT count(*) FROM leaks WHERE mac = '3c:28:6d:00:00:02'"),
		     30);
	LW_CHECK_INT(db_int(other, "SELECT count(*) FROM leaks WHERE mac = '02:10:00:00:00:01'"),
		     32);
	/* drained: the flooding device has its room back */
	{
		struct lw_leak_rec l = make_leak(5000);

		strcpy(l.mac, "02:10:00:00:00:01");
		LW_CHECK_INT(lw_store_put_leak(s, &l), 0);
	}
	sqlite3_close(other);
	lw_store_close(s);
}

static void test_queue_bound(void)
{
	char path[128];
	struct lw_store_config cfg = {.queue_max = 16, .commit_interval = 50 * 1000};
	struct lw_store *s = open_ok(new_path(path, sizeof(path)), &cfg);
	struct lw_store_stats ss;
	sqlite3 *other = db_open(path);
	int ok = 0, nobufs = 0;
	double t0;

	/* Another writer holds the database: the store's transactions fail with BUSY. */
	db_exec(other, "BEGIN EXCLUSIVE");
	db_exec(other, "INSERT INTO meta(key, value) VALUES('holder', 'test')");
	for (int i = 0; i < 40; i++) {
		struct lw_leak_rec l = make_leak(i);
		int r;

		/* each from a device of its own: the bound, not a device's share (test_queue_share) */
		snprintf(l.mac, sizeof(l.mac), "02:00:00:00:01:%02x", i);
		r = lw_store_put_leak(s, &l);

		if (r == 0)
			ok++;
		else if (r == -ENOBUFS)
			nobufs++;
	}
	LW_CHECK_INT(ok, 16);
	LW_CHECK_INT(nobufs, 24);
	wait_write_error(s, 3);
	lw_store_get_stats(s, &ss);
	LW_CHECK_INT(ss.dropped, 24);
	LW_CHECK_INT(ss.pending, 16);
	LW_CHECK(ss.write_errors > 0);
	LW_CHECK_INT(ss.last_error, -EBUSY);
	LW_CHECK_INT(ss.written, 0);

	/* flush gives up (and says so) when the writer keeps failing. */
	t0 = now_s();
	LW_CHECK_INT(lw_store_flush(s), -EIO);
	LW_CHECK(now_s() - t0 < LW_STORE_FLUSH_FAIL_SEC + 2);

	/* The lock goes away: nothing accepted is lost. */
	db_exec(other, "COMMIT");
	LW_CHECK_INT(lw_store_flush(s), 0);
	LW_CHECK_INT(db_int(other, "SELECT count(*) FROM leaks"), 16);
	LW_CHECK_INT(db_int(other, "SELECT count(*) FROM meta WHERE key = 'holder'"), 1);
	lw_store_get_stats(s, &ss);
	LW_CHECK_INT(ss.written, 16);
	LW_CHECK_INT(ss.pending, 0);
	LW_CHECK_INT(ss.last_error, 0);
	/* Room again. */
	{
		struct lw_leak_rec l = make_leak(99);

		LW_CHECK_INT(lw_store_put_leak(s, &l), 0);
	}
	LW_CHECK_INT(lw_store_flush(s), 0);
	LW_CHECK_INT(db_int(other, "SELECT count(*) FROM leaks"), 17);
	sqlite3_close(other);
	lw_store_close(s);
}

/* block_when_full: a producer faster than the disk waits instead of losing rows. */
static void test_queue_waits(void)
{
	char path[128];
	struct lw_store_config cfg = {
		.queue_max = 16, .commit_interval = 50 * 1000, .block_when_full = true};
	struct lw_store *s = open_ok(new_path(path, sizeof(path)), &cfg);
	struct lw_store_stats ss;
	sqlite3 *other;
	int ok = 0, nobufs = 0;
	double t0;

	for (int i = 0; i < 3000; i++) {
		struct lw_leak_rec l = make_leak(i);

		if (lw_store_put_leak(s, &l) == 0)
			ok++;
	}
	LW_CHECK_INT(ok, 3000);
	LW_CHECK_INT(lw_store_flush(s), 0);
	lw_store_get_stats(s, &ss);
	LW_CHECK_INT(ss.dropped, 0);
	LW_CHECK_INT(ss.written, 3000);
	other = db_open(path);
	LW_CHECK_INT(db_int(other, "SELECT count(*) FROM leaks"), 3000);
	/* written in batches of half the queue: each row once, in the order it was put */
	LW_CHECK_INT(db_int(other, "SELECT count(DISTINCT ts) FROM leaks"), 3000);
	LW_CHECK_INT(db_int(other, "SELECT count(*) FROM leaks a JOIN leaks b ON b.id = a.id + 1 "
				   "WHERE b.ts <> a.ts + 1"),
		     0);

	/* A writer that keeps failing: the producer gives up waiting and drops. */
	db_exec(other, "BEGIN EXCLUSIVE");
	db_exec(other, "INSERT INTO meta(key, value) VALUES('holder', 'test')");
	t0 = now_s();
	for (int i = 0; i < 20; i++) {
		struct lw_leak_rec l = make_leak(5000 + i);
		int r = lw_store_put_leak(s, &l);

		if (r == -ENOBUFS)
			nobufs++;
	}
	LW_CHECK_INT(nobufs, 4);
	LW_CHECK(now_s() - t0 < LW_STORE_FLUSH_FAIL_SEC + 3);
	db_exec(other, "COMMIT");
	LW_CHECK_INT(lw_store_flush(s), 0);
	LW_CHECK_INT(db_int(other, "SELECT count(*) FROM leaks"), 3016);
	sqlite3_close(other);
	lw_store_close(s);
}

static void test_wal_reader(void)
{
	char path[128];
	struct lw_store *s = open_ok(new_path(path, sizeof(path)), NULL);
	sqlite3 *reader = db_open(path), *later;
	struct lw_leak_rec l = make_leak(0);
	double t0;

	LW_CHECK_INT(lw_store_put_leak(s, &l), 0);
	LW_CHECK_INT(lw_store_flush(s), 0);

	/* A reader in the middle of a long read transaction (the sqlite3 CLI, a report). */
	db_exec(reader, "BEGIN");
	LW_CHECK_INT(db_int(reader, "SELECT count(*) FROM leaks"), 1);
	t0 = now_s();
	for (int i = 0; i < 100; i++) {
		l = make_leak(i + 1);
		LW_CHECK_INT(lw_store_put_leak(s, &l), 0);
	}
	LW_CHECK_INT(lw_store_flush(s), 0);
	LW_CHECK(now_s() - t0 < 2.0);
	{
		struct lw_store_stats ss;

		lw_store_get_stats(s, &ss);
		LW_CHECK_INT(ss.write_errors, 0);
	}
	/* The reader still sees its snapshot; a new one sees everything. */
	LW_CHECK_INT(db_int(reader, "SELECT count(*) FROM leaks"), 1);
	later = db_open(path);
	LW_CHECK_INT(db_int(later, "SELECT count(*) FROM leaks"), 101);
	db_exec(reader, "COMMIT");
	LW_CHECK_INT(db_int(reader, "SELECT count(*) FROM leaks"), 101);
	sqlite3_close(later);
	sqlite3_close(reader);
	lw_store_close(s);
}

/* Without lw_store_flush, a record becomes visible within about commit_interval. */
static void test_visible_soon(void)
{
	char path[128];
	struct lw_store *s = open_ok(new_path(path, sizeof(path)), NULL);
	sqlite3 *db = db_open(path);
	struct lw_leak_rec l = make_leak(0);
	double t0, dt = 99;

	LW_CHECK_INT(lw_store_put_leak(s, &l), 0);
	t0 = now_s();
	while (now_s() - t0 < 5) {
		if (db_int(db, "SELECT count(*) FROM leaks") == 1) {
			dt = now_s() - t0;
			break;
		}
		usleep(10000);
	}
	fprintf(stderr, "     a leak became visible after %.3f s\n", dt);
	/* 1 s is the promise; the slack is for a loaded CI machine. */
	LW_CHECK(dt < 1.5);
	sqlite3_close(db);
	lw_store_close(s);
}

static void test_refuse_newer(void)
{
	char path[128], err[256] = "";
	struct lw_store *s = open_ok(new_path(path, sizeof(path)), NULL);
	struct lw_leak_rec l = make_leak(0);
	unsigned char *before, *after;
	size_t nb, na;
	sqlite3 *db;
	int r;

	LW_CHECK_INT(lw_store_put_leak(s, &l), 0);
	lw_store_close(s);
	db = db_open(path);
	db_exec(db, "PRAGMA user_version = 99");
	sqlite3_close(db);

	before = read_all(path, &nb);
	s = NULL;
	r = lw_store_open(path, NULL, &s, err, sizeof(err));
	LW_CHECK_INT(r, -EPROTO);
	LW_CHECK(s == NULL);
	LW_CHECK(strstr(err, "newer") != NULL);
	LW_CHECK(strstr(err, "99") != NULL);
	after = read_all(path, &na);
	LW_CHECK(before && after && na == nb && memcmp(before, after, nb) == 0);
	free(before);
	free(after);
	db = db_open(path);
	LW_CHECK_INT(db_int(db, "PRAGMA user_version"), 99);
	LW_CHECK_INT(db_int(db, "SELECT count(*) FROM leaks"), 1);
	sqlite3_close(db);
}

/* The stats columns schema 2 added (the limit counters). */
static const char *const v2_columns[] = {
	"names_evicted", "dns_malformed", "http_malformed", "tls_malformed",	 "reasm_overflow",
	"reasm_gaps",	 "frag_dropped",  "quic_too_big",   "detect_budget_hit", "http_body_cut",
};

static const char *const v4_hostile_columns[] = {
	"dns_unmatched",   "dns_pending_evicted", "dhcp_chaddr_mismatch",
	"devices_refused", "block_guarded",
};

/*
 * Takes a database of the current schema back to what a leakwatch of schema `version` wrote,
 * by dropping the columns each later step added.
 */
static void make_old_schema(const char *path, int version)
{
	sqlite3 *db = db_open(path);
	char sql[128];
	size_t i;

	if (version < 7)
		db_exec(db, "DROP TABLE evidence; "
			    "ALTER TABLE stats DROP COLUMN buffer_refused; "
			    "ALTER TABLE stats DROP COLUMN buffer_refused_share; "
			    "ALTER TABLE stats DROP COLUMN buffer_peak_kb");
	if (version < 6) {
		/* and as old as it is: made without incremental auto-vacuum */
		db_exec(db,
			"DROP VIEW daily_summary; DROP TRIGGER daily_flow_insert; "
			"DROP TRIGGER daily_flow_update; DROP TRIGGER daily_dns_insert; "
			"DROP TRIGGER daily_leak_insert; DROP TABLE daily_traffic; "
			"DROP TABLE daily_leaks; DROP INDEX flows_last_seen; DROP INDEX dns_ts; "
			"DROP INDEX leaks_ts; DROP INDEX stats_ts; DROP INDEX blocks_ts; "
			"DROP INDEX stations_ts; DROP INDEX sessions_start; "
			"DROP INDEX devices_last_seen; "
			"ALTER TABLE stats DROP COLUMN dns_flows; "
			"ALTER TABLE stats DROP COLUMN db_bytes; "
			"ALTER TABLE stats DROP COLUMN pruned_rows; "
			"ALTER TABLE stats DROP COLUMN cap_pruned; "
			"ALTER TABLE stats DROP COLUMN vacuum_pages; "
			"ALTER TABLE stats DROP COLUMN checkpoint_busy; "
			"PRAGMA auto_vacuum = NONE; VACUUM");
	}
	if (version < 5)
		db_exec(db, "DROP VIEW device_names_readable; DROP TABLE device_names; "
			    "ALTER TABLE stats DROP COLUMN body_undecoded; "
			    "ALTER TABLE stats DROP COLUMN device_names_refused; "
			    "ALTER TABLE stats DROP COLUMN names_refused; "
			    "ALTER TABLE stats DROP COLUMN learned_evicted; "
			    "ALTER TABLE stats DROP COLUMN known_full; "
			    "ALTER TABLE stats DROP COLUMN store_dropped_share");
	if (version < 4)
		db_exec(db, "DROP VIEW stations_readable; DROP TABLE stations");
	for (i = 0; version < 4 && i < LW_ARRAY_SIZE(v4_hostile_columns); i++) {
		snprintf(sql, sizeof(sql), "ALTER TABLE stats DROP COLUMN %s",
			 v4_hostile_columns[i]);
		db_exec(db, sql);
	}
	if (version < 3)
		db_exec(db, "ALTER TABLE devices DROP COLUMN port");
	for (i = 0; version < 2 && i < LW_ARRAY_SIZE(v2_columns); i++) {
		snprintf(sql, sizeof(sql), "ALTER TABLE stats DROP COLUMN %s", v2_columns[i]);
		db_exec(db, sql);
	}
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", version);
	db_exec(db, sql);
	sqlite3_close(db);
}

/* A version 1 database (stats without the limit counters) is migrated, its rows kept. */
static void test_migrate_v1(void)
{
	char path[128];
	struct lw_store *s = open_ok(new_path(path, sizeof(path)), NULL);
	struct lw_leak_rec l = make_leak(0);
	sqlite3 *db;

	LW_CHECK_INT(lw_store_put_leak(s, &l), 0);
	lw_store_close(s);
	/* make it what leakwatch 0.1 wrote: schema 1 */
	make_old_schema(path, 1);
	db = db_open(path);
	LW_CHECK_INT(db_int(db, "SELECT count(*) FROM pragma_table_info('stats')"), 11);
	LW_CHECK_INT(db_int(db, "SELECT count(*) FROM pragma_table_info('devices')"), 9);
	sqlite3_close(db);

	s = open_ok(path, NULL);
	lw_store_close(s);
	db = db_open(path);
	LW_CHECK_INT(db_int(db, "PRAGMA user_version"), LW_STORE_SCHEMA_VERSION);
	LW_CHECK_INT(db_int(db, "SELECT count(*) FROM pragma_table_info('stats')"),
		     11 + (long long)LW_ARRAY_SIZE(v2_columns) +
			     (long long)LW_ARRAY_SIZE(v4_hostile_columns) + 6 + 6 + 3);
	LW_CHECK_INT(db_int(db, "SELECT count(*) FROM pragma_table_info('devices')"), 10);
	LW_CHECK_INT(db_int(db, "SELECT count(*) FROM leaks"), 1);
	sqlite3_close(db);
}

/*
 * A version 2 database (devices without port) is migrated to 3 by ALTER TABLE: every row is
 * kept as it was, port NULL, and the daemon's device writes (with a port) work on it.
 */
static void test_migrate_v2(void)
{
	char path[128], buf[1024], cols[512];
	struct lw_store *s = open_ok(new_path(path, sizeof(path)), NULL);
	struct lw_leak_rec l = make_leak(0);
	struct lw_device_rec d;
	struct lw_stats_rec st;
	sqlite3 *db;

	memset(&d, 0, sizeof(d));
	strcpy(d.mac, "02:10:00:00:00:01");
	d.ts = 1700000000;
	strcpy(d.hostname, "android-1");
	strcpy(d.dhcp_vendor, "android-dhcp-13");
	strcpy(d.ip, "192.0.2.11");
	strcpy(d.label, "Nokia 7 Plus");
	d.randomized = true;
	LW_CHECK_INT(lw_store_put_device(s, &d), 0);
	strcpy(d.mac, "3c:28:6d:00:00:02");
	d.ts = 1700000100;
	d.randomized = false;
	d.hostname[0] = d.dhcp_vendor[0] = d.label[0] = '\0';
	strcpy(d.ip, "192.0.2.12");
	strcpy(d.vendor, "Google, Inc.");
	LW_CHECK_INT(lw_store_put_device(s, &d), 0);
	LW_CHECK_INT(lw_store_put_leak(s, &l), 0);
	memset(&st, 0, sizeof(st));
	st.ts = 1700000300;
	st.packets = 600;
	st.names_evicted = 4;
	LW_CHECK_INT(lw_store_put_stats(s, &st), 0);
	lw_store_close(s);
	/* make it what leakwatch wrote before schema 3 */
	make_old_schema(path, 2);
	db = db_open(path);
	LW_CHECK_INT(db_int(db, "PRAGMA user_version"), 2);
	LW_CHECK_STR(db_list(db, "SELECT name FROM pragma_table_info('devices') ORDER BY cid", cols,
			     sizeof(cols)),
		     "mac,first_seen,last_seen,vendor,hostname,dhcp_vendor,randomized,label,ip");
	sqlite3_close(db);

	s = open_ok(path, NULL);
	lw_store_close(s);
	db = db_open(path);
	LW_CHECK_INT(db_int(db, "PRAGMA user_version"), LW_STORE_SCHEMA_VERSION);
	LW_CHECK_STR(db_list(db, "SELECT name FROM pragma_table_info('devices') ORDER BY cid", cols,
			     sizeof(cols)),
		     expected_schema[1].columns);
	LW_CHECK_INT(db_int(db, "SELECT count(*) FROM devices"), 2);
	LW_CHECK_STR(db_row(db, "SELECT * FROM devices ORDER BY mac", buf, sizeof(buf)),
		     "02:10:00:00:00:01|1700000000|1700000000|NULL|android-1|android-dhcp-13|1|"
		     "Nokia 7 Plus|192.0.2.11|NULL");
	LW_CHECK_STR(db_row(db, "SELECT * FROM devices ORDER BY mac DESC", buf, sizeof(buf)),
		     "3c:28:6d:00:00:02|1700000100|1700000100|Google, Inc.|NULL|NULL|0|NULL|"
		     "192.0.2.12|NULL");
	LW_CHECK_INT(db_int(db, "SELECT count(*) FROM leaks"), 1);
	LW_CHECK_STR(db_row(db, "SELECT ts, packets, names_evicted FROM stats", buf, sizeof(buf)),
		     "1700000300.0|600|4");
	sqlite3_close(db);

	/* the migrated table takes the port */
	s = open_ok(path, NULL);
	memset(&d, 0, sizeof(d));
	strcpy(d.mac, "02:10:00:00:00:01");
	d.ts = 1700000200;
	d.randomized = true;
	strcpy(d.port, "lw0p");
	d.known_only = true;
	LW_CHECK_INT(lw_store_put_device(s, &d), 0);
	lw_store_close(s);
	db = db_open(path);
	LW_CHECK_STR(db_row(db, "SELECT mac, hostname, ip, port FROM devices ORDER BY mac", buf,
			    sizeof(buf)),
		     "02:10:00:00:00:01|android-1|192.0.2.11|lw0p");
	sqlite3_close(db);
}

/*
 * A version 6 database (stats without the buffer budget's counters) is migrated to 7 by
 * ALTER TABLE: its stats rows are kept (the new columns NULL), and new rows carry them.
 */
static void test_migrate_v6(void)
{
	char path[128], buf[256];
	struct lw_store *s = open_ok(new_path(path, sizeof(path)), NULL);
	struct lw_stats_rec st;
	sqlite3 *db;

	memset(&st, 0, sizeof(st));
	st.ts = 1700000010;
	st.packets = 5;
	LW_CHECK_INT(lw_store_put_stats(s, &st), 0);
	lw_store_close(s);
	make_old_schema(path, 6);
	db = db_open(path);
	LW_CHECK_INT(db_int(db, "SELECT count(*) FROM pragma_table_info('stats') "
				"WHERE name LIKE 'buffer%'"),
		     0);
	sqlite3_close(db);

	s = open_ok(path, NULL);
	st.ts = 1700000070;
	st.packets = 9;
	st.buffer_refused = 4;
	st.buffer_refused_share = 3;
	st.buffer_peak_kb = 2048;
	LW_CHECK_INT(lw_store_put_stats(s, &st), 0);
	lw_store_close(s);
	db = db_open(path);
	LW_CHECK_INT(db_int(db, "PRAGMA user_version"), LW_STORE_SCHEMA_VERSION);
	LW_CHECK_STR(db_list(db,
			     "SELECT packets || ':' || ifnull(buffer_refused, 'NULL') || ':' || "
			     "ifnull(buffer_refused_share, 'NULL') || ':' || "
			     "ifnull(buffer_peak_kb, 'NULL') FROM stats ORDER BY ts",
			     buf, sizeof(buf)),
		     "5:NULL:NULL:NULL,9:4:3:2048");
	sqlite3_close(db);
}

/*
 * A version 3 database (before stations) is migrated to 4: every table keeps its rows, the
 * stations table, its index and view appear, and station rows are written to it.
 */
static void test_migrate_v3(void)
{
	char path[128], buf[1024];
	struct lw_store *s = open_ok(new_path(path, sizeof(path)), NULL);
	struct lw_leak_rec l = make_leak(0);
	struct lw_flow_rec f = make_flow(9);
	struct lw_station_rec sta = make_station(1700000500);
	struct lw_device_rec d;
	struct lw_session_rec se;
	sqlite3 *db;

	memset(&d, 0, sizeof(d));
	strcpy(d.mac, "02:11:22:33:44:55");
	d.ts = 1700000000;
	strcpy(d.port, "wlan0");
	LW_CHECK_INT(lw_store_put_device(s, &d), 0);
	memset(&se, 0, sizeof(se));
	strcpy(se.mac, "02:11:22:33:44:55");
	strcpy(se.ifname, "wlan0");
	se.start = 1700000000.5;
	LW_CHECK_INT(lw_store_put_session(s, &se), 0);
	LW_CHECK_INT(lw_store_put_leak(s, &l), 0);
	LW_CHECK_INT(lw_store_put_flow(s, &f), 0);
	lw_store_close(s);
	make_old_schema(path, 3);
	db = db_open(path);
	LW_CHECK_INT(db_int(db, "PRAGMA user_version"), 3);
	LW_CHECK_INT(db_int(db, "SELECT count(*) FROM sqlite_master WHERE name LIKE 'stations%'"),
		     0);
	sqlite3_close(db);

	s = open_ok(path, NULL);
	LW_CHECK_INT(lw_store_put_station(s, &sta), 0);
	lw_store_close(s);
	db = db_open(path);
	LW_CHECK_INT(db_int(db, "PRAGMA user_version"), LW_STORE_SCHEMA_VERSION);
	LW_CHECK_INT(db_int(db, "SELECT count(*) FROM pragma_table_info('stations')"),
		     STATION_COLS_V4);
	LW_CHECK_STR(db_list(db, "SELECT name FROM pragma_index_info('stations_mac_ts')", buf,
			     sizeof(buf)),
		     "mac,ts");
	LW_CHECK_INT(db_int(db, "SELECT count(*) FROM sqlite_master WHERE name = "
				"'stations_readable' AND type = 'view'"),
		     1);
	LW_CHECK_STR(db_row(db, "SELECT mac, port FROM devices", buf, sizeof(buf)),
		     "02:11:22:33:44:55|wlan0");
	LW_CHECK_STR(
		db_row(db, "SELECT mac, ifname, start, \"end\" FROM sessions", buf, sizeof(buf)),
		"02:11:22:33:44:55|wlan0|1700000000.5|NULL");
	LW_CHECK_INT(db_int(db, "SELECT count(*) FROM leaks"), 1);
	LW_CHECK_INT(db_int(db, "SELECT id FROM flows"), 9);
	LW_CHECK_STR(db_row(db,
			    "SELECT ts, mac, ifname, signal, tx_bitrate, inactive_ms FROM "
			    "stations",
			    buf, sizeof(buf)),
		     "1700000500.0|02:11:22:33:44:55|wlan0|-42|866700|1234");
	sqlite3_close(db);
}

static void check_refused(const char *path, int expect, const char *needle)
{
	unsigned char *before, *after;
	char err[256] = "";
	struct lw_store *s = NULL;
	size_t nb, na;

	before = read_all(path, &nb);
	LW_CHECK_INT(lw_store_open(path, NULL, &s, err, sizeof(err)), expect);
	LW_CHECK(s == NULL);
	if (!strstr(err, needle)) {
		fprintf(stderr, "     message \"%s\" lacks \"%s\"\n", err, needle);
		LW_CHECK(0);
	}
	after = read_all(path, &na);
	LW_CHECK(before && after && na == nb && memcmp(before, after, nb) == 0);
	free(before);
	free(after);
}

/*
 * A database name that is a symbolic link, or a file other users can reach or do not own, is
 * refused with one message and left as it was; nothing is created behind a link.
 */
static void test_refuse_unsafe(void)
{
	char path[128], target[160], side[160];
	struct lw_store *s = NULL;
	char err[256];
	struct stat st;
	int fd;

	/* a link to where the database would be */
	new_path(path, sizeof(path));
	snprintf(target, sizeof(target), "%s.target", path);
	LW_CHECK_INT(symlink(target, path), 0);
	LW_CHECK_INT(lw_store_open(path, NULL, &s, err, sizeof(err)), -EPERM);
	LW_CHECK(strstr(err, "symbolic link") != NULL);
	LW_CHECK(stat(target, &st) < 0 && errno == ENOENT); /* not created */
	/* a link to an existing file */
	fd = open(target, O_CREAT | O_WRONLY, 0600);
	close(fd);
	LW_CHECK_INT(lw_store_open(path, NULL, &s, err, sizeof(err)), -EPERM);
	LW_CHECK(stat(target, &st) == 0 && st.st_size == 0);

	/* made beforehand, readable or writable by others */
	for (int i = 0; i < 3; i++) {
		static const mode_t modes[] = {0666, 0644, 0620};

		new_path(path, sizeof(path));
		fd = open(path, O_CREAT | O_WRONLY, 0600);
		close(fd);
		chmod(path, modes[i]);
		check_refused(path, -EPERM, "chmod 0600");
	}

	/* owned by another user (only root can make one) */
	if (geteuid() == 0) {
		new_path(path, sizeof(path));
		fd = open(path, O_CREAT | O_WRONLY, 0600);
		close(fd);
		LW_CHECK_INT(chown(path, 65534, 65534), 0);
		check_refused(path, -EPERM, "owned by uid 65534");
	}

	/* a -wal file that is a link (SQLite would write the log through it) */
	new_path(path, sizeof(path));
	snprintf(side, sizeof(side), "%s-wal", path);
	LW_CHECK_INT(symlink(target, side), 0);
	LW_CHECK_INT(lw_store_open(path, NULL, &s, err, sizeof(err)), -EPERM);
	LW_CHECK(strstr(err, "-wal file is a symbolic link") != NULL);
	LW_CHECK(stat(target, &st) == 0 && st.st_size == 0);
	LW_CHECK(s == NULL);
}

static void test_refuse_foreign(void)
{
	char path[128];
	sqlite3 *db;
	FILE *f;

	/* Not SQLite at all. */
	new_path(path, sizeof(path));
	f = fopen(path, "w");
	for (int i = 0; i < 200; i++)
		fputs("this is a text file, not a database\n", f);
	fclose(f);
	check_refused(path, -ENOTSUP, "not an SQLite database");

	/* Someone else's SQLite database. */
	new_path(path, sizeof(path));
	db = NULL;
	sqlite3_open(path, &db);
	db_exec(db, "CREATE TABLE photos(id INTEGER PRIMARY KEY, name TEXT)");
	db_exec(db, "INSERT INTO photos(name) VALUES('cat.jpg')");
	sqlite3_close(db);
	check_refused(path, -ENOTSUP, "other tables");

	/* ... one that uses user_version for itself ... */
	new_path(path, sizeof(path));
	sqlite3_open(path, &db);
	db_exec(db, "CREATE TABLE t(x); PRAGMA user_version = 1");
	sqlite3_close(db);
	check_refused(path, -ENOTSUP, "not a leakwatch database");

	/* ... or declares another application. */
	new_path(path, sizeof(path));
	sqlite3_open(path, &db);
	db_exec(db, "PRAGMA application_id = 1234; CREATE TABLE t(x)");
	sqlite3_close(db);
	check_refused(path, -ENOTSUP, "another application");

	/* A directory, and a path that cannot be created. */
	{
		struct lw_store *s = NULL;
		char err[256];

		LW_CHECK_INT(lw_store_open(tmpdir, NULL, &s, err, sizeof(err)), -EISDIR);
		snprintf(path, sizeof(path), "%s/no/such/dir.db", tmpdir);
		LW_CHECK_INT(lw_store_open(path, NULL, &s, err, sizeof(err)), -ENOENT);
		LW_CHECK(strstr(err, "no/such") != NULL);
	}

	/* An empty file (what `touch` or an interrupted first start leaves) is fine. */
	new_path(path, sizeof(path));
	f = fopen(path, "w");
	fclose(f);
	lw_store_close(open_ok(path, NULL));
	LW_CHECK_INT(count_rows(path, "leaks"), 0);
}

static void test_file_mode(void)
{
	char path[128], wal[160];
	struct lw_store *s;
	struct lw_leak_rec l = make_leak(0);
	struct stat st;
	mode_t old = umask(0); /* the most permissive umask: the store must not rely on it */

	s = open_ok(new_path(path, sizeof(path)), NULL);
	umask(old);
	LW_CHECK_INT(lw_store_put_leak(s, &l), 0);
	LW_CHECK_INT(lw_store_flush(s), 0);
	LW_CHECK(stat(path, &st) == 0);
	LW_CHECK_INT(st.st_mode & 07777, 0600);
	snprintf(wal, sizeof(wal), "%s-wal", path);
	LW_CHECK(stat(wal, &st) == 0);
	LW_CHECK_INT(st.st_mode & 07777, 0600);
	lw_store_close(s);
}

static void test_close_flushes(void)
{
	char path[128], wal[160];
	struct lw_store_config cfg = {.commit_interval = 10 * LW_USEC_PER_SEC};
	struct lw_store *s = open_ok(new_path(path, sizeof(path)), &cfg);
	struct stat st;
	int n = 5000;

	for (int i = 0; i < n; i++) {
		struct lw_flow_rec f = make_flow((uint64_t)i + 1);
		struct lw_leak_rec l = make_leak(i);

		LW_CHECK_INT(lw_store_put_flow(s, &f), 0);
		if (i % 10 == 0)
			LW_CHECK_INT(lw_store_put_leak(s, &l), 0);
	}
	/* No flush: close alone must write it all. */
	LW_CHECK_INT(lw_store_stop(s), 0);
	LW_CHECK_INT(lw_store_stop(s), 0); /* idempotent */
	{
		struct lw_flow_rec f = make_flow(1);
		struct lw_store_stats ss;

		LW_CHECK_INT(lw_store_put_flow(s, &f), -ESHUTDOWN);
		lw_store_get_stats(s, &ss);
		LW_CHECK_INT(ss.written, n + n / 10);
		LW_CHECK_INT(ss.lost, 0);
	}
	lw_store_close(s);
	/* The WAL was checkpointed into the database file. */
	snprintf(wal, sizeof(wal), "%s-wal", path);
	LW_CHECK(stat(wal, &st) != 0 || st.st_size == 0);
	LW_CHECK_INT(count_rows(path, "flows"), n);
	LW_CHECK_INT(count_rows(path, "leaks"), n / 10);
	lw_store_close(NULL);
}

static void test_close_gives_up(void)
{
	char path[128];
	struct lw_store *s = open_ok(new_path(path, sizeof(path)), NULL);
	sqlite3 *other = db_open(path);
	struct lw_store_stats ss;
	double t0;

	db_exec(other, "BEGIN EXCLUSIVE");
	db_exec(other, "INSERT INTO meta(key, value) VALUES('holder', 'test')");
	for (int i = 0; i < 10; i++) {
		struct lw_leak_rec l = make_leak(i);

		LW_CHECK_INT(lw_store_put_leak(s, &l), 0);
	}
	t0 = now_s();
	LW_CHECK_INT(lw_store_stop(s), -EIO);
	LW_CHECK(now_s() - t0 >= LW_STORE_CLOSE_TIMEOUT_SEC);
	LW_CHECK(now_s() - t0 < LW_STORE_CLOSE_TIMEOUT_SEC + 3);
	lw_store_get_stats(s, &ss);
	LW_CHECK_INT(ss.lost, 10);
	LW_CHECK_INT(ss.written, 0);
	LW_CHECK_INT(ss.pending, 0);
	LW_CHECK_INT(lw_store_flush(s), -EIO); /* what was queued was never committed */
	lw_store_close(s);
	db_exec(other, "COMMIT");
	LW_CHECK_INT(db_int(other, "SELECT count(*) FROM leaks"), 0);
	sqlite3_close(other);
}

/*
 * A full disk, simulated with RLIMIT_FSIZE (writes past the limit fail with EFBIG, which SQLite
 * reports as an I/O error, as it would ENOSPC): the batch is kept and written once there is
 * room again.
 */
static void test_disk_full(void)
{
	char path[128];
	struct lw_store_config cfg = {.commit_interval = 20 * 1000};
	struct lw_store *s = open_ok(new_path(path, sizeof(path)), &cfg);
	struct lw_store_stats ss;
	struct rlimit old, lim;
	void (*old_sig)(int);
	/* More than SQLite's page cache holds, so that inserts (not only COMMIT) hit the limit. */
	int n = 12000;

	getrlimit(RLIMIT_FSIZE, &old);
	old_sig = signal(SIGXFSZ, SIG_IGN);
	lim = old;
	lim.rlim_cur = 64 * 1024;
	if (setrlimit(RLIMIT_FSIZE, &lim) < 0) {
		fprintf(stderr, "     skipped: setrlimit: %s\n", strerror(errno));
		signal(SIGXFSZ, old_sig);
		lw_store_close(s);
		return;
	}
	for (int i = 0; i < n; i++) {
		struct lw_leak_rec l = make_leak(i);

		memset(l.snippet, 'x', sizeof(l.snippet) - 1);
		LW_CHECK_INT(lw_store_put_leak(s, &l), 0);
	}
	wait_write_error(s, 5);
	lw_store_get_stats(s, &ss);
	LW_CHECK(ss.write_errors > 0);
	LW_CHECK_INT(ss.pending, n);
	setrlimit(RLIMIT_FSIZE, &old);
	signal(SIGXFSZ, old_sig);

	LW_CHECK_INT(lw_store_flush(s), 0);
	LW_CHECK_INT(count_rows(path, "leaks"), n);
	lw_store_get_stats(s, &ss);
	LW_CHECK_INT(ss.written, n);
	LW_CHECK_INT(ss.dropped, 0);
	LW_CHECK_INT(ss.rejected, 0);
	lw_store_close(s);
	LW_CHECK_INT(count_rows(path, "leaks"), n);
}

/* A record SQLite refuses for good is skipped and counted; it does not hold up the rest. */
static void test_rejected(void)
{
	char path[128];
	struct lw_store *s = open_ok(new_path(path, sizeof(path)), NULL);
	sqlite3 *db = db_open(path);
	struct lw_leak_rec l = make_leak(0);
	struct lw_block_rec b;
	struct lw_store_stats ss;

	db_exec(db, "DROP TABLE blocks"); /* a user tidying up by hand */
	memset(&b, 0, sizeof(b));
	b.ts = 1700000000;
	strcpy(b.ip, "203.0.113.9");
	strcpy(b.action, "add");
	LW_CHECK_INT(lw_store_put_leak(s, &l), 0);
	LW_CHECK_INT(lw_store_put_block(s, &b), 0);
	LW_CHECK_INT(lw_store_put_leak(s, &l), 0);
	LW_CHECK_INT(lw_store_flush(s), 0);
	lw_store_get_stats(s, &ss);
	LW_CHECK_INT(ss.rejected, 1);
	LW_CHECK_INT(ss.written, 2);
	LW_CHECK_INT(ss.pending, 0);
	LW_CHECK_INT(db_int(db, "SELECT count(*) FROM leaks"), 2);
	sqlite3_close(db);
	lw_store_close(s);
}

static void test_retention(void)
{
	char path[128], buf[256];
	struct lw_store_config cfg = {
		.retain_days = {
			.flows = 2, .dns = 2, .leaks = 2, .stats = 2, .blocks = 2, .stations = 2}};
	struct lw_store *s = open_ok(new_path(path, sizeof(path)), NULL);
	double now = wall_s(), t0;
	long long left = -1;
	sqlite3 *db;

	/* Old and new rows of every kind retention covers; devices and meta are kept. */
	for (int age = 0; age < 2; age++) {
		double ts = age ? now - 3 * 86400 : now - 3600;
		struct lw_leak_rec l = make_leak(0);
		struct lw_flow_rec f = make_flow((uint64_t)age + 1);
		struct lw_dns_rec d;
		struct lw_stats_rec st;
		struct lw_block_rec b;
		struct lw_device_rec dev;
		struct lw_station_rec sta = make_station(ts);

		l.ts = ts;
		f.first_seen = ts - 10;
		f.last_seen = ts;
		memset(&d, 0, sizeof(d));
		d.ts = ts;
		strcpy(d.qname, age ? "old.example" : "new.example");
		memset(&st, 0, sizeof(st));
		st.ts = ts;
		memset(&b, 0, sizeof(b));
		b.ts = ts;
		strcpy(b.ip, "203.0.113.9");
		strcpy(b.action, "add");
		memset(&dev, 0, sizeof(dev));
		strcpy(dev.mac, age ? "02:00:00:00:00:01" : "02:00:00:00:00:00");
		dev.ts = ts;
		LW_CHECK_INT(lw_store_put_leak(s, &l), 0);
		LW_CHECK_INT(lw_store_put_flow(s, &f), 0);
		LW_CHECK_INT(lw_store_put_dns(s, &d), 0);
		LW_CHECK_INT(lw_store_put_stats(s, &st), 0);
		LW_CHECK_INT(lw_store_put_block(s, &b), 0);
		LW_CHECK_INT(lw_store_put_device(s, &dev), 0);
		LW_CHECK_INT(lw_store_put_station(s, &sta), 0);
	}
	lw_store_close(s);
	LW_CHECK_INT(count_rows(path, "dns"), 2);

	/* The pass runs when the store opens, in the writer, beside normal writes. */
	s = open_ok(path, &cfg);
	db = db_open(path);
	t0 = now_s();
	while (now_s() - t0 < 10) {
		left = db_int(db,
			      "SELECT (SELECT count(*) FROM dns) + (SELECT count(*) FROM flows) "
			      "+ (SELECT count(*) FROM leaks) + (SELECT count(*) FROM stats) "
			      "+ (SELECT count(*) FROM blocks) + (SELECT count(*) FROM stations)");
		if (left == 6)
			break;
		usleep(20000);
	}
	LW_CHECK_INT(left, 6);
	LW_CHECK(db_int(db, "SELECT min(ts) FROM stations") > (long long)now - 7200);
	LW_CHECK_STR(db_row(db, "SELECT qname FROM dns", buf, sizeof(buf)), "new.example");
	LW_CHECK_INT(db_int(db, "SELECT id FROM flows"), 1);
	LW_CHECK_INT(db_int(db, "SELECT count(*) FROM devices"), 2);
	sqlite3_close(db);
	lw_store_close(s);
}

static void test_throughput(void)
{
	char path[128];
	struct lw_store_config cfg = {.queue_max = 200000};
	struct lw_store *s = open_ok(new_path(path, sizeof(path)), &cfg);
	struct lw_store_stats ss;
	const int n = 100000;
	double t0, t1, t2;

	t0 = now_s();
	for (int i = 0; i < n; i++) {
		struct lw_flow_rec f = make_flow((uint64_t)i + 1);

		f.bytes_out = (uint64_t)i;
		if (lw_store_put_flow(s, &f) < 0)
			break;
	}
	t1 = now_s();
	LW_CHECK_INT(lw_store_flush(s), 0);
	t2 = now_s();
	lw_store_get_stats(s, &ss);
	LW_CHECK_INT(ss.written, n);
	LW_CHECK_INT(ss.dropped, 0);
	fprintf(stderr,
		"     %d flows: queued in %.3f s (%.0f/s), written in %.3f s (%.0f rows/s)\n", n,
		t1 - t0, n / (t1 - t0), t2 - t0, n / (t2 - t0));
	lw_store_close(s);
	LW_CHECK_INT(count_rows(path, "flows"), n);
	{
		sqlite3 *db = db_open(path);

		LW_CHECK_INT(db_int(db, "SELECT sum(bytes_out) FROM flows"),
			     (long long)n * (n - 1) / 2);
		sqlite3_close(db);
	}
}

/* Several producer threads at once: every accepted record is written exactly once. */
struct producer_arg {
	struct lw_store *s;
	int base, n, ok;
};

static void *producer(void *p)
{
	struct producer_arg *a = p;

	for (int i = 0; i < a->n; i++) {
		struct lw_flow_rec f = make_flow((uint64_t)(a->base + i));

		if (lw_store_put_flow(a->s, &f) == 0)
			a->ok++;
		if (i % 1000 == 0)
			lw_store_flush(a->s);
	}
	return NULL;
}

static void test_producers(void)
{
	char path[128];
	struct lw_store_config cfg = {.queue_max = 4096, .commit_interval = 5000};
	struct lw_store *s = open_ok(new_path(path, sizeof(path)), &cfg);
	struct producer_arg a[4];
	pthread_t t[4];
	struct lw_store_stats ss;
	int ok = 0;

	for (int i = 0; i < 4; i++) {
		a[i] = (struct producer_arg){s, 1 + i * 100000, 10000, 0};
		pthread_create(&t[i], NULL, producer, &a[i]);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		ok += a[i].ok;
	}
	LW_CHECK_INT(lw_store_flush(s), 0);
	lw_store_get_stats(s, &ss);
	LW_CHECK_INT(ss.queued, ok);
	LW_CHECK_INT(ss.queued + ss.dropped, 40000);
	LW_CHECK_INT(ss.written, ok);
	lw_store_close(s);
	LW_CHECK_INT(count_rows(path, "flows"), ok);
}

static void cleanup_tmpdir(void)
{
	DIR *d = opendir(tmpdir);
	struct dirent *e;
	char p[512];

	if (!d)
		return;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "%s/%s", tmpdir, e->d_name);
		unlink(p);
	}
	closedir(d);
	rmdir(tmpdir);
}

/* Evidence rows: one per (mac, dest, kind), the pcap kept byte for byte, the oldest going
 * first beyond max_rows and beyond max_bytes, a malformed record refused. */
static void test_evidence(void)
{
	struct lw_store_config cfg = {.evidence_max_rows = 4, .evidence_max_bytes = 10000};
	static uint8_t pcap[LW_STORE_EVIDENCE_PCAP_MAX + 1];
	char path[128], dest[32];
	struct lw_evidence_rec e;
	struct lw_store *s;
	sqlite3 *db;
	int i;

	for (i = 0; i < (int)sizeof(pcap); i++)
		pcap[i] = (uint8_t)(i * 7);
	s = open_ok(new_path(path, sizeof(path)), &cfg);
	memset(&e, 0, sizeof(e));
	snprintf(e.mac, sizeof(e.mac), "02:00:00:00:00:01");
	snprintf(e.kind, sizeof(e.kind), "imei");
	e.pcap = pcap;
	LW_CHECK_INT(lw_store_put_evidence(s, &e), -EINVAL); /* no dest, no length */
	snprintf(e.dest, sizeof(e.dest), "zzhc.vnet.cn");
	LW_CHECK_INT(lw_store_put_evidence(s, &e), -EINVAL);
	e.pcap_len = sizeof(pcap);
	LW_CHECK_INT(lw_store_put_evidence(s, &e), -EINVAL); /* too big for one row */
	e.pcap_len = 1000;
	e.packets = 4;
	e.linktype = 1;
	LW_CHECK_INT(lw_store_put_evidence(s, &e), 0);
	e.pcap_len = 999; /* the same key again: ignored */
	LW_CHECK_INT(lw_store_put_evidence(s, &e), 0);
	LW_CHECK_INT(lw_store_flush(s), 0);
	db = db_open(path);
	LW_CHECK_INT(db_int(db, "SELECT count(*) FROM evidence"), 1);
	LW_CHECK_INT(db_int(db, "SELECT bytes FROM evidence"), 1000);
	LW_CHECK_INT(db_int(db, "SELECT count(*) FROM evidence WHERE pcap = "
				"(SELECT pcap FROM evidence) AND length(pcap) = 1000 AND "
				"hex(substr(pcap, 1, 3)) = '00070E'"),
		     1);
	sqlite3_close(db);
	/* 6 more keys of 1000 bytes: 4 rows kept, the newest */
	for (i = 0; i < 6; i++) {
		snprintf(dest, sizeof(dest), "d%d.example", i);
		snprintf(e.dest, sizeof(e.dest), "%s", dest);
		e.pcap_len = 1000;
		LW_CHECK_INT(lw_store_put_evidence(s, &e), 0);
	}
	LW_CHECK_INT(lw_store_flush(s), 0);
	db = db_open(path);
	LW_CHECK_INT(db_int(db, "SELECT count(*) FROM evidence"), 4);
	LW_CHECK_INT(db_int(db, "SELECT count(*) FROM evidence WHERE dest IN ('d2.example', "
				"'d3.example', 'd4.example', 'd5.example')"),
		     4);
	sqlite3_close(db);
	/* a large one: the bytes bound (10 000) pushes out the oldest */
	snprintf(e.dest, sizeof(e.dest), "big.example");
	e.pcap_len = 8000;
	LW_CHECK_INT(lw_store_put_evidence(s, &e), 0);
	LW_CHECK_INT(lw_store_flush(s), 0);
	db = db_open(path);
	LW_CHECK_INT(db_int(db, "SELECT count(*) FROM evidence"), 3);
	LW_CHECK_INT(db_int(db, "SELECT sum(bytes) FROM evidence"), 10000);
	LW_CHECK_INT(db_int(db, "SELECT count(*) FROM evidence WHERE dest = 'big.example'"), 1);
	sqlite3_close(db);
	lw_store_close(s);
}

int main(void)
{
	umask(077); /* files the tests make are the daemon's own (test_refuse_unsafe makes others) */
	strcpy(tmpdir, "/tmp/lw-store-XXXXXX");
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 2;
	}
	LW_TEST(test_schema);
	LW_TEST(test_roundtrip);
	LW_TEST(test_flow_upsert);
	LW_TEST(test_device_merge);
	LW_TEST(test_device_names);
	LW_TEST(test_queue_bound);
	LW_TEST(test_queue_share);
	LW_TEST(test_queue_waits);
	LW_TEST(test_wal_reader);
	LW_TEST(test_visible_soon);
	LW_TEST(test_refuse_newer);
	LW_TEST(test_migrate_v1);
	LW_TEST(test_migrate_v2);
	LW_TEST(test_migrate_v3);
	LW_TEST(test_migrate_v6);
	LW_TEST(test_refuse_foreign);
	LW_TEST(test_refuse_unsafe);
	LW_TEST(test_file_mode);
	LW_TEST(test_close_flushes);
	LW_TEST(test_close_gives_up);
	LW_TEST(test_disk_full);
	LW_TEST(test_rejected);
	LW_TEST(test_retention);
	LW_TEST(test_evidence);
	LW_TEST(test_producers);
	LW_TEST(test_throughput);
	cleanup_tmpdir();
	return lw_test_end();
}
