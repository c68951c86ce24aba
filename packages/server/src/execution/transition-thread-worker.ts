/** Transition thread entry: applies each flush in one transaction of its own SQLite connection. */
import { parentPort, workerData } from 'node:worker_threads';
import { connectSqlite } from '../store/database.js';
import { applyFlush } from '../store/transitions/index.js';
import type { FlushReply, FlushRequest } from './transition-thread.js';

if (!parentPort) throw new Error('transition-thread-worker.js must run as the worker thread of a TransitionThread');
const port = parentPort;
const db = connectSqlite((workerData as { sqlitePath: string }).sqlitePath);

port.on('message', ({ id, flush }: FlushRequest) => {
  db.transaction()
    .execute((trx) => applyFlush(trx, flush))
    .then(
      (moves) => port.postMessage({ id, moves } satisfies FlushReply),
      (error: unknown) => port.postMessage({ id, error: error instanceof Error ? error.message : String(error) } satisfies FlushReply),
    );
});
