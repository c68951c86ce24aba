/**
 * The checks a sandbox thread runs on an output before the main thread sees it: the block's
 * `output_schema`, then the assertion, on the thread's own V8. Nothing here can stall the main
 * thread: a check that runs too long is stopped with its thread by the pool. Only the modules
 * these need are loaded (not core's wire schemas), to keep thread starts short.
 */
import type { AssertionSpec } from '@verdict/core/assertions/spec';
import { evaluateAssertion } from '@verdict/core/assertions/evaluate';
import { BoundedCache } from '@verdict/core/assertions/lru';
import { compileJsonSchema, type CompiledJsonSchema } from '@verdict/core/json-schema';
import type { CheckAnswer, CheckKind, OutputCheck } from './types.js';

/** Output schemas a thread keeps compiled, by their JSON text (a run's tests share their block's). */
const schemas = new BoundedCache<string, CompiledJsonSchema>(16);

/**
 * Runs the checks of one output; `entering` is told each check as it starts (the pool's deadline
 * starts with the first). An assertion is evaluated without a model provider: the caller leaves
 * out assertions that need one.
 */
export async function checkOutput(outputJson: string, check: OutputCheck, entering: (kind: CheckKind) => void): Promise<CheckAnswer> {
  const { outputSchemaJson, assertionJson } = check;
  if (outputSchemaJson === null && assertionJson === null) return { kind: 'not_evaluated' };
  entering(outputSchemaJson === null ? 'assertion' : 'output_schema');
  const output: unknown = JSON.parse(outputJson);
  if (outputSchemaJson !== null) {
    const schema = compiledSchema(outputSchemaJson);
    if (!schema.ok) return { kind: 'output_schema_invalid', message: schema.message };
    const issues = schema.validate(output);
    if (issues.length > 0) return { kind: 'output_schema_mismatch', issues };
  }
  if (assertionJson === null) return { kind: 'not_evaluated' };
  if (outputSchemaJson !== null) entering('assertion');
  const outputs = (check.handleId === null ? output : { [check.handleId]: output }) as Record<string, unknown> | null;
  const result = await evaluateAssertion(JSON.parse(assertionJson) as AssertionSpec, outputs);
  return { kind: 'evaluated', verdict: result.outcome, assertionResultJson: JSON.stringify(result) };
}

function compiledSchema(schemaJson: string): CompiledJsonSchema {
  let compiled = schemas.get(schemaJson);
  if (compiled === undefined) {
    compiled = compileJsonSchema(JSON.parse(schemaJson));
    schemas.set(schemaJson, compiled);
  }
  return compiled;
}

/**
 * Builds what every check needs once per thread (the schema compiler, the assertion engine), so
 * the first output checked on a new thread is not charged that start-up against its deadline:
 * cold, it takes ~100 ms, and seconds on a loaded machine.
 */
export async function warmUp(): Promise<void> {
  const schema = JSON.stringify({ type: 'object', required: ['n'], properties: { n: { type: 'number' }, s: { type: 'string', pattern: '^a' }, list: { type: 'array', uniqueItems: true, items: { enum: [1, 2] } } } });
  const assertion = JSON.stringify({ kind: 'equals', expected: 1 });
  await checkOutput('{"n":1,"s":"a","list":[1,2]}', { outputSchemaJson: schema, assertionJson: assertion, handleId: null }, () => {});
  schemas.delete(schema);
}
