#!/usr/bin/env node
// Measures the JavaScript function-block sandbox (SandboxPool) on this machine.
// Build first (`npx tsc -p packages/server`), then: node bench/sandbox/index.mjs
// SANDBOX_MODULE=/path/to/sandbox/index.js measures another build of the pool (e.g. an older one).
// Prints: throughput of a line-item total transform at pool size = cores with the CPU each job
// costs the main thread, the sandbox threads and the rest of the process; per-job latency
// (median/p99); throughput when every job compiles new code or spends its realm (the slow paths);
// and how fast an abort stops a busy-looping job and frees its slot.
import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import { pathToFileURL } from 'node:url';

const sandboxModule = process.env.SANDBOX_MODULE ? pathToFileURL(process.env.SANDBOX_MODULE).href : '../../packages/server/dist/execution/sandbox/index.js';
const { SandboxPool } = await import(sandboxModule);

const THROUGHPUT_JOBS = 20_000;
const LATENCY_JOBS = 2_000;
const SLOW_PATH_JOBS = 2_000;
const ABORT_ROUNDS = 10;
const CLOCK_TICKS_PER_SECOND = 100;

const LINE_ITEM_TOTAL = `
function transform(input) {
  let total = 0;
  for (const item of input.line_items) total += item.price * item.qty;
  return { invoice: input.invoice, total: Math.round(total * 100) / 100 };
}`;
// Leaves an endless promise chain behind, so the realm that ran it is replaced before the next job.
const SPENDS_ITS_REALM = `${LINE_ITEM_TOTAL}\n(function again() { Promise.resolve().then(again); })();`;
const BUSY_LOOP = 'function transform() { while (true) {} }';

function invoice(n) {
  const line_items = Array.from({ length: 5 }, (_, i) => ({ sku: `SKU-${n}-${i}`, price: 9.99 + i, qty: 1 + ((n + i) % 4) }));
  return { invoice: `INV-${n}`, line_items };
}

function expectedTotal(input) {
  const total = input.line_items.reduce((sum, item) => sum + item.price * item.qty, 0);
  return Math.round(total * 100) / 100;
}

function percentile(sortedValues, fraction) {
  return sortedValues[Math.min(sortedValues.length - 1, Math.floor(sortedValues.length * fraction))];
}

function summary(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return `median ${percentile(sorted, 0.5).toFixed(3)} ms, p99 ${percentile(sorted, 0.99).toFixed(3)} ms, max ${sorted.at(-1).toFixed(3)} ms`;
}

function lineItemJob(n, code = LINE_ITEM_TOTAL, codeKey = 'bench-line-items') {
  return { codeKey, code, input: invoice(n), timeoutMs: 1000 };
}

/** CPU seconds used so far by each thread of this process (Linux /proc), by thread id. */
function threadCpuSeconds() {
  const byThread = new Map();
  for (const threadId of readdirSync('/proc/self/task')) {
    const stat = readFileSync(`/proc/self/task/${threadId}/stat`, 'utf8');
    const [userTicks, systemTicks] = stat.slice(stat.lastIndexOf(')') + 2).split(' ').slice(11, 13).map(Number);
    byThread.set(threadId, (userTicks + systemTicks) / CLOCK_TICKS_PER_SECOND);
  }
  return byThread;
}

/** Microseconds of CPU per job: the main thread, the sandbox threads (those the pool started), the rest. */
function cpuSplit(before, after, sandboxThreads, jobs) {
  const split = { main: 0, sandbox: 0, other: 0 };
  for (const [threadId, seconds] of after) {
    const used = seconds - (before.get(threadId) ?? 0);
    const part = threadId === String(process.pid) ? 'main' : sandboxThreads.has(threadId) ? 'sandbox' : 'other';
    split[part] += used;
  }
  const perJob = (seconds) => ((seconds * 1e6) / jobs).toFixed(0);
  const total = split.main + split.sandbox + split.other;
  return `${perJob(total)} µs per job = main thread ${perJob(split.main)} + sandbox threads ${perJob(split.sandbox)} + other threads ${perJob(split.other)} (10 ms clock ticks)`;
}

async function runAll(pool, jobs) {
  const started = performance.now();
  const outcomes = await Promise.all(jobs.map((job) => pool.run(job)));
  const seconds = (performance.now() - started) / 1000;
  const wrong = outcomes.filter((outcome, n) => !outcome.ok || outcome.output.total !== expectedTotal(jobs[n].input)).length;
  if (wrong > 0) throw new Error(`${wrong} jobs returned a wrong outcome: ${JSON.stringify(outcomes.find((outcome) => !outcome.ok))}`);
  return { jobsPerSecond: jobs.length / seconds, inWorker: outcomes.map((outcome) => outcome.durationMs) };
}

async function measureThroughput(pool, sandboxThreads) {
  const jobs = Array.from({ length: THROUGHPUT_JOBS }, (_, n) => lineItemJob(n));
  const before = threadCpuSeconds();
  const result = await runAll(pool, jobs);
  return { ...result, cpu: cpuSplit(before, threadCpuSeconds(), sandboxThreads, THROUGHPUT_JOBS) };
}

async function measureSequentialLatency(pool) {
  const latencies = [];
  for (let n = 0; n < LATENCY_JOBS; n++) {
    const started = performance.now();
    const outcome = await pool.run(lineItemJob(n));
    latencies.push(performance.now() - started);
    if (!outcome.ok) throw new Error(`latency job failed: ${outcome.message}`);
  }
  return latencies;
}

/** On a one-thread pool, so the job after an abort has to wait for the replacement thread. */
async function measureAbort() {
  const pool = new SandboxPool({ size: 1 });
  await pool.run(lineItemJob(0));
  const untilStopped = [];
  const untilSlotServes = [];
  for (let round = 0; round < ABORT_ROUNDS; round++) {
    const controller = new AbortController();
    const busy = pool.run({ codeKey: 'bench-busy', code: BUSY_LOOP, input: null, timeoutMs: 60_000, signal: controller.signal });
    await new Promise((resolve) => setTimeout(resolve, 50));
    const abortedAt = performance.now();
    controller.abort();
    const outcome = await busy;
    untilStopped.push(performance.now() - abortedAt);
    if (outcome.reason !== 'aborted') throw new Error(`busy loop ended as ${outcome.reason}`);
    const next = await pool.run(lineItemJob(round));
    if (!next.ok) throw new Error(`job after abort failed: ${next.message}`);
    untilSlotServes.push(performance.now() - abortedAt);
  }
  await pool.close();
  return { untilStopped, untilSlotServes };
}

const cores = os.availableParallelism();
console.log(`machine: ${cores} cores (${os.cpus()[0]?.model ?? 'unknown cpu'}), ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB memory, node ${process.version}`);
console.log(`sandbox: ${sandboxModule}`);

const threadsBeforePool = new Set(threadCpuSeconds().keys());
const spawnStarted = performance.now();
const pool = new SandboxPool({ size: cores });
await Promise.all(Array.from({ length: cores }, (_, n) => pool.run(lineItemJob(n))));
console.log(`pool of ${cores} threads ready and answering in ${(performance.now() - spawnStarted).toFixed(0)} ms`);
const sandboxThreads = new Set([...threadCpuSeconds().keys()].filter((threadId) => !threadsBeforePool.has(threadId)));
await Promise.all(Array.from({ length: 2_000 }, (_, n) => pool.run(lineItemJob(n))));

const throughput = await measureThroughput(pool, sandboxThreads);
console.log(`throughput: ${throughput.jobsPerSecond.toFixed(0)} jobs/s (${THROUGHPUT_JOBS} line-item-total jobs, pool size ${cores})`);
console.log(`  CPU: ${throughput.cpu}`);
console.log(`  time on a thread per job under load: ${summary(throughput.inWorker)}`);
console.log(`sequential round trip per job (one at a time): ${summary(await measureSequentialLatency(pool))}`);

const newCode = await runAll(pool, Array.from({ length: SLOW_PATH_JOBS }, (_, n) => lineItemJob(n, `${LINE_ITEM_TOTAL}\n// version ${n}`, `bench-version-${n}`)));
console.log(`slow path, every job a new code version (compiled on its thread): ${newCode.jobsPerSecond.toFixed(0)} jobs/s`);
const spent = await runAll(pool, Array.from({ length: SLOW_PATH_JOBS }, (_, n) => lineItemJob(n, SPENDS_ITS_REALM, 'bench-spends-realm')));
console.log(`slow path, every job leaves an endless promise chain behind (its realm is replaced): ${spent.jobsPerSecond.toFixed(0)} jobs/s`);

console.log(`pool stats: ${JSON.stringify(pool.stats())}`);
await pool.close();

const abort = await measureAbort();
console.log(`abort of a busy loop, until its thread has stopped: ${summary(abort.untilStopped)}`);
console.log(`abort of a busy loop, until a replacement thread has served the next job (pool of 1): ${summary(abort.untilSlotServes)}`);
