#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Generate the golden captures, byte for byte the same on every run.

Every packet is built here by hand with struct (no scapy, no clock, no randomness): the bytes
depend only on this file, so a test can regenerate them and compare with the committed copies.
Addresses are documentation ones only: LAN 192.0.2.0/24 and 2001:db8:1::/48, servers in
198.51.100.0/24, 203.0.113.0/24 and 2001:db8:80::/48, the router 00:00:5e:00:53:01 (RFC 7042
documentation MAC), names under example.com/.net/.org (RFC 2606).

QUIC v1 Initials are really encrypted (RFC 9001 section 5) with the `cryptography` module
(Debian python3-cryptography); the key schedule is checked against RFC 9001 Appendix A before
anything is written.

Usage:
  gen_captures.py --out DIR [CASE ...]   write DIR/CASE.pcap (or .pcapng); all cases by default
  gen_captures.py --list                 print the case names, one a line
  gen_captures.py --describe CASE        print a readable summary of the case's packets
"""

import argparse
import hashlib
import hmac
import ipaddress
import os
import struct
import sys

# ---------------------------------------------------------------------------------------------
# Capture files

LINKTYPE_ETHERNET = 1
T0 = 1700000000  # 2023-11-14 22:13:20 UTC; each case starts at T0 + its own offset


def pcap_bytes(frames, linktype=LINKTYPE_ETHERNET, snaplen=262144):
    """Classic pcap, little endian, microsecond timestamps. frames: [(ts_us, bytes)]."""
    out = [struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, snaplen, linktype)]
    for ts_us, data in frames:
        out.append(struct.pack('<IIII', ts_us // 1000000, ts_us % 1000000, len(data), len(data)))
        out.append(data)
    return b''.join(out)


def pcapng_bytes(frames, linktype=LINKTYPE_ETHERNET, snaplen=262144):
    """pcapng: one section, one interface with if_tsresol = 9 (nanoseconds), enhanced packet
    blocks. Nanoseconds so that a reader which ignores if_tsresol gets visibly wrong times."""
    def block(btype, body):
        body += b'\0' * (-len(body) % 4)
        total = 12 + len(body)
        return struct.pack('<II', btype, total) + body + struct.pack('<I', total)

    def option(code, value):
        return struct.pack('<HH', code, len(value)) + value + b'\0' * (-len(value) % 4)

    shb = block(0x0a0d0d0a, struct.pack('<IHHq', 0x1a2b3c4d, 1, 0, -1) +
                option(4, b'leakwatch gen_captures.py') + option(0, b''))
    idb = block(1, struct.pack('<HHI', linktype, 0, snaplen) +
                option(2, b'br-lan') + option(9, bytes([9])) + option(0, b''))
    out = [shb, idb]
    for ts_us, data in frames:
        ts = ts_us * 1000
        out.append(block(6, struct.pack('<IIIII', 0, ts >> 32, ts & 0xffffffff, len(data),
                                        len(data)) + data))
    return b''.join(out)


# ---------------------------------------------------------------------------------------------
# Link, network and transport layers

ROUTER_MAC = '00:00:5e:00:53:01'     # RFC 7042 documentation range: the AP's upstream router
APPLE_MAC = '3c:22:fb:12:34:56'      # an Apple OUI, globally administered
RANDOM_MAC = '02:4c:57:00:00:02'     # locally administered: a randomized client MAC
GOOGLE_MAC = 'f4:f5:e8:aa:bb:01'     # a Google OUI
BROADCAST_MAC = 'ff:ff:ff:ff:ff:ff'

ETH_IPV4, ETH_IPV6, ETH_8021Q, ETH_8021AD = 0x0800, 0x86dd, 0x8100, 0x88a8
IP_TCP, IP_UDP, IP_ICMPV6 = 6, 17, 58


def mac_bytes(mac):
    return bytes(int(x, 16) for x in mac.split(':'))


def ip_bytes(addr):
    return ipaddress.ip_address(addr).packed


def is_v6(addr):
    return ':' in addr


def eth(dst, src, ethertype, payload, vlans=()):
    """vlans: [(tpid, vid)] from the outermost tag inwards."""
    hdr = mac_bytes(dst) + mac_bytes(src)
    for tpid, vid in vlans:
        hdr += struct.pack('>HH', tpid, vid & 0x0fff)
    frame = hdr + struct.pack('>H', ethertype) + payload
    return frame + b'\0' * max(0, 60 - len(frame))  # minimum frame size, without FCS


def csum(data):
    if len(data) % 2:
        data += b'\0'
    s = sum(struct.unpack('>%dH' % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def pseudo_header(src, dst, proto, length):
    if is_v6(src):
        return ip_bytes(src) + ip_bytes(dst) + struct.pack('>IxxxB', length, proto)
    return ip_bytes(src) + ip_bytes(dst) + struct.pack('>xBH', proto, length)


def udp(src, dst, sport, dport, payload):
    seg = struct.pack('>HHHH', sport, dport, 8 + len(payload), 0) + payload
    c = csum(pseudo_header(src, dst, IP_UDP, len(seg)) + seg) or 0xffff
    return seg[:6] + struct.pack('>H', c) + seg[8:]


TCP_FIN, TCP_SYN, TCP_RST, TCP_PSH, TCP_ACK = 0x01, 0x02, 0x04, 0x08, 0x10


def tcp(src, dst, sport, dport, seq, ack, flags, payload=b'', window=64240, options=b''):
    options += b'\0' * (-len(options) % 4)
    off = (20 + len(options)) // 4
    seg = struct.pack('>HHIIBBHHH', sport, dport, seq & 0xffffffff, ack & 0xffffffff,
                      off << 4, flags, window, 0, 0) + options + payload
    c = csum(pseudo_header(src, dst, IP_TCP, len(seg)) + seg)
    return seg[:16] + struct.pack('>H', c) + seg[18:]


def ipv4(src, dst, proto, payload, ident, ttl=64, frag_off=0, more=False, df=True):
    flags = (0x4000 if df and not more and frag_off == 0 else 0) | (0x2000 if more else 0)
    hdr = struct.pack('>BBHHHBBH4s4s', 0x45, 0, 20 + len(payload), ident,
                      flags | (frag_off // 8), ttl, proto, 0, ip_bytes(src), ip_bytes(dst))
    return hdr[:10] + struct.pack('>H', csum(hdr)) + hdr[12:] + payload


def ipv4_fragments(src, dst, proto, payload, ident, sizes, ttl=64):
    """Split an IPv4 datagram's payload into fragments of the given sizes (multiples of 8 but
    the last); returns them in order."""
    frags, off = [], 0
    for i, size in enumerate(sizes):
        last = i == len(sizes) - 1
        chunk = payload[off:] if last else payload[off:off + size]
        assert last or size % 8 == 0
        frags.append(ipv4(src, dst, proto, chunk, ident, ttl, frag_off=off, more=not last,
                          df=False))
        off += len(chunk)
    return frags


def ipv6(src, dst, nh, payload, hop_limit=64, ext=()):
    """ext: [(type, body)] extension headers in order; body is padded to 8-byte units."""
    chain = b''
    types = [t for t, _ in ext] + [nh]
    for i, (t, body) in enumerate(ext):
        body += b'\0' * (-(len(body) + 2) % 8)
        chain += struct.pack('>BB', types[i + 1], (len(body) + 2) // 8 - 1) + body
    first = types[0]
    return struct.pack('>IHBB16s16s', 0x60000000, len(chain) + len(payload), first, hop_limit,
                       ip_bytes(src), ip_bytes(dst)) + chain + payload


class Host:
    def __init__(self, mac, ip):
        self.mac, self.ip = mac, ip


def ip_packet(src, dst, proto, l4, ident=0, ext=()):
    if is_v6(src.ip):
        return ETH_IPV6, ipv6(src.ip, dst.ip, proto, l4, ext=ext)
    return ETH_IPV4, ipv4(src.ip, dst.ip, proto, l4, ident)


class Trace:
    """A list of frames with a clock that advances a fixed step per frame unless told."""

    def __init__(self, start_s, step_us=1000):
        self.now = start_s * 1000000
        self.step = step_us
        self.frames = []
        self.ident = 0x1000

    def add(self, frame, gap_us=None):
        self.now += self.step if gap_us is None else gap_us
        self.frames.append((self.now, frame))

    def next_ident(self):
        self.ident += 1
        return self.ident

    def udp(self, src, sport, dst, dport, payload, vlans=(), gap_us=None, ext=()):
        et, pkt = ip_packet(src, dst, IP_UDP, udp(src.ip, dst.ip, sport, dport, payload),
                            self.next_ident(), ext)
        self.add(eth(dst.mac, src.mac, et, pkt, vlans), gap_us)


class TcpConn:
    """One TCP connection between a client and a server; tracks both sequence numbers."""

    def __init__(self, trace, client, cport, server, sport, isn_c, isn_s, vlans=(), ext=()):
        self.t, self.c, self.cp, self.s, self.sp = trace, client, cport, server, sport
        self.seq = {True: isn_c, False: isn_s}   # True = client side
        self.vlans, self.ext = vlans, ext

    def raw(self, from_client, seq, ack, flags, payload=b'', options=b'', gap_us=None):
        a, b = (self.c, self.s) if from_client else (self.s, self.c)
        ap, bp = (self.cp, self.sp) if from_client else (self.sp, self.cp)
        seg = tcp(a.ip, b.ip, ap, bp, seq, ack, flags, payload, options=options)
        et, pkt = ip_packet(a, b, IP_TCP, seg, self.t.next_ident(), self.ext)
        self.t.add(eth(b.mac, a.mac, et, pkt, self.vlans), gap_us)

    def handshake(self):
        mss = struct.pack('>BBH', 2, 4, 1460)
        self.raw(True, self.seq[True], 0, TCP_SYN, options=mss)
        self.raw(False, self.seq[False], self.seq[True] + 1, TCP_SYN | TCP_ACK, options=mss)
        self.seq[True] += 1
        self.seq[False] += 1
        self.raw(True, self.seq[True], self.seq[False], TCP_ACK)

    def send(self, from_client, data, flags=TCP_PSH | TCP_ACK, gap_us=None):
        """In-order data; returns the sequence number it was sent at."""
        seq = self.seq[from_client]
        self.raw(from_client, seq, self.seq[not from_client], flags, data, gap_us=gap_us)
        self.seq[from_client] += len(data)
        return seq

    def ack(self, from_client):
        self.raw(from_client, self.seq[from_client], self.seq[not from_client], TCP_ACK)

    def close(self):
        """Client FIN, server FIN+ACK, client ACK."""
        self.raw(True, self.seq[True], self.seq[False], TCP_FIN | TCP_ACK)
        self.seq[True] += 1
        self.raw(False, self.seq[False], self.seq[True], TCP_FIN | TCP_ACK)
        self.seq[False] += 1
        self.raw(True, self.seq[True], self.seq[False], TCP_ACK)


# ---------------------------------------------------------------------------------------------
# DNS (RFC 1035), with name compression in answers as real servers send them

QTYPE = {'A': 1, 'CNAME': 5, 'TXT': 16, 'AAAA': 28}


class DnsWriter:
    def __init__(self):
        self.buf = bytearray()
        self.names = {}

    def name(self, name):
        labels = name.rstrip('.').split('.')
        for i in range(len(labels)):
            suffix = '.'.join(labels[i:]).lower()
            if suffix in self.names:
                self.buf += struct.pack('>H', 0xc000 | self.names[suffix])
                return
            if len(self.buf) < 0x3fff:
                self.names[suffix] = len(self.buf)
            lab = labels[i].encode()
            self.buf += bytes([len(lab)]) + lab
        self.buf += b'\0'


def dns_message(ident, qname, qtype, response=False, answers=(), additional=(), rcode=0):
    """answers/additional: [(name, type, ttl, value)]; value is an address, a name (CNAME) or
    bytes (TXT rdata)."""
    w = DnsWriter()
    flags = 0x0100 | (0x8080 if response else 0) | rcode   # RD, and QR+RA in responses
    w.buf += struct.pack('>HHHHHH', ident, flags, 1, len(answers), 0, len(additional))
    w.name(qname)
    w.buf += struct.pack('>HH', QTYPE[qtype], 1)
    for name, rtype, ttl, value in list(answers) + list(additional):
        w.name(name)
        w.buf += struct.pack('>HHI', QTYPE[rtype], 1, ttl)
        lenpos = len(w.buf)
        w.buf += b'\0\0'
        if rtype in ('A', 'AAAA'):
            w.buf += ip_bytes(value)
        elif rtype == 'CNAME':
            w.name(value)
        else:
            w.buf += value
        struct.pack_into('>H', w.buf, lenpos, len(w.buf) - lenpos - 2)
    return bytes(w.buf)


def dns_exchange(t, client, cport, resolver, ident, qname, qtype, answers, additional=(),
                 rcode=0, vlans=(), latency_us=12000):
    t.udp(client, cport, resolver, 53, dns_message(ident, qname, qtype), vlans)
    t.udp(resolver, 53, client, cport,
          dns_message(ident, qname, qtype, True, answers, additional, rcode), vlans,
          gap_us=latency_us)


# ---------------------------------------------------------------------------------------------
# DHCPv4 (RFC 2131, options RFC 2132)

def dhcp_message(op, xid, mac, msg_type, ciaddr='0.0.0.0', yiaddr='0.0.0.0', options=()):
    """options: [(code, bytes)] after the message type; END is appended."""
    body = struct.pack('>BBBBIHH4s4s4s4s16s64s128s', op, 1, 6, 0, xid, 0,
                       0x8000 if op == 1 else 0,           # broadcast flag from the client
                       ip_bytes(ciaddr), ip_bytes(yiaddr), ip_bytes('0.0.0.0'),
                       ip_bytes('0.0.0.0'), mac_bytes(mac), b'', b'')
    opts = b'\x63\x82\x53\x63' + bytes([53, 1, msg_type])
    for code, value in options:
        opts += bytes([code, len(value)]) + value
    return body + opts + b'\xff'


# ---------------------------------------------------------------------------------------------
# TLS 1.3 ClientHello (RFC 8446 section 4.1.2), laid out the way browsers send it

def u8(b):
    return bytes([len(b)]) + b


def u16(b):
    return struct.pack('>H', len(b)) + b


def u24(b):
    return struct.pack('>I', len(b))[1:] + b


def ext(etype, body):
    return struct.pack('>H', etype) + u16(body)


def det_bytes(label, n):
    """Deterministic 'random' bytes."""
    out = b''
    i = 0
    while len(out) < n:
        out += hashlib.sha256(('%s/%d' % (label, i)).encode()).digest()
        i += 1
    return out[:n]


def client_hello(sni, label, alpn=(b'h2', b'http/1.1'), quic_params=None):
    """The Handshake message (type 1 with its 3-byte length), not the record around it."""
    quic = quic_params is not None
    suites = [0x1301, 0x1302, 0x1303]
    if not quic:
        suites += [0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc013, 0xc014]
    exts = [ext(0, u16(b'\x00' + u16(sni.encode())))]                          # server_name
    if not quic:
        exts += [ext(23, b''), ext(0xff01, b'\x00'), ext(11, u8(b'\x00'))]
    exts += [
        ext(10, u16(struct.pack('>HHH', 0x001d, 0x0017, 0x0018))),           # supported_groups
        ext(16, u16(b''.join(u8(p) for p in alpn))),                          # ALPN
        ext(13, u16(struct.pack('>8H', 0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806,
                                0x0601))),                                    # signature_algs
        ext(51, u16(struct.pack('>H', 0x001d) + u16(det_bytes(label + '/x25519', 32)))),
        ext(45, u8(b'\x01')),                                                 # psk_dhe_ke
        ext(43, u8(b'\x03\x04' if quic else b'\x03\x04\x03\x03')),            # versions
    ]
    if quic:
        exts.append(ext(0x39, quic_params))
    else:
        exts.append(ext(5, b'\x01\x00\x00\x00\x00'))                          # status_request
    body = (b'\x03\x03' + det_bytes(label + '/random', 32) +
            (u8(b'') if quic else u8(det_bytes(label + '/session', 32))) +
            u16(b''.join(struct.pack('>H', s) for s in suites)) + u8(b'\x00') +
            u16(b''.join(exts)))
    return b'\x01' + u24(body)


def tls_record(handshake):
    return b'\x16\x03\x01' + u16(handshake)


def sni_split_point(record, sni, into):
    """Offset inside record that falls `into` bytes into the SNI host name."""
    pos = record.find(sni.encode())
    assert pos > 0
    return pos + into


# ---------------------------------------------------------------------------------------------
# QUIC v1 Initial packets (RFC 9000 section 17.2.2, protection RFC 9001 section 5)

QUIC_V1_SALT = bytes.fromhex('38762cf7f55934b34d179ae6a4c80cadccbb7f0a')


def hkdf_extract(salt, ikm):
    return hmac.new(salt, ikm, hashlib.sha256).digest()


def hkdf_expand_label(secret, label, length):
    info = struct.pack('>H', length) + u8(b'tls13 ' + label.encode()) + u8(b'')
    out, t, i = b'', b'', 1
    while len(out) < length:
        t = hmac.new(secret, t + info + bytes([i]), hashlib.sha256).digest()
        out += t
        i += 1
    return out[:length]


def quic_client_keys(dcid):
    initial = hkdf_extract(QUIC_V1_SALT, dcid)
    secret = hkdf_expand_label(initial, 'client in', 32)
    return (hkdf_expand_label(secret, 'quic key', 16), hkdf_expand_label(secret, 'quic iv', 12),
            hkdf_expand_label(secret, 'quic hp', 16))


def varint(v):
    if v < 0x40:
        return bytes([v])
    if v < 0x4000:
        return struct.pack('>H', 0x4000 | v)
    if v < 0x40000000:
        return struct.pack('>I', 0x80000000 | v)
    return struct.pack('>Q', 0xc000000000000000 | v)


def hp_mask(hp, sample):
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
    enc = Cipher(algorithms.AES(hp), modes.ECB()).encryptor()
    return enc.update(sample) + enc.finalize()


def quic_initial(dcid, scid, pn, frames, min_datagram=1200):
    """A protected client Initial carrying frames (bytes), padded with PADDING frames so the
    datagram is min_datagram bytes, as RFC 9000 section 14.1 requires of clients."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    key, iv, hp = quic_client_keys(dcid)
    pn_len = 2
    head = (bytes([0xc0 | (pn_len - 1)]) + struct.pack('>I', 1) + u8(dcid) + u8(scid) +
            varint(0))                                               # no token
    # header + 2-byte Length + packet number + payload + 16-byte tag = min_datagram
    payload_len = max(len(frames), min_datagram - len(head) - 2 - pn_len - 16)
    payload = frames + b'\0' * (payload_len - len(frames))
    length = pn_len + len(payload) + 16
    assert length < 0x4000
    header = head + struct.pack('>H', 0x4000 | length) + struct.pack('>H', pn)
    nonce = iv[:-8] + struct.pack('>Q', struct.unpack('>Q', iv[-8:])[0] ^ pn)
    ct = AESGCM(key).encrypt(nonce, payload, header)
    pn_off = len(header) - pn_len
    mask = hp_mask(hp, ct[4 - pn_len:4 - pn_len + 16])
    first = bytes([header[0] ^ (mask[0] & 0x0f)])
    pn_prot = bytes(b ^ m for b, m in zip(header[pn_off:], mask[1:1 + pn_len]))
    return first + header[1:pn_off] + pn_prot + ct


def quic_decrypt_initial(packet):
    """Independent read of a client Initial (self-check): returns the plaintext payload."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    pos = 5
    dcid = packet[pos + 1:pos + 1 + packet[pos]]
    pos += 1 + packet[pos]
    pos += 1 + packet[pos]
    assert packet[pos] == 0  # token length
    pos += 1
    length = struct.unpack('>H', packet[pos:pos + 2])[0] & 0x3fff
    pos += 2
    key, iv, hp = quic_client_keys(dcid)
    mask = hp_mask(hp, packet[pos + 4:pos + 20])
    first = packet[0] ^ (mask[0] & 0x0f)
    pn_len = (first & 3) + 1
    pn_bytes = bytes(b ^ m for b, m in zip(packet[pos:pos + pn_len], mask[1:]))
    header = bytes([first]) + packet[1:pos] + pn_bytes
    pn = int.from_bytes(pn_bytes, 'big')
    nonce = iv[:-8] + struct.pack('>Q', struct.unpack('>Q', iv[-8:])[0] ^ pn)
    return AESGCM(key).decrypt(nonce, packet[pos + pn_len:pos + length], header)


def quic_self_test():
    """RFC 9001 Appendix A.1 keys and the A.2 header-protection mask for DCID 8394c8f03e515708.
    If these fail, nothing is written."""
    key, iv, hp = quic_client_keys(bytes.fromhex('8394c8f03e515708'))
    assert key.hex() == '1f369613dd76d5467730efcbe3b1a22d', key.hex()
    assert iv.hex() == 'fa044b2f42a3fd3b46fb255c', iv.hex()
    assert hp.hex() == '9f50449e04a0e810283a1e9933adedd2', hp.hex()
    mask = hp_mask(hp, bytes.fromhex('d1b1c98dd7689fb8ec11d242b123dc9b'))
    assert mask[:5].hex() == '437b9aec36', mask[:5].hex()


def read_varint(b, pos):
    n = 1 << (b[pos] >> 6)
    v = int.from_bytes(b[pos:pos + n], 'big') & ((1 << (8 * n - 2)) - 1)
    return v, pos + n


def quic_crypto_stream(packets):
    """Self-check: decrypts Initials, walks their frames (PADDING, PING, CRYPTO only) and
    returns the reassembled CRYPTO stream."""
    pieces = {}
    for p in packets:
        assert len(p) == 1200
        plain, pos = quic_decrypt_initial(p), 0
        while pos < len(plain):
            ftype = plain[pos]
            pos += 1
            if ftype in (0x00, 0x01):
                continue
            assert ftype == 0x06, ftype
            off, pos = read_varint(plain, pos)
            n, pos = read_varint(plain, pos)
            pieces[off] = plain[pos:pos + n]
            pos += n
    stream = b''
    for off in sorted(pieces):
        assert off == len(stream)
        stream += pieces[off]
    return stream


def crypto_frame(offset, data):
    return b'\x06' + varint(offset) + varint(len(data)) + data


def quic_transport_params(scid):
    return (varint(0x01) + u8(varint(30000)) +            # max_idle_timeout
            varint(0x04) + u8(varint(15728640)) +         # initial_max_data
            varint(0x08) + u8(varint(100)) +              # initial_max_streams_bidi
            varint(0x0f) + u8(scid))                      # initial_source_connection_id


# ---------------------------------------------------------------------------------------------
# The cases. Each returns (frames, format) and documents what it holds; the expected rows are
# in cases/<name>.expected, written by hand from these descriptions.

def server(ip):
    """Servers are behind the router: on the LAN their frames carry the router's MAC."""
    return Host(ROUTER_MAC, ip)


RESOLVER = server('198.51.100.53')
CLIENT_A = Host(APPLE_MAC, '192.0.2.10')
CLIENT_B = Host(RANDOM_MAC, '192.0.2.11')

HTTP_RESPONSE = (b'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 6\r\n'
                 b'Connection: close\r\n\r\nhello\n')
OPAQUE = bytes.fromhex('00000018') + b'LWPROTO1' + det_bytes('opaque', 20)  # neither TLS nor HTTP


def case_dns_http():
    """A and AAAA for www.example.com through a CNAME (cdn.example.net), then HTTP to the
    answered IPv4 address with Host www.example.com, then an opaque TCP flow to the same address
    (named by passive DNS: the name the client asked for)."""
    t = Trace(T0)
    dns_exchange(t, CLIENT_A, 53001, RESOLVER, 0x1a2b, 'www.example.com', 'A',
                 [('www.example.com', 'CNAME', 300, 'cdn.example.net'),
                  ('cdn.example.net', 'A', 60, '198.51.100.80')])
    dns_exchange(t, CLIENT_A, 53002, RESOLVER, 0x1a2c, 'www.example.com', 'AAAA',
                 [('www.example.com', 'CNAME', 300, 'cdn.example.net'),
                  ('cdn.example.net', 'AAAA', 120, '2001:db8:80::80')])
    web = server('198.51.100.80')
    c = TcpConn(t, CLIENT_A, 49152, web, 80, 1000, 5000)
    c.handshake()                                                     # out 2, in 1
    c.send(True, b'GET /index.html HTTP/1.1\r\nHost: www.example.com\r\n'
           b'User-Agent: golden/1.0\r\nAccept: */*\r\n\r\n')          # out 3
    c.ack(False)                                                      # in 2
    c.send(False, HTTP_RESPONSE)                                      # in 3
    c.ack(True)                                                       # out 4
    c.close()                                                         # out 6, in 4
    d = TcpConn(t, CLIENT_A, 49153, web, 8443, 2000, 6000)
    d.handshake()
    d.send(True, OPAQUE)
    d.ack(False)
    return t.frames


def case_pcapng():
    """The dns_http traffic in a pcapng file with nanosecond timestamps."""
    return case_dns_http()


def case_tls_sni_split():
    """TLS ClientHellos over TCP split so that no segment holds the whole SNI: one split in the
    middle of the host name (2 segments), one after 3 bytes of record header (3 segments)."""
    t = Trace(T0 + 100)
    srv1, srv2 = server('203.0.113.20'), server('203.0.113.21')
    c = TcpConn(t, CLIENT_A, 49200, srv1, 443, 7000, 9000)
    c.handshake()
    rec = tls_record(client_hello('secure.example.org', 'tls1'))
    cut = sni_split_point(rec, 'secure.example.org', 10)              # "secure.exa" | "mple.org"
    c.send(True, rec[:cut])
    c.send(True, rec[cut:])
    c.ack(False)
    c2 = TcpConn(t, CLIENT_A, 49201, srv2, 443, 17000, 19000)
    c2.handshake()
    rec2 = tls_record(client_hello('split3.example.org', 'tls2'))
    c2.send(True, rec2[:3])
    c2.send(True, rec2[3:43])
    c2.send(True, rec2[43:])
    c2.ack(False)
    return t.frames


def case_dns_only_name():
    """An opaque TCP flow whose only name comes from the client's earlier DNS answer
    (api.example.net -> 203.0.113.10), and one to an address nobody resolved (no name)."""
    t = Trace(T0 + 200)
    dns_exchange(t, CLIENT_A, 53100, RESOLVER, 0x2001, 'api.example.net', 'A',
                 [('api.example.net', 'A', 300, '203.0.113.10')])
    c = TcpConn(t, CLIENT_A, 49300, server('203.0.113.10'), 8443, 31000, 32000)
    c.handshake()
    c.send(True, OPAQUE)
    c.ack(False)
    u = TcpConn(t, CLIENT_A, 49301, server('203.0.113.99'), 8443, 33000, 34000)
    u.handshake()
    u.send(True, OPAQUE)
    u.ack(False)
    return t.frames


def case_quic_v1():
    """QUIC v1 client Initials: (1) the whole ClientHello in one packet; (2) the ClientHello
    split in the middle of the SNI over two Initials that arrive in reverse order; (3) one
    Initial with the ClientHello in two CRYPTO frames in reverse offset order with PING and
    PADDING between them (as Chrome sends them)."""
    quic_self_test()
    t = Trace(T0 + 300)
    specs = [('quic.example.com', 50000, '198.51.100.44'),
             ('quic-split.example.com', 50001, '198.51.100.45'),
             ('quic-chaos.example.com', 50002, '198.51.100.46')]
    for i, (sni, port, ip) in enumerate(specs):
        dcid = det_bytes('dcid%d' % i, 8)
        scid = det_bytes('scid%d' % i, 8)
        ch = client_hello(sni, 'quic%d' % i, alpn=(b'h3',), quic_params=quic_transport_params(scid))
        srv = server(ip)
        if i == 0:
            pkts = [quic_initial(dcid, scid, 0, crypto_frame(0, ch))]
        elif i == 1:
            cut = ch.find(sni.encode()) + 6
            p0 = quic_initial(dcid, scid, 0, crypto_frame(0, ch[:cut]))
            p1 = quic_initial(dcid, scid, 1, crypto_frame(cut, ch[cut:]))
            pkts = [p1, p0]
        else:
            cut = ch.find(sni.encode()) + 4
            frames = (crypto_frame(cut, ch[cut:]) + b'\x01' + b'\x00' * 7 + b'\x01' +
                      crypto_frame(0, ch[:cut]))
            pkts = [quic_initial(dcid, scid, 0, frames)]
        assert quic_crypto_stream(pkts) == ch
        for p in pkts:
            t.udp(CLIENT_A, port, srv, 443, p)
    return t.frames


def case_dhcp():
    """DHCP DISCOVER/OFFER/REQUEST/ACK for a Google-OUI phone with host name and vendor class,
    then a DNS query from its new address; a randomized-MAC client whose REQUEST carries a
    host name but no vendor class; two minutes later a third client's lone DISCOVER from
    0.0.0.0 without a requested address."""
    t = Trace(T0 + 400)
    phone = Host(GOOGLE_MAC, '0.0.0.0')
    bcast = Host(BROADCAST_MAC, '255.255.255.255')
    router = Host(ROUTER_MAC, '192.0.2.1')
    xid = 0x3903f326
    hostname = (12, b'kitchen-tablet')
    vendor = (60, b'android-dhcp-13')
    cid = (61, b'\x01' + mac_bytes(GOOGLE_MAC))
    prl = (55, bytes([1, 3, 6, 15, 26, 28, 51, 58, 59, 43]))
    srv_opts = [(54, ip_bytes('192.0.2.1')), (51, struct.pack('>I', 3600)),
                (1, ip_bytes('255.255.255.0')), (3, ip_bytes('192.0.2.1')),
                (6, ip_bytes('192.0.2.1'))]
    t.udp(phone, 68, bcast, 67, dhcp_message(1, xid, GOOGLE_MAC, 1,
                                              options=[cid, (57, b'\x05\xdc'), vendor, hostname,
                                                       prl]))
    t.udp(router, 67, bcast, 68, dhcp_message(2, xid, GOOGLE_MAC, 2, yiaddr='192.0.2.77',
                                               options=srv_opts))
    t.udp(phone, 68, bcast, 67, dhcp_message(1, xid, GOOGLE_MAC, 3,
                                              options=[cid, (50, ip_bytes('192.0.2.77')),
                                                       (54, ip_bytes('192.0.2.1')), vendor,
                                                       hostname, prl]))
    t.udp(router, 67, bcast, 68, dhcp_message(2, xid, GOOGLE_MAC, 5, yiaddr='192.0.2.77',
                                               options=srv_opts))
    phone_up = Host(GOOGLE_MAC, '192.0.2.77')
    dns_exchange(t, phone_up, 40001, RESOLVER, 0x4242, 'connectivitycheck.example.com', 'A',
                 [('connectivitycheck.example.com', 'A', 30, '198.51.100.30')])
    other = Host(RANDOM_MAC, '0.0.0.0')
    t.udp(other, 68, bcast, 67, dhcp_message(1, 0x11223344, RANDOM_MAC, 3,
                                              options=[(50, ip_bytes('192.0.2.78')),
                                                       (12, b'galaxy-s21'), prl]))
    t.udp(router, 67, bcast, 68, dhcp_message(2, 0x11223344, RANDOM_MAC, 5,
                                               yiaddr='192.0.2.78', options=srv_opts))
    # Two minutes on (past udp_idle: the flows above end and their devices are written again,
    # from the flows' client side, 0.0.0.0): a speaker's DISCOVER with a host name and no
    # requested address, the only frame it sends.
    speaker = Host('02:4c:57:00:00:03', '0.0.0.0')
    t.udp(speaker, 68, bcast, 67, dhcp_message(1, 0x55667788, '02:4c:57:00:00:03', 1,
                                                options=[(12, b'hall-speaker'), prl]),
          gap_us=120 * 1000000)
    return t.frames


def case_vlan():
    """802.1Q (VID 10): DNS for vlan.example.com then HTTP with 'Host: vlan.example.com:8080'.
    QinQ (802.1ad VID 100 outside, 802.1Q VID 20 inside): a TLS ClientHello for
    qinq.example.org."""
    t = Trace(T0 + 500)
    q = [(ETH_8021Q, 10)]
    qinq = [(ETH_8021AD, 100), (ETH_8021Q, 20)]
    dns_exchange(t, CLIENT_A, 53500, RESOLVER, 0x5005, 'vlan.example.com', 'A',
                 [('vlan.example.com', 'A', 600, '198.51.100.90')], vlans=q)
    c = TcpConn(t, CLIENT_A, 49500, server('198.51.100.90'), 8080, 50000, 51000, vlans=q)
    c.handshake()
    c.send(True, b'GET /status HTTP/1.1\r\nHost: vlan.example.com:8080\r\n'
           b'User-Agent: golden/1.0\r\n\r\n')
    c.ack(False)
    d = TcpConn(t, CLIENT_A, 49501, server('203.0.113.40'), 443, 52000, 53000, vlans=qinq)
    d.handshake()
    d.send(True, tls_record(client_hello('qinq.example.org', 'qinq')))
    d.ack(False)
    return t.frames


def case_ipv6():
    """IPv6 only: AAAA v6.example.com over UDP/IPv6, a TLS flow to the answer with SNI whose
    packets carry Hop-by-Hop and Destination Options headers, an opaque UDP flow to the answer
    (named by DNS), an HTTP flow to another address, and an ICMPv6 echo (no flow row)."""
    t = Trace(T0 + 600)
    cl = Host(APPLE_MAC, '2001:db8:1::10')
    resolver = server('2001:db8:ffff::53')
    dns_exchange(t, cl, 53600, resolver, 0x6006, 'v6.example.com', 'AAAA',
                 [('v6.example.com', 'AAAA', 900, '2001:db8:80::6')])
    ext_hdrs = [(0, b'\x01\x04\x00\x00\x00\x00'),      # Hop-by-Hop: PadN
                (60, b'\x01\x04\x00\x00\x00\x00')]     # Destination Options: PadN
    c = TcpConn(t, cl, 49600, server('2001:db8:80::6'), 443, 60000, 61000, ext=ext_hdrs)
    c.handshake()
    c.send(True, tls_record(client_hello('v6.example.com', 'v6')))
    c.ack(False)
    t.udp(cl, 49601, server('2001:db8:80::6'), 4433, OPAQUE)
    h = TcpConn(t, cl, 49602, server('2001:db8:80::7'), 80, 62000, 63000)
    h.handshake()
    h.send(True, b'GET / HTTP/1.1\r\nHost: web6.example.com\r\n\r\n')
    h.ack(False)
    echo = struct.pack('>BBHHH', 128, 0, 0, 0x77, 1) + b'ping'
    src, dst = cl.ip, '2001:db8:80::6'
    echo = echo[:2] + struct.pack('>H', csum(pseudo_header(src, dst, IP_ICMPV6, len(echo)) +
                                             echo)) + echo[4:]
    t.add(eth(ROUTER_MAC, cl.mac, ETH_IPV6, ipv6(src, dst, IP_ICMPV6, echo)))
    return t.frames


def case_ipv4_fragments():
    """A DNS answer (two A records and a 1200-byte TXT in the additional section) in three IPv4
    fragments delivered last, first, middle; then an opaque flow to one answered address (named
    by DNS only if the answer was reassembled); then an HTTP request whose IP datagram is cut in
    two so that the Host header is in the second fragment."""
    t = Trace(T0 + 700)
    q = dns_message(0x7007, 'frag.example.com', 'A')
    t.udp(CLIENT_A, 53700, RESOLVER, 53, q)
    ans = dns_message(0x7007, 'frag.example.com', 'A', True,
                      [('frag.example.com', 'A', 240, '203.0.113.30'),
                       ('frag.example.com', 'A', 180, '203.0.113.31')],
                      [('frag.example.com', 'TXT', 240, u8(b'x' * 200) * 6)])
    seg = udp(RESOLVER.ip, CLIENT_A.ip, 53, 53700, ans)
    frags = ipv4_fragments(RESOLVER.ip, CLIENT_A.ip, IP_UDP, seg, 0x7a7a, [600, 600, 0])
    for i in (2, 0, 1):
        t.add(eth(CLIENT_A.mac, ROUTER_MAC, ETH_IPV4, frags[i]))
    c = TcpConn(t, CLIENT_A, 49700, server('203.0.113.31'), 9000, 70000, 71000)
    c.handshake()
    c.send(True, OPAQUE)
    c.ack(False)
    h = TcpConn(t, CLIENT_A, 49701, server('203.0.113.32'), 80, 72000, 73000)
    h.handshake()
    req = (b'GET /fragmented HTTP/1.1\r\nUser-Agent: golden/1.0\r\n'
           b'Host: frag-http.example.com\r\n\r\n')
    seg = tcp(CLIENT_A.ip, '203.0.113.32', 49701, 80, h.seq[True], h.seq[False],
              TCP_PSH | TCP_ACK, req)
    h.seq[True] += len(req)
    for f in ipv4_fragments(CLIENT_A.ip, '203.0.113.32', IP_TCP, seg, 0x7b7b, [40, 0]):
        t.add(eth(ROUTER_MAC, CLIENT_A.mac, ETH_IPV4, f))
    h.ack(False)
    return t.frames


def case_tcp_reorder():
    """(1) HTTP: the SYN sent twice, the request in three segments captured 1, 3, 2, then 2 and
    1 again (retransmissions); Host spans segments 2 and 3. (2) TLS: the ClientHello's second
    segment arrives before its first."""
    t = Trace(T0 + 800)
    srv = server('198.51.100.70')
    c = TcpConn(t, CLIENT_A, 49800, srv, 80, 80000, 81000)
    mss = struct.pack('>BBH', 2, 4, 1460)
    c.raw(True, 80000, 0, TCP_SYN, options=mss)                       # out 1
    c.handshake()                                                     # out 3, in 1
    parts = [b'GET /reorder HTTP/1.1\r\nHo', b'st: reorder.exam',
             b'ple.com\r\nUser-Agent: golden/1.0\r\nAccept: */*\r\n\r\n']
    base = c.seq[True]
    offs = [0, len(parts[0]), len(parts[0]) + len(parts[1])]
    ack = c.seq[False]
    for i in (0, 2, 1, 1, 0):                                         # out 8
        c.raw(True, base + offs[i], ack, TCP_PSH | TCP_ACK, parts[i])
    c.seq[True] = base + sum(len(p) for p in parts)
    c.ack(False)                                                      # in 2
    d = TcpConn(t, CLIENT_A, 49801, server('203.0.113.60'), 443, 82000, 83000)
    d.handshake()
    rec = tls_record(client_hello('retrans.example.org', 'retrans'))
    cut = sni_split_point(rec, 'retrans.example.org', 7)
    base = d.seq[True]
    d.raw(True, base + cut, d.seq[False], TCP_PSH | TCP_ACK, rec[cut:])
    d.raw(True, base, d.seq[False], TCP_PSH | TCP_ACK, rec[:cut])
    d.seq[True] = base + len(rec)
    d.ack(False)
    return t.frames


def case_two_clients():
    """Two clients resolve different names to the same address (203.0.113.50) and each opens an
    opaque flow to it: each flow must carry its own client's name. Client A has a global MAC,
    client B a randomized one."""
    t = Trace(T0 + 900)
    dns_exchange(t, CLIENT_A, 54001, RESOLVER, 0x9001, 'alpha.example.com', 'A',
                 [('alpha.example.com', 'A', 300, '203.0.113.50')])
    dns_exchange(t, CLIENT_B, 54002, RESOLVER, 0x9002, 'beta.example.com', 'A',
                 [('beta.example.com', 'A', 300, '203.0.113.50')])
    srv = server('203.0.113.50')
    for cl, port, isn in ((CLIENT_A, 49900, 90000), (CLIENT_B, 49901, 91000)):
        c = TcpConn(t, cl, port, srv, 9443, isn, isn + 500)
        c.handshake()
        c.send(True, OPAQUE)
        c.ack(False)
    return t.frames


def case_lan_prefix():
    """Run with a config naming the LAN (192.0.2.0/24). The capture starts mid-connection with a
    server-to-client segment, then the client's request; and holds a DNS answer whose query was
    not captured (not used: it answers no query leakwatch saw). The client must still be the LAN
    side."""
    t = Trace(T0 + 1000)
    srv = server('198.51.100.60')
    t.udp(RESOLVER, 53, CLIENT_A, 54100,
          dns_message(0xa00a, 'late.example.com', 'A', True,
                      [('late.example.com', 'A', 300, '198.51.100.60')]))
    c = TcpConn(t, CLIENT_A, 49999, srv, 80, 100000, 200000)
    c.send(False, HTTP_RESPONSE)
    c.ack(True)
    c.send(True, b'GET /next HTTP/1.1\r\nHost: late.example.com\r\n\r\n')
    c.ack(False)
    return t.frames


def case_tcp_midflow():
    """Connections picked up mid-way, no handshake captured and no LAN configured: (1) the first
    packet is the client's HTTP request, then the response; (2) the first packet is the
    client's TLS ClientHello, then a server ACK. The client is the side without a service port,
    and the first captured segment's bytes are inspected like any others."""
    t = Trace(T0 + 1100)
    c = TcpConn(t, CLIENT_A, 50100, server('198.51.100.110'), 80, 110000, 111000)
    c.send(True, b'GET /midflow HTTP/1.1\r\nHost: midflow.example.com\r\n'
           b'User-Agent: golden/1.0\r\n\r\n')
    c.send(False, HTTP_RESPONSE)
    d = TcpConn(t, CLIENT_A, 50101, server('203.0.113.110'), 443, 112000, 113000)
    d.send(True, tls_record(client_hello('midflow.example.org', 'midflow')))
    d.ack(False)
    return t.frames


def case_empty():
    """A valid capture with no packets."""
    return []


# ---------------------------------------------------------------------------------------------
# Identifier leaks (issue 3). The identifiers are made up but well formed: IMEIs with a real
# reporting body and a Luhn digit, ICCIDs under 89, IMSIs under real MCCs. The one name that is
# not a documentation name is zzhc.vnet.cn, China Telecom's self-registration server: the case
# the leak detection exists for (DESIGN.md), so its expected rows name it.

def luhn_complete(digits):
    """digits + the Luhn check digit that makes the whole valid."""
    total = 0
    for i, c in enumerate(reversed(digits)):
        v = int(c) * (2 if i % 2 == 0 else 1)
        total += v - 9 if v > 9 else v
    return digits + str((10 - total % 10) % 10)


def luhn_ok(digits):
    return luhn_complete(digits[:-1]) == digits


class BitWriter:
    """LSB-first bit packing, as DEFLATE (RFC 1951 3.1.1) and Brotli (RFC 7932 2) use."""

    def __init__(self):
        self.out, self.acc, self.n = bytearray(), 0, 0

    def bits(self, value, count):
        for i in range(count):
            self.acc |= ((value >> i) & 1) << self.n
            self.n += 1
            if self.n == 8:
                self.out.append(self.acc)
                self.acc, self.n = 0, 0

    def huffman(self, code, length):
        """Huffman codes are packed starting with their most significant bit."""
        for i in range(length - 1, -1, -1):
            self.bits((code >> i) & 1, 1)

    def flush(self):
        if self.n:
            self.out.append(self.acc)
            self.acc, self.n = 0, 0
        return bytes(self.out)


def deflate_fixed(data):
    """A DEFLATE stream (RFC 1951) of one final block with the fixed Huffman codes, literals
    only: written here rather than with zlib.compress so that the bytes do not depend on the
    zlib build, and still nothing of the plain text shows in them (codes are not byte
    aligned)."""
    w = BitWriter()
    w.bits(1, 1)            # BFINAL
    w.bits(1, 2)            # BTYPE 01: fixed Huffman codes
    for b in data:
        if b < 144:
            w.huffman(0x30 + b, 8)
        else:
            w.huffman(0x190 + b - 144, 9)
    w.huffman(0, 7)         # end of block (256)
    return w.flush()


def gzip_fixed(data):
    """RFC 1952 member: no name, mtime 0, OS 255 (unknown)."""
    import zlib
    out = (b'\x1f\x8b\x08\x00' + struct.pack('<I', 0) + b'\x00\xff' + deflate_fixed(data) +
           struct.pack('<II', zlib.crc32(data), len(data) & 0xffffffff))
    assert zlib.decompress(out, 16 + 15) == data
    return out


def zlib_fixed(data):
    """RFC 1950 stream, as 'Content-Encoding: deflate' means by the letter of RFC 9110."""
    import zlib
    out = b'\x78\x01' + deflate_fixed(data) + struct.pack('>I', zlib.adler32(data))
    assert zlib.decompress(out) == data
    return out


# brotli.compress(BR_JSON, quality=11) with Brotli 1.0.9, kept as bytes so that the capture does
# not depend on the encoder's version; checked against the decoder when python3-brotli is there.
BR_JSON = (b'{"adid":"cdda802e-fb9c-47ad-9b8e-3d9c5a4b1f20","screen":"home",'
           b'"events":["open","open","open"]}')
BR_BODY = bytes.fromhex(
    '1b5e00e01c0776acb15e3c194ee7d55e1ff4cef9ca9f0ff437d6283d95e4b5b064d1e902879c801fbf28b4'
    '00bc4a7cee08fd224a8addc6b19b5eb6de9079ee63535e4facec773410488c0143e9a35ce0')


def brotli_check():
    try:
        import brotli
    except ImportError:
        return
    assert brotli.decompress(BR_BODY) == BR_JSON


def http_post(path, host, body, ctype, extra=()):
    head = 'POST %s HTTP/1.1\r\nHost: %s\r\n' % (path, host)
    for name, value in extra:
        head += '%s: %s\r\n' % (name, value)
    head += 'Content-Type: %s\r\nContent-Length: %d\r\n\r\n' % (ctype, len(body))
    return head.encode() + body


def http_get(target, host, extra=()):
    head = 'GET %s HTTP/1.1\r\nHost: %s\r\n' % (target, host)
    for name, value in extra:
        head += '%s: %s\r\n' % (name, value)
    return (head + '\r\n').encode()


HTTP_NO_CONTENT = b'HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n'

# The Nokia 7 Plus: documentation MACs (RFC 7042), so nothing here names a real device.
NOKIA_MAC = '00:00:5e:00:53:10'
NOKIA2_MAC = '00:00:5e:00:53:11'
ZZHC_NAME = 'zzhc.vnet.cn'
ZZHC = server('203.0.113.126')
NOKIA_IMEI = luhn_complete('35391810462715')          # TAC 35391810 (BABT)
NOKIA_IMEI2 = luhn_complete('35391810462723')
# China Telecom ICCID 8986 03..; sent with the check digit dropped
NOKIA_ICCID_FULL = luhn_complete('8986031847204518362')
NOKIA_ICCID = NOKIA_ICCID_FULL[:19]
NOKIA_ICCID2 = luhn_complete('8986011957306284915')   # China Unicom, sent whole (20 digits)
NOKIA_IMSI = '460110937204561'                         # MCC 460 MNC 11 (China Telecom LTE)
NOKIA_CDMA_IMSI = '460036598732104'                    # MNC 03 (China Telecom CDMA)
NOKIA_IMSI2 = '460015827364091'                        # MNC 01 (China Unicom)

ZZHC_V2 = [('REGVER', '2'), ('MEID', NOKIA_IMEI), ('MODEL', 'TA-1046'),
           ('SWVER', '00CN_2_180'), ('SIM1ICCID', NOKIA_ICCID), ('SIM1LTEIMSI', NOKIA_IMSI)]


def zzhc_v5(mac):
    """Qualcomm's client, REGVER 5.0: 29 fields, the Wi-Fi MAC as MACID in upper case."""
    return [('REGVER', '5.0'), ('MEID', NOKIA_IMEI), ('MODEL', 'TA-1046'),
            ('SWVER', '00CN_2_180'), ('SIM1CDMAIMSI', NOKIA_CDMA_IMSI), ('SIM2CDMAIMSI', ''),
            ('UETYPE', '1'), ('SIM1ICCID', NOKIA_ICCID), ('SIM2ICCID', NOKIA_ICCID2),
            ('SIM1LTEIMSI', NOKIA_IMSI), ('SIM2LTEIMSI', NOKIA_IMSI2), ('SIM1TYPE', '2'),
            ('SIM2TYPE', '1'), ('DATASIM', '1'), ('SID', '13824'), ('NID', '1'),
            ('MACID', mac.upper()), ('SIM1CELLID', '123456789'), ('SIM2CELLID', ''),
            ('MANUFACTURE', 'HMD Global'), ('OSVER', '9'), ('HWVER', '1.0'),
            ('SIM1VOLTESW', '1'), ('SIM2VOLTESW', '0'), ('ACCESSTYPE', '2'),
            ('REGDATE', '2019-03-01 08:15:42'), ('IMEI1', NOKIA_IMEI), ('IMEI2', NOKIA_IMEI2),
            ('BASEID', '4321')]


def zzhc_body(fields):
    """The registration body: base64 of compact JSON, no encryption despite its label."""
    import base64
    js = '{' + ','.join('"%s":"%s"' % kv for kv in fields) + '}'
    return base64.b64encode(js.encode())


def zzhc_head(body_len=None, chunked=False, coding=None):
    h = ('POST / HTTP/1.1\r\nHost: %s:9999\r\nUser-Agent: zzhc/1.0.0\r\n'
         'Content-Type: application/encrypted-json\r\nConnection: Keep-Alive\r\n' % ZZHC_NAME)
    if coding:
        h += 'Content-Encoding: %s\r\n' % coding
    if chunked:
        h += 'Transfer-Encoding: chunked\r\n'
    else:
        h += 'Content-Length: %d\r\n' % body_len
    return (h + '\r\n').encode()


def zzhc_exchange(t, phone, cport, isn, body, gap_us=None):
    """DNS for zzhc.vnet.cn, then one connection carrying the registration in one segment."""
    dns_exchange(t, phone, cport + 1000, RESOLVER, isn & 0xffff, ZZHC_NAME, 'A',
                 [(ZZHC_NAME, 'A', 600, ZZHC.ip)], latency_us=gap_us or 12000)
    c = TcpConn(t, phone, cport, ZZHC, 9999, isn, isn + 7000)
    c.handshake()
    c.send(True, zzhc_head(len(body)) + body)
    c.ack(False)
    c.send(False, b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 17\r\n'
           b'\r\n{"resultCode":0}\n')
    c.ack(True)
    c.close()


def case_leak_zzhc_v2():
    """The Nokia 7 Plus registration, REGVER 2, with no configuration at all: DNS answer for
    zzhc.vnet.cn, then POST / to port 9999 (User-Agent zzhc/1.0.0, Content-Type
    application/encrypted-json) whose body is base64 of {"REGVER":"2","MEID":<IMEI>,
    "MODEL":"TA-1046","SWVER":...,"SIM1ICCID":<19 digits, check digit dropped>,
    "SIM1LTEIMSI":<IMSI 46011...>}; the server answers 200."""
    t = Trace(T0 + 2000)
    zzhc_exchange(t, Host(NOKIA_MAC, '192.0.2.30'), 50200, 200000, zzhc_body(ZZHC_V2))
    return t.frames


def case_leak_zzhc_v5():
    """Qualcomm's richer registration (REGVER 5.0, 29 fields) with no configuration: IMEI under
    MEID and again under IMEI1, a second IMEI under IMEI2, two SIMs (SIM1ICCID 19 digits,
    SIM2ICCID 20 digits Luhn-valid), three IMSIs (SIM1CDMAIMSI, SIM1LTEIMSI, SIM2LTEIMSI), the
    phone's own Wi-Fi MAC as MACID in upper case, the serving cell as SIM1CELLID with CDMA
    SID/NID/BASEID, ACCESSTYPE, REGDATE and empty SIM2 fields."""
    t = Trace(T0 + 2100)
    zzhc_exchange(t, Host(NOKIA_MAC, '192.0.2.30'), 50210, 210000, zzhc_body(zzhc_v5(NOKIA_MAC)))
    return t.frames


def case_leak_zzhc_repeat():
    """The REGVER 2 registration sent three times, each on its own connection, 60 s apart (boot,
    screen-on, unlock), each after its own DNS lookup."""
    t = Trace(T0 + 2200)
    phone = Host(NOKIA_MAC, '192.0.2.30')
    body = zzhc_body(ZZHC_V2)
    for i in range(3):
        if i:
            t.now += 60 * 1000000
        zzhc_exchange(t, phone, 50220 + i, 220000 + 10000 * i, body)
    return t.frames


def case_leak_zzhc_chunked():
    """The REGVER 5.0 registration with Transfer-Encoding: chunked (chunks of 61 bytes, sizes in
    hex with a chunk extension on the first), the head and body spread over five TCP segments
    cut inside Transfer-Encoding, inside the first and third chunk-size lines and inside the
    base64 of the IMEI; no configuration."""
    t = Trace(T0 + 2300)
    phone = Host(NOKIA_MAC, '192.0.2.30')
    body = zzhc_body(zzhc_v5(NOKIA_MAC))
    dns_exchange(t, phone, 51230, RESOLVER, 0x2301, ZZHC_NAME, 'A',
                 [(ZZHC_NAME, 'A', 600, ZZHC.ip)])
    chunks = [body[i:i + 61] for i in range(0, len(body), 61)]
    framed, where = b'', []      # where[i]: offset in framed of body byte i
    for i, ch in enumerate(chunks):
        framed += b'%x%s\r\n' % (len(ch), b';seq=1' if i == 0 else b'')
        where += range(len(framed), len(framed) + len(ch))
        framed += ch + b'\r\n'
    framed += b'0\r\n\r\n'
    head = zzhc_head(chunked=True)
    stream = head + framed
    # the IMEI's base64 starts about 4/3 of its JSON offset into the body
    js = '{' + ','.join('"%s":"%s"' % kv for kv in zzhc_v5(NOKIA_MAC)) + '}'
    mid = js.find(NOKIA_IMEI) * 4 // 3 + 10
    third = where[122] - 4                # the third chunk's size line: 3d CRLF
    assert framed[third:third + 4] == b'3d\r\n' and where[mid] < third
    cuts = [len(head) - 7, len(head) + 1, len(head) + where[mid], len(head) + third + 1,
            len(stream)]
    c = TcpConn(t, phone, 50230, ZZHC, 9999, 230000, 237000)
    c.handshake()
    prev = 0
    for cut in cuts:
        c.send(True, stream[prev:cut])
        prev = cut
    c.ack(False)
    c.send(False, b'HTTP/1.1 200 OK\r\nContent-Length: 17\r\n\r\n{"resultCode":0}\n')
    c.ack(True)
    return t.frames


def case_leak_zzhc_gzip():
    """The REGVER 2 registration with its base64 body gzip'ed (Content-Encoding: gzip) from a
    second phone; no configuration."""
    t = Trace(T0 + 2400)
    body = gzip_fixed(zzhc_body(ZZHC_V2))
    dns_exchange(t, Host(NOKIA2_MAC, '192.0.2.31'), 51240, RESOLVER, 0x2401, ZZHC_NAME, 'A',
                 [(ZZHC_NAME, 'A', 600, ZZHC.ip)])
    c = TcpConn(t, Host(NOKIA2_MAC, '192.0.2.31'), 50240, ZZHC, 9999, 240000, 247000)
    c.handshake()
    c.send(True, zzhc_head(len(body), coding='gzip') + body)
    c.ack(False)
    c.send(False, b'HTTP/1.1 200 OK\r\nContent-Length: 17\r\n\r\n{"resultCode":0}\n')
    c.ack(True)
    c.close()
    return t.frames


# An Android phone enrolled in cases/leak_known.conf ([device 00:00:5e:00:53:20]).
ANDROID_MAC = '00:00:5e:00:53:20'
K_IMEI = luhn_complete('35299209718304')
K_EMAIL = 'jane.doe@example.org'            # enrolled as Jane.Doe@Example.org
K_ANDROID_ID = '3f9a6c21d4e8b705'
K_AD_ID = 'cdda802e-fb9c-47ad-9b8e-3d9c5a4b1f20'
K_PHONE = '+447700900123'                   # Ofcom's drama range; enrolled as +44 7700 900123
K_ICCID = luhn_complete('8944110068345219876')
# Negatives: a Luhn-valid 15-digit number with a plausible TAC under keys that are not ids
N_LUHN = luhn_complete('35881204937162')
N_TS_MS = '1700003000123'                    # 13-digit millisecond timestamp
N_REQ_HEX = '4bf92f3577b34da6a3ce929d0e0e4736'
N_TRACE16 = '00f067aa0ba902b7'
N_UUID = '6d92078a-8246-4ba4-ae5b-76104861e7dc'
ZERO_UUID = '00000000-0000-0000-0000-000000000000'
PLACEHOLDER_MAC = '02:00:00:00:00:00'
OLD_ANDROID_MAC = '00:00:5e:00:53:21'   # not enrolled
OLD_ANDROID_ID = '9c41e07bd25f3a68'


def digest(name, text, form):
    h = hashlib.new(name, text.encode()).digest()
    if form == 'hex':
        return h.hex()
    if form == 'HEX':
        return h.hex().upper()
    import base64
    return base64.b64encode(h).decode()


def pct(s):
    """Percent-encodes everything but RFC 3986 unreserved characters."""
    return ''.join(c if c.isalnum() or c in '-._~' else '%%%02X' % ord(c) for c in s)


def case_leak_known_http():
    """With cases/leak_known.conf (the phone's IMEI, ICCID, e-mail, phone number, Android ID and
    advertising ID enrolled), nine requests on one keep-alive connection to api.example.com:
    (1) GET with the IMEI in the query beside an order_id holding a Luhn-valid 15-digit number,
    a 13-digit millisecond ts, a random hex request_id and a UUID under session_id;
    (2) GET with the all-zero advertising id (opted out) under gaid, and the Android ID inside
    the User-Agent; (3) GET with the advertising ID in a Cookie and the IMEI in X-Device-Id;
    (4) a form POST with the e-mail and the phone number percent-encoded; (5) a JSON POST
    with the IMEI and ICCID nested, a Luhn-valid number under timestamp and a UUID under
    install_uuid; (6) gzip JSON with the Android ID; (7) deflate (zlib) JSON with the e-mail;
    (8) br JSON with the advertising ID; (9) a JSON POST whose body is cut between two TCP
    segments in the middle of the IMEI (under deviceId). Every request is answered 204."""
    brotli_check()
    t = Trace(T0 + 2500)
    phone = Host(ANDROID_MAC, '192.0.2.40')
    host = 'api.example.com'
    c = TcpConn(t, phone, 50250, server('198.51.100.125'), 80, 250000, 257000)
    c.handshake()
    reqs = [
        http_get('/v1/config?imei=%s&order_id=%s&ts=%s&request_id=%s&session_id=%s'
                 % (K_IMEI, N_LUHN, N_TS_MS, N_REQ_HEX, N_UUID), host),
        http_get('/ads?gaid=%s&placement=home' % ZERO_UUID, host,
                 [('User-Agent', 'okhttp/4.9.3 (Android 13; Pixel 7; id %s)' % K_ANDROID_ID)]),
        http_get('/v1/sync', host, [('Cookie', 'lang=en; gaid=%s; trace=%s' % (K_AD_ID,
                                                                             N_TRACE16)),
                                    ('X-Device-Id', K_IMEI)]),
        http_post('/v1/register', host,
                  ('email=%s&phone=%s&model=Pixel+7' % (pct(K_EMAIL), pct(K_PHONE))).encode(),
                  'application/x-www-form-urlencoded'),
        http_post('/v1/device', host,
                  ('{"device":{"imei":"%s","iccid":"%s","model":"Pixel 7"},"timestamp":%s,'
                   '"sent":%s,"install_uuid":"%s"}' % (K_IMEI, K_ICCID, N_LUHN, N_TS_MS,
                                                        N_UUID)).encode(),
                  'application/json'),
        http_post('/v1/a', host, gzip_fixed(('{"android_id":"%s","ts":%s}'
                                              % (K_ANDROID_ID, N_TS_MS)).encode()),
                  'application/json', [('Content-Encoding', 'gzip')]),
        http_post('/v1/b', host, zlib_fixed(('{"contact":{"email":"%s","name":"Jane"}}'
                                              % K_EMAIL).encode()),
                  'application/json', [('Content-Encoding', 'deflate')]),
        http_post('/v1/c', host, BR_BODY, 'application/json', [('Content-Encoding', 'br')]),
    ]
    for r in reqs:
        c.send(True, r)
        c.send(False, HTTP_NO_CONTENT)
    split = http_post('/v1/event', host,
                      ('{"event":"open","deviceId":"%s","n":1}' % K_IMEI).encode(),
                      'application/json')
    cut = split.find(K_IMEI.encode()) + 7
    c.send(True, split[:cut])
    c.send(True, split[cut:])
    c.send(False, HTTP_NO_CONTENT)
    c.close()
    return t.frames


def b64url(data):
    import base64
    return base64.urlsafe_b64encode(data).decode()


def case_leak_known_hashes():
    """With cases/leak_known.conf, one GET or POST per form on one connection to
    h.example.com: MD5, SHA-1, SHA-256 and SHA-512 of the IMEI and of the (lowercase) e-mail,
    each as hex lower (query h=), hex upper (header X-Hash) and base64 of the digest (JSON
    member h); the IMEI as base64 and as hex (query d=, x=); base64url of the IMEI's SHA-1
    digest without padding (query u=) and of the e-mail's SHA-256 digest in a cookie (uid);
    the e-mail percent-encoded in a
    header (X-User); base64url of a JSON object holding the SHA-256 hex of the e-mail (query
    p=: two layers); the client's own MAC as 00-00-5E-00-53-20 (query wifi=), 00005e005320
    (JSON m), 0000.5e00.5320 (header X-Station) and SHA-1 hex of 00:00:5e:00:53:20 (query
    mh=); and Android's placeholder 02:00:00:00:00:00 percent-encoded under bssid, as
    xiaomi.pcap has it. Every request is answered 204."""
    import base64
    t = Trace(T0 + 2600)
    phone = Host(ANDROID_MAC, '192.0.2.40')
    host = 'h.example.com'
    reqs = []
    for value in (K_IMEI, K_EMAIL):
        for alg in ('md5', 'sha1', 'sha256', 'sha512'):
            reqs.append(http_get('/q?h=%s' % digest(alg, value, 'hex'), host))
            reqs.append(http_get('/q', host, [('X-Hash', digest(alg, value, 'HEX'))]))
            reqs.append(http_post('/j', host, ('{"h":"%s"}' % digest(alg, value, 'b64'))
                                  .encode(), 'application/json'))
    two = b64url(('{"e":"%s","home":"~"}' % digest('sha256', K_EMAIL, 'hex')).encode())
    two = two.rstrip('=')
    assert '-' in two or '_' in two     # so that it is base64url, not plain base64
    reqs += [
        http_get('/q?d=%s' % base64.b64encode(K_IMEI.encode()).decode(), host),
        http_get('/q?x=%s' % K_IMEI.encode().hex(), host),
        http_get('/q?u=%s' % b64url(hashlib.sha1(K_IMEI.encode()).digest()).rstrip('='), host),
        http_get('/q', host, [('Cookie', 'theme=dark; uid=%s' % b64url(
            hashlib.sha256(K_EMAIL.encode()).digest()))]),
        http_get('/q', host, [('X-User', pct(K_EMAIL))]),
        http_get('/q?p=%s' % two, host),
        http_get('/q?wifi=%s' % ANDROID_MAC.upper().replace(':', '-'), host),
        http_post('/j', host, ('{"m":"%s"}' % ANDROID_MAC.replace(':', '')).encode(),
                  'application/json'),
        http_get('/q', host, [('X-Station', '%s.%s.%s' % tuple(
            ANDROID_MAC.replace(':', '')[i:i + 4] for i in (0, 4, 8)))]),
        http_get('/q?mh=%s' % digest('sha1', ANDROID_MAC, 'hex'), host),
        http_get('/q?bssid=%s&ssid=home' % pct(PLACEHOLDER_MAC), host),
    ]
    c = TcpConn(t, phone, 50260, server('198.51.100.126'), 80, 260000, 267000)
    c.handshake()
    for r in reqs:
        c.send(True, r)
        c.send(False, HTTP_NO_CONTENT)
    c.close()
    return t.frames


def case_leak_known_raw():
    """With cases/leak_known.conf, identifiers outside HTTP and traffic that must not count:
    (1) a DNS query for <Android ID>.t.example.net (NXDOMAIN); (2) a binary-framed telemetry
    stream to telemetry.example.net:5555 (not HTTP) carrying the IMEI and the client's own MAC
    in upper case, the same record sent twice in two segments; (3) a UDP datagram to
    discovery.example.net:7777 with the IMEI; (4) HTTP GET /whoami to api.example.com whose
    response carries the client's MAC and IMEI (downstream: no leak), and a UDP reply from the
    discovery server with the MAC (downstream too); (5) a DHCP REQUEST from an older Android
    phone that is not enrolled (00:00:5e:00:53:21) whose host name is android-<its Android ID>.
    """
    t = Trace(T0 + 2700)
    phone = Host(ANDROID_MAC, '192.0.2.40')
    old = Host(OLD_ANDROID_MAC, '0.0.0.0')
    t.udp(old, 68, Host(BROADCAST_MAC, '255.255.255.255'), 67,
          dhcp_message(1, 0x27002700, OLD_ANDROID_MAC, 3,
                       options=[(50, ip_bytes('192.0.2.41')), (54, ip_bytes('192.0.2.1')),
                                (12, b'android-' + OLD_ANDROID_ID.encode()),
                                (60, b'dhcpcd-5.5.6')]))
    qname = '%s.t.example.net' % K_ANDROID_ID
    dns_exchange(t, phone, 51270, RESOLVER, 0x2701, qname, 'A', [], rcode=3)
    dns_exchange(t, phone, 51271, RESOLVER, 0x2702, 'telemetry.example.net', 'A',
                 [('telemetry.example.net', 'A', 300, '203.0.113.127')])
    dns_exchange(t, phone, 51272, RESOLVER, 0x2703, 'discovery.example.net', 'A',
                 [('discovery.example.net', 'A', 300, '203.0.113.128')])
    rec = ('TLM1 dev %s hw %s fw 13.0.1 up 3600\n' % (K_IMEI, ANDROID_MAC.upper())).encode()
    framed = struct.pack('>HH', 0x4c57, len(rec)) + rec
    c = TcpConn(t, phone, 50270, server('203.0.113.127'), 5555, 270000, 277000)
    c.handshake()
    c.send(True, framed)
    c.ack(False)
    c.send(True, framed)
    c.ack(False)
    c.close()
    disc = server('203.0.113.128')
    t.udp(phone, 50271, disc, 7777, b'\x01\x00HELLO imei ' + K_IMEI.encode() + b' model Pixel\n')
    t.udp(disc, 7777, phone, 50271, b'\x02\x00WELCOME mac ' + ANDROID_MAC.encode() + b'\n')
    w = TcpConn(t, phone, 50272, server('198.51.100.125'), 80, 272000, 279000)
    w.handshake()
    w.send(True, http_get('/whoami', 'api.example.com'))
    body = ('{"mac":"%s","imei":"%s"}' % (ANDROID_MAC, K_IMEI)).encode()
    w.send(False, b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n'
           b'\r\n%s' % (len(body), body))
    w.ack(True)
    w.close()
    return t.frames


def case_leak_raw_split():
    """With cases/leak_known.conf, a non-HTTP telemetry stream to telemetry.example.net:5555
    whose first record is cut between two TCP segments seven digits into the IMEI (TCP is a
    byte stream: where it is cut is the sender's business), then a record in one segment with
    the e-mail."""
    t = Trace(T0 + 2800)
    phone = Host(ANDROID_MAC, '192.0.2.40')
    dns_exchange(t, phone, 51280, RESOLVER, 0x2801, 'telemetry.example.net', 'A',
                 [('telemetry.example.net', 'A', 300, '203.0.113.127')])
    rec1 = ('TLM1 dev %s fw 13.0.1 up 7200\n' % K_IMEI).encode()
    rec2 = ('TLM1 acct %s sync 1\n' % K_EMAIL).encode()
    stream = (struct.pack('>HH', 0x4c57, len(rec1)) + rec1 +
              struct.pack('>HH', 0x4c57, len(rec2)) + rec2)
    cut, end1 = stream.find(K_IMEI.encode()) + 7, 4 + len(rec1)
    c = TcpConn(t, phone, 50280, server('203.0.113.127'), 5555, 280000, 287000)
    c.handshake()
    for seg in (stream[:cut], stream[cut:end1], stream[end1:]):
        c.send(True, seg)
        c.ack(False)
    c.close()
    return t.frames


def case_hostile():
    """A hostile client (CLIENT_B) on the LAN against a victim (CLIENT_A). The victim asks the
    resolver for bank.example; before the resolver's answer the attacker sends one with the
    resolver's address, the victim's port and the right id, from its own MAC, naming its own
    server; then the real answer. The attacker also sends an answer nobody asked for naming
    tracker.example, an answer travelling towards the resolver, and a DHCP REQUEST from its own
    MAC whose chaddr is the victim's, with the host name "pwned"."""
    t = Trace(T0 + 1500)
    forger = Host(RANDOM_MAC, RESOLVER.ip)  # the resolver's address, the attacker's MAC
    victim_dst = Host(APPLE_MAC, CLIENT_A.ip)
    t.udp(CLIENT_A, 40100, RESOLVER, 53, dns_message(0x1111, 'bank.example', 'A'))
    t.udp(forger, 53, victim_dst, 40100,
          dns_message(0x1111, 'bank.example', 'A', True,
                      [('bank.example', 'A', 86400, '203.0.113.66')]))
    t.udp(RESOLVER, 53, CLIENT_A, 40100,
          dns_message(0x1111, 'bank.example', 'A', True,
                      [('bank.example', 'A', 300, '198.51.100.70')]), gap_us=12000)
    t.udp(forger, 53, victim_dst, 40200,
          dns_message(0x2222, 'tracker.example', 'A', True,
                      [('tracker.example', 'A', 86400, '198.51.100.53'),
                       ('tracker.example', 'A', 86400, '198.51.100.80')]))
    t.udp(CLIENT_B, 5000, RESOLVER, 53,
          dns_message(0x3333, 'upward.example', 'A', True,
                      [('upward.example', 'A', 60, '198.51.100.90')]))
    bcast = Host(BROADCAST_MAC, '255.255.255.255')
    t.udp(Host(RANDOM_MAC, '0.0.0.0'), 68, bcast, 67,
          dhcp_message(1, 0x0bad0bad, APPLE_MAC, 3,
                       options=[(50, ip_bytes('192.0.2.10')), (12, b'pwned')]))
    # the victim then connects to its bank: the flow is named from the real answer only
    c = TcpConn(t, CLIENT_A, 40101, server('198.51.100.70'), 443, 300000, 400000)
    c.handshake()
    return t.frames


CASES = {
    'hostile': (case_hostile, 'pcap'),
    'dns_http': (case_dns_http, 'pcap'),
    'pcapng': (case_pcapng, 'pcapng'),
    'tls_sni_split': (case_tls_sni_split, 'pcap'),
    'dns_only_name': (case_dns_only_name, 'pcap'),
    'quic_v1': (case_quic_v1, 'pcap'),
    'dhcp': (case_dhcp, 'pcap'),
    'vlan': (case_vlan, 'pcap'),
    'ipv6': (case_ipv6, 'pcap'),
    'ipv4_fragments': (case_ipv4_fragments, 'pcap'),
    'tcp_reorder': (case_tcp_reorder, 'pcap'),
    'two_clients': (case_two_clients, 'pcap'),
    'lan_prefix': (case_lan_prefix, 'pcap'),
    'tcp_midflow': (case_tcp_midflow, 'pcap'),
    'empty': (case_empty, 'pcap'),
    'leak_zzhc_v2': (case_leak_zzhc_v2, 'pcap'),
    'leak_zzhc_v5': (case_leak_zzhc_v5, 'pcap'),
    'leak_zzhc_repeat': (case_leak_zzhc_repeat, 'pcap'),
    'leak_zzhc_chunked': (case_leak_zzhc_chunked, 'pcap'),
    'leak_zzhc_gzip': (case_leak_zzhc_gzip, 'pcap'),
    'leak_known_http': (case_leak_known_http, 'pcap'),
    'leak_known_hashes': (case_leak_known_hashes, 'pcap'),
    'leak_known_raw': (case_leak_known_raw, 'pcap'),
    'leak_raw_split': (case_leak_raw_split, 'pcap'),
    # dns_http's traffic again, read with [database] dns_flows = rows (the DNS flows as rows)
    'dns_flows_rows': (case_dns_http, 'pcap'),
}

# Cases built in other modules of this directory, one per area, each with a CASES dict of the
# same shape made with this module's helpers (`import gen_captures as g`).  Imported when first
# asked for, so that they can import this one.
AREA_MODULES = ('gen_body', 'gen_sip', 'gen_names', 'gen_tunnels')


def all_cases():
    """Every case: this module's CASES and the area modules'."""
    import importlib
    sys.modules.setdefault('gen_captures', sys.modules[__name__])
    cases = dict(CASES)
    for m in AREA_MODULES:
        for name, v in importlib.import_module(m).CASES.items():
            if name in cases:
                raise SystemExit('case %s is defined twice (%s)' % (name, m))
            cases[name] = v
    return cases


# Broken inputs for the error cases (derived deterministically from the cases above).


def err_truncated():
    """dns_http cut in the middle of its third packet record."""
    data = pcap_bytes(case_dns_http())
    off = 24
    for _ in range(2):
        off += 16 + struct.unpack('<I', data[off + 8:off + 12])[0]
    return data[:off + 16 + 20]


def err_short_header():
    """The first 12 bytes of a pcap global header."""
    return pcap_bytes([])[:12]


def err_text():
    return b'This is a text file, not a capture.\nIt only has a .pcap name.\n'


ERROR_INPUTS = {
    'error_truncated': (err_truncated, 'pcap'),
    'error_short_header': (err_short_header, 'pcap'),
    'error_text': (err_text, 'pcap'),
}


def build(name):
    """Returns (file name, bytes) of a case or an error input."""
    cases = all_cases()
    if name in cases:
        fn, fmt = cases[name]
        frames = fn()
        data = pcapng_bytes(frames) if fmt == 'pcapng' else pcap_bytes(frames)
        return name + '.' + fmt, data
    fn, fmt = ERROR_INPUTS[name]
    return name + '.' + fmt, fn()


def all_names():
    return list(all_cases()) + list(ERROR_INPUTS)


def describe(name):
    """Prints each frame's time and a short decode, to review a case by eye."""
    fn, _ = all_cases()[name]
    print(fn.__doc__.strip() if fn.__doc__ else '')
    for ts, f in fn():
        pos, tags = 12, []
        et = struct.unpack('>H', f[pos:pos + 2])[0]
        while et in (ETH_8021Q, ETH_8021AD):
            tags.append(struct.unpack('>H', f[pos + 2:pos + 4])[0] & 0xfff)
            pos += 4
            et = struct.unpack('>H', f[pos:pos + 2])[0]
        p = f[pos + 2:]
        src_mac = ':'.join('%02x' % b for b in f[6:12])
        line = '%d.%06d %s' % (ts // 1000000, ts % 1000000, src_mac)
        if tags:
            line += ' vlan%s' % tags
        if et == ETH_IPV4:
            ihl = (p[0] & 15) * 4
            fo = struct.unpack('>H', p[6:8])[0]
            s, d = ipaddress.ip_address(p[12:16]), ipaddress.ip_address(p[16:20])
            proto, l4 = p[9], p[ihl:struct.unpack('>H', p[2:4])[0]]
            if fo & 0x3fff:
                print(line, 'IPv4 frag %s > %s off %d%s len %d' % (
                    s, d, (fo & 0x1fff) * 8, ' MF' if fo & 0x2000 else '', len(l4)))
                continue
        elif et == ETH_IPV6:
            s, d = ipaddress.ip_address(p[8:24]), ipaddress.ip_address(p[24:40])
            proto, l4 = p[6], p[40:]
            while proto in (0, 60, 43):
                proto, l4 = l4[0], l4[(l4[1] + 1) * 8:]
        else:
            print(line, 'ethertype %04x' % et)
            continue
        if proto == IP_TCP:
            sp, dp, seq, ack, off, fl = struct.unpack('>HHIIBB', l4[:14])
            data = l4[(off >> 4) * 4:]
            flags = ''.join(c for c, b in zip('FSRPA', (1, 2, 4, 8, 16)) if fl & b)
            print(line, 'TCP %s:%d > %s:%d %s seq %d ack %d len %d %r' % (
                s, sp, d, dp, flags, seq, ack, len(data), data[:24]))
        elif proto == IP_UDP:
            sp, dp = struct.unpack('>HH', l4[:4])
            print(line, 'UDP %s:%d > %s:%d len %d' % (s, sp, d, dp, len(l4) - 8))
        else:
            print(line, 'IP proto %d %s > %s' % (proto, s, d))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--out', help='directory to write into')
    ap.add_argument('--list', action='store_true', help='print the case names')
    ap.add_argument('--describe', metavar='CASE', help='print a summary of a case')
    ap.add_argument('names', nargs='*', help='cases / error inputs to write (default: all)')
    a = ap.parse_args()
    if a.list:
        print('\n'.join(all_names()))
        return 0
    if a.describe:
        describe(a.describe)
        return 0
    if not a.out:
        ap.error('--out is required')
    names = a.names or all_names()
    cases = all_cases()
    unknown = [n for n in names if n not in cases and n not in ERROR_INPUTS]
    if unknown:
        ap.error('unknown case(s): ' + ' '.join(unknown))
    os.makedirs(a.out, exist_ok=True)
    for n in names:
        fname, data = build(n)
        with open(os.path.join(a.out, fname), 'wb') as f:
            f.write(data)
    return 0


if __name__ == '__main__':
    sys.exit(main())
