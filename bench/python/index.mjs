#!/usr/bin/env node
// Python function blocks end to end: Retab's example (start_json → function) through the HTTP API.
// Build first (`npx tsc -b`), then: node bench/python/index.mjs [tests per run, default 1000]
//   BENCH_REPEATS (default 3) timed runs after one warm-up run; BENCH_PYTHON_PROCESSES sets
//   VERDICT_PYTHON_PROCESSES for the server. Prints: tests/s for the Python block and for its
//   JavaScript twin on the same tests, the zygote's and the server's RSS, cancel latency (a
//   `while True` test, from the cancel request until its process is gone), and what one child
//   costs step by step (bench/python/fork-cost.py).
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { CHECK_SCHEMA as OUTPUT_SCHEMA, childProcesses, INVOICE_SCHEMA, JAVASCRIPT_TWIN, RETAB_EXAMPLE } from '../../packages/server/dist/execution/python/test-support.js';
import { machineDescription, residentMb, sleep, startVerdict, temporaryDataDir, waitForRun } from '../throughput/harness.mjs';

const SIZE = Number(process.argv[2]) || 1000;
const REPEATS = Number(process.env.BENCH_REPEATS) || 3;

function invoiceTest(n) {
  const line_items = Array.from({ length: 3 }, (_, i) => ({ description: `item ${i}`, amount: 5 + ((n + i) % 7) }));
  const subtotal = line_items.reduce((sum, item) => sum + item.amount, 0);
  const data = { invoice_id: `INV-${n}`, line_items, tax_rate: 0.2, stated_total: Math.round(subtotal * 1.2 * 100) / 100 };
  return {
    source: { type: 'manual', handle_inputs: { 'input-json-0': { type: 'json', data } } },
    assertion: { target: { output_handle_id: 'output-json-0', path: 'is_valid' }, condition: { kind: 'equals', expected: true } },
  };
}

/** A start_json → function workflow with `size` tests, made through the API. */
async function seed(call, language, code, size) {
  const workflow = await call('POST', '/v1/workflows', { name: `bench python ${language}` });
  const start = await call('POST', '/v1/workflows/blocks', { workflow_id: workflow.id, type: 'start_json', label: 'Invoice', config: { json_schema: INVOICE_SCHEMA } });
  const block = await call('POST', '/v1/workflows/blocks', { workflow_id: workflow.id, type: 'function', label: 'Check totals', config: { language, code, output_schema: OUTPUT_SCHEMA } });
  await call('POST', '/v1/workflows/edges', { workflow_id: workflow.id, source_block: start.id, target_block: block.id });
  for (let n = 0; n < size; n += 50) {
    await Promise.all(
      Array.from({ length: Math.min(50, size - n) }, (_, i) => call('POST', '/v1/workflows/tests', { workflow_id: workflow.id, target: { type: 'block', block_id: block.id }, ...invoiceTest(n + i) })),
    );
  }
  return workflow.id;
}

async function timedRun(call, workflowId, expected) {
  const started = performance.now();
  const { id } = await call('POST', '/v1/workflows/tests/runs', { workflow_id: workflowId });
  const run = await waitForRun(call, id, { everyMs: 10 });
  const seconds = (performance.now() - started) / 1000;
  if (run.lifecycle.status !== 'completed' || run.counts.outcome.passed !== expected) throw new Error(`run ${id}: ${run.lifecycle.status} ${JSON.stringify(run.counts)}`);
  return expected / seconds;
}

async function cancelLatencies(call, rounds) {
  const workflow = await call('POST', '/v1/workflows', { name: 'bench python cancel' });
  const block = await call('POST', '/v1/workflows/blocks', {
    workflow_id: workflow.id,
    type: 'function',
    config: { language: 'python', code: 'def transform(input_data):\n    while True:\n        pass\n', output_schema: {}, timeout_seconds: 300 },
  });
  await call('POST', '/v1/workflows/tests', { workflow_id: workflow.id, target: { type: 'block', block_id: block.id }, ...invoiceTest(0) });
  const figures = [];
  for (let round = 0; round < rounds; round++) {
    const { id } = await call('POST', '/v1/workflows/tests/runs', { workflow_id: workflow.id });
    let zygote;
    let child;
    while (child === undefined) {
      [zygote] = childProcesses(server.pid, 'zygote.py');
      child = zygote === undefined ? undefined : childProcesses(zygote)[0];
      await sleep(2);
    }
    await sleep(50);
    const sent = performance.now();
    await call('POST', `/v1/workflows/tests/runs/${id}/cancel`);
    const answered = performance.now() - sent;
    while (childProcesses(zygote).includes(child)) await sleep(0.5);
    figures.push({ answered, gone: performance.now() - sent });
  }
  return figures;
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const format = (value, digits = 0) => value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

console.log(`# Python function blocks, ${SIZE} tests of Retab's example per run, ${machineDescription()}`);
const data = await temporaryDataDir('python');
const env = { VERDICT_RATE_LIMIT_KEY_REQUESTS: 'off', ...(process.env.BENCH_PYTHON_PROCESSES ? { VERDICT_PYTHON_PROCESSES: process.env.BENCH_PYTHON_PROCESSES } : {}) };
const server = await startVerdict(data.dir, { env });
try {
  const idleRss = await residentMb(server.pid);
  const python = await seed(server.call, 'python', RETAB_EXAMPLE, SIZE);
  const javascript = await seed(server.call, 'javascript', JAVASCRIPT_TWIN, SIZE);
  if (childProcesses(server.pid, 'zygote.py').length > 0) throw new Error('a zygote ran before the first Python test');
  const firstRun = await timedRun(server.call, python, SIZE);
  const pythonRates = [];
  for (let repeat = 0; repeat < REPEATS; repeat++) pythonRates.push(await timedRun(server.call, python, SIZE));
  const [zygote] = childProcesses(server.pid, 'zygote.py');
  const zygoteRss = await residentMb(zygote);
  const serverRss = await residentMb(server.pid);
  const javascriptRates = [];
  for (let repeat = 0; repeat <= REPEATS; repeat++) javascriptRates.push(await timedRun(server.call, javascript, SIZE));
  javascriptRates.shift();
  const cancels = await cancelLatencies(server.call, 5);
  console.log(`python tests/s (median of ${REPEATS}): ${format(median(pythonRates))}  [${pythonRates.map((rate) => format(rate)).join(', ')}]; first run, zygote starting: ${format(firstRun)}`);
  console.log(`javascript twin tests/s (median of ${REPEATS}): ${format(median(javascriptRates))}  [${javascriptRates.map((rate) => format(rate)).join(', ')}]`);
  console.log(`RSS: zygote ${format(zygoteRss, 1)} MB; server ${format(idleRss, 1)} MB idle, ${format(serverRss, 1)} MB after the Python runs`);
  console.log(`cancel of a running while True: request answered in ${format(median(cancels.map((c) => c.answered)), 1)} ms, its process gone ${format(median(cancels.map((c) => c.gone)), 1)} ms after the request (medians of ${cancels.length}; max ${format(Math.max(...cancels.map((c) => c.gone)), 1)} ms)`);
} finally {
  await server.stop();
  await data.remove();
}

const interpreter = (await promisify(execFile)('python3', ['-I', '-S', '-c', 'import sys; print(sys.executable)'])).stdout.trim();
const forkCost = fileURLToPath(new URL('./fork-cost.py', import.meta.url));
const forkCostRun = promisify(execFile)(interpreter, ['-I', '-S', forkCost, '300'], { env: {} });
forkCostRun.child.stdin.end(RETAB_EXAMPLE);
const { stdout } = await forkCostRun;
console.log(`one child, medians in ms (fork-cost.py): ${stdout.trim()}`);
