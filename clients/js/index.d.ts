/** One event of a run, as the server sends it. */
export interface Envelope {
  runId: string;
  seq: number;
  type: 'run_start' | 'step_start' | 'step_log' | 'variable_change' | 'step_complete' | 'step_waiting'
    | 'run_resumed' | 'run_complete' | (string & {});
  time: string;
  payload: Record<string, any>;
}

export type ErrorKind = 'bad_request' | 'unauthenticated' | 'forbidden' | 'not_found' | 'conflict' | 'too_large'
  | 'invalid' | 'rate_limited' | 'unavailable' | 'policy' | 'closed' | 'deleted' | 'http';

export class StepstreamError extends Error {
  /** What went wrong; for a REST answer, from its HTTP status. */
  kind: ErrorKind;
  /** The HTTP status, or null when the stream was closed. */
  status: number | null;
  /** The API error's code (`run_not_found`, `invalid_token`, …). */
  code: string | null;
  details: unknown;
  /** The WebSocket close code that ended the stream, if one did. */
  closeCode: number | null;
  /** The reason the server gave with that close code (`run deleted`, …), if any. */
  closeReason: string | null;
}

export interface ClientOptions {
  /**
   * The server's base URL, e.g. `http://127.0.0.1:8080`; with a path for a server behind a reverse proxy at one (`https://host/stepstream/`): every request goes under it.
   * An http:// or https:// URL with a host and a port from 1 to 65535 if any; a query or a fragment, which would swallow the API's paths, and a password, which is never sent, are refused
   * (the command line's and the Java and Python libraries' rule, docs/clients.md). A user name alone is neither sent nor shown in messages.
   */
  server: string;
  /** A bearer token: the `Authorization` header over REST and with the ws package; the subprotocol `stepstream.bearer.<token>` with a browser's WebSocket. */
  token?: string;
  /** A WebSocket constructor (WHATWG-style, with addEventListener); defaults to the global one. Node 20: `import WebSocket from 'ws'` (then the token goes as a header). */
  WebSocket?: any;
  /** A fetch function; defaults to the global one. */
  fetch?: typeof fetch;
  /**
   * How many times a REST call is tried again (default 2; 0: never): on 429 and 503 over_capacity whatever the method, and for a GET on any 502/503/504
   * or no answer; after a full-jitter pause of at least the Retry-After. A Retry-After over 30 s, or the last failure, throws as it came.
   */
  retries?: number;
}

export interface BackoffOptions {
  /** The first reconnection waits up to this long (ms, default 250). */
  baseMs?: number;
  /** No wait is longer than this, apart from a server's Retry-After (ms, default 10000). */
  capMs?: number;
}

export interface FollowOptions {
  /** Yield only the envelopes with a greater seq (default 0: the whole run). */
  after?: number;
  /** Event types to receive (default all). */
  types?: string[] | string;
  /** Step ids whose step events to receive (run events always come). */
  steps?: string[] | string;
  /** The lowest step_log level: debug, info, warn, error. */
  minLevel?: 'debug' | 'info' | 'warn' | 'error';
  /** Stops following; the iteration rejects with the signal's reason. */
  signal?: AbortSignal;
  backoff?: BackoffOptions;
  /** Fail with kind `unavailable` after this long without a usable connection, one that brought a message or stayed open 5 s and did not go silent (ms, default 300000; `Infinity`: never). */
  giveUpAfterMs?: number;
  /**
   * Called when the connection's state changes, in order with the envelopes: `connecting` (the
   * first connection), `live` (the server's `caught_up`: every envelope up to now has been
   * yielded, what follows happens now), `reconnecting` (the connection was lost or went silent
   * for 45 s, or `reconnect()` dropped it; until the next `live`). The end is the iteration's. Not called
   * once `signal` is aborted.
   */
  onStateChange?(state: FollowState): void;
}

/** The states of a follow's connection, and of a watch's. */
export type FollowState = 'connecting' | 'live' | 'reconnecting';

export interface Follow extends AsyncIterable<Envelope> {
  /** The seq of the last envelope yielded (or `after`): resume from it. */
  readonly lastSeq: number;
  /** How many times the follower connected again. */
  readonly reconnects: number;
  /**
   * Drops the connection and connects again with after=lastSeq, as after a lost one (the same
   * pause first), e.g. when the network changed; envelopes received but not yet yielded come
   * again. Does nothing while no connection is open.
   */
  reconnect(): void;
}

/** Options of `watchRuns`: as a follow's, less what only a run's stream has. */
export interface RunWatchOptions {
  /** Watch only this workflow's runs (default every workflow's). */
  workflowId?: string;
  /** Stops watching; the iteration rejects with the signal's reason. Nothing else ends it, bar a final error. */
  signal?: AbortSignal;
  backoff?: BackoffOptions;
  /** Fail with kind `unavailable` after this long without a usable connection, one that brought a message or stayed open 5 s and did not go silent (ms, default 300000; `Infinity`: never). */
  giveUpAfterMs?: number;
  /**
   * Called when the connection's state changes, in order with the items: `connecting` (the first
   * connection), `live` (a connection opened: with its `connected` item), `reconnecting` (the
   * connection was lost or went silent for 45 s, or `reconnect()` dropped it; until the next `live`). Not called once
   * `signal` is aborted.
   */
  onStateChange?(state: FollowState): void;
}

/**
 * An item of the all-runs stream, as the server sends it, or the client's own `connected`.
 * Later servers may send other types: pass over what you do not know.
 */
export type RunWatchItem = RunConnected | RunEnvelope | RunProgress | RunDeleted;

/**
 * Made by the client as each connection opens, the first and every later one. What happened
 * while no connection was open is not sent: list the runs over REST now, then apply what follows.
 */
export interface RunConnected {
  type: 'connected';
}

/** A run-level event of a run, with its per-run seq (`run_queued` has seq 0 and is not stored). */
export interface RunEnvelope extends Envelope {
  type: 'run_queued' | 'run_start' | 'run_resumed' | 'run_complete';
}

/** A step of a run ended (status `success`, `failed`, …) or waits for a decision (status `waiting`). */
export interface RunProgress {
  type: 'run_progress';
  runId: string;
  payload: { stepId: string; status: string };
}

/** A finished run was deleted, by a request or by retention. */
export interface RunDeleted {
  type: 'run_deleted';
  runId: string;
  payload: { workflowId: string };
}

export interface RunWatch extends AsyncIterable<RunWatchItem> {
  /** How many times the watch connected again, tries that failed included (as a follow counts): `connected` items number at most this plus one. */
  readonly reconnects: number;
  /**
   * Drops the connection and connects again, as after a lost one (the same pause first); items
   * received but not yet yielded are dropped with it, and the new connection begins with
   * `connected`. Does nothing while no connection is open.
   */
  reconnect(): void;
}

export interface RunsQuery { workflowId?: string; status?: string; limit?: number; before?: string }
export interface EventsQuery { after?: number; limit?: number; types?: string[] | string; steps?: string[] | string; minLevel?: string; q?: string }

export class StepstreamClient {
  /** @throws TypeError for a missing `server`, or one that breaks the rule: `server: <what is wrong>, got <the URL, its user-info shown as ***>`. */
  constructor(options: ClientOptions);
  execute(workflowId: string, inputs?: Record<string, unknown>): Promise<{ runId: string; workflowId: string; status: string; streamUrl: string }>;
  run(runId: string): Promise<Record<string, any>>;
  runs(query?: RunsQuery): Promise<{ runs: Record<string, any>[]; next: string | null }>;
  events(runId: string, query?: EventsQuery): Promise<{ events: Envelope[]; next: number | null }>;
  cancel(runId: string): Promise<unknown>;
  retry(runId: string, options?: { from?: 'failed' | 'start' | (string & {}) }): Promise<{ runId: string } & Record<string, any>>;
  approve(runId: string, stepId: string, options?: { comment?: string }): Promise<unknown>;
  reject(runId: string, stepId: string, options?: { comment?: string }): Promise<unknown>;
  follow(runId: string, options?: FollowOptions): Follow;
  /**
   * Watches the runs of every workflow (or of `workflowId`) on the all-runs stream: never ends by
   * itself; each connection begins with `{type: 'connected'}`, the moment to list runs over REST.
   */
  watchRuns(options?: RunWatchOptions): RunWatch;
}

/** Whether a stream closed with this code is connected again, a follow's with after=<lastSeq> (1001, 1005, 1006, 1011–1014). */
export function reconnectsAfter(code: number): boolean;

/** The reconnection pause: uniform in [0, min(capMs, baseMs * 2^attempt)), at least retryAfterMs. */
export function backoffDelay(attempt: number, options?: BackoffOptions & { retryAfterMs?: number; random?: () => number }): number;
/** The messages of one text frame (batch=1: one JSON object per line). */
export function splitFrame(data: string): Array<Envelope | { type: string; [key: string]: unknown }>;
/** A Retry-After header (seconds or an HTTP date) in ms; 0 when absent. */
export function retryAfterMs(header: string | null | undefined, now?: number): number;
