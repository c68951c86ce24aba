import { describe } from 'node:test';
import { testCases } from '../test-support.js';

const splits = (...entries: [string, number[]][]) => ({ splits: entries.map(([name, pages]) => ({ name, pages })) });
const iouGte = (expected: unknown, threshold?: number) => ({ kind: 'split_iou_gte', expected, ...(threshold === undefined ? {} : { threshold }) });
const expected = splits(['invoice', [1, 2]], ['receipt', [3]]);

describe('split_iou_gte', () => {
  testCases([
    { name: 'identical splits score 1 and pass the default threshold', condition: iouGte(expected), actual: splits(['receipt', [3]], ['invoice', [2, 1]]), outcome: 'passed', score: 1 },
    { name: 'a bare list of splits is accepted', condition: iouGte(expected), actual: expected.splits, outcome: 'passed', score: 1 },
    {
      name: 'a partial overlap is the mean IoU over names',
      condition: iouGte(expected),
      actual: splits(['invoice', [2, 3]], ['receipt', [3]]),
      outcome: 'failed',
      score: (1 / 3 + 1) / 2,
      message: /split IoU at `value` is 0.667, below the threshold 1 \(lowest: "invoice" 0.33\)/,
      details: { split_ious: { invoice: 1 / 3, receipt: 1 } },
    },
    { name: 'a partial overlap passes a lower threshold', condition: iouGte(expected, 0.6), actual: splits(['invoice', [2, 3]], ['receipt', [3]]), outcome: 'passed', score: 2 / 3 },
    { name: 'a name missing on one side counts as IoU 0', condition: iouGte(expected, 0), actual: splits(['invoice', [1, 2]], ['receipt', [3]], ['other', [4]]), outcome: 'passed', score: 2 / 3 },
    { name: 'splits with one name pool their pages', condition: iouGte(splits(['doc', [1, 2, 3]])), actual: splits(['doc', [1]], ['doc', [2, 3]]), outcome: 'passed', score: 1 },
    { name: 'both sides empty score 1', condition: iouGte(splits()), actual: [], outcome: 'passed', score: 1 },
    { name: 'a name with no pages on both sides scores 1', condition: iouGte(splits(['blank', []])), actual: splits(['blank', []]), outcome: 'passed', score: 1 },
    { name: 'a non-split value is a type error', condition: iouGte(expected), actual: 'invoice', outcome: 'blocked', code: 'type_error', message: /expected splits at `value`.*found the string "invoice"/ },
    { name: 'a split without a name is a type error', condition: iouGte(expected), actual: [{ pages: [1] }], outcome: 'blocked', code: 'type_error', message: /split 0 has no string `name`/ },
    { name: 'fractional pages are a type error', condition: iouGte(expected), actual: [{ name: 'invoice', pages: [1.5] }], outcome: 'blocked', code: 'type_error', message: /list of integer `pages`/ },
  ]);
});
