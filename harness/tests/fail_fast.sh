#!/usr/bin/env bash
# make fail-fast: the judge against targets that answer nothing.
#
# 1. fixtures/targets/silent.py accepts every upgrade and then stays silent:
#    the default suite must end with exit 1, every case failed with a
#    reason, most of them "not run: target unresponsive" (the rule, not the
#    step ceilings, ended the run). The elapsed time is printed as a figure.
# 2. -x against the same target with the rule off: at most one failure per
#    worker, every other case skipped as "not run".
# 3. A target that answers, but later than every step's ceiling (the
#    reference gateway with --step-timeout 1): cases fail, and every case is
#    still run: lateness is not silence.
set -u
cd "$(dirname "$0")/../.."
HARNESS=${HARNESS:-build/harness}
PY=/usr/bin/python3
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT INT TERM
TARGET="$PY fixtures/targets/silent.py {port}"

fail() { echo "fail-fast: FAIL: $*"; exit 1; }

# count RESULTS EXPR: how many cases satisfy the Python expression on c.
count() {
    "$PY" -c 'import json,sys
d = json.load(open(sys.argv[1]))
print(sum(1 for c in d["cases"] if eval(sys.argv[2])))' "$1" "$2"
}

t0=$(date +%s.%N)
"$HARNESS" --target-cmd "$TARGET" --out "$WORK/silent" --history "$WORK/h.jsonl" \
    scenarios >"$WORK/silent.log" 2>&1
rc=$?
secs=$(echo "$(date +%s.%N) - $t0" | bc)
r=$WORK/silent/results.json
[ $rc = 1 ] || fail "silent target: exit $rc, expected 1 (see $WORK/silent.log)"
total=$(count "$r" True)
failed=$(count "$r" 'c["status"] == "failed" and c["reasons"]')
unrun=$(count "$r" 'c["reasons"] and "target unresponsive" in c["reasons"][0]["message"]')
[ "$total" -gt 400 ] && [ "$failed" = "$total" ] ||
    fail "silent target: $failed of $total cases failed with a reason"
[ "$unrun" -gt $((total / 2)) ] || fail "silent target: the unresponsive rule did not fire"
grep -q '^STOP ' "$WORK/silent.log" || fail "silent target: no STOP line"
echo "fail-fast: silent target: $total cases failed ($unrun not run), exit 1, in ${secs%.*} s"

"$HARNESS" --target-cmd "$TARGET" -x --unresponsive-after 0 -j 2 --out "$WORK/x" \
    --history "$WORK/h.jsonl" scenarios >"$WORK/x.log" 2>&1
rc=$?
r=$WORK/x/results.json
[ $rc = 1 ] || fail "-x: exit $rc, expected 1"
failed=$(count "$r" 'c["status"] == "failed"')
skipped=$(count "$r" 'c["status"] == "skipped" and c["skip_reason"].startswith("not run")')
total=$(count "$r" True)
[ "$failed" -ge 1 ] && [ "$failed" -le 2 ] && [ $((failed + skipped)) = "$total" ] ||
    fail "-x: $failed failed and $skipped skipped of $total"
echo "fail-fast: -x: $failed failed, $skipped not run"

"$HARNESS" --step-timeout 1 --out "$WORK/late" --history "$WORK/h.jsonl" \
    scenarios/seeds scenarios/degradation >"$WORK/late.log" 2>&1
rc=$?
r=$WORK/late/results.json
total=$(count "$r" True)
run=$(count "$r" 'c["status"] != "skipped" and not any("not run" in x["message"] for x in c["reasons"])')
failed=$(count "$r" 'c["status"] == "failed"')
[ "$total" -gt 20 ] && [ "$run" = "$total" ] && ! grep -q '^STOP ' "$WORK/late.log" ||
    fail "late target: only $run of $total cases ran"
# A 1 ms step ceiling is missed by some case: the run is judged, not waved through.
[ $rc = 1 ] && [ "$failed" -ge 1 ] || fail "late target: exit $rc with $failed failed cases"
echo "fail-fast: late target: all $total cases ran, $failed failed, exit 1"
