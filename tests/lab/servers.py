#!/usr/bin/env python3
"""Upstream servers for the lab: HTTP on the given address:port pairs (answers every request
with 200 and a short body, reads request bodies), and plain TCP sinks (accept, read what the
client sends, e.g. a TLS ClientHello, close).  reply: TCP that answers "reply\n" to whatever
it receives and prints "accept ADDR:PORT" to stdout for each connection; tlsreply: the same,
but like a TLS server it answers only once a whole TLS record has arrived; udpreply: answers
every UDP datagram.  Stops on SIGTERM.

usage: servers.py http:ADDR:PORT ... sink:ADDR:PORT ... reply:ADDR:PORT tlsreply:ADDR:PORT
       udpreply:ADDR:PORT
"""
import http.server
import signal
import socket
import socketserver
import sys
import threading


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def _answer(self):
        n = int(self.headers.get("Content-Length") or 0)
        if n:
            self.rfile.read(n)
        body = b"ok\n"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Content-Type", "text/plain")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_HEAD = _answer

    def log_message(self, *args):
        pass


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def sink(addr, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port))
    s.listen(64)
    while True:
        c, _ = s.accept()
        c.settimeout(2)
        try:
            c.recv(65536)
        except OSError:
            pass
        c.close()


def reply(addr, port, tls=False):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port))
    s.listen(256)
    while True:
        c, _ = s.accept()
        print("accept %s:%d" % (addr, port), flush=True)
        threading.Thread(target=reply_conn, args=(c, tls), daemon=True).start()


def reply_conn(c, tls):
    c.settimeout(5)
    buf = b""
    try:
        while True:
            data = c.recv(65536)
            if not data:
                break
            buf += data
            # a TLS record: 5-byte header with its length in bytes 3..4
            while tls and len(buf) >= 5 and len(buf) >= 5 + int.from_bytes(buf[3:5], "big"):
                buf = buf[5 + int.from_bytes(buf[3:5], "big"):]
                c.sendall(b"reply\n")
            if not tls:
                c.sendall(b"reply\n")
    except OSError:
        pass
    c.close()


def udpreply(addr, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((addr, port))
    while True:
        _, peer = s.recvfrom(65536)
        s.sendto(b"reply\n", peer)


def main():
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
    for spec in sys.argv[1:]:
        kind, addr, port = spec.split(":")
        if kind == "http":
            srv = Server((addr, int(port)), Handler)
            threading.Thread(target=srv.serve_forever, daemon=True).start()
        elif kind in ("reply", "tlsreply"):
            threading.Thread(target=reply, args=(addr, int(port), kind == "tlsreply"),
                             daemon=True).start()
        elif kind == "udpreply":
            threading.Thread(target=udpreply, args=(addr, int(port)), daemon=True).start()
        else:
            threading.Thread(target=sink, args=(addr, int(port)), daemon=True).start()
    signal.pause()


if __name__ == "__main__":
    main()
