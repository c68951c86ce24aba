import assert from 'node:assert/strict';
import { test } from 'node:test';
import { oncePerObject } from './once-per-object.js';

test('oncePerObject computes once per object, apart for equal but distinct objects, and remembers falsy values', () => {
  const computed: object[] = [];
  const keysOf = oncePerObject((value: Record<string, unknown>) => {
    computed.push(value);
    return Object.keys(value).length === 0 ? 0 : Object.keys(value).join(',');
  });
  const schema = { a: 1, b: 2 };
  const empty = {};
  assert.equal(keysOf(schema), 'a,b');
  assert.equal(keysOf(schema), 'a,b');
  assert.equal(keysOf({ a: 1, b: 2 }), 'a,b');
  assert.equal(keysOf(empty), 0);
  assert.equal(keysOf(empty), 0);
  assert.equal(computed.length, 3, 'the same object twice is computed once, an equal one again, a falsy answer once');
});
