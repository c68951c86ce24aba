import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mergePatch, replaceConfig, updateConfig } from './merge-patch.js';

describe('mergePatch', () => {
  // The test cases of RFC 7396, Appendix A.
  const rfcExamples: Array<[unknown, unknown, unknown]> = [
    [{ a: 'b' }, { a: 'c' }, { a: 'c' }],
    [{ a: 'b' }, { b: 'c' }, { a: 'b', b: 'c' }],
    [{ a: 'b' }, { a: null }, {}],
    [{ a: 'b', b: 'c' }, { a: null }, { b: 'c' }],
    [{ a: ['b'] }, { a: 'c' }, { a: 'c' }],
    [{ a: 'c' }, { a: ['b'] }, { a: ['b'] }],
    [{ a: { b: 'c' } }, { a: { b: 'd', c: null } }, { a: { b: 'd' } }],
    [{ a: [{ b: 'c' }] }, { a: [1] }, { a: [1] }],
    [['a', 'b'], ['c', 'd'], ['c', 'd']],
    [{ a: 'b' }, ['c'], ['c']],
    [{ a: 'foo' }, null, null],
    [{ a: 'foo' }, 'bar', 'bar'],
    [{ e: null }, { a: 1 }, { e: null, a: 1 }],
    [[1, 2], { a: 'b', c: null }, { a: 'b' }],
    [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
  ];
  rfcExamples.forEach(([target, patch, expected], index) => {
    test(`RFC 7396 example ${index + 1}`, () => assert.deepEqual(mergePatch(target, patch), expected));
  });

  test('does not modify its arguments', () => {
    const target = { a: { b: 1, c: [1] } };
    const patch = { a: { b: 2, d: null } };
    const before = structuredClone({ target, patch });
    mergePatch(target, patch);
    assert.deepEqual({ target, patch }, before);
  });

  test('a __proto__ key is stored as data, never as the prototype', () => {
    const patch = JSON.parse('{"__proto__": {"polluted": true}, "a": {"__proto__": {"x": 1}}}');
    const merged = mergePatch({}, patch) as Record<string, unknown>;
    assert.equal(Object.getPrototypeOf(merged), Object.prototype);
    assert.deepEqual(Object.keys(merged), ['__proto__', 'a']);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.equal((merged.a as Record<string, unknown>).x, undefined);
  });

  test('any nesting depth is safe', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 200_000; i++) deep = { a: deep };
    assert.equal(typeof mergePatch({}, deep), 'object');
  });
});

test('replaceConfig prunes top-level nulls only', () => {
  assert.deepEqual(replaceConfig({ a: null, b: { c: null }, d: [null] }), { b: { c: null }, d: [null] });
});

test('updateConfig merges by default and replaces on request', () => {
  const current = { model: 'a', json_schema: { type: 'object' }, n_consensus: 3 };
  assert.deepEqual(updateConfig(current, { model: 'b', n_consensus: null }), { model: 'b', json_schema: { type: 'object' } });
  assert.deepEqual(updateConfig(current, { model: 'b', n_consensus: null }, 'replace'), { model: 'b' });
  assert.deepEqual(updateConfig(null, { x: 1 }), { x: 1 });
});
