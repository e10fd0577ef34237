/* SPDX-License-Identifier: MIT */
/*
 * DNS: lw_dns_parse() on the input as one message, then lw_dns_tcp_frame() walking the input
 * as a TCP stream (each framed message parsed too), then lw_dns_name_normalize() on the input
 * as text.
 */
#include <string.h>

#include "fuzz.h"
#include "proto/dns.h"

static void check_name(const char *name)
{
	fuzz_assert(fuzz_printable(name, LW_DNS_NAME_MAX));
}

static void parse_one(const uint8_t *p, size_t len, struct lw_dns_msg *m)
{
	size_t i;

	if (lw_dns_parse(p, len, m) < 0)
		return;
	check_name(m->qname);
	fuzz_assert(m->n_answers <= LW_DNS_MAX_ANSWERS);
	for (i = 0; i < m->n_answers; i++) {
		const struct lw_dns_answer *a = &m->answers[i];

		check_name(a->name);
		check_name(a->target);
		fuzz_assert(a->addr.family == 0 || a->addr.family == 4 || a->addr.family == 6);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lw_dns_msg *m = malloc(sizeof(*m));
	const uint8_t *p = data, *msg;
	size_t left = size, msg_len;
	char text[1024];
	int r;

	if (!m)
		return 0;
	parse_one(data, size, m);

	while ((r = lw_dns_tcp_frame(p, left, &msg, &msg_len)) > 0) {
		fuzz_assert((size_t)r <= left && (size_t)r == msg_len + 2);
		fuzz_assert(msg == p + 2);
		parse_one(msg, msg_len, m);
		p += r;
		left -= (size_t)r;
	}
	fuzz_assert(r == LW_NEED_MORE || r == -EBADMSG);
	free(m);

	if (size < sizeof(text)) {
		memcpy(text, data, size);
		text[size] = '\0';
		if (lw_dns_name_normalize(text) == 0) {
			size_t n = strlen(text);

			fuzz_assert(n <= 253);
			fuzz_assert(n == 0 || text[n - 1] != '.');
		}
	}
	return 0;
}
