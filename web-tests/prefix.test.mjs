// The page served at a path that a reverse proxy strips (docs/deploy.md: `location /stepstream/ {
// proxy_pass http://stepstream/; }`), with no setting and no header telling the server: a small
// proxy written here serves the real server under /stepstream/, WebSocket upgrades included, and
// answers 404 to anything outside it, which it records. The runs list, a workflow executed and
// followed live (its stream dropped and resumed), the links between runs, workflows and a
// comparison and back, deep links reloaded, the not-found page, the log's download, approvals,
// retry, cancel, time travel and the Token form all work there, and the page asks for nothing
// outside the prefix.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { endedRun, history, launchBrowser, rest, startServer, waitFor } from './harness.mjs';

const PREFIX = '/stepstream/';

/**
 * A reverse proxy on a free port that serves `target` (the server's http://host:port) under PREFIX,
 * which it strips, as nginx's `proxy_pass http://stepstream/;` in `location /stepstream/` does;
 * the Host header is passed on, as `proxy_set_header Host` does. `outside` holds every request
 * outside PREFIX (answered 404), `upgrades` the path of every WebSocket upgrade passed on.
 */
async function startProxy(target) {
  const upstream = new URL(target);
  const outside = [];
  const upgrades = [];
  const sockets = new Set();
  const agent = new http.Agent({ keepAlive: true });
  const keep = (socket) => { sockets.add(socket); socket.on('close', () => sockets.delete(socket)); };
  /** The server's path of a request, or null (recorded) for one outside the prefix. */
  const strip = (req) => {
    if (req.url.startsWith(PREFIX)) return `/${req.url.slice(PREFIX.length)}`;
    outside.push(`${req.method} ${req.url}`);
    return null;
  };
  const proxy = http.createServer((req, res) => {
    const path = strip(req);
    if (path === null) {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not under the prefix\n');
      return;
    }
    const forward = http.request({ agent, host: upstream.hostname, port: upstream.port, method: req.method, path, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode, answer.statusMessage, answer.headers);
        answer.pipe(res);
      });
    forward.on('error', () => res.destroy());
    req.pipe(forward);
  });
  proxy.on('connection', keep);
  proxy.on('upgrade', (req, socket, head) => {
    const path = strip(req);
    if (path === null) {
      socket.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
      return;
    }
    upgrades.push(path);
    const node = net.connect(Number(upstream.port), upstream.hostname, () => {
      const head0 = [`${req.method} ${path} HTTP/1.1`];
      for (let i = 0; i < req.rawHeaders.length; i += 2) head0.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
      node.write(`${head0.join('\r\n')}\r\n\r\n`);
      if (head.length) node.write(head);
      socket.pipe(node).pipe(socket);
    });
    keep(node);
    node.on('error', () => socket.destroy());
    socket.on('error', () => node.destroy());
  });
  await new Promise((ok) => proxy.listen(0, '127.0.0.1', ok));
  return {
    url: `http://127.0.0.1:${proxy.address().port}${PREFIX}`,
    outside,
    upgrades,
    async close() {
      const closed = new Promise((ok) => proxy.close(ok));
      for (const socket of sockets) socket.destroy();
      agent.destroy();
      await closed;
    },
  };
}

// Runs until the test writes the file `go` in `dir`: a run seen running, then ending.
const untilGo = (file) => `n=0; until [ -f "${file}" ]; do n=$((n+1)); [ $n -gt 600 ] && exit 3; sleep 0.05; done`;
const HOLD = (dir) => `
id: hold
name: Hold on
inputs:
  tag: {type: string, default: first}
steps:
  - {id: hello, type: log, message: "hello \${inputs.tag}"}
  - id: wait
    type: script
    run: 'echo waiting \${inputs.tag}; ${untilGo(`${dir}/go-\${inputs.tag}`)}; echo done \${inputs.tag}'
  - {id: bye, type: log, message: "bye \${inputs.tag}"}
`;
const FLAKY = `
id: flaky
name: Flaky build
inputs:
  ok: {type: boolean, default: true}
steps:
  - {id: prep, type: set, vars: {mode: "\${inputs.ok ? 'good' : 'bad'}"}}
  - {id: build, type: script, run: "echo mode \${vars.mode}; echo built"}
  - {id: check, type: fail, message: "not ok", when: "\${!inputs.ok}"}
  - {id: ship, type: log, message: shipped}
`;
const GATE = `
id: gate
steps:
  - {id: ask, type: approval, message: "Ship it?"}
  - {id: ship, type: log, message: shipped}
`;

const stepStatus = (page, id) => page.getAttribute(`.timeline li[data-step="${id}"]`, 'data-status');
const runStatus = (page) => page.locator('.run-status .status').getAttribute('data-status');
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** That the page's log holds the run's stored log lines, each once and in order. */
async function logMatchesHistory(page, base, runId) {
  const expected = (await history(base, runId)).filter((e) => e.type === 'step_log').map((e) => e.seq);
  await waitFor(async () => JSON.stringify(await page.evaluate(() => window.__stepstream.logSeqs())) === JSON.stringify(expected),
    { what: 'the log as stored' });
}

describe('the page under a path prefix that a proxy strips', () => {
  let server, proxy, browser, page, tmp;

  before(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'stepstream-prefix-'));
    server = await startServer();
    for (const yaml of [HOLD(tmp), FLAKY, GATE]) {
      await rest(server.url, `/api/v2/workflows/${yaml.match(/^id: (\S+)/m)[1]}`, { method: 'PUT', yaml });
    }
    proxy = await startProxy(server.url);
    browser = await launchBrowser();
    page = await browser.context.newPage();
    page.on('pageerror', (err) => console.error('page error:', err));
  });

  after(async () => {
    await browser?.close();
    await proxy?.close();
    await server?.stop();
    server?.cleanup();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  /** The path of the page's address under the prefix: `runs/…` for http://proxy/stepstream/runs/…. */
  const at = () => {
    const url = new URL(page.url());
    assert.ok(url.pathname.startsWith(PREFIX), `${url.pathname} is under ${PREFIX}`);
    return url.pathname.slice(PREFIX.length) + url.search + url.hash;
  };
  const nothingOutside = () => assert.deepEqual(proxy.outside, [], 'no request outside the prefix');

  test('the runs list loads, lists live, links under the prefix and filters there', async () => {
    const runId = await endedRun(server.url, 'flaky');
    await page.goto(proxy.url);
    await page.locator(`tr[data-run="${runId}"]`).waitFor();
    assert.equal(await page.evaluate(() => document.baseURI), proxy.url);
    assert.equal(await page.getAttribute(`tr[data-run="${runId}"] a`, 'href'), `${PREFIX}runs/${runId}`);
    assert.equal(await page.getAttribute('.card[data-workflow=flaky] h3 a', 'href'), `${PREFIX}workflows/flaky`);
    assert.equal(await page.locator('a.brand').evaluate((a) => a.href), proxy.url);
    await page.locator('.conn[data-state=live]').waitFor();
    assert.ok(proxy.upgrades.includes('/api/v2/stream'), 'the all-runs stream came through the proxy');
    // A run started now arrives by the all-runs stream.
    const { runId: live } = await rest(server.url, '/api/v2/workflows/flaky/execute', { method: 'POST', body: { inputs: {} } });
    await page.locator(`tr[data-run="${live}"][data-status=success]`).waitFor();

    await page.selectOption('#f-workflow', 'flaky');
    await waitFor(() => at() === '?workflowId=flaky', { what: 'the filter in the address' });
    await page.selectOption('#f-status', 'success');
    await waitFor(() => at() === '?workflowId=flaky&status=success', { what: 'both filters in the address' });
    await page.locator(`tr[data-run="${runId}"]`).waitFor();
    await page.reload();
    assert.equal(await page.locator('#f-status').inputValue(), 'success', 'the filters read from the address');
    nothingOutside();
  });

  test('a workflow executed from its page is followed live, and its stream resumes through the proxy', async () => {
    await page.goto(proxy.url);
    await page.click('.card[data-workflow=hold] a.button');
    await page.waitForURL(`${proxy.url}workflows/hold#execute`);
    await page.fill('#in-tag', 'live');
    await page.click('form#execute button[type=submit]');
    await waitFor(() => UUID.test(at().replace(/^runs\//, '')), { what: 'the new run opened' });
    const runId = at().replace(/^runs\//, '');

    await page.locator('.log-row', { hasText: 'waiting live' }).waitFor();
    assert.equal(await stepStatus(page, 'hello'), 'success');
    assert.equal(await stepStatus(page, 'wait'), 'running');
    await page.locator('.conn[data-state=live]').waitFor();
    const stream = `/api/v2/workflows/runs/${runId}/stream`;
    assert.ok(proxy.upgrades.some((p) => p.startsWith(stream)), 'the run stream came through the proxy');

    const before = proxy.upgrades.length;
    await page.evaluate(() => window.__stepstream.dropConnection());
    await waitFor(() => proxy.upgrades.length > before, { what: 'a new upgrade' });
    assert.match(proxy.upgrades.at(-1), new RegExp(`^${stream}\\?.*after=\\d+`), 'resumed after the last seq');
    await page.locator('.conn[data-state=live]').waitFor();

    writeFileSync(join(tmp, 'go-live'), '');
    await page.locator('.run-status .status[data-status=success]').waitFor();
    await page.locator('.log-row', { hasText: 'bye live' }).waitFor();
    await logMatchesHistory(page, server.url, runId);
    nothingOutside();
  });

  test('links lead from the list to a run, a comparison, a run, its workflow and back, and history goes back', async () => {
    const passed = await endedRun(server.url, 'flaky', { ok: true });
    const failed = await endedRun(server.url, 'flaky', { ok: false });
    await page.goto(proxy.url);
    await page.click(`tr[data-run="${failed}"] a`);
    await page.waitForURL(`${proxy.url}runs/${failed}`);
    await page.locator('.run-status .status[data-status=failed]').waitFor();

    await page.click('.compare-success');
    await page.waitForURL(`${proxy.url}compare?a=${failed}&b=${passed}`);
    await page.locator('.cmp-step[data-step=check]').waitFor();
    await page.click('.cmp-run[data-side=b] h2 a');
    await page.waitForURL(`${proxy.url}runs/${passed}`);
    await page.locator('.run-status .status[data-status=success]').waitFor();

    await page.click('.run-title h1 a');
    await page.waitForURL(`${proxy.url}workflows/flaky`);
    await page.locator('form#execute').waitFor();
    await page.click('text=Runs of this workflow');
    await page.waitForURL(`${proxy.url}?workflowId=flaky`);
    await page.locator(`tr[data-run="${passed}"]`).waitFor();

    await page.goBack();
    await page.waitForURL(`${proxy.url}workflows/flaky`);
    await page.locator('form#execute').waitFor();
    await page.goBack();
    await page.waitForURL(`${proxy.url}runs/${passed}`);
    await page.locator('.run-status .status[data-status=success]').waitFor();
    await page.click('.crumbs a');
    await page.waitForURL(proxy.url);
    await page.locator('#runs-h').waitFor();

    await page.goto(`${proxy.url}runs/${failed}`);
    await page.locator('.run-status .status[data-status=failed]').waitFor();
    await page.click('a.brand');
    await page.waitForURL(proxy.url);
    await page.locator('#runs-h').waitFor();
    nothingOutside();
  });

  test('a deep link, reloaded, shows its page', async () => {
    const passed = await endedRun(server.url, 'flaky', { ok: true });
    const failed = await endedRun(server.url, 'flaky', { ok: false });
    for (const [path, shown] of [[`runs/${passed}`, '.run-status .status[data-status=success]'],
      ['workflows/flaky?version=1', '.def-steps li[data-step=check]'],
      [`compare?a=${failed}&b=${passed}`, '.cmp-step[data-step=check]']]) {
      const response = await page.goto(`${proxy.url}${path}`);
      assert.equal(response.status(), 200, path);
      await page.locator(shown).waitFor();
      await page.reload();
      await page.locator(shown).waitFor();
      assert.equal(at(), path);
    }
    nothingOutside();
  });

  test('an unknown path under the prefix is the not-found page, whose links lead to the runs', async () => {
    for (const [path, what] of [['nope', 'There is no page at /nope.'], ['a/b/c/', 'There is no page at /a/b/c/.'],
      [`runs/${'0b0e7a1c-7d5e-4a53-9d0e-3f1c2b4a5d6e'}`, 'There is no run 0b0e7a1c-7d5e-4a53-9d0e-3f1c2b4a5d6e']]) {
      const response = await page.goto(`${proxy.url}${path}`);
      assert.equal(response.status(), path.startsWith('runs/') ? 200 : 404, path);
      await page.locator('.not-found h1').waitFor();
      assert.match(await page.textContent('.not-found-what'), new RegExp(`^${what.replace(/[.?]/g, '\\$&')}`));
    }
    await page.click('.not-found-links a >> text=All runs');
    await page.waitForURL(`${proxy.url}#runs-h`);
    await page.locator('#runs-h').waitFor();
    nothingOutside();
  });

  test("Download saves the run's log, through the proxy", async () => {
    const runId = await endedRun(server.url, 'flaky');
    await page.goto(`${proxy.url}runs/${runId}`);
    await page.locator('.run-status .status[data-status=success]').waitFor();
    assert.equal(await page.getAttribute('.log-download', 'href'), `${PREFIX}api/v2/workflows/runs/${runId}/log`);
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('.log-download')]);
    const file = join(tmp, 'plain.log');
    await download.saveAs(file);
    assert.equal(readFileSync(file, 'utf8'), await (await fetch(`${server.url}/api/v2/workflows/runs/${runId}/log`)).text());
    assert.match(readFileSync(file, 'utf8'), / build INFO built\n/);
    nothingOutside();
  });

  test("a link to a place in the page stays on the page: Skip to content, and a log line's link", async () => {
    const runId = await endedRun(server.url, 'flaky');
    await page.goto(`${proxy.url}runs/${runId}`);
    await page.locator('.log-row', { hasText: 'built' }).waitFor();
    await page.evaluate(() => { window.__notReloaded = true; });

    await page.locator('a.skip').focus();
    await page.keyboard.press('Enter');
    await waitFor(() => at() === `runs/${runId}#main`, { what: 'the address with #main' });
    const seq = await page.locator('.log-row', { hasText: 'built' }).getAttribute('data-seq');
    const gutter = page.locator(`.log-row[data-seq="${seq}"] .log-gutter`);
    assert.equal(await gutter.getAttribute('href'), `${PREFIX}runs/${runId}#seq=${seq}`, 'a link to the line, to copy');
    await gutter.click();
    await waitFor(() => at() === `runs/${runId}#seq=${seq}`, { what: "the line's link in the address" });
    assert.equal(await page.title(), 'Run · stepstream');
    await page.locator('.run-status .status[data-status=success]').waitFor();
    assert.equal(await page.evaluate(() => window.__notReloaded), true, 'the same page');
    nothingOutside();
  });

  test('approve, cancel and retry post through the proxy; time travel reads there', async () => {
    const { runId: waiting } = await rest(server.url, '/api/v2/workflows/gate/execute', { method: 'POST', body: { inputs: {} } });
    await page.goto(`${proxy.url}runs/${waiting}`);
    const banner = page.locator('.approvals .approval[data-step="ask"]');
    await banner.locator('.approval-message', { hasText: 'Ship it?' }).waitFor();
    await banner.getByRole('button', { name: 'Approve' }).click();
    await page.locator('.run-status .status[data-status=success]').waitFor();

    const { runId: held } = await rest(server.url, '/api/v2/workflows/hold/execute', { method: 'POST', body: { inputs: { tag: 'cut' } } });
    await page.goto(`${proxy.url}runs/${held}`);
    await page.locator('.log-row', { hasText: 'waiting cut' }).waitFor();
    await page.click('button.danger');
    await page.locator('.run-status .status[data-status=cancelled]').waitFor();

    const failed = await endedRun(server.url, 'flaky', { ok: false });
    await page.goto(`${proxy.url}runs/${failed}`);
    await page.locator('.run-status .status[data-status=failed]').waitFor();
    await page.getByRole('button', { name: /^Retry from / }).click();
    await waitFor(() => /^runs\/[0-9a-f-]{36}$/.test(at()) && !at().endsWith(failed), { what: 'the retry opened' });
    const retried = at().replace(/^runs\//, '');
    await page.locator('.retry-of a').waitFor();
    assert.equal(await page.getAttribute('.retry-of a', 'href'), `${PREFIX}runs/${failed}`);
    await waitFor(async () => (await rest(server.url, `/api/v2/workflows/runs/${retried}`)).status === 'failed',
      { what: 'the retry to end' });

    await page.goto(`${proxy.url}runs/${failed}?at=2`);
    await page.locator('.timetravel[data-shown="2"]').waitFor();
    assert.equal(at(), `runs/${failed}?at=2`);
    await page.locator('#tt-seq').fill('3');
    await page.locator('#tt-seq').press('Enter');
    await page.locator('.timetravel[data-shown="3"]').waitFor();
    await waitFor(() => at() === `runs/${failed}?at=3`, { what: 'the position in the address' });
    await page.click('.tt-live');
    await page.locator('.tt-banner').waitFor({ state: 'hidden' });
    assert.equal(at(), `runs/${failed}`);
    nothingOutside();
  });
});

describe('the page under a path prefix, with a server that needs a token', () => {
  const TOKEN = `ss_${randomBytes(32).toString('base64url')}`;
  let server, proxy, browser, page, tmp;

  before(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'stepstream-prefix-tokens-'));
    const tokensFile = join(tmp, 'tokens');
    writeFileSync(tokensFile, `ada admin sha256:${createHash('sha256').update(TOKEN).digest('hex')}\n`, { mode: 0o600 });
    server = await startServer(undefined, ['--tokens-file', tokensFile]);
    await rest(server.url, '/api/v2/workflows/hold', { method: 'PUT', yaml: HOLD(tmp), token: TOKEN });
    proxy = await startProxy(server.url);
    browser = await launchBrowser();
    page = await browser.context.newPage();
    page.on('pageerror', (err) => console.error('page error:', err));
  });

  after(async () => {
    await browser?.close();
    await proxy?.close();
    await server?.stop();
    server?.cleanup();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  test('a token saved under Token reads the list, follows a run live and downloads its log, all through the proxy', async () => {
    const { runId } = await rest(server.url, '/api/v2/workflows/hold/execute',
      { method: 'POST', body: { inputs: { tag: 'token' } }, token: TOKEN });
    await page.goto(proxy.url);
    await page.locator('.token-needed').waitFor();
    await page.fill('#token-input', TOKEN);
    await page.click('#token-form button[type=submit]');
    await page.locator(`tr[data-run="${runId}"]`).waitFor();
    await page.locator('.conn[data-state=live]').waitFor();

    await page.click(`tr[data-run="${runId}"] a`);
    await page.waitForURL(`${proxy.url}runs/${runId}`);
    await page.locator('.log-row', { hasText: 'waiting token' }).waitFor();
    await page.locator('.conn[data-state=live]').waitFor();
    writeFileSync(join(tmp, 'go-token'), '');
    await page.locator('.run-status .status[data-status=success]').waitFor();
    assert.ok(proxy.upgrades.some((p) => p.startsWith(`/api/v2/workflows/runs/${runId}/stream`)), 'the run stream came through the proxy');

    const [download] = await Promise.all([page.waitForEvent('download'), page.click('.log-download')]);
    const file = join(tmp, 'token.log');
    await download.saveAs(file);
    const expected = await (await fetch(`${server.url}/api/v2/workflows/runs/${runId}/log`,
      { headers: { Authorization: `Bearer ${TOKEN}` } })).text();
    assert.match(expected, / wait INFO done token\n/);
    assert.equal(readFileSync(file, 'utf8'), expected);
    assert.deepEqual(proxy.outside, [], 'no request outside the prefix');
  });
});
