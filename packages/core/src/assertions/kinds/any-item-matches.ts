import { notMet, PASSED, type ConditionKindDefinition, type ConditionOf } from '../evaluation.js';
import { at, plural } from '../path.js';
import { isTally, itemDetails, tallyItems } from './items.js';

/** At least one element satisfies the item condition; an empty array fails. */
export const anyItemMatches: ConditionKindDefinition<ConditionOf<'any_item_matches'>> = {
  expectedValue: (condition) => condition.condition,
  async evaluate(condition, actual, context) {
    const tally = await tallyItems(condition.condition, actual, context);
    if (!isTally(tally)) return tally;
    if (tally.passedCount > 0) return PASSED;
    if (tally.firstFailure === null) return notMet(`expected at least one matching item ${at(context.location)}, but the array is empty`, { failed_count: 0 });
    const { index, failure } = tally.firstFailure;
    return notMet(`none of the ${plural(tally.count, 'item')} ${at(context.location)} matches; item ${index}: ${failure.message}`, {
      ...itemDetails(tally.firstFailure),
      failed_count: tally.count,
    });
  },
};
