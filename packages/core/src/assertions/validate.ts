import { compileJsonSchema } from '../json-schema.js';
import type { Condition } from './conditions.js';
import { compileRegex } from './regex.js';

export interface ConditionProblem {
  /** Where in the condition, e.g. `['condition', 'pattern']` for the pattern of an item condition. */
  path: (string | number)[];
  message: string;
}

/**
 * Problems the server refuses when a test is created or updated (422 `validation_error`): they
 * would block every run. Expects a condition that already passed `ConditionSchema`.
 */
export function validateCondition(condition: Condition): ConditionProblem[] {
  switch (condition.kind) {
    case 'matches_regex': {
      const compiled = compileRegex(condition.pattern);
      return compiled.ok ? [] : [{ path: ['pattern'], message: compiled.message }];
    }
    case 'json_schema_valid': {
      const compiled = condition.schema == null ? null : compileJsonSchema(condition.schema);
      return compiled === null || compiled.ok ? [] : [{ path: ['schema'], message: compiled.message }];
    }
    case 'between':
      return condition.lower > condition.upper
        ? [{ path: ['lower'], message: `the lower bound ${condition.lower} is greater than the upper bound ${condition.upper}` }]
        : [];
    case 'all_items_match':
    case 'any_item_matches':
      return validateCondition(condition.condition).map((problem) => ({ ...problem, path: ['condition', ...problem.path] }));
    default:
      return [];
  }
}

/** True when evaluating the condition calls the model provider (LLM judges, embeddings), at any depth. */
export function requiresModelProvider(condition: Condition): boolean {
  switch (condition.kind) {
    case 'llm_judged_as':
    case 'llm_not_judged_as':
      return true;
    case 'similarity_gte':
      return condition.method === 'embeddings';
    case 'all_items_match':
    case 'any_item_matches':
      return requiresModelProvider(condition.condition);
    default:
      return false;
  }
}
