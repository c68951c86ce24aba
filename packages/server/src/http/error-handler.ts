import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { ApiError, type ValidationIssue } from './errors.js';

/** Fastify's `maxParamLength`: the longest path parameter the router matches. */
export const MAX_PATH_SEGMENT_CHARACTERS = 500;

interface Envelope {
  detail: { code: string; message: string; details: Record<string, unknown> };
}

function envelope(code: string, message: string, details: Record<string, unknown> = {}): Envelope {
  return { detail: { code, message, details } };
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
  return `Invalid request: \`${first.path}\`: ${first.message}${more}.`;
}

/** Fastify's own errors for malformed requests, mapped to our codes; the rest are 500s. */
function fromFastifyError(error: FastifyError): { status: number; body: Envelope } {
  switch (error.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return { status: 400, body: envelope('invalid_json', `The request body is not valid JSON: ${error.message}`) };
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return {
        status: 413,
        body: envelope('payload_too_large', `The request body exceeds the limit of ${error.message.match(/\d+/)?.[0] ?? 'the configured'} bytes.`),
      };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return { status: 415, body: envelope('unsupported_media_type', 'Send the request body as application/json.') };
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return { status: 400, body: envelope('invalid_request', 'The Content-Length header does not match the body.') };
  }
  const status = error.statusCode ?? 500;
  if (status >= 400 && status < 500) return { status, body: envelope('invalid_request', error.message) };
  return { status: 500, body: envelope('internal_error', 'The server failed to handle this request; it has been logged.') };
}

/**
 * Every 5xx is logged with its stack, so that "it has been logged" is true: through the request
 * logger when request logging is on, else as one JSON line on stderr.
 */
export function logServerError(request: FastifyRequest, error: unknown, message = 'unhandled error'): void {
  // Fastify's disabled logger is a no-op without a level.
  if (typeof request.log.level === 'string' && request.log.level !== 'silent') {
    request.log.error({ err: error }, message);
    return;
  }
  const cause = error instanceof Error ? { type: error.name, message: error.message, stack: error.stack } : { message: String(error) };
  const line = { level: 'error', time: new Date().toISOString(), reqId: request.id, req: { method: request.method, url: request.url }, err: cause, msg: message };
  process.stderr.write(`${JSON.stringify(line)}\n`);
}

/**
 * Fastify's router answers URLs it cannot decode (a broken `%` escape, overlong or invalid UTF-8)
 * and path segments over its length limit before any hook or handler runs; this gives them the
 * envelope (it is Fastify's `frameworkErrors` option).
 */
export function malformedUrl(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  reply.header('x-request-id', request.id).header('x-content-type-options', 'nosniff');
  if (error.code === 'FST_ERR_MAX_PARAM_LENGTH') {
    reply.status(414).send(envelope('uri_too_long', `A path segment is longer than ${MAX_PATH_SEGMENT_CHARACTERS} characters; no id is that long.`, { max_length: MAX_PATH_SEGMENT_CHARACTERS }));
    return;
  }
  reply.status(400).send(envelope('invalid_url', 'The URL cannot be decoded: a `%` escape is broken or does not encode UTF-8; percent-encode each path segment as UTF-8.'));
}

export function installErrorHandling(app: FastifyInstance, knownRoutes: () => { method: string; pattern: RegExp }[]): void {
  app.setErrorHandler((error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    if (error instanceof ApiError) {
      if (error.statusCode >= 500) logServerError(request, error);
      for (const [name, value] of Object.entries(error.headers)) reply.header(name, value);
      return reply.status(error.statusCode).send(envelope(error.code, error.message, error.details));
    }
    if (hasZodFastifySchemaValidationErrors(error) || error.validation) {
      const issues = validationIssues(error);
      return reply.status(422).send(envelope('validation_error', summarize(issues), { issues }));
    }
    const { status, body } = fromFastifyError(error);
    if (status >= 500) logServerError(request, error);
    return reply.status(status).send(body);
  });

  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0] ?? '';
    const allowed = knownRoutes()
      .filter((route) => route.method !== request.method && route.pattern.test(path))
      .map((route) => route.method);
    if (allowed.length > 0) {
      reply.header('allow', [...new Set(allowed)].join(', '));
      return reply
        .status(405)
        .send(envelope('method_not_allowed', `${request.method} is not allowed on ${path}; use ${[...new Set(allowed)].join(' or ')}.`, { allowed }));
    }
    return reply.status(404).send(envelope('not_found', `No route ${request.method} ${path}. The API is described at /openapi.json.`));
  });
}
