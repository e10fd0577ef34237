/* SPDX-License-Identifier: MIT */
/*
 * SIP message heads: RFC 3261 section 7 (messages), 7.3.3 (compact forms), 18.3 (framing),
 * 25.1 (ABNF); compact forms added by RFC 3515 (r), RFC 3892 (b), RFC 3841 (a, j, d),
 * RFC 4028 (x), RFC 4474 (y, n), RFC 6665 (o, u).
 *
 *   REGISTER sip:ims.mnc015.mcc234.3gppnetwork.org SIP/2.0\r\n   Method SP Request-URI SP
 *                                                                SIP-Version CRLF
 *   SIP/2.0 200 OK\r\n                                           or a Status-Line
 *   Via: SIP/2.0/UDP [2001:db8::1]:5060;branch=z9hG4bK1\r\n     header = name HCOLON value
 *   m: <sip:...>;+sip.instance="<urn:gsma:imei:...>"\r\n        (compact Contact)
 *   l: 0\r\n                                                     Content-Length
 *   \r\n                                                         end of the head; the body
 *                                                                follows (SDP, ...)
 *
 * Written by hand, like lib/proto/http.c: SIP's syntax is HTTP/1.1's with differences that
 * matter here (whitespace before the colon, line folding, compact names, no chunking), and
 * the libraries that parse SIP (osip2, sofia-sip, PJSIP) allocate per message and bring a
 * whole stack.  Lenient where nothing is framed by it (a bare LF ends a line; whitespace
 * before the colon, RFC 3261 25.1 HCOLON; folded lines continue the previous value); strict
 * on what frames a message on a stream: a Content-Length that is not decimal, too large, or
 * disagrees with another one is -EBADMSG.
 */
#include "proto/sip.h"

#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <strings.h>

/* RFC 3261 25.1 token: alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~" */
static bool is_token(uint8_t c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c && strchr("-.!%*_+`'~", c));
}

static bool is_ws(uint8_t c)
{
	return c == ' ' || c == '\t';
}

static const struct {
	char compact;
	const char *full;
} compact_names[] = {
	{'a', "Accept-Contact"},
	{'b', "Referred-By"},
	{'c', "Content-Type"},
	{'d', "Request-Disposition"},
	{'e', "Content-Encoding"},
	{'f', "From"},
	{'i', "Call-ID"},
	{'j', "Reject-Contact"},
	{'k', "Supported"},
	{'l', "Content-Length"},
	{'m', "Contact"},
	{'n', "Identity-Info"},
	{'o', "Event"},
	{'r', "Refer-To"},
	{'s', "Subject"},
	{'t', "To"},
	{'u', "Allow-Events"},
	{'v', "Via"},
	{'x', "Session-Expires"},
	{'y', "Identity"},
};

static const char *full_name(const char *n, size_t len)
{
	size_t i;

	if (len != 1)
		return NULL;
	for (i = 0; i < LW_ARRAY_SIZE(compact_names); i++)
		if ((n[0] | 0x20) == compact_names[i].compact)
			return compact_names[i].full;
	return NULL;
}

static bool name_is(const struct lw_sip_header *h, const char *full)
{
	if (h->full)
		return strcasecmp(h->full, full) == 0;
	return h->name.len == strlen(full) && strncasecmp(h->name.p, full, h->name.len) == 0;
}

struct lw_str lw_sip_header_label(const struct lw_sip_header *h)
{
	if (h->full)
		return (struct lw_str){h->full, strlen(h->full)};
	return h->name;
}

const struct lw_sip_header *lw_sip_header_get(const struct lw_sip_msg *m, const char *full)
{
	size_t i;

	for (i = 0; i < m->n_headers && i < LW_SIP_MAX_HEADERS; i++)
		if (name_is(&m->headers[i], full))
			return &m->headers[i];
	return NULL;
}

/* The end of the line starting at i (the index of its LF), or len if there is none yet. */
static size_t line_end(const uint8_t *p, size_t len, size_t i)
{
	const uint8_t *lf = memchr(p + i, '\n', len - i);

	return lf ? (size_t)(lf - p) : len;
}

/* [i, e) without a final CR; -EBADMSG for a CR elsewhere or another control byte. */
static int line_check(const uint8_t *p, size_t i, size_t *e)
{
	size_t k;

	if (*e > i && p[*e - 1] == '\r')
		(*e)--;
	for (k = i; k < *e; k++)
		if ((p[k] < 0x20 && p[k] != '\t') || p[k] == 0x7f)
			return -EBADMSG;
	return 0;
}

static bool scheme_ok(const uint8_t *p, size_t n)
{
	return (n >= 4 && (strncasecmp((const char *)p, "sip:", 4) == 0 ||
			   strncasecmp((const char *)p, "tel:", 4) == 0)) ||
	       (n >= 5 && strncasecmp((const char *)p, "sips:", 5) == 0);
}

static int start_line(const uint8_t *p, size_t i, size_t e, struct lw_sip_msg *out)
{
	size_t k = i, u;

	if (e - i >= 8 && memcmp(p + i, "SIP/2.0 ", 8) == 0) {
		/* Status-Line = SIP-Version SP Status-Code SP Reason-Phrase */
		k = i + 8;
		if (e - k < 3 || p[k] < '1' || p[k] > '6' || p[k + 1] < '0' || p[k + 1] > '9' ||
		    p[k + 2] < '0' || p[k + 2] > '9' || (e - k > 3 && p[k + 3] != ' '))
			return -EBADMSG;
		out->request = false;
		out->status = (p[k] - '0') * 100 + (p[k + 1] - '0') * 10 + (p[k + 2] - '0');
		return 0;
	}
	while (k < e && is_token(p[k]))
		k++;
	if (k == i || k >= e || p[k] != ' ')
		return -EBADMSG;
	out->request = true;
	out->method = (struct lw_str){(const char *)p + i, k - i};
	u = ++k;
	while (k < e && p[k] != ' ')
		k++;
	if (k == u || k >= e || !scheme_ok(p + u, k - u))
		return -EBADMSG;
	out->uri = (struct lw_str){(const char *)p + u, k - u};
	if (e - k != 8 || strncasecmp((const char *)p + k, " SIP/2.0", 8) != 0)
		return -EBADMSG;
	return 0;
}

static int content_length(const struct lw_str *v, int64_t *cl)
{
	int64_t x = 0;
	size_t i;

	if (v->len == 0 || v->len > 10)
		return -EBADMSG;
	for (i = 0; i < v->len; i++) {
		if (v->p[i] < '0' || v->p[i] > '9')
			return -EBADMSG;
		x = x * 10 + (v->p[i] - '0');
	}
	if (x > LW_SIP_MAX_BODY || (*cl >= 0 && *cl != x))
		return -EBADMSG;
	*cl = x;
	return 0;
}

static void trim(struct lw_str *v)
{
	while (v->len && is_ws((uint8_t)v->p[0])) {
		v->p++;
		v->len--;
	}
	while (v->len && (is_ws((uint8_t)v->p[v->len - 1]) || v->p[v->len - 1] == '\r' ||
			  v->p[v->len - 1] == '\n'))
		v->len--;
}

int lw_sip_parse(const uint8_t *p, size_t len, struct lw_sip_msg *out)
{
	struct lw_sip_header *h = NULL;
	size_t i = 0, e;
	int r;

	if (!p || !out)
		return -EINVAL;
	memset(out, 0, offsetof(struct lw_sip_msg, headers));
	out->content_length = -1;
	/* keep-alive CRLFs before the message */
	while (i < len && (p[i] == '\r' || p[i] == '\n')) {
		if (p[i] == '\r' && i + 1 < len && p[i + 1] != '\n')
			return -EBADMSG;
		i++;
	}
	if (i >= len)
		return LW_NEED_MORE;
	e = line_end(p, len, i);
	if (e >= len)
		return len - i > LW_SIP_MAX_HEAD ? -EBADMSG : LW_NEED_MORE;
	r = line_check(p, i, &e);
	if (r < 0 || (r = start_line(p, i, e, out)) < 0)
		return r;
	i = line_end(p, len, i) + 1;
	for (;;) {
		size_t k, lf = line_end(p, len, i);

		if (lf >= len)
			return len > LW_SIP_MAX_HEAD ? -EBADMSG : LW_NEED_MORE;
		if (lf + 1 > LW_SIP_MAX_HEAD)
			return -EBADMSG;
		e = lf;
		if (line_check(p, i, &e) < 0)
			return -EBADMSG;
		if (e == i) { /* the blank line */
			i = lf + 1;
			break;
		}
		if (is_ws(p[i])) {
			/* a folded line (RFC 3261 7.3.1): the previous value goes on */
			if (!h)
				return -EBADMSG;
			h->value.len = e - (size_t)((const uint8_t *)h->value.p - p);
			trim(&h->value);
			i = lf + 1;
			continue;
		}
		for (k = i; k < e && is_token(p[k]); k++)
			;
		if (k == i)
			return -EBADMSG;
		if (out->n_headers >= LW_SIP_MAX_HEADERS)
			return -EBADMSG;
		h = &out->headers[out->n_headers++];
		h->name = (struct lw_str){(const char *)p + i, k - i};
		h->full = full_name(h->name.p, h->name.len);
		while (k < e && is_ws(p[k]))
			k++;
		if (k >= e || p[k] != ':')
			return -EBADMSG;
		h->value = (struct lw_str){(const char *)p + k + 1, e - k - 1};
		trim(&h->value);
		if (h->value.len == 0)
			h->value.p = (const char *)p + e; /* a view that stays in the input */
		i = lf + 1;
	}
	/* Content-Length: folded values are trimmed above; read each after the head is known */
	for (size_t n = 0; n < out->n_headers; n++)
		if (name_is(&out->headers[n], "Content-Length") &&
		    content_length(&out->headers[n].value, &out->content_length) < 0)
			return -EBADMSG;
	return (int)i;
}

bool lw_sip_looks_like(const uint8_t *p, size_t len)
{
	size_t i = 0, k;

	if (len >= 2 && p[0] == '\r' && p[1] == '\n')
		i = 2;
	if (len - i >= 8 && memcmp(p + i, "SIP/2.0 ", 8) == 0)
		return true;
	/* methods are tokens; the ones in use (RFC 3261, 3262, 3265, 3311, 3428, 3515, 3903,
	 * 6086) are capital letters, at most 9 of them (SUBSCRIBE) */
	for (k = i; k < len && k - i < 12 && p[k] >= 'A' && p[k] <= 'Z'; k++)
		;
	if (k == i || k >= len || p[k] != ' ')
		return false;
	return scheme_ok(p + k + 1, len - k - 1);
}

int lw_sip_uri_host(struct lw_str uri, struct lw_str *host)
{
	const char *p = uri.p, *end = uri.p + uri.len, *at, *h;
	size_t n;

	if (!p || uri.len < 4)
		return -EINVAL;
	if (strncasecmp(p, "sip:", 4) == 0)
		p += 4;
	else if (uri.len >= 5 && strncasecmp(p, "sips:", 5) == 0)
		p += 5;
	else
		return -EINVAL;
	/* the user part ends at the last '@' before any parameter or header */
	for (h = p; h < end && *h != ';' && *h != '?' && *h != '>'; h++)
		;
	at = NULL;
	for (const char *q = p; q < h; q++)
		if (*q == '@')
			at = q;
	h = at ? at + 1 : p;
	if (h < end && *h == '[') {
		const char *rb = memchr(h, ']', (size_t)(end - h));

		if (!rb || rb == h + 1)
			return -EINVAL;
		*host = (struct lw_str){h + 1, (size_t)(rb - h - 1)};
		return 0;
	}
	for (n = 0; h + n < end && (isalnum((unsigned char)h[n]) || h[n] == '.' || h[n] == '-');
	     n++)
		;
	if (n == 0 || (h + n < end && !strchr(":;?>", h[n])))
		return -EINVAL;
	*host = (struct lw_str){h, n};
	return 0;
}
