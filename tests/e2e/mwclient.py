#!/usr/bin/env python3
"""mwclient.py - scripted mail clients for mailward's e2e capture.

Speaks just enough IMAP, POP3, ManageSieve and SMTP submission to log in
(right, wrong or unknown credentials, several attempts in one connection,
aborted logins), binding the client socket to a chosen 127.0.0.x source so
the server logs different remote addresses. Every attempt is appended as one
JSON object to --actions (the ground truth for fixtures).

  mwclient.py imap --src 127.0.0.8 --port 143 [--tls starttls|implicit|none]
      --attempt USER:PASS:KIND [--attempt ...] [--mech login|plain]
      [--end logout|close] [--sasl-cancel] --step N --actions FILE --note TEXT
  mwclient.py pop3 ... (--mech user|plain)
  mwclient.py sieve ...
  mwclient.py smtp ...   (Dovecot submission-login; AUTH PLAIN/LOGIN)
  mwclient.py run --step N --actions FILE --src ... --proto ... -- CMD ARGS...
      run an external client (curl, swaks, sendmail) and record it

KIND is right, wrong, unknown-user or disallowed (anything: it is recorded).
Only loopback addresses are accepted as source or target. Standard library
only.
"""
import argparse
import base64
import datetime
import hashlib
import ipaddress
import json
import re
import socket
import ssl
import subprocess
import sys
import time


def now():
    return datetime.datetime.now().astimezone().isoformat(timespec="microseconds")


def sha1_6(pw):
    return hashlib.sha1(pw.encode()).hexdigest()[:6] if pw is not None else None


def loopback_only(addr):
    if not ipaddress.ip_address(addr).is_loopback:
        sys.exit("mwclient: refusing non-loopback address %s" % addr)


def tls_context():
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


class Conn:
    def __init__(self, src, host, port, implicit_tls, timeout=30):
        loopback_only(src)
        loopback_only(host)
        s = socket.create_connection((host, port), timeout=timeout,
                                     source_address=(src, 0))
        if implicit_tls:
            s = tls_context().wrap_socket(s, server_hostname=None)
        self.s = s
        self.buf = b""
        self.tls = implicit_tls

    def starttls(self):
        self.s = tls_context().wrap_socket(self.s, server_hostname=None)
        self.buf = b""
        self.tls = True

    def send(self, line):
        self.s.sendall(line.encode() + b"\r\n")

    def readline(self):
        while b"\n" not in self.buf:
            d = self.s.recv(4096)
            if not d:
                raise EOFError("connection closed by server")
            self.buf += d
        line, self.buf = self.buf.split(b"\n", 1)
        return line.decode("utf-8", "replace").rstrip("\r")

    def close(self):
        try:
            self.s.close()
        except OSError:
            pass


def b64(s):
    return base64.b64encode(s.encode()).decode()


def plain_ir(user, pw):
    return b64("\0%s\0%s" % (user, pw))


# --------------------------------------------------------------- IMAP
class Imap:
    def __init__(self, c):
        self.c = c
        self.n = 0
        c.readline()                       # * OK ... ready.

    def cmd(self, text, cont=None):
        self.n += 1
        tag = "a%d" % self.n
        self.c.send("%s %s" % (tag, text))
        while True:
            line = self.c.readline()
            if line.startswith("+") and cont is not None:
                self.c.send(cont)
                cont = None
                continue
            if line.startswith(tag + " "):
                return line[len(tag) + 1:]

    def starttls(self):
        r = self.cmd("STARTTLS")
        self.c.starttls()
        return r

    def login(self, user, pw, mech):
        if mech == "plain":
            r = self.cmd("AUTHENTICATE PLAIN", cont=plain_ir(user, pw))
        else:
            r = self.cmd('LOGIN "%s" "%s"' % (user, pw))
        return r.startswith("OK"), r

    def sasl_cancel(self):
        self.n += 1
        tag = "a%d" % self.n
        self.c.send("%s AUTHENTICATE PLAIN" % tag)
        line = self.c.readline()          # "+ "
        self.c.send("*")
        while True:
            line = self.c.readline()
            if line.startswith(tag + " "):
                return line[len(tag) + 1:]

    def logout(self):
        return self.cmd("LOGOUT")


# --------------------------------------------------------------- POP3
class Pop3:
    def __init__(self, c):
        self.c = c
        c.readline()                       # +OK Dovecot ready.

    def cmd(self, text):
        self.c.send(text)
        return self.c.readline()

    def starttls(self):
        r = self.cmd("STLS")
        self.c.starttls()
        return r

    def login(self, user, pw, mech):
        if mech == "plain":
            r = self.cmd("AUTH PLAIN %s" % plain_ir(user, pw))
        else:
            r = self.cmd("USER %s" % user)
            if r.startswith("+OK"):
                r = self.cmd("PASS %s" % pw)
        return r.startswith("+OK"), r

    def sasl_cancel(self):
        self.c.send("AUTH PLAIN")
        self.c.readline()
        return self.cmd("*")

    def logout(self):
        return self.cmd("QUIT")


# --------------------------------------------------------------- ManageSieve
class Sieve:
    def __init__(self, c):
        self.c = c
        self.read_resp()

    def read_resp(self):
        while True:
            line = self.c.readline()
            if line.startswith(("OK", "NO", "BYE")):
                return line

    def cmd(self, text):
        self.c.send(text)
        return self.read_resp()

    def starttls(self):
        r = self.cmd("STARTTLS")
        self.c.starttls()
        self.read_resp()                   # capabilities again after TLS
        return r

    def login(self, user, pw, mech):
        r = self.cmd('AUTHENTICATE "PLAIN" "%s"' % plain_ir(user, pw))
        return r.startswith("OK"), r

    def sasl_cancel(self):
        return "n/a"

    def logout(self):
        return self.cmd("LOGOUT")


# --------------------------------------------------------------- SMTP (Dovecot submission)
class Smtp:
    def __init__(self, c):
        self.c = c
        self.resp()
        self.ehlo()

    def resp(self):
        while True:
            line = self.c.readline()
            if len(line) < 4 or line[3] != "-":
                return line

    def cmd(self, text):
        self.c.send(text)
        return self.resp()

    def ehlo(self):
        return self.cmd("EHLO client.example.test")

    def starttls(self):
        r = self.cmd("STARTTLS")
        self.c.starttls()
        self.ehlo()
        return r

    def login(self, user, pw, mech):
        if mech == "login":
            r = self.cmd("AUTH LOGIN")
            if r.startswith("334"):
                r = self.cmd(b64(user))
            if r.startswith("334"):
                r = self.cmd(b64(pw))
        else:
            r = self.cmd("AUTH PLAIN %s" % plain_ir(user, pw))
        return r.startswith("235"), r

    def sasl_cancel(self):
        self.c.send("AUTH PLAIN")
        self.c.readline()
        return self.cmd("*")

    def logout(self):
        return self.cmd("QUIT")


PROTOS = {"imap": Imap, "pop3": Pop3, "sieve": Sieve, "smtp": Smtp}


def append(actions, rec):
    with open(actions, "a") as f:
        f.write(json.dumps(rec, sort_keys=False) + "\n")


def run_session(a):
    t0 = now()
    implicit = a.tls == "implicit"
    c = Conn(a.src, a.host, a.port, implicit)
    p = PROTOS[a.proto](c)
    records = []
    if a.tls == "starttls":
        p.starttls()
    tls = "implicit" if implicit else ("starttls" if a.tls == "starttls" else "none")
    label = {"smtp": "dovecot-submission", "sieve": "managesieve"}.get(a.proto, a.proto)
    base = dict(step=a.step, src=a.src, dst="%s:%d" % (a.host, a.port),
                proto=label, tls=tls, client="mwclient.py", mech=a.mech)
    if a.sasl_cancel:
        r = p.sasl_cancel()
        records.append(dict(base, time=now(), action="sasl-cancel", user=None,
                            password=None, kind="none", result=r))
    logged_in = False
    if not a.attempt and not a.sasl_cancel:
        records.append(dict(base, time=t0, action="connect-only", user=None,
                            password=None, kind="none", result="no login attempted"))
    for i, spec in enumerate(a.attempt, 1):
        user, rest = spec.split(":", 1)
        pw, kind = rest.rsplit(":", 1)
        t = now()
        try:
            ok, r = p.login(user, pw, a.mech)
        except EOFError as e:
            ok, r = False, "EOF: %s" % e
        records.append(dict(base, time=t, action="login", attempt=i, user=user,
                            password=pw, sha1_6=sha1_6(pw), kind=kind,
                            outcome="success" if ok else "failure", result=r))
        if ok or r.startswith("EOF"):
            logged_in = ok
            break
    end = a.end
    try:
        if end == "logout":
            p.logout()
    except (EOFError, OSError):
        pass
    c.close()
    for rec in records:
        rec["session_start"] = t0
        rec["session_end"] = now()
        rec["end"] = end
        if a.note:
            rec["note"] = a.note
        if a.expect:
            rec["expect"] = a.expect
        append(a.actions, rec)
    print("step %s %s %s:%d from %s tls=%s: %s" % (
        a.step, a.proto, a.host, a.port, a.src, tls,
        "; ".join("%s/%s -> %s" % (r.get("user"), r.get("kind"), r.get("result"))
                  for r in records) or "(no auth) end=%s" % end))
    return 0 if (logged_in or not any(r.get("kind") == "right" for r in records)) else 1


def run_cmd(a):
    t = now()
    p = subprocess.run(a.cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=120)
    out = p.stdout.decode("utf-8", "replace")
    rec = dict(step=a.step, time=t, src=a.src, dst=a.dst, proto=a.proto, tls=a.tls,
               client=a.client or a.cmd[0].rsplit("/", 1)[-1], mech=a.mech,
               action=a.action, user=a.user, password=a.password,
               sha1_6=sha1_6(a.password), kind=a.kind, exit_code=p.returncode,
               outcome="success" if p.returncode == 0 else "failure",
               end_time=now())
    if a.rcpts:
        rec["rcpts"] = a.rcpts
    if a.mail_from:
        rec["mail_from"] = a.mail_from
    if a.rcpt_to:
        rec["rcpt_to"] = a.rcpt_to
    if a.note:
        rec["note"] = a.note
    if a.expect:
        rec["expect"] = a.expect
    # Keep the server replies that matter (swaks prints them after <- / <~):
    # status replies with an enhanced code, AUTH challenges, swaks' own ***
    # verdicts and curl's error line; not the EHLO capability list.
    keep = re.compile(r"\d{3}[ -]\d\.\d{1,3}\.\d{1,3}|^\*\*\*|curl: |^<[-~*]+\s+(220|334|354) ")
    rec["replies"] = [l.strip() for l in out.splitlines() if keep.search(l.strip())][-12:]
    append(a.actions, rec)
    print("step %s %s via %s from %s: exit %d" % (a.step, a.proto, rec["client"],
                                                 a.src, p.returncode))
    if a.verbose:
        sys.stdout.write(out)
    return 0


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="proto", required=True)
    for name, port in (("imap", 143), ("pop3", 110), ("sieve", 4190), ("smtp", 1587)):
        sp = sub.add_parser(name)
        sp.add_argument("--src", required=True)
        sp.add_argument("--host", default="127.0.0.1")
        sp.add_argument("--port", type=int, default=port)
        sp.add_argument("--tls", choices=("none", "starttls", "implicit"), default="none")
        sp.add_argument("--mech", choices=("login", "plain", "user"),
                        default="user" if name == "pop3" else ("plain" if name != "imap" else "login"))
        sp.add_argument("--attempt", action="append", default=[])
        sp.add_argument("--end", choices=("logout", "close"), default="logout")
        sp.add_argument("--sasl-cancel", action="store_true")
        sp.add_argument("--step", required=True)
        sp.add_argument("--actions", required=True)
        sp.add_argument("--note", default="")
        sp.add_argument("--expect", default="")
    sp = sub.add_parser("run")
    sp.add_argument("--step", required=True)
    sp.add_argument("--actions", required=True)
    sp.add_argument("--src", required=True)
    sp.add_argument("--dst", default="")
    sp.add_argument("--proto", dest="rproto", default="")
    sp.add_argument("--tls", default="none")
    sp.add_argument("--client", default="")
    sp.add_argument("--mech", default="")
    sp.add_argument("--action", default="login")
    sp.add_argument("--user")
    sp.add_argument("--password")
    sp.add_argument("--kind", default="none")
    sp.add_argument("--rcpts", type=int, default=0)
    sp.add_argument("--mail-from", default="")
    sp.add_argument("--rcpt-to", default="", help="comma-separated")
    sp.add_argument("--note", default="")
    sp.add_argument("--expect", default="")
    sp.add_argument("--verbose", action="store_true")
    sp.add_argument("cmd", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    if a.proto == "run":
        a.proto = a.rproto
        if a.cmd and a.cmd[0] == "--":
            a.cmd = a.cmd[1:]
        return run_cmd(a)
    return run_session(a)


if __name__ == "__main__":
    sys.exit(main())
