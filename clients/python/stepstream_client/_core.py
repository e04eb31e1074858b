"""The two streams (one run's: follow; all runs': watch_runs) and the REST calls. Both streams
are one asyncio loop, _AsyncStream, which alone decides when to connect again and when to give
up; the sync ones drive it on a private event loop, one item at a time, so a slow consumer
leaves frames unread in the socket and the server sees back-pressure (it may close with 1013,
after which the stream connects again)."""
import asyncio
import email.utils
import functools
import ipaddress
import json
import random as _random
import re
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

import websockets
import websockets.exceptions

__all__ = ["Client", "AsyncClient", "Follow", "AsyncFollow", "RunWatch", "AsyncRunWatch", "StepstreamError",
           "backoff_delay", "reconnects_after", "split_frame", "retry_after_seconds"]

# The close codes after which a stream connects again (a follow with after=<last_seq>).
RECONNECT_CODES = frozenset({1001, 1005, 1006, 1011, 1012, 1013, 1014})


def reconnects_after(code):
    """Whether a stream closed with this code is connected again (a follow with after=<last
    seq>, a watch from now on): the server's own table (GET /closecodes.mjs) for the codes it
    sends, which the conformance suite checks, and the network's 1005/1006, 1012 and 1014."""
    return code in RECONNECT_CODES
# HTTP statuses of a refused upgrade that are worth trying again.
RETRY_STATUSES = frozenset({408, 429, 502, 503, 504})
KINDS = {400: "bad_request", 401: "unauthenticated", 403: "forbidden", 404: "not_found", 409: "conflict",
         413: "too_large", 422: "invalid", 429: "rate_limited", 503: "unavailable"}
# websockets 14 renamed the option that adds request headers.
# A refused upgrade: InvalidStatusCode before websockets 14 (legacy client), InvalidStatus after.
_REFUSED = tuple(getattr(websockets.exceptions, name) for name in ("InvalidStatusCode", "InvalidStatus")
                 if hasattr(websockets.exceptions, name))
_HEADERS_OPTION = "additional_headers" if int(websockets.__version__.split(".")[0]) >= 14 else "extra_headers"


class StepstreamError(Exception):
    """A refused REST call, or a stream that cannot go on.

    kind: not_found, unauthenticated, forbidden, bad_request, conflict, invalid, rate_limited,
    unavailable, policy (close 1008), closed (another final close code), deleted, http.
    """

    def __init__(self, message, kind, status=None, code=None, details=None, close_code=None):
        super().__init__(message)
        self.kind = kind
        self.status = status
        self.code = code
        self.details = details
        self.close_code = close_code


STEADY = 5.0
"""Seconds a connection stays open, with or without a message, to count as usable: the
all-runs stream may be quiet for hours, while a server that closes each connection at once
(1011 from a node whose store is down) is failing, and its pauses grow. One that went silent
(_receive) stayed open only in name: it is usable only if it brought a message, so connections
that a hung proxy accepts and never serves add up to give_up_after like any other failures."""

# Silence (see _receive), in seconds: a connection quiet for _QUIET is sent a ping frame, and one
# from which nothing was heard for _DEAD_AFTER, its ping unanswered, is lost. The JavaScript and
# Java libraries' timings. Read at each use, so that tests can shorten them; not API.
_QUIET = 15.0
_DEAD_AFTER = 45.0


class _Silent(Exception):
    """A connection went silent without closing: nothing heard for _DEAD_AFTER, a ping unanswered."""


async def _receive(socket):
    """The next frame of ``socket``, watching for silence while the stream waits for it: a
    half-open connection (a proxy that hung, a laptop that slept, a NAT that forgot it) never
    reports itself otherwise. The stream reads only when its consumer asks for more, so this runs
    only while no frame waits for the consumer, and the quiet counts from that moment or from
    the last pong heard since, whichever is later: frames left in the socket for a slow consumer
    are our quiet, not the server's. Quiet for _QUIET: a ping frame (whose pong counts as heard);
    silent for _DEAD_AFTER with the ping unanswered: raises _Silent."""
    loop = asyncio.get_running_loop()
    frame = asyncio.ensure_future(socket.recv())
    pong = None
    heard = loop.time()
    try:
        while True:
            waiting = {frame} if pong is None else {frame, pong}
            deadline = heard + (_QUIET if pong is None else _DEAD_AFTER)
            done, _ = await asyncio.wait(waiting, timeout=max(0.0, deadline - loop.time()),
                                         return_when=asyncio.FIRST_COMPLETED)
            if frame in done:
                return frame.result()
            if pong in done:
                if pong.exception() is not None:  # the connection is closing: recv() says how
                    return await frame
                heard, pong = loop.time(), None
            elif pong is None:
                pong = asyncio.ensure_future(_pong(socket))
            else:
                raise _Silent(f"nothing heard from the server for {_DEAD_AFTER:g} s")
    finally:
        for task in (frame, pong):
            if task is None:
                continue
            if not task.done():
                task.cancel()
            elif not task.cancelled():
                task.exception()  # retrieved: one the caller does not see is no news


async def _pong(socket):
    """Sends a ping frame and returns when its pong came."""
    await (await socket.ping())


def _abandon(socket):
    """Lets a silent connection go at once: a graceful close would wait (close_timeout, twice)
    for a closing handshake that a dead connection never completes."""
    transport = getattr(socket, "transport", None)
    if transport is not None:
        transport.abort()


def backoff_delay(attempt, base=0.25, cap=10.0, retry_after=0.0, random=_random.random):
    """Seconds before reconnection attempt ``attempt`` (0-based): full jitter, uniform in
    [0, min(cap, base * 2**attempt)), but at least ``retry_after``."""
    ceiling = min(cap, base * 2 ** min(attempt, 30))
    return max(retry_after, random() * ceiling)


def split_frame(data):
    """The messages of one text frame (batch=1: one JSON object per line)."""
    if isinstance(data, bytes):
        data = data.decode("utf-8")
    return [json.loads(line) for line in data.split("\n") if line.strip()]


def retry_after_seconds(header, now=None):
    """A Retry-After header (seconds or an HTTP date) in seconds; 0 when absent or unreadable."""
    if not header:
        return 0.0
    header = header.strip()
    if header.isdigit():
        return float(header)
    try:
        when = email.utils.parsedate_to_datetime(header).timestamp()
    except (TypeError, ValueError):
        return 0.0
    return max(0.0, when - (time.time() if now is None else now))


# A REST call's retries: how many by default (3 attempts in all), and the longest Retry-After
# (seconds) waited for; a longer one is the caller's to decide, so the call raises at once.
REST_RETRIES = 2
_REST_RETRY_AFTER_MAX = 30.0


def _retryable(method, status, code):
    """Whether a REST call's failure may be tried again: a 429 or a 503 over_capacity (the server
    refused before doing anything) whatever the method; for a GET, which is idempotent, any
    502/503/504 and no answer at all (status None) too. A POST's other 503s (store_unavailable
    on an execute) and lost answers are ambiguous: it may have been done."""
    if status == 429 or (status == 503 and code == "over_capacity"):
        return True
    return method == "GET" and status in (None, 502, 503, 504)


# The asyncio calls' cancellation, for the thread that runs the sync call (_in_a_thread): an
# Event set once the awaiting task is cancelled, so that no retry follows.
_thread_state = threading.local()


def _error_of(method, path, status, body):
    try:
        error = json.loads(body).get("error") or {}
    except (ValueError, AttributeError):
        error = {}
    message = error.get("message") or f"HTTP {status}"
    refused = StepstreamError(f"{method} {path}: {status} {message}", KINDS.get(status, "http"), status=status,
                              code=error.get("code"), details=error.get("details"))
    refused._server_message = message  # for the same refusal told of another path (_AsyncStream._refusal)
    return refused


def _query(params):
    pairs = []
    for name, value in params.items():
        if value is None:
            continue
        if isinstance(value, (list, tuple)):
            value = ",".join(value)
        pairs.append((name, str(value)))
    return "?" + urllib.parse.urlencode(pairs) if pairs else ""


def _quote(part):
    return urllib.parse.quote(str(part), safe="")


# A URL's parts (RFC 3986, appendix B): 1 scheme, 2 authority, 3 path, 4 query, 5 fragment; None when absent.
_URL_PARTS = re.compile(r"(?:([^:/?#]+):)?(?://([^/?#]*))?([^?#]*)(?:\?([^#]*))?(?:#(.*))?")
# An authority less its user-info: 1 a host (an IPv6 address in brackets, or a name or IPv4 address), 2 the port's digits, maybe none.
_HOST_AND_PORT = re.compile(r"(\[[^\]]*\]|[^:\[\]]+)(?::([0-9]*))?")


def _server_url_problem(url):
    """What is wrong with ``url`` as a server's URL, in the words of the rule that the command line
    and the Java and JavaScript libraries keep too (docs/clients.md; Java's ServerUrlProblem), or
    None when the API's paths can go after it: an http:// or https:// URL with a host, a port from
    1 to 65535 if any, and a path if the server is behind a reverse proxy at one, with no space nor
    control character, no query nor fragment (they would swallow the paths), and no password
    (never sent: a bearer token is). A user name alone is allowed, and not sent either."""
    not_http = "expected an http:// or https:// URL"
    if re.search(r"[\x00-\x20\x7f]", url):
        return not_http
    scheme, authority, _, query, fragment = _URL_PARTS.fullmatch(url).groups()
    if (scheme or "").lower() not in ("http", "https") or authority is None:
        return not_http
    user_info, _, host_and_port = authority.rpartition("@")
    host = _HOST_AND_PORT.fullmatch(host_and_port)
    if host is None:
        return not_http
    if host.group(1).startswith("["):
        try:  # what Java's URI and JavaScript's URL cannot read either
            ipaddress.IPv6Address(host.group(1)[1:-1])
        except ValueError:
            return not_http
    port = host.group(2)
    if port and not 1 <= int(port) <= 65535:
        return "expected a port from 1 to 65535"
    if query is not None:
        return "expected a URL without a query (?…): the API's paths go after it"
    if fragment is not None:
        return "expected a URL without a fragment (#…): the API's paths go after it"
    if ":" in user_info:
        return "a password in the URL is never sent; give a token"
    return None


def _shown_url(url):
    """``url`` as a message shows it: its user-info (a password, or a user name that may be a
    token) and a ``password=`` parameter's value as ``***``, as the command line shows a URL."""
    return re.sub(r"//[^/?#]*@", "//***@", re.sub(r"(?i)(password=)[^&;#]*", r"\1***", url), count=1)


class Client:
    """REST calls (urllib) and a sync follower. token: a bearer token, if the server needs one.

    server: the server's URL, such as ``http://127.0.0.1:8080``, with a path if the server is
    behind a reverse proxy at one (``https://ci.example.com/stepstream/``), under which every
    request goes, REST and stream. One that breaks the rule (_server_url_problem: a query or a
    fragment, which would swallow the API's paths, a password, which is never sent) raises
    ValueError, ``server: <what is wrong>, got <the URL, its user-info shown as ***>``. A user
    name alone is neither sent nor kept in ``self.server``, which messages show."""

    def __init__(self, server, token=None, timeout=30.0, retries=REST_RETRIES):
        if not isinstance(server, str):
            raise TypeError(f"server: expected a URL (a str), got {type(server).__name__}")
        problem = _server_url_problem(server)
        if problem:
            raise ValueError(f"server: {problem}, got {_shown_url(server)}")
        scheme, rest = server.split(":", 1)
        # The scheme in lower case, which the stream's ws:// or wss:// is made from; no user-info:
        # urllib would take it for part of the host, and websockets refuses a user name alone.
        self.server = scheme.lower() + ":" + re.sub(r"^//[^/?#]*@", "//", rest).rstrip("/")
        self.token = token
        self.timeout = timeout
        if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
            raise ValueError(f"retries: expected a whole number >= 0, got {retries!r}")
        self.retries = retries
        # The retries' pauses: follow's backoff; replaced in tests, not API.
        self._backoff = {"base": 0.25, "cap": 10.0, "random": _random.random}

    def _call(self, method, path, body=None, retries=None):
        """One REST call, tried again up to ``retries`` (default self.retries) times when
        _retryable says so, after a full-jitter pause (backoff_delay, as a follow's) of at least
        the answer's Retry-After; a Retry-After over _REST_RETRY_AFTER_MAX, the last attempt, or
        the asyncio call's cancellation raises the error as it came."""
        retries = self.retries if retries is None else retries
        attempt = 0
        while True:
            try:
                return self._attempt(method, path, body)
            except StepstreamError as error:
                if attempt >= retries or not _retryable(method, error.status, error.code):
                    raise
                wait_at_least = error._retry_after
                if wait_at_least is None or wait_at_least > _REST_RETRY_AFTER_MAX:
                    raise
                pause = backoff_delay(attempt, retry_after=wait_at_least, **self._backoff)
                cancelled = getattr(_thread_state, "cancelled", None)
                if cancelled is None:
                    time.sleep(pause)
                elif cancelled.wait(pause):
                    raise
                attempt += 1

    def _attempt(self, method, path, body):
        """One request; a refusal's StepstreamError carries its Retry-After (s) as _retry_after."""
        data = None if body is None else json.dumps(body).encode("utf-8")
        request = urllib.request.Request(self.server + path, data=data, method=method,
                                         headers={"Accept": "application/json"})
        if data is not None:
            request.add_header("Content-Type", "application/json")
        if self.token:
            request.add_header("Authorization", f"Bearer {self.token}")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                text = response.read().decode("utf-8")
        except urllib.error.HTTPError as error:
            refused = _error_of(method, path, error.code, error.read().decode("utf-8", "replace"))
            refused._retry_after = retry_after_seconds(error.headers.get("Retry-After") if error.headers else None)
            raise refused from None
        except (urllib.error.URLError, OSError) as error:  # no answer came: no server, a reset, a timeout
            reason = getattr(error, "reason", None) or error
            unreachable = StepstreamError(f"{method} {path}: cannot reach the server at {self.server}: {reason}",
                                          "unavailable")
            # A timeout already waited self.timeout: the caller's to try again, not ours.
            unreachable._retry_after = None if isinstance(reason, TimeoutError) else 0.0
            raise unreachable from None
        return json.loads(text) if text else None

    def execute(self, workflow_id, inputs=None):
        """Starts a run: {runId, workflowId, status, streamUrl}."""
        return self._call("POST", f"/api/v2/workflows/{_quote(workflow_id)}/execute",
                          None if inputs is None else {"inputs": inputs})

    def run(self, run_id):
        return self._call("GET", f"/api/v2/workflows/runs/{_quote(run_id)}")

    def runs(self, workflow_id=None, status=None, limit=None, before=None):
        """Runs, newest first: {runs, next}."""
        return self._call("GET", _runs_path(workflow_id, status, limit, before))

    def events(self, run_id, after=None, limit=None, types=None, steps=None, min_level=None, q=None):
        """One page of a run's history: {events, next}."""
        return self._call("GET", _events_path(run_id, after, limit, types, steps, min_level, q))

    def cancel(self, run_id):
        return self._call("POST", f"/api/v2/workflows/runs/{_quote(run_id)}/cancel")

    def retry(self, run_id, from_=None):
        """A new run from an ended one; from_: "failed" (default), "start" or a step id."""
        return self._call("POST", f"/api/v2/workflows/runs/{_quote(run_id)}/retry",
                          None if from_ is None else {"from": from_})

    def approve(self, run_id, step_id, comment=None):
        return self._call("POST", f"/api/v2/workflows/runs/{_quote(run_id)}/steps/{_quote(step_id)}/approve",
                          None if comment is None else {"comment": comment})

    def reject(self, run_id, step_id, comment=None):
        return self._call("POST", f"/api/v2/workflows/runs/{_quote(run_id)}/steps/{_quote(step_id)}/reject",
                          None if comment is None else {"comment": comment})

    def follow(self, run_id, after=0, types=None, steps=None, min_level=None, **options):
        """An iterator of the run's envelopes after seq ``after``, each once and in seq order,
        ending after run_complete. Its ``last_seq`` is where to resume; ``reconnects`` counts
        the connections made again. options: backoff_base, backoff_cap (s), give_up_after (s),
        on_state_change (told "connecting", "live" at the server's caught_up, "reconnecting")."""
        return Follow(AsyncFollow(self, run_id, after, types, steps, min_level, **options))

    def watch_runs(self, workflow_id=None, **options):
        """An iterator of what happens to all runs, or to one workflow's: as each connection
        opens, ``{"type": "connected"}`` (the moment to list runs over REST: nothing that
        happened while not connected is sent), then the server's items as they come (run_queued,
        run_start, run_resumed, run_complete envelopes; run_progress; run_deleted; any later
        type unchanged). It ends only with close(), a break, or a final StepstreamError.
        ``reconnects`` counts the connections made again. options: as follow's ("live" as each
        connection opens)."""
        return RunWatch(AsyncRunWatch(self, workflow_id, **options))


def _runs_path(workflow_id=None, status=None, limit=None, before=None):
    return "/api/v2/workflows/runs" + _query({"workflowId": workflow_id, "status": status, "limit": limit, "before": before})


def _events_path(run_id, after=None, limit=None, types=None, steps=None, min_level=None, q=None):
    return f"/api/v2/workflows/runs/{_quote(run_id)}/events" + _query(
        {"after": after, "limit": limit, "types": types, "steps": steps, "minLevel": min_level, "q": q})


def _in_a_thread(name):
    """Client's REST method ``name`` as a coroutine with the same parameters, running urllib in a
    thread of the loop's executor. Cancelling it stops the call's retries: the thread makes no
    request after that (one under way finishes unseen)."""
    method = getattr(Client, name)

    @functools.wraps(method)
    async def call(self, *args, **kwargs):
        cancelled = threading.Event()

        def work():
            _thread_state.cancelled = cancelled
            try:
                return method(self, *args, **kwargs)
            finally:
                _thread_state.cancelled = None

        try:
            return await asyncio.get_running_loop().run_in_executor(None, work)
        except asyncio.CancelledError:
            cancelled.set()
            raise
    return call


class AsyncClient(Client):
    """The same calls as Client, as coroutines taking the same arguments (the REST ones run
    urllib in a thread)."""

    execute = _in_a_thread("execute")
    run = _in_a_thread("run")
    runs = _in_a_thread("runs")
    events = _in_a_thread("events")
    cancel = _in_a_thread("cancel")
    retry = _in_a_thread("retry")
    approve = _in_a_thread("approve")
    reject = _in_a_thread("reject")

    def follow(self, run_id, after=0, types=None, steps=None, min_level=None, **options):
        """An async iterator of the run's envelopes; see Client.follow."""
        return AsyncFollow(self, run_id, after, types, steps, min_level, **options)

    def watch_runs(self, workflow_id=None, **options):
        """An async iterator of what happens to all runs; see Client.watch_runs. Stop it with a
        break or by cancelling the task that iterates it."""
        return AsyncRunWatch(self, workflow_id, **options)


def _status_and_headers(error):
    """The HTTP status and headers of a refused upgrade (websockets < 14 and 14+)."""
    response = getattr(error, "response", None)
    status = getattr(error, "status_code", None) or getattr(response, "status_code", None)
    headers = getattr(error, "headers", None) or getattr(response, "headers", None) or {}
    body = getattr(response, "body", None) or b""
    return status, headers, body


class _AsyncStream:
    """A stream of the server kept open across lost connections; iterate it once with
    ``async for``. The one rule for both streams: how to connect, when to connect again (the
    close-code table, a silent connection, a backoff at least a Retry-After), when to give up,
    which errors are final.
    A subclass says where it connects and what each message becomes.

    State (reconnects, the subclass's position) is owned by the iterating task."""

    _ONCE = "a stream can be iterated once"
    _LIVE = None  # the type of the message after which the stream is live, for on_state_change

    def __init__(self, client, backoff_base=0.25, backoff_cap=10.0, give_up_after=300.0,
                 on_state_change=None, connect=None):
        self._client = client
        self._backoff = (backoff_base, backoff_cap)
        self._give_up_after = give_up_after
        self._on_state_change = on_state_change
        self._connect = connect or websockets.connect
        self._iterating = False
        self._state = None
        self.reconnects = 0

    def __aiter__(self):
        if self._iterating:
            raise RuntimeError(self._ONCE)
        self._iterating = True
        return self._run()

    def _path(self):
        """The stream's path on the server."""
        raise NotImplementedError

    def _params(self):
        """The query of the next connection."""
        return {}

    def _opening(self):
        """The items yielded as a connection opens, before the server's."""
        return ()

    def _accept(self, message):
        """Whether to yield a message of the server (and take note of it)."""
        return True

    def _ends_with(self, message):
        """Whether the iteration ends after yielding this message."""
        return False

    def _ends_on_normal_close(self, reason):
        """Whether a close with 1000 ends the iteration (it may raise instead); if not, 1000
        is a final `closed` error like any code that is not reconnected after."""
        return False

    def _probe(self):
        """A REST call refused for the same reasons as the stream (raises its StepstreamError)."""
        raise NotImplementedError

    def _resume_hint(self):
        """What the caller may do once this stream has given up, for the error's message."""
        return ""

    def _set_state(self, state):
        if state != self._state:
            self._state = state
            if self._on_state_change:
                self._on_state_change(state)

    def _url(self):
        server = self._client.server
        base = "ws" + server[len("http"):] if server.startswith("http") else server
        return base + self._path() + _query(self._params())

    async def _run(self):
        attempt, failing_since, first = 0, None, True
        headers = {"Authorization": f"Bearer {self._client.token}"} if self._client.token else {}
        self._set_state("connecting")
        while True:
            if not first:
                self.reconnects += 1
            first = False
            retry_after = 0.0
            opened_at = None
            silent = False
            try:
                # No keepalive of websockets': _receive watches for silence as the other libraries do.
                async with self._connect(self._url(), max_size=None, max_queue=16, open_timeout=15,
                                         ping_interval=None, **{_HEADERS_OPTION: headers}) as socket:
                    opened_at = time.monotonic()
                    messages = self._opening()
                    while True:
                        for message in messages:
                            if message.get("type") == self._LIVE:
                                self._set_state("live")
                            if not self._accept(message):
                                continue
                            yield message
                            if self._ends_with(message):
                                return
                        try:
                            messages = split_frame(await _receive(socket))
                        except websockets.exceptions.ConnectionClosed:
                            code, reason = socket.close_code, socket.close_reason or ""
                            break
                        except _Silent as error:
                            _abandon(socket)
                            code, reason, silent = 1006, str(error), True
                            break
                        attempt, failing_since = 0, None  # a usable connection: it gave a message
            except _REFUSED as error:
                status, response_headers, body = _status_and_headers(error)
                if status not in RETRY_STATUSES and (status is None or status < 500):
                    raise self._refusal(status, body) from None
                retry_after = retry_after_seconds(response_headers.get("Retry-After"))
                code, reason = 1006, f"HTTP {status}"
            except (OSError, asyncio.TimeoutError, websockets.exceptions.InvalidHandshake,
                    websockets.exceptions.ConnectionClosed) as error:
                code, reason = 1006, str(error) or type(error).__name__
            if opened_at is not None and not silent and time.monotonic() - opened_at >= STEADY:
                attempt, failing_since = 0, None  # a usable connection: it stayed open, though quiet
            if code == 1000 and self._ends_on_normal_close(reason):
                return
            if not reconnects_after(code):
                kind = "policy" if code == 1008 else "closed"
                raise StepstreamError(f"the server closed the stream with {code}" + (f": {reason}" if reason else ""),
                                      kind, close_code=code)
            self._set_state("reconnecting")
            now = time.monotonic()
            failing_since = failing_since or now
            if now - failing_since > self._give_up_after:
                raise StepstreamError(f"no usable connection for {self._give_up_after:.0f} s (last: {reason})"
                                      + self._resume_hint(), "unavailable", close_code=code)
            await asyncio.sleep(backoff_delay(attempt, *self._backoff, retry_after=retry_after))
            attempt += 1

    def _refusal(self, status, body):
        """The refused upgrade's error; websockets 10 does not keep the body: REST tells it again."""
        text = body.decode("utf-8", "replace") if isinstance(body, bytes) else str(body or "")
        if not text:
            try:
                self._probe()
            except StepstreamError as error:
                if error.status == status:  # the stream's refusal, told of the stream's path
                    refused = StepstreamError(f"GET {self._path()}: {status} {error._server_message}", error.kind,
                                              status=status, code=error.code, details=error.details)
                    refused._server_message = error._server_message
                    return refused
        return _error_of("GET", self._path(), status, text)


class AsyncFollow(_AsyncStream):
    """Follows one run; iterate it once with ``async for``."""

    _ONCE = "a follow can be iterated once; call follow again with after=last_seq"
    _LIVE = "caught_up"

    def __init__(self, client, run_id, after=0, types=None, steps=None, min_level=None, **options):
        super().__init__(client, **options)
        self._run_id = run_id
        self._filters = {"types": types, "steps": steps, "minLevel": min_level}
        self.last_seq = int(after or 0)

    def _path(self):
        return f"/api/v2/workflows/runs/{_quote(self._run_id)}/stream"

    def _params(self):
        return {"batch": 1, "after": self.last_seq, **self._filters}

    def _accept(self, message):
        seq = message.get("seq")
        if not isinstance(seq, int) or seq <= self.last_seq:
            return False  # caught_up, pong, or already yielded
        self.last_seq = seq
        return True

    def _ends_with(self, message):
        return message.get("type") == "run_complete"

    def _ends_on_normal_close(self, reason):
        if reason == "run deleted":
            raise StepstreamError(f"run {self._run_id} was deleted", "deleted", close_code=1000)
        return True  # the run had ended at or before `after`

    def _probe(self):
        # One attempt: the stream itself waits and tries again.
        self._client._call("GET", _events_path(self._run_id, after=self.last_seq, limit=1, types=self._filters["types"],
                                               steps=self._filters["steps"], min_level=self._filters["minLevel"]),
                           retries=0)

    def _resume_hint(self):
        return f"; resume with after={self.last_seq}"


class AsyncRunWatch(_AsyncStream):
    """Watches all runs, or one workflow's; iterate it once with ``async for``. There is no
    history and no resume: each connection begins with ``{"type": "connected"}``."""

    _ONCE = "a watch can be iterated once; call watch_runs again"
    _LIVE = "connected"

    def __init__(self, client, workflow_id=None, **options):
        super().__init__(client, **options)
        self._workflow_id = workflow_id

    def _path(self):
        return "/api/v2/stream"

    def _params(self):
        return {"workflowId": self._workflow_id}

    def _opening(self):
        return ({"type": "connected"},)

    def _probe(self):
        # One attempt: the stream itself waits and tries again.
        self._client._call("GET", _runs_path(workflow_id=self._workflow_id, limit=1), retries=0)


class _SyncStream:
    """Drives an async stream on a private event loop, one item at a time. Not thread-safe:
    iterate it, and close it, from one thread."""

    def __init__(self, stream):
        self._stream = stream
        self._loop = None
        self._iterator = None

    @property
    def reconnects(self):
        return self._stream.reconnects

    def __iter__(self):
        self._iterator = self._stream.__aiter__()
        self._loop = asyncio.new_event_loop()
        try:
            while not self._loop.is_closed():  # close() in the loop's body stops it
                try:
                    yield self._loop.run_until_complete(self._iterator.__anext__())
                except StopAsyncIteration:
                    return
        finally:
            self.close()

    def close(self):
        """Stops the stream (also on break out of the loop)."""
        if self._loop is None or self._loop.is_closed():
            return
        try:
            self._loop.run_until_complete(self._iterator.aclose())
            self._loop.run_until_complete(self._loop.shutdown_asyncgens())
        finally:
            self._loop.close()


class Follow(_SyncStream):
    """The sync follower: drives an AsyncFollow on a private event loop."""

    @property
    def last_seq(self):
        return self._stream.last_seq


class RunWatch(_SyncStream):
    """The sync watch of all runs: drives an AsyncRunWatch on a private event loop."""
