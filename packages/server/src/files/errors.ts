/**
 * A file input that cannot be used: bad data URL, too large, unsupported type, corrupt content,
 * unknown id or missing blob. Routes answer it with 422 `validation_error` (413
 * `payload_too_large` for `file_too_large` on upload); the code says which case it was.
 */
export class FileInputError extends Error {
  constructor(
    message: string,
    readonly code: FileInputErrorCode,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'FileInputError';
  }
}

export type FileInputErrorCode =
  | 'invalid_data_url'
  | 'unsupported_file_location'
  | 'file_too_large'
  | 'unsupported_file_type'
  | 'corrupt_file'
  | 'file_not_found'
  | 'blob_missing';
