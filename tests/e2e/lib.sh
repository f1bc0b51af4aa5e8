#!/bin/bash
# lib.sh - what serve-e2e.sh, weakpw-e2e.sh and milter-e2e.sh share; they
# source it after mailstack.sh. It owns: the mailward binary argument, a free
# port set for the daemon, the ok/FAIL reporting (PASSES, FAILS), the work
# directory and the cleanup trap (background clients, the daemon, the mail
# stack; the work directory kept after a failure or on request), starting
# and stopping `mailward serve` (ready when /healthz answers), ctl, and the
# IMAP/POP3 login sessions of mwclient.py. Each script keeps its own checks,
# ports and environment variables.
#
# The sourcing script calls e2e_mailward and e2e_setup, and before
# serve_start sets HTTP_PORT, SERVE_ARGS (the daemon's arguments after
# --state-dir and --http) and SERVE_PORTS (more ports that must listen on
# 127.0.0.1 before the daemon counts as started).

E2E=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$E2E/../.." && pwd)
PY=$(mw_python)
SERVE_ARGS=()
SERVE_PORTS=()

# e2e_mailward [MAILWARD]: as root, MW = the binary's absolute path
# (default build/mailward)
e2e_mailward() {
    MW=${1:-$ROOT/build/mailward}
    mw_need_root
    [ -x "$MW" ] || mw_die "no mailward binary at $MW (build it first)"
    MW=$(cd "$(dirname "$MW")" && pwd)/$(basename "$MW")
}

# e2e_ports FIRST LAST OFFSET...: the first P of FIRST, FIRST+10, ..., LAST
# with every P+OFFSET free (mw_port_busy); prints those ports, nothing (and
# status 1) if there is no such P
e2e_ports() {
    local first=$1 last=$2 p o out
    shift 2
    for p in $(seq "$first" 10 "$last"); do
        out=""
        for o in "$@"; do
            mw_port_busy $((p + o)) && continue 2
            out="$out${out:+ }$((p + o))"
        done
        echo "$out"
        return 0
    done
    return 1
}

# ------------------------------------------------------------ reporting
ok()   { PASSES=$((PASSES + 1)); echo "ok   $*"; }
fail() { FAILS=$((FAILS + 1)); echo "FAIL $*"; }
check() { local what=$1; shift; if "$@"; then ok "$what"; else fail "$what"; fi; }
not() { ! "$@"; }
quiet() { "$@" >/dev/null; }
ms() { echo $(( $(date +%s%3N) - $1 )); }
begin() { CHECK_T=$(date +%s%3N); echo "== $*"; }
took() { echo "   ($1 took $(ms "$CHECK_T") ms)"; }

# ------------------------------------------------------------ work directory, cleanup
# e2e_setup NAME KEEP WHAT: the work directory (WORK, STATE, ACT:
# mwclient.py's actions), the counters, the cleanup trap. NAME names the
# work directory and the messages ("serve-e2e"); KEEP 1 keeps the work
# directory also when all passed; WHAT: what it holds, for the "kept" line
e2e_setup() {
    E2E_NAME=$1 E2E_KEEP=$2 E2E_KEPT=$3
    T0=$(date +%s%3N)
    CHECK_T=$T0
    WORK=$(mktemp -d "/tmp/mailward-$E2E_NAME.XXXXXX")
    STATE=$WORK/state
    ACT=$WORK/client-actions.jsonl
    mkdir -p "$STATE"
    : >"$ACT"
    SERVE_PID=""
    STACK=0
    FAILS=0
    PASSES=0
    BG=()
    trap e2e_cleanup EXIT
    trap 'exit 130' INT TERM
}

e2e_cleanup() {
    local rc=$? p
    set +e
    trap - EXIT INT TERM
    for p in "${BG[@]}"; do kill "$p" 2>/dev/null; done
    if [ -n "$SERVE_PID" ] && kill -0 "$SERVE_PID" 2>/dev/null; then
        kill "$SERVE_PID"; wait "$SERVE_PID" 2>/dev/null
    fi
    if [ "$STACK" = 1 ]; then
        # the held and queued test mail goes with the stack
        postsuper -d ALL </dev/null >/dev/null 2>&1
        cp "$MW_LOG/mail.log" "$WORK/mail.log" 2>/dev/null
        mw_stop
    fi
    if [ "$rc" -ne 0 ] || [ "$FAILS" -ne 0 ] || [ "$E2E_KEEP" = 1 ]; then
        echo "$E2E_NAME: work directory kept: $WORK ($E2E_KEPT)"
        [ "$FAILS" -ne 0 ] && [ -s "$WORK/serve.log" ] && { echo "--- serve.log (last 30 lines)"; tail -30 "$WORK/serve.log"; }
    else
        rm -rf "$WORK"
    fi
    echo "$E2E_NAME: $PASSES ok, $FAILS FAIL, $(( ($(date +%s%3N) - T0) / 1000 )) s"
    [ "$rc" -eq 0 ] && [ "$FAILS" -ne 0 ] && rc=1
    exit "$rc"
}

# ------------------------------------------------------------ the mail stack
# e2e_stack_free: die if another mailstack run is active; install the
# packages; stop what an interrupted run left
e2e_stack_free() {
    if [ -e "$MW_RUN/started" ] && mw_pidfile_alive "$MW_RUN/rsyslogd.pid"; then
        mw_die "another mailstack run is active ($MW_RUN/started); not touching it"
    fi
    mw_install
    mw_stop >/dev/null 2>&1 || true
}

# e2e_dovecot_snippet TOKEN NONCE: docs/examples/dovecot-95-mailward.conf
# for HTTP_PORT, TOKEN and NONCE into $WORK/95-mailward.conf; API_HEADER =
# its auth_policy_server_api_header
e2e_dovecot_snippet() {
    sed -e "s/127\.0\.0\.1:8427/127.0.0.1:$HTTP_PORT/" \
        -e "s/CHANGE-ME-API-TOKEN/$1/" -e "s/CHANGE-ME-NONCE/$2/" \
        "$ROOT/docs/examples/dovecot-95-mailward.conf" >"$WORK/95-mailward.conf"
    # shellcheck disable=SC2034  # for the sourcing script
    API_HEADER=$(sed -n 's/^auth_policy_server_api_header = //p' "$WORK/95-mailward.conf")
}

# ------------------------------------------------------------ the daemon
# serve_start [NOTE]: `mailward serve` on HTTP_PORT with SERVE_ARGS, output
# into $WORK/serve.log; dies unless /healthz answers and SERVE_PORTS listen
# within 5 s
serve_start() {
    echo "--- serve start ($*)" >>"$WORK/serve.log"
    "$MW" serve --state-dir "$STATE" --http "127.0.0.1:$HTTP_PORT" "${SERVE_ARGS[@]}" \
        </dev/null >>"$WORK/serve.log" 2>&1 &
    SERVE_PID=$!
    local p up
    for _ in $(seq 1 100); do
        up=1
        for p in "${SERVE_PORTS[@]}"; do mw_port_open 127.0.0.1 "$p" || up=0; done
        [ "$up" = 1 ] && curl -sf "http://127.0.0.1:$HTTP_PORT/healthz" >/dev/null 2>&1 && return 0
        kill -0 "$SERVE_PID" 2>/dev/null || break
        sleep 0.05
    done
    tail -5 "$WORK/serve.log" >&2
    mw_die "mailward serve did not start"
}

# serve_stop SIGNAL: stop the daemon and wait for it
serve_stop() {
    kill "-$1" "$SERVE_PID" 2>/dev/null
    wait "$SERVE_PID" 2>/dev/null
    SERVE_PID=""
}

ctl() { "$MW" ctl --state-dir "$STATE" --url "http://127.0.0.1:$HTTP_PORT" "$@"; }
# ctlf NAME CMD...: ctl output into $WORK/ctl-NAME.txt (echoes the path)
ctlf() { local n=$1; shift; ctl "$@" >"$WORK/ctl-$n.txt" 2>&1; echo "$WORK/ctl-$n.txt"; }
# poll NAME GREP-PATTERN CTL-ARGS...: until the ctl output (re-run) matches
poll() {
    local name=$1 pat=$2 f; shift 2
    for _ in $(seq 1 25); do
        f=$(ctlf "$name" "$@")
        grep -qE "$pat" "$f" && return 0
        sleep 0.2
    done
    return 1
}

# ------------------------------------------------------------ clients
util() { "$PY" "$E2E/serve_e2e_util.py" "$@"; }
# sess STEP PROTO SRC USER PASS: one login session (mwclient.py; PROTO
# imap, pop3 in clear, imaps, pop3s over TLS), its outcome appended to $ACT
# under STEP
sess() {
    local step=$1 proto=$2 src=$3 user=$4 pass=$5 port=143 mech=login tls=none
    case $proto in
        pop3)  port=110; mech=user ;;
        imaps) proto=imap; port=993; tls=implicit ;;
        pop3s) proto=pop3; port=995; mech=user; tls=implicit ;;
    esac
    "$PY" "$E2E/mwclient.py" "$proto" --src "$src" --port "$port" --mech "$mech" --tls "$tls" \
        --attempt "$user:$pass:x" --step "$step" --actions "$ACT" --note "$step" \
        >>"$WORK/clients.log" 2>&1 || true
}
spawn() { "$@" & BG+=($!); }
waitbg() { local p; for p in "${BG[@]}"; do wait "$p" 2>/dev/null; done; BG=(); }
# results STEP: the outcomes under STEP (serve_e2e_util.py results)
results() { util results "$ACT" "$1"; }
