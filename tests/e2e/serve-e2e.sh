#!/bin/bash
# serve-e2e.sh - mailward serve end to end (issue 5): the REAL Debian 12
# Dovecot and Postfix (tests/e2e/mailstack.sh) configured with the
# docs/examples/ snippets as they are (ports, API token and nonce
# substituted) ask a real `mailward serve`; real clients (mwclient.py for
# IMAP/POP3, swaks for SMTP AUTH and submission) attack and use them:
#   1. a password spray from 127.0.1.10-40 over many accounts is detected,
#      then refused by Dovecot (policy refusal) and listed by `ctl bans`;
#   2. a NATed office (127.0.0.9: many users, several logins each, a few
#      typos) is not banned, not delayed, and keeps logging in;
#   3. a stale-password client (127.0.2.5, one account, one old password) is
#      reported (stale_password), delayed, not banned;
#   4. a takeover: 127.0.3.7 brute-forces dave (banned; refused even with
#      the right password), an admin lifts the ban, the address logs in with
#      the right password: dave is flagged (account_takeover) and his next
#      message lands in Postfix's hold queue (`ctl held`);
#   5. state survives SIGTERM and kill -9: after each restart on the same
#      state directory the spray addresses are still refused and dave's
#      mail still held;
#   4b. `ctl release` runs release_command (postsuper -H) for every held
#      message (also those held before the kill -9): they leave the hold
#      queue (for the deferred queue: `postqueue -i` sends them at once
#      instead of at the next queue run), and dave's next message goes
#      through.
# Why check 4 goes through an unban: with the snippet (policy check before
# AND after the passdb) Dovecot never reports a success from a banned
# address: the first 'allow' refuses it before the passdb, and a ban that
# lands during the passdb lookup (or mailward's own tarpit) makes the second
# 'allow' refuse it, reported as success:false, policy_reject:true. So
# flag_banned_success does not fire there; what flags the account is the
# engine's account_takeover: a success from an address an attack finding
# named, once its ban is gone (lifted by an admin as here, or expired).
# Each check prints ok/FAIL; exit 1 on any FAIL. Stops everything it started
# (the daemon, the stack via mailstack.sh stop), also on failure or ^C.
#
# Usage (root, Debian 12): tests/e2e/serve-e2e.sh [MAILWARD]   (default
# build/mailward). About 1.5 minutes. SERVE_E2E_HTTP_PORT and
# SERVE_E2E_POSTFIX_PORT set the daemon's ports (default: the first free
# pair of 45427/45428, 45437/45438, ...);
# SERVE_E2E_KEEP=1 keeps the work directory (daemon log, client actions,
# mail.log, ctl outputs); it is always kept after a FAIL.
set -uo pipefail
E2E=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=mailstack.sh
. "$E2E/mailstack.sh"
# shellcheck source=lib.sh
. "$E2E/lib.sh"
e2e_mailward "${1:-}"
EX=$ROOT/docs/examples

# The daemon's ports: the first free pair of 45427/45428, 45437/45438, ...
# (other tests and benchmarks on this machine use 84xx, 184xx, 384xx, 394xx)
HTTP_PORT=${SERVE_E2E_HTTP_PORT:-}
PF_PORT=${SERVE_E2E_POSTFIX_PORT:-}
if [ -z "$HTTP_PORT" ] || [ -z "$PF_PORT" ]; then
    read -r p q < <(e2e_ports 45427 45527 0 1) || mw_die "no free port pair in 45427-45528"
    HTTP_PORT=${HTTP_PORT:-$p}; PF_PORT=${PF_PORT:-$q}
fi
TOKEN=mailward-e2e-api-token-0005     # test values only
NONCE=mailward-e2e-nonce-0005
D=$MW_DOMAIN

e2e_setup serve-e2e "${SERVE_E2E_KEEP:-0}" "serve.log, client-actions.jsonl, mail.log, ctl-*.txt"
SERVE_PORTS=("$PF_PORT")     # serve_start waits for the Postfix door too

# ------------------------------------------------------------ clients
# (sess, spawn, waitbg, results, util, ctl, ctlf, poll: lib.sh)
# send OUT SRC USER PASS [TO]: a message through submission (587, STARTTLS,
# AUTH PLAIN) with swaks; prints the queue id ("" if none)
send() {
    local out=$1 src=$2 user=$3 pass=$4 to=${5:-bob@$D}
    swaks --server 127.0.0.1 --port 587 --local-interface "$src" --helo "client-${src##*.}.example.test" \
        --tls --auth PLAIN --auth-user "$user" --auth-password "$pass" --from "$user" --to "$to" \
        --header "Subject: serve-e2e $(basename "$out")" --timeout 60 >"$out" 2>&1 </dev/null
    sed -n 's/.*queued as \([0-9A-Za-z]*\).*/\1/p' "$out" | tail -1
}

# refused by mailward, as the client saw it: IMAP "NO [ALERT] <msg>", POP3
# "-ERR [AUTH] <msg>" (a wrong password: "[AUTHENTICATIONFAILED] ..." and
# "-ERR [AUTH] Authentication failed." with a period)
MSG="Authentication failed"
refused_result() { [[ $1 == "NO [ALERT] $MSG" || $1 == "-ERR [AUTH] $MSG" ]]; }
# Dovecot's log line for a policy refusal of this address
refusal_logged() { grep -qE "policy\([^,]*,$1[,)].*Authentication failure due to policy server refusal" "$MW_LOG/mail.log"; }
wait_log() {   # wait_log IP...: until every refusal is in mail.log (rsyslog lags a little)
    local i ip all
    for i in $(seq 1 30); do
        all=1
        for ip in "$@"; do refusal_logged "$ip" || { all=0; break; }; done
        [ "$all" = 1 ] && return 0
        sleep 0.2
    done
    return 1
}

# ------------------------------------------------------------ the snippets
e2e_dovecot_snippet "$TOKEN" "$NONCE"
sed -e "s/127\.0\.0\.1:8428/127.0.0.1:$PF_PORT/" "$EX/postfix-main.cf" >"$WORK/main.cf"
cp "$EX/postfix-master.cf" "$WORK/master.cf"
grep -q "^auth_policy_server_url = http://127.0.0.1:$HTTP_PORT/\$" "$WORK/95-mailward.conf" \
    && grep -q "^mailward_policy = inet:127.0.0.1:$PF_PORT\$" "$WORK/main.cf" && [ -n "$API_HEADER" ] \
    || mw_die "the docs/examples snippets changed: their URL, policy service or API header line was not found"
export MW_DOVECOT_EXTRA_CONF=$WORK/95-mailward.conf
export MW_POSTFIX_EXTRA_MAIN=$WORK/main.cf
export MW_POSTFIX_EXTRA_MASTER=$WORK/master.cf
SERVE_ARGS=(--postfix "127.0.0.1:$PF_PORT" --set "dovecot_api_header=$API_HEADER" --set delay_max=1
            --set asn_db= --set "release_command=postsuper -H")

# ------------------------------------------------------------ start
mw_port_open 127.0.0.1 "$HTTP_PORT" && mw_die "port $HTTP_PORT is taken (SERVE_E2E_HTTP_PORT)"
mw_port_open 127.0.0.1 "$PF_PORT" && mw_die "port $PF_PORT is taken (SERVE_E2E_POSTFIX_PORT)"
e2e_stack_free
serve_start "first start"
STACK=1
mw_start
echo "daemon: $MW serve (pid $SERVE_PID) on 127.0.0.1:$HTTP_PORT + $PF_PORT, state $STATE, delay_max=1"
echo "stack up in $(ms "$T0") ms; submission: $(postconf -P submission/inet/smtpd_recipient_restrictions)"

# ============================================================ 1. password spray
begin "1. password spray from 127.0.1.10-40 over many accounts"
SPRAY_PW='Winter2026!'
# wave 1: twelve addresses, one attempt each, twelve accounts (two unknown)
W1_USERS=(u01 u02 u03 u04 u05 u06 u07 u08 alice bob info admin)
for i in $(seq 0 11); do
    proto=imap; [ $((i % 3)) = 2 ] && proto=pop3
    spawn sess spray1 "$proto" "127.0.1.$((10 + i))" "${W1_USERS[$i]}@$D" "$SPRAY_PW"
done
waitbg
n=$(results spray1 | awk -F'\t' '$3 == "failure"' | wc -l)
r=$(results spray1 | awk -F'\t' '$3 == "failure"' | grep -c ALERT)
check "spray wave 1: 12 logins from 12 addresses failed [$n/12: $((n - r)) wrong password or unknown user, $r already refused by policy]" \
    [ "$n" = 12 -a $((n - r)) -ge 10 ]
check "ctl findings: a password_spray finding" poll findings1 '"kind":"password_spray"' findings
check "ctl bans: the spray's network 127.0.1.0/24 is banned" poll bans1 '"key":"127.0.1.0/24","kind":"password_spray"' bans
echo "   banned: $(grep -o '"key":"[^"]*"' "$WORK/ctl-bans1.txt" | cut -d'"' -f4 | tr '\n' ' ')"
# wave 2: all 31 addresses again (wave 1's twelve and 19 new ones), other
# accounts and passwords, three of them the RIGHT password, one via SMTP AUTH
W2=()
for i in $(seq 10 40); do
    u=$(printf 'u%02d' $(( (i - 10) % 30 + 1 )))
    case $i in
        38) W2+=("$i imap frank@$D Frank-Right-6") ;;
        39) W2+=("$i pop3 u29@$D U29-pass") ;;
        40) W2+=("$i imap u30@$D U30-pass") ;;
        37) W2+=("$i smtp carol@$D Spring2026!") ;;
        *)  proto=imap; [ $((i % 4)) = 1 ] && proto=pop3
            W2+=("$i $proto $u@$D Spring2026!") ;;
    esac
done
for w in "${W2[@]}"; do
    read -r i proto user pass <<<"$w"
    if [ "$proto" = smtp ]; then
        spawn swaks --server 127.0.0.1 --port 587 --local-interface "127.0.1.$i" --tls --auth PLAIN \
            --auth-user "$user" --auth-password "$pass" --quit-after AUTH --timeout 60 \
            >"$WORK/swaks-spray-$i.txt" 2>&1 </dev/null
    else
        spawn sess spray2 "$proto" "127.0.1.$i" "$user" "$pass"
    fi
done
waitbg
bad=0; nres=0
while IFS=$'\t' read -r src user _ result; do
    nres=$((nres + 1))
    refused_result "$result" || { bad=$((bad + 1)); echo "   not refused: $src $user: $result"; }
done < <(results spray2)
check "spray wave 2: all 30 IMAP/POP3 logins refused with mailward's msg ('NO [ALERT] $MSG' / '-ERR [AUTH] $MSG'), the 3 right passwords too [$((nres - bad))/30]" \
    [ "$nres" = 30 -a "$bad" = 0 ]
check "spray wave 2: SMTP AUTH (swaks, 587) from 127.0.1.37 refused: 535 ... $MSG" \
    grep -q "535 5.7.8 Error: authentication failed: $MSG" "$WORK/swaks-spray-37.txt"
SPRAY_IPS=(); for i in $(seq 10 40); do SPRAY_IPS+=("127.0.1.$i"); done
check "mail.log: 'Authentication failure due to policy server refusal' for each of the 31 addresses" wait_log "${SPRAY_IPS[@]}"
f=$(ctlf bans1b bans)
util covered "$f" "${SPRAY_IPS[@]}" >"$WORK/covered1.txt"
check "ctl bans covers all 31 addresses" [ $? = 0 ]
echo "   by name: $(awk -F'\t' '$2 !~ /^[0-9.]*\// && $2 != "-"' "$WORK/covered1.txt" | wc -l) addresses, the rest by 127.0.1.0/24"
took "check 1"

# ============================================================ 2. office NAT
begin "2. NATed office 127.0.0.9: 16 users log in (3 times each, IMAPS/POP3S) with 3 typos"
OFFICE=127.0.0.9
OFFICE_USERS=("alice@$D Alice-Right-1" "bob@$D Bob-Right-2" "carol@$D Carol-Right-3" "frank@$D Frank-Right-6")
for i in $(seq 1 12); do OFFICE_USERS+=("$(printf 'u%02d@%s U%02d-pass' "$i" "$D" "$i")"); done
for w in "${OFFICE_USERS[@]}"; do
    read -r user pass <<<"$w"
    spawn sess officeA imaps "$OFFICE" "$user" "$pass"
    spawn sess officeA pop3s "$OFFICE" "$user" "$pass"
done
waitbg
n=$(results officeA | awk -F'\t' '$3 == "success"' | wc -l)
check "office round 1: 32 logins (IMAPS + POP3S for 16 users) succeeded [$n/32]" [ "$n" = 32 ]
spawn sess officeT imaps "$OFFICE" "alice@$D" Alice-Rihgt-1
spawn sess officeT pop3s "$OFFICE" "u05@$D" U05-pas
spawn sess officeT imaps "$OFFICE" "carol@$D" carol-right-3
waitbg
n=$(results officeT | awk -F'\t' '$3 == "failure" && $4 !~ /ALERT/' | wc -l)
check "office typos: 3 failed as wrong passwords (not refused by policy) [$n/3]" [ "$n" = 3 ]
for w in "${OFFICE_USERS[@]}"; do
    read -r user pass <<<"$w"
    spawn sess officeB imaps "$OFFICE" "$user" "$pass"
done
waitbg
n=$(results officeB | awk -F'\t' '$3 == "success"' | wc -l)
check "office round 2 after the typos: 16 logins succeeded [$n/16]" [ "$n" = 16 ]
f=$(ctlf bans2 bans)
check "ctl bans: 127.0.0.9 not banned (nor its network)" not quiet util covered "$f" "$OFFICE"
f=$(ctlf audit2 audit)
r=$(util audit "$f" "$OFFICE" reject); d=$(util audit "$f" "$OFFICE" delay)
check "ctl audit: no reject and no delay for 127.0.0.9 [$r rejects, $d delays]" [ "$r" = 0 -a "$d" = 0 ]
f=$(ctlf findings2 findings)
k=$(util names "$f" "$OFFICE")
check "ctl findings: no finding names 127.0.0.9 [${k:-none}]" [ -z "$k" ]
took "check 2"

# ============================================================ 3. stale password
begin "3. stale password: 127.0.2.5 retries erin's old password 6 times"
STALE=127.0.2.5
for i in 1 2 3 4; do spawn sess stale1 imap "$STALE" "erin@$D" Erin-Old-2023; done
waitbg
check "ctl findings: a stale_password notice for erin from 127.0.2.5" \
    poll findings3 '"kind":"stale_password".*"127\.0\.2\.5".*"erin@' findings
t=$(date +%s%3N)
spawn sess stale2 imap "$STALE" "erin@$D" Erin-Old-2023
spawn sess stale2 pop3 "$STALE" "erin@$D" Erin-Old-2023
waitbg
echo "   retries 5 and 6 (after the notice) took $(ms "$t") ms"
n=$(results stale1; results stale2)
n=$(printf '%s\n' "$n" | awk -F'\t' '$3 == "failure" && $4 !~ /ALERT/' | wc -l)
check "the 6 retries failed as wrong passwords, never refused by policy [$n/6]" [ "$n" = 6 ]
f=$(ctlf audit3 audit)
n=$(util audit "$f" "$STALE" delay stale_password)
# the audit writes a repeated delay of one address once a minute; Dovecot's
# own log shows each delay it applied
check "ctl audit: the delay for stale_password is in the audit trail [$n]" [ "$n" -ge 1 ]
sleep 1
n=$(grep -cE "policy\([^,]*,$STALE[,)].*Policy check action is tarpit" "$MW_LOG/mail.log")
check "Dovecot applied mailward's delay to the retries (tarpit in mail.log) [$n]" [ "$n" -ge 2 ]
f=$(ctlf bans3 bans)
check "ctl bans: 127.0.2.5 not banned" not quiet util covered "$f" "$STALE"
f=$(ctlf findings3b findings)
k=$(util names "$f" "$STALE")
check "ctl findings: only the stale_password notice names 127.0.2.5, no brute_force [$k]" [ "$k" = stale_password ]
sess stale3 imap "$STALE" "erin@$D" Erin-Right-5
check "the phone gets the new password: erin logs in from 127.0.2.5" \
    [ "$(results stale3 | cut -f3)" = success ]
took "check 3"

# ============================================================ 4. takeover
begin "4. takeover: 127.0.3.7 brute-forces dave, gets unbanned, logs in; dave's mail is held"
ATT=127.0.3.7
for i in $(seq 1 10); do spawn sess brute imap "$ATT" "dave@$D" "dave-guess-$i"; done
waitbg
n=$(results brute | awk -F'\t' '$3 == "failure"' | wc -l)
check "10 wrong passwords for dave from 127.0.3.7 failed [$n/10]" [ "$n" = 10 ]
check "ctl bans: 127.0.3.7 banned for brute_force" poll bans4 '"key":"127\.0\.3\.7","kind":"brute_force"' bans
sess brute2 imap "$ATT" "dave@$D" Dave-Right-4
r=$(results brute2 | cut -f4)
check "while banned, the right password from 127.0.3.7 is refused at 'allow' [$r]" refused_result "$r"
f=$(ctlf flags4a flags)
check "... so no success is ever reported from the banned address: dave not flagged yet" not grep -q "\"dave@$D\"" "$f"
check "ctl unban 127.0.3.7 (an admin lifts the ban)" quiet ctl unban "$ATT"
sess takeover imap "$ATT" "dave@$D" Dave-Right-4
check "127.0.3.7 logs in as dave with the right password" [ "$(results takeover | cut -f3)" = success ]
check "ctl flags: dave flagged (account_takeover)" \
    poll flags4 "\"account\":\"dave@$D\",\"kind\":\"account_takeover\"" flags
f=$(ctlf findings4 findings)
check "ctl findings: an account_takeover finding for dave naming 127.0.3.7" \
    quiet util finding "$f" account_takeover "$ATT" "dave@$D"
QID1=$(send "$WORK/swaks-held1.txt" "$ATT" "dave@$D" Dave-Right-4)
check "dave's next message via submission (swaks AUTH PLAIN + DATA) is accepted: queued as ${QID1:-?}" [ -n "$QID1" ]
q=$(util queue "$QID1" | cut -f2)
check "postqueue -j: $QID1 is in the hold queue [$q]" [ "$q" = hold ]
check "ctl held lists $QID1 for dave" poll held4 "\"account\":\"dave@$D\",\"queue_id\":\"$QID1\"" held
check "mail.log: Postfix logged the hold" grep -qE "hold: (RCPT|END-OF-MESSAGE) from .*from=<dave@$D>" "$MW_LOG/mail.log"
took "check 4 (up to the hold)"

# ============================================================ 5. restarts
begin "5. state survives SIGTERM and kill -9"
held_listed() {   # held_listed CTL-HELD-FILE QID...
    local f=$1 q; shift
    for q in "$@"; do grep -q "\"queue_id\":\"$q\"" "$f" || return 1; done
}
released_logged() {   # released_logged QID...: postsuper's "released from hold" lines
    local q
    for q in "$@"; do grep -q "postsuper.*$q: released from hold" "$MW_LOG/mail.log" || return 1; done
}
delivered() {   # delivered QID...: each was delivered to its mailbox
    local q
    for q in "$@"; do grep -q "$q: to=<.*status=sent" "$MW_LOG/mail.log" || return 1; done
}
restart_checks() {   # restart_checks LABEL SRC-FOR-MAIL
    local label=$1 src=$2 f r q i qid
    f=$(ctlf "bans-$label" bans)
    check "$label: ctl bans still covers the 31 spray addresses" quiet util covered "$f" "${SPRAY_IPS[@]}"
    check "$label: ctl flags still has dave" grep -q "\"account\":\"dave@$D\"" "$(ctlf "flags-$label" flags)"
    for i in 12 27 40; do spawn sess "re-$label" imap "127.0.1.$i" "u$i@$D" "Autumn2026!"; done
    spawn sess "re-$label" imap 127.0.1.38 "frank@$D" Frank-Right-6
    waitbg
    r=$(results "re-$label" | awk -F'\t' '{ print $4 }' | sort | uniq -c | sed 's/^ *//' | tr '\n' ';')
    check "$label: spray addresses still refused by Dovecot, right password too [$r]" \
        [ "$(results "re-$label" | awk -F'\t' -v m="NO [ALERT] $MSG" '$4 == m' | wc -l)" = 4 ]
    qid=$(send "$WORK/swaks-held-$label.txt" "$src" "dave@$D" Dave-Right-4)
    q=$(util queue "$qid" | cut -f2)
    check "$label: dave's new message ${qid:-?} is held [$q]" [ -n "$qid" -a "$q" = hold ]
    HELD+=("$qid")
    q=$(util queue "${HELD[@]}" | awk '$2 != "hold"' | wc -l)
    check "$label: all of dave's held messages still in the hold queue [${#HELD[@]}]" [ "$q" = 0 ]
    f=$(ctlf "held-$label" held)
    check "$label: ctl held lists them all" \
        held_listed "$f" "${HELD[@]}"
}
HELD=("$QID1")
t=$(date +%s%3N)
serve_stop TERM
serve_start "after SIGTERM"
echo "   SIGTERM + start: $(ms "$t") ms"
restart_checks "after SIGTERM" 127.0.4.4
t=$(date +%s%3N)
serve_stop KILL
serve_start "after kill -9"
echo "   kill -9 + start: $(ms "$t") ms"
restart_checks "after kill -9" 127.0.4.5
took "check 5"

# ============================================================ 4b. release
begin "4b. ctl release dave (release_command = postsuper -H)"
check "ctl release dave@$D" quiet ctl release "dave@$D"
for i in $(seq 1 50); do
    [ "$(util queue "${HELD[@]}" | awk '$2 == "hold"' | wc -l)" = 0 ] && break
    sleep 0.2
done
r=$(util queue "${HELD[@]}" | cut -f2 | sort | uniq -c | sed 's/^ *//' | tr '\n' ';')
check "the ${#HELD[@]} held messages left the hold queue [$r]" \
    [ "$(util queue "${HELD[@]}" | awk '$2 == "hold"' | wc -l)" = 0 ]
check "mail.log: postsuper released them" \
    released_logged "${HELD[@]}"
# postsuper -H moves a message to the deferred queue: it goes out at the
# next queue run (queue_run_delay, 300 s); flush these now
for q in "${HELD[@]}"; do postqueue -i "$q" 2>/dev/null; done
for i in $(seq 1 50); do delivered "${HELD[@]}" && break; sleep 0.2; done
check "postqueue -i: the released messages were delivered (mail.log status=sent)" delivered "${HELD[@]}"
check "ctl flags: dave no longer flagged" not grep -q "\"account\":\"dave@$D\"" "$(ctlf flags4b flags)"
check "ctl held: dave's messages marked released" \
    not grep -q "\"account\":\"dave@$D\".*\"released\":false" "$(ctlf held4b held)"
QID9=$(send "$WORK/swaks-after-release.txt" 127.0.4.6 "dave@$D" Dave-Right-4)
for i in $(seq 1 25); do [ -n "$QID9" ] && delivered "$QID9" && break; sleep 0.2; done
check "dave's next message ${QID9:-?} is not held: delivered at once" delivered "${QID9:-no-queue-id}"
took "check 4b"

echo "== done"
