import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { exportWorkflowSpec } from './export.js';
import { parseWorkflowSpec } from './parse.js';
import { planWorkflowSpec, type DraftState } from './plan.js';
import { applyOperations, draftStateArbitrary } from './test-support.js';

function parsedExport(state: DraftState) {
  const yaml = exportWorkflowSpec(state.workflow!, state.blocks, state.edges);
  const parsed = parseWorkflowSpec(yaml);
  assert.deepEqual(parsed.diagnostics, { is_valid: true, issues: [] }, yaml);
  return { yaml, spec: parsed.spec! };
}

test('export, parse, plan against the same draft is a no-op', () => {
  fc.assert(
    fc.property(draftStateArbitrary, (state) => {
      const plan = planWorkflowSpec(parsedExport(state).spec, state);
      assert.equal(plan.action, 'noop');
      assert.deepEqual(plan.resource_changes, []);
      assert.deepEqual(plan.operations, []);
      assert.equal(plan.rendered_plan, 'No changes. Workflow spec is up to date.');
      assert.equal(plan.summary.noop, 1 + state.blocks.length + state.edges.length);
    }),
    { numRuns: 300 },
  );
});

test('applying the plan from one draft to another reproduces the other, and a second plan is a no-op', () => {
  fc.assert(
    fc.property(draftStateArbitrary, draftStateArbitrary, (current, desired) => {
      const { yaml, spec } = parsedExport(desired);
      const applied = applyOperations(current, planWorkflowSpec(spec, current).operations);
      assert.equal(exportWorkflowSpec(applied.workflow!, applied.blocks, applied.edges), yaml);
      assert.equal(planWorkflowSpec(spec, applied).action, 'noop');
    }),
    { numRuns: 300 },
  );
});

test('applying a spec to no workflow creates everything, then plans as a no-op', () => {
  fc.assert(
    fc.property(draftStateArbitrary, (desired) => {
      const { yaml, spec } = parsedExport(desired);
      const empty: DraftState = { workflow: null, blocks: [], edges: [] };
      const plan = planWorkflowSpec(spec, empty);
      assert.equal(plan.action, 'create');
      assert.equal(plan.summary.add, 1 + desired.blocks.length + desired.edges.length);
      const applied = applyOperations(empty, plan.operations);
      assert.equal(exportWorkflowSpec(applied.workflow!, applied.blocks, applied.edges), yaml);
      assert.equal(planWorkflowSpec(spec, applied).action, 'noop');
    }),
    { numRuns: 200 },
  );
});
