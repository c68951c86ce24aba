/**
 * Transition thread entry: applies each flush, creates each run, cancels each run, or writes each cancelled run's rows, in one transaction of its own SQLite connection, and
 * checkpoints the store's WAL (no commit does): once the store has been quiet for a moment, or
 * after a few seconds of continuous writes.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { sql } from 'kysely';
import { connectSqlite } from '../store/database.js';
import { applyFlush, cancelRun, cancelUnfinishedRows, createRun } from '../store/transitions/index.js';
import type { TransitionReply, TransitionRequest } from './transition-thread.js';

if (!parentPort) throw new Error('transition-thread-worker.js must run as the worker thread of a TransitionThread');
const port = parentPort;
const db = connectSqlite((workerData as { sqlitePath: string }).sqlitePath);
/**
 * A checkpoint copies every page written since the last one into the database file and syncs it:
 * tens of milliseconds after a busy second, during which no flush is applied. Taken while the store
 * is quiet, it delays nothing; a long run still has one every few seconds, which bounds the WAL.
 */
const QUIET_MS = 200;
const LONGEST_WITHOUT_CHECKPOINT_MS = 3000;

let lastWriteAt = 0;
let lastCheckpointAt = performance.now();

await sql`PRAGMA wal_autocheckpoint = 0`.execute(db);
setInterval(() => void checkpointIfDue().catch(() => undefined), QUIET_MS / 2).unref();

/** Also copies what the server's own connection committed; with nothing new in the WAL, a checkpoint is a few reads of shared memory. */
async function checkpointIfDue(): Promise<void> {
  const now = performance.now();
  if (now - lastWriteAt < QUIET_MS && now - lastCheckpointAt < LONGEST_WITHOUT_CHECKPOINT_MS) return;
  lastCheckpointAt = now;
  // PASSIVE: copies what no reader still needs, and never waits for a lock.
  await sql`PRAGMA wal_checkpoint(PASSIVE)`.execute(db);
}

port.on('message', (request: TransitionRequest) => {
  const { id } = request;
  const work: Promise<unknown> =
    'flush' in request
      ? db.transaction().execute((trx) => applyFlush(trx, request.flush))
      : 'creation' in request
        ? createRun(db, request.creation)
        : 'cancel' in request
          ? db.transaction().execute((trx) => cancelRun(trx, request.cancel.organizationId, request.cancel.runId, request.cancel.reason, request.cancel.now))
          : db.transaction().execute((trx) => cancelUnfinishedRows(trx, request.cancelled.runId, request.cancelled.cancelledAt));
  work
    .then(
      (answer) => port.postMessage({ id, answer } satisfies TransitionReply),
      (error: unknown) => port.postMessage({ id, error: error instanceof Error ? error.message : String(error) } satisfies TransitionReply),
    )
    .finally(() => {
      lastWriteAt = performance.now();
    });
});
