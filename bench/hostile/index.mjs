#!/usr/bin/env node
// One organization under a hostile neighbour (issue 18): does B's read stay under 500 ms and B's
// quick test finish within 3 s while A spins tests, returns huge outputs, runs slow checks, floods?
// Build first (`npm run build`), then: node bench/hostile/index.mjs [--strict] [phase…]
//   phases: baseline spin huge slow flood (all by default); BENCH_HOSTILE_SECONDS (default 30) per
//   hostile phase, 10 for the baseline; --strict exits 1 when a goal is missed (0 otherwise, unless
//   the benchmark itself broke).
// Each phase gets a fresh `verdict serve` (embedded executor, SQLite, defaults) on a loopback port
// and a temporary data dir with two organizations, so that no phase inherits another's damage.
// A's load comes from a worker thread of this process, B's measurements from its main thread.
// Every wait has a deadline: a stalled server shows as "timed out after X s", a dead one as
// "crashed" with the line that says why; the server is stopped after every phase and on Ctrl-C.
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { machineDescription, percentile, sleep } from '../throughput/harness.mjs';
import { ATTACKS } from './attacks.mjs';
import { apiClient, httpSender, TimedOut } from './http.mjs';
import { startTenantServer } from './server.mjs';
import { measureVictim, setUpVictim, VICTIM } from './victim.mjs';

const GOALS = { readP99Ms: 500, quickRunSeconds: 3 };
const HOSTILE_SECONDS = Number(process.env.BENCH_HOSTILE_SECONDS ?? 30);
const BASELINE_SECONDS = 10;
/** A's load is in place this long before B starts measuring. */
const WARM_UP_MS = 1_000;
const ATTACKER_STEP_TIMEOUT_MS = 60_000;
const ATTACKER_WIND_DOWN_MS = 20_000;
const HEALTH_TIMEOUT_MS = 3_000;
const PHASES = [
  { name: 'baseline', title: 'baseline (A idle)', seconds: BASELINE_SECONDS },
  ...Object.entries(ATTACKS).map(([name, attack]) => ({ name, title: attack.title, describe: attack.describe, attack: name, seconds: HOSTILE_SECONDS })),
];

const args = process.argv.slice(2);
const strict = args.includes('--strict');
const wanted = args.filter((arg) => !arg.startsWith('--'));
const unknown = wanted.filter((name) => !PHASES.some((phase) => phase.name === name));
if (unknown.length > 0) {
  console.error(`Unknown phase(s): ${unknown.join(', ')}. Phases: ${PHASES.map((phase) => phase.name).join(', ')}.`);
  process.exit(2);
}
const phases = PHASES.filter((phase) => wanted.length === 0 || wanted.includes(phase.name));

let currentServer = null;
process.once('SIGINT', async () => {
  console.log('\nSIGINT: stopping the server…');
  await currentServer?.stop();
  process.exit(130);
});

/** The next message of `type` from the attacker thread (or its failure), within `timeoutMs`. */
function attackerMessage(worker, type, timeoutMs) {
  return new Promise((resolve) => {
    const timer = setTimeout(() => finish({ type: 'timed out', message: `no "${type}" from the attacker within ${timeoutMs / 1000} s` }), timeoutMs);
    const onMessage = (message) => (message.type === type || message.type === 'failed' ? finish(message) : undefined);
    const onError = (error) => finish({ type: 'failed', message: error.message });
    function finish(message) {
      clearTimeout(timer);
      worker.off('message', onMessage);
      worker.off('error', onError);
      resolve(message);
    }
    worker.on('message', onMessage);
    worker.on('error', onError);
  });
}

/** Starts A's attack in its thread; resolves once its load is in place (or with why it is not). */
async function launchAttacker(phase, server) {
  const worker = new Worker(new URL('./attacker.mjs', import.meta.url), { workerData: { attack: phase.attack, baseUrl: server.baseUrl, key: server.keys.hostile } });
  const ready = await attackerMessage(worker, 'ready', ATTACKER_STEP_TIMEOUT_MS);
  const attacking = ready.type === 'ready' ? await attackerMessage(worker, 'attacking', ATTACKER_STEP_TIMEOUT_MS) : ready;
  return { worker, problem: attacking.type === 'attacking' ? null : attacking.message };
}

/** Tells A to stop and collects its report; a thread that does not wind down in time is terminated. */
async function stopAttacker({ worker, problem }) {
  let done = { type: 'failed', message: problem };
  if (!problem) {
    worker.postMessage('stop');
    done = await attackerMessage(worker, 'done', ATTACKER_WIND_DOWN_MS);
  }
  await worker.terminate();
  return done.type === 'done' ? done.lines : [`A's attack did not complete: ${done.message}`];
}

async function runPhase(phase) {
  const server = await startTenantServer(phase.name, ['hostile', 'victim']);
  currentServer = server;
  const victimSend = httpSender(server.baseUrl);
  let attacker = null;
  try {
    const victimCall = apiClient(victimSend, server.keys.victim, VICTIM.readTimeoutMs);
    const victim = await setUpVictim(victimCall).catch((error) => (server.isUp() ? Promise.reject(error) : null));
    if (!victim) return { reads: [], quickRuns: [], attackLines: [], endRssMb: 0, peakRssMb: 0, serverState: await describeServerState(server, victimSend) };
    if (phase.attack) attacker = await launchAttacker(phase, server);
    if (attacker && !attacker.problem) await sleep(WARM_UP_MS);
    const crashed = new AbortController();
    void server.exited.then(() => crashed.abort());
    const memory = server.sampleMemory(200);
    const measured = await measureVictim(victimCall, victim, { durationMs: phase.seconds * 1000, signal: crashed.signal });
    const attackLines = attacker ? await stopAttacker(attacker) : [];
    const endRssMb = await server.residentMb();
    const { peakRssMb } = await memory.stop();
    return { ...measured, attackLines, endRssMb, peakRssMb, serverState: await describeServerState(server, victimSend) };
  } finally {
    await attacker?.worker.terminate();
    victimSend.close();
    await server.stop();
    currentServer = null;
  }
}

/** `up`, `up, /healthz …` when it does not answer, or `CRASHED …` with how the process ended. */
async function describeServerState(server, send) {
  if (!server.isUp()) return { up: false, text: `CRASHED ${server.describeExit()}` };
  try {
    const health = await send({ path: '/healthz', timeoutMs: HEALTH_TIMEOUT_MS });
    return { up: true, text: health.status === 200 ? 'up' : `up, /healthz answered ${health.status}` };
  } catch (error) {
    return { up: true, text: `up, /healthz ${error instanceof TimedOut ? `timed out after ${HEALTH_TIMEOUT_MS / 1000} s` : `failed: ${error.code ?? error.message}`}` };
  }
}

const fixed = (value, digits) => (value === undefined ? '-' : value.toFixed(digits));
const maxOf = (values) => values.reduce((a, b) => Math.max(a, b), -Infinity);

/** `p50 / … / max (n count)` of `values` at the given percentiles. */
function spread(values, fractions, digits) {
  if (values.length === 0) return '- (n 0)';
  const figures = [...fractions.map((fraction) => percentile(values, fraction)), maxOf(values)];
  return `${figures.map((figure) => figure.toFixed(digits)).join(' / ')} (n ${values.length})`;
}

function summarize(result) {
  // A time-out counts as its deadline; a refused or reset connection has no latency to speak of.
  const readMs = result.reads.filter((read) => !read.failure?.startsWith('error')).map((read) => read.ms);
  const readFailures = tallyOf(result.reads.filter((read) => read.failure).map((read) => read.failure));
  const quickSeconds = result.quickRuns.filter((run) => !run.outcome.startsWith('error')).map((run) => run.seconds);
  const quickFailures = tallyOf(result.quickRuns.filter((run) => run.outcome !== 'passed').map((run) => run.outcome));
  const readP99 = readMs.length ? percentile(readMs, 0.99) : undefined;
  const quickMax = quickSeconds.length ? maxOf(quickSeconds) : undefined;
  return {
    reads: spread(readMs, [0.5, 0.99], 1),
    quick: spread(quickSeconds, [0.5], 2),
    failures: [describeTally('reads', readFailures, VICTIM.readTimeoutMs), describeTally('quick tests', quickFailures, VICTIM.quickRunTimeoutMs)].filter(Boolean).join('; ') || 'none',
    memory: `${fixed(result.endRssMb, 0)} / ${fixed(result.peakRssMb, 0)}`,
    readGoalMet: result.serverState.up && readP99 !== undefined && readP99 < GOALS.readP99Ms && readFailures.size === 0,
    quickGoalMet: result.serverState.up && quickMax !== undefined && quickMax <= GOALS.quickRunSeconds && quickFailures.size === 0,
    readP99,
    quickMax,
    failedReads: sumOf(readFailures),
    failedQuickRuns: sumOf(quickFailures),
  };
}

const sumOf = (tally) => [...tally.values()].reduce((a, b) => a + b, 0);

function tallyOf(labels) {
  const tally = new Map();
  for (const label of labels) tally.set(label, (tally.get(label) ?? 0) + 1);
  return tally;
}

function describeTally(what, tally, timeoutMs) {
  if (tally.size === 0) return '';
  return `${what}: ${[...tally].map(([label, count]) => `${count} ${label === 'timed out' ? `timed out after ${timeoutMs / 1000} s` : label}`).join(', ')}`;
}

const COLUMNS = [
  ['phase', (row) => row.title],
  ["B's GET p50 / p99 / max ms", (row) => row.summary.reads],
  ["B's quick test p50 / max s", (row) => row.summary.quick],
  ['server RSS end / peak MB', (row) => row.summary.memory],
  ['server', (row) => (row.serverState.up ? row.serverState.text : 'CRASHED')],
  ["B's errors and time-outs", (row) => row.summary.failures],
];

function printTable(rows) {
  const widths = COLUMNS.map(([heading, cell]) => Math.max(heading.length, ...rows.map((row) => cell(row).length)));
  const line = (cells) => `| ${cells.map((cell, index) => cell.padEnd(widths[index])).join(' | ')} |`;
  console.log(line(COLUMNS.map(([heading]) => heading)));
  console.log(`|${widths.map((width) => '-'.repeat(width + 2)).join('|')}|`);
  for (const row of rows) console.log(line(COLUMNS.map(([, cell]) => cell(row))));
}

function printGoal(label, hostileRows, met, figure) {
  if (hostileRows.length === 0) return console.log(`n/a   ${label}: no hostile phase ran`);
  const verdicts = hostileRows.map((row) => `${row.title} ${figure(row)} ${met(row) ? 'ok' : 'MISSED'}`);
  console.log(`${hostileRows.every(met) ? 'PASS' : 'FAIL'}  ${label}: ${verdicts.join('; ')}`);
}

function figureOrCrash(row, figure, failed) {
  if (!row.serverState.up) return 'server crashed';
  return failed > 0 ? `${figure}, ${failed} failed or timed out` : figure;
}

/** The 1-minute load average: other work on the machine skews every figure here. */
const loadAverage = () => os.loadavg()[0].toFixed(1);

const startedAt = performance.now();
console.log("Work: organization B reads (GET its runs list and its latest run, alternately) and runs a one-test workflow while organization A attacks; a fresh server per phase.");
console.log(`B: ${VICTIM.readsPerSecond} reads/s, open loop, each timed out after ${VICTIM.readTimeoutMs / 1000} s (a time-out counts as ${VICTIM.readTimeoutMs / 1000} s); a quick run every ${VICTIM.quickRunEveryMs / 1000} s, POST → GET that sees it completed (polled every ${VICTIM.quickRunPollMs} ms), timed out after ${VICTIM.quickRunTimeoutMs / 1000} s.`);
console.log(`Phases: ${phases.map((phase) => `${phase.name} ${phase.seconds} s`).join(', ')}; A's load starts ${WARM_UP_MS / 1000} s before B measures.`);
console.log(`Machine: ${machineDescription()}; load average ${loadAverage()} at the start`);
console.log('Server: `verdict serve` (embedded executor, SQLite, default settings), a fresh data dir per phase; the benchmark shares the cores with it.');
const rows = [];
for (const phase of phases) {
  console.log(`\n--- ${phase.title}${phase.describe ? `: ${phase.describe}` : ''}`);
  const result = await runPhase(phase);
  const row = { ...result, title: phase.title, summary: summarize(result), hostile: Boolean(phase.attack) };
  rows.push(row);
  for (const line of result.attackLines) console.log(`  ${line}`);
  console.log(`  B: GET p50 / p99 / max ${row.summary.reads} ms; quick test p50 / max ${row.summary.quick} s; errors: ${row.summary.failures}`);
  console.log(`  server: ${result.serverState.text}; RSS at the end ${fixed(result.endRssMb, 0)} MB, peak ${fixed(result.peakRssMb, 0)} MB`);
}

console.log(`\nResults (${((performance.now() - startedAt) / 1000).toFixed(0)} s in all; load average ${loadAverage()} at the end):`);
printTable(rows);
const hostileRows = rows.filter((row) => row.hostile);
printGoal(`B's GET p99 < ${GOALS.readP99Ms} ms`, hostileRows, (row) => row.summary.readGoalMet, (row) => figureOrCrash(row, `p99 ${fixed(row.summary.readP99, 0)} ms`, row.summary.failedReads));
printGoal(`B's quick test ≤ ${GOALS.quickRunSeconds} s`, hostileRows, (row) => row.summary.quickGoalMet, (row) => figureOrCrash(row, `max ${fixed(row.summary.quickMax, 2)} s`, row.summary.failedQuickRuns));
const missed = hostileRows.some((row) => !row.summary.readGoalMet || !row.summary.quickGoalMet);
if (strict && missed) process.exit(1);
