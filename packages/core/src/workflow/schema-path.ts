import { formatPath, type PathSegment } from '../assertions/path.js';
import { isJsonObject, ownValue, type JsonObject } from './values.js';

/** What an output schema says about one asserted path. */
export type SchemaAtPath = { declared: true; subtree: unknown } | { declared: false; missing: string };

/** `$ref` hops and `allOf`/`anyOf`/`oneOf` levels followed per segment: schemas are tenant data. */
const MAX_INDIRECTIONS = 32;
const COMBINATORS = ['allOf', 'anyOf', 'oneOf'] as const;

/**
 * The part of a JSON Schema that describes the value at `segments` of a payload it validates (the
 * path syntax of assertions: a string is a key, a number an array index or a key of digits).
 *
 * A key is declared by `properties`, else by an `additionalProperties` schema; an index by
 * `prefixItems`, else by `items`. A level that says nothing about its shape (`{}`, `true`, a bare
 * `type: object`) declares whatever lies below it, as `{}`. A level that constrains its shape and
 * does not mention the segment (an object's `properties` without the key, an array schema asked
 * for a key, a scalar `type`, `false`) does not: that path is missing. `$ref`s to `#/…` inside the
 * same schema are followed; branches of `allOf`/`anyOf`/`oneOf` are searched in order.
 */
export function schemaAtPath(root: unknown, segments: readonly PathSegment[]): SchemaAtPath {
  let current: unknown = root;
  for (let depth = 0; depth < segments.length; depth++) {
    const next = childSchema(root, current, segments[depth]!, 0);
    if (next === undefined) return { declared: false, missing: `the output schema declares no \`${formatPath(segments.slice(0, depth + 1))}\`` };
    current = next;
  }
  return { declared: true, subtree: current };
}

/** The schema of `segment` below `schema`; undefined when the schema rules the segment out. */
function childSchema(root: unknown, schema: unknown, segment: PathSegment, indirections: number): unknown {
  if (schema === true) return {};
  if (!isJsonObject(schema) || indirections > MAX_INDIRECTIONS) return undefined;
  const ref = ownValue(schema, '$ref');
  if (typeof ref === 'string') {
    const target = resolveLocalRef(root, ref);
    if (target === undefined) return undefined;
    return childSchema(root, target, segment, indirections + 1);
  }
  const direct = declaredChild(schema, segment);
  if (direct !== undefined) return direct;
  for (const keyword of COMBINATORS) {
    const branches = ownValue(schema, keyword);
    if (!Array.isArray(branches)) continue;
    for (const branch of branches) {
      const found = childSchema(root, branch, segment, indirections + 1);
      if (found !== undefined) return found;
    }
  }
  return constrainsShape(schema, segment) ? undefined : {};
}

function declaredChild(schema: JsonObject, segment: PathSegment): unknown {
  const properties = ownValue(schema, 'properties');
  if (isJsonObject(properties) && Object.hasOwn(properties, String(segment))) return properties[String(segment)];
  if (typeof segment === 'number') {
    const prefix = ownValue(schema, 'prefixItems');
    if (Array.isArray(prefix) && segment < prefix.length) return prefix[segment];
    const items = ownValue(schema, 'items');
    if (isJsonObject(items) || items === true) return items;
  }
  const additional = ownValue(schema, 'additionalProperties');
  if (isJsonObject(additional) || additional === true) return additional === true ? {} : additional;
  return undefined;
}

/** Whether the level says what its value looks like, so that a segment it does not mention is absent. */
function constrainsShape(schema: JsonObject, segment: PathSegment): boolean {
  if (['properties', 'items', 'prefixItems', 'additionalProperties', 'allOf', 'anyOf', 'oneOf'].some((keyword) => Object.hasOwn(schema, keyword))) return true;
  const type = ownValue(schema, 'type');
  const types = Array.isArray(type) ? type : typeof type === 'string' ? [type] : null;
  if (types === null) return false;
  return !types.includes('object') && !(typeof segment === 'number' && types.includes('array'));
}

/** A `#/a/b` JSON pointer into the same schema; anything else (another document) is not followed. */
function resolveLocalRef(root: unknown, ref: string): unknown {
  if (!ref.startsWith('#')) return undefined;
  const pointer = ref.slice(1);
  if (pointer === '') return root;
  if (!pointer.startsWith('/')) return undefined;
  let current = root;
  for (const raw of pointer.slice(1).split('/')) {
    const token = decodePointerToken(raw);
    if (token === undefined) return undefined;
    if (Array.isArray(current)) current = /^\d+$/.test(token) ? current[Number(token)] : undefined;
    else if (isJsonObject(current)) current = ownValue(current, token);
    else return undefined;
    if (current === undefined) return undefined;
  }
  return current;
}

function decodePointerToken(raw: string): string | undefined {
  try {
    return decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
  } catch {
    return undefined;
  }
}
