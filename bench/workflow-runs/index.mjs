#!/usr/bin/env node
// Workflow runs against test runs on the embedded SQLite store (issue 22, "Speed").
// Build first (`npx tsc -b`), then: node bench/workflow-runs/index.mjs [runs]   (default 1,000)
//   BENCH_CPU_PROF=1 profiles the server's main thread during the measured runs and prints where its
//   self time goes; BENCH_KEEP_PROFILES=1 keeps the file.
// The workflow, created through the HTTP API: start_json → 3 function blocks in a chain →
// conditional (grand total > 60, else) → one function block per branch; every run records 7 steps
// (the branch not taken as skipped). One server process serves, in order: a warm-up (50 runs and a
// test run), 3 test runs of 1,000 tests of the first function block (the median is reported), then
// the measured runs, created over HTTP 8 at a time, then as many more runs as bring the steps
// recorded since the measured runs began to 10,000, for memory. Overhead per step or test is the
// server process's CPU (every thread, over IPC from process.cpuUsage) or wall time, minus the
// function's own execution time that each step's artifact or test result records, divided by the
// steps or tests. Each workload is polled every 20 ms until it has finished.
import { machineDescription, latencySummary, percentile, residentMb, sleep, startVerdict, temporaryDataDir, waitForRun } from '../throughput/harness.mjs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { printCpuProfiles } from '../throughput/cpu-profile.mjs';

const RUNS = Number(process.argv[2] ?? 1000);
const TESTS = 1000;
const TEST_RUN_REPEATS = 3;
const WARM_UP_RUNS = 50;
const STEPS_FOR_MEMORY = 10_000;
const CREATE_CONCURRENCY = 8;
const POLL_MS = 20;
const OBSERVED_SERVER = new URL('./observed-server.mjs', import.meta.url).pathname;

const functionConfig = (code) => ({ language: 'javascript', code, output_schema: {}, timeout_seconds: 30 });
const BLOCKS = [
  { key: 'start', type: 'start_json', config: { json_schema: { type: 'object' } } },
  { key: 'total', type: 'function', config: functionConfig(`function transform(input) {
  let total = 0;
  for (const item of input.line_items) total += item.price * item.qty;
  return { invoice: input.invoice, total: Math.round(total * 100) / 100 };
}`) },
  { key: 'tax', type: 'function', config: functionConfig('function transform(input) { return { invoice: input.invoice, total: input.total, tax: Math.round(input.total * 20) / 100 }; }') },
  { key: 'grand', type: 'function', config: functionConfig('function transform(input) { return { invoice: input.invoice, grand_total: Math.round((input.total + input.tax) * 100) / 100 }; }') },
  {
    key: 'route',
    type: 'conditional',
    config: { conditions: [{ branch_name: 'big', sub_conditions: [{ path: 'data.grand_total', operator: 'is_greater_than', value: 60 }], logical_operator: 'and' }], has_else: true },
  },
  { key: 'review', type: 'function', config: functionConfig('function transform(input) { return { invoice: input.invoice, decision: "review" }; }') },
  { key: 'approve', type: 'function', config: functionConfig('function transform(input) { return { invoice: input.invoice, decision: "approve" }; }') },
];
const EDGES = [
  { from: 'start', to: 'total' },
  { from: 'total', to: 'tax' },
  { from: 'tax', to: 'grand' },
  { from: 'grand', to: 'route' },
  { from: 'route', to: 'review', sourceHandle: 'output-json-big' },
  { from: 'route', to: 'approve', sourceHandle: 'output-json-else' },
];
const STEPS_PER_RUN = BLOCKS.length;
const RUNS_FOR_MEMORY = Math.ceil(STEPS_FOR_MEMORY / STEPS_PER_RUN);

/** Invoice n: one to three line items, so that about half the runs take each branch. */
function invoice(n) {
  const line_items = Array.from({ length: 1 + (n % 3) }, (_, i) => ({ sku: `SKU-${n}-${i}`, price: 9.99 + i * 10, qty: 1 + ((n + i) % 2) }));
  const total = Math.round(line_items.reduce((sum, item) => sum + item.price * item.qty, 0) * 100) / 100;
  return { input: { invoice: `INV-${n}`, line_items }, total };
}

const format = (value, digits = 0) => value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const loadAverage = () => os.loadavg().map((load) => load.toFixed(2)).join(' ');

/** Asks the observed server over IPC; `gc` collects first. */
function observe(child, type, fields = {}) {
  const id = Math.random().toString(36).slice(2);
  return new Promise((resolve) => {
    const onMessage = (message) => {
      if (message?.id !== id) return;
      child.off('message', onMessage);
      resolve(message);
    };
    child.on('message', onMessage);
    child.send({ type, id, ...fields });
  });
}

/** `task(i)` for i in [0, count), at most `concurrency` at once; the latency of each in ms. */
async function bounded(count, concurrency, task) {
  const latencies = [];
  let next = 0;
  const lane = async () => {
    while (next < count) {
      const i = next++;
      const started = performance.now();
      await task(i);
      latencies.push(performance.now() - started);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  return latencies;
}

async function createWorkflow(call) {
  const workflow = await call('POST', '/v1/workflows', { name: 'bench workflow runs' });
  const ids = {};
  for (const block of BLOCKS) ids[block.key] = (await call('POST', '/v1/workflows/blocks', { workflow_id: workflow.id, type: block.type, label: block.key, config: block.config })).id;
  for (const edge of EDGES) {
    await call('POST', '/v1/workflows/edges', { workflow_id: workflow.id, source_block: ids[edge.from], target_block: ids[edge.to], ...(edge.sourceHandle ? { source_handle: edge.sourceHandle } : {}) });
  }
  return { workflowId: workflow.id, ids };
}

/** Every page of a list endpoint (limit 100); `path` already has its query. */
async function listAll(call, path) {
  const items = [];
  let after = null;
  do {
    const page = await call('GET', `${path}&limit=100${after ? `&after=${after}` : ''}`);
    items.push(...page.data);
    after = page.data.length === 100 ? page.list_metadata.after : null;
  } while (after);
  return items;
}

/** Creates `count` runs (CREATE_CONCURRENCY at once) and waits until none is left unfinished; ids, create latencies, wall seconds. */
async function runWorkflow(call, { workflowId, ids }, count, offset) {
  const runIds = [];
  const started = performance.now();
  const createLatencies = await bounded(count, CREATE_CONCURRENCY, async (i) => {
    const run = await call('POST', '/v1/workflows/runs', { workflow_id: workflowId, json_inputs: { [ids.start]: invoice(offset + i).input } });
    runIds.push(run.id);
  });
  for (;;) {
    const unfinished = await call('GET', `/v1/workflows/runs?workflow_id=${workflowId}&exclude_status=completed&limit=1`);
    if (unfinished.data.length === 0) break;
    if (unfinished.data[0].lifecycle.status === 'error') throw new Error(`run ${unfinished.data[0].id} failed: ${JSON.stringify(unfinished.data[0].lifecycle)}`);
    await sleep(POLL_MS);
  }
  return { runIds, createLatencies, seconds: (performance.now() - started) / 1000 };
}

/** The function time the runs' steps recorded (their function_invocation artifacts), and each run's steps (latency of `GET /v1/workflows/steps?run_id=`). */
async function readRuns(call, runIds) {
  let functionMs = 0;
  let functionSteps = 0;
  let steps = 0;
  const stepLatencies = [];
  for (const runId of runIds) {
    const started = performance.now();
    const page = await call('GET', `/v1/workflows/steps?run_id=${runId}&limit=20`);
    stepLatencies.push(performance.now() - started);
    steps += page.data.length;
  }
  await bounded(runIds.length, 4, async (i) => {
    const artifacts = await call('GET', `/v1/workflows/artifacts?run_id=${runIds[i]}`);
    for (const artifact of artifacts.data) {
      if (artifact.operation !== 'function_invocation') continue;
      functionSteps++;
      functionMs += artifact.duration_ms ?? 0;
    }
  });
  return { functionMs, functionSteps, steps, stepLatencies };
}

/** One test run of every test of the workflow: wall and server CPU, and the function time its results record. */
async function timedTestRun(server, workflowId) {
  const before = await observe(server.child, 'usage');
  const started = performance.now();
  const { id } = await server.call('POST', '/v1/workflows/tests/runs', { workflow_id: workflowId });
  const run = await waitForRun(server.call, id, { everyMs: POLL_MS });
  const wallMs = performance.now() - started;
  const after = await observe(server.child, 'usage');
  if (run.lifecycle.status !== 'completed' || run.counts.outcome.passed !== TESTS) throw new Error(`test run ${id} ended ${run.lifecycle.status}: ${JSON.stringify(run.counts)}`);
  const results = await listAll(server.call, `/v1/workflows/tests/results?run_id=${id}`);
  const functionMs = results.reduce((sum, result) => sum + (result.duration_ms ?? 0), 0);
  return { wallMs, cpuMs: after.cpuMs - before.cpuMs, functionMs, units: results.length };
}

/** Per unit (step or test): wall and CPU, each minus the function time recorded. */
function overhead({ wallMs, cpuMs, functionMs, units }) {
  return { wallMs: (wallMs - functionMs) / units, cpuMs: (cpuMs - functionMs) / units, functionMs: functionMs / units };
}

const perUnit = (ms) => `${format(ms, 3)} ms`;

console.log(`Work: a workflow of start_json → 3 function blocks → conditional → 2 function branches (${STEPS_PER_RUN} steps a run, one branch skipped), ${format(RUNS)} runs created over HTTP ${CREATE_CONCURRENCY} at a time; against test runs of ${format(TESTS)} tests of its first function block, in the same server process.`);
console.log(`Machine: ${machineDescription()}; load average at start ${loadAverage()}`);
const profileDir = process.env.BENCH_CPU_PROF === '1' ? await mkdtemp(join(os.tmpdir(), 'verdict-bench-cpuprof-')) : null;
const data = await temporaryDataDir('workflow-runs');
try {
  const server = await startVerdict(data.dir, { script: OBSERVED_SERVER, nodeArgs: ['--expose-gc'] });
  try {
    const { call } = server;
    const workflow = await createWorkflow(call);
    await bounded(TESTS, CREATE_CONCURRENCY, async (n) => {
      const { input, total } = invoice(n);
      await call('POST', '/v1/workflows/tests', {
        workflow_id: workflow.workflowId,
        target: { type: 'block', block_id: workflow.ids.total },
        source: { type: 'manual', handle_inputs: { 'input-json-0': { type: 'json', data: input } } },
        assertion: { target: { output_handle_id: 'output-json-0', path: 'total' }, condition: { kind: 'equals', expected: total } },
      });
    });
    const idle = await observe(server.child, 'gc');

    await runWorkflow(call, workflow, WARM_UP_RUNS, -WARM_UP_RUNS);
    await timedTestRun(server, workflow.workflowId);

    const testRuns = [];
    for (let repeat = 0; repeat < TEST_RUN_REPEATS; repeat++) testRuns.push(await timedTestRun(server, workflow.workflowId));
    const testRun = [...testRuns].sort((a, b) => a.wallMs - b.wallMs)[Math.floor(TEST_RUN_REPEATS / 2)];
    const testLoad = loadAverage();

    const beforeRuns = await observe(server.child, 'gc');
    if (profileDir) await observe(server.child, 'profile-start');
    const measured = await runWorkflow(call, workflow, RUNS, 0);
    const afterRuns = await observe(server.child, 'usage');
    if (profileDir) await observe(server.child, 'profile-stop', { path: join(profileDir, 'main-thread.cpuprofile') });
    const runsLoad = loadAverage();
    const more = await runWorkflow(call, workflow, Math.max(0, RUNS_FOR_MEMORY - RUNS), RUNS);
    const afterSteps = await observe(server.child, 'usage');
    const afterGc = await observe(server.child, 'gc');

    const reads = await readRuns(call, measured.runIds);
    if (reads.steps !== RUNS * STEPS_PER_RUN) throw new Error(`${reads.steps} steps recorded for ${RUNS} runs, expected ${RUNS * STEPS_PER_RUN}`);
    const listLatencies = [];
    for (let repeat = 0; repeat < 5; repeat++) {
      const started = performance.now();
      const runs = await listAll(call, `/v1/workflows/runs?workflow_id=${workflow.workflowId}`);
      listLatencies.push(performance.now() - started);
      if (runs.length !== WARM_UP_RUNS + RUNS + more.runIds.length) throw new Error(`the list gave ${runs.length} runs`);
    }
    const firstPageLatencies = [];
    for (let repeat = 0; repeat < 50; repeat++) {
      const started = performance.now();
      await call('GET', `/v1/workflows/runs?workflow_id=${workflow.workflowId}&limit=100`);
      firstPageLatencies.push(performance.now() - started);
    }

    const runWall = measured.seconds * 1000;
    const runCpu = afterRuns.cpuMs - beforeRuns.cpuMs;
    const step = overhead({ wallMs: runWall, cpuMs: runCpu, functionMs: reads.functionMs, units: reads.steps });
    const test = overhead(testRun);
    console.log(`Workflow runs (${format(RUNS)} runs, ${format(reads.steps)} steps of which ${format(reads.functionSteps)} function invocations; load average after ${runsLoad}):`);
    console.log(`  ${measured.seconds.toFixed(2)} s from the first POST to the last run completed = ${format(RUNS / measured.seconds, 1)} runs/s, ${format(reads.steps / measured.seconds)} steps/s`);
    console.log(`  POST /v1/workflows/runs (${CREATE_CONCURRENCY} at a time): ${latencySummary(measured.createLatencies)}`);
    console.log(`  server CPU ${format(runCpu)} ms (${format(runCpu / RUNS, 2)} ms a run); function time the steps record ${format(reads.functionMs)} ms`);
    console.log(`  per step: wall ${perUnit(step.wallMs)}, CPU ${perUnit(step.cpuMs)} (function time ${perUnit(step.functionMs)} subtracted); per function step, all of a run's CPU counted: ${perUnit((runCpu - reads.functionMs) / reads.functionSteps)}`);
    console.log(`Test runs (${format(TESTS)} tests of the first function block, median of ${TEST_RUN_REPEATS} by wall time: ${testRuns.map((run) => format(run.wallMs)).join(', ')} ms; load average after ${testLoad}):`);
    console.log(`  ${format(testRun.wallMs)} ms = ${format(TESTS / (testRun.wallMs / 1000))} tests/s; server CPU ${format(testRun.cpuMs)} ms; function time the results record ${format(testRun.functionMs)} ms`);
    console.log(`  per test: wall ${perUnit(test.wallMs)}, CPU ${perUnit(test.cpuMs)}`);
    // The function time recorded is wall time on its sandbox thread: on a loaded machine it holds the
    // time the thread was descheduled, and subtracting it from CPU time takes off too much.
    const rawCpuRatio = runCpu / reads.steps / (testRun.cpuMs / testRun.units);
    console.log(`Step overhead / test overhead: wall ${(step.wallMs / test.wallMs).toFixed(2)}×, CPU ${(step.cpuMs / test.cpuMs).toFixed(2)}× (without subtracting function time: CPU ${rawCpuRatio.toFixed(2)}×)`);
    const stepsForMemory = (RUNS + more.runIds.length) * STEPS_PER_RUN;
    const mb = (usage) => `RSS ${format(usage.rssMb)} MB, heap used ${format(usage.heapUsedMb)} MB`;
    console.log(`Server memory: ${mb(idle)} after setup (GC'd); ${mb(beforeRuns)} after the warm-up and test runs (GC'd)`);
    console.log(`  after the ${format(RUNS)} runs: ${mb(afterRuns)}; after ${format(stepsForMemory)} steps recorded: ${mb(afterSteps)}, after a full GC ${mb(afterGc)}`);
    console.log(`  → ${format(((afterGc.heapUsedMb - beforeRuns.heapUsedMb) * 1024) / stepsForMemory, 2)} KB of heap kept per recorded step after GC; /proc VmRSS now ${format(await residentMb(server.pid))} MB`);
    console.log(`Reads (after the runs, ${format(WARM_UP_RUNS + RUNS + more.runIds.length)} runs and ${format((WARM_UP_RUNS + RUNS + more.runIds.length) * STEPS_PER_RUN)} steps stored):`);
    console.log(`  GET /v1/workflows/steps?run_id= (one run's ${STEPS_PER_RUN} steps, one request at a time, each run once): ${latencySummary(reads.stepLatencies)}`);
    console.log(`  GET /v1/workflows/runs?workflow_id=&limit=100, first page: ${latencySummary(firstPageLatencies)}`);
    console.log(`  every page of the list (${Math.ceil((WARM_UP_RUNS + RUNS + more.runIds.length) / 100)} pages of 100): ${latencySummary(listLatencies)}`);
    console.log(`  median of those per run listed: ${format(percentile(listLatencies, 0.5) / (WARM_UP_RUNS + RUNS + more.runIds.length), 3)} ms`);
  } finally {
    await server.stop();
  }
  if (profileDir) {
    console.log(`CPU profile of the server's main thread during the ${format(RUNS)} measured runs (${profileDir}):`);
    await printCpuProfiles(profileDir);
  }
} finally {
  await data.remove();
  if (profileDir && process.env.BENCH_KEEP_PROFILES !== '1') await rm(profileDir, { recursive: true, force: true });
}
