#!/bin/bash
# The long unattended campaign behind `make fuzz-overnight`:
#
#   overnight.sh BIN_DIR OUT_DIR TARGET...
#
# HOURS (default 8) of wall clock in all, split evenly between the targets,
# which run one after the other; JOBS instances per target (default: cores):
#   -M main    the plain persistent build with a CmpLog build (-c)
#   -S asan    the ASan+UBSan build, exactly one
#   -S s2...   the plain build, each with another power schedule (-p)
# With FUZZ_MAIN=0 (a further machine) all JOBS are plain -S instances.
# Each instance stops itself after its -V budget. An instance whose folder
# already holds fuzzer_stats resumes (-i -) instead of starting over.
# Afterwards every instance's queue (every machine's, when OUT_DIR is
# shared) is merged with the corpus and minimised with afl-cmin; the result
# becomes fuzz/corpus/<target>/: the seed-* files plus q-<sha1> files (review
# before committing: committed corpora should stay small).
#
# Several machines, one shared OUT_DIR (NFS or similar): set
# FUZZ_INSTANCE_PREFIX to something unique per machine (e.g. "$(hostname
# -s)-") and FUZZ_MAIN=0 everywhere but on one machine, which runs -M and
# the merge. AFL++'s own -M/-S sync does the rest.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../../harness/tools/need.sh"
need_programs afl-fuzz afl-cmin sha1sum timeout || exit 2
. "$here/afl-env.sh"

bin=$1
out=$2
shift 2
hours=${HOURS:-8}
jobs=${JOBS:-$(nproc)}
prefix=${FUZZ_INSTANCE_PREFIX:-}
main=${FUZZ_MAIN:-1}
schedules=(fast coe explore lin quad exploit rare seek)
secs=$(awk -v h="$hours" -v n="$#" 'BEGIN { s = int(h * 3600 / n); print (s < 60 ? 60 : s) }')
pids=()
mine=()

stop_all() {
    [ "${#pids[@]}" -gt 0 ] && kill "${pids[@]}" 2>/dev/null
    wait
    reap_leftovers
    exit 130
}
trap stop_all INT TERM

# AFL++ 4.04c can leave a CmpLog target process behind after -V ends,
# stopped and orphaned, still holding the instance folder (and its lock, so
# the next resume fails). Whatever process still has one of this run's
# instance folders open once every afl-fuzz is gone is such a leftover.
reap_leftovers() {
    local d p real
    for d in "${mine[@]}"; do
        real=$(cd "$d" 2>/dev/null && pwd -P) || continue
        for p in /proc/[0-9]*; do
            [ "${p#/proc/}" = $$ ] && continue
            if find "$p/fd" -maxdepth 1 -lname "$real" 2>/dev/null | grep -q .; then
                kill -KILL "${p#/proc/}" 2>/dev/null
            fi
        done
    done
    mine=()
}

# Start one instance in the background: NAME TARGET BINARY [afl-fuzz options].
start() {
    local name=$prefix$1 t=$2 target=$3 input
    shift 3
    input=fuzz/corpus/$t
    [ -f "$out/$t/$name/fuzzer_stats" ] && input=-
    timeout $((secs + 900)) afl-fuzz "$@" -i "$input" -o "$out/$t" -x "$bin/dict/$t.dict" \
        -V "$secs" -t 2000 -- "$target" >"$out/$t/$name.log" 2>&1 &
    pids+=($!)
    mine+=("$out/$t/$name")
    echo "  $name: pid $!$([ "$input" = - ] && echo ', resumed')"
}

# The queues of every instance and the corpus, minimised with afl-cmin. The
# seeds (seed-*) always stay; the q-* files become exactly the minimised
# inputs that are not seeds, so merging again never piles up redundant ones.
merge() {
    local t=$1 m=$bin/merge/$1 q inst added=0 dropped=0 sum f
    rm -rf "$m"
    mkdir -p "$m/in"
    cp "fuzz/corpus/$t"/* "$m/in/" 2>/dev/null
    for q in "$out/$t"/*/queue/id:*; do
        [ -f "$q" ] || continue
        inst=$(basename "$(dirname "$(dirname "$q")")")
        cp "$q" "$m/in/$inst-$(basename "$q" | cut -c1-9)"
    done
    afl_allow_tmp "$m"
    if ! afl-cmin -i "$m/in" -o "$m/min" -t 2000 -- "$bin/afl/$t" - >"$m/cmin.log" 2>&1; then
        echo "  merge $t: afl-cmin failed, see $m/cmin.log"
        return
    fi
    sha1sum "$m/min"/* | cut -c1-40 | sort -u >"$m/keep"
    sha1sum "fuzz/corpus/$t"/seed-* 2>/dev/null | cut -c1-40 >"$m/seeds"
    for f in "fuzz/corpus/$t"/q-*; do
        [ -f "$f" ] || continue
        grep -qx "$(sha1sum "$f" | cut -c1-40)" "$m/keep" && continue
        rm -f "$f"
        dropped=$((dropped + 1))
    done
    for f in "$m/min"/*; do
        sum=$(sha1sum "$f" | cut -c1-40)
        grep -qx "$sum" "$m/seeds" && continue
        [ -f "fuzz/corpus/$t/q-${sum:0:12}" ] && continue
        cp "$f" "fuzz/corpus/$t/q-${sum:0:12}"
        added=$((added + 1))
    done
    echo "  merge $t: $(wc -l <"$m/keep") inputs after afl-cmin;" \
         "fuzz/corpus/$t/: $added added, $dropped redundant removed"
}

# This machine's instances of one target, then (on the main machine) the merge.
run_target() {
    local t=$1 i first=0
    mkdir -p "$out/$t"
    afl_allow_tmp "$out/$t"
    echo "fuzz-overnight $t: $jobs instances, ${secs}s, output $out/$t"
    pids=()
    if [ "$main" != 0 ]; then
        start main "$t" "$bin/afl/$t" -M "${prefix}main" -c "$bin/cmplog/$t"
        [ "$jobs" -ge 2 ] && start asan "$t" "$bin/asan/$t" -S "${prefix}asan"
        first=2
    fi
    for ((i = first; i < jobs; i++)); do
        start "s$i" "$t" "$bin/afl/$t" -S "${prefix}s$i" -p "${schedules[i % ${#schedules[@]}]}"
    done
    wait "${pids[@]}"
    reap_leftovers
    if [ "$main" != 0 ]; then
        merge "$t"
    fi
}

echo "fuzz-overnight: ${hours}h in all, $# targets, ${secs}s each, JOBS=$jobs"
for t in "$@"; do
    run_target "$t"
done
"$here/status.sh" "$out"
