/** The run and result lifecycle of docs/decisions.md §3, shared by runs and their per-test rows. */
export const LIFECYCLE_STATUSES = ['pending', 'queued', 'running', 'completed', 'error', 'cancelled'] as const;
export type LifecycleStatus = (typeof LIFECYCLE_STATUSES)[number];

export const TERMINAL_STATUSES = ['completed', 'error', 'cancelled'] as const satisfies readonly LifecycleStatus[];
export const LIVE_STATUSES = ['pending', 'queued', 'running'] as const satisfies readonly LifecycleStatus[];
export type TerminalStatus = (typeof TERMINAL_STATUSES)[number];
export type LiveStatus = (typeof LIVE_STATUSES)[number];

export const VERDICTS = ['passed', 'failed', 'blocked'] as const;
export type Verdict = (typeof VERDICTS)[number];

export function isTerminal(status: LifecycleStatus): status is TerminalStatus {
  return status === 'completed' || status === 'error' || status === 'cancelled';
}

/** A status as the store keeps it (text) is one a run or row can still leave. */
export function isLive(status: string): status is LiveStatus {
  return (LIVE_STATUSES as readonly string[]).includes(status);
}

export interface LifecycleCounts {
  pending: number;
  queued: number;
  running: number;
  completed: number;
  error: number;
  cancelled: number;
}

export interface OutcomeCounts {
  passed: number;
  failed: number;
  blocked: number;
}

export interface RunCounts {
  lifecycle_counts: LifecycleCounts;
  outcome: OutcomeCounts;
}

/** The invariants every response must satisfy (docs/decisions.md §3). Returns the violated rule, or null. */
export function countsViolation(counts: RunCounts, totalTests: number): string | null {
  const lc = counts.lifecycle_counts;
  const lifecycleSum = lc.pending + lc.queued + lc.running + lc.completed + lc.error + lc.cancelled;
  if (lifecycleSum !== totalTests) return `sum(lifecycle_counts)=${lifecycleSum} but total_tests=${totalTests}`;
  const o = counts.outcome;
  const outcomeSum = o.passed + o.failed + o.blocked;
  if (outcomeSum !== lc.completed) return `sum(outcome)=${outcomeSum} but lifecycle_counts.completed=${lc.completed}`;
  return null;
}

export interface RunProgress {
  /** Tests that ran to an end: a verdict, or an execution error. */
  ran: number;
  /** Tests stopped by a cancel before they finished: they did not run, so they are never counted as done. */
  cancelled: number;
  /** Tests still waiting or running. */
  live: number;
}

/** How far a run got, with cancelled tests apart from those that ran (a cancelled run is not "14 of 14 finished"). */
export function progressOf(counts: RunCounts): RunProgress {
  const lc = counts.lifecycle_counts;
  return { ran: lc.completed + lc.error, cancelled: lc.cancelled, live: lc.pending + lc.queued + lc.running };
}
