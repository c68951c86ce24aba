/**
 * Scripts evaluated inside a job's context. Neither declares globals: each returns an object of
 * functions that close over built-ins captured before the user's code runs (the first one) or
 * that only read values, so user code that replaces `JSON.stringify` cannot change how its input
 * is parsed or its output checked. QuickJS compiles at roughly 10 µs per line, so the per-job
 * script is kept to what every job needs; the diagnosis script is compiled only after a failure.
 */

/**
 * Every job: `parse` the input, find `transform` (a function resolving the name at call time also
 * finds `const transform = …`, a global binding that is not a property of globalThis), and
 * `serialise` the output, throwing on anything JSON cannot represent instead of dropping it.
 */
export const JOB_HELPERS_SOURCE = String.raw`(() => {
  'use strict';
  const { parse, stringify } = JSON;
  const isFinite = Number.isFinite;
  function rejectUnrepresentable(key, value) {
    const kind = typeof value;
    if (kind === 'function' || kind === 'undefined' || kind === 'symbol' || kind === 'bigint' || (kind === 'number' && !isFinite(value))) {
      throw new TypeError('output is not representable as JSON');
    }
    return value;
  }
  return {
    parse,
    serialise: (value) => stringify(value, rejectUnrepresentable),
    findTransform: () => (typeof transform === 'function' ? transform : undefined),
  };
})()`;

/**
 * After a failure: `locateUnrepresentable(output)` names the first value JSON cannot represent
 * (`$.items[2].price is NaN`), or returns undefined when the problem is elsewhere (a cycle, a
 * throwing toJSON); `describeThrown(value)` turns any thrown value into `{name, message, stack}` JSON.
 */
export const DIAGNOSIS_HELPERS_SOURCE = String.raw`(() => {
  'use strict';
  const stringify = JSON.stringify;
  const isArray = Array.isArray;
  const isFinite = Number.isFinite;

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
        return stringify({ name: '', message: String(thrown), stack: '' });
      }
      const name = typeof thrown.name === 'string' ? thrown.name : '';
      const message = 'message' in thrown ? String(thrown.message) : String(stringify(thrown));
      return stringify({ name, message, stack: typeof thrown.stack === 'string' ? thrown.stack : '' });
    } catch {
      return stringify({ name: 'Error', message: 'a value that cannot be displayed was thrown', stack: '' });
    }
  }

  return { locateUnrepresentable, describeThrown };
})()`;
