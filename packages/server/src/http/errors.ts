/**
 * Typed HTTP errors. Routes and services throw these; one error handler (http/error-handler.ts)
 * turns them into the envelope of docs/decisions.md §2.
 */
export class ApiError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export const notFound = (code: string, message: string, details: Record<string, unknown> = {}) =>
  new ApiError(404, code, message, details);

export const validationError = (message: string, issues: ValidationIssue[] = []) =>
  new ApiError(422, 'validation_error', message, { issues });

export const conflict = (message: string, details: Record<string, unknown> = {}, code = 'conflict') =>
  new ApiError(409, code, message, details);

export const unauthorized = (message: string) => new ApiError(401, 'unauthorized', message);

/** 429 with `Retry-After` (whole seconds, at least 1). */
export const rateLimited = (message: string, retryAfterSeconds: number) =>
  new ApiError(429, 'rate_limited', message, { retry_after_seconds: retryAfterSeconds }, { 'retry-after': String(retryAfterSeconds) });

export interface ValidationIssue {
  path: string;
  message: string;
  code?: string;
}
