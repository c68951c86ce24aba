import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { isStructured, jsonDiff, type DiffLine } from './json-diff.js';

const show = (lines: DiffLine[]) => lines.map((line) => `${{ same: ' ', removed: '-', added: '+' }[line.change]} ${line.text}`);

describe('jsonDiff', () => {
  test('equal values are all shared lines', () => {
    assert.deepEqual(show(jsonDiff({ a: [1, 2] }, { a: [1, 2] })), ['  {', '    "a": [', '      1,', '      2', '    ]', '  }']);
  });

  test('a changed field shows the expected line, then the actual one, keeping the rest shared', () => {
    assert.deepEqual(show(jsonDiff({ total: 30, currency: 'EUR' }, { total: 31, currency: 'EUR' })), [
      '  {',
      '-   "total": 30,',
      '+   "total": 31,',
      '    "currency": "EUR"',
      '  }',
    ]);
  });

  test('missing and unexpected keys are removed and added lines; commas follow the merged key order', () => {
    assert.deepEqual(show(jsonDiff({ a: 1, b: 2 }, { a: 1, c: { d: true } })), [
      '  {',
      '    "a": 1,',
      '-   "b": 2,',
      '+   "c": {',
      '+     "d": true',
      '+   }',
      '  }',
    ]);
  });

  test('nested objects and arrays are compared inside, arrays index by index', () => {
    assert.deepEqual(show(jsonDiff({ items: [{ price: 1 }, { price: 2 }] }, { items: [{ price: 1 }, { price: 3 }, { price: 4 }] })), [
      '  {',
      '    "items": [',
      '      {',
      '        "price": 1',
      '      },',
      '      {',
      '-       "price": 2',
      '+       "price": 3',
      '      },',
      '+     {',
      '+       "price": 4',
      '+     }',
      '    ]',
      '  }',
    ]);
  });

  test('strict: true and 1 differ, as they do for the equals assertion', () => {
    assert.deepEqual(show(jsonDiff({ ok: true }, { ok: 1 })), ['  {', '-   "ok": true', '+   "ok": 1', '  }']);
  });

  test('reasoning___ side-car keys are not shown as differences', () => {
    const lines = jsonDiff({ total: 1 }, { total: 2, reasoning___total: 'summed the lines' });
    assert.equal(lines.find((line) => line.text.includes('reasoning___'))?.change, 'same');
  });

  test('values of different types replace each other whole', () => {
    assert.deepEqual(show(jsonDiff([1], { a: 1 })), ['- [', '-   1', '- ]', '+ {', '+   "a": 1', '+ }']);
  });

  test('an absent value prints as null instead of failing', () => {
    assert.deepEqual(show(jsonDiff(undefined, 'x')), ['- null', '+ "x"']);
  });
});

test('isStructured: objects and arrays only', () => {
  assert.deepEqual([{}, [], null, 'a', 1].map(isStructured), [true, true, false, false, false]);
});
