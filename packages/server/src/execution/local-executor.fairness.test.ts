import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createFunctionWorkflow, createTests, otherOrganizationKey, startRun } from '../testing/fixtures.js';
import { startTestApp, testStores, waitForRun, type TestApp } from '../testing/harness.js';

const DOUBLE = 'function transform(input) { return { value: input.n * 2 }; }';
const SPIN_FOREVER = 'function transform(input) { while (true) {} }';
/** Each of A's tests spins this long (its block's timeout); B's run must end well within it. */
const SPIN_SECONDS = 5;
const PROMPT_MS = 3000;

/** The same server, as another organization sees it. */
function asOrganization(app: TestApp, apiKey: string): TestApp {
  return { ...app, apiKey, request: (method, url, body, headers = {}) => app.request(method, url, body, { 'api-key': apiKey, ...headers }) };
}

for (const store of testStores()) {
  describe(`LocalExecutor shares its slots fairly among organizations (${store})`, () => {
    let app: TestApp;
    before(async () => {
      app = await startTestApp(store, { concurrency: 4, sandboxThreads: 2 });
    });
    after(() => app.close());

    test('organization A\'s many runs of infinite loops fill every slot; B\'s one-test run still completes within seconds', async () => {
      const spinning = await createFunctionWorkflow(app, SPIN_FOREVER, { timeoutSeconds: SPIN_SECONDS });
      await createTests(app, spinning, Array.from({ length: 5 }, (_, n) => ({ input: { n }, path: 'value', condition: { kind: 'equals', expected: n } })));
      const runsOfA = [];
      for (let run = 0; run < 10; run++) runsOfA.push(await startRun(app, spinning.workflowId));
      const executing = () => app.runtime.services.executor.stats().inFlight;
      for (const deadline = Date.now() + 5000; executing() < 4 && Date.now() < deadline; ) await new Promise((resolve) => setTimeout(resolve, 10));
      assert.equal(executing(), 4, 'A\'s tests hold every slot');

      const b = asOrganization(app, await otherOrganizationKey(app, 'org-b'));
      const quick = await createFunctionWorkflow(b, DOUBLE);
      await createTests(b, quick, [{ input: { n: 21 }, path: 'value', condition: { kind: 'equals', expected: 42 } }]);
      const startedAt = Date.now();
      const run = await waitForRun(b, (await startRun(b, quick.workflowId)).id, 20_000);
      const tookMs = Date.now() - startedAt;
      assert.equal(run.lifecycle.status, 'completed');
      assert.equal(run.counts.outcome.passed, 1);
      assert.ok(tookMs < PROMPT_MS, `B's run took ${tookMs} ms while A's tests spin ${SPIN_SECONDS} s each`);

      for (const { id } of runsOfA) assert.equal((await app.request('POST', `/v1/workflows/tests/runs/${id}/cancel`, {})).status, 200);
    });
  });
}
