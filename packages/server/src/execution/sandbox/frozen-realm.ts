import { randomFillSync } from 'node:crypto';
import { Scope, type QuickJSContext, type QuickJSHandle, type QuickJSRuntime, type QuickJSWASMModule } from 'quickjs-emscripten';
import { BoundedCache } from '@verdict/core/assertions/lru';
import {
  DIAGNOSIS_HELPERS_SOURCE,
  FACTORY_COLUMN_SHIFT,
  factorySource,
  HELPERS_SCRIPT_NAME,
  JOB_HELPERS_SOURCE,
  syntaxCheckSource,
} from './context-helpers.js';
import { HARDEN_REALM_SOURCE } from './realm-hardening.js';
import { describeUserError, memoryProblem, parseThrownValue, UNREADABLE_THROWN_VALUE, type ThrownValue, type UserScript } from './thrown-value.js';
import { STOPPED_RESULT } from './job-slots.js';
import type { ExecutionResult, JobCall, RealmSettings } from './types.js';

const MB = 1024 * 1024;
const USER_SCRIPT: UserScript = { name: 'transform.js', firstLineColumnShift: FACTORY_COLUMN_SHIFT, helpersName: HELPERS_SCRIPT_NAME };
/** Reading a failure can run user getters/toJSON again; that gets its own short deadline. */
const DIAGNOSIS_BUDGET_MS = 50;
const MISSING_TRANSFORM_MESSAGE = 'The code must define function transform(input) returning a JSON value';
/** Code versions whose compiled factory a realm keeps. */
const CODE_VERSIONS_KEPT = 64;
/** Distinct input key paths a realm keeps built (callers use one or two constant paths). */
const INPUT_PATHS_KEPT = 16;
/** A realm is replaced after this many jobs, so slow growth (atoms, symbols, fragmentation) never piles up. */
const JOBS_PER_REALM = 1000;
/** Reading the heap size walks the heap (~25 µs), so it is read only every this many jobs. */
const JOBS_BETWEEN_HEAP_CHECKS = 64;
/** A realm whose heap outgrew this share of the job memory limit is replaced. */
const HEAP_SHARE_BEFORE_RENEWAL = 0.25;
/** Promise jobs run in slices, so that an endless chain cannot hide that the transform's promise settled. */
const PROMISE_JOBS_PER_SLICE = 64;

/** A value produced inside the context, or the value it threw. */
type Attempt = { value: QuickJSHandle } | { thrown: QuickJSHandle };

interface JobHelpers {
  startJob: QuickJSHandle;
  callTransform: QuickJSHandle;
  serialise: QuickJSHandle;
}

interface DiagnosisHelpers {
  locateUnrepresentable: QuickJSHandle;
  describeThrown: QuickJSHandle;
}

interface CompiledCode {
  code: string;
  factory: QuickJSHandle;
}

/**
 * One QuickJS runtime and context, hardened once into a frozen realm (see `HARDEN_REALM_SOURCE`)
 * and then reused for many jobs: each job calls the cached factory of its code, which re-runs the
 * code's top level into fresh locals, so nothing one job leaves behind is visible to the next, and
 * Math.random starts each job from a fresh seed of the host's CSPRNG.
 * After a job that could have left something behind the realm can no longer rule out (a timeout,
 * a memory failure, more pending promise jobs than one slice runs, a thrown non-Error object) or
 * after `JOBS_PER_REALM` jobs or heap growth, `spent` turns true and the owner must replace it.
 *
 * `execute` returns a result for anything the user's code does; an exception escaping it is a
 * host-level failure (wasm abort, native stack) after which the QuickJS module must not be reused.
 */
export class FrozenRealm {
  readonly #runtime: QuickJSRuntime;
  readonly #context: QuickJSContext;
  /** Handles that live as long as the realm. */
  readonly #realmScope = new Scope();
  readonly #inputPaths = new Map<string, QuickJSHandle>();
  readonly #compiled = new BoundedCache<string, CompiledCode>(CODE_VERSIONS_KEPT, (compiled) => compiled.factory.dispose());
  readonly #helpers: JobHelpers;
  readonly #memoryLimitMb: number;
  #diagnosis: DiagnosisHelpers | undefined;
  /** Handles of the job being run. */
  #jobScope = new Scope();
  #jobsRun = 0;
  #spent = false;
  #memoryLimitLifted = false;
  #timeoutMs = 0;
  #deadline = Number.POSITIVE_INFINITY;
  #stopRequested: () => boolean = neverStop;
  #interrupted = false;
  /** Interrupted because the job was asked to stop (its run was cancelled), not by its deadline. */
  #stopped = false;

  constructor(quickJs: QuickJSWASMModule, settings: RealmSettings) {
    this.#memoryLimitMb = settings.memoryLimitMb;
    this.#runtime = quickJs.newRuntime();
    this.#runtime.setMaxStackSize(settings.maxStackKb * 1024);
    this.#runtime.setInterruptHandler(() => this.#pastDeadline());
    this.#context = this.#runtime.newContext();
    try {
      this.#helpers = this.#loadJobHelpers(this.#harden());
    } catch (error) {
      this.dispose();
      throw error;
    }
    this.#runtime.setMemoryLimit(this.#memoryLimitBytes());
  }

  /** True once this realm must not run another job. */
  get spent(): boolean {
    return this.#spent;
  }

  /** `stopRequested` is read while the job's code runs: once it answers true, the job ends as `aborted`. */
  execute(request: JobCall, stopRequested: () => boolean = neverStop): ExecutionResult {
    this.#begin(request.timeoutMs, stopRequested);
    try {
      const result = this.#run(request);
      this.#retireIfNeeded();
      return result;
    } finally {
      this.#jobScope.dispose();
    }
  }

  dispose(): void {
    this.#compiled.clear();
    this.#realmScope.dispose();
    this.#context.dispose();
    this.#runtime.dispose();
  }

  #begin(timeoutMs: number, stopRequested: () => boolean): void {
    this.#jobScope = new Scope();
    this.#timeoutMs = timeoutMs;
    this.#deadline = performance.now() + timeoutMs;
    this.#stopRequested = stopRequested;
    this.#interrupted = false;
    this.#stopped = false;
  }

  #run(request: JobCall): ExecutionResult {
    const factory = this.#factoryFor(request);
    if ('thrown' in factory) return this.#errorResult(factory.thrown);
    const transform = this.#call(this.#helpers.startJob, factory.value);
    if ('thrown' in transform) return this.#errorResult(transform.thrown);
    if (this.#context.typeof(transform.value) !== 'function') return { ok: false, reason: 'error', message: MISSING_TRANSFORM_MESSAGE };
    const inputJson = this.#manage(this.#context.newString(request.inputJson));
    const path = request.inputPath ? [this.#inputPath(request.inputPath)] : [];
    const returned = this.#call(this.#helpers.callTransform, transform.value, inputJson, ...path);
    if ('thrown' in returned) return this.#errorResult(returned.thrown);
    const output = this.#settle(returned.value);
    if ('thrown' in output) return this.#errorResult(output.thrown);
    const json = this.#call(this.#helpers.serialise, output.value);
    if ('thrown' in json) return this.#invalidOutputResult(output.value, json.thrown);
    return this.#outputResult(json.value);
  }

  /**
   * Promise jobs the job left behind get one more slice, under the job's memory limit again; the
   * realm is spent if any still remain. The heap is read every few jobs, and after any job whose
   * failure was read without a memory limit.
   */
  #retireIfNeeded(): void {
    const limitWasLifted = this.#memoryLimitLifted;
    if (limitWasLifted) this.#restoreMemoryLimit();
    this.#jobsRun++;
    this.#runPromiseJobs();
    this.#spent ||=
      this.#interrupted ||
      this.#runtime.hasPendingJob() ||
      this.#jobsRun >= JOBS_PER_REALM ||
      ((limitWasLifted || this.#jobsRun % JOBS_BETWEEN_HEAP_CHECKS === 0) && this.#heapBytes() > this.#memoryLimitBytes() * HEAP_SHARE_BEFORE_RENEWAL);
  }

  #heapBytes(): number {
    const usage = this.#manage(this.#runtime.computeMemoryUsage());
    return this.#context.getNumber(this.#manage(this.#context.getProp(usage, 'memory_used_size')));
  }

  #memoryLimitBytes(): number {
    return this.#memoryLimitMb * MB;
  }

  /** Copying a large output out, or reading an "out of memory" error, needs room past the job's limit. */
  #liftMemoryLimit(): void {
    this.#runtime.setMemoryLimit(-1);
    this.#memoryLimitLifted = true;
  }

  #restoreMemoryLimit(): void {
    this.#runtime.setMemoryLimit(this.#memoryLimitBytes());
    this.#memoryLimitLifted = false;
  }

  /** QuickJS's interrupt handler, called every few thousand instructions of user code. */
  #pastDeadline(): boolean {
    if (this.#stopRequested()) this.#stopped = true;
    else if (performance.now() <= this.#deadline) return false;
    this.#interrupted = true;
    return true;
  }

  /**
   * The factory of this code version, compiled on first use. The code is first compiled alone as
   * a strict script (not run): its syntax errors name the user's lines, and code that would close
   * the factory's body early fails there instead of running at the top level of the realm.
   */
  #factoryFor(request: JobCall): Attempt {
    const cached = this.#compiled.get(request.codeKey);
    if (cached?.code === request.code) return { value: cached.factory };
    const checked = this.#attempt(this.#context.evalCode(syntaxCheckSource(request.code), USER_SCRIPT.name, { strict: true, compileOnly: true }));
    if ('thrown' in checked) return checked;
    const compiled = this.#context.evalCode(factorySource(request.code), USER_SCRIPT.name, { strict: true });
    if (compiled.error) return { thrown: this.#manage(compiled.error) };
    this.#compiled.set(request.codeKey, { code: request.code, factory: compiled.value });
    return { value: compiled.value };
  }

  /** Freezes the realm; returns its `newJob` (see `HARDEN_REALM_SOURCE`). */
  #harden(): QuickJSHandle {
    const harden = this.#realmScope.manage(this.#context.unwrapResult(this.#context.evalCode(HARDEN_REALM_SOURCE, HELPERS_SCRIPT_NAME)));
    const drawSeed = this.#realmScope.manage(this.#context.newFunction('drawSeed', () => this.#context.newString(freshSeed())));
    return this.#realmScope.manage(this.#context.unwrapResult(this.#context.callFunction(harden, this.#context.undefined, drawSeed)));
  }

  #loadJobHelpers(newJob: QuickJSHandle): JobHelpers {
    const factory = this.#realmScope.manage(this.#context.unwrapResult(this.#context.evalCode(JOB_HELPERS_SOURCE, HELPERS_SCRIPT_NAME)));
    const helpers = this.#realmScope.manage(this.#context.unwrapResult(this.#context.callFunction(factory, this.#context.undefined, newJob)));
    return {
      startJob: this.#realmProperty(helpers, 'startJob'),
      callTransform: this.#realmProperty(helpers, 'callTransform'),
      serialise: this.#realmProperty(helpers, 'serialise'),
    };
  }

  /** A key path as an array in the realm, built once (user code never sees it). */
  #inputPath(path: readonly string[]): QuickJSHandle {
    const key = path.join('\u0000');
    const known = this.#inputPaths.get(key);
    if (known) return known;
    const scope = this.#inputPaths.size < INPUT_PATHS_KEPT ? this.#realmScope : this.#jobScope;
    const array = scope.manage(this.#context.newArray());
    path.forEach((name, index) => this.#context.setProp(array, index, this.#manage(this.#context.newString(name))));
    if (scope === this.#realmScope) this.#inputPaths.set(key, array);
    return array;
  }

  #realmProperty(object: QuickJSHandle, name: string): QuickJSHandle {
    return this.#realmScope.manage(this.#context.getProp(object, name));
  }

  #manage(handle: QuickJSHandle): QuickJSHandle {
    return this.#jobScope.manage(handle);
  }

  #call(fn: QuickJSHandle, ...args: QuickJSHandle[]): Attempt {
    return this.#attempt(this.#context.callFunction(fn, this.#context.undefined, ...args));
  }

  #attempt(result: { value: QuickJSHandle; error?: undefined } | { error: QuickJSHandle }): Attempt {
    return result.error ? { thrown: this.#manage(result.error) } : { value: this.#manage(result.value) };
  }

  /** `async function transform` is allowed: promise jobs run until its promise settles (there are no timers). */
  #settle(returned: QuickJSHandle): Attempt {
    let state = this.#context.getPromiseState(returned);
    while (state.type === 'pending' && this.#runPromiseJobs()) state = this.#context.getPromiseState(returned);
    switch (state.type) {
      case 'pending':
        return { thrown: this.#manage(this.#context.newError('transform returned a promise that never settled')) };
      case 'rejected':
        return { thrown: this.#manage(state.error) };
      case 'fulfilled':
        return { value: state.notAPromise ? returned : this.#manage(state.value) };
    }
  }

  /** Runs a slice of promise jobs; false when none can run (none left, or past the deadline). */
  #runPromiseJobs(): boolean {
    if (this.#interrupted || !this.#runtime.hasPendingJob()) return false;
    this.#runtime.executePendingJobs(PROMISE_JOBS_PER_SLICE).dispose();
    return true;
  }

  #errorResult(thrown: QuickJSHandle): ExecutionResult {
    if (this.#interrupted) return this.#interruptedResult();
    const described = this.#describe(thrown);
    if (described.referencesObjects) this.#spent = true;
    return this.#memoryResult(described) ?? { ok: false, reason: 'error', ...describeUserError(described, USER_SCRIPT) };
  }

  #invalidOutputResult(output: QuickJSHandle, thrown: QuickJSHandle): ExecutionResult {
    if (this.#interrupted) return this.#interruptedResult();
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
   * Copying the JSON out needs about as much memory again, so the heap limit is lifted for the
   * copy (user code is done; the wasm memory stays capped). QuickJS answers a failed copy with an
   * empty string, which no JSON text is.
   */
  #outputResult(json: QuickJSHandle): ExecutionResult {
    this.#liftMemoryLimit();
    const outputJson = this.#context.getString(json);
    this.#restoreMemoryLimit();
    if (outputJson !== '') return { ok: true, outputJson };
    this.#spent = true;
    return { ok: false, reason: 'memory', message: `transform ran out of memory: its output is too large to copy out of the sandbox (limit ${this.#memoryLimitMb} MB)` };
  }

  #interruptedResult(): ExecutionResult {
    if (this.#stopped) return STOPPED_RESULT;
    return { ok: false, reason: 'timeout', message: `transform timed out: it ran longer than the ${this.#timeoutMs} ms limit` };
  }

  #memoryResult(thrown: ThrownValue): ExecutionResult | undefined {
    const problem = memoryProblem(thrown);
    if (!problem) return undefined;
    this.#spent = true;
    return { ok: false, reason: 'memory', message: `transform ran out of memory: ${problem} (sandbox limit ${this.#memoryLimitMb} MB)` };
  }

  #describe(thrown: QuickJSHandle): ThrownValue {
    const json = this.#callDiagnosis('describeThrown', thrown);
    return json === undefined ? UNREADABLE_THROWN_VALUE : parseThrownValue(json);
  }

  #locateUnrepresentable(output: QuickJSHandle): string | undefined {
    return this.#callDiagnosis('locateUnrepresentable', output);
  }

  /**
   * Runs a diagnosis helper and returns the string it produced, if it produced one. The heap limit
   * is lifted (an "out of memory" error is read while the heap is still full; the wasm memory stays
   * capped) and a fresh short deadline is set.
   */
  #callDiagnosis(name: keyof DiagnosisHelpers, argument: QuickJSHandle): string | undefined {
    this.#liftMemoryLimit();
    this.#deadline = performance.now() + DIAGNOSIS_BUDGET_MS;
    const diagnosis = this.#loadDiagnosis();
    if (!diagnosis) return undefined;
    const result = this.#call(diagnosis[name], argument);
    if ('thrown' in result || this.#context.typeof(result.value) !== 'string') return undefined;
    return this.#context.getString(result.value);
  }

  /** Compiled on the realm's first failure. */
  #loadDiagnosis(): DiagnosisHelpers | undefined {
    if (this.#diagnosis) return this.#diagnosis;
    const loaded = this.#context.evalCode(DIAGNOSIS_HELPERS_SOURCE, HELPERS_SCRIPT_NAME);
    if (loaded.error) {
      loaded.error.dispose();
      return undefined;
    }
    const helpers = this.#realmScope.manage(loaded.value);
    this.#diagnosis = {
      locateUnrepresentable: this.#realmProperty(helpers, 'locateUnrepresentable'),
      describeThrown: this.#realmProperty(helpers, 'describeThrown'),
    };
    return this.#diagnosis;
  }
}

function neverStop(): boolean {
  return false;
}

const SEED_BYTES = 16;
const seeds = Buffer.alloc(SEED_BYTES * 256);
let seedsUsed = seeds.length;

/** 128 bits from the host's CSPRNG as 32 hex digits, drawn a few KB at a time. */
function freshSeed(): string {
  if (seedsUsed === seeds.length) {
    randomFillSync(seeds);
    seedsUsed = 0;
  }
  seedsUsed += SEED_BYTES;
  return seeds.toString('hex', seedsUsed - SEED_BYTES, seedsUsed);
}
