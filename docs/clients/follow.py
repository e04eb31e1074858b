#!/usr/bin/env python3
"""Follows a stepstream run over its WebSocket stream and prints each envelope once, as JSON,
one per line, until run_complete. When the connection drops or closes with anything but 1000
it reconnects with after=<last seq>, so that nothing is lost or printed twice.

Needs the websockets library: apt-get install python3-websockets (or pip install websockets).
Usage: follow.py SERVER_URL RUN_ID [AFTER]    (STEPSTREAM_TOKEN: a bearer token, if needed)
Exit: 0 when the run ends success, 1 when it ends otherwise, 2 when it cannot be followed.
"""
import asyncio
import json
import os
import sys
import time
import urllib.request

import websockets

GIVE_UP_AFTER = 30.0  # seconds of failed reconnection attempts in a row
RETRYABLE = {429, 502, 503, 504}
# websockets 14 renamed the option that adds request headers.
HEADERS = "additional_headers" if int(websockets.__version__.split(".")[0]) >= 14 else "extra_headers"


def fail(message):
    print(f"follow.py: {message}", file=sys.stderr)
    sys.exit(2)


def status_of(error):
    """The HTTP status of a refused upgrade (websockets < 14: status_code; 14+: response)."""
    response = getattr(error, "response", None)
    return getattr(error, "status_code", None) or getattr(response, "status_code", None)


async def follow(server, run_id, after=0, token=None):
    """Prints the run's envelopes after seq `after`; returns run_complete's payload, or None
    when the run had already ended at or before `after`."""
    base = "ws" + server[len("http"):] if server.startswith("http") else server  # http->ws, https->wss
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    last_seq, failing_since, delay, connected = after, None, 0.1, False
    while True:
        url = f"{base}/api/v2/workflows/runs/{run_id}/stream?batch=1&after={last_seq}"
        try:
            async with websockets.connect(url, max_size=None, **{HEADERS: headers}) as socket:
                connected = True
                async for message in socket:
                    failing_since, delay = None, 0.1
                    # batch=1: several envelopes per message, one per line.
                    for line in message.split("\n"):
                        if not line.strip():
                            continue
                        envelope = json.loads(line)
                        seq = envelope.get("seq")
                        if seq is None or seq <= last_seq:
                            continue  # a control message (caught_up, pong), or already printed
                        last_seq = seq
                        print(line, flush=True)
                        if envelope["type"] == "run_complete":
                            return envelope["payload"]
                # The iteration also ends quietly on 1001 (server going away): only 1000 is the end.
                if socket.close_code == 1000:
                    return None
                reason = f"closed with {socket.close_code}"
        except websockets.exceptions.InvalidHandshake as error:
            status = status_of(error)
            if status is not None and status not in RETRYABLE:  # 400 bad id, 401/403 credentials, 404 no such run
                fail(f"the server refused the stream: {error}")
            reason = f"HTTP {status}"
        except (OSError, asyncio.TimeoutError, websockets.exceptions.ConnectionClosed) as error:
            if not connected and isinstance(error, OSError):
                fail(f"cannot reach {server}: {error}")
            reason = str(error) or type(error).__name__
        now = time.monotonic()
        failing_since = failing_since or now
        if now - failing_since > GIVE_UP_AFTER:
            fail(f"gave up after {GIVE_UP_AFTER:.0f} s ({reason}); resume with AFTER={last_seq}")
        print(f"follow.py: {reason}; resuming after seq {last_seq}", file=sys.stderr)
        await asyncio.sleep(delay)
        delay = min(delay * 2, 2.0)


def final_status(server, run_id, token):
    """The run's status from the REST API, for a run that had ended before `after`."""
    request = urllib.request.Request(f"{server}/api/v2/workflows/runs/{run_id}")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)["status"]


def main():
    if len(sys.argv) not in (3, 4):
        fail(__doc__.strip().splitlines()[-2])
    server, run_id, token = sys.argv[1].rstrip("/"), sys.argv[2], os.environ.get("STEPSTREAM_TOKEN")
    after = int(sys.argv[3]) if len(sys.argv) == 4 else 0
    end = asyncio.run(follow(server, run_id, after, token))
    status = end["status"] if end else final_status(server, run_id, token)
    sys.exit(0 if status == "success" else 1)


if __name__ == "__main__":
    main()
