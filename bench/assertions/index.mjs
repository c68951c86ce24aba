#!/usr/bin/env node
// Evaluations per second of the assertion engine, one typical passing case per condition kind.
// Runs against the BUILT package: `npx tsc -b` (or `npx tsc -p packages/core`) first.
import os from 'node:os';
import { evaluateAssertion } from '@verdict/core';

const MEASURE_MS = 500;
const WARMUP_MS = 100;
const HANDLE = 'output-json-0';

const invoice = {
  invoice_number: 'INV-2026-0042',
  vendor: { name: 'Acme Corp', address: { city: 'Paris', zip: '75001' } },
  total: 1234.56,
  reasoning___total: 'sum of the line amounts',
  currency: 'EUR',
  notes: 'Payment due within 30 days. Thank you for your business.',
  tags: ['paid', 'priority', 'eu'],
  lines: Array.from({ length: 10 }, (_, index) => ({ sku: `SKU-${index}`, qty: index + 1, price: 10 + index })),
  splits: [
    { name: 'invoice', pages: [1, 2] },
    { name: 'receipt', pages: [3] },
  ],
};

const lineSchema = { type: 'object', required: ['sku', 'qty', 'price'], properties: { sku: { type: 'string', pattern: '^SKU-' }, qty: { type: 'integer', minimum: 1 }, price: { type: 'number' } } };

/** Instant answers: the benchmark measures the engine, not a model server. */
const provider = {
  judge: async () => ({ label: 'yes', reason: 'polite and complete', confidence: 0.93 }),
  embed: async (texts) => texts.map((text, index) => [text.length, 1, index === 0 ? 0.5 : 0.45]),
};

const cases = [
  ['exists', 'vendor.name', { kind: 'exists' }],
  ['not_exists', 'vendor.phone', { kind: 'not_exists' }],
  ['equals', 'vendor', { kind: 'equals', expected: { name: 'Acme Corp', address: { city: 'Paris', zip: '75001' } } }],
  ['not_equals', 'currency', { kind: 'not_equals', expected: 'USD' }],
  ['number_compare', 'total', { kind: 'number_compare', op: 'gt', expected: 1000 }],
  ['contains', 'tags', { kind: 'contains', expected: 'priority' }],
  ['not_contains', 'notes', { kind: 'not_contains', expected: 'overdue' }],
  ['object_contains', null, { kind: 'object_contains', expected: { vendor: { address: { city: 'Paris' } }, currency: 'EUR' } }],
  ['array_contains', 'lines', { kind: 'array_contains', expected: { sku: 'SKU-7', qty: 8 } }],
  ['matches_regex', 'invoice_number', { kind: 'matches_regex', pattern: '^INV-(?P<year>\\d{4})-\\d+$' }],
  ['json_schema_valid', 'lines', { kind: 'json_schema_valid', schema: { type: 'array', minItems: 1, items: lineSchema } }],
  ['similarity_gte (levenshtein)', 'notes', { kind: 'similarity_gte', reference: 'Payment due within 30 days. Thanks for your business.', threshold: 0.8, method: 'levenshtein' }],
  ['similarity_gte (embeddings)', 'notes', { kind: 'similarity_gte', reference: 'Payment is due in 30 days.', threshold: 0.5, method: 'embeddings' }],
  ['llm_judged_as', 'notes', { kind: 'llm_judged_as', rubric: 'The note is polite', expected_label: null }],
  ['llm_not_judged_as', 'notes', { kind: 'llm_not_judged_as', rubric: 'The note is rude', expected_label: 'rude' }],
  ['length_compare', 'lines', { kind: 'length_compare', op: 'eq', expected: 10 }],
  ['between', 'total', { kind: 'between', lower: 1000, upper: 2000, inclusive: true }],
  ['starts_with', 'invoice_number', { kind: 'starts_with', expected: 'INV-' }],
  ['ends_with', 'notes', { kind: 'ends_with', expected: 'business.' }],
  ['all_items_match', 'lines', { kind: 'all_items_match', condition: { kind: 'object_contains', expected: {} } }],
  ['any_item_matches', 'lines', { kind: 'any_item_matches', condition: { kind: 'object_contains', expected: { sku: 'SKU-9' } } }],
  ['split_iou_gte', 'splits', { kind: 'split_iou_gte', expected: { splits: invoice.splits }, threshold: 1 }],
];

/** `evaluate()` runs one evaluation; the rate is measured after a short warm-up. */
async function evaluationsPerSecond(evaluate) {
  const first = await evaluate();
  if (first.outcome !== 'passed') throw new Error(`${first.condition_kind} did not pass: ${JSON.stringify(first.failure)}`);
  await runFor(WARMUP_MS, evaluate);
  const { count, elapsed } = await runFor(MEASURE_MS, evaluate);
  return (count / elapsed) * 1000;
}

async function runFor(durationMs, evaluate) {
  const started = performance.now();
  let count = 0;
  let elapsed = 0;
  while (elapsed < durationMs) {
    for (let batch = 0; batch < 256; batch++) await evaluate();
    count += 256;
    elapsed = performance.now() - started;
  }
  return { count, elapsed };
}

function report(name, rate) {
  console.log(name.padEnd(38) + Math.round(rate).toLocaleString('en-US').padStart(12) + (1e6 / rate).toFixed(1).padStart(10));
}

const cpus = os.cpus();
console.log(`machine: ${cpus.length} CPUs (${cpus[0]?.model.trim() ?? 'unknown'}), ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB RAM, Node ${process.version}`);
console.log(`each row: one passing evaluation of a typical assertion on a ~1 KB invoice document, sequential, ${MEASURE_MS} ms\n`);
console.log('condition kind'.padEnd(38) + 'evals/s'.padStart(12) + 'µs/eval'.padStart(10));
const outputs = { [HANDLE]: invoice };
const options = { provider };
const specOf = (path, condition) => ({ id: `assert_bench_${condition.kind}`, target: { output_handle_id: HANDLE, path }, condition, label: null });
for (const [name, path, condition] of cases) {
  const spec = specOf(path, condition);
  report(name, await evaluationsPerSecond(() => evaluateAssertion(spec, outputs, options)));
}
// A server reads each spec from its store, so a schema arrives as a new object every time:
// this row pays JSON.parse of the spec and the cache lookup by canonical JSON.
const [, schemaPath, schemaCondition] = cases.find(([name]) => name === 'json_schema_valid');
const storedSpec = JSON.stringify(specOf(schemaPath, schemaCondition));
report('json_schema_valid (spec parsed per eval)', await evaluationsPerSecond(() => evaluateAssertion(JSON.parse(storedSpec), outputs, options)));
