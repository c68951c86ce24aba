import type { Store } from '../store/database.js';
import { encodeOutcome, insertPendingResults, insertRun, type EncodedOutcome, type OutcomeTimes, type ResultOutcome } from '../store/transitions/index.js';

/** Store-level fixtures: runs and rows written directly, for tests of the transitions themselves. */
export const PENDING_RUN_ORG = 'org_pending_run';
const NOW = '2026-11-29T00:00:00.000Z';

/**
 * A pending run of `count` rows, written on the server's connection: over tests of its own (by
 * default of PENDING_RUN_ORG's workflow `wf`), or over the first `count` tests of run `testsOf`
 * (an earlier run made by pendingRun).
 */
export async function pendingRun(
  store: Store,
  runId: string,
  count: number,
  { testsOf, organizationId = PENDING_RUN_ORG, workflowId = 'wf' }: { testsOf?: string; organizationId?: string; workflowId?: string } = {},
): Promise<string[]> {
  const resultIds = Array.from({ length: count }, (_, n) => `${runId}_row${n}`);
  const testIds = resultIds.map((_, n) => `${testsOf ?? runId}_test${n}`);
  await store.db.transaction().execute(async (trx) => {
    for (let n = 0; n < count && !testsOf; n++) {
      await trx
        .insertInto('tests')
        .values({ id: testIds[n]!, organization_id: organizationId, workflow_id: workflowId, block_id: 'blk', name: null, source: '{"type":"manual","handle_inputs":{}}', handle_inputs_fingerprint: 'f', assertion: '{}', latest_result_id: null, latest_passing_result_id: null, latest_failing_result_id: null, created_at: NOW, updated_at: NOW })
        .execute();
    }
    await insertPendingResults(
      trx,
      { organizationId, runId, workflowId, draftFingerprint: 'd', createdAt: NOW },
      resultIds.map((id, n) => ({ id, position: n, testId: testIds[n]!, blockId: 'blk', blockType: 'function', handleInputsFingerprint: 'f', blockConfigFingerprint: 'b', executionFingerprint: 'e' })),
    );
    await insertRun(trx, {
      id: runId, organization_id: organizationId, workflow_id: workflowId, version_id: 'ver_d', trigger: '{"type":"api"}', trigger_type: 'api', status: 'pending', cancel_reason: null, error_message: null, error_details: null,
      target_block_id: null, test_id: null, total_tests: count, n_pending: count, n_queued: 0, n_running: 0, n_completed: 0, n_error: 0, n_cancelled: 0, n_passed: 0, n_failed: 0, n_blocked: 0, created_at: NOW, started_at: null, completed_at: null,
    });
  });
  return resultIds;
}

/** The outcome of a passing test for row `resultId` of a run made by pendingRun. */
export function passingResult(runId: string, resultId: string): ResultOutcome {
  const n = resultId.split('_row')[1];
  return { resultId, testId: `${runId}_test${n}`, status: 'completed', verdict: 'passed', outputs: { 'output-json-0': { total: Number(n) } }, routing: null, warnings: [], error: null, assertionResult: { passed: true }, details: null, durationMs: 3 };
}

/** passingResult, encoded as the executor hands it to a flush (by default finished at NOW, its start already written). */
export function passedOutcome(runId: string, resultId: string, times: OutcomeTimes = { startedAt: null, completedAt: NOW }): EncodedOutcome {
  return encodeOutcome(passingResult(runId, resultId), times);
}
