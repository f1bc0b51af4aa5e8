#!/bin/bash
# run-serve.sh - load tools for mailward serve's two listeners, and the
# reference servers to compare it with (bench/RESULTS.md, "serve: reference
# servers"). Not part of CI.
#
#   bench/run-serve.sh --reference
#       nginx (bench/nginx-fixed.conf, 1 worker) and bench/policy_fixed.c
#       pinned to CPU 0, wrk (bench/wrk-dovecot.lua) and bench/policy_load.c
#       pinned to CPU 1; prints both results
#   bench/run-serve.sh --dovecot http://127.0.0.1:8427/ --postfix 127.0.0.1:8428
#       the same load against servers started by the caller (e.g.
#       `taskset -c 0 build/mailward serve ...`); either option alone is fine
#
# Options: --seconds N (20) --conns N (64; wrk and policy_load each)
#          --mix FILE (tests/fixtures/policy/postfix-requests.txt)
#          --client-cpu N (1) --server-cpu N (0)
# Needs: wrk, nginx-light (for --reference), cc. Installs them with apt-get
# when missing and run as root.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
secs=20 conns=64 mix=$top/tests/fixtures/policy/postfix-requests.txt
client_cpu=1 server_cpu=0 reference=0 dovecot_url="" postfix_addr=""
while [ $# -gt 0 ]; do
    case $1 in
        --reference) reference=1 ;;
        --dovecot) dovecot_url=$2; shift ;;
        --postfix) postfix_addr=$2; shift ;;
        --seconds) secs=$2; shift ;;
        --conns) conns=$2; shift ;;
        --mix) mix=$2; shift ;;
        --client-cpu) client_cpu=$2; shift ;;
        --server-cpu) server_cpu=$2; shift ;;
        *) echo "usage: $0 --reference | [--dovecot URL] [--postfix HOST:PORT|unix:PATH] [options]" >&2; exit 2 ;;
    esac
    shift
done
[ "$reference" = 1 ] || [ -n "$dovecot_url$postfix_addr" ] || { echo "nothing to do (see --help in the header)" >&2; exit 2; }

need=()
command -v wrk >/dev/null || need+=(wrk)
command -v cc >/dev/null || need+=(build-essential)
[ "$reference" = 1 ] && ! command -v nginx >/dev/null && need+=(nginx-light)
if [ ${#need[@]} -gt 0 ]; then
    [ "$(id -u)" -eq 0 ] || { echo "missing: ${need[*]} (run as root to install)" >&2; exit 1; }
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need[@]}" >/dev/null
fi

bin=$top/build/bench-serve
mkdir -p "$bin"
for t in policy_load policy_fixed; do
    if [ ! -x "$bin/$t" ] || [ "$here/$t.c" -nt "$bin/$t" ]; then
        cc -O2 -Wall -Wextra -o "$bin/$t" "$here/$t.c"
    fi
done

work=$(mktemp -d /tmp/mailward-bench-serve.XXXXXX)
pids=()
cleanup() {
    local p
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    [ -s "$work/nginx/nginx.pid" ] && kill "$(cat "$work/nginx/nginx.pid")" 2>/dev/null || true
    sleep 0.3
    rm -rf "$work"
}
trap cleanup EXIT

if [ "$reference" = 1 ]; then
    mkdir -p "$work/nginx/logs" "$work/nginx/tmp"
    taskset -c "$server_cpu" nginx -p "$work/nginx" -c "$here/nginx-fixed.conf"
    taskset -c "$server_cpu" "$bin/policy_fixed" 127.0.0.1:18481 3600 2>"$work/policy_fixed.err" &
    pids+=($!)
    sleep 0.5
    dovecot_url=http://127.0.0.1:18480/
    postfix_addr=127.0.0.1:18481
fi

echo "machine: $(nproc) CPUs, $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1); load $(cut -d' ' -f1-3 /proc/loadavg)"
if [ -n "$dovecot_url" ]; then
    echo "== Dovecot side: taskset -c $client_cpu wrk -t1 -c$conns -d${secs}s --latency -s bench/wrk-dovecot.lua $dovecot_url"
    taskset -c "$client_cpu" wrk -t1 -c"$conns" -d"${secs}s" --latency -s "$here/wrk-dovecot.lua" "$dovecot_url"
fi
if [ -n "$postfix_addr" ]; then
    echo "== Postfix side: taskset -c $client_cpu policy_load $postfix_addr $conns $secs $(basename "$mix")"
    taskset -c "$client_cpu" "$bin/policy_load" "$postfix_addr" "$conns" "$secs" "$mix"
fi
