/* SPDX-License-Identifier: MIT */
#include "conn.h"

#include <stdio.h>

natsConnection *lw_fleet_connect(const struct lw_fleet_conn *c, const char *prog)
{
	natsOptions *opts = NULL;
	natsConnection *nc = NULL;
	natsStatus s;

	s = natsOptions_Create(&opts);
	if (s == NATS_OK)
		s = natsOptions_SetURL(opts, c->servers);
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
		return NULL;
	}
	s = natsConnection_Connect(&nc, opts);
	natsOptions_Destroy(opts);
	if (s != NATS_OK) {
		fprintf(stderr, "%s: cannot connect to NATS at %s: %s\n", prog, c->servers,
			nats_GetLastError(NULL) ? nats_GetLastError(NULL) : natsStatus_GetText(s));
		return NULL;
	}
	return nc;
}
