import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { configFromEnv } from '../config.js';
import { LATENCY_BUCKETS_SECONDS } from '../execution/distributed/metrics.js';
import { buildApp } from '../http/app.js';
import { startServer } from '../server.js';
import { createFunctionWorkflow, createTests, sleep, startRun } from '../testing/fixtures.js';
import { startTestApp, testStores, waitForRun, type TestApp } from '../testing/harness.js';
import { pendingRun } from '../testing/pending-run.js';
import { startMetricsServer } from '../http/metrics-server.js';
import { histogram } from './health.js';

const METRICS_TOKEN = 'metrics-token-for-tests';

describe('health, readiness and metrics (embedded executor)', () => {
  let app: TestApp;
  let withToken: FastifyInstance;
  before(async () => {
    app = await startTestApp('sqlite');
    withToken = await buildApp({ services: app.runtime.services, metrics: { token: METRICS_TOKEN } });
  });
  after(async () => {
    await withToken.close();
    await app.close();
  });

  const get = (url: string) => withToken.inject({ method: 'GET', url, headers: { authorization: `Bearer ${METRICS_TOKEN}` } });

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

for (const store of testStores()) {
  describe(`/metrics is for the operator's scraper and costs the store nothing per scrape (${store})`, () => {
    let app: TestApp;
    let withToken: FastifyInstance;
    const maxAgeMs = 400;
    before(async () => {
      app = await startTestApp(store);
      withToken = await buildApp({ services: app.runtime.services, metrics: { token: METRICS_TOKEN, maxAgeMs } });
    });
    after(async () => {
      await withToken.close();
      await app.close();
    });

    const scrape = (headers: Record<string, string> = { authorization: `Bearer ${METRICS_TOKEN}` }) => withToken.inject({ method: 'GET', url: '/metrics', headers });

    test('anonymous callers, wrong tokens and API keys get the 401 envelope; the token gets the text format', async () => {
      for (const headers of [{}, { authorization: 'Bearer wrong' }, { authorization: METRICS_TOKEN }, { 'api-key': app.apiKey }, { authorization: `Bearer ${app.apiKey}` }] as Record<string, string>[]) {
        const refused = await scrape(headers);
        assert.equal(refused.statusCode, 401, JSON.stringify(headers));
        assert.equal(refused.json().detail.code, 'unauthorized');
        assert.match(refused.json().detail.message, /VERDICT_METRICS_TOKEN/);
        assert.equal(refused.headers['www-authenticate'], 'Bearer realm="metrics"');
      }
      const withoutToken = await app.app.inject({ method: 'GET', url: '/metrics' });
      assert.equal(withoutToken.statusCode, 401, 'with no token configured the API port serves no metrics');
      assert.match(withoutToken.json().detail.message, /VERDICT_METRICS_PORT/);
      const served = await scrape();
      assert.equal(served.statusCode, 200);
      assert.match(String(served.headers['content-type']), /^text\/plain; version=0\.0\.4/);
      assert.match(served.body, /^verdict_test_runs\{status="pending"\} \d+$/m);
    });

    test('scrapes within the snapshot age do not query the store; the next one after it does', async () => {
      await sleep(maxAgeMs);
      const pendingRuns = (text: string) => Number(/^verdict_test_runs\{status="pending"\} (\d+)$/m.exec(text)?.[1]);
      const before = pendingRuns((await scrape()).body);
      await pendingRun(app.runtime.services.store, `wftestrun_metrics_${store}`, 3);
      const scrapes = await Promise.all(Array.from({ length: 50 }, () => scrape()));
      assert.deepEqual(new Set(scrapes.map((response) => pendingRuns(response.body))), new Set([before]), 'answered from the snapshot');
      await sleep(maxAgeMs + 50);
      assert.equal(pendingRuns((await scrape()).body), before + 1, 'refreshed from the store');
    });
  });
}

test('VERDICT_METRICS_PORT serves /metrics on its own port, VERDICT_METRICS_TOKEN guards the API port', async () => {
  const freePort = () =>
    new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const { port } = probe.address() as { port: number };
        probe.close(() => resolve(port));
      });
    });
  const metricsPort = await freePort();
  const dataDir = await mkdtemp(join(tmpdir(), 'verdict-metrics-port-'));
  const config = configFromEnv({ VERDICT_METRICS_PORT: String(metricsPort), VERDICT_METRICS_TOKEN: METRICS_TOKEN }, { dataDir, port: 0, seedDemo: false, worker: false, sandboxThreads: 1 });
  const server = await startServer(config, []);
  try {
    const onMetricsPort = await fetch(`http://127.0.0.1:${metricsPort}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    assert.equal(onMetricsPort.status, 200);
    assert.match(await onMetricsPort.text(), /^# TYPE verdict_test_runs gauge$/m);
    const anonymous = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
    assert.equal(anonymous.status, 401, 'a configured token is required on the metrics port too');
    assert.equal((await fetch(`http://127.0.0.1:${metricsPort}/healthz`)).status, 404, 'the metrics port serves metrics only');
    assert.equal((await fetch(`${server.url}/metrics`)).status, 401);
    assert.equal((await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).status, 200);
  } finally {
    await server.close();
    await rm(dataDir, { recursive: true, force: true });
  }
  await assert.rejects(fetch(`http://127.0.0.1:${metricsPort}/metrics`), 'closed with the server');
});

test('without a token, the metrics port answers anonymous scrapers', async () => {
  const app = await startTestApp('sqlite');
  const metricsServer = await startMetricsServer(app.runtime.services, { token: null }, { port: 0, host: '127.0.0.1' });
  try {
    const { port } = metricsServer.server.address() as { port: number };
    const response = await fetch(`http://127.0.0.1:${port}/metrics`);
    assert.equal(response.status, 200);
    assert.match(await response.text(), /^verdict_tests_executed_total\{verdict="passed"\} \d+$/m);
  } finally {
    await metricsServer.close();
    await app.close();
  }
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
