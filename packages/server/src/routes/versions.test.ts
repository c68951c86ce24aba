import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { otherOrganizationKey } from '../testing/fixtures.js';
import { startTestApp, testStores, type TestApp } from '../testing/harness.js';

interface Published {
  workflowId: string;
  noteId: string;
  extractId: string;
  edgeId: string;
  first: string;
  second: string;
}

/** A workflow published twice: the second time with the extract's schema changed and a note added. */
async function publishedTwice(app: TestApp, name: string): Promise<Published> {
  const workflowId: string = (await app.request('POST', '/v1/workflows', { name })).body.id;
  const block = async (body: Record<string, unknown>) => (await app.request('POST', '/v1/workflows/blocks', { workflow_id: workflowId, ...body })).body.id as string;
  const start = await block({ type: 'start_document' });
  const extractId = await block({ type: 'extract', label: 'Read', config: { json_schema: { type: 'object', properties: { total: { type: 'number' } } } } });
  const edge = await app.request('POST', '/v1/workflows/edges', { workflow_id: workflowId, source_block: start, target_block: extractId, target_handle: 'input-file-document' });
  assert.equal(edge.status, 201, JSON.stringify(edge.body));
  const first = (await app.request('POST', `/v1/workflows/${workflowId}/publish`, {})).body.published.version_id as string;
  await app.request('PATCH', `/v1/workflows/blocks/${extractId}`, { config: { json_schema: { type: 'object', properties: { total: { type: 'string' } } } } });
  const noteId = await block({ type: 'note', label: 'Added' });
  const second = (await app.request('POST', `/v1/workflows/${workflowId}/publish`, {})).body.published.version_id as string;
  assert.notEqual(first, second);
  return { workflowId, noteId, extractId, edgeId: edge.body.id, first, second };
}

for (const store of testStores()) {
  describe(`workflow, block and edge versions (${store})`, () => {
    let app: TestApp;
    let published: Published;
    before(async () => {
      app = await startTestApp(store);
      published = await publishedTwice(app, 'Versioned');
    });
    after(() => app.close());

    test('workflow versions list newest first with cursors, and each is read by id within its workflow', async () => {
      const { workflowId, first, second } = published;
      const page = await app.request('GET', `/v1/workflows/versions?workflow_id=${workflowId}&limit=1`);
      assert.equal(page.status, 200, JSON.stringify(page.body));
      assert.deepEqual(page.body.data.map((v: { id: string }) => v.id), [second]);
      assert.equal(page.body.list_metadata.after, second);
      const next = await app.request('GET', `/v1/workflows/versions?workflow_id=${workflowId}&limit=1&after=${second}`);
      assert.deepEqual([next.body.data.map((v: { id: string }) => v.id), next.body.list_metadata.after], [[first], null]);

      const version = (await app.request('GET', `/v1/workflows/versions/${first}?workflow_id=${workflowId}`)).body;
      assert.deepEqual([version.id, version.workflow_id, version.blocks.length, version.edges.length], [first, workflowId, 2, 1]);
      assert.deepEqual(Object.keys(version.blocks[0].position), ['x', 'y']);
      assert.deepEqual([version.edges[0].source_handle, version.edges[0].target, version.edges[0].animated], ['output-file-0', published.extractId, true]);
      assert.equal(version.block_version_ids.length, 2);
      assert.match(version.block_version_ids[0], /^blkver_/);
      assert.match(version.edge_version_ids[0], /^edgver_/);
    });

    test('the diff names added and changed blocks', async () => {
      const { workflowId, first, second, noteId, extractId } = published;
      const diff = await app.request('GET', `/v1/workflows/versions/diff?workflow_id=${workflowId}&from_workflow_version_id=${first}&to_workflow_version_id=${second}`);
      assert.equal(diff.status, 200, JSON.stringify(diff.body));
      assert.deepEqual(
        [diff.body.added_block_ids, diff.body.removed_block_ids, diff.body.changed_block_ids, diff.body.added_edge_ids, diff.body.changed_edge_ids],
        [[noteId], [], [extractId], [], []],
      );
      const missing = await app.request('GET', `/v1/workflows/versions/diff?workflow_id=${workflowId}&from_workflow_version_id=${first}`);
      assert.equal(missing.status, 422);
    });

    test('restore round trip: the draft becomes the version, and the draft it replaced is kept as a version', async () => {
      const { workflowId, first, second, noteId } = published;
      await app.request('PATCH', `/v1/workflows/blocks/${noteId}`, { config: { text: 'only in the draft' } });
      const restored = await app.request('POST', `/v1/workflows/versions/${first}/restore?workflow_id=${workflowId}`);
      assert.equal(restored.status, 200, JSON.stringify(restored.body));
      assert.deepEqual([restored.body.id, restored.body.published.version_id], [workflowId, second], 'restoring changes the draft, not what is published');
      assert.equal((await app.request('GET', `/v1/workflows/blocks?workflow_id=${workflowId}`)).body.data.length, 2, 'the note added after the first version is gone');
      assert.equal((await app.request('GET', `/v1/workflows/blocks/${noteId}`)).status, 404);

      const versions = (await app.request('GET', `/v1/workflows/versions?workflow_id=${workflowId}`)).body.data.map((v: { id: string }) => v.id);
      assert.equal(versions.length, 3, 'the replaced draft became a version');
      const keptDraft = versions.find((id: string) => id !== first && id !== second);
      const back = await app.request('POST', `/v1/workflows/versions/${keptDraft}/restore?workflow_id=${workflowId}`);
      assert.equal(back.status, 200);
      assert.deepEqual((await app.request('GET', `/v1/workflows/blocks/${noteId}`)).body.config, { text: 'only in the draft' }, 'and can be restored');
    });

    test('block versions: derived per content, filtered, diffed and restored into the draft', async () => {
      const { workflowId, extractId, first, second } = published;
      const all = await app.request('GET', `/v1/workflows/blocks/versions?workflow_id=${workflowId}&block_id=${extractId}&order=asc`);
      assert.equal(all.status, 200, JSON.stringify(all.body));
      const [older, newer] = all.body.data;
      assert.equal(all.body.data.length, 2, 'the extract changed once');
      assert.deepEqual([older.block_id, older.workflow_version_id, newer.workflow_version_id, older.type], [extractId, first, second, 'extract']);
      assert.notEqual(older.config_hash, newer.config_hash);
      const inFirst = await app.request('GET', `/v1/workflows/blocks/versions?workflow_id=${workflowId}&workflow_version_id=${first}`);
      assert.equal(inFirst.body.data.length, 2);

      const got = await app.request('GET', `/v1/workflows/blocks/versions/${older.id}`);
      assert.deepEqual(got.body, older);
      const diff = await app.request('GET', `/v1/workflows/blocks/versions/diff?from_block_version_id=${older.id}&to_block_version_id=${newer.id}`);
      assert.equal(diff.status, 200, JSON.stringify(diff.body));
      assert.deepEqual([diff.body.block_id, diff.body.changes.map((c: { field: string }) => c.field)], [extractId, ['config']]);
      const start = inFirst.body.data.find((v: { type: string }) => v.type === 'start_document');
      const mixed = await app.request('GET', `/v1/workflows/blocks/versions/diff?from_block_version_id=${older.id}&to_block_version_id=${start.id}`);
      assert.equal(mixed.status, 422, 'versions of two blocks');

      const restored = await app.request('POST', `/v1/workflows/blocks/versions/${newer.id}/restore`);
      assert.equal(restored.status, 200, JSON.stringify(restored.body));
      assert.deepEqual([restored.body.id, restored.body.config], [extractId, newer.config]);
    });

    test('edge versions: listed, read, and a deleted edge restored', async () => {
      const { workflowId, edgeId } = published;
      const listed = await app.request('GET', `/v1/workflows/edges/versions?workflow_id=${workflowId}&edge_id=${edgeId}`);
      assert.equal(listed.status, 200, JSON.stringify(listed.body));
      assert.equal(listed.body.data.length, 1);
      const version = listed.body.data[0];
      assert.deepEqual((await app.request('GET', `/v1/workflows/edges/versions/${version.id}`)).body, version);
      const sameDiff = await app.request('GET', `/v1/workflows/edges/versions/diff?from_edge_version_id=${version.id}&to_edge_version_id=${version.id}`);
      assert.deepEqual([sameDiff.status, sameDiff.body.changes], [200, []]);
      assert.equal((await app.request('DELETE', `/v1/workflows/edges/${edgeId}`)).status, 204);
      const restored = await app.request('POST', `/v1/workflows/edges/versions/${version.id}/restore`);
      assert.equal(restored.status, 200, JSON.stringify(restored.body));
      assert.deepEqual([restored.body.id, restored.body.source_handle, restored.body.target_handle], [edgeId, 'output-file-0', 'input-file-document']);
    });

    test('route order: /versions paths are never taken for a workflow, block or edge id', async () => {
      for (const path of ['/v1/workflows/versions', '/v1/workflows/blocks/versions', '/v1/workflows/edges/versions']) {
        const response = await app.request('GET', path);
        assert.equal(response.status, 422, path);
        assert.match(response.body.detail.message, /workflow_id/, path);
      }
      assert.equal((await app.request('GET', '/v1/workflows/blocks/versions/diff?from_block_version_id=blkver_x')).status, 422);
    });

    test('every newer route is documented in /openapi.json', async () => {
      const document = (await app.app.inject({ method: 'GET', url: '/openapi.json' })).json();
      const expected: Array<[string, string]> = [
        ['get', '/v1/workflows/versions'],
        ['get', '/v1/workflows/versions/diff'],
        ['get', '/v1/workflows/versions/{version_id}'],
        ['post', '/v1/workflows/versions/{version_id}/restore'],
        ['get', '/v1/workflows/blocks/versions'],
        ['get', '/v1/workflows/blocks/versions/diff'],
        ['get', '/v1/workflows/blocks/versions/{version_id}'],
        ['post', '/v1/workflows/blocks/versions/{version_id}/restore'],
        ['get', '/v1/workflows/edges/versions'],
        ['get', '/v1/workflows/edges/versions/diff'],
        ['get', '/v1/workflows/edges/versions/{version_id}'],
        ['post', '/v1/workflows/edges/versions/{version_id}/restore'],
        ['post', '/v1/workflows/blocks/{block_id}/validate-config'],
        ['post', '/v1/workflows/{workflow_id}/discard-draft'],
        ['get', '/v1/workflows/{workflow_id}/spec'],
        ['post', '/v1/workflows/{workflow_id}/spec/plan'],
        ['post', '/v1/workflows/{workflow_id}/spec/apply'],
      ];
      for (const [method, path] of expected) assert.ok(document.paths[path]?.[method], `${method.toUpperCase()} ${path}`);
      assert.ok(document.components.schemas.WorkflowGraphVersion.properties.block_version_ids);
      assert.ok(document.components.schemas.Workflow.properties.project_id);
    });

    test('unknown ids and other organizations get 404', async () => {
      const { workflowId, first } = published;
      const headers = { 'api-key': await otherOrganizationKey(app, `versions-${store}`) };
      const blockVersion = (await app.request('GET', `/v1/workflows/blocks/versions?workflow_id=${workflowId}`)).body.data[0].id;
      const edgeVersion = (await app.request('GET', `/v1/workflows/edges/versions?workflow_id=${workflowId}`)).body.data[0].id;
      const cases: Array<[string, string, string]> = [
        ['GET', `/v1/workflows/versions?workflow_id=${workflowId}`, 'workflow_not_found'],
        ['GET', `/v1/workflows/versions/${first}?workflow_id=${workflowId}`, 'workflow_not_found'],
        ['POST', `/v1/workflows/versions/${first}/restore?workflow_id=${workflowId}`, 'workflow_not_found'],
        ['GET', `/v1/workflows/blocks/versions/${blockVersion}`, 'version_not_found'],
        ['POST', `/v1/workflows/blocks/versions/${blockVersion}/restore`, 'version_not_found'],
        ['GET', `/v1/workflows/edges/versions/${edgeVersion}`, 'version_not_found'],
        ['POST', `/v1/workflows/edges/versions/${edgeVersion}/restore`, 'version_not_found'],
      ];
      for (const [method, url, code] of cases) {
        const response = await app.request(method, url, undefined, headers);
        assert.deepEqual([response.status, response.body.detail.code], [404, code], `${method} ${url}`);
      }
      const other = (await app.request('POST', '/v1/workflows', { name: 'Other' })).body.id;
      const elsewhere = await app.request('GET', `/v1/workflows/versions/${first}?workflow_id=${other}`);
      assert.deepEqual([elsewhere.status, elsewhere.body.detail.code], [404, 'version_not_found'], 'a version of another workflow');
      assert.equal((await app.request('GET', '/v1/workflows/blocks/versions/blkver_missing')).status, 404);
    });
  });
}
