import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Trigger } from '@verdict/core';
import { sql } from 'kysely';
import { createFunctionWorkflow, createTests, sleep, type FunctionWorkflow } from '../testing/fixtures.js';
import { startTestApp, testStores, type TestApp } from '../testing/harness.js';

const PASS_THROUGH = 'function transform(input) { return input; }';
const TRIGGER: Trigger = { type: 'api', api_key_id: 'key_large_run_test' };
/** More than two of the pages a run is created in (2,000 tests each). */
const TESTS = 5000;

/** Creating a run of thousands of tests: other requests are served meanwhile, and the run appears whole or not at all. */
for (const kind of testStores()) {
  describe(`a large run's creation (${kind})`, () => {
    let app: TestApp;
    let organizationId: string;

    before(async () => {
      app = await startTestApp(kind);
      organizationId = (await app.runtime.services.auth.authenticate(app.apiKey))!.organizationId;
    });
    after(() => app.close());

    /** A workflow of TESTS tests: one created through the API, the others copied from it in SQL (thousands of POSTs would take minutes). */
    async function largeWorkflow(): Promise<FunctionWorkflow> {
      const workflow = await createFunctionWorkflow(app, PASS_THROUGH);
      const [testId] = await createTests(app, workflow, [{ input: { n: 1 }, path: 'n', condition: { kind: 'equals', expected: 1 } }]);
      await sql`
        WITH RECURSIVE copies(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM copies WHERE n < ${TESTS - 1})
        INSERT INTO tests (id, organization_id, workflow_id, block_id, name, source, handle_inputs_fingerprint, assertion, assertion_schema_dep,
          latest_result_id, latest_passing_result_id, latest_failing_result_id, created_at, updated_at)
        SELECT t.id || '_' || CAST(copies.n AS TEXT), t.organization_id, t.workflow_id, t.block_id, t.name, t.source, t.handle_inputs_fingerprint, t.assertion,
          t.assertion_schema_dep, NULL, NULL, NULL, t.created_at, t.updated_at
        FROM tests AS t, copies WHERE t.id = ${testId}`.execute(app.runtime.services.store.db);
      return workflow;
    }

    const runsOf = async (workflowId: string) => {
      const response = await app.request('GET', `/v1/workflows/tests/runs?workflow_id=${workflowId}`);
      assert.equal(response.status, 200);
      return response.body.data as { id: string; total_tests: number }[];
    };

    test('while it is being created, other requests are answered and none of them sees part of the run; then it is there with every row', async () => {
      const workflow = await largeWorkflow();
      let creating = true;
      const seenDuringCreation: string[] = [];
      const creation = app.runtime.services.runs.create(organizationId, TRIGGER, { workflow_id: workflow.workflowId }).finally(() => {
        creating = false;
      });
      while (creating) {
        const runs = await runsOf(workflow.workflowId);
        // The commit comes a moment before the creation's answer: a listing then shows the whole run.
        if (creating) seenDuringCreation.push(runs.length === 0 ? 'none' : JSON.stringify(runs.map((listed) => listed.total_tests)));
        await sleep(5);
      }
      const run = await creation;
      app.runtime.services.executor.stopRun(run.id);
      assert.ok(seenDuringCreation.includes('none'), 'requests were answered while the run was being created');
      assert.ok(seenDuringCreation.every((seen) => seen === 'none' || seen === `[${TESTS}]`), `no request saw part of the run: ${[...new Set(seenDuringCreation)]}`);
      assert.deepEqual((await runsOf(workflow.workflowId)).map((listed) => [listed.id, listed.total_tests]), [[run.id, TESTS]]);
      const rows = await app.runtime.services.store.db.selectFrom('test_results').select((eb) => eb.fn.countAll<number>().as('count')).where('run_id', '=', run.id).executeTakeFirstOrThrow();
      assert.equal(Number(rows.count), TESTS);
    });

    test('a creation that fails after writing some of its pages leaves neither the run nor any of its rows', async () => {
      const workflow = await largeWorkflow();
      const db = app.runtime.services.store.db;
      // The store itself refuses the row at position 4,500, in the third page.
      if (kind === 'sqlite') {
        await sql`CREATE TRIGGER refuse_row_4500 BEFORE INSERT ON test_results WHEN NEW.position = 4500 BEGIN SELECT RAISE(ABORT, 'refused for the test'); END`.execute(db);
      } else {
        await sql`CREATE FUNCTION refuse_row_4500() RETURNS trigger AS $$ BEGIN IF NEW.position = 4500 THEN RAISE EXCEPTION 'refused for the test'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql`.execute(db);
        await sql`CREATE TRIGGER refuse_row_4500 BEFORE INSERT ON test_results FOR EACH ROW EXECUTE FUNCTION refuse_row_4500()`.execute(db);
      }
      try {
        await assert.rejects(app.runtime.services.runs.create(organizationId, TRIGGER, { workflow_id: workflow.workflowId }), /refused for the test/);
      } finally {
        await sql`DROP TRIGGER refuse_row_4500${sql.raw(kind === 'sqlite' ? '' : ' ON test_results')}`.execute(db);
        if (kind !== 'sqlite') await sql`DROP FUNCTION refuse_row_4500()`.execute(db);
      }
      assert.deepEqual(await runsOf(workflow.workflowId), []);
      const rows = await db.selectFrom('test_results').select((eb) => eb.fn.countAll<number>().as('count')).where('workflow_id', '=', workflow.workflowId).executeTakeFirstOrThrow();
      assert.equal(Number(rows.count), 0);
    });
  });
}
