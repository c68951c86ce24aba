import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { otherOrganizationKey } from '../testing/fixtures.js';
import { startTestApp, testStores, type TestApp } from '../testing/harness.js';

const CODE = 'function transform(input) { return input; }';

async function newWorkflow(app: TestApp): Promise<string> {
  const response = await app.request('POST', '/v1/workflows', { name: 'blocks' });
  assert.equal(response.status, 201);
  return response.body.id;
}

async function newBlock(app: TestApp, body: Record<string, unknown>): Promise<any> {
  const response = await app.request('POST', '/v1/workflows/blocks', body);
  assert.equal(response.status, 201, JSON.stringify(response.body));
  return response.body;
}

const classifier = (workflowId: string, id: string, names: string[]) => ({
  workflow_id: workflowId,
  id,
  type: 'classifier',
  config: { categories: names.map((name) => ({ name })) },
});

for (const store of testStores()) {
  describe(`blocks (${store})`, () => {
    let app: TestApp;
    before(async () => {
      app = await startTestApp(store);
    });
    after(() => app.close());

    test('a created block gets a blk_ id, its defaults and the handles its type and config give it', async () => {
      const workflowId = await newWorkflow(app);
      const block = await newBlock(app, { workflow_id: workflowId, type: 'function', config: { language: 'javascript', code: CODE, output_schema: {}, model: null } });
      assert.match(block.id, /^blk_/);
      assert.equal(block.workflow_id, workflowId);
      assert.equal(block.label, '');
      assert.deepEqual([block.position_x, block.position_y, block.width, block.height, block.parent_id], [0, 0, null, null, null]);
      assert.deepEqual(block.config, { language: 'javascript', code: CODE, output_schema: {} }, 'top-level nulls are not stored');
      assert.deepEqual(block.input_handles, ['input-json-0']);
      assert.deepEqual(block.output_handles, ['output-json-0']);
      const fetched = await app.request('GET', `/v1/workflows/blocks/${block.id}`);
      assert.deepEqual(fetched.body, block);

      const routed = await newBlock(app, classifier(workflowId, `${workflowId}-classify`, ['Invoice', 'Credit Note']));
      assert.deepEqual(routed.input_handles, ['input-file-document']);
      assert.deepEqual(routed.output_handles, ['output-file-invoice', 'output-file-credit-note']);
    });

    test('an invalid config is refused with 422 and the path of each issue', async () => {
      const workflowId = await newWorkflow(app);
      const response = await app.request('POST', '/v1/workflows/blocks', {
        workflow_id: workflowId,
        type: 'function',
        config: { code: CODE, timeout_seconds: 0, output_schema: { type: 'text' } },
      });
      assert.equal(response.status, 422);
      assert.equal(response.body.detail.code, 'validation_error');
      const paths = response.body.detail.details.issues.map((issue: { path: string }) => issue.path).sort();
      assert.equal(paths.length, 2);
      assert.match(paths[0], /^body\.config\.output_schema/);
      assert.equal(paths[1], 'body.config.timeout_seconds');
      const classifierResponse = await app.request('POST', '/v1/workflows/blocks', { workflow_id: workflowId, type: 'classifier', config: { categories: [{ name: 'A' }, { name: 'A' }] } });
      assert.equal(classifierResponse.status, 422);
      assert.equal(classifierResponse.body.detail.details.issues[0].path, 'body.config.categories.1.name');
      const listed = await app.request('GET', `/v1/workflows/blocks?workflow_id=${workflowId}`);
      assert.deepEqual(listed.body.data, [], 'nothing was stored');
    });

    test('request shape errors: a type that cannot be created, a missing workflow', async () => {
      const workflowId = await newWorkflow(app);
      const sentinel = await app.request('POST', '/v1/workflows/blocks', { workflow_id: workflowId, type: 'for_each_sentinel_start' });
      assert.equal(sentinel.status, 422);
      assert.equal(sentinel.body.detail.details.issues[0].path, 'body.type');
      const missing = await app.request('POST', '/v1/workflows/blocks', { workflow_id: 'wf_missing', type: 'note' });
      assert.equal(missing.status, 404);
      assert.equal(missing.body.detail.code, 'workflow_not_found');
    });

    test('a custom block id is unique across the organization: reuse is 409 naming the workflow that has it', async () => {
      const first = await newWorkflow(app);
      const second = await newWorkflow(app);
      await newBlock(app, { workflow_id: first, id: 'extract_invoice', type: 'extract' });
      const again = await app.request('POST', '/v1/workflows/blocks', { workflow_id: second, id: 'extract_invoice', type: 'note' });
      assert.equal(again.status, 409);
      assert.equal(again.body.detail.code, 'conflict');
      assert.match(again.body.detail.message, new RegExp(`extract_invoice.*${first}`));
      assert.equal(again.body.detail.details.workflow_id, first);
    });

    test('PATCH merges config per RFC 7396 by default and replaces it with config_mode replace', async () => {
      const workflowId = await newWorkflow(app);
      const block = await newBlock(app, {
        workflow_id: workflowId,
        type: 'extract',
        config: { model: 'small', json_schema: { type: 'object', properties: { total: { type: 'number' } } }, instructions: 'read it' },
      });
      const merged = await app.request('PATCH', `/v1/workflows/blocks/${block.id}`, {
        label: 'Read invoice',
        config: { model: 'large', instructions: null, json_schema: { properties: { currency: { type: 'string' } } } },
      });
      assert.equal(merged.status, 200);
      assert.equal(merged.body.label, 'Read invoice');
      assert.deepEqual(merged.body.config, {
        model: 'large',
        json_schema: { type: 'object', properties: { total: { type: 'number' }, currency: { type: 'string' } } },
      });
      assert.ok(merged.body.updated_at >= block.updated_at);

      const replaced = await app.request('PATCH', `/v1/workflows/blocks/${block.id}`, { config_mode: 'replace', config: { model: 'tiny', n_consensus: null } });
      assert.deepEqual(replaced.body.config, { model: 'tiny' });
      assert.equal(replaced.body.label, 'Read invoice', 'fields not sent are kept');

      const moved = await app.request('PATCH', `/v1/workflows/blocks/${block.id}`, { position_x: 40, width: 300 });
      assert.deepEqual([moved.body.position_x, moved.body.position_y, moved.body.width], [40, 0, 300]);
      const cleared = await app.request('PATCH', `/v1/workflows/blocks/${block.id}`, { width: null, label: null });
      assert.deepEqual([cleared.body.width, cleared.body.label], [null, 'Read invoice'], 'null clears nullable fields only');
      assert.deepEqual((await app.request('GET', `/v1/workflows/blocks/${block.id}`)).body, cleared.body);
    });

    test('PATCH re-validates the resulting config and derives the new handles', async () => {
      const workflowId = await newWorkflow(app);
      const block = await newBlock(app, classifier(workflowId, `${workflowId}-c`, ['Invoice']));
      const invalid = await app.request('PATCH', `/v1/workflows/blocks/${block.id}`, { config: { categories: 'invoice' } });
      assert.equal(invalid.status, 422);
      assert.equal(invalid.body.detail.details.issues[0].path, 'body.config.categories');
      const grown = await app.request('PATCH', `/v1/workflows/blocks/${block.id}`, { config: { categories: [{ name: 'Invoice' }, { name: 'Receipt' }] } });
      assert.deepEqual(grown.body.output_handles, ['output-file-invoice', 'output-file-receipt']);
    });

    test('a config change that drops a handle an edge uses is refused with 409 naming the edge', async () => {
      const workflowId = await newWorkflow(app);
      const router = await newBlock(app, classifier(workflowId, `${workflowId}-router`, ['Invoice', 'Receipt']));
      const parse = await newBlock(app, { workflow_id: workflowId, type: 'parse' });
      const edge = await app.request('POST', '/v1/workflows/edges', {
        workflow_id: workflowId,
        source_block: router.id,
        source_handle: 'output-file-receipt',
        target_block: parse.id,
      });
      assert.equal(edge.status, 201);
      const rename = { config: { categories: [{ name: 'Invoice' }, { name: 'Bill' }] } };
      const refused = await app.request('PATCH', `/v1/workflows/blocks/${router.id}`, rename);
      assert.equal(refused.status, 409);
      assert.equal(refused.body.detail.code, 'conflict');
      assert.match(refused.body.detail.message, new RegExp(`${edge.body.id}.*output-file-receipt`));
      assert.deepEqual(refused.body.detail.details.edges.map((e: { id: string }) => e.id), [edge.body.id]);
      assert.deepEqual((await app.request('GET', `/v1/workflows/blocks/${router.id}`)).body.output_handles, ['output-file-invoice', 'output-file-receipt']);

      assert.equal((await app.request('DELETE', `/v1/workflows/edges/${edge.body.id}`)).status, 204);
      const renamed = await app.request('PATCH', `/v1/workflows/blocks/${router.id}`, rename);
      assert.equal(renamed.status, 200);
      assert.deepEqual(renamed.body.output_handles, ['output-file-invoice', 'output-file-bill']);
    });

    test('parent_id must name a while_loop or for_each block of the same workflow, never the block itself', async () => {
      const workflowId = await newWorkflow(app);
      const loop = await newBlock(app, { workflow_id: workflowId, type: 'for_each' });
      const note = await newBlock(app, { workflow_id: workflowId, type: 'note' });
      const child = await newBlock(app, { workflow_id: workflowId, type: 'function', config: { code: CODE, output_schema: {} }, parent_id: loop.id });
      assert.equal(child.parent_id, loop.id);

      const wrongType = await app.request('POST', '/v1/workflows/blocks', { workflow_id: workflowId, type: 'note', parent_id: note.id });
      assert.equal(wrongType.status, 422);
      assert.equal(wrongType.body.detail.details.issues[0].path, 'body.parent_id');
      const missing = await app.request('POST', '/v1/workflows/blocks', { workflow_id: workflowId, type: 'note', parent_id: 'blk_nowhere' });
      assert.equal(missing.status, 404);
      assert.equal(missing.body.detail.code, 'block_not_found');
      assert.match(missing.body.detail.message, /blk_nowhere/);

      const inner = await newBlock(app, { workflow_id: workflowId, type: 'while_loop', parent_id: loop.id });
      const cycle = await app.request('PATCH', `/v1/workflows/blocks/${loop.id}`, { parent_id: inner.id });
      assert.equal(cycle.status, 422);
      const itself = await app.request('PATCH', `/v1/workflows/blocks/${loop.id}`, { parent_id: loop.id });
      assert.equal(itself.status, 422);
      const out = await app.request('PATCH', `/v1/workflows/blocks/${child.id}`, { parent_id: null });
      assert.equal(out.body.parent_id, null);
    });

    test('DELETE removes the block and its edges in one go, and frees the blocks it contained', async () => {
      const workflowId = await newWorkflow(app);
      const start = await newBlock(app, { workflow_id: workflowId, type: 'start_json' });
      const loop = await newBlock(app, { workflow_id: workflowId, type: 'for_each' });
      const inner = await newBlock(app, { workflow_id: workflowId, type: 'function', config: { code: CODE, output_schema: {} }, parent_id: loop.id });
      const edge = await app.request('POST', '/v1/workflows/edges', { workflow_id: workflowId, source_block: start.id, target_block: loop.id });
      assert.equal(edge.status, 201);
      const kept = await app.request('POST', '/v1/workflows/edges', { workflow_id: workflowId, source_block: start.id, target_block: inner.id });
      assert.equal(kept.status, 201);

      const before = (await app.request('GET', `/v1/workflows/${workflowId}`)).body.updated_at;
      const deleted = await app.request('DELETE', `/v1/workflows/blocks/${loop.id}`);
      assert.equal(deleted.status, 204);
      assert.equal(deleted.body, undefined);
      assert.ok((await app.request('GET', `/v1/workflows/${workflowId}`)).body.updated_at > before, 'the workflow was touched');
      assert.equal((await app.request('GET', `/v1/workflows/blocks/${loop.id}`)).status, 404);
      assert.equal((await app.request('GET', `/v1/workflows/edges/${edge.body.id}`)).status, 404);
      const edges = await app.request('GET', `/v1/workflows/edges?workflow_id=${workflowId}`);
      assert.deepEqual(edges.body.data.map((e: { id: string }) => e.id), [kept.body.id]);
      assert.equal((await app.request('GET', `/v1/workflows/blocks/${inner.id}`)).body.parent_id, null);
      const again = await app.request('DELETE', `/v1/workflows/blocks/${loop.id}`);
      assert.equal(again.status, 404);
      assert.equal(again.body.detail.code, 'block_not_found');
    });

    test('lists page by cursor, need workflow_id, and every write moves the workflow updated_at', async () => {
      const workflowId = await newWorkflow(app);
      const created = [];
      for (let n = 0; n < 5; n++) created.push((await newBlock(app, { workflow_id: workflowId, type: 'note', label: `note ${n}` })).id);
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const url: string = `/v1/workflows/blocks?workflow_id=${workflowId}&limit=2&order=asc${cursor ? `&after=${cursor}` : ''}`;
        const page = await app.request('GET', url);
        assert.equal(page.status, 200);
        assert.ok(page.body.data.length <= 2);
        seen.push(...page.body.data.map((b: { id: string }) => b.id));
        cursor = page.body.list_metadata.after;
      } while (cursor);
      assert.deepEqual(seen, created);
      const newestFirst = await app.request('GET', `/v1/workflows/blocks?workflow_id=${workflowId}&limit=200`);
      assert.deepEqual(newestFirst.body.data.map((b: { id: string }) => b.id), [...created].reverse());

      assert.equal((await app.request('GET', '/v1/workflows/blocks')).status, 422);
      assert.equal((await app.request('GET', `/v1/workflows/blocks?workflow_id=${workflowId}&limit=201`)).status, 422);
      const unknown = await app.request('GET', '/v1/workflows/blocks?workflow_id=wf_unknown');
      assert.equal(unknown.status, 404);
      assert.equal(unknown.body.detail.code, 'workflow_not_found');

      const workflow = (await app.request('GET', `/v1/workflows/${workflowId}`)).body;
      const lastBlock = (await app.request('GET', `/v1/workflows/blocks/${created[4]}`)).body;
      assert.equal(workflow.updated_at, lastBlock.updated_at);
    });

    test('workflow_id on get narrows the lookup; another organization sees none of the blocks', async () => {
      const workflowId = await newWorkflow(app);
      const other = await newWorkflow(app);
      const block = await newBlock(app, { workflow_id: workflowId, type: 'note' });
      assert.equal((await app.request('GET', `/v1/workflows/blocks/${block.id}?workflow_id=${workflowId}`)).status, 200);
      const elsewhere = await app.request('GET', `/v1/workflows/blocks/${block.id}?workflow_id=${other}`);
      assert.equal(elsewhere.status, 404);
      assert.equal(elsewhere.body.detail.code, 'block_not_found');

      const headers = { 'api-key': await otherOrganizationKey(app, `blocks-${store}`) };
      for (const [method, url, body] of [
        ['GET', `/v1/workflows/blocks/${block.id}`, undefined],
        ['PATCH', `/v1/workflows/blocks/${block.id}`, { label: 'stolen' }],
        ['DELETE', `/v1/workflows/blocks/${block.id}`, undefined],
      ] as const) {
        const response = await app.request(method, url, body, headers);
        assert.equal(response.status, 404, `${method} ${url}`);
        assert.equal(response.body.detail.code, 'block_not_found');
      }
      assert.equal((await app.request('GET', `/v1/workflows/blocks?workflow_id=${workflowId}`, undefined, headers)).status, 404);
      assert.equal((await app.request('POST', '/v1/workflows/blocks', { workflow_id: workflowId, type: 'note' }, headers)).status, 404);
      assert.equal((await app.request('GET', `/v1/workflows/blocks/${block.id}`)).body.label, '', 'unchanged for its owner');
    });
  });
}
