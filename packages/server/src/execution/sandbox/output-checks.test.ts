import assert from 'node:assert/strict';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { after, before, describe, test } from 'node:test';
import { MAX_JSON_DEPTH } from '@verdict/core';
import { SandboxPool } from './pool.js';
import type { OutputCheck, SandboxJob, SandboxOutcome } from './types.js';

const RETURN_INPUT = 'function transform(input) { return input; }';
/** `{ "s": "<n characters>" }` with `input.unit` repeated: JSON of 8 + n × bytes-per-unit bytes. */
const STRING_OF = 'function transform(input) { return { s: input.unit.repeat(input.n) }; }';
const NESTED = 'function transform(input) { let value = 1; for (let i = 0; i < input.depth; i++) value = [value]; return value; }';
const TWO_RANDOMS = 'function transform() { return [Math.random(), Math.random()]; }';
/** Objects that differ only in their last key: ajv compares every pair for uniqueItems. */
const DISTINCT_OBJECTS = 'function transform(input) { return Array.from({ length: input.n }, (_, i) => ({ a: 1, b: 2, c: 3, i })); }';

function job(code: string, input: unknown, overrides: Partial<SandboxJob> = {}): SandboxJob {
  return { codeKey: code, code, input, timeoutMs: 10_000, ...overrides };
}

/** An assertion as stored: JSON text. */
function assertion(condition: Record<string, unknown>, path: string | null = null, handle = 'output-json-0'): string {
  return JSON.stringify({ id: 'assert_1', target: { output_handle_id: handle, path }, condition, label: null });
}

function check(overrides: Partial<OutputCheck>): OutputCheck {
  return { outputSchemaJson: null, assertionJson: null, handleId: 'output-json-0', ...overrides };
}

function failure(outcome: SandboxOutcome): { reason: string; message: string; details?: Record<string, unknown> } {
  assert.equal(outcome.ok, false, `expected a failure, got ${outcome.ok ? outcome.outputJson.slice(0, 200) : ''}`);
  return outcome as { reason: string; message: string; details?: Record<string, unknown> };
}

/** The next value QuickJS's native Math.random (xorshift64*) would return after `a` and `b`, recovered from them. */
function nativeRandomAfter(a: number, b: number): number | undefined {
  const M = 0x2545f4914f6cdd1dn;
  const MASK = (1n << 64n) - 1n;
  let inverse = M;
  for (let i = 0; i < 6; i++) inverse = (inverse * (2n - M * inverse)) & MASK;
  const step = (x: bigint) => {
    x ^= x >> 12n;
    x ^= (x << 25n) & MASK;
    x ^= x >> 27n;
    return x & MASK;
  };
  const top52 = (r: number) => BigInt(Math.round(r * 2 ** 52));
  for (let low = 0n; low < 4096n; low++) {
    const state = step((((top52(a) << 12n) | low) * inverse) & MASK);
    if ((((state * M) & MASK) >> 12n) === top52(b)) return Number(((step(state) * M) & MASK) >> 12n) / 2 ** 52;
  }
  return undefined;
}

describe('output limits, in the sandbox thread', () => {
  const LIMIT = 1000;
  let pool: SandboxPool;
  before(() => {
    pool = new SandboxPool({ size: 1, maxOutputBytes: LIMIT });
  });
  after(() => pool.close());

  test('an output at the limit passes; one byte over fails output_too_large, naming its size and the limit', async () => {
    const atLimit = await pool.run(job(STRING_OF, { unit: 'x', n: LIMIT - 8 }));
    assert.ok(atLimit.ok, JSON.stringify(atLimit));
    assert.equal(Buffer.byteLength(atLimit.outputJson), LIMIT);

    const over = failure(await pool.run(job(STRING_OF, { unit: 'x', n: LIMIT - 7 })));
    assert.equal(over.reason, 'output_too_large');
    assert.match(over.message, /transform returned 1,001 bytes of JSON; a block's output may be at most 1,000 bytes \(VERDICT_MAX_OUTPUT_BYTES\)/);
    assert.deepEqual(over.details, { output_bytes: 1001, limit_bytes: LIMIT });
  });

  test('the limit counts UTF-8 bytes, not characters', async () => {
    // 330 × 3 bytes + 8 = 998 bytes in 338 characters; one more character is 1,001 bytes.
    assert.ok((await pool.run(job(STRING_OF, { unit: '東', n: 330 }))).ok);
    assert.equal(failure(await pool.run(job(STRING_OF, { unit: '東', n: 331 }))).details?.output_bytes, 1001);
    assert.equal(failure(await pool.run(job(STRING_OF, { unit: '🎉', n: 249 }))).details?.output_bytes, 1004);
  });

  test(`an output nested deeper than ${MAX_JSON_DEPTH} levels fails, naming the limit; ${MAX_JSON_DEPTH} levels pass`, async () => {
    const roomy = new SandboxPool({ size: 1 });
    try {
      const deepest = await roomy.run(job(NESTED, { depth: MAX_JSON_DEPTH }));
      assert.ok(deepest.ok, JSON.stringify(deepest));
      const tooDeep = failure(await roomy.run(job(NESTED, { depth: 6000 })));
      assert.equal(tooDeep.reason, 'output_too_deep');
      assert.equal(
        tooDeep.message,
        `transform returned JSON nested more than ${MAX_JSON_DEPTH} levels deep; a block's output may nest at most ${MAX_JSON_DEPTH} levels of arrays and objects`,
      );
      assert.ok((await roomy.run(job(RETURN_INPUT, 'still fine'))).ok, 'the thread goes on');
    } finally {
      await roomy.close();
    }
  });
});

describe('Math.random in a reused realm', () => {
  test('a job cannot predict the numbers of the next job on its thread', async () => {
    const pool = new SandboxPool({ size: 1 });
    try {
      const draws: number[][] = [];
      for (let run = 0; run < 20; run++) {
        const outcome = await pool.run(job(TWO_RANDOMS, null));
        assert.ok(outcome.ok);
        draws.push(outcome.output as number[]);
      }
      for (const value of draws.flat()) assert.ok(value >= 0 && value < 1);
      assert.equal(new Set(draws.flat()).size, 40, 'every number differs');
      for (let run = 1; run < draws.length; run++) {
        const [a, b] = draws[run - 1]!;
        assert.notEqual(draws[run]![0], nativeRandomAfter(a!, b!), `job ${run} drew what job ${run - 1} could predict`);
      }
    } finally {
      await pool.close();
    }
  });
});

describe('checks of the output, in the sandbox thread', () => {
  let pool: SandboxPool;
  before(() => {
    pool = new SandboxPool({ size: 2 });
  });
  after(() => pool.close());

  test('the assertion is evaluated in the thread: its verdict and result come back as JSON text', async () => {
    const passed = await pool.run(job(RETURN_INPUT, { total: 12 }, { check: check({ assertionJson: assertion({ kind: 'equals', expected: 12 }, 'total') }) }));
    assert.ok(passed.ok && passed.checked?.kind === 'evaluated');
    assert.equal(passed.checked.verdict, 'passed');
    assert.equal(JSON.parse(passed.checked.assertionResultJson).actual_value, 12);
    const failed = await pool.run(job(RETURN_INPUT, { total: 11 }, { check: check({ assertionJson: assertion({ kind: 'equals', expected: 12 }, 'total') }) }));
    assert.ok(failed.ok && failed.checked?.kind === 'evaluated' && failed.checked.verdict === 'failed');
  });

  test('output_schema is checked first: a mismatch or an invalid schema is reported, the assertion is not evaluated', async () => {
    const schema = JSON.stringify({ type: 'object', required: ['total'] });
    const mismatch = await pool.run(job(RETURN_INPUT, { sum: 1 }, { check: check({ outputSchemaJson: schema, assertionJson: assertion({ kind: 'exists' }) }) }));
    assert.ok(mismatch.ok && mismatch.checked?.kind === 'output_schema_mismatch');
    assert.deepEqual(mismatch.checked.issues, [{ path: '', message: "must have required property 'total'" }]);
    const invalid = await pool.run(job(RETURN_INPUT, 1, { check: check({ outputSchemaJson: '{"type":"strin"}' }) }));
    assert.ok(invalid.ok && invalid.checked?.kind === 'output_schema_invalid');
  });

  test('a job without code checks the output it is given', async () => {
    const outcome = await pool.check('{"output-file-a":{"type":"file"}}', check({ assertionJson: assertion({ kind: 'exists' }, 'type', 'output-file-a'), handleId: null }), 'org_checks');
    assert.ok(outcome.ok && outcome.checked?.kind === 'evaluated' && outcome.checked.verdict === 'passed');
  });

});

describe('the check deadline', () => {
  let pool: SandboxPool;
  before(() => {
    pool = new SandboxPool({ size: 2, checkTimeoutMs: 400 });
  });
  after(() => pool.close());

  const slowChecks: [string, string, unknown, Partial<OutputCheck>, string][] = [
    [
      'uniqueItems over 20,000 objects in output_schema',
      DISTINCT_OBJECTS,
      { n: 20_000 },
      { outputSchemaJson: JSON.stringify({ type: 'array', uniqueItems: true }) },
      'checking the output against its JSON Schema',
    ],
    [
      'uniqueItems over 20,000 objects in json_schema_valid',
      DISTINCT_OBJECTS,
      { n: 20_000 },
      { assertionJson: assertion({ kind: 'json_schema_valid', schema: { type: 'array', uniqueItems: true } }) },
      'evaluating the assertion',
    ],
    [
      'an enum of 20,000 objects checked on 5,000 items',
      DISTINCT_OBJECTS,
      { n: 5000 },
      {
        assertionJson: assertion({
          kind: 'json_schema_valid',
          schema: { type: 'array', items: { enum: Array.from({ length: 20_000 }, (_, i) => ({ a: 1, b: 2, c: 3, i: -i })) } },
        }),
      },
      'evaluating the assertion',
    ],
  ];
  for (const [name, code, input, checks, what] of slowChecks) {
    test(`${name}: stopped at the check deadline, and the main thread never waits for it`, async () => {
      const delay = monitorEventLoopDelay({ resolution: 10 });
      delay.enable();
      const started = performance.now();
      const outcome = failure(await pool.run(job(code, input, { check: check(checks) })));
      const tookMs = performance.now() - started;
      delay.disable();
      assert.equal(outcome.reason, 'check_timeout', outcome.message);
      assert.equal(outcome.message, `${what} took longer than the 400 ms check deadline (VERDICT_CHECK_TIMEOUT_MS), and was stopped`);
      assert.ok(tookMs < 5000, `stopped after ${tookMs} ms`);
      assert.ok(delay.max / 1e6 < 500, `the main thread's event loop was held ${delay.max / 1e6} ms`);
      assert.ok((await pool.run(job(RETURN_INPUT, 'next'))).ok, 'the pool goes on');
    });
  }

  test('a check deadline applies to the checks only: a slow transform keeps its own timeout', async () => {
    const slow = 'function transform() { const end = Date.now() + 700; while (Date.now() < end) {} return 1; }';
    const outcome = await pool.run(job(slow, null, { timeoutMs: 2000, check: check({ assertionJson: assertion({ kind: 'equals', expected: 1 }) }) }));
    assert.ok(outcome.ok && outcome.checked?.kind === 'evaluated' && outcome.checked.verdict === 'passed', JSON.stringify(outcome));
  });
});
