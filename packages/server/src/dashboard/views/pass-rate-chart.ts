import { isTerminal, progressOf, type WorkflowTestRun } from '@verdict/core';
import { formatTime } from '../format.js';
import { html, type SafeHtml } from '../html.js';

/**
 * A workflow's pass rate over its latest finished runs, drawn on the server as inline SVG (no
 * script, no external asset; styled by the dashboard's stylesheet, which the Content-Security-
 * Policy allows where it refuses inline styles). Each point links to its run; cancelled runs and
 * runs that ended in error are drawn as their own shapes, off the line of completed runs, and the
 * same figures are listed as a table for readers who do not see the chart.
 */

const WIDTH = 640;
const HEIGHT = 180;
const PLOT = { left: 44, right: WIDTH - 12, top: 12, bottom: HEIGHT - 24 };
const MARK = 5;

export interface ChartPoint {
  run: WorkflowTestRun;
  /** Passed tests over tests that ran, in percent; null when none ran. */
  passRate: number | null;
  passed: number;
  ran: number;
}

/** The finished runs, oldest first, with their pass rates (live runs have none yet). */
export function chartPoints(runsNewestFirst: readonly WorkflowTestRun[]): ChartPoint[] {
  return runsNewestFirst
    .filter((run) => isTerminal(run.lifecycle.status))
    .reverse()
    .map((run) => {
      const { ran } = progressOf(run.counts);
      const passed = run.counts.outcome.passed;
      return { run, passed, ran, passRate: ran > 0 ? Math.round((passed / ran) * 1000) / 10 : null };
    });
}

function describePoint(point: ChartPoint): string {
  const when = `${(point.run.timing.created_at ?? '').slice(0, 16).replace('T', ' ')} UTC`;
  const status = point.run.lifecycle.status === 'completed' ? '' : ` (run ${point.run.lifecycle.status})`;
  if (point.passRate === null) return `Run of ${when}${status}: no test ran`;
  return `Run of ${when}${status}: ${point.passRate}% passed, ${point.passed} of ${point.ran}`;
}

const xOf = (index: number, count: number) => (count === 1 ? (PLOT.left + PLOT.right) / 2 : PLOT.left + ((PLOT.right - PLOT.left) * index) / (count - 1));
const yOf = (rate: number | null) => PLOT.bottom - ((PLOT.bottom - PLOT.top) * (rate ?? 0)) / 100;
const round = (value: number) => Math.round(value * 10) / 10;

/** A filled circle for a completed run, a hollow square for a cancelled one, a cross for one that ended in error. */
function mark(point: ChartPoint, x: number, y: number): SafeHtml {
  const status = point.run.lifecycle.status;
  if (status === 'cancelled') return html`<rect class="point point-cancelled" x="${round(x - MARK)}" y="${round(y - MARK)}" width="${MARK * 2}" height="${MARK * 2}"/>`;
  if (status === 'error') {
    return html`<path class="point point-error" d="M${round(x - MARK)} ${round(y - MARK)}L${round(x + MARK)} ${round(y + MARK)}M${round(x - MARK)} ${round(y + MARK)}L${round(x + MARK)} ${round(y - MARK)}"/>`;
  }
  return html`<circle class="point point-completed" cx="${round(x)}" cy="${round(y)}" r="${MARK}"/>`;
}

function dataTable(points: ChartPoint[]): SafeHtml {
  const rows = points.map(
    (point) => html`<tr>
      <td><a href="/runs/${point.run.id}">${formatTime(point.run.timing.created_at)}</a></td>
      <td>${point.run.lifecycle.status}</td>
      <td class="num">${point.passRate === null ? '—' : `${point.passRate}%`}</td>
      <td class="num">${point.passed} / ${point.ran}</td>
    </tr>`,
  );
  return html`<details class="chart-table"><summary>The pass rates as a table</summary>
    <table><thead><tr><th scope="col">Run created</th><th scope="col">Status</th><th scope="col" class="num">Pass rate</th><th scope="col" class="num">Passed / ran</th></tr></thead>
    <tbody>${rows}</tbody></table>
  </details>`;
}

export function passRateChart(points: ChartPoint[]): SafeHtml {
  if (points.length === 0) return html`<p class="empty">No finished runs yet: the pass rate chart appears after the first.</p>`;
  const placed = points.map((point, index) => ({ point, x: xOf(index, points.length), y: yOf(point.passRate) }));
  const line = placed.filter(({ point }) => point.run.lifecycle.status === 'completed' && point.passRate !== null).map(({ x, y }) => `${round(x)},${round(y)}`);
  const completed = points.filter((point) => point.run.lifecycle.status === 'completed' && point.passRate !== null);
  const latest = completed.at(-1);
  const summary = latest
    ? `${points.length} finished runs, oldest first; the latest completed run passed ${latest.passRate}%. Cancelled runs are hollow squares, runs that ended in error are crosses.`
    : `${points.length} finished runs, none completed.`;
  const grid = [0, 50, 100].map(
    (rate) => html`<line class="chart-grid" x1="${PLOT.left}" x2="${PLOT.right}" y1="${yOf(rate)}" y2="${yOf(rate)}"/><text class="chart-axis" x="${PLOT.left - 6}" y="${yOf(rate) + 4}" text-anchor="end">${rate}%</text>`,
  );
  return html`<figure class="pass-rate">
    <svg id="pass-rate-chart" viewBox="0 0 ${WIDTH} ${HEIGHT}" width="100%" role="group" aria-labelledby="pass-rate-title" aria-describedby="pass-rate-desc" xmlns="http://www.w3.org/2000/svg">
      <title id="pass-rate-title">Pass rate of the last ${points.length} finished runs</title>
      <desc id="pass-rate-desc">${summary}</desc>
      ${grid}
      ${line.length > 1 ? html`<polyline class="chart-line" points="${line.join(' ')}"/>` : ''}
      ${placed.map(
        ({ point, x, y }) =>
          html`<a href="/runs/${point.run.id}" class="chart-point" data-run-id="${point.run.id}" data-status="${point.run.lifecycle.status}" data-pass-rate="${point.passRate ?? ''}" aria-label="${describePoint(point)}"><title>${describePoint(point)}</title>${mark(point, x, y)}</a>`,
      )}
    </svg>
    <figcaption class="muted small">${summary}</figcaption>
    ${dataTable(points)}
  </figure>`;
}
