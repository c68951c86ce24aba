import { canonicalJson } from '../../canonical.js';
import { DEFAULT_OUTPUT_HANDLE, derivedTestName } from '../test-names.js';
import type { JsonObject } from '../values.js';
import type { DraftTest, SpecTestInput } from './model.js';

export interface ExportedCase {
  name: string;
  block: string;
  inputs: JsonObject;
  assert: JsonObject[];
}

/** A stored file is written as a reference to its file record (`{id, filename, mime_type}`), which apply accepts back. */
function inputValue(input: SpecTestInput): unknown {
  if (input.type === 'json') return input.data;
  const document = input.document;
  if ('original_id' in document) return { file: { id: document.original_id, filename: document.filename, mime_type: document.mime_type } };
  return { file: document };
}

/** The case a test's name says it comes from: `<case> · <kind> <path>` → `<case>`; null when the name is not derived. */
function caseOfName(test: DraftTest): string | null {
  if (test.name === null) return null;
  const suffix = derivedTestName('', test.assertion);
  const caseName = test.name.slice(0, -suffix.length);
  return test.name.endsWith(suffix) && caseName !== '' && caseName === caseName.trim() ? caseName : null;
}

function assertionEntry(test: DraftTest, explicitName: string | null): JsonObject {
  const { target, condition, label } = test.assertion;
  return {
    ...(explicitName !== null && { name: explicitName }),
    ...(target.output_handle_id !== DEFAULT_OUTPUT_HANDLE && { output: target.output_handle_id }),
    ...(target.path !== null && target.path !== undefined && { path: target.path }),
    ...condition,
    ...(label !== null && { label }),
  };
}

/**
 * Stored tests as `spec.tests` cases: tests of one block and inputs whose names derive from one case
 * are one case again, so that applying the export names every test as it is named now. A test whose
 * name is not derived keeps it with `name:`; an unnamed one is given its block's id as case (and is
 * renamed when applied).
 */
export function exportTestCases(tests: DraftTest[]): ExportedCase[] {
  const cases = new Map<string, ExportedCase>();
  const names = new Set<string>();
  for (const test of tests) {
    const derivedCase = caseOfName(test);
    const caseName = derivedCase ?? test.name ?? test.block_id;
    let explicitName = derivedCase === null ? test.name : null;
    // Names identify tests: a second test of one name is exported under a new one rather than made unappliable.
    if (test.name !== null && names.has(test.name)) explicitName = `${test.name} (${test.id})`;
    if (test.name !== null) names.add(test.name);
    const inputs = Object.fromEntries(Object.entries(test.handle_inputs).map(([handle, input]) => [handle, inputValue(input)]));
    const key = canonicalJson([caseName, test.block_id, inputs]);
    const kase = cases.get(key) ?? { name: caseName, block: test.block_id, inputs, assert: [] };
    kase.assert.push(assertionEntry(test, explicitName));
    cases.set(key, kase);
  }
  return [...cases.values()];
}
