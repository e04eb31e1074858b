"""stepstream's Python client: follow a run live with exact resume by seq, and call the REST API.

    from stepstream_client import Client
    client = Client("http://127.0.0.1:8080", token=None)
    follow = client.follow(run_id, after=0)
    for envelope in follow:
        print(envelope["seq"], envelope["type"])
    print("resume later with after =", follow.last_seq)

AsyncClient offers the same with ``async for``.
"""
from ._core import (
    AsyncClient,
    AsyncFollow,
    Client,
    Follow,
    StepstreamError,
    backoff_delay,
    reconnects_after,
    retry_after_seconds,
    split_frame,
)

__all__ = [
    "AsyncClient",
    "AsyncFollow",
    "Client",
    "Follow",
    "StepstreamError",
    "backoff_delay",
    "reconnects_after",
    "retry_after_seconds",
    "split_frame",
]
