import { compileJsonSchema, summarizeJsonSchemaIssues, type JsonSchemaIssue } from '@verdict/core';
import { DEFAULT_MAX_OUTPUT_BYTES, outputLimitProblem } from '../limits/output-limits.js';

export type JsonAnswer = { ok: true; value: unknown } | { ok: false; problem: string };

/**
 * Checks an answer's value (as JSON text) against a JSON Schema: the problem to report in a repair
 * turn, or null when it matches. The server's runs in a sandbox thread, under the check deadline.
 */
export type AnswerSchemaCheck = (valueJson: string, schema: object, organizationId: string | undefined, signal: AbortSignal) => Promise<string | null>;

const FENCED = /^```(?:json)?\s*([\s\S]*?)\s*```$/i;

/**
 * The JSON value in a model's text answer. Tolerates what JSON-mode-less servers commonly add:
 * a Markdown code fence, or prose around a single object. An answer over `maxBytes`, or nested
 * deeper than MAX_JSON_DEPTH, is not parsed: it is a block's output like a transform's.
 */
export function parseJsonAnswer(text: string, maxBytes = DEFAULT_MAX_OUTPUT_BYTES): JsonAnswer {
  const refused = outputLimitProblem(text, maxBytes, 'the model answered');
  if (refused) return { ok: false, problem: refused.message };
  const trimmed = text.trim();
  const unfenced = FENCED.exec(trimmed)?.[1] ?? trimmed;
  for (const candidate of [unfenced, outermostObject(unfenced)]) {
    if (candidate === null) continue;
    try {
      return { ok: true, value: JSON.parse(candidate) };
    } catch {
      // try the next reading
    }
  }
  const preview = trimmed.length > 80 ? `${trimmed.slice(0, 77)}...` : trimmed;
  return { ok: false, problem: `the answer is not valid JSON (${JSON.stringify(preview)})` };
}

function outermostObject(text: string): string | null {
  const start = text.indexOf('{');
  const end = text.lastIndexOf('}');
  return start >= 0 && end > start ? text.slice(start, end + 1) : null;
}

/** Why `value` does not match `schema`, or null when it does (or when there is no schema). */
export function schemaProblem(value: unknown, schema: object | undefined): string | null {
  if (schema === undefined) return null;
  const compiled = compileJsonSchema(schema);
  if (!compiled.ok) return compiled.message;
  const issues = compiled.validate(value);
  return issues.length === 0 ? null : schemaMismatch(issues);
}

export function schemaMismatch(issues: readonly JsonSchemaIssue[]): string {
  return `the answer does not match the JSON schema: ${summarizeJsonSchemaIssues(issues)}`;
}

/** Parses and validates in one step: the answer's value, or the problem to report in a repair turn. */
export function readJsonAnswer(text: string, schema: object | undefined, maxBytes = DEFAULT_MAX_OUTPUT_BYTES): JsonAnswer {
  const parsed = parseJsonAnswer(text, maxBytes);
  if (!parsed.ok) return parsed;
  const problem = schemaProblem(parsed.value, schema);
  return problem === null ? parsed : { ok: false, problem };
}
