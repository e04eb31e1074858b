// A run's page names the workflow version it ran, linked to that version's page, and, once the
// workflow has changed, shows a line diff of what changed since (text only: a definition's HTML
// stays text). The version's page is read only and lists the versions; a deleted workflow's
// version stays readable for its runs; a version that does not exist says so and leads to one that does.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { closeServerAndPage, endedRun, openServerAndPage, rest, waitFor } from './harness.mjs';

const saying = (message) => `
id: versioned
steps:
  - {id: greet, type: log, message: "${message}"}
  - {id: bye, type: log, message: "bye"}
`;

let server, browser, page;

before(async () => { ({ server, browser, page } = await openServerAndPage()); });
after(() => closeServerAndPage({ server, browser }));


test('a run of the current version links it and shows no changes', async () => {
  await rest(server.url, '/api/v2/workflows/versioned', { method: 'PUT', yaml: saying('hello') });
  const runId = await endedRun(server.url, 'versioned');
  await page.goto(`${server.url}/runs/${runId}`);
  const link = page.locator('.run-version a');
  await link.waitFor();
  assert.equal(await link.textContent(), 'v1');
  assert.equal(await link.getAttribute('href'), '/workflows/versioned?version=1');
  // The changes are read after the header is shown: give them the time to (not) appear.
  await page.waitForLoadState('networkidle');
  assert.equal(await page.locator('.version-changes').count(), 0);
});

test('a run of an older version shows the line diff against the current one, as text', async () => {
  const runId = (await rest(server.url, '/api/v2/workflows/runs?workflowId=versioned')).runs[0].runId;
  await rest(server.url, '/api/v2/workflows/versioned', { method: 'PUT', yaml: saying('<b>hi</b> there') });
  await page.goto(`${server.url}/runs/${runId}`);
  const changes = page.locator('details.version-changes');
  await changes.waitFor();
  assert.equal(await page.locator('.run-version a').textContent(), 'v1');
  assert.equal(await changes.locator('summary').textContent(), 'Changes since v1 (now v2)');
  await changes.locator('summary').click();
  const removed = await changes.locator('.diff-del').allTextContents();
  const added = await changes.locator('.diff-add').allTextContents();
  assert.deepEqual(removed.map((l) => l.replace(/^([-+ ]) +/, '$1 ')), ['- "message": "hello"']);
  assert.deepEqual(added.map((l) => l.replace(/^([-+ ]) +/, '$1 ')), ['+ "message": "<b>hi</b> there"']);
  assert.equal(await changes.locator('b').count(), 0, 'the definition is shown as text, never as HTML');
  assert.ok((await changes.locator('.diff-same').allTextContents()).some((l) => l.includes('"message": "bye"')));

  await page.locator('.run-version a').click();
  await page.waitForURL(`${server.url}/workflows/versioned?version=1`);
  const note = page.locator('.version-note');
  await note.waitFor();
  assert.match(await note.textContent(), /This is version 1, kept for the runs that used it; the current one is v2\./);
  assert.equal(await page.locator('form#execute').count(), 0, 'an old version is not executed');
  assert.deepEqual(await page.locator('.def-versions li').evaluateAll((items) => items.map((li) => li.dataset.version)), ['2', '1']);
  assert.equal(await page.locator('.def-versions [aria-current=page]').textContent(), 'v1');
});

test('a version a workflow does not have is named, with a link to the current version', async () => {
  await page.goto(`${server.url}/workflows/versioned?version=99`);
  await page.locator('.not-found h1').waitFor();
  assert.equal(await page.textContent('.not-found-what'), 'versioned has no version 99.');
  const current = page.locator('.not-found-links a', { hasText: 'the current version, v2' });
  assert.equal(await current.getAttribute('href'), '/workflows/versioned');
  await page.goto(`${server.url}/workflows/versioned?version=first`);
  await page.locator('.not-found-what', { hasText: 'versioned has no version first.' }).waitFor();
  await current.click();
  await page.waitForURL(`${server.url}/workflows/versioned`);
  await page.locator('form#execute').waitFor();

  // A workflow that never was is named as such, whatever version is asked.
  await page.goto(`${server.url}/workflows/never-was?version=1`);
  await page.locator('.not-found-what', { hasText: /There is no workflow “never-was”/ }).waitFor();
});

test('a deleted workflow\'s run still links its version, which stays readable', async () => {
  const runId = (await rest(server.url, '/api/v2/workflows/runs?workflowId=versioned')).runs[0].runId;
  await rest(server.url, '/api/v2/workflows/versioned', { method: 'DELETE' });
  await page.goto(`${server.url}/runs/${runId}`);
  await page.locator('.version-note').waitFor();
  assert.equal(await page.locator('.version-note').textContent(), 'This workflow has been deleted since.');
  await page.locator('.run-version a').click();
  await page.waitForURL(`${server.url}/workflows/versioned?version=1`);
  // The page swaps in place after the address changes: wait for the workflow page's note, not the
  // run page's that may still be there.
  const note = page.locator('.version-note', { hasText: /the workflow has been deleted since\./ });
  await note.waitFor();
  assert.match(await note.textContent(), /version 1/);
  assert.match(await page.locator('[data-step=greet]').textContent(), /greet/);

  // A version it never had: no current one to link, its last kept version instead.
  await page.goto(`${server.url}/workflows/versioned?version=99`);
  await page.locator('.not-found-what', { hasText: 'versioned has no version 99.' }).waitFor();
  assert.equal(await page.getAttribute('.not-found-links a >> text=/^its last version, v2/', 'href'), '/workflows/versioned?version=2');
});
