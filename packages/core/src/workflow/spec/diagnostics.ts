import { isAlias, isMap, isPair, isScalar, isSeq, type Document, type LineCounter } from 'yaml';
import type { DiagnosticIssue, Diagnostics } from '../../schemas/workflows.js';
import { formatPath } from './model.js';
import { unknownFieldMessage } from './suggest.js';
import type { JsonObject } from '../values.js';

export type SpecPath = Array<string | number>;

/** The 1-based line of the deepest node of `path` that exists in the document (a key's line for map entries). */
export function lineLocator(doc: Document, counter: LineCounter): (path: SpecPath) => number | null {
  const lineAt = (node: unknown) => lineOfNode(counter, node);
  return (path) => {
    let node: unknown = doc.contents;
    let line = lineAt(node);
    for (const segment of path) {
      if (isAlias(node)) node = node.resolve(doc);
      if (isMap(node)) {
        const pair = node.items.find((item) => isScalar(item.key) && String(item.key.value) === String(segment));
        if (!pair) break;
        line = lineAt(pair.key) ?? line;
        node = pair.value;
      } else if (isSeq(node) && typeof segment === 'number' && node.items[segment]) {
        node = node.items[segment];
        line = lineAt(node) ?? line;
      } else break;
    }
    return line;
  };
}

function lineOfNode(counter: LineCounter, node: unknown): number | null {
  const range = (node as { range?: [number, number, number] } | null)?.range;
  return range ? counter.linePos(range[0]).line : null;
}

/**
 * The keys that repeat within one mapping, with their lines. The yaml package's own check
 * (`uniqueKeys`) compares every key with every earlier one, which a large mapping turns into minutes.
 */
export function duplicateKeys(doc: Document, counter: LineCounter): Array<{ key: string; line: number | null }> {
  const duplicates: Array<{ key: string; line: number | null }> = [];
  const pending: unknown[] = [doc.contents];
  while (pending.length > 0) {
    const node = pending.pop();
    if (isMap(node)) {
      const seen = new Set<string>();
      for (const pair of node.items) {
        const key = isScalar(pair.key) ? String(pair.key.value) : null;
        if (key !== null && seen.has(key)) duplicates.push({ key, line: lineOfNode(counter, pair.key) });
        if (key !== null) seen.add(key);
        pending.push(pair.key, pair.value);
      }
    } else if (isSeq(node)) pending.push(...node.items);
    else if (isPair(node)) pending.push(node.key, node.value);
  }
  return duplicates;
}

const MAX_REPORTED_ISSUES = 100;

/** Collects the issues of one spec, each with its path and line; past 100 issues it only counts them. */
export class SpecReport {
  readonly issues: DiagnosticIssue[] = [];
  private unreported = 0;
  private unreportedErrors = false;

  constructor(private readonly lineOf: (path: SpecPath) => number | null = () => null) {}

  error(code: string, path: SpecPath, message: string): void {
    this.add('error', code, path, message);
  }

  warning(code: string, path: SpecPath, message: string): void {
    this.add('warning', code, path, message);
  }

  /** An issue located by the YAML parser rather than by a path. */
  atLine(severity: DiagnosticIssue['severity'], code: string, line: number | null, message: string): void {
    this.push(severity, () => ({ severity, code, message, path: null, line }));
  }

  get hasErrors(): boolean {
    return this.unreportedErrors || this.issues.some((issue) => issue.severity === 'error');
  }

  diagnostics(): Diagnostics {
    if (this.unreported === 0) return { is_valid: !this.hasErrors, issues: this.issues };
    const more: DiagnosticIssue = {
      severity: this.unreportedErrors ? 'error' : 'warning',
      code: 'TOO_MANY_ISSUES',
      message: `${this.unreported} more issues are not listed; fix the ones above and validate again.`,
      path: null,
      line: null,
    };
    return { is_valid: !this.hasErrors, issues: [...this.issues, more] };
  }

  private add(severity: DiagnosticIssue['severity'], code: string, path: SpecPath, message: string): void {
    this.push(severity, () => ({ severity, code, message, path: path.length > 0 ? formatPath(path) : null, line: this.lineOf(path) }));
  }

  /** Locating an issue costs a walk of the document, so issues past the limit are only counted. */
  private push(severity: DiagnosticIssue['severity'], issue: () => DiagnosticIssue): void {
    if (this.issues.length < MAX_REPORTED_ISSUES) this.issues.push(issue());
    else {
      this.unreported++;
      this.unreportedErrors ||= severity === 'error';
    }
  }
}

/** A misspelt field would otherwise be dropped silently (a `lable:` blanked a label), so any unknown field stops the spec. */
export function refuseUnknownKeys(report: SpecReport, value: JsonObject, known: readonly string[], path: SpecPath): void {
  for (const key of Object.keys(value)) {
    if (!known.includes(key)) report.error('UNKNOWN_FIELD', [...path, key], unknownFieldMessage(key, known));
  }
}

/** Where a value YAML can write but JSON cannot hold (.nan, .inf) sits, if anywhere. */
export function nonFinitePath(value: unknown): SpecPath | null {
  const pending: Array<[unknown, SpecPath]> = [[value, []]];
  while (pending.length > 0) {
    const [node, path] = pending.pop()!;
    if (typeof node === 'number' && !Number.isFinite(node)) return path;
    if (typeof node === 'object' && node !== null) {
      for (const [key, child] of Object.entries(node)) pending.push([child, [...path, Array.isArray(node) ? Number(key) : key]]);
    }
  }
  return null;
}
