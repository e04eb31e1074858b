#!/usr/bin/env bash
# Follows a run with curl over Server-Sent Events: the history first, then live, ending after
# run_complete. Each event is three lines, "id: <seq>", "event: <type>", "data: <envelope>",
# and a blank line. To resume after a dropped connection, pass the last id seen as AFTER
# (it is sent as Last-Event-ID, as an EventSource would).
# Usage: curl-sse.sh SERVER_URL RUN_ID [AFTER]     (STEPSTREAM_TOKEN: a bearer token, if needed)
set -euo pipefail
server="${1:?usage: curl-sse.sh SERVER_URL RUN_ID [AFTER]}"
run_id="${2:?usage: curl-sse.sh SERVER_URL RUN_ID [AFTER]}"
after="${3:-0}"
auth=()
[ -n "${STEPSTREAM_TOKEN:-}" ] && auth=(-H "Authorization: Bearer $STEPSTREAM_TOKEN")

# -N: print each event as it arrives instead of buffering; --fail-with-body: exit 22 with the
# JSON error on 400/404. A 204 means the run ended at or before AFTER: nothing more will come.
exec curl -sS -N --fail-with-body "${auth[@]}" \
  -H 'Accept: text/event-stream' -H "Last-Event-ID: $after" \
  "$server/api/v2/workflows/runs/$run_id/events"
