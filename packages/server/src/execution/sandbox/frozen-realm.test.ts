import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { QuickJSWASMModule } from 'quickjs-emscripten';
import { FrozenRealm } from './frozen-realm.js';
import { loadQuickJs } from './quickjs-module.js';
import type { ExecutionResult, RealmSettings } from './types.js';

/** A small stack: these realms run on the test's main thread, whose native stack is the default one. */
const SETTINGS: RealmSettings = { memoryLimitMb: 16, maxStackKb: 256 };
const PASS_THROUGH = 'function transform(input) { return input; }';

function execute(realm: FrozenRealm, code: string, input: unknown = null, options: { codeKey?: string; timeoutMs?: number } = {}): ExecutionResult {
  return realm.execute({ codeKey: options.codeKey ?? code, code, inputJson: JSON.stringify(input), timeoutMs: options.timeoutMs ?? 1000 });
}

function outputOf(result: ExecutionResult): unknown {
  assert.ok(result.ok, `job failed: ${JSON.stringify(result)}`);
  return JSON.parse(result.outputJson);
}

describe('FrozenRealm', () => {
  let quickJs: QuickJSWASMModule;
  const realms: FrozenRealm[] = [];
  const newRealm = (settings = SETTINGS): FrozenRealm => {
    const realm = new FrozenRealm(quickJs, settings);
    realms.push(realm);
    return realm;
  };
  before(async () => {
    quickJs = await loadQuickJs(SETTINGS);
  });
  after(() => {
    for (const realm of realms) realm.dispose();
  });

  describe('is reused after', () => {
    const harmless: Array<[string, string]> = [
      ['a successful job', PASS_THROUGH],
      ['an async transform', 'async function transform(input) { await null; return input; }'],
      ['a thrown Error', 'function transform() { throw new RangeError("no"); }'],
      ['a thrown string', 'function transform() { throw "no"; }'],
      ['a syntax error', 'function transform( {'],
      ['code without transform', 'const x = 1;'],
      ['output JSON cannot represent', 'function transform() { return { n: NaN }; }'],
      ['a write to a frozen built-in', 'function transform() { Array.prototype.x = 1; }'],
      ['a few promise jobs left behind', 'function transform() { Promise.resolve().then(() => 1).then(() => 2); return 1; }'],
      ['a stack overflow', 'function transform() { const down = (n) => down(n + 1) + 1; return down(0); }'],
    ];
    for (const [name, code] of harmless) {
      test(name, () => {
        const realm = newRealm();
        execute(realm, code);
        assert.equal(realm.spent, false);
        assert.deepEqual(outputOf(execute(realm, PASS_THROUGH, 'next')), 'next');
      });
    }
  });

  describe('is spent after', () => {
    const spending: Array<[string, string, string]> = [
      ['a timeout', 'function transform() { while (true) {} }', 'timeout'],
      ['running out of memory', 'function transform() { const keep = []; while (true) keep.push(new Array(1e5).fill(1)); }', 'memory'],
      ['a thrown object that is not an Error', 'function transform() { throw { code: "E_BAD", detail: [1, 2] }; }', 'error'],
      ['an endless promise chain left behind', 'function transform() { (function again() { Promise.resolve().then(again); })(); return "done"; }', 'ok'],
    ];
    for (const [name, code, outcome] of spending) {
      test(name, () => {
        const realm = newRealm();
        const result = execute(realm, code, null, { timeoutMs: 200 });
        assert.equal(result.ok ? 'ok' : result.reason, outcome, JSON.stringify(result));
        assert.equal(realm.spent, true);
      });
    }

    test('1,000 jobs', () => {
      const realm = newRealm();
      for (let job = 1; job < 1000; job++) execute(realm, PASS_THROUGH, job);
      assert.equal(realm.spent, false);
      execute(realm, PASS_THROUGH, 1000);
      assert.equal(realm.spent, true);
    });

    test('its heap grew past a quarter of the limit (checked every 64 jobs)', () => {
      const realm = newRealm({ memoryLimitMb: 8, maxStackKb: 256 });
      // Each compiled code version is kept, with its 800 KB string constant.
      const bigVersions = [1, 2, 3].map((version) => `const table = "${String(version).repeat(800_000)}"; function transform() { return table.length; }`);
      for (const code of bigVersions) assert.equal(outputOf(execute(realm, code)), 800_000);
      for (let job = bigVersions.length + 1; job < 64; job++) execute(realm, PASS_THROUGH, job);
      assert.equal(realm.spent, false);
      execute(realm, PASS_THROUGH, 64);
      assert.equal(realm.spent, true);
    });
  });

  test('an async transform answers even while an endless promise chain it started keeps going', () => {
    const realm = newRealm();
    const code = 'async function transform() { (function again() { Promise.resolve().then(again); })(); await null; return "answered"; }';
    assert.equal(outputOf(execute(realm, code, null, { timeoutMs: 5000 })), 'answered');
    assert.equal(realm.spent, true);
  });

  test('top-level declarations are fresh in every job of the same code', () => {
    const realm = newRealm();
    const code = 'let calls = 0; const seen = []; function transform(input) { calls++; seen.push(input); return { calls, seen }; }';
    assert.deepEqual(outputOf(execute(realm, code, 'a')), { calls: 1, seen: ['a'] });
    assert.deepEqual(outputOf(execute(realm, code, 'b')), { calls: 1, seen: ['b'] });
  });

  test('a code key reused for different code runs the new code', () => {
    const realm = newRealm();
    assert.equal(outputOf(execute(realm, 'function transform() { return "first"; }', null, { codeKey: 'same' })), 'first');
    assert.equal(outputOf(execute(realm, 'function transform() { return "second"; }', null, { codeKey: 'same' })), 'second');
  });

  test('code that closes the factory early is a syntax error and declares nothing globally', () => {
    const realm = newRealm();
    const escape = execute(realm, '}); let escaped = "escaped"; (function () {');
    assert.equal(!escape.ok && escape.reason, 'error');
    assert.match(!escape.ok ? escape.message : '', /^SyntaxError: .* \(line 1\)$/);
    assert.equal(outputOf(execute(realm, 'function transform() { return typeof escaped; }')), 'undefined');
  });

  test('error locations are in the user code: lines, and columns on line 1 despite the wrapper', () => {
    const realm = newRealm();
    const thrown = execute(realm, 'function transform() { throw new Error("x"); }');
    assert.equal(!thrown.ok && thrown.details?.line, 1);
    assert.equal(!thrown.ok && thrown.details?.column, 39);
    assert.equal(!thrown.ok && String(thrown.details?.stack).trim(), 'at transform (transform.js:1:39)');
    const syntax = execute(realm, 'const a = 1;\nfunction transform() {\n  return a +;\n}');
    assert.equal(!syntax.ok && syntax.details?.line, 3);
  });

  test('top-level this is the (frozen) global object, as in a script', () => {
    const realm = newRealm();
    assert.equal(outputOf(execute(realm, 'const top = this; function transform() { return top === globalThis && Object.isFrozen(top); }')), true);
  });
});
