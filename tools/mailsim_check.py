#!/usr/bin/env python3
"""mailsim_check - check tools/mailsim's output, and mailward's reading of it.

  tools/mailsim_check.py [--users N] [--days D] [--seed S] [--mailward BIN] [--keep DIR]
                         [MAILSIM OPTION...]

Any other option (e.g. --profile full, --stuffing-ips 500) goes to mailsim.

1. Runs mailsim (with --truth and --shapes) and checks the log's own
   invariants: times never go backwards; a Postfix queue id's lines come in
   the order smtpd/pickup -> cleanup -> qmgr -> deliveries -> removed and the
   id is not reused while the message is queued; an smtpd process serves one
   session at a time (connect ... disconnect under one pid); every Dovecot
   failed login's passdb line and login line share a session id.
2. With --mailward, runs `mailward events --json --stats` on the log and
   compares, line by line, the event kind mailward printed with the kind the
   simulator meant (its --shapes oracle), then checks fields: the listed
   address of a dnsbl_listing is our own, Dovecot events carry the account
   and session, submission deliveries carry the submitting account.
   Discrepancies are grouped with one sample line each.

Exit status: 0 all agree, 1 discrepancies found, 2 usage or run error.
"""
import argparse
import collections
import json
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))

TS_RFC = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6})\+00:00 (\S+) (\S+?)(?:\[(\d+)\])?: (.*)$")
QID = re.compile(r"^([0-9A-F]{6,}): (.*)$")


def check_log(path, problems):
    last = ""
    active = {}          # qid -> state: 1 client/pickup, 2 cleanup, 3 queued
    smtpd = {}           # (prog, pid) -> open session's client
    fails = {}           # dovecot session -> passdb lines seen
    n = 0
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            m = TS_RFC.match(line)
            if not m:
                problems["line not in the expected syslog shape"].append((n, line))
                continue
            ts, host, prog, pid, msg = m.groups()
            if ts < last:
                problems["time goes backwards"].append((n, line))
            last = ts
            if prog.startswith("postfix/"):
                daemon = prog.rsplit("/", 1)[1]
                q = QID.match(msg)
                if daemon == "smtpd":
                    key = (prog, pid)
                    if msg.startswith("connect from "):
                        if key in smtpd:
                            problems["smtpd pid reused while a session is open"].append((n, line))
                        smtpd[key] = msg[13:]
                    elif msg.startswith("disconnect from "):
                        if smtpd.pop(key, None) is None:
                            problems["smtpd disconnect without connect"].append((n, line))
                    elif key not in smtpd:
                        problems["smtpd line outside a session"].append((n, line))
                    if q and q.group(2).startswith("client="):
                        if q.group(1) in active:
                            problems["queue id reused while queued"].append((n, line))
                        active[q.group(1)] = 1
                elif daemon == "pickup" and q:
                    active[q.group(1)] = 1
                elif daemon == "cleanup" and q:
                    st = active.get(q.group(1))
                    if st is None:
                        active[q.group(1)] = 2   # a bounce notification starts in cleanup
                    elif st != 1:
                        problems["cleanup out of order"].append((n, line))
                    else:
                        active[q.group(1)] = 2
                elif daemon == "qmgr" and q:
                    st = active.get(q.group(1))
                    rest = q.group(2)
                    if rest == "removed":
                        if st is None:
                            problems["removed for an unknown queue id"].append((n, line))
                        active.pop(q.group(1), None)
                    elif rest.startswith("from=<"):
                        if st is None:
                            problems["qmgr line for an unknown queue id"].append((n, line))
                        active[q.group(1)] = 3
                elif daemon in ("smtp", "lmtp", "local", "bounce") and q:
                    if active.get(q.group(1)) != 3:
                        problems["delivery before qmgr made the message active"].append((n, line))
            elif prog == "dovecot":
                if msg.startswith("auth: passwd-file("):
                    s = re.search(r",<([^>]+)>\): ", msg)
                    if s:
                        fails[s.group(1)] = fails.get(s.group(1), 0) + 1
                elif "(auth failed, " in msg:
                    s = re.search(r"session=<([^>]+)>", msg)
                    a = re.search(r"auth failed, (\d+) attempts", msg)
                    if not s or fails.pop(s.group(1), None) != int(a.group(1)):
                        problems["login failure without matching passdb lines"].append((n, line))
    return n


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--users", type=int, default=100)
    ap.add_argument("--days", type=int, default=2)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--mailward", default=None, help="a built mailward binary to compare with")
    ap.add_argument("--keep", default=None, help="leave the log, truth, shapes and events here")
    a, extra = ap.parse_known_args()
    tmp = a.keep or tempfile.mkdtemp(prefix="mailsim-check.")
    os.makedirs(tmp, exist_ok=True)
    log, truth, shapes, events = (os.path.join(tmp, x) for x in ("mail.log", "truth.json", "shapes.tsv", "events.json"))
    try:
        subprocess.run([os.path.join(HERE, "mailsim"), "--users", str(a.users), "--days", str(a.days),
                        "--seed", str(a.seed), "--out", log, "--truth", truth, "--shapes", shapes] + extra,
                       check=True)
        problems = collections.defaultdict(list)
        nlines = check_log(log, problems)
        t = json.load(open(truth))
        print("mailsim: %d lines, %d users, %d days, seed %d" % (nlines, a.users, a.days, a.seed))
        for k, v in sorted(problems.items()):
            print("  LOG PROBLEM %s: %d, e.g. line %d: %s" % (k, len(v), v[0][0], v[0][1].rstrip()[:300]))
        if not problems:
            print("  log invariants hold (time order, queue ids, smtpd sessions, Dovecot sessions)")
        bad = bool(problems)
        if a.mailward:
            with open(events, "w") as out:
                p = subprocess.run([a.mailward, "events", "--json", "--stats", log], stdout=out,
                                   stderr=subprocess.PIPE, text=True)
            print("mailward events --stats (exit %d):\n  %s" % (p.returncode, p.stderr.strip().replace("\n", "\n  ")))
            kinds = t["shape_kinds"]
            want = {}
            for row in open(shapes):
                ln, shape = row.rstrip("\n").split("\t")
                want[int(ln)] = shape
            lines = open(log, encoding="utf-8").read().split("\n")
            got = {}
            diffs = collections.defaultdict(list)
            fields = collections.defaultdict(list)
            for row in open(events):
                e = json.loads(row)
                got[e["line"]] = e
                line = lines[e["line"] - 1]
                k = e["kind"]
                if k == "dnsbl_listing" and e.get("ip") not in t["our_server"]["ips"]:
                    fields["dnsbl_listing: ip is not our listed address (%s)" % e.get("ip")].append((e, line))
                if e.get("program") == "dovecot" and k in ("auth_failure", "auth_success", "plaintext_login"):
                    if "account" not in e:
                        fields["dovecot %s without account" % k].append((e, line))
                    if "session" not in e and "passwd-file(" in line and ",<" in line:
                        fields["dovecot %s without session" % k].append((e, line))
                if k in ("auth_failure", "auth_success", "plaintext_login", "client_listed") and "ip" not in e:
                    fields["%s without ip" % k].append((e, line))
                if k == "delivery" and "sasl_username" not in line and e.get("service") == "submission" and "account" not in e:
                    fields["submission delivery without account"].append((e, line))
                if k.startswith("auth_") or k == "plaintext_login":
                    m = re.search(r"sasl_username=([^,\s]+)", line)
                    if m and e.get("account") != m.group(1):
                        fields["%s: account is not the sasl_username" % k].append((e, line))
                if k in ("auth_failure",) and "SASL" in line and "tls" not in e:
                    fields["SASL failure without tls"].append((e, line))
            for ln in sorted(set(want) | set(got)):
                w = kinds.get(want.get(ln, "not_evidence"))
                g = got[ln]["kind"] if ln in got else None
                if w != g:
                    diffs[(want.get(ln, "not_evidence"), w, g)].append((ln, lines[ln - 1]))
            exp = t["expected_events"]
            print("expected (simulator) vs printed (mailward), by kind:")
            printed = collections.Counter(e["kind"] for e in got.values())
            for k in sorted(set(exp) | set(printed)):
                mark = "" if exp.get(k, 0) == printed.get(k, 0) else "   <-- differs"
                print("  %-16s %9d %9d%s" % (k, exp.get(k, 0), printed.get(k, 0), mark))
            for (shape, w, g), v in sorted(diffs.items(), key=lambda x: -len(x[1])):
                print("  KIND MISMATCH %d lines: shape %s should be %s, mailward says %s; e.g. line %d:\n      %s"
                      % (len(v), shape, w, g, v[0][0], v[0][1][:400]))
            for k, v in sorted(fields.items(), key=lambda x: -len(x[1])):
                print("  FIELD PROBLEM %d events: %s; e.g. line %d:\n      %s\n      -> %s"
                      % (len(v), k, v[0][0]["line"], v[0][1][:400], json.dumps(v[0][0])[:400]))
            if not diffs and not fields:
                print("  every line agrees with the simulator's oracle")
            bad = bad or bool(diffs) or bool(fields)
        return 1 if bad else 0
    finally:
        if not a.keep:
            for x in (log, truth, shapes, events):
                if os.path.exists(x):
                    os.unlink(x)
            os.rmdir(tmp)


if __name__ == "__main__":
    sys.exit(main())
