"""stepstream's Python client: follow a run live with exact resume by seq, watch all runs,
and call the REST API.

    from stepstream_client import Client
    client = Client("http://127.0.0.1:8080", token=None)
    follow = client.follow(run_id, after=0)
    for envelope in follow:
        print(envelope["seq"], envelope["type"])
    print("resume later with after =", follow.last_seq)

    for item in client.watch_runs():           # never ends by itself: break or close()
        if item["type"] == "connected":        # each time a connection opens
            runs = client.runs(limit=50)["runs"]
        else:
            print(item["type"], item.get("runId"))

AsyncClient offers the same with ``async for``.
"""
from ._core import (
    AsyncClient,
    AsyncFollow,
    AsyncRunWatch,
    Client,
    Follow,
    RunWatch,
    StepstreamError,
    backoff_delay,
    reconnects_after,
    retry_after_seconds,
    split_frame,
)

__all__ = [
    "AsyncClient",
    "AsyncFollow",
    "AsyncRunWatch",
    "Client",
    "Follow",
    "RunWatch",
    "StepstreamError",
    "backoff_delay",
    "reconnects_after",
    "retry_after_seconds",
    "split_frame",
]
