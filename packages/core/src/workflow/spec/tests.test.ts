import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { exportWorkflowSpec } from './export.js';
import type { DraftTest } from './model.js';
import { parseWorkflowSpec } from './parse.js';
import { planWorkflowSpec, type DraftState, type PlanOperation } from './plan.js';
import { closestName } from './suggest.js';
import { applyOperations, draftBlock } from './test-support.js';

const HEAD = `apiVersion: workflows.retab.com/v1alpha2
kind: Workflow
metadata: {id: wf_tests, name: Invoices}
spec:
  blocks:
    start: {type: start_json, position: {x: 0, y: 0}}
    validate_total:
      type: function
      label: Validate total
      position: {x: 0, y: 0}
      config: {language: javascript, code: "function transform(i) { return i; }", output_schema: {}}
  edges:
    - from: {block: start, handle: output-json-0}
      to: {block: validate_total, handle: input-json-0}
`;

const LARGE_INVOICE = `  tests:
    - name: large invoice
      block: validate_total
      inputs:
        input-json-0: { invoice_id: INV-4, tax_rate: 0.2, stated_total: 120, line_items: [{ amount: 100 }] }
      assert:
        - { path: is_valid, kind: equals, expected: true }
        - { path: computed_total, kind: between, lower: 119, upper: 121 }
`;

function issuesOf(yaml: string) {
  return parseWorkflowSpec(yaml).diagnostics.issues.map((issue) => [issue.severity, issue.code, issue.path, issue.message]);
}

function parsed(yaml: string) {
  const result = parseWorkflowSpec(yaml);
  assert.deepEqual(result.diagnostics.issues, [], yaml);
  return result.spec!;
}

/** A store after applying operations: the workflow and blocks as planned, tests as the plan writes them. */
function applied(state: DraftState, operations: PlanOperation[]): DraftState {
  const graph = applyOperations(state, operations.filter((operation) => !operation.op.endsWith('_test')));
  let tests = [...(state.tests ?? [])];
  let counter = tests.length;
  for (const operation of operations) {
    if (operation.op === 'delete_test') tests = tests.filter((t) => t.id !== operation.test_id);
    if (operation.op === 'create_test' || operation.op === 'update_test') {
      const { name, block_id, handle_inputs, assertion } = operation.test;
      const id = operation.op === 'update_test' ? operation.test_id : `test_${++counter}`;
      const stored: DraftTest = { id, name, block_id, handle_inputs, assertion: { id: `assertion_${id}`, ...assertion } };
      tests = operation.op === 'update_test' ? tests.map((t) => (t.id === id ? stored : t)) : [...tests, stored];
    }
  }
  return { ...graph, tests };
}

const EMPTY: DraftState = { workflow: null, blocks: [], edges: [], tests: [] };

describe('spec.tests', () => {
  test('a case expands into one test per assertion, named <case> · <kind> <path>', () => {
    const spec = parsed(HEAD + LARGE_INVOICE);
    assert.deepEqual(
      spec.tests!.map((t) => [t.name, t.block_id, t.assertion.target, t.assertion.condition]),
      [
        ['large invoice · equals is_valid', 'validate_total', { output_handle_id: 'output-json-0', path: 'is_valid' }, { kind: 'equals', expected: true }],
        ['large invoice · between computed_total', 'validate_total', { output_handle_id: 'output-json-0', path: 'computed_total' }, { kind: 'between', lower: 119, upper: 121, inclusive: true }],
      ],
    );
    assert.deepEqual(spec.tests![0]!.handle_inputs['input-json-0'], {
      type: 'json',
      data: { invoice_id: 'INV-4', tax_rate: 0.2, stated_total: 120, line_items: [{ amount: 100 }] },
    });
  });

  test('a spec without tests: leaves stored tests alone; tests: [] deletes them', () => {
    assert.equal(parsed(HEAD).tests, null);
    const stored: DraftTest = { id: 't1', name: 'x', block_id: 'validate_total', handle_inputs: {}, assertion: { id: 'a', target: { output_handle_id: 'output-json-0', path: null }, condition: { kind: 'exists' }, label: null } };
    const state = applied(EMPTY, planWorkflowSpec(parsed(HEAD), EMPTY).operations);
    assert.equal(planWorkflowSpec(parsed(HEAD), { ...state, tests: [stored] }).action, 'noop');
    const plan = planWorkflowSpec(parsed(`${HEAD}  tests: []\n`), { ...state, tests: [stored] });
    assert.deepEqual(plan.operations, [{ op: 'delete_test', test_id: 't1' }]);
    assert.equal(plan.summary.destroy, 1);
  });

  test('assertions are validated with the condition schemas, at their YAML path', () => {
    const yaml = `${HEAD}  tests:
    - name: c
      block: validate_total
      assert:
        - { path: a, kind: equals, expected: 1 }
        - { path: b, kind: between, lower: 3 }
        - { path: c, kind: between, lower: 3, upper: 1 }
        - { path: d, kind: matches_regex, pattern: "(" }
        - { path: "e[x", kind: exists }
`;
    const issues = issuesOf(yaml);
    assert.deepEqual(
      issues.map(([severity, code, path]) => [severity, code, path]),
      [
        ['error', 'INVALID_ASSERTION', 'spec.tests[0].assert[1].upper'],
        ['error', 'INVALID_ASSERTION', 'spec.tests[0].assert[2].lower'],
        ['error', 'INVALID_ASSERTION', 'spec.tests[0].assert[3].pattern'],
        ['error', 'INVALID_ASSERTION', 'spec.tests[0].assert[4].path'],
      ],
    );
    assert.equal(parseWorkflowSpec(yaml).spec, null);
  });

  test('unknown fields, kinds, blocks and handles stop the spec with a "did you mean"', () => {
    const yaml = `${HEAD}  tests:
    - name: c
      block: validate_totl
      assert: [{ kind: exists }]
    - name: d
      block: validate_total
      inputs: { input-json-1: 1 }
      asert: []
      assert:
        - { pth: a, kind: equals, expected: 1 }
        - { path: a, kind: equal, expected: 1 }
        - { path: a, kind: equals, expectd: 1 }
        - { output: output-jsn-0, kind: exists }
        - { kind: all_items_match, condition: { kind: equals, expcted: 1 } }
`;
    const issues = issuesOf(yaml);
    const byPath = new Map(issues.map(([, code, path, message]) => [path, `${code}: ${message}`]));
    assert.match(byPath.get('spec.tests[0].block')!, /^UNKNOWN_BLOCK_REFERENCE: .*Did you mean "validate_total"\?/);
    assert.match(byPath.get('spec.tests[1].asert')!, /^UNKNOWN_FIELD: Unknown field "asert"; did you mean "assert"\?/);
    assert.match(byPath.get('spec.tests[1].inputs.input-json-1')!, /^UNKNOWN_HANDLE: .*Did you mean "input-json-0"\?/);
    assert.match(byPath.get('spec.tests[1].assert[0].pth')!, /^UNKNOWN_FIELD: .*did you mean "path"\?/);
    assert.match(byPath.get('spec.tests[1].assert[1].kind')!, /^UNKNOWN_CONDITION_KIND: .*Did you mean "equals"\?/);
    assert.match(byPath.get('spec.tests[1].assert[2].expectd')!, /^UNKNOWN_FIELD: .*did you mean "expected"\?/);
    assert.match(byPath.get('spec.tests[1].assert[3].output')!, /^UNKNOWN_HANDLE: .*Did you mean "output-json-0"\?/);
    assert.match(byPath.get('spec.tests[1].assert[4].condition.expcted')!, /^UNKNOWN_FIELD: .*did you mean "expected"\?/);
  });

  test('a lable: typo on a block stops the spec instead of blanking the label', () => {
    const yaml = HEAD.replace('label: Validate total', 'lable: Validate total');
    assert.deepEqual(issuesOf(yaml), [
      ['error', 'UNKNOWN_FIELD', 'spec.blocks.validate_total.lable', 'Unknown field "lable"; did you mean "label"? Known fields are type, label, position, width, height, parent_id, config.'],
    ]);
    assert.match(issuesOf(HEAD.replace('{x: 0, y: 0}}', '{x: 0, z: 0}}'))[0]![3] as string, /Unknown field "z"/);
  });

  test('two assertions of one name are refused: names identify tests across applies', () => {
    const yaml = `${HEAD}  tests:
    - name: c
      block: validate_total
      assert: [{ path: a, kind: contains, expected: x }, { path: a, kind: contains, expected: y }]
`;
    assert.deepEqual(issuesOf(yaml).map(([, code, path]) => [code, path]), [['DUPLICATE_TEST_NAME', 'spec.tests[0].assert[1]']]);
    assert.equal(parseWorkflowSpec(yaml.replace('expected: y }', 'expected: y, name: also y }')).diagnostics.is_valid, true);
  });

  test('file handles take {file: …}; a path is for the CLI to read, a JSON handle cannot take a file', () => {
    const yaml = `apiVersion: workflows.retab.com/v1alpha2
kind: Workflow
metadata: {id: wf_docs}
spec:
  blocks:
    read: {type: extract, config: {json_schema: {type: object, properties: {total: {type: number}}}}}
  tests:
    - name: path
      block: read
      inputs: { input-file-document: { file: ./invoice.pdf } }
      assert: [{ kind: exists }]
    - name: data
      block: read
      inputs: { input-file-document: { file: { filename: a.txt, url: "data:text/plain;base64,aGk=" } } }
      assert: [{ kind: exists }]
    - name: bare
      block: read
      inputs: { input-file-document: 3 }
      assert: [{ kind: exists }]
`;
    const issues = issuesOf(yaml);
    assert.deepEqual(issues.map(([, code, path]) => [code, path]), [
      ['UNRESOLVED_FILE', 'spec.tests[0].inputs.input-file-document.file'],
      ['INVALID_TEST_INPUT', 'spec.tests[2].inputs.input-file-document'],
    ]);
  });

  test('plan: applying creates every test, re-planning is a no-op, an edit updates in place and a removal deletes', () => {
    const spec = parsed(HEAD + LARGE_INVOICE);
    const first = planWorkflowSpec(spec, EMPTY);
    assert.equal(first.summary.add, 1 + 2 + 1 + 2);
    assert.deepEqual(first.resource_changes.filter((c) => c.target === 'test').map((c) => [c.address, c.actions, c.path]), [
      ['workflow.wf_tests.test.large invoice · equals is_valid', ['create'], 'spec.tests[0].assert[0]'],
      ['workflow.wf_tests.test.large invoice · between computed_total', ['create'], 'spec.tests[0].assert[1]'],
    ]);
    assert.match(first.rendered_plan, /\+ test "large invoice · equals is_valid"/);
    const state = applied(EMPTY, first.operations);
    assert.equal(planWorkflowSpec(spec, state).action, 'noop');

    const edited = planWorkflowSpec(parsed(HEAD + LARGE_INVOICE.replace('upper: 121', 'upper: 125').replace('- { path: is_valid, kind: equals, expected: true }\n', '')), state);
    assert.deepEqual(edited.summary, { add: 0, change: 1, destroy: 1, replace: 0, noop: 4, total: 6, has_changes: true });
    const update = edited.operations.find((op) => op.op === 'update_test')!;
    assert.equal(update.op === 'update_test' && update.test_id, state.tests![1]!.id);
    assert.match(edited.rendered_plan, /~ test "large invoice · between computed_total"\n\s+~ condition.upper = 121 -> 125/);
  });

  test('files compare by the identity the server gives them, not by their stored form', () => {
    const stored: DraftTest = {
      id: 't1',
      name: 'c · exists',
      block_id: 'read',
      handle_inputs: { 'input-file-document': { type: 'file', document: { original_id: 'file_1', filename: 'a.txt', mime_type: 'text/plain', gcs_uri: 'verdict-blob://ab', size_bytes: 2 }, identity: { filename: 'a.txt', sha256: 'ab' } } },
      assertion: { id: 'a1', target: { output_handle_id: 'output-json-0', path: null }, condition: { kind: 'exists' }, label: null },
    };
    const blocks = [draftBlock('read', 'extract', { config: { json_schema: { type: 'object', properties: { total: { type: 'number' } } } } })];
    const state: DraftState = { workflow: { id: 'wf_docs', name: 'Untitled Workflow', description: '' }, blocks, edges: [], tests: [stored] };
    const yaml = exportWorkflowSpec(state.workflow!, state.blocks, state.edges, state.tests);
    assert.match(yaml, /input-file-document:\n\s+file:\n\s+id: file_1\n\s+filename: a.txt\n\s+mime_type: text\/plain/);
    const spec = parsed(yaml);
    const input = spec.tests![0]!.handle_inputs['input-file-document']!;
    assert.equal(planWorkflowSpec(spec, state).action, 'update', 'without an identity the reference differs from the stored document');
    if (input.type === 'file') input.identity = { filename: 'a.txt', sha256: 'ab' };
    assert.equal(planWorkflowSpec(spec, state).action, 'noop');
  });

  test('export writes tests back as the cases they came from, and export → plan is a no-op', () => {
    const yaml = `${HEAD}${LARGE_INVOICE}    - name: small invoice
      block: validate_total
      inputs: { input-json-0: { stated_total: 1 } }
      assert:
        - { path: is_valid, kind: equals, expected: false, label: must fail }
        - { name: custom name, kind: exists }
`;
    const state = applied(EMPTY, planWorkflowSpec(parsed(yaml), EMPTY).operations);
    const exported = exportWorkflowSpec(state.workflow!, state.blocks, state.edges, state.tests);
    assert.match(exported, /  tests:\n    - name: large invoice\n      block: validate_total\n      inputs:\n/);
    assert.match(exported, /- \{ path: computed_total, kind: between, lower: 119, upper: 121, inclusive: true \}/);
    assert.match(exported, /- name: small invoice\n(.*\n)*\s+- \{ name: custom name, kind: exists \}/);
    const again = parsed(exported);
    assert.equal(again.tests!.length, 4);
    assert.equal(planWorkflowSpec(again, state).action, 'noop');
    assert.equal(exportWorkflowSpec(state.workflow!, state.blocks, state.edges, applied(state, planWorkflowSpec(again, state).operations).tests), exported);
  });

  test('closestName suggests only near names', () => {
    assert.equal(closestName('lable', ['type', 'label', 'position']), 'label');
    assert.equal(closestName('xyz', ['type', 'label']), null);
    assert.equal(closestName('Labl', ['label']), 'label');
  });

  test('any suite applied, exported and planned again is a no-op, and its export is a fixed point', () => {
    const word = fc.constantFrom('total', 'items[0].amount', 'is valid', 'a.b', 'x · y', '');
    const assertion = fc.record({
      path: fc.option(word, { nil: undefined }),
      condition: fc.oneof(
        fc.record({ kind: fc.constant('equals'), expected: fc.jsonValue({ maxDepth: 2 }) }),
        fc.record({ kind: fc.constant('between'), lower: fc.integer({ max: 0 }), upper: fc.integer({ min: 0 }), inclusive: fc.boolean() }),
        fc.record({ kind: fc.constant('exists') }),
        fc.record({ kind: fc.constant('all_items_match'), condition: fc.record({ kind: fc.constant('matches_regex'), pattern: fc.constantFrom('^a', 'b+') }) }),
      ),
      name: fc.option(fc.constantFrom('custom', 'x · equals total', 'other'), { nil: undefined }),
      label: fc.option(fc.constantFrom('why', 'it: matters'), { nil: undefined }),
    });
    const kase = fc.record({
      name: fc.constantFrom('a', 'big case', 'x · y', 'case: colon'),
      input: fc.jsonValue({ maxDepth: 3 }),
      assert: fc.array(assertion, { minLength: 1, maxLength: 4 }),
    });
    fc.assert(
      fc.property(fc.array(kase, { maxLength: 5 }), (cases) => {
        const tests = cases.map((c) => ({
          name: c.name,
          block: 'validate_total',
          inputs: { 'input-json-0': c.input },
          assert: c.assert.map((a) => ({ ...(a.name && { name: a.name }), ...(a.path !== undefined && { path: a.path }), ...a.condition, ...(a.label && { label: a.label }) })),
        }));
        const result = parseWorkflowSpec(`${HEAD}  tests: ${JSON.stringify(tests)}\n`);
        fc.pre(result.spec !== null); // duplicate names are refused, as tested above
        const state = applied(EMPTY, planWorkflowSpec(result.spec!, EMPTY).operations);
        const exported = exportWorkflowSpec(state.workflow!, state.blocks, state.edges, state.tests);
        const again = parseWorkflowSpec(exported);
        assert.deepEqual(again.diagnostics.issues, [], exported);
        const plan = planWorkflowSpec(again.spec!, state);
        assert.equal(plan.action, 'noop', plan.rendered_plan);
        const reapplied = applied(state, plan.operations);
        assert.equal(exportWorkflowSpec(reapplied.workflow!, reapplied.blocks, reapplied.edges, reapplied.tests), exported);
      }),
      { numRuns: 200 },
    );
  });
});
