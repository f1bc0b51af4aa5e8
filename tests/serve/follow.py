#!/usr/bin/env python3
"""tests/serve/follow.py - black-box tests of `mailward serve --follow FILE`.

Starts the real daemon on free loopback ports with a temporary state
directory, following a temporary log file (and one that does not exist
yet), and appends brute forces in the real Debian 12 Dovecot format
(tests/fixtures/real/debian12-mail.log: "auth: passwd-file(...): Password
mismatch" and "imap-login: Disconnected ... (auth failed ...)", with the
current time as RFC 3339 stamps). Checks that each attacker is banned
within 2 s (`mailward ctl bans`, and Dovecot's policy door answering -1):
history present at startup not replayed; a partial line written in two
parts parsed once complete; rename rotation (lines the writer still adds
to the renamed file read too); copytruncate (also refilled at once);
a missing file picked up when it appears; binary junk and a 2 MB line
warned about, not a crash; a success from a banned address flagging the
account; the one-time double-counting warning when
Dovecot reports arrive too; --follow-from-start replaying history; SIGTERM.

Usage: follow.py MAILWARD   (exit 0 if every check passed)
"""
import datetime
import json
import os
import random
import shutil
import sys
import time

import mwtest
from mwtest import check

MW = os.path.abspath(sys.argv[1])
mwtest.timed()


def stamp(offset=0.0):
    t = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=offset)
    return t.isoformat(timespec="microseconds")


SEQ = [0]


def attack_lines(ip, account, attempts=12):
    """attempts failed logins from ip, as Debian 12's Dovecot 2.3.19 logs them"""
    out = []
    for i in range(attempts):
        SEQ[0] += 1
        sess = "f%07dAAAAAAA" % SEQ[0]
        t = stamp(i * 0.01)
        sha = "%06x" % random.randrange(16 ** 6)
        out.append(f"{t} vm dovecot: auth: passwd-file({account},{ip},<{sess}>): Password mismatch "
                   f"(SHA1 of given password: {sha}) - trying the next passdb")
        out.append(f"{t} vm dovecot: imap-login: Disconnected: Connection closed (auth failed, 1 attempts in "
                   f"2 secs): user=<{account}>, method=PLAIN, rip={ip}, lip=127.0.0.1, TLS, session=<{sess}>")
    return out


def append(path, lines, mode="a"):
    with open(path, mode) as f:
        f.write("".join(x + "\n" for x in lines))


class Daemon(mwtest.Serve):
    """the daemon following FILEs, no Postfix door"""

    def __init__(self, state, follow, extra=()):
        args = ["--postfix", "", "--set", "max_memory=64M", "--set", "max_bans=10000", "--set", "max_flags=1000"]
        for f in follow:
            args += ["--follow", f]
        super().__init__(MW, state, args + list(extra))

    def bans(self):
        keys = set()
        for line in self.ctl("bans").stdout.splitlines():
            try:
                keys.add(json.loads(line)["key"])
            except (ValueError, KeyError):
                pass
        return keys

    def banned_within(self, ip, seconds=2.0):
        deadline = time.time() + seconds
        while True:
            if ip in self.bans():
                return True
            if time.time() > deadline:
                return False
            time.sleep(0.1)

    def dovecot(self, cmd, remote, success=None):
        return self.policy(cmd, "someone@mailward.test", remote, "abc", success)

    def alive(self):
        return self.p.poll() is None


def show_logs(tmp):
    """the daemons' logs (state*.log), their last 4000 characters"""
    for name in sorted(os.listdir(tmp)):
        if name.endswith(".log") and os.path.isfile(os.path.join(tmp, name)) and name.startswith("state"):
            print(f"--- {name}\n" + open(os.path.join(tmp, name), errors="replace").read()[-4000:])


def main():
    sys.exit(mwtest.main("mw-follow-", run, on_failure=show_logs))


def run(tmp):
    log = os.path.join(tmp, "mail.log")
    late = os.path.join(tmp, "late.log")
    # history before startup: a brute force that must not be replayed
    append(log, attack_lines("203.0.113.99", "old@mailward.test"))
    append(log, ["2026-11-23T07:53:19.883795+00:00 vm dovecot: master: Dovecot v2.3.19.1 starting up"])
    d = Daemon(os.path.join(tmp, "state"), [log, late])
    text = d.text()
    check("follow " + log + ": reading new lines from its end (line 25)" in text, "existing file read from its end")
    check("follow " + late + ": does not exist (yet); waiting for it" in text, "missing file: said once")

    # 1. a brute force appended: banned within 2 s, Dovecot told -1
    append(log, attack_lines("198.51.100.1", "alice@mailward.test"))
    check(d.banned_within("198.51.100.1"), "brute force in the followed log banned within 2 s")
    r = d.ctl("findings")
    check(f"{log}:44\"" in r.stdout, "the finding names the followed file and the line (44: 25 before start + 19)")
    st, rep = d.dovecot("allow", "198.51.100.1")
    check(st == 200 and rep.get("status") == -1, f"Dovecot's policy door rejects the banned address ({rep})")
    check("203.0.113.99" not in d.bans(), "history present at startup not replayed")
    # a login success logged from the banned address: the account is flagged
    time.sleep(1.1)  # the login after the ban's second
    append(log, [f"{stamp()} vm dovecot: imap-login: Login: user=<alice@mailward.test>, method=PLAIN, "
                 f"rip=198.51.100.1, lip=127.0.0.1, mpid=4242, TLS, session=<fLoginAAAAAAA>"])
    flagged = False
    deadline = time.time() + 2
    while not flagged and time.time() < deadline:
        r = d.ctl("flags")
        flagged = "alice@mailward.test" in r.stdout
        time.sleep(0.1)
    check(flagged, "a success logged from a banned address flags the account")

    # 2. a partial line: written in two parts, parsed once complete
    lines = attack_lines("198.51.100.2", "bob@mailward.test", attempts=10)
    append(log, lines[:-2])                 # 9 attempts
    last = lines[-2]                        # the 10th Password mismatch line
    with open(log, "a") as f:
        f.write(last[:70])
    time.sleep(0.8)
    check("198.51.100.2" not in d.bans(), "9 failures and a half line: not banned yet")
    with open(log, "a") as f:
        f.write(last[70:] + "\n" + lines[-1] + "\n")
    check(d.banned_within("198.51.100.2"), "the half line completed: parsed, banned")
    check("no timestamp" not in d.text(), "the halves were not parsed as lines of their own")

    # 3. rotation: mv + a new file; then the writer, not yet reopened, still
    # adds to the renamed one (read until it has been quiet for 2 s)
    os.rename(log, log + ".1")
    append(log, attack_lines("198.51.100.3", "carol@mailward.test"))
    deadline = time.time() + 2
    while "rotated (renamed or removed)" not in d.text() and time.time() < deadline:
        time.sleep(0.05)
    check("rotated (renamed or removed)" in d.text(), "rotation seen and logged")
    append(log + ".1", attack_lines("198.51.100.4", "dave@mailward.test"))
    check(d.banned_within("198.51.100.3"), "after rename rotation: the new file's attacker banned")
    check(d.banned_within("198.51.100.4"), "after rename rotation: lines the writer adds to the old file read")

    # 4. copytruncate: copy, truncate to 0, the writer goes on at 0
    shutil.copy(log, log + ".2")
    with open(log, "r+") as f:
        f.truncate(0)
    time.sleep(0.6)
    append(log, attack_lines("198.51.100.5", "erin@mailward.test"))
    check(d.banned_within("198.51.100.5"), "after copytruncate: the attacker banned")
    check("truncated (copytruncate?)" in d.text(), "truncation logged")

    # 4b. copytruncate refilled past the old size before the next poll
    append(log, ["x" * 3000])  # a line without a timestamp: a warning; makes the file long
    shutil.copy(log, log + ".3")
    size = os.path.getsize(log)
    pad = "%s vm dovecot: master: Warning: padding line of a busy log" % stamp()
    with open(log, "w") as f:  # truncate and refill at once with much more than was there; the
        # attacker only at the start: missed unless the truncation is seen
        f.write("".join(x + "\n" for x in attack_lines("198.51.100.6", "frank@mailward.test")))
        f.write((pad + "\n") * (2 * size // len(pad) + 1))
    check(d.banned_within("198.51.100.6"), "copytruncate refilled at once (first line changed): banned")
    check(d.text().count("truncated (copytruncate?)") == 2, "the second truncation logged")

    # 5. the missing file appears: read from its start
    append(late, attack_lines("198.51.100.7", "grace@mailward.test"))
    check(d.banned_within("198.51.100.7"), "a file that appeared later: followed from its start")

    # 6. binary junk and a 2 MB line: warnings, not a crash
    with open(log, "ab") as f:
        f.write(b"\x00\x01\x02garbage\x00\xff\xfe binary junk\n")
        f.write(b"A" * (2 << 20) + b"\n")
        f.write(b"\x00" * 5000)  # NULs without a newline, then a line
        f.write(b"\n")
    append(log, attack_lines("198.51.100.8", "heidi@mailward.test"))
    check(d.banned_within("198.51.100.8"), "after binary junk and a 2 MB line: still following")
    text = d.text()
    check(d.alive(), "daemon alive after junk")
    check(": line longer than 65536 bytes; skipped" in text, "the 2 MB line warned about (FILE:LINE)")
    check("binary data (NUL bytes)" in text, "binary junk warned about")
    big = [ln for ln in text.splitlines() if "line longer than" in ln]
    check(len(big) == 1 and f"{log}:" in big[0], f"the long line reported once, with FILE:LINE ({big})")

    # 7. Dovecot reports arrive too: one warning about counting twice
    d.dovecot("report", "192.0.2.50", success=False)
    append(log, attack_lines("192.0.2.51", "ivan@mailward.test", attempts=2))
    time.sleep(0.6)
    append(log, attack_lines("192.0.2.52", "ivan@mailward.test", attempts=2))
    time.sleep(0.6)
    check(d.text().count("counted twice") == 1, "Dovecot requests + followed log: warned once")

    # 8. SIGTERM
    rc = d.stop()
    check(rc == 0, f"SIGTERM: clean exit ({rc})")

    # 9. --follow-from-start replays what is there
    hist = os.path.join(tmp, "hist.log")
    append(hist, attack_lines("198.51.100.9", "judy@mailward.test"))
    d2 = Daemon(os.path.join(tmp, "state2"), [hist], extra=["--follow-from-start"])
    check(d2.banned_within("198.51.100.9"), "--follow-from-start: history replayed, banned")
    check(d2.stop() == 0, "second daemon: clean exit")


if __name__ == "__main__":
    main()
