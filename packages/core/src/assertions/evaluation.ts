import type { Condition, ConditionKind } from './conditions.js';
import { at } from './path.js';
import type { AssertionModelProvider } from './provider.js';
import type { AssertionFailure, FailureCode } from './spec.js';
import { describeValue, jsonType, typeNoun, type JsonType } from './values.js';

/** What one condition kind concludes about one value; `evaluate.ts` turns it into an AssertionResult. */
export type Evaluation =
  | { outcome: 'passed'; score?: number | null }
  | { outcome: 'failed' | 'blocked'; failure: AssertionFailure; score?: number | null };

/** The condition type of one kind: `ConditionOf<'between'>`. */
export type ConditionOf<K extends ConditionKind> = Extract<Condition, { kind: K }>;

export interface EvaluationContext {
  /** The canonical path of the value under test (`items[2].price`; '' for the whole payload), for messages. */
  readonly location: string;
  readonly provider: AssertionModelProvider | null;
  readonly signal: AbortSignal | undefined;
  /** Evaluates an item condition with `value` as its subject (how `all_items_match` recurses). */
  evaluateNested(condition: Condition, value: unknown, location: string): Promise<Evaluation>;
}

export interface Metric {
  metricKind: string;
  threshold: number | null;
}

/** Everything the engine knows about one condition kind; `registry.ts` maps each kind to one of these. */
export interface ConditionKindDefinition<C extends Condition> {
  /** What `AssertionResult.expected_value` shows for this condition. */
  expectedValue(condition: C): unknown;
  /** Graded kinds name their metric and threshold, reported even when the value is missing. */
  metric?(condition: C): Metric;
  /** The answer when the target path resolves to nothing; by default `failed` / `path_not_found`. */
  whenMissing?(condition: C, missing: string, context: EvaluationContext): Evaluation;
  evaluate(condition: C, actual: unknown, context: EvaluationContext): Evaluation | Promise<Evaluation>;
}

export const PASSED: Evaluation = Object.freeze({ outcome: 'passed' });

export function passed(score: number | null = null): Evaluation {
  return { outcome: 'passed', score };
}

export function failed(code: FailureCode, message: string, details: Record<string, unknown> = {}, score: number | null = null): Evaluation {
  return { outcome: 'failed', failure: { code, message, details }, score };
}

export function blocked(code: FailureCode, message: string, details: Record<string, unknown> = {}): Evaluation {
  return { outcome: 'blocked', failure: { code, message, details } };
}

/** `blocked` / `type_error`: "expected a number at `total`, found the string \"12\"". */
export function typeMismatch(context: EvaluationContext, wanted: readonly JsonType[], actual: unknown): Evaluation {
  const nouns = wanted.map(typeNoun);
  const expectedTypes = nouns.length > 1 ? `${nouns.slice(0, -1).join(', ')} or ${nouns.at(-1)}` : nouns[0];
  return blocked('type_error', `expected ${expectedTypes} ${at(context.location)}, found ${describeValue(actual)}`, {
    expected_types: wanted,
    actual_type: jsonType(actual),
  });
}

/** A failed comparison; every kind reports a plain "not satisfied" with the same code. */
export function notMet(message: string, details: Record<string, unknown> = {}, score: number | null = null): Evaluation {
  return failed('condition_not_met', message, details, score);
}
