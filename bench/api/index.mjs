#!/usr/bin/env node
// Read API under load on loopback: GET run and the results list of a completed 100,000-test run.
// Build first (`npx tsc -b`), then: node bench/api/index.mjs
//   BENCH_API_TESTS (default 100000) tests in the run; BENCH_API_SECONDS (default 5) per endpoint;
//   BENCH_API_CONNECTIONS (default 10) concurrent keep-alive connections.
// The load generator is autocannon (-c 10 -d 5 by default), in this process: it shares the
// machine's two cores with the server, so the figures are a floor for a dedicated client host.
import autocannon from 'autocannon';
import {
  API_KEY,
  LINE_ITEM_TOTAL,
  lineItemTest,
  machineDescription,
  seedWorkflow,
  startVerdict,
  temporaryDataDir,
  waitForRun,
} from '../throughput/harness.mjs';

const TESTS = Number(process.env.BENCH_API_TESTS ?? 100_000);
const SECONDS = Number(process.env.BENCH_API_SECONDS ?? 5);
const CONNECTIONS = Number(process.env.BENCH_API_CONNECTIONS ?? 10);
const WARM_UP_MS = 500;
const PAGE_SIZE = 100;
/** Keyset pagination: the last page may cost at most this much more than the first before it is flagged. */
const SAME_COST_TOLERANCE = 1.25;

const format = (value) => Math.round(value).toLocaleString('en-US');

/** autocannon on one URL for `SECONDS`, after a short warm-up whose figures are dropped. */
async function loadTest(url) {
  const options = { url, connections: CONNECTIONS, headers: { 'api-key': API_KEY } };
  await autocannon({ ...options, duration: WARM_UP_MS / 1000 });
  const result = await autocannon({ ...options, duration: SECONDS });
  return {
    requestsPerSecond: result.requests.total / SECONDS,
    p50: result.latency.p50,
    p99: result.latency.p99,
    max: result.latency.max,
    errors: result.errors + result.timeouts + result.non2xx,
    bytesPerAnswer: result.throughput.total / Math.max(1, result.requests.total),
  };
}

function report(label, result) {
  const errors = result.errors > 0 ? `, ${result.errors} errors or non-2xx answers` : '';
  console.log(`  ${label}: ${format(result.requestsPerSecond)} requests/s; latency p50 ${result.p50} ms, p99 ${result.p99} ms, max ${result.max} ms; ${format(result.bytesPerAnswer / 1024)} KiB per answer${errors}`);
}

/** Follows `after` cursors from the first page to the last one holding rows; returns both queries and the walk's cost. */
async function walkToLastPage(call, runId) {
  const first = `/v1/workflows/tests/results?run_id=${runId}&limit=${PAGE_SIZE}`;
  let query = first;
  let last = { query: first, rows: 0 };
  let pages = 0;
  let rows = 0;
  const started = performance.now();
  for (;;) {
    const page = await call('GET', query);
    pages++;
    rows += page.data.length;
    if (page.data.length > 0) last = { query, rows: page.data.length, page: pages };
    if (!page.list_metadata.after) break;
    query = `${first}&after=${encodeURIComponent(page.list_metadata.after)}`;
  }
  return { first, last, pages, rows, seconds: (performance.now() - started) / 1000 };
}

console.log(`Work: a completed run of ${format(TESTS)} line-item-total function-block tests on the embedded SQLite store; GET run and the results list (limit ${PAGE_SIZE}) under load, ${CONNECTIONS} keep-alive connections for ${SECONDS} s each, over loopback.`);
console.log(`Machine: ${machineDescription()}`);
const data = await temporaryDataDir('api');
try {
  const workload = await seedWorkflow(data.dir, { name: 'bench api', code: LINE_ITEM_TOTAL, count: TESTS, testFor: lineItemTest });
  console.log(`Setup: ${format(TESTS)} tests written by the compiled test service before the server starts (${workload.seconds.toFixed(1)} s)`);
  // One key's requests are limited (VERDICT_RATE_LIMIT_KEY_REQUESTS, 2,000/s by default): this measures the server, not the limit.
  const server = await startVerdict(data.dir, { env: { VERDICT_RATE_LIMIT_KEY_REQUESTS: 'off' } });
  try {
    const started = performance.now();
    const { id: runId } = await server.call('POST', '/v1/workflows/tests/runs', { workflow_id: workload.workflowId });
    const run = await waitForRun(server.call, runId, { everyMs: 200 });
    if (run.counts.lifecycle_counts.completed !== TESTS) throw new Error(`run ${runId} ended ${run.lifecycle.status}: ${JSON.stringify(run.counts)}`);
    console.log(`  the run executed in ${((performance.now() - started) / 1000).toFixed(1)} s (${run.counts.outcome.passed} passed)`);

    const walk = await walkToLastPage(server.call, runId);
    if (walk.rows !== TESTS) throw new Error(`walking the results listed ${walk.rows} rows, not ${TESTS}`);
    console.log(`  walking every page once: ${format(walk.pages)} pages of ${PAGE_SIZE} in ${walk.seconds.toFixed(1)} s, one client, sequential`);

    console.log('Load:');
    const runResult = await loadTest(`${server.baseUrl}/v1/workflows/tests/runs/${runId}`);
    report('GET /v1/workflows/tests/runs/{id}', runResult);
    const first = await loadTest(`${server.baseUrl}${walk.first}`);
    report(`GET …/tests/results?run_id=…&limit=${PAGE_SIZE}, first page`, first);
    const last = await loadTest(`${server.baseUrl}${walk.last.query}`);
    report(`GET …/tests/results?run_id=…&limit=${PAGE_SIZE}&after=…, last page (page ${format(walk.last.page)}, ${walk.last.rows} rows)`, last);
    const costRatio = Math.max(last.p50, 1) / Math.max(first.p50, 1);
    const same = costRatio <= SAME_COST_TOLERANCE && first.requestsPerSecond / last.requestsPerSecond <= SAME_COST_TOLERANCE;
    console.log(`  last page / first page: median latency × ${costRatio.toFixed(2)}, requests/s × ${(last.requestsPerSecond / first.requestsPerSecond).toFixed(2)} → ${same ? 'the same cost (keyset pagination)' : 'NOT the same cost'}`);
  } finally {
    await server.stop();
  }
} finally {
  await data.remove();
}
