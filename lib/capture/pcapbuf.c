/* SPDX-License-Identifier: MIT */
#include "capture/pcapbuf.h"

#include <errno.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>

struct lw_pcapbuf {
	pcap_t *pd;
	pcap_dumper_t *dump;
	char *mem;
	size_t len;
};

struct lw_pcapbuf *lw_pcapbuf_new(int dlt)
{
	struct lw_pcapbuf *b = calloc(1, sizeof(*b));
	FILE *fp;

	if (!b)
		return NULL;
	b->pd = pcap_open_dead_with_tstamp_precision(dlt, 262144, PCAP_TSTAMP_PRECISION_MICRO);
	fp = b->pd ? open_memstream(&b->mem, &b->len) : NULL;
	if (fp)
		b->dump = pcap_dump_fopen(b->pd, fp);
	if (!b->dump) {
		if (fp)
			fclose(fp);
		if (b->pd)
			pcap_close(b->pd);
		free(b->mem);
		free(b);
		return NULL;
	}
	return b;
}

int lw_pcapbuf_add(struct lw_pcapbuf *b, const struct lw_frame *fr)
{
	struct pcap_pkthdr h = {0};

	if (!b || !fr)
		return -EINVAL;
	h.ts.tv_sec = (time_t)(fr->ts / LW_USEC_PER_SEC);
	h.ts.tv_usec = (suseconds_t)(fr->ts % LW_USEC_PER_SEC);
	h.caplen = (bpf_u_int32)fr->caplen;
	h.len = (bpf_u_int32)(fr->wire_len < fr->caplen ? fr->caplen : fr->wire_len);
	pcap_dump((u_char *)b->dump, &h, fr->data);
	return 0;
}

int lw_pcapbuf_finish(struct lw_pcapbuf *b, uint8_t **out, size_t *len)
{
	int ret = 0;

	*out = NULL;
	*len = 0;
	if (!b)
		return -EINVAL;
	if (pcap_dump_flush(b->dump) != 0)
		ret = -EIO;
	pcap_dump_close(b->dump); /* closes the memory stream: mem and len are final */
	pcap_close(b->pd);
	if (ret == 0 && b->mem) {
		*out = (uint8_t *)b->mem;
		*len = b->len;
	} else {
		free(b->mem);
		ret = ret ? ret : -ENOMEM;
	}
	free(b);
	return ret;
}
