import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestApp, testStores, waitForRun, type TestApp } from '../testing/harness.js';
import { createFunctionWorkflow, createTests, startRun, type FunctionWorkflow } from '../testing/fixtures.js';
import { compareRuns } from './history.js';

const IDENTITY = 'function transform(input) { return { v: input.n }; }';
const DOUBLE = 'function transform(input) { return { v: input.n * 2 }; }';
const equalsV = (name: string, n: number, expected: number) => ({ name, input: { n }, path: 'v', condition: { kind: 'equals', expected } });

for (const store of testStores()) {
  describe(`comparisons of finished runs are kept in memory, names are not (${store})`, () => {
    let app: TestApp;
    let fixture: FunctionWorkflow;
    let breaks: string;
    let secondRun: string;
    let organizationId: string;
    const compare = (runId: string) => compareRuns(app.runtime.services, organizationId, runId, { limit: 10 });
    /** Changes a stored verdict behind the service's back: a kept comparison does not see it, a computed one does. */
    const overwriteVerdict = (resultId: string, verdict: string) =>
      app.runtime.services.store.db.updateTable('test_results').set({ verdict }).where('id', '=', resultId).execute();

    before(async () => {
      app = await startTestApp(store);
      fixture = await createFunctionWorkflow(app, IDENTITY);
      [breaks] = (await createTests(app, fixture, [equalsV('breaks', 1, 1), equalsV('holds', 0, 0)])) as [string];
      await waitForRun(app, (await startRun(app, fixture.workflowId)).id);
      await app.request('PATCH', `/v1/workflows/blocks/${fixture.blockId}`, { config: { code: DOUBLE } });
      secondRun = (await waitForRun(app, (await startRun(app, fixture.workflowId)).id)).id;
      organizationId = (await app.runtime.services.store.db.selectFrom('test_runs').select('organization_id').where('id', '=', secondRun).executeTakeFirstOrThrow()).organization_id;
    });
    after(() => app.close());

    test('a second comparison of two finished runs is the kept one, with the names tests have now', async () => {
      const first = await compare(secondRun);
      const change = first.changes.find((item) => item.test_id === breaks)!;
      assert.equal(change.change, 'new_failure');
      assert.equal(change.test_name, 'breaks');

      await overwriteVerdict(change.after_result_id!, 'passed');
      await app.request('PATCH', `/v1/workflows/tests/${breaks}`, { name: 'breaks, renamed' });
      const renamed = await compare(secondRun);
      assert.deepEqual(renamed.summary, first.summary, 'kept: the overwritten verdict is not read again');
      assert.equal(renamed.changes.find((item) => item.test_id === breaks)!.test_name, 'breaks, renamed');

      assert.equal((await app.request('DELETE', `/v1/workflows/tests/${breaks}`)).status, 204);
      const deleted = await compare(secondRun);
      const gone = deleted.changes.find((item) => item.test_id === breaks)!;
      assert.equal(gone.test_name, null, 'a deleted test has no name; its results stay history');
      assert.equal(gone.change, 'new_failure');
      await overwriteVerdict(change.after_result_id!, 'failed');
    });

    test('a comparison involving a live run is computed every time', async () => {
      await app.runtime.services.store.db.updateTable('test_runs').set({ status: 'running' }).where('id', '=', secondRun).execute();
      try {
        const live = await compare(secondRun);
        const holds = live.changes.find((item) => item.change === 'still_passing')!;
        await overwriteVerdict(holds.after_result_id!, 'failed');
        const again = await compare(secondRun);
        assert.equal(again.summary.new_failures, live.summary.new_failures + 1, 'read again: the overwritten verdict counts');
        await overwriteVerdict(holds.after_result_id!, 'passed');
      } finally {
        await app.runtime.services.store.db.updateTable('test_runs').set({ status: 'completed' }).where('id', '=', secondRun).execute();
      }
    });
  });
}
