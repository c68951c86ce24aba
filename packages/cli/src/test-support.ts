/** Fixtures and a fake terminal for the CLI's tests. */
import { PassThrough } from 'node:stream';
import { Command, CommanderError } from 'commander';
import { Verdict, type WorkflowTestResult, type WorkflowTestRun } from '@verdict/sdk';
import type { CliContext, CliIo } from './commands/context.js';

type Status = WorkflowTestRun['lifecycle']['status'];

export function runFixture(status: Status, outcome: { passed?: number; failed?: number; blocked?: number } = {}, total = 3): WorkflowTestRun {
  const passed = outcome.passed ?? 0;
  const failed = outcome.failed ?? 0;
  const blocked = outcome.blocked ?? 0;
  const completed = passed + failed + blocked;
  const rest = total - completed;
  const lifecycle = status === 'cancelled' ? { status, reason: 'stop' } : status === 'error' ? { status, message: 'Workflow draft could not be loaded.' } : { status };
  return {
    id: 'wftestrun_1',
    workflow: { workflow_id: 'wf_1', version_id: 'ver_1' },
    workflow_id: 'wf_1',
    workflow_version_id: 'ver_1',
    trigger: { type: 'api', api_key_id: 'key_1' },
    lifecycle,
    timing: { created_at: '2026-05-29T10:00:00.000Z', started_at: '2026-05-29T10:00:01.000Z', completed_at: null, duration_ms: 1500 },
    target: null,
    test_id: null,
    total_tests: total,
    counts: {
      lifecycle_counts: {
        pending: status === 'cancelled' ? 0 : rest,
        queued: 0,
        running: 0,
        completed,
        error: 0,
        cancelled: status === 'cancelled' ? rest : 0,
      },
      outcome: { passed, failed, blocked },
    },
  } as WorkflowTestRun;
}

export function resultFixture(id: string, overrides: Partial<WorkflowTestResult> = {}): WorkflowTestResult {
  return {
    id,
    run_id: 'wftestrun_1',
    workflow_test_run_id: 'wftestrun_1',
    test_id: `wfnodetest_${id}`,
    workflow_id: 'wf_1',
    lifecycle: { status: 'completed' },
    timing: { created_at: '2026-05-29T10:00:00.000Z', started_at: null, completed_at: null, duration_ms: 250 },
    verdict: 'passed',
    target: { type: 'block', block_id: 'blk_extract' },
    block_id: 'blk_extract',
    block_type: 'extract',
    execution_fingerprint: 'e',
    handle_inputs_fingerprint: 'h',
    workflow_draft_fingerprint: 'w',
    block_config_fingerprint: 'b',
    source: { type: 'manual', handle_inputs: {} },
    outputs: null,
    routing_decision: null,
    routing_decisions: null,
    warnings: [],
    error: null,
    skipped: false,
    assertion_result: null,
    verdict_summary: null,
    duration_ms: 250,
    ...overrides,
  } as WorkflowTestResult;
}

export function failedResult(id: string, expected: unknown, actual: unknown): WorkflowTestResult {
  return resultFixture(id, {
    verdict: 'failed',
    assertion_result: {
      assertion_id: 'assert_1',
      condition_kind: 'equals',
      outcome: 'failed',
      actual_value: actual,
      expected_value: expected,
      score: null,
      threshold: null,
      metric_kind: null,
      assertion_label: null,
      failure: { code: 'condition_not_met', message: 'Values differ.', details: {} },
    },
  });
}

export class Capture {
  text = '';
  constructor(readonly isTTY = false) {}
  write(chunk: string): boolean {
    this.text += chunk;
    return true;
  }
}

export interface FakeTerminal {
  context: CliContext;
  stdout: Capture;
  stderr: Capture;
  stdin: PassThrough & { isTTY?: boolean };
  exitCode(): number | undefined;
  /** Simulates Ctrl-C. */
  interrupt(): void;
  /** Requests the fake API saw, as `METHOD /path?query`. */
  requests: string[];
  /** Bodies of those requests. */
  bodies: unknown[];
  clientOptions: Array<{ apiKey?: string; baseUrl?: string }>;
}

export type FakeApi = (method: string, url: URL, body: unknown) => { status?: number; json?: unknown } | Promise<{ status?: number; json?: unknown }>;

/** A CLI context whose client talks to `api` in memory, on a terminal or not. */
export function fakeTerminal(api: FakeApi, options: { tty?: boolean; env?: Record<string, string> } = {}): FakeTerminal {
  const tty = options.tty ?? false;
  const stdout = new Capture(tty);
  const stderr = new Capture(tty);
  const stdin = Object.assign(new PassThrough(), { isTTY: tty });
  const listeners = new Set<() => void>();
  const requests: string[] = [];
  const bodies: unknown[] = [];
  const clientOptions: FakeTerminal['clientOptions'] = [];
  let code: number | undefined;
  const fetch = (async (input: string | URL | Request, init?: RequestInit) => {
    const url = new URL(String(input));
    const body = typeof init?.body === 'string' ? JSON.parse(init.body) : undefined;
    requests.push(`${init?.method ?? 'GET'} ${url.pathname}${url.search}`);
    bodies.push(body);
    const reply = await api(init?.method ?? 'GET', url, body);
    return new Response(reply.json === undefined ? null : JSON.stringify(reply.json), { status: reply.status ?? 200, headers: { 'content-type': 'application/json' } });
  }) as typeof globalThis.fetch;
  const io: CliIo = {
    stdout,
    stderr,
    stdin,
    env: options.env ?? {},
    setExitCode: (value) => {
      code = value;
    },
    onInterrupt: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
  return {
    context: {
      io,
      createClient: (clientOption) => {
        clientOptions.push(clientOption);
        return new Verdict({ apiKey: clientOption.apiKey ?? 'key_test', baseUrl: clientOption.baseUrl ?? 'http://verdict.test', fetch, maxRetries: 0 });
      },
    },
    stdout,
    stderr,
    stdin,
    exitCode: () => code,
    interrupt: () => listeners.forEach((listener) => listener()),
    requests,
    bodies,
    clientOptions,
  };
}

export const page = <T>(data: T[], after: string | null = null) => ({ json: { data, list_metadata: { before: null, after } } });

/** Runs `verdict …args` with the given command groups on `terminal`; answers its exit code (3 for commander's own usage errors). */
export async function runCommands(terminal: FakeTerminal, groups: Array<(program: Command, context: CliContext) => void>, args: string[]): Promise<number | undefined> {
  const root = new Command('verdict').exitOverride().configureOutput({ writeOut: (text) => terminal.stdout.write(text), writeErr: (text) => terminal.stderr.write(text) });
  for (const register of groups) register(root, terminal.context);
  try {
    await root.parseAsync(args, { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) return 3;
    throw error;
  }
  return terminal.exitCode();
}
