#!/usr/bin/env python3
"""Sends the Ethernet frames of a classic pcap out of an interface (AF_PACKET), as a phone on
the AP would, and prints the wall time (seconds since the epoch) just before the first frame
that carries an HTTP request was sent: when a leak in it could first be seen.

  inject.py IFACE CAPTURE [--mac OLD=NEW]   (--mac: the phone's MAC replaced in the headers)
"""
import socket
import struct
import sys
import time


def frames(path):
    with open(path, "rb") as f:
        head = f.read(24)
        magic = struct.unpack("<I", head[:4])[0]
        if magic not in (0xA1B2C3D4, 0xA1B23C4D):
            sys.exit(f"{path}: not a little-endian classic pcap")
        if struct.unpack("<I", head[20:24])[0] != 1:
            sys.exit(f"{path}: not Ethernet")
        while True:
            rec = f.read(16)
            if len(rec) < 16:
                return
            incl = struct.unpack("<IIII", rec)[2]
            yield f.read(incl)


def main():
    iface, path = sys.argv[1], sys.argv[2]
    old = new = None
    if len(sys.argv) > 4 and sys.argv[3] == "--mac":
        a, b = sys.argv[4].split("=")
        old, new = bytes.fromhex(a.replace(":", "")), bytes.fromhex(b.replace(":", ""))
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((iface, 0))
    sent_at = None
    for fr in frames(path):
        if old:
            fr = fr[:12].replace(old, new) + fr[12:]
        if sent_at is None and (b"POST " in fr or b"GET " in fr):
            sent_at = time.time()
        s.send(fr)
        time.sleep(0.001)
    print(f"{sent_at if sent_at else time.time():.6f}")


main()
