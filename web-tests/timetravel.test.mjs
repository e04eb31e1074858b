// Time travel on the run page (issue 19): the steps and variables shown at a chosen event are what
// GET …/state?at=N says, whether the event is chosen with the scrubber, the number field or an
// opened ?at=N address; play at 100× reaches the end; Back to live shows the run as it is.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { history, launchBrowser, rest, startServer, waitFor } from './harness.mjs';

const STORY = `
id: story
steps:
  - {id: first, type: set, vars: {x: 1, y: "a"}}
  - {id: second, type: set, vars: {x: 2, list: [1, 2]}}
  - {id: nap, type: sleep, duration: 50ms}
  - {id: third, type: set, vars: {x: 3, y: null, done: true}}
  - {id: say, type: log, message: "x is \${vars.x}"}
  - {id: last, type: set, vars: {x: 4}}
`;

let server, browser, page, runId, last;

before(async () => {
  server = await startServer();
  await rest(server.url, '/api/v2/workflows/story', { method: 'PUT', yaml: STORY });
  ({ runId } = await rest(server.url, '/api/v2/workflows/story/execute', { method: 'POST', body: { inputs: {} } }));
  const detail = await waitFor(async () => {
    const d = await rest(server.url, `/api/v2/workflows/runs/${runId}`);
    return d.status === 'success' && d;
  }, { what: 'the run to end' });
  last = detail.lastSeq;
  browser = await launchBrowser();
  page = await browser.context.newPage();
  page.on('pageerror', (err) => console.error('page error:', err));
});

after(async () => {
  await browser?.close();
  await server?.stop();
  server?.cleanup();
});

/** What the page shows: each variable's value as text, each step's status. */
async function shownState() {
  const vars = await page.locator('.vars tbody tr[data-var]').evaluateAll((rows) =>
    Object.fromEntries(rows.map((r) => [r.dataset.var, r.querySelector('td code').textContent])));
  const steps = await page.locator('.timeline li[data-step]').evaluateAll((rows) =>
    Object.fromEntries(rows.map((r) => [r.dataset.step, r.dataset.status])));
  return { vars, steps };
}

async function expectedAt(n) {
  const state = await rest(server.url, `/api/v2/workflows/runs/${runId}/state?at=${n}`);
  return {
    vars: Object.fromEntries(Object.entries(state.variables).map(([k, v]) => [k, JSON.stringify(v)])),
    steps: Object.fromEntries(state.steps.map((s) => [s.stepId, s.status])),
  };
}

async function assertShownAt(n) {
  await page.locator(`.timetravel[data-shown="${n}"]`).waitFor();
  assert.match(await page.textContent('.tt-banner'), new RegExp(`^Viewing the run as it was at event ${n} of ${last}\\b.*Back to live$`));
  assert.deepEqual(await shownState(), await expectedAt(n), `the page at event ${n}`);
  assert.equal(new URL(page.url()).searchParams.get('at'), String(n));
  // The list of changes holds those made by then.
  const made = (await history(server.url, runId)).filter((e) => e.type === 'variable_change' && e.seq <= n).map((e) => String(e.seq));
  await waitFor(async () => JSON.stringify(await page.locator('.changes li:not([hidden])').evaluateAll((lis) =>
    lis.map((li) => li.dataset.seq))) === JSON.stringify(made), { what: `the changes up to event ${n}` });
  // The log's lines after it are dimmed, those up to it not.
  await waitFor(async () => (await page.locator('.log-row').evaluateAll((rows, at) =>
    rows.every((r) => r.classList.contains('log-later') === Number(r.dataset.seq) > at), n)), { what: `the log dimmed after event ${n}` });
}

test('the scrubber and the number field show the run as state?at says', async () => {
  await page.goto(`${server.url}/runs/${runId}`);
  await page.locator('.run-status .status[data-status=success]').waitFor();
  assert.equal(await page.getAttribute('#tt-range', 'max'), String(last));
  assert.equal(await page.isHidden('.tt-banner'), true, 'live at first');
  const seen = new Set();
  for (const n of [1, 3, Math.ceil(last / 2), last - 2, last]) {
    if (seen.has(n)) continue;
    seen.add(n);
    await page.locator('#tt-range').fill(String(n));
    await assertShownAt(n);
  }
  // The number field, then the keyboard on the scrubber.
  await page.locator('#tt-seq').fill('5');
  await page.locator('#tt-seq').press('Enter');
  await assertShownAt(5);
  await page.locator('#tt-range').focus();
  await page.keyboard.press('ArrowRight');
  await assertShownAt(6);
  // Several positions asked for at once: the last one asked for is what stays.
  for (const n of [2, 7, 4, 8]) await page.locator('#tt-range').fill(String(n));
  await assertShownAt(8);
  await page.waitForLoadState('networkidle');
  await assertShownAt(8);
});

test('an address with ?at=N opens there, and Back to live shows the run as it is', async () => {
  await page.goto(`${server.url}/runs/${runId}?at=4`);
  await assertShownAt(4);
  assert.equal(await page.inputValue('#tt-range'), '4');
  assert.equal(await page.inputValue('#tt-seq'), '4');
  await page.click('.tt-live');
  await page.locator('.tt-banner').waitFor({ state: 'hidden' });
  assert.equal(new URL(page.url()).search, '');
  assert.deepEqual(await shownState(), await expectedAt(last), 'live is the run as it ended');
  assert.equal(await page.inputValue('#tt-range'), String(last));
});

test('play at 100× reaches the end', async () => {
  await page.goto(`${server.url}/runs/${runId}?at=1`);
  await assertShownAt(1);
  await page.selectOption('#tt-speed', '100');
  const visited = [];
  await page.exposeFunction('__ttShown', (n) => visited.push(Number(n)));
  await page.evaluate(() => new MutationObserver(() => window.__ttShown(document.querySelector('.timetravel').dataset.shown))
    .observe(document.querySelector('.timetravel'), { attributes: true, attributeFilter: ['data-shown'] }));
  await page.click('.tt-play');
  await page.locator(`.timetravel[data-shown="${last}"]`).waitFor({ timeout: 15_000 });
  await waitFor(async () => (await page.textContent('.tt-play')) === 'Play', { what: 'play to stop at the end' });
  await assertShownAt(last);
  assert.ok(visited.length >= 1 && visited.every((n, i) => i === 0 || n > visited[i - 1]), `forward only: ${visited}`);
});
