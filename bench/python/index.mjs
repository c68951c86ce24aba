#!/usr/bin/env node
// Python function-block tests end to end, side by side with promptfoo's Python provider (persistent
// Python workers) on the same cases (issue 19). Build first (`node scripts/build.mjs`), then:
//   node bench/python/index.mjs [tests per run]      default 1,000
//   BENCH_PROMPTFOO=0 skips promptfoo, BENCH_VERDICT=0 skips Verdict;
//   BENCH_PROMPTFOO_J=8,32 measures promptfoo at each -j and keeps the fastest (default 32);
//   BENCH_PYTHON_PROCESSES sets the server's VERDICT_PYTHON_PROCESSES.
// Verdict: one `verdict serve` child process on a fresh SQLite store; a start_json → function
// workflow running Retab's SDK example unchanged, and its JavaScript twin for reference. Each run
// is timed over HTTP from the POST that creates it to the GET that sees it completed (polled every
// 10 ms). The first Python run is reported on its own (it starts the Python runtime); the figure
// is the median of the warm runs after it. Then: cancel latency of a running `while True` test,
// and what one child of the zygote costs step by step (fork-cost.py).
import { execFile, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { CHECK_SCHEMA as OUTPUT_SCHEMA, childProcesses, INVOICE_SCHEMA, JAVASCRIPT_TWIN, RETAB_EXAMPLE, testProcesses } from '../../packages/server/dist/execution/python/test-support.js';
import {
  isFinished,
  machineDescription,
  percentile,
  residentMb,
  sampleMemory,
  seedWorkflow,
  sleep,
  startVerdict,
  temporaryDataDir,
  waitForRun,
} from '../throughput/harness.mjs';
import { measurePromptfoo } from '../throughput/promptfoo.mjs';
import { cpuSeconds, descendants, pythonCpuSeconds, sampleDescendants, totalRssMb } from './processes.mjs';
import { promptfooPythonWorkload, retabCase, retabTest } from './workload.mjs';

const requested = Number(process.argv[2]);
const TESTS = Number.isInteger(requested) && requested > 0 ? requested : 1000;
const WARM_RUNS = 5;
/** promptfoo's rate once started: the difference of two sizes cancels its start-up, its Python workers' included. */
const PROMPTFOO = { sizes: [200, 1000], repeats: 3 };
const PROMPTFOO_CONCURRENCIES = (process.env.BENCH_PROMPTFOO_J ?? '32').split(',').map(Number).filter((j) => Number.isInteger(j) && j > 0);
const GOALS = { ratio: 10, ratioFloor: 3 };

const CANCEL_ROUNDS = 5;

const format = (value, digits = 0) => value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const finishedCount = (run) => run.counts.outcome.passed + run.counts.outcome.failed + run.counts.outcome.blocked;
const isPython = (entry) => /python/i.test(entry.name);

/** One run of `workflowId` from the POST to completed; with `firstResult`, also when its first result was in. */
async function timeRun(server, workflowId, { firstResult = false } = {}) {
  const started = performance.now();
  const { id } = await server.call('POST', '/v1/workflows/tests/runs', { workflow_id: workflowId });
  let firstResultMs = null;
  if (firstResult) {
    await waitForRun(server.call, id, { done: (run) => finishedCount(run) > 0 || isFinished(run), everyMs: 2 });
    firstResultMs = performance.now() - started;
  }
  const run = await waitForRun(server.call, id, { everyMs: 10 });
  return { run, seconds: (performance.now() - started) / 1000, firstResultMs };
}

/** Throws unless every test of `run` completed and passed; a blocked test's message says why. */
async function expectAllPassed(server, { run }, label) {
  if (run.lifecycle.status === 'completed' && run.counts.outcome.passed === TESTS) return;
  const blocked = (await server.call('GET', `/v1/workflows/tests/results?run_id=${run.id}&limit=100`)).data.find((result) => result.error);
  const why = blocked ? `; e.g. ${blocked.error.error_code ?? 'error'}: ${blocked.error.message}` : '';
  throw new Error(`${label} run ${run.id} ended ${run.lifecycle.status}: ${JSON.stringify(run.counts.outcome)}${why}`);
}

/**
 * WARM_RUNS timed runs, and the CPU time per test they cost the server and the Python processes
 * (the zygote, its templates and the test processes they reaped): a figure that moves less than wall time on a shared machine.
 */
async function warmRuns(server, workflowId, label, pythonPid = null) {
  const cpuBefore = { server: (await cpuSeconds(server.pid)).own, python: pythonPid ? await pythonCpuSeconds(pythonPid) : 0 };
  const runs = [];
  for (let repeat = 0; repeat < WARM_RUNS; repeat++) {
    const timed = await timeRun(server, workflowId);
    await expectAllPassed(server, timed, label);
    runs.push(timed.seconds);
  }
  const tests = TESTS * WARM_RUNS;
  const cpuMsPerTest = {
    server: (((await cpuSeconds(server.pid)).own - cpuBefore.server) * 1000) / tests,
    python: pythonPid ? (((await pythonCpuSeconds(pythonPid)) - cpuBefore.python) * 1000) / tests : 0,
  };
  const median = percentile(runs, 0.5);
  return { seconds: runs, median, testsPerSecond: TESTS / median, cpuMsPerTest };
}

/**
 * Cancels a run whose one test spins in `while True`, `rounds` times: how long the cancel request
 * takes to answer, and until the test's process is gone (watched in /proc).
 */
async function cancelLatencies(server, rounds) {
  const workflow = await server.call('POST', '/v1/workflows', { name: 'bench python cancel' });
  const block = await server.call('POST', '/v1/workflows/blocks', {
    workflow_id: workflow.id,
    type: 'function',
    config: { language: 'python', code: 'def transform(input_data):\n    while True:\n        pass\n', output_schema: {}, timeout_seconds: 300 },
  });
  await server.call('POST', '/v1/workflows/tests', { workflow_id: workflow.id, target: { type: 'block', block_id: block.id }, ...retabTest(0) });
  const figures = [];
  for (let round = 0; round < rounds; round++) {
    const { id } = await server.call('POST', '/v1/workflows/tests/runs', { workflow_id: workflow.id });
    let running;
    while (running === undefined) {
      const [zygote] = childProcesses(server.pid, 'zygote.py');
      running = zygote === undefined ? undefined : testProcesses(zygote)[0];
      await sleep(2);
    }
    const { template, child } = running;
    await sleep(50);
    const sent = performance.now();
    await server.call('POST', `/v1/workflows/tests/runs/${id}/cancel`);
    const answered = performance.now() - sent;
    while (childProcesses(template).includes(child)) await sleep(0.5);
    figures.push({ answered, gone: performance.now() - sent });
  }
  return figures;
}

async function measureVerdict() {
  const data = await temporaryDataDir('python');
  try {
    const workflow = { inputSchema: INVOICE_SCHEMA, outputSchema: OUTPUT_SCHEMA, count: TESTS, testFor: retabTest };
    const python = await seedWorkflow(data.dir, { ...workflow, name: `bench ${TESTS} Retab invoice checks (Python)`, language: 'python', code: RETAB_EXAMPLE });
    const javascript = await seedWorkflow(data.dir, { ...workflow, name: `bench ${TESTS} Retab invoice checks (JavaScript twin)`, code: JAVASCRIPT_TWIN });
    const server = await startVerdict(data.dir, { env: process.env.BENCH_PYTHON_PROCESSES ? { VERDICT_PYTHON_PROCESSES: process.env.BENCH_PYTHON_PROCESSES } : {} });
    try {
      const idleRssMb = await residentMb(server.pid);
      const pythonAtStart = (await descendants(server.pid)).filter(isPython).length;

      await expectAllPassed(server, await timeRun(server, javascript.workflowId), 'JavaScript warm-up');
      const javascriptRuns = await warmRuns(server, javascript.workflowId, 'JavaScript');
      const pythonAfterJavascript = (await descendants(server.pid)).filter(isPython).length;
      const rssBeforePythonMb = await residentMb(server.pid);

      const memory = sampleMemory(server.pid, 100);
      const children = sampleDescendants(server.pid, 100);
      const cold = await timeRun(server, python.workflowId, { firstResult: true });
      await expectAllPassed(server, cold, 'first Python');
      const zygote = (await descendants(server.pid)).find((entry) => entry.depth === 1 && isPython(entry));
      const pythonRuns = await warmRuns(server, python.workflowId, 'Python', zygote?.pid);
      const { peakRssMb, hwmMb } = await memory.stop();
      const processes = await children.stop();
      const pythonProcesses = (await descendants(server.pid)).filter(isPython);
      const cancels = await cancelLatencies(server, CANCEL_ROUNDS);
      return {
        idleRssMb,
        pythonAtStart,
        pythonAfterJavascript,
        rssBeforePythonMb,
        javascriptRuns,
        cold: { seconds: cold.seconds, firstResultMs: cold.firstResultMs },
        pythonRuns,
        rssWithPythonMb: await residentMb(server.pid),
        peakRssMb,
        hwmMb,
        zygotes: pythonProcesses.filter((entry) => entry.depth === 1),
        processes,
        cancels,
      };
    } finally {
      await server.stop();
    }
  } finally {
    await data.remove();
  }
}

function reportVerdict(verdict) {
  const runs = (result) => `median of ${WARM_RUNS}: ${result.seconds.map((s) => s.toFixed(3)).join(', ')} s`;
  const cpu = ({ cpuMsPerTest }) => `CPU per test: server ${format(cpuMsPerTest.server, 3)} ms${cpuMsPerTest.python ? `, Python processes ${format(cpuMsPerTest.python, 3)} ms` : ''}`;
  console.log(`  JavaScript twin, warm: ${format(verdict.javascriptRuns.testsPerSecond)} tests/s (${runs(verdict.javascriptRuns)}); ${cpu(verdict.javascriptRuns)}`);
  console.log(`  Python, first run after start: ${verdict.cold.seconds.toFixed(3)} s; its first result ${format(verdict.cold.firstResultMs, 1)} ms after the POST (Python runtime start included)`);
  console.log(`  Python, warm: ${format(verdict.pythonRuns.testsPerSecond)} tests/s (${runs(verdict.pythonRuns)}); ${cpu(verdict.pythonRuns)}`);
  console.log(`  Python processes under the server: ${verdict.pythonAtStart} once started, ${verdict.pythonAfterJavascript} after the JavaScript runs, ${verdict.zygotes.length} after the Python runs`);
  console.log(
    `  server RSS: ${format(verdict.idleRssMb)} MB once started, ${format(verdict.rssBeforePythonMb)} MB after the JavaScript runs, ${format(verdict.rssWithPythonMb)} MB with Python loaded; ` +
      `peak ${format(verdict.peakRssMb)} MB during the Python runs (sampled every 100 ms), VmHWM ${format(verdict.hwmMb)} MB`,
  );
  const cancelMedian = (key) => format(percentile(verdict.cancels.map((cancel) => cancel[key]), 0.5), 1);
  console.log(
    `  cancel of a running \`while True\`: request answered in ${cancelMedian('answered')} ms, its process gone ${cancelMedian('gone')} ms after the request ` +
      `(medians of ${verdict.cancels.length}; max ${format(Math.max(...verdict.cancels.map((cancel) => cancel.gone)), 1)} ms)`,
  );
  const zygoteMb = totalRssMb(verdict.zygotes);
  console.log(
    `  Python runtime RSS: ${verdict.zygotes.map((entry) => `${entry.name} ${format(entry.rssMb, 1)} MB`).join(', ') || 'no process'} after the runs (peak ${format(verdict.processes.directMb, 1)} MB); ` +
      `templates and per-test children seen at one 100 ms sample: up to ${verdict.processes.grandchildren}, ${format(verdict.processes.grandchildrenMb, 1)} MB RSS summed (pages shared with the zygote counted in each)`,
  );
  const { server, python } = verdict.pythonRuns.cpuMsPerTest;
  return { testsPerSecond: verdict.pythonRuns.testsPerSecond, seconds: verdict.pythonRuns.median, rssMb: verdict.rssWithPythonMb + zygoteMb, cpuMsPerTest: server + python };
}

/** The interpreter `python3` resolves to (through pyenv shims, say) and its version. */
function hostPython() {
  const probe = spawnSync('python3', ['-c', 'import sys, pydantic; print(sys.executable); print(sys.version.split()[0]); print(pydantic.VERSION)'], { encoding: 'utf8' });
  if (probe.status !== 0) return { skipped: `python3 with pydantic is needed for promptfoo's provider: ${(probe.stderr || String(probe.error)).trim().split('\n').at(-1)}` };
  const [executable, version, pydanticVersion] = probe.stdout.trim().split('\n');
  return { executable, version, pydanticVersion };
}

async function measurePromptfooPython() {
  const python = hostPython();
  if (python.skipped) return python;
  let best = null;
  for (const concurrency of PROMPTFOO_CONCURRENCIES) {
    const measured = await measurePromptfoo({ ...PROMPTFOO, concurrency, caseFor: retabCase, workload: promptfooPythonWorkload(python.executable) });
    if (measured.skipped) return measured;
    const timings = PROMPTFOO.sizes.map((size) => `${format(size)} cases ${measured.median[size].toFixed(2)} s (${measured.seconds[size].map((s) => s.toFixed(2)).join(', ')})`).join('; ');
    const cpu = measured.cpuMsPerCase === null ? '' : `; CPU per case ${format(measured.cpuMsPerCase, 3)} ms (promptfoo and its Python workers)`;
    console.log(`  -j ${concurrency}: wall time from spawn to exit, median of ${PROMPTFOO.repeats}: ${timings} → ${format(measured.casesPerSecond)} cases/s once started${cpu}`);
    if (!best || measured.casesPerSecond > best.casesPerSecond) best = { ...measured, concurrency };
  }
  return { ...best, python };
}

function reportTable(verdict, promptfoo) {
  const cpu = (ms) => (ms === null ? '—' : `${format(ms, 2)} ms`);
  const rows = [];
  if (verdict) rows.push(['Verdict, Python (warm)', format(verdict.testsPerSecond), `${verdict.seconds.toFixed(3)} s`, cpu(verdict.cpuMsPerTest), `${format(verdict.rssMb)} MB (server + zygote)`]);
  if (promptfoo?.casesPerSecond) {
    rows.push([`promptfoo ${promptfoo.version}, Python provider, -j ${promptfoo.concurrency}`, format(promptfoo.casesPerSecond), `${(TESTS / promptfoo.casesPerSecond).toFixed(3)} s`, cpu(promptfoo.cpuMsPerCase), '—']);
  }
  if (rows.length === 0) return;
  console.log(`\n| ${format(TESTS)} tests | tests/s | time | CPU per test | RSS |\n|---|---:|---:|---:|---:|`);
  for (const row of rows) console.log(`| ${row.join(' | ')} |`);
  if (verdict && promptfoo?.casesPerSecond) {
    const ratio = verdict.testsPerSecond / promptfoo.casesPerSecond;
    const standing = ratio >= GOALS.ratio ? 'met' : ratio >= GOALS.ratioFloor ? 'below the goal' : `below the ${GOALS.ratioFloor}× floor: a defect`;
    console.log(`\nVerdict / promptfoo: ${format(verdict.testsPerSecond)} / ${format(promptfoo.casesPerSecond)} = ${ratio.toFixed(2)}× (goal ${GOALS.ratio}×: ${standing})`);
    if (promptfoo.cpuMsPerCase !== null) console.log(`CPU per test, promptfoo / Verdict: ${cpu(promptfoo.cpuMsPerCase)} / ${cpu(verdict.cpuMsPerTest)} = ${(promptfoo.cpuMsPerCase / verdict.cpuMsPerTest).toFixed(2)}×`);
  }
}

console.log(`Work: ${format(TESTS)} tests of Retab's SDK example (from models import Input, Output; def transform(input_data: Input) -> Output) over varied invoices, each asserting \`equals\` on is_valid or computed_total; all pass.`);
console.log(`Machine: ${machineDescription()}`);

let verdict = null;
if (process.env.BENCH_VERDICT === '0') console.log('Verdict: skipped (BENCH_VERDICT=0)');
else {
  console.log(`Verdict: \`verdict serve\` child process, fresh SQLite store, start_json → function workflow, concurrency ${process.env.VERDICT_CONCURRENCY ?? 'default'}; tests written before the server starts by the compiled test service:`);
  try {
    verdict = reportVerdict(await measureVerdict());
  } catch (error) {
    console.log(`  not measured: ${error instanceof Error ? error.message : String(error)}`);
  }
}

let promptfoo = null;
if (process.env.BENCH_PROMPTFOO === '0') console.log('promptfoo: skipped (BENCH_PROMPTFOO=0)');
else {
  console.log(`promptfoo: eval --no-cache --no-table --no-write, same cases, file:// Python provider (pydantic models, Retab's transform) + javascript assertion, -j Python workers kept alive for the eval; rate = difference of ${PROMPTFOO.sizes.map((size) => format(size)).join(' and ')} cases, so start-up (Node, config, workers) is excluded:`);
  promptfoo = await measurePromptfooPython();
  if (promptfoo.skipped) console.log(`  not measured: ${promptfoo.skipped}`);
  else console.log(`  promptfoo ${promptfoo.version} on Node ${promptfoo.nodeVersion}, Python ${promptfoo.python.version} (${promptfoo.python.executable}), pydantic ${promptfoo.python.pydanticVersion}${promptfoo.isolated ? ', in a network namespace with no network' : ''}; best -j ${promptfoo.concurrency}`);
}
reportTable(verdict, promptfoo);

/** What one child of the zygote costs, step by step (fork, confine, run, answer and reap), as fork-cost.py measures it. */
async function forkCost() {
  const interpreter = (await promisify(execFile)('python3', ['-I', '-S', '-c', 'import sys; print(sys.executable)'])).stdout.trim();
  const run = promisify(execFile)(interpreter, ['-I', '-S', fileURLToPath(new URL('./fork-cost.py', import.meta.url)), '300'], { env: {} });
  run.child.stdin.end(JSON.stringify({ code: RETAB_EXAMPLE, input_schema: INVOICE_SCHEMA, output_schema: OUTPUT_SCHEMA }));
  return (await run).stdout.trim();
}

if (process.env.BENCH_VERDICT !== '0') console.log(`\nOne test's child of a template, medians in ms (bench/python/fork-cost.py, 300 children one after another): ${await forkCost()}`);
