/* SPDX-License-Identifier: MIT */
/*
 * nats-floor: the least a publisher of one JetStream message per row must do with libnats, as
 * leakwatch-push does it (bench/fleet.sh; bench/README.md "Many APs"): connect, then publish
 * COUNT messages of SIZE bytes, each with its own Nats-Msg-Id header, through
 * js_PublishMsgAsync in batches of 1000, waiting for each batch's acknowledgements.  No
 * database, no encoding: its CPU time is the floor under leakwatch-push's.
 *
 *   nats-floor URL SUBJECT COUNT SIZE
 *
 * Prints "published N"; exit 1 on any error.
 */
#include <nats/nats.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BATCH 1000

int main(int argc, char **argv)
{
	natsConnection *nc = NULL;
	jsCtx *js = NULL;
	jsOptions jo;
	jsPubOptions po;
	natsStatus s;
	char *payload, msgid[128];
	long count, size, done = 0;

	if (argc != 5 || (count = atol(argv[3])) < 1 || (size = atol(argv[4])) < 1 ||
	    size > 1 << 20) {
		fprintf(stderr, "usage: nats-floor URL SUBJECT COUNT SIZE\n");
		return 64;
	}
	payload = malloc((size_t)size);
	if (!payload)
		return 1;
	memset(payload, 'x', (size_t)size);
	s = natsConnection_ConnectTo(&nc, argv[1]);
	jsOptions_Init(&jo);
	jo.PublishAsync.MaxPending = BATCH;
	if (s == NATS_OK)
		s = natsConnection_JetStream(&js, nc, &jo);
	jsPubOptions_Init(&po);
	po.MaxWait = 10000;
	while (s == NATS_OK && done < count) {
		for (long i = 0; i < BATCH && done < count && s == NATS_OK; i++, done++) {
			natsMsg *m = NULL;

			snprintf(msgid, sizeof(msgid), "%s.%ld", argv[2], done);
			s = natsMsg_Create(&m, argv[2], NULL, payload, (int)size);
			if (s == NATS_OK)
				s = natsMsgHeader_Set(m, "Nats-Msg-Id", msgid);
			if (s == NATS_OK)
				s = js_PublishMsgAsync(js, &m, NULL);
			natsMsg_Destroy(m);
		}
		if (s == NATS_OK)
			s = js_PublishAsyncComplete(js, &po);
	}
	if (s != NATS_OK)
		fprintf(stderr, "nats-floor: %s\n", natsStatus_GetText(s));
	else
		printf("published %ld\n", done);
	jsCtx_Destroy(js);
	natsConnection_Destroy(nc);
	free(payload);
	nats_Close();
	return s == NATS_OK ? 0 : 1;
}
