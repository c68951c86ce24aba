import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fieldChanges, unifiedDiff } from './diff.js';

test('fieldChanges reports each differing leaf with its action', () => {
  const before = { label: 'a', config: { model: 'x', n: 1, list: [1, 2] } };
  const after = { label: 'a', config: { model: 'y', list: [1, 2, 3], extra: true } };
  assert.deepEqual(
    fieldChanges(before, after).map((c) => [c.path_display, c.action, c.before, c.after]),
    [
      ['config.model', 'update', 'x', 'y'],
      ['config.n', 'delete', 1, null],
      ['config.list', 'update', [1, 2], [1, 2, 3]],
      ['config.extra', 'create', null, true],
    ],
  );
});

test('fieldChanges ignores key order and reports nothing for equal values', () => {
  assert.deepEqual(fieldChanges({ a: { x: 1, y: 2 } }, { a: { y: 2, x: 1 } }), []);
});

test('multi-line strings carry a unified diff', () => {
  const [change] = fieldChanges({ code: 'a\nb\nc' }, { code: 'a\nB\nc' });
  assert.equal(change.unified_diff, '--- before\n+++ after\n@@ -1,3 +1,3 @@\n a\n-b\n+B\n c');
  assert.equal(fieldChanges({ x: 'a' }, { x: 'b' })[0].unified_diff, null);
});

test('unifiedDiff aligns common lines and shows additions and removals', () => {
  assert.equal(unifiedDiff('', 'x\ny'), '--- before\n+++ after\n@@ -1,0 +1,2 @@\n+x\n+y');
  assert.equal(unifiedDiff('k\nold\nk2', 'k\nk2\nnew'), '--- before\n+++ after\n@@ -1,3 +1,3 @@\n k\n-old\n k2\n+new');
});

test('unifiedDiff of very long texts stays fast', () => {
  const lines = (n: number, tag: string) => Array.from({ length: n }, (_, i) => `${tag}${i}`).join('\n');
  const started = performance.now();
  const diff = unifiedDiff(lines(5000, 'a'), lines(5000, 'b'));
  assert.ok(performance.now() - started < 500);
  assert.equal(diff.split('\n').length, 3 + 10_000);
});
