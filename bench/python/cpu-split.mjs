#!/usr/bin/env node
// Where a Python test's CPU goes in the server, A/B between builds (issue 19): each tree given is
// built (`node scripts/build.mjs` in it) and measured in turn, back to back, `rounds` times.
//   node bench/python/cpu-split.mjs <tree> [<tree> …]   e.g. /work/main .
//   BENCH_ROUNDS (default 2), BENCH_POLL_MS (default 250), VERDICT_PYTHON_PROCESSES passes through.
// Per tree: a `verdict serve` on a fresh SQLite store runs 1,000 tests of Retab's example three
// times (after one warm-up run), and the CPU per test of the server's main thread, of each of its
// other threads (transition thread, sandbox threads, libuv) and of the Python processes is read
// from /proc. The run is polled every BENCH_POLL_MS: at index.mjs's 10 ms, polling a run that lasts
// seconds costs the server ~0.7 ms of CPU per GET, which would count here as CPU per test.
import { readdirSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { resolve } from 'node:path';

const TESTS = 1000;
const RUNS = 3;
const trees = process.argv.slice(2).map((tree) => resolve(tree));
const rounds = Number(process.env.BENCH_ROUNDS ?? 2);
const pollMs = Number(process.env.BENCH_POLL_MS ?? 250);
if (trees.length === 0) throw new Error('usage: node bench/python/cpu-split.mjs <tree> [<tree> …]');

/** CPU seconds of each thread of `pid` so far: the main thread as `main`, the others by thread id. */
function threadSeconds(pid) {
  const seconds = new Map();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      seconds.set(tid === String(pid) ? 'main' : tid, (Number(fields[11]) + Number(fields[12])) / 100);
    } catch {
      // the thread ended meanwhile
    }
  }
  return seconds;
}

async function measure(tree) {
  const { CHECK_SCHEMA, INVOICE_SCHEMA, RETAB_EXAMPLE } = await import(`${tree}/packages/server/dist/execution/python/test-support.js`);
  const harness = await import(`${tree}/bench/throughput/harness.mjs`);
  const { cpuSeconds, descendants, pythonCpuSeconds } = await import(`${tree}/bench/python/processes.mjs`);
  const { retabTest } = await import(`${tree}/bench/python/workload.mjs`);
  const data = await harness.temporaryDataDir('python-split');
  try {
    const { workflowId } = await harness.seedWorkflow(data.dir, { inputSchema: INVOICE_SCHEMA, outputSchema: CHECK_SCHEMA, count: TESTS, testFor: retabTest, name: 'cpu split', language: 'python', code: RETAB_EXAMPLE });
    const server = await harness.startVerdict(data.dir);
    try {
      const run = async () => {
        const { id } = await server.call('POST', '/v1/workflows/tests/runs', { workflow_id: workflowId });
        const done = await harness.waitForRun(server.call, id, { everyMs: pollMs });
        if (done.counts.outcome.passed !== TESTS) throw new Error(`run ${id}: ${JSON.stringify(done.counts.outcome)}`);
      };
      await run();
      const zygote = (await descendants(server.pid)).find((entry) => entry.depth === 1 && /python/i.test(entry.name));
      const threads0 = threadSeconds(server.pid);
      const server0 = (await cpuSeconds(server.pid)).own;
      const python0 = await pythonCpuSeconds(zygote.pid);
      const started = performance.now();
      for (let i = 0; i < RUNS; i++) await run();
      const seconds = (performance.now() - started) / 1000;
      const perTest = (value) => ((value * 1000) / (TESTS * RUNS)).toFixed(3);
      const threads1 = threadSeconds(server.pid);
      const others = [...threads1].filter(([key]) => key !== 'main').map(([key, value]) => value - (threads0.get(key) ?? 0)).filter((value) => value > 0).sort((a, b) => b - a);
      return (
        `${Math.round((TESTS * RUNS) / seconds)} tests/s; CPU per test: server ${perTest((await cpuSeconds(server.pid)).own - server0)} ms ` +
        `(main thread ${perTest(threads1.get('main') - threads0.get('main'))}, busiest other threads ${others.slice(0, 3).map(perTest).join(', ')}), ` +
        `Python ${perTest((await pythonCpuSeconds(zygote.pid)) - python0)} ms; load ${loadavg()[0].toFixed(1)}`
      );
    } finally {
      await server.stop();
    }
  } finally {
    await data.remove();
  }
}

console.log(`${TESTS} Python tests × ${RUNS} runs per tree, polled every ${pollMs} ms, ${rounds} rounds, trees alternating:`);
for (let round = 0; round < rounds; round++) for (const tree of trees) console.log(`  ${tree}: ${await measure(tree)}`);
