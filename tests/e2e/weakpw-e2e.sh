#!/bin/bash
# weakpw-e2e.sh - mailward serve's weak-password checks end to end (issue
# 6, "at login, without the password"): the REAL Debian 12 Dovecot 2.3.19
# (tests/e2e/mailstack.sh) with the docs/examples/ auth-policy snippet as it
# is (port, API token and nonce substituted; auth_debug added, see below)
# asks a real `mailward serve` started with pwhash_nonce, pwhash_truncate
# and pwhash_mech as in the snippet and a common-password list
# (data/passwords.txt from scripts/fetch-passwords.sh, else a short list
# written here: no network). Real IMAP clients (mwclient.py):
#   1. wendy (password "letmein") and walt ("qwerty123"), accounts added
#      through mailstack.sh's MW_EXTRA_USERS, log in: one weak_password
#      notice each (list rank, pwhash bits), still one after a second login;
#      alice (a strong password) logs in: none;
#   2. control: 6 random wrong passwords on 6 accounts from 6 addresses in
#      6 /16s of 127/8: no password_spray (Dovecot's pwhash is per user, so
#      6 different passwords give 6 unrelated fingerprints);
#   3. a spray: "password1" (in the list) on 6 accounts from 6 more /16s:
#      a password_spray whose only label is the common-password fingerprint
#      ("common-RANK"), its addresses banned, Dovecot then refuses them even
#      with the right password, while the control addresses still log in;
#   4. the hash construction, live: Dovecot logs each policy request's JSON
#      with auth_debug ("Policy server request JSON: {...}"; a test-only
#      line appended to the installed copy of the snippet; passwords are not
#      logged, auth_debug_passwords stays off). The pwhash Dovecot sent for
#      wendy and for each sprayed account must equal `mailward passwd pwhash`
#      (the library the daemon uses) and Python's hashlib for the password
#      the client typed; the 6 sprayed accounts' pwhashes must all differ
#      although the spray finding links them by one fingerprint. Checks 1
#      and 3 show that the daemon itself matched these live values.
# Each check prints ok/FAIL; exit 1 on any FAIL. Stops everything it started
# (the daemon, the stack via mailstack.sh stop), also on failure or ^C.
#
# Usage (root, Debian 12): tests/e2e/weakpw-e2e.sh [MAILWARD]   (default
# build/mailward). About 30 seconds. WEAKPW_E2E_HTTP_PORT sets the daemon's
# Dovecot/admin port (default: the first free one of 45627, 45637, ...);
# WEAKPW_E2E_LIST=FILE uses another password list (a missing FILE: the
# short built-in one); WEAKPW_E2E_KEEP=1 keeps the work directory
# (serve.log, client actions, mail.log, ctl outputs); it is always kept
# after a FAIL.
set -uo pipefail
E2E=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=mailstack.sh
. "$E2E/mailstack.sh"
# shellcheck source=lib.sh
. "$E2E/lib.sh"
e2e_mailward "${1:-}"

HTTP_PORT=${WEAKPW_E2E_HTTP_PORT:-$(e2e_ports 45627 45727 0)}
[ -n "$HTTP_PORT" ] || mw_die "no free port in 45627-45727"
TOKEN=mailward-e2e-api-token-0006     # test values only
NONCE=mailward-e2e-nonce-0006
D=$MW_DOMAIN

e2e_setup weakpw-e2e "${WEAKPW_E2E_KEEP:-0}" "serve.log, client-actions.jsonl, mail.log, ctl-*.txt"

# (sess, spawn, waitbg, results, util, ctl, ctlf, poll: lib.sh)
outcomes() { results "$1" | cut -f3 | sort | uniq -c | sed 's/^ *//' | tr '\n' ';'; }
# mailward's own computation of the pwhash (the library the daemon uses)
mw_pwhash() { printf '%s\n' "$3" | "$MW" passwd pwhash --nonce "$NONCE" --user "$2" --mech "$MECH" --bits "$1"; }
# wait until Dovecot's debug log holds a policy request for login USER
logged_for() {
    local i
    for i in $(seq 1 30); do
        [ -n "$(util policy_pwhash "$MW_LOG/mail.log" "$1")" ] && return 0
        sleep 0.2
    done
    return 1
}

# ------------------------------------------------------------ the snippet
e2e_dovecot_snippet "$TOKEN" "$NONCE"
SNONCE=$(sed -n 's/^auth_policy_hash_nonce = //p' "$WORK/95-mailward.conf")
BITS=$(sed -n 's/^auth_policy_hash_truncate = //p' "$WORK/95-mailward.conf")
MECH=$(sed -n 's/^auth_policy_hash_mech = //p' "$WORK/95-mailward.conf")
grep -q "^auth_policy_server_url = http://127.0.0.1:$HTTP_PORT/\$" "$WORK/95-mailward.conf" \
    && [ -n "$API_HEADER" ] && [ "$SNONCE" = "$NONCE" ] && [ -n "$MECH" ] \
    || mw_die "the docs/examples Dovecot snippet changed: its URL, API header, nonce or hash mech line was not found"
# the spray rule needs 24+ bits (serve.c), the weak notice 20+; the snippet has 32
[ -n "$BITS" ] && [ "$BITS" -ge 24 ] \
    || mw_die "the snippet's auth_policy_hash_truncate is '$BITS': this test needs at least 24"
# test only: Dovecot logs every policy request's JSON (check 4)
printf '\n# weakpw-e2e.sh: log each policy request (pwhash, not the password)\nauth_debug = yes\n' \
    >>"$WORK/95-mailward.conf"
export MW_DOVECOT_EXTRA_CONF=$WORK/95-mailward.conf
unset MW_POSTFIX_EXTRA_MAIN MW_POSTFIX_EXTRA_MASTER

# ------------------------------------------------------------ the list
LIST=${WEAKPW_E2E_LIST:-$ROOT/data/passwords.txt}
if [ ! -s "$LIST" ]; then
    # no scripts/fetch-passwords.sh run: a few of the most common passwords
    LIST=$WORK/passwords.txt
    printf '%s\n' 123456 password 12345678 qwerty 123456789 password1 12345 iloveyou \
        111111 123123 abc123 letmein monkey dragon sunshine qwerty123 >"$LIST"
fi
rank() { grep -nxF -m1 -- "$1" "$LIST" | cut -d: -f1; }
WEAK_PW=letmein WEAK2_PW=qwerty123 SPRAY_PW=password1
for p in "$WEAK_PW" "$WEAK2_PW" "$SPRAY_PW"; do
    r=$(rank "$p")
    # weakpw checks the top 1000 of the list (weakpw_defaults)
    [ -n "$r" ] && [ "$r" -le 1000 ] || mw_die "'$p' is not in the top 1000 of $LIST (rank '${r:-none}')"
done
WEAK=wendy@$D WEAK2=walt@$D STRONG=alice@$D STRONG_PW=Alice-Right-1
cat >"$WORK/extra-users" <<EOF
# weakpw-e2e.sh: accounts with common passwords
$WEAK $WEAK_PW
$WEAK2 $WEAK2_PW
EOF
export MW_EXTRA_USERS=$WORK/extra-users

# ------------------------------------------------------------ start
e2e_stack_free
SERVE_ARGS=(--postfix "" --set "dovecot_api_header=$API_HEADER" --set delay_max=1 --set asn_db=
            --set "pwhash_nonce=$NONCE" --set "pwhash_truncate=$BITS" --set "pwhash_mech=$MECH"
            --set "passwords=$LIST")
serve_start "first start"
STACK=1
mw_start
echo "daemon: $MW serve (pid $SERVE_PID) on 127.0.0.1:$HTTP_PORT, pwhash $MECH/$BITS bits, list $LIST ($(wc -l <"$LIST") entries)"
check "serve.log: the weak-password check is on (no 'weak passwords are not checked')" \
    not grep -q "weak passwords are not checked" "$WORK/serve.log"

# ============================================================ 1. weak logins
echo "== 1. logins with common passwords (wendy: $WEAK_PW, walt: $WEAK2_PW) and a strong one (alice)"
spawn sess weak1 imap 127.0.5.5 "$WEAK" "$WEAK_PW"
spawn sess weak1 imap 127.0.5.6 "$WEAK2" "$WEAK2_PW"
spawn sess weak1 imap 127.0.5.7 "$STRONG" "$STRONG_PW"
waitbg
check "3 IMAP logins succeeded [$(outcomes weak1)]" [ "$(results weak1 | awk -F'\t' '$3 == "success"' | wc -l)" = 3 ]
check "ctl findings: a weak_password notice for $WEAK" \
    poll f1 "\"kind\":\"weak_password\".*\"accounts\":\\[\"$WEAK\"\\]" findings
check "ctl findings: a weak_password notice for $WEAK2" \
    poll f1 "\"kind\":\"weak_password\".*\"accounts\":\\[\"$WEAK2\"\\]" findings
f=$WORK/ctl-f1.txt
r=$(util evidence "$f" weak_password "$WEAK" list_rank)
check "the notice names the list rank of '$WEAK_PW' [$r = $(rank "$WEAK_PW")]" [ "$r" = "$(rank "$WEAK_PW")" ]
r=$(util evidence "$f" weak_password "$WEAK" pwhash_bits)
check "the notice's pwhash_bits is the snippet's $BITS [$r]" [ "$r" = "$BITS" ]
check "the notice names the login's address 127.0.5.5" quiet util finding "$f" weak_password 127.0.5.5 "$WEAK"
# the second logins: the notice is given once per account
sess weak2 imap 127.0.5.5 "$WEAK" "$WEAK_PW"
sess weak2 imap 127.0.5.8 "$WEAK" "$WEAK_PW"
sess weak2 imap 127.0.5.7 "$STRONG" "$STRONG_PW"
check "3 more logins (wendy twice, alice) succeeded [$(outcomes weak2)]" \
    [ "$(results weak2 | awk -F'\t' '$3 == "success"' | wc -l)" = 3 ]
sleep 1   # Dovecot's report comes after the client's OK
f=$(ctlf f1b findings)
n=$(util count "$f" weak_password "$WEAK")
check "ctl findings: still exactly one weak_password notice for $WEAK after 3 logins [$n]" [ "$n" = 1 ]
n=$(util count "$f" weak_password "$STRONG")
check "ctl findings: no weak_password notice for $STRONG (strong password, 2 logins) [$n]" [ "$n" = 0 ]
n=$(util count "$f" weak_password)
check "ctl findings: 2 weak_password notices in all [$n]" [ "$n" = 2 ]

# ============================================================ 2. control
echo "== 2. control: 6 random wrong passwords on 6 accounts from 6 /16s"
CTRL_IPS=(127.70.0.5 127.80.0.5 127.90.0.5 127.100.0.5 127.110.0.5 127.120.0.5)
for i in 0 1 2 3 4 5; do
    spawn sess ctrl imap "${CTRL_IPS[$i]}" "u2$((i + 1))@$D" "$(openssl rand -hex 6)"
done
waitbg
check "6 logins failed as wrong passwords [$(outcomes ctrl)]" \
    [ "$(results ctrl | awk -F'\t' '$3 == "failure" && $4 !~ /ALERT/' | wc -l)" = 6 ]
sleep 1
f=$(ctlf f2 findings)
n=$(util count "$f" password_spray)
check "ctl findings: no password_spray [$n]" [ "$n" = 0 ]
k=$(for ip in "${CTRL_IPS[@]}"; do util names "$f" "$ip"; done | tr ' ' '\n' | sort -u | tr '\n' ' ')
check "ctl findings: no finding names the 6 control addresses [${k:-none}]" [ -z "${k// /}" ]
f=$(ctlf b2 bans)
n=$(util covered "$f" "${CTRL_IPS[@]}" | awk -F'\t' '$2 != "-"' | wc -l)
check "ctl bans: none of the 6 control addresses banned [$n banned]" [ "$n" = 0 ]

# ============================================================ 3. spray
echo "== 3. spray: '$SPRAY_PW' on 6 accounts from 6 other /16s"
SPRAY_IPS=(127.10.0.5 127.20.0.5 127.30.0.5 127.40.0.5 127.50.0.5 127.60.0.5)
SPRAY_USERS=()
for i in 0 1 2 3 4 5; do
    SPRAY_USERS+=("u1$((i + 1))@$D")
    spawn sess spray imap "${SPRAY_IPS[$i]}" "${SPRAY_USERS[$i]}" "$SPRAY_PW"
done
waitbg
check "6 logins failed [$(outcomes spray)]" [ "$(results spray | awk -F'\t' '$3 == "failure"' | wc -l)" = 6 ]
check "ctl findings: a password_spray" poll f3 '"kind":"password_spray"' findings
f=$WORK/ctl-f3.txt
want="common-$(( $(rank "$SPRAY_PW") - 1 ))"
# (any of the spray's addresses: the six clients run at once, and the one
# whose failure comes sixth is added to the stored finding only later)
l=$(util labels "$f" password_spray "${SPRAY_IPS[@]}")
check "its only password label is the common-password fingerprint of '$SPRAY_PW' [$l = $want]" [ "$l" = "$want" ]
# it fires at the 5th account (spray_accounts); the stored finding catches up
# with the 6th within serve.c's FINDING_SAVE_S (10 s; checked at the end)
named() {   # named FILE WHAT...: how many of WHAT the spray finding names
    local f=$1 n=0 w; shift
    for w in "$@"; do grep '"kind":"password_spray"' "$f" | grep -q "\"$w\"" && n=$((n + 1)); done
    echo "$n"
}
n=$(named "$f" "${SPRAY_USERS[@]}")
check "it names 5 or more of the 6 sprayed accounts at once [$n/6]" [ "$n" -ge 5 ]
covered_all() {   # until ctl bans covers every spray address
    local i
    for i in $(seq 1 25); do
        util covered "$(ctlf b3 bans)" "${SPRAY_IPS[@]}" >"$WORK/covered3.txt" && return 0
        sleep 0.2
    done
    return 1
}
covered_all; rc=$?
check "ctl bans covers the 6 spray addresses [$(cut -f2 "$WORK/covered3.txt" | tr '\n' ' ')]" [ "$rc" = 0 ]
n=$(util covered "$WORK/ctl-b3.txt" "${CTRL_IPS[@]}" | awk -F'\t' '$2 != "-"' | wc -l)
check "ctl bans: still none of the 6 control addresses [$n banned]" [ "$n" = 0 ]
f=$(ctlf f3b findings)
k=$(for ip in "${CTRL_IPS[@]}"; do util names "$f" "$ip"; done | tr ' ' '\n' | sort -u | tr '\n' ' ')
check "ctl findings: still no finding names the control addresses [${k:-none}]" [ -z "${k// /}" ]

# ============================================================ 4. the pwhash, live
echo "== 4. the pwhash Dovecot sent (its auth_debug log) = mailward passwd pwhash = hashlib"
check "mail.log: Dovecot logged policy requests for $WEAK" logged_for "$WEAK"
got=$(util policy_pwhash "$MW_LOG/mail.log" "$WEAK")
exp=$(mw_pwhash "$BITS" "$WEAK" "$WEAK_PW")
py=$(util pwhash "$NONCE" "$WEAK" "$WEAK_PW" "$BITS" "$MECH")
echo "   $WEAK: Dovecot sent $(echo "$got" | awk '{printf "%s (%s requests) ", $1, $2}'); mailward passwd pwhash $exp; hashlib $py"
check "Dovecot sent one pwhash for $WEAK's 3 logins, equal to mailward passwd pwhash and hashlib [$exp]" \
    [ "$(echo "$got" | wc -l)" = 1 -a "$(echo "$got" | cut -f1)" = "$exp" -a "$exp" = "$py" -a ${#exp} = $(( (BITS + 7) / 8 * 2 )) ]
bad=0; seen=()
for u in "${SPRAY_USERS[@]}"; do
    logged_for "$u" || { bad=$((bad + 1)); continue; }
    got=$(util policy_pwhash "$MW_LOG/mail.log" "$u" | cut -f1)
    exp=$(mw_pwhash "$BITS" "$u" "$SPRAY_PW")
    [ "$got" = "$exp" ] && [ "$exp" = "$(util pwhash "$NONCE" "$u" "$SPRAY_PW" "$BITS" "$MECH")" ] \
        || { bad=$((bad + 1)); echo "   $u: Dovecot sent '$got', mailward computes $exp"; }
    seen+=("$got")
done
check "the 6 sprayed accounts: Dovecot's pwhash of '$SPRAY_PW' = mailward passwd pwhash = hashlib [$((6 - bad))/6]" [ "$bad" = 0 ]
n=$(printf '%s\n' "${seen[@]}" | sort -u | wc -l)
check "... and the 6 differ (per user: $(echo "${seen[*]}")), yet one spray fingerprint links them [$n distinct]" [ "$n" = 6 ]

# ============================================================ 3b. the ban at Dovecot
echo "== 3b. the ban reaches Dovecot"
sess after imap "${SPRAY_IPS[0]}" "${SPRAY_USERS[0]}" U11-pass
sess after imap "${CTRL_IPS[0]}" "u21@$D" U21-pass
r=$(results after | awk -F'\t' -v ip="${SPRAY_IPS[0]}" '$1 == ip { print $4 }')
check "${SPRAY_IPS[0]} is refused by policy even with the right password [$r]" [ "$r" = "NO [ALERT] Authentication failed" ]
r=$(results after | awk -F'\t' -v ip="${CTRL_IPS[0]}" '$1 == ip { print $3 }')
check "control address ${CTRL_IPS[0]} logs in with the right password [$r]" [ "$r" = success ]


# ============================================================ 3c. the stored finding
echo "== 3c. the stored spray finding, saved again after FINDING_SAVE_S (10 s)"
t=$(date +%s%3N)
for i in $(seq 1 60); do
    f=$(ctlf f3c findings)
    [ "$(named "$f" "${SPRAY_USERS[@]}" "${SPRAY_IPS[@]}")" = 12 ] && break
    sleep 0.25
done
n=$(named "$f" "${SPRAY_USERS[@]}"); m=$(named "$f" "${SPRAY_IPS[@]}")
check "ctl findings: the spray names the 6 accounts and the 6 addresses [$n/6, $m/6, after $(ms "$t") ms]" \
    [ "$n" = 6 -a "$m" = 6 ]
n=$(util count "$f" password_spray)
check "... as one finding [$n]" [ "$n" = 1 ]

echo "== done"
