/**
 * Worker thread entry: loads QuickJS once, then answers one `JobRequest` at a time with one
 * `WorkerReply`. Each job runs in its own fresh runtime+context, opened right after the previous
 * answer so that the next job does not wait for it.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { FreshSandbox } from './fresh-sandbox.js';
import { loadQuickJs } from './quickjs-module.js';
import type { ExecutionResult, JobRequest, WorkerReply, WorkerSettings } from './types.js';

if (!parentPort) throw new Error('worker.js must run as a worker thread of SandboxPool');
const port = parentPort;
const settings = workerData as WorkerSettings;
const quickJs = await loadQuickJs(settings);
let warmSandbox: FreshSandbox | undefined = new FreshSandbox(quickJs, settings);

port.on('message', (request: JobRequest) => {
  const { result, fatal } = runJob(request);
  const reply: WorkerReply = { type: 'result', jobId: request.jobId, result, fatal };
  port.postMessage(reply);
  if (!fatal) warmUp();
});
port.postMessage({ type: 'ready' } satisfies WorkerReply);

/** After a fatal reply the pool terminates this thread; a failed warm-up is retried by the next job. */
function warmUp(): void {
  try {
    warmSandbox = new FreshSandbox(quickJs, settings);
  } catch {
    warmSandbox = undefined;
  }
}

/** `fatal`: QuickJS failed at the host level (wasm abort, native stack); this module is done. */
function runJob(request: JobRequest): { result: ExecutionResult; fatal: boolean } {
  let result: ExecutionResult | undefined;
  try {
    const sandbox = warmSandbox ?? new FreshSandbox(quickJs, settings);
    warmSandbox = undefined;
    result = sandbox.execute(request);
    sandbox.dispose();
    return { result, fatal: false };
  } catch (hostError) {
    return { result: result ?? crashResult(hostError), fatal: true };
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
