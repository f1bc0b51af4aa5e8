#!/bin/bash
# fuzz/run.sh - build the libFuzzer targets with clang + ASan + UBSan and run
# each for a bounded time:
#   fuzz_line    every log parser (seeds: every fixture log line)
#   fuzz_ipaddr  address parsing, the ASN table loader, the CSV row parser
#                (seeds: addresses and CSV rows)
#   fuzz_state   the --state file reader (seeds: a saved state)
#   fuzz_passwd  passwd-file lines, password rules, the password list, the
#                weakpw cache (seeds: the passwd fixtures, passwords, the list)
#   fuzz_http    serve's HTTP/1.1 request parser (seeds: Dovecot requests)
#   fuzz_milter  the milter's message reading (MIME, QP, base64, HTML, RFC 2047)
#                and the serve config file parser (seeds: messages, a config)
#   fuzz_policy  serve's Dovecot policy JSON and Postfix policy requests,
#                decided against a temporary SQLite store (seeds: requests)
# Usage: fuzz/run.sh [SECONDS]   (default 60, split across the targets)
# A crash leaves fuzz/crash-* and makes this script exit non-zero.
set -euo pipefail
secs=${1:-60}
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
build=$top/build-fuzz
targets=(fuzz_line fuzz_ipaddr fuzz_state fuzz_passwd fuzz_policy fuzz_http fuzz_milter)
cmake -S "$top" -B "$build" -DCMAKE_C_COMPILER=clang -DMW_FUZZ=ON -DMW_TESTS=OFF \
      -DMW_SANITIZE=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j"$(nproc)" --target "${targets[@]}" >/dev/null

corpus=$top/fuzz/corpus-run
mkdir -p "$corpus/fuzz_line" "$corpus/fuzz_ipaddr" "$corpus/fuzz_state" "$corpus/fuzz_passwd" "$corpus/fuzz_policy" "$corpus/fuzz_http" "$corpus/fuzz_milter"
# fuzz_line seeds: each fixture line as its own input, behind a format byte
i=0
while IFS= read -r -d '' f; do
    while IFS= read -r line; do
        i=$((i + 1))
        printf '%s%s\n' "$(printf "\\x$(printf %02x $((i % 11 + 11)))")" "$line" >"$corpus/fuzz_line/seed-$i"
    done <"$f"
done < <(find "$top/tests/fixtures" -type f \( -name '*.log' -o -name '*.txt' \) -print0)
# fuzz_ipaddr seeds: '\0' + address text, '\3' + CSV row, a lone '\2'
j=0
for a in 192.0.2.1 10.0.0.255 ::1 2001:db8::1 ::ffff:198.51.100.7 fe80::1 255.255.255.255 1.2.3 ::: 2001:db8:0:0:0:0:0:1; do
    j=$((j + 1)); printf '\0%s' "$a" >"$corpus/fuzz_ipaddr/addr-$j"
done
printf '\0031.0.0.0,1.0.0.255,13335,Cloudflare, Inc.' >"$corpus/fuzz_ipaddr/csv-1"
printf '\0032001:db8::,2001:db8::ffff,64496,"Example, ""quoted"""' >"$corpus/fuzz_ipaddr/csv-2"
printf '\002' >"$corpus/fuzz_ipaddr/patch-0"
printf 'mailward-state 1\naccount_takeover\ta@example.com\t1795140007000000\t18\t5c20add7,0000abcd\noutbound_spam\ta@example.com\t498650\t600\t18\t1800\n' >"$corpus/fuzz_state/seed-1"
printf 'mailward-state 1\naccount_takeover\tb@example.com\t1795140007000000\t18\t5c20add7\t0a0b0c0d,01020304\tDE,FR\t1c\t11223344,55667788\n' >"$corpus/fuzz_state/seed-2"
# fuzz_passwd seeds: '\0' + each passwd-file fixture, '\1' + passwords to check,
# '\2' + the top-100 list, '\3' + user NUL pwhash
k=0
for f in "$top"/tests/fixtures/passwd/*.passwd; do
    k=$((k + 1)); { printf '\0'; cat "$f"; } >"$corpus/fuzz_passwd/file-$k"
done
for pw in 'P@ssw0rd2024!' 'john.smith1' 'correct horse battery staple' 'abcd1234' 'Zürich-Käse'; do
    k=$((k + 1)); printf '\1%s' "$pw" >"$corpus/fuzz_passwd/check-$k"
done
{ printf '\2'; cat "$top/tests/fixtures/passwd/top100.txt"; } >"$corpus/fuzz_passwd/list-1"
{ printf '\3alice@example.com\0'; printf '053b'; } >"$corpus/fuzz_passwd/weakpw-1"
# fuzz_policy seeds: '\0'/'\1' + Dovecot JSON (allow/report), '\1' + Postfix requests
printf '\0\0{"login":"alice","pwhash":"8a1f","remote":"192.0.2.7","device_id":"","protocol":"imap","session_id":"abc"}' >"$corpus/fuzz_policy/dovecot-allow"
printf '\0\1{"login":"alice","pwhash":"8a1f","remote":"192.0.2.7","protocol":"imap","success":false,"policy_reject":false,"fail_type":"credentials"}' >"$corpus/fuzz_policy/dovecot-report"
printf '\1request=smtpd_access_policy\nprotocol_state=RCPT\nsasl_username=alice\nclient_address=192.0.2.7\nrecipient=bob@example.net\ninstance=1.2\n\nrequest=smtpd_access_policy\nprotocol_state=END-OF-MESSAGE\nsasl_username=alice\nrecipient_count=1\ninstance=1.2\nqueue_id=ABC\n\n' >"$corpus/fuzz_policy/postfix-rcpt-eom"
printf 'POST /?command=allow HTTP/1.1\r\nHost: 127.0.0.1:8427\r\nContent-Length: 27\r\nConnection: Keep-Alive\r\nContent-Type: application/json\r\nX-API-Key:  t\r\n\r\n{"login":"a","remote":"b"}\nGET /api/status HTTP/1.0\r\nAuthorization: Bearer x\r\n\r\n' >"$corpus/fuzz_http/pipelined"
printf 'POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n' >"$corpus/fuzz_http/chunked"
printf 'alice\0text/plain\0quoted-printable\0http://ex=\r\nample.test/x=3D1\r\n\r\n-- \r\nAlice\r\n' >"$corpus/fuzz_milter/qp"
printf '=?UTF-8?B?YWxpY2U=?=\0multipart/alternative; boundary="b1"\0\0--b1\r\nContent-Type: text/html\r\nContent-Transfer-Encoding: base64\r\n\r\nPGEgaHJlZj0iaHR0cDovL2V4LnRlc3QiPmNsaWNrPC9hPg==\r\n--b1--\r\n' >"$corpus/fuzz_milter/mime"
printf 'ban_seconds = 60\nhttp = "127.0.0.1:8427" # comment\nflagged_action = hold\nmax_memory = 64M\n' >"$corpus/fuzz_milter/config"
if [ -d "$top/tests/fixtures/policy" ]; then
    k=0
    for f in "$top"/tests/fixtures/policy/*.jsonl; do
        [ -f "$f" ] || continue
        while IFS= read -r l; do
            k=$((k + 1))
            body=$(printf '%s' "$l" | python3 -c 'import json,sys
try:
    o=json.loads(sys.stdin.read()); b=o.get("body", o)
    print(b if isinstance(b,str) else json.dumps(b), end="")
except Exception: pass' 2>/dev/null || true)
            [ -n "$body" ] && printf '\0\1%s' "$body" >"$corpus/fuzz_policy/captured-$k"
        done <"$f"
    done
fi

per=$(( secs / ${#targets[@]} ))
[ "$per" -ge 5 ] || per=5
cd "$top/fuzz"
for t in "${targets[@]}"; do
    echo "$t: running ${per}s ($(ls "$corpus/$t" | wc -l) inputs in the corpus)"
    "$build/fuzz/$t" -max_total_time="$per" -max_len=4096 -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 "$corpus/$t" 2>&1 | grep -E '^(stat::number_of_executed_units|stat::new_units_added|==.*ERROR|SUMMARY)' || true
    # libFuzzer writes crash-*/leak-*/timeout-* files on failure
    if ls "$top/fuzz"/crash-* "$top/fuzz"/leak-* "$top/fuzz"/timeout-* >/dev/null 2>&1; then
        echo "fuzz: $t found a failing input: $(ls "$top/fuzz"/crash-* "$top/fuzz"/leak-* "$top/fuzz"/timeout-* 2>/dev/null)"
        exit 1
    fi
done
echo "fuzz: no crash in ${secs}s"
