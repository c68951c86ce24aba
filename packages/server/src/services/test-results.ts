import { millisBetween, type AssertionResult, type ErrorDetails, type WorkflowTestResult } from '@verdict/core';
import { createError } from '../errors/index.js';
import { fromJson } from '../store/database.js';
import { blockFromRow, findBlockRow } from '../store/graph.js';
import type { KeysetRequest } from '../store/keyset.js';
import { findResultPreview, findResultRow, listResults, listStartedResults, resultFromRow, type StartedResultFilter } from '../store/results.js';
import { findRunRow } from '../store/runs.js';
import { findTestRow } from '../store/tests.js';
import type { Services } from './index.js';

export interface Failure {
  code: string;
  message: string;
}

/** Why a result did not pass: the assertion's failure, else the block or infrastructure error. */
export function failureOf(assertionResult: AssertionResult | null, error: ErrorDetails | null): Failure | null {
  if (assertionResult?.failure) return { code: assertionResult.failure.code, message: assertionResult.failure.message };
  if (error) return { code: error.error_code ?? 'error', message: error.message ?? '(no message)' };
  return null;
}

export type { StartedResultFilter };

/** A result as a list of a run's rows shows it (the dashboard's run page). */
export interface ResultListItem {
  id: string;
  position: number;
  testId: string;
  testName: string | null;
  status: string;
  verdict: string | null;
  failure: Failure | null;
  /** The block's execution time, without the queue. */
  durationMs: number | null;
  /** From the run's start to the block's execution start. */
  queuedMs: number | null;
}

/** Results of one of the organization's runs, in run order. */
export async function listResultsOfRun(services: Services, organizationId: string, runId: string, page: KeysetRequest) {
  const db = services.store.db;
  if (!(await findRunRow(db, organizationId, runId))) throw createError('run_not_found', runId);
  return listResults(db, runId, page);
}

function resultNotFound(resultId: string) {
  return createError('result_not_found', resultId);
}

export async function getResult(services: Services, organizationId: string, resultId: string): Promise<WorkflowTestResult> {
  const row = await findResultRow(services.store.db, organizationId, resultId);
  if (!row) throw resultNotFound(resultId);
  return resultFromRow(row);
}

/**
 * One result with its long block-output fields as previews, the assertion its run copied, and
 * what its test and block are called now: for pages that show a result rather than return it.
 */
export async function describeResult(services: Services, organizationId: string, resultId: string) {
  const db = services.store.db;
  const found = await findResultPreview(db, organizationId, resultId);
  if (!found) throw resultNotFound(resultId);
  const { result, assertion } = found;
  const [test, block] = await Promise.all([findTestRow(db, organizationId, result.test_id), findBlockRow(db, organizationId, result.block_id, result.workflow_id)]);
  return { result, assertion, testName: test?.name ?? null, block: block ? blockFromRow(block) : null };
}

/** Rows of a run that have left the queue (running or finished), in run order from `fromPosition`. */
export async function startedResults(services: Services, runId: string, fromPosition: number, limit: number, filter: StartedResultFilter = {}): Promise<ResultListItem[]> {
  const rows = await listStartedResults(services.store.db, runId, fromPosition, limit, filter);
  return rows.map((row) => ({
    id: row.id,
    position: row.position,
    testId: row.test_id,
    testName: row.name,
    status: row.status,
    verdict: row.verdict,
    failure: failureOf(fromJson<AssertionResult>(row.assertion_result), fromJson<ErrorDetails>(row.error)),
    durationMs: row.duration_ms,
    queuedMs: millisBetween(row.created_at, row.execution_started_at),
  }));
}
