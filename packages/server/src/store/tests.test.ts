import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { storeForSuite, testStores } from '../testing/harness.js';
import { passedOutcome, pendingRun } from '../testing/pending-run.js';
import { countTestsByWorkflow, findTestSources, listTestsWithLatestResult, selectTestRowsForRun } from './tests.js';
import { moveResults } from './transitions/index.js';

const NOW = '2026-11-29T00:00:05.000Z';
const TIME = '2026-11-29T00:00:00.000Z';

for (const kind of testStores()) {
  describe(`test operations of the store (${kind})`, () => {
    const suite = storeForSuite(kind, 'tests');

    const transaction = suite.transaction.bind(suite);
    const addTest = (id: string, organizationId: string, workflowId: string, blockId: string, fingerprint: string | null = `fp_${id}`) =>
      suite.db
        .insertInto('tests')
        .values({ id, organization_id: organizationId, workflow_id: workflowId, block_id: blockId, name: `name of ${id}`, source: `{"type":"manual","handle_inputs":{"n":"${id}"}}`, handle_inputs_fingerprint: fingerprint, assertion: '{"id":"a"}', latest_result_id: null, latest_passing_result_id: null, latest_failing_result_id: null, created_at: TIME, updated_at: TIME })
        .execute();

    test('selectTestRowsForRun: pages of the tests in scope, in id order, after a cursor', async () => {
      for (const [id, block] of [['t_05', 'b1'], ['t_01', 'b1'], ['t_03', 'b2'], ['t_02', 'b1'], ['t_04', 'b2']] as const) await addTest(id, 'org_scope', 'wf_scope', block);
      await addTest('t_00', 'org_scope', 'wf_elsewhere', 'b1');
      await addTest('t_06', 'org_scope_other', 'wf_scope', 'b1');
      const page = (filter: { blockId?: string; testId?: string }, afterId: string, limit: number) =>
        selectTestRowsForRun(suite.db, 'org_scope', 'wf_scope', filter, { afterId, limit }).then((rows) => rows.map((row) => row.id));

      assert.deepEqual(await page({}, '', 10), ['t_01', 't_02', 't_03', 't_04', 't_05']);
      assert.deepEqual(await page({}, '', 2), ['t_01', 't_02']);
      assert.deepEqual(await page({}, 't_02', 2), ['t_03', 't_04']);
      assert.deepEqual(await page({ blockId: 'b1' }, '', 10), ['t_01', 't_02', 't_05']);
      assert.deepEqual(await page({ blockId: 'b1', testId: 't_02' }, '', 10), ['t_02']);
      assert.deepEqual(await page({ testId: 't_06' }, '', 10), [], "another organization's test is never in scope");
      const [first] = await selectTestRowsForRun(suite.db, 'org_scope', 'wf_scope', {}, { afterId: '', limit: 1 });
      assert.deepEqual(first, { id: 't_01', block_id: 'b1', handle_inputs_fingerprint: 'fp_t_01' });
    });

    test('findTestSources: the stored source of each test asked for', async () => {
      await addTest('src_1', 'org_src', 'wf_src', 'b1', null);
      await addTest('src_2', 'org_src', 'wf_src', 'b1', null);
      const sources = await findTestSources(suite.db, ['src_2', 'src_1', 'src_missing']);
      assert.deepEqual(new Map(sources.map((row) => [row.id, row.source])), new Map([
        ['src_1', '{"type":"manual","handle_inputs":{"n":"src_1"}}'],
        ['src_2', '{"type":"manual","handle_inputs":{"n":"src_2"}}'],
      ]));
    });

    test("listTestsWithLatestResult: a workflow's tests in id order with their latest result, or none", async () => {
      const [done] = await pendingRun(suite.store, 'latest', 2, { organizationId: 'org_latest', workflowId: 'wf_latest' });
      await transaction((trx) => moveResults(trx, 'latest', { finish: [{ from: 'pending', outcomes: [passedOutcome('latest', done!)] }] }, NOW));
      await pendingRun(suite.store, 'latest_other', 1, { organizationId: 'org_latest', workflowId: 'wf_not_this' });

      const listed = await listTestsWithLatestResult(suite.db, 'org_latest', 'wf_latest', 10);
      assert.deepEqual(listed.map((row) => [row.id, row.result_id, row.status, row.verdict, row.completed_at]), [
        ['latest_test0', done, 'completed', 'passed', '2026-11-29T00:00:00.000Z'],
        ['latest_test1', null, null, null, null],
      ]);
      assert.deepEqual((await listTestsWithLatestResult(suite.db, 'org_latest', 'wf_latest', 1)).map((row) => row.id), ['latest_test0']);
      assert.deepEqual(await listTestsWithLatestResult(suite.db, 'org_other', 'wf_latest', 10), []);
    });

    test('countTestsByWorkflow: tests per workflow of the organization; a workflow without tests is absent', async () => {
      for (const id of ['c_1', 'c_2', 'c_3']) await addTest(id, 'org_count', 'wf_three', 'b');
      await addTest('c_4', 'org_count', 'wf_one', 'b');
      await addTest('c_5', 'org_count_other', 'wf_three', 'b');

      assert.deepEqual(await countTestsByWorkflow(suite.db, 'org_count', ['wf_three', 'wf_one', 'wf_none']), new Map([['wf_three', 3], ['wf_one', 1]]));
      assert.deepEqual(await countTestsByWorkflow(suite.db, 'org_count', []), new Map());
    });
  });
}
