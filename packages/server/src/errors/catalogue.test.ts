import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import Fastify from 'fastify';
import { installErrorHandling } from '../http/error-handler.js';
import { BlockExecutionError } from '../execution/blocks/types.js';
import { FileInputError } from '../files/errors.js';
import { BLOCK_FAILURE_CODES, ERRORS, type BuiltError, type ErrorCode } from './catalogue.js';
import { convertError, createError } from './create.js';
import { VerdictError } from './verdict-error.js';

const SOURCE = fileURLToPath(new URL('../../src/', import.meta.url));
const API_DOC = fileURLToPath(new URL('../../../../docs/api.md', import.meta.url));
const codes = Object.keys(ERRORS) as ErrorCode[];

function example(code: ErrorCode): BuiltError {
  const definition = ERRORS[code];
  return (definition.build as (...args: unknown[]) => BuiltError)(...definition.example);
}

function exampleError(code: ErrorCode): VerdictError {
  return (createError as (code: ErrorCode, ...args: unknown[]) => VerdictError)(code, ...ERRORS[code].example);
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') ? [path] : [];
  });
}

describe('the error catalogue', () => {
  test('every answer code has an error status, says when it is answered, and builds a message', () => {
    assert.ok(codes.length >= 20, `${codes.length} codes`);
    for (const code of codes) {
      const { status, when } = ERRORS[code];
      assert.ok(Number.isInteger(status) && status >= 400 && status <= 599, `${code}: status ${status}`);
      assert.match(code, /^[a-z]+(_[a-z]+)*$/, 'codes are snake_case');
      assert.ok(when.length > 10, `${code}: when`);
      const built = example(code);
      assert.ok(built.message.length > 10, `${code}: message "${built.message}"`);
      assert.equal(typeof (built.details ?? {}), 'object', `${code}: details`);
    }
  });

  test('no code is declared twice: a block failure code is never also an answer code', () => {
    const answerCodes = new Set<string>(codes);
    for (const [code, meaning] of Object.entries(BLOCK_FAILURE_CODES)) {
      assert.ok(!answerCodes.has(code), `${code} is declared both as an answer and as a block failure`);
      assert.match(code, /^[a-z]+(_[a-z]+)*$/);
      assert.ok(meaning.length > 10, `${code}: meaning`);
    }
  });

  test('the API answers each code with its status, the envelope, and its headers', async () => {
    const app = Fastify({ logger: { level: 'fatal' } }); // the 5xx it logs are expected here
    installErrorHandling(app, () => []);
    app.get('/fail/:code', async (request) => {
      throw exampleError((request.params as { code: ErrorCode }).code);
    });
    try {
      for (const code of codes) {
        const response = await app.inject({ method: 'GET', url: `/fail/${code}` });
        const built = example(code);
        assert.equal(response.statusCode, ERRORS[code].status, code);
        assert.deepEqual(response.json(), { detail: { code, message: built.message, details: built.details ?? {} } }, code);
        for (const [name, value] of Object.entries(built.headers ?? {})) assert.equal(response.headers[name], value, `${code}: ${name}`);
      }
    } finally {
      await app.close();
    }
  });

  test('the same sentences as before for the codes built here', () => {
    const missing = createError('result_not_found', 'wfnodetestrun_1');
    assert.deepEqual([missing.statusCode, missing.message, missing.details], [404, 'No test result `wfnodetestrun_1` in this organization.', { result_id: 'wfnodetestrun_1' }]);
    assert.equal(createError('run_not_cancellable', 'wftestrun_1', 'completed').message, 'Run `wftestrun_1` is already completed; only pending, queued or running runs can be cancelled.');
    const limited = createError('rate_limited', 'Slow down.', 3);
    assert.deepEqual([limited.statusCode, limited.details, limited.headers], [429, { retry_after_seconds: 3 }, { 'retry-after': '3' }]);
    const notAllowed = createError('method_not_allowed', 'PUT', '/v1/x', ['GET', 'POST', 'GET']);
    assert.equal(notAllowed.message, 'PUT is not allowed on /v1/x; use GET or POST.');
    assert.deepEqual(notAllowed.headers, { allow: 'GET, POST' });
  });

  test('a conversion keeps what it converts as its standard cause', () => {
    const file = new FileInputError('a.pdf is empty.', 'corrupt_file', { filename: 'a.pdf' });
    const answer = convertError(file, 'validation_error', file.message, { issues: [{ path: 'body', message: file.message, code: file.code }] });
    assert.equal(answer.cause, file);
    assert.equal(answer.statusCode, 422);
    const blocked = BlockExecutionError.causedBy(file);
    assert.deepEqual([blocked.cause, blocked.code, blocked.message, blocked.details], [file, 'corrupt_file', 'a.pdf is empty.', { filename: 'a.pdf' }]);
    assert.ok(blocked instanceof VerdictError && file instanceof VerdictError, 'one family');
    assert.equal(createError('internal_error').cause, undefined, 'no cause unless there is one');
  });

  test('a block failure that reaches the HTTP layer is a defect: 500 internal_error, never its own code', async () => {
    const app = Fastify({ logger: { level: 'fatal' } }); // the 5xx it logs are expected here
    installErrorHandling(app, () => []);
    app.get('/leak', async () => {
      throw new BlockExecutionError('transform() threw', 'block_execution_failed');
    });
    try {
      const response = await app.inject({ method: 'GET', url: '/leak' });
      assert.equal(response.statusCode, 500);
      assert.equal(response.json().detail.code, 'internal_error');
    } finally {
      await app.close();
    }
  });

  test('docs/api.md lists every answer code under its status', () => {
    const rows = readFileSync(API_DOC, 'utf8').split('\n').filter((line) => /^\| \d{3} \|/.test(line));
    for (const code of codes) {
      const row = rows.find((line) => line.includes(`\`${code}\``));
      assert.ok(row, `docs/api.md has no row for \`${code}\``);
      assert.ok(row.startsWith(`| ${ERRORS[code].status} |`), `docs/api.md lists \`${code}\` under another status: ${row}`);
    }
  });

  test('only errors/ makes a VerdictError of its own; the store and the catalogue import nothing from http/', () => {
    for (const path of sourceFiles(SOURCE)) {
      const where = relative(SOURCE, path);
      const text = readFileSync(path, 'utf8');
      if (!where.startsWith('errors')) assert.doesNotMatch(text, /new VerdictError\(/, `${where} builds an error outside the catalogue`);
      if (where.startsWith('store') || where.startsWith('errors')) assert.doesNotMatch(text, /from '[./]*\/http\//, `${where} imports from http/`);
    }
  });
});
