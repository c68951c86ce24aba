import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Store } from '../database.js';
import { temporaryStore, testStores } from '../../testing/harness.js';
import { passedOutcome, pendingRun } from '../../testing/pending-run.js';
import { failRun } from './fail-run.js';
import { moveResults } from './move-results.js';

const FAILED_AT = '2026-11-29T00:00:05.000Z';

for (const kind of testStores()) {
  describe(`failRun (${kind})`, () => {
    let temporary: Awaited<ReturnType<typeof temporaryStore>>;
    let store: Store;
    before(async () => {
      temporary = await temporaryStore(kind, 'fail-run');
      store = temporary.store;
    });
    after(() => temporary.remove());

    test('the run and its live rows become error; finished rows keep their verdicts; counts and latest summaries follow', async () => {
      const [done, queued, pending] = await pendingRun(store, 'run_fail', 3);
      await store.db.transaction().execute((trx) => moveResults(trx, 'run_fail', { queue: [queued!], finish: [{ from: 'pending', outcomes: [passedOutcome('run_fail', done!)] }] }, FAILED_AT));

      const failed = await store.db.transaction().execute((trx) => failRun(trx, 'run_fail', 'The workflow version is missing.', { message: 'missing', error_code: 'run_failed' }, FAILED_AT));
      assert.equal(failed, true);

      const run = await store.db.selectFrom('test_runs').selectAll().where('id', '=', 'run_fail').executeTakeFirstOrThrow();
      assert.deepEqual([run.status, run.error_message, run.completed_at], ['error', 'The workflow version is missing.', FAILED_AT]);
      assert.deepEqual([run.n_pending, run.n_queued, run.n_running, run.n_completed, run.n_error, run.n_passed], [0, 0, 0, 1, 2, 1]);
      const rows = await store.db.selectFrom('test_results').select(['id', 'status', 'verdict', 'test_id']).where('run_id', '=', 'run_fail').orderBy('position').execute();
      assert.deepEqual(rows.map((row) => [row.status, row.verdict]), [['completed', 'passed'], ['error', null], ['error', null]]);

      const tests = await store.db.selectFrom('tests').select(['id', 'latest_result_id', 'latest_passing_result_id', 'latest_failing_result_id']).where('id', 'in', rows.map((row) => row.test_id)).orderBy('id').execute();
      assert.deepEqual(tests.map((t) => [t.latest_result_id, t.latest_passing_result_id, t.latest_failing_result_id]), [
        [done, done, null],
        [queued, null, queued],
        [pending, null, pending],
      ]);
    });

    test('a terminal run is left as it is', async () => {
      await pendingRun(store, 'run_fail_twice', 1);
      assert.equal(await store.db.transaction().execute((trx) => failRun(trx, 'run_fail_twice', 'first', null, FAILED_AT)), true);
      assert.equal(await store.db.transaction().execute((trx) => failRun(trx, 'run_fail_twice', 'second', null, FAILED_AT)), false);
      const run = await store.db.selectFrom('test_runs').select(['status', 'error_message', 'n_error']).where('id', '=', 'run_fail_twice').executeTakeFirstOrThrow();
      assert.deepEqual(run, { status: 'error', error_message: 'first', n_error: 1 });
    });
  });
}
