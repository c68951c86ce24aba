import type { JsonSchemaIssue, Verdict } from '@verdict/core';

/**
 * One call of user code, `transform(input)` defined by `code`, with limits; then, in the same
 * thread, the checks of its output (`check`). A job with `code` null runs no code: its input is
 * the output to check (a model block's), and only the checks run.
 */
export interface SandboxJob {
  /**
   * Identifies this version of `code` (e.g. its hash): each worker thread compiles a version once
   * and keeps it under this key. A key whose code differs from what was compiled under it is
   * compiled again, so a reused key costs time, never correctness.
   */
  codeKey: string;
  code: string | null;
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
  /** What to check of the output, in the thread, under the pool's check deadline. */
  check?: OutputCheck;
  /** Aborting drops the job if queued, or terminates the thread running it. */
  signal?: AbortSignal;
}

/**
 * The checks a thread runs on an output once it has it: `output_schema` first (a mismatch ends
 * there), then the assertion. Both run on the thread's own V8, never on the main thread, and the
 * pool stops the thread when they run past its check deadline.
 */
export interface OutputCheck {
  /** The JSON Schema the output must match, as JSON text; null for none. */
  outputSchemaJson: string | null;
  /** The assertion (an AssertionSpec as JSON text, as stored) evaluated on the outputs; null for none (one that calls the model provider is evaluated by the caller). */
  assertionJson: string | null;
  /** The output handle the output goes out on; null: the output is already the record of the block's handles. */
  handleId: string | null;
}

/** Which check a thread is running (the output's schema, or the assertion), for the message of one that runs past its deadline. */
export type CheckKind = 'output_schema' | 'assertion';

/** What the checks found. `evaluated` carries the assertion result as JSON text, `verdict` its outcome. */
export type CheckAnswer =
  | { kind: 'output_schema_invalid'; message: string }
  | { kind: 'output_schema_mismatch'; issues: JsonSchemaIssue[] }
  | { kind: 'evaluated'; verdict: Verdict; assertionResultJson: string }
  | { kind: 'not_evaluated' };

/** `unavailable`: the runtime cannot run here (Python missing or unconfinable); the message says what is missing. */
export type SandboxFailureReason = 'error' | 'timeout' | 'memory' | 'aborted' | 'invalid_output' | 'output_too_large' | 'output_too_deep' | 'check_timeout' | 'crashed' | 'unavailable';

/**
 * `outputJson` is the output as the thread wrote it (at most the pool's output limit, nested at
 * most MAX_JSON_DEPTH deep); `output` parses it on first read, for callers that want the value.
 */
export type SandboxOutcome =
  | { ok: true; outputJson: string; readonly output: unknown; checked: CheckAnswer | undefined; durationMs: number }
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
  /** Largest output (bytes of UTF-8 JSON) a job may return; a larger one fails `output_too_large` in its thread. */
  maxOutputBytes?: number;
  /** How long the checks of one output may run before their thread is stopped and the job fails `check_timeout`. */
  checkTimeoutMs?: number;
}

/** The limits of a QuickJS realm. */
export interface RealmSettings {
  memoryLimitMb: number;
  maxStackKb: number;
}

/** Limits every worker thread of a pool is started with. */
export interface WorkerSettings extends RealmSettings {
  maxOutputBytes: number;
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

/** One job of a `JobBatch`; `code` null: no transform, the input is the output to check. */
export interface JobRequest extends Omit<JobCall, 'code'> {
  code: string | null;
  check: OutputCheck | undefined;
  jobId: number;
  /** Where this job's claim lives in the thread's `JobSlots`. */
  slot: number;
}

/** Main thread → worker: jobs to run in order, each only if its slot can still be claimed. */
export interface JobBatch {
  jobs: JobRequest[];
}

/** What the worker computed; the main thread records `outputJson` as it is and parses it only when it needs the value. */
export type ExecutionResult =
  | { ok: true; outputJson: string; checked?: CheckAnswer }
  | { ok: false; reason: SandboxFailureReason; message: string; details?: Record<string, unknown> };

/** The answer to one job. `durationMs` is measured by the worker around `transform` (checks excluded). `fatal` means the worker's QuickJS module is unusable and it runs nothing more. */
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
/** `ready`: QuickJS is loaded, jobs can run; `warm`: the checks are loaded and warmed up (or failed to load). */
export type WorkerReply = { type: 'ready' } | { type: 'warm' } | { type: 'results'; results: JobResult[] };
