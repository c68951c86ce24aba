/**
 * Every failure the client reports is a VerdictError. HTTP answers carry `status`; network
 * problems (ConnectionError, TimeoutError) have `status === null`.
 */
export class VerdictError extends Error {
  override name = 'VerdictError';
  readonly status: number | null;
  readonly code: string;
  readonly details: Record<string, unknown>;
  readonly requestId: string | null;

  constructor(message: string, init: { status?: number | null; code: string; details?: Record<string, unknown>; requestId?: string | null; cause?: unknown }) {
    super(message, init.cause === undefined ? undefined : { cause: init.cause });
    this.status = init.status ?? null;
    this.code = init.code;
    this.details = init.details ?? {};
    this.requestId = init.requestId ?? null;
  }
}

export class BadRequestError extends VerdictError {
  override name = 'BadRequestError';
}
export class AuthenticationError extends VerdictError {
  override name = 'AuthenticationError';
}
export class PermissionDeniedError extends VerdictError {
  override name = 'PermissionDeniedError';
}
export class NotFoundError extends VerdictError {
  override name = 'NotFoundError';
}
export class ConflictError extends VerdictError {
  override name = 'ConflictError';
}
export class ValidationError extends VerdictError {
  override name = 'ValidationError';
}
export class RateLimitError extends VerdictError {
  override name = 'RateLimitError';
}
export class InternalServerError extends VerdictError {
  override name = 'InternalServerError';
}
/** The server could not be reached, or the connection broke before an answer arrived. */
export class ConnectionError extends VerdictError {
  override name = 'ConnectionError';
}
/** No answer within the time allowed (`timeoutMs`), or a run did not finish within `wait`'s limit. */
export class TimeoutError extends ConnectionError {
  override name = 'TimeoutError';
}

type ErrorClass = new (message: string, init: ConstructorParameters<typeof VerdictError>[1]) => VerdictError;

const BY_STATUS: Record<number, { type: ErrorClass; code: string }> = {
  400: { type: BadRequestError, code: 'bad_request' },
  401: { type: AuthenticationError, code: 'unauthorized' },
  403: { type: PermissionDeniedError, code: 'permission_denied' },
  404: { type: NotFoundError, code: 'not_found' },
  409: { type: ConflictError, code: 'conflict' },
  422: { type: ValidationError, code: 'validation_error' },
  429: { type: RateLimitError, code: 'rate_limited' },
};

function classify(status: number): { type: ErrorClass; code: string } {
  if (status >= 500) return { type: InternalServerError, code: 'internal_error' };
  return BY_STATUS[status] ?? { type: VerdictError, code: 'http_error' };
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

interface ParsedDetail {
  code?: string;
  message?: string;
  details?: Record<string, unknown>;
}

/** Reads Verdict's `{detail: {code, message, details}}` and the other FastAPI shapes Retab-like servers send. */
function parseErrorBody(bodyText: string): ParsedDetail {
  let body: unknown;
  try {
    body = JSON.parse(bodyText);
  } catch {
    return bodyText.trim() ? { message: bodyText.trim().slice(0, 1000) } : {};
  }
  const detail = isRecord(body) ? body.detail : undefined;
  if (typeof detail === 'string') return { message: detail };
  if (Array.isArray(detail)) return { details: { issues: detail } };
  if (!isRecord(detail)) return {};
  return {
    code: typeof detail.code === 'string' ? detail.code : undefined,
    message: typeof detail.message === 'string' ? detail.message : undefined,
    details: isRecord(detail.details) ? detail.details : undefined,
  };
}

export function errorFromResponse(status: number, bodyText: string, requestId: string | null): VerdictError {
  const { type, code } = classify(status);
  const parsed = parseErrorBody(bodyText);
  return new type(parsed.message ?? `Request failed with status ${status}.`, {
    status,
    code: parsed.code ?? code,
    details: parsed.details,
    requestId,
  });
}
