/* SPDX-License-Identifier: MIT */
/*
 * The privileged part's decoder and validator (lw_privmsg_decode, lw_privmsg_validate): the
 * datagrams a compromised parser could send.  Checks that a decoded message is re-encoded to
 * exactly the bytes given (nothing is read past the datagram, nothing invented), that its
 * strings are terminated, and that an element the validator lets through is one the guard
 * allows.
 */
#include <string.h>

#include "block/privmsg.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct lw_privmsg m;
	struct lw_block_guard g;
	struct lw_prefix lan = {0};
	struct lw_privmsg_policy p = {.table = "leakwatch", .queue = 0, .guard = &g};
	enum lw_privmsg_refusal r;

	lw_block_guard_init(&g);
	if (lw_prefix_parse("192.0.2.0/24", &lan) == 0)
		lw_block_guard_add_prefix(&g, &lan);
	if (lw_privmsg_decode(data, size, &m) < 0)
		return 0;
	fuzz_assert(lw_privmsg_size(&m) == size || m.h.kind == LW_PRIV_REPLY);
	fuzz_assert(memcmp(&m, data, lw_privmsg_size(&m) < size ? lw_privmsg_size(&m) : size) == 0);
	r = lw_privmsg_validate(&m, &p);
	if (r == LW_PRIV_OK && (m.h.kind == LW_PRIV_NFT_ADD || m.h.kind == LW_PRIV_NFT_DEL)) {
		struct lw_block_elem e;

		lw_privmsg_get_elem(&m.u.elem, &e);
		fuzz_assert(lw_block_guard_allows(&g, &e.addr));
	}
	if (r == LW_PRIV_OK && (m.h.kind == LW_PRIV_NFT_OPEN || m.h.kind == LW_PRIV_NFT_CLOSE))
		fuzz_assert(strcmp(m.u.table.table, "leakwatch") == 0);
	(void)lw_privmsg_kind_str(m.h.kind);
	(void)lw_privmsg_refusal_str(r);
	return 0;
}
