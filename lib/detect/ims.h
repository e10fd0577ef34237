/* SPDX-License-Identifier: MIT */
/*
 * IMS identities (VoLTE signalling, 3GPP TS 24.229 and TS 23.003): the recognisers the leak
 * engine runs on every piece of content, and the scan of one SIP message.
 */
#ifndef LW_DETECT_IMS_H
#define LW_DETECT_IMS_H

#include "detect/detect.h"

struct lw_sip_msg;

/* ---- recognisers (used by detect.c on every piece of content; pure) --------------------- */

struct lw_ims_hit {
	enum lw_id_kind kind; /* imei, imeisv, imsi or phone */
	bool validated; /* passed its check (Luhn, MCC/MNC agreeing with the domain, E.164) */
	size_t off, len; /* the span in the content, for the snippet */
	char value[32]; /* canonical: IMEI 15 digits, IMEISV 16, IMSI, phone E.164 */
};

typedef void (*lw_ims_hit_fn)(const struct lw_ims_hit *hit, void *user);

/*
 * Finds, in text, the identities IMS signalling spells in its own ways:
 *   urn:gsma:imei:TTTTTTTT-SSSSSS-C[;svn=VV]  RFC 7254 (also 15 or 14 bare digits, the older
 *                                          AA-BBBBBB-CCCCCC-D): the IMEI, and with svn the
 *                                          IMEISV; the last digit is the Luhn check digit or
 *                                          the spare digit 0 (TS 23.003 6.2.1)
 *   <IMSI>@ims.mnc<MNC>.mcc<MCC>.3gppnetwork.org  the private identity and the temporary
 *                                          public identity (TS 23.003 13.3, 13.4B): the IMSI,
 *                                          validated when its MCC and MNC are the domain's
 *   tel:+<number>, sip:+<number>@host, sip:<number>@host;user=phone   RFC 3966, RFC 3261
 *                                          19.1.6: the phone number (E.164)
 * Case-insensitive; a hit that fails its check is reported with validated false.
 */
void lw_detect_ims_find(const uint8_t *p, size_t n, lw_ims_hit_fn fn, void *user);

/* ---- one SIP message ---------------------------------------------------------------------- */

/*
 * Scans a parsed SIP message as lw_detect_http does an HTTP request: the Request-URI
 * ("sip.uri"), each header under its full name ("sip.header:Contact" for m: too), and the
 * body ("sip.body", read as raw text: SDP).  partial: the body may be cut short.  Each
 * distinct identifier in the message is reported once.  Returns the number of leaks reported
 * or -errno.
 */
int lw_detect_sip(struct lw_detect *d, const struct lw_mac *client_mac, const struct lw_sip_msg *m,
		  const uint8_t *body, size_t body_len, bool partial, lw_leak_fn leak,
		  void *user_data);

#endif
