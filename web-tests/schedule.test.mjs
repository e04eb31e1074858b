// A workflow's page lists its triggers: each schedule with its cron, its time zone and its next
// run time, the one the API gives as nextRunAt; a webhook by its id and type.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, rest, startServer } from './harness.mjs';

const NIGHTLY = `
id: nightly
inputs:
  env: {type: string}
triggers:
  - {id: weekdays, type: schedule, cron: "0 3 * * 1-5", timezone: Europe/Paris, inputs: {env: prod}}
  - {id: push, type: webhook, inputs: {env: "\${body.env}"}}
steps:
  - {id: a, type: log, message: "deploy \${inputs.env}"}
`;

let server, browser, page;

before(async () => {
  server = await startServer();
  await rest(server.url, '/api/v2/workflows/nightly', { method: 'PUT', yaml: NIGHTLY });
  browser = await launchBrowser();
  page = await browser.context.newPage();
});

after(async () => {
  await browser?.close();
  await server?.stop();
  server?.cleanup();
});

test('the workflow page shows each schedule with its next run time', async () => {
  const wf = await rest(server.url, '/api/v2/workflows/nightly');
  const nextRunAt = wf.triggers[0].nextRunAt;
  assert.match(nextRunAt, /^\d{4}-\d\d-\d\dT(01|02):00:00\.000Z$/); // 03:00 in Paris, UTC+1 or +2
  await page.goto(`${server.url}/workflows/nightly`);
  const schedule = page.locator('[data-trigger=weekdays]');
  await schedule.waitFor();
  assert.match(await schedule.textContent(), /weekdays · schedule · 0 3 \* \* 1-5 \(Europe\/Paris\) · next run /);
  assert.equal(await schedule.locator('time.next-run').getAttribute('datetime'), nextRunAt);
  assert.equal(await page.locator('[data-trigger=push]').textContent(), 'push · webhook');
  assert.equal(await page.locator('[data-trigger=push] .next-run').count(), 0);
});
