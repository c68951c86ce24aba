import type { Transaction } from 'kysely';
import type { Database } from '../schema.js';
import { finishResults, type EncodedOutcome } from './finish-results.js';
import { queueResults } from './queue-results.js';
import { startResults } from './start-results.js';

/** The row transitions an executor gathered for a few milliseconds, per run. */
export interface TransitionFlush {
  now: string;
  runs: { runId: string; queue: string[]; start: string[]; finish: EncodedOutcome[] }[];
}

/** The ids that moved, per run and transition (a row of a run that ended meanwhile does not). */
export type FlushMoves = { runId: string; queued: string[]; started: string[]; finished: string[] }[];

/** Applies a flush in the caller's transaction: per run, queued, then started, then finished rows. */
export async function applyFlush(trx: Transaction<Database>, flush: TransitionFlush): Promise<FlushMoves> {
  const moves: FlushMoves = [];
  for (const run of flush.runs) {
    moves.push({
      runId: run.runId,
      queued: await queueResults(trx, run.runId, run.queue),
      started: await startResults(trx, run.runId, run.start, flush.now),
      finished: await finishResults(trx, run.runId, run.finish, flush.now),
    });
  }
  return moves;
}
