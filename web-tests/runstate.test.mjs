// The web page's fold of events into run state (src/main/resources/web/runstate.mjs) on the
// fixtures that the store is tested on too (StoreContractTest): the page shows what
// GET /runs/{id} says. Pure node: no browser, no server.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { newRunState, applyEvent, summary } from '../server/src/main/resources/web/runstate.mjs';

const fixtures = JSON.parse(readFileSync(new URL('../server/src/test/resources/runstate/fixtures.json', import.meta.url), 'utf8'));

test('there are fixtures to fold', () => {
  assert.ok(fixtures.length >= 5);
});

for (const fixture of fixtures) {
  test(`the page folds as the store does: ${fixture.about}`, () => {
    const state = newRunState({ runId: 'r', workflowId: 'wf', createdAt: '2026-11-26T10:00:00.000Z', steps: fixture.steps });
    // The run's status after an event, where the fixture says it (by seq): running and waiting
    // move back and forth as steps run, wait and end.
    const statusAfter = {};
    fixture.events.forEach((event, i) => {
      const seq = i + 1;
      applyEvent(state, { ...event, runId: 'r', seq, time: `2026-11-26T10:00:${String(seq).padStart(2, '0')}.000Z` });
      if (Object.hasOwn(fixture.statusAfter ?? {}, seq)) statusAfter[seq] = state.run.status;
    });
    assert.deepEqual(statusAfter, fixture.statusAfter ?? {}, 'the run status after each event the fixture names');
    assert.deepEqual(summary(state), fixture.expected);
  });
}

test('some fixtures say the run status after their events', () => {
  assert.ok(fixtures.filter((f) => f.statusAfter).length >= 3);
});

// What the page adds for a graph, beyond the store's summary: each step's needs (from the
// detail), its outputs (from its step_complete) and a workflow step's child run.
test("a graph's steps keep their needs, outputs, and a workflow step's child run", () => {
  const child = '1941e659-f694-4d87-960c-d8aead5ed57b';
  const state = newRunState({ runId: 'r', workflowId: 'wf', createdAt: '2026-11-26T10:00:00.000Z', steps: [
    { stepId: 'build', stepName: 'build', needs: [] },
    { stepId: 'e2e', stepName: 'e2e', needs: ['build'] },
  ] });
  const events = [
    ['run_start', {}],
    ['step_start', { stepId: 'build', stepName: 'build', attempt: 1 }],
    ['step_complete', { stepId: 'build', stepName: 'build', status: 'success', duration: 5, attempt: 1,
      outputs: { version: '1.4.2', notes: 'x…' }, truncated: true }],
    ['step_start', { stepId: 'e2e', stepName: 'e2e', attempt: 1 }],
    ['step_log', { stepId: 'e2e', level: 'info', message: `started run ${child} of workflow "suite"` }],
  ];
  const changed = events.map(([type, payload], i) => applyEvent(state, { type, payload, runId: 'r', seq: i + 1, time: `2026-11-26T10:00:0${i}.000Z` }));
  assert.deepEqual(changed, [true, true, true, true, true]);
  const build = state.steps.get('build');
  const e2e = state.steps.get('e2e');
  assert.deepEqual([build.needs, build.outputs, build.truncated], [[], { version: '1.4.2', notes: 'x…' }, true]);
  assert.deepEqual([e2e.needs, e2e.status, e2e.outputs, e2e.childRunId], [['build'], 'running', null, child],
    'the child run is known while it runs');

  assert.equal(applyEvent(state, { type: 'step_log', payload: { stepId: 'e2e', level: 'info', message: 'another line' } }), false);
  applyEvent(state, { type: 'step_complete', payload: { stepId: 'e2e', stepName: 'e2e', status: 'failed', duration: 9, attempt: 1,
    error: 'the child failed', outputs: { runId: child, status: 'failed', variables: {} } } });
  assert.deepEqual([e2e.childRunId, e2e.outputs.status], [child, 'failed']);

  applyEvent(state, { type: 'step_start', payload: { stepId: 'e2e', stepName: 'e2e', attempt: 2 } });
  assert.deepEqual([e2e.outputs, e2e.truncated, e2e.childRunId], [null, false, null], 'a new attempt starts afresh');
  applyEvent(state, { type: 'step_complete', payload: { stepId: 'e2e', stepName: 'e2e', status: 'success', duration: 1, attempt: 2 } });
  assert.equal(e2e.outputs, null, 'a step_complete without outputs leaves none');
});

// What the page adds for an approval: the question, kept beside the decision once it is taken.
test("an approval step keeps its message while it waits and once decided, with the decision", () => {
  const state = newRunState({ runId: 'r', workflowId: 'wf', createdAt: '2026-11-26T10:00:00.000Z', steps: [
    { stepId: 'gate', stepName: 'Gate', needs: [] },
  ] });
  const apply = (type, payload) => applyEvent(state, { type, payload, runId: 'r', seq: 1, time: '2026-11-26T10:00:01.000Z' });
  const gate = state.steps.get('gate');
  apply('run_start', {});
  apply('step_start', { stepId: 'gate', stepName: 'Gate', attempt: 1 });
  assert.equal(apply('step_waiting', { stepId: 'gate', message: 'Ship app-1.2?' }), true);
  assert.deepEqual([state.run.status, gate.status, gate.waitingMessage, gate.decision], ['waiting', 'waiting', 'Ship app-1.2?', null]);

  const decision = { approved: false, by: 'ann', comment: 'not today' };
  apply('step_complete', { stepId: 'gate', stepName: 'Gate', status: 'failed', duration: 9, attempt: 1,
    error: 'rejected by ann: not today', decision, outputs: decision });
  assert.deepEqual([state.run.status, gate.status, gate.waitingMessage, gate.decision, gate.error],
    ['running', 'failed', 'Ship app-1.2?', decision, 'rejected by ann: not today']);

  apply('step_start', { stepId: 'gate', stepName: 'Gate', attempt: 2 });
  assert.deepEqual([gate.waitingMessage, gate.decision], [null, null], 'a new attempt asks afresh');
});

// What the page adds for a retry: which steps it took over from the run it retries.
test('a step a retry reuses is marked reused, and a step that starts again is not', () => {
  const state = newRunState({ runId: 'r', workflowId: 'wf', createdAt: '2026-11-26T10:00:00.000Z', steps: [
    { stepId: 'prepare', stepName: 'prepare', needs: [] },
    { stepId: 'deploy', stepName: 'deploy', needs: [] },
  ] });
  const apply = (type, payload) => applyEvent(state, { type, payload, runId: 'r', seq: 1, time: '2026-11-26T10:00:01.000Z' });
  const [prepare, deploy] = [state.steps.get('prepare'), state.steps.get('deploy')];
  assert.deepEqual([prepare.reused, deploy.reused], [false, false], 'nothing is reused before the events say so');
  apply('run_start', { retryOf: { runId: 'old', from: 'failed' } });
  apply('variable_change', { stepId: 'prepare', varName: 'version', oldValue: null, newValue: '7', changeType: 'create' });
  assert.equal(apply('step_complete', { stepId: 'prepare', stepName: 'prepare', status: 'success', duration: 4, attempt: 2,
    outputs: { v: 1 }, reused: true }), true);
  assert.deepEqual([prepare.status, prepare.attempt, prepare.duration, prepare.startedAt, prepare.outputs, prepare.reused],
    ['success', 2, 4, null, { v: 1 }, true], 'as it ended in the run retried, never started here');
  apply('step_start', { stepId: 'deploy', stepName: 'deploy', attempt: 1 });
  apply('step_complete', { stepId: 'deploy', stepName: 'deploy', status: 'success', duration: 30, attempt: 1 });
  assert.equal(deploy.reused, false, 'a step that ran is not reused');

  apply('step_start', { stepId: 'prepare', stepName: 'prepare', attempt: 1 });
  assert.deepEqual([prepare.status, prepare.reused], ['running', false], 'a step_start clears it');
});
