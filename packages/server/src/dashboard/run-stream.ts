import { isTerminal, type LifecycleStatus, type WorkflowTestRun } from '@verdict/core';
import type { Services } from '../services/index.js';
import { startedResults, type ResultListItem, type StartedResultFilter } from '../services/test-results.js';
import { resultRow, runSummary } from './views/runs.js';

const ROWS_PER_SCAN = 500;

export type RunEvent =
  | { event: 'summary'; data: { status: string; terminal: boolean; html: string } }
  | { event: 'results'; data: { rows: { id: string; position: number; html: string }[] } }
  | { event: 'finished'; data: { html: Record<string, string> } }
  /** Parts of a page that changed, by the id of the element each replaces the content of. */
  | { event: 'parts'; data: { html: Record<string, string> } }
  | { event: 'end'; data: { status: string } };

/** What a page shows once its run is finished, by the id of the element it goes into. */
export type FinishedParts = (run: WorkflowTestRun) => Promise<Record<string, string>>;

/**
 * Which result rows a client has seen. Rows before `nextPosition` are finished and were sent, so
 * they are never read again; later rows are read from a scan position and sent only when their
 * state differs from what was sent. When more rows changed than one scan reads, the next scans go
 * on from where this one stopped, then wrap back to `nextPosition`.
 */
export class ResultCursor {
  private nextPosition = 0;
  private scanFrom = 0;
  private readonly sent = new Map<number, { state: string; finished: boolean }>();
  /** The last scan covered every started row from `nextPosition` on. */
  caughtUp = false;

  constructor(
    /** Started rows in run order from a position (see `startedResults`). */
    private readonly readRows: (fromPosition: number, limit: number) => Promise<ResultListItem[]>,
    private readonly rowsPerScan = ROWS_PER_SCAN,
  ) {}

  async changedRows(): Promise<ResultListItem[]> {
    const from = this.scanFrom;
    const startedFromNext = from === this.nextPosition;
    const rows = await this.readRows(from, this.rowsPerScan);
    const changed = rows.filter((row) => this.remember(row));
    this.skipFinishedPrefix();
    const fullPage = rows.length === this.rowsPerScan;
    this.caughtUp = startedFromNext && !fullPage;
    this.scanFrom = fullPage ? Math.max(rows[rows.length - 1]!.position + 1, this.nextPosition) : this.nextPosition;
    return changed;
  }

  private remember(row: ResultListItem): boolean {
    const state = `${row.status}/${row.verdict ?? ''}`;
    if (this.sent.get(row.position)?.state === state) return false;
    this.sent.set(row.position, { state, finished: isTerminal(row.status as LifecycleStatus) });
    return true;
  }

  private skipFinishedPrefix(): void {
    while (this.sent.get(this.nextPosition)?.finished) {
      this.sent.delete(this.nextPosition);
      this.nextPosition++;
    }
  }
}

/**
 * What the run page's event stream says at each tick: the summary when the run's status or
 * counts moved, the result rows (of those the page's filter shows) that changed, and once the run
 * is terminal and every row has been sent, what a finished run's page adds, then `end`. Counts and rows change in one transaction, so unchanged counts mean unchanged rows.
 */
export class RunEventFeed {
  private readonly cursor: ResultCursor;
  private lastSummary = '';

  constructor(
    private readonly services: Services,
    private readonly organizationId: string,
    private readonly runId: string,
    /** Only the rows the page's filter shows. */
    filter: StartedResultFilter = {},
    private readonly finishedParts: FinishedParts | null = null,
  ) {
    this.cursor = new ResultCursor((fromPosition, limit) => startedResults(services, runId, fromPosition, limit, filter));
  }

  async poll(): Promise<{ events: RunEvent[]; done: boolean }> {
    const run = await this.services.runs.find(this.organizationId, this.runId);
    if (!run) return { events: [{ event: 'end', data: { status: 'deleted' } }], done: true };
    const events: RunEvent[] = [];
    const summaryKey = JSON.stringify([run.lifecycle, run.counts, run.timing]);
    const moved = summaryKey !== this.lastSummary;
    const terminal = isTerminal(run.lifecycle.status);
    if (moved) {
      this.lastSummary = summaryKey;
      events.push({ event: 'summary', data: { status: run.lifecycle.status, terminal, html: runSummary(run).text } });
    }
    if (moved || !this.cursor.caughtUp) {
      const rows = await this.cursor.changedRows();
      if (rows.length > 0) events.push({ event: 'results', data: { rows: rows.map((item) => ({ id: item.id, position: item.position, html: resultRow(item).text })) } });
    }
    const done = terminal && this.cursor.caughtUp;
    if (done && this.finishedParts) events.push({ event: 'finished', data: { html: await this.finishedParts(run) } });
    if (done) events.push({ event: 'end', data: { status: run.lifecycle.status } });
    return { events, done };
  }
}

export function serializeEvent(event: RunEvent): string {
  return `event: ${event.event}\ndata: ${JSON.stringify(event.data)}\n\n`;
}

/** The part of an HTTP response the event stream writes to. */
export interface EventSink {
  write(chunk: string): unknown;
  end(): unknown;
  readonly writableEnded: boolean;
  readonly writableNeedDrain: boolean;
  on(event: 'close', listener: () => void): unknown;
}

export interface PipeOptions {
  tickMs: number;
  /** A comment line every this many ticks keeps proxies from closing a quiet stream. */
  heartbeatEveryTicks: number;
  onError(error: unknown): void;
}

/**
 * Polls the feed on a timer (the next tick is scheduled only after the previous one finished)
 * and writes its events, until the run is done, the client goes away, or `stop` is called.
 */
export function pipeRunEvents(feed: Pick<RunEventFeed, 'poll'>, sink: EventSink, options: PipeOptions): { stop(): void; stopped: Promise<void> } {
  let timer: NodeJS.Timeout | undefined;
  let ticks = 0;
  let running = true;
  let markStopped!: () => void;
  const stopped = new Promise<void>((resolve) => (markStopped = resolve));
  const stop = () => {
    if (!running) return;
    running = false;
    clearTimeout(timer);
    if (!sink.writableEnded) sink.end();
    markStopped();
  };
  const tick = async () => {
    try {
      // A client that does not keep up gets the changes later: the feed diffs against what it sent.
      if (!sink.writableNeedDrain) {
        const { events, done } = await feed.poll();
        if (!running) return;
        for (const event of events) sink.write(serializeEvent(event));
        if (done) return stop();
      }
      if (++ticks % options.heartbeatEveryTicks === 0) sink.write(': keep-alive\n\n');
      timer = setTimeout(tick, options.tickMs);
    } catch (error) {
      options.onError(error);
      stop();
    }
  };
  sink.on('close', stop);
  void tick();
  return { stop, stopped };
}
