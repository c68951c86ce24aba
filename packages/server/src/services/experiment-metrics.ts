import {
  aggregateOf,
  blockExecutionFingerprint,
  byDocument,
  byTarget,
  runTargets,
  scoreRun,
  summaryDocuments,
  votes,
  type ExperimentBlockType,
  type ExperimentMetricsResponse,
  type MetricView,
  type ScoredRun,
} from '@verdict/core';
import { createError } from '../errors/index.js';
import type { Store } from '../store/database.js';
import { allExperimentResultRows, findPriorCompletedRun, requireExperimentRunRow, storedVotesOf, type ExperimentRunRow } from '../store/experiments.js';
import type { ExperimentService } from './experiments.js';

export interface MetricsQuery {
  run_id: string;
  view: MetricView;
  document_id?: string;
  target_path?: string;
  include_prior: boolean;
  prior_run_id?: string;
}

function refuse(path: string, message: string): never {
  throw createError('validation_error', `Invalid metrics request: \`${path}\`: ${message}.`, { issues: [{ path, message }] });
}

/**
 * The metrics views of an experiment run (docs/experiments.md §4–§7), computed from the stored
 * votes of its completed documents with core's pure functions. The latest run of an experiment
 * whose block, vote count or documents changed since answers `stale_metrics` instead.
 */
export class ExperimentMetricsService {
  constructor(
    private readonly store: Store,
    private readonly experiments: ExperimentService,
  ) {}

  async metrics(organizationId: string, query: MetricsQuery): Promise<ExperimentMetricsResponse> {
    const db = this.store.db;
    const run = await requireExperimentRunRow(db, organizationId, query.run_id);
    const { experiment, current, isLatest, reasons } = await this.experiments.definitionFor(organizationId, run);
    if (isLatest && reasons.length > 0) {
      const currentFingerprint = current.blockConfigFingerprint === null ? null : blockExecutionFingerprint(current.blockConfigFingerprint, current.nConsensus);
      return {
        kind: 'stale_metrics',
        error: 'stale_metrics',
        experiment_id: experiment.id,
        stale_reasons: reasons,
        last_run: { run_id: run.id, block_execution_fingerprint: run.block_execution_fingerprint, definition_fingerprint: run.block_execution_fingerprint, score: run.score, created_at: run.created_at },
        current_block_execution_fingerprint: currentFingerprint,
        current_config_fingerprint: currentFingerprint,
        message: `The metrics of run ${run.id} no longer describe experiment ${experiment.id} (${reasons.join(', ')}); start a new run to measure the experiment as it is now.`,
      };
    }
    const scored = await this.scored(organizationId, run);
    if (scored.documents.length === 0) {
      return { kind: 'no_metrics', error: 'no_metrics', experiment_id: experiment.id, message: `Run ${run.id} has no completed document yet, so there is nothing to score.` };
    }
    const prior = query.include_prior ? await this.prior(organizationId, run, query.prior_run_id) : null;
    const priorScored = prior ? await this.scored(organizationId, prior) : null;
    switch (query.view) {
      case 'summary':
        return {
          experiment_id: experiment.id,
          run_id: run.id,
          kind: 'summary',
          view: 'summary',
          block_execution_fingerprint: run.block_execution_fingerprint,
          definition_fingerprint: run.block_execution_fingerprint,
          block_type: run.block_type as ExperimentBlockType,
          score: scored.score,
          prior_score: priorScored?.score ?? null,
          documents: summaryDocuments(scored, priorScored),
          scored_document_count: scored.documents.length,
          total_document_count: run.total_document_count,
          aggregate: aggregateOf(scored),
          prior_run_id: prior?.id ?? null,
        };
      case 'by_document':
        return byDocument(scored, priorScored, run.id, this.document(scored, query.document_id));
      case 'by_target': {
        const target = query.target_path!;
        if (!runTargets(scored).includes(target)) refuse('query.target_path', `run ${run.id} has no target \`${target}\`; its targets are ${runTargets(scored).slice(0, 20).map((name) => `\`${name}\``).join(', ')}`);
        return byTarget(scored, priorScored, run.id, target);
      }
      case 'votes':
        return votes(scored, priorScored, run.id, this.document(scored, query.document_id), query.target_path ?? '');
    }
  }

  private document(scored: ScoredRun, documentId: string | undefined) {
    const document = scored.documents.find((candidate) => candidate.id === documentId);
    if (!document) refuse('query.document_id', `no completed document \`${documentId}\` in this run`);
    return document;
  }

  private async scored(organizationId: string, run: ExperimentRunRow): Promise<ScoredRun> {
    const completed = (await allExperimentResultRows(this.store.db, organizationId, run.id)).filter((result) => result.status === 'completed');
    return scoreRun(run.block_type as ExperimentBlockType, completed.map(storedVotesOf));
  }

  /** The run named by prior_run_id (of the same experiment), else the latest completed run created before this one. */
  private async prior(organizationId: string, run: ExperimentRunRow, priorRunId: string | undefined): Promise<ExperimentRunRow | null> {
    if (priorRunId === undefined) return (await findPriorCompletedRun(this.store.db, organizationId, run.experiment_id, run)) ?? null;
    const prior = await requireExperimentRunRow(this.store.db, organizationId, priorRunId);
    if (prior.experiment_id !== run.experiment_id) refuse('query.prior_run_id', `run ${priorRunId} belongs to another experiment`);
    return prior;
  }
}
