// Runs that wait for a decision, in a real browser against the real server (with tokens): the run
// page's banner names the waiting step and its message, Approve and Reject post the decision and the
// run goes on as the stream says; the decision shows on the step; the run list shows the run
// waiting; a graph runs while a step runs beside the waiting one; a viewer's token sees the banner
// but is told it may not decide.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchBrowser, rest, startServer, waitFor } from './harness.mjs';

const DEPLOY = `
id: deploy
steps:
  - {id: build, type: set, vars: {artifact: "app-1.2"}}
  - {id: gate, type: approval, message: "Ship \${vars.artifact}?"}
  - {id: ship, type: log, message: shipped}
`;
// After the gate, a step that runs until the test writes the file \`go\`: the run is seen running
// again between its decision and its end.
const untilGo = `n=0; until [ -f "\${inputs.dir}/go" ]; do n=$((n+1)); [ $n -gt 300 ] && exit 3; sleep 0.05; done`;
const SOAK = `
id: soak
inputs:
  dir: {type: string, required: true}
steps:
  - {id: gate, type: approval, message: "Roll out?"}
  - {id: rollout, type: script, run: '${untilGo}'}
`;
// A graph: work runs beside the waiting gate, so the run runs until work ends, then waits.
const GRAPH = `
id: graph
inputs:
  dir: {type: string, required: true}
steps:
  - {id: gate, type: approval, message: "Go on?"}
  - {id: work, type: script, run: '${untilGo}'}
  - {id: after, needs: [gate, work], type: log, message: after}
`;

/** Tokens of the three roles, in a tokens file of the server's (NAME ROLE sha256:HEX). */
const TOKENS = Object.fromEntries(['admin', 'ann', 'vic'].map((name) => [name, `ss_${randomBytes(32).toString('base64url')}`]));
const ROLES = { admin: 'admin', ann: 'operator', vic: 'viewer' };

let server, browser, page, tmp;

before(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'stepstream-approval-'));
  const tokensFile = join(tmp, 'tokens');
  writeFileSync(tokensFile, Object.entries(TOKENS).map(([name, t]) =>
    `${name} ${ROLES[name]} sha256:${createHash('sha256').update(t).digest('hex')}\n`).join(''), { mode: 0o600 });
  server = await startServer(undefined, ['--tokens-file', tokensFile]);
  for (const [id, yaml] of [['deploy', DEPLOY], ['soak', SOAK], ['graph', GRAPH]]) {
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

const execute = async (workflowId, inputs = {}) =>
  (await rest(server.url, `/api/v2/workflows/${workflowId}/execute`, { method: 'POST', body: { inputs }, token: TOKENS.ann })).runId;
const runOf = (runId) => rest(server.url, `/api/v2/workflows/runs/${runId}`, { token: TOKENS.ann });

/** Opens a path of the page with this token saved, as the Token form would save it. */
async function open(p, path, token) {
  await p.goto(`${server.url}/`);
  await p.evaluate((t) => localStorage.setItem('stepstream.token', t), token);
  await p.goto(`${server.url}${path}`);
}

const stepStatus = (id) => page.getAttribute(`.timeline li[data-step="${id}"]`, 'data-status');
const runStatus = () => page.getAttribute('.run-status .status', 'data-status');
const banner = (stepId) => page.locator(`.approvals .approval[data-step="${stepId}"]`);

describe('a run waiting for a decision in the web page', () => {
  test('the banner asks; Approve with a comment, and the run goes on to success with the decision shown', async () => {
    const runId = await execute('deploy');
    await open(page, `/runs/${runId}`, TOKENS.ann);
    await banner('gate').locator('.approval-message', { hasText: 'Ship app-1.2?' }).waitFor();
    assert.equal(await runStatus(), 'waiting');
    assert.equal(await stepStatus('gate'), 'waiting');
    assert.equal(await stepStatus('ship'), 'pending');
    assert.equal(await page.textContent('li[data-step=gate] .step-question'), 'Ship app-1.2?');

    await banner('gate').locator('textarea').fill('looks good');
    await banner('gate').getByRole('button', { name: 'Approve' }).click();
    await page.waitForSelector('.run-status .status[data-status=success]');
    assert.equal(await page.isHidden('.approvals'), true, 'the banner goes once the stream brings the decision');
    assert.equal(await stepStatus('gate'), 'success');
    assert.equal(await stepStatus('ship'), 'success');
    // The page shows the decision as the server recorded it. (The server records "anonymous" for
    // a request authenticated by token: HttpApi.decide reads ctx.user(), which the Guard never sets.)
    const { by, ...decision } = (await runOf(runId)).steps.find((s) => s.stepId === 'gate').outputs;
    assert.deepEqual(decision, { approved: true, comment: 'looks good' });
    assert.equal(await page.textContent('li[data-step=gate] .step-decision'), `approved by ${by}: “looks good”`);
  });

  test('Reject, and the run fails', async () => {
    const runId = await execute('deploy');
    await open(page, `/runs/${runId}`, TOKENS.ann);
    await banner('gate').getByRole('button', { name: 'Reject' }).click();
    await page.waitForSelector('.run-status .status[data-status=failed]');
    assert.equal(await page.isHidden('.approvals'), true);
    assert.equal(await stepStatus('gate'), 'failed');
    const { by } = (await runOf(runId)).steps.find((s) => s.stepId === 'gate').outputs;
    assert.equal(await page.textContent('li[data-step=gate] .step-decision'), `rejected by ${by}`);
    assert.equal(await page.getAttribute('li[data-step=gate] .step-decision', 'data-approved'), 'false');
    assert.match(await page.textContent('.run-error'), new RegExp(`rejected by ${by}`));
  });

  test('the run list shows a run waiting while it waits, running once it goes on, then its end', async () => {
    await open(page, '/', TOKENS.ann);
    await page.waitForSelector('.conn[data-state=live]');
    const runId = await execute('soak', { dir: tmp });
    const row = `tr[data-run="${runId}"]`;
    await page.waitForSelector(`${row}[data-status=waiting]`);
    assert.equal(await page.textContent(`${row} .status`), '‖ waiting');
    assert.equal(await page.textContent(`${row} td:last-child`), 'gate: waiting');

    await rest(server.url, `/api/v2/workflows/runs/${runId}/steps/gate/approve`, { method: 'POST', token: TOKENS.ann });
    await page.waitForSelector(`${row}[data-status=running]`);
    writeFileSync(join(tmp, 'go'), '');
    await page.waitForSelector(`${row}[data-status=success]`);
    rmSync(join(tmp, 'go'));

    // A run listed from REST while it waits shows waiting too, and the status filter finds it.
    const waiting = await execute('deploy');
    await open(page, '/?status=waiting', TOKENS.ann);
    await page.waitForSelector(`tr[data-run="${waiting}"][data-status=waiting]`);
    assert.equal(await page.inputValue('#f-status'), 'waiting');
    await rest(server.url, `/api/v2/workflows/runs/${waiting}/steps/gate/reject`, { method: 'POST', token: TOKENS.ann });
    await waitFor(async () => (await page.locator(`tr[data-run="${waiting}"]`).count()) === 0, { what: 'the ended run leaves the waiting list' });
  });

  test('a graph runs while a step runs beside the waiting one, and waits once that one ends', async () => {
    const home = await browser.context.newPage();
    try {
      await open(home, '/', TOKENS.ann);
      await home.waitForSelector('.conn[data-state=live]');
      const runId = await execute('graph', { dir: tmp });
      await open(page, `/runs/${runId}`, TOKENS.ann);
      await banner('gate').locator('.approval-message', { hasText: 'Go on?' }).waitFor();
      await waitFor(async () => (await stepStatus('work')) === 'running', { what: 'work running' });
      assert.equal(await runStatus(), 'running', 'a step runs: the run runs');
      assert.equal(await page.textContent('.level[data-level="0"] .level-waiting'), ' · 1 waiting');
      await home.waitForSelector(`tr[data-run="${runId}"][data-status=running]`);
      assert.equal(await home.textContent(`tr[data-run="${runId}"] td:last-child`), 'gate: waiting');

      writeFileSync(join(tmp, 'go'), '');
      await page.waitForSelector('.run-status .status[data-status=waiting]');
      assert.equal(await stepStatus('work'), 'success');
      await home.waitForSelector(`tr[data-run="${runId}"][data-status=waiting]`);

      await banner('gate').locator('textarea').fill('no');
      await banner('gate').getByRole('button', { name: 'Reject' }).click();
      await page.waitForSelector('.run-status .status[data-status=failed]');
      assert.equal(await stepStatus('after'), 'skipped');
      await home.waitForSelector(`tr[data-run="${runId}"][data-status=failed]`);
    } finally {
      await home.close();
      rmSync(join(tmp, 'go'), { force: true });
    }
  });

  test("a viewer's token sees the banner, and the page says it may not decide", async () => {
    const runId = await execute('deploy');
    await open(page, `/runs/${runId}`, TOKENS.vic);
    await banner('gate').locator('.approval-message', { hasText: 'Ship app-1.2?' }).waitFor();
    await banner('gate').getByRole('button', { name: 'Approve' }).click();
    await page.locator('.approval-refused', { hasText: 'Your token may not decide' }).waitFor();
    assert.match(await page.textContent('.approval-refused'), /needs the operator role, and yours is viewer/);
    assert.equal(await banner('gate').getByRole('button', { name: 'Approve' }).isHidden(), true, 'no button to press');
    assert.equal((await runOf(runId)).status, 'waiting', 'nothing was decided');
    await rest(server.url, `/api/v2/workflows/runs/${runId}/steps/gate/reject`, { method: 'POST', token: TOKENS.ann });
    await page.waitForSelector('.run-status .status[data-status=failed]');
  });
});
