/* SPDX-License-Identifier: MIT */
/* NetBIOS name service messages (RFC 1002 §4.2), UDP port 137. */
#ifndef LW_PROTO_NBNS_H
#define LW_PROTO_NBNS_H

#include "core/types.h"

/*
 * A NetBIOS name is 15 bytes plus a suffix byte naming its use (0x00 workstation, 0x20 file
 * server, 0x1d master browser, ...).  Its text form drops the trailing space padding; bytes
 * outside printable ASCII, space and '\' are written \DDD (so 15 bytes take at most 60).
 */
#define LW_NBNS_NAME_MAX 64

enum lw_nbns_opcode {
	LW_NBNS_QUERY = 0,
	LW_NBNS_REGISTRATION = 5,
	LW_NBNS_RELEASE = 6,
	LW_NBNS_WACK = 7,
	LW_NBNS_REFRESH = 8,
	LW_NBNS_REFRESH_ALT = 9, /* RFC 1002 §4.2.1.1 gives 8; Windows sends 9 */
	LW_NBNS_MULTIHOMED = 15,
};

struct lw_nbns_msg {
	uint16_t id;
	bool response;
	uint8_t opcode;
	uint8_t rcode;
	bool broadcast; /* NM_FLAGS B */
	/* the question's name, or the first record's when there is no question */
	char name[LW_NBNS_NAME_MAX];
	uint8_t suffix;
	uint16_t type; /* 0x20 NB, 0x21 NBSTAT */
	/* the first resource record's first NB entry (registrations and positive answers) */
	bool has_nb;
	bool group; /* NB_FLAGS G: a group name (a workgroup), not one host's */
	struct lw_addr addr;
};

/*
 * Parses one NBNS datagram.  0, or -EBADMSG when the header or the name is malformed: the
 * name must be the 32-byte first-level encoding (RFC 1001 §14.1: each half-byte as 'A' + n),
 * then scope labels (read and checked, not reported), no compression pointer in the
 * question; a record's name may be a pointer to the question (RFC 1002 §4.2.1.2 label
 * string pointer).  A malformed record after a good name only clears has_nb.
 */
int lw_nbns_parse(const uint8_t *p, size_t len, struct lw_nbns_msg *out);

#endif
