// The page against a server that needs a token (--tokens-file), in a real browser: the log's
// Download with a token saves the log as a file.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchBrowser, rest, startServer, waitFor } from './harness.mjs';

const TALK = `
id: talk
steps:
  - {id: hello, type: log, message: "hello there"}
  - {id: count, type: script, run: "echo one; echo two; echo three"}
`;

/** Tokens of three roles, in a tokens file of the server's (NAME ROLE sha256:HEX). */
const TOKENS = Object.fromEntries(['admin', 'ann', 'vic'].map((name) => [name, `ss_${randomBytes(32).toString('base64url')}`]));
const ROLES = { admin: 'admin', ann: 'operator', vic: 'viewer' };

let server, browser, page, tmp;

before(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'stepstream-tokens-'));
  const tokensFile = join(tmp, 'tokens');
  writeFileSync(tokensFile, Object.entries(TOKENS).map(([name, t]) =>
    `${name} ${ROLES[name]} sha256:${createHash('sha256').update(t).digest('hex')}\n`).join(''), { mode: 0o600 });
  server = await startServer(undefined, ['--tokens-file', tokensFile]);
  await rest(server.url, '/api/v2/workflows/talk', { method: 'PUT', yaml: TALK, token: TOKENS.admin });
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
});
