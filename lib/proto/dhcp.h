/* SPDX-License-Identifier: MIT */
/* DHCPv4 (RFC 2131, options RFC 2132). */
#ifndef LW_PROTO_DHCP_H
#define LW_PROTO_DHCP_H

#include "core/types.h"

struct lw_dhcp_info {
	uint8_t op; /* 1 request, 2 reply */
	uint8_t msg_type; /* option 53, 0 if absent */
	struct lw_mac chaddr; /* client hardware address (when htype 1, hlen 6) */
	bool has_chaddr;
	char hostname[256]; /* option 12, printable ASCII only, "" if absent */
	char vendor_class[256]; /* option 60 */
	char client_id[514]; /* option 61, lowercase hex of the raw bytes */
	struct lw_addr requested; /* option 50, family 0 if absent */
	struct lw_addr yiaddr; /* 'your' address in replies */
	bool bad_options; /* an option ran past the end; the ones before it are kept */
};

/*
 * Parses a BOOTP/DHCP message (UDP payload). 0 or -EBADMSG (shorter than the fixed header, no
 * magic cookie, or an op that is neither request nor reply).  Repeated options are concatenated
 * (RFC 3396); text options keep printable ASCII and show other bytes as '?'.
 */
int lw_dhcp_parse(const uint8_t *p, size_t len, struct lw_dhcp_info *out);

#endif
