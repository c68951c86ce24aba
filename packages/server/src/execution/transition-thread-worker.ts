/**
 * Transition thread entry: applies each flush in one transaction of its own SQLite connection, and
 * checkpoints the store's WAL every second (no commit does).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { sql } from 'kysely';
import { connectSqlite } from '../store/database.js';
import { applyFlush } from '../store/transitions/index.js';
import type { FlushReply, FlushRequest } from './transition-thread.js';

if (!parentPort) throw new Error('transition-thread-worker.js must run as the worker thread of a TransitionThread');
const port = parentPort;
const db = connectSqlite((workerData as { sqlitePath: string }).sqlitePath);
const CHECKPOINT_EVERY_MS = 1000;

await sql`PRAGMA wal_autocheckpoint = 0`.execute(db);
// PASSIVE: copies what no reader still needs, and never waits for a lock.
setInterval(() => void sql`PRAGMA wal_checkpoint(PASSIVE)`.execute(db).catch(() => undefined), CHECKPOINT_EVERY_MS).unref();

port.on('message', ({ id, flush }: FlushRequest) => {
  db.transaction()
    .execute((trx) => applyFlush(trx, flush))
    .then(
      (moves) => port.postMessage({ id, moves } satisfies FlushReply),
      (error: unknown) => port.postMessage({ id, error: error instanceof Error ? error.message : String(error) } satisfies FlushReply),
    );
});
