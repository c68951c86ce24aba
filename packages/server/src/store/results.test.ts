import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { storeForSuite, testStores } from '../testing/harness.js';
import { passedOutcome, passingResult, pendingRun, PENDING_RUN_ORG } from '../testing/pending-run.js';
import {
  cancelledUnstartedRows,
  findDeliveredRows,
  firstPendingRows,
  LIST_FIELD_BUDGET_BYTES,
  listStartedResults,
  nextPendingRows,
  queuedOrRunningRows,
} from './results.js';
import { cancelRun, encodeOutcome, moveResults, queueResults, startResults } from './transitions/index.js';

const NOW = '2026-11-29T00:00:05.000Z';

for (const kind of testStores()) {
  describe(`result-row operations of the store (${kind})`, () => {
    const suite = storeForSuite(kind, 'results');

    const transaction = suite.transaction.bind(suite);
    const ids = (rows: { id: string }[]) => rows.map((row) => row.id);

    test('nextPendingRows: pending rows after a position, in run order, up to the limit', async () => {
      const rows = await pendingRun(suite.store, 'next', 6);
      await transaction((trx) => queueResults(trx, 'next', [rows[1]!, rows[3]!]));
      await transaction((trx) => startResults(trx, 'next', [rows[3]!], NOW));

      assert.deepEqual(ids(await nextPendingRows(suite.db, 'next', -1, 10)), [rows[0], rows[2], rows[4], rows[5]]);
      assert.deepEqual(ids(await nextPendingRows(suite.db, 'next', 0, 2)), [rows[2], rows[4]]);
      assert.deepEqual(ids(await nextPendingRows(suite.db, 'next', 5, 10)), []);
      const [first] = await nextPendingRows(suite.db, 'next', -1, 1);
      assert.deepEqual(first, { id: rows[0], position: 0, test_id: 'next_test0', block_id: 'blk', source: '{"type":"manual","handle_inputs":{}}', assertion: '{}' });
    });

    test('firstPendingRows: the first pending rows in run order, with what picks their queue', async () => {
      const rows = await pendingRun(suite.store, 'first', 4);
      await transaction((trx) => queueResults(trx, 'first', [rows[0]!]));

      assert.deepEqual(await firstPendingRows(suite.db, 'first', 2), [
        { id: rows[1], block_type: 'function', assertion: '{}' },
        { id: rows[2], block_type: 'function', assertion: '{}' },
      ]);
    });

    test('cancelledUnstartedRows: rows a cancel ended before they started; started ones are left out', async () => {
      const rows = await pendingRun(suite.store, 'cancelled', 4);
      await transaction((trx) => queueResults(trx, 'cancelled', [rows[0]!, rows[1]!]));
      await transaction((trx) => startResults(trx, 'cancelled', [rows[0]!], NOW));
      assert.deepEqual(await cancelledUnstartedRows(suite.db, 'cancelled', 10), [], 'nothing is cancelled yet');
      await transaction((trx) => cancelRun(trx, PENDING_RUN_ORG, 'cancelled', null, NOW));

      assert.deepEqual(ids(await cancelledUnstartedRows(suite.db, 'cancelled', 10)), [rows[1], rows[2], rows[3]]);
      assert.deepEqual(ids(await cancelledUnstartedRows(suite.db, 'cancelled', 1)), [rows[1]]);
    });

    test('queuedOrRunningRows: the rows that should have a job, in run order', async () => {
      const rows = await pendingRun(suite.store, 'jobs', 5);
      await transaction((trx) => queueResults(trx, 'jobs', [rows[0]!, rows[1]!, rows[2]!]));
      await transaction((trx) => startResults(trx, 'jobs', [rows[1]!, rows[2]!], NOW));
      await transaction((trx) => moveResults(trx, 'jobs', { finish: [{ from: 'running', outcomes: [passedOutcome('jobs', rows[2]!)] }] }, NOW));

      assert.deepEqual(ids(await queuedOrRunningRows(suite.db, 'jobs', 10)), [rows[0], rows[1]]);
      assert.deepEqual(ids(await queuedOrRunningRows(suite.db, 'jobs', 1)), [rows[0]]);
    });

    test('findDeliveredRows: rows by id with their run, in one read; unknown ids are left out', async () => {
      const rows = await pendingRun(suite.store, 'delivered', 2, { organizationId: 'org_delivered', workflowId: 'wf_delivered' });
      await transaction((trx) => queueResults(trx, 'delivered', [rows[1]!]));

      const found = await findDeliveredRows(suite.db, [rows[1]!, 'no_such_row', rows[0]!]);
      const byId = new Map(found.map((row) => [row.id, row]));
      assert.equal(found.length, 2);
      assert.deepEqual(byId.get(rows[1]!), {
        id: rows[1],
        run_id: 'delivered',
        status: 'queued',
        attempts: 0,
        test_id: 'delivered_test1',
        block_id: 'blk',
        source: '{"type":"manual","handle_inputs":{}}',
        assertion: '{}',
        run_status: 'queued',
        organization_id: 'org_delivered',
        workflow_id: 'wf_delivered',
        version_id: 'ver_d',
      });
      assert.equal(byId.get(rows[0]!)?.status, 'pending');
    });

    test('listStartedResults: rows that left the queue from a position, with their test names; long failures as previews', async () => {
      const rows = await pendingRun(suite.store, 'started', 5);
      await suite.db.updateTable('tests').set({ name: 'second test' }).where('id', '=', 'started_test1').execute();
      await transaction((trx) => queueResults(trx, 'started', [rows[0]!, rows[1]!]));
      await transaction((trx) => startResults(trx, 'started', [rows[1]!], NOW));
      const longFailure = encodeOutcome(
        {
          ...passingResult('started', rows[2]!),
          verdict: 'failed',
          assertionResult: { passed: false, failure: { code: 'condition_not_met', message: 'x'.repeat(LIST_FIELD_BUDGET_BYTES) } },
          durationMs: 500,
          executionStartedAt: '2026-11-29T00:00:02.500Z',
        },
        { startedAt: '2026-11-29T00:00:01.000Z', completedAt: '2026-11-29T00:00:03.000Z' },
      );
      await transaction((trx) => moveResults(trx, 'started', { finish: [{ from: 'pending', outcomes: [passedOutcome('started', rows[3]!), longFailure] }] }, NOW));

      const listed = await listStartedResults(suite.db, 'started', 0, 10);
      assert.deepEqual(listed.map((row) => [row.id, row.position, row.status, row.verdict, row.name]), [
        [rows[1], 1, 'running', null, 'second test'],
        [rows[2], 2, 'completed', 'failed', null],
        [rows[3], 3, 'completed', 'passed', null],
      ]);
      const failure = JSON.parse(listed[1]!.assertion_result!);
      assert.equal(failure.failure, null, 'an object member cut for its size reads null');
      assert.ok(listed[1]!.assertion_result!.length < LIST_FIELD_BUDGET_BYTES, 'the long value is not listed whole');
      // The block's own time and when it began (its queue time runs from created_at to there), not the row's start and end.
      assert.deepEqual([listed[1]!.duration_ms, listed[1]!.execution_started_at], [500, '2026-11-29T00:00:02.500Z']);

      assert.deepEqual(ids(await listStartedResults(suite.db, 'started', 2, 1)), [rows[2]]);
      assert.deepEqual(ids(await listStartedResults(suite.db, 'started', 4, 10)), []);
    });
  });
}
