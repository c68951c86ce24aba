/**
 * Worker thread entry: loads QuickJS once, then runs the jobs of each `JobBatch` in order, each
 * one only if it claims its slot (the pool may have taken it back), answering each with one
 * `WorkerReply`. Jobs run in a frozen realm that serves many of them; when a job leaves the realm
 * spent, its replacement is built right after the answer. An output leaves the thread only once
 * it is known to be within the output limits, and checked (see output-checks.ts).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { FrozenRealm } from './frozen-realm.js';
import { loadQuickJs } from './quickjs-module.js';
import { JobSlots, STOPPED_RESULT } from './job-slots.js';
import { lowerThisThreadsPriority } from '../thread-priority.js';
import { outputLimitProblem } from '../../limits/output-limits.js';
import type { ExecutionResult, JobBatch, JobRequest, JobResult, WorkerReply, WorkerStart } from './types.js';

if (!parentPort) throw new Error('worker.js must run as a worker thread of SandboxPool');
const port = parentPort;
const { settings, compiledQuickJs, slots: slotMemory } = workerData as WorkerStart;
const slots = new JobSlots(slotMemory);
/**
 * The checks load, and warm up, while the thread starts and after it reports ready: only a job's
 * checks wait for them, not its transform, and a job waiting for them is not yet on its check
 * deadline (JobSlots.waitingForChecks). Warming up holds the thread's event loop for a while
 * (~200 ms), so the thread says when it is done: SandboxPool.allStarted waits for it.
 */
lowerThisThreadsPriority();
let checksWarm = false;
const checks = import('./output-checks.js').then(async (module) => {
  await module.warmUp().catch(() => undefined);
  checksWarm = true;
  return module;
});
// A failed load fails each job's checks (checkedResult), not the thread.
void checks.catch(() => undefined).then(() => port.postMessage({ type: 'warm' } satisfies WorkerReply));
const quickJs = await loadQuickJs(settings, compiledQuickJs);
let realm: FrozenRealm | undefined = new FrozenRealm(quickJs, settings);
/**
 * Answers wait to travel with the rest of their batch (one message instead of one per job) for at
 * most this long; the pool learns soon enough which job its thread is on.
 */
const HOLD_ANSWERS_MS = 2;
/** Set after a fatal reply: the pool is terminating this thread, nothing more runs here. */
let broken = false;

/** Checks are asynchronous (the assertion engine is): batches are run one after another, never interleaved. */
let batchesDone: Promise<void> = Promise.resolve();
port.on('message', (batch: JobBatch) => {
  batchesDone = batchesDone.then(() => runBatch(batch));
});

async function runBatch({ jobs }: JobBatch): Promise<void> {
  const answered: JobResult[] = [];
  let firstAnsweredAt = 0;
  for (const request of jobs) {
    if (broken) break;
    if (!slots.claimToStart(request.slot, request.jobId)) continue;
    const startedAt = performance.now();
    if (answered.length > 0 && startedAt - firstAnsweredAt > HOLD_ANSWERS_MS) sendAnswers(answered.splice(0));
    const { result, fatal } = runJob(request);
    const durationMs = performance.now() - startedAt;
    const checked = result.ok && !stopRequested(request) ? await checkedResult(request, result.outputJson) : result;
    if (answered.length === 0) firstAnsweredAt = performance.now();
    answered.push({ jobId: request.jobId, result: stopRequested(request) ? STOPPED_RESULT : checked, durationMs, fatal });
    broken = fatal;
    // The pool waits for a stopped job's answer to know the thread is free; it does not wait for the batch.
    if (stopRequested(request)) sendAnswers(answered.splice(0));
    if (!fatal) replaceIfSpent();
  }
  if (answered.length > 0) sendAnswers(answered);
}

function stopRequested(request: JobRequest): boolean {
  return slots.stopRequested(request.jobId);
}

function sendAnswers(results: JobResult[]): void {
  port.postMessage({ type: 'results', results } satisfies WorkerReply);
}
port.postMessage({ type: 'ready' } satisfies WorkerReply);

/**
 * After a fatal reply the pool terminates this thread. A failed dispose ends the thread (the pool
 * replaces it); a failed build is retried by the next job.
 */
function replaceIfSpent(): void {
  if (realm && !realm.spent) return;
  realm?.dispose();
  try {
    realm = new FrozenRealm(quickJs, settings);
  } catch {
    realm = undefined;
  }
}

/**
 * `fatal`: QuickJS failed at the host level (wasm abort, native stack); this module is done. A job
 * without code runs nothing: its input is the output to check.
 */
function runJob(request: JobRequest): { result: ExecutionResult; fatal: boolean } {
  if (!hasCode(request)) return { result: { ok: true, outputJson: request.inputJson }, fatal: false };
  try {
    realm ??= new FrozenRealm(quickJs, settings);
    return { result: realm.execute(request, () => stopRequested(request)), fatal: false };
  } catch (hostError) {
    return { result: crashResult(hostError), fatal: true };
  }
}

function hasCode(request: JobRequest): request is JobRequest & { code: string } {
  return request.code !== null;
}

/**
 * A transform's output over the size or depth limit fails here, before anything parses it; the
 * output is then checked. A check that throws fails the job, not the thread.
 */
async function checkedResult(request: JobRequest, outputJson: string): Promise<ExecutionResult> {
  const refused = request.code === null ? undefined : outputLimitProblem(outputJson, settings.maxOutputBytes, 'transform returned');
  if (refused) return { ok: false, ...refused };
  if (!request.check) return { ok: true, outputJson };
  try {
    if (!checksWarm) slots.waitingForChecks(request.jobId);
    const { checkOutput } = await checks;
    const checked = await checkOutput(outputJson, request.check, (kind) => slots.checking(request.jobId, kind));
    return { ok: true, outputJson, checked };
  } catch (error) {
    return { ok: false, reason: 'error', message: `the output could not be checked: ${error instanceof Error ? error.message : String(error)}` };
  }
}

function crashResult(hostError: unknown): ExecutionResult {
  const message = hostError instanceof Error ? hostError.message : String(hostError);
  const outOfMemory = /out of memory|Cannot enlarge memory/i.test(message);
  return {
    ok: false,
    reason: outOfMemory ? 'memory' : 'crashed',
    message: `the sandbox failed while running transform: ${message}`,
    details: { hostError: message },
  };
}
