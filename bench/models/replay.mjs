// Replay from the model cache (issue 26, point 2): the 400 extract tests of bench/models, recorded
// once against a local model server that answers at once, then replayed by a `verdict serve` with
// VERDICT_MODEL_CACHE=replay and no model server: tests/s and the server's CPU seconds per test
// (all its threads; less sensitive to a shared machine's load than the rate).
//   node bench/models/replay.mjs [runs=7] [consensus=1,3,5]
// BENCH_BASELINE=/path/to/other/checkout (built) replays the same workload with that build too,
// alternating run by run, so both see the same load. BENCH_CPU_PROF=1 profiles the replaying servers.
// Build first (`node scripts/build.mjs`).
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { printCpuProfiles } from '../throughput/cpu-profile.mjs';
import { machineDescription, parseProcStat, percentile, startVerdict, temporaryDataDir, waitForRun } from '../throughput/harness.mjs';
import { ANSWER, loadBuild, seedExtractTests, TESTS } from './workload.mjs';

const runs = Number(process.argv[2] ?? 7);
const consensusCounts = (process.argv[3] ?? '1,3,5').split(',').map(Number);
const WARM_UP_RUNS = 2;

async function cpuSecondsOf(pid) {
  return parseProcStat(await readFile(`/proc/${pid}/stat`, 'utf8')).cpuSeconds.own;
}

/** CPU seconds so far of each thread of `pid`, by "name tid" (BENCH_THREADS=1 prints where a test's CPU goes). */
async function threadCpuSeconds(pid) {
  const seconds = {};
  for (const tid of await readdir(`/proc/${pid}/task`).catch(() => [])) {
    const stat = await readFile(`/proc/${pid}/task/${tid}/stat`, 'utf8').catch(() => null);
    if (stat) seconds[`${parseProcStat(stat).name} ${tid}`] = parseProcStat(stat).cpuSeconds.own;
  }
  return seconds;
}

/** One run: seconds from the POST to the GET that sees it completed, and the server's CPU seconds meanwhile. */
async function timeRun(verdict, workflowId, expectedPassed) {
  const cpuBefore = await cpuSecondsOf(verdict.pid);
  const started = performance.now();
  const run = await verdict.call('POST', '/v1/workflows/tests/runs', { workflow_id: workflowId });
  const done = await waitForRun(verdict.call, run.id, { everyMs: 10 });
  const seconds = (performance.now() - started) / 1000;
  const cpuSeconds = (await cpuSecondsOf(verdict.pid)) - cpuBefore;
  if (done.counts.outcome?.passed !== expectedPassed) throw new Error(`replay: ${JSON.stringify(done.counts)}`);
  // As the server recorded it: from the run's creation to its completion, without the client's polling step.
  const serverSeconds = (Date.parse(done.timing.completed_at) - Date.parse(done.timing.created_at)) / 1000;
  return { seconds, serverSeconds, cpuSeconds };
}

/** A data dir seeded and recorded by `build`, and a replaying server of the same build on it. */
async function prepare(build, label, profileDir) {
  const { dir, remove } = await temporaryDataDir(`replay-${label}`);
  const workflowIds = await seedExtractTests(build, dir, consensusCounts);
  const model = await build.fakeModel.startFakeModelServer({ chat: build.fakeModel.answerJson(ANSWER) });
  try {
    const recorder = await startVerdict(dir, { script: build.script, env: { VERDICT_MODEL_BASE_URL: model.baseURL, VERDICT_MODEL: 'bench-model', VERDICT_MODEL_CACHE: 'readwrite' } });
    try {
      for (const n of consensusCounts) await timeRun(recorder, workflowIds[n], TESTS);
    } finally {
      await recorder.stop();
    }
  } finally {
    await model.close();
  }
  const nodeArgs = [...(profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []), ...(process.env.BENCH_TRACE_GC === '1' ? ['--trace-gc'] : []), ...(process.env.BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean)];
  const verdict = await startVerdict(dir, { script: build.script, nodeArgs, env: { VERDICT_MODEL: 'bench-model', VERDICT_MODEL_CACHE: 'replay' } });
  for (const n of consensusCounts) for (let i = 0; i < WARM_UP_RUNS; i++) await timeRun(verdict, workflowIds[n], TESTS);
  const gc = { scavenges: 0, markCompacts: 0, ms: 0 };
  verdict.child.stdout.on('data', (chunk) => {
    for (const line of chunk.toString('utf8').split('\n')) {
      const ms = /, ([\d.]+) \/ [\d.]+ ms/.exec(line);
      if (line.includes('Scavenge')) gc.scavenges++;
      if (process.env.BENCH_TRACE_GC_LINES === '1' && line.includes('ms: ')) console.log(line);
      else if (line.includes('Mark-Compact')) gc.markCompacts++;
      if (ms) gc.ms += Number(ms[1]);
    }
  });
  return {
    label,
    verdict,
    workflowIds,
    samples: Object.fromEntries(consensusCounts.map((n) => [n, []])),
    gc,
    async close() {
      await verdict.stop();
      await remove();
    },
  };
}

const median = (values) => percentile(values, 0.5);
const profile = process.env.BENCH_CPU_PROF === '1';
const builds = [['this build', resolve(new URL('../..', import.meta.url).pathname)]];
if (process.env.BENCH_BASELINE) builds.push(['baseline', resolve(process.env.BENCH_BASELINE)]);

console.log(`bench/models/replay on ${machineDescription()}; load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
console.log(`${TESTS} extract tests, every answer from the cache; ${runs} measured runs per n_consensus after ${WARM_UP_RUNS} warm-up runs`);
const sides = [];
const profileDirs = [];
try {
  for (const [label, root] of builds) {
    const profileDir = profile ? await mkdtemp(join(os.tmpdir(), 'verdict-bench-replay-cpuprof-')) : null;
    if (profileDir) profileDirs.push([label, profileDir]);
    sides.push(await prepare(await loadBuild(root), label, profileDir));
  }
  const threadsBefore = await Promise.all(sides.map((side) => threadCpuSeconds(side.verdict.pid)));
  for (let run = 0; run < runs; run++) {
    for (const n of consensusCounts) {
      for (const side of run % 2 === 0 ? sides : [...sides].reverse()) side.samples[n].push(await timeRun(side.verdict, side.workflowIds[n], TESTS));
    }
  }
  if (process.env.BENCH_THREADS === '1') {
    const tests = runs * consensusCounts.length * TESTS;
    for (const [index, side] of sides.entries()) {
      const after = await threadCpuSeconds(side.verdict.pid);
      const used = Object.entries(after).map(([thread, seconds]) => [thread, seconds - (threadsBefore[index][thread] ?? 0)]).filter(([, seconds]) => seconds > 0);
      if (process.env.BENCH_TRACE_GC === '1') console.log(`  ${side.label}: main thread GC per run: ${(side.gc.scavenges / runs).toFixed(1)} scavenges, ${(side.gc.markCompacts / runs).toFixed(1)} mark-compacts, ${(side.gc.ms / runs).toFixed(1)} ms`);
      console.log(`  ${side.label}: server CPU per test by thread: ${used.sort((a, b) => b[1] - a[1]).map(([thread, seconds]) => `${thread} ${((seconds / tests) * 1e6).toFixed(0)} µs`).join(', ')}`);
    }
  }
} finally {
  for (const side of sides) await side.close();
}
console.log(`load average at the end ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
for (const n of consensusCounts) {
  for (const side of sides) {
    const seconds = side.samples[n].map((s) => s.seconds);
    const serverSeconds = median(side.samples[n].map((s) => s.serverSeconds));
    const cpuPerTest = median(side.samples[n].map((s) => s.cpuSeconds / TESTS));
    console.log(
      `  ${side.label.padEnd(10)} n_consensus=${n}: median ${median(seconds).toFixed(3)} s = ${Math.round(TESTS / median(seconds))} tests/s ` +
        `(runs ${seconds.map((s) => s.toFixed(3)).join(', ')}); as the server recorded it (created → completed) median ${serverSeconds.toFixed(3)} s = ` +
        `${Math.round(TESTS / serverSeconds)} tests/s; server CPU ${(cpuPerTest * 1e6).toFixed(0)} µs per test`,
    );
  }
}
for (const [label, dir] of profileDirs) {
  console.log(`\nprofile of the replaying server, ${label}:`);
  await printCpuProfiles(dir);
  if (process.env.BENCH_KEEP_PROF === "1") console.log(`  (kept in ${dir})`);
  else await rm(dir, { recursive: true, force: true });
}
