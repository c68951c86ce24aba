import { outputLimitProblem } from '../../limits/output-limits.js';
import { SandboxOutput } from '../sandbox/job-ticket.js';
import type { SandboxFailureReason, SandboxOutcome } from '../sandbox/types.js';

/**
 * A child's answer is a JSON header line, then the output JSON, then a NUL (the zygote's sign that
 * it is whole). The child ran user code, so its bytes are untrusted: anything malformed is that
 * test's crash, and every field is checked here.
 */
const CHILD_REASONS: ReadonlySet<string> = new Set<SandboxFailureReason>([
  'error',
  'timeout',
  'memory',
  'invalid_output',
  'output_too_large',
  'output_too_deep',
  'crashed',
  'unavailable',
]);
/** The zygote's own failures (it never relays a child's words in them). */
const ZYGOTE_REASONS: ReadonlySet<string> = new Set<SandboxFailureReason>(['timeout', 'memory', 'output_too_large', 'crashed', 'aborted']);
const MAX_MESSAGE_CHARS = 4000;
/** What the code printed, as results show it: run.py keeps 16 Ki characters (and says how many more there were); this bounds what a child could claim. */
export const MAX_LOG_CHARS = 16 * 1024 + 200;
const NEWLINE = 0x0a;

/** A Python test's output, with what its code printed (stdout and stderr), if anything. */
export class PythonOutput extends SandboxOutput {
  constructor(
    outputJson: string,
    durationMs: number,
    readonly logs: string | undefined,
  ) {
    super(outputJson, undefined, durationMs);
  }
}

export function failure(reason: SandboxFailureReason, message: string, details?: Record<string, unknown>, durationMs = 0): SandboxOutcome {
  return { ok: false, reason, message, durationMs, ...(details ? { details } : {}) };
}

/** The outcome of a child that wrote its whole `answer`. */
export function outcomeOfAnswer(whole: Buffer, maxOutputBytes: number): SandboxOutcome {
  const answer = whole.subarray(0, whole.length - 1);
  const newline = answer.indexOf(NEWLINE);
  const header = parseObject(answer.toString('utf8', 0, newline < 0 ? answer.length : newline));
  if (!header) return failure('crashed', 'the Python process running transform wrote an answer Verdict could not read (did transform write to its file descriptors?)');
  const durationMs = typeof header.duration_ms === 'number' && Number.isFinite(header.duration_ms) ? header.duration_ms : 0;
  const logs = boundedLogs(header.logs);
  if (header.ok !== true) {
    const reason = typeof header.reason === 'string' && CHILD_REASONS.has(header.reason) ? (header.reason as SandboxFailureReason) : 'crashed';
    const details = plainObject(header.details);
    return failure(reason, boundedMessage(header.message), logs === undefined ? details : { ...details, logs }, durationMs);
  }
  const outputJson = newline < 0 ? '' : answer.toString('utf8', newline + 1);
  if (outputJson === '') return failure('crashed', 'the Python process running transform answered without an output');
  const refused = outputLimitProblem(outputJson, maxOutputBytes, 'transform returned');
  if (refused) return failure(refused.reason, refused.message, refused.details, durationMs);
  return new PythonOutput(outputJson, durationMs, logs);
}

/** The zygote's answer for a child it stopped, or that died without answering. */
export function outcomeOfZygoteFailure(payload: Buffer, durationMs: number): SandboxOutcome {
  const report = parseObject(payload.toString('utf8'));
  if (!report || typeof report.reason !== 'string' || !ZYGOTE_REASONS.has(report.reason)) {
    return failure('crashed', 'the Python runner reported a failure Verdict could not read', undefined, durationMs);
  }
  return failure(report.reason as SandboxFailureReason, boundedMessage(report.message), plainObject(report.details), durationMs);
}

function parseObject(text: string): Record<string, unknown> | undefined {
  try {
    return plainObject(JSON.parse(text));
  } catch {
    return undefined;
  }
}

function plainObject(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

function boundedLogs(logs: unknown): string | undefined {
  if (typeof logs !== 'string' || logs === '') return undefined;
  return logs.length > MAX_LOG_CHARS ? `${logs.slice(0, MAX_LOG_CHARS)}…` : logs;
}

function boundedMessage(message: unknown): string {
  const text = typeof message === 'string' && message !== '' ? message : 'transform failed without a message';
  return text.length > MAX_MESSAGE_CHARS ? `${text.slice(0, MAX_MESSAGE_CHARS)}…` : text;
}
