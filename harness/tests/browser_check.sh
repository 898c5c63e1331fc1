#!/bin/sh
# browser_check: the HTML report opened in a real browser (Debian's chromium,
# headless), from a results document full of hostile peer text.
#
# Checks that the page renders the totals and the regression, that no
# script from the test data ran (the title is not 'pwned', no <img> element
# exists) while the page's own script did (its filter box is there, so the
# Content-Security-Policy hash is right), and saves a screenshot next to the
# report. Prints one PASS or FAIL line; exits 1 on failure.
#
#   harness/tests/browser_check.sh [OUT_DIR]     (default build/browser-check)
#   HARNESS=path/to/harness                      (default build/harness)
#
# Chromium is installed from Debian when missing (as root).

set -u

OUT=${1:-build/browser-check}
HARNESS=${HARNESS:-build/harness}
FIXTURES=fixtures/report
PWNED="document.title='pwned'"

fail() {
    echo "browser check: FAIL: $*"
    exit 1
}

ensure_chromium() {
    command -v chromium >/dev/null 2>&1 && return 0
    harness/tools/need.sh packages chromium || fail "chromium is missing and could not be installed"
}

# browse ARGS...: chromium on the page, with a fresh profile and nothing
# that would reach the network on its own.
browse() {
    profile=$(mktemp -d)
    timeout 120 chromium --headless --no-sandbox --disable-gpu --no-first-run \
        --disable-background-networking --disable-component-update --disable-sync \
        --user-data-dir="$profile" "$@" "$URL" 2>>"$OUT/chromium.log"
    status=$?
    rm -rf "$profile"
    return $status
}

# expect PATTERN WHAT: the dumped page must contain PATTERN (fixed string).
expect() {
    grep -qF -- "$1" "$OUT/dom.html" || fail "$2"
}

make_report() {
    [ -x "$HARNESS" ] || fail "$HARNESS is not built (run make)"
    mkdir -p "$OUT" || fail "cannot create $OUT"
    rm -f "$OUT/index.html" "$OUT/dom.html" "$OUT/screenshot.png" "$OUT/chromium.log"
    cp "$FIXTURES/hostile-results.json" "$OUT/results.json" &&
        cp "$FIXTURES/hostile-baseline.json" "$OUT/baseline.json" ||
        fail "cannot copy the fixtures from $FIXTURES (run from the repository root)"
    "$HARNESS" report "$OUT/results.json" --baseline "$OUT/baseline.json" \
        --history "$OUT/history.jsonl" --out "$OUT/index.html" >/dev/null ||
        fail "$HARNESS report could not write the page"
    URL="file://$(cd "$OUT" && pwd)/index.html"
}

check_dom() {
    browse --dump-dom >"$OUT/dom.html" || fail "chromium could not load $URL (see $OUT/chromium.log)"
    title=$(grep -o '<title>[^<]*</title>' "$OUT/dom.html" | head -n 1)
    case "$title" in
    *pwned*) fail "a script from the test data ran: the title is $title" ;;
    "<title>wsfault: 1 new failure since the baseline"*) ;;
    *) fail "unexpected title: $title" ;;
    esac
    expect 'id="totals"' "no totals on the page"
    expect '>3 passed<' "the totals do not show 3 passed"
    expect '>2 failed<' "the totals do not show 2 failed"
    expect '>1 skipped<' "the totals do not show 1 skipped"
    expect "&lt;img src=x onerror=$PWNED&gt;" "the hostile text is not shown as text"
    expect 'New failures (1)' "the regression diff does not list the new failure"
    expect 'type="search"' "the page's own script did not run (Content-Security-Policy hash?)"
    grep -q '<img' "$OUT/dom.html" && fail "an <img> element from the test data exists"
    [ "$(grep -o '<script' "$OUT/dom.html" | wc -l)" -eq 1 ] ||
        fail "a <script> element from the test data exists"
    # Attribute values removed first: they may hold "onerror=" as text.
    sed -E 's/="[^"]*"//g' "$OUT/dom.html" | grep -qE '<[a-z0-9]+[[:space:]][^>]*[[:space:]]on[a-z]+' &&
        fail "an element has an event handler attribute"
    return 0
}

take_screenshot() {
    browse --screenshot="$(cd "$OUT" && pwd)/screenshot.png" --window-size=1280,2000 >/dev/null ||
        fail "chromium could not take a screenshot (see $OUT/chromium.log)"
    [ -s "$OUT/screenshot.png" ] || fail "no screenshot was written"
}

ensure_chromium
make_report
check_dom
take_screenshot
echo "browser check: PASS (totals rendered, no script from the test data ran," \
    "screenshot $OUT/screenshot.png)"
