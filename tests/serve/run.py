#!/usr/bin/env python3
"""tests/serve/run.py - black-box tests of the real `mailward serve` daemon.

Starts the binary on free loopback ports with a temporary state directory
and talks to it the way Dovecot (HTTP JSON) and Postfix (policy protocol)
do, plus the admin API and `mailward ctl`. Checks: help and config errors,
token on /api/, a brute force rejected, bad and oversized requests answered
with errors while the daemon keeps answering, thousands of idle
connections, a locked database, SIGHUP reload, kill -9 losing no
acknowledged ban or flag, SIGTERM stopping cleanly, and (as root, with a
tiny tmpfs) a full disk.

Usage: run.py MAILWARD   (exit 0 if every check passed)
"""
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time

import mwtest
from mwtest import check, free_port

MW = os.path.abspath(sys.argv[1])


class Daemon(mwtest.Serve):
    """the daemon with the Postfix door on a free port too"""

    def __init__(self, state, extra=(), config=None):
        self.pf_port = free_port()
        args = ["--postfix", f"127.0.0.1:{self.pf_port}", "--set", "max_memory=64M",
                "--set", "max_bans=10000", "--set", "max_flags=1000"]
        if config:
            args += ["--config", config]
        super().__init__(MW, state, args + list(extra))

    def get(self, path, token=False):
        h = {"Authorization": "Bearer " + self.token} if token else {}
        return self.request("GET", path, headers=h)

    dovecot = mwtest.Serve.policy   # (cmd, login, remote, pwhash, success=None)

    def postfix(self, attrs):
        s = socket.create_connection(("127.0.0.1", self.pf_port), timeout=5)
        s.sendall(("".join(f"{k}={v}\n" for k, v in attrs.items()) + "\n").encode())
        data = b""
        while not data.endswith(b"\n\n"):
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
        s.close()
        return data.decode()


def brute(d, ip, n=10, account="victim"):
    for i in range(n):
        d.dovecot("report", account, ip, f"{i:04x}", success=False)


def main():
    return mwtest.main("mw-serve-test-", run)


def run(top):
    # --- help, config
    r = subprocess.run([MW, "serve", "--help"], capture_output=True, text=True)
    check(r.returncode == 0 and "Dovecot" in r.stdout and "--state-dir" in r.stdout, "serve --help")
    r = subprocess.run([MW, "config"], capture_output=True, text=True)
    keys = [l.split(" =")[0] for l in r.stdout.splitlines() if " = " in l and not l.startswith("#")]
    check(r.returncode == 0 and "ban_seconds" in keys and "http" in keys and len(keys) >= 20,
          f"config prints every key ({len(keys)})")
    documented = all(f"\n# " in r.stdout for _ in [0]) and r.stdout.count("(default:") == len(keys)
    check(documented, "config documents every key with its default")
    r = subprocess.run([MW, "config", "--set", "ban_seconds=abc"], capture_output=True, text=True)
    check(r.returncode == 2 and "not a number" in r.stderr, "config rejects a bad value")
    r = subprocess.run([MW, "config", "--set", "novel_domains=33"], capture_output=True, text=True)
    check(r.returncode == 2 and "novel_domains: 33 is out of range 2..32" in r.stderr,
          "config rejects novel_domains out of its range")
    bad = os.path.join(top, "bad.conf")
    open(bad, "w").write("# comment\nban_seconds = 60\nno_such_key = 1\n")
    r = subprocess.run([MW, "config", "--config", bad], capture_output=True, text=True)
    check(r.returncode == 2 and f"{bad}:3:" in r.stderr and "no_such_key" in r.stderr,
          "config file error names FILE:LINE")
    good = os.path.join(top, "good.conf")
    open(good, "w").write("ban_seconds = 120\n")
    r = subprocess.run([MW, "config", "--config", good, "--set", "delay_max=2"], capture_output=True, text=True)
    check("ban_seconds = 120" in r.stdout and "delay_max = 2" in r.stdout, "config file and --set combine")
    r = subprocess.run([MW, "config"] , capture_output=True, text=True)
    open(os.path.join(top, "full.conf"), "w").write(r.stdout)
    r = subprocess.run([MW, "config", "--config", os.path.join(top, "full.conf")], capture_output=True, text=True)
    check(r.returncode == 0, "config output is itself a valid config file")

    state = os.path.join(top, "state")
    d = Daemon(state, config=good)
    try:
        # --- admin token
        st, _ = d.get("/api/status")
        check(st == 401, "/api/ without the token is 401")
        st, body = d.request("GET", "/api/status", headers={"Authorization": "Bearer wrong-token-123456"})
        check(st == 401, "/api/ with a wrong token is 401")
        st, status = d.api("/api/status")
        check(st == 200 and status["bans"] == 0, "/api/status with the token")
        check(oct(os.stat(os.path.join(state, "admin.token")).st_mode & 0o777) == "0o600", "admin.token is 0600")
        st, _ = d.get("/metrics")
        check(st == 401, "/metrics needs the token by default")
        st, m = d.get("/metrics", token=True)
        check(st == 200 and b"mailward_dovecot_decisions_total" in m, "/metrics with the token")

        # --- a brute force is rejected, others allowed
        st, r0 = d.dovecot("allow", "victim", "192.0.2.50", "aaaa")
        check(st == 200 and r0["status"] == 0, "a first login is allowed")
        brute(d, "192.0.2.50")
        st, r1 = d.dovecot("allow", "victim", "192.0.2.50", "bbbb")
        check(st == 200 and r1["status"] < 0, f"brute force address rejected ({r1})")
        st, r2 = d.dovecot("allow", "victim", "198.51.100.9", "cccc")
        check(r2["status"] == 0, "another address is allowed")
        st, bans = d.api("/api/bans")
        check(any(b["key"] == "192.0.2.50" and b["kind"] == "brute_force" and b["until"] - b["since"] == 120
                  for b in bans), "the ban is listed with ban_seconds from the config file")
        r = d.ctl("bans")
        check(r.returncode == 0 and "192.0.2.50" in r.stdout, "mailward ctl bans")
        r = d.ctl("findings")
        check(r.returncode == 0 and '"brute_force"' in r.stdout, "mailward ctl findings")

        # --- bad requests
        st, body = d.request("POST", "/?command=allow", body=b'{"login":', headers={})
        check(st == 400 and b"malformed JSON" in body, "malformed JSON gets 400 with the reason")
        st, body = d.request("POST", "/?command=allow", body=b"x" * (70 * 1024), headers={})
        check(st == 413, f"a body over max_request gets 413 (got {st})")
        st, body = d.request("POST", "/?command=bogus", body=b"{}", headers={})
        check(st == 400, "an unknown command gets 400")
        st, body = d.request("GET", "/", headers={})
        check(st == 405, "GET on the policy endpoint gets 405")
        st, body = d.api("/api/nope")
        check(st == 404, "an unknown API path gets 404")
        st, body = d.request("POST", "/?command=allow", body=bytes(range(256)) * 4, headers={})
        check(st == 400, "binary junk gets 400")
        s = socket.create_connection(("127.0.0.1", d.pf_port), timeout=5)
        s.sendall(b"this is not a policy request\n\n")
        s.settimeout(3)
        closed = s.recv(100) == b""
        s.close()
        check(closed, "a malformed Postfix request: connection closed (Postfix uses default_action)")
        s = socket.create_connection(("127.0.0.1", d.pf_port), timeout=5)
        try:
            s.sendall(b"sender=" + b"a" * (200 * 1024) + b"\n")
            s.settimeout(3)
            closed = s.recv(100) == b""
        except (ConnectionResetError, BrokenPipeError):
            closed = True
        s.close()
        check(closed, "an oversized Postfix request: connection closed")
        reply = d.postfix({"request": "smtpd_access_policy", "protocol_state": "RCPT", "sasl_username": "ok",
                           "client_address": "198.51.100.9", "recipient": "a@b.example", "instance": "x1"})
        check(reply == "action=DUNNO\n\n", "a good Postfix request after bad ones: DUNNO")

        # --- thousands of idle connections
        idle = []
        try:
            for i in range(1500):
                idle.append(socket.create_connection(("127.0.0.1", d.pf_port if i % 2 else d.http_port), timeout=5))
        except OSError as e:
            print(f"note: opened {len(idle)} idle connections ({e})")
        t0 = time.time()
        st, r3 = d.dovecot("allow", "someone", "198.51.100.10", "dddd")
        dt = time.time() - t0
        check(st == 200 and r3["status"] == 0 and dt < 0.5,
              f"answers with {len(idle)} idle connections open ({dt * 1000:.1f} ms)")
        for s in idle:
            s.close()

        # --- a locked database: the daemon keeps answering, saves later
        db = sqlite3.connect(os.path.join(state, "mailward.db"), timeout=5, isolation_level=None)
        db.execute("BEGIN EXCLUSIVE")
        t0 = time.time()
        brute(d, "192.0.2.60")
        st, r4 = d.dovecot("allow", "victim", "192.0.2.60", "eeee")
        dt = time.time() - t0
        check(r4["status"] < 0, "a brute force is rejected while the database is locked")
        check(dt < 5, f"11 requests answered in {dt:.2f}s with the database locked")
        db.execute("ROLLBACK")
        db.close()
        time.sleep(1.5)  # the resync runs once a second
        st, m = d.get("/metrics", token=True)
        errs = [l for l in m.decode().splitlines() if l.startswith("mailward_store_errors_total")]
        check(errs and int(errs[0].split()[1]) > 0, "store errors are counted")
        con = sqlite3.connect(os.path.join(state, "mailward.db"))
        saved = con.execute("SELECT count(*) FROM bans WHERE key='192.0.2.60'").fetchone()[0]
        con.close()
        check(saved == 1, "the ban made while locked is saved once the lock is gone")

        # --- takeover -> flag -> hold
        d.dovecot("report", "victim", "192.0.2.50", "ffff", success=True)
        st, flags = d.api("/api/flags")
        check(any(f["account"] == "victim" for f in flags), "a success from a banned address flags the account")
        reply = d.postfix({"request": "smtpd_access_policy", "protocol_state": "RCPT", "sasl_username": "victim",
                           "client_address": "192.0.2.50", "recipient": "a@b.example", "instance": "x2"})
        check(reply.startswith("action=HOLD"), f"the flagged account's mail is held ({reply.strip()})")

        # --- SIGHUP reload
        open(good, "w").write("ban_seconds = 300\n")
        d.p.send_signal(signal.SIGHUP)
        time.sleep(0.5)
        brute(d, "192.0.2.70")
        st, bans = d.api("/api/bans")
        check(any(b["key"] == "192.0.2.70" and b["until"] - b["since"] == 300 for b in bans),
              "SIGHUP reloads the config (new ban_seconds applies)")
        open(good, "w").write("ban_seconds = nonsense\n")
        d.p.send_signal(signal.SIGHUP)
        time.sleep(0.5)
        check(d.p.poll() is None and "keeping the running configuration" in open(state + ".log").read(),
              "a bad config on SIGHUP is refused, the daemon runs on")
        open(good, "w").write("ban_seconds = 300\n")

        # --- kill -9 loses no acknowledged ban or flag
        brute(d, "192.0.2.80")
        st, r5 = d.dovecot("allow", "x", "192.0.2.80", "0000")
        check(r5["status"] < 0, "ban acknowledged (reject) before kill -9")
        d.api("/api/flag", {"account": "bob", "reason": "test"})
        d.p.kill()
        d.p.wait()
    except Exception:
        d.p.kill()
        raise
    d2 = Daemon(state, config=good)
    try:
        st, r6 = d2.dovecot("allow", "x", "192.0.2.80", "0000")
        check(r6["status"] < 0, "after kill -9 the acknowledged ban holds")
        st, r7 = d2.dovecot("allow", "x", "192.0.2.50", "0000")
        check(r7["status"] < 0, "after kill -9 the earlier ban holds")
        reply = d2.postfix({"request": "smtpd_access_policy", "protocol_state": "RCPT", "sasl_username": "victim",
                            "client_address": "198.51.100.1", "recipient": "a@b.example", "instance": "y1"})
        check(reply.startswith("action=HOLD"), "after kill -9 the flag holds")
        reply = d2.postfix({"request": "smtpd_access_policy", "protocol_state": "RCPT", "sasl_username": "bob",
                            "client_address": "198.51.100.1", "recipient": "a@b.example", "instance": "y2"})
        check(reply.startswith("action=HOLD"), "after kill -9 the flag made by hand holds")
        st, res = d2.api("/api/release", {"account": "victim"})
        check(st == 200, "release an account")
        reply = d2.postfix({"request": "smtpd_access_policy", "protocol_state": "RCPT", "sasl_username": "victim",
                            "client_address": "198.51.100.1", "recipient": "a@b.example", "instance": "y3"})
        check(reply == "action=DUNNO\n\n", "a released account's mail flows")
        st, res = d2.api("/api/unban", {"key": "192.0.2.80"})
        st2, r8 = d2.dovecot("allow", "x", "192.0.2.80", "0000")
        check(st == 200 and r8["status"] >= 0, "unban lets the address in again")
        st, res = d2.api("/api/unban", {"key": "192.0.2.80"})
        check(st == 404, "unban of an address not banned is 404")
        st, res = d2.api("/api/unban", {"key": "not-an-ip"})
        check(st == 400, "unban of junk is 400")
        st, audit = d2.api("/api/audit")
        check(st == 200 and any(a["decision"] == "reject" for a in audit), "the audit trail has the rejects")
        st, held = d2.api("/api/held")
        check(st == 200, "held messages are listed")
        rc = d2.stop()
        check(rc == 0 and "saving state and stopping" in open(state + ".log").read(), "SIGTERM stops cleanly (0)")
    except Exception:
        d2.p.kill()
        raise

    # --- a full disk (root only: a tiny tmpfs)
    if os.geteuid() == 0:
        small = os.path.join(top, "small")
        os.mkdir(small)
        if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", small]).returncode == 0:
            try:
                d3 = Daemon(os.path.join(small, "state"))
                try:
                    with open(os.path.join(small, "filler"), "wb") as f:
                        try:
                            while True:
                                f.write(b"\0" * 65536)
                                f.flush()
                        except OSError:
                            pass
                    brute(d3, "192.0.2.90", n=12)
                    st, r9 = d3.dovecot("allow", "x", "192.0.2.90", "0000")
                    check(st == 200 and r9["status"] < 0, "disk full: the daemon still decides (ban in memory)")
                    st, m = d3.get("/metrics", token=True)
                    errs = [l for l in m.decode().splitlines() if l.startswith("mailward_store_errors_total")]
                    check(errs and int(errs[0].split()[1]) > 0, "disk full: store errors counted")
                    check("state store:" in open(os.path.join(small, "state") + ".log").read(),
                          "disk full: the error is logged")
                    os.unlink(os.path.join(small, "filler"))
                    time.sleep(1.5)
                    con = sqlite3.connect(os.path.join(small, "state", "mailward.db"))
                    saved = con.execute("SELECT count(*) FROM bans WHERE key='192.0.2.90'").fetchone()[0]
                    con.close()
                    check(saved == 1, "disk full: the ban is saved once there is space again")
                finally:
                    d3.stop()
            finally:
                if subprocess.run(["umount", small]).returncode != 0:
                    subprocess.run(["umount", "-l", small])
        else:
            print("note: could not mount a tmpfs; the full-disk checks were skipped")
    else:
        print("note: not root; the full-disk checks were skipped")


if __name__ == "__main__":
    sys.exit(main())
