// The grouping of a workflow's steps by level (src/main/resources/web/graph.mjs), which the
// workflow page and the run page both show. Pure node: no browser, no server.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { byLevel, isGraph, levels, needsText, reusedText } from '../server/src/main/resources/web/graph.mjs';

const ids = (groups, id = (s) => s.id) => groups.map((g) => g.map(id));

test('a step that needs nothing is on level 0, one that needs others one above the highest of them', () => {
  const steps = [
    { id: 'a' }, { id: 'b', needs: ['a'] }, { id: 'c', needs: ['a'] }, { id: 'd', needs: ['b', 'c'] },
    { id: 'e', needs: [] }, { id: 'f', needs: ['e'] }, { id: 'g', needs: ['a', 'd'] },
  ];
  assert.deepEqual(Object.fromEntries(levels(steps)), { a: 0, b: 1, c: 1, d: 2, e: 0, f: 1, g: 3 });
  assert.deepEqual(ids(byLevel(steps)), [['a', 'e'], ['b', 'c', 'f'], ['d'], ['g']]);
});

test('a level keeps the definition order, whichever order the needs are written in', () => {
  const steps = [{ id: 'late', needs: ['early'] }, { id: 'z' }, { id: 'early' }, { id: 'mid', needs: ['z'] }];
  assert.deepEqual(ids(byLevel(steps)), [['z', 'early'], ['late', 'mid']]);
});

test("a run's steps are grouped by their stepId", () => {
  const steps = [{ stepId: 'build', needs: [] }, { stepId: 'unit', needs: ['build'] }, { stepId: 'lint', needs: ['build'] }];
  assert.deepEqual(ids(byLevel(steps, (s) => s.stepId), (s) => s.stepId), [['build'], ['unit', 'lint']]);
});

test('a long chain is as many levels deep as it is long', () => {
  const steps = Array.from({ length: 1000 }, (_, i) => ({ id: `s${i}`, needs: i ? [`s${i - 1}`] : [] }));
  const groups = byLevel(steps);
  assert.equal(groups.length, 1000);
  assert.deepEqual(groups[999].map((s) => s.id), ['s999']);
});

test('what the server refuses still shows every step once: an unknown need counts for nothing, a cycle is cut', () => {
  const steps = [{ id: 'a', needs: ['nowhere'] }, { id: 'b', needs: ['c'] }, { id: 'c', needs: ['b'] }, { id: 'd', needs: ['d'] }];
  const groups = byLevel(steps);
  assert.deepEqual(groups.flat().map((s) => s.id).sort(), ['a', 'b', 'c', 'd']);
  assert.equal(levels(steps).get('a'), 0);
});

test('only a step with needs makes a graph; otherwise the steps run in order as before', () => {
  assert.equal(isGraph([{ id: 'a' }, { id: 'b', needs: [] }]), false);
  assert.equal(isGraph([{ id: 'a' }, { id: 'b', needs: ['a'] }]), true);
});

test('the needs are worded as the pages show them', () => {
  assert.equal(needsText(['build', 'unit']), 'needs: build, unit');
  assert.equal(needsText([]), '');
  assert.equal(needsText(undefined), '');
});

test("a level's head says how many of its steps a retry reused, and when all were", () => {
  assert.equal(reusedText([{ reused: false }, {}]), '');
  assert.equal(reusedText([{ reused: true }, { reused: false }, { reused: true }]), '↺ 2 reused');
  assert.equal(reusedText([{ reused: true }]), '↺ all reused');
});
