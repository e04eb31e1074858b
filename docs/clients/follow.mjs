// Follows a stepstream run over its WebSocket stream, in a browser or in Node 22+ (both have a
// global WebSocket; Node 20 needs --experimental-websocket). See follow.html and follow-node.mjs.
//
//   const end = await followRun('http://127.0.0.1:8080', runId, (envelope) => console.log(envelope));
//
// Each event is handed to onEvent once, in seq order. When the connection drops or closes with
// anything but 1000 (1001 the server restarts, 1013 we fell behind), or goes silent (below), it
// reconnects with after=<last seq>, so nothing is lost or seen twice. The promise resolves with
// the run_complete envelope (or null when the run had ended at or before `after`), and rejects
// when the run cannot be followed: no such run, no credentials, or 30 s without a connection.
//
// A connection can die without closing (a proxy that hangs, a laptop that slept, a NAT that
// forgot it), and a browser answers the server's ping frames without showing them. So one quiet
// for 15 s is sent {"type":"ping"} (the server answers {"type":"pong"}), and one from which
// nothing came for 45 s, its ping unanswered, is taken for lost, as the client libraries do.

const GIVE_UP_AFTER_MS = 30_000;
const QUIET_MS = 15_000;
const DEAD_AFTER_MS = 45_000;

export function followRun(server, runId, onEvent, { after = 0, token } = {}) {
  // The API's paths go after the server URL's own path (a reverse proxy at https://host/stepstream/).
  const base = new URL(server);
  if (!base.pathname.endsWith('/')) base.pathname += '/';
  const api = (path) => new URL(`api/v2/workflows/runs/${encodeURIComponent(runId)}${path}`, base);
  return new Promise((resolve, reject) => {
    let lastSeq = after;
    let failingSince = null;
    let delay = 100;

    const connect = () => {
      const url = api('/stream');
      url.protocol = base.protocol === 'https:' ? 'wss:' : 'ws:';
      url.searchParams.set('batch', '1');
      url.searchParams.set('after', String(lastSeq));
      // A browser's WebSocket cannot set headers: the token travels as a subprotocol.
      const socket = token ? new WebSocket(url, ['stepstream.v2', `stepstream.bearer.${token}`]) : new WebSocket(url);
      let opened = false;
      let ended = false;
      let dropped = false;
      let lastHeard = Date.now();
      let lastPing = 0;

      // The silence watchdog: onEvent runs as each message comes, so quiet is the server's.
      const watchdog = setInterval(() => {
        const quiet = Date.now() - lastHeard;
        if (quiet >= DEAD_AFTER_MS && (!opened || lastPing > lastHeard)) {
          socket.close(); // a dead connection never finishes closing: do not wait for its close
          drop(1006, true);
        } else if (quiet >= QUIET_MS && socket.readyState === WebSocket.OPEN) {
          socket.send('{"type":"ping"}');
          lastPing = Date.now();
        }
      }, QUIET_MS / 3);

      socket.onopen = () => { opened = true; lastHeard = Date.now(); };
      socket.onmessage = (message) => {
        if (ended || dropped) return; // a connection given up on that spoke again
        lastHeard = Date.now();
        failingSince = null;
        delay = 100;
        // batch=1: several envelopes in one message, one per line.
        for (const line of String(message.data).split('\n')) {
          if (!line.trim()) continue;
          const envelope = JSON.parse(line);
          if (typeof envelope.seq !== 'number' || envelope.seq <= lastSeq) continue; // caught_up, pong, or seen
          lastSeq = envelope.seq;
          onEvent(envelope);
          if (envelope.type === 'run_complete') {
            ended = true;
            clearInterval(watchdog);
            socket.close(1000);
            resolve(envelope);
            return;
          }
        }
      };
      const drop = async (code, silent = false) => {
        if (ended || dropped) return;
        dropped = true;
        clearInterval(watchdog);
        if (code === 1000) { resolve(null); return; } // the run had ended at or before `after`
        if (!opened && !silent) {
          // A refused upgrade reaches a WebSocket only as 1006; the REST API says why.
          const problem = await refusal();
          if (problem) { reject(new Error(problem)); return; }
        }
        failingSince ??= Date.now();
        if (Date.now() - failingSince > GIVE_UP_AFTER_MS) {
          // In a browser, a server that refuses this page's origin looks like no server at all.
          const hint = typeof location === 'undefined' ? ''
            : `; is the server running, and does it list this page's origin (--allowed-origins ${location.origin})?`;
          reject(new Error(`no connection for ${GIVE_UP_AFTER_MS / 1000} s (last close ${code}); resume with after=${lastSeq}${hint}`));
          return;
        }
        setTimeout(connect, delay);
        delay = Math.min(delay * 2, 2000);
      };
      socket.onclose = (event) => drop(event.code);
      // After a refused upgrade some runtimes (Node 20) fire error but never close.
      socket.onerror = () => { if (!opened) drop(1006); };
    };

    // The run's REST resource answers with the error a refused upgrade had: a 4xx is final. A
    // page of another origin can read the answer only when the server lists that origin in
    // --allowed-origins (it then sends CORS headers); otherwise fetch fails and we retry, as we
    // do when no answer comes within 10 s.
    const refusal = async () => {
      try {
        const response = await fetch(api(''),
          { headers: token ? { Authorization: `Bearer ${token}` } : {}, signal: AbortSignal.timeout(10_000) });
        if (response.status >= 400 && response.status < 500 && response.status !== 429) {
          const body = await response.json().catch(() => ({}));
          return body.error?.message ?? `HTTP ${response.status}`;
        }
      } catch {
        // unreachable for now: retried like any drop
      }
      return null;
    };

    connect();
  });
}
