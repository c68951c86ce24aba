import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BoundedCache } from '@verdict/core/assertions/lru';

function cacheOf(capacity: number): { cache: BoundedCache<string, string>; evicted: string[] } {
  const evicted: string[] = [];
  return { cache: new BoundedCache<string, string>(capacity, (value) => evicted.push(value)), evicted };
}

test('keeps the most recently used values and hands the least recently used one out', () => {
  const { cache, evicted } = cacheOf(2);
  cache.set('a', 'A');
  cache.set('b', 'B');
  assert.equal(cache.get('a'), 'A');
  cache.set('c', 'C');
  assert.deepEqual(evicted, ['B']);
  assert.deepEqual([cache.get('a'), cache.get('b'), cache.get('c'), cache.size], ['A', undefined, 'C', 2]);
});

test('replacing a key hands out the old value', () => {
  const { cache, evicted } = cacheOf(2);
  cache.set('a', 'first');
  cache.set('a', 'second');
  assert.deepEqual(evicted, ['first']);
  assert.equal(cache.get('a'), 'second');
});

test('clear hands out every value', () => {
  const { cache, evicted } = cacheOf(3);
  cache.set('a', 'A');
  cache.set('b', 'B');
  cache.clear();
  assert.deepEqual(evicted.sort(), ['A', 'B']);
  assert.equal(cache.size, 0);
});
