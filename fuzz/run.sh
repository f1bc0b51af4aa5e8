#!/bin/bash
# fuzz/run.sh - build the libFuzzer targets with clang + ASan + UBSan and run
# each for a bounded time. Seeds: every fixture log line (tests/fixtures).
# Usage: fuzz/run.sh [SECONDS_PER_TARGET]   (default 60; CI uses about 60)
# A crash leaves fuzz/crash-* and makes this script exit non-zero.
set -euo pipefail
secs=${1:-60}
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
build=$top/build-fuzz
cmake -S "$top" -B "$build" -DCMAKE_C_COMPILER=clang -DMW_FUZZ=ON -DMW_TESTS=OFF \
      -DMW_SANITIZE=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j"$(nproc)" --target fuzz_line >/dev/null

corpus=$top/fuzz/corpus-run/line
mkdir -p "$corpus"
# seed: each fixture line as its own input, prefixed by a format byte
i=0
while IFS= read -r -d '' f; do
    case "$f" in *.gz) continue ;; esac
    while IFS= read -r line; do
        i=$((i + 1))
        printf '%s%s\n' "$(printf "\\x$(printf %02x $((i % 10)))")" "$line" >"$corpus/seed-$i"
    done <"$f"
done < <(find "$top/tests/fixtures" -type f \( -name '*.log' -o -name '*.txt' \) -print0)
echo "fuzz_line: $i seed lines, running ${secs}s"
cd "$top/fuzz"
"$build/fuzz/fuzz_line" -max_total_time="$secs" -max_len=4096 -timeout=10 \
    -rss_limit_mb=2048 -print_final_stats=1 "$corpus" 2>&1 | tail -15
