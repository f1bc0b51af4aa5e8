#!/usr/bin/env python3
"""milter_client - the MTA side of the Sendmail milter protocol (version 6),
python stdlib only, for testing `mailward serve --set milter=...` without a
mail server: what Postfix's cleanup does with smtpd_milters, one message at
a time.

    from milter_client import Milter
    m = Milter("127.0.0.1", 8429)
    r = m.message(auth="alice@example.com", sender="alice@example.com",
                  rcpts=["bob@example.net"], headers=[("Subject", "alice")],
                  body="http://evil.example/x\\r\\n", queue_id="4ABC")
    r.action   # "accept" (at MAIL: untouched), "continue", "quarantine",
               # "tempfail", "reject"
    r.quarantine  # the reason given to smfi_quarantine, or None

Packets: a 4-byte big-endian length, a command byte, data. The client
offers everything (OPTNEG) and then leaves out the steps the filter said it
does not want (SMFIP_NO*) and does not wait for replies it said it will not
send (SMFIP_NR_*).

As a command: milter_client.py HOST PORT AUTH SUBJECT BODY prints the action.
"""
import socket
import struct
import sys

SMFIP_NOCONNECT = 0x01
SMFIP_NOHELO = 0x02
SMFIP_NOMAIL = 0x04
SMFIP_NORCPT = 0x08
SMFIP_NOBODY = 0x10
SMFIP_NOHDRS = 0x20
SMFIP_NOEOH = 0x40
SMFIP_NR_HDR = 0x80
SMFIP_NR_CONN = 0x1000
SMFIP_NR_HELO = 0x2000
SMFIP_NR_MAIL = 0x4000
SMFIP_NR_RCPT = 0x8000
SMFIP_NR_EOH = 0x40000
SMFIP_NR_BODY = 0x80000

ACTIONS = {b"a": "accept", b"c": "continue", b"r": "reject", b"t": "tempfail", b"d": "discard",
           b"y": "replycode", b"s": "skip"}


class Result:
    def __init__(self):
        self.action = None
        self.quarantine = None
        self.reply = None

    def __repr__(self):
        return f"Result(action={self.action!r}, quarantine={self.quarantine!r}, reply={self.reply!r})"


class Milter:
    def __init__(self, host, port, timeout=10):
        self.s = socket.create_connection((host, port), timeout=timeout)
        self.buf = b""
        self.send(b"O", struct.pack(">III", 6, 0x1FF, 0x1FFFFF))
        cmd, data = self.read()
        if cmd != b"O":
            raise RuntimeError(f"OPTNEG answered {cmd!r}")
        self.version, self.actions, self.proto = struct.unpack(">III", data[:12])
        self.connected = False

    def close(self):
        try:
            self.send(b"Q", b"")
        except OSError:
            pass
        self.s.close()

    def send(self, cmd, data):
        self.s.sendall(struct.pack(">I", len(data) + 1) + cmd + data)

    def read(self):
        while True:
            if len(self.buf) >= 4:
                n = struct.unpack(">I", self.buf[:4])[0]
                if len(self.buf) >= 4 + n:
                    pkt = self.buf[4:4 + n]
                    self.buf = self.buf[4 + n:]
                    return pkt[:1], pkt[1:]
            chunk = self.s.recv(65536)
            if not chunk:
                raise ConnectionError("the filter closed the connection")
            self.buf += chunk

    def step(self, cmd, data, no_flag, nr_flag):
        """send one step unless the filter does not want it; its reply, or None"""
        if no_flag and self.proto & no_flag:
            return None
        self.send(cmd, data)
        if nr_flag and self.proto & nr_flag:
            return None
        return self.final()

    def final(self):
        res = Result()
        while True:
            cmd, data = self.read()
            if cmd == b"q":
                res.quarantine = data.rstrip(b"\0").decode()
                continue
            if cmd == b"p":
                continue  # progress
            if cmd in (b"h", b"m", b"+", b"-", b"b", b"e", b"i"):
                continue  # header/body/recipient changes: not ours to apply here
            res.action = ACTIONS.get(cmd, repr(cmd))
            if cmd == b"y":
                res.reply = data.rstrip(b"\0").decode()
            return res

    def macro(self, stage, pairs):
        data = stage
        for k, v in pairs:
            data += k.encode() + b"\0" + v.encode() + b"\0"
        self.send(b"D", data)

    def connect(self, client="192.0.2.10", helo="client.example.test"):
        self.macro(b"C", [("j", "mx.mailward.test"), ("{daemon_name}", "mailward-test")])
        addr = client.encode()
        fam = b"6" if ":" in client else b"4"
        r = self.step(b"C", b"client.example.test\0" + fam + struct.pack(">H", 41000) + addr + b"\0",
                      SMFIP_NOCONNECT, SMFIP_NR_CONN)
        if r and r.action != "continue":
            return r
        self.step(b"H", helo.encode() + b"\0", SMFIP_NOHELO, SMFIP_NR_HELO)
        self.connected = True
        return r

    def message(self, auth=None, sender="sender@example.test", rcpts=("rcpt@example.net",), headers=(),
                body="", queue_id="4ABCDEF", client="192.0.2.10"):
        """one message on this connection; the Result of the step that ended it"""
        if not self.connected:
            r = self.connect(client)
            if r and r.action != "continue":
                return r
        macros = [("i", queue_id)]
        if auth:
            macros += [("{auth_type}", "PLAIN"), ("{auth_authen}", auth)]
        self.macro(b"M", macros)
        r = self.step(b"M", f"<{sender}>".encode() + b"\0", SMFIP_NOMAIL, SMFIP_NR_MAIL)
        if r and r.action != "continue":
            return r
        for rc in rcpts:
            self.macro(b"R", [("{rcpt_addr}", rc)])
            r = self.step(b"R", f"<{rc}>".encode() + b"\0", SMFIP_NORCPT, SMFIP_NR_RCPT)
            if r and r.action != "continue":
                return r
        for name, value in headers:
            r = self.step(b"L", name.encode() + b"\0" + value.encode() + b"\0", SMFIP_NOHDRS, SMFIP_NR_HDR)
            if r and r.action != "continue":
                return r
        r = self.step(b"N", b"", SMFIP_NOEOH, SMFIP_NR_EOH)
        if r and r.action != "continue":
            return r
        data = body.encode() if isinstance(body, str) else body
        for i in range(0, len(data), 65535):
            r = self.step(b"B", data[i:i + 65535], SMFIP_NOBODY, SMFIP_NR_BODY)
            if r and r.action != "continue":
                return r
        self.macro(b"E", [("i", queue_id)])
        self.send(b"E", b"")
        return self.final()


def main():
    if len(sys.argv) != 6:
        print(__doc__.split("\n\n")[-1], file=sys.stderr)
        return 2
    host, port, auth, subject, body = sys.argv[1:]
    m = Milter(host, int(port))
    r = m.message(auth=auth or None, sender=auth or "x@example.test", headers=[("Subject", subject)],
                  body=body.replace("\\n", "\r\n"))
    m.close()
    print(r)
    return 0


if __name__ == "__main__":
    sys.exit(main())
