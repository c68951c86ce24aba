import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { Redis } from 'ioredis';
import { ClusterHistograms, Histogram } from './metrics.js';

test('a histogram puts each observation in the first bucket whose bound holds it, and starts afresh when taken', () => {
  const histogram = new Histogram([0.1, 1]);
  for (const seconds of [0.05, 0.1, 0.5, 7, Number.NaN, -1]) histogram.observe(seconds);
  assert.deepEqual(histogram.take(), { bounds: [0.1, 1], counts: [2, 1, 1], sum: 7.65, count: 4 });
  assert.deepEqual(histogram.take(), { bounds: [0.1, 1], counts: [0, 0, 0], sum: 0, count: 0 });
});

test('cluster histograms add up what every process observed', { skip: process.env.VERDICT_TEST_REDIS_URL ? false : 'needs VERDICT_TEST_REDIS_URL' }, async () => {
  const prefix = `verdict-test-${randomUUID()}`;
  const connections = [new Redis(process.env.VERDICT_TEST_REDIS_URL!), new Redis(process.env.VERDICT_TEST_REDIS_URL!)];
  try {
    const [first, second] = connections.map((redis) => new ClusterHistograms(redis, prefix));
    first!.observe('execution_seconds', 0.02);
    first!.observe('execution_seconds', 3);
    second!.observe('execution_seconds', 0.02);
    second!.observe('cancel_latency_seconds', 0.004);
    await Promise.all([first!.flush(), second!.flush()]);
    const execution = await first!.read('execution_seconds');
    assert.equal(execution.count, 3);
    assert.ok(Math.abs(execution.sum - 3.04) < 1e-9, String(execution.sum));
    assert.equal(execution.counts[execution.bounds.indexOf(0.025)], 2);
    assert.equal(execution.counts[execution.bounds.indexOf(5)], 1);
    const cancel = await second!.read('cancel_latency_seconds');
    assert.equal(cancel.count, 1);
    assert.equal(cancel.counts[cancel.bounds.indexOf(0.005)], 1);
  } finally {
    await connections[0]!.del(`${prefix}:metrics:execution_seconds`, `${prefix}:metrics:cancel_latency_seconds`);
    await Promise.all(connections.map((redis) => redis.quit()));
  }
});
