// The page against a server that needs a token (--tokens-file), in a real browser: the log's
// Download with a token saves the log as a file, and says in the page why it could not; without
// a token the page says, in its words, that the server needs one, and a page whose token is
// revoked says that the token was; a malformed token is not saved, nor used when one was saved
// before, and is never shown, and a pasted `Bearer ` is dropped; a viewer's Cancel is told, in
// the page, that it may not cancel.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { closeServerAndPage, openServerAndPage, rest, waitFor } from './harness.mjs';

const TALK = `
id: talk
steps:
  - {id: hello, type: log, message: "hello there"}
  - {id: count, type: script, run: "echo one; echo two; echo three"}
`;
const HOLD = `
id: hold
steps:
  - {id: wait, type: script, run: "echo waiting; sleep 60"}
`;

/** Tokens of three roles, and rev's, a viewer's that a test revokes. */
const TOKENS = Object.fromEntries(['admin', 'ann', 'vic', 'rev'].map((name) => [name, `ss_${randomBytes(32).toString('base64url')}`]));
const ROLES = { admin: 'admin', ann: 'operator', vic: 'viewer', rev: 'viewer' };

let server, browser, page, tmp;

/** Writes the server's tokens file (NAME ROLE sha256:HEX) with these tokens: the others are revoked. */
function writeTokens(names) {
  writeFileSync(join(tmp, 'tokens'), names.map((name) =>
    `${name} ${ROLES[name]} sha256:${createHash('sha256').update(TOKENS[name]).digest('hex')}\n`).join(''), { mode: 0o600 });
}

before(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'stepstream-tokens-'));
  writeTokens(Object.keys(TOKENS));
  ({ server, browser, page } = await openServerAndPage({ workflows: [TALK, HOLD], args: ['--tokens-file', join(tmp, 'tokens')],
    token: TOKENS.admin }));
});

after(async () => {
  await closeServerAndPage({ server, browser });
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

const ENDED = ['success', 'failed', 'cancelled', 'interrupted'];

/** Executes a workflow with the operator's token and waits for its run to end: the run's id. */
async function endedRun(workflowId) {
  const { runId } = await rest(server.url, `/api/v2/workflows/${workflowId}/execute`,
    { method: 'POST', body: { inputs: {} }, token: TOKENS.ann });
  await waitFor(async () => ENDED.includes((await rest(server.url, `/api/v2/workflows/runs/${runId}`, { token: TOKENS.ann })).status),
    { what: `run ${runId} to end` });
  return runId;
}

/** Opens a path of the page with this token saved (none for ''), as the Token form would save it. */
async function open(path, token) {
  await page.goto(`${server.url}/`);
  await page.evaluate((t) => { if (t) localStorage.setItem('stepstream.token', t); else localStorage.removeItem('stepstream.token'); }, token);
  await page.goto(`${server.url}${path}`);
}

describe('the page with a server that needs a token', () => {
  test("Download saves the run's whole log as a file, fetched with the token", async () => {
    const runId = await endedRun('talk');
    await open(`/runs/${runId}`, TOKENS.vic);
    await page.locator('.run-status .status[data-status=success]').waitFor();
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('.log-download')]);
    assert.equal(download.suggestedFilename(), `${runId}.log`);
    const file = join(tmp, 'run.log');
    await download.saveAs(file);
    const expected = await (await fetch(`${server.url}/api/v2/workflows/runs/${runId}/log`,
      { headers: { Authorization: `Bearer ${TOKENS.vic}` } })).text();
    assert.match(expected, / count INFO three\n$/);
    assert.equal(readFileSync(file, 'utf8'), expected, 'the whole log');
    assert.equal(new URL(page.url()).pathname, `/runs/${runId}`, 'the page stays on the run');
  });

  test('a Download the server refuses says why in the page, not in a dialog', async () => {
    const revStatus = async () => (await fetch(`${server.url}/api/v2/workflows`, { headers: { Authorization: `Bearer ${TOKENS.rev}` } })).status;
    const runId = await endedRun('talk');
    await open(`/runs/${runId}`, TOKENS.rev);
    await page.locator('.run-status .status[data-status=success]').waitFor();
    const dialogs = [];
    const onDialog = (dialog) => { dialogs.push(dialog.message()); dialog.dismiss(); };
    page.on('dialog', onDialog);
    try {
      writeTokens(['admin', 'ann', 'vic']);
      await waitFor(async () => (await revStatus()) === 401, { what: 'the server to refuse the revoked token' });
      await page.click('.log-download');
      await page.locator('.download-note', {
        hasText: 'Your token may not download the log: the server did not accept it (expired or revoked?). Set another under Token.',
      }).waitFor();
      assert.deepEqual(dialogs, [], 'no dialog');
    } finally {
      page.off('dialog', onDialog);
      writeTokens(Object.keys(TOKENS));
      await waitFor(async () => (await revStatus()) === 200, { what: 'the server to take rev again' });
    }
  });

  test('with no token, a page says the server needs one, in its words, and opens Token', async () => {
    const runId = await endedRun('talk');
    for (const path of ['/', `/runs/${runId}`]) {
      await open(path, '');
      await page.locator('main .token-needed').waitFor();
      assert.equal(await page.textContent('main h1'), 'Token needed');
      assert.equal(await page.textContent('main .token-needed'), 'This server needs a token: set one under Token.');
      assert.equal(await page.locator('main a[href="/"]').count(), 0, 'no link to a page that would say the same');
      assert.equal(await page.getAttribute('details.token', 'open'), '', 'the Token field is open');
    }
    // Saving a token there shows the page.
    await page.fill('#token-input', TOKENS.vic);
    await page.click('#token-form button[type=submit]');
    await page.locator('.run-status .status[data-status=success]').waitFor();
  });

  test("the run list whose token is revoked says so in the page's words", async () => {
    await open('/', TOKENS.rev);
    await page.waitForSelector('.conn[data-state=live]');
    writeTokens(['admin', 'ann', 'vic']);
    await page.locator('.conn', { hasText: 'the token expired or was revoked: set a new one under Token' }).waitFor();
    assert.equal(await page.getAttribute('.conn', 'data-state'), 'unauthorized');
  });

  test("the run list whose stream is refused at its upgrade asks the runs list why, and says so in the page's words", async () => {
    const revStatus = async () => (await fetch(`${server.url}/api/v2/workflows`, { headers: { Authorization: `Bearer ${TOKENS.rev}` } })).status;
    writeTokens(Object.keys(TOKENS)); // rev is valid again (the test before revoked it)
    await waitFor(async () => (await revStatus()) === 200, { what: 'the server to take rev again' });
    await open('/', TOKENS.rev);
    await page.waitForSelector('.conn[data-state=live]');
    // The page's timers are held while the stream is dropped: its reconnection waits until the
    // token is revoked, so that the upgrade itself is refused (a browser sees only 1006 then).
    await page.evaluate(() => {
      window.__held = [];
      window.__setTimeout = window.setTimeout;
      window.setTimeout = (fn, ms) => { window.__held.push(fn); return 0; };
      window.__stepstream.dropConnection();
    });
    await page.waitForSelector('.conn[data-state=reconnecting]');
    writeTokens(['admin', 'ann', 'vic']);
    await waitFor(async () => (await revStatus()) === 401, { what: 'the server to refuse the revoked token' });
    await page.evaluate(() => { window.setTimeout = window.__setTimeout; window.__held.forEach((fn) => fn()); });
    await page.locator('.conn', { hasText: 'the token expired or was revoked: set a new one under Token' }).waitFor();
    assert.equal(await page.getAttribute('.conn', 'data-state'), 'unauthorized');
  });

  test('Token refuses a malformed token, without showing it, and keeps the one saved', async () => {
    await open('/', TOKENS.vic);
    await page.waitForSelector('.conn[data-state=live]');
    for (const bad of ['bad token', 'abc,def', 'ss_ok"quoted']) {
      await page.click('details.token summary');
      await page.fill('#token-input', bad);
      await page.click('#token-form button[type=submit]');
      await page.locator('#token-note', { hasText: 'That is not a valid token, so it was not saved' }).waitFor();
      assert.equal(await page.evaluate(() => localStorage.getItem('stepstream.token')), TOKENS.vic, 'the token saved before is kept');
      assert.ok(!(await page.textContent('body')).includes(bad), 'the token is never shown');
      await page.click('details.token summary'); // closed again
    }
    await page.waitForSelector('.conn[data-state=live]');
    assert.equal(await page.locator('.error').count(), 0);
  });

  test('a pasted "Bearer <token>" is saved as the token', async () => {
    await open('/', '');
    await page.locator('main .token-needed').waitFor();
    await page.fill('#token-input', `Bearer ${TOKENS.vic}`);
    await page.click('#token-form button[type=submit]');
    await page.waitForSelector('.conn[data-state=live]');
    assert.equal(await page.evaluate(() => localStorage.getItem('stepstream.token')), TOKENS.vic);
    assert.equal(await page.isHidden('#token-note'), true);
  });

  test('a malformed token saved before is not used, and the page says so without showing it', async () => {
    await open('/', 'bad token');
    await page.locator('#token-note', { hasText: 'The token saved under Token is not a valid token: set one under Token.' }).waitFor();
    await page.locator('main .token-needed', { hasText: 'This server needs a token: set one under Token.' }).waitFor();
    assert.ok(!(await page.textContent('body')).includes('bad token'), 'the token is never shown');
  });

  test("a viewer's Cancel is told in the page that it may not cancel, with no dialog", async () => {
    const { runId } = await rest(server.url, '/api/v2/workflows/hold/execute', { method: 'POST', body: {}, token: TOKENS.ann });
    const dialogs = [];
    const onDialog = (dialog) => { dialogs.push(dialog.message()); dialog.dismiss(); };
    page.on('dialog', onDialog);
    try {
      await open(`/runs/${runId}`, TOKENS.vic);
      await page.locator('.timeline li[data-step=wait][data-status=running]').waitFor();
      await page.click('text=Cancel run');
      await page.locator('.cancel-note', { hasText: 'Your token may not cancel' }).waitFor();
      assert.match(await page.textContent('.cancel-note'), /cancelling needs the operator role, and yours is viewer/);
      assert.equal(await page.isHidden('text=Cancel run'), true, 'no button to press');
      assert.deepEqual(dialogs, [], 'no alert');
      assert.equal((await rest(server.url, `/api/v2/workflows/runs/${runId}`, { token: TOKENS.vic })).status, 'running');
    } finally {
      page.off('dialog', onDialog);
      await rest(server.url, `/api/v2/workflows/runs/${runId}/cancel`, { method: 'POST', token: TOKENS.ann });
    }
  });
});
