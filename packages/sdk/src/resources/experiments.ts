import type { PagePromise } from '../pagination.js';
import type { RequestOptions, Transport } from '../transport.js';
import type {
  CancelExperimentRunResponse,
  CreateExperimentParams,
  CreateExperimentRunParams,
  ExperimentMetricsParams,
  ExperimentMetricsResponse,
  ExperimentResult,
  ExperimentRun,
  ListExperimentRunsParams,
  ListExperimentsParams,
  PaginationParams,
  UpdateExperimentParams,
  WorkflowExperiment,
} from '../types.js';
import { listPages, segment } from './list.js';

const BASE = '/v1/workflows/experiments';

/** Runs of experiments: each scores how much a block's n_consensus votes agree over the experiment's documents. */
export class ExperimentRuns {
  constructor(private readonly transport: Transport) {}

  list(params: ListExperimentRunsParams = {}, options?: RequestOptions): PagePromise<ExperimentRun> {
    return listPages(this.transport, `${BASE}/runs`, { ...params }, options);
  }

  create(body: CreateExperimentRunParams, options?: RequestOptions): Promise<ExperimentRun> {
    return this.transport.request({ method: 'POST', path: `${BASE}/runs`, body }, options);
  }

  get(runId: string, options?: RequestOptions): Promise<ExperimentRun> {
    return this.transport.request({ method: 'GET', path: `${BASE}/runs/${segment(runId)}` }, options);
  }

  /** Answers `{id, lifecycle}` only, as Retab's API does. */
  cancel(runId: string, options?: RequestOptions): Promise<CancelExperimentRunResponse> {
    return this.transport.request({ method: 'POST', path: `${BASE}/runs/${segment(runId)}/cancel` }, options);
  }
}

export class ExperimentResults {
  constructor(private readonly transport: Transport) {}

  list(runId: string, params: PaginationParams = {}, options?: RequestOptions): PagePromise<ExperimentResult> {
    return listPages(this.transport, `${BASE}/results`, { ...params, run_id: runId }, options);
  }

  get(resultId: string, options?: RequestOptions): Promise<ExperimentResult> {
    return this.transport.request({ method: 'GET', path: `${BASE}/results/${segment(resultId)}` }, options);
  }
}

/** Retab's experiments API (docs/experiments.md). */
export class Experiments {
  readonly runs: ExperimentRuns;
  readonly results: ExperimentResults;

  constructor(private readonly transport: Transport) {
    this.runs = new ExperimentRuns(transport);
    this.results = new ExperimentResults(transport);
  }

  list(params: ListExperimentsParams, options?: RequestOptions): PagePromise<WorkflowExperiment> {
    return listPages(this.transport, BASE, { ...params }, options);
  }

  /** From scratch (block_id, documents, n_consensus, name) or as a duplicate (source_experiment_id only). */
  create(body: CreateExperimentParams, options?: RequestOptions): Promise<WorkflowExperiment> {
    return this.transport.request({ method: 'POST', path: BASE, body }, options);
  }

  get(experimentId: string, options?: RequestOptions): Promise<WorkflowExperiment> {
    return this.transport.request({ method: 'GET', path: `${BASE}/${segment(experimentId)}` }, options);
  }

  /** Documents given replace the whole set. */
  update(experimentId: string, body: UpdateExperimentParams, options?: RequestOptions): Promise<WorkflowExperiment> {
    return this.transport.request({ method: 'PATCH', path: `${BASE}/${segment(experimentId)}`, body }, options);
  }

  delete(experimentId: string, options?: RequestOptions): Promise<void> {
    return this.transport.request({ method: 'DELETE', path: `${BASE}/${segment(experimentId)}` }, options);
  }

  /** A view of a run's metrics, or the `stale_metrics` / `no_metrics` body (check `kind`). */
  metrics(params: ExperimentMetricsParams, options?: RequestOptions): Promise<ExperimentMetricsResponse> {
    return this.transport.request({ method: 'GET', path: `${BASE}/metrics`, query: { ...params } }, options);
  }
}
