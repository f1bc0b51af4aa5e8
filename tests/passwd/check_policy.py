#!/usr/bin/env python3
"""check_policy.py - mailward's pwhash (src/passwd/pwhash.c, through
'mailward passwd pwhash') against the pwhash a real Dovecot sent.

  check_policy.py MAILWARD tests/fixtures/policy/dovecot-requests.jsonl

Each line of a capture (tests/e2e/capture-policy.sh) holds the request body
("json": login, pwhash, ...), Dovecot's settings then ("dovecot_config":
nonce, truncate, mech) and the attempts that caused it ("action":
"user:password:kind"). A request passes when mailward's fingerprint of its
"login" and one attempted password equals the captured one. Exit 0 when at
least one request was checked and none failed; 1 otherwise.
"""
import json
import subprocess
import sys


def pwhash(mw, nonce, user, pw, bits, mech):
    r = subprocess.run([mw, "passwd", "pwhash", "--nonce", nonce, "--user", user,
                        "--bits", str(bits), "--mech", mech],
                       input=(pw + "\n").encode(), capture_output=True, check=True)
    return r.stdout.decode().strip()


def main():
    mw, files = sys.argv[1], sys.argv[2:]
    checked = bad = 0
    for path in files:
        with open(path) as f:
            for n, line in enumerate(f, 1):
                rec = json.loads(line)
                body = rec.get("json") or {}
                cfg = rec.get("dovecot_config")
                if "pwhash" not in body or not cfg:
                    continue
                pws = set()
                for a in (rec.get("action") or {}).get("attempts", []):
                    _, rest = a.split(":", 1)
                    pws.add(rest.rsplit(":", 1)[0])
                got = {pwhash(mw, cfg["nonce"], body.get("login", ""), pw, cfg["truncate"],
                              cfg.get("mech", "sha256")) for pw in pws}
                checked += 1
                if body["pwhash"] not in got:
                    bad += 1
                    print("%s:%d: Dovecot sent %s, mailward computes %s" % (path, n, body["pwhash"], sorted(got)))
    print("check_policy: %d captured requests checked, %d mismatched" % (checked, bad))
    return 0 if checked and not bad else 1


if __name__ == "__main__":
    sys.exit(main())
