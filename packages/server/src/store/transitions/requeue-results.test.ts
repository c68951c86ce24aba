import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pendingRun } from '../../testing/pending-run.js';
import { countsDisagreement, inTransaction, onEachStore, outcomeOf, runState, statuses } from '../../testing/run-state.js';
import { failRun } from './fail-run.js';
import { moveResults, queueResults } from './move-results.js';
import { requeueResults } from './requeue-results.js';

const STARTED = '2026-11-29T00:00:01.000Z';
const LATER = '2026-11-29T00:00:09.000Z';

onEachStore('requeueResults', (store) => {
  /** A run of five rows: completed, running, queued, pending, running. */
  async function runMidway(runId: string): Promise<string[]> {
    const ids = await pendingRun(store(), runId, 5);
    const { rows } = await runState(store(), runId);
    await inTransaction(store(), (trx) =>
      moveResults(trx, runId, { queue: [ids[2]!], start: [{ from: 'pending', rows: [[ids[1]!, STARTED], [ids[4]!, STARTED]] }], finish: [{ from: 'pending', outcomes: [outcomeOf(rows[0]!)] }] }, STARTED),
    );
    return ids;
  }

  test('every queued or running row of a live run goes back to pending, its start cleared and its attempts kept; finished rows stay', async () => {
    await runMidway('rq_all');
    assert.equal(await inTransaction(store(), (trx) => requeueResults(trx, 'rq_all')), 3);
    const state = await runState(store(), 'rq_all');
    assert.deepEqual(statuses(state), ['completed', 'pending', 'pending', 'pending', 'pending']);
    assert.deepEqual(state.rows.map((row) => [row.started_at === null, row.attempts]), [[false, 1], [true, 1], [true, 0], [true, 0], [true, 1]]);
    assert.equal(state.run.status, 'running', 'a run that started stays started');
    assert.equal(countsDisagreement(state), null);
  });

  test('with ids, only those rows go back; a row handed back is started again as a new attempt', async () => {
    const ids = await runMidway('rq_some');
    assert.equal(await inTransaction(store(), (trx) => requeueResults(trx, 'rq_some', [ids[1]!, ids[0]!, ids[3]!])), 1, 'neither a finished nor a pending row is handed back');
    let state = await runState(store(), 'rq_some');
    assert.deepEqual(statuses(state), ['completed', 'pending', 'queued', 'pending', 'running']);
    assert.equal(countsDisagreement(state), null);

    await inTransaction(store(), (trx) => queueResults(trx, 'rq_some', [ids[1]!]));
    await inTransaction(store(), (trx) => moveResults(trx, 'rq_some', { start: [{ from: 'queued', rows: [[ids[1]!, LATER]] }] }, LATER));
    state = await runState(store(), 'rq_some');
    assert.deepEqual([state.rows[1]!.status, state.rows[1]!.attempts, state.rows[1]!.started_at], ['running', 2, LATER]);
    assert.equal(countsDisagreement(state), null);
  });

  test('the rows of a run that ended are not handed back', async () => {
    await runMidway('rq_ended');
    await inTransaction(store(), (trx) => failRun(trx, 'rq_ended', 'broken', null, LATER));
    const failed = await runState(store(), 'rq_ended');
    assert.equal(await inTransaction(store(), (trx) => requeueResults(trx, 'rq_ended')), 0);
    assert.deepEqual(await runState(store(), 'rq_ended'), failed);
  });
});
