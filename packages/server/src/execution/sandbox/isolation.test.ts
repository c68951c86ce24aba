import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { SandboxPool } from './pool.js';
import type { SandboxJob, SandboxOutcome } from './types.js';

/**
 * Job A tries to leave state behind, then job B reports what it sees. The pool has one thread, so
 * A and B share it, and (unless A spent it) the same realm. B runs either the same code as A or
 * other code; either way it must see exactly what it sees on a pool that never ran A.
 */

/**
 * Reports what a job can observe: module-level state, names that leaks would create, results of
 * common built-ins, and a fingerprint of every object reachable from globalThis and the hidden
 * intrinsics (own keys, descriptor kinds, primitive values, function sources, extensibility).
 */
const PROBE = String.raw`
var carried = (typeof carried === 'number' ? carried : 0) + 1;
let calls = 0;
const moduleObject = { mutated: false };
const sourceOf = Function.prototype.call.bind(Function.prototype.toString);

/** Shared objects only: a root made by this job (a generator, an iterator) is replaced by its prototype. */
function reachable() {
  const prototypeOf = Object.getPrototypeOf;
  function* generator() {}
  async function* asyncGenerator() {}
  return [
    ['globalThis', globalThis],
    ['%AsyncFunction.prototype%', prototypeOf(async function () {})],
    ['%GeneratorFunction.prototype%', prototypeOf(generator)],
    ['%AsyncGeneratorFunction.prototype%', prototypeOf(asyncGenerator)],
    ['%ArrayIteratorPrototype%', prototypeOf([][Symbol.iterator]())],
    ['%MapIteratorPrototype%', prototypeOf(new Map()[Symbol.iterator]())],
    ['%SetIteratorPrototype%', prototypeOf(new Set()[Symbol.iterator]())],
    ['%StringIteratorPrototype%', prototypeOf(''[Symbol.iterator]())],
    ['%RegExpStringIteratorPrototype%', prototypeOf(/x/[Symbol.matchAll](''))],
    ['%IteratorHelperPrototype%', prototypeOf([].values().map((value) => value))],
    ['%WrapForValidIteratorPrototype%', prototypeOf(Iterator.from({ next() { return { done: true }; } }))],
    ['%ThrowTypeError%', (function () { 'use strict'; return Object.getOwnPropertyDescriptor(arguments, 'callee').get; })()],
  ];
}

function describeValue(value, names) {
  if (typeof value === 'function') return names.get(value) ?? 'function ' + sourceOf(value);
  if (typeof value === 'object' && value !== null) return names.get(value) ?? 'object';
  return typeof value + ' ' + String(value);
}

function fingerprint() {
  const names = new Map();
  const queue = reachable();
  const lines = [];
  for (let next = 0; next < queue.length; next++) {
    const [path, value] = queue[next];
    if ((typeof value !== 'object' && typeof value !== 'function') || value === null || names.has(value)) continue;
    names.set(value, path);
    const prototype = Object.getPrototypeOf(value);
    queue.push([path + '.[[Prototype]]', prototype]);
    lines.push(path + ' extensible=' + Object.isExtensible(value));
    for (const key of Reflect.ownKeys(value)) {
      const descriptor = Object.getOwnPropertyDescriptor(value, key);
      const place = path + '[' + String(key) + ']';
      for (const part of ['value', 'get', 'set']) {
        if (!(part in descriptor)) continue;
        queue.push([place + '.' + part, descriptor[part]]);
      }
      const flags = ['writable', 'enumerable', 'configurable'].filter((flag) => descriptor[flag]).join(',');
      lines.push(place + ' ' + flags + ' ' + ('value' in descriptor ? 'value' : 'accessor'));
    }
  }
  // Second pass: values, now that every object has a name.
  for (const [path, value] of queue) lines.push(path + ' = ' + describeValue(value, names));
  return lines;
}

function observe() {
  calls += 1;
  return {
    module: { carried, calls, mutated: moduleObject.mutated },
    names: [typeof leaked, typeof leakedUndeclared, typeof leakedByEval, typeof leakedByFunction, typeof late, typeof escaped, typeof WeakRef, typeof FinalizationRegistry],
    builtIns: [
      [1, 2].map((n) => n * 2).join(),
      JSON.stringify({ a: 1 }),
      Math.max(1, 2),
      'ab'.toUpperCase(),
      new Date(0).getTime(),
      String(new Error('m')),
      typeof RegExp.$1,
      typeof ({}).polluted,
      typeof [].injected,
      Object.isExtensible(globalThis),
      Object.getPrototypeOf(globalThis) === Object.prototype,
    ],
    fingerprint: fingerprint(),
  };
}

function transform() {
  return observe();
}
`;

/** Each attack is a statement run inside job A's transform; `throws` is the error it ends with, or null. */
const ATTACKS: Array<{ name: string; code: string; throws: string | null }> = [
  { name: 'assign a global', code: 'globalThis.leaked = 1', throws: 'TypeError' },
  { name: 'assign an undeclared name', code: 'leakedUndeclared = 1', throws: 'ReferenceError' },
  { name: 'add to Array.prototype', code: 'Array.prototype.injected = 1', throws: 'TypeError' },
  { name: 'replace Array.prototype.map', code: 'Array.prototype.map = () => []', throws: 'TypeError' },
  { name: 'add to Object.prototype', code: 'Object.prototype.polluted = 1', throws: 'TypeError' },
  { name: 'replace JSON.stringify', code: "JSON.stringify = () => 'hijacked'", throws: 'TypeError' },
  { name: 'replace Math.max', code: 'Math.max = () => 0', throws: 'TypeError' },
  { name: 'replace Function.prototype.call', code: 'Function.prototype.call = null', throws: 'TypeError' },
  { name: 'replace Promise.prototype.then', code: 'Promise.prototype.then = function () {}', throws: 'TypeError' },
  { name: 'add to the async function prototype', code: 'Object.getPrototypeOf(async function () {}).leaked = 1', throws: 'TypeError' },
  { name: 'replace the generator prototype next', code: 'Object.getPrototypeOf(function* () {}).prototype.next = null', throws: 'TypeError' },
  {
    name: 'add to the async iterator prototype',
    code: 'Object.getPrototypeOf(Object.getPrototypeOf(Object.getPrototypeOf((async function* () {})()))).leaked = 1',
    throws: 'TypeError',
  },
  { name: 'replace the array iterator next', code: '[][Symbol.iterator]().__proto__.next = null', throws: 'TypeError' },
  { name: 'add to the iterator prototype', code: 'Object.getPrototypeOf(Object.getPrototypeOf([][Symbol.iterator]())).leaked = 1', throws: 'TypeError' },
  { name: 'add to the iterator helper prototype', code: 'Object.getPrototypeOf([].values().map((n) => n)).leaked = 1', throws: 'TypeError' },
  { name: 'replace %TypedArray%.from', code: 'Object.getPrototypeOf(Int8Array).from = null', throws: 'TypeError' },
  { name: 'replace %TypedArray%.prototype.fill', code: 'Object.getPrototypeOf(Int8Array.prototype).fill = null', throws: 'TypeError' },
  { name: 'add to %ThrowTypeError%', code: "Object.getOwnPropertyDescriptor(Function.prototype, 'caller').get.leaked = 1", throws: 'TypeError' },
  { name: 'add to Array.prototype[Symbol.unscopables]', code: 'Array.prototype[Symbol.unscopables].leaked = true', throws: 'TypeError' },
  { name: 'declare a var through indirect eval', code: "(0, eval)('var leakedByEval = 1')", throws: 'TypeError' },
  { name: 'assign an undeclared name in sloppy indirect eval', code: "(0, eval)('leakedByEval = 1')", throws: null },
  { name: 'assign this.x in a sloppy new Function', code: "new Function('this.leakedByFunction = 1')()", throws: null },
  { name: 'escape the body of new Function', code: "new Function('}); let escaped = 1; (function () {')", throws: null },
  { name: 'register a symbol', code: "Symbol.for('verdict-isolation-test')", throws: null },
  { name: 'leave a promise callback pending', code: 'Promise.resolve().then(() => { globalThis.late = 1; })', throws: null },
  { name: 'leave an endless microtask chain', code: '(function again() { Promise.resolve().then(again); })()', throws: null },
  { name: 'define a global property', code: "Object.defineProperty(globalThis, 'leaked', { value: 1 })", throws: 'TypeError' },
  { name: 'assign globals with Object.assign', code: 'Object.assign(globalThis, { leaked: 1 })', throws: 'TypeError' },
  { name: 'replace the global prototype with Reflect', code: 'if (Reflect.setPrototypeOf(globalThis, { leaked: 1 })) throw 1', throws: null },
  { name: 'replace the global prototype with Object.setPrototypeOf', code: 'Object.setPrototypeOf(globalThis, { leaked: 1 })', throws: 'TypeError' },
  { name: 'delete a global', code: 'delete globalThis.JSON', throws: 'TypeError' },
  { name: 'delete a global with Reflect', code: "if (Reflect.deleteProperty(globalThis, 'JSON')) throw 1", throws: null },
  { name: 'assign __proto__ of a shared object', code: 'Math.__proto__ = { leaked: 1 }', throws: 'TypeError' },
  { name: 'assign __proto__ of Object.prototype', code: 'Object.prototype.__proto__ = { leaked: 1 }', throws: 'TypeError' },
  { name: 'set a RegExp static', code: "/(a)/.exec('a'); RegExp.$1 = 'leaked'", throws: 'TypeError' },
  { name: 'replace Error.prototype.toString', code: "Error.prototype.toString = () => 'hijacked'", throws: 'TypeError' },
  { name: 'replace Error.prototype.name', code: "Error.prototype.name = 'Hijacked'", throws: 'TypeError' },
  { name: 'replace Date.prototype.getTime', code: 'Date.prototype.getTime = () => 1', throws: 'TypeError' },
  { name: 'replace String.prototype.toUpperCase', code: "String.prototype.toUpperCase = () => 'hijacked'", throws: 'TypeError' },
  // Built-in prototypes are ordinary objects: none has an internal slot that a method could change.
  { name: 'set the time value of Date.prototype', code: 'Date.prototype.setTime(5)', throws: 'TypeError' },
  { name: 'recompile RegExp.prototype', code: "RegExp.prototype.compile('leaked')", throws: 'TypeError' },
  { name: 'use Map.prototype as a map', code: "Map.prototype.set.call(Map.prototype, 'leaked', 1)", throws: 'TypeError' },
  { name: 'create a WeakRef', code: 'new WeakRef({})', throws: 'ReferenceError' },
  { name: 'create a FinalizationRegistry', code: 'new FinalizationRegistry(() => {})', throws: 'ReferenceError' },
];

/** PROBE plus the attacks: `transform({attack})` changes its own module state, runs one attack and says how it ended. */
const ATTACKER = `${PROBE}
var topVar = 1;
function attack(name) {
  switch (name) {
${ATTACKS.map(({ name, code }, index) => `    case ${JSON.stringify(name)}: { ${code}; return; } // ${index}`).join('\n')}
  }
  throw new Error('unknown attack ' + name);
}
function transform(input) {
  if (!input) return observe();
  carried += 100;
  calls += 100;
  moduleObject.mutated = true;
  try {
    attack(input);
    return { threw: null };
  } catch (error) {
    return { threw: error?.name ?? String(error) };
  }
}`;

type Observation = { module: unknown; names: unknown; builtIns: unknown; fingerprint: string[] };

function outputOf(outcome: SandboxOutcome): unknown {
  assert.ok(outcome.ok, `job failed: ${JSON.stringify(outcome)}`);
  return outcome.output;
}

function assertSameObservation(actual: Observation, clean: Observation, label: string): void {
  const { fingerprint: actualPrint, ...actualRest } = actual;
  const { fingerprint: cleanPrint, ...cleanRest } = clean;
  assert.deepEqual(actualRest, cleanRest, label);
  const cleanLines = new Set(cleanPrint);
  const actualLines = new Set(actualPrint);
  const changed = [...actualPrint.filter((line) => !cleanLines.has(line)), ...cleanPrint.filter((line) => !actualLines.has(line)).map((line) => `missing: ${line}`)];
  assert.deepEqual(changed.slice(0, 10), [], `${label}: reachable built-ins differ`);
}

async function onFreshPool(job: SandboxJob): Promise<unknown> {
  const fresh = new SandboxPool({ size: 1 });
  try {
    return outputOf(await fresh.run(job));
  } finally {
    await fresh.close();
  }
}

describe('isolation between jobs on one thread (frozen realm)', () => {
  let pool: SandboxPool;
  let cleanProbe: Observation;
  let cleanAttacker: Observation;
  const probeJob = (): SandboxJob => ({ codeKey: 'probe', code: PROBE, input: null, timeoutMs: 2000 });
  const attackerJob = (attack: string | null): SandboxJob => ({ codeKey: 'attacker', code: ATTACKER, input: attack, timeoutMs: 2000 });

  before(async () => {
    cleanProbe = (await onFreshPool(probeJob())) as Observation;
    cleanAttacker = (await onFreshPool(attackerJob(null))) as Observation;
    pool = new SandboxPool({ size: 1 });
  });
  after(() => pool.close());

  test('the clean realm: nothing leaked, built-ins behave, every reachable object frozen', () => {
    assert.deepEqual(cleanProbe.module, { carried: 1, calls: 1, mutated: false });
    assert.deepEqual(cleanProbe.names, Array(8).fill('undefined'));
    assert.deepEqual(cleanProbe.builtIns, ['2,4', '{"a":1}', 2, 'AB', 0, 'Error: m', 'undefined', 'undefined', 'undefined', false, true]);
    assert.ok(cleanProbe.fingerprint.length > 1000, `fingerprint covers the realm (${cleanProbe.fingerprint.length} lines)`);
    assert.deepEqual(cleanProbe.fingerprint.filter((line) => line.endsWith('extensible=true')), []);
    assert.deepEqual(cleanProbe.fingerprint.filter((line) => / writable.* value$/.test(line)), []);
  });

  test('a busy, endless promise chain left behind takes none of the next job\'s time', async () => {
    const leaveChain = 'function transform() { (function again() { const end = Date.now() + 2; while (Date.now() < end) {} Promise.resolve().then(again); })(); return "a"; }';
    assert.equal(outputOf(await pool.run({ codeKey: 'chain', code: leaveChain, input: null, timeoutMs: 2000 })), 'a');
    // Sharing the realm with the chain, these 200 awaits would wait for ~200 of its 2 ms jobs.
    const awaitMany = 'async function transform() { for (let i = 0; i < 200; i++) await null; return "b"; }';
    assert.equal(outputOf(await pool.run({ codeKey: 'await-many', code: awaitMany, input: null, timeoutMs: 300 })), 'b');
  });

  for (const { name, throws } of ATTACKS) {
    test(`${name}: ${throws ?? 'no error'}, and neither the same code nor other code sees a trace`, async () => {
      assert.deepEqual(outputOf(await pool.run(attackerJob(name))), { threw: throws });
      assertSameObservation(outputOf(await pool.run(attackerJob(null))) as Observation, cleanAttacker, 'same code');
      assert.deepEqual(outputOf(await pool.run(attackerJob(name))), { threw: throws });
      assertSameObservation(outputOf(await pool.run(probeJob())) as Observation, cleanProbe, 'other code');
    });
  }
});
