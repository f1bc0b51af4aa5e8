#!/usr/bin/env python3
"""tests/serve/milter_run.py - black-box test of `mailward serve`'s milter.

Starts the real daemon with `milter = inet:PORT@127.0.0.1` (then
`unix:PATH`) and speaks the Sendmail milter protocol to it the way
Postfix's cleanup does (milter_client.py, python stdlib). Checks:
unauthenticated mail accepted at MAIL FROM untouched; ordinary
authenticated mail passes; the hijack wave (Subject = the user name, the
body one link) passes once and then flags the account, the message is
quarantined (reason given) and listed by /api/held and /api/flags with a
content_traits finding; the flagged account's other mail is quarantined
too; release lets it through again; an HTML multipart wave over a unix
socket; 16 connections at once all answered; the verdict threshold
follows a SIGHUP (three in a row, the milter still answering); /metrics
counters; a taken port refused at start; SIGTERM stops in time and removes
the socket file.

Usage: milter_run.py MAILWARD   (exit 0 if every check passed)
"""
import os
import signal
import socket
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mwtest  # noqa: E402
from milter_client import Milter  # noqa: E402
from mwtest import check, free_port  # noqa: E402

MW = os.path.abspath(sys.argv[1])


class Daemon(mwtest.Serve):
    """the daemon with its milter on MILTER (inet:PORT@HOST or unix:PATH), no
    Postfix door"""

    def __init__(self, state, milter, extra=(), wait=True):
        super().__init__(MW, state, ["--postfix", "", "--set", "max_memory=64M", "--set", "max_bans=1000",
                                     "--set", "max_flags=1000", "--set", f"milter={milter}"] + list(extra),
                         wait=wait)

    def metrics(self):
        st, data = self.request("GET", "/metrics", headers={"Authorization": "Bearer " + self.token})
        out = {}
        for line in data.decode().splitlines():
            if line and not line.startswith("#"):
                k, v = line.rsplit(" ", 1)
                out[k] = int(float(v))
        return out

    def stop(self, sig=signal.SIGTERM):
        return super().stop(sig, timeout=15)


WAVE_BODY = "\r\nhttps://evil.example/x?id=7\r\n\r\n"
NORMAL_BODY = ("Hi Bob,\r\n\r\nthe minutes of Tuesday's meeting are attached; see you on Friday.\r\n"
               "Could you bring the budget sheet?\r\n\r\nAlice\r\n")
HTML_WAVE = ("--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nhttps://evil.example/y\r\n"
             "--b1\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
             "<html><body><a href=3D\"https://evil.example/y\">https://evil.example/y</a></body></html>\r\n"
             "--b1--\r\n")


def send(port_or_path, auth, subject, body, qid, ctype=None, rcpts=("friend@example.net",)):
    if isinstance(port_or_path, int):
        m = Milter("127.0.0.1", port_or_path)
    else:
        m = Milter.__new__(Milter)
        m.s = socket.socket(socket.AF_UNIX)
        m.s.settimeout(10)
        m.s.connect(port_or_path)
        m.buf = b""
        m.send(b"O", __import__("struct").pack(">III", 6, 0x1FF, 0x1FFFFF))
        cmd, data = m.read()
        m.version, m.actions, m.proto = __import__("struct").unpack(">III", data[:12])
        m.connected = False
    headers = [("From", auth or "someone@example.org")]
    if subject is not None:
        headers.append(("Subject", subject))
    if ctype:
        headers.append(("Content-Type", ctype))
    r = m.message(auth=auth, sender=auth or "someone@example.org", rcpts=rcpts, headers=headers, body=body,
                  queue_id=qid)
    m.close()
    return r


def main():
    return mwtest.main("mw-milter-", run,
                       summary=lambda: f"{'FAILED' if mwtest.failures else 'passed'}: {mwtest.failures} failure(s)")


def run(top):
    state = os.path.join(top, "a")
    os.mkdir(state)
    port = free_port()
    d = Daemon(state, f"inet:{port}@127.0.0.1", extra=["--set", "milter_timeout=5"])
    # a second daemon cannot take the same milter port
    state2 = os.path.join(top, "busy")
    os.mkdir(state2)
    d2 = Daemon(state2, f"inet:{port}@127.0.0.1", wait=False)
    try:
        rc2 = d2.p.wait(timeout=10)
    except subprocess.TimeoutExpired:
        d2.p.kill()
        rc2 = d2.p.wait()
    d2.log.close()
    check(rc2 != 0 and "cannot listen" in open(d2.log_path).read(), "a taken milter port is refused at start")

    r = send(port, None, "alice", WAVE_BODY, "U1")
    check(r.action == "accept" and r.quarantine is None, f"unauthenticated mail accepted at MAIL, untouched ({r})")
    r = send(port, "alice@example.com", "Minutes", NORMAL_BODY, "A0")
    check(r.action == "continue" and r.quarantine is None, f"ordinary authenticated mail passes ({r})")
    r = send(port, "alice@example.com", "alice", WAVE_BODY, "A1")
    check(r.action == "continue" and r.quarantine is None, f"one wave message alone passes ({r})")
    r = send(port, "alice@example.com", "=?UTF-8?B?YWxpY2U=?=", WAVE_BODY, "A2")
    check(r.quarantine == "mailward: account flagged (content_traits)",
          f"the second wave message is quarantined with a reason ({r})")
    st, held = d.api("/api/held")
    check(st == 200 and [h["queue_id"] for h in held] == ["A2"] and held[0]["account"] == "alice@example.com",
          f"/api/held lists it ({held})")
    st, flags = d.api("/api/flags")
    fl = [f for f in flags if f["account"] == "alice@example.com"]
    check(fl and fl[0]["kind"] == "content_traits" and "body is one link" in fl[0]["reason"],
          f"/api/flags: the account, kind content_traits, the traits named ({fl})")
    st, finds = d.api("/api/findings")
    check(any(f.get("kind") == "content_traits" and f["accounts"] == ["alice@example.com"] for f in finds),
          "a content_traits finding is stored")
    r = send(port, "alice@example.com", "Lunch?", NORMAL_BODY, "A3")
    check(r.quarantine is not None, "the flagged account's ordinary mail is quarantined too")
    st, _ = d.api("/api/release", {"account": "alice@example.com"})
    r = send(port, "alice@example.com", "Lunch?", NORMAL_BODY, "A4")
    check(st == 200 and r.action == "continue" and r.quarantine is None, f"released: its mail passes ({r})")

    # 16 connections at once, each an account sending the wave 5 times
    results = {}

    def worker(i):
        acct = f"user{i:02d}@example.com"
        out = []
        for k in range(5):
            try:
                out.append(send(port, acct, f"user{i:02d}", WAVE_BODY, f"P{i:02d}{k}"))
            except Exception as e:  # noqa: BLE001
                out.append(e)
        results[i] = out

    t0 = time.time()
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    took = time.time() - t0
    ok = all(len(v) == 5 and all(not isinstance(x, Exception) for x in v) for v in results.values())
    q = sum(1 for v in results.values() for x in v if not isinstance(x, Exception) and x.quarantine)
    check(ok and len(results) == 16, f"16 concurrent connections x 5 messages all answered ({took:.2f}s)")
    check(q == 16 * 4, f"each account's first wave message passes, the other 4 are held ({q} of 64)")

    m = d.metrics()
    check(m.get('mailward_milter_unauthenticated_total') == 1, "metrics: 1 unauthenticated")
    quarantined = m.get('mailward_milter_decisions_total{action="quarantine"}')
    check(quarantined == 2 + 64, f"metrics: 66 quarantined ({quarantined})")
    check(m.get('mailward_content_flags_total') == 17, "metrics: 17 accounts flagged for content")
    check(m.get('mailward_milter_failopen_total{reason="timeout"}') == 0, "metrics: no timeouts")
    rc = d.stop()
    check(rc == 0, "SIGTERM: exit 0")
    log = open(d.log_path).read()
    check("Sanitizer" not in log and "runtime error" not in log, "no sanitizer report (ASan/UBSan builds)")

    # a unix socket, a config file, SIGHUP
    state = os.path.join(top, "b")
    os.mkdir(state)
    sock = os.path.join(top, "milter.sock")
    conf = os.path.join(top, "serve.conf")
    with open(conf, "w") as f:
        f.write("content_score_flag = 10\n")
    d = Daemon(state, f"unix:{sock}", extra=["--config", conf])
    check(os.stat(sock).st_mode & 0o777 == 0o666, "the unix socket is mode 0666 (Postfix's user connects)")
    r1 = send(sock, "bob@example.com", "bob", HTML_WAVE, "B1", ctype="multipart/alternative; boundary=b1")
    r2 = send(sock, "bob@example.com", "bob", HTML_WAVE, "B2", ctype="multipart/alternative; boundary=b1")
    check(r1.quarantine is None and r2.quarantine, f"an HTML multipart wave: second one quarantined ({r1}, {r2})")
    with open(conf, "w") as f:
        f.write("content_score_flag = 8\n")
    for _ in range(3):
        d.p.send_signal(signal.SIGHUP)
        time.sleep(0.3)
    r = send(sock, "carol@example.com", "carol", WAVE_BODY, "C1")
    check(r.quarantine is not None, f"after SIGHUP (threshold 8) the first wave message is held ({r})")
    t0 = time.time()
    rc = d.stop()
    took = time.time() - t0
    check(rc == 0 and took < 5, f"SIGTERM stops the daemon and its milter in {took:.2f}s")
    check(not os.path.exists(sock), "the socket file is removed at stop")
    log = open(d.log_path).read()
    check("stopped by itself" not in log, "libmilter did not take a signal meant for the daemon")
    check("evil.example" not in log, "no message body in the log")
    check("Sanitizer" not in log and "runtime error" not in log, "no sanitizer report (ASan/UBSan builds)")


if __name__ == "__main__":
    sys.exit(main())
