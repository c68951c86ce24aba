import { parsePath, type PathSegment } from '../../assertions/path.js';
import { isJsonObject, ownValue } from '../values.js';

/** A value a wildcard path reached, with the array index taken at each `*`, outermost first. */
export interface PathItem {
  indices: number[];
  found: boolean;
  value: unknown;
}

export type PathExpansion =
  | { ok: true; wildcard: boolean; items: PathItem[] }
  | { ok: false; message: string };

const WILDCARD = '*';

function step(value: unknown, segment: PathSegment): { found: boolean; value: unknown } {
  if (Array.isArray(value) && typeof segment === 'number') return segment < value.length ? { found: true, value: value[segment] } : { found: false, value: undefined };
  if (isJsonObject(value)) {
    const child = ownValue(value, String(segment));
    return child === undefined ? { found: false, value: undefined } : { found: true, value: child };
  }
  return { found: false, value: undefined };
}

/**
 * Every value `path` reaches in `root`. A `*` segment stands for each item of an array (a non-array
 * there yields no items); without `*` there is exactly one item, found or not. Stops with an error
 * once more than `maxItems` items are reached, so that a hostile document cannot make one
 * condition walk millions of values.
 */
export function expandPath(root: unknown, path: string, maxItems: number): PathExpansion {
  const parsed = parsePath(path);
  if (!parsed.ok) return { ok: false, message: parsed.message };
  let items: PathItem[] = [{ indices: [], found: true, value: root }];
  let wildcard = false;
  for (const segment of parsed.segments) {
    if (segment === WILDCARD) {
      wildcard = true;
      const expanded: PathItem[] = [];
      for (const item of items) {
        if (!item.found || !Array.isArray(item.value)) continue;
        if (expanded.length + item.value.length > maxItems) {
          return { ok: false, message: `the path \`${path}\` reaches more than ${maxItems} array items` };
        }
        item.value.forEach((value, index) => expanded.push({ indices: [...item.indices, index], found: true, value }));
      }
      items = expanded;
    } else {
      items = items.map((item) => (item.found ? { indices: item.indices, ...step(item.value, segment) } : item));
    }
  }
  return { ok: true, wildcard, items };
}

/** Run-time paths (conditions, for_each sources) address the incoming JSON under a `data` root; a path without it is read inside `data`. */
export function rootedAtData(path: string): string {
  const trimmed = path.trim();
  if (trimmed === '' || trimmed === 'data') return 'data';
  return trimmed.startsWith('data.') || trimmed.startsWith('data[') ? trimmed : `data.${trimmed}`;
}

/** The first problem zod found in a block config, as `config.<path>: <message>`. */
export function firstConfigIssue(error: { issues: readonly { path: readonly PropertyKey[]; message: string }[] }): string {
  const issue = error.issues[0]!;
  return `config.${issue.path.map(String).join('.')}: ${issue.message}`;
}
