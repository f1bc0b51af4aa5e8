#!/bin/bash
# flood - a flood of distinct attacking addresses must not push mailward's
# state past --max-memory, nor hide a brute force and a spray inside it.
# Usage: run.sh MAILWARD TOOLS_DIR [N]   (N flood addresses, default 300000)
set -u
mw=$1
tools=$2
n=${3:-300000}
cap_mb=${FLOOD_CAP_MB:-32}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0
fail=0
check() { if eval "$2"; then pass=$((pass + 1)); echo "ok   $1"; else fail=$((fail + 1)); echo "FAIL $1"; fi; }
"$tools/floodgen" "$n" >"$tmp/flood.log"
/usr/bin/time -f "%M" -o "$tmp/rss" "$mw" analyze --json --max-memory "${cap_mb}M" "$tmp/flood.log" >"$tmp/f" 2>"$tmp/err"
rc=$?
rss_kb=$(tail -1 "$tmp/rss")
echo "flood of $n addresses: exit $rc, peak RSS ${rss_kb} KB with --max-memory ${cap_mb}M"
check "analyze succeeds" "[ $rc -eq 0 ]"
# the cap covers the detectors' state; the parser, buffers and findings add a
# fixed ~20 MB (measured: 2 MB on a tiny log, +16 MB for Postfix queue links)
check "peak RSS within the cap + 24 MB" "[ $rss_kb -le $(( (cap_mb + 24) * 1024 )) ]"
check "brute force found inside the flood" "grep -q '\"kind\":\"brute_force\".*203.0.113.9' $tmp/f"
check "spray found inside the flood" "grep -q '\"kind\":\"password_spray\".*198.51.100.' $tmp/f"
nspray=$(python3 -c "
import json
named=set()
for l in open('$tmp/f'):
    f=json.loads(l)
    if f['kind']=='password_spray': named.update(ip for ip in f['ips'] if ip.startswith('198.51.100.'))
print(len(named))")
check "spray names all 30 addresses ($nspray)" "[ $nspray -eq 30 ]"
echo "flood: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
