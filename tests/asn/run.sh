#!/bin/bash
# asn - black-box tests of `mailward asn` and `mailward asn build`: help,
# exit statuses, a table built from a small CSV, table and JSON output, stdin,
# bad addresses, bad rows, missing and corrupt tables. Then, only if the real
# table data/asn.mwdb exists (scripts/fetch-geodata.sh makes it), lookups of
# well-known addresses; without it that part is skipped and says so.
# Usage: run.sh MAILWARD REPO_DIR
set -u
mw=$1
repo=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0
fail=0

ok() { pass=$((pass + 1)); echo "ok   $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; }
check() { local name=$1; shift; if "$@"; then ok "$name"; else bad "$name"; fi; }
run() { "$mw" "$@" >"$tmp/out" 2>"$tmp/err"; rc=$?; }
has() { grep -q -- "$1" "$2"; }
valid_json() { python3 -c 'import json,sys
for l in open(sys.argv[1],encoding="utf-8"): json.loads(l)' "$1"; }
# field FILE LINE KEY: a field of the LINE-th JSON object
field() { python3 -c 'import json,sys
print(json.loads(open(sys.argv[1]).readlines()[int(sys.argv[2])-1]).get(sys.argv[3]))' "$@"; }

# --- help and usage
run asn --help; check "asn --help exits 0" test $rc -eq 0
check "asn --help documents --db" has "--db FILE" "$tmp/out"
check "asn --help documents --json" has "--json" "$tmp/out"
check "asn --help documents exit status" has "Exit status" "$tmp/out"
run asn build --help; check "asn build --help exits 0" test $rc -eq 0
check "asn build --help documents --country-mmdb" has "--country-mmdb" "$tmp/out"
run help asn; check "help asn" has "Usage: mailward asn" "$tmp/out"
run --help; check "--help lists asn" has "^  asn " "$tmp/out"
run asn; check "no address exits 2" test $rc -eq 2
run asn --bogus 1.2.3.4; check "unknown option exits 2" test $rc -eq 2
run asn build; check "build without CSV exits 2" test $rc -eq 2
run asn build --date yesterday x.csv; check "bad --date exits 2" test $rc -eq 2

# --- build a table from a small CSV
cat >"$tmp/asn.csv" <<'EOF'
8.8.8.0,8.8.8.255,15169,Google LLC
1.0.0.0,1.0.0.255,13335,"Cloudflare, Inc."
9.9.9.0,9.9.9.255,19281,Quad9
2001:4860::,2001:4860:ffff:ffff:ffff:ffff:ffff:ffff,15169,Google LLC
2a00:1450::,2a00:1450:ffff:ffff:ffff:ffff:ffff:ffff,15169,"Google ""Ireland"""
EOF
db=$tmp/t.mwdb
run asn build --out "$db" --source "test 1" --date 2026-06-17 "$tmp/asn.csv"
check "build exits 0" test $rc -eq 0
check "build says what it wrote" has "wrote $db" "$tmp/out"
check "build counts rows" has "read 5 rows: 0 bad" "$tmp/out"

run asn --db "$db" 8.8.8.8 2001:4860:4860::8888 10.1.2.3
check "lookup exits 0" test $rc -eq 0
check "table has a header" has "^ADDRESS  *PREFIX  *ASN  *COUNTRY  *ORGANISATION" "$tmp/out"
check "8.8.8.8 row" has "^8.8.8.8  *8.8.8.0/24  *AS15169  *-  *Google LLC$" "$tmp/out"
check "IPv6 row" has "^2001:4860:4860::8888  *2001:4860::/32  *AS15169" "$tmp/out"
check "not found row" has "^10.1.2.3  *-  *-  *-  *-$" "$tmp/out"
aligned() { python3 -c 'import re,sys
starts = {tuple(m.start() for m in re.finditer(r"\S+", l))[:5] for l in open(sys.argv[1])}
sys.exit(len(starts) != 1)' "$1"; }
check "columns aligned" aligned "$tmp/out"

run asn --db "$db" --json 1.0.0.1 ::ffff:9.9.9.9 2a00:1450::1 192.0.2.1
check "json exits 0" test $rc -eq 0
check "json is valid" valid_json "$tmp/out"
check "json 4 lines" test "$(wc -l <"$tmp/out")" -eq 4
check "json asn" test "$(field "$tmp/out" 1 asn)" = 13335
check "json org with comma" test "$(field "$tmp/out" 1 org)" = "Cloudflare, Inc."
check "json mapped shown as IPv4" test "$(field "$tmp/out" 2 ip)" = 9.9.9.9
check "json prefixes" has '"prefixes":\["9.9.9.0/24"\]' "$tmp/out"
check "json quoted org" test "$(field "$tmp/out" 3 org)" = 'Google "Ireland"'
check "json not found" test "$(field "$tmp/out" 4 found)" = False

printf '8.8.8.8\n\n# a comment\n  1.0.0.7  \nnot-an-ip\n2001:4860::1\n' |
    "$mw" asn --db "$db" --json - >"$tmp/out" 2>"$tmp/err"
rc=$?
check "stdin: bad line exits 1" test $rc -eq 1
check "stdin: one line per address" test "$(wc -l <"$tmp/out")" -eq 4
check "stdin: bad line named with its line" has "^mailward asn: -:5: 'not-an-ip': not an IP address" "$tmp/err"
check "stdin: error object" test "$(field "$tmp/out" 3 error)" = "not an IP address"

run asn --db "$db" 1.2.3.256 8.8.8.8
check "bad address exits 1" test $rc -eq 1
check "bad address said" has "'1.2.3.256': IPv4 part above 255" "$tmp/err"
check "good address still looked up" has "AS15169" "$tmp/out"

run asn --db "$db" --info
check "info exits 0" test $rc -eq 0
check "info source" has "^source  *test 1$" "$tmp/out"
check "info date" has "^data date  *2026-06-17 00:00:00 UTC" "$tmp/out"
run asn --db "$db" --info --json
check "info json" valid_json "$tmp/out"

# --- bad rows: reported with FILE:LINE, counted, exit 1, table still written
printf '8.8.8.0,8.8.8.255,15169,Google LLC\n8.8.9.0,8.8.8.0,1,backwards\nhello\n' >"$tmp/bad.csv"
run asn build --out "$tmp/bad.mwdb" "$tmp/bad.csv"
check "bad rows exit 1" test $rc -eq 1
check "bad row 2 reported" has "bad.csv:2: bad row skipped: range start after its end" "$tmp/err"
check "bad row 3 reported" has "bad.csv:3: bad row skipped: 1 field, want 4" "$tmp/err"
check "bad rows counted" has "2 bad rows skipped" "$tmp/out"
check "table written anyway" test -s "$tmp/bad.mwdb"
run asn build --out "$tmp/none.mwdb" "$tmp/missing.csv"
check "missing CSV exits 1" test $rc -eq 1
check "missing CSV named" has "missing.csv" "$tmp/err"
check "missing CSV: nothing written" test ! -e "$tmp/none.mwdb"

# --- missing and corrupt tables: exit 1, a reason, and what to do
MAILWARD_ASN_DB=$tmp/nonexistent.mwdb "$mw" asn 8.8.8.8 >"$tmp/out" 2>"$tmp/err"
rc=$?
check "missing table exits 1" test $rc -eq 1
check "missing table names the file" has "nonexistent.mwdb" "$tmp/err"
check "missing table says what to run" has "scripts/fetch-geodata.sh" "$tmp/err"
head -c $(($(stat -c %s "$db") - 1)) "$db" >"$tmp/short.mwdb"
run asn --db "$tmp/short.mwdb" 8.8.8.8
check "truncated table exits 1" test $rc -eq 1
check "truncated table said" has "truncated" "$tmp/err"
printf 'hello world, this is not a table at all, not even close; it goes on a while to pass the header size.%0200d' 0 >"$tmp/junk.mwdb"
run asn --db "$tmp/junk.mwdb" 8.8.8.8
check "junk table exits 1" test $rc -eq 1
check "junk table said" has "not an ASN table" "$tmp/err"

# --- the real data, if it is here
real=$repo/data/asn.mwdb
if [ -f "$real" ] && "$mw" asn --db "$real" --info 2>&1 >/dev/null | grep -q "format version"; then
    echo "skip real-data check: $real is of an older table format (run scripts/fetch-geodata.sh to rebuild it)"
elif [ -f "$real" ]; then
    # ADDRESS ASN [COUNTRY]
    while read -r ip asn cc; do
        "$mw" asn --db "$real" --json "$ip" >"$tmp/out" 2>"$tmp/err"
        check "real: $ip is AS$asn" test "$(field "$tmp/out" 1 asn)" = "$asn"
        if [ -n "$cc" ]; then
            check "real: $ip is in $cc" test "$(field "$tmp/out" 1 country)" = "$cc"
        fi
    done <<'EOF'
8.8.8.8 15169 US
1.1.1.1 13335
2001:4860:4860::8888 15169 US
2606:4700:4700::1111 13335
9.9.9.9 19281
EOF
    run asn --db "$real" 192.168.1.1 127.0.0.1 fd00::1
    check "real: private addresses not found" test "$(grep -c ' -  *-  *-  *-$' "$tmp/out")" -eq 3
    run asn --db "$real" --info
    check "real: info names the npm packages" has "@ip-location-db/asn@" "$tmp/out"
    # the per-account baselines keep the countries of logins as their two
    # letters (--state), and the file loads again
    printf '%s\n' \
        "2026-11-20T01:00:00.000000+00:00 mail dovecot: imap-login: Login: user=<bob@example.com>, method=PLAIN, rip=8.8.8.8, lip=192.0.2.10, mpid=1, TLS, session=<a1>" \
        "2026-11-20T02:00:00.000000+00:00 mail dovecot: imap-login: Login: user=<bob@example.com>, method=PLAIN, rip=8.8.4.4, lip=192.0.2.10, mpid=2, TLS, session=<a2>" >"$tmp/login.log"
    run analyze --no-progress --asn-db "$real" --state "$tmp/state" "$tmp/login.log"
    check "real: analyze --state exits 0" test $rc -eq 0
    check "real: the baseline keeps the login's country as US" grep -qP '^account_takeover\tbob@example.com\t.*\tUS\t' "$tmp/state"
    run analyze --no-progress --asn-db "$real" --state "$tmp/state" "$tmp/login.log"
    check "real: the state file loads again" test $rc -eq 0
else
    echo "skip real-data check: no $real (run scripts/fetch-geodata.sh to fetch the public data)"
fi

echo "asn: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
