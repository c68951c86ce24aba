import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { otherOrganizationKey } from '../testing/fixtures.js';
import { startTestApp, testStores, type TestApp } from '../testing/harness.js';

for (const store of testStores()) {
  describe(`block validate-config and edges by workflow (${store})`, () => {
    let app: TestApp;
    let workflowId: string;
    let classifierId: string;
    before(async () => {
      app = await startTestApp(store);
      workflowId = (await app.request('POST', '/v1/workflows', { name: 'Validate' })).body.id;
      classifierId = (await app.request('POST', '/v1/workflows/blocks', { workflow_id: workflowId, type: 'classifier', config: { categories: [{ name: 'Invoice' }, { name: 'Receipt' }] } })).body.id;
    });
    after(() => app.close());

    const validate = (body: unknown, query = '', headers?: Record<string, string>) =>
      app.request('POST', `/v1/workflows/blocks/${classifierId}/validate-config${query}`, body, headers);
    const stored = async () => (await app.request('GET', `/v1/workflows/blocks/${classifierId}`)).body;

    test('a valid config answers ok with its hash and writes nothing', async () => {
      const before = await stored();
      const replaced = await validate({ config: { categories: [{ name: 'Invoice' }, { name: 'Receipt' }, { name: 'Other' }] } });
      assert.equal(replaced.status, 200, JSON.stringify(replaced.body));
      assert.deepEqual(
        [replaced.body.ok, replaced.body.workflow_id, replaced.body.block_id, replaced.body.block_type],
        [true, workflowId, classifierId, 'classifier'],
      );
      assert.match(replaced.body.config_hash, /^[0-9a-f]{16}$/);
      const same = await validate({ config: before.config }, `?workflow_id=${workflowId}`);
      assert.notEqual(same.body.config_hash, replaced.body.config_hash, 'the hash follows the config');
      assert.equal((await validate({ config: before.config })).body.config_hash, same.body.config_hash, 'and is stable');
      const merged = await validate({ config: { model: 'small' }, config_mode: 'merge' });
      assert.equal(merged.status, 200, 'merge validates the merged config: categories stay');
      assert.deepEqual(await stored(), before, 'nothing was written');
    });

    test('an invalid config is a 422 naming the field; replace and merge differ', async () => {
      const duplicate = await validate({ config: { categories: [{ name: 'A' }, { name: 'A' }] } });
      assert.equal(duplicate.status, 422);
      assert.equal(duplicate.body.detail.code, 'validation_error');
      assert.equal(duplicate.body.detail.details.issues[0].path, 'body.config.categories.1.name');
      const withoutCategories = await validate({ config: { model: 'small' }, config_mode: 'replace' });
      assert.equal(withoutCategories.status, 422, 'replace: the config alone has no categories');
      for (const body of [{}, { config: 'x' }, { config: {}, config_mode: 'upsert' }]) assert.equal((await validate(body)).status, 422, JSON.stringify(body));
    });

    test('a config that drops a handle an edge uses is a 409, as the update would be', async () => {
      const extract = (await app.request('POST', '/v1/workflows/blocks', { workflow_id: workflowId, type: 'extract', config: { json_schema: { type: 'object' } } })).body.id;
      const edge = await app.request('POST', '/v1/workflows/edges', { workflow_id: workflowId, source_block: classifierId, source_handle: 'output-file-receipt', target_block: extract, target_handle: 'input-file-document' });
      assert.equal(edge.status, 201, JSON.stringify(edge.body));
      const dropped = await validate({ config: { categories: [{ name: 'Invoice' }] } });
      assert.equal(dropped.status, 409);
      assert.match(dropped.body.detail.message, /output-file-receipt/);

      const byWorkflow = await app.request('GET', `/v1/workflows/edges/${edge.body.id}?workflow_id=${workflowId}`);
      assert.deepEqual([byWorkflow.status, byWorkflow.body.id], [200, edge.body.id]);
      const otherWorkflow = (await app.request('POST', '/v1/workflows', { name: 'Other' })).body.id;
      assert.equal((await app.request('GET', `/v1/workflows/edges/${edge.body.id}?workflow_id=${otherWorkflow}`)).status, 404, 'an edge of another workflow');
    });

    test('unknown blocks, other workflows and other organizations are 404', async () => {
      assert.equal((await app.request('POST', '/v1/workflows/blocks/blk_missing/validate-config', { config: {} })).status, 404);
      const otherWorkflow = (await app.request('POST', '/v1/workflows', { name: 'Elsewhere' })).body.id;
      assert.equal((await validate({ config: {} }, `?workflow_id=${otherWorkflow}`)).status, 404);
      const headers = { 'api-key': await otherOrganizationKey(app, `validate-${store}`) };
      const foreign = await validate({ config: { categories: [{ name: 'A' }] } }, '', headers);
      assert.deepEqual([foreign.status, foreign.body.detail.code], [404, 'block_not_found']);
      assert.equal((await app.request('GET', `/v1/workflows/blocks/${classifierId}`, undefined, headers)).status, 404);
    });

    test('blocks carry declarative_path and declarative_source_block_id, null when not made by a spec', async () => {
      const block = await stored();
      assert.deepEqual([block.declarative_path, block.declarative_source_block_id], [null, null]);
    });
  });
}
