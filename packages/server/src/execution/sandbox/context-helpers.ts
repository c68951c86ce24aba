/**
 * Script evaluated in every fresh context before the user's code. It declares no globals: it
 * returns an object of functions that close over pristine built-ins, so user code that replaces
 * `JSON.stringify` or `Array.isArray` cannot change how its input is parsed or its output checked.
 * Functions defined here resolve `transform` at call time in the shared global scope, which also
 * finds `const transform = …` (a global lexical binding is not a property of globalThis).
 */
export const CONTEXT_HELPERS_SOURCE = String.raw`(() => {
  'use strict';
  const { parse, stringify } = JSON;
  const isArray = Array.isArray;
  const isFinite = Number.isFinite;
  const PathMap = Map;

  function findTransform() {
    return typeof transform === 'function' ? transform : undefined;
  }

  function describeUnrepresentable(value) {
    switch (typeof value) {
      case 'undefined': return 'undefined';
      case 'function': return 'a function';
      case 'symbol': return 'a symbol';
      case 'bigint': return 'a BigInt';
      case 'number': return isFinite(value) ? undefined : String(value);
      default: return undefined;
    }
  }

  function serialise(value) {
    const paths = new PathMap();
    return stringify(value, function (key, current) {
      const parentPath = paths.get(this);
      const path = parentPath === undefined ? '$' : isArray(this) ? parentPath + '[' + key + ']' : parentPath + '.' + key;
      const problem = describeUnrepresentable(current);
      if (problem !== undefined) {
        throw new TypeError((path === '$' ? 'transform returned ' : path + ' is ') + problem + ', which JSON cannot represent');
      }
      if (typeof current === 'object' && current !== null) paths.set(current, path);
      return current;
    });
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

  return { parse, serialise, describeThrown, findTransform };
})()`;
