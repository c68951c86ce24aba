import { notMet, PASSED, type ConditionKindDefinition, type ConditionOf } from '../evaluation.js';
import { at, plural } from '../path.js';
import { isTally, itemDetails, tallyItems } from './items.js';

/** Every element satisfies the item condition; an empty array passes. */
export const allItemsMatch: ConditionKindDefinition<ConditionOf<'all_items_match'>> = {
  expectedValue: (condition) => condition.condition,
  async evaluate(condition, actual, context) {
    const tally = await tallyItems(condition.condition, actual, context);
    if (!isTally(tally)) return tally;
    if (tally.firstFailure === null) return PASSED;
    const failedCount = tally.count - tally.passedCount;
    const { index, failure } = tally.firstFailure;
    return notMet(`${failedCount} of ${plural(tally.count, 'item')} ${at(context.location)} do not match; item ${index}: ${failure.message}`, {
      ...itemDetails(tally.firstFailure),
      failed_count: failedCount,
    });
  },
};
