import assert from 'node:assert/strict';
import { test } from 'node:test';
import { findUnsafeText } from './text-safety.js';

test('findUnsafeText names each string or key holding NUL or an unpaired surrogate', () => {
  const value = { ok: 'plain é 😀 \uFFFD', nul: 'a\u0000b', list: ['x', '\uD800', '\uDC00y', '\uDE00\uD83D'], nested: { 'key\u0000': 'fine' } };
  assert.deepEqual(
    findUnsafeText(value)
      .map(({ path, message }) => [path.join('.'), /NUL|surrogate \(\\u[0-9A-F]{4}\)|key/.exec(message)?.[0]])
      .sort(),
    [
      ['list.1', 'surrogate (\\uD800)'],
      ['list.2', 'surrogate (\\uDC00)'],
      ['list.3', 'surrogate (\\uDE00)'],
      ['nested.key\\u0000', 'key'],
      ['nul', 'NUL'],
    ],
  );
  assert.deepEqual(findUnsafeText({ a: ['b', { c: 'd' }], e: 1, f: null, g: Buffer.from([0]) }), []);
  assert.deepEqual(findUnsafeText('\u0000'), [{ path: [], message: findUnsafeText(['\u0000'])[0]!.message }]);
});

test('findUnsafeText stops at its limit and walks deep values without recursion', () => {
  assert.equal(findUnsafeText(Array.from({ length: 100 }, () => '\u0000'), 5).length, 5);
  let deep: unknown = '\u0000';
  for (let level = 0; level < 100_000; level++) deep = [deep];
  assert.equal(findUnsafeText(deep)[0]!.path.length, 100_000);
});
