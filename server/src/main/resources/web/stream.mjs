// The page's two streams (docs/api.md, "Streams"), both read with the client library (clients/js,
// served as stepstream-client.mjs beside the page's modules), whose one loop decides when to
// reconnect and when a refusal is final. Its server is the page's root (routes.mjs), whose path,
// a proxy's prefix, it keeps before each request. A run's stream resumes with `after=<last seq>`,
// so that every event arrives exactly once however often the connection drops; here it is only
// fed to the page in slices. The all-runs stream has no history to resume: it reconnects and the
// page lists the runs again.
import { token } from './api.mjs';
import { root } from './routes.mjs';
import { StepstreamClient } from './stepstream-client.mjs';

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
    const client = new StepstreamClient({ server: root(), token: token() });
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
      else this.state(...ending(err));
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
 * The state a stream's final error (the library's StepstreamError) leaves it in: 'unauthorized'
 * when the token is missing, expired or revoked (a 401, or 1008 on an open stream), else
 * 'refused' with the server's reason.
 */
function ending(err) {
  if (err.kind === 'policy' || err.kind === 'unauthenticated') return ['unauthorized'];
  return ['refused', err.kind === 'closed' ? err.closeReason : err.message];
}

/**
 * The all-runs stream, watched with the client library: no history, so `onOpen` (the library's
 * `connected`, which opens each connection) is the moment to list runs again. Its states are
 * RunStream's 'connecting', 'live', 'reconnecting', 'unauthorized' and 'refused'.
 */
export class AllRunsStream {
  /**
   * @param {string} workflowId one workflow's runs, or '' for every workflow's
   * @param {{onOpen(): void, onEvent(event: object): void, onState(state: string, reason?: string): void}} sink
   */
  constructor(workflowId, sink) {
    this.workflowId = workflowId;
    this.sink = sink;
    this.aborter = new AbortController();
    this.watch = null;
  }

  start() {
    const client = new StepstreamClient({ server: root(), token: token() });
    this.watch = client.watchRuns({
      workflowId: this.workflowId || undefined,
      signal: this.aborter.signal,
      giveUpAfterMs: Infinity, // a page left open watches again whenever the server is back
      onStateChange: (state) => this.sink.onState(state),
    });
    this.read();
    return this;
  }

  stop() { this.aborter.abort(); }

  /** Drops the connection as a network failure would: the stream reconnects, and the page lists again. */
  drop() { this.watch?.reconnect(); }

  async read() {
    try {
      for await (const item of this.watch) {
        // Items already received come after stop() too: the page has moved on from them.
        if (this.aborter.signal.aborted) return;
        if (item.type === 'connected') this.sink.onOpen(); else this.sink.onEvent(item);
      }
    } catch (err) {
      if (this.aborter.signal.aborted) return;
      this.sink.onState(...ending(err));
    }
  }
}
