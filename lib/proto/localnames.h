/* SPDX-License-Identifier: MIT */
/*
 * The names in a DNS-format message that say who a device is or what it looks for: mDNS
 * (RFC 6762), LLMNR (RFC 4795) and DNS UPDATE (RFC 2136).  lw_dns_parse reads what a lookup
 * answer needs (the first question, the answer section); this reads every section for names.
 */
#ifndef LW_PROTO_LOCALNAMES_H
#define LW_PROTO_LOCALNAMES_H

#include "proto/dns.h"

#define LW_LOCALNAMES_QUESTIONS 4 /* question names kept */
#define LW_LOCALNAMES_HOSTS 8 /* host names kept (distinct) */
#define LW_LOCALNAMES_RECORDS 64 /* records read per message; the rest are not */

enum lw_localnames_section {
	LW_LOCALNAMES_QD = 0, /* question; the zone of an UPDATE */
	LW_LOCALNAMES_AN, /* answer; the prerequisites of an UPDATE */
	LW_LOCALNAMES_NS, /* authority: an mDNS probe's proposed records; the UPDATE's updates */
	LW_LOCALNAMES_AR, /* additional */
};

struct lw_localnames {
	uint16_t id;
	bool response;
	uint8_t opcode; /* 0 query, 5 UPDATE */
	uint8_t rcode;
	size_t n_questions;
	/*
	 * Names of hosts: the owner of an A or AAAA record, the target of an SRV record, the
	 * target of a PTR record under in-addr.arpa / ip6.arpa, and in an UPDATE (opcode 5) the
	 * owner of every record of the update section.  Each once, with the section it was first
	 * seen in.
	 */
	size_t n_hosts;
	size_t dropped; /* names that did not fit the lists */
	bool truncated; /* records beyond LW_LOCALNAMES_RECORDS were not read */
	bool malformed; /* a record could not be read: what came before it is kept */
	uint8_t host_section[LW_LOCALNAMES_HOSTS]; /* enum lw_localnames_section */
	char questions[LW_LOCALNAMES_QUESTIONS][LW_DNS_NAME_MAX];
	char hosts[LW_LOCALNAMES_HOSTS][LW_DNS_NAME_MAX];
};

/*
 * 0, or -EBADMSG when the header or the first question is malformed.  Names are in
 * lw_dns_parse's text form (lowercase, no trailing dot, odd bytes escaped).
 */
int lw_localnames_parse(const uint8_t *p, size_t len, struct lw_localnames *out);

#endif
