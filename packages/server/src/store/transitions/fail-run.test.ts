import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pendingRun } from '../../testing/pending-run.js';
import { countsDisagreement, inTransaction, onEachStore, outcomeOf, runState, statuses } from '../../testing/run-state.js';
import { failRun } from './fail-run.js';
import { moveResults } from './move-results.js';

const FAILED_AT = '2026-11-29T00:00:05.000Z';
const LATER = '2026-11-29T00:00:09.000Z';

onEachStore('failRun', (store) => {
  const fail = (runId: string, message: string, now = FAILED_AT) => inTransaction(store(), (trx) => failRun(trx, runId, message, { message, error_code: 'run_failed' }, now));

  test('the run and its live rows become error; finished rows keep their verdicts; counts and latest summaries follow', async () => {
    const [done, queued, pending] = await pendingRun(store(), 'run_fail', 3);
    const { rows } = await runState(store(), 'run_fail');
    await inTransaction(store(), (trx) => moveResults(trx, 'run_fail', { queue: [queued!], finish: [{ from: 'pending', outcomes: [outcomeOf(rows[0]!)] }] }, FAILED_AT));

    assert.equal(await fail('run_fail', 'The workflow version is missing.'), true);
    const state = await runState(store(), 'run_fail');
    assert.deepEqual([state.run.status, state.run.error_message, state.run.error_details, state.run.completed_at], ['error', 'The workflow version is missing.', '{"message":"The workflow version is missing.","error_code":"run_failed"}', FAILED_AT]);
    assert.deepEqual([state.run.n_pending, state.run.n_queued, state.run.n_running, state.run.n_completed, state.run.n_error, state.run.n_passed], [0, 0, 0, 1, 2, 1]);
    assert.equal(countsDisagreement(state), null);
    assert.deepEqual(state.rows.map((row) => [row.status, row.verdict, row.completed_at]), [['completed', 'passed', FAILED_AT], ['error', null, FAILED_AT], ['error', null, FAILED_AT]]);
    assert.deepEqual(JSON.parse(state.rows[1]!.error!), { message: 'The workflow version is missing.', error_code: 'run_failed' });
    assert.deepEqual(
      state.rows.map((row) => state.tests.get(row.test_id)).map((t) => [t!.latest_result_id, t!.latest_passing_result_id, t!.latest_failing_result_id]),
      [[done, done, null], [queued, null, queued], [pending, null, pending]],
    );
  });

  test('a terminal run is left as it is; a failed run moves nothing more', async () => {
    const [id] = await pendingRun(store(), 'run_fail_twice', 1);
    assert.equal(await fail('run_fail_twice', 'first'), true);
    const failed = await runState(store(), 'run_fail_twice');
    assert.equal(await fail('run_fail_twice', 'second', LATER), false);
    assert.deepEqual(await inTransaction(store(), (trx) => moveResults(trx, 'run_fail_twice', { finish: [{ from: 'pending', outcomes: [outcomeOf(failed.rows[0]!)] }] }, LATER)), []);
    assert.deepEqual(await runState(store(), 'run_fail_twice'), failed);
    assert.deepEqual([failed.run.error_message, failed.run.n_error, failed.rows[0]!.id], ['first', 1, id]);

    await pendingRun(store(), 'run_fail_done', 1);
    const { rows } = await runState(store(), 'run_fail_done');
    await inTransaction(store(), (trx) => moveResults(trx, 'run_fail_done', { finish: [{ from: 'pending', outcomes: [outcomeOf(rows[0]!)] }] }, FAILED_AT));
    const completed = await runState(store(), 'run_fail_done');
    assert.equal(await fail('run_fail_done', 'too late', LATER), false);
    assert.deepEqual(await runState(store(), 'run_fail_done'), completed);
    assert.deepEqual(statuses(completed), ['completed']);
  });
});
