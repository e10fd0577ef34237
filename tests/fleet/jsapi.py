#!/usr/bin/env python3
"""A JetStream API request, or a plain publish, over the NATS protocol (no client library:
Debian 12 packages none for Python).  The fleet tests use it to look into the stream and the
buckets, and to make the faults a server could make (a message gone from the stream).

  jsapi.py PORT req SUBJECT [JSON]    the reply's JSON on stdout; exit 1 if it holds an error
  jsapi.py PORT pub SUBJECT DATA      publish DATA (a KV put is a publish), wait for the server
Exit 2 when the server cannot be reached or does not answer within JSAPI_TIMEOUT seconds
(default 10; another node may be tried).
"""
import json
import os
import socket
import sys


def unreachable(why):
    sys.stderr.write("jsapi: %s\n" % why)
    sys.exit(2)


def main():
    port, mode, subject = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    data = (sys.argv[4] if len(sys.argv) > 4 else "").encode()
    try:
        s = socket.create_connection(("127.0.0.1", port),
                                     timeout=float(os.environ.get("JSAPI_TIMEOUT", "10")))
    except OSError as e:
        unreachable(e)
    f = s.makefile("rb")
    if not f.readline().startswith(b"INFO"):
        sys.exit("jsapi: not a NATS server")
    s.sendall(b'CONNECT {"verbose":false,"pedantic":false,"headers":true}\r\n')
    if mode == "pub":
        s.sendall(b"PUB %s %d\r\n%s\r\nPING\r\n" % (subject.encode(), len(data), data))
    else:
        s.sendall(b"SUB _INBOX.jsapi 1\r\nPUB %s _INBOX.jsapi %d\r\n%s\r\n"
                  % (subject.encode(), len(data), data))
    while True:
        line = f.readline()
        if not line:
            unreachable("the server closed the connection")
        if line.startswith(b"PING"):
            s.sendall(b"PONG\r\n")
        elif line.startswith(b"-ERR"):
            sys.exit("jsapi: " + line.decode().strip())
        elif line.startswith(b"PONG") and mode == "pub":
            return
        elif line.startswith(b"MSG"):
            reply = json.loads(f.read(int(line.split()[-1]) + 2)[:-2])
            print(json.dumps(reply))
            sys.exit(1 if "error" in reply else 0)


try:
    main()
except OSError as e:
    unreachable(e)
