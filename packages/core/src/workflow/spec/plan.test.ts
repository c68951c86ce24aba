import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { exportWorkflowSpec } from './export.js';
import type { DraftBlock, DraftEdge } from './model.js';
import { parseWorkflowSpec } from './parse.js';
import { planWorkflowSpec, type DraftState } from './plan.js';
import { applyOperations, draftBlock, draftEdge, JS_FUNCTION } from './test-support.js';

const current: DraftState = {
  workflow: { id: 'wf_demo', name: 'Demo', description: 'Reads receipts' },
  blocks: [
    draftBlock('doc', 'start_document', { label: 'Receipt' }),
    draftBlock('read', 'extract', { config: { model: 'small', json_schema: { type: 'object' } } }),
    draftBlock('check', 'function', { config: JS_FUNCTION }),
  ],
  edges: [draftEdge('edg_1', 'doc', 'output-file-0', 'read', 'input-file-document'), draftEdge('edg_2', 'read', 'output-json-0', 'check', 'input-json-0')],
};

function specOf(workflow = current.workflow!, blocks: DraftBlock[] = current.blocks, edges: DraftEdge[] = current.edges) {
  const { spec, diagnostics } = parseWorkflowSpec(exportWorkflowSpec(workflow, blocks, edges));
  assert.ok(spec, JSON.stringify(diagnostics));
  return spec;
}

const replaceBlock = (id: string, fields: Partial<DraftBlock>) => current.blocks.map((b) => (b.id === id ? { ...b, ...fields } : b));

describe('planWorkflowSpec', () => {
  test('the exported draft plans as a no-op', () => {
    const plan = planWorkflowSpec(specOf(), current);
    assert.equal(plan.action, 'noop');
    assert.deepEqual(plan.summary, { add: 0, change: 0, destroy: 0, replace: 0, noop: 6, total: 6, has_changes: false });
    assert.equal(plan.rendered_plan, 'No changes. Workflow spec is up to date.');
    assert.deepEqual(plan.operations, []);
    assert.equal(plan.format_version, 'workflows-plan/v1');
    assert.deepEqual([plan.block_count, plan.edge_count], [3, 2]);
  });

  test('a new workflow is created with all of its blocks and edges', () => {
    const plan = planWorkflowSpec(specOf(), { workflow: null, blocks: [], edges: [] });
    assert.equal(plan.action, 'create');
    assert.deepEqual(plan.summary, { add: 6, change: 0, destroy: 0, replace: 0, noop: 0, total: 6, has_changes: true });
    assert.deepEqual(plan.operations.map((o) => o.op), ['create_workflow', 'create_block', 'create_block', 'create_block', 'create_edge', 'create_edge']);
    assert.deepEqual(plan.operations[0], { op: 'create_workflow', workflow: { id: 'wf_demo', name: 'Demo', description: 'Reads receipts' } });
    assert.match(plan.rendered_plan, /^Workflow "wf_demo" will be created/);
    assert.match(plan.rendered_plan, /Plan: 6 to add, 0 to change, 0 to destroy\.$/);
  });

  test('a label change is an in-place update naming the field', () => {
    const plan = planWorkflowSpec(specOf(undefined, replaceBlock('doc', { label: 'Invoice' })), current);
    assert.equal(plan.action, 'update');
    const [change] = plan.resource_changes;
    assert.equal(change.address, 'workflow.wf_demo.block.doc');
    assert.deepEqual(change.actions, ['update']);
    assert.equal(change.summary, 'Update start_document block "doc": label');
    assert.deepEqual(change.change.field_changes.map((f) => [f.path, f.before, f.after]), [[['label'], 'Receipt', 'Invoice']]);
    assert.deepEqual(plan.operations, [{ op: 'update_block', block: { ...current.blocks[0], label: 'Invoice', config: {} } }]);
    assert.match(plan.rendered_plan, /# workflow\.wf_demo\.block\.doc will be updated in-place\n {2}~ block "doc" \(start_document\)\n {6}~ label = "Receipt" -> "Invoice"/);
  });

  test('a code change carries a unified diff', () => {
    const code = 'function transform(input) {\n  return { ok: false };\n}\n';
    const plan = planWorkflowSpec(specOf(undefined, replaceBlock('check', { config: { ...JS_FUNCTION, code } })), current);
    const [field] = plan.resource_changes[0].change.field_changes;
    assert.equal(field.path_display, 'config.code');
    assert.match(field.unified_diff!, /-  return \{ ok: true \};\n\+  return \{ ok: false \};/);
  });

  test('a removed block is destroyed after its edges', () => {
    const plan = planWorkflowSpec(specOf(undefined, current.blocks.slice(0, 2), current.edges.slice(0, 1)), current);
    assert.deepEqual(plan.operations, [{ op: 'delete_edge', edge_id: 'edg_2' }, { op: 'delete_block', block_id: 'check' }]);
    assert.deepEqual([plan.summary.destroy, plan.summary.noop], [2, 4]);
    assert.deepEqual(plan.resource_changes.map((c) => c.summary), ['Delete function block "check"', 'Delete edge read.output-json-0 -> check.input-json-0']);
  });

  test('a type change is a replacement executed as an update of the same id', () => {
    const plan = planWorkflowSpec(specOf(undefined, replaceBlock('check', { type: 'api_call', config: { url: 'https://x' } })), current);
    assert.deepEqual(plan.resource_changes[0].actions, ['delete', 'create']);
    assert.equal(plan.summary.replace, 1);
    assert.equal(plan.operations[0].op, 'update_block');
    assert.match(plan.rendered_plan, /must be replaced\n {2}-\/\+ block "check" \(api_call\)/);
    assert.match(plan.rendered_plan, /1 to replace\.$/);
  });

  test('edges are identified by their endpoints, not their ids', () => {
    const renamed = current.edges.map((edge) => ({ ...edge, id: edge.id + '_other' }));
    assert.equal(planWorkflowSpec(specOf(undefined, undefined, renamed), current).action, 'noop');
    const plan = planWorkflowSpec(specOf(undefined, undefined, current.edges.slice(0, 1)), current);
    assert.deepEqual(plan.operations, [{ op: 'delete_edge', edge_id: 'edg_2' }]);
  });

  test('stored edges without handles compare by their resolved handles', () => {
    const legacy = { ...current, edges: [draftEdge('edg_1', 'doc', null, 'read', null), current.edges[1]] };
    assert.equal(planWorkflowSpec(specOf(), legacy).action, 'noop');
  });

  test('workflow name and description changes update the workflow', () => {
    const plan = planWorkflowSpec(specOf({ id: 'wf_demo', name: 'Receipts', description: '' }), current);
    assert.deepEqual(plan.operations, [{ op: 'update_workflow', workflow: { id: 'wf_demo', name: 'Receipts', description: '' } }]);
    assert.equal(plan.resource_changes[0].summary, 'Update workflow "wf_demo": name, description');
  });

  test('a spec without name or description keeps the stored ones', () => {
    const spec = specOf();
    delete spec.metadata.name;
    delete spec.metadata.description;
    assert.equal(planWorkflowSpec(spec, current).action, 'noop');
  });

  test('containers are created before their children and deleted after them', () => {
    const nested = [draftBlock('z_loop', 'while_loop'), draftBlock('a_body', 'function', { config: JS_FUNCTION, parent_id: 'z_loop' })];
    const grown = planWorkflowSpec(specOf(undefined, [...current.blocks, ...nested]), current);
    assert.deepEqual(grown.operations.map((o) => (o.op === 'create_block' ? o.block.id : o.op)), ['z_loop', 'a_body']);
    const withNested = applyOperations(current, grown.operations);
    const shrunk = planWorkflowSpec(specOf(), withNested);
    assert.deepEqual(shrunk.operations, [{ op: 'delete_block', block_id: 'a_body' }, { op: 'delete_block', block_id: 'z_loop' }]);
  });

  test('applying the operations and planning again gives a no-op', () => {
    const desired = specOf({ id: 'wf_demo', name: 'New', description: 'x' }, [
      draftBlock('json', 'start_json'),
      draftBlock('read', 'extract', { config: { model: 'large' } }),
      draftBlock('check', 'function', { config: JS_FUNCTION, label: 'Check' }),
    ], [draftEdge('e', 'json', 'output-json-0', 'check', 'input-json-0')]);
    const applied = applyOperations(current, planWorkflowSpec(desired, current).operations);
    assert.equal(planWorkflowSpec(desired, applied).action, 'noop');
  });
});
