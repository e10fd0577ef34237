/* SPDX-License-Identifier: MIT */
/*
 * Tests of [database] as the store gets it (lw_config_store): which retention wins for each
 * table — a <table>_days key, else retention_days (raw tables only), else the store's
 * defaults — wherever the keys are in the file, and the storage's advice against keys set.
 */
#include "config.h"
#include "lw-test.h"
#include "store/storage.h"
#include "store/store.h"

#include <errno.h>

static void load(struct lw_config *c, struct lw_store_config *sc, const char *text,
		 const struct lw_storage *st)
{
	char err[256] = "";
	FILE *f = fmemopen((void *)text, strlen(text), "r");
	int r;

	if (!f) {
		perror("fmemopen");
		exit(2);
	}
	lw_config_defaults(c);
	r = lw_config_load_file(c, f, "test.conf", err, sizeof(err));
	fclose(f);
	if (r < 0)
		fprintf(stderr, "%s\n", err);
	LW_CHECK_INT(r, 0);
	lw_config_store(c, st, sc);
}

/* No key: the store's defaults, documented in the README's table. */
static void test_defaults(void)
{
	struct lw_config c;
	struct lw_store_config sc;

	load(&c, &sc, "", NULL);
	LW_CHECK_INT(sc.retain_days.flows, 30);
	LW_CHECK_INT(sc.retain_days.dns, 30);
	LW_CHECK_INT(sc.retain_days.leaks, 365);
	LW_CHECK_INT(sc.retain_days.devices, 365);
	LW_CHECK_INT(sc.retain_days.device_names, 365);
	LW_CHECK_INT(sc.retain_days.stats, 30);
	LW_CHECK_INT(sc.retain_days.blocks, 90);
	LW_CHECK_INT(sc.retain_days.sessions, 90);
	LW_CHECK_INT(sc.retain_days.stations, 7);
	LW_CHECK_INT(sc.retain_days.daily, 0);
	LW_CHECK_INT(sc.max_db_bytes, (uint64_t)LW_STORE_MAX_DB_MB_DEFAULT << 20);
	LW_CHECK_INT(sc.journal, LW_STORE_JOURNAL_WAL);
	LW_CHECK_INT(sc.commit_interval, 500 * 1000);
	lw_config_release(&c);
}

/*
 * retention_days (from older configurations) sets the raw tables — flows, dns, leaks, stats,
 * blocks, stations — and nothing else: devices, their names, sessions and the daily tables
 * keep their defaults.
 */
static void test_retention_days(void)
{
	struct lw_config c;
	struct lw_store_config sc;

	load(&c, &sc, "[database]\nretention_days = 3\n", NULL);
	LW_CHECK_INT(sc.retain_days.flows, 3);
	LW_CHECK_INT(sc.retain_days.dns, 3);
	LW_CHECK_INT(sc.retain_days.leaks, 3);
	LW_CHECK_INT(sc.retain_days.stats, 3);
	LW_CHECK_INT(sc.retain_days.blocks, 3);
	LW_CHECK_INT(sc.retain_days.stations, 3);
	LW_CHECK_INT(sc.retain_days.devices, 365);
	LW_CHECK_INT(sc.retain_days.device_names, 365);
	LW_CHECK_INT(sc.retain_days.sessions, 90);
	LW_CHECK_INT(sc.retain_days.daily, 0);
	lw_config_release(&c);

	/* 0 = forever, for the raw tables */
	load(&c, &sc, "[database]\nretention_days = 0\n", NULL);
	LW_CHECK_INT(sc.retain_days.flows, 0);
	LW_CHECK_INT(sc.retain_days.leaks, 0);
	LW_CHECK_INT(sc.retain_days.devices, 365);
	lw_config_release(&c);
}

/* A <table>_days key wins over retention_days, before or after it in the file. */
static void test_table_days_win(void)
{
	static const char *const texts[] = {
		"[database]\nretention_days = 3\nflows_days = 10\nleaks_days = 0\n"
		"devices_days = 20\ndaily_days = 400\n",
		"[database]\nflows_days = 10\nleaks_days = 0\ndevices_days = 20\n"
		"daily_days = 400\nretention_days = 3\n",
	};

	for (size_t i = 0; i < LW_ARRAY_SIZE(texts); i++) {
		struct lw_config c;
		struct lw_store_config sc;

		load(&c, &sc, texts[i], NULL);
		LW_CHECK_INT(sc.retain_days.flows, 10);
		LW_CHECK_INT(sc.retain_days.leaks, 0); /* forever, though retention_days = 3 */
		LW_CHECK_INT(sc.retain_days.dns, 3);
		LW_CHECK_INT(sc.retain_days.stats, 3);
		LW_CHECK_INT(sc.retain_days.devices, 20);
		LW_CHECK_INT(sc.retain_days.daily, 400);
		LW_CHECK_INT(sc.retain_days.sessions, 90);
		lw_config_release(&c);
	}
}

/* A <table>_days key alone changes its table only. */
static void test_table_days_alone(void)
{
	struct lw_config c;
	struct lw_store_config sc;

	load(&c, &sc, "[database]\nstations_days = 1\nmax_db_mb = 8\n", NULL);
	LW_CHECK_INT(sc.retain_days.stations, 1);
	LW_CHECK_INT(sc.retain_days.flows, 30);
	LW_CHECK_INT(sc.retain_days.leaks, 365);
	LW_CHECK_INT(sc.max_db_bytes, 8u << 20);
	lw_config_release(&c);
}

/* The storage's advice (jffs2: a rollback journal, 5 s commits) unless a key says otherwise. */
static void test_storage_advice(void)
{
	struct lw_storage st = {
		.kind = LW_STORAGE_JFFS2,
		.journal = LW_STORE_JOURNAL_TRUNCATE,
		.commit_interval = LW_STORAGE_COMMIT_FLASH_US,
	};
	struct lw_config c;
	struct lw_store_config sc;

	load(&c, &sc, "", &st);
	LW_CHECK_INT(sc.journal, LW_STORE_JOURNAL_TRUNCATE);
	LW_CHECK_INT(sc.commit_interval, LW_STORAGE_COMMIT_FLASH_US);
	lw_config_release(&c);
	load(&c, &sc, "[database]\njournal_mode = wal\ncommit_interval_ms = 250\n", &st);
	LW_CHECK_INT(sc.journal, LW_STORE_JOURNAL_WAL);
	LW_CHECK_INT(sc.commit_interval, 250 * 1000);
	lw_config_release(&c);
	load(&c, &sc, "[database]\njournal_mode = auto\ncommit_interval_ms = auto\n", &st);
	LW_CHECK_INT(sc.journal, LW_STORE_JOURNAL_TRUNCATE);
	LW_CHECK_INT(sc.commit_interval, LW_STORAGE_COMMIT_FLASH_US);
	lw_config_release(&c);
}

/* Loads text; returns lw_config_load_file's result, the reason in err. */
static int load_err(struct lw_config *c, const char *text, char *err, size_t errlen)
{
	FILE *f = fmemopen((void *)text, strlen(text), "r");
	int r;

	if (!f) {
		perror("fmemopen");
		exit(2);
	}
	err[0] = 0;
	lw_config_defaults(c);
	r = lw_config_load_file(c, f, "test.conf", err, errlen);
	fclose(f);
	return r;
}

/* [fleet]: off by default; what each key takes, and what it refuses with which reason */
static void test_fleet(void)
{
	static const struct {
		const char *text;
		const char *why; /* NULL: accepted */
	} cases[] = {
		{"[fleet]\nenabled = yes\nap_id = ap-1_x\n", NULL},
		{"[fleet]\nenabled = yes\n", "needs ap_id"},
		{"[fleet]\nap_id = ap.1\n", "ap_id: 'ap.1' must be 1 to 64"},
		{"[fleet]\nap_id = "
		 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n",
		 "longer than 64"},
		{"[fleet]\nservers = nats://a:4222,tls://b:4222\n", NULL},
		{"[fleet]\nservers = nats://a:4222,\n", "is not a list of nats://"},
		{"[fleet]\nservers = http://a\n", "is not a list of nats://"},
		{"[fleet]\nservers = nats://a:1 nats://b:2\n", "is not a list of nats://"},
		{"[fleet]\nstream = LEAK WATCH\n", "stream: 'LEAK WATCH' must be"},
		{"[fleet]\nsubject_prefix = a.b\n", "subject_prefix: 'a.b' must be"},
		{"[fleet]\ncreds_file = user.creds\n", "not an absolute path"},
		{"[fleet]\nnkey = UABC\nnkey_seed_file = /etc/leakwatch/seed\n", NULL},
		{"[fleet]\nnkey = UABC\n", "nkey and nkey_seed_file go together"},
		{"[fleet]\nnkey = SABC\nnkey_seed_file = /s\n", "not a user's public nkey"},
		{"[fleet]\ninterval = 0\n", "test.conf:2"},
		{"[fleet]\nbatch = 10001\n", "test.conf:2"},
		{"[fleet]\nunknown = 1\n", "unknown key 'unknown' in [fleet]"},
		{"[fleet]\nflags = no\nflags_bucket = MY_FLAGS-2\n", NULL},
		{"[fleet]\nflags_bucket = MY.FLAGS\n", "flags_bucket: 'MY.FLAGS' must be"},
	};
	struct lw_config c;
	char err[512];

	LW_CHECK_INT(load_err(&c, "", err, sizeof(err)), 0);
	LW_CHECK(!c.fleet_enabled);
	LW_CHECK_STR(c.fleet_servers, "nats://127.0.0.1:4222");
	LW_CHECK_STR(c.fleet_stream, "LEAKWATCH");
	LW_CHECK_STR(c.fleet_subject_prefix, "leakwatch");
	LW_CHECK_INT(c.fleet_interval, 10);
	LW_CHECK(c.fleet_flags);
	LW_CHECK_STR(c.fleet_flags_bucket, "LEAKWATCH_FLAGS");
	lw_config_release(&c);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int r = load_err(&c, cases[i].text, err, sizeof(err));

		if (!cases[i].why) {
			LW_CHECK_INT(r, 0);
		} else {
			LW_CHECK_INT(r, -EINVAL);
			LW_CHECK(strstr(err, cases[i].why) != NULL);
			if (!strstr(err, cases[i].why))
				fprintf(stderr, "  case %zu: %s\n", i, err);
		}
		lw_config_release(&c);
	}
	load_err(&c, "[fleet]\nenabled = yes\nap_id = kitchen\ninterval = 30\n", err, sizeof(err));
	LW_CHECK(c.fleet_enabled);
	LW_CHECK_STR(c.fleet_ap_id, "kitchen");
	LW_CHECK_INT(c.fleet_interval, 30);
	lw_config_release(&c);
}

int main(void)
{
	LW_TEST(test_defaults);
	LW_TEST(test_retention_days);
	LW_TEST(test_table_days_win);
	LW_TEST(test_table_days_alone);
	LW_TEST(test_storage_advice);
	LW_TEST(test_fleet);
	return lw_test_end();
}
