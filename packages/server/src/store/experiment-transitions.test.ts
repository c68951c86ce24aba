import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Store } from './database.js';
import { onEachStore } from '../testing/run-state.js';
import {
  cancelExperimentRun,
  finishExperimentResult,
  finishExperimentRun,
  insertExperimentRun,
  requeueExperimentResults,
  retryExperimentResult,
  startExperimentResult,
  startExperimentRun,
  type ExperimentResultOutcome,
} from './experiment-transitions.js';
import { allExperimentResultRows, findExperimentRunRow } from './experiments.js';

const ORG = 'org_exp';
const NOW = '2026-12-03T00:00:00.000Z';
const LATER = '2026-12-03T00:00:05.000Z';

const completed: ExperimentResultOutcome = { status: 'completed', handleOutputs: '{}', votes: '[1,1,2]', pageCount: null, details: null, errorMessage: null, errorDetails: null, durationMs: 3, artifact: null };
const failed: ExperimentResultOutcome = { ...completed, status: 'error', votes: null, errorMessage: 'model refused' };

/** A pending run of `documents` pending results, ids `<runId>_r<n>`. */
async function pendingExperimentRun(store: Store, runId: string, documents: number): Promise<string[]> {
  const results = Array.from({ length: documents }, (_, n) => ({
    organization_id: ORG,
    id: `${runId}_r${n}`,
    run_id: runId,
    experiment_id: 'exp_1',
    document_id: `expdoc_${n}`,
    filename: `d${n}`,
    position: n,
    status: 'pending',
    handle_inputs: '{}',
    handle_outputs: null,
    votes: null,
    page_count: null,
    details: null,
    error_message: null,
    error_details: null,
    attempt: 0,
    created_at: NOW,
    started_at: null,
    completed_at: null,
    duration_ms: null,
  }));
  await insertExperimentRun(
    store.db,
    {
      organization_id: ORG,
      id: runId,
      experiment_id: 'exp_1',
      workflow_id: 'wf_1',
      workflow_version_id: 'ver_1',
      block_id: 'blk_1',
      block_type: 'extract',
      block: '{}',
      n_consensus: 3,
      block_config_fingerprint: 'c',
      block_execution_fingerprint: 'e',
      documents_fingerprint: 'd',
      trigger_type: 'api',
      status: 'pending',
      error_message: null,
      cancel_reason: null,
      score: null,
      total_document_count: documents,
      completed_document_count: 0,
      error_count: 0,
      created_at: NOW,
      started_at: null,
      completed_at: null,
    },
    results,
  );
  return results.map((result) => result.id);
}

onEachStore('experiment transitions', (store) => {
  const statuses = async (runId: string) => (await allExperimentResultRows(store().db, ORG, runId)).map((row) => row.status);

  test('a run completes with its score once no document is live; counts move with their rows', async () => {
    const [first, second] = await pendingExperimentRun(store(), 'exprun_done', 2);
    await startExperimentRun(store().db, ORG, 'exprun_done', NOW);
    assert.equal(await startExperimentResult(store().db, ORG, 'exprun_done', first!, NOW), true);
    assert.equal(await startExperimentResult(store().db, ORG, 'exprun_done', first!, NOW), false, 'a row starts once');
    assert.equal(await finishExperimentResult(store().db, ORG, 'exprun_done', first!, completed, LATER), true);
    assert.equal(await finishExperimentRun(store().db, ORG, 'exprun_done', 0.5, LATER), false, 'a pending document keeps the run live');
    await startExperimentResult(store().db, ORG, 'exprun_done', second!, NOW);
    await finishExperimentResult(store().db, ORG, 'exprun_done', second!, failed, LATER);
    assert.equal(await finishExperimentRun(store().db, ORG, 'exprun_done', 0.5, LATER), true);
    const run = (await findExperimentRunRow(store().db, ORG, 'exprun_done'))!;
    assert.deepEqual([run.status, run.score, run.completed_document_count, run.error_count, run.completed_at], ['completed', 0.5, 1, 1, LATER]);
    assert.deepEqual(await cancelExperimentRun(store().db, ORG, 'exprun_done', 'late', LATER), { outcome: 'not_cancellable', status: 'completed' });
  });

  test('after a cancel nothing of the run changes: a late outcome is dropped, no document starts', async () => {
    const [first, second] = await pendingExperimentRun(store(), 'exprun_cancel', 2);
    await startExperimentRun(store().db, ORG, 'exprun_cancel', NOW);
    await startExperimentResult(store().db, ORG, 'exprun_cancel', first!, NOW);
    assert.deepEqual(await cancelExperimentRun(store().db, ORG, 'exprun_cancel', 'stop', LATER), { outcome: 'cancelled' });
    assert.equal(await finishExperimentResult(store().db, ORG, 'exprun_cancel', first!, completed, LATER), false);
    assert.equal(await startExperimentResult(store().db, ORG, 'exprun_cancel', second!, LATER), false);
    assert.deepEqual(await statuses('exprun_cancel'), ['cancelled', 'cancelled']);
    const run = (await findExperimentRunRow(store().db, ORG, 'exprun_cancel'))!;
    assert.deepEqual([run.status, run.cancel_reason, run.completed_document_count], ['cancelled', 'stop', 0]);
    assert.deepEqual(await cancelExperimentRun(store().db, ORG, 'exprun_none', null, LATER), { outcome: 'not_found' });
  });

  test('a retried or restarted document goes back to pending and counts its next attempt', async () => {
    const [first] = await pendingExperimentRun(store(), 'exprun_retry', 1);
    await startExperimentRun(store().db, ORG, 'exprun_retry', NOW);
    await startExperimentResult(store().db, ORG, 'exprun_retry', first!, NOW);
    await retryExperimentResult(store().db, ORG, first!);
    await startExperimentResult(store().db, ORG, 'exprun_retry', first!, NOW);
    await requeueExperimentResults(store().db, ORG, 'exprun_retry');
    assert.deepEqual(await statuses('exprun_retry'), ['pending']);
    await startExperimentResult(store().db, ORG, 'exprun_retry', first!, NOW);
    assert.equal((await allExperimentResultRows(store().db, ORG, 'exprun_retry'))[0]!.attempt, 3);
  });

  test('a run every document of which failed ends in error', async () => {
    const [first] = await pendingExperimentRun(store(), 'exprun_failed', 1);
    await startExperimentRun(store().db, ORG, 'exprun_failed', NOW);
    await startExperimentResult(store().db, ORG, 'exprun_failed', first!, NOW);
    await finishExperimentResult(store().db, ORG, 'exprun_failed', first!, failed, LATER);
    await finishExperimentRun(store().db, ORG, 'exprun_failed', null, LATER);
    const run = (await findExperimentRunRow(store().db, ORG, 'exprun_failed'))!;
    assert.equal(run.status, 'error');
    assert.match(run.error_message!, /Every document of the run failed/);
  });
});
