"""Unit tests of the follower against scripted connections: no server, no network.
Run: /usr/bin/python3 -m unittest discover -s clients/python/tests"""
import asyncio
import json
import os
import sys
import unittest
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
import websockets.exceptions  # noqa: E402

from stepstream_client import AsyncClient, Client, StepstreamError, backoff_delay, retry_after_seconds, split_frame  # noqa: E402

RUN = "550e8400-e29b-41d4-a716-446655440000"


def env(seq, kind="step_log"):
    return json.dumps({"runId": RUN, "seq": seq, "type": kind, "time": "2026-01-01T00:00:00.000Z", "payload": {}})


class Scripted:
    """A stand-in for websockets.connect: each call plays the next script, a list of frames
    ending with ("close", code) or ("refuse", status, headers)."""

    def __init__(self, scripts):
        self.scripts = list(scripts)
        self.urls = []
        self.options = []

    def __call__(self, url, **options):
        self.urls.append(urllib.parse.urlsplit(url))
        self.options.append(options)
        return _Connection(self.scripts.pop(0))


class _Connection:
    def __init__(self, script):
        self.script = list(script)
        self.close_code = None
        self.close_reason = ""

    async def __aenter__(self):
        if self.script and self.script[0][0] == "refuse":
            _, status, headers = self.script[0]
            raise websockets.exceptions.InvalidStatusCode(status, headers)
        return self

    async def __aexit__(self, *exc):
        return False

    async def recv(self):
        step = self.script.pop(0)
        if isinstance(step, tuple):
            self.close_code = step[1]
            raise websockets.exceptions.ConnectionClosedError(None, None)
        return step


FAST = {"backoff_base": 0.001, "backoff_cap": 0.002}


class Pure(unittest.TestCase):
    def test_a_batched_frame_is_split_on_newlines(self):
        frame = env(1) + "\n" + json.dumps({"type": "caught_up", "payload": {"seq": 1}}) + "\n\n" + env(2)
        self.assertEqual([m.get("seq", m["type"]) for m in split_frame(frame)], [1, "caught_up", 2])

    def test_backoff_is_full_jitter_under_a_capped_ceiling_and_never_below_retry_after(self):
        for attempt in range(20):
            ceiling = min(10.0, 0.25 * 2 ** attempt)
            self.assertEqual(backoff_delay(attempt, random=lambda: 0.0), 0.0)
            self.assertLess(backoff_delay(attempt, random=lambda: 0.999999), ceiling)
            self.assertLessEqual(backoff_delay(attempt), 10.0)
        self.assertEqual(backoff_delay(0, retry_after=3.0, random=lambda: 0.5), 3.0)
        self.assertEqual(retry_after_seconds("2"), 2.0)
        self.assertEqual(retry_after_seconds(None), 0.0)
        self.assertEqual(retry_after_seconds("Thu, 01 Jan 1970 00:00:10 GMT", now=5.0), 5.0)


class Following(unittest.TestCase):
    def test_resumes_with_after_last_seq_and_yields_each_seq_once_in_order(self):
        connect = Scripted([
            [env(1) + "\n" + env(2), json.dumps({"type": "caught_up", "payload": {"seq": 2}}), env(3), ("close", 1006)],
            [env(3), env(4), ("close", 1013)],
            [env(5), env(6, "run_complete"), ("close", 1000)],
        ])
        follow = Client("http://example.test", token="t0k").follow(RUN, types=["step_log", "run_complete"],
                                                                    connect=connect, **FAST)
        self.assertEqual([e["seq"] for e in follow], [1, 2, 3, 4, 5, 6])
        self.assertEqual(follow.last_seq, 6)
        self.assertEqual(follow.reconnects, 2)
        queries = [urllib.parse.parse_qs(u.query) for u in connect.urls]
        self.assertEqual([q["after"] for q in queries], [["0"], ["3"], ["4"]])
        self.assertEqual(queries[0]["types"], ["step_log,run_complete"])
        self.assertEqual(queries[0]["batch"], ["1"])
        headers = next(v for k, v in connect.options[0].items() if k.endswith("headers"))
        self.assertEqual(headers, {"Authorization": "Bearer t0k"})

    def test_the_asyncio_follower_behaves_alike(self):
        connect = Scripted([[env(1), ("close", 1001)], [env(2, "run_complete")]])

        async def main():
            follow = AsyncClient("http://example.test").follow(RUN, connect=connect, **FAST)
            return [e["seq"] async for e in follow], follow.last_seq

        self.assertEqual(asyncio.run(main()), ([1, 2], 2))

    def test_1008_and_4xxx_are_final_with_no_reconnection(self):
        for code, kind in ((1008, "policy"), (4001, "closed")):
            connect = Scripted([[env(1), ("close", code)]])
            follow = Client("http://example.test").follow(RUN, connect=connect, **FAST)
            with self.assertRaises(StepstreamError) as caught:
                list(follow)
            self.assertEqual((caught.exception.kind, caught.exception.close_code), (kind, code))
            self.assertEqual(len(connect.urls), 1)

    def test_a_refused_upgrade_404_is_final_and_429_is_retried(self):
        connect = Scripted([[("refuse", 429, {"Retry-After": "0"})], [("refuse", 404, {})]])
        client = Client("http://127.0.0.1:9")  # the REST call that explains the 404 finds no server
        with self.assertRaises(StepstreamError) as caught:
            list(client.follow(RUN, connect=connect, **FAST))
        self.assertEqual((caught.exception.kind, caught.exception.status), ("not_found", 404))
        self.assertEqual(len(connect.urls), 2)

    def test_a_close_1000_without_run_complete_ends_a_run_that_had_ended(self):
        connect = Scripted([[json.dumps({"type": "caught_up", "payload": {"seq": 9}}), ("close", 1000)]])
        follow = Client("http://example.test").follow(RUN, after=9, connect=connect, **FAST)
        self.assertEqual(list(follow), [])
        self.assertEqual(follow.last_seq, 9)


if __name__ == "__main__":
    unittest.main()
