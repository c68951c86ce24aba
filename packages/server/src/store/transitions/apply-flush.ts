import type { Transaction } from 'kysely';
import type { Database } from '../schema.js';
import { moveResults, type RowMoves } from './move-results.js';

/** The row moves an executor gathered for a few milliseconds, per run. */
export interface TransitionFlush {
  now: string;
  runs: { runId: string; moves: RowMoves }[];
}

/**
 * Per run, the ids handed in that did not move (a row of a run that ended meanwhile): usually
 * none, so the answer stays small however many rows a flush carries.
 */
export type UnmovedRows = { runId: string; unmoved: string[] }[];

/** Applies a flush in the caller's transaction, run by run; each run's rows move by moveResults' rules (docs/decisions.md §3). */
export async function applyFlush(trx: Transaction<Database>, flush: TransitionFlush): Promise<UnmovedRows> {
  const unmoved: UnmovedRows = [];
  for (const { runId, moves: rowMoves } of flush.runs) {
    const moved = new Set(await moveResults(trx, runId, rowMoves, flush.now));
    unmoved.push({ runId, unmoved: idsIn(rowMoves).filter((id) => !moved.has(id)) });
  }
  return unmoved;
}

function idsIn({ queue = [], start = [], finish = [] }: RowMoves): string[] {
  return [...queue, ...start.flatMap(({ rows }) => rows.map(([id]) => id)), ...finish.flatMap(({ outcomes }) => outcomes.map((outcome) => outcome.resultId))];
}
