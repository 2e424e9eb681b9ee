#!/usr/bin/env python3
"""An OTLP/HTTP traces sink for `cpu sdkotlp`: answers 200, prints each export's arrival (unix ms)
and body bytes, and on SIGTERM or Ctrl-C the totals. Usage: otlp-count.py PORT"""
import http.server, signal, sys, time

received = {"requests": 0, "bytes": 0}

class Sink(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        length = int(self.headers.get("Content-Length", 0))
        self.rfile.read(length)
        received["requests"] += 1
        received["bytes"] += length
        print(f"export {int(time.time() * 1000)} {length}", flush=True)
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass

def report(*_):
    print(f"requests {received['requests']} bytes {received['bytes']}", flush=True)
    sys.exit(0)

signal.signal(signal.SIGTERM, report)
server = http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Sink)
try:
    server.serve_forever()
except KeyboardInterrupt:
    report()
