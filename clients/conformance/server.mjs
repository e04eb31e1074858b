// The real server jar for the conformance suite: started on a temporary data dir, stopped and
// started again on the same dir and port, with a tokens file when asked; a TCP proxy that can
// cut every connection through it, and one that can freeze them; and a gate that refuses each
// client's first stream.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '..', '..');
const JAR = process.env.STEPSTREAM_JAR || join(ROOT, 'target', 'stepstream.jar');
const JAVA = process.env.JAVA_HOME ? join(process.env.JAVA_HOME, 'bin', 'java') : 'java';

/**
 * A server on a fresh data dir; `withToken` makes it require credentials (`server.token`, role
 * admin), and `tokens` (names) adds tokens of role viewer that it knows from its start
 * (`server.tokens[name]`), for tests that must not spend a request of theirs to learn when the
 * server has read them.
 */
export async function startServer({ withToken = false, tokens = [], args = [] } = {}) {
  const dataDir = mkdtempSync(join(tmpdir(), 'stepstream-conformance-'));
  const workflowsDir = join(dataDir, 'workflows');
  mkdirSync(workflowsDir, { recursive: true });
  const tokensFile = join(dataDir, 'tokens');
  const serveArgs = ['--data-dir', dataDir, '--workflows-dir', workflowsDir, '--allow-scripts', ...args];
  const server = { dataDir, token: null, tokens: {}, url: null, proc: null, stderr: '' };
  /** Adds a token to the tokens file (the server reads it again within 2 s): the token. */
  server.createToken = (name, role) => execFileSync(JAVA, ['-jar', JAR, 'token', 'create', '--role', role, '--name', name,
    '--tokens-file', tokensFile], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim().split('\n').pop().trim();
  /** Revokes a token: the server closes its streams with 1008 within 2 s. */
  server.revokeToken = (name) => execFileSync(JAVA, ['-jar', JAR, 'token', 'revoke', name, '--tokens-file', tokensFile],
    { stdio: 'ignore' });
  if (withToken) {
    server.token = server.createToken('conformance', 'admin');
    serveArgs.push('--tokens-file', tokensFile);
    for (const name of tokens) server.tokens[name] = server.createToken(name, 'viewer');
  }
  server.start = async (port = 0) => {
    const proc = spawn(JAVA, ['-jar', JAR, 'serve', '--port', String(port), ...serveArgs], { stdio: ['ignore', 'pipe', 'pipe'] });
    server.proc = proc;
    proc.stderr.on('data', (d) => { server.stderr = (server.stderr + d).slice(-20_000); });
    server.url = await new Promise((ok, fail) => {
      let out = '';
      const timer = setTimeout(() => fail(new Error(`server did not start in 60 s: ${out}${server.stderr}`)), 60_000);
      proc.stdout.on('data', (d) => {
        out += d;
        const m = out.match(/stepstream listening on (http:\/\/\S+)/);
        if (m) { clearTimeout(timer); ok(m[1]); }
      });
      proc.on('exit', (code) => { clearTimeout(timer); fail(new Error(`server exited with ${code}: ${out}${server.stderr}`)); });
    });
    proc.stdout.resume();
    return server.url;
  };
  /** SIGTERM, as an operator restarting it would; SIGKILL after 15 s. */
  server.stop = async () => {
    const proc = server.proc;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise((ok) => proc.once('exit', ok));
    proc.kill('SIGTERM');
    let grace;
    await Promise.race([exited, new Promise((ok) => { grace = setTimeout(ok, 15_000); })]);
    clearTimeout(grace);
    if (proc.exitCode === null && proc.signalCode === null) { proc.kill('SIGKILL'); await exited; }
  };
  /** Stops the server and starts it again on the same data dir and port. */
  server.restart = async () => {
    const port = new URL(server.url).port;
    await server.stop();
    return server.start(Number(port));
  };
  server.cleanup = () => rmSync(dataDir, { recursive: true, force: true });
  await server.start();
  return server;
}

/** Joins two sockets both ways; when either ends or fails, both are destroyed and `onEnd` is called. */
function splice(client, upstream, onEnd = () => {}) {
  const drop = () => { onEnd(); client.destroy(); upstream.destroy(); };
  client.on('error', drop).on('close', drop);
  upstream.on('error', drop).on('close', drop);
  client.pipe(upstream);
  upstream.pipe(client);
}

/** A TCP proxy to `target` (a URL); `cut()` resets every connection open through it. */
export async function startProxy(target) {
  const { hostname, port } = new URL(target);
  const open = new Set();
  const proxy = createServer((client) => {
    const upstream = connect(Number(port), hostname);
    const pair = { client, upstream };
    open.add(pair);
    splice(client, upstream, () => open.delete(pair));
  });
  await new Promise((ok) => proxy.listen(0, '127.0.0.1', ok));
  return {
    url: `http://127.0.0.1:${proxy.address().port}`,
    cuts: 0,
    cut() {
      this.cuts += open.size;
      for (const { client, upstream } of [...open]) { client.resetAndDestroy(); upstream.destroy(); }
      open.clear();
    },
    close: () => new Promise((ok) => { for (const { client, upstream } of open) { client.destroy(); upstream.destroy(); } proxy.close(ok); }),
  };
}

/**
 * A TCP proxy to `target` that can hang, as a proxy does: `freeze()` makes the connections open
 * through it forward nothing more, either way, and close nothing (not even when one side goes),
 * while later connections go through. `connections` counts the connections made through it.
 */
export async function startFreezingProxy(target) {
  const { hostname, port } = new URL(target);
  const sockets = new Set();
  const live = new Set();
  const proxy = createServer((client) => {
    const upstream = connect(Number(port), hostname);
    const pair = { frozen: false };
    live.add(pair);
    handle.connections++;
    const forward = (from, to) => from.on('data', (chunk) => { if (!pair.frozen) to.write(chunk); });
    forward(client, upstream);
    forward(upstream, client);
    const end = () => {
      live.delete(pair);
      if (!pair.frozen) { client.destroy(); upstream.destroy(); }
    };
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => { sockets.delete(socket); end(); }).on('error', end);
    }
  });
  await new Promise((ok) => proxy.listen(0, '127.0.0.1', ok));
  const handle = {
    url: `http://127.0.0.1:${proxy.address().port}`,
    connections: 0,
    freeze() {
      for (const pair of live) pair.frozen = true;
      live.clear();
    },
    close: () => new Promise((ok) => { for (const socket of sockets) socket.destroy(); proxy.close(ok); }),
  };
  return handle;
}

/**
 * A proxy to `target` that answers the first stream upgrade of each client (told apart by its
 * Authorization header or bearer subprotocol) with 429 and `Retry-After: 1`, as a rate-limiting
 * proxy would, and passes everything else through. `attempts` maps each client to the times
 * (ms) of its upgrades.
 */
export async function startGate(target) {
  const { hostname, port } = new URL(target);
  const attempts = new Map();
  const sockets = new Set();
  const gate = createServer((client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    let head = Buffer.alloc(0);
    const onData = (chunk) => {
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      client.off('data', onData);
      const text = head.subarray(0, end).toString('latin1');
      const header = (name) => text.match(new RegExp(`^${name}:\\s*(.*)$`, 'im'))?.[1]?.trim() ?? '';
      const upgrade = /^upgrade:\s*websocket/im.test(text);
      const who = header('authorization') || (header('sec-websocket-protocol').match(/stepstream\.bearer\.[^,\s]+/)?.[0] ?? 'anonymous');
      if (upgrade) {
        const times = attempts.get(who) ?? [];
        times.push(Date.now());
        attempts.set(who, times);
        if (times.length === 1) {
          const body = JSON.stringify({ error: { code: 'rate_limited', message: 'too many streams opened by this client; retry in 1 s' } });
          client.end(`HTTP/1.1 429 Too Many Requests\r\nRetry-After: 1\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
          return;
        }
      }
      const upstream = connect(Number(port), hostname);
      upstream.write(head);
      splice(client, upstream);
    };
    client.on('data', onData);
    client.on('error', () => client.destroy());
  });
  await new Promise((ok) => gate.listen(0, '127.0.0.1', ok));
  return {
    url: `http://127.0.0.1:${gate.address().port}`,
    attempts,
    close: () => new Promise((ok) => { for (const socket of sockets) socket.destroy(); gate.close(ok); }),
  };
}

/** A REST call with the server's token, if any; throws on an error status. */
export async function rest(server, path, { method = 'GET', body, yaml } = {}) {
  const headers = { Accept: 'application/json' };
  if (server.token) headers.Authorization = `Bearer ${server.token}`;
  let payload;
  if (yaml !== undefined) { headers['Content-Type'] = 'application/yaml'; payload = yaml; }
  else if (body !== undefined) { headers['Content-Type'] = 'application/json'; payload = JSON.stringify(body); }
  const res = await fetch(server.url + path, { method, headers, body: payload });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

/** A run's events over REST, filtered like a stream: the truth every driver is held to. */
export async function history(server, runId, filters = {}) {
  const all = [];
  let after = 0;
  for (;;) {
    const query = new URLSearchParams({ after: String(after), limit: '1000' });
    for (const [name, value] of Object.entries(filters)) if (value) query.set(name, value);
    const page = await rest(server, `/api/v2/workflows/runs/${runId}/events?${query}`);
    all.push(...page.events);
    if (page.next === null || page.events.length === 0) return all;
    after = page.next;
  }
}

export async function waitFor(fn, { timeout = 30_000, interval = 50, what = 'condition' } = {}) {
  const end = Date.now() + timeout;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((ok) => setTimeout(ok, interval));
  }
}
