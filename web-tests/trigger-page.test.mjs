// What started a run, in the web page, in a real browser against the real server: a run's page
// says manual, "retry of …" or "started by run …", linking to that run; the run list has a
// Trigger column and a Trigger filter, which the listing request carries (so a reload keeps it)
// and which live runs from the all-runs stream obey too.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, rest, startServer, waitFor } from './harness.mjs';

const HELLO = `
id: hello
steps:
  - {id: greet, type: log, message: hello}
`;
// A parent whose one step runs hello as a child run: the child's trigger is the parent.
const PARENT = `
id: parent
steps:
  - {id: child, type: workflow, workflow: hello}
`;
const TERMINAL = new Set(['success', 'failed', 'cancelled', 'interrupted']);

let server, browser, page;

before(async () => {
  server = await startServer();
  for (const [id, yaml] of [['hello', HELLO], ['parent', PARENT]]) {
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
});

const short = (runId) => runId.slice(0, 8);
const runOf = (runId) => rest(server.url, `/api/v2/workflows/runs/${runId}`);
const ended = (runId) => waitFor(async () => TERMINAL.has((await runOf(runId)).status), { what: `run ${short(runId)} ended` });

/** A manual run of hello, ended. */
async function manual() {
  const { runId } = await rest(server.url, '/api/v2/workflows/hello/execute', { method: 'POST', body: { inputs: {} } });
  await ended(runId);
  return runId;
}

/** A retry (from start) of an ended run, itself ended. */
async function retryOf(runId) {
  const reply = await rest(server.url, `/api/v2/workflows/runs/${runId}/retry`, { method: 'POST', body: { from: 'start' } });
  await ended(reply.runId);
  return reply.runId;
}

const row = (runId) => page.locator(`tr[data-run="${runId}"]`);
const triggerCell = (runId) => row(runId).locator('td.run-trigger');
/** Waits for the listing request of the run list that asks for this trigger. */
const listing = (trigger) => page.waitForRequest((req) => {
  const url = new URL(req.url());
  return url.pathname === '/api/v2/workflows/runs' && url.searchParams.get('trigger') === trigger;
});

describe('what started a run, in the web page', () => {
  let first, retry;

  before(async () => {
    first = await manual();
    retry = await retryOf(first);
  });

  test("a retry's page says retry of the first run and links to it; the first run's says manual", async () => {
    await page.goto(`${server.url}/runs/${retry}`);
    const fact = page.locator('.facts .run-trigger');
    await page.locator('.run-id', { hasText: ` run ${short(retry)}` }).waitFor();
    assert.equal(await fact.textContent(), `retry of ${short(first)}`);
    assert.equal(await fact.getAttribute('data-trigger'), 'retry');
    assert.equal(await fact.locator('a').getAttribute('href'), `/runs/${first}`);

    await fact.locator('a').click();
    await page.waitForURL(`${server.url}/runs/${first}`);
    await page.locator('.run-id', { hasText: ` run ${short(first)}` }).waitFor();
    assert.equal(await page.textContent('.facts .run-trigger'), 'manual');
    assert.equal(await page.locator('.facts .run-trigger a').count(), 0, 'a manual run links to no run');
  });

  test("a child run's page says which run started it, and links to it", async () => {
    const { runId: parent } = await rest(server.url, '/api/v2/workflows/parent/execute', { method: 'POST', body: { inputs: {} } });
    await ended(parent);
    const { runs } = await rest(server.url, '/api/v2/workflows/runs?trigger=workflow');
    const child = runs.find((r) => r.trigger.id === parent);
    assert.ok(child, 'the parent started a child run');

    await page.goto(`${server.url}/runs/${child.runId}`);
    await page.locator('.run-id', { hasText: ` run ${short(child.runId)}` }).waitFor();
    assert.equal(await page.textContent('.facts .run-trigger'), `started by run ${short(parent)}`);
    assert.equal(await page.getAttribute('.facts .run-trigger a', 'href'), `/runs/${parent}`);
  });

  test('the run list shows the trigger, and the Trigger filter keeps the retry, also after a reload', async () => {
    await page.goto(`${server.url}/`);
    await row(retry).waitFor();
    const heads = await page.locator('table.runs thead th').allTextContents();
    assert.deepEqual(heads, ['Run', 'Workflow', 'Status', 'Trigger', 'Created', 'Duration', 'Last step']);
    assert.equal(await triggerCell(first).textContent(), 'manual');
    assert.equal(await triggerCell(retry).textContent(), 'retry');
    assert.deepEqual(await page.locator('#f-trigger option').evaluateAll((os) => os.map((o) => o.value)),
      ['', 'manual', 'schedule', 'webhook', 'retry', 'workflow']);

    const asked = listing('retry');
    await page.selectOption('#f-trigger', 'retry');
    await asked;
    // The list is emptied and filled again from the listing: wait for both, not the first only.
    await waitFor(async () => (await row(first).count()) === 0 && (await row(retry).count()) === 1,
      { what: 'the manual run leaves the list and the retry is in it' });
    assert.equal(new URL(page.url()).searchParams.get('trigger'), 'retry');

    const askedAgain = listing('retry');
    await page.reload();
    await askedAgain;
    await row(retry).waitFor();
    assert.equal(await page.inputValue('#f-trigger'), 'retry');
    assert.equal(await row(first).count(), 0, 'after a reload, the listing itself leaves the manual run out');

    // A trigger no run had: the one row says so, across every column.
    await page.selectOption('#f-trigger', 'schedule');
    await page.locator('table.runs tbody td.muted', { hasText: 'No runs.' }).waitFor();
    assert.equal(await page.getAttribute('table.runs tbody td.muted', 'colspan'), String(heads.length));
    await page.selectOption('#f-trigger', 'retry');
    await row(retry).waitFor();
  });

  test('with the filter on retry, a live retry appears and a live manual run does not', async () => {
    await page.goto(`${server.url}/?trigger=retry`);
    await row(retry).waitFor();
    await page.waitForSelector('.conn[data-state=live]');
    await page.evaluate(() => { window.sameDocument = true; });

    const another = await manual();
    const itsRetry = await retryOf(another);
    await page.locator(`tr[data-run="${itsRetry}"][data-status=success]`).waitFor();
    assert.equal(await triggerCell(itsRetry).textContent(), 'retry');
    assert.equal(await row(another).count(), 0, 'the manual run, which came first, is not shown');
    assert.equal(await page.evaluate(() => window.sameDocument), true, 'the stream brought it, not a reload');

    await page.selectOption('#f-trigger', '');
    await row(another).waitFor();
    assert.equal(await triggerCell(another).textContent(), 'manual');
  });
});
