import { createRequire } from 'node:module';
import type { Ajv2020, ErrorObject, ValidateFunction } from 'ajv/dist/2020.js';
import type { FormatsPlugin } from 'ajv-formats';
import { canonicalJson } from './canonical.js';
import { BoundedCache } from './assertions/lru.js';
import { childLocation, describeLocation } from './assertions/path.js';
import { compileRegex } from './assertions/regex.js';

/** One reason a value does not match a schema: where (JSON Pointer, '' for the root) and why. */
export interface JsonSchemaIssue {
  path: string;
  message: string;
}

/** Returns the issues of `value` against the compiled schema; an empty list means valid. */
export type JsonSchemaValidator = (value: unknown) => JsonSchemaIssue[];

export type CompiledJsonSchema = { ok: true; validate: JsonSchemaValidator } | { ok: false; message: string };

const NO_ISSUES: JsonSchemaIssue[] = [];
const MAX_REPORTED_ISSUES = 20;


/**
 * `pattern` keywords run on RE2 like the assertion regexes, so a schema cannot hang the server.
 * Ajv deduplicates engines by `toString()`, hence the explicit one.
 */
function linearRegExp(pattern: string): { test(text: string): boolean; toString(): string } {
  const compiled = compileRegex(pattern);
  if (!compiled.ok) throw new Error(compiled.message);
  const regex = compiled.regex;
  return { test: (text) => regex.test(text), toString: () => `/${pattern}/` };
}
// Ajv's engine type wants a source name for standalone code generation, which Verdict does not use.
linearRegExp.code = 'linearRegExp';

let ajvInstance: Ajv2020 | undefined;

/**
 * Ajv is loaded on the first schema compiled: loading it and its formats is most of what the
 * assertion engine costs to load, and sandbox threads, which load the engine as they start, often
 * never meet a schema.
 */
function ajv(): Ajv2020 {
  if (ajvInstance === undefined) {
    const require = createRequire(import.meta.url);
    const { Ajv2020: Ajv } = require('ajv/dist/2020.js') as typeof import('ajv/dist/2020.js');
    const addFormats = require('ajv-formats') as FormatsPlugin;
    ajvInstance = new Ajv({ strict: false, allErrors: true, logger: false, code: { regExp: linearRegExp } });
    addFormats(ajvInstance);
  }
  return ajvInstance;
}

const byObject = new WeakMap<object, CompiledJsonSchema>();
const byCanonicalJson = new BoundedCache<string, CompiledJsonSchema>(256);

/**
 * Compiles a JSON Schema (draft 2020-12, formats on) once per distinct schema; the same schema
 * object, or an equal one, reuses the compiled validator. Never throws: an invalid schema gives
 * `{ ok: false, message }` with Ajv's explanation.
 */
export function compileJsonSchema(schema: unknown): CompiledJsonSchema {
  if (typeof schema === 'boolean') return compileCached(schema);
  if (schema === null || typeof schema !== 'object' || Array.isArray(schema)) {
    return { ok: false, message: 'a JSON Schema must be an object (or a boolean)' };
  }
  let result = byObject.get(schema);
  if (result === undefined) {
    result = compileCached(schema);
    byObject.set(schema, result);
  }
  return result;
}

function compileCached(schema: object | boolean): CompiledJsonSchema {
  const key = canonicalJson(schema);
  let result = byCanonicalJson.get(key);
  if (result === undefined) {
    result = compileUncached(schema);
    byCanonicalJson.set(key, result);
  }
  return result;
}

function compileUncached(schema: object | boolean): CompiledJsonSchema {
  try {
    const validateFunction = ajv().compile(schema);
    return { ok: true, validate: (value) => (validateFunction(value) ? NO_ISSUES : issuesOf(validateFunction)) };
  } catch (error) {
    return { ok: false, message: `the JSON Schema is invalid: ${(error as Error).message}` };
  } finally {
    // Ajv keeps every compiled schema (and claims its `$id`); our own cache decides what stays.
    if (typeof schema === 'object') ajv().removeSchema(schema);
  }
}

function issuesOf(validateFunction: ValidateFunction): JsonSchemaIssue[] {
  const errors: ErrorObject[] = validateFunction.errors ?? [];
  return errors.slice(0, MAX_REPORTED_ISSUES).map((error) => ({ path: error.instancePath, message: error.message ?? error.keyword }));
}

/**
 * "`total` must be number; the output must have required property 'id'": the first few issues,
 * placed under `location` (the path of the validated value; '' for a whole payload).
 */
export function summarizeJsonSchemaIssues(issues: readonly JsonSchemaIssue[], location = '', limit = 3): string {
  const shown = issues.slice(0, limit).map((issue) => `${describeLocation(pointerToLocation(issue.path, location))} ${issue.message}`);
  const more = issues.length > limit ? ` (and ${issues.length - limit} more)` : '';
  return shown.join('; ') + more;
}

/** `/items/0/price` under `value` → `value.items[0].price`. */
function pointerToLocation(pointer: string, location: string): string {
  if (pointer === '') return location;
  return pointer
    .slice(1)
    .split('/')
    .map((token) => token.replaceAll('~1', '/').replaceAll('~0', '~'))
    .reduce<string>((path, token) => childLocation(path, /^(?:0|[1-9]\d*)$/.test(token) ? Number(token) : token), location);
}
