import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PENDING_RUN_ORG, pendingRun } from '../../testing/pending-run.js';
import { countsDisagreement, onEachStore, runState, statuses } from '../../testing/run-state.js';

onEachStore('insertRun and insertPendingResults', (store) => {
  test('a run is born pending with every row pending, in run order, counted', async () => {
    // 250 rows: two full statements of 100 rows and a shorter one.
    const ids = await pendingRun(store(), 'ir_new', 250);
    const state = await runState(store(), 'ir_new');
    assert.deepEqual([state.run.status, state.run.total_tests, state.run.n_pending, state.run.started_at, state.run.completed_at], ['pending', 250, 250, null, null]);
    assert.deepEqual(state.rows.map((row) => row.id), ids);
    assert.ok(statuses(state).every((status) => status === 'pending'));
    assert.deepEqual(
      state.rows.map((row) => [row.position, row.test_id, row.attempts, row.organization_id, row.verdict, row.started_at]),
      ids.map((_, n) => [n, `ir_new_test${n}`, 0, PENDING_RUN_ORG, null, null]),
    );
    assert.equal(state.rows[249]!.execution_fingerprint, 'e');
    assert.equal(countsDisagreement(state), null);
    assert.ok([...state.tests.values()].every((test) => test.latest_result_id === null), 'a pending row is no test\'s latest result');
  });

  test("each row carries its test's source and assertion as they were when the run was created", async () => {
    await pendingRun(store(), 'ir_first', 2);
    await store().db.updateTable('tests').set({ source: '{"type":"manual","handle_inputs":{"n":2}}', assertion: '{"kind":"changed"}' }).where('id', '=', 'ir_first_test1').execute();
    await pendingRun(store(), 'ir_second', 2, { testsOf: 'ir_first' });
    const [first, second] = [await runState(store(), 'ir_first'), await runState(store(), 'ir_second')];
    assert.deepEqual(first.rows.map((row) => [row.source, row.assertion]), [['{"type":"manual","handle_inputs":{}}', '{}'], ['{"type":"manual","handle_inputs":{}}', '{}']]);
    assert.deepEqual(second.rows.map((row) => [row.source, row.assertion]), [['{"type":"manual","handle_inputs":{}}', '{}'], ['{"type":"manual","handle_inputs":{"n":2}}', '{"kind":"changed"}']]);
  });
});
