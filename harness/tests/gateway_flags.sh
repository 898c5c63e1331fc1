#!/usr/bin/env bash
# make gateway-flags: the reference gateway's flags, judged from outside.
#
#   harness/tests/gateway_flags.sh [GATEWAY]      (default build/gateway)
#
# 1. Every line of fixtures/gateway-flags.tsv: the gateway started with that
#    bad value must exit with the status given (2 bad usage, 1 cannot start)
#    and say why, naming the flag, on stderr; never start anyway.
# 2. Bound to 127.0.0.1 it must answer there and not on 127.0.0.2 (another
#    loopback address): a test gateway is not reachable from elsewhere.
# 3. SIGUSR2 (the leak check a judge that keeps one gateway across cases asks
#    for) is answered with a leak_check log line, and the gateway lives on.
# Prints "FAIL gateway-flags/NAME: why" per failed check (make mutants reads
# these as killers) and a summary line; exit 1 if any check failed.
set -u
cd "$(dirname "$0")/../.."
GW=${1:-build/gateway}
TABLE=fixtures/gateway-flags.tsv
WORK=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null; rm -rf "$WORK"' EXIT INT TERM
pid=
port=
failed=0
checked=0

fail() {
    echo "FAIL gateway-flags/$1: $2"
    failed=$((failed + 1))
}

# One refusal: the gateway must exit by itself, with the status and text.
refusal() {     # name args status text
    local name=$1 args=$2 want=$3 text=$4 rc
    # shellcheck disable=SC2086
    timeout 5 "$GW" --jwt-secret s --port-file "$WORK/port" $args >"$WORK/out" 2>&1
    rc=$?
    checked=$((checked + 1))
    if [ $rc = 124 ]; then
        fail "$name" "started with \"$args\" instead of refusing it"
    elif [ $rc != "$want" ]; then
        fail "$name" "\"$args\": exit $rc, expected $want"
    elif ! grep -qF -- "$text" "$WORK/out"; then
        fail "$name" "\"$args\": stderr does not say \"$text\": $(head -c 200 "$WORK/out" | tr '\n' ' ')"
    fi
}

# Does a TCP connect to HOST:PORT succeed?
reaches() {
    timeout 2 bash -c "exec 3<>/dev/tcp/$1/$2" 2>/dev/null
}

# Start the gateway in the background, logging to LOG; sets pid and port
# (empty when it did not come up within 5 s).
start_gateway() {   # log
    rm -f "$WORK/port"
    "$GW" --jwt-secret s --port 0 --port-file "$WORK/port" >"$1" 2>&1 &
    pid=$!
    for _ in $(seq 50); do [ -s "$WORK/port" ] && break; sleep 0.1; done
    port=$(cat "$WORK/port" 2>/dev/null)
    checked=$((checked + 1))
}

stop_gateway() {
    kill "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    pid=
}

bind_check() {
    start_gateway "$WORK/bind.log"
    if [ -z "$port" ]; then
        fail bind-loopback-only "the gateway did not start (see $WORK/bind.log)"
    elif ! reaches 127.0.0.1 "$port"; then
        fail bind-loopback-only "nothing answers on 127.0.0.1:$port"
    elif reaches 127.0.0.2 "$port"; then
        fail bind-loopback-only "bound to 127.0.0.1 but answers on 127.0.0.2:$port too (every interface?)"
    fi
    stop_gateway
}

# SIGUSR2, twice: two leak_check lines, and still answering afterwards.
leak_check_signal() {
    local n=0
    start_gateway "$WORK/leak.log"
    for _ in 1 2; do
        kill -USR2 "$pid" 2>/dev/null
        for _ in $(seq 20); do
            [ "$(grep -c '"event":"leak_check"' "$WORK/leak.log")" -gt $n ] && break
            sleep 0.1
        done
        n=$((n + 1))
    done
    if [ "$(grep -c '"event":"leak_check"' "$WORK/leak.log")" != 2 ]; then
        fail leak-check-signal "two SIGUSR2 did not give two leak_check lines: $(tail -c 300 "$WORK/leak.log" | tr '\n' ' ')"
    elif [ -z "$port" ] || ! reaches 127.0.0.1 "$port"; then
        fail leak-check-signal "the gateway stopped answering after SIGUSR2"
    fi
    stop_gateway
}

[ -x "$GW" ] || { echo "gateway-flags: $GW is missing (run make)" >&2; exit 2; }
while IFS=$'\t' read -r name args status text; do
    case "$name" in ''|'#'*) continue ;; esac
    refusal "$name" "$args" "$status" "$text"
done <"$TABLE"
bind_check
leak_check_signal
echo "gateway-flags: $checked checks, $failed failed"
[ $failed = 0 ]
