#!/usr/bin/env python3
"""policy_recorder.py - record what the real Dovecot and Postfix send to a
policy server, and answer them in a way the test chooses.

  policy_recorder.py [--http ADDR:PORT --http-out FILE]
                     [--postfix ADDR:PORT --postfix-out FILE --postfix-raw FILE]
                     [--control FILE] [--pidfile FILE] [--lifetime SECONDS]
                     [--require-header 'NAME: VALUE']

--http: a Dovecot auth-policy server (HTTP/1.1, keep-alive). Every request
  (method, path with query, HTTP version, headers in order, body as text and
  parsed JSON, peer, connection number) is appended as one JSON line to
  --http-out, with the reply it got. The reply is {"status":N,"msg":"..."}.
--postfix: a Postfix policy-delegation server (name=value lines ended by an
  empty line; reply "action=...\\n\\n"). Every request block is appended as
  one JSON line to --postfix-out (attributes in order, peer, connection and
  request number on that connection, reply) and byte for byte to
  --postfix-raw.

--control FILE is a JSON object re-read at every request, so a test changes
the answers and labels between client actions without restarting:
  label              text stored with each record (the client action)
  phase, action, dovecot_config  any JSON, copied into each record too
  status, msg        Dovecot reply for command=allow (default 0, "")
  report_status      Dovecot reply status for command=report (default 0)
  http_code          HTTP status code (default 200)
  http_body          raw HTTP body instead of the JSON reply (malformed tests)
  http_sleep         seconds to wait before answering Dovecot (timeout tests)
  postfix_action     Postfix reply, e.g. "DUNNO", "HOLD held by test" (default DUNNO)
  postfix_action_by_state  {"RCPT": ..., "END-OF-MESSAGE": ...}: per protocol_state
  postfix_sleep      seconds to wait before answering Postfix
  postfix_close      true: close the connection instead of answering
Listeners accept only loopback addresses. Standard library only.
"""
import argparse
import datetime
import http.server
import ipaddress
import itertools
import json
import os
import signal
import socket
import socketserver
import sys
import threading
import time

LOCK = threading.Lock()
# Control keys copied into every record: what the test was doing.
CONTEXT_KEYS = ("phase", "action", "dovecot_config")
CONN_IDS = itertools.count(1)


def now():
    return datetime.datetime.now().astimezone().isoformat(timespec="microseconds")


def loopback(addr):
    host, port = addr.rsplit(":", 1)
    if not ipaddress.ip_address(host).is_loopback:
        sys.exit("policy_recorder: refusing non-loopback address %s" % host)
    return host, int(port)


class Control:
    def __init__(self, path):
        self.path = path

    def get(self):
        if not self.path:
            return {}
        try:
            with open(self.path) as f:
                return json.load(f)
        except (OSError, ValueError):
            return {}


def append(path, text):
    if not path:
        return
    with LOCK:
        with open(path, "a") as f:
            f.write(text)
            f.flush()


# ------------------------------------------------------------------ Dovecot
class TeeReader:
    """Wraps the request stream and keeps the raw bytes of the request line
    and headers (the exact bytes on the wire: spacing, order, case)."""

    def __init__(self, f):
        self.f = f
        self.seen = b""

    def readline(self, *a):
        line = self.f.readline(*a)
        self.seen += line
        return line

    def read(self, *a):
        return self.f.read(*a)

    def __getattr__(self, name):
        return getattr(self.f, name)

    def take(self):
        s, self.seen = self.seen, b""
        return s


class PolicyHTTP(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"       # keep-alive, as Dovecot's client wants
    server_version = "mailward-policy-recorder"
    sys_version = ""

    def setup(self):
        super().setup()
        self.conn_id = next(CONN_IDS)
        self.req_no = 0
        self.rfile = TeeReader(self.rfile)

    def log_message(self, fmt, *args):  # quiet
        pass

    def handle_any(self):
        self.req_no += 1
        t = now()
        raw_head = self.rfile.take().decode("latin-1")
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n > 0 else b""
        text = body.decode("utf-8", "replace")
        try:
            parsed = json.loads(text) if text else None
        except ValueError:
            parsed = None
        if self.server.require and \
                (self.headers.get(self.server.require[0]) or "").strip() != self.server.require[1]:
            # Not from our Dovecot (another test on this machine?): refuse
            # and keep it out of the record.
            sys.stderr.write("policy_recorder: refused %s %s from %s:%d without %s\n" % (
                self.command, self.path, self.client_address[0], self.client_address[1],
                self.server.require[0]))
            try:
                self.close_connection = True
                self.send_response(403)
                self.send_header("Content-Length", "0")
                self.send_header("Connection", "close")
                self.end_headers()
            except OSError:
                pass
            return
        ctl = self.server.control.get()
        command = None
        if "?" in self.path:
            for kv in self.path.split("?", 1)[1].split("&"):
                if kv.startswith("command="):
                    command = kv[len("command="):]
        if command == "report":
            status = int(ctl.get("report_status", 0))
        else:
            status = int(ctl.get("status", 0))
        reply = ctl.get("http_body")
        if reply is None:
            reply = json.dumps({"status": status, "msg": ctl.get("msg", "")},
                               separators=(",", ":"))
        code = int(ctl.get("http_code", 200))
        rec = dict(time=t, label=ctl.get("label", ""), kind="dovecot",
                   peer="%s:%d" % self.client_address, conn=self.conn_id,
                   req_on_conn=self.req_no, method=self.command, path=self.path,
                   command=command, http_version=self.request_version,
                   headers=[[k, v] for k, v in self.headers.items()],
                   raw_head=raw_head,
                   body=text, json=parsed, reply_code=code, reply=reply)
        for k in CONTEXT_KEYS:
            if k in ctl:
                rec[k] = ctl[k]
        sleep = float(ctl.get("http_sleep", 0))
        if sleep:
            rec["reply_after_s"] = sleep
        append(self.server.out, json.dumps(rec) + "\n")
        if sleep:
            time.sleep(sleep)
        data = reply.encode()
        try:
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except OSError:
            pass

    do_POST = handle_any
    do_GET = handle_any
    do_PUT = handle_any


class HTTPServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


# ------------------------------------------------------------------ Postfix
class PostfixHandler(socketserver.StreamRequestHandler):
    def handle(self):
        conn_id = next(CONN_IDS)
        req_no = 0
        while True:
            raw = b""
            attrs = []
            while True:
                line = self.rfile.readline()
                if not line:
                    return               # peer closed (maybe mid-block)
                raw += line
                s = line.decode("utf-8", "replace").rstrip("\r\n")
                if s == "":
                    break
                k, _, v = s.partition("=")
                attrs.append([k, v])
            req_no += 1
            ctl = self.server.control.get()
            state = dict(attrs).get("protocol_state", "")
            action = ctl.get("postfix_action_by_state", {}).get(
                state, ctl.get("postfix_action", "DUNNO"))
            rec = dict(time=now(), label=ctl.get("label", ""), kind="postfix",
                       peer="%s:%d" % self.client_address, conn=conn_id,
                       req_on_conn=req_no, attrs=attrs, reply="action=%s" % action)
            for k in CONTEXT_KEYS:
                if k in ctl:
                    rec[k] = ctl[k]
            sleep = float(ctl.get("postfix_sleep", 0))
            if sleep:
                rec["reply_after_s"] = sleep
            if ctl.get("postfix_close"):
                rec["reply"] = None
                rec["closed"] = True
            append(self.server.out, json.dumps(rec) + "\n")
            with LOCK:
                if self.server.raw:
                    with open(self.server.raw, "ab") as f:
                        f.write(raw)
            if ctl.get("postfix_close"):
                return
            if sleep:
                time.sleep(sleep)
            try:
                self.wfile.write(("action=%s\n\n" % action).encode())
                self.wfile.flush()
            except OSError:
                return


class TCPServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--http")
    ap.add_argument("--http-out")
    ap.add_argument("--postfix")
    ap.add_argument("--postfix-out")
    ap.add_argument("--postfix-raw")
    ap.add_argument("--require-header", metavar="'NAME: VALUE'",
                    help="HTTP requests without this header get 403 and are not recorded")
    ap.add_argument("--control")
    ap.add_argument("--pidfile")
    ap.add_argument("--lifetime", type=float, default=3600,
                    help="exit after this many seconds (a safety net)")
    a = ap.parse_args()
    if not a.http and not a.postfix:
        ap.error("give --http and/or --postfix")
    control = Control(a.control)
    servers = []
    if a.http:
        s = HTTPServer(loopback(a.http), PolicyHTTP)
        s.control, s.out = control, a.http_out
        s.require = None
        if a.require_header:
            name, _, value = a.require_header.partition(":")
            s.require = (name.strip(), value.strip())
        servers.append(s)
    if a.postfix:
        s = TCPServer(loopback(a.postfix), PostfixHandler)
        s.control, s.out, s.raw = control, a.postfix_out, a.postfix_raw
        servers.append(s)
    for s in servers:
        threading.Thread(target=s.serve_forever, daemon=True).start()
    if a.pidfile:
        with open(a.pidfile, "w") as f:
            f.write("%d\n" % os.getpid())
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    done.wait(a.lifetime)
    for s in servers:
        s.shutdown()
        s.server_close()
    if a.pidfile:
        try:
            os.unlink(a.pidfile)
        except OSError:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
