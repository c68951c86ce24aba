import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { z } from 'zod';
import { TESTS_GENERATION } from './generation.js';
import { createFunctionWorkflow, createTests, startRun } from '../testing/fixtures.js';
import { startTestApp, waitForRun, type TestApp } from '../testing/harness.js';

// Passes, fails, throws, or returns an output longer than a list carries whole (a preview), or spins until cancelled.
const CODE = `function transform(input) {
  if (input.spin) { while (true) {} }
  if (input.boom) throw new Error('boom');
  return { total: input.total, padding: 'x'.repeat(input.padding ?? 0) };
}`;

/**
 * Routes written without their zod schema (direct-serialization.ts) must answer exactly what the
 * schema would have let through: parsing a real answer with it changes nothing (no field stripped,
 * defaulted or transformed) and rejects nothing.
 */
function assertPassesThrough(schema: z.ZodType, answer: unknown, what: string): void {
  const parsed = schema.safeParse(answer);
  assert.ok(parsed.success, `${what}: the answer does not satisfy its schema: ${parsed.error?.message}`);
  assert.deepEqual(parsed.data, answer, `${what}: the schema would change the answer`);
}

describe('answers written without their schema are what the schema would let through', () => {
  let app: TestApp;
  let testIds: string[];
  let finishedRunId: string;

  before(async () => {
    app = await startTestApp('sqlite');
    const fixture = await createFunctionWorkflow(app, CODE, { timeoutSeconds: 30 });
    testIds = await createTests(app, fixture, [
      { name: 'passes', input: { total: 3 }, path: 'total', condition: { kind: 'equals', expected: 3 } },
      { name: 'fails', input: { total: 4 }, path: 'total', condition: { kind: 'equals', expected: 3 } },
      { name: 'throws', input: { boom: true }, path: 'total', condition: { kind: 'equals', expected: 3 } },
      { name: 'previewed', input: { total: 1, padding: 70_000 }, path: 'total', condition: { kind: 'equals', expected: 1 } },
    ]);
    finishedRunId = (await waitForRun(app, (await startRun(app, fixture.workflowId)).id)).id;
    const spinning = await createFunctionWorkflow(app, CODE, { timeoutSeconds: 30 });
    await createTests(app, spinning, [{ input: { spin: true }, condition: { kind: 'equals', expected: 1 } }]);
    const running = await startRun(app, spinning.workflowId);
    const cancel = await app.request('POST', `/v1/workflows/tests/runs/${running.id}/cancel`, {});
    assert.equal(cancel.status, 200);
    assertPassesThrough(TESTS_GENERATION.schemas.run, cancel.body, 'POST …/cancel');
  });
  after(() => app.close());

  for (const segment of ['tests', 'evals']) {
    test(`GET /v1/workflows/${segment}/runs/{id} and its results, by run and by test (${segment})`, async () => {
      const run = await app.request('GET', `/v1/workflows/${segment}/runs/${finishedRunId}`);
      assert.equal(run.status, 200);
      assert.deepEqual(run.body.counts.outcome, { passed: 2, failed: 1, blocked: 1 });
      assertPassesThrough(TESTS_GENERATION.schemas.run, run.body, 'GET run');

      const results = await app.request('GET', `/v1/workflows/${segment}/results?run_id=${finishedRunId}&limit=10`);
      assert.equal(results.status, 200);
      assert.equal(results.body.data.length, 4);
      assert.ok(results.body.data.some((result: { truncated_fields: string[] }) => result.truncated_fields.length > 0), 'one result is a preview');
      assert.ok(results.body.data.some((result: { error: unknown }) => result.error !== null), 'one result carries an error');
      assertPassesThrough(TESTS_GENERATION.schemas.resultList, results.body, 'GET results by run');

      const history = await app.request('GET', `/v1/workflows/${segment}/results?test_id=${testIds[0]}`);
      assert.equal(history.status, 200);
      assert.equal(history.body.data.length, 1);
      assertPassesThrough(TESTS_GENERATION.schemas.resultList, history.body, 'GET results by test');
    });
  }
});
