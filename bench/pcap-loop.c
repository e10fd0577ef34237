/* SPDX-License-Identifier: MIT */
/*
 * pcap-loop: the least any program that reads a capture through libpcap must do — open it,
 * walk every record with pcap_next_ex(), count packets and bytes.  The benchmarks' limit.
 *
 *   pcap-loop FILE          pcap_open_offline(): stdio's default buffer (4 KiB here)
 *   pcap-loop -b SIZE FILE  pcap_fopen_offline() on a stream with a SIZE-byte buffer, as
 *                           leakwatchd opens captures (lib/capture)
 *
 * Prints "packets N bytes N caplen N".
 */
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
	char err[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *data;
	uint64_t packets = 0, bytes = 0, caplen = 0;
	size_t bufsize = 0;
	char *buf = NULL;
	pcap_t *p;
	int r;

	if (argc == 4 && strcmp(argv[1], "-b") == 0) {
		bufsize = strtoul(argv[2], NULL, 0);
		argv += 2;
		argc -= 2;
	}
	if (argc != 2) {
		fprintf(stderr, "usage: pcap-loop [-b BUFSIZE] FILE\n");
		return 2;
	}
	if (bufsize) {
		FILE *f = fopen(argv[1], "rb");

		buf = malloc(bufsize);
		if (!f || !buf) {
			fprintf(stderr, "pcap-loop: %s: cannot open\n", argv[1]);
			return 1;
		}
		setvbuf(f, buf, _IOFBF, bufsize);
		p = pcap_fopen_offline(f, err);
	} else {
		p = pcap_open_offline(argv[1], err);
	}
	if (!p) {
		fprintf(stderr, "pcap-loop: %s\n", err);
		return 1;
	}
	while ((r = pcap_next_ex(p, &h, &data)) == 1) {
		packets++;
		bytes += h->len;
		caplen += h->caplen;
	}
	if (r == PCAP_ERROR) {
		fprintf(stderr, "pcap-loop: %s\n", pcap_geterr(p));
		pcap_close(p);
		return 1;
	}
	pcap_close(p);
	free(buf);
	printf("packets %llu bytes %llu caplen %llu\n", (unsigned long long)packets,
	       (unsigned long long)bytes, (unsigned long long)caplen);
	return 0;
}
