import type { Condition, ConditionKind } from './conditions.js';
import type { ConditionKindDefinition, ConditionOf } from './evaluation.js';
import { allItemsMatch } from './kinds/all-items-match.js';
import { anyItemMatches } from './kinds/any-item-matches.js';
import { arrayContains } from './kinds/array-contains.js';
import { between } from './kinds/between.js';
import { contains } from './kinds/contains.js';
import { endsWith } from './kinds/ends-with.js';
import { equals } from './kinds/equals.js';
import { exists } from './kinds/exists.js';
import { jsonSchemaValid } from './kinds/json-schema-valid.js';
import { lengthCompare } from './kinds/length-compare.js';
import { llmJudgedAs } from './kinds/llm-judged-as.js';
import { llmNotJudgedAs } from './kinds/llm-not-judged-as.js';
import { matchesRegex } from './kinds/matches-regex.js';
import { notContains } from './kinds/not-contains.js';
import { notEquals } from './kinds/not-equals.js';
import { notExists } from './kinds/not-exists.js';
import { numberCompare } from './kinds/number-compare.js';
import { objectContains } from './kinds/object-contains.js';
import { similarityGte } from './kinds/similarity-gte.js';
import { splitIouGte } from './kinds/split-iou-gte.js';
import { startsWith } from './kinds/starts-with.js';

type Registry = { readonly [K in ConditionKind]: ConditionKindDefinition<ConditionOf<K>> };

/** One line per condition kind; a kind added to `conditions.ts` does not compile until it is listed here. */
const REGISTRY: Registry = {
  exists,
  not_exists: notExists,
  equals,
  not_equals: notEquals,
  number_compare: numberCompare,
  contains,
  not_contains: notContains,
  object_contains: objectContains,
  array_contains: arrayContains,
  matches_regex: matchesRegex,
  json_schema_valid: jsonSchemaValid,
  similarity_gte: similarityGte,
  llm_judged_as: llmJudgedAs,
  llm_not_judged_as: llmNotJudgedAs,
  length_compare: lengthCompare,
  between,
  starts_with: startsWith,
  ends_with: endsWith,
  all_items_match: allItemsMatch,
  any_item_matches: anyItemMatches,
  split_iou_gte: splitIouGte,
};

/** The definition for a condition's kind, or undefined for a kind this engine does not know. */
export function definitionOf<C extends Condition>(condition: C): ConditionKindDefinition<C> | undefined {
  const kind: unknown = condition?.kind;
  if (typeof kind !== 'string' || !Object.hasOwn(REGISTRY, kind)) return undefined;
  return REGISTRY[kind as ConditionKind] as unknown as ConditionKindDefinition<C>;
}
