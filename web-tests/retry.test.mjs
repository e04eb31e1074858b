// Retrying a run from its page, in a real browser against the real server (with tokens): an ended
// run offers Retry (from failed, from start, from a step), and Retry opens the new run, whose page
// marks the steps it took over as reused and links back to the run it retries, which lists it; the
// control is not there while a run goes on and appears when the watched run ends; a viewer's token
// is told it may not retry.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchBrowser, rest, startServer, waitFor } from './harness.mjs';

// deploy fails until the test writes the file `fixed`.
const flaky = (dir) => `
id: flaky
steps:
  - {id: prepare, type: set, vars: {version: "7"}}
  - {id: deploy, type: script, run: "[ -f '${dir}/fixed' ]"}
  - {id: after, type: log, message: "deployed \${vars.version}"}
`;
// The same as a graph: notes runs beside deploy, and both need prepare.
const fan = (dir) => `
id: fan
steps:
  - {id: prepare, type: set, vars: {version: "7"}}
  - {id: deploy, needs: [prepare], type: script, run: "[ -f '${dir}/fixed-fan' ]"}
  - {id: notes, needs: [prepare], type: log, message: "notes for \${vars.version}"}
`;
// Runs until the test writes the file `go`, then fails: the page watches it end.
const slow = (dir) => `
id: slow
steps:
  - id: wait
    type: script
    run: 'n=0; until [ -f "${dir}/go" ]; do n=$((n+1)); [ $n -gt 300 ] && exit 3; sleep 0.05; done; exit 1'
`;

/** Tokens of the three roles, in a tokens file of the server's (NAME ROLE sha256:HEX). */
const TOKENS = Object.fromEntries(['admin', 'ann', 'vic'].map((name) => [name, `ss_${randomBytes(32).toString('base64url')}`]));
const ROLES = { admin: 'admin', ann: 'operator', vic: 'viewer' };

let server, browser, page, tmp;

before(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'stepstream-retry-'));
  const tokensFile = join(tmp, 'tokens');
  writeFileSync(tokensFile, Object.entries(TOKENS).map(([name, t]) =>
    `${name} ${ROLES[name]} sha256:${createHash('sha256').update(t).digest('hex')}\n`).join(''), { mode: 0o600 });
  server = await startServer(undefined, ['--tokens-file', tokensFile]);
  for (const [id, yaml] of [['flaky', flaky(tmp)], ['fan', fan(tmp)], ['slow', slow(tmp)]]) {
    await rest(server.url, `/api/v2/workflows/${id}`, { method: 'PUT', yaml, token: TOKENS.admin });
  }
  browser = await launchBrowser();
  page = browser.context.pages()[0] || await browser.context.newPage();
  page.on('pageerror', (err) => console.error('page error:', err));
});

after(async () => {
  await browser?.close();
  await server?.stop();
  server?.cleanup();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

const execute = async (workflowId) =>
  (await rest(server.url, `/api/v2/workflows/${workflowId}/execute`, { method: 'POST', body: { inputs: {} }, token: TOKENS.ann })).runId;
const runOf = (runId) => rest(server.url, `/api/v2/workflows/runs/${runId}`, { token: TOKENS.ann });
const short = (runId) => runId.slice(0, 8);

/** Opens a path of the page with this token saved, as the Token form would save it. */
async function open(path, token) {
  await page.goto(`${server.url}/`);
  await page.evaluate((t) => localStorage.setItem('stepstream.token', t), token);
  await page.goto(`${server.url}${path}`);
}

/** Opens a run's page and waits until the stream has shown it ended with this status. */
async function openEnded(runId, status, token = TOKENS.ann) {
  await open(`/runs/${runId}`, token);
  await page.waitForSelector(`.run-status .status[data-status=${status}]`);
}

/** Presses Retry and waits for the page of the run it made, which it returns the id of. */
async function pressRetry(oldRunId) {
  await page.getByRole('button', { name: /^Retry from / }).click();
  await page.waitForURL((url) => /^\/runs\/[^/]+$/.test(url.pathname) && !url.pathname.endsWith(oldRunId));
  const runId = decodeURIComponent(new URL(page.url()).pathname.split('/').pop());
  // The old run's page stays until the new one's detail has come.
  await page.locator('.run-id', { hasText: ` run ${short(runId)}` }).waitFor();
  return runId;
}

const step = (id) => page.locator(`.timeline li[data-step="${id}"]`);
const retryButton = () => page.getByRole('button', { name: /^Retry from / });

describe('retrying a run in the web page', () => {
  test('Retry from failed opens the new run, which reuses prepare and links back; the old run lists it', async () => {
    const oldRun = await execute('flaky');
    await openEnded(oldRun, 'failed');
    assert.equal(await retryButton().textContent(), 'Retry from failed', 'from failed, the default');
    assert.deepEqual(await page.locator('#retry-from option').evaluateAll((os) => os.map((o) => o.value)),
      ['failed', 'start', 'prepare', 'deploy', 'after']);
    assert.equal(await page.isHidden('.lineage-slot .lineage'), true, 'a first run, never retried: no links');

    writeFileSync(join(tmp, 'fixed'), '');
    const newRun = await pressRetry(oldRun);
    await page.waitForSelector('.run-status .status[data-status=success]');
    assert.equal(await step('prepare').getAttribute('data-reused'), 'true');
    assert.equal(await step('prepare').locator('.step-reused').textContent(), '↺ reused');
    assert.match(await step('prepare').locator('.sr-only').textContent(), new RegExp(`success, reused from run ${short(oldRun)}`));
    for (const id of ['deploy', 'after']) {
      assert.equal(await step(id).getAttribute('data-status'), 'success');
      assert.equal(await step(id).getAttribute('data-reused'), null, `${id} ran again`);
    }
    assert.equal(await page.textContent('tr[data-var=version] code'), '"7"', 'what prepare set is set again');
    await page.locator('.log-row .log-msg', { hasText: 'deployed 7' }).waitFor();

    assert.equal(await page.textContent('.retry-of'), `Retry of ${short(oldRun)} (from failed)`);
    await page.click('.retry-of a');
    await page.waitForURL(`${server.url}/runs/${oldRun}`);
    await page.locator('.retries', { hasText: `Retried as ${short(newRun)}` }).waitFor();
    assert.equal(await page.getAttribute('.retries a', 'href'), `/runs/${newRun}`);
    assert.deepEqual((await runOf(oldRun)).retries, [newRun]);
    rmSync(join(tmp, 'fixed'));
  });

  test('from start reuses nothing, and a graph shows by level what was reused', async () => {
    const oldRun = await execute('fan');
    await openEnded(oldRun, 'failed');
    await page.selectOption('#retry-from', 'start');
    assert.equal(await retryButton().textContent(), 'Retry from start');
    const fromStart = await pressRetry(oldRun);
    await page.waitForSelector('.run-status .status[data-status=failed]');
    assert.equal(await page.textContent('.retry-of'), `Retry of ${short(oldRun)} (from start)`);
    assert.equal(await page.locator('.timeline li[data-reused]').count(), 0, 'every step ran again');
    assert.equal(await page.locator('.level-reused').count(), 0);

    // From failed, in a graph: prepare and notes (whose one need, prepare, is reused) are taken over.
    writeFileSync(join(tmp, 'fixed-fan'), '');
    const fromFailed = await pressRetry(fromStart);
    await page.waitForSelector('.run-status .status[data-status=success]');
    assert.equal(await page.textContent('.retry-of'), `Retry of ${short(fromStart)} (from failed)`);
    assert.equal(await page.textContent('.level[data-level="0"] .level-reused'), ' · ↺ all reused');
    assert.equal(await page.textContent('.level[data-level="1"] .level-reused'), ' · ↺ 1 reused');
    assert.deepEqual(await page.locator('.timeline li[data-reused=true]').evaluateAll((ls) => ls.map((l) => l.dataset.step)),
      ['prepare', 'notes']);
    assert.deepEqual((await runOf(fromStart)).retries, [fromFailed]);
    rmSync(join(tmp, 'fixed-fan'));
  });

  test('no Retry while the run goes on; it appears when the watched run ends', async () => {
    const runId = await execute('slow');
    await open(`/runs/${runId}`, TOKENS.ann);
    await waitFor(async () => (await step('wait').getAttribute('data-status')) === 'running', { what: 'wait running' });
    assert.equal(await page.isHidden('.retry'), true, 'a run still going cannot be retried');
    assert.equal(await page.isVisible('text=Cancel run'), true);
    await page.evaluate(() => { window.sameDocument = true; });

    writeFileSync(join(tmp, 'go'), '');
    await page.waitForSelector('.run-status .status[data-status=failed]');
    await retryButton().waitFor();
    assert.equal(await page.isHidden('text=Cancel run'), true);
    assert.equal(await page.evaluate(() => window.sameDocument), true, 'the stream brought it, not a reload');
    rmSync(join(tmp, 'go'));
  });

  test("a viewer's token is told it may not retry, and the control goes", async () => {
    const oldRun = await execute('flaky');
    await openEnded(oldRun, 'failed', TOKENS.vic);
    await retryButton().click();
    await page.locator('.retry-note', { hasText: 'Your token may not retry' }).waitFor();
    assert.match(await page.textContent('.retry-note'), /retrying needs the operator role, and yours is viewer/);
    assert.equal(await retryButton().isHidden(), true, 'no button to press');
    assert.equal(await page.isHidden('#retry-from'), true);
    assert.deepEqual((await runOf(oldRun)).retries, [], 'nothing was retried');
  });
});
