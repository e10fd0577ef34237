/* SPDX-License-Identifier: MIT */
/*
 * IMS identities in VoLTE/IMS signalling.  A phone registering over IMS (3GPP TS 24.229 5.1.1)
 * names itself three ways, in the clear when the SIP runs without IPsec or TLS (Wi-Fi calling
 * set-ups, captures inside GTP-U):
 *
 *   REGISTER sip:ims.mnc015.mcc234.3gppnetwork.org SIP/2.0
 *   From: <sip:234150999999999@ims.mnc015.mcc234.3gppnetwork.org>      IMSI (TS 23.003 13.4B)
 *   Authorization: Digest username="234150999999999@ims.mnc015...",    IMSI (TS 23.003 13.3)
 *   Contact: <sip:[2001:db8::1]:5060>;+sip.instance="<urn:gsma:imei:35209900-176148-0;svn=03>"
 *                                                                       IMEI, IMEISV (RFC 7254)
 *   P-Preferred-Identity: <tel:+447700900123>                          phone (RFC 3966)
 *
 * The recognisers below read those spellings wherever they occur (a SIP header, a log upload,
 * a JSON body) and check each: Luhn (or the spare digit) for the IMEI, the IMSI's MCC and MNC
 * against the domain's, E.164 for numbers.  They are called from the engine's leaf (detect.c)
 * and report through a callback, so they hold no state.
 */
#include "detect/ims.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "detect/detect-int.h"
#include "proto/sip.h"

#define IMEI_URN "urn:gsma:imei:"
#define IMEI_URN_LEN (sizeof(IMEI_URN) - 1)
#define IMS_REALM ".3gppnetwork.org"
#define IMS_REALM_LEN (sizeof(IMS_REALM) - 1)
#define IMS_DOMAIN_LEN 17 /* "ims.mncNNN.mccNNN" */
#define NUMBER_MAX 40 /* characters of a number with its visual separators */
#define URI_PARAMS_MAX 256 /* bytes after a sip: user part searched for user=phone */

static bool dig(uint8_t c)
{
	return c >= '0' && c <= '9';
}

static bool alnum(uint8_t c)
{
	return dig(c) || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
}

static void emit(lw_ims_hit_fn fn, void *user, enum lw_id_kind kind, bool ok, size_t off,
		 size_t len, const char *value)
{
	struct lw_ims_hit h = {kind, ok, off, len, ""};

	snprintf(h.value, sizeof(h.value), "%.31s", value);
	fn(&h, user);
}

/*
 * urn:gsma:imei:<value> at i (the first byte after the prefix).  RFC 7254 4: imeival = tac
 * "-" snr "-" spare, then ;svn=2DIGIT; phones and older drafts also write the digits bare or
 * as AA-BBBBBB-CCCCCC-D.  The digits are read with any dashes, up to a delimiter.
 */
static void imei_urn(const uint8_t *p, size_t n, size_t start, size_t i, lw_ims_hit_fn fn,
		     void *user)
{
	char d[20], v[20];
	size_t k = 0, e = i;
	bool ok = false;

	while (e < n && e - i < 24 && (dig(p[e]) || p[e] == '-')) {
		if (dig(p[e])) {
			if (k + 1 >= sizeof(d))
				return;
			d[k++] = (char)p[e];
		}
		e++;
	}
	if (e < n && alnum(p[e]))
		return; /* not a delimiter: some other string */
	d[k] = '\0';
	if (k == 14 || k == 15) {
		memcpy(v, d, 14);
		v[15] = '\0';
		if (k == 15 && lw_detect_luhn_ok(d, 15)) {
			v[14] = d[14];
			ok = true;
		} else if (k == 14 || d[14] == '0') {
			/* the check digit left out, or sent as the spare digit 0 (TS 23.003 6.2.1:
			 * "shall be zero, when transmitted by the MS") */
			v[14] = lw_detect_luhn_digit(d, 14);
			ok = true;
		} else {
			v[14] = d[14]; /* a wrong check digit: an IMEI by its label only */
		}
		ok = ok && lw_detect_tac_plausible(v) && !lw_detect_digits_trivial(v, 14);
		if (!ok && lw_detect_digits_trivial(v, 14))
			return;
		emit(fn, user, LW_ID_IMEI, ok, start, e - start, v);
	} else if (k == 16) {
		/* an IMEISV written where the IMEI goes */
		ok = lw_detect_tac_plausible(d) && !lw_detect_digits_trivial(d, 14);
		emit(fn, user, LW_ID_IMEISV, ok, start, e - start, d);
		memcpy(v, d, 14);
		v[14] = lw_detect_luhn_digit(d, 14);
		v[15] = '\0';
		if (ok)
			emit(fn, user, LW_ID_IMEI, true, start, e - start, v);
		return;
	} else {
		return;
	}
	/* ;svn=NN: the software version, which with TAC and serial is the IMEISV */
	if (e + 7 <= n && strncasecmp((const char *)p + e, ";svn=", 5) == 0 && dig(p[e + 5]) &&
	    dig(p[e + 6]) && (e + 7 == n || !alnum(p[e + 7]))) {
		char sv[17];

		memcpy(sv, v, 14);
		sv[14] = (char)p[e + 5];
		sv[15] = (char)p[e + 6];
		sv[16] = '\0';
		emit(fn, user, LW_ID_IMEISV, ok, start, e + 7 - start, sv);
	}
}

/* Three digits at p as a number, or -1. */
static int three(const uint8_t *p)
{
	if (!dig(p[0]) || !dig(p[1]) || !dig(p[2]))
		return -1;
	return (p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0');
}

/*
 * The IMS home domain ims.mnc<MNC>.mcc<MCC>.3gppnetwork.org ends at r (where IMS_REALM
 * starts): the user part before its '@' is the IMSI when it is 14 or 15 digits.  TS 23.003
 * 13.2 pads a two-digit MNC with a leading zero, so "mnc015" is MNC 15 or 015.
 */
static void ims_realm(const uint8_t *p, size_t n, size_t r, lw_ims_hit_fn fn, void *user)
{
	char imsi[16], canon[LW_DETECT_VALUE_MAX];
	size_t dom, at, a, len;
	int mnc, mcc;
	bool ok;

	(void)n;
	if (r < IMS_DOMAIN_LEN + 1)
		return;
	dom = r - IMS_DOMAIN_LEN;
	if (strncasecmp((const char *)p + dom, "ims.mnc", 7) != 0 ||
	    strncasecmp((const char *)p + dom + 10, ".mcc", 4) != 0)
		return;
	mnc = three(p + dom + 7);
	mcc = three(p + dom + 14);
	at = dom - 1;
	if (mnc < 0 || mcc < 0 || p[at] != '@')
		return;
	for (a = at; a > 0 && at - a < 16 && dig(p[a - 1]); a--)
		;
	len = at - a;
	if (len < 14 || len > 15 || (a > 0 && alnum(p[a - 1])))
		return;
	memcpy(imsi, p + a, len);
	imsi[len] = '\0';
	if (lw_detect_digits_trivial(imsi + 5, len - 5))
		return;
	ok = lw_detect_check_imsi(imsi, len, canon) && three((const uint8_t *)imsi) == mcc &&
	     (three((const uint8_t *)imsi + 3) == mnc ||
	      (mnc < 100 && (imsi[3] - '0') * 10 + (imsi[4] - '0') == mnc));
	emit(fn, user, LW_ID_IMSI, ok, a, len, imsi);
}

/* A number at i: '+' or a digit, then digits and RFC 3966 visual separators.  End or 0. */
static size_t number_end(const uint8_t *p, size_t n, size_t i)
{
	size_t e = i + 1;

	while (e < n && e - i < NUMBER_MAX &&
	       (dig(p[e]) || p[e] == '-' || p[e] == '.' || p[e] == '(' || p[e] == ')'))
		e++;
	while (e > i + 1 && !dig(p[e - 1]))
		e--;
	return e;
}

static void phone(const uint8_t *p, size_t n, size_t i, size_t e, bool global, lw_ims_hit_fn fn,
		  void *user)
{
	char canon[LW_DETECT_VALUE_MAX];
	bool ok = lw_detect_check_phone((const char *)p + i, e - i, canon);

	(void)n;
	if (!ok)
		return;
	/* a local number (no '+', RFC 3966 5.1.5) has no country: the shape alone */
	emit(fn, user, LW_ID_PHONE, global, i, e - i, canon);
}

/* tel:<number> at i (after the colon) */
static void tel_uri(const uint8_t *p, size_t n, size_t i, lw_ims_hit_fn fn, void *user)
{
	size_t e;

	if (i >= n || !(p[i] == '+' || dig(p[i])))
		return;
	e = number_end(p, n, i);
	if (e < n && (alnum(p[e]) || p[e] == '@'))
		return;
	phone(p, n, i, e, p[i] == '+', fn, user);
}

/*
 * sip:<number>@host at i: RFC 3261 19.1.6 says a user part that is a telephone number is
 * marked user=phone; IMS writes the E.164 "+" form with or without it (TS 24.229 5.1.1.4).
 */
static void sip_uri(const uint8_t *p, size_t n, size_t i, lw_ims_hit_fn fn, void *user)
{
	size_t e, k;

	if (i >= n || !(p[i] == '+' || dig(p[i])))
		return;
	e = number_end(p, n, i);
	if (e >= n || (p[e] != '@' && p[e] != ';'))
		return;
	if (p[i] == '+') {
		phone(p, n, i, e, true, fn, user);
		return;
	}
	/* a bare digit user part is a number only where the URI says so */
	for (k = e; k < n && k - e < URI_PARAMS_MAX && p[k] != '>' && p[k] != ',' && p[k] != ' ' &&
		    p[k] != '"' && p[k] != '\r' && p[k] != '\n';
	     k++)
		if (k + 11 <= n && strncasecmp((const char *)p + k, ";user=phone", 11) == 0 &&
		    (k + 11 == n || !alnum(p[k + 11]))) {
			phone(p, n, i, e, false, fn, user);
			return;
		}
}

static bool word_before(const uint8_t *p, size_t c, const char *w)
{
	size_t k = strlen(w);

	return c >= k && strncasecmp((const char *)p + c - k, w, k) == 0 &&
	       (c == k || !alnum(p[c - k - 1]));
}

void lw_detect_ims_find(const uint8_t *p, size_t n, lw_ims_hit_fn fn, void *user)
{
	const uint8_t *q = p;
	size_t c;

	if (!p || !fn)
		return;
	/* every URI here has a scheme and its colon; most text has few colons */
	while ((q = memchr(q, ':', (size_t)(p + n - q))) != NULL) {
		c = (size_t)(q - p);
		q++;
		if (word_before(p, c + 1, IMEI_URN))
			imei_urn(p, n, c + 1 - IMEI_URN_LEN, c + 1, fn, user);
		else if (word_before(p, c, "tel"))
			tel_uri(p, n, c + 1, fn, user);
		else if (word_before(p, c, "sip") || word_before(p, c, "sips"))
			sip_uri(p, n, c + 1, fn, user);
	}
	for (q = p; (q = memchr(q, '.', (size_t)(p + n - q))) != NULL; q++) {
		c = (size_t)(q - p);
		if (n - c >= IMS_REALM_LEN &&
		    strncasecmp((const char *)q, IMS_REALM, IMS_REALM_LEN) == 0 &&
		    (n - c == IMS_REALM_LEN || !alnum(q[IMS_REALM_LEN]) || q[IMS_REALM_LEN] == '.'))
			ims_realm(p, n, c, fn, user);
	}
}

/* ---- one SIP message ---------------------------------------------------------------------- */

#define SIP_PARTS (2 + LW_SIP_MAX_HEADERS)
#define SIP_LABEL_MAX 40

int lw_detect_sip(struct lw_detect *d, const struct lw_mac *client_mac, const struct lw_sip_msg *m,
		  const uint8_t *body, size_t body_len, bool partial, lw_leak_fn leak,
		  void *user_data)
{
	struct lw_detect_part parts[SIP_PARTS];
	char where[LW_SIP_MAX_HEADERS][sizeof("sip.header:") + SIP_LABEL_MAX];
	size_t np = 0, i;

	if (!d || !m || (!body && body_len))
		return -EINVAL;
	if (m->request && m->uri.len)
		parts[np++] = (struct lw_detect_part){
			"sip.uri", NULL, 0, (const uint8_t *)m->uri.p, m->uri.len, false};
	for (i = 0; i < m->n_headers && i < LW_SIP_MAX_HEADERS; i++) {
		const struct lw_sip_header *h = &m->headers[i];
		/* lw_sip_header_label(), written out: the benchmarks link lib/detect alone */
		struct lw_str label = h->full ? (struct lw_str){h->full, strlen(h->full)} : h->name;

		if (!h->value.len)
			continue;
		snprintf(where[i], sizeof(where[i]), "sip.header:%.*s",
			 (int)LW_MIN(label.len, (size_t)SIP_LABEL_MAX), label.p);
		parts[np++] = (struct lw_detect_part){where[i],	    (const uint8_t *)label.p,
						      label.len,    (const uint8_t *)h->value.p,
						      h->value.len, false};
	}
	if (body_len)
		parts[np++] = (struct lw_detect_part){"sip.body", NULL, 0, body, body_len, partial};
	return lw_detect_scan_parts(d, client_mac, parts, np, leak, user_data);
}
