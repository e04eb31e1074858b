#!/usr/bin/env python3
"""The conformance driver of clients/python: see ../README.md for the arguments and the output.
--async drives AsyncClient; otherwise the sync Client."""
import argparse
import asyncio
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "python"))
from stepstream_client import AsyncClient, Client  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("server")
    parser.add_argument("run_id")
    parser.add_argument("--after", type=int, default=0)
    parser.add_argument("--types")
    parser.add_argument("--steps")
    parser.add_argument("--min-level")
    parser.add_argument("--token")
    parser.add_argument("--stall-after", type=int, default=-1)
    parser.add_argument("--stall-ms", type=int, default=0)
    parser.add_argument("--async", dest="use_async", action="store_true")
    args = parser.parse_args()
    options = dict(after=args.after, types=args.types, steps=args.steps, min_level=args.min_level,
                   backoff_base=0.1, backoff_cap=2.0, give_up_after=60.0)
    count, error = 0, None

    def show(envelope):
        nonlocal count
        sys.stdout.write(json.dumps(envelope) + "\n")
        sys.stdout.flush()
        count += 1
        return count == args.stall_after

    def describe(caught):
        return {"kind": getattr(caught, "kind", "crash"), "status": getattr(caught, "status", None),
                "code": getattr(caught, "code", None), "closeCode": getattr(caught, "close_code", None),
                "message": f"{type(caught).__name__}: {caught}"}

    if args.use_async:
        async def run():
            follow = AsyncClient(args.server, token=args.token).follow(args.run_id, **options)
            try:
                async for envelope in follow:
                    if show(envelope):
                        await asyncio.sleep(args.stall_ms / 1000)
            except Exception as caught:  # noqa: BLE001 - the driver reports every failure
                return follow, describe(caught)
            return follow, None
        follow, error = asyncio.run(run())
    else:
        follow = Client(args.server, token=args.token).follow(args.run_id, **options)
        try:
            for envelope in follow:
                if show(envelope):
                    time.sleep(args.stall_ms / 1000)
        except Exception as caught:  # noqa: BLE001
            error = describe(caught)
    print(json.dumps({"end": {"lastSeq": follow.last_seq, "reconnects": follow.reconnects, "error": error}}), flush=True)


if __name__ == "__main__":
    main()
