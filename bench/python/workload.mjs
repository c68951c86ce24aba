// The workload of bench/python: Retab's SDK example of a function block (issue 19), unchanged, over
// varied invoices; and the same computation as a promptfoo Python provider over the same cases.
// The example, its JavaScript twin and their schemas are the Python tests' own (test-support.ts).
import { RETAB_EXAMPLE } from '../../packages/server/dist/execution/python/test-support.js';

/**
 * Tax rates that are multiples of 4 %: on whole cents the tax is never exactly half a cent, so
 * Python's round(x, 2) and JavaScript's Math.round(x * 100) / 100 agree on every invoice and the
 * expected values below are Python's.
 */
const TAX_RATES = [0, 0.04, 0.08, 0.12, 0.16, 0.2];
/** How far the stated total is from the computed one: within the 0.01 tolerance, on its edge, or off. */
const STATED_TOTAL_ERRORS = [0, 0, 0.01, -0.01, 0.02, 1, -12.5];

/** A deterministic stream of numbers in [0, 1) for invoice n (a linear congruential generator). */
function randomFor(n) {
  let state = (n * 2654435761 + 1) >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

/**
 * Invoice n: 0 to 8 line items of whole-cent amounts, a tax rate, a stated total that is right,
 * on the tolerance's edge, or wrong; and what Retab's transform computes from it, by the same
 * floating-point steps in the same order.
 */
export function retabInvoice(n) {
  const random = randomFor(n);
  const line_items = Array.from({ length: Math.floor(random() * 9) }, (_, i) => ({ description: `Item ${i + 1} of INV-${n}`, amount: Math.floor(random() * 50_000) / 100 }));
  const tax_rate = TAX_RATES[Math.floor(random() * TAX_RATES.length)];
  const subtotal = line_items.reduce((sum, item) => sum + item.amount, 0);
  const computed_total = Math.round((subtotal + subtotal * tax_rate) * 100) / 100;
  const stated_total = Math.round((computed_total + STATED_TOTAL_ERRORS[n % STATED_TOTAL_ERRORS.length]) * 100) / 100;
  const input = { invoice_id: `INV-${n}`, line_items, tax_rate, stated_total };
  return { input, expected: { computed_total, is_valid: Math.abs(computed_total - stated_total) <= 0.01 } };
}

/** Even invoices are checked on `is_valid`, odd ones on `computed_total`; either with `equals`. */
const checkedField = (n) => (n % 2 === 0 ? 'is_valid' : 'computed_total');

/** The Verdict test of invoice n: its input frozen on `input-json-0`, `equals` on one output field. */
export function retabTest(n) {
  const { input, expected } = retabInvoice(n);
  const path = checkedField(n);
  return {
    source: { type: 'manual', handle_inputs: { 'input-json-0': { type: 'json', data: input } } },
    assertion: { target: { output_handle_id: 'output-json-0', path }, condition: { kind: 'equals', expected: expected[path] } },
  };
}

/** The promptfoo case of invoice n: the same input and the same check. */
export function retabCase(n) {
  const { input, expected } = retabInvoice(n);
  const path = checkedField(n);
  return { input, path, expected: expected[path] };
}

/**
 * promptfoo's Python provider running the same transform: models written with pydantic, as a
 * Retab user porting the block to promptfoo would write them. promptfoo keeps `-j` Python workers
 * alive for the whole eval and calls `call_api` once per case.
 */
const PROVIDER_PY = `from typing import Optional
from pydantic import BaseModel


class LineItem(BaseModel):
    description: Optional[str] = None
    amount: float


class Input(BaseModel):
    invoice_id: str
    line_items: list[LineItem]
    tax_rate: float
    stated_total: float


class Output(BaseModel):
    invoice_id: str
    subtotal: float
    computed_total: float
    is_valid: bool


${RETAB_EXAMPLE.replace('from models import Input, Output\n\n', '')}

def call_api(prompt, options, context):
    return {"output": transform(Input.model_validate(context["vars"]["invoice"])).model_dump()}
`;

/** The promptfoo workload (see bench/throughput/promptfoo.mjs) of a Python interpreter at `pythonExecutable`. */
export function promptfooPythonWorkload(pythonExecutable) {
  return {
    description: "Verdict bench: Retab's invoice check in Python",
    fileName: 'provider.py',
    source: PROVIDER_PY,
    config: { pythonExecutable },
    prompt: '{{invoice.invoice_id}}',
    varsFor: ({ input, path, expected }) => ({ invoice: input, path, expected }),
    assertion: 'output[context.vars.path] === context.vars.expected',
  };
}
