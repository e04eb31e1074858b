// A run with 100,000 log lines: every line reachable by scrolling and by searching, and no
// main-thread task over 200 ms while the page takes the stream in.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { history, launchBrowser, rest, startServer, waitFor } from './harness.mjs';

const MANY = `
id: many
steps:
  - id: flood
    type: script
    run: "seq 1 100000 | sed 's/^/line /'"
`;

let server, browser, page;

before(async () => {
  server = await startServer();
  await rest(server.url, '/api/v2/workflows/many', { method: 'PUT', yaml: MANY });
  browser = await launchBrowser();
  page = browser.context.pages()[0] || await browser.context.newPage();
  await page.addInitScript(() => {
    window.__longTasks = [];
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) window.__longTasks.push(Math.round(e.duration));
    }).observe({ type: 'longtask', buffered: true });
  });
});

after(async () => {
  await browser?.close();
  await server?.stop();
  server?.cleanup();
});

test('100,000 log lines stream smoothly and every one is reachable', { timeout: 120_000 }, async (t) => {
  await page.goto(`${server.url}/`);
  const { runId } = await rest(server.url, '/api/v2/workflows/many/execute', { method: 'POST' });
  await page.goto(`${server.url}/runs/${runId}`);
  await waitFor(() => page.evaluate(() => window.__stepstream.logSeqs().length === 100000),
    { timeout: 90_000, what: '100,000 lines on the page' });
  await page.waitForSelector('.run-status .status[data-status=success]');
  const longTasks = await page.evaluate(() => window.__longTasks);
  t.diagnostic(`long tasks (ms): ${longTasks.join(', ') || 'none'}`);
  assert.ok(longTasks.every((d) => d < 200), `main-thread tasks over 200 ms: ${longTasks.filter((d) => d >= 200)}`);

  const expected = (await history(server.url, runId)).filter((e) => e.type === 'step_log').map((e) => e.seq);
  assert.deepEqual(await page.evaluate(() => window.__stepstream.logSeqs()), expected);

  // Following: the last line is in view.
  await page.waitForSelector('.log-row:has-text("line 100000")');
  // Scrolling: the top, and a line in the middle.
  const rowAt = async (top) => {
    await page.$eval('.log-viewport', (v, t) => { v.scrollTop = t; }, top);
    await page.waitForTimeout(50);
    return page.$eval('.log-viewport', (v) => {
      const box = v.getBoundingClientRect();
      const row = [...v.querySelectorAll('.log-row')].find((r) => r.getBoundingClientRect().top >= box.top - 1);
      return row.querySelector('.log-msg').textContent;
    });
  };
  assert.equal(await rowAt(0), 'line 1');
  assert.equal(await rowAt(50_000 * 22), 'line 50001');
  // Searching.
  await page.fill('#log-search', 'line 73519');
  await waitFor(async () => (await page.locator('.log-row').count()) === 1, { what: 'one search hit' });
  assert.equal(await page.textContent('.log-row .log-msg'), 'line 73519');
  await page.fill('#log-search', '');
});
