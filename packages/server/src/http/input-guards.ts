import { isUtf8 } from 'node:buffer';
import { jsonTextDepth, MAX_JSON_DEPTH } from '@verdict/core';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { validationError, type ValidationIssue } from './errors.js';

/**
 * Refusals of request input that would otherwise fail later, deep in the server: nesting that
 * overflows recursions, and text that cannot be stored as it was sent. PostgreSQL's `text` cannot
 * hold NUL (a 500 there), and an unpaired UTF-16 surrogate has no UTF-8 form (the drivers would
 * silently store U+FFFD instead). Both are 422 `validation_error`, naming where they are.
 */

/** NUL, a high surrogate not followed by a low one, or a low surrogate not preceded by a high one. */
const UNSAFE_CHARACTER = /\0|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const MAX_REPORTED_ISSUES = 20;

function describeUnsafe(character: string): string {
  if (character === '\0') return 'contains a NUL character (\\u0000), which Verdict does not accept in text; remove it';
  const code = character.charCodeAt(0).toString(16).toUpperCase();
  return `contains an unpaired UTF-16 surrogate (\\u${code}), which is not Unicode text; send well-formed UTF-8`;
}

/** A key as it can be shown in a path: its unsafe characters written as escapes. */
function printable(key: string): string {
  return key.replace(new RegExp(UNSAFE_CHARACTER.source, 'g'), (character) => `\\u${character.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Every string (keys included) in `value` that holds NUL or an unpaired surrogate, with its path. Walks without recursion. */
export function unsafeTextIssues(value: unknown, root: string): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const stack: [unknown, string][] = [[value, root]];
  while (stack.length > 0 && issues.length < MAX_REPORTED_ISSUES) {
    const [current, path] = stack.pop()!;
    if (typeof current === 'string') {
      const found = UNSAFE_CHARACTER.exec(current);
      if (found) issues.push({ path, message: describeUnsafe(found[0]) });
    } else if (current !== null && typeof current === 'object' && !Buffer.isBuffer(current)) {
      const entries = Array.isArray(current) ? current.map((item, index) => [String(index), item] as const) : Object.entries(current);
      for (const [key, child] of entries.reverse()) {
        const found = UNSAFE_CHARACTER.exec(key);
        if (found) issues.push({ path: `${path}.${printable(key)}`, message: `has a key that ${describeUnsafe(found[0])}` });
        stack.push([child, `${path}.${printable(key)}`]);
      }
    }
  }
  return issues;
}

function refusal(issues: ValidationIssue[]) {
  const [first] = issues;
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more in details.issues)` : '';
  return validationError(`Invalid request: \`${first!.path}\` ${first!.message}${more}.`, issues);
}

/** Path parameters, query string and parsed body, checked before the route's own validation (and before any store query). */
export function refuseUnsafeText(app: FastifyInstance): void {
  app.addHook('preValidation', async (request: FastifyRequest) => {
    const issues = [...unsafeTextIssues(request.params, 'params'), ...unsafeTextIssues(request.query, 'querystring'), ...unsafeTextIssues(request.body, 'body')];
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
  try {
    done(null, JSON.parse(text));
  } catch (error) {
    done(invalidJson(error));
  }
}
