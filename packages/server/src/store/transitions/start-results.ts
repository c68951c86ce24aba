import type { Transaction } from 'kysely';
import { sql } from 'kysely';
import type { Database } from '../schema.js';
import { applyCountDeltas, idIn, lockLiveRun, ofRun } from './shared.js';

/**
 * queued → running when a worker starts rows. The run becomes `running` with `started_at` set by
 * its first started row. Returns the ids that moved; rows of a run that ended are not started.
 */
export async function startResults(trx: Transaction<Database>, runId: string, resultIds: string[], now: string): Promise<string[]> {
  if (resultIds.length === 0) return [];
  const run = await lockLiveRun(trx, runId);
  if (!run) return [];
  const moved = await trx
    .updateTable('test_results')
    .set({ status: 'running', started_at: now, attempts: sql`attempts + 1` })
    .where(ofRun(runId))
    .where(idIn(trx, resultIds))
    .where('status', '=', 'queued')
    .returning('id')
    .execute();
  await applyCountDeltas(trx, runId, { n_queued: -moved.length, n_running: moved.length });
  if (moved.length > 0 && run.status !== 'running') {
    await trx.updateTable('test_runs').set({ status: 'running', started_at: sql`coalesce(started_at, ${now})` }).where('id', '=', runId).execute();
  }
  return moved.map((row) => row.id);
}
