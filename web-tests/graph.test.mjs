// A workflow graph in the web page, in a real browser against the real server: its steps by
// level on the workflow page before any run; on the run page the same levels, two steps running
// at once and overlapping on the time axis, a failure and the step it skipped, outputs, and the
// link to a child run.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchBrowser, rest, startServer, waitFor } from './harness.mjs';

// b and c each wait (up to 15 s) for the file `go`, which the test writes once the page has shown
// both running: they run at once, or the run fails.
const wait = (out) => `n=0; until [ -f "\${inputs.dir}/go" ]; do n=$((n+1)); [ $n -gt 300 ] && exit 3; sleep 0.05; done${out}`;
const DIAMOND = `
id: diamond
name: Diamond with a failing branch
inputs:
  dir: {type: string, required: true}
steps:
  - {id: a, type: log, message: start}
  - id: b
    needs: [a]
    type: script
    run: '${wait('; echo "version=1.2" >> "$STEPSTREAM_OUTPUT"')}'
  - id: c
    needs: [a]
    type: script
    run: '${wait('')}'
  - {id: d, needs: [b, c], type: log, message: "shipping \${steps.b.outputs.version}"}
  - {id: e, type: fail, message: "e broke"}
  - {id: f, needs: [e], type: log, message: never}
  - {id: g, needs: [a], type: workflow, workflow: leaf}
`;
const LEAF = `
id: leaf
steps:
  - {id: x, type: log, message: "hello from the child"}
`;
const SEQUENTIAL = `
id: sequential
steps:
  - {id: one, type: log, message: one}
  - {id: two, type: log, message: two}
`;
const LEVELS = [['a', 'e'], ['b', 'c', 'f', 'g'], ['d']];

let server, browser, page, dir;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'stepstream-graph-'));
  server = await startServer();
  for (const [id, yaml] of [['leaf', LEAF], ['diamond', DIAMOND], ['sequential', SEQUENTIAL]]) {
    await rest(server.url, `/api/v2/workflows/${id}`, { method: 'PUT', yaml });
  }
  browser = await launchBrowser();
  page = browser.context.pages()[0] || await browser.context.newPage();
  page.on('pageerror', (err) => console.error('page error:', err));
});

after(async () => {
  await browser?.close();
  await server?.stop();
  server?.cleanup();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const stepStatus = (id) => page.getAttribute(`.timeline li[data-step="${id}"]`, 'data-status');
const runStatus = () => page.getAttribute('.run-status .status', 'data-status');

/** The levels as the page shows them: each level's number and its steps' ids, in order. */
const shownLevels = (levelSelector) => page.$$eval(levelSelector, (levels) => levels.map((l) =>
  ({ level: Number(l.dataset.level), steps: [...l.querySelectorAll('[data-step]')].map((s) => s.dataset.step) })));
const expectedLevels = LEVELS.map((steps, level) => ({ level, steps }));

describe('a workflow graph in the web page', () => {
  test('the workflow page shows the steps by level, with their needs, before any run', async () => {
    assert.equal((await rest(server.url, '/api/v2/workflows/runs?workflowId=diamond')).runs.length, 0);
    await page.goto(`${server.url}/workflows/diamond`);
    await page.waitForSelector('.def-levels');
    assert.deepEqual(await shownLevels('.def-levels > li'), expectedLevels);
    assert.equal(await page.textContent('.def-levels li[data-step=d] .step-needs'), 'needs: b, c');
    assert.equal(await page.textContent('.def-levels li[data-step=f] .step-needs'), 'needs: e');
    assert.equal(await page.locator('.def-levels li[data-step=a] .step-needs').count(), 0, 'a needs nothing');
    assert.equal(await page.getAttribute('.def-levels li[data-step=g] a.sub-workflow', 'href'), '/workflows/leaf');
  });

  test('the run page shows the levels, steps at once, the failure, what it skipped, outputs and the child run', async () => {
    const { runId } = await rest(server.url, '/api/v2/workflows/diamond/execute', { method: 'POST', body: { inputs: { dir } } });
    await page.goto(`${server.url}/runs/${runId}`);
    await page.waitForSelector('.timeline.graph');
    assert.deepEqual(await shownLevels('.timeline > li.level'), expectedLevels);
    assert.equal(await page.textContent('li[data-step=d] .step-needs'), 'needs: b, c');
    assert.equal(await page.textContent('li[data-step=b] .step-needs'), 'needs: a');

    // One look at the page sees both running: they run at once.
    await waitFor(() => page.evaluate(() => ['b', 'c'].every((id) =>
      document.querySelector(`.timeline li[data-step="${id}"]`).dataset.status === 'running')), { what: 'b and c running at once' });
    writeFileSync(join(dir, 'go'), '');
    await waitFor(async () => (await runStatus()) === 'failed', { what: 'the run ends failed' });

    assert.equal(await stepStatus('e'), 'failed');
    assert.equal(await page.textContent('li[data-step=e] .step-error'), 'e broke');
    assert.equal(await stepStatus('f'), 'skipped');
    assert.equal(await page.textContent('li[data-step=f] .step-error'), 'skipped: needs "e", which failed');
    for (const id of ['a', 'b', 'c', 'd', 'g']) assert.equal(await stepStatus(id), 'success', id);
    assert.match(await page.textContent('.run-error'), /step "e" failed: e broke/);

    // On the shared time axis b's and c's bars overlap, and d's starts after both end.
    const [b, c, d] = await Promise.all(['b', 'c', 'd'].map((id) => page.locator(`li[data-step=${id}] .bar`).boundingBox()));
    assert.ok(Math.min(b.x + b.width, c.x + c.width) - Math.max(b.x, c.x) > 2, `b ${JSON.stringify(b)} overlaps c ${JSON.stringify(c)}`);
    assert.ok(d.x >= Math.max(b.x + b.width, c.x + c.width) - 1, 'd starts once b and c have ended');
    assert.equal(await page.locator('li[data-step=f] .bar').evaluate((bar) => bar.getBoundingClientRect().width), 0,
      'a skipped step has no bar');

    await page.click('li[data-step=b] details.step-outputs summary');
    assert.equal(await page.textContent('li[data-step=b] [data-output=version] dd'), '"1.2"');
    assert.equal(await page.locator('.log-row', { hasText: 'shipping 1.2' }).count(), 1);

    const detail = await rest(server.url, `/api/v2/workflows/runs/${runId}`);
    const childRunId = detail.steps.find((s) => s.stepId === 'g').outputs.runId;
    assert.equal(await page.getAttribute('li[data-step=g] a.child-run', 'href'), `/runs/${childRunId}`);
    await page.click('li[data-step=g] a.child-run');
    await page.waitForURL(`${server.url}/runs/${childRunId}`);
    await page.waitForSelector('.run-status .status[data-status=success]');
    assert.equal(await page.textContent('.run-title h1 a'), 'leaf');
  });

  test('a run of a sequential workflow shows its steps in one list, as before', async () => {
    const { runId } = await rest(server.url, '/api/v2/workflows/sequential/execute', { method: 'POST' });
    await page.goto(`${server.url}/runs/${runId}`);
    await page.waitForSelector('.run-status .status[data-status=success]');
    assert.deepEqual(await page.$$eval('.timeline > li', (rows) => rows.map((r) => r.dataset.step)), ['one', 'two']);
    assert.equal(await page.locator('.timeline .level, .timeline .step-needs, .timeline .step-extras').count(), 0);
  });
});
