// The conformance suite: every client library, through its driver, follows the same runs of a
// real server through the same trouble, and is held to the same answers. See README.md.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { accessSync, constants, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';
import { ROOT, startServer, startProxy, startFreezingProxy, startGate, rest, history, waitFor } from './server.mjs';

const HERE = import.meta.dirname;
const PYTHON = process.env.CONFORMANCE_PYTHON || '/usr/bin/python3';
const ALL_DRIVERS = {
  js: ['node', [join(HERE, 'drivers', 'js.mjs')]],
  python: [PYTHON, [join(HERE, 'drivers', 'python.py')]],
  'python-async': [PYTHON, [join(HERE, 'drivers', 'python.py'), '--async']],
  // Any executable drivers/<name> taking the same arguments joins in: drivers/java, for one.
  java: [join(HERE, 'drivers', 'java'), []],
};
const DRIVERS = Object.entries(ALL_DRIVERS).filter(([name, [command]]) => {
  if (process.env.CONFORMANCE_DRIVERS) return process.env.CONFORMANCE_DRIVERS.split(',').includes(name);
  if (!command.startsWith('/') || command === PYTHON) return true;
  try { accessSync(command, constants.X_OK); return true; } catch { return false; }
});
/**
 * The drivers that shorten their library's silence timings (15 s quiet before a ping, 45 s of
 * silence before a connection is lost) to those of CONFORMANCE_SILENCE_MS=quiet,deadAfter,
 * through the library's test knob. Another would take a minute a silence.
 */
const SHORT_SILENCE = new Set(['js', 'python', 'python-async', 'java']);

const WORKFLOWS = {
  live: `id: live
steps:
  - {id: a, type: log, level: info, message: one}
  - {id: b, type: log, level: debug, message: quiet}
  - {id: c, type: log, level: warn, message: careful}
  - {id: nap, type: sleep, duration: 2500ms}
  - {id: d, type: log, level: error, message: after the nap}
  - {id: e, type: set, vars: {done: true}}
`,
  // It waits at its gate until the test approves: every driver, however slow to start (a JVM
  // on a loaded machine takes seconds), is connected before the test cuts or restarts.
  resumable: `id: resumable
onInterrupt: resume
steps:
  - {id: first, type: log, message: before the gate}
  - {id: gate, type: approval, message: "go on?"}
  - {id: nap, type: sleep, duration: 4s}
  - {id: last, type: log, message: after the nap}
`,
  // resumable without its nap, for the scenarios that need no time after the gate.
  gated: `id: gated
steps:
  - {id: first, type: log, message: before the gate}
  - {id: gate, type: approval, message: "go on?"}
  - {id: last, type: log, message: after the gate}
`,
  long: `id: long
steps:
  - {id: first, type: log, message: before the nap}
  - {id: nap, type: sleep, duration: 60s}
  - {id: last, type: log, message: after the nap}
`,
  chatty: `id: chatty
steps:
  - id: talk
    type: script
    run: "seq 1 60000 | sed 's/$/ the quick brown fox jumps over the lazy dog, again and again and again and again and again/'"
`,
};

/**
 * Runs one driver: `driver SERVER RUN_ID [--after N] [--types …] [--steps …] [--min-level L]
 * [--token T] [--stall-after N --stall-ms MS]`. It prints each envelope as a JSON line, then
 * `{"end": {"lastSeq", "reconnects", "error": null | {"kind", "status", "code", "closeCode"}}}`.
 * In its watch mode, `driver SERVER --watch [--workflow W] [--until-complete N] [--token T]`,
 * it prints each item of the all-runs stream (`connected` as each connection opens) until the
 * N-th `run_complete`, then the end line without `lastSeq`.
 */
function drive([command, baseArgs], url, runId, args = [], env = {}) {
  const proc = spawn(command, [...baseArgs, url, ...(runId === null ? [] : [runId]), ...args],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  const result = { envelopes: [], end: null, stderr: '', unreadable: [] };
  let buffered = '';
  proc.stdout.setEncoding('utf8');
  proc.stdout.on('data', (chunk) => {
    buffered += chunk;
    const lines = buffered.split('\n');
    buffered = lines.pop();
    for (const line of lines) {
      if (!line.trim()) continue;
      try {
        const message = JSON.parse(line);
        if (message.end) result.end = message.end; else result.envelopes.push(message);
      } catch { result.unreadable.push(line); }
    }
  });
  proc.stderr.on('data', (d) => { result.stderr = (result.stderr + d).slice(-5000); });
  result.done = new Promise((ok) => proc.on('close', (code) => { result.code = code; ok(result); }));
  const timer = setTimeout(() => proc.kill('SIGKILL'), 120_000);
  result.done.then(() => clearTimeout(timer));
  return result;
}

/** Waits until every driver has shown the run waiting at its gate (workflow `resumable` or `gated`). */
function waitForGate(results) {
  return waitFor(() => results.every((r) => r.envelopes.some((e) => e.type === 'step_waiting' && e.payload.stepId === 'gate')),
    { timeout: 60_000, what: `every driver to see the gate: ${results.map(describeResult).join('; ')}` });
}

/** Approves the gate of a run of `resumable`. */
function approve(server, runId) {
  return rest(server, `/api/v2/workflows/runs/${runId}/steps/gate/approve`, { method: 'POST', body: {} });
}

/** Starts every driver (or those of `drivers`) on one run with the same arguments and environment. */
function driveAll(url, runId, args, { drivers = DRIVERS, env } = {}) {
  return drivers.map(([name, driver]) => Object.assign(drive(driver, url, runId, args, env), { name }));
}

/** Starts every driver (or those of `drivers`) watching the all-runs stream with the same arguments. */
function watchAll(url, args, options) {
  return driveAll(url, null, ['--watch', ...args], options);
}

/**
 * What the all-runs stream tells of a run whose log is `all`, in order: its queueing, its
 * run-level envelopes as stored, and a run_progress for each step that ended or waits.
 */
function runItems(runId, all) {
  const items = [{ type: 'run_queued', runId }];
  for (const e of all) {
    if (['run_start', 'run_resumed', 'run_complete'].includes(e.type)) items.push(e);
    else if (e.type === 'step_complete') items.push({ type: 'run_progress', runId, payload: { stepId: e.payload.stepId, status: e.payload.status } });
    else if (e.type === 'step_waiting') items.push({ type: 'run_progress', runId, payload: { stepId: e.payload.stepId, status: 'waiting' } });
  }
  return items;
}

/** The assertions of a watch that ended after a run_complete: every connection announced, the server's items as they are. */
function assertWatched(r, expected, { minReconnects = 0, maxReconnects = 0 } = {}) {
  const why = describeResult(r);
  assert.equal(r.code, 0, why);
  assert.ok(r.end, `no end line: ${why}`);
  assert.equal(r.end.error, null, why);
  assert.equal(r.envelopes[0]?.type, 'connected', `the first item says the stream is open: ${why}`);
  const connections = r.envelopes.filter((item) => item.type === 'connected').length;
  assert.ok(connections >= 1 && connections <= r.end.reconnects + 1, `one connected a connection opened: ${why}`);
  assert.ok(r.end.reconnects >= minReconnects && r.end.reconnects <= maxReconnects,
    `reconnects ${r.end.reconnects} not in [${minReconnects}, ${maxReconnects}]: ${why}`);
  const items = r.envelopes.filter((item) => item.type !== 'connected');
  // run_queued carries the trigger and the version: its type and run are what every client must pass on.
  assert.deepEqual(items.map((item) => (item.type === 'run_queued' ? { type: item.type, runId: item.runId } : item)), expected, why);
}

function describeResult(r) {
  const seqs = r.envelopes.map((e) => e.seq);
  return `${r.name}: exit ${r.code}, ${seqs.length} envelopes (${seqs.slice(0, 5)}…${seqs.slice(-3)}), end ${JSON.stringify(r.end)}`
    + (r.unreadable.length ? `, unreadable: ${r.unreadable.slice(0, 3)}` : '') + (r.stderr ? `\nstderr: ${r.stderr}` : '');
}

/** The assertions of every scenario that ends with run_complete. */
function assertFollowed(r, expected, { minReconnects = 0, maxReconnects = 0 } = {}) {
  const why = describeResult(r);
  assert.equal(r.code, 0, why);
  assert.ok(r.end, `no end line: ${why}`);
  assert.equal(r.end.error, null, why);
  const seqs = r.envelopes.map((e) => e.seq);
  for (let i = 1; i < seqs.length; i++) assert.ok(seqs[i] > seqs[i - 1], `seq ${seqs[i]} after ${seqs[i - 1]}: ${why}`);
  assert.deepEqual(r.envelopes, expected, why);
  if (expected.length) {
    assert.equal(r.envelopes.at(-1).type, 'run_complete', why);
    assert.equal(r.end.lastSeq, expected.at(-1).seq, why);
  }
  assert.ok(r.end.reconnects >= minReconnects && r.end.reconnects <= maxReconnects,
    `reconnects ${r.end.reconnects} not in [${minReconnects}, ${maxReconnects}]: ${why}`);
}

/** The assertions of the final-error scenarios: the error kind, nothing yielded, no retry loop. */
function assertRefused(r, { kind, status }) {
  const why = describeResult(r);
  assert.equal(r.code, 0, why);
  assert.ok(r.end?.error, `no error: ${why}`);
  assert.equal(r.end.error.kind, kind, why);
  assert.equal(r.end.error.status, status, why);
  assert.equal(r.end.reconnects, 0, why);
  assert.deepEqual(r.envelopes, [], why);
}

async function execute(server, workflowId) {
  return (await rest(server, `/api/v2/workflows/${workflowId}/execute`, { method: 'POST', body: {} })).runId;
}

async function finished(server, runId) {
  return waitFor(async () => ['success', 'failed', 'cancelled', 'interrupted']
    .includes((await rest(server, `/api/v2/workflows/runs/${runId}`)).status), { what: `run ${runId} to end`, timeout: 60_000 });
}

async function applyWorkflows(server) {
  for (const yaml of [...Object.values(WORKFLOWS), readFileSync(join(ROOT, 'workflows', 'hello.yaml'), 'utf8')]) {
    await rest(server, `/api/v2/workflows/${yaml.match(/^id: (\S+)/)[1]}`, { method: 'PUT', yaml });
  }
}

/** Each driver's result as a subtest of its own, so a report names the library that failed. */
async function eachDriver(t, results, check) {
  for (const r of results) {
    t.diagnostic(`${r.name}: ${r.envelopes.length} envelopes, reconnects ${r.end?.reconnects}, error ${r.end?.error?.kind ?? 'none'}`);
    await t.test(r.name, () => check(r));
  }
}

describe(`client conformance (${DRIVERS.map(([name]) => name).join(', ')})`, { timeout: 170_000 }, () => {
  let server;
  before(async () => {
    // A short write timeout, so that a stalled consumer is closed with 1013 within a second.
    server = await startServer({ args: ['--write-timeout', '1s'] });
    await applyWorkflows(server);
  });
  after(async () => {
    await server?.stop();
    server?.cleanup();
  });

  test("each library reconnects after the close codes the server's own table says, and only those", async () => {
    // The server's table of its close codes, written from its CloseCode.
    const source = await (await fetch(`${server.url}/closecodes.mjs`)).text();
    const { CLOSE_CODES } = await import(`data:text/javascript,${encodeURIComponent(source)}`);
    const codes = Object.keys(CLOSE_CODES).map(Number);
    assert.ok(codes.includes(1013) && codes.includes(1008), 'the table has the codes streams close with');
    const expected = Object.fromEntries(codes.map((code) => [code, CLOSE_CODES[code].reconnect]));
    const { reconnectsAfter } = await import('../js/index.mjs');
    assert.deepEqual(Object.fromEntries(codes.map((code) => [code, reconnectsAfter(code)])), expected, 'clients/js');
    const python = spawn(PYTHON, ['-c', `import json, sys; sys.path.insert(0, ${JSON.stringify(join(ROOT, 'clients', 'python'))});
from stepstream_client import reconnects_after
print(json.dumps({c: reconnects_after(c) for c in ${JSON.stringify(codes)}}))`]);
    let out = '';
    python.stdout.on('data', (d) => { out += d; });
    await new Promise((ok) => python.on('close', ok));
    assert.deepEqual(JSON.parse(out), Object.fromEntries(Object.entries(expected).map(([c, r]) => [String(c), r])), 'clients/python');
  });

  test('history then live: joined before the run started and while it ran, each gets every event once', async (t) => {
    const runId = await execute(server, 'live');
    const early = driveAll(server.url, runId);
    await waitFor(async () => (await history(server, runId)).some((e) => e.type === 'step_start' && e.payload.stepId === 'nap'),
      { what: 'the nap to start' });
    const late = driveAll(server.url, runId);
    await Promise.all([...early, ...late].map((r) => r.done));
    const all = await history(server, runId);
    await eachDriver(t, [...early, ...late.map((r) => ({ ...r, name: `${r.name} (joined late)` }))], (r) => assertFollowed(r, all));

    // A finished run, from the middle of its history; and from its end: nothing, and no error.
    const middle = driveAll(server.url, runId, ['--after', '3']);
    const end = driveAll(server.url, runId, ['--after', String(all.at(-1).seq)]);
    await Promise.all([...middle, ...end].map((r) => r.done));
    await eachDriver(t, middle.map((r) => ({ ...r, name: `${r.name} (after 3)` })), (r) => assertFollowed(r, all.slice(3)));
    await eachDriver(t, end.map((r) => ({ ...r, name: `${r.name} (after the end)` })), (r) => {
      assertFollowed(r, []);
      assert.equal(r.end.lastSeq, all.at(-1).seq, describeResult(r));
    });
  });

  test('filters: types, steps and minLevel give what the history gives with the same filters', async (t) => {
    const runId = await execute(server, 'live');
    const cases = [
      { types: 'step_log,run_complete', minLevel: 'warn' },
      { steps: 'a,d' },
      { types: 'step_start,step_complete,run_complete', steps: 'nap' },
    ];
    const running = cases.map((filters) => ({
      filters,
      results: driveAll(server.url, runId, [
        ...(filters.types ? ['--types', filters.types] : []), ...(filters.steps ? ['--steps', filters.steps] : []),
        ...(filters.minLevel ? ['--min-level', filters.minLevel] : [])]),
    }));
    await Promise.all(running.flatMap(({ results }) => results.map((r) => r.done)));
    for (const { filters, results } of running) {
      const expected = await history(server, runId, filters);
      assert.ok(expected.length >= 2 && expected.length < (await history(server, runId)).length, 'the filter filters');
      await eachDriver(t, results.map((r) => ({ ...r, name: `${r.name} ${JSON.stringify(filters)}` })), (r) => assertFollowed(r, expected));
    }
  });

  test('a cut connection: each resumes after its last seq and loses nothing', async (t) => {
    const proxy = await startProxy(server.url);
    try {
      const runId = await execute(server, 'resumable');
      const results = driveAll(proxy.url, runId);
      await waitForGate(results);
      proxy.cut();
      await approve(server, runId);
      await Promise.all(results.map((r) => r.done));
      const all = await history(server, runId);
      await eachDriver(t, results, (r) => assertFollowed(r, all, { minReconnects: 1, maxReconnects: 4 }));
    } finally {
      await proxy.close();
    }
  });

  test('a slow consumer: the server closes it with 1013, it resumes and loses nothing', async (t) => {
    const runId = await execute(server, 'chatty');
    const results = driveAll(server.url, runId, ['--stall-after', '5', '--stall-ms', '6000']);
    await Promise.all(results.map((r) => r.done));
    const all = await history(server, runId);
    assert.ok(all.length > 60_000);
    await eachDriver(t, results, (r) => assertFollowed(r, all, { minReconnects: 1, maxReconnects: 5 }));
  });

  test('the all-runs stream: connected as each connection opens, a cut one reconnects, the workflow filter holds', async (t) => {
    const proxy = await startProxy(server.url);
    try {
      const results = watchAll(proxy.url, ['--workflow', 'resumable', '--until-complete', '1']);
      await waitFor(() => results.every((r) => r.envelopes.some((item) => item.type === 'connected')),
        { timeout: 60_000, what: `every driver to connect: ${results.map(describeResult).join('; ')}` });
      const runId = await execute(server, 'resumable');
      await execute(server, 'live'); // another workflow's run, which the filter keeps out
      await waitFor(() => results.every((r) => r.envelopes.some((item) => item.type === 'run_progress'
        && item.runId === runId && item.payload.status === 'waiting')), { what: 'every driver to see the run wait at its gate' });
      proxy.cut();
      await waitFor(() => results.every((r) => r.envelopes.filter((item) => item.type === 'connected').length === 2),
        { what: `every driver to connect again: ${results.map(describeResult).join('; ')}` });
      await approve(server, runId);
      await Promise.all(results.map((r) => r.done));
      const expected = runItems(runId, await history(server, runId));
      await eachDriver(t, results, (r) => {
        assertWatched(r, expected, { minReconnects: 1, maxReconnects: 4 });
        assert.equal(r.envelopes.filter((item) => item.type === 'connected').length, 2, describeResult(r));
      });
    } finally {
      await proxy.close();
    }
  });

  test('a silent connection: behind a proxy that hangs, each follow and watch resumes and misses nothing', async (t) => {
    const drivers = DRIVERS.filter(([name]) => SHORT_SILENCE.has(name));
    const left = DRIVERS.filter(([name]) => !SHORT_SILENCE.has(name)).map(([name]) => name);
    if (left.length) t.diagnostic(`left out, their silence timings cannot be shortened: ${left.join(', ')}`);
    if (!drivers.length) { t.skip('no driver can shorten its silence timings'); return; }
    // Pinged after 1 s of quiet, lost after 3 s of silence: the rule's 15 s and 45 s, shortened.
    const options = { drivers, env: { CONFORMANCE_SILENCE_MS: '1000,3000' } };
    const proxy = await startFreezingProxy(server.url);
    try {
      const watchers = watchAll(proxy.url, ['--workflow', 'gated'], options);
      await waitFor(() => watchers.every((r) => r.envelopes.some((item) => item.type === 'connected')),
        { timeout: 60_000, what: `every driver to connect: ${watchers.map(describeResult).join('; ')}` });
      const runId = await execute(server, 'gated');
      const followers = driveAll(proxy.url, runId, [], options);
      await waitForGate(followers);
      await waitFor(() => watchers.every((r) => r.envelopes.some((item) => item.type === 'run_progress'
        && item.runId === runId && item.payload.status === 'waiting')), { what: 'every watch to see the run wait at its gate' });
      // Quiet from here (the run waits), every connection pinged, and none answered: it hung.
      const frozen = Date.now();
      proxy.freeze();
      await waitFor(() => watchers.every((r) => r.envelopes.filter((item) => item.type === 'connected').length === 2),
        { what: `every watch to connect again: ${watchers.map(describeResult).join('; ')}` });
      t.diagnostic(`every watch connected again ${Date.now() - frozen} ms after the freeze`);
      await approve(server, runId);
      await Promise.all([...followers, ...watchers].map((r) => r.done));
      const all = await history(server, runId);
      await eachDriver(t, followers, (r) => assertFollowed(r, all, { minReconnects: 1, maxReconnects: 3 }));
      await eachDriver(t, watchers.map((r) => ({ ...r, name: `${r.name} (watching)` })), (r) => {
        assertWatched(r, runItems(runId, all), { minReconnects: 1, maxReconnects: 3 });
        assert.equal(r.envelopes.filter((item) => item.type === 'connected').length, 2, describeResult(r));
      });
    } finally {
      await proxy.close();
    }
  });

  test('a server URL: each library refuses the same bad ones at construction, in the same words, and follows through one with a user name alone', async (t) => {
    // One expectation for all: the rule's words (Java's ServerUrlProblem), the URL without its user-info.
    const withPassword = server.url.replace('http://', 'http://ann:s3cret@');
    const refused = {
      'ftp://127.0.0.1': 'expected an http:// or https:// URL',
      'http:///stepstream': 'expected an http:// or https:// URL',
      'http://127.0.0.1:0': 'expected a port from 1 to 65535',
      'http://127.0.0.1:65536': 'expected a port from 1 to 65535',
      [`${server.url}/?x=1`]: "expected a URL without a query (?…): the API's paths go after it",
      [`${server.url}/#top`]: "expected a URL without a fragment (#…): the API's paths go after it",
      [withPassword]: 'a password in the URL is never sent; give a token',
    };
    const runId = await execute(server, 'live');
    const tries = Object.keys(refused).map((url) => ({ url, results: driveAll(url, runId) }));
    const userOnly = driveAll(`${server.url.replace('http://', 'http://ann@')}/`, runId);
    await Promise.all([...tries.flatMap(({ results }) => results), ...userOnly].map((r) => r.done));
    for (const { url, results } of tries) {
      const message = `server: ${refused[url]}, got ${url.replace(withPassword, server.url.replace('http://', 'http://***@'))}`;
      await eachDriver(t, results.map((r) => ({ ...r, name: `${r.name} ${url}` })), (r) => {
        const why = describeResult(r);
        assert.equal(r.code, 0, why);
        assert.deepEqual(r.end?.error, { kind: 'argument', message }, why);
      });
    }
    const all = await history(server, runId);
    await eachDriver(t, userOnly.map((r) => ({ ...r, name: `${r.name} (a user name in the URL)` })), (r) => assertFollowed(r, all));
  });

  test('a run that does not exist: a final not_found, no retry; a malformed id: bad_request', async (t) => {
    const missing = driveAll(server.url, randomUUID());
    const malformed = driveAll(server.url, 'not-a-run-id');
    await Promise.all([...missing, ...malformed].map((r) => r.done));
    await eachDriver(t, missing, (r) => assertRefused(r, { kind: 'not_found', status: 404 }));
    await eachDriver(t, malformed.map((r) => ({ ...r, name: `${r.name} (malformed)` })), (r) => assertRefused(r, { kind: 'bad_request', status: 400 }));
  });
});

describe('the examples of docs/clients.md', { timeout: 90_000 }, () => {
  let server;
  before(async () => {
    server = await startServer();
    await applyWorkflows(server);
  });
  after(async () => {
    await server?.stop();
    server?.cleanup();
  });

  const page = readFileSync(join(ROOT, 'docs', 'clients.md'), 'utf8');
  /** Runs a snippet of the page against this server; its output's last line. */
  const runSnippet = async (command, args, file, text) => {
    writeFileSync(file, text.replaceAll('http://127.0.0.1:8080', server.url));
    try {
      const proc = spawn(command, [...args, file], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      proc.stdout.on('data', (d) => { out += d; });
      proc.stderr.on('data', (d) => { err += d; });
      const code = await new Promise((ok) => proc.on('close', ok));
      assert.equal(code, 0, err);
      return out.trim().split('\n').at(-1);
    } finally {
      rmSync(file, { force: true });
    }
  };

  test('the JavaScript example executes hello and follows it to success', async () => {
    const snippet = page.match(/```js\n(import \{ StepstreamClient[\s\S]*?)```/)[1]
      .replace("'@stepstream/client'", "'../js/index.mjs'");
    assert.match(await runSnippet('node', [], join(HERE, '.docs-example.mjs'), snippet), /^last seq \d+ status success$/);
  });

  test('the Python example executes hello and follows it to success', async () => {
    const snippet = page.match(/```python\n(from stepstream_client[\s\S]*?)```/)[1];
    const path = `import sys\nsys.path.insert(0, ${JSON.stringify(join(ROOT, 'clients', 'python'))})\n`;
    assert.match(await runSnippet(PYTHON, [], join(HERE, '.docs-example.py'), path + snippet), /^last seq \d+ status success$/);
  });

  test('the Java example executes hello and follows it to success', async () => {
    const snippet = page.match(/```java\n(import dev\.stepstream\.client[\s\S]*?)```/)[1];
    // Its imports stay on top; its statements become a main method. The JDK runs a source file as is.
    const imports = snippet.split('\n').filter((line) => line.startsWith('import ')).join('\n');
    const body = snippet.split('\n').filter((line) => !line.startsWith('import ')).join('\n');
    const source = `${imports}\npublic class Example {\n  public static void main(String[] args) throws Exception {\n${body}\n  }\n}\n`;
    const java = join(process.env.JAVA_HOME || '/usr/lib/jvm/temurin-25-jdk-amd64', 'bin', 'java');
    const library = join(ROOT, 'clients', 'java', 'target', 'classes');
    assert.match(await runSnippet(java, ['-cp', library], join(HERE, '.docs-example.java'), source), /^last seq \d+, status success$/);
  });
});

describe('client conformance with a server that restarts', { timeout: 120_000 }, () => {
  let server;
  before(async () => {
    server = await startServer();
    await applyWorkflows(server);
  });
  after(async () => {
    await server?.stop();
    server?.cleanup();
  });

  test('server restart mid-run: each follows the resumed run to run_complete, gapless', async (t) => {
    const runId = await execute(server, 'resumable');
    const results = driveAll(server.url, runId);
    await waitForGate(results);
    await approve(server, runId);
    // Restarted during the 4 s nap: the run is interrupted, and resumed by the new process.
    await waitFor(async () => (await history(server, runId)).some((e) => e.type === 'step_start' && e.payload.stepId === 'nap'),
      { interval: 20, what: 'the nap to start' });
    await server.restart();
    await Promise.all(results.map((r) => r.done));
    await finished(server, runId);
    const all = await history(server, runId);
    assert.ok(all.some((e) => e.type === 'run_resumed'), `the run was resumed: ${all.map((e) => e.type)}`);
    await eachDriver(t, results, (r) => assertFollowed(r, all, { minReconnects: 1, maxReconnects: 30 }));
  });
});

describe('client conformance with credentials', { timeout: 120_000 }, () => {
  let server;
  before(async () => {
    server = await startServer({ withToken: true });
    await applyWorkflows(server);
  });
  after(async () => {
    await server?.stop();
    server?.cleanup();
  });

  test('the right token follows; a bad token or none is a final unauthenticated, with no retry loop', async (t) => {
    const runId = await execute(server, 'live');
    const good = driveAll(server.url, runId, ['--token', server.token]);
    const bad = driveAll(server.url, runId, ['--token', 'ss_not-a-token']);
    const none = driveAll(server.url, runId);
    await Promise.all([...good, ...bad, ...none].map((r) => r.done));
    const all = await history(server, runId);
    await eachDriver(t, good, (r) => assertFollowed(r, all));
    await eachDriver(t, bad.map((r) => ({ ...r, name: `${r.name} (bad token)` })), (r) => assertRefused(r, { kind: 'unauthenticated', status: 401 }));
    await eachDriver(t, none.map((r) => ({ ...r, name: `${r.name} (no token)` })), (r) => assertRefused(r, { kind: 'unauthenticated', status: 401 }));

    const watchers = watchAll(server.url, ['--token', 'ss_not-a-token']);
    await Promise.all(watchers.map((r) => r.done));
    await eachDriver(t, watchers.map((r) => ({ ...r, name: `${r.name} (watching, bad token)` })),
      (r) => assertRefused(r, { kind: 'unauthenticated', status: 401 }));
  });

  test('a token revoked mid-stream: the server closes with 1008, a final policy error, no retry', async (t) => {
    const doomed = server.createToken('doomed', 'viewer');
    const runId = await execute(server, 'long'); // long enough for the revocation to land mid-run
    // The server reads the tokens file again within 2 s: until then the new token may be unknown.
    await waitFor(async () => (await fetch(`${server.url}/api/v2/workflows/runs/${runId}`,
      { headers: { Authorization: `Bearer ${doomed}` } })).ok, { what: 'the new token to be known' });
    const results = driveAll(server.url, runId, ['--token', doomed]);
    await waitFor(() => results.every((r) => r.envelopes.some((e) => e.type === 'step_start' && e.payload.stepId === 'nap')),
      { what: 'every driver to see the nap start' });
    server.revokeToken('doomed');
    await Promise.all(results.map((r) => r.done));
    await rest(server, `/api/v2/workflows/runs/${runId}/cancel`, { method: 'POST' });
    const all = await history(server, runId);
    await eachDriver(t, results, (r) => {
      const why = describeResult(r);
      assert.equal(r.end?.error?.kind, 'policy', why);
      assert.equal(r.end.error.closeCode, 1008, why);
      assert.equal(r.end.reconnects, 0, why);
      assert.deepEqual(r.envelopes, all.slice(0, r.envelopes.length), why);
      assert.equal(r.end.lastSeq, r.envelopes.at(-1).seq, why);
    });
  });
});

describe('client conformance with a rate-limiting proxy', { timeout: 120_000 }, () => {
  let server;
  let gate;
  const tokens = {};
  before(async () => {
    // Each driver with a token of its own, so that the gate tells them apart (as the server's
    // own --stream-rate-limit does, per token: tested by the server's tests). The gate refuses
    // each one's first stream with 429 and Retry-After: 1 whenever it comes, however long the
    // driver takes to start, which racing the server's one-a-second limit could not ensure.
    server = await startServer({ withToken: true });
    await applyWorkflows(server);
    for (const [name] of DRIVERS) tokens[name] = server.createToken(`limited-${name}`, 'viewer');
    const last = tokens[DRIVERS.at(-1)[0]];
    await waitFor(async () => (await fetch(`${server.url}/api/v2/workflows`, { headers: { Authorization: `Bearer ${last}` } })).ok,
      { what: 'the server to read the new tokens' });
    gate = await startGate(server.url);
  });
  after(async () => {
    await gate?.close();
    await server?.stop();
    server?.cleanup();
  });

  test('429 with Retry-After: each waits as told, then follows the run whole', async (t) => {
    const runId = await execute(server, 'live');
    const results = DRIVERS.map(([name, driver]) =>
      Object.assign(drive(driver, gate.url, runId, ['--token', tokens[name]]), { name }));
    await Promise.all(results.map((r) => r.done));
    const all = await history(server, runId);
    await eachDriver(t, results, (r) => {
      assertFollowed(r, all, { minReconnects: 1, maxReconnects: 2 });
      // Its backoff starts at 100 ms: only Retry-After makes it wait a second.
      const times = [...gate.attempts.entries()].find(([who]) => who.includes(tokens[r.name]))?.[1] ?? [];
      assert.ok(times.length >= 2, `${r.name}: ${times.length} upgrades through the gate`);
      assert.ok(times[1] - times[0] >= 950, `${r.name} tried again ${times[1] - times[0]} ms after the 429 with Retry-After: 1`);
    });
  });
});

/** The REST mode of every driver: `driver SERVER --runs N --token T [--retries R]`, each with a token of its own. */
function listAll(url, tokens, args = []) {
  return DRIVERS.map(([name, driver]) => {
    const started = Date.now();
    const r = Object.assign(drive(driver, url, null, ['--runs', ...args, '--token', tokens[name]]), { name });
    r.done.then(() => { r.took = Date.now() - started; });
    return r;
  });
}

/** The names of a token for each driver, `<prefix>-<driver>`, for startServer's `tokens`. */
function tokenNames(...prefixes) {
  return prefixes.flatMap((prefix) => DRIVERS.map(([name]) => `${prefix}-${name}`));
}

/** Each driver's token of `server` whose name begins with `prefix`. */
function tokensOf(server, prefix) {
  return Object.fromEntries(DRIVERS.map(([name]) => [name, server.tokens[`${prefix}-${name}`]]));
}

describe('client conformance of the REST calls with a rate-limited server', { timeout: 120_000 }, () => {
  // The server's own --rate-limit, per token, even on loopback once credentials are configured:
  // 1/s holds one request, and the next, made at once by the same driver, is refused with 429
  // and Retry-After: 1 however long the driver took to start; 1/h says Retry-After: ~3600.
  let perSecond;
  let perHour;
  before(async () => {
    // Tokens the servers know from their start: learning when a server has read a new one would
    // spend a request of the token's.
    [perSecond, perHour] = await Promise.all([
      startServer({ withToken: true, tokens: tokenNames('patient', 'impatient'), args: ['--rate-limit', '1/s'] }),
      startServer({ withToken: true, tokens: tokenNames('hourly'), args: ['--rate-limit', '1/h'] }),
    ]);
  });
  after(async () => {
    for (const server of [perSecond, perHour]) {
      await server?.stop();
      server?.cleanup();
    }
  });

  test('429 with Retry-After: 1: each call waits and gets through; with retries 0 the second is refused', async (t) => {
    const results = [...listAll(perSecond.url, tokensOf(perSecond, 'patient'), ['3']),
      ...listAll(perSecond.url, tokensOf(perSecond, 'impatient'), ['2', '--retries', '0']).map((r) => Object.assign(r, { name: `${r.name} (retries 0)` }))];
    await Promise.all(results.map((r) => r.done));
    await eachDriver(t, results, (r) => {
      const why = describeResult(r);
      assert.equal(r.code, 0, why);
      if (r.name.endsWith('(retries 0)')) {
        assert.deepEqual(r.envelopes, [{ runs: 0 }], why);
        assert.equal(r.end?.error?.kind, 'rate_limited', why);
        assert.equal(r.end.error.status, 429, why);
        assert.equal(r.end.error.code, 'rate_limited', why);
      } else {
        assert.equal(r.end?.error, null, why);
        assert.deepEqual(r.envelopes, [{ runs: 0 }, { runs: 0 }, { runs: 0 }], why);
        // One request a second: the three took two seconds at least, waited out, not failed.
        assert.ok(r.took >= 1900, `${r.name} took ${r.took} ms: ${why}`);
      }
    });
  });

  test('a Retry-After over 30 s: no wait, the call fails at once with rate_limited', async (t) => {
    const results = listAll(perHour.url, tokensOf(perHour, 'hourly'), ['2']);
    await Promise.all(results.map((r) => r.done));
    await eachDriver(t, results, (r) => {
      const why = describeResult(r);
      assert.equal(r.code, 0, why);
      assert.deepEqual(r.envelopes, [{ runs: 0 }], why);
      assert.equal(r.end?.error?.kind, 'rate_limited', why);
      assert.equal(r.end.error.status, 429, why);
      assert.ok(r.took < 20_000, `${r.name} took ${r.took} ms: ${why}`);
    });
  });
});
