// Laws that must hold for every input, checked with generated values (fast-check).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { evaluateAssertion } from './evaluate.js';
import { levenshteinSimilarity } from './similarity.js';
import { evaluateOn } from './test-support.js';
import { REASONING_PREFIX } from './values.js';

const json = fc.jsonValue({ maxDepth: 3 });
/** Pairs that are sometimes equal, so both branches of each law get exercised. */
const jsonPair = fc.oneof(fc.tuple(json, json), json.map((value) => [value, structuredClone(value)] as [unknown, unknown]));

/** Adds `reasoning___…` side-cars to every object of `value`, at any depth. */
function withReasoning(value: unknown, note: string): unknown {
  if (Array.isArray(value)) return value.map((item) => withReasoning(item, note));
  if (value === null || typeof value !== 'object') return value;
  // fromEntries defines own properties, so a generated `__proto__` key stays a key.
  const entries = Object.entries(value).map(([key, item]) => [key, withReasoning(item, note)]);
  return Object.fromEntries([...entries, [`${REASONING_PREFIX}${note}`, { why: note }]]);
}

describe('laws', () => {
  test('not_equals is the negation of equals', async () => {
    await fc.assert(
      fc.asyncProperty(jsonPair, async ([actual, expected]) => {
        const equal = await evaluateOn({ kind: 'equals', expected }, actual);
        const different = await evaluateOn({ kind: 'not_equals', expected }, actual);
        assert.equal(equal.outcome === 'passed', different.outcome === 'failed');
        assert.notEqual(equal.outcome, 'blocked');
      }),
    );
  });

  test('equals ignores reasoning___ keys at any depth, on either side', async () => {
    await fc.assert(
      fc.asyncProperty(json, fc.string({ maxLength: 8 }), async (value, note) => {
        assert.equal((await evaluateOn({ kind: 'equals', expected: value }, withReasoning(value, note))).outcome, 'passed');
        assert.equal((await evaluateOn({ kind: 'equals', expected: withReasoning(value, note) }, value)).outcome, 'passed');
      }),
    );
  });

  test('not_contains is the negation of contains wherever neither is blocked', async () => {
    const haystack = fc.oneof(json, fc.string(), fc.array(json, { maxLength: 4 }), fc.dictionary(fc.string({ maxLength: 3 }), json, { maxKeys: 4 }));
    const needle = fc.oneof(json, fc.string({ maxLength: 3 }));
    await fc.assert(
      fc.asyncProperty(haystack, needle, async (actual, expected) => {
        const contains = await evaluateOn({ kind: 'contains', expected }, actual);
        const notContains = await evaluateOn({ kind: 'not_contains', expected }, actual);
        assert.equal(contains.outcome === 'blocked', notContains.outcome === 'blocked');
        if (contains.outcome !== 'blocked') assert.equal(contains.outcome === 'passed', notContains.outcome === 'failed');
      }),
    );
  });

  test('not_exists is the negation of exists, and neither ever blocks', async () => {
    const path = fc.constantFrom('a', 'a.b', 'a[0]', 'a.0.b', '[1]', 'b.c.d');
    await fc.assert(
      fc.asyncProperty(json, path, async (payload, target) => {
        const spec = (kind: string) => ({ id: 'assert_law', target: { output_handle_id: 'h', path: target }, condition: { kind } as never, label: null });
        const exists = await evaluateAssertion(spec('exists'), { h: payload });
        const notExists = await evaluateAssertion(spec('not_exists'), { h: payload });
        assert.notEqual(exists.outcome, 'blocked');
        assert.equal(exists.outcome === 'passed', notExists.outcome === 'failed');
      }),
    );
  });

  test('levenshtein similarity of identical values is 1 and similarity is symmetric', async () => {
    await fc.assert(
      fc.asyncProperty(json, async (value) => {
        const result = await evaluateOn({ kind: 'similarity_gte', reference: structuredClone(value), threshold: 1 }, value);
        assert.deepEqual([result.outcome, result.score], ['passed', 1]);
      }),
    );
    fc.assert(
      fc.property(fc.string({ maxLength: 30 }), fc.string({ maxLength: 30 }), (a, b) => {
        const forward = levenshteinSimilarity(a, b);
        const backward = levenshteinSimilarity(b, a);
        assert.ok(forward.ok && backward.ok);
        assert.equal(forward.score, backward.score);
        assert.ok(forward.score >= 0 && forward.score <= 1);
      }),
    );
  });

  test('split IoU of identical splits is 1 and IoU is symmetric', async () => {
    const splits = fc.array(fc.record({ name: fc.constantFrom('invoice', 'receipt', 'id'), pages: fc.array(fc.integer({ min: 1, max: 8 }), { maxLength: 5 }) }), { maxLength: 4 });
    const scoreOf = async (expected: unknown, actual: unknown) => (await evaluateOn({ kind: 'split_iou_gte', expected: { splits: expected }, threshold: 0 }, actual)).score;
    await fc.assert(
      fc.asyncProperty(splits, splits, async (a, b) => {
        assert.equal(await scoreOf(a, { splits: a }), 1);
        assert.equal(await scoreOf(a, b), await scoreOf(b, a));
      }),
    );
  });

  test('all_items_match on [] passes and any_item_matches on [] fails, whatever the item condition', async () => {
    const itemCondition = fc.constantFrom<unknown>(
      { kind: 'exists' },
      { kind: 'equals', expected: 1 },
      { kind: 'matches_regex', pattern: '(a)\\1' },
      { kind: 'llm_judged_as', rubric: 'r' },
      { kind: 'all_items_match', condition: { kind: 'not_exists' } },
    );
    await fc.assert(
      fc.asyncProperty(itemCondition, async (condition) => {
        assert.equal((await evaluateOn({ kind: 'all_items_match', condition }, [])).outcome, 'passed');
        const any = await evaluateOn({ kind: 'any_item_matches', condition }, []);
        assert.deepEqual([any.outcome, any.failure?.code], ['failed', 'condition_not_met']);
      }),
    );
  });
});
