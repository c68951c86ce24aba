import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';

/** Niceness of the threads that run tenants' code: below the thread that answers requests. */
export const TENANT_CODE_NICENESS = 10;

/**
 * Lowers the scheduling priority of the calling thread only (Linux schedules threads as tasks; its
 * id is the last part of /proc/thread-self). Tenants' code then takes only the CPU the server's
 * main thread leaves: a cancel or a GET is answered promptly while every sandbox thread spins.
 * Elsewhere, or where it is refused, nothing changes.
 */
export function lowerThisThreadsPriority(niceness = TENANT_CODE_NICENESS): boolean {
  try {
    const threadId = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (!Number.isInteger(threadId) || threadId <= 0) return false;
    setPriority(threadId, niceness);
    return true;
  } catch {
    return false;
  }
}
