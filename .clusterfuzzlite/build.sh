#!/bin/bash -eu
# ClusterFuzzLite / OSS-Fuzz build of every fuzz target, libFuzzer style:
# $CC $CFLAGS for the objects, $LIB_FUZZING_ENGINE at link, binaries in $OUT
# with <target>.dict and <target>_seed_corpus.zip beside each.
#
# The target list, each target's sources, the dictionaries, the include
# flags and the libraries come from fuzz/fuzz.mk (make fuzz-sources), so
# this build and the Makefile's cannot drift apart. `make fuzz-cfl-build`
# runs this file locally with clang and libFuzzer.
#
# The runner image lacks the gateway's shared libraries: they are copied to
# $OUT/lib and found through the binaries' $ORIGIN/lib run path.

root=$PWD
[ -d "$root/harness" ] || root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
. harness/tools/need.sh
need_programs zip ldd "${CC%% *}" || exit 1
work=${WORK:-/tmp}/wsfault-cfl
mkdir -p "$work/obj" "$OUT/lib"

facts=$(${MAKE:-make} -s --no-print-directory -f Makefile -f fuzz/fuzz.mk fuzz-sources)
cppflags=$(sed -n 's/^cppflags //p' <<<"$facts")
libs=$(sed -n 's/^libs //p' <<<"$facts")
targets=$(sed -n 's/^target \([^ ]*\) .*/\1/p' <<<"$facts")

sources_of() {
    sed -n "s/^target $1 //p" <<<"$facts"
}

object_of() {
    echo "$work/obj/${1%.c}.o"
}

# Every source once, as many at a time as there are cores.
compile_all() {
    local src running=0
    for src in $(sed -n 's/^target [^ ]* //p' <<<"$facts" | tr ' ' '\n' | sort -u); do
        mkdir -p "$(dirname "$(object_of "$src")")"
        # shellcheck disable=SC2086
        $CC $CFLAGS $cppflags -c "$src" -o "$(object_of "$src")" &
        running=$((running + 1))
        if [ "$running" -ge "$(nproc)" ]; then
            wait -n
            running=$((running - 1))
        fi
    done
    while [ "$running" -gt 0 ]; do
        wait -n
        running=$((running - 1))
    done
}

# Shared libraries the binary needs, except the C runtime every image has.
copy_libs() {
    ldd "$1" | awk '$3 ~ /^\// { print $3 }' |
        grep -Ev '/(libc|libm|libdl|librt|libpthread|libresolv|libstdc\+\+|libgcc_s|ld-linux[^/]*)\.so' |
        while read -r lib; do cp -L "$lib" "$OUT/lib/"; done
}

compile_all
for t in $targets; do
    objs=""
    for src in $(sources_of "$t"); do
        objs="$objs $(object_of "$src")"
    done
    # $ORIGIN is the dynamic linker's, not the shell's.
    # shellcheck disable=SC2086,SC2016
    $CC $CFLAGS $objs $LIB_FUZZING_ENGINE -o "$OUT/$t" $libs -Wl,-rpath,'$ORIGIN/lib'
    copy_libs "$OUT/$t"
    # shellcheck disable=SC2046
    cat $(sed -n "s/^dict $t //p" <<<"$facts") >"$OUT/$t.dict"
    rm -f "$OUT/${t}_seed_corpus.zip"
    zip -q -j "$OUT/${t}_seed_corpus.zip" "fuzz/corpus/$t"/*
done
echo "built into $OUT:" "$(tr "\n" " " <<<"$targets")"
