#!/bin/bash
# tests/serve/actions.sh - the actions of `mailward serve` (issue 5) against
# the real daemon: it runs on free loopback ports with a temporary state
# directory and a --config file; a brute force is reported through the
# Dovecot policy endpoint (curl), and the test checks that
#   - the webhook (tests/serve/actions_webhook.py: 500, 500, then 200) got
#     the finding's JSON after two retries, with Content-Type and the
#     webhook_header;
#   - hook_command got the same JSON on its stdin;
#   - with nft usable (root, nftables), banned IPv4 and IPv6 addresses are
#     in throwaway sets with a timeout, and an admin unban removes one
#     (otherwise that part says it was skipped);
#   - after SIGHUP to a dead webhook (nothing listening) and a hung
#     command: Dovecot replies still take < 50 ms each, the command is
#     killed after hook_timeout, the counters show it on /metrics;
#   - SIGTERM stops within action_flush (+ slack) with exit status 0.
# Usage: actions.sh MAILWARD    (exit 0 if every check passed)
set -u
MW=$(realpath "$1")
HERE=$(dirname "$(realpath "$0")")
tmp=$(mktemp -d /tmp/mw-actions.XXXXXX)
pass=0
fail=0
mwpid=
rxpid=
nft_table=

cleanup() {
    [ -n "$mwpid" ] && kill -KILL "$mwpid" 2>/dev/null
    [ -n "$rxpid" ] && kill "$rxpid" 2>/dev/null
    [ -n "$nft_table" ] && nft delete table inet "$nft_table" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT

ok() { echo "ok   $1"; pass=$((pass + 1)); }
bad() { echo "FAIL $1"; fail=$((fail + 1)); }
check() { if eval "$2"; then ok "$1"; else bad "$1"; fi; }

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# wait_for SECONDS CONDITION: poll every 0.1 s
wait_for() {
    local end=$((SECONDS + $1))
    while [ $SECONDS -le $end ]; do
        eval "$2" && return 0
        sleep 0.1
    done
    return 1
}

# report IP N PREFIX: N failed logins from IP, each with another pwhash;
# prints each reply's time in seconds
report() {
    local i
    for i in $(seq 1 "$2"); do
        curl -s -o /dev/null -w '%{time_total}\n' -X POST -H 'Content-Type: application/json' \
            "http://127.0.0.1:$port/?command=report" \
            -d "{\"login\":\"a\",\"remote\":\"$1\",\"pwhash\":\"$3$i\",\"protocol\":\"imap\",\"success\":false}"
    done
}

metric() {
    curl -s -H "Authorization: Bearer $(cat "$tmp/state/admin.token")" "http://127.0.0.1:$port/metrics" |
        awk -v m="$1" '$1 == m { print $2 }'
}

# json_has FILE KIND IP: a line of FILE (JSON Lines; with "body" the
# receiver's records) is a finding of KIND naming IP
json_has() {
    python3 - "$@" <<'EOF'
import json, sys
path, kind, ip = sys.argv[1:4]
try:
    lines = open(path).read().splitlines()
except OSError:
    sys.exit(1)
for line in lines:
    try:
        d = json.loads(line)
    except ValueError:
        continue
    if "body" in d:
        if d["status"] != 200:
            continue
        d = d["body"] or {}
    if d.get("kind") == kind and ip in d.get("ips", []):
        sys.exit(0)
sys.exit(1)
EOF
}

# ---- nftables: only where it really works (root, nft, netlink allowed)
nft_ok=0
if [ "$(id -u)" = 0 ] && command -v nft >/dev/null 2>&1; then
    t="mwtest_actions_$$"
    if nft add table inet "$t" 2>/dev/null; then
        nft_table=$t
        if nft add set inet "$t" ban4 '{ type ipv4_addr; flags interval, timeout; }' &&
            nft add set inet "$t" ban6 '{ type ipv6_addr; flags interval, timeout; }'; then
            nft_ok=1
        fi
    fi
fi
[ $nft_ok = 1 ] || echo "skip nftables part: nft is missing or not allowed here (needs root and CAP_NET_ADMIN)"

# ---- the webhook receiver: 500 twice, then 200
python3 "$HERE/actions_webhook.py" --fail 2 --out "$tmp/webhook.jsonl" --port-file "$tmp/webhook.port" \
    --lifetime 120 &
rxpid=$!
wait_for 10 "[ -s '$tmp/webhook.port' ]" || { bad "webhook receiver started"; exit 1; }
wport=$(cat "$tmp/webhook.port")

port=$(free_port)
mkdir -p "$tmp/state"
cat >"$tmp/serve.conf" <<EOF
http = 127.0.0.1:$port
postfix =
asn_db =
max_memory = 64M
log_level = debug
webhook = "http://127.0.0.1:$wport/hook"
webhook_header = "Authorization: Bearer test-secret-1"
webhook_timeout = 5
hook_command = "cat >> $tmp/hook.jsonl"
action_flush = 2
EOF
if [ $nft_ok = 1 ]; then
    printf 'nft_set = "inet %s ban4"\nnft_set6 = "inet %s ban6"\n' "$nft_table" "$nft_table" >>"$tmp/serve.conf"
fi

"$MW" serve --config "$tmp/serve.conf" --state-dir "$tmp/state" >"$tmp/serve.log" 2>&1 &
mwpid=$!
if ! wait_for 10 "curl -sf -o /dev/null http://127.0.0.1:$port/healthz"; then
    bad "daemon started"
    cat "$tmp/serve.log"
    exit 1
fi
sleep 0.5 # past the first tick, which saves findings changed since start: one hook call per finding here
ok "daemon started with webhook, hook_command$([ $nft_ok = 1 ] && echo ", nft_set, nft_set6")"

# ---- 1. a brute force: webhook (after two 500s), command, nftables
report 192.0.2.1 12 x >/dev/null
check "webhook got the brute_force finding of 192.0.2.1 (after retries)" \
    "wait_for 12 'json_has $tmp/webhook.jsonl brute_force 192.0.2.1'"
check "the webhook was tried 3 times: 500, 500, 200" \
    "[ \"\$(cut -d, -f2 $tmp/webhook.jsonl | tr -d ' ' | head -3 | tr '\n' ' ')\" = '\"status\":500 \"status\":500 \"status\":200 ' ]"
check "webhook POST had Content-Type application/json and webhook_header" \
    "grep -q '\"ctype\": \"application/json\", \"auth\": \"Bearer test-secret-1\"' $tmp/webhook.jsonl"
check "hook_command got the finding's JSON on stdin" "wait_for 5 'json_has $tmp/hook.jsonl brute_force 192.0.2.1'"
check "the webhook's secret header is not logged" "! grep -q test-secret-1 $tmp/serve.log"
# (a finding that grew is sent again: counts are at least, not exactly)
check "/metrics: webhook sent >= 1, retried >= 2, failed 0" \
    "wait_for 3 '[ \"\$(metric mailward_webhook_posts_total{result=\\\"sent\\\"})\" -ge 1 ] && [ \"\$(metric mailward_webhook_retries_total)\" -ge 2 ]' && [ \"\$(metric mailward_webhook_posts_total{result=\\\"failed\\\"})\" = 0 ]"
check "/metrics: hook_command run >= 1, failed 0" \
    "[ \"\$(metric mailward_hook_commands_total{result=\\\"run\\\"})\" -ge 1 ] && [ \"\$(metric mailward_hook_commands_total{result=\\\"failed\\\"})\" = 0 ]"

if [ $nft_ok = 1 ]; then
    report 2001:db8::7 12 y >/dev/null
    check "nftables: 192.0.2.1 is in the IPv4 set with a timeout" \
        "wait_for 5 'nft list set inet $nft_table ban4 | grep -q \"192.0.2.1 timeout 1h expires\"'"
    check "nftables: 2001:db8::7 is in the IPv6 set with a timeout" \
        "wait_for 5 'nft list set inet $nft_table ban6 | grep -q \"2001:db8::7 timeout 1h expires\"'"
    curl -s -o /dev/null -X POST -H "Authorization: Bearer $(cat "$tmp/state/admin.token")" \
        "http://127.0.0.1:$port/api/unban" -d '{"key":"192.0.2.1"}'
    check "nftables: an admin unban deletes the element" \
        "wait_for 5 '! nft list set inet $nft_table ban4 | grep -q 192.0.2.1'"
    check "/metrics: nft updates done 3, failed 0" \
        "wait_for 3 '[ \"\$(metric mailward_nft_updates_total{result=\\\"done\\\"})\" = 3 ]' && [ \"\$(metric mailward_nft_updates_total{result=\\\"failed\\\"})\" = 0 ]"
fi

# ---- 2. SIGHUP: a dead webhook and a hung command must not slow Dovecot
dead=$(free_port)
sed -i -e "s|^webhook = .*|webhook = \"http://127.0.0.1:$dead/nobody\"|" \
    -e "s|^hook_command = .*|hook_command = \"cat >> $tmp/hook2.jsonl; sleep 30\"|" "$tmp/serve.conf"
printf 'hook_timeout = 1\nwebhook_tries = 3\naction_queue = 2\n' >>"$tmp/serve.conf"
kill -HUP "$mwpid"
wait_for 5 "grep -q 'SIGHUP: reloaded' $tmp/serve.log" || bad "SIGHUP reloaded"
: >"$tmp/times"
for ip in 192.0.2.2 192.0.2.3 192.0.2.4 192.0.2.5; do
    report $ip 12 z >>"$tmp/times"
done
slow=$(awk '$1 >= 0.05' "$tmp/times" | wc -l)
max=$(sort -g "$tmp/times" | tail -1)
check "48 Dovecot replies while the webhook fails and the command hangs: none >= 50 ms (slowest ${max}s)" \
    "[ $(wc -l <"$tmp/times") = 48 ] && [ $slow = 0 ]"
check "the hung hook_command is killed after hook_timeout" \
    "wait_for 5 'grep -q \"hook_command: still running after hook_timeout (1s): killed\" $tmp/serve.log'"
check "... after it read the finding on stdin" "json_has $tmp/hook2.jsonl brute_force 192.0.2.2"
check "the dead webhook is retried (connection refused)" \
    "wait_for 5 'grep -q \"webhook: Couldn.t connect to server (try 1 of 3)\" $tmp/serve.log'"
check "/metrics: hook_command failures counted" \
    "wait_for 3 '[ \"\$(metric mailward_hook_commands_total{result=\\\"failed\\\"})\" -ge 1 ]'"
# 4 findings while the first command hangs for 1 s: the queue of 2 drops the oldest
check "action_queue 2: the full hook_command queue dropped the oldest, logged and counted" \
    "grep -q 'the hook_command queue is full (action_queue 2): dropped the oldest' $tmp/serve.log && [ \"\$(metric mailward_hook_commands_total{result=\\\"dropped\\\"})\" -ge 1 ]"

# ---- 3. an admin bans the network of banned addresses: it replaces them in the set
if [ $nft_ok = 1 ]; then
    check "nftables: the 4 new brute-force addresses are in the set" \
        "wait_for 5 '[ \$(nft list set inet $nft_table ban4 | grep -o \"192\.0\.2\.[2-5] timeout\" | wc -l) = 4 ]'"
    curl -s -o /dev/null -X POST -H "Authorization: Bearer $(cat "$tmp/state/admin.token")" \
        "http://127.0.0.1:$port/api/ban" -d '{"key":"192.0.2.0/24","seconds":7200}'
    check "nftables: a network over banned addresses replaces them (interval overlap resolved)" \
        "wait_for 5 'nft list set inet $nft_table ban4 | grep -q \"192.0.2.0/24 timeout 2h\"' && ! nft list set inet $nft_table ban4 | grep -q '192.0.2.[2-5] '"
fi

# ---- 4. SIGTERM with actions still queued: stops within action_flush
t0=$(date +%s%N)
kill -TERM "$mwpid"
wait "$mwpid"
rc=$?
ms=$((($(date +%s%N) - t0) / 1000000))
mwpid=
check "SIGTERM: exit status 0 in ${ms} ms (action_flush 2 s)" "[ $rc = 0 ] && [ $ms -lt 4000 ]"
# ---- 5. a restart puts the active bans back into the sets (emptied by a reboot)
if [ $nft_ok = 1 ]; then
    nft flush set inet "$nft_table" ban4
    "$MW" serve --config "$tmp/serve.conf" --state-dir "$tmp/state" >>"$tmp/serve.log" 2>&1 &
    mwpid=$!
    check "restart: the active bans are back in the IPv4 set (the network covering its addresses)" \
        "wait_for 10 'nft list set inet $nft_table ban4 | grep -q \"192.0.2.0/24 timeout\"'"
    check "restart: ... and the lifted ban of 192.0.2.1 is not a single element" \
        "! nft list set inet $nft_table ban4 | grep -q '192.0.2.1 '"
    check "restart: no nftables failures" "! grep -q 'nftables: .*fail\|warning: nftables' $tmp/serve.log"
    kill -TERM "$mwpid"
    wait "$mwpid"
    check "restart: SIGTERM exit status 0" "[ $? = 0 ]"
    mwpid=
fi

# ---- 6. a bad nft_set is refused at start
"$MW" serve --state-dir "$tmp/state" --http "127.0.0.1:$(free_port)" --postfix "" --set asn_db= \
    --set max_memory=64M --set 'nft_set=inet filter x;y' >"$tmp/bad.log" 2>&1
rc=$?
check "nft_set \"inet filter x;y\" is refused at start" \
    "[ $rc != 0 ] && grep -q 'nft_set: \"inet filter x;y\" is not \"FAMILY TABLE SET\"' $tmp/bad.log"

check "no sanitizer report" "! grep -q -E 'AddressSanitizer|runtime error|LeakSanitizer' $tmp/serve.log"

echo "actions: $pass passed, $fail failed"
if [ $fail != 0 ]; then
    echo "--- serve.log"
    cat "$tmp/serve.log"
    echo "--- webhook.jsonl"
    cat "$tmp/webhook.jsonl"
    exit 1
fi
exit 0
