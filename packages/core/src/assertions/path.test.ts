import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { formatPath, parsePath, resolvePath } from './path.js';

const invoice = { vendor: { name: 'Acme', zip: null }, items: [{ price: 3 }, { price: 4, tags: ['a', 'b'] }], '0': 'zero key', 'with space': 1 };

describe('resolvePath', () => {
  const found: [string | null | undefined, unknown][] = [
    [null, invoice],
    [undefined, invoice],
    ['', invoice],
    ['   ', invoice],
    ['vendor.name', 'Acme'],
    ['vendor.zip', null],
    ['items.0.price', 3],
    ['items[1].price', 4],
    ['items[1].tags[1]', 'b'],
    ['items.1.tags.0', 'a'],
    ['0', 'zero key'],
    ['with space', 1],
  ];
  for (const [path, value] of found) {
    test(`finds ${JSON.stringify(path)}`, () => assert.deepEqual(resolvePath(invoice, path), { found: true, value }));
  }

  const missing: [string, string][] = [
    ['vendor.city', '`vendor` has no key `city`'],
    ['vendor.zip.code', '`vendor.zip` is null'],
    ['items[5].price', '`items` has 2 items, so index 5 is out of range'],
    ['items.first', '`items` is an array, so it has no key `first`'],
    ['vendor.name.first', '`vendor.name` is a string, not an object or array'],
    ['items.01', '`items` is an array, so it has no key `01`'],
    ['toString', 'the output has no key `toString`'],
    ['__proto__', 'the output has no key `__proto__`'],
  ];
  for (const [path, reason] of missing) {
    test(`reports ${path} as missing: ${reason}`, () => assert.deepEqual(resolvePath(invoice, path), { found: false, missing: reason }));
  }

  test('walking into a null payload finds nothing', () => {
    assert.deepEqual(resolvePath(null, 'a'), { found: false, missing: 'the output is null' });
  });

  test('a root array is indexed with a leading bracket', () => {
    assert.deepEqual(resolvePath([[1, 2]], '[0][1]'), { found: true, value: 2 });
  });

  test('a malformed path resolves to nothing instead of throwing', () => {
    const resolution = resolvePath(invoice, 'items[x');
    assert.equal(resolution.found, false);
    assert.match(resolution.found ? '' : resolution.missing, /malformed/);
  });
});

describe('parsePath', () => {
  test('keys, dotted indices and bracket indices', () => {
    assert.deepEqual(parsePath('a.0.b[12][3].c'), { ok: true, segments: ['a', 0, 'b', 12, 3, 'c'] });
  });

  const malformed: [string, RegExp][] = [
    ['items[x', /the `\[` at position 6 is never closed/],
    ['items[x]', /`\[x\]` is not an array index/],
    ['items[-1]', /`\[-1\]` is not an array index/],
    ['a..b', /empty segment at position 3/],
    ['.a', /starts with a dot/],
    ['a.', /ends with a dot/],
    ['a]', /the `\]` at position 2 has no matching `\[`/],
    ['a[0]b', /expected `.` or `\[` at position 5, found `b`/],
  ];
  for (const [path, reason] of malformed) {
    test(`refuses ${path}`, () => {
      const parsed = parsePath(path);
      assert.equal(parsed.ok, false);
      assert.match(parsed.ok ? '' : parsed.message, reason);
      assert.match(parsed.ok ? '' : parsed.message, new RegExp(`^the path \`${path.replace(/[[\].]/g, '\\$&')}\` is malformed`));
    });
  }
});

describe('formatPath', () => {
  test('writes indices in brackets and keys dotted', () => {
    assert.equal(formatPath(['items', 0, 'price']), 'items[0].price');
    assert.equal(formatPath([2, 'a']), '[2].a');
    assert.equal(formatPath([]), '');
  });
});
