/* SPDX-License-Identifier: MIT */
/*
 * leakwatch: what leakwatchd found, from its SQLite database, for people (tables that fit 100
 * columns, local time, newest first) and scripts (--json, --csv).  It needs no running
 * daemon: reading commands open the database read-only; flag/unflag write the `flagged`
 * table, which a running daemon acts on within a second.
 *
 * Exit status (sysexits.h): 0 done; 1 unflag found nothing to remove; 3 status: leakwatchd is
 * not running (as systemctl status); 64 usage (including a malformed domain, MAC or time);
 * 65 not a leakwatch database; 66 no database at the path, or a directory; 73 the flagged
 * table holds as many flags as leakwatchd applies, or the backup file cannot be created;
 * 74 a database error; 77 permission denied; 78 a database of a newer schema.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <ini.h>
#include <libgen.h>
#include <limits.h>
#include <pwd.h>
#include <grp.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "block/block.h"
#include "core/types.h"
#include "detect/detect.h"
#include "out.h"
#include "proto/dns.h"
#include "lw-features.h"
#include "report.h"
#include "store/schema.h"
#include "store/store.h"

#define DEFAULT_DB "/var/lib/leakwatch/leakwatch.db"
#define DEFAULT_CONFIG LW_SYSCONFDIR "/leakwatch/leakwatch.conf"
/* the daemon reads this many [block] domains (LW_BLOCK_MAX_CONFIG_FLAGS, daemon/block.h) */
#define CONFIG_FLAGS_MAX 1024
#define EXIT_NOT_RUNNING 3 /* LSB "program is not running", systemctl status's */

/* which filters a command takes */
enum {
	F_MAC = 1u << 0,
	F_DOMAIN = 1u << 1,
	F_KIND = 1u << 2,
	F_CONF = 1u << 3,
	F_TIME = 1u << 4,
	F_LIMIT = 1u << 5,
	F_ALL = 0x3f,
};

struct opts {
	const char *db;
	const char *config;
	struct out out;
	const char *device; /* --mac / --device: a MAC or a device's label or hostname */
	const char *domain, *kind, *confidence, *since, *until, *limit;
	const char *reason;
	const char *output; /* report -o FILE */
};

/* the filters, parsed; bound to ?1..?7 of every listing's statement */
struct filter {
	char mac[LW_MAC_STRLEN]; /* "" any */
	char domain[LW_DNS_NAME_MAX]; /* "" any; a name matches its subdomains too */
	char kind[32]; /* "" any */
	int confidence; /* at least: -1 any, 0 pattern, 1 validated, 2 known */
	double since, until;
	long long limit; /* -1 none */
};

struct ctx {
	sqlite3 *db;
	const struct opts *o;
	struct filter f;
	char **args;
	int nargs;
	char config_path[PATH_MAX]; /* the configuration whose [block] domains were read */
	int n_config; /* flags from it */
	bool config_unread; /* it exists and could not be read */
};

static void usage(FILE *out)
{
	fprintf(out,
		/* clang-format off */
		"Usage: leakwatch [OPTIONS] COMMAND [ARGS]\n"
		"\n"
		"  devices            every device seen, by name; the last seen first\n"
		"  leaks              identifiers that left the network, the newest first\n"
		"  domains [MAC]      the names (and bare addresses) devices talked to\n"
		"  flows              connections\n"
		"  dns                the DNS query log\n"
		"  flags              every flagged domain and where the flag comes from\n"
		"  summary            per device: leaks by kind, top domains, blocked\n"
		"  stations [MAC]     Wi-Fi signal and rates: the latest of each station, or the\n"
		"                     history of MAC\n"
		"  flag DOMAIN [--mac DEVICE] [--reason TEXT]   block DOMAIN and its subdomains\n"
		"  unflag DOMAIN [--mac DEVICE]                 stop blocking it\n"
		"  status             is leakwatchd running (exit 3 when not); counters\n"
		"  backup FILE        a consistent copy of the database in FILE (new, 0600)\n"
		"  report -o FILE     one self-contained HTML page (0600): per device what it\n"
		"                     is, its domains, every identifier that left, a timeline of\n"
		"                     its leaks, what was blocked; the flags (--mac, --since,\n"
		"                     --until; --limit: rows per table, default 50)\n"
		"  evidence           the packets kept of each first leak of a (device,\n"
		"                     destination, kind)\n"
		"  evidence ID -o FILE  write one as a pcap for Wireshark (new, 0600; - a pipe)\n"
		"\n"
		"Filters (on every listing where they mean something):\n"
		"  --mac DEVICE       a MAC address, or a device's label or hostname\n"
		"  --domain NAME      a domain and its subdomains (or an address)\n"
		"  --kind KIND        imei, iccid, ad_id, ... (leakwatch --help kinds)\n"
		"  --confidence LEVEL at least pattern, validated or known\n"
		"  --since TIME, --until TIME\n"
		"  --limit N          at most N rows\n"
		"Output:\n"
		"  --wide             every column (default: the ones that fit 100 columns)\n"
		"  --json, --csv      for scripts: every column; JSON times are Unix seconds\n"
		"  --utc              times in UTC (default: local time)\n"
		"Files:\n"
		"  --db PATH          the database (default "
		/* clang-format on */
		DEFAULT_DB ")\n"
		"  -c, --config FILE  leakwatchd's configuration, for its [block] domains\n"
		"                     (default: the one leakwatchd ran with, else " DEFAULT_CONFIG
		")\n"
		"TIME: an age (30m, 2h, 7d), YYYY-MM-DD[ HH:MM[:SS]] (local time; UTC with --utc)\n"
		"or Unix seconds.\n");
}

static int fail(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(int status, const char *fmt, ...)
{
	va_list ap;

	fputs("leakwatch: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return status;
}

/* --- the database: open it, or say exactly why not ----------------------------------------- */

static const char *owner_of(const struct stat *sb, char *buf, size_t len)
{
	struct passwd *pw = getpwuid(sb->st_uid);
	struct group *gr = getgrgid(sb->st_gid);
	char u[32], g[32];

	if (pw)
		snprintf(u, sizeof(u), "%s", pw->pw_name);
	else
		snprintf(u, sizeof(u), "%u", (unsigned)sb->st_uid);
	if (gr)
		snprintf(g, sizeof(g), "%s", gr->gr_name);
	else
		snprintf(g, sizeof(g), "%u", (unsigned)sb->st_gid);
	snprintf(buf, len, "owner %s:%s, mode %04o", u, g, (unsigned)(sb->st_mode & 07777));
	return buf;
}

static int query_int(sqlite3 *db, const char *sql, long long *out)
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

/*
 * The file first (what stat, open and the header say), then SQLite: its own messages are
 * generic ("unable to open database file", "disk I/O error") where the cause is a
 * permission, a directory or a WAL database whose -shm file cannot be created.
 */
static int check_file(const char *path, bool write)
{
	char hdr[100], who[96], dir[PATH_MAX], shm[PATH_MAX + 8];
	struct stat sb;
	ssize_t n;
	int fd;

	if (stat(path, &sb) < 0) {
		if (errno == EACCES)
			return fail(EX_NOPERM,
				    "%s: permission denied: a directory on its path is closed to "
				    "you; run as root or as the leakwatch user",
				    path);
		return fail(EX_NOINPUT, "%s: %s (a different database: --db PATH)", path,
			    strerror(errno));
	}
	if (S_ISDIR(sb.st_mode))
		return fail(EX_NOINPUT,
			    "%s is a directory: --db takes the database file, e.g. "
			    "%s/leakwatch.db",
			    path, path);
	if (!S_ISREG(sb.st_mode))
		return fail(EX_DATAERR, "%s: not a regular file, not a leakwatch database", path);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == EACCES)
			return fail(EX_NOPERM,
				    "%s: permission denied (%s); run as root or as the leakwatch "
				    "user",
				    path, owner_of(&sb, who, sizeof(who)));
		return fail(EX_NOINPUT, "%s: %s", path, strerror(errno));
	}
	n = read(fd, hdr, sizeof(hdr));
	close(fd);
	if (n == 0)
		return fail(EX_DATAERR, "%s: an empty file, not a leakwatch database", path);
	if (n < (ssize_t)sizeof(hdr) || memcmp(hdr, "SQLite format 3", 16) != 0)
		return fail(EX_DATAERR, "%s: not an SQLite database, so not a leakwatch database",
			    path);
	if (write && access(path, W_OK) < 0 && errno == EACCES)
		return fail(EX_NOPERM,
			    "%s: permission denied: flag and unflag write the database (%s); run "
			    "as root or as the leakwatch user",
			    path, owner_of(&sb, who, sizeof(who)));
	/* WAL (header bytes 18, 19): every reader needs PATH-shm, created beside the file */
	snprintf(dir, sizeof(dir), "%s", path);
	snprintf(shm, sizeof(shm), "%s-shm", path);
	if (hdr[18] == 2 && access(shm, F_OK) < 0 && access(dirname(dir), W_OK) < 0 &&
	    errno == EACCES)
		return fail(EX_NOPERM,
			    "%s: permission denied: the database is in WAL mode and SQLite must "
			    "create %s in %s, a directory you cannot write; run as root or as the "
			    "leakwatch user",
			    path, shm, dir);
	if (hdr[18] == 2 && access(shm, F_OK) == 0 && access(shm, write ? R_OK | W_OK : R_OK) < 0 &&
	    errno == EACCES)
		return fail(EX_NOPERM,
			    "%s: permission denied; run as root or as the leakwatch user", shm);
	return 0;
}

static int open_db(const char *path, bool write, sqlite3 **out)
{
	sqlite3 *db = NULL;
	long long app = 0, version = 0, tables = 0;
	int rc;

	*out = NULL;
	rc = check_file(path, write);
	if (rc)
		return rc;
	rc = sqlite3_open_v2(path, &db, write ? SQLITE_OPEN_READWRITE : SQLITE_OPEN_READONLY, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_busy_timeout(db, 5000); /* the daemon commits at least once a second */
		rc = query_int(db, "PRAGMA application_id", &app);
	}
	if (rc == SQLITE_OK)
		rc = query_int(db, "PRAGMA user_version", &version);
	if (rc == SQLITE_OK)
		rc = query_int(db,
			       "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name "
			       "IN ('leaks', 'devices', 'flagged', 'meta')",
			       &tables);
	if (rc == SQLITE_NOTADB) {
		rc = fail(EX_DATAERR, "%s: not an SQLite database, so not a leakwatch database",
			  path);
	} else if (rc != SQLITE_OK) {
		rc = fail(EX_IOERR, "%s: %s", path, db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
	} else if (app != 0 && app != LW_STORE_APPLICATION_ID) {
		rc = fail(EX_DATAERR,
			  "%s: an SQLite database of another application (application_id %#llx), "
			  "not a leakwatch database",
			  path, app);
	} else if (version > LW_STORE_SCHEMA_VERSION) {
		rc = fail(
			EX_CONFIG,
			"%s: schema version %lld, newer than this leakwatch understands (%d): use "
			"the leakwatch command that came with the running leakwatchd",
			path, version, LW_STORE_SCHEMA_VERSION);
	} else if (version < 1 || app != LW_STORE_APPLICATION_ID || tables < 4) {
		rc = fail(EX_DATAERR, "%s: an SQLite database, but not a leakwatch database", path);
	}
	if (rc) {
		sqlite3_close(db);
		return rc;
	}
	*out = db;
	return 0;
}

static int prepare(sqlite3 *db, const char *sql, sqlite3_stmt **st)
{
	if (sqlite3_prepare_v2(db, sql, -1, st, NULL) != SQLITE_OK)
		return fail(EX_IOERR, "%s", sqlite3_errmsg(db));
	return 0;
}

static int exec(sqlite3 *db, const char *sql)
{
	if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return fail(EX_IOERR, "%s", sqlite3_errmsg(db));
	return 0;
}

/* a table or column that came with a later schema than the database has (read-only here) */
static bool has_table(sqlite3 *db, const char *name)
{
	sqlite3_stmt *st;
	bool yes;

	if (sqlite3_prepare_v2(db, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1",
			       -1, &st, NULL) != SQLITE_OK)
		return false;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	yes = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	return yes;
}

static bool has_column(sqlite3 *db, const char *table, const char *column)
{
	sqlite3_stmt *st;
	bool yes;

	if (sqlite3_prepare_v2(db, "SELECT 1 FROM pragma_table_info(?1) WHERE name = ?2", -1, &st,
			       NULL) != SQLITE_OK)
		return false;
	sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, column, -1, SQLITE_STATIC);
	yes = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	return yes;
}

static char *meta(sqlite3 *db, const char *key)
{
	sqlite3_stmt *st;
	char *v = NULL;

	if (sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key = ?1", -1, &st, NULL) !=
	    SQLITE_OK)
		return NULL;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
		v = strdup((const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return v;
}

/* --- flags from the configuration -------------------------------------------------------- */

/* as the daemon reads [block] domains (daemon/block.c): "*." dropped, normalized */
static int domain_normalize(const char *in, char out[LW_DNS_NAME_MAX])
{
	size_t n;

	while (*in == ' ' || *in == '\t')
		in++;
	if (in[0] == '*' && in[1] == '.')
		in += 2;
	if (strlen(in) >= LW_DNS_NAME_MAX)
		return -EINVAL;
	snprintf(out, LW_DNS_NAME_MAX, "%s", in);
	n = strlen(out);
	while (n && (out[n - 1] == ' ' || out[n - 1] == '\t'))
		out[--n] = '\0';
	if (lw_dns_name_normalize(out) < 0 || out[0] == '\0')
		return -EINVAL;
	return 0;
}

struct config_read {
	sqlite3_stmt *insert;
	int n;
};

static int config_handler(void *user, const char *section, const char *name, const char *value)
{
	struct config_read *cr = user;
	char *list, *tok, *save = NULL, domain[LW_DNS_NAME_MAX];

	if (strcmp(section, "block") != 0 || strcmp(name, "domains") != 0)
		return 1;
	list = strdup(value);
	if (!list)
		return 0;
	for (tok = strtok_r(list, ", \t", &save); tok; tok = strtok_r(NULL, ", \t", &save)) {
		if (cr->n >= CONFIG_FLAGS_MAX || domain_normalize(tok, domain) < 0)
			continue; /* the daemon ignores these too (and logs them) */
		sqlite3_bind_text(cr->insert, 1, domain, -1, SQLITE_TRANSIENT);
		if (sqlite3_step(cr->insert) == SQLITE_DONE &&
		    sqlite3_changes(sqlite3_db_handle(cr->insert)) > 0)
			cr->n++;
		sqlite3_reset(cr->insert);
	}
	free(list);
	return 1;
}

/*
 * temp.all_flags: every flag with its source — the flagged table's rows (user, auto) and the
 * configuration's [block] domains (config, for every device).  The configuration: -c, else
 * the one leakwatchd last ran with (meta "config"), else the installed default.  One that
 * cannot be read is a note (its flags are then missing), unless named with -c.
 */
static int load_flags(struct ctx *c)
{
	struct config_read cr = {0};
	char *from_meta = NULL;
	const char *path;
	FILE *f;
	int r;

	r = exec(c->db,
		 /* clang-format off */
		 "PRAGMA temp_store = MEMORY;\n"
		 "CREATE TEMP TABLE config_flags(domain TEXT PRIMARY KEY);\n"
		 "CREATE TEMP VIEW all_flags AS\n"
		 "  SELECT domain, mac, reason, ifnull(source, 'user') AS source, added,\n"
		 "    expires FROM main.flagged\n"
		 "  UNION ALL SELECT domain, NULL, NULL, 'config', NULL, NULL\n"
		 "    FROM config_flags"
		 /* clang-format on */
	);
	if (r)
		return r;
	path = c->o->config;
	if (!path) {
		from_meta = meta(c->db, "config");
		path = from_meta && from_meta[0] ? from_meta : DEFAULT_CONFIG;
	}
	snprintf(c->config_path, sizeof(c->config_path), "%s", path);
	f = fopen(path, "re");
	if (f) {
		struct stat sb;

		if (fstat(fileno(f), &sb) == 0 && S_ISDIR(sb.st_mode)) {
			fclose(f);
			f = NULL;
			errno = EISDIR;
		}
	}
	if (!f) {
		int e = errno;

		free(from_meta);
		if (c->o->config)
			return fail(e == EACCES ? EX_NOPERM : EX_NOINPUT, "%s: %s", c->o->config,
				    strerror(e));
		if (e != ENOENT) {
			c->config_unread = true;
			fprintf(stderr,
				"leakwatch: %s: %s: flags from its [block] domains not shown (run "
				"as root, or -c FILE)\n",
				c->config_path, strerror(e));
		}
		return 0;
	}
	free(from_meta);
	r = prepare(c->db, "INSERT OR IGNORE INTO config_flags(domain) VALUES(?1)", &cr.insert);
	if (r) {
		fclose(f);
		return r;
	}
	if (ini_parse_file(f, config_handler, &cr) < 0)
		fprintf(stderr, "leakwatch: %s: cannot read it\n", c->config_path);
	fclose(f);
	sqlite3_finalize(cr.insert);
	c->n_config = cr.n;
	return 0;
}

/* --- filters ------------------------------------------------------------------------------- */

static const char *const conf_names[] = {"pattern", "validated", "known"};

/* a flag's source in order of precedence, and a confidence as a number (SQL) */
#define SOURCE_RANK(s) "CASE " s " WHEN 'user' THEN 0 WHEN 'config' THEN 1 ELSE 2 END"
#define CONF_LEVEL(c)                                                            \
	"CASE " c " WHEN 'known' THEN 2 WHEN 'validated' THEN 1 WHEN 'pattern' " \
	"THEN 0 ELSE -1 END"

/* each listing's WHERE: ?1 mac, ?2 domain, ?3 kind, ?4 confidence, ?5 since, ?6 until */
#define W_MAC(col) "(?1 = '' OR " col " = ?1)"
#define W_DOMAIN(col) "(?2 = '' OR " col " = ?2 OR substr(" col ", -length(?2) - 1) = '.' || ?2)"
#define W_KIND(col) "(?3 = '' OR " col " = ?3)"
#define W_CONF(col) "(" CONF_LEVEL(col) " >= ?4)"
#define W_TIME(col) "(" col " BETWEEN ?5 AND ?6)"
#define W_SPAN(first, last) "(" last " >= ?5 AND " first " <= ?6)"
/* a leak row that passes the kind and confidence filters (and the time window) */
#define W_LEAK(l) "(" W_KIND(l ".kind") " AND " W_CONF(l ".confidence") " AND " W_TIME(l ".ts") ")"
#define LIMIT " LIMIT ?7"

/* a device's name for people: its label, DHCP hostname or vendor, else its MAC */
#define DEVNAME(d, mac) \
	"coalesce(nullif(" d ".label, ''), nullif(" d ".hostname, ''), " d ".vendor, " mac ")"

static void bind_filter(sqlite3_stmt *st, const struct filter *f)
{
	sqlite3_bind_text(st, 1, f->mac, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, f->domain, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, f->kind, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 4, f->confidence);
	sqlite3_bind_double(st, 5, f->since);
	sqlite3_bind_double(st, 6, f->until);
	sqlite3_bind_int64(st, 7, f->limit);
}

/* TIME: an age (30s, 15m, 12h, 7d, 2w), Unix seconds, or a date (and time), local or UTC. */
static int parse_time(const char *opt, const char *s, bool utc, double *out)
{
	static const char *const formats[] = {"%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S",
					      "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d"};
	struct tm tm;
	char *end;
	const char *e;
	double v;
	size_t i;

	errno = 0;
	v = strtod(s, &end);
	if (end != s && errno == 0 && v >= 0 && (s[0] >= '0' && s[0] <= '9') && !strchr(s, '-')) {
		double unit = *end == '\0'     ? -1
			      : end[1] != '\0' ? 0
			      : *end == 's'    ? 1
			      : *end == 'm'    ? 60
			      : *end == 'h'    ? 3600
			      : *end == 'd'    ? 86400
			      : *end == 'w'    ? 7 * 86400
					       : 0;

		if (unit < 0) {
			*out = v;
			return 0;
		}
		if (unit > 0) {
			*out = (double)time(NULL) - v * unit;
			return 0;
		}
	}
	for (i = 0; i < LW_ARRAY_SIZE(formats); i++) {
		memset(&tm, 0, sizeof(tm));
		e = strptime(s, formats[i], &tm);
		if (e && !*e) {
			tm.tm_isdst = -1;
			*out = (double)(utc ? timegm(&tm) : mktime(&tm));
			return 0;
		}
	}
	return fail(EX_USAGE,
		    "%s '%s': give an age such as 30m, 2h, 7d, a date YYYY-MM-DD[ HH:MM[:SS]] "
		    "(%s) or Unix seconds",
		    opt, s, utc ? "UTC" : "local time");
}

static int parse_mac(const char *s, char *out)
{
	struct lw_mac m;

	if (lw_mac_parse(s, &m) < 0)
		return -1;
	lw_mac_str(&m, out);
	return 0;
}

/* --mac: a MAC, else the one device whose label or hostname it is (case aside) */
static int resolve_device(sqlite3 *db, const char *arg, char *mac)
{
	sqlite3_stmt *st;
	int n = 0, r;
	char macs[3][LW_MAC_STRLEN];

	if (parse_mac(arg, mac) == 0)
		return 0;
	r = prepare(db,
		    "SELECT mac FROM devices WHERE label = ?1 COLLATE NOCASE OR hostname = ?1 "
		    "COLLATE NOCASE ORDER BY label = ?1 COLLATE NOCASE DESC, last_seen DESC",
		    &st);
	if (r)
		return r;
	sqlite3_bind_text(st, 1, arg, -1, SQLITE_STATIC);
	while (sqlite3_step(st) == SQLITE_ROW) {
		if (n < 3)
			snprintf(macs[n], sizeof(macs[n]), "%s", sqlite3_column_text(st, 0));
		n++;
	}
	sqlite3_finalize(st);
	if (n == 0) {
		char *safe = out_safe(arg, NULL);

		r = fail(EX_USAGE,
			 "'%s' is neither a MAC address (like 02:00:5e:10:00:01) nor a device's "
			 "label or hostname (leakwatch devices)",
			 safe ? safe : "?");
		free(safe);
		return r;
	}
	if (n > 1)
		return fail(EX_USAGE, "'%s' names %d devices (%s, %s%s); give the MAC", arg, n,
			    macs[0], macs[1], n > 2 ? ", ..." : "");
	snprintf(mac, LW_MAC_STRLEN, "%s", macs[0]);
	return 0;
}

static int parse_filter(const struct opts *o, unsigned takes, const char *cmd, struct filter *f)
{
	static const struct {
		unsigned bit;
		const char *name;
	} names[] = {{F_MAC, "--mac"},	       {F_DOMAIN, "--domain"},	    {F_KIND, "--kind"},
		     {F_CONF, "--confidence"}, {F_TIME, "--since/--until"}, {F_LIMIT, "--limit"}};
	const char *given[] = {
		o->device, o->domain, o->kind, o->confidence, o->since ? o->since : o->until,
		o->limit};
	size_t i;
	int r;

	memset(f, 0, sizeof(*f));
	f->confidence = -1;
	f->since = -1e18;
	f->until = 1e18;
	f->limit = -1;
	for (i = 0; i < LW_ARRAY_SIZE(names); i++)
		if (given[i] && !(takes & names[i].bit))
			return fail(EX_USAGE, "%s does not take %s", cmd, names[i].name);
	if (o->domain) {
		size_t n = strlen(o->domain);

		if (n == 0 || n >= sizeof(f->domain))
			return fail(EX_USAGE, "--domain '%s': not a domain name or address",
				    o->domain);
		for (i = 0; i < n; i++)
			f->domain[i] = (char)(o->domain[i] >= 'A' && o->domain[i] <= 'Z'
						      ? o->domain[i] - 'A' + 'a'
						      : o->domain[i]);
		if (n > 1 && f->domain[n - 1] == '.')
			f->domain[n - 1] = '\0';
	}
	if (o->kind) {
		if (lw_id_kind_parse(o->kind) < 0) {
			char list[256] = "";

			for (i = 0; i < LW_ID__COUNT; i++)
				snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s",
					 i ? ", " : "", lw_id_kind_str((enum lw_id_kind)i));
			return fail(EX_USAGE, "--kind '%s': not a kind (%s)", o->kind, list);
		}
		snprintf(f->kind, sizeof(f->kind), "%s", o->kind);
	}
	if (o->confidence) {
		for (i = 0; i < LW_ARRAY_SIZE(conf_names); i++)
			if (strcmp(o->confidence, conf_names[i]) == 0)
				f->confidence = (int)i;
		if (f->confidence < 0)
			return fail(
				EX_USAGE,
				"--confidence '%s': give pattern, validated or known (at least)",
				o->confidence);
	}
	if (o->since && (r = parse_time("--since", o->since, o->out.utc, &f->since)))
		return r;
	if (o->until && (r = parse_time("--until", o->until, o->out.utc, &f->until)))
		return r;
	if (o->limit) {
		char *end;

		errno = 0;
		f->limit = strtoll(o->limit, &end, 10);
		if (errno || end == o->limit || *end || f->limit < 0)
			return fail(EX_USAGE, "--limit '%s': give a number of rows (0 or more)",
				    o->limit);
	}
	return 0;
}

/* --- listings ------------------------------------------------------------------------------ */

static int list(struct ctx *c, const char *sql, const struct col *cols, size_t n_cols)
{
	sqlite3_stmt *st;
	int r = prepare(c->db, sql, &st);

	if (r)
		return r;
	bind_filter(st, &c->f);
	r = out_rows(st, cols, n_cols, &c->o->out);
	sqlite3_finalize(st);
	return r;
}

static int cmd_devices(struct ctx *c)
{
	static const struct col cols[] = {
		{"DEVICE", "device", K_TEXT, V_ALL, false, true},
		{"MAC", "mac", K_TEXT, V_ALL, false, false},
		{"LABEL", "label", K_TEXT, V_MORE, false, false},
		{"HOSTNAME", "hostname", K_TEXT, V_MORE, false, false},
		{"VENDOR", "vendor", K_TEXT, V_MORE, false, false},
		{"IP", "ip", K_TEXT, V_ALL, false, true},
		{"PORT", "port", K_TEXT, V_MORE, false, false},
		{"RANDOMIZED", "randomized", K_BOOL, V_MORE, false, false},
		{"CONNECTED SINCE", "connected_since", K_TIME, V_MORE, false, false},
		{"ONLINE", "online", K_BOOL, V_NARROW, false, false},
		{"FIRST SEEN", "first_seen", K_TIME, V_MORE, false, false},
		{"LAST SEEN", "last_seen", K_TIME, V_ALL, false, false},
		{"LEAKS", "leaks", K_INT, V_ALL, true, false},
		{"DHCP VENDOR", "dhcp_vendor", K_TEXT, V_MORE, false, false},
	};
	char sql[2048];

	snprintf(
		sql, sizeof(sql),
		/* clang-format off */
		"SELECT " DEVNAME("d", "d.mac") ", d.mac, d.label, d.hostname, d.vendor, d.ip,\n"
		"  %s, d.randomized, o.cs, o.cs IS NOT NULL, d.first_seen, d.last_seen,\n"
		"  (SELECT count(*) FROM leaks l WHERE l.mac = d.mac AND " W_LEAK("l") "),\n"
		"  d.dhcp_vendor\n"
		"FROM devices d LEFT JOIN (SELECT mac, max(start) AS cs FROM sessions\n"
		"    WHERE \"end\" IS NULL GROUP BY mac) o ON o.mac = d.mac\n"
		"WHERE " W_MAC("d.mac") " AND " W_SPAN("d.first_seen", "d.last_seen") "\n"
		"  AND (?2 = '' OR EXISTS (SELECT 1 FROM flows fl WHERE fl.mac = d.mac\n"
		"    AND " W_DOMAIN("coalesce(fl.domain, fl.dst_ip)") ")\n"
		"    OR EXISTS (SELECT 1 FROM leaks l WHERE l.mac = d.mac\n"
		"    AND " W_DOMAIN("coalesce(l.domain, l.dst_ip)") "))\n"
		"  AND ((?3 = '' AND ?4 < 0) OR EXISTS (SELECT 1 FROM leaks l\n"
		"    WHERE l.mac = d.mac AND " W_LEAK("l") "))\n"
		"ORDER BY d.last_seen DESC, d.mac" LIMIT,
		/* clang-format on */
		has_column(c->db, "devices", "port") ? "d.port" : "NULL");
	return list(c, sql, cols, LW_ARRAY_SIZE(cols));
}

static int cmd_leaks(struct ctx *c)
{
	static const struct col cols[] = {
		{"ID", "id", K_INT, V_DATA, true, false},
		{"TIME", "ts", K_TIME, V_ALL, false, false},
		{"MAC", "mac", K_TEXT, V_MORE, false, false},
		{"DEVICE", "device", K_TEXT, V_ALL, false, true},
		{"DOMAIN", "domain", K_TEXT, V_ALL, false, true},
		{"DST IP", "dst_ip", K_TEXT, V_MORE, false, false},
		{"PORT", "dst_port", K_INT, V_MORE, true, false},
		{"PROTO", "proto", K_TEXT, V_MORE, false, false},
		{"KIND", "kind", K_TEXT, V_ALL, false, false},
		{"VALUE", "value", K_TEXT, V_ALL, false, true},
		{"CONFIDENCE", "confidence", K_TEXT, V_ALL, false, false},
		{"WHERE", "location", K_TEXT, V_MORE, false, false},
		{"ENCODING", "encoding", K_TEXT, V_MORE, false, false},
		{"SNIPPET", "snippet", K_TEXT, V_MORE, false, false},
		{"FLOW", "flow_id", K_INT, V_DATA, true, false},
	};

	return list(
		c,
		/* clang-format off */
		"SELECT l.id, l.ts, l.mac, " DEVNAME("d", "l.mac") ", coalesce(l.domain, l.dst_ip),\n"
		"  l.dst_ip, l.dst_port, l.proto, l.kind, l.value, l.confidence, l.location,\n"
		"  l.encoding, l.snippet, l.flow_id\n"
		"FROM leaks l LEFT JOIN devices d ON d.mac = l.mac\n"
		"WHERE " W_MAC("l.mac") " AND " W_DOMAIN("coalesce(l.domain, l.dst_ip)") "\n"
		"  AND " W_LEAK("l") "\n"
		"ORDER BY l.ts DESC, l.id DESC" LIMIT,
		/* clang-format on */
		cols, LW_ARRAY_SIZE(cols));
}

/* the flag that covers name for mac (a flag covers its subdomains), the strongest source */
#define FLAG_SOURCE(name, mac)                                                                     \
	"(SELECT f.source FROM temp.all_flags f WHERE (f.mac IS NULL OR f.mac = " mac ")\n"        \
	"  AND (" name " = f.domain OR substr(" name ", -length(f.domain) - 1) = '.' || f.domain)" \
	"\n  ORDER BY " SOURCE_RANK("f.source") " LIMIT 1)"

/* names and bare addresses: a connection without a name counts under its address */
static int cmd_domains(struct ctx *c)
{
	static const struct col cols[] = {
		{"DEVICE", "device", K_TEXT, V_ALL, false, true},
		{"MAC", "mac", K_TEXT, V_MORE, false, false},
		{"DOMAIN", "domain", K_TEXT, V_ALL, false, true},
		{"ADDRESS ONLY", "address_only", K_BOOL, V_MORE, false, false},
		{"FLOWS", "flows", K_INT, V_ALL, true, false},
		{"BYTES OUT", "bytes_out", K_INT, V_ALL, true, false},
		{"BYTES IN", "bytes_in", K_INT, V_ALL, true, false},
		{"LEAKS", "leaks", K_INT, V_ALL, true, false},
		{"FIRST SEEN", "first_seen", K_TIME, V_MORE, false, false},
		{"LAST SEEN", "last_seen", K_TIME, V_ALL, false, false},
		{"FLAGGED", "flagged_by", K_TEXT, V_TABLES, false, false},
		{"FLAGGED", "flagged", K_BOOL, V_DATA, false, false},
		{"SOURCE", "flag_source", K_TEXT, V_DATA, false, false},
	};

	return list(c,
		    /* clang-format off */
		    "SELECT " DEVNAME("d", "g.mac") ", g.mac, g.name, g.bare, g.flows, g.bytes_out,\n"
		    "  g.bytes_in,\n"
		    "  (SELECT count(*) FROM leaks l WHERE l.mac = g.mac\n"
		    "    AND coalesce(l.domain, l.dst_ip) = g.name AND " W_LEAK("l") "),\n"
		    "  g.first_seen, g.last_seen, ifnull(g.src, 'no'), g.src IS NOT NULL, g.src\n"
		    "FROM (SELECT fl.mac, coalesce(fl.domain, fl.dst_ip) AS name,\n"
		    "    fl.domain IS NULL AS bare, count(*) AS flows,\n"
		    "    sum(fl.bytes_out) AS bytes_out, sum(fl.bytes_in) AS bytes_in,\n"
		    "    min(fl.first_seen) AS first_seen, max(fl.last_seen) AS last_seen,\n"
		    "    CASE WHEN fl.domain IS NOT NULL THEN " FLAG_SOURCE("fl.domain", "fl.mac") "\n"
		    "    END AS src\n"
		    "  FROM flows fl\n"
		    "  WHERE " W_MAC("fl.mac") " AND " W_DOMAIN("coalesce(fl.domain, fl.dst_ip)") "\n"
		    "  GROUP BY fl.mac, name) g\n"
		    "LEFT JOIN devices d ON d.mac = g.mac\n"
		    "WHERE " W_SPAN("g.first_seen", "g.last_seen") "\n"
		    "  AND ((?3 = '' AND ?4 < 0) OR EXISTS (SELECT 1 FROM leaks l\n"
		    "    WHERE l.mac = g.mac AND coalesce(l.domain, l.dst_ip) = g.name\n"
		    "    AND " W_LEAK("l") "))\n"
		    "ORDER BY g.last_seen DESC, g.name" LIMIT,
		    /* clang-format on */
		    cols, LW_ARRAY_SIZE(cols));
}

static int cmd_flows(struct ctx *c)
{
	static const struct col cols[] = {
		{"ID", "id", K_INT, V_DATA, true, false},
		{"FIRST SEEN", "first_seen", K_TIME, V_MORE, false, false},
		{"LAST SEEN", "last_seen", K_TIME, V_ALL, false, false},
		{"MAC", "mac", K_TEXT, V_MORE, false, false},
		{"DEVICE", "device", K_TEXT, V_ALL, false, true},
		{"PROTO", "proto", K_TEXT, V_ALL, false, false},
		{"SRC IP", "src_ip", K_TEXT, V_MORE, false, false},
		{"SRC PORT", "src_port", K_INT, V_MORE, true, false},
		{"DST IP", "dst_ip", K_TEXT, V_MORE, false, false},
		{"DESTINATION", "destination", K_TEXT, V_NARROW, false, true},
		{"DST PORT", "dst_port", K_INT, V_ALL, true, false},
		{"DOMAIN", "domain", K_TEXT, V_MORE, false, false},
		{"NAME FROM", "name_source", K_TEXT, V_MORE, false, false},
		{"APP", "app", K_TEXT, V_ALL, false, false},
		{"ENCRYPTED", "encrypted", K_BOOL, V_MORE, false, false},
		{"PKTS OUT", "pkts_out", K_INT, V_MORE, true, false},
		{"BYTES OUT", "bytes_out", K_INT, V_ALL, true, false},
		{"PKTS IN", "pkts_in", K_INT, V_MORE, true, false},
		{"BYTES IN", "bytes_in", K_INT, V_ALL, true, false},
		{"ENDED", "ended", K_BOOL, V_MORE, false, false},
		{"LEAKS", "leaks", K_INT, V_ALL, true, false},
	};

	return list(
		c,
		/* clang-format off */
		"SELECT fl.id, fl.first_seen, fl.last_seen, fl.mac, " DEVNAME("d", "fl.mac") ",\n"
		"  fl.proto, fl.src_ip, fl.src_port, fl.dst_ip, coalesce(fl.domain, fl.dst_ip),\n"
		"  fl.dst_port, fl.domain, fl.name_source, fl.app, fl.encrypted, fl.pkts_out,\n"
		"  fl.bytes_out, fl.pkts_in, fl.bytes_in, fl.ended,\n"
		"  (SELECT count(*) FROM leaks l WHERE l.flow_id = fl.id AND " W_LEAK("l") ")\n"
		"FROM flows fl LEFT JOIN devices d ON d.mac = fl.mac\n"
		"WHERE " W_MAC("fl.mac") " AND " W_DOMAIN("coalesce(fl.domain, fl.dst_ip)") "\n"
		"  AND " W_SPAN("fl.first_seen", "fl.last_seen") "\n"
		"  AND ((?3 = '' AND ?4 < 0) OR EXISTS (SELECT 1 FROM leaks l\n"
		"    WHERE l.flow_id = fl.id AND " W_LEAK("l") "))\n"
		"ORDER BY fl.last_seen DESC, fl.id DESC" LIMIT,
		/* clang-format on */
		cols, LW_ARRAY_SIZE(cols));
}

static int cmd_dns(struct ctx *c)
{
	static const struct col cols[] = {
		{"ID", "id", K_INT, V_DATA, true, false},
		{"TIME", "ts", K_TIME, V_ALL, false, false},
		{"MAC", "mac", K_TEXT, V_MORE, false, false},
		{"DEVICE", "device", K_TEXT, V_ALL, false, true},
		{"CLIENT IP", "client_ip", K_TEXT, V_MORE, false, false},
		{"SERVER IP", "server_ip", K_TEXT, V_MORE, false, false},
		{"QUERY", "qname", K_TEXT, V_ALL, false, true},
		{"TYPE", "type", K_TEXT, V_ALL, false, false},
		{"QTYPE", "qtype", K_INT, V_JSON, true, false},
		{"RCODE", "status", K_TEXT, V_ALL, false, false},
		{"RCODE", "rcode", K_INT, V_JSON, true, false},
		{"ANSWERS", "answers", K_TEXT, V_ALL, false, true},
		{"TTL", "ttl", K_INT, V_MORE, true, false},
		{"FLAGGED", "flagged_by", K_TEXT, V_ALL, false, false},
	};

	return list(
		c,
		/* clang-format off */
		"SELECT q.id, q.ts, q.mac, " DEVNAME("d", "q.mac") ", q.client_ip, q.server_ip,\n"
		"  q.qname, CASE q.qtype WHEN 1 THEN 'A' WHEN 28 THEN 'AAAA' WHEN 5 THEN\n"
		"  'CNAME' WHEN 65 THEN 'HTTPS' WHEN 64 THEN 'SVCB' WHEN 12 THEN 'PTR' WHEN 16\n"
		"  THEN 'TXT' WHEN 15 THEN 'MX' WHEN 33 THEN 'SRV' WHEN 2 THEN 'NS' WHEN 6 THEN\n"
		"  'SOA' WHEN 255 THEN 'ANY' ELSE 'TYPE' || q.qtype END, q.qtype,\n"
		"  CASE q.rcode WHEN 0 THEN 'NOERROR' WHEN 1 THEN 'FORMERR' WHEN 2 THEN\n"
		"  'SERVFAIL' WHEN 3 THEN 'NXDOMAIN' WHEN 4 THEN 'NOTIMP' WHEN 5 THEN\n"
		"  'REFUSED' ELSE 'RCODE' || q.rcode END, q.rcode, q.answers, q.ttl,\n"
		"  " FLAG_SOURCE("q.qname", "q.mac") "\n"
		"FROM dns q LEFT JOIN devices d ON d.mac = q.mac\n"
		"WHERE " W_MAC("q.mac") " AND " W_DOMAIN("q.qname") " AND " W_TIME("q.ts") "\n"
		"ORDER BY q.ts DESC, q.id DESC" LIMIT,
		/* clang-format on */
		cols, LW_ARRAY_SIZE(cols));
}

static int cmd_flags(struct ctx *c)
{
	static const struct col cols[] = {
		{"DOMAIN", "domain", K_TEXT, V_ALL, false, true},
		{"DEVICE", "device", K_TEXT, V_ALL, false, true},
		{"MAC", "mac", K_TEXT, V_MORE, false, false},
		{"SOURCE", "source", K_TEXT, V_ALL, false, false},
		{"ADDED", "added", K_TIME, V_ALL, false, false},
		{"EXPIRES", "expires", K_TIME, V_ALL, false, false},
		{"REASON", "reason", K_TEXT, V_ALL, false, true},
	};
	sqlite3_stmt *st;
	int r = prepare(
		c->db,
		/* clang-format off */
		"SELECT f.domain, CASE WHEN f.mac IS NULL THEN 'every device' ELSE\n"
		"  " DEVNAME("d", "f.mac") " END, f.mac, f.source, f.added, f.expires,\n"
		"  CASE f.source WHEN 'config' THEN '[block] domains in ' || ?8\n"
		"  ELSE f.reason END\n"
		"FROM temp.all_flags f LEFT JOIN devices d ON d.mac = f.mac\n"
		"WHERE (?1 = '' OR f.mac = ?1 OR f.mac IS NULL) AND " W_DOMAIN("f.domain") "\n"
		"  AND (f.added IS NULL OR f.added BETWEEN ?5 AND ?6)\n"
		"ORDER BY " SOURCE_RANK("f.source") ", f.added DESC, f.domain" LIMIT,
		/* clang-format on */
		&st);

	if (r)
		return r;
	bind_filter(st, &c->f);
	sqlite3_bind_text(st, 8, c->config_path, -1, SQLITE_STATIC);
	r = out_rows(st, cols, LW_ARRAY_SIZE(cols), &c->o->out);
	sqlite3_finalize(st);
	return r;
}

/* per device: its leaks by kind, the domains it talked to most, what was blocked */
static int cmd_summary(struct ctx *c)
{
	static const struct col cols[] = {
		{"DEVICE", "device", K_TEXT, V_ALL, false, true},
		{"MAC", "mac", K_TEXT, V_MORE, false, false},
		{"LEAKS", "leaks", K_INT, V_ALL, true, false},
		{"KINDS", "kinds", K_TEXT, V_TABLES | V_CSV, false, true},
		{"KINDS", "kinds", K_JSON, V_JSON, false, false},
		{"LAST LEAK", "last_leak", K_TIME, V_ALL, false, false},
		{"TOP DOMAINS", "top_domains", K_TEXT, V_TABLES | V_CSV, false, true},
		{"TOP DOMAINS", "top_domains", K_JSON, V_JSON, false, false},
		{"BLOCKED", "blocked", K_INT, V_ALL, true, false},
		{"LAST SEEN", "last_seen", K_TIME, V_MORE, false, false},
	};
	char sql[4096];
	bool blocks = has_table(c->db, "blocks");

	/* kinds and top domains: (name, count) rows made into text for tables, JSON for scripts */
	snprintf(
		sql, sizeof(sql),
		/* clang-format off */
		"WITH k AS (SELECT l.mac, l.kind, count(*) AS n, max(l.ts) AS last FROM leaks l\n"
		"    WHERE " W_MAC("l.mac") " AND " W_DOMAIN("coalesce(l.domain, l.dst_ip)") "\n"
		"    AND " W_LEAK("l") " GROUP BY l.mac, l.kind),\n"
		"  t AS (SELECT fl.mac, coalesce(fl.domain, fl.dst_ip) AS name, count(*) AS n\n"
		"    FROM flows fl WHERE " W_MAC("fl.mac") "\n"
		"    AND " W_DOMAIN("coalesce(fl.domain, fl.dst_ip)") "\n"
		"    AND " W_SPAN("fl.first_seen", "fl.last_seen") " GROUP BY fl.mac, name),\n"
		"  s AS (SELECT d.mac, " DEVNAME("d", "d.mac") " AS device, d.last_seen,\n"
		"    (SELECT sum(n) FROM k WHERE k.mac = d.mac) AS leaks,\n"
		"    (SELECT max(last) FROM k WHERE k.mac = d.mac) AS last_leak,\n"
		"    (SELECT group_concat(kind || ' ' || n, ', ') FROM (SELECT kind, n FROM k\n"
		"      WHERE k.mac = d.mac ORDER BY n DESC, kind)) AS kinds_text,\n"
		"    (SELECT json_group_object(kind, n) FROM (SELECT kind, n FROM k\n"
		"      WHERE k.mac = d.mac ORDER BY n DESC, kind)) AS kinds_json,\n"
		"    (SELECT group_concat(name, ', ') FROM (SELECT name FROM t\n"
		"      WHERE t.mac = d.mac ORDER BY n DESC, name LIMIT 3)) AS top_text,\n"
		"    (SELECT json_group_array(json_object('domain', name, 'flows', n)) FROM\n"
		"      (SELECT name, n FROM t WHERE t.mac = d.mac ORDER BY n DESC, name\n"
		"      LIMIT 3)) AS top_json,\n"
		"    %s AS blocked\n"
		"  FROM devices d WHERE " W_MAC("d.mac") ")\n"
		"SELECT device, mac, ifnull(leaks, 0), kinds_text, kinds_json, last_leak,\n"
		"  top_text, top_json, blocked, last_seen FROM s\n"
		"WHERE leaks > 0 OR (?2 = '' AND ?3 = '' AND ?4 < 0 AND ?5 < -1e17 AND ?6 > 1e17)\n"
		"ORDER BY last_leak DESC NULLS LAST, last_seen DESC, mac" LIMIT,
		/* clang-format on */
		blocks ? "(SELECT count(*) FROM blocks b WHERE b.mac = d.mac AND " W_TIME(
				 "b.ts") " AND " W_DOMAIN("coalesce(b.domain, b.ip)") ")"
		       : "0");
	return list(c, sql, cols, LW_ARRAY_SIZE(cols));
}

/*
 * Without --mac: the latest row of every station (the last poll that saw it, on whichever
 * interface); with it: every row of that station, the newest first.
 */
static int cmd_stations(struct ctx *c)
{
	static const struct col cols[] = {
		{"TIME", "ts", K_TIME, V_ALL, false, false},
		{"MAC", "mac", K_TEXT, V_MORE, false, false},
		{"DEVICE", "device", K_TEXT, V_ALL, false, true},
		{"IFACE", "ifname", K_TEXT, V_ALL, false, false},
		{"SIGNAL DBM", "signal", K_INT, V_ALL, true, false},
		{"AVG DBM", "signal_avg", K_INT, V_MORE, true, false},
		{"TX KBIT/S", "tx_bitrate", K_INT, V_ALL, true, false},
		{"RX KBIT/S", "rx_bitrate", K_INT, V_ALL, true, false},
		{"INACTIVE MS", "inactive_ms", K_INT, V_ALL, true, false},
		{"CONNECTED S", "connected_s", K_INT, V_MORE, true, false},
		{"RX BYTES", "rx_bytes", K_INT, V_MORE, true, false},
		{"TX BYTES", "tx_bytes", K_INT, V_MORE, true, false},
		{"TX RETRIES", "tx_retries", K_INT, V_MORE, true, false},
		{"TX FAILED", "tx_failed", K_INT, V_MORE, true, false},
	};
	char sql[1024];

	if (!has_table(c->db, "stations")) {
		fprintf(stderr,
			"leakwatch: %s has no station data yet (schema before 4); a newer "
			"leakwatchd adds it\n",
			c->o->db);
		snprintf(sql, sizeof(sql), "SELECT %s WHERE ?7 AND 0",
			 "NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, "
			 "NULL, NULL");
	} else {
		/* ids grow with time: the largest id of a MAC is its latest row (index-only) */
		static const char one_station[] = "s.mac = ?1 AND " W_TIME("s.ts");
		static const char latest_stations[] =
			"s.id IN (SELECT max(id) FROM stations WHERE " W_TIME(
				"ts") " GROUP BY mac)";

		snprintf(sql, sizeof(sql),
			 /* clang-format off */
			 "SELECT s.ts, s.mac, " DEVNAME("d", "s.mac") ", s.ifname, s.signal,\n"
			 "  s.signal_avg, s.tx_bitrate, s.rx_bitrate, s.inactive_ms, s.connected_s,\n"
			 "  s.rx_bytes, s.tx_bytes, s.tx_retries, s.tx_failed\n"
			 "FROM stations s LEFT JOIN devices d ON d.mac = s.mac\n"
			 "WHERE %s ORDER BY %s" LIMIT,
			 /* clang-format on */
			 c->f.mac[0] ? one_station : latest_stations,
			 c->f.mac[0] ? "s.ts DESC, s.id DESC" : "s.ts DESC, s.mac");
	}
	return list(c, sql, cols, LW_ARRAY_SIZE(cols));
}

/* --- flag, unflag --------------------------------------------------------------------------- */

static int normalize_domain(const char *arg, char *out, size_t len)
{
	if (strlen(arg) >= len || (snprintf(out, len, "%s", arg), lw_dns_name_normalize(out) < 0) ||
	    !strchr(out, '.'))
		return fail(EX_USAGE,
			    "'%s' is not a domain name (labels of letters, digits and '-', "
			    "separated by dots, e.g. vnet.cn)",
			    arg);
	return 0;
}

/*
 * Before a user flag: an auto row of the same key becomes the person's (no expiry, never
 * evicted), and so does a fleet row (a central flag: leakwatch-push then leaves it, so it
 * stays when the central flag goes); a table already holding LW_BLOCK_MAX_USER_FLAGS user rows refuses it, since the
 * daemon would ignore it.  0 go on; -1 done (the auto or fleet row taken over); else an exit status.
 */
static int flag_room(sqlite3 *db, const char *domain, const char *mac, const char *reason)
{
	sqlite3_stmt *st;
	long long n;
	int r;

	r = prepare(db,
		    "UPDATE flagged SET source = 'user', expires = NULL, "
		    "reason = ifnull(nullif(?3, ''), reason) "
		    "WHERE domain = ?1 AND ifnull(mac, '') = ?2 AND source IN ('auto', 'fleet')",
		    &st);
	if (r)
		return r;
	sqlite3_bind_text(st, 1, domain, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, mac, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, reason ? reason : "", -1, SQLITE_STATIC);
	r = sqlite3_step(st);
	sqlite3_finalize(st);
	if (r != SQLITE_DONE)
		return fail(EX_IOERR, "%s", sqlite3_errmsg(db));
	if (sqlite3_changes(db)) {
		printf("flagged %s for %s (was an automatic or a fleet flag)\n", domain,
		       mac[0] ? mac : "every device");
		return -1;
	}
	/* (an existing row of that key: "already flagged" below, whatever the count) */
	r = prepare(
		db,
		"SELECT count(*) FROM flagged WHERE ifnull(source, '') != 'auto' AND NOT EXISTS "
		"(SELECT 1 FROM flagged WHERE domain = ?1 AND ifnull(mac, '') = ?2)",
		&st);
	if (r)
		return r;
	sqlite3_bind_text(st, 1, domain, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, mac, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_ROW) {
		r = fail(EX_IOERR, "%s", sqlite3_errmsg(db));
		sqlite3_finalize(st);
		return r;
	}
	n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	if (n >= LW_BLOCK_MAX_USER_FLAGS)
		return fail(
			EX_CANTCREAT,
			"%s not flagged: the flagged table holds %lld flags, the most leakwatchd "
			"applies (%d; automatic flags not counted); unflag some first",
			domain, n, LW_BLOCK_MAX_USER_FLAGS);
	return 0;
}

static bool config_flagged(sqlite3 *db, const char *domain)
{
	sqlite3_stmt *st;
	bool yes;

	if (sqlite3_prepare_v2(db, "SELECT 1 FROM temp.config_flags WHERE domain = ?1", -1, &st,
			       NULL) != SQLITE_OK)
		return false;
	sqlite3_bind_text(st, 1, domain, -1, SQLITE_STATIC);
	yes = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	return yes;
}

static int cmd_flag(struct ctx *c, bool flag)
{
	const struct opts *o = c->o;
	char domain[LW_DNS_NAME_MAX];
	const char *mac = c->f.mac;
	sqlite3_stmt *st;
	int r, changed;
	bool in_config;

	if ((r = normalize_domain(c->args[0], domain, sizeof(domain))))
		return r;
	if (flag && (r = flag_room(c->db, domain, mac, o->reason)) != 0)
		return r < 0 ? 0 : r;
	if (flag)
		r = prepare(c->db,
			    "INSERT INTO flagged(domain, mac, reason, source) "
			    "SELECT ?1, nullif(?2, ''), nullif(?3, ''), 'user' WHERE NOT EXISTS "
			    "(SELECT 1 FROM flagged WHERE domain = ?1 AND ifnull(mac, '') = ?2)",
			    &st);
	else
		r = prepare(c->db, "DELETE FROM flagged WHERE domain = ?1 AND ifnull(mac, '') = ?2",
			    &st);
	if (r)
		return r;
	sqlite3_bind_text(st, 1, domain, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, mac, -1, SQLITE_STATIC);
	if (flag)
		sqlite3_bind_text(st, 3, o->reason ? o->reason : "", -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE) {
		r = fail(EX_IOERR, "%s", sqlite3_errmsg(c->db));
		sqlite3_finalize(st);
		return r;
	}
	sqlite3_finalize(st);
	changed = sqlite3_changes(c->db);
	/* a configuration flag is for every device and lives in the file, not the table */
	in_config = !mac[0] && config_flagged(c->db, domain);
	if (o->out.format == OUT_JSON) {
		printf("{\"domain\": ");
		out_json_str(stdout, domain);
		printf(", \"mac\": ");
		if (mac[0])
			out_json_str(stdout, mac);
		else
			fputs("null", stdout);
		printf(", \"%s\": %s", flag ? "flagged" : "unflagged", changed ? "true" : "false");
		if (in_config) {
			printf(", \"config\": ");
			out_json_str(stdout, c->config_path);
		}
		puts("}");
	} else if (flag) {
		printf("%s %s for %s\n", changed ? "flagged" : "already flagged:", domain,
		       mac[0] ? mac : "every device");
	} else if (!changed && in_config) {
		printf("%s is flagged in %s ([block] domains): remove it there and restart "
		       "leakwatchd\n",
		       domain, c->config_path);
	} else {
		printf("%s %s for %s\n", changed ? "unflagged" : "was not flagged:", domain,
		       mac[0] ? mac : "every device");
		if (changed && in_config)
			printf("%s stays flagged by %s ([block] domains)\n", domain,
			       c->config_path);
	}
	return !flag && !changed ? 1 : 0;
}

/* --- status ------------------------------------------------------------------------------ */

/* The daemon holds an flock on the database file while it runs (SQLite's own locks are
 * fcntl locks, which flock does not see). */
static bool daemon_locked(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	bool running = false;

	if (fd < 0)
		return false;
	if (flock(fd, LOCK_SH | LOCK_NB) < 0 && errno == EWOULDBLOCK)
		running = true;
	close(fd);
	return running;
}

/*
 * pid (from meta) is alive and is a leakwatchd, not a pid the kernel gave to another program:
 * live, the daemon's main process renames itself leakwatchd-priv (its parser keeps the name)
 */
static bool pid_is_leakwatchd(const char *pid)
{
	char path[64], comm[32] = "";
	char *end;
	long v;
	FILE *f;

	if (!pid)
		return false;
	errno = 0;
	v = strtol(pid, &end, 10);
	if (errno || end == pid || *end || v <= 0 || v > INT32_MAX)
		return false;
	if (kill((pid_t)v, 0) < 0 && errno != EPERM)
		return false;
	snprintf(path, sizeof(path), "/proc/%ld/comm", v);
	f = fopen(path, "re");
	if (!f)
		return false;
	if (!fgets(comm, sizeof(comm), f))
		comm[0] = '\0';
	fclose(f);
	comm[strcspn(comm, "\n")] = '\0';
	return strcmp(comm, "leakwatchd") == 0 || strcmp(comm, "leakwatchd-priv") == 0;
}

static long long file_size(const char *path, const char *suffix)
{
	char p[4096];
	struct stat sb;

	snprintf(p, sizeof(p), "%s%s", path, suffix);
	return stat(p, &sb) == 0 ? (long long)sb.st_size : 0;
}

/* the block.* meta keys the daemon keeps (daemon/block.c), from column BLOCK_COL on */
#define BLOCK_COL 12
static const char *const block_keys[] = {"layout", "family",	   "family_config", "queue_path",
					 "holds",  "br_netfilter", "problems"};

static const char *col_text(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	return t ? (const char *)t : NULL;
}

/* "block": {...} with problems as a list of lines; null when blocking never reported */
static void status_block_json(sqlite3_stmt *st, int col)
{
	size_t i;

	fputs(", \"block\": ", stdout);
	if (!col_text(st, col + 4)) {
		fputs("null", stdout);
		return;
	}
	putchar('{');
	for (i = 0; i < LW_ARRAY_SIZE(block_keys); i++) {
		const char *v = col_text(st, col + (int)i);

		printf("%s\"%s\": ", i ? ", " : "", block_keys[i]);
		if (strcmp(block_keys[i], "problems") == 0) {
			char buf[4096], *line, *save = NULL;
			bool first = true;

			snprintf(buf, sizeof(buf), "%s", v ? v : "");
			putchar('[');
			for (line = strtok_r(buf, "\n", &save); line;
			     line = strtok_r(NULL, "\n", &save)) {
				fputs(first ? "" : ", ", stdout);
				out_json_str(stdout, line);
				first = false;
			}
			putchar(']');
		} else if (v) {
			out_json_str(stdout, v);
		} else {
			fputs("null", stdout);
		}
	}
	putchar('}');
}

static void status_block_text(sqlite3_stmt *st, int col, bool running)
{
	const char *layout = col_text(st, col), *fam = col_text(st, col + 1),
		   *famc = col_text(st, col + 2), *qp = col_text(st, col + 3),
		   *holds = col_text(st, col + 4), *brnf = col_text(st, col + 5),
		   *probs = col_text(st, col + 6);
	char buf[4096], *line, *save = NULL;
	bool first = true;

	if (!holds)
		return; /* a database no daemon with blocking wrote */
	if (fam)
		printf("blocking:       %s AP, table family %s (%s), queue path %s%s\n",
		       layout ? layout : "?", fam, famc ? famc : "?", qp ? qp : "?",
		       running ? "" : " (when it last ran)");
	else
		printf("blocking:       %s\n", holds);
	if (fam) {
		printf("holds:          %s\n", holds);
		printf("br_netfilter:   %s\n", brnf ? brnf : "?");
	}
	snprintf(buf, sizeof(buf), "%s", probs ? probs : "");
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		printf("%s%s\n", first ? "problems:       " : "                ", line);
		first = false;
	}
	if (first)
		printf("problems:       none\n");
}

/* the storage.* meta keys the daemon writes at start (daemon/main.c), from STORAGE_COL on */
#define STORAGE_COL (BLOCK_COL + 10)
static const char *const storage_keys[] = {"kind", "fs", "advice", "journal", "max_db_mb"};

/* rows pruned by retention and by the size cap (stats, schema v6); -1 before v6 */
static void pruned_counts(sqlite3 *db, long long *pruned, long long *cap_pruned)
{
	sqlite3_stmt *st;

	*pruned = *cap_pruned = -1;
	if (sqlite3_prepare_v2(db,
			       "SELECT pruned_rows, cap_pruned FROM stats ORDER BY ts DESC LIMIT 1",
			       -1, &st, NULL) != SQLITE_OK)
		return;
	if (sqlite3_step(st) == SQLITE_ROW) {
		*pruned = sqlite3_column_int64(st, 0);
		*cap_pruned = sqlite3_column_int64(st, 1);
	}
	sqlite3_finalize(st);
}

static void status_storage_json(sqlite3_stmt *st, long long pruned, long long cap_pruned)
{
	size_t i;

	fputs(", \"storage\": ", stdout);
	if (!col_text(st, STORAGE_COL)) {
		fputs("null", stdout);
	} else {
		putchar('{');
		for (i = 0; i < LW_ARRAY_SIZE(storage_keys); i++) {
			const char *v = col_text(st, STORAGE_COL + (int)i);

			printf("%s\"%s\": ", i ? ", " : "", storage_keys[i]);
			if (!v)
				fputs("null", stdout);
			else if (strcmp(storage_keys[i], "max_db_mb") == 0)
				printf("%lld", atoll(v));
			else
				out_json_str(stdout, v);
		}
		putchar('}');
	}
	if (pruned >= 0)
		printf(", \"pruned_rows\": %lld, \"cap_pruned\": %lld", pruned, cap_pruned);
}

static void status_storage_text(sqlite3_stmt *st, long long pruned, long long cap_pruned)
{
	const char *cap = col_text(st, STORAGE_COL + 4);
	char *kind, *advice, *journal; /* meta is the owner's to write: shown made safe */

	if (!col_text(st, STORAGE_COL))
		return; /* written by a daemon from before storage awareness */
	kind = out_safe(col_text(st, STORAGE_COL), NULL);
	advice =
		out_safe(col_text(st, STORAGE_COL + 2) ? col_text(st, STORAGE_COL + 2) : "?", NULL);
	journal =
		out_safe(col_text(st, STORAGE_COL + 3) ? col_text(st, STORAGE_COL + 3) : "?", NULL);
	printf("storage:        %s — %s\n", kind ? kind : "?", advice ? advice : "?");
	printf("journal:        %s\n", journal ? journal : "?");
	free(kind);
	free(advice);
	free(journal);
	if (cap && atoll(cap) > 0)
		printf("size cap:       %lld MiB", atoll(cap));
	else
		printf("size cap:       none");
	if (pruned >= 0)
		printf(" (%lld rows pruned, %lld of them for the cap)", pruned, cap_pruned);
	putchar('\n');
}

/* what status knows about the daemon besides the database's rows */
struct status_daemon {
	bool running; /* holds the database's lock, or meta's pid is a live leakwatchd */
	bool pid_alive; /* meta's pid is a live leakwatchd */
	long long size; /* database and WAL, bytes */
};

static void status_daemon_read(struct ctx *c, struct status_daemon *sd)
{
	char *pid = meta(c->db, "pid");

	sd->pid_alive = pid_is_leakwatchd(pid);
	sd->running = daemon_locked(c->o->db) || sd->pid_alive;
	sd->size = file_size(c->o->db, "") + file_size(c->o->db, "-wal");
	free(pid);
}

/*
 * The optional parts of the daemon's build (meson options): as the daemon that wrote the
 * database recorded them (meta build.*), else this program's own build's.  Strings to free.
 */
static void status_build(sqlite3 *db, char **built, char **left_out)
{
	*built = meta(db, "build.features");
	*left_out = meta(db, "build.left_out");
	if (!*built || !*left_out) {
		free(*built);
		free(*left_out);
		*built = strdup(LW_FEATURES_BUILT);
		*left_out = strdup(LW_FEATURES_LEFT_OUT);
	}
}

/* A space-separated list as a JSON array of strings. */
static void json_words(const char *key, const char *list)
{
	const char *p = list ? list : "";
	size_t n, i = 0;

	printf(", \"%s\": [", key);
	while (*p) {
		n = strcspn(p, " ");
		if (n)
			printf("%s\"%.*s\"", i++ ? ", " : "", (int)n, p);
		p += n;
		p += strspn(p, " ");
	}
	fputs("]", stdout);
}

static int cmd_status(struct ctx *c)
{
	static const char sql[] =
		/* clang-format off */
		"SELECT (SELECT value FROM meta WHERE key = 'pid'),\n"
		"  (SELECT value FROM meta WHERE key = 'source'),\n"
		"  (SELECT value FROM meta WHERE key = 'version'),\n"
		"  s.ts, s.packets, s.dropped, s.flows_active, s.leaks,\n"
		"  (SELECT count(*) FROM devices), (SELECT count(*) FROM leaks),\n"
		"  (SELECT count(*) FROM sessions WHERE \"end\" IS NULL),\n"
		"  (SELECT count(*) FROM temp.all_flags),\n"
		"  (SELECT value FROM meta WHERE key = 'block.layout'),\n"
		"  (SELECT value FROM meta WHERE key = 'block.family'),\n"
		"  (SELECT value FROM meta WHERE key = 'block.family_config'),\n"
		"  (SELECT value FROM meta WHERE key = 'block.queue_path'),\n"
		"  (SELECT value FROM meta WHERE key = 'block.holds'),\n"
		"  (SELECT value FROM meta WHERE key = 'block.br_netfilter'),\n"
		"  (SELECT value FROM meta WHERE key = 'block.problems'),\n"
		"  (SELECT count(*) FROM temp.all_flags WHERE source = 'user'),\n"
		"  (SELECT count(*) FROM temp.all_flags WHERE source = 'config'),\n"
		"  (SELECT count(*) FROM temp.all_flags WHERE source = 'auto'),\n"
		"  (SELECT value FROM meta WHERE key = 'storage.kind'),\n"
		"  (SELECT value FROM meta WHERE key = 'storage.fs'),\n"
		"  (SELECT value FROM meta WHERE key = 'storage.advice'),\n"
		"  (SELECT value FROM meta WHERE key = 'storage.journal'),\n"
		"  (SELECT value FROM meta WHERE key = 'storage.max_db_mb')\n"
		"FROM (SELECT 1) LEFT JOIN (SELECT * FROM stats ORDER BY ts DESC LIMIT 1) s"
		/* clang-format on */
		;
	const struct opts *o = c->o;
	struct status_daemon sd;
	bool running;
	long long pruned, cap_pruned;
	char *built, *left_out;
	sqlite3_stmt *st;
	int r = prepare(c->db, sql, &st);

	if (r)
		return r;
	if (sqlite3_step(st) != SQLITE_ROW) {
		r = fail(EX_IOERR, "%s", sqlite3_errmsg(c->db));
		sqlite3_finalize(st);
		return r;
	}
	status_daemon_read(c, &sd);
	pruned_counts(c->db, &pruned, &cap_pruned);
	status_build(c->db, &built, &left_out);
	running = sd.running;
	if (o->out.format == OUT_JSON) {
		static const char *const keys[] = {
			"pid",	   "source",  "version",      "stats_time",
			"packets", "dropped", "flows_active", "leaks_counted",
			"devices", "leaks",   "stations_now", "flagged",
		};
		static const char *const flag_keys[] = {"user", "config", "auto"};
		size_t i;

		printf("{\"running\": %s, \"database\": ", running ? "true" : "false");
		out_json_str(stdout, o->db);
		printf(", \"database_bytes\": %lld", sd.size);
		for (i = 0; i < LW_ARRAY_SIZE(keys); i++) {
			printf(", \"%s\": ", keys[i]);
			if (i == 0 && !sd.pid_alive) {
				fputs("null", stdout);
			} else if (i == 3) {
				if (sqlite3_column_type(st, 3) == SQLITE_NULL)
					fputs("null", stdout);
				else
					printf("%.6f", sqlite3_column_double(st, 3));
			} else if (i < 3) {
				if (col_text(st, (int)i))
					out_json_str(stdout, col_text(st, (int)i));
				else
					fputs("null", stdout);
			} else {
				printf("%lld", (long long)sqlite3_column_int64(st, (int)i));
			}
		}
		fputs(", \"flags\": {", stdout);
		for (i = 0; i < LW_ARRAY_SIZE(flag_keys); i++)
			printf("%s\"%s\": %lld", i ? ", " : "", flag_keys[i],
			       (long long)sqlite3_column_int64(st, BLOCK_COL + 7 + (int)i));
		fputs("}, \"config\": ", stdout);
		out_json_str(stdout, c->config_path);
		status_block_json(st, BLOCK_COL);
		status_storage_json(st, pruned, cap_pruned);
		json_words("built_with", built);
		json_words("left_out", left_out);
		puts("}");
	} else {
		char t[32] = "-", *src = col_text(st, 1) ? out_safe(col_text(st, 1), NULL) : NULL;
		const char *pid = col_text(st, 0);

		if (sqlite3_column_type(st, 3) != SQLITE_NULL)
			out_time(sqlite3_column_double(st, 3), o->out.utc, true, t, sizeof(t));
		if (running && sd.pid_alive && pid)
			printf("leakwatchd:     running (pid %s)\n", pid);
		else
			printf("leakwatchd:     %s\n", running ? "running" : "not running");
		printf("database:       %s (%.1f MB)\n", o->db, (double)sd.size / 1e6);
		status_storage_text(st, pruned, cap_pruned);
		printf("%s%s\n",
		       running ? "capturing:      " : "last captured:  ", src ? src : "-");
		free(src);
		printf("last counters:  %s\n", t);
		printf("packets:        %lld\n", (long long)sqlite3_column_int64(st, 4));
		printf("dropped:        %lld\n", (long long)sqlite3_column_int64(st, 5));
		printf("flows active:   %lld\n", (long long)sqlite3_column_int64(st, 6));
		printf("devices:        %lld (%lld connected now)\n",
		       (long long)sqlite3_column_int64(st, 8),
		       (long long)sqlite3_column_int64(st, 10));
		printf("leaks:          %lld\n", (long long)sqlite3_column_int64(st, 9));
		printf("flagged:        %lld (%lld user, %lld config, %lld auto)\n",
		       (long long)sqlite3_column_int64(st, 11),
		       (long long)sqlite3_column_int64(st, BLOCK_COL + 7),
		       (long long)sqlite3_column_int64(st, BLOCK_COL + 8),
		       (long long)sqlite3_column_int64(st, BLOCK_COL + 9));
		status_block_text(st, BLOCK_COL, running);
		printf("built with:     %s\n", built && built[0] ? built : "-");
		printf("left out:       %s\n", left_out && left_out[0] ? left_out : "-");
	}
	free(built);
	free(left_out);
	sqlite3_finalize(st);
	return running ? 0 : EXIT_NOT_RUNNING;
}

/*
 * A copy of the database by SQLite's online backup API, in one step: one read transaction, so
 * the copy is the database as of one commit, and (WAL) the daemon goes on writing meanwhile.
 * The file must not exist: created 0600 (the rows are personal data), never through a link.
 */
static int cmd_backup(struct ctx *c)
{
	const char *path = c->args[0];
	sqlite3 *out = NULL;
	sqlite3_backup *b;
	int fd, rc, pages;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return fail(EX_CANTCREAT, "%s: %s (the backup must be a new file)", path,
			    strerror(errno));
	close(fd);
	rc = sqlite3_open_v2(path, &out, SQLITE_OPEN_READWRITE, NULL);
	b = rc == SQLITE_OK ? sqlite3_backup_init(out, "main", c->db, "main") : NULL;
	if (!b) {
		fail(EX_IOERR, "%s: %s", path, out ? sqlite3_errmsg(out) : sqlite3_errstr(rc));
		sqlite3_close(out);
		unlink(path);
		return EX_IOERR;
	}
	do {
		rc = sqlite3_backup_step(b, -1);
		if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
			sqlite3_sleep(100);
	} while (rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED);
	pages = sqlite3_backup_pagecount(b);
	sqlite3_backup_finish(b);
	if (rc != SQLITE_DONE) {
		fail(EX_IOERR, "%s: %s", path, sqlite3_errstr(rc));
		sqlite3_close(out);
		unlink(path);
		return EX_IOERR;
	}
	rc = sqlite3_close(out);
	if (rc != SQLITE_OK)
		return fail(EX_IOERR, "%s: %s", path, sqlite3_errstr(rc));
	printf("%s: %d pages\n", path, pages);
	return 0;
}

/* --- evidence ------------------------------------------------------------------------------ */

static int evidence_list(struct ctx *c)
{
	static const struct col cols[] = {
		{"ID", "id", K_INT, V_ALL, true, false},
		{"TIME", "leak_ts", K_TIME, V_ALL, false, false},
		{"MAC", "mac", K_TEXT, V_MORE, false, false},
		{"DEVICE", "device", K_TEXT, V_ALL, false, true},
		{"DESTINATION", "dest", K_TEXT, V_ALL, false, true},
		{"KIND", "kind", K_TEXT, V_ALL, false, false},
		{"PACKETS", "packets", K_INT, V_ALL, true, false},
		{"BYTES", "bytes", K_INT, V_ALL, true, false},
		{"SERVER", "dst_ip", K_TEXT, V_MORE, false, false},
		{"PORT", "dst_port", K_INT, V_MORE, true, false},
		{"PROTO", "proto", K_TEXT, V_MORE, false, false},
		{"FLOW", "flow_id", K_INT, V_MORE, true, false},
	};
	char sql[1024];

	if (!has_table(c->db, "evidence")) {
		fprintf(stderr,
			"leakwatch: %s has no evidence yet (schema before 7); a newer leakwatchd "
			"adds it\n",
			c->o->db);
		snprintf(sql, sizeof(sql), "SELECT %s WHERE ?7 AND 0",
			 "NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL");
	} else {
		snprintf(sql, sizeof(sql),
			 /* clang-format off */
			 "SELECT e.id, e.leak_ts, e.mac, " DEVNAME("d", "e.mac") ", e.dest, e.kind,\n"
			 "  e.packets, e.bytes, e.dst_ip, e.dst_port, e.proto, e.flow_id\n"
			 "FROM evidence e LEFT JOIN devices d ON d.mac = e.mac\n"
			 "WHERE " W_MAC("e.mac") " AND " W_DOMAIN("e.dest") " AND " W_KIND("e.kind")
			 " AND " W_TIME("e.leak_ts") "\n"
			 "ORDER BY e.leak_ts DESC, e.id DESC" LIMIT);
		/* clang-format on */
	}
	return list(c, sql, cols, LW_ARRAY_SIZE(cols));
}

/*
 * One row's pcap into a new file (0600: it holds the identifiers; never through a link), or
 * to standard output with "-" (not a terminal).
 */
static int evidence_write(struct ctx *c)
{
	const char *arg = c->args[0], *path = c->o->output;
	sqlite3_stmt *st;
	const void *blob;
	long long id;
	char *end;
	int fd, n, r;

	errno = 0;
	id = strtoll(arg, &end, 10);
	if (errno || end == arg || *end || id <= 0)
		return fail(EX_USAGE, "'%s' is not an evidence id (leakwatch evidence lists them)",
			    arg);
	if (!has_table(c->db, "evidence"))
		return fail(EX_DATAERR, "%s has no evidence (schema before 7)", c->o->db);
	r = prepare(c->db, "SELECT pcap FROM evidence WHERE id = ?1", &st);
	if (r)
		return r;
	sqlite3_bind_int64(st, 1, id);
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_finalize(st);
		return fail(EX_DATAERR, "no evidence %lld in %s (leakwatch evidence lists them)",
			    id, c->o->db);
	}
	blob = sqlite3_column_blob(st, 0);
	n = sqlite3_column_bytes(st, 0);
	if (!blob || n < 24) {
		sqlite3_finalize(st);
		return fail(EX_DATAERR, "evidence %lld in %s holds no pcap (%d bytes)", id,
			    c->o->db, n);
	}
	if (strcmp(path, "-") == 0) {
		if (isatty(STDOUT_FILENO)) {
			sqlite3_finalize(st);
			return fail(EX_USAGE, "a pcap is binary: -o FILE, or - into a pipe");
		}
		fd = STDOUT_FILENO;
	} else {
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd < 0) {
			r = errno;
			sqlite3_finalize(st);
			return fail(EX_CANTCREAT, "%s: %s (the evidence must be a new file)", path,
				    strerror(r));
		}
	}
	for (const char *p = blob; n > 0;) {
		ssize_t w = write(fd, p, (size_t)n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			r = errno;
			sqlite3_finalize(st);
			if (fd != STDOUT_FILENO)
				close(fd);
			return fail(EX_IOERR, "%s: %s", path, strerror(r ? r : EIO));
		}
		p += w;
		n -= (int)w;
	}
	sqlite3_finalize(st);
	if (fd != STDOUT_FILENO) {
		if (close(fd) != 0)
			return fail(EX_IOERR, "%s: %s", path, strerror(errno));
		fprintf(stderr, "leakwatch: evidence %lld written to %s\n", id, path);
	}
	return 0;
}

static int cmd_evidence(struct ctx *c)
{
	return c->nargs ? evidence_write(c) : evidence_list(c);
}

/* --- report -------------------------------------------------------------------------------- */

static int cmd_report(struct ctx *c)
{
	struct report_opts ro = {
		.path = c->o->output,
		.db_path = c->o->db,
		.config_path = c->config_path,
		.mac = c->f.mac,
		.since = c->f.since,
		.until = c->f.until,
		.limit = c->f.limit,
		.utc = c->o->out.utc,
	};
	int r = report_write(c->db, &ro);

	if (!r && strcmp(ro.path, "-") != 0)
		fprintf(stderr, "leakwatch: report written to %s\n", ro.path);
	return r;
}

/* --- main ---------------------------------------------------------------------------------- */

struct command {
	const char *name;
	int (*run)(struct ctx *c);
	unsigned filters; /* F_* it takes */
	int min_args, max_args;
	bool flags; /* reads the flags (all_flags) */
	const char *args; /* for its usage line */
};

static int cmd_flag_add(struct ctx *c)
{
	return cmd_flag(c, true);
}

static int cmd_flag_remove(struct ctx *c)
{
	return cmd_flag(c, false);
}

static const struct command commands[] = {
	{"devices", cmd_devices, F_ALL, 0, 0, false, ""},
	{"leaks", cmd_leaks, F_ALL, 0, 0, false, ""},
	{"domains", cmd_domains, F_ALL, 0, 1, true, " [MAC]"},
	{"flows", cmd_flows, F_ALL, 0, 0, false, ""},
	{"dns", cmd_dns, F_MAC | F_DOMAIN | F_TIME | F_LIMIT, 0, 0, true, ""},
	{"flags", cmd_flags, F_MAC | F_DOMAIN | F_TIME | F_LIMIT, 0, 0, true, ""},
	{"summary", cmd_summary, F_ALL, 0, 0, false, ""},
	{"stations", cmd_stations, F_MAC | F_TIME | F_LIMIT, 0, 1, false, " [MAC]"},
	{"flag", cmd_flag_add, F_MAC, 1, 1, true, " DOMAIN [--mac DEVICE] [--reason TEXT]"},
	{"unflag", cmd_flag_remove, F_MAC, 1, 1, true, " DOMAIN [--mac DEVICE]"},
	{"status", cmd_status, 0, 0, 0, true, ""},
	{"backup", cmd_backup, 0, 1, 1, false, " FILE"},
	{"report", cmd_report, F_MAC | F_TIME | F_LIMIT, 0, 0, true, " -o FILE"},
	{"evidence", cmd_evidence, F_MAC | F_DOMAIN | F_KIND | F_TIME | F_LIMIT, 0, 1, false,
	 " [ID -o FILE]"},
};

int main(int argc, char **argv)
{
	enum {
		OPT_DB = 256,
		OPT_JSON,
		OPT_CSV,
		OPT_WIDE,
		OPT_UTC,
		OPT_MAC,
		OPT_DOMAIN,
		OPT_KIND,
		OPT_CONF,
		OPT_SINCE,
		OPT_UNTIL,
		OPT_LIMIT,
		OPT_REASON,
	};
	static const struct option longopts[] = {
		{"db", required_argument, NULL, OPT_DB},
		{"config", required_argument, NULL, 'c'},
		{"json", no_argument, NULL, OPT_JSON},
		{"csv", no_argument, NULL, OPT_CSV},
		{"wide", no_argument, NULL, OPT_WIDE},
		{"utc", no_argument, NULL, OPT_UTC},
		{"mac", required_argument, NULL, OPT_MAC},
		{"device", required_argument, NULL, OPT_MAC},
		{"domain", required_argument, NULL, OPT_DOMAIN},
		{"kind", required_argument, NULL, OPT_KIND},
		{"confidence", required_argument, NULL, OPT_CONF},
		{"since", required_argument, NULL, OPT_SINCE},
		{"until", required_argument, NULL, OPT_UNTIL},
		{"limit", required_argument, NULL, OPT_LIMIT},
		{"reason", required_argument, NULL, OPT_REASON},
		{"output", required_argument, NULL, 'o'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct opts o = {.db = DEFAULT_DB, .out = {.format = OUT_TABLE}};
	const struct command *cmd = NULL;
	struct ctx c = {0};
	int ch, r, formats = 0;
	size_t i;
	bool write;

	out_init();
	while ((ch = getopt_long(argc, argv, "c:ho:", longopts, NULL)) != -1) {
		switch (ch) {
		case OPT_DB:
			o.db = optarg;
			break;
		case 'c':
			o.config = optarg;
			break;
		case OPT_JSON:
			o.out.format = OUT_JSON;
			formats++;
			break;
		case OPT_CSV:
			o.out.format = OUT_CSV;
			formats++;
			break;
		case OPT_WIDE:
			o.out.format = OUT_WIDE;
			formats++;
			break;
		case OPT_UTC:
			o.out.utc = true;
			break;
		case OPT_MAC:
			o.device = optarg;
			break;
		case OPT_DOMAIN:
			o.domain = optarg;
			break;
		case OPT_KIND:
			o.kind = optarg;
			break;
		case OPT_CONF:
			o.confidence = optarg;
			break;
		case OPT_SINCE:
			o.since = optarg;
			break;
		case OPT_UNTIL:
			o.until = optarg;
			break;
		case OPT_LIMIT:
			o.limit = optarg;
			break;
		case OPT_REASON:
			o.reason = optarg;
			break;
		case 'o':
			o.output = optarg;
			break;
		case 'h':
			usage(stdout);
			return EX_OK;
		default:
			usage(stderr);
			return EX_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return EX_USAGE;
	}
	for (i = 0; i < LW_ARRAY_SIZE(commands); i++)
		if (strcmp(argv[optind], commands[i].name) == 0)
			cmd = &commands[i];
	if (!cmd) {
		fail(EX_USAGE, "unknown command '%s'", argv[optind]);
		usage(stderr);
		return EX_USAGE;
	}
	c.o = &o;
	c.args = argv + optind + 1;
	c.nargs = argc - optind - 1;
	write = cmd->run == cmd_flag_add || cmd->run == cmd_flag_remove;
	/* each command's arguments and options, checked before the database is opened */
	if (c.nargs < cmd->min_args || c.nargs > cmd->max_args)
		return fail(EX_USAGE, "usage: leakwatch %s%s", cmd->name, cmd->args);
	if (formats > 1)
		return fail(EX_USAGE, "--json, --csv and --wide: one of them at most");
	if (o.reason && cmd->run != cmd_flag_add)
		return fail(EX_USAGE, "%s does not take --reason", cmd->name);
	if (o.output && cmd->run != cmd_report && !(cmd->run == cmd_evidence && c.nargs))
		return fail(EX_USAGE, "%s does not take -o (report and evidence ID do)", cmd->name);
	if (cmd->run == cmd_evidence && c.nargs && !o.output)
		return fail(EX_USAGE, "usage: leakwatch evidence ID -o FILE (FILE.pcap, or - for "
				      "a pipe)");
	if (cmd->run == cmd_evidence && c.nargs && formats)
		return fail(EX_USAGE, "evidence ID writes a pcap: no --json, --csv or --wide");
	if (cmd->run == cmd_report && !o.output)
		return fail(EX_USAGE, "usage: leakwatch report -o FILE (FILE.html, or - for "
				      "standard output)");
	if (cmd->run == cmd_report && formats)
		return fail(EX_USAGE, "report writes HTML: no --json, --csv or --wide");
	if (o.out.format == OUT_CSV && (write || cmd->run == cmd_status || cmd->run == cmd_backup))
		return fail(EX_USAGE, "%s has no CSV output (--json)", cmd->name);
	if (c.nargs == 1 && cmd->max_args == 1 && !cmd->min_args &&
	    cmd->run != cmd_evidence) { /* domains MAC, stations MAC */
		if (o.device)
			return fail(EX_USAGE, "usage: leakwatch %s [MAC] (or --mac, not both)",
				    cmd->name);
		o.device = c.args[0];
	}
	r = parse_filter(&o, cmd->filters, cmd->name, &c.f);
	if (r)
		return r;
	if (write && (r = normalize_domain(c.args[0], (char[LW_DNS_NAME_MAX]){0}, LW_DNS_NAME_MAX)))
		return r;
	r = open_db(o.db, write, &c.db);
	if (r)
		return r;
	if (o.device)
		r = resolve_device(c.db, o.device, c.f.mac);
	if (!r && cmd->flags)
		r = load_flags(&c);
	if (!r)
		r = cmd->run(&c);
	sqlite3_close(c.db);
	if (fflush(stdout) != 0)
		return EX_IOERR;
	return r;
}
