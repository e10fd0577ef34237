/* SPDX-License-Identifier: MIT */
/*
 * What leakwatch-push and leakwatch-collect share: the NATS connection's options (servers,
 * credentials, an nkey seed, a CA for TLS) and the process's exit codes.
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

/* Connects; on failure prints one line naming the servers and the reason, returns NULL. */
natsConnection *lw_fleet_connect(const struct lw_fleet_conn *c, const char *prog);

#endif
