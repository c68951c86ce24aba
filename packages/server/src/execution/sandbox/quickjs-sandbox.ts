import {
  newQuickJSWASMModule,
  newVariant,
  RELEASE_SYNC,
  Scope,
  type QuickJSContext,
  type QuickJSHandle,
  type QuickJSRuntime,
  type QuickJSWASMModule,
} from 'quickjs-emscripten';
import { CONTEXT_HELPERS_SOURCE } from './context-helpers.js';
import type { ExecutionResult, JobRequest, WorkerSettings } from './types.js';

/** This build's lib has no WebAssembly types (they live in lib.dom); this is the one constructor used. */
declare const WebAssembly: { Memory: new (descriptor: { initial: number; maximum: number }) => object };

const MB = 1024 * 1024;
const WASM_PAGE_BYTES = 64 * 1024;
/** Emscripten's default initial heap for this build; the memory may not start smaller. */
const INITIAL_WASM_BYTES = 16 * MB;
const SCRIPT_NAME = 'transform.js';
/** Thrown values can carry getters; reading them gets its own small deadline. */
const DESCRIBE_BUDGET_MS = 50;
const STACK_LINES_KEPT = 10;
/** QuickJS errors that mean the job hit its memory limit, with what to tell the user. */
const MEMORY_ERRORS = new Map([
  ['InternalError: out of memory', 'an allocation failed'],
  ['InternalError: string too long', 'a string grew past the maximum length'],
]);
const MISSING_TRANSFORM_MESSAGE = 'The code must define function transform(input) returning a JSON value';

/**
 * `setMemoryLimit` alone does not cap what the wasm heap grows to (a big allocation can overshoot
 * it), so each worker gets a fixed, non-growable memory: twice the QuickJS limit plus room for
 * the emscripten stack and static data. A failed allocation then surfaces as QuickJS's
 * "out of memory" instead of taking memory from the process.
 */
export function wasmMemoryBytes(memoryLimitMb: number): number {
  return Math.max(INITIAL_WASM_BYTES, (memoryLimitMb * 2 + 16) * MB);
}

export async function loadQuickJs(settings: WorkerSettings): Promise<QuickJSWASMModule> {
  const wasmMemory = new WebAssembly.Memory({
    initial: INITIAL_WASM_BYTES / WASM_PAGE_BYTES,
    maximum: wasmMemoryBytes(settings.memoryLimitMb) / WASM_PAGE_BYTES,
  });
  return newQuickJSWASMModule(newVariant(RELEASE_SYNC, { wasmMemory }));
}

interface ContextHelpers {
  parse: QuickJSHandle;
  serialise: QuickJSHandle;
  describeThrown: QuickJSHandle;
  findTransform: QuickJSHandle;
}

interface ThrownValue {
  name: string;
  message: string;
  stack: string;
}

/** Outcome of one step inside the context: a value handle, or a finished (failed) result. */
type Step = { value: QuickJSHandle } | { failed: ExecutionResult };

/**
 * A fresh QuickJS runtime and context for exactly one job, so nothing a job leaves behind
 * (globals, patched prototypes, pending promise jobs) can reach another. Opening one costs about
 * 0.25 ms, which the worker spends right after answering, before the next job arrives.
 *
 * Methods that return normally produced a result for the user's code; a thrown exception is a
 * host-level failure (wasm abort, V8 stack overflow) after which the module must not be reused.
 */
export class FreshSandbox {
  readonly #runtime: QuickJSRuntime;
  readonly #context: QuickJSContext;
  readonly #scope = new Scope();
  readonly #helpers: ContextHelpers;
  readonly #memoryLimitMb: number;
  #timeoutMs = 0;
  #deadline = Number.POSITIVE_INFINITY;
  #interrupted = false;

  constructor(quickJs: QuickJSWASMModule, settings: WorkerSettings) {
    this.#memoryLimitMb = settings.memoryLimitMb;
    this.#runtime = quickJs.newRuntime();
    this.#runtime.setMemoryLimit(settings.memoryLimitMb * MB);
    this.#runtime.setMaxStackSize(settings.maxStackKb * 1024);
    this.#runtime.setInterruptHandler(() => this.#pastDeadline());
    this.#context = this.#runtime.newContext();
    this.#helpers = this.#loadHelpers();
  }

  execute(request: JobRequest): ExecutionResult {
    this.#timeoutMs = request.timeoutMs;
    this.#deadline = Date.now() + request.timeoutMs;
    const evaluated = this.#evaluateUserCode(request.code);
    if ('failed' in evaluated) return evaluated.failed;
    const transform = this.#call(this.#helpers.findTransform, [], 'error');
    if ('failed' in transform) return transform.failed;
    if (this.#context.typeof(transform.value) !== 'function') {
      return { ok: false, reason: 'error', message: MISSING_TRANSFORM_MESSAGE };
    }
    const input = this.#call(this.#helpers.parse, [this.#manage(this.#context.newString(request.inputJson))], 'error');
    if ('failed' in input) return input.failed;
    const output = this.#call(transform.value, [input.value], 'error');
    if ('failed' in output) return output.failed;
    const settled = this.#settlePromise(output.value);
    if ('failed' in settled) return settled.failed;
    const json = this.#call(this.#helpers.serialise, [settled.value], 'invalid_output');
    if ('failed' in json) return json.failed;
    return { ok: true, outputJson: this.#context.getString(json.value) };
  }

  dispose(): void {
    this.#scope.dispose();
    this.#context.dispose();
    this.#runtime.dispose();
  }

  #pastDeadline(): boolean {
    if (Date.now() <= this.#deadline) return false;
    this.#interrupted = true;
    return true;
  }

  #manage(handle: QuickJSHandle): QuickJSHandle {
    return this.#scope.manage(handle);
  }

  #loadHelpers(): ContextHelpers {
    const helpers = this.#manage(this.#context.unwrapResult(this.#context.evalCode(CONTEXT_HELPERS_SOURCE, '<sandbox>')));
    const get = (name: keyof ContextHelpers) => this.#manage(this.#context.getProp(helpers, name));
    return { parse: get('parse'), serialise: get('serialise'), describeThrown: get('describeThrown'), findTransform: get('findTransform') };
  }

  #evaluateUserCode(code: string): Step {
    const result = this.#context.evalCode(code, SCRIPT_NAME, { type: 'global' });
    if (result.error) return { failed: this.#failure(this.#manage(result.error), 'error') };
    return { value: this.#manage(result.value) };
  }

  #call(fn: QuickJSHandle, args: QuickJSHandle[], errorReason: 'error' | 'invalid_output'): Step {
    const result = this.#context.callFunction(fn, this.#context.undefined, ...args);
    if (result.error) return { failed: this.#failure(this.#manage(result.error), errorReason) };
    return { value: this.#manage(result.value) };
  }

  /** `async function transform` is allowed: its promise is driven to completion (there are no timers). */
  #settlePromise(output: QuickJSHandle): Step {
    let state = this.#context.getPromiseState(output);
    if (state.type === 'pending') {
      this.#runtime.executePendingJobs().dispose();
      if (this.#interrupted) return { failed: this.#timeout() };
      state = this.#context.getPromiseState(output);
    }
    switch (state.type) {
      case 'pending':
        return { failed: { ok: false, reason: 'error', message: 'transform returned a promise that never settled' } };
      case 'rejected':
        return { failed: this.#failure(this.#manage(state.error), 'error') };
      case 'fulfilled':
        return { value: state.notAPromise ? output : this.#manage(state.value) };
    }
  }

  #failure(thrown: QuickJSHandle, errorReason: 'error' | 'invalid_output'): ExecutionResult {
    if (this.#interrupted) return this.#timeout();
    const described = this.#describe(thrown);
    const memoryProblem = MEMORY_ERRORS.get(`${described.name}: ${described.message}`);
    if (memoryProblem) {
      const message = `transform ran out of memory: ${memoryProblem} (sandbox limit ${this.#memoryLimitMb} MB)`;
      return { ok: false, reason: 'memory', message };
    }
    if (errorReason === 'invalid_output') {
      return { ok: false, reason: 'invalid_output', message: `transform returned output that is not JSON-serialisable: ${described.message}` };
    }
    const location = locationIn(described.stack);
    const message = formatThrown(described) + (location ? ` (line ${location.line})` : '');
    return { ok: false, reason: 'error', message, details: { ...described, stack: firstLines(described.stack), ...location } };
  }

  #timeout(): ExecutionResult {
    return { ok: false, reason: 'timeout', message: `transform timed out: it ran longer than the ${this.#timeoutMs} ms limit` };
  }

  /** Reads a thrown value inside the context; lifts the heap limit so an "out of memory" error can be read. */
  #describe(thrown: QuickJSHandle): ThrownValue {
    this.#runtime.setMemoryLimit(-1);
    this.#deadline = Date.now() + DESCRIBE_BUDGET_MS;
    const result = this.#context.callFunction(this.#helpers.describeThrown, this.#context.undefined, thrown);
    if (result.error) {
      this.#manage(result.error);
      return { name: 'Error', message: 'a value that cannot be displayed was thrown', stack: '' };
    }
    return JSON.parse(this.#context.getString(this.#manage(result.value))) as ThrownValue;
  }
}

function formatThrown({ name, message }: ThrownValue): string {
  return name ? `${name}: ${message}` : message;
}

function firstLines(stack: string): string {
  return stack.split('\n').slice(0, STACK_LINES_KEPT).join('\n');
}

/** First stack frame in the user's script, e.g. `at transform (transform.js:3:11)`. */
function locationIn(stack: string): { line: number; column?: number } | undefined {
  const match = /transform\.js:(\d+)(?::(\d+))?/.exec(stack);
  if (!match) return undefined;
  return match[2] === undefined ? { line: Number(match[1]) } : { line: Number(match[1]), column: Number(match[2]) };
}
