/**
 * Cancel broadcast: BullMQ's `cancelJob` reaches only the jobs of the worker instance it is called
 * on, so the process that cancels a run publishes it and every worker cancels its own jobs.
 */
export interface CancelMessage {
  runId: string;
  /** Epoch milliseconds at which the cancel was published; workers measure the cancel latency from it. */
  sentAt: number;
}

export function cancelChannel(prefix: string): string {
  return `${prefix}:cancel`;
}

export function encodeCancel(runId: string, sentAt = Date.now()): string {
  return JSON.stringify({ runId, sentAt } satisfies CancelMessage);
}

/** Null for anything that is not a cancel message (the channel is shared with whatever else publishes on it). */
export function decodeCancel(text: string): CancelMessage | null {
  try {
    const value = JSON.parse(text) as Partial<CancelMessage>;
    return typeof value.runId === 'string' && typeof value.sentAt === 'number' ? { runId: value.runId, sentAt: value.sentAt } : null;
  } catch {
    return null;
  }
}
