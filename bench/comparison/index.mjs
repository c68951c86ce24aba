#!/usr/bin/env node
// Why did it change, at scale: GET the comparison of two completed 100,000-test runs (first page,
// and the page of new failures only) while nothing else runs, on the embedded SQLite store.
// Build first (`npx tsc -b`), then: node bench/comparison/index.mjs
//   BENCH_COMPARISON_TESTS (default 100000) tests per run; BENCH_COMPARISON_SAMPLES (default 15) requests per query.
// The code is edited between the two runs so that every verdict flips (nine in ten tests break, one
// in ten is fixed): the comparison classifies real changes, not 100,000 identical rows.
import {
  API_KEY,
  lineItemTest,
  machineDescription,
  percentile,
  seedWorkflow,
  startVerdict,
  temporaryDataDir,
  waitForRun,
} from '../throughput/harness.mjs';

const TESTS = Number(process.env.BENCH_COMPARISON_TESTS ?? 100_000);
const SAMPLES = Number(process.env.BENCH_COMPARISON_SAMPLES ?? 15);
const GOAL_MS = 1000;

/** Right for invoices whose number is not a multiple of 10 before the edit, and for those that are after it. */
const codeThatFailsEvery10th = (flip) => `function transform(input) {
  let total = 0;
  for (const item of input.line_items) total += item.price * item.qty;
  const n = Number(input.invoice.slice(4));
  const wrong = (n % 10 === 0) !== ${flip};
  return { invoice: input.invoice, total: Math.round(total * 100) / 100 + (wrong ? 1 : 0) };
}`;

const format = (value) => Math.round(value).toLocaleString('en-US');

async function completedRun(server, workflowId) {
  const started = performance.now();
  const { id } = await server.call('POST', '/v1/workflows/tests/runs', { workflow_id: workflowId });
  const run = await waitForRun(server.call, id, { everyMs: 200 });
  if (run.counts.lifecycle_counts.completed !== TESTS) throw new Error(`run ${id} ended ${run.lifecycle.status}: ${JSON.stringify(run.counts)}`);
  console.log(`  run ${id}: ${run.counts.outcome.passed} passed, ${run.counts.outcome.failed} failed, in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return id;
}

async function timeQuery(server, path) {
  const times = [];
  let body;
  for (let sample = 0; sample < SAMPLES; sample++) {
    const started = performance.now();
    const response = await fetch(`${server.baseUrl}${path}`, { headers: { 'api-key': API_KEY } });
    body = await response.json();
    if (response.status !== 200) throw new Error(`${path}: ${response.status} ${JSON.stringify(body)}`);
    times.push(performance.now() - started);
  }
  // The server keeps comparisons of finished runs: the first request computes, the rest are served from memory.
  const [first, ...repeated] = times;
  return { body, first, p50: percentile(repeated, 0.5), max: Math.max(...repeated) };
}

console.log(`Work: two completed runs of ${format(TESTS)} function-block tests (the code edited in between: every verdict flips); GET the comparison, ${SAMPLES} sequential requests per query, over loopback, embedded SQLite.`);
console.log(`Machine: ${machineDescription()}`);
const data = await temporaryDataDir('comparison');
try {
  const workload = await seedWorkflow(data.dir, { name: 'bench comparison', code: codeThatFailsEvery10th(false), count: TESTS, testFor: lineItemTest });
  console.log(`Setup: ${format(TESTS)} tests written in ${workload.seconds.toFixed(1)} s`);
  const server = await startVerdict(data.dir, { env: { VERDICT_RATE_LIMIT_KEY_REQUESTS: 'off' } });
  try {
    const base = await completedRun(server, workload.workflowId);
    await server.call('PATCH', `/v1/workflows/blocks/${workload.blockId}`, { config: { code: codeThatFailsEvery10th(true) } });
    const current = await completedRun(server, workload.workflowId);
    const baseline = await timeQuery(server, `/v1/workflows/tests/runs/${current}`);
    console.log(`  for scale, GET the run itself: median ${baseline.p50.toFixed(0)} ms, max ${baseline.max.toFixed(0)} ms (after the first)`);
    const first = await timeQuery(server, `/v1/workflows/tests/runs/${current}/comparison?limit=100`);
    const summary = first.body.summary;
    if (first.body.base_run_id !== base || summary.new_failures + summary.fixed !== TESTS) throw new Error(`unexpected comparison: ${JSON.stringify(summary)}`);
    console.log(`  summary: ${format(summary.new_failures)} new failures, ${format(summary.fixed)} fixed (every test changed verdict, by block_config)`);
    const verdict = (ms) => (ms < GOAL_MS ? `under the ${GOAL_MS} ms goal` : `OVER the ${GOAL_MS} ms goal`);
    console.log(`  first page (100 changes, default base): first request ${first.first.toFixed(0)} ms → ${verdict(first.first)}; repeated: median ${first.p50.toFixed(0)} ms, max ${first.max.toFixed(0)} ms`);
    const filtered = await timeQuery(server, `/v1/workflows/tests/runs/${current}/comparison?base=${base}&change=fixed&limit=100`);
    console.log(`  fixed only, explicit base: first request ${filtered.first.toFixed(0)} ms → ${verdict(filtered.first)}; repeated: median ${filtered.p50.toFixed(0)} ms, max ${filtered.max.toFixed(0)} ms`);
  } finally {
    await server.stop();
  }
} finally {
  await data.remove();
}
