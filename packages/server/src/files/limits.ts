/** Default cap on one file's size: 20 MiB, like common model-server limits on one request's images. */
export const DEFAULT_MAX_FILE_BYTES = 20 * 1024 * 1024;

export function describeBytes(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
  if (bytes >= 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${bytes} bytes`;
}
