#!/usr/bin/env python3
"""The conformance driver of clients/python: see ../README.md for the arguments and the output.
--async drives AsyncClient; otherwise the sync Client. --watch watches the all-runs stream
(no RUN_ID) until the --until-complete'th run_complete."""
import argparse
import asyncio
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "python"))
from stepstream_client import AsyncClient, Client, _core  # noqa: E402

BACKOFF = dict(backoff_base=0.1, backoff_cap=2.0, give_up_after=60.0)
# CONFORMANCE_SILENCE_MS=quiet,deadAfter shortens the library's silence timings (its test knob, not API).
if os.environ.get("CONFORMANCE_SILENCE_MS"):
    _core._QUIET, _core._DEAD_AFTER = (int(ms) / 1000 for ms in os.environ["CONFORMANCE_SILENCE_MS"].split(","))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("server")
    parser.add_argument("run_id", nargs="?")
    parser.add_argument("--after", type=int, default=0)
    parser.add_argument("--types")
    parser.add_argument("--steps")
    parser.add_argument("--min-level")
    parser.add_argument("--token")
    parser.add_argument("--stall-after", type=int, default=-1)
    parser.add_argument("--stall-ms", type=int, default=0)
    parser.add_argument("--watch", action="store_true")
    parser.add_argument("--workflow")
    parser.add_argument("--until-complete", type=int, default=1)
    parser.add_argument("--async", dest="use_async", action="store_true")
    parser.add_argument("--runs", type=int)
    parser.add_argument("--retries", type=int)
    args = parser.parse_args()
    if (args.run_id is None) != (args.watch or args.runs is not None):
        parser.error("give a RUN_ID, or --watch or --runs N without one")
    retries = {} if args.retries is None else {"retries": args.retries}
    try:
        client = (AsyncClient if args.use_async else Client)(args.server, token=args.token, **retries)
    except ValueError as refused:  # a server URL the library refuses: its message is what the suite checks
        print(json.dumps({"end": {"error": {"kind": "argument", "message": str(refused)}}}), flush=True)
        return

    if args.runs is not None:
        print(json.dumps({"end": {"error": list_runs(client, args)}}), flush=True)
        return
    if args.watch:
        stream = client.watch_runs(workflow_id=args.workflow, **BACKOFF)
        completes = 0

        def done(item):
            nonlocal completes
            completes += item.get("type") == "run_complete"
            return completes >= args.until_complete
        error = consume(stream, args, done)
        end = {"reconnects": stream.reconnects, "error": error}
    else:
        stream = client.follow(args.run_id, after=args.after, types=args.types, steps=args.steps,
                               min_level=args.min_level, **BACKOFF)
        error = consume(stream, args, lambda item: False)
        end = {"lastSeq": stream.last_seq, "reconnects": stream.reconnects, "error": error}
    print(json.dumps({"end": end}), flush=True)


def consume(stream, args, done):
    """Prints each item of the stream as a JSON line, pauses once after the --stall-after'th
    without reading, and stops after an item that is done(); the error that ended it, or None."""
    count = 0

    def show(item):
        """The pause to make after this item, in seconds (None: none)."""
        nonlocal count
        sys.stdout.write(json.dumps(item) + "\n")
        sys.stdout.flush()
        count += 1
        return args.stall_ms / 1000 if count == args.stall_after else None

    if args.use_async:
        async def run():
            try:
                async for item in stream:
                    pause = show(item)
                    if pause is not None:
                        await asyncio.sleep(pause)
                    if done(item):
                        break
            except Exception as caught:  # noqa: BLE001 - the driver reports every failure
                return describe(caught)
            return None
        return asyncio.run(run())
    try:
        for item in stream:
            pause = show(item)
            if pause is not None:
                time.sleep(pause)
            if done(item):
                break
    except Exception as caught:  # noqa: BLE001
        return describe(caught)
    finally:
        stream.close()
    return None


def list_runs(client, args):
    """The REST mode: runs(limit=1) --runs times in a row, each answer as {"runs": <how many>};
    the error that ended it, or None."""
    async def run():
        for _ in range(args.runs):
            print(json.dumps({"runs": len((await client.runs(limit=1))["runs"])}), flush=True)
    try:
        if args.use_async:
            asyncio.run(run())
        else:
            for _ in range(args.runs):
                print(json.dumps({"runs": len(client.runs(limit=1)["runs"])}), flush=True)
    except Exception as caught:  # noqa: BLE001 - the driver reports every failure
        return describe(caught)
    return None


def describe(caught):
    return {"kind": getattr(caught, "kind", "crash"), "status": getattr(caught, "status", None),
            "code": getattr(caught, "code", None), "closeCode": getattr(caught, "close_code", None),
            "message": f"{type(caught).__name__}: {caught}"}


if __name__ == "__main__":
    main()
