#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""DNS traffic for the hostile-device lab tests (stdlib only).

  dns_tools.py flood SERVER SUFFIX SECONDS [RATE]
      sends A queries for <counter>.SUFFIX to SERVER:53 for SECONDS, RATE a second (default:
      as fast as one process can), reading (and discarding) the answers; prints "sent N
      answered M"
  dns_tools.py lookups SERVER NAME COUNT INTERVAL_S TIMEOUT_S
      COUNT lookups of NAME (fresh query id each), one every INTERVAL_S; prints one line per
      lookup: the milliseconds until the answer, or "timeout"; then "p50 X p99 Y max Z lost L"
      (the percentiles over the answered ones; L lookups got no answer within TIMEOUT_S)
  dns_tools.py connect ADDR PORT HOST TIMEOUT_S
      a new TCP connection sending an HTTP request head for HOST (the start a connection hold
      reads): prints the milliseconds until the server's first bytes, or "fail"
  dns_tools.py notify SOCKET SECONDS
      a NOTIFY_SOCKET (datagram, AF_UNIX) for SECONDS: prints "<monotonic seconds> <line>" per
      line of each message the daemon sends (READY=1, WATCHDOG=1, ...)
"""
import os
import random
import select
import socket
import struct
import sys
import time


def query(name, qid):
    q = struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0)
    for label in name.rstrip(".").split("."):
        q += bytes([len(label)]) + label.encode()
    return q + b"\0" + struct.pack("!HH", 1, 1)


def flood(server, suffix, seconds, rate):
    socks = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(4)]
    for s in socks:
        s.setblocking(False)
        s.connect((server, 53))
    start = time.monotonic()
    end = start + seconds
    sent = answered = i = 0
    while True:
        now = time.monotonic()
        if now >= end:
            break
        if rate and sent > (now - start) * rate:
            time.sleep(0.001)
            continue
        for s in socks:
            i += 1
            try:
                s.send(query(f"f{i}.{suffix}", i & 0xFFFF))
                sent += 1
            except (BlockingIOError, ConnectionRefusedError):
                pass
            try:
                while s.recv(2048):
                    answered += 1
            except (BlockingIOError, ConnectionRefusedError):
                pass
    print(f"sent {sent} answered {answered}")


def pct(vals, p):
    if not vals:
        return float("nan")
    vals = sorted(vals)
    return vals[min(len(vals) - 1, int(round(p / 100 * (len(vals) - 1))))]


def lookups(server, name, count, interval, timeout):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.connect((server, 53))
    times, lost = [], 0
    for _ in range(count):
        qid = random.randrange(1, 0xFFFF)
        t0 = time.monotonic()
        s.send(query(name, qid))
        got = None
        while True:
            left = t0 + timeout - time.monotonic()
            if left <= 0:
                break
            r, _, _ = select.select([s], [], [], left)
            if not r:
                break
            try:
                d = s.recv(2048)
            except ConnectionRefusedError:
                continue
            if len(d) >= 2 and struct.unpack("!H", d[:2])[0] == qid:
                got = (time.monotonic() - t0) * 1000
                break
        if got is None:
            lost += 1
            print("timeout")
        else:
            times.append(got)
            print(f"{got:.2f}")
        sys.stdout.flush()
        time.sleep(interval)
    print(f"p50 {pct(times, 50):.1f} p99 {pct(times, 99):.1f} "
          f"max {max(times) if times else float('nan'):.1f} lost {lost}")


def notify(path, seconds):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    s.bind(path)
    end = time.monotonic() + seconds
    while True:
        left = end - time.monotonic()
        if left <= 0:
            break
        r, _, _ = select.select([s], [], [], left)
        if not r:
            continue
        msg = s.recv(4096).decode(errors="replace")
        for line in msg.splitlines():
            print(f"{time.monotonic():.3f} {line}", flush=True)


def connect(addr, port, host, timeout):
    t0 = time.monotonic()
    try:
        with socket.create_connection((addr, port), timeout=timeout) as c:
            c.settimeout(max(0.001, t0 + timeout - time.monotonic()))
            c.sendall(f"GET / HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
            if not c.recv(64):
                raise OSError("closed")
    except OSError:
        print("fail")
        return
    print(f"{(time.monotonic() - t0) * 1000:.1f}")


def main():
    cmd = sys.argv[1]
    if cmd == "flood":
        flood(sys.argv[2], sys.argv[3], float(sys.argv[4]),
              float(sys.argv[5]) if len(sys.argv) > 5 else 0)
    elif cmd == "lookups":
        lookups(sys.argv[2], sys.argv[3], int(sys.argv[4]), float(sys.argv[5]),
                float(sys.argv[6]))
    elif cmd == "connect":
        connect(sys.argv[2], int(sys.argv[3]), sys.argv[4], float(sys.argv[5]))
    elif cmd == "notify":
        notify(sys.argv[2], float(sys.argv[3]))
    else:
        sys.exit("usage: see the module's docstring")


if __name__ == "__main__":
    main()
