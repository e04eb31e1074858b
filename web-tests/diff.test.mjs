// The page's line diff (src/main/resources/web/diff.mjs). Pure node: no browser, no server.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lineDiff, definitionLines } from '../server/src/main/resources/web/diff.mjs';

const render = (ops) => ops.map((o) => o.op + o.text);

test('equal texts are all context', () => {
  assert.deepEqual(render(lineDiff(['a', 'b'], ['a', 'b'])), [' a', ' b']);
  assert.deepEqual(lineDiff([], []), []);
});

test('a changed line in the middle is removed then added, with the rest as context', () => {
  assert.deepEqual(render(lineDiff(['a', 'b', 'c'], ['a', 'x', 'c'])), [' a', '-b', '+x', ' c']);
});

test('insertions and deletions keep the longest common lines', () => {
  assert.deepEqual(render(lineDiff(['a', 'b', 'c', 'd'], ['b', 'c', 'e', 'd', 'f'])), ['-a', ' b', ' c', '+e', ' d', '+f']);
  assert.deepEqual(render(lineDiff([], ['a'])), ['+a']);
  assert.deepEqual(render(lineDiff(['a'], [])), ['-a']);
});

test('both sides can be read back from the diff', () => {
  const a = 'the quick brown fox jumps over the lazy dog'.split(' ');
  const b = 'a quick red fox jumped over the dog today'.split(' ');
  const ops = lineDiff(a, b);
  assert.deepEqual(ops.filter((o) => o.op !== '+').map((o) => o.text), a);
  assert.deepEqual(ops.filter((o) => o.op !== '-').map((o) => o.text), b);
  assert.equal(ops.filter((o) => o.op === ' ').length, 5, 'quick fox over the dog');
});

test('a definition is compared without what the server adds to it', () => {
  const lines = definitionLines({ id: 'w', version: 3, updatedAt: 'x', triggers: [{ id: 't', type: 'schedule', nextRunAt: 'y' }] });
  assert.equal(lines.join('\n').includes('version'), false);
  assert.equal(lines.join('\n').includes('nextRunAt'), false);
  assert.ok(lines.join('\n').includes('"type": "schedule"'));
});
