import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { compileJsonSchema, summarizeJsonSchemaIssues } from './json-schema.js';

describe('compileJsonSchema', () => {
  test('validates with draft 2020-12 and reports every issue', () => {
    const compiled = compileJsonSchema({ type: 'object', properties: { a: { type: 'integer' }, b: { type: 'string' } }, required: ['c'] });
    assert.ok(compiled.ok);
    assert.deepEqual(compiled.validate({ a: 1, b: 'x', c: 0 }), []);
    assert.deepEqual(compiled.validate({ a: 1.5, b: 2 }), [
      { path: '', message: "must have required property 'c'" },
      { path: '/a', message: 'must be integer' },
      { path: '/b', message: 'must be string' },
    ]);
  });

  test('compiles a schema once: the same object, or an equal one, reuses the validator', () => {
    const schema = { type: 'number', minimum: 0 };
    const first = compileJsonSchema(schema);
    assert.equal(compileJsonSchema(schema), first);
    assert.equal(compileJsonSchema({ minimum: 0, type: 'number' }), first);
  });

  test('two schemas may use the same $id', () => {
    const a = compileJsonSchema({ $id: 'https://example.com/s', type: 'string' });
    const b = compileJsonSchema({ $id: 'https://example.com/s', type: 'number' });
    assert.ok(a.ok && b.ok);
    assert.deepEqual([a.validate('x').length, b.validate(1).length], [0, 0]);
  });

  test('patterns in schemas run on RE2 and each keeps its own pattern', () => {
    const compiled = compileJsonSchema({ properties: { a: { pattern: '^(a+)+$' }, b: { pattern: '^b$' } } });
    assert.ok(compiled.ok);
    assert.equal(compiled.validate({ a: 'aaa', b: 'b' }).length, 0);
    const started = performance.now();
    assert.equal(compiled.validate({ a: 'a'.repeat(100_000) + '!', b: 'b' }).length, 1);
    assert.ok(performance.now() - started < 2000);
  });

  test('patternProperties and propertyNames run on RE2 too', () => {
    const compiled = compileJsonSchema({ patternProperties: { '^(a+)+$': { type: 'string' } }, propertyNames: { pattern: '^(a|aa)+$' } });
    assert.ok(compiled.ok);
    const started = performance.now();
    const key = 'a'.repeat(50_000) + '!';
    assert.deepEqual(compiled.validate({ [key]: 1 }).map((issue) => issue.message), ['must match pattern "^(a|aa)+$"', 'property name must be valid']);
    assert.deepEqual(compiled.validate({ ['a'.repeat(50_000)]: 1 }).map((issue) => issue.message), ['must be string']);
    assert.ok(performance.now() - started < 2000);
  });

  const invalid: [string, unknown, RegExp][] = [
    ['a wrong type name', { type: 'strin' }, /^the JSON Schema is invalid: schema is invalid: data\/type must be equal to one of the allowed values/],
    ['a negative minLength', { minLength: -1 }, /minLength must be >= 0/],
    ['a dangling $ref', { $ref: '#/nope' }, /can't resolve reference #\/nope/],
    ['a draft-07 meta-schema', { $schema: 'http://json-schema.org/draft-07/schema#' }, /no schema with key or ref/],
    ['an array', [], /must be an object \(or a boolean\)/],
    ['a string', 'object', /must be an object \(or a boolean\)/],
  ];
  for (const [name, schema, message] of invalid) {
    test(`refuses ${name} without throwing`, () => {
      const compiled = compileJsonSchema(schema);
      assert.equal(compiled.ok, false);
      assert.match(compiled.ok ? '' : compiled.message, message);
    });
  }

  test('boolean schemas are valid', () => {
    const never = compileJsonSchema(false);
    assert.ok(never.ok);
    assert.equal(never.validate(1).length, 1);
  });
});

describe('summarizeJsonSchemaIssues', () => {
  test('places issues under the location and counts the rest', () => {
    const issues = [
      { path: '', message: 'must be object' },
      { path: '/items/0/a~1b', message: 'must be string' },
      { path: '/x', message: 'must be number' },
      { path: '/y', message: 'must be number' },
    ];
    assert.equal(summarizeJsonSchemaIssues(issues, 'doc'), '`doc` must be object; `doc.items[0].a/b` must be string; `doc.x` must be number (and 1 more)');
    assert.equal(summarizeJsonSchemaIssues(issues.slice(0, 1)), 'the output must be object');
  });
});
