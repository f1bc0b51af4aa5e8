#!/bin/bash
# milter-e2e.sh - mailward serve's milter end to end (issue 5): the REAL
# Debian 12 Postfix (tests/e2e/mailstack.sh, with Dovecot for SASL) hands
# every message to `mailward serve --set milter=inet:PORT@127.0.0.1`
# through smtpd_milters (the settings docs/serve.md "Milter" gives), and
# swaks sends through submission (587, STARTTLS, AUTH PLAIN):
#   1. an ordinary message from alice is delivered, not held;
#   2. the hijack wave (Subject "alice", the body one link): the first
#      message is delivered (score 8 < content_score_flag 10), the second
#      lands in Postfix's hold queue (postqueue -j: queue_name "hold";
#      mail.log "milter-hold: END-OF-MESSAGE") and mailward's
#      /api/held lists it under the same queue id, /api/flags alice
#      (content_traits); alice's next ordinary message is held too;
#   3. `ctl release alice` runs release_command (postsuper -H): her held
#      mail leaves the hold queue and is delivered; her next message passes;
#   4. mail from another server (port 25, no AUTH) with the same content is
#      not judged: delivered;
#   5. fail-open: with mailward stopped, a wave message from flagged-before
#      erin is delivered (milter_default_action = accept).
# Each check prints ok/FAIL; exit 1 on any FAIL. Waits (up to 10 minutes)
# while another mail stack runs (pgrep master/dovecot), and stops
# everything it started, also on failure or ^C.
#
# Usage (root, Debian 12): tests/e2e/milter-e2e.sh [MAILWARD]  (default
# build/mailward). About 30 s. MILTER_E2E_KEEP=1 keeps the work directory.
set -uo pipefail
E2E=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=mailstack.sh
. "$E2E/mailstack.sh"
# shellcheck source=lib.sh
. "$E2E/lib.sh"
e2e_mailward "${1:-}"
command -v swaks >/dev/null || mw_die "swaks missing: tests/e2e/mailstack.sh install"

# one mail stack at a time on this machine (fixed ports 25/587/143)
for i in $(seq 1 60); do
    if ! pgrep -x master >/dev/null && ! pgrep -x dovecot >/dev/null; then break; fi
    [ "$i" = 1 ] && echo "milter-e2e: another Postfix/Dovecot runs (pgrep -a master dovecot); waiting"
    [ "$i" = 60 ] && mw_die "a mail stack is still running after 10 minutes"
    sleep 10
done

read -r HTTP_PORT MILTER_PORT < <(e2e_ports 46427 46527 0 2) || mw_die "no free ports in 46427-46529"
D=$MW_DOMAIN
e2e_setup milter-e2e "${MILTER_E2E_KEEP:-0}" "serve.log, mail.log, swaks-*.txt"

# ------------------------------------------------------------ Postfix: the milter settings of docs/serve.md
cat >"$WORK/main.cf" <<EOF
smtpd_milters = inet:127.0.0.1:$MILTER_PORT
non_smtpd_milters = inet:127.0.0.1:$MILTER_PORT
milter_default_action = accept
milter_protocol = 6
milter_mail_macros = i {auth_type} {auth_authen} {auth_author} {mail_addr} {mail_host} {mail_mailer}
milter_end_of_data_macros = i
EOF
export MW_POSTFIX_EXTRA_MAIN=$WORK/main.cf
unset MW_POSTFIX_EXTRA_MASTER MW_DOVECOT_EXTRA_CONF
STACK=1
mw_start >"$WORK/stack.log" 2>&1 || { cat "$WORK/stack.log"; exit 1; }

SERVE_ARGS=(--postfix "" --set asn_db= --set "milter=inet:$MILTER_PORT@127.0.0.1"
            --set "release_command=postsuper -H")
SERVE_PORTS=("$MILTER_PORT")
serve_start "first start"
api() { curl -sf -H "Authorization: Bearer $(cat "$STATE/admin.token")" "http://127.0.0.1:$HTTP_PORT$1"; }

pass_of() { mw_virtual_users | awk -v u="$1" '$1 == u { print $2 }'; }
# send NAME USER SUBJECT BODY [PORT]: swaks; prints the queue id
send() {
    local name=$1 user=$2 subject=$3 body=$4 port=${5:-587} auth=()
    [ "$port" = 587 ] && auth=(--tls --auth PLAIN --auth-user "$user" --auth-password "$(pass_of "$user")")
    swaks --server 127.0.0.1 --port "$port" --helo client.example.test "${auth[@]}" \
        --from "$user" --to "bob@$D" --header "Subject: $subject" --body "$body" --timeout 60 \
        >"$WORK/swaks-$name.txt" 2>&1 </dev/null
    sed -n 's/.*queued as \([0-9A-Za-z]*\).*/\1/p' "$WORK/swaks-$name.txt" | tail -1
}
# queue_of QID: "hold", "active", "deferred", "incoming" or "" (gone: delivered)
queue_of() { postqueue -j 2>/dev/null | "$(mw_python)" -c '
import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m["queue_id"] == sys.argv[1]:
        print(m["queue_name"])' "$1"; }
delivered() {   # delivered QID: out of the queue and in mail.log as delivered
    local i
    for i in $(seq 1 50); do
        [ -z "$(queue_of "$1")" ] && grep -q "$1: .*status=sent" "$MW_LOG/mail.log" && return 0
        sleep 0.2
    done
    return 1
}
held() { [ "$(queue_of "$1")" = hold ]; }
api_held() { api /api/held | grep -q "\"queue_id\":\"$1\""; }
WAVE="http://evil.example/photos?id=4711"
NORMAL="Hi Bob,

the minutes of Tuesday are attached; see you on Friday.

Alice"

# ------------------------------------------------------------ 1, 2
q0=$(send normal alice@$D "Minutes of Tuesday" "$NORMAL")
check "ordinary mail from alice is delivered ($q0)" delivered "$q0"
q1=$(send wave1 alice@$D alice "$WAVE")
check "the first wave message is delivered (score 8 < 10) ($q1)" delivered "$q1"
q2=$(send wave2 alice@$D alice "$WAVE")
check "the second wave message is in the hold queue ($q2)" held "$q2"
# (Postfix logs its own words for a quarantine, not the milter's reason)
check "mail.log: milter-hold at END-OF-MESSAGE" \
    grep -q "$q2: milter-hold: END-OF-MESSAGE .*milter triggers HOLD action" "$MW_LOG/mail.log"
check "/api/held lists it under Postfix's queue id" api_held "$q2"
flagged_content() { api /api/flags | grep -q "\"account\":\"alice@$D\",\"kind\":\"content_traits\""; }
check "/api/flags: alice, content_traits" flagged_content
q3=$(send normal2 alice@$D "Lunch?" "$NORMAL")
check "alice's next ordinary message is held too ($q3)" held "$q3"
mailq >"$WORK/mailq.txt" 2>&1
check "mailq shows both held (!)" bash -c "grep -q '^$q2!' '$WORK/mailq.txt' && grep -q '^$q3!' '$WORK/mailq.txt'"

# ------------------------------------------------------------ 3
ctl release "alice@$D" >"$WORK/ctl-release.txt" 2>&1
postqueue -i "$q2" 2>/dev/null; postqueue -i "$q3" 2>/dev/null
check "release: both leave the hold queue and are delivered" bash -c "$(declare -f queue_of delivered mw_python); MW_LOG=$MW_LOG; delivered $q2 && delivered $q3"
q4=$(send normal3 alice@$D "Thanks" "$NORMAL")
check "after the release alice's mail passes ($q4)" delivered "$q4"

# ------------------------------------------------------------ 4
q5=$(send inbound carol@example.org bob "$WAVE" 25)
check "mail from another server (no AUTH) is not judged: delivered ($q5)" delivered "$q5"

# ------------------------------------------------------------ 5
serve_stop TERM
q6=$(send failopen erin@$D erin "$WAVE")
q7=$(send failopen2 erin@$D erin "$WAVE")
check "mailward down: mail flows (milter_default_action = accept) ($q6 $q7)" \
    bash -c "$(declare -f queue_of delivered mw_python); MW_LOG=$MW_LOG; delivered $q6 && delivered $q7"
check "the daemon never logged a message body" bash -c "! grep -q 'evil.example' '$WORK/serve.log'"
check "no sanitizer report in the daemon's log (ASan/UBSan builds)" \
    bash -c "! grep -qE 'Sanitizer|runtime error' '$WORK/serve.log'"
