/** Default cap on one file's size: 20 MiB, like common model-server limits on one request's images. */
export const DEFAULT_MAX_FILE_BYTES = 20 * 1024 * 1024;

/** `VERDICT_MAX_FILE_BYTES` (a positive whole number of bytes), else the default. */
export function maxFileBytesFromEnv(env: Record<string, string | undefined>): number {
  const raw = env.VERDICT_MAX_FILE_BYTES?.trim();
  if (!raw) return DEFAULT_MAX_FILE_BYTES;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new Error(`VERDICT_MAX_FILE_BYTES must be a positive whole number of bytes; got "${raw}".`);
  }
  return value;
}

export function describeBytes(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
  if (bytes >= 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${bytes} bytes`;
}
