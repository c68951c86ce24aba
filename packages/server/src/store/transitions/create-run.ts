import { blockConfigFingerprint, executionFingerprint, newId, testSourceFingerprint, type Trigger, type WorkflowTestSource } from '@verdict/core';
import type { Kysely, Transaction } from 'kysely';
import { fromJson } from '../database.js';
import type { Database } from '../schema.js';
import { findTestSources, selectTestRowsForRun, type RestartFilter } from '../tests.js';
import { snapshotDraft, type WorkflowSnapshot } from '../versions.js';
import { insertPendingResults, insertRun, type NewRun, type PendingRow, type PendingRowsOfRun } from './insert-run.js';

const TESTS_PER_PAGE = 2000;

export interface RunScopeFilter {
  blockId?: string;
  testId?: string;
  restart?: RestartFilter;
}

/** Everything a run's creation needs, as plain data: it may be sent to the transition thread. */
export interface RunCreation {
  organizationId: string;
  workflowId: string;
  runId: string;
  trigger: Trigger;
  scope: RunScopeFilter;
  now: string;
}

/** Thrown inside the transaction to roll it back: the scope holds no test. */
const NO_TESTS_IN_SCOPE = Symbol('no tests in scope');

/**
 * Snapshots the draft, selects the tests in scope and writes the run `pending` with a pending row
 * per test, in one transaction (docs/decisions.md §3): nobody sees the run before all of it is
 * written, and a failure leaves none of it. Returns the run's row, or null (nothing written) when
 * the scope holds no test.
 */
export async function createRun(db: Kysely<Database>, creation: RunCreation): Promise<NewRun | null> {
  try {
    return await db.transaction().execute(async (trx) => {
      const snapshot = await snapshotDraft(trx, creation.organizationId, creation.workflowId);
      const total = await insertResultsForScope(trx, creation, snapshot);
      if (total === 0) throw NO_TESTS_IN_SCOPE;
      const run = runRow(creation, snapshot, total);
      await insertRun(trx, run);
      return run;
    });
  } catch (error) {
    if (error === NO_TESTS_IN_SCOPE) return null;
    throw error;
  }
}

function runRow({ runId, organizationId, workflowId, trigger, scope, now }: RunCreation, snapshot: WorkflowSnapshot, total: number): NewRun {
  return {
    id: runId,
    organization_id: organizationId,
    workflow_id: workflowId,
    version_id: snapshot.versionId,
    trigger: JSON.stringify(trigger),
    trigger_type: trigger.type,
    status: 'pending',
    cancel_reason: null,
    error_message: null,
    error_details: null,
    target_block_id: scope.blockId ?? null,
    test_id: scope.testId ?? null,
    total_tests: total,
    n_pending: total,
    n_queued: 0,
    n_running: 0,
    n_completed: 0,
    n_error: 0,
    n_cancelled: 0,
    n_passed: 0,
    n_failed: 0,
    n_blocked: 0,
    created_at: now,
    started_at: null,
    completed_at: null,
  };
}

/**
 * The fingerprint of each test's inputs, as the test keeps it (migration 002 and every writer set
 * it); one written by something else without it is computed from its source, read only for it.
 */
async function inputFingerprintsOf(trx: Transaction<Database>, tests: { id: string; handle_inputs_fingerprint: string | null }[]): Promise<Map<string, string>> {
  const fingerprints = new Map<string, string>();
  const missing: string[] = [];
  for (const test of tests) {
    if (test.handle_inputs_fingerprint === null) missing.push(test.id);
    else fingerprints.set(test.id, test.handle_inputs_fingerprint);
  }
  if (missing.length > 0) {
    for (const { id, source } of await findTestSources(trx, missing)) {
      fingerprints.set(id, testSourceFingerprint(fromJson<WorkflowTestSource>(source)!));
    }
  }
  return fingerprints;
}

/** Copies each selected test (source and assertion as they are now) into a pending row, page by page. */
async function insertResultsForScope(trx: Transaction<Database>, creation: RunCreation, snapshot: WorkflowSnapshot): Promise<number> {
  const blocks = new Map(snapshot.blocks.map((block) => [block.id, block]));
  const blockFingerprints = new Map<string, string>();
  const run: PendingRowsOfRun = {
    organizationId: creation.organizationId,
    runId: creation.runId,
    workflowId: creation.workflowId,
    draftFingerprint: snapshot.draftFingerprint,
    createdAt: creation.now,
  };
  let position = 0;
  let afterId = '';
  for (;;) {
    const tests = await selectTestRowsForRun(trx, creation.organizationId, creation.workflowId, creation.scope, { afterId, limit: TESTS_PER_PAGE });
    if (tests.length === 0) break;
    const inputFingerprints = await inputFingerprintsOf(trx, tests);
    const rows = tests.map((test): PendingRow => {
      const block = blocks.get(test.block_id);
      const blockFingerprint = blockFingerprints.get(test.block_id) ?? (block ? blockConfigFingerprint(block) : '');
      blockFingerprints.set(test.block_id, blockFingerprint);
      const handleFingerprint = inputFingerprints.get(test.id)!;
      return {
        id: newId('testResult'),
        position: position++,
        testId: test.id,
        blockId: test.block_id,
        blockType: block?.type ?? 'unknown',
        handleInputsFingerprint: handleFingerprint,
        blockConfigFingerprint: blockFingerprint,
        executionFingerprint: executionFingerprint({
          handle_inputs_fingerprint: handleFingerprint,
          block_config_fingerprint: blockFingerprint,
          workflow_draft_fingerprint: snapshot.draftFingerprint,
        }),
      };
    });
    await insertPendingResults(trx, run, rows);
    afterId = tests[tests.length - 1]?.id ?? afterId;
  }
  return position;
}
