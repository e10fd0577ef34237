# SPDX-License-Identifier: MIT
"""Golden cases: Local discovery names (mDNS, LLMNR, NetBIOS name service) and DNS UPDATE.

Built with gen_captures' helpers, byte for byte the same on every run (see gen_captures.py).
mDNS, LLMNR and DNS UPDATE messages are written with struct (the DNS wire format of RFC 1035
with the record types these need); NBNS names with RFC 1001 §14.1's first-level encoding.
"""

import struct

import gen_captures as g

T_NAMES = g.T0 + 9000

SARAH = g.Host('00:00:5e:00:53:30', '192.0.2.30')        # an iPhone
SARAH6 = g.Host('00:00:5e:00:53:30', '2001:db8:1::30')
ANDROID = g.Host('00:00:5e:00:53:31', '192.0.2.31')      # an old Android phone
LAPTOP = g.Host('00:00:5e:00:53:32', '192.0.2.32')       # Windows
NAS = g.Host('00:00:5e:00:53:33', '192.0.2.33')
MDNS4 = g.Host('01:00:5e:00:00:fb', '224.0.0.251')
MDNS6 = g.Host('33:33:00:00:00:fb', 'ff02::fb')
LLMNR4 = g.Host('01:00:5e:00:00:fc', '224.0.0.252')
BCAST = g.Host(g.BROADCAST_MAC, '192.0.2.255')

ANDROID_ID = '3f2a9c41d07be865'   # made up: 16 hex digits, not trivial

T_A, T_PTR, T_AAAA, T_SRV, T_SOA, T_ANY = 1, 12, 28, 33, 6, 255


def name(n):
    """A name as labels, no compression."""
    out = b''
    for lab in n.rstrip('.').split('.'):
        out += bytes([len(lab)]) + lab.encode()
    return out + b'\0'


def question(n, qtype, qclass=1):
    return name(n) + struct.pack('>HH', qtype, qclass)


def rr(owner, rtype, rdata, rclass=1, ttl=120):
    return name(owner) + struct.pack('>HHIH', rtype, rclass, ttl, len(rdata)) + rdata


def message(flags, qd=(), an=(), ns=(), ar=(), ident=0):
    return (struct.pack('>HHHHHH', ident, flags, len(qd), len(an), len(ns), len(ar)) +
            b''.join(qd) + b''.join(an) + b''.join(ns) + b''.join(ar))


def nb_name(n, suffix):
    """RFC 1001 §14.1: 15 bytes space-padded + suffix, each half-byte as 'A' + value."""
    raw = n.encode().ljust(15, b' ') + bytes([suffix])
    return bytes([32]) + bytes(c for b in raw for c in (0x41 + (b >> 4), 0x41 + (b & 15))) + b'\0'


def nb_rdata(ip, group=False):
    return struct.pack('>H', 0x8000 if group else 0) + g.ip_bytes(ip)


def nbns_registration(ident, n, suffix, ip, group=False):
    """Opcode 5, RD + B, the name in the question and an additional record pointing at it."""
    return (struct.pack('>HHHHHH', ident, 5 << 11 | 0x0110, 1, 0, 0, 1) + nb_name(n, suffix) +
            struct.pack('>HH', 0x20, 1) +
            struct.pack('>HHHIH', 0xc00c, 0x20, 1, 300000, 6) + nb_rdata(ip, group))


def nbns_query(ident, n, suffix):
    return (struct.pack('>HHHHHH', ident, 0x0110, 1, 0, 0, 0) + nb_name(n, suffix) +
            struct.pack('>HH', 0x20, 1))


def nbns_positive(ident, n, suffix, ip):
    """A positive name query response: R, AA, RD; no question, the name in the answer."""
    return (struct.pack('>HHHHHH', ident, 0x8500, 0, 1, 0, 0) + nb_name(n, suffix) +
            struct.pack('>HHIH', 0x20, 1, 300000, 6) + nb_rdata(ip))


def case_names_mdns():
    """mDNS from two phones.  Sarah's iPhone (192.0.2.30) probes for Sarahs-iPhone.local (its
    A record in the authority section), announces it twice (A, AAAA, the reverse PTR, and a
    service whose SRV target is the same host), asks for _airplay._tcp.local with a known
    answer about tv.local (someone else's name), and asks over IPv6 (ff02::fb) for
    printer.local.  An old Android phone (192.0.2.31) announces android-<Android ID>.local."""
    t = g.Trace(T_NAMES)
    host = 'Sarahs-iPhone.local'
    a = rr(host, T_A, g.ip_bytes(SARAH.ip), rclass=0x8001)
    probe = message(0, qd=[question(host, T_ANY, 0x8001)], ns=[rr(host, T_A, g.ip_bytes(SARAH.ip))])
    announce = message(0x8400, an=[
        a,
        rr(host, T_AAAA, g.ip_bytes(SARAH6.ip), rclass=0x8001),
        rr('30.2.0.192.in-addr.arpa', T_PTR, name(host), rclass=0x8001),
        rr('_companion-link._tcp.local', T_PTR, name("Sarah's iPhone._companion-link._tcp.local")),
        rr("Sarah's iPhone._companion-link._tcp.local", T_SRV,
           struct.pack('>HHH', 0, 0, 49152) + name(host), rclass=0x8001),
    ])
    ask = message(0, qd=[question('_airplay._tcp.local', T_PTR)],
                  an=[rr('tv.local', T_A, g.ip_bytes('192.0.2.40'))])
    t.udp(SARAH, 5353, MDNS4, 5353, probe)
    t.udp(SARAH, 5353, MDNS4, 5353, announce, gap_us=250000)
    t.udp(SARAH, 5353, MDNS4, 5353, announce, gap_us=1000000)
    t.udp(SARAH, 5353, MDNS4, 5353, ask, gap_us=1000000)
    t.udp(SARAH6, 5353, MDNS6, 5353, message(0, qd=[question('printer.local', T_A)]))
    droid = 'android-%s.local' % ANDROID_ID
    t.udp(ANDROID, 5353, MDNS4, 5353,
          message(0x8400, an=[rr(droid, T_A, g.ip_bytes(ANDROID.ip), rclass=0x8001)]))
    return t.frames


def case_names_llmnr():
    """LLMNR: the laptop (192.0.2.32) asks 224.0.0.252 for "fileserver"; the NAS (192.0.2.33)
    answers it by unicast with its own address."""
    t = g.Trace(T_NAMES + 100)
    t.udp(LAPTOP, 50001, LLMNR4, 5355, message(0, qd=[question('fileserver', T_A)], ident=0x4c4c))
    t.udp(NAS, 5355, LAPTOP, 50001,
          message(0x8000, qd=[question('fileserver', T_A)],
                  an=[rr('fileserver', T_A, g.ip_bytes(NAS.ip), ttl=30)], ident=0x4c4c))
    return t.frames


def case_names_nbns():
    """NetBIOS name service: the laptop broadcasts the registration of its unique workstation
    name DESKTOP-7QK2M4P<00> three times and of the group WORKGROUP<00>, then a query for
    NAS<20>; the NAS answers with a positive response.  A malformed datagram (a DNS-style name)
    to port 137 follows."""
    t = g.Trace(T_NAMES + 200)
    for i in range(3):
        t.udp(LAPTOP, 137, BCAST, 137,
              nbns_registration(0x8001 + i, 'DESKTOP-7QK2M4P', 0x00, LAPTOP.ip),
              gap_us=750000 if i else None)
    t.udp(LAPTOP, 137, BCAST, 137, nbns_registration(0x8004, 'WORKGROUP', 0x00, LAPTOP.ip, True))
    t.udp(LAPTOP, 137, BCAST, 137, nbns_query(0x8005, 'NAS', 0x20))
    t.udp(NAS, 137, LAPTOP, 137, nbns_positive(0x8005, 'NAS', 0x20, NAS.ip))
    t.udp(LAPTOP, 137, BCAST, 137, message(0, qd=[question('nas.local', T_A)]))
    return t.frames


def case_names_dns_update():
    """RFC 2136 DNS UPDATE from the laptop to the resolver: zone example.com; it adds
    laptop.example.com A 192.0.2.32 and the reverse PTR 32.2.0.192.in-addr.arpa; the server
    answers NOERROR."""
    t = g.Trace(T_NAMES + 300)
    upd = message(5 << 11, qd=[question('example.com', T_SOA)],
                  ns=[rr('laptop.example.com', T_A, g.ip_bytes(LAPTOP.ip), ttl=1200),
                      rr('32.2.0.192.in-addr.arpa', T_PTR, name('laptop.example.com'), ttl=1200)],
                  ident=0x5d5d)
    resp = message(0x8000 | 5 << 11, qd=[question('example.com', T_SOA)], ident=0x5d5d)
    t.udp(LAPTOP, 53500, g.RESOLVER, 53, upd)
    t.udp(g.RESOLVER, 53, LAPTOP, 53500, resp, gap_us=15000)
    return t.frames


def case_names_sni_literal():
    """TLS ClientHellos whose server_name is an address literal (RFC 6066 §3 forbids it; clients
    send it anyway): 198.51.100.7 to 198.51.100.7:443 and 2001:db8:80::7 to that address."""
    t = g.Trace(T_NAMES + 400)
    c4 = g.TcpConn(t, g.CLIENT_A, 49500, g.server('198.51.100.7'), 443, 3000, 4000)
    c4.handshake()
    c4.send(True, g.tls_record(g.client_hello('198.51.100.7', 'lit4')))
    c4.ack(False)
    client6 = g.Host(g.CLIENT_A.mac, '2001:db8:1::10')
    c6 = g.TcpConn(t, client6, 49501, g.server('2001:db8:80::7'), 443, 5000, 6000)
    c6.handshake()
    c6.send(True, g.tls_record(g.client_hello('2001:db8:80::7', 'lit6')))
    c6.ack(False)
    return t.frames


CASES = {
    'names_mdns': (case_names_mdns, 'pcap'),
    'names_llmnr': (case_names_llmnr, 'pcap'),
    'names_nbns': (case_names_nbns, 'pcap'),
    'names_dns_update': (case_names_dns_update, 'pcap'),
    'names_sni_literal': (case_names_sni_literal, 'pcap'),
}
