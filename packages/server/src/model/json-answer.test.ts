import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseJsonAnswer, readJsonAnswer } from './json-answer.js';

test('parses plain, fenced and prose-wrapped JSON', () => {
  assert.deepEqual(parseJsonAnswer(' {"a": 1} '), { ok: true, value: { a: 1 } });
  assert.deepEqual(parseJsonAnswer('```json\n{"a": [1, 2]}\n```'), { ok: true, value: { a: [1, 2] } });
  assert.deepEqual(parseJsonAnswer('Here it is: {"a": true}. Done.'), { ok: true, value: { a: true } });
  assert.deepEqual(parseJsonAnswer('"just a string"'), { ok: true, value: 'just a string' });
});

test('reports text that is not JSON, with a preview', () => {
  const answer = parseJsonAnswer('{"a": 1,, }');
  assert.equal(answer.ok, false);
  assert.match((answer as { problem: string }).problem, /not valid JSON \("\{\\"a\\": 1,, \}"\)/);
  assert.equal(parseJsonAnswer('').ok, false);
});

test('checks the schema', () => {
  const schema = { type: 'object', properties: { a: { type: 'integer' } }, required: ['a'] };
  assert.deepEqual(readJsonAnswer('{"a": 2}', schema), { ok: true, value: { a: 2 } });
  const wrong = readJsonAnswer('{"a": "2"}', schema);
  assert.equal(wrong.ok, false);
  assert.match((wrong as { problem: string }).problem, /does not match the JSON schema/);
  assert.deepEqual(readJsonAnswer('[1]', undefined), { ok: true, value: [1] });
});

test('an answer over the output limit, or nested deeper than MAX_JSON_DEPTH, is not parsed: the problem names the size and the limit', () => {
  const big = parseJsonAnswer(JSON.stringify({ text: 'x'.repeat(2000) }), 1000);
  assert.equal(big.ok, false);
  assert.equal(
    (big as { problem: string }).problem,
    "the model answered 2,011 bytes (2.0 KiB) of JSON; a block's output may be at most 1,000 bytes (VERDICT_MAX_OUTPUT_BYTES)",
  );
  assert.deepEqual(parseJsonAnswer(JSON.stringify({ text: 'x'.repeat(989) }), 1000), { ok: true, value: { text: 'x'.repeat(989) } });
  const deep = readJsonAnswer(`${'['.repeat(6000)}${']'.repeat(6000)}`, undefined);
  assert.equal(deep.ok, false);
  assert.match((deep as { problem: string }).problem, /^the model answered JSON nested more than 128 levels deep/);
});
