// Following a WebSocket of docs/api.md ("Streams") with resumption. A run stream resumes with `after=<last seq>`,
// so every event arrives exactly once however often the connection drops; close code 1000
// means the run is over and nothing follows.
import { openSocket } from './api.mjs';
import { reconnects } from './closecodes.mjs';

const BACKOFF_MS = [250, 500, 1000, 2000, 4000, 8000];

export class RunStream {
  /**
   * @param {string} runId
   * @param {{onEvents(events: object[]): void, onState(state: string): void, onCaughtUp?(): void}} sink
   *   onEvents gets each frame's envelopes in seq order, never one twice; onState gets
   *   'connecting', 'live', 'reconnecting', 'done', 'unauthorized' when the server ended the
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
    socket.onclose = (ev) => {
      if (socket !== this.socket || this.stopped) return;
      this.socket = null;
      if (ev.code === 1000) { this.sink.onState('done'); return; }
      if (ev.code === 1008) { this.sink.onState('unauthorized'); return; }
      if (!reconnects(ev.code)) { this.sink.onState('refused', ev.reason); return; }
      const delay = BACKOFF_MS[Math.min(this.failures, BACKOFF_MS.length - 1)];
      this.failures++;
      this.sink.onState('reconnecting');
      this.timer = setTimeout(() => this.connect('reconnecting'), delay);
    };
  }

  receive(data) {
    const events = [];
    for (const line of data.split('\n')) {
      if (!line) continue;
      const env = JSON.parse(line);
      if (env.type === 'caught_up') {
        this.failures = 0;
        this.sink.onState('live');
        continue;
      }
      if (env.type === 'pong' || typeof env.seq !== 'number') continue;
      if (env.seq <= this.lastSeq) continue; // already shown
      if (env.seq !== this.lastSeq + 1) {
        // A gap would mean a lost event: start over from what we have.
        console.warn(`stepstream: expected seq ${this.lastSeq + 1}, got ${env.seq}; resuming`);
        this.drop();
        break;
      }
      this.lastSeq = env.seq;
      events.push(env);
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
