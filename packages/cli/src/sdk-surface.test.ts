/**
 * The SDK's files and versions methods against a real server (in process, through inject): the
 * CLI package is where the SDK and the server meet, so the SDK's end-to-end tests live here.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { NotFoundError, Verdict } from '@verdict/sdk';
import { startTestApp, type TestApp } from '@verdict/server/testing/harness';

/** A fetch that hands each request to the server's inject(), bodies and answers as bytes. */
function injectFetch(app: TestApp): typeof fetch {
  return (async (input: string | URL | Request, init?: RequestInit) => {
    const url = new URL(String(input));
    const response = await app.app.inject({
      method: (init?.method ?? 'GET') as 'GET',
      url: `${url.pathname}${url.search}`,
      headers: Object.fromEntries(Object.entries((init?.headers ?? {}) as Record<string, string>).map(([key, value]) => [key.toLowerCase(), value])),
      payload: typeof init?.body === 'string' ? init.body : undefined,
    });
    const headers = new Headers();
    for (const [key, value] of Object.entries(response.headers)) if (typeof value === 'string') headers.set(key, value);
    return new Response(response.statusCode === 204 ? null : response.rawPayload, { status: response.statusCode, headers });
  }) as typeof fetch;
}

describe('the SDK against a real server: files and versions', () => {
  let app: TestApp;
  let client: Verdict;
  before(async () => {
    app = await startTestApp('sqlite');
    client = new Verdict({ apiKey: app.apiKey, baseUrl: 'http://verdict.test', fetch: injectFetch(app), maxRetries: 0 });
  });
  after(() => app.close());

  test('files: upload bytes, list, read back the same bytes, link, and a missing file is a NotFoundError', async () => {
    const bytes = new TextEncoder().encode(JSON.stringify({ invoice: 'INV-7', total: 12.5 }));
    const file = await client.files.upload('invoice.json', bytes);
    assert.equal(file.filename, 'invoice.json');
    assert.equal(file.mime_type, 'application/json');
    assert.equal(file.size_bytes, bytes.length);
    assert.deepEqual(await client.files.content(file.id), bytes);
    const listed = await client.files.list({ filename: 'invoice.json' });
    assert.deepEqual(listed.data.map((each) => each.id), [file.id]);
    const link = await client.files.downloadLink(file.id);
    assert.match(link.download_url, new RegExp(`/${file.id}`));
    await assert.rejects(client.files.content('file_missing'), NotFoundError);
  });

  test('versions: a workflow published twice lists, diffs and restores its versions and its blocks', async () => {
    const workflow = await client.workflows.create({ name: 'Versioned through the SDK' });
    const start = await client.workflows.blocks.create({ workflow_id: workflow.id, type: 'start_json', config: { json_schema: { type: 'object' } } });
    const code = (value: number) => `export default function transform(input) { return { value: ${value} }; }`;
    const fn = await client.workflows.blocks.create({ workflow_id: workflow.id, type: 'function', config: { code: code(1), output_schema: {} } });
    await client.workflows.edges.create({ workflow_id: workflow.id, source_block: start.id, target_block: fn.id });
    const first = (await client.workflows.publish(workflow.id)).published!.version_id!;
    await client.workflows.blocks.update(fn.id, { config: { code: code(2), output_schema: {} } });
    const second = (await client.workflows.publish(workflow.id)).published!.version_id!;

    const versions = await client.workflows.versions.list({ workflow_id: workflow.id });
    assert.deepEqual(versions.data.map((version) => version.id), [second, first]);
    assert.equal((await client.workflows.versions.get(first, workflow.id)).id, first);
    const diff = await client.workflows.versions.diff(workflow.id, first, second);
    assert.deepEqual(diff.changed_block_ids, [fn.id]);

    const blockVersions = await client.workflows.blocks.versions.list({ workflow_id: workflow.id, block_id: fn.id, order: 'asc' });
    assert.equal(blockVersions.data.length, 2);
    const [older, newer] = blockVersions.data;
    const blockDiff = await client.workflows.blocks.versions.diff(older!.id, newer!.id);
    assert.ok(blockDiff.changes.some((change) => change.field === 'config' && JSON.stringify(change.to_value).includes('value: 2')), JSON.stringify(blockDiff.changes));
    const restoredBlock = await client.workflows.blocks.versions.restore(older!.id);
    assert.match(JSON.stringify(restoredBlock.config), /value: 1/);

    const edgeVersions = await client.workflows.edges.versions.list({ workflow_id: workflow.id });
    assert.equal(edgeVersions.data.length, 1, 'the edge never changed');
    assert.equal((await client.workflows.edges.versions.get(edgeVersions.data[0]!.id)).edge_id, edgeVersions.data[0]!.edge_id);

    await client.workflows.versions.restore(second, workflow.id);
    assert.match(JSON.stringify((await client.workflows.blocks.get(fn.id)).config), /value: 2/);
    await assert.rejects(client.workflows.versions.get('ver_missing', workflow.id), NotFoundError);
  });
});
