/* SPDX-License-Identifier: MIT */
/*
 * Building wire messages by hand in the parser tests (DNS, mDNS/LLMNR, NBNS, DHCP): a buffer
 * and big-endian writers.  A message that would outgrow the buffer stops the test (exit 2),
 * never a write past it.
 */
#ifndef LW_TEST_MSG_H
#define LW_TEST_MSG_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct msgb {
	uint8_t b[8192];
	size_t n;
};

static inline void b_u8(struct msgb *m, unsigned int v)
{
	if (m->n >= sizeof(m->b)) {
		fprintf(stderr, "test message too long\n");
		exit(2);
	}
	m->b[m->n++] = (uint8_t)v;
}

static inline void b_be16(struct msgb *m, unsigned int v)
{
	b_u8(m, v >> 8 & 0xff);
	b_u8(m, v & 0xff);
}

static inline void b_be32(struct msgb *m, uint32_t v)
{
	b_be16(m, v >> 16);
	b_be16(m, v & 0xffff);
}

static inline void b_bytes(struct msgb *m, const void *p, size_t n)
{
	const uint8_t *s = p;
	size_t i;

	for (i = 0; i < n; i++)
		b_u8(m, s[i]);
}

/* The labels of a dotted DNS name, without the terminating zero (no compression). */
static inline void b_labels(struct msgb *m, const char *dotted)
{
	while (*dotted) {
		size_t len = strcspn(dotted, ".");

		b_u8(m, (unsigned int)len);
		b_bytes(m, dotted, len);
		dotted += len;
		if (*dotted == '.')
			dotted++;
	}
}

/* A DNS header: id, flags and the four section counts; starts the message over. */
static inline void b_dns_hdr(struct msgb *m, unsigned int id, unsigned int flags, unsigned int qd,
			     unsigned int an, unsigned int ns, unsigned int ar)
{
	m->n = 0;
	b_be16(m, id);
	b_be16(m, flags);
	b_be16(m, qd);
	b_be16(m, an);
	b_be16(m, ns);
	b_be16(m, ar);
}

#endif
