// The run page's facts (issue 19): the workflow's name with its id, the run's inputs (or none),
// and for a graph workflow the graph drawn: one SVG node per step, one edge per need, each node
// coloured by its step's status and leading to the step's row.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { closeServerAndPage, endedRun, openServerAndPage, rest, waitFor } from './harness.mjs';

const GRAPH = `
id: drawn
name: Drawn graph
inputs:
  who: {type: string, default: world}
  size: {type: number, default: 3}
steps:
  - {id: a, type: log, message: "hi \${inputs.who}"}
  - {id: b, needs: [a], type: log, message: b}
  - {id: c, needs: [a], type: log, message: c}
  - {id: d, needs: [b, c], type: fail, message: "d broke"}
  - {id: e, needs: [d], type: log, message: never}
  - {id: f, type: log, message: alone}
`;
// hold waits (up to 15 s) for the file go, which the test writes once the page shows it running.
const LIVE = `
id: live-graph
inputs:
  dir: {type: string, required: true}
steps:
  - {id: a, type: log, message: a}
  - id: hold
    needs: [a]
    type: script
    run: 'n=0; until [ -f "\${inputs.dir}/go" ]; do n=$((n+1)); [ $n -gt 300 ] && exit 3; sleep 0.05; done'
  - {id: z, needs: [hold], type: log, message: z}
`;
const PLAIN = `
id: plain
steps:
  - {id: one, type: log, message: one}
`;

let server, browser, page;

before(async () => { ({ server, browser, page } = await openServerAndPage({ workflows: [GRAPH, PLAIN, LIVE] })); });
after(() => closeServerAndPage({ server, browser }));


test('a run shows its workflow name and id, and its inputs', async () => {
  const runId = await endedRun(server.url, 'drawn', { who: '<b>ann</b>' });
  await page.goto(`${server.url}/runs/${runId}`);
  await page.locator('.run-inputs [data-input=who]').waitFor();
  assert.equal(await page.textContent('.run-title h1 a'), 'Drawn graph');
  assert.equal(await page.getAttribute('.run-title h1 a', 'href'), '/workflows/drawn');
  assert.equal((await page.textContent('.run-title h1 .workflow-id')).trim(), '(drawn)');
  assert.equal(await page.textContent('.run-inputs [data-input=who] dd'), '"<b>ann</b>"');
  assert.equal(await page.textContent('.run-inputs [data-input=size] dd'), '3');
  assert.equal(await page.locator('.run-inputs b').count(), 0, 'an input is shown as text');
});

test('a run given no inputs says none, and a list of steps draws no graph', async () => {
  const runId = await endedRun(server.url, 'plain');
  await page.goto(`${server.url}/runs/${runId}`);
  await page.locator('.run-status .status[data-status=success]').waitFor();
  assert.equal(await page.textContent('.run-inputs'), 'none');
  assert.equal(await page.textContent('.run-title h1 a'), 'plain');
  assert.equal(await page.locator('.run-title h1 .workflow-id').count(), 0);
  assert.equal(await page.locator('.dag').count(), 0);
});

test('a graph run draws one node per step and one edge per need, coloured by status', async () => {
  const runId = await endedRun(server.url, 'drawn');
  await page.goto(`${server.url}/runs/${runId}`);
  await page.locator('.dag-node[data-step=d][data-status=failed]').waitFor();
  const nodes = await page.locator('.dag-svg .dag-node').evaluateAll((gs) => gs.map((g) => [g.dataset.step, g.dataset.status]));
  assert.deepEqual(Object.fromEntries(nodes),
    { a: 'success', b: 'success', c: 'success', d: 'failed', e: 'skipped', f: 'success' });
  const edges = await page.locator('.dag-svg .dag-edge').evaluateAll((ps) => ps.map((p) => `${p.dataset.from}>${p.dataset.to}`));
  assert.deepEqual(edges.sort(), ['a>b', 'a>c', 'b>d', 'c>d', 'd>e']);
  // Columns by level: a and f first, d after b and c, e last.
  const x = Object.fromEntries(await page.locator('.dag-node').evaluateAll((gs) =>
    gs.map((g) => [g.dataset.step, g.getBoundingClientRect().x])));
  assert.equal(x.a, x.f);
  assert.equal(x.b, x.c);
  assert.ok(x.a < x.b && x.b < x.d && x.d < x.e, JSON.stringify(x));
  // A node leads to its step's row.
  await page.click('.dag-node[data-step=d]');
  await waitFor(() => page.evaluate(() => document.activeElement?.dataset?.step === 'd'), { what: 'the row of d focused' });
  await page.focus('.dag-node[data-step=e]');
  await page.keyboard.press('Enter');
  await waitFor(() => page.evaluate(() => document.activeElement?.dataset?.step === 'e'), { what: 'the row of e focused' });
});

test('the graph\'s nodes change colour as the events arrive', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'stepstream-facts-'));
  try {
    const { runId } = await rest(server.url, '/api/v2/workflows/live-graph/execute', { method: 'POST', body: { inputs: { dir } } });
    await page.goto(`${server.url}/runs/${runId}`);
    await page.locator('.dag-node[data-step=hold][data-status=running]').waitFor();
    assert.equal(await page.getAttribute('.dag-node[data-step=a]', 'data-status'), 'success');
    assert.equal(await page.getAttribute('.dag-node[data-step=z]', 'data-status'), 'pending');
    assert.equal(await page.getAttribute('.dag-edge[data-from=a]', 'data-status'), 'success');
    writeFileSync(join(dir, 'go'), '');
    await page.locator('.dag-node[data-step=z][data-status=success]').waitFor();
    assert.equal(await page.getAttribute('.dag-node[data-step=hold]', 'data-status'), 'success');
    assert.equal(await page.getAttribute('.dag-node[data-step=z]', 'aria-label'), 'z: success');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
