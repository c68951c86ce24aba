import { VerdictError, type BlockFailureCode, type VerdictErrorOptions } from '../errors/index.js';

export type FileInputErrorCode = Extract<
  BlockFailureCode,
  'invalid_data_url' | 'unsupported_file_location' | 'file_too_large' | 'unsupported_file_type' | 'corrupt_file' | 'file_not_found' | 'blob_missing'
>;

/**
 * A file input that cannot be used: bad data URL, too large, unsupported type, corrupt content,
 * unknown id or missing blob. Routes answer it with 422 `validation_error` (413
 * `payload_too_large` for `file_too_large` on upload); the code says which case it was.
 */
export class FileInputError extends VerdictError {
  declare readonly code: FileInputErrorCode;

  constructor(message: string, code: FileInputErrorCode, details: Record<string, unknown> = {}, options?: VerdictErrorOptions) {
    super(message, code, details, options);
  }
}
