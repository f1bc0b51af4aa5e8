#!/bin/bash
# bench/run-asn.sh - benchmark of the ASN table: size, open (load) time and
# lookups/s of random addresses on one core, with libmaxminddb's country
# lookup on the same addresses for comparison.
#
#   bench/run-asn.sh [--db FILE] [--lookups N] [--note TEXT] [--no-results]
#
#   --db FILE      the table (default $MAILWARD_ASN_DB, else data/asn.mwdb)
#   --lookups N    lookups per measurement (default 50,000,000; best of 3)
#   --note TEXT    a remark printed with the results
#   --no-results   print the results but do not touch bench/RESULTS.md
#
# Needs the real data: without a table it says so and exits 0 (run
# scripts/fetch-geodata.sh first). Compiles bench/bench_asn.c with the table
# code (-O2) into a temporary directory, runs it pinned to CPU 0 (taskset,
# when present), prints a Markdown block and puts it into bench/RESULTS.md
# under "## ASN lookup", replacing only its own previous block.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
RESULTS=$ROOT/bench/RESULTS.md
DB=${MAILWARD_ASN_DB:-$ROOT/data/asn.mwdb}
MMDB=$ROOT/data/npm/geo-whois-asn-country-mmdb/geo-whois-asn-country.mmdb
LOOKUPS=50000000
NOTE=""
RECORD=1
while [ $# -gt 0 ]; do
    case "$1" in
    --db) DB=$2; shift 2 ;;
    --lookups) LOOKUPS=$2; shift 2 ;;
    --note) NOTE=$2; shift 2 ;;
    --no-results) RECORD=0; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "run-asn: unknown argument '$1'" >&2; exit 2 ;;
    esac
done
if [ ! -f "$DB" ]; then
    echo "run-asn: no ASN table at $DB; run scripts/fetch-geodata.sh first (benchmark skipped)"
    exit 0
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cc -O2 -g -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
   -Wmissing-prototypes -o "$tmp/bench_asn" "$ROOT/bench/bench_asn.c" \
   "$ROOT/src/enrich/asn_table.c" "$ROOT/src/util/ipaddr.c" "$ROOT/src/util/xalloc.c" \
   -lz -lmaxminddb
pin=()
command -v taskset >/dev/null 2>&1 && pin=(taskset -c 0)
mmdb_arg=()
[ -f "$MMDB" ] && mmdb_arg=(--mmdb "$MMDB")
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
rows=$("${pin[@]}" "$tmp/bench_asn" "$DB" "${mmdb_arg[@]}" --lookups "$LOOKUPS")
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
mem=$(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)
os=$(. /etc/os-release && echo "$PRETTY_NAME")
rev=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)

block=$(cat <<EOF
<!-- run-asn -->
## ASN lookup

Produced by \`bench/run-asn.sh\` ($(date -u +%Y-%m-%dT%H:%MZ), mailward $rev plus working tree; bench/bench_asn.c built with -O2), on the table \`scripts/fetch-geodata.sh\` builds from the public npm data.

Machine: $(nproc) CPUs, $cpu, $mem RAM, $os; load average before $load_before, after $load_after.
${NOTE:+
**Note:** $NOTE
}
| measurement | result |
|---|---|
$rows

Addresses come from a fixed xorshift sequence (1,048,576 of each kind, cycled), so runs compare. Each lookup returns ASN, organisation, country and the range; the table is checked in full when opened (bounds, checksum, order), which is most of the open time. The countries are merged into the table at build time rather than looked up in the MMDB at run time: one search instead of two, and the MMDB search alone is slower than the whole table lookup.
<!-- /run-asn -->
EOF
)
echo "$block"
if [ "$RECORD" = 1 ]; then
    BLOCK=$block python3 - "$RESULTS" <<'PY'
import os, re, sys
path = sys.argv[1]
block = os.environ["BLOCK"].rstrip("\n") + "\n"
text = open(path, encoding="utf-8").read() if os.path.exists(path) else "# Benchmark results\n"
pat = re.compile(r"<!-- run-asn -->.*?<!-- /run-asn -->\n?", re.S)
if pat.search(text):
    text = pat.sub(lambda m: block, text, count=1)
else:
    text = text.rstrip("\n") + "\n\n" + block
tmp = path + ".tmp-asn"
open(tmp, "w", encoding="utf-8").write(text)
os.replace(tmp, path)
PY
    echo "run-asn: results recorded in bench/RESULTS.md (## ASN lookup)"
fi
