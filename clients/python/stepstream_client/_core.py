"""The follower and the REST calls. One asyncio follower; the sync one drives it on a private
event loop, one envelope at a time, so a slow consumer leaves frames unread in the socket and
the server sees back-pressure (it may close with 1013, after which the follower resumes)."""
import asyncio
import email.utils
import json
import random as _random
import time
import urllib.error
import urllib.parse
import urllib.request

import websockets
import websockets.exceptions

__all__ = ["Client", "AsyncClient", "Follow", "AsyncFollow", "StepstreamError",
           "backoff_delay", "split_frame", "retry_after_seconds"]

# The close codes after which a follower connects again with after=<last_seq>.
RECONNECT_CODES = frozenset({1001, 1005, 1006, 1011, 1012, 1013, 1014})


def reconnects_after(code):
    """Whether a stream closed with this code is followed again with after=<last seq>: the
    server's own table (GET /closecodes.mjs) for the codes it sends, which the conformance suite
    checks, and the network's 1005/1006, 1012 and 1014."""
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


def _error_of(method, path, status, body):
    try:
        error = json.loads(body).get("error") or {}
    except (ValueError, AttributeError):
        error = {}
    message = error.get("message") or f"HTTP {status}"
    return StepstreamError(f"{method} {path}: {status} {message}", KINDS.get(status, "http"), status=status,
                           code=error.get("code"), details=error.get("details"))


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


class Client:
    """REST calls (urllib) and a sync follower. token: a bearer token, if the server needs one."""

    def __init__(self, server, token=None, timeout=30.0):
        self.server = server.rstrip("/")
        self.token = token
        self.timeout = timeout

    def _call(self, method, path, body=None):
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
            raise _error_of(method, path, error.code, error.read().decode("utf-8", "replace")) from None
        return json.loads(text) if text else None

    def execute(self, workflow_id, inputs=None):
        """Starts a run: {runId, workflowId, status, streamUrl}."""
        return self._call("POST", f"/api/v2/workflows/{_quote(workflow_id)}/execute",
                          None if inputs is None else {"inputs": inputs})

    def run(self, run_id):
        return self._call("GET", f"/api/v2/workflows/runs/{_quote(run_id)}")

    def runs(self, workflow_id=None, status=None, limit=None, before=None):
        """Runs, newest first: {runs, next}."""
        return self._call("GET", "/api/v2/workflows/runs" + _query(
            {"workflowId": workflow_id, "status": status, "limit": limit, "before": before}))

    def events(self, run_id, after=None, limit=None, types=None, steps=None, min_level=None, q=None):
        """One page of a run's history: {events, next}."""
        return self._call("GET", f"/api/v2/workflows/runs/{_quote(run_id)}/events" + _query(
            {"after": after, "limit": limit, "types": types, "steps": steps, "minLevel": min_level, "q": q}))

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
        the connections made again. options: backoff_base, backoff_cap (s), give_up_after (s)."""
        return Follow(AsyncFollow(self, run_id, after, types, steps, min_level, **options))


class AsyncClient(Client):
    """The same calls as Client, as coroutines (the REST ones run urllib in a thread)."""

    async def _acall(self, name, *args, **kwargs):
        return await asyncio.get_running_loop().run_in_executor(
            None, lambda: getattr(Client, name)(self, *args, **kwargs))

    async def execute(self, workflow_id, inputs=None):
        return await self._acall("execute", workflow_id, inputs)

    async def run(self, run_id):
        return await self._acall("run", run_id)

    async def runs(self, **query):
        return await self._acall("runs", **query)

    async def events(self, run_id, **query):
        return await self._acall("events", run_id, **query)

    async def cancel(self, run_id):
        return await self._acall("cancel", run_id)

    async def retry(self, run_id, from_=None):
        return await self._acall("retry", run_id, from_)

    async def approve(self, run_id, step_id, comment=None):
        return await self._acall("approve", run_id, step_id, comment)

    async def reject(self, run_id, step_id, comment=None):
        return await self._acall("reject", run_id, step_id, comment)

    def follow(self, run_id, after=0, types=None, steps=None, min_level=None, **options):
        """An async iterator of the run's envelopes; see Client.follow."""
        return AsyncFollow(self, run_id, after, types, steps, min_level, **options)


def _status_and_headers(error):
    """The HTTP status and headers of a refused upgrade (websockets < 14 and 14+)."""
    response = getattr(error, "response", None)
    status = getattr(error, "status_code", None) or getattr(response, "status_code", None)
    headers = getattr(error, "headers", None) or getattr(response, "headers", None) or {}
    body = getattr(response, "body", None) or b""
    return status, headers, body


class AsyncFollow:
    """Follows one run; iterate it once with ``async for``."""

    def __init__(self, client, run_id, after=0, types=None, steps=None, min_level=None,
                 backoff_base=0.25, backoff_cap=10.0, give_up_after=300.0, connect=None):
        self._client = client
        self._run_id = run_id
        self._filters = {"types": types, "steps": steps, "minLevel": min_level}
        self._backoff = (backoff_base, backoff_cap)
        self._give_up_after = give_up_after
        self._connect = connect or websockets.connect
        self._iterating = False
        self.last_seq = int(after or 0)
        self.reconnects = 0

    def __aiter__(self):
        if self._iterating:
            raise RuntimeError("a follow can be iterated once; call follow again with after=last_seq")
        self._iterating = True
        return self._run()

    def _url(self):
        server = self._client.server
        base = "ws" + server[len("http"):] if server.startswith("http") else server
        return (f"{base}/api/v2/workflows/runs/{_quote(self._run_id)}/stream"
                + _query({"batch": 1, "after": self.last_seq, **self._filters}))

    async def _run(self):
        attempt, failing_since, first = 0, None, True
        headers = {"Authorization": f"Bearer {self._client.token}"} if self._client.token else {}
        while True:
            if not first:
                self.reconnects += 1
            first = False
            retry_after = 0.0
            try:
                async with self._connect(self._url(), max_size=None, max_queue=16, open_timeout=10,
                                         **{_HEADERS_OPTION: headers}) as socket:
                    while True:
                        try:
                            frame = await socket.recv()
                        except websockets.exceptions.ConnectionClosed:
                            break
                        for message in split_frame(frame):
                            attempt, failing_since = 0, None
                            seq = message.get("seq")
                            if not isinstance(seq, int) or seq <= self.last_seq:
                                continue  # caught_up, pong, or already yielded
                            self.last_seq = seq
                            yield message
                            if message.get("type") == "run_complete":
                                return
                    code, reason = socket.close_code, socket.close_reason or ""
            except _REFUSED as error:
                status, response_headers, body = _status_and_headers(error)
                if status not in RETRY_STATUSES and (status is None or status < 500):
                    raise self._refusal(status, body) from None
                retry_after = retry_after_seconds(response_headers.get("Retry-After"))
                code, reason = 1006, f"HTTP {status}"
            except (OSError, asyncio.TimeoutError, websockets.exceptions.InvalidHandshake,
                    websockets.exceptions.ConnectionClosed) as error:
                code, reason = 1006, str(error) or type(error).__name__
            if code == 1000:
                if reason == "run deleted":
                    raise StepstreamError(f"run {self._run_id} was deleted", "deleted", close_code=1000)
                return  # the run had ended at or before `after`
            if not reconnects_after(code):
                kind = "policy" if code == 1008 else "closed"
                raise StepstreamError(f"the server closed the stream with {code}" + (f": {reason}" if reason else ""),
                                      kind, close_code=code)
            now = time.monotonic()
            failing_since = failing_since or now
            if now - failing_since > self._give_up_after:
                raise StepstreamError(f"no usable connection for {self._give_up_after:.0f} s (last: {reason}); "
                                      f"resume with after={self.last_seq}", "unavailable", close_code=code)
            await asyncio.sleep(backoff_delay(attempt, *self._backoff, retry_after=retry_after))
            attempt += 1

    def _refusal(self, status, body):
        """The refused upgrade's error; websockets 10 does not keep the body: REST tells it again."""
        text = body.decode("utf-8", "replace") if isinstance(body, bytes) else str(body or "")
        if not text:
            try:
                Client.events(self._client, self._run_id, after=self.last_seq, limit=1,
                              types=self._filters["types"], steps=self._filters["steps"],
                              min_level=self._filters["minLevel"])
            except StepstreamError as error:
                if error.status == status:
                    return error
            except OSError:
                pass
        return _error_of("GET", f"/api/v2/workflows/runs/{self._run_id}/stream", status, text)


class Follow:
    """The sync follower: drives an AsyncFollow on a private event loop."""

    def __init__(self, async_follow):
        self._follow = async_follow
        self._loop = None
        self._iterator = None

    @property
    def last_seq(self):
        return self._follow.last_seq

    @property
    def reconnects(self):
        return self._follow.reconnects

    def __iter__(self):
        self._loop = asyncio.new_event_loop()
        self._iterator = self._follow.__aiter__()
        try:
            while True:
                try:
                    yield self._loop.run_until_complete(self._iterator.__anext__())
                except StopAsyncIteration:
                    return
        finally:
            self.close()

    def close(self):
        """Stops following (also on break out of the loop)."""
        if self._loop is None or self._loop.is_closed():
            return
        try:
            self._loop.run_until_complete(self._iterator.aclose())
            self._loop.run_until_complete(self._loop.shutdown_asyncgens())
        finally:
            self._loop.close()
