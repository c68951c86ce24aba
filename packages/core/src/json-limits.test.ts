import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { jsonTextDepth, jsonValueDepth, MAX_JSON_DEPTH, utf8LengthOver } from './json-limits.js';

function nested(depth: number): unknown {
  let value: unknown = 1;
  for (let i = 0; i < depth; i++) value = i % 2 === 0 ? [value] : { k: value };
  return value;
}

/** The JSON text of `nested(depth)`, built without JSON.stringify (which overflows the stack on deep values). */
function nestedText(depth: number): string {
  let text = '1';
  for (let i = 0; i < depth; i++) text = i % 2 === 0 ? `[${text}]` : `{"k":${text}}`;
  return text;
}

describe('JSON depth', () => {
  it('measures text and values alike', () => {
    for (const depth of [0, 1, 2, 7, MAX_JSON_DEPTH, 6000]) {
      const value = nested(depth);
      assert.equal(jsonTextDepth(nestedText(depth)), depth);
      assert.equal(jsonValueDepth(value), depth);
    }
  });

  it('ignores brackets inside strings, escaped quotes included', () => {
    assert.equal(jsonTextDepth(JSON.stringify({ a: '[[[{{{', b: ['x\\"[['] })), 2);
    assert.equal(jsonTextDepth('"[["'), 0);
  });

  it('counts siblings by their own depth, not their number', () => {
    assert.equal(jsonTextDepth(JSON.stringify([[1], [2], [[3]]])), 3);
    assert.equal(jsonValueDepth([[1], [2], [[3]]]), 3);
  });

  it('stops early once past the bound', () => {
    const deep = nestedText(100_000);
    assert.equal(jsonTextDepth(deep, MAX_JSON_DEPTH), MAX_JSON_DEPTH + 1);
    assert.equal(jsonValueDepth(nested(100_000), MAX_JSON_DEPTH), MAX_JSON_DEPTH + 1);
  });
});

describe('utf8LengthOver', () => {
  const samples = ['', 'plain ascii', 'café', '東京', '🎉 party', 'lone \ud800 high', 'lone \udc00 low', 'pair at end 🎉', '\ud800'];
  it('counts UTF-8 bytes as Buffer encodes them, once the text may be over the limit', () => {
    for (const sample of samples) {
      const text = sample.repeat(50);
      const bytes = Buffer.byteLength(text, 'utf8');
      assert.equal(utf8LengthOver(text, bytes - 1), bytes, JSON.stringify(sample));
      assert.equal(utf8LengthOver(text, bytes), undefined, JSON.stringify(sample));
    }
  });

  it('does not count text that cannot be over the limit', () => {
    assert.equal(utf8LengthOver('東'.repeat(100), 300), undefined);
  });
});
