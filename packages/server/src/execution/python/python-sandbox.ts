import { availableParallelism } from 'node:os';
import { hostSearchPath } from '../../config.js';
import { DEFAULT_MAX_OUTPUT_BYTES } from '../../limits/output-limits.js';
import { TenantQueues } from '../sandbox/tenant-queues.js';
import type { SandboxOutcome } from '../sandbox/types.js';
import { failure, outcomeOfAnswer, outcomeOfZygoteFailure } from './answers.js';
import { cancelFrame, FrameKind, requestFrame, retireFrame, type ZygoteFrame } from './frames.js';
import { DEFAULT_PYTHON, resolveInterpreter } from './interpreter.js';
import { TemplateRegistry, type TemplateBounds, type TemplateEntry } from './templates.js';
import { ZygoteProcess, type ZygoteReport } from './zygote-process.js';

/** VERDICT_PYTHON_MEMORY_MB by default: numpy and pandas import within it, with room for data. */
export const DEFAULT_PYTHON_MEMORY_MB = 256;
/** A child's answer may hold this much beside its output (message, details, a traceback); the zygote allows the same. */
const ANSWER_HEADER_ALLOWANCE = 256 * 1024;
/** Past a test's timeout, how long the zygote has to report it stopped before Node stops the zygote itself. */
const BACKSTOP_GRACE_MS = 5000;
/** After a start that failed for a reason that may pass (not a missing interpreter), the next test tries again after this. */
const RETRY_START_AFTER_MS = 2000;
const MAX_TIMER_MS = 2 ** 31 - 1;
/** The path of a function block's input in its test's source (docs/decisions.md §7: `input-json-0`). */
const INPUT_PATH_JSON = '["handle_inputs","input-json-0","data"]';
/**
 * Templates (one per organization and block code, each holding its compiled code and models):
 * at most this many in all, this many per organization, and none idle longer than this.
 */
/**
 * VERDICT_PYTHON_PROCESSES by default: twice the CPU cores. A test's answer travels back through
 * the zygote, Node, a check thread and the store while its process is gone; with one test per core
 * the cores wait through that trip and every answer arrives alone, paying a wakeup of each hop, a
 * check message and a store flush of its own. With two per core the trips overlap the other tests'
 * runs and answers arrive together (docs/benchmarks.md, "Where the server's CPU per Python test
 * goes": 8-21 % less CPU per test in six A/Bs of eight on a loaded machine).
 */
export function defaultPythonProcesses(): number {
  return 2 * availableParallelism();
}
export const DEFAULT_TEMPLATE_BOUNDS: TemplateBounds = { total: 32, perTenant: 8, idleMs: 60_000 };

export interface PythonSandboxOptions {
  /** `python3` (on PATH), an interpreter's path, or `off`. */
  interpreter?: string;
  /** The operator's package directories (os.pathsep-separated), readable by every test. */
  packagesDir?: string | null;
  memoryMb?: number;
  /** Children running at once (an organization below its fair share may go up to twice this). */
  processes?: number;
  maxOutputBytes?: number;
  /** The environment the interpreter is looked up in (PATH); the zygote itself gets none of it. */
  env?: NodeJS.ProcessEnv;
  templates?: Partial<TemplateBounds>;
}

/** One Python function test. Every field that holds a tenant's text is JSON text already, spliced into the request as it is. */
export interface PythonJob {
  /** The code as a JSON string literal (JSON.stringify(code), which the caller caches per code). */
  codeJson: string;
  /** The test's source as stored: the input is the value at handle_inputs.input-json-0.data in it. */
  sourceJson: string;
  /** JSON Schema texts of the input (the upstream handle's) and of the output (`output_schema`); null for none. */
  inputSchemaJson: string | null;
  outputSchemaJson: string | null;
  timeoutMs: number;
  tenant: string;
  signal?: AbortSignal;
}

type Runtime = { state: 'starting'; started: Promise<void> } | { state: 'ready'; zygote: ZygoteProcess; report: ZygoteReport } | { state: 'unavailable'; message: string; retryAt: number };

class PythonTicket {
  readonly queuedAt = performance.now();
  readonly chunks: Buffer[] = [];
  answerBytes = 0;
  sentAt = 0;
  template: TemplateEntry | undefined;
  abortedAt: number | undefined;
  backstop: NodeJS.Timeout | undefined;
  detachAbort: () => void = () => {};
  readonly promise: Promise<SandboxOutcome>;
  settle!: (outcome: SandboxOutcome) => void;

  constructor(
    readonly jobId: number,
    readonly job: PythonJob,
    readonly tenant: string,
  ) {
    this.promise = new Promise((resolve) => {
      this.settle = (outcome) => {
        clearTimeout(this.backstop);
        this.detachAbort();
        resolve(outcome);
      };
    });
  }
}

/**
 * Runs Python function blocks: one zygote (zygote.py) per process, started on the first Python
 * test (never at server start, never for JavaScript-only runs), which forks one confined child per
 * test. Children run at most `processes` at once, shared fairly among tenants as the JavaScript
 * sandbox's threads are: a tenant with jobs queued goes first when it holds fewer children, and
 * one below its fair share may start beyond `processes` (up to twice it) while others' long jobs
 * hold every child. Cancel reaches a running child in well under a millisecond here (the zygote
 * SIGKILLs it). A zygote that dies is started again for the next test (its tests in flight are
 * `crashed`). Where Python cannot run (no interpreter, no confinement), every test is answered
 * `unavailable` with a message that says what is missing, and nothing else is affected. `run` never rejects.
 */
export class PythonSandbox {
  readonly #interpreter: string;
  readonly #packagesDir: string | null;
  readonly #memoryMb: number;
  readonly #size: number;
  readonly #maxOutputBytes: number;
  readonly #env: NodeJS.ProcessEnv;
  readonly #queue = new TenantQueues<PythonTicket>();
  readonly #running = new Map<number, PythonTicket>();
  readonly #runningPerTenant = new Map<string, number>();
  readonly #templates: TemplateRegistry;
  readonly #sweeper: NodeJS.Timeout;
  #runtime: Runtime | undefined;
  #nextJobId = 1;
  #starts = 0;
  #closed = false;

  constructor(options: PythonSandboxOptions = {}) {
    this.#interpreter = options.interpreter?.trim() || DEFAULT_PYTHON;
    this.#packagesDir = options.packagesDir || null;
    this.#memoryMb = positiveInteger(options.memoryMb ?? DEFAULT_PYTHON_MEMORY_MB, 'memoryMb');
    this.#size = positiveInteger(options.processes ?? defaultPythonProcesses(), 'processes');
    this.#maxOutputBytes = positiveInteger(options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES, 'maxOutputBytes');
    this.#env = options.env ?? { PATH: hostSearchPath() };
    const bounds = { ...DEFAULT_TEMPLATE_BOUNDS, ...options.templates };
    this.#templates = new TemplateRegistry(bounds, (number) => this.#retire(number));
    this.#sweeper = setInterval(() => this.#templates.sweep(), Math.max(10, Math.min(bounds.idleMs / 2, 10_000)));
    this.#sweeper.unref();
  }

  run(job: PythonJob): Promise<SandboxOutcome> {
    if (this.#closed) return Promise.resolve(failure('aborted', 'the Python sandbox was closed'));
    if (job.signal?.aborted) return Promise.resolve(failure('aborted', 'cancelled before it started'));
    if (!(job.timeoutMs > 0 && job.timeoutMs <= MAX_TIMER_MS - BACKSTOP_GRACE_MS)) return Promise.resolve(failure('error', `invalid timeoutMs: ${job.timeoutMs}`));
    const ticket = new PythonTicket(this.#nextJobId++, job, job.tenant);
    if (job.signal) {
      const signal = job.signal;
      const onAbort = () => this.#abort(ticket);
      signal.addEventListener('abort', onAbort, { once: true });
      ticket.detachAbort = () => signal.removeEventListener('abort', onAbort);
    }
    this.#queue.push(ticket);
    this.#dispatch();
    return ticket.promise;
  }

  /**
   * `starts`: zygotes started so far; `report`: what the running one said of itself (its RSS,
   * its confinement); `unavailable`: why Python does not run here, once that is known.
   */
  stats(): { size: number; running: number; queued: number; starts: number; templates: ReturnType<TemplateRegistry['stats']>; report: ZygoteReport | null; unavailable: string | null } {
    const runtime = this.#runtime;
    return {
      templates: this.#templates.stats(),
      size: this.#size,
      running: this.#running.size,
      queued: this.#queue.size,
      starts: this.#starts,
      report: runtime?.state === 'ready' ? runtime.report : null,
      unavailable: runtime?.state === 'unavailable' ? runtime.message : null,
    };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#sweeper);
    for (const ticket of [...this.#queue.drain(), ...this.#running.values()]) ticket.settle(failure('aborted', 'the Python sandbox was closed'));
    this.#running.clear();
    const runtime = this.#runtime;
    if (runtime?.state === 'starting') await runtime.started;
    const started = this.#runtime;
    if (started?.state === 'ready') await started.zygote.stop();
  }

  #dispatch(): void {
    if (this.#closed || this.#queue.size === 0) return;
    const runtime = this.#runtime;
    if (runtime === undefined || (runtime.state === 'unavailable' && runtime.retryAt <= performance.now())) return this.#start();
    if (runtime.state === 'starting') return;
    if (runtime.state === 'unavailable') {
      for (const ticket of this.#queue.drain()) ticket.settle(failure('unavailable', runtime.message));
      return;
    }
    // Every test started in this turn goes to the zygote in one write.
    runtime.zygote.cork();
    try {
      for (let tenant = this.#nextTenant(); tenant !== undefined; tenant = this.#nextTenant()) {
        const [ticket] = this.#queue.take(tenant, 1);
        this.#send(runtime.zygote, ticket);
      }
    } finally {
      runtime.zygote.uncork();
    }
  }

  /**
   * Whose job starts next: the tenant with jobs queued that holds the fewest children (the least
   * recently served among equals); beyond `size` children, only a tenant below its fair share.
   */
  #nextTenant(): string | undefined {
    if (this.#running.size >= 2 * this.#size) return undefined;
    let chosen: string | undefined;
    let fewest = Infinity;
    const tenantsWithWork = new Set([...this.#queue.tenants(), ...this.#runningPerTenant.keys()]).size;
    const share = Math.max(1, Math.floor(this.#size / tenantsWithWork));
    for (const tenant of this.#queue.tenants()) {
      const holding = this.#runningPerTenant.get(tenant) ?? 0;
      if (holding < fewest) {
        chosen = tenant;
        fewest = holding;
      }
    }
    if (chosen === undefined || (this.#running.size >= this.#size && fewest >= share)) return undefined;
    return chosen;
  }

  #start(): void {
    this.#starts++;
    const started = this.#launch().then((runtime) => {
      this.#runtime = runtime;
      if (this.#closed && runtime.state === 'ready') void runtime.zygote.stop();
      this.#dispatch();
    });
    this.#runtime = { state: 'starting', started };
  }

  async #launch(): Promise<Runtime> {
    const interpreter = await resolveInterpreter(this.#interpreter, this.#env);
    // A missing interpreter or one that cannot be confined stays so: Verdict asks again only after a restart.
    if (!interpreter.ok) return { state: 'unavailable', message: interpreter.message, retryAt: Infinity };
    const start = await ZygoteProcess.start(interpreter.executable, this.#packagesDir, {
      frame: (frame) => this.#onFrame(frame),
      exited: (description) => this.#onZygoteExit(description),
    });
    if (!start.ok) {
      return { state: 'unavailable', message: `Python function blocks cannot run on this server: ${start.message}`, retryAt: start.lasting ? Infinity : performance.now() + RETRY_START_AFTER_MS };
    }
    return { state: 'ready', zygote: start.zygote, report: start.report };
  }

  #send(zygote: ZygoteProcess, ticket: PythonTicket): void {
    const { job, jobId } = ticket;
    this.#running.set(jobId, ticket);
    this.#runningPerTenant.set(ticket.tenant, (this.#runningPerTenant.get(ticket.tenant) ?? 0) + 1);
    ticket.sentAt = performance.now();
    ticket.backstop = setTimeout(() => this.#onOverdue(ticket), job.timeoutMs + BACKSTOP_GRACE_MS);
    const template = this.#templates.acquire(ticket.tenant, definitionJson(job), () => Buffer.from(definitionJson(job), 'utf8'));
    ticket.template = template;
    const control = { id: jobId, template: template.number, timeout_ms: job.timeoutMs, memory_mb: this.#memoryMb, max_output_bytes: this.#maxOutputBytes };
    // Concatenated, never re-serialised: the stored source and schemas go to the child as they are.
    const test =
      `{"id":${jobId},"timeout_ms":${job.timeoutMs},"memory_mb":${this.#memoryMb},"max_output_bytes":${this.#maxOutputBytes},` +
      `"input_path":${INPUT_PATH_JSON},"source":${job.sourceJson}}`;
    zygote.send(requestFrame(control, template.definition, test));
  }

  #retire(number: number): void {
    const runtime = this.#runtime;
    if (runtime?.state === 'ready') runtime.zygote.send(retireFrame(number));
  }

  #onFrame({ id, kind, payload }: ZygoteFrame): void {
    const ticket = this.#running.get(id);
    if (!ticket) return;
    if (kind === FrameKind.chunk) {
      ticket.answerBytes += payload.length;
      if (ticket.answerBytes <= this.#maxOutputBytes + ANSWER_HEADER_ALLOWANCE) ticket.chunks.push(payload);
      return;
    }
    const elapsedMs = performance.now() - ticket.sentAt;
    let outcome: SandboxOutcome =
      kind === FrameKind.done ? outcomeOfAnswer(Buffer.concat(ticket.chunks), this.#maxOutputBytes) : outcomeOfZygoteFailure(payload, elapsedMs);
    if (!outcome.ok && outcome.reason === 'aborted' && ticket.abortedAt !== undefined) {
      outcome = { ...outcome, details: { ...outcome.details, stoppedInMs: performance.now() - ticket.abortedAt } };
    }
    this.#finish(ticket, outcome);
  }

  #finish(ticket: PythonTicket, outcome: SandboxOutcome): void {
    if (ticket.template) this.#templates.release(ticket.template);
    if (this.#running.delete(ticket.jobId)) {
      const holding = (this.#runningPerTenant.get(ticket.tenant) ?? 1) - 1;
      if (holding > 0) this.#runningPerTenant.set(ticket.tenant, holding);
      else this.#runningPerTenant.delete(ticket.tenant);
    }
    ticket.settle(outcome);
    this.#dispatch();
  }

  #abort(ticket: PythonTicket): void {
    if (this.#queue.remove(ticket)) return ticket.settle(failure('aborted', 'cancelled before it started'));
    const runtime = this.#runtime;
    if (!this.#running.has(ticket.jobId) || runtime?.state !== 'ready') return;
    ticket.abortedAt = performance.now();
    runtime.zygote.send(cancelFrame(ticket.jobId));
  }

  /** The zygote did not report a test stopped well past its timeout: it is stuck, and is replaced. */
  #onOverdue(ticket: PythonTicket): void {
    const runtime = this.#runtime;
    if (!this.#running.has(ticket.jobId) || runtime?.state !== 'ready') return;
    this.#onZygoteExit(`it did not stop a test ${BACKSTOP_GRACE_MS / 1000} s past its timeout`);
    void runtime.zygote.stop();
  }

  #onZygoteExit(description: string): void {
    this.#runtime = undefined;
    this.#templates.forgetAll();
    const inFlight = [...this.#running.values()];
    this.#running.clear();
    this.#runningPerTenant.clear();
    for (const ticket of inFlight) {
      ticket.settle(failure('crashed', `the Python runner stopped while this test ran (${description}); it starts again for the next test`, undefined, performance.now() - ticket.sentAt));
    }
    this.#dispatch();
  }
}

/** What makes a template: the block's code and schemas (the organization is the other half of its key). */
function definitionJson(job: PythonJob): string {
  return `{"input_schema":${job.inputSchemaJson ?? 'null'},"output_schema":${job.outputSchemaJson ?? 'null'},"code":${job.codeJson}}`;
}

function positiveInteger(value: number, name: string): number {
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`PythonSandbox ${name} must be a positive integer, got ${value}`);
  return value;
}
