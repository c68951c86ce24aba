import { VerdictError, type BlockFailureCode, type VerdictErrorOptions } from '../errors/index.js';

export type ModelErrorCode = Extract<BlockFailureCode, 'provider_not_configured' | 'provider_error' | 'invalid_model_output' | 'model_cache_miss'>;

/**
 * A failure of the model layer: no provider or model name (`provider_not_configured`), a server
 * that failed for good (`provider_error`), an answer unusable even after the repair turn
 * (`invalid_model_output`), no recorded answer in replay mode (`model_cache_miss`). Block
 * executors report the code as the test's failure.
 */
export class ModelError extends VerdictError {
  declare readonly code: ModelErrorCode;

  constructor(message: string, code: ModelErrorCode, details: Record<string, unknown> = {}, options?: VerdictErrorOptions) {
    super(message, code, details, options);
  }
}
