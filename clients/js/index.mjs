// stepstream's JavaScript client: follows a run over its WebSocket stream with exact resume by
// seq, watches the all-runs stream, and wraps the REST calls. No dependencies; browsers and
// Node 20+ (pass a WebSocket implementation, such as the `ws` package's, where there is no
// global one).

/** The close codes after which a stream connects again (a follower with after=<lastSeq>). */
const RECONNECT_CODES = new Set([1001, 1005, 1006, 1011, 1012, 1013, 1014]);

/**
 * Whether a stream closed with this code is connected again (a run's with after=<lastSeq>, the
 * all-runs stream from now): the server's own table (GET /closecodes.mjs) for the codes it
 * sends, which the conformance suite checks, and the network's 1005/1006, 1012 and 1014.
 */
export function reconnectsAfter(code) {
  return RECONNECT_CODES.has(code);
}
/** HTTP statuses of a refused upgrade (or of the probe) that are worth trying again. */
const RETRY_STATUSES = new Set([408, 429, 502, 503, 504]);
const KINDS = { 400: 'bad_request', 401: 'unauthenticated', 403: 'forbidden', 404: 'not_found', 409: 'conflict',
  413: 'too_large', 422: 'invalid', 429: 'rate_limited', 503: 'unavailable' };

/** The error of a refused REST call or of a stream that cannot go on. */
export class StepstreamError extends Error {
  constructor(message, { kind, status = null, code = null, details = null, closeCode = null, closeReason = null } = {}) {
    super(message);
    this.name = 'StepstreamError';
    /** What went wrong: not_found, unauthenticated, forbidden, bad_request, policy, closed, unavailable, … */
    this.kind = kind;
    this.status = status;
    this.code = code;
    this.details = details;
    this.closeCode = closeCode;
    /** The reason the server gave with that close code, if any. */
    this.closeReason = closeReason;
  }
}

/**
 * The pause before attempt `attempt` (0-based) of a reconnection: "full jitter", a uniform
 * random time between 0 and min(cap, base * 2^attempt), but at least `retryAfterMs`.
 */
export function backoffDelay(attempt, { baseMs = 250, capMs = 10_000, retryAfterMs = 0, random = Math.random } = {}) {
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.min(attempt, 30));
  return Math.max(retryAfterMs, Math.floor(random() * ceiling));
}

/** The envelopes and control messages of one text frame (batch=1: one JSON object per line). */
export function splitFrame(data) {
  const messages = [];
  for (const line of String(data).split('\n')) {
    if (line.trim()) messages.push(JSON.parse(line));
  }
  return messages;
}

/** Seconds or an HTTP date of a Retry-After header, in ms; 0 when absent or unreadable. */
export function retryAfterMs(header, now = Date.now()) {
  if (!header) return 0;
  if (/^\d+$/.test(header.trim())) return Number(header.trim()) * 1000;
  const date = Date.parse(header);
  return Number.isNaN(date) ? 0 : Math.max(0, date - now);
}

/**
 * A REST call's retries: how many by default (3 attempts in all), and the longest Retry-After
 * waited for; a longer one is the caller's to decide, so the call fails at once as before.
 */
const REST_RETRIES = 2;
const REST_RETRY_AFTER_MAX_MS = 30_000;

/**
 * Whether a REST call's failure may be tried again: a 429 or a 503 over_capacity (the server
 * refused before doing anything) whatever the method; for a GET, which is idempotent, any
 * 502/503/504 and no answer at all (status null) too. A POST's other 503s (store_unavailable on
 * an execute) and lost answers are ambiguous: it may have been done.
 */
function retryable(method, status, code) {
  if (status === 429 || (status === 503 && code === 'over_capacity')) return true;
  return method === 'GET' && (status === null || status === 502 || status === 503 || status === 504);
}

export class StepstreamClient {
  #server;
  #token;
  #WebSocket;
  #fetch;
  #silence;
  #retries;
  #backoff;

  /**
   * @param {{server: string, token?: string, WebSocket?: any, fetch?: typeof fetch, retries?: number}} options
   * `retries`: how many times a REST call is tried again (default 2; 0: never), see #call.
   * (`_silence: {quietMs, deadAfterMs}` shortens the silence timings of Connection, for tests
   * that run against a real server, such as the conformance suite's; `_backoff: {baseMs, capMs,
   * random}` the REST retries' pauses, for tests; they are not API)
   */
  constructor({ server, token, WebSocket: WebSocketImpl, fetch: fetchImpl, retries = REST_RETRIES, _silence, _backoff } = {}) {
    if (!Number.isInteger(retries) || retries < 0) throw new TypeError(`retries: expected a whole number >= 0, got ${retries}`);
    if (!server) throw new TypeError('StepstreamClient: server is required, e.g. http://127.0.0.1:8080');
    const url = String(server);
    const problem = serverUrlProblem(url);
    if (problem) throw new TypeError(`server: ${problem}, got ${shownUrl(url)}`);
    this.#server = baseUrl(url);
    this.#token = token || null;
    this.#WebSocket = WebSocketImpl ?? globalThis.WebSocket;
    this.#fetch = fetchImpl ?? globalThis.fetch?.bind(globalThis);
    this.#silence = { quietMs: QUIET_MS, deadAfterMs: DEAD_AFTER_MS, openMs: OPEN_MS, ..._silence };
    this.#retries = retries;
    this.#backoff = { ..._backoff };
  }

  // ---- REST ----

  /** Starts a run of a workflow: `{runId, workflowId, status, streamUrl}`. */
  execute(workflowId, inputs) {
    return this.#call('POST', `/api/v2/workflows/${enc(workflowId)}/execute`, inputs === undefined ? undefined : { inputs });
  }

  /** The run's detail. */
  run(runId) {
    return this.#call('GET', `/api/v2/workflows/runs/${enc(runId)}`);
  }

  /** Runs, newest first: `{runs, next}`; query: workflowId, status, limit, before. */
  runs(query = {}) {
    return this.#call('GET', `/api/v2/workflows/runs${queryString(query)}`);
  }

  /** One page of a run's history: `{events, next}`; query: after, limit, types, steps, minLevel, q. */
  events(runId, query = {}) {
    return this.#call('GET', `/api/v2/workflows/runs/${enc(runId)}/events${queryString(query)}`);
  }

  cancel(runId) {
    return this.#call('POST', `/api/v2/workflows/runs/${enc(runId)}/cancel`);
  }

  /** Starts a new run from an ended one; from: "failed" (default), "start" or a step id. */
  retry(runId, { from } = {}) {
    return this.#call('POST', `/api/v2/workflows/runs/${enc(runId)}/retry`, from === undefined ? undefined : { from });
  }

  approve(runId, stepId, { comment } = {}) {
    return this.#call('POST', `/api/v2/workflows/runs/${enc(runId)}/steps/${enc(stepId)}/approve`, comment === undefined ? undefined : { comment });
  }

  reject(runId, stepId, { comment } = {}) {
    return this.#call('POST', `/api/v2/workflows/runs/${enc(runId)}/steps/${enc(stepId)}/reject`, comment === undefined ? undefined : { comment });
  }

  /**
   * One REST call, tried again up to `retries` times when retryable() says so, after a full-jitter
   * pause (backoffDelay, as a follow's) of at least the answer's Retry-After; a Retry-After over
   * REST_RETRY_AFTER_MAX_MS, or the last attempt, throws the error as it came.
   */
  async #call(method, path, body) {
    for (let attempt = 0; ; attempt++) {
      const outcome = await this.#attempt(method, path, body);
      if (!outcome.error) return outcome.value;
      const { error, retryAfter } = outcome;
      if (attempt >= this.#retries || !retryable(method, error.status, error.code)) throw error;
      const waitAtLeast = retryAfterMs(retryAfter);
      if (waitAtLeast > REST_RETRY_AFTER_MAX_MS) throw error;
      await sleep(backoffDelay(attempt, { ...this.#backoff, retryAfterMs: waitAtLeast }));
    }
  }

  /** One attempt: `{value}`, or `{error, retryAfter}` (the Retry-After header, if any). */
  async #attempt(method, path, body) {
    const headers = { Accept: 'application/json' };
    if (this.#token) headers.Authorization = `Bearer ${this.#token}`;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    let response;
    try {
      response = await this.#fetch(apiUrl(path, this.#server), {
        method, headers, body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (err) {
      // fetch rejects only when no answer came (no server, a reset, a refused cross-origin read).
      return { error: new StepstreamError(`${method} ${path}: cannot reach the server at ${this.#server}: ${err.cause?.code ?? err.message}`,
        { kind: 'unavailable' }) };
    }
    const text = await response.text();
    if (!response.ok) return { error: errorOf(method, path, response, text), retryAfter: response.headers?.get?.('Retry-After') };
    return { value: text ? JSON.parse(text) : null };
  }

  // ---- the streams ----

  /**
   * Follows a run: an async iterable of its envelopes after seq `after`, each once and in seq
   * order, ending after run_complete. The handle's `lastSeq` is the seq of the last envelope
   * yielded (pass it as `after` to resume later); `reconnects` counts connections made again;
   * `reconnect()` drops the connection and resumes. `onStateChange(state)` hears of
   * 'connecting', 'live' (the server's caught_up) and 'reconnecting', in order with the envelopes.
   */
  follow(runId, options = {}) {
    return new Follow(this, runId, options, this.#streamEnv());
  }

  /**
   * Watches the runs of every workflow (or of `workflowId`): an async iterable of the all-runs
   * stream's items, which never ends by itself (stop it with `signal`). The stream has no
   * history, so each connection, the first and every later one, begins with a client-made
   * `{type: 'connected'}`: the moment to list the runs over REST, then apply what follows.
   * `reconnects`, `reconnect()` and `onStateChange` ('live' at each `connected') as for follow.
   */
  watchRuns(options = {}) {
    return new RunWatch(options, this.#streamEnv());
  }

  #streamEnv() {
    return { WebSocket: this.#WebSocket, token: this.#token, server: this.#server, fetch: this.#fetch, silence: this.#silence };
  }
}

/** One follower of one run. Iterate it once. */
export class Follow {
  #stream;
  lastSeq;

  constructor(client, runId, options, env) {
    this.lastSeq = Number(options.after ?? 0);
    const { types, steps, minLevel } = options;
    this.#stream = new Reconnecting(env, options, {
      path: `/api/v2/workflows/runs/${enc(runId)}/stream`,
      query: () => ({ batch: 1, after: this.lastSeq, types, steps, minLevel }),
      question: () => `/api/v2/workflows/runs/${enc(runId)}/events${queryString({ after: this.lastSeq, limit: 1, types, steps, minLevel })}`,
      again: () => `call client.follow again with after: ${this.lastSeq}`,
      opened: () => [],
      take: (message) => {
        if (message.type === 'caught_up') return LIVE;
        if (typeof message.seq !== 'number' || message.seq <= this.lastSeq) return SKIP; // pong, or seen
        this.lastSeq = message.seq;
        return message.type === 'run_complete' ? LAST : ITEM;
      },
      finished: (close) => {
        if (close.code !== 1000) return false;
        if (close.reason === 'run deleted') throw new StepstreamError(`run ${runId} was deleted`, { kind: 'deleted', closeCode: 1000, closeReason: close.reason });
        return true; // the run had ended at or before `after`
      },
    });
  }

  /** How many times the follower connected again. */
  get reconnects() {
    return this.#stream.reconnects;
  }

  [Symbol.asyncIterator]() {
    return this.#stream.run();
  }

  /**
   * Drops the connection at once and connects again with after=lastSeq, as after a lost one
   * (the same pause first): for when the network is known to have changed. What it had received
   * but not yet yielded comes again on the next. Nothing happens while no connection is open, or
   * once the server has closed it.
   */
  reconnect() {
    this.#stream.reconnect();
  }
}

/**
 * One watch of the all-runs stream. Iterate it once. Nothing is resumed: what happens while no
 * connection is open is not sent, hence the `connected` item that opens each connection.
 */
export class RunWatch {
  #stream;

  constructor({ workflowId, ...options }, env) {
    this.#stream = new Reconnecting(env, options, {
      path: '/api/v2/stream',
      query: () => ({ workflowId }),
      // The runs list refuses what the stream would (a bad workflowId, the token) alike.
      question: () => `/api/v2/workflows/runs${queryString({ limit: 1, workflowId })}`,
      again: () => 'call client.watchRuns again',
      opened: () => [{ type: 'connected' }],
      // pong: the server's answer to the connection's own ping (see Connection), not the caller's.
      take: (message) => (message.type === 'connected' ? LIVE_ITEM : message.type === 'pong' ? SKIP : ITEM),
      finished: () => false,
    });
  }

  /** How many times the watch connected again, tries that failed included (as a follow counts). */
  get reconnects() {
    return this.#stream.reconnects;
  }

  [Symbol.asyncIterator]() {
    return this.#stream.run();
  }

  /**
   * Drops the connection at once and connects again, as after a lost one (the same pause first);
   * the next connection begins with `connected` as every one does. Items received but not yet
   * yielded are dropped with it. Nothing happens while no connection is open.
   */
  reconnect() {
    this.#stream.reconnect();
  }
}

// What a stream makes of a message (its take()): whether the caller gets it (item), whether the
// stream is live from here (live: onStateChange hears so), whether the iteration ends after it.
const SKIP = {};
const ITEM = { item: true };
const LAST = { item: true, last: true };
const LIVE = { live: true };
const LIVE_ITEM = { item: true, live: true };

/**
 * The reconnecting loop of Follow and RunWatch: one connection at a time; after a lost one (a
 * silent one too, see Connection), a reconnect(), or a close code that reconnectsAfter() accepts,
 * a full-jitter pause (at least a Retry-After) and a new connection, giving up with `unavailable`
 * after giveUpAfterMs without a usable one; any other close, or a refusal that waiting would not
 * help, is a final StepstreamError. `stream` says what differs between the two:
 * - `path`, `query()`: where the next connection goes;
 * - `question()`: the REST request (path and query) refused for the same reasons as the stream,
 *   asked when a refused upgrade cannot be read (a browser's WebSocket);
 * - `opened()`: the items a connection brings as it opens, before its first frame;
 * - `take(message)`: what a message is (SKIP, ITEM, LAST, LIVE, LIVE_ITEM);
 * - `finished(close)`: whether the server's close ends the iteration cleanly (or it throws);
 * - `again()`: how the caller starts over, for the messages of errors.
 * A connection is usable once a message came, or once it stayed open STEADY_MS (the all-runs
 * stream may be quiet for hours): a failure after it waits from the base again. One that the
 * server closes at once (1011 from a node whose store is down) is a failure, so that the pauses
 * grow rather than the server being asked again at the base pace for ever. So is one that went
 * silent (Connection) before it brought a message, however long it was open: connections that a
 * frozen proxy accepts and never serves add up to giveUpAfterMs like any other failures.
 */
const STEADY_MS = 5_000;
/** How long the REST question that explains a refused upgrade may take before it counts as no answer. */
const PROBE_TIMEOUT_MS = 10_000;

class Reconnecting {
  #env;
  #options;
  #stream;
  #iterating = false;
  #connection = null;
  #state = null;
  reconnects = 0;

  constructor(env, options, stream) {
    this.#env = env;
    this.#options = options;
    this.#stream = stream;
  }

  run() {
    if (this.#iterating) throw new Error(`a stream is iterated once; ${this.#stream.again()}`);
    this.#iterating = true;
    return this.#loop();
  }

  reconnect() {
    if (this.#connection?.drop()) this.#setState('reconnecting');
  }

  /**
   * Tells onStateChange of a new state, once; nothing once the signal is aborted (a probe's answer
   * or a connection's opening may still come in), as the caller has moved on.
   */
  #setState(state) {
    if (state === this.#state || this.#options.signal?.aborted) return;
    this.#state = state;
    this.#options.onStateChange?.(state);
  }

  async *#loop() {
    const { signal, backoff = {}, giveUpAfterMs = 300_000 } = this.#options;
    const stream = this.#stream;
    if (!this.#env.WebSocket) throw new TypeError('no WebSocket implementation: pass {WebSocket} (e.g. from the ws package) to StepstreamClient');
    let attempt = 0;
    let failingSince = null;
    for (let first = true; ; first = false) {
      signal?.throwIfAborted();
      if (first) this.#setState('connecting'); else this.reconnects++;
      const connection = this.#connection = new Connection(this.#env.WebSocket, this.#url(), this.#env.token, signal, this.#env.silence);
      let close;
      let openedAt = null;
      try {
        for (;;) {
          const event = await connection.next();
          if (event.type === 'close') { close = event; break; }
          if (event.type === 'open') {
            openedAt = Date.now();
          } else {
            attempt = 0; // usable: it gave a message
            failingSince = null;
          }
          for (const message of event.type === 'open' ? stream.opened() : splitFrame(event.data)) {
            if (connection.dropped) break; // by reconnect(): the rest comes again, or (no history) is gone
            const verdict = stream.take(message);
            if (verdict.live) this.#setState('live');
            if (verdict.item) yield message;
            if (verdict.last) return;
          }
        }
      } finally {
        this.#connection = null;
        connection.close();
      }
      signal?.throwIfAborted();
      // A silent one stayed open only in name: usable if it brought a message (counted above).
      if (openedAt !== null && !close.silent && Date.now() - openedAt >= STEADY_MS) {
        attempt = 0; // usable: it stayed open, though quiet
        failingSince = null;
      }
      let waitAtLeast = 0;
      if (close.dropped || close.silent) {
        // reconnect() asked for it, or the connection went silent: connect again as after a lost
        // one (a silent one's refusal, if it never opened, is not to be asked about).
      } else if (stream.finished(close)) {
        return;
      } else if (close.failure) {
        throw new StepstreamError(`${this.#stream.path}: cannot open a WebSocket: ${close.reason}`, { kind: 'bad_request' });
      } else if (!close.opened) {
        // A refused upgrade is opaque to a browser's WebSocket: the same question over REST
        // says why. The ws package shows the response itself.
        const refusal = close.refusal ? this.#refused(close.refusal) : await this.#probe();
        if (refusal?.error) throw refusal.error;
        waitAtLeast = refusal?.retryAfterMs ?? 0;
      } else if (!reconnectsAfter(close.code)) {
        const kind = close.code === 1008 ? 'policy' : 'closed';
        throw new StepstreamError(`the server closed the stream with ${close.code}${close.reason ? `: ${close.reason}` : ''}`,
          { kind, closeCode: close.code, closeReason: close.reason || null });
      }
      this.#setState('reconnecting');
      failingSince ??= Date.now();
      if (Date.now() - failingSince > giveUpAfterMs) {
        const last = close.silent ? close.reason : `last close ${close.code}`;
        throw new StepstreamError(`no usable connection for ${Math.round(giveUpAfterMs / 1000)} s (${last}); ${stream.again()}`, { kind: 'unavailable', closeCode: close.code });
      }
      await sleep(backoffDelay(attempt++, { ...backoff, retryAfterMs: waitAtLeast }), signal);
    }
  }

  #url() {
    const url = apiUrl(this.#stream.path, this.#env.server);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    url.search = queryString(this.#stream.query());
    return url.href;
  }

  /** What to do about a refused upgrade's response: wait (429, 503, …) or stop (any other 4xx). */
  #refused({ status, retryAfter, body }) {
    if (RETRY_STATUSES.has(status) || status >= 500) return { retryAfterMs: retryAfterMs(retryAfter) };
    return { error: errorOf('GET', this.#stream.path, { status }, body) };
  }

  /**
   * The stream's question over REST: its answer is the refusal's. Bounded by PROBE_TIMEOUT_MS
   * (and the caller's signal): a server or proxy that accepts the request and never answers
   * would otherwise hold the stream for ever; that, like no server, is no answer (null: back off).
   */
  async #probe() {
    const headers = { Accept: 'application/json' };
    if (this.#env.token) headers.Authorization = `Bearer ${this.#env.token}`;
    const bound = new AbortController();
    const timer = setTimeout(() => bound.abort(), PROBE_TIMEOUT_MS);
    const { signal } = this.#options;
    const onAbort = () => bound.abort();
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      let response;
      try {
        response = await this.#env.fetch(apiUrl(this.#stream.question(), this.#env.server), { headers, signal: bound.signal });
      } catch {
        return null; // no server, no answer in time, or (in a browser) another origin not allowed to read: back off
      }
      const text = await response.text().catch(() => ''); // a body cut short: the status still says
      if (response.ok) return null;
      if (RETRY_STATUSES.has(response.status) || response.status >= 500) {
        return { retryAfterMs: retryAfterMs(response.headers.get('Retry-After')) };
      }
      return { error: errorOf('GET', this.#stream.path, response, text) };
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    }
  }
}

/**
 * One WebSocket as a queue: its opening, its frames and its close. With a consumer slower than
 * the stream, frames wait here; where the implementation can pause reading (the ws package), it
 * does, so the server sees back-pressure (and may close with 1013, after which we reconnect).
 *
 * It also watches for silence, which a half-open TCP connection (a frozen proxy, a laptop that
 * slept, a NAT that forgot it) never reports otherwise: a browser answers the server's ping
 * frames by itself and does not show them. While nothing waits in the queue, a connection quiet
 * for QUIET_MS is sent `{"type":"ping"}` (both streams answer `pong`), and one that stays silent
 * for DEAD_AFTER_MS after a ping went unanswered (or that has not opened within OPEN_MS, as the
 * other libraries bound an upgrade) ends as `silent`, a lost connection. Heard: the opening, any message, and where the implementation
 * shows them (the ws package) the server's ping frames. Silence counts from the last thing heard
 * or taken from the queue, whichever is later: frames waiting for a slow consumer, and a paused
 * socket, are our quiet, not the server's. The verdict needs a ping sent at an earlier tick, so a
 * tick that comes late (a blocked event loop, a timer throttled in a background tab, a sleep)
 * lets what arrived meanwhile be read first.
 */
const QUIET_MS = 15_000;
const DEAD_AFTER_MS = 45_000;
const OPEN_MS = 15_000;
const PING = JSON.stringify({ type: 'ping' });

class Connection {
  static HIGH_WATER = 64;
  #socket;
  #queue = [];
  #waiter = null;
  #opened = false;
  #openTaken = false;
  #closed = null;
  #paused = false;
  #refusal = null;
  #onAbort;
  // Silence (ms since the epoch): the last thing heard, taken by the consumer, the last ping.
  #lastHeard = Date.now();
  #lastTaken = -Infinity;
  #lastPing = -Infinity;
  #watchdog = null;
  #silence;

  /** `silence`: `{quietMs, deadAfterMs, openMs}`, QUIET_MS, DEAD_AFTER_MS and OPEN_MS but in tests. */
  constructor(WebSocketImpl, url, token, signal, silence = { quietMs: QUIET_MS, deadAfterMs: DEAD_AFTER_MS, openMs: OPEN_MS }) {
    this.#silence = silence;
    try {
      if (!token) {
        this.#socket = new WebSocketImpl(url, ['stepstream.v2']);
      } else if (typeof WebSocketImpl.prototype?.terminate === 'function') {
        // The ws package can send headers: the token goes as Authorization, as over REST.
        this.#socket = new WebSocketImpl(url, ['stepstream.v2'], { headers: { Authorization: `Bearer ${token}` } });
      } else {
        // Browsers (and Node's global WebSocket) cannot set headers: the subprotocol carries it.
        this.#socket = new WebSocketImpl(url, ['stepstream.v2', `stepstream.bearer.${token}`]);
      }
    } catch (error) {
      // The WebSocket would not even start (a URL or a token it cannot send, as a subprotocol
      // must be RFC 7230 token characters): no connection made again could do better.
      this.#finish({ code: 1006, reason: String(error?.message ?? error), failure: error });
      return;
    }
    const socket = this.#socket;
    socket.addEventListener('open', () => { this.#opened = true; this.#heard(); this.#wake(); });
    socket.addEventListener('message', (event) => {
      if (this.#closed) return;
      this.#heard();
      this.#queue.push(typeof event.data === 'string' ? event.data : String(event.data));
      if (this.#queue.length >= Connection.HIGH_WATER && typeof socket.pause === 'function' && !this.#paused) {
        this.#paused = true;
        socket.pause();
      }
      this.#wake();
    });
    socket.addEventListener('close', (event) => this.#finish({ code: event.code, reason: event.reason }));
    // The ws package shows a refused upgrade's response (status, Retry-After, error body), and
    // the server's ping frames (which it answers by itself).
    if (typeof socket.on === 'function') {
      socket.on('ping', () => this.#heard());
      socket.on('unexpected-response', (request, response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk) => { body += chunk; });
        response.on('end', () => {
          this.#refusal = { status: response.statusCode, retryAfter: response.headers['retry-after'], body };
          socket.terminate();
        });
        response.on('error', () => socket.terminate());
      });
    }
    // After a refused upgrade some implementations report an error and never close.
    socket.addEventListener('error', () => { if (!this.#opened) this.#finish({ code: 1006, reason: 'connection failed' }); });
    this.#onAbort = () => this.#finish({ code: 1006, reason: 'aborted' });
    signal?.addEventListener('abort', this.#onAbort, { once: true });
    this.signal = signal;
    // Cleared by #finish, which every ending goes through: it never outlives the connection.
    this.#watchdog = setInterval(() => this.#checkSilence(), this.#silence.quietMs / 3);
  }

  #finish({ code, reason, dropped = false, failure = null, silent = false }) {
    if (this.#closed) return;
    clearInterval(this.#watchdog);
    this.#closed = { type: 'close', code, reason: reason ?? '', opened: this.#opened, refusal: this.#refusal, dropped, failure, silent };
    this.#wake();
  }

  #heard() {
    this.#lastHeard = Date.now();
  }

  /** The watchdog's tick: pings a quiet connection, ends a silent one (see the class comment). */
  #checkSilence() {
    if (this.#closed || this.#queue.length) return;
    const now = Date.now();
    const quietSince = Math.max(this.#lastHeard, this.#lastTaken);
    const { quietMs, deadAfterMs, openMs = OPEN_MS } = this.#silence;
    if (!this.#opened) {
      if (now - quietSince >= openMs) {
        this.#finish({ code: 1006, reason: `no answer to the upgrade within ${openMs / 1000} s`, silent: true });
        this.#abandon();
      }
    } else if (now - quietSince >= deadAfterMs && this.#lastPing > quietSince) {
      this.#finish({ code: 1006, reason: `nothing heard from the server for ${deadAfterMs / 1000} s`, silent: true });
      this.#abandon();
    } else if (now - quietSince >= quietMs && this.#socket.readyState === 1) {
      try {
        this.#socket.send(PING);
        this.#lastPing = now;
      } catch {
        // closing meanwhile: its close, or the silence, decides
      }
    }
  }

  /**
   * Lets a dead connection go without the closing handshake that a graceful close would wait
   * for (the ws package waits 30 s for an answer that will not come, and holds Node up so long).
   */
  #abandon() {
    this.signal?.removeEventListener('abort', this.#onAbort);
    try {
      if (typeof this.#socket.terminate === 'function') this.#socket.terminate();
      else this.#socket.close();
    } catch {
      // already closing
    }
  }

  /** Whether drop() was called: frames not yet taken are gone, and next() gives the close. */
  get dropped() {
    return this.#closed?.dropped === true;
  }

  #wake() {
    const waiter = this.#waiter;
    this.#waiter = null;
    waiter?.();
  }

  /**
   * `{type: 'open'}` once the upgrade succeeded (before any frame), then the next frame
   * `{type: 'message', data}`, or `{type: 'close', code, reason, opened}` once all are taken.
   */
  async next() {
    for (;;) {
      if (this.#opened && !this.#openTaken) {
        this.#openTaken = true;
        return { type: 'open' };
      }
      if (this.#queue.length) {
        const data = this.#queue.shift();
        this.#lastTaken = Date.now();
        if (this.#paused && this.#queue.length < Connection.HIGH_WATER / 2) {
          this.#paused = false;
          this.#socket.resume();
        }
        return { type: 'message', data };
      }
      if (this.#closed) return this.#closed;
      await new Promise((resolve) => { this.#waiter = resolve; });
    }
  }

  /**
   * Ends this connection now, its frames not yet taken too, as a lost connection would; false
   * when it had already ended (its last frames and close are then still to be taken).
   */
  drop() {
    if (this.#closed) return false;
    this.#queue = [];
    this.#finish({ code: 1006, reason: 'reconnect() was called', dropped: true });
    this.close();
    return true;
  }

  close() {
    this.signal?.removeEventListener('abort', this.#onAbort);
    this.#finish({ code: 1000, reason: 'closed by the client' });
    try {
      if (this.#socket && this.#socket.readyState <= 1) this.#socket.close(1000);
    } catch {
      // already closing
    }
  }
}

function sleep(ms, signal) {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) { reject(signal.reason); return; }
    const onAbort = () => { clearTimeout(timer); reject(signal.reason); };
    const timer = setTimeout(() => { signal?.removeEventListener('abort', onAbort); resolve(); }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** A URL's parts (RFC 3986, appendix B): 1 scheme, 2 authority, 3 path, 4 query, 5 fragment; undefined when absent. */
const URL_PARTS = /^(?:([^:/?#]+):)?(?:\/\/([^/?#]*))?([^?#]*)(?:\?([^#]*))?(?:#(.*))?$/;
/** An authority less its user-info: 1 a host (an IPv6 address in brackets, or a name or IPv4 address), 2 the port's digits, maybe none. */
const HOST_AND_PORT = /^(\[[^\]]*\]|[^:[\]]+)(?::([0-9]*))?$/;

/**
 * What is wrong with `url` as a server's URL, in the words of the rule that the command line and
 * the Java and Python libraries keep too (docs/clients.md; Java's ServerUrlProblem), or null when
 * the API's paths can go after it: an http:// or https:// URL with a host, a port from 1 to 65535
 * if any, and a path if the server is behind a reverse proxy at one, with no space nor control
 * character, no query nor fragment (they would swallow the paths), and no password (never sent:
 * a bearer token is). A user name alone is allowed, and not sent either.
 */
function serverUrlProblem(url) {
  const notHttp = 'expected an http:// or https:// URL';
  if (/[\x00-\x20\x7f]/.test(url)) return notHttp;
  const [, scheme, authority, , query, fragment] = URL_PARTS.exec(url);
  if (!/^https?$/i.test(scheme ?? '') || authority === undefined) return notHttp;
  const at = authority.lastIndexOf('@');
  const host = HOST_AND_PORT.exec(authority.slice(at + 1));
  if (!host) return notHttp;
  const port = host[2];
  if (port && !(Number(port) >= 1 && Number(port) <= 65535)) return 'expected a port from 1 to 65535';
  if (query !== undefined) return "expected a URL without a query (?…): the API's paths go after it";
  if (fragment !== undefined) return "expected a URL without a fragment (#…): the API's paths go after it";
  if (authority.slice(0, Math.max(at, 0)).includes(':')) return 'a password in the URL is never sent; give a token';
  try {
    new URL(url);
  } catch {
    return notHttp; // a URL the platform cannot read (a bad IPv6 address, say), which fetch could not ask
  }
  return null;
}

/**
 * `url` as a message shows it: its user-info (a password, or a user name that may be a token)
 * and a `password=` parameter's value as `***`, as the command line shows a URL.
 */
function shownUrl(url) {
  return url.replace(/(password=)[^&;#]*/gi, '$1***').replace(/\/\/[^/?#]*@/, '//***@');
}

/**
 * The server's URL as the base of the API's paths: its path ends with `/`, so that a server
 * behind a reverse proxy at a path (`https://host/stepstream`, with or without the slash) keeps
 * that path before each of them. Without its user-info: it is never sent (fetch refuses a URL
 * that has one), and so no message shows it.
 */
function baseUrl(server) {
  const url = new URL(server);
  url.username = '';
  url.password = '';
  if (!url.pathname.endsWith('/')) url.pathname += '/';
  return url;
}

/** The URL of the API's `path` (`/api/v2/…`, a query too) on the server at `base` (a baseUrl), under its path. */
function apiUrl(path, base) {
  return new URL(path.replace(/^\/+/, ''), base);
}

function enc(part) {
  return encodeURIComponent(String(part));
}

function queryString(query) {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    if (value === undefined || value === null) continue;
    params.set(name, Array.isArray(value) ? value.join(',') : String(value));
  }
  const text = params.toString();
  return text ? `?${text}` : '';
}

function errorOf(method, path, response, text) {
  let body = null;
  try { body = JSON.parse(text).error ?? null; } catch { /* not JSON */ }
  const message = body?.message ?? `HTTP ${response.status}`;
  return new StepstreamError(`${method} ${path}: ${response.status} ${message}`, {
    kind: KINDS[response.status] ?? 'http', status: response.status, code: body?.code ?? null, details: body?.details ?? null,
  });
}
