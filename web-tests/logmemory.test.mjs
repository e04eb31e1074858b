// The log viewer's text budget (loglist.mjs): a run of 3,000 lines of about 1 KiB, on a page
// whose budget is 300,000 characters (set through localStorage before the page opens), so that
// nine lines in ten drop their text. What a reader would notice: the page holds no more than its
// budget; and every feature still works on the lines whose text it no longer holds — scrolling
// to the top, a link to a line, search, the text and level filters, wrap — their text coming
// back from the server, or a placeholder that says it could not when the server fails.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { closeServerAndPage, endedRun, history, openServerAndPage, waitFor } from './harness.mjs';

const BUDGET = 300_000;
const LINES = 3000;
// Each line `line 00042 tok00042z xxx…` (1,000 x's), every tenth on stderr (a warn); a first step
// logs a message of three lines, the last long, whose wrapped height the page can only guess once
// its text is dropped.
const WIDE = `
id: wide
steps:
  - {id: intro, type: log, message: "intro one\\nintro two\\n${'y'.repeat(300)}"}
  - id: flood
    type: script
    run: |
      awk 'BEGIN { pad = sprintf("%1000s", ""); gsub(/ /, "x", pad);
        for (i = 1; i <= ${LINES}; i++) { s = sprintf("line %05d tok%05dz %s", i, i, pad);
          if (i % 10 == 0) print s > "/dev/stderr"; else print s; fflush() } }'
`;

let ctx, page, runId, logs, total;
const seqOf = (n) => logs.find((e) => e.payload.message.startsWith(`line ${String(n).padStart(5, '0')} `)).seq;

before(async () => {
  ctx = await openServerAndPage({ workflows: [WIDE] });
  ({ page } = ctx);
  runId = await endedRun(ctx.server.url, 'wide', {}, { timeout: 60_000 });
  logs = (await history(ctx.server.url, runId)).filter((e) => e.type === 'step_log');
  total = logs.length;
  assert.ok(total >= LINES + 1, `the run logged its lines (${total})`);
  // The budget, and the most characters the page held at any moment, sampled every 5 ms.
  await page.addInitScript((budget) => {
    if (!location.protocol.startsWith('http')) return; // about:blank has no storage
    localStorage.setItem('stepstream.log.textBudget', String(budget));
    window.__maxChars = 0;
    setInterval(() => {
      window.__maxChars = Math.max(window.__maxChars, window.__stepstream?.logTextChars?.() ?? 0);
    }, 5);
  }, BUDGET);
});

after(() => closeServerAndPage(ctx));

/** The run page opened afresh (a new list), at `hash`, once every line is in. */
async function open(hash = '') {
  await page.goto('about:blank');
  await page.goto(`${ctx.server.url}/runs/${runId}${hash}`);
  await waitFor(() => page.evaluate((n) => window.__stepstream.logCount() === n, total),
    { timeout: 60_000, what: 'every line on the page' });
}

/** The drawn rows in view: seq, message text, whether it waits for its text, and its marks. */
const rowsInView = () => page.$eval('.log-viewport', (v) => {
  const box = v.getBoundingClientRect();
  return [...v.querySelectorAll('.log-row')].filter((r) => {
    const b = r.getBoundingClientRect();
    return b.bottom > box.top && b.top < box.bottom;
  }).map((r) => {
    const msg = r.querySelector('.log-msg');
    return { seq: Number(r.dataset.seq), text: msg.textContent, pending: msg.classList.contains('log-pending'),
      warn: r.classList.contains('level-warn'), target: r.classList.contains('log-target'),
      current: r.classList.contains('log-current'), fits: msg.scrollHeight <= r.clientHeight + 1,
      height: r.getBoundingClientRect().height };
  });
});

/** Waits until the rows in view are drawn with their text and `check` holds for them. */
const shown = (check, what) => waitFor(async () => {
  const rows = await rowsInView();
  return rows.length > 0 && rows.every((r) => !r.pending) && check(rows);
}, { timeout: 15_000, what });

const scrollTop = () => page.$eval('.log-viewport', (v) => { v.scrollTop = 0; });

describe('a run of 3,000 lines of 1 KiB on a page with a budget of 300,000 characters', () => {
  test('the page holds no more text than its budget, and the oldest lines dropped theirs', async (t) => {
    await open();
    const longest = Math.max(...logs.map((e) => e.payload.message.length));
    const { held, most, dropped } = await page.evaluate(() => ({ held: window.__stepstream.logTextChars(),
      most: window.__maxChars, dropped: window.__stepstream.logDroppedLines() }));
    t.diagnostic(`held ${held} characters (at most ${most}), ${dropped} of ${total} lines dropped their text`);
    assert.ok(held <= BUDGET && most <= BUDGET + longest, `held ${held}, at most ${most}, budget ${BUDGET}`);
    assert.ok(dropped > total / 2, `lines dropped (${dropped})`);
    // Following the end: the last lines are drawn with their text, held.
    await shown((rows) => rows.at(-1).text === logs.at(-1).payload.message, 'the last line at the bottom');
  });

  test('scrolling to the very top shows the first lines with their text', async () => {
    await open();
    await scrollTop();
    // The order of stdout and stderr lines written at once is the server's: the first is the first logged.
    const first = logs.find((e) => e.payload.stepId === 'flood').payload.message;
    await shown((rows) => rows[0].text === `intro one\nintro two\n${'y'.repeat(300)}` && rows[1].text === first,
      'the first lines with their text');
  });

  test('a link to an early line opens on it, highlighted, with its text', async () => {
    const seq = seqOf(5);
    await open(`#seq=${seq}`);
    await shown((rows) => rows.some((r) => r.seq === seq && r.target && r.text.startsWith('line 00005 tok00005z')),
      'the linked line in view, highlighted, with its text');
  });

  test('a search finds a term that only a dropped line has, and shows it', async () => {
    await open();
    await page.fill('#log-find', 'TOK00003Z');
    await page.press('#log-find', 'Enter');
    await waitFor(async () => (await page.textContent('.log-find-count')) === '1 of 1', { what: 'one match' });
    await shown((rows) => rows.some((r) => r.current && r.seq === seqOf(3) && r.text.startsWith('line 00003 tok00003z')),
      'the match shown with its text');
    assert.equal(await page.$eval('.log-row.log-current mark', (m) => m.textContent), 'tok00003z');
    await page.fill('#log-find', '');
  });

  test('the text filter finds dropped lines as well as held ones, and the count says so', async () => {
    await open();
    await page.fill('#log-filter', 'tok00004z');
    await waitFor(async () => (await page.textContent('.log-count')) === `1 of ${total} lines`, { what: 'one line counted' });
    await shown((rows) => rows.length === 1 && rows[0].seq === seqOf(4) && rows[0].text.startsWith('line 00004 tok00004z'),
      'the one dropped line that matches, with its text');
    // Lines 100, 200, … 3,000: all dropped but the last ones, which are held.
    await page.fill('#log-filter', '00Z');
    await waitFor(async () => (await page.textContent('.log-count')) === `30 of ${total} lines`, { what: 'thirty lines counted' });
    await scrollTop();
    await shown((rows) => rows[0].text.startsWith('line 00100 tok00100z')
      && rows.every((r) => /^line \d\d\d00 tok\d\d\d00z/.test(r.text)), 'the matches from the first, with their text');
    await page.fill('#log-filter', '');
    await waitFor(async () => (await page.textContent('.log-count')) === `${total} lines`, { what: 'every line again' });
  });

  test('the level filter hides and shows dropped lines', async () => {
    await open();
    const warns = logs.filter((e) => e.payload.level === 'warn').length;
    await page.selectOption('#log-level', 'warn');
    await waitFor(async () => (await page.textContent('.log-count')) === `${warns} of ${total} lines`, { what: 'the warnings counted' });
    await scrollTop();
    await shown((rows) => rows.every((r) => r.warn && /^line \d{4}0 /.test(r.text)) && rows.some((r) => r.text.startsWith('line 00010 ')),
      'only warnings, from the first, with their text');
    await page.selectOption('#log-level', 'debug');
    await waitFor(async () => (await page.textContent('.log-count')) === `${total} lines`, { what: 'every line again' });
    await scrollTop();
    await shown((rows) => rows.some((r) => r.text.startsWith('line 00001 ')), 'the first line again');
  });

  test('wrap draws dropped lines wrapped, each as high as its text', async () => {
    await open();
    if ((await page.getAttribute('#log-wrap', 'aria-pressed')) !== 'true') await page.click('#log-wrap');
    await scrollTop();
    // The first message's height was guessed from its length; its text corrects it.
    await shown((rows) => {
      const intro = rows.find((r) => r.text.startsWith('intro one'));
      return intro?.height > 66 && rows.some((r) => r.text.startsWith('line ') && r.height > 22) && rows.every((r) => r.fits);
    }, 'the first lines wrapped, each fitting its row');
    await page.click('#log-wrap');
    await shown((rows) => rows.every((r) => r.height === 22 || r.text.startsWith('intro one')), 'one row a line again');
  });

  test('a line whose text the server does not send says so, and comes when the server answers again', async () => {
    const lines = (url) => url.pathname.endsWith('/events') && url.searchParams.get('types') === 'step_log';
    let refused = 0;
    await page.route(lines, (route) => {
      refused++;
      return route.fulfill({ status: 503, contentType: 'application/json', body: '{"error":{"code":"unavailable","message":"down"}}' });
    });
    try {
      await open();
      await scrollTop();
      await waitFor(async () => (await rowsInView()).some((r) => r.pending && /could not be loaded/.test(r.text)),
        { what: 'the placeholder saying the text could not be loaded' });
      // Tried again after a backoff, not in a loop: a few requests in a second, not hundreds.
      const before = refused;
      await new Promise((ok) => setTimeout(ok, 1500));
      assert.ok(refused - before <= 3, `requests while the server refused: ${refused - before} in 1.5 s`);
    } finally {
      await page.unroute(lines);
    }
    await shown((rows) => rows.some((r) => r.text.startsWith('intro one')), 'the text once the server answers');
  });
});
