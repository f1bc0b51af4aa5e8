#!/bin/bash
# cli - black-box tests of the mailward binary: help texts, exit statuses,
# and bad input (missing files, binary junk, 1 MB lines, invalid UTF-8, CRLF,
# truncated gzip, stdin, unknown formats, a full disk). Every check can fail.
# Usage: run.sh MAILWARD TESTS_DIR
set -u
mw=$1
tests=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0
fail=0

ok() { pass=$((pass + 1)); echo "ok   $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; }
# check NAME CONDITION...: the condition is a command
check() { local name=$1; shift; if "$@"; then ok "$name"; else bad "$name"; fi; }
run() { # run ARGS... -> $out $err $rc
    "$mw" "$@" >"$tmp/out" 2>"$tmp/err"
    rc=$?
}
has() { grep -q -- "$1" "$2"; }
valid_json() { python3 -c 'import json,sys
for n,l in enumerate(open(sys.argv[1],encoding="utf-8"),1):
    json.loads(l)' "$1"; }

good='2026-11-23T06:05:36.277060+00:00 vm dovecot: imap-login: Login: user=<alice>, method=PLAIN, rip=192.0.2.10, lip=192.0.2.1, mpid=1, TLS, session=<a>'
fail1='2026-11-23T06:05:37.000000+00:00 vm dovecot: auth: passwd-file(bob,203.0.113.5,<b>): Password mismatch (SHA1 of given password: 4e4f1a)'

# --- help and usage
run --help; check "--help exits 0" test $rc -eq 0; check "--help lists events" has "events" "$tmp/out"
run --version; check "--version" has "mailward [0-9]" "$tmp/out"
run events --help; check "events --help exits 0" test $rc -eq 0
check "events --help documents --json" has "--json" "$tmp/out"
check "events --help documents exit status" has "Exit status" "$tmp/out"
run help events; check "help events" has "Usage: mailward events" "$tmp/out"
run nosuchcommand; check "unknown command exits 2" test $rc -eq 2
check "unknown command says what to do" has "mailward --help" "$tmp/err"
run events --bogus; check "unknown option exits 2" test $rc -eq 2
run events --format nosuch x; check "unknown --format exits 2" test $rc -eq 2
check "unknown --format lists formats" has "postfix" "$tmp/err"
run; check "no command exits 2" test $rc -eq 2

# --- a normal file
printf '%s\n%s\n' "$good" "$fail1" >"$tmp/ok.log"
run events --json "$tmp/ok.log"
check "normal file exits 0" test $rc -eq 0
check "normal file gives 2 events" test "$(wc -l <"$tmp/out")" -eq 2
check "normal file output is JSON" valid_json "$tmp/out"
check "line numbers" has '"line":2,' "$tmp/out"

# --- stdin, '-' and a pipe of gzip
cat "$tmp/ok.log" | "$mw" events --json >"$tmp/stdin.out" 2>/dev/null
check "stdin gives the same events" test "$(wc -l <"$tmp/stdin.out")" -eq 2
check "stdin is named -" has '"file":"-"' "$tmp/stdin.out"
gzip -c "$tmp/ok.log" | "$mw" events --json - >"$tmp/gzpipe.out" 2>/dev/null
check "gzip through a pipe" test "$(wc -l <"$tmp/gzpipe.out")" -eq 2

# --- missing file, directory: reported with the name, the rest still read
run events --json "$tmp/missing.log" "$tmp/ok.log"
check "missing file exits 1" test $rc -eq 1
check "missing file named" has "missing.log: cannot read: No such file" "$tmp/err"
check "files after a missing one are read" test "$(wc -l <"$tmp/out")" -eq 2
run events --json "$tmp"
check "directory exits 1" test $rc -eq 1
check "directory is said" has "is a directory" "$tmp/err"

# --- binary junk between good lines
{ echo "$good"; head -c 200000 /dev/urandom; printf '\n\0\0\0binary\n'; echo "$fail1"; } >"$tmp/junk.log"
run events --json "$tmp/junk.log"
check "binary junk does not crash" test $rc -lt 128
check "binary junk exits 1" test $rc -eq 1
check "binary junk reported with file:line" grep -q "junk.log:[0-9]*: " "$tmp/err"
check "good lines around junk still parsed" test "$(grep -c '"kind"' "$tmp/out")" -ge 2
check "junk output is valid JSON" valid_json "$tmp/out"

# --- a 1 MB line
{ echo "$good"; head -c 1048576 /dev/zero | tr '\0' 'x'; echo; echo "$fail1"; } >"$tmp/long.log"
run events --json "$tmp/long.log"
check "1 MB line exits 1" test $rc -eq 1
check "1 MB line reported at line 2" has "long.log:2: line longer" "$tmp/err"
check "lines after the long line parsed" has '"line":3,' "$tmp/out"

# --- invalid UTF-8 in a user name: still one valid JSON object
printf '2026-11-23T06:05:37.000000+00:00 vm dovecot: auth: passwd-file(b\xffob\xc3,203.0.113.5,<b>): unknown user\n' >"$tmp/utf8.log"
run events --json "$tmp/utf8.log"
check "invalid UTF-8 exits 0 (nothing skipped)" test $rc -eq 0
check "invalid UTF-8 gives valid JSON" valid_json "$tmp/out"
check "invalid UTF-8 replaced by U+FFFD" grep -q "b�ob�" "$tmp/out"
check "invalid UTF-8 is reported" has "utf8.log:1: invalid UTF-8" "$tmp/err"

# --- CRLF line ends give the same events
sed 's/$/\r/' "$tmp/ok.log" >"$tmp/crlf.log"
"$mw" events --json "$tmp/ok.log" | sed 's/"file":"[^"]*"//' >"$tmp/lf.out"
"$mw" events --json "$tmp/crlf.log" | sed 's/"file":"[^"]*"//' >"$tmp/crlf.out"
check "CRLF same as LF" cmp -s "$tmp/lf.out" "$tmp/crlf.out"

# --- truncated gzip: what was read is kept, the loss is reported
for i in $(seq 1 5000); do echo "$good"; done | gzip -c >"$tmp/full.gz"
size=$(stat -c %s "$tmp/full.gz")
head -c $((size / 2)) "$tmp/full.gz" >"$tmp/trunc.log.gz"
run events --json "$tmp/trunc.log.gz"
check "truncated gzip exits 1" test $rc -eq 1
check "truncated gzip reported" grep -q "trunc.log.gz:[0-9]*: read error: gzip" "$tmp/err"
n=$(wc -l <"$tmp/out")
check "truncated gzip keeps the lines before the cut ($n)" test "$n" -gt 100 -a "$n" -lt 5000
run events --json "$tmp/full.gz"
check "whole gzip read" test "$(wc -l <"$tmp/out")" -eq 5000

# --- a file of another format entirely
printf 'hello\nworld\n' >"$tmp/notalog.txt"
run events "$tmp/notalog.txt"
check "unknown format exits 1" test $rc -eq 1
check "unknown format said" has "notalog.txt: unknown format" "$tmp/err"

# --- a truncated last line (no newline) is still read
printf '%s\n%s' "$good" "$fail1" >"$tmp/nonl.log"
run events --json "$tmp/nonl.log"
check "last line without newline parsed" test "$(wc -l <"$tmp/out")" -eq 2

# --- output to a full disk
if [ -w /dev/full ]; then
    "$mw" events --json "$tmp/ok.log" >/dev/full 2>"$tmp/err"
    rc=$?
    check "full disk exits 1" test $rc -eq 1
    check "full disk said" has "No space left" "$tmp/err"
fi

# --- year inference across New Year with --year
printf 'Dec 31 23:59:59 mx dovecot: imap-login: Login: user=<a>, method=PLAIN, rip=192.0.2.1, lip=192.0.2.2, TLS, session=<x>\nJan  1 00:00:01 mx dovecot: imap-login: Login: user=<a>, method=PLAIN, rip=192.0.2.1, lip=192.0.2.2, TLS, session=<y>\n' >"$tmp/ny.log"
run events --json --year 2025 "$tmp/ny.log"
check "New Year: first line 2025" has '"time":"2025-12-31T23:59:59"' "$tmp/out"
check "New Year: second line 2026" has '"time":"2026-01-01T00:00:01"' "$tmp/out"

# --- table output is aligned: every row has the IP column at the same place
run events "$tmp/ok.log"
check "table has a header" has "^TIME" "$tmp/out"

# --- analyze: findings carry the ASNs of their addresses (a table built here)
printf '198.51.100.0,198.51.100.255,64500,Example Spray Net\n203.0.113.0,203.0.113.255,64501,Example Brute Net\n' >"$tmp/asn.csv"
"$mw" asn build --keep-special --out "$tmp/t.mwdb" "$tmp/asn.csv" >/dev/null 2>&1
"$(dirname "$tests")/tools/floodgen" 2000 >"$tmp/flood.log"
run analyze --json --asn-db "$tmp/t.mwdb" "$tmp/flood.log"
check "analyze with an ASN table exits 0" test $rc -eq 0
check "spray finding names its ASN" grep -q '"kind":"password_spray".*"asns":\[{"asn":64500,"org":"Example Spray Net","addresses":30}' "$tmp/out"
check "brute force finding names its ASN" grep -q '"kind":"brute_force".*"asn":64501' "$tmp/out"
check "analyze output is JSON" valid_json "$tmp/out"
run analyze --asn-db "$tmp/t.mwdb" "$tmp/flood.log"
check "report shows networks by ASN" has "networks: AS64500 Example Spray Net (30)" "$tmp/out"
printf 'garbage' >"$tmp/bad.mwdb"
run analyze --json --asn-db "$tmp/bad.mwdb" "$tmp/flood.log"
check "a corrupt ASN table is reported, analyze goes on" test $rc -eq 0
check "corrupt table said" has "bad.mwdb" "$tmp/err"
run analyze --max-memory 1M "$tmp/flood.log"
check "too small --max-memory is a usage error" test $rc -eq 2

# --- analyze: a bad number for a threshold names the option
run analyze --novel-domains abc "$tmp/flood.log"
check "analyze --novel-domains abc exits 2" test $rc -eq 2
check "... and names the option" has "--novel-domains wants a positive number, not 'abc'" "$tmp/err"
run analyze --spam-recipients 0 "$tmp/flood.log"
check "analyze --spam-recipients 0 exits 2 naming the option" has "--spam-recipients wants a positive number" "$tmp/err"

# --- analyze --state: yesterday's log teaches today's run what is usual
day1="$tests/fixtures/state/day1.log"
day2="$tests/fixtures/state/day2.log"
run analyze --json "$day2"
check "without state, no history: nothing flagged" test "$(grep -c outbound_spam "$tmp/out")" -eq 0
run analyze --json --state "$tmp/state" "$day1"
check "state written" has "^mailward-state 1" "$tmp/state"
check "state has the newsletter's busiest hour" grep -q "^outbound_spam	news@example.com	[0-9]*	600	" "$tmp/state"
run analyze --json --state "$tmp/state" "$day2"
check "with state: the quiet account's burst is flagged" grep -q '"kind":"outbound_spam".*"accounts":\["bob@example.com"\]' "$tmp/out"
check "with state: the newsletter is not" test "$(grep -c 'news@example.com' "$tmp/out")" -eq 0
printf 'mailward-state 1\noutbound_spam\tx@example.com\tnot-a-number\n' >"$tmp/badstate"
run analyze --json --state "$tmp/badstate" "$day2"
check "a malformed state is reported with file:line" has "badstate:2: malformed outbound_spam record" "$tmp/err"
check "a malformed state exits 1" test $rc -eq 1
printf 'something else\n' >"$tmp/foreign"
run analyze --json --state "$tmp/foreign" "$day2"
check "a foreign file is not taken for state" has "foreign:1: not a mailward state file" "$tmp/err"
run analyze --json --state /nonexistent-dir/state "$day2"
check "an unwritable state path is reported" has "cannot write state" "$tmp/err"

echo "cli: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
