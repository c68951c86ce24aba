import assert from 'node:assert/strict';
import { test } from 'node:test';
import { distributedOptionsFromEnv } from './options.js';
import { rateLimiter } from './queue-worker.js';

test('defaults: recovery after ~3 s, a window of 2000 jobs per run, no model rate limit', () => {
  assert.deepEqual(distributedOptionsFromEnv('redis://r:6379', {}), {
    redisUrl: 'redis://r:6379',
    prefix: 'verdict',
    windowPerRun: 2000,
    modelRateLimitPerSecond: null,
    lockDurationMs: 3000,
    stalledIntervalMs: 1000,
    drainTimeoutMs: 10_000,
  });
});

test('every setting is read from its variable', () => {
  const options = distributedOptionsFromEnv('redis://r', {
    VERDICT_REDIS_PREFIX: 'staging',
    VERDICT_QUEUE_WINDOW: '500',
    VERDICT_MODEL_RATE_LIMIT: '2.5',
    VERDICT_WORKER_LOCK_MS: '10000',
    VERDICT_WORKER_STALLED_CHECK_MS: '2000',
    VERDICT_WORKER_DRAIN_MS: '30000',
  });
  assert.deepEqual(
    [options.prefix, options.windowPerRun, options.modelRateLimitPerSecond, options.lockDurationMs, options.stalledIntervalMs, options.drainTimeoutMs],
    ['staging', 500, 2.5, 10_000, 2000, 30_000],
  );
});

test('a value that cannot be used stops the start with the variable named', () => {
  assert.throws(() => distributedOptionsFromEnv('redis://r', { VERDICT_MODEL_RATE_LIMIT: 'fast' }), /VERDICT_MODEL_RATE_LIMIT must be a positive number; got "fast"/);
  assert.throws(() => distributedOptionsFromEnv('redis://r', { VERDICT_MODEL_RATE_LIMIT: '0' }), /VERDICT_MODEL_RATE_LIMIT/);
  assert.throws(() => distributedOptionsFromEnv('redis://r', { VERDICT_QUEUE_WINDOW: '10.5' }), /VERDICT_QUEUE_WINDOW must be a whole number/);
  assert.throws(() => distributedOptionsFromEnv('redis://r', { VERDICT_WORKER_LOCK_MS: '-1' }), /VERDICT_WORKER_LOCK_MS/);
});

test('the model rate limit becomes a BullMQ limiter: whole rates per second, others as evenly spaced starts', () => {
  assert.equal(rateLimiter(null), undefined);
  assert.deepEqual(rateLimiter(20), { max: 20, duration: 1000 });
  assert.deepEqual(rateLimiter(2.5), { max: 1, duration: 400 });
  assert.deepEqual(rateLimiter(0.1), { max: 1, duration: 10_000 });
});
