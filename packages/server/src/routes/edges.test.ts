import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { otherOrganizationKey } from '../testing/fixtures.js';
import { startTestApp, testStores, type TestApp } from '../testing/harness.js';

const CODE = 'function transform(input) { return input; }';

interface Graph {
  workflowId: string;
  doc: string;
  json: string;
  split: string;
  extract: string;
  fnA: string;
  fnB: string;
}

/** start_document, start_json, split (two subdocuments), extract, two functions — no edges yet. */
async function newGraph(app: TestApp): Promise<Graph> {
  const workflow = await app.request('POST', '/v1/workflows', { name: 'edges' });
  const workflowId: string = workflow.body.id;
  const block = async (type: string, config?: Record<string, unknown>) => {
    const response = await app.request('POST', '/v1/workflows/blocks', { workflow_id: workflowId, type, config });
    assert.equal(response.status, 201, JSON.stringify(response.body));
    return response.body.id as string;
  };
  return {
    workflowId,
    doc: await block('start_document'),
    json: await block('start_json'),
    split: await block('split', { subdocuments: [{ name: 'Invoice' }, { name: 'Receipt' }] }),
    extract: await block('extract'),
    fnA: await block('function', { code: CODE, output_schema: {} }),
    fnB: await block('function', { code: CODE, output_schema: {} }),
  };
}

for (const store of testStores()) {
  describe(`edges (${store})`, () => {
    let app: TestApp;
    let g: Graph;
    const connect = (body: Record<string, unknown>) => app.request('POST', '/v1/workflows/edges', { workflow_id: g.workflowId, ...body });
    before(async () => {
      app = await startTestApp(store);
      g = await newGraph(app);
    });
    after(() => app.close());

    test('an edge between existing handles is created; handles of single-port ends are filled in', async () => {
      const explicit = await connect({ source_block: g.doc, source_handle: 'output-file-0', target_block: g.split, target_handle: 'input-file-0' });
      assert.equal(explicit.status, 201);
      assert.match(explicit.body.id, /^edg_/);
      assert.deepEqual(
        [explicit.body.workflow_id, explicit.body.source_block, explicit.body.source_handle, explicit.body.target_block, explicit.body.target_handle],
        [g.workflowId, g.doc, 'output-file-0', g.split, 'input-file-0'],
      );
      const implicit = await connect({ source_block: g.json, target_block: g.fnA });
      assert.equal(implicit.status, 201);
      assert.deepEqual([implicit.body.source_handle, implicit.body.target_handle], ['output-json-0', 'input-json-0']);
      assert.deepEqual((await app.request('GET', `/v1/workflows/edges/${implicit.body.id}`)).body, implicit.body);
    });

    test('an unknown block is 404 block_not_found naming it', async () => {
      for (const body of [
        { source_block: 'blk_ghost', target_block: g.fnB },
        { source_block: g.json, target_block: 'blk_ghost' },
      ]) {
        const response = await connect(body);
        assert.equal(response.status, 404);
        assert.equal(response.body.detail.code, 'block_not_found');
        assert.match(response.body.detail.message, /blk_ghost/);
        assert.equal(response.body.detail.details.block_id, 'blk_ghost');
      }
      const missingWorkflow = await app.request('POST', '/v1/workflows/edges', { workflow_id: 'wf_ghost', source_block: g.json, target_block: g.fnB });
      assert.equal(missingWorkflow.status, 404);
      assert.equal(missingWorkflow.body.detail.code, 'workflow_not_found');
    });

    test('an unknown or unnamed handle is 422 naming it and listing the valid ones', async () => {
      const unknown = await connect({ source_block: g.split, source_handle: 'output-file-bill', target_block: g.extract });
      assert.equal(unknown.status, 422);
      assert.equal(unknown.body.detail.code, 'validation_error');
      assert.match(unknown.body.detail.message, /output-file-bill/);
      assert.deepEqual(unknown.body.detail.details.valid_handles, ['output-file-invoice', 'output-file-receipt', 'output-json-splits']);
      assert.equal(unknown.body.detail.details.issues[0].path, 'body.source_handle');

      const unnamed = await connect({ source_block: g.split, target_block: g.extract });
      assert.equal(unnamed.status, 422);
      assert.match(unnamed.body.detail.message, /source_handle.*output-file-invoice/);

      const wrongDirection = await connect({ source_block: g.json, target_block: g.fnB, target_handle: 'output-json-0' });
      assert.equal(wrongDirection.status, 422);
      assert.deepEqual(wrongDirection.body.detail.details.valid_handles, ['input-json-0']);
    });

    test('file joins file and json joins json; a block cannot feed itself', async () => {
      const mismatch = await connect({ source_block: g.split, source_handle: 'output-json-splits', target_block: g.extract, target_handle: 'input-file-document' });
      assert.equal(mismatch.status, 422);
      assert.match(mismatch.body.detail.message, /output-json-splits.*input-file-document/);
      assert.equal(mismatch.body.detail.details.reason, 'kind_mismatch');

      const selfLoop = await connect({ source_block: g.fnB, target_block: g.fnB });
      assert.equal(selfLoop.status, 422);
      assert.match(selfLoop.body.detail.message, new RegExp(g.fnB));
    });

    test('a duplicate edge and a second edge into one input handle are 409', async () => {
      const first = await connect({ source_block: g.split, source_handle: 'output-file-invoice', target_block: g.extract, target_handle: 'input-file-document' });
      assert.equal(first.status, 201);
      const duplicate = await connect({ source_block: g.split, source_handle: 'output-file-invoice', target_block: g.extract, target_handle: 'input-file-document' });
      assert.equal(duplicate.status, 409);
      assert.equal(duplicate.body.detail.code, 'conflict');
      assert.equal(duplicate.body.detail.details.reason, 'duplicate');
      const taken = await connect({ source_block: g.split, source_handle: 'output-file-receipt', target_block: g.extract, target_handle: 'input-file-document' });
      assert.equal(taken.status, 409);
      assert.match(taken.body.detail.message, /input-file-document/);
      assert.equal(taken.body.detail.details.reason, 'input_taken');
    });

    test('an edge that closes a cycle is 422; a custom edge id is unique', async () => {
      const other = await newGraph(app);
      const link = (body: Record<string, unknown>) => app.request('POST', '/v1/workflows/edges', { workflow_id: other.workflowId, ...body });
      const forward = await link({ id: 'edge_a_to_b', source_block: other.fnA, target_block: other.fnB });
      assert.equal(forward.status, 201);
      assert.equal(forward.body.id, 'edge_a_to_b');
      const backwards = await link({ source_block: other.fnB, target_block: other.fnA });
      assert.equal(backwards.status, 422);
      assert.equal(backwards.body.detail.details.reason, 'cycle');

      const reused = await connect({ id: 'edge_a_to_b', source_block: g.fnA, target_block: g.fnB });
      assert.equal(reused.status, 409);
      assert.match(reused.body.detail.message, /edge_a_to_b/);
      const foreignBlock = await link({ source_block: g.json, target_block: other.fnB });
      assert.equal(foreignBlock.status, 404, 'a block of another workflow is not in this one');
    });

    test('lists filter by source and target block and page by cursor', async () => {
      const all = await app.request('GET', `/v1/workflows/edges?workflow_id=${g.workflowId}&limit=200`);
      assert.equal(all.status, 200);
      assert.equal(all.body.data.length, 3);
      const fromSplit = await app.request('GET', `/v1/workflows/edges?workflow_id=${g.workflowId}&source_block=${g.split}`);
      assert.ok(fromSplit.body.data.length > 0);
      assert.ok(fromSplit.body.data.every((e: { source_block: string }) => e.source_block === g.split));
      const intoExtract = await app.request('GET', `/v1/workflows/edges?workflow_id=${g.workflowId}&target_block=${g.extract}`);
      assert.deepEqual(intoExtract.body.data.map((e: { target_handle: string }) => e.target_handle), ['input-file-document']);

      const paged: string[] = [];
      let cursor: string | null = null;
      do {
        const url: string = `/v1/workflows/edges?workflow_id=${g.workflowId}&limit=1${cursor ? `&after=${cursor}` : ''}`;
        const page = await app.request('GET', url);
        paged.push(...page.body.data.map((e: { id: string }) => e.id));
        cursor = page.body.list_metadata.after;
      } while (cursor);
      assert.deepEqual(paged, all.body.data.map((e: { id: string }) => e.id));
      assert.equal((await app.request('GET', '/v1/workflows/edges')).status, 422);
    });

    test('concurrent requests racing for one input handle or one custom id: one wins, the rest get 409', async () => {
      const race = await newGraph(app);
      const sources = [race.json, race.fnA, race.extract];
      const attempts = await Promise.all(
        sources.map((source) => app.request('POST', '/v1/workflows/edges', { workflow_id: race.workflowId, source_block: source, target_block: race.fnB })),
      );
      assert.deepEqual(attempts.map((r) => r.status).sort(), [201, 409, 409]);
      const into = await app.request('GET', `/v1/workflows/edges?workflow_id=${race.workflowId}&target_block=${race.fnB}`);
      assert.equal(into.body.data.length, 1);

      const workflows = await Promise.all([1, 2, 3].map(() => app.request('POST', '/v1/workflows', { name: 'race' })));
      const sameId = await Promise.all(workflows.map((w) => app.request('POST', '/v1/workflows/blocks', { workflow_id: w.body.id, id: `raced_${store}`, type: 'note' })));
      assert.deepEqual(sameId.map((r) => r.status).sort(), [201, 409, 409]);
    });

    test('get and delete answer 404 edge_not_found for unknown ids and for another organization', async () => {
      const edge = (await app.request('GET', `/v1/workflows/edges?workflow_id=${g.workflowId}&limit=1`)).body.data[0];
      const headers = { 'api-key': await otherOrganizationKey(app, `edges-${store}`) };
      for (const [method, url, key] of [
        ['GET', '/v1/workflows/edges/edg_unknown', undefined],
        ['DELETE', '/v1/workflows/edges/edg_unknown', undefined],
        ['GET', `/v1/workflows/edges/${edge.id}`, headers],
        ['DELETE', `/v1/workflows/edges/${edge.id}`, headers],
      ] as const) {
        const response = await app.request(method, url, undefined, key);
        assert.equal(response.status, 404, `${method} ${url}`);
        assert.equal(response.body.detail.code, 'edge_not_found');
      }
      assert.equal((await app.request('GET', `/v1/workflows/edges?workflow_id=${g.workflowId}`, undefined, headers)).status, 404);
      assert.equal((await app.request('POST', '/v1/workflows/edges', { workflow_id: g.workflowId, source_block: g.fnA, target_block: g.fnB }, headers)).status, 404);

      assert.equal((await app.request('DELETE', `/v1/workflows/edges/${edge.id}`)).status, 204);
      assert.equal((await app.request('GET', `/v1/workflows/edges/${edge.id}`)).status, 404);
    });
  });
}
