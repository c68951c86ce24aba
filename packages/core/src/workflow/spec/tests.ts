import { z } from 'zod';
import { ConditionInputSchema, ConditionSchema, type Condition } from '../../assertions/conditions.js';
import { parsePath } from '../../assertions/path.js';
import { validateCondition } from '../../assertions/validate.js';
import { FileRef, MaterializedDocumentInput, MIMEData } from '../../schemas/files.js';
import { TESTABLE_BLOCK_TYPES } from '../../schemas/workflows.js';
import { deriveHandles, type HandleDescriptor } from '../handles.js';
import { DEFAULT_OUTPUT_HANDLE, derivedTestName } from '../test-names.js';
import { isJsonObject, isSet, preview, type JsonObject } from '../values.js';
import { nonFinitePath, refuseUnknownKeys, type SpecPath, type SpecReport } from './diagnostics.js';
import { formatPath, type SpecBlock, type SpecTest, type SpecTestInput } from './model.js';
import { closestName, unknownFieldMessage } from './suggest.js';

/** Each assertion becomes a stored test; a spec stays a reviewable file, not a bulk import. */
export const MAX_SPEC_TESTS = 1000;
const MAX_NAME_LENGTH = 300;

const CASE_KEYS = ['name', 'block', 'inputs', 'assert'];
/** The fields of an assertion entry that are not the condition's own. */
export const ASSERTION_KEYS = ['name', 'output', 'path', 'kind', 'label'];
const FileDocument = z.union([MaterializedDocumentInput.strict(), FileRef.strict(), MIMEData.strict()]);

/** Each condition kind's own fields (without `kind`), from the condition schemas themselves. */
const CONDITION_FIELDS: ReadonlyMap<string, string[]> = new Map(
  (ConditionSchema as unknown as { options: Array<{ shape: Record<string, unknown> }> }).options.map((option) => {
    const kind = (option.shape.kind as { value: string }).value;
    return [kind, Object.keys(option.shape).filter((key) => key !== 'kind')];
  }),
);
const CONDITION_KINDS = [...CONDITION_FIELDS.keys()];

interface TestContext {
  blocks: Map<string, SpecBlock>;
  declared: Set<string>;
  report: SpecReport;
}

function didYouMean(word: string, known: readonly string[]): string {
  const guess = closestName(word, known);
  return guess ? ` Did you mean "${guess}"?` : '';
}

function listed(ids: readonly string[]): string {
  return ids.length > 0 ? ids.map((id) => `"${id}"`).join(', ') : 'none';
}

function readName(value: unknown, path: SpecPath, report: SpecReport): string | null {
  if (typeof value === 'string' && value.trim() !== '' && value.length <= MAX_NAME_LENGTH) return value.trim();
  const code = isSet(value) ? 'INVALID_FIELD' : 'MISSING_FIELD';
  report.error(code, path, `${path.at(-1)} must be a non-blank string of at most ${MAX_NAME_LENGTH} characters; got ${preview(value)}.`);
  return null;
}

/** The case's block: declared in the spec and of a type tests can run. */
function readTestedBlock(value: unknown, path: SpecPath, ctx: TestContext): { id: string; block: SpecBlock } | null {
  const ids = [...ctx.declared];
  if (typeof value !== 'string' || !ctx.declared.has(value)) {
    const code = isSet(value) ? 'UNKNOWN_BLOCK_REFERENCE' : 'MISSING_FIELD';
    const hint = typeof value === 'string' ? didYouMean(value, ids) : '';
    ctx.report.error(code, path, `block must name a block of spec.blocks; got ${preview(value)}.${hint}`);
    return null;
  }
  const block = ctx.blocks.get(value);
  if (!block) return null; // reported where the block is defined
  if (!(TESTABLE_BLOCK_TYPES as readonly string[]).includes(block.type)) {
    ctx.report.error('UNTESTABLE_BLOCK', path, `Block "${value}" is a ${block.type} block, which cannot be tested; testable types are ${TESTABLE_BLOCK_TYPES.join(', ')}.`);
    return null;
  }
  return { id: value, block };
}

const FILE_FORMS = '{file: {filename: <name>, url: "data:<type>;base64,…"}} or {file: {id: <file id>, filename, mime_type}}';

function readFileInput(value: unknown, path: SpecPath, report: SpecReport): SpecTestInput | null {
  if (!isJsonObject(value) || !('file' in value)) {
    report.error('INVALID_TEST_INPUT', path, `A file handle takes {file: <path relative to the YAML>}; got ${preview(value)}.`);
    return null;
  }
  refuseUnknownKeys(report, value, ['file'], path);
  if (typeof value.file === 'string') {
    report.error(
      'UNRESOLVED_FILE',
      [...path, 'file'],
      `The file "${value.file}" is a path on your machine: \`verdict apply\` reads it and sends its bytes; through the API, send ${FILE_FORMS}.`,
    );
    return null;
  }
  const document = FileDocument.safeParse(value.file);
  if (!document.success) {
    report.error('INVALID_TEST_INPUT', [...path, 'file'], `file must be a path (for \`verdict apply\`) or ${FILE_FORMS}; got ${preview(value.file)}.`);
    return null;
  }
  return { type: 'file', document: document.data };
}

function readInputs(value: unknown, path: SpecPath, blockId: string, inputs: HandleDescriptor[], report: SpecReport): Record<string, SpecTestInput> {
  const read: Record<string, SpecTestInput> = {};
  if (!isSet(value)) return read;
  if (!isJsonObject(value)) {
    report.error('INVALID_FIELD', path, `inputs must map input handles to values, e.g. {input-json-0: {total: 3}}; got ${preview(value)}.`);
    return read;
  }
  const kinds = new Map(inputs.map((handle) => [handle.id, handle.kind]));
  for (const [handleId, input] of Object.entries(value)) {
    const inputPath = [...path, handleId];
    const kind = kinds.get(handleId);
    if (!kind) {
      const hint = didYouMean(handleId, [...kinds.keys()]);
      report.error('UNKNOWN_HANDLE', inputPath, `"${handleId}" is not an input handle of block "${blockId}"; its input handles are ${listed([...kinds.keys()])}.${hint}`);
      continue;
    }
    if (kind === 'file') {
      const file = readFileInput(input, inputPath, report);
      if (file) read[handleId] = file;
      continue;
    }
    const nonFinite = nonFinitePath(input);
    if (nonFinite) report.error('INVALID_TEST_INPUT', [...inputPath, ...nonFinite], 'Inputs must be JSON: .nan and .inf have no JSON form.');
    else read[handleId] = { type: 'json', data: input ?? null };
  }
  return read;
}

function readOptionalString(value: JsonObject, key: string, path: SpecPath, report: SpecReport): string | null {
  const field = value[key];
  if (!isSet(field)) return null;
  if (typeof field === 'string' && field.length <= MAX_NAME_LENGTH) return field;
  report.error('INVALID_FIELD', [...path, key], `${key} must be a string of at most ${MAX_NAME_LENGTH} characters; got ${preview(field)}.`);
  return null;
}

/** The condition's fields allowed at `conditionPath` inside an entry: the kind's own, plus the entry's at the top. */
function knownConditionFields(entry: JsonObject, conditionPath: PropertyKey[]): string[] {
  let node: unknown = entry;
  for (const segment of conditionPath) node = isJsonObject(node) ? node[segment as string] : undefined;
  const kind = isJsonObject(node) && typeof node.kind === 'string' ? node.kind : '';
  const own = ['kind', ...(CONDITION_FIELDS.get(kind) ?? [])];
  return conditionPath.length === 0 ? [...new Set([...ASSERTION_KEYS, ...own])] : own;
}

function readCondition(entry: JsonObject, path: SpecPath, report: SpecReport): Condition | null {
  const { name: _name, output: _output, path: _path, label: _label, ...fields } = entry;
  if (typeof fields.kind !== 'string' || !CONDITION_FIELDS.has(fields.kind)) {
    const hint = typeof fields.kind === 'string' ? didYouMean(fields.kind, CONDITION_KINDS) : '';
    report.error(isSet(fields.kind) ? 'UNKNOWN_CONDITION_KIND' : 'MISSING_FIELD', [...path, 'kind'], `kind must be a condition kind (${CONDITION_KINDS.join(', ')}); got ${preview(fields.kind)}.${hint}`);
    return null;
  }
  const parsed = ConditionInputSchema.safeParse(fields);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      if (issue.code === 'unrecognized_keys') {
        const known = knownConditionFields(entry, issue.path);
        for (const key of issue.keys) report.error('UNKNOWN_FIELD', [...path, ...(issue.path as SpecPath), key], unknownFieldMessage(key, known));
      } else report.error('INVALID_ASSERTION', [...path, ...(issue.path as SpecPath)], issue.message);
    }
    return null;
  }
  const problems = validateCondition(parsed.data);
  for (const problem of problems) report.error('INVALID_ASSERTION', [...path, ...problem.path], problem.message);
  return problems.length > 0 ? null : parsed.data;
}

interface CaseContext {
  caseName: string;
  blockId: string;
  outputs: string[];
  handleInputs: Record<string, SpecTestInput>;
}

function readAssertion(entry: unknown, path: SpecPath, kase: CaseContext, report: SpecReport): SpecTest | null {
  if (!isJsonObject(entry)) {
    report.error('INVALID_FIELD', path, `An assertion is a mapping such as {path: total, kind: equals, expected: 3}; got ${preview(entry)}.`);
    return null;
  }
  const output = readOptionalString(entry, 'output', path, report) ?? DEFAULT_OUTPUT_HANDLE;
  if (!kase.outputs.includes(output)) {
    const hint = didYouMean(output, kase.outputs);
    report.error('UNKNOWN_HANDLE', [...path, 'output'], `"${output}" is not an output handle of block "${kase.blockId}"; its output handles are ${listed(kase.outputs)}.${hint}`);
  }
  const targetPath = readOptionalString(entry, 'path', path, report);
  const parsedPath = parsePath(targetPath);
  if (!parsedPath.ok) report.error('INVALID_ASSERTION', [...path, 'path'], parsedPath.message);
  const label = readOptionalString(entry, 'label', path, report);
  const written = isSet(entry.name) ? readName(entry.name, [...path, 'name'], report) : null;
  const condition = readCondition(entry, path, report);
  if (!condition || !kase.outputs.includes(output) || !parsedPath.ok) return null;
  const assertion = { target: { output_handle_id: output, path: targetPath }, condition, label };
  const name = written ?? derivedTestName(kase.caseName, assertion);
  return { name, case_name: kase.caseName, named: written !== null, block_id: kase.blockId, handle_inputs: kase.handleInputs, assertion, path };
}

function readCase(value: unknown, path: SpecPath, ctx: TestContext): SpecTest[] {
  if (!isJsonObject(value)) {
    ctx.report.error('INVALID_FIELD', path, `A test case is a mapping {name, block, inputs, assert}; got ${preview(value)}.`);
    return [];
  }
  refuseUnknownKeys(ctx.report, value, CASE_KEYS, path);
  const caseName = readName(value.name, [...path, 'name'], ctx.report);
  const tested = readTestedBlock(value.block, [...path, 'block'], ctx);
  if (!Array.isArray(value.assert) || value.assert.length === 0) {
    ctx.report.error('MISSING_FIELD', [...path, 'assert'], 'assert must list at least one assertion, e.g. [{path: total, kind: equals, expected: 3}].');
    return [];
  }
  if (!caseName || !tested) return [];
  const handles = deriveHandles(tested.block.type, tested.block.config);
  const kase: CaseContext = {
    caseName,
    blockId: tested.id,
    outputs: handles.outputs.map((handle) => handle.id),
    handleInputs: readInputs(value.inputs, [...path, 'inputs'], tested.id, handles.inputs, ctx.report),
  };
  return value.assert.flatMap((entry, index) => readAssertion(entry, [...path, 'assert', index], kase, ctx.report) ?? []);
}

/**
 * Reads `spec.tests` (a Verdict extension): each case names a block, its inputs and several
 * assertions, and becomes one test per assertion. Null when the spec has no tests key, which
 * leaves the stored tests alone. Test names identify tests across applies, so they must be unique.
 */
export function readTests(value: unknown, ctx: TestContext): SpecTest[] | null {
  if (!isSet(value)) return null;
  if (!Array.isArray(value)) {
    ctx.report.error('INVALID_FIELD', ['spec', 'tests'], 'spec.tests must be a list of cases {name, block, inputs, assert}.');
    return null;
  }
  const tests = value.flatMap((kase, index) => readCase(kase, ['spec', 'tests', index], ctx));
  if (tests.length > MAX_SPEC_TESTS) {
    ctx.report.error('TOO_MANY_TESTS', ['spec', 'tests'], `The spec declares ${tests.length} assertions; at most ${MAX_SPEC_TESTS} fit in one spec.`);
  }
  const seen = new Map<string, SpecPath>();
  for (const test of tests) {
    const first = seen.get(test.name);
    if (first) {
      ctx.report.error('DUPLICATE_TEST_NAME', test.path, `This assertion is named "${test.name}" like the one at ${formatPath(first)}; test names identify tests across applies, so give one of them a name: field.`);
    } else seen.set(test.name, test.path);
  }
  return tests;
}
