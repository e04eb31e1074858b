// Starts the real server jar on a free port with a temporary data dir, and Debian's Chromium
// through playwright-core (never a downloaded browser).
import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';

export const ROOT = resolve(import.meta.dirname, '..');
const JAR = process.env.STEPSTREAM_JAR || join(ROOT, 'target', 'stepstream.jar');
const JAVA = process.env.JAVA_HOME ? join(process.env.JAVA_HOME, 'bin', 'java') : 'java';

export async function startServer(dataDir = mkdtempSync(join(tmpdir(), 'stepstream-web-')), extraArgs = []) {
  const workflowsDir = join(dataDir, 'workflows');
  mkdirSync(workflowsDir, { recursive: true });
  const proc = spawn(JAVA, ['-jar', JAR, 'serve', '--port', '0', '--data-dir', dataDir,
    '--workflows-dir', workflowsDir, '--allow-scripts', ...extraArgs], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  proc.stderr.on('data', (d) => { stderr += d; });
  const url = await new Promise((ok, fail) => {
    let out = '';
    const timer = setTimeout(() => fail(new Error(`server did not start in 30 s: ${out}${stderr}`)), 30_000);
    proc.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/stepstream listening on (http:\/\/\S+)/);
      if (m) { clearTimeout(timer); ok(m[1]); }
    });
    proc.on('exit', (code) => { clearTimeout(timer); fail(new Error(`server exited with ${code}: ${out}${stderr}`)); });
  });
  proc.stdout.resume();
  return {
    url, dataDir, proc,
    async stop() {
      if (proc.exitCode !== null) return;
      const exited = new Promise((ok) => proc.once('exit', ok));
      proc.kill('SIGTERM');
      // The grace timer is cleared once the server has exited: left pending, it kept node (and
      // so each test file) alive for its whole 10 s.
      let grace;
      await Promise.race([exited, new Promise((ok) => { grace = setTimeout(ok, 10_000); })]);
      clearTimeout(grace);
      if (proc.exitCode === null) proc.kill('SIGKILL');
    },
    cleanup() { rmSync(dataDir, { recursive: true, force: true }); },
  };
}

export async function launchBrowser() {
  const profile = mkdtempSync(join(tmpdir(), 'stepstream-chromium-'));
  // A fresh profile each time (playwright passes it as --user-data-dir).
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    viewport: { width: 1200, height: 900 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  return { context, close: async () => { await context.close(); rmSync(profile, { recursive: true, force: true }); } };
}

/** A REST call; `token` is sent as a bearer token, for a server started with credentials. */
export async function rest(base, path, { method = 'GET', body, yaml, token } = {}) {
  const headers = { Accept: 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  let payload;
  if (yaml !== undefined) { headers['Content-Type'] = 'application/yaml'; payload = yaml; }
  else if (body !== undefined) { headers['Content-Type'] = 'application/json'; payload = JSON.stringify(body); }
  const res = await fetch(base + path, { method, headers, body: payload });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

/** Every event of a run, from the history endpoint. */
export async function history(base, runId) {
  const all = [];
  let after = 0;
  for (;;) {
    const page = await rest(base, `/api/v2/workflows/runs/${runId}/events?after=${after}&limit=10000`);
    all.push(...page.events);
    if (page.next === null || page.events.length === 0) return all;
    after = page.next;
  }
}

export async function waitFor(fn, { timeout = 15_000, interval = 100, what = 'condition' } = {}) {
  const end = Date.now() + timeout;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((ok) => setTimeout(ok, interval));
  }
}

const ENDED = ['success', 'failed', 'cancelled', 'interrupted'];

/** Executes a workflow with these inputs and waits for its run to end: the run's id. */
export async function endedRun(base, workflowId, inputs = {}, { timeout = 15_000 } = {}) {
  const { runId } = await rest(base, `/api/v2/workflows/${workflowId}/execute`, { method: 'POST', body: { inputs } });
  await waitFor(async () => ENDED.includes((await rest(base, `/api/v2/workflows/runs/${runId}`)).status),
    { timeout, what: `run ${runId} to end` });
  return runId;
}

/**
 * A test file's server (with these workflows put, each a YAML text starting with its `id:`; `args`
 * for `serve`, `token` to put them with) and a new page of a browser, with the page's errors
 * printed: for its before(); closeServerAndPage for its after().
 */
export async function openServerAndPage({ workflows = [], args = [], token } = {}) {
  const server = await startServer(undefined, args);
  for (const yaml of workflows) {
    const id = yaml.match(/^id: (\S+)/m)[1];
    await rest(server.url, `/api/v2/workflows/${id}`, { method: 'PUT', yaml, token });
  }
  const browser = await launchBrowser();
  const page = await browser.context.newPage();
  page.on('pageerror', (err) => console.error('page error:', err));
  return { server, browser, page };
}

export async function closeServerAndPage({ server, browser } = {}) {
  await browser?.close();
  await server?.stop();
  server?.cleanup();
}
