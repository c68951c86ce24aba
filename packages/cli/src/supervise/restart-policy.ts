/**
 * When the supervisor restarts a server that crashed: after a pause that doubles with each recent
 * crash, until too many crashes fall within one window; then a restart would only crash again
 * (a port taken, a store that cannot open) and the supervisor gives up.
 */
export const RESTART_LIMIT = { crashes: 5, windowMs: 120_000 } as const;

const FIRST_PAUSE_MS = 500;

export type RestartDecision = { restart: true; pauseMs: number; recentCrashes: number } | { restart: false; recentCrashes: number };

export class CrashHistory {
  private readonly crashTimes: number[] = [];

  /** Records a crash at `now` (ms) and says whether, and after how long, to restart. */
  record(now: number): RestartDecision {
    this.crashTimes.push(now);
    while (this.crashTimes[0]! <= now - RESTART_LIMIT.windowMs) this.crashTimes.shift();
    const recentCrashes = this.crashTimes.length;
    if (recentCrashes >= RESTART_LIMIT.crashes) return { restart: false, recentCrashes };
    return { restart: true, pauseMs: FIRST_PAUSE_MS * 2 ** (recentCrashes - 1), recentCrashes };
  }
}
