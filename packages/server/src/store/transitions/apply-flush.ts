import type { Transaction } from 'kysely';
import type { Database } from '../schema.js';
import { moveResults, type RowMoves } from './move-results.js';

/** The row moves an executor gathered for a few milliseconds, per run. */
export interface TransitionFlush {
  now: string;
  runs: { runId: string; moves: RowMoves }[];
}

/** The ids that moved, per run (a row of a run that ended meanwhile does not). */
export type FlushMoves = { runId: string; moved: string[] }[];

/** Applies a flush in the caller's transaction, run by run. */
export async function applyFlush(trx: Transaction<Database>, flush: TransitionFlush): Promise<FlushMoves> {
  const moves: FlushMoves = [];
  for (const run of flush.runs) moves.push({ runId: run.runId, moved: await moveResults(trx, run.runId, run.moves, flush.now) });
  return moves;
}
