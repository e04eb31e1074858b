// Comparing runs (issue 19): from a failed run's page, one click compares it with the workflow's
// last success: the steps whose status differs, the variable that differs, each step's log as a
// diff (a long unchanged stretch folded), its colours and control characters shown as on the run
// page; the pickers on both pages lead to other comparisons.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { closeServerAndPage, endedRun, openServerAndPage, rest, waitFor } from './harness.mjs';

const FLAKY = `
id: flaky
name: Flaky build
inputs:
  ok: {type: boolean, default: true}
steps:
  - {id: prep, type: set, vars: {mode: "\${inputs.ok ? 'good' : 'bad'}", n: 1}}
  - id: build
    type: script
    run: "for i in $(seq 1 12); do echo before $i; done; echo mode \${vars.mode}; for i in $(seq 1 12); do echo after $i; done"
  - {id: same, type: log, message: "always the same"}
  - {id: check, type: fail, message: "not ok", when: "\${!inputs.ok}"}
  - {id: ship, type: log, message: shipped}
`;
// YAML double-quoted strings: \e is ESC, \a BEL, \r CR.
const PAINTED = `
id: painted
inputs:
  n: {type: number, default: 1}
steps:
  - {id: colour, type: log, message: "\\e[31mred\\e[0m and plain"}
  - {id: title, type: log, message: "\\e]0;title\\ashown"}
  - {id: cr, type: log, message: "cr\\rover \${inputs.n}"}
`;
const NEVER = `
id: never
steps:
  - {id: boom, type: fail, message: boom}
`;

let server, browser, page;

before(async () => { ({ server, browser, page } = await openServerAndPage({ workflows: [FLAKY, NEVER, PAINTED] })); });
after(() => closeServerAndPage({ server, browser }));


test('a failed run compared with the last success in one click', async () => {
  const passed = await endedRun(server.url, 'flaky', { ok: true });
  const failed = await endedRun(server.url, 'flaky', { ok: false });
  await page.goto(`${server.url}/runs/${failed}`);
  await page.locator('.run-status .status[data-status=failed]').waitFor();
  await page.click('.compare-success');
  await page.waitForURL(`${server.url}/compare?a=${failed}&b=${passed}`);
  await page.locator('.cmp-step[data-step=check]').waitFor();
  assert.equal(await page.title(), 'Compare · stepstream');

  // Both runs' summaries, each linking to its run.
  assert.equal(await page.getAttribute('.cmp-run[data-side=a] h2 a', 'href'), `/runs/${failed}`);
  assert.equal(await page.getAttribute('.cmp-run[data-side=b] h2 a', 'href'), `/runs/${passed}`);
  assert.equal(await page.getAttribute('.cmp-run[data-side=a] h2 .status', 'data-status'), 'failed');
  assert.equal(await page.getAttribute('.cmp-run[data-side=b] h2 .status', 'data-status'), 'success');
  assert.equal(await page.textContent('.cmp-run[data-side=a] .cmp-inputs'), 'ok = false');

  // The steps side by side: check failed in A and was skipped in B; ship never ran in A.
  const statuses = await page.locator('.cmp-steps .cmp-step[data-step]').evaluateAll((rows) => rows.map((r) =>
    [r.dataset.step, r.querySelector('.cmp-a').dataset.status, r.querySelector('.cmp-b').dataset.status, r.dataset.differs === 'true']));
  assert.deepEqual(statuses, [
    ['prep', 'success', 'success', false], ['build', 'success', 'success', false], ['same', 'success', 'success', false],
    ['check', 'failed', 'skipped', true], ['ship', 'pending', 'success', true]]);
  assert.ok(await page.locator('.cmp-step[data-step=build] .cmp-a .cmp-bar').evaluate((b) => b.getBoundingClientRect().width > 0),
    'a step that ran has a duration bar');

  // The variable that differs, and only it.
  assert.deepEqual(await page.locator('.cmp-vars tbody tr').evaluateAll((rows) => rows.map((r) =>
    [r.dataset.var, r.querySelector('.cmp-var-a').textContent, r.querySelector('.cmp-var-b').textContent])),
  [['mode', '"bad"', '"good"']]);

  // The build's log as a diff, open, its unchanged stretches folded to the lines around the change.
  const build = page.locator('.cmp-step[data-step=build] details.cmp-log');
  assert.equal(await build.getAttribute('open'), '');
  const lines = () => build.locator('.diff-line').allTextContents();
  assert.deepEqual(await lines(), ['  before 10', '  before 11', '  before 12', '- mode bad', '+ mode good',
    '  after 1', '  after 2', '  after 3']);
  assert.deepEqual(await build.locator('.diff-fold').allTextContents(), ['… 9 unchanged lines', '… 9 unchanged lines']);
  await build.locator('.diff-fold').first().click();
  assert.equal((await lines()).length, 17);
  assert.equal((await lines())[0], '  before 1');
  // A step that logged the same is collapsed; a step only B ran shows its lines as added.
  assert.equal(await page.getAttribute('.cmp-step[data-step=same] details.cmp-log', 'open'), null);
  assert.equal(await page.getAttribute('.cmp-step[data-step=same] details.cmp-log', 'data-same'), 'true');
  assert.deepEqual(await page.locator('.cmp-step[data-step=ship] .diff-line').allTextContents(), ['+ shipped']);

  // The picker of B leads to another comparison.
  const other = await endedRun(server.url, 'flaky', { ok: false });
  await page.reload();
  await page.locator('#cmp-pick-b').waitFor();
  await page.selectOption('#cmp-pick-b', other);
  await page.waitForURL(`${server.url}/compare?a=${failed}&b=${other}`);
  await page.locator('.cmp-vars p', { hasText: 'The variables ended the same.' }).waitFor();
});

test('Compare… on a run page lists the workflow\'s other runs', async () => {
  const runs = (await rest(server.url, '/api/v2/workflows/runs?workflowId=flaky')).runs.map((r) => r.runId);
  await page.goto(`${server.url}/runs/${runs[0]}`);
  await page.click('.compare-pick summary');
  await waitFor(async () => (await page.locator('#compare-with option[value]:not([value=""])').count()) === runs.length - 1,
    { what: 'the other runs listed' });
  await page.selectOption('#compare-with', runs[1]);
  await page.click('.compare-go');
  await page.waitForURL(`${server.url}/compare?a=${runs[0]}&b=${runs[1]}`);
  await page.locator('.cmp-step[data-step=prep]').waitFor();
});

test('the compare page with only A asks for B, and its picker compares', async () => {
  const runs = (await rest(server.url, '/api/v2/workflows/runs?workflowId=flaky')).runs.map((r) => r.runId);
  await page.goto(`${server.url}/compare?a=${runs[0]}`);
  await page.locator('.cmp-run[data-side=a] h2 .status').waitFor();
  assert.equal(await page.inputValue('#cmp-pick-b'), '');
  await page.selectOption('#cmp-pick-b', runs[2]);
  await page.waitForURL(`${server.url}/compare?a=${runs[0]}&b=${runs[2]}`);
  await page.locator('.cmp-step[data-step=prep]').waitFor();
});

test('a failed run of a workflow that never succeeded says so', async () => {
  const failed = await endedRun(server.url, 'never');
  await page.goto(`${server.url}/runs/${failed}`);
  await page.locator('.run-status .status[data-status=failed]').waitFor();
  await page.click('.compare-success');
  await page.locator('.compare-note', { hasText: 'No run of this workflow has succeeded yet' }).waitFor();
  assert.equal(new URL(page.url()).pathname, `/runs/${failed}`);
});

test("each step's log diff shows colours and control characters as the run page does", async () => {
  const a = await endedRun(server.url, 'painted', { n: 1 });
  const b = await endedRun(server.url, 'painted', { n: 2 });
  await page.emulateMedia({ colorScheme: 'light' });
  await page.goto(`${server.url}/compare?a=${a}&b=${b}`);
  await page.locator('.cmp-step[data-step=cr] .diff-line').first().waitFor();
  const lines = (stepId) => page.locator(`.cmp-step[data-step=${stepId}] .diff-line`).allTextContents();
  assert.deepEqual(await lines('colour'), ['  red and plain']);
  assert.equal(await page.locator('.cmp-step[data-step=colour] .diff-line span', { hasText: /^red$/ })
    .evaluate((span) => getComputedStyle(span).color), 'rgb(205, 49, 49)', 'red: --ansi-1 of the light palette');
  assert.deepEqual(await lines('title'), ['  ␛]0;title␇shown']);
  assert.deepEqual(await lines('cr'), ['- cr␍over 1', '+ cr␍over 2']);
  assert.equal(await page.$eval('.cmp-steps', (steps) => /[\x00-\x08\x0a-\x1f\x7f-\x9f]/.test(steps.textContent)), false,
    'no control character in the diffs');
  assert.doesNotMatch(await page.title(), /title/);
});
