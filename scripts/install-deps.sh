#!/bin/bash
# install-deps.sh - install mailward's build and test dependencies from
# Debian 12 packages (by name). Needs root. Safe to run again.
set -euo pipefail
pkgs=(build-essential cmake pkg-config zlib1g-dev libcmocka-dev
      clang libclang-rt-14-dev python3 gzip time util-linux libmaxminddb-dev
      libzxcvbn-dev libargon2-dev libcrypt-dev john-data cracklib-runtime
      libevent-dev libjansson-dev libsqlite3-dev sqlite3 libmilter-dev
      libcurl4-openssl-dev wrk nftables
      libssl-dev openssl)
missing=()
for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "install-deps: need root to install: ${missing[*]}" >&2
        exit 1
    fi
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
