// The pure parts of issue 19's pages: the compare page's folding of unchanged log lines
// (compare.mjs), the DAG's layout (dag.mjs), time travel's pace and view (timetravel.mjs).
// Pure node: no browser, no server.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { foldedParts } from '../server/src/main/resources/web/compare.mjs';
import { layout } from '../server/src/main/resources/web/dag.mjs';
import { baseRate, viewOf } from '../server/src/main/resources/web/timetravel.mjs';

const ops = (text) => [...text].map((c) => ({ op: c === '.' ? ' ' : c, text: c }));
const shape = (parts) => parts.map((p) => (p.fold ? `[${p.ops.length}]` : p.ops.map((o) => o.op).join('').replaceAll(' ', '.'))).join('|');

test('a log the same in both runs is one part, unfolded (the page collapses it whole)', () => {
  assert.equal(shape(foldedParts(ops('..........'))), '..........');
  assert.deepEqual(foldedParts([]), []);
});

test('unchanged stretches keep three lines beside a change and fold the rest', () => {
  assert.equal(shape(foldedParts(ops('..........-+..........'))), '[7]|...|-+|...|[7]');
  assert.equal(shape(foldedParts(ops('-..............+'))), '-|...|[8]|...|+');
  // Short stretches are not worth a fold.
  assert.equal(shape(foldedParts(ops('....-.......+...'))), '....|-|.......|+|...');
  assert.equal(shape(foldedParts(ops('-+'))), '-+');
});

test('the layout puts each step in its level\'s column, centred, under the mean row of its needs', () => {
  const steps = [
    { stepId: 'a', needs: [] }, { stepId: 'b', needs: ['a'] }, { stepId: 'c', needs: ['a'] },
    { stepId: 'z', needs: [] }, { stepId: 'd', needs: ['z'] }, { stepId: 'e', needs: ['b', 'c', 'd'] },
  ];
  const { pos, width, height } = layout(steps);
  assert.equal(pos.get('a').x, pos.get('z').x);
  assert.ok(pos.get('a').x < pos.get('b').x && pos.get('b').x < pos.get('e').x);
  assert.equal(new Set(steps.map((s) => `${pos.get(s.stepId).x},${pos.get(s.stepId).y}`)).size, steps.length, 'no two nodes overlap');
  // d needs z (the second row): it goes below b and c, which need a (the first).
  assert.ok(pos.get('d').y > pos.get('c').y && pos.get('c').y > pos.get('b').y);
  for (const p of pos.values()) assert.ok(p.x >= 0 && p.y >= 0 && p.x < width && p.y < height);
});

test('1× is the run\'s average pace, never under one event a second', () => {
  assert.equal(baseRate(1000, 10_000), 100);
  assert.equal(baseRate(50, 7 * 24 * 3600 * 1000), 1);
  assert.equal(baseRate(10, null), 10);
});

test('a view of state?at shows a step going on with its time so far at the event', () => {
  const detail = { runId: 'r', workflowId: 'w', status: 'running', startedAt: '2026-01-01T00:00:00.000Z', finishedAt: null,
    duration: null, error: null, variables: { x: 1 },
    steps: [{ stepId: 'a', stepName: 'a', status: 'running', attempt: 2, startedAt: '2026-01-01T00:00:01.000Z', duration: null,
      error: null, needs: [], outputs: {} }] };
  const view = viewOf(detail, 7, '2026-01-01T00:00:03.500Z');
  assert.equal(view.seq, 7);
  assert.equal(view.run.duration, 3500);
  assert.equal(view.steps.get('a').duration, 2500);
  assert.equal(view.steps.get('a').attempt, 2);
  assert.equal(view.steps.get('a').outputs, null);
  assert.deepEqual([...view.vars], [['x', 1]]);
});
