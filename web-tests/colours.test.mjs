// Colours in a run's log, in a real browser against the real server: a message's SGR colours
// (16, 256, truecolour), bold, italic and underline show as styled spans with the computed
// colours of the palette; an OSC title, erase and private-mode sequences are shown as text and
// change nothing (document.title stays); a plain message stays plain text; the search looks in
// the text as shown.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, rest, startServer } from './harness.mjs';

// YAML double-quoted strings: \e is ESC, \a BEL, \x9b the 8-bit CSI.
const COLOURS = String.raw`
id: colours
steps:
  - id: paint
    type: log
    message: "\e[31mred\e[0m \e[1mbold\e[0m \e[38;5;208mc208\e[0m \e[38;2;0;128;255mrgb\e[0m \e[4;3;48;5;21mdeco"
  - id: attack
    type: log
    message: "attack \e]0;pwned\a\e[2J\e[H\e[?1049h\x9b2J\rend"
  - id: quiet
    type: log
    message: "a plain line"
`;

let server, browser, page;

before(async () => {
  server = await startServer();
  await rest(server.url, '/api/v2/workflows/colours', { method: 'PUT', yaml: COLOURS });
  browser = await launchBrowser();
  page = browser.context.pages()[0] || await browser.context.newPage();
  page.on('pageerror', (err) => console.error('page error:', err));
  await page.emulateMedia({ colorScheme: 'light' });
});

after(async () => {
  await browser?.close();
  await server?.stop();
  server?.cleanup();
});

/** The message of a step's log row: its text, and each span's text and computed style. */
const row = (stepId) => page.$eval(`.log-row:has(.log-step:text-is("${stepId}")) .log-msg`, (msg) => ({
  text: msg.textContent,
  spans: [...msg.children].map((span) => {
    const style = getComputedStyle(span);
    return { text: span.textContent, color: style.color, background: style.backgroundColor,
      weight: style.fontWeight, italic: style.fontStyle, decoration: style.textDecorationLine };
  }),
}));

test("a run's log shows its colours and shows, without obeying, every other sequence", async () => {
  const { runId } = await rest(server.url, '/api/v2/workflows/colours/execute', { method: 'POST' });
  await page.goto(`${server.url}/runs/${runId}`);
  await page.waitForSelector('.run-status .status[data-status=success]');
  await page.locator('.log-row .log-msg', { hasText: 'a plain line' }).waitFor();
  const title = await page.title();

  const paint = await row('paint');
  assert.equal(paint.text, 'red bold c208 rgb deco');
  const span = (text) => paint.spans.find((s) => s.text === text) ?? assert.fail(`no span "${text}" in ${JSON.stringify(paint.spans)}`);
  assert.equal(span('red').color, 'rgb(205, 49, 49)', 'red: --ansi-1 of the light palette');
  assert.equal(span('bold').weight, '700');
  assert.equal(span('c208').color, 'rgb(255, 135, 0)', '256 colours: 208 of the cube');
  assert.equal(span('rgb').color, 'rgb(0, 128, 255)', 'truecolour');
  assert.equal(span('deco').decoration, 'underline');
  assert.equal(span('deco').italic, 'italic');
  assert.equal(span('deco').background, 'rgb(0, 0, 255)', '256-colour background');
  assert.equal(paint.spans.length, 5, 'the spaces between are plain text');

  const attack = await row('attack');
  assert.equal(attack.text, 'attack ␛]0;pwned␇␛[2J␛[H␛[?1049h␛[2J␍end');
  assert.equal(attack.spans.length, 0, 'nothing styled');
  assert.equal(await page.title(), title, 'the title is the page\'s own');
  assert.doesNotMatch(await page.title(), /pwned/);
  assert.equal(await page.$eval('.log-viewport', (v) => /[\x00-\x08\x0a-\x1f\x7f-\x9f]/.test(v.textContent)), false,
    'no control character in the log');

  const quiet = await row('quiet');
  assert.deepEqual(quiet, { text: 'a plain line', spans: [] });

  // The search looks in the text as shown.
  const onlyRowOf = (stepId) => page.waitForFunction((id) => {
    const steps = [...document.querySelectorAll('.log-row .log-step')];
    return steps.length === 1 && steps[0].textContent === id;
  }, stepId);
  await page.fill('#log-filter', 'red bold');
  await onlyRowOf('paint');
  await page.fill('#log-filter', 'pwned␇');
  await onlyRowOf('attack');
  await page.fill('#log-filter', '');
});
