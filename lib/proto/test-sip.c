/* SPDX-License-Identifier: MIT */
/*
 * Tests for the SIP message parser: hand-made messages, valid and malformed, each guarded
 * (lw_test_guard) and fed at every truncation (a proper prefix of a valid head is
 * LW_NEED_MORE, never a success or an error); compact header names; folding; Content-Length;
 * the limits; the content sniffer and the Request-URI host.
 */
#include "proto/sip.h"
#include "lw-test.h"

#include <errno.h>
#include <string.h>

#define CHECK_VIEW(v, lit)                                       \
	do {                                                     \
		char *_s = strndup((v).p ? (v).p : "", (v).len); \
		LW_CHECK_STR(_s, lit);                           \
		free(_s);                                        \
	} while (0)

static const char volte_register[] =
	"REGISTER sip:ims.mnc015.mcc234.3gppnetwork.org SIP/2.0\r\n"
	"Via: SIP/2.0/UDP [2001:db8:1::60]:5060;branch=z9hG4bK1\r\n"
	"f: <sip:234157306418293@ims.mnc015.mcc234.3gppnetwork.org>;tag=1\r\n"
	"t: <sip:234157306418293@ims.mnc015.mcc234.3gppnetwork.org>\r\n"
	"i: reg-1\r\n"
	"CSeq: 1 REGISTER\r\n"
	"m: "
	"<sip:[2001:db8:1::60]:5060>;+sip.instance=\"<urn:gsma:imei:35209900-176148-0;svn=03>\"\r\n"
	"Authorization : Digest username=\"234157306418293@ims.mnc015.mcc234.3gppnetwork.org\",\r\n"
	" realm=\"ims.mnc015.mcc234.3gppnetwork.org\"\r\n"
	"l: 4\r\n"
	"\r\n"
	"body";

static int parse_guarded(const char *s, size_t len, struct lw_sip_msg *m)
{
	struct lw_test_guard_buf g;
	const uint8_t *p = lw_test_guard(s, len, &g);
	int r = lw_sip_parse(p, len, m);

	lw_test_unguard(&g);
	return r;
}

static void test_register(void)
{
	struct lw_sip_msg *m = malloc(sizeof(*m));
	size_t head = sizeof(volte_register) - 1 - 4;
	const struct lw_sip_header *h;
	struct lw_str host;
	struct lw_test_guard_buf g;
	const uint8_t *p = lw_test_guard(volte_register, sizeof(volte_register) - 1, &g);
	int r = lw_sip_parse(p, sizeof(volte_register) - 1, m);

	LW_CHECK_INT(r, (int)head);
	LW_CHECK(m->request);
	CHECK_VIEW(m->method, "REGISTER");
	CHECK_VIEW(m->uri, "sip:ims.mnc015.mcc234.3gppnetwork.org");
	LW_CHECK_INT(m->n_headers, 8);
	LW_CHECK_INT(m->content_length, 4);
	/* compact names are reported under their full names */
	CHECK_VIEW(m->headers[1].name, "f");
	LW_CHECK_STR(m->headers[1].full, "From");
	CHECK_VIEW(lw_sip_header_label(&m->headers[1]), "From");
	CHECK_VIEW(lw_sip_header_label(&m->headers[0]), "Via");
	h = lw_sip_header_get(m, "Contact");
	LW_CHECK(h != NULL);
	if (h)
		CHECK_VIEW(h->value, "<sip:[2001:db8:1::60]:5060>;+sip.instance=\"<urn:gsma:"
				     "imei:35209900-176148-0;svn=03>\"");
	LW_CHECK(lw_sip_header_get(m, "call-id") != NULL);
	/* whitespace before the colon (HCOLON), and a folded value spanning two lines */
	h = lw_sip_header_get(m, "Authorization");
	LW_CHECK(h != NULL);
	if (h)
		CHECK_VIEW(h->value, "Digest username=\"234157306418293@ims.mnc015.mcc234."
				     "3gppnetwork.org\",\r\n realm=\"ims.mnc015.mcc234."
				     "3gppnetwork.org\"");
	LW_CHECK_INT(lw_sip_uri_host(m->uri, &host), 0);
	CHECK_VIEW(host, "ims.mnc015.mcc234.3gppnetwork.org");
	lw_test_unguard(&g);
	/* every proper prefix of the head is incomplete */
	LW_FOR_EACH_PREFIX(volte_register, head - 1, q, n, {
		r = lw_sip_parse(q, n, m);
		if (r != LW_NEED_MORE) {
			fprintf(stderr, "prefix %zu: %d\n", n, r);
			LW_CHECK_INT(r, LW_NEED_MORE);
		}
	});
	free(m);
}

static void test_response_and_keepalive(void)
{
	static const char resp[] = "\r\n\r\nSIP/2.0 401 Unauthorized\nv: SIP/2.0/TCP x\n\n";
	struct lw_sip_msg *m = malloc(sizeof(*m));

	/* CRLF keep-alives before the message count in its length; bare LF ends lines */
	LW_CHECK_INT(parse_guarded(resp, sizeof(resp) - 1, m), (int)sizeof(resp) - 1);
	LW_CHECK(!m->request);
	LW_CHECK_INT(m->status, 401);
	LW_CHECK_INT(m->content_length, -1);
	LW_CHECK_INT(parse_guarded("\r\n\r\n", 4, m), LW_NEED_MORE);
	free(m);
}

static void test_malformed(void)
{
	static const char *const bad[] = {
		"REGISTER sip:example.com SIP/3.0\r\n\r\n", /* version */
		"REGISTER http://example.com SIP/2.0\r\n\r\n", /* scheme */
		"REGISTER  sip:example.com SIP/2.0\r\n\r\n", /* empty URI */
		"REG@STER sip:example.com SIP/2.0\r\n\r\n", /* method not a token */
		"SIP/2.0 99 Low\r\n\r\n", /* status code */
		"SIP/2.0 2000 OK\r\n\r\n",
		"INVITE sip:a@example.com SIP/2.0\r\nNo colon here\r\n\r\n",
		"INVITE sip:a@example.com SIP/2.0\r\n folded first\r\n\r\n",
		"INVITE sip:a@example.com SIP/2.0\r\nl: 5\r\nContent-Length: 6\r\n\r\n", /* disagree */
		"INVITE sip:a@example.com SIP/2.0\r\nl: x\r\n\r\n",
		"INVITE sip:a@example.com SIP/2.0\r\nl: 99999999\r\n\r\n", /* > LW_SIP_MAX_BODY */
		"INVITE sip:a@example.com SIP/2.0\r\nX: a\rb\r\n\r\n", /* lone CR */
		"INVITE sip:a@example.com SIP/2.0\r\nX: a\001b\r\n\r\n", /* control byte */
	};
	struct lw_sip_msg *m = malloc(sizeof(*m));
	size_t i;

	for (i = 0; i < LW_ARRAY_SIZE(bad); i++) {
		int r = parse_guarded(bad[i], strlen(bad[i]), m);

		if (r != -EBADMSG)
			fprintf(stderr, "bad[%zu] gave %d\n", i, r);
		LW_CHECK_INT(r, -EBADMSG);
	}
	free(m);
}

static void test_limits(void)
{
	struct lw_sip_msg *m = malloc(sizeof(*m));
	char *s = malloc(LW_SIP_MAX_HEAD + 4096);
	size_t n = 0, i;

	n += (size_t)sprintf(s, "OPTIONS sip:example.com SIP/2.0\r\n");
	for (i = 0; i < LW_SIP_MAX_HEADERS; i++)
		n += (size_t)sprintf(s + n, "X-%zu: v\r\n", i);
	memcpy(s + n, "\r\n", 2);
	LW_CHECK(parse_guarded(s, n + 2, m) > 0);
	LW_CHECK_INT(m->n_headers, LW_SIP_MAX_HEADERS);
	/* one header more */
	n += (size_t)sprintf(s + n, "X-last: v\r\n\r\n");
	LW_CHECK_INT(parse_guarded(s, n, m), -EBADMSG);
	/* a head that never ends: malformed once it is longer than the limit */
	n = (size_t)sprintf(s, "OPTIONS sip:example.com SIP/2.0\r\nX: ");
	memset(s + n, 'a', LW_SIP_MAX_HEAD + 10 - n);
	LW_CHECK_INT(parse_guarded(s, LW_SIP_MAX_HEAD - 10, m), LW_NEED_MORE);
	LW_CHECK_INT(parse_guarded(s, LW_SIP_MAX_HEAD + 10, m), -EBADMSG);
	free(s);
	free(m);
}

static void test_looks_like(void)
{
	static const struct {
		const char *s;
		bool sip;
	} cases[] = {
		{"REGISTER sip:ims.example.net SIP/2.0\r\n", true},
		{"INVITE sips:+447700900789@example.net SIP/2.0", true},
		{"MESSAGE tel:+447700900789 SIP/2.0", true},
		{"\r\nOPTIONS sip:", true},
		{"SIP/2.0 200 OK", true},
		{"OPTIONS * HTTP/1.1", false},
		{"GET / HTTP/1.1", false},
		{"GET sip", false},
		{"register sip:example.com SIP/2.0", false}, /* methods are capitals */
		{"INVITE", false},
		{"", false},
	};
	size_t i;

	for (i = 0; i < LW_ARRAY_SIZE(cases); i++) {
		struct lw_test_guard_buf g;
		size_t n = strlen(cases[i].s);
		const uint8_t *p = lw_test_guard(cases[i].s, n, &g);

		if (lw_sip_looks_like(p, n) != cases[i].sip)
			fprintf(stderr, "looks_like[%zu]\n", i);
		LW_CHECK(lw_sip_looks_like(p, n) == cases[i].sip);
		lw_test_unguard(&g);
	}
}

static void test_uri_host(void)
{
	static const struct {
		const char *uri, *host;
	} cases[] = {
		{"sip:ims.example.net", "ims.example.net"},
		{"sip:+447700900789@ims.example.net;user=phone", "ims.example.net"},
		{"sips:alice:secret@example.com:5061;transport=tls", "example.com"},
		{"sip:[2001:db8::1]:5060", "2001:db8::1"},
		{"sip:a@b@example.org?subject=x", "example.org"},
		{"tel:+447700900789", NULL},
		{"sip:", NULL},
		{"sip:user@", NULL},
		{"sip:[2001:db8::1", NULL},
		{"sip:exa mple.com", NULL},
	};
	size_t i;

	for (i = 0; i < LW_ARRAY_SIZE(cases); i++) {
		struct lw_str uri = {cases[i].uri, strlen(cases[i].uri)}, host;
		int r = lw_sip_uri_host(uri, &host);

		if (!cases[i].host) {
			LW_CHECK_INT(r, -EINVAL);
			continue;
		}
		LW_CHECK_INT(r, 0);
		if (r == 0)
			CHECK_VIEW(host, cases[i].host);
	}
}

int main(void)
{
	LW_TEST(test_register);
	LW_TEST(test_response_and_keepalive);
	LW_TEST(test_malformed);
	LW_TEST(test_limits);
	LW_TEST(test_looks_like);
	LW_TEST(test_uri_host);
	return lw_test_end();
}
