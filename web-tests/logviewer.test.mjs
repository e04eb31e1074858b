// The run page's log viewer (loglist.mjs): a run of 1,000,000 lines (first line soon, scrolling,
// the server's search over the whole history, a deep link, the download), a deep link to a line
// of a live run that has not been printed yet, and the view's options: a message of several
// lines shown whole, wrap, times, one group per step attempt that collapses.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchBrowser, rest, startServer, waitFor } from './harness.mjs';

const LINES = 1_000_000;
const MILLION = `
id: million
steps:
  - id: flood
    type: script
    run: "seq 1 999000 | sed 's/^/line /'; echo 'the NEEDLE in it'; seq 999001 ${LINES} | sed 's/^/line /'"
`;
const TICKS = `
id: ticks
steps:
  - id: tick
    type: script
    run: "for i in $(seq 1 40); do echo tick $i; sleep 0.05; done"
`;

let server, browser, page;

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
  page = browser.context.pages()[0] || await browser.context.newPage();
});

after(async () => {
  await browser?.close();
  await server?.stop();
  server?.cleanup();
});

/** The drawn rows in view: seq and message text. */
const rowsInView = () => page.$eval('.log-viewport', (v) => {
  const box = v.getBoundingClientRect();
  return [...v.querySelectorAll('.log-row')].filter((r) => {
    const b = r.getBoundingClientRect();
    return b.bottom > box.top && b.top < box.bottom;
  }).map((r) => ({ seq: Number(r.dataset.seq), text: r.querySelector('.log-msg').textContent,
    target: r.classList.contains('log-target'), current: r.classList.contains('log-current') }));
});

describe('a run of 1,000,000 lines', () => {
  let runId;
  // Lines are seqs 3…1,000,003 (run_start and step_start come first); the needle is seq 999,003.
  const seqOfLine = (n) => (n <= 999_000 ? n + 2 : n + 3);

  before(async () => {
    await rest(server.url, '/api/v2/workflows/million', { method: 'PUT', yaml: MILLION });
    ({ runId } = await rest(server.url, '/api/v2/workflows/million/execute', { method: 'POST' }));
    await waitFor(async () => (await rest(server.url, `/api/v2/workflows/runs/${runId}`)).status === 'success',
      { timeout: 120_000, what: 'the run of 1,000,000 lines to end' });
  });

  test('the first lines show at once, a search finds a line past those loaded, and scrolling reaches any line',
    { timeout: 240_000 }, async (t) => {
      const opened = Date.now();
      await page.goto(`${server.url}/runs/${runId}`);
      await page.locator('.log-row').first().waitFor();
      t.diagnostic(`first row drawn ${Date.now() - opened} ms after page.goto`);

      // Searched at once: the server finds it although the page has not got that far.
      await page.fill('#log-find', 'needle');
      await page.press('#log-find', 'Enter');
      await waitFor(async () => (await page.textContent('.log-find-count')) === '1 of 1', { what: 'one match found' });
      await waitFor(async () => (await rowsInView()).some((r) => r.current && r.text === 'the NEEDLE in it'),
        { timeout: 180_000, what: 'the match shown once its line has arrived' });
      const match = await page.$eval('.log-row.log-current mark', (m) => m.textContent);
      assert.equal(match, 'NEEDLE');

      await waitFor(() => page.evaluate(() => window.__stepstream.logCount() === 1_000_001),
        { timeout: 180_000, what: 'every line on the page' });
      // Scrolling: the middle and the end, each row the line its seq says.
      for (const fraction of [0.5, 1]) {
        await page.$eval('.log-viewport', (v, f) => { v.scrollTop = (v.scrollHeight - v.clientHeight) * f; }, fraction);
        await waitFor(async () => {
          const rows = await rowsInView();
          return rows.length > 5 && rows.every((r) => r.text === 'the NEEDLE in it' || seqOfLine(Number(r.text.slice(5))) === r.seq);
        }, { what: `the rows at ${fraction * 100} % are the lines their seqs say` });
      }
      assert.ok((await rowsInView()).some((r) => r.text === `line ${LINES}`), 'the last line is at the bottom');
    });

  test('a link to a line opens the page on it, highlighted', { timeout: 240_000 }, async () => {
    const seq = seqOfLine(500_000);
    await page.goto(`${server.url}/runs/${runId}#seq=${seq}`);
    await waitFor(async () => (await rowsInView()).some((r) => r.seq === seq && r.target && r.text === 'line 500000'),
      { timeout: 180_000, what: 'the linked line in view and highlighted' });
    // A click on a line's number links to it.
    await page.click(`.log-row[data-seq="${seq + 1}"] .log-gutter`);
    assert.equal(new URL(page.url()).hash, `#seq=${seq + 1}`);
    await waitFor(async () => (await rowsInView()).some((r) => r.seq === seq + 1 && r.target), { what: 'the clicked line highlighted' });
  });

  test('the download is the whole log', { timeout: 120_000 }, async () => {
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('.log-download')]);
    const dir = mkdtempSync(join(tmpdir(), 'stepstream-log-'));
    let lines;
    try {
      const file = join(dir, 'run.log');
      await download.saveAs(file);
      lines = readFileSync(file, 'utf8').split('\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    assert.equal(lines.pop(), '', 'ends with a line feed');
    assert.equal(lines.length, 1_000_001);
    assert.match(lines[0], / flood INFO line 1$/);
    assert.match(lines[999_000], / flood INFO the NEEDLE in it$/);
    assert.match(lines.at(-1), / flood INFO line 1000000$/);
  });
});

test('a link to a line of a live run that is not printed yet shows it when it comes', { timeout: 60_000 }, async () => {
  await rest(server.url, '/api/v2/workflows/ticks', { method: 'PUT', yaml: TICKS });
  const { runId } = await rest(server.url, '/api/v2/workflows/ticks/execute', { method: 'POST' });
  // tick 30 is seq 32: run_start and step_start come first.
  await page.goto(`${server.url}/runs/${runId}#seq=32`);
  await page.waitForSelector('.log-viewport');
  const early = await rowsInView();
  assert.ok(!early.some((r) => r.seq === 32), 'not there yet when the page opened');
  await waitFor(async () => (await rowsInView()).some((r) => r.seq === 32 && r.target && r.text === 'tick 30'),
    { what: 'tick 30 shown and highlighted as it arrives' });
  await page.waitForSelector('.run-status .status[data-status=success]');
  assert.ok((await rowsInView()).some((r) => r.seq === 32), 'the page stays on the linked line, not following the end');
});

describe('the options of the view', () => {
  let runId;
  const markerDir = mkdtempSync(join(tmpdir(), 'stepstream-once-'));
  const marker = join(markerDir, 'tried');
  after(() => rmSync(markerDir, { recursive: true, force: true }));
  before(async () => {
    await rest(server.url, '/api/v2/workflows/options', { method: 'PUT', yaml: `
id: options
steps:
  - {id: several, type: log, message: "first line\\nsecond line\\nthird line"}
  - {id: long, type: log, message: "${'long '.repeat(80)}end"}
  - id: flaky
    type: script
    retry: {attempts: 2, delay: 10ms}
    run: "if [ -e ${marker} ]; then echo second try; else touch ${marker}; echo first try; exit 1; fi"
` });
    ({ runId } = await rest(server.url, '/api/v2/workflows/options/execute', { method: 'POST' }));
    await waitFor(async () => (await rest(server.url, `/api/v2/workflows/runs/${runId}`)).status === 'success', { what: 'the run to end' });
    await page.goto(`${server.url}/runs/${runId}`);
    await page.locator('.log-row', { hasText: 'second try' }).waitFor();
  });

  const heightOf = (text) => page.$eval('.log-viewport', (v, t) =>
    [...v.querySelectorAll('.log-row')].find((r) => r.querySelector('.log-msg').textContent.includes(t)).getBoundingClientRect().height, text);

  test('a message of several lines is shown whole, as high as its lines', async () => {
    const text = await page.$$eval('.log-row .log-msg', (msgs) => msgs.map((m) => m.textContent).find((t) => t.startsWith('first line')));
    assert.equal(text, 'first line\nsecond line\nthird line');
    assert.equal(await heightOf('first line'), 66);
  });

  test('wrap shows a long line on several rows, and turns off again', async () => {
    if ((await page.getAttribute('#log-wrap', 'aria-pressed')) === 'true') await page.click('#log-wrap');
    assert.equal(await heightOf('long long'), 22);
    await page.click('#log-wrap');
    await waitFor(async () => (await heightOf('long long')) > 22, { what: 'the long line wrapped' });
    // Every row as high as its text: the message fits the row the list made for it.
    const fits = await page.$$eval('.log-row .log-msg', (msgs) => msgs.every((m) => m.scrollHeight <= m.closest('.log-row').clientHeight + 1));
    assert.ok(fits, 'no wrapped message overflows its row');
    await page.click('#log-wrap');
    await waitFor(async () => (await heightOf('long long')) === 22, { what: 'the long line on one row again' });
  });

  test('times hide and show', async () => {
    const visibleTimes = () => page.$$eval('.log-row time', (ts) => ts.filter((t) => t.offsetParent !== null).length);
    if ((await page.getAttribute('#log-times', 'aria-pressed')) !== 'true') await page.click('#log-times');
    await waitFor(async () => (await visibleTimes()) > 0, { what: 'times shown at first' });
    await page.click('#log-times');
    await waitFor(async () => (await visibleTimes()) === 0, { what: 'times hidden' });
    await page.click('#log-times');
    await waitFor(async () => (await visibleTimes()) > 0, { what: 'times shown' });
  });

  test('each step attempt is a group that collapses', async () => {
    const groups = await page.$$eval('.log-group', (gs) => gs.map((g) => g.textContent));
    assert.deepEqual(groups.map((g) => g.replace(/\s+\d+ lines?$/, '').trim()),
      ['▾ several', '▾ long', '▾ flaky', '▾ flaky · attempt 2']);
    await page.click('.log-group[data-step="flaky"][data-attempt="1"] .log-toggle');
    await waitFor(async () => (await page.locator('.log-row', { hasText: 'first try' }).count()) === 0, { what: 'attempt 1 collapsed' });
    assert.equal(await page.locator('.log-row', { hasText: 'second try' }).count(), 1, 'attempt 2 still open');
    assert.equal(await page.getAttribute('.log-group[data-step="flaky"][data-attempt="1"] .log-toggle', 'aria-expanded'), 'false');
    await page.click('.log-group[data-step="flaky"][data-attempt="1"] .log-toggle');
    await page.locator('.log-row', { hasText: 'first try' }).waitFor();
  });

  test('a search moves between its matches with Enter and Shift+Enter, the same the server finds', async () => {
    const server_ = await rest(server.url, `/api/v2/workflows/runs/${runId}/events?types=step_log&q=TRY`);
    const expected = server_.events.map((e) => e.seq);
    const n = expected.length;
    assert.ok(n >= 2, 'first try, second try, and any line of the engine about the retry');
    await page.fill('#log-find', 'TRY');
    await page.press('#log-find', 'Enter');
    const current = () => page.$eval('.log-row.log-current', (r) => Number(r.dataset.seq));
    await waitFor(async () => (await page.textContent('.log-find-count')) === `1 of ${n}`, { what: 'the matches counted' });
    assert.equal(await current(), expected[0]);
    assert.ok((await page.$$eval('.log-row mark', (ms) => ms.map((m) => m.textContent.toLowerCase()))).every((t) => t === 'try'));
    await page.press('#log-find', 'Enter');
    await waitFor(async () => (await page.textContent('.log-find-count')) === `2 of ${n}`, { what: 'the second match' });
    assert.equal(await current(), expected[1]);
    await page.press('#log-find', 'Shift+Enter');
    await page.press('#log-find', 'Shift+Enter');
    await waitFor(async () => (await page.textContent('.log-find-count')) === `${n} of ${n}`, { what: 'back past the first to the last' });
    assert.equal(await current(), expected[n - 1]);
    await page.fill('#log-find', '');
  });

  test('/ goes to the search box', async () => {
    await page.click('.log-viewport');
    await page.keyboard.press('/');
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'log-find');
  });
});
