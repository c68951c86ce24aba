import type { Transaction } from 'kysely';
import type { Database } from '../schema.js';
import { applyCountDeltas, lockLiveRun } from './shared.js';

/**
 * A row can only be handed back (→ pending) if it is queued or running and its run is live
 * (docs/decisions.md §3): the one move back of the lifecycle.
 *
 * For rows whose worker is gone (a restart, a killed worker), so the executor picks them up again;
 * their start is cleared and their attempts stay counted. The conditional finish guarantees a row
 * is still recorded once. Without ids, every unfinished row of the run is handed back. Returns how
 * many moved.
 */
export async function requeueResults(trx: Transaction<Database>, runId: string, resultIds?: string[]): Promise<number> {
  if (!(await lockLiveRun(trx, runId))) return 0;
  const moveFrom = async (status: 'queued' | 'running') => {
    let query = trx.updateTable('test_results').set({ status: 'pending', started_at: null }).where('run_id', '=', runId).where('status', '=', status);
    if (resultIds) query = query.where('id', 'in', resultIds);
    return Number((await query.executeTakeFirst()).numUpdatedRows);
  };
  const fromQueued = await moveFrom('queued');
  const fromRunning = await moveFrom('running');
  await applyCountDeltas(trx, runId, { n_queued: -fromQueued, n_running: -fromRunning, n_pending: fromQueued + fromRunning });
  return fromQueued + fromRunning;
}
