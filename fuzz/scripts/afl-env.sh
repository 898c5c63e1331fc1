# shellcheck shell=bash
# Sourced by the campaign scripts: the AFL++ 4.04c environment they share.
#
# No UI (logs, not a terminal), no CPU frequency check, no core binding by
# default (binding fails once other jobs hold every core; set
# AFL_NO_AFFINITY= empty to bind), and the crash-reporting pipe check only
# relaxed when the kernel really pipes core dumps away.

export AFL_NO_UI=1
export AFL_SKIP_CPUFREQ=1
if [ -z "${AFL_NO_AFFINITY+set}" ]; then
    export AFL_NO_AFFINITY=1
elif [ -z "$AFL_NO_AFFINITY" ]; then
    unset AFL_NO_AFFINITY
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
