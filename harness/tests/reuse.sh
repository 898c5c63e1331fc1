#!/usr/bin/env bash
# make reuse: a target kept across cases is judged as strictly as a fresh
# one per case, and what breaks it is blamed on the case that broke it:
# 1. the same verdicts with and without --fresh-target, on the reference
#    gateway and on the tiny target (another stack, another dialect);
# 2. a target that dies inside a case: that case fails saying so, the cases
#    before and after pass (the next one on a new target);
# 3. a leak the target's leak check reports after a case fails that case,
#    not the next one (the case's own slice of the log);
# 4. a kept target that does not stop cleanly at the end of the run fails
#    the case it served last;
# 5. a worker killed mid-case loses that case alone: the next cases run on a
#    new worker;
# 6. no target outlives the run.
set -u
cd "$(dirname "$0")/../.."
HARNESS=${HARNESS:-build/harness}
GATEWAY=${GATEWAY:-build/gateway}
PY=/usr/bin/python3
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT INT TERM
TINY="/usr/bin/python3 fixtures/targets/tiny/gateway.py --port-file {port_file}"
TINY_PROFILE=fixtures/targets/tiny/profile.json
TMPDIR_RE="${TMPDIR:-/tmp}/wsfault-"   # where the harness puts its targets' folders
A=scenarios/security/token-expired.json       # passes on the tiny target
B=scenarios/seeds/missing-mapping.json        # sends an unknown op
C=scenarios/security/token-forged.json        # passes on the tiny target

fail() { echo "reuse: FAIL: $*"; exit 1; }

# statuses RESULTS: "id status" per case, sorted.
statuses() {
    "$PY" -c 'import json,sys
for c in sorted(json.load(open(sys.argv[1]))["cases"], key=lambda c: c["id"]):
    print(c["id"], c["status"], c.get("verdict"))' "$1"
}

# field RESULTS CASE EXPR: a Python expression on that case c, printed.
field() {
    "$PY" -c 'import json,sys
d = json.load(open(sys.argv[1]))
c = [c for c in d["cases"] if c["id"] == sys.argv[2]][0]
print(eval(sys.argv[3]))' "$1" "$2" "$3"
}

tiny() {    # name break-mode extra-harness-flags... -- cases...
    local name=$1 mode=$2
    shift 2
    local flags=()
    while [ "$1" != -- ]; do flags+=("$1"); shift; done
    shift
    "$HARNESS" --profile "${PROFILE:-$TINY_PROFILE}" --target-cmd "$TINY ${mode:+--break $mode}" \
        -j 1 --out "$WORK/$name" --history "$WORK/h.jsonl" "${flags[@]}" "$@" \
        >"$WORK/$name.log" 2>&1
}

# 1. Kept or fresh, the same verdicts.
for how in kept fresh; do
    flag=$([ $how = fresh ] && echo --fresh-target)
    # shellcheck disable=SC2086
    "$HARNESS" --gateway "$GATEWAY" --out "$WORK/ref-$how" --history "$WORK/h.jsonl" $flag \
        scenarios/security scenarios/degradation scenarios/conformance/generated/close-* \
        >"$WORK/ref-$how.log" 2>&1
    # shellcheck disable=SC2086
    tiny "tiny-$how" "" $flag -- "$A" "$B" "$C" scenarios/degradation/bad-input.json \
        scenarios/security/isolation-concurrent.json scenarios/wire/reconnect-storm.json
done
for t in ref tiny; do
    diff <(statuses "$WORK/$t-kept/results.json") <(statuses "$WORK/$t-fresh/results.json") \
        >"$WORK/$t.diff" || fail "$t: verdicts differ between a kept and a fresh target: $(cat "$WORK/$t.diff")"
    grep -q '^[0-9]* passed, 0 failed' <(tail -n 1 "$WORK/$t-kept.log") ||
        fail "$t: the kept run fails: $(tail -n 3 "$WORK/$t-kept.log")"
done
# The kept run did keep: one start serves many cases (one "listening" line
# per gateway started, in the case logs of the cases that started one).
starts=$(grep -l '"event":"listening"' "$WORK/ref-kept/logs/"*.log | wc -l)
cases=$(ls "$WORK/ref-kept/logs/" | wc -l)
[ "$starts" -lt $((cases / 2)) ] || fail "kept run started $starts gateways for $cases cases"
echo "reuse: the same verdicts kept and fresh ($cases reference cases, $starts starts)"

# 2. A death inside a case is that case's.
tiny crash crash-on-unknown -- "$A" "$B" "$C"
[ "$(field "$WORK/crash/results.json" token-expired 'c["status"]')" = passed ] ||
    fail "the case before the crash did not pass: $(cat "$WORK/crash.log")"
field "$WORK/crash/results.json" missing-mapping '[r["message"] for r in c["reasons"]]' |
    grep -q 'died during the scenario' || fail "the crash is not blamed on its case: $(cat "$WORK/crash.log")"
[ "$(field "$WORK/crash/results.json" token-forged 'c["status"]')" = passed ] ||
    fail "the case after the crash did not pass on a new target: $(cat "$WORK/crash.log")"
echo "reuse: a target that dies fails the case it died in; the next gets a new one"

# 3. A leak found between cases is the case's that left it. The tiny target
# logs JSON lines only for this: a profile with a leak check needs them.
"$PY" -c 'import json,sys
p = json.load(open(sys.argv[1]))
p["logs"] = {"json_lines": True, "leak_check": {"signal": "SIGUSR2", "done": {"event": "leak_check"}}}
json.dump(p, open(sys.argv[2], "w"))' "$TINY_PROFILE" "$WORK/tiny-leak.json"
# (Cases whose target logs nothing but JSON: no refused token, no storm.)
PROFILE=$WORK/tiny-leak.json tiny leak leak-on-unknown -- \
    scenarios/security/isolation-concurrent.json "$B" scenarios/degradation/bad-input.json
field "$WORK/leak/results.json" missing-mapping '[r["message"] for r in c["reasons"]]' |
    grep -q 'sanitizer report' || fail "the leak is not blamed on its case: $(cat "$WORK/leak.log")"
for id in isolation-concurrent bad-input; do
    [ "$(field "$WORK/leak/results.json" $id 'c["status"]')" = passed ] ||
        fail "$id is blamed for another case's leak: $(cat "$WORK/leak.log")"
done
grep -q 'LeakSanitizer' "$WORK/leak/logs/missing-mapping.log" ||
    fail "the report is not in the leaking case's log"
echo "reuse: a leak found between cases fails the case that left it"

# 4. The end of the run stops the kept target: a bad stop is the last case's.
tiny term term-exit-1 -- "$A" "$C"
[ "$(field "$WORK/term/results.json" token-expired 'c["status"]')" = passed ] ||
    fail "a case the target served before its last is blamed for its stop"
field "$WORK/term/results.json" token-forged '[r["message"] for r in c["reasons"]]' |
    grep -q 'kept for the next case, did not shut down cleanly' ||
    fail "the kept target's bad stop is not blamed on its last case: $(cat "$WORK/term.log")"
echo "reuse: a kept target's bad stop at the end fails the case it served last"

# 5. A worker killed in the middle of a case (as the ceiling kills one).
"$HARNESS" --gateway "$GATEWAY" -j 1 --out "$WORK/killed" --history "$WORK/h.jsonl" \
    scenarios/wire/keepalive-answered.json "$A" "$C" >"$WORK/killed.log" 2>&1 &
hpid=$!
worker=
for _ in $(seq 50); do
    worker=$(pgrep -P "$hpid" | head -n 1)
    [ -n "$worker" ] && break
    sleep 0.1
done
sleep 1
[ -n "$worker" ] && kill -KILL "$worker"
wait "$hpid"
field "$WORK/killed/results.json" keepalive-answered '[r["message"] for r in c["reasons"]]' |
    grep -q 'worker was killed by signal 9' || fail "the killed worker's case: $(cat "$WORK/killed.log")"
for id in token-expired token-forged; do
    [ "$(field "$WORK/killed/results.json" $id 'c["status"]')" = passed ] ||
        fail "$id did not run after its worker was killed: $(cat "$WORK/killed.log")"
done
echo "reuse: a worker killed mid-case loses that case alone"

# 6. Nothing left running (make test runs one thing at a time).
pgrep -f "fixtures/targets/tiny/gateway.py" >/dev/null &&
    fail "a target outlived its run: $(pgrep -af fixtures/targets/tiny/gateway.py)"
pgrep -f "^$GATEWAY --port 0 --port-file $TMPDIR_RE" >/dev/null &&
    fail "a gateway outlived its run: $(pgrep -af "^$GATEWAY --port 0")"
echo "reuse: no target outlives the run"
