import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { BLOCK_TYPES, type BlockType } from '../schemas/workflows.js';
import { functionLanguage, MAX_CONFIG_DEPTH, validateBlockConfig } from './block-config.js';

const JS = { language: 'javascript', code: 'function transform(input) { return input; }', output_schema: { type: 'object' } };

/** Each issue as "path: message" so tests can match both at once. */
const issues = (type: BlockType, config: unknown) => validateBlockConfig(type, config).map((i) => `${i.path.join('.')}: ${i.message}`);

function assertOneIssue(type: BlockType, config: unknown, path: string, fragment: RegExp) {
  const found = validateBlockConfig(type, config);
  assert.equal(found.length, 1, JSON.stringify(found));
  assert.equal(found[0].path.join('.'), path);
  assert.match(found[0].message, fragment);
}

describe('validateBlockConfig: function', () => {
  test('a complete javascript function is valid', () => assert.deepEqual(issues('function', JS), []));
  test('language defaults to javascript, so code is required', () => {
    assertOneIssue('function', { output_schema: {} }, 'code', /code is required.*function transform\(input\)/);
  });
  test('output_schema is required, with the spec diagnostic code', () => {
    const found = validateBlockConfig('function', { ...JS, output_schema: undefined });
    assert.deepEqual(found.map((issue) => [issue.path.join('.'), issue.code]), [['output_schema', 'MISSING_USER_DECLARED_SCHEMA']]);
  });
  test('python is accepted without code checks, in Retab spelling too', () => {
    assert.deepEqual(issues('function', { language: 'python', output_schema: {} }), []);
    assert.deepEqual(issues('function', { language: 'Python', code: 'def transform(x): return x', output_schema: {} }), []);
  });
  test('an unknown language is named in the message', () => {
    assertOneIssue('function', { ...JS, language: 'ruby' }, 'language', /"javascript" or "python"; got "ruby"/);
  });
  test('blank code is refused for javascript', () => assertOneIssue('function', { ...JS, code: '  \n' }, 'code', /code is required/));
  test('code must be a string', () => assertOneIssue('function', { ...JS, code: 42 }, 'code', /must be a string.*got 42/));
  test('output_schema must be an object', () => {
    assertOneIssue('function', { ...JS, output_schema: 'object' }, 'output_schema', /JSON Schema object/);
    assertOneIssue('function', { ...JS, output_schema: [] }, 'output_schema', /JSON Schema object/);
  });
  test('output_schema must compile, at every level', () => {
    const schema = { type: 'object', properties: { items: { type: 'array', items: { type: 'float' } } } };
    assertOneIssue('function', { ...JS, output_schema: schema }, 'output_schema', /invalid.*properties\/items\/items\/type/);
    assertOneIssue('function', { ...JS, output_schema: { $ref: '#/nowhere' } }, 'output_schema', /can't resolve reference/);
  });
  test('timeout_seconds is a whole number from 1 to 300', () => {
    for (const bad of [0, 301, 1.5, '60']) assertOneIssue('function', { ...JS, timeout_seconds: bad }, 'timeout_seconds', /whole number from 1 to 300/);
    for (const good of [1, 60, 300]) assert.deepEqual(issues('function', { ...JS, timeout_seconds: good }), []);
  });
  test('functionLanguage normalises the language and defaults to javascript', () => {
    assert.equal(functionLanguage({}), 'javascript');
    assert.equal(functionLanguage({ language: 'Python' }), 'python');
    assert.equal(functionLanguage({ language: 'go' }), null);
  });
});

describe('validateBlockConfig: extract', () => {
  test('a typical config is valid', () => {
    const config = { model: 'm', json_schema: { type: 'object' }, inputs: [{ name: 'document', type: 'file' }, { name: 'hints', type: 'json' }], n_consensus: 3 };
    assert.deepEqual(issues('extract', config), []);
  });
  test('inputs need a name and a file or json type', () => {
    assert.deepEqual(issues('extract', { inputs: [{ type: 'file' }, { name: 'a', type: 'text' }, 'x'] }), [
      'inputs.0.name: inputs[0] needs a non-empty name.',
      'inputs.1.type: Input type must be "file" or "json"; got "text".',
      'inputs.2: Each input must be an object like {name: "…"}; got "x".',
    ]);
  });
  test('input names are unique', () => {
    assertOneIssue('extract', { inputs: [{ name: 'a', type: 'file' }, { name: 'a', type: 'json' }] }, 'inputs.1.name', /Two inputs are named "a"/);
  });
  test('n_consensus is 1 to 10', () => assertOneIssue('extract', { n_consensus: 11 }, 'n_consensus', /from 1 to 10; got 11/));
  test('json_schema must be an object when present', () => assertOneIssue('extract', { json_schema: 5 }, 'json_schema', /JSON Schema object/));
});

describe('validateBlockConfig: classifier and split', () => {
  test('classifier needs at least one category', () => {
    assertOneIssue('classifier', {}, 'categories', /at least one category/);
    assertOneIssue('classifier', { categories: [] }, 'categories', /at least one category/);
    assertOneIssue('classifier', { categories: 'a,b' }, 'categories', /must be a list of categories/);
  });
  test('category handle keys must be distinct, derived or explicit', () => {
    assertOneIssue('classifier', { categories: [{ name: 'Big Invoice' }, { name: 'other', handle_key: 'big-invoice' }] }, 'categories.1.handle_key', /handle key "big-invoice"/);
  });
  test('duplicate names are reported once, not again as duplicate handle keys', () => {
    assertOneIssue('classifier', { categories: [{ name: 'A' }, { name: 'A' }] }, 'categories.1.name', /named "A"/);
  });
  test('description and handle_key must be strings', () => {
    assert.deepEqual(issues('classifier', { categories: [{ name: 'A', description: 3, handle_key: '' }] }), [
      'categories.0.handle_key: handle_key must be a non-empty string when given; got "".',
      'categories.0.description: description must be a string; got 3.',
    ]);
  });
  test('split needs unique subdocuments', () => {
    assertOneIssue('split', { subdocuments: [] }, 'subdocuments', /at least one subdocument/);
    assertOneIssue('split', { subdocuments: [{ name: 'a' }, { name: 'a' }] }, 'subdocuments.1.name', /named "a"/);
    assert.deepEqual(issues('split', { subdocuments: [{ name: 'Invoice', description: 'x', allow_multiple_instances: true }] }), []);
  });
});

describe('validateBlockConfig: other types', () => {
  test('a conditional branch cannot take the else handle while else is enabled', () => {
    assertOneIssue('conditional', { conditions: [{ branch_name: 'Else' }] }, 'conditions.0.handle_key', /reserved|belongs to the else branch/);
    assert.deepEqual(issues('conditional', { conditions: [{ branch_name: 'Else' }], has_else: false }), []);
  });
  test('merge_dicts input names are unique', () => {
    assertOneIssue('merge_dicts', { inputs: [{ name: 'a' }, { name: 'a' }] }, 'inputs.1.name', /named "a"/);
  });
  test('unknown keys are allowed and unconstrained types accept any object', () => {
    assert.deepEqual(issues('function', { ...JS, io_mapping: { x: 1 } }), []);
    assert.deepEqual(issues('parse', { anything: [1, 2] }), []);
  });
  test('config must be an object; null means empty', () => {
    assertOneIssue('parse', [1], '', /must be a JSON object/);
    assert.deepEqual(issues('parse', null), []);
  });
  test('configs nested deeper than the limit are refused without recursion', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = { a: deep };
    assertOneIssue('parse', deep, '', new RegExp(`more than ${MAX_CONFIG_DEPTH} levels`));
  });
  test('never throws on odd values, for any type', () => {
    const odd: unknown[] = ['x', 0, { categories: [null, [], { name: 5 }], subdocuments: 7, inputs: [{}], conditions: 'x', has_else: 'no' }];
    for (const type of BLOCK_TYPES) for (const config of odd) validateBlockConfig(type, config);
  });
});

test('long route lists are checked in linear time', () => {
  const categories = Array.from({ length: 50_000 }, (_, i) => ({ name: `c${i % 40_000}` }));
  const started = performance.now();
  assert.equal(validateBlockConfig('classifier', { categories }).length, 10_000);
  assert.ok(performance.now() - started < 2000);
});
