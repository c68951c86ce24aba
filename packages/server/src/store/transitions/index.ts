/** Every state change of runs and results lives here; nothing else writes lifecycle columns. */
export { queueResults } from './queue-results.js';
export { startResults } from './start-results.js';
export { encodeOutcome, finishResults, type EncodedOutcome, type ResultOutcome } from './finish-results.js';
export { applyFlush, type FlushMoves, type TransitionFlush } from './apply-flush.js';
export { cancelRun, type CancelOutcome } from './cancel-run.js';
export { failRun } from './fail-run.js';
export { requeueResults } from './requeue-results.js';
export { insertRun, insertPendingResults, type NewRun, type PendingRow, type PendingRowsOfRun } from './insert-run.js';
