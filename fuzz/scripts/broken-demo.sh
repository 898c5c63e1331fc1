#!/bin/bash
# Proof that the fault-schedule target catches a broken gateway:
#
#   broken-demo.sh DIR [MUTANT.patch]
#
# Copies harness/gateway/ to DIR/src/harness/gateway, breaks it with
# MUTANT (a unified diff against harness/gateway/, applied with patch -p1
# in the copy, as fixtures/mutants/*.patch are) or, without one, with
# the built-in patch below: the fallback agent handler stops after 4 of the
# 5 events (seed deps-500 brought back). Then builds the fault_schedule
# target against the copy and measures how long each engine needs to abort:
#   libFuzzer from the whole seed corpus,
#   libFuzzer and AFL++ from one seed that enables no fault at all, so the
#     fuzzer has to find the fault schedule itself.
# DEMO_SECONDS (default 300) caps each run. The crash is then triaged into
# DIR/regressions/ (never into fuzz/regressions/). Exit 0 when every run
# aborted, 1 otherwise.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../../harness/tools/need.sh"
need_programs patch afl-fuzz timeout || exit 2
. "$here/afl-env.sh"

dir=$1
mutant=${2:-}
secs=${DEMO_SECONDS:-300}
t=fault_schedule
bin=$dir/bin
gw=$dir/src/harness/gateway
rc=0

builtin_patch() {
    cat <<'EOF'
--- a/gw_app.c
+++ b/gw_app.c
@@ -171,7 +171,7 @@
         notice_fallback(s, "agent handler unavailable for this message");
     if (provide_db_session(s, m) != 0)
         return 0;
-    for (int i = 0; i < 5; i++)
+    for (int i = 0; i < 4; i++)
         send_json(s, event_json(agent_events[i], m->id, 1, i + 1));
     return 0;
 }
EOF
}

# A mutant names its files from the repository root (a/harness/gateway/X.c)
# or from the gateway folder (a/X.c): patch -p1 in whichever copy fits.
apply() {
    if patch -p1 --dry-run --quiet -d "$dir/src" <"$1" >/dev/null 2>&1; then
        patch -p1 --quiet -d "$dir/src" <"$1"
    else
        patch -p1 --quiet -d "$gw" <"$1"
    fi
}

break_gateway() {
    rm -rf "$dir"
    mkdir -p "$(dirname "$gw")"
    cp -r harness/gateway "$gw"
    if [ -n "$mutant" ]; then
        apply "$mutant" || { echo "broken-demo: $mutant does not apply to harness/gateway/" >&2; exit 2; }
        echo "broken-demo: gateway copy broken by $mutant"
    else
        builtin_patch | patch -p1 --quiet -d "$gw" ||
            { echo "broken-demo: the built-in patch no longer applies to gw_app.c" >&2; exit 2; }
        echo "broken-demo: gateway copy broken by the built-in patch (fallback sends 4 of the 5 events)"
    fi
}

# Seconds (with decimals) a libFuzzer run took to abort, or "no abort".
libfuzzer_time() {
    local name=$1 seeds=$2 start end
    mkdir -p "$dir/$name"
    cp "$seeds" "$dir/$name/" 2>/dev/null || cp "$seeds"/* "$dir/$name/"
    start=$(date +%s.%N)
    "$bin/libfuzzer/$t" -max_total_time="$secs" -dict="$bin/dict/$t.dict" \
        -artifact_prefix="$dir/$name-" "$dir/$name" >"$dir/$name.log" 2>&1
    end=$(date +%s.%N)
    if ls "$dir/$name"-crash-* >/dev/null 2>&1; then
        awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f s", b - a }'
    else
        echo "no abort in ${secs}s"
    fi
}

# AFL++ stops at its first crash; the crash file's time: field is ms since start.
afl_time() {
    local seeds=$1 first
    mkdir -p "$dir/afl-seeds" "$dir/out/$t"
    cp "$seeds" "$dir/afl-seeds/"
    afl_allow_tmp "$dir"
    AFL_BENCH_UNTIL_CRASH=1 timeout $((secs + 120)) afl-fuzz -S demo -i "$dir/afl-seeds" \
        -o "$dir/out/$t" -x "$bin/dict/$t.dict" -V "$secs" -t 2000 -- "$bin/afl/$t" \
        >"$dir/afl.log" 2>&1
    first=$(find "$dir/out/$t/demo/crashes" -name 'id:*' -printf '%f\n' 2>/dev/null | sort | head -n 1)
    if grep -q 'results in a crash' "$dir/afl.log"; then
        echo "0.0 s (the seed itself fails: AFL++ refuses to start)"
    elif [ -n "$first" ]; then
        echo "$first" | sed -n 's/.*time:\([0-9]*\).*/\1/p' | awk '{ printf "%.1f s", $1 / 1000 }'
    else
        echo "no abort in ${secs}s"
    fi
}

# One row of the table; a run that never aborted fails the demo.
row() {
    printf '  %-48s %s\n' "$1" "$2"
    case $2 in no*) rc=1 ;; esac
}

break_gateway
$MAKE -s -f Makefile -f fuzz/fuzz.mk FZ_GW_DIR="$gw" FZ_BIN="$bin" \
    "$bin/libfuzzer/$t" "$bin/afl/$t" "$bin/asan/$t" "$bin/replay/$t" "$bin/dict/$t.dict" \
    >"$dir/build.log" 2>&1 || { echo "broken-demo: build failed, see $dir/build.log" >&2; exit 2; }

one_seed=fuzz/corpus/$t/seed-none
echo "broken-demo: time to the first abort (cap ${secs}s per run)"
row "libFuzzer, whole seed corpus" "$(libfuzzer_time lf-corpus "fuzz/corpus/$t")"
row "libFuzzer, one seed with no fault enabled" "$(libfuzzer_time lf-one "$one_seed")"
row "AFL++ persistent, one seed with no fault enabled" "$(afl_time "$one_seed")"
echo "broken-demo: what the target said:"
grep -h -m1 'fuzz contract violation' "$dir"/lf-*.log | sed 's/^/  libFuzzer: /' | head -n 2
REGRESSIONS=$dir/regressions "$here/triage.sh" "$bin" "$dir/out" "$t" | sed 's/^/  /'
exit $rc
