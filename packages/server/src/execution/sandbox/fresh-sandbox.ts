import { Scope, type QuickJSContext, type QuickJSHandle, type QuickJSRuntime, type QuickJSWASMModule } from 'quickjs-emscripten';
import { DIAGNOSIS_HELPERS_SOURCE, JOB_HELPERS_SOURCE } from './context-helpers.js';
import { describeUserError, memoryProblem, parseThrownValue, UNREADABLE_THROWN_VALUE, type ThrownValue } from './thrown-value.js';
import type { ExecutionResult, JobRequest, WorkerSettings } from './types.js';

const MB = 1024 * 1024;
const SCRIPT_NAME = 'transform.js';
/** Reading a failure can run user getters/toJSON again; that gets its own short deadline. */
const DIAGNOSIS_BUDGET_MS = 50;
const MISSING_TRANSFORM_MESSAGE = 'The code must define function transform(input) returning a JSON value';

/** A value produced inside the context, or the value it threw. */
type Attempt = { value: QuickJSHandle } | { thrown: QuickJSHandle };

interface JobHelpers {
  parse: QuickJSHandle;
  serialise: QuickJSHandle;
  findTransform: QuickJSHandle;
}

interface DiagnosisHelpers {
  locateUnrepresentable: QuickJSHandle;
  describeThrown: QuickJSHandle;
}

/**
 * A fresh QuickJS runtime and context for exactly one job, so nothing a job leaves behind
 * (globals, patched prototypes, pending promise jobs) can reach another. Opening one costs about
 * 0.25 ms, which the worker spends after answering a job, before the next one arrives.
 *
 * `execute` returns a result for anything the user's code does; an exception escaping it is a
 * host-level failure (wasm abort, native stack) after which the QuickJS module must not be reused.
 */
export class FreshSandbox {
  readonly #runtime: QuickJSRuntime;
  readonly #context: QuickJSContext;
  readonly #scope = new Scope();
  readonly #helpers: JobHelpers;
  readonly #memoryLimitMb: number;
  #diagnosis: DiagnosisHelpers | undefined;
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
    const helpers = this.#manage(this.#context.unwrapResult(this.#context.evalCode(JOB_HELPERS_SOURCE, '<sandbox>')));
    this.#helpers = {
      parse: this.#property(helpers, 'parse'),
      serialise: this.#property(helpers, 'serialise'),
      findTransform: this.#property(helpers, 'findTransform'),
    };
  }

  execute(request: JobRequest): ExecutionResult {
    this.#timeoutMs = request.timeoutMs;
    this.#deadline = performance.now() + request.timeoutMs;
    const evaluated = this.#attempt(this.#context.evalCode(request.code, SCRIPT_NAME, { type: 'global' }));
    if ('thrown' in evaluated) return this.#errorResult(evaluated.thrown);
    const transform = this.#call(this.#helpers.findTransform);
    if ('thrown' in transform) return this.#errorResult(transform.thrown);
    if (this.#context.typeof(transform.value) !== 'function') {
      return { ok: false, reason: 'error', message: MISSING_TRANSFORM_MESSAGE };
    }
    const inputJson = this.#manage(this.#context.newString(request.inputJson));
    const input = this.#call(this.#helpers.parse, inputJson);
    if ('thrown' in input) return this.#errorResult(input.thrown);
    const returned = this.#call(transform.value, input.value);
    if ('thrown' in returned) return this.#errorResult(returned.thrown);
    const output = this.#settle(returned.value);
    if ('thrown' in output) return this.#errorResult(output.thrown);
    const json = this.#call(this.#helpers.serialise, output.value);
    if ('thrown' in json) return this.#invalidOutputResult(output.value, json.thrown);
    return this.#outputResult(json.value);
  }

  dispose(): void {
    this.#scope.dispose();
    this.#context.dispose();
    this.#runtime.dispose();
  }

  #pastDeadline(): boolean {
    if (performance.now() <= this.#deadline) return false;
    this.#interrupted = true;
    return true;
  }

  #manage(handle: QuickJSHandle): QuickJSHandle {
    return this.#scope.manage(handle);
  }

  #property(object: QuickJSHandle, name: string): QuickJSHandle {
    return this.#manage(this.#context.getProp(object, name));
  }

  #call(fn: QuickJSHandle, ...args: QuickJSHandle[]): Attempt {
    return this.#attempt(this.#context.callFunction(fn, this.#context.undefined, ...args));
  }

  #attempt(result: { value: QuickJSHandle; error?: undefined } | { error: QuickJSHandle }): Attempt {
    return result.error ? { thrown: this.#manage(result.error) } : { value: this.#manage(result.value) };
  }

  /** `async function transform` is allowed: pending promise jobs are run to completion (there are no timers). */
  #settle(returned: QuickJSHandle): Attempt {
    let state = this.#context.getPromiseState(returned);
    if (state.type === 'pending') {
      this.#runtime.executePendingJobs().dispose();
      state = this.#context.getPromiseState(returned);
    }
    switch (state.type) {
      case 'pending':
        return { thrown: this.#manage(this.#context.newError('transform returned a promise that never settled')) };
      case 'rejected':
        return { thrown: this.#manage(state.error) };
      case 'fulfilled':
        return { value: state.notAPromise ? returned : this.#manage(state.value) };
    }
  }

  #errorResult(thrown: QuickJSHandle): ExecutionResult {
    if (this.#interrupted) return this.#timeoutResult();
    const described = this.#describe(thrown);
    return this.#memoryResult(described) ?? { ok: false, reason: 'error', ...describeUserError(described, SCRIPT_NAME) };
  }

  #invalidOutputResult(output: QuickJSHandle, thrown: QuickJSHandle): ExecutionResult {
    if (this.#interrupted) return this.#timeoutResult();
    const invalid = (problem: string): ExecutionResult => ({
      ok: false,
      reason: 'invalid_output',
      message: `transform returned output that is not JSON-serialisable: ${problem}`,
    });
    const located = this.#locateUnrepresentable(output);
    if (located !== undefined) return invalid(located);
    const described = this.#describe(thrown);
    return this.#memoryResult(described) ?? invalid(described.message);
  }

  /**
   * Copying the JSON out needs about as much memory again, so the heap limit is lifted (user code
   * is done; the wasm memory stays capped). QuickJS answers a failed copy with an empty string,
   * which no JSON text is.
   */
  #outputResult(json: QuickJSHandle): ExecutionResult {
    this.#runtime.setMemoryLimit(-1);
    const outputJson = this.#context.getString(json);
    if (outputJson !== '') return { ok: true, outputJson };
    return { ok: false, reason: 'memory', message: `transform ran out of memory: its output is too large to copy out of the sandbox (limit ${this.#memoryLimitMb} MB)` };
  }

  #timeoutResult(): ExecutionResult {
    return { ok: false, reason: 'timeout', message: `transform timed out: it ran longer than the ${this.#timeoutMs} ms limit` };
  }

  #memoryResult(thrown: ThrownValue): ExecutionResult | undefined {
    const problem = memoryProblem(thrown);
    if (!problem) return undefined;
    return { ok: false, reason: 'memory', message: `transform ran out of memory: ${problem} (sandbox limit ${this.#memoryLimitMb} MB)` };
  }

  #describe(thrown: QuickJSHandle): ThrownValue {
    const json = this.#callDiagnosis('describeThrown', thrown);
    return json === undefined ? UNREADABLE_THROWN_VALUE : parseThrownValue(json);
  }

  #locateUnrepresentable(output: QuickJSHandle): string | undefined {
    return this.#callDiagnosis('locateUnrepresentable', output);
  }

  /** Runs a diagnosis helper and returns the string it produced, if it produced one. */
  #callDiagnosis(name: keyof DiagnosisHelpers, argument: QuickJSHandle): string | undefined {
    const diagnosis = this.#loadDiagnosis();
    if (!diagnosis) return undefined;
    const result = this.#call(diagnosis[name], argument);
    if ('thrown' in result || this.#context.typeof(result.value) !== 'string') return undefined;
    return this.#context.getString(result.value);
  }

  /**
   * Compiled only after a failure. The heap limit is lifted (an "out of memory" error is read while
   * the heap is still full; the wasm memory stays capped) and a fresh short deadline is set.
   */
  #loadDiagnosis(): DiagnosisHelpers | undefined {
    if (this.#diagnosis) return this.#diagnosis;
    this.#runtime.setMemoryLimit(-1);
    this.#deadline = performance.now() + DIAGNOSIS_BUDGET_MS;
    const loaded = this.#attempt(this.#context.evalCode(DIAGNOSIS_HELPERS_SOURCE, '<sandbox>'));
    if ('thrown' in loaded) return undefined;
    this.#diagnosis = {
      locateUnrepresentable: this.#property(loaded.value, 'locateUnrepresentable'),
      describeThrown: this.#property(loaded.value, 'describeThrown'),
    };
    return this.#diagnosis;
  }
}
