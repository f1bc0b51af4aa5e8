#!/bin/bash
# capture-fixtures.sh - run the real Debian 12 Postfix + Dovecot on loopback,
# drive them with real clients through a fixed scenario, and keep their logs
# as fixtures in tests/fixtures/real/:
#
#   debian12-mail.log          rsyslog, Debian 12 default (RFC 3339) timestamps
#   debian12-mail-classic.log  the same messages, RSYSLOG_TraditionalFileFormat
#   debian12-auth.log          auth/authpriv (pam_unix lines for the PAM user)
#   ACTIONS.jsonl              one JSON object per client action (ground truth)
#   ACTIONS.md                 the same as a table, in order
# (README.md there is hand-written: what the logs showed.) Ends by running
# check-fixtures.sh on the result.
#
# Usage (root, Debian 12): tests/e2e/capture-fixtures.sh [OUTDIR]
# Takes about 2-3 minutes. Stops everything it started, also on error.
set -euo pipefail
E2E=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$E2E/../.." && pwd)
OUT=${1:-$ROOT/tests/fixtures/real}
# shellcheck source=mailstack.sh
. "$E2E/mailstack.sh"
mw_need_root

WORK=$(mktemp -d /tmp/mailward-capture.XXXXXX)
ACT=$WORK/ACTIONS.jsonl
: >"$ACT"
PY=$(mw_python)
CLIENT="$PY $E2E/mwclient.py"
D=$MW_DOMAIN
STEP=0
T0=$(date +%s)

cleanup() {
    local rc=$?
    mw_stop || true
    rm -rf "$WORK"
    exit $rc
}
trap cleanup EXIT

mw_install
mw_stop 2>/dev/null || true     # start from a clean, stopped stack: fresh logs
mw_start
sleep 1

next() { STEP=$((STEP + 1)); }
# A Dovecot/submission session by mwclient.py: cli PROTO ARGS...
cli() { next; local p=$1; shift; $CLIENT "$p" --step "$STEP" --actions "$ACT" "$@" || true; }
# An external client (curl, swaks, sendmail): ext [mwclient run options] -- CMD...
# "-- swaks_ SRC PORT ARGS..." runs swaks against 127.0.0.1:PORT bound to SRC.
ext() {
    next
    local opts=()
    while [ "$1" != "--" ]; do opts+=("$1"); shift; done
    shift
    if [ "$1" = swaks_ ]; then
        local src=$2 port=$3
        shift 3
        set -- swaks --server 127.0.0.1 --port "$port" --local-interface "$src" \
            --helo "client-${src##*.}.example.test" --timeout 30 "$@"
    fi
    $CLIENT run --step "$STEP" --actions "$ACT" "${opts[@]}" -- "$@" || true
}
CURL=(curl -s -S -k --max-time 30 -o /dev/null)

echo "== IMAP"
ext --src 127.0.0.1 --dst 127.0.0.1:143 --proto imap --tls none --mech PLAIN \
    --user "alice@$D" --password Alice-Right-1 --kind right \
    --note "curl from 127.0.0.1 = lip: Dovecot calls it 'secured'" --expect "Login ... secured" \
    -- "${CURL[@]}" --interface 127.0.0.1 -u "alice@$D:Alice-Right-1" imap://127.0.0.1/
ext --src 127.0.0.5 --dst 127.0.0.1:143 --proto imap --tls starttls --mech PLAIN \
    --user "alice@$D" --password Alice-Right-1 --kind right --expect "Login ... TLS" \
    -- "${CURL[@]}" --ssl-reqd --interface 127.0.0.5 -u "alice@$D:Alice-Right-1" imap://127.0.0.1/
cli imap --src 127.0.0.6 --attempt "bob@$D:Bob-Right-2:right" \
    --note "LOGIN command in cleartext" --expect "Login, no TLS marker (cleartext)"
ext --src 127.0.0.7 --dst 127.0.0.1:993 --proto imap --tls implicit --mech PLAIN \
    --user "carol@$D" --password Carol-Right-3 --kind right --expect "Login ... TLS" \
    -- "${CURL[@]}" --interface 127.0.0.7 -u "carol@$D:Carol-Right-3" imaps://127.0.0.1/
ext --src 127.0.0.18 --dst 127.0.0.1:993 --proto imap --tls implicit --mech PLAIN \
    --user "carol@$D" --password Carol-Wrong-0 --kind wrong --expect "auth failed, 1 attempts ... TLS" \
    -- "${CURL[@]}" --interface 127.0.0.18 -u "carol@$D:Carol-Wrong-0" imaps://127.0.0.1/
cli imap --src 127.0.0.8 --end close \
    --attempt "alice@$D:guess-one:wrong" --attempt "alice@$D:guess-two:wrong" \
    --attempt "alice@$D:guess-three:wrong" \
    --note "3 wrong passwords in one connection, then the client closes" \
    --expect "Disconnected: Connection closed (auth failed, 3 attempts ...)"
cli imap --src 127.0.0.17 --tls starttls --end logout --attempt "bob@$D:bobby123:wrong" \
    --expect "Disconnected: Aborted login by logging out (auth failed, 1 attempts ...) TLS"
cli imap --src 127.0.0.9 --attempt "nosuch@$D:whatever1:unknown-user" --expect "unknown user"
cli imap --src 127.0.0.10 --end logout --note "connect and LOGOUT without any login" \
    --expect "Aborted login by logging out (no auth attempts ...)"
cli imap --src 127.0.0.10 --end close --sasl-cancel \
    --note "AUTHENTICATE PLAIN then '*' (client cancels SASL), then close" \
    --expect "auth aborted by client / aborted login"
cli imap --src 127.0.0.66 --attempt "carol@$D:Carol-Right-3:disallowed" \
    --note "remote 127.0.0.66 has disable_plaintext_auth=yes; LOGIN command: right password sent in cleartext" \
    --expect "Login failed: Plaintext authentication disabled, then Disconnected (auth failed, 1 attempts)"
cli imap --src 127.0.0.66 --mech plain --end close --attempt "carol@$D:Carol-Right-3:disallowed" \
    --note "same, AUTHENTICATE PLAIN (SASL)" \
    --expect "Authenticate PLAIN failed: Plaintext authentication disabled., then Disconnected (tried to use disallowed plaintext auth)"
cli imap --src 127.0.0.11 --mech plain \
    --attempt "dave@$D:123456:wrong" --attempt "dave@$D:password:wrong" \
    --attempt "dave@$D:qwerty:wrong" --attempt "dave@$D:Dave-Right-4:right" \
    --note "brute force that succeeds on the 4th try in one connection (AUTHENTICATE PLAIN)" \
    --expect "3 Password mismatch, then Login"

echo "== POP3"
ext --src 127.0.0.1 --dst 127.0.0.1:110 --proto pop3 --tls none --mech PLAIN \
    --user "erin@$D" --password Erin-Right-5 --kind right --expect "pop3 Login ... secured" \
    -- "${CURL[@]}" --interface 127.0.0.1 -u "erin@$D:Erin-Right-5" pop3://127.0.0.1/
cli pop3 --src 127.0.0.12 --attempt "frank@$D:Frank-Right-6:right" \
    --note "USER/PASS in cleartext" --expect "pop3-login: Login, no TLS marker"
ext --src 127.0.0.13 --dst 127.0.0.1:995 --proto pop3 --tls implicit --mech PLAIN \
    --user "alice@$D" --password Alice-Right-1 --kind right --expect "pop3 Login ... TLS" \
    -- "${CURL[@]}" --interface 127.0.0.13 -u "alice@$D:Alice-Right-1" pop3s://127.0.0.1/
ext --src 127.0.0.14 --dst 127.0.0.1:110 --proto pop3 --tls starttls --mech PLAIN \
    --user "bob@$D" --password Bob-Wrong-9 --kind wrong --expect "auth failed, 1 attempts ... TLS" \
    -- "${CURL[@]}" --ssl-reqd --interface 127.0.0.14 -u "bob@$D:Bob-Wrong-9" pop3://127.0.0.1/
cli pop3 --src 127.0.0.15 --attempt "carol@$D:carol2023:wrong" --attempt "carol@$D:carol2024:wrong" \
    --note "2 wrong USER/PASS in one connection, then QUIT" \
    --expect "Aborted login by logging out (auth failed, 2 attempts ...)"
cli pop3 --src 127.0.0.16 --end close --attempt "admin:admin:unknown-user" \
    --note "bare user name: passwd-file unknown, then PAM unknown" --expect "unknown user (passwd-file and pam)"
cli pop3 --src 127.0.0.66 --attempt "frank@$D:Frank-Right-6:disallowed" \
    --note "USER is refused at once; PASS never sent" \
    --expect "pop3-login: Login failed: Plaintext authentication disabled; (auth failed, 1 attempts)"
cli pop3 --src 127.0.0.66 --mech plain --attempt "frank@$D:Frank-Right-6:disallowed" \
    --note "AUTH PLAIN with initial response: the password did cross the wire" \
    --expect "pop3-login: Disconnected: Aborted login by logging out (tried to use disallowed plaintext auth)"

echo "== Password spray: one password, many accounts, many sources"
SPRAY='Summer2024!'
cli pop3 --src 127.0.0.20 --attempt "alice@$D:$SPRAY:wrong" --note "spray" --expect "same SHA1 everywhere"
cli imap --src 127.0.0.21 --attempt "bob@$D:$SPRAY:wrong" --note "spray"
cli pop3 --src 127.0.0.22 --attempt "carol@$D:$SPRAY:wrong" --note "spray"
cli imap --src 127.0.0.23 --attempt "erin@$D:$SPRAY:wrong" --note "spray"
cli pop3 --src 127.0.0.24 --attempt "info@$D:$SPRAY:unknown-user" --note "spray, unknown account"
cli pop3 --src 127.0.0.24 --attempt "u07@$D:$SPRAY:wrong" --note "spray"

echo "== PAM system user"
cli imap --src 127.0.0.25 --attempt "$MW_SYSUSER:$MW_SYSPASS:right" --expect "Login user=<mwsys>"
cli imap --src 127.0.0.25 --attempt "$MW_SYSUSER:NotThePass:wrong" \
    --expect "pam(mwsys,...): pam_authenticate() failed"

echo "== Dovecot submission-login (1587) and ManageSieve (4190)"
cli smtp --src 127.0.0.26 --port 1587 --mech plain \
    --attempt "alice@$D:alice-typo:wrong" --attempt "alice@$D:Alice-Right-1:right" \
    --expect "submission-login: failure then Login"
cli sieve --src 127.0.0.27 --tls starttls --attempt "alice@$D:Alice-Right-1:right" \
    --expect "managesieve-login: Login ... TLS"
cli sieve --src 127.0.0.27 --attempt "bob@$D:Bob-Sieve-x:wrong" \
    --expect "managesieve-login: auth failed"

echo "== Postfix SMTP AUTH"
ext --src 127.0.0.30 --dst 127.0.0.1:587 --proto submission --tls none --mech PLAIN \
    --user "alice@$D" --password Alice-Bad-7 --kind wrong \
    --expect "postfix/submission/smtpd: SASL PLAIN authentication failed" \
    -- swaks_ 127.0.0.30 587 --auth PLAIN --auth-user "alice@$D" --auth-password Alice-Bad-7 --quit-after AUTH
ext --src 127.0.0.30 --dst 127.0.0.1:587 --proto submission --tls starttls --mech LOGIN \
    --user "alice@$D" --password Alice-Bad-8 --kind wrong \
    --expect "SASL LOGIN authentication failed ... after STARTTLS" \
    -- swaks_ 127.0.0.30 587 --tls --auth LOGIN --auth-user "alice@$D" --auth-password Alice-Bad-8 --quit-after AUTH
ext --src 127.0.0.34 --dst 127.0.0.1:587 --proto submission --tls none --mech LOGIN \
    --user "nosuch@$D" --password Nope-1 --kind unknown-user \
    --expect "SASL LOGIN authentication failed" \
    -- swaks_ 127.0.0.34 587 --auth LOGIN --auth-user "nosuch@$D" --auth-password Nope-1 --quit-after AUTH
ext --src 127.0.0.35 --dst 127.0.0.1:587 --proto submission --tls none --mech PLAIN \
    --user "dave@$D" --password "$SPRAY" --kind wrong --note "spray over SMTP AUTH" \
    -- swaks_ 127.0.0.35 587 --auth PLAIN --auth-user "dave@$D" --auth-password "$SPRAY" --quit-after AUTH
ext --src 127.0.0.33 --dst 127.0.0.1:25 --proto smtp --tls none --mech PLAIN \
    --user "dave@$D" --password Dave-Bad-3 --kind wrong --expect "postfix/smtpd: SASL PLAIN authentication failed on port 25" \
    -- swaks_ 127.0.0.33 25 --auth PLAIN --auth-user "dave@$D" --auth-password Dave-Bad-3 --quit-after AUTH
ext --src 127.0.0.31 --dst 127.0.0.1:587 --proto submission --tls none --mech LOGIN --action send \
    --user "bob@$D" --password Bob-Right-2 --kind right --rcpts 1 \
    --mail-from "bob@$D" --rcpt-to "carol@$D" \
    --expect "sasl_method=LOGIN, sasl_username=bob@$D; delivered to carol" \
    -- swaks_ 127.0.0.31 587 --auth LOGIN --auth-user "bob@$D" --auth-password Bob-Right-2 \
       --from "bob@$D" --to "carol@$D" --header "Subject: lunch?"
ext --src 127.0.0.33 --dst 127.0.0.1:25 --proto smtp --tls none --action send \
    --kind none --mail-from "someone@remote.test" --rcpt-to "nosuch@$D" --expect "NOQUEUE: reject: RCPT ... 550 5.1.1 User unknown in virtual mailbox table" \
    -- swaks_ 127.0.0.33 25 --from "someone@remote.test" --to "nosuch@$D"

echo "== Outbound burst: an authenticated user mails 30 recipients at once"
RCPTS=$(for i in $(seq -w 1 30); do printf 'u%s@%s,' "$i" "$D"; done)
RCPTS=${RCPTS%,}
ext --src 127.0.0.32 --dst 127.0.0.1:587 --proto submission --tls starttls --mech PLAIN --action send \
    --user "alice@$D" --password Alice-Right-1 --kind right --rcpts 30 \
    --mail-from "alice@$D" --rcpt-to "$RCPTS" \
    --note "Subject = the account's own name, body = one link" --expect "nrcpt=30, 30 x status=sent" \
    -- swaks_ 127.0.0.32 587 --tls --auth PLAIN --auth-user "alice@$D" --auth-password Alice-Right-1 \
       --from "alice@$D" --to "$RCPTS" --header "Subject: alice@$D" \
       --body "https://login-verify.example.invalid/alice"

echo "== Blocklisted / deferred / refused at the remote end"
ext --src 127.0.0.32 --dst 127.0.0.1:587 --proto submission --tls starttls --mech PLAIN --action send \
    --user "alice@$D" --password Alice-Right-1 --kind right --rcpts 1 \
    --mail-from "alice@$D" --rcpt-to "victim@blocked.test" \
    --expect "smtp: status=bounced (host 127.0.0.2 said: 554 5.7.1 ... blocked using zen.spamhaus.org)" \
    -- swaks_ 127.0.0.32 587 --tls --auth PLAIN --auth-user "alice@$D" --auth-password Alice-Right-1 \
       --from "alice@$D" --to "victim@blocked.test" --header "Subject: invoice"
ext --src 127.0.0.32 --dst 127.0.0.1:587 --proto submission --tls starttls --mech PLAIN --action send \
    --user "alice@$D" --password Alice-Right-1 --kind right --rcpts 1 \
    --mail-from "alice@$D" --rcpt-to "victim@tempfail.test" \
    --expect "smtp: status=deferred (host 127.0.0.2 said: 451 4.7.1 ... listed at bl.spamcop.net)" \
    -- swaks_ 127.0.0.32 587 --tls --auth PLAIN --auth-user "alice@$D" --auth-password Alice-Right-1 \
       --from "alice@$D" --to "victim@tempfail.test" --header "Subject: invoice"
ext --src 127.0.0.32 --dst 127.0.0.1:587 --proto submission --tls starttls --mech PLAIN --action send \
    --user "alice@$D" --password Alice-Right-1 --kind right --rcpts 1 \
    --mail-from "alice@$D" --rcpt-to "victim@closed.test" \
    --expect "smtp: connect to 127.0.0.4[127.0.0.4]:2526: Connection refused; status=deferred" \
    -- swaks_ 127.0.0.32 587 --tls --auth PLAIN --auth-user "alice@$D" --auth-password Alice-Right-1 \
       --from "alice@$D" --to "victim@closed.test" --header "Subject: invoice"

echo "== Local bounces (sendmail(1) -> pickup)"
MSG=$(printf 'Subject: to nobody\n\nhello\n')
ext --src local --dst sendmail --proto pickup --action send --rcpts 1 --kind none \
    --client sendmail --mail-from "alice@$D" --rcpt-to "nosuch@$D" \
    --expect "virtual domain, unknown mailbox: status=bounced (unknown user ...)" \
    -- sh -c "printf '%s\n' \"\$1\" | /usr/sbin/sendmail -f 'alice@$D' 'nosuch@$D'" _ "$MSG"
ext --src local --dst sendmail --proto pickup --action send --rcpts 1 --kind none \
    --client sendmail --mail-from "bob@$D" --rcpt-to "nosuchlocal@localhost" \
    --expect "local domain, no such system user: local status=bounced (unknown user: \"nosuchlocal\")" \
    -- sh -c "printf '%s\n' \"\$1\" | /usr/sbin/sendmail -f 'bob@$D' 'nosuchlocal@localhost'" _ "$MSG"

echo "== waiting for the queue to settle"
for i in $(seq 1 30); do
    # Deliveries done when only the deferred messages are left.
    active=$(find /var/spool/postfix/active /var/spool/postfix/incoming /var/spool/postfix/maildrop -type f 2>/dev/null | wc -l)
    [ "$active" -eq 0 ] && break
    sleep 1
done
sleep 2
mailq 2>/dev/null | tail -n +1 >"$WORK/mailq.txt" || true

echo "== stopping"
mw_stop
trap - EXIT

mkdir -p "$OUT"
cp "$MW_LOG/mail.log" "$OUT/debian12-mail.log"
cp "$MW_LOG/mail-classic.log" "$OUT/debian12-mail-classic.log"
[ -s "$MW_LOG/auth.log" ] && cp "$MW_LOG/auth.log" "$OUT/debian12-auth.log"
cp "$ACT" "$OUT/ACTIONS.jsonl"
"$PY" "$E2E/actions_md.py" "$OUT/ACTIONS.jsonl" "$WORK/mailq.txt" >"$OUT/ACTIONS.md"
rm -rf "$WORK"
"$E2E/check-fixtures.sh" "$OUT" || echo "WARNING: some expected log shapes are missing (see above)" >&2
echo "capture done in $(( $(date +%s) - T0 )) s: $OUT"
ls -l "$OUT"
