import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { mergeDicts, mergeDictsInputNames } from './merge-dicts.js';

describe('mergeDicts', () => {
  const config = { inputs: [{ name: 'invoice' }, { name: 'vendor' }, { name: 'invoice' }, { nope: 1 }] };

  test('maps each configured input name to what arrived on its handle, once, in config order', () => {
    assert.deepEqual(mergeDictsInputNames(config), ['invoice', 'vendor']);
    const merged = mergeDicts(config, { 'input-json-invoice': { total: 1 }, 'input-json-vendor': 'ACME' });
    assert.deepEqual(merged, { invoice: { total: 1 }, vendor: 'ACME' });
    assert.deepEqual(Object.keys(merged), ['invoice', 'vendor']);
  });

  test('an input that received nothing is null; handles that are not configured are ignored', () => {
    assert.deepEqual(mergeDicts(config, { 'input-json-invoice': 1, 'input-json-other': 2 }), { invoice: 1, vendor: null });
    assert.deepEqual(mergeDicts(null, { 'input-json-invoice': 1 }), {});
  });

  test('__proto__ is an ordinary key', () => {
    const merged = mergeDicts({ inputs: [{ name: '__proto__' }] }, { 'input-json-__proto__': { polluted: true } });
    assert.deepEqual(Object.keys(merged), ['__proto__']);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.equal(Object.getPrototypeOf(merged), Object.prototype);
  });
});
