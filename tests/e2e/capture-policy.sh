#!/bin/bash
# capture-policy.sh - what the REAL Debian 12 Dovecot and Postfix send to a
# policy server, and how they react to its answers.
#
# Runs the mailstack.sh stack with the docs/examples/ snippets installed
# as they are (only the ports, the API token and the nonce substituted):
#   docs/examples/dovecot-95-mailward.conf -> /etc/dovecot/conf.d/95-mailward.conf
#   docs/examples/postfix-main.cf          -> postconf -e
#   docs/examples/postfix-master.cf        -> postconf -M / -P (submission)
# with tests/e2e/policy_recorder.py as the policy server (Dovecot HTTP on
# 127.0.0.1:$PR_HTTP_PORT, Postfix on 127.0.0.1:$PR_POSTFIX_PORT), drives
# real clients (mwclient.py, swaks) and keeps in OUTDIR
# (default tests/fixtures/policy/):
#   dovecot-requests.jsonl   one Dovecot policy request a line: HTTP method,
#                            path, headers, body, the reply it got, and the
#                            client action (label, users, passwords) and
#                            Dovecot settings (nonce, hash, bits) behind it
#   postfix-requests.txt     the Postfix request blocks, byte for byte
#   postfix-requests.jsonl   the same, one block a line, with label and reply
#   client-actions.jsonl     what each client did and saw (mwclient.py)
#   mail.log                 Dovecot's and Postfix's log of the whole run
#   mailq.txt                the queue at the end (held / deferred mail)
# README.md there is hand-written from these. Ends with check_pwhash.py.
#
# Usage (root, Debian 12): tests/e2e/capture-policy.sh [OUTDIR]
# About 5 minutes (Dovecot delays failed logins). Stops everything it
# started, also on error.
set -euo pipefail
E2E=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$E2E/../.." && pwd)
OUT=${1:-$ROOT/tests/fixtures/policy}
EX=$ROOT/docs/examples
# shellcheck source=mailstack.sh
. "$E2E/mailstack.sh"
mw_need_root

# Ports off the beaten track: other tests on this machine use 84xx/184xx.
PR_HTTP_PORT=${PR_HTTP_PORT:-39427}
PR_POSTFIX_PORT=${PR_POSTFIX_PORT:-39428}
# Test values only (never a real secret): they are in the fixtures.
PR_TOKEN=mailward-test-api-token-0001
PR_NONCE=mailward-test-nonce-0001
VARIANT=/etc/dovecot/conf.d/96-mailward-variant.conf

WORK=$(mktemp -d /tmp/mailward-policy.XXXXXX)
PY=$(mw_python)
CLIENT="$PY $E2E/mwclient.py"
ACT=$WORK/client-actions.jsonl
CTL=$WORK/control.json
D=$MW_DOMAIN
STEP=0
T0=$(date +%s)
: >"$ACT"
echo '{}' >"$CTL"

cleanup() {
    local rc=$?
    pr_stop http || true
    pr_stop postfix || true
    mw_stop || true
    rm -rf "$WORK"
    exit $rc
}
trap cleanup EXIT

# ------------------------------------------------------------ the snippets
sed -e "s/127\.0\.0\.1:8427/127.0.0.1:$PR_HTTP_PORT/" \
    -e "s/CHANGE-ME-API-TOKEN/$PR_TOKEN/" -e "s/CHANGE-ME-NONCE/$PR_NONCE/" \
    "$EX/dovecot-95-mailward.conf" >"$WORK/95-mailward.conf"
sed -e "s/127\.0\.0\.1:8428/127.0.0.1:$PR_POSTFIX_PORT/" "$EX/postfix-main.cf" >"$WORK/main.cf"
cp "$EX/postfix-master.cf" "$WORK/master.cf"
export MW_DOVECOT_EXTRA_CONF=$WORK/95-mailward.conf
export MW_POSTFIX_EXTRA_MAIN=$WORK/main.cf
export MW_POSTFIX_EXTRA_MASTER=$WORK/master.cf
SNIPPET_ATTRS=$(sed -n 's/^auth_policy_request_attributes = //p' "$WORK/95-mailward.conf")
SNIPPET_BITS=$(sed -n 's/^auth_policy_hash_truncate = //p' "$WORK/95-mailward.conf")
DEFAULT_ATTRS=$(doveconf -d -h auth_policy_request_attributes)

# ------------------------------------------------------------ recorders
# Two processes, so that "down" is a real dead server for one side only.
pr_start() {   # pr_start http|postfix
    local which=$1 args
    if [ "$which" = http ]; then
        mw_port_open 127.0.0.1 "$PR_HTTP_PORT" && mw_die "port $PR_HTTP_PORT is taken"
        args=(--http "127.0.0.1:$PR_HTTP_PORT" --http-out "$WORK/dovecot.jsonl"
              --require-header "X-API-Key: $PR_TOKEN")
    else
        mw_port_open 127.0.0.1 "$PR_POSTFIX_PORT" && mw_die "port $PR_POSTFIX_PORT is taken"
        args=(--postfix "127.0.0.1:$PR_POSTFIX_PORT" --postfix-out "$WORK/postfix.jsonl"
              --postfix-raw "$WORK/postfix.txt")
    fi
    "$PY" "$E2E/policy_recorder.py" "${args[@]}" --control "$CTL" \
        --pidfile "$WORK/rec-$which.pid" --lifetime 1800 </dev/null >>"$WORK/rec-$which.err" 2>&1 &
    local i
    for i in $(seq 1 50); do
        [ -s "$WORK/rec-$which.pid" ] && return 0
        sleep 0.1
    done
    mw_die "policy recorder ($which) did not start"
}
pr_stop() {
    [ -s "$WORK/rec-$1.pid" ] && mw_kill_pidfile "$WORK/rec-$1.pid" "recorder $1"
    return 0
}

# ------------------------------------------------------------ control
PHASE='{}'
phase() {   # phase NAME JSON: settings of the phase, merged into each action
    echo "== phase $1"
    PHASE=$("$PY" -c 'import json,sys; d=json.loads(sys.argv[2]); d["phase"]=sys.argv[1]; print(json.dumps(d))' "$1" "$2")
}
ctl() {     # ctl JSON: control = phase settings + JSON
    "$PY" -c 'import json,os,sys
d = json.loads(sys.argv[2]); d.update(json.loads(sys.argv[3]))
t = sys.argv[1] + ".tmp"
open(t, "w").write(json.dumps(d)); os.replace(t, sys.argv[1])' "$CTL" "$PHASE" "$1"
}
settle() { sleep "${SETTLE:-0.6}"; }   # let async report requests land under their label
dovecot_cfg() {   # dovecot_cfg NONCE BITS MECH: for check_pwhash.py
    printf '"dovecot_config":{"nonce":"%s","truncate":%s,"mech":"%s"}' "$1" "$2" "$3"
}

# dv LABEL PROTO SRC PORT TLS MECH USER:PASS:KIND...: a Dovecot login session
dv() {
    local label=$1 proto=$2 src=$3 port=$4 tls=$5 mech=$6; shift 6
    local args=() atts="" a
    for a in "$@"; do args+=(--attempt "$a"); atts+="${atts:+,}\"$a\""; done
    STEP=$((STEP + 1))
    ctl "{\"label\":\"$label\",\"action\":{\"step\":$STEP,\"client\":\"mwclient.py\",\"proto\":\"$proto\",\"src\":\"$src\",\"port\":$port,\"tls\":\"$tls\",\"mech\":\"$mech\",\"attempts\":[$atts]}}"
    echo "step $STEP: $label"
    $CLIENT "$proto" --src "$src" --port "$port" --tls "$tls" --mech "$mech" "${args[@]}" \
        --step "$STEP" --actions "$ACT" --note "$label" || true
    settle
}

# sw LABEL SRC PORT USER:PASS:KIND|- SWAKS-ARGS...: swaks against Postfix
sw() {
    local label=$1 src=$2 port=$3 cred=$4; shift 4
    local atts="" auth=() user="" pass=""
    if [ "$cred" != - ]; then
        atts="\"$cred\""
        user=${cred%%:*}; pass=${cred#*:}; pass=${pass%:*}
        auth=(--auth-user "$user" --auth-password "$pass")
    fi
    STEP=$((STEP + 1))
    ctl "{\"label\":\"$label\",\"action\":{\"step\":$STEP,\"client\":\"swaks\",\"proto\":\"smtp\",\"src\":\"$src\",\"port\":$port,\"attempts\":[$atts]}}"
    echo "step $STEP: $label"
    $CLIENT run --step "$STEP" --actions "$ACT" --src "$src" --dst "127.0.0.1:$port" \
        --proto smtp --user "$user" --password "$pass" --note "$label" -- \
        swaks --server 127.0.0.1 --port "$port" --local-interface "$src" \
        --helo "client-${src##*.}.example.test" --timeout 60 "${auth[@]}" "$@" || true
    settle
}

dovecot_variant() {   # dovecot_variant [SETTINGS...]: conf.d/96 file, reload
    mw_backup_once "$VARIANT"
    if [ $# -eq 0 ]; then rm -f "$VARIANT"; else printf '%s\n' "$@" >"$VARIANT"; fi
    doveconf -c /etc/dovecot/dovecot.conf >/dev/null || mw_die "variant config invalid: $*"
    doveadm reload
    # smtpd processes keep their connection to the old auth process (which
    # has the old settings until Dovecot kills it): make them start afresh.
    postfix reload 2>/dev/null
    sleep 1.5
}

postfix_main() {   # postfix_main 'name = value'...: change main.cf, reload
    local l
    for l in "$@"; do postconf -e "$l"; done
    postfix reload 2>/dev/null
    sleep 1.5
}
postfix_snippet() { mw_postfix_extra_main "$WORK/main.cf"; postfix reload 2>/dev/null; sleep 1.5; }

# ------------------------------------------------------------ start
mw_install
mw_stop 2>/dev/null || true
pr_start http
pr_start postfix
mw_start
sleep 1
echo "postfix: $(postconf -h smtpd_recipient_restrictions) | submission: $(postconf -P submission/inet/smtpd_recipient_restrictions)"

RCPT3="bob@$D,carol@$D,dave@$D"
SUBJ=(--header "Subject: policy capture")

# ============================================================ A: the snippets as they are
phase A-snippet "{$(dovecot_cfg "$PR_NONCE" "$SNIPPET_BITS" sha256),\"dovecot_attrs\":\"snippet\"}"
dv "imap LOGIN right password, cleartext" imap 127.0.0.5 143 none login "alice@$D:Alice-Right-1:right"
dv "imap STARTTLS + AUTHENTICATE PLAIN right password" imap 127.0.0.6 143 starttls plain "bob@$D:Bob-Right-2:right"
dv "imaps (993) LOGIN wrong password" imap 127.0.0.7 993 implicit login "carol@$D:Carol-Wrong-0:wrong"
dv "imap LOGIN unknown user, cleartext" imap 127.0.0.8 143 none login "nosuch@$D:whatever1:unknown-user"
dv "imap LOGIN from 127.0.0.1 (=lip: secured, not TLS)" imap 127.0.0.1 143 none login "dave@$D:Dave-Right-4:right"
dv "imap LOGIN user typed in mixed case, right password" imap 127.0.0.12 143 none login "Alice@MailWard.TEST:Alice-Right-1:right"
dv "imap LOGIN PAM system user without domain, right password" imap 127.0.0.13 143 none login "$MW_SYSUSER:$MW_SYSPASS:right"
dv "imap 3 wrong passwords then the right one, one connection" imap 127.0.0.14 143 none plain \
    "dave@$D:123456:wrong" "dave@$D:password:wrong" "dave@$D:qwerty:wrong" "dave@$D:Dave-Right-4:right"
dv "pop3 USER/PASS right password, cleartext" pop3 127.0.0.9 110 none user "erin@$D:Erin-Right-5:right"
dv "pop3s (995) USER/PASS wrong password" pop3 127.0.0.10 995 implicit user "frank@$D:Frank-Wrong-6:wrong"
dv "pop3 STLS + AUTH PLAIN unknown user" pop3 127.0.0.11 110 starttls plain "info@$D:Summer2024!:unknown-user"
dv "pop3 empty password" pop3 127.0.0.15 110 none user "alice@$D::wrong"
dv "Dovecot submission-login (1587) AUTH PLAIN right password" smtp 127.0.0.16 1587 none plain "alice@$D:Alice-Right-1:right"
dv "managesieve STARTTLS AUTHENTICATE PLAIN right password" sieve 127.0.0.17 4190 starttls plain "bob@$D:Bob-Right-2:right"
sw "submission 587 STARTTLS AUTH PLAIN right password, one message to 3 recipients" 127.0.0.31 587 \
    "alice@$D:Alice-Right-1:right" --tls --auth PLAIN --from "alice@$D" --to "$RCPT3" "${SUBJ[@]}"
sw "submission 587 STARTTLS AUTH LOGIN wrong password" 127.0.0.32 587 \
    "bob@$D:Bob-Wrong-2:wrong" --tls --auth LOGIN --quit-after AUTH
sw "submission 587 STARTTLS AUTH LOGIN unknown user" 127.0.0.33 587 \
    "nosuch@$D:Nope-1:unknown-user" --tls --auth LOGIN --quit-after AUTH
sw "port 25 unauthenticated message to 2 local recipients" 127.0.0.34 25 - \
    --from "someone@remote.test" --to "carol@$D,frank@$D" "${SUBJ[@]}"
sw "port 25 unauthenticated, recipient unknown, then a known one" 127.0.0.35 25 - \
    --from "someone@remote.test" --to "nosuch@$D,erin@$D" "${SUBJ[@]}"
sw "port 25 unauthenticated relay attempt" 127.0.0.36 25 - \
    --from "someone@remote.test" --to "victim@elsewhere.test" --quit-after RCPT
sw "port 25 STARTTLS message" 127.0.0.37 25 - \
    --tls --from "someone@remote.test" --to "carol@$D" "${SUBJ[@]}"

# ============================================================ B: Dovecot's default attributes and 12 bits
dovecot_variant "auth_policy_request_attributes = $DEFAULT_ATTRS" "auth_policy_hash_truncate = 12"
phase B-default-attrs-12bits "{$(dovecot_cfg "$PR_NONCE" 12 sha256),\"dovecot_attrs\":\"default\"}"
dv "imap LOGIN right password, cleartext" imap 127.0.0.5 143 none login "alice@$D:Alice-Right-1:right"
dv "imaps LOGIN wrong password" imap 127.0.0.7 993 implicit login "carol@$D:Carol-Wrong-0:wrong"
dv "pop3 USER/PASS unknown user" pop3 127.0.0.11 110 none user "info@$D:Summer2024!:unknown-user"
sw "submission 587 STARTTLS AUTH PLAIN right password, one message to 1 recipient" 127.0.0.31 587 \
    "bob@$D:Bob-Right-2:right" --tls --auth PLAIN --from "bob@$D" --to "carol@$D" "${SUBJ[@]}"

# ============================================================ C: truncation and hash variants
dovecot_variant "auth_policy_hash_truncate = 13"
phase C-13bits "{$(dovecot_cfg "$PR_NONCE" 13 sha256)}"
dv "imap LOGIN right password" imap 127.0.0.5 143 none login "alice@$D:Alice-Right-1:right"
dv "imap LOGIN wrong password" imap 127.0.0.6 143 none login "bob@$D:Bob-Wrong-13:wrong"
dovecot_variant "auth_policy_hash_truncate = 0"
phase C-0bits-untruncated "{$(dovecot_cfg "$PR_NONCE" 0 sha256)}"
dv "imap LOGIN wrong password" imap 127.0.0.6 143 none login "bob@$D:Bob-Wrong-0:wrong"
dovecot_variant "auth_policy_hash_truncate = 1"
phase C-1bit "{$(dovecot_cfg "$PR_NONCE" 1 sha256)}"
dv "imap LOGIN wrong password" imap 127.0.0.6 143 none login "bob@$D:Bob-Wrong-1:wrong"
dovecot_variant "auth_policy_hash_mech = sha1" "auth_policy_hash_truncate = 20"
phase C-sha1-20bits "{$(dovecot_cfg "$PR_NONCE" 20 sha1)}"
dv "imap LOGIN wrong password" imap 127.0.0.6 143 none login "bob@$D:Bob-Wrong-20:wrong"
dovecot_variant "auth_policy_hash_nonce = another-test-nonce-0002" "auth_policy_hash_truncate = 32"
phase C-other-nonce "{$(dovecot_cfg another-test-nonce-0002 32 sha256)}"
dv "imap LOGIN wrong password" imap 127.0.0.6 143 none login "bob@$D:Bob-Wrong-32:wrong"
dovecot_variant "auth_username_format = %Ln" "auth_policy_request_attributes = $SNIPPET_ATTRS user=%{user} orig_user=%{orig_user}"
phase C-username-format-Ln "{$(dovecot_cfg "$PR_NONCE" "$SNIPPET_BITS" sha256)}"
dv "imap LOGIN with domain while auth_username_format=%Ln (passdb then fails: user is 'alice')" \
    imap 127.0.0.6 143 none login "Alice@$D:Alice-Right-1:right"
dovecot_variant

# ============================================================ D: Dovecot's reactions
phase D-reject "{$(dovecot_cfg "$PR_NONCE" "$SNIPPET_BITS" sha256),\"status\":-1,\"msg\":\"refused by mailward (test)\"}"
dv "policy says -1: imap LOGIN right password" imap 127.0.0.40 143 none login "alice@$D:Alice-Right-1:right"
dv "policy says -1: imap AUTHENTICATE PLAIN right password" imap 127.0.0.40 143 none plain "alice@$D:Alice-Right-1:right"
dv "policy says -1: pop3 USER/PASS right password" pop3 127.0.0.40 110 none user "erin@$D:Erin-Right-5:right"
sw "policy says -1: submission 587 AUTH PLAIN right password" 127.0.0.40 587 \
    "alice@$D:Alice-Right-1:right" --tls --auth PLAIN --quit-after AUTH
phase D-delay-3 "{$(dovecot_cfg "$PR_NONCE" "$SNIPPET_BITS" sha256),\"status\":3}"
dv "policy says 3: imap LOGIN right password (timed)" imap 127.0.0.41 143 none login "alice@$D:Alice-Right-1:right"
dv "policy says 3: imap LOGIN wrong password (timed)" imap 127.0.0.41 143 none login "alice@$D:Alice-Wrong-3:wrong"
phase D-http-500 "{$(dovecot_cfg "$PR_NONCE" "$SNIPPET_BITS" sha256),\"http_code\":500,\"http_body\":\"oops\"}"
dv "policy answers HTTP 500 (reject_on_fail=no): imap LOGIN right password" imap 127.0.0.42 143 none login "alice@$D:Alice-Right-1:right"
phase D-malformed "{$(dovecot_cfg "$PR_NONCE" "$SNIPPET_BITS" sha256),\"http_body\":\"not json\"}"
dv "policy answers malformed JSON (reject_on_fail=no): imap LOGIN right password" imap 127.0.0.42 143 none login "alice@$D:Alice-Right-1:right"
phase D-slow "{$(dovecot_cfg "$PR_NONCE" "$SNIPPET_BITS" sha256),\"http_sleep\":3}"
SETTLE=3.5 dv "policy answers after 3 s > 2000 ms timeout (reject_on_fail=no): imap LOGIN right password" imap 127.0.0.43 143 none login "alice@$D:Alice-Right-1:right"
phase D-down "{$(dovecot_cfg "$PR_NONCE" "$SNIPPET_BITS" sha256)}"
pr_stop http
dv "policy server down (reject_on_fail=no): imap LOGIN right password" imap 127.0.0.44 143 none login "alice@$D:Alice-Right-1:right"
dv "policy server down (reject_on_fail=no): imap LOGIN wrong password" imap 127.0.0.44 143 none login "alice@$D:Alice-Wrong-4:wrong"
dovecot_variant "auth_policy_reject_on_fail = yes"
phase D-down-reject-on-fail "{$(dovecot_cfg "$PR_NONCE" "$SNIPPET_BITS" sha256)}"
dv "policy server down (reject_on_fail=yes): imap LOGIN right password" imap 127.0.0.45 143 none login "alice@$D:Alice-Right-1:right"
sw "policy server down (reject_on_fail=yes): submission 587 AUTH PLAIN right password" 127.0.0.45 587 \
    "alice@$D:Alice-Right-1:right" --tls --auth PLAIN --quit-after AUTH
pr_start http
phase D-up-reject-on-fail "{$(dovecot_cfg "$PR_NONCE" "$SNIPPET_BITS" sha256)}"
dv "policy server back (reject_on_fail=yes): imap LOGIN right password" imap 127.0.0.45 143 none login "alice@$D:Alice-Right-1:right"
phase D-slow-reject-on-fail "{$(dovecot_cfg "$PR_NONCE" "$SNIPPET_BITS" sha256),\"http_sleep\":3}"
SETTLE=3.5 dv "policy answers after 3 s (reject_on_fail=yes): imap LOGIN right password" imap 127.0.0.46 143 none login "alice@$D:Alice-Right-1:right"
dovecot_variant

# ============================================================ E: Postfix's reactions
phase E-hold-rcpt "{$(dovecot_cfg "$PR_NONCE" "$SNIPPET_BITS" sha256),\"postfix_action_by_state\":{\"RCPT\":\"HOLD held by mailward (test)\"}}"
sw "policy says HOLD at RCPT: submission message to 2 recipients" 127.0.0.50 587 \
    "alice@$D:Alice-Right-1:right" --tls --auth PLAIN --from "alice@$D" --to "bob@$D,carol@$D" "${SUBJ[@]}"
phase E-hold-eom "{$(dovecot_cfg "$PR_NONCE" "$SNIPPET_BITS" sha256),\"postfix_action_by_state\":{\"END-OF-MESSAGE\":\"HOLD held by mailward at end of message (test)\"}}"
sw "policy says HOLD at END-OF-MESSAGE: submission message to 2 recipients" 127.0.0.51 587 \
    "alice@$D:Alice-Right-1:right" --tls --auth PLAIN --from "alice@$D" --to "bob@$D,carol@$D" "${SUBJ[@]}"
phase E-defer-if-permit "{$(dovecot_cfg "$PR_NONCE" "$SNIPPET_BITS" sha256),\"postfix_action_by_state\":{\"RCPT\":\"DEFER_IF_PERMIT sending paused by mailward (test)\"}}"
sw "policy says DEFER_IF_PERMIT at RCPT: submission message" 127.0.0.52 587 \
    "alice@$D:Alice-Right-1:right" --tls --auth PLAIN --from "alice@$D" --to "bob@$D" "${SUBJ[@]}"
sw "policy says DEFER_IF_PERMIT at RCPT: port 25 message" 127.0.0.53 25 - \
    --from "someone@remote.test" --to "bob@$D" "${SUBJ[@]}"
phase E-reject-eom "{$(dovecot_cfg "$PR_NONCE" "$SNIPPET_BITS" sha256),\"postfix_action_by_state\":{\"END-OF-MESSAGE\":\"REJECT 5.7.1 refused by mailward (test)\"}}"
sw "policy says REJECT at END-OF-MESSAGE: submission message" 127.0.0.54 587 \
    "alice@$D:Alice-Right-1:right" --tls --auth PLAIN --from "alice@$D" --to "bob@$D" "${SUBJ[@]}"
phase E-down-default-action-dunno "{$(dovecot_cfg "$PR_NONCE" "$SNIPPET_BITS" sha256)}"
pr_stop postfix
sw "policy server down, default_action=DUNNO (snippet): submission message" 127.0.0.55 587 \
    "alice@$D:Alice-Right-1:right" --tls --auth PLAIN --from "alice@$D" --to "bob@$D" "${SUBJ[@]}"
postfix_main "smtpd_policy_service_default_action = 451 4.3.5 Server configuration problem"
phase E-down-default-action-451 "{$(dovecot_cfg "$PR_NONCE" "$SNIPPET_BITS" sha256)}"
sw "policy server down, default_action=451 (Postfix default): submission message" 127.0.0.56 587 \
    "alice@$D:Alice-Right-1:right" --tls --auth PLAIN --from "alice@$D" --to "bob@$D" "${SUBJ[@]}"
sw "policy server down, default_action=451 (Postfix default): port 25 message" 127.0.0.56 25 - \
    --from "someone@remote.test" --to "bob@$D" "${SUBJ[@]}"
pr_start postfix
postfix_snippet
postfix_main "smtpd_policy_service_timeout = 3s"
phase E-slow-timeout-3s "{$(dovecot_cfg "$PR_NONCE" "$SNIPPET_BITS" sha256),\"postfix_sleep\":5}"
SETTLE=6 sw "policy answers after 5 s > smtpd_policy_service_timeout 3s, default_action=DUNNO: submission RCPT" 127.0.0.57 587 \
    "alice@$D:Alice-Right-1:right" --tls --auth PLAIN --from "alice@$D" --to "bob@$D" --quit-after RCPT
postfix_snippet
phase E-back "{$(dovecot_cfg "$PR_NONCE" "$SNIPPET_BITS" sha256)}"
sw "policy server back: submission message" 127.0.0.58 587 \
    "alice@$D:Alice-Right-1:right" --tls --auth PLAIN --from "alice@$D" --to "bob@$D" "${SUBJ[@]}"

echo "== waiting for the queue to settle"
for i in $(seq 1 30); do
    active=$(find /var/spool/postfix/active /var/spool/postfix/incoming /var/spool/postfix/maildrop -type f 2>/dev/null | wc -l)
    [ "$active" -eq 0 ] && break
    sleep 1
done
sleep 1
mailq >"$WORK/mailq.txt" 2>&1 || true
# Held mail is test mail: drop it (before syslog stops, so it shows in the log).
postsuper -d ALL hold >/dev/null 2>&1 || true

echo "== stopping"
pr_stop http
pr_stop postfix
mw_stop
trap - EXIT

mkdir -p "$OUT"
cp "$WORK/dovecot.jsonl" "$OUT/dovecot-requests.jsonl"
cp "$WORK/postfix.txt" "$OUT/postfix-requests.txt"
cp "$WORK/postfix.jsonl" "$OUT/postfix-requests.jsonl"
cp "$ACT" "$OUT/client-actions.jsonl"
cp "$MW_LOG/mail.log" "$OUT/mail.log"
cp "$WORK/mailq.txt" "$OUT/mailq.txt"
cat "$WORK"/rec-*.err 2>/dev/null >&2 || true
rm -rf "$WORK"
echo "capture done in $(( $(date +%s) - T0 )) s: $OUT"
wc -l "$OUT"/*.jsonl
"$PY" "$E2E/check_pwhash.py" "$OUT/dovecot-requests.jsonl"
