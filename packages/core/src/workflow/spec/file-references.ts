import { isMap, isScalar, isSeq, LineCounter, parseDocument } from 'yaml';

/** A `{file: <path>}` test input of a spec, where its path is written in the text. */
export interface SpecFileReference {
  file: string;
  /** Offsets of the path's scalar in the text: replacing [start, end) replaces the path alone. */
  start: number;
  end: number;
  line: number;
}

/**
 * The `{file: <path>}` inputs of `spec.tests`, which the CLI reads (relative to the YAML) and
 * replaces by their bytes before sending the spec. Text that does not parse has none: the server
 * reports what is wrong with it.
 */
export function specFileReferences(text: string): SpecFileReference[] {
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter, uniqueKeys: false });
  if (doc.errors.length > 0 || !isMap(doc.contents)) return [];
  const spec = doc.contents.get('spec', true);
  const tests = isMap(spec) ? spec.get('tests', true) : null;
  if (!isSeq(tests)) return [];
  const references: SpecFileReference[] = [];
  for (const kase of tests.items) {
    const inputs = isMap(kase) ? kase.get('inputs', true) : null;
    if (!isMap(inputs)) continue;
    for (const pair of inputs.items) {
      const file = isMap(pair.value) && pair.value.items.length === 1 ? pair.value.get('file', true) : null;
      if (!isScalar(file) || typeof file.value !== 'string' || !file.range) continue;
      references.push({ file: file.value, start: file.range[0], end: file.range[1], line: counter.linePos(file.range[0]).line });
    }
  }
  return references;
}

/** The text with each reference's path replaced by `replacement(reference)` (one line of YAML, e.g. a JSON object). */
export function replaceFileReferences(text: string, references: SpecFileReference[], replacement: (reference: SpecFileReference) => string): string {
  let result = text;
  for (const reference of [...references].sort((a, b) => b.start - a.start)) {
    result = result.slice(0, reference.start) + replacement(reference) + result.slice(reference.end);
  }
  return result;
}
