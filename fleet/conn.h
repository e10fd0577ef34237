/* SPDX-License-Identifier: MIT */
/*
 * What leakwatch-push and leakwatch-collect share: the NATS connection's options (servers,
 * credentials, an nkey seed, a CA for TLS), the process's exit codes, and two small helpers.
 */
#ifndef LW_FLEET_CONN_H
#define LW_FLEET_CONN_H

#include <nats/nats.h>
#include <stdbool.h>

/* sysexits.h: a bad command line, a server that cannot be reached or refuses us */
#define LW_FLEET_EX_USAGE 64
#define LW_FLEET_EX_DATAERR 65
#define LW_FLEET_EX_UNAVAILABLE 69
#define LW_FLEET_EX_CONFIG 78
/* the most servers a comma-separated list may name */
#define LW_FLEET_SERVERS_MAX 16

struct lw_fleet_conn {
	const char *servers; /* nats://host:port[,nats://...] */
	const char *creds; /* a .creds file (JWT and nkey seed), or NULL */
	const char *nkey_pub; /* an nkey user (its public key) ... */
	const char *nkey_seed; /* ... and the file with its seed */
	const char *ca; /* CA file: TLS to the servers */
	const char *name; /* the connection's name, shown by the server */
};

/* getopt_long's entries of the connection's options, the same in both programs */
/* clang-format off */
#define LW_FLEET_CONN_LONGOPTS \
	{"servers", required_argument, NULL, 's'}, \
	{"creds", required_argument, NULL, 'c'}, \
	{"nkey", required_argument, NULL, 'k'}, \
	{"nkey-seed", required_argument, NULL, 'K'}, \
	{"ca", required_argument, NULL, 'C'}
/* clang-format on */

/* Takes getopt's ch (with its argument) into c when it is one of those; false when not. */
bool lw_fleet_conn_option(struct lw_fleet_conn *c, int ch, const char *arg);

/* Connects; on failure prints one line naming the servers and the reason, returns NULL. */
natsConnection *lw_fleet_connect(const struct lw_fleet_conn *c, const char *prog);

/* What went wrong in the last NATS call: the library's text, else the status's. */
const char *lw_fleet_nats_err(natsStatus s);

/* CLOCK_MONOTONIC in whole seconds (for intervals and retries). */
long long lw_fleet_mono_s(void);

/*
 * A KV bucket of the collector's (history 1, file storage), bound, or made with replicas and
 * max_value (the largest message, headers included) when it is missing; when another collector
 * made it meanwhile, that one.  NATS_OK, or the status of the last try.
 */
natsStatus lw_fleet_kv_bucket(kvStore **kv, jsCtx *js, const char *bucket, int replicas,
			      int32_t max_value);

#endif
