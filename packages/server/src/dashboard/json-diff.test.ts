import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { isStructured, jsonDiff, prettyJson, RENDER_DEPTH_LIMIT, type DiffLine } from './json-diff.js';

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

describe('values nested past the render depth limit', () => {
  const nested = (depth: number, leaf: unknown): unknown => {
    let value = leaf;
    for (let level = 0; level < depth; level++) value = level % 2 === 0 ? [value] : { k: value };
    return value;
  };
  const mark = `… nested deeper than ${RENDER_DEPTH_LIMIT} levels`;

  test('prettyJson prints up to the limit and marks the container past it', () => {
    assert.equal(prettyJson(nested(RENDER_DEPTH_LIMIT, 'leaf')), JSON.stringify(nested(RENDER_DEPTH_LIMIT, 'leaf'), null, 2));
    const printed = prettyJson(nested(RENDER_DEPTH_LIMIT + 1, 'leaf'));
    assert.ok(!printed.includes('leaf'));
    assert.equal(printed.split(mark).length, 2);
    assert.match(printed, new RegExp(`^ {${2 * RENDER_DEPTH_LIMIT}}("k": )?${mark}$`, 'm'), 'the mark sits where the cut container was');
  });

  test('prettyJson and jsonDiff handle values 100,000 deep without overflowing', () => {
    const deep = nested(100_000, 'leaf');
    assert.match(prettyJson(deep), new RegExp(mark));
    const lines = jsonDiff(deep, { other: true });
    assert.ok(lines.some((line) => line.change === 'removed' && line.text.includes(mark)));
    assert.ok(lines.some((line) => line.change === 'added' && line.text.includes('"other": true')));
  });
});
