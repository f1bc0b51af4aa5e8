#!/usr/bin/env python3
"""check_pwhash.py - recompute Dovecot's auth-policy "pwhash" for every
captured request and check it against what Dovecot sent.

  check_pwhash.py [--verbose] [--example] tests/fixtures/policy/dovecot-requests.jsonl

Each line of the file (written by capture-policy.sh through
policy_recorder.py) holds the request body Dovecot POSTed ("json"), the
Dovecot settings of that moment ("dovecot_config": nonce, truncate, mech)
and the client action that caused it ("action": attempts "user:pass:kind",
the test passwords of mailstack.sh and of the capture).

The construction checked (Dovecot 2.3.19 src/auth/auth-policy.c):

  digest = HASH(nonce || user || "\\0" || password)     HASH = auth_policy_hash_mech
  user   = the "login" attribute (%{requested_username}): the name after
           auth_username_format (Dovecot's default %Lu lower-cases it), not
           the name as typed
  bits   = auth_policy_hash_truncate; 0 = no truncation
  keep the first ceil(bits/8) bytes of digest, read them as one big-endian
  number, shift it right by (8 - bits % 8) % 8: the value of the first
  `bits` bits; render it as lower-case hex with 2 digits per kept byte
  (so 12 bits -> 4 digits, the first one 0; 13 bits -> 4 digits < 0x2000).

Exit status 0 when every request with a pwhash matched exactly one rule and
password of its action; 1 otherwise. Standard library only.
"""
import argparse
import collections
import hashlib
import json
import sys


def dovecot_pwhash(nonce, user, password, bits=12, mech="sha256"):
    """The pwhash Dovecot 2.3 sends: see the module docstring."""
    h = hashlib.new(mech)
    h.update(nonce.encode())
    h.update(user.encode() + b"\0")
    h.update(password.encode())
    d = h.digest()
    if bits == 0 or len(d) * 8 < bits:
        return d.hex()
    nbytes = (bits + 7) // 8
    v = int.from_bytes(d[:nbytes], "big")
    if bits % 8:
        v >>= 8 - bits % 8
    return "%0*x" % (nbytes * 2, v)


def attempts(rec):
    out = []
    for a in (rec.get("action") or {}).get("attempts", []):
        user, rest = a.split(":", 1)
        pw, kind = rest.rsplit(":", 1)
        out.append((user, pw, kind))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("file")
    ap.add_argument("--verbose", action="store_true")
    ap.add_argument("--example", action="store_true",
                    help="print one worked example per truncation seen")
    a = ap.parse_args()
    checked = bad = 0
    rules = collections.Counter()
    per_phase = collections.Counter()
    examples = {}
    with open(a.file) as f:
        for n, line in enumerate(f, 1):
            rec = json.loads(line)
            body = rec.get("json") or {}
            if "pwhash" not in body:
                continue
            cfg = rec.get("dovecot_config")
            if not cfg:
                print("line %d: no dovecot_config: skipped" % n)
                continue
            got = body["pwhash"]
            login = body.get("login", "")
            bits, mech, nonce = cfg["truncate"], cfg.get("mech", "sha256"), cfg["nonce"]
            matches = []
            for typed, pw, kind in attempts(rec):
                cands = [("login attribute", login), ("as typed", typed),
                         ("typed, lower-cased", typed.lower())]
                for rule, user in cands:
                    if dovecot_pwhash(nonce, user, pw, bits, mech) == got:
                        matches.append((rule, user, pw, typed))
            checked += 1
            per_phase[rec.get("phase", "?")] += 1
            rule_users = {m[1] for m in matches}
            pws = {m[2] for m in matches}
            ok = bool(matches) and any(m[0] == "login attribute" for m in matches) \
                and len(pws) == 1
            if ok:
                rules["hash of the login attribute"] += 1
                if any(m[0] == "as typed" for m in matches):
                    rules["  ... which equals the name as typed"] += 1
                else:
                    rules["  ... which differs from the name as typed (%s)" %
                          ", ".join(sorted({m[3] for m in matches}))] += 1
                key = (bits, mech)
                if key not in examples:
                    examples[key] = (nonce, login, matches[0][2], got)
            else:
                bad += 1
                print("line %d: MISMATCH phase=%s label=%r login=%r pwhash=%s bits=%s mech=%s "
                      "matches=%r" % (n, rec.get("phase"), rec.get("label"), login, got,
                                      bits, mech, matches))
            if a.verbose:
                print("line %d %s %s %s login=%r pwhash=%s -> %s" % (
                    n, rec.get("phase"), rec.get("command"), "ok" if ok else "BAD",
                    login, got, sorted(rule_users)))
    print("check_pwhash: %d requests with pwhash checked, %d mismatched" % (checked, bad))
    for k, v in sorted(per_phase.items()):
        print("  phase %-28s %d" % (k, v))
    for k, v in rules.items():
        print("  %-60s %d" % (k, v))
    if a.example:
        for (bits, mech), (nonce, login, pw, got) in sorted(examples.items()):
            full = hashlib.new(mech, nonce.encode() + login.encode() + b"\0" + pw.encode()).hexdigest()
            print("  %s, %d bits: nonce=%r user=%r password=%r -> full %s -> pwhash %s" % (
                mech, bits, nonce, login, pw, full, got))
    if checked == 0:
        print("check_pwhash: nothing to check")
        return 1
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
