import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { MAX_JSON_DEPTH } from '@verdict/core';
import { sql } from 'kysely';
import { allResults, createFunctionWorkflow, createTests, startRun } from '../testing/fixtures.js';
import { testStores, waitForRun, type TestApp } from '../testing/harness.js';
import { signIn, startDashboardApp, type BrowserSession } from './test-support.js';

/** JSON text of objects nested `depth` deep, built by hand: JSON.stringify itself overflows on such values. */
const nestedObjects = (depth: number, leaf: string) => `${'{"k":'.repeat(depth)}${leaf}${'}'.repeat(depth)}`;

for (const store of testStores()) {
  describe(`the dashboard renders values stored before nesting was bounded (${store})`, () => {
    let server: TestApp;
    let session: BrowserSession;
    let workflowId: string;
    let runId: string;
    let resultId: string;
    before(async () => {
      server = await startDashboardApp(store);
      session = await signIn(server);
      const fixture = await createFunctionWorkflow(server, 'function transform(input) { return input; }');
      workflowId = fixture.workflowId;
      await createTests(server, fixture, [{ input: { k: 1 }, condition: { kind: 'equals', expected: { k: 2 } } }]);
      runId = (await startRun(server, workflowId)).id;
      await waitForRun(server, runId);
      resultId = (await allResults(server, runId))[0].id;
    });
    after(() => server.close());

    /** Writes values nested `depth` deep straight into the store, as data accepted before the limit existed would be. */
    async function storeDeepValues(depth: number): Promise<void> {
      const actual = nestedObjects(depth, '"actual leaf"');
      const expected = nestedObjects(depth, '"expected leaf"');
      const source = `{"type":"manual","handle_inputs":{"input-json-0":{"type":"json","data":${nestedObjects(depth, '1')}}}}`;
      const row = await server.runtime.services.store.db.selectFrom('test_results').select(['assertion_result', 'test_id']).where('id', '=', resultId).executeTakeFirstOrThrow();
      const assertionResult = JSON.parse(row.assertion_result!);
      const assertionResultText = JSON.stringify({ ...assertionResult, actual_value: '@actual', expected_value: '@expected' }).replace('"@actual"', actual).replace('"@expected"', expected);
      const db = server.runtime.services.store.db;
      await sql`update test_results set outputs = ${`{"output-json-0":${actual}}`}, assertion_result = ${assertionResultText}, source = ${source} where id = ${resultId}`.execute(db);
      await sql`update tests set source = ${source} where id = ${row.test_id}`.execute(db);
    }

    const page = (url: string) => server.app.inject({ method: 'GET', url, headers: { cookie: session.cookie } });

    for (const depth of [2_500, 100_000]) {
      test(`values nested ${depth.toLocaleString('en')} deep: the result, run and workflow pages answer 200 and say where they stop`, async () => {
        await storeDeepValues(depth);
        const result = await page(`/results/${resultId}`);
        assert.equal(result.statusCode, 200, result.body.slice(0, 500));
        assert.match(result.body, new RegExp(`nested deeper than ${MAX_JSON_DEPTH} levels`));
        assert.match(result.body, /Expected/);
        for (const url of [`/runs/${runId}`, `/workflows/${workflowId}`]) {
          const response = await page(url);
          assert.equal(response.statusCode, 200, `${url}: ${response.body.slice(0, 500)}`);
        }
        if (depth <= 2_500) {
          // What was accepted before the bound: the API still returns it as stored.
          assert.equal((await server.request('GET', `/v1/workflows/tests/results?run_id=${runId}`)).status, 200);
          assert.equal((await server.request('GET', `/v1/workflows/tests/results/${resultId}`)).status, 200);
        }
      });
    }
  });
}
