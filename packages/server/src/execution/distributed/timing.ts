export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Rejects with `message` when `work` has not settled within `ms`. */
export async function withTimeout<T>(work: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(message)), ms)));
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Waits for `work` to settle, or `ms` at most, when its outcome is not needed (shutting down). */
export async function settleWithin(work: Promise<unknown>, ms: number): Promise<void> {
  await withTimeout(work, ms, '').catch(() => undefined);
}
