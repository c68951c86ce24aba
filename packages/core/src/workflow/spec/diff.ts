import { canonicalJson } from '../../canonical.js';
import type { DeclarativePlanFieldChange } from '../../schemas/workflows.js';
import { formatPath } from './model.js';
import { isJsonObject, ownValue } from '../values.js';

type Path = Array<string | number>;
/** Above this many line pairs a text diff lists old lines then new ones instead of aligning them. */
const MAX_ALIGNED_CELLS = 250_000;

function alignedLines(before: string[], after: string[]): string[] {
  if (before.length * after.length > MAX_ALIGNED_CELLS) return [...before.map((l) => '-' + l), ...after.map((l) => '+' + l)];
  const width = after.length + 1;
  // common[i * width + j] = length of the longest common subsequence of before[i..] and after[j..]
  const common = new Uint32Array((before.length + 1) * width);
  for (let i = before.length - 1; i >= 0; i--) {
    for (let j = after.length - 1; j >= 0; j--) {
      common[i * width + j] = before[i] === after[j] ? common[(i + 1) * width + j + 1] + 1 : Math.max(common[(i + 1) * width + j], common[i * width + j + 1]);
    }
  }
  const lines: string[] = [];
  let i = 0;
  let j = 0;
  while (i < before.length && j < after.length) {
    if (before[i] === after[j]) {
      lines.push(' ' + before[i]);
      i++;
      j++;
    } else if (common[(i + 1) * width + j] >= common[i * width + j + 1]) lines.push('-' + before[i++]);
    else lines.push('+' + after[j++]);
  }
  return [...lines, ...before.slice(i).map((l) => '-' + l), ...after.slice(j).map((l) => '+' + l)];
}

/** A unified diff of two texts as one hunk covering both (code blocks are short enough to show whole). */
export function unifiedDiff(before: string, after: string): string {
  const a = before === '' ? [] : before.split('\n');
  const b = after === '' ? [] : after.split('\n');
  return [`--- before`, `+++ after`, `@@ -1,${a.length} +1,${b.length} @@`, ...alignedLines(a, b)].join('\n');
}

function isMultiline(value: unknown): boolean {
  return typeof value === 'string' && value.includes('\n');
}

function leafChange(path: Path, before: unknown, after: unknown): DeclarativePlanFieldChange {
  const textDiff = (isMultiline(before) || isMultiline(after)) && typeof (before ?? '') === 'string' && typeof (after ?? '') === 'string';
  return {
    path,
    path_display: formatPath(path),
    action: before === undefined ? 'create' : after === undefined ? 'delete' : 'update',
    before: before ?? null,
    after: after ?? null,
    before_sensitive: false,
    after_sensitive: false,
    unified_diff: textDiff ? unifiedDiff((before as string | undefined) ?? '', (after as string | undefined) ?? '') : null,
  };
}

/** Every leaf that differs between two JSON values; objects are compared key by key, arrays as wholes. */
export function fieldChanges(before: unknown, after: unknown, path: Path = []): DeclarativePlanFieldChange[] {
  if (canonicalJson(before) === canonicalJson(after) && (before === undefined) === (after === undefined)) return [];
  if (!isJsonObject(before) || !isJsonObject(after)) return [leafChange(path, before, after)];
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])];
  return keys.flatMap((key) => fieldChanges(ownValue(before, key), ownValue(after, key), [...path, key]));
}
