#!/bin/bash
# bench/run-passwd.sh - guesses/s of 'mailward passwd audit' per scheme, with
# 1 and 2 threads, against a plain single-threaded loop over the same
# library call (bench/bench_crypt.c: crypt_rn, argon2_verify, or the SHA-512
# digest for SSHA512) run in the same session: the ratio audit/loop per core
# is what the audit's own overhead costs (target >= 0.9), and the 2-thread
# rate over the 1-thread rate shows how it scales.
#
#   bench/run-passwd.sh [--quick] [--no-results] [--note TEXT]
#
#   --quick        about 10x fewer guesses (a smoke test, a few seconds)
#   --no-results   print the table but do not touch bench/RESULTS.md
#
# Each audit run reads a passwd-file of accounts with random 16-character
# passwords (never guessed, so every guess is hashed) made by bench_crypt
# with fresh salts, and tries --top N entries of a synthetic list with
# --user-guesses 0; the rate is the guesses hashed over the wall time that
# the whole process takes (list loading, reading and parsing included). Builds
# build-bench/ (Release) and bench_crypt into bench/out/. The Markdown block
# goes at the end of bench/RESULTS.md between "run-passwd" markers,
# replacing only its own previous block.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
RESULTS=$ROOT/bench/RESULTS.md
OUT=$ROOT/bench/out/passwd
QUICK=0
RECORD=1
NOTE=""
while [ $# -gt 0 ]; do
    case "$1" in
    --quick) QUICK=1; shift ;;
    --no-results) RECORD=0; shift ;;
    --note) NOTE=$2; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "run-passwd: unknown argument '$1'" >&2; exit 2 ;;
    esac
done
mkdir -p "$OUT"
REPS=3
[ "$QUICK" = 1 ] && REPS=1
LOAD0=$(cut -d" " -f1-3 /proc/loadavg)
cmake -S "$ROOT" -B "$ROOT/build-bench" -DCMAKE_BUILD_TYPE=Release -DMW_TESTS=OFF >/dev/null
cmake --build "$ROOT/build-bench" -j"$(nproc)" --target mailward >/dev/null
MW=$ROOT/build-bench/mailward
cc -O2 -Wall -Wextra "$ROOT/bench/bench_crypt.c" -o "$OUT/bench_crypt" -lcrypt -largon2 -lcrypto
BC=$OUT/bench_crypt
# a list of distinct, never-matching guesses
[ -s "$OUT/list.txt" ] || seq -f 'benchguess%.0f' 1 200000 >"$OUT/list.txt"

# scheme accounts guesses-per-account (full run; --quick divides the guesses by 10)
cases=(
    "SHA512-CRYPT 8 400"
    "SHA256-CRYPT 8 500"
    "BLF-CRYPT 8 300"
    "MD5-CRYPT 8 4000"
    "ARGON2ID 4 6"
    "SSHA512 64 100000"   # 6.4M guesses: enough to amortize start-up and the list index
)
# measure OUT CMD...: best wall-clock run of $REPS, "wall user+sys" into OUT
measure() {
    local out=$1 best="" i; shift
    for i in $(seq "$REPS"); do
        /usr/bin/time -f '%e %U %S' -o "$OUT/time" "$@" >/dev/null 2>&1 || true
        local t; t=$(tail -1 "$OUT/time" | awk '{printf "%s %.3f", $1, $2 + $3}')
        if [ -z "$best" ] || awk -v a="${t%% *}" -v b="${best%% *}" 'BEGIN{exit !(a < b)}'; then best=$t; fi
    done
    echo "$best" >"$out"
}
rows=""
for c in "${cases[@]}"; do
    read -r scheme accounts top <<<"$c"
    if [ "$QUICK" = 1 ]; then top=$(( top / 10 > 2 ? top / 10 : 2 )); fi
    file=$OUT/$scheme.passwd
    "$BC" gen "$scheme" "$accounts" bench >"$file"
    g=$((accounts * top))
    measure "$OUT/loop" "$BC" loop "$scheme" "$g"
    for t in 1 2; do
        measure "$OUT/a$t" "$MW" passwd audit --list "$OUT/list.txt" --top "$top" --user-guesses 0 \
            --threads "$t" --no-progress "$file"
    done
    read -r lw lc <"$OUT/loop"
    read -r w1 c1 <"$OUT/a1"
    read -r w2 c2 <"$OUT/a2"
    row=$(awk -v g="$g" -v lw="$lw" -v lc="$lc" -v w1="$w1" -v c1="$c1" -v w2="$w2" -v c2="$c2" 'BEGIN{
        if (lw <= 0) lw = 0.001; if (w1 <= 0) w1 = 0.001; if (w2 <= 0) w2 = 0.001
        if (lc <= 0) lc = 0.001; if (c1 <= 0) c1 = 0.001; if (c2 <= 0) c2 = 0.001
        printf "%.0f | %.0f | %.2f | %.0f | %.2f | %.2fx | %.2f / %.2f",
            g/lw, g/w1, (g/w1)/(g/lw), g/w2, (g/w2)/(2*g/lw), w1/w2, (g/c1)/(g/lc), (g/c2)/(g/lc) }')
    line="| $scheme | $accounts x $top | $row |"
    echo "$line"
    rows="$rows$line"$'\n'
done

cpu=$(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')
mem=$(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo)
rev=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')
mode=$([ "$QUICK" = 1 ] && echo " --quick" || echo "")
block="<!-- run-passwd$mode -->
### \`mailward passwd audit\` guesses/s ($(date -u +%Y-%m-%dT%H:%MZ))

Command: \`bench/run-passwd.sh$mode\` (mailward $rev, Release build). Machine: $(nproc) CPUs, $cpu, $mem.
${NOTE:+Note: $NOTE
}
Each audit run: \`mailward passwd audit --list LIST --top N --user-guesses 0 --threads T --no-progress FILE\` on
accounts with random passwords (every guess hashed). Reference: \`bench/bench_crypt loop SCHEME G\`, one
thread calling crypt_rn / argon2_verify / EVP_Digest(SHA-512) G times in a plain loop, same session.
Hashing parameters: Dovecot's defaults (SHA-crypt 5000 rounds, BLF-CRYPT cost 5, ARGON2ID t=2 m=64 MiB p=1).
Rates are guesses over wall-clock time (whole process, best of $REPS runs, interleaved); the last column divides
by user+system CPU time instead, which other load on the machine does not inflate. Load average at the
start: $LOAD0; at the end: $(cut -d' ' -f1-3 /proc/loadavg).

| scheme | accounts x guesses | loop, 1 thread (/s) | audit 1 thread (/s) | ratio | audit 2 threads (/s) | ratio per core | 2 vs 1 thread | guesses per CPU-second, audit/loop (1 / 2 threads) |
|---|---|---|---|---|---|---|---|---|
$rows<!-- /run-passwd$mode -->"
echo
echo "$block"
if [ "$RECORD" = 1 ]; then
    python3 - "$RESULTS" "$block" "$mode" <<'PY'
import re, sys
path, block, mode = sys.argv[1], sys.argv[2], sys.argv[3]
text = open(path).read()
pat = re.compile(r"<!-- run-passwd%s -->.*?<!-- /run-passwd%s -->\n?" % (re.escape(mode), re.escape(mode)), re.S)
if pat.search(text):
    text = pat.sub(lambda m: block + "\n", text)
else:
    text = text.rstrip("\n") + "\n\n" + block + "\n"
open(path, "w").write(text)
PY
    echo "run-passwd: results in $RESULTS"
fi
