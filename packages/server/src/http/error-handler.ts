import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { convertError, createError, isAnswerable, type ValidationIssue, type VerdictError } from '../errors/index.js';

/** Fastify's `maxParamLength`: the longest path parameter the router matches. */
export const MAX_PATH_SEGMENT_CHARACTERS = 500;

/** docs/decisions.md §2: the one body of every error answer, with the error's own headers. */
function answer(reply: FastifyReply, error: VerdictError, status = error.statusCode ?? 500) {
  reply.headers(error.headers);
  return reply.status(status).send({ detail: { code: error.code, message: error.message, details: error.details } });
}

function validationIssues(error: FastifyError & { validationContext?: string }): ValidationIssue[] {
  const context = error.validationContext ?? 'body';
  return (error.validation ?? []).map((issue) => {
    const pointer = issue.instancePath.split('/').filter(Boolean).join('.');
    return { path: pointer ? `${context}.${pointer}` : context, message: issue.message ?? 'is invalid' };
  });
}

function summarize(issues: ValidationIssue[]): string {
  const first = issues[0];
  if (!first) return 'The request is invalid.';
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more issue${issues.length > 2 ? 's' : ''} in details.issues)` : '';
  return `Invalid request: \`${first.path}\`: ${first.message.replace(/\.$/, '')}${more}.`;
}

/** Fastify's own errors for malformed requests, mapped to our codes, with the status to answer; the rest are 500s. */
function fromFastifyError(error: FastifyError): { status?: number; answer: VerdictError } {
  switch (error.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return { answer: convertError(error, 'invalid_json', error.message) };
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { answer: convertError(error, 'payload_too_large', `The request body exceeds the limit of ${error.message.match(/\d+/)?.[0] ?? 'the configured'} bytes.`) };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return { answer: convertError(error, 'unsupported_media_type', 'Send the request body as application/json.') };
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return { answer: convertError(error, 'invalid_request', 'The Content-Length header does not match the body.') };
  }
  const status = error.statusCode ?? 500;
  if (status >= 400 && status < 500) return { status, answer: convertError(error, 'invalid_request', error.message) };
  return { answer: convertError(error, 'internal_error') };
}

/**
 * Every 5xx is logged, so that "it has been logged" is true: through the request logger when
 * request logging is on, else as one JSON line on stderr. A defect (an error nobody threw on
 * purpose) is logged with its stack; a 5xx Verdict answers on purpose (503 `workers_unavailable`:
 * no worker in time) is a condition of the deployment, and its message says all there is: one line,
 * no stack, so that a deployment short of workers does not bury its defects under stacks.
 */
export function logServerError(request: FastifyRequest, error: unknown, message = 'unhandled error'): void {
  // Fastify's disabled logger is a no-op without a level.
  const requestLogIsOn = typeof request.log.level === 'string' && request.log.level !== 'silent';
  if (isAnswerable(error)) {
    const condition = `${error.statusCode} ${error.code}: ${error.message}`;
    if (requestLogIsOn) request.log.warn(condition);
    else writeStderrLine(request, 'warn', {}, condition);
  } else if (requestLogIsOn) {
    request.log.error({ err: error }, message);
  } else {
    const cause = error instanceof Error ? { type: error.name, message: error.message, stack: error.stack } : { message: String(error) };
    writeStderrLine(request, 'error', { err: cause }, message);
  }
}

function writeStderrLine(request: FastifyRequest, level: 'warn' | 'error', fields: Record<string, unknown>, message: string): void {
  const line = { level, time: new Date().toISOString(), reqId: request.id, req: { method: request.method, url: request.url }, ...fields, msg: message };
  process.stderr.write(`${JSON.stringify(line)}\n`);
}

/**
 * Fastify's router answers URLs it cannot decode (a broken `%` escape, overlong or invalid UTF-8)
 * and path segments over its length limit before any hook or handler runs; this gives them the
 * envelope (it is Fastify's `frameworkErrors` option).
 */
export function malformedUrl(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  reply.header('x-request-id', request.id).header('x-content-type-options', 'nosniff');
  if (error.code === 'FST_ERR_MAX_PARAM_LENGTH') answer(reply, convertError(error, 'uri_too_long', MAX_PATH_SEGMENT_CHARACTERS));
  else answer(reply, convertError(error, 'invalid_url'));
}

export function installErrorHandling(app: FastifyInstance, knownRoutes: () => { method: string; pattern: RegExp }[]): void {
  app.setErrorHandler((error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    if (isAnswerable(error)) {
      if (error.statusCode >= 500) logServerError(request, error);
      return answer(reply, error);
    }
    if (hasZodFastifySchemaValidationErrors(error) || error.validation) {
      const issues = validationIssues(error);
      return answer(reply, convertError(error, 'validation_error', summarize(issues), { issues }));
    }
    const converted = fromFastifyError(error);
    if (converted.answer.code === 'internal_error') logServerError(request, error);
    return answer(reply, converted.answer, converted.status);
  });

  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0] ?? '';
    const allowed = knownRoutes()
      .filter((route) => route.method !== request.method && route.pattern.test(path))
      .map((route) => route.method);
    if (allowed.length > 0) return answer(reply, createError('method_not_allowed', request.method, path, allowed));
    return answer(reply, createError('not_found', `No route ${request.method} ${path}. The API is described at /openapi.json.`));
  });
}
