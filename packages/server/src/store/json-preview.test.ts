import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { previewObject, previewOf } from './json-preview.js';

const OPTIONS = { previewCharacters: 20, nullWhenCut: new Set(['failure']) };

/** The windows a list query reads of a stored text: its first and last `window` characters. */
const windowsOf = (text: string, window: number) => [text.slice(0, window), text.slice(Math.max(0, text.length - window))] as const;

describe('previewObject', () => {
  test('a long member in the middle is cut to a preview; the members around it are kept whole', () => {
    const stored = { assertion_id: 'assert_1', outcome: 'failed', actual_value: { rows: 'x'.repeat(5000) }, expected_value: [1, 2], failure: { code: 'not_equal', message: 'm', details: {} } };
    const [head, tail] = windowsOf(JSON.stringify(stored), 200);
    const preview = previewObject(head, tail, OPTIONS)!;
    assert.deepEqual(preview.cutKeys, ['actual_value']);
    assert.deepEqual(Object.keys(preview.value), Object.keys(stored), 'members keep their order');
    assert.equal(preview.value.actual_value, `{"rows":"${'x'.repeat(11)}…`);
    assert.deepEqual(preview.value.expected_value, [1, 2]);
    assert.deepEqual(preview.value.failure, stored.failure);
  });

  test('a cut string shows its own characters; a cut member of object type becomes null', () => {
    const [head, tail] = windowsOf(JSON.stringify({ message: `é"\\${'y'.repeat(5000)}`, block_id: 'blk' }), 100);
    assert.deepEqual(previewObject(head, tail, OPTIONS), { value: { message: `é"\\${'y'.repeat(14)}…`, block_id: 'blk' }, cutKeys: ['message'] });
    const [failureHead, failureTail] = windowsOf(JSON.stringify({ outcome: 'blocked', failure: { code: 'x', message: 'z'.repeat(5000) } }), 100);
    assert.deepEqual(previewObject(failureHead, failureTail, OPTIONS), { value: { outcome: 'blocked', failure: null }, cutKeys: ['failure'] });
  });

  test('a member complete in the last window is taken whole even when the first window cut it', () => {
    const text = JSON.stringify({ a: 'x'.repeat(150), b: 1 });
    const [head, tail] = windowsOf(text, text.length - 1);
    assert.deepEqual(previewObject(head, tail, OPTIONS), { value: { a: 'x'.repeat(150), b: 1 }, cutKeys: [] });
  });

  test('quotes, backslashes and brackets inside strings do not confuse either scan', () => {
    const stored = { k: '}{][,"\\', big: 'q'.repeat(3000), tricky: ['\\"}', '\\\\', { '"': ',' }], last: '\\' };
    const [head, tail] = windowsOf(JSON.stringify(stored), 60);
    const preview = previewObject(head, tail, OPTIONS)!;
    assert.deepEqual(preview.value, { k: stored.k, big: `${'q'.repeat(19)}…`, tricky: stored.tricky, last: '\\' });
  });

  test('a text that is not an object has no preview', () => {
    assert.equal(previewObject('[1,2', '2]', OPTIONS), null);
    assert.equal(previewObject('"abc', 'c"', OPTIONS), null);
  });

  test('for any object and any window: kept members are exact, cut ones are previews, order is kept', () => {
    const member = fc.oneof(fc.string(), fc.integer(), fc.constant(null), fc.array(fc.string({ maxLength: 30 })), fc.dictionary(fc.string({ maxLength: 5 }), fc.string({ maxLength: 40 })));
    fc.assert(
      fc.property(fc.dictionary(fc.string({ maxLength: 8 }), member, { minKeys: 1 }), fc.integer({ min: 1, max: 400 }), (generated, window) => {
        const text = JSON.stringify(generated);
        const stored = JSON.parse(text) as Record<string, unknown>;
        const [head, tail] = windowsOf(text, window);
        const preview = previewObject(head, tail, OPTIONS)!;
        const keys = Object.keys(stored);
        assert.deepEqual(Object.keys(preview.value), keys.filter((key) => Object.hasOwn(preview.value, key)), 'a subsequence of the stored keys');
        assert.ok(preview.cutKeys.length <= 1);
        for (const [key, value] of Object.entries(preview.value)) {
          if (preview.cutKeys.includes(key)) assert.ok(value === null || (typeof value === 'string' && value.endsWith('…')));
          else assert.deepEqual(value, stored[key]);
        }
        if (text.length <= window) assert.deepEqual(preview.value, stored, 'a text inside the window is read whole');
      }),
      { numRuns: 500 },
    );
  });
});

test('previewOf cuts JSON text, and reads strings even when the cut splits an escape', () => {
  assert.equal(previewOf('{"a":[1,2,3', 6), '{"a":[…');
  assert.equal(previewOf('"ab\\u00e9cd', 6), 'ab…');
  assert.equal(previewOf('"ab\\u00e9cd', 9), 'abé…');
  assert.equal(previewOf('"ab\\\\cd', 5), 'ab\\…');
  assert.equal(previewOf('"ab\\ncd', 4), 'ab…');
  assert.equal(previewOf('12345', 3), '123…');
});
