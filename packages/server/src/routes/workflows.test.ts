import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { otherOrganizationKey } from '../testing/fixtures.js';
import { startTestApp, testStores, type TestApp } from '../testing/harness.js';

for (const store of testStores()) {
  describe(`workflows: projects and discard-draft (${store})`, () => {
    let app: TestApp;
    before(async () => {
      app = await startTestApp(store);
    });
    after(() => app.close());

    test('project_id is optional on create, always returned, and filters the list', async () => {
      const legacy = await app.request('POST', '/v1/workflows', { name: 'Old SDK' });
      assert.deepEqual([legacy.status, legacy.body.project_id], [201, 'proj_default'], 'earlier SDKs send no project');
      const inProject = await app.request('POST', '/v1/workflows', { name: 'New SDK', project_id: 'proj_w1' });
      assert.deepEqual([inProject.status, inProject.body.project_id], [201, 'proj_w1']);
      assert.equal((await app.request('GET', `/v1/workflows/${inProject.body.id}`)).body.project_id, 'proj_w1');

      const listed = await app.request('GET', '/v1/workflows?project_id=proj_w1');
      assert.deepEqual(listed.body.data.map((w: { id: string }) => w.id), [inProject.body.id]);
      const defaults = (await app.request('GET', '/v1/workflows?project_id=proj_default&limit=100')).body.data.map((w: { id: string }) => w.id);
      assert.ok(defaults.includes(legacy.body.id) && !defaults.includes(inProject.body.id));
      const all = (await app.request('GET', '/v1/workflows?limit=100')).body.data.map((w: { id: string }) => w.id);
      assert.ok(all.includes(legacy.body.id) && all.includes(inProject.body.id), 'no filter lists every project');

      const headers = { 'api-key': await otherOrganizationKey(app, `projects-${store}`) };
      assert.deepEqual((await app.request('GET', '/v1/workflows?project_id=proj_w1', undefined, headers)).body.data, [], 'a project id is scoped to its organization');
      for (const project_id of ['', 'a b', 'x'.repeat(201), 42]) {
        const refused = await app.request('POST', '/v1/workflows', { name: 'bad', project_id });
        assert.equal(refused.status, 422, JSON.stringify(project_id));
        assert.equal(refused.body.detail.code, 'validation_error');
      }
    });

    test('discard-draft puts the published blocks back; unpublished and foreign workflows are refused', async () => {
      const workflow = (await app.request('POST', '/v1/workflows', { name: 'Discard me' })).body;
      const never = await app.request('POST', `/v1/workflows/${workflow.id}/discard-draft`);
      assert.equal(never.status, 409);
      assert.match(never.body.detail.message, /never been published/);

      const block = await app.request('POST', '/v1/workflows/blocks', { workflow_id: workflow.id, type: 'note', label: 'Published label' });
      assert.equal((await app.request('POST', `/v1/workflows/${workflow.id}/publish`, {})).status, 200);
      await app.request('PATCH', `/v1/workflows/blocks/${block.body.id}`, { label: 'Draft label' });
      await app.request('POST', '/v1/workflows/blocks', { workflow_id: workflow.id, type: 'note', label: 'Added in draft' });

      const discarded = await app.request('POST', `/v1/workflows/${workflow.id}/discard-draft`);
      assert.equal(discarded.status, 200, JSON.stringify(discarded.body));
      assert.deepEqual([discarded.body.id, discarded.body.project_id], [workflow.id, 'proj_default']);
      const blocks = (await app.request('GET', `/v1/workflows/blocks?workflow_id=${workflow.id}`)).body.data;
      assert.deepEqual(blocks.map((b: { id: string; label: string }) => [b.id, b.label]), [[block.body.id, 'Published label']]);

      await app.request('DELETE', `/v1/workflows/blocks/${block.body.id}`);
      const thief = (await app.request('POST', '/v1/workflows', { name: 'Takes the id' })).body.id;
      assert.equal((await app.request('POST', '/v1/workflows/blocks', { workflow_id: thief, id: block.body.id, type: 'note' })).status, 201);
      const blocked = await app.request('POST', `/v1/workflows/${workflow.id}/discard-draft`);
      assert.equal(blocked.status, 409, 'a published block id another workflow took since is a conflict, not a 500');
      assert.match(blocked.body.detail.message, new RegExp(thief));

      const headers = { 'api-key': await otherOrganizationKey(app, `discard-${store}`) };
      const foreign = await app.request('POST', `/v1/workflows/${workflow.id}/discard-draft`, undefined, headers);
      assert.deepEqual([foreign.status, foreign.body.detail.code], [404, 'workflow_not_found']);
    });
  });
}
