#!/usr/bin/env python3
"""Upstream servers for the lab: HTTP on the given address:port pairs (answers every request
with 200 and a short body, reads request bodies), and plain TCP sinks (accept, read what the
client sends, e.g. a TLS ClientHello, close).  Stops on SIGTERM.

usage: servers.py http:ADDR:PORT ... sink:ADDR:PORT ...
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


def main():
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
    for spec in sys.argv[1:]:
        kind, addr, port = spec.split(":")
        if kind == "http":
            srv = Server((addr, int(port)), Handler)
            threading.Thread(target=srv.serve_forever, daemon=True).start()
        else:
            threading.Thread(target=sink, args=(addr, int(port)), daemon=True).start()
    signal.pause()


if __name__ == "__main__":
    main()
