import { CreateWorkflowTestRequest, isoNow, newId } from '@verdict/core';
import type { Services } from '../services/index.js';
import { createTest } from '../services/tests.js';
import { insertWorkflow } from '../store/workflows.js';

export const DEMO_WORKFLOW_NAME = 'Demo: invoice checks';

const CHECK_TOTALS_CODE = `// Recomputes an invoice's total from its line items and flags a mismatch.
function transform(input) {
  const items = input.line_items || [];
  const computed = items.reduce((sum, item) => sum + item.quantity * item.unit_price, 0);
  const rounded = Math.round(computed * 100) / 100;
  return {
    invoice_number: input.invoice_number,
    computed_total: rounded,
    stated_total: input.total,
    totals_match: Math.abs(rounded - input.total) < 0.005,
    item_count: items.length,
    currency: (input.currency || 'EUR').toUpperCase(),
  };
}`;

/**
 * The same check written the Retab way: `models` is generated for the block, `Input` from the start
 * block's json_schema and `Output` from the block's output_schema.
 */
const CHECK_TOTALS_PYTHON_CODE = `# Recomputes an invoice's total from its line items and flags a mismatch.
from models import Input, Output


def transform(input_data: Input) -> Output:
    computed_total = round(sum(item.quantity * item.unit_price for item in input_data.line_items), 2)
    return Output(
        invoice_number=input_data.invoice_number,
        computed_total=computed_total,
        stated_total=input_data.total,
        totals_match=abs(computed_total - input_data.total) < 0.005,
        item_count=len(input_data.line_items),
        currency=(input_data.currency or "EUR").upper(),
    )
`;

/**
 * Slow on purpose, by doing real work: a demo whose run ends in 10 ms shows nobody the live run
 * page or its Cancel button. The batch is generated from a seed, so a test's input stays a few
 * numbers while the block recomputes 1.6 million line items (a second or two in the
 * JavaScript sandbox; the sandbox has no timers to sleep with).
 */
const RECONCILE_BATCH_CODE = `// Reconciles a batch of generated invoices: recomputes every total from its line items and
// counts the invoices whose stated total disagrees (every error_every-th one counts a line twice).
function transform(input) {
  const invoices = Math.min(input.invoice_count, 100000);
  const lines = Math.min(input.lines_per_invoice, 100);
  let state = input.seed >>> 0;
  const random = (below) => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state % below;
  };
  let mismatched = 0;
  let grandTotalCents = 0;
  for (let invoice = 1; invoice <= invoices; invoice++) {
    let totalCents = 0;
    let lastLineCents = 0;
    for (let line = 0; line < lines; line++) {
      lastLineCents = (1 + random(5)) * (100 + random(9900));
      totalCents += lastLineCents;
    }
    const statedCents = invoice % input.error_every === 0 ? totalCents + lastLineCents : totalCents;
    if (statedCents !== totalCents) mismatched++;
    grandTotalCents += totalCents;
  }
  return { batch: input.batch, invoices_checked: invoices, mismatched, grand_total: grandTotalCents / 100 };
}`;

const BATCH_SCHEMA = {
  type: 'object',
  properties: {
    batch: { type: 'string' },
    seed: { type: 'integer' },
    invoice_count: { type: 'integer', maximum: 100000 },
    lines_per_invoice: { type: 'integer', maximum: 100 },
    error_every: { type: 'integer', minimum: 1 },
  },
  required: ['batch', 'seed', 'invoice_count', 'lines_per_invoice', 'error_every'],
};

const BATCH_OUTPUT_SCHEMA = {
  type: 'object',
  properties: { batch: { type: 'string' }, invoices_checked: { type: 'integer' }, mismatched: { type: 'integer' }, grand_total: { type: 'number' } },
  required: ['batch', 'invoices_checked', 'mismatched', 'grand_total'],
};

/** The start block's json_schema: what the Python block's `Input` is built from. */
const INVOICE_SCHEMA = {
  type: 'object',
  properties: {
    invoice_number: { type: 'string' },
    total: { type: 'number' },
    currency: { type: 'string' },
    line_items: {
      type: 'array',
      items: { type: 'object', properties: { quantity: { type: 'number' }, unit_price: { type: 'number' } }, required: ['quantity', 'unit_price'] },
    },
  },
  required: ['invoice_number', 'total', 'line_items'],
};

const OUTPUT_SCHEMA = {
  type: 'object',
  properties: {
    invoice_number: { type: 'string' },
    computed_total: { type: 'number' },
    stated_total: { type: 'number' },
    totals_match: { type: 'boolean' },
    item_count: { type: 'integer' },
    currency: { type: 'string', pattern: '^[A-Z]{3}$' },
  },
  required: ['invoice_number', 'computed_total', 'totals_match', 'item_count', 'currency'],
};

function invoice(number: string, total: number, items: [number, number][], currency = 'eur') {
  return { invoice_number: number, total, currency, line_items: items.map(([quantity, unit_price]) => ({ quantity, unit_price })) };
}

type DemoTest = { name: string; data: unknown; path: string | null; condition: Record<string, unknown> };

const JAVASCRIPT_TESTS: DemoTest[] = [
  { name: 'Simple invoice totals match', data: invoice('INV-001', 30, [[1, 10], [2, 10]]), path: 'totals_match', condition: { kind: 'equals', expected: true } },
  { name: 'Computed total of INV-002', data: invoice('INV-002', 123.45, [[3, 41.15]]), path: 'computed_total', condition: { kind: 'number_compare', op: 'eq', expected: 123.45 } },
  { name: 'Mismatch is flagged', data: invoice('INV-003', 99, [[1, 50]]), path: 'totals_match', condition: { kind: 'equals', expected: false } },
  { name: 'Item count', data: invoice('INV-004', 6, [[1, 1], [1, 2], [1, 3]]), path: 'item_count', condition: { kind: 'number_compare', op: 'eq', expected: 3 } },
  { name: 'Currency is upper-cased', data: invoice('INV-005', 5, [[5, 1]], 'usd'), path: 'currency', condition: { kind: 'equals', expected: 'USD' } },
  { name: 'Invoice number format', data: invoice('INV-006', 1, [[1, 1]]), path: 'invoice_number', condition: { kind: 'matches_regex', pattern: '^INV-\\d{3}$' } },
  { name: 'Total within expected range', data: invoice('INV-007', 250, [[10, 25]]), path: 'computed_total', condition: { kind: 'between', lower: 200, upper: 300 } },
  { name: 'Output matches its schema', data: invoice('INV-008', 12, [[4, 3]]), path: null, condition: { kind: 'json_schema_valid', schema: OUTPUT_SCHEMA } },
  { name: 'Summary contains the key facts', data: invoice('INV-009', 20, [[2, 10]]), path: null, condition: { kind: 'object_contains', expected: { invoice_number: 'INV-009', totals_match: true } } },
  { name: 'Empty invoice totals zero', data: invoice('INV-010', 0, []), path: 'computed_total', condition: { kind: 'equals', expected: 0 } },
  { name: 'Rounding to cents', data: invoice('INV-011', 0.3, [[1, 0.1], [1, 0.2]]), path: 'totals_match', condition: { kind: 'equals', expected: true } },
  // Fails on purpose: the stated total is wrong, so the demo shows what a failed result looks like.
  { name: 'Large invoice totals match (fails on purpose)', data: invoice('INV-012', 1000, [[7, 142.5]]), path: 'totals_match', condition: { kind: 'equals', expected: true } },
];

const PYTHON_TESTS: DemoTest[] = [
  { name: 'Python: simple invoice totals match', data: invoice('INV-101', 30, [[1, 10], [2, 10]]), path: 'totals_match', condition: { kind: 'equals', expected: true } },
  { name: 'Python: computed total of INV-102', data: invoice('INV-102', 123.45, [[3, 41.15]]), path: 'computed_total', condition: { kind: 'number_compare', op: 'eq', expected: 123.45 } },
  { name: 'Python: mismatch is flagged', data: invoice('INV-103', 99, [[1, 50]]), path: 'totals_match', condition: { kind: 'equals', expected: false } },
  {
    name: 'Python: currency defaults to EUR',
    data: { invoice_number: 'INV-104', total: 8, line_items: [{ quantity: 2, unit_price: 4 }] },
    path: null,
    condition: { kind: 'object_contains', expected: { currency: 'EUR', item_count: 1, totals_match: true } },
  },
];

function batch(name: string, seed: number) {
  return { batch: name, seed, invoice_count: 20000, lines_per_invoice: 80, error_every: 500 };
}

/** Each takes a second or two: long enough to watch the run page fill in, or to cancel the run. */
const SLOW_TESTS: DemoTest[] = [
  { name: 'Batch B-1: every invoice is checked (slow)', data: batch('B-1', 11), path: 'invoices_checked', condition: { kind: 'equals', expected: 20000 } },
  { name: 'Batch B-2: every 500th invoice is flagged (slow)', data: batch('B-2', 12), path: 'mismatched', condition: { kind: 'equals', expected: 40 } },
  { name: 'Batch B-3: grand total in the expected range (slow)', data: batch('B-3', 13), path: 'grand_total', condition: { kind: 'between', lower: 230_000_000, upper: 254_000_000 } },
  { name: 'Batch B-4: output matches its schema (slow)', data: batch('B-4', 14), path: null, condition: { kind: 'json_schema_valid', schema: BATCH_OUTPUT_SCHEMA } },
];

/** How many tests the demo seeds, and how many of them fail (on purpose) when every block runs. */
export const DEMO_TEST_COUNT = JAVASCRIPT_TESTS.length + PYTHON_TESTS.length + SLOW_TESTS.length;
export const DEMO_SLOW_TESTS = SLOW_TESTS.length;
export const DEMO_FAILING_TESTS = 1;

/** Seeds the demo workflow on a first start with an empty store. Returns its id, or null if the store already had workflows. */
export async function seedDemo(services: Services, organizationId: string): Promise<string | null> {
  const db = services.store.db;
  const existing = await db.selectFrom('workflows').select('id').where('organization_id', '=', organizationId).limit(1).executeTakeFirst();
  if (existing) return null;
  const workflow = await insertWorkflow(db, organizationId, {
    name: DEMO_WORKFLOW_NAME,
    description: `Function blocks that check invoice totals, one in JavaScript and one in Python written the Retab way, and one that reconciles a generated batch (its ${SLOW_TESTS.length} tests take a second or two each), with ${DEMO_TEST_COUNT} tests (one fails on purpose).`,
  });
  const now = isoNow();
  const inputBlock = newId('block');
  const checkBlock = newId('block');
  const pythonBlock = newId('block');
  const batchInputBlock = newId('block');
  const batchBlock = newId('block');
  await db
    .insertInto('blocks')
    .values([
      { organization_id: organizationId, id: inputBlock, workflow_id: workflow.id, type: 'start_json', label: 'Invoice JSON', position_x: 0, position_y: 0, width: null, height: null, config: JSON.stringify({ json_schema: INVOICE_SCHEMA }), parent_id: null, created_at: now, updated_at: now },
      { organization_id: organizationId, id: checkBlock, workflow_id: workflow.id, type: 'function', label: 'Check totals', position_x: 320, position_y: 0, width: null, height: null, config: JSON.stringify({ language: 'javascript', code: CHECK_TOTALS_CODE, output_schema: OUTPUT_SCHEMA, timeout_seconds: 5 }), parent_id: null, created_at: now, updated_at: now },
      { organization_id: organizationId, id: pythonBlock, workflow_id: workflow.id, type: 'function', label: 'Check totals (Python)', position_x: 320, position_y: 200, width: null, height: null, config: JSON.stringify({ language: 'python', code: CHECK_TOTALS_PYTHON_CODE, output_schema: OUTPUT_SCHEMA, timeout_seconds: 5 }), parent_id: null, created_at: now, updated_at: now },
      { organization_id: organizationId, id: batchInputBlock, workflow_id: workflow.id, type: 'start_json', label: 'Batch JSON', position_x: 0, position_y: 400, width: null, height: null, config: JSON.stringify({ json_schema: BATCH_SCHEMA }), parent_id: null, created_at: now, updated_at: now },
      { organization_id: organizationId, id: batchBlock, workflow_id: workflow.id, type: 'function', label: 'Reconcile a batch', position_x: 320, position_y: 400, width: null, height: null, config: JSON.stringify({ language: 'javascript', code: RECONCILE_BATCH_CODE, output_schema: BATCH_OUTPUT_SCHEMA, timeout_seconds: 30 }), parent_id: null, created_at: now, updated_at: now },
    ])
    .execute();
  const edge = (sourceBlock: string, targetBlock: string) => ({ organization_id: organizationId, id: newId('edge'), workflow_id: workflow.id, source_block: sourceBlock, source_handle: 'output-json-0', target_block: targetBlock, target_handle: 'input-json-0', created_at: now, updated_at: now });
  await db.insertInto('edges').values([edge(inputBlock, checkBlock), edge(inputBlock, pythonBlock), edge(batchInputBlock, batchBlock)]).execute();
  const tests = [
    ...JAVASCRIPT_TESTS.map((test) => ({ test, blockId: checkBlock })),
    ...PYTHON_TESTS.map((test) => ({ test, blockId: pythonBlock })),
    ...SLOW_TESTS.map((test) => ({ test, blockId: batchBlock })),
  ];
  for (const { test, blockId } of tests) {
    await createTest(services, organizationId, CreateWorkflowTestRequest.parse({
      workflow_id: workflow.id,
      name: test.name,
      target: { type: 'block', block_id: blockId },
      source: { type: 'manual', handle_inputs: { 'input-json-0': { type: 'json', data: test.data } } },
      assertion: { target: { output_handle_id: 'output-json-0', path: test.path }, condition: test.condition },
    }));
  }
  return workflow.id;
}
