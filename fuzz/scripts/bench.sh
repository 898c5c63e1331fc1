#!/bin/bash
# Executions per second of one target under each engine, measured in one run:
#
#   bench.sh BIN_DIR TARGET
#
# Same seeds (fuzz/corpus/TARGET), same dictionary, BENCH_SECONDS each
# (default 20), one after the other on one core. The fork server build is
# the same code with a plain main reading the file AFL++ names (@@): one
# fork per input, which is what persistent mode saves. Output goes to
# BIN_DIR/bench/TARGET/, never to the campaign folder the report reads; the
# figures also to BIN_DIR/bench/TARGET/bench.json, which make bench puts in
# reports/bench.json. AFL++ instances are bound to a free core when there
# is one (afl-env.sh): unbound, the figures measure the scheduler.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../../harness/tools/need.sh"
need_programs afl-fuzz timeout || exit 2
. "$here/afl-env.sh"

bin=$1
t=$2
secs=${BENCH_SECONDS:-20}
work=$bin/bench/$t
dict=$bin/dict/$t.dict
rm -rf "$work"
mkdir -p "$work"
afl_allow_tmp "$work"

# execs/s of one AFL++ run, from its fuzzer_stats ("-" when it did not run).
afl_rate() {
    local name=$1
    shift
    timeout $((secs + 120)) afl-fuzz -i "fuzz/corpus/$t" -o "$work/$name" -x "$dict" \
        -V "$secs" -t 2000 -- "$@" >"$work/$name.log" 2>&1
    afl_stat "$work/$name/default/fuzzer_stats" execs_per_sec
}

libfuzzer_rate() {
    mkdir -p "$work/libfuzzer-corpus"
    cp "fuzz/corpus/$t"/* "$work/libfuzzer-corpus/"
    timeout $((secs + 120)) "$bin/libfuzzer/$t" -max_total_time="$secs" -print_final_stats=1 \
        -dict="$dict" "$work/libfuzzer-corpus" >"$work/libfuzzer.log" 2>&1
    v=$(sed -n 's/^stat::average_exec_per_sec:[[:space:]]*//p' "$work/libfuzzer.log")
    echo "${v:--}"
}

ratio() {
    awk -v a="$1" -v b="$2" 'BEGIN { if (a + 0 > 0 && b + 0 > 0) printf "%.2fx", b / a; else print "-" }'
}

echo "fuzz-bench $t: ${secs}s per engine, one after the other, same seeds and dictionary"
persistent=$(afl_rate persistent "$bin/afl/$t")
fork=$(afl_rate fork "$bin/fork/$t" @@)
asan=$(afl_rate asan "$bin/asan/$t")
libfuzzer=$(libfuzzer_rate)
{
    printf '  %-52s %10s %14s\n' engine execs/s "vs persistent"
    printf '  %-52s %10s %14s\n' "AFL++ persistent (afl-clang-fast -fsanitize=fuzzer)" \
        "$persistent" "$(ratio "$persistent" "$persistent")"
    printf '  %-52s %10s %14s\n' "AFL++ fork server (same code, plain main, @@)" \
        "$fork" "$(ratio "$persistent" "$fork")"
    printf '  %-52s %10s %14s\n' "AFL++ persistent, ASan+UBSan (make fuzz uses this)" \
        "$asan" "$(ratio "$persistent" "$asan")"
    printf '  %-52s %10s %14s\n' "libFuzzer (clang -fsanitize=fuzzer)" \
        "$libfuzzer" "$(ratio "$persistent" "$libfuzzer")"
} | tee "$work/bench.txt"
num() { case "$1" in ''|-) echo null ;; *) echo "$1" ;; esac; }
cat >"$work/bench.json.tmp" <<JSON
{"target": "$t", "seconds_per_engine": $secs,
 "execs_per_s": {"afl_persistent": $(num "$persistent"), "afl_fork_server": $(num "$fork"),
                 "afl_persistent_asan": $(num "$asan"), "libfuzzer": $(num "$libfuzzer")}}
JSON
mv "$work/bench.json.tmp" "$work/bench.json"
echo "logs and figures: $work/"
