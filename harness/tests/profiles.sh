#!/usr/bin/env bash
# make profiles: the judge follows the target's profile, and refuses a bad
# one, from outside (build/harness against the reference gateway):
# 1. "fault_hits": "preload": clause 7 reads the counting library
#    (build/libwsfault-fiucount.so) instead of /health, and agrees with it;
# 2. "fault_hits": "none": clause 7 is listed as unverified, with the reason;
#    a health state the profile has no path for is unverified too;
# 3. an answer id path the gateway does not use: every request is judged
#    unanswered (contract 3), so the profile is what the judge reads;
# 4. a profile with a typo or bad JSON: exit 2, file:line:column: field;
#    a missing one: exit 2 naming it;
# 5-7. a third dialect, a profile contradicting its target, the shutdown
#    close code, and every scenario "only" naming a shipped profile.
set -u
cd "$(dirname "$0")/../.."
HARNESS=${HARNESS:-build/harness}
PY=/usr/bin/python3
REF=fixtures/targets/reference/profile.json
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT INT TERM

fail() { echo "profiles: FAIL: $*"; exit 1; }

# variant NAME 'python statement on p': a copy of the reference profile.
variant() {
    "$PY" -c 'import json,sys
p = json.load(open(sys.argv[1]))
exec(sys.argv[3])
json.dump(p, open(sys.argv[2], "w"), indent=2)' "$REF" "$WORK/$1.json" "$2"
}

# field RESULTS CASE EXPR: a Python expression on that case c, printed.
field() {
    "$PY" -c 'import json,sys
d = json.load(open(sys.argv[1]))
c = [c for c in d["cases"] if c["id"] == sys.argv[2]][0]
print(eval(sys.argv[3]))' "$1" "$2" "$3"
}

run() {     # name profile paths...: the harness's exit status
    local name=$1 profile=$2
    shift 2
    "$HARNESS" --profile "$profile" --out "$WORK/$name" --history "$WORK/h.jsonl" "$@" \
        >"$WORK/$name.log" 2>&1
}

variant preload 'p["fault_hits"] = "preload"'
run preload "$WORK/preload.json" scenarios/seeds ||
    fail "fault_hits preload: the seeds fail (see $WORK/preload.log)"
[ "$(field "$WORK/preload/results.json" deps-500 'c["faults"]["gateway/bridge/create"]["fired"]')" = 1 ] ||
    fail "fault_hits preload: deps-500 does not show gateway/bridge/create fired"
echo "profiles: preload counts judge clause 7 (the seeds pass)"

variant none 'p["fault_hits"] = "none"'
run none "$WORK/none.json" scenarios/seeds/deps-500.json || fail "fault_hits none: deps-500 fails"
[ "$(field "$WORK/none/results.json" deps-500 '[u["clause"] for u in c["unverified"]]')" = "[7]" ] ||
    fail "fault_hits none: clause 7 is not listed as unverified"
echo "profiles: without counts clause 7 is unverified, with the reason"

# 2b. A health state the profile has no path for ("degraded" without
#     status_degraded) is listed as unverified, never matched as "{}".
variant nodeg 'del p["health"]["status_degraded"]'
run nodeg "$WORK/nodeg.json" scenarios/seeds/deps-500.json || fail "no status_degraded: deps-500 fails"
field "$WORK/nodeg/results.json" deps-500 '[u["why"] for u in c.get("unverified", []) if u["clause"] == 0]' |
    grep -q 'health state "degraded": the profile' ||
    fail "no status_degraded: the health step's \"degraded\" is not listed as unverified"
echo "profiles: a health state the profile cannot express is unverified, with the reason"

variant badid 'p["answers"]["id"] = "rid"'
run badid "$WORK/badid.json" scenarios/seeds/deps-500.json && fail "a wrong answer id passed"
grep -q 'got no terminal answer (0 frames for it) (contract 3)' "$WORK/badid.log" ||
    fail "a wrong answer id: no contract 3 failure"
echo "profiles: the answer id comes from the profile"

variant typo 'p["answers"]["eventz"] = p["answers"].pop("event")'
run typo "$WORK/typo.json" scenarios/seeds/deps-500.json
[ $? = 2 ] && grep -q "typo.json:[0-9]*:[0-9]*: answers: unknown key \"eventz\"" "$WORK/typo.log" ||
    fail "a typo in a profile: $(head -c 300 "$WORK/typo.log")"
run missing "$WORK/nope.json" scenarios/seeds/deps-500.json
[ $? = 2 ] && grep -q "nope.json" "$WORK/missing.log" || fail "a missing profile is not named"
echo "profiles: bad and missing profiles are refused with where and what"

# 5. A third gateway with a dialect of its own and a profile written from the
#    README (fixtures/targets/tiny/): no false failure on the scenarios it can
#    answer, and each bug its --break brings back fails a named case.
TINY_CMD="/usr/bin/python3 fixtures/targets/tiny/gateway.py --port-file {port_file}"
TINY_CASES="scenarios/seeds/missing-mapping.json scenarios/degradation/bad-input.json
    scenarios/degradation/shutdown-1001.json scenarios/security/token-alg-none.json
    scenarios/security/token-expired.json scenarios/security/token-forged.json
    scenarios/security/token-missing.json scenarios/security/token-oversized.json
    scenarios/security/token-wrong-secret.json scenarios/security/isolation-concurrent.json
    scenarios/security/connection-flood.json scenarios/wire/dead-peer-blackhole.json
    scenarios/wire/dead-peer-drops-pongs.json scenarios/wire/keepalive-answered.json
    scenarios/wire/reconnect-storm.json scenarios/wire/reset-mid-request.json
    scenarios/wire/split-frame-header.json"
tiny() {    # name extra-flags
    # shellcheck disable=SC2086
    "$HARNESS" --profile fixtures/targets/tiny/profile.json --target-cmd "$TINY_CMD $2" \
        --out "$WORK/$1" --history "$WORK/h.jsonl" $TINY_CASES >"$WORK/$1.log" 2>&1
}
tiny tiny "" || fail "the tiny gateway fails (see $WORK/tiny.log): $(grep '^FAIL' "$WORK/tiny.log")"
tiny drop "--break drop-unknown" && fail "a tiny gateway that drops unknown ops passed"
grep -q '^FAIL  missing-mapping' "$WORK/drop.log" || fail "dropped unknown ops: missing-mapping did not fail"
tiny abort "--break no-close-code" && fail "a tiny gateway that drops bad tokens without a close passed"
grep -q '^FAIL  token-forged' "$WORK/abort.log" || fail "no close code: token-forged did not fail"
# shellcheck disable=SC2086
"$HARNESS" --profile fixtures/targets/tiny/profile.json --target-cmd "$TINY_CMD --break busy-500" \
    --out "$WORK/busy" --history "$WORK/h.jsonl" scenarios/wire/reconnect-storm.json \
    >"$WORK/busy.log" 2>&1 && fail "a tiny gateway that answers a storm with 500 passed"
grep -q "upgrades in the first wave answered with a 5xx other than 503" "$WORK/busy.log" ||
    fail "500 under a storm: reconnect-storm did not name the 5xx ($(grep -m1 -A2 FAIL "$WORK/busy.log"))"
echo "profiles: a third dialect (fixtures/targets/tiny) passes, and its broken variants fail"

# 6. A profile that promises a health endpoint the target does not serve is
#    named as the profile's mistake, not reported as a broken contract.
"$PY" -c 'import json,sys
p = json.load(open("fixtures/targets/tiny/profile.json"))
p["health"] = {"path": "/healthz", "ready": "ready", "ready_value": True,
               "connections": "c", "handlers": "h"}
json.dump(p, open(sys.argv[1], "w"))' "$WORK/tiny-health.json"
"$HARNESS" --profile "$WORK/tiny-health.json" --target-cmd "$TINY_CMD" --out "$WORK/th" \
    --history "$WORK/h.jsonl" scenarios/seeds/missing-mapping.json >"$WORK/th.log" 2>&1 &&
    fail "a profile naming a health endpoint the target lacks passed"
grep -q "the profile names the health endpoint /healthz, but the target does not answer" \
    "$WORK/th.log" || fail "a contradicting profile is not named as such"
echo "profiles: a profile that contradicts its target is named as such"

# 6b. The shutdown close code is the profile's: the tiny gateway closes with
#     1001, so a profile saying 1012 must fail shutdown-1001 on that code.
"$PY" -c 'import json,sys
p = json.load(open("fixtures/targets/tiny/profile.json"))
p["shutdown_close"] = 1012
json.dump(p, open(sys.argv[1], "w"))' "$WORK/tiny-1012.json"
"$HARNESS" --profile "$WORK/tiny-1012.json" --target-cmd "$TINY_CMD" --out "$WORK/t12" \
    --history "$WORK/h.jsonl" scenarios/degradation/shutdown-1001.json >"$WORK/t12.log" 2>&1 &&
    fail "a shutdown_close the target does not send passed"
grep -q "closed with 1001, expected 1012" "$WORK/t12.log" ||
    fail "shutdown_close 1012: no failure naming the code ($(grep -m1 FAIL -A2 "$WORK/t12.log"))"
echo "profiles: the shutdown close code comes from the profile"

# 6c. Clause 2 tells a keepalive 1011 from a crash only where the profile
#     says the target ends dead peers so: python3-websockets sends 1011
#     "keepalive ping timeout". Without "wire", the same close fails, on the
#     expect_close and on clause 2.
"$PY" -c 'import json,sys
p = json.load(open("fixtures/targets/tiny/profile.json"))
del p["wire"]
json.dump(p, open(sys.argv[1], "w"))' "$WORK/tiny-nowire.json"
"$HARNESS" --profile "$WORK/tiny-nowire.json" --target-cmd "$TINY_CMD" --out "$WORK/tnw" \
    --history "$WORK/h.jsonl" scenarios/wire/dead-peer-blackhole.json >"$WORK/tnw.log" 2>&1 &&
    fail "a keepalive 1011 the profile does not name passed"
grep -q "dead peer was ended with 1011; the profile says this target ends one with 1000, 1001, 1006" \
    "$WORK/tnw.log" && grep -q "dead was closed with 1011" "$WORK/tnw.log" ||
    fail "keepalive 1011 without \"wire\": not failed on the code and clause 2 ($(grep -m1 FAIL -A3 "$WORK/tnw.log"))"
echo "profiles: a keepalive 1011 passes only where the profile names it"

# 7. Every "only" in the shipped scenarios names a shipped profile: a typo
#    would skip its step on every target, a check that could never fail.
"$PY" - <<'PYEOF' || fail "a scenario step is \"only\" for a profile nobody has"
import glob, json, sys
names = {json.load(open(p))["name"] for p in glob.glob("fixtures/targets/*/profile.json")}
bad = [(f, i, st["only"]) for f in glob.glob("scenarios/**/*.json", recursive=True)
       if not f.endswith("schema.json")
       for i, st in enumerate(json.load(open(f)).get("steps", []))
       if isinstance(st, dict) and "only" in st and st["only"] not in names]
for f, i, name in bad:
    print(f"profiles: {f}: steps[{i}] is only for \"{name}\"; profiles: {sorted(names)}")
sys.exit(1 if bad else 0)
PYEOF
echo "profiles: every \"only\" names a shipped profile"
