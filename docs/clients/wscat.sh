#!/usr/bin/env bash
# Follows a run with wscat (npm install -g wscat): prints each envelope as the server sends it,
# one per line, and exits when the server closes the stream after run_complete.
# Usage: wscat.sh SERVER_URL RUN_ID [AFTER]     (STEPSTREAM_TOKEN: a bearer token, if needed)
set -euo pipefail
server="${1:?usage: wscat.sh SERVER_URL RUN_ID [AFTER]}"
run_id="${2:?usage: wscat.sh SERVER_URL RUN_ID [AFTER]}"
after="${3:-0}"
wscat="${WSCAT:-wscat}"

url="${server/#http/ws}/api/v2/workflows/runs/$run_id/stream?after=$after"   # http->ws, https->wss
auth=()
[ -n "${STEPSTREAM_TOKEN:-}" ] && auth=(-H "Authorization: Bearer $STEPSTREAM_TOKEN")

if [ -t 0 ]; then
  # At a terminal: wscat's interactive mode ("< " before each message; Ctrl-C to quit).
  exec "$wscat" "${auth[@]}" -c "$url"
fi
# Not at a terminal: -x sends one message ({"type":"ping"}, answered with a pong) and switches
# wscat to plain output; -w -1 keeps it open until the server closes. wscat also quits when its
# input ends, so a child of ours holds the input open until wscat is done.
coproc hold { exec sleep 86400; }  # exec: the PID below is the sleep itself
trap 'kill "$hold_PID" 2>/dev/null || true' EXIT
"$wscat" "${auth[@]}" -x '{"type":"ping"}' -w -1 -c "$url" <&"${hold[0]}"
