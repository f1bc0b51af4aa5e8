#!/usr/bin/env python3
"""fake_mx.py - a tiny fake remote SMTP server for mailward's e2e capture.

It listens on a loopback address only and answers RCPT TO by the
recipient's domain, the way a blocklisting receiver would:

  blocked.test   554 5.7.1 ... blocked using zen.spamhaus.org ...   (bounce)
  tempfail.test  451 4.7.1 ... listed at bl.spamcop.net ...        (deferral)
  anything else  250 2.1.5 Ok (and the message is accepted)

It exits by itself after --lifetime seconds (default 600). Standard library
only.
"""
import argparse
import ipaddress
import os
import socketserver
import sys
import threading
import time

RESPONSES = {
    "blocked.test": "554 5.7.1 Service unavailable; Client host [{client}] blocked "
                    "using zen.spamhaus.org; https://www.spamhaus.org/query/ip/{client}",
    "tempfail.test": "451 4.7.1 Service unavailable - try again later; Client host "
                     "[{client}] listed at bl.spamcop.net; "
                     "https://www.spamcop.net/bl.shtml?{client}",
}


def log(msg):
    sys.stderr.write("%s fake_mx: %s\n" % (time.strftime("%Y-%m-%dT%H:%M:%S"), msg))
    sys.stderr.flush()


class Handler(socketserver.StreamRequestHandler):
    timeout = 30

    def send(self, line):
        self.wfile.write((line + "\r\n").encode())
        self.wfile.flush()

    def handle(self):
        client = self.client_address[0]
        log("connect from %s" % client)
        self.send("220 mx.remote.test ESMTP fake_mx")
        accepted = 0
        while True:
            raw = self.rfile.readline(4096)
            if not raw:
                break
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            verb = line.split(" ", 1)[0].upper()
            if verb in ("EHLO", "HELO"):
                if verb == "EHLO":
                    self.send("250-mx.remote.test")
                    self.send("250-PIPELINING")
                    self.send("250 8BITMIME")
                else:
                    self.send("250 mx.remote.test")
            elif verb == "MAIL":
                accepted = 0
                self.send("250 2.1.0 Ok")
            elif verb == "RCPT":
                addr = line.split(":", 1)[-1].strip().strip("<>").split(">")[0]
                domain = addr.rsplit("@", 1)[-1].lower()
                reply = RESPONSES.get(domain)
                if reply:
                    reply = reply.format(client=client)
                    log("RCPT %s -> %s" % (addr, reply))
                    self.send(reply)
                else:
                    accepted += 1
                    self.send("250 2.1.5 Ok")
            elif verb == "DATA":
                if not accepted:
                    self.send("554 5.5.1 Error: no valid recipients")
                    continue
                self.send("354 End data with <CR><LF>.<CR><LF>")
                while True:
                    d = self.rfile.readline(65536)
                    if not d or d in (b".\r\n", b".\n"):
                        break
                self.send("250 2.0.0 Ok: queued as FAKE%d" % int(time.time()))
            elif verb == "RSET":
                accepted = 0
                self.send("250 2.0.0 Ok")
            elif verb == "NOOP":
                self.send("250 2.0.0 Ok")
            elif verb == "QUIT":
                self.send("221 2.0.0 Bye")
                break
            else:
                self.send("502 5.5.2 Error: command not recognized")
        log("disconnect from %s" % client)


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--listen", default="127.0.0.2")
    ap.add_argument("--port", type=int, default=2525)
    ap.add_argument("--lifetime", type=float, default=600)
    ap.add_argument("--pidfile")
    a = ap.parse_args()
    if not ipaddress.ip_address(a.listen).is_loopback:
        sys.exit("fake_mx: refusing to listen on a non-loopback address")
    srv = Server((a.listen, a.port), Handler)
    if a.pidfile:
        with open(a.pidfile, "w") as f:
            f.write("%d\n" % os.getpid())
    timer = threading.Timer(a.lifetime, srv.shutdown)
    timer.daemon = True
    timer.start()
    log("listening on %s:%d for %ds" % (a.listen, a.port, a.lifetime))
    try:
        srv.serve_forever()
    finally:
        srv.server_close()
        if a.pidfile:
            try:
                os.unlink(a.pidfile)
            except OSError:
                pass
        log("exit")


if __name__ == "__main__":
    main()
