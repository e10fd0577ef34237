/* SPDX-License-Identifier: MIT */
/*
 * Tests for the IMS recognisers (lib/detect/ims.c) and the scan of a SIP message: every
 * spelling of the IMEI in a +sip.instance, the IMSI at the IMS home domain checked against
 * its MCC and MNC, tel: and sip: numbers; and the look-alikes that must not validate.
 */
#include "detect/ims.h"
#include "lw-test.h"
#include "proto/sip.h"

#include <string.h>

#define MAX_HITS 8

struct hits {
	size_t n;
	struct lw_ims_hit h[MAX_HITS];
};

static void on_hit(const struct lw_ims_hit *h, void *user)
{
	struct hits *hs = user;

	if (hs->n < MAX_HITS)
		hs->h[hs->n++] = *h;
}

static struct hits find(const char *s)
{
	struct hits hs = {0};
	struct lw_test_guard_buf g;
	size_t n = strlen(s);
	const uint8_t *p = lw_test_guard(s, n, &g);

	lw_detect_ims_find(p, n, on_hit, &hs);
	lw_test_unguard(&g);
	return hs;
}

/* text, then the expected hits as "kind value v|p" separated by spaces ("" = none) */
static const struct {
	const char *text;
	const char *want;
} cases[] = {
	/* RFC 7254: TAC-SNR-check digit */
	{"+sip.instance=\"<urn:gsma:imei:35442706-323347-9>\"", "imei 354427063233479 v"},
	/* the spare digit 0 in place of the check digit (TS 23.003 6.2.1) */
	{"<urn:gsma:imei:35209900-176148-0>", "imei 352099001761481 v"},
	/* with the software version: also the IMEISV */
	{"<urn:gsma:imei:35442706-323347-9;svn=12>",
	 "imei 354427063233479 v imeisv 3544270632334712 v"},
	{"URN:GSMA:IMEI:354427063233479", "imei 354427063233479 v"},
	{"urn:gsma:imei:35-442706-323347-9", "imei 354427063233479 v"}, /* older drafts */
	{"urn:gsma:imei:35442706323347", "imei 354427063233479 v"}, /* no check digit */
	{"urn:gsma:imei:3544270632334712", "imeisv 3544270632334712 v imei 354427063233479 v"},
	/* a wrong check digit that is not the spare 0: an IMEI by its label only */
	{"urn:gsma:imei:35442706-323347-4", "imei 354427063233474 p"},
	{"urn:gsma:imei:00000000-000000-0", ""},
	{"urn:gsma:imei:35442706-323347-9x", ""},
	{"urn:gsma:imei:3544", ""},
	{"xurn:gsma:imei:35442706-323347-9", ""},
	/* the IMSI at its home network's IMS domain (TS 23.003 13.3, 13.4B) */
	{"<sip:234157306418293@ims.mnc015.mcc234.3gppnetwork.org>", "imsi 234157306418293 v"},
	{"username=\"234157306418293@IMS.MNC015.MCC234.3GPPNETWORK.ORG\"",
	 "imsi 234157306418293 v"},
	{"310410738291645@ims.mnc410.mcc310.3gppnetwork.org", "imsi 310410738291645 v"},
	{"23415730641829@ims.mnc015.mcc234.3gppnetwork.org", "imsi 23415730641829 v"},
	/* MCC or MNC not the domain's: not an identity derived from this IMSI */
	{"sip:310157306418291@ims.mnc015.mcc234.3gppnetwork.org", "imsi 310157306418291 p"},
	{"sip:234157306418293@ims.mnc020.mcc234.3gppnetwork.org", "imsi 234157306418293 p"},
	{"sip:2341573064182@ims.mnc015.mcc234.3gppnetwork.org", ""}, /* 13 digits */
	{"sip:x234157306418293@ims.mnc015.mcc234.3gppnetwork.org", ""},
	{"sip:234157306418293@wlan.mnc015.mcc234.3gppnetwork.org", ""},
	{"sip:234150000000000@ims.mnc015.mcc234.3gppnetwork.org", ""},
	/* numbers */
	{"P-Preferred-Identity: <tel:+447700900456>", "phone +447700900456 v"},
	{"<tel:+44-7700-900456;phone-context=x>", "phone +447700900456 v"},
	{"tel:07700900456", "phone 07700900456 p"}, /* a local number: no country */
	{"tel:7042;phone-context=example.com", ""},
	{"<sip:+447700900789@ims.example.net;user=phone>", "phone +447700900789 v"},
	{"sip:+447700900789@ims.example.net", "phone +447700900789 v"},
	{"sip:07700900789@ims.example.net;transport=udp;user=phone", "phone 07700900789 p"},
	{"sip:07700900789@ims.example.net", ""}, /* digits, but not said to be a number */
	{"sip:+447700900789x@ims.example.net", ""},
	{"gossip:+447700900789@ims.example.net", ""},
	{"hotel:+447700900789", ""},
};

static void test_find(void)
{
	size_t i, k;

	for (i = 0; i < LW_ARRAY_SIZE(cases); i++) {
		struct hits hs = find(cases[i].text);
		char got[256] = "";
		size_t o = 0;

		for (k = 0; k < hs.n; k++)
			o += (size_t)snprintf(got + o, sizeof(got) - o, "%s%s %s %c", k ? " " : "",
					      lw_id_kind_str(hs.h[k].kind), hs.h[k].value,
					      hs.h[k].validated ? 'v' : 'p');
		if (strcmp(got, cases[i].want) != 0)
			fprintf(stderr, "case %zu (%s)\n", i, cases[i].text);
		LW_CHECK_STR(got, cases[i].want);
	}
}

static void test_span(void)
{
	static const char s[] = "m: <sip:x>;+sip.instance=\"<urn:gsma:imei:35442706-323347-9>\"";
	struct hits hs = find(s);

	LW_CHECK_INT(hs.n, 1);
	LW_CHECK_INT(hs.h[0].off, strstr(s, "urn:") - s);
	LW_CHECK_INT(hs.h[0].len, strlen("urn:gsma:imei:35442706-323347-9"));
}

struct leaks {
	size_t n;
	struct lw_leak l[16];
};

static void on_leak(const struct lw_leak *l, void *user)
{
	struct leaks *ls = user;

	if (ls->n < 16)
		ls->l[ls->n++] = *l;
}

static const struct lw_leak *leak_of(const struct leaks *ls, enum lw_id_kind kind)
{
	size_t i;

	for (i = 0; i < ls->n; i++)
		if (ls->l[i].kind == kind)
			return &ls->l[i];
	return NULL;
}

static void test_sip_message(void)
{
	static const char msg[] =
		"REGISTER sip:ims.mnc015.mcc234.3gppnetwork.org SIP/2.0\r\n"
		"f: <sip:234157306418293@ims.mnc015.mcc234.3gppnetwork.org>;tag=1\r\n"
		"m: <sip:[2001:db8:1::60]:5060>;+g.3gpp.icsi-ref=\"urn%3Aurn-7%3A3gpp-service.ims."
		"icsi.mmtel\";+sip.instance=\"<urn:gsma:imei:35209900-176148-0;svn=03>\"\r\n"
		"Authorization: Digest "
		"username=\"234157306418293@ims.mnc015.mcc234.3gppnetwork.org\""
		"\r\n"
		"P-Preferred-Identity: <tel:+447700900456>\r\n"
		"Content-Length: 22\r\n"
		"\r\n"
		"c=IN IP6 2001:db8:1::60";
	struct lw_detect_config cfg = {.learn = false};
	struct lw_detect *d = lw_detect_new(&cfg);
	static const struct lw_mac mac = {{0x00, 0x00, 0x5e, 0x00, 0x53, 0x30}};
	struct lw_sip_msg *m = malloc(sizeof(*m));
	struct leaks ls = {0};
	const struct lw_leak *l;
	int r = lw_sip_parse((const uint8_t *)msg, sizeof(msg) - 1, m);

	LW_CHECK(r > 0);
	LW_CHECK(d != NULL);
	if (r <= 0 || !d)
		goto out;
	LW_CHECK_INT(lw_detect_sip(d, &mac, m, (const uint8_t *)msg + r, 22, false, on_leak, &ls),
		     4);
	l = leak_of(&ls, LW_ID_IMEI);
	LW_CHECK(l && strcmp(l->value, "352099001761481") == 0);
	LW_CHECK(l && strcmp(l->location, "sip.header:Contact") == 0);
	LW_CHECK(l && strcmp(l->encoding, "plain") == 0); /* not the URL-decoded copy */
	LW_CHECK(l && l->confidence == LW_CONF_VALIDATED);
	l = leak_of(&ls, LW_ID_IMEISV);
	LW_CHECK(l && strcmp(l->value, "3520990017614803") == 0);
	l = leak_of(&ls, LW_ID_IMSI);
	LW_CHECK(l && strcmp(l->value, "234157306418293") == 0);
	LW_CHECK(l && strcmp(l->location, "sip.header:From") == 0);
	LW_CHECK(l && l->confidence == LW_CONF_VALIDATED);
	l = leak_of(&ls, LW_ID_PHONE);
	LW_CHECK(l && strcmp(l->value, "+447700900456") == 0);
	LW_CHECK(l && strcmp(l->location, "sip.header:P-Preferred-Identity") == 0);
	LW_CHECK(leak_of(&ls, LW_ID_EMAIL) == NULL); /* a private identity is no mailbox */
out:
	free(m);
	lw_detect_free(d);
}

/* The same identities in other content (an uploaded log): the recognisers run everywhere. */
static void test_in_raw_content(void)
{
	static const char log[] = "{\"log\":\"REGISTER from 234157306418293@ims.mnc015.mcc234."
				  "3gppnetwork.org instance urn:gsma:imei:35442706-323347-9\"}";
	struct lw_detect_config cfg = {.learn = false};
	struct lw_detect *d = lw_detect_new(&cfg);
	struct lw_detect_ctx ctx = {NULL, "http.body", "application/json", false};
	struct leaks ls = {0};

	LW_CHECK(d != NULL);
	if (!d)
		return;
	LW_CHECK_INT(lw_detect_scan(d, &ctx, (const uint8_t *)log, sizeof(log) - 1, on_leak, &ls),
		     2);
	LW_CHECK(leak_of(&ls, LW_ID_IMSI) &&
		 leak_of(&ls, LW_ID_IMSI)->confidence == LW_CONF_VALIDATED);
	LW_CHECK(leak_of(&ls, LW_ID_IMEI) &&
		 strcmp(leak_of(&ls, LW_ID_IMEI)->value, "354427063233479") == 0);
	lw_detect_free(d);
}

int main(void)
{
	LW_TEST(test_find);
	LW_TEST(test_span);
	LW_TEST(test_sip_message);
	LW_TEST(test_in_raw_content);
	return lw_test_end();
}
