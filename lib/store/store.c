/* SPDX-License-Identifier: MIT */
/*
 * store: the SQLite writer.
 *
 * Producers (the capture thread, the event loop) copy records into a bounded queue under a
 * mutex and return at once; one writer thread owns the connection and writes whatever is
 * queued in one transaction with statements prepared once.
 *
 * The queue is a list of 64 KiB chunks holding tagged records back to back, each packed to
 * about the size of its content (see pack()).  Chunks are allocated as the queue grows (up to
 * queue_max records) and given back when it drains, so an idle store holds one chunk.  The writer reads a batch in place, without the lock: producers only ever append
 * after the batch's end, and a batch's records stay in the queue (and count against the
 * bound) until their transaction commits.  So a failed transaction (database locked by
 * another writer, disk full) loses nothing: it is rolled back and retried, with backoff,
 * together with whatever arrived meanwhile.
 *
 *   head (oldest, being written)                             tail (producers append)
 *   [chunk: rec rec rec] -> [chunk: rec rec rec rec] -> [chunk: rec rec ....free....]
 *        ^ head_off
 */
#include "store.h"

#include "prune.h"
#include "schema.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdalign.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define LW_STORE_DEFAULT_QUEUE_MAX 65536
#define LW_STORE_DEFAULT_COMMIT_INTERVAL (500 * 1000)
#define LW_STORE_CHUNK_BYTES (64 * 1024)
/* Drained chunks kept for reuse rather than freed. */
#define LW_STORE_SPARE_CHUNKS 4
/* After a failed transaction the writer waits this long, doubling up to the max. */
#define LW_STORE_BACKOFF_MIN_US (100 * 1000)
#define LW_STORE_BACKOFF_MAX_US (1000 * 1000)
#define LW_STORE_RETENTION_PERIOD_US (3600 * LW_USEC_PER_SEC)
#define LW_STORE_RETENTION_RETRY_US (60 * LW_USEC_PER_SEC)
/*
 * A COMMIT another connection's lock holds up is tried again this many times (each waiting
 * LW_STORE_BUSY_MS) before the batch is rolled back: with a rollback journal a reader delays
 * every commit until its read ends, and the batch need not be written twice for that.
 */
#define LW_STORE_COMMIT_TRIES 10
/* How often a waiting lw_store_flush() looks at the writer's health. */
#define LW_STORE_FLUSH_POLL_US (100 * 1000)

enum rec_type {
	REC_FLOW,
	REC_DNS,
	REC_DEVICE,
	REC_LEAK,
	REC_STATS,
	REC_META,
	REC_BLOCK,
	REC_SESSION,
	REC_IDENTIFIER,
	REC_STATION,
	REC_DEVICE_NAME,
	REC_EVIDENCE, /* not packed: the record, then its pcap */
};

enum stmt {
	ST_BEGIN,
	ST_COMMIT,
	ST_ROLLBACK,
	ST_FLOW,
	ST_DNS,
	ST_DEVICE,
	ST_DEVICE_KNOWN,
	ST_LEAK,
	ST_STATS,
	ST_META,
	ST_BLOCK,
	ST_SESSION,
	ST_IDENTIFIER,
	ST_STATION,
	ST_DEVICE_NAME,
	ST_DEVICE_NAME_HOST,
	ST_EVIDENCE,
	ST_EVIDENCE_ROWS,
	ST_EVIDENCE_BYTES,
	ST__MAX,
};

static const char *const stmt_sql[ST__MAX] = {
	[ST_BEGIN] = "BEGIN IMMEDIATE",
	[ST_COMMIT] = "COMMIT",
	[ST_ROLLBACK] = "ROLLBACK",
	/* A long-lived flow is written periodically and once more when it ends. */
	[ST_FLOW] = "INSERT INTO flows(id, mac, proto, src_ip, src_port, dst_ip, dst_port, "
		    "first_seen, last_seen, domain, name_source, app, encrypted, pkts_out, "
		    "bytes_out, pkts_in, bytes_in, ended) "
		    "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, "
		    "?17, ?18) "
		    "ON CONFLICT(id) DO UPDATE SET mac = coalesce(excluded.mac, mac), "
		    "proto = excluded.proto, src_ip = excluded.src_ip, "
		    "src_port = excluded.src_port, dst_ip = excluded.dst_ip, "
		    "dst_port = excluded.dst_port, "
		    "first_seen = min(coalesce(first_seen, excluded.first_seen), "
		    "excluded.first_seen), "
		    "last_seen = max(coalesce(last_seen, excluded.last_seen), excluded.last_seen), "
		    "domain = coalesce(excluded.domain, domain), "
		    "name_source = coalesce(excluded.name_source, name_source), "
		    "app = coalesce(excluded.app, app), encrypted = excluded.encrypted, "
		    "pkts_out = excluded.pkts_out, bytes_out = excluded.bytes_out, "
		    "pkts_in = excluded.pkts_in, bytes_in = excluded.bytes_in, "
		    "ended = excluded.ended",
	[ST_DNS] = "INSERT INTO dns(ts, mac, client_ip, server_ip, qname, qtype, rcode, answers, "
		   "ttl) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
	/* min()/max() of SQLite return NULL if an argument is, hence the coalesce. */
	[ST_DEVICE] =
		"INSERT INTO devices(mac, first_seen, last_seen, hostname, dhcp_vendor, "
		"randomized, ip, vendor, label, port) "
		"VALUES(?1, ?2, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) "
		"ON CONFLICT(mac) DO UPDATE SET "
		"first_seen = min(coalesce(first_seen, excluded.first_seen), "
		"excluded.first_seen), "
		"last_seen = max(coalesce(last_seen, excluded.last_seen), "
		"excluded.last_seen), "
		"hostname = coalesce(excluded.hostname, hostname), "
		"dhcp_vendor = coalesce(excluded.dhcp_vendor, dhcp_vendor), "
		"randomized = excluded.randomized, ip = coalesce(excluded.ip, ip), "
		"vendor = coalesce(excluded.vendor, vendor), "
		"label = coalesce(excluded.label, label), port = coalesce(excluded.port, port)",
	/* the same update, for a row that exists (known_only); the same parameters */
	[ST_DEVICE_KNOWN] = "UPDATE devices SET first_seen = min(coalesce(first_seen, ?2), ?2), "
			    "last_seen = max(coalesce(last_seen, ?2), ?2), "
			    "hostname = coalesce(?3, hostname), "
			    "dhcp_vendor = coalesce(?4, dhcp_vendor), randomized = ?5, "
			    "ip = coalesce(?6, ip), vendor = coalesce(?7, vendor), "
			    "label = coalesce(?8, label), port = coalesce(?9, port) WHERE mac = ?1",
	[ST_LEAK] = "INSERT INTO leaks(ts, mac, flow_id, domain, dst_ip, dst_port, proto, kind, "
		    "value, encoding, location, confidence, snippet) "
		    "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
	[ST_STATS] =
		"INSERT INTO stats(ts, packets, bytes, dropped, if_dropped, flows_active, "
		"flows_evicted, leaks, malformed, store_dropped, rss_kb, names_evicted, "
		"dns_malformed, http_malformed, tls_malformed, reasm_overflow, reasm_gaps, "
		"frag_dropped, quic_too_big, detect_budget_hit, http_body_cut, dns_unmatched, "
		"dns_pending_evicted, dhcp_chaddr_mismatch, devices_refused, block_guarded, "
		"body_undecoded, names_refused, learned_evicted, known_full, store_dropped_share, "
		"device_names_refused, dns_flows, db_bytes, pruned_rows, cap_pruned, vacuum_pages, "
		"checkpoint_busy, buffer_refused, buffer_refused_share, buffer_peak_kb) "
		"VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, "
		"?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28, ?29, ?30, ?31, ?32, "
		"?33, ?34, ?35, ?36, ?37, ?38, ?39, ?40, ?41)",
	[ST_META] = "INSERT INTO meta(key, value) VALUES(?1, ?2) "
		    "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
	[ST_BLOCK] = "INSERT INTO blocks(ts, mac, domain, ip, until, reason, action) "
		     "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	[ST_SESSION] = "INSERT INTO sessions(mac, ifname, start, \"end\") VALUES(?1, ?2, ?3, ?4) "
		       "ON CONFLICT(mac, ifname, start) DO UPDATE SET "
		       "\"end\" = coalesce(excluded.\"end\", \"end\")",
	/* OR IGNORE also covers the ifnull(mac, '') index that dedupes NULL macs. */
	[ST_IDENTIFIER] = "INSERT OR IGNORE INTO identifiers(mac, kind, value, source, "
			  "first_seen) VALUES(?1, ?2, ?3, ?4, ?5)",
	[ST_STATION] = "INSERT INTO stations(ts, mac, ifname, signal, signal_avg, tx_bitrate, "
		       "rx_bitrate, inactive_ms, connected_s, rx_bytes, tx_bytes, tx_retries, "
		       "tx_failed) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
	/* one row per (mac, proto, name): count adds up the sightings each record carries */
	[ST_DEVICE_NAME] = "INSERT INTO device_names(mac, proto, name, first_seen, last_seen, "
			   "count) VALUES(?1, ?2, ?3, ?4, ?4, ?5) "
			   "ON CONFLICT(mac, proto, name) DO UPDATE SET "
			   "first_seen = min(coalesce(first_seen, excluded.first_seen), "
			   "excluded.first_seen), "
			   "last_seen = max(coalesce(last_seen, excluded.last_seen), "
			   "excluded.last_seen), count = coalesce(count, 0) + excluded.count",
	/* a device's announced name fills devices.hostname only while it has none */
	[ST_DEVICE_NAME_HOST] = "UPDATE devices SET hostname = ?2 WHERE mac = ?1 AND "
				"hostname IS NULL",
	[ST_EVIDENCE] = "INSERT OR IGNORE INTO evidence(ts, mac, dest, kind, leak_ts, flow_id, "
			"dst_ip, dst_port, proto, packets, bytes, linktype, pcap) "
			"VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
	/* the bounds: rows beyond the newest ?1, then the oldest while the bytes exceed ?1 */
	[ST_EVIDENCE_ROWS] = "DELETE FROM evidence WHERE id IN (SELECT id FROM evidence "
			     "ORDER BY id DESC LIMIT -1 OFFSET ?1)",
	[ST_EVIDENCE_BYTES] = "DELETE FROM evidence WHERE id IN (SELECT id FROM (SELECT id, "
			      "sum(bytes) OVER (ORDER BY id DESC) AS upto FROM evidence) "
			      "WHERE upto > ?1)",
};

/* A queued record: this header, then the record, the whole padded to 8 bytes. */
struct entry {
	uint32_t type;
	uint32_t size;
	uint64_t owner; /* the device the record is about (owner_key), 0 = none */
};

/* A meta record: this header, then the key bytes, then the value bytes. */
struct meta_payload {
	uint32_t klen;
	uint32_t vlen;
	uint32_t has_value;
	uint32_t pad;
};

struct chunk {
	struct chunk *next;
	size_t used;
	alignas(16) unsigned char data[LW_STORE_CHUNK_BYTES];
};

#define ENTRY_ALIGN 8
#define ENTRY_SIZE(n) ((sizeof(struct entry) + (n) + ENTRY_ALIGN - 1) & ~(size_t)(ENTRY_ALIGN - 1))

_Static_assert(sizeof(struct entry) % ENTRY_ALIGN == 0, "records stay aligned");
_Static_assert(ENTRY_SIZE(sizeof(struct meta_payload) + 2 * LW_STORE_META_MAX) <=
		       LW_STORE_CHUNK_BYTES,
	       "the largest record fits a chunk");
_Static_assert(ENTRY_SIZE(sizeof(struct lw_dns_rec)) <= LW_STORE_CHUNK_BYTES,
	       "the largest record fits a chunk");

/* A place in the queue. */
struct qpos {
	struct chunk *c;
	size_t off;
};

/*
 * Records queued per device, so that one device cannot take the whole writer queue from the
 * others (enqueue): open addressing on the MAC's key, deleted by backward shift.
 */
#define OWNER_SLOTS 8192 /* a power of two; a device queued beyond 3/4 of it is not shared */

struct owner {
	uint64_t key; /* 0 = empty */
	uint32_t queued;
};

struct lw_store {
	sqlite3 *db;
	struct owner *owners; /* OWNER_SLOTS */
	size_t n_owners; /* devices with records queued */
	/*
	 * The database file, open with an exclusive flock: the one-writer lock (lw_store_open).
	 * Closed only after SQLite closes the database: closing any descriptor of a file drops
	 * every POSIX lock the process holds on it, SQLite's own included.
	 */
	int lock_fd;
	sqlite3_stmt *st[ST__MAX];
	pthread_t thread;
	bool thread_started;

	pthread_mutex_t lock;
	pthread_cond_t work; /* the writer waits here */
	pthread_cond_t done; /* flush and stop wait here */

	/* Everything below up to the writer-only part is under lock. */
	struct chunk *head, *tail;
	size_t head_off;
	struct chunk *spare;
	unsigned n_spare;
	uint64_t queue_max;
	bool block_when_full;
	uint64_t high_water; /* write at once when this many are queued */
	uint64_t pending; /* records in the queue, including a batch being written */
	uint64_t fresh; /* records queued since the writer last took a batch */
	lw_time_us fresh_since;
	uint64_t seq_queued; /* records accepted so far */
	uint64_t seq_done; /* records accepted before the last committed batch was taken */
	unsigned flushers;
	bool retry; /* the last batch failed: try again after the backoff */
	lw_time_us failing_since; /* 0 = the last transaction succeeded */
	bool writing; /* a batch is being written (the lock released meanwhile) */
	bool stop;
	lw_time_us stop_at;
	bool writer_exited;
	bool stopped; /* lw_store_stop() finished */
	int stop_ret;
	uint64_t max_flow_id;
	struct lw_store_stats stats;

	/* Writer thread only (set before it starts). */
	lw_time_us commit_interval;
	uint32_t evidence_max_rows;
	uint64_t evidence_max_bytes;
	struct lw_prune prune; /* retention and the size cap (prune.c) */
	bool retention; /* some table has a retention (and, retention_once, no pass done yet) */
	bool retention_once;
	lw_time_us next_retention;
};

static lw_time_us mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (lw_time_us)ts.tv_sec * LW_USEC_PER_SEC + ts.tv_nsec / 1000;
}

/* Waits on c (a CLOCK_MONOTONIC condition) until woken or the deadline passes. */
static void wait_until(pthread_cond_t *c, pthread_mutex_t *m, lw_time_us deadline)
{
	struct timespec ts = {
		.tv_sec = deadline / LW_USEC_PER_SEC,
		.tv_nsec = (deadline % LW_USEC_PER_SEC) * 1000,
	};

	pthread_cond_timedwait(c, m, &ts);
}

/* ---- the queue (all under s->lock) ---- */

static struct chunk *chunk_get(struct lw_store *s)
{
	struct chunk *c = s->spare;

	if (c) {
		s->spare = c->next;
		s->n_spare--;
	} else {
		c = malloc(sizeof(*c));
		if (!c)
			return NULL;
	}
	c->next = NULL;
	c->used = 0;
	return c;
}

static void chunk_put(struct lw_store *s, struct chunk *c)
{
	if (s->n_spare < LW_STORE_SPARE_CHUNKS) {
		c->next = s->spare;
		s->spare = c;
		s->n_spare++;
	} else {
		free(c);
	}
}

struct part {
	const void *p;
	size_t n;
};

/* A device's key: FNV-1a of its MAC text, never 0; 0 for a record about no device. */
static uint64_t owner_key(const char *mac, size_t cap)
{
	uint64_t h = 14695981039346656037ULL;
	size_t i;

	for (i = 0; i < cap && mac[i]; i++)
		h = (h ^ (unsigned char)mac[i]) * 1099511628211ULL;
	return i == 0 ? 0 : h ? h : 1;
}

static struct owner *owner_slot(struct lw_store *s, uint64_t key)
{
	size_t i = key & (OWNER_SLOTS - 1);

	while (s->owners[i].key != 0 && s->owners[i].key != key)
		i = (i + 1) & (OWNER_SLOTS - 1);
	return &s->owners[i];
}

/* One record fewer queued for the device; at 0 its slot is freed. */
static void owner_done(struct lw_store *s, uint64_t key)
{
	struct owner *o;
	size_t i, j, home;

	if (key == 0)
		return;
	o = owner_slot(s, key);
	if (o->key == 0 || --o->queued > 0)
		return;
	s->n_owners--;
	i = (size_t)(o - s->owners);
	for (j = (i + 1) & (OWNER_SLOTS - 1); s->owners[j].key != 0;
	     j = (j + 1) & (OWNER_SLOTS - 1)) {
		home = s->owners[j].key & (OWNER_SLOTS - 1);
		if (((j - home) & (OWNER_SLOTS - 1)) >= ((j - i) & (OWNER_SLOTS - 1))) {
			s->owners[i] = s->owners[j];
			i = j;
		}
	}
	s->owners[i].key = 0;
}

/*
 * Whether a record of the device may be queued now.  No device may hold more than half the
 * queue; above the high water (half) a device holding its fair share, queue_max / n (n the
 * devices with records queued), or more is refused.  So a device flooding the queue is refused
 * its excess (counted in dropped_share) and a device that shows up meanwhile still finds room.
 * Reading a file waits for room instead (block_when_full): nothing is refused there.  Gives the
 * device's place (*slot) when yes.
 */
static bool owner_admit(struct lw_store *s, uint64_t key, struct owner **slot)
{
	struct owner *o;

	*slot = NULL;
	if (key == 0 || s->block_when_full)
		return true;
	o = owner_slot(s, key);
	if (o->key == 0 && s->n_owners >= OWNER_SLOTS / 4 * 3)
		return s->pending < s->high_water; /* more devices than places: no share */
	if (o->key != 0 &&
	    (o->queued >= s->queue_max / 2 ||
	     (s->pending >= s->high_water && o->queued >= s->queue_max / s->n_owners)))
		return false;
	*slot = o;
	return true;
}

static int enqueue(struct lw_store *s, enum rec_type type, uint64_t owner, const struct part *parts,
		   size_t nparts)
{
	struct owner *slot;
	size_t len = 0, need, off;
	struct entry *e;
	struct chunk *c;
	int ret = 0;

	for (size_t i = 0; i < nparts; i++)
		len += parts[i].n;
	need = ENTRY_SIZE(len);

	pthread_mutex_lock(&s->lock);
	if (s->stop) {
		s->stats.dropped++;
		ret = -ESHUTDOWN;
		goto out;
	}
	/* an offline reader waits for room (in steps, to notice a writer that keeps failing) */
	while (s->block_when_full && s->pending >= s->queue_max && !s->stop &&
	       !(s->failing_since &&
		 mono_now() - s->failing_since >= LW_STORE_FLUSH_FAIL_SEC * LW_USEC_PER_SEC)) {
		pthread_cond_signal(&s->work);
		wait_until(&s->done, &s->lock, mono_now() + LW_USEC_PER_SEC / 10);
	}
	if (s->pending >= s->queue_max || s->stop) {
		s->stats.dropped++;
		ret = s->stop ? -ESHUTDOWN : -ENOBUFS;
		goto out;
	}
	if (!owner_admit(s, owner, &slot)) {
		s->stats.dropped++;
		s->stats.dropped_share++;
		ret = -ENOBUFS;
		goto out;
	}
	if (s->tail->used + need > LW_STORE_CHUNK_BYTES) {
		c = chunk_get(s);
		if (!c) {
			s->stats.dropped++;
			ret = -ENOBUFS;
			goto out;
		}
		s->tail->next = c;
		s->tail = c;
	}
	c = s->tail;
	e = (struct entry *)(void *)(c->data + c->used);
	e->type = type;
	e->size = (uint32_t)need;
	e->owner = slot ? owner : 0;
	if (slot) {
		if (slot->key == 0) {
			slot->key = owner;
			slot->queued = 0;
			s->n_owners++;
		}
		slot->queued++;
	}
	off = sizeof(*e);
	for (size_t i = 0; i < nparts; i++) {
		memcpy((unsigned char *)e + off, parts[i].p, parts[i].n);
		off += parts[i].n;
	}
	c->used += need;
	s->pending++;
	s->stats.queued++;
	s->seq_queued++;
	if (s->fresh++ == 0)
		s->fresh_since = mono_now();
	/* Wake the writer only when its decision can change, not for every record. */
	if (s->fresh == 1 || s->pending == s->high_water)
		pthread_cond_signal(&s->work);
out:
	pthread_mutex_unlock(&s->lock);
	return ret;
}

/*
 * Records are fixed-size structs whose text fields are mostly unused (a DNS row is 1 416
 * bytes for ~100 bytes of content), so they are queued packed: every run of zero bytes
 * becomes a 0 byte and the run's length (one byte, 1-255).  A full queue of 65 536 rows then
 * holds ~10 MB instead of ~90 MB.  Nothing in this depends on the struct's layout, so every
 * record type packs the same way and unpacking gives back the exact bytes.  (zlib would pack
 * tighter but costs far more per row than this does.)
 */
#define PACK_MAX(n) ((n) + (n) / 2 + 2) /* worst case: "x\0" repeated, 3 bytes per 2 */

union any_rec {
	struct lw_flow_rec flow;
	struct lw_dns_rec dns;
	struct lw_device_rec device;
	struct lw_leak_rec leak;
	struct lw_stats_rec stats;
	struct lw_block_rec block;
	struct lw_session_rec session;
	struct lw_identifier_rec identifier;
	struct lw_station_rec station;
	struct lw_device_name_rec device_name;
};

_Static_assert(ENTRY_SIZE(sizeof(struct lw_evidence_rec) + LW_STORE_EVIDENCE_PCAP_MAX) <=
		       LW_STORE_CHUNK_BYTES,
	       "an evidence record and its pcap fit a chunk");
_Static_assert(ENTRY_SIZE(PACK_MAX(sizeof(union any_rec))) <= LW_STORE_CHUNK_BYTES,
	       "the largest packed record fits a chunk");

static size_t pack(const unsigned char *in, size_t n, unsigned char *out)
{
	static const unsigned char zeros[8];
	size_t i = 0, o = 0;

	while (i < n) {
		const unsigned char *z = memchr(in + i, 0, n - i);
		size_t lit = z ? (size_t)(z - (in + i)) : n - i, run = 0;

		memcpy(out + o, in + i, lit);
		o += lit;
		i += lit;
		/* the unused tails of text fields: whole words at a time */
		while (i + 8 <= n && run + 8 <= 255 && memcmp(in + i, zeros, 8) == 0)
			i += 8, run += 8;
		for (; i < n && in[i] == 0 && run < 255; i++)
			run++;
		if (run) {
			out[o++] = 0;
			out[o++] = (unsigned char)run;
		}
	}
	return o;
}

/* Inverse of pack(); out is n bytes.  Returns -1 if in does not unpack to exactly n bytes. */
static int unpack(const unsigned char *in, size_t in_len, unsigned char *out, size_t n)
{
	size_t i = 0, o = 0;

	while (o < n && i < in_len) {
		if (in[i] != 0) {
			const unsigned char *z = memchr(in + i, 0, in_len - i);
			size_t lit = z ? (size_t)(z - (in + i)) : in_len - i;

			if (lit > n - o) /* the entry's padding follows the record */
				lit = n - o;
			memcpy(out + o, in + i, lit);
			o += lit;
			i += lit;
			continue;
		}
		if (i + 1 >= in_len || in[i + 1] == 0 || in[i + 1] > n - o)
			return -1;
		memset(out + o, 0, in[i + 1]);
		o += in[i + 1];
		i += 2;
	}
	return o == n ? 0 : -1;
}

/* Queues a record; mac (may be NULL) names the device it is about, for its share. */
static int put(struct lw_store *s, enum rec_type type, const void *r, size_t n, const char *mac)
{
	unsigned char buf[PACK_MAX(sizeof(union any_rec))];
	struct part p = {buf, 0};

	if (!s || !r || n > sizeof(union any_rec))
		return -EINVAL;
	p.n = pack(r, n, buf);
	return enqueue(s, type, mac ? owner_key(mac, LW_MAC_STRLEN) : 0, &p, 1);
}

/* Drops the records before end, which the writer has committed (or given up on). */
static void consume(struct lw_store *s, struct qpos end)
{
	struct chunk *at = s->head;
	size_t off = s->head_off;

	/* each record leaves its device's share */
	while (at && !(at == end.c && off >= end.off)) {
		if (off >= at->used) {
			at = at->next;
			off = 0;
			continue;
		}
		owner_done(s, ((struct entry *)(void *)(at->data + off))->owner);
		off += ((struct entry *)(void *)(at->data + off))->size;
	}
	while (s->head != end.c) {
		struct chunk *c = s->head;

		s->head = c->next;
		chunk_put(s, c);
	}
	s->head_off = end.off;
	if (s->pending == 0) {
		/* Empty: the tail is the head; start it over rather than take a new chunk. */
		s->tail->used = 0;
		s->head_off = 0;
	}
}

/* ---- writing ---- */

static int bind_str(sqlite3_stmt *st, int i, const char *str, size_t cap)
{
	/* strnlen: a record whose producer forgot the NUL is cut at the field, not read past. */
	size_t n = strnlen(str, cap);

	if (n == 0)
		return sqlite3_bind_null(st, i);
	return sqlite3_bind_text(st, i, str, (int)n, SQLITE_STATIC);
}

#define BIND_STR(st, i, field) bind_str((st), (i), (field), sizeof(field))

static int bind_u64(sqlite3_stmt *st, int i, uint64_t v)
{
	/* SQLite integers are signed 64-bit; clamp rather than wrap to negative. */
	return sqlite3_bind_int64(st, i, v > INT64_MAX ? INT64_MAX : (sqlite3_int64)v);
}

static int step(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? SQLITE_OK : rc;
}

static int write_flow(struct lw_store *s, const struct lw_flow_rec *r)
{
	sqlite3_stmt *st = s->st[ST_FLOW];

	bind_u64(st, 1, r->id);
	BIND_STR(st, 2, r->mac);
	BIND_STR(st, 3, r->proto);
	BIND_STR(st, 4, r->src_ip);
	sqlite3_bind_int(st, 5, r->src_port);
	BIND_STR(st, 6, r->dst_ip);
	sqlite3_bind_int(st, 7, r->dst_port);
	sqlite3_bind_double(st, 8, r->first_seen);
	sqlite3_bind_double(st, 9, r->last_seen);
	BIND_STR(st, 10, r->domain);
	BIND_STR(st, 11, r->name_source);
	BIND_STR(st, 12, r->app);
	sqlite3_bind_int(st, 13, r->encrypted);
	bind_u64(st, 14, r->pkts_out);
	bind_u64(st, 15, r->bytes_out);
	bind_u64(st, 16, r->pkts_in);
	bind_u64(st, 17, r->bytes_in);
	sqlite3_bind_int(st, 18, r->ended);
	return step(st);
}

static int write_dns(struct lw_store *s, const struct lw_dns_rec *r)
{
	sqlite3_stmt *st = s->st[ST_DNS];

	sqlite3_bind_double(st, 1, r->ts);
	BIND_STR(st, 2, r->mac);
	BIND_STR(st, 3, r->client_ip);
	BIND_STR(st, 4, r->server_ip);
	BIND_STR(st, 5, r->qname);
	sqlite3_bind_int(st, 6, r->qtype);
	if (r->rcode < 0)
		sqlite3_bind_null(st, 7);
	else
		sqlite3_bind_int(st, 7, r->rcode);
	BIND_STR(st, 8, r->answers);
	if (r->ttl < 0)
		sqlite3_bind_null(st, 9);
	else
		sqlite3_bind_int64(st, 9, r->ttl);
	return step(st);
}

static int write_device(struct lw_store *s, const struct lw_device_rec *r)
{
	sqlite3_stmt *st = s->st[r->known_only ? ST_DEVICE_KNOWN : ST_DEVICE];

	BIND_STR(st, 1, r->mac);
	/* devices keeps whole seconds (INTEGER columns). */
	sqlite3_bind_int64(st, 2, (sqlite3_int64)r->ts);
	BIND_STR(st, 3, r->hostname);
	BIND_STR(st, 4, r->dhcp_vendor);
	sqlite3_bind_int(st, 5, r->randomized);
	BIND_STR(st, 6, r->ip);
	BIND_STR(st, 7, r->vendor);
	BIND_STR(st, 8, r->label);
	BIND_STR(st, 9, r->port);
	return step(st);
}

static int write_leak(struct lw_store *s, const struct lw_leak_rec *r)
{
	sqlite3_stmt *st = s->st[ST_LEAK];

	sqlite3_bind_double(st, 1, r->ts);
	BIND_STR(st, 2, r->mac);
	if (r->flow_id)
		bind_u64(st, 3, r->flow_id);
	else
		sqlite3_bind_null(st, 3);
	BIND_STR(st, 4, r->domain);
	BIND_STR(st, 5, r->dst_ip);
	sqlite3_bind_int(st, 6, r->dst_port);
	BIND_STR(st, 7, r->proto);
	BIND_STR(st, 8, r->kind);
	BIND_STR(st, 9, r->value);
	BIND_STR(st, 10, r->encoding);
	BIND_STR(st, 11, r->location);
	BIND_STR(st, 12, r->confidence);
	BIND_STR(st, 13, r->snippet);
	return step(st);
}

static int write_stats(struct lw_store *s, const struct lw_stats_rec *r)
{
	sqlite3_stmt *st = s->st[ST_STATS];

	sqlite3_bind_double(st, 1, r->ts);
	bind_u64(st, 2, r->packets);
	bind_u64(st, 3, r->bytes);
	bind_u64(st, 4, r->dropped);
	bind_u64(st, 5, r->if_dropped);
	bind_u64(st, 6, r->flows_active);
	bind_u64(st, 7, r->flows_evicted);
	bind_u64(st, 8, r->leaks);
	bind_u64(st, 9, r->malformed);
	bind_u64(st, 10, r->store_dropped);
	sqlite3_bind_int64(st, 11, r->rss_kb);
	bind_u64(st, 12, r->names_evicted);
	bind_u64(st, 13, r->dns_malformed);
	bind_u64(st, 14, r->http_malformed);
	bind_u64(st, 15, r->tls_malformed);
	bind_u64(st, 16, r->reasm_overflow);
	bind_u64(st, 17, r->reasm_gaps);
	bind_u64(st, 18, r->frag_dropped);
	bind_u64(st, 19, r->quic_too_big);
	bind_u64(st, 20, r->detect_budget_hit);
	bind_u64(st, 21, r->http_body_cut);
	bind_u64(st, 22, r->dns_unmatched);
	bind_u64(st, 23, r->dns_pending_evicted);
	bind_u64(st, 24, r->dhcp_chaddr_mismatch);
	bind_u64(st, 25, r->devices_refused);
	bind_u64(st, 26, r->block_guarded);
	bind_u64(st, 27, r->body_undecoded);
	bind_u64(st, 28, r->names_refused);
	bind_u64(st, 29, r->learned_evicted);
	bind_u64(st, 30, r->known_full);
	bind_u64(st, 31, r->store_dropped_share);
	bind_u64(st, 32, r->device_names_refused);
	bind_u64(st, 33, r->dns_flows);
	/* the store's own (schema v6), as of this batch */
	bind_u64(st, 34, lw_prune_db_bytes(&s->prune));
	bind_u64(st, 35, s->prune.pruned_rows);
	bind_u64(st, 36, s->prune.cap_pruned);
	bind_u64(st, 37, s->prune.vacuum_pages);
	bind_u64(st, 38, s->prune.checkpoint_busy);
	bind_u64(st, 39, r->buffer_refused); /* schema v7 */
	bind_u64(st, 40, r->buffer_refused_share);
	bind_u64(st, 41, r->buffer_peak_kb);
	return step(st);
}

static int write_meta(struct lw_store *s, const struct meta_payload *m)
{
	sqlite3_stmt *st = s->st[ST_META];
	const char *key = (const char *)(m + 1);

	sqlite3_bind_text(st, 1, key, (int)m->klen, SQLITE_STATIC);
	if (m->has_value)
		sqlite3_bind_text(st, 2, key + m->klen, (int)m->vlen, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 2);
	return step(st);
}

static int write_block(struct lw_store *s, const struct lw_block_rec *r)
{
	sqlite3_stmt *st = s->st[ST_BLOCK];

	sqlite3_bind_double(st, 1, r->ts);
	BIND_STR(st, 2, r->mac);
	BIND_STR(st, 3, r->domain);
	BIND_STR(st, 4, r->ip);
	if (r->until > 0)
		sqlite3_bind_double(st, 5, r->until);
	else
		sqlite3_bind_null(st, 5);
	BIND_STR(st, 6, r->reason);
	BIND_STR(st, 7, r->action);
	return step(st);
}

static int write_session(struct lw_store *s, const struct lw_session_rec *r)
{
	sqlite3_stmt *st = s->st[ST_SESSION];

	BIND_STR(st, 1, r->mac);
	BIND_STR(st, 2, r->ifname);
	sqlite3_bind_double(st, 3, r->start);
	if (r->end > 0)
		sqlite3_bind_double(st, 4, r->end);
	else
		sqlite3_bind_null(st, 4);
	return step(st);
}

static int write_identifier(struct lw_store *s, const struct lw_identifier_rec *r)
{
	sqlite3_stmt *st = s->st[ST_IDENTIFIER];

	BIND_STR(st, 1, r->mac);
	BIND_STR(st, 2, r->kind);
	BIND_STR(st, 3, r->value);
	BIND_STR(st, 4, r->source);
	sqlite3_bind_int64(st, 5, r->first_seen);
	return step(st);
}

/* -1 (not reported) -> NULL */
static void bind_opt(sqlite3_stmt *st, int i, int64_t v)
{
	if (v < 0)
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_int64(st, i, v);
}

/*
 * Not inlined: GCC 12 with -fsanitize=address at -O2, once this joined write_entry()'s
 * switch, merged bind_str() calls of several record types and warned (-Wstringop-overread)
 * that a 46- and a 256-byte bound exceed this record's 16-byte ifname.
 */
static __attribute__((noinline)) int write_station(struct lw_store *s,
						   const struct lw_station_rec *r)
{
	sqlite3_stmt *st = s->st[ST_STATION];

	sqlite3_bind_double(st, 1, r->ts);
	BIND_STR(st, 2, r->mac);
	BIND_STR(st, 3, r->ifname);
	if (r->has_signal)
		sqlite3_bind_int(st, 4, r->signal);
	else
		sqlite3_bind_null(st, 4);
	if (r->has_signal_avg)
		sqlite3_bind_int(st, 5, r->signal_avg);
	else
		sqlite3_bind_null(st, 5);
	bind_opt(st, 6, r->tx_bitrate);
	bind_opt(st, 7, r->rx_bitrate);
	bind_opt(st, 8, r->inactive_ms);
	bind_opt(st, 9, r->connected_s);
	bind_opt(st, 10, r->rx_bytes);
	bind_opt(st, 11, r->tx_bytes);
	bind_opt(st, 12, r->tx_retries);
	bind_opt(st, 13, r->tx_failed);
	return step(st);
}

/* Not inlined, for the reason write_station() is not: its 8-byte proto merged with others. */
static __attribute__((noinline)) int write_device_name(struct lw_store *s,
						       const struct lw_device_name_rec *r)
{
	sqlite3_stmt *st = s->st[ST_DEVICE_NAME];
	int rc;

	BIND_STR(st, 1, r->mac);
	BIND_STR(st, 2, r->proto);
	BIND_STR(st, 3, r->name);
	sqlite3_bind_double(st, 4, r->ts);
	bind_u64(st, 5, r->count);
	rc = step(st);
	if (rc != SQLITE_OK || !r->hostname[0])
		return rc;
	st = s->st[ST_DEVICE_NAME_HOST];
	BIND_STR(st, 1, r->mac);
	BIND_STR(st, 2, r->hostname);
	return step(st);
}

/*
 * The record, its pcap right behind it in the queue entry (lw_store_put_evidence).  Not inlined:
 * gcc -O2 with the sanitizers then took its dst_ip for the leak record's 16-byte kind
 * (-Wstringop-overread), as with write_station().
 */
static __attribute__((noinline)) int write_evidence(struct lw_store *s,
						    const struct lw_evidence_rec *r)
{
	sqlite3_stmt *st = s->st[ST_EVIDENCE];
	const uint8_t *pcap = (const uint8_t *)(r + 1);
	int rc;

	sqlite3_bind_double(st, 1, r->ts);
	BIND_STR(st, 2, r->mac);
	BIND_STR(st, 3, r->dest);
	BIND_STR(st, 4, r->kind);
	sqlite3_bind_double(st, 5, r->leak_ts);
	if (r->flow_id)
		bind_u64(st, 6, r->flow_id);
	else
		sqlite3_bind_null(st, 6);
	BIND_STR(st, 7, r->dst_ip);
	sqlite3_bind_int(st, 8, r->dst_port);
	BIND_STR(st, 9, r->proto);
	sqlite3_bind_int64(st, 10, r->packets);
	sqlite3_bind_int64(st, 11, (sqlite3_int64)r->pcap_len);
	sqlite3_bind_int(st, 12, r->linktype);
	sqlite3_bind_blob(st, 13, pcap, (int)r->pcap_len, SQLITE_STATIC);
	rc = step(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_OK || sqlite3_changes(s->db) == 0)
		return rc;
	st = s->st[ST_EVIDENCE_ROWS];
	sqlite3_bind_int64(st, 1, s->evidence_max_rows);
	rc = step(st);
	if (rc != SQLITE_OK)
		return rc;
	st = s->st[ST_EVIDENCE_BYTES];
	bind_u64(st, 1, s->evidence_max_bytes);
	return step(st);
}

/* The unpacked size of each packed record type (meta records are not packed). */
static const size_t rec_size[] = {
	[REC_FLOW] = sizeof(struct lw_flow_rec),
	[REC_DNS] = sizeof(struct lw_dns_rec),
	[REC_DEVICE] = sizeof(struct lw_device_rec),
	[REC_LEAK] = sizeof(struct lw_leak_rec),
	[REC_STATS] = sizeof(struct lw_stats_rec),
	[REC_BLOCK] = sizeof(struct lw_block_rec),
	[REC_SESSION] = sizeof(struct lw_session_rec),
	[REC_IDENTIFIER] = sizeof(struct lw_identifier_rec),
	[REC_STATION] = sizeof(struct lw_station_rec),
	[REC_DEVICE_NAME] = sizeof(struct lw_device_name_rec),
};

/* The data's clock (prune.c) follows the times of the records written. */
static void note_time(struct lw_store *s, enum rec_type type, const union any_rec *u)
{
	double ts;

	switch (type) {
	case REC_FLOW:
		ts = u->flow.last_seen;
		break;
	case REC_DNS:
		ts = u->dns.ts;
		break;
	case REC_DEVICE:
		ts = u->device.ts;
		break;
	case REC_LEAK:
		ts = u->leak.ts;
		break;
	case REC_STATS:
		ts = u->stats.ts;
		break;
	case REC_BLOCK:
		ts = u->block.ts;
		break;
	case REC_SESSION:
		ts = LW_MAX(u->session.start, u->session.end);
		break;
	case REC_STATION:
		ts = u->station.ts;
		break;
	case REC_DEVICE_NAME:
		ts = u->device_name.ts;
		break;
	default:
		return;
	}
	lw_prune_note(&s->prune, ts);
}

static int write_entry(struct lw_store *s, const struct entry *e)
{
	const void *p = e + 1;
	union any_rec u;

	if (e->type != REC_META && e->type != REC_EVIDENCE) {
		if (e->type >= sizeof(rec_size) / sizeof(rec_size[0]) || !rec_size[e->type] ||
		    unpack(p, e->size - sizeof(*e), (unsigned char *)&u, rec_size[e->type]) < 0)
			return SQLITE_MISUSE; /* cannot happen: pack() wrote it */
		p = &u;
	}
	note_time(s, (enum rec_type)e->type, p);
	switch ((enum rec_type)e->type) {
	case REC_FLOW:
		return write_flow(s, p);
	case REC_DNS:
		return write_dns(s, p);
	case REC_DEVICE:
		return write_device(s, p);
	case REC_LEAK:
		return write_leak(s, p);
	case REC_STATS:
		return write_stats(s, p);
	case REC_META:
		return write_meta(s, p);
	case REC_BLOCK:
		return write_block(s, p);
	case REC_SESSION:
		return write_session(s, p);
	case REC_IDENTIFIER:
		return write_identifier(s, p);
	case REC_STATION:
		return write_station(s, p);
	case REC_DEVICE_NAME:
		return write_device_name(s, p);
	case REC_EVIDENCE:
		return write_evidence(s, p);
	}
	return SQLITE_MISUSE;
}

/*
 * Errors that say nothing about the record: the database is locked, the disk is full or
 * failing.  The whole batch is rolled back and retried.  Anything else (a constraint, a value
 * too big, a table dropped by hand) would fail again on every retry and hold up everything
 * behind it, so that one record is skipped and counted as rejected.
 */
static bool transient(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
	case SQLITE_FULL:
	case SQLITE_IOERR:
	case SQLITE_NOMEM:
	case SQLITE_CANTOPEN:
	case SQLITE_READONLY:
	case SQLITE_PROTOCOL:
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
	case SQLITE_INTERRUPT:
		return true;
	default:
		return false;
	}
}

/* A failed transaction as an errno the daemon can name (SQLite's own text says less). */
static int failure_errno(struct lw_store *s, int rc)
{
	int e;

	switch (rc & 0xff) {
	case SQLITE_FULL:
		return -ENOSPC;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return -EBUSY;
	case SQLITE_READONLY:
		return -EROFS;
	case SQLITE_NOMEM:
		return -ENOMEM;
	}
	e = sqlite3_system_errno(s->db);
	return e > 0 ? -e : -EIO;
}

/*
 * Writes the records from start to end in one transaction, at most *count of them and, under
 * a size cap, about lw_prune_batch_bytes() of them (*bytes: their packed size, the estimate of
 * the rows they make), so that one transaction's WAL cannot carry the files past the cap.
 * Called without the lock: these records are complete and nobody else touches them;
 * chunk->used is read only for chunks before end.c, which producers have left.
 */
static int write_batch(struct lw_store *s, struct qpos start, struct qpos *end, uint64_t *count,
		       uint64_t *rejected, uint64_t *bytes)
{
	struct qpos p = start;
	uint64_t max = *count, budget = lw_prune_batch_bytes(&s->prune);
	int rc;

	*rejected = 0;
	*count = 0;
	*bytes = 0;
	lw_prune_batch_begin(&s->prune);
	rc = step(s->st[ST_BEGIN]);
	if (rc != SQLITE_OK)
		return rc;
	for (;;) {
		const struct entry *e;

		if ((p.c == end->c && p.off >= end->off) || *count == max ||
		    (budget && *bytes >= budget)) {
			*end = p;
			break;
		}
		if (p.c != end->c && p.off >= p.c->used) {
			p.c = p.c->next;
			p.off = 0;
			continue;
		}
		e = (const struct entry *)(const void *)(p.c->data + p.off);
		p.off += e->size;
		(*count)++;
		*bytes += e->size;
		rc = write_entry(s, e);
		if (rc == SQLITE_OK)
			continue;
		/*
		 * If SQLite ended the transaction itself, rows written from here on would
		 * commit one by one and be written again by the retry.
		 */
		if (transient(rc) || sqlite3_get_autocommit(s->db))
			goto rollback;
		(*rejected)++;
	}
	rc = step(s->st[ST_COMMIT]);
	for (int i = 1; i < LW_STORE_COMMIT_TRIES && (rc & 0xff) == SQLITE_BUSY &&
			!sqlite3_get_autocommit(s->db);
	     i++)
		rc = step(s->st[ST_COMMIT]);
	if (rc == SQLITE_OK)
		return SQLITE_OK;
rollback:
	/* SQLite may have rolled back already (disk full, I/O error). */
	if (!sqlite3_get_autocommit(s->db))
		step(s->st[ST_ROLLBACK]);
	return rc;
}

/* The pruning counters, for lw_store_get_stats(); with the lock held. */
static void publish_prune(struct lw_store *s, uint64_t bytes)
{
	s->stats.pruned_rows = s->prune.pruned_rows;
	s->stats.cap_pruned = s->prune.cap_pruned;
	s->stats.vacuum_pages = s->prune.vacuum_pages;
	s->stats.cap_unmet = s->prune.cap_unmet;
	s->stats.checkpoint_busy = s->prune.checkpoint_busy;
	s->stats.data_time = s->prune.data_time;
	if (bytes)
		s->stats.db_bytes = bytes;
}

/*
 * One step of a retention pass: at most LW_PRUNE_CHUNK rows of one table, in its own
 * transaction, so queued records are written in between.
 */
static void retention_step(struct lw_store *s)
{
	bool done;
	int rc;

	lw_prune_retention_start(&s->prune);
	rc = lw_prune_retention_step(&s->prune, &done);
	pthread_mutex_lock(&s->lock);
	if (rc != SQLITE_OK) {
		/* Locked or full: try the whole pass again a little later. */
		s->stats.write_errors++;
		s->next_retention = mono_now() + LW_STORE_RETENTION_RETRY_US;
	} else if (done) {
		s->next_retention = mono_now() + LW_STORE_RETENTION_PERIOD_US;
		if (s->retention_once)
			s->retention = false;
	}
	publish_prune(s, 0);
	pthread_mutex_unlock(&s->lock);
}

/*
 * After a commit, so before the next transaction: the size cap (prune.c), and the file's size
 * for the stats.  Without the lock.  The cap is looked at after every commit: measuring costs
 * a PRAGMA and two stats.
 */
static void after_commit(struct lw_store *s)
{
	uint64_t bytes;

	if (lw_prune_cap(&s->prune) != SQLITE_OK) {
		pthread_mutex_lock(&s->lock);
		s->stats.write_errors++;
		pthread_mutex_unlock(&s->lock);
	}
	bytes = lw_prune_db_bytes(&s->prune);
	pthread_mutex_lock(&s->lock);
	publish_prune(s, bytes);
	pthread_mutex_unlock(&s->lock);
}

/* With the lock held: waits for work; returns 1 for a batch, 2 for retention, 0 to exit. */
static int writer_wait(struct lw_store *s)
{
	for (;;) {
		lw_time_us now = mono_now(), deadline = INT64_MAX;

		if (s->pending > 0) {
			if (s->retry || s->stop || s->flushers || s->pending >= s->high_water ||
			    s->fresh == 0 || now >= s->fresh_since + s->commit_interval)
				return 1;
			deadline = s->fresh_since + s->commit_interval;
		} else if (s->stop) {
			return 0;
		}
		if (s->retention && !s->stop) {
			if (lw_prune_retention_due(&s->prune) || now >= s->next_retention)
				return 2;
			deadline = LW_MIN(deadline, s->next_retention);
		}
		if (deadline == INT64_MAX)
			pthread_cond_wait(&s->work, &s->lock);
		else
			wait_until(&s->work, &s->lock, deadline);
	}
}

static void *writer_main(void *arg)
{
	struct lw_store *s = arg;
	lw_time_us backoff = 0;
	int what;

	/* a cap lowered since the last run, or a database grown past it */
	after_commit(s);
	pthread_mutex_lock(&s->lock);
	while ((what = writer_wait(s)) != 0) {
		struct qpos start, end;
		uint64_t n, taken, seq, rejected, bytes;
		lw_time_us now, until;
		int rc;

		if (what == 2) {
			pthread_mutex_unlock(&s->lock);
			retention_step(s);
			pthread_mutex_lock(&s->lock);
			continue;
		}
		start = (struct qpos){s->head, s->head_off};
		end = (struct qpos){s->tail, s->tail->used};
		/*
		 * At most half the queue per transaction: the records of a batch count against
		 * the bound until it commits, so a batch of a full queue would stop a reader that
		 * waits for room (-r) for the whole transaction; with half, it goes on filling
		 * the other half meanwhile.
		 */
		n = s->high_water;
		taken = s->pending;
		seq = s->seq_queued - s->pending; /* the record before the head */
		s->fresh = 0;
		s->retry = false;
		s->writing = true;
		pthread_mutex_unlock(&s->lock);

		rc = write_batch(s, start, &end, &n, &rejected, &bytes);
		if (rc == SQLITE_OK) {
			lw_prune_batch_done(&s->prune, bytes);
			after_commit(s);
		}

		pthread_mutex_lock(&s->lock);
		s->writing = false;
		now = mono_now();
		if (rc == SQLITE_OK) {
			s->pending -= n;
			consume(s, end);
			s->stats.written += n - rejected;
			s->stats.rejected += rejected;
			s->seq_done = seq + n;
			if (n < taken)
				s->fresh = 0; /* records were left behind: write them at once */
			s->failing_since = 0;
			s->stats.last_error = 0;
			backoff = 0;
			pthread_cond_broadcast(&s->done);
			continue;
		}
		s->stats.write_errors++;
		s->stats.last_error = failure_errno(s, rc);
		if (!s->failing_since)
			s->failing_since = now;
		s->retry = true;
		pthread_cond_broadcast(&s->done);
		if (s->stop && now - s->stop_at >= LW_STORE_CLOSE_TIMEOUT_SEC * LW_USEC_PER_SEC) {
			/* Closing and the disk will not take it: count what is lost, go. */
			s->stats.lost += s->pending;
			s->pending = 0;
			consume(s, (struct qpos){s->tail, s->tail->used});
			break;
		}
		backoff = backoff ? LW_MIN(2 * backoff, LW_STORE_BACKOFF_MAX_US)
				  : LW_STORE_BACKOFF_MIN_US;
		until = now + backoff;
		while (mono_now() < until)
			wait_until(&s->work, &s->lock, until);
	}
	s->writer_exited = true;
	pthread_cond_broadcast(&s->done);
	pthread_mutex_unlock(&s->lock);

	/* Fold the WAL back into the database so that the file alone is complete. */
	sqlite3_wal_checkpoint_v2(s->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
	return NULL;
}

/* ---- the API ---- */

static void store_free(struct lw_store *s)
{
	struct chunk *c, *next;

	for (int i = 0; i < ST__MAX; i++)
		sqlite3_finalize(s->st[i]);
	lw_prune_fini(&s->prune);
	sqlite3_close(s->db);
	if (s->lock_fd >= 0)
		close(s->lock_fd);
	for (c = s->head; c; c = next) {
		next = c->next;
		free(c);
	}
	for (c = s->spare; c; c = next) {
		next = c->next;
		free(c);
	}
	pthread_cond_destroy(&s->done);
	pthread_cond_destroy(&s->work);
	pthread_mutex_destroy(&s->lock);
	free(s->owners);
	free(s);
}

static int init_sync(struct lw_store *s)
{
	pthread_condattr_t attr;
	int rc;

	rc = pthread_mutex_init(&s->lock, NULL);
	if (rc)
		return -rc;
	rc = pthread_condattr_init(&attr);
	if (!rc)
		rc = pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	if (!rc)
		rc = pthread_cond_init(&s->work, &attr);
	if (!rc) {
		rc = pthread_cond_init(&s->done, &attr);
		if (rc)
			pthread_cond_destroy(&s->work);
	}
	pthread_condattr_destroy(&attr);
	if (rc)
		pthread_mutex_destroy(&s->lock);
	return -rc;
}

__attribute__((format(printf, 3, 4))) static int refuse(char *err, size_t errlen, const char *fmt,
							...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -EPERM;
}

/* A file the database lives in must be ours alone: a regular file of our user, mode 0600. */
static int judge_file(const struct stat *st, const char *what, char *err, size_t errlen)
{
	if (S_ISLNK(st->st_mode))
		return refuse(err, errlen,
			      "%sis a symbolic link; leakwatchd does not follow one (give the real "
			      "path)",
			      what);
	if (!S_ISREG(st->st_mode))
		return refuse(err, errlen, "%sis not a regular file", what);
	if (st->st_uid != geteuid())
		return refuse(err, errlen,
			      "%sis owned by uid %u, not by the user leakwatchd runs as (uid %u); "
			      "chown it or remove it",
			      what, (unsigned)st->st_uid, (unsigned)geteuid());
	if (st->st_mode & 077)
		return refuse(
			err, errlen,
			"%smode %04o lets other users at it, and it holds device identifiers; "
			"chmod 0600 it",
			what, (unsigned)(st->st_mode & 07777));
	return 0;
}

/*
 * Opens (creating 0600 when missing) the database file without following a symbolic link in
 * its last component, and judges it and the -wal, -shm and -journal files beside it (see
 * judge_file).  Returns the open descriptor (st: what it is, so the caller can tell that
 * SQLite opened the same file), or -EPERM / -errno with err.
 */
static int check_db_file(const char *path, struct stat *st, char *err, size_t errlen)
{
	static const char *const side[] = {"-wal", "-shm", "-journal"};
	char other[4096], what[64];
	struct stat ost;
	int fd, ret;

	/*
	 * Not O_CREAT on an existing file: in a sticky directory (/tmp) the kernel refuses that for
	 * another user's file (protected_regular) before we could say whose it is.
	 */
	fd = open(path, O_RDWR | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0 && errno == ENOENT)
		fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY,
			  0600);
	if (fd < 0 && errno == ELOOP)
		return refuse(err, errlen,
			      "is a symbolic link; leakwatchd does not follow one (give the real "
			      "path)");
	if (fd < 0) {
		ret = -errno;
		/* not ours to open: say whose it is or what is wrong with it, if that is why */
		if ((ret == -EACCES || ret == -EPERM) && lstat(path, st) == 0 &&
		    judge_file(st, "", err, errlen) < 0)
			return -EPERM;
		if (err && errlen)
			snprintf(err, errlen, "cannot open %s: %s", path, strerror(-ret));
		return ret;
	}
	if (fstat(fd, st) < 0) {
		ret = -errno;
		close(fd);
		if (err && errlen)
			snprintf(err, errlen, "cannot stat: %s", strerror(-ret));
		return ret;
	}
	ret = judge_file(st, "", err, errlen);
	for (size_t i = 0; ret == 0 && i < LW_ARRAY_SIZE(side); i++) {
		if ((size_t)snprintf(other, sizeof(other), "%s%s", path, side[i]) >= sizeof(other))
			continue;
		if (lstat(other, &ost) < 0)
			continue; /* not there: SQLite creates it with the database's mode */
		snprintf(what, sizeof(what), "its %s file ", side[i]);
		ret = judge_file(&ost, what, err, errlen);
	}
	if (ret < 0) {
		close(fd);
		return ret;
	}
	return fd;
}

int lw_store_open(const char *path, const struct lw_store_config *cfg, struct lw_store **out,
		  char *errbuf, size_t errlen)
{
	struct stat st, now;
	int fd;
	struct lw_store *s;
	int ret, rc;

	*out = NULL;
	if (errbuf && errlen)
		errbuf[0] = '\0';
	if (!path)
		return -EINVAL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->lock_fd = -1;
	s->owners = calloc(OWNER_SLOTS, sizeof(*s->owners));
	if (!s->owners) {
		free(s);
		return -ENOMEM;
	}
	ret = init_sync(s);
	if (ret < 0) {
		free(s->owners);
		free(s);
		return ret;
	}
	s->queue_max = cfg && cfg->queue_max ? cfg->queue_max : LW_STORE_DEFAULT_QUEUE_MAX;
	s->block_when_full = cfg && cfg->block_when_full;
	s->retention_once = cfg && cfg->retention_once;
	s->high_water = s->queue_max / 2 ? s->queue_max / 2 : 1;
	s->commit_interval = cfg && cfg->commit_interval > 0 ? cfg->commit_interval
							     : LW_STORE_DEFAULT_COMMIT_INTERVAL;
	s->evidence_max_rows =
		cfg && cfg->evidence_max_rows ? cfg->evidence_max_rows : LW_STORE_EVIDENCE_ROWS;
	s->evidence_max_bytes =
		cfg && cfg->evidence_max_bytes ? cfg->evidence_max_bytes : LW_STORE_EVIDENCE_BYTES;
	if (cfg && cfg->max_db_bytes && s->evidence_max_bytes > cfg->max_db_bytes / 8)
		s->evidence_max_bytes = cfg->max_db_bytes / 8;
	s->prune.table = -1;
	s->next_retention = 0; /* a first pass at once */
	s->head = s->tail = chunk_get(s);
	if (!s->head) {
		ret = -ENOMEM;
		goto fail;
	}

	fd = check_db_file(path, &st, errbuf, errlen);
	if (fd < 0) {
		ret = fd;
		goto fail;
	}
	/*
	 * One writer per database, locked before anything is written: two writers would both
	 * number flows from the same id and merge unrelated flows into one row.  An flock (on the
	 * open file, not the process) does not touch SQLite's fcntl locks; `leakwatch status`
	 * tells a running daemon by it.  Kept open until SQLite has closed the file (lock_fd).
	 */
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		ret = errno == EWOULDBLOCK ? -EALREADY : -errno;
		close(fd);
		if (errbuf && errlen)
			snprintf(errbuf, errlen, "%s",
				 ret == -EALREADY ? "another leakwatchd is writing this database"
						  : "cannot lock the database file");
		goto fail;
	}
	s->lock_fd = fd;
	ret = lw_store_schema_open(path, cfg ? cfg->journal : LW_STORE_JOURNAL_WAL, &s->db,
				   &s->max_flow_id, &s->stats.open_vacuum_ms, errbuf, errlen);
	/* the name must still be the file judged: not swapped for a link meanwhile */
	if (ret == 0 && (lstat(path, &now) < 0 || now.st_dev != st.st_dev ||
			 now.st_ino != st.st_ino || S_ISLNK(now.st_mode)))
		ret = refuse(errbuf, errlen, "was replaced while it was being opened");
	if (ret == 0 && cfg && cfg->cache_kb) {
		char pragma[64];

		snprintf(pragma, sizeof(pragma), "PRAGMA cache_size = -%zu", cfg->cache_kb);
		if (sqlite3_exec(s->db, pragma, NULL, NULL, NULL) != SQLITE_OK)
			ret = refuse(errbuf, errlen, "cannot set the cache size");
	}
	if (ret < 0)
		goto fail;
	for (int i = 0; i < ST__MAX; i++) {
		rc = sqlite3_prepare_v3(s->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
					&s->st[i], NULL);
		if (rc != SQLITE_OK) {
			if (errbuf && errlen)
				snprintf(errbuf, errlen, "%s: cannot prepare a statement: %s", path,
					 sqlite3_errmsg(s->db));
			ret = lw_store_sqlite_errno(rc);
			ret = ret ? ret : -EIO;
			goto fail;
		}
	}
	rc = lw_prune_init(&s->prune, s->db, path, cfg);
	if (rc != SQLITE_OK) {
		if (errbuf && errlen)
			snprintf(errbuf, errlen, "%s: cannot prepare pruning: %s", path,
				 sqlite3_errmsg(s->db));
		ret = lw_store_sqlite_errno(rc);
		ret = ret ? ret : -EIO;
		goto fail;
	}
	for (int t = 0; t < PRUNE__TABLES; t++)
		s->retention |= s->prune.days[t] > 0;
	if (s->retention && s->retention_once) {
		/* the one pass on the clock of what the database held, before any record */
		lw_prune_retention_start(&s->prune);
		s->retention = s->prune.table >= 0;
	}
	s->stats.journal = s->prune.wal ? LW_STORE_JOURNAL_WAL : LW_STORE_JOURNAL_TRUNCATE;
	s->stats.data_time = s->prune.data_time;
	rc = pthread_create(&s->thread, NULL, writer_main, s);
	if (rc) {
		ret = -rc;
		if (errbuf && errlen)
			snprintf(errbuf, errlen, "cannot start the store writer: %s", strerror(rc));
		goto fail;
	}
	s->thread_started = true;
	*out = s;
	return 0;

fail:
	store_free(s);
	return ret;
}

int lw_store_stop(struct lw_store *s)
{
	int ret;

	if (!s)
		return 0;
	pthread_mutex_lock(&s->lock);
	if (s->stop) {
		/* Stopped, or being stopped by another thread: wait for that. */
		while (!s->stopped)
			pthread_cond_wait(&s->done, &s->lock);
		ret = s->stop_ret;
		pthread_mutex_unlock(&s->lock);
		return ret;
	}
	s->stop = true;
	s->stop_at = mono_now();
	pthread_cond_signal(&s->work);
	pthread_mutex_unlock(&s->lock);

	if (s->thread_started)
		pthread_join(s->thread, NULL);
	for (int i = 0; i < ST__MAX; i++) {
		sqlite3_finalize(s->st[i]);
		s->st[i] = NULL;
	}
	lw_prune_fini(&s->prune);
	sqlite3_close(s->db);
	s->db = NULL;

	pthread_mutex_lock(&s->lock);
	s->stop_ret = s->stats.lost ? -EIO : 0;
	s->stopped = true;
	ret = s->stop_ret;
	pthread_cond_broadcast(&s->done);
	pthread_mutex_unlock(&s->lock);
	return ret;
}

void lw_store_close(struct lw_store *s)
{
	if (!s)
		return;
	lw_store_stop(s);
	store_free(s);
}

uint64_t lw_store_max_flow_id(struct lw_store *s)
{
	uint64_t id;

	if (!s)
		return 0;
	pthread_mutex_lock(&s->lock);
	id = s->max_flow_id;
	pthread_mutex_unlock(&s->lock);
	return id;
}

int lw_store_put_flow(struct lw_store *s, const struct lw_flow_rec *r)
{
	int ret = put(s, REC_FLOW, r, sizeof(*r), r ? r->mac : NULL);

	if (ret == 0) {
		pthread_mutex_lock(&s->lock);
		if (r->id > s->max_flow_id)
			s->max_flow_id = r->id;
		pthread_mutex_unlock(&s->lock);
	}
	return ret;
}

int lw_store_put_dns(struct lw_store *s, const struct lw_dns_rec *r)
{
	return put(s, REC_DNS, r, sizeof(*r), r ? r->mac : NULL);
}

int lw_store_put_device(struct lw_store *s, const struct lw_device_rec *r)
{
	/* NULL in a TEXT PRIMARY KEY never conflicts: every write would add a row. */
	if (r && !r->mac[0])
		return -EINVAL;
	return put(s, REC_DEVICE, r, sizeof(*r), NULL); /* a device's own row: always */
}

int lw_store_put_leak(struct lw_store *s, const struct lw_leak_rec *r)
{
	return put(s, REC_LEAK, r, sizeof(*r), r ? r->mac : NULL);
}

int lw_store_put_evidence(struct lw_store *s, const struct lw_evidence_rec *r)
{
	struct part parts[2];

	if (!s || !r || !r->mac[0] || !r->dest[0] || !r->kind[0] || !r->pcap || r->pcap_len == 0 ||
	    r->pcap_len > LW_STORE_EVIDENCE_PCAP_MAX)
		return -EINVAL;
	parts[0].p = r;
	parts[0].n = sizeof(*r);
	parts[1].p = r->pcap;
	parts[1].n = r->pcap_len;
	return enqueue(s, REC_EVIDENCE, owner_key(r->mac, LW_MAC_STRLEN), parts, 2);
}

int lw_store_put_stats(struct lw_store *s, const struct lw_stats_rec *r)
{
	return put(s, REC_STATS, r, sizeof(*r), NULL);
}

int lw_store_put_block(struct lw_store *s, const struct lw_block_rec *r)
{
	return put(s, REC_BLOCK, r, sizeof(*r), NULL);
}

int lw_store_put_session(struct lw_store *s, const struct lw_session_rec *r)
{
	if (r && !r->mac[0])
		return -EINVAL;
	return put(s, REC_SESSION, r, sizeof(*r), r ? r->mac : NULL);
}

int lw_store_put_identifier(struct lw_store *s, const struct lw_identifier_rec *r)
{
	return put(s, REC_IDENTIFIER, r, sizeof(*r), r ? r->mac : NULL);
}

int lw_store_put_station(struct lw_store *s, const struct lw_station_rec *r)
{
	if (r && !r->mac[0])
		return -EINVAL;
	return put(s, REC_STATION, r, sizeof(*r), r ? r->mac : NULL);
}

int lw_store_put_device_name(struct lw_store *s, const struct lw_device_name_rec *r)
{
	/* NULL in the primary key never conflicts: every write would add a row */
	if (r && (!r->mac[0] || !r->proto[0] || !r->name[0]))
		return -EINVAL;
	return put(s, REC_DEVICE_NAME, r, sizeof(*r), r ? r->mac : NULL);
}

int lw_store_put_meta(struct lw_store *s, const char *key, const char *value)
{
	struct meta_payload m = {0};
	size_t klen, vlen = 0;
	struct part parts[3];

	if (!s || !key || !key[0])
		return -EINVAL;
	klen = strnlen(key, LW_STORE_META_MAX + 1);
	if (value)
		vlen = strnlen(value, LW_STORE_META_MAX + 1);
	if (klen > LW_STORE_META_MAX || vlen > LW_STORE_META_MAX)
		return -E2BIG;
	m.klen = (uint32_t)klen;
	m.vlen = (uint32_t)vlen;
	m.has_value = value != NULL;
	parts[0] = (struct part){&m, sizeof(m)};
	parts[1] = (struct part){key, klen};
	parts[2] = (struct part){value, vlen};
	return enqueue(s, REC_META, 0, parts, value ? 3 : 2);
}

int lw_store_flush(struct lw_store *s)
{
	lw_time_us start = mono_now();
	uint64_t target;
	int ret = 0;

	if (!s)
		return -EINVAL;
	pthread_mutex_lock(&s->lock);
	target = s->seq_queued;
	s->flushers++;
	pthread_cond_signal(&s->work);
	while (s->seq_done < target) {
		lw_time_us now = mono_now();

		/*
		 * Failing for the whole grace period of this call: a writer that failed before
		 * the call and is about to recover (a lock just released) gets its chance, and
		 * so does an attempt still being written when the grace ends (a slow CPU or
		 * storage takes seconds over a large batch: a small router, qemu-user).
		 */
		if (s->writer_exited || (s->failing_since && !s->writing &&
					 now - LW_MAX(s->failing_since, start) >=
						 LW_STORE_FLUSH_FAIL_SEC * LW_USEC_PER_SEC)) {
			ret = -EIO;
			break;
		}
		wait_until(&s->done, &s->lock, now + LW_STORE_FLUSH_POLL_US);
	}
	s->flushers--;
	pthread_mutex_unlock(&s->lock);
	return ret;
}

void lw_store_get_stats(struct lw_store *s, struct lw_store_stats *out)
{
	if (!s) {
		memset(out, 0, sizeof(*out));
		return;
	}
	pthread_mutex_lock(&s->lock);
	*out = s->stats;
	out->pending = s->pending;
	pthread_mutex_unlock(&s->lock);
}
