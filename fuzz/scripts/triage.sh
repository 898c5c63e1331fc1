#!/bin/bash
# Crashes and hangs of every campaign, replayed, bucketed and kept as
# regressions:
#
#   triage.sh BIN_DIR OUT_DIR TARGET...
#
# Each input under OUT_DIR/<target>/<instance>/{crashes,hangs}/ is replayed
# through the ASan+UBSan replay build (BIN_DIR/replay/<target>, 10 s limit).
# Its signature is the contract violation or sanitizer error plus the top
# three frames in project code (harness/ first, then fuzz/targets/); one
# input per new signature is minimised with afl-tmin (on the AFL++ ASan
# build) into fuzz/regressions/<target>/<bucket> (REGRESSIONS overrides the
# folder), beside <bucket>.txt whose first line is the signature. Inputs that do not fail when replayed alone
# (AFL++ 4.04c cannot record crashes that need earlier persistent
# iterations) are listed separately in BIN_DIR/triage/unreproducible.txt.
# Exit 1 when a new bucket was written, else 0.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../../harness/tools/need.sh"
need_programs afl-tmin sha1sum timeout || exit 2
. "$here/afl-env.sh"

bin=$1
out=$2
shift 2
reg=${REGRESSIONS:-fuzz/regressions}
tri=$bin/triage
rm -rf "$tri"
mkdir -p "$tri"
unrepro=$tri/unreproducible.txt
: >"$unrepro"
nnew=0
nknown=0
nunrepro=0
ninputs=0

# Sanitizer output is kept as printable ASCII only (it may quote input).
printable() {
    LC_ALL=C tr -cd '\11\12\40-\176'
}

# Replay one input; its report goes to $2. Returns the replay's status.
replay() {
    ASAN_OPTIONS=handle_abort=1:detect_leaks=1:symbolize=1:fast_unwind_on_malloc=0 \
    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 FUZZ_REPLAY_QUIET=1 \
        timeout -s KILL 10 "$bin/replay/$1" "$3" >"$2" 2>&1
}

# What went wrong, in one stable phrase (no addresses, no values).
error_of() {
    local log=$1 status=$2 line
    line=$(grep -m1 -o 'fuzz contract violation: [^(]*' "$log")
    [ -n "$line" ] && { echo "${line% }"; return; }
    grep -q 'ERROR: LeakSanitizer: detected memory leaks' "$log" &&
        { echo "LeakSanitizer: memory leak"; return; }
    line=$(grep -m1 -oE 'ERROR: AddressSanitizer: [A-Za-z-]+' "$log")
    [ -n "$line" ] && { echo "${line#ERROR: }"; return; }
    line=$(grep -m1 -oE '[A-Za-z0-9_./-]+:[0-9]+:[0-9]+: runtime error: [^0-9]*' "$log")
    [ -n "$line" ] && { echo "UBSan ${line##*/}" | sed 's/ *$//'; return; }
    [ "$status" -eq 137 ] && { echo "timeout (10 s)"; return; }
    echo "exit status $status"
}

# The top three frames in the code under test, then in the targets.
frames_of() {
    local log=$1 f
    f=$(grep -E '^ +#[0-9]+ 0x[0-9a-f]+ in [^ ]+ [^ ]*harness/' "$log" |
        awk '{print $4}' | head -n 3 | paste -sd'<' -)
    [ -z "$f" ] && f=$(grep -E '^ +#[0-9]+ 0x[0-9a-f]+ in [^ ]+ [^ ]*fuzz/targets/' "$log" |
        awk '{print $4}' | grep -vx 'fz_violation\|violation' | head -n 3 | paste -sd'<' -)
    echo "${f:-no project frame}" | sed 's/</ < /g'
}

# afl-tmin on the AFL++ ASan build; kept only if it still fails the same way.
minimise() {
    local t=$1 kind=$2 src=$3 dest=$4 sig=$5 flag="" status
    [ "$kind" = hang ] && flag=-H
    if timeout 600 afl-tmin $flag -t 5000 -i "$src" -o "$tri/min" -- "$bin/asan/$t" \
        >"$tri/tmin.log" 2>&1; then
        replay "$t" "$tri/min.log" "$tri/min"
        status=$?
        if [ "$(error_of "$tri/min.log" "$status") @ $(frames_of "$tri/min.log")" = "$sig" ]; then
            cp "$tri/min" "$dest"
            chmod 644 "$dest"
            return
        fi
    fi
    cp "$src" "$dest"
    chmod 644 "$dest"
}

write_signature() {
    local t=$1 kind=$2 src=$3 dest=$4 sig=$5 log=$6
    {
        echo "$t: $kind: $sig"
        echo "target: $t"
        echo "kind: $kind"
        echo "input: $(basename "$dest") ($(stat -c %s "$dest") bytes, from $(stat -c %s "$src"))"
        echo "found as: $src"
        echo "triaged: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
        echo "replay: $bin/replay/$t $dest"
        echo
        echo "report:"
        head -n 60 "$log" | printable
    } >"$dest.txt"
}

triage_one() {
    local t=$1 kind=$2 f=$3 status err sig bucket dest
    ninputs=$((ninputs + 1))
    replay "$t" "$tri/run.log" "$f"
    status=$?
    if [ "$status" -eq 0 ]; then
        echo "$t $kind $f" >>"$unrepro"
        nunrepro=$((nunrepro + 1))
        return
    fi
    err=$(error_of "$tri/run.log" "$status")
    sig="$err @ $(frames_of "$tri/run.log")"
    bucket=$kind-$(printf '%s' "$t $sig" | sha1sum | cut -c1-12)
    dest=$reg/$t/$bucket
    if [ -f "$dest" ]; then
        nknown=$((nknown + 1))
        return
    fi
    mkdir -p "$reg/$t"
    cp "$tri/run.log" "$tri/first.log"
    minimise "$t" "$kind" "$f" "$dest" "$sig"
    write_signature "$t" "$kind" "$f" "$dest" "$sig" "$tri/first.log"
    echo "NEW  $dest: $sig"
    nnew=$((nnew + 1))
}

for t in "$@"; do
    for f in "$out/$t"/*/crashes/id:* "$out/$t"/*/hangs/id:*; do
        [ -f "$f" ] || continue
        case $f in
            */hangs/*) triage_one "$t" hang "$f" ;;
            *) triage_one "$t" crash "$f" ;;
        esac
    done
done

echo "fuzz-triage: $ninputs inputs: $nnew new buckets, $nknown in known buckets," \
     "$nunrepro unreproducible"
if [ "$nunrepro" -gt 0 ]; then
    echo "unreproducible alone (listed in $unrepro):"
    sed 's/^/  /' "$unrepro"
fi
[ "$nnew" -gt 0 ] && echo "new regressions are in $reg/: fix the bug, keep the input"
[ "$nnew" -eq 0 ]
