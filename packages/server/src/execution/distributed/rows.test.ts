import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PENDING_RUN_ORG, pendingRun } from '../../testing/pending-run.js';
import { countsDisagreement, inTransaction, onEachStore, outcomeOf, runState } from '../../testing/run-state.js';
import { cancelRun, moveResults, queueResults, startResults } from '../../store/transitions/index.js';
import { takeOverRow } from './rows.js';

const STARTED = '2026-11-29T00:00:01.000Z';

onEachStore('takeOverRow', (store) => {
  test('a row left running by a dead worker is handed back and started anew: one more attempt, counts kept', async () => {
    const [id] = await pendingRun(store(), 'to_running', 1);
    await inTransaction(store(), (trx) => queueResults(trx, 'to_running', [id!]));
    await inTransaction(store(), (trx) => startResults(trx, 'to_running', [id!], STARTED));
    assert.equal(await takeOverRow(store(), 'to_running', id!), true);
    const state = await runState(store(), 'to_running');
    assert.deepEqual([state.rows[0]!.status, state.rows[0]!.attempts], ['running', 2]);
    assert.notEqual(state.rows[0]!.started_at, STARTED, 'its start is the new one');
    assert.equal(countsDisagreement(state), null);
  });

  test('a row that finished, or whose run was cancelled, is not taken over', async () => {
    const [finished] = await pendingRun(store(), 'to_finished', 1);
    const { rows } = await runState(store(), 'to_finished');
    await inTransaction(store(), (trx) => moveResults(trx, 'to_finished', { finish: [{ from: 'pending', outcomes: [outcomeOf(rows[0]!)] }] }, STARTED));
    assert.equal(await takeOverRow(store(), 'to_finished', finished!), false);
    assert.deepEqual((await runState(store(), 'to_finished')).rows.map((row) => [row.status, row.attempts]), [['completed', 1]]);

    const [cancelled] = await pendingRun(store(), 'to_cancelled', 1);
    await inTransaction(store(), (trx) => queueResults(trx, 'to_cancelled', [cancelled!]));
    await inTransaction(store(), (trx) => startResults(trx, 'to_cancelled', [cancelled!], STARTED));
    await inTransaction(store(), (trx) => cancelRun(trx, PENDING_RUN_ORG, 'to_cancelled', null, STARTED));
    assert.equal(await takeOverRow(store(), 'to_cancelled', cancelled!), false);
    const state = await runState(store(), 'to_cancelled');
    assert.deepEqual([state.rows[0]!.status, state.rows[0]!.attempts], ['cancelled', 1]);
    assert.equal(countsDisagreement(state), null);
  });
});
