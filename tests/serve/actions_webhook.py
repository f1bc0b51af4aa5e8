#!/usr/bin/env python3
"""tests/serve/actions_webhook.py - the webhook receiver of tests/serve/actions.sh.

Listens on 127.0.0.1 (a free port, written to --port-file once bound),
answers the first --fail POSTs with 500 and the rest with 200, and appends
one JSON line per POST to --out: {"n": its number, "status": the answer,
"ctype": Content-Type, "auth": Authorization, "body": the body parsed as
JSON (null if it was not)}. Exits after --lifetime seconds (a safety net
if the test dies). Standard library only.
"""
import argparse
import json
import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ap = argparse.ArgumentParser()
ap.add_argument("--fail", type=int, default=0)
ap.add_argument("--out", required=True)
ap.add_argument("--port-file", required=True)
ap.add_argument("--lifetime", type=float, default=120)
args = ap.parse_args()

lock = threading.Lock()
count = 0


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        global count
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n)
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        with lock:
            count += 1
            k = count
            status = 500 if k <= args.fail else 200
            with open(args.out, "a") as f:
                f.write(json.dumps({"n": k, "status": status, "ctype": self.headers.get("Content-Type"),
                                    "auth": self.headers.get("Authorization"), "body": body}) + "\n")
        reply = b'{"ok":true}' if status == 200 else b'{"error":"try later"}'
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, fmt, *a):
        pass


srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
srv.daemon_threads = True
with open(args.port_file + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
os.rename(args.port_file + ".tmp", args.port_file)
threading.Thread(target=srv.serve_forever, daemon=True).start()
time.sleep(args.lifetime)
