#!/usr/bin/env python3
"""serve_e2e_util.py - small queries for tests/e2e/serve-e2e.sh and weakpw-e2e.sh.

  results ACTIONS STEP          the attempts of one step (mwclient.py's JSON
                                lines): "src<TAB>user<TAB>outcome<TAB>result"
  covered BANS IP...            each IP and the ban of `mailward ctl bans`
                                (JSON lines) that covers it, or "-";
                                exit 1 if one is not covered
  finding FINDINGS KIND [IP] [ACCOUNT]
                                exit 0 if `ctl findings` has a finding of KIND
                                naming IP in its ips and ACCOUNT in its
                                accounts (empty: any); prints its id
  names FINDINGS IP             kinds of the findings that name IP
  audit AUDIT SUBJECT DECISION [TEXT]
                                how many `ctl audit` rows have this subject
                                and decision (and TEXT in their reason)
  queue QID...                  each queue id and its Postfix queue
                                (postqueue -j): hold, active, deferred,
                                incoming, or "gone"
  count FINDINGS KIND [ACCOUNT] how many findings of KIND (naming ACCOUNT)
  evidence FINDINGS KIND ACCOUNT KEY
                                evidence KEY of the first finding of KIND
                                naming ACCOUNT ("-" if none)
  labels FINDINGS KIND IP...    labels of the findings of KIND naming any of the IPs
  policy_pwhash MAILLOG USER    the distinct pwhash values of the requests
                                Dovecot logged for login USER (auth_debug:
                                "Policy server request JSON: {...}"), one a
                                line, with how many requests had each
  pwhash NONCE USER PASS BITS [MECH]
                                Dovecot's pwhash computed with hashlib
                                (the construction of check_pwhash.py)
Standard library only.
"""
import hashlib
import ipaddress
import json
import re
import subprocess
import sys


def lines(path):
    with open(path) as f:
        for l in f:
            l = l.strip()
            if l.startswith("{"):
                try:
                    yield json.loads(l)
                except ValueError:
                    pass


def results(actions, step):
    for r in lines(actions):
        if str(r.get("step")) == step and r.get("action") == "login":
            print("%s\t%s\t%s\t%s" % (r["src"], r["user"], r["outcome"], r["result"]))


def covered(bans, ips):
    keys = [b["key"] for b in lines(bans)]
    nets = []
    for k in keys:
        try:
            nets.append((k, ipaddress.ip_network(k, strict=False)))
        except ValueError:
            pass
    bad = 0
    for ip in ips:
        a = ipaddress.ip_address(ip)
        hit = [k for k, n in nets if a in n]
        # the address itself first, then the widest network
        hit.sort(key=lambda k: ("/" in k, k))
        print("%s\t%s" % (ip, ",".join(hit) if hit else "-"))
        bad += not hit
    return 1 if bad else 0


def finding(path, kind, ip="", account=""):
    for f in lines(path):
        if f.get("kind") != kind:
            continue
        if ip and ip not in f.get("ips", []):
            continue
        if account and account not in f.get("accounts", []):
            continue
        print(f.get("id"))
        return 0
    return 1


def names(path, ip):
    print(" ".join(sorted({f.get("kind", "?") for f in lines(path) if ip in f.get("ips", [])})))


def audit(path, subject, decision, text=""):
    n = sum(1 for a in lines(path)
            if a.get("subject") == subject and a.get("decision") == decision and text in a.get("reason", ""))
    print(n)


def queue(qids):
    out = subprocess.run(["postqueue", "-j"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                         text=True).stdout
    where = {}
    for l in out.splitlines():
        try:
            m = json.loads(l)
        except ValueError:
            continue
        where[m.get("queue_id")] = m.get("queue_name")
    for q in qids:
        print("%s\t%s" % (q, where.get(q, "gone")))


def count(path, kind, account=""):
    print(sum(1 for f in lines(path)
              if f.get("kind") == kind and (not account or account in f.get("accounts", []))))


def evidence(path, kind, account, key):
    for f in lines(path):
        if f.get("kind") == kind and account in f.get("accounts", []):
            print(f.get("evidence", {}).get(key, "-"))
            return
    print("-")


def labels(path, kind, *ips):
    print(" ".join(sorted({l for f in lines(path) if f.get("kind") == kind and set(ips) & set(f.get("ips", []))
                           for l in f.get("labels", [])})))


POLICY_JSON = re.compile(r"Policy server request JSON: (\{.*\})\s*$")


def policy_pwhash(maillog, user):
    seen = {}
    with open(maillog, errors="replace") as f:
        for l in f:
            m = POLICY_JSON.search(l)
            if not m:
                continue
            try:
                r = json.loads(m.group(1))
            except ValueError:
                continue
            if r.get("login") == user and r.get("pwhash"):
                seen[r["pwhash"]] = seen.get(r["pwhash"], 0) + 1
    for h, n in sorted(seen.items()):
        print("%s\t%d" % (h, n))


def pwhash(nonce, user, password, bits, mech="sha256"):
    d = hashlib.new(mech, nonce.encode() + user.encode() + b"\0" + password.encode()).digest()
    bits = int(bits)
    if bits == 0:
        print(d.hex())
        return
    nbytes = (bits + 7) // 8
    v = int.from_bytes(d[:nbytes], "big") >> ((8 - bits % 8) % 8)
    print(v.to_bytes(nbytes, "big").hex())


def main(argv):
    cmd, args = argv[1], argv[2:]
    if cmd == "results":
        results(*args)
    elif cmd == "covered":
        return covered(args[0], args[1:])
    elif cmd == "finding":
        return finding(*args)
    elif cmd == "names":
        names(*args)
    elif cmd == "audit":
        audit(*args)
    elif cmd == "queue":
        queue(args)
    elif cmd == "count":
        count(*args)
    elif cmd == "evidence":
        evidence(*args)
    elif cmd == "labels":
        labels(*args)
    elif cmd == "policy_pwhash":
        policy_pwhash(*args)
    elif cmd == "pwhash":
        pwhash(*args)
    else:
        sys.exit("serve_e2e_util.py: unknown command %s" % cmd)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
