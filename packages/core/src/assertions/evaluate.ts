import type { Condition } from './conditions.js';
import { blocked, failed, type ConditionKindDefinition, type Evaluation, type EvaluationContext } from './evaluation.js';
import { at, formatPath, parsePath, walkPath } from './path.js';
import type { AssertionModelProvider } from './provider.js';
import { definitionOf } from './registry.js';
import type { AssertionFailure, AssertionResult, AssertionSpec, FailureCode } from './spec.js';

export interface EvaluateOptions {
  /** Needed by `llm_judged_as`, `llm_not_judged_as` and `similarity_gte` with `embeddings`. */
  provider?: AssertionModelProvider | null;
  /** Aborting it (a cancelled run) makes model-backed evaluations reject with the abort reason. */
  signal?: AbortSignal;
}

/**
 * Evaluates one assertion against the outputs a block produced, keyed by output handle id.
 * Always resolves to a result (`passed`, `failed` or `blocked`), whatever the payload or the
 * condition; it rejects only when `options.signal` was aborted.
 */
export async function evaluateAssertion(
  spec: AssertionSpec,
  outputs: Record<string, unknown> | null,
  options: EvaluateOptions = {},
): Promise<AssertionResult> {
  const definition = definitionOf(spec.condition);
  if (definition === undefined) return unknownKindResult(spec);
  const handleId = spec.target.output_handle_id;
  const payload = outputs != null && Object.hasOwn(outputs, handleId) ? outputs[handleId] : undefined;
  if (payload === undefined) return missingHandleResult(spec, outputs);
  const path = parsePath(spec.target.path);
  if (!path.ok) return blockedResult(spec, 'invalid_path', path.message, { path: spec.target.path });
  const resolution = walkPath(payload, path.segments);
  const context = createContext(formatPath(path.segments), options);
  let evaluation: Evaluation;
  try {
    evaluation = resolution.found
      ? await definition.evaluate(spec.condition, resolution.value, context)
      : (definition.whenMissing ?? pathNotFound)(spec.condition, resolution.missing, context);
  } catch (error) {
    options.signal?.throwIfAborted();
    evaluation = unexpectedError(error);
  }
  return toResult(spec, definition, resolution.found ? resolution.value : null, evaluation);
}

/** A `blocked` result without evaluating, e.g. `block_execution_failed` when the block under test crashed. */
export function blockedResult(spec: AssertionSpec, code: FailureCode, message: string, details: Record<string, unknown> = {}): AssertionResult {
  const definition = definitionOf(spec.condition);
  return definition === undefined ? unknownKindResult(spec, { code, message, details }) : toResult(spec, definition, null, blocked(code, message, details));
}

function toResult<C extends Condition>(spec: AssertionSpec, definition: ConditionKindDefinition<C>, actual: unknown, evaluation: Evaluation): AssertionResult {
  const condition = spec.condition as C;
  const metric = definition.metric?.(condition);
  return {
    assertion_id: spec.id,
    condition_kind: condition.kind,
    outcome: evaluation.outcome,
    actual_value: actual ?? null,
    expected_value: definition.expectedValue(condition) ?? null,
    score: evaluation.score ?? null,
    threshold: metric?.threshold ?? null,
    metric_kind: metric?.metricKind ?? null,
    assertion_label: spec.label ?? null,
    failure: evaluation.outcome === 'passed' ? null : evaluation.failure,
  };
}

function createContext(location: string, options: EvaluateOptions): EvaluationContext {
  const provider = options.provider ?? null;
  const signal = options.signal;
  // Built field by field: a spread here cost more than the evaluation of a simple condition.
  const contextAt = (itemLocation: string): EvaluationContext => ({ provider, signal, location: itemLocation, evaluateNested });
  async function evaluateNested(condition: Condition, value: unknown, itemLocation: string): Promise<Evaluation> {
    const definition = definitionOf(condition);
    if (definition === undefined) return blocked('execution_error', unknownKindMessage(condition));
    return definition.evaluate(condition, value, contextAt(itemLocation));
  }
  return contextAt(location);
}

function pathNotFound(_condition: Condition, missing: string, context: EvaluationContext): Evaluation {
  return failed('path_not_found', `nothing ${at(context.location)}: ${missing}`, { missing });
}

function missingHandleResult(spec: AssertionSpec, outputs: Record<string, unknown> | null): AssertionResult {
  const handleId = spec.target.output_handle_id;
  const produced = producedHandles(outputs);
  const list = produced.length === 0 ? 'it produced no outputs' : `it produced ${produced.map((id) => `\`${id}\``).join(', ')}`;
  return blockedResult(spec, 'output_handle_missing', `the block did not produce the output handle \`${handleId}\`: ${list}`, {
    output_handle_id: handleId,
    produced_handles: produced,
  });
}

function producedHandles(outputs: Record<string, unknown> | null): string[] {
  return outputs == null ? [] : Object.keys(outputs).filter((id) => outputs[id] !== undefined);
}

/** A bug or a pathological payload (e.g. nesting deep enough to overflow the stack) must still give a verdict. */
function unexpectedError(error: unknown): Evaluation {
  const reason = error instanceof Error ? error.message : String(error);
  return blocked('execution_error', `the assertion could not be evaluated: ${reason}`);
}

function unknownKindMessage(condition: unknown): string {
  const kind = (condition as { kind?: unknown } | null)?.kind;
  return `the condition kind ${JSON.stringify(kind ?? null)} is not one this server knows`;
}

function unknownKindResult(
  spec: AssertionSpec,
  failure: AssertionFailure = { code: 'execution_error', message: unknownKindMessage(spec.condition), details: {} },
): AssertionResult {
  return {
    assertion_id: spec.id,
    condition_kind: String((spec.condition as { kind?: unknown } | null)?.kind ?? 'unknown'),
    outcome: 'blocked',
    actual_value: null,
    expected_value: null,
    score: null,
    threshold: null,
    metric_kind: null,
    assertion_label: spec.label ?? null,
    failure,
  };
}
