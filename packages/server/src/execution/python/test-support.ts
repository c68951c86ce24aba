import { readdirSync, readFileSync } from 'node:fs';
import { after } from 'node:test';
import { allResults, createFunctionWorkflow, createTests, startRun, type TestSpec } from '../../testing/fixtures.js';
import { waitForRun, type TestApp } from '../../testing/harness.js';
import { PythonSandbox } from './python-sandbox.js';

/** Makes PythonSandboxes for one suite (call it inside the suite's describe): each is closed after the suite. */
export function suiteSandboxes(): (options?: ConstructorParameters<typeof PythonSandbox>[0]) => PythonSandbox {
  const made: PythonSandbox[] = [];
  after(async () => {
    for (const sandbox of made) await sandbox.close();
  });
  return (options = {}) => {
    const sandbox = new PythonSandbox(options);
    made.push(sandbox);
    return sandbox;
  };
}

export interface PythonRun {
  run: any;
  rows: any[];
}

/** One Python function block with `specs` as its tests, run through the API; every row of the run, in order. */
export async function runPython(
  app: TestApp,
  code: string,
  specs: TestSpec[],
  options: { timeoutSeconds?: number; outputSchema?: Record<string, unknown>; inputSchema?: Record<string, unknown>; apiKey?: string } = {},
): Promise<PythonRun> {
  const fixture = await createFunctionWorkflow(app, code, { language: 'python', ...options });
  await createTests(app, fixture, specs);
  const run = await waitForRun(app, (await startRun(app, fixture.workflowId)).id, 120_000);
  return { run, rows: await allResults(app, run.id) };
}

/** The output of a Python test whose transform reports what it tried; throws with the row when the test did not pass. */
export async function probe(app: TestApp, code: string, input: unknown, timeoutSeconds = 30): Promise<Record<string, string>> {
  const { rows } = await runPython(app, code, [{ input, condition: { kind: 'exists' } }], { timeoutSeconds });
  const [row] = rows;
  if (row.verdict !== 'passed') throw new Error(`the probe did not answer: ${JSON.stringify(row.error ?? row.assertion_result)}`);
  return row.outputs['output-json-0'];
}

/** Python for `probe`: `attempt(action)` is "denied: <exception>" when the action raised, else "ALLOWED: <what it returned>". */
export const ATTEMPT = `import os

def attempt(action):
    try:
        result = action()
    except BaseException as error:
        return 'denied: ' + type(error).__name__ + ': ' + str(error)[:200]
    return 'ALLOWED: ' + repr(result)[:200]
`;

/** Processes whose parent is `parentPid` and whose command line holds `needle` (Linux /proc). */
export function childProcesses(parentPid: number, needle = ''): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid !== parentPid) continue;
      if (needle && !readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(needle)) continue;
      found.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

/** The processes running tests under `zygote`: the children of its templates (zygote.py), each with its template. */
export function testProcesses(zygote: number): Array<{ template: number; child: number }> {
  return childProcesses(zygote).flatMap((template) => childProcesses(template).map((child) => ({ template, child })));
}

/** The zygote of this Node process, if one runs. */
export function zygotePid(): number | undefined {
  return childProcesses(process.pid, 'zygote.py')[0];
}

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
export const JAVASCRIPT_TWIN = `function transform(input) {
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
export const RETAB_SPECS: TestSpec[] = [
  ...Array.from({ length: 6 }, (_, n): TestSpec => ({ name: `valid ${n}`, input: invoice(n), path: 'is_valid', condition: { kind: 'equals', expected: true } })),
  { name: 'wrong total', input: invoice(7, 'wrong'), path: 'is_valid', condition: { kind: 'equals', expected: true } },
  { name: 'computed total', input: invoice(3), path: 'computed_total', condition: { kind: 'equals', expected: 20.7 } },
  { name: 'id pattern', input: invoice(4), path: 'invoice_id', condition: { kind: 'matches_regex', pattern: '^INV-\\d+$' } },
  { name: 'schema', input: invoice(5), path: null, condition: { kind: 'json_schema_valid', schema: CHECK_SCHEMA } },
  { name: 'missing line items', input: { invoice_id: 'INV-x', tax_rate: 0.2, stated_total: 1 }, path: 'is_valid', condition: { kind: 'exists' } },
];
