import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { allResults, createFunctionWorkflow, createTests, startRun, type TestSpec } from '../../testing/fixtures.js';
import { startTestApp, testStores, waitForRun, type TestApp } from '../../testing/harness.js';

/** Retab's own example of a function block (issue 19), unchanged. */
export const RETAB_EXAMPLE = `from models import Input, Output

def transform(input_data: Input) -> Output:
    subtotal = sum(item.amount for item in input_data.line_items)
    computed_total = round(subtotal + subtotal * input_data.tax_rate, 2)
    return Output(invoice_id=input_data.invoice_id, subtotal=subtotal,
                  computed_total=computed_total,
                  is_valid=abs(computed_total - input_data.stated_total) <= 0.01)
`;

/** The same computation in Verdict's JavaScript. */
const JAVASCRIPT_TWIN = `function transform(input) {
  const subtotal = input.line_items.reduce((sum, item) => sum + item.amount, 0);
  const computed_total = Math.round((subtotal + subtotal * input.tax_rate) * 100) / 100;
  return { invoice_id: input.invoice_id, subtotal, computed_total, is_valid: Math.abs(computed_total - input.stated_total) <= 0.01 };
}`;

export const INVOICE_SCHEMA = {
  type: 'object',
  properties: {
    invoice_id: { type: 'string' },
    line_items: { type: 'array', items: { type: 'object', properties: { description: { type: 'string' }, amount: { type: 'number' } }, required: ['amount'] } },
    tax_rate: { type: 'number' },
    stated_total: { type: 'number' },
  },
  required: ['invoice_id', 'line_items', 'tax_rate', 'stated_total'],
};

export const CHECK_SCHEMA = {
  type: 'object',
  properties: { invoice_id: { type: 'string' }, subtotal: { type: 'number' }, computed_total: { type: 'number' }, is_valid: { type: 'boolean' } },
  required: ['invoice_id', 'subtotal', 'computed_total', 'is_valid'],
};

export function invoice(n: number, stated: 'right' | 'wrong' = 'right') {
  const line_items = [
    { description: 'paper', amount: 10 + n },
    { description: 'ink', amount: 4.25 },
  ];
  const subtotal = line_items.reduce((sum, item) => sum + item.amount, 0);
  const total = Math.round(subtotal * 1.2 * 100) / 100;
  return { invoice_id: `INV-${n}`, line_items, tax_rate: 0.2, stated_total: stated === 'right' ? total : total + 1 };
}

/** Passing, failing and blocked verdicts, across several condition kinds. */
const SPECS: TestSpec[] = [
  ...Array.from({ length: 6 }, (_, n): TestSpec => ({ name: `valid ${n}`, input: invoice(n), path: 'is_valid', condition: { kind: 'equals', expected: true } })),
  { name: 'wrong total', input: invoice(7, 'wrong'), path: 'is_valid', condition: { kind: 'equals', expected: true } },
  { name: 'computed total', input: invoice(3), path: 'computed_total', condition: { kind: 'equals', expected: 20.7 } },
  { name: 'id pattern', input: invoice(4), path: 'invoice_id', condition: { kind: 'matches_regex', pattern: '^INV-\\d+$' } },
  { name: 'schema', input: invoice(5), path: null, condition: { kind: 'json_schema_valid', schema: CHECK_SCHEMA } },
  { name: 'missing line items', input: { invoice_id: 'INV-x', tax_rate: 0.2, stated_total: 1 }, path: 'is_valid', condition: { kind: 'exists' } },
];

async function verdictsOf(app: TestApp, code: string, language: 'javascript' | 'python') {
  const fixture = await createFunctionWorkflow(app, code, { language, inputSchema: INVOICE_SCHEMA, outputSchema: CHECK_SCHEMA });
  await createTests(app, fixture, SPECS);
  const run = await waitForRun(app, (await startRun(app, fixture.workflowId)).id, 60_000);
  const rows = await allResults(app, run.id);
  return { run, rows: rows.map((row) => ({ name: row.test_name ?? row.name, verdict: row.verdict, output: row.outputs?.['output-json-0'] ?? null, row })) };
}

for (const store of testStores()) {
  describe(`Python function blocks, as Retab users write them (${store})`, () => {
    let app: TestApp;
    before(async () => {
      app = await startTestApp(store);
    });
    after(() => app.close());

    test("Retab's example in a start_json → function workflow gives the same verdicts and outputs as its JavaScript twin", async () => {
      const python = await verdictsOf(app, RETAB_EXAMPLE, 'python');
      const javascript = await verdictsOf(app, JAVASCRIPT_TWIN, 'javascript');
      assert.equal(python.run.lifecycle.status, 'completed');
      assert.deepEqual(
        python.rows.map(({ verdict, output }) => ({ verdict, output })),
        javascript.rows.map(({ verdict, output }) => ({ verdict, output })),
      );
      assert.deepEqual(python.run.counts.outcome, { passed: 9, failed: 1, blocked: 1 });
      const missing = python.rows.at(-1)!.row;
      assert.equal(missing.verdict, 'blocked');
      assert.equal(missing.error.context.reason, 'error');
    });
  });
}
