import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { AssertionSpec } from '../assertions/spec.js';
import type { WorkflowTestSource } from '../schemas/tests.js';
import {
  assessDrift,
  assessFreshness,
  assessTest,
  assessValidity,
  baselineDep,
  captureSchemaDep,
  runFreshness,
  UNDECLARED_SUBTREE_HASH,
  type BlockState,
  type VerdictBaseline,
} from './drift.js';
import { blockConfigFingerprint, handleInputsFingerprint } from './fingerprints.js';

const SCHEMA = { type: 'object', properties: { total: { type: 'number' }, currency: { type: 'string' } } };
const block = (outputSchema: unknown = SCHEMA, code = 'function transform(i) { return i; }'): BlockState => ({
  type: 'function',
  config: { language: 'javascript', code, output_schema: outputSchema } as BlockState['config'],
  parent_id: null,
});
const assertion = (path: string | null = 'total', expected: unknown = 3): AssertionSpec => ({
  id: 'a1',
  target: { output_handle_id: 'output-json-0', path },
  condition: { kind: 'equals', expected } as AssertionSpec['condition'],
  label: null,
});
const withoutTotal = { type: 'object', properties: { currency: { type: 'string' } } };
const totalAsString = { type: 'object', properties: { total: { type: 'string' }, currency: { type: 'string' } } };
const source: WorkflowTestSource = { type: 'manual', handle_inputs: { 'input-json-0': { type: 'json', data: { total: 3 } } } };
const inputs = handleInputsFingerprint(source.type === 'manual' ? source.handle_inputs : {});
const dep = captureSchemaDep(block(), assertion().target);

describe('captureSchemaDep', () => {
  test('records the handle, the canonical path and the hash of the subtree', () => {
    assert.equal(dep!.output_handle_id, 'output-json-0');
    assert.equal(dep!.schema_path, 'total');
    assert.equal(dep!.depends_on_root, false);
    assert.match(dep!.subtree_hash, /^[0-9a-f]{16}$/);
  });
  test('the hash follows the subtree only: a sibling edit keeps it, a change under the path moves it', () => {
    const sibling = { ...SCHEMA, properties: { ...SCHEMA.properties, currency: { type: 'integer' } } };
    assert.equal(captureSchemaDep(block(sibling), assertion().target)!.subtree_hash, dep!.subtree_hash);
    assert.notEqual(captureSchemaDep(block(totalAsString), assertion().target)!.subtree_hash, dep!.subtree_hash);
  });
  test('the root path depends on the whole schema', () => {
    const root = captureSchemaDep(block(), assertion(null).target)!;
    assert.deepEqual([root.schema_path, root.depends_on_root], ['', true]);
  });
  test('a path the schema does not declare records the undeclared hash', () => {
    assert.equal(captureSchemaDep(block(withoutTotal), assertion().target)!.subtree_hash, UNDECLARED_SUBTREE_HASH);
  });
  test('a subtree that refers into $defs changes when the definition does', () => {
    const money = (type: string) => ({ type: 'object', properties: { total: { $ref: '#/$defs/money' } }, $defs: { money: { type } } });
    assert.notEqual(captureSchemaDep(block(money('number')), assertion().target)!.subtree_hash, captureSchemaDep(block(money('string')), assertion().target)!.subtree_hash);
  });
  test('null without a block or a declared schema on the handle', () => {
    assert.equal(captureSchemaDep(null, assertion().target), null);
    assert.equal(captureSchemaDep({ type: 'classifier', config: { categories: [{ name: 'a' }] }, parent_id: null }, { output_handle_id: 'output-file-a', path: null }), null);
  });
});

describe('baselineDep', () => {
  const saved = { dep, captured_at: '2026-01-02T00:00:00.000Z' };
  test('a run after the save re-establishes the dependency from the run’s snapshot', () => {
    const later = baselineDep(saved, { started_at: '2026-01-03T00:00:00.000Z', block: block(totalAsString) }, assertion().target);
    assert.equal(later!.subtree_hash, captureSchemaDep(block(totalAsString), assertion().target)!.subtree_hash);
  });
  test('a save after the run wins', () => {
    assert.equal(baselineDep(saved, { started_at: '2026-01-01T00:00:00.000Z', block: block(totalAsString) }, assertion().target), dep);
  });
  test('without a run, the saved one; without either, none', () => {
    assert.equal(baselineDep(saved, null, assertion().target), dep);
    assert.equal(baselineDep(null, null, assertion().target), null);
  });
});

describe('assessDrift', () => {
  test('unchanged: none and valid, nothing affected', () => {
    assert.deepEqual(assessDrift('b', block(), assertion(), dep), {
      assertion_drift_status: 'valid',
      schema_drift: 'none',
      schema_drift_detail: null,
      drift: { status: 'none', affected_targets: [], detail: null },
    });
  });
  test('an edit elsewhere in the schema is not drift', () => {
    assert.equal(assessDrift('b', block({ ...SCHEMA, required: ['currency'] }), assertion(), dep).drift.status, 'none');
  });
  test('the asserted path gone: broken, naming the path', () => {
    const found = assessDrift('b', block(withoutTotal), assertion(), dep);
    assert.equal(found.assertion_drift_status, 'broken');
    assert.equal(found.schema_drift, 'drifted');
    assert.deepEqual(found.drift.affected_targets, ['total']);
    assert.match(found.drift.detail!, /`total`/);
  });
  test('the subtree under the path changed: drifted', () => {
    const found = assessDrift('b', block(totalAsString), assertion(), dep);
    assert.deepEqual([found.assertion_drift_status, found.schema_drift, found.drift.status], ['drifted', 'partial', 'drifted']);
    assert.deepEqual(found.drift.affected_targets, ['total']);
  });
  test('declared now, not then: drifted', () => {
    const undeclared = captureSchemaDep(block({ type: 'object' }), assertion().target);
    assert.equal(assessDrift('b', block(), assertion(), { ...undeclared!, subtree_hash: UNDECLARED_SUBTREE_HASH }).drift.status, 'drifted');
    assert.equal(assessDrift('b', block(), assertion(), null).drift.status, 'drifted');
  });
  test('the block deleted or its output handle gone: broken', () => {
    assert.equal(assessDrift('b', null, assertion(), dep).drift.status, 'broken');
    const other = assessDrift('b', block(), { ...assertion(), target: { output_handle_id: 'output-json-9', path: 'total' } }, dep);
    assert.deepEqual([other.drift.status, other.assertion_drift_status], ['broken', 'broken']);
  });
  test('unknown only when there is nothing to compare: no schema on the handle, or no assertion', () => {
    const classifier: BlockState = { type: 'classifier', config: { categories: [{ name: 'invoice' }] }, parent_id: null };
    const onFile = assessDrift('b', classifier, { ...assertion(null), target: { output_handle_id: 'output-file-invoice', path: null } }, null);
    assert.deepEqual([onFile.drift.status, onFile.assertion_drift_status, onFile.schema_drift], ['unknown', null, 'unknown']);
    assert.equal(assessDrift('b', block(), null, null).drift.status, 'unknown');
  });
});

describe('assessFreshness', () => {
  const baseline: VerdictBaseline = { run_id: 'run_1', block_config_fingerprint: blockConfigFingerprint(block()), handle_inputs_fingerprint: inputs, assertion: assertion() };
  test('never run: stale, no_baseline', () => {
    const found = assessFreshness(block(), assertion(), inputs, null);
    assert.deepEqual([found.status, found.reasons, found.baseline_run_id], ['stale', ['no_baseline'], null]);
    assert.equal(found.input_fingerprint, inputs);
  });
  test('nothing moved: fresh, naming the baseline run', () => {
    assert.deepEqual(assessFreshness(block(), assertion(), inputs, baseline), {
      status: 'fresh',
      reasons: [],
      validity_fingerprint: assessFreshness(block(), assertion(), inputs, null).validity_fingerprint,
      input_fingerprint: inputs,
      baseline_run_id: 'run_1',
    });
  });
  test('the code changed: validity_changed and engine_changed', () => {
    assert.deepEqual(assessFreshness(block(SCHEMA, 'function transform(i) { return 1; }'), assertion(), inputs, baseline).reasons, ['validity_changed', 'engine_changed']);
  });
  test('the assertion changed: validity_changed alone; its label or id does not count', () => {
    assert.deepEqual(assessFreshness(block(), assertion('total', 4), inputs, baseline).reasons, ['validity_changed']);
    assert.equal(assessFreshness(block(), { ...assertion(), id: 'other', label: 'Total' }, inputs, baseline).status, 'fresh');
  });
  test('the inputs changed: inputs_changed', () => {
    assert.deepEqual(assessFreshness(block(), assertion(), 'other', baseline).reasons, ['inputs_changed']);
  });
  test('the block deleted: stale, without a validity fingerprint', () => {
    const found = assessFreshness(null, assertion(), inputs, baseline);
    assert.deepEqual([found.status, found.reasons, found.validity_fingerprint], ['stale', ['validity_changed', 'engine_changed'], null]);
  });
});

describe('assessValidity', () => {
  test('a test that fits its block has no issue', () => assert.deepEqual(assessValidity('b', block(), assertion(), source), []));
  test('block deleted, output handle gone, input handle gone, input of another kind', () => {
    assert.deepEqual(assessValidity('b', null, assertion(), source).map((issue) => issue.code), ['block_missing']);
    const handles = assessValidity('b', block(), { ...assertion(), target: { output_handle_id: 'output-json-9', path: null } }, {
      type: 'manual',
      handle_inputs: { 'input-json-7': { type: 'json', data: 1 }, 'input-json-0': { type: 'file', document: { id: 'f', filename: 'a.pdf', mime_type: 'application/pdf' } } },
    });
    assert.deepEqual(handles.map((issue) => issue.code), ['output_handle_missing', 'input_handle_missing', 'input_kind_mismatch']);
  });
});

describe('assessTest', () => {
  test('puts the parts together: invalid and broken when the block is gone', () => {
    const found = assessTest({ blockId: 'b', block: null, assertion: assertion(), source, inputsFingerprint: inputs, savedDep: { dep, captured_at: 'x' }, lastRun: null, baseline: null });
    assert.deepEqual([found.validation_status, found.assertion_drift_status, found.freshness.reasons, found.assertion_schema_dep], ['invalid', 'broken', ['no_baseline'], dep]);
  });
});

describe('runFreshness', () => {
  const run = { id: 'run_1', draftFingerprint: 'aaaa', hasVerdicts: true };
  test('the draft it ran is still the draft: fresh; all three keys present', () => {
    assert.deepEqual(runFreshness(run, 'aaaa'), { status: 'fresh', reasons: [], validity_fingerprint: 'aaaa', input_fingerprint: null, baseline_run_id: 'run_1' });
  });
  test('the draft moved: stale, validity_changed', () => assert.deepEqual(runFreshness(run, 'bbbb').reasons, ['validity_changed']));
  test('no verdict yet: no_baseline, without a baseline run', () => {
    const found = runFreshness({ ...run, hasVerdicts: false }, 'aaaa');
    assert.deepEqual([found.status, found.reasons, found.baseline_run_id], ['stale', ['no_baseline'], null]);
  });
  test('the current draft unread: unknown', () => assert.equal(runFreshness(run, null).status, 'unknown'));
});
