import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { storeForSuite, testStores } from '../testing/harness.js';
import { passedOutcome, pendingRun, PENDING_RUN_ORG } from '../testing/pending-run.js';
import {
  countQueuedRowsOfOrganization,
  countRunsByStatus,
  deleteRunsOfWorkflow,
  findRunOrganization,
  findRunQueueState,
  findRunToExecute,
  listLiveRunCounts,
  listLiveRunIds,
  listLiveRunIdsOfWorkflow,
} from './runs.js';
import { cancelRun, failRun, moveResults, queueResults } from './transitions/index.js';

const NOW = '2026-11-29T00:00:05.000Z';

for (const kind of testStores()) {
  describe(`run operations of the store (${kind})`, () => {
    const suite = storeForSuite(kind, 'runs');

    const transaction = suite.transaction.bind(suite);
    const cancel = (runId: string, organizationId = PENDING_RUN_ORG) => transaction((trx) => cancelRun(trx, organizationId, runId, null, NOW));
    const fail = (runId: string) => transaction((trx) => failRun(trx, runId, 'failed', null, NOW));

    test('listLiveRunIds: pending, queued and running runs, by id; ended runs are left out', async () => {
      await pendingRun(suite.store, 'live_c', 1);
      await pendingRun(suite.store, 'live_a', 2);
      await pendingRun(suite.store, 'live_b', 1);
      await pendingRun(suite.store, 'live_d', 1);
      await pendingRun(suite.store, 'live_e', 1);
      await transaction((trx) => queueResults(trx, 'live_a', ['live_a_row0']));
      await cancel('live_b');
      await fail('live_d');
      const [done] = await pendingRun(suite.store, 'live_f', 1);
      await transaction((trx) => moveResults(trx, 'live_f', { finish: [{ from: 'pending', outcomes: [passedOutcome('live_f', done!)] }] }, NOW));

      const live = (await listLiveRunIds(suite.db)).filter((id) => id.startsWith('live_'));
      assert.deepEqual(live, ['live_a', 'live_c', 'live_e']);
    });

    test("listLiveRunIdsOfWorkflow: only that organization's workflow, only live runs", async () => {
      await pendingRun(suite.store, 'wfrun_1', 1, { organizationId: 'org_one', workflowId: 'wf_target' });
      await pendingRun(suite.store, 'wfrun_2', 1, { organizationId: 'org_one', workflowId: 'wf_target' });
      await pendingRun(suite.store, 'wfrun_3', 1, { organizationId: 'org_one', workflowId: 'wf_other' });
      await pendingRun(suite.store, 'wfrun_4', 1, { organizationId: 'org_two', workflowId: 'wf_target' });
      await cancel('wfrun_2', 'org_one');

      assert.deepEqual(await listLiveRunIdsOfWorkflow(suite.db, 'org_one', 'wf_target'), ['wfrun_1']);
      assert.deepEqual(await listLiveRunIdsOfWorkflow(suite.db, 'org_two', 'wf_target'), ['wfrun_4']);
      assert.deepEqual(await listLiveRunIdsOfWorkflow(suite.db, 'org_two', 'wf_other'), []);
    });

    test('listLiveRunCounts: each live run with its row counts', async () => {
      const ids = await pendingRun(suite.store, 'counted', 4, { organizationId: 'org_counts' });
      await transaction((trx) => queueResults(trx, 'counted', [ids[0]!, ids[1]!]));
      await transaction((trx) => moveResults(trx, 'counted', { finish: [{ from: 'queued', outcomes: [passedOutcome('counted', ids[0]!)] }] }, NOW));
      await pendingRun(suite.store, 'counted_cancelled', 1, { organizationId: 'org_counts' });
      await cancel('counted_cancelled', 'org_counts');

      const live = (await listLiveRunCounts(suite.db)).filter((run) => run.id.startsWith('counted'));
      assert.deepEqual(live, [{ id: 'counted', n_pending: 2, n_queued: 1, n_running: 0, n_completed: 1, n_error: 0 }]);
    });

    test('findRunToExecute, findRunQueueState and findRunOrganization read one run, whatever its status', async () => {
      await pendingRun(suite.store, 'found', 3, { organizationId: 'org_found', workflowId: 'wf_found' });
      await transaction((trx) => queueResults(trx, 'found', ['found_row0']));

      assert.deepEqual(await findRunToExecute(suite.db, 'found'), { organization_id: 'org_found', workflow_id: 'wf_found', version_id: 'ver_d', status: 'queued' });
      assert.deepEqual(await findRunQueueState(suite.db, 'found'), { organization_id: 'org_found', status: 'queued', n_pending: 2, n_queued: 1 });
      assert.equal(await findRunOrganization(suite.db, 'found'), 'org_found');

      await cancel('found', 'org_found');
      assert.equal((await findRunToExecute(suite.db, 'found'))?.status, 'cancelled');
      assert.deepEqual(await findRunQueueState(suite.db, 'found'), { organization_id: 'org_found', status: 'cancelled', n_pending: 0, n_queued: 0 });

      assert.equal(await findRunToExecute(suite.db, 'no_such_run'), undefined);
      assert.equal(await findRunQueueState(suite.db, 'no_such_run'), undefined);
      assert.equal(await findRunOrganization(suite.db, 'no_such_run'), undefined);
    });

    test("countQueuedRowsOfOrganization: rows of the organization's runs that wait in the queues (an ended run has none)", async () => {
      assert.equal(await countQueuedRowsOfOrganization(suite.db, 'org_queue'), 0, 'no runs: zero, not null');
      const first = await pendingRun(suite.store, 'queue_1', 3, { organizationId: 'org_queue' });
      const second = await pendingRun(suite.store, 'queue_2', 2, { organizationId: 'org_queue' });
      const ended = await pendingRun(suite.store, 'queue_3', 2, { organizationId: 'org_queue' });
      const elsewhere = await pendingRun(suite.store, 'queue_4', 2, { organizationId: 'org_queue_other' });
      await transaction((trx) => queueResults(trx, 'queue_1', first.slice(0, 2)));
      await transaction((trx) => queueResults(trx, 'queue_2', second));
      await transaction((trx) => queueResults(trx, 'queue_3', ended));
      await transaction((trx) => queueResults(trx, 'queue_4', elsewhere));
      await cancel('queue_3', 'org_queue');

      assert.equal(await countQueuedRowsOfOrganization(suite.db, 'org_queue'), 4);
      assert.equal(await countQueuedRowsOfOrganization(suite.db, 'org_queue_other'), 2);
    });

    test('countRunsByStatus: runs per status with the verdicts and errors of their rows', async () => {
      const before = await countRunsByStatus(suite.db);
      const [passed] = await pendingRun(suite.store, 'metrics_done', 1);
      await transaction((trx) => moveResults(trx, 'metrics_done', { finish: [{ from: 'pending', outcomes: [passedOutcome('metrics_done', passed!)] }] }, NOW));
      await pendingRun(suite.store, 'metrics_failed', 2);
      await fail('metrics_failed');
      await pendingRun(suite.store, 'metrics_live', 1);

      const after = await countRunsByStatus(suite.db);
      const change = (status: string) => {
        const was = before.find((row) => row.status === status) ?? { runs: 0, passed: 0, failed: 0, blocked: 0, error: 0 };
        const now = after.find((row) => row.status === status)!;
        return { runs: now.runs - was.runs, passed: now.passed - was.passed, failed: now.failed - was.failed, blocked: now.blocked - was.blocked, error: now.error - was.error };
      };
      assert.deepEqual(change('completed'), { runs: 1, passed: 1, failed: 0, blocked: 0, error: 0 });
      assert.deepEqual(change('error'), { runs: 1, passed: 0, failed: 0, blocked: 0, error: 2 });
      assert.deepEqual(change('pending'), { runs: 1, passed: 0, failed: 0, blocked: 0, error: 0 });
      for (const row of after) for (const value of [row.runs, row.passed, row.failed, row.blocked, row.error]) assert.equal(typeof value, 'number');
    });

    test("deleteRunsOfWorkflow: the workflow's runs and result rows go; other workflows' and organizations' stay", async () => {
      await pendingRun(suite.store, 'gone_1', 2, { organizationId: 'org_delete', workflowId: 'wf_gone' });
      await pendingRun(suite.store, 'kept_1', 1, { organizationId: 'org_delete', workflowId: 'wf_kept' });
      await pendingRun(suite.store, 'kept_2', 1, { organizationId: 'org_delete_other', workflowId: 'wf_gone' });

      await transaction((trx) => deleteRunsOfWorkflow(trx, 'org_delete', 'wf_gone'));

      const runs = await suite.db.selectFrom('test_runs').select('id').where('id', 'in', ['gone_1', 'kept_1', 'kept_2']).orderBy('id').execute();
      assert.deepEqual(runs.map((run) => run.id), ['kept_1', 'kept_2']);
      const rows = await suite.db.selectFrom('test_results').select('run_id').where('run_id', 'in', ['gone_1', 'kept_1', 'kept_2']).orderBy('run_id').execute();
      assert.deepEqual(rows.map((row) => row.run_id), ['kept_1', 'kept_2']);
    });
  });
}
