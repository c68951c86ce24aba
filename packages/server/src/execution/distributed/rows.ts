import { isoNow, type AssertionSpec } from '@verdict/core';
import type { Store } from '../../store/database.js';
import { fromJson } from '../../store/database.js';
import { findDeliveredRows } from '../../store/results.js';
import { queueResults, requeueResults, startResults } from '../../store/transitions/index.js';
import type { TestJob } from '../test-runner.js';

/** A result row as a worker finds it when its job arrives. */
export interface DeliveredRow {
  status: string;
  /** Times the row was started, this delivery not included. */
  attempts: number;
  runStatus: string;
  job: TestJob;
}

interface Waiter {
  resultId: string;
  resolve: (row: DeliveredRow | undefined) => void;
  reject: (error: unknown) => void;
}

/**
 * Loads the rows of the jobs a worker receives, one query per tick for all of them: with many
 * workers, a query per job would cost the store more than the tests do.
 */
export class RowLoader {
  private waiting: Waiter[] = [];

  constructor(private readonly store: Store) {}

  /** The rows of a batch, in its order; those not found are left out. */
  async loadAll(resultIds: string[]): Promise<DeliveredRow[]> {
    const rows = await Promise.all(resultIds.map((resultId) => this.load(resultId)));
    return rows.filter((row) => row !== undefined);
  }

  load(resultId: string): Promise<DeliveredRow | undefined> {
    return new Promise((resolve, reject) => {
      if (this.waiting.push({ resultId, resolve, reject }) === 1) setImmediate(() => void this.flush());
    });
  }

  private async flush(): Promise<void> {
    const waiters = this.waiting;
    this.waiting = [];
    try {
      const rows = await findDeliveredRows(this.store.db, waiters.map((waiter) => waiter.resultId));
      const byId = new Map(rows.map((row) => [row.id, row]));
      for (const waiter of waiters) {
        const row = byId.get(waiter.resultId);
        waiter.resolve(
          row && {
            status: row.status,
            attempts: row.attempts,
            runStatus: row.run_status,
            job: {
              runId: row.run_id,
              resultId: row.id,
              testId: row.test_id,
              organizationId: row.organization_id,
              workflowId: row.workflow_id,
              versionId: row.version_id,
              blockId: row.block_id,
              sourceJson: row.source,
              assertion: fromJson<AssertionSpec>(row.assertion)!,
              assertionJson: row.assertion,
            },
          },
        );
      }
    } catch (error) {
      for (const waiter of waiters) waiter.reject(error);
    }
  }
}

/**
 * A row still `running` when its job is delivered again was held by a worker that died (or lost
 * its lock): it is handed back and started anew, attempts + 1, in one transaction made of the
 * store's own transitions. Should the first worker still finish it, the conditional finish records
 * exactly one of the two results. False when the row is no longer running (finished, cancelled).
 */
export async function takeOverRow(store: Store, runId: string, resultId: string): Promise<boolean> {
  return store.db.transaction().execute(async (trx) => {
    if ((await requeueResults(trx, runId, [resultId])) === 0) return false;
    await queueResults(trx, runId, [resultId]);
    return (await startResults(trx, runId, [resultId], isoNow())).length === 1;
  });
}
