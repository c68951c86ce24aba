/** Every state change of runs and results lives here; nothing else writes lifecycle columns. */
export { moveResults, queueResults, startResults, type RowMoves } from './move-results.js';
export { encodeOutcome, JsonText, type EncodedOutcome, type OutcomeTimes, type ResultOutcome } from './outcomes.js';
export { applyFlush, type UnmovedRows, type TransitionFlush } from './apply-flush.js';
export { cancelRun, cancelUnfinishedRows, decideCancel, decideCancelNow, finishCancelledRuns, type CancelDecision, type ImmediateCancelDecision } from './cancel-run.js';
export { failRun } from './fail-run.js';
export { requeueResults } from './requeue-results.js';
export { insertRun, insertPendingResults, type NewRun, type PendingRow, type PendingRowsOfRun } from './insert-run.js';
export { createRun, type RunCreation, type RunScopeFilter } from './create-run.js';
