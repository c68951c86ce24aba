import { statusOf } from './catalogue.js';

export interface VerdictErrorOptions extends ErrorOptions {
  /** Headers that belong to the answer (`Retry-After`, `Allow`, `WWW-Authenticate`). */
  headers?: Record<string, string>;
}

/**
 * The one error type Verdict throws on purpose: a snake_case `code`, a sentence a person can act
 * on, `details` for programs, and the standard `cause` when it wraps another error. Its HTTP status
 * is its code's in the catalogue (errors/catalogue.ts); a code the API never answers with (a
 * test's failure, which travels inside a result) has none. Subclasses only mark the layer that
 * failed, where callers catch by layer.
 */
export class VerdictError extends Error {
  readonly statusCode: number | undefined;
  readonly headers: Readonly<Record<string, string>>;

  constructor(
    message: string,
    readonly code: string,
    readonly details: Record<string, unknown> = {},
    options: VerdictErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.statusCode = statusOf(code);
    this.headers = options.headers ?? {};
  }
}

/** An error answered as it is: a VerdictError whose code the catalogue gives a status. */
export function isAnswerable(error: unknown): error is VerdictError & { statusCode: number } {
  return error instanceof VerdictError && error.statusCode !== undefined;
}
