import type { PagePromise } from '../pagination.js';
import type { RequestOptions, Transport } from '../transport.js';
import type {
  CancelWorkflowRunParams,
  CancelWorkflowRunResponse,
  CreateWorkflowRunParams,
  ExportWorkflowRunsParams,
  ListWorkflowRunsParams,
  WorkflowRun,
  WorkflowRunExportResponse,
} from '../types.js';
import { listPages, segment } from './list.js';
import { pollUntilTerminal, type WaitOptions } from './wait.js';

const TERMINAL = new Set(['completed', 'error', 'cancelled']);

export const isTerminalWorkflowRun = (run: WorkflowRun): boolean => TERMINAL.has(run.lifecycle.status);

/** Options of `workflows.runs.wait`: onProgress sees the run whenever its status changes. */
export type WorkflowRunWaitOptions = WaitOptions<WorkflowRun>;

/** Whole-workflow runs (`/v1/workflows/runs`): every block in dependency order, each recorded as a step. */
export class WorkflowRuns {
  constructor(private readonly transport: Transport) {}

  list(params: ListWorkflowRunsParams = {}, options?: RequestOptions): PagePromise<WorkflowRun> {
    const { metadata, ...rest } = params;
    return listPages(this.transport, '/v1/workflows/runs', { ...rest, metadata: metadata === undefined ? undefined : JSON.stringify(metadata) }, options);
  }

  /**
   * Starts a run (answered 202, before it executes): `documents` per start_document block (a
   * FileRef of `files` or `{filename, url}` with a data URL), `json_inputs` per start_json block,
   * `version` `production` (default), `draft` or a `ver_…` id.
   */
  create(body: CreateWorkflowRunParams, options?: RequestOptions): Promise<WorkflowRun> {
    return this.transport.request({ method: 'POST', path: '/v1/workflows/runs', body }, options);
  }

  get(runId: string, options?: RequestOptions): Promise<WorkflowRun> {
    return this.transport.request({ method: 'GET', path: runPath(runId) }, options);
  }

  delete(runId: string, options?: RequestOptions): Promise<void> {
    return this.transport.request({ method: 'DELETE', path: runPath(runId) }, options);
  }

  /** Retried like a GET: a repeated cancel (the same `command_id`, or a run already cancelled) answers as the first did. */
  cancel(runId: string, body: CancelWorkflowRunParams = {}, options?: RequestOptions): Promise<CancelWorkflowRunResponse> {
    return this.transport.request({ method: 'POST', path: `${runPath(runId)}/cancel`, body, idempotent: true }, options);
  }

  /** One block's inputs or outputs across the workflow's runs, as CSV. */
  export(body: ExportWorkflowRunsParams, options?: RequestOptions): Promise<WorkflowRunExportResponse> {
    return this.transport.request({ method: 'POST', path: '/v1/workflows/runs/export', body, idempotent: true }, options);
  }

  /** Polls the run until it is completed, errored or cancelled, and resolves with that final state. */
  wait(runId: string, options: WorkflowRunWaitOptions = {}): Promise<WorkflowRun> {
    return pollUntilTerminal({ runId, load: (signal) => this.get(runId, { signal }), isTerminal: isTerminalWorkflowRun, progressKey: (run) => run.lifecycle.status }, options);
  }
}

const runPath = (runId: string) => `/v1/workflows/runs/${segment(runId)}`;
