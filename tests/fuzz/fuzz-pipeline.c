/* SPDX-License-Identifier: MIT */
/*
 * The whole pipeline from raw frames: decode, flows, TCP reassembly, every protocol parser and
 * passive DNS names, as the daemon runs them (daemon/pipeline.h, no store).
 *
 *   byte 0: bits 0-3 link type (table below), bit 4 tight limits (few flows, small
 *           reassembly and fragment budgets), bit 5 frames claim a longer wire length (cut by
 *           the snap length)
 *   rest:   frames, each [time step][length: 2 bytes big-endian][frame bytes]; the time step
 *           advances the clock by step * 250 ms, so idle flows and fragments expire too
 */
#include <pcap/dlt.h>
#include <string.h>

#include "fuzz.h"
#include "pipeline.h"
#include "proto/dns.h"

#define MAX_FRAMES 512
#define T0 (1700000000LL * LW_USEC_PER_SEC)

/* clang-format off */
static const int linktypes[16] = {
	DLT_EN10MB, DLT_LINUX_SLL, DLT_LINUX_SLL2, DLT_RAW, 14 /* OpenBSD DLT_RAW */,
	101 /* LINKTYPE_RAW */, DLT_IPV4, DLT_IPV6, DLT_NULL, DLT_LOOP, DLT_PPP, DLT_PPP_SERIAL,
	DLT_C_HDLC, DLT_EN10MB, DLT_EN10MB, DLT_EN10MB,
};
/* clang-format on */

static void on_dns_answer(const struct lw_flow *f, const char *qname, const struct lw_addr *addr,
			  uint32_t ttl, void *user_data)
{
	(void)f;
	(void)ttl;
	(void)user_data;
	fuzz_assert(fuzz_printable(qname, LW_DNS_NAME_MAX));
	fuzz_assert(addr->family == 4 || addr->family == 6);
}

static void on_flow_named(const struct lw_flow *f, void *user_data)
{
	(void)user_data;
	fuzz_assert(f->name_source != LW_NAME_NONE);
	fuzz_assert(strnlen(f->domain, LW_FLOW_DOMAIN_MAX + 1) <= LW_FLOW_DOMAIN_MAX);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const uint8_t key[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};

	(void)argc;
	(void)argv;
	lw_hash_seed(key); /* fixed: a finding must replay the same way */
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct lw_pipeline_hooks hooks = {
		.dns_answer = on_dns_answer,
		.flow_named = on_flow_named,
	};
	struct lw_pipeline *p;
	struct lw_config cfg;
	struct lw_frame fr;
	char err[256];
	lw_time_us now = T0;
	size_t off = 1;
	unsigned n;
	bool tight, cut;

	if (size < 1)
		return 0;
	tight = data[0] & 0x10;
	cut = data[0] & 0x20;
	lw_config_defaults(&cfg);
	/* small tables: a pool of 65536 flows per input would be most of the run time */
	cfg.max_flows = tight ? 16 : 256;
	cfg.names_max = tight ? 16 : 256;
	if (tight) {
		cfg.reasm_flow_kb = 1;
		cfg.reasm_total_kb = 64;
		cfg.frag_max_datagrams = 2;
		cfg.frag_max_kb = 64;
		cfg.head_max = 512;
		cfg.names_ttl_min = 0;
	}
	if (lw_pipeline_new(&cfg, NULL, linktypes[data[0] & 0x0f], &p, err, sizeof(err)) < 0)
		fuzz_fail("lw_pipeline_new: %s", err);
	lw_pipeline_set_hooks(p, &hooks);

	for (n = 0; n < MAX_FRAMES && size - off >= 3; n++) {
		size_t len = (size_t)data[off + 1] << 8 | data[off + 2];

		now += (lw_time_us)data[off] * LW_USEC_PER_SEC / 4;
		off += 3;
		len = LW_MIN(len, size - off);
		fr.ts = now;
		fr.data = data + off;
		fr.caplen = len;
		fr.wire_len = cut ? len + 100 : len;
		lw_pipeline_frame(p, &fr);
		lw_pipeline_tick(p, now);
		off += len;
	}
	lw_pipeline_finish(p, now);
	{
		struct lw_pipeline_counters c;

		lw_pipeline_get_counters(p, &c);
		fuzz_assert(c.frames == n);
		fuzz_assert(c.flows_active <= (uint64_t)cfg.max_flows);
	}
	lw_pipeline_free(p);
	return 0;
}
