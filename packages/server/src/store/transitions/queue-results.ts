import type { Transaction } from 'kysely';
import type { Database } from '../schema.js';
import { applyCountDeltas, idIn, lockLiveRun, ofRun } from './shared.js';

/**
 * pending → queued for rows handed to the executor. Returns the ids that moved (none when the
 * run is no longer live). A run that has not started becomes `queued`.
 */
export async function queueResults(trx: Transaction<Database>, runId: string, resultIds: string[]): Promise<string[]> {
  if (resultIds.length === 0) return [];
  const run = await lockLiveRun(trx, runId);
  if (!run) return [];
  const moved = await trx
    .updateTable('test_results')
    .set({ status: 'queued' })
    .where(ofRun(runId))
    .where(idIn(trx, resultIds))
    .where('status', '=', 'pending')
    .returning('id')
    .execute();
  await applyCountDeltas(trx, runId, { n_pending: -moved.length, n_queued: moved.length });
  if (run.status === 'pending') await trx.updateTable('test_runs').set({ status: 'queued' }).where('id', '=', runId).execute();
  return moved.map((row) => row.id);
}
