#!/bin/bash
# sim - detection floors on simulated logs: tools/mailsim writes logs with
# attacks and benign traps plus the truth, mailward analyze finds what it
# can, tools/score compares. Several seeds and sizes; floors from issue 4:
# every campaign found, >= 98% of spraying addresses named, every
# compromised account flagged, its spam flagged, no legitimate address,
# account or sender named, no benign trap named, every cleartext login's
# account reported.
# Usage: run.sh MAILWARD TOOLS_DIR
set -u
mw=$1
tools=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0
fail=0
# cleartext_auth: every account that logged in with its password in clear
# (the truth's cleartext_logins: POP3/IMAP without TLS, SMTP AUTH without
# STARTTLS, not the webmail on loopback) is reported, and no other
clear_ok="s['cleartext_users'] > 0 and s['cleartext_reported'] == s['cleartext_users'] and not s['cleartext_wrong']"
check() { if python3 -c "import json,sys; s=json.load(open('$tmp/score.json')); sys.exit(0 if ($2) else 1)"; then
    pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL $1: $(cat "$tmp/score.json")"; fi; }
# simulate [--asn] MAILSIM_ARGS...: write the log and truth, analyze it
# (with --asn: with the simulated ASN table, else with none) and score it
# into $tmp/score.json; 1 (counted as a failure) if a step fails
simulate() {
    local asn="$tmp/none"
    if [ "$1" = --asn ]; then
        shift
        asn="$tmp/asn.mwdb"
        set -- "$@" --asn-csv "$tmp/asn.csv"
    fi
    "$tools/mailsim" "$@" --out "$tmp/log" --truth "$tmp/truth.json" || { fail=$((fail + 1)); echo "FAIL mailsim $*"; return 1; }
    if [ "$asn" != "$tmp/none" ]; then
        "$mw" asn build --keep-special --out "$asn" "$tmp/asn.csv" >/dev/null 2>&1 ||
            { fail=$((fail + 1)); echo "FAIL asn build"; return 1; }
    fi
    "$mw" analyze --json --no-progress --asn-db "$asn" "$tmp/log" >"$tmp/findings" 2>/dev/null ||
        { fail=$((fail + 1)); echo "FAIL analyze exit ($*)"; return 1; }
    "$tools/score" --truth "$tmp/truth.json" --json "$tmp/findings" >"$tmp/score.json"
}
# no address, account, sender or benign trap named that is not an attacker's
innocent_left_alone() {
    check "$1 no legitimate address named" "s['legit_ips_named'] == 0"
    check "$1 no legitimate account flagged" "not s['legit_accounts_flagged']"
    check "$1 no legitimate sender flagged" "not s['legit_senders_flagged']"
    check "$1 no benign trap named" "not s['traps_named']"
}
for spec in "300 2 7" "500 2 11" "200 3 23"; do
    set -- $spec
    users=$1 days=$2 seed=$3
    "$tools/mailsim" --users "$users" --days "$days" --seed "$seed" --out "$tmp/log" --truth "$tmp/truth.json"
    "$mw" analyze --json "$tmp/log" >"$tmp/findings" || { fail=$((fail + 1)); echo "FAIL analyze exit"; continue; }
    "$tools/score" --truth "$tmp/truth.json" --json "$tmp/findings" >"$tmp/score.json"
    tag="users=$users days=$days seed=$seed"
    check "$tag brute force found" "s['kinds']['brute_force']['found'] == s['kinds']['brute_force']['campaigns']"
    check "$tag spray found" "s['kinds']['password_spray']['found'] == s['kinds']['password_spray']['campaigns']"
    check "$tag spray recall >= 98%" "s['kinds']['password_spray']['recall'] >= 0.98"
    check "$tag no legitimate address named" "s['legit_ips_named'] == 0"
    check "$tag every compromised account flagged" "s['compromised_flagged'] == s['compromised']"
    check "$tag flagged within a minute" "all(v <= 1.0 for v in s['minutes_to_flag'].values())"
    check "$tag no legitimate account flagged" "not s['legit_accounts_flagged']"
    check "$tag no benign trap named" "not s['traps_named']"
    check "$tag outbound spam flagged" "s['spam_flagged'] == s['spam_accounts']"
    check "$tag spam flagged within 5 minutes of its start" "all(v <= 5.0 for v in s['spam_minutes_to_flag'].values())"
    check "$tag no legitimate sender flagged" "not s['legit_senders_flagged']"
    check "$tag every cleartext login's account reported" "$clear_ok"
    echo "ok   $tag: $(python3 -c "import json; s=json.load(open('$tmp/score.json')); print('spray %d/%d, takeover %d/%d, cleartext %d/%d' % (s['kinds']['password_spray']['ips_named'], s['kinds']['password_spray']['ips'], s['compromised_flagged'], s['compromised'], s['cleartext_reported'], s['cleartext_users']))")"
done
# credential stuffing (issue 4) among every legitimate trap: a small, fast
# 'full' profile (400 users, 2 days, 300 proxy addresses, most trying one or
# two leaked pairs, IPv6 proxies each in their own /64). Floors: the
# campaign found, >= 98% of its addresses named as stuffing, spray recall
# >= 98%, no legitimate address, account or sender named, no trap named,
# >= 95% of spam recipients stopped, every compromised account flagged but
# at most one (a proxy that logs in on its one try, from inside the users'
# own /16, and never again, is not told from a user's new address).
for seed in 7 23; do
    simulate --profile full --users 400 --days 2 --seed "$seed" --stuffing-ips 300 || continue
    tag="full users=400 seed=$seed"
    check "$tag stuffing found" "s['kinds']['credential_stuffing']['found'] == 1"
    check "$tag stuffing recall >= 98%" "s['kinds']['credential_stuffing']['recall'] >= 0.98"
    check "$tag spray recall >= 98%" "s['kinds']['password_spray']['recall'] >= 0.98"
    check "$tag brute force found" "s['kinds']['brute_force']['found'] == 1"
    innocent_left_alone "$tag"
    check "$tag compromised accounts flagged (all but one at most)" "s['compromised_flagged'] >= s['compromised'] - 1"
    check "$tag spam recipients stopped >= 95%" "s['spam_stopped_fraction'] >= 0.95"
    check "$tag every cleartext login's account reported" "$clear_ok"
    echo "ok   $tag: $(python3 -c "import json; s=json.load(open('$tmp/score.json')); k=s['kinds']['credential_stuffing']; print('stuffing %d/%d, takeover %d/%d, spam stopped %.1f%%, cleartext %d/%d' % (k['ips_named'], k['ips'], s['compromised_flagged'], s['compromised'], 100 * s['spam_stopped_fraction'], s['cleartext_reported'], s['cleartext_users']))")"
done
# the slow campaign (lowslow: 300 proxy addresses over 30 hours, each trying
# one or two pairs, a spray of 150 addresses at 0.12 logins an hour) on 400
# users, without an ASN table (the proxies' /16s are the users' own): the
# stuffing, false-accusation and cleartext floors (a campaign network is
# recognised from the addresses it named since it began, not only in the
# last 3 hours), and every spray takeover flagged: in seed 23 the spray's
# takeover is that address's first attempt, 14 hours before the address
# fails with the spray's password, and is flagged (late) when the spray
# names the address (its spam, sent in between, is not stopped). Not
# asserted: the stuffing takeovers (one from inside the users' /16 is
# missed in each seed).
for seed in 7 23; do
    simulate --profile lowslow --users 400 --days 2 --seed "$seed" || continue
    tag="lowslow users=400 seed=$seed"
    check "$tag stuffing found" "s['kinds']['credential_stuffing']['found'] == 1"
    check "$tag stuffing recall >= 98%" "s['kinds']['credential_stuffing']['recall'] >= 0.98"
    check "$tag spray recall >= 98%" "s['kinds']['password_spray']['recall'] >= 0.98"
    innocent_left_alone "$tag"
    check "$tag every cleartext login's account reported" "$clear_ok"
    check "$tag every spray takeover flagged" "all(v['flagged'] == v['takeovers'] for k, v in s['takeovers_by_campaign'].items() if k == 'password_spray')"
    echo "ok   $tag: $(python3 -c "import json; s=json.load(open('$tmp/score.json')); k=s['kinds']['credential_stuffing']; print('stuffing %d/%d, takeover %d/%d, cleartext %d/%d' % (k['ips_named'], k['ips'], s['compromised_flagged'], s['compromised'], s['cleartext_reported'], s['cleartext_users']))")"
done
# proxies inside the users' own ISPs (residential: 300 proxy addresses in the
# users' /16s and IPv6 /33, sharing /24s with real users), 400 users: one
# stuffed account mails a slow drip (1-2 recipients a message, each at its
# own domain) from two more addresses of that kind, a few hours after its
# takeover login, which is from inside the users' own networks and not
# recognised at the login. Floors: no legitimate address, account or sender
# named, and >= 95% of every spam campaign's recipients stopped, the drip
# included (it is caught as a takeover: logins from addresses new to the
# account, then 12 domains it never mailed, within the hour).
for seed in 5 23; do
    simulate --profile residential --users 400 --days 2 --seed "$seed" --stuffing-ips 300 || continue
    tag="residential users=400 seed=$seed"
    check "$tag stuffing recall >= 98%" "s['kinds']['credential_stuffing']['recall'] >= 0.98"
    check "$tag spray recall >= 98%" "s['kinds']['password_spray']['recall'] >= 0.98"
    innocent_left_alone "$tag"
    check "$tag every spam campaign >= 95% stopped (the drip too)" "s['spam_accounts'] == 2 and s['spam_stopped_min'] >= 0.95"
    echo "ok   $tag: $(python3 -c "import json; s=json.load(open('$tmp/score.json')); k=s['kinds']['credential_stuffing']; print('stuffing %d/%d, takeover %d/%d, least-stopped spam campaign %.1f%%' % (k['ips_named'], k['ips'], s['compromised_flagged'], s['compromised'], 100 * s['spam_stopped_min']))")"
done
# a Dovecot without auth_verbose_passwords (--no-fingerprints): no failure
# carries a password fingerprint, so the spray is seen only through its
# networks; its 300 addresses sit one or two a /24 in hosting and proxy
# ASNs. With the simulated ASN table (mailsim --asn-csv, mailward asn build)
# the ASN rule names >= 98% of them (without it: 33-41%); no legitimate
# address, account or sender named (a stale-password phone fails on one
# account again and again: not a stuffer), and the stuffing addresses still
# named by some attack finding (without fingerprints a proxy trying two
# existing accounts is a spray's as much as a stuffer's).
for seed in 7 23; do
    simulate --asn --profile full --users 400 --days 2 --seed "$seed" --stuffing-ips 300 --no-fingerprints || continue
    tag="no-fingerprints full users=400 seed=$seed (ASN table)"
    check "$tag spray recall >= 98%" "s['kinds']['password_spray']['recall'] >= 0.98"
    check "$tag stuffing addresses named by some attack finding >= 98%" "s['kinds']['credential_stuffing']['recall_any'] >= 0.98"
    innocent_left_alone "$tag"
    check "$tag spam recipients stopped >= 95%" "s['spam_stopped_fraction'] >= 0.95"
    echo "ok   $tag: $(python3 -c "import json; s=json.load(open('$tmp/score.json')); k=s['kinds']['password_spray']; print('spray %d/%d, takeover %d/%d' % (k['ips_named'], k['ips'], s['compromised_flagged'], s['compromised']))")"
done
echo "sim: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
