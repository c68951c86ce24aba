import type { Command } from 'commander';
import type { WorkflowTestRun } from '@verdict/sdk';

/** What scripts and CI read from `verdict`: see exitCodeHelp(). */
export const EXIT = {
  ok: 0,
  testsFailed: 1,
  runFailed: 2,
  usage: 3,
  interrupted: 130,
} as const;

export function exitCodeHelp(): string {
  return [
    '',
    'Exit codes:',
    '  0    success; for `runs create --wait` / `runs wait`: every test passed',
    '  1    the run completed but some test failed, was blocked, or errored',
    '  2    the run errored, was cancelled, or did not finish within --timeout',
    '  3    usage error, bad input, an error answer from the server, or the server could not be reached',
    '  130  interrupted with Ctrl-C and left running',
  ].join('\n');
}

/** The exit code a finished (or given-up-on) run stands for. */
export function exitCodeForRun(run: WorkflowTestRun): number {
  if (run.lifecycle.status !== 'completed') return EXIT.runFailed;
  const { outcome, lifecycle_counts } = run.counts;
  return outcome.failed + outcome.blocked + lifecycle_counts.error > 0 ? EXIT.testsFailed : EXIT.ok;
}

/**
 * Commander exits with 1 on a usage error, which would read as "a test failed". Call once on
 * the program after every command is registered.
 */
export function applyUsageExitCode(command: Command): void {
  command.exitOverride((error) => process.exit(error.exitCode === 0 ? EXIT.ok : EXIT.usage));
  command.commands.forEach(applyUsageExitCode);
}

export interface OutputStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface Style {
  readonly enabled: boolean;
  bold(text: string): string;
  dim(text: string): string;
  red(text: string): string;
  green(text: string): string;
  yellow(text: string): string;
  cyan(text: string): string;
}

const paint = (enabled: boolean, open: number, close: number) => (text: string) => (enabled ? `\x1b[${open}m${text}\x1b[${close}m` : text);

/** Colours only for a terminal, and never when NO_COLOR is set (https://no-color.org) or TERM is dumb. */
export function createStyle(stream: OutputStream, env: Record<string, string | undefined>): Style {
  const enabled = Boolean(stream.isTTY) && !env.NO_COLOR && env.TERM !== 'dumb';
  return {
    enabled,
    bold: paint(enabled, 1, 22),
    dim: paint(enabled, 2, 22),
    red: paint(enabled, 31, 39),
    green: paint(enabled, 32, 39),
    yellow: paint(enabled, 33, 39),
    cyan: paint(enabled, 36, 39),
  };
}

const ANSI = /\x1b\[[0-9;]*m/g;
export const visibleLength = (text: string): number => text.replace(ANSI, '').length;

/** Server-provided text made safe for a terminal: control characters (escape sequences included) become spaces. */
export function safe(value: unknown): string {
  const text = value === null || value === undefined ? '' : String(value);
  return text.replace(/[\x00-\x1f\x7f-\x9f]/g, ' ');
}

/** Like safe(), keeping line breaks: for multi-line text such as a rendered plan. */
export function safeLines(value: string): string {
  return value.split('\n').map(safe).join('\n');
}

const padEnd = (text: string, width: number) => text + ' '.repeat(Math.max(0, width - visibleLength(text)));

/** Aligned columns separated by two spaces; the last column is not padded. */
export function table(headers: string[], rows: string[][], style: Style): string {
  const widths = headers.map((header, column) => Math.max(visibleLength(header), ...rows.map((row) => visibleLength(row[column] ?? ''))));
  const line = (cells: string[]) =>
    cells
      .map((cell, column) => (column === cells.length - 1 ? cell : padEnd(cell, widths[column])))
      .join('  ')
      .trimEnd();
  return [style.bold(line(headers)), ...rows.map(line)].join('\n') + '\n';
}

/** `Label   value` lines, labels aligned. */
export function fields(pairs: Array<[string, string]>, style: Style): string {
  const width = Math.max(...pairs.map(([label]) => label.length));
  return pairs.map(([label, value]) => `${style.dim(label.padEnd(width))}  ${value}`).join('\n') + '\n';
}

export function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '-';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const minutes = Math.floor(ms / 60_000);
  return `${minutes} min ${Math.round((ms % 60_000) / 1000)} s`;
}

/** `2026-05-29 10:00:00Z` from an ISO timestamp; anything else is shown as it came. */
export function formatTimestamp(iso: string | null | undefined): string {
  if (!iso) return '-';
  const match = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})(?:\.\d+)?Z$/.exec(iso);
  return match ? `${match[1]} ${match[2]}Z` : safe(iso);
}
