import {
  millisBetween,
  type AssertionResult,
  type AssertionSpec,
  type ErrorDetails,
  type LatestBlockTestRunSummary,
  type Verdict,
  type VerdictSummary,
  type WorkflowTestResult,
  type WorkflowTestSource,
} from '@verdict/core';
import { sql, type Kysely, type Selectable } from 'kysely';
import { fromJson } from './database.js';
import { keysetPage, type KeysetRequest } from './keyset.js';
import { lifecycleOf } from './runs.js';
import type { Database, TestResultsTable } from './schema.js';

export type ResultRow = Selectable<TestResultsTable>;

function verdictSummary(verdict: Verdict | null, assertionId: string): VerdictSummary | null {
  if (verdict === null) return null;
  const passed = verdict === 'passed';
  return {
    result: passed,
    passed,
    assertions_passed: passed ? 1 : 0,
    assertions_failed: verdict === 'failed' ? 1 : 0,
    blocked_assertions: verdict === 'blocked' ? 1 : 0,
    failed_assertion_ids: passed ? [] : [assertionId],
  };
}

export function resultFromRow(row: ResultRow): WorkflowTestResult {
  const verdict = row.verdict as Verdict | null;
  const assertion = fromJson<AssertionSpec>(row.assertion)!;
  const error = fromJson<ErrorDetails>(row.error);
  const routing = fromJson<string[]>(row.routing);
  return {
    id: row.id,
    run_id: row.run_id,
    workflow_test_run_id: row.run_id,
    test_id: row.test_id,
    workflow_id: row.workflow_id,
    lifecycle: lifecycleOf(row.status, { message: error?.message ?? null, details: error, reason: null }),
    timing: { created_at: row.created_at, started_at: row.started_at, completed_at: row.completed_at, duration_ms: millisBetween(row.started_at, row.completed_at) },
    verdict,
    target: { type: 'block', block_id: row.block_id },
    block_id: row.block_id,
    block_type: row.block_type,
    execution_fingerprint: row.execution_fingerprint,
    handle_inputs_fingerprint: row.handle_inputs_fingerprint,
    workflow_draft_fingerprint: row.workflow_draft_fingerprint,
    block_config_fingerprint: row.block_config_fingerprint,
    source: fromJson<WorkflowTestSource>(row.source)!,
    outputs: fromJson<Record<string, unknown>>(row.outputs),
    routing_decision: routing,
    routing_decisions: routing,
    warnings: fromJson<string[]>(row.warnings) ?? [],
    error,
    skipped: false,
    assertion_result: fromJson<AssertionResult>(row.assertion_result),
    verdict_summary: verdictSummary(verdict, assertion.id),
    duration_ms: row.duration_ms,
    execution_details: fromJson<Record<string, unknown>>(row.execution_details),
  };
}

export function summaryFromRow(row: ResultRow): LatestBlockTestRunSummary {
  const verdict = row.verdict as Verdict | null;
  return {
    run_record_id: row.id,
    run_id: row.run_id,
    status: row.status as LatestBlockTestRunSummary['status'],
    outcome: row.status === 'completed' ? verdict : null,
    // Retab's SDKs require a summary's started_at: a row cancelled before it started gives its cancel time.
    started_at: row.started_at ?? row.completed_at ?? row.created_at,
    completed_at: row.completed_at,
    duration_ms: millisBetween(row.started_at, row.completed_at),
    workflow_draft_fingerprint: row.workflow_draft_fingerprint,
    block_config_fingerprint: row.block_config_fingerprint,
    handle_inputs_fingerprint: row.handle_inputs_fingerprint,
    assertions_passed: verdict === 'passed' ? 1 : 0,
    assertions_failed: verdict === 'failed' ? 1 : 0,
    blocked_assertions: verdict === 'blocked' ? 1 : 0,
  };
}

export async function findResultRow(db: Kysely<Database>, organizationId: string, resultId: string) {
  return db.selectFrom('test_results').selectAll().where('id', '=', resultId).where('organization_id', '=', organizationId).executeTakeFirst();
}

export async function findResultRows(db: Kysely<Database>, resultIds: string[]): Promise<Map<string, ResultRow>> {
  if (resultIds.length === 0) return new Map();
  const rows = await db.selectFrom('test_results').selectAll().where('id', 'in', resultIds).execute();
  return new Map(rows.map((row) => [row.id, row]));
}

/** Results of one run in run order (the order the run selected its tests), DECISIONS §5. */
export async function listResults(db: Kysely<Database>, runId: string, request: KeysetRequest) {
  const query = db.selectFrom('test_results').selectAll().where('run_id', '=', runId);
  const page = await keysetPage(query, sql.ref('position'), sql.ref('id'), request, async (id) => {
    const row = await db.selectFrom('test_results').select('position').where('id', '=', id).where('run_id', '=', runId).executeTakeFirst();
    return row?.position;
  });
  return { data: page.data.map(resultFromRow), list_metadata: page.list_metadata };
}
