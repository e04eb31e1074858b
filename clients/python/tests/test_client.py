"""Unit tests of the client against scripted connections and tiny local HTTP servers: no stepstream server.
Run: /usr/bin/python3 -m unittest discover -s clients/python/tests"""
import asyncio
import contextlib
import http.server
import itertools
import json
import os
import sys
import threading
import time
import unittest
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
import websockets  # noqa: E402
import websockets.exceptions  # noqa: E402

from stepstream_client import _core  # noqa: E402
from stepstream_client import AsyncClient, Client, StepstreamError, backoff_delay, retry_after_seconds, split_frame  # noqa: E402

CONNECTED = {"type": "connected"}

RUN = "550e8400-e29b-41d4-a716-446655440000"


def env(seq, kind="step_log"):
    return json.dumps({"runId": RUN, "seq": seq, "type": kind, "time": "2026-01-01T00:00:00.000Z", "payload": {}})


def caught_up(seq):
    return json.dumps({"type": "caught_up", "payload": {"seq": seq}})


def progress(step, status="success"):
    return {"type": "run_progress", "runId": RUN, "payload": {"stepId": step, "status": status}}


def take(stream, count):
    """The first ``count`` items of a sync stream that does not end by itself; then stops it."""
    items = []
    for item in stream:
        items.append(item)
        if len(items) == count:
            break
    stream.close()
    return items


@contextlib.contextmanager
def answering(status, body):
    """A real HTTP server on a free port that answers every GET with ``status`` and the JSON
    ``body``; yields its URL and the list of paths it was asked for."""
    paths = []

    class Answers(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            paths.append(self.path)
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Answers)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", paths
    finally:
        server.shutdown()
        server.server_close()


@contextlib.contextmanager
def answering_in_turn(answers):
    """A real HTTP server on a free port that answers each request, GET or POST, with the next of
    ``answers``, ``(status, body, retry_after)`` (retry_after None: no header); yields its URL and
    the list of ``(method, time.monotonic())`` of the requests it was asked."""
    asked = []
    answers = list(answers)

    class InTurn(http.server.BaseHTTPRequestHandler):
        def answer(self):
            asked.append((self.command, time.monotonic()))
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            status, body, retry_after = answers.pop(0)
            data = json.dumps(body).encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            if retry_after is not None:
                self.send_header("Retry-After", retry_after)
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = answer

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), InTurn)
    # A short poll: shutdown() waits for it, at each of the many servers these tests start.
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", asked
    finally:
        server.shutdown()
        server.server_close()


OVER_CAPACITY = {"error": {"code": "over_capacity", "message": "the server is at capacity"}}
RATE_LIMITED = {"error": {"code": "rate_limited", "message": "slow down"}}


def no_jitter(client):
    """``client`` with its retries' pauses at their least: the Retry-After, or 0."""
    client._backoff = {**client._backoff, "random": lambda: 0.0}
    return client


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


def wait_for(condition, what, timeout=10.0):
    """Returns once ``condition()`` holds; fails after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(0.01)


async def until(condition, what, timeout=10.0):
    """wait_for, in a coroutine."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        await asyncio.sleep(0.01)


class Background:
    """An event loop in a thread of its own, for the tests' servers: the client under test runs
    its own loop (the sync API a private one, the asyncio tests asyncio.run's)."""

    def __init__(self):
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coroutine):
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(10)

    def close(self):
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


class FakeServer:
    """A WebSocket server that plays one script per connection, in order: the frames to send,
    then ("close", code), or nothing more (it stays open, and quiet). It answers ping frames, as
    any WebSocket server does. ``paths`` holds each connection's path and query, ``opened`` the
    time.monotonic() each one opened at."""

    def __init__(self, scripts):
        self.scripts = list(scripts)
        self.paths = []
        self.opened = []

    async def start(self):
        self.server = await websockets.serve(self._play, "127.0.0.1", 0, close_timeout=1)
        self.port = list(self.server.sockets)[0].getsockname()[1]
        return self

    async def _play(self, socket):
        self.opened.append(time.monotonic())
        self.paths.append(getattr(socket, "path", None) or socket.request.path)
        for step in self.scripts.pop(0) if self.scripts else []:
            if isinstance(step, tuple):
                await socket.close(step[1])
                return
            await socket.send(step)
        await socket.wait_closed()

    async def stop(self):
        self.server.close()
        await self.server.wait_closed()


class FreezingProxy:
    """A TCP proxy to ``port`` that can freeze its connections, as a proxy that hangs does: a
    frozen connection forwards nothing more either way and is never closed. freeze() freezes the
    connections open now; with freeze_after_upgrade, each one freezes once the server's answer to
    its upgrade went through. Each connection counts what its client sent after that answer
    (``client_chunks``: pings, on a stream the client only reads) and says when the client let it
    go (``client_gone``)."""

    class Connection:
        def __init__(self):
            self.frozen = False
            self.upgraded = False
            self.client_chunks = 0
            self.client_gone = False
            self.writers = []

    def __init__(self, port, freeze_after_upgrade=False):
        self.target = port
        self.freeze_after_upgrade = freeze_after_upgrade
        self.connections = []

    async def start(self):
        self.server = await asyncio.start_server(self._splice, "127.0.0.1", 0)
        self.url = f"http://127.0.0.1:{self.server.sockets[0].getsockname()[1]}"
        return self

    async def _splice(self, client_in, client_out):
        connection = self.Connection()
        self.connections.append(connection)
        upstream_in, upstream_out = await asyncio.open_connection("127.0.0.1", self.target)
        connection.writers = [client_out, upstream_out]

        async def pump(source, sink, from_client):
            try:
                while True:
                    data = await source.read(65536)
                    if not data:
                        break
                    if from_client and connection.upgraded:
                        connection.client_chunks += 1
                    if connection.frozen:
                        continue  # swallowed: it never arrives
                    if not from_client and not connection.upgraded:
                        connection.upgraded = True
                        if self.freeze_after_upgrade:
                            connection.frozen = True  # once this answer went through
                    sink.write(data)
            except OSError:
                pass
            if from_client:
                connection.client_gone = True
            if not connection.frozen:  # an end goes through, unless frozen
                sink.close()

        await asyncio.gather(pump(client_in, upstream_out, True), pump(upstream_in, client_out, False))

    def freeze(self):
        for connection in self.connections:
            connection.frozen = True

    async def stop(self):
        self.server.close()
        for connection in self.connections:
            for writer in connection.writers:
                writer.close()
        await self.server.wait_closed()



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

    def test_a_refusal_the_rest_answer_explains_names_the_stream_with_the_servers_code(self):
        body = b'{"error":{"code":"invalid_parameter","message":"after: no event 99","details":{"parameter":"after"}}}'
        with answering(400, body) as (url, _):
            with self.assertRaises(StepstreamError) as caught:
                list(Client(url).follow(RUN, after=99, connect=Scripted([[("refuse", 400, {})]]), **FAST))
        error = caught.exception
        self.assertEqual((error.kind, error.status, error.code, error.details), ("bad_request", 400, "invalid_parameter", {"parameter": "after"}))
        self.assertEqual(str(error), f"GET /api/v2/workflows/runs/{RUN}/stream: 400 after: no event 99")

    def test_the_asyncio_rest_calls_take_the_same_arguments_as_the_sync_ones(self):
        async def calls(client):
            await client.runs("hello", "failed", 5)
            await client.events(RUN, 3, 10, ["step_log"])

        with answering(200, b'{"runs":[],"events":[],"next":null}') as (url, paths):
            Client(url).runs("hello", "failed", 5)
            Client(url).events(RUN, 3, 10, ["step_log"])
            asyncio.run(calls(AsyncClient(url)))
        self.assertEqual(paths[0], "/api/v2/workflows/runs?workflowId=hello&status=failed&limit=5")
        self.assertEqual(paths[1], f"/api/v2/workflows/runs/{RUN}/events?after=3&limit=10&types=step_log")
        self.assertEqual(paths[2:], paths[:2])

    def test_a_server_url_with_a_path_keeps_it_before_every_path_rest_streams_and_a_refusals_question(self):
        for suffix in ("/stepstream", "/stepstream/"):
            with self.subTest(suffix=suffix), answering(200, b'{"runs":[],"events":[],"next":null}') as (url, paths):
                client = Client(url + suffix)
                client.runs(limit=1)
                connect = Scripted([[("refuse", 404, {})]])  # its body is asked for over REST
                with self.assertRaises(StepstreamError):
                    list(client.follow(RUN, connect=connect, **FAST))
                watch_connect = Scripted([[]])
                take(client.watch_runs("hello", connect=watch_connect, **FAST), 1)
                self.assertEqual(paths, ["/stepstream/api/v2/workflows/runs?limit=1",
                                         f"/stepstream/api/v2/workflows/runs/{RUN}/events?after=0&limit=1"])
                self.assertEqual([u.path for u in connect.urls + watch_connect.urls],
                                 [f"/stepstream/api/v2/workflows/runs/{RUN}/stream", "/stepstream/api/v2/stream"])

    def test_a_rest_call_that_reaches_no_server_is_unavailable(self):
        import socket
        with socket.socket() as taken:  # a port nothing listens on: one a socket had, closed again
            taken.bind(("127.0.0.1", 0))
            port = taken.getsockname()[1]
        with self.assertRaises(StepstreamError) as caught:
            Client(f"http://127.0.0.1:{port}").run(RUN)
        self.assertEqual((caught.exception.kind, caught.exception.status), ("unavailable", None))
        self.assertTrue(str(caught.exception).startswith(f"GET /api/v2/workflows/runs/{RUN}: cannot reach the server at"))

    def test_a_close_1000_without_run_complete_ends_a_run_that_had_ended(self):
        connect = Scripted([[json.dumps({"type": "caught_up", "payload": {"seq": 9}}), ("close", 1000)]])
        follow = Client("http://example.test").follow(RUN, after=9, connect=connect, **FAST)
        self.assertEqual(list(follow), [])
        self.assertEqual(follow.last_seq, 9)

    def test_on_state_change_hears_connecting_live_at_caught_up_and_reconnecting_in_order(self):
        heard = []
        connect = Scripted([
            [env(1), json.dumps({"type": "caught_up", "payload": {"seq": 1}}), ("close", 1006)],
            [json.dumps({"type": "caught_up", "payload": {"seq": 1}}), env(2, "run_complete")],
        ])
        follow = Client("http://example.test").follow(RUN, connect=connect, on_state_change=heard.append, **FAST)
        for envelope in follow:
            heard.append(envelope["seq"])
        self.assertEqual(heard, ["connecting", 1, "live", "reconnecting", "live", 2])


class Retrying(unittest.TestCase):
    """The REST calls' retries: 429 and 503 over_capacity for any method, a GET's 502/503/504 and
    lost answers; at least the Retry-After apart; the last error as it came."""

    def test_a_get_answered_503_over_capacity_is_tried_again_after_its_retry_after(self):
        answers = [(503, OVER_CAPACITY, "1"), (200, {"runId": RUN, "status": "running"}, None)]
        with answering_in_turn(answers) as (url, asked):
            self.assertEqual(no_jitter(Client(url)).run(RUN), {"runId": RUN, "status": "running"})
        self.assertEqual([method for method, _ in asked], ["GET", "GET"])
        self.assertGreaterEqual(asked[1][1] - asked[0][1], 0.99)

    def test_an_execute_answered_503_store_unavailable_is_not_tried_again(self):
        store = {"error": {"code": "store_unavailable", "message": "the store is down"}}
        with answering_in_turn([(503, store, "5"), (202, {}, None)]) as (url, asked):
            with self.assertRaises(StepstreamError) as caught:
                Client(url).execute("hello", {"who": "x"})
        error = caught.exception
        self.assertEqual((error.kind, error.status, error.code), ("unavailable", 503, "store_unavailable"))
        self.assertEqual(str(error), "POST /api/v2/workflows/hello/execute: 503 the store is down")
        self.assertEqual(len(asked), 1)

    def test_a_post_answered_429_is_tried_again_after_its_retry_after(self):
        with answering_in_turn([(429, RATE_LIMITED, "0"), (202, {"runId": RUN, "status": "queued"}, None)]) as (url, asked):
            self.assertEqual(no_jitter(Client(url)).execute("hello"), {"runId": RUN, "status": "queued"})
        self.assertEqual([method for method, _ in asked], ["POST", "POST"])

    def test_retries_0_tries_once_and_the_default_three_times_the_last_error_as_it_came(self):
        refusals = [(503, OVER_CAPACITY, "0")] * 3 + [(200, {}, None)]
        for retries, times in ((0, 1), (None, 3)):
            with self.subTest(retries=retries), answering_in_turn(refusals) as (url, asked):
                client = no_jitter(Client(url) if retries is None else Client(url, retries=retries))
                with self.assertRaises(StepstreamError) as caught:
                    client.runs()
                self.assertEqual((caught.exception.kind, caught.exception.status, caught.exception.code),
                                 ("unavailable", 503, "over_capacity"))
                self.assertEqual(len(asked), times)
        with self.assertRaises(ValueError):
            Client("http://example.test", retries=-1)

    def test_a_retry_after_over_30_s_is_the_callers_the_error_comes_at_once(self):
        with answering_in_turn([(429, RATE_LIMITED, "120"), (200, {}, None)]) as (url, asked):
            started = time.monotonic()
            with self.assertRaises(StepstreamError) as caught:
                Client(url).run(RUN)
            self.assertLess(time.monotonic() - started, 1.0)
        self.assertEqual((caught.exception.kind, caught.exception.status), ("rate_limited", 429))
        self.assertEqual(len(asked), 1)

    def test_other_statuses_are_never_tried_again_a_get_is_on_502_and_504_a_post_is_not(self):
        for status, method, times in ((404, "GET", 1), (500, "GET", 1), (502, "GET", 2), (504, "GET", 2),
                                      (502, "POST", 1), (504, "POST", 1)):
            with self.subTest(status=status, method=method), \
                    answering_in_turn([(status, {}, None), (200, {}, None)]) as (url, asked):
                client = no_jitter(Client(url))
                if times == 1:
                    with self.assertRaises(StepstreamError):
                        client.runs() if method == "GET" else client.cancel(RUN)
                else:
                    client.runs()
                self.assertEqual(len(asked), times)

    def test_the_asyncio_call_retries_alike_and_once_cancelled_its_thread_asks_no_more(self):
        async def cancelled_while_waiting(client, asked):
            call = asyncio.ensure_future(client.run(RUN))
            await until(lambda: len(asked) == 1, "the first request")
            call.cancel()
            with self.assertRaises(asyncio.CancelledError):
                await call
            started = time.monotonic()
            # The thread waits no more (not the Retry-After's 1 s) and makes no second request.
            await asyncio.get_running_loop().shutdown_default_executor()
            return time.monotonic() - started

        answers = [(503, OVER_CAPACITY, "0"), (200, {"runId": RUN}, None)]
        with answering_in_turn(answers) as (url, asked):
            self.assertEqual(asyncio.run(no_jitter(AsyncClient(url)).run(RUN)), {"runId": RUN})
        with answering_in_turn([(503, OVER_CAPACITY, "1"), (200, {}, None)]) as (url, asked):
            self.assertLess(asyncio.run(cancelled_while_waiting(no_jitter(AsyncClient(url)), asked)), 0.5)
            self.assertEqual(len(asked), 1)


class ServerUrl(unittest.TestCase):
    """The rule for a server's URL, in the words of the command line and the Java and JavaScript
    libraries, whose tests hold the same cases (Java's ServerUrlTest)."""

    NOT_HTTP = "server: expected an http:// or https:// URL, got "
    REFUSED = {
        "ftp://127.0.0.1": NOT_HTTP + "ftp://127.0.0.1",
        "localhost:8080": NOT_HTTP + "localhost:8080",
        "http:///stepstream": NOT_HTTP + "http:///stepstream",
        "http://:8080": NOT_HTTP + "http://:8080",
        "http://host:http": NOT_HTTP + "http://host:http",
        "http://host/a b": NOT_HTTP + "http://host/a b",
        "http://[zz]": NOT_HTTP + "http://[zz]",
        "http://host:0": "server: expected a port from 1 to 65535, got http://host:0",
        "http://host:65536": "server: expected a port from 1 to 65535, got http://host:65536",
        "http://host/?x=1": "server: expected a URL without a query (?…): the API's paths go after it, got http://host/?x=1",
        "http://host?": "server: expected a URL without a query (?…): the API's paths go after it, got http://host?",
        "http://host/#top": "server: expected a URL without a fragment (#…): the API's paths go after it, got http://host/#top",
        "http://ann:s3cret@host": "server: a password in the URL is never sent; give a token, got http://***@host",
        "http://ann:@host": "server: a password in the URL is never sent; give a token, got http://***@host",
        "http://ann:s3cret@host/?password=s3cret":
            "server: expected a URL without a query (?…): the API's paths go after it, got http://***@host/?password=***",
    }

    def test_each_server_url_the_apis_paths_cannot_follow_is_refused_saying_what_is_wrong_without_its_user_info(self):
        for (server, message), client in itertools.product(self.REFUSED.items(), (Client, AsyncClient)):
            with self.subTest(server=server, client=client.__name__):
                with self.assertRaises(ValueError) as caught:
                    client(server)
                self.assertEqual(str(caught.exception), message)

    def test_each_good_server_url_is_taken_and_the_apis_paths_go_after_its_path_without_its_user_info(self):
        api_at = {
            "http://127.0.0.1:8080": "http://127.0.0.1:8080/api/v2/workflows/runs",
            "http://127.0.0.1": "http://127.0.0.1/api/v2/workflows/runs",
            "https://ci.example.com:1/stepstream": "https://ci.example.com:1/stepstream/api/v2/workflows/runs",
            "https://ci.example.com:65535/stepstream/": "https://ci.example.com:65535/stepstream/api/v2/workflows/runs",
            "http://[::1]:8080": "http://[::1]:8080/api/v2/workflows/runs",
            "HTTPS://ci.example.com": "https://ci.example.com/api/v2/workflows/runs",
            "http://ann@127.0.0.1:8080/": "http://127.0.0.1:8080/api/v2/workflows/runs",
        }
        for server, api in api_at.items():
            with self.subTest(server=server):
                self.assertEqual(Client(server).server + "/api/v2/workflows/runs", api)

    def test_a_user_name_alone_is_sent_neither_over_rest_nor_with_a_stream(self):
        with answering(200, b'{"runs":[],"next":null}') as (url, paths):
            client = Client(url.replace("http://", "HTTP://ann@") + "/")
            client.runs(limit=1)
            connect = Scripted([[]])
            take(client.watch_runs(connect=connect, **FAST), 1)
        self.assertEqual(paths, ["/api/v2/workflows/runs?limit=1"])
        self.assertEqual(connect.urls[0].geturl(), url.replace("http://", "ws://") + "/api/v2/stream")

    def test_a_server_that_is_no_str_is_a_type_error(self):
        with self.assertRaises(TypeError) as caught:
            Client(None)
        self.assertEqual(str(caught.exception), "server: expected a URL (a str), got NoneType")


class Watching(unittest.TestCase):
    def test_yields_connected_then_the_items_of_a_multi_line_frame_unchanged(self):
        queued = {"runId": RUN, "seq": 0, "type": "run_queued", "time": "2026-01-01T00:00:00.000Z",
                  "payload": {"workflowId": "hello", "workflowVersion": 3, "trigger": "api"}}
        deleted = {"type": "run_deleted", "runId": RUN, "payload": {"workflowId": "hello"}}
        later = {"type": "a_type_not_known_yet", "runId": RUN}
        connect = Scripted([[
            json.dumps(queued) + "\n" + json.dumps(progress("build")) + "\n",
            json.dumps(deleted) + "\n\n" + json.dumps(later),
            ("close", 1001),
        ]])
        watch = Client("http://example.test", token="t0k").watch_runs("hello", connect=connect, **FAST)
        self.assertEqual(take(watch, 5), [CONNECTED, queued, progress("build"), deleted, later])
        self.assertEqual(watch.reconnects, 0)
        self.assertEqual(connect.urls[0].path, "/api/v2/stream")
        self.assertEqual(urllib.parse.parse_qs(connect.urls[0].query), {"workflowId": ["hello"]})
        headers = next(v for k, v in connect.options[0].items() if k.endswith("headers"))
        self.assertEqual(headers, {"Authorization": "Bearer t0k"})

    def test_each_connection_made_again_yields_connected_again(self):
        heard = []
        connect = Scripted([
            [json.dumps(progress("a")), ("close", 1013)],
            [("refuse", 503, {"Retry-After": "0"})],
            [json.dumps(progress("b")), ("close", 1006)],
            [json.dumps(progress("c"))],
        ])
        watch = Client("http://example.test").watch_runs(connect=connect, on_state_change=heard.append, **FAST)
        items = take(watch, 6)
        self.assertEqual(items, [CONNECTED, progress("a"), CONNECTED, progress("b"), CONNECTED, progress("c")])
        self.assertEqual(watch.reconnects, 3)
        self.assertEqual([u.query for u in connect.urls], [""] * 4)
        self.assertEqual(heard, ["connecting", "live", "reconnecting", "live", "reconnecting", "live"])

    def test_final_closes_and_refusals_raise_with_no_reconnection(self):
        cases = [
            ([("close", 1008)], "policy", None, 1008),
            ([("close", 4001)], "closed", None, 4001),
            ([("close", 1000)], "closed", None, 1000),  # the all-runs stream has no normal end
            ([("refuse", 400, {})], "bad_request", 400, None),
            ([("refuse", 403, {})], "forbidden", 403, None),
        ]
        for script, kind, status, close_code in cases:
            with self.subTest(kind=kind, status=status, close_code=close_code):
                connect = Scripted([script])
                # A refusal's body is read again over REST, from a server that is not there.
                watch = Client("http://127.0.0.1:9").watch_runs(connect=connect, **FAST)
                items = []
                with self.assertRaises(StepstreamError) as caught:
                    for item in watch:
                        items.append(item)
                error = caught.exception
                self.assertEqual((error.kind, error.status, error.close_code), (kind, status, close_code))
                self.assertEqual(items, [] if status else [CONNECTED])
                self.assertEqual((len(connect.urls), watch.reconnects), (1, 0))

    def test_no_usable_connection_for_give_up_after_is_unavailable(self):
        connect = Scripted([[("refuse", 503, {})]] * 50)
        watch = Client("http://example.test").watch_runs(connect=connect, give_up_after=0, **FAST)
        with self.assertRaises(StepstreamError) as caught:
            list(watch)
        self.assertEqual(caught.exception.kind, "unavailable")

    def test_a_server_that_closes_each_connection_at_once_is_given_up_on_not_asked_again_for_ever(self):
        connect = Scripted([[("close", 1011)]] * 500)
        watch = Client("http://example.test").watch_runs(connect=connect, give_up_after=0.1, **FAST)
        items = []
        with self.assertRaises(StepstreamError) as caught:
            for item in watch:
                items.append(item)
        self.assertEqual(caught.exception.kind, "unavailable")
        self.assertGreater(len(items), 1)
        self.assertEqual(items, [CONNECTED] * len(connect.urls), "a connected item for each connection")

    def test_close_in_the_loop_body_stops_it(self):
        connect = Scripted([[json.dumps(progress("a"))]])
        watch = Client("http://example.test").watch_runs(connect=connect, **FAST)
        seen = []
        for item in watch:
            seen.append(item)
            watch.close()
        self.assertEqual(seen, [CONNECTED])

    def test_the_asyncio_watch_behaves_alike(self):
        connect = Scripted([[json.dumps(progress("a")), ("close", 1011)], [json.dumps(progress("b"))]])

        async def main():
            watch = AsyncClient("http://example.test").watch_runs(connect=connect, **FAST)
            items = []
            async for item in watch:
                items.append(item)
                if len(items) == 4:
                    break
            return items, watch.reconnects

        self.assertEqual(asyncio.run(main()), ([CONNECTED, progress("a"), CONNECTED, progress("b")], 1))


class Silence(unittest.TestCase):
    """A connection that goes silent without closing, behind a proxy that freezes, with the
    silence timings shortened: pinged at _QUIET (0.2 s), given up at _DEAD_AFTER (0.6 s). Before,
    websockets' keepalive found it after about 40 s, and each deadline here is 10 s."""

    def setUp(self):
        for name, value in (("_QUIET", 0.2), ("_DEAD_AFTER", 0.6)):
            self.addCleanup(setattr, _core, name, getattr(_core, name))
            setattr(_core, name, value)
        self.background = Background()
        self.addCleanup(self.background.close)

    def serve(self, scripts, **proxy_options):
        """A FakeServer playing ``scripts`` behind a FreezingProxy; both stopped after the test."""
        server = self.background.run(FakeServer(scripts).start())
        self.addCleanup(self.background.run, server.stop())
        proxy = self.background.run(FreezingProxy(server.port, **proxy_options).start())
        self.addCleanup(self.background.run, proxy.stop())  # first: it frees the server's connections
        return server, proxy

    def test_a_follow_whose_connection_goes_silent_pings_it_gives_it_up_and_resumes_with_after(self):
        server, proxy = self.serve([[env(1), env(2), caught_up(2)], [caught_up(2), env(3), env(4, "run_complete")]])
        follow = Client(proxy.url).follow(RUN, **FAST)
        seen, has_2 = [], threading.Event()

        def consume():
            for envelope in follow:
                seen.append(envelope["seq"])
                if envelope["seq"] == 2:
                    has_2.set()
        consumer = threading.Thread(target=consume, daemon=True)
        consumer.start()
        self.assertTrue(has_2.wait(10), "seq 2 within 10 s")
        proxy.freeze()
        consumer.join(10)
        self.assertFalse(consumer.is_alive(), f"the follow ended within 10 s of the freeze: {seen}")
        self.assertEqual(seen, [1, 2, 3, 4])
        self.assertEqual(follow.reconnects, 1)
        self.assertEqual([urllib.parse.parse_qs(urllib.parse.urlsplit(p).query)["after"] for p in server.paths], [["0"], ["2"]])
        silent = proxy.connections[0]
        self.assertGreaterEqual(silent.client_chunks, 1, "the silent connection was pinged")
        wait_for(lambda: silent.client_gone, "the silent connection to be let go", timeout=1)

    def test_an_asyncio_watch_whose_connection_goes_silent_connects_again_and_says_connected(self):
        server, proxy = self.serve([[json.dumps(progress("a"))], [json.dumps(progress("b"))]])

        async def main():
            watch = AsyncClient(proxy.url).watch_runs(**FAST)
            items = []
            async for item in watch:
                items.append(item)
                if item == progress("a"):
                    proxy.freeze()
                if len(items) == 4:
                    break
            return items, watch.reconnects

        items, reconnects = asyncio.run(asyncio.wait_for(main(), 10))
        self.assertEqual(items, [CONNECTED, progress("a"), CONNECTED, progress("b")])
        self.assertEqual((reconnects, len(server.paths)), (1, 2))

    def test_a_quiet_watch_whose_pings_are_answered_keeps_its_connection(self):
        server, proxy = self.serve([[]])

        async def main():
            watch = AsyncClient(proxy.url).watch_runs(**FAST)
            items = []

            async def consume():
                async for item in watch:
                    items.append(item)
            consumer = asyncio.ensure_future(consume())
            # Five pings, one each time it was quiet for 0.2 s: longer than 0.6 s in all.
            await until(lambda: proxy.connections and proxy.connections[0].client_chunks >= 5, "5 pings")
            consumer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await consumer  # its connection closes now, before asyncio.run cancels websockets' own tasks
            return items, watch.reconnects

        items, reconnects = asyncio.run(main())
        self.assertEqual(items, [CONNECTED])
        self.assertEqual((reconnects, len(server.paths)), (0, 1))

    def test_frames_waiting_for_a_slow_consumer_are_not_silence_it_counts_from_the_last_one_taken(self):
        server, proxy = self.serve([[env(1), env(2), caught_up(2)], [caught_up(2), env(3, "run_complete")]])

        async def main():
            follow = AsyncClient(proxy.url).follow(RUN, **FAST)
            seen, back = [], None
            async for envelope in follow:
                seen.append(envelope["seq"])
                if envelope["seq"] == 1:
                    await until(lambda: server.scripts == [[caught_up(2), env(3, "run_complete")]], "the frames to be sent")
                    proxy.freeze()
                    await asyncio.sleep(1.2)  # the slow consumer: twice _DEAD_AFTER, seq 2 waiting meanwhile
                    back = time.monotonic()
            return seen, back

        seen, back = asyncio.run(asyncio.wait_for(main(), 10))
        self.assertEqual(seen, [1, 2, 3])
        self.assertEqual(len(server.opened), 2)
        self.assertGreaterEqual(server.opened[1] - back, 0.6 * 0.9, "given up 0.6 s after the consumer came back, not at once")

    def test_connections_that_open_and_stay_silent_add_up_to_give_up_after_however_long_each_was_open(self):
        self.addCleanup(setattr, _core, "STEADY", _core.STEADY)
        _core.STEADY = 0.1  # before, each one that stayed open 0.1 s counted as usable
        server, proxy = self.serve([[]] * 20, freeze_after_upgrade=True)
        watch = Client(proxy.url).watch_runs(give_up_after=1.5, **FAST)
        items, outcome = [], []

        def consume():
            try:
                for item in watch:
                    items.append(item)
            except StepstreamError as error:
                outcome.append(error)
        consumer = threading.Thread(target=consume, daemon=True)
        consumer.start()
        consumer.join(10)
        self.assertFalse(consumer.is_alive(), f"given up within 10 s: {len(server.paths)} connections")
        self.assertEqual(outcome[0].kind, "unavailable")
        self.assertIn("nothing heard from the server for 0.6 s", str(outcome[0]))
        self.assertTrue(3 <= len(server.paths) <= 5, f"given up at the first silence 1.5 s after the first one: {len(server.paths)}")
        self.assertEqual(items, [CONNECTED] * len(server.paths))


if __name__ == "__main__":
    unittest.main()
