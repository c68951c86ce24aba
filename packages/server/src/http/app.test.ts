import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestApp, type TestApp } from '../testing/harness.js';

describe('HTTP layer: OpenAPI, auth and the error envelope', () => {
  let app: TestApp;
  before(async () => {
    app = await startTestApp('sqlite', { bodyLimitBytes: 64 * 1024 });
  });
  after(() => app.close());

  const isEnvelope = (body: any, code: string) => {
    assert.equal(body.detail.code, code);
    assert.equal(typeof body.detail.message, 'string');
    assert.ok(body.detail.message.length > 10, body.detail.message);
    assert.equal(typeof body.detail.details, 'object');
  };

  test('GET /openapi.json is an OpenAPI 3.1 document generated from the route schemas', async () => {
    const response = await app.app.inject({ method: 'GET', url: '/openapi.json' });
    assert.equal(response.statusCode, 200, response.body);
    const document = response.json();
    assert.equal(document.openapi, '3.1.0');
    for (const path of ['/v1/workflows', '/v1/workflows/blocks', '/v1/workflows/edges', '/v1/workflows/spec/apply', '/v1/workflows/tests', '/v1/workflows/tests/runs', '/v1/workflows/tests/runs/{run_id}/cancel', '/v1/workflows/tests/results', '/v1/files',
      '/v1/workflows/evals', '/v1/workflows/evals/{eval_id}', '/v1/workflows/evals/runs', '/v1/workflows/evals/runs/{run_id}', '/v1/workflows/evals/runs/{run_id}/cancel', '/v1/workflows/evals/results', '/v1/workflows/evals/results/{result_id}']) {
      assert.ok(document.paths[path], `missing ${path}`);
    }
    const cancel = document.paths['/v1/workflows/tests/runs/{run_id}/cancel'].post;
    assert.ok(cancel.responses['200'], 'the cancel route documents its answer');
    const deletes = Object.entries(document.paths).flatMap(([path, operations]: [string, any]) => (operations.delete ? [[path, Object.keys(operations.delete.responses)]] : []));
    const deletePaths = deletes.map(([path]) => path);
    for (const path of ['/v1/workflows/{workflow_id}', '/v1/workflows/blocks/{block_id}', '/v1/workflows/edges/{edge_id}', '/v1/workflows/tests/{test_id}', '/v1/workflows/evals/{eval_id}']) assert.ok(deletePaths.includes(path), `DELETE ${path} is documented`);
    for (const [path, statuses] of deletes) assert.deepEqual(statuses, ['204'], `DELETE ${path} documents what it answers`);
    assert.ok(document.components.schemas.WorkflowTestRun, 'named schemas are shared components');
    for (const [path, name] of [['/v1/workflows/evals/{eval_id}', 'WorkflowEval'], ['/v1/workflows/evals/runs/{run_id}', 'WorkflowEvalRun'], ['/v1/workflows/evals/results/{result_id}', 'WorkflowEvalResult']]) {
      assert.equal(document.paths[path].get.responses['200'].content['application/json'].schema.$ref, `#/components/schemas/${name}`, `${path} answers a ${name}`);
      const schema = document.components.schemas[name];
      const resolved = schema.$ref ? document.components.schemas[schema.$ref.split('/').at(-1)] : schema;
      assert.ok(resolved.properties.eval_id ?? resolved.properties.latest_run_summary, `${name} documents the keys of both generations`);
    }
    assert.ok(document.paths['/v1/workflows/evals'].post.responses['201'], 'creating an eval documents 201');
    assert.ok(document.paths['/v1/workflows/evals/runs'].post.responses['202'], 'creating an eval run documents what it answers');
  });

  test('no key, a wrong key, Api-Key and Bearer', async () => {
    const none = await app.app.inject({ method: 'GET', url: '/v1/workflows' });
    assert.equal(none.statusCode, 401);
    isEnvelope(none.json(), 'unauthorized');
    const wrong = await app.request('GET', '/v1/workflows', undefined, { 'api-key': 'vk_wrong' });
    assert.equal(wrong.status, 401);
    const bearer = await app.app.inject({ method: 'GET', url: '/v1/workflows', headers: { authorization: `Bearer ${app.apiKey}` } });
    assert.equal(bearer.statusCode, 200);
  });

  test('malformed JSON, unknown routes, wrong methods, oversized bodies and invalid fields get the envelope', async () => {
    const malformed = await app.request('POST', '/v1/workflows', '{"name": ');
    assert.equal(malformed.status, 400);
    isEnvelope(malformed.body, 'invalid_json');
    const unknown = await app.request('GET', '/v1/nothing-here');
    assert.equal(unknown.status, 404);
    isEnvelope(unknown.body, 'not_found');
    const method = await app.request('PUT', '/v1/workflows/tests/runs');
    assert.equal(method.status, 405);
    isEnvelope(method.body, 'method_not_allowed');
    assert.match(String(method.headers.allow), /GET/);
    const large = await app.request('POST', '/v1/workflows', { name: 'x', description: 'y'.repeat(100 * 1024) });
    assert.equal(large.status, 413);
    isEnvelope(large.body, 'payload_too_large');
    const invalid = await app.request('POST', '/v1/workflows', { name: 42 });
    assert.equal(invalid.status, 422);
    isEnvelope(invalid.body, 'validation_error');
    assert.equal(invalid.body.detail.details.issues[0].path, 'body.name');
    const missing = await app.request('GET', '/v1/workflows/wf_missing');
    assert.equal(missing.status, 404);
    isEnvelope(missing.body, 'workflow_not_found');
    assert.ok(missing.headers['x-request-id']);
  });

  test('an empty body is an empty update (as Retab\'s Python SDK sends it)', async () => {
    const created = await app.request('POST', '/v1/workflows', { name: 'empty body' });
    const response = await app.app.inject({ method: 'PATCH', url: `/v1/workflows/${created.body.id}`, headers: { 'api-key': app.apiKey, 'content-type': 'application/json' }, payload: '' });
    assert.equal(response.statusCode, 200, response.body);
    assert.equal(response.json().name, 'empty body');
  });

  test("Retab's collections under /v1/workflows are routes of their own, never taken for a workflow id", async () => {
    for (const url of ['/v1/workflows/runs', '/v1/workflows/steps']) {
      const answer = await app.request('GET', url);
      assert.equal(answer.status, 200, `GET ${url}: ${JSON.stringify(answer.body)}`);
      assert.ok(Array.isArray(answer.body.data), `GET ${url} lists`);
    }
    for (const url of ['/v1/workflows/experiments', '/v1/workflows/evals']) {
      const perWorkflow = await app.request('GET', url);
      assert.equal(perWorkflow.status, 422, `${url} is listed per workflow`);
      assert.match(perWorkflow.body.detail.message, /^Invalid request: `querystring\.workflow_id`: .*[^.]\.$/);
    }
    for (const [url, code] of [['/v1/workflows/runs/run_x', 'workflow_run_not_found'], ['/v1/workflows/experiments/runs/x', 'experiment_run_not_found']]) {
      const answer = await app.request('GET', url!);
      assert.equal(answer.status, 404, url);
      isEnvelope(answer.body, code!);
    }
    const workflow = await app.request('POST', '/v1/workflows', { name: 'still reachable' });
    assert.equal((await app.request('GET', `/v1/workflows/${workflow.body.id}`)).status, 200);
  });
});
