import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Verdict } from './client.js';
import { startFakeServer, type SeenRequest } from './test-server.js';

/** Serves items `t1…t7` three per page, cursors being item ids, as the server's keyset pagination does. */
function pagedTests(request: SeenRequest) {
  const all = ['t1', 't2', 't3', 't4', 't5', 't6', 't7'];
  const after = request.query.get('after');
  const start = after ? all.indexOf(after) + 1 : 0;
  const data = all.slice(start, start + 3).map((id) => ({ id }));
  const more = start + 3 < all.length;
  return { json: { data, list_metadata: { before: start === 0 ? null : data[0].id, after: more ? data[data.length - 1].id : null } } };
}

describe('pagination', () => {
  test('for await walks every item of every page, repeating the query with `after` and without `before`', async () => {
    const server = await startFakeServer(pagedTests);
    try {
      const client = new Verdict({ apiKey: 'k', baseUrl: server.baseUrl });
      const ids: string[] = [];
      for await (const item of client.workflows.tests.list({ workflow_id: 'wf_1', target_block_id: 'blk_1', limit: 3, before: 'x' })) ids.push(item.id);
      assert.deepEqual(ids, ['t1', 't2', 't3', 't4', 't5', 't6', 't7']);
      assert.equal(server.requests.length, 3);
      const [, second, third] = server.requests;
      assert.deepEqual(Object.fromEntries(second.query), { workflow_id: 'wf_1', target_block_id: 'blk_1', limit: '3', after: 't3' });
      assert.equal(third.query.get('after'), 't6');
    } finally {
      await server.close();
    }
  });

  test('awaiting the list gives the first page with hasMore() and nextPage()', async () => {
    const server = await startFakeServer(pagedTests);
    try {
      const client = new Verdict({ apiKey: 'k', baseUrl: server.baseUrl });
      const first = await client.workflows.tests.list({ workflow_id: 'wf_1' });
      assert.deepEqual(first.data.map((t) => t.id), ['t1', 't2', 't3']);
      assert.equal(first.hasMore(), true);
      const second = await first.nextPage();
      const third = await second!.nextPage();
      assert.deepEqual(third!.data.map((t) => t.id), ['t7']);
      assert.equal(third!.hasMore(), false);
      assert.equal(await third!.nextPage(), null);
      assert.deepEqual(JSON.parse(JSON.stringify(third)), { data: [{ id: 't7' }], list_metadata: { before: 't7', after: null } });
    } finally {
      await server.close();
    }
  });

  test('stops on a repeated cursor or an empty page instead of looping forever', async () => {
    const stuck = await startFakeServer(() => ({ json: { data: [{ id: 'same' }], list_metadata: { before: null, after: 'same' } } }));
    const empty = await startFakeServer((_, index) => ({ json: { data: index === 0 ? [{ id: 'a' }] : [], list_metadata: { before: null, after: 'next' } } }));
    try {
      const ids = async (baseUrl: string) => {
        const seen: string[] = [];
        for await (const run of new Verdict({ apiKey: 'k', baseUrl }).workflows.tests.runs.list()) seen.push(run.id);
        return seen;
      };
      assert.deepEqual(await ids(stuck.baseUrl), ['same', 'same']);
      assert.equal(stuck.requests.length, 2);
      assert.deepEqual(await ids(empty.baseUrl), ['a']);
      assert.equal(empty.requests.length, 2);
    } finally {
      await stuck.close();
      await empty.close();
    }
  });

  test('a list that is never used sends nothing', async () => {
    const server = await startFakeServer(pagedTests);
    try {
      new Verdict({ apiKey: 'k', baseUrl: server.baseUrl }).workflows.tests.list({ workflow_id: 'wf_1' });
      await new Promise((resolve) => setTimeout(resolve, 20));
      assert.equal(server.requests.length, 0);
    } finally {
      await server.close();
    }
  });
});

test('a malformed list answer is one empty, final page', async () => {
  const server = await startFakeServer(() => ({ json: { unexpected: true } }));
  try {
    const page = await new Verdict({ apiKey: 'k', baseUrl: server.baseUrl }).workflows.list();
    assert.deepEqual(page.data, []);
    assert.equal(page.hasMore(), false);
    const items = [];
    for await (const item of page) items.push(item);
    assert.deepEqual(items, []);
  } finally {
    await server.close();
  }
});
