import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { workflowDraftFingerprint, type BlockType } from '@verdict/core';
import { storeForSuite, testStores } from '../testing/harness.js';
import { draftFingerprints } from './versions.js';
import { insertWorkflow } from './workflows.js';

const ORG = 'org_draft_revisions';
const NOW = '2026-12-03T00:00:00.000Z';

function block(id: string, workflowId: string, code: string) {
  const config = JSON.stringify({ language: 'javascript', code });
  return { organization_id: ORG, id, workflow_id: workflowId, type: 'function', label: id, position_x: 0, position_y: 0, width: null, height: null, config, parent_id: null, declarative_source_block_id: null, created_at: NOW, updated_at: NOW };
}

for (const kind of testStores()) {
  describe(`draft fingerprints follow every change to blocks and edges, cached per draft revision (${kind})`, () => {
    const suite = storeForSuite(kind, 'draft-revisions');

    /** The fingerprint computed from the rows themselves, as a run snapshots it. */
    async function recomputed(workflowId: string): Promise<string> {
      const blocks = await suite.db.selectFrom('blocks').selectAll().where('organization_id', '=', ORG).where('workflow_id', '=', workflowId).execute();
      const edges = await suite.db.selectFrom('edges').selectAll().where('organization_id', '=', ORG).where('workflow_id', '=', workflowId).execute();
      return workflowDraftFingerprint(
        blocks.map((row) => ({ id: row.id, type: row.type as BlockType, config: JSON.parse(row.config!), parent_id: row.parent_id })),
        edges,
      );
    }

    async function served(workflowId: string): Promise<string> {
      return (await draftFingerprints(suite.db, ORG, [workflowId])).get(workflowId)!;
    }

    async function revision(workflowId: string): Promise<string | null> {
      const row = await suite.db.selectFrom('workflows').select('draft_revision').where('organization_id', '=', ORG).where('id', '=', workflowId).executeTakeFirstOrThrow();
      return row.draft_revision;
    }

    test('each insert, update and delete of a block or an edge renews the revision, and the served fingerprint is the recomputed one', async () => {
      await insertWorkflow(suite.db, ORG, { id: 'wf_rev', name: 'revisions', description: '' });
      await insertWorkflow(suite.db, ORG, { id: 'wf_rev_other', name: 'untouched', description: '' });
      assert.equal(await revision('wf_rev'), null, 'a workflow without blocks has no revision yet');
      const seen = new Set<string>();
      const steps: [string, () => Promise<unknown>][] = [
        ['insert block a', () => suite.db.insertInto('blocks').values(block('blk_a', 'wf_rev', 'return 1')).execute()],
        ['insert block b', () => suite.db.insertInto('blocks').values(block('blk_b', 'wf_rev', 'return 2')).execute()],
        ['insert edge', () => suite.db.insertInto('edges').values({ organization_id: ORG, id: 'edge_ab', workflow_id: 'wf_rev', source_block: 'blk_a', source_handle: 'output-json-0', target_block: 'blk_b', target_handle: 'input-json-0', created_at: NOW, updated_at: NOW }).execute()],
        ['update edge', () => suite.db.updateTable('edges').set({ target_handle: 'input-json-1' }).where('id', '=', 'edge_ab').execute()],
        ['update block config', () => suite.db.updateTable('blocks').set({ config: JSON.stringify({ language: 'javascript', code: 'return 3' }) }).where('id', '=', 'blk_b').execute()],
        ['delete edge', () => suite.db.deleteFrom('edges').where('id', '=', 'edge_ab').execute()],
        ['delete block', () => suite.db.deleteFrom('blocks').where('id', '=', 'blk_a').execute()],
      ];
      for (const [label, change] of steps) {
        const other = await revision('wf_rev_other');
        await served('wf_rev'); // the previous draft's fingerprint is cached now
        await change();
        const current = await revision('wf_rev');
        assert.ok(current !== null && !seen.has(current), `${label}: a new revision`);
        seen.add(current);
        assert.equal(await served('wf_rev'), await recomputed('wf_rev'), `${label}: the served fingerprint is the draft's`);
        assert.equal(await revision('wf_rev_other'), other, `${label}: another workflow's revision is left alone`);
      }
    });

    test('workflows of one request are answered together, cached or not, and one without a row gets the empty draft', async () => {
      await insertWorkflow(suite.db, ORG, { id: 'wf_many_1', name: 'one', description: '' });
      await insertWorkflow(suite.db, ORG, { id: 'wf_many_2', name: 'two', description: '' });
      await suite.db.insertInto('blocks').values([block('blk_m1', 'wf_many_1', 'return "one"'), block('blk_m2', 'wf_many_2', 'return "two"')]).execute();
      await served('wf_many_1');
      const answered = await draftFingerprints(suite.db, ORG, ['wf_many_1', 'wf_many_2', 'wf_missing']);
      assert.deepEqual(answered, new Map([
        ['wf_many_1', await recomputed('wf_many_1')],
        ['wf_many_2', await recomputed('wf_many_2')],
        ['wf_missing', workflowDraftFingerprint([], [])],
      ]));
      assert.notEqual(answered.get('wf_many_1'), answered.get('wf_many_2'));
    });
  });
}
