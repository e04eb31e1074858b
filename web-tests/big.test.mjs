// A run with 100,000 log lines: every line reachable by scrolling and by searching, and no
// main-thread task of the page's that works for 150 ms while the page takes the stream in. The
// page is loaded first and the run opened from its list, as a person would: what is measured is
// the stream, not a cold browser's first page load (fonts, module compilation).
//
// A task's work is its CPU time on the renderer's main thread, from a Chromium trace, not its
// length on the clock: here the server writes the 100,000 lines on the same two cores, and a
// task that worked 12 ms could last 137 ms while the thread waited for a core (one CI run saw a
// task of 298 ms). What the page does in one task is its own to bound; the machine's queue is not.
// The longest tasks are reported either way. Here the longest worked about 25 ms, but for one
// task in about every three runs of 70–122 ms (Chromium 156, this machine, the builds before
// and after 2026-12-06's changes alike), little of it script (a trace with the v8 categories
// showed 9 ms of a 73 ms one): the bound is 150 ms, which a page doing work in proportion to
// its lines at each batch (hundreds of ms at 100,000) still fails.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { history, launchBrowser, rest, startServer, waitFor } from './harness.mjs';

const HEAVY_MS = 150;

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
});

after(async () => {
  await browser?.close();
  await server?.stop();
  server?.cleanup();
});

test('100,000 log lines stream smoothly and every one is reachable', { timeout: 120_000 }, async (t) => {
  await page.goto(`${server.url}/`);
  const { runId } = await rest(server.url, '/api/v2/workflows/many/execute', { method: 'POST' });
  const link = page.locator(`a[href="/runs/${runId}"]`);
  await link.waitFor();
  const trace = await MainThreadTrace.start(browser.context, page);
  await link.click();
  await waitFor(() => page.evaluate(() => window.__stepstream.logSeqs().length === 100000),
    { timeout: 90_000, what: '100,000 lines on the page' });
  await page.waitForSelector('.run-status .status[data-status=success]');
  const tasks = await trace.stop();
  assert.ok(tasks.length > 100, `the trace holds the page's tasks (${tasks.length})`);
  const show = (list) => list.slice(0, 5).map((x) => `${x.cpuMs} ms of work in ${x.wallMs} ms`).join(', ');
  t.diagnostic(`most work: ${show([...tasks].sort((a, b) => b.cpuMs - a.cpuMs))}`);
  t.diagnostic(`longest: ${show([...tasks].sort((a, b) => b.wallMs - a.wallMs))}`);
  const heavy = tasks.filter((x) => x.cpuMs >= HEAVY_MS);
  assert.equal(heavy.length, 0, `main-thread tasks that worked ${HEAVY_MS} ms or more: ${show(heavy)}`);

  const expected = (await history(server.url, runId)).filter((e) => e.type === 'step_log').map((e) => e.seq);
  assert.deepEqual(await page.evaluate(() => window.__stepstream.logSeqs()), expected);

  // Following: the last line is in view.
  await page.waitForSelector('.log-row:has-text("line 100000")');
  // Scrolling: the top, and a line in the middle. The list draws the rows of a scroll on the
  // next frame: the top row is awaited (with a deadline), not read after a fixed pause.
  const topRow = () => page.$eval('.log-viewport', (v) => {
    const box = v.getBoundingClientRect();
    const row = [...v.querySelectorAll('.log-row')].find((r) => r.getBoundingClientRect().top >= box.top - 1);
    return row?.querySelector('.log-msg').textContent;
  });
  const scrollTo = async (top, line) => {
    await page.$eval('.log-viewport', (v, t) => { v.scrollTop = t; }, top);
    await waitFor(async () => (await topRow()) === line, { timeout: 5_000, what: `${line} at the top after scrolling to ${top}` })
      .catch(async () => assert.equal(await topRow(), line));
  };
  await scrollTo(0, 'line 1');
  // Row 0 is the step's group header: row 50,000 is line 50,000.
  await scrollTo(50_000 * 22, 'line 50000');
  // Searching.
  await page.fill('#log-filter', 'line 73519');
  await waitFor(async () => (await page.locator('.log-row').count()) === 1, { what: 'one search hit' });
  assert.equal(await page.textContent('.log-row .log-msg'), 'line 73519');
  await page.fill('#log-filter', '');
});

/**
 * The renderer main thread's tasks, from a Chromium trace (DevTools protocol, category
 * `toplevel`): for each, its CPU time (`tdur`) and its length on the clock (`dur`), in ms.
 */
class MainThreadTrace {
  static async start(context, page) {
    const cdp = await context.newCDPSession(page);
    const trace = new MainThreadTrace(cdp);
    await cdp.send('Tracing.start', {
      traceConfig: { includedCategories: ['toplevel'] }, transferMode: 'ReportEvents',
    });
    return trace;
  }

  constructor(cdp) {
    this.cdp = cdp;
    this.events = [];
    cdp.on('Tracing.dataCollected', ({ value }) => { for (const e of value) this.events.push(e); });
    this.complete = new Promise((resolve) => cdp.once('Tracing.tracingComplete', resolve));
  }

  async stop() {
    await this.cdp.send('Tracing.end');
    await this.complete;
    await this.cdp.detach();
    const main = new Set(this.events
      .filter((e) => e.ph === 'M' && e.name === 'thread_name' && e.args?.name === 'CrRendererMain')
      .map((e) => `${e.pid}:${e.tid}`));
    return this.events
      .filter((e) => e.ph === 'X' && e.name === 'ThreadControllerImpl::RunTask' && main.has(`${e.pid}:${e.tid}`))
      .map((e) => ({ cpuMs: Math.round((e.tdur ?? e.dur) / 1000), wallMs: Math.round(e.dur / 1000) }));
  }
}
