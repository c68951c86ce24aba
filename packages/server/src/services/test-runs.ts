import { draftFingerprintOfVersion, isLive, isoNow, newId, singleScopeTestId, type CreateWorkflowTestRunRequest, type Trigger, type WorkflowTestRun } from '@verdict/core';
import type { Executor } from '../execution/executor.js';
import { TransitionThread } from '../execution/transition-thread.js';
import { createError } from '../errors/index.js';
import type { Store } from '../store/database.js';
import { requireBlockRow } from '../store/graph.js';
import type { KeysetRequest } from '../store/keyset.js';
import { findRun, findRunRow, listLiveRunIdsOfWorkflow, listRuns, runFromRow, runsFromRows, type RunFilters, type RunRow } from '../store/runs.js';
import { cancelRun, createRun, decideCancelNow, type RunCreation, type RunScopeFilter } from '../store/transitions/index.js';
import { requireWorkflowRow } from '../store/workflows.js';
import { requireTestRow } from '../store/tests.js';
import type { Limits } from './rate-limit.js';

export type { RunScopeFilter };

/**
 * After creating a run this large, the creation thread's worker is renewed: V8 keeps the heap it
 * grew building the rows. The 100,000-test run of bench/throughput peaked at 301 MB RSS with it
 * kept, 279 MB without (goal < 300 MB); a fresh worker costs tens of milliseconds.
 */
const RENEW_THREAD_AFTER_ROWS = 10_000;
/**
 * The most unfinished rows a cancel on SQLite writes after its answer, while the store's reads wait
 * (~10–40 µs a row: tens of milliseconds at most). Beyond, they are written before the answer.
 */
export const HOLD_READS_FOR_ROWS_AT_MOST = 2_000;

/**
 * A cancel's decision; `answer`: the run as it answers, when built with it; `draftRevision`: its
 * workflow's, read with the decision; `releaseReads`: the hold its rows' write ends.
 */
type CancelOutcome = Awaited<ReturnType<typeof cancelRun>> & { answer?: WorkflowTestRun; draftRevision?: string | null; releaseReads?: () => void };

export class TestRunService {
  private thread: TransitionThread | null = null;
  /** The last run creation of each organization in flight, settled or not (`create`). */
  private readonly creationsByOrganization = new Map<string, Promise<void>>();

  constructor(
    private readonly store: Store,
    private readonly executor: Executor,
    private readonly limits: Limits | null = null,
  ) {}

  async get(organizationId: string, runId: string): Promise<WorkflowTestRun> {
    const run = await this.find(organizationId, runId);
    if (!run) throw createError('run_not_found', runId);
    return run;
  }

  /** The run, or null when this organization has none of that id. */
  async find(organizationId: string, runId: string): Promise<WorkflowTestRun | null> {
    return findRun(this.store.db, organizationId, runId);
  }

  async list(organizationId: string, filters: RunFilters, page: KeysetRequest) {
    return listRuns(this.store.db, organizationId, filters, page);
  }

  /**
   * Snapshots the draft, selects the tests in scope and writes the run with its rows in one
   * transaction (`createRun`). On SQLite it runs on a transition thread: its statements are
   * synchronous, and creating a run of 50,000 tests would otherwise hold this thread — every other
   * request — for seconds. An organization's creations take turns in this process, each checking
   * its budget of run rows (`Limits.assertRunCreation`) once the one before has been counted:
   * otherwise a hundred creations sent at once would all pass the check before any was counted.
   */
  create(organizationId: string, trigger: Trigger, request: CreateWorkflowTestRunRequest): Promise<WorkflowTestRun> {
    if (!this.limits?.runRows) return this.createNow(organizationId, trigger, request);
    const previous = this.creationsByOrganization.get(organizationId) ?? Promise.resolve();
    const mine = previous.then(() => this.createNow(organizationId, trigger, request));
    const settled = mine.then(
      () => undefined,
      () => undefined,
    );
    this.creationsByOrganization.set(organizationId, settled);
    void settled.then(() => {
      if (this.creationsByOrganization.get(organizationId) === settled) this.creationsByOrganization.delete(organizationId);
    });
    return mine;
  }

  private async createNow(organizationId: string, trigger: Trigger, request: CreateWorkflowTestRunRequest): Promise<WorkflowTestRun> {
    const workflowId = request.workflow_id;
    this.limits?.assertRunCreation(organizationId);
    await requireWorkflowRow(this.store.db, organizationId, workflowId);
    const scope = request.restart_of ? await this.restartScope(organizationId, workflowId, request.restart_of, request.only_failed ?? false) : await this.resolveScope(organizationId, workflowId, request);
    const runTrigger: Trigger = scope.restart ? { type: 'restart', parent_run_id: scope.restart.parentRunId } : trigger;
    const creation: RunCreation = { organizationId, workflowId, runId: newId('testRun'), trigger: runTrigger, scope, now: isoNow() };
    const run = await (this.creationThread() ? this.creationThread()!.createRun(creation) : createRun(this.store.db, creation));
    if (run) this.limits?.countRunRows(organizationId, run.total_tests);
    if (run && run.total_tests >= RENEW_THREAD_AFTER_ROWS) void this.thread?.renew();
    if (!run) throw createError('no_tests_in_scope', workflowId, scope.blockId, scope.restart);
    this.executor.submitRun(run.id);
    // The run has just snapshotted the draft: that snapshot is the current draft, no need to read it again.
    return runFromRow(run as RunRow, draftFingerprintOfVersion(run.version_id));
  }

  /** Stops the thread runs are created on, if one was started. */
  async close(): Promise<void> {
    await this.thread?.close();
    this.thread = null;
  }

  private creationThread(): TransitionThread | null {
    if (!this.thread && this.store.sqlitePath) this.thread = new TransitionThread(this.store.db, this.store.sqlitePath);
    return this.thread;
  }

  /**
   * docs/decisions.md §4: one conditional update decides; in-flight work is told to stop after it
   * commits. The answer is the run as the deciding transaction left it. On SQLite the decision is
   * one synchronous transaction in the next write turn (`decideCancelNow`), and the unfinished rows
   * of a run with at most HOLD_READS_FOR_ROWS_AT_MOST of them are written just after the answer,
   * while every read of the store waits for them: the answer does not wait for rewriting them
   * (~10 µs each), and no reader sees a cancelled run with live rows. Should the process stop in
   * between, the store is finished when it is next opened (`finishCancelledRuns`). A larger run is
   * decided and its rows written in one transaction on the transition thread before the answer:
   * holding every tenant's reads for that long would be a stall (48,405 rows: 2 s). On PostgreSQL,
   * which several processes may read, the decision and the rows are one transaction.
   */
  async cancel(organizationId: string, runId: string, reason: string | null): Promise<WorkflowTestRun> {
    const now = isoNow();
    const decision = this.store.writeNow ? await this.decideOnSqlite(organizationId, runId, reason, now) : await this.decideWithRows(organizationId, runId, reason, now);
    if (decision.outcome === 'not_found') throw createError('run_not_found', runId);
    if (decision.outcome === 'not_cancellable') throw createError('run_not_cancellable', runId, decision.status!);
    if (decision.outcome === 'already_cancelled') return this.get(organizationId, runId);
    this.executor.stopRun(runId);
    if (decision.releaseReads) setImmediate(() => void this.writeCancelledRows(runId, now).finally(decision.releaseReads));
    if (decision.answer) return decision.answer;
    // The draft's fingerprint is cached by its revision; were it not, reading it waits for the rows.
    const run = decision.run!;
    const known = decision.draftRevision === undefined ? undefined : new Map([[run.workflow_id, decision.draftRevision]]);
    return (await runsFromRows(this.store.db, organizationId, [run], known))[0]!;
  }

  /** The decision alone, reads held from inside its transaction; a larger run's is made with its rows, on the transition thread. */
  private async decideOnSqlite(organizationId: string, runId: string, reason: string | null, now: string): Promise<CancelOutcome> {
    let releaseReads: (() => void) | undefined;
    const decided = await this.store
      .writeNow!((connection) => {
        const decision = decideCancelNow(connection, { organizationId, runId }, reason, now, HOLD_READS_FOR_ROWS_AT_MOST);
        if (decision.outcome === 'cancelled') releaseReads = this.store.holdReads!();
        return decision;
      })
      .catch((error: unknown) => {
        releaseReads?.();
        throw error;
      });
    if (decided.outcome === 'too_large') return this.creationThread()!.cancelRun(organizationId, runId, reason, now);
    if (decided.outcome !== 'cancelled') return { ...decided, status: 'status' in decided ? decided.status : null };
    return { ...decided, status: 'cancelled', releaseReads };
  }

  /** The decision and the unfinished rows in one transaction, the answer built in it. */
  private async decideWithRows(organizationId: string, runId: string, reason: string | null, now: string): Promise<CancelOutcome> {
    return this.store.db.transaction().execute(async (trx) => {
      const decided = await cancelRun(trx, organizationId, runId, reason, now);
      return { ...decided, answer: decided.run && (await runsFromRows(trx, organizationId, [decided.run]))[0] };
    });
  }

  /**
   * Right after the answer, ahead of other writes waiting; reads wait for it. On the transition
   * thread: rewriting a large run's rows would hold this thread (the stop answers of the run's
   * sandbox jobs, other requests) for as long.
   */
  private async writeCancelledRows(runId: string, cancelledAt: string): Promise<void> {
    // Reads are held only on SQLite, which always has the thread.
    await this.creationThread()!
      .writeCancelledRows(runId, cancelledAt)
      .catch((error: unknown) => process.emitWarning(`Writing the rows of cancelled run ${runId} failed (${String(error)}); they are written when the store is next opened.`));
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

