// The page's two streams (docs/api.md, "Streams"). A run's is followed with the client library
// (clients/js, served as /stepstream-client.mjs), which resumes with `after=<last seq>`, so
// that every event arrives exactly once however often the connection drops; here it is only
// fed to the page in slices. The all-runs stream has no history to resume: it reconnects and
// the page lists the runs again.
import { api, openSocket, token } from './api.mjs';
import { CLOSE_CODES, reconnects } from './closecodes.mjs';
import { StepstreamClient } from './stepstream-client.mjs';

const BACKOFF_MS = [250, 500, 1000, 2000, 4000, 8000];
/**
 * A connection that stayed open this long counts as working, though quiet: the next failure
 * waits from the first pause again. One the server closes sooner without a message (a node whose
 * store is down) is a failure, so the pauses grow (the client library's rule, STEADY_MS).
 */
const STEADY_MS = 5_000;
const SLICE_MS = 8;

export class RunStream {
  /**
   * @param {string} runId
   * @param {{onEvents(events: object[]): void, onState(state: string, reason?: string): void}} sink
   *   onEvents gets the events in seq order, never one twice, a batch at a time; onState gets
   *   'connecting', 'live', 'reconnecting', 'done', 'deleted' when the run was deleted while
   *   read (close 1000 "run deleted"), 'unauthorized' when the server ended the stream because
   *   the token expired or was revoked (1008) or refuses it, and 'refused' for another end
   *   after which reconnecting would not help, with the server's reason.
   */
  constructor(runId, sink) {
    this.runId = runId;
    this.sink = sink;
    this.aborter = new AbortController();
    this.follow = null;
    this.batch = [];       // events taken from the library, not yet handed on
    this.sliceEnd = 0;
    this.flushTimer = null;
  }

  /** The seq of the last event handed on (or being handed on): where the stream resumes. */
  get lastSeq() { return this.follow?.lastSeq ?? 0; }

  start() {
    const client = new StepstreamClient({ server: location.origin, token: token() });
    this.follow = client.follow(this.runId, {
      signal: this.aborter.signal,
      giveUpAfterMs: Infinity, // a page left open follows the run whenever the server is back
      onStateChange: (state) => this.state(state),
    });
    this.read();
    return this;
  }

  stop() {
    this.aborter.abort();
    clearTimeout(this.flushTimer);
  }

  /** Drops the connection as a network failure would: the stream reconnects with `after`. */
  drop() { this.follow?.reconnect(); }

  /**
   * Takes the events in. A batch is handed on when the stream pauses, or after SLICE_MS, the page
   * then getting its turn before more: so that a burst of history (a 64 KiB frame holds hundreds
   * of events, and many arrive at once) is drawn once a slice and never holds the main thread long.
   */
  async read() {
    try {
      for await (const event of this.follow) {
        if (this.batch.push(event) === 1) {
          this.sliceEnd = performance.now() + SLICE_MS;
          this.flushTimer = setTimeout(() => this.flush(), 0);
        } else if (performance.now() >= this.sliceEnd) {
          this.flush();
          await new Promise((resolve) => setTimeout(resolve, 0));
          if (this.aborter.signal.aborted) return;
        }
      }
      this.state('done');
    } catch (err) {
      if (this.aborter.signal.aborted) return;
      if (err.kind === 'deleted' || err.kind === 'not_found') this.state('deleted');
      else if (err.kind === 'policy' || err.kind === 'unauthenticated') this.state('unauthorized');
      else this.state('refused', err.kind === 'closed' ? err.closeReason : err.message);
    }
  }

  /** A new state, after the events before it. */
  state(state, reason) {
    this.flush();
    this.sink.onState(state, reason);
  }

  flush() {
    clearTimeout(this.flushTimer);
    this.flushTimer = null;
    if (this.batch.length) this.sink.onEvents(this.batch.splice(0));
  }
}

/**
 * Why the server would refuse the all-runs stream of `query`, asked of the runs list over REST:
 * ['unauthorized'] for a 401 (no token, or one revoked), ['refused', message] for another answer
 * that waiting would not change (403, 400); null when it answers, or may later (429, 5xx, no server).
 */
async function refusal(query) {
  try {
    await api(`/api/v2/workflows/runs${query ? `${query}&` : '?'}limit=1`);
    return null;
  } catch (err) {
    if (err.status === 401) return ['unauthorized'];
    if (err.status >= 400 && err.status < 500 && err.status !== 429) return ['refused', err.message];
    return null;
  }
}

/**
 * The all-runs stream: no history, so `onOpen` is the moment to list runs again. Its states are
 * RunStream's 'live', 'reconnecting', 'unauthorized' and 'refused'.
 */
export class AllRunsStream {
  constructor(query, sink) {
    this.query = query;
    this.sink = sink;
    this.failures = 0;
    this.stopped = false;
  }

  start() { this.connect(); return this; }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    if (this.socket) this.socket.close(1000);
  }

  drop() { if (this.socket) this.socket.close(4000, 'dropped by the page'); }

  connect() {
    const socket = this.socket = openSocket(`/api/v2/stream${this.query}`);
    let openedAt = null;
    socket.onopen = () => { openedAt = Date.now(); this.sink.onState('live'); this.sink.onOpen(); };
    socket.onmessage = (msg) => {
      this.failures = 0;
      for (const line of String(msg.data).split('\n')) if (line) this.sink.onEvent(JSON.parse(line));
    };
    socket.onclose = async (ev) => {
      if (socket !== this.socket || this.stopped) return;
      if (CLOSE_CODES[ev.code]?.name === 'POLICY') { this.sink.onState('unauthorized'); return; } // the token's end
      if (!reconnects(ev.code)) { this.sink.onState('refused', ev.reason); return; }
      if (openedAt === null) {
        // Closed before it opened: a browser cannot read a refused upgrade (it sees 1006), so the
        // runs list is asked the same question, as clients/js asks a run's history.
        const why = await refusal(this.query);
        if (socket !== this.socket || this.stopped) return;
        if (why) { this.sink.onState(...why); return; }
      }
      if (openedAt !== null && Date.now() - openedAt >= STEADY_MS) this.failures = 0;
      const delay = BACKOFF_MS[Math.min(this.failures++, BACKOFF_MS.length - 1)];
      this.sink.onState('reconnecting');
      this.timer = setTimeout(() => this.connect(), delay);
    };
  }
}
