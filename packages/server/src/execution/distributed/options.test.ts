import assert from 'node:assert/strict';
import { test } from 'node:test';
import { rateLimiter } from './queue-worker.js';

test('the model rate limit becomes a BullMQ limiter: whole rates per second, others as evenly spaced starts', () => {
  assert.equal(rateLimiter(null), undefined);
  assert.deepEqual(rateLimiter(20), { max: 20, duration: 1000 });
  assert.deepEqual(rateLimiter(2.5), { max: 1, duration: 400 });
  assert.deepEqual(rateLimiter(0.1), { max: 1, duration: 10_000 });
});
