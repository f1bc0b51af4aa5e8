#!/usr/bin/env python3
"""match_actions - check mailward's events against what the clients really did.

Usage: match_actions.py MAILWARD LOG ACTIONS.jsonl [EVENTS-ARGS...]

ACTIONS.jsonl (written by capture-fixtures.sh) lists every client action with
its source address, time, user, TLS and outcome. For each login action this
checks the events `mailward events --json LOG` prints for that source address
within the action's time span:
  - a success gives exactly one auth_success or plaintext_login for the user,
    plaintext_login exactly when the password crossed in clear (no TLS, not
    Dovecot's "secured" loopback, a cleartext mechanism);
  - a failure gives at least one auth_failure (for the user when the server
    logged the name) and no auth_success/plaintext_login for that user unless
    the same client also logged in right in that span. A wrong password
    followed by the right one in the SAME connection leaves Dovecot's
    passdb line as the only trace; with several passdbs that line is a
    passdb_miss, which is accepted as the failure's evidence;
and for the whole log: every auth_failure event lies in the span of some
failed action from its address (no invented failures), and every
auth_success/plaintext_login in the span of a successful one.
Prints "match_actions: N passed, N failed" and exits non-zero on a failure.
"""
import datetime
import json
import subprocess
import sys

SLACK = 4.0  # seconds: Dovecot logs the verdict up to ~2 s after the client saw it


def ts(s):
    return datetime.datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp()


def main():
    mw, log, actions_path = sys.argv[1:4]
    out = subprocess.run([mw, "events", "--json"] + sys.argv[4:] + [log], capture_output=True, text=True)
    if out.returncode not in (0,):
        print("mailward events exited %d: %s" % (out.returncode, out.stderr))
        print("match_actions: 0 passed, 1 failed")
        return 1
    events = [json.loads(l) for l in out.stdout.splitlines()]
    for e in events:
        e["t"] = ts(e["time"])
    acts = []
    for line in open(actions_path):
        a = json.loads(line)
        if a.get("outcome") not in ("success", "failure"):
            continue
        # logins, and messages sent with SMTP AUTH
        if a.get("action") not in ("login", "auth") and not (a.get("action") == "send" and a.get("user")):
            continue
        start = ts(a.get("session_start") or a["time"])
        end = ts(a.get("session_end") or a.get("end_time") or a["time"])
        a["span"] = (start - 1.0, end + SLACK)
        acts.append(a)

    passed = failed = 0

    def check(ok, what):
        nonlocal passed, failed
        if ok:
            passed += 1
        else:
            failed += 1
            print("FAIL " + what)

    def near(a, kinds):
        lo, hi = a["span"]
        return [e for e in events if e["kind"] in kinds and e.get("ip") == a["src"]
                and lo <= e["t"] <= hi]

    logins = ("auth_success", "plaintext_login")
    for a in acts:
        tag = "step %s (%s %s %s from %s, tls=%s)" % (a["step"], a["proto"], a["kind"], a.get("user"),
                                                    a["src"], a["tls"])
        if a["outcome"] == "success":
            got = [e for e in near(a, logins) if e.get("account") == a["user"]]
            check(len(got) >= 1, tag + ": no login event")
            if not got:
                continue
            clear = (a["tls"] == "none" and a["src"] != "127.0.0.1"
                     and a.get("mech", "PLAIN").upper() in ("PLAIN", "LOGIN", "USER"))
            want = "plaintext_login" if clear else "auth_success"
            check(all(e["kind"] == want for e in got),
                  tag + ": expected %s, got %s" % (want, [e["kind"] for e in got]))
        else:
            got = near(a, ("auth_failure", "passdb_miss"))
            check(len(got) >= 1, tag + ": no auth_failure or passdb_miss event")
            named = [e for e in got if e.get("account")]
            if a.get("user") and named:
                check(any(e["account"] == a["user"] for e in named),
                      tag + ": failure names %s" % sorted({e["account"] for e in named}))
            also_ok = any(b["outcome"] == "success" and b["src"] == a["src"] and
                          b.get("user") == a.get("user") and b["span"][0] <= a["span"][1] and
                          a["span"][0] <= b["span"][1] for b in acts)
            bad = [e for e in near(a, logins) if e.get("account") == a.get("user")]
            check(not bad or also_ok, tag + ": a failed login produced a login event")

    # nothing invented: each failure/login event lies inside a matching action
    for e in events:
        if e["kind"] == "auth_failure":
            ok = any(a["outcome"] == "failure" and a["src"] == e.get("ip")
                     and a["span"][0] <= e["t"] <= a["span"][1] for a in acts)
            check(ok, "line %d: auth_failure from %s at %s matches no failed action"
                  % (e["line"], e.get("ip"), e["time"]))
        elif e["kind"] in logins:
            ok = any(a["outcome"] == "success" and a["src"] == e.get("ip")
                     and a["span"][0] <= e["t"] <= a["span"][1] for a in acts)
            # Dovecot's submission-login relays to Postfix from 127.0.0.1
            check(ok or e.get("ip") == "127.0.0.1",
                  "line %d: %s from %s at %s matches no successful action"
                  % (e["line"], e["kind"], e.get("ip"), e["time"]))

    print("match_actions: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
