import { Worker } from 'node:worker_threads';
import type { JobTicket } from './job-ticket.js';
import type { CompiledWasm, JobRequest, WorkerReply, WorkerSettings, WorkerStart } from './types.js';

const RUNNING_FROM_SOURCE = import.meta.url.endsWith('.ts');

/**
 * Built, the thread runs worker.js beside this file. Run from source (tests under tsx), it loads
 * worker.ts through tsx's loader registered inside the thread: `--import tsx` does not reach a
 * worker's entry module on Node 20.
 */
function workerEntry(): { script: URL | string; evaluate: boolean } {
  if (!RUNNING_FROM_SOURCE) return { script: new URL('./worker.js', import.meta.url), evaluate: false };
  const workerTs = JSON.stringify(new URL('./worker.ts', import.meta.url).href);
  return { script: `import('tsx/esm/api').then(({ register }) => { register(); return import(${workerTs}); })`, evaluate: true };
}

export interface SandboxWorkerEvents {
  ready(worker: SandboxWorker): void;
  result(worker: SandboxWorker, reply: Extract<WorkerReply, { type: 'result' }>): void;
  /** The thread ended without being retired: crash, uncaught error or V8 heap limit. */
  died(worker: SandboxWorker, error: Error | undefined, exitCode: number): void;
}

/** One worker thread and the job it is running. Once retired, nothing it says is listened to. */
export class SandboxWorker {
  readonly #thread: Worker;
  #retired = false;
  #ready = false;
  #lastError: Error | undefined;
  running: JobTicket | undefined;

  constructor(settings: WorkerSettings, compiledQuickJs: CompiledWasm | undefined, events: SandboxWorkerEvents) {
    const entry = workerEntry();
    const workerData: WorkerStart = { settings, compiledQuickJs };
    this.#thread = new Worker(entry.script, { eval: entry.evaluate, workerData, resourceLimits: threadLimits(settings) });
    this.#thread.on('message', (reply: WorkerReply) => {
      if (this.#retired) return;
      if (reply.type === 'ready') {
        this.#ready = true;
        events.ready(this);
      } else {
        events.result(this, reply);
      }
    });
    this.#thread.on('error', (error) => {
      this.#lastError = error;
    });
    this.#thread.on('exit', (exitCode) => {
      if (!this.#retired) events.died(this, this.#lastError, exitCode);
    });
  }

  /** False until QuickJS is loaded in the thread; a death before that is a failed start. */
  get ready(): boolean {
    return this.#ready;
  }

  start(ticket: JobTicket): void {
    this.running = ticket;
    const request: JobRequest = {
      jobId: ticket.jobId,
      codeKey: ticket.job.codeKey,
      code: ticket.job.code,
      inputJson: ticket.inputJson,
      timeoutMs: ticket.job.timeoutMs,
    };
    this.#thread.postMessage(request);
  }

  /** Stops the thread even mid-computation (V8 terminates a spinning wasm loop within milliseconds). */
  async retire(): Promise<void> {
    this.#retired = true;
    this.running = undefined;
    await this.#thread.terminate();
  }
}

/**
 * QuickJS recursion runs on the thread's native stack as well as the wasm stack, at about twice
 * the bytes of the QuickJS stack limit; give V8 enough so QuickJS's own "stack overflow" wins.
 * No V8 heap limit: user data lives in the capped wasm memory, and a worker reaching a V8 heap
 * limit while compiling can abort the whole process instead of just the thread.
 */
function threadLimits(settings: WorkerSettings) {
  return { stackSizeMb: Math.max(4, Math.ceil((settings.maxStackKb * 3) / 1024) + 1) };
}
