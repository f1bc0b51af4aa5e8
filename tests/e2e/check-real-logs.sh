#!/bin/bash
# check-real-logs.sh - end-to-end: install and run the real Debian Postfix and
# Dovecot on loopback, drive them with real clients (capture-fixtures.sh),
# then check (1) every expected log shape is there (check-fixtures.sh) and
# (2) mailward's events match what the clients did (match_actions.py), on a
# fresh capture, not the committed one. Needs root. About 2.5 minutes.
# Usage: check-real-logs.sh [MAILWARD]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
mw=${1:-$top/build/mailward}
out=$(mktemp -d /tmp/mailward-e2e.XXXXXX)
trap 'rm -rf "$out"' EXIT
"$here/capture-fixtures.sh" "$out"
"$here/check-fixtures.sh" "$out"
python3 "$here/match_actions.py" "$mw" "$out/debian12-mail.log" "$out/ACTIONS.jsonl"
python3 "$here/match_actions.py" "$mw" "$out/debian12-mail-classic.log" "$out/ACTIONS.jsonl"
