/* SPDX-License-Identifier: MIT */
/*
 * The plaintext start of protocols that upgrade to TLS in the same connection.  The client
 * sends an upgrade command and waits for the server's go-ahead, so the command ends its chunk
 * of the stream and the TLS ClientHello starts the next one:
 *
 *   SMTP  RFC 3207 §4     "STARTTLS" CRLF               (NNTP RFC 4642 is the same line)
 *   IMAP  RFC 9051 §6.2.1 tag SP "STARTTLS" CRLF
 *   POP3  RFC 2595 §4     "STLS" CRLF
 *   FTP   RFC 4217 §4     "AUTH TLS" CRLF ("AUTH SSL", "AUTH TLS-C", "AUTH TLS-P" seen too)
 *   LDAP  RFC 4511 §4.14  ExtendedRequest { requestName [0] "1.3.6.1.4.1.1466.20037" }
 *   XMPP  RFC 6120 §5.4   <starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>
 *
 * RDP (MS-RDPBCGR §2.2.1.1) opens with an X.224 Connection Request inside a TPKT:
 *
 *   TPKT (RFC 1006 §6)          X.224 CR TPDU (X.224 §13.3)
 *   +-----+-----+-----------+   +----+------+---------+---------+-------+------------------+
 *   | 3   | 0   | length u16|   | LI | 0xE0 | dst-ref | src-ref | class | cookie, neg. req |
 *   +-----+-----+-----------+   +----+------+---------+---------+-------+------------------+
 *
 * and, when the server confirms PROTOCOL_SSL or HYBRID, continues with a ClientHello.
 */
#include <errno.h>
#include <string.h>
#include <strings.h>

#include "proto/starttls.h"

#define TPKT_HEADER 4
#define X224_CR 0xe0
#define X224_CR_FIXED 7 /* LI, code, dst-ref, src-ref, class */
#define TLS_MIN_HELLO 38 /* version, random, the three length bytes of the empty vectors */
#define TLS_MAX_HELLO 65536

/* The last line of a chunk, without its line end; false if the chunk does not end a line. */
static bool last_line(const uint8_t *p, size_t len, const uint8_t **line, size_t *n)
{
	size_t end = len, start;

	if (end == 0 || p[end - 1] != '\n')
		return false;
	end--;
	if (end > 0 && p[end - 1] == '\r')
		end--;
	for (start = end; start > 0 && p[start - 1] != '\n'; start--)
		;
	*line = p + start;
	*n = end - start;
	return true;
}

static bool word_is(const uint8_t *p, size_t n, const char *w)
{
	return n == strlen(w) && strncasecmp((const char *)p, w, n) == 0;
}

/* An IMAP tag (RFC 9051 §9: 1*<any ASTRING-CHAR except "+">): printable, no specials. */
static bool imap_tag(const uint8_t *p, size_t n)
{
	size_t i;

	if (n == 0)
		return false;
	for (i = 0; i < n; i++)
		if (p[i] <= 0x20 || p[i] >= 0x7f || p[i] == '+' || p[i] == '(' || p[i] == ')' ||
		    p[i] == '{' || p[i] == '%' || p[i] == '*' || p[i] == '"' || p[i] == '\\')
			return false;
	return true;
}

enum lw_starttls lw_starttls_command(const uint8_t *p, size_t len)
{
	static const char ldap_oid[] = "\x80\x16"
				       "1.3.6.1.4.1.1466.20037";
	static const char xmpp_ns[] = "urn:ietf:params:xml:ns:xmpp-tls";
	const uint8_t *line, *sp;
	size_t n;

	if (!p || len == 0)
		return LW_STARTTLS_NONE;
	if (last_line(p, len, &line, &n)) {
		if (word_is(line, n, "STARTTLS"))
			return LW_STARTTLS_SMTP;
		if (word_is(line, n, "STLS"))
			return LW_STARTTLS_POP3;
		if (word_is(line, n, "AUTH TLS") || word_is(line, n, "AUTH SSL") ||
		    word_is(line, n, "AUTH TLS-C") || word_is(line, n, "AUTH TLS-P"))
			return LW_STARTTLS_FTP;
		sp = memchr(line, ' ', n);
		if (sp && imap_tag(line, (size_t)(sp - line)) &&
		    word_is(sp + 1, n - (size_t)(sp + 1 - line), "STARTTLS"))
			return LW_STARTTLS_IMAP;
	}
	/* LDAP: the OID as the ExtendedRequest's requestName, the last thing in the message */
	if (len >= sizeof(ldap_oid) - 1 && p[0] == 0x30 &&
	    memcmp(p + len - (sizeof(ldap_oid) - 1), ldap_oid, sizeof(ldap_oid) - 1) == 0)
		return LW_STARTTLS_LDAP;
	/* XMPP: the element, empty (<starttls .../>) or closed, ends the chunk */
	if (memmem(p, len, "<starttls", 9) && memmem(p, len, xmpp_ns, sizeof(xmpp_ns) - 1)) {
		n = len;
		while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\r' || p[n - 1] == '\n' ||
				 p[n - 1] == '\t'))
			n--;
		if (n > 0 && p[n - 1] == '>')
			return LW_STARTTLS_XMPP;
	}
	return LW_STARTTLS_NONE;
}

int lw_starttls_rdp_request(const uint8_t *p, size_t len)
{
	size_t tpkt_len;

	/* each byte is judged as soon as it is there: a stream that is not RDP is not waited on */
	if ((len >= 1 && p[0] != 3) || (len >= 2 && p[1] != 0))
		return -EBADMSG;
	if (len < TPKT_HEADER)
		return LW_NEED_MORE;
	tpkt_len = (size_t)p[2] << 8 | p[3];
	/* LI counts the TPDU's bytes after itself; a CR carries nothing else */
	if (tpkt_len < TPKT_HEADER + X224_CR_FIXED || tpkt_len > LW_STARTTLS_RDP_MAX ||
	    (len >= 5 && p[4] != tpkt_len - TPKT_HEADER - 1) || (len >= 6 && p[5] != X224_CR))
		return -EBADMSG;
	if (len < tpkt_len)
		return LW_NEED_MORE;
	return (int)tpkt_len;
}

bool lw_starttls_hello_start(const uint8_t *p, size_t len)
{
	size_t rec_len, hs_len;

	if (len < 9 || p[0] != 22 || p[1] != 3 || p[2] > 4 || p[5] != 1)
		return false;
	rec_len = (size_t)p[3] << 8 | p[4];
	hs_len = (size_t)p[6] << 16 | (size_t)p[7] << 8 | p[8];
	return rec_len >= 4 && rec_len <= 16384 + 2048 && hs_len >= TLS_MIN_HELLO &&
	       hs_len <= TLS_MAX_HELLO;
}
