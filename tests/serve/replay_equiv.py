#!/usr/bin/env python3
"""tests/serve/replay_equiv.py - analyze and serve reach the same findings.

The engine is the same code in both doors, fed the same events with the
same (log) times. This test replays fixture logs through `mailward analyze
--json` and through a real `mailward serve --follow LOG --follow-from-start`
and compares the findings: kind, detected_at, addresses, networks and
accounts of each must be equal (serve's ids are store ids, its examples
name the followed file; those are not compared).

Usage: replay_equiv.py MAILWARD FIXTURE_LOG...
"""
import json
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request

from mwtest import free_port

MW = os.path.abspath(sys.argv[1])
logs = sys.argv[2:]
failures = 0


def key(f):
    return (f["kind"], f.get("detected_at"), tuple(sorted(f.get("ips", []))),
            tuple(sorted(f.get("networks", []))), tuple(sorted(f.get("accounts", []))))


def last_of_each(lines):
    """analyze prints a grown finding again with the same id: keep the last"""
    by = {}
    for f in lines:
        by[f["id"]] = f
    return by.values()


for log in logs:
    name = os.path.basename(log)
    r = subprocess.run([MW, "analyze", "--json", "--asn-db", "/nonexistent", log], capture_output=True, text=True)
    if r.returncode not in (0, 1):
        print(f"FAIL {name}: analyze exited {r.returncode}: {r.stderr}")
        failures += 1
        continue
    want = sorted(key(f) for f in last_of_each(json.loads(l) for l in r.stdout.splitlines() if l.strip()))
    with tempfile.TemporaryDirectory() as d:
        state = os.path.join(d, "state")
        follow = os.path.join(d, name)
        with open(log, "rb") as src, open(follow, "wb") as dst:
            dst.write(src.read())
        hp, pp = free_port(), free_port()
        p = subprocess.Popen([MW, "serve", "--state-dir", state, "--http", f"127.0.0.1:{hp}",
                              "--postfix", f"127.0.0.1:{pp}", "--set", "asn_db=", "--set", "max_memory=256M",
                              "--follow", follow, "--follow-from-start", "--set", "log_level=warning"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        # wait until the whole file has been read: the findings count is stable for 1.5 s
        tok = None
        last, stable_since, deadline = -1, time.time(), time.time() + 30
        while time.time() < deadline:
            time.sleep(0.25)
            try:
                if tok is None:
                    tok = open(os.path.join(state, "admin.token")).read().strip()
                req = urllib.request.Request(f"http://127.0.0.1:{hp}/api/status",
                                             headers={"Authorization": "Bearer " + tok})
                n = json.load(urllib.request.urlopen(req, timeout=2))["findings"]
            except (OSError, ValueError):
                continue
            if n != last:
                last, stable_since = n, time.time()
            elif time.time() - stable_since > 1.5:
                break
        p.send_signal(signal.SIGTERM)
        p.wait(timeout=20)
        con = sqlite3.connect(os.path.join(state, "mailward.db"))
        rows = [json.loads(j) for (j,) in con.execute("SELECT json FROM findings ORDER BY id")]
        con.close()
    # serve also stores its own notices (stale_password, weak_password): not analyze's
    got = sorted(key(f) for f in rows if f["kind"] not in ("stale_password", "weak_password"))
    if got == want:
        print(f"ok   {name}: {len(want)} findings equal in analyze and serve --follow")
    else:
        failures += 1
        print(f"FAIL {name}: analyze {len(want)} findings, serve {len(got)}")
        for w in want:
            if w not in got:
                print("  only analyze:", w)
        for g in got:
            if g not in want:
                print("  only serve:  ", g)
sys.exit(1 if failures else 0)
