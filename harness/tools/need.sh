#!/usr/bin/env bash
# need.sh: what the Makefile and the scripts need from the machine, in one
# place, so that the README's two commands work on a fresh Debian machine.
#
#   harness/tools/need.sh packages PKG...   install the Debian packages that
#                                           are missing (apt-get update first;
#                                           root only, else a clear error)
#   harness/tools/need.sh programs PROG...  fail with "PROG: not installed"
#                                           when a program is not on PATH
#
# Scripts may also source this file and call need_packages / need_programs.
# A program that is missing is named as such: a failed `patch` must not be
# reported as a patch that no longer applies.

need_packages() {
    local missing="" p
    for p in "$@"; do
        dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
    done
    [ -z "$missing" ] && return 0
    if [ "$(id -u)" != 0 ]; then
        echo "error: missing Debian packages:$missing (run make as root, or install them)" >&2
        return 1
    fi
    echo "installing:$missing"
    apt-get update -qq &&
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null || {
        echo "error: could not install:$missing" >&2
        return 1
    }
}

need_programs() {
    local p rc=0
    for p in "$@"; do
        if ! command -v "$p" >/dev/null 2>&1; then
            echo "$p: not installed (make installs it; or apt-get install the package that ships it)" >&2
            rc=1
        fi
    done
    return $rc
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    what=${1:-}
    shift || true
    case "$what" in
    packages) need_packages "$@" ;;
    programs) need_programs "$@" ;;
    *) echo "usage: $0 packages PKG... | programs PROG..." >&2; exit 2 ;;
    esac
fi
