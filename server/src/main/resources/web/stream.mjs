// Following a WebSocket of docs/api.md ("Streams") with resumption. A run stream resumes with `after=<last seq>`,
// so every event arrives exactly once however often the connection drops; close code 1000
// means the run is over and nothing follows.
import { openSocket } from './api.mjs';
import { reconnects } from './closecodes.mjs';

const BACKOFF_MS = [250, 500, 1000, 2000, 4000, 8000];
const SLICE_MS = 8;

export class RunStream {
  /**
   * @param {string} runId
   * @param {{onEvents(events: object[]): void, onState(state: string): void, onCaughtUp?(): void}} sink
   *   onEvents gets each frame's envelopes in seq order, never one twice; onState gets
   *   'connecting', 'live', 'reconnecting', 'done', 'deleted' when the run was deleted while
   *   read (close 1000 "run deleted"), 'unauthorized' when the server ended the
   *   stream because the token expired or was revoked (1008), and 'refused' for another code
   *   after which reconnecting would not help (the server's CloseCode says which).
   */
  constructor(runId, sink) {
    this.runId = runId;
    this.sink = sink;
    this.lastSeq = 0;
    this.failures = 0;
    this.stopped = false;
    this.socket = null;
    this.timer = null;
    this.pending = [];    // lines and closes received, not yet handled (from pendingFrom on)
    this.pendingFrom = 0;
    this.draining = false;
    this.skipping = false; // after a gap, until the socket that had it is closed
  }

  start() { this.connect('connecting'); return this; }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    if (this.socket) this.socket.close(1000);
  }

  /** Closes the socket as a network failure would: the stream reconnects with `after`. */
  drop() { if (this.socket) this.socket.close(4000, 'dropped by the page'); }

  connect(state) {
    this.sink.onState(state);
    const path = `/api/v2/workflows/runs/${this.runId}/stream?batch=1&after=${this.lastSeq}`;
    const socket = this.socket = openSocket(path);
    socket.onmessage = (msg) => this.receive(msg.data);
    // In order after the frames before it, which may still be waiting to be folded in.
    socket.onclose = (ev) => this.enqueue(() => this.closed(socket, ev));
  }

  closed(socket, ev) {
    this.skipping = false;
    if (socket !== this.socket || this.stopped) return;
    this.socket = null;
    // 1000 with "run deleted" (CloseCode.RUN_DELETED): over too, but the history shown is not whole.
    if (ev.code === 1000) { this.sink.onState(ev.reason === 'run deleted' ? 'deleted' : 'done'); return; }
    if (ev.code === 1008) { this.sink.onState('unauthorized'); return; }
    if (!reconnects(ev.code)) { this.sink.onState('refused', ev.reason); return; }
    const delay = BACKOFF_MS[Math.min(this.failures, BACKOFF_MS.length - 1)];
    this.failures++;
    this.sink.onState('reconnecting');
    this.timer = setTimeout(() => this.connect('reconnecting'), delay);
  }

  /**
   * Takes a frame's lines in. They are folded in slices of at most SLICE_MS, yielding to the
   * page between slices, so that a burst of history (a 64 KiB frame holds hundreds of events,
   * and many arrive at once) never holds the main thread long, however slow the machine.
   */
  receive(data) {
    for (const line of data.split('\n')) if (line) this.pending.push(line);
    if (!this.draining) this.drain();
  }

  enqueue(action) {
    this.pending.push(action);
    if (!this.draining) this.drain();
  }

  drain() {
    if (this.stopped) return;
    const deadline = performance.now() + SLICE_MS;
    const events = [];
    let i = this.pendingFrom;
    while (i < this.pending.length && performance.now() < deadline) {
      const item = this.pending[i++];
      if (typeof item === 'function') {
        if (events.length) this.sink.onEvents(events.splice(0));
        item();
        continue;
      }
      if (this.skipping) continue;
      const env = JSON.parse(item);
      if (env.type === 'caught_up') {
        if (events.length) this.sink.onEvents(events.splice(0));
        this.failures = 0;
        this.sink.onState('live');
        continue;
      }
      if (env.type === 'pong' || typeof env.seq !== 'number') continue;
      if (env.seq <= this.lastSeq) continue; // already shown
      if (env.seq !== this.lastSeq + 1) {
        // A gap would mean a lost event: start over from what we have.
        console.warn(`stepstream: expected seq ${this.lastSeq + 1}, got ${env.seq}; resuming`);
        this.skipping = true; // the rest of this socket's lines, up to its close
        this.drop();
        continue;
      }
      this.lastSeq = env.seq;
      events.push(env);
    }
    if (i < this.pending.length) {
      if (i > 4096) { this.pending.splice(0, i); i = 0; }
      this.pendingFrom = i;
      this.draining = true;
      setTimeout(() => this.drain(), 0);
    } else {
      this.pending = [];
      this.pendingFrom = 0;
      this.draining = false;
    }
    if (events.length) this.sink.onEvents(events);
  }
}

/** The all-runs stream: no history, so `onOpen` is the moment to list runs again. */
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
    socket.onopen = () => { this.failures = 0; this.sink.onState('live'); this.sink.onOpen(); };
    socket.onmessage = (msg) => {
      for (const line of String(msg.data).split('\n')) if (line) this.sink.onEvent(JSON.parse(line));
    };
    socket.onclose = (ev) => {
      if (socket !== this.socket || this.stopped) return;
      if (!reconnects(ev.code)) { this.sink.onState('refused', ev.reason); return; }
      const delay = BACKOFF_MS[Math.min(this.failures++, BACKOFF_MS.length - 1)];
      this.sink.onState('reconnecting');
      this.timer = setTimeout(() => this.connect(), delay);
    };
  }
}
