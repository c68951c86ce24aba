import { isAlias, isMap, isScalar, isSeq, type Document, type LineCounter } from 'yaml';
import type { DiagnosticIssue, Diagnostics } from '../../schemas/workflows.js';
import { formatPath } from './model.js';

export type SpecPath = Array<string | number>;

/** The 1-based line of the deepest node of `path` that exists in the document (a key's line for map entries). */
export function lineLocator(doc: Document, counter: LineCounter): (path: SpecPath) => number | null {
  const lineAt = (node: unknown): number | null => {
    const range = (node as { range?: [number, number, number] } | null)?.range;
    return range ? counter.linePos(range[0]).line : null;
  };
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

/** Collects the issues of one spec, each with its path and line. */
export class SpecReport {
  readonly issues: DiagnosticIssue[] = [];

  constructor(private readonly lineOf: (path: SpecPath) => number | null = () => null) {}

  error(code: string, path: SpecPath, message: string): void {
    this.add('error', code, path, message);
  }

  warning(code: string, path: SpecPath, message: string): void {
    this.add('warning', code, path, message);
  }

  /** An issue located by the YAML parser rather than by a path. */
  atLine(severity: DiagnosticIssue['severity'], code: string, line: number | null, message: string): void {
    this.issues.push({ severity, code, message, path: null, line });
  }

  get hasErrors(): boolean {
    return this.issues.some((issue) => issue.severity === 'error');
  }

  diagnostics(): Diagnostics {
    return { is_valid: !this.hasErrors, issues: this.issues };
  }

  private add(severity: DiagnosticIssue['severity'], code: string, path: SpecPath, message: string): void {
    this.issues.push({ severity, code, message, path: path.length > 0 ? formatPath(path) : null, line: this.lineOf(path) });
  }
}
