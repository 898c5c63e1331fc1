#!/bin/sh
# Judge a third-party echo server with the conformance cases: Debian's
# python3-websockets (a library that passes Autobahn|Testsuite), started
# from a tiny inline server on a free loopback port. It is the server under
# test here, not project code. The run fails when any case gets a FAILED
# behavior verdict or the harness itself fails for another reason than a
# known deviation of that server (there is none listed today).
#
#   [HARNESS_FLAGS='-j2 --strict'] harness/tests/third_party_echo.sh [scenario paths]
#
# Default path: scenarios/conformance/generated (build/gen-conformance
# writes it; the hand-written scenarios/conformance/gateway-*.json speak the
# reference gateway's protocol on /ws). Results go to
# build/reports/third-party-echo. The server offers
# permessage-deflate (websockets' default) and accepts messages up to
# 32 MiB, as servers judged with Autobahn's limits cases are configured.
set -eu

PY=/usr/bin/python3
HARNESS=${HARNESS:-build/harness}
OUT=build/reports/third-party-echo
WORK=$(mktemp -d "${TMPDIR:-/tmp}/third-party-echo.XXXXXX")
SERVER_PID=

cleanup() {
    if [ -n "$SERVER_PID" ]; then
        kill "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

if ! "$PY" -c 'import websockets' 2>/dev/null; then
    harness/tools/need.sh packages python3-websockets || exit 2
fi
[ -x "$HARNESS" ] || { echo "third_party_echo: $HARNESS is missing (run make)" >&2; exit 2; }

cat >"$WORK/echo.py" <<'EOF'
import asyncio, os, sys
import websockets

async def echo(ws, path=None):
    try:
        async for message in ws:
            await ws.send(message)
    except websockets.ConnectionClosed:
        pass

async def main(port_file):
    async with websockets.serve(echo, "127.0.0.1", 0, max_size=2 ** 25,
                                ping_interval=None) as server:
        port = server.sockets[0].getsockname()[1]
        with open(port_file + ".tmp", "w") as f:
            f.write(str(port))
        os.rename(port_file + ".tmp", port_file)
        await asyncio.Future()

asyncio.run(main(sys.argv[1]))
EOF

"$PY" "$WORK/echo.py" "$WORK/port" 2>"$WORK/server.log" &
SERVER_PID=$!
i=0
while [ ! -s "$WORK/port" ]; do
    i=$((i + 1))
    if [ $i -gt 100 ] || ! kill -0 "$SERVER_PID" 2>/dev/null; then
        echo "third_party_echo: the websockets server did not start:" >&2
        tail -n 5 "$WORK/server.log" >&2
        exit 2
    fi
    sleep 0.1
done
PORT=$(cat "$WORK/port")
VERSION=$("$PY" -c 'import websockets; print(websockets.__version__)')
echo "third_party_echo: python3-websockets $VERSION on ws://127.0.0.1:$PORT/"

[ $# -gt 0 ] || set -- scenarios/conformance/generated
echo '{"known_issues": []}' >"$WORK/known.json"

rc=0
# shellcheck disable=SC2086
"$HARNESS" --url "ws://127.0.0.1:$PORT/" --known-issues "$WORK/known.json" --out "$OUT" \
    --history "build/reports/third-party-history.jsonl" \
    ${HARNESS_FLAGS:-} "$@" >"$WORK/run.log" 2>&1 || rc=$?
cat "$WORK/run.log"
if grep -q '^verdicts .*FAILED' "$WORK/run.log"; then
    echo "third_party_echo: FAILED verdicts against python3-websockets $VERSION" >&2
    exit 1
fi
exit $rc
