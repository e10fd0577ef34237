/* SPDX-License-Identifier: MIT */
/*
 * The NFQUEUE inspector (lw_hold_inspect), without a queue: one inspector fed a sequence of IP
 * packets, as the kernel would queue them.  The input's first byte picks the options (bit 0:
 * the packets carry a source MAC; bits 1-2: the caller's policy: accept all, drop every name,
 * drop every other call, drop names only); then parts (fuzz.h), each a byte of clock advance
 * (x 50 ms, so connection entries time out) and the IP packet.  Checks the promises of hold.h:
 * the caller sees a DNS response or a printable name (not both), with the MAC it was given; a
 * verdict is ACCEPT or DROP, and DROP only ever after the caller said so; the counters agree.
 */
#include <string.h>

#include "block/hold.h"
#include "fuzz.h"

struct policy {
	unsigned mode;
	bool mac;
	uint64_t calls, drops;
};

static enum lw_hold_verdict decide(const struct lw_hold_packet *p, void *user_data)
{
	struct policy *pol = user_data;
	bool drop;

	pol->calls++;
	fuzz_assert(p->has_mac == pol->mac);
	fuzz_assert(!(p->dns && p->name));
	fuzz_assert(p->dns || p->name);
	if (p->dns)
		fuzz_assert(p->dns->response && fuzz_printable(p->dns->qname, LW_DNS_NAME_MAX));
	if (p->name) {
		fuzz_assert(p->name[0] && fuzz_printable(p->name, LW_DNS_NAME_MAX));
		fuzz_assert(p->source == LW_NAME_SNI || p->source == LW_NAME_QUIC ||
			    p->source == LW_NAME_HTTP);
	}
	switch (pol->mode) {
	case 1:
		drop = true;
		break;
	case 2:
		drop = pol->calls % 2 == 0;
		break;
	case 3:
		drop = p->name != NULL;
		break;
	default:
		drop = false;
	}
	pol->drops += drop;
	return drop ? LW_HOLD_DROP : LW_HOLD_ACCEPT;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lw_mac mac = {{0x02, 0, 0, 0, 0, 1}};
	struct policy pol = {0};
	struct lw_hold_stats st;
	struct fuzz_parts parts;
	const uint8_t *part;
	lw_time_us now = LW_USEC_PER_SEC;
	uint64_t n = 0;
	struct lw_hold *h;
	size_t len;

	if (size < 1)
		return 0;
	pol.mac = data[0] & 1;
	pol.mode = (data[0] >> 1) & 3;
	h = lw_hold_new(decide, &pol);
	if (!h)
		return 0;
	fuzz_assert(lw_hold_fd(h) == -1);
	parts = fuzz_parts_make(data + 1, size - 1);
	while (fuzz_parts_next(&parts, &part, &len)) {
		enum lw_hold_verdict v;

		if (len < 1)
			continue;
		now += (lw_time_us)part[0] * 50000;
		v = lw_hold_inspect(h, part + 1, len - 1, pol.mac ? &mac : NULL, now);
		n++;
		fuzz_assert(v == LW_HOLD_ACCEPT || v == LW_HOLD_DROP);
		if (v == LW_HOLD_DROP)
			fuzz_assert(pol.drops > 0);
	}
	lw_hold_get_stats(h, &st);
	fuzz_assert(st.packets == n);
	fuzz_assert(st.dns + st.names == pol.calls);
	fuzz_assert(st.dropped == pol.drops);
	fuzz_assert(st.guard_stalls == 0 && st.guard_released == 0);
	fuzz_assert(lw_hold_dispatch(h, now) == -EBADF);
	lw_hold_free(h);
	return 0;
}
