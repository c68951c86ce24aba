// Organization B, the victim: a trivial function block with one quick test. While a phase lasts, B
// reads at a steady rate (open loop, so that a stall shows in every read it delays) and starts a
// one-test run every few seconds, timing each from its POST to the GET that sees it completed.
import { sleep } from '../throughput/harness.mjs';
import { HttpStatusError, TimedOut } from './http.mjs';
import { blockTest, createWorkflow, startRun, waitForRun } from './workload.mjs';

export const VICTIM = {
  readsPerSecond: 20,
  readTimeoutMs: 10_000,
  quickRunEveryMs: 3_000,
  quickRunTimeoutMs: 10_000,
  quickRunPollMs: 50,
};

const SUM = 'function transform(input) { return { sum: input.a + input.b }; }';

/** B's workflow, and one run of its quick test to check that it passes on a quiet server. */
export async function setUpVictim(call) {
  const { workflowId } = await createWorkflow(call, 'victim: quick test', [
    { code: SUM, timeoutSeconds: 5, tests: [blockTest({ kind: 'equals', expected: 3 }, { data: { a: 1, b: 2 }, path: 'sum' })] },
  ]);
  const quick = await quickRun(call, workflowId);
  if (quick.outcome !== 'passed') throw new Error(`the victim's quick test did not pass on a quiet server: ${quick.outcome}`);
  return { workflowId, lastRunId: quick.runId };
}

/** One run of B's quick test: `{ seconds, outcome, runId }`, outcome `passed`, `failed`, `blocked`, a run status, `timed out` or an error. */
async function quickRun(call, workflowId) {
  const startedAt = performance.now();
  const seconds = () => (performance.now() - startedAt) / 1000;
  try {
    const { id: runId } = await startRun(call, workflowId, VICTIM.quickRunTimeoutMs);
    const waited = await waitForRun(call, runId, { startedAt, everyMs: VICTIM.quickRunPollMs, timeoutMs: VICTIM.quickRunTimeoutMs });
    if (waited.timedOut) return { seconds: waited.seconds, outcome: 'timed out', runId };
    const { run } = waited;
    const outcome = run.lifecycle.status !== 'completed' ? run.lifecycle.status : Object.keys(run.counts.outcome).find((verdict) => run.counts.outcome[verdict] > 0);
    return { seconds: waited.seconds, outcome, runId };
  } catch (error) {
    return { seconds: seconds(), outcome: error instanceof TimedOut ? 'timed out' : `error: ${error.message.slice(0, 120)}` };
  }
}

/** How one read ended: its latency (a time-out counts as its deadline) and, when it failed, why. */
async function timedRead(call, path) {
  const sentAt = performance.now();
  try {
    await call('GET', path, undefined, VICTIM.readTimeoutMs);
    return { ms: performance.now() - sentAt };
  } catch (error) {
    if (error instanceof TimedOut) return { ms: VICTIM.readTimeoutMs, failure: 'timed out' };
    return { ms: performance.now() - sentAt, failure: error instanceof HttpStatusError ? String(error.status) : `error ${error.code ?? error.message}` };
  }
}

/**
 * B's reads and quick runs for `durationMs` (or until `signal` aborts, e.g. the server died):
 * `{ reads: [{ ms, failure? }], quickRuns: [{ seconds, outcome }] }`. Reads alternate between the
 * list of B's runs and B's latest run.
 */
export async function measureVictim(call, victim, { durationMs, signal }) {
  const endsAt = performance.now() + durationMs;
  const reads = [];
  const pending = new Set();
  let latestRunId = victim.lastRunId;
  let readCount = 0;
  const read = () => {
    const path = readCount++ % 2 === 0 ? '/v1/workflows/tests/runs?limit=20' : `/v1/workflows/tests/runs/${latestRunId}`;
    const answered = timedRead(call, path).then((outcome) => reads.push(outcome));
    pending.add(answered);
    void answered.finally(() => pending.delete(answered));
  };
  const reader = setInterval(() => (performance.now() < endsAt && !signal.aborted ? read() : clearInterval(reader)), 1000 / VICTIM.readsPerSecond);

  const quickRuns = [];
  while (performance.now() < endsAt && !signal.aborted) {
    const startedAt = performance.now();
    const quick = await quickRun(call, victim.workflowId);
    quickRuns.push(quick);
    if (quick.runId) latestRunId = quick.runId;
    await sleep(Math.max(0, Math.min(startedAt + VICTIM.quickRunEveryMs, endsAt) - performance.now()));
  }
  clearInterval(reader);
  await Promise.all(pending);
  return { reads, quickRuns };
}
