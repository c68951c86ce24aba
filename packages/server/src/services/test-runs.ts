import {
  blockConfigFingerprint,
  draftFingerprintOfVersion,
  executionFingerprint,
  isLive,
  isoNow,
  newId,
  singleScopeTestId,
  testSourceFingerprint,
  type CreateWorkflowTestRunRequest,
  type Trigger,
  type WorkflowTestRun,
  type WorkflowTestSource,
} from '@verdict/core';
import type { Transaction } from 'kysely';
import type { Executor } from '../execution/executor.js';
import { createError } from '../errors/index.js';
import type { Store } from '../store/database.js';
import { fromJson } from '../store/database.js';
import { requireBlockRow } from '../store/graph.js';
import type { KeysetRequest } from '../store/keyset.js';
import { findRunRow, listLiveRunIdsOfWorkflow, listRuns, runFromRow, runsFromRows, type RunFilters } from '../store/runs.js';
import type { Database } from '../store/schema.js';
import { cancelRun, insertPendingResults, insertRun, type PendingRow, type PendingRowsOfRun } from '../store/transitions/index.js';
import { snapshotDraft, type WorkflowSnapshot } from '../store/versions.js';
import { requireWorkflowRow } from '../store/workflows.js';
import { findTestSources, requireTestRow, selectTestRowsForRun, type RestartFilter } from '../store/tests.js';

const TESTS_PER_PAGE = 2000;

export interface RunScopeFilter {
  blockId?: string;
  testId?: string;
  restart?: RestartFilter;
}

export class TestRunService {
  constructor(
    private readonly store: Store,
    private readonly executor: Executor,
  ) {}

  async get(organizationId: string, runId: string): Promise<WorkflowTestRun> {
    const run = await this.find(organizationId, runId);
    if (!run) throw createError('run_not_found', runId);
    return run;
  }

  /** The run, or null when this organization has none of that id. */
  async find(organizationId: string, runId: string): Promise<WorkflowTestRun | null> {
    const row = await findRunRow(this.store.db, organizationId, runId);
    return row ? (await runsFromRows(this.store.db, organizationId, [row]))[0]! : null;
  }

  async list(organizationId: string, filters: RunFilters, page: KeysetRequest) {
    return listRuns(this.store.db, organizationId, filters, page);
  }

  /** Snapshots the draft, selects the tests in scope and writes the run with its rows in one transaction. */
  async create(organizationId: string, trigger: Trigger, request: CreateWorkflowTestRunRequest): Promise<WorkflowTestRun> {
    const db = this.store.db;
    const workflowId = request.workflow_id;
    await requireWorkflowRow(db, organizationId, workflowId);
    const scope = request.restart_of ? await this.restartScope(organizationId, workflowId, request.restart_of, request.only_failed ?? false) : await this.resolveScope(organizationId, workflowId, request);
    const runTrigger: Trigger = scope.restart ? { type: 'restart', parent_run_id: scope.restart.parentRunId } : trigger;
    const runId = newId('testRun');
    const now = isoNow();
    const run = await db.transaction().execute(async (trx) => {
      const snapshot = await snapshotDraft(trx, organizationId, workflowId);
      const total = await insertResultsForScope(trx, { organizationId, workflowId, runId, snapshot, scope, now });
      if (total === 0) throw createError('no_tests_in_scope', workflowId, scope.blockId, scope.restart);
      const runRow = {
        id: runId,
        organization_id: organizationId,
        workflow_id: workflowId,
        version_id: snapshot.versionId,
        trigger: JSON.stringify(runTrigger),
        trigger_type: runTrigger.type,
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
      await insertRun(trx, runRow);
      return runRow;
    });
    this.executor.submitRun(runId);
    // The run has just snapshotted the draft: that snapshot is the current draft, no need to read it again.
    return runFromRow(run, draftFingerprintOfVersion(run.version_id));
  }

  /** docs/decisions.md §4: one conditional update decides; in-flight work is told to stop after it commits. */
  async cancel(organizationId: string, runId: string, reason: string | null): Promise<WorkflowTestRun> {
    const db = this.store.db;
    const { outcome, status } = await db.transaction().execute((trx) => cancelRun(trx, organizationId, runId, reason, isoNow()));
    if (outcome === 'not_found') throw createError('run_not_found', runId);
    if (outcome === 'not_cancellable') throw createError('run_not_cancellable', runId, status!);
    if (outcome === 'cancelled') this.executor.stopRun(runId);
    return this.get(organizationId, runId);
  }

  async cancelLiveRunsOfWorkflow(organizationId: string, workflowId: string, reason: string): Promise<void> {
    for (const id of await listLiveRunIdsOfWorkflow(this.store.db, organizationId, workflowId)) await this.cancel(organizationId, id, reason).catch(() => undefined);
  }

  /** A re-run of a finished run of this workflow: its scope, its tests (or only its failures). */
  private async restartScope(organizationId: string, workflowId: string, parentRunId: string, onlyFailed: boolean): Promise<RunScopeFilter> {
    const parent = await findRunRow(this.store.db, organizationId, parentRunId);
    if (!parent) throw createError('run_not_found', parentRunId);
    if (parent.workflow_id !== workflowId) {
      const message = `Run \`${parentRunId}\` belongs to workflow \`${parent.workflow_id}\`, not \`${workflowId}\`.`;
      throw createError('validation_error', message, { issues: [{ path: 'body.restart_of', message }] });
    }
    if (isLive(parent.status)) throw createError('run_not_finished', parentRunId, parent.status);
    return { blockId: parent.target_block_id ?? undefined, testId: parent.test_id ?? undefined, restart: { parentRunId, onlyFailed } };
  }

  private async resolveScope(organizationId: string, workflowId: string, request: CreateWorkflowTestRunRequest): Promise<RunScopeFilter> {
    const scope = request.scope;
    if (!scope || scope.type === 'workflow') return {};
    if (scope.type === 'block') {
      await requireBlockRow(this.store.db, organizationId, scope.block_id, workflowId);
      return { blockId: scope.block_id };
    }
    const testId = singleScopeTestId(scope);
    const test = await requireTestRow(this.store.db, organizationId, testId);
    if (test.workflow_id !== workflowId) {
      throw createError('test_not_found', `Test \`${testId}\` belongs to workflow \`${test.workflow_id}\`, not \`${workflowId}\`.`, { test_id: testId });
    }
    return { testId, blockId: test.block_id };
  }
}


interface ScopeInsert {
  organizationId: string;
  workflowId: string;
  runId: string;
  snapshot: WorkflowSnapshot;
  scope: RunScopeFilter;
  now: string;
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
async function insertResultsForScope(trx: Transaction<Database>, insert: ScopeInsert): Promise<number> {
  const blocks = new Map(insert.snapshot.blocks.map((block) => [block.id, block]));
  const blockFingerprints = new Map<string, string>();
  const run: PendingRowsOfRun = {
    organizationId: insert.organizationId,
    runId: insert.runId,
    workflowId: insert.workflowId,
    draftFingerprint: insert.snapshot.draftFingerprint,
    createdAt: insert.now,
  };
  let position = 0;
  let afterId = '';
  for (;;) {
    const tests = await selectTestRowsForRun(trx, insert.organizationId, insert.workflowId, insert.scope, { afterId, limit: TESTS_PER_PAGE });
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
          workflow_draft_fingerprint: insert.snapshot.draftFingerprint,
        }),
      };
    });
    await insertPendingResults(trx, run, rows);
    afterId = tests[tests.length - 1]?.id ?? afterId;
  }
  return position;
}
