import { blocked, notMet, passed, type ConditionKindDefinition, type ConditionOf, type Evaluation } from '../evaluation.js';
import { at } from '../path.js';
import { reaches } from '../similarity.js';
import { describeValue, isPlainObject } from '../values.js';

/** Pages of each named subdocument; several splits with one name pool their pages. */
type SplitPages = Map<string, Set<number>>;

type ParsedSplits = { ok: true; splits: SplitPages } | { ok: false; problem: string };

export const splitIouGte: ConditionKindDefinition<ConditionOf<'split_iou_gte'>> = {
  expectedValue: (condition) => condition.expected,
  metric: (condition) => ({ metricKind: 'split_iou', threshold: condition.threshold }),
  evaluate(condition, actual, context) {
    const actualSplits = parseSplits(actual);
    if (!actualSplits.ok) return malformed(`${at(context.location)}`, actualSplits.problem);
    const expectedSplits = parseSplits(condition.expected);
    if (!expectedSplits.ok) return malformed('in the condition', expectedSplits.problem);
    const ious = splitIous(expectedSplits.splits, actualSplits.splits);
    const score = meanIou(ious);
    if (reaches(score, condition.threshold)) return passed(score);
    const worst = [...ious].filter(([, iou]) => iou < 1).sort((a, b) => a[1] - b[1]);
    const listed = worst.slice(0, 3).map(([name, iou]) => `${JSON.stringify(name)} ${iou.toFixed(2)}`).join(', ');
    return notMet(
      `split IoU ${at(context.location)} is ${score.toFixed(3)}, below the threshold ${condition.threshold} (lowest: ${listed})`,
      { split_ious: Object.fromEntries(ious) },
      score,
    );
  },
};

function malformed(where: string, problem: string): Evaluation {
  return blocked('type_error', `expected splits ${where} ({"splits": [{"name": …, "pages": [1, 2]}]} or a list of splits), but ${problem}`);
}

/** Reads `{splits: [{name, pages}]}` or a bare list of splits. */
function parseSplits(value: unknown): ParsedSplits {
  const list = isPlainObject(value) ? value.splits : value;
  if (!Array.isArray(list)) return { ok: false, problem: `found ${describeValue(value)}` };
  const splits: SplitPages = new Map();
  for (let index = 0; index < list.length; index++) {
    const split: unknown = list[index];
    if (!isPlainObject(split) || typeof split.name !== 'string') return { ok: false, problem: `split ${index} has no string \`name\`` };
    if (!Array.isArray(split.pages) || !split.pages.every(Number.isInteger)) {
      return { ok: false, problem: `split ${index} (${JSON.stringify(split.name)}) has no list of integer \`pages\`` };
    }
    const pages = splits.get(split.name) ?? new Set<number>();
    for (const page of split.pages as number[]) pages.add(page);
    splits.set(split.name, pages);
  }
  return { ok: true, splits };
}

/**
 * IoU of the page sets per name over the union of names; a name missing on one side has no pages
 * there. Names are sorted so that the mean is summed in one order: the score is exactly symmetric.
 */
function splitIous(expected: SplitPages, actual: SplitPages): Map<string, number> {
  const ious = new Map<string, number>();
  for (const name of [...new Set([...expected.keys(), ...actual.keys()])].sort()) {
    ious.set(name, iou(expected.get(name), actual.get(name)));
  }
  return ious;
}

function iou(a: Set<number> | undefined, b: Set<number> | undefined): number {
  const sizeA = a?.size ?? 0;
  const sizeB = b?.size ?? 0;
  if (sizeA === 0 && sizeB === 0) return 1;
  let intersection = 0;
  if (a && b) for (const page of a) if (b.has(page)) intersection += 1;
  return intersection / (sizeA + sizeB - intersection);
}

/** Mean IoU over names; two empty split lists are identical, so 1. */
function meanIou(ious: Map<string, number>): number {
  if (ious.size === 0) return 1;
  let sum = 0;
  for (const value of ious.values()) sum += value;
  return sum / ious.size;
}
