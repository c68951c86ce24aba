import { isUtf8 } from 'node:buffer';
import { findUnsafeText, jsonTextDepth, MAX_JSON_DEPTH } from '@verdict/core';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { createError, type ValidationIssue } from '../errors/index.js';

/**
 * Refusals of request input that would otherwise fail later, deep in the server: nesting that
 * overflows recursions, bytes that are not UTF-8, and text that cannot be stored as it was sent
 * (core's text-safety.ts). All are 422 `validation_error`, naming where they are.
 */

/**
 * JSON bodies whose text has no `\u0000` and no surrogate escape: once the bytes are known to be
 * UTF-8 (which has no surrogates) and JSON forbids raw control characters in strings, nothing in
 * them can be NUL or an unpaired surrogate, and the walk over the parsed body is skipped.
 */
const MAY_HOLD_UNSAFE_ESCAPE = /\\u(?:0000|[dD][89a-fA-F])/;
const cleanBodies = new WeakSet<object>();

/** Unsafe text in a part of the request (`params`, `querystring`, `body`), with dotted paths from that part. */
function unsafeTextIssues(value: unknown, root: string): ValidationIssue[] {
  return findUnsafeText(value).map(({ path, message }) => ({ path: [root, ...path].join('.'), message }));
}

function refusal(issues: ValidationIssue[]) {
  const [first] = issues;
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more in details.issues)` : '';
  return createError('validation_error', `Invalid request: \`${first!.path}\` ${first!.message}${more}.`, { issues });
}

/** Path parameters, query string and parsed body, checked before the route's own validation (and before any store query). */
export function refuseUnsafeText(app: FastifyInstance): void {
  app.addHook('preValidation', async (request: FastifyRequest) => {
    const body = request.body !== null && typeof request.body === 'object' && cleanBodies.has(request.body) ? undefined : request.body;
    const issues = [...unsafeTextIssues(request.params, 'params'), ...unsafeTextIssues(request.query, 'querystring'), ...unsafeTextIssues(body, 'body')];
    if (issues.length > 0) throw refusal(issues);
  });
}

/** The byte offset of the first byte that is not part of well-formed UTF-8, given that there is one. */
function firstInvalidUtf8Byte(bytes: Buffer, decoded: string): number {
  let byteOffset = 0;
  let scanned = 0;
  for (let index = decoded.indexOf('\uFFFD'); index !== -1; index = decoded.indexOf('\uFFFD', index + 1)) {
    byteOffset += Buffer.byteLength(decoded.slice(scanned, index));
    scanned = index + 1;
    // A U+FFFD that was sent as such is three valid bytes; any other one replaced invalid input.
    if (bytes[byteOffset] !== 0xef || bytes[byteOffset + 1] !== 0xbf || bytes[byteOffset + 2] !== 0xbd) return byteOffset;
    byteOffset += 3;
  }
  return byteOffset;
}

function notUtf8(bytes: Buffer, decoded: string) {
  const offset = firstInvalidUtf8Byte(bytes, decoded);
  const message = `is not valid UTF-8 at byte ${offset} (an encoded surrogate, an overlong form or a stray byte); send the body as UTF-8`;
  return refusal([{ path: 'body', message }]);
}

function tooDeep() {
  return refusal([{ path: 'body', message: `nests arrays and objects deeper than ${MAX_JSON_DEPTH} levels, the limit (MAX_JSON_DEPTH); flatten it` }]);
}

function invalidJson(error: unknown) {
  const failure = new Error((error as Error).message) as Error & { statusCode: number; code: string };
  failure.statusCode = 400;
  failure.code = 'FST_ERR_CTP_INVALID_JSON_BODY';
  return failure;
}

/**
 * The JSON body parser: well-formed UTF-8 only, nesting measured on the raw text before parsing.
 * An empty body with a JSON content type is `{}`: Retab's Python SDK sends none for an empty update.
 */
export function parseJsonBody(_request: FastifyRequest, body: Buffer, done: (error: Error | null, value?: unknown) => void): void {
  const text = body.toString('utf8');
  if (!isUtf8(body)) return done(notUtf8(body, text));
  if (text.trim() === '') return done(null, {});
  if (jsonTextDepth(text, MAX_JSON_DEPTH) > MAX_JSON_DEPTH) return done(tooDeep());
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return done(invalidJson(error));
  }
  if (value !== null && typeof value === 'object' && !MAY_HOLD_UNSAFE_ESCAPE.test(text)) cleanBodies.add(value);
  done(null, value);
}
