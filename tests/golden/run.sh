#!/bin/sh
# golden - run `mailward events --json` on every fixture listed in
# tests/golden/cases.txt and compare with the reviewed expected output.
# Usage: run.sh MAILWARD GOLDEN_DIR [--update]
# cases.txt lines: NAME  FIXTURE_PATH(relative to tests/)  [analyze] [extra args...]
# ("analyze" first runs `mailward analyze --json` instead of `events --json`)
set -u
mw=$1
dir=$2
update=${3:-}
tests=$(cd "$dir/.." && pwd)
fail=0
count=0
while read -r name fixture args; do
    case "$name" in ''|'#'*) continue ;; esac
    count=$((count + 1))
    exp="$dir/expected/$name.jsonl"
    got=$(mktemp)
    cmd=events
    case "$args" in analyze*) cmd=analyze; args=${args#analyze} ;; esac
    # shellcheck disable=SC2086
    (cd "$tests" && "$mw" $cmd --json $args "$fixture") >"$got" 2>"$got.err"
    rc=$?
    if [ "$update" = "--update" ]; then
        cp "$got" "$exp"
        echo "updated $name ($(wc -l <"$exp") events, exit $rc)"
    elif ! diff -u "$exp" "$got" >"$got.diff" 2>&1; then
        echo "FAIL $name: output differs from $exp"
        head -40 "$got.diff"
        fail=$((fail + 1))
    elif [ $rc -ne 0 ]; then
        echo "FAIL $name: exit $rc"
        cat "$got.err"
        fail=$((fail + 1))
    else
        echo "ok   $name ($(wc -l <"$exp") events)"
    fi
    rm -f "$got" "$got.err" "$got.diff"
done <"$dir/cases.txt"
echo "golden: $((count - fail)) passed, $fail failed"
[ "$fail" -eq 0 ] && [ "$count" -gt 0 ]
