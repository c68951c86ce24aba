/** One call of user code: `transform(input)` defined by `code`, with limits. */
export interface SandboxJob {
  /**
   * Identifies this version of `code`. Nothing is cached under it today: quickjs-emscripten 0.32
   * exposes no way to run one compiled form in another context (no JS_EvalFunction / bytecode
   * reader), and QuickJS bytecode is bound to the realm it was compiled in, while every job needs
   * a fresh context. Compiling a typical transform costs ~30 µs of the ~0.4 ms a job takes.
   */
  codeKey: string;
  code: string;
  /** JSON value handed to `transform` (the `input-json-0` payload). */
  input: unknown;
  timeoutMs: number;
  /** Aborting drops the job if queued, or terminates the thread running it. */
  signal?: AbortSignal;
}

export type SandboxFailureReason = 'error' | 'timeout' | 'memory' | 'aborted' | 'invalid_output' | 'crashed';

export type SandboxOutcome =
  | { ok: true; output: unknown; durationMs: number }
  | {
      ok: false;
      reason: SandboxFailureReason;
      message: string;
      durationMs: number;
      details?: Record<string, unknown>;
    };

export interface SandboxPoolOptions {
  /** Worker threads, each running one job at a time. Default: `os.availableParallelism()`. */
  size?: number;
  /** QuickJS heap limit per job; the worker's WebAssembly memory is capped a little above it. */
  memoryLimitMb?: number;
  /** QuickJS stack limit; deeper recursion throws `InternalError: stack overflow`. */
  maxStackKb?: number;
}

/** Limits every worker thread of a pool is started with (its `workerData`). */
export interface WorkerSettings {
  memoryLimitMb: number;
  maxStackKb: number;
}

/** Main thread → worker: one message per job. */
export interface JobRequest {
  jobId: number;
  code: string;
  inputJson: string;
  timeoutMs: number;
}

/** What the worker computed; `outputJson` is parsed on the main thread. */
export type ExecutionResult =
  | { ok: true; outputJson: string }
  | { ok: false; reason: SandboxFailureReason; message: string; details?: Record<string, unknown> };

/** Worker → main thread. `fatal` means the worker's QuickJS module is unusable and it is exiting. */
export type WorkerReply =
  | { type: 'ready' }
  | { type: 'result'; jobId: number; result: ExecutionResult; fatal: boolean };
