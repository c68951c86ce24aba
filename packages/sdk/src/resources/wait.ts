import { ConnectionError, TimeoutError, VerdictError } from '../errors.js';
import { sleep } from '../retry.js';

export interface WaitOptions<T> {
  /** Called with the resource on the first poll and whenever its progress changes. */
  onProgress?: (resource: T) => void;
  signal?: AbortSignal;
  /** Pause between two polls, in milliseconds (default 500). */
  pollMs?: number;
  /** Give up (TimeoutError, the run keeps going) when the run is not terminal after this long. */
  timeoutMs?: number;
  /**
   * How long the server may be unreachable (connection refused, no answer, 502/503/504) before the
   * wait gives up with that error, in milliseconds (default 60 000): a server restarting under a
   * wait is not the end of the run.
   */
  outageMs?: number;
  /** Called on each failed poll during an outage, with the error and how long the server has been unreachable. */
  onOutage?: (error: VerdictError, unreachableMs: number) => void;
}

/** How to poll one kind of run. */
export interface Poll<T> {
  runId: string;
  load: (signal: AbortSignal | undefined) => Promise<T>;
  isTerminal: (resource: T) => boolean;
  /** Two polls with the same key show no progress. */
  progressKey: (resource: T) => string;
}

const DEFAULT_OUTAGE_MS = 60_000;

/** The server is down or restarting, as opposed to refusing the request. */
function isOutage(error: unknown): error is VerdictError {
  if (error instanceof ConnectionError) return true;
  return error instanceof VerdictError && error.status !== null && [502, 503, 504].includes(error.status);
}

/** Polls until the run is terminal and resolves with that final state. */
export async function pollUntilTerminal<T>(poll: Poll<T>, options: WaitOptions<T> = {}): Promise<T> {
  const { signal, deadline } = withDeadline(options.signal, options.timeoutMs);
  let lastKey: string | null = null;
  let unreachableSince: number | null = null;
  try {
    for (;;) {
      let resource: T;
      try {
        resource = await poll.load(signal);
        unreachableSince = null;
      } catch (error) {
        if (signal?.aborted || !isOutage(error)) throw error;
        unreachableSince ??= Date.now();
        const unreachableMs = Date.now() - unreachableSince;
        if (unreachableMs >= (options.outageMs ?? DEFAULT_OUTAGE_MS)) throw error;
        options.onOutage?.(error, unreachableMs);
        await sleep(options.pollMs ?? 500, signal);
        continue;
      }
      const key = poll.progressKey(resource);
      if (key !== lastKey) options.onProgress?.(resource);
      lastKey = key;
      if (poll.isTerminal(resource)) return resource;
      await sleep(options.pollMs ?? 500, signal);
    }
  } catch (error) {
    if (deadline?.aborted && !options.signal?.aborted) {
      throw new TimeoutError(`Run ${poll.runId} did not finish within ${options.timeoutMs} ms.`, { code: 'wait_timeout', details: { run_id: poll.runId } });
    }
    throw error;
  }
}

function withDeadline(signal: AbortSignal | undefined, timeoutMs: number | undefined): { signal?: AbortSignal; deadline?: AbortSignal } {
  if (timeoutMs === undefined) return { signal };
  const deadline = AbortSignal.timeout(timeoutMs);
  return { signal: signal ? AbortSignal.any([signal, deadline]) : deadline, deadline };
}
