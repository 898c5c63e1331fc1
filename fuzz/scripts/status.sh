#!/bin/bash
# Progress of every AFL++ instance under OUT_DIR (make fuzz-status):
#
#   status.sh OUT_DIR
#
# One line per instance from its fuzzer_stats: running (its pid is alive on
# this machine) or when its stats last changed (an instance of another
# machine sharing the folder shows under a minute), run time, execs/s, corpus, crashes, hangs, time
# since the last new path, stability. Then a total per target.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/afl-env.sh"

out=$1
now=$(date +%s)
found=0

duration() {
    local s=$1
    [ "$s" = - ] && { echo -; return; }
    if [ "$s" -lt 3600 ]; then
        printf '%dm%02ds' $((s / 60)) $((s % 60))
    else
        printf '%dh%02dm' $((s / 3600)) $((s % 3600 / 60))
    fi
}

# "running" when its pid is alive here; otherwise how long ago its stats
# last changed (another machine's instance keeps that under a minute).
state_of() {
    local stats=$1 pid last
    pid=$(afl_stat "$stats" fuzzer_pid)
    last=$(afl_stat "$stats" last_update | tr -c -d '0-9')
    if [ "$pid" != - ] && kill -0 "$pid" 2>/dev/null &&
        grep -q afl-fuzz "/proc/$pid/cmdline" 2>/dev/null; then
        echo running
    elif [ -n "$last" ]; then
        echo "seen $(duration $((now - last)))"
    else
        echo "-"
    fi
}

since_find() {
    local last
    last=$(afl_stat "$1" last_find)
    case $last in -|0) echo never ;; *) duration $((now - last)) ;; esac
}

printf '%-15s %-14s %-14s %8s %10s %8s %7s %5s %9s %9s\n' target instance state run \
    execs/s corpus crashes hangs last-find stability
for tdir in "$out"/*/; do
    t=$(basename "$tdir")
    total_execs=0
    total_crashes=0
    total_hangs=0
    n=0
    for stats in "$tdir"*/fuzzer_stats; do
        [ -f "$stats" ] || continue
        inst=$(basename "$(dirname "$stats")")
        crashes=$(afl_count "$(dirname "$stats")/crashes")
        hangs=$(afl_count "$(dirname "$stats")/hangs")
        printf '%-15s %-14s %-14s %8s %10s %8s %7s %5s %9s %9s\n' "$t" "$inst" \
            "$(state_of "$stats")" "$(duration "$(afl_stat "$stats" run_time)")" \
            "$(afl_stat "$stats" execs_per_sec)" "$(afl_stat "$stats" corpus_count)" \
            "$crashes" "$hangs" "$(since_find "$stats")" "$(afl_stat "$stats" stability)"
        execs=$(afl_stat "$stats" execs_done | tr -c -d '0-9')
        total_execs=$((total_execs + ${execs:-0}))
        total_crashes=$((total_crashes + crashes))
        total_hangs=$((total_hangs + hangs))
        n=$((n + 1))
    done
    [ "$n" -eq 0 ] && continue
    found=1
    printf '%-15s %-14s %d instances, %d execs, %d crashes, %d hangs\n' "$t" total "$n" \
        "$total_execs" "$total_crashes" "$total_hangs"
done
if [ "$found" -eq 0 ]; then
    echo "no campaign output under $out (run make fuzz or make fuzz-overnight)"
    exit 0
fi
echo "crashes and hangs: make fuzz-triage; AFL++'s own summary: afl-whatsup -s $out/<target>"
