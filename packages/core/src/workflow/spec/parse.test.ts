import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { MAX_JSON_DEPTH } from '../../json-limits.js';
import { parseWorkflowSpec } from './parse.js';

const VALID = `apiVersion: workflows.retab.com/v1alpha2
kind: Workflow
metadata:
  id: wf_receipts_demo
  name: Receipt totals
spec:
  blocks:
    doc_in:
      type: start_document
      label: Receipt
      position: {x: 0, y: 0}
    read_receipt:
      type: extract
      position: {x: 300, y: 0}
      config:
        model: retab-small
        inputs:
          - {name: document, type: file, is_primary: true}
        json_schema:
          type: object
          properties:
            total: {type: number}
    check_total:
      type: function
      config:
        language: javascript
        timeout_seconds: 30
        output_schema:
          type: object
          properties: {ok: {type: boolean}}
        code: |
          function transform(input) {
            return { ok: input.total > 0 };
          }
  edges:
    - from: {block: doc_in, handle: output-file-0}
      to: {block: read_receipt, handle: input-file-document}
    - from: {block: read_receipt, handle: output-json-0}
      to: {block: check_total, handle: input-json-0}
`;

/** Replaces the first occurrence of `from` in the valid spec. */
const variant = (from: string, to: string) => {
  assert.ok(VALID.includes(from), `fixture lacks ${from}`);
  return VALID.replace(from, to);
};

function onlyIssue(text: string) {
  const { spec, diagnostics } = parseWorkflowSpec(text);
  const errors = diagnostics.issues.filter((issue) => issue.severity === 'error');
  assert.equal(errors.length, 1, JSON.stringify(diagnostics.issues, null, 1));
  assert.equal(spec, null);
  assert.equal(diagnostics.is_valid, false);
  return errors[0];
}

describe('parseWorkflowSpec: a valid spec', () => {
  const { spec, diagnostics } = parseWorkflowSpec(VALID);
  test('has no issues', () => assert.deepEqual(diagnostics, { is_valid: true, issues: [] }));
  test('reads metadata, blocks with defaults, and edges', () => {
    assert.ok(spec);
    assert.deepEqual(spec.metadata, { id: 'wf_receipts_demo', name: 'Receipt totals' });
    assert.deepEqual([...spec.blocks.keys()], ['doc_in', 'read_receipt', 'check_total']);
    assert.deepEqual(spec.blocks.get('doc_in'), { type: 'start_document', label: 'Receipt', position: { x: 0, y: 0 }, width: null, height: null, parent_id: null, config: {} });
    assert.equal(spec.blocks.get('check_total')!.config.timeout_seconds, 30);
    assert.deepEqual(spec.edges[1], { id: null, source_block: 'read_receipt', source_handle: 'output-json-0', target_block: 'check_total', target_handle: 'input-json-0' });
  });
  test('fills an omitted handle when the block has only one', () => {
    const { spec: resolved } = parseWorkflowSpec(variant('to: {block: check_total, handle: input-json-0}', 'to: {block: check_total}'));
    assert.equal(resolved!.edges[1].target_handle, 'input-json-0');
  });
  test('prunes top-level nulls from config, as a replace would', () => {
    const { spec: pruned } = parseWorkflowSpec(variant('        model: retab-small', '        model: retab-small\n        instructions:'));
    assert.equal('instructions' in pruned!.blocks.get('read_receipt')!.config, false);
  });
});

describe('parseWorkflowSpec: diagnostics name the code, path and line', () => {
  const cases: Array<[string, string, string, string | null, number, RegExp]> = [
    ['wrong apiVersion', 'apiVersion: workflows.retab.com/v1alpha2', 'apiVersion: v1', 'INVALID_API_VERSION', 1, /must be "workflows.retab.com\/v1alpha2"; got "v1"/],
    ['wrong kind', 'kind: Workflow', 'kind: Pipeline', 'INVALID_KIND', 2, /kind must be "Workflow"/],
    ['missing metadata.id', '  id: wf_receipts_demo\n', '', 'MISSING_FIELD', 3, /metadata.id is required/],
    ['invalid metadata.id', 'id: wf_receipts_demo', 'id: "wf/receipts"', 'INVALID_FIELD', 4, /metadata.id must be/],
    ['unknown block type', 'type: start_document', 'type: start_pdf', 'UNKNOWN_BLOCK_TYPE', 9, /one of start_document, .*; got "start_pdf"/],
    ['non-creatable block type', 'type: start_document', 'type: review', 'UNKNOWN_BLOCK_TYPE', 9, /got "review"/],
    ['invalid block config', 'timeout_seconds: 30', 'timeout_seconds: 900', 'INVALID_BLOCK_CONFIG', 27, /from 1 to 300; got 900/],
    ['function without output_schema', '        output_schema:\n          type: object\n          properties: {ok: {type: boolean}}\n', '', 'MISSING_USER_DECLARED_SCHEMA', 25, /must declare output_schema/],
    ['edge to an unknown block', 'to: {block: check_total, handle: input-json-0}', 'to: {block: check_totl, handle: input-json-0}', 'UNKNOWN_BLOCK_REFERENCE', 39, /"check_totl" is not defined/],
    ['edge to an unknown handle', 'handle: input-json-0}', 'handle: input-json-9}', 'INVALID_EDGE_ENDPOINT', 39, /no input handle "input-json-9"; its handles are input-json-0/],
    ['edge joining file to json', 'from: {block: read_receipt, handle: output-json-0}', 'from: {block: doc_in, handle: output-file-0}', 'INVALID_EDGE_ENDPOINT', 39, /file output "output-file-0" of "doc_in" to the json input/],
    ['unknown parent', '      type: function\n', '      type: function\n      parent_id: loop\n', 'UNKNOWN_BLOCK_REFERENCE', 25, /parent_id "loop" is not a block/],
    ['parent that is no container', '      type: function\n', '      type: function\n      parent_id: doc_in\n', 'INVALID_PARENT', 25, /only while_loop and for_each/],
    ['bad position', 'position: {x: 300, y: 0}', 'position: {x: "left", y: 0}', 'INVALID_FIELD', 14, /x must be a finite number; got "left"/],
    ['duplicate block id', '    check_total:\n', '    doc_in:\n', 'INVALID_YAML', 23, /Key "doc_in" appears twice in one mapping/],
  ];
  for (const [name, from, to, code, line, message] of cases) {
    test(name, () => {
      const issue = onlyIssue(variant(from, to));
      assert.equal(issue.code, code);
      assert.equal(issue.line, line, JSON.stringify(issue));
      assert.match(issue.message, message);
    });
  }

  test('paths are printed with brackets for list indexes and odd keys', () => {
    const issue = onlyIssue(variant('handle: input-json-0}', 'handle: input-json-9}'));
    assert.equal(issue.path, 'spec.edges[1].to.handle');
    const odd = onlyIssue(variant('    check_total:\n', '    "check.total":\n      type: funktion\n    check_total:\n'));
    assert.equal(odd.path, 'spec.blocks["check.total"].type');
  });

  test('a duplicate edge is refused at its own line', () => {
    const edge = '    - from: {block: read_receipt, handle: output-json-0}\n      to: {block: check_total, handle: input-json-0}\n';
    const duplicate = onlyIssue(VALID + edge);
    assert.equal(duplicate.code, 'DUPLICATE_EDGE');
    assert.equal(duplicate.path, 'spec.edges[2]');
    assert.equal(duplicate.line, 40);
    assert.match(duplicate.message, /already exists/);
  });

  test('a second edge into an occupied input names the handle', () => {
    const text = variant('    check_total:\n', '    start:\n      type: start_json\n    check_total:\n') +
      '    - from: {block: start, handle: output-json-0}\n      to: {block: check_total, handle: input-json-0}\n';
    const issue = onlyIssue(text);
    assert.equal(issue.code, 'INVALID_EDGE_ENDPOINT');
    assert.equal(issue.path, 'spec.edges[2].to.handle');
    assert.match(issue.message, /"input-json-0" of "check_total" already has an edge/);
  });

  test('a cycle is reported once, at the edge that closes it', () => {
    const text = variant('    check_total:\n', '    merge:\n      type: merge_dicts\n      config: {inputs: [{name: a}]}\n    check_total:\n') +
      '    - from: {block: check_total, handle: output-json-0}\n      to: {block: merge, handle: input-json-a}\n' +
      '    - from: {block: merge, handle: output-json-0}\n      to: {block: read_receipt, handle: input-json-0}\n';
    const withJsonInput = text.replace('          - {name: document, type: file, is_primary: true}', '          - {name: document, type: file, is_primary: true}\n          - {name: "0", type: json}');
    const issue = onlyIssue(withJsonInput);
    assert.equal(issue.code, 'WORKFLOW_CYCLE');
    assert.equal(issue.path, 'spec.edges[3]');
    assert.match(issue.message, /cycle: "(read_receipt|check_total|merge)" -> .* -> .* -> "\1"/);
  });

  test('a parent_id loop is refused', () => {
    const text = variant('    check_total:\n', '    l1:\n      type: while_loop\n      parent_id: l2\n    l2:\n      type: for_each\n      parent_id: l1\n    check_total:\n');
    const { diagnostics } = parseWorkflowSpec(text);
    assert.deepEqual(diagnostics.issues.map((i) => [i.code, i.path]), [
      ['INVALID_PARENT', 'spec.blocks.l1.parent_id'],
      ['INVALID_PARENT', 'spec.blocks.l2.parent_id'],
    ]);
  });

  test('past 100 issues the rest are counted, not listed', () => {
    const blocks = Array.from({ length: 150 }, (_, i) => `    b${i}: {type: nope}`).join('\n');
    const { diagnostics } = parseWorkflowSpec(`apiVersion: workflows.retab.com/v1alpha2\nkind: Workflow\nmetadata: {id: wf}\nspec:\n  blocks:\n${blocks}\n`);
    assert.equal(diagnostics.issues.length, 101);
    assert.deepEqual(diagnostics.issues[100], { severity: 'error', code: 'TOO_MANY_ISSUES', message: '50 more issues are not listed; fix the ones above and validate again.', path: null, line: null });
  });

  test('an unknown field stops the spec with its path, line and a "did you mean"', () => {
    const { spec, diagnostics } = parseWorkflowSpec(variant('      label: Receipt', '      lable: Receipt'));
    assert.equal(spec, null);
    assert.equal(diagnostics.is_valid, false);
    assert.deepEqual(diagnostics.issues.map((i) => [i.severity, i.code, i.path, i.line]), [['error', 'UNKNOWN_FIELD', 'spec.blocks.doc_in.lable', 10]]);
    assert.match(diagnostics.issues[0]!.message, /did you mean "label"\?/);
  });

  test('edges touching a block whose type was refused are not reported again', () => {
    const issue = onlyIssue(variant('type: start_document', 'type: nope'));
    assert.equal(issue.code, 'UNKNOWN_BLOCK_TYPE');
  });
});

describe('parseWorkflowSpec: invalid YAML never throws', () => {
  const nested = '['.repeat(50_000) + ']'.repeat(50_000);
  const bomb = 'a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n';
  const inputs: Array<[string, string, number | null]> = [
    ['tab indentation', 'apiVersion: x\nmetadata:\n\tid: wf\n', 3],
    ['unclosed quote', 'apiVersion: "workflows.retab.com/v1alpha2\nkind: Workflow\n', 3],
    ['colons', ': : :', 1],
    ['binary garbage', '\u0000\u0001\uFFFD\u0007\u001b[31m', null],
    ['several documents', 'a: 1\n---\nb: 2\n', 2],
    ['deep nesting', nested, null],
    ['an alias bomb', bomb, null],
    ['an unknown alias', 'a: *nowhere\n', null],
    ['empty text', '', null],
    ['a list', '- 1\n- 2\n', null],
  ];
  for (const [name, text, line] of inputs) {
    test(name, () => {
      const { spec, diagnostics } = parseWorkflowSpec(text);
      assert.equal(spec, null);
      assert.equal(diagnostics.is_valid, false);
      assert.ok(diagnostics.issues.length > 0);
      if (line !== null) assert.equal(diagnostics.issues[0].line, line, JSON.stringify(diagnostics.issues[0]));
    });
  }

  test('a mapping with 50,000 keys is checked for duplicates in linear time', () => {
    const text = Array.from({ length: 50_000 }, (_, i) => `k${i}: 1`).join('\n') + '\nk7: 2\n';
    const started = performance.now();
    const { diagnostics } = parseWorkflowSpec(text);
    assert.ok(performance.now() - started < 10_000);
    assert.deepEqual(diagnostics.issues[0], { severity: 'error', code: 'INVALID_YAML', message: 'Key "k7" appears twice in one mapping; keys must be unique.', path: null, line: 50_001 });
  });

  test(`nesting deeper than MAX_JSON_DEPTH is refused naming the limit, in time linear in the text`, () => {
    const blockNested = (levels: number, leaf = '1') => `${Array.from({ length: levels }, (_, i) => `${' '.repeat(i)}k:`).join('\n')} ${leaf}\n`;
    const flowNested = (levels: number) => `a: ${'['.repeat(levels)}${']'.repeat(levels)}\n`;
    for (const [name, text] of [
      ['flow, one past the limit', flowNested(MAX_JSON_DEPTH + 1)],
      ['flow, a million deep (2 MB)', flowNested(1_000_000)],
      ['block, one past the limit', blockNested(MAX_JSON_DEPTH + 1)],
      ['block, 2,000 deep', blockNested(2_000)],
      ['flow inside block', blockNested(100, `${'['.repeat(40)}${']'.repeat(40)}`)],
    ] as const) {
      const started = performance.now();
      const { spec, diagnostics } = parseWorkflowSpec(text);
      assert.equal(spec, null, name);
      assert.match(diagnostics.issues[0].message, new RegExp(`deeper than ${MAX_JSON_DEPTH} levels`), name);
      assert.ok(performance.now() - started < 2_000, `${name}: ${performance.now() - started} ms`);
    }
  });

  test('brackets in quotes, comments and block scalars do not count as nesting', () => {
    const brackets = '['.repeat(MAX_JSON_DEPTH + 10);
    const text = `a: "${brackets}"\nb: '${brackets}'\n# ${brackets}\nc: |\n  ${brackets}\nd: [[1]]\n`;
    const { diagnostics } = parseWorkflowSpec(text);
    assert.ok(diagnostics.issues.every((issue) => !/deeper than/.test(issue.message)), JSON.stringify(diagnostics.issues));
  });

  test('NUL and unpaired surrogates written with YAML escapes are refused where they are', () => {
    const { spec, diagnostics } = parseWorkflowSpec(VALID.replace('name: Receipt totals', 'name: "Receipt\\0totals"').replace('label: Receipt', 'label: "\\ud800"'));
    assert.equal(spec, null);
    assert.deepEqual(
      diagnostics.issues.filter((issue) => issue.code === 'INVALID_TEXT').map((issue) => [issue.path, issue.line, /NUL|surrogate/.exec(issue.message)?.[0]]),
      [
        ['metadata.name', 5, 'NUL'],
        ['spec.blocks.doc_in.label', 10, 'surrogate'],
      ],
    );
    assert.equal(parseWorkflowSpec(VALID.replace('name: Receipt totals', 'name: "Receipt \\U0001F600"')).spec?.metadata.name, 'Receipt \u{1F600}');
  });

  test('a non-string body is refused, not thrown', () => {
    assert.equal(parseWorkflowSpec(42 as unknown as string).diagnostics.issues[0].code, 'INVALID_YAML');
  });

  test('arbitrary strings never throw', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (text) => void parseWorkflowSpec(text)), { numRuns: 500 });
  });

  test('arbitrary edits of a valid spec never throw', () => {
    const edit = fc.tuple(fc.nat({ max: VALID.length }), fc.nat({ max: 20 }), fc.string({ maxLength: 8 }));
    fc.assert(
      fc.property(fc.array(edit, { maxLength: 4 }), (edits) => {
        const text = edits.reduce((current, [at, cut, insert]) => current.slice(0, at) + insert + current.slice(at + cut), VALID);
        const { spec, diagnostics } = parseWorkflowSpec(text);
        assert.equal(spec !== null, diagnostics.is_valid);
      }),
      { numRuns: 500 },
    );
  });
});
