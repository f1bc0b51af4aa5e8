#!/bin/bash
# fetch-geodata.sh - fetch the public ASN and country data and compile the
# table that 'mailward asn' and the detection engine read.
#
# Data: the npm packages @ip-location-db/asn (asn-ipv4.csv, asn-ipv6.csv:
# range_start,range_end,asn,organisation; CC BY 4.0, RouteViews + DB-IP +
# NRO) and @ip-location-db/geo-whois-asn-country-mmdb (country per network,
# MaxMind DB format; CC BY 4.0 / NRO), fetched with 'npm pack' into
# data/npm/ (git-ignored; nothing of the data is committed), then compiled by
# 'mailward asn build' into data/asn.mwdb.
#
# Idempotent: a package is downloaded only when the registry has another
# version than the cached one, and the table is rebuilt only when its
# recorded source differs (or it is missing or unreadable, or --force).
# Without network the cached copy is used. Installs its Debian packages
# (nodejs npm libmaxminddb-dev) when missing (needs root then).
#
# Usage: scripts/fetch-geodata.sh [--out FILE] [--data-dir DIR]
#                                 [--mailward BIN] [--force] [--offline]
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
data=$top/data
out=""
mw=${MAILWARD:-}
force=0
offline=0
while [ $# -gt 0 ]; do
    case "$1" in
    --out) out=$2; shift 2 ;;
    --data-dir) data=$2; shift 2 ;;
    --mailward) mw=$2; shift 2 ;;
    --force) force=1; shift ;;
    --offline) offline=1; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "fetch-geodata: unknown argument '$1' (see --help)" >&2; exit 2 ;;
    esac
done
out=${out:-$data/asn.mwdb}
say() { echo "fetch-geodata: $*"; }

# --- Debian packages, by name, only when missing
missing=()
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)
dpkg-query -W -f='${Status}' libmaxminddb-dev 2>/dev/null | grep -q "install ok installed" ||
    missing+=(libmaxminddb-dev)
if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "fetch-geodata: need root to install: ${missing[*]}" >&2
        exit 1
    fi
    say "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# --- the packages
mkdir -p "$data/npm"
# fetch PKG DIR: make $data/npm/DIR hold the newest version of PKG
fetch() {
    local pkg=$1 dir=$data/npm/$2 want="" have=""
    have=$(cat "$dir/VERSION" 2>/dev/null || true)
    if [ "$offline" = 0 ]; then
        want=$(npm view --silent "$pkg" version 2>/dev/null || true)
    fi
    if [ -z "$want" ]; then
        if [ -z "$have" ]; then
            echo "fetch-geodata: cannot reach the npm registry for $pkg and there is no cached copy" >&2
            exit 1
        fi
        say "$pkg: registry not asked or not reachable; using the cached $have"
        return
    fi
    if [ "$want" = "$have" ] && [ "$force" = 0 ]; then
        say "$pkg@$have: up to date"
        return
    fi
    local tmp
    tmp=$(mktemp -d "$data/npm/.fetch.XXXXXX")
    say "$pkg: fetching $want${have:+ (had $have)}"
    local tgz
    tgz=$(cd "$tmp" && npm pack --silent "$pkg@$want" 2>/dev/null | tail -1)
    if [ -z "$tgz" ] || [ ! -f "$tmp/$tgz" ]; then
        rm -rf "$tmp"
        echo "fetch-geodata: npm pack $pkg@$want failed" >&2
        exit 1
    fi
    mkdir "$tmp/x"
    tar -xzf "$tmp/$tgz" -C "$tmp/x"
    echo "$want" >"$tmp/x/package/VERSION"
    # not read: numeric-range CSVs and the per-family MMDBs (about 40 MB)
    rm -f "$tmp"/x/package/*-num.csv "$tmp"/x/package/*-ipv4.mmdb "$tmp"/x/package/*-ipv6.mmdb
    rm -rf "$dir"
    mv "$tmp/x/package" "$dir"
    rm -rf "$tmp"
}
fetch @ip-location-db/asn asn
fetch @ip-location-db/geo-whois-asn-country-mmdb geo-whois-asn-country-mmdb
v_asn=$(cat "$data/npm/asn/VERSION")
v_cc=$(cat "$data/npm/geo-whois-asn-country-mmdb/VERSION")
csv4=$data/npm/asn/asn-ipv4.csv
csv6=$data/npm/asn/asn-ipv6.csv
mmdb=$data/npm/geo-whois-asn-country-mmdb/geo-whois-asn-country.mmdb
for f in "$csv4" "$csv6" "$mmdb"; do
    [ -s "$f" ] || { echo "fetch-geodata: $f missing from the package" >&2; exit 1; }
done
source="@ip-location-db/asn@$v_asn + @ip-location-db/geo-whois-asn-country-mmdb@$v_cc"
# the package version ends in the data's date and hour: 2.3.2026061719
stamp=${v_asn##*.}
date=""
if [[ $stamp =~ ^([0-9]{4})([0-9]{2})([0-9]{2})([0-9]{2})$ ]]; then
    date="${BASH_REMATCH[1]}-${BASH_REMATCH[2]}-${BASH_REMATCH[3]}T${BASH_REMATCH[4]}"
fi

# --- the compiler
if [ -z "$mw" ]; then
    mw=$top/build/mailward
    if [ ! -f "$top/build/CMakeCache.txt" ]; then
        say "building mailward in $top/build"
        cmake -S "$top" -B "$top/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
    fi
    cmake --build "$top/build" -j"$(nproc)" --target mailward >/dev/null
fi
[ -x "$mw" ] || { echo "fetch-geodata: no mailward binary at $mw" >&2; exit 1; }

# --- the table
have_source=""
if [ -f "$out" ]; then
    have_source=$("$mw" asn --db "$out" --info --json 2>/dev/null |
                  python3 -c 'import json,sys; print(json.load(sys.stdin)["source"])' 2>/dev/null || true)
fi
if [ "$have_source" = "$source" ] && [ "$force" = 0 ]; then
    say "$out: up to date"
else
    mkdir -p "$(dirname "$out")"
    say "compiling $out"
    rc=0
    "$mw" asn build --out "$out" --country-mmdb "$mmdb" --source "$source" \
        ${date:+--date "$date"} "$csv4" "$csv6" || rc=$?
    # 1 = written, but some rows were skipped (reported above)
    if [ $rc -ne 0 ] && { [ $rc -ne 1 ] || [ ! -f "$out" ]; }; then
        echo "fetch-geodata: compiling failed" >&2
        exit 1
    fi
fi

size() { du -h "$1" | cut -f1; }
say "data: @ip-location-db/asn@$v_asn (asn-ipv4.csv $(size "$csv4"), asn-ipv6.csv $(size "$csv6")),"
say "      @ip-location-db/geo-whois-asn-country-mmdb@$v_cc (geo-whois-asn-country.mmdb $(size "$mmdb"))"
say "table: $out ($(size "$out"))"
"$mw" asn --db "$out" --info | sed 's/^/    /'
say "check: $mw asn --db $out 8.8.8.8 2001:4860:4860::8888"
