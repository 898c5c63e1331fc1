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

# says RUN CASE TEXT: one of the case's reasons holds TEXT.
says() {
    field "$WORK/$1/results.json" "$2" '[r["message"] for r in c["reasons"]]' | grep -q "$3"
}

# passes RUN CASE...: every case named passed (else the run's log, and exit).
passes() {
    local run=$1 id
    shift
    for id in "$@"; do
        [ "$(field "$WORK/$run/results.json" "$id" 'c["status"]')" = passed ] ||
            fail "$run: $id did not pass: $(cat "$WORK/$run.log")"
    done
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
says crash missing-mapping 'died during the scenario' ||
    fail "the crash is not blamed on its case: $(cat "$WORK/crash.log")"
# The case before the crash, and the one after it on a new target.
passes crash token-expired token-forged
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
says leak missing-mapping 'sanitizer report' ||
    fail "the leak is not blamed on its case: $(cat "$WORK/leak.log")"
passes leak isolation-concurrent bad-input
grep -q 'LeakSanitizer' "$WORK/leak/logs/missing-mapping.log" ||
    fail "the report is not in the leaking case's log"
echo "reuse: a leak found between cases fails the case that left it"

# 4. The end of the run stops the kept target: a bad stop is the last case's.
tiny term term-exit-1 -- "$A" "$C"
passes term token-expired
says term token-forged 'kept for the next case, did not shut down cleanly' ||
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
says killed keepalive-answered 'worker was killed by signal 9' ||
    fail "the killed worker's case: $(cat "$WORK/killed.log")"
passes killed token-expired token-forged
echo "reuse: a worker killed mid-case loses that case alone"

# 6. Nothing left running (make test runs one thing at a time).
pgrep -f "fixtures/targets/tiny/gateway.py" >/dev/null &&
    fail "a target outlived its run: $(pgrep -af fixtures/targets/tiny/gateway.py)"
pgrep -f "^$GATEWAY --port 0 --port-file $TMPDIR_RE" >/dev/null &&
    fail "a gateway outlived its run: $(pgrep -af "^$GATEWAY --port 0")"
echo "reuse: no target outlives the run"
