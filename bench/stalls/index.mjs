#!/usr/bin/env node
// Other requests while the server does big writes: creating a large run, writing its results, and
// cancelling a second one (rewriting its unfinished rows).
// Build first (`npx tsc -b`), then: node bench/stalls/index.mjs [tests, default 50000]
// A small run's GET is sent every 20 ms (open loop: a stall shows in every request it delays) from
// before the POST of the large run until that run has completed; the latencies are reported for the
// requests sent during the POST (the run's creation) and after it (its results being written).
// Goal (issue 26 item 3): p99 < 100 ms in both.
import os from 'node:os';
import { sql } from 'kysely';
import { configFromEnv, createRuntime } from '../../packages/server/dist/index.js';
import { API_KEY, LINE_ITEM_TOTAL, latencyPoller, latencySummary, lineItemTest, machineDescription, percentile, seedWorkflow, startVerdict, temporaryDataDir, waitForRun } from '../throughput/harness.mjs';

const SIZE = Number(process.argv[2] ?? 50_000);
const POLL_EVERY_MS = 20;
const GOAL_P99_MS = 100;

const load = () => os.loadavg().map((value) => value.toFixed(1)).join(' ');

/**
 * A workflow of `count` tests: seeded as bench/throughput does, `SEEDED` of them, the others copies
 * of those made in SQL (seeding 50,000 through the services takes minutes on a loaded machine; a
 * run's creation costs the same per row either way).
 */
const SEEDED = 1000;
async function seedLarge(dataDir, count) {
  const seeded = await seedWorkflow(dataDir, { name: 'bench stalls large', code: LINE_ITEM_TOTAL, count: Math.min(SEEDED, count), testFor: lineItemTest });
  const runtime = await createRuntime(configFromEnv({ VERDICT_DATA_DIR: dataDir, VERDICT_API_KEY: API_KEY }, { worker: false, seedDemo: false }));
  try {
    await sql`
      WITH RECURSIVE copies(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM copies WHERE n < ${Math.ceil(count / SEEDED) - 1})
      INSERT INTO tests (id, organization_id, workflow_id, block_id, name, source, handle_inputs_fingerprint, assertion, assertion_schema_dep,
        latest_result_id, latest_passing_result_id, latest_failing_result_id, created_at, updated_at)
      SELECT t.id || '_' || CAST(copies.n AS TEXT), t.organization_id, t.workflow_id, t.block_id, t.name, t.source, t.handle_inputs_fingerprint, t.assertion,
        t.assertion_schema_dep, NULL, NULL, NULL, t.created_at, t.updated_at
      FROM tests AS t, copies WHERE t.workflow_id = ${seeded.workflowId}`.execute(runtime.services.store.db);
    const { total } = await runtime.services.store.db.selectFrom('tests').select((eb) => eb.fn.countAll().as('total')).where('workflow_id', '=', seeded.workflowId).executeTakeFirstOrThrow();
    if (Number(total) !== count) throw new Error(`seeded ${total} tests, not ${count} (a multiple of ${SEEDED} is needed)`);
  } finally {
    await runtime.close();
  }
  return seeded;
}

/**
 * A run of SIZE tests cancelled once CANCEL_AFTER of its results exist: its unfinished rows (nearly
 * all) are rewritten after the answer while the store's reads wait for them (docs/decisions.md §4).
 * The window ends when a read of the run's last results page, sent right after the answer, returns.
 */
const CANCEL_AFTER = 1000;
async function cancelPhase(call, workflowId, smallRunId) {
  const { id } = await call('POST', '/v1/workflows/tests/runs', { workflow_id: workflowId });
  await waitForRun(call, id, { done: (run) => run.counts.lifecycle_counts.completed >= CANCEL_AFTER, everyMs: 20 });
  const poller = latencyPoller(() => call('GET', `/v1/workflows/tests/runs/${smallRunId}`), POLL_EVERY_MS);
  await new Promise((resolve) => setTimeout(resolve, 100));
  const sent = performance.now();
  const cancelled = await call('POST', `/v1/workflows/tests/runs/${id}/cancel`, {});
  const answered = performance.now();
  const lastPage = await call('GET', `/v1/workflows/tests/results?run_id=${id}&order=desc&limit=1`);
  const rowsWritten = performance.now();
  await new Promise((resolve) => setTimeout(resolve, 100));
  const { samples, failures } = await poller.stop();
  if (failures > 0) throw new Error(`${failures} GET requests failed`);
  if (lastPage.data[0]?.lifecycle.status !== 'cancelled') throw new Error(`the last row of cancelled run ${id} is ${JSON.stringify(lastPage.data[0]?.lifecycle)}`);
  const unfinished = cancelled.counts.lifecycle_counts.cancelled;
  console.log(`  cancel of a run with ${unfinished.toLocaleString('en-US')} unfinished rows answered in ${(answered - sent).toFixed(1)} ms; its rows written ${(rowsWritten - answered).toFixed(0)} ms after the answer`);
  report('sent while it is cancelled (from the POST to the rows written)', samples.filter((sample) => sample.sentAt >= sent && sample.sentAt < rowsWritten));
}

function report(label, samples) {
  const latencies = samples.map((sample) => sample.ms);
  const p99 = percentile(latencies, 0.99);
  console.log(`  GET run ${label}: ${latencySummary(latencies)}; goal p99 < ${GOAL_P99_MS} ms: ${p99 < GOAL_P99_MS ? 'met' : 'NOT met'}`);
}

console.log(`Work: POST a run of ${SIZE.toLocaleString('en-US')} tests, then let it execute, while GET of another run is sent every ${POLL_EVERY_MS} ms.`);
console.log(`Machine: ${machineDescription()}; load average at the start ${load()}`);
const data = await temporaryDataDir('stalls');
try {
  const seedStarted = performance.now();
  const large = await seedLarge(data.dir, SIZE);
  const small = await seedWorkflow(data.dir, { name: 'bench stalls small', code: LINE_ITEM_TOTAL, count: 10, testFor: lineItemTest });
  console.log(`  seeded ${SIZE.toLocaleString('en-US')} tests in ${((performance.now() - seedStarted) / 1000).toFixed(1)} s`);
  const server = await startVerdict(data.dir);
  try {
    const { call } = server;
    const { id: smallRunId } = await call('POST', '/v1/workflows/tests/runs', { workflow_id: small.workflowId });
    await waitForRun(call, smallRunId);
    const poller = latencyPoller(() => call('GET', `/v1/workflows/tests/runs/${smallRunId}`), POLL_EVERY_MS);
    const posted = performance.now();
    const { id } = await call('POST', '/v1/workflows/tests/runs', { workflow_id: large.workflowId });
    const answered = performance.now();
    const run = await waitForRun(call, id, { everyMs: 50 });
    const finished = performance.now();
    const { samples, failures } = await poller.stop();
    if (failures > 0) throw new Error(`${failures} GET requests failed`);
    if (run.counts.outcome.passed !== SIZE) throw new Error(`run ${id} ended ${run.lifecycle.status}: ${JSON.stringify(run.counts)}`);
    console.log(`  POST of the run answered in ${(answered - posted).toFixed(0)} ms; its ${SIZE.toLocaleString('en-US')} results written in ${((finished - answered) / 1000).toFixed(1)} s`);
    report('sent during the POST', samples.filter((sample) => sample.sentAt < answered));
    report('sent while the results are written', samples.filter((sample) => sample.sentAt >= answered));
    await cancelPhase(call, large.workflowId, smallRunId);
  } finally {
    await server.stop();
  }
} finally {
  await data.remove();
}
console.log(`  load average at the end ${load()}`);
