import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { LATENCY_BUCKETS_SECONDS } from '../execution/distributed/metrics.js';
import { createFunctionWorkflow, createTests, startRun } from '../testing/fixtures.js';
import { startTestApp, waitForRun, type TestApp } from '../testing/harness.js';
import { histogram } from './health.js';

describe('health, readiness and metrics (embedded executor)', () => {
  let app: TestApp;
  before(async () => {
    app = await startTestApp('sqlite');
  });
  after(() => app.close());

  const get = (url: string) => app.app.inject({ method: 'GET', url });

  test('/healthz and /readyz answer without an API key', async () => {
    const health = await get('/healthz');
    assert.equal(health.statusCode, 200);
    assert.deepEqual(health.json(), { status: 'ok' });
    const ready = await get('/readyz');
    assert.equal(ready.statusCode, 200);
    assert.deepEqual(ready.json(), { status: 'ready', checks: { store: { ok: true } } });
  });

  test('/metrics counts runs by status and executed tests by verdict in Prometheus text format', async () => {
    const fixture = await createFunctionWorkflow(app, 'function transform(input) { return { n: input.n }; }');
    await createTests(app, fixture, [
      { input: { n: 1 }, path: 'n', condition: { kind: 'equals', expected: 1 } },
      { input: { n: 2 }, path: 'n', condition: { kind: 'equals', expected: 3 } },
      { input: { n: 3 }, path: 'n', condition: { kind: 'equals', expected: 3 } },
    ]);
    await waitForRun(app, (await startRun(app, fixture.workflowId)).id);

    const metrics = await get('/metrics');
    assert.equal(metrics.statusCode, 200);
    assert.match(String(metrics.headers['content-type']), /^text\/plain; version=0\.0\.4/);
    const text = metrics.body;
    assert.match(text, /^# TYPE verdict_test_runs gauge$/m);
    assert.match(text, /^verdict_test_runs\{status="completed"\} 1$/m);
    assert.match(text, /^verdict_test_runs\{status="cancelled"\} 0$/m);
    assert.match(text, /^# TYPE verdict_tests_executed_total counter$/m);
    assert.match(text, /^verdict_tests_executed_total\{verdict="passed"\} 2$/m);
    assert.match(text, /^verdict_tests_executed_total\{verdict="failed"\} 1$/m);
    assert.match(text, /^verdict_queue_depth\{queue="local",state="waiting"\} 0$/m);
  });
});

describe('readiness when Redis is unreachable', () => {
  test('/readyz answers 503 naming Redis, within a few seconds, and the process still shuts down', async () => {
    const app = await startTestApp('sqlite', { redisUrl: 'redis://127.0.0.1:9', worker: false }, { VERDICT_REDIS_PREFIX: 'verdict-unreachable' });
    try {
      const began = Date.now();
      const ready = await app.app.inject({ method: 'GET', url: '/readyz' });
      assert.equal(ready.statusCode, 503);
      const body = ready.json();
      assert.equal(body.status, 'not_ready');
      assert.deepEqual(body.checks.store, { ok: true });
      assert.equal(body.checks.redis.ok, false);
      assert.ok(Date.now() - began < 3000);
    } finally {
      await app.close();
    }
  });
});

test('histograms render cumulative buckets, +Inf, sum and count', () => {
  const lines: string[] = [];
  const counts = new Array<number>(LATENCY_BUCKETS_SECONDS.length + 1).fill(0);
  counts[0] = 2;
  counts[3] = 1;
  counts[LATENCY_BUCKETS_SECONDS.length] = 1;
  histogram(lines, 'x_seconds', 'X.', { bounds: LATENCY_BUCKETS_SECONDS, counts, sum: 400.5, count: 4 });
  assert.equal(lines[0], '# HELP x_seconds X.');
  assert.equal(lines[1], '# TYPE x_seconds histogram');
  assert.equal(lines[2], `x_seconds_bucket{le="${LATENCY_BUCKETS_SECONDS[0]}"} 2`);
  assert.equal(lines[5], `x_seconds_bucket{le="${LATENCY_BUCKETS_SECONDS[3]}"} 3`);
  assert.equal(lines.at(-4), `x_seconds_bucket{le="300"} 3`);
  assert.deepEqual(lines.slice(-3), ['x_seconds_bucket{le="+Inf"} 4', 'x_seconds_sum 400.5', 'x_seconds_count 4']);
});
