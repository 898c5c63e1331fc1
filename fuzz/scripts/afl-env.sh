# shellcheck shell=bash
# Sourced by the campaign scripts: the AFL++ 4.04c environment they share.
#
# No UI (logs, not a terminal), no CPU frequency check, each instance bound
# to a free core when there is one and running unbound when there is not
# (AFL_TRY_AFFINITY), and the crash-reporting pipe check only relaxed when
# the kernel really pipes core dumps away. Binding matters: unbound, every
# execution waits for the target to be woken on another core, which on a
# 2-core machine made a trivial persistent target 7x slower (14k against
# 92k execs/s). AFL_NO_AFFINITY=1 still turns binding off.

export AFL_NO_UI=1
export AFL_SKIP_CPUFREQ=1
if [ -z "${AFL_NO_AFFINITY:-}" ]; then
    unset AFL_NO_AFFINITY
    export AFL_TRY_AFFINITY=1
fi
case "$(cat /proc/sys/kernel/core_pattern 2>/dev/null)" in
    '|'*) export AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 ;;
esac

# afl-cmin and afl-fuzz refuse folders under /tmp unless told otherwise.
afl_allow_tmp() {
    case "$(cd "$1" 2>/dev/null && pwd -P)" in
        /tmp/*) export AFL_ALLOW_TMP=1 ;;
    esac
}

# One "key : value" field of an AFL++ fuzzer_stats file ("-" when absent).
afl_stat() {
    local v
    v=$(sed -n "s/^$2[[:space:]]*: //p" "$1" 2>/dev/null | head -n 1)
    echo "${v:--}"
}

# Inputs AFL++ saved in one folder (crashes/ or hangs/ hold a README too).
afl_count() {
    find "$1" -maxdepth 1 -type f -name 'id:*' 2>/dev/null | wc -l
}
