#!/usr/bin/env bash
# make soak-proof: prove the soak checker. For each harness/load/soak-*.patch
# builds a gateway from a patched copy of harness/ (the shipped sources stay
# clean) that loses or duplicates one agent event, runs a short soak against
# it and requires the checker to fail naming the request. A clean gateway
# must pass the same soak first. Exit 1 if a bug went unnoticed.
#
# Environment (set by bench.mk): CC, CFLAGS_MUT, LIBS; HARNESS (build/harness).
set -u
cd "$(dirname "$0")/../.."
. harness/tools/need.sh
need_programs patch "${CC%% *}" || exit 1
out=build/soak-proof
harness=${HARNESS:-build/harness}
soak=(soak --clients 50 --requests 40 --rounds 2 --app-faults 0 --net-faults 0 --messages 5 --quiet)
mkdir -p "$out"

if ! "$harness" "${soak[@]}" --gateway build/gateway >"$out/clean.log" 2>&1; then
    echo "the short soak fails on the clean gateway, so the proof proves nothing:" >&2
    tail -n 20 "$out/clean.log" >&2
    exit 1
fi
echo "clean gateway: $(tail -n 1 "$out/clean.log")"

status=0
for patch in harness/load/soak-*.patch; do
    id=$(basename "$patch" .patch)
    dir="$out/$id"
    fixtures/mutants/build.sh "$patch" "$dir" || exit 1
    "$harness" "${soak[@]}" --gateway "$dir/gateway" >"$dir/run.log" 2>&1
    rc=$?
    # The checker names requests as "rN (client C, request S, attempt A, ...)".
    named=$(grep -E '^  r[0-9]+ \(client [0-9]+, request [0-9]+' "$dir/run.log" | head -n 3)
    if [ "$rc" -eq 1 ] && [ -n "$named" ]; then
        echo "$id: caught"
        echo "$named"
    else
        echo "$id: NOT CAUGHT (exit $rc, see $dir/run.log)"
        status=1
    fi
done
exit $status
