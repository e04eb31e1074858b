// The not-found page (issue 19): an unknown path, a run that does not exist and an unknown
// workflow each show a page titled Not found that says what was not found and leads on; the
// server answers an unknown page path with the page and status 404.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { closeServerAndPage, openServerAndPage } from './harness.mjs';

let server, browser, page;

before(async () => { ({ server, browser, page } = await openServerAndPage()); });
after(() => closeServerAndPage({ server, browser }));

async function expectNotFound(path, what) {
  const response = await page.goto(`${server.url}${path}`);
  await page.locator('.not-found h1').waitFor();
  assert.equal(await page.textContent('.not-found h1'), 'Not found');
  assert.equal(await page.title(), 'Not found · stepstream');
  assert.match(await page.textContent('.not-found-what'), what);
  assert.deepEqual(await page.locator('.not-found-links a').evaluateAll((as) => as.map((a) => a.textContent)),
    ['All runs', 'All workflows']);
  return response.status();
}

test('an unknown path is a not-found page, answered 404', async () => {
  assert.equal(await expectNotFound('/nope', /There is no page at \/nope\./), 404);
  assert.equal(await expectNotFound('/runs', /There is no page at \/runs\./), 404);
  await page.click('.not-found-links a >> text=All runs');
  await page.locator('#runs-h').waitFor();
  assert.equal(await page.title(), 'stepstream');
});

test('a run that does not exist and an unknown workflow are not-found pages', async () => {
  const runId = '0b0e7a1c-7d5e-4a53-9d0e-3f1c2b4a5d6e';
  await expectNotFound(`/runs/${runId}`, new RegExp(`There is no run ${runId}`));
  await expectNotFound('/runs/not-a-uuid', /There is no run not-a-uuid/);
  await expectNotFound('/workflows/unknown', /There is no workflow “unknown”/);
});

test('the API keeps its JSON 404', async () => {
  const res = await fetch(`${server.url}/api/v2/nothing-here`);
  assert.equal(res.status, 404);
  assert.equal((await res.json()).error.code, 'not_found');
});
