/**
 * Live progress of a run for `--wait`: on a terminal one line redrawn in place (a bar and the
 * passed/failed/blocked counts), elsewhere one plain line per change, which reads well in CI logs.
 */
import { progressOf } from '@verdict/core';
import type { WorkflowTestRun } from '@verdict/sdk';
import { safe, visibleLength, type OutputStream, type Style } from './output.js';
import { countsSummary } from './views.js';

export interface Progress {
  update(run: WorkflowTestRun): void;
  /** Clears the live line so that a prompt can use the terminal. */
  pause(): void;
  resume(): void;
  /** Leaves the terminal on a fresh line. */
  stop(): void;
}

const BAR_WIDTH = 24;

/** `12/14 ran`; tests stopped by a cancel are counted apart (by countsSummary), never as done. */
const ranCount = (run: WorkflowTestRun) => `${progressOf(run.counts).ran}/${run.total_tests}`;

export function progressBar(run: WorkflowTestRun, style: Style): string {
  const { passed, failed, blocked } = run.counts.outcome;
  const total = Math.max(run.total_tests, 1);
  const cells = (count: number) => Math.round((count / total) * BAR_WIDTH);
  const green = cells(passed);
  const red = Math.min(cells(failed + run.counts.lifecycle_counts.error), BAR_WIDTH - green);
  const yellow = Math.min(cells(blocked), BAR_WIDTH - green - red);
  const cancelled = Math.min(cells(run.counts.lifecycle_counts.cancelled), BAR_WIDTH - green - red - yellow);
  const rest = BAR_WIDTH - green - red - yellow - cancelled;
  return `[${style.green('█'.repeat(green))}${style.red('█'.repeat(red))}${style.yellow('█'.repeat(yellow))}${style.dim('×'.repeat(cancelled))}${style.dim('░'.repeat(rest))}]`;
}

export function progressLine(run: WorkflowTestRun, style: Style): string {
  return `${safe(run.id)} ${safe(run.lifecycle.status)} ${progressBar(run, style)} ${ranCount(run)}  ${countsSummary(run, style)}`;
}

export function plainProgressLine(run: WorkflowTestRun, style: Style): string {
  return `run ${safe(run.id)} ${safe(run.lifecycle.status)}: ${ranCount(run)} ran, ${countsSummary(run, style)}\n`;
}

/** Cuts a styled line to the terminal width so that `\r` can redraw it (a wrapped line cannot be). */
function fitToWidth(line: string, columns: number | undefined): string {
  if (!columns || visibleLength(line) < columns) return line;
  const plain = line.replace(/\x1b\[[0-9;]*m/g, '');
  return plain.slice(0, Math.max(0, columns - 2)) + '…';
}

function liveProgress(stream: OutputStream, style: Style): Progress {
  let last: WorkflowTestRun | null = null;
  let paused = false;
  let drawn = false;
  const clear = () => {
    if (drawn) stream.write('\r\x1b[2K');
    drawn = false;
  };
  const draw = () => {
    if (!last || paused) return;
    stream.write(`\r\x1b[2K${fitToWidth(progressLine(last, style), stream.columns)}`);
    drawn = true;
  };
  return {
    update(run) {
      last = run;
      draw();
    },
    pause() {
      paused = true;
      clear();
    },
    resume() {
      paused = false;
      draw();
    },
    stop() {
      if (drawn) stream.write('\n');
      drawn = false;
      paused = true;
    },
  };
}

function plainProgress(stream: OutputStream, style: Style): Progress {
  return {
    update: (run) => stream.write(plainProgressLine(run, style)),
    pause: () => undefined,
    resume: () => undefined,
    stop: () => undefined,
  };
}

export function createProgress(stream: OutputStream, style: Style): Progress {
  return stream.isTTY ? liveProgress(stream, style) : plainProgress(stream, style);
}
