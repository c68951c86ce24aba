/**
 * Errors of the model layer. Each carries a snake_case `code` that block executors and the
 * assertion engine report as is (a block turns it into a BlockExecutionError with the same code).
 */
export class ModelError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'ModelError';
  }
}

/** No provider, or no model name to call. */
export class ModelNotConfiguredError extends ModelError {
  constructor(message: string) {
    super(message, 'provider_not_configured');
    this.name = 'ModelNotConfiguredError';
  }
}

/** The server failed for good: a non-retryable answer, or retries exhausted. */
export class ModelProviderError extends ModelError {
  constructor(message: string, details: Record<string, unknown>) {
    super(message, 'provider_error', details);
    this.name = 'ModelProviderError';
  }
}

/** The server answered, but not with JSON matching the schema, even after the repair turn. */
export class ModelOutputError extends ModelError {
  constructor(message: string, details: Record<string, unknown>) {
    super(message, 'invalid_model_output', details);
    this.name = 'ModelOutputError';
  }
}

/** Replay mode found no recorded answer for a request. */
export class ModelCacheMissError extends ModelError {
  constructor(key: string, model: string) {
    super(
      `No recorded model answer for this request to "${model}" (cache key ${key.slice(0, 16)}); record it first with VERDICT_MODEL_CACHE=readwrite against a model server.`,
      'model_cache_miss',
      { cache_key: key, model },
    );
    this.name = 'ModelCacheMissError';
  }
}
