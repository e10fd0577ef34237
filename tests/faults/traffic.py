# SPDX-License-Identifier: MIT
"""Generated traffic for the fault and limit tests: Ethernet frames built with struct, written
to a pcap file or sent on an interface (AF_PACKET).  Documentation addresses only: clients in
192.0.2.0/24, servers in 198.51.100.0/24 and 203.0.113.0/24, names under example.com."""

import socket
import struct

CLIENT_MAC = bytes.fromhex('3c22fb123456')
ROUTER_MAC = bytes.fromhex('00005e005301')  # RFC 7042 documentation MAC
CLIENT_IP = bytes([192, 0, 2, 10])
DNS_IP = bytes([198, 51, 100, 53])
SERVER_IP = bytes([203, 0, 113, 20])


def csum(data):
    if len(data) % 2:
        data += b'\0'
    s = sum(struct.unpack('>%dH' % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def ether(src, dst, etype, payload):
    return dst + src + struct.pack('>H', etype) + payload


def ipv4(src, dst, proto, payload, ident=0, frag=0, mf=False):
    flags = (0x2000 if mf else 0) | (frag // 8)
    hdr = struct.pack('>BBHHHBBH4s4s', 0x45, 0, 20 + len(payload), ident & 0xffff, flags, 64,
                      proto, 0, src, dst)
    hdr = hdr[:10] + struct.pack('>H', csum(hdr)) + hdr[12:]
    return hdr + payload


def udp(sport, dport, payload):
    return struct.pack('>HHHH', sport, dport, 8 + len(payload), 0) + payload


def tcp(sport, dport, seq, ack, flags, payload=b''):
    return struct.pack('>HHIIBBHHH', sport, dport, seq & 0xffffffff, ack & 0xffffffff, 5 << 4,
                       flags, 65535, 0, 0) + payload


def up(l4proto, l4, src_ip=CLIENT_IP, dst_ip=DNS_IP, mac=CLIENT_MAC):
    return ether(mac, ROUTER_MAC, 0x0800, ipv4(src_ip, dst_ip, l4proto, l4))


def down(l4proto, l4, src_ip=DNS_IP, dst_ip=CLIENT_IP, mac=CLIENT_MAC):
    return ether(ROUTER_MAC, mac, 0x0800, ipv4(src_ip, dst_ip, l4proto, l4))


def dns_name(name):
    out = b''
    for label in name.split('.'):
        out += bytes([len(label)]) + label.encode()
    return out + b'\0'


def dns_query(qid, name, qtype=1):
    return struct.pack('>HHHHHH', qid, 0x0100, 1, 0, 0, 0) + dns_name(name) + \
        struct.pack('>HH', qtype, 1)


def dns_answer(qid, name, addr, ttl=300):
    return struct.pack('>HHHHHH', qid, 0x8180, 1, 1, 0, 0) + dns_name(name) + \
        struct.pack('>HH', 1, 1) + b'\xc0\x0c' + struct.pack('>HHIH', 1, 1, ttl, 4) + addr


def dns_transaction(i, mac=CLIENT_MAC, client_ip=CLIENT_IP):
    """Query and answer for q<i>.example.com: the daemon writes one dns row for the pair."""
    name = 'q%d.example.com' % i
    sport = 1024 + i % 60000
    qid = i & 0xffff
    addr = bytes([203, 0, 113, 1 + i % 250])
    return [up(17, udp(sport, 53, dns_query(qid, name)), src_ip=client_ip, mac=mac),
            down(17, udp(53, sport, dns_answer(qid, name, addr)), dst_ip=client_ip, mac=mac)]


def dns_transactions(start, n):
    return [fr for i in range(start, start + n) for fr in dns_transaction(i)]


def pcap(frames, t0=1700000000.0, step=0.001):
    """Classic pcap bytes; frames are timed t0, t0 + step, ..."""
    out = [struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 262144, 1)]
    for n, fr in enumerate(frames):
        ts = int(round((t0 + n * step) * 1e6))
        out.append(struct.pack('<IIII', ts // 1000000, ts % 1000000, len(fr), len(fr)))
        out.append(fr)
    return b''.join(out)


def write_pcap(path, frames, **kw):
    with open(path, 'wb') as f:
        f.write(pcap(frames, **kw))


class Sender:
    """Sends raw Ethernet frames on an interface (root, inside the test's namespace)."""

    def __init__(self, ifname):
        self.sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
        self.sock.bind((ifname, 0))
        self.sent = 0

    def send(self, frames):
        for fr in frames:
            self.sock.send(fr)
            self.sent += 1

    def close(self):
        self.sock.close()


class Tcp:
    """One client TCP connection: handshake, then data segments at chosen offsets."""

    def __init__(self, sport, dst_ip=SERVER_IP, dport=80, mac=CLIENT_MAC, client_ip=CLIENT_IP,
                 isn=1000):
        self.sport, self.dst_ip, self.dport, self.mac, self.client_ip = \
            sport, dst_ip, dport, mac, client_ip
        self.isn = isn

    def up(self, seq_off, flags, payload=b''):
        return up(6, tcp(self.sport, self.dport, self.isn + seq_off, 5001, flags, payload),
                  src_ip=self.client_ip, dst_ip=self.dst_ip, mac=self.mac)

    def down(self, flags):
        return down(6, tcp(self.dport, self.sport, 5000, self.isn + 1, flags),
                    src_ip=self.dst_ip, dst_ip=self.client_ip, mac=self.mac)

    def open(self):
        return [self.up(0, 0x02), self.down(0x12), self.up(1, 0x10)]

    def send(self, data, at=0, mss=1400):
        """Data from stream offset 'at' (0 = first byte after the SYN), in mss pieces."""
        return [self.up(1 + at + i, 0x18, data[i:i + mss]) for i in range(0, len(data), mss)]

    def close(self, at):
        return [self.up(1 + at, 0x11), self.down(0x11)]


def udp_fragments(src_ip, dst_ip, sport, dport, payload, ident, size, mac=CLIENT_MAC):
    """A UDP datagram cut into IPv4 fragments of 'size' bytes (a multiple of 8)."""
    l4 = udp(sport, dport, payload)
    out = []
    for off in range(0, len(l4), size):
        piece = l4[off:off + size]
        out.append(ether(mac, ROUTER_MAC, 0x0800,
                         ipv4(src_ip, dst_ip, 17, piece, ident=ident, frag=off,
                              mf=off + size < len(l4))))
    return out


def dns_pointer_chain_answer(qid, name, addr, hops):
    """A response whose answer owner name is reached through 'hops' compression pointers.

    The question name sits at offset 12; a first answer (type NULL) carries the chain in its
    RDATA: each pointer points at the one before, the first at the question name.  The second
    answer (an A record for the name) is named by a pointer to the last of the chain."""
    head = struct.pack('>HHHHHH', qid, 0x8180, 1, 2, 0, 0)
    question = dns_name(name) + struct.pack('>HH', 1, 1)
    msg = head + question
    # answer 1: owner = pointer to the question, NULL record holding the chain
    rdata_at = len(msg) + 2 + 10
    chain, prev = b'', 12
    for k in range(hops - 1):
        chain += struct.pack('>H', 0xc000 | prev)
        prev = rdata_at + 2 * k
    msg += b'\xc0\x0c' + struct.pack('>HHIH', 10, 1, 60, len(chain)) + chain
    msg += struct.pack('>H', 0xc000 | prev) + struct.pack('>HHIH', 1, 1, 60, 4) + addr
    return msg


def tls_client_hello(sni, n_extensions):
    """A TLS record with a ClientHello carrying server_name and n_extensions - 1 empty others."""
    host = sni.encode()
    exts = struct.pack('>HH', 0, len(host) + 5) + struct.pack('>HBH', len(host) + 3, 0,
                                                               len(host)) + host
    for i in range(n_extensions - 1):
        exts += struct.pack('>HH', 0xfe20 + i, 0)
    body = b'\x03\x03' + bytes(32) + b'\x00' + b'\x00\x02\x13\x01' + b'\x01\x00' + \
        struct.pack('>H', len(exts)) + exts
    hs = b'\x01' + struct.pack('>I', len(body))[1:] + body
    return b'\x16\x03\x01' + struct.pack('>H', len(hs)) + hs
