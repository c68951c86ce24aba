/**
 * The supervisor with real processes: `verdict serve` as an operator starts it, its server child
 * killed as Node's worker-termination abort (SIGABRT) or the OOM killer (SIGKILL) would.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { sleep, waitFor } from '@verdict/server/testing/fixtures';
import { skipWithoutRedisAndPostgres } from '@verdict/server/testing/harness';
import { doublingSuite, jsonClient, spawnVerdict, startApiOnlyProcess, type VerdictProcess } from '@verdict/server/testing/processes';
import { GAVE_UP_EXIT_CODE } from './supervisor.js';

const STARTUP_MS = 90_000;
const WORK_50MS = 'function transform(input) { const end = Date.now() + 50; while (Date.now() < end) {} return { doubled: input.n * 2 }; }';
const TESTS = 40;

/** The one child process of `pid` (the supervised server), once it exists. */
function childOf(pid: number): Promise<number> {
  return waitFor(`a child of ${pid}`, async () => Number(execFileSync('ps', ['-o', 'pid=', '--ppid', String(pid)], { encoding: 'utf8' }).trim().split(/\s+/)[0]) || null);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function servingLines(server: VerdictProcess): string[] {
  return server.output.filter((line) => line.startsWith('Verdict is serving '));
}

interface Supervised {
  server: VerdictProcess;
  baseUrl: string;
  apiKey: string;
  dataDir: string;
}

/** `verdict serve --port 0` on a fresh data directory, with the URL and the key it printed. */
async function serveSupervised(): Promise<Supervised> {
  const dataDir = await mkdtemp(join(tmpdir(), 'verdict-supervise-'));
  const server = spawnVerdict(['serve', '--no-demo', '--port', '0'], { ...process.env, VERDICT_DATA_DIR: dataDir, VERDICT_SANDBOX_THREADS: '2', VERDICT_API_KEY: '' });
  const serving = await server.line(/^Verdict is serving /, STARTUP_MS);
  const keyLine = await server.line(/API key \(shown once; keep it\): /, STARTUP_MS);
  return { server, baseUrl: serving.split(' ')[3]!, apiKey: keyLine.split(': ')[1]!, dataDir };
}

/** A listener on the port, or null while another process holds it. */
function listenOn(port: number): Promise<Server | null> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(null));
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

async function stop(supervised: Supervised): Promise<void> {
  await supervised.server.kill();
  await rm(supervised.dataDir, { recursive: true, force: true });
}

async function exitOf(server: VerdictProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  const { child } = server;
  if (child.exitCode === null && child.signalCode === null) await once(child, 'exit');
  return { code: child.exitCode, signal: child.signalCode };
}

/** Starts a run of the suite and returns it once a few of its tests have results, before it finishes. */
async function startRunAndWaitForSomeResults(call: ReturnType<typeof jsonClient>, workflowId: string): Promise<{ id: string }> {
  const run = await call('POST', '/v1/workflows/tests/runs', { workflow_id: workflowId });
  const started = await waitFor('some results', async () => {
    const state = await call('GET', `/v1/workflows/tests/runs/${run.id}`);
    return state.counts.lifecycle_counts.completed >= 3 && state;
  }, STARTUP_MS);
  assert.ok(started.counts.lifecycle_counts.completed < TESTS, 'the kill comes before the run finished');
  return run;
}

async function assertEveryTestPassedOnce(call: ReturnType<typeof jsonClient>, runId: string): Promise<void> {
  let final = await call('GET', `/v1/workflows/tests/runs/${runId}`);
  for (const deadline = Date.now() + STARTUP_MS; !['completed', 'error', 'cancelled'].includes(final.lifecycle.status); await sleep(50)) {
    assert.ok(Date.now() < deadline, `run still ${final.lifecycle.status}: ${JSON.stringify(final.counts)}`);
    final = await call('GET', `/v1/workflows/tests/runs/${runId}`);
  }
  assert.equal(final.lifecycle.status, 'completed');
  assert.deepEqual(final.counts.outcome, { passed: TESTS, failed: 0, blocked: 0 });
  const results = await call('GET', `/v1/workflows/tests/results?run_id=${runId}&limit=100`);
  assert.equal(new Set(results.data.map((row: { test_id: string }) => row.test_id)).size, TESTS, 'one result per test');
}

describe('verdict serve under its supervisor', () => {
  let supervised: Supervised;
  before(async () => {
    supervised = await serveSupervised();
  });
  after(() => stop(supervised));

  test('prints what the server prints, and nothing of its own', () => {
    assert.match(supervised.server.output[0]!, /^Verdict is serving http:\/\/127\.0\.0\.1:\d+ on SQLite/);
    assert.ok(!supervised.server.output.some((line) => line.startsWith('verdict:')), supervised.server.output.join('\n'));
  });

  test('a server killed by SIGABRT mid-run is restarted on the same port with the same key, and the run completes, every test once', async () => {
    const { server, baseUrl, apiKey } = supervised;
    const call = jsonClient(baseUrl, apiKey);
    const workflowId = await doublingSuite(call, WORK_50MS, TESTS);
    const run = await startRunAndWaitForSomeResults(call, workflowId);
    const first = await childOf(server.child.pid!);
    process.kill(first, 'SIGABRT');

    const restartLine = await server.line(/restarting it in/, STARTUP_MS);
    assert.equal(restartLine, `verdict: the server process (pid ${first}) was killed by SIGABRT; restarting it in 0.5 s (crash 1 within 120 s; the 5th stops restarts).`);
    await waitFor('the restarted server', async () => servingLines(server).length === 2, STARTUP_MS);
    assert.equal(servingLines(server)[1]!.split(' ')[3], baseUrl, 'the same address and port, though the first was any free port');
    assert.notEqual(await childOf(server.child.pid!), first);

    await assertEveryTestPassedOnce(call, run.id);
  });

  test('a server killed by SIGKILL is restarted too, and SIGTERM to the supervisor then stops both cleanly', async () => {
    const { server, baseUrl, apiKey } = supervised;
    const before = servingLines(server).length;
    const child = await childOf(server.child.pid!);
    process.kill(child, 'SIGKILL');
    await waitFor('the restarted server', async () => servingLines(server).length === before + 1, STARTUP_MS);
    assert.ok(server.output.includes(`verdict: the server process (pid ${child}) was killed by SIGKILL; restarting it in 1 s (crash 2 within 120 s; the 5th stops restarts).`), server.output.join('\n'));
    const workflows = await jsonClient(baseUrl, apiKey)('GET', '/v1/workflows');
    assert.ok(workflows.data.length >= 1, 'the same key, the same store');

    const restarted = await childOf(server.child.pid!);
    server.child.kill('SIGTERM');
    assert.deepEqual(await exitOf(server), { code: 0, signal: null }, 'the exit code of the child that stopped when asked');
    assert.ok(server.output.some((line) => line.startsWith('SIGTERM: stopping')), 'the child stopped gracefully');
    await waitFor('the server child to be gone', async () => !isAlive(restarted), 5_000);
  });
});

test('a server killed with its supervisor (kill -9 of the supervisor) ends too, leaving the port free', async () => {
  const supervised = await serveSupervised();
  try {
    const child = await childOf(supervised.server.child.pid!);
    await supervised.server.kill();
    await waitFor('the orphaned server to end', async () => !isAlive(child), 10_000);
  } finally {
    await stop(supervised);
  }
});

test('a server that keeps crashing on restart (its port taken) is given up on, with the message and a non-zero exit', async () => {
  const supervised = await serveSupervised();
  let squatter: Server | null = null;
  try {
    const port = Number(new URL(supervised.baseUrl).port);
    process.kill(await childOf(supervised.server.child.pid!), 'SIGKILL');
    // Taken before the restart (0.5 s later): every restarted server fails to listen.
    squatter = await waitFor('the port to be free', () => listenOn(port), 5_000);
    const { code } = await exitOf(supervised.server);
    assert.equal(code, GAVE_UP_EXIT_CODE);
    const restarts = supervised.server.output.filter((line) => line.includes('; restarting it in'));
    assert.equal(restarts.length, 4, supervised.server.output.join('\n'));
    assert.match(restarts[1]!, /exited with code 3; restarting it in 1 s \(crash 2 within 120 s/);
    assert.match(supervised.server.output.at(-1)!, /^verdict: the server process \(pid \d+\) exited with code 3, its 5th crash within 120 s; giving up\. Fix the cause and start it again\.$/);
    assert.ok(supervised.server.output.some((line) => line.includes('EADDRINUSE')), 'each restart said why it failed');
  } finally {
    squatter?.close();
    await stop(supervised);
  }
});

test('verdict worker killed by SIGABRT mid-run is restarted, and the run completes, every test once', { skip: skipWithoutRedisAndPostgres() }, async () => {
  const apiKey = 'vk_supervised_worker_0123456789abcdef';
  const deployment = await startApiOnlyProcess('supervised-worker', apiKey, process.env.VERDICT_TEST_REDIS_URL!);
  const worker = spawnVerdict(['worker', '--concurrency', '8'], deployment.env);
  try {
    await worker.line(/^Verdict worker executing/, STARTUP_MS);
    const call = jsonClient(deployment.baseUrl, apiKey);
    const run = await startRunAndWaitForSomeResults(call, await doublingSuite(call, WORK_50MS, TESTS));
    const first = await childOf(worker.child.pid!);
    process.kill(first, 'SIGABRT');
    assert.equal(
      await worker.line(/restarting it in/, STARTUP_MS),
      `verdict: the worker process (pid ${first}) was killed by SIGABRT; restarting it in 0.5 s (crash 1 within 120 s; the 5th stops restarts).`,
    );
    await assertEveryTestPassedOnce(call, run.id);
    assert.equal(worker.output.filter((line) => line.startsWith('Verdict worker executing')).length, 2, 'the restarted worker ran the rest');

    worker.child.kill('SIGTERM');
    assert.deepEqual(await exitOf(worker), { code: 0, signal: null });
  } finally {
    await worker.kill();
    await deployment.close();
  }
});
