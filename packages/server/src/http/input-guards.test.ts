import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { MAX_JSON_DEPTH } from '@verdict/core';
import { createFunctionWorkflow, createTests, startRun, type FunctionWorkflow } from '../testing/fixtures.js';
import { startTestApp, testStores, type ApiResponse, type TestApp } from '../testing/harness.js';
import { createError } from '../errors/index.js';
import { buildApp } from './app.js';

/** JSON text of arrays nested `depth` deep, built by hand: JSON.stringify itself overflows on such values. */
const nestedArrays = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;

function assertRefused(response: ApiResponse, path: string, pattern: RegExp): void {
  assert.equal(response.status, 422, JSON.stringify(response.body));
  assert.equal(response.body.detail.code, 'validation_error');
  assert.match(response.body.detail.message, pattern);
  assert.equal(response.body.detail.details.issues[0].path, path);
}

const NUL = /NUL character/;
const SURROGATE = /unpaired UTF-16 surrogate/;
const TOO_DEEP = new RegExp(`deeper than ${MAX_JSON_DEPTH} levels`);

for (const store of testStores()) {
  describe(`hostile request input gets a 4xx, never a 5xx (${store})`, () => {
    let app: TestApp;
    let fixture: FunctionWorkflow;
    before(async () => {
      app = await startTestApp(store);
      fixture = await createFunctionWorkflow(app, 'function transform(input) { return input; }');
    });
    after(() => app.close());

    const testBody = (data: string, expected = '1') =>
      `{"workflow_id":"${fixture.workflowId}","target":{"type":"block","block_id":"${fixture.blockId}"},` +
      `"source":{"type":"manual","handle_inputs":{"input-json-0":{"type":"json","data":${data}}}},` +
      `"assertion":{"target":{"output_handle_id":"output-json-0"},"condition":{"kind":"equals","expected":${expected}}}}`;

    test('test data and expected values nested 10,000 and 100,000 deep are refused with 422 naming the limit', async () => {
      for (const depth of [10_000, 100_000]) {
        assertRefused(await app.request('POST', '/v1/workflows/tests', testBody(nestedArrays(depth))), 'body', TOO_DEEP);
        assertRefused(await app.request('POST', '/v1/workflows/tests', testBody('1', nestedArrays(depth))), 'body', TOO_DEEP);
      }
      const withinLimit = await app.request('POST', '/v1/workflows/tests', testBody(nestedArrays(100), nestedArrays(100)));
      assert.equal(withinLimit.status, 201, JSON.stringify(withinLimit.body));
    });

    test('a workflow spec nested past the limit is refused naming it, quickly, whatever its size', async () => {
      const started = Date.now();
      const response = await app.request('POST', '/v1/workflows/spec/validate', { yaml_definition: `a: ${nestedArrays(200_000)}\n` });
      assert.equal(response.status, 422);
      assert.match(response.body.detail.message, TOO_DEEP);
      assert.ok(Date.now() - started < 2_000, `${Date.now() - started} ms`);
    });

    test('NUL in a name, a test name, a block label, a cancel reason, a path id or a query filter is a 422 naming where', async () => {
      assertRefused(await app.request('POST', '/v1/workflows', { name: 'a\u0000b' }), 'body.name', NUL);
      const test = JSON.parse(testBody('1'));
      assertRefused(await app.request('POST', '/v1/workflows/tests', { ...test, name: 'check\u0000' }), 'body.name', NUL);
      assertRefused(
        await app.request('POST', '/v1/workflows/blocks', { workflow_id: fixture.workflowId, type: 'start_json', label: 'in\u0000put' }),
        'body.label',
        NUL,
      );
      assertRefused(await app.request('PATCH', `/v1/workflows/blocks/${fixture.blockId}`, { label: '\u0000' }), 'body.label', NUL);
      await createTests(app, fixture, [{ input: 1, condition: { kind: 'equals', expected: 1 } }]);
      const run = await startRun(app, fixture.workflowId);
      assertRefused(await app.request('POST', `/v1/workflows/tests/runs/${run.id}/cancel`, { reason: 'stop\u0000' }), 'body.reason', NUL);
      assertRefused(await app.request('GET', `/v1/workflows/tests/runs/${run.id}%00`), 'params.run_id', NUL);
      assertRefused(await app.request('GET', '/v1/workflows/wf_%00'), 'params.workflow_id', NUL);
      assertRefused(await app.request('GET', '/v1/workflows/tests/runs?workflow_id=wf%00'), 'querystring.workflow_id', NUL);
      assertRefused(await app.request('GET', '/v1/workflows/tests/results?run_id=%00'), 'querystring.run_id', NUL);
      assertRefused(await app.request('POST', '/v1/workflows', { name: 'ok', description: 'x', extra: { 'key\u0000': 1 } }), 'body.extra.key\\u0000', NUL);
      const yaml = (name: string) => `apiVersion: workflows.retab.com/v1alpha2\nkind: Workflow\nmetadata:\n  id: wf_text_${store}\n  name: "${name}"\nspec:\n  blocks: {}\n`;
      for (const [name, pattern] of [['a\\0b', NUL], ['a\\ud800b', SURROGATE]] as const) {
        const spec = await app.request('POST', '/v1/workflows/spec/apply', { yaml_definition: yaml(name) });
        assert.equal(spec.status, 422, JSON.stringify(spec.body));
        assert.equal(spec.body.detail.details.issues[0].path, 'metadata.name');
        assert.match(spec.body.detail.message, pattern);
      }
    });

    test('unpaired surrogates are refused whether sent as JSON escapes or as raw bytes; a real pair is kept', async () => {
      assertRefused(await app.request('POST', '/v1/workflows', '{"name":"a\\ud800b"}'), 'body.name', SURROGATE);
      assertRefused(await app.request('POST', '/v1/workflows', '{"name":"\\udc00"}'), 'body.name', SURROGATE);
      assertRefused(await app.request('POST', '/v1/workflows', '{"name":"\\ude00\\ud83d"}'), 'body.name', SURROGATE);
      const encodedSurrogate = Buffer.concat([Buffer.from('{"name":"a'), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('"}')]);
      const raw = await app.app.inject({ method: 'POST', url: '/v1/workflows', headers: { 'api-key': app.apiKey, 'content-type': 'application/json' }, payload: encodedSurrogate });
      assertRefused({ status: raw.statusCode, body: raw.json(), headers: raw.headers }, 'body', /not valid UTF-8 at byte 10/);
      const pair = await app.request('POST', '/v1/workflows', '{"name":"smile \\ud83d\\ude00 \ufffd"}');
      assert.equal(pair.status, 201);
      assert.equal((await app.request('GET', `/v1/workflows/${pair.body.id}`)).body.name, 'smile \u{1F600} \ufffd');
    });

    test('date filters that are not real dates are refused', async () => {
      for (const query of ['from_date=2020-13-45', 'to_date=2020-02-30', 'from_date=2021-02-29T10:00:00Z']) {
        const response = await app.request('GET', `/v1/workflows/tests/runs?${query}`);
        assert.equal(response.status, 422, query);
        assert.match(response.body.detail.message, /real date/, query);
      }
    });
  });
}

describe('URLs the router cannot decode, and response headers', () => {
  let app: TestApp;
  before(async () => {
    app = await startTestApp('sqlite');
  });
  after(() => app.close());

  test('a broken % escape, overlong UTF-8 and an over-long path segment get the envelope with a 4xx', async () => {
    const cases: [string, number, string][] = [
      ['/v1/workflows/%E0%A4%A', 400, 'invalid_url'],
      ['/v1/workflows/%C0%AF', 400, 'invalid_url'],
      ['/v1/workflows/%ED%A0%80', 400, 'invalid_url'],
      [`/v1/workflows/${'a'.repeat(501)}`, 414, 'uri_too_long'],
    ];
    for (const [url, status, code] of cases) {
      const response = await app.request('GET', url);
      assert.equal(response.status, status, url);
      assert.equal(response.body.detail.code, code, url);
      assert.ok(response.body.detail.message.length > 20);
      assert.equal(response.headers['x-content-type-options'], 'nosniff');
    }
  });

  test('every answer carries X-Content-Type-Options: nosniff', async () => {
    const answers = [
      await app.request('GET', '/v1/workflows'),
      await app.request('GET', '/v1/nothing'),
      await app.request('POST', '/v1/workflows', { name: 42 }),
      await app.request('GET', '/v1/workflows', undefined, { 'api-key': 'vk_wrong' }),
      await app.request('GET', '/healthz'),
    ];
    assert.deepEqual(
      answers.map((answer) => answer.headers['x-content-type-options']),
      answers.map(() => 'nosniff'),
    );
  });

  /** What a route that throws `error` answers, and the lines written on stderr meanwhile (request logging off). */
  async function failingRoute(error: Error) {
    const failing = await buildApp({
      services: app.runtime.services,
      extensions: [
        async (root) => {
          root.get('/fails', async () => {
            throw error;
          });
        },
      ],
    });
    const written: string[] = [];
    const write = process.stderr.write;
    process.stderr.write = ((chunk: string | Uint8Array) => written.push(String(chunk)) > 0) as typeof process.stderr.write;
    try {
      const response = await failing.inject({ method: 'GET', url: '/fails' });
      return { response, lines: written.join('').split('\n').filter(Boolean) };
    } finally {
      process.stderr.write = write;
      await failing.close();
    }
  }

  test('a 5xx is logged with its stack on stderr even when request logging is off', async () => {
    const { response, lines } = await failingRoute(new Error('the disk is on fire'));
    assert.equal(response.statusCode, 500);
    assert.equal(response.json().detail.code, 'internal_error');
    assert.doesNotMatch(response.body, /disk is on fire|at /, 'no stack to the client');
    const logged = lines.map((line) => JSON.parse(line)).find((line) => line.err?.message === 'the disk is on fire');
    assert.ok(logged, `nothing logged: ${lines.join('\n')}`);
    assert.equal(logged.level, 'error');
    assert.equal(logged.reqId, response.headers['x-request-id']);
    assert.deepEqual(logged.req, { method: 'GET', url: '/fails' });
    assert.match(logged.err.stack, /Error: the disk is on fire\n\s+at /);
  });

  test('a 503 workers_unavailable, an expected condition, is logged as one line without a stack', async () => {
    const { response, lines } = await failingRoute(createError('workers_unavailable', 'no worker took it within 10000 ms'));
    assert.equal(response.statusCode, 503);
    assert.equal(lines.length, 1, lines.join('\n'));
    const logged = JSON.parse(lines[0]!);
    assert.deepEqual(
      { ...logged, time: undefined },
      {
        level: 'warn',
        time: undefined,
        reqId: response.headers['x-request-id'],
        req: { method: 'GET', url: '/fails' },
        msg: `503 workers_unavailable: ${response.json().detail.message}`,
      },
    );
    assert.doesNotMatch(lines[0]!, /\bat /, 'no stack');
  });
});
