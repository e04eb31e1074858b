// The web page in a real browser against the real server: execute, watch live, open mid-way,
// the run list's filters (a deleted workflow's too), cancel, deep links, and a dropped connection
// resumed with no line lost and none twice; a malformed token saved is not used.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, endedRun, history, launchBrowser, rest, startServer, waitFor } from './harness.mjs';

const SLOW = `
id: slow
name: Slow and chatty
description: Logs, sets variables and takes its time, so that a page can watch it.
inputs:
  who: {type: string, default: world}
  lines: {type: number, default: 6}
steps:
  - id: hello
    type: log
    message: "hello \${inputs.who}"
  - id: count
    name: Count
    type: script
    run: "i=1; while [ $i -le \${inputs.lines} ]; do echo line $i; i=$((i+1)); sleep 0.25; done"
  - id: remember
    type: set
    vars: {greeted: "\${inputs.who}", total: "\${inputs.lines * 2}"}
  - id: again
    type: set
    vars: {greeted: "again \${inputs.who}"}
  - id: pause
    type: sleep
    duration: 500ms
  - id: bye
    type: log
    level: warn
    message: "bye \${vars.greeted}"
`;

const FOREVER = `
id: forever
steps:
  - id: wait
    type: script
    run: "echo waiting; sleep 60"
`;

const TINY = `
id: tiny
steps:
  - {id: a, type: log, message: hi}
`;

const CHATTY = `
id: chatty
steps:
  - id: talk
    type: script
    run: "i=1; while [ $i -le 150 ]; do echo chat $i; i=$((i+1)); sleep 0.02; done"
`;

let server, browser, page;
const screenshots = join(ROOT, 'target', 'screenshots');

before(async () => {
  mkdirSync(screenshots, { recursive: true });
  server = await startServer();
  for (const [id, yaml] of [['slow', SLOW], ['forever', FOREVER], ['chatty', CHATTY], ['tiny', TINY]]) {
    await rest(server.url, `/api/v2/workflows/${id}`, { method: 'PUT', yaml });
  }
  browser = await launchBrowser();
  page = browser.context.pages()[0] || await browser.context.newPage();
  page.on('pageerror', (err) => console.error('page error:', err));
  // No request may leave the server's origin.
  page.on('request', (req) => {
    const u = req.url();
    if (!u.startsWith(server.url) && !u.startsWith(server.url.replace('http', 'ws')) && !u.startsWith('data:')) {
      throw new Error(`external request: ${u}`);
    }
  });
});

after(async () => {
  await browser?.close();
  await server?.stop();
  server?.cleanup();
});

const stepStatus = (id) => page.getAttribute(`.timeline li[data-step="${id}"]`, 'data-status');
const runStatus = () => page.getAttribute('.run-status .status', 'data-status');

async function logSeqsMatchHistory(runId) {
  const expected = (await history(server.url, runId)).filter((e) => e.type === 'step_log').map((e) => e.seq);
  const shown = await page.evaluate(() => window.__stepstream.logSeqs());
  assert.deepEqual(shown, expected, 'the page shows every log line once, in order');
  return shown.length;
}

describe('the web page', () => {
  test('executes a workflow from its form and watches it run live', async () => {
    await page.goto(`${server.url}/`);
    await page.click('.card[data-workflow=slow] a.button');
    await page.waitForURL(/\/workflows\/slow/);
    assert.equal(await page.inputValue('#in-who'), 'world', 'the default is filled in');
    await page.fill('#in-who', 'browser');
    await page.click('form#execute button[type=submit]');
    await page.waitForURL(/\/runs\/[0-9a-f-]{36}$/);
    const runId = page.url().split('/').pop();

    await waitFor(async () => (await stepStatus('count')) === 'running', { what: 'count running' });
    await waitFor(async () => (await page.locator('.log-row', { hasText: 'line 2' }).count()) > 0, { what: 'live log line' });
    assert.equal(await stepStatus('hello'), 'success');
    assert.equal(await stepStatus('bye'), 'pending');
    await page.screenshot({ path: join(screenshots, 'run-live.png'), fullPage: true });

    await waitFor(async () => (await page.locator('.changes li').count()) >= 3, { what: 'variable changes' });
    const change = await page.locator('.changes li', { hasText: 'again browser' }).textContent();
    assert.match(change, /greeted "browser" → "again browser" by again/);
    await waitFor(async () => (await runStatus()) === 'success', { what: 'run success' });
    for (const id of ['hello', 'count', 'remember', 'again', 'pause', 'bye']) assert.equal(await stepStatus(id), 'success');
    assert.equal(await page.textContent('tr[data-var=total] code'), '12');
    assert.equal(await page.locator('.log-row.level-warn', { hasText: 'bye again browser' }).count(), 1);
    assert.equal(await page.isHidden('button.danger'), true, 'no Cancel for a finished run');
    await logSeqsMatchHistory(runId);
    await page.screenshot({ path: join(screenshots, 'run.png'), fullPage: true });
  });

  test('a run opened mid-way shows its history, then live events', async () => {
    const { runId } = await rest(server.url, '/api/v2/workflows/slow/execute', { method: 'POST', body: { inputs: { lines: 8 } } });
    await waitFor(async () => (await history(server.url, runId)).some((e) => e.payload?.message === 'line 3'), { what: 'line 3 stored' });
    await page.goto(`${server.url}/runs/${runId}`);
    await waitFor(async () => (await page.locator('.log-row', { hasText: 'line 3' }).count()) > 0, { what: 'history shown' });
    assert.equal(await page.locator('.log-row', { hasText: 'line 8' }).count(), 0, 'line 8 is still to come');
    await waitFor(async () => (await page.locator('.log-row', { hasText: 'line 8' }).count()) > 0, { what: 'live line 8' });
    await waitFor(async () => (await runStatus()) === 'success', { what: 'run success' });
    await logSeqsMatchHistory(runId);
  });

  test('the runs list updates live and filters', async () => {
    await page.goto(`${server.url}/`);
    await page.waitForSelector('.conn[data-state=live]');
    const { runId } = await rest(server.url, '/api/v2/workflows/slow/execute', { method: 'POST', body: { inputs: { lines: 2 } } });
    const row = `tr[data-run="${runId}"]`;
    await page.waitForSelector(row);
    await waitFor(async () => (await page.getAttribute(row, 'data-status')) === 'success', { what: 'list shows success' });
    await page.selectOption('#f-workflow', 'chatty');
    await waitFor(async () => (await page.locator(row).count()) === 0, { what: 'filtered out' });
    await page.selectOption('#f-workflow', '');
    await page.selectOption('#f-status', 'success');
    await page.waitForSelector(row);
    await page.click(`${row} a`);
    await page.waitForURL(`${server.url}/runs/${runId}`);
  });

  test('a hand-made link with a filter the server would refuse shows every run, live, and says so in its address', async () => {
    await page.goto(`${server.url}/?workflowId=Not%20An%20Id&status=sleeping&trigger=manual`);
    await page.waitForSelector('.conn[data-state=live]');
    assert.equal(new URL(page.url()).search, '?trigger=manual', 'only the filter the server takes is kept');
    assert.equal(await page.inputValue('#f-workflow'), '');
    assert.equal(await page.inputValue('#f-status'), '');
    // Not tiny: later tests count its runs.
    const { runId } = await rest(server.url, '/api/v2/workflows/slow/execute', { method: 'POST', body: { inputs: { lines: 1 } } });
    await waitFor(async () => (await page.getAttribute(`tr[data-run="${runId}"]`, 'data-status')) === 'success',
      { what: 'a new run listed and seen to end' });
  });

  test("a deleted workflow's runs keep their filter: the select names the workflow, and the address keeps it", async () => {
    await rest(server.url, '/api/v2/workflows/gone', { method: 'PUT', yaml: 'id: gone\nsteps:\n  - {id: a, type: log, message: hi}\n' });
    const { runId } = await rest(server.url, '/api/v2/workflows/gone/execute', { method: 'POST', body: {} });
    await waitFor(async () => (await rest(server.url, `/api/v2/workflows/runs/${runId}`)).status === 'success', { what: 'gone\'s run' });
    await rest(server.url, '/api/v2/workflows/gone', { method: 'DELETE' });
    await page.goto(`${server.url}/?workflowId=gone`);
    await page.waitForSelector('.conn[data-state=live]');
    await page.waitForSelector(`tr[data-run="${runId}"]`);
    assert.equal(await page.inputValue('#f-workflow'), 'gone');
    assert.equal(await page.locator('#f-workflow option:checked').textContent(), 'gone (deleted)');
    await page.selectOption('#f-status', 'success');
    assert.equal(new URL(page.url()).search, '?workflowId=gone&status=success', 'the workflow filter is kept');
    await page.waitForSelector(`tr[data-run="${runId}"]`);
    assert.equal(await page.locator('tr[data-run]').count(), 1, "only gone's run");

    // An id no workflow ever had is named so.
    await page.goto(`${server.url}/?workflowId=never-was`);
    await page.waitForSelector('.conn[data-state=live]');
    assert.equal(await page.locator('#f-workflow option:checked').textContent(), 'never-was (no such workflow)');
    assert.equal(new URL(page.url()).search, '?workflowId=never-was');
  });

  test('a malformed token saved under Token is not used: the pages show what they read, and say so', async () => {
    const runId = await endedRun(server.url, 'slow', { lines: 1 }); // not tiny: later tests count its runs
    await page.goto(`${server.url}/`);
    await page.evaluate(() => localStorage.setItem('stepstream.token', 'bad token'));
    try {
      await page.goto(`${server.url}/`);
      await page.waitForSelector('.conn[data-state=live]');
      await page.waitForSelector(`tr[data-run="${runId}"]`);
      const note = 'The token saved under Token is not a valid token: set one under Token.';
      assert.equal(await page.textContent('#token-note'), note);
      await page.click(`tr[data-run="${runId}"] a`);
      await page.waitForSelector('.run-status .status[data-status=success]');
      await page.waitForSelector('.conn[data-state=done]', { state: 'attached' }); // empty, so not visible
      assert.equal(await page.textContent('#token-note'), note);
      assert.ok(!(await page.textContent('body')).includes('bad token'), 'the token is never shown');
    } finally {
      await page.evaluate(() => localStorage.removeItem('stepstream.token'));
    }
  });

  test('a run deleted elsewhere leaves the runs list without a reload', async () => {
    await page.goto(`${server.url}/`);
    await page.waitForSelector('.conn[data-state=live]');
    const { runId } = await rest(server.url, '/api/v2/workflows/tiny/execute', { method: 'POST', body: {} });
    const row = `tr[data-run="${runId}"]`;
    await waitFor(async () => (await page.getAttribute(row, 'data-status')) === 'success', { what: 'list shows success' });
    await page.evaluate(() => { window.__notReloaded = true; });

    await rest(server.url, `/api/v2/workflows/runs/${runId}`, { method: 'DELETE' });
    await waitFor(async () => (await page.locator(row).count()) === 0, { what: 'the deleted run gone from the list' });
    assert.equal(await page.evaluate(() => window.__notReloaded), true, 'the same page, told by its stream');
  });

  test('older runs beyond the first page load on request', async () => {
    for (let i = 0; i < 105; i++) {
      await rest(server.url, '/api/v2/workflows/tiny/execute', { method: 'POST', body: {} });
    }
    await page.goto(`${server.url}/?workflowId=tiny`);
    await page.waitForSelector('.conn[data-state=live]');
    await waitFor(async () => (await page.locator('tr[data-run]').count()) === 100, { what: 'the first page of 100 runs' });
    await page.click('button.more');
    await waitFor(async () => (await page.locator('tr[data-run]').count()) === 105, { what: 'all 105 runs' });
    assert.equal(await page.isHidden('button.more'), true, 'no button once every run is shown');
  });

  test('runs deleted while the page could not reach the server leave every loaded page of the list', async () => {
    const tinyRuns = async () => (await rest(server.url, '/api/v2/workflows/runs?workflowId=tiny&limit=500')).runs;
    for (let missing = 101 - (await tinyRuns()).length; missing > 0; missing--) {
      await rest(server.url, '/api/v2/workflows/tiny/execute', { method: 'POST', body: {} }); // more than one page
    }
    const listed = await tinyRuns();
    await page.goto(`${server.url}/?workflowId=tiny`);
    await page.waitForSelector('.conn[data-state=live]');
    await waitFor(async () => (await page.locator('tr[data-run]').count()) === 100, { what: 'the first page' });
    await page.click('button.more');
    await waitFor(async () => (await page.locator('tr[data-run]').count()) === listed.length, { what: 'every run loaded' });
    await page.evaluate(() => { window.__notReloaded = true; });

    // The network fails: the stream is cut, and every attempt to reconnect fails until it is back.
    await page.evaluate(() => {
      const Real = window.WebSocket;
      window.__cut = true;
      window.WebSocket = Object.assign(function WebSocket(url, protocols) {
        return new Real(window.__cut ? 'ws://127.0.0.1:1/' : url, protocols);
      }, { CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3 });
      window.__stepstream.dropConnection();
    });
    await page.waitForSelector('.conn[data-state=reconnecting]');
    const newest = listed[0].runId;
    const oldest = listed.at(-1).runId; // on the page loaded with "Load older runs"
    for (const runId of [newest, oldest]) await rest(server.url, `/api/v2/workflows/runs/${runId}`, { method: 'DELETE' });
    await page.evaluate(() => { window.__cut = false; });

    await page.waitForSelector('.conn[data-state=live]');
    await waitFor(async () => (await page.locator('tr[data-run]').count()) === listed.length - 2,
      { what: 'both deleted runs gone from the list' });
    assert.equal(await page.locator(`tr[data-run="${newest}"], tr[data-run="${oldest}"]`).count(), 0);
    assert.equal(await page.isHidden('button.more'), true, 'every run still shown, none left to load');
    assert.equal(await page.evaluate(() => window.__notReloaded), true, 'the same page');
  });

  test('cancels a running run from the page', async () => {
    const { runId } = await rest(server.url, '/api/v2/workflows/forever/execute', { method: 'POST' });
    await page.goto(`${server.url}/runs/${runId}`);
    await waitFor(async () => (await stepStatus('wait')) === 'running', { what: 'running' });
    await page.click('button.danger');
    await waitFor(async () => (await runStatus()) === 'cancelled', { what: 'cancelled' });
    assert.equal(await stepStatus('wait'), 'cancelled');
    assert.equal((await rest(server.url, `/api/v2/workflows/runs/${runId}`)).status, 'cancelled');
  });

  test('deep links survive a reload, and the API keeps its JSON 404', async () => {
    const { runs } = await rest(server.url, '/api/v2/workflows/runs?workflowId=slow&limit=1');
    await page.goto(`${server.url}/runs/${runs[0].runId}`);
    await page.reload();
    await page.waitForSelector('.run-status .status[data-status=success]');
    await page.goto(`${server.url}/workflows/slow`);
    await page.reload();
    await page.waitForSelector('form#execute');
    const res = await fetch(`${server.url}/api/v2/nothing-here`);
    assert.equal(res.status, 404);
    assert.equal((await res.json()).error.code, 'not_found');
  });

  test('a dropped connection shows reconnecting, then resumes with no line lost or doubled', async () => {
    const { runId } = await rest(server.url, '/api/v2/workflows/chatty/execute', { method: 'POST' });
    await page.goto(`${server.url}/runs/${runId}`);
    for (let i = 0; i < 3; i++) {
      await waitFor(async () => (await page.evaluate(() => window.__stepstream.logSeqs().length)) > 20 * (i + 1), { what: 'lines' });
      await page.evaluate(() => window.__stepstream.dropConnection());
      await waitFor(() => page.evaluate(() => document.querySelector('.conn').textContent === 'reconnecting…'),
        { interval: 10, what: 'reconnecting… shown' });
      await page.waitForSelector('.conn[data-state=live]');
    }
    await waitFor(async () => (await runStatus()) === 'success', { what: 'run success' });
    assert.equal(await logSeqsMatchHistory(runId), 150);
    // Every line is reachable: search for one and find exactly it.
    await page.fill('#log-filter', 'chat 77');
    await waitFor(async () => (await page.locator('.log-row').count()) === 1, { what: 'search result' });
    assert.equal(await page.textContent('.log-row .log-msg'), 'chat 77');
  });
});
