/* SPDX-License-Identifier: MIT */
/*
 * HTTP/1.x request heads and chunked bodies: RFC 9112 (message syntax: §2.2 line endings and
 * leading empty lines, §3 request line, §5 field lines, §6 framing, §7.1 chunked coding) and
 * RFC 9110 (§5.5 field values, §5.6.2 tokens, §7.2 Host, §8.6 Content-Length).
 *
 *   GET /path?q=1 HTTP/1.1\r\n               request-line = method SP request-target SP version
 *   Host: example.com:8080\r\n               field-line   = field-name ":" OWS field-value OWS
 *   Transfer-Encoding: gzip, chunked\r\n
 *   \r\n                                     end of the head
 *   5;name=value\r\n                         chunk-size [ chunk-ext ] CRLF
 *   hello\r\n                                chunk-data CRLF
 *   0\r\n                                    last-chunk
 *   Trailer-Field: x\r\n                     trailer-section
 *   \r\n
 *
 * Like picohttpparser: nothing is allocated, every string is a view into the caller's buffer,
 * and the answer is "head length", LW_NEED_MORE or -EBADMSG.  The head is checked byte by byte
 * in order, so a malformed head fails as soon as its first wrong byte is seen, and no prefix of
 * a valid head is ever reported as malformed or complete.
 *
 * leakwatch watches traffic that a server will interpret; the choices below keep us from framing
 * a message differently from a careful server, and are lenient only where no framing is at stake:
 * - a line may end in CRLF or in a bare LF (§2.2 MAY); a CR not followed by LF is malformed;
 * - any number of empty lines before the request-line are skipped (§2.2 SHOULD);
 * - obs-fold (a field line starting with SP or HTAB, §5.2) is REJECTED: a view into the input
 *   cannot replace the fold with SP, and rejection is the other behaviour §5.2 allows;
 * - whitespace between a field name and its colon is rejected (§5.1 MUST);
 * - field values may hold HTAB, SP, VCHAR and obs-text; NUL, CR, LF and other controls are
 *   rejected (RFC 9110 §5.5);
 * - the request-target may hold obs-text (raw UTF-8 seen from real clients), never controls;
 * - only HTTP/1.0 and HTTP/1.1 are accepted (no HTTP/0.9 request without a version);
 * - method names are any token (RFC 9110 §9.1: the method set is extensible);
 * - framing (§6.1, §6.3): a Transfer-Encoding whose final coding is not chunked, chunked applied
 *   twice, Transfer-Encoding together with Content-Length, Transfer-Encoding in HTTP/1.0, a
 *   Content-Length that is empty, not decimal, too large or disagrees with another one: all
 *   -EBADMSG.  A list of identical Content-Length values ("5, 5") is accepted (RFC 9110 §8.6);
 * - Host (RFC 9112 §3.2): more than one, or a value that is not uri-host [":" port], is
 *   -EBADMSG.
 */
#include "proto/http.h"
#include "core/cursor.h"

#include <errno.h>
#include <limits.h>
#include <string.h>

/* RFC 9110 §5.6.2: tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." / "^" /
 * "_" / "`" / "|" / "~" / DIGIT / ALPHA */
/* clang-format off */
static const bool http_tchar[256] = {
	['!'] = true, ['#'] = true, ['$'] = true, ['%'] = true, ['&'] = true, ['\''] = true,
	['*'] = true, ['+'] = true, ['-'] = true, ['.'] = true, ['^'] = true, ['_'] = true,
	['`'] = true, ['|'] = true, ['~'] = true,
	['0' ... '9'] = true, ['A' ... 'Z'] = true, ['a' ... 'z'] = true,
};
/* clang-format on */

static bool is_tchar(uint8_t ch)
{
	return http_tchar[ch];
}

static bool is_ows(int ch)
{
	return ch == ' ' || ch == '\t';
}

/* field-vchar / SP / HTAB: VCHAR, obs-text (0x80-0xff), SP, HTAB (RFC 9110 §5.5). */
static bool is_field_char(uint8_t ch)
{
	return ch == '\t' || (ch >= 0x20 && ch != 0x7f);
}

/* A request-target byte: anything visible, obs-text included; no SP and no controls. */
static bool is_target_char(uint8_t ch)
{
	return ch > 0x20 && ch != 0x7f;
}

static int hex_value(uint8_t ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

static uint8_t ascii_lower(uint8_t ch)
{
	return ch >= 'A' && ch <= 'Z' ? (uint8_t)(ch | 0x20) : ch;
}

/* Locale-free case-insensitive comparison of a view with a C string. */
static bool str_case_eq(const char *p, size_t len, const char *lit)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (!lit[i] || ascii_lower((uint8_t)p[i]) != ascii_lower((uint8_t)lit[i]))
			return false;
	return lit[len] == '\0';
}

static struct lw_str view(const uint8_t *p, size_t len)
{
	return (struct lw_str){(const char *)p, len};
}

/* The next byte without consuming it, or -1 at the end of the input. */
static int peek(const struct lw_cursor *c)
{
	return lw_cursor_has(c, 1) ? c->p[0] : -1;
}

/* Consumes one line end: CRLF or a bare LF (§2.2). */
static int eat_eol(struct lw_cursor *c)
{
	int ch = peek(c);

	if (ch < 0)
		return LW_NEED_MORE;
	if (ch == '\n') {
		lw_cursor_skip(c, 1);
		return 0;
	}
	if (ch != '\r')
		return -EBADMSG;
	if (!lw_cursor_has(c, 2))
		return LW_NEED_MORE;
	if (c->p[1] != '\n')
		return -EBADMSG;
	lw_cursor_skip(c, 2);
	return 0;
}

static int eat_byte(struct lw_cursor *c, uint8_t want)
{
	int ch = peek(c);

	if (ch < 0)
		return LW_NEED_MORE;
	if (ch != want)
		return -EBADMSG;
	lw_cursor_skip(c, 1);
	return 0;
}

/* 1*tchar; the byte after it must be present (it says where the token ends). */
static int parse_token(struct lw_cursor *c, struct lw_str *out)
{
	const uint8_t *start = c->p;
	int ch;

	while ((ch = peek(c)) >= 0 && is_tchar((uint8_t)ch))
		lw_cursor_skip(c, 1);
	if (ch < 0)
		return LW_NEED_MORE;
	if (c->p == start)
		return -EBADMSG;
	*out = view(start, (size_t)(c->p - start));
	return 0;
}

static int parse_target(struct lw_cursor *c, struct lw_str *out)
{
	const uint8_t *start = c->p;
	int ch;

	while ((ch = peek(c)) >= 0 && is_target_char((uint8_t)ch))
		lw_cursor_skip(c, 1);
	if (ch < 0)
		return LW_NEED_MORE;
	if (c->p == start || ch != ' ')
		return -EBADMSG;
	*out = view(start, (size_t)(c->p - start));
	return 0;
}

/* HTTP-version = "HTTP/" DIGIT "." DIGIT, of which we take 1.0 and 1.1. */
static int parse_version(struct lw_cursor *c, int *minor)
{
	static const char lit[] = "HTTP/1.";
	size_t i;
	int ch, r;

	for (i = 0; i < sizeof(lit) - 1; i++) {
		r = eat_byte(c, (uint8_t)lit[i]);
		if (r)
			return r;
	}
	ch = peek(c);
	if (ch < 0)
		return LW_NEED_MORE;
	if (ch != '0' && ch != '1')
		return -EBADMSG;
	*minor = ch - '0';
	lw_cursor_skip(c, 1);
	return 0;
}

/* OWS field-value OWS, up to (not including) the line end; the view excludes the OWS. */
static int parse_value(struct lw_cursor *c, struct lw_str *out)
{
	const uint8_t *start, *end;
	int ch;

	while ((ch = peek(c)) >= 0 && is_ows(ch))
		lw_cursor_skip(c, 1);
	start = end = c->p;
	while ((ch = peek(c)) >= 0 && ch != '\r' && ch != '\n') {
		if (!is_field_char((uint8_t)ch))
			return -EBADMSG;
		lw_cursor_skip(c, 1);
		if (!is_ows(ch))
			end = c->p;
	}
	if (ch < 0)
		return LW_NEED_MORE;
	*out = view(start, (size_t)(end - start));
	return 0;
}

/* port = *DIGIT (RFC 3986 §3.2.3) */
static bool all_digits(const char *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] < '0' || p[i] > '9')
			return false;
	return true;
}

/*
 * uri-host [ ":" port ] -> uri-host.  An IP-literal keeps its brackets.  Characters are limited
 * to those of reg-name, IPv4address and IP-literal (RFC 3986 §3.2.2); -EBADMSG otherwise.
 */
static int strip_port(struct lw_str *h)
{
	static const char host_chars[] = "-._~%!$&'()*+,;=";
	const char *colon = NULL;
	size_t i, hostlen;

	if (h->len && h->p[0] == '[') {
		const char *close = memchr(h->p, ']', h->len);

		if (!close)
			return -EBADMSG;
		hostlen = (size_t)(close - h->p) + 1;
		for (i = 1; i + 1 < hostlen; i++) {
			char ch = h->p[i];

			if (hex_value((uint8_t)ch) < 0 && ch != ':' && ch != '.' &&
			    !(ch == 'v' || ch == 'V'))
				return -EBADMSG;
		}
		if (hostlen < h->len && h->p[hostlen] != ':')
			return -EBADMSG;
	} else {
		for (i = 0; i < h->len; i++) {
			char ch = h->p[i];

			if (ch == ':') {
				if (colon)
					return -EBADMSG; /* an IPv6 address needs brackets */
				colon = h->p + i;
			} else if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
				     (ch >= '0' && ch <= '9') || (ch && strchr(host_chars, ch)))) {
				return -EBADMSG;
			}
		}
		hostlen = colon ? (size_t)(colon - h->p) : h->len;
	}
	if (hostlen < h->len && !all_digits(h->p + hostlen + 1, h->len - hostlen - 1))
		return -EBADMSG;
	h->len = hostlen;
	return 0;
}

/* scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ); returns its length, 0 if none. */
static size_t scheme_len(const struct lw_str *t)
{
	size_t i;

	for (i = 0; i < t->len; i++) {
		char ch = t->p[i];

		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z'))
			continue;
		if (i > 0 && ((ch >= '0' && ch <= '9') || ch == '+' || ch == '-' || ch == '.'))
			continue;
		break;
	}
	return i < t->len && t->p[i] == ':' ? i : 0;
}

/*
 * §3.2: origin-form ("/..."), absolute-form ("scheme:..."), authority-form (CONNECT only) or
 * asterisk-form ("*").  Sets *authority to the target's host, if it names one.
 */
static int check_target(const struct lw_http_request *r, struct lw_str *authority)
{
	const struct lw_str *t = &r->target;
	size_t n, i;

	*authority = (struct lw_str){NULL, 0};
	if (r->method.len == 7 && memcmp(r->method.p, "CONNECT", 7) == 0) {
		/* authority-form = uri-host ":" port (methods are case-sensitive, RFC 9110 §9.1) */
		if (memchr(t->p, '/', t->len) || memchr(t->p, '@', t->len) ||
		    memchr(t->p, '?', t->len) || memchr(t->p, '#', t->len))
			return -EBADMSG;
		*authority = *t;
		if (strip_port(authority) < 0 || authority->len == t->len || authority->len == 0)
			return -EBADMSG;
		return 0;
	}
	if (t->p[0] == '/' || (t->len == 1 && t->p[0] == '*'))
		return 0;
	n = scheme_len(t);
	if (!n)
		return -EBADMSG;
	if (t->len - n < 3 || memcmp(t->p + n, "://", 3) != 0)
		return 0; /* absolute-URI without an authority */
	/* authority = [ userinfo "@" ] host [ ":" port ], ended by "/", "?", "#" or the end */
	n += 3;
	for (i = n; i < t->len && t->p[i] != '/' && t->p[i] != '?' && t->p[i] != '#'; i++)
		if (t->p[i] == '@')
			n = i + 1;
	*authority = (struct lw_str){t->p + n, i - n};
	return strip_port(authority);
}

/* 1*DIGIT, or a list of identical such values (RFC 9110 §8.6); overflow-safe. */
static int parse_content_length(const struct lw_str *v, int64_t *out)
{
	int64_t first = -1;
	size_t i = 0;

	for (;;) {
		int64_t n = 0;
		size_t start = i;

		for (; i < v->len && v->p[i] >= '0' && v->p[i] <= '9'; i++) {
			int d = v->p[i] - '0';

			if (n > (INT64_MAX - d) / 10)
				return -EBADMSG;
			n = n * 10 + d;
		}
		if (i == start || (first >= 0 && n != first))
			return -EBADMSG;
		first = n;
		while (i < v->len && is_ows(v->p[i]))
			i++;
		if (i == v->len)
			break;
		if (v->p[i++] != ',')
			return -EBADMSG;
		while (i < v->len && is_ows(v->p[i]))
			i++;
	}
	*out = first;
	return 0;
}

/*
 * Transfer-Encoding = #transfer-coding; transfer-coding = token *( OWS ";" OWS parameter ).
 * Walks one field line's list, updating *last_chunked; chunked anywhere but last is -EBADMSG.
 */
static int parse_transfer_encoding(const struct lw_str *v, bool *last_chunked)
{
	size_t i = 0;

	while (i < v->len) {
		size_t start;

		while (i < v->len && (is_ows(v->p[i]) || v->p[i] == ','))
			i++; /* empty list elements are allowed and ignored (RFC 9110 §5.6.1) */
		if (i == v->len)
			break;
		start = i;
		while (i < v->len && is_tchar((uint8_t)v->p[i]))
			i++;
		if (i == start || *last_chunked)
			return -EBADMSG; /* not a token, or something after chunked */
		*last_chunked = str_case_eq(v->p + start, i - start, "chunked");
		while (i < v->len && is_ows(v->p[i]))
			i++;
		if (i < v->len && v->p[i] == ';') {
			/* parameters: skipped to the next element; no coding we act on has any */
			while (i < v->len && v->p[i] != ',')
				i++;
		} else if (i < v->len && v->p[i] != ',') {
			return -EBADMSG;
		}
	}
	return 0;
}

/*
 * A request line without its target: "GET  HTTP/1.1" (two spaces) or "GET HTTP/1.1".  No
 * server should accept it, but clients (and scanners) send it with a Host header, and that
 * Host is the flow's name; so the head is read with an empty target.  Returns 1 (the target is
 * missing, the cursor is at the version), 0 (a target follows), LW_NEED_MORE or -EBADMSG.
 */
static int missing_target(struct lw_cursor *c, struct lw_str *out)
{
	static const char lit[] = "HTTP/1.";
	size_t left = lw_cursor_left(c), i;

	if (left == 0)
		return LW_NEED_MORE;
	if (c->p[0] == ' ') {
		lw_cursor_skip(c, 1);
		*out = view(c->p, 0);
		return 1;
	}
	/* "HTTP/1.1" then the line end: a version where the target should be */
	for (i = 0; i < sizeof(lit) - 1; i++) {
		if (i == left)
			return LW_NEED_MORE;
		if (c->p[i] != (uint8_t)lit[i])
			return 0;
	}
	if (left < sizeof(lit) + 1)
		return LW_NEED_MORE;
	if ((c->p[i] != '0' && c->p[i] != '1') || (c->p[i + 1] != '\r' && c->p[i + 1] != '\n'))
		return 0;
	*out = view(c->p, 0);
	return 1;
}

/* What the head's field lines have said so far about framing and the host. */
struct head_state {
	struct lw_str authority; /* of the request-target, if it names one */
	bool te, last_chunked, have_host;
};

/*
 * Takes one field line into the derived fields.  Each field line is checked as soon as it is
 * complete, so an invalid one fails the head at once, like any other malformed byte.
 */
static int apply_field(struct lw_http_request *r, const struct lw_http_header *h,
		       struct head_state *st)
{
	const struct lw_str *n = &h->name;
	int ret = 0;

	if (str_case_eq(n->p, n->len, "host")) {
		if (st->have_host)
			return -EBADMSG;
		st->have_host = true;
		r->host = h->value;
		ret = strip_port(&r->host);
	} else if (str_case_eq(n->p, n->len, "content-length")) {
		int64_t cl;

		ret = parse_content_length(&h->value, &cl);
		if (ret)
			return ret;
		if (r->content_length >= 0 && r->content_length != cl)
			return -EBADMSG;
		r->content_length = cl;
	} else if (str_case_eq(n->p, n->len, "transfer-encoding")) {
		st->te = true;
		ret = parse_transfer_encoding(&h->value, &st->last_chunked);
	} else if (str_case_eq(n->p, n->len, "content-encoding")) {
		if (!r->content_encoding.p)
			r->content_encoding = h->value;
	} else if (str_case_eq(n->p, n->len, "content-type")) {
		if (!r->content_type.p)
			r->content_type = h->value;
	}
	if (ret)
		return ret;
	/* §6.1: Transfer-Encoding with Content-Length, or in HTTP/1.0, is faulty framing; we
	 * reject rather than guess which reading the server chose */
	if (st->te && (r->content_length >= 0 || r->version_minor == 0))
		return -EBADMSG;
	return 0;
}

/* The blank line was seen: checks what needs the whole head. */
static int finish_head(struct lw_http_request *r, const struct head_state *st)
{
	/* §6.3: a request whose final transfer coding is not chunked cannot be framed */
	if (st->te && !st->last_chunked)
		return -EBADMSG;
	r->chunked = st->te;
	if (!r->host.len)
		r->host = st->authority;
	return 0;
}

static int parse_head(struct lw_cursor *c, struct lw_http_request *r)
{
	struct head_state st = {{NULL, 0}, false, false, false};
	int ch, ret;

	/* §2.2: a server SHOULD ignore at least one empty line before the request-line. */
	while ((ch = peek(c)) == '\r' || ch == '\n') {
		ret = eat_eol(c);
		if (ret)
			return ret;
	}
	ret = parse_token(c, &r->method);
	if (!ret)
		ret = eat_byte(c, ' ');
	if (!ret)
		ret = missing_target(c, &r->target);
	if (ret == 0) {
		ret = parse_target(c, &r->target);
		if (!ret)
			ret = check_target(r, &st.authority);
		if (!ret)
			ret = eat_byte(c, ' ');
	} else if (ret == 1) {
		ret = 0;
	}
	if (!ret)
		ret = parse_version(c, &r->version_minor);
	if (!ret)
		ret = eat_eol(c);
	if (ret)
		return ret;

	for (;;) {
		struct lw_http_header *h;

		ch = peek(c);
		if (ch < 0)
			return LW_NEED_MORE;
		if (ch == '\r' || ch == '\n') {
			ret = eat_eol(c);
			return ret ? ret : finish_head(r, &st);
		}
		/* obs-fold, or whitespace before the first field line (§2.2): both rejected */
		if (is_ows(ch))
			return -EBADMSG;
		if (r->n_headers == LW_HTTP_MAX_HEADERS)
			return -EBADMSG;
		h = &r->headers[r->n_headers];
		ret = parse_token(c, &h->name);
		if (!ret)
			ret = eat_byte(c, ':');
		if (!ret)
			ret = parse_value(c, &h->value);
		if (!ret)
			ret = eat_eol(c);
		if (!ret)
			ret = apply_field(r, h, &st);
		if (ret)
			return ret;
		r->n_headers++;
	}
}

int lw_http_parse_request(const uint8_t *p, size_t len, struct lw_http_request *out)
{
	struct lw_cursor c;
	int ret;

	out->method = out->target = out->host = (struct lw_str){NULL, 0};
	out->content_encoding = out->content_type = (struct lw_str){NULL, 0};
	out->version_minor = 0;
	out->n_headers = 0;
	out->content_length = -1;
	out->chunked = false;

	if (!len)
		return LW_NEED_MORE; /* before lw_cursor_make, which would offset a NULL p */
	c = lw_cursor_make(p, LW_MIN(len, (size_t)LW_HTTP_MAX_HEAD));
	ret = parse_head(&c, out);
	if (ret == LW_NEED_MORE && len >= LW_HTTP_MAX_HEAD)
		return -EBADMSG; /* the head goes on past the limit */
	if (ret)
		return ret;
	return (int)(c.p - p);
}

bool lw_http_looks_like_request(const uint8_t *p, size_t len)
{
	/* RFC 9110 §9, RFC 5789 (PATCH), WebDAV (RFC 4918, 3253, 5323, 4791, 3744), UPnP/SSDP,
	 * the HTTP QUERY draft, and PURGE/LINK/UNLINK seen in the wild. */
	static const char *const methods[] = {
		"GET",	  "POST",	"PUT",	       "HEAD",	   "DELETE",	"OPTIONS",
		"PATCH",  "CONNECT",	"TRACE",       "PROPFIND", "PROPPATCH", "MKCOL",
		"COPY",	  "MOVE",	"LOCK",	       "UNLOCK",   "REPORT",	"SEARCH",
		"ACL",	  "MKCALENDAR", "MKACTIVITY",  "CHECKOUT", "MERGE",	"M-SEARCH",
		"NOTIFY", "SUBSCRIBE",	"UNSUBSCRIBE", "PURGE",	   "LINK",	"UNLINK",
		"QUERY",
	};
	enum { longest = 11 }; /* UNSUBSCRIBE */
	size_t i, n;

	/* one empty line may precede a request on a kept-alive connection (§2.2) */
	if (len >= 2 && p[0] == '\r' && p[1] == '\n') {
		p += 2;
		len -= 2;
	} else if (len >= 1 && p[0] == '\n') {
		p++;
		len--;
	}
	for (n = 0; n < len && n <= longest && ((p[n] >= 'A' && p[n] <= 'Z') || p[n] == '-'); n++)
		;
	if (n == 0 || n >= len || p[n] != ' ')
		return false;
	for (i = 0; i < LW_ARRAY_SIZE(methods); i++)
		if (strlen(methods[i]) == n && memcmp(methods[i], p, n) == 0)
			return true;
	return false;
}

const struct lw_http_header *lw_http_header_get(const struct lw_http_request *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->n_headers; i++)
		if (str_case_eq(r->headers[i].name.p, r->headers[i].name.len, name))
			return &r->headers[i];
	return NULL;
}

/*
 * The de-chunker (§7.1), one byte of state at a time so it may be fed any split:
 *
 *   chunk     = chunk-size [ chunk-ext ] CRLF chunk-data CRLF
 *   chunk-ext = *( BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ] )
 *   chunk-ext-val = token / quoted-string
 *   last-chunk = 1*("0") [ chunk-ext ] CRLF;  trailer-section = *( field-line CRLF );  CRLF
 *
 * The order of enum chunk_state matters: states before CH_SIZE_LF are inside a chunk line,
 * CH_TRAILER_FIRST..CH_END_LF inside the trailer section.  ext_len counts the bytes of the
 * current chunk line, or of the whole trailer section, against LW_HTTP_MAX_CHUNK_LINE and
 * LW_HTTP_MAX_HEAD.
 */
enum chunk_state {
	CH_SIZE_FIRST = 0, /* zero, so that a zeroed struct lw_http_chunked is ready */
	CH_SIZE,
	CH_SIZE_BWS,
	CH_EXT_NAME_FIRST,
	CH_EXT_NAME,
	CH_EXT_NAME_BWS,
	CH_EXT_VALUE_FIRST,
	CH_EXT_TOKEN,
	CH_EXT_QUOTED,
	CH_EXT_QUOTED_ESC,
	CH_EXT_AFTER_VALUE,
	CH_SIZE_LF,
	CH_DATA,
	CH_DATA_CR,
	CH_DATA_LF,
	CH_TRAILER_FIRST,
	CH_TRAILER_NAME,
	CH_TRAILER_VALUE,
	CH_TRAILER_LF,
	CH_END_LF,
	CH_DONE,
	CH_ERROR,
};

/* qdtext = HTAB / SP / %x21 / %x23-5B / %x5D-7E / obs-text (RFC 9110 §5.6.4) */
static bool is_qdtext(uint8_t ch)
{
	return ch == '\t' || ch == ' ' || ch == 0x21 || (ch >= 0x23 && ch <= 0x5b) ||
	       (ch >= 0x5d && ch <= 0x7e) || ch >= 0x80;
}

/* The chunk line ended: data follows, or the trailer section after the last chunk. */
static enum chunk_state chunk_line_end(struct lw_http_chunked *c)
{
	c->ext_len = 0;
	return c->remaining ? CH_DATA : CH_TRAILER_FIRST;
}

/* One byte of a chunk line or of the trailer section; returns the next state. */
static enum chunk_state chunk_step(struct lw_http_chunked *c, enum chunk_state s, uint8_t ch)
{
	int d;

	if (s < CH_SIZE_LF && ++c->ext_len > LW_HTTP_MAX_CHUNK_LINE)
		return CH_ERROR;
	if (s >= CH_TRAILER_FIRST && s <= CH_END_LF && ++c->ext_len > LW_HTTP_MAX_HEAD)
		return CH_ERROR;

	switch (s) {
	case CH_SIZE_FIRST:
		d = hex_value(ch);
		if (d < 0)
			return CH_ERROR;
		c->remaining = (uint64_t)d;
		return CH_SIZE;
	case CH_SIZE:
		d = hex_value(ch);
		if (d >= 0) {
			if (c->remaining > (LW_HTTP_MAX_CHUNK_SIZE - (uint64_t)d) / 16)
				return CH_ERROR; /* also keeps the shift from overflowing */
			c->remaining = c->remaining << 4 | (uint64_t)d;
			return CH_SIZE;
		}
		if (ch == ';')
			return CH_EXT_NAME_FIRST;
		if (is_ows(ch))
			return CH_SIZE_BWS;
		break;
	case CH_SIZE_BWS:
		/* BWS is allowed only before a chunk-ext; "5 \r\n" is malformed */
		if (is_ows(ch))
			return CH_SIZE_BWS;
		if (ch == ';')
			return CH_EXT_NAME_FIRST;
		return CH_ERROR;
	case CH_EXT_NAME_FIRST:
		if (is_ows(ch))
			return CH_EXT_NAME_FIRST;
		return is_tchar(ch) ? CH_EXT_NAME : CH_ERROR;
	case CH_EXT_NAME:
		if (is_tchar(ch))
			return CH_EXT_NAME;
		if (is_ows(ch))
			return CH_EXT_NAME_BWS;
		if (ch == '=')
			return CH_EXT_VALUE_FIRST;
		if (ch == ';')
			return CH_EXT_NAME_FIRST;
		break;
	case CH_EXT_NAME_BWS:
		if (is_ows(ch))
			return CH_EXT_NAME_BWS;
		if (ch == '=')
			return CH_EXT_VALUE_FIRST;
		if (ch == ';')
			return CH_EXT_NAME_FIRST;
		break;
	case CH_EXT_VALUE_FIRST:
		if (is_ows(ch))
			return CH_EXT_VALUE_FIRST;
		if (ch == '"')
			return CH_EXT_QUOTED;
		return is_tchar(ch) ? CH_EXT_TOKEN : CH_ERROR;
	case CH_EXT_TOKEN:
		if (is_tchar(ch))
			return CH_EXT_TOKEN;
		if (is_ows(ch))
			return CH_EXT_AFTER_VALUE;
		if (ch == ';')
			return CH_EXT_NAME_FIRST;
		break;
	case CH_EXT_QUOTED:
		if (ch == '"')
			return CH_EXT_AFTER_VALUE;
		if (ch == '\\')
			return CH_EXT_QUOTED_ESC;
		return is_qdtext(ch) ? CH_EXT_QUOTED : CH_ERROR;
	case CH_EXT_QUOTED_ESC:
		/* quoted-pair = "\" ( HTAB / SP / VCHAR / obs-text ) */
		return ch == '\t' || (ch >= 0x20 && ch != 0x7f) ? CH_EXT_QUOTED : CH_ERROR;
	case CH_EXT_AFTER_VALUE:
		if (is_ows(ch))
			return CH_EXT_AFTER_VALUE;
		if (ch == ';')
			return CH_EXT_NAME_FIRST;
		break;
	case CH_SIZE_LF:
		return ch == '\n' ? chunk_line_end(c) : CH_ERROR;
	case CH_DATA_CR:
		if (ch == '\r')
			return CH_DATA_LF;
		return ch == '\n' ? CH_SIZE_FIRST : CH_ERROR;
	case CH_DATA_LF:
		return ch == '\n' ? CH_SIZE_FIRST : CH_ERROR;
	case CH_TRAILER_FIRST:
		if (ch == '\r')
			return CH_END_LF;
		if (ch == '\n')
			return CH_DONE;
		return is_tchar(ch) ? CH_TRAILER_NAME : CH_ERROR;
	case CH_TRAILER_NAME:
		if (is_tchar(ch))
			return CH_TRAILER_NAME;
		return ch == ':' ? CH_TRAILER_VALUE : CH_ERROR;
	case CH_TRAILER_VALUE:
		if (ch == '\r')
			return CH_TRAILER_LF;
		if (ch == '\n')
			return CH_TRAILER_FIRST;
		return is_field_char(ch) ? CH_TRAILER_VALUE : CH_ERROR;
	case CH_TRAILER_LF:
		return ch == '\n' ? CH_TRAILER_FIRST : CH_ERROR;
	case CH_END_LF:
		return ch == '\n' ? CH_DONE : CH_ERROR;
	case CH_DATA:
	case CH_DONE:
	case CH_ERROR:
		return CH_ERROR; /* handled by the caller */
	}

	/* the end of a chunk line, from any state where the line may end */
	if (ch == '\r')
		return CH_SIZE_LF;
	if (ch == '\n')
		return chunk_line_end(c);
	return CH_ERROR;
}

int lw_http_chunked_feed(struct lw_http_chunked *c, const uint8_t *p, size_t len,
			 lw_http_emit_fn emit, void *user_data)
{
	enum chunk_state s = (enum chunk_state)c->state;
	size_t i = 0;

	if (s == CH_ERROR)
		return -EBADMSG;
	if (len > INT_MAX)
		len = INT_MAX; /* the return value counts what was consumed */
	while (i < len && s != CH_DONE) {
		if (s == CH_DATA) {
			size_t n = (size_t)LW_MIN(c->remaining, (uint64_t)(len - i));

			if (emit)
				emit(p + i, n, user_data);
			i += n;
			c->remaining -= n;
			if (!c->remaining)
				s = CH_DATA_CR;
			continue;
		}
		s = chunk_step(c, s, p[i++]);
		if (s == CH_ERROR) {
			c->state = CH_ERROR;
			return -EBADMSG;
		}
	}
	c->state = s;
	if (s == CH_DONE)
		c->done = true;
	return (int)i;
}
