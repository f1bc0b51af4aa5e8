#!/bin/bash
# check-fixtures.sh [DIR] - check that a capture (default tests/fixtures/real)
# holds every log shape the scenario is meant to produce. Needs no root and
# no mail stack: it only greps the files. Prints "N passed, N failed".
set -uo pipefail
DIR=${1:-$(cd "$(dirname "$0")/../fixtures/real" && pwd)}
LOG=$DIR/debian12-mail.log
CLASSIC=$DIR/debian12-mail-classic.log
pass=0
fail=0

has() {   # has DESCRIPTION MIN_COUNT ERE [FILE]
    local desc=$1 min=$2 re=$3 file=${4:-$LOG} n
    n=$(grep -cE -- "$re" "$file" 2>/dev/null || true)
    if [ "${n:-0}" -ge "$min" ]; then
        pass=$((pass + 1))
    else
        fail=$((fail + 1))
        echo "MISSING ($n < $min): $desc   /$re/" >&2
    fi
}

RFC='^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}[+-][0-9]{2}:[0-9]{2} '
has "RFC 3339 timestamps on every line" "$(wc -l <"$LOG")" "$RFC"
has "classic timestamps on every line" "$(wc -l <"$LOG")" '^[A-Z][a-z]{2} [ 0-9][0-9] [0-9]{2}:[0-9]{2}:[0-9]{2} ' "$CLASSIC"
if [ "$(wc -l <"$LOG")" = "$(wc -l <"$CLASSIC")" ]; then pass=$((pass + 1)); else
    fail=$((fail + 1)); echo "MISSING: classic and RFC 3339 files differ in line count" >&2; fi

# Dovecot logins
has "imap Login from 127.0.0.1 marked secured" 1 'imap-login: Login: user=<[^>]+>, method=PLAIN, rip=127\.0\.0\.1, lip=127\.0\.0\.1, .*secured'
has "imap Login with TLS" 2 'imap-login: Login: .*rip=127\.0\.0\.(5|7), .*TLS'
has "imap Login in cleartext (no TLS/secured marker)" 1 'imap-login: Login: user=<bob@[^>]+>, method=PLAIN, rip=127\.0\.0\.6, lip=127\.0\.0\.1, mpid=[0-9]+, session='
has "pop3 Login secured / cleartext / TLS" 3 'pop3-login: Login: '
has "pop3 Login over TLS" 1 'pop3-login: Login: .*, TLS, '
has "submission-login Login" 1 'submission-login: Login: '
has "managesieve-login Login over TLS" 1 'managesieve-login: Login: .*TLS'
has "PAM user login" 1 'imap-login: Login: user=<mwsys>'
# Dovecot failures
has "passwd-file Password mismatch with SHA1" 10 'auth: passwd-file\([^)]*\): Password mismatch \(SHA1 of given password: [0-9a-f]{6}\)'
has "passwd-file unknown user" 3 'passwd-file\([^)]*\): unknown user \(SHA1 of given password: [0-9a-f]{6}\)'
has "spray: same SHA1 on 5+ accounts" 6 'SHA1 of given password: 7e8b0a'
has "pam_authenticate() failed" 2 'pam\([^)]*\): pam_authenticate\(\) failed'
has "auth failed, N>1 attempts" 2 '\(auth failed, [2-9] attempts in [0-9]+ secs\)'
has "auth failed with TLS" 1 '\(auth failed, 1 attempts in [0-9]+ secs\).*, TLS, '
has "Aborted login by logging out" 5 'Disconnected: Aborted login by logging out'
has "no auth attempts" 1 '\(no auth attempts in [0-9]+ secs\)'
has "client didn't finish SASL auth" 1 "client didn't finish SASL auth"
has "tried to use disallowed plaintext auth" 2 '\(tried to use disallowed plaintext auth\)'
has "Login failed: Plaintext authentication disabled" 2 'Login failed: Plaintext authentication disabled'
has "Postfix-side Dovecot auth line without session" 3 'auth: passwd-file\([^,]+,127\.0\.0\.[0-9]+\): '
# Postfix SMTP AUTH
has "submission SASL PLAIN failure" 2 'postfix/submission/smtpd\[[0-9]+\]: warning: [^ ]+\[127\.0\.0\.[0-9]+\]: SASL PLAIN authentication failed: .*sasl_username='
has "submission SASL LOGIN failure" 2 'postfix/submission/smtpd\[[0-9]+\]: warning: [^ ]+\[127\.0\.0\.[0-9]+\]: SASL LOGIN authentication failed'
has "port 25 SASL failure" 1 'postfix/smtpd\[[0-9]+\]: warning: [^ ]+\[127\.0\.0\.33\]: SASL PLAIN authentication failed'
has "sasl_method=LOGIN success" 1 'client=[^,]+, sasl_method=LOGIN, sasl_username=bob@'
has "sasl_method=PLAIN success" 1 'client=[^,]+, sasl_method=PLAIN, sasl_username=alice@'
has "TLS marker on smtpd" 3 'Anonymous TLS connection established from '
has "named client" 1 'connect from vps-32\.hosting\.example\.com\[127\.0\.0\.32\]'
# Deliveries and bounces
has "nrcpt=30" 1 'nrcpt=30 \(queue active\)'
has "30 virtual deliveries" 30 'postfix/virtual\[[0-9]+\]: [0-9A-F]+: to=<u[0-9]{2}@'
has "Subject logged by header_checks" 1 'info: header Subject: alice@mailward\.test from'
has "bounced: blocked using zen.spamhaus.org" 1 'status=bounced \(host 127\.0\.0\.2\[127\.0\.0\.2\] said: 554 5\.7\.1 .*blocked using zen\.spamhaus\.org'
has "deferred: listed at bl.spamcop.net" 1 'status=deferred \(host 127\.0\.0\.2\[127\.0\.0\.2\] said: 451 4\.7\.1 .*listed at bl\.spamcop\.net'
has "deferred: connection refused" 1 'status=deferred \(connect to 127\.0\.0\.4\[127\.0\.0\.4\]:2526: Connection refused\)'
has "bounced: unknown virtual user" 1 'postfix/virtual\[[0-9]+\]: .*status=bounced \(unknown user: '
has "bounced: unknown local user" 1 'postfix/local\[[0-9]+\]: .*status=bounced \(unknown user: "nosuchlocal"\)'
has "sender non-delivery notification" 2 'sender non-delivery notification: '
has "NOQUEUE reject unknown recipient" 1 'NOQUEUE: reject: RCPT from .*User unknown in virtual mailbox table'
has "pam_unix in auth.log" 1 'pam_unix\(dovecot:auth\): authentication failure' "$DIR/debian12-auth.log"

echo "check-fixtures: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
