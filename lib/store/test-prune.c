/* SPDX-License-Identifier: MIT */
/*
 * Tests of the data's life: retention per table on the data's clock, the size cap, the daily
 * aggregates that outlive the raw rows, the rollback journal, the v5 -> v6 migration, and the
 * storage probe's classification.
 */
#include "lw-test.h"
#include "store/storage.h"
#include "store/store.h"

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static char tmpdir[64];
static int db_serial;

static const char *new_path(char *buf, size_t len)
{
	snprintf(buf, len, "%s/p%d.db", tmpdir, ++db_serial);
	return buf;
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

static long long db_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	long long v = -1;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		fprintf(stderr, "%s: %s\n", sql, sqlite3_errmsg(db));
		exit(2);
	}
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
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

/* The database file and its WAL, as the filesystem has them. */
static uint64_t file_bytes(const char *path)
{
	char wal[160];
	struct stat st;
	uint64_t n = 0;

	if (stat(path, &st) == 0)
		n += (uint64_t)st.st_size;
	snprintf(wal, sizeof(wal), "%s-wal", path);
	if (stat(wal, &st) == 0)
		n += (uint64_t)st.st_size;
	return n;
}

#define MAC_A "02:00:00:00:00:0a"
#define MAC_B "02:00:00:00:00:0b"

static struct lw_flow_rec flow(uint64_t id, const char *mac, const char *domain, double ts)
{
	struct lw_flow_rec f;

	memset(&f, 0, sizeof(f));
	f.id = id;
	snprintf(f.mac, sizeof(f.mac), "%s", mac);
	strcpy(f.proto, "tcp");
	strcpy(f.src_ip, "192.0.2.10");
	f.src_port = (uint16_t)(40000 + id % 20000);
	strcpy(f.dst_ip, "203.0.113.5");
	f.dst_port = 443;
	f.first_seen = ts;
	f.last_seen = ts + 5;
	snprintf(f.domain, sizeof(f.domain), "%s", domain);
	f.pkts_out = 2;
	f.bytes_out = 100 + id % 7;
	f.pkts_in = 3;
	f.bytes_in = 1000 + id % 13;
	return f;
}

static struct lw_dns_rec dns(const char *mac, const char *qname, double ts)
{
	struct lw_dns_rec d;

	memset(&d, 0, sizeof(d));
	d.ts = ts;
	snprintf(d.mac, sizeof(d.mac), "%s", mac);
	strcpy(d.client_ip, "192.0.2.10");
	strcpy(d.server_ip, "192.0.2.1");
	snprintf(d.qname, sizeof(d.qname), "%s", qname);
	d.qtype = 1;
	d.rcode = 0;
	strcpy(d.answers, "203.0.113.5");
	d.ttl = 300;
	return d;
}

static struct lw_leak_rec leak(const char *mac, const char *domain, double ts)
{
	struct lw_leak_rec l;

	memset(&l, 0, sizeof(l));
	l.ts = ts;
	snprintf(l.mac, sizeof(l.mac), "%s", mac);
	snprintf(l.domain, sizeof(l.domain), "%s", domain);
	strcpy(l.dst_ip, "203.0.113.9");
	l.dst_port = 80;
	strcpy(l.proto, "tcp");
	strcpy(l.kind, "imei");
	strcpy(l.value, "490154203237518");
	strcpy(l.location, "http.query");
	strcpy(l.confidence, "known");
	strcpy(l.snippet, "imei=490154203237518&pad=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
	return l;
}

/* 2019-01-01T00:00:00Z: a capture from long ago, read today. */
#define T2019 1546300800.0
#define DAY 86400.0

/* Waits (bounded) until the writer's retention pass has left `want` rows in the table. */
static long long wait_rows(sqlite3 *db, const char *sql, long long want)
{
	long long n = -1;

	for (int i = 0; i < 500; i++) {
		n = db_int(db, sql);
		if (n == want)
			break;
		usleep(20000);
	}
	return n;
}

/*
 * Retention per table, on the data's clock: rows 10 days older than the newest record go from
 * the tables kept 2 days, stay in those kept forever (leaks, the daily aggregates), and the
 * newest rows, from 2019, stay although the wall clock says they are years old.
 */
static void test_retention_data_clock(void)
{
	char path[128];
	struct lw_store_config cfg = {.retain_days = {.flows = 2,
						      .dns = 2,
						      .devices = 2,
						      .stats = 2,
						      .blocks = 2,
						      .sessions = 2,
						      .stations = 2,
						      .device_names = 2}};
	struct lw_store *s = open_ok(new_path(path, sizeof(path)), NULL);
	struct lw_store_stats ss;
	sqlite3 *db;

	for (int age = 0; age < 2; age++) {
		double ts = age ? T2019 - 10 * DAY : T2019;
		const char *mac = age ? MAC_A : MAC_B;
		struct lw_flow_rec f = flow((uint64_t)age + 1, mac, "a.example", ts);
		struct lw_dns_rec d = dns(mac, "a.example", ts);
		struct lw_leak_rec l = leak(mac, "a.example", ts);
		struct lw_stats_rec st = {.ts = ts};
		struct lw_block_rec b = {.ts = ts, .ip = "203.0.113.9", .action = "add"};
		struct lw_session_rec se = {.start = ts, .end = ts + 60, .ifname = "wlan0"};
		struct lw_station_rec sta = {.ts = ts, .ifname = "wlan0"};
		struct lw_device_rec dev = {.ts = ts};
		struct lw_device_name_rec dn = {
			.ts = ts, .proto = "mdns", .name = "phone", .count = 1};

		strcpy(se.mac, mac);
		strcpy(sta.mac, mac);
		strcpy(dev.mac, mac);
		strcpy(dn.mac, mac);
		LW_CHECK_INT(lw_store_put_flow(s, &f), 0);
		LW_CHECK_INT(lw_store_put_dns(s, &d), 0);
		LW_CHECK_INT(lw_store_put_leak(s, &l), 0);
		LW_CHECK_INT(lw_store_put_stats(s, &st), 0);
		LW_CHECK_INT(lw_store_put_block(s, &b), 0);
		LW_CHECK_INT(lw_store_put_session(s, &se), 0);
		LW_CHECK_INT(lw_store_put_station(s, &sta), 0);
		LW_CHECK_INT(lw_store_put_device(s, &dev), 0);
		LW_CHECK_INT(lw_store_put_device_name(s, &dn), 0);
	}
	lw_store_close(s);

	s = open_ok(path, &cfg);
	db = db_open(path);
	LW_CHECK_INT(
		wait_rows(db,
			  "SELECT (SELECT count(*) FROM flows) + (SELECT count(*) FROM dns) + "
			  "(SELECT count(*) FROM stats) + (SELECT count(*) FROM blocks) + "
			  "(SELECT count(*) FROM sessions) + (SELECT count(*) FROM stations) + "
			  "(SELECT count(*) FROM devices) + (SELECT count(*) FROM device_names)",
			  8),
		8);
	/* what is left is the newest of each */
	LW_CHECK_INT(db_int(db, "SELECT count(*) FROM flows WHERE mac = '" MAC_B "'"), 1);
	LW_CHECK_INT(db_int(db, "SELECT count(*) FROM devices WHERE mac = '" MAC_B "'"), 1);
	LW_CHECK_INT(db_int(db, "SELECT count(*) FROM device_names WHERE mac = '" MAC_B "'"), 1);
	LW_CHECK_INT(db_int(db, "SELECT count(*) FROM sessions WHERE mac = '" MAC_B "'"), 1);
	/* kept forever: leaks and the aggregates of both days */
	LW_CHECK_INT(db_int(db, "SELECT count(*) FROM leaks"), 2);
	LW_CHECK_INT(db_int(db, "SELECT count(*) FROM daily_leaks"), 2);
	LW_CHECK_INT(db_int(db, "SELECT sum(flows) FROM daily_traffic"), 2);
	LW_CHECK_INT(db_int(db, "SELECT sum(dns_queries) FROM daily_traffic"), 2);
	sqlite3_close(db);
	/* the counters are published just after the pass's last commit */
	for (int i = 0; i < 500; i++) {
		lw_store_get_stats(s, &ss);
		if (ss.pruned_rows >= 8)
			break;
		usleep(20000);
	}
	LW_CHECK_INT(ss.pruned_rows, 8);
	LW_CHECK_INT(ss.cap_pruned, 0);
	LW_CHECK(ss.data_time >= T2019 && ss.data_time < T2019 + DAY);

	/* a record from a clock gone wrong (a year ahead) does not make the rest look old */
	{
		struct lw_dns_rec d = dns(MAC_B, "future.example", 1e10);

		LW_CHECK_INT(lw_store_put_dns(s, &d), 0);
		LW_CHECK_INT(lw_store_flush(s), 0);
		lw_store_get_stats(s, &ss);
		LW_CHECK(ss.data_time < T2019 + DAY);
	}
	lw_store_close(s);
}

/*
 * The cap holds while far more than it is written: after every flush the file and its WAL are
 * within the cap plus one batch; rows are deleted for it, the file shrinks again, and the
 * newest rows are the ones kept.
 */
static void test_cap_holds(void)
{
	char path[128], name[64];
	const uint64_t cap = 2u << 20;
	/* a batch: 500 rows of ~250 bytes with their indexes, and the WAL's frame headers */
	const uint64_t batch = 512u << 10;
	struct lw_store_config cfg = {.max_db_bytes = cap, .commit_interval = 20 * 1000};
	struct lw_store *s = open_ok(new_path(path, sizeof(path)), &cfg);
	struct lw_store_stats ss;
	uint64_t size, most = 0, prev = 0;
	bool shrank = false, over = false;
	uint64_t id = 1;
	sqlite3 *db;

	/* ~12 MB of rows through a 2 MB cap */
	for (int round = 0; round < 100; round++) {
		for (int i = 0; i < 250; i++, id++) {
			double ts = T2019 + (double)id;
			struct lw_flow_rec f;
			struct lw_dns_rec d;

			snprintf(name, sizeof(name), "host%llu.example",
				 (unsigned long long)(id % 97));
			f = flow(id, MAC_A, name, ts);
			d = dns(MAC_A, name, ts);
			LW_CHECK_INT(lw_store_put_flow(s, &f), 0);
			LW_CHECK_INT(lw_store_put_dns(s, &d), 0);
		}
		LW_CHECK_INT(lw_store_flush(s), 0);
		size = file_bytes(path);
		if (size > cap + batch && !over) {
			over = true;
			fprintf(stderr, "round %d: %llu bytes, cap %llu\n", round,
				(unsigned long long)size, (unsigned long long)cap);
		}
		if (prev && size < prev)
			shrank = true;
		prev = size;
		most = size > most ? size : most;
	}
	LW_CHECK(!over);
	LW_CHECK(shrank);
	lw_store_get_stats(s, &ss);
	LW_CHECK(ss.cap_pruned > 0);
	LW_CHECK(ss.pruned_rows == ss.cap_pruned);
	LW_CHECK(ss.vacuum_pages > 0);
	LW_CHECK_INT(ss.cap_unmet, 0);
	LW_CHECK(ss.db_bytes > 0 && ss.db_bytes <= cap + batch);
	fprintf(stderr,
		"     cap %llu: largest %llu bytes, %llu rows pruned, %llu pages vacuumed\n",
		(unsigned long long)cap, (unsigned long long)most,
		(unsigned long long)ss.cap_pruned, (unsigned long long)ss.vacuum_pages);
	db = db_open(path);
	/* the oldest went, the newest stayed */
	LW_CHECK(db_int(db, "SELECT count(*) FROM flows") < (long long)id - 1);
	LW_CHECK_INT(db_int(db, "SELECT max(id) FROM flows"), (long long)id - 1);
	LW_CHECK(db_int(db, "SELECT min(id) FROM flows") > 1);
	/* the aggregates still count every flow and query written */
	LW_CHECK_INT(db_int(db, "SELECT sum(flows) FROM daily_traffic"), (long long)id - 1);
	LW_CHECK_INT(db_int(db, "SELECT sum(dns_queries) FROM daily_traffic"), (long long)id - 1);
	sqlite3_close(db);
	lw_store_close(s);
	LW_CHECK(file_bytes(path) <= cap);
}

/*
 * Another process looking at the files: the largest database + WAL + journal seen, sampled as
 * fast as stat goes, until told to stop.
 */
struct sampler {
	const char *path;
	atomic_bool stop;
	uint64_t peak;
	unsigned long samples;
};

static void *sample_main(void *arg)
{
	struct sampler *sm = arg;
	char side[160];
	struct stat st;

	while (!atomic_load(&sm->stop)) {
		uint64_t n = file_bytes(sm->path);

		snprintf(side, sizeof(side), "%s-journal", sm->path);
		if (stat(side, &st) == 0)
			n += (uint64_t)st.st_size;
		sm->peak = n > sm->peak ? n : sm->peak;
		sm->samples++;
		usleep(500);
	}
	return NULL;
}

static struct lw_stats_rec stats_row(double ts)
{
	struct lw_stats_rec r;

	memset(&r, 0, sizeof(r));
	r.ts = ts;
	r.packets = 1;
	return r;
}

/*
 * The cap holds at every moment, not only after a commit: the whole queue (65 536 records,
 * many MB, as reading a capture fills it) goes through a 2 MiB cap while another thread stats
 * the files every 0.5 ms.  DNS rows of 2 000 names in random order touch random index pages,
 * the WAL's worst case (more names would make as many daily_traffic rows, and the cap would
 * delete every raw row before them).  And the cap keeps the newest stats rows, so their
 * counters stay readable.
 */
static void test_cap_every_moment(void)
{
	char path[128], name[64];
	const uint64_t cap = 2u << 20;
	struct lw_store_config cfg = {.max_db_bytes = cap, .block_when_full = true};
	struct lw_store *s = open_ok(new_path(path, sizeof(path)), &cfg);
	struct sampler sm = {.path = path};
	struct lw_store_stats ss;
	pthread_t th;
	uint64_t x = 88172645463325252ULL;
	double ts = T2019, oldest_stats;
	int stats_rows = 0;
	sqlite3 *db;

	LW_CHECK_INT(pthread_create(&th, NULL, sample_main, &sm), 0);
	for (int i = 0; i < 120000; i++, ts += 0.01) {
		struct lw_dns_rec d;

		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		snprintf(name, sizeof(name), "%04llx.flood.example",
			 (unsigned long long)(x % 2000));
		d = dns(i % 3 ? MAC_A : MAC_B, name, ts);
		LW_CHECK_INT(lw_store_put_dns(s, &d), 0);
		if (i % 1000 == 0) {
			struct lw_stats_rec r = stats_row(ts);

			LW_CHECK_INT(lw_store_put_stats(s, &r), 0);
			stats_rows++;
		}
	}
	LW_CHECK_INT(lw_store_flush(s), 0);
	lw_store_get_stats(s, &ss);
	lw_store_close(s);
	atomic_store(&sm.stop, true);
	pthread_join(th, NULL);
	fprintf(stderr,
		"     cap %llu: peak %llu bytes (%.1f%%) in %lu samples, %llu rows pruned, "
		"%llu pages vacuumed, %llu busy checkpoints\n",
		(unsigned long long)cap, (unsigned long long)sm.peak, 100.0 * sm.peak / cap,
		sm.samples, (unsigned long long)ss.cap_pruned, (unsigned long long)ss.vacuum_pages,
		(unsigned long long)ss.checkpoint_busy);
	LW_CHECK(sm.samples > 100);
	LW_CHECK(sm.peak <= cap);
	LW_CHECK(ss.cap_pruned > 0);
	LW_CHECK_INT(ss.written, 120000 + stats_rows);
	db = db_open(path);
	/*
	 * the cap went past the old stats rows' time (in rounds of many DNS rows: one or two
	 * older may be left), yet the newest LW_PRUNE_STATS_KEEP stayed
	 */
	LW_CHECK(stats_rows > 70);
	LW_CHECK(db_int(db, "SELECT count(*) FROM stats") >= 64);
	LW_CHECK(db_int(db, "SELECT count(*) FROM stats") <= 66);
	oldest_stats = (double)db_int(db, "SELECT CAST(min(ts) * 100 AS INTEGER) FROM stats");
	LW_CHECK((double)db_int(db, "SELECT CAST(min(ts) * 100 AS INTEGER) FROM dns") >
		 oldest_stats);
	/* the newest DNS rows are the ones kept */
	LW_CHECK_INT(db_int(db, "SELECT CAST(round(max(ts) * 100) AS INTEGER) FROM dns"),
		     (long long)((ts - 0.01) * 100 + 0.5));
	LW_CHECK(db_int(db, "SELECT count(*) FROM dns WHERE ts >= (SELECT max(ts) FROM dns) - 1") >=
		 100);
	sqlite3_close(db);
}

/*
 * A reader holding a read transaction (the sqlite3 CLI mid-query) keeps a checkpoint from
 * emptying the WAL: counted in checkpoint_busy, and the store keeps writing; once the reader
 * is gone the WAL is truncated again and the files are back under the cap.
 */
static void test_cap_reader_holds_wal(void)
{
	char path[128], name[64];
	const uint64_t cap = 2u << 20;
	struct lw_store_config cfg = {.max_db_bytes = cap, .block_when_full = true};
	struct lw_store *s = open_ok(new_path(path, sizeof(path)), &cfg);
	struct lw_store_stats ss;
	sqlite3 *reader;
	double ts = T2019;

	LW_CHECK_INT(lw_store_flush(s), 0);
	reader = db_open(path);
	db_exec(reader, "BEGIN; SELECT count(*) FROM dns");
	for (int round = 0; round < 2; round++) {
		for (int i = 0; i < 6000; i++, ts += 0.01) {
			struct lw_dns_rec d;

			snprintf(name, sizeof(name), "h%d.example", i % 5000);
			d = dns(MAC_A, name, ts);
			LW_CHECK_INT(lw_store_put_dns(s, &d), 0);
		}
		LW_CHECK_INT(lw_store_flush(s), 0);
		if (round == 0) {
			lw_store_get_stats(s, &ss);
			LW_CHECK(ss.checkpoint_busy > 0);
			LW_CHECK_INT(ss.write_errors, 0);
			db_exec(reader, "COMMIT");
		}
	}
	lw_store_get_stats(s, &ss);
	LW_CHECK_INT(ss.written, 12000);
	LW_CHECK(file_bytes(path) <= cap);
	fprintf(stderr, "     busy checkpoints %llu, %llu bytes after the reader left\n",
		(unsigned long long)ss.checkpoint_busy, (unsigned long long)file_bytes(path));
	sqlite3_close(reader);
	lw_store_close(s);
}

/*
 * Reading a capture (retention_once): one pass at open on the clock of what the database held,
 * and no more, so a capture spanning years keeps its first years whatever the batches were;
 * rows older than the retention before the read are deleted by that pass.
 */
static void test_retention_once(void)
{
	char path[128];
	struct lw_store_config cfg = {.retain_days = {.flows = 2, .dns = 2},
				      .retention_once = true};
	struct lw_store *s;
	sqlite3 *db;

	/* a database already holding a flow of 2019 and one of ten days later */
	s = open_ok(new_path(path, sizeof(path)), NULL);
	for (int i = 0; i < 2; i++) {
		struct lw_flow_rec f =
			flow((uint64_t)i + 1, MAC_A, "old.example", T2019 + (double)i * 10 * DAY);

		LW_CHECK_INT(lw_store_put_flow(s, &f), 0);
	}
	lw_store_close(s);

	s = open_ok(path, &cfg);
	/* a capture of three years, in flushes far apart: a batch each */
	for (int year = 0; year < 3; year++) {
		for (int i = 0; i < 100; i++) {
			double ts = T2019 + 20 * DAY + year * 365 * DAY + i;
			struct lw_dns_rec d = dns(MAC_B, "new.example", ts);

			LW_CHECK_INT(lw_store_put_dns(s, &d), 0);
		}
		LW_CHECK_INT(lw_store_flush(s), 0);
		usleep(100 * 1000);
	}
	lw_store_close(s);
	db = db_open(path);
	/* the open's pass, on the database's clock (2019 + 10 days): the 2019 flow went */
	LW_CHECK_INT(db_int(db, "SELECT count(*) FROM flows"), 1);
	/* the capture's three years all stayed */
	LW_CHECK_INT(db_int(db, "SELECT count(*) FROM dns"), 300);
	sqlite3_close(db);
}

/*
 * [fleet] enabled (keep_unsent): retention deletes only the rows leakwatch-push has had
 * acknowledged (row id <= meta fleet_sent_<table>); no mark yet, none of the published
 * tables' rows; the tables it does not publish (stations) age as always.
 */
static void test_retention_keeps_unsent(void)
{
	char path[128];
	struct lw_store_config cfg = {.retain_days = {.dns = 2, .stations = 2},
				      .keep_unsent = true};
	struct lw_store *s;
	struct lw_store_stats ss;
	sqlite3 *db;

	/* dns ids 1..3 ten days old, 4 new; two old stations rows and a new one */
	s = open_ok(new_path(path, sizeof(path)), NULL);
	for (int i = 0; i < 4; i++) {
		double ts = i < 3 ? T2019 - 10 * DAY + i : T2019;
		struct lw_dns_rec d = dns(MAC_A, "a.example", ts);
		struct lw_station_rec sta = {.ts = ts, .ifname = "wlan0"};

		strcpy(sta.mac, MAC_A);
		LW_CHECK_INT(lw_store_put_dns(s, &d), 0);
		if (i >= 1)
			LW_CHECK_INT(lw_store_put_station(s, &sta), 0);
	}
	lw_store_close(s);

	/* nothing sent yet: every dns row stays; the old stations rows go */
	s = open_ok(path, &cfg);
	db = db_open(path);
	LW_CHECK_INT(wait_rows(db, "SELECT count(*) FROM stations", 1), 1);
	lw_store_close(s);
	LW_CHECK_INT(db_int(db, "SELECT count(*) FROM dns"), 4);

	/* ids up to 2 acknowledged: those two go, the unsent old row 3 stays */
	db_exec(db, "INSERT INTO meta(key, value) VALUES('fleet_sent_dns', '2')");
	s = open_ok(path, &cfg);
	LW_CHECK_INT(wait_rows(db, "SELECT count(*) FROM dns", 2), 2);
	LW_CHECK_INT(db_int(db, "SELECT min(id) FROM dns"), 3);
	for (int i = 0; i < 500; i++) {
		lw_store_get_stats(s, &ss);
		if (ss.pruned_rows >= 2)
			break;
		usleep(20000);
	}
	LW_CHECK_INT(ss.pruned_rows, 2);
	lw_store_close(s);

	/* without keep_unsent (fleet disabled) the mark does not matter */
	cfg.keep_unsent = false;
	s = open_ok(path, &cfg);
	LW_CHECK_INT(wait_rows(db, "SELECT count(*) FROM dns", 1), 1);
	lw_store_close(s);
	sqlite3_close(db);
}

/*
 * [fleet] enabled under the size cap: the cap deletes the oldest rows, sent or not, and counts
 * those leakwatch-push never had acknowledged in meta fleet_capped_<table>: every deleted dns
 * row above the mark, every deleted leak (no mark), no flow (all marked sent).  It never
 * deletes a table's newest row, so ids are never given twice (the fleet's key).
 */
static void test_cap_counts_unsent(void)
{
	char path[128];
	const uint64_t cap = 1u << 20;
	struct lw_store_config cfg = {.max_db_bytes = cap, .queue_max = 4096, .keep_unsent = true};
	struct lw_store *s;
	struct lw_store_stats ss;
	sqlite3 *db;
	long long dns_gone, leaks_gone, flows_gone;
	const int n = 6000;

	s = open_ok(new_path(path, sizeof(path)), NULL);
	lw_store_close(s);
	db = db_open(path);
	db_exec(db, "INSERT INTO meta(key, value) VALUES('fleet_sent_dns', '100'), "
		    "('fleet_sent_flows', '1000000')");
	s = open_ok(path, &cfg);
	for (int i = 0; i < n; i++) {
		struct lw_dns_rec d = dns(MAC_A, "a.example", T2019 + i);
		struct lw_leak_rec l = leak(MAC_A, "a.example", T2019 + i);
		struct lw_flow_rec f = flow((uint64_t)i + 1, MAC_A, "a.example", T2019 + i);

		/* the queue full: let the writer catch up */
		while (lw_store_put_dns(s, &d) != 0)
			usleep(1000);
		while (lw_store_put_leak(s, &l) != 0)
			usleep(1000);
		while (lw_store_put_flow(s, &f) != 0)
			usleep(1000);
		if (i % 1000 == 999)
			LW_CHECK_INT(lw_store_flush(s), 0);
	}
	LW_CHECK_INT(lw_store_flush(s), 0);
	lw_store_get_stats(s, &ss);
	lw_store_close(s);
	LW_CHECK(ss.cap_pruned > 0);
	dns_gone = n - db_int(db, "SELECT count(*) FROM dns");
	leaks_gone = n - db_int(db, "SELECT count(*) FROM leaks");
	flows_gone = n - db_int(db, "SELECT count(*) FROM flows");
	fprintf(stderr, "     cap %llu: deleted dns %lld, leaks %lld, flows %lld\n",
		(unsigned long long)cap, dns_gone, leaks_gone, flows_gone);
	LW_CHECK(dns_gone > 100 && leaks_gone > 0 && flows_gone > 0);
	/* the highest id of each stayed: no table was emptied, so no id came again from 1 */
	LW_CHECK_INT(db_int(db, "SELECT max(id) FROM dns"), n);
	LW_CHECK_INT(db_int(db, "SELECT max(id) FROM leaks"), n);
	/* dns: those above the mark (ids 101..); leaks: all; flows: none (all sent) */
	LW_CHECK_INT(db_int(db, "SELECT ifnull((SELECT value FROM meta WHERE key = "
				"'fleet_capped_dns'), 0)"),
		     dns_gone - 100);
	LW_CHECK_INT(db_int(db, "SELECT ifnull((SELECT value FROM meta WHERE key = "
				"'fleet_capped_leaks'), 0)"),
		     leaks_gone);
	LW_CHECK_INT(db_int(db, "SELECT count(*) FROM meta WHERE key = 'fleet_capped_flows'"), 0);
	sqlite3_close(db);
}

/*
 * The aggregates equal the raw rows' counts for every day the raw rows are kept, also after
 * a flow is written again (more bytes, a name learned later), and they keep the days retention
 * deleted from the raw tables.
 */
static void test_aggregates(void)
{
	/* rows of the raw tables the aggregates do not match, from day %s on (macros: a literal
	 * format, which -Wformat=2 wants at -O0 too) */
#define check_traffic                                                                    \
	"SELECT count(*) FROM (SELECT day, mac, domain, sum(flows) AS fl, sum(q) AS q, " \
	"sum(bo) AS bo, sum(bi) AS bi FROM ("                                            \
	"SELECT date(first_seen, 'unixepoch') AS day, mac, domain, 1 AS flows, 0 AS q, " \
	"bytes_out AS bo, bytes_in AS bi FROM flows "                                    \
	"UNION ALL SELECT date(ts, 'unixepoch'), mac, qname, 0, 1, 0, 0 FROM dns) "      \
	"WHERE day >= '%s' GROUP BY 1, 2, 3 EXCEPT SELECT day, mac, domain, flows, "     \
	"dns_queries, bytes_out, bytes_in FROM daily_traffic)"
#define check_leaks                                                                       \
	"SELECT count(*) FROM (SELECT date(ts, 'unixepoch'), mac, domain, kind, "         \
	"confidence, "                                                                    \
	"count(*) FROM leaks WHERE date(ts, 'unixepoch') >= '%s' GROUP BY 1, 2, 3, 4, 5 " \
	"EXCEPT SELECT day, mac, domain, kind, confidence, leaks FROM daily_leaks)"
	char path[128], name[64], sql[1024];
	struct lw_store *s = open_ok(new_path(path, sizeof(path)), NULL);
	struct lw_store_config cfg = {.retain_days = {.flows = 2, .dns = 2, .leaks = 2}};
	struct lw_flow_rec f;
	uint64_t id = 1;
	sqlite3 *db;

	/* 5 days, 2 devices, 5 domains */
	for (int day = 0; day < 5; day++) {
		for (int i = 0; i < 40; i++, id++) {
			double ts = T2019 + day * DAY + i * 600;
			const char *mac = i % 3 ? MAC_A : MAC_B;
			struct lw_dns_rec d;
			struct lw_leak_rec l;

			snprintf(name, sizeof(name), "d%d.example", i % 5);
			f = flow(id, mac, i % 4 ? name : "", ts);
			LW_CHECK_INT(lw_store_put_flow(s, &f), 0);
			d = dns(mac, name, ts);
			LW_CHECK_INT(lw_store_put_dns(s, &d), 0);
			if (i % 7 == 0) {
				l = leak(mac, name, ts);
				LW_CHECK_INT(lw_store_put_leak(s, &l), 0);
			}
			/* the flow written again: more bytes, and its name now known */
			if (i % 4 == 0) {
				f.bytes_out += 5000;
				f.last_seen += 30;
				snprintf(f.domain, sizeof(f.domain), "%s", name);
				LW_CHECK_INT(lw_store_put_flow(s, &f), 0);
			}
		}
	}
	LW_CHECK_INT(lw_store_flush(s), 0);
	db = db_open(path);
	snprintf(sql, sizeof(sql), check_traffic, "");
	LW_CHECK_INT(db_int(db, sql), 0);
	snprintf(sql, sizeof(sql), check_leaks, "");
	LW_CHECK_INT(db_int(db, sql), 0);
	LW_CHECK_INT(db_int(db, "SELECT sum(flows) FROM daily_traffic"), 200);
	LW_CHECK_INT(db_int(db, "SELECT sum(leaks) FROM daily_leaks"),
		     db_int(db, "SELECT count(*) FROM leaks"));
	LW_CHECK_INT(db_int(db, "SELECT count(DISTINCT day) FROM daily_traffic"), 5);
	sqlite3_close(db);
	lw_store_close(s);

	/* retention (2 days of flows, dns, leaks on the data's clock) deletes days 0 to 2 */
	s = open_ok(path, &cfg);
	db = db_open(path);
	LW_CHECK_INT(wait_rows(db,
			       "SELECT count(DISTINCT date(ts, 'unixepoch')) FROM dns WHERE ts < "
			       "1546300800 + 2 * 86400",
			       0),
		     0);
	LW_CHECK_INT(
		wait_rows(db, "SELECT count(*) FROM leaks WHERE ts < 1546300800 + 2 * 86400", 0),
		0);
	lw_store_close(s);
	/*
	 * For the days kept whole (the cutoff is in the middle of 2019-01-03) the aggregates
	 * equal the raw counts; the others are still there.
	 */
	snprintf(sql, sizeof(sql), check_traffic, "2019-01-04");
	LW_CHECK_INT(db_int(db, sql), 0);
	snprintf(sql, sizeof(sql), check_leaks, "2019-01-04");
	LW_CHECK_INT(db_int(db, sql), 0);
	LW_CHECK(
		db_int(db, "SELECT count(*) FROM dns WHERE date(ts, 'unixepoch') >= '2019-01-04'") >
		0);
	LW_CHECK_INT(db_int(db, "SELECT count(DISTINCT day) FROM daily_traffic"), 5);
	LW_CHECK_INT(db_int(db, "SELECT sum(flows) FROM daily_traffic"), 200);
	LW_CHECK(db_int(db, "SELECT count(*) FROM flows") < 200);
	LW_CHECK(db_int(db, "SELECT sum(leaks) FROM daily_summary") > 0);
	sqlite3_close(db);
}

/*
 * Under the cap a device flooding leaks loses its own rows first: another device's leaks,
 * older than all of them, survive.
 */
static void test_cap_leak_fairness(void)
{
	char path[128];
	const uint64_t cap = 1u << 20;
	struct lw_store_config cfg = {.max_db_bytes = cap, .queue_max = 4096};
	struct lw_store *s = open_ok(new_path(path, sizeof(path)), &cfg);
	struct lw_store_stats ss;
	sqlite3 *db;

	for (int i = 0; i < 50; i++) {
		struct lw_leak_rec l = leak(MAC_B, "b.example", T2019 + i);

		LW_CHECK_INT(lw_store_put_leak(s, &l), 0);
	}
	LW_CHECK_INT(lw_store_flush(s), 0);
	for (int i = 0; i < 12000; i++) {
		struct lw_leak_rec l = leak(MAC_A, "a.example", T2019 + 1000 + i);

		if (lw_store_put_leak(s, &l) != 0)
			i--, usleep(1000); /* the queue is full: let the writer catch up */
		if (i % 1000 == 999)
			LW_CHECK_INT(lw_store_flush(s), 0);
	}
	LW_CHECK_INT(lw_store_flush(s), 0);
	lw_store_get_stats(s, &ss);
	LW_CHECK(ss.cap_pruned > 0);
	db = db_open(path);
	LW_CHECK_INT(db_int(db, "SELECT count(*) FROM leaks WHERE mac = '" MAC_B "'"), 50);
	LW_CHECK(db_int(db, "SELECT count(*) FROM leaks WHERE mac = '" MAC_A "'") < 12000);
	/* the newest of the flood are the ones kept */
	LW_CHECK(db_int(db, "SELECT max(ts) FROM leaks") == (long long)(T2019 + 1000 + 11999));
	/* daily_leaks still counts all of them */
	LW_CHECK_INT(db_int(db, "SELECT sum(leaks) FROM daily_leaks"), 12050);
	sqlite3_close(db);
	lw_store_close(s);
	LW_CHECK(file_bytes(path) <= cap);
}

/*
 * The rollback journal (for jffs2): rows are written, no WAL appears, and a reader holding a
 * read transaction only delays a commit, which goes through once it ends.
 */
static void test_truncate_journal(void)
{
	char path[128], wal[160];
	struct lw_store_config cfg = {.journal = LW_STORE_JOURNAL_TRUNCATE,
				      .commit_interval = 20 * 1000};
	struct lw_store *s = open_ok(new_path(path, sizeof(path)), &cfg);
	struct lw_store_stats ss;
	struct stat st;
	sqlite3 *db, *reader;

	for (int i = 0; i < 100; i++) {
		struct lw_dns_rec d = dns(MAC_A, "a.example", T2019 + i);

		LW_CHECK_INT(lw_store_put_dns(s, &d), 0);
	}
	LW_CHECK_INT(lw_store_flush(s), 0);
	db = db_open(path);
	/* the header's read/write versions: 1 for a rollback journal, 2 for WAL */
	{
		FILE *f = fopen(path, "rb");
		unsigned char h[20] = {0};

		LW_CHECK(f && fread(h, 1, sizeof(h), f) == sizeof(h));
		if (f)
			fclose(f);
		LW_CHECK_INT(h[18], 1);
		LW_CHECK_INT(h[19], 1);
	}
	snprintf(wal, sizeof(wal), "%s-wal", path);
	LW_CHECK(stat(wal, &st) < 0);
	lw_store_get_stats(s, &ss);
	LW_CHECK_INT(ss.journal, LW_STORE_JOURNAL_TRUNCATE);

	/* a reader in the middle of a read: its shared lock holds up the writer's commit */
	reader = db_open(path);
	db_exec(reader, "BEGIN");
	LW_CHECK_INT(db_int(reader, "SELECT count(*) FROM dns"), 100);
	for (int i = 0; i < 100; i++) {
		struct lw_dns_rec d = dns(MAC_B, "b.example", T2019 + 200 + i);

		LW_CHECK_INT(lw_store_put_dns(s, &d), 0);
	}
	usleep(300 * 1000); /* the writer tries its commit meanwhile */
	/* the reader still sees its snapshot */
	LW_CHECK_INT(db_int(reader, "SELECT count(*) FROM dns"), 100);
	db_exec(reader, "COMMIT");
	LW_CHECK_INT(lw_store_flush(s), 0);
	LW_CHECK_INT(db_int(reader, "SELECT count(*) FROM dns"), 200);
	LW_CHECK_INT(db_int(db, "SELECT sum(dns_queries) FROM daily_traffic"), 200);
	lw_store_get_stats(s, &ss);
	LW_CHECK_INT(ss.lost, 0);
	LW_CHECK_INT(ss.rejected, 0);
	sqlite3_close(reader);
	sqlite3_close(db);
	lw_store_close(s);
}

/*
 * A v5 database (no daily tables, no age indexes, auto_vacuum off) is migrated to v6: its
 * rows kept, the aggregates filled from them, and converted to incremental auto-vacuum.
 */
static void test_migrate_v5(void)
{
	char path[128];
	struct lw_store *s = open_ok(new_path(path, sizeof(path)), NULL);
	struct lw_store_stats ss;
	sqlite3 *db;

	for (int i = 0; i < 30; i++) {
		struct lw_flow_rec f =
			flow((uint64_t)i + 1, i % 2 ? MAC_A : MAC_B, "a.example", T2019 + i * 7200);
		struct lw_dns_rec d = dns(MAC_A, "a.example", T2019 + i * 7200);
		struct lw_leak_rec l = leak(MAC_B, "a.example", T2019 + i * 7200);

		LW_CHECK_INT(lw_store_put_flow(s, &f), 0);
		LW_CHECK_INT(lw_store_put_dns(s, &d), 0);
		LW_CHECK_INT(lw_store_put_leak(s, &l), 0);
	}
	lw_store_close(s);
	/* what leakwatch of schema 5 left */
	db = db_open(path);
	db_exec(db, "DROP TABLE evidence; DROP VIEW daily_summary; DROP TRIGGER daily_flow_insert; "
		    "DROP TRIGGER daily_flow_update; DROP TRIGGER daily_dns_insert; "
		    "DROP TRIGGER daily_leak_insert; DROP TABLE daily_traffic; "
		    "DROP TABLE daily_leaks; DROP INDEX flows_last_seen; DROP INDEX dns_ts; "
		    "DROP INDEX leaks_ts; DROP INDEX stats_ts; DROP INDEX blocks_ts; "
		    "DROP INDEX stations_ts; DROP INDEX sessions_start; "
		    "DROP INDEX devices_last_seen; ALTER TABLE stats DROP COLUMN dns_flows; "
		    "ALTER TABLE stats DROP COLUMN db_bytes; "
		    "ALTER TABLE stats DROP COLUMN pruned_rows; "
		    "ALTER TABLE stats DROP COLUMN cap_pruned; "
		    "ALTER TABLE stats DROP COLUMN vacuum_pages; "
		    "ALTER TABLE stats DROP COLUMN checkpoint_busy; "
		    "ALTER TABLE stats DROP COLUMN buffer_refused; "
		    "ALTER TABLE stats DROP COLUMN buffer_refused_share; "
		    "ALTER TABLE stats DROP COLUMN buffer_peak_kb; PRAGMA user_version = 5; "
		    "PRAGMA auto_vacuum = NONE; VACUUM");
	LW_CHECK_INT(db_int(db, "PRAGMA auto_vacuum"), 0);
	sqlite3_close(db);

	s = open_ok(path, NULL);
	lw_store_get_stats(s, &ss);
	LW_CHECK(ss.open_vacuum_ms > 0);
	lw_store_close(s);
	db = db_open(path);
	LW_CHECK_INT(db_int(db, "PRAGMA user_version"), LW_STORE_SCHEMA_VERSION);
	LW_CHECK_INT(db_int(db, "PRAGMA auto_vacuum"), 2);
	LW_CHECK_INT(db_int(db, "SELECT count(*) FROM flows"), 30);
	LW_CHECK_INT(db_int(db, "SELECT sum(flows) FROM daily_traffic"), 30);
	LW_CHECK_INT(db_int(db, "SELECT sum(dns_queries) FROM daily_traffic"), 30);
	LW_CHECK_INT(db_int(db, "SELECT sum(bytes_in) FROM daily_traffic"),
		     db_int(db, "SELECT sum(bytes_in) FROM flows"));
	LW_CHECK_INT(db_int(db, "SELECT sum(leaks) FROM daily_leaks"), 30);
	LW_CHECK_INT(db_int(db, "SELECT count(DISTINCT day) FROM daily_leaks"), 3);
	sqlite3_close(db);

	/* opened again: nothing more to convert */
	s = open_ok(path, NULL);
	lw_store_get_stats(s, &ss);
	LW_CHECK_INT(ss.open_vacuum_ms, 0);
	lw_store_close(s);
}

/* Every kind of storage from the facts the probe gathers, and the override. */
static void test_storage_classify(void)
{
	struct lw_storage st;

	lw_storage_classify(LW_FS_TMPFS, 0, "", -1, &st);
	LW_CHECK_INT(st.kind, LW_STORAGE_RAM);
	LW_CHECK(strstr(st.advice, "lost at reboot") != NULL);
	LW_CHECK_INT(st.journal, LW_STORE_JOURNAL_WAL);
	lw_storage_classify(LW_FS_RAMFS, 0, "", -1, &st);
	LW_CHECK_INT(st.kind, LW_STORAGE_RAM);

	lw_storage_classify(LW_FS_JFFS2, 0, "mtdblock5", -1, &st);
	LW_CHECK_INT(st.kind, LW_STORAGE_JFFS2);
	LW_CHECK_INT(st.journal, LW_STORE_JOURNAL_TRUNCATE);
	LW_CHECK_INT(st.commit_interval, LW_STORAGE_COMMIT_FLASH_US);
	LW_CHECK(strstr(st.advice, "rollback journal") != NULL);

	/* OpenWrt's root: an overlay whose writes go to jffs2 (or ubifs, or ext4 on x86) */
	lw_storage_classify(LW_FS_OVERLAY, LW_FS_JFFS2, "mtdblock5", -1, &st);
	LW_CHECK_INT(st.kind, LW_STORAGE_JFFS2);
	LW_CHECK_STR(st.fstype, "overlay (upper: jffs2)");
	LW_CHECK_INT(st.journal, LW_STORE_JOURNAL_TRUNCATE);
	lw_storage_classify(LW_FS_OVERLAY, LW_FS_UBIFS, "ubi0:rootfs_data", -1, &st);
	LW_CHECK_INT(st.kind, LW_STORAGE_UBIFS);
	LW_CHECK_INT(st.journal, LW_STORE_JOURNAL_WAL);
	lw_storage_classify(LW_FS_OVERLAY, 0, "", -1, &st);
	LW_CHECK_INT(st.kind, LW_STORAGE_UNKNOWN);

	lw_storage_classify(LW_FS_UBIFS, 0, "ubi0:rootfs_data", -1, &st);
	LW_CHECK_INT(st.kind, LW_STORAGE_UBIFS);
	LW_CHECK_INT(st.commit_interval, LW_STORAGE_COMMIT_FLASH_US);

	lw_storage_classify(LW_FS_EXT4, 0, "mmcblk0p2", 0, &st);
	LW_CHECK_INT(st.kind, LW_STORAGE_FLASH_CARD);
	LW_CHECK_STR(st.device, "mmcblk0p2");
	LW_CHECK_INT(st.commit_interval, LW_STORAGE_COMMIT_FLASH_US);
	LW_CHECK(strstr(st.advice, "SD card") != NULL);
	lw_storage_classify(LW_FS_F2FS, 0, "mmcblk1", 0, &st);
	LW_CHECK_INT(st.kind, LW_STORAGE_FLASH_CARD);

	lw_storage_classify(LW_FS_EXT4, 0, "sda1", 1, &st);
	LW_CHECK_INT(st.kind, LW_STORAGE_DISK);
	LW_CHECK_INT(st.journal, LW_STORE_JOURNAL_WAL);
	LW_CHECK_INT(st.commit_interval, LW_STORAGE_COMMIT_DISK_US);
	LW_CHECK(strstr(st.advice, "rotational") != NULL);
	lw_storage_classify(LW_FS_BTRFS, 0, "nvme0n1p2", 0, &st);
	LW_CHECK_INT(st.kind, LW_STORAGE_DISK);
	LW_CHECK(strstr(st.advice, "SSD") != NULL);
	lw_storage_classify(LW_FS_XFS, 0, "", -1, &st);
	LW_CHECK_INT(st.kind, LW_STORAGE_DISK);

	lw_storage_classify(LW_FS_SQUASHFS, 0, "", -1, &st);
	LW_CHECK_INT(st.kind, LW_STORAGE_UNKNOWN);
	LW_CHECK(strstr(st.advice, "read-only") != NULL);
	lw_storage_classify(0x12345678, 0, "", -1, &st);
	LW_CHECK_INT(st.kind, LW_STORAGE_UNKNOWN);
	LW_CHECK_STR(st.fstype, "0x12345678");

	/* the probe on a real path says something, and the override wins */
	LW_CHECK_INT(lw_storage_probe(tmpdir, &st), 0);
	LW_CHECK(st.advice[0] != '\0');
	LW_CHECK(!st.forced);
	setenv("LEAKWATCH_STORAGE", "jffs2", 1);
	LW_CHECK_INT(lw_storage_probe(tmpdir, &st), 0);
	LW_CHECK(st.forced);
	LW_CHECK_INT(st.kind, LW_STORAGE_JFFS2);
	LW_CHECK_INT(st.journal, LW_STORE_JOURNAL_TRUNCATE);
	setenv("LEAKWATCH_STORAGE", "sdcard", 1);
	LW_CHECK_INT(lw_storage_probe(tmpdir, &st), 0);
	LW_CHECK_INT(st.kind, LW_STORAGE_FLASH_CARD);
	setenv("LEAKWATCH_STORAGE", "tmpfs", 1);
	LW_CHECK_INT(lw_storage_probe("/nonexistent/dir/x.db", &st), 0);
	LW_CHECK_INT(st.kind, LW_STORAGE_RAM);
	unsetenv("LEAKWATCH_STORAGE");
	/* a file not made yet: its directory's filesystem */
	LW_CHECK_INT(lw_storage_probe("/nonexistent-dir/x.db", &st), -ENOENT);
	LW_CHECK_INT(st.kind, LW_STORAGE_UNKNOWN);
	LW_CHECK_STR(lw_storage_kind_name(LW_STORAGE_FLASH_CARD), "sdcard");
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

int main(void)
{
	umask(077);
	unsetenv("LEAKWATCH_STORAGE");
	strcpy(tmpdir, "/tmp/lw-prune-XXXXXX");
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 2;
	}
	LW_TEST(test_storage_classify);
	LW_TEST(test_retention_data_clock);
	LW_TEST(test_retention_once);
	LW_TEST(test_retention_keeps_unsent);
	LW_TEST(test_cap_counts_unsent);
	LW_TEST(test_aggregates);
	LW_TEST(test_migrate_v5);
	LW_TEST(test_truncate_journal);
	LW_TEST(test_cap_holds);
	LW_TEST(test_cap_leak_fairness);
	LW_TEST(test_cap_every_moment);
	LW_TEST(test_cap_reader_holds_wal);
	cleanup_tmpdir();
	return lw_test_end();
}
