/**
 * Evaluated once in each new context, before any user code: turns it into a frozen realm (like
 * SES lockdown) so that one context can serve many jobs. After it, no built-in object reachable
 * from user code can be changed, nothing can be added to or removed from globalThis, and nothing
 * can schedule work that outlives a job except promise jobs, which the realm checks for after
 * every job. User code keeps its own state in the locals of its factory (see `factorySource`).
 *
 * It is a function of `drawSeed`, a host function that returns 32 fresh hex digits from the host's
 * CSPRNG, and returns `newJob()`, for the host only, to call before each job's code runs.
 */
export const HARDEN_REALM_SOURCE = String.raw`((drawSeed) => {
  'use strict';
  const { defineProperty, freeze, getOwnPropertyDescriptor, getPrototypeOf, hasOwn } = Object;
  const { ownKeys } = Reflect;

  // A finalizer or weak target of one job could be observed during a later one.
  delete globalThis.WeakRef;
  delete globalThis.FinalizationRegistry;

  /**
   * Intrinsics that no global name reaches; walking their prototypes and properties also reaches
   * %AsyncFunction%, %GeneratorFunction%, %AsyncGeneratorFunction%, %GeneratorPrototype%,
   * %AsyncGeneratorPrototype%, %AsyncIteratorPrototype% and %IteratorPrototype%.
   */
  function hiddenIntrinsics() {
    function* generator() {}
    async function* asyncGenerator() {}
    const strictArguments = (function () { return arguments; })();
    return [
      async function () {},
      async () => {},
      generator,
      asyncGenerator,
      generator(),
      asyncGenerator(),
      [][Symbol.iterator](),
      new Map()[Symbol.iterator](),
      new Set()[Symbol.iterator](),
      ''[Symbol.iterator](),
      /x/[Symbol.matchAll](''),
      Iterator.from({ next() { return { done: true }; } }),
      [].values().map((value) => value),
      getPrototypeOf(Int8Array),
      getOwnPropertyDescriptor(strictArguments, 'callee').get,
      Promise.resolve(),
    ];
  }

  /**
   * Freezing a prototype makes assignment to an inherited name throw on every object below it
   * (the "override mistake"), which breaks ordinary code such as error.name = 'ParseError' or
   * Point.prototype.toString = …. These properties become accessors whose setter defines an own
   * property on the object assigned to, and refuses only when that object is the built-in itself.
   */
  function overridable(prototype, key) {
    const { value, enumerable } = getOwnPropertyDescriptor(prototype, key);
    const accessors = {
      get() {
        return value;
      },
      set(replacement) {
        if (this === prototype) {
          throw new TypeError("Cannot assign to read only property '" + String(key) + "' of a built-in prototype");
        }
        if (hasOwn(this, key)) this[key] = replacement;
        else defineProperty(this, key, { value: replacement, writable: true, enumerable: true, configurable: true });
      },
    };
    defineProperty(prototype, key, { get: accessors.get, set: accessors.set, enumerable, configurable: false });
  }

  function tameOverrideMistake() {
    const errorPrototypes = [Error, EvalError, RangeError, ReferenceError, SyntaxError, TypeError, URIError, InternalError, AggregateError]
      .map((constructor) => constructor.prototype);
    const overridden = [
      [Object.prototype, ['constructor', 'toString', 'toLocaleString', 'valueOf']],
      [Function.prototype, ['constructor', 'toString']],
      ...errorPrototypes.map((prototype) => [prototype, ['constructor', 'name', 'message']]),
      [Error.prototype, ['toString']],
    ];
    for (const [prototype, keys] of overridden) {
      for (const key of keys) overridable(prototype, key);
    }
  }

  /** QuickJS interprets this walk over ~540 objects, which is most of the cost of a new realm. */
  function deepFreeze(roots) {
    const seen = new Set();
    const pending = roots.slice();
    const reach = (value) => {
      if (typeof value === 'object' ? value !== null : typeof value === 'function') pending.push(value);
    };
    while (pending.length > 0) {
      const object = pending.pop();
      if (seen.has(object)) continue;
      seen.add(object);
      freeze(object);
      reach(getPrototypeOf(object));
      const keys = ownKeys(object);
      const isFunction = typeof object === 'function';
      for (let index = 0; index < keys.length; index++) {
        const key = keys[index];
        // A function's length and name are primitives; skipping them halves the walk.
        if (isFunction && (key === 'length' || key === 'name')) continue;
        const descriptor = getOwnPropertyDescriptor(object, key);
        if ('value' in descriptor) {
          reach(descriptor.value);
        } else {
          reach(descriptor.get);
          reach(descriptor.set);
        }
      }
    }
  }

  /**
   * QuickJS keeps one Math.random state per context, so a job could learn the numbers the next job
   * (another organization's, maybe) will draw. Math.random becomes xoshiro128** (53-bit doubles,
   * like V8's), seeded from the host's CSPRNG at its first call in each job: jobs that never call
   * it pay nothing.
   */
  function seededRandom() {
    const { imul } = Math;
    const parseHex = (text) => parseInt(text, 16) | 0;
    const rotl = (x, k) => (x << k) | (x >>> (32 - k));
    let s0 = 1, s1 = 0, s2 = 0, s3 = 0;
    let seeded = false;
    function seed() {
      const text = drawSeed();
      s0 = parseHex(text.slice(0, 8));
      s1 = parseHex(text.slice(8, 16));
      s2 = parseHex(text.slice(16, 24));
      s3 = parseHex(text.slice(24, 32));
      if ((s0 | s1 | s2 | s3) === 0) s0 = 1;
      seeded = true;
    }
    function next() {
      const result = imul(rotl(imul(s1, 5), 7), 9) >>> 0;
      const t = s1 << 9;
      s2 ^= s0;
      s3 ^= s1;
      s1 ^= s2;
      s0 ^= s3;
      s2 ^= t;
      s3 = rotl(s3, 11);
      return result;
    }
    const { random } = {
      random() {
        if (!seeded) seed();
        return ((next() >>> 5) * 67108864 + (next() >>> 6)) / 9007199254740992;
      },
    };
    defineProperty(Math, 'random', { value: random, writable: true, enumerable: false, configurable: true });
    return function newJob() {
      seeded = false;
    };
  }

  const newJob = seededRandom();
  tameOverrideMistake();
  deepFreeze([globalThis, ...hiddenIntrinsics()]);
  return newJob;
})`;
