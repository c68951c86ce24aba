/**
 * The supervised side: a `verdict serve` / `verdict worker` started with an IPC channel to its
 * parent (by the supervisor, which forks it) tells the parent when it is ready, and dies with it.
 * Without a channel (`--no-supervise` from a shell, systemd, a container) both do nothing.
 */

/** The signals that ask a Verdict process to stop gracefully (the supervisor passes each on). */
export const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/** What a supervised process sends once it serves: the port it bound, so that a restart binds it again. */
export interface ReadyMessage {
  verdict: 'ready';
  port: number | null;
}

export function isReadyMessage(message: unknown): message is ReadyMessage {
  return typeof message === 'object' && message !== null && (message as Partial<ReadyMessage>).verdict === 'ready';
}

export function reportReady(port: number | null): void {
  const message: ReadyMessage = { verdict: 'ready', port };
  process.send?.(message);
}

/**
 * The parent never lets go of the channel while it runs, even while asking this process to stop;
 * a channel that closes means the parent was killed (kill -9 of the supervisor). This process then
 * ends at once, as it would have under that kill unsupervised: its tests resume on the next start,
 * and it does not keep the port from the next supervisor.
 */
export function exitWithParent(): void {
  if (!process.send) return;
  process.once('disconnect', () => process.exit(1));
}
