/**
 * Scripts evaluated inside a realm. None declares globals (the realm's global object is frozen):
 * each is an expression whose functions close over built-ins, which the frozen realm guarantees
 * are the original ones. QuickJS compiles at roughly 10 µs per line, so the job helpers are kept to
 * what every job needs; the diagnosis script is compiled only after a failure.
 */

/** Script name of these helpers; their frames are dropped from the stacks shown to users. */
export const HELPERS_SCRIPT_NAME = '<sandbox>';

/**
 * Compiled once per realm, then called with the realm's `newJob` (see `HARDEN_REALM_SOURCE`).
 * `startJob(factory)` starts a job (Math.random will draw a fresh seed) and runs the code's top
 * level (its factory, with globalThis as `this`), returning what it defines as `transform`;
 * `callTransform(transform, inputJson, path?)` parses the input (and takes the value at key path
 * `path`, an array: null when a key is missing) and calls `transform` with it (`this` undefined);
 * `serialise` throws on anything JSON cannot represent instead of dropping it.
 */
export const JOB_HELPERS_SOURCE = String.raw`((newJob) => {
  'use strict';
  const { parse, stringify } = JSON;
  const { apply } = Reflect;
  const realmGlobal = globalThis;
  const isFinite = Number.isFinite;
  const hasOwn = Object.hasOwn;
  function valueAt(value, path) {
    for (let i = 0; i < path.length; i++) {
      if (value === null || typeof value !== 'object' || !hasOwn(value, path[i])) return null;
      value = value[path[i]];
    }
    return value;
  }
  function rejectUnrepresentable(key, value) {
    const kind = typeof value;
    if (kind === 'function' || kind === 'undefined' || kind === 'symbol' || kind === 'bigint' || (kind === 'number' && !isFinite(value))) {
      throw new TypeError('output is not representable as JSON');
    }
    return value;
  }
  return {
    startJob: (factory) => {
      newJob();
      return apply(factory, realmGlobal, []);
    },
    callTransform: (transform, inputJson, path) => transform(path === undefined ? parse(inputJson) : valueAt(parse(inputJson), path)),
    serialise: (value) => stringify(value, rejectUnrepresentable),
  };
})`;

const FACTORY_PREFIX = '(function () {';

/**
 * The user's code as the body of a function that returns its `transform`: compiled once per code
 * version, called once per job by `startJob` (with globalThis as `this`, as a script's top level sees it), so
 * top-level declarations are fresh locals every job and never globals. The prefix shares the
 * first line with the user's code, so line numbers need no correction; columns on line 1 are
 * shifted by `FACTORY_COLUMN_SHIFT`.
 */
export function factorySource(code: string): string {
  return `${FACTORY_PREFIX}${code}\n;return typeof transform === 'function' ? transform : undefined;\n})`;
}

export const FACTORY_COLUMN_SHIFT = FACTORY_PREFIX.length;

/**
 * The user's code alone, compiled (not run) as a strict script before its factory: a syntax error
 * is reported as the parser sees it, and code that would close the factory's body early (`}); …`)
 * is a syntax error here instead of escaping to the global scope. Indented like the factory so
 * that columns on line 1 are shifted the same way.
 */
export function syntaxCheckSource(code: string): string {
  return ' '.repeat(FACTORY_COLUMN_SHIFT) + code;
}

/**
 * After a failure: `locateUnrepresentable(output)` names the first value JSON cannot represent
 * (`$.items[2].price is NaN`), or returns undefined when the problem is elsewhere (a cycle, a
 * throwing toJSON); `describeThrown(value)` turns any thrown value into `{name, message, stack,
 * referencesObjects}` JSON, the last one true for a thrown object that is not an Error.
 */
export const DIAGNOSIS_HELPERS_SOURCE = String.raw`(() => {
  'use strict';
  const stringify = JSON.stringify;
  const isArray = Array.isArray;
  const isFinite = Number.isFinite;
  const isError = Error.isError;

  function unrepresentable(value) {
    switch (typeof value) {
      case 'undefined': return 'undefined';
      case 'function': return 'a function';
      case 'symbol': return 'a symbol';
      case 'bigint': return 'a BigInt';
      case 'number': return isFinite(value) ? undefined : String(value);
      default: return undefined;
    }
  }

  function locateUnrepresentable(output) {
    const paths = new Map();
    let found;
    try {
      stringify(output, function (key, value) {
        const parentPath = paths.get(this);
        const path = parentPath === undefined ? '$' : isArray(this) ? parentPath + '[' + key + ']' : parentPath + '.' + key;
        const problem = unrepresentable(value);
        if (problem !== undefined) {
          found = (path === '$' ? 'transform returned ' : path + ' is ') + problem + ', which JSON cannot represent';
          throw found;
        }
        if (typeof value === 'object' && value !== null) paths.set(value, path);
        return value;
      });
    } catch {}
    return found;
  }

  function describeThrown(thrown) {
    try {
      if (typeof thrown !== 'object' || thrown === null) {
        return stringify({ name: '', message: String(thrown), stack: '', referencesObjects: typeof thrown === 'function' });
      }
      const name = typeof thrown.name === 'string' ? thrown.name : '';
      const message = 'message' in thrown ? String(thrown.message) : String(stringify(thrown));
      const stack = typeof thrown.stack === 'string' ? thrown.stack : '';
      return stringify({ name, message, stack, referencesObjects: !isError(thrown) });
    } catch {
      return stringify({ name: 'Error', message: 'a value that cannot be displayed was thrown', stack: '', referencesObjects: true });
    }
  }

  return { locateUnrepresentable, describeThrown };
})()`;
