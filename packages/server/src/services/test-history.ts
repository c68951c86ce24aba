import { millisBetween, type Workflow, type WorkflowBlock, type WorkflowTest } from '@verdict/core';
import { blockFromRow, findBlockRow } from '../store/graph.js';
import { listLatestResultsOfTest } from '../store/results-of-test.js';
import { getTest } from './tests.js';
import { findWorkflow } from './workflows.js';
import type { Services } from './index.js';

/** One past result of a test, as its page lists them. */
export interface TestHistoryItem {
  resultId: string;
  runId: string;
  status: string;
  verdict: string | null;
  createdAt: string;
  completedAt: string | null;
  durationMs: number | null;
}

export interface TestDescription {
  test: WorkflowTest;
  workflow: Workflow | null;
  /** Null when the block was removed from the draft since the test was written. */
  block: WorkflowBlock | null;
  recentResults: TestHistoryItem[];
}

/** A test with its workflow, its block as the draft has it now, and its latest results: for the test's page. */
export async function describeTest(services: Services, organizationId: string, testId: string, resultLimit: number): Promise<TestDescription> {
  const db = services.store.db;
  const test = await getTest(services, organizationId, testId);
  const [workflow, blockRow, rows] = await Promise.all([
    findWorkflow(services, organizationId, test.workflow_id),
    findBlockRow(db, organizationId, test.target.block_id, test.workflow_id),
    listLatestResultsOfTest(db, organizationId, testId, resultLimit),
  ]);
  const recentResults = rows.map((row) => ({
    resultId: row.id,
    runId: row.run_id,
    status: row.status,
    verdict: row.verdict,
    createdAt: row.created_at,
    completedAt: row.completed_at,
    durationMs: millisBetween(row.started_at, row.completed_at),
  }));
  return { test, workflow, block: blockRow ? blockFromRow(blockRow) : null, recentResults };
}
