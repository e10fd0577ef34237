# SPDX-License-Identifier: MIT
"""Golden cases: Protocols found by their first bytes, not their port: SOCKS 4/4a/5, STARTTLS (SMTP, IMAP, POP3, FTP, LDAP, XMPP), RDP, h2c, address-literal SNI.

Built with gen_captures' helpers, byte for byte the same on every run (see gen_captures.py).
"""

import struct

import gen_captures as g  # noqa: F401

PHONE = g.Host('00:00:5e:00:53:30', '192.0.2.30')
IMEI = g.NOKIA_IMEI     # Luhn-valid, TAC 35391810: a validated IMEI with no configuration
IMEI2 = g.NOKIA_IMEI2


def exchange(c, pairs):
    """Client and server take turns; each sends its bytes and the other acknowledges them."""
    for from_client, data in pairs:
        c.send(from_client, data)
        c.ack(not from_client)


def case_tunnel_socks5_http():
    """SOCKS5 to a proxy at 198.51.100.108:1080. 50300: no authentication, CONNECT with a
    domain name (www.example.com:80), then a plain HTTP GET whose query holds an IMEI.
    50301: username/password authentication (RFC 1929), CONNECT to telemetry.example.net:5555,
    then opaque bytes: only the SOCKS request names it."""
    t = g.Trace(g.T0 + 3000)
    proxy = g.server('198.51.100.108')
    c = g.TcpConn(t, PHONE, 50300, proxy, 1080, 300000, 301000)
    c.handshake()
    exchange(c, [
        (True, b'\x05\x01\x00'),
        (False, b'\x05\x00'),
        (True, b'\x05\x01\x00\x03\x0fwww.example.com\x00\x50'),
        (False, b'\x05\x00\x00\x01\xc6\x33\x64\x6c\x04\x38'),
        (True, g.http_get('/register?imei=%s&v=2' % IMEI, 'www.example.com')),
        (False, g.HTTP_NO_CONTENT),
    ])
    c.close()
    d = g.TcpConn(t, PHONE, 50301, proxy, 1080, 302000, 303000)
    d.handshake()
    exchange(d, [
        (True, b'\x05\x02\x00\x02'),
        (False, b'\x05\x02'),
        (True, b'\x01\x05alice\x06secret'),
        (False, b'\x01\x00'),
        (True, b'\x05\x01\x00\x03\x15telemetry.example.net\x15\xb3'),
        (False, b'\x05\x00\x00\x01\xc6\x33\x64\x6c\x04\x38'),
        (True, g.OPAQUE),
    ])
    return t.frames


def case_tunnel_socks4a_tls():
    """SOCKS4a to a proxy at 198.51.100.109:1080: CONNECT to 0.0.0.1 with user id "anon" and the
    name secure.example.org, port 443; after the proxy's grant (0x5a), a TLS ClientHello with
    the SNI secure.example.org."""
    t = g.Trace(g.T0 + 3100)
    c = g.TcpConn(t, PHONE, 50310, g.server('198.51.100.109'), 1080, 310000, 311000)
    c.handshake()
    exchange(c, [
        (True, b'\x04\x01\x01\xbb\x00\x00\x00\x01anon\x00secure.example.org\x00'),
        (False, b'\x00\x5a\x00\x00\x00\x00\x00\x00'),
        (True, g.tls_record(g.client_hello('secure.example.org', 'socks4a'))),
    ])
    return t.frames


def case_tunnel_smtp_starttls():
    """SMTP to 203.0.113.25:25: banner, EHLO, STARTTLS, the server's 220, then the ClientHello
    with the SNI mail.example.com. The MAIL FROM of a second, clear-text session (50321) holds
    an e-mail address, which the raw scan of the plaintext phase finds."""
    t = g.Trace(g.T0 + 3200)
    mx = g.server('203.0.113.25')
    c = g.TcpConn(t, PHONE, 50320, mx, 25, 320000, 321000)
    c.handshake()
    exchange(c, [
        (False, b'220 mail.example.com ESMTP ready\r\n'),
        (True, b'EHLO client.example.com\r\n'),
        (False, b'250-mail.example.com\r\n250-PIPELINING\r\n250 STARTTLS\r\n'),
        (True, b'STARTTLS\r\n'),
        (False, b'220 2.0.0 Ready to start TLS\r\n'),
        (True, g.tls_record(g.client_hello('mail.example.com', 'smtp'))),
    ])
    d = g.TcpConn(t, PHONE, 50321, mx, 25, 322000, 323000)
    d.handshake()
    exchange(d, [
        (False, b'220 mail.example.com ESMTP ready\r\n'),
        (True, b'EHLO client.example.com\r\n'),
        (False, b'250 mail.example.com\r\n'),
        (True, b'MAIL FROM:<jane.doe@example.org>\r\n'),
        (False, b'250 2.1.0 Ok\r\n'),
    ])
    return t.frames


def case_tunnel_imap_starttls():
    """IMAP to 203.0.113.143:143: greeting, "a001 CAPABILITY", "a002 STARTTLS", the tagged OK,
    then the ClientHello with the SNI imap.example.com."""
    t = g.Trace(g.T0 + 3300)
    c = g.TcpConn(t, PHONE, 50330, g.server('203.0.113.143'), 143, 330000, 331000)
    c.handshake()
    exchange(c, [
        (False, b'* OK [CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED] ready\r\n'),
        (True, b'a001 CAPABILITY\r\n'),
        (False, b'* CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED\r\na001 OK done\r\n'),
        (True, b'a002 STARTTLS\r\n'),
        (False, b'a002 OK Begin TLS negotiation now\r\n'),
        (True, g.tls_record(g.client_hello('imap.example.com', 'imap'))),
    ])
    return t.frames


# HPACK (RFC 7541) written by hand for the captures: literal representations without Huffman
# coding (§6.1, §6.2) and static-table indices (Appendix A). python3-hpack is not a dependency,
# and these few forms are all the cases need; the daemon decodes with nghttp2.
def hpack_int(value, prefix_bits, first):
    limit = (1 << prefix_bits) - 1
    if value < limit:
        return bytes([first | value])
    out, value = [first | limit], value - limit
    while value >= 128:
        out.append(value % 128 + 128)
        value //= 128
    return bytes(out + [value])


def hpack_str(s):
    b = s.encode() if isinstance(s, str) else s
    return hpack_int(len(b), 7, 0) + b


def hpack_indexed(index):                       # §6.1
    return hpack_int(index, 7, 0x80)


def hpack_literal(name_index, value, incremental=False):
    """§6.2.1 (incremental indexing, 6-bit prefix) or §6.2.2 (without indexing, 4-bit)."""
    if incremental:
        return hpack_int(name_index, 6, 0x40) + hpack_str(value)
    return hpack_int(name_index, 4, 0x00) + hpack_str(value)


def hpack_literal_new(name, value, incremental=False):
    return (b'\x40' if incremental else b'\x00') + hpack_str(name) + hpack_str(value)


# static table indices used below
H_AUTHORITY, H_METHOD_GET, H_METHOD_POST, H_PATH, H_SCHEME_HTTP = 1, 2, 3, 4, 6
H_CONTENT_TYPE, H_USER_AGENT = 31, 58

H2_PREFACE = b'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'


def h2_frame(ftype, flags, stream, payload):
    return struct.pack('>I', len(payload))[1:] + struct.pack('>BBI', ftype, flags, stream) + payload


def h2_settings():
    return h2_frame(4, 0, 0, struct.pack('>HI', 3, 100) + struct.pack('>HI', 4, 65535))


def case_tunnel_h2c_prior():
    """HTTP/2 with prior knowledge to 198.51.100.111:8080 (no Upgrade): the preface and SETTINGS,
    then on stream 1 a GET with :authority api.example.com:8080 and the header x-imei holding
    an IMEI, sent as a literal with incremental indexing (it enters HPACK's dynamic table as
    entry 62); on stream 3 a POST whose x-imei is only that index, and whose DATA frame is
    JSON with an e-mail address. The client then acknowledges the server's SETTINGS."""
    t = g.Trace(g.T0 + 3400)
    c = g.TcpConn(t, PHONE, 50340, g.server('198.51.100.111'), 8080, 340000, 341000)
    c.handshake()
    get = (hpack_indexed(H_METHOD_GET) + hpack_indexed(H_SCHEME_HTTP) +
           hpack_literal(H_PATH, '/v1/config') +
           hpack_literal(H_AUTHORITY, 'api.example.com:8080', incremental=True) +
           hpack_literal(H_USER_AGENT, 'golden-h2/1.0') +
           hpack_literal_new('x-imei', IMEI, incremental=True))
    body = b'{"email":"jane.doe@example.org","v":1}'
    post = (hpack_indexed(H_METHOD_POST) + hpack_indexed(H_SCHEME_HTTP) +
            hpack_literal(H_PATH, '/v1/report') +
            hpack_indexed(63) +                      # :authority, entered before x-imei
            hpack_indexed(62) +                      # x-imei: the same IMEI
            hpack_literal(H_CONTENT_TYPE, 'application/json'))
    exchange(c, [
        (True, H2_PREFACE + h2_settings() + h2_frame(1, 0x4 | 0x1, 1, get)),
        (False, h2_frame(4, 0, 0, b'')),
        (True, h2_frame(4, 0x1, 0, b'') + h2_frame(1, 0x4, 3, post) +
         h2_frame(0, 0x1, 3, body)),
    ])
    return t.frames


def case_tunnel_h2c_upgrade():
    """HTTP/1.1 to 198.51.100.112:80 with "Upgrade: h2c" (RFC 7540 §3.2): the request names the
    flow (Host up.example.com); after the server's 101 the client sends the preface, SETTINGS
    and, on stream 3, a GET whose :path query holds an IMEI."""
    t = g.Trace(g.T0 + 3500)
    c = g.TcpConn(t, PHONE, 50350, g.server('198.51.100.112'), 80, 350000, 351000)
    c.handshake()
    upgrade = g.http_get('/', 'up.example.com', [('Connection', 'Upgrade, HTTP2-Settings'),
                                                 ('Upgrade', 'h2c'),
                                                 ('HTTP2-Settings', 'AAMAAABkAAQAAP__')])
    get = (hpack_indexed(H_METHOD_GET) + hpack_indexed(H_SCHEME_HTTP) +
           hpack_literal(H_PATH, '/devices?imei=%s' % IMEI2) +
           hpack_literal(H_AUTHORITY, 'up.example.com'))
    exchange(c, [
        (True, upgrade),
        (False, b'HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n'),
        (True, H2_PREFACE + h2_settings() + h2_frame(1, 0x4 | 0x1, 3, get)),
    ])
    return t.frames


def case_tunnel_http_no_uri():
    """HTTP requests whose request line has no target: 50360 "GET  HTTP/1.1" (two spaces) to
    198.51.100.113:80 with Host nouri.example.com and an X-Imei header; 50361 "GET HTTP/1.1"
    to 198.51.100.114:80 with Host nouri2.example.com."""
    t = g.Trace(g.T0 + 3600)
    c = g.TcpConn(t, PHONE, 50360, g.server('198.51.100.113'), 80, 360000, 361000)
    c.handshake()
    exchange(c, [
        (True, ('GET  HTTP/1.1\r\nHost: nouri.example.com\r\nX-Imei: %s\r\n\r\n' % IMEI).encode()),
        (False, b'HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n'),
    ])
    d = g.TcpConn(t, PHONE, 50361, g.server('198.51.100.114'), 80, 362000, 363000)
    d.handshake()
    exchange(d, [
        (True, b'GET HTTP/1.1\r\nHost: nouri2.example.com\r\n\r\n'),
        (False, b'HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n'),
    ])
    return t.frames


LDAP_STARTTLS_OID = b'1.3.6.1.4.1.1466.20037'


def case_tunnel_starttls_more():
    """The other upgrades to TLS, one flow each, every one then a ClientHello whose SNI names
    the flow: POP3 (CAPA, STLS) to 203.0.113.110:110; FTP (AUTH TLS) to 203.0.113.21:21; XMPP
    (stream header, <starttls/>, <proceed/>) to 203.0.113.222:5222; LDAP (the StartTLS extended
    request, RFC 4511 4.14, BER-encoded; success) to 203.0.113.89:389; RDP (X.224 Connection
    Request with RDP_NEG_REQ asking for TLS, the server's Connection Confirm) to
    203.0.113.189:3389."""
    ext_req = b'\x80' + bytes([len(LDAP_STARTTLS_OID)]) + LDAP_STARTTLS_OID
    ldap_req = b'\x02\x01\x01' + b'\x77' + bytes([len(ext_req)]) + ext_req
    ldap_req = b'\x30' + bytes([len(ldap_req)]) + ldap_req
    ldap_resp = b'\x30\x0c\x02\x01\x01\x78\x07\x0a\x01\x00\x04\x00\x04\x00'
    # TPKT (version 3, length 19), X.224 CR (LI 14, code 0xe0), RDP_NEG_REQ (type 1, flags 0,
    # length 8, PROTOCOL_SSL 1); the CC (0xd0) with RDP_NEG_RSP (type 2) choosing it
    rdp_cr = b'\x03\x00\x00\x13\x0e\xe0\x00\x00\x00\x00\x00' + b'\x01\x00\x08\x00\x01\x00\x00\x00'
    rdp_cc = b'\x03\x00\x00\x13\x0e\xd0\x00\x00\x12\x34\x00' + b'\x02\x00\x08\x00\x01\x00\x00\x00'
    flows = [
        ('203.0.113.110', 110, 'pop.example.com', [
            (False, b'+OK POP3 ready\r\n'),
            (True, b'CAPA\r\n'),
            (False, b'+OK\r\nSTLS\r\nUSER\r\n.\r\n'),
            (True, b'STLS\r\n'),
            (False, b'+OK Begin TLS negotiation\r\n'),
        ]),
        ('203.0.113.21', 21, 'ftp.example.com', [
            (False, b'220 FTP ready\r\n'),
            (True, b'AUTH TLS\r\n'),
            (False, b'234 AUTH TLS OK.\r\n'),
        ]),
        ('203.0.113.222', 5222, 'xmpp.example.com', [
            (True, b"<?xml version='1.0'?><stream:stream to='example.com' xmlns='jabber:client'"
                   b" xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>"),
            (False, b"<?xml version='1.0'?><stream:stream from='example.com' id='x1'"
                    b" xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'"
                    b" version='1.0'><stream:features><starttls"
                    b" xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls>"
                    b"</stream:features>"),
            (True, b"<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"),
            (False, b"<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"),
        ]),
        ('203.0.113.89', 389, 'ldap.example.com', [
            (True, ldap_req),
            (False, ldap_resp),
        ]),
        ('203.0.113.189', 3389, 'rdp.example.com', [
            (True, rdp_cr),
            (False, rdp_cc),
        ]),
    ]
    t = g.Trace(g.T0 + 3400)
    for n, (addr, port, sni, pairs) in enumerate(flows):
        c = g.TcpConn(t, PHONE, 50340 + n, g.server(addr), port, 340000 + n * 1000,
                      350000 + n * 1000)
        c.handshake()
        exchange(c, pairs + [(True, g.tls_record(g.client_hello(sni, 'starttls%d' % n)))])
    return t.frames


CASES = {
    'tunnel_socks5_http': (case_tunnel_socks5_http, 'pcap'),
    'tunnel_socks4a_tls': (case_tunnel_socks4a_tls, 'pcap'),
    'tunnel_smtp_starttls': (case_tunnel_smtp_starttls, 'pcap'),
    'tunnel_imap_starttls': (case_tunnel_imap_starttls, 'pcap'),
    'tunnel_h2c_prior': (case_tunnel_h2c_prior, 'pcap'),
    'tunnel_h2c_upgrade': (case_tunnel_h2c_upgrade, 'pcap'),
    'tunnel_http_no_uri': (case_tunnel_http_no_uri, 'pcap'),
    'tunnel_starttls_more': (case_tunnel_starttls_more, 'pcap'),
}
