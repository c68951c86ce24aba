import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parsePath } from '../assertions/path.js';
import { schemaAtPath } from './schema-path.js';

function at(schema: unknown, path: string) {
  const parsed = parsePath(path);
  if (!parsed.ok) throw new Error(parsed.message);
  return schemaAtPath(schema, parsed.segments);
}

const INVOICE = {
  type: 'object',
  properties: {
    total: { type: 'number' },
    lines: { type: 'array', items: { type: 'object', properties: { price: { type: 'number' } } } },
    pair: { type: 'array', prefixItems: [{ type: 'string' }, { type: 'integer' }] },
    tags: { type: 'object', additionalProperties: { type: 'string' } },
    customer: { $ref: '#/$defs/customer' },
    either: { anyOf: [{ type: 'null' }, { type: 'object', properties: { code: { type: 'string' } } }] },
    open: {},
  },
  $defs: { customer: { type: 'object', properties: { name: { type: 'string' } } } },
};

describe('schemaAtPath', () => {
  test('the root path is the whole schema', () => assert.deepEqual(at(INVOICE, ''), { declared: true, subtree: INVOICE }));
  test('a key declared in properties', () => assert.deepEqual(at(INVOICE, 'total'), { declared: true, subtree: { type: 'number' } }));
  test('an index walks items, and prefixItems by position', () => {
    assert.deepEqual(at(INVOICE, 'lines[3].price'), { declared: true, subtree: { type: 'number' } });
    assert.deepEqual(at(INVOICE, 'pair[1]'), { declared: true, subtree: { type: 'integer' } });
  });
  test('a key not in properties is undeclared, and the message names the path', () => {
    const found = at(INVOICE, 'subtotal');
    assert.equal(found.declared, false);
    assert.match((found as { missing: string }).missing, /`subtotal`/);
  });
  test('additionalProperties declares any key', () => assert.deepEqual(at(INVOICE, 'tags.anything'), { declared: true, subtree: { type: 'string' } }));
  test('local $refs are followed', () => assert.deepEqual(at(INVOICE, 'customer.name'), { declared: true, subtree: { type: 'string' } }));
  test('anyOf branches are searched', () => assert.deepEqual(at(INVOICE, 'either.code'), { declared: true, subtree: { type: 'string' } }));
  test('a level that says nothing about its shape declares what lies below it', () => {
    assert.deepEqual(at(INVOICE, 'open.deep.er'), { declared: true, subtree: {} });
    assert.deepEqual(at({ type: 'object' }, 'x'), { declared: true, subtree: {} });
    assert.deepEqual(at(true, 'x'), { declared: true, subtree: {} });
  });
  test('a scalar, an array asked for a key, or false rules the path out', () => {
    assert.equal(at(INVOICE, 'total.cents').declared, false);
    assert.equal(at(INVOICE, 'lines.price').declared, false);
    assert.equal(at({ type: 'object', properties: { a: false } }, 'a.b').declared, false);
  });
  test('a $ref cycle or a ref to another document ends, undeclared', () => {
    assert.equal(at({ $ref: '#' }, 'a').declared, false);
    assert.equal(at({ $ref: 'https://example.com/s.json' }, 'a').declared, false);
    assert.equal(at({ $ref: '#/%zz' }, 'a').declared, false);
  });
});
