/** One call of user code: `transform(input)` defined by `code`, with limits. */
export interface SandboxJob {
  /**
   * Identifies this version of `code` (e.g. its hash): each worker thread compiles a version once
   * and keeps it under this key. A key whose code differs from what was compiled under it is
   * compiled again, so a reused key costs time, never correctness.
   */
  codeKey: string;
  code: string;
  /** JSON value handed to `transform` (the `input-json-0` payload), unless `inputIn` is given. */
  input?: unknown;
  /**
   * The input as JSON text already (as stored): `transform` gets the value at key path `path` in
   * it, null when a key is missing. The text is parsed in the sandbox thread only: the main thread
   * neither parses the input nor serialises it again.
   */
  inputIn?: { json: string; path: readonly string[] };
  timeoutMs: number;
  /** Whose job this is (the organization): while several tenants have work, the pool shares its threads fairly among them. */
  tenant?: string;
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
  /** Worker threads, each running one job at a time (jobs are handed over in batches). Default: `os.availableParallelism()`. */
  size?: number;
  /** QuickJS heap limit per job; the worker's WebAssembly memory is capped a little above it. */
  memoryLimitMb?: number;
  /** QuickJS stack limit; deeper recursion throws `InternalError: stack overflow`. */
  maxStackKb?: number;
}

/** Limits every worker thread of a pool is started with. */
export interface WorkerSettings {
  memoryLimitMb: number;
  maxStackKb: number;
}

/** A compiled `WebAssembly.Module` (this build's lib has no WebAssembly types). */
export type CompiledWasm = object;

/** A worker thread's `workerData`. */
export interface WorkerStart {
  settings: WorkerSettings;
  /** The QuickJS wasm the process compiled, when it is ready; otherwise the thread compiles its own. */
  compiledQuickJs: CompiledWasm | undefined;
  /** Backs the thread's `JobSlots`: which of the jobs handed to it may still start. */
  slots: SharedArrayBuffer;
}

/** What a realm needs to run one job. */
export interface JobCall {
  codeKey: string;
  code: string;
  inputJson: string;
  /** Key path of the input within `inputJson`; absent: all of it. */
  inputPath?: readonly string[];
  timeoutMs: number;
}

/** One job of a `JobBatch`. */
export interface JobRequest extends JobCall {
  jobId: number;
  /** Where this job's claim lives in the thread's `JobSlots`. */
  slot: number;
}

/** Main thread → worker: jobs to run in order, each only if its slot can still be claimed. */
export interface JobBatch {
  jobs: JobRequest[];
}

/** What the worker computed; `outputJson` is parsed on the main thread. */
export type ExecutionResult =
  | { ok: true; outputJson: string }
  | { ok: false; reason: SandboxFailureReason; message: string; details?: Record<string, unknown> };

/** The answer to one job. `durationMs` is measured by the worker around the job. `fatal` means the worker's QuickJS module is unusable and it runs nothing more. */
export interface JobResult {
  jobId: number;
  result: ExecutionResult;
  durationMs: number;
  fatal: boolean;
}

/**
 * Worker → main thread. The answers of a batch travel together, in the order the jobs ran; a
 * thread that spent a while on one job first sends what it answered before it (see worker.ts).
 */
export type WorkerReply = { type: 'ready' } | { type: 'results'; results: JobResult[] };
