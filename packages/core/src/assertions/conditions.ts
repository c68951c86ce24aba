import { z } from 'zod';

export const CompareOp = z.enum(['gt', 'gte', 'lt', 'lte', 'eq', 'neq']);
export type CompareOp = z.infer<typeof CompareOp>;

const kind = <K extends string>(name: K) => z.literal(name);
const anyJson = z.unknown().refine((value) => value !== undefined, { message: 'Required: give the expected value.' });

export const ExistsCondition = z.strictObject({ kind: kind('exists') });
export const NotExistsCondition = z.strictObject({ kind: kind('not_exists') });
export const EqualsCondition = z.strictObject({ kind: kind('equals'), expected: anyJson });
export const NotEqualsCondition = z.strictObject({ kind: kind('not_equals'), expected: anyJson });
export const NumberCompareCondition = z.strictObject({ kind: kind('number_compare'), op: CompareOp, expected: z.number() });
export const ContainsCondition = z.strictObject({ kind: kind('contains'), expected: anyJson });
export const NotContainsCondition = z.strictObject({ kind: kind('not_contains'), expected: anyJson });
export const ObjectContainsCondition = z.strictObject({ kind: kind('object_contains'), expected: z.record(z.string(), z.unknown()) });
export const ArrayContainsCondition = z.strictObject({ kind: kind('array_contains'), expected: z.record(z.string(), z.unknown()) });
export const MatchesRegexCondition = z.strictObject({ kind: kind('matches_regex'), pattern: z.string() });
export const JsonSchemaValidCondition = z.strictObject({
  kind: kind('json_schema_valid'),
  schema: z.record(z.string(), z.unknown()).nullable().optional(),
});
export const SimilarityGteCondition = z.strictObject({
  kind: kind('similarity_gte'),
  reference: anyJson,
  threshold: z.number().min(0).max(1),
  method: z.enum(['levenshtein', 'embeddings']).default('levenshtein'),
});
export const LlmJudgedAsCondition = z.strictObject({
  kind: kind('llm_judged_as'),
  rubric: z.string().min(1),
  expected_label: z.string().nullable().optional(),
});
export const LlmNotJudgedAsCondition = z.strictObject({
  kind: kind('llm_not_judged_as'),
  rubric: z.string().min(1),
  expected_label: z.string().nullable().optional(),
});
export const LengthCompareCondition = z.strictObject({ kind: kind('length_compare'), op: CompareOp, expected: z.number().int().min(0) });
export const BetweenCondition = z.strictObject({
  kind: kind('between'),
  lower: z.number(),
  upper: z.number(),
  inclusive: z.boolean().default(true),
});
export const StartsWithCondition = z.strictObject({ kind: kind('starts_with'), expected: z.string() });
export const EndsWithCondition = z.strictObject({ kind: kind('ends_with'), expected: z.string() });
export const SplitIouCondition = z.strictObject({
  kind: kind('split_iou_gte'),
  expected: z.object({
    splits: z.array(z.object({ name: z.string(), pages: z.array(z.number().int()) })),
  }),
  threshold: z.number().min(0).max(1).default(1),
});

/** The 21 condition kinds of Retab's SDK at 393edb37; item conditions nest recursively. */
export type Condition =
  | z.infer<typeof ExistsCondition>
  | z.infer<typeof NotExistsCondition>
  | z.infer<typeof EqualsCondition>
  | z.infer<typeof NotEqualsCondition>
  | z.infer<typeof NumberCompareCondition>
  | z.infer<typeof ContainsCondition>
  | z.infer<typeof NotContainsCondition>
  | z.infer<typeof ObjectContainsCondition>
  | z.infer<typeof ArrayContainsCondition>
  | z.infer<typeof MatchesRegexCondition>
  | z.infer<typeof JsonSchemaValidCondition>
  | z.infer<typeof SimilarityGteCondition>
  | z.infer<typeof LlmJudgedAsCondition>
  | z.infer<typeof LlmNotJudgedAsCondition>
  | z.infer<typeof LengthCompareCondition>
  | z.infer<typeof BetweenCondition>
  | z.infer<typeof StartsWithCondition>
  | z.infer<typeof EndsWithCondition>
  | { kind: 'all_items_match'; condition: Condition }
  | { kind: 'any_item_matches'; condition: Condition }
  | z.infer<typeof SplitIouCondition>;

export type ConditionKind = Condition['kind'];

export const AllItemsMatchCondition = z.strictObject({
  kind: kind('all_items_match'),
  get condition(): z.ZodType<Condition> {
    return ConditionSchema;
  },
});
export const AnyItemMatchesCondition = z.strictObject({
  kind: kind('any_item_matches'),
  get condition(): z.ZodType<Condition> {
    return ConditionSchema;
  },
});

export const ConditionSchema: z.ZodType<Condition> = z
  .discriminatedUnion('kind', [
    ExistsCondition,
    NotExistsCondition,
    EqualsCondition,
    NotEqualsCondition,
    NumberCompareCondition,
    ContainsCondition,
    NotContainsCondition,
    ObjectContainsCondition,
    ArrayContainsCondition,
    MatchesRegexCondition,
    JsonSchemaValidCondition,
    SimilarityGteCondition,
    LlmJudgedAsCondition,
    LlmNotJudgedAsCondition,
    LengthCompareCondition,
    BetweenCondition,
    StartsWithCondition,
    EndsWithCondition,
    AllItemsMatchCondition,
    AnyItemMatchesCondition,
    SplitIouCondition,
  ])
  .meta({ id: 'Condition' }) as z.ZodType<Condition>;

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Retab's Node SDK can send the domain name `expectedLabel` of an llm_judged_as / llm_not_judged_as
 * condition instead of the wire name: it is read as `expected_label` (the wire name wins when both
 * come), at any level of item conditions. Walks the `condition` chain in a loop, not by recursion.
 */
export function wireNamesOfCondition(value: unknown): unknown {
  const chain: Record<string, unknown>[] = [];
  for (let current = value; isRecord(current); current = current.condition) chain.push({ ...current });
  if (chain.length === 0) return value;
  for (const link of chain) {
    if (!('expectedLabel' in link)) continue;
    if (!('expected_label' in link)) link.expected_label = link.expectedLabel;
    delete link.expectedLabel;
  }
  for (let i = chain.length - 2; i >= 0; i--) chain[i]!.condition = chain[i + 1];
  return chain[0];
}

/** A condition as requests send it: `ConditionSchema` after `wireNamesOfCondition`. Requests only: answers are encoded with `ConditionSchema`. */
export const ConditionInputSchema: z.ZodType<Condition> = z.preprocess(wireNamesOfCondition, ConditionSchema) as unknown as z.ZodType<Condition>;
