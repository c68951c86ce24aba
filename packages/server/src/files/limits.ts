/** Default cap on one file's size: 20 MiB, like common model-server limits on one request's images. */
export const DEFAULT_MAX_FILE_BYTES = 20 * 1024 * 1024;

export function describeBytes(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
  if (bytes >= 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${bytes} bytes`;
}

/** How a caller puts a file into Verdict, for every message that refuses another way of naming one. */
export const HOW_TO_UPLOAD =
  'upload the file (POST /v1/files/upload, PUT the bytes to its upload_url, POST /v1/files/upload/{file_id}/complete; or POST /v1/files) and pass {id, filename, mime_type} with its id, or send the bytes as a data: URL';
