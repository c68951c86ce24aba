import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { exportWorkflowSpec } from './export.js';
import { parseWorkflowSpec } from './parse.js';
import { retargetSpec, type RetargetContext } from './retarget.js';
import { draftBlock, draftEdge } from './test-support.js';

const blocks = [draftBlock('loop', 'for_each', { config: { map_method: 'split_by_page' } }), draftBlock('inner', 'note', { parent_id: 'loop' }), draftBlock('doc', 'start_document')];
const edges = [draftEdge('edg_mine', 'doc', 'output-file-0', 'loop', 'input-file-0')];

function parsed() {
  const { spec, diagnostics } = parseWorkflowSpec(exportWorkflowSpec({ id: 'wf_source', name: 'Source', description: '' }, blocks, edges));
  assert.ok(spec, JSON.stringify(diagnostics));
  return spec;
}

function context(fields: Partial<RetargetContext> = {}): RetargetContext {
  let next = 0;
  return { workflowId: 'wf_target', draftBlocks: [], foreignBlockIds: new Set(), foreignEdgeIds: new Set(), newBlockId: () => `blk_new${++next}`, ...fields };
}

describe('retargetSpec', () => {
  test('free ids are kept and the target replaces metadata.id', () => {
    const { spec, authoredIds } = retargetSpec(parsed(), context());
    assert.equal(spec.metadata.id, 'wf_target');
    assert.deepEqual([...spec.blocks.keys()].sort(), ['doc', 'inner', 'loop']);
    assert.deepEqual([...authoredIds].sort(), [['doc', 'doc'], ['inner', 'inner'], ['loop', 'loop']]);
  });

  test('ids another workflow holds are replaced everywhere they are referenced', () => {
    const spec = parsed();
    assert.equal(spec.edges[0]!.id, null, 'exports carry no edge ids');
    spec.edges[0]!.id = 'edg_theirs';
    const retargeted = retargetSpec(spec, context({ foreignBlockIds: new Set(['loop', 'doc']), foreignEdgeIds: new Set(['edg_theirs']) }));
    const ids = [...retargeted.spec.blocks.keys()].sort();
    assert.deepEqual(ids, ['blk_new1', 'blk_new2', 'inner']);
    const loopId = [...retargeted.authoredIds].find(([, authored]) => authored === 'loop')![0];
    const docId = [...retargeted.authoredIds].find(([, authored]) => authored === 'doc')![0];
    assert.equal(retargeted.spec.blocks.get('inner')!.parent_id, loopId);
    assert.deepEqual([retargeted.spec.edges[0]!.source_block, retargeted.spec.edges[0]!.target_block, retargeted.spec.edges[0]!.id], [docId, loopId, null]);
  });

  test('blocks match the draft by id first, then by the spec id they were applied from', () => {
    const draftBlocks = [
      { id: 'blk_a', declarative_source_block_id: 'loop' },
      { id: 'doc', declarative_source_block_id: null },
      { id: 'blk_b', declarative_source_block_id: 'doc' },
    ];
    const { spec, authoredIds } = retargetSpec(parsed(), context({ draftBlocks, foreignBlockIds: new Set(['inner']) }));
    assert.deepEqual(Object.fromEntries(authoredIds), { blk_a: 'loop', doc: 'doc', blk_new1: 'inner' });
    assert.equal(spec.blocks.get('blk_new1')!.parent_id, 'blk_a');
  });
});
