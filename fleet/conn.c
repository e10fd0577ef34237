/* SPDX-License-Identifier: MIT */
#include "conn.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* connections refused for their credentials: see lw_fleet_connect */
#define CONNECT_TRIES 4

const char *lw_fleet_nats_err(natsStatus s)
{
	const char *e = nats_GetLastError(NULL);

	return e && e[0] ? e : natsStatus_GetText(s);
}

long long lw_fleet_mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec;
}

bool lw_fleet_conn_option(struct lw_fleet_conn *c, int ch, const char *arg)
{
	switch (ch) {
	case 's':
		c->servers = arg;
		return true;
	case 'c':
		c->creds = arg;
		return true;
	case 'k':
		c->nkey_pub = arg;
		return true;
	case 'K':
		c->nkey_seed = arg;
		return true;
	case 'C':
		c->ca = arg;
		return true;
	default:
		return false;
	}
}

natsConnection *lw_fleet_connect(const struct lw_fleet_conn *c, const char *prog)
{
	natsOptions *opts = NULL;
	natsConnection *nc = NULL;
	natsStatus s;

	char *list = strdup(c->servers), *save = NULL;
	const char *urls[LW_FLEET_SERVERS_MAX];
	int n = 0;

	if (!list)
		return NULL;
	for (char *u = strtok_r(list, ", ", &save); u && n < LW_FLEET_SERVERS_MAX;
	     u = strtok_r(NULL, ", ", &save))
		urls[n++] = u;
	s = natsOptions_Create(&opts);
	if (s == NATS_OK)
		s = n ? natsOptions_SetServers(opts, urls, n) : NATS_INVALID_ARG;
	if (s == NATS_OK)
		s = natsOptions_SetName(opts, c->name);
	/* give up on the first connection after 5 s; once connected, reconnect for ever */
	if (s == NATS_OK)
		s = natsOptions_SetTimeout(opts, 5000);
	if (s == NATS_OK)
		s = natsOptions_SetMaxReconnect(opts, -1);
	if (s == NATS_OK && c->creds)
		s = natsOptions_SetUserCredentialsFromFiles(opts, c->creds, NULL);
	if (s == NATS_OK && c->nkey_seed)
		s = natsOptions_SetNKeyFromSeed(opts, c->nkey_pub, c->nkey_seed);
	if (s == NATS_OK && c->ca) {
		s = natsOptions_LoadCATrustedCertificates(opts, c->ca);
		if (s == NATS_OK)
			s = natsOptions_SetSecure(opts, true);
	}
	if (s != NATS_OK) {
		fprintf(stderr, "%s: NATS options: %s\n", prog, nats_GetLastError(NULL));
		natsOptions_Destroy(opts);
		free(list);
		return NULL;
	}
	/*
	 * libnats 3.4.1 (Debian 12) leaves the signature of the server's nonce out of CONNECT
	 * when its first byte is 0, and the server refuses the right nkey or .creds: 1 connection
	 * in 256 (seen against nats-server 2.9, tests/fleet/auth.sh).  The nonce is new with every
	 * connection, so a refused one is tried again, a few times: a wrong key stays refused.
	 */
	for (int i = 0; i < CONNECT_TRIES; i++) {
		s = natsConnection_Connect(&nc, opts);
		if (s != NATS_CONNECTION_AUTH_FAILED || (!c->creds && !c->nkey_seed))
			break;
	}
	natsOptions_Destroy(opts);
	free(list);
	if (s != NATS_OK) {
		fprintf(stderr, "%s: cannot connect to NATS at %s: %s\n", prog, c->servers,
			lw_fleet_nats_err(s));
		return NULL;
	}
	return nc;
}

natsStatus lw_fleet_kv_bucket(kvStore **kv, jsCtx *js, const char *bucket, int replicas,
			      int32_t max_value)
{
	kvConfig kc;
	natsStatus s = js_KeyValue(kv, js, bucket);

	if (s != NATS_NOT_FOUND)
		return s;
	kvConfig_Init(&kc);
	kc.Bucket = bucket;
	kc.History = 1;
	kc.Replicas = replicas;
	kc.StorageType = js_FileStorage;
	kc.MaxValueSize = max_value;
	s = js_CreateKeyValue(kv, js, &kc);
	/* another collector made it meanwhile (with other replicas): take that one */
	if (s != NATS_OK)
		s = js_KeyValue(kv, js, bucket);
	return s;
}
