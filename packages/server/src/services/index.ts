import type { FastifyRequest } from 'fastify';
import type { Store } from '../store/database.js';
import type { Executor } from '../execution/executor.js';
import type { ApiKeyAuthenticator, Principal } from './auth.js';
import type { TestRunService } from './test-runs.js';
import type { WorkflowRunService } from './workflow-runs/service.js';
import type { BlockExecutionService } from './workflow-runs/block-executions.js';
import type { ExperimentService } from './experiments.js';
import type { ExperimentMetricsService } from './experiment-metrics.js';
import type { ExperimentRunDispatch } from '../execution/experiment-executor.js';
import type { BlobFileServiceOptions, FileService, UploadService } from '../files/index.js';
import type { ModelAssertionProvider } from '../model/index.js';
import type { Limits } from './rate-limit.js';

/** The shared services every route reaches through `app.services`, created once per process. */
export interface Services {
  store: Store;
  auth: ApiKeyAuthenticator;
  /** Rate limits of this process, shared by the API and the dashboard. */
  limits: Limits;
  runs: TestRunService;
  /** Workflow runs: whole workflows executed in this process, step by step. */
  workflowRuns: WorkflowRunService;
  /** One block re-executed on the inputs a run's step recorded. */
  blockExecutions: BlockExecutionService;
  executor: Executor;
  experiments: ExperimentService;
  experimentMetrics: ExperimentMetricsService;
  /** Where experiment runs execute: this process, or the workers of a distributed deployment (docs/experiments.md §8). */
  experimentRuns: ExperimentRunDispatch;
  files: FileService;
  /** Where uploaded and test-input files are kept (bytes and records), and how large one may be. */
  fileStorage: BlobFileServiceOptions;
  /** Retab's upload flow and the signed file URLs. */
  uploads: UploadService;
  /** Judge and embeddings for model-backed assertion kinds; null when no model server is configured. */
  assertionProvider: ModelAssertionProvider | null;
  /** Set by the dashboard so its session cookie also authenticates API calls made by its pages. */
  sessionPrincipal?: (request: FastifyRequest) => Promise<Principal | null>;
}
