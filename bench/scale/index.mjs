#!/usr/bin/env node
// Measures the scaled-out deployment on this machine: one `verdict serve --no-worker` API process
// and `verdict worker` processes on a throwaway PostgreSQL and Redis (scripts/services.mjs, or
// VERDICT_TEST_DATABASE_URL / VERDICT_TEST_REDIS_URL when set).
// Build first (`npx tsc -b`), then: node bench/scale/index.mjs [tests per run, default 2000]
// Prints: the machine and its load; the embedded executor (`verdict serve` on SQLite) on the same
// run as the baseline; throughput (tests/s, from POST of the run to its completion) with one and
// with two worker processes; for each, the CPU seconds every process serving it used per test (the
// API, workers, PostgreSQL's postmaster and backends, redis-server; not this client) and the
// projected CPU-hours per million tests; cancel propagation across processes (client's cancel →
// the run's tests stopped in their worker, and the workers' own publish → slot freed histogram).
// BENCH_VERDICT_CLI=<path to packages/cli/bin/verdict.js> measures another build (A/B).
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import os from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import pg from 'pg';
import { startTestServices } from '../../scripts/services.mjs';
import { measureCpu, servicePids } from './cpu.mjs';

const TESTS = Number(process.argv[2] ?? 2000);
const WARM_UP_TESTS = 200;
const CANCEL_ROUNDS = 10;
const API_KEY = 'vk_bench_scale_0123456789abcdef';
const CLI = process.env.BENCH_VERDICT_CLI ?? new URL('../../packages/cli/bin/verdict.js', import.meta.url).pathname;

// A realistic small function block: a line-item total, checked against its expected value.
const LINE_ITEM_TOTAL = `function transform(input) {
  let total = 0;
  for (const item of input.line_items) total += item.price * item.qty;
  return { invoice: input.invoice, total: Math.round(total * 100) / 100 };
}`;
const SPIN_FOREVER = 'function transform(input) { while (true) {} }';

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function invoice(n) {
  const line_items = Array.from({ length: 5 }, (_, i) => ({ sku: `SKU-${n}-${i}`, price: 9.99 + i, qty: 1 + ((n + i) % 4) }));
  const total = Math.round(line_items.reduce((sum, item) => sum + item.price * item.qty, 0) * 100) / 100;
  return { input: { invoice: `INV-${n}`, line_items }, total };
}

async function freePort() {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address();
  server.close();
  return port;
}

function spawnVerdict(args, env) {
  // Unsupervised: the pids whose CPU the benchmark reads must be the server's and the workers', not their supervisors'.
  const child = spawn(process.execPath, [CLI, ...args, '--no-supervise'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const output = [];
  for (const stream of [child.stdout, child.stderr]) stream.on('data', (chunk) => output.push(...chunk.toString('utf8').split('\n').filter(Boolean)));
  return {
    child,
    async ready(pattern) {
      const deadline = Date.now() + 30_000;
      while (!output.some((line) => pattern.test(line))) {
        if (child.exitCode !== null || Date.now() > deadline) throw new Error(`verdict ${args.join(' ')} did not start:\n${output.join('\n')}`);
        await sleep(20);
      }
    },
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
}

function client(baseUrl) {
  return async function call(method, path, body) {
    const response = await fetch(`${baseUrl}${path}`, {
      method,
      headers: { 'api-key': API_KEY, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    if (response.status >= 300) throw new Error(`${method} ${path}: ${response.status} ${text}`);
    return text ? JSON.parse(text) : undefined;
  };
}

async function createWorkflow(call, code, count, testFor) {
  const workflow = await call('POST', '/v1/workflows', { name: 'bench-scale' });
  const block = await call('POST', '/v1/workflows/blocks', {
    workflow_id: workflow.id,
    type: 'function',
    config: { language: 'javascript', code, output_schema: {}, timeout_seconds: 60 },
  });
  for (let first = 0; first < count; first += 50) {
    const batch = Array.from({ length: Math.min(50, count - first) }, (_, index) => first + index);
    await Promise.all(batch.map((n) => call('POST', '/v1/workflows/tests', { workflow_id: workflow.id, target: { type: 'block', block_id: block.id }, ...testFor(n) })));
  }
  return workflow.id;
}

function invoiceTest(n) {
  const { input, total } = invoice(n);
  return {
    source: { type: 'manual', handle_inputs: { 'input-json-0': { type: 'json', data: input } } },
    assertion: { target: { output_handle_id: 'output-json-0', path: 'total' }, condition: { kind: 'equals', expected: total } },
  };
}

const loadAverage = () => os.loadavg().map((load) => load.toFixed(1)).join(' ');

/** A timed run with the CPU its serving processes used: per test, and projected to a million tests. */
async function costedRun(label, roots, call, workflowId, expected) {
  const { result, used, total } = await measureCpu(roots, () => timedRun(call, workflowId, expected));
  const perTestMs = (total / expected) * 1000;
  const parts = Object.entries(used).map(([name, seconds]) => `${name} ${seconds.toFixed(2)}`).join(', ');
  console.log(`${label}: ${expected} tests in ${result.seconds.toFixed(2)} s = ${result.testsPerSecond.toFixed(0)} tests/s; CPU ${total.toFixed(2)} s (${parts}) = ${perTestMs.toFixed(3)} ms/test = ${((perTestMs / 1000) * 1e6 / 3600).toFixed(2)} CPU-hours per million tests; load ${loadAverage()}`);
  return result;
}

/** The embedded executor (SQLite, no Redis) on the same workload: what scaling out is compared with. */
async function measureEmbedded() {
  const embeddedDir = await mkdtemp(join(os.tmpdir(), 'verdict-bench-scale-embedded-'));
  const embeddedEnv = { ...process.env, VERDICT_API_KEY: API_KEY, VERDICT_DATA_DIR: embeddedDir };
  for (const name of ['VERDICT_DATABASE_URL', 'VERDICT_REDIS_URL']) delete embeddedEnv[name];
  const port = await freePort();
  const server = spawnVerdict(['serve', '--no-demo', '--port', String(port)], embeddedEnv);
  try {
    await server.ready(/Verdict is serving/);
    const call = client(`http://127.0.0.1:${port}`);
    const warmUp = await createWorkflow(call, LINE_ITEM_TOTAL, WARM_UP_TESTS, invoiceTest);
    const workload = await createWorkflow(call, LINE_ITEM_TOTAL, TESTS, invoiceTest);
    await timedRun(call, warmUp, WARM_UP_TESTS);
    return await costedRun('embedded (serve, SQLite)', { serve: server.child.pid }, call, workload, TESTS);
  } finally {
    await server.stop();
    await rm(embeddedDir, { recursive: true, force: true });
  }
}

async function waitForRun(call, runId, done, timeoutMs = 600_000, pollMs = 5) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const run = await call('GET', `/v1/workflows/tests/runs/${runId}`);
    if (done(run)) return run;
    if (Date.now() > deadline) throw new Error(`run ${runId} still ${run.lifecycle.status}: ${JSON.stringify(run.counts)}`);
    await sleep(pollMs);
  }
}

const finished = (run) => ['completed', 'error', 'cancelled'].includes(run.lifecycle.status);

/**
 * The run's wall time is the server's (created → completed, both stamped by it), so the client
 * polls only every 50 ms: a poll every few milliseconds cost the API and PostgreSQL more CPU than
 * a fast run's tests.
 */
async function timedRun(call, workflowId, expected) {
  const { id } = await call('POST', '/v1/workflows/tests/runs', { workflow_id: workflowId });
  const run = await waitForRun(call, id, finished, 600_000, 50);
  const seconds = (Date.parse(run.timing.completed_at) - Date.parse(run.timing.created_at)) / 1000;
  if (run.counts.outcome.passed !== expected) throw new Error(`run ${id}: ${JSON.stringify(run.counts)}`);
  return { seconds, testsPerSecond: expected / seconds };
}

function metricValue(text, name) {
  return Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? 0);
}

async function measureCancels(call, baseUrl, queue, workflowId) {
  const endToEnd = [];
  const readHistograms = async () => {
    const text = await (await fetch(`${baseUrl}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).text();
    const read = (name) => ({ sum: metricValue(text, `${name}_sum`), count: metricValue(text, `${name}_count`) });
    return { reached: read('verdict_cancel_latency_seconds'), stopped: read('verdict_cancel_stop_seconds') };
  };
  const meanMs = (before, after) => ((after.sum - before.sum) / Math.max(1, after.count - before.count)) * 1000;
  const before = await readHistograms();
  for (let round = 0; round < CANCEL_ROUNDS; round++) {
    const { id } = await call('POST', '/v1/workflows/tests/runs', { workflow_id: workflowId });
    await waitForRun(call, id, (run) => run.counts.lifecycle_counts.running >= 4, 10_000);
    const started = performance.now();
    await call('POST', `/v1/workflows/tests/runs/${id}/cancel`, {});
    while ((await queue.getJobCounts('active')).active > 0) await sleep(1);
    endToEnd.push(performance.now() - started);
  }
  await sleep(5500); // the workers add their observations to Redis once a second; /metrics serves a snapshot up to 5 s old
  const after = await readHistograms();
  const sorted = [...endToEnd].sort((a, b) => a - b);
  return {
    median: sorted[Math.floor(sorted.length / 2)],
    max: sorted.at(-1),
    reachedMeanMs: meanMs(before.reached, after.reached),
    stoppedMeanMs: meanMs(before.stopped, after.stopped),
    tests: after.stopped.count - before.stopped.count,
  };
}

async function machine(databaseUrl, redis) {
  const cpus = os.cpus();
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  const { rows } = await client.query('SHOW server_version');
  await client.end();
  const redisVersion = /redis_version:(\S+)/.exec(await redis.info('server'))?.[1];
  return `${cpus[0]?.model ?? 'unknown CPU'}, ${cpus.length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB; Node ${process.version}; PostgreSQL ${rows[0].server_version}; Redis ${redisVersion}`;
}

const services = await startTestServices();
const databaseUrl = process.env.VERDICT_TEST_DATABASE_URL ?? services.env.VERDICT_TEST_DATABASE_URL;
const redisUrl = process.env.VERDICT_TEST_REDIS_URL ?? services.env.VERDICT_TEST_REDIS_URL;
if (!databaseUrl || !redisUrl) {
  console.log('bench/scale skipped: needs PostgreSQL and redis-server on this machine (or VERDICT_TEST_DATABASE_URL and VERDICT_TEST_REDIS_URL).');
  await services.stop();
  process.exit(0);
}

const database = `verdict_bench_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
const admin = new pg.Client({ connectionString: databaseUrl });
await admin.connect();
await admin.query(`CREATE DATABASE ${database}`);
const url = new URL(databaseUrl);
url.pathname = `/${database}`;
const dataDir = await mkdtemp(join(os.tmpdir(), 'verdict-bench-scale-'));
const prefix = `verdict-bench-${randomUUID()}`;
const METRICS_TOKEN = randomUUID();
const env = {
  ...process.env,
  VERDICT_DATABASE_URL: url.toString(),
  VERDICT_REDIS_URL: redisUrl,
  VERDICT_REDIS_PREFIX: prefix,
  VERDICT_API_KEY: API_KEY,
  VERDICT_DATA_DIR: dataDir,
  VERDICT_METRICS_TOKEN: METRICS_TOKEN,
};
const redis = new Redis(redisUrl, { maxRetriesPerRequest: null });
const queue = new Queue('tests', { connection: redis, prefix });
const processes = [];
try {
  console.log(`Machine: ${await machine(url.toString(), redis)}; load ${loadAverage()}; verdict ${CLI}`);
  const embedded = await measureEmbedded();
  const backing = servicePids(new URL(databaseUrl).port, new URL(redisUrl).port);
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const api = spawnVerdict(['serve', '--no-worker', '--no-demo', '--port', String(port)], env);
  processes.push(api);
  await api.ready(/Verdict is serving/);
  const call = client(baseUrl);
  const warmUp = await createWorkflow(call, LINE_ITEM_TOTAL, WARM_UP_TESTS, invoiceTest);
  const workload = await createWorkflow(call, LINE_ITEM_TOTAL, TESTS, invoiceTest);
  const spinning = await createWorkflow(call, SPIN_FOREVER, 4, (n) => ({
    source: { type: 'manual', handle_inputs: { 'input-json-0': { type: 'json', data: { n } } } },
    assertion: { target: { output_handle_id: 'output-json-0', path: null }, condition: { kind: 'exists' } },
  }));

  const workers = [];
  for (const count of [1, 2]) {
    while (workers.length < count) {
      const worker = spawnVerdict(['worker'], env);
      processes.push(worker);
      workers.push(worker);
      await worker.ready(/Verdict worker executing/);
    }
    await timedRun(call, warmUp, WARM_UP_TESTS);
    const roots = { api: api.child.pid, ...Object.fromEntries(workers.map((worker, index) => [`worker${index + 1}`, worker.child.pid])), postgres: backing.postgres, redis: backing.redis };
    const { seconds } = await costedRun(`${count} worker process${count > 1 ? 'es' : ''}`, roots, call, workload, TESTS);
    console.log(`  wall time ${(seconds / embedded.seconds).toFixed(2)}× the embedded one`);
  }

  const cancel = await measureCancels(call, baseUrl, queue, spinning);
  console.log(`Cancel across processes (${CANCEL_ROUNDS} runs of 4 busy-looping tests, 2 workers, ${cancel.tests} tests cancelled while running):`);
  console.log(`  API publishes → abort signal in the worker (worker-measured mean): ${cancel.reachedMeanMs.toFixed(1)} ms`);
  console.log(`  API publishes → test stopped, its sandbox thread terminated, slot freed (mean): ${cancel.stoppedMeanMs.toFixed(1)} ms`);
  console.log(`  client sends the cancel → no job of the run active in Redis: median ${cancel.median.toFixed(1)} ms, max ${cancel.max.toFixed(1)} ms`);
} finally {
  for (const process of processes.reverse()) await process.stop();
  await queue.obliterate({ force: true }).catch(() => undefined);
  await queue.close();
  await redis.quit();
  await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  await admin.end();
  await rm(dataDir, { recursive: true, force: true });
  await services.stop();
}
