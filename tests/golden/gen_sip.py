# SPDX-License-Identifier: MIT
"""Golden cases: VoLTE/IMS signalling: SIP over UDP and TCP and inside GTP-U, with IMEI, IMSI and tel identities.

Built with gen_captures' helpers, byte for byte the same on every run (see gen_captures.py).

The IMS home domain ims.mnc015.mcc234.3gppnetwork.org is the one 3GPP TS 23.003 13.2 derives
from the made-up IMSIs' MCC 234 and MNC 15: the only names here not under example.*, because
their form is what the detection checks.
"""

import struct

import gen_captures as g  # noqa: F401

IMS = 'ims.mnc015.mcc234.3gppnetwork.org'
VOLTE_MAC = '00:00:5e:00:53:30'
TCP_MAC = '00:00:5e:00:53:31'
IMSI_1 = '234157306418293'   # MCC 234, MNC 15; fails Luhn (so it is no IMEI-shaped number)
IMSI_2 = '234157306418294'
IMSI_WRONG = '310157306418291'  # MCC 310 under an mcc234 domain: not an IMSI-derived identity
MSISDN = '+447700900456'     # Ofcom's drama range
CALLEE = '+447700900789'


def sip(start, headers, body=b''):
    """A SIP message: start line, (name, value) headers, then Content-Length and the body."""
    text = start + '\r\n' + ''.join('%s: %s\r\n' % (n, v) for n, v in headers)
    return text.encode() + b'Content-Length: %d\r\n\r\n' % len(body) + body


def gtpu(teid, inner):
    """GTP-U v1 T-PDU (TS 29.281 5.1): flags 0x30 (version 1, PT 1), type 255, length, TEID."""
    return struct.pack('>BBHI', 0x30, 0xff, len(inner), teid) + inner


def gtpu_udp(t, enb, sgw, teid, inner_src, inner_dst, sport, dport, payload):
    """One SIP datagram inside GTP-U: outer IPv4 UDP 2152 from the frame's sender enb to sgw,
    inner IPv6 UDP sport -> dport."""
    inner = g.ipv6(inner_src, inner_dst, g.IP_UDP,
                   g.udp(inner_src, inner_dst, sport, dport, payload))
    outer = g.udp(enb.ip, sgw.ip, 2152, 2152, gtpu(teid, inner))
    t.add(g.eth(sgw.mac, enb.mac, g.ETH_IPV4, g.ipv4(enb.ip, sgw.ip, g.IP_UDP, outer,
                                                     t.next_ident())))


def case_sip_volte_gtpu():
    """A phone's VoLTE signalling inside GTP-U (outer IPv4 192.0.2.60 -> 198.51.100.70, UDP
    2152; inner IPv6 2001:db8:1::60 -> P-CSCF 2001:db8:80::70, UDP 5060 both ways):
    (1) the initial REGISTER (TS 24.229 5.1.1.2) to sip:ims.mnc015.mcc234.3gppnetwork.org with
    the IMSI-derived temporary public identity in From/To, the private identity in the
    Authorization username, and +sip.instance="<urn:gsma:imei:35209900-176148-0;svn=03>" in the
    Contact (RFC 7254 with the spare digit 0); (2) the P-CSCF's 401 (downstream); (3) an INVITE
    written with compact headers (v:, f:, t:, i:, m:, l:) to sip:+447700900789@...;user=phone,
    with P-Preferred-Identity <tel:+447700900456> and an SDP body."""
    t = g.Trace(g.T0 + 4000)
    enb = g.Host(VOLTE_MAC, '192.0.2.60')
    sgw = g.Host(g.ROUTER_MAC, '198.51.100.70')
    ue, pcscf = '2001:db8:1::60', '2001:db8:80::70'
    reg = sip('REGISTER sip:%s SIP/2.0' % IMS, [
        ('Via', 'SIP/2.0/UDP [%s]:5060;branch=z9hG4bK-reg-1' % ue),
        ('Max-Forwards', '70'),
        ('From', '<sip:%s@%s>;tag=reg1' % (IMSI_1, IMS)),
        ('To', '<sip:%s@%s>' % (IMSI_1, IMS)),
        ('Call-ID', 'reg-1-a84b4c76'),
        ('CSeq', '1 REGISTER'),
        ('Contact', '<sip:[%s]:5060>;expires=600000;+g.3gpp.icsi-ref='
                    '"urn%%3Aurn-7%%3A3gpp-service.ims.icsi.mmtel";'
                    '+sip.instance="<urn:gsma:imei:35209900-176148-0;svn=03>"' % ue),
        ('Authorization', 'Digest username="%s@%s",realm="%s",uri="sip:%s",nonce="",'
                          'response=""' % (IMSI_1, IMS, IMS, IMS)),
        ('Supported', 'path,gruu,sec-agree'),
        ('User-Agent', 'Example-IMS-Client/1.0'),
        ('Expires', '600000'),
    ])
    gtpu_udp(t, enb, sgw, 0x0a000001, ue, pcscf, 5060, 5060, reg)
    unauth = sip('SIP/2.0 401 Unauthorized', [
        ('Via', 'SIP/2.0/UDP [%s]:5060;branch=z9hG4bK-reg-1' % ue),
        ('From', '<sip:%s@%s>;tag=reg1' % (IMSI_1, IMS)),
        ('To', '<sip:%s@%s>;tag=p1' % (IMSI_1, IMS)),
        ('Call-ID', 'reg-1-a84b4c76'),
        ('CSeq', '1 REGISTER'),
        ('WWW-Authenticate', 'Digest realm="%s",nonce="bm9uY2U=",algorithm=AKAv1-MD5' % IMS),
    ])
    inner = g.ipv6(pcscf, ue, g.IP_UDP, g.udp(pcscf, ue, 5060, 5060, unauth))
    outer = g.udp(sgw.ip, enb.ip, 2152, 2152, gtpu(0x0b000001, inner))
    t.add(g.eth(enb.mac, sgw.mac, g.ETH_IPV4,
                g.ipv4(sgw.ip, enb.ip, g.IP_UDP, outer, t.next_ident())))
    sdp = ('v=0\r\no=- 1 1 IN IP6 %s\r\ns=-\r\nc=IN IP6 %s\r\nt=0 0\r\n'
           'm=audio 40000 RTP/AVP 116\r\na=rtpmap:116 AMR-WB/16000\r\n' % (ue, ue)).encode()
    inv = ('INVITE sip:%s@%s;user=phone SIP/2.0\r\n'
           'v: SIP/2.0/UDP [%s]:5060;branch=z9hG4bK-inv-1\r\n'
           'f: <tel:%s>;tag=inv1\r\n'
           't: <sip:%s@%s;user=phone>\r\n'
           'i: inv-1-77e1c0de\r\n'
           'CSeq: 1 INVITE\r\n'
           'm: <sip:[%s]:5060>\r\n'
           'P-Preferred-Identity: <tel:%s>\r\n'
           'c: application/sdp\r\n'
           'l: %d\r\n\r\n' % (CALLEE, IMS, ue, MSISDN, CALLEE, IMS, ue, MSISDN,
                               len(sdp))).encode() + sdp
    gtpu_udp(t, enb, sgw, 0x0a000001, ue, pcscf, 5060, 5060, inv)
    return t.frames


def case_sip_tcp():
    """SIP over TCP (IPv4 192.0.2.61:50600 -> 203.0.113.70:5060, no tunnel): a REGISTER cut
    between two segments inside its Contact's IMEI URN (RFC 7254 form with its check digit),
    then in the second segment a CRLF keep-alive (RFC 5626) and the start of a MESSAGE whose
    text body holds two look-alikes: an IMEI URN with a wrong check digit and a 15-digit user
    part at the mcc234 IMS domain whose own MCC is 310; the MESSAGE ends in a third segment."""
    t = g.Trace(g.T0 + 4100)
    phone = g.Host(TCP_MAC, '192.0.2.61')
    reg = sip('REGISTER sip:%s SIP/2.0' % IMS, [
        ('Via', 'SIP/2.0/TCP 192.0.2.61:50600;branch=z9hG4bK-tcp-1'),
        ('From', '<sip:%s@%s>;tag=t1' % (IMSI_2, IMS)),
        ('To', '<sip:%s@%s>' % (IMSI_2, IMS)),
        ('Call-ID', 'tcp-reg-1'),
        ('CSeq', '1 REGISTER'),
        ('Contact', '<sip:192.0.2.61:50600;transport=tcp>;'
                    '+sip.instance="<urn:gsma:imei:35209900-176149-9>"'),
        ('Expires', '3600'),
    ])
    body = ('look-alikes: urn:gsma:imei:35209900-176149-4 and sip:%s@%s\r\n'
            % (IMSI_WRONG, IMS)).encode()
    msg = sip('MESSAGE sip:%s@%s;user=phone SIP/2.0' % (CALLEE, IMS), [
        ('Via', 'SIP/2.0/TCP 192.0.2.61:50600;branch=z9hG4bK-tcp-2'),
        ('From', '<sip:%s@%s>;tag=t2' % (IMSI_2, IMS)),
        ('To', '<sip:%s@%s;user=phone>' % (CALLEE, IMS)),
        ('Call-ID', 'tcp-msg-1'),
        ('CSeq', '2 MESSAGE'),
        ('Content-Type', 'text/plain'),
    ], body)
    cut = reg.index(b'176149')
    c = g.TcpConn(t, phone, 50600, g.server('203.0.113.70'), 5060, 410000, 417000)
    c.handshake()
    c.send(True, reg[:cut])
    c.ack(False)
    c.send(True, reg[cut:] + b'\r\n\r\n' + msg[:40])
    c.ack(False)
    c.send(True, msg[40:])
    c.ack(False)
    c.close()
    return t.frames


CASES = {
    'sip_volte_gtpu': (case_sip_volte_gtpu, 'pcap'),
    'sip_tcp': (case_sip_tcp, 'pcap'),
}
