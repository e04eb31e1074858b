// Unit tests of the follower and the watch against a scripted WebSocket: no server, no network.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { StepstreamClient, StepstreamError, backoffDelay, splitFrame, retryAfterMs } from '../index.mjs';

const RUN = '550e8400-e29b-41d4-a716-446655440000';
const env = (seq, type = 'step_log') => ({ runId: RUN, seq, type, time: '2026-01-01T00:00:00.000Z', payload: {} });

/**
 * A WebSocket whose connections play scripts: each script is a list of frames (strings) and
 * ends with {close: code} or {refuse: true} (a refused upgrade: error, then close 1006), or
 * {hang: true} (an upgrade that is never answered); without an end it stays open. Each socket
 * keeps what the client sent it (`sent`); with `answersPings`, a `{"type":"ping"}` is answered
 * with `{"type":"pong"}`, as the server does.
 */
function scriptedWebSocket(scripts, { answersPings = false } = {}) {
  const urls = [];
  const sockets = [];
  class FakeSocket extends EventTarget {
    sent = [];
    constructor(url, protocols, options) {
      super();
      urls.push({ url: new URL(url), protocols, options });
      sockets.push(this);
      this.readyState = 0;
      const script = scripts.shift() ?? [{ close: 1006 }];
      setTimeout(() => this.#play(script), 0);
    }
    #play(script) {
      if (script[0]?.hang) return;
      if (script[0]?.refuse) {
        this.dispatchEvent(new Event('error'));
        this.#close(1006);
        return;
      }
      this.readyState = 1;
      this.dispatchEvent(new Event('open'));
      for (const step of script) {
        if (step.close !== undefined) { this.#close(step.close, step.reason); return; }
        this.#message(step);
      }
    }
    #message(data) {
      const message = new Event('message');
      message.data = data;
      this.dispatchEvent(message);
    }
    send(data) {
      if (this.readyState !== 1) throw new Error('not open');
      this.sent.push(data);
      if (answersPings && JSON.parse(data).type === 'ping') queueMicrotask(() => this.#message(JSON.stringify({ type: 'pong' })));
    }
    #close(code, reason = '') {
      if (this.readyState === 3) return;
      this.readyState = 3;
      const event = new Event('close');
      event.code = code;
      event.reason = reason;
      this.dispatchEvent(event);
    }
    close() { this.readyState = 3; }
  }
  return { FakeSocket, urls, sockets };
}

const okFetch = async () => new Response('{"events":[],"next":null}', { status: 200 });
const fast = { backoff: { baseMs: 1, capMs: 2 } };

async function collect(follow) {
  const seen = [];
  for await (const envelope of follow) seen.push(envelope.seq);
  return seen;
}

test('a batched frame is split on newlines, control messages are skipped', () => {
  const frame = `${JSON.stringify(env(1))}\n${JSON.stringify({ type: 'caught_up', payload: { seq: 1 } })}\n\n${JSON.stringify(env(2))}`;
  assert.deepEqual(splitFrame(frame).map((m) => m.seq ?? m.type), [1, 'caught_up', 2]);
});

test('backoff is full jitter under a capped exponential ceiling, and never below Retry-After', () => {
  for (let attempt = 0; attempt < 20; attempt++) {
    const ceiling = Math.min(10_000, 250 * 2 ** attempt);
    assert.equal(backoffDelay(attempt, { random: () => 0 }), 0);
    assert.ok(backoffDelay(attempt, { random: () => 0.999999 }) < ceiling);
    assert.ok(backoffDelay(attempt) <= 10_000);
  }
  assert.equal(backoffDelay(0, { random: () => 0.5, retryAfterMs: 3000 }), 3000);
  assert.equal(retryAfterMs('2'), 2000);
  assert.equal(retryAfterMs(null), 0);
  assert.equal(retryAfterMs(new Date(10_000).toUTCString(), 5_000), 5_000);
});

test('resumes after a dropped connection with after=lastSeq and yields each seq once, in order', async () => {
  const { FakeSocket, urls } = scriptedWebSocket([
    [`${JSON.stringify(env(1))}\n${JSON.stringify(env(2))}`, JSON.stringify({ type: 'caught_up', payload: { seq: 2 } }), JSON.stringify(env(3)), { close: 1006 }],
    // The server sends from after=3; an older seq, should one come, is not yielded again.
    [JSON.stringify(env(3)), JSON.stringify(env(4)), { close: 1013 }],
    [JSON.stringify(env(5)), JSON.stringify(env(6, 'run_complete')), { close: 1000 }],
  ]);
  const client = new StepstreamClient({ server: 'http://example.test', WebSocket: FakeSocket, fetch: okFetch });
  const follow = client.follow(RUN, { types: ['step_log', 'run_complete'], ...fast });
  assert.deepEqual(await collect(follow), [1, 2, 3, 4, 5, 6]);
  assert.equal(follow.lastSeq, 6);
  assert.equal(follow.reconnects, 2);
  assert.deepEqual(urls.map((u) => u.url.searchParams.get('after')), ['0', '3', '4']);
  assert.equal(urls[0].url.searchParams.get('batch'), '1');
  assert.equal(urls[0].url.searchParams.get('types'), 'step_log,run_complete');
  assert.equal(urls[0].url.protocol, 'ws:');
});

test('onStateChange hears connecting, live at caught_up and reconnecting, in order with the envelopes', async () => {
  const caughtUp = (seq) => JSON.stringify({ type: 'caught_up', payload: { seq } });
  const { FakeSocket } = scriptedWebSocket([
    [`${JSON.stringify(env(1))}\n${JSON.stringify(env(2))}\n${caughtUp(2)}`, JSON.stringify(env(3)), { close: 1006 }],
    [caughtUp(3), JSON.stringify(env(4, 'run_complete')), { close: 1000 }],
  ]);
  const client = new StepstreamClient({ server: 'http://example.test', WebSocket: FakeSocket, fetch: okFetch });
  const heard = [];
  const follow = client.follow(RUN, { ...fast, onStateChange: (state) => heard.push(state) });
  for await (const envelope of follow) heard.push(envelope.seq);
  assert.deepEqual(heard, ['connecting', 1, 2, 'live', 3, 'reconnecting', 'live', 4]);
});

test('reconnect() drops the connection at once and resumes after the last seq yielded', async () => {
  const { FakeSocket, urls } = scriptedWebSocket([
    [JSON.stringify(env(1)), JSON.stringify(env(2)), JSON.stringify(env(3))], // stays open
    [JSON.stringify(env(2)), JSON.stringify(env(3, 'run_complete')), { close: 1000 }],
  ]);
  const client = new StepstreamClient({ server: 'http://example.test', WebSocket: FakeSocket, fetch: okFetch });
  const states = [];
  const follow = client.follow(RUN, { ...fast, onStateChange: (state) => states.push(state) });
  const seen = [];
  for await (const envelope of follow) {
    seen.push(envelope.seq);
    if (envelope.seq === 1) {
      follow.reconnect();
      assert.equal(states.at(-1), 'reconnecting', 'said at once');
    }
  }
  assert.deepEqual(seen, [1, 2, 3]);
  assert.equal(follow.reconnects, 1);
  assert.deepEqual(urls.map((u) => u.url.searchParams.get('after')), ['0', '1']);
  follow.reconnect(); // over: nothing to drop
  assert.equal(urls.length, 2);
});

test('a token travels as the subprotocol beside stepstream.v2', async () => {
  const { FakeSocket, urls } = scriptedWebSocket([[JSON.stringify(env(1, 'run_complete')), { close: 1000 }]]);
  const client = new StepstreamClient({ server: 'https://example.test', token: 'ss_abc', WebSocket: FakeSocket, fetch: okFetch });
  await collect(client.follow(RUN));
  assert.deepEqual(urls[0].protocols, ['stepstream.v2', 'stepstream.bearer.ss_abc']);
  assert.equal(urls[0].url.protocol, 'wss:');
});

test('with the ws package (it has terminate) the token is the Authorization header instead', async () => {
  const { FakeSocket, urls } = scriptedWebSocket([[JSON.stringify(env(1, 'run_complete')), { close: 1000 }]]);
  class WsLike extends FakeSocket { terminate() { this.close(); } }
  const client = new StepstreamClient({ server: 'http://example.test', token: 'ss_abc', WebSocket: WsLike, fetch: okFetch });
  await collect(client.follow(RUN));
  assert.deepEqual(urls[0].protocols, ['stepstream.v2']);
  assert.deepEqual(urls[0].options, { headers: { Authorization: 'Bearer ss_abc' } });
});

test('a WebSocket that will not start (a token it cannot send) is a final bad_request, not a connection to make again', async () => {
  let made = 0;
  class Refusing { constructor(url, protocols) { made++; throw new SyntaxError(`The subprotocol '${protocols[1]}' is invalid.`); } }
  const client = new StepstreamClient({ server: 'http://example.test', token: 'bad token', WebSocket: Refusing, fetch: okFetch });
  const once = { ...fast, giveUpAfterMs: 500 }; // before, it tried again until it gave up: unavailable
  await assert.rejects(collect(client.follow(RUN, once)), (error) => error instanceof StepstreamError && error.kind === 'bad_request'
    && error.message.startsWith(`/api/v2/workflows/runs/${RUN}/stream: cannot open a WebSocket: `));
  assert.equal(made, 1);
  await assert.rejects(client.watchRuns(once)[Symbol.asyncIterator]().next(), (error) => error.kind === 'bad_request');
  assert.equal(made, 2);
});

test('a close with 1000 before run_complete ends a run that had ended at or before after', async () => {
  const { FakeSocket } = scriptedWebSocket([[JSON.stringify({ type: 'caught_up', payload: { seq: 9 } }), { close: 1000 }]]);
  const client = new StepstreamClient({ server: 'http://example.test', WebSocket: FakeSocket, fetch: okFetch });
  const follow = client.follow(RUN, { after: 9 });
  assert.deepEqual(await collect(follow), []);
  assert.equal(follow.lastSeq, 9);
});

test('1008 and 4xxx are final, with no reconnection', async () => {
  for (const code of [1008, 4001]) {
    const { FakeSocket, urls } = scriptedWebSocket([[JSON.stringify(env(1)), { close: code, reason: 'no more' }]]);
    const client = new StepstreamClient({ server: 'http://example.test', WebSocket: FakeSocket, fetch: okFetch });
    const follow = client.follow(RUN, fast);
    await assert.rejects(collect(follow), (error) => error instanceof StepstreamError
      && error.closeCode === code && error.closeReason === 'no more' && error.kind === (code === 1008 ? 'policy' : 'closed'));
    assert.equal(urls.length, 1);
    assert.equal(follow.lastSeq, 1);
  }
});

test('a refused upgrade is explained by the REST answer: 404 is final, 429 waits Retry-After', async () => {
  const { FakeSocket, urls } = scriptedWebSocket([[{ refuse: true }], [{ refuse: true }]]);
  const answers = [
    new Response('{"error":{"code":"rate_limited","message":"slow down"}}', { status: 429, headers: { 'Retry-After': '1' } }),
    new Response('{"error":{"code":"run_not_found","message":"no run","details":null}}', { status: 404 }),
  ];
  const client = new StepstreamClient({ server: 'http://example.test', WebSocket: FakeSocket, fetch: async () => answers.shift() });
  const started = Date.now();
  await assert.rejects(collect(client.follow(RUN, fast)), (error) => error.kind === 'not_found'
    && error.status === 404 && error.code === 'run_not_found');
  assert.ok(Date.now() - started >= 950, 'waited for Retry-After');
  assert.equal(urls.length, 2);
});

test('a refusal\'s question that the server never answers counts as no answer after 10 s: the follow tries again', async (t) => {
  const advance = mockClock(t);
  const { createServer } = await import('node:net');
  const held = new Set();
  const mute = createServer((socket) => held.add(socket)); // takes the request, never answers
  await new Promise((resolve) => mute.listen(0, '127.0.0.1', resolve));
  try {
    const { FakeSocket, urls } = scriptedWebSocket([[{ refuse: true }], [JSON.stringify(env(1, 'run_complete')), { close: 1000 }]]);
    const client = new StepstreamClient({ server: `http://127.0.0.1:${mute.address().port}`, WebSocket: FakeSocket });
    let seen = null;
    collect(client.follow(RUN, fast)).then((seqs) => { seen = seqs; });
    t.mock.timers.tick(1); // the upgrade is refused: the question is asked
    await until(() => held.size === 1, 'the question to reach the server');
    await advance(9_000);
    assert.equal(urls.length, 1, 'still waiting for the answer at 9 s');
    await advance(2_000); // before, the follow waited for ever
    await until(() => seen !== null, 'the follow to end', t);
    assert.deepEqual(seen, [1]);
    assert.equal(urls.length, 2);
  } finally {
    for (const socket of held) socket.destroy();
    await new Promise((resolve) => mute.close(resolve));
  }
});

test('an aborted follow stops at once', async () => {
  const { FakeSocket } = scriptedWebSocket([[{ refuse: true }], [{ refuse: true }], [{ refuse: true }]]);
  const client = new StepstreamClient({ server: 'http://example.test', WebSocket: FakeSocket, fetch: okFetch });
  const controller = new AbortController();
  setTimeout(() => controller.abort(new Error('enough')), 50);
  await assert.rejects(collect(client.follow(RUN, { signal: controller.signal, backoff: { baseMs: 1000, capMs: 1000 } })), /enough/);
});

test('REST errors carry the API error and the status', async () => {
  const fetch = async (url, init) => {
    assert.equal(init.headers.Authorization, 'Bearer t0k');
    assert.equal(init.method, 'POST');
    assert.deepEqual(JSON.parse(init.body), { inputs: { who: 'x' } });
    return new Response('{"error":{"code":"invalid_inputs","message":"bad","details":[{"path":"inputs.who"}]}}', { status: 422 });
  };
  const client = new StepstreamClient({ server: 'http://example.test', token: 't0k', fetch });
  await assert.rejects(client.execute('hello', { who: 'x' }), (error) => error.status === 422 && error.kind === 'invalid'
    && error.code === 'invalid_inputs' && error.details[0].path === 'inputs.who');
});

/**
 * A fetch that answers each request with the next of `answers` (`[status, body, retryAfter?]`)
 * and keeps each request's method and time (`asked`).
 */
function answering(answers) {
  const asked = [];
  const fetch = async (url, init) => {
    asked.push({ method: init.method, at: Date.now() });
    const [status, body, retryAfter] = answers.shift();
    return new Response(JSON.stringify(body), { status, headers: retryAfter === undefined ? {} : { 'Retry-After': retryAfter } });
  };
  return { fetch, asked };
}
const overCapacity = { error: { code: 'over_capacity', message: 'the server is at capacity' } };
const noJitter = { _backoff: { random: () => 0 } };

test('a GET answered 503 over_capacity is tried again after its Retry-After, and gives the next answer', async () => {
  const { fetch, asked } = answering([[503, overCapacity, '1'], [200, { runId: RUN, status: 'running' }]]);
  const client = new StepstreamClient({ server: 'http://example.test', fetch, ...noJitter });
  assert.deepEqual(await client.run(RUN), { runId: RUN, status: 'running' });
  assert.equal(asked.length, 2);
  assert.ok(asked[1].at - asked[0].at >= 990, `waited ${asked[1].at - asked[0].at} ms`);
});

test('an execute answered 503 store_unavailable is not tried again: the run may exist', async () => {
  const { fetch, asked } = answering([[503, { error: { code: 'store_unavailable', message: 'the store is down' } }, '5'], [202, {}]]);
  const client = new StepstreamClient({ server: 'http://example.test', fetch });
  await assert.rejects(client.execute('hello', { who: 'x' }), (error) => error instanceof StepstreamError
    && error.status === 503 && error.kind === 'unavailable' && error.code === 'store_unavailable'
    && error.message === 'POST /api/v2/workflows/hello/execute: 503 the store is down');
  assert.equal(asked.length, 1);
});

test('a POST answered 429 is tried again after its Retry-After: nothing was done', async () => {
  const { fetch, asked } = answering([[429, { error: { code: 'rate_limited', message: 'slow down' } }, '0'], [202, { runId: RUN, status: 'queued' }]]);
  const client = new StepstreamClient({ server: 'http://example.test', fetch, ...noJitter });
  assert.deepEqual(await client.execute('hello'), { runId: RUN, status: 'queued' });
  assert.deepEqual(asked.map((a) => a.method), ['POST', 'POST']);
});

test('the last failure is the error as it came: retries 0 tries once, the default three times', async () => {
  const refusals = () => [[503, overCapacity, '0'], [503, overCapacity, '0'], [503, overCapacity, '0'], [200, {}]];
  const once = answering(refusals());
  await assert.rejects(new StepstreamClient({ server: 'http://example.test', fetch: once.fetch, retries: 0 }).runs(),
    (error) => error.status === 503 && error.code === 'over_capacity' && error.kind === 'unavailable');
  assert.equal(once.asked.length, 1);
  const thrice = answering(refusals());
  await assert.rejects(new StepstreamClient({ server: 'http://example.test', fetch: thrice.fetch, ...noJitter }).runs(),
    (error) => error.status === 503 && error.code === 'over_capacity');
  assert.equal(thrice.asked.length, 3);
  assert.throws(() => new StepstreamClient({ server: 'http://example.test', retries: -1 }), TypeError);
});

test('a Retry-After over 30 s is the caller\'s to wait: the error comes at once', async () => {
  const { fetch, asked } = answering([[429, { error: { code: 'rate_limited', message: 'slow down' } }, '120'], [200, {}]]);
  const client = new StepstreamClient({ server: 'http://example.test', fetch });
  const started = Date.now();
  await assert.rejects(client.run(RUN), (error) => error.status === 429 && error.kind === 'rate_limited' && error.code === 'rate_limited');
  assert.equal(asked.length, 1);
  assert.ok(Date.now() - started < 1000);
});

test('other statuses are never tried again; a GET is on 502 and 504 too, a POST is not', async () => {
  for (const [status, method, times] of [[404, 'GET', 1], [500, 'GET', 1], [502, 'GET', 2], [504, 'GET', 2], [502, 'POST', 1], [504, 'POST', 1]]) {
    const { fetch, asked } = answering([[status, {}], [200, {}]]);
    const client = new StepstreamClient({ server: 'http://example.test', fetch, ...noJitter });
    const call = method === 'GET' ? client.runs() : client.cancel(RUN);
    if (times === 1) await assert.rejects(call, (error) => error.status === status); else await call;
    assert.equal(asked.length, times, `${method} ${status}`);
  }
});

test('a REST call that reaches no server fails with a StepstreamError of kind unavailable', async () => {
  // A port nothing listens on: one a server had, closed again.
  const { createServer } = await import('node:net');
  const listener = createServer();
  await new Promise((resolve) => listener.listen(0, '127.0.0.1', resolve));
  const { port } = listener.address();
  await new Promise((resolve) => listener.close(resolve));
  const client = new StepstreamClient({ server: `http://127.0.0.1:${port}` });
  await assert.rejects(client.run(RUN), (error) => error instanceof StepstreamError && error.kind === 'unavailable'
    && error.status === null && error.message.startsWith(`GET /api/v2/workflows/runs/${RUN}: cannot reach the server at http://127.0.0.1:${port}`));
});

// The rule for a server's URL, in the words of the command line and the Java and Python
// libraries, whose tests hold the same cases (Java's ServerUrlTest).
const NOT_HTTP = 'server: expected an http:// or https:// URL, got ';
const REFUSED = {
  'ftp://127.0.0.1': `${NOT_HTTP}ftp://127.0.0.1`,
  'localhost:8080': `${NOT_HTTP}localhost:8080`,
  'http:///stepstream': `${NOT_HTTP}http:///stepstream`,
  'http://:8080': `${NOT_HTTP}http://:8080`,
  'http://host:http': `${NOT_HTTP}http://host:http`,
  'http://host/a b': `${NOT_HTTP}http://host/a b`,
  'http://[zz]': `${NOT_HTTP}http://[zz]`,
  'http://host:0': 'server: expected a port from 1 to 65535, got http://host:0',
  'http://host:65536': 'server: expected a port from 1 to 65535, got http://host:65536',
  'http://host/?x=1': "server: expected a URL without a query (?…): the API's paths go after it, got http://host/?x=1",
  'http://host?': "server: expected a URL without a query (?…): the API's paths go after it, got http://host?",
  'http://host/#top': "server: expected a URL without a fragment (#…): the API's paths go after it, got http://host/#top",
  'http://ann:s3cret@host': 'server: a password in the URL is never sent; give a token, got http://***@host',
  'http://ann:@host': 'server: a password in the URL is never sent; give a token, got http://***@host',
  'http://ann:s3cret@host/?password=s3cret':
    "server: expected a URL without a query (?…): the API's paths go after it, got http://***@host/?password=***",
};

test('each server URL the API\'s paths cannot follow is refused at once, saying what is wrong without its user-info', () => {
  for (const [server, message] of Object.entries(REFUSED)) {
    assert.throws(() => new StepstreamClient({ server }), (error) => error instanceof TypeError && error.message === message, server);
  }
});

test('each good server URL is taken, and the API\'s paths go after its path, without its user-info', async () => {
  const apiAt = {
    'http://127.0.0.1:8080': 'http://127.0.0.1:8080/api/v2/workflows/runs',
    'http://127.0.0.1': 'http://127.0.0.1/api/v2/workflows/runs',
    'https://ci.example.com:1/stepstream': 'https://ci.example.com:1/stepstream/api/v2/workflows/runs',
    'https://ci.example.com:65535/stepstream/': 'https://ci.example.com:65535/stepstream/api/v2/workflows/runs',
    'http://[::1]:8080': 'http://[::1]:8080/api/v2/workflows/runs',
    'HTTPS://ci.example.com': 'https://ci.example.com/api/v2/workflows/runs',
    'http://ann@127.0.0.1:8080/': 'http://127.0.0.1:8080/api/v2/workflows/runs',
  };
  for (const [server, api] of Object.entries(apiAt)) {
    let asked;
    const fetch = async (url) => { asked = String(url); return new Response('{"runs":[],"next":null}', { status: 200 }); };
    await new StepstreamClient({ server, fetch }).runs();
    assert.equal(asked, api, server);
  }
});

test('a server URL with a path (a reverse proxy at one) keeps it before every path: REST, both streams, a refusal\'s question', async () => {
  // A proxy that serves stepstream at /stepstream/ and answers anything else with its own 404 page.
  const { createServer } = await import('node:http');
  const asked = [];
  const proxy = createServer((request, response) => {
    asked.push(request.url);
    if (!request.url.startsWith('/stepstream/api/v2/')) {
      response.writeHead(404, { 'Content-Type': 'text/html' }).end('<h1>Not Found</h1>');
    } else if (request.url.includes('/events')) {
      response.writeHead(200, { 'Content-Type': 'application/json' }).end('{"events":[],"next":null}');
    } else {
      response.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ runId: RUN, status: 'running' }));
    }
  });
  await new Promise((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  try {
    for (const server of [`http://127.0.0.1:${proxy.address().port}/stepstream`, `http://127.0.0.1:${proxy.address().port}/stepstream/`]) {
      asked.length = 0;
      // The stream's first upgrade is refused (as a browser sees it): the client asks the REST API why.
      const { FakeSocket, urls } = scriptedWebSocket([[{ refuse: true }], [JSON.stringify(env(1, 'run_complete')), { close: 1000 }], []]);
      const client = new StepstreamClient({ server, WebSocket: FakeSocket });
      assert.equal((await client.run(RUN)).status, 'running', server);
      assert.deepEqual(await collect(client.follow(RUN, fast)), [1], server);
      assert.deepEqual(await take(client.watchRuns({ workflowId: 'hello', ...fast }), 1), [{ type: 'connected' }], server);
      assert.deepEqual(urls.map((u) => u.url.pathname), [
        `/stepstream/api/v2/workflows/runs/${RUN}/stream`, `/stepstream/api/v2/workflows/runs/${RUN}/stream`, '/stepstream/api/v2/stream',
      ], server);
      assert.equal(urls[2].url.search, '?workflowId=hello', server);
      assert.deepEqual(asked, [`/stepstream/api/v2/workflows/runs/${RUN}`, `/stepstream/api/v2/workflows/runs/${RUN}/events?after=0&limit=1`], server);
    }
  } finally {
    proxy.closeAllConnections();
    await new Promise((resolve) => proxy.close(resolve));
  }
});

// ---- the all-runs stream ----

const queued = (runId) => ({ runId, seq: 0, type: 'run_queued', time: '2026-01-01T00:00:00.000Z', payload: { workflowId: 'hello', workflowVersion: 1, trigger: 'api' } });
const progress = (runId, stepId, status) => ({ type: 'run_progress', runId, payload: { stepId, status } });

/** The first `count` items of a watch; leaving the loop ends it. */
async function take(watch, count) {
  const items = [];
  for await (const item of watch) {
    if (items.push(item) === count) break;
  }
  return items;
}

test('a watch yields connected, then each item of a multi-line frame as the server sent it', async () => {
  const items = [queued(RUN), env(1, 'run_start'), progress(RUN, 'a', 'success'), { type: 'run_later', runId: RUN, extra: 1 }];
  const { FakeSocket, urls } = scriptedWebSocket([[items.map((item) => JSON.stringify(item)).join('\n') + '\n']]); // stays open
  const client = new StepstreamClient({ server: 'http://example.test', token: 'ss_abc', WebSocket: FakeSocket, fetch: okFetch });
  const watch = client.watchRuns({ workflowId: 'hello' });
  assert.deepEqual(await take(watch, 5), [{ type: 'connected' }, ...items]);
  assert.equal(watch.reconnects, 0);
  assert.equal(urls[0].url.pathname, '/api/v2/stream');
  assert.equal(urls[0].url.search, '?workflowId=hello');
  assert.deepEqual(urls[0].protocols, ['stepstream.v2', 'stepstream.bearer.ss_abc']);
});

test('a watch says connected at once, before any item comes', async () => {
  const { FakeSocket } = scriptedWebSocket([[]]); // opens, then stays quiet
  const client = new StepstreamClient({ server: 'http://example.test', WebSocket: FakeSocket, fetch: okFetch });
  assert.deepEqual(await take(client.watchRuns(), 1), [{ type: 'connected' }]);
});

test('a watch reconnects after a lost connection or 1013 and says connected again each time', async () => {
  const { FakeSocket, urls } = scriptedWebSocket([
    [JSON.stringify(queued(RUN)), { close: 1006 }],
    [JSON.stringify(progress(RUN, 'a', 'waiting')), { close: 1013, reason: 'fell behind the run feed' }],
    [JSON.stringify({ type: 'run_deleted', runId: RUN, payload: { workflowId: 'hello' } })],
  ]);
  const client = new StepstreamClient({ server: 'http://example.test', WebSocket: FakeSocket, fetch: okFetch });
  const heard = [];
  const watch = client.watchRuns({ ...fast, onStateChange: (state) => heard.push(state) });
  for await (const item of watch) {
    heard.push(item.type);
    if (item.type === 'run_deleted') break;
  }
  assert.deepEqual(heard, ['connecting', 'live', 'connected', 'run_queued', 'reconnecting', 'live', 'connected', 'run_progress',
    'reconnecting', 'live', 'connected', 'run_deleted']);
  assert.equal(watch.reconnects, 2);
  assert.deepEqual(urls.map((u) => u.url.search), ['', '', '']);
});

test('reconnect() drops a watch\'s connection and the next one says connected', async () => {
  const { FakeSocket } = scriptedWebSocket([
    [JSON.stringify(queued(RUN)), JSON.stringify(progress(RUN, 'a', 'success'))], // stays open
    [JSON.stringify(progress(RUN, 'b', 'success'))],
  ]);
  const client = new StepstreamClient({ server: 'http://example.test', WebSocket: FakeSocket, fetch: okFetch });
  const watch = client.watchRuns(fast);
  const seen = [];
  for await (const item of watch) {
    seen.push(item.type === 'run_progress' ? item.payload.stepId : item.type);
    if (item.type === 'run_queued') watch.reconnect(); // what was received after it is gone with the connection
    if (seen.length === 4) break;
  }
  assert.deepEqual(seen, ['connected', 'run_queued', 'connected', 'b']);
  assert.equal(watch.reconnects, 1);
});

test('a watch\'s final errors come without retry: 1008, 4xxx, 1000, and a refusal that the runs list explains', async () => {
  for (const code of [1008, 4001, 1000]) {
    const { FakeSocket, urls } = scriptedWebSocket([[JSON.stringify(queued(RUN)), { close: code, reason: 'no more' }]]);
    const client = new StepstreamClient({ server: 'http://example.test', WebSocket: FakeSocket, fetch: okFetch });
    const types = [];
    await assert.rejects(async () => { for await (const item of client.watchRuns(fast)) types.push(item.type); },
      (error) => error instanceof StepstreamError && error.closeCode === code && error.closeReason === 'no more'
        && error.kind === (code === 1008 ? 'policy' : 'closed'));
    assert.deepEqual(types, ['connected', 'run_queued']);
    assert.equal(urls.length, 1);
  }
  const { FakeSocket, urls } = scriptedWebSocket([[{ refuse: true }]]);
  const asked = [];
  const fetch = async (url, init) => {
    asked.push({ url: new URL(url), authorization: init.headers.Authorization });
    return new Response('{"error":{"code":"invalid_token","message":"unknown token"}}', { status: 401 });
  };
  const client = new StepstreamClient({ server: 'http://example.test', token: 'ss_bad', WebSocket: FakeSocket, fetch });
  await assert.rejects(take(client.watchRuns({ workflowId: 'hello', ...fast }), 1), (error) => error.kind === 'unauthenticated'
    && error.status === 401 && error.code === 'invalid_token' && /GET \/api\/v2\/stream/.test(error.message));
  assert.equal(urls.length, 1);
  assert.deepEqual(asked.map((a) => `${a.url.pathname}${a.url.search}`), ['/api/v2/workflows/runs?limit=1&workflowId=hello']);
  assert.equal(asked[0].authorization, 'Bearer ss_bad');
});

test('a watch waits a Retry-After of the runs list, then connects', async () => {
  const { FakeSocket, urls } = scriptedWebSocket([[{ refuse: true }], []]);
  const answers = [new Response('{"error":{"code":"rate_limited","message":"slow down"}}', { status: 429, headers: { 'Retry-After': '1' } })];
  const client = new StepstreamClient({ server: 'http://example.test', WebSocket: FakeSocket, fetch: async () => answers.shift() });
  const started = Date.now();
  const watch = client.watchRuns(fast);
  assert.deepEqual(await take(watch, 1), [{ type: 'connected' }]);
  assert.ok(Date.now() - started >= 950, 'waited for Retry-After');
  assert.equal(urls.length, 2);
  assert.equal(watch.reconnects, 1);
});

test('an aborted watch stops at once', async () => {
  const { FakeSocket } = scriptedWebSocket([[]]); // opens, then stays quiet
  const client = new StepstreamClient({ server: 'http://example.test', WebSocket: FakeSocket, fetch: okFetch });
  const controller = new AbortController();
  const seen = [];
  await assert.rejects(async () => {
    for await (const item of client.watchRuns({ signal: controller.signal })) {
      seen.push(item.type);
      controller.abort(new Error('enough'));
    }
  }, /enough/);
  assert.deepEqual(seen, ['connected']);
});

test('an aborted watch says nothing more, though the runs list answers its question after the abort', async () => {
  const { FakeSocket } = scriptedWebSocket([[{ refuse: true }]]);
  const controller = new AbortController();
  const fetch = async () => {
    controller.abort(new Error('the page moved on')); // while the question is on its way
    return new Response('{"runs":[],"next":null}', { status: 200 });
  };
  const client = new StepstreamClient({ server: 'http://example.test', WebSocket: FakeSocket, fetch });
  const heard = [];
  await assert.rejects(take(client.watchRuns({ ...fast, signal: controller.signal, onStateChange: (state) => heard.push(state) }), 1),
    /the page moved on/);
  assert.deepEqual(heard, ['connecting']);
});

test('a server that closes each connection at once is given up on, not asked again at the base pace for ever', { timeout: 10_000 }, async () => {
  const { FakeSocket, urls } = scriptedWebSocket([]); // each connection opens, then closes with 1006 at once
  const client = new StepstreamClient({ server: 'http://example.test', WebSocket: FakeSocket, fetch: okFetch });
  const seen = [];
  await assert.rejects(async () => {
    // The signal ends a watch that never gives up: a failure, not a hang.
    for await (const item of client.watchRuns({ ...fast, giveUpAfterMs: 100, signal: AbortSignal.timeout(5_000) })) seen.push(item.type);
  }, (error) => error instanceof StepstreamError && error.kind === 'unavailable');
  assert.ok(seen.length > 1 && seen.every((type) => type === 'connected'), `a connected item for each: ${seen}`);
  assert.equal(urls.length, seen.length);
});

// ---- a connection that goes silent without closing ----
// The clock is node:test's mock: 45 s of silence pass in milliseconds.

/**
 * Waits for `condition` while real I/O happens, for 2 s of real time at most; with `t`, moving its
 * mocked clock on by 1 ms a turn of the event loop (for a pause, a socket's opening).
 */
async function until(condition, what, t = null) {
  const deadline = performance.now() + 2_000;
  while (!condition()) {
    if (performance.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    t?.mock.timers.tick(1);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

const PING = JSON.stringify({ type: 'ping' });
const caughtUp = (seq) => JSON.stringify({ type: 'caught_up', payload: { seq } });

/** Mocks the timers and the clock of test `t` (undone after it); advance(ms) moves them on. */
function mockClock(t) {
  t.mock.timers.enable({ apis: ['setTimeout', 'setInterval', 'Date'] });
  return async (ms) => {
    // A second at a time, letting promises settle between: each step of a reconnection (the
    // pause, the opening) is a timer of its own.
    for (let passed = 0; passed < ms; passed += 1000) {
      t.mock.timers.tick(Math.min(1000, ms - passed));
      await new Promise((resolve) => setImmediate(resolve));
    }
  };
}

test('a follow whose connection goes silent pings it at 15 s, gives it up at 45 s and resumes with after=lastSeq', async (t) => {
  const advance = mockClock(t);
  const { FakeSocket, urls, sockets } = scriptedWebSocket([
    [JSON.stringify(env(1)), JSON.stringify(env(2)), caughtUp(2)], // then nothing, and no close: a frozen proxy
    [caughtUp(2), JSON.stringify(env(3)), JSON.stringify(env(4, 'run_complete')), { close: 1000 }],
  ]);
  const client = new StepstreamClient({ server: 'http://example.test', WebSocket: FakeSocket, fetch: okFetch });
  const heard = [];
  const follow = client.follow(RUN, { ...fast, giveUpAfterMs: 60_000, onStateChange: (state) => heard.push(state) });
  const done = (async () => { for await (const envelope of follow) heard.push(envelope.seq); })();
  await advance(1_000);
  assert.deepEqual(heard, ['connecting', 1, 2, 'live']);
  // The watchdog looks every 5 s: it pings 15 to 20 s into the quiet, and gives up 45 to 50 s in.
  await advance(13_000);
  assert.deepEqual(sockets[0].sent, [], 'quiet for less than 15 s: not pinged');
  await advance(7_000);
  assert.deepEqual(sockets[0].sent, [PING], 'quiet for 15 s: pinged');
  await advance(23_000);
  assert.equal(urls.length, 1, 'silent for 44 s: still the first connection');
  assert.ok(sockets[0].sent.every((sent) => sent === PING), 'pinged again while silent');
  await advance(10_000);
  await done;
  assert.deepEqual(heard, ['connecting', 1, 2, 'live', 'reconnecting', 'live', 3, 4]);
  assert.equal(follow.reconnects, 1);
  assert.deepEqual(urls.map((u) => u.url.searchParams.get('after')), ['0', '2']);
});

test('an upgrade that is never answered is given up at 15 s and tried again, without asking the REST API why', async (t) => {
  const advance = mockClock(t);
  const { FakeSocket, urls } = scriptedWebSocket([[{ hang: true }], [JSON.stringify(env(1, 'run_complete')), { close: 1000 }]]);
  let asked = 0;
  const client = new StepstreamClient({ server: 'http://example.test', WebSocket: FakeSocket, fetch: async () => { asked++; return okFetch(); } });
  const follow = client.follow(RUN, fast);
  const done = collect(follow);
  await advance(14_000);
  assert.equal(urls.length, 1);
  await advance(10_000);
  assert.deepEqual(await done, [1]);
  assert.equal(asked, 0, 'a silent connection is not a refusal to explain');
  assert.equal(follow.reconnects, 1);
});

test('frames waiting for a slow consumer are not silence: it counts from the last one taken', async (t) => {
  const advance = mockClock(t);
  const { FakeSocket, urls, sockets } = scriptedWebSocket([[JSON.stringify(env(1)), JSON.stringify(env(2))], []]);
  const client = new StepstreamClient({ server: 'http://example.test', WebSocket: FakeSocket, fetch: okFetch });
  const seen = [];
  const controller = new AbortController();
  const done = (async () => {
    for await (const envelope of client.follow(RUN, { ...fast, signal: controller.signal })) {
      seen.push(envelope.seq);
      if (envelope.seq === 1) await new Promise((resolve) => setTimeout(resolve, 60_000)); // seq 2 waits meanwhile
    }
  })();
  await advance(61_000);
  assert.deepEqual(seen, [1, 2]);
  assert.equal(urls.length, 1, 'no reconnection while a frame waited');
  assert.deepEqual(sockets[0].sent, []);
  await advance(14_000);
  assert.deepEqual(sockets[0].sent, [], 'quiet since seq 2 was taken, for less than 15 s');
  await advance(40_000);
  assert.equal(urls.length, 2, 'silent for 45 s since seq 2 was taken');
  controller.abort(new Error('enough'));
  await assert.rejects(done, /enough/);
});

test('a watch whose connection goes silent reconnects and says connected again', async (t) => {
  const advance = mockClock(t);
  const { FakeSocket, urls } = scriptedWebSocket([[JSON.stringify(queued(RUN))], [JSON.stringify(progress(RUN, 'a', 'success'))]]);
  const client = new StepstreamClient({ server: 'http://example.test', WebSocket: FakeSocket, fetch: okFetch });
  const controller = new AbortController();
  const watch = client.watchRuns({ ...fast, signal: controller.signal });
  const seen = [];
  const done = (async () => { for await (const item of watch) seen.push(item.type); })();
  await advance(44_000);
  assert.deepEqual(seen, ['connected', 'run_queued']);
  await advance(10_000);
  assert.deepEqual(seen, ['connected', 'run_queued', 'connected', 'run_progress']);
  assert.equal(watch.reconnects, 1);
  assert.equal(urls.length, 2);
  controller.abort(new Error('enough'));
  await assert.rejects(done, /enough/);
});

test('a quiet watch whose pings are answered keeps its connection, and the pongs are not yielded', async (t) => {
  const advance = mockClock(t);
  const { FakeSocket, urls, sockets } = scriptedWebSocket([[]], { answersPings: true });
  const client = new StepstreamClient({ server: 'http://example.test', WebSocket: FakeSocket, fetch: okFetch });
  const controller = new AbortController();
  const seen = [];
  const done = (async () => { for await (const item of client.watchRuns({ signal: controller.signal })) seen.push(item.type); })();
  await advance(300_000);
  assert.deepEqual(seen, ['connected']);
  assert.equal(urls.length, 1);
  assert.ok(sockets[0].sent.length >= 300 / 20, `pinged each time it was quiet for 15 s: ${sockets[0].sent.length}`);
  controller.abort(new Error('enough'));
  await assert.rejects(done, /enough/);
});

test('connections that open and stay silent add up to giveUpAfterMs, however long each was open', async (t) => {
  const advance = mockClock(t);
  const { FakeSocket, urls } = scriptedWebSocket([[], [], [], [], [], [], []]);
  const client = new StepstreamClient({ server: 'http://example.test', WebSocket: FakeSocket, fetch: okFetch });
  const outcome = take(client.watchRuns({ ...fast, giveUpAfterMs: 100_000 }), 100).then(() => null, (error) => error);
  await advance(240_000); // before, it connected again every 45 s for ever: each had stayed open 5 s
  const error = await outcome;
  assert.ok(error instanceof StepstreamError && error.kind === 'unavailable', String(error));
  assert.match(error.message, /no usable connection for 100 s \(nothing heard from the server for 45 s\)/);
  assert.ok(urls.length >= 3 && urls.length <= 4, `given up at the first silence 100 s after the first one: ${urls.length} connections`);
});

test('a follow or a watch that ends or is aborted leaves no timer: the process exits', () => {
  const script = `
    import { StepstreamClient } from ${JSON.stringify(new URL('../index.mjs', import.meta.url).href)};
    class Quiet extends EventTarget { // opens (or, told so, never answers), then says nothing
      static hangs = false;
      constructor() { super(); this.readyState = 0; setTimeout(() => { if (!Quiet.hangs) { this.readyState = 1; this.dispatchEvent(new Event('open')); } }, 0); }
      send() {}
      close() { this.readyState = 3; }
    }
    const client = new StepstreamClient({ server: 'http://example.test', WebSocket: Quiet, fetch: async () => new Response('{}') });
    for await (const item of client.watchRuns()) break;
    for (const hangs of [false, true]) {
      Quiet.hangs = hangs;
      const follow = client.follow(${JSON.stringify(RUN)}, { signal: AbortSignal.timeout(50) });
      await (async () => { for await (const envelope of follow); })().catch((error) => console.log(error.name));
    }
    console.log('done');
  `;
  const started = Date.now();
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 15_000 });
  assert.equal(child.signal, null, `still running after 15 s: a timer outlived its stream (${child.stderr})`);
  assert.equal(child.status, 0, child.stderr);
  assert.deepEqual(child.stdout.trim().split('\n'), ['TimeoutError', 'TimeoutError', 'done']);
  assert.ok(Date.now() - started < 5_000, 'exited before a silence check was due');
});
