import { z } from 'zod';
import { compileRegex } from '../../assertions/regex.js';
import { routeHandleKey } from '../handles.js';
import { isJsonObject } from '../values.js';
import { applyOperator, CONDITION_OPERATORS, UNARY_OPERATORS, type ConditionOperator } from './conditional-operators.js';
import { expandPath, firstConfigIssue, rootedAtData } from './json-path.js';
import { RUN_LIMITS } from './schemas/limits.js';
import type { ConditionEvaluationPerItem, ConditionEvaluationResult, ConditionEvaluationSubCondition, LogicalOperator } from './schemas/artifacts.js';

const SubCondition = z.object({
  id: z.string().nullish(),
  sub_condition_id: z.string().nullish(),
  path: z.string().max(1_000),
  operator: z.enum(CONDITION_OPERATORS, { message: `operator must be one of ${CONDITION_OPERATORS.join(', ')}` }),
  value: z.unknown().optional(),
});

const Condition = z.object({
  id: z.string().nullish(),
  condition_id: z.string().nullish(),
  branch_name: z.string().min(1, 'every branch has a branch_name'),
  handle_key: z.string().nullish(),
  sub_conditions: z
    .array(SubCondition)
    .min(1, 'a branch needs at least one sub-condition')
    .max(RUN_LIMITS.maxSubConditions, `a branch has at most ${RUN_LIMITS.maxSubConditions} sub-conditions`),
  logical_operator: z.enum(['and', 'or']).nullish(),
});

const ConditionalConfigSchema = z.object({
  conditions: z.array(Condition).max(RUN_LIMITS.maxConditions, `a conditional has at most ${RUN_LIMITS.maxConditions} branches`).nullish(),
  has_else: z.boolean().nullish(),
});

export interface ConditionalSubCondition {
  id: string;
  path: string;
  operator: ConditionOperator;
  value: unknown;
}
export interface ConditionalBranch {
  id: string;
  branchName: string;
  /** The output handle the branch routes to, e.g. `output-json-high-value`. */
  handleId: string;
  logicalOperator: LogicalOperator;
  subConditions: ConditionalSubCondition[];
}
export interface ConditionalConfig {
  branches: ConditionalBranch[];
  /** The else handle, or null when `has_else` is false. */
  elseHandleId: string | null;
}

export const ELSE_HANDLE_ID = 'output-json-else';

export type ParsedConditional = { ok: true; config: ConditionalConfig } | { ok: false; message: string };

/**
 * A conditional block's config, checked as strictly as running it needs: known operators, paths
 * that parse, patterns the linear-time engine compiles. Branch and sub-condition ids default to
 * their positions (`condition-0`, `condition-0-1`).
 */
export function parseConditionalConfig(config: unknown): ParsedConditional {
  const parsed = ConditionalConfigSchema.safeParse(isJsonObject(config) ? config : {});
  if (!parsed.success) return { ok: false, message: firstConfigIssue(parsed.error) };
  const branches: ConditionalBranch[] = [];
  for (const [index, condition] of (parsed.data.conditions ?? []).entries()) {
    const branchId = condition.condition_id ?? condition.id ?? `condition-${index}`;
    const subConditions: ConditionalSubCondition[] = [];
    for (const [subIndex, sub] of condition.sub_conditions.entries()) {
      const where = `config.conditions.${index}.sub_conditions.${subIndex}`;
      const expansion = expandPath(null, sub.path, 0);
      if (!expansion.ok) return { ok: false, message: `${where}.path: ${expansion.message}` };
      if (sub.operator === 'matches_regex') {
        if (typeof sub.value !== 'string') return { ok: false, message: `${where}.value: matches_regex needs a pattern (a string).` };
        const compiled = compileRegex(sub.value);
        if (!compiled.ok) return { ok: false, message: `${where}.value: ${compiled.message}` };
      }
      subConditions.push({ id: sub.sub_condition_id ?? sub.id ?? `${branchId}-${subIndex}`, path: sub.path, operator: sub.operator, value: UNARY_OPERATORS.includes(sub.operator) ? null : (sub.value ?? null) });
    }
    branches.push({
      id: branchId,
      branchName: condition.branch_name,
      handleId: `output-json-${routeHandleKey({ name: condition.branch_name, handle_key: condition.handle_key })}`,
      logicalOperator: condition.logical_operator ?? 'and',
      subConditions,
    });
  }
  return { ok: true, config: { branches, elseHandleId: parsed.data.has_else === false ? null : ELSE_HANDLE_ID } };
}

/** The JSON form of a value a path reached: a missing value is recorded as null. */
const recorded = (value: unknown) => (value === undefined ? null : value);

interface Budget {
  itemsLeft: number;
}

type SubOutcome = { ok: true; evaluation: ConditionEvaluationSubCondition } | { ok: false; message: string };

function evaluateSubCondition(sub: ConditionalSubCondition, input: unknown, budget: Budget): SubOutcome {
  const expansion = expandPath({ data: input }, rootedAtData(sub.path), budget.itemsLeft);
  if (!expansion.ok) return { ok: false, message: expansion.message };
  budget.itemsLeft -= expansion.items.length;
  const base = { sub_condition_id: sub.id, path: sub.path, operator: sub.operator, expected: sub.value };
  if (!expansion.wildcard) {
    const [item] = expansion.items;
    const matched = applyOperator(sub.operator, item!, sub.value);
    return { ok: true, evaluation: { ...base, actual: recorded(item!.value), matched, items: null, per_item: null } };
  }
  // A wildcard condition holds when every item holds (Retab's implicit AND); over no items it does not hold.
  const items: ConditionEvaluationPerItem[] = expansion.items.map((item, index) => ({
    index,
    indices: item.indices,
    actual: recorded(item.value),
    matched: applyOperator(sub.operator, item, sub.value),
  }));
  const matched = items.length > 0 && items.every((item) => item.matched);
  return { ok: true, evaluation: { ...base, actual: items.map((item) => item.actual), matched, items, per_item: items } };
}

function branchResult(branch: ConditionalBranch, subs: ConditionEvaluationSubCondition[], matched: boolean): ConditionEvaluationResult {
  const single = subs.length === 1 ? subs[0]! : null;
  const summary = {
    path: single?.path ?? '',
    operator: single?.operator ?? branch.logicalOperator,
    expected: single?.expected ?? null,
    actual: single?.actual ?? null,
    matched,
    items: single?.items ?? null,
    per_item: single?.per_item ?? null,
  };
  return {
    condition_id: branch.id,
    branch_name: branch.branchName,
    logical_operator: branch.logicalOperator,
    ...summary,
    sub_evaluations: subs,
    details: { ...summary, sub_conditions: subs, logical_operator: branch.logicalOperator },
  };
}

export interface ConditionalDecision {
  /** The output handles the input goes out on: the first matching branch's, else the else handle, else none. */
  selectedHandles: string[];
  matchedBranchId: string | null;
  matchedConditionIds: string[];
  /** Each branch evaluated, in order, up to and including the one that matched. */
  evaluations: ConditionEvaluationResult[];
}

export type ConditionalOutcome = { ok: true; decision: ConditionalDecision } | { ok: false; message: string };

/**
 * Routes `input` through a conditional block: branches are tried in order and the first whose
 * condition holds is taken; when none holds the else branch is taken if the block has one, and
 * nothing is taken otherwise. `and` needs every sub-condition, `or` one; evaluation stops at the
 * first branch taken. All wildcard paths of one evaluation together visit at most
 * RUN_LIMITS.maxWildcardItems items; past that the evaluation fails with a message.
 */
export function evaluateConditional(config: ConditionalConfig, input: unknown): ConditionalOutcome {
  const budget: Budget = { itemsLeft: RUN_LIMITS.maxWildcardItems };
  const evaluations: ConditionEvaluationResult[] = [];
  for (const branch of config.branches) {
    const subs: ConditionEvaluationSubCondition[] = [];
    for (const sub of branch.subConditions) {
      const outcome = evaluateSubCondition(sub, input, budget);
      if (!outcome.ok) return { ok: false, message: `Branch "${branch.branchName}": ${outcome.message}.` };
      subs.push(outcome.evaluation);
    }
    const matched = branch.logicalOperator === 'and' ? subs.every((sub) => sub.matched) : subs.some((sub) => sub.matched);
    evaluations.push(branchResult(branch, subs, matched));
    if (matched) return { ok: true, decision: { selectedHandles: [branch.handleId], matchedBranchId: branch.id, matchedConditionIds: [branch.id], evaluations } };
  }
  const selectedHandles = config.elseHandleId === null ? [] : [config.elseHandleId];
  return { ok: true, decision: { selectedHandles, matchedBranchId: config.elseHandleId === null ? null : 'else', matchedConditionIds: [], evaluations } };
}
