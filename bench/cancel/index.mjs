#!/usr/bin/env node
// Cancel of running test runs on the embedded executor: how fast the answer comes, and how fast the
// run's in-flight work has stopped and its slots serve other work again.
// Build first (`npx tsc -b`), then: node bench/cancel/index.mjs   (BENCH_CANCEL_ROUNDS, default 300:
// the p99 of fewer than 100 rounds is their maximum)
// Two workloads, each started and cancelled ROUNDS times: runs of 1,000 tests of a 20 ms busy-wait
// (cancelled once 10 results exist), and runs of 8 tests spinning in `while (true) {}` with a 300 s
// timeout (cancelled while they spin). The server is bench/cancel/observed-server.mjs: `verdict
// serve` plus an IPC report of when the executor's last in-flight test of an aborted run settled.
import { LINE_ITEM_TOTAL, latencySummary, lineItemTest, machineDescription, percentile, seedWorkflow, startVerdict, temporaryDataDir, waitForRun } from '../throughput/harness.mjs';

const ROUNDS = Number(process.env.BENCH_CANCEL_ROUNDS ?? 300);
const IDLE_PROBES = 10;
const STOP_REPORT_TIMEOUT_MS = 10_000;
const GOALS = { answerP99Ms: 10, stoppedMs: 50 };
const OBSERVED_SERVER = new URL('./observed-server.mjs', import.meta.url).pathname;

const BUSY_WAIT_20_MS = 'function transform(input) { const end = Date.now() + 20; while (Date.now() < end) {} return { total: input.n }; }';
const SPIN_FOREVER = 'function transform(input) { while (true) {} }';

const WORKLOADS = [
  {
    label: 'runs of 1,000 tests of a 20 ms busy-wait, cancelled once 10 results exist',
    seed: { name: 'bench cancel busy-wait', code: BUSY_WAIT_20_MS, count: 1000, testFor: numberedTest },
    ready: (run) => run.counts.lifecycle_counts.completed >= 10,
  },
  {
    label: 'runs of 8 tests spinning in `while (true) {}` (timeout 300 s), cancelled while they spin',
    seed: { name: 'bench cancel spin', code: SPIN_FOREVER, timeoutSeconds: 300, count: 8, testFor: numberedTest },
    ready: (run) => run.counts.lifecycle_counts.running === 8,
    /** Rows are marked running as their tests are handed to the sandbox pool; give the threads time to be spinning. */
    settleMs: 50,
  },
];

function numberedTest(n) {
  return {
    source: { type: 'manual', handle_inputs: { 'input-json-0': { type: 'json', data: { n } } } },
    assertion: { target: { output_handle_id: 'output-json-0', path: 'total' }, condition: { kind: 'equals', expected: n } },
  };
}

const msBetween = (later, earlier) => Number(BigInt(later) - BigInt(earlier)) / 1e6;

/**
 * `reportOf(type, runId)` resolves with the observed server's report of that type about the run:
 * `stopped` (its last in-flight test settled) or `answered` (its cancel was received and answered).
 */
function serverReports(child) {
  const waiting = new Map();
  const received = new Map();
  const keyOf = (type, runId) => `${type} ${runId}`;
  child.on('message', (message) => {
    const runId = message?.runId ?? message?.url?.split('/').at(-2);
    if (!runId) return;
    const key = keyOf(message.type, runId);
    const resolve = waiting.get(key);
    if (resolve) resolve(message);
    else received.set(key, message);
    waiting.delete(key);
  });
  return (type, runId) =>
    new Promise((resolve, reject) => {
      const key = keyOf(type, runId);
      if (received.has(key)) {
        resolve(received.get(key));
        received.delete(key);
        return;
      }
      const timer = setTimeout(() => reject(new Error(`no ${type} report for run ${runId} within ${STOP_REPORT_TIMEOUT_MS} ms`)), STOP_REPORT_TIMEOUT_MS);
      waiting.set(key, (message) => {
        clearTimeout(timer);
        resolve(message);
      });
    });
}

/** From the POST of a 1-test run to the GET that sees it completed: it needs a free sandbox slot. */
async function probeRun(call, workflowId) {
  const started = performance.now();
  const { id } = await call('POST', '/v1/workflows/tests/runs', { workflow_id: workflowId });
  const run = await waitForRun(call, id, { everyMs: 1, timeoutMs: 30_000 });
  if (run.counts.outcome.passed !== 1) throw new Error(`probe run ${id}: ${JSON.stringify(run.counts)}`);
  return performance.now() - started;
}

function checkCancelled(run) {
  const counts = run.counts.lifecycle_counts;
  const total = Object.values(counts).reduce((sum, count) => sum + count, 0);
  if (run.lifecycle.status !== 'cancelled' || counts.pending + counts.queued + counts.running > 0 || total !== run.total_tests) {
    throw new Error(`cancel of run ${run.id} answered an inconsistent run: ${run.lifecycle.status} ${JSON.stringify(run.counts)}`);
  }
}

async function cancelRound(server, reportOf, workflowId, workload, probeWorkflowId) {
  const { call } = server;
  const { id } = await call('POST', '/v1/workflows/tests/runs', { workflow_id: workflowId });
  await waitForRun(call, id, { done: workload.ready, everyMs: 2, timeoutMs: 30_000 });
  if (workload.settleMs) await new Promise((resolve) => setTimeout(resolve, workload.settleMs));
  const stopped = reportOf('stopped', id);
  const answered = reportOf('answered', id);
  const sent = performance.now();
  const run = await call('POST', `/v1/workflows/tests/runs/${id}/cancel`, {});
  const answerMs = performance.now() - sent;
  const answeredAt = process.hrtime.bigint();
  checkCancelled(run);
  const report = await stopped;
  const serverSide = await answered;
  const probeMs = await probeRun(call, probeWorkflowId);
  return {
    answerMs,
    serverMs: msBetween(serverSide.writtenAt, serverSide.receivedAt),
    stoppedAfterAnswerMs: msBetween(report.idleAt, answeredAt),
    stoppedAfterAbortMs: msBetween(report.idleAt, report.abortedAt),
    inFlightAtAbort: report.inFlightAtAbort,
    probeMs,
  };
}

function reportWorkload(label, rounds, idleProbeMs) {
  const column = (name) => rounds.map((round) => round[name]);
  console.log(`${label} (${rounds.length} runs; ${percentile(column('inFlightAtAbort'), 0.5)} tests in flight at the abort, median):`);
  console.log(`  cancel answer (client sends POST …/cancel → reads the 200): ${latencySummary(column('answerMs'))}`);
  console.log(`    of which in the server (request parsed → answer handed to the socket): ${latencySummary(column('serverMs'))}; the rest is the client's and the kernel's, on the same two cores`);
  console.log(`  last in-flight test settled, its sandbox thread terminated, after the answer reached the client: ${latencySummary(column('stoppedAfterAnswerMs'))}`);
  console.log(`    (after the server aborted the run: ${latencySummary(column('stoppedAfterAbortMs'))}; negative = before the client read the answer)`);
  console.log(`  next 1-test run, POST → seen completed, right after the answer: ${latencySummary(column('probeMs'))} (idle server: ${idleProbeMs.toFixed(1)} ms)`);
  const answerP99 = percentile(column('answerMs'), 0.99);
  const stoppedP99 = percentile(column('stoppedAfterAnswerMs'), 0.99);
  console.log(`  goals: answer p99 ${answerP99.toFixed(1)} ms (< ${GOALS.answerP99Ms}: ${answerP99 < GOALS.answerP99Ms ? 'met' : 'NOT met'}), stopped p99 ${stoppedP99.toFixed(1)} ms after the answer (< ${GOALS.stoppedMs}: ${stoppedP99 < GOALS.stoppedMs ? 'met' : 'NOT met'})`);
}

console.log(`Work: start a run, wait until it is executing, POST …/cancel; ${ROUNDS} times for each of two workloads; after each cancel a 1-test run must find a free sandbox slot.`);
console.log(`Machine: ${machineDescription()}`);
console.log('Server: `verdict serve` (embedded executor, SQLite, default concurrency and sandbox threads) with an in-process report of when the aborted run\'s last in-flight test settled.');
const data = await temporaryDataDir('cancel');
try {
  const seeded = [];
  for (const workload of WORKLOADS) seeded.push((await seedWorkflow(data.dir, workload.seed)).workflowId);
  const probe = await seedWorkflow(data.dir, { name: 'bench cancel probe', code: LINE_ITEM_TOTAL, count: 1, testFor: lineItemTest });
  const server = await startVerdict(data.dir, { script: OBSERVED_SERVER });
  try {
    const reportOf = serverReports(server.child);
    const idleProbes = [];
    for (let n = 0; n < IDLE_PROBES; n++) idleProbes.push(await probeRun(server.call, probe.workflowId));
    for (const [index, workload] of WORKLOADS.entries()) {
      const rounds = [];
      for (let round = 0; round < ROUNDS; round++) rounds.push(await cancelRound(server, reportOf, seeded[index], workload, probe.workflowId));
      reportWorkload(workload.label, rounds, percentile(idleProbes, 0.5));
    }
  } finally {
    await server.stop();
  }
} finally {
  await data.remove();
}
