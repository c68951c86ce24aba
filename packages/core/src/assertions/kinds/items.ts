import type { Condition } from '../conditions.js';
import type { AssertionFailure } from '../spec.js';
import { typeMismatch, type EvaluationContext, type Evaluation } from '../evaluation.js';
import { childLocation } from '../path.js';

export interface ItemFailure {
  index: number;
  failure: AssertionFailure;
}

export interface ItemTally {
  count: number;
  passedCount: number;
  firstFailure: ItemFailure | null;
}

/**
 * Evaluates the item condition on every element, in order, each with its own location
 * (`items[3]`). An item that cannot be evaluated makes the whole answer `blocked` at once; that
 * blocked evaluation is returned instead of a tally.
 */
export async function tallyItems(condition: Condition, actual: unknown, context: EvaluationContext): Promise<ItemTally | Evaluation> {
  if (!Array.isArray(actual)) return typeMismatch(context, ['array'], actual);
  const tally: ItemTally = { count: actual.length, passedCount: 0, firstFailure: null };
  for (let index = 0; index < actual.length; index++) {
    const location = childLocation(context.location, index);
    const evaluation = await context.evaluateNested(condition, actual[index], location);
    if (evaluation.outcome === 'passed') {
      tally.passedCount += 1;
    } else if (evaluation.outcome === 'blocked') {
      const failure = evaluation.failure;
      const message = `item ${index} could not be evaluated: ${failure.message}`;
      return { outcome: 'blocked', failure: { code: failure.code, message, details: itemDetails({ index, failure }) } };
    } else {
      tally.firstFailure ??= { index, failure: evaluation.failure };
    }
  }
  return tally;
}

export function isTally(answer: ItemTally | Evaluation): answer is ItemTally {
  return 'count' in answer;
}

export function itemDetails({ index, failure }: ItemFailure): Record<string, unknown> {
  return { item_index: index, item_failure: failure };
}
