import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { allResults, createFunctionWorkflow, createTests, startRun } from '../testing/fixtures.js';
import { testStores, waitForRun, type TestApp } from '../testing/harness.js';
import { signIn, startDashboardApp, type BrowserSession } from './test-support.js';

const STORED_BYTES = 3 * 1024 * 1024;

for (const store of testStores()) {
  describe(`dashboard pages of a result with a 3 MB output stay small (${store})`, () => {
    let server: TestApp;
    let session: BrowserSession;
    let runId: string;
    let resultId: string;
    before(async () => {
      server = await startDashboardApp(store);
      session = await signIn(server);
      const fixture = await createFunctionWorkflow(server, 'function transform(input) { return input; }');
      await createTests(server, fixture, [{ input: { n: 1 }, condition: { kind: 'equals', expected: { n: 2 } } }]);
      runId = (await startRun(server, fixture.workflowId)).id;
      await waitForRun(server, runId);
      const [row] = await allResults(server, runId);
      resultId = row.id;
      const stored = { n: 1, rows: 'z'.repeat(STORED_BYTES) };
      const assertionResult = JSON.stringify({ ...row.assertion_result, actual_value: stored });
      await sql`update test_results set outputs = ${JSON.stringify({ 'output-json-0': stored })}, assertion_result = ${assertionResult} where id = ${resultId}`.execute(server.runtime.services.store.db);
    });
    after(() => server.close());

    const page = (url: string) => server.app.inject({ method: 'GET', url, headers: { cookie: session.cookie } });

    test('the result page shows the beginning of the long values and says where to get them whole', async () => {
      const response = await page(`/results/${resultId}`);
      assert.equal(response.statusCode, 200);
      assert.ok(response.body.length < 100_000, `${response.body.length} bytes`);
      assert.match(response.body, /Too long to show whole, cut here: <code>outputs\.output-json-0<\/code>, <code>assertion_result\.actual_value<\/code>/);
      assert.match(response.body, new RegExp(`GET /v1/workflows/tests/results/${resultId}</code> returns the whole values`));
      assert.match(response.body, /zzzzzzzzzz…/);
    });

    test('the run page still lists the failure of that result', async () => {
      const response = await page(`/runs/${runId}`);
      assert.equal(response.statusCode, 200);
      assert.ok(response.body.length < 100_000, `${response.body.length} bytes`);
      assert.match(response.body, /<code>condition_not_met<\/code>/);
    });
  });
}
