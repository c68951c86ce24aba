import type { PagePromise } from '../pagination.js';
import type { RequestOptions, Transport } from '../transport.js';
import type { CreateWorkflowParams, ListWorkflowsParams, PublishWorkflowParams, UpdateWorkflowParams, Workflow } from '../types.js';
import { Artifacts } from './artifacts.js';
import { Blocks } from './blocks.js';
import { Edges } from './edges.js';
import { Experiments } from './experiments.js';
import { listPages, segment } from './list.js';
import { Spec } from './spec.js';
import { Steps } from './steps.js';
import { Tests } from './tests.js';
import { WorkflowVersions } from './versions.js';
import { WorkflowRuns } from './workflow-runs.js';

export class Workflows {
  readonly blocks: Blocks;
  readonly edges: Edges;
  readonly spec: Spec;
  /** Tests under Retab's current name for them (`/v1/workflows/evals…`). */
  readonly evals: Tests;
  /** The same tests under their name before 2026-06-19 (`/v1/workflows/tests…`), for code written against it. */
  readonly tests: Tests;
  /** Stored versions of the workflow's graph; blocks and edges have their own (`blocks.versions`, `edges.versions`). */
  readonly versions: WorkflowVersions;
  /** Whole-workflow runs, their steps and what the steps produced. */
  readonly runs: WorkflowRuns;
  readonly steps: Steps;
  readonly artifacts: Artifacts;
  /** How consistent a model block is across documents (`/v1/workflows/experiments…`). */
  readonly experiments: Experiments;

  constructor(private readonly transport: Transport) {
    this.blocks = new Blocks(transport);
    this.edges = new Edges(transport);
    this.spec = new Spec(transport);
    this.evals = new Tests(transport, 'evals');
    this.tests = new Tests(transport, 'tests');
    this.versions = new WorkflowVersions(transport);
    this.runs = new WorkflowRuns(transport);
    this.steps = new Steps(transport);
    this.artifacts = new Artifacts(transport);
    this.experiments = new Experiments(transport);
  }

  list(params: ListWorkflowsParams = {}, options?: RequestOptions): PagePromise<Workflow> {
    return listPages(this.transport, '/v1/workflows', { ...params }, options);
  }

  create(body: CreateWorkflowParams = {}, options?: RequestOptions): Promise<Workflow> {
    return this.transport.request({ method: 'POST', path: '/v1/workflows', body }, options);
  }

  get(workflowId: string, options?: RequestOptions): Promise<Workflow> {
    return this.transport.request({ method: 'GET', path: workflowPath(workflowId) }, options);
  }

  update(workflowId: string, body: UpdateWorkflowParams, options?: RequestOptions): Promise<Workflow> {
    return this.transport.request({ method: 'PATCH', path: workflowPath(workflowId), body }, options);
  }

  delete(workflowId: string, options?: RequestOptions): Promise<void> {
    return this.transport.request({ method: 'DELETE', path: workflowPath(workflowId) }, options);
  }

  /** Freezes the current draft as the published version. */
  publish(workflowId: string, body: PublishWorkflowParams = {}, options?: RequestOptions): Promise<Workflow> {
    return this.transport.request({ method: 'POST', path: `${workflowPath(workflowId)}/publish`, body }, options);
  }

  /** Resets the draft to the published version. */
  discardDraft(workflowId: string, options?: RequestOptions): Promise<Workflow> {
    return this.transport.request({ method: 'POST', path: `${workflowPath(workflowId)}/discard-draft` }, options);
  }
}

const workflowPath = (workflowId: string) => `/v1/workflows/${segment(workflowId)}`;
