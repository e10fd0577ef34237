#!/usr/bin/env python3
"""Clients for the blocking lab tests (run inside a phone's namespace).

  block_client.py hello ADDR PORT SNI [split]
      Connects to ADDR:PORT (no DNS), sends a real TLS ClientHello (OpenSSL's) naming SNI,
      in one segment or split in two, and prints how many bytes came back within 1 s
      (0 when nothing did, or the connection could not be made).
  block_client.py quic ADDR PORT
      Sends the RFC 9001 A.2 client Initial (SNI example.com) and prints the bytes back.
  block_client.py rounds N SUFFIX PORT TIMEOUT [PREFIX]
      N times: resolve a fresh name rI-<random>.SUFFIX (with PREFIX: PREFIX<I>.SUFFIX, I from
      1), connect to its address at once; prints how many connections were made.
  block_client.py burst N SUFFIX PORT TIMEOUT [PREFIX]
      The same N lookups and connections all at once (one thread each, started together);
      prints how many connections were made.
  block_client.py stream ADDR PORT SECONDS
      One connection kept open for SECONDS, sending a line every 0.1 s; prints the Unix time
      of each reply that comes back, one a line.
"""
import os
import socket
import ssl
import sys
import threading
import time

RFC9001_A2 = bytes.fromhex(
    "c000000001088394c8f03e5157080000449e7b9aec34d1b1c98dd7689fb8ec11"
    "d242b123dc9bd8bab936b47d92ec356c0bab7df5976d27cd449f63300099f399"
    "1c260ec4c60d17b31f8429157bb35a1282a643a8d2262cad67500cadb8e7378c"
    "8eb7539ec4d4905fed1bee1fc8aafba17c750e2c7ace01e6005f80fcb7df6212"
    "30c83711b39343fa028cea7f7fb5ff89eac2308249a02252155e2347b63d58c5"
    "457afd84d05dfffdb20392844ae812154682e9cf012f9021a6f0be17ddd0c208"
    "4dce25ff9b06cde535d0f920a2db1bf362c23e596d11a4f5a6cf3948838a3aec"
    "4e15daf8500a6ef69ec4e3feb6b1d98e610ac8b7ec3faf6ad760b7bad1db4ba3"
    "485e8a94dc250ae3fdb41ed15fb6a8e5eba0fc3dd60bc8e30c5c4287e53805db"
    "059ae0648db2f64264ed5e39be2e20d82df566da8dd5998ccabdae053060ae6c"
    "7b4378e846d29f37ed7b4ea9ec5d82e7961b7f25a9323851f681d582363aa5f8"
    "9937f5a67258bf63ad6f1a0b1d96dbd4faddfcefc5266ba6611722395c906556"
    "be52afe3f565636ad1b17d508b73d8743eeb524be22b3dcbc2c7468d54119c74"
    "68449a13d8e3b95811a198f3491de3e7fe942b330407abf82a4ed7c1b311663a"
    "c69890f4157015853d91e923037c227a33cdd5ec281ca3f79c44546b9d90ca00"
    "f064c99e3dd97911d39fe9c5d0b23a229a234cb36186c4819e8b9c5927726632"
    "291d6a418211cc2962e20fe47feb3edf330f2c603a9d48c0fcb5699dbfe58964"
    "25c5bac4aee82e57a85aaf4e2513e4f05796b07ba2ee47d80506f8d2c25e50fd"
    "14de71e6c418559302f939b0e1abd576f279c4b2e0feb85c1f28ff18f58891ff"
    "ef132eef2fa09346aee33c28eb130ff28f5b766953334113211996d20011a198"
    "e3fc433f9f2541010ae17c1bf202580f6047472fb36857fe843b19f5984009dd"
    "c324044e847a4f4a0ab34f719595de37252d6235365e9b84392b061085349d73"
    "203a4a13e96f5432ec0fd4a1ee65accdd5e3904df54c1da510b0ff20dcc0c77f"
    "cb2c0e0eb605cb0504db87632cf3d8b4dae6e705769d1de354270123cb11450e"
    "fc60ac47683d7b8d0f811365565fd98c4c8eb936bcab8d069fc33bd801b03ade"
    "a2e1fbc5aa463d08ca19896d2bf59a071b851e6c239052172f296bfb5e724047"
    "90a2181014f3b94a4e97d117b438130368cc39dbb2d198065ae3986547926cd2"
    "162f40a29f0c3c8745c0f50fba3852e566d44575c29d39a03f0cda721984b6f4"
    "40591f355e12d439ff150aab7613499dbd49adabc8676eef023b15b65bfc5ca0"
    "6948109f23f350db82123535eb8a7433bdabcb909271a6ecbcb58b936a88cd4e"
    "8f2e6ff5800175f113253d8fa9ca8885c2f552e657dc603f252e1a8e308f76f0"
    "be79e2fb8f5d5fbbe2e30ecadd220723c8c0aea8078cdfcb3868263ff8f09400"
    "54da48781893a7e49ad5aff4af300cd804a6b6279ab3ff3afb64491c85194aab"
    "760d58a606654f9f4400e8b38591356fbf6425aca26dc85244259ff2b19c41b9"
    "f96f3ca9ec1dde434da7d2d392b905ddf3d1f9af93d1af5950bd493f5aa731b4"
    "056df31bd267b6b90a079831aaf579be0a39013137aac6d404f518cfd4684064"
    "7e78bfe706ca4cf5e9c5453e9f7cfd2b8b4c8d169a44e55c88d4a9a7f9474241"
    "e221af44860018ab0856972e194cd934")


def client_hello(sni):
    """The ClientHello OpenSSL would send for sni (from a memory BIO; no socket)."""
    ctx = ssl.create_default_context()
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = ctx.wrap_bio(incoming, outgoing, server_hostname=sni)
    try:
        tls.do_handshake()
    except ssl.SSLWantReadError:
        pass
    return outgoing.read()


def read_back(s, wait):
    got, end = 0, time.monotonic() + wait
    while time.monotonic() < end:
        s.settimeout(max(0.01, end - time.monotonic()))
        try:
            data = s.recv(4096)
        except (socket.timeout, OSError):
            break
        if not data:
            break
        got += len(data)
    return got


def hello(addr, port, sni, split=False):
    hello_bytes = client_hello(sni)
    try:
        s = socket.create_connection((addr, int(port)), timeout=1)
    except OSError:
        return 0
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    if split:
        s.sendall(hello_bytes[:60])
        time.sleep(0.05)
        s.sendall(hello_bytes[60:])
    else:
        s.sendall(hello_bytes)
    got = read_back(s, 1)
    s.close()
    return got


def quic(addr, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.connect((addr, int(port)))
    s.send(RFC9001_A2)
    return read_back(s, 1)


def rounds(n, suffix, port, timeout, prefix=None):
    made = 0
    for i in range(int(n)):
        if prefix:
            name = "%s%d.%s" % (prefix, i + 1, suffix)
        else:
            name = "r%d-%s.%s" % (i, os.urandom(4).hex(), suffix)
        try:
            addr = socket.getaddrinfo(name, int(port), socket.AF_INET, socket.SOCK_STREAM)[0][4]
            s = socket.create_connection(addr, timeout=float(timeout))
            made += 1
            s.close()
        except OSError:
            pass
    return made


def burst(n, suffix, port, timeout, prefix=None):
    n = int(n)
    made = [0] * n
    go = threading.Event()

    def one(i):
        if prefix:
            name = "%s%d.%s" % (prefix, i + 1, suffix)
        else:
            name = "r%d-%s.%s" % (i, os.urandom(4).hex(), suffix)
        go.wait()
        try:
            addr = socket.getaddrinfo(name, int(port), socket.AF_INET, socket.SOCK_STREAM)[0][4]
            s = socket.create_connection(addr, timeout=float(timeout))
            made[i] = 1
            s.close()
        except OSError:
            pass

    threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    go.set()
    for t in threads:
        t.join()
    return sum(made)


def stream(addr, port, seconds):
    """A connection that sends a line every 100 ms and prints the time of each reply, for
    SECONDS from its first reply (a slow start on a loaded machine does not shorten what is
    measured); then prints "end" and the time."""
    try:
        s = socket.create_connection((addr, int(port)), timeout=5)
    except OSError:
        return
    s.settimeout(0.1)
    end = time.time() + 20 + float(seconds)  # the first reply within 20 s
    first = False
    while time.time() < end:
        try:
            s.send(b"x\n")
        except OSError:
            pass
        try:
            if s.recv(4096):
                print("%.3f" % time.time(), flush=True)
                if not first:
                    first = True
                    end = time.time() + float(seconds)
        except OSError:
            pass
        time.sleep(0.1)
    s.close()
    print("end %.3f" % time.time(), flush=True)


def main():
    cmd = sys.argv[1]
    if cmd == "hello":
        print(hello(sys.argv[2], sys.argv[3], sys.argv[4], len(sys.argv) > 5))
    elif cmd == "quic":
        print(quic(sys.argv[2], sys.argv[3]))
    elif cmd == "rounds":
        print(rounds(*sys.argv[2:8]))
    elif cmd == "stream":
        stream(*sys.argv[2:5])
    elif cmd == "burst":
        print(burst(*sys.argv[2:8]))
    else:
        sys.exit("unknown command " + cmd)


if __name__ == "__main__":
    main()
