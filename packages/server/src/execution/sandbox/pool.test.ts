import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { readdirSync, readFileSync } from 'node:fs';
import { TENANT_CODE_NICENESS } from '../thread-priority.js';
import { SandboxPool } from './pool.js';
import type { SandboxJob, SandboxOutcome } from './types.js';

const PASS_THROUGH = 'function transform(input) { return input; }';
const BUSY_LOOP = 'function transform() { while (true) {} }';
/** A naive substring search over 2e6 × 2e4 characters: ~50 s inside one native call, where QuickJS's interrupt handler is not called. */
const LONG_NATIVE_CALL = 'function transform() { return "a".repeat(2e6).indexOf("a".repeat(2e4) + "b"); }';
/** Generous bound for "promptly" on a loaded 2-core CI machine. */
const PROMPT_MS = 1000;

function job(code: string, input: unknown = null, overrides: Partial<SandboxJob> = {}): SandboxJob {
  return { codeKey: `key-${code.length}`, code, input, timeoutMs: 2000, ...overrides };
}

function expectFailure(outcome: SandboxOutcome, reason: string, message?: RegExp): void {
  assert.equal(outcome.ok, false, `expected ${reason}, got ${JSON.stringify(outcome)}`);
  if (outcome.ok) return;
  assert.equal(outcome.reason, reason, outcome.message);
  if (message) assert.match(outcome.message, message);
}

async function expectHealthy(pool: SandboxPool): Promise<void> {
  const outcome = await pool.run(job(PASS_THROUGH, { still: 'fine' }));
  assert.deepEqual(outcome.ok && outcome.output, { still: 'fine' });
}

async function waitUntilBusy(pool: SandboxPool, busy: number): Promise<void> {
  for (let waited = 0; pool.stats().busy < busy; waited += 5) {
    if (waited > PROMPT_MS) assert.fail(`pool never had ${busy} busy threads: ${JSON.stringify(pool.stats())}`);
    await sleep(5);
  }
}

describe('SandboxPool', () => {
  let pool: SandboxPool;
  before(() => {
    pool = new SandboxPool({ size: 2 });
  });
  after(() => pool.close());

  describe('values in and out', () => {
    test('a pass-through transform returns its input', async () => {
      const input = { invoice: 'INV-1', lines: [{ sku: 'A', qty: 2 }] };
      const outcome = await pool.run(job(PASS_THROUGH, input));
      assert.equal(outcome.ok, true);
      assert.deepEqual(outcome.ok && outcome.output, input);
    });

    const roundTrips: Array<[string, unknown]> = [
      ['integers and floats', [0, -7, 3.14159, 1e21, -2.5e-7, Number.MAX_SAFE_INTEGER]],
      ['strings with escapes and non-ASCII', ['', 'quote " backslash \\ newline \n tab \t', 'café 東京 🎉', '\u0000\u001f']],
      ['nested objects, arrays, booleans and null', { a: { b: [{ c: null }, [true, false]], d: {} }, e: [] }],
      ['a bare string', 'just text'],
      ['null', null],
    ];
    for (const [name, value] of roundTrips) {
      test(`round trip: ${name}`, async () => {
        const outcome = await pool.run(job(PASS_THROUGH, value));
        assert.deepEqual(outcome.ok && outcome.output, value);
      });
    }

    test('computes with the input (line-item total)', async () => {
      const code = 'function transform(input) { return { total: input.items.reduce((sum, item) => sum + item.price * item.qty, 0) }; }';
      const outcome = await pool.run(job(code, { items: [{ price: 2.5, qty: 4 }, { price: 1, qty: 3 }] }));
      assert.deepEqual(outcome.ok && outcome.output, { total: 13 });
    });

    test('an input given as JSON text with a key path: transform gets the value there, null where a key is missing', async () => {
      const json = JSON.stringify({ handle_inputs: { 'input-json-0': { type: 'json', data: { n: 1, list: [2] } }, 'input-file-0': { type: 'file', document: {} } } });
      const at = async (...path: string[]) => {
        const outcome = await pool.run({ ...job(PASS_THROUGH, undefined), inputIn: { json, path } });
        assert.equal(outcome.ok, true, JSON.stringify(outcome));
        return outcome.ok && outcome.output;
      };
      assert.deepEqual(await at('handle_inputs', 'input-json-0', 'data'), { n: 1, list: [2] });
      assert.deepEqual(await at('handle_inputs', 'input-json-0', 'data', 'list', '0'), 2);
      assert.deepEqual(await at(), JSON.parse(json));
      assert.equal(await at('handle_inputs', 'input-file-0', 'data'), null, 'a file handle has no data');
      assert.equal(await at('handle_inputs', 'input-json-1', 'data'), null, 'a missing handle');
      assert.equal(await at('handle_inputs', 'constructor'), null, 'inherited properties are not keys of the input');
      assert.equal(await at('handle_inputs', 'input-json-0', 'type', 'length'), null, 'a string has no keys');
    });

    test('accepts `const transform = …` and async transforms', async () => {
      const arrow = await pool.run(job('const transform = (input) => input.n * 10;', { n: 4 }));
      assert.deepEqual(arrow.ok && arrow.output, 40);
      const asynchronous = await pool.run(job('async function transform(input) { await null; return [input.n]; }', { n: 4 }));
      assert.deepEqual(asynchronous.ok && asynchronous.output, [4]);
    });
  });

  describe('isolation', () => {
    // Each write to a built-in or the global object throws (they are frozen); the job goes on.
    const LEAKY = `
      var runs = (typeof runs === 'number' ? runs : 0) + 1;
      function attempt(write) { try { write(); } catch {} }
      function transform() {
        const seen = {
          runs,
          globalLeak: typeof globalThis.leaked,
          prototypeLeak: typeof [].injected,
          objectLeak: ({}).polluted === undefined ? 'clean' : 'polluted',
          stringifyReplaced: JSON.stringify({ a: 1 }) === '{"a":1}' ? 'native' : 'replaced',
        };
        attempt(() => { globalThis.leaked = 'from an earlier job'; });
        attempt(() => { Array.prototype.injected = () => 'hijacked'; });
        attempt(() => { Object.prototype.polluted = true; });
        attempt(() => { JSON.stringify = () => 'hijacked'; });
        runs += 100;
        return seen;
      }`;
    const CLEAN = { runs: 1, globalLeak: 'undefined', prototypeLeak: 'undefined', objectLeak: 'clean', stringifyReplaced: 'native' };

    test('nothing a job leaves behind is visible to the next job on the same thread', async () => {
      const single = new SandboxPool({ size: 1 });
      try {
        for (let run = 0; run < 5; run++) {
          const outcome = await single.run(job(LEAKY));
          assert.deepEqual(outcome.ok && outcome.output, CLEAN, `run ${run}: ${JSON.stringify(outcome)}`);
        }
        const concurrent = await Promise.all(Array.from({ length: 20 }, () => single.run(job(LEAKY))));
        for (const outcome of concurrent) assert.deepEqual(outcome.ok && outcome.output, CLEAN);
      } finally {
        await single.close();
      }
    });

    test('user code sees no process, require, import, timers, network or host objects', async () => {
      const code = `function transform() {
        return [typeof process, typeof require, typeof module, typeof setTimeout, typeof setInterval,
                typeof setImmediate, typeof queueMicrotask, typeof fetch, typeof XMLHttpRequest, typeof WebAssembly, typeof Buffer];
      }`;
      const outcome = await pool.run(job(code));
      assert.deepEqual(outcome.ok && outcome.output, Array(11).fill('undefined'));
    });

    test('dynamic import fails instead of loading a module', async () => {
      const outcome = await pool.run(job("async function transform() { const fs = await import('node:fs'); return typeof fs; }"));
      expectFailure(outcome, 'error');
    });
  });

  describe('user errors', () => {
    test('a thrown error gives its message and line', async () => {
      const code = 'function transform(input) {\n  const total = 0;\n  throw new Error("invoice total missing for " + input.id);\n}';
      const outcome = await pool.run(job(code, { id: 'INV-9' }));
      expectFailure(outcome, 'error', /^Error: invoice total missing for INV-9 \(line 3\)$/);
      assert.equal(!outcome.ok && outcome.details?.line, 3);
    });

    test('a thrown non-Error value is reported as is', async () => {
      expectFailure(await pool.run(job('function transform() { throw "plain string"; }')), 'error', /^plain string$/);
    });

    test('a syntax error gives the parser message', async () => {
      expectFailure(await pool.run(job('function transform(input) {\n  return input +;\n}')), 'error', /^SyntaxError: .+ \(line 2\)$/);
    });

    test('code without transform says to define it', async () => {
      expectFailure(await pool.run(job('function transfrom(input) { return input; }')), 'error', /define function transform\(input\)/);
      expectFailure(await pool.run(job('var transform = 42;')), 'error', /define function transform\(input\)/);
    });

    test('deep recursion is a stack overflow error, not a crash', async () => {
      const before = pool.stats().restarts;
      const outcome = await pool.run(job('function transform() { function down(n) { return down(n + 1) + 1; } return down(0); }'));
      expectFailure(outcome, 'error', /stack overflow/);
      assert.equal(pool.stats().restarts, before);
      const fine = await pool.run(job('function transform() { function down(n) { return n === 0 ? 0 : 1 + down(n - 1); } return down(2000); }'));
      assert.deepEqual(fine.ok && fine.output, 2000);
    });

    const invalidOutputs: Array<[string, string, RegExp]> = [
      ['undefined', 'function transform() {}', /transform returned undefined/],
      ['a function', 'function transform() { return () => 1; }', /transform returned a function/],
      ['a nested function', 'function transform() { return { a: [1, () => 1] }; }', /\$\.a\[1\] is a function/],
      ['a nested undefined', 'function transform() { return { total: undefined }; }', /\$\.total is undefined/],
      ['a BigInt', 'function transform() { return { n: 10n }; }', /\$\.n is a BigInt/],
      ['NaN', 'function transform() { return [0 / 0]; }', /\$\[0\] is NaN/],
      ['a cycle', 'function transform() { const node = {}; node.self = node; return node; }', /circular/],
    ];
    for (const [name, code, message] of invalidOutputs) {
      test(`output that is ${name} is invalid_output`, async () => {
        expectFailure(await pool.run(job(code)), 'invalid_output', message);
      });
    }
  });

  describe('frozen built-ins', () => {
    test('a write to a built-in or the global object fails with a message that says why', async () => {
      const writes = ['Array.prototype.sum = function () {};', 'globalThis.cache = {};', 'delete Math.max;', "Error.prototype.name = 'Mine';"];
      for (const write of writes) {
        const outcome = await pool.run(job(`function transform() {\n  ${write}\n}`));
        expectFailure(outcome, 'error', /^TypeError: .+ \(line 2\)\. The sandbox's built-ins and global object are frozen; keep state in local variables\.$/);
      }
    });

    test('an undeclared assignment says that the code runs in strict mode', async () => {
      const outcome = await pool.run(job('function transform(input) {\n  total = input * 2;\n  return total;\n}', 4));
      expectFailure(outcome, 'error', /^ReferenceError: 'total' is not defined \(line 2\)\. The code runs in strict mode: declare every variable with let, const or var\.$/);
    });

    test('code that overrides inherited built-in names on its own objects still works', async () => {
      const code = `
        class ParseError extends Error { constructor(message) { super(message); this.name = 'ParseError'; } }
        function Point(x) { this.x = x; }
        Point.prototype.toString = function () { return 'Point(' + this.x + ')'; };
        function transform() {
          const plain = {};
          plain.toString = () => 'plain';
          plain.constructor = 'mine';
          const error = new TypeError();
          error.message = 'changed';
          return [String(new Point(1)), String(plain), plain.constructor, String(error), String(new ParseError('bad'))];
        }`;
      const outcome = await pool.run(job(code));
      assert.deepEqual(outcome.ok && outcome.output, ['Point(1)', 'plain', 'mine', 'TypeError: changed', 'ParseError: bad']);
    });
  });

  describe('limits', () => {
    test('an infinite loop times out and the pool serves the next job', async () => {
      const started = performance.now();
      const outcome = await pool.run(job(BUSY_LOOP, null, { timeoutMs: 200 }));
      expectFailure(outcome, 'timeout', /timed out.*200 ms/);
      assert.ok(performance.now() - started < 200 + PROMPT_MS, 'timeout answered promptly');
      await expectHealthy(pool);
    });

    test('a loop that catches errors still cannot escape the deadline', async () => {
      const code = 'function transform() { for (;;) { try { while (true) {} } catch (e) {} } }';
      expectFailure(await pool.run(job(code, null, { timeoutMs: 200 })), 'timeout');
    });

    test('a long native call the interrupt handler cannot reach is stopped by the wall-clock backstop', async () => {
      const code = LONG_NATIVE_CALL;
      const restartsBefore = pool.stats().restarts;
      const started = performance.now();
      expectFailure(await pool.run(job(code, null, { timeoutMs: 50 })), 'timeout', /thread was terminated/);
      assert.ok(performance.now() - started < 50 + PROMPT_MS, 'backstop answered promptly');
      assert.equal(pool.stats().restarts, restartsBefore + 1);
      await expectHealthy(pool);
    });

    test('an array memory bomb is contained and the pool serves the next job', async () => {
      const code = 'function transform() { let a = []; while (true) a.push(new Array(1e6).fill(1)); }';
      expectFailure(await pool.run(job(code, null, { timeoutMs: 10_000 })), 'memory', /out of memory/);
      await expectHealthy(pool);
    });

    test('memoryLimitMb sets the cap, and an input larger than the cap is refused without running', async () => {
      const small = new SandboxPool({ size: 1, memoryLimitMb: 8 });
      try {
        const grow = 'function transform() { const keep = []; for (let i = 0; i < 100; i++) keep.push(new Array(1e5).fill(i)); return keep.length; }';
        expectFailure(await small.run(job(grow, null, { timeoutMs: 10_000 })), 'memory', /8 MB/);
        const tooBig = await small.run(job(PASS_THROUGH, 'x'.repeat(9 * 1024 * 1024)));
        expectFailure(tooBig, 'memory', /does not fit in the 8 MB sandbox limit/);
        assert.equal(tooBig.durationMs, 0);
        await expectHealthy(small);
      } finally {
        await small.close();
      }
    });

    test('a string doubling bomb is contained and the pool serves the next job', async () => {
      const code = 'function transform() { let s = "ab"; const keep = []; while (true) { s = s + s; keep.push(s + "!"); } }';
      expectFailure(await pool.run(job(code, null, { timeoutMs: 10_000 })), 'memory', /out of memory/);
      await expectHealthy(pool);
    });
  });

  test('sandbox threads run below the main thread\'s priority (Linux): tenants\' code takes only the CPU the server leaves', { skip: process.platform !== 'linux' }, async () => {
    const fresh = new SandboxPool({ size: 2 });
    try {
      await fresh.allStarted();
      const niceness = readdirSync('/proc/self/task').map((task) => Number(readFileSync(`/proc/self/task/${task}/stat`, 'utf8').split(') ')[1]!.split(' ')[16]));
      assert.equal(niceness.filter((nice) => nice === TENANT_CODE_NICENESS).length >= 2, true, `niceness of this process's threads: ${niceness.join(', ')}`);
      assert.equal(readFileSync('/proc/thread-self/stat', 'utf8').split(') ')[1]!.split(' ')[16], '0', 'the main thread keeps its priority');
    } finally {
      await fresh.close();
    }
  });

  describe('cancellation', () => {
    test('an already aborted signal never runs the job', async () => {
      const outcome = await pool.run(job(PASS_THROUGH, 1, { signal: AbortSignal.abort() }));
      expectFailure(outcome, 'aborted');
      assert.equal(outcome.durationMs, 0);
    });

    test('abort while queued resolves at once; abort while running stops the job inside its thread, which serves the next job warm', async () => {
      const single = new SandboxPool({ size: 1 });
      try {
        const running = new AbortController();
        const queued = new AbortController();
        const busy = single.run(job(BUSY_LOOP, null, { timeoutMs: 60_000, signal: running.signal }));
        const waiting = single.run(job(PASS_THROUGH, 1, { signal: queued.signal }));
        await waitUntilBusy(single, 1);
        assert.equal(single.stats().queued, 1);

        queued.abort();
        const dropped = await waiting;
        expectFailure(dropped, 'aborted', /before it started/);
        assert.equal(single.stats().queued, 0);

        const abortedAt = performance.now();
        running.abort();
        expectFailure(await busy, 'aborted', /stopped in its sandbox/);
        assert.ok(performance.now() - abortedAt < PROMPT_MS, 'busy loop stopped promptly');
        const next = await single.run(job(PASS_THROUGH, 'next'));
        assert.deepEqual(next.ok && next.output, 'next');
        assert.ok(performance.now() - abortedAt < PROMPT_MS, 'slot served the next job within a second');
        assert.equal(single.stats().restarts, 0, 'the thread was not terminated');
      } finally {
        await single.close();
      }
    });

    test('jobs sharing one signal (the tests of a run): aborting it stops every job still running or waiting, not those done', async () => {
      const single = new SandboxPool({ size: 1 });
      try {
        const run = new AbortController();
        const done = await single.run(job(PASS_THROUGH, 'first', { signal: run.signal }));
        const spinning = single.run(job(BUSY_LOOP, null, { timeoutMs: 60_000, signal: run.signal }));
        const waiting = [1, 2].map((n) => single.run(job(PASS_THROUGH, n, { signal: run.signal })));
        await waitUntilBusy(single, 1);
        run.abort();
        expectFailure(await spinning, 'aborted', /stopped in its sandbox/);
        for (const outcome of await Promise.all(waiting)) expectFailure(outcome, 'aborted');
        assert.deepEqual(done.ok && done.output, 'first');
        const next = await single.run(job(PASS_THROUGH, 'next', { signal: new AbortController().signal }));
        assert.deepEqual(next.ok && next.output, 'next');
      } finally {
        await single.close();
      }
    });

    test('aborting one job does not disturb a job on another thread', async () => {
      const controller = new AbortController();
      const spinning = pool.run(job(BUSY_LOOP, null, { timeoutMs: 60_000, signal: controller.signal }));
      const steady = pool.run(job('function transform() { const end = Date.now() + 300; let n = 0; while (Date.now() < end) n++; return "done"; }'));
      await waitUntilBusy(pool, 2);
      controller.abort();
      expectFailure(await spinning, 'aborted');
      const steadyOutcome = await steady;
      assert.deepEqual(steadyOutcome.ok && steadyOutcome.output, 'done');
    });
  });

  describe('batches', () => {
    const busyFor = (ms: number) => `function transform(input) { const end = Date.now() + ${ms}; while (Date.now() < end) {} return input; }`;

    test('a cancelled job its thread cannot interrupt (a long native call) has the thread terminated; the jobs waiting behind it are handed back and run once', async () => {
      const single = new SandboxPool({ size: 1 });
      try {
        const controller = new AbortController();
        const counting = 'function transform(input) { return { n: input.n, ran: 1 }; }';
        const spinning = single.run(job(LONG_NATIVE_CALL, null, { timeoutMs: 60_000, signal: controller.signal }));
        const behind = [1, 2, 3].map((n) => single.run(job(counting, { n })));
        await waitUntilBusy(single, 1);
        assert.equal(single.stats().queued, 3, 'the three jobs wait in the thread\'s batch');
        controller.abort();
        expectFailure(await spinning, 'aborted', /terminated/);
        const outcomes = await Promise.all(behind);
        assert.deepEqual(outcomes.map((outcome) => outcome.ok && outcome.output), [1, 2, 3].map((n) => ({ n, ran: 1 })));
        assert.equal(single.stats().restarts, 1);
      } finally {
        await single.close();
      }
    });

    test('a thread that runs out of work takes jobs still waiting in a busy thread\'s batch', async () => {
      const pair = new SandboxPool({ size: 2 });
      try {
        await pair.allStarted();
        const finishedAt = new Map<string, number>();
        const timed = (name: string, promise: Promise<SandboxOutcome>) =>
          promise.then((outcome) => {
            finishedAt.set(name, performance.now());
            return outcome;
          });
        // In one tick: each thread gets three of the six; the first thread's are slow.
        const jobs = [
          timed('slow-1', pair.run(job(busyFor(400), 'slow-1'))),
          timed('slow-2', pair.run(job(busyFor(400), 'slow-2'))),
          timed('moved', pair.run(job(PASS_THROUGH, 'moved'))),
          ...['fast-1', 'fast-2', 'fast-3'].map((name) => timed(name, pair.run(job(PASS_THROUGH, name)))),
        ];
        const outcomes = await Promise.all(jobs);
        assert.deepEqual(outcomes.map((outcome) => outcome.ok && outcome.output), ['slow-1', 'slow-2', 'moved', 'fast-1', 'fast-2', 'fast-3']);
        assert.ok(finishedAt.get('moved')! < finishedAt.get('slow-1')!, 'the job behind two slow ones ran on the idle thread, before the first slow one ended');
        assert.equal(pair.stats().restarts, 0);
      } finally {
        await pair.close();
      }
    });
  });

  test('2,000 concurrent jobs all complete with their own outputs', async () => {
    const code = 'function transform(input) { return { id: input.id, double: input.n * 2 }; }';
    const outcomes = await Promise.all(Array.from({ length: 2000 }, (_, n) => pool.run(job(code, { id: `job-${n}`, n }))));
    outcomes.forEach((outcome, n) => assert.deepEqual(outcome.ok && outcome.output, { id: `job-${n}`, double: n * 2 }));
    const { busy, queued } = pool.stats();
    assert.deepEqual({ busy, queued }, { busy: 0, queued: 0 });
  });

  describe('bad calls and shutdown', () => {
    test('input that is not JSON and an invalid timeout are refused without running', async () => {
      const cyclic: Record<string, unknown> = {};
      cyclic.self = cyclic;
      expectFailure(await pool.run(job(PASS_THROUGH, cyclic)), 'error', /not a JSON value/);
      expectFailure(await pool.run(job(PASS_THROUGH, 1, { timeoutMs: Number.NaN })), 'error', /timeoutMs/);
    });

    test('close aborts running and queued jobs, and later jobs are refused', async () => {
      const closing = new SandboxPool({ size: 1 });
      const running = closing.run(job(BUSY_LOOP, null, { timeoutMs: 60_000 }));
      const queued = closing.run(job(PASS_THROUGH, 1));
      await waitUntilBusy(closing, 1);
      await closing.close();
      expectFailure(await running, 'aborted', /closed/);
      expectFailure(await queued, 'aborted', /closed/);
      expectFailure(await closing.run(job(PASS_THROUGH, 1)), 'aborted', /closed/);
    });
  });
});
