#!/bin/bash
# The short campaign behind `make fuzz`: one AFL++ instance per target, one
# after the other, FUZZ_SECONDS each (default 60).
#
#   campaign.sh BIN_DIR OUT_DIR TARGET...
#
# Each run starts fresh as instance "ci" in OUT_DIR/<target>/ci (beside any
# overnight instances, whose queues it syncs from), on the ASan+UBSan build
# so a memory error is a finding too. Prints per target execs/s, corpus size
# and findings. Exit 0: no finding; 1: a crash or hang (run make fuzz-triage);
# 2: a run could not start.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../../harness/tools/need.sh"
need_programs afl-fuzz timeout || exit 2
. "$here/afl-env.sh"

bin=$1
out=$2
shift 2
secs=${FUZZ_SECONDS:-60}
rc=0
rows=()

# One target; appends its row to rows and raises rc on a finding.
run_target() {
    local t=$1 dir=$out/$1 inst=$out/$1/ci stats crashes hangs
    rm -rf "$inst"
    mkdir -p "$dir"
    afl_allow_tmp "$dir"
    echo "fuzz $t: ${secs}s on $bin/asan/$t"
    timeout $((secs + 300)) afl-fuzz -S ci -i "fuzz/corpus/$t" -o "$dir" \
        -x "$bin/dict/$t.dict" -V "$secs" -t 2000 -- "$bin/asan/$t" \
        >"$dir/ci.log" 2>&1
    stats=$inst/fuzzer_stats
    if [ ! -f "$stats" ]; then
        echo "fuzz $t: afl-fuzz did not start; the end of $dir/ci.log:" >&2
        tail -n 15 "$dir/ci.log" | LC_ALL=C tr -cd '\11\12\40-\176' >&2
        rows+=("$(printf '%-15s %10s %12s %8s %8s %6s %10s' "$t" - - - - - 'no start')")
        rc=2
        return
    fi
    crashes=$(afl_count "$inst/crashes")
    hangs=$(afl_count "$inst/hangs")
    rows+=("$(printf '%-15s %10s %12s %8s %8s %6s %10s' "$t" \
        "$(afl_stat "$stats" execs_per_sec)" "$(afl_stat "$stats" execs_done)" \
        "$(afl_stat "$stats" corpus_count)" "$crashes" "$hangs" \
        "$(afl_stat "$stats" stability)")")
    if [ "$crashes" -gt 0 ] || [ "$hangs" -gt 0 ]; then
        [ "$rc" -eq 0 ] && rc=1
    fi
}

for t in "$@"; do
    run_target "$t"
done

echo
printf '%-15s %10s %12s %8s %8s %6s %10s\n' target execs/s execs corpus crashes hangs stability
printf '%s\n' "${rows[@]}"
case $rc in
    0) echo "fuzz: no finding in ${secs}s per target" ;;
    1) echo "fuzz: FINDINGS - inputs in $out/<target>/ci/{crashes,hangs}; run make fuzz-triage" ;;
    *) echo "fuzz: a campaign could not start (see the logs above)" ;;
esac
exit $rc
