#!/bin/bash
# tests/passwd/run.sh - black-box tests of 'mailward passwd' (check, audit,
# pwhash) against the real binary. Uses the fixed top-100 list in
# tests/fixtures/passwd (no network); the checks against the full list
# (data/passwords.txt from scripts/fetch-passwords.sh) run when it exists and
# say so when it does not. Fingerprints are checked against Python's hashlib,
# fresh hashes are made with openssl at test time.
# Usage: run.sh MAILWARD SOURCE_DIR
set -uo pipefail
mw=$1
top=$2
fx=$top/tests/fixtures/passwd
list=$fx/top100.txt
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
n=0
ok() { n=$((n + 1)); }
bad() { echo "FAIL: $*"; fails=$((fails + 1)); n=$((n + 1)); }
expect_rc() { # expect_rc WANT GOT WHAT
    if [ "$1" = "$2" ]; then ok; else bad "$3: exit $2, wanted $1"; fi
}
contains() { # contains FILE TEXT WHAT
    if grep -qF -- "$2" "$1"; then ok; else bad "$3: '$2' not in $(head -c 600 "$1")"; fi
}
lacks() {
    if grep -qF -- "$2" "$1"; then bad "$3: '$2' should not be in the output"; else ok; fi
}
check() { # check PASSWORD ARGS... -> rc; stdout in $tmp/out, stderr in $tmp/err
    printf '%s\n' "$1" | "$mw" passwd check "${@:2}" >"$tmp/out" 2>"$tmp/err"
}

# --- help everywhere
for sub in "" check audit pwhash; do
    "$mw" passwd $sub --help >"$tmp/out" 2>&1
    expect_rc 0 $? "passwd $sub --help"
    contains "$tmp/out" "Usage: mailward passwd" "passwd $sub --help"
done
"$mw" passwd frobnicate >/dev/null 2>"$tmp/err"
expect_rc 2 $? "unknown subcommand"

# --- check
check password --list "$list"; expect_rc 1 $? "check password"
contains "$tmp/out" "not acceptable" "check password"
contains "$tmp/out" "common:" "check password"
check 'P@ssw0rd2024!' --list "$list"; expect_rc 1 $? "check l33t variant"
contains "$tmp/out" "common_variant" "check l33t variant"
check 'correct horse battery staple' --list "$list" --user alice@example.com; expect_rc 0 $? "check passphrase"
contains "$tmp/out" "acceptable" "check passphrase"
check 'Alice2024!' --list "$list" --user alice@example.com; expect_rc 1 $? "check user name"
contains "$tmp/out" "context" "check user name"
check 'Example!2024' --list "$list" --user bob --domain example.org; expect_rc 1 $? "check --domain"
contains "$tmp/out" "domain name" "check --domain"
check 'webmail12345' --list "$list"; expect_rc 1 $? "check service word"
check 'abcd1234abcd' --list "$list"; expect_rc 1 $? "check sequential/repetitive"
check 'Grüße aus Köln am Rhein' --list "$list"; expect_rc 0 $? "check unicode passphrase"
check 'äöüßéèà' --list "$list"; expect_rc 1 $? "check 7 code points in 14 bytes"
contains "$tmp/out" "7 characters" "check counts code points"
check 'twelve chars' --list "$list" --min-length 15; expect_rc 1 $? "check --min-length"
contains "$tmp/out" "too_short" "check --min-length"
# JSON, and the password never in any output
secret='Sunshine-Sunshine'
check "$secret" --list "$list" --json --user sun@example.com
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["acceptable"] in (True,False) and isinstance(d["reasons"],list) and d["length"]==17, d' "$tmp/out" && ok || bad "check --json shape"
lacks "$tmp/out" "$secret" "check --json (password)"
lacks "$tmp/err" "$secret" "check stderr (password)"
check "$secret" --list "$list"
lacks "$tmp/out" "Sunshine" "check text (password)"
# the password is never taken from the command line; empty input is an error
"$mw" passwd check --list "$list" hunter2 </dev/null >"$tmp/out" 2>"$tmp/err"
expect_rc 2 $? "check password as argument"
"$mw" passwd check --list "$list" </dev/null >"$tmp/out" 2>"$tmp/err"
expect_rc 2 $? "check empty stdin"
contains "$tmp/err" "no password on standard input" "check empty stdin"
# no list at all: said clearly, the other rules still apply
printf '%s\n' 'aaaaaaaaaaaa' | MAILWARD_PASSWORDS=/nonexistent/passwords.txt "$mw" passwd check --json >"$tmp/out" 2>"$tmp/err"
expect_rc 1 $? "check without a list (repetitive)"
contains "$tmp/err" "/nonexistent/passwords.txt" "check without a list: says which"
contains "$tmp/out" '"list":null' "check without a list: json"
contains "$tmp/out" '"no_list"' "check without a list: warning"
contains "$tmp/out" '"repetitive"' "check without a list: other rules"
printf '%s\n' 'correct horse battery staple' | MAILWARD_PASSWORDS=/nonexistent "$mw" passwd check >"$tmp/out" 2>"$tmp/err"
expect_rc 0 $? "check without a list (good passphrase)"
"$mw" passwd check --list /nonexistent </dev/null >/dev/null 2>&1
expect_rc 2 $? "check --list missing file"
# offline breach corpus (sorted SHA1:COUNT), built here with hashlib
python3 - "$tmp/pwned.txt" <<'PY'
import hashlib, sys
words = ["hunter2-Sunshine-42", "correct horse battery staple", "zz-top-secret-phrase"] + [f"pw{i}" for i in range(2000)]
rows = sorted((hashlib.sha1(w.encode()).hexdigest().upper(), i + 3) for i, w in enumerate(words))
open(sys.argv[1], "w").write("".join(f"{h}:{c}\n" for h, c in rows))
PY
check 'correct horse battery staple' --list "$list" --breach "$tmp/pwned.txt"; expect_rc 1 $? "check --breach hit"
contains "$tmp/out" "breached" "check --breach hit"
contains "$tmp/out" "seen 4 times" "check --breach count"
check 'Grüße aus Köln am Rhein' --list "$list" --breach "$tmp/pwned.txt"; expect_rc 0 $? "check --breach miss"
# the full list from scripts/fetch-passwords.sh, when it is there
if [ -s "$top/data/passwords.txt" ]; then
    for p in trustno1 iloveyou2 Dragon123 'Welcome1!' sunshine99; do
        check "$p" --list "$top/data/passwords.txt"; expect_rc 1 $? "check (full list) $p"
    done
    check 'tomato-Velvet-orbit-91' --list "$top/data/passwords.txt"; expect_rc 0 $? "check (full list) passphrase"
else
    echo "passwd-cli: data/passwords.txt absent (scripts/fetch-passwords.sh not run): full-list checks skipped"
fi

# --- pwhash against Python's hashlib (Dovecot's construction)
python3 - "$tmp/cases" <<'PY'
import hashlib, random, sys
random.seed(6)
mechs = {"md5": 128, "sha1": 160, "sha256": 256, "sha512": 512, "sha384": 384, "sha3-256": 256}
out = []
for i in range(40):
    mech = random.choice(list(mechs))
    bits = random.choice([0, 1, 7, 8, 12, 13, 16, 24, 31, 64, mechs[mech]])
    nonce = "".join(random.choice("abcXYZ019-") for _ in range(random.randint(0, 12)))
    user = random.choice(["", "alice", "bob@example.com", "Jürgen@example.de"])
    pw = "".join(random.choice("ab!xé9 ") for _ in range(random.randint(0, 20)))
    d = hashlib.new(mech.replace("-", "_"), (nonce + user).encode() + b"\0" + pw.encode()).digest()
    if bits:
        v = int.from_bytes(d, "big") >> (len(d) * 8 - bits)
        hexd = v.to_bytes((bits + 7) // 8, "big").hex()
    else:
        hexd = d.hex()
    out.append("\x1f".join([mech, str(bits), nonce, user, pw, hexd]))
open(sys.argv[1], "w", encoding="utf-8").write("\n".join(out) + "\n")
PY
while IFS=$'\x1f' read -r mech bits nonce user pw want; do
    got=$(printf '%s\n' "$pw" | "$mw" passwd pwhash --mech "$mech" --bits "$bits" --nonce "$nonce" --user "$user")
    if [ "$got" = "$want" ]; then ok; else bad "pwhash $mech/$bits nonce='$nonce' user='$user': $got, wanted $want"; fi
done <"$tmp/cases"
printf 'x\n' | "$mw" passwd pwhash --mech md5 --bits 200 >/dev/null 2>&1; expect_rc 2 $? "pwhash bits over the digest"
printf 'x\n' | "$mw" passwd pwhash --mech whirlpool >/dev/null 2>&1; expect_rc 2 $? "pwhash unknown mech"
# captured Dovecot policy requests, when another part of the suite recorded them
if ls "$top"/tests/fixtures/policy/dovecot-*.jsonl >/dev/null 2>&1; then
    python3 "$top/tests/passwd/check_policy.py" "$mw" "$top"/tests/fixtures/policy/dovecot-*.jsonl >"$tmp/policy" 2>&1 &&
        ok || bad "pwhash vs captured Dovecot requests: $(tail -5 "$tmp/policy")"
    grep -q ' 0 mismatched' "$tmp/policy" && ok || bad "pwhash vs captured Dovecot requests"
else
    echo "passwd-cli: no captured Dovecot policy requests (tests/fixtures/policy/dovecot-*.jsonl): that check skipped"
fi

# --- audit
want_findings() { # the expected (account reason) pairs of users.passwd
cat <<'W'
alice@example.com guessed
bob@example.com guessed
carol@example.com guessed
dave@example.com guessed
dave@example.com weak_scheme
erin@example.com guessed
frank@example.com guessed
grace@example.com guessed
grace@example.com weak_scheme
heidi@example.com weak_scheme
ivan@example.com guessed
ivan@example.com weak_scheme
judy@example.com guessed
judy@example.com weak_scheme
ken@example.com weak_scheme
leo@example.com guessed
leo@example.com weak_scheme
mallory@example.com guessed
mallory@example.com weak_scheme
nina@example.com guessed
nina@example.com weak_scheme
oscar@example.com guessed
oscar@example.com weak_scheme
sybil@example.com guessed
sybil@example.com weak_scheme
trent@example.com guessed
uma@example.com weak_password
uma@example.com weak_scheme
victor@example.com weak_scheme
walter@example.com guessed
walter@example.com weak_scheme
W
}
pairs() { python3 -c '
import json, sys
for l in open(sys.argv[1]):
    d = json.loads(l)
    print(d["account"], d["reason"])' "$1" | sort; }
want_findings | sort >"$tmp/want"
for t in 1 2; do
    "$mw" passwd audit --list "$list" --json --threads $t "$fx/users.passwd" >"$tmp/a$t" 2>"$tmp/err"
    expect_rc 0 $? "audit --threads $t"
    pairs "$tmp/a$t" >"$tmp/got$t"
    if diff -u "$tmp/want" "$tmp/got$t" >"$tmp/diff"; then ok; else bad "audit --threads $t findings: $(cat "$tmp/diff")"; fi
    lacks "$tmp/a$t" '"password"' "audit without --show prints no password"
done
"$mw" passwd audit --list "$list" --json --show "$fx/users.passwd" >"$tmp/show" 2>/dev/null
python3 - "$tmp/show" <<'PY' && ok || bad "audit --show passwords"
import json, sys
want = {"alice@example.com": "password1", "bob@example.com": "bob123", "carol@example.com": "Carol1",
        "erin@example.com": "password", "frank@example.com": "password", "trent@example.com": "trent2",
        "uma@example.com": "aaaaaaaaaaaa"}
got = {}
for l in open(sys.argv[1]):
    d = json.loads(l)
    if "password" in d:
        got[d["account"]] = d["password"]
for k, v in want.items():
    assert got.get(k) == v, (k, got.get(k))
assert "heidi@example.com" not in got and "peggy@example.com" not in got
PY
"$mw" passwd audit --list "$list" "$fx/users.passwd" >"$tmp/text" 2>/dev/null
contains "$tmp/text" "users.passwd:4 alice@example.com {SHA512-CRYPT} guessed" "audit text"
lacks "$tmp/text" "password1" "audit text without --show"
# bad input: FILE:LINE errors, the rest still audited, exit 1
"$mw" passwd audit --list "$list" --json "$fx/bad.passwd" >"$tmp/out" 2>"$tmp/err"
expect_rc 1 $? "audit bad.passwd"
for l in 4 5 6 7 8 9 10 11 12 13 14; do
    contains "$tmp/err" "bad.passwd:$l:" "audit bad.passwd line $l"
done
contains "$tmp/out" '"account":"good1@example.com"' "audit bad.passwd: good line before"
contains "$tmp/out" '"account":"good2@example.com"' "audit bad.passwd: good line after"
: >"$tmp/empty"
"$mw" passwd audit --list "$list" "$tmp/empty" >/dev/null 2>"$tmp/err"; expect_rc 1 $? "audit empty file"
contains "$tmp/err" "empty file" "audit empty file"
"$mw" passwd audit --list "$list" "$tmp/missing" >/dev/null 2>"$tmp/err"; expect_rc 1 $? "audit missing file"
contains "$tmp/err" "$tmp/missing" "audit missing file names it"
"$mw" passwd audit --list "$list" >/dev/null 2>&1; expect_rc 2 $? "audit without FILE"
# binary garbage and a 100 KB line: reported, no crash
{ echo 'ok1@example.com:{PLAIN}123456'; head -c 3000 /dev/urandom; echo; head -c 100000 /dev/zero | tr '\0' 'a'; echo; echo 'ok2@example.com:{PLAIN}qwerty'; } >"$tmp/garbage"
"$mw" passwd audit --list "$list" --json "$tmp/garbage" >"$tmp/out" 2>"$tmp/err"
expect_rc 1 $? "audit garbage"
contains "$tmp/err" "longer than" "audit long line"
contains "$tmp/out" "ok2@example.com" "audit garbage: rest audited"
# gzip and stdin
gzip -c "$fx/users.passwd" >"$tmp/users.gz"
"$mw" passwd audit --list "$list" --json "$tmp/users.gz" >"$tmp/gz" 2>/dev/null
pairs "$tmp/gz" >"$tmp/gotgz"
diff -q "$tmp/want" "$tmp/gotgz" >/dev/null && ok || bad "audit gzip"
"$mw" passwd audit --list "$list" --json - <"$fx/users.passwd" >"$tmp/stdin" 2>/dev/null
pairs "$tmp/stdin" >"$tmp/gotstdin"
diff -q "$tmp/want" "$tmp/gotstdin" >/dev/null && ok || bad "audit stdin"
# fresh hashes with random salts, made now by openssl
{
    echo "fresh1@example.org:{SHA512-CRYPT}$(openssl passwd -6 'password1')"
    echo "fresh2@example.org:{SHA256-CRYPT}$(openssl passwd -5 'Fresh2')"
    echo "fresh3@example.org:{MD5-CRYPT}$(openssl passwd -1 'k8#Lq2!zR5@w')"
    openssl rand 6 >"$tmp/salt"
    echo "fresh4@example.org:{SSHA256}$({ printf 'baseball'; cat "$tmp/salt"; } | openssl dgst -sha256 -binary | cat - "$tmp/salt" | base64 -w0)"
} >"$tmp/fresh.passwd"
"$mw" passwd audit --list "$list" --json --show "$tmp/fresh.passwd" >"$tmp/out" 2>"$tmp/err"
expect_rc 0 $? "audit fresh hashes"
contains "$tmp/out" '"account":"fresh1@example.org","scheme":"SHA512-CRYPT","reason":"guessed"' "audit fresh sha512-crypt"
contains "$tmp/out" '"password":"Fresh2"' "audit fresh sha256-crypt (user guess)"
contains "$tmp/out" '"password":"baseball"' "audit fresh ssha256"
lacks "$tmp/out" 'k8#Lq2' "audit fresh strong md5-crypt not guessed"
# --stats says how many guesses were hashed
"$mw" passwd audit --list "$list" --stats --threads 2 "$fx/users.passwd" >/dev/null 2>"$tmp/err"
contains "$tmp/err" "guesses in" "audit --stats"

echo "passwd-cli: $n checks, $fails failed"
[ "$fails" = 0 ]
