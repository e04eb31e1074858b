// The web page's fold of events into run state (src/main/resources/web/runstate.mjs) on the
// fixtures that the store is tested on too (StoreContractTest): the page shows what
// GET /runs/{id} says. Pure node: no browser, no server.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { newRunState, applyEvent, summary } from '../src/main/resources/web/runstate.mjs';

const fixtures = JSON.parse(readFileSync(new URL('../src/test/resources/runstate/fixtures.json', import.meta.url), 'utf8'));

test('there are fixtures to fold', () => {
  assert.ok(fixtures.length >= 5);
});

for (const fixture of fixtures) {
  test(`the page folds as the store does: ${fixture.about}`, () => {
    const state = newRunState({ runId: 'r', workflowId: 'wf', createdAt: '2026-11-26T10:00:00.000Z', steps: fixture.steps });
    fixture.events.forEach((event, i) => {
      applyEvent(state, { ...event, runId: 'r', seq: i + 1, time: `2026-11-26T10:00:${String(i + 1).padStart(2, '0')}.000Z` });
    });
    assert.deepEqual(summary(state), fixture.expected);
  });
}
