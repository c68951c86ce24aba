import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { otherOrganizationKey } from '../testing/fixtures.js';
import { startTestApp, testStores, type TestApp } from '../testing/harness.js';

/** A spec naming `workflowId`, with two blocks (ids starting `b`) and an edge. */
function specOf(workflowId: string, b: string, name = 'Receipts', label = 'Read receipt') {
  return `apiVersion: workflows.retab.com/v1alpha2
kind: Workflow
metadata: {id: ${workflowId}, name: ${name}}
spec:
  blocks:
    ${b}_doc: {type: start_document}
    ${b}_read: {type: extract, label: ${label}, config: {json_schema: {type: object}}}
  edges:
    - {from: {block: ${b}_doc, handle: output-file-0}, to: {block: ${b}_read, handle: input-file-document}}
`;
}

for (const store of testStores()) {
  describe(`spec apply and plan by target (${store})`, () => {
    let app: TestApp;
    const blocksOf = async (workflowId: string) =>
      (await app.request('GET', `/v1/workflows/blocks?workflow_id=${workflowId}`)).body.data as Array<{ id: string; declarative_source_block_id: string | null; declarative_path: string | null; label: string }>;
    before(async () => {
      app = await startTestApp(store);
    });
    after(() => app.close());

    test('without project_id, /spec/apply applies to the workflow the YAML names (older SDKs)', async () => {
      const first = await app.request('POST', '/v1/workflows/spec/apply', { yaml_definition: specOf('wf_t_named', 'n') });
      assert.equal(first.status, 200, JSON.stringify(first.body));
      assert.deepEqual([first.body.workflow_id, first.body.created], ['wf_t_named', true]);
      const again = await app.request('POST', '/v1/workflows/spec/apply', { yaml_definition: specOf('wf_t_named', 'n', 'Renamed') });
      assert.deepEqual([again.body.workflow_id, again.body.action, again.body.created], ['wf_t_named', 'update', false]);
      const workflow = (await app.request('GET', '/v1/workflows/wf_t_named')).body;
      assert.deepEqual([workflow.name, workflow.project_id], ['Renamed', 'proj_default']);
      const doc = (await blocksOf('wf_t_named')).find((block) => block.id === 'n_doc')!;
      assert.deepEqual([doc.declarative_source_block_id, doc.declarative_path], ['n_doc', 'spec.blocks.n_doc']);
    });

    test('with project_id, /spec/apply creates a new workflow each time; ids the organization holds are replaced', async () => {
      const source = specOf('wf_t_source', 's');
      assert.equal((await app.request('POST', '/v1/workflows/spec/apply', { yaml_definition: source })).status, 200);
      const planned = await app.request('POST', '/v1/workflows/spec/plan', { yaml_definition: source, project_id: 'proj_t' });
      assert.deepEqual([planned.status, planned.body.action, planned.body.summary.add], [200, 'create', 4], 'a new workflow, not a no-op on the source');
      const validated = await app.request('POST', '/v1/workflows/spec/validate', { yaml_definition: source, project_id: 'proj_t' });
      assert.deepEqual([validated.status, validated.body.is_valid], [200, true]);

      const created = await app.request('POST', '/v1/workflows/spec/apply', { yaml_definition: source, project_id: 'proj_t' });
      assert.equal(created.status, 200, JSON.stringify(created.body));
      const copyId: string = created.body.workflow_id;
      assert.notEqual(copyId, 'wf_t_source');
      assert.deepEqual([created.body.action, created.body.created], ['create', true]);
      const copy = (await app.request('GET', `/v1/workflows/${copyId}`)).body;
      assert.deepEqual([copy.name, copy.project_id], ['Receipts', 'proj_t']);
      const blocks = await blocksOf(copyId);
      assert.equal(blocks.length, 2);
      assert.ok(blocks.every((block) => block.id.startsWith('blk_')), 'the source workflow holds s_doc and s_read');
      assert.deepEqual(blocks.map((block) => block.declarative_source_block_id).sort(), ['s_doc', 's_read']);
      const edges = (await app.request('GET', `/v1/workflows/edges?workflow_id=${copyId}`)).body.data;
      const read = blocks.find((block) => block.declarative_source_block_id === 's_read')!;
      assert.deepEqual(edges.map((edge: { target_block: string }) => edge.target_block), [read.id]);
      assert.equal((await blocksOf('wf_t_source')).length, 2, 'the source is untouched');

      const second = await app.request('POST', '/v1/workflows/spec/apply', { yaml_definition: source, project_id: 'proj_t' });
      assert.notEqual(second.body.workflow_id, copyId, 'every apply with project_id creates');
      const listed = (await app.request('GET', '/v1/workflows?project_id=proj_t&limit=100')).body.data.map((w: { id: string }) => w.id).sort();
      assert.deepEqual(listed, [copyId, second.body.workflow_id].sort());
    });

    test('/{workflow_id}/spec/plan and /apply change that draft, matching blocks by the spec ids they came from', async () => {
      assert.equal((await app.request('POST', '/v1/workflows/spec/apply', { yaml_definition: specOf('wf_t_scoped_source', 'c') })).status, 200);
      const created = await app.request('POST', '/v1/workflows/spec/apply', { yaml_definition: specOf('wf_t_scoped_source', 'c'), project_id: 'proj_t' });
      const workflowId: string = created.body.workflow_id;
      assert.ok((await blocksOf(workflowId)).every((block) => block.id.startsWith('blk_')), 'c_doc and c_read were taken');
      const url = (action: string) => `/v1/workflows/${workflowId}/spec/${action}`;
      const unchanged = await app.request('POST', url('plan'), { yaml_definition: specOf('wf_anything', 'c') });
      assert.equal(unchanged.status, 200, JSON.stringify(unchanged.body));
      assert.deepEqual([unchanged.body.workflow_id, unchanged.body.action], [workflowId, 'noop'], 'the YAML id is only context');

      const before = await blocksOf(workflowId);
      const changed = await app.request('POST', url('apply'), { yaml_definition: specOf('wf_anything', 'c', 'Receipts', 'Read it') });
      assert.equal(changed.status, 200, JSON.stringify(changed.body));
      assert.deepEqual([changed.body.action, changed.body.created, changed.body.summary.change], ['update', false, 1]);
      const after = await blocksOf(workflowId);
      assert.deepEqual(after.map((block) => block.id).sort(), before.map((block) => block.id).sort(), 'the same blocks, updated in place');
      assert.equal(after.find((block) => block.declarative_source_block_id === 'c_read')!.label, 'Read it');

      const exported = (await app.request('GET', `/v1/workflows/${workflowId}/spec`)).body.yaml_definition;
      assert.equal((await app.request('POST', url('plan'), { yaml_definition: exported })).body.action, 'noop', 'its own export plans as a no-op');
    });

    test('workflow-scoped routes answer 404 for unknown workflows and for other organizations', async () => {
      const created = await app.request('POST', '/v1/workflows/spec/apply', { yaml_definition: specOf('wf_t_private', 'p'), project_id: 'proj_t' });
      const headers = { 'api-key': await otherOrganizationKey(app, `spec-targets-${store}`) };
      for (const action of ['plan', 'apply']) {
        for (const [workflowId, requestHeaders] of [['wf_t_missing', undefined], [created.body.workflow_id, headers]] as const) {
          const response = await app.request('POST', `/v1/workflows/${workflowId}/spec/${action}`, { yaml_definition: specOf('x', 'x') }, requestHeaders);
          assert.equal(response.status, 404, `${action} ${workflowId}`);
          assert.equal(response.body.detail.code, 'workflow_not_found');
        }
      }
      assert.equal((await app.request('GET', `/v1/workflows/${created.body.workflow_id}/spec`, undefined, headers)).status, 404);
      assert.equal((await app.request('GET', '/v1/workflows/wf_t_missing')).status, 404, 'a scoped apply never creates');
    });

    test('invalid project ids and bodies are 422', async () => {
      for (const body of [{ yaml_definition: specOf('wf_t_bad', 'z'), project_id: 'has space' }, { yaml_definition: specOf('wf_t_bad', 'z'), project_id: '' }]) {
        const response = await app.request('POST', '/v1/workflows/spec/apply', body);
        assert.equal(response.status, 422);
      }
      const scoped = await app.request('POST', '/v1/workflows/wf_t_named/spec/apply', { yaml_definition: 'kind: [' });
      assert.equal(scoped.status, 422);
    });
  });
}
