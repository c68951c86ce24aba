import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BoundedCache } from './lru.js';

test('BoundedCache forgets the least recently used entry beyond its capacity', () => {
  const cache = new BoundedCache<string, number>(2);
  cache.set('a', 1);
  cache.set('b', 2);
  assert.equal(cache.get('a'), 1);
  cache.set('c', 3);
  assert.deepEqual([cache.get('a'), cache.get('b'), cache.get('c'), cache.size], [1, undefined, 3, 2]);
});
